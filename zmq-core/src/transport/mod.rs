//! Network transports: endpoint addresses (tcp, ipc), listeners, and the
//! sessions that run a ZMTP engine over a stream, on the I/O threads.

pub mod address;
pub mod filter;
pub mod listener;
pub mod session;
pub mod socks;
pub mod udp;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, TcpKeepalive, Type};

use crate::inproc::Registry;
use crate::mailbox::Mailbox;
use crate::monitor::Monitors;
use crate::options::{FlowOptions, ReconnectOptions, TcpOptions};
use crate::zmtp::engine::EngineConfig;

/// A connected byte stream.
pub enum Stream {
    Tcp(mio::net::TcpStream),
    Ipc(mio::net::UnixStream),
}

/// What a listener or session needs of its socket's options, copied at
/// bind or connect time (as libzmq does).
#[derive(Clone)]
pub struct SessionConfig {
    pub socket_id: u64,
    /// Where new pipes are sent (`Attach`).
    pub socket_mailbox: Arc<Mailbox>,
    pub engine: EngineConfig,
    /// The socket's monitor, for connection events.
    pub monitors: Monitors,
    /// The context's inproc endpoints, where a ZAP handler may be bound.
    pub inproc: Arc<Registry>,
    pub flow: FlowOptions,
    pub tcp: TcpOptions,
    pub reconnect: ReconnectOptions,
    /// Empty messages the socket gets when a peer connects or leaves.
    pub notices: Notices,
    /// ZMQ_HELLO_MSG, for the types that send it: the first message to
    /// each peer, on every (re)connection.
    pub hello_msg: Option<Vec<u8>>,
    /// ZMQ_DISCONNECT_MSG, for the types that receive it: what the socket
    /// gets when a peer that connected to it leaves.
    pub disconnect_msg: Option<Vec<u8>>,
    /// ZMQ_HICCUP_MSG, for the types that receive it: what the socket gets
    /// when a connection it made is lost (before it reconnects).
    pub hiccup_msg: Option<Vec<u8>>,
    /// zmq_disconnect was called on the socket (for
    /// ZMQ_RECONNECT_STOP_AFTER_DISCONNECT).
    pub socket_disconnected: Arc<AtomicBool>,
    /// Which peers a listener keeps.
    pub accept_filters: filter::AcceptFilters,
}

/// When the socket hears of peers coming and going: an empty message (after
/// the routing id, for ROUTER and STREAM) as a connection is made or lost.
/// ZMQ_STREAM_NOTIFY and ZMQ_ROUTER_RAW ask for both, ZMQ_ROUTER_NOTIFY for
/// either.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Notices {
    pub connect: bool,
    pub disconnect: bool,
}

/// Socket options that apply before bind or connect.
fn tune_socket(socket: &Socket, config: &SessionConfig, ipv6: bool) -> io::Result<()> {
    if config.tcp.sndbuf >= 0 {
        socket.set_send_buffer_size(config.tcp.sndbuf as usize)?;
    }
    if config.tcp.rcvbuf >= 0 {
        socket.set_recv_buffer_size(config.tcp.rcvbuf as usize)?;
    }
    if config.tcp.tos != 0 {
        if ipv6 {
            socket.set_tclass_v6(config.tcp.tos as u32)?;
        } else {
            socket.set_tos(config.tcp.tos as u32)?;
        }
    }
    if !config.tcp.bind_to_device.is_empty() {
        socket.bind_device(Some(&config.tcp.bind_to_device))?;
    }
    Ok(())
}

/// Options of a connected tcp stream: no Nagle delay (small messages go
/// out at once, as libzmq), keepalives and TCP_MAXRT as asked.
pub(crate) fn tune_tcp(stream: &mio::net::TcpStream, config: &SessionConfig) {
    let _ = stream.set_nodelay(true);
    let socket = socket2::SockRef::from(stream);
    if config.tcp.keepalive == 1 {
        let mut keepalive = TcpKeepalive::new();
        if config.tcp.keepalive_idle > 0 {
            keepalive = keepalive.with_time(Duration::from_secs(config.tcp.keepalive_idle as u64));
        }
        if config.tcp.keepalive_intvl > 0 {
            keepalive =
                keepalive.with_interval(Duration::from_secs(config.tcp.keepalive_intvl as u64));
        }
        if config.tcp.keepalive_cnt > 0 {
            keepalive = keepalive.with_retries(config.tcp.keepalive_cnt as u32);
        }
        let _ = socket.set_tcp_keepalive(&keepalive);
    } else if config.tcp.keepalive == 0 {
        let _ = socket.set_keepalive(false);
    }
    if config.tcp.maxrt > 0 {
        let _ = socket.set_tcp_user_timeout(Some(Duration::from_millis(config.tcp.maxrt as u64)));
    }
    if config.tcp.priority > 0 {
        let _ = nix::sys::socket::setsockopt(
            stream,
            nix::sys::socket::sockopt::Priority,
            &config.tcp.priority,
        );
    }
    if config.tcp.busy_poll > 0 {
        set_busy_poll(stream, config.tcp.busy_poll);
    }
}

/// SO_BUSY_POLL: the kernel polls the device queue this many microseconds
/// on a read that finds nothing. No socket crate wraps it. A failure (no
/// CAP_NET_ADMIN to raise it past net.core.busy_read) is ignored, like
/// that of the other tunings here.
#[allow(unsafe_code)]
fn set_busy_poll(stream: &mio::net::TcpStream, usecs: i32) {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is the stream's, open while it is borrowed;
    // the value points at a live c_int and its size is passed with it.
    unsafe {
        nix::libc::setsockopt(
            stream.as_raw_fd(),
            nix::libc::SOL_SOCKET,
            nix::libc::SO_BUSY_POLL,
            (&usecs as *const i32).cast(),
            std::mem::size_of::<i32>() as nix::libc::socklen_t,
        );
    }
}

/// Starts a non-blocking connect to `addr` (from `source` if given).
pub(crate) fn tcp_connect(
    config: &SessionConfig,
    addr: SocketAddr,
    source: Option<SocketAddr>,
) -> io::Result<mio::net::TcpStream> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM.cloexec(),
        Some(Protocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    tune_socket(&socket, config, addr.is_ipv6())?;
    if let Some(source) = source {
        socket.set_reuse_address(true)?;
        socket.bind(&SockAddr::from(source))?;
    }
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(nix::libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(mio::net::TcpStream::from_std(socket.into()))
}

/// A listening tcp socket on `addr` (IPv6 wildcards take IPv4 too).
pub(crate) fn tcp_listen(
    config: &SessionConfig,
    addr: SocketAddr,
) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM.cloexec(),
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    tune_socket(&socket, config, addr.is_ipv6())?;
    socket.bind(&SockAddr::from(addr))?;
    socket.listen(config.tcp.backlog.max(1))?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// ZMQ_USE_FD: a listening socket the application made, for a tcp
/// (`unix` false) or ipc bind. The socket works on a duplicate of it, so
/// the application's descriptor stays the application's to close (see
/// docs/differences.md). Anything but a listening socket of the transport's
/// family is refused with EINVAL.
#[allow(unsafe_code)]
pub(crate) fn adopt_listener(fd: i32, unix: bool) -> io::Result<Socket> {
    use nix::fcntl::{fcntl, FcntlArg};
    use std::os::fd::FromRawFd;
    let copy = fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(0)).map_err(io::Error::from)?;
    // SAFETY: `copy` was made just now by F_DUPFD_CLOEXEC; nothing else owns
    // it, and the Socket closes it once.
    let socket = unsafe { Socket::from_raw_fd(copy) };
    let family = if unix { Domain::UNIX } else { Domain::IPV4 };
    let domain = socket.local_addr()?.domain();
    let family_ok = domain == family || (!unix && domain == Domain::IPV6);
    if !family_ok || !socket.r#type().is_ok_and(|t| t == Type::STREAM) || !socket.is_listener()? {
        return Err(io::Error::from_raw_os_error(nix::libc::EINVAL));
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// An ipc peer's credentials, as the kernel tells them (SO_PEERCRED).
pub(crate) fn ipc_peer_credentials(
    stream: &mio::net::UnixStream,
) -> Option<filter::PeerCredentials> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let c = getsockopt(stream, PeerCredentials).ok()?;
    Some(filter::PeerCredentials {
        uid: c.uid(),
        gid: c.gid(),
        pid: c.pid(),
    })
}

/// An ipc peer's address as libzmq gives it to ZAP and Peer-Address:
/// "localhost:uid:gid:pid" (empty if the kernel tells no credentials).
pub(crate) fn ipc_peer_address(peer: Option<filter::PeerCredentials>) -> String {
    match peer {
        Some(c) => format!("localhost:{}:{}:{}", c.uid, c.gid, c.pid),
        None => String::new(),
    }
}
