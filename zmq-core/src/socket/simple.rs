//! PAIR, PUSH and PULL (RFC 31 exclusive pair, RFC 30 pipeline).

use super::{FairQueue, LoadBalancer, Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeId, Read};

/// PAIR: one peer at a time; later connections are refused until it goes.
#[derive(Default)]
pub struct Pair {
    peer: Option<PipeId>,
    /// The peer's pipe has room / input (or we have not looked yet).
    can_write: bool,
    can_read: bool,
}

impl Pattern for Pair {
    fn attach(&mut self, id: PipeId, _pipes: &mut Pipes) -> bool {
        if self.peer.is_some() {
            return false;
        }
        self.peer = Some(id);
        self.can_write = true;
        self.can_read = true;
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        let id = match self.peer {
            Some(id) if self.can_write => id,
            _ => return Err(Error::Again),
        };
        match pipes.write(id, std::mem::take(msg)) {
            Ok(()) => Ok(()),
            Err((_, returned)) => {
                *msg = returned;
                self.can_write = false;
                Err(Error::Again)
            }
        }
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        let id = match self.peer {
            Some(id) if self.can_read => id,
            _ => return Err(Error::Again),
        };
        match pipes.read(id) {
            Read::Msg(msg) => Ok(msg),
            Read::Empty | Read::Closed => {
                self.can_read = false;
                Err(Error::Again)
            }
        }
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        match self.peer {
            Some(id) if self.can_read => {
                self.can_read = pipes.check_read(id);
                self.can_read
            }
            _ => false,
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        match self.peer {
            Some(id) if self.can_write => {
                self.can_write = pipes.check_write(id);
                self.can_write
            }
            _ => false,
        }
    }

    fn read_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        if self.peer == Some(id) {
            self.can_read = true;
        }
    }

    fn write_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        if self.peer == Some(id) {
            self.can_write = true;
        }
    }

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        if self.peer == Some(id) {
            self.peer = None;
        }
    }
}

/// PUSH: round-robin to the peers with room; never receives.
#[derive(Default)]
pub struct Push {
    lb: LoadBalancer,
}

impl Pattern for Push {
    fn attach(&mut self, id: PipeId, _pipes: &mut Pipes) -> bool {
        self.lb.attach(id);
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.lb.send(msg, pipes)
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg> {
        Err(Error::NotSupported)
    }

    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }

    fn read_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn write_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.lb.activate(id);
    }

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.lb.terminated(id);
    }
}

/// PULL: fair-queues from every peer; never sends.
#[derive(Default)]
pub struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
    fn attach(&mut self, id: PipeId, _pipes: &mut Pipes) -> bool {
        self.fq.attach(id);
        true
    }

    fn send(&mut self, _msg: &mut Msg, _pipes: &mut Pipes) -> Result<()> {
        Err(Error::NotSupported)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.fq.recv(pipes).map(|(msg, _)| msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    fn read_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.fq.activate(id);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.fq.terminated(id);
    }
}
