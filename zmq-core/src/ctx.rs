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
    /// ZMQ_THREAD_NAME_PREFIX: set as an int (its decimal form) or, with
    /// `set_bytes`, as up to 16 bytes; empty for none.
    thread_name_prefix: String,
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
                    thread_name_prefix: String::new(),
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
            THREAD_NAME_PREFIX if value >= 0 => {
                s.thread_name_prefix = value.to_string();
                return Ok(());
            }
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
            // As libzmq's atoi: the number the prefix starts with, or 0.
            THREAD_NAME_PREFIX => Ok(leading_int(&s.thread_name_prefix)),
            ZERO_COPY_RECV => Ok(s.zero_copy_recv),
            _ => Err(Error::Invalid),
        }
    }

    /// zmq_ctx_set_ext: an option of any size. Four bytes are an int, as
    /// with [`Context::set`]; ZMQ_THREAD_NAME_PREFIX also takes a string
    /// of 1 to 16 bytes (a thread name's limit).
    pub fn set_bytes(&self, option: i32, value: &[u8]) -> Result<()> {
        if let Ok(int) = <[u8; 4]>::try_from(value) {
            return self.set(option, i32::from_ne_bytes(int));
        }
        match option {
            THREAD_NAME_PREFIX if (1..=16).contains(&value.len()) => {
                let prefix = std::str::from_utf8(value).map_err(|_| Error::Invalid)?;
                if prefix.contains('\0') {
                    return Err(Error::Invalid);
                }
                self.inner.state.lock().thread_name_prefix = prefix.to_owned();
                Ok(())
            }
            _ => Err(Error::Invalid),
        }
    }

    /// zmq_ctx_get_ext: four bytes read an int, as with [`Context::get`];
    /// ZMQ_THREAD_NAME_PREFIX fills a larger buffer with the prefix's
    /// bytes. Returns the bytes written.
    pub fn get_bytes(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        if out.len() == 4 {
            out.copy_from_slice(&self.get(option)?.to_ne_bytes());
            return Ok(4);
        }
        let s = self.inner.state.lock();
        match option {
            THREAD_NAME_PREFIX if out.len() >= s.thread_name_prefix.len() => {
                let prefix = s.thread_name_prefix.as_bytes();
                out[..prefix.len()].copy_from_slice(prefix);
                Ok(prefix.len())
            }
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
                name_prefix: s.thread_name_prefix.clone(),
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

/// The integer a string starts with (after spaces, with a sign), as C's
/// atoi reads it; 0 if none.
fn leading_int(text: &str) -> i32 {
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            (n * 10 + i64::from(d - b'0')).min(i64::from(i32::MAX) + 1)
        });
    let value = if negative { -value } else { value };
    value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_name_prefix_is_an_int_or_a_short_string() {
        let ctx = Context::new();
        assert_eq!(ctx.get(THREAD_NAME_PREFIX), Ok(0));
        ctx.set(THREAD_NAME_PREFIX, 42).unwrap();
        assert_eq!(ctx.get(THREAD_NAME_PREFIX), Ok(42));
        let mut name = [0u8; 16];
        assert_eq!(ctx.get_bytes(THREAD_NAME_PREFIX, &mut name), Ok(2));
        assert_eq!(&name[..2], b"42");
        ctx.set_bytes(THREAD_NAME_PREFIX, b"worker").unwrap();
        assert_eq!(ctx.get_bytes(THREAD_NAME_PREFIX, &mut name), Ok(6));
        assert_eq!(&name[..6], b"worker");
        // As atoi reads it.
        assert_eq!(ctx.get(THREAD_NAME_PREFIX), Ok(0));
        ctx.set_bytes(THREAD_NAME_PREFIX, b"12abc").unwrap();
        assert_eq!(ctx.get(THREAD_NAME_PREFIX), Ok(12));
        // Four bytes are an int (as in libzmq, even "abcd").
        ctx.set_bytes(THREAD_NAME_PREFIX, &7i32.to_ne_bytes())
            .unwrap();
        assert_eq!(ctx.get(THREAD_NAME_PREFIX), Ok(7));
        let mut int = [0u8; 4];
        assert_eq!(ctx.get_bytes(THREAD_NAME_PREFIX, &mut int), Ok(4));
        assert_eq!(i32::from_ne_bytes(int), 7);
        // Refused: empty, too long, a NUL, a buffer too small, other
        // options as strings.
        for bad in [&b""[..], b"seventeen-bytes!!", b"a\0b"] {
            assert_eq!(ctx.set_bytes(THREAD_NAME_PREFIX, bad), Err(Error::Invalid));
        }
        ctx.set_bytes(THREAD_NAME_PREFIX, b"sixteen-bytes-ok")
            .unwrap();
        assert_eq!(
            ctx.get_bytes(THREAD_NAME_PREFIX, &mut [0; 15]),
            Err(Error::Invalid)
        );
        assert_eq!(ctx.set_bytes(IO_THREADS, b"two"), Err(Error::Invalid));
        assert_eq!(ctx.get_bytes(IO_THREADS, &mut [0; 8]), Err(Error::Invalid));
        ctx.terminate().unwrap();
    }

    #[test]
    fn leading_int_reads_as_atoi() {
        for (text, n) in [("", 0), ("7", 7), (" -12x", -12), ("+3", 3), ("abc", 0)] {
            assert_eq!(leading_int(text), n, "{text}");
        }
        assert_eq!(leading_int("99999999999"), i32::MAX);
        assert_eq!(leading_int("-99999999999"), i32::MIN);
    }
}
