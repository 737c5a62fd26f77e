//! I/O threads: each runs an event loop (mio) for the network listeners
//! and sessions of its context. They start with a context's first socket
//! (ZMQ_IO_THREADS of them, as libzmq), are named "ZMQbg/IO/<n>" (after
//! "<prefix>/" with ZMQ_THREAD_NAME_PREFIX), run on the CPUs of
//! ZMQ_THREAD_AFFINITY_CPU_ADD if any, with ZMQ_THREAD_SCHED_POLICY and
//! ZMQ_THREAD_PRIORITY, and block every signal so that signals reach the
//! application's threads.
//!
//! Sockets hand work to a thread as tasks (closures run on the thread);
//! the pipes of its sessions wake it through one mailbox whose eventfd is
//! in the poll set. Session deadlines (reconnects, heartbeats, linger...)
//! wait in a heap, so a thread with thousands of sessions does not look at
//! each of them on every turn.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::mailbox::{Command, Mailbox};
use crate::pipe::PipeId;
use crate::transport::listener::Listener;
use crate::transport::session::Session;
use crate::transport::udp::UdpHandler;

const WAKER: Token = Token(0);
const MAILBOX: Token = Token(1);
const FIRST_HANDLER: usize = 2;
/// Bytes read from the network in one go.
const READ_BUFFER: usize = 64 * 1024;

/// How the context wants its threads set up.
#[derive(Debug, Clone)]
pub struct ThreadSettings {
    /// ZMQ_THREAD_NAME_PREFIX; empty for none.
    pub name_prefix: String,
    pub affinity: Vec<i32>,
    /// ZMQ_THREAD_SCHED_POLICY and ZMQ_THREAD_PRIORITY; -1 keeps the
    /// creating thread's.
    pub sched_policy: i32,
    pub priority: i32,
}

impl Default for ThreadSettings {
    fn default() -> ThreadSettings {
        ThreadSettings {
            name_prefix: String::new(),
            affinity: Vec::new(),
            sched_policy: -1,
            priority: -1,
        }
    }
}

/// Work for an I/O thread.
pub type Task = Box<dyn FnOnce(&mut Reactor) + Send>;

/// What other threads hold of an I/O thread: a way to give it tasks.
pub struct IoHandle {
    tasks: Mutex<Vec<Task>>,
    waker: Waker,
    stop: AtomicBool,
}

impl IoHandle {
    /// Runs `task` on the thread, soon.
    pub fn submit(&self, task: Task) {
        self.tasks.lock().push(task);
        // A failed wake means the poll is gone with its thread.
        let _ = self.waker.wake();
    }

    /// Runs `task` on the thread and waits for its answer.
    pub fn call<T: Send + 'static>(
        &self,
        task: impl FnOnce(&mut Reactor) -> T + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit(Box::new(move |reactor| {
            let _ = tx.send(task(reactor));
        }));
        rx.recv().map_err(|_| Error::Terminated)
    }
}

pub struct IoThread {
    handle: Arc<IoHandle>,
    thread: JoinHandle<()>,
}

/// Blocks every signal in the calling thread.
pub fn block_signals() {
    use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow};
    // Changing the calling thread's mask cannot fail with a full set.
    let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&SigSet::all()), None);
}

fn pin(cpus: &[i32]) {
    use nix::sched::{sched_setaffinity, CpuSet};
    use nix::unistd::Pid;
    let mut set = CpuSet::new();
    let mut any = false;
    for &cpu in cpus {
        if let Ok(cpu) = usize::try_from(cpu) {
            any |= set.set(cpu).is_ok();
        }
    }
    if any {
        // Like libzmq, an affinity the system refuses is not an error.
        let _ = sched_setaffinity(Pid::from_raw(0), &set);
    }
}

/// Applies the context's scheduling policy and priority to the calling
/// thread, as libzmq does: the priority is the static one under SCHED_FIFO
/// and SCHED_RR; under the other policies (which have none) asking for one
/// means the lowest nice value. What the system refuses (an unprivileged
/// process asking for real time) leaves the thread as it was; libzmq
/// aborts there. (pthread scheduling has no safe wrapper.)
#[allow(unsafe_code)]
fn schedule(policy: i32, priority: i32) {
    use nix::libc;
    if policy < 0 && priority < 0 {
        return;
    }
    let mut current: libc::c_int = 0;
    // SAFETY: an all-zero sched_param is a valid value (plain integers).
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    // SAFETY: pthread_self() is the calling thread, alive; both pointers
    // are to locals that outlive the call.
    if unsafe { libc::pthread_getschedparam(libc::pthread_self(), &mut current, &mut param) } != 0 {
        return;
    }
    let policy = if policy >= 0 { policy } else { current };
    let real_time = policy == libc::SCHED_FIFO || policy == libc::SCHED_RR;
    if priority >= 0 {
        param.sched_priority = if real_time { priority } else { 0 };
    }
    // SAFETY: as above; param is initialised.
    if unsafe { libc::pthread_setschedparam(libc::pthread_self(), policy, &param) } != 0 {
        return;
    }
    if !real_time && priority >= 0 {
        // On Linux the nice value is the calling thread's own.
        let _ = rustix::process::setpriority_process(None, -20);
    }
}

impl IoThread {
    pub fn start(index: usize, settings: &ThreadSettings) -> Result<IoThread> {
        let poll = Poll::new().map_err(Error::from)?;
        let waker = Waker::new(poll.registry(), WAKER).map_err(Error::from)?;
        let mailbox = Arc::new(Mailbox::new()?);
        let fd: RawFd = mailbox.fd();
        poll.registry()
            .register(&mut SourceFd(&fd), MAILBOX, Interest::READABLE)
            .map_err(Error::from)?;
        let handle = Arc::new(IoHandle {
            tasks: Mutex::new(Vec::new()),
            waker,
            stop: AtomicBool::new(false),
        });
        let name = if !settings.name_prefix.is_empty() {
            format!("{}/ZMQbg/IO/{index}", settings.name_prefix)
        } else {
            format!("ZMQbg/IO/{index}")
        };
        let affinity = settings.affinity.clone();
        let (policy, priority) = (settings.sched_policy, settings.priority);
        let shared = handle.clone();
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                block_signals();
                pin(&affinity);
                schedule(policy, priority);
                run(poll, mailbox, &shared);
            })
            .map_err(|_| Error::NoThread)?;
        Ok(IoThread { handle, thread })
    }

    pub fn handle(&self) -> Arc<IoHandle> {
        self.handle.clone()
    }

    /// Stops the loop once its sessions have delivered what their linger
    /// allows, and waits for the thread.
    pub fn stop(self) {
        self.handle.stop.store(true, Ordering::Release);
        let _ = self.handle.waker.wake();
        let _ = self.thread.join();
    }
}

/// A listener or a session.
pub enum Handler {
    Listener(Listener),
    /// A udp endpoint of a RADIO, DISH or DGRAM.
    Udp(Box<UdpHandler>),
    /// Shared with the application thread that may write through it
    /// (see `Session::write_through`).
    Session(Arc<Mutex<Session>>),
}

/// The part of the loop's state a handler may use while it runs.
pub struct Cx {
    registry: Registry,
    pub mailbox: Arc<Mailbox>,
    /// This thread, for work finished elsewhere (host name lookups).
    pub io: Arc<IoHandle>,
    /// Which session owns each pipe end living on this thread.
    pipes: HashMap<PipeId, Token>,
    next_token: usize,
    /// Handlers created while another ran (sessions of a listener).
    spawned: Vec<(Token, Handler)>,
    /// Handlers to run again without waiting for an event.
    again: Vec<Token>,
    pub read_buf: Vec<u8>,
}

impl Cx {
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn new_token(&mut self) -> Token {
        let token = Token(self.next_token);
        self.next_token += 1;
        token
    }

    /// Routes the wake-ups of a pipe end to a session.
    pub fn own_pipe(&mut self, pipe: PipeId, token: Token) {
        self.pipes.insert(pipe, token);
    }

    pub fn forget_pipe(&mut self, pipe: PipeId) {
        self.pipes.remove(&pipe);
    }

    pub fn spawn(&mut self, token: Token, handler: Handler) {
        self.spawned.push((token, handler));
        self.again.push(token);
    }

    pub fn run_again(&mut self, token: Token) {
        self.again.push(token);
    }
}

/// When sessions want their timer run, earliest first. A session has one
/// live entry, its earliest; when its deadline moves later the entry stays
/// and fires early, which is harmless (the session finds nothing due and
/// is scheduled again), so only a deadline that moves earlier adds one.
/// Entries of sessions gone or rescheduled are skipped when they surface.
#[derive(Default)]
struct Deadlines {
    heap: BinaryHeap<Reverse<(Instant, Token)>>,
    live: HashMap<Token, Instant>,
}

impl Deadlines {
    fn update(&mut self, token: Token, deadline: Option<Instant>) {
        let Some(deadline) = deadline else {
            return;
        };
        if self.live.get(&token).is_some_and(|&d| d <= deadline) {
            return;
        }
        self.live.insert(token, deadline);
        self.heap.push(Reverse((deadline, token)));
        // Skipped entries pile up when deadlines keep moving earlier.
        if self.heap.len() > 2 * self.live.len() + 64 {
            self.heap = self.live.iter().map(|(&t, &d)| Reverse((d, t))).collect();
        }
    }

    fn remove(&mut self, token: Token) {
        self.live.remove(&token);
    }

    fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((d, _))| *d)
    }

    /// Takes the sessions due at `now`.
    fn take_due(&mut self, now: Instant) -> Vec<Token> {
        let mut due = Vec::new();
        while let Some(&Reverse((deadline, token))) = self.heap.peek() {
            if deadline > now {
                break;
            }
            self.heap.pop();
            if self.live.get(&token) == Some(&deadline) {
                self.live.remove(&token);
                due.push(token);
            }
        }
        due
    }
}

/// The event loop's state.
pub struct Reactor {
    pub cx: Cx,
    handlers: HashMap<Token, Handler>,
    deadlines: Deadlines,
    stopping: bool,
    /// Buffers kept between turns: the mailbox's commands, and the list
    /// of handlers to run again while `cx.again` fills.
    commands: Vec<Command>,
    again_spare: Vec<Token>,
}

impl Reactor {
    /// Adds a listener or session and runs it once.
    pub fn add(&mut self, token: Token, handler: Handler) {
        self.handlers.insert(token, handler);
        self.cx.again.push(token);
    }

    /// Closes the listeners bound to `endpoint` by socket `socket_id`, and
    /// the sessions they accepted. False if there was none.
    pub fn unbind(&mut self, socket_id: u64, endpoint: &str) -> bool {
        let listeners: Vec<Token> = self
            .handlers
            .iter()
            .filter_map(|(&t, h)| match h {
                Handler::Listener(l) if l.socket_id() == socket_id && l.matches(endpoint) => {
                    Some(t)
                }
                _ => None,
            })
            .collect();
        for &token in &listeners {
            self.close_handler(token);
            let sessions: Vec<Token> = self
                .handlers
                .iter()
                .filter_map(|(&t, h)| match h {
                    Handler::Session(s) if s.lock().listener() == Some(token) => Some(t),
                    _ => None,
                })
                .collect();
            for session in sessions {
                self.close_handler(session);
            }
        }
        let udp = self.udp_endpoints(socket_id, endpoint, true);
        for &token in &udp {
            self.close_handler(token);
        }
        !listeners.is_empty() || !udp.is_empty()
    }

    /// The host name lookup session `token` asked for is done.
    pub fn looked_up(&mut self, token: Token, addrs: Vec<std::net::SocketAddr>) {
        if let Some(Handler::Session(s)) = self.handlers.get_mut(&token) {
            s.lock().looked_up(&mut self.cx, addrs, Instant::now());
            self.settle(token);
        }
    }

    /// Closes the connecting sessions of socket `socket_id` made for
    /// `endpoint`. False if there was none.
    pub fn disconnect(&mut self, socket_id: u64, endpoint: &str) -> bool {
        let sessions: Vec<Token> = self
            .handlers
            .iter()
            .filter_map(|(&t, h)| match h {
                Handler::Session(s) => {
                    let s = s.lock();
                    (s.socket_id() == socket_id && s.connects_to(endpoint)).then_some(t)
                }
                _ => None,
            })
            .collect();
        for &token in &sessions {
            self.close_handler(token);
        }
        let udp = self.udp_endpoints(socket_id, endpoint, false);
        for &token in &udp {
            self.close_handler(token);
        }
        !sessions.is_empty() || !udp.is_empty()
    }

    /// The udp endpoints of socket `socket_id` named `endpoint`, bound or
    /// connected.
    fn udp_endpoints(&self, socket_id: u64, endpoint: &str, bound: bool) -> Vec<Token> {
        self.handlers
            .iter()
            .filter_map(|(&t, h)| match h {
                Handler::Udp(u) if u.socket_id() == socket_id && u.matches(endpoint, bound) => {
                    Some(t)
                }
                _ => None,
            })
            .collect()
    }

    /// Socket `socket_id` closed: its listeners go, its sessions deliver
    /// what they can within `linger_ms` (ZMQ_LINGER: -1 forever).
    pub fn socket_closed(&mut self, socket_id: u64, linger_ms: i64) {
        let now = Instant::now();
        let mut listeners = Vec::new();
        let mut udp = Vec::new();
        for (&token, handler) in self.handlers.iter_mut() {
            match handler {
                Handler::Listener(l) if l.socket_id() == socket_id => listeners.push(token),
                Handler::Udp(u) if u.socket_id() == socket_id => udp.push(token),
                Handler::Session(s) => {
                    let mut s = s.lock();
                    if s.socket_id() == socket_id {
                        s.linger(&mut self.cx, linger_ms, now);
                        self.cx.again.push(token);
                    }
                }
                _ => {}
            }
        }
        for token in listeners {
            self.close_handler(token);
        }
        for token in udp {
            self.deadlines.remove(token);
            if let Some(Handler::Udp(mut u)) = self.handlers.remove(&token) {
                u.linger(&mut self.cx);
            }
        }
    }

    fn close_handler(&mut self, token: Token) {
        self.deadlines.remove(token);
        if let Some(handler) = self.handlers.remove(&token) {
            match handler {
                Handler::Listener(mut l) => l.close(&mut self.cx),
                Handler::Session(s) => s.lock().close(&mut self.cx),
                Handler::Udp(mut u) => u.close(&mut self.cx),
            }
        }
    }

    fn run_handler(&mut self, token: Token, event: Option<&mio::event::Event>) {
        let Some(handler) = self.handlers.get_mut(&token) else {
            return;
        };
        match handler {
            Handler::Listener(l) => l.ready(&mut self.cx),
            Handler::Session(s) => s.lock().ready(&mut self.cx, event),
            Handler::Udp(u) => u.ready(&mut self.cx, token),
        }
        self.settle(token);
    }

    /// Removes the handler if it finished, or schedules its timer; adds
    /// what it spawned.
    fn settle(&mut self, token: Token) {
        let finished = match self.handlers.get(&token) {
            Some(Handler::Session(s)) => {
                let mut s = s.lock();
                s.settle_interest(self.cx.registry());
                self.deadlines.update(token, s.deadline());
                s.is_done()
            }
            Some(Handler::Listener(l)) => {
                self.deadlines.update(token, l.deadline());
                l.is_done()
            }
            Some(Handler::Udp(u)) => u.is_done(),
            None => false,
        };
        if finished {
            self.close_handler(token);
        }
        for (t, h) in std::mem::take(&mut self.cx.spawned) {
            self.handlers.insert(t, h);
        }
    }

    fn dispatch_mailbox(&mut self) {
        let mut commands = std::mem::take(&mut self.commands);
        self.cx.mailbox.take_into(&mut commands);
        for command in commands.drain(..) {
            let (pipe, kind) = match command {
                Command::ActivateRead(id) => (id, PipeEvent::Read),
                Command::ActivateWrite(id) => (id, PipeEvent::Write),
                Command::PipeTerm(id) => (id, PipeEvent::Term),
                // Not sent to sessions.
                Command::Attach(end) => {
                    end.close(true);
                    continue;
                }
                Command::Hiccup(_) | Command::Stop => continue,
            };
            let Some(&token) = self.cx.pipes.get(&pipe) else {
                continue;
            };
            match self.handlers.get_mut(&token) {
                Some(Handler::Session(s)) => {
                    s.lock().pipe_event(kind);
                    self.cx.again.push(token);
                }
                Some(Handler::Udp(_)) => self.cx.again.push(token),
                _ => {}
            }
        }
        self.commands = commands;
    }

    /// Runs the timers due, each once: one that is due again waits for
    /// the next turn of the loop.
    fn run_timers(&mut self, now: Instant) {
        for token in self.deadlines.take_due(now) {
            match self.handlers.get_mut(&token) {
                Some(Handler::Session(s)) => s.lock().timer(&mut self.cx, now),
                Some(Handler::Listener(l)) => l.timer(&mut self.cx),
                Some(Handler::Udp(_)) | None => {}
            }
            self.settle(token);
        }
    }

    fn begin_stop(&mut self) {
        self.stopping = true;
        let listeners: Vec<Token> = self
            .handlers
            .iter()
            .filter(|(_, h)| matches!(h, Handler::Listener(_)))
            .map(|(&t, _)| t)
            .collect();
        for token in listeners {
            self.close_handler(token);
        }
    }
}

/// What a pipe told its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeEvent {
    Read,
    Write,
    Term,
}

fn run_tasks(reactor: &mut Reactor, shared: &IoHandle) {
    let tasks = std::mem::take(&mut *shared.tasks.lock());
    for task in tasks {
        task(reactor);
    }
}

fn run(mut poll: Poll, mailbox: Arc<Mailbox>, shared: &Arc<IoHandle>) {
    let mut events = Events::with_capacity(256);
    let mut reactor = Reactor {
        cx: Cx {
            registry: match poll.registry().try_clone() {
                Ok(r) => r,
                Err(_) => return,
            },
            mailbox,
            io: shared.clone(),
            pipes: HashMap::new(),
            next_token: FIRST_HANDLER,
            spawned: Vec::new(),
            again: Vec::new(),
            read_buf: vec![0; READ_BUFFER],
        },
        handlers: HashMap::new(),
        deadlines: Deadlines::default(),
        commands: Vec::new(),
        again_spare: Vec::new(),
        stopping: false,
    };
    loop {
        // Tasks first: a socket's last words (connect, close) come before
        // the stop that follows them.
        run_tasks(&mut reactor, shared);
        if !reactor.stopping && shared.stop.load(Ordering::Acquire) {
            run_tasks(&mut reactor, shared);
            reactor.begin_stop();
        }
        if reactor.stopping && reactor.handlers.is_empty() {
            return;
        }
        let timeout = if reactor.cx.again.is_empty() {
            reactor
                .deadlines
                .next()
                .map(|d| d.saturating_duration_since(Instant::now()))
        } else {
            Some(Duration::ZERO)
        };
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A broken poll cannot recover: the thread ends.
            Err(_) => return,
        }
        for event in events.iter() {
            match event.token() {
                WAKER => run_tasks(&mut reactor, shared),
                MAILBOX => reactor.dispatch_mailbox(),
                token => reactor.run_handler(token, Some(event)),
            }
        }
        // Commands may have arrived without a new edge on the eventfd
        // while handlers ran.
        if reactor.cx.mailbox.is_signaled() {
            reactor.dispatch_mailbox();
        }
        // The two lists trade places, each keeping its buffer.
        let mut again = std::mem::replace(
            &mut reactor.cx.again,
            std::mem::take(&mut reactor.again_spare),
        );
        for token in again.drain(..) {
            reactor.run_handler(token, None);
        }
        reactor.again_spare = again;
        reactor.run_timers(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_start_named_and_stop() {
        let settings = ThreadSettings {
            name_prefix: "3".to_owned(),
            affinity: vec![0],
            ..ThreadSettings::default()
        };
        let thread = IoThread::start(1, &settings).unwrap();
        assert_eq!(thread.thread.thread().name(), Some("3/ZMQbg/IO/1"));
        assert_eq!(thread.handle().call(|r| r.handlers.len()).unwrap(), 0);
        thread.stop();
    }

    #[test]
    fn deadlines_come_out_in_order_once() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut d = Deadlines::default();
        d.update(Token(1), Some(at(30)));
        d.update(Token(2), Some(at(10)));
        d.update(Token(3), None);
        d.update(Token(4), Some(at(20)));
        assert_eq!(d.next(), Some(at(10)));
        // Later: the earlier entry stays. Earlier: it replaces it.
        d.update(Token(2), Some(at(40)));
        d.update(Token(1), Some(at(5)));
        assert_eq!(d.take_due(at(4)), []);
        assert_eq!(d.take_due(at(10)), [Token(1), Token(2)]);
        assert_eq!(d.take_due(at(10)), []);
        d.remove(Token(4));
        assert_eq!(d.take_due(at(100)), []);
        assert_eq!(d.next(), None);
    }

    #[test]
    fn skipped_deadlines_do_not_pile_up() {
        let t0 = Instant::now();
        let mut d = Deadlines::default();
        for ms in (0..10_000u64).rev() {
            d.update(Token(7), Some(t0 + Duration::from_millis(ms)));
        }
        assert!(d.heap.len() <= 66, "{}", d.heap.len());
        assert_eq!(d.take_due(t0 + Duration::from_secs(20)), [Token(7)]);
    }

    #[test]
    #[allow(unsafe_code)]
    fn threads_take_the_scheduling_policy() {
        let settings = ThreadSettings {
            sched_policy: nix::libc::SCHED_BATCH,
            priority: 0,
            ..ThreadSettings::default()
        };
        let thread = IoThread::start(0, &settings).unwrap();
        let policy = thread
            .handle()
            .call(|_| {
                // SAFETY: querying the calling thread's own policy.
                unsafe { nix::libc::sched_getscheduler(0) }
            })
            .unwrap();
        assert_eq!(policy, nix::libc::SCHED_BATCH);
        thread.stop();
    }
}
