//! zmq_poller: sockets and descriptors registered once, then waited on
//! many times, level-triggered, on zmq_poll's machinery. A poller belongs
//! to one thread, as in libzmq. While it holds a thread-safe socket it
//! has a descriptor of its own (`zmq_poller_fd`): an epoll set of those
//! sockets' mailboxes, readable when one of them may have news.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use rustix::event::epoll;

use crate::error::{Error, Result};
use crate::poll::{poll, PollItem, POLLPRI};
use crate::socket::{Socket, POLLERR, POLLIN, POLLOUT};

/// What a registration watches.
#[derive(Clone, Copy)]
pub enum Watched<'a> {
    Socket(&'a Socket),
    Fd(BorrowedFd<'a>),
}

impl std::fmt::Debug for Watched<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Watched::Socket(s) => write!(f, "Socket({:p})", *s),
            Watched::Fd(fd) => write!(f, "Fd({})", fd.as_raw_fd()),
        }
    }
}

impl Watched<'_> {
    fn same(&self, other: &Watched<'_>) -> bool {
        match (self, other) {
            (Watched::Socket(a), Watched::Socket(b)) => std::ptr::eq(*a, *b),
            (Watched::Fd(a), Watched::Fd(b)) => a.as_raw_fd() == b.as_raw_fd(),
            _ => false,
        }
    }

    /// The events it can report: a socket only ZMQ_POLLIN and
    /// ZMQ_POLLOUT; a descriptor those, ZMQ_POLLPRI, and ZMQ_POLLERR always.
    fn reportable(&self, events: i16) -> i16 {
        match self {
            Watched::Socket(_) => events & (POLLIN | POLLOUT),
            Watched::Fd(_) => events & (POLLIN | POLLOUT | POLLPRI) | POLLERR,
        }
    }
}

struct Entry<'a, T> {
    watched: Watched<'a>,
    /// What the caller gets back with each event (its user data).
    data: T,
    events: i16,
}

/// One registration that is ready.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a, T> {
    pub watched: Watched<'a>,
    pub data: T,
    pub events: i16,
}

pub struct Poller<'a, T> {
    entries: Vec<Entry<'a, T>>,
    /// The epoll set of the thread-safe sockets' mailboxes, made with the
    /// first one, and how many are registered now.
    signal: Option<OwnedFd>,
    thread_safe: usize,
}

impl<T> Default for Poller<'_, T> {
    fn default() -> Self {
        Poller {
            entries: Vec::new(),
            signal: None,
            thread_safe: 0,
        }
    }
}

/// Whether `watched` is a thread-safe socket.
fn is_thread_safe(watched: &Watched<'_>) -> bool {
    match watched {
        Watched::Socket(s) => s.socket_type().is_ok_and(|t| t.thread_safe()),
        Watched::Fd(_) => false,
    }
}

impl<'a, T: Copy> Poller<'a, T> {
    /// Registrations, whatever their events.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, watched: &Watched<'_>) -> Option<usize> {
        self.entries.iter().position(|e| e.watched.same(watched))
    }

    /// Registers `watched` (EINVAL if it is already).
    pub fn add(&mut self, watched: Watched<'a>, data: T, events: i16) -> Result<()> {
        if self.position(&watched).is_some() {
            return Err(Error::Invalid);
        }
        if let (true, Watched::Socket(socket)) = (is_thread_safe(&watched), watched) {
            let mailbox = socket.mailbox()?;
            let signal = match self.signal.take() {
                Some(signal) => signal,
                None => epoll::create(epoll::CreateFlags::CLOEXEC).map_err(io_error)?,
            };
            let added = epoll::add(
                &signal,
                mailbox.as_fd(),
                epoll::EventData::new_u64(0),
                epoll::EventFlags::IN,
            );
            self.signal = Some(signal);
            added.map_err(io_error)?;
            self.thread_safe += 1;
        }
        self.entries.push(Entry {
            watched,
            data,
            events,
        });
        Ok(())
    }

    /// Changes the events wanted of `watched` (0: none for now); EINVAL if
    /// it is not registered.
    pub fn modify(&mut self, watched: Watched<'_>, events: i16) -> Result<()> {
        let i = self.position(&watched).ok_or(Error::Invalid)?;
        self.entries[i].events = events;
        Ok(())
    }

    /// Unregisters `watched`; EINVAL if it is not registered.
    pub fn remove(&mut self, watched: Watched<'_>) -> Result<()> {
        let i = self.position(&watched).ok_or(Error::Invalid)?;
        let entry = self.entries.remove(i);
        if let (true, Watched::Socket(socket)) = (is_thread_safe(&entry.watched), entry.watched) {
            self.thread_safe -= 1;
            if let (Some(signal), Ok(mailbox)) = (&self.signal, socket.mailbox()) {
                let _ = epoll::delete(signal, mailbox.as_fd());
            }
        }
        Ok(())
    }

    /// The poller's descriptor, readable when a thread-safe socket it holds
    /// may be ready (then `wait` tells); EINVAL while it holds none.
    pub fn fd(&self) -> Result<RawFd> {
        match &self.signal {
            Some(signal) if self.thread_safe > 0 => Ok(signal.as_raw_fd()),
            _ => Err(Error::Invalid),
        }
    }

    /// Waits until a registration with events is ready, or `timeout` passes
    /// (`None`: forever); returns at most `max` ready ones, in registration
    /// order. EAGAIN on timeout; EFAULT when nothing could ever be ready
    /// and the wait has no end; EINTR on a signal; ETERM if a socket's
    /// context stops.
    pub fn wait(&self, max: usize, timeout: Option<Duration>) -> Result<Vec<Event<'a, T>>> {
        let active: Vec<&Entry<'a, T>> = self.entries.iter().filter(|e| e.events != 0).collect();
        if active.is_empty() && timeout.is_none() {
            return Err(Error::Fault);
        }
        let mut items: Vec<PollItem<'_>> = active
            .iter()
            .map(|e| {
                let (socket, fd) = match e.watched {
                    Watched::Socket(s) => (Some(s), None),
                    Watched::Fd(fd) => (None, Some(fd)),
                };
                PollItem {
                    socket,
                    fd,
                    events: e.watched.reportable(e.events),
                    revents: 0,
                }
            })
            .collect();
        if max == 0 {
            // Nothing could be returned: the wait runs out (as libzmq's).
            poll(&mut [], timeout)?;
            return Err(Error::Again);
        }
        if poll(&mut items, timeout)? == 0 {
            return Err(Error::Again);
        }
        Ok(active
            .iter()
            .zip(&items)
            .filter(|(_, item)| item.revents != 0)
            .take(max)
            .map(|(e, item)| Event {
                watched: e.watched,
                data: e.data,
                events: item.revents,
            })
            .collect())
    }
}

fn io_error(e: rustix::io::Errno) -> Error {
    Error::from_errno(e.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::Context;
    use std::os::fd::AsFd;

    fn open(ctx: &Context, kind: i32) -> Socket {
        let s = Socket::new();
        s.open(ctx, kind).unwrap();
        s
    }

    #[test]
    fn registrations_are_counted_and_checked() {
        let ctx = Context::new();
        let (a, b) = (open(&ctx, 0), open(&ctx, 0));
        let (r, _w) = std::io::pipe().unwrap();
        let mut poller = Poller::default();
        poller.add(Watched::Socket(&a), 1, POLLIN).unwrap();
        assert_eq!(
            poller.add(Watched::Socket(&a), 2, POLLIN),
            Err(Error::Invalid)
        );
        assert_eq!(
            poller.modify(Watched::Socket(&b), POLLIN),
            Err(Error::Invalid)
        );
        assert_eq!(poller.remove(Watched::Socket(&b)), Err(Error::Invalid));
        poller.add(Watched::Fd(r.as_fd()), 3, POLLIN).unwrap();
        assert_eq!(
            poller.add(Watched::Fd(r.as_fd()), 3, 0),
            Err(Error::Invalid)
        );
        assert_eq!(poller.len(), 2);
        poller.modify(Watched::Socket(&a), 0).unwrap();
        assert_eq!(poller.len(), 2);
        poller.remove(Watched::Socket(&a)).unwrap();
        poller.remove(Watched::Fd(r.as_fd())).unwrap();
        assert!(poller.is_empty());
        // Nothing to wait for, for ever: refused; for a while: EAGAIN.
        assert_eq!(poller.wait(1, None).unwrap_err(), Error::Fault);
        let quick = Some(Duration::from_millis(5));
        assert_eq!(poller.wait(1, quick).unwrap_err(), Error::Again);
        a.close().unwrap();
        b.close().unwrap();
        ctx.terminate().unwrap();
    }

    #[test]
    fn ready_registrations_come_back_with_their_data() {
        use std::io::Write;
        let ctx = Context::new();
        let (push, pull) = (open(&ctx, 8), open(&ctx, 7));
        pull.bind("inproc://poller-test").unwrap();
        push.connect("inproc://poller-test").unwrap();
        let (r, mut w) = std::io::pipe().unwrap();
        let mut poller = Poller::default();
        poller.add(Watched::Socket(&pull), 'p', POLLIN).unwrap();
        poller.add(Watched::Fd(r.as_fd()), 'f', POLLIN).unwrap();
        poller.add(Watched::Socket(&push), 's', 0).unwrap();
        let quick = Some(Duration::from_millis(5));
        assert_eq!(poller.wait(3, quick).unwrap_err(), Error::Again);
        // Events turned on later count; a socket never reports POLLERR.
        poller
            .modify(Watched::Socket(&push), POLLOUT | POLLERR)
            .unwrap();
        let events = poller.wait(3, quick).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].data, events[0].events), ('s', POLLOUT));
        let mut msg = crate::Msg::from_slice(b"hi").unwrap();
        push.send(&mut msg, 0).unwrap();
        w.write_all(b"x").unwrap();
        let events = poller.wait(3, None).unwrap();
        let got: Vec<_> = events.iter().map(|e| (e.data, e.events)).collect();
        assert!(got.contains(&('f', POLLIN)), "{got:?}");
        assert!(got.contains(&('s', POLLOUT)), "{got:?}");
        // At most `max`, in registration order.
        while poller.wait(3, quick).map_or(0, |e| e.len()) < 3 {}
        let one = poller.wait(1, quick).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].data, 'p');
        assert_eq!(poller.wait(0, quick).unwrap_err(), Error::Again);
        for s in [push, pull] {
            s.close().unwrap();
        }
        ctx.terminate().unwrap();
    }
}
