//! The draft types that carry single-part messages only: CLIENT (RFC 41)
//! is a DEALER, SCATTER and GATHER (RFC 49) are PUSH and PULL, CHANNEL
//! (RFC 52) is a PAIR, each without ZMQ_SNDMORE. A send with it is EINVAL;
//! a multipart message from a peer (which no peer of these types sends) is
//! dropped whole, as libzmq does.

use super::dealer::Dealer;
use super::simple::{Pair, Pull, Push};
use super::{Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

/// A pattern of whole single-part messages around one that routes frames.
#[derive(Default)]
pub struct SinglePart<P> {
    inner: P,
}

pub type Client = SinglePart<Dealer>;
pub type Scatter = SinglePart<Push>;
pub type Gather = SinglePart<Pull>;
pub type Channel = SinglePart<Pair>;

/// Receives the next single-part message through `recv`, dropping any
/// multipart one whole (its frames arrive together: pipes publish whole
/// messages).
pub(super) fn recv_single<T>(mut recv: impl FnMut() -> Result<(Msg, T)>) -> Result<(Msg, T)> {
    loop {
        let (msg, from) = recv()?;
        if !msg.more() {
            return Ok((msg, from));
        }
        while recv()?.0.more() {}
    }
}

impl<P: Pattern> Pattern for SinglePart<P> {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        self.inner.attach(id, pipes)
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if msg.more() {
            return Err(Error::Invalid);
        }
        self.inner.send(msg, pipes)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        recv_single(|| self.inner.recv(pipes).map(|msg| (msg, ()))).map(|(msg, ())| msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.inner.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.inner.has_out(pipes)
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.inner.read_activated(id, pipes);
    }

    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.inner.write_activated(id, pipes);
    }

    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.inner.terminated(id, pipes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::testing::*;

    #[test]
    fn sndmore_is_refused_and_nothing_is_sent() {
        let mut pipes = Pipes::default();
        let mut client = Client::default();
        let mut peer = connect(&mut client, &mut pipes, b"");
        assert_eq!(
            send(&mut client, &mut pipes, &[b"a", b"b"]),
            Err(Error::Invalid)
        );
        assert!(peer.frames().is_empty());
        send(&mut client, &mut pipes, &[b"whole"]).unwrap();
        assert_eq!(peer.frames(), [(b"whole".to_vec(), false)]);
    }

    #[test]
    fn multipart_messages_from_peers_are_dropped_whole() {
        let mut pipes = Pipes::default();
        let mut gather = Gather::default();
        let mut peer = connect(&mut gather, &mut pipes, b"");
        peer.send(&[b"x", b"y", b"z"]);
        peer.send(&[b"one"]);
        peer.send(&[b"p", b"q"]);
        peer.send(&[b"two"]);
        assert_eq!(recv(&mut gather, &mut pipes).unwrap(), [b"one".to_vec()]);
        assert_eq!(recv(&mut gather, &mut pipes).unwrap(), [b"two".to_vec()]);
        assert_eq!(recv(&mut gather, &mut pipes), Err(Error::Again));
    }

    #[test]
    fn scatter_spreads_and_channel_keeps_one_peer() {
        let mut pipes = Pipes::default();
        let mut scatter = Scatter::default();
        let mut a = connect(&mut scatter, &mut pipes, b"");
        let mut b = connect(&mut scatter, &mut pipes, b"");
        for body in [b"1", b"2", b"3", b"4"] {
            send(&mut scatter, &mut pipes, &[body]).unwrap();
        }
        assert_eq!(a.bodies(), [b"1".to_vec(), b"3".to_vec()]);
        assert_eq!(b.bodies(), [b"2".to_vec(), b"4".to_vec()]);
        assert_eq!(scatter.recv(&mut pipes).err(), Some(Error::NotSupported));

        let mut channel = Channel::default();
        let mut pipes = Pipes::default();
        let mut peer = connect(&mut channel, &mut pipes, b"");
        let (second, _) =
            crate::pipe::pair(crate::pipe::Flow::queue(0), crate::pipe::Flow::queue(0));
        let id = second.id();
        pipes.insert(second);
        assert!(!channel.attach(id, &mut pipes));
        peer.send(&[b"hi"]);
        assert_eq!(recv(&mut channel, &mut pipes).unwrap(), [b"hi".to_vec()]);
    }
}
