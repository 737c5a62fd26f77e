//! A socket's mailbox: commands from other threads (a pipe has messages or
//! room again, a new pipe, a peer left, the context stops) and an eventfd
//! that is readable while commands may be waiting. That eventfd is
//! `ZMQ_FD`, and blocking calls sleep in poll(2) on it, so a signal
//! interrupts them with EINTR.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

// The loom model (`--cfg loom`, see `models`) runs the protocol under
// loom's lock and atomics, with a stand-in for the eventfd.
#[cfg(loom)]
use loom::sync::{atomic::AtomicBool, atomic::Ordering};
use rustix::event::{eventfd, poll, EventfdFlags, PollFd, PollFlags};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::pipe::{PipeEnd, PipeId};
use crate::sync::Mutex;

pub enum Command {
    /// A pipe the socket reads from has messages again.
    ActivateRead(PipeId),
    /// A pipe the socket writes to has room again.
    ActivateWrite(PipeId),
    /// A new pipe to attach (the other end of an inproc connection).
    Attach(PipeEnd),
    /// The peer closed its end of a pipe.
    PipeTerm(PipeId),
    /// The network peer behind a pipe reconnected: what it must know
    /// (subscriptions) has to be sent again.
    Hiccup(PipeId),
    /// The context is terminating: blocking calls return ETERM.
    Stop,
}

/// The eventfd is written when a command finds the queue empty, so a
/// burst of commands costs one write; `take` drains the eventfd *before*
/// emptying the queue, so that a write it consumes belongs to a command it
/// takes. (Clearing a flag first and draining after would let a command
/// arriving in between lose its wake-up for good.) A write landing between
/// the drain and the lock leaves a stray count behind, whose only effect
/// is one spurious wake-up; `settle` clears it.
pub struct Mailbox {
    commands: Mutex<Vec<Command>>,
    /// Whether the queue holds commands: the cheap check before the lock.
    pending: AtomicBool,
    fd: OwnedFd,
    /// A thread-safe socket's: what its sleeping calls wait on.
    bell: Option<Bell>,
    /// What stands for the eventfd in loom models.
    #[cfg(loom)]
    model_fd: ModelEventFd,
}

/// The eventfd as loom models see it: a count, and a wake-up when it is
/// written.
#[cfg(loom)]
#[derive(Default)]
struct ModelEventFd {
    count: loom::sync::atomic::AtomicU64,
    written: loom::sync::Notify,
}

#[cfg(loom)]
impl ModelEventFd {
    fn write(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
        self.written.notify();
    }

    fn read(&self) {
        self.count.swap(0, Ordering::AcqRel);
    }

    /// As poll(2) for readability, with no timeout.
    fn poll(&self) {
        while self.count.load(Ordering::Acquire) == 0 {
            self.written.wait();
        }
    }
}

impl Mailbox {
    pub fn new() -> Result<Mailbox> {
        Mailbox::with_bell(None)
    }

    /// The mailbox of a thread-safe socket: several threads may sleep in
    /// its calls at once, and one reading the eventfd would take the
    /// wake-up from the others, so they sleep on a [`Bell`] instead.
    pub fn shared() -> Result<Mailbox> {
        Mailbox::with_bell(Some(Bell::default()))
    }

    fn with_bell(bell: Option<Bell>) -> Result<Mailbox> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)
            .map_err(|e| Error::from_errno(e.raw_os_error()))?;
        Ok(Mailbox {
            commands: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            fd,
            bell,
            #[cfg(loom)]
            model_fd: Default::default(),
        })
    }

    pub fn send(&self, command: Command) {
        let first = {
            let mut queue = self.commands.lock();
            let first = queue.is_empty();
            queue.push(command);
            self.pending.store(true, Ordering::Release);
            first
        };
        if first {
            self.ring();
        }
        if let Some(bell) = &self.bell {
            bell.ring();
        }
    }

    pub fn bell(&self) -> Option<&Bell> {
        self.bell.as_ref()
    }

    /// Makes the eventfd readable again after a call took commands: a
    /// poller of a thread-safe socket, asleep on it while another thread
    /// took the wake-up, looks again.
    pub fn ring_pollers(&self) {
        self.ring();
    }

    #[cfg(not(loom))]
    fn ring(&self) {
        // A full counter (2^64 - 2 writes without a read) cannot happen
        // with one write per drain; nothing else can fail here.
        let _ = rustix::io::write(&self.fd, &1u64.to_ne_bytes());
    }

    #[cfg(loom)]
    fn ring(&self) {
        self.model_fd.write();
    }

    /// Whether commands are waiting: a cheap check before `take`.
    pub fn is_signaled(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Moves every waiting command into `out`, which must be empty (see
    /// the type's notes for the order). The queue keeps `out`'s buffer in
    /// exchange, so that a busy mailbox does not allocate per command.
    pub fn take_into(&self, out: &mut Vec<Command>) {
        debug_assert!(out.is_empty());
        self.drain();
        let mut queue = self.commands.lock();
        self.pending.store(false, Ordering::Release);
        std::mem::swap(&mut *queue, out);
    }

    /// Drops every waiting command (a wake-up is all that mattered).
    pub fn discard(&self) {
        let mut dropped = Vec::new();
        self.take_into(&mut dropped);
    }

    /// Takes every waiting command.
    #[cfg(test)]
    pub fn take(&self) -> Vec<Command> {
        let mut out = Vec::new();
        self.take_into(&mut out);
        out
    }

    /// Clears a stray count when no command waits, so that the eventfd is
    /// readable only while commands are (a level-triggered poller of
    /// ZMQ_FD must not spin). A command that arrives meanwhile sets
    /// `pending` itself, so draining its write loses nothing.
    pub fn settle(&self) {
        if !self.is_signaled() {
            self.drain();
        }
    }

    #[cfg(not(loom))]
    fn drain(&self) {
        let mut buf = [0u8; 8];
        // EAGAIN means already drained; both are fine.
        let _ = rustix::io::read(&self.fd, &mut buf);
    }

    #[cfg(loom)]
    fn drain(&self) {
        self.model_fd.read();
    }

    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Sleeps until a command may be waiting or `timeout` passes (`None`:
    /// forever). Returns false on timeout; EINTR when a signal arrives.
    #[cfg(not(loom))]
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let fd = self.fd.as_fd();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let timeout = timeout.map(|d| rustix::event::Timespec {
            tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
            tv_nsec: d.subsec_nanos().into(),
        });
        match poll(&mut fds, timeout.as_ref()) {
            Ok(n) => {
                self.settle();
                Ok(n > 0)
            }
            Err(e) => Err(Error::from_errno(e.raw_os_error())),
        }
    }

    /// As the real one with no timeout.
    #[cfg(loom)]
    pub fn wait(&self, _timeout: Option<Duration>) -> Result<bool> {
        self.model_fd.poll();
        self.settle();
        Ok(true)
    }
}

/// Where the calls of a thread-safe socket sleep: a count of changes
/// behind a lock, and a condition variable rung with each. A call reads the
/// count before it looks at the socket, and sleeps until the count moves:
/// a command, or another thread's call that changed the socket, after that
/// look wakes it, however many threads sleep. (Not modelled under loom:
/// the lock is parking_lot's.)
#[derive(Default)]
pub struct Bell {
    changes: parking_lot::Mutex<u64>,
    rung: parking_lot::Condvar,
}

impl Bell {
    pub fn changes(&self) -> u64 {
        *self.changes.lock()
    }

    pub fn ring(&self) {
        *self.changes.lock() += 1;
        self.rung.notify_all();
    }

    /// Sleeps until the count is past `seen` or `timeout` passes (`None`:
    /// forever). Returns false on timeout.
    pub fn wait(&self, seen: u64, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut changes = self.changes.lock();
        while *changes == seen {
            match deadline {
                Some(deadline) => {
                    if self.rung.wait_until(&mut changes, deadline).timed_out() {
                        return *changes != seen;
                    }
                }
                None => self.rung.wait(&mut changes),
            }
        }
        true
    }
}

/// Model checks (`RUSTFLAGS="--cfg loom" cargo test -p zmq-core --lib
/// mailbox::models`): senders on other threads and a socket that takes
/// commands when signaled and otherwise sleeps in `wait`, through every
/// interleaving up to loom's preemption bound. A wake-up lost between the
/// flag, the lock and the eventfd (`take_into`'s drain order, `settle`'s
/// clearing of a stray count) leaves the socket asleep forever, which loom
/// reports as a deadlock.
#[cfg(all(test, loom))]
mod models {
    use super::*;
    use loom::sync::Arc;

    /// An I/O thread's loop: it sleeps until the eventfd is readable (an
    /// edge-triggered poller sees nothing else), then takes the commands.
    #[test]
    fn a_reader_of_the_eventfd_alone_misses_no_command() {
        crate::loom_model(|| {
            let mailbox = Arc::new(Mailbox::new().unwrap());
            let sender = {
                let mailbox = mailbox.clone();
                loom::thread::spawn(move || {
                    for id in 0..3 {
                        mailbox.send(Command::ActivateRead(id));
                    }
                })
            };
            let mut got = 0;
            let mut taken = Vec::new();
            while got < 3 {
                mailbox.model_fd.poll();
                mailbox.take_into(&mut taken);
                got += taken.len();
                taken.clear();
            }
            sender.join().unwrap();
        });
    }

    #[test]
    fn every_command_wakes_a_sleeping_socket() {
        crate::loom_model(|| {
            let mailbox = Arc::new(Mailbox::new().unwrap());
            let senders: Vec<_> = [1u64, 2]
                .into_iter()
                .map(|count| {
                    let mailbox = mailbox.clone();
                    loom::thread::spawn(move || {
                        for id in 0..count {
                            mailbox.send(Command::ActivateRead(id));
                        }
                    })
                })
                .collect();
            // The socket's blocking loop: commands first, then sleep.
            let mut got = 0;
            let mut taken = Vec::new();
            while got < 3 {
                if mailbox.is_signaled() {
                    mailbox.take_into(&mut taken);
                    got += taken.len();
                    taken.clear();
                } else {
                    mailbox.wait(None).unwrap();
                }
            }
            for sender in senders {
                sender.join().unwrap();
            }
        });
    }
}

#[cfg(test)]
mod stress {
    use super::*;
    use mio::unix::SourceFd;
    use mio::{Events, Interest, Poll, Token};
    use std::sync::Arc;

    #[test]
    fn mailbox_in_an_edge_triggered_poll_never_loses_a_wakeup() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let mut poll = Poll::new().unwrap();
        let fd = mailbox.fd();
        poll.registry()
            .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
            .unwrap();
        const N: u64 = 200_000;
        let sender = {
            let mailbox = mailbox.clone();
            std::thread::spawn(move || {
                for i in 0..N {
                    mailbox.send(Command::ActivateRead(i));
                    if i % 64 == 0 {
                        std::thread::yield_now();
                    }
                }
            })
        };
        let mut events = Events::with_capacity(16);
        let mut got = 0u64;
        while got < N {
            poll.poll(&mut events, Some(Duration::from_secs(2)))
                .unwrap();
            assert!(!events.is_empty(), "stalled after {got} commands");
            got += mailbox.take().len() as u64;
            if mailbox.is_signaled() {
                got += mailbox.take().len() as u64;
            }
        }
        sender.join().unwrap();
    }
}
