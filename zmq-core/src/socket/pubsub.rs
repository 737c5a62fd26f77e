//! PUB, XPUB, SUB and XSUB (RFC 29 publish-subscribe).
//!
//! Subscriptions travel upstream as frames: 0x01 + topic to subscribe,
//! 0x00 + topic to cancel. Publishers keep them in a [`MultiTrie`] (topic
//! -> pipes) and send each message to the pipes subscribed to a prefix of
//! its first frame; SUB keeps its own in a counted [`Trie`] and filters
//! what arrives. As in libzmq 4.3, every frame from a subscriber is looked
//! at on its own (a frame of a multipart message can be a subscription),
//! and XSUB does not filter: it receives whatever its publishers send.

use std::collections::VecDeque;

use super::options::{
    bool_option, int_value, put_int, INVERT_MATCHING, ONLY_FIRST_SUBSCRIBE, SUBSCRIBE,
    TOPICS_COUNT, UNSUBSCRIBE, XPUB_MANUAL, XPUB_MANUAL_LAST_VALUE, XPUB_NODROP, XPUB_VERBOSE,
    XPUB_VERBOSER, XPUB_WELCOME_MSG, XSUB_VERBOSE_UNSUBSCRIBE,
};
use super::{FairQueue, Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeId, Read, WriteError};
use crate::trie::{MultiTrie, Trie, Unsubscribed};

const SUBSCRIBE_BYTE: u8 = 1;
const CANCEL_BYTE: u8 = 0;

/// What a frame going upstream means.
enum Upstream<'a> {
    Subscribe(&'a [u8]),
    Cancel(&'a [u8]),
    /// Anything else (including an empty frame): a message for XPUB's
    /// application.
    Other,
}

fn classify(data: &[u8]) -> Upstream<'_> {
    match data.split_first() {
        Some((&SUBSCRIBE_BYTE, topic)) => Upstream::Subscribe(topic),
        Some((&CANCEL_BYTE, topic)) => Upstream::Cancel(topic),
        _ => Upstream::Other,
    }
}

/// Which frames of a message going upstream count as subscriptions. By
/// default every frame is looked at; under ZMQ_ONLY_FIRST_SUBSCRIBE a
/// message whose first frame is no subscription is data throughout (and
/// one whose first frame is one is read as libzmq reads it: every frame).
#[derive(Default)]
struct UpstreamFrames {
    only_first: bool,
    /// The frame before was not the last of its message.
    more: bool,
    subscriptions: bool,
}

impl UpstreamFrames {
    /// How this frame is to be taken.
    fn classify<'a>(&mut self, frame: &'a Msg) -> Upstream<'a> {
        let kind = classify(frame.as_slice());
        if !self.more {
            self.subscriptions = !self.only_first || !matches!(kind, Upstream::Other);
        }
        self.more = frame.more();
        if self.subscriptions {
            kind
        } else {
            Upstream::Other
        }
    }
}

fn subscription_message(kind: u8, topic: &[u8]) -> Result<Msg> {
    let mut msg = Msg::with_size(topic.len() + 1)?;
    let data = msg.as_mut_slice();
    data[0] = kind;
    data[1..].copy_from_slice(topic);
    Ok(msg)
}

/// ZMQ_INVERT_MATCHING takes any int (libzmq does not range-check it).
fn invert_option(value: &[u8]) -> Result<bool> {
    Ok(int_value(value)? != 0)
}

/// Where a message waiting for the XPUB application came from; receiving
/// it sets the pipe ZMQ_XPUB_MANUAL's ZMQ_SUBSCRIBE applies to.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// A subscription or cancel this pipe sent.
    Pipe(PipeId),
    /// A cancel made up for a pipe that went away: nothing to apply to.
    Gone,
    /// A message that is not a subscription: the target stays as it was.
    Other,
}

/// The publishing side, shared by PUB (whose application never receives)
/// and XPUB.
struct Publisher {
    xpub: bool,
    subscriptions: MultiTrie<PipeId>,
    /// Under ZMQ_XPUB_MANUAL, what each pipe asked for (the application
    /// decides what is applied), to cancel when the pipe goes.
    requested: MultiTrie<PipeId>,
    pipes: Vec<PipeId>,
    /// Pipes the message being sent goes to (reused: no allocation per
    /// message once it has grown).
    targets: Vec<PipeId>,
    more_out: bool,
    /// Messages for the XPUB application.
    pending: VecDeque<(Msg, Origin)>,
    /// The pipe ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE apply to under
    /// ZMQ_XPUB_MANUAL: that of the last subscription received.
    last_pipe: Option<PipeId>,
    /// ZMQ_XPUB_MANUAL_LAST_VALUE: the next message goes to `last_pipe`
    /// only (the new subscriber's snapshot), if it matches there.
    send_last_pipe: bool,
    upstream_frames: UpstreamFrames,
    verbose_subs: bool,
    verbose_unsubs: bool,
    /// Drop for subscribers at their HWM (off with ZMQ_XPUB_NODROP).
    lossy: bool,
    manual: bool,
    invert: bool,
    welcome: Option<Msg>,
}

impl Publisher {
    fn new(xpub: bool) -> Publisher {
        Publisher {
            xpub,
            subscriptions: MultiTrie::new(),
            requested: MultiTrie::new(),
            pipes: Vec::new(),
            targets: Vec::new(),
            more_out: false,
            pending: VecDeque::new(),
            last_pipe: None,
            send_last_pipe: false,
            upstream_frames: UpstreamFrames::default(),
            verbose_subs: false,
            verbose_unsubs: false,
            lossy: true,
            manual: false,
            invert: false,
            welcome: None,
        }
    }

    /// Takes every frame a subscriber pipe has sent.
    fn read_upstream(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        while let Read::Msg(msg) = pipes.read(pipe) {
            self.upstream(msg, pipe);
        }
    }

    fn upstream(&mut self, mut msg: Msg, pipe: PipeId) {
        let notify = match self.upstream_frames.classify(&msg) {
            Upstream::Other => {
                // PUB drops them; XPUB passes them on with their flags.
                if self.xpub {
                    self.pending.push_back((msg, Origin::Other));
                }
                return;
            }
            // The application applies what it wants; it sees every request.
            Upstream::Subscribe(topic) if self.manual => {
                self.requested.add(topic, pipe);
                true
            }
            Upstream::Cancel(topic) if self.manual => {
                self.requested.remove(topic, pipe);
                true
            }
            Upstream::Subscribe(topic) => self.subscriptions.add(topic, pipe) || self.verbose_subs,
            // As libzmq: a cancel is reported unless other pipes keep the
            // topic (a cancel of something never subscribed is reported too).
            Upstream::Cancel(topic) => {
                self.subscriptions.unsubscribe(topic, pipe) != Unsubscribed::OthersRemain
                    || self.verbose_unsubs
            }
        };
        if notify && self.xpub {
            // A subscription is delivered as a message of its own.
            msg.set_more(false);
            self.pending.push_back((msg, Origin::Pipe(pipe)));
        }
    }

    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.pipes.push(pipe);
        if let Some(welcome) = &self.welcome {
            // A pipe already full misses it.
            let _ = pipes.write(pipe, welcome.try_clone());
        }
        self.read_upstream(pipe, pipes);
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.pipes.retain(|&p| p != pipe);
        self.targets.retain(|&p| p != pipe);
        if self.last_pipe == Some(pipe) {
            self.last_pipe = None;
        }
        let xpub = self.xpub;
        let pending = &mut self.pending;
        let mut cancel = |topic: &[u8]| {
            if xpub {
                if let Ok(msg) = subscription_message(CANCEL_BYTE, topic) {
                    pending.push_back((msg, Origin::Gone));
                }
            }
        };
        if self.manual || self.verbose_unsubs {
            // Every topic the pipe had is cancelled, whoever else keeps it
            // (under MANUAL: every topic it asked for).
            let table = if self.manual {
                &self.requested
            } else {
                &self.subscriptions
            };
            table.for_each_prefix(|topic, subscribers| {
                if subscribers.binary_search(&pipe).is_ok() {
                    cancel(topic);
                }
            });
            self.subscriptions.remove_pipe(pipe, |_| {});
        } else {
            // Only the topics nobody keeps.
            self.subscriptions.remove_pipe(pipe, cancel);
        }
        if !self.requested.is_empty() {
            self.requested.remove_pipe(pipe, |_| {});
        }
    }

    fn choose_targets(&mut self, first: &[u8]) {
        self.targets.clear();
        let targets = &mut self.targets;
        if self.manual && self.send_last_pipe {
            if let Some(last) = self.last_pipe.take() {
                // Only the last subscriber may match (inverted: all but it).
                let mut matches = false;
                self.subscriptions.matching(first, |p| matches |= p == last);
                if self.invert {
                    targets.extend(self.pipes.iter().filter(|&&p| p != last || !matches));
                } else if matches {
                    targets.push(last);
                }
                return;
            }
        }
        if self.invert {
            self.subscriptions
                .non_matching(first, self.pipes.iter().copied(), |p| targets.push(p));
        } else {
            self.subscriptions.matching(first, |p| targets.push(p));
        }
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if !self.more_out {
            self.choose_targets(msg.as_slice());
            if !self.lossy {
                // ZMQ_XPUB_NODROP: wait until every matching subscriber has
                // room (a full pipe wakes us when it drains).
                for &target in &self.targets {
                    if let Some(pipe) = pipes.get(target) {
                        if pipe.check_write() == Err(WriteError::Full) {
                            return Err(Error::Again);
                        }
                    }
                }
            }
        }
        let mut frame = std::mem::take(msg);
        let more = frame.more();
        // Copies share a large body; the last target gets the frame itself.
        // A subscriber full at the first frame misses the whole message:
        // later frames only go where the first went.
        let count = self.targets.len();
        let mut kept = 0;
        for i in 0..count {
            let target = self.targets[i];
            let copy = if i + 1 < count {
                frame.try_clone()
            } else {
                std::mem::take(&mut frame)
            };
            if pipes.write(target, copy).is_ok() {
                self.targets[kept] = target;
                kept += 1;
            }
        }
        self.targets.truncate(kept);
        self.more_out = more;
        Ok(())
    }

    fn recv(&mut self) -> Result<Msg> {
        let (msg, origin) = self.pending.pop_front().ok_or(Error::Again)?;
        match origin {
            // Unless the pipe went away meanwhile.
            Origin::Pipe(pipe) => self.last_pipe = self.pipes.contains(&pipe).then_some(pipe),
            Origin::Gone => self.last_pipe = None,
            Origin::Other => {}
        }
        Ok(msg)
    }

    fn set_option(&mut self, option: i32, value: &[u8]) -> Result<bool> {
        match option {
            // As libzmq: VERBOSE resets VERBOSER's half, VERBOSER sets both.
            XPUB_VERBOSE => {
                self.verbose_subs = bool_option(value)?;
                self.verbose_unsubs = false;
            }
            XPUB_VERBOSER => {
                let on = bool_option(value)?;
                self.verbose_subs = on;
                self.verbose_unsubs = on;
            }
            XPUB_NODROP => self.lossy = !bool_option(value)?,
            XPUB_MANUAL => self.manual = bool_option(value)?,
            // Manual mode too, on or off (libzmq).
            XPUB_MANUAL_LAST_VALUE => {
                self.manual = bool_option(value)?;
                self.send_last_pipe = self.manual;
            }
            ONLY_FIRST_SUBSCRIBE => self.upstream_frames.only_first = bool_option(value)?,
            INVERT_MATCHING => self.invert = invert_option(value)?,
            XPUB_WELCOME_MSG => {
                self.welcome = if value.is_empty() {
                    None
                } else {
                    Some(Msg::from_slice(value)?)
                };
            }
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
/// their HWM (or refusing with ZMQ_XPUB_NODROP); XPUB also hands the
/// subscriptions to the application. PUB takes XPUB's options too, as in
/// libzmq.
pub struct PubSocket(Publisher);

impl PubSocket {
    pub fn publisher() -> PubSocket {
        PubSocket(Publisher::new(false))
    }

    pub fn xpub() -> PubSocket {
        PubSocket(Publisher::new(true))
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
        if !self.0.xpub {
            return Err(Error::NotSupported);
        }
        self.0.recv()
    }

    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        !self.0.pending.is_empty()
    }

    /// Always, as libzmq: a publisher drops rather than blocks, and under
    /// ZMQ_XPUB_NODROP whether a send fits depends on the message's topic.
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.0.read_upstream(id, pipes);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.0.terminated(id);
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        self.0.set_option(option, value)
    }

    fn get_option(&self, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        match option {
            INVERT_MATCHING => put_int(out, i32::from(self.0.invert)).map(Some),
            // Distinct topics subscribed (under ZMQ_XPUB_MANUAL: applied).
            TOPICS_COUNT => put_int(out, count(self.0.subscriptions.len())).map(Some),
            _ => Ok(None),
        }
    }
}

/// A count as ZMQ_TOPICS_COUNT's int.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The subscribing side, shared by SUB and XSUB.
#[derive(Default)]
struct Subscriber {
    /// XSUB: no filtering, no ZMQ_SUBSCRIBE, the application sends.
    xsub: bool,
    fq: FairQueue,
    pipes: Vec<PipeId>,
    subscriptions: Trie,
    invert: bool,
    /// Delivering the rest of a message.
    more_in: bool,
    /// A wanted first frame found by `has_in`.
    prefetched: Option<Msg>,
    /// Frames have gone upstream and their message is not finished.
    more_out: bool,
    upstream_frames: UpstreamFrames,
    /// ZMQ_XSUB_VERBOSE_UNSUBSCRIBE: every cancel goes upstream, even of
    /// a topic still (or never) subscribed here.
    verbose_unsubscribe: bool,
}

impl Subscriber {
    fn new(xsub: bool) -> Subscriber {
        Subscriber {
            xsub,
            ..Subscriber::default()
        }
    }

    /// Whether a message with this first frame goes to the application.
    fn wanted(&self, first: &[u8]) -> bool {
        self.xsub || self.subscriptions.matches(first) != self.invert
    }

    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.pipes.push(pipe);
        self.fq.attach(pipe);
        self.resubscribe(pipe, pipes);
    }

    /// The publisher behind `pipe` learns every topic once (a new pipe, or
    /// a new connection behind it).
    fn resubscribe(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.subscriptions.for_each_prefix(|topic| {
            if let Ok(msg) = subscription_message(SUBSCRIBE_BYTE, topic) {
                let _ = pipes.write(pipe, msg);
            }
        });
    }

    /// Sends a frame to every publisher; those at their HWM miss it (as
    /// libzmq, which drops subscriptions there too).
    fn send_upstream(&self, mut frame: Msg, pipes: &mut Pipes) {
        let count = self.pipes.len();
        for (i, &pipe) in self.pipes.iter().enumerate() {
            let copy = if i + 1 < count {
                frame.try_clone()
            } else {
                std::mem::take(&mut frame)
            };
            let _ = pipes.write(pipe, copy);
        }
    }

    /// Applies and forwards a frame going upstream (from XSUB's
    /// application, or made from SUB's options).
    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        let frame = std::mem::take(msg);
        let forward = match self.upstream_frames.classify(&frame) {
            // Every subscribe goes up: the publisher de-duplicates (and
            // ZMQ_XPUB_VERBOSE wants to see them all).
            Upstream::Subscribe(topic) => {
                self.subscriptions.add(topic);
                true
            }
            // A cancel goes up when the last subscription to its topic
            // goes; an unneeded one is dropped, unless it ends a message
            // already on its way (dropping it would leave that unfinished).
            Upstream::Cancel(topic) => {
                self.subscriptions.remove(topic)
                    || self.verbose_unsubscribe
                    || (self.more_out && !frame.more())
            }
            Upstream::Other => true,
        };
        if forward {
            self.more_out = frame.more();
            self.send_upstream(frame, pipes);
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if let Some(msg) = self.prefetched.take() {
            self.more_in = msg.more();
            return Ok(msg);
        }
        loop {
            let (msg, _) = self.fq.recv(pipes)?;
            if self.more_in || self.wanted(msg.as_slice()) {
                self.more_in = msg.more();
                return Ok(msg);
            }
            // An unwanted message goes whole.
            if msg.more() {
                self.fq.skip_rest(pipes);
            }
        }
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more_in || self.prefetched.is_some() {
            return true;
        }
        if self.xsub {
            return self.fq.has_in(pipes);
        }
        // Only a wanted message counts: look for one and keep it.
        loop {
            match self.fq.recv(pipes) {
                Ok((msg, _)) if self.wanted(msg.as_slice()) => {
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

/// SUB and XSUB. SUB takes subscriptions as ZMQ_SUBSCRIBE /
/// ZMQ_UNSUBSCRIBE, filters what arrives and never sends; XSUB takes them
/// as messages the application sends, and receives everything.
pub struct SubSocket(Subscriber);

impl SubSocket {
    pub fn subscriber() -> SubSocket {
        SubSocket(Subscriber::new(false))
    }

    pub fn xsub() -> SubSocket {
        SubSocket(Subscriber::new(true))
    }
}

impl Pattern for SubSocket {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        self.0.attach(id, pipes);
        true
    }

    fn hiccuped(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.0.resubscribe(id, pipes);
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if !self.0.xsub {
            return Err(Error::NotSupported);
        }
        self.0.send(msg, pipes)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.0.recv(pipes)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.0.has_in(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        self.0.xsub
    }

    fn read_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.0.fq.activate(id);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.0.terminated(id);
    }

    fn set_option(&mut self, option: i32, value: &[u8], pipes: &mut Pipes) -> Result<bool> {
        let kind = match option {
            INVERT_MATCHING => {
                self.0.invert = invert_option(value)?;
                return Ok(true);
            }
            // XSUB only: SUB's frames are all subscriptions (libzmq's SUB
            // refuses the option).
            ONLY_FIRST_SUBSCRIBE if self.0.xsub => {
                self.0.upstream_frames.only_first = bool_option(value)?;
                return Ok(true);
            }
            // Any int, as libzmq takes it.
            XSUB_VERBOSE_UNSUBSCRIBE if self.0.xsub => {
                self.0.verbose_unsubscribe = int_value(value)? != 0;
                return Ok(true);
            }
            SUBSCRIBE if !self.0.xsub => SUBSCRIBE_BYTE,
            UNSUBSCRIBE if !self.0.xsub => CANCEL_BYTE,
            _ => return Ok(false),
        };
        let mut msg = subscription_message(kind, value)?;
        self.0.send(&mut msg, pipes)?;
        Ok(true)
    }

    fn get_option(&self, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        match option {
            INVERT_MATCHING => put_int(out, i32::from(self.0.invert)).map(Some),
            // Distinct topics subscribed here.
            TOPICS_COUNT => put_int(out, count(self.0.subscriptions.len())).map(Some),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{pair, Flow, PipeEnd};

    fn msg(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data).unwrap();
        m.set_more(more);
        m
    }

    fn int(v: i32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    /// The far end of one of the pattern's pipes.
    struct Peer {
        /// The id of the pattern's end.
        id: PipeId,
        end: PipeEnd,
    }

    impl Peer {
        fn frames(&mut self) -> Vec<(Vec<u8>, bool)> {
            let mut out = Vec::new();
            while let Read::Msg(m) = self.end.read() {
                out.push((m.as_slice().to_vec(), m.more()));
            }
            out
        }

        fn bodies(&mut self) -> Vec<Vec<u8>> {
            self.frames().into_iter().map(|(d, _)| d).collect()
        }
    }

    /// A pattern with its pipes, driven as the socket would drive it.
    struct Rig<P: Pattern> {
        pattern: P,
        pipes: Pipes,
    }

    impl<P: Pattern> Rig<P> {
        fn new(pattern: P) -> Self {
            Rig {
                pattern,
                pipes: Pipes::default(),
            }
        }

        /// Attaches a pipe whose peer has already sent `early`. `hwm`
        /// limits the pattern's outgoing direction.
        fn plug(&mut self, hwm: u64, early: &[&[u8]]) -> Peer {
            let (ours, mut end) = pair(Flow::queue(hwm), Flow::queue(0));
            for frame in early {
                end.write(msg(frame, false)).unwrap();
            }
            let id = ours.id();
            self.pipes.insert(ours);
            assert!(self.pattern.attach(id, &mut self.pipes));
            Peer { id, end }
        }

        /// The peer sends frames; the pattern is told.
        fn peer_sends(&mut self, peer: &mut Peer, frames: &[(&[u8], bool)]) {
            for &(data, more) in frames {
                peer.end.write(msg(data, more)).unwrap();
            }
            self.pattern.read_activated(peer.id, &mut self.pipes);
        }

        fn send(&mut self, data: &[u8], more: bool) -> Result<()> {
            let mut m = msg(data, more);
            self.pattern.send(&mut m, &mut self.pipes)
        }

        fn recv(&mut self) -> Result<(Vec<u8>, bool)> {
            self.pattern
                .recv(&mut self.pipes)
                .map(|m| (m.as_slice().to_vec(), m.more()))
        }

        fn recv_all(&mut self) -> Vec<Vec<u8>> {
            std::iter::from_fn(|| self.recv().ok().map(|(d, _)| d)).collect()
        }

        fn set(&mut self, option: i32, value: &[u8]) -> Result<bool> {
            self.pattern.set_option(option, value, &mut self.pipes)
        }

        fn get_int(&self, option: i32) -> Result<Option<i32>> {
            let mut out = [0u8; 4];
            Ok(self
                .pattern
                .get_option(option, &mut out)?
                .map(|_| i32::from_ne_bytes(out)))
        }

        /// The peer goes away and the pattern is told, as the socket does.
        fn unplug(&mut self, peer: Peer) {
            peer.end.close(false);
            if let Some(ours) = self.pipes.remove(peer.id) {
                self.pattern.terminated(peer.id, &mut self.pipes);
                ours.close(false);
            }
        }
    }

    fn xpub_with(options: &[(i32, i32)]) -> Rig<PubSocket> {
        let mut rig = Rig::new(PubSocket::xpub());
        for &(option, value) in options {
            assert_eq!(rig.set(option, &int(value)), Ok(true));
        }
        rig
    }

    #[test]
    fn pub_sends_to_matching_subscribers_only() {
        let mut rig = Rig::new(PubSocket::publisher());
        let mut a = rig.plug(0, &[b"\x01a"]);
        let mut b = rig.plug(0, &[b"\x01b", b"\x01bb"]);
        let mut all = rig.plug(0, &[b"\x01"]);
        let mut none = rig.plug(0, &[]);
        for topic in [&b"apple"[..], b"banana", b"bbq", b"cherry", b""] {
            rig.send(topic, false).unwrap();
        }
        assert_eq!(a.bodies(), [&b"apple"[..]]);
        // A pipe subscribed to two prefixes of a message gets it once.
        assert_eq!(b.bodies(), [&b"banana"[..], b"bbq"]);
        assert_eq!(all.bodies().len(), 5);
        assert!(none.bodies().is_empty());
        assert_eq!(rig.recv(), Err(Error::NotSupported));
        assert!(!rig.pattern.has_in(&mut rig.pipes));
        assert!(rig.pattern.has_out(&mut rig.pipes));
    }

    #[test]
    fn pub_applies_subscriptions_as_they_arrive_and_drops_the_rest() {
        let mut rig = Rig::new(PubSocket::publisher());
        let mut a = rig.plug(0, &[]);
        rig.send(b"x1", false).unwrap();
        rig.peer_sends(&mut a, &[(b"\x01x", false)]);
        rig.send(b"x2", false).unwrap();
        rig.peer_sends(
            &mut a,
            &[(b"\x00x", false), (b"hello", false), (b"", false)],
        );
        rig.send(b"x3", false).unwrap();
        assert_eq!(a.bodies(), [&b"x2"[..]]);
        assert!(rig.pattern.0.pending.is_empty());
    }

    #[test]
    fn multipart_goes_whole_where_its_first_frame_goes() {
        let mut rig = Rig::new(PubSocket::publisher());
        let mut small = rig.plug(1, &[b"\x01t"]);
        let mut big = rig.plug(0, &[b"\x01t"]);
        rig.send(b"t1", false).unwrap();
        // `small` is full: it misses the whole next message, `big` gets it.
        rig.send(b"t2", true).unwrap();
        rig.send(b"\x01t", true).unwrap();
        rig.send(b"end", false).unwrap();
        rig.send(b"other", false).unwrap();
        assert_eq!(small.bodies(), [&b"t1"[..]]);
        assert_eq!(
            big.frames(),
            [
                (b"t1".to_vec(), false),
                (b"t2".to_vec(), true),
                (b"\x01t".to_vec(), true),
                (b"end".to_vec(), false),
            ]
        );
        // With room again, it gets the next one.
        rig.send(b"t3", false).unwrap();
        assert_eq!(small.bodies(), [&b"t3"[..]]);
    }

    #[test]
    fn a_subscriber_joining_mid_message_waits_for_the_next() {
        let mut rig = Rig::new(PubSocket::publisher());
        let mut first = rig.plug(0, &[b"\x01"]);
        rig.send(b"a", true).unwrap();
        let mut late = rig.plug(0, &[b"\x01"]);
        rig.send(b"b", false).unwrap();
        rig.send(b"c", false).unwrap();
        assert_eq!(first.bodies(), [&b"a"[..], b"b", b"c"]);
        assert_eq!(late.bodies(), [&b"c"[..]]);
    }

    #[test]
    fn large_messages_are_shared_not_copied() {
        let mut rig = Rig::new(PubSocket::publisher());
        let mut peers: Vec<Peer> = (0..3).map(|_| rig.plug(0, &[b"\x01"])).collect();
        let body = vec![7u8; 4096];
        rig.send(&body, false).unwrap();
        let received: Vec<Msg> = peers
            .iter_mut()
            .map(|p| match p.end.read() {
                Read::Msg(m) => m,
                other => panic!("{other:?}"),
            })
            .collect();
        let first = received[0].as_slice().as_ptr();
        for m in &received {
            assert_eq!(m.as_slice(), &body[..]);
            assert_eq!(m.as_slice().as_ptr(), first);
        }
    }

    #[test]
    fn xpub_reports_new_topics_once() {
        let mut rig = xpub_with(&[]);
        let mut a = rig.plug(0, &[b"\x01x", b"\x01x", b"\x01y"]);
        let mut b = rig.plug(0, &[b"\x01x"]);
        assert!(rig.pattern.has_in(&mut rig.pipes));
        assert_eq!(rig.recv_all(), [&b"\x01x"[..], b"\x01y"]);
        // A cancel is reported when the last subscriber goes.
        rig.peer_sends(&mut a, &[(b"\x00x", false)]);
        assert!(rig.recv_all().is_empty());
        rig.peer_sends(&mut b, &[(b"\x00x", false)]);
        assert_eq!(rig.recv_all(), [&b"\x00x"[..]]);
        // A cancel for what the pipe never had is passed on, as libzmq.
        rig.peer_sends(&mut b, &[(b"\x00never", false)]);
        assert_eq!(rig.recv_all(), [&b"\x00never"[..]]);
        assert!(!rig.pattern.has_in(&mut rig.pipes));
        assert_eq!(rig.recv(), Err(Error::Again));
    }

    #[test]
    fn xpub_passes_other_messages_with_their_flags() {
        let mut rig = xpub_with(&[]);
        let mut a = rig.plug(0, &[]);
        rig.peer_sends(
            &mut a,
            &[
                (b"hello", true),
                (b"world", false),
                (b"", false),
                (b"\x01t", true),
                (b"tail", false),
            ],
        );
        assert_eq!(rig.recv(), Ok((b"hello".to_vec(), true)));
        assert_eq!(rig.recv(), Ok((b"world".to_vec(), false)));
        assert_eq!(rig.recv(), Ok((b"".to_vec(), false)));
        // A subscription is a message of its own, whatever its flag said.
        assert_eq!(rig.recv(), Ok((b"\x01t".to_vec(), false)));
        assert_eq!(rig.recv(), Ok((b"tail".to_vec(), false)));
    }

    #[test]
    fn verbose_reports_every_subscribe_verboser_every_cancel() {
        let mut rig = xpub_with(&[(XPUB_VERBOSE, 1)]);
        let mut a = rig.plug(0, &[b"\x01x", b"\x01x"]);
        let _b = rig.plug(0, &[b"\x01x"]);
        assert_eq!(rig.recv_all(), [&b"\x01x"[..], b"\x01x", b"\x01x"]);
        rig.peer_sends(&mut a, &[(b"\x00x", false)]);
        assert!(rig.recv_all().is_empty());

        let mut rig = xpub_with(&[(XPUB_VERBOSER, 1)]);
        let mut a = rig.plug(0, &[b"\x01x"]);
        let _b = rig.plug(0, &[b"\x01x"]);
        assert_eq!(rig.recv_all().len(), 2);
        rig.peer_sends(&mut a, &[(b"\x00x", false)]);
        assert_eq!(rig.recv_all(), [&b"\x00x"[..]]);
    }

    #[test]
    fn verbose_options_interact_as_in_libzmq() {
        let mut rig = xpub_with(&[(XPUB_VERBOSER, 1), (XPUB_VERBOSE, 1)]);
        assert!(rig.pattern.0.verbose_subs && !rig.pattern.0.verbose_unsubs);
        rig.set(XPUB_VERBOSER, &int(1)).unwrap();
        assert!(rig.pattern.0.verbose_subs && rig.pattern.0.verbose_unsubs);
        rig.set(XPUB_VERBOSE, &int(0)).unwrap();
        assert!(!rig.pattern.0.verbose_subs && !rig.pattern.0.verbose_unsubs);
    }

    #[test]
    fn a_leaving_subscriber_cancels_what_nobody_else_keeps() {
        let mut rig = xpub_with(&[]);
        let a = rig.plug(0, &[b"\x01a", b"\x01b", b"\x01c"]);
        let mut b = rig.plug(0, &[b"\x01a"]);
        rig.recv_all();
        rig.unplug(a);
        assert_eq!(rig.recv_all(), [&b"\x00b"[..], b"\x00c"]);
        rig.send(b"a1", false).unwrap();
        rig.send(b"b1", false).unwrap();
        assert_eq!(b.bodies(), [&b"a1"[..]]);
    }

    #[test]
    fn with_verboser_a_leaving_subscriber_cancels_everything_it_had() {
        let mut rig = xpub_with(&[(XPUB_VERBOSER, 1)]);
        let a = rig.plug(0, &[b"\x01a", b"\x01b"]);
        let _b = rig.plug(0, &[b"\x01a"]);
        rig.recv_all();
        rig.unplug(a);
        assert_eq!(rig.recv_all(), [&b"\x00a"[..], b"\x00b"]);
    }

    #[test]
    fn pub_reports_nothing_when_subscribers_leave() {
        let mut rig = Rig::new(PubSocket::publisher());
        let a = rig.plug(0, &[b"\x01a"]);
        rig.unplug(a);
        assert!(rig.pattern.0.pending.is_empty());
        assert!(rig.pattern.0.subscriptions.is_empty());
    }

    #[test]
    fn manual_lets_the_application_choose() {
        let mut rig = xpub_with(&[(XPUB_MANUAL, 1)]);
        // Nothing to apply to yet: accepted, ignored.
        assert_eq!(rig.set(SUBSCRIBE, b"x"), Ok(true));
        let mut a = rig.plug(0, &[b"\x01x", b"\x01x"]);
        let mut b = rig.plug(0, &[b"\x01y"]);
        // Every request is reported, nothing is applied.
        assert_eq!(rig.recv(), Ok((b"\x01x".to_vec(), false)));
        rig.send(b"x0", false).unwrap();
        assert!(a.bodies().is_empty());
        // ZMQ_SUBSCRIBE goes to the pipe of the last request received.
        rig.set(SUBSCRIBE, b"").unwrap();
        rig.send(b"x1", false).unwrap();
        assert_eq!(a.bodies(), [&b"x1"[..]]);
        assert!(b.bodies().is_empty());
        assert_eq!(rig.recv_all(), [&b"\x01x"[..], b"\x01y"]);
        rig.set(SUBSCRIBE, b"y").unwrap();
        rig.set(UNSUBSCRIBE, b"never").unwrap();
        rig.send(b"y1", false).unwrap();
        assert_eq!(a.bodies(), [&b"y1"[..]]);
        assert_eq!(b.bodies(), [&b"y1"[..]]);
        rig.set(UNSUBSCRIBE, b"y").unwrap();
        rig.send(b"y2", false).unwrap();
        assert!(b.bodies().is_empty());
        // A pipe leaving cancels everything it asked for.
        rig.unplug(a);
        assert_eq!(rig.recv_all(), [&b"\x00x"[..]]);
        // ...and a made-up cancel has no pipe to apply to.
        rig.set(SUBSCRIBE, b"").unwrap();
        rig.send(b"z", false).unwrap();
        assert!(b.bodies().is_empty());
        // Outside MANUAL, ZMQ_SUBSCRIBE is not an XPUB option.
        rig.set(XPUB_MANUAL, &int(0)).unwrap();
        assert_eq!(rig.set(SUBSCRIBE, b"x"), Ok(false));
    }

    #[test]
    fn last_value_sends_the_next_message_to_the_new_subscriber_only() {
        let mut rig = xpub_with(&[(XPUB_MANUAL_LAST_VALUE, 1)]);
        assert!(rig.pattern.0.manual);
        let mut a = rig.plug(0, &[b"\x01t"]);
        assert_eq!(rig.recv_all(), [&b"\x01t"[..]]);
        rig.set(SUBSCRIBE, b"t").unwrap();
        let mut b = rig.plug(0, &[b"\x01t"]);
        assert_eq!(rig.recv_all(), [&b"\x01t"[..]]);
        rig.set(SUBSCRIBE, b"t").unwrap();
        // The snapshot goes to b alone; what follows goes to both.
        rig.send(b"t snapshot", false).unwrap();
        rig.send(b"t update", false).unwrap();
        assert_eq!(a.bodies(), [&b"t update"[..]]);
        assert_eq!(b.bodies(), [&b"t snapshot"[..], b"t update"]);
        // A message the new subscriber does not match goes nowhere.
        let mut c = rig.plug(0, &[b"\x01u"]);
        rig.recv_all();
        rig.set(SUBSCRIBE, b"u").unwrap();
        rig.send(b"t other", false).unwrap();
        assert!(a.bodies().is_empty() && b.bodies().is_empty() && c.bodies().is_empty());
        // Off again: manual mode goes with it (libzmq).
        rig.set(XPUB_MANUAL_LAST_VALUE, &int(0)).unwrap();
        assert!(!rig.pattern.0.manual);
        assert_eq!(
            rig.set(XPUB_MANUAL_LAST_VALUE, &int(-1)),
            Err(Error::Invalid)
        );
        assert_eq!(
            rig.set(XPUB_MANUAL_LAST_VALUE, &[1, 0]),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn only_first_subscribe_makes_the_rest_of_a_data_message_data() {
        // Default: every frame is looked at.
        let mut rig = xpub_with(&[]);
        let mut p = rig.plug(0, &[]);
        rig.peer_sends(&mut p, &[(b"data", true), (b"\x01x", false)]);
        assert_eq!(rig.recv_all(), [&b"data"[..], b"\x01x"]);
        assert!(!rig.pattern.0.subscriptions.is_empty());

        let mut rig = xpub_with(&[(ONLY_FIRST_SUBSCRIBE, 1)]);
        let mut p = rig.plug(0, &[]);
        rig.peer_sends(
            &mut p,
            &[(b"data", true), (b"\x01x", true), (b"\x00y", false)],
        );
        assert_eq!(rig.recv(), Ok((b"data".to_vec(), true)));
        assert_eq!(rig.recv(), Ok((b"\x01x".to_vec(), true)));
        assert_eq!(rig.recv(), Ok((b"\x00y".to_vec(), false)));
        assert!(rig.pattern.0.subscriptions.is_empty());
        // A message that starts with a subscription is read as one
        // throughout (libzmq).
        rig.peer_sends(&mut p, &[(b"\x01a", true), (b"\x01b", false)]);
        assert_eq!(rig.recv_all(), [&b"\x01a"[..], b"\x01b"]);
        rig.send(b"b!", false).unwrap();
        assert_eq!(p.bodies(), [&b"b!"[..]]);
        assert_eq!(rig.set(ONLY_FIRST_SUBSCRIBE, &int(-1)), Err(Error::Invalid));
    }

    #[test]
    fn xsub_with_only_first_subscribe_forwards_data_messages_untouched() {
        let mut rig = Rig::new(SubSocket::xsub());
        assert_eq!(rig.set(ONLY_FIRST_SUBSCRIBE, &int(1)), Ok(true));
        let mut p = rig.plug(0, &[]);
        rig.send(b"data", true).unwrap();
        rig.send(b"\x01x", true).unwrap();
        rig.send(b"\x00never", false).unwrap();
        assert_eq!(p.bodies(), [&b"data"[..], b"\x01x", b"\x00never"]);
        assert!(!rig.pattern.0.subscriptions.contains(b"x"));
        rig.send(b"\x01y", false).unwrap();
        assert!(rig.pattern.0.subscriptions.contains(b"y"));
        // SUB takes no such option.
        let mut sub = sub_with_topics(&[]);
        assert_eq!(sub.set(ONLY_FIRST_SUBSCRIBE, &int(1)), Ok(false));
    }

    #[test]
    fn topics_count_counts_distinct_topics() {
        let mut rig = xpub_with(&[]);
        assert_eq!(rig.get_int(TOPICS_COUNT), Ok(Some(0)));
        let _a = rig.plug(0, &[b"\x01a", b"\x01b"]);
        let _b = rig.plug(0, &[b"\x01a"]);
        assert_eq!(rig.get_int(TOPICS_COUNT), Ok(Some(2)));
        let mut sub = sub_with_topics(&[b"x", b"y", b"x"]);
        assert_eq!(sub.get_int(TOPICS_COUNT), Ok(Some(2)));
        sub.set(UNSUBSCRIBE, b"y").unwrap();
        assert_eq!(sub.get_int(TOPICS_COUNT), Ok(Some(1)));
    }

    #[test]
    fn xsub_verbose_unsubscribe_sends_every_cancel() {
        let mut rig = Rig::new(SubSocket::xsub());
        let mut p = rig.plug(0, &[]);
        rig.send(b"\x01a", false).unwrap();
        rig.send(b"\x01a", false).unwrap();
        // Still subscribed once: the cancel stays here by default...
        rig.send(b"\x00a", false).unwrap();
        rig.send(b"\x00never", false).unwrap();
        assert_eq!(p.bodies(), [&b"\x01a"[..], b"\x01a"]);
        // ...and goes up with the option.
        assert_eq!(rig.set(XSUB_VERBOSE_UNSUBSCRIBE, &int(1)), Ok(true));
        rig.send(b"\x00never", false).unwrap();
        rig.send(b"\x00a", false).unwrap();
        assert_eq!(p.bodies(), [&b"\x00never"[..], b"\x00a"]);
        let mut sub = sub_with_topics(&[]);
        assert_eq!(sub.set(XSUB_VERBOSE_UNSUBSCRIBE, &int(1)), Ok(false));
    }

    #[test]
    fn manual_target_is_not_a_departed_pipe() {
        let mut rig = xpub_with(&[(XPUB_MANUAL, 1)]);
        let a = rig.plug(0, &[b"\x01x"]);
        let mut b = rig.plug(0, &[]);
        // Its request is still queued when the pipe goes.
        rig.unplug(a);
        assert_eq!(rig.recv_all(), [&b"\x01x"[..], b"\x00x"]);
        assert_eq!(rig.pattern.0.last_pipe, None);
        rig.set(SUBSCRIBE, b"").unwrap();
        assert!(rig.pattern.0.subscriptions.is_empty());
        rig.send(b"x", false).unwrap();
        assert!(b.bodies().is_empty());
    }

    #[test]
    fn nodrop_refuses_instead_of_dropping() {
        let mut rig = xpub_with(&[(XPUB_NODROP, 1)]);
        let mut a = rig.plug(2, &[b"\x01a"]);
        let mut b = rig.plug(0, &[b"\x01b"]);
        rig.send(b"a1", false).unwrap();
        rig.send(b"a2", false).unwrap();
        let mut m = msg(b"a3", false);
        assert_eq!(rig.pattern.send(&mut m, &mut rig.pipes), Err(Error::Again));
        // Left as it was, for the retry.
        assert_eq!(m.as_slice(), b"a3");
        // Other topics still go; POLLOUT stays on, as libzmq.
        rig.send(b"b1", false).unwrap();
        rig.send(b"nobody", false).unwrap();
        assert!(rig.pattern.has_out(&mut rig.pipes));
        assert_eq!(a.bodies(), [&b"a1"[..], b"a2"]);
        rig.pattern.send(&mut m, &mut rig.pipes).unwrap();
        assert_eq!(a.bodies(), [&b"a3"[..]]);
        assert_eq!(b.bodies(), [&b"b1"[..]]);
    }

    #[test]
    fn welcome_message_greets_each_new_subscriber() {
        let mut rig = xpub_with(&[]);
        rig.set(XPUB_WELCOME_MSG, b"hello").unwrap();
        let mut a = rig.plug(0, &[]);
        let mut b = rig.plug(0, &[]);
        assert_eq!(a.bodies(), [&b"hello"[..]]);
        assert_eq!(b.bodies(), [&b"hello"[..]]);
        rig.set(XPUB_WELCOME_MSG, b"").unwrap();
        let mut c = rig.plug(0, &[]);
        assert!(c.bodies().is_empty());
        let mut pub_rig = Rig::new(PubSocket::publisher());
        pub_rig.set(XPUB_WELCOME_MSG, &[9u8; 1000]).unwrap();
        let mut d = pub_rig.plug(0, &[]);
        assert_eq!(d.bodies(), [vec![9u8; 1000]]);
    }

    #[test]
    fn invert_matching_sends_to_the_others() {
        let mut rig = Rig::new(PubSocket::publisher());
        assert_eq!(rig.get_int(INVERT_MATCHING), Ok(Some(0)));
        rig.set(INVERT_MATCHING, &int(1)).unwrap();
        assert_eq!(rig.get_int(INVERT_MATCHING), Ok(Some(1)));
        let mut a = rig.plug(0, &[b"\x01a"]);
        let mut none = rig.plug(0, &[]);
        let mut all = rig.plug(0, &[b"\x01"]);
        rig.send(b"apple", false).unwrap();
        rig.send(b"berry", true).unwrap();
        rig.send(b"apple", false).unwrap();
        assert_eq!(
            a.frames(),
            [(b"berry".to_vec(), true), (b"apple".to_vec(), false)]
        );
        assert_eq!(none.bodies().len(), 3);
        assert!(all.bodies().is_empty());
    }

    #[test]
    fn publisher_options_are_checked() {
        for mut rig in [Rig::new(PubSocket::publisher()), xpub_with(&[])] {
            for option in [XPUB_VERBOSE, XPUB_VERBOSER, XPUB_NODROP, XPUB_MANUAL] {
                assert_eq!(rig.set(option, &int(-1)), Err(Error::Invalid));
                assert_eq!(rig.set(option, &[1]), Err(Error::Invalid));
                assert_eq!(
                    rig.set(option, &[1, 0, 0, 0, 0, 0, 0, 0]),
                    Err(Error::Invalid)
                );
                assert_eq!(rig.set(option, b""), Err(Error::Invalid));
                assert_eq!(rig.set(option, &int(2)), Ok(true));
                assert_eq!(rig.set(option, &int(0)), Ok(true));
            }
            // Any int turns INVERT_MATCHING on or off.
            assert_eq!(rig.set(INVERT_MATCHING, &int(-1)), Ok(true));
            assert_eq!(rig.get_int(INVERT_MATCHING), Ok(Some(1)));
            assert_eq!(rig.set(INVERT_MATCHING, &[1]), Err(Error::Invalid));
            assert_eq!(rig.set(XPUB_WELCOME_MSG, &[0; 65536]), Ok(true));
            // Not ours (the socket says EINVAL): SUBSCRIBE outside MANUAL,
            // and reading XPUB's switches (libzmq cannot either).
            assert_eq!(rig.set(SUBSCRIBE, b"x"), Ok(false));
            assert_eq!(rig.get_int(XPUB_VERBOSE), Ok(None));
            let mut small = [0u8; 2];
            assert_eq!(
                rig.pattern.get_option(INVERT_MATCHING, &mut small),
                Err(Error::Invalid)
            );
        }
    }

    #[test]
    fn hostile_subscriptions_do_no_harm() {
        let mut rig = xpub_with(&[]);
        let huge = {
            let mut v = vec![b'h'; 65537];
            v[0] = SUBSCRIBE_BYTE;
            v
        };
        let mut a = rig.plug(0, &[&huge, b"\x00", b"\x00unknown", b"", b"\x01"]);
        assert_eq!(rig.recv().unwrap().0.len(), huge.len());
        assert_eq!(rig.recv_all(), [&b"\x00"[..], b"\x00unknown", b"", b"\x01"]);
        rig.send(&huge[1..], false).unwrap();
        assert_eq!(a.bodies().len(), 1);
        rig.unplug(a);
        assert_eq!(rig.recv_all().len(), 2);
        assert!(rig.pattern.0.subscriptions.is_empty());
    }

    fn sub_with_topics(topics: &[&[u8]]) -> Rig<SubSocket> {
        let mut rig = Rig::new(SubSocket::subscriber());
        for topic in topics {
            assert_eq!(rig.set(SUBSCRIBE, topic), Ok(true));
        }
        rig
    }

    #[test]
    fn sub_filters_by_prefix_and_drops_whole_messages() {
        let mut rig = sub_with_topics(&[b"yes"]);
        let mut p = rig.plug(0, &[]);
        assert_eq!(p.bodies(), [&b"\x01yes"[..]]);
        rig.peer_sends(
            &mut p,
            &[
                (b"no", true),
                (b"yes, but not first", false),
                (b"yes", true),
                (b"no", true),
                (b"", false),
                (b"ye", false),
                (b"yesterday", false),
            ],
        );
        assert!(rig.pattern.has_in(&mut rig.pipes));
        assert_eq!(rig.recv(), Ok((b"yes".to_vec(), true)));
        assert_eq!(rig.recv(), Ok((b"no".to_vec(), true)));
        assert_eq!(rig.recv(), Ok((b"".to_vec(), false)));
        assert_eq!(rig.recv(), Ok((b"yesterday".to_vec(), false)));
        assert_eq!(rig.recv(), Err(Error::Again));
        assert!(!rig.pattern.has_in(&mut rig.pipes));
        assert_eq!(rig.send(b"x", false), Err(Error::NotSupported));
        assert!(!rig.pattern.has_out(&mut rig.pipes));
    }

    #[test]
    fn sub_has_in_only_for_a_wanted_message() {
        let mut rig = sub_with_topics(&[b"a"]);
        let mut p = rig.plug(0, &[]);
        p.frames();
        rig.peer_sends(&mut p, &[(b"b", false), (b"c", true), (b"d", false)]);
        assert!(!rig.pattern.has_in(&mut rig.pipes));
        rig.peer_sends(&mut p, &[(b"b", false), (b"a", true), (b"z", false)]);
        assert!(rig.pattern.has_in(&mut rig.pipes));
        assert!(rig.pattern.has_in(&mut rig.pipes));
        assert_eq!(rig.recv(), Ok((b"a".to_vec(), true)));
        assert!(rig.pattern.has_in(&mut rig.pipes));
        assert_eq!(rig.recv(), Ok((b"z".to_vec(), false)));
        assert!(!rig.pattern.has_in(&mut rig.pipes));
    }

    #[test]
    fn sub_counts_subscriptions_and_tells_every_publisher() {
        let mut rig = sub_with_topics(&[]);
        let mut p1 = rig.plug(0, &[]);
        let mut p2 = rig.plug(0, &[]);
        rig.set(SUBSCRIBE, b"t").unwrap();
        rig.set(SUBSCRIBE, b"t").unwrap();
        // Every subscribe goes up (XPUB de-duplicates, VERBOSE sees them).
        assert_eq!(p1.bodies(), [&b"\x01t"[..], b"\x01t"]);
        rig.set(UNSUBSCRIBE, b"t").unwrap();
        assert!(p1.bodies().is_empty());
        rig.set(UNSUBSCRIBE, b"t").unwrap();
        assert_eq!(p1.bodies(), [&b"\x00t"[..]]);
        // Unknown topics are not cancelled upstream.
        rig.set(UNSUBSCRIBE, b"t").unwrap();
        rig.set(UNSUBSCRIBE, b"unknown").unwrap();
        assert!(p1.bodies().is_empty());
        assert_eq!(p2.bodies(), [&b"\x01t"[..], b"\x01t", b"\x00t"]);
        // A new publisher learns each topic once.
        rig.set(SUBSCRIBE, b"b").unwrap();
        rig.set(SUBSCRIBE, b"a").unwrap();
        rig.set(SUBSCRIBE, b"a").unwrap();
        let mut p3 = rig.plug(0, &[]);
        assert_eq!(p3.bodies(), [&b"\x01a"[..], b"\x01b"]);
        rig.unplug(p1);
        rig.set(SUBSCRIBE, b"c").unwrap();
        assert_eq!(p3.bodies(), [&b"\x01c"[..]]);
    }

    #[test]
    fn sub_invert_matching() {
        let mut rig = sub_with_topics(&[b"a"]);
        rig.set(INVERT_MATCHING, &int(1)).unwrap();
        assert_eq!(rig.get_int(INVERT_MATCHING), Ok(Some(1)));
        let mut p = rig.plug(0, &[]);
        rig.peer_sends(
            &mut p,
            &[(b"apple", false), (b"berry", false), (b"", false)],
        );
        assert_eq!(rig.recv_all(), [&b"berry"[..], b""]);
    }

    #[test]
    fn sub_fair_queues_its_publishers() {
        let mut rig = sub_with_topics(&[b""]);
        let mut p1 = rig.plug(0, &[]);
        let mut p2 = rig.plug(0, &[]);
        rig.peer_sends(&mut p1, &[(b"1a", false), (b"1b", false)]);
        rig.peer_sends(&mut p2, &[(b"2a", false), (b"2b", false)]);
        assert_eq!(rig.recv_all(), [&b"1a"[..], b"2a", b"1b", b"2b"]);
    }

    #[test]
    fn sub_options_are_checked() {
        let mut rig = sub_with_topics(&[]);
        let mut p = rig.plug(0, &[]);
        assert_eq!(rig.set(SUBSCRIBE, &[b'x'; 65536]), Ok(true));
        assert_eq!(p.bodies()[0].len(), 65537);
        assert_eq!(rig.set(INVERT_MATCHING, &[0, 0]), Err(Error::Invalid));
        assert_eq!(rig.set(XPUB_VERBOSE, &int(1)), Ok(false));
        let mut xsub = Rig::new(SubSocket::xsub());
        assert_eq!(xsub.set(SUBSCRIBE, b"x"), Ok(false));
        assert_eq!(xsub.set(UNSUBSCRIBE, b"x"), Ok(false));
        assert_eq!(xsub.set(INVERT_MATCHING, &int(1)), Ok(true));
        assert_eq!(xsub.get_int(INVERT_MATCHING), Ok(Some(1)));
    }

    #[test]
    fn xsub_forwards_what_the_application_sends() {
        let mut rig = Rig::new(SubSocket::xsub());
        let mut p = rig.plug(0, &[]);
        assert!(rig.pattern.has_out(&mut rig.pipes));
        for (frame, more) in [
            (&b"\x01a"[..], false),
            (b"\x01a", false),
            (b"\x00a", false),
            (b"\x00a", false),
            (b"\x00never", false),
            (b"", false),
            (b"hello", true),
            (b"world", false),
        ] {
            rig.send(frame, more).unwrap();
        }
        assert_eq!(
            p.frames(),
            [
                (b"\x01a".to_vec(), false),
                (b"\x01a".to_vec(), false),
                (b"\x00a".to_vec(), false),
                (b"".to_vec(), false),
                (b"hello".to_vec(), true),
                (b"world".to_vec(), false),
            ]
        );
        // Frames of a multipart message are subscriptions too (libzmq 4.3).
        rig.send(b"\x01m", true).unwrap();
        rig.send(b"\x01n", false).unwrap();
        assert!(rig.pattern.0.subscriptions.contains(b"n"));
        // A needless cancel that ends a started message still goes, so
        // that the message is finished.
        rig.send(b"user", true).unwrap();
        rig.send(b"\x00unknown", false).unwrap();
        rig.send(b"next", false).unwrap();
        let frames = p.frames();
        assert_eq!(frames.len(), 5);
        assert_eq!(frames[3], (b"\x00unknown".to_vec(), false));
        // A new publisher gets the current topics.
        let mut q = rig.plug(0, &[]);
        assert_eq!(q.bodies(), [&b"\x01m"[..], b"\x01n"]);
    }

    #[test]
    fn xsub_receives_everything() {
        let mut rig = Rig::new(SubSocket::xsub());
        rig.set(INVERT_MATCHING, &int(1)).unwrap();
        let mut p = rig.plug(0, &[]);
        rig.send(b"\x01a", false).unwrap();
        rig.peer_sends(&mut p, &[(b"a", false), (b"b", true), (b"c", false)]);
        assert!(rig.pattern.has_in(&mut rig.pipes));
        assert_eq!(rig.recv(), Ok((b"a".to_vec(), false)));
        assert_eq!(rig.recv(), Ok((b"b".to_vec(), true)));
        assert_eq!(rig.recv(), Ok((b"c".to_vec(), false)));
        assert!(!rig.pattern.has_in(&mut rig.pipes));
    }

    #[test]
    fn xsub_to_xpub_round_trip() {
        let mut xpub = xpub_with(&[]);
        let mut xsub = Rig::new(SubSocket::xsub());
        let (pub_end, sub_end) = pair(Flow::queue(0), Flow::queue(0));
        let (pub_id, sub_id) = (pub_end.id(), sub_end.id());
        xsub.pipes.insert(sub_end);
        xsub.pattern.attach(sub_id, &mut xsub.pipes);
        xsub.send(b"\x01news", false).unwrap();
        xpub.pipes.insert(pub_end);
        xpub.pattern.attach(pub_id, &mut xpub.pipes);
        assert_eq!(xpub.recv_all(), [&b"\x01news"[..]]);
        xpub.send(b"news!", false).unwrap();
        xpub.send(b"sport", false).unwrap();
        xsub.pattern.read_activated(sub_id, &mut xsub.pipes);
        assert_eq!(xsub.recv_all(), [&b"news!"[..]]);
    }
}
