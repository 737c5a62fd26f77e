//! REQ (RFC 28): a DEALER underneath, with the request-reply turn on top.

use super::dealer::Dealer;
use super::options::{bool_option, REQ_CORRELATE, REQ_RELAXED};
use super::pipes::{frame, random_u32};
use super::{Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

/// REQ: sends a request, then receives its reply, in strict turn (unless
/// ZMQ_REQ_RELAXED). A request goes out as [delimiter, body...], or with
/// ZMQ_REQ_CORRELATE as [request id, delimiter, body...].
pub struct Req {
    dealer: Dealer,
    /// A request was sent and its reply is not complete yet.
    receiving_reply: bool,
    /// The next frame sent starts a request / the next frame received
    /// starts a reply (the two phases never overlap).
    message_begins: bool,
    /// The pipe the request went to: replies from others are dropped.
    /// `None` after that pipe went: then any reply is taken (libzmq).
    reply_pipe: Option<PipeId>,
    request_id: u32,
    strict: bool,
    correlate: bool,
}

impl Default for Req {
    fn default() -> Req {
        Req {
            dealer: Dealer::default(),
            receiving_reply: false,
            message_begins: true,
            reply_pipe: None,
            request_id: random_u32(),
            strict: true,
            correlate: false,
        }
    }
}

impl Req {
    /// The next frame from the request's pipe.
    fn recv_reply_frame(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        loop {
            let (msg, pipe) = self.dealer.recv_pipe(pipes)?;
            if self.reply_pipe.is_none() || self.reply_pipe == Some(pipe) {
                return Ok(msg);
            }
            if msg.more() {
                self.dealer.fq.skip_rest(pipes);
            }
        }
    }

    /// Reads up to the body of the next well-formed reply, dropping the
    /// malformed or stale ones on the way.
    fn recv_reply_envelope(&mut self, pipes: &mut Pipes) -> Result<()> {
        while self.message_begins {
            if self.correlate {
                let id = self.recv_reply_frame(pipes)?;
                if !id.more() || id.as_slice() != self.request_id.to_ne_bytes() {
                    self.skip_rest(&id, pipes);
                    continue;
                }
            }
            let delimiter = self.recv_reply_frame(pipes)?;
            if !delimiter.more() || !delimiter.is_empty() {
                self.skip_rest(&delimiter, pipes);
                continue;
            }
            self.message_begins = false;
        }
        Ok(())
    }

    fn skip_rest(&mut self, last: &Msg, pipes: &mut Pipes) {
        if last.more() {
            self.dealer.fq.skip_rest(pipes);
        }
    }
}

impl Pattern for Req {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        self.dealer.attach(id, pipes)
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if self.receiving_reply {
            if self.strict {
                return Err(Error::State);
            }
            // Relaxed: the old reply will be ignored.
            self.receiving_reply = false;
            self.message_begins = true;
        }
        if self.message_begins {
            self.reply_pipe = None;
            if self.correlate {
                self.request_id = self.request_id.wrapping_add(1);
                let mut id = frame(&self.request_id.to_ne_bytes(), true)?;
                self.reply_pipe = self.dealer.send_pipe(&mut id, pipes)?;
            }
            let mut delimiter = frame(&[], true)?;
            let pipe = self.dealer.send_pipe(&mut delimiter, pipes)?;
            if !self.correlate {
                self.reply_pipe = pipe;
            }
            self.message_begins = false;
            // Drop whatever arrived before this request, so that a late
            // reply to an older request is not taken for this one's.
            while self.dealer.recv_pipe(pipes).is_ok() {}
        }
        let more = msg.more();
        self.dealer.send(msg, pipes)?;
        if !more {
            self.receiving_reply = true;
            self.message_begins = true;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if !self.receiving_reply {
            return Err(Error::State);
        }
        self.recv_reply_envelope(pipes)?;
        let msg = self.recv_reply_frame(pipes)?;
        if !msg.more() {
            self.receiving_reply = false;
            self.message_begins = true;
        }
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.receiving_reply && self.dealer.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.receiving_reply && self.strict {
            return false;
        }
        self.dealer.has_out(pipes)
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.dealer.read_activated(id, pipes);
    }

    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.dealer.write_activated(id, pipes);
    }

    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        if self.reply_pipe == Some(id) {
            self.reply_pipe = None;
        }
        self.dealer.terminated(id, pipes);
    }

    fn set_option(&mut self, option: i32, value: &[u8], pipes: &mut Pipes) -> Result<bool> {
        match option {
            REQ_CORRELATE => self.correlate = bool_option(value)?,
            REQ_RELAXED => self.strict = !bool_option(value)?,
            _ => return self.dealer.set_option(option, value, pipes),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::testing::*;

    #[test]
    fn req_takes_replies_from_the_request_pipe_until_it_goes() {
        let mut pipes = Pipes::default();
        let mut req = Req::default();
        let mut a = connect(&mut req, &mut pipes, b"");
        let mut b = connect(&mut req, &mut pipes, b"");
        send(&mut req, &mut pipes, &[b"q"]).unwrap();
        let (asked, other) = if a.frames().is_empty() {
            assert_eq!(b.bodies(), [&b""[..], &b"q"[..]]);
            (b, a)
        } else {
            (a, b)
        };
        let mut other = other;
        other.send(&[b"", b"not yours"]);
        assert_eq!(recv(&mut req, &mut pipes), Err(Error::Again));
        // The asked peer goes: then a reply from anyone is taken.
        pipes.mark_dead(asked.id);
        reap(&mut req, &mut pipes);
        other.send(&[b"", b"from another"]);
        assert_eq!(recv(&mut req, &mut pipes).unwrap(), [b"from another"]);
        assert_eq!(req.recv(&mut pipes).unwrap_err(), Error::State);
    }

    #[test]
    fn req_correlate_checks_the_request_id() {
        let mut pipes = Pipes::default();
        let mut req = Req::default();
        req.set_option(REQ_CORRELATE, &int(1), &mut pipes).unwrap();
        let mut p = connect(&mut req, &mut pipes, b"");
        send(&mut req, &mut pipes, &[b"q"]).unwrap();
        let frames = p.bodies();
        assert_eq!(frames.len(), 3);
        let id = frames[0].clone();
        assert_eq!(id.len(), 4);
        assert_eq!(&frames[1..], [&b""[..], &b"q"[..]]);
        let mut wrong = id.clone();
        wrong[0] ^= 1;
        p.send(&[&wrong, b"", b"wrong id"]);
        p.send(&[&id, b"no delimiter"]);
        p.send(&[&id]);
        p.send(&[b"", b"no id"]);
        p.send(&[&id, b"", b"right"]);
        assert_eq!(recv(&mut req, &mut pipes).unwrap(), [b"right"]);
    }
}
