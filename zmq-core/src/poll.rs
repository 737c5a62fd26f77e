//! zmq_poll: readiness of sockets and plain file descriptors together.
//!
//! A socket is ready when its pattern says so (ZMQ_EVENTS); it is watched
//! through its mailbox's eventfd, which becomes readable when that may
//! change. Each round asks every socket, then sleeps in poll(2) on all the
//! descriptors until something may have changed or the time is up.

use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use rustix::event::PollFd;
use rustix::event::{PollFlags, Timespec};

use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::socket::{Socket, POLLERR, POLLIN, POLLOUT};

pub const POLLPRI: i16 = 8;

/// A socket, or else a plain descriptor, and the events wanted of it.
pub struct PollItem<'a> {
    pub socket: Option<&'a Socket>,
    pub fd: Option<BorrowedFd<'a>>,
    pub events: i16,
    pub revents: i16,
}

fn flags_for(events: i16) -> PollFlags {
    let mut flags = PollFlags::empty();
    for (bit, flag) in [
        (POLLIN, PollFlags::IN),
        (POLLOUT, PollFlags::OUT),
        (POLLPRI, PollFlags::PRI),
    ] {
        if events & bit != 0 {
            flags |= flag;
        }
    }
    flags
}

fn events_of(flags: PollFlags) -> i16 {
    let mut events = 0;
    for (bit, flag) in [
        (POLLIN, PollFlags::IN),
        (POLLOUT, PollFlags::OUT),
        (POLLPRI, PollFlags::PRI),
    ] {
        if flags.contains(flag) {
            events |= bit;
        }
    }
    if flags.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL) {
        events |= POLLERR;
    }
    events
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: d.subsec_nanos().into(),
    }
}

/// How a poll sleeps on its descriptors until one is ready or the time
/// (`None`: no limit) passes: poll(2), or the caller's own (`zmq_ppoll`
/// sleeps in ppoll(2) with its signal mask).
pub type Sleep<'s> = &'s mut dyn FnMut(&mut [PollFd<'_>], Option<Duration>) -> Result<()>;

/// Waits until an item is ready or `timeout` passes (`None`: forever);
/// returns how many items are ready. EINTR if a signal arrives; ETERM if a
/// socket's context stops.
pub fn poll(items: &mut [PollItem<'_>], timeout: Option<Duration>) -> Result<usize> {
    poll_with(items, timeout, &mut |fds, wait| {
        rustix::event::poll(fds, wait.map(timespec).as_ref())
            .map(|_| ())
            .map_err(|e| Error::from_errno(e.raw_os_error()))
    })
}

/// As [`poll`], sleeping with `sleep`.
pub fn poll_with(
    items: &mut [PollItem<'_>],
    timeout: Option<Duration>,
    sleep: Sleep<'_>,
) -> Result<usize> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mailboxes = items
        .iter()
        .map(|item| item.socket.map(Socket::mailbox).transpose())
        .collect::<Result<Vec<Option<Arc<Mailbox>>>>>()?;
    // The descriptor watched for each item; an item with neither a socket
    // nor a descriptor (a negative fd) is never ready.
    let mut fds = Vec::with_capacity(items.len());
    let mut watched = Vec::with_capacity(items.len());
    for (item, mailbox) in items.iter().zip(&mailboxes) {
        let fd = match (mailbox, item.fd) {
            (Some(mailbox), _) => Some(PollFd::from_borrowed_fd(mailbox.as_fd(), PollFlags::IN)),
            (None, Some(fd)) => Some(PollFd::from_borrowed_fd(fd, flags_for(item.events))),
            (None, None) => None,
        };
        watched.push(fd.is_some().then_some(fds.len()));
        fds.extend(fd);
    }
    let mut wait = Some(Duration::ZERO);
    loop {
        if !fds.is_empty() || wait != Some(Duration::ZERO) {
            sleep(&mut fds, wait)?;
        }
        let mut ready = 0;
        for (item, index) in items.iter_mut().zip(&watched) {
            item.revents = match (item.socket, index) {
                (Some(socket), _) => socket.events()? & item.events,
                (None, Some(i)) => events_of(fds[*i].revents()) & (item.events | POLLERR),
                (None, None) => 0,
            };
            if item.revents != 0 {
                ready += 1;
            }
        }
        if ready > 0 || timeout == Some(Duration::ZERO) {
            return Ok(ready);
        }
        wait = match deadline {
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return Ok(0);
                }
                Some(d - now)
            }
            None => None,
        };
    }
}
