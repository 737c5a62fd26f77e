//! Contexts: the options of zmq_ctx_set, the registry of live sockets (to
//! stop them on termination), the I/O threads, and the inproc registry
//! (`inproc.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
pub use crate::inproc::InprocPeer;
use crate::inproc::Registry;
use crate::io_thread::{IoHandle, IoThread, ThreadSettings};
use crate::mailbox::{Command, Mailbox};
use crate::pipe::{PipeEnd, PipeId};

pub const IO_THREADS: i32 = 1;
pub const MAX_SOCKETS: i32 = 2;
/// Read: the largest MAX_SOCKETS accepted. Write: the I/O threads' priority.
pub const SOCKET_LIMIT: i32 = 3;
pub const THREAD_PRIORITY: i32 = 3;
pub const THREAD_SCHED_POLICY: i32 = 4;
pub const MAX_MSGSZ: i32 = 5;
pub const MSG_T_SIZE: i32 = 6;
pub const THREAD_AFFINITY_CPU_ADD: i32 = 7;
pub const THREAD_AFFINITY_CPU_REMOVE: i32 = 8;
pub const THREAD_NAME_PREFIX: i32 = 9;
pub const ZERO_COPY_RECV: i32 = 10;
pub const IPV6: i32 = 42;
pub const BLOCKY: i32 = 70;

pub const IO_THREADS_DEFAULT: i32 = 1;
pub const MAX_SOCKETS_DEFAULT: i32 = 1023;
/// The largest socket count a context accepts.
pub const SOCKET_LIMIT_VALUE: i32 = 65535;

struct State {
    io_threads: i32,
    max_sockets: i32,
    ipv6: i32,
    blocky: i32,
    thread_priority: i32,
    thread_sched_policy: i32,
    thread_affinity: Vec<i32>,
    thread_name_prefix: i32,
    max_msgsz: i32,
    zero_copy_recv: i32,
    /// The socket limit in force: MAX_SOCKETS as it was when the first
    /// socket opened (later changes do not apply, as in libzmq).
    limit: Option<usize>,
    /// Live sockets by id, with the mailbox that receives `Stop`.
    sockets: HashMap<u64, Arc<Mailbox>>,
    next_socket_id: u64,
    terminating: bool,
    /// The I/O threads, started with the first socket.
    io_threads_running: Vec<IoThread>,
    /// The thread the next network endpoint goes to (round robin).
    next_io_thread: usize,
    /// Signalled when the last socket closes, for a `terminate` sleeping
    /// on it (an eventfd, so that a signal interrupts the wait).
    all_closed: Option<Arc<Mailbox>>,
}

struct Inner {
    state: Mutex<State>,
    inproc: Arc<Registry>,
}

/// A context; clones refer to the same one.
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl Context {
    pub fn new() -> Context {
        Context {
            inner: Arc::new(Inner {
                inproc: Arc::default(),
                state: Mutex::new(State {
                    io_threads: IO_THREADS_DEFAULT,
                    max_sockets: MAX_SOCKETS_DEFAULT,
                    ipv6: 0,
                    blocky: 1,
                    thread_priority: -1,
                    thread_sched_policy: -1,
                    thread_affinity: Vec::new(),
                    thread_name_prefix: 0,
                    max_msgsz: i32::MAX,
                    zero_copy_recv: 1,
                    limit: None,
                    sockets: HashMap::new(),
                    next_socket_id: 1,
                    terminating: false,
                    all_closed: None,
                    io_threads_running: Vec::new(),
                    next_io_thread: 0,
                }),
            }),
        }
    }

    pub fn same(&self, other: &Context) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub fn set(&self, option: i32, value: i32) -> Result<()> {
        let mut s = self.inner.state.lock();
        let slot = match option {
            IO_THREADS if value >= 0 => &mut s.io_threads,
            MAX_SOCKETS if (1..=SOCKET_LIMIT_VALUE).contains(&value) => &mut s.max_sockets,
            IPV6 if value >= 0 => &mut s.ipv6,
            BLOCKY if value >= 0 => &mut s.blocky,
            MAX_MSGSZ if value >= 0 => &mut s.max_msgsz,
            THREAD_PRIORITY if value >= 0 => &mut s.thread_priority,
            THREAD_SCHED_POLICY if value >= 0 => &mut s.thread_sched_policy,
            THREAD_NAME_PREFIX if value >= 0 => &mut s.thread_name_prefix,
            ZERO_COPY_RECV if value >= 0 => &mut s.zero_copy_recv,
            THREAD_AFFINITY_CPU_ADD if value >= 0 => {
                if !s.thread_affinity.contains(&value) {
                    s.thread_affinity.push(value);
                }
                return Ok(());
            }
            THREAD_AFFINITY_CPU_REMOVE if value >= 0 => {
                let before = s.thread_affinity.len();
                s.thread_affinity.retain(|&cpu| cpu != value);
                return if s.thread_affinity.len() < before {
                    Ok(())
                } else {
                    Err(Error::Invalid)
                };
            }
            _ => return Err(Error::Invalid),
        };
        *slot = value;
        Ok(())
    }

    pub fn get(&self, option: i32) -> Result<i32> {
        let s = self.inner.state.lock();
        match option {
            IO_THREADS => Ok(s.io_threads),
            MAX_SOCKETS => Ok(s.max_sockets),
            SOCKET_LIMIT => Ok(SOCKET_LIMIT_VALUE),
            IPV6 => Ok(s.ipv6),
            BLOCKY => Ok(s.blocky),
            MAX_MSGSZ => Ok(s.max_msgsz),
            MSG_T_SIZE => Ok(crate::msg::MSG_SIZE as i32),
            THREAD_SCHED_POLICY => Ok(s.thread_sched_policy),
            THREAD_NAME_PREFIX => Ok(s.thread_name_prefix),
            ZERO_COPY_RECV => Ok(s.zero_copy_recv),
            _ => Err(Error::Invalid),
        }
    }

    /// Registers a new socket; its id, and whether new sockets get linger
    /// 0 (ZMQ_BLOCKY off) and IPv6 on.
    pub(crate) fn add_socket(&self, mailbox: Arc<Mailbox>) -> Result<(u64, bool, bool)> {
        let mut s = self.inner.state.lock();
        if s.terminating {
            return Err(Error::Terminated);
        }
        if s.limit.is_none() {
            // The first socket starts the context: the socket limit and
            // the I/O threads are fixed now, as in libzmq.
            let settings = ThreadSettings {
                name_prefix: s.thread_name_prefix,
                affinity: s.thread_affinity.clone(),
                sched_policy: s.thread_sched_policy,
                priority: s.thread_priority,
            };
            let mut started = Vec::new();
            for index in 0..s.io_threads.max(0) as usize {
                match IoThread::start(index, &settings) {
                    Ok(thread) => started.push(thread),
                    Err(e) => {
                        for thread in started {
                            thread.stop();
                        }
                        return Err(e);
                    }
                }
            }
            s.io_threads_running = started;
            s.limit = Some(s.max_sockets as usize);
        }
        let limit = s.limit.unwrap_or(0);
        if s.sockets.len() >= limit {
            return Err(Error::TooManyFiles);
        }
        let id = s.next_socket_id;
        s.next_socket_id += 1;
        s.sockets.insert(id, mailbox);
        Ok((id, s.blocky == 0, s.ipv6 != 0))
    }

    /// An I/O thread for a new network endpoint, in turn among those the
    /// socket's ZMQ_AFFINITY names (bit n: thread n; 0: any); EMTHREAD when
    /// it names none the context has (or it has none: ZMQ_IO_THREADS 0).
    pub(crate) fn io_thread(&self, affinity: u64) -> Result<std::sync::Arc<IoHandle>> {
        let mut s = self.inner.state.lock();
        let allowed = |i: usize| affinity == 0 || (i < 64 && affinity & (1 << i) != 0);
        let candidates: Vec<usize> = (0..s.io_threads_running.len())
            .filter(|&i| allowed(i))
            .collect();
        if candidates.is_empty() {
            return Err(Error::NoThread);
        }
        let index = candidates[s.next_io_thread % candidates.len()];
        s.next_io_thread = s.next_io_thread.wrapping_add(1);
        Ok(s.io_threads_running[index].handle())
    }

    /// A socket closed: its endpoints go, and termination may complete.
    pub(crate) fn remove_socket(&self, id: u64) {
        let mut s = self.inner.state.lock();
        s.sockets.remove(&id);
        self.inner.inproc.socket_closed(id);
        if s.sockets.is_empty() {
            if let Some(signal) = &s.all_closed {
                signal.send(Command::Stop);
            }
        }
    }

    /// Stops every socket (their blocking calls return ETERM) and refuses
    /// new ones. `zmq_ctx_shutdown`.
    pub fn shutdown(&self) {
        let mut s = self.inner.state.lock();
        if !s.terminating {
            s.terminating = true;
            for mailbox in s.sockets.values() {
                mailbox.send(Command::Stop);
            }
        }
    }

    /// Shuts down, then waits until every socket is closed. `zmq_ctx_term`.
    /// A signal interrupts the wait with EINTR; calling again resumes it.
    pub fn terminate(&self) -> Result<()> {
        self.shutdown();
        let signal = {
            let mut s = self.inner.state.lock();
            match &s.all_closed {
                Some(signal) => signal.clone(),
                None => {
                    let signal = Arc::new(Mailbox::new()?);
                    s.all_closed = Some(signal.clone());
                    signal
                }
            }
        };
        loop {
            {
                let mut s = self.inner.state.lock();
                if s.sockets.is_empty() {
                    self.inner.inproc.clear_pending();
                    let threads = std::mem::take(&mut s.io_threads_running);
                    drop(s);
                    for thread in threads {
                        thread.stop();
                    }
                    return Ok(());
                }
            }
            signal.wait(None)?;
            signal.discard();
        }
    }

    /// The inproc registry, for sockets and for sessions asking ZAP.
    pub(crate) fn inproc(&self) -> &Arc<Registry> {
        &self.inner.inproc
    }

    fn check_running(&self) -> Result<()> {
        if self.inner.state.lock().terminating {
            return Err(Error::Terminated);
        }
        Ok(())
    }

    /// Binds an inproc endpoint; returns the ends of connections that were
    /// waiting for it.
    pub(crate) fn bind_inproc(&self, name: &str, binder: InprocPeer) -> Result<Vec<PipeEnd>> {
        self.check_running()?;
        self.inner.inproc.bind(name, binder)
    }

    pub(crate) fn unbind_inproc(&self, name: &str, socket_id: u64) -> Result<()> {
        self.inner.inproc.unbind(name, socket_id)
    }

    /// Connects to an inproc endpoint (see [`Registry::connect`]).
    pub(crate) fn connect_inproc(
        &self,
        name: &str,
        connector: InprocPeer,
        immediate: bool,
        peer_alias: Option<Vec<u8>>,
    ) -> Result<(PipeId, Option<PipeEnd>)> {
        self.check_running()?;
        self.inner
            .inproc
            .connect(name, connector, immediate, peer_alias)
    }
}
