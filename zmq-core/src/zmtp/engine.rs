//! The ZMTP engine: one connection's protocol state, sans-IO. Bytes from
//! the peer go in ([`Engine::input`]), messages for the socket come out;
//! messages from the socket go in ([`Engine::send`]), bytes for the peer
//! come out ([`Engine::output`]). Time is passed in, so heartbeats and the
//! handshake deadline are tested without sleeping.
//!
//! The handshake follows libzmq 4.3: our greeting goes out in stages
//! (signature, then the major version once the peer's signature arrived,
//! then the rest once its version is known), so that ZMTP 1.0 and 2.0
//! peers can be served; with a 3.x peer the socket's security mechanism
//! (`mechanism/`) runs the handshake, and the peer's Socket-Type must suit
//! ours. Mechanisms that box frames (CURVE) see every frame after it; the
//! zero-copy paths are for those that leave frames alone.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use super::command::{Command, Properties};
use super::frame::{self, FrameDecoder, FrameVersion};
use super::greeting::{
    signature, Greeting, GreetingDecoder, GreetingStatus, PeerGreeting, Version, MAJOR,
};
use super::mechanism::zap::{ZapReply, ZapRequest};
use super::mechanism::{self, Failure, Mechanism, Security, Status};
use super::ZmtpError;
use crate::msg::{flags as msg_flags, BodyFill, Msg, GROUP_MAX_LENGTH};
use crate::socket_type::{self, Groups, Subscriptions};

/// Bodies at least this large are written from the message itself
/// instead of being copied into the output buffer.
const ZERO_COPY_MIN: usize = 8 * 1024;

/// What an engine needs to know about its socket.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Our socket type (a `zmq.h` number).
    pub socket_type: i32,
    /// Our routing id (ZMQ_ROUTING_ID), announced to the peer.
    pub routing_id: Vec<u8>,
    /// Application properties (ZMQ_METADATA), announced in READY.
    pub metadata: Vec<(String, Vec<u8>)>,
    /// ZMQ_MAXMSGSIZE: -1 for no limit.
    pub max_msg_size: i64,
    /// ZMQ_HEARTBEAT_IVL: PINGs this often once connected.
    pub heartbeat_ivl: Option<Duration>,
    /// ZMQ_HEARTBEAT_TTL: how long the peer may wait for our traffic.
    pub heartbeat_ttl: Duration,
    /// ZMQ_HEARTBEAT_TIMEOUT: how long we wait for traffic after a PING.
    pub heartbeat_timeout: Option<Duration>,
    /// ZMQ_HANDSHAKE_IVL: how long the handshake may take.
    pub handshake_ivl: Option<Duration>,
    /// No ZMTP at all (ZMQ_STREAM): bytes pass through unframed.
    pub raw: bool,
    /// The security mechanism and its options.
    pub security: Security,
    /// The peer's address (IP for tcp, empty for ipc), for ZAP requests
    /// and the Peer-Address property.
    pub peer_address: String,
}

impl EngineConfig {
    pub fn new(socket_type: i32) -> EngineConfig {
        EngineConfig {
            socket_type,
            routing_id: Vec::new(),
            metadata: Vec::new(),
            max_msg_size: -1,
            heartbeat_ivl: None,
            heartbeat_ttl: Duration::ZERO,
            heartbeat_timeout: None,
            handshake_ivl: None,
            raw: false,
            security: Security::default(),
            peer_address: String::new(),
        }
    }
}

/// Who the peer turned out to be, once the handshake is complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    pub version: Version,
    /// The routing id the peer announced (empty if none).
    pub routing_id: Vec<u8>,
    /// The properties of its READY (none for ZMTP 1.0/2.0 peers).
    pub properties: Properties,
}

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// The peer broke the protocol.
    Protocol(ZmtpError),
    /// The security handshake failed.
    Handshake(Failure),
    /// The peer's mechanism is not ours.
    MechanismMismatch,
    /// The peer sent ERROR, with its reason.
    Refused(Vec<u8>),
    /// The handshake did not finish within ZMQ_HANDSHAKE_IVL.
    HandshakeTimeout,
    /// No traffic within ZMQ_HEARTBEAT_TIMEOUT after a PING, or within the
    /// TTL the peer asked for.
    HeartbeatTimeout,
}

impl From<ZmtpError> for EngineError {
    fn from(e: ZmtpError) -> EngineError {
        EngineError::Protocol(e)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Greeting,
    /// 3.x: the mechanism's handshake.
    Handshake,
    /// 1.0/2.0: waiting for the peer's identity frame.
    Identity,
    Active,
    /// The handshake failed: what is queued (an ERROR for the peer) is
    /// written, then the connection closes with this error.
    Closing(EngineError),
    Failed,
}

/// Bytes waiting to be written: copied bytes and large bodies, in order.
enum Segment {
    Bytes(Vec<u8>),
    Body(Msg),
}

impl Segment {
    fn bytes(&self) -> &[u8] {
        match self {
            Segment::Bytes(b) => b,
            Segment::Body(m) => m.as_slice(),
        }
    }
}

/// Small frames are copied into buffers of this size, taken from and
/// given back to a cache of the thread's (at most BUFFERS_KEPT of them):
/// a busy connection allocates none per batch, and an idle one holds none.
const BUFFER_SIZE: usize = 64 * 1024;
const BUFFERS_KEPT: usize = 16;

thread_local! {
    static FREE_BUFFERS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

fn take_buffer() -> Vec<u8> {
    FREE_BUFFERS
        .try_with(|free| free.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_else(|| Vec::with_capacity(BUFFER_SIZE))
}

fn give_buffer(mut buf: Vec<u8>) {
    // One grown for an oversized push is not the cache's size: dropped.
    if buf.capacity() == BUFFER_SIZE {
        buf.clear();
        let _ = FREE_BUFFERS.try_with(move |free| {
            let mut free = free.borrow_mut();
            if free.len() < BUFFERS_KEPT {
                free.push(buf);
            }
        });
    }
}

#[derive(Default)]
struct Output {
    segments: VecDeque<Segment>,
    /// Bytes of the first segment already written.
    head_written: usize,
    len: usize,
}

impl Output {
    fn push_bytes(&mut self, bytes: &[u8]) {
        self.push_frame(bytes, &[]);
    }

    /// A header and a small body, appended together to the last copy
    /// buffer while it has room, else to a new one.
    fn push_frame(&mut self, header: &[u8], body: &[u8]) {
        let extra = header.len() + body.len();
        self.len += extra;
        if let Some(Segment::Bytes(last)) = self.segments.back_mut() {
            if last.len() + extra <= last.capacity() {
                last.extend_from_slice(header);
                last.extend_from_slice(body);
                return;
            }
        }
        let mut buf = take_buffer();
        buf.reserve(extra);
        buf.extend_from_slice(header);
        buf.extend_from_slice(body);
        self.segments.push_back(Segment::Bytes(buf));
    }

    fn push_body(&mut self, body: Msg) {
        self.len += body.len();
        self.segments.push_back(Segment::Body(body));
    }

    fn slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (i, segment) in self.segments.iter().enumerate() {
            if n == out.len() {
                break;
            }
            let bytes = segment.bytes();
            let bytes = if i == 0 {
                &bytes[self.head_written..]
            } else {
                bytes
            };
            out[n] = IoSlice::new(bytes);
            n += 1;
        }
        n
    }

    fn advance(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(head) = self.segments.front() else {
                break;
            };
            let left = head.bytes().len() - self.head_written;
            if n < left {
                self.head_written += n;
                return;
            }
            n -= left;
            self.head_written = 0;
            if let Some(Segment::Bytes(buf)) = self.segments.pop_front() {
                give_buffer(buf);
            }
        }
    }
}

/// One connection's ZMTP state.
pub struct Engine {
    config: EngineConfig,
    /// Whether subscriptions arrive here (PUB, XPUB) or leave (SUB, XSUB).
    subscriptions: Subscriptions,
    /// Whether messages travel with groups (RADIO, DISH).
    groups: Groups,
    /// A DISH's group frame, waiting for its body frame.
    group_frame: Option<Msg>,
    phase: Phase,
    greeting: GreetingDecoder,
    /// Created when the peer's greeting names our mechanism.
    mechanism: Option<Box<dyn Mechanism>>,
    /// The mechanism boxes every frame (CURVE).
    boxes: bool,
    decoder: FrameDecoder,
    version: Version,
    out: Output,
    /// The next outgoing frame starts a message (for subscription
    /// conversion, which applies to whole one-frame messages only).
    out_at_start: bool,
    peer: Option<PeerInfo>,
    ready_reported: bool,
    handshake_deadline: Option<Instant>,
    next_ping: Option<Instant>,
    /// Traffic must arrive before this (after our PING).
    pong_deadline: Option<Instant>,
    /// Output bytes up to the end of the PING that `pong_deadline` waits
    /// on, still to be written.
    ping_unsent: usize,
    /// Traffic must arrive before this (the TTL of the peer's PING).
    ttl_deadline: Option<Instant>,
}

impl Engine {
    /// A new engine; its signature is ready to be written at once.
    pub fn new(config: EngineConfig, now: Instant) -> Engine {
        let row = socket_type::lookup(config.socket_type);
        let subscriptions = row.map_or(Subscriptions::None, |t| t.subscriptions);
        let groups = row.map_or(Groups::None, |t| t.groups);
        let greeting = if config.security.refuses_legacy() {
            GreetingDecoder::v3_only()
        } else {
            GreetingDecoder::new()
        };
        let mut engine = Engine {
            decoder: FrameDecoder::new(FrameVersion::V3, config.max_msg_size),
            handshake_deadline: config.handshake_ivl.map(|ivl| now + ivl),
            config,
            subscriptions,
            groups,
            group_frame: None,
            phase: Phase::Greeting,
            greeting,
            mechanism: None,
            boxes: false,
            version: Version::V3_1,
            out: Output::default(),
            out_at_start: true,
            peer: None,
            ready_reported: false,
            next_ping: None,
            pong_deadline: None,
            ping_unsent: 0,
            ttl_deadline: None,
        };
        if engine.config.raw {
            engine.activate(
                PeerInfo {
                    version: Version::V3_1,
                    routing_id: Vec::new(),
                    properties: Properties::new(),
                },
                now,
            );
            return engine;
        }
        // The padding makes the signature the header of a ZMTP 1.0
        // identity frame, should the peer speak 1.0.
        let padding = engine.config.routing_id.len() as u64 + 1;
        engine.out.push_bytes(&signature(padding));
        engine
    }

    /// Whether the handshake is complete: messages may be sent.
    pub fn is_active(&self) -> bool {
        self.phase == Phase::Active
    }

    /// The peer, once the handshake is complete.
    pub fn peer(&self) -> Option<&PeerInfo> {
        self.peer.as_ref()
    }

    /// The peer's details the first time this is called after the
    /// handshake completed; `None` before and after.
    pub fn take_ready(&mut self) -> Option<PeerInfo> {
        if self.ready_reported {
            return None;
        }
        let peer = self.peer.clone()?;
        self.ready_reported = true;
        Some(peer)
    }

    /// Bytes are waiting to be written.
    pub fn has_output(&self) -> bool {
        self.out.len > 0
    }

    /// How many bytes are waiting to be written.
    pub fn output_len(&self) -> usize {
        self.out.len
    }

    /// Fills `slices` with the bytes to write next (for writev); returns
    /// how many slices were filled.
    pub fn output<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        self.out.slices(slices)
    }

    /// Records that `n` bytes of the output were written at `now`.
    pub fn advance_output(&mut self, n: usize, now: Instant) {
        self.out.advance(n);
        // A PING queued behind a large message is not the peer's to answer
        // until it is written: while the peer takes the bytes before it,
        // the wait restarts. Once it is out, writes no longer count (a
        // frozen peer's kernel still takes bytes).
        if n > 0 && self.ping_unsent > 0 {
            self.ping_unsent = self.ping_unsent.saturating_sub(n);
            if let Some(deadline) = self.pong_deadline {
                self.pong_deadline = Some(deadline.max(now + self.pong_wait()));
            }
        }
    }

    /// The handshake failed and what had to be written first (an ERROR
    /// for the peer) is written: the connection must now close.
    pub fn closed_by_handshake(&self) -> Option<&EngineError> {
        self.handshake_failure().filter(|_| !self.has_output())
    }

    /// Why the handshake failed, if it did (whether or not what must be
    /// written first is out).
    pub fn handshake_failure(&self) -> Option<&EngineError> {
        match &self.phase {
            Phase::Closing(e) => Some(e),
            _ => None,
        }
    }

    /// The handshake failed: nothing more is read, what is queued is
    /// written, then the connection closes.
    pub fn is_closing(&self) -> bool {
        matches!(self.phase, Phase::Closing(_))
    }

    /// A ZAP request the mechanism made, for the session to carry to the
    /// handler (taken once).
    pub fn take_zap_request(&mut self) -> Option<ZapRequest> {
        if self.phase != Phase::Handshake {
            return None;
        }
        self.mechanism.as_mut()?.take_zap_request()
    }

    /// The handler's reply (its frames), or `None` when no handler is
    /// bound. A malformed reply fails the handshake.
    pub fn zap_reply(&mut self, frames: Option<&[Msg]>, now: Instant) -> Result<(), EngineError> {
        let result = self.zap_reply_inner(frames, now);
        if result.is_err() {
            self.phase = Phase::Failed;
        }
        result
    }

    fn zap_reply_inner(&mut self, frames: Option<&[Msg]>, now: Instant) -> Result<(), EngineError> {
        let Some(mechanism) = self
            .mechanism
            .as_mut()
            .filter(|_| self.phase == Phase::Handshake)
        else {
            return Ok(());
        };
        let reply = frames
            .map(ZapReply::parse)
            .transpose()
            .map_err(EngineError::Handshake)?;
        mechanism.zap_reply(reply).map_err(EngineError::Handshake)?;
        self.handshake_step(now)
    }

    /// Where the body of the frame being received can be read straight
    /// into (large frames), or `None`: then read into a buffer and call
    /// [`Engine::input`]. After reading into it, call [`Engine::commit`].
    pub fn body_target(&mut self) -> Option<&mut BodyFill> {
        if self.reads_in_place() {
            self.decoder.body_target()
        } else {
            None
        }
    }

    /// Frames come from the socket as the decoder reads them: not boxed
    /// (CURVE), not raw (ZMQ_STREAM), and past the handshake.
    fn reads_in_place(&self) -> bool {
        self.phase == Phase::Active && !self.config.raw && !self.boxes
    }

    /// At most how much to read into a buffer next, when less than the
    /// `batch` (see [`FrameDecoder::read_limit`]).
    pub fn read_limit(&self, batch: usize) -> Option<usize> {
        if self.reads_in_place() {
            self.decoder.read_limit(batch)
        } else {
            None
        }
    }

    /// Bytes were read into [`Engine::body_target`]: takes the frame if
    /// its body is complete.
    pub fn commit(&mut self, now: Instant, out: &mut VecDeque<Msg>) -> Result<(), EngineError> {
        self.traffic();
        if let Some(msg) = self.decoder.commit() {
            self.frame(msg, now, out)?;
        }
        Ok(())
    }

    /// Takes bytes from the peer; complete messages are appended to `out`
    /// (their `more()` flags as sent). After an error the engine is dead:
    /// the connection must be closed.
    pub fn input(
        &mut self,
        data: &[u8],
        now: Instant,
        out: &mut VecDeque<Msg>,
    ) -> Result<(), EngineError> {
        match self.phase {
            Phase::Failed => return Err(EngineError::Protocol(ZmtpError::BadGreeting)),
            // Whatever the peer says now changes nothing.
            Phase::Closing(_) => return Ok(()),
            _ => {}
        }
        let result = self.input_inner(data, now, out);
        if result.is_err() {
            self.phase = Phase::Failed;
        }
        result
    }

    fn input_inner(
        &mut self,
        mut data: &[u8],
        now: Instant,
        out: &mut VecDeque<Msg>,
    ) -> Result<(), EngineError> {
        if !data.is_empty() {
            self.traffic();
        }
        if self.config.raw {
            // Each chunk read is a message.
            if !data.is_empty() {
                out.push_back(Msg::from_slice(data).map_err(|_| ZmtpError::NoMemory)?);
            }
            return Ok(());
        }
        while !data.is_empty() {
            if self.phase == Phase::Greeting {
                let (used, status) = self.greeting.feed(data)?;
                data = &data[used..];
                match status {
                    GreetingStatus::Incomplete => {
                        if used == 0 {
                            break;
                        }
                    }
                    GreetingStatus::Signature => self.out.push_bytes(&[MAJOR]),
                    GreetingStatus::Major(major) => {
                        if major >= MAJOR {
                            let security = &self.config.security;
                            let greeting = Greeting::new(security.mechanism, security.as_server);
                            self.out.push_bytes(&greeting.tail());
                        } else {
                            // ZMTP 2.0: the rest of our greeting is the
                            // socket type.
                            self.out.push_bytes(&[self.config.socket_type as u8]);
                        }
                    }
                    GreetingStatus::Done(peer) => self.greeting_done(peer, now, out)?,
                }
                if self.is_closing() {
                    break;
                }
                continue;
            }
            if self.phase == Phase::Active && !self.boxes && self.groups == Groups::None {
                // The common case: a run of whole short data frames (which
                // RADIO and DISH look at one by one).
                let used = self.decoder.decode_short_data(data, out)?;
                data = &data[used..];
                if data.is_empty() {
                    break;
                }
            }
            let (used, msg) = self.decoder.decode(data)?;
            data = &data[used..];
            if let Some(msg) = msg {
                self.frame(msg, now, out)?;
            } else if used == 0 {
                break;
            }
        }
        Ok(())
    }

    fn greeting_done(
        &mut self,
        peer: PeerGreeting,
        now: Instant,
        out: &mut VecDeque<Msg>,
    ) -> Result<(), EngineError> {
        self.version = peer.version();
        match peer {
            PeerGreeting::V3 { mechanism, .. } => {
                if mechanism != self.config.security.mechanism {
                    // Our whole greeting goes out first, so the peer
                    // learns of the mismatch too.
                    self.phase = Phase::Closing(EngineError::MechanismMismatch);
                    return Ok(());
                }
                self.phase = Phase::Handshake;
                self.decoder.expect_commands(true);
                self.mechanism = Some(mechanism::new(&self.config));
                self.handshake_step(now)?;
            }
            PeerGreeting::Legacy { revision, .. } => {
                let framing = if revision == 0 {
                    FrameVersion::V1
                } else {
                    FrameVersion::V2
                };
                self.decoder = FrameDecoder::new(framing, self.config.max_msg_size);
                self.phase = Phase::Identity;
                let identity =
                    Msg::from_slice(&self.config.routing_id).map_err(|_| ZmtpError::NoMemory)?;
                self.write_frame(&identity);
            }
            PeerGreeting::Unversioned { replay } => {
                self.decoder = FrameDecoder::new(FrameVersion::V1, self.config.max_msg_size);
                self.phase = Phase::Identity;
                // Our signature was the header of our identity frame: its
                // body completes it.
                let id = self.config.routing_id.clone();
                self.out.push_bytes(&id);
                // What the peer sent so far is the start of its own.
                let mut data = &replay[..];
                while !data.is_empty() {
                    let (used, msg) = self.decoder.decode(data)?;
                    data = &data[used..];
                    if let Some(msg) = msg {
                        self.frame(msg, now, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends what the mechanism has to say, then acts on where it stands.
    fn handshake_step(&mut self, now: Instant) -> Result<(), EngineError> {
        let Some(mechanism) = self.mechanism.as_mut() else {
            return Ok(());
        };
        while let Some(body) = mechanism.next_command().map_err(EngineError::Handshake)? {
            // Handshake commands are short: the header is the long form
            // only past 255 bytes, as for any frame.
            let (header, len) = frame::header_for(body.len(), false, true);
            self.out.push_frame(&header[..len], &body);
        }
        match mechanism.status() {
            Status::Handshaking => {}
            Status::Ready => {
                let properties = mechanism.take_properties();
                self.boxes = mechanism.boxes_frames();
                let routing_id = properties.routing_id().unwrap_or_default().to_vec();
                self.activate(
                    PeerInfo {
                        version: self.version,
                        routing_id,
                        properties,
                    },
                    now,
                );
            }
            Status::Error(failure) => self.phase = Phase::Closing(EngineError::Handshake(failure)),
        }
        Ok(())
    }

    fn frame(
        &mut self,
        msg: Msg,
        now: Instant,
        out: &mut VecDeque<Msg>,
    ) -> Result<(), EngineError> {
        match self.phase {
            Phase::Handshake => {
                if !msg.is_command() {
                    return Err(ZmtpError::UnexpectedCommand.into());
                }
                if let Some(mechanism) = self.mechanism.as_mut() {
                    mechanism
                        .process_command(msg.as_slice())
                        .map_err(EngineError::Handshake)?;
                }
                self.handshake_step(now)
            }
            Phase::Identity => {
                let routing_id = msg.as_slice().to_vec();
                self.activate(
                    PeerInfo {
                        version: self.version,
                        routing_id,
                        properties: Properties::new(),
                    },
                    now,
                );
                if self.version == Version::V1_0 && self.subscriptions == Subscriptions::Receives {
                    // A 1.0 subscriber sends no subscriptions: it gets all.
                    out.push_back(Msg::from_slice(&[1]).map_err(|_| ZmtpError::NoMemory)?);
                }
                Ok(())
            }
            Phase::Active => {
                let msg = match self.mechanism.as_mut().filter(|_| self.boxes) {
                    Some(mechanism) => mechanism.decode(&msg).map_err(EngineError::Handshake)?,
                    None => msg,
                };
                if msg.is_command() {
                    self.command(&msg, now, out)
                } else {
                    self.deliver(msg, out)
                }
            }
            Phase::Greeting | Phase::Closing(_) | Phase::Failed => {
                Err(ZmtpError::UnexpectedCommand.into())
            }
        }
    }

    /// A data frame for the socket. A DISH's message comes as its group
    /// frame (MORE, at most ZMQ_GROUP_MAX_LENGTH bytes) and then one body
    /// frame, and leaves as one message with its group; anything else is a
    /// protocol error. A RADIO takes no data (a DISH sends none).
    fn deliver(&mut self, msg: Msg, out: &mut VecDeque<Msg>) -> Result<(), EngineError> {
        match self.groups {
            Groups::None => out.push_back(msg),
            Groups::Sends => {}
            Groups::Joins => match self.group_frame.take() {
                None if msg.more() && msg.len() <= GROUP_MAX_LENGTH => self.group_frame = Some(msg),
                Some(group) if !msg.more() => {
                    let mut msg = msg;
                    msg.set_group(group.as_slice())
                        .map_err(|_| ZmtpError::InvalidGroup)?;
                    out.push_back(msg);
                }
                _ => return Err(ZmtpError::InvalidGroup.into()),
            },
        }
        Ok(())
    }

    fn activate(&mut self, peer: PeerInfo, now: Instant) {
        self.peer = Some(peer);
        self.phase = Phase::Active;
        self.decoder.expect_commands(false);
        self.handshake_deadline = None;
        if self.version >= Version::V3_0 && !self.config.raw {
            self.next_ping = self.config.heartbeat_ivl.map(|ivl| now + ivl);
        }
    }

    fn command(
        &mut self,
        msg: &Msg,
        now: Instant,
        out: &mut VecDeque<Msg>,
    ) -> Result<(), EngineError> {
        match Command::from_msg(msg)? {
            Command::Ping { ttl, context } => {
                let pong = Command::pong_for(&context).to_msg()?;
                self.emit(pong);
                if ttl > 0 {
                    self.ttl_deadline = Some(now + Duration::from_millis(u64::from(ttl) * 100));
                }
            }
            Command::Pong { .. } => {}
            Command::Subscribe(topic) | Command::Cancel(topic)
                if self.subscriptions == Subscriptions::Receives =>
            {
                let subscribe = msg.as_slice().starts_with(b"\x09SUBSCRIBE");
                let mut body = Vec::with_capacity(topic.len() + 1);
                body.push(u8::from(subscribe));
                body.extend_from_slice(&topic);
                out.push_back(Msg::from_slice(&body).map_err(|_| ZmtpError::NoMemory)?);
            }
            Command::Join(group) if self.groups == Groups::Sends => {
                out.push_back(membership(msg_flags::JOIN, &group)?);
            }
            Command::Leave(group) if self.groups == Groups::Sends => {
                out.push_back(membership(msg_flags::LEAVE, &group)?);
            }
            Command::Error { reason } => return Err(EngineError::Refused(reason)),
            Command::Ready(_) => return Err(ZmtpError::UnexpectedCommand.into()),
            // Subscriptions sent to a non-publisher, and commands we do not
            // know, are ignored (RFC 37).
            _ => {}
        }
        Ok(())
    }

    /// Queues a message frame from the socket. Only valid once active
    /// (frames given earlier are the caller's bug and are dropped).
    pub fn send(&mut self, msg: Msg) {
        if self.phase != Phase::Active {
            return;
        }
        if self.config.raw {
            if msg.len() >= ZERO_COPY_MIN {
                self.out.push_body(msg);
            } else {
                self.out.push_bytes(msg.as_slice());
            }
            return;
        }
        match self.groups {
            Groups::Sends => {
                // The group frame first, then the body.
                if let Ok(mut group) = Msg::from_slice(msg.group()) {
                    group.set_more(true);
                    self.emit(group);
                    self.emit(msg);
                }
                return;
            }
            Groups::Joins if msg.is_join() || msg.is_leave() => {
                let group = msg.group().to_vec();
                let command = match msg.is_join() {
                    true => Command::Join(group),
                    false => Command::Leave(group),
                };
                if let Ok(command) = command.to_msg() {
                    self.emit(command);
                }
                return;
            }
            _ => {}
        }
        let at_start = self.out_at_start;
        self.out_at_start = !msg.more();
        if at_start
            && !msg.more()
            && self.version == Version::V3_1
            && self.subscriptions == Subscriptions::Sends
        {
            if let Some(command) = subscription_command(msg.as_slice()) {
                if let Ok(command) = command.to_msg() {
                    self.emit(command);
                }
                return;
            }
        }
        self.emit(msg);
    }

    /// Queues a frame once active, boxed if the mechanism boxes frames.
    fn emit(&mut self, msg: Msg) {
        let Some(mechanism) = self.mechanism.as_mut().filter(|_| self.boxes) else {
            self.write_owned(msg);
            return;
        };
        match mechanism.encode(&msg) {
            Ok(boxed) => self.write_frame(&boxed),
            // Nonces ran out: the connection cannot go on.
            Err(failure) => self.phase = Phase::Closing(EngineError::Handshake(failure)),
        }
    }

    /// Encodes a frame, copying its body.
    fn write_frame(&mut self, msg: &Msg) {
        let (header, len) = self.header(msg);
        self.out.push_frame(&header[..len], msg.as_slice());
    }

    /// Encodes a frame, keeping a large body by reference.
    fn write_owned(&mut self, msg: Msg) {
        if msg.len() >= ZERO_COPY_MIN {
            self.write_header(&msg);
            self.out.push_body(msg);
        } else {
            self.write_frame(&msg);
        }
    }

    fn write_header(&mut self, msg: &Msg) {
        let (bytes, len) = self.header(msg);
        self.out.push_bytes(&bytes[..len]);
    }

    /// A frame's header in this connection's framing (1.0 headers are
    /// one octet longer, hence the larger array).
    fn header(&self, msg: &Msg) -> ([u8; frame::MAX_V1_HEADER_LEN], usize) {
        let mut out = [0; frame::MAX_V1_HEADER_LEN];
        let len = if self.version == Version::V1_0 {
            let (bytes, len) = frame::v1_header_for(msg.len(), msg.more());
            out[..len].copy_from_slice(&bytes[..len]);
            len
        } else {
            let command = msg.is_command() && self.version >= Version::V3_0;
            let (bytes, len) = frame::header_for(msg.len(), msg.more(), command);
            out[..len].copy_from_slice(&bytes[..len]);
            len
        };
        (out, len)
    }

    /// How long a PING waits for the peer (ZMQ_HEARTBEAT_TIMEOUT, by
    /// default the interval).
    fn pong_wait(&self) -> Duration {
        self.config
            .heartbeat_timeout
            .or(self.config.heartbeat_ivl)
            .unwrap_or_default()
    }

    fn traffic(&mut self) {
        self.pong_deadline = None;
        self.ping_unsent = 0;
        self.ttl_deadline = None;
    }

    /// The next moment [`Engine::on_timer`] has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.handshake_deadline,
            self.next_ping,
            self.pong_deadline,
            self.ttl_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs what is due at `now`: a PING to send, or a deadline missed
    /// (an error: the connection must be closed).
    pub fn on_timer(&mut self, now: Instant) -> Result<(), EngineError> {
        if let Phase::Closing(e) = &self.phase {
            // The peer does not read the ERROR meant for it.
            if self.handshake_deadline.is_some_and(|d| now >= d) {
                let e = e.clone();
                self.phase = Phase::Failed;
                return Err(e);
            }
            return Ok(());
        }
        if self.handshake_deadline.is_some_and(|d| now >= d) {
            self.phase = Phase::Failed;
            return Err(EngineError::HandshakeTimeout);
        }
        if self.pong_deadline.is_some_and(|d| now >= d)
            || self.ttl_deadline.is_some_and(|d| now >= d)
        {
            self.phase = Phase::Failed;
            return Err(EngineError::HeartbeatTimeout);
        }
        if let (Some(at), Some(ivl)) = (self.next_ping, self.config.heartbeat_ivl) {
            if now >= at {
                let ttl = self.config.heartbeat_ttl.as_millis() / 100;
                let ping = Command::Ping {
                    ttl: u16::try_from(ttl).unwrap_or(u16::MAX),
                    context: Vec::new(),
                };
                if let Ok(ping) = ping.to_msg() {
                    self.emit(ping);
                }
                self.next_ping = Some(now + ivl);
                if self.pong_deadline.is_none() {
                    self.pong_deadline = Some(now + self.pong_wait());
                    self.ping_unsent = self.out.len;
                }
            }
        }
        Ok(())
    }
}

/// A DISH's JOIN or LEAVE as the RADIO's socket takes it.
fn membership(flag: u8, group: &[u8]) -> Result<Msg, ZmtpError> {
    Msg::membership(flag, group).map_err(|_| ZmtpError::InvalidGroup)
}

/// The SUBSCRIBE or CANCEL command a 0x01/0x00-prefixed message stands
/// for, if it is one.
fn subscription_command(data: &[u8]) -> Option<Command> {
    match data.split_first() {
        Some((1, topic)) => Some(Command::Subscribe(topic.to_vec())),
        Some((0, topic)) => Some(Command::Cancel(topic.to_vec())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::greeting::MechanismName;
    use super::super::mechanism::zap::ZapRequest;
    use super::super::protocol_error;
    use super::super::testing::{shuttle, shuttle_zap, take_output, zap_reply};
    use super::*;

    const PUB: i32 = 1;
    const SUB: i32 = 2;
    const REQ: i32 = 3;
    const REP: i32 = 4;
    const DEALER: i32 = 5;
    const ROUTER: i32 = 6;
    const PULL: i32 = 7;
    const PUSH: i32 = 8;
    const XPUB: i32 = 9;

    fn config(socket_type: i32, id: &[u8]) -> EngineConfig {
        EngineConfig {
            routing_id: id.to_vec(),
            ..EngineConfig::new(socket_type)
        }
    }

    fn msg(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data).unwrap();
        m.set_more(more);
        m
    }

    #[test]
    fn two_engines_handshake_and_exchange_messages_at_any_chunking() {
        for chunk in [1, 2, 7, 64, 10_000] {
            let now = Instant::now();
            let mut a = Engine::new(config(DEALER, b"alice"), now);
            let mut b = Engine::new(config(ROUTER, b""), now);
            shuttle(&mut a, &mut b, chunk, now).unwrap();
            assert!(a.is_active() && b.is_active());
            let peer = b.take_ready().unwrap();
            assert_eq!(peer.version, Version::V3_1);
            assert_eq!(peer.routing_id, b"alice");
            assert_eq!(peer.properties.socket_type(), Some(&b"DEALER"[..]));
            assert!(b.take_ready().is_none());
            assert_eq!(
                a.take_ready().unwrap().properties.socket_type(),
                Some(&b"ROUTER"[..])
            );

            let big = vec![7u8; 100_000];
            for size in [0usize, 1, 255, 256] {
                a.send(msg(&big[..size], true));
            }
            a.send(msg(&big, false));
            let (_, at_b) = shuttle(&mut a, &mut b, chunk, now).unwrap();
            let sizes: Vec<_> = at_b.iter().map(|m| (m.len(), m.more())).collect();
            assert_eq!(
                sizes,
                [
                    (0, true),
                    (1, true),
                    (255, true),
                    (256, true),
                    (100_000, false)
                ]
            );
            assert!(at_b.iter().all(|m| !m.is_command()));
        }
    }

    #[test]
    fn ready_carries_application_metadata() {
        let now = Instant::now();
        let mut cfg = config(DEALER, b"");
        cfg.metadata = vec![
            ("X-Hello".to_owned(), b"World".to_vec()),
            ("X-Two".to_owned(), vec![b'v'; 300]),
        ];
        let mut a = Engine::new(cfg, now);
        let mut b = Engine::new(config(ROUTER, b""), now);
        shuttle(&mut a, &mut b, 5, now).unwrap();
        let peer = b.take_ready().unwrap();
        assert_eq!(peer.properties.get("X-Hello"), Some(&b"World"[..]));
        assert_eq!(peer.properties.get("X-Two"), Some(&[b'v'; 300][..]));
        let meta = peer.properties.to_metadata();
        assert_eq!(
            meta.get("x-hello").map(|v| v.to_bytes()),
            Some(&b"World"[..])
        );
        // The other side announced none.
        assert!(a.take_ready().unwrap().properties.get("X-Hello").is_none());
    }

    #[test]
    fn incompatible_socket_types_fail_the_handshake() {
        let now = Instant::now();
        let mut a = Engine::new(config(PUB, b""), now);
        let mut b = Engine::new(config(PULL, b""), now);
        let err = shuttle(&mut a, &mut b, 100, now).unwrap_err();
        assert!(
            matches!(
                err,
                EngineError::Handshake(Failure::IncompatibleSocketType(_))
            ),
            "{err:?}"
        );
        // REQ with REQ, PUSH with PUSH.
        for (x, y) in [(REQ, REQ), (PUSH, PUSH), (REP, ROUTER)] {
            let mut a = Engine::new(config(x, b""), now);
            let mut b = Engine::new(config(y, b""), now);
            assert!(shuttle(&mut a, &mut b, 100, now).is_err());
        }
    }

    #[test]
    fn subscriptions_travel_as_commands_to_3_1_and_come_back_as_messages() {
        let now = Instant::now();
        let mut sub = Engine::new(config(SUB, b""), now);
        let mut publisher = Engine::new(config(XPUB, b""), now);
        shuttle(&mut sub, &mut publisher, 100, now).unwrap();
        sub.send(msg(b"\x01topic", false));
        sub.send(msg(b"\x00topic", false));
        let wire = take_output(&mut sub);
        assert_eq!(&wire[..3], b"\x04\x0f\x09");
        assert_eq!(&wire[3..17], b"SUBSCRIBEtopic");
        assert_eq!(&wire[17..20], b"\x04\x0c\x06");
        let mut got = VecDeque::new();
        publisher.input(&wire, now, &mut got).unwrap();
        let bodies: Vec<_> = got.iter().map(|m| m.as_slice().to_vec()).collect();
        assert_eq!(bodies, [b"\x01topic".to_vec(), b"\x00topic".to_vec()]);
    }

    fn grouped(group: &[u8], body: &[u8]) -> Msg {
        let mut msg = Msg::from_slice(body).unwrap();
        msg.set_group(group).unwrap();
        msg
    }

    #[test]
    fn groups_travel_as_a_group_frame_and_joins_as_commands() {
        const RADIO: i32 = 14;
        const DISH: i32 = 15;
        let now = Instant::now();
        let mut radio = Engine::new(config(RADIO, b""), now);
        let mut dish = Engine::new(config(DISH, b""), now);
        shuttle(&mut radio, &mut dish, 100, now).unwrap();

        dish.send(Msg::membership(msg_flags::JOIN, b"news").unwrap());
        dish.send(Msg::membership(msg_flags::LEAVE, b"news").unwrap());
        let wire = take_output(&mut dish);
        assert_eq!(wire, b"\x04\x09\x04JOINnews\x04\x0a\x05LEAVEnews");
        let mut got = VecDeque::new();
        radio.input(&wire, now, &mut got).unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|m| (m.group().to_vec(), m.is_join(), m.is_leave()))
            .collect();
        assert_eq!(
            seen,
            [
                (b"news".to_vec(), true, false),
                (b"news".to_vec(), false, true)
            ]
        );

        radio.send(grouped(b"news", b"hello"));
        radio.send(grouped(b"", b"no group"));
        let wire = take_output(&mut radio);
        assert_eq!(&wire[..8], b"\x01\x04news\x00\x05");
        let mut got = VecDeque::new();
        dish.input(&wire, now, &mut got).unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|m| (m.group().to_vec(), m.as_slice().to_vec(), m.more()))
            .collect();
        assert_eq!(
            seen,
            [
                (b"news".to_vec(), b"hello".to_vec(), false),
                (vec![], b"no group".to_vec(), false)
            ]
        );
        // A DISH's data frames are nothing to a RADIO.
        let mut got = VecDeque::new();
        radio.input(b"\x00\x03abc", now, &mut got).unwrap();
        assert!(got.is_empty());
    }

    #[test]
    fn a_malformed_group_frame_is_a_protocol_error() {
        const RADIO: i32 = 14;
        const DISH: i32 = 15;
        let long = [b'g'; 256];
        let mut too_long = vec![0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00];
        too_long.extend_from_slice(&long);
        let cases: [&[u8]; 4] = [
            // A group frame without MORE.
            b"\x00\x04news",
            // A body frame with MORE after the group.
            b"\x01\x04news\x01\x01x",
            // A group with a NUL inside.
            b"\x01\x02a\x00\x00\x01x",
            &too_long,
        ];
        for case in cases {
            let now = Instant::now();
            let mut radio = Engine::new(config(RADIO, b""), now);
            let mut dish = Engine::new(config(DISH, b""), now);
            shuttle(&mut radio, &mut dish, 100, now).unwrap();
            let mut got = VecDeque::new();
            let result = dish.input(case, now, &mut got);
            assert!(result.is_err(), "{case:?}");
            assert!(got.is_empty());
        }
        // A JOIN with a group over the limit.
        let now = Instant::now();
        let mut radio = Engine::new(config(RADIO, b""), now);
        let mut dish = Engine::new(config(DISH, b""), now);
        shuttle(&mut radio, &mut dish, 100, now).unwrap();
        let mut join = vec![0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x05];
        join.extend_from_slice(b"\x04JOIN");
        join.extend_from_slice(&long);
        let mut got = VecDeque::new();
        assert!(radio.input(&join, now, &mut got).is_err());
    }

    /// A 3.0 peer: our greeting staged, its READY, subscriptions as data.
    #[test]
    fn a_3_0_peer_gets_subscriptions_as_data_frames() {
        let now = Instant::now();
        let mut sub = Engine::new(config(SUB, b""), now);
        assert_eq!(take_output(&mut sub), signature(1));
        let mut greeting = Greeting::new(MechanismName::Null, false);
        greeting.minor = 0;
        let peer_greeting = greeting.encode(0);
        let mut got = VecDeque::new();
        sub.input(&peer_greeting[..10], now, &mut got).unwrap();
        assert_eq!(take_output(&mut sub), [3]);
        sub.input(&peer_greeting[10..], now, &mut got).unwrap();
        let rest = take_output(&mut sub);
        assert_eq!(rest[0], 1, "we announce 3.1");
        assert_eq!(&rest[1..5], b"NULL");
        // Then our READY.
        let ready_at = TAIL_OF_GREETING;
        assert_eq!(rest[ready_at], 0x04);
        let mut props = Properties::new();
        props.push("Socket-Type", "PUB");
        let ready = Command::Ready(props).to_msg().unwrap();
        let mut bytes = Vec::new();
        frame::encode(&ready, &mut bytes);
        sub.input(&bytes, now, &mut got).unwrap();
        assert!(sub.is_active());
        assert_eq!(sub.take_ready().unwrap().version, Version::V3_0);
        sub.send(msg(b"\x01abc", false));
        assert_eq!(take_output(&mut sub), b"\x00\x04\x01abc");
    }

    const TAIL_OF_GREETING: usize = super::super::greeting::TAIL_LEN;

    #[test]
    fn a_2_0_peer_exchanges_identities_then_frames() {
        let now = Instant::now();
        let mut dealer = Engine::new(config(DEALER, b"me"), now);
        take_output(&mut dealer);
        let mut got = VecDeque::new();
        // Signature, revision 1, socket type ROUTER (6), identity frame "you".
        let mut peer = signature(1).to_vec();
        peer.extend_from_slice(&[1, 6]);
        peer.extend_from_slice(b"\x00\x03you");
        peer.extend_from_slice(b"\x01\x01a\x00\x00");
        dealer.input(&peer, now, &mut got).unwrap();
        let info = dealer.take_ready().unwrap();
        assert_eq!(info.version, Version::V2_0);
        assert_eq!(info.routing_id, b"you");
        let bodies: Vec<_> = got
            .iter()
            .map(|m| (m.as_slice().to_vec(), m.more()))
            .collect();
        assert_eq!(bodies, [(b"a".to_vec(), true), (b"".to_vec(), false)]);
        // We sent: major 3, our socket type, our identity frame.
        assert_eq!(take_output(&mut dealer), b"\x03\x05\x00\x02me");
        dealer.send(msg(b"xyz", false));
        assert_eq!(take_output(&mut dealer), b"\x00\x03xyz");
    }

    #[test]
    fn a_1_0_peer_reads_our_signature_as_an_identity_header() {
        let now = Instant::now();
        let mut publisher = Engine::new(config(PUB, b"id"), now);
        assert_eq!(take_output(&mut publisher), signature(3));
        let mut got = VecDeque::new();
        // A 1.0 peer's identity frame: length 1 (flags only), flags 0.
        // Then a message "hi": length 3, flags 0.
        publisher
            .input(b"\x01\x00\x03\x00hi", now, &mut got)
            .unwrap();
        assert_eq!(publisher.take_ready().unwrap().version, Version::V1_0);
        // The body of our identity frame follows the signature.
        assert_eq!(take_output(&mut publisher), b"id");
        // A 1.0 subscriber subscribes to everything implicitly.
        let bodies: Vec<_> = got.iter().map(|m| m.as_slice().to_vec()).collect();
        assert_eq!(bodies, [b"\x01".to_vec(), b"hi".to_vec()]);
        publisher.send(msg(b"news", false));
        assert_eq!(take_output(&mut publisher), b"\x05\x00news");
    }

    #[test]
    fn hostile_input_fails_cleanly() {
        let now = Instant::now();
        let cases: Vec<Vec<u8>> = vec![
            // Unknown mechanism.
            {
                let mut g = Greeting::new(MechanismName::Null, false).encode(0).to_vec();
                g[12..16].copy_from_slice(b"XXXX");
                g
            },
            // A data frame before READY.
            {
                let mut g = Greeting::new(MechanismName::Null, false).encode(0).to_vec();
                g.extend_from_slice(b"\x00\x01x");
                g
            },
            // READY with a broken property list.
            {
                let mut g = Greeting::new(MechanismName::Null, false).encode(0).to_vec();
                g.extend_from_slice(b"\x04\x08\x05READY\x0bS");
                g
            },
            // A frame of 2^63 bytes, announced after a good handshake.
            {
                let mut g = Greeting::new(MechanismName::Null, false).encode(0).to_vec();
                let mut props = Properties::new();
                props.push("Socket-Type", "ROUTER");
                frame::encode(&Command::Ready(props).to_msg().unwrap(), &mut g);
                g.extend_from_slice(&[0x02, 0x80, 0, 0, 0, 0, 0, 0, 0]);
                g
            },
            // Reserved flag bits.
            {
                let mut g = Greeting::new(MechanismName::Null, false).encode(0).to_vec();
                let mut props = Properties::new();
                props.push("Socket-Type", "ROUTER");
                frame::encode(&Command::Ready(props).to_msg().unwrap(), &mut g);
                g.extend_from_slice(&[0x80, 0x00]);
                g
            },
            // ERROR from the peer.
            {
                let mut g = Greeting::new(MechanismName::Null, false).encode(0).to_vec();
                g.extend_from_slice(b"\x04\x0a\x05ERROR\x04nope");
                g
            },
        ];
        for (i, case) in cases.iter().enumerate() {
            for chunk in [1, 5, 1000] {
                let mut config = config(DEALER, b"");
                config.max_msg_size = 1 << 20;
                let mut e = Engine::new(config, now);
                let mut got = VecDeque::new();
                let result = case
                    .chunks(chunk)
                    .try_for_each(|c| e.input(c, now, &mut got));
                assert!(result.is_err(), "case {i} chunk {chunk}");
                assert!(e.input(b"more", now, &mut got).is_err());
            }
        }
        // Random garbage never panics; legacy refused when asked.
        let mut rng = super::super::TestRng::new(7);
        for _ in 0..500 {
            let len = rng.below(200);
            let bytes = rng.bytes(len);
            let mut e = Engine::new(config(ROUTER, b""), now);
            let mut got = VecDeque::new();
            let _ = e.input(&bytes, now, &mut got);
        }
        let mut strict = config(DEALER, b"");
        strict.security.zap_domain = b"x".to_vec();
        let mut e = Engine::new(strict, now);
        assert!(e.input(b"\x01\x00", now, &mut VecDeque::new()).is_err());
    }

    #[test]
    fn a_long_frame_never_completed_holds_only_what_arrived() {
        let now = Instant::now();
        let mut a = Engine::new(config(DEALER, b""), now);
        let mut b = Engine::new(config(DEALER, b""), now);
        shuttle(&mut a, &mut b, 1000, now).unwrap();
        let mut got = VecDeque::new();
        // Announce 1 GiB, send 1 MiB of it.
        let mut header = vec![0x02];
        header.extend_from_slice(&(1u64 << 30).to_be_bytes());
        b.input(&header, now, &mut got).unwrap();
        let chunk = vec![0u8; 65536];
        for _ in 0..16 {
            b.input(&chunk, now, &mut got).unwrap();
        }
        assert!(got.is_empty());
        assert!(b.decoder.buffered_capacity() <= 4 << 20);
    }

    /// A DEALER that pings every 100 ms and waits 300 ms for an answer,
    /// connected at `t0` to a DEALER without heartbeats.
    fn heartbeating_pair(t0: Instant, ttl: Duration) -> (Engine, Engine) {
        let mut cfg = config(DEALER, b"");
        cfg.heartbeat_ivl = Some(Duration::from_millis(100));
        cfg.heartbeat_ttl = ttl;
        cfg.heartbeat_timeout = Some(Duration::from_millis(300));
        let mut a = Engine::new(cfg, t0);
        let mut b = Engine::new(config(DEALER, b""), t0);
        shuttle(&mut a, &mut b, 1000, t0).unwrap();
        (a, b)
    }

    #[test]
    fn heartbeats_ping_answer_and_time_out() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let (mut a, mut b) = heartbeating_pair(t0, ms(500));
        assert_eq!(a.next_deadline(), Some(t0 + ms(100)));
        a.on_timer(t0 + ms(100)).unwrap();
        let ping = take_output(&mut a);
        assert_eq!(ping, b"\x04\x07\x04PING\x00\x05");
        let mut got = VecDeque::new();
        b.input(&ping, t0 + ms(100), &mut got).unwrap();
        assert!(got.is_empty());
        // b must hear from a within the TTL (0.5 s).
        assert_eq!(b.next_deadline(), Some(t0 + ms(600)));
        let pong = take_output(&mut b);
        assert_eq!(pong, b"\x04\x05\x04PONG");
        a.input(&pong, t0 + ms(150), &mut got).unwrap();
        // Silence from now on: a pings again and then gives up.
        a.on_timer(t0 + ms(200)).unwrap();
        take_output(&mut a);
        assert_eq!(a.on_timer(t0 + ms(500)), Err(EngineError::HeartbeatTimeout));
        assert_eq!(b.on_timer(t0 + ms(600)), Err(EngineError::HeartbeatTimeout));
    }

    /// A PING queued behind a large message waits for the peer only once
    /// it is written: a peer still taking the bytes before it is alive.
    #[test]
    fn a_ping_behind_a_large_message_waits_from_the_last_write() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let (mut a, _b) = heartbeating_pair(t0, Duration::ZERO);
        a.send(msg(&vec![7u8; 1 << 20], false));
        a.on_timer(t0 + ms(100)).unwrap();
        // The peer reads slowly: a quarter of the bytes every 200 ms.
        let total = a.output_len();
        for step in 1..=4 {
            let at = t0 + ms(100 + 200 * step);
            assert_eq!(a.on_timer(at), Ok(()), "timed out at step {step}");
            a.advance_output(total / 4, at);
        }
        let ping_out = t0 + ms(900);
        let rest = a.output_len();
        a.advance_output(rest, ping_out);
        // The PING is out; a frozen peer's kernel still takes more bytes,
        // which prove nothing: no PONG within the timeout ends it.
        a.send(msg(b"more", false));
        let more = a.output_len();
        a.advance_output(more, ping_out + ms(200));
        assert_eq!(a.on_timer(ping_out + ms(250)), Ok(()));
        assert_eq!(
            a.on_timer(ping_out + ms(300)),
            Err(EngineError::HeartbeatTimeout)
        );
    }

    #[test]
    fn the_handshake_has_a_deadline() {
        let t0 = Instant::now();
        let mut cfg = config(DEALER, b"");
        cfg.handshake_ivl = Some(Duration::from_millis(50));
        let mut a = Engine::new(cfg, t0);
        assert_eq!(a.on_timer(t0 + Duration::from_millis(10)), Ok(()));
        assert_eq!(
            a.on_timer(t0 + Duration::from_millis(50)),
            Err(EngineError::HandshakeTimeout)
        );
    }

    /// A peer that stops at any byte of its handshake leaves the engine
    /// waiting (never active, nothing delivered), and the rest completes it.
    #[test]
    fn a_handshake_cut_at_every_offset_waits_for_the_rest() {
        let now = Instant::now();
        let mut peer = Engine::new(config(ROUTER, b""), now);
        let mut probe = Engine::new(config(DEALER, b"x"), now);
        // Record what a ROUTER says during a whole handshake.
        let mut wire = Vec::new();
        loop {
            let to_probe = take_output(&mut peer);
            let to_peer = take_output(&mut probe);
            if to_probe.is_empty() && to_peer.is_empty() {
                break;
            }
            wire.extend_from_slice(&to_probe);
            probe.input(&to_probe, now, &mut VecDeque::new()).unwrap();
            peer.input(&to_peer, now, &mut VecDeque::new()).unwrap();
        }
        peer.send(msg(b"data", false));
        wire.extend_from_slice(&take_output(&mut peer));
        for cut in 0..wire.len() {
            let mut e = Engine::new(config(DEALER, b"x"), now);
            let mut got = VecDeque::new();
            e.input(&wire[..cut], now, &mut got).unwrap();
            assert!(got.is_empty(), "cut {cut}");
            e.input(&wire[cut..], now, &mut got).unwrap();
            assert!(e.is_active(), "cut {cut}");
            assert_eq!(got.len(), 1, "cut {cut}");
        }
    }

    #[test]
    fn raw_engines_pass_bytes_through() {
        let now = Instant::now();
        let mut cfg = config(11, b"");
        cfg.raw = true;
        let mut e = Engine::new(cfg, now);
        assert!(e.is_active());
        assert!(e.take_ready().is_some());
        assert!(!e.has_output());
        let mut got = VecDeque::new();
        e.input(b"GET / HTTP/1.0\r\n", now, &mut got).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_slice(), b"GET / HTTP/1.0\r\n");
        e.send(msg(b"HTTP/1.0 200 OK\r\n", true));
        assert_eq!(take_output(&mut e), b"HTTP/1.0 200 OK\r\n");
        assert_eq!(e.next_deadline(), None);
    }

    #[test]
    fn large_bodies_go_out_by_reference() {
        let now = Instant::now();
        let mut a = Engine::new(config(PUSH, b""), now);
        let mut b = Engine::new(config(PULL, b""), now);
        shuttle(&mut a, &mut b, 1000, now).unwrap();
        let body = vec![9u8; 1 << 20];
        a.send(msg(&body, false));
        let mut slices = [IoSlice::new(&[]); 4];
        assert_eq!(a.output(&mut slices), 2);
        assert_eq!(slices[1].len(), 1 << 20);
        assert_eq!(a.output_len(), 9 + (1 << 20));
        // A partial write resumes where it stopped.
        a.advance_output(5, now);
        assert_eq!(a.output_len(), 4 + (1 << 20));
        let rest = take_output(&mut a);
        assert_eq!(rest.len(), 4 + (1 << 20));
    }

    fn secured(socket_type: i32, mechanism: MechanismName, server: bool) -> EngineConfig {
        let mut cfg = config(socket_type, b"");
        cfg.security.mechanism = mechanism;
        cfg.security.as_server = server;
        cfg.security.plain_username = b"admin".to_vec();
        cfg.security.plain_password = b"secret".to_vec();
        cfg.peer_address = "10.0.0.1".into();
        cfg
    }

    #[test]
    fn plain_engines_ask_zap_then_carry_messages_by_reference() {
        for chunk in [1, 3, 1000] {
            let now = Instant::now();
            let mut client = Engine::new(secured(DEALER, MechanismName::Plain, false), now);
            let mut server = Engine::new(secured(ROUTER, MechanismName::Plain, true), now);
            let mut asked: Vec<ZapRequest> = Vec::new();
            let mut zap = |r: &ZapRequest| {
                asked.push(r.clone());
                Some(zap_reply(b"200", b"admin-id"))
            };
            shuttle_zap(&mut client, &mut server, chunk, now, &mut zap).unwrap();
            assert!(client.is_active() && server.is_active(), "chunk {chunk}");
            assert_eq!(asked.len(), 1);
            assert_eq!(asked[0].mechanism, "PLAIN");
            assert_eq!(asked[0].address, b"10.0.0.1");
            let peer = server.take_ready().unwrap();
            assert_eq!(peer.properties.get("User-Id"), Some(&b"admin-id"[..]));
            assert_eq!(peer.properties.socket_type(), Some(&b"DEALER"[..]));
            // PLAIN leaves frames alone: large bodies still go by reference.
            client.send(msg(&vec![5u8; 1 << 20], false));
            let mut slices = [IoSlice::new(&[]); 4];
            assert_eq!(client.output(&mut slices), 2);
            let (_, at_server) = shuttle(&mut client, &mut server, chunk, now).unwrap();
            assert_eq!(at_server.len(), 1);
            assert_eq!(at_server[0].len(), 1 << 20);
        }
    }

    #[test]
    fn a_denied_peer_is_told_why_before_the_connection_closes() {
        let now = Instant::now();
        let mut server_cfg = config(ROUTER, b"");
        server_cfg.security.zap_domain = b"global".to_vec();
        let mut server = Engine::new(server_cfg, now);
        let mut client = Engine::new(config(DEALER, b""), now);
        shuttle_zap(&mut client, &mut server, 7, now, &mut |r| {
            assert_eq!(r.mechanism, "NULL");
            assert_eq!(r.domain, b"global");
            Some(zap_reply(b"400", b""))
        })
        .unwrap();
        let denied = EngineError::Handshake(Failure::Auth(400));
        assert_eq!(server.closed_by_handshake(), Some(&denied));
        assert_eq!(client.closed_by_handshake(), Some(&denied));
        assert!(!server.is_active() && !client.is_active());
        // Whatever the refused peer says now is dropped.
        let mut got = VecDeque::new();
        server.input(b"\x00\x01x", now, &mut got).unwrap();
        assert!(got.is_empty());
        assert!(!server.has_output());
    }

    #[test]
    fn a_temporary_refusal_sends_nothing() {
        let now = Instant::now();
        let mut server = Engine::new(secured(ROUTER, MechanismName::Plain, true), now);
        let mut client = Engine::new(secured(DEALER, MechanismName::Plain, false), now);
        shuttle_zap(&mut client, &mut server, 64, now, &mut |_| {
            Some(zap_reply(b"300", b""))
        })
        .unwrap();
        assert_eq!(
            server.closed_by_handshake(),
            Some(&EngineError::Handshake(Failure::Auth(300)))
        );
        assert_eq!(client.closed_by_handshake(), None);
    }

    #[test]
    fn no_zap_handler_refuses_plain_and_allows_null() {
        let now = Instant::now();
        let mut server = Engine::new(secured(ROUTER, MechanismName::Plain, true), now);
        let mut client = Engine::new(secured(DEALER, MechanismName::Plain, false), now);
        shuttle(&mut client, &mut server, 64, now).unwrap();
        assert_eq!(
            server.closed_by_handshake(),
            Some(&EngineError::Handshake(Failure::NoDetail(
                nix::libc::EFAULT
            )))
        );
        let mut null_cfg = config(ROUTER, b"");
        null_cfg.security.zap_domain = b"d".to_vec();
        let mut server = Engine::new(null_cfg.clone(), now);
        let mut client = Engine::new(config(DEALER, b""), now);
        shuttle(&mut client, &mut server, 64, now).unwrap();
        assert!(server.is_active());
        null_cfg.security.zap_enforce_domain = true;
        let mut server = Engine::new(null_cfg, now);
        let mut client = Engine::new(config(DEALER, b""), now);
        shuttle(&mut client, &mut server, 64, now).unwrap();
        assert!(server.closed_by_handshake().is_some());
    }

    #[test]
    fn a_malformed_zap_reply_fails_the_handshake() {
        let now = Instant::now();
        let mut server = Engine::new(secured(ROUTER, MechanismName::Plain, true), now);
        let mut client = Engine::new(secured(DEALER, MechanismName::Plain, false), now);
        let err = shuttle_zap(&mut client, &mut server, 64, now, &mut |_| {
            Some(zap_reply(b"200", b"")[..5].to_vec())
        })
        .unwrap_err();
        assert_eq!(
            err,
            EngineError::Handshake(Failure::Protocol(protocol_error::ZAP_MALFORMED_REPLY))
        );
        assert!(server.input(b"x", now, &mut VecDeque::new()).is_err());
    }

    #[test]
    fn mechanisms_must_match() {
        let now = Instant::now();
        let mut server = Engine::new(secured(ROUTER, MechanismName::Plain, true), now);
        let mut client = Engine::new(config(DEALER, b""), now);
        // Both sides see whole greetings, and both refuse.
        shuttle(&mut client, &mut server, 64, now).unwrap();
        for side in [&server, &client] {
            assert_eq!(
                side.closed_by_handshake(),
                Some(&EngineError::MechanismMismatch)
            );
        }
    }

    /// CVE-2014-7202 and CVE-2014-9721: a peer that claims ZMTP 1.0 or 2.0,
    /// which have no security, must not get past a secured socket.
    #[test]
    fn cve_2014_7202_and_9721_no_downgrade_on_a_secured_socket() {
        let now = Instant::now();
        let mut v2 = signature(1).to_vec();
        v2.extend_from_slice(&[1, 5]);
        v2.extend_from_slice(b"\x00\x00\x01\x01x");
        let v1 = b"\x01\x00\x02\x00x".to_vec();
        for mechanism in [MechanismName::Plain, MechanismName::Curve] {
            for greeting in [&v2, &v1] {
                for chunk in [1, 64] {
                    let mut server = Engine::new(secured(ROUTER, mechanism, true), now);
                    let mut got = VecDeque::new();
                    let result = greeting
                        .chunks(chunk)
                        .try_for_each(|c| server.input(c, now, &mut got));
                    assert!(result.is_err(), "{mechanism:?} {greeting:?}");
                    assert!(got.is_empty());
                    assert!(!server.is_active());
                }
            }
        }
    }

    #[test]
    fn data_before_the_handshake_ends_is_refused() {
        let now = Instant::now();
        let mut server = Engine::new(secured(ROUTER, MechanismName::Plain, true), now);
        let mut bytes = Greeting::new(MechanismName::Plain, false)
            .encode(0)
            .to_vec();
        bytes.extend_from_slice(b"\x00\x05hello");
        let mut got = VecDeque::new();
        assert!(server.input(&bytes, now, &mut got).is_err());
        assert!(got.is_empty());
    }
}
