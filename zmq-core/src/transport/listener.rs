//! A bound endpoint on an I/O thread: accepts connections and gives each a
//! session. Closing it (zmq_unbind, zmq_close) closes those sessions too,
//! and removes the ipc socket file it created.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::{Interest, Token};

use super::session::Session;
use super::{SessionConfig, Stream};
use crate::io_thread::{Cx, Handler};
use crate::monitor::Ends;

/// How long a listener that ran out of file descriptors (or memory) waits
/// before it tries to accept again: the waiting connections stay in the
/// backlog, and no readiness event would come for them.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// A file's device, inode and change time: a file made again in the same
/// place may get the same inode, but not at the same nanosecond.
type FileId = (u64, u64, i64, i64);

fn file_id(path: &std::path::Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).ok()?;
    Some((meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()))
}

pub enum ListenSocket {
    Tcp(mio::net::TcpListener),
    Ipc(mio::net::UnixListener),
}

impl ListenSocket {
    /// The file descriptor, as monitor events report it.
    pub fn fd(&self) -> u32 {
        use std::os::fd::AsRawFd;
        let fd = match self {
            ListenSocket::Tcp(s) => s.as_raw_fd(),
            ListenSocket::Ipc(s) => s.as_raw_fd(),
        };
        fd as u32
    }
}

pub struct Listener {
    token: Token,
    config: Arc<SessionConfig>,
    socket: ListenSocket,
    /// The endpoint as given to zmq_bind and as resolved (the real port).
    given: String,
    endpoint: String,
    /// The ipc socket file (with its device and inode, so that a file bound
    /// again by another socket since is left alone), and the directory
    /// made for `ipc://*`.
    ipc_path: Option<(PathBuf, FileId)>,
    ipc_dir: Option<PathBuf>,
    /// Accepting failed for want of resources: try again then.
    retry_at: Option<Instant>,
    done: bool,
}

impl Listener {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cx: &mut Cx,
        config: Arc<SessionConfig>,
        mut socket: ListenSocket,
        given: String,
        endpoint: String,
        ipc_path: Option<PathBuf>,
        ipc_dir: Option<PathBuf>,
    ) -> std::io::Result<(Token, Listener)> {
        let token = cx.new_token();
        match &mut socket {
            ListenSocket::Tcp(s) => cx.registry().register(s, token, Interest::READABLE)?,
            ListenSocket::Ipc(s) => cx.registry().register(s, token, Interest::READABLE)?,
        }
        let ipc_path = ipc_path.and_then(|path| file_id(&path).map(|id| (path, id)));
        Ok((
            token,
            Listener {
                token,
                config,
                socket,
                given,
                endpoint,
                ipc_path,
                ipc_dir,
                retry_at: None,
                done: false,
            },
        ))
    }

    pub fn socket_id(&self) -> u64 {
        self.config.socket_id
    }

    /// Whether zmq_unbind(`endpoint`) means this listener: the resolved
    /// endpoint, or the one given unless it had a wildcard (as libzmq).
    pub fn matches(&self, endpoint: &str) -> bool {
        self.endpoint == endpoint || (self.given == endpoint && !self.given.ends_with('*'))
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Accepts every waiting connection.
    pub fn ready(&mut self, cx: &mut Cx) {
        loop {
            let filters = &self.config.accept_filters;
            let accepted = match &self.socket {
                ListenSocket::Tcp(s) => s.accept().map(|(stream, addr)| {
                    let admitted = filters.admits_tcp(addr.ip());
                    (Stream::Tcp(stream), addr.ip().to_string(), admitted)
                }),
                ListenSocket::Ipc(s) => s.accept().map(|(stream, _)| {
                    let peer = super::ipc_peer_credentials(&stream);
                    let admitted = filters.admits_ipc(peer);
                    (Stream::Ipc(stream), super::ipc_peer_address(peer), admitted)
                }),
            };
            match accepted {
                // A peer the accept filters do not name is closed at once
                // (dropping the stream), and the monitor is told.
                Ok((_, _, false)) => {
                    self.config.monitors.event(
                        crate::monitor::ACCEPT_FAILED,
                        nix::libc::EACCES as u32,
                        Ends::bound(&self.endpoint),
                    );
                }
                Ok((stream, peer, true)) => {
                    if let Stream::Tcp(tcp) = &stream {
                        super::tune_tcp(tcp, &self.config);
                    }
                    let me = (self.token, self.endpoint.as_str());
                    if let Ok((token, session)) =
                        Session::accepted(cx, self.config.clone(), me, stream, peer)
                    {
                        cx.spawn(token, Handler::Session(session.share()));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                // EMFILE, ENFILE, ENOBUFS, ENOMEM...: the connection waits
                // in the backlog; no event will say when descriptors free
                // up, so try again after a while (never in a busy loop).
                Err(e) => {
                    self.config.monitors.event(
                        crate::monitor::ACCEPT_FAILED,
                        e.raw_os_error().unwrap_or(0) as u32,
                        Ends::bound(&self.endpoint),
                    );
                    self.retry_at = Some(Instant::now() + ACCEPT_RETRY);
                    return;
                }
            }
        }
    }

    /// When to try accepting again, after running out of resources.
    pub fn deadline(&self) -> Option<Instant> {
        self.retry_at
    }

    pub fn timer(&mut self, cx: &mut Cx) {
        self.retry_at = None;
        self.ready(cx);
    }

    pub fn close(&mut self, cx: &mut Cx) {
        let fd = self.socket.fd();
        self.config
            .monitors
            .event(crate::monitor::CLOSED, fd, Ends::bound(&self.endpoint));
        let _ = match &mut self.socket {
            ListenSocket::Tcp(s) => cx.registry().deregister(s),
            ListenSocket::Ipc(s) => cx.registry().deregister(s),
        };
        if let Some((path, id)) = self.ipc_path.take() {
            if file_id(&path) == Some(id) {
                let _ = std::fs::remove_file(path);
            }
        }
        if let Some(dir) = self.ipc_dir.take() {
            let _ = std::fs::remove_dir(dir);
        }
        self.done = true;
    }
}
