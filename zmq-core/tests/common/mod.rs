//! What the socket tests share: opening sockets, sending and receiving
//! bytes, options as ints, and waiting for effects that travel as commands.
//! (Each test file uses some of these.)
#![allow(dead_code)]

use std::thread;
use std::time::{Duration, Instant};

use zmq_core::ctx::Context;
use zmq_core::monitor;
use zmq_core::socket::{options, Socket, DONTWAIT, SNDMORE};
use zmq_core::{Error, Msg};

pub fn open(ctx: &Context, kind: i32) -> Socket {
    let s = Socket::new();
    s.open(ctx, kind).unwrap();
    s
}

pub fn send(s: &Socket, data: &[u8], flags: i32) -> Result<(), Error> {
    let mut msg = Msg::from_slice(data).unwrap();
    s.send(&mut msg, flags)
}

pub fn recv(s: &Socket, flags: i32) -> Result<Vec<u8>, Error> {
    s.recv(flags).map(|m| m.as_slice().to_vec())
}

/// Sends a whole message.
pub fn send_all(s: &Socket, frames: &[&[u8]]) -> Result<(), Error> {
    for (i, frame) in frames.iter().enumerate() {
        let flags = if i + 1 < frames.len() { SNDMORE } else { 0 };
        send(s, frame, flags)?;
    }
    Ok(())
}

/// Receives a whole message.
pub fn recv_all(s: &Socket, flags: i32) -> Result<Vec<Vec<u8>>, Error> {
    let mut frames = Vec::new();
    loop {
        let msg = s.recv(flags)?;
        frames.push(msg.as_slice().to_vec());
        if !msg.more() {
            return Ok(frames);
        }
    }
}

pub fn set_int(s: &Socket, option: i32, value: i32) {
    s.set_option(option, &value.to_ne_bytes()).unwrap();
}

pub fn get_int(s: &Socket, option: i32) -> i32 {
    let mut out = [0u8; 4];
    assert_eq!(s.get_option(option, &mut out), Ok(4));
    i32::from_ne_bytes(out)
}

pub fn close_all(ctx: Context, sockets: impl IntoIterator<Item = Socket>) {
    for s in sockets {
        s.close().unwrap();
    }
    ctx.terminate().unwrap();
}

/// Retries `f` for up to a second (for effects that travel as commands).
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        thread::sleep(Duration::from_millis(5));
    }
    false
}

/// ZMQ_LAST_ENDPOINT, without its NUL.
pub fn last_endpoint(s: &Socket) -> String {
    let mut out = [0u8; 256];
    let n = s.get_option(options::LAST_ENDPOINT, &mut out).unwrap();
    String::from_utf8_lossy(&out[..n - 1]).into_owned()
}

/// The port of a tcp socket's last endpoint.
pub fn bound_port(s: &Socket) -> u16 {
    let endpoint = last_endpoint(s);
    endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

/// A monitor of every event on `s`, read through a PAIR socket bound to
/// inproc://`name`.
pub fn watch(ctx: &Context, s: &Socket, name: &str) -> Socket {
    const PAIR: i32 = 0;
    let endpoint = format!("inproc://{name}");
    s.monitor(Some(&endpoint), u64::from(monitor::ALL), 1, 0)
        .unwrap();
    let mon = open(ctx, PAIR);
    mon.connect(&endpoint).unwrap();
    mon
}

/// The next monitor event within `wait`, if any.
pub fn next_event(mon: &Socket, wait: Duration) -> Option<u32> {
    let deadline = Instant::now() + wait;
    loop {
        match recv_all(mon, DONTWAIT) {
            Ok(frames) => {
                let head = &frames[0];
                return Some(u16::from_ne_bytes([head[0], head[1]]) as u32);
            }
            Err(Error::Again) if Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(2))
            }
            Err(_) => return None,
        }
    }
}

/// The monitor events up to and including the first of `wanted`; the
/// limit only guards against a hang (a loaded machine is late, not wrong).
pub fn events_until(mon: &Socket, wanted: &[u32]) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while let Some(e) = next_event(mon, deadline.saturating_duration_since(Instant::now())) {
        seen.push(e);
        if wanted.contains(&e) {
            break;
        }
    }
    seen
}

/// The monitor events seen during `wait`.
pub fn events_during(mon: &Socket, wait: Duration) -> Vec<u32> {
    let deadline = Instant::now() + wait;
    let mut seen = Vec::new();
    while let Some(e) = next_event(mon, deadline.saturating_duration_since(Instant::now())) {
        seen.push(e);
    }
    seen
}
