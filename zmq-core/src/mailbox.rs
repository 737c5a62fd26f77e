//! A socket's mailbox: commands from other threads (a pipe has messages or
//! room again, a new pipe, a peer left, the context stops) and an eventfd
//! that is readable while commands may be waiting. That eventfd is
//! `ZMQ_FD`, and blocking calls sleep in poll(2) on it, so a signal
//! interrupts them with EINTR.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rustix::event::{eventfd, poll, EventfdFlags, PollFd, PollFlags};

use crate::error::{Error, Result};
use crate::pipe::{PipeEnd, PipeId};

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

pub struct Mailbox {
    commands: Mutex<Vec<Command>>,
    /// Set while the eventfd has been written and not yet drained, so that a
    /// burst of commands costs one write.
    signaled: AtomicBool,
    fd: OwnedFd,
}

impl Mailbox {
    pub fn new() -> Result<Mailbox> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)
            .map_err(|e| Error::from_errno(e.raw_os_error()))?;
        Ok(Mailbox {
            commands: Mutex::new(Vec::new()),
            signaled: AtomicBool::new(false),
            fd,
        })
    }

    pub fn send(&self, command: Command) {
        self.commands.lock().push(command);
        if !self.signaled.swap(true, Ordering::AcqRel) {
            // A full counter (2^64 - 2 writes without a read) cannot happen
            // with one write per drain; nothing else can fail here.
            let _ = rustix::io::write(&self.fd, &1u64.to_ne_bytes());
        }
    }

    /// Whether commands may have arrived since the last `take`: a cheap
    /// check before taking the lock.
    pub fn is_signaled(&self) -> bool {
        self.signaled.load(Ordering::Acquire)
    }

    /// Takes every waiting command and resets the eventfd.
    pub fn take(&self) -> Vec<Command> {
        if self.signaled.swap(false, Ordering::AcqRel) {
            let mut buf = [0u8; 8];
            // EAGAIN means already drained; both are fine.
            let _ = rustix::io::read(&self.fd, &mut buf);
        }
        std::mem::take(&mut *self.commands.lock())
    }

    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Sleeps until a command may be waiting or `timeout` passes (`None`:
    /// forever). Returns false on timeout; EINTR when a signal arrives.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let fd = self.fd.as_fd();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let timeout = timeout.map(|d| rustix::event::Timespec {
            tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
            tv_nsec: d.subsec_nanos().into(),
        });
        match poll(&mut fds, timeout.as_ref()) {
            Ok(n) => Ok(n > 0),
            Err(e) => Err(Error::from_errno(e.raw_os_error())),
        }
    }
}
