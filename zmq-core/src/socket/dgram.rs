//! DGRAM: raw udp datagrams, each as two frames: the peer's address
//! (`ip:port`) and the body. One endpoint, bound or connected; what is
//! sent must be exactly those two frames (EINVAL otherwise, as libzmq).

use super::simple::Pair;
use super::{Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct Dgram {
    endpoint: Pair,
    /// The address frame went; the body comes next.
    more_out: bool,
}

impl Pattern for Dgram {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        self.endpoint.attach(id, pipes)
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        // An address frame must have MORE and a body must not.
        if msg.more() == self.more_out {
            return Err(Error::Invalid);
        }
        self.endpoint.send(msg, pipes)?;
        self.more_out = !self.more_out;
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.endpoint.recv(pipes)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.endpoint.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.endpoint.has_out(pipes)
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.endpoint.read_activated(id, pipes);
    }

    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.endpoint.write_activated(id, pipes);
    }

    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.endpoint.terminated(id, pipes);
        self.more_out = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::testing::*;

    #[test]
    fn exactly_an_address_frame_and_a_body_go_out() {
        let mut pipes = Pipes::default();
        let mut dgram = Dgram::default();
        let mut udp = connect(&mut dgram, &mut pipes, b"");
        assert_eq!(
            send(&mut dgram, &mut pipes, &[b"lonely"]),
            Err(Error::Invalid)
        );
        assert_eq!(
            send(&mut dgram, &mut pipes, &[b"127.0.0.1:5555", b"a", b"b"]),
            Err(Error::Invalid)
        );
        // The triple's second frame was refused after its address frame
        // went: a body completes that message.
        send(&mut dgram, &mut pipes, &[b"x"]).unwrap();
        send(&mut dgram, &mut pipes, &[b"127.0.0.1:6666", b"body"]).unwrap();
        assert_eq!(
            udp.frames(),
            [
                (b"127.0.0.1:5555".to_vec(), true),
                (b"x".to_vec(), false),
                (b"127.0.0.1:6666".to_vec(), true),
                (b"body".to_vec(), false)
            ]
        );
    }
}
