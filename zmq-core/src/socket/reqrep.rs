//! DEALER, ROUTER, REQ and REP (RFC 28 request-reply).
//!
//! As in libzmq, REQ is a DEALER with a request/reply state machine on top
//! and REP is a ROUTER with one, so each inherits the routing and the
//! options of the type below it (REQ takes ZMQ_PROBE_ROUTER, REP the three
//! ROUTER switches).

use std::collections::HashMap;

use super::options::{
    bool_option, int_value, put, PROBE_ROUTER, REQ_CORRELATE, REQ_RELAXED, ROUTER_HANDOVER,
    ROUTER_MANDATORY, ROUTER_RAW, ROUTING_ID, STREAM_NOTIFY,
};
use super::{FairQueue, LoadBalancer, Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId, WriteError};

/// A random start for counters that peers should not be able to guess or
/// see repeat across sockets (generated routing ids, request ids).
fn random_u32() -> u32 {
    let mut seed = [0u8; 4];
    if getrandom::getrandom(&mut seed).is_ok() {
        return u32::from_ne_bytes(seed);
    }
    // No OS randomness: the std hasher's per-process random keys will do.
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    hasher.finish() as u32
}

/// Sends an empty message to a new peer (ZMQ_PROBE_ROUTER), so that a
/// ROUTER on the other side learns about us before we speak.
fn probe(id: PipeId, pipes: &mut Pipes) {
    // A full or closed pipe simply misses the probe, as in libzmq.
    let _ = pipes.write(id, Msg::new());
}

fn frame(data: &[u8], more: bool) -> Result<Msg> {
    let mut msg = Msg::from_slice(data)?;
    msg.set_more(more);
    Ok(msg)
}

/// DEALER: load-balances out, fair-queues in; messages pass unchanged.
#[derive(Default)]
pub struct Dealer {
    lb: LoadBalancer,
    fq: FairQueue,
    probe_router: bool,
}

impl Dealer {
    /// Sends a frame; says which pipe took it (`None` if it was dropped
    /// because that pipe died in the middle of the message).
    fn send_pipe(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<Option<PipeId>> {
        self.lb.send_to(msg, pipes)
    }

    fn recv_pipe(&mut self, pipes: &mut Pipes) -> Result<(Msg, PipeId)> {
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

/// Whether the routing id a pipe's peer announces is final: a peer that
/// bound after we connected sets it when it attaches (or is gone).
fn peer_known(end: &PipeEnd) -> bool {
    // Attachment is checked first: the id is set before the peer attaches.
    end.peer_attached() || end.peer_closed || !end.peer_routing_id().is_empty()
}

/// ROUTER: every peer has a routing id; a received message is prefixed
/// with its peer's id, and a sent one starts with the id of its peer.
pub struct Router {
    fq: FairQueue,
    by_id: HashMap<Vec<u8>, PipeId>,
    ids: HashMap<PipeId, Vec<u8>>,
    /// Pipes whose peer has not bound yet, so its id is unknown; they are
    /// identified once it has (see [`peer_known`]).
    anonymous: Vec<PipeId>,
    /// Pipes whose peer announced an id already in use (no handover): kept
    /// but never read nor routed to, as libzmq does.
    ignored: Vec<PipeId>,
    /// Counter of generated ids (0x00 then 4 bytes big-endian).
    next_id: u32,
    /// The id generated last (a STREAM socket reads it back as its
    /// ZMQ_ROUTING_ID, as in libzmq).
    last_generated: Option<Vec<u8>>,
    mandatory: bool,
    handover: bool,
    probe_router: bool,
    /// Raw tcp and ipc connections, no ZMTP (STREAM, or ZMQ_ROUTER_RAW):
    /// one data frame per id frame, and an empty one hangs up.
    raw: bool,
    /// The next message's id frame and first frame, read ahead by `has_in`
    /// or `recv`.
    prefetched_id: Option<Msg>,
    prefetched: Option<Msg>,
    /// Frames of the message being received remain in `current_in`.
    more_in: bool,
    current_in: Option<PipeId>,
    /// `current_in` lost its id to a handover while its message was being
    /// read: close it once that message is complete.
    close_current_in: bool,
    /// In the middle of a message being sent: to `current_out`, or dropped
    /// if that is `None`.
    more_out: bool,
    current_out: Option<PipeId>,
}

impl Default for Router {
    fn default() -> Router {
        Router {
            fq: FairQueue::default(),
            by_id: HashMap::new(),
            ids: HashMap::new(),
            anonymous: Vec::new(),
            ignored: Vec::new(),
            next_id: random_u32(),
            last_generated: None,
            mandatory: false,
            handover: false,
            probe_router: false,
            raw: false,
            prefetched_id: None,
            prefetched: None,
            more_in: false,
            current_in: None,
            close_current_in: false,
            more_out: false,
            current_out: None,
        }
    }
}

impl Router {
    fn generated_id(&mut self) -> Vec<u8> {
        loop {
            let mut id = Vec::with_capacity(5);
            id.push(0);
            id.extend_from_slice(&self.next_id.to_be_bytes());
            self.next_id = self.next_id.wrapping_add(1);
            // A peer may have chosen the same bytes; skip them.
            if !self.by_id.contains_key(&id) {
                self.last_generated = Some(id.clone());
                return id;
            }
        }
    }

    /// Gives a pipe its routing id: the one its peer announced, else a
    /// generated one.
    fn identify(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        let announced = pipes
            .get(pipe)
            .map(|end| end.peer_routing_id())
            .unwrap_or_default();
        let id = if announced.is_empty() {
            self.generated_id()
        } else if let Some(&old) = self.by_id.get(&announced) {
            if !self.handover {
                self.ignored.push(pipe);
                return;
            }
            self.hand_over(old, pipes);
            announced
        } else {
            announced
        };
        self.by_id.insert(id.clone(), pipe);
        self.ids.insert(pipe, id);
        self.fq.attach(pipe);
    }

    /// ZMQ_ROUTER_HANDOVER: `old` loses its id to a new pipe and is closed,
    /// after the message being read from it if there is one (so that the
    /// application does not get half a message).
    fn hand_over(&mut self, old: PipeId, pipes: &mut Pipes) {
        self.ids.remove(&old);
        if self.current_in == Some(old) && (self.more_in || self.prefetched.is_some()) {
            self.close_current_in = true;
        } else {
            self.fq.terminated(old);
            pipes.mark_dead(old);
        }
    }

    /// Identifies the anonymous pipes whose peer has become known.
    fn identify_anonymous(&mut self, pipes: &mut Pipes) {
        if self.anonymous.is_empty() {
            return;
        }
        let mut i = 0;
        while i < self.anonymous.len() {
            let pipe = self.anonymous[i];
            if pipes.get(pipe).is_some_and(|end| peer_known(end)) {
                self.anonymous.remove(i);
                self.identify(pipe, pipes);
            } else {
                i += 1;
            }
        }
    }

    /// Reads the next message's first frame and makes its id frame.
    fn prefetch(&mut self, pipes: &mut Pipes) -> Result<()> {
        loop {
            let (msg, pipe) = self.fq.recv(pipes)?;
            let Some(id) = self.ids.get(&pipe) else {
                // Only identified pipes are queued; should one slip
                // through, its message has no id to carry: drop it.
                if msg.more() {
                    self.fq.skip_rest(pipes);
                }
                continue;
            };
            // The id frame carries the connection's properties too
            // (Peer-Address...), as in libzmq.
            let mut id_frame = frame(id, true)?;
            id_frame.share_metadata_of(&msg);
            self.prefetched_id = Some(id_frame);
            self.prefetched = Some(msg);
            self.current_in = Some(pipe);
            return Ok(());
        }
    }

    /// Bookkeeping for a frame handed to the application.
    fn delivered(&mut self, msg: Msg, pipes: &mut Pipes) -> Msg {
        self.more_in = msg.more();
        if !self.more_in {
            if let Some(pipe) = self.current_in.take() {
                if std::mem::take(&mut self.close_current_in) {
                    self.fq.terminated(pipe);
                    pipes.mark_dead(pipe);
                }
            }
        }
        msg
    }

    /// Drops what remains of a message partly received.
    fn skip_rest(&mut self, pipes: &mut Pipes) {
        while self.more_in {
            if self.recv(pipes).is_err() {
                self.more_in = false;
            }
        }
    }

    /// Starts sending a message to the peer named `id`. `Ok` with no pipe
    /// means the message will be dropped.
    fn open_route(&mut self, id: &[u8], mandatory: bool, pipes: &mut Pipes) -> Result<()> {
        let mut target = self.by_id.get(id).copied();
        if target.is_none() && !self.anonymous.is_empty() {
            self.identify_anonymous(pipes);
            target = self.by_id.get(id).copied();
        }
        let route = match target {
            Some(pipe) => match pipes.get(pipe).map(|end| end.check_write()) {
                Some(Ok(())) => Some(pipe),
                Some(Err(WriteError::Full)) if mandatory => return Err(Error::Again),
                Some(Err(WriteError::Full)) => None,
                Some(Err(WriteError::Closed)) | None => {
                    pipes.peer_gone(pipe);
                    if mandatory {
                        return Err(Error::HostUnreachable);
                    }
                    None
                }
            },
            None if mandatory => return Err(Error::HostUnreachable),
            None => None,
        };
        self.current_out = route;
        self.more_out = true;
        Ok(())
    }

    /// Sends a frame after the id frame, or drops it if there is no route.
    fn send_frame(&mut self, msg: &mut Msg, pipes: &mut Pipes) {
        let frame = std::mem::take(msg);
        let more = frame.more();
        // Raw: an empty frame hangs up, so the route ends now (the
        // connection when the session reads it).
        let hang_up = self.raw && frame.is_empty();
        if let Some(pipe) = self.current_out {
            if pipes.write(pipe, frame).is_err() {
                // The peer is gone: drop the frames already staged too;
                // the rest of the message goes nowhere.
                self.rollback(pipes);
            } else if hang_up {
                if let Some(id) = self.ids.get(&pipe) {
                    self.by_id.remove(id);
                }
            }
        }
        self.more_out = more;
        if !more {
            self.current_out = None;
        }
    }

    /// Forgets the message being sent, including its frames staged in the
    /// pipe.
    fn rollback(&mut self, pipes: &mut Pipes) {
        if let Some(pipe) = self.current_out.take() {
            if let Some(end) = pipes.get(pipe) {
                end.rollback();
            }
        }
        self.more_out = false;
    }
}

impl Pattern for Router {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) -> bool {
        if self.probe_router {
            probe(pipe, pipes);
        }
        match pipes.get(pipe) {
            Some(end) if peer_known(end) => self.identify(pipe, pipes),
            Some(_) => self.anonymous.push(pipe),
            None => return false,
        }
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if self.more_out {
            // Raw bytes have no frames: the MORE flag of the data is
            // ignored, as libzmq does.
            if self.raw {
                msg.set_more(false);
            }
            self.send_frame(msg, pipes);
            return Ok(());
        }
        // A lone id frame has nothing to carry: dropped, even with
        // ZMQ_ROUTER_MANDATORY (libzmq).
        if msg.more() {
            // On error `msg` stays as it was.
            let id = std::mem::take(msg);
            if let Err(e) = self.open_route(id.as_slice(), self.mandatory, pipes) {
                *msg = id;
                return Err(e);
            }
        } else {
            std::mem::take(msg);
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.identify_anonymous(pipes);
        if self.prefetched.is_none() {
            if self.more_in {
                let (msg, _) = self.fq.recv(pipes)?;
                return Ok(self.delivered(msg, pipes));
            }
            self.prefetch(pipes)?;
        }
        if let Some(id) = self.prefetched_id.take() {
            self.more_in = true;
            return Ok(id);
        }
        match self.prefetched.take() {
            Some(msg) => Ok(self.delivered(msg, pipes)),
            None => Err(Error::Again),
        }
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.identify_anonymous(pipes);
        self.more_in || self.prefetched.is_some() || self.prefetch(pipes).is_ok()
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        // Unroutable messages are dropped, so a ROUTER can always send,
        // unless ZMQ_ROUTER_MANDATORY asks for a peer with room.
        if !self.mandatory {
            return true;
        }
        self.identify_anonymous(pipes);
        self.ids.keys().any(|&pipe| pipes.check_write(pipe))
    }

    fn read_activated(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        if self.anonymous.contains(&pipe) {
            self.identify_anonymous(pipes);
        } else if self.ignored.contains(&pipe) {
            // Never read; once its peer has gone it can go too.
            if pipes.get(pipe).is_some_and(|end| end.peer_closed) {
                pipes.mark_dead(pipe);
            }
        } else {
            self.fq.activate(pipe);
        }
    }

    fn write_activated(&mut self, _pipe: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
        self.anonymous.retain(|&p| p != pipe);
        self.ignored.retain(|&p| p != pipe);
        if let Some(id) = self.ids.remove(&pipe) {
            if self.by_id.get(&id) == Some(&pipe) {
                self.by_id.remove(&id);
            }
        }
        self.fq.terminated(pipe);
        if self.current_out == Some(pipe) {
            // The rest of the message being sent is dropped.
            self.current_out = None;
        }
        if self.current_in == Some(pipe) {
            // Only a local disconnect ends a pipe in the middle of a
            // message (peers publish whole messages): end it with what
            // was already read.
            self.close_current_in = false;
            match self.prefetched.as_mut() {
                Some(msg) => msg.set_more(false),
                None => {
                    self.more_in = false;
                    self.current_in = None;
                }
            }
        }
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        match option {
            ROUTER_MANDATORY => self.mandatory = bool_option(value)?,
            ROUTER_HANDOVER => self.handover = bool_option(value)?,
            PROBE_ROUTER => self.probe_router = bool_option(value)?,
            // Once on, raw stays on (libzmq); it applies to the binds and
            // connects made after it.
            ROUTER_RAW => self.raw |= bool_option(value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Raw connections tell of each peer that comes and goes with an
    /// empty message (libzmq's default for raw sockets).
    fn raw_notify(&self) -> Option<bool> {
        self.raw.then_some(true)
    }
}

/// STREAM: a ROUTER over raw tcp connections. Every peer gets a generated
/// id (or the ZMQ_CONNECT_ROUTING_ID of its connect); a message is [id,
/// bytes], received as the bytes arrive and sent as given (the MORE flag of
/// the bytes frame is ignored, as libzmq does); empty bytes close the
/// connection, and with ZMQ_STREAM_NOTIFY (on by default) an empty message
/// announces each connection and disconnection.
pub struct Stream {
    router: Router,
    notify: bool,
}

impl Default for Stream {
    fn default() -> Stream {
        Stream {
            router: Router {
                mandatory: true,
                raw: true,
                ..Router::default()
            },
            notify: true,
        }
    }
}

impl Pattern for Stream {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) -> bool {
        self.router.attach(pipe, pipes)
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        // A lone frame is dropped; an unknown id is EHOSTUNREACH (a
        // STREAM socket always is "mandatory", as in libzmq).
        self.router.send(msg, pipes)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.router.recv(pipes)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.router.has_in(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }

    fn read_activated(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.router.read_activated(pipe, pipes)
    }

    fn write_activated(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.router.write_activated(pipe, pipes)
    }

    fn terminated(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.router.terminated(pipe, pipes)
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        if option != STREAM_NOTIFY {
            return Ok(false);
        }
        self.notify = match int_value(value)? {
            0 => false,
            1 => true,
            _ => return Err(Error::Invalid),
        };
        Ok(true)
    }

    fn raw_notify(&self) -> Option<bool> {
        Some(self.notify)
    }

    /// ZMQ_ROUTING_ID reads as the id generated last for a peer, once there
    /// is one (libzmq's STREAM stores it as the socket's own).
    fn get_option(&self, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        match (&self.router.last_generated, option) {
            (Some(id), ROUTING_ID) => put(out, id).map(Some),
            _ => Ok(None),
        }
    }
}

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
    use std::sync::Arc;

    use super::*;
    use crate::mailbox::Mailbox;
    use crate::pipe::{pair, Flow, Read};

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
        fn send(&mut self, frames: &[&[u8]]) {
            for (i, data) in frames.iter().enumerate() {
                let mut m = Msg::from_slice(data).unwrap();
                m.set_more(i + 1 < frames.len());
                self.end.write(m).unwrap();
            }
        }

        /// Every frame waiting, with its MORE flag.
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

    /// A new pipe whose peer announces `routing_id` and has attached (or
    /// not yet, as a peer that binds after we connected).
    fn connect_peer(
        p: &mut dyn Pattern,
        pipes: &mut Pipes,
        routing_id: &[u8],
        attached: bool,
        hwm: u64,
    ) -> Peer {
        let (mine, theirs) = pair(Flow::queue(hwm), Flow::queue(hwm));
        theirs.set_routing_id(routing_id);
        if attached {
            theirs.attach(Arc::new(Mailbox::new().unwrap()));
        }
        let id = mine.id();
        pipes.insert(mine);
        assert!(p.attach(id, pipes));
        Peer { id, end: theirs }
    }

    fn connect(p: &mut dyn Pattern, pipes: &mut Pipes, routing_id: &[u8]) -> Peer {
        connect_peer(p, pipes, routing_id, true, 0)
    }

    /// What the socket does after each call: removes the dead pipes.
    fn reap(p: &mut dyn Pattern, pipes: &mut Pipes) {
        for id in pipes.take_dead() {
            if let Some(end) = pipes.remove(id) {
                p.terminated(id, pipes);
                end.close(false);
            }
        }
    }

    fn send(p: &mut dyn Pattern, pipes: &mut Pipes, frames: &[&[u8]]) -> Result<()> {
        for (i, data) in frames.iter().enumerate() {
            let mut m = Msg::from_slice(data).unwrap();
            m.set_more(i + 1 < frames.len());
            p.send(&mut m, pipes)?;
        }
        reap(p, pipes);
        Ok(())
    }

    /// One whole message.
    fn recv(p: &mut dyn Pattern, pipes: &mut Pipes) -> Result<Vec<Vec<u8>>> {
        // The wake-ups the socket would get from the peers' writes.
        for id in pipes.ids() {
            p.read_activated(id, pipes);
        }
        let mut out = Vec::new();
        loop {
            let m = p.recv(pipes)?;
            out.push(m.as_slice().to_vec());
            if !m.more() {
                reap(p, pipes);
                return Ok(out);
            }
        }
    }

    #[test]
    fn router_generates_five_byte_ids_in_sequence() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut a = connect(&mut router, &mut pipes, b"");
        let mut b = connect(&mut router, &mut pipes, b"");
        a.send(&[b"from a"]);
        b.send(&[b"from b"]);
        // Fair-queued in attach order: a's message first.
        let first = recv(&mut router, &mut pipes).unwrap();
        let second = recv(&mut router, &mut pipes).unwrap();
        assert_eq!(first[1], b"from a");
        assert_eq!(second[1], b"from b");
        let n = |id: &[u8]| {
            assert_eq!(id.len(), 5);
            assert_eq!(id[0], 0);
            u32::from_be_bytes([id[1], id[2], id[3], id[4]])
        };
        assert_eq!(n(&second[0]), n(&first[0]).wrapping_add(1));
        send(&mut router, &mut pipes, &[&second[0], b"to b"]).unwrap();
        send(&mut router, &mut pipes, &[&first[0], b"to a"]).unwrap();
        assert_eq!(a.bodies(), [b"to a"]);
        assert_eq!(b.bodies(), [b"to b"]);
    }

    #[test]
    fn router_skips_generated_ids_a_peer_has_taken() {
        let mut pipes = Pipes::default();
        let mut router = Router {
            next_id: 7,
            ..Router::default()
        };
        let _taken = connect(&mut router, &mut pipes, &[0, 0, 0, 0, 7]);
        let mut anon = connect(&mut router, &mut pipes, b"");
        anon.send(&[b"hi"]);
        let m = recv(&mut router, &mut pipes).unwrap();
        assert_eq!(m[0], [0, 0, 0, 0, 8]);
    }

    #[test]
    fn router_ignores_a_duplicate_id_without_handover() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut first = connect(&mut router, &mut pipes, b"A");
        let mut dup = connect(&mut router, &mut pipes, b"A");
        dup.send(&[b"ignored"]);
        router.read_activated(dup.id, &mut pipes);
        assert_eq!(recv(&mut router, &mut pipes), Err(Error::Again));
        send(&mut router, &mut pipes, &[b"A", b"to first"]).unwrap();
        assert_eq!(first.bodies(), [b"to first"]);
        assert!(dup.bodies().is_empty());
        // Once its peer has gone, the ignored pipe goes too.
        pipes.get(dup.id).unwrap().peer_closed = true;
        router.read_activated(dup.id, &mut pipes);
        assert!(pipes.has_dead());
        reap(&mut router, &mut pipes);
        assert!(pipes.get(dup.id).is_none());
    }

    #[test]
    fn handover_waits_for_the_message_being_read() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        router
            .set_option(ROUTER_HANDOVER, &int(1), &mut pipes)
            .unwrap();
        let mut old = connect(&mut router, &mut pipes, b"A");
        old.send(&[b"p1", b"p2", b"p3"]);
        old.send(&[b"unread"]);
        assert_eq!(router.recv(&mut pipes).unwrap().as_slice(), b"A");
        assert_eq!(router.recv(&mut pipes).unwrap().as_slice(), b"p1");
        let mut new = connect(&mut router, &mut pipes, b"A");
        new.send(&[b"new"]);
        // The old pipe stays until its message is complete.
        assert!(!pipes.has_dead());
        assert_eq!(router.recv(&mut pipes).unwrap().as_slice(), b"p2");
        let last = router.recv(&mut pipes).unwrap();
        assert_eq!((last.as_slice(), last.more()), (&b"p3"[..], false));
        assert!(pipes.has_dead());
        reap(&mut router, &mut pipes);
        assert_eq!(
            recv(&mut router, &mut pipes).unwrap(),
            [&b"A"[..], &b"new"[..]]
        );
        assert_eq!(recv(&mut router, &mut pipes), Err(Error::Again));
        send(&mut router, &mut pipes, &[b"A", b"reply"]).unwrap();
        assert_eq!(new.bodies(), [b"reply"]);
    }

    #[test]
    fn handover_closes_an_idle_pipe_at_once() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        router
            .set_option(ROUTER_HANDOVER, &int(1), &mut pipes)
            .unwrap();
        let old = connect(&mut router, &mut pipes, b"A");
        let _new = connect(&mut router, &mut pipes, b"A");
        assert!(pipes.has_dead());
        reap(&mut router, &mut pipes);
        assert!(pipes.get(old.id).is_none());
    }

    #[test]
    fn router_learns_the_id_of_a_peer_that_binds_later() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        router
            .set_option(ROUTER_MANDATORY, &int(1), &mut pipes)
            .unwrap();
        let mut late = connect_peer(&mut router, &mut pipes, b"", false, 0);
        assert!(!router.has_out(&mut pipes));
        let mut id = Msg::from_slice(b"late").unwrap();
        id.set_more(true);
        assert_eq!(
            router.send(&mut id, &mut pipes),
            Err(Error::HostUnreachable)
        );
        // The id frame is left to the caller on error.
        assert_eq!(id.as_slice(), b"late");
        // The peer binds: its id is set, then it attaches.
        late.end.set_routing_id(b"late");
        late.end.attach(Arc::new(Mailbox::new().unwrap()));
        assert!(router.has_out(&mut pipes));
        send(&mut router, &mut pipes, &[b"late", b"hello"]).unwrap();
        assert_eq!(late.bodies(), [b"hello"]);
    }

    #[test]
    fn router_mandatory_reports_a_full_pipe_and_otherwise_drops() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut a = connect_peer(&mut router, &mut pipes, b"A", true, 1);
        send(&mut router, &mut pipes, &[b"A", b"1"]).unwrap();
        // Full: dropped silently.
        send(&mut router, &mut pipes, &[b"A", b"2"]).unwrap();
        router
            .set_option(ROUTER_MANDATORY, &int(1), &mut pipes)
            .unwrap();
        assert!(!router.has_out(&mut pipes));
        assert_eq!(
            send(&mut router, &mut pipes, &[b"A", b"3"]),
            Err(Error::Again)
        );
        assert_eq!(a.bodies(), [b"1"]);
        assert!(router.has_out(&mut pipes));
        send(&mut router, &mut pipes, &[b"A", b"4"]).unwrap();
        assert_eq!(a.bodies(), [b"4"]);
        // A lone id frame is dropped even so.
        send(&mut router, &mut pipes, &[b"nobody"]).unwrap();
        assert_eq!(
            send(&mut router, &mut pipes, &[b"nobody", b"x"]),
            Err(Error::HostUnreachable)
        );
    }

    #[test]
    fn router_forgets_a_peer_that_left() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        router
            .set_option(ROUTER_MANDATORY, &int(1), &mut pipes)
            .unwrap();
        let a = connect(&mut router, &mut pipes, b"A");
        let id = a.id;
        a.end.close(false);
        // The socket marks a drained pipe whose peer left as dead.
        assert!(pipes.get(id).unwrap().input_closed());
        pipes.mark_dead(id);
        reap(&mut router, &mut pipes);
        assert_eq!(
            send(&mut router, &mut pipes, &[b"A", b"x"]),
            Err(Error::HostUnreachable)
        );
    }

    #[test]
    fn router_keeps_a_message_read_ahead_from_a_pipe_that_closed() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut a = connect(&mut router, &mut pipes, b"A");
        a.send(&[b"last words"]);
        assert!(router.has_in(&mut pipes));
        a.end.close(false);
        assert!(pipes.get(a.id).unwrap().input_closed());
        pipes.mark_dead(a.id);
        reap(&mut router, &mut pipes);
        assert_eq!(
            recv(&mut router, &mut pipes).unwrap(),
            [&b"A"[..], &b"last words"[..]]
        );
    }

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

    #[test]
    fn options_are_checked_and_belong_to_their_types() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut rep = Rep::default();
        let mut req = Req::default();
        let mut dealer = Dealer::default();
        for bad in [&[1u8][..], &[0; 8], &int(-1)] {
            assert_eq!(
                router.set_option(ROUTER_MANDATORY, bad, &mut pipes),
                Err(Error::Invalid)
            );
            assert_eq!(
                req.set_option(REQ_CORRELATE, bad, &mut pipes),
                Err(Error::Invalid)
            );
            assert_eq!(
                dealer.set_option(PROBE_ROUTER, bad, &mut pipes),
                Err(Error::Invalid)
            );
        }
        assert_eq!(
            rep.set_option(ROUTER_HANDOVER, &int(1), &mut pipes),
            Ok(true)
        );
        assert_eq!(rep.set_option(REQ_RELAXED, &int(1), &mut pipes), Ok(false));
        assert_eq!(
            req.set_option(ROUTER_MANDATORY, &int(1), &mut pipes),
            Ok(false)
        );
        assert_eq!(
            dealer.set_option(REQ_RELAXED, &int(1), &mut pipes),
            Ok(false)
        );
        assert_eq!(
            router.set_option(REQ_CORRELATE, &int(1), &mut pipes),
            Ok(false)
        );
        let mut out = [0u8; 4];
        assert_eq!(router.get_option(ROUTER_MANDATORY, &mut out), Ok(None));
    }

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
