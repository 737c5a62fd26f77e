//! Contexts, sockets, sending and receiving, polling and proxies.

use std::ffi::CStr;
use std::os::fd::BorrowedFd;
use std::ptr;
use std::sync::Mutex;
use std::time::Duration;

use libc::{c_char, c_int, c_long, c_void, iovec, size_t};
use zmq_core::ctx::Context;
use zmq_core::poll::{poll, poll_with, PollItem};
use zmq_core::proxy::proxy;
use zmq_core::socket::{Socket, SNDMORE};
use zmq_core::{Error, Msg, Result};

use crate::ffi::{call, call_int, slice, slice_mut};
use crate::handle::{watch_forks, Pool, Slot};
use crate::msg::live_mut;
use crate::{zmq_msg_t, zmq_pollitem_t};

type ContextCell = Mutex<Option<Context>>;

static CONTEXTS: Pool<ContextCell> = Pool::new(0x5a4d_5143_5458_0001);
static SOCKETS: Pool<Socket> = Pool::new(0x5a4d_5153_4f43_4b31);

/// The context behind a handle; EFAULT for an invalid or terminated one,
/// ETERM for one inherited across fork.
fn context(handle: *mut c_void) -> Result<(&'static Slot<ContextCell>, Context)> {
    // SAFETY: C passes NULL or its context pointer; see Pool::get.
    let slot = unsafe { CONTEXTS.get(handle) }.ok_or(Error::Fault)?;
    if slot.inherited() {
        return Err(Error::Terminated);
    }
    let ctx = slot
        .value
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or(Error::Fault)?;
    Ok((slot, ctx))
}

/// The socket behind a handle; ENOTSOCK for an invalid or closed one,
/// ETERM for one inherited across fork.
fn socket(handle: *mut c_void) -> Result<&'static Slot<Socket>> {
    // SAFETY: C passes NULL or its socket pointer; see Pool::get.
    let slot = unsafe { SOCKETS.get(handle) }.ok_or(Error::NotSocket)?;
    if slot.inherited() {
        return Err(Error::Terminated);
    }
    Ok(slot)
}

/// The socket behind a handle (ENOTSOCK for NULL, closed or foreign ones).
#[cfg(feature = "draft")]
pub(crate) fn socket_value(handle: *mut c_void) -> Result<&'static Socket> {
    socket(handle).map(|slot| &slot.value)
}

/// A context or socket inherited across fork: closing it in the child is
/// a no-op that succeeds (its I/O threads are the parent's).
fn inherited<T>(pool: &Pool<T>, handle: *mut c_void) -> bool
where
    T: Default + Sync + 'static,
{
    // SAFETY: C passes NULL or its object's pointer; see Pool::get.
    unsafe { pool.get(handle) }.is_some_and(|slot| slot.inherited())
}

/// A C string argument.
///
/// # Safety
/// `text` must be NULL or NUL-terminated.
unsafe fn text<'a>(text: *const c_char) -> Result<&'a str> {
    if text.is_null() {
        return Err(Error::Invalid);
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(text) }
        .to_str()
        .map_err(|_| Error::Invalid)
}

/// A size as the int the C API returns (libzmq clips to INT_MAX).
fn size_result(size: usize) -> c_int {
    c_int::try_from(size).unwrap_or(c_int::MAX)
}

// ---- Contexts ----

#[no_mangle]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    call(ptr::null_mut(), || {
        watch_forks();
        let slot = CONTEXTS.take();
        *slot.value.lock().unwrap_or_else(|p| p.into_inner()) = Some(Context::new());
        Ok(CONTEXTS.publish(slot))
    })
}

#[no_mangle]
pub extern "C" fn zmq_init(io_threads: c_int) -> *mut c_void {
    if io_threads < 0 {
        return call(ptr::null_mut(), || Err(Error::Invalid));
    }
    let handle = zmq_ctx_new();
    if !handle.is_null() {
        zmq_ctx_set(handle, zmq_core::ctx::IO_THREADS, io_threads);
    }
    handle
}

#[no_mangle]
pub extern "C" fn zmq_ctx_term(context_: *mut c_void) -> c_int {
    call_int(|| {
        if inherited(&CONTEXTS, context_) {
            return Ok(());
        }
        let (slot, ctx) = context(context_)?;
        // EINTR leaves the context as it is, to be terminated again.
        ctx.terminate()?;
        // Only the caller that takes the context out gives the slot back.
        if slot
            .value
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
        {
            CONTEXTS.give_back(slot);
        }
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_shutdown(context_: *mut c_void) -> c_int {
    call_int(|| {
        context(context_)?.1.shutdown();
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_set(context_: *mut c_void, option: c_int, optval: c_int) -> c_int {
    call_int(|| context(context_)?.1.set(option, optval))
}

#[no_mangle]
pub extern "C" fn zmq_ctx_get(context_: *mut c_void, option: c_int) -> c_int {
    call(-1, || context(context_)?.1.get(option))
}

/// zmq_ctx_set with a value of any size (draft API): ZMQ_THREAD_NAME_PREFIX
/// as a string.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set_ext(
    context_: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: size_t,
) -> c_int {
    call_int(|| {
        let (_, ctx) = context(context_)?;
        // SAFETY: the caller passes `optvallen` readable bytes (or NULL).
        let value = unsafe { slice(optval.cast::<u8>(), optvallen, Error::Fault)? };
        ctx.set_bytes(option, value)
    })
}

/// zmq_ctx_get into a buffer of any size (draft API). As in libzmq, the
/// length is not updated.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get_ext(
    context_: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut size_t,
) -> c_int {
    call_int(|| {
        let (_, ctx) = context(context_)?;
        // SAFETY: a non-null optvallen points to the buffer's size.
        let len = unsafe { optvallen.as_ref() }.copied().ok_or(Error::Fault)?;
        // SAFETY: the caller's buffer holds `len` writable bytes.
        let out = unsafe { slice_mut(optval.cast::<u8>(), len, Error::Fault)? };
        ctx.get_bytes(option, out).map(|_| ())
    })
}

#[no_mangle]
pub extern "C" fn zmq_term(context_: *mut c_void) -> c_int {
    zmq_ctx_term(context_)
}

#[no_mangle]
pub extern "C" fn zmq_ctx_destroy(context_: *mut c_void) -> c_int {
    zmq_ctx_term(context_)
}

// ---- Sockets ----

#[no_mangle]
pub extern "C" fn zmq_socket(context_: *mut c_void, type_: c_int) -> *mut c_void {
    call(ptr::null_mut(), || {
        let (_, ctx) = context(context_)?;
        let slot = SOCKETS.take();
        match slot.value.open(&ctx, type_) {
            Ok(()) => Ok(SOCKETS.publish(slot)),
            Err(e) => {
                SOCKETS.give_back(slot);
                Err(e)
            }
        }
    })
}

#[no_mangle]
pub extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    call_int(|| {
        if inherited(&SOCKETS, s) {
            return Ok(());
        }
        let slot = socket(s)?;
        // Only the caller whose close succeeds gives the slot back.
        slot.value.close()?;
        SOCKETS.give_back(slot);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_setsockopt(
    s: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: size_t,
) -> c_int {
    call_int(|| {
        let slot = socket(s)?;
        if optval.is_null() && optvallen == 0 {
            return slot.value.set_option_null(option);
        }
        // SAFETY: the caller passes `optvallen` readable bytes.
        let value = unsafe { slice(optval.cast::<u8>(), optvallen, Error::Invalid)? };
        slot.value.set_option(option, value)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_getsockopt(
    s: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut size_t,
) -> c_int {
    call_int(|| {
        let slot = socket(s)?;
        // SAFETY: a non-null optvallen is the caller's size_t.
        let len = unsafe { optvallen.as_mut() }.ok_or(Error::Fault)?;
        // SAFETY: the caller passes `*optvallen` writable bytes.
        let out = unsafe { slice_mut(optval.cast::<u8>(), *len, Error::Fault)? };
        *len = slot.value.get_option(option, out)?;
        Ok(())
    })
}

/// Runs an endpoint operation (bind, connect, unbind, disconnect).
///
/// # Safety
/// `addr` must be NULL or NUL-terminated.
unsafe fn on_endpoint(
    s: *mut c_void,
    addr: *const c_char,
    op: fn(&Socket, &str) -> Result<()>,
) -> c_int {
    call_int(|| {
        let slot = socket(s)?;
        // SAFETY: addr is NULL or NUL-terminated, per the contract.
        op(&slot.value, unsafe { text(addr)? })
    })
}

/// Runs a group operation (join, leave). The group is read up to one byte
/// past ZMQ_GROUP_MAX_LENGTH, enough for the socket to refuse it.
///
/// # Safety
/// `group` must be NULL or NUL-terminated.
#[cfg(feature = "draft")]
unsafe fn on_group(
    s: *mut c_void,
    group: *const c_char,
    op: fn(&Socket, &[u8]) -> Result<()>,
) -> c_int {
    call_int(|| {
        let slot = socket(s)?;
        if group.is_null() {
            return Err(Error::Fault);
        }
        // SAFETY: a non-null group is NUL-terminated (the contract);
        // strnlen stops at its NUL or the limit.
        let len = unsafe { libc::strnlen(group, zmq_core::msg::GROUP_MAX_LENGTH + 1) };
        // SAFETY: strnlen read these `len` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(group.cast::<u8>(), len) };
        op(&slot.value, bytes)
    })
}

/// Joins a group (draft API): DISH only, ENOTSUP on other types; EINVAL
/// for a group already joined or longer than ZMQ_GROUP_MAX_LENGTH.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int {
    // SAFETY: group is NULL or a NUL-terminated string (man page).
    unsafe { on_group(s, group, Socket::join) }
}

/// Leaves a group (draft API): EINVAL for one not joined.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int {
    // SAFETY: group is NULL or a NUL-terminated string (man page).
    unsafe { on_group(s, group, Socket::leave) }
}

/// Connects a PEER and returns the routing id of the connection (draft
/// API); 0 with errno on failure (ENOTSUP on other types, EFAULT with
/// ZMQ_IMMEDIATE).
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_connect_peer(s: *mut c_void, addr: *const c_char) -> u32 {
    call(0, || {
        let slot = socket(s)?;
        // SAFETY: addr is NULL or a NUL-terminated endpoint string (man page).
        slot.value.connect_peer(unsafe { text(addr)? })
    })
}

/// Drops the connection a routing id names (draft API; SERVER and PEER,
/// ENOTSUP elsewhere, EHOSTUNREACH for an unknown routing id).
#[cfg(feature = "draft")]
#[no_mangle]
pub extern "C" fn zmq_disconnect_peer(s: *mut c_void, routing_id: u32) -> c_int {
    call_int(|| socket(s)?.value.disconnect_peer(routing_id))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_bind(s: *mut c_void, addr: *const c_char) -> c_int {
    // SAFETY: addr is NULL or a NUL-terminated endpoint string (man page).
    unsafe { on_endpoint(s, addr, Socket::bind) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_connect(s: *mut c_void, addr: *const c_char) -> c_int {
    // SAFETY: addr is NULL or a NUL-terminated endpoint string (man page).
    unsafe { on_endpoint(s, addr, Socket::connect) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_unbind(s: *mut c_void, addr: *const c_char) -> c_int {
    // SAFETY: addr is NULL or a NUL-terminated endpoint string (man page).
    unsafe { on_endpoint(s, addr, Socket::unbind) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_disconnect(s: *mut c_void, addr: *const c_char) -> c_int {
    // SAFETY: addr is NULL or a NUL-terminated endpoint string (man page).
    unsafe { on_endpoint(s, addr, Socket::disconnect) }
}

// ---- Sending and receiving ----

#[no_mangle]
pub unsafe extern "C" fn zmq_send(
    s: *mut c_void,
    buf: *const c_void,
    len: size_t,
    flags: c_int,
) -> c_int {
    call(-1, || {
        let slot = socket(s)?;
        // SAFETY: the caller passes `len` readable bytes.
        let data = unsafe { slice(buf.cast::<u8>(), len, Error::Fault)? };
        let mut msg = Msg::from_slice(data)?;
        slot.value.send(&mut msg, flags)?;
        Ok(size_result(len))
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_send_const(
    s: *mut c_void,
    buf: *const c_void,
    len: size_t,
    flags: c_int,
) -> c_int {
    call(-1, || {
        let slot = socket(s)?;
        if buf.is_null() && len > 0 {
            return Err(Error::Fault);
        }
        // SAFETY: the caller keeps the constant buffer alive and unchanged
        // (zmq_send_const's contract); the message never writes or frees it.
        let mut msg =
            unsafe { Msg::from_caller_buffer(buf.cast_mut().cast(), len, None, ptr::null_mut())? };
        slot.value.send(&mut msg, flags)?;
        Ok(size_result(len))
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_recv(
    s: *mut c_void,
    buf: *mut c_void,
    len: size_t,
    flags: c_int,
) -> c_int {
    call(-1, || {
        let slot = socket(s)?;
        if buf.is_null() && len > 0 {
            return Err(Error::Fault);
        }
        let msg = slot.value.recv(flags)?;
        let data = msg.as_slice();
        let copied = data.len().min(len);
        if copied > 0 {
            // SAFETY: the caller passes `len` writable bytes; `copied` <= len.
            unsafe { ptr::copy_nonoverlapping(data.as_ptr(), buf.cast::<u8>(), copied) };
        }
        Ok(size_result(data.len()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    call(-1, || {
        let slot = socket(s)?;
        // SAFETY: NULL or the caller's zmq_msg_t, not used elsewhere during
        // the call (man page).
        let msg = unsafe { live_mut(msg)? };
        let size = msg.len();
        slot.value.send(msg, flags)?;
        Ok(size_result(size))
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    call(-1, || {
        let slot = socket(s)?;
        // SAFETY: NULL or the caller's zmq_msg_t, not used elsewhere during
        // the call (man page).
        let msg = unsafe { live_mut(msg)? };
        *msg = slot.value.recv(flags)?;
        Ok(size_result(msg.len()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_sendmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    // SAFETY: zmq_msg_send's contract, with the arguments swapped.
    unsafe { zmq_msg_send(msg, s, flags) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_recvmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    // SAFETY: zmq_msg_recv's contract, with the arguments swapped.
    unsafe { zmq_msg_recv(msg, s, flags) }
}

/// Sends `count` buffers, each with `flags` except that the last never has
/// ZMQ_SNDMORE (so they form one message only if the caller passes
/// ZMQ_SNDMORE); returns the size of the last, as libzmq does.
#[no_mangle]
pub unsafe extern "C" fn zmq_sendiov(
    s: *mut c_void,
    iov: *mut iovec,
    count: size_t,
    flags: c_int,
) -> c_int {
    call(-1, || {
        let slot = socket(s)?;
        if count == 0 || iov.is_null() {
            return Err(Error::Invalid);
        }
        // SAFETY: the caller passes `count` iovecs.
        let parts = unsafe { slice(iov, count, Error::Invalid)? };
        let mut last = 0usize;
        for (i, part) in parts.iter().enumerate() {
            // SAFETY: each iovec describes readable bytes.
            let data = unsafe { slice(part.iov_base.cast::<u8>(), part.iov_len, Error::Fault)? };
            let mut msg = Msg::from_slice(data)?;
            let part_flags = if i + 1 == parts.len() {
                flags & !SNDMORE
            } else {
                flags
            };
            slot.value.send(&mut msg, part_flags)?;
            last = data.len();
        }
        Ok(size_result(last))
    })
}

/// Receives up to `*count` frames of one message into buffers allocated
/// with malloc (the caller frees them); sets `*count` to the frames
/// received and returns that number, as libzmq does.
#[no_mangle]
pub unsafe extern "C" fn zmq_recviov(
    s: *mut c_void,
    iov: *mut iovec,
    count: *mut size_t,
    flags: c_int,
) -> c_int {
    call(-1, || {
        let slot = socket(s)?;
        // SAFETY: a non-null count is the caller's size_t.
        let count = unsafe { count.as_mut() }.ok_or(Error::Invalid)?;
        if *count == 0 || iov.is_null() {
            return Err(Error::Invalid);
        }
        // SAFETY: the caller passes `*count` iovecs to fill.
        let parts = unsafe { std::slice::from_raw_parts_mut(iov, *count) };
        let mut received = 0;
        for part in parts.iter_mut() {
            let msg = slot.value.recv(flags)?;
            let data = msg.as_slice();
            // SAFETY: malloc of at least one byte; the copy stays in bounds.
            let buf = unsafe { libc::malloc(data.len().max(1)) };
            if buf.is_null() {
                return Err(Error::NoMemory);
            }
            // SAFETY: buf holds data.len() bytes.
            unsafe { ptr::copy_nonoverlapping(data.as_ptr(), buf.cast::<u8>(), data.len()) };
            part.iov_base = buf;
            part.iov_len = data.len();
            received += 1;
            if !msg.more() {
                break;
            }
        }
        *count = received;
        Ok(size_result(received))
    })
}

// ---- Monitoring, proxies, polling ----

/// # Safety
/// `addr` must be NULL (stop monitoring) or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor(
    s: *mut c_void,
    addr: *const c_char,
    events: c_int,
) -> c_int {
    // The C int widens to libzmq's 64-bit mask with its sign, so -1 asks
    // for events version 1 does not have (EINVAL, as in libzmq).
    // SAFETY: addr per this function's contract.
    unsafe { monitor(s, addr, events as i64 as u64, 1, 0) }
}

/// Starts or stops a socket's monitor (both `zmq_socket_monitor` calls).
///
/// # Safety
/// `addr` must be NULL (stop monitoring) or NUL-terminated.
unsafe fn monitor(
    s: *mut c_void,
    addr: *const c_char,
    events: u64,
    event_version: c_int,
    socket_type: c_int,
) -> c_int {
    call_int(|| {
        let slot = socket(s)?;
        let endpoint = if addr.is_null() {
            None
        } else {
            // SAFETY: per the contract.
            Some(unsafe { text(addr)? })
        };
        slot.value
            .monitor(endpoint, events, event_version, socket_type)
    })
}

/// # Safety
/// `addr` must be NULL (stop monitoring) or NUL-terminated.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_versioned(
    s: *mut c_void,
    addr: *const c_char,
    events: u64,
    event_version: c_int,
    socket_type: c_int,
) -> c_int {
    // SAFETY: addr per this function's contract.
    unsafe { monitor(s, addr, events, event_version, socket_type) }
}

#[cfg(feature = "draft")]
#[no_mangle]
pub extern "C" fn zmq_socket_monitor_pipes_stats(s: *mut c_void) -> c_int {
    call_int(|| socket(s)?.value.monitor_pipes_stats())
}

/// An optional socket argument: NULL is none.
fn optional_socket(handle: *mut c_void) -> Result<Option<&'static Socket>> {
    if handle.is_null() {
        return Ok(None);
    }
    socket(handle).map(|slot| Some(&slot.value))
}

#[no_mangle]
pub extern "C" fn zmq_proxy(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
) -> c_int {
    zmq_proxy_steerable(frontend, backend, capture, ptr::null_mut())
}

#[no_mangle]
pub extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> c_int {
    call_int(|| {
        if frontend.is_null() || backend.is_null() {
            return Err(Error::Fault);
        }
        let frontend = &socket(frontend)?.value;
        let backend = &socket(backend)?.value;
        proxy(
            frontend,
            backend,
            optional_socket(capture)?,
            optional_socket(control)?,
        )
    })
}

#[no_mangle]
pub extern "C" fn zmq_device(_type: c_int, frontend: *mut c_void, backend: *mut c_void) -> c_int {
    zmq_proxy(frontend, backend, ptr::null_mut())
}

#[no_mangle]
pub unsafe extern "C" fn zmq_poll(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { poll_items(items, nitems, timeout, None) }
}

/// zmq_poll with a signal mask for the wait (draft API): as ppoll(2), the
/// mask is in force only while the call sleeps, so a signal it lets in
/// interrupts the wait (EINTR) and no other part of the program. NULL:
/// zmq_poll.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_ppoll(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
    sigmask: *const libc::sigset_t,
) -> c_int {
    // SAFETY: a non-null mask is the caller's sigset_t (man page); it is
    // copied before the call goes on.
    let mask = unsafe { sigmask.as_ref() }.copied();
    // SAFETY: forwarded from the caller.
    unsafe { poll_items(items, nitems, timeout, mask) }
}

/// Sleeps in ppoll(2) with `mask` on what `zmq_poll` watches.
fn sleep_masked(
    fds: &mut [zmq_core::poll::PollFd<'_>],
    wait: Option<Duration>,
    mask: &libc::sigset_t,
) -> Result<()> {
    let timeout = wait.map(|d| libc::timespec {
        tv_sec: d.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: d.subsec_nanos().into(),
    });
    let timeout = timeout
        .as_ref()
        .map_or(ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: rustix's PollFd is `struct pollfd` (repr(C) or transparent
    // over libc's, as its documentation says), so the slice is `len`
    // pollfds; the timeout and mask are live for the call.
    let rc = unsafe {
        libc::ppoll(
            fds.as_mut_ptr().cast::<libc::pollfd>(),
            fds.len() as libc::nfds_t,
            timeout,
            mask,
        )
    };
    if rc < 0 {
        return Err(Error::from_errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        ));
    }
    Ok(())
}

/// zmq_poll and zmq_ppoll.
///
/// # Safety
/// `items` must be NULL or `nitems` zmq_pollitem_t.
unsafe fn poll_items(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
    mask: Option<libc::sigset_t>,
) -> c_int {
    call(-1, || {
        let count = usize::try_from(nitems).map_err(|_| Error::Invalid)?;
        // SAFETY: the caller passes `nitems` items.
        let items = unsafe { slice_mut(items, count, Error::Fault)? };
        let mut polled = Vec::with_capacity(items.len());
        for item in items.iter() {
            let socket = if item.socket.is_null() {
                None
            } else {
                Some(&socket(item.socket)?.value)
            };
            let fd = (socket.is_none() && item.fd >= 0).then(|| {
                // SAFETY: the caller's descriptor stays open for the call;
                // poll(2) only reads its readiness.
                unsafe { BorrowedFd::borrow_raw(item.fd) }
            });
            polled.push(PollItem {
                socket,
                fd,
                events: item.events,
                revents: 0,
            });
        }
        let timeout = u64::try_from(timeout).ok().map(Duration::from_millis);
        let ready = match &mask {
            None => poll(&mut polled, timeout)?,
            Some(mask) => poll_with(&mut polled, timeout, &mut |fds, wait| {
                sleep_masked(fds, wait, mask)
            })?,
        };
        for (item, p) in items.iter_mut().zip(&polled) {
            item.revents = p.revents;
        }
        Ok(c_int::try_from(ready).unwrap_or(c_int::MAX))
    })
}
