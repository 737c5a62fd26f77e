//! The draft zmq_poller API: a poller is a handle on a `zmq_core` poller
//! of sockets (by their handles) and descriptors.

use std::os::fd::BorrowedFd;
use std::ptr;
use std::time::Duration;

use libc::{c_int, c_long, c_short, c_void};
use zmq_core::poller::{Poller, Watched};
use zmq_core::{Error, Result};

use crate::ffi::{call, call_int};
use crate::handle::{lock, Owned, Pool, Slot};
use crate::socket::socket_value;
use crate::zmq_poller_event_t;

/// What a registration gives back with its events: the socket's handle
/// (NULL for a descriptor) and the caller's user data, as addresses.
type Data = (usize, usize);

static POLLERS: Pool<Owned<Poller<'static, Data>>> = Pool::new(0x5a4d_5150_4f4c_4c52);

/// The live poller behind a handle (EFAULT for NULL, closed or foreign).
fn with_poller<R>(
    handle: *mut c_void,
    f: impl FnOnce(&mut Poller<'static, Data>) -> Result<R>,
) -> Result<R> {
    // SAFETY: C passes NULL or its poller pointer; see Pool::get.
    let slot: &Slot<_> = unsafe { POLLERS.get(handle) }.ok_or(Error::Fault)?;
    let mut poller = lock(&slot.value);
    f(poller.as_mut().ok_or(Error::Fault)?)
}

/// A descriptor to watch: the retired fd (-1) is EBADF.
fn descriptor(fd: c_int) -> Result<Watched<'static>> {
    if fd < 0 {
        return Err(Error::Os(libc::EBADF));
    }
    // SAFETY: the caller keeps a registered descriptor open until it
    // removes it (man page); poll(2) only reads its readiness.
    Ok(Watched::Fd(unsafe { BorrowedFd::borrow_raw(fd) }))
}

#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    POLLERS.open(|poller| *lock(poller) = Some(Poller::default()))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    call_int(|| {
        // SAFETY: a non-null poller_p points to the caller's handle variable.
        let handle = unsafe { poller_p.as_mut() }.ok_or(Error::Fault)?;
        // SAFETY: the handle is NULL or the caller's zmq_poller_new pointer.
        let slot = unsafe { POLLERS.get(*handle) }.ok_or(Error::Fault)?;
        // Only the call that takes the poller out gives the slot back.
        lock(&slot.value).take().ok_or(Error::Fault)?;
        POLLERS.give_back(slot);
        *handle = ptr::null_mut();
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_size(poller: *mut c_void) -> c_int {
    call(-1, || {
        with_poller(poller, |p| {
            Ok(c_int::try_from(p.len()).unwrap_or(c_int::MAX))
        })
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_add(
    poller: *mut c_void,
    socket: *mut c_void,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    call_int(|| {
        with_poller(poller, |p| {
            let watched = Watched::Socket(socket_value(socket)?);
            p.add(watched, (socket as usize, user_data as usize), events)
        })
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify(
    poller: *mut c_void,
    socket: *mut c_void,
    events: c_short,
) -> c_int {
    call_int(|| {
        with_poller(poller, |p| {
            p.modify(Watched::Socket(socket_value(socket)?), events)
        })
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove(poller: *mut c_void, socket: *mut c_void) -> c_int {
    call_int(|| with_poller(poller, |p| p.remove(Watched::Socket(socket_value(socket)?))))
}

#[no_mangle]
pub extern "C" fn zmq_poller_add_fd(
    poller: *mut c_void,
    fd: c_int,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    call_int(|| {
        with_poller(poller, |p| {
            p.add(descriptor(fd)?, (0, user_data as usize), events)
        })
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify_fd(poller: *mut c_void, fd: c_int, events: c_short) -> c_int {
    call_int(|| with_poller(poller, |p| p.modify(descriptor(fd)?, events)))
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove_fd(poller: *mut c_void, fd: c_int) -> c_int {
    call_int(|| with_poller(poller, |p| p.remove(descriptor(fd)?)))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait_all(
    poller: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    call(-1, || {
        if events.is_null() {
            return Err(Error::Fault);
        }
        let max = usize::try_from(n_events).map_err(|_| Error::Invalid)?;
        let timeout = u64::try_from(timeout).ok().map(Duration::from_millis);
        let ready = with_poller(poller, |p| p.wait(max, timeout))?;
        // SAFETY: the caller's array holds `n_events` elements (man page),
        // and at most that many are ready.
        let out = unsafe { std::slice::from_raw_parts_mut(events, ready.len()) };
        for (slot, event) in out.iter_mut().zip(&ready) {
            let (socket, user_data) = event.data;
            *slot = zmq_poller_event_t {
                socket: socket as *mut c_void,
                fd: match event.watched {
                    Watched::Socket(_) => -1,
                    Watched::Fd(fd) => std::os::fd::AsRawFd::as_raw_fd(&fd),
                },
                user_data: user_data as *mut c_void,
                events: event.events,
            };
        }
        Ok(c_int::try_from(ready.len()).unwrap_or(c_int::MAX))
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait(
    poller: *mut c_void,
    event: *mut zmq_poller_event_t,
    timeout: c_long,
) -> c_int {
    // SAFETY: `event` is NULL or one event's storage, as wait_all takes.
    let rc = unsafe { zmq_poller_wait_all(poller, event, 1, timeout) };
    if rc < 0 {
        // SAFETY: as above; a failed wait reports no event.
        if let Some(event) = unsafe { event.as_mut() } {
            *event = zmq_poller_event_t {
                socket: ptr::null_mut(),
                fd: -1,
                user_data: ptr::null_mut(),
                events: 0,
            };
        }
        return -1;
    }
    0
}

/// The poller's descriptor: it exists only while the poller holds a
/// thread-safe socket (EINVAL otherwise), and is readable when one of
/// them may be ready.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_fd(poller: *mut c_void, fd: *mut c_int) -> c_int {
    call_int(|| {
        let value = with_poller(poller, |p| p.fd())?;
        // SAFETY: a non-null `fd` is the caller's int.
        let out = unsafe { fd.as_mut() }.ok_or(Error::Fault)?;
        *out = value;
        Ok(())
    })
}
