//! REP (RFC 28): a ROUTER underneath (whose three switches it takes, as in
//! libzmq), with the request-reply turn on top.

use super::router::Router;
use super::{Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

/// REP: receives a request, then sends its reply, in strict turn. The
/// request's envelope (its frames up to the empty delimiter, after the id
/// frame the ROUTER underneath adds) is staged in the requester's pipe at
/// once, and the reply completes it.
#[derive(Default)]
pub struct Rep {
    router: Router,
    /// A request was received whole and its reply is not complete yet.
    sending_reply: bool,
    /// The envelope of the request being received has been read.
    in_body: bool,
}

impl Rep {
    /// Reads the next request's envelope and stages it as the start of
    /// the reply. Malformed requests (no delimiter) are dropped.
    fn recv_envelope(&mut self, pipes: &mut Pipes) -> Result<()> {
        // Leftovers of an envelope interrupted by an error.
        self.router.rollback(pipes);
        self.router.skip_rest(pipes);
        let mut at_start = true;
        loop {
            let mut part = self.router.recv(pipes)?;
            if !part.more() {
                self.router.rollback(pipes);
                at_start = true;
            } else if at_start {
                // The id frame: the reply goes back to that peer. Never
                // an error: ZMQ_ROUTER_MANDATORY concerns ROUTER sends.
                self.router.open_route(part.as_slice(), false, pipes)?;
                at_start = false;
            } else {
                let bottom = part.is_empty();
                self.router.send_frame(&mut part, pipes);
                if bottom {
                    return Ok(());
                }
            }
        }
    }
}

impl Pattern for Rep {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        self.router.attach(id, pipes)
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if !self.sending_reply {
            return Err(Error::State);
        }
        let more = msg.more();
        self.router.send_frame(msg, pipes);
        if !more {
            self.sending_reply = false;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if self.sending_reply {
            return Err(Error::State);
        }
        if self.in_body && !self.router.more_in && self.router.prefetched.is_none() {
            // The request's pipe was cut mid-message (local disconnect):
            // nothing more of it will come.
            self.in_body = false;
        }
        if !self.in_body {
            self.recv_envelope(pipes)?;
            self.in_body = true;
        }
        let msg = self.router.recv(pipes)?;
        if !msg.more() {
            self.in_body = false;
            self.sending_reply = true;
        }
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        !self.sending_reply && self.router.has_in(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // Replies never block: an unroutable one is dropped.
        self.sending_reply
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.router.read_activated(id, pipes);
    }

    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.router.write_activated(id, pipes);
    }

    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.router.terminated(id, pipes);
    }

    fn set_option(&mut self, option: i32, value: &[u8], pipes: &mut Pipes) -> Result<bool> {
        self.router.set_option(option, value, pipes)
    }

    /// REP takes ROUTER's options, ZMQ_ROUTER_RAW among them (libzmq).
    fn raw_notify(&self) -> Option<bool> {
        self.router.raw_notify()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::testing::*;

    #[test]
    fn rep_drops_malformed_requests_and_their_staged_envelope() {
        let mut pipes = Pipes::default();
        let mut rep = Rep::default();
        let mut p = connect(&mut rep, &mut pipes, b"");
        p.send(&[b"no delimiter"]);
        p.send(&[b"a", b"b"]);
        p.send(&[b""]);
        p.send(&[b"e1", b"e2", b"", b"body", b"more"]);
        assert_eq!(
            recv(&mut rep, &mut pipes).unwrap(),
            [&b"body"[..], &b"more"[..]]
        );
        assert_eq!(rep.recv(&mut pipes).unwrap_err(), Error::State);
        send(&mut rep, &mut pipes, &[b"R1", b"R2"]).unwrap();
        assert_eq!(
            p.frames(),
            [
                (b"e1".to_vec(), true),
                (b"e2".to_vec(), true),
                (vec![], true),
                (b"R1".to_vec(), true),
                (b"R2".to_vec(), false)
            ]
        );
        assert_eq!(send(&mut rep, &mut pipes, &[b"x"]), Err(Error::State));
    }

    #[test]
    fn rep_drops_the_reply_to_a_peer_that_left() {
        let mut pipes = Pipes::default();
        let mut rep = Rep::default();
        let mut gone = connect(&mut rep, &mut pipes, b"");
        let mut stays = connect(&mut rep, &mut pipes, b"");
        gone.send(&[b"", b"q1"]);
        assert_eq!(recv(&mut rep, &mut pipes).unwrap(), [b"q1"]);
        pipes.mark_dead(gone.id);
        reap(&mut rep, &mut pipes);
        send(&mut rep, &mut pipes, &[b"lost"]).unwrap();
        stays.send(&[b"", b"q2"]);
        assert_eq!(recv(&mut rep, &mut pipes).unwrap(), [b"q2"]);
        send(&mut rep, &mut pipes, &[b"a2"]).unwrap();
        assert_eq!(stays.bodies(), [&b""[..], &b"a2"[..]]);
        assert!(gone.bodies().is_empty());
    }
}
