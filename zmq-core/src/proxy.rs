//! zmq_proxy and zmq_proxy_steerable: move whole messages between a
//! frontend and a backend socket, copying each frame to an optional
//! capture socket, and obey PAUSE / RESUME / TERMINATE / STATISTICS on an
//! optional control socket.

use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::poll::{poll, PollItem};
use crate::socket::{Socket, DONTWAIT, POLLIN, POLLOUT, SNDMORE};

/// Per-socket counters of the STATISTICS reply.
#[derive(Default, Clone, Copy)]
struct Counters {
    msgs_in: u64,
    bytes_in: u64,
    msgs_out: u64,
    bytes_out: u64,
}

/// Moves one whole message from `from` to `to`; each frame also goes to
/// `capture`. The counters count whole messages and all their bytes, as
/// libzmq 4.3 does.
fn forward(
    from: &Socket,
    to: &Socket,
    capture: Option<&Socket>,
    stats: (&mut Counters, &mut Counters),
) -> Result<()> {
    loop {
        let mut msg = from.recv(DONTWAIT)?;
        let more = msg.more();
        let size = msg.len() as u64;
        stats.0.bytes_in += size;
        if let Some(capture) = capture {
            let mut copy = msg.try_clone();
            capture.send(&mut copy, if more { SNDMORE } else { 0 })?;
        }
        to.send(&mut msg, if more { SNDMORE } else { 0 })?;
        stats.1.bytes_out += size;
        if !more {
            stats.0.msgs_in += 1;
            stats.1.msgs_out += 1;
            return Ok(());
        }
    }
}

/// Messages moved one way before the other way, and the control socket,
/// get their turn.
const BURST: usize = 256;

/// Moves whole messages from `from` to `to` while `from` has one and `to`
/// has room for it, up to [`BURST`]; returns how many moved. No poll
/// between messages: a busy proxy costs a recv and a send per frame.
fn pump(
    from: &Socket,
    to: &Socket,
    capture: Option<&Socket>,
    stats: (&mut Counters, &mut Counters),
) -> Result<usize> {
    let mut moved = 0;
    while moved < BURST && to.can_send()? {
        match forward(from, to, capture, (&mut *stats.0, &mut *stats.1)) {
            Ok(()) => moved += 1,
            Err(Error::Again) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(moved)
}

enum Control {
    Continue,
    Terminate,
}

fn command(control: &Socket, paused: &mut bool, stats: [Counters; 2]) -> Result<Control> {
    let msg = control.recv(DONTWAIT)?;
    // A multipart command is ignored after its first frame, as a whole.
    let mut more = msg.more();
    while more {
        more = control.recv(DONTWAIT)?.more();
    }
    match msg.as_slice() {
        b"PAUSE" => *paused = true,
        b"RESUME" => *paused = false,
        b"TERMINATE" => return Ok(Control::Terminate),
        b"STATISTICS" => {
            let values = stats
                .iter()
                .flat_map(|c| [c.msgs_in, c.bytes_in, c.msgs_out, c.bytes_out]);
            let mut values = values.peekable();
            while let Some(v) = values.next() {
                let mut frame = Msg::from_slice(&v.to_ne_bytes())?;
                let flags = if values.peek().is_some() { SNDMORE } else { 0 };
                control.send(&mut frame, flags)?;
            }
        }
        // Unknown commands are ignored.
        _ => {}
    }
    Ok(Control::Continue)
}

/// Runs until the context stops (ETERM), a signal interrupts (EINTR), or
/// TERMINATE arrives on `control` (Ok).
///
/// A message is taken from one side only when the other can take it now
/// (as in libzmq), so the proxy never blocks in a send: the control socket
/// is always heard, and nothing taken is lost when the proxy stops. While
/// a side cannot take a message, the proxy waits for it to become
/// writable rather than for input it could not forward.
pub fn proxy<'a>(
    frontend: &'a Socket,
    backend: &'a Socket,
    capture: Option<&Socket>,
    control: Option<&'a Socket>,
) -> Result<()> {
    let mut stats = [Counters::default(); 2];
    let mut paused = false;
    let same = std::ptr::eq(frontend, backend);
    loop {
        // While messages flow, move them without polling; poll only when
        // neither way moved anything (or to hear the control socket).
        if !paused {
            let [front, back] = &mut stats;
            let mut moved = pump(frontend, backend, capture, (front, back))?;
            if !same {
                moved += pump(backend, frontend, capture, (back, front))?;
            }
            if moved > 0 {
                let heard = match control {
                    Some(control) => control.events()? & POLLIN != 0,
                    None => false,
                };
                if !heard {
                    continue;
                }
            }
        }
        // Which side may be read: the other one has room (one socket
        // serving as both always may).
        let writable = |s: &Socket| Ok::<bool, Error>(s.events()? & POLLOUT != 0);
        let (front_out, back_out) = if same || paused {
            (true, true)
        } else {
            (writable(frontend)?, writable(backend)?)
        };
        // While paused only the control socket is watched.
        let watch = |socket: &'a Socket, other_has_room: bool, has_room: bool| PollItem {
            socket: (!paused).then_some(socket),
            fd: None,
            events: if other_has_room { POLLIN } else { 0 } | if has_room { 0 } else { POLLOUT },
            revents: 0,
        };
        let mut items = vec![
            watch(frontend, back_out, front_out),
            watch(if same { frontend } else { backend }, front_out, back_out),
        ];
        if let Some(control) = control {
            items.push(PollItem {
                socket: Some(control),
                fd: None,
                events: POLLIN,
                revents: 0,
            });
        }
        poll(&mut items, None)?;
        if items.get(2).is_some_and(|i| i.revents & POLLIN != 0) {
            if let Some(control) = control {
                if let Control::Terminate = command(control, &mut paused, stats)? {
                    return Ok(());
                }
            }
        }
        let [front, back] = &mut stats;
        if items[0].revents & POLLIN != 0 {
            forward(frontend, backend, capture, (front, back)).or_else(again_is_fine)?;
        }
        if !same && items[1].revents & POLLIN != 0 {
            forward(backend, frontend, capture, (back, front)).or_else(again_is_fine)?;
        }
    }
}

/// A socket that reported input but had none by the time it was read.
fn again_is_fine(e: Error) -> Result<()> {
    match e {
        Error::Again => Ok(()),
        other => Err(other),
    }
}
