//! tcp endpoints with host names: looked up on every attempt, away from
//! the I/O thread, which keeps serving its other connections meanwhile.

use std::thread;
use std::time::{Duration, Instant};

use zmq_core::ctx::Context;
use zmq_core::monitor;
use zmq_core::socket::{options, Socket, DONTWAIT};
use zmq_core::Error;

mod common;
use common::*;

const PAIR: i32 = 0;
const PULL: i32 = 7;
const PUSH: i32 = 8;

fn bound_port(s: &Socket) -> u16 {
    let mut out = [0u8; 256];
    let n = s.get_option(options::LAST_ENDPOINT, &mut out).unwrap();
    let text = String::from_utf8_lossy(&out[..n - 1]).into_owned();
    text.rsplit(':').next().unwrap().parse().unwrap()
}

/// Counts `event` on monitor `mon` during `wait`.
fn count_events(mon: &Socket, event: u32, wait: Duration) -> usize {
    let deadline = Instant::now() + wait;
    let mut count = 0;
    while Instant::now() < deadline {
        match recv_all(mon, DONTWAIT) {
            Ok(frames) => {
                let head = &frames[0];
                count += usize::from(u16::from_ne_bytes([head[0], head[1]]) as u32 == event);
            }
            Err(Error::Again) => thread::sleep(Duration::from_millis(2)),
            Err(e) => panic!("{e:?}"),
        }
    }
    count
}

#[test]
fn a_host_name_is_looked_up_and_connected_to() {
    let ctx = Context::new();
    let pull = open(&ctx, PULL);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = open(&ctx, PUSH);
    push.connect(&format!("tcp://localhost:{}", bound_port(&pull)))
        .unwrap();
    send(&push, b"by name", 0).unwrap();
    assert_eq!(recv(&pull, 0).unwrap(), b"by name");
    close_all(ctx, [pull, push]);
}

#[test]
fn a_name_that_does_not_resolve_is_retried_and_others_still_flow() {
    let ctx = Context::new();
    ctx.set(zmq_core::ctx::IO_THREADS, 1).unwrap();
    let lost = open(&ctx, PUSH);
    lost.monitor(Some("inproc://names-lost"), monitor::ALL)
        .unwrap();
    let mon = open(&ctx, PAIR);
    mon.connect("inproc://names-lost").unwrap();
    set_int(&lost, options::RECONNECT_IVL, 10);
    set_int(&lost, options::LINGER, 0);
    lost.connect("tcp://no-such-host.invalid:5555").unwrap();

    // The same I/O thread carries a working connection meanwhile.
    let pull = open(&ctx, PULL);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = open(&ctx, PUSH);
    push.connect(&format!("tcp://127.0.0.1:{}", bound_port(&pull)))
        .unwrap();
    for i in 0..100u32 {
        send(&push, &i.to_be_bytes(), 0).unwrap();
        assert_eq!(recv(&pull, 0).unwrap(), i.to_be_bytes());
    }
    assert!(count_events(&mon, monitor::CONNECT_RETRIED, Duration::from_millis(300)) >= 2);
    close_all(ctx, [lost, mon, pull, push]);
}
