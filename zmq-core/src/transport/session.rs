//! A session: one peer of a socket over tcp or ipc, on an I/O thread. It
//! joins the socket's pipe and a stream through a ZMTP [`Engine`], and
//! for connecting sockets it outlives connections: it reconnects (with
//! ZMQ_RECONNECT_IVL, doubling up to ZMQ_RECONNECT_IVL_MAX) and keeps the
//! messages queued meanwhile.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use mio::{Interest, Token};
use parking_lot::Mutex;

use super::address::{IpcAddr, TcpConnect};
use super::socks;
use super::{SessionConfig, Stream};
use crate::io_thread::{Cx, PipeEvent};
use crate::mailbox::Command;
use crate::metadata::Metadata;
use crate::monitor::{self, Ends};
use crate::msg::Msg;
use crate::options;
use crate::pipe::{self, Flow, PipeEnd, Read as PipeRead, WriteError};
use crate::zmtp::engine::{Engine, EngineError, PeerInfo};
use crate::zmtp::frame::DIRECT_READ_MIN;
use crate::zmtp::mechanism::{zap, Failure};

/// The most read from a connection at a time, whatever ZMQ_IN_BATCH_SIZE
/// asks.
const MAX_READ: usize = 4 * 1024 * 1024;

/// Where a connecting session connects to.
#[derive(Clone, Debug)]
pub enum Target {
    Tcp(TcpConnect),
    Ipc(IpcAddr),
    /// A tcp peer reached through a SOCKS5 proxy.
    Socks(Box<socks::Route>),
}

impl Target {
    /// The tcp address connected to: the peer's, or the proxy's.
    fn tcp(&self) -> Option<&TcpConnect> {
        match self {
            Target::Tcp(tcp) => Some(tcp),
            Target::Socks(route) => Some(&route.proxy),
            Target::Ipc(_) => None,
        }
    }
}

/// The connecting side's state between connections.
struct Connecter {
    target: Target,
    /// The endpoint as given to zmq_connect, for zmq_disconnect.
    endpoint: String,
    /// Addresses of the current attempt not tried yet.
    addrs: VecDeque<SocketAddr>,
    ivl: Duration,
    retry_at: Option<Instant>,
    connect_deadline: Option<Instant>,
    /// A handshake completed once: the pipe is attached.
    attached: bool,
    /// Every address of the current attempt refused the connection.
    refused: bool,
    /// A host name lookup runs on a thread of its own.
    resolving: bool,
}

enum Role {
    /// Accepted by the listener with this token, bound to this endpoint.
    Accepted(Token, String),
    Connecting(Connecter),
}

struct Conn {
    stream: Stream,
    /// Created once the stream is connected (and the proxy, if any, has
    /// connected it on).
    engine: Option<Engine>,
    /// The proxy handshake in progress.
    socks: Option<socks::Handshake>,
    /// The pipe is full: reading waits for room.
    read_blocked: bool,
    /// The last read took less than it asked for: the stream held no more
    /// then, and more brings a readable event (edge-triggered), so reading
    /// again before one would only find nothing.
    drained: bool,
    /// An event said the peer has closed its side: its end of stream may
    /// be waiting behind the data without another event to tell, so a
    /// short read no longer means drained.
    peer_closed: bool,
    /// A write failed: the peer is gone, but what it sent before going (an
    /// ERROR saying why, its last messages) is still read before the
    /// connection counts as lost, as in libzmq.
    write_failed: bool,
    /// The stream is registered for writable events too. Only while output
    /// waits for room: a unix socket reports room each time its peer
    /// reads, which would wake the thread for nothing on every message.
    watch_writable: bool,
    peer_address: String,
    /// This end's endpoint and the peer's (monitor events, version 2),
    /// known once the stream is connected.
    names: (String, String),
}

pub struct Session {
    token: Token,
    config: Arc<SessionConfig>,
    role: Role,
    conn: Option<Conn>,
    pipe: Option<PipeEnd>,
    /// Frames decoded but not yet in the pipe (it was full).
    inbound: VecDeque<Msg>,
    /// The pipe to the ZAP handler while the handshake waits for it, and
    /// the frames of its reply read so far.
    zap: Option<PipeEnd>,
    zap_reply: Vec<Msg>,
    metadata: Option<Arc<Metadata>>,
    /// The last frame given to an engine had MORE: after a reconnect the
    /// rest of that message is dropped, not sent as a message of its own.
    out_more: bool,
    skip_rest: bool,
    /// ZMQ_STREAM asked to close the connection.
    hang_up: bool,
    /// Why the engine gave up, for the monitor.
    failure: Option<EngineError>,
    /// This session as its I/O thread holds it (see `share`).
    me: Weak<Mutex<Session>>,
    /// The socket closed: finish by this time (None: no limit).
    lingering: Option<Option<Instant>>,
    done: bool,
}

/// The session's offer to a socket that writes through (see
/// `Session::write_through`): taken only when the I/O thread is not
/// running the session at that moment.
struct WriteThrough(Weak<Mutex<Session>>);

impl pipe::Drain for WriteThrough {
    fn drain(&self) -> bool {
        let Some(session) = self.0.upgrade() else {
            return false;
        };
        // Busy: its I/O thread is running it, and will look at the pipe
        // again when woken as usual.
        let Some(mut session) = session.try_lock() else {
            return false;
        };
        session.write_through()
    }
}

fn io_failed(e: &io::Error) -> bool {
    !matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

impl Session {
    /// A session for a connection a listener accepted.
    pub fn accepted(
        cx: &mut Cx,
        config: Arc<SessionConfig>,
        (listener, endpoint): (Token, &str),
        mut stream: Stream,
        peer_address: String,
    ) -> io::Result<(Token, Session)> {
        let token = cx.new_token();
        cx.registry().register(
            stream.source(),
            token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        // Named by the connection's two ends, as its later events are.
        let names = stream.names();
        let ends = Ends {
            local: &names.0,
            remote: &names.1,
            bound: true,
        };
        config.monitors.event(monitor::ACCEPTED, stream.fd(), ends);
        let engine = new_engine(&config, &peer_address, Instant::now());
        let session = Session {
            token,
            role: Role::Accepted(listener, endpoint.to_owned()),
            conn: Some(Conn {
                stream,
                engine: Some(engine),
                socks: None,
                read_blocked: false,
                drained: false,
                peer_closed: false,
                write_failed: false,
                watch_writable: true,
                peer_address,
                names,
            }),
            ..Session::empty(token, config)
        };
        Ok((token, session))
    }

    /// A session that connects to `target`, with the session's end of the
    /// socket's pipe (`None` with ZMQ_IMMEDIATE: made at the handshake).
    pub fn connecting(
        cx: &mut Cx,
        config: Arc<SessionConfig>,
        target: Target,
        endpoint: String,
        pipe: Option<PipeEnd>,
    ) -> (Token, Session) {
        let token = cx.new_token();
        let ivl = Duration::from_millis(config.reconnect.ivl.max(0) as u64);
        let session = Session {
            role: Role::Connecting(Connecter {
                target,
                endpoint,
                addrs: VecDeque::new(),
                ivl,
                retry_at: Some(Instant::now()),
                connect_deadline: None,
                attached: false,
                refused: true,
                resolving: false,
            }),
            pipe,
            ..Session::empty(token, config)
        };
        (token, session)
    }

    fn empty(token: Token, config: Arc<SessionConfig>) -> Session {
        Session {
            token,
            config,
            role: Role::Accepted(Token(usize::MAX), String::new()),
            conn: None,
            pipe: None,
            inbound: VecDeque::new(),
            zap: None,
            zap_reply: Vec::new(),
            metadata: None,
            out_more: false,
            skip_rest: false,
            hang_up: false,
            failure: None,
            me: Weak::new(),
            lingering: None,
            done: false,
        }
    }

    pub fn socket_id(&self) -> u64 {
        self.config.socket_id
    }

    pub fn listener(&self) -> Option<Token> {
        match self.role {
            Role::Accepted(t, _) => Some(t),
            Role::Connecting(_) => None,
        }
    }

    /// Where events happen: the connection's two ends once its engine
    /// runs (the remote one named as given to zmq_connect), the endpoint
    /// alone before.
    fn ends(&self) -> Ends<'_> {
        let conn = self.conn.as_ref().filter(|c| c.engine.is_some());
        match (&self.role, conn) {
            (Role::Accepted(..), Some(conn)) => Ends {
                local: &conn.names.0,
                remote: &conn.names.1,
                bound: true,
            },
            (Role::Accepted(_, endpoint), None) => Ends::bound(endpoint),
            (Role::Connecting(c), Some(conn)) => Ends {
                local: &conn.names.0,
                remote: &c.endpoint,
                bound: false,
            },
            (Role::Connecting(c), None) => Ends::connecting(&c.endpoint),
        }
    }

    /// The engine of the current connection, once it runs.
    fn engine(&self) -> Option<&Engine> {
        self.conn.as_ref().and_then(|c| c.engine.as_ref())
    }

    fn emit(&self, event: u32, value: u32) {
        self.config.monitors.event(event, value, self.ends());
    }

    pub fn connects_to(&self, endpoint: &str) -> bool {
        matches!(&self.role, Role::Connecting(c) if c.endpoint == endpoint)
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The socket closed with this ZMQ_LINGER (ms; -1 forever).
    pub fn linger(&mut self, cx: &mut Cx, linger_ms: i64, now: Instant) {
        if linger_ms == 0 {
            // What libzmq's I/O thread would hold by now still goes: one
            // batch from the pipe, written as far as the connection takes
            // it at once. Only what could not reach the wire is dropped.
            self.pull();
            self.flush(now);
            self.close(cx);
            return;
        }
        if self.pipe.is_none() {
            self.close(cx);
            return;
        }
        self.lingering = Some(
            u64::try_from(linger_ms)
                .ok()
                .map(|ms| now + Duration::from_millis(ms)),
        );
    }

    pub fn pipe_event(&mut self, event: PipeEvent) {
        match event {
            PipeEvent::Write => {
                if let Some(conn) = &mut self.conn {
                    conn.read_blocked = false;
                }
            }
            PipeEvent::Read | PipeEvent::Term => {}
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        let mut deadline = None;
        let mut consider = |d: Option<Instant>| {
            if let Some(d) = d {
                deadline = Some(deadline.map_or(d, |x: Instant| x.min(d)));
            }
        };
        if let Some(engine) = self.engine() {
            consider(engine.next_deadline());
        }
        if let Role::Connecting(c) = &self.role {
            consider(c.retry_at);
            consider(c.connect_deadline);
        }
        if let Some(linger) = self.lingering {
            consider(linger);
        }
        deadline
    }

    pub fn timer(&mut self, cx: &mut Cx, now: Instant) {
        if self.lingering.flatten().is_some_and(|d| now >= d) {
            self.close(cx);
            return;
        }
        if let Some(engine) = self.conn.as_mut().and_then(|c| c.engine.as_mut()) {
            if let Err(e) = engine.on_timer(now) {
                self.failure = Some(e);
                self.lost(cx, now);
                return;
            }
        }
        if let Role::Connecting(c) = &mut self.role {
            if c.connect_deadline.is_some_and(|d| now >= d) {
                c.connect_deadline = None;
                c.refused = false;
                self.attempt_failed(cx);
                self.try_addresses(cx, now);
                return;
            }
            if c.retry_at.is_some_and(|d| now >= d) {
                c.retry_at = None;
                self.check_finished(cx);
                if !self.done {
                    self.start_connect(cx, now);
                }
                return;
            }
        }
        self.ready(cx, None);
    }

    /// Runs on an I/O event, a pipe event or a new session.
    pub fn ready(&mut self, cx: &mut Cx, event: Option<&mio::event::Event>) {
        let now = Instant::now();
        if let (Some(conn), Some(event)) = (&mut self.conn, event) {
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                conn.drained = false;
            }
            conn.peer_closed |= event.is_read_closed() || event.is_error();
        }
        if let Some(conn) = &self.conn {
            if conn.socks.is_some() {
                self.socks_exchange(cx, now);
                self.check_finished(cx);
                return;
            }
            if conn.engine.is_none() {
                // A connect in progress: only a completion matters.
                if event.is_some_and(|e| e.is_writable() || e.is_error() || e.is_write_closed()) {
                    self.connect_done(cx, now);
                }
                // The socket may have gone meanwhile.
                self.check_finished(cx);
                return;
            }
        }
        if let Err(()) = self.pump(cx, now) {
            self.lost(cx, now);
        }
        self.check_finished(cx);
    }

    /// Moves data both ways until nothing moves.
    fn pump(&mut self, cx: &mut Cx, now: Instant) -> Result<(), ()> {
        loop {
            let mut progress = self.read(cx, now)?;
            progress |= self.ask_zap(cx, now)?;
            let ready = self
                .conn
                .as_mut()
                .and_then(|c| c.engine.as_mut())
                .and_then(|e| e.take_ready());
            if let Some(peer) = ready {
                self.handshake_done(cx, peer);
                progress = true;
            }
            progress |= self.deliver();
            if !self.hang_up {
                progress |= self.pull();
            }
            progress |= self.flush(now);
            let refused = self.engine().and_then(|e| e.closed_by_handshake());
            if let Some(e) = refused {
                // The handshake failed and the peer was told why.
                self.failure = Some(e.clone());
                if let Some(conn) = &mut self.conn {
                    conn.stream.discard_input(&mut cx.read_buf);
                }
                return Err(());
            }
            if self.hang_up && self.engine().is_some_and(|e| !e.has_output()) {
                return Err(());
            }
            if !progress {
                // Once reading has taken all there was, a failed write
                // ends the connection.
                return match &self.conn {
                    Some(conn) if conn.write_failed => Err(()),
                    _ => Ok(()),
                };
            }
        }
    }

    /// Reads what the stream has (until it would block or the pipe is
    /// full); returns whether anything was read.
    fn read(&mut self, cx: &mut Cx, now: Instant) -> Result<bool, ()> {
        let Some(conn) = &mut self.conn else {
            return Ok(false);
        };
        let Some(engine) = &mut conn.engine else {
            return Ok(false);
        };
        // ZMQ_IN_BATCH_SIZE: the most read at a time (up to MAX_READ,
        // so that no setting makes a buffer of gigabytes).
        let batch = self.config.flow.in_batch.min(MAX_READ);
        if cx.read_buf.len() < batch {
            cx.read_buf.resize(batch, 0);
        }
        let mut any = false;
        while !conn.read_blocked && !conn.drained && self.inbound.is_empty() {
            let result = match engine.body_target() {
                // A large body goes straight into its message (as libzmq's
                // decoder reads one); one of a batch or more, to its last
                // byte, since a batch read of its tail would copy the next
                // body (see Engine::read_limit).
                Some(target)
                    if target.len() - target.filled() >= DIRECT_READ_MIN
                        || target.len() >= batch =>
                {
                    let asked = target.room();
                    match target.fill_with(|spare| conn.stream.read_uninit(spare)) {
                        Ok(0) => return Err(()),
                        Ok(n) => {
                            conn.drained = n < asked && !conn.peer_closed;
                            engine.commit(now, &mut self.inbound).map(|()| n)
                        }
                        Err(e) if io_failed(&e) => return Err(()),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
                _ => {
                    let want = engine.read_limit(batch).unwrap_or(batch);
                    match conn.stream.read(&mut cx.read_buf[..want]) {
                        Ok(0) => return Err(()),
                        Ok(n) => {
                            conn.drained = n < want && !conn.peer_closed;
                            engine
                                .input(&cx.read_buf[..n], now, &mut self.inbound)
                                .map(|()| n)
                        }
                        Err(e) if io_failed(&e) => return Err(()),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
            };
            if let Err(e) = result {
                self.failure = Some(e);
                return Err(());
            }
            any = true;
            if engine.is_closing() {
                // Refused: what follows (the peer hanging up) changes
                // nothing, and must not hide why.
                break;
            }
            if !self.inbound.is_empty() {
                // Frames that came with the handshake wait until it is
                // processed: the socket must see the pipe attached (and
                // the peer's id) before it sees messages. Then the pipe
                // decides whether reading goes on.
                if self.metadata.is_some() {
                    conn.read_blocked =
                        Self::deliver_to(&mut self.pipe, &mut self.inbound, &self.metadata);
                }
            }
        }
        Ok(any)
    }

    /// Carries the engine's ZAP request to the handler and its reply back;
    /// returns whether anything moved.
    fn ask_zap(&mut self, cx: &mut Cx, now: Instant) -> Result<bool, ()> {
        let Some(engine) = self.conn.as_mut().and_then(|c| c.engine.as_mut()) else {
            return Ok(false);
        };
        let mut any = false;
        if let Some(request) = engine.take_zap_request() {
            any = true;
            let Some(mut pipe) = self.config.inproc.connect_zap() else {
                return Self::zap_answered(engine, &mut self.failure, None, now).map(|()| true);
            };
            pipe.attach(cx.mailbox.clone());
            cx.own_pipe(pipe.id(), self.token);
            let frames = match request.frames() {
                Ok(frames) => frames,
                Err(failure) => {
                    self.failure = Some(EngineError::Handshake(failure));
                    return Err(());
                }
            };
            for frame in frames {
                // The pipe has no limit, so a write fails only when the
                // handler is gone; the read below then sees it closed.
                let _ = pipe.write_batched(frame);
            }
            pipe.flush();
            self.zap = Some(pipe);
        }
        let Some(pipe) = &mut self.zap else {
            return Ok(any);
        };
        let complete = loop {
            match pipe.read() {
                PipeRead::Msg(frame) => {
                    any = true;
                    let last = !frame.more();
                    self.zap_reply.push(frame);
                    // A reply longer than any good one is judged as it is.
                    if last || self.zap_reply.len() > zap::REPLY_FRAMES {
                        break true;
                    }
                }
                PipeRead::Empty => break false,
                // The handler closed with our request pending: what came
                // is judged (and found short).
                PipeRead::Closed => break true,
            }
        };
        if !complete {
            return Ok(any);
        }
        if let Some(pipe) = self.zap.take() {
            cx.forget_pipe(pipe.id());
            pipe.close(true);
        }
        let reply = std::mem::take(&mut self.zap_reply);
        Self::zap_answered(engine, &mut self.failure, Some(&reply), now)?;
        Ok(true)
    }

    fn zap_answered(
        engine: &mut Engine,
        failure: &mut Option<EngineError>,
        reply: Option<&[Msg]>,
        now: Instant,
    ) -> Result<(), ()> {
        engine.zap_reply(reply, now).map_err(|e| *failure = Some(e))
    }

    /// Writes waiting frames into the pipe; blocks reading when it is full.
    /// Returns whether any frame went in.
    fn deliver(&mut self) -> bool {
        let before = self.inbound.len();
        let full = Self::deliver_to(&mut self.pipe, &mut self.inbound, &self.metadata);
        if let Some(conn) = &mut self.conn {
            conn.read_blocked = full;
        }
        self.inbound.len() != before
    }

    /// Returns whether the pipe is full.
    fn deliver_to(
        pipe: &mut Option<PipeEnd>,
        inbound: &mut VecDeque<Msg>,
        metadata: &Option<Arc<Metadata>>,
    ) -> bool {
        let Some(pipe) = pipe else {
            // Frames that follow the handshake in the same read wait for
            // the pipe the handshake makes.
            return false;
        };
        let mut full = false;
        while let Some(mut msg) = inbound.pop_front() {
            if msg.metadata().is_none() {
                msg.set_metadata(metadata.clone());
            }
            match pipe.write_batched(msg) {
                Ok(()) => {}
                Err((WriteError::Full, msg)) => {
                    inbound.push_front(msg);
                    full = true;
                    break;
                }
                Err((WriteError::Closed, _)) => {
                    inbound.clear();
                    break;
                }
            }
        }
        pipe.flush();
        full
    }

    /// Moves messages from the pipe into the engine; returns whether any
    /// moved.
    fn pull(&mut self) -> bool {
        let (Some(pipe), Some(conn)) = (&mut self.pipe, &mut self.conn) else {
            return false;
        };
        let Some(engine) = &mut conn.engine else {
            return false;
        };
        if !engine.is_active() {
            return false;
        }
        let mut any = false;
        // Output the engine may hold before the session stops taking
        // messages from the pipe (the rest wait there, under the HWM).
        let batch = self.config.flow.out_batch;
        while engine.output_len() < batch {
            match pipe.read() {
                PipeRead::Msg(msg) => {
                    any = true;
                    if self.skip_rest {
                        self.skip_rest = msg.more();
                        continue;
                    }
                    if self.config.engine.raw && msg.is_empty() {
                        // ZMQ_STREAM: an empty message closes the
                        // connection once what came before is written.
                        self.hang_up = true;
                        break;
                    }
                    self.out_more = msg.more();
                    engine.send(msg);
                }
                PipeRead::Empty => break,
                PipeRead::Closed => break,
            }
        }
        any
    }

    /// Writes the engine's output; returns whether anything was written
    /// (or the writing failed).
    fn flush(&mut self, now: Instant) -> bool {
        let Some(conn) = &mut self.conn else {
            return false;
        };
        let Some(engine) = &mut conn.engine else {
            return false;
        };
        let mut any = false;
        while engine.has_output() && !conn.write_failed {
            let result = {
                let mut slices = [IoSlice::new(&[]); 32];
                let n = engine.output(&mut slices);
                conn.stream.write_vectored(&slices[..n])
            };
            match result {
                Ok(n) if n > 0 => {
                    engine.advance_output(n, now);
                    any = true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if !io_failed(&e) => break,
                _ => {
                    conn.write_failed = true;
                    conn.drained = false;
                    any = true;
                }
            }
        }
        any
    }

    fn handshake_done(&mut self, cx: &mut Cx, peer: PeerInfo) {
        if !self.config.engine.raw {
            self.emit(monitor::HANDSHAKE_SUCCEEDED, 0);
        }
        let mut meta = peer.properties.to_metadata();
        if let Some(conn) = &self.conn {
            if !conn.peer_address.is_empty() {
                meta.set("Peer-Address", conn.peer_address.as_bytes());
            }
            meta.set_source_fd(i32::try_from(conn.stream.fd()).unwrap_or(-1));
        }
        self.metadata = Some(Arc::new(meta));
        // ZMQ_STREAM announces the peer before anything it sent (which
        // may be decoded already, in the read that brought the connection).
        if self.config.notices.connect {
            self.inbound.push_front(Msg::new());
        }
        // ZMQ_HELLO_MSG: the first message of every connection.
        if let (Some(hello), Some(engine)) = (
            &self.config.hello_msg,
            self.conn.as_mut().and_then(|c| c.engine.as_mut()),
        ) {
            if let Ok(msg) = Msg::from_slice(hello) {
                engine.send(msg);
            }
        }
        if let Role::Connecting(c) = &mut self.role {
            // A working connection resets the back-off.
            c.ivl = Duration::from_millis(self.config.reconnect.ivl.max(0) as u64);
        }
        match &mut self.pipe {
            Some(pipe) => {
                pipe.set_routing_id(&peer.routing_id);
                let first = match &mut self.role {
                    Role::Connecting(c) => !std::mem::replace(&mut c.attached, true),
                    Role::Accepted(..) => true,
                };
                if first {
                    pipe.attach(cx.mailbox.clone());
                    cx.own_pipe(pipe.id(), self.token);
                } else {
                    // A new connection: the socket resends what the peer
                    // must know (subscriptions).
                    pipe.hiccup();
                }
            }
            None => {
                let flow = |hwm: i32| Flow {
                    hwm: hwm.max(0) as u64,
                    conflate: self.config.flow.conflate,
                };
                let (mine, theirs) =
                    pipe::pair(flow(self.config.flow.rcvhwm), flow(self.config.flow.sndhwm));
                mine.set_routing_id(&peer.routing_id);
                mine.attach(cx.mailbox.clone());
                cx.own_pipe(mine.id(), self.token);
                self.pipe = Some(mine);
                // With ZMQ_IMMEDIATE this pipe lives as long as the
                // connection (see `lost`).
                if let Role::Connecting(c) = &mut self.role {
                    c.attached = true;
                }
                self.config.socket_mailbox.send(Command::Attach(theirs));
            }
        }
        // What PIPES_STATS events name this connection by.
        if let Some(pipe) = &self.pipe {
            let ends = self.ends();
            pipe.set_ends(ends.local, ends.remote);
            pipe.set_drain(Some(Arc::new(WriteThrough(self.me.clone()))));
        }
    }

    /// Writes what the socket queued and the engine holds to the
    /// connection, on the calling thread (the socket's), when the
    /// connection is up with nothing already waiting to be written: the
    /// I/O thread need not be woken for it. False when the I/O thread must
    /// be woken as usual: not up, output left over (the connection's
    /// buffer is full; the I/O thread waits for it to drain), or an error
    /// for it to handle.
    fn write_through(&mut self) -> bool {
        let idle = !self.done
            && !self.hang_up
            && self.lingering.is_none()
            && self
                .engine()
                .is_some_and(|e| e.is_active() && !e.has_output());
        if !idle {
            return false;
        }
        let now = Instant::now();
        loop {
            // A pull that moves nothing found the pipe empty, which asks
            // the socket to wake this side (or write through) next time.
            let moved = self.pull();
            self.flush(now);
            let flushed = !self.engine().is_some_and(Engine::has_output);
            if !flushed {
                return false;
            }
            if !moved {
                return true;
            }
        }
    }

    /// Watches the stream for room to write only while the engine has
    /// output waiting (and until the engine starts: a connect completes
    /// with writability).
    /// Called by the I/O thread after each turn of the session.
    pub fn settle_interest(&mut self, registry: &mio::Registry) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        let Some(engine) = &conn.engine else {
            return;
        };
        let want = engine.has_output() && !conn.write_failed;
        if want == conn.watch_writable {
            return;
        }
        let interest = if want {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        // Re-registering with room already there reports it at once, so
        // output that waits is never stranded.
        if registry
            .reregister(conn.stream.source(), self.token, interest)
            .is_ok()
        {
            conn.watch_writable = want;
        }
    }

    /// This session, shared between its I/O thread and the socket that
    /// may write through it.
    pub fn share(self) -> Arc<Mutex<Session>> {
        let shared = Arc::new(Mutex::new(self));
        shared.lock().me = Arc::downgrade(&shared);
        shared
    }

    /// The connection broke (or the handshake failed).
    fn lost(&mut self, cx: &mut Cx, now: Instant) {
        let was_up = self.engine().is_some_and(|e| e.is_active());
        // A handshake that failed before the connection broke (an ERROR
        // read, while a READY was still being written) says why.
        if self.failure.is_none() {
            self.failure = self.engine().and_then(Engine::handshake_failure).cloned();
        }
        if let Some(conn) = &self.conn {
            let fd = conn.stream.fd();
            if !was_up {
                let (event, value) = handshake_failure(self.failure.as_ref());
                self.emit(event, value);
            }
            self.emit(monitor::DISCONNECTED, fd);
        }
        // The peer refused us, or we it, in the security handshake: as in
        // libzmq, trying again would only be refused again.
        let refused = matches!(
            self.failure.take(),
            Some(EngineError::Handshake(_) | EngineError::MechanismMismatch)
        );
        self.drop_conn(cx);
        // Whole messages that arrived are still delivered; half a message
        // is not (with its first frames already in the pipe, if any).
        while self.inbound.back().is_some_and(|m| m.more()) {
            self.inbound.pop_back();
        }
        if self.inbound.is_empty() {
            if let Some(pipe) = &mut self.pipe {
                pipe.rollback();
            }
        }
        // ZMQ_STREAM tells of a peer that left (not of one it sent away).
        if was_up && !self.hang_up && self.config.notices.disconnect {
            self.inbound.push_back(Msg::new());
        }
        // ZMQ_DISCONNECT_MSG: a peer that connected to us has left;
        // ZMQ_HICCUP_MSG: a connection we made is lost.
        let news = match self.role {
            Role::Accepted(..) => &self.config.disconnect_msg,
            Role::Connecting(_) => &self.config.hiccup_msg,
        };
        if let (true, Some(news)) = (was_up, news) {
            if let Ok(msg) = Msg::from_slice(news) {
                self.inbound.push_back(msg);
            }
        }
        self.hang_up = false;
        self.skip_rest = self.out_more;
        self.out_more = false;
        self.deliver();
        let connecting = matches!(self.role, Role::Connecting(_));
        if connecting
            && !was_up
            && (refused || self.stops_on(options::RECONNECT_STOP_HANDSHAKE_FAILED))
        {
            self.give_up(cx);
            return;
        }
        match &mut self.role {
            Role::Accepted(..) => {
                // Done once what arrived is delivered (check_finished).
            }
            Role::Connecting(c) => {
                if self.config.flow.immediate && c.attached {
                    // The pipe lives as long as the connection.
                    c.attached = false;
                    self.inbound.clear();
                    if let Some(pipe) = self.pipe.take() {
                        cx.forget_pipe(pipe.id());
                        pipe.close(false);
                    }
                }
                // ZMQ_RECONNECT_IVL -1: no reconnection, so the endpoint
                // goes with its connection, pipe and all (libzmq), and the
                // socket no longer sends into it.
                if self.config.reconnect.ivl < 0 {
                    self.give_up(cx);
                    return;
                }
                self.schedule_reconnect(now);
            }
        }
        self.check_finished(cx);
    }

    /// Whether ZMQ_RECONNECT_STOP has this flag.
    fn stops_on(&self, flag: i32) -> bool {
        self.config.reconnect.stop & flag != 0
    }

    /// Notes why a connect attempt failed: anything but ECONNREFUSED
    /// means someone may be listening.
    fn attempt_error(&mut self, e: &io::Error) {
        if let Role::Connecting(c) = &mut self.role {
            c.refused &= e.raw_os_error() == Some(nix::libc::ECONNREFUSED);
        }
    }

    /// Every address failed: try again later, unless ZMQ_RECONNECT_STOP
    /// says a refused connection ends the session.
    fn retry_or_give_up(&mut self, cx: &mut Cx, now: Instant) {
        let refused = matches!(&self.role, Role::Connecting(c) if c.refused);
        let disconnected = self.config.socket_disconnected.load(Ordering::Relaxed);
        if refused
            && (self.stops_on(options::RECONNECT_STOP_CONN_REFUSED)
                || (disconnected && self.stops_on(options::RECONNECT_STOP_AFTER_DISCONNECT)))
        {
            self.give_up(cx);
        } else {
            self.schedule_reconnect(now);
        }
    }

    /// No more reconnecting: the session ends, and with it the pipe and
    /// any message queued in it.
    fn give_up(&mut self, cx: &mut Cx) {
        self.inbound.clear();
        self.close(cx);
    }

    fn schedule_reconnect(&mut self, now: Instant) {
        let Role::Connecting(c) = &mut self.role else {
            return;
        };
        if self.config.reconnect.ivl < 0 {
            c.retry_at = None;
            return;
        }
        // A random part, below ZMQ_RECONNECT_IVL, keeps peers that lost one
        // server together from all coming back at the same moment (libzmq
        // does the same); the monitor reports the whole wait.
        let wait = c.ivl + reconnect_jitter(self.config.reconnect.ivl);
        c.retry_at = Some(now + wait);
        let wait_ms = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX);
        let max = Duration::from_millis(self.config.reconnect.ivl_max.max(0) as u64);
        if max > c.ivl {
            c.ivl = (c.ivl * 2).min(max);
        }
        self.emit(monitor::CONNECT_RETRIED, wait_ms);
    }

    /// A connect attempt failed: its socket goes.
    fn attempt_failed(&mut self, cx: &mut Cx) {
        if let Some(conn) = &self.conn {
            self.emit(monitor::CLOSED, conn.stream.fd());
        }
        self.drop_conn(cx);
    }

    fn drop_conn(&mut self, cx: &mut Cx) {
        if let Some(mut conn) = self.conn.take() {
            let _ = cx.registry().deregister(conn.stream.source());
        }
        // A request still pending is for a connection that is gone.
        if let Some(pipe) = self.zap.take() {
            cx.forget_pipe(pipe.id());
            pipe.close(true);
        }
        self.zap_reply.clear();
    }

    /// Resolves the target and starts trying its addresses.
    fn start_connect(&mut self, cx: &mut Cx, now: Instant) {
        let Role::Connecting(c) = &mut self.role else {
            return;
        };
        c.refused = true;
        match (&c.target, c.target.tcp()) {
            // Host names are looked up again on every attempt (addresses
            // change), away from this thread, which serves other sessions.
            (_, Some(tcp)) if tcp.is_name() => {
                let tcp = tcp.clone();
                c.resolving = true;
                self.resolve_elsewhere(cx, tcp, now);
            }
            (_, Some(tcp)) => {
                let addrs = tcp.resolve(self.config.tcp.ipv6).unwrap_or_default();
                self.resolved(cx, addrs, now);
            }
            (Target::Ipc(addr), _) => {
                let stream = addr
                    .to_unix_addr()
                    .and_then(|a| mio::net::UnixStream::connect_addr(&a));
                match stream {
                    Ok(stream) => self.start_stream(cx, Stream::Ipc(stream), String::new(), now),
                    Err(e) => {
                        self.attempt_error(&e);
                        self.retry_or_give_up(cx, now);
                    }
                }
            }
            (_, None) => {}
        }
    }

    /// Looks `tcp` up on a thread of its own; the answer comes back to
    /// this I/O thread as a task (`Reactor::looked_up`).
    fn resolve_elsewhere(&mut self, cx: &mut Cx, tcp: TcpConnect, now: Instant) {
        let (io, token, ipv6) = (cx.io.clone(), self.token, self.config.tcp.ipv6);
        let lookup = tcp.clone();
        let spawned = std::thread::Builder::new()
            .name("ZMQbg/resolve".into())
            .spawn(move || {
                crate::io_thread::block_signals();
                let addrs = lookup.resolve(ipv6).unwrap_or_default();
                io.submit(Box::new(move |reactor| reactor.looked_up(token, addrs)));
            });
        if spawned.is_err() {
            // No thread to spare: look it up here.
            let addrs = tcp.resolve(ipv6).unwrap_or_default();
            self.resolved(cx, addrs, now);
        }
    }

    /// The lookup `resolve_elsewhere` started is done.
    pub fn looked_up(&mut self, cx: &mut Cx, addrs: Vec<SocketAddr>, now: Instant) {
        if matches!(&self.role, Role::Connecting(c) if c.resolving) {
            self.resolved(cx, addrs, now);
        }
    }

    /// The addresses of this attempt are known (none if the lookup failed).
    fn resolved(&mut self, cx: &mut Cx, addrs: Vec<SocketAddr>, now: Instant) {
        let Role::Connecting(c) = &mut self.role else {
            return;
        };
        c.resolving = false;
        // A name that does not resolve is no refused connection.
        c.refused = !addrs.is_empty();
        c.addrs = addrs.into();
        self.try_addresses(cx, now);
        self.check_finished(cx);
    }

    /// Starts a connection to the next untried address, or schedules a
    /// new attempt when none is left.
    fn try_addresses(&mut self, cx: &mut Cx, now: Instant) {
        loop {
            let Role::Connecting(c) = &mut self.role else {
                return;
            };
            let Some(addr) = c.addrs.pop_front() else {
                self.retry_or_give_up(cx, now);
                return;
            };
            let source = c
                .target
                .tcp()
                .and_then(|tcp| tcp.source_addr(self.config.tcp.ipv6).ok().flatten());
            match super::tcp_connect(&self.config, addr, source) {
                Ok(stream) => {
                    self.start_stream(cx, Stream::Tcp(stream), addr.ip().to_string(), now);
                    return;
                }
                Err(e) => self.attempt_error(&e),
            }
        }
    }

    /// Watches a stream whose connect is in progress.
    fn start_stream(
        &mut self,
        cx: &mut Cx,
        mut stream: Stream,
        peer_address: String,
        now: Instant,
    ) {
        if cx
            .registry()
            .register(
                stream.source(),
                self.token,
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            self.schedule_reconnect(now);
            return;
        }
        if let Role::Connecting(c) = &mut self.role {
            c.connect_deadline = (self.config.reconnect.connect_timeout > 0)
                .then(|| now + Duration::from_millis(self.config.reconnect.connect_timeout as u64));
        }
        // An ipc connect is usually complete at once: then, as in libzmq,
        // CONNECTED comes with no CONNECT_DELAYED before it.
        let completed = matches!(&stream, Stream::Ipc(s) if s.peer_addr().is_ok());
        if !completed {
            self.emit(monitor::CONNECT_DELAYED, nix::libc::EINPROGRESS as u32);
        }
        self.conn = Some(Conn {
            stream,
            engine: None,
            socks: None,
            read_blocked: false,
            drained: false,
            peer_closed: false,
            write_failed: false,
            watch_writable: true,
            peer_address,
            names: Default::default(),
        });
        // An ipc connect may already be complete; the writable event tells.
    }

    /// The connect finished, one way or the other.
    fn connect_done(&mut self, cx: &mut Cx, now: Instant) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        if let Some(e) = conn.stream.connect_error() {
            self.attempt_failed(cx);
            self.attempt_error(&e);
            self.try_addresses(cx, now);
            return;
        }
        conn.stream.after_connect(&self.config);
        if let Stream::Ipc(stream) = &conn.stream {
            conn.peer_address = super::ipc_peer_address(super::ipc_peer_credentials(stream));
        }
        if let Role::Connecting(Connecter {
            target: Target::Socks(route),
            connect_deadline,
            ..
        }) = &mut self.role
        {
            // The proxy now connects us on; CONNECTED waits for it (as in
            // libzmq), and so does the deadline: ZMQ_CONNECT_TIMEOUT, else
            // ZMQ_HANDSHAKE_IVL, so that a silent proxy cannot hold the
            // endpoint forever.
            let handshake = route.handshake();
            let limit = self.config.engine.handshake_ivl;
            if connect_deadline.is_none() {
                *connect_deadline = limit.map(|ivl| now + ivl);
            }
            match handshake {
                Ok(handshake) => {
                    conn.socks = Some(handshake);
                    self.socks_exchange(cx, now);
                }
                Err(_) => self.socks_failed(cx, now),
            }
            return;
        }
        self.start_engine(cx, now);
    }

    /// The stream reaches the peer: the ZMTP engine takes it over.
    fn start_engine(&mut self, cx: &mut Cx, now: Instant) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        let fd = conn.stream.fd();
        conn.engine = Some(new_engine(&self.config, &conn.peer_address, now));
        conn.names = conn.stream.names();
        // Until this connection's handshake is done (see `read`).
        self.metadata = None;
        if let Role::Connecting(c) = &mut self.role {
            c.connect_deadline = None;
            c.addrs.clear();
        }
        self.emit(monitor::CONNECTED, fd);
        if let Err(()) = self.pump(cx, now) {
            self.lost(cx, now);
        }
    }

    /// Moves the proxy handshake on as far as the stream allows; hands the
    /// stream to the engine once the proxy has connected it.
    fn socks_exchange(&mut self, cx: &mut Cx, now: Instant) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        let Some(handshake) = &mut conn.socks else {
            return;
        };
        match exchange(&mut conn.stream, handshake) {
            Ok(true) => {
                conn.socks = None;
                self.start_engine(cx, now);
            }
            Ok(false) => {}
            Err(_) => self.socks_failed(cx, now),
        }
    }

    /// The proxy refused, hung up or answered nonsense: this attempt is
    /// over, and the session tries again later (CLOSED, then
    /// CONNECT_RETRIED, as libzmq reports it).
    fn socks_failed(&mut self, cx: &mut Cx, now: Instant) {
        if let Role::Connecting(c) = &mut self.role {
            c.refused = false;
            c.connect_deadline = None;
            c.addrs.clear();
        }
        self.attempt_failed(cx);
        self.retry_or_give_up(cx, now);
    }

    /// Ends the session once the socket is gone and everything it sent
    /// was written.
    fn check_finished(&mut self, cx: &mut Cx) {
        if self.done {
            return;
        }
        if self.conn.is_none() && matches!(self.role, Role::Accepted(..)) {
            // The peer is gone: finished once its messages are delivered
            // (or the socket no longer takes them).
            if self.inbound.is_empty() {
                self.close(cx);
            }
            return;
        }
        let socket_gone = match &mut self.pipe {
            Some(pipe) => pipe.input_closed(),
            None => self.lingering.is_some(),
        };
        let flushed = self.engine().is_none_or(|e| !e.has_output());
        if socket_gone && flushed {
            self.close(cx);
        }
    }

    /// Closes the connection and the pipe.
    pub fn close(&mut self, cx: &mut Cx) {
        self.drop_conn(cx);
        if let Some(pipe) = self.pipe.take() {
            cx.forget_pipe(pipe.id());
            pipe.close(false);
        }
        self.done = true;
    }
}

/// Writes and reads a proxy handshake until the stream would block;
/// returns whether it is complete. Reads take no more than the handshake
/// asks for, so what the peer sends next stays for the engine.
fn exchange(stream: &mut Stream, handshake: &mut socks::Handshake) -> io::Result<bool> {
    let invalid = |e: socks::SocksError| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
    loop {
        while !handshake.output().is_empty() {
            match stream.write(handshake.output()) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => handshake.wrote(n),
                Err(e) if !io_failed(&e) => {
                    if e.kind() == io::ErrorKind::WouldBlock {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if handshake.is_done() {
            return Ok(true);
        }
        let mut buf = [0u8; socks::LONGEST_REPLY];
        let want = handshake.wants().min(buf.len());
        match stream.read(&mut buf[..want]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => handshake.received(&buf[..n]).map_err(invalid)?,
            Err(e) if !io_failed(&e) => {
                if e.kind() == io::ErrorKind::WouldBlock {
                    return Ok(false);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// An engine for a new connection to or from `peer_address`.
fn new_engine(config: &SessionConfig, peer_address: &str, now: Instant) -> Engine {
    let mut engine = config.engine.clone();
    engine.peer_address = peer_address.to_owned();
    Engine::new(engine, now)
}

/// The monitor event (and its value) for a handshake that failed.
fn handshake_failure(failure: Option<&EngineError>) -> (u32, u32) {
    use crate::zmtp::protocol_error;
    let protocol = |code| (monitor::HANDSHAKE_FAILED_PROTOCOL, code);
    let no_detail = |errno: i32| (monitor::HANDSHAKE_FAILED_NO_DETAIL, errno as u32);
    match failure {
        Some(EngineError::Protocol(e)) => match e.protocol_code() {
            Some(code) => protocol(code),
            None => no_detail(nix::libc::EPROTO),
        },
        Some(EngineError::Handshake(failure)) => match failure {
            Failure::Protocol(code) => protocol(*code),
            Failure::Auth(status) => (monitor::HANDSHAKE_FAILED_AUTH, *status),
            Failure::NoDetail(errno) => no_detail(*errno),
            Failure::IncompatibleSocketType(_) => protocol(protocol_error::INVALID_METADATA),
            Failure::Refused(_) => no_detail(nix::libc::EPROTO),
        },
        Some(EngineError::MechanismMismatch) => protocol(protocol_error::MECHANISM_MISMATCH),
        Some(EngineError::Refused(_)) => no_detail(nix::libc::EPROTO),
        Some(EngineError::HandshakeTimeout) | Some(EngineError::HeartbeatTimeout) => {
            no_detail(nix::libc::ETIMEDOUT)
        }
        // The peer hung up (libzmq reports a closed stream as EPIPE).
        None => no_detail(nix::libc::EPIPE),
    }
}

impl Stream {
    /// The file descriptor, as monitor events report it.
    pub(crate) fn fd(&self) -> u32 {
        use std::os::fd::AsRawFd;
        let fd = match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Ipc(s) => s.as_raw_fd(),
        };
        fd as u32
    }

    /// Reads and drops what the peer sent that nobody will read: closing
    /// a socket with unread input resets the connection (tcp, and unix
    /// sockets on Linux), and the peer could lose the ERROR just written.
    fn discard_input(&mut self, buf: &mut [u8]) {
        for _ in 0..16 {
            match self.read(buf) {
                Ok(n) if n > 0 => {}
                _ => return,
            }
        }
    }

    /// What the I/O thread's poll registers.
    fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Stream::Tcp(s) => s,
            Stream::Ipc(s) => s,
        }
    }

    /// Why a finished connect failed; None if it succeeded.
    fn connect_error(&self) -> Option<io::Error> {
        let (error, peer) = match self {
            Stream::Tcp(s) => (s.take_error(), s.peer_addr().map(drop)),
            Stream::Ipc(s) => (s.take_error(), s.peer_addr().map(drop)),
        };
        match (error, peer) {
            (Ok(None), Ok(())) => None,
            (Ok(Some(e)) | Err(e), _) | (Ok(None), Err(e)) => Some(e),
        }
    }

    /// This end's endpoint and the peer's, as monitor events name them:
    /// "tcp://127.0.0.1:5555", "ipc:///tmp/x", "ipc://@name", or "ipc://"
    /// for an unnamed end.
    fn names(&self) -> (String, String) {
        fn tcp(addr: io::Result<SocketAddr>) -> String {
            addr.map(|a| format!("tcp://{a}")).unwrap_or_default()
        }
        fn ipc(addr: io::Result<std::os::unix::net::SocketAddr>) -> String {
            use std::os::linux::net::SocketAddrExt;
            let Ok(addr) = addr else {
                return String::new();
            };
            if let Some(path) = addr.as_pathname() {
                format!("ipc://{}", path.display())
            } else if let Some(name) = addr.as_abstract_name() {
                format!("ipc://@{}", String::from_utf8_lossy(name))
            } else {
                "ipc://".to_owned()
            }
        }
        match self {
            Stream::Tcp(s) => (tcp(s.local_addr()), tcp(s.peer_addr())),
            Stream::Ipc(s) => (ipc(s.local_addr()), ipc(s.peer_addr())),
        }
    }

    fn after_connect(&self, config: &SessionConfig) {
        if let Stream::Tcp(s) = self {
            super::tune_tcp(s, config);
        }
    }

    /// Reads into memory not yet initialised (a message body being
    /// received; see `BodyFill`); returns the bytes read.
    fn read_uninit<'a>(&mut self, buf: &'a mut [MaybeUninit<u8>]) -> io::Result<&'a mut [u8]> {
        let (read, _) = match self {
            Stream::Tcp(s) => rustix::io::read(&*s, buf),
            Stream::Ipc(s) => rustix::io::read(&*s, buf),
        }?;
        Ok(read)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Ipc(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Ipc(s) => s.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write_vectored(bufs),
            Stream::Ipc(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A random wait from 0 to below `ivl` milliseconds (none if `ivl` is 0 or
/// no randomness can be had).
fn reconnect_jitter(ivl: i32) -> Duration {
    let mut bytes = [0; 4];
    match (u32::try_from(ivl), getrandom::getrandom(&mut bytes)) {
        (Ok(ivl), Ok(())) if ivl > 0 => {
            Duration::from_millis(u64::from(u32::from_ne_bytes(bytes) % ivl))
        }
        _ => Duration::ZERO,
    }
}
