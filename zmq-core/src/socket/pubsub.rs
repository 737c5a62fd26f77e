//! PUB, XPUB, SUB and XSUB (RFC 29 publish-subscribe).
//!
//! Subscriptions travel upstream as single-frame messages: 0x01 + topic to
//! subscribe, 0x00 + topic to cancel. Publishers keep them in a MultiTrie
//! (topic -> pipes) and send each message to the matching pipes;
//! subscribers keep theirs in a counted Trie and filter what arrives.

use std::collections::VecDeque;

use super::options::{
    bool_option, INVERT_MATCHING, SUBSCRIBE, UNSUBSCRIBE, XPUB_MANUAL, XPUB_NODROP, XPUB_VERBOSE,
    XPUB_VERBOSER, XPUB_WELCOME_MSG,
};
use super::{FairQueue, Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeId, Read, WriteError};
use crate::trie::{MultiTrie, Trie, Unsubscribed};

const SUBSCRIBE_BYTE: u8 = 1;
const CANCEL_BYTE: u8 = 0;

fn subscription_message(kind: u8, topic: &[u8]) -> Result<Msg> {
    let mut msg = Msg::with_size(topic.len() + 1)?;
    let data = msg.as_mut_slice();
    data[0] = kind;
    data[1..].copy_from_slice(topic);
    Ok(msg)
}

/// The publishing side, shared by PUB (which never receives) and XPUB.
#[derive(Default)]
struct Publisher {
    subscriptions: MultiTrie<PipeId>,
    pipes: Vec<PipeId>,
    /// Pipes the message being sent goes to.
    targets: Vec<PipeId>,
    more_out: bool,
    /// Subscription (and other upstream) messages for the application,
    /// with the pipe each came from.
    pending: VecDeque<(Msg, PipeId)>,
    /// The pipe of the last message received (ZMQ_XPUB_MANUAL applies
    /// ZMQ_SUBSCRIBE to it).
    last_pipe: Option<PipeId>,
    deliver: bool,
    nodrop: bool,
    verbose: bool,
    verboser: bool,
    manual: bool,
    invert: bool,
    welcome: Option<Vec<u8>>,
}

impl Publisher {
    fn new(deliver: bool) -> Publisher {
        Publisher {
            deliver,
            ..Publisher::default()
        }
    }

    /// Takes every message a subscriber pipe has sent.
    fn read_upstream(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        while let Read::Msg(msg) = pipes.read(pipe) {
            self.upstream(msg, pipe);
        }
    }

    fn upstream(&mut self, msg: Msg, pipe: PipeId) {
        let data = msg.as_slice();
        let is_subscription =
            !msg.more() && matches!(data.first(), Some(&SUBSCRIBE_BYTE) | Some(&CANCEL_BYTE));
        // Other messages, and everything under ZMQ_XPUB_MANUAL, go to the
        // application as they are.
        let deliver = if !is_subscription || self.manual {
            true
        } else if data[0] == SUBSCRIBE_BYTE {
            let new = self.subscriptions.add(&data[1..], pipe);
            new || self.verbose || self.verboser
        } else {
            // As libzmq: a cancel goes up unless other pipes keep the topic
            // (a cancel of something never subscribed goes up too).
            let result = self.subscriptions.unsubscribe(&data[1..], pipe);
            result != Unsubscribed::OthersRemain || self.verboser
        };
        if deliver && self.deliver {
            self.pending.push_back((msg, pipe));
        }
    }

    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.pipes.push(pipe);
        if let Some(welcome) = &self.welcome {
            if let Ok(msg) = Msg::from_slice(welcome) {
                // A full or gone pipe misses the welcome.
                let _ = pipes.write(pipe, msg);
            }
        }
        self.read_upstream(pipe, pipes);
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.pipes.retain(|&p| p != pipe);
        self.targets.retain(|&p| p != pipe);
        let deliver = self.deliver && !self.manual;
        let pending = &mut self.pending;
        self.subscriptions.remove_pipe(pipe, |topic| {
            if deliver {
                if let Ok(msg) = subscription_message(CANCEL_BYTE, topic) {
                    pending.push_back((msg, pipe));
                }
            }
        });
    }

    fn choose_targets(&mut self, data: &[u8]) {
        self.targets.clear();
        let targets = &mut self.targets;
        if self.invert {
            self.subscriptions
                .non_matching(data, self.pipes.iter().copied(), |p| targets.push(p));
        } else {
            self.subscriptions.matching(data, |p| targets.push(p));
        }
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if !self.more_out {
            self.choose_targets(msg.as_slice());
            if self.nodrop {
                for &target in &self.targets {
                    if let Some(pipe) = pipes.get(target) {
                        if pipe.check_write() == Err(WriteError::Full) {
                            return Err(Error::Again);
                        }
                    }
                }
            }
        }
        let frame = std::mem::take(msg);
        let more = frame.more();
        let mut keep = Vec::with_capacity(self.targets.len());
        if let Some((&last, rest)) = self.targets.split_last() {
            for &target in rest {
                if pipes.write(target, frame.try_clone()).is_ok() {
                    keep.push(target);
                }
            }
            if pipes.write(last, frame).is_ok() {
                keep.push(last);
            }
        }
        // A subscriber that was full at the first frame misses the whole
        // message; later frames only go where the first went.
        self.targets = keep;
        self.more_out = more;
        Ok(())
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if !self.nodrop {
            return true;
        }
        let all = self.pipes.clone();
        all.into_iter().all(|p| pipes.check_write(p))
    }

    fn set_option(&mut self, option: i32, value: &[u8]) -> Result<bool> {
        match option {
            XPUB_VERBOSE => self.verbose = bool_option(value)?,
            XPUB_VERBOSER => self.verboser = bool_option(value)?,
            XPUB_NODROP => self.nodrop = bool_option(value)?,
            XPUB_MANUAL => self.manual = bool_option(value)?,
            INVERT_MATCHING => self.invert = bool_option(value)?,
            XPUB_WELCOME_MSG => self.welcome = (!value.is_empty()).then(|| value.to_vec()),
            SUBSCRIBE | UNSUBSCRIBE if self.manual => {
                if let Some(pipe) = self.last_pipe {
                    if option == SUBSCRIBE {
                        self.subscriptions.add(value, pipe);
                    } else {
                        self.subscriptions.remove(value, pipe);
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// PUB and XPUB: send to matching subscribers, dropping for those at
/// their HWM; XPUB also delivers the subscriptions to the application
/// (PUB never receives).
pub struct PubSocket(Publisher);

impl PubSocket {
    pub fn publisher() -> PubSocket {
        PubSocket(Publisher::new(false))
    }

    pub fn xpub() -> PubSocket {
        PubSocket(Publisher::new(true))
    }

    fn is_xpub(&self) -> bool {
        self.0.deliver
    }
}

impl Pattern for PubSocket {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        self.0.attach(id, pipes);
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.0.send(msg, pipes)
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg> {
        if !self.is_xpub() {
            return Err(Error::NotSupported);
        }
        let (msg, pipe) = self.0.pending.pop_front().ok_or(Error::Again)?;
        self.0.last_pipe = Some(pipe);
        Ok(msg)
    }

    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        !self.0.pending.is_empty()
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.0.has_out(pipes)
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.0.read_upstream(id, pipes);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.0.terminated(id);
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        let xpub_only = matches!(
            option,
            XPUB_VERBOSE | XPUB_VERBOSER | XPUB_MANUAL | XPUB_WELCOME_MSG | SUBSCRIBE | UNSUBSCRIBE
        );
        if xpub_only && !self.is_xpub() {
            return Ok(false);
        }
        self.0.set_option(option, value)
    }
}

/// The subscribing side, shared by SUB and XSUB.
#[derive(Default)]
struct Subscriber {
    fq: FairQueue,
    pipes: Vec<PipeId>,
    subscriptions: Trie,
    invert: bool,
    /// Delivering the rest of a matching message.
    more_in: bool,
    /// A matching first frame found by `has_in`.
    prefetched: Option<Msg>,
    /// Sending the rest of an upstream message (XSUB).
    more_out: bool,
}

impl Subscriber {
    fn matches(&self, data: &[u8]) -> bool {
        self.subscriptions.matches(data) != self.invert
    }

    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.pipes.push(pipe);
        self.fq.attach(pipe);
        let mut topics = Vec::new();
        self.subscriptions
            .for_each_prefix(|t| topics.push(t.to_vec()));
        for topic in topics {
            if let Ok(msg) = subscription_message(SUBSCRIBE_BYTE, &topic) {
                let _ = pipes.write(pipe, msg);
            }
        }
    }

    /// Sends a frame upstream to every publisher (those at their HWM miss
    /// it).
    fn send_upstream(&mut self, msg: Msg, pipes: &mut Pipes) {
        if let Some((&last, rest)) = self.pipes.split_last() {
            for &pipe in rest {
                let _ = pipes.write(pipe, msg.try_clone());
            }
            let _ = pipes.write(last, msg);
        }
    }

    /// Applies and forwards a message the application sends upstream.
    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        let frame = std::mem::take(msg);
        let first = !self.more_out;
        self.more_out = frame.more();
        if first && !frame.more() {
            let data = frame.as_slice();
            match data.first() {
                // Every subscribe goes up: the publisher side counts and
                // de-duplicates.
                Some(&SUBSCRIBE_BYTE) => {
                    self.subscriptions.add(&data[1..]);
                }
                // A cancel goes up when the last subscription goes.
                Some(&CANCEL_BYTE) if !self.subscriptions.remove(&data[1..]) => return Ok(()),
                _ => {}
            }
        }
        self.send_upstream(frame, pipes);
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if let Some(msg) = self.prefetched.take() {
            self.more_in = msg.more();
            return Ok(msg);
        }
        loop {
            let (msg, _) = self.fq.recv(pipes)?;
            if self.more_in {
                self.more_in = msg.more();
                return Ok(msg);
            }
            if self.matches(msg.as_slice()) {
                self.more_in = msg.more();
                return Ok(msg);
            }
            if msg.more() {
                self.fq.skip_rest(pipes);
            }
        }
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more_in || self.prefetched.is_some() {
            return true;
        }
        loop {
            match self.fq.recv(pipes) {
                Ok((msg, _)) if self.matches(msg.as_slice()) => {
                    self.prefetched = Some(msg);
                    return true;
                }
                Ok((msg, _)) => {
                    if msg.more() {
                        self.fq.skip_rest(pipes);
                    }
                }
                Err(_) => return false,
            }
        }
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.pipes.retain(|&p| p != pipe);
        self.fq.terminated(pipe);
    }
}

/// SUB and XSUB: filter what arrives by their subscriptions. SUB takes
/// them as ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE and never sends; XSUB takes
/// them as messages the application sends.
pub struct SubSocket {
    inner: Subscriber,
    xsub: bool,
}

impl SubSocket {
    pub fn subscriber() -> SubSocket {
        SubSocket {
            inner: Subscriber::default(),
            xsub: false,
        }
    }

    pub fn xsub() -> SubSocket {
        SubSocket {
            inner: Subscriber::default(),
            xsub: true,
        }
    }
}

impl Pattern for SubSocket {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        self.inner.attach(id, pipes);
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if !self.xsub {
            return Err(Error::NotSupported);
        }
        self.inner.send(msg, pipes)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.inner.recv(pipes)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.inner.has_in(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        self.xsub
    }

    fn read_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.inner.fq.activate(id);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.inner.terminated(id);
    }

    fn set_option(&mut self, option: i32, value: &[u8], pipes: &mut Pipes) -> Result<bool> {
        let kind = match option {
            INVERT_MATCHING => {
                self.inner.invert = bool_option(value)?;
                return Ok(true);
            }
            SUBSCRIBE if !self.xsub => SUBSCRIBE_BYTE,
            UNSUBSCRIBE if !self.xsub => CANCEL_BYTE,
            _ => return Ok(false),
        };
        let mut msg = subscription_message(kind, value)?;
        self.inner.send(&mut msg, pipes)?;
        Ok(true)
    }
}
