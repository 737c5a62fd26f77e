//! Sockets: the part common to every type (options, endpoints, pipes,
//! commands, blocking with timeouts) around a [`Pattern`], the logic of one
//! socket type.
//!
//! A [`Socket`] is a slot that can be opened, closed and opened again, so
//! that the C layer can keep its address valid forever: a call on a closed
//! socket is refused (ENOTSOCK), never undefined. All calls lock the slot,
//! so using one socket from two threads is serialised, not a data race; a
//! blocking call releases the lock while it sleeps.

pub(crate) mod dealer;
pub(crate) mod dgram;
pub mod pipes;
pub(crate) mod pubsub;
pub(crate) mod radio_dish;
pub(crate) mod rep;
pub(crate) mod req;
pub(crate) mod router;
pub(crate) mod server;
pub(crate) mod simple;
pub(crate) mod single_part;
pub(crate) mod stream;
#[cfg(test)]
mod testing;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spin::mutex::{SpinMutex, SpinMutexGuard};

use crate::ctx::{Context, InprocPeer};
use crate::error::{Error, Result};
use crate::io_thread::{Handler, IoHandle};
use crate::mailbox::{Bell, Command, Mailbox};
use crate::monitor::{self, Monitors};
use crate::msg::Msg;
pub use crate::options;
use crate::pipe::{self, Flow, PipeEnd, PipeId};
pub use crate::socket_type::SocketType;
use crate::socket_type::{Groups, Udp};
use crate::transport::listener::{ListenSocket, Listener};
use crate::transport::session::{Session, Target};
use crate::transport::udp::{UdpHandler, UdpMode};
use crate::transport::{self, address, Notices, SessionConfig};
use options::Options;
pub use pipes::{FairQueue, LoadBalancer, Pipes};

/// Send and receive flags.
pub const DONTWAIT: i32 = 1;
pub const SNDMORE: i32 = 2;

/// Readiness bits for ZMQ_EVENTS and zmq_poll.
pub const POLLIN: i16 = 1;
pub const POLLOUT: i16 = 2;
pub const POLLERR: i16 = 4;

/// The logic of one socket type. Pipes live in the socket's [`Pipes`];
/// patterns refer to them by id. A pipe found closed is marked dead by
/// `Pipes`, and the socket later calls `terminated` for it.
pub trait Pattern: Send {
    /// A new pipe. Returns false to refuse it (e.g. a PAIR that has a peer).
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool;
    /// Sends a frame; on success `msg` is left empty, on `Again` it is
    /// left as it was.
    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()>;
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg>;
    fn has_in(&mut self, pipes: &mut Pipes) -> bool;
    fn has_out(&mut self, pipes: &mut Pipes) -> bool;
    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes);
    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes);
    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes);
    /// The network peer behind a pipe reconnected (subscribers send their
    /// subscriptions again).
    fn hiccuped(&mut self, _id: PipeId, _pipes: &mut Pipes) {}
    /// ZMQ_STREAM speaks raw bytes: `Some(ZMQ_STREAM_NOTIFY)`.
    fn raw_notify(&self) -> Option<bool> {
        None
    }
    /// A type-specific option; `Ok(false)` if the type has no such option.
    fn set_option(&mut self, _option: i32, _value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        Ok(false)
    }
    /// A type-specific option; `Ok(None)` if the type has no such option.
    fn get_option(&self, _option: i32, _out: &mut [u8]) -> Result<Option<usize>> {
        Ok(None)
    }
    /// `zmq_join`: only a DISH has groups to join (ENOTSUP elsewhere).
    fn join(&mut self, _group: &[u8], _pipes: &mut Pipes) -> Result<()> {
        Err(Error::NotSupported)
    }
    /// `zmq_leave`.
    fn leave(&mut self, _group: &[u8], _pipes: &mut Pipes) -> Result<()> {
        Err(Error::NotSupported)
    }
    /// For `zmq_connect_peer`: the routing id of the pipe attached last;
    /// `None` for a type that cannot name its connections (all but PEER).
    fn connected_peer(&self) -> Option<u32> {
        None
    }
    /// `zmq_disconnect_peer` (SERVER and PEER; ENOTSUP elsewhere).
    fn disconnect_peer(&mut self, _routing_id: u32, _pipes: &mut Pipes) -> Result<()> {
        Err(Error::NotSupported)
    }
}

/// The transports this build provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Inproc,
    Tcp,
    Ipc,
    Udp,
}

/// An endpoint split into transport and address.
fn parse_endpoint(endpoint: &str, kind: SocketType) -> Result<(Transport, &str)> {
    let (transport, address) = endpoint.split_once("://").ok_or(Error::Invalid)?;
    // No transport named, or nothing after it: malformed (libzmq).
    if transport.is_empty() || address.is_empty() {
        return Err(Error::Invalid);
    }
    match transport {
        // udp is for RADIO, DISH and DGRAM only, and DGRAM has nothing else.
        "inproc" | "tcp" | "ipc" if kind.udp() == Udp::Only => Err(Error::IncompatibleProtocol),
        "inproc" => Ok((Transport::Inproc, address)),
        "tcp" => Ok((Transport::Tcp, address)),
        "ipc" => Ok((Transport::Ipc, address)),
        "udp" if kind.udp() != Udp::Never => Ok((Transport::Udp, address)),
        "udp" => Err(Error::IncompatibleProtocol),
        // pgm, epgm, norm, tipc, vmci, ws, wss: not in this build,
        // which libzmq reports the same way.
        _ => Err(Error::ProtocolNotSupported),
    }
}

/// A tcp or ipc endpoint bound by the socket.
struct NetworkBind {
    given: String,
    resolved: String,
    io: Arc<IoHandle>,
}

/// A tcp or ipc endpoint the socket connects to.
struct NetworkConnect {
    endpoint: String,
    io: Arc<IoHandle>,
}

/// An open socket.
struct Core {
    ctx: Context,
    id: u64,
    kind: SocketType,
    options: Options,
    mailbox: Arc<Mailbox>,
    /// The buffer commands are taken into, kept between turns.
    commands: Vec<Command>,
    pipes: Pipes,
    pattern: Box<dyn Pattern>,
    rcvmore: bool,
    stopped: bool,
    last_endpoint: String,
    /// Pipes made by each connect, for zmq_disconnect.
    connections: Vec<(String, PipeId)>,
    binds: Vec<NetworkBind>,
    connects: Vec<NetworkConnect>,
    /// zmq_disconnect was called (sessions read it for
    /// ZMQ_RECONNECT_STOP_AFTER_DISCONNECT).
    disconnected: Arc<AtomicBool>,
    monitors: Monitors,
}

impl Core {
    fn inproc_peer(&self) -> InprocPeer {
        InprocPeer {
            socket_id: self.id,
            mailbox: self.mailbox.clone(),
            sndhwm: self.options.int(options::SNDHWM),
            rcvhwm: self.options.int(options::RCVHWM),
            conflate: self.options.int(options::CONFLATE) != 0,
            routing_id: self.options.routing_id.clone(),
            disconnect_msg: self.disconnect_msg(),
        }
    }

    /// ZMQ_DISCONNECT_MSG, if this type receives it.
    fn disconnect_msg(&self) -> Option<Vec<u8>> {
        let hears = self.kind.hears_disconnect();
        self.options.disconnect_msg.clone().filter(|_| hears)
    }

    /// Runs the commands waiting in the mailbox; ETERM once stopped. On
    /// every call's path: the check is inline, the work out of line.
    #[inline]
    fn process_commands(&mut self) -> Result<()> {
        if self.mailbox.is_signaled() {
            self.run_commands();
        }
        if self.stopped {
            return Err(Error::Terminated);
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn run_commands(&mut self) {
        let mut commands = std::mem::take(&mut self.commands);
        self.mailbox.take_into(&mut commands);
        for command in commands.drain(..) {
            match command {
                Command::ActivateRead(id) => {
                    if self.pipes.get(id).is_some() {
                        self.pattern.read_activated(id, &mut self.pipes);
                    }
                }
                Command::ActivateWrite(id) => {
                    if self.pipes.get(id).is_some() {
                        self.pattern.write_activated(id, &mut self.pipes);
                    }
                }
                Command::Attach(end) => self.attach(end),
                Command::PipeTerm(id) => {
                    if let Some(pipe) = self.pipes.get(id) {
                        pipe.peer_closed = true;
                        // What is left to read stays readable; a drained
                        // pipe goes now.
                        if pipe.input_closed() {
                            self.pipes.mark_dead(id);
                        } else {
                            self.pattern.read_activated(id, &mut self.pipes);
                        }
                    }
                }
                Command::Hiccup(id) => {
                    if self.pipes.get(id).is_some() {
                        self.pattern.hiccuped(id, &mut self.pipes);
                    }
                }
                Command::Stop => self.stopped = true,
            }
        }
        self.commands = commands;
        self.reap();
        if self.kind.thread_safe() {
            self.mailbox.ring_pollers();
        }
    }

    fn attach(&mut self, mut end: PipeEnd) {
        end.attach(self.mailbox.clone());
        end.set_write_through(self.kind.writes_through());
        // ZMQ_HELLO_MSG: the first message an inproc peer gets (a
        // session sends its own to a network peer).
        if end.between_sockets() && self.kind.sends_hello(true) {
            if let Some(hello) = &self.options.hello_msg {
                if let Ok(msg) = Msg::from_slice(hello) {
                    let _ = end.write(msg);
                }
            }
        }
        let id = end.id();
        self.pipes.insert(end);
        if !self.pattern.attach(id, &mut self.pipes) {
            if let Some(end) = self.pipes.remove(id) {
                end.close(true);
            }
        }
        self.reap();
    }

    /// Removes the pipes found dead during the last operation.
    #[inline]
    fn reap(&mut self) {
        if self.pipes.has_dead() {
            self.reap_dead();
        }
    }

    #[cold]
    #[inline(never)]
    fn reap_dead(&mut self) {
        while self.pipes.has_dead() {
            let dead = self.pipes.take_dead();
            for id in dead {
                if let Some(end) = self.pipes.remove(id) {
                    self.pattern.terminated(id, &mut self.pipes);
                    self.connections.retain(|&(_, p)| p != id);
                    end.close(false);
                }
            }
        }
    }

    fn events(&mut self) -> i16 {
        let mut events = 0;
        if self.pattern.has_in(&mut self.pipes) {
            events |= POLLIN;
        }
        if self.pattern.has_out(&mut self.pipes) {
            events |= POLLOUT;
        }
        self.reap();
        events
    }

    fn bind(&mut self, endpoint: &str) -> Result<()> {
        let (transport, address) = parse_endpoint(endpoint, self.kind)?;
        if transport == Transport::Udp {
            return self.udp(address, endpoint, true);
        }
        if transport != Transport::Inproc {
            return self.network_bind(transport, address, endpoint);
        }
        let waiting = self.ctx.bind_inproc(address, self.inproc_peer())?;
        for end in waiting {
            self.attach(end);
        }
        self.last_endpoint = endpoint.to_owned();
        Ok(())
    }

    /// Everything a session needs of this socket, as it is now.
    fn session_config(&self) -> SessionConfig {
        let o = &self.options;
        let raw_notify = self.pattern.raw_notify();
        let notices = match raw_notify {
            Some(on) => Notices {
                connect: on,
                disconnect: on,
            },
            None => {
                let bits = o.int(options::ROUTER_NOTIFY);
                Notices {
                    connect: bits & options::NOTIFY_CONNECT != 0,
                    disconnect: bits & options::NOTIFY_DISCONNECT != 0,
                }
            }
        };
        SessionConfig {
            socket_id: self.id,
            socket_mailbox: self.mailbox.clone(),
            engine: o.engine(self.kind.number(), raw_notify.is_some()),
            monitors: self.monitors.clone(),
            inproc: self.ctx.inproc().clone(),
            flow: o.flow(),
            tcp: o.tcp(),
            reconnect: o.reconnect(),
            notices,
            hello_msg: o.hello_msg.clone().filter(|_| self.kind.sends_hello(false)),
            disconnect_msg: self.disconnect_msg(),
            hiccup_msg: o.hiccup_msg.clone().filter(|_| self.kind.hears_hiccup()),
            socket_disconnected: self.disconnected.clone(),
            accept_filters: o.accept_filters.clone(),
        }
    }

    fn network_bind(&mut self, transport: Transport, address: &str, endpoint: &str) -> Result<()> {
        let result = self.listen(transport, address, endpoint);
        if let Err(e) = result {
            self.monitors.event(
                monitor::BIND_FAILED,
                e.errno() as u32,
                monitor::Ends::bound(endpoint),
            );
        }
        result
    }

    fn listen(&mut self, transport: Transport, address: &str, endpoint: &str) -> Result<()> {
        let io = self.ctx.io_thread(self.options.affinity)?;
        let config = Arc::new(self.session_config());
        let use_fd = self.options.int(options::USE_FD);
        let (socket, resolved, ipc_path, ipc_dir) = match transport {
            // The address is still checked, as libzmq does; the socket is
            // the application's.
            Transport::Tcp if use_fd >= 0 => {
                address::tcp_bind_addr(address, config.tcp.ipv6)?;
                let adopted = transport::adopt_listener(use_fd, false).map_err(Error::from)?;
                let local = adopted.local_addr().map_err(Error::from)?;
                let local = local.as_socket().ok_or(Error::Invalid)?;
                let listener = mio::net::TcpListener::from_std(adopted.into());
                let resolved = address::tcp_endpoint_string(&local);
                (ListenSocket::Tcp(listener), resolved, None, None)
            }
            _ if use_fd >= 0 => {
                let adopted = transport::adopt_listener(use_fd, true).map_err(Error::from)?;
                let local = adopted.local_addr().map_err(Error::from)?;
                let addr = match (local.as_pathname(), local.as_abstract_namespace()) {
                    (Some(path), _) => address::IpcAddr::Path(path.to_owned()),
                    (_, Some(name)) => address::IpcAddr::Abstract(name.to_owned()),
                    _ => return Err(Error::Invalid),
                };
                let listener = std::os::unix::net::UnixListener::from(adopted);
                let listener = mio::net::UnixListener::from_std(listener);
                // The file is the application's: it stays when we close.
                (
                    ListenSocket::Ipc(listener),
                    addr.endpoint_string(),
                    None,
                    None,
                )
            }
            Transport::Tcp => {
                let addr = address::tcp_bind_addr(address, config.tcp.ipv6)?;
                let listener = transport::tcp_listen(&config, addr).map_err(Error::from)?;
                let local = listener.local_addr().map_err(Error::from)?;
                let socket = ListenSocket::Tcp(mio::net::TcpListener::from_std(listener));
                (socket, address::tcp_endpoint_string(&local), None, None)
            }
            _ => {
                let (addr, dir) = address::IpcAddr::parse_bind(address)?;
                let path = match &addr {
                    address::IpcAddr::Path(path) => {
                        // A file left by an earlier run is replaced, as
                        // libzmq does.
                        let _ = std::fs::remove_file(path);
                        Some(path.clone())
                    }
                    address::IpcAddr::Abstract(_) => None,
                };
                let bound = addr
                    .to_unix_addr()
                    .and_then(|a| mio::net::UnixListener::bind_addr(&a));
                let listener = match bound {
                    Ok(l) => l,
                    Err(e) => {
                        if let Some(dir) = dir {
                            let _ = std::fs::remove_dir(dir);
                        }
                        return Err(Error::from(e));
                    }
                };
                (
                    ListenSocket::Ipc(listener),
                    addr.endpoint_string(),
                    path,
                    dir,
                )
            }
        };
        let given = endpoint.to_owned();
        let name = resolved.clone();
        let fd = socket.fd();
        io.call(move |reactor| {
            let (token, listener) = Listener::new(
                &mut reactor.cx,
                config,
                socket,
                given,
                name,
                ipc_path,
                ipc_dir,
            )?;
            reactor.add(token, Handler::Listener(listener));
            Ok::<(), std::io::Error>(())
        })?
        .map_err(Error::from)?;
        self.binds.push(NetworkBind {
            given: endpoint.to_owned(),
            resolved: resolved.clone(),
            io,
        });
        self.monitors
            .event(monitor::LISTENING, fd, monitor::Ends::bound(&resolved));
        self.last_endpoint = resolved;
        Ok(())
    }

    fn connect(&mut self, endpoint: &str) -> Result<()> {
        let (transport, address) = parse_endpoint(endpoint, self.kind)?;
        if transport == Transport::Udp {
            return self.udp(address, endpoint, false);
        }
        if transport != Transport::Inproc {
            return self.network_connect(transport, address, endpoint);
        }
        let immediate = self.options.int(options::IMMEDIATE) != 0;
        // ZMQ_CONNECT_ROUTING_ID names the peer of this one connection.
        let alias = self.options.connect_routing_id.take();
        let (id, end) = self
            .ctx
            .connect_inproc(address, self.inproc_peer(), immediate, alias)?;
        self.connections.push((endpoint.to_owned(), id));
        if let Some(end) = end {
            self.attach(end);
        }
        self.last_endpoint = endpoint.to_owned();
        Ok(())
    }

    fn network_connect(
        &mut self,
        transport: Transport,
        address: &str,
        endpoint: &str,
    ) -> Result<()> {
        let target = match transport {
            Transport::Tcp => {
                let tcp = address::TcpConnect::parse(address)?;
                let o = &self.options;
                match o.bytes(options::SOCKS_PROXY) {
                    [] => Target::Tcp(tcp),
                    proxy => Target::Socks(Box::new(transport::socks::Route::new(
                        proxy,
                        tcp,
                        o.bytes(options::SOCKS_USERNAME),
                        o.bytes(options::SOCKS_PASSWORD),
                    )?)),
                }
            }
            _ => Target::Ipc(address::IpcAddr::parse(address)?),
        };
        let io = self.ctx.io_thread(self.options.affinity)?;
        let config = Arc::new(self.session_config());
        let alias = self.options.connect_routing_id.take();
        // Without ZMQ_IMMEDIATE the pipe exists at once, so messages
        // queue until the connection is made.
        let session_end = if config.flow.immediate {
            None
        } else {
            let flow = |hwm: i32| Flow {
                hwm: hwm.max(0) as u64,
                conflate: config.flow.conflate,
            };
            let (mut mine, theirs) = pipe::pair(flow(config.flow.sndhwm), flow(config.flow.rcvhwm));
            if let Some(alias) = alias {
                mine.set_peer_alias(alias);
            }
            self.connections.push((endpoint.to_owned(), mine.id()));
            self.attach(mine);
            // Named as the session names it once connected (PIPES_STATS).
            theirs.set_ends("", endpoint);
            Some(theirs)
        };
        let given = endpoint.to_owned();
        io.submit(Box::new(move |reactor| {
            let (token, session) =
                Session::connecting(&mut reactor.cx, config, target, given, session_end);
            reactor.add(token, Handler::Session(session.share()));
        }));
        self.connects.push(NetworkConnect {
            endpoint: endpoint.to_owned(),
            io,
        });
        self.last_endpoint = endpoint.to_owned();
        Ok(())
    }

    /// A udp endpoint: a DISH binds one (a port on an interface, or a
    /// multicast group), a RADIO connects one, a DGRAM either; anything
    /// else is ENOCOMPATPROTO, as in libzmq. The socket is made here, so
    /// address errors come back at once; its handler runs on an I/O thread.
    fn udp(&mut self, address: &str, endpoint: &str, bind: bool) -> Result<()> {
        let groups = self.kind.groups();
        let fits = match bind {
            true => groups != Groups::Sends,
            false => groups != Groups::Joins,
        };
        if !fits {
            return Err(Error::IncompatibleProtocol);
        }
        let o = &self.options;
        let ipv6 = o.int(options::IPV6) != 0;
        let target = match bind {
            true => transport::udp::UdpTarget::for_bind(address, ipv6)?,
            false => transport::udp::UdpTarget::for_connect(address, ipv6)?,
        };
        let hops = u32::try_from(o.int(options::MULTICAST_HOPS)).unwrap_or(1);
        let socket = target.open(bind, hops, o.int(options::MULTICAST_LOOP) != 0)?;
        // A DISH's real port (it may have asked for `*`), on its address
        // or multicast group.
        let local = socket.local_addr().map_err(Error::from)?;
        let resolved = match (bind, target.addr.ip().is_multicast()) {
            (true, false) => format!("udp://{local}"),
            (true, true) => format!(
                "udp://{}",
                std::net::SocketAddr::new(target.addr.ip(), local.port())
            ),
            (false, _) => format!("udp://{}", target.addr),
        };
        let io = self.ctx.io_thread(self.options.affinity)?;
        let flow = o.flow();
        let to_pipe = |hwm: i32| Flow {
            hwm: hwm.max(0) as u64,
            conflate: flow.conflate,
        };
        let (mut mine, theirs) = pipe::pair(to_pipe(flow.sndhwm), to_pipe(flow.rcvhwm));
        let mode = match groups {
            Groups::Sends => UdpMode::Radio { to: target.addr },
            Groups::Joins => UdpMode::Dish,
            Groups::None => UdpMode::Dgram { bound: bind },
        };
        if groups == Groups::Sends {
            mine.set_all_groups();
        }
        if !bind {
            self.connections.push((endpoint.to_owned(), mine.id()));
        }
        theirs.set_ends("", &resolved);
        self.attach(mine);
        let (socket_id, given, name) = (self.id, endpoint.to_owned(), resolved.clone());
        io.call(move |reactor| {
            let (token, handler) = UdpHandler::new(
                &mut reactor.cx,
                socket_id,
                socket,
                theirs,
                mode,
                given,
                name,
            )?;
            reactor.add(token, Handler::Udp(Box::new(handler)));
            Ok::<(), std::io::Error>(())
        })?
        .map_err(Error::from)?;
        match bind {
            true => self.binds.push(NetworkBind {
                given: endpoint.to_owned(),
                resolved: resolved.clone(),
                io,
            }),
            false => self.connects.push(NetworkConnect {
                endpoint: endpoint.to_owned(),
                io,
            }),
        }
        self.last_endpoint = resolved;
        Ok(())
    }

    fn unbind(&mut self, endpoint: &str) -> Result<()> {
        let (transport, address) = parse_endpoint(endpoint, self.kind)?;
        if transport == Transport::Inproc {
            return self.ctx.unbind_inproc(address, self.id);
        }
        let index = self
            .binds
            .iter()
            .position(|b| {
                b.resolved == endpoint || (b.given == endpoint && !b.given.ends_with('*'))
            })
            .ok_or(Error::NotFound)?;
        let bind = self.binds.remove(index);
        let socket_id = self.id;
        let name = endpoint.to_owned();
        if !bind
            .io
            .call(move |reactor| reactor.unbind(socket_id, &name))?
        {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    fn disconnect(&mut self, endpoint: &str) -> Result<()> {
        let (transport, _) = parse_endpoint(endpoint, self.kind)?;
        self.disconnected.store(true, Ordering::Relaxed);
        let ids: Vec<PipeId> = self
            .connections
            .iter()
            .filter(|(e, _)| e == endpoint)
            .map(|&(_, id)| id)
            .collect();
        let mut found = !ids.is_empty();
        for id in ids {
            self.pipes.mark_dead(id);
        }
        if transport != Transport::Inproc {
            let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.connects)
                .into_iter()
                .partition(|c| c.endpoint == endpoint);
            self.connects = others;
            for connect in mine {
                let socket_id = self.id;
                let name = endpoint.to_owned();
                found |= connect
                    .io
                    .call(move |reactor| reactor.disconnect(socket_id, &name))?;
            }
        }
        self.reap();
        if !found {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// The table's verdict on setting `option` here: known to this build,
    /// writable, and taken by this socket type; EINVAL otherwise.
    fn settable(&self, option: i32) -> Result<()> {
        match options::lookup(option) {
            Some(spec) if spec.writable() && spec.sockets.take(self.kind.number()) => Ok(()),
            _ => Err(Error::Invalid),
        }
    }

    fn set_option(&mut self, option: i32, value: &[u8]) -> Result<()> {
        self.settable(option)?;
        if self.pattern.set_option(option, value, &mut self.pipes)? {
            self.reap();
            return Ok(());
        }
        if self.options.set(option, value)? {
            if matches!(option, options::SNDHWM | options::RCVHWM) {
                self.apply_hwms();
            }
            return Ok(());
        }
        Err(Error::Invalid)
    }

    /// ZMQ_SNDHWM and ZMQ_RCVHWM reach the pipes that exist (libzmq does
    /// the same); a pipe that was full may have room now.
    fn apply_hwms(&mut self) {
        let (sndhwm, rcvhwm) = (
            self.options.int(options::SNDHWM),
            self.options.int(options::RCVHWM),
        );
        for id in self.pipes.ids() {
            if let Some(pipe) = self.pipes.get(id) {
                pipe.set_hwms(sndhwm, rcvhwm);
                self.pattern.write_activated(id, &mut self.pipes);
            }
        }
    }

    fn get_option(&mut self, option: i32, out: &mut [u8]) -> Result<usize> {
        if !options::lookup(option).is_some_and(|spec| spec.readable()) {
            return Err(Error::Invalid);
        }
        match option {
            options::TYPE => return options::put_int(out, self.kind.number()),
            options::RCVMORE => return options::put_state_int(out, i32::from(self.rcvmore)),
            // A thread-safe socket's calls do not wait on the eventfd, so
            // it is no signal to poll (libzmq: EINVAL).
            options::FD if self.kind.thread_safe() => return Err(Error::Invalid),
            options::FD => return options::put_state_int(out, self.mailbox.fd()),
            options::THREAD_SAFE => {
                return options::put_state_int(out, i32::from(self.kind.thread_safe()))
            }
            options::EVENTS => {
                self.mailbox.settle();
                self.process_commands()?;
                let events = self.events();
                return options::put_state_int(out, i32::from(events));
            }
            options::LAST_ENDPOINT => {
                let mut value = self.last_endpoint.clone().into_bytes();
                value.push(0);
                return options::put(out, &value);
            }
            _ => {}
        }
        if let Some(len) = self.pattern.get_option(option, out)? {
            return Ok(len);
        }
        self.options.get(option, out)?.ok_or(Error::Invalid)
    }

    fn timeout(&self, option: i32) -> Option<Duration> {
        let ms = self.options.int(option);
        (ms >= 0).then(|| Duration::from_millis(ms as u64))
    }

    /// Closes every pipe and leaves the context. What was sent stays
    /// readable by inproc peers whatever ZMQ_LINGER says, as in libzmq:
    /// linger bounds what network sessions still try to deliver.
    fn close(mut self) {
        self.monitors.stop();
        // Sessions deliver what they can within ZMQ_LINGER.
        let linger = i64::from(self.options.int(options::LINGER));
        let mut told: Vec<&Arc<IoHandle>> = Vec::new();
        let threads = self
            .binds
            .iter()
            .map(|b| &b.io)
            .chain(self.connects.iter().map(|c| &c.io));
        for io in threads {
            if told.iter().any(|t| Arc::ptr_eq(t, io)) {
                continue;
            }
            told.push(io);
            let socket_id = self.id;
            io.submit(Box::new(move |reactor| {
                reactor.socket_closed(socket_id, linger)
            }));
        }
        for id in self.pipes.ids() {
            if let Some(end) = self.pipes.remove(id) {
                end.close(false);
            }
        }
        self.ctx.remove_socket(self.id);
    }
}

/// A socket slot: closed until opened by [`Socket::open`].
///
/// Every call holds the lock, briefly (a blocking call lets go of it while
/// it sleeps), and one thread at a time is the normal use: so a spin lock,
/// whose release is a plain store, rather than a parking mutex, whose
/// release is a locked instruction on every call.
#[derive(Default)]
pub struct Socket {
    core: SlotLock,
}

type Guard<'a> = SpinMutexGuard<'a, Option<Core>>;

/// The spin lock of a socket slot, fair enough that a thread calling in a
/// tight loop (a sender spinning on ZMQ_DONTWAIT) cannot starve another
/// (the thread closing the socket under it): while a thread waits, callers
/// step aside before they try. Uncontended, that costs one plain load.
#[derive(Default)]
struct SlotLock {
    slot: SpinMutex<Option<Core>>,
    waiting: AtomicUsize,
}

impl SlotLock {
    #[inline]
    fn lock(&self) -> Guard<'_> {
        if self.waiting.load(Ordering::Relaxed) == 0 {
            if let Some(guard) = self.slot.try_lock() {
                return guard;
            }
        }
        self.lock_contended()
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) -> Guard<'_> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        loop {
            // Yield first: a thread that was waiting before us gets its turn.
            std::thread::yield_now();
            if let Some(guard) = self.slot.try_lock() {
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                return guard;
            }
        }
    }
}

impl Socket {
    pub fn new() -> Socket {
        Socket::default()
    }

    /// Opens a socket of type `kind` (a libzmq number) in `ctx`. The slot
    /// must be closed.
    pub fn open(&self, ctx: &Context, kind: i32) -> Result<()> {
        let kind = SocketType::from_raw(kind)?;
        let pattern = kind.pattern();
        let mailbox = Arc::new(match kind.thread_safe() {
            true => Mailbox::shared()?,
            false => Mailbox::new()?,
        });
        let mut slot = self.core.lock();
        if slot.is_some() {
            return Err(Error::Invalid);
        }
        let (id, linger_zero, ipv6) = ctx.add_socket(mailbox.clone())?;
        let mut options = Options::default();
        // ZMQ_BLOCKY 0 makes every socket's linger 0.
        if linger_zero || kind.starts_with_linger_zero() {
            options.set(options::LINGER, &0i32.to_ne_bytes())?;
        }
        if ipv6 {
            options.set(options::IPV6, &1i32.to_ne_bytes())?;
        }
        *slot = Some(Core {
            ctx: ctx.clone(),
            id,
            kind,
            options,
            mailbox,
            commands: Vec::new(),
            pipes: Pipes::default(),
            pattern,
            rcvmore: false,
            stopped: false,
            last_endpoint: String::new(),
            connections: Vec::new(),
            binds: Vec::new(),
            connects: Vec::new(),
            disconnected: Arc::default(),
            monitors: Monitors::default(),
        });
        Ok(())
    }

    pub fn is_open(&self) -> bool {
        self.core.lock().is_some()
    }

    /// Closes the socket; pending outgoing messages stay with their pipes
    /// (or are dropped with ZMQ_LINGER 0).
    pub fn close(&self) -> Result<()> {
        let core = self.core.lock().take().ok_or(Error::NotSocket)?;
        // Wake any call of another thread sleeping on this socket.
        core.mailbox.send(Command::Stop);
        core.close();
        Ok(())
    }

    fn with_core<T>(&self, f: impl FnOnce(&mut Core) -> Result<T>) -> Result<T> {
        let mut slot = self.core.lock();
        let core = slot.as_mut().ok_or(Error::NotSocket)?;
        let result = f(core);
        // A connect or bind may have given a sleeping call a pipe.
        if let Some(bell) = core.mailbox.bell() {
            bell.ring();
        }
        result
    }

    /// Runs `op` until it stops saying EAGAIN, sleeping on the mailbox in
    /// between, for at most the timeout option `timeout_option`.
    fn blocking<T>(
        &self,
        nowait: bool,
        timeout_option: i32,
        mut op: impl FnMut(&mut Core) -> Result<T>,
    ) -> Result<T> {
        let mut slot: Guard<'_> = self.core.lock();
        let mut deadline: Option<Option<Instant>> = None;
        loop {
            let core = slot.as_mut().ok_or(Error::NotSocket)?;
            // A thread-safe socket's sleepers wait for changes after this.
            let seen = core.mailbox.bell().map(Bell::changes);
            core.process_commands()?;
            let result = op(core);
            core.reap();
            match result {
                Err(Error::Again) if !nowait => {}
                other => return other,
            }
            let timeout = core.timeout(timeout_option);
            if timeout == Some(Duration::ZERO) {
                return Err(Error::Again);
            }
            let deadline = *deadline.get_or_insert_with(|| timeout.map(|t| Instant::now() + t));
            let remaining = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(Error::Again);
                    }
                    Some(d - now)
                }
                None => None,
            };
            let mailbox = core.mailbox.clone();
            drop(slot);
            let woken = match (seen, mailbox.bell()) {
                (Some(seen), Some(bell)) => Ok(bell.wait(seen, remaining)),
                _ => mailbox.wait(remaining),
            };
            slot = self.core.lock();
            woken?;
            match slot.as_ref() {
                Some(core) if Arc::ptr_eq(&core.mailbox, &mailbox) => {}
                // Closed (and perhaps reopened) by another thread meanwhile.
                _ => return Err(Error::NotSocket),
            }
        }
    }

    /// Sends one frame; `flags` are ZMQ_DONTWAIT and ZMQ_SNDMORE. On
    /// success `msg` is left empty; on failure it is left as it was.
    pub fn send(&self, msg: &mut Msg, flags: i32) -> Result<()> {
        msg.set_more(flags & SNDMORE != 0);
        self.blocking(flags & DONTWAIT != 0, options::SNDTIMEO, |core| {
            core.pattern.send(msg, &mut core.pipes)
        })
    }

    /// Receives one frame; `flags` may hold ZMQ_DONTWAIT.
    pub fn recv(&self, flags: i32) -> Result<Msg> {
        self.blocking(flags & DONTWAIT != 0, options::RCVTIMEO, |core| {
            let msg = core.pattern.recv(&mut core.pipes)?;
            core.rcvmore = msg.more();
            Ok(msg)
        })
    }

    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            core.bind(endpoint)
        })
    }

    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            core.connect(endpoint)
        })
    }

    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            core.unbind(endpoint)
        })
    }

    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            core.disconnect(endpoint)
        })
    }

    pub fn set_option(&self, option: i32, value: &[u8]) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            core.set_option(option, value)
        })
    }

    /// `zmq_join` (DISH).
    pub fn join(&self, group: &[u8]) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            let result = core.pattern.join(group, &mut core.pipes);
            core.reap();
            result
        })
    }

    /// `zmq_leave` (DISH).
    pub fn leave(&self, group: &[u8]) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            let result = core.pattern.leave(group, &mut core.pipes);
            core.reap();
            result
        })
    }

    /// `zmq_connect_peer` (PEER): connects and returns the routing id of
    /// the new connection, which exists at once (hence EFAULT with
    /// ZMQ_IMMEDIATE, as libzmq).
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        self.with_core(|core| {
            core.process_commands()?;
            core.pattern.connected_peer().ok_or(Error::NotSupported)?;
            if core.options.int(options::IMMEDIATE) != 0 {
                return Err(Error::Fault);
            }
            core.connect(endpoint)?;
            core.pattern.connected_peer().ok_or(Error::NotSupported)
        })
    }

    /// `zmq_disconnect_peer` (SERVER, PEER).
    pub fn disconnect_peer(&self, routing_id: u32) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            let result = core.pattern.disconnect_peer(routing_id, &mut core.pipes);
            core.reap();
            result
        })
    }

    /// zmq_setsockopt with a NULL value and length 0 (which, for PLAIN's
    /// credentials, turns the mechanism back to NULL).
    pub fn set_option_null(&self, option: i32) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            core.settable(option)?;
            if core.pattern.set_option(option, &[], &mut core.pipes)? {
                return Ok(());
            }
            match core.options.set_null(option)? {
                true => Ok(()),
                false => Err(Error::Invalid),
            }
        })
    }

    /// Writes an option's value into `out`; returns its length. EINVAL if
    /// `out` is too small or the option unknown.
    pub fn get_option(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        self.with_core(|core| {
            // Options stay readable after the context stops, as in libzmq;
            // only ZMQ_EVENTS reports ETERM.
            core.get_option(option, out)
        })
    }

    /// ZMQ_EVENTS: POLLIN and/or POLLOUT. ETERM once the context stopped.
    pub fn events(&self) -> Result<i16> {
        self.with_core(|core| {
            // Pollers call this when ZMQ_FD was readable: a stray count
            // must not keep it readable.
            core.mailbox.settle();
            core.process_commands()?;
            Ok(core.events())
        })
    }

    /// Whether a send would go through now (POLLOUT), without what
    /// `events` does for pollers of ZMQ_FD (no system call).
    pub(crate) fn can_send(&self) -> Result<bool> {
        self.with_core(|core| {
            core.process_commands()?;
            Ok(core.events() & POLLOUT != 0)
        })
    }

    /// `zmq_socket_monitor`: events go to a PAIR socket bound to
    /// `endpoint` (None stops monitoring).
    /// `zmq_socket_monitor_versioned`: events as `version` (1 or 2) has
    /// them, to a monitor socket of `socket_type` (PAIR, PUB or PUSH).
    pub fn monitor(
        &self,
        endpoint: Option<&str>,
        events: u64,
        version: i32,
        socket_type: i32,
    ) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            core.monitors
                .start(&core.ctx, endpoint, events, version, socket_type)
        })
    }

    /// `zmq_socket_monitor_pipes_stats`: a PIPES_STATS event for each
    /// connection, with the messages queued out and in. EINVAL if the
    /// monitor does not want the event, EAGAIN if there is no connection.
    pub fn monitor_pipes_stats(&self) -> Result<()> {
        self.with_core(|core| {
            core.process_commands()?;
            if !core.monitors.wants(monitor::PIPES_STATS) {
                return Err(Error::Invalid);
            }
            let ids = core.pipes.ids();
            if ids.is_empty() {
                return Err(Error::Again);
            }
            for id in ids {
                if let Some(pipe) = core.pipes.get(id) {
                    let (out, inp) = pipe.queued();
                    let (local, remote) = pipe.peer_ends();
                    let ends = monitor::Ends {
                        local: &local,
                        remote: &remote,
                        bound: false,
                    };
                    core.monitors
                        .publish(monitor::PIPES_STATS, &[out, inp], ends);
                }
            }
            Ok(())
        })
    }

    /// The mailbox whose eventfd signals changes (for zmq_poll).
    pub fn mailbox(&self) -> Result<Arc<Mailbox>> {
        self.with_core(|core| Ok(core.mailbox.clone()))
    }

    pub fn socket_type(&self) -> Result<SocketType> {
        self.with_core(|core| Ok(core.kind))
    }

    /// Whether this socket belongs to `ctx`.
    pub fn in_context(&self, ctx: &Context) -> bool {
        self.core.lock().as_ref().is_some_and(|c| c.ctx.same(ctx))
    }
}
