//! DEALER, ROUTER, REQ and REP (RFC 28 request-reply).

use std::collections::HashMap;

use super::options::{
    bool_option, PROBE_ROUTER, REQ_CORRELATE, REQ_RELAXED, ROUTER_HANDOVER, ROUTER_MANDATORY,
};
use super::{FairQueue, LoadBalancer, Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeId, WriteError};

/// Sends an empty message to a new peer (ZMQ_PROBE_ROUTER).
fn probe(id: PipeId, pipes: &mut Pipes) {
    // A full or closed pipe simply misses the probe.
    let _ = pipes.write(id, Msg::new());
}

/// DEALER: load-balances out, fair-queues in.
#[derive(Default)]
pub struct Dealer {
    lb: LoadBalancer,
    fq: FairQueue,
    probe_router: bool,
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

/// ROUTER: every peer has a routing id; received messages are prefixed
/// with it, and sent messages start with the id of the peer to reach.
pub struct Router {
    fq: FairQueue,
    by_id: HashMap<Vec<u8>, PipeId>,
    ids: HashMap<PipeId, Vec<u8>>,
    /// Counter of generated ids (0x00 + 4 bytes big-endian).
    next_id: u32,
    mandatory: bool,
    handover: bool,
    probe_router: bool,
    /// The body frame of a message whose id frame was just returned.
    prefetched: Option<Msg>,
    /// In the middle of receiving a message.
    more_in: bool,
    /// In the middle of sending a message: to this pipe, or dropped.
    sending: Option<Option<PipeId>>,
    /// Pipes of connections made before their peer bound: the peer's id is
    /// learnt when it first speaks.
    unidentified: Vec<PipeId>,
}

impl Default for Router {
    fn default() -> Router {
        let mut seed = [0u8; 4];
        // Without randomness the ids still work; they start at zero.
        let _ = getrandom::getrandom(&mut seed);
        Router {
            fq: FairQueue::default(),
            by_id: HashMap::new(),
            ids: HashMap::new(),
            next_id: u32::from_be_bytes(seed),
            mandatory: false,
            handover: false,
            probe_router: false,
            prefetched: None,
            more_in: false,
            sending: None,
            unidentified: Vec::new(),
        }
    }
}

impl Router {
    fn generated_id(&mut self) -> Vec<u8> {
        loop {
            let mut id = vec![0u8];
            id.extend_from_slice(&self.next_id.to_be_bytes());
            self.next_id = self.next_id.wrapping_add(1);
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    /// Gives a pipe its routing id: the peer's own, else a generated one.
    /// False if the id is taken and ZMQ_ROUTER_HANDOVER is off.
    fn identify(&mut self, pipe: PipeId, pipes: &mut Pipes) -> bool {
        let announced = pipes
            .get(pipe)
            .map(|p| p.peer_routing_id())
            .unwrap_or_default();
        let id = if announced.is_empty() {
            self.generated_id()
        } else if let Some(&old) = self.by_id.get(&announced) {
            if !self.handover {
                return false;
            }
            // The new connection takes the id over; the old one goes.
            self.forget(old);
            self.fq.terminated(old);
            pipes.mark_dead(old);
            announced
        } else {
            announced
        };
        self.by_id.insert(id.clone(), pipe);
        self.ids.insert(pipe, id);
        if self.probe_router {
            probe(pipe, pipes);
        }
        self.fq.attach(pipe);
        true
    }

    fn forget(&mut self, pipe: PipeId) {
        if let Some(id) = self.ids.remove(&pipe) {
            if self.by_id.get(&id) == Some(&pipe) {
                self.by_id.remove(&id);
            }
        }
    }
}

impl Pattern for Router {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) -> bool {
        let Some(end) = pipes.get(pipe) else {
            return false;
        };
        if end.peer_routing_id().is_empty() && !end.peer_attached() {
            // Connected before the peer bound: its id is not known yet.
            self.unidentified.push(pipe);
            return true;
        }
        self.identify(pipe, pipes)
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        let more = msg.more();
        match self.sending {
            None => {
                // The first frame names the peer; a lone frame is dropped.
                if !more {
                    std::mem::take(msg);
                    return Ok(());
                }
                let target = self.by_id.get(msg.as_slice()).copied();
                let target = match target {
                    Some(pipe) => match pipes.get(pipe).map(|p| p.check_write()) {
                        Some(Ok(())) => Some(pipe),
                        Some(Err(WriteError::Full)) if self.mandatory => return Err(Error::Again),
                        _ => None,
                    },
                    None if self.mandatory => return Err(Error::HostUnreachable),
                    None => None,
                };
                self.sending = Some(target);
                std::mem::take(msg);
                Ok(())
            }
            Some(target) => {
                let frame = std::mem::take(msg);
                if let Some(pipe) = target {
                    if pipes.write(pipe, frame).is_err() {
                        // The peer went mid-message: drop the rest.
                        self.sending = Some(None);
                    }
                }
                if !more {
                    self.sending = None;
                }
                Ok(())
            }
        }
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if let Some(body) = self.prefetched.take() {
            self.more_in = body.more();
            return Ok(body);
        }
        let (msg, pipe) = self.fq.recv(pipes)?;
        if self.more_in {
            self.more_in = msg.more();
            return Ok(msg);
        }
        let Some(id) = self.ids.get(&pipe) else {
            // A pipe without an id (cannot happen after attach): drop.
            self.fq.skip_rest(pipes);
            return Err(Error::Again);
        };
        let mut frame = Msg::from_slice(id)?;
        frame.set_more(true);
        self.more_in = true;
        self.prefetched = Some(msg);
        Ok(frame)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.prefetched.is_some() || self.fq.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        // A ROUTER can always send (unroutable messages are dropped),
        // unless ZMQ_ROUTER_MANDATORY asks for a peer with room.
        if !self.mandatory {
            return true;
        }
        let candidates: Vec<PipeId> = self.ids.keys().copied().collect();
        candidates.into_iter().any(|p| pipes.check_write(p))
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        if let Some(i) = self.unidentified.iter().position(|&p| p == id) {
            self.unidentified.remove(i);
            if !self.identify(id, pipes) {
                pipes.mark_dead(id);
            }
            return;
        }
        self.fq.activate(id);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.unidentified.retain(|&p| p != id);
        self.forget(id);
        self.fq.terminated(id);
        if self.sending == Some(Some(id)) {
            self.sending = Some(None);
        }
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        match option {
            ROUTER_MANDATORY => self.mandatory = bool_option(value)?,
            ROUTER_HANDOVER => self.handover = bool_option(value)?,
            PROBE_ROUTER => self.probe_router = bool_option(value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// REQ: send a request, receive its reply, in strict turn (unless
/// ZMQ_REQ_RELAXED); requests carry an empty delimiter frame, and with
/// ZMQ_REQ_CORRELATE a request id before it.
pub struct Req {
    lb: LoadBalancer,
    fq: FairQueue,
    /// A request was sent and its reply not yet received.
    receiving_reply: bool,
    /// The next frame sent starts a request.
    message_begins: bool,
    /// The pipe the request went to; replies from others are dropped.
    reply_pipe: Option<PipeId>,
    /// In the middle of delivering a reply.
    reply_more: bool,
    request_id: u32,
    relaxed: bool,
    correlate: bool,
}

impl Default for Req {
    fn default() -> Req {
        let mut seed = [0u8; 4];
        let _ = getrandom::getrandom(&mut seed);
        Req {
            lb: LoadBalancer::default(),
            fq: FairQueue::default(),
            receiving_reply: false,
            message_begins: true,
            reply_pipe: None,
            reply_more: false,
            request_id: u32::from_ne_bytes(seed),
            relaxed: false,
            correlate: false,
        }
    }
}

impl Req {
    /// Reads the start of the next reply from the request's pipe: checks
    /// the request id and delimiter, and returns the first body frame.
    /// (The fair-queue keeps to one pipe while a message lasts, so the
    /// frames after the first come from the same pipe.)
    fn reply_start(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        loop {
            let (mut frame, pipe) = self.fq.recv(pipes)?;
            if Some(pipe) != self.reply_pipe {
                self.fq.skip_rest(pipes);
                continue;
            }
            if self.correlate {
                if !frame.more() || frame.as_slice() != self.request_id.to_ne_bytes() {
                    self.fq.skip_rest(pipes);
                    continue;
                }
                frame = self.fq.recv(pipes)?.0;
            }
            if !frame.more() || !frame.is_empty() {
                self.fq.skip_rest(pipes);
                continue;
            }
            return Ok(self.fq.recv(pipes)?.0);
        }
    }
}

impl Pattern for Req {
    fn attach(&mut self, id: PipeId, _pipes: &mut Pipes) -> bool {
        self.lb.attach(id);
        self.fq.attach(id);
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if self.receiving_reply {
            if !self.relaxed {
                return Err(Error::State);
            }
            self.receiving_reply = false;
            self.message_begins = true;
        }
        if self.message_begins {
            // Check for room first: the envelope and the first frame go
            // out together.
            if !self.lb.has_out(pipes) {
                return Err(Error::Again);
            }
            self.reply_pipe = None;
            if self.correlate {
                self.request_id = self.request_id.wrapping_add(1);
                let mut id = Msg::from_slice(&self.request_id.to_ne_bytes())?;
                id.set_more(true);
                self.reply_pipe = self.lb.send_to(&mut id, pipes)?;
            }
            let mut delimiter = Msg::new();
            delimiter.set_more(true);
            let pipe = self.lb.send_to(&mut delimiter, pipes)?;
            if self.reply_pipe.is_none() {
                self.reply_pipe = pipe;
            }
            self.message_begins = false;
        }
        let last = !msg.more();
        self.lb.send(msg, pipes)?;
        if last {
            self.message_begins = true;
            self.receiving_reply = true;
            self.reply_more = false;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if !self.receiving_reply {
            return Err(Error::State);
        }
        let msg = if self.reply_more {
            self.fq.recv(pipes)?.0
        } else {
            self.reply_start(pipes)?
        };
        self.reply_more = msg.more();
        if !self.reply_more {
            self.receiving_reply = false;
        }
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.receiving_reply && (self.reply_more || self.fq.has_in(pipes))
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.receiving_reply && !self.relaxed {
            return false;
        }
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
        if self.reply_pipe == Some(id) {
            self.reply_more = false;
        }
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        match option {
            REQ_RELAXED => self.relaxed = bool_option(value)?,
            REQ_CORRELATE => self.correlate = bool_option(value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// REP: receive a request, send its reply, in strict turn; the routing
/// envelope (frames up to the empty delimiter) goes back with the reply.
#[derive(Default)]
pub struct Rep {
    fq: FairQueue,
    /// A request was received and its reply not yet sent.
    sending_reply: bool,
    /// In the middle of delivering a request.
    request_more: bool,
    /// The envelope and pipe of the request being answered.
    envelope: Vec<Msg>,
    reply_pipe: Option<PipeId>,
    /// In the middle of sending a reply.
    reply_started: bool,
}

impl Rep {
    /// Reads the next request's envelope; returns its first body frame.
    /// (The fair-queue keeps to one pipe while a message lasts.)
    fn request_start(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        'requests: loop {
            let (mut frame, pipe) = self.fq.recv(pipes)?;
            self.envelope.clear();
            loop {
                if !frame.more() {
                    // No delimiter: not a request.
                    self.envelope.clear();
                    continue 'requests;
                }
                let delimiter = frame.is_empty();
                self.envelope.push(frame);
                frame = self.fq.recv(pipes)?.0;
                if delimiter {
                    self.reply_pipe = Some(pipe);
                    return Ok(frame);
                }
            }
        }
    }
}

impl Pattern for Rep {
    fn attach(&mut self, id: PipeId, _pipes: &mut Pipes) -> bool {
        self.fq.attach(id);
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if !self.sending_reply {
            return Err(Error::State);
        }
        let pipe = self.reply_pipe;
        if !self.reply_started {
            self.reply_started = true;
            for frame in self.envelope.drain(..) {
                if let Some(pipe) = pipe {
                    // A gone or full peer loses its reply, as with ROUTER.
                    let _ = pipes.write(pipe, frame);
                }
            }
        }
        let frame = std::mem::take(msg);
        let last = !frame.more();
        if let Some(pipe) = pipe {
            let _ = pipes.write(pipe, frame);
        }
        if last {
            self.sending_reply = false;
            self.reply_started = false;
            self.reply_pipe = None;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if self.sending_reply {
            return Err(Error::State);
        }
        let msg = if self.request_more {
            self.fq.recv(pipes)?.0
        } else {
            self.request_start(pipes)?
        };
        self.request_more = msg.more();
        if !self.request_more {
            self.sending_reply = true;
        }
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        !self.sending_reply && (self.request_more || self.fq.has_in(pipes))
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        self.sending_reply
    }

    fn read_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.fq.activate(id);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.fq.terminated(id);
        if self.reply_pipe == Some(id) {
            self.reply_pipe = None;
            self.request_more = false;
        }
    }
}
