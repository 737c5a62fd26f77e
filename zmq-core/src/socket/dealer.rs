//! DEALER (RFC 28). REQ is a DEALER underneath, and so takes its options
//! (ZMQ_PROBE_ROUTER).

use super::options::{bool_option, PROBE_ROUTER};
use super::pipes::probe;
use super::{FairQueue, LoadBalancer, Pattern, Pipes};
use crate::error::Result;
use crate::msg::Msg;
use crate::pipe::PipeId;

/// DEALER: load-balances out, fair-queues in; messages pass unchanged.
#[derive(Default)]
pub struct Dealer {
    lb: LoadBalancer,
    pub(super) fq: FairQueue,
    probe_router: bool,
}

impl Dealer {
    /// Sends a frame; says which pipe took it (`None` if it was dropped
    /// because that pipe died in the middle of the message).
    pub(super) fn send_pipe(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<Option<PipeId>> {
        self.lb.send_to(msg, pipes)
    }

    pub(super) fn recv_pipe(&mut self, pipes: &mut Pipes) -> Result<(Msg, PipeId)> {
        self.fq.recv(pipes)
    }
}

impl Pattern for Dealer {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        if self.probe_router {
            probe(id, pipes);
        }
        self.lb.attach(id);
        self.fq.attach(id);
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.lb.send(msg, pipes)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.fq.recv(pipes).map(|(msg, _)| msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }

    fn read_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.fq.activate(id);
    }

    fn write_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.lb.activate(id);
    }

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.lb.terminated(id);
        self.fq.terminated(id);
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        match option {
            PROBE_ROUTER => self.probe_router = bool_option(value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::req::Req;
    use crate::socket::router::Router;
    use crate::socket::testing::*;

    #[test]
    fn probes_go_to_new_peers() {
        let mut pipes = Pipes::default();
        let mut dealer = Dealer::default();
        dealer
            .set_option(PROBE_ROUTER, &int(1), &mut pipes)
            .unwrap();
        let mut p = connect(&mut dealer, &mut pipes, b"");
        assert_eq!(p.frames(), [(vec![], false)]);
        let mut router = Router::default();
        router
            .set_option(PROBE_ROUTER, &int(2), &mut pipes)
            .unwrap();
        let mut q = connect(&mut router, &mut pipes, b"");
        assert_eq!(q.frames(), [(vec![], false)]);
        let mut req = Req::default();
        req.set_option(PROBE_ROUTER, &int(1), &mut pipes).unwrap();
        let mut r = connect(&mut req, &mut pipes, b"");
        assert_eq!(r.frames(), [(vec![], false)]);
    }
}
