//! `zmq_msg_*`: a `zmq_msg_t` is the storage of a `zmq_core::Msg`.

use std::ffi::CStr;
use std::ptr;

use libc::{c_char, c_int, c_void, size_t};
use zmq_core::{Error, Msg, Result};

use crate::ffi::{call, call_int};
use crate::zmq_msg_t;

/// `zmq_msg_get` properties.
const ZMQ_MORE: c_int = 1;
const ZMQ_SRCFD: c_int = 2;
const ZMQ_SHARED: c_int = 3;

/// The live message at `msg`; EFAULT for NULL, closed or uninitialised ones.
///
/// # Safety
/// `msg` must be NULL or point to a `zmq_msg_t` (64 readable bytes).
pub(crate) unsafe fn live<'a>(msg: *const zmq_msg_t) -> Result<&'a Msg> {
    let msg = msg.cast::<Msg>();
    // SAFETY: non-null pointers address a zmq_msg_t per the contract;
    // is_live only reads it, and a live one may be borrowed.
    if msg.is_null() || unsafe { !Msg::is_live(msg) } {
        return Err(Error::Fault);
    }
    // SAFETY: is_live found an aligned, initialised Msg at `msg`.
    Ok(unsafe { &*msg })
}

/// [`live`], mutable.
///
/// # Safety
/// As [`live`], and the caller must be the only one using the message.
pub(crate) unsafe fn live_mut<'a>(msg: *mut zmq_msg_t) -> Result<&'a mut Msg> {
    // SAFETY: `msg` is NULL or a zmq_msg_t, per the contract.
    unsafe { live(msg)? };
    // SAFETY: live found an initialised Msg there; exclusive use is the
    // caller's promise, as with libzmq.
    Ok(unsafe { &mut *msg.cast::<Msg>() })
}

/// Writes `value` into the storage at `msg` without dropping what was there
/// (an uninitialised `zmq_msg_t` holds garbage).
///
/// # Safety
/// `msg` must be NULL or point to writable `zmq_msg_t` storage.
pub(crate) unsafe fn init_with(
    msg: *mut zmq_msg_t,
    make: impl FnOnce() -> Result<Msg>,
) -> Result<()> {
    let slot = msg.cast::<Msg>();
    // Checked before the message is made: a message over a caller's buffer
    // must not exist (and free it) when the call fails.
    if slot.is_null() || !slot.is_aligned() {
        return Err(Error::Fault);
    }
    // A failed initialisation still leaves a valid empty message, so that
    // the usual zmq_msg_close in the caller's cleanup succeeds.
    let (value, result) = match make() {
        Ok(m) => (m, Ok(())),
        Err(e) => (Msg::new(), Err(e)),
    };
    // SAFETY: aligned, writable storage for a Msg per the contract.
    unsafe { slot.write(value) };
    result
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init(msg: *mut zmq_msg_t) -> c_int {
    // SAFETY: the caller passes NULL or writable zmq_msg_t storage; init_with
    // refuses NULL and misaligned pointers.
    call_int(|| unsafe { init_with(msg, || Ok(Msg::new())) })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: size_t) -> c_int {
    // SAFETY: the bytes are the C caller's to fill, as zmq_msg_init_size
    // documents; the library only moves them.
    call_int(|| unsafe { init_with(msg, || Msg::with_size_unfilled(size)) })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_data(
    msg: *mut zmq_msg_t,
    data: *mut c_void,
    size: size_t,
    ffn: Option<unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void)>,
    hint: *mut c_void,
) -> c_int {
    // SAFETY: the caller keeps `data` valid until `ffn` runs (man page).
    call_int(|| unsafe {
        init_with(msg, || {
            Msg::from_caller_buffer(data.cast(), size, ffn, hint)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_close(msg: *mut zmq_msg_t) -> c_int {
    call_int(|| {
        // SAFETY: the caller passes NULL or a zmq_msg_t (64 readable bytes).
        unsafe { live(msg)? };
        // SAFETY: live, and the caller gives it up.
        unsafe { Msg::close_in_place(msg.cast()) };
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    call_int(|| {
        // SAFETY: the caller passes NULL or a zmq_msg_t as src.
        unsafe { live(src)? };
        // SAFETY: likewise for dest.
        unsafe { live(dest)? };
        if dest == src {
            return Ok(());
        }
        // SAFETY: both are live, distinct messages owned by the caller: the
        // source's value moves into dest (whose old value is dropped) and the
        // source becomes empty.
        unsafe {
            let value = ptr::replace(src.cast::<Msg>(), Msg::new());
            *dest.cast::<Msg>() = value;
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    call_int(|| {
        // SAFETY: the caller passes NULL or a zmq_msg_t as src; the borrow
        // ends with the clone.
        let copy = unsafe { live(src)? }.try_clone();
        // SAFETY: NULL or the caller's zmq_msg_t, which no one else uses
        // during the call; no borrow of src is left.
        let dest_msg = unsafe { live_mut(dest)? };
        if dest == src {
            // Copying a message onto itself would release the very body it
            // copies; refuse instead of destroying the message.
            return Err(Error::Invalid);
        }
        *dest_msg = copy;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void {
    call(ptr::null_mut(), || {
        // SAFETY: NULL or the caller's zmq_msg_t, not used elsewhere during
        // the call.
        Ok(unsafe { live_mut(msg)? }.data_ptr().cast())
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_size(msg: *const zmq_msg_t) -> size_t {
    // SAFETY: the caller passes NULL or a zmq_msg_t (64 readable bytes).
    call(0, || Ok(unsafe { live(msg)? }.len()))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_more(msg: *const zmq_msg_t) -> c_int {
    // SAFETY: the caller passes NULL or a zmq_msg_t (64 readable bytes).
    call(0, || Ok(c_int::from(unsafe { live(msg)? }.more())))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_get(msg: *const zmq_msg_t, property: c_int) -> c_int {
    call(-1, || {
        // SAFETY: the caller passes NULL or a zmq_msg_t (64 readable bytes).
        let msg = unsafe { live(msg)? };
        match property {
            ZMQ_MORE => Ok(c_int::from(msg.more())),
            ZMQ_SHARED => Ok(c_int::from(msg.is_shared())),
            // The descriptor of the connection the message came in on;
            // -1 (and EINVAL) for one that came from no connection.
            ZMQ_SRCFD => msg
                .metadata()
                .and_then(|m| m.source_fd())
                .ok_or(Error::Invalid),
            _ => Err(Error::Invalid),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set(
    msg: *mut zmq_msg_t,
    _property: c_int,
    _value: c_int,
) -> c_int {
    call_int(|| {
        // SAFETY: the caller passes NULL or a zmq_msg_t (64 readable bytes).
        unsafe { live(msg)? };
        // No property can be set, as in libzmq 4.3.
        Err(Error::Invalid)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_gets(
    msg: *const zmq_msg_t,
    property: *const c_char,
) -> *const c_char {
    call(ptr::null(), || {
        // SAFETY: the caller passes NULL or a zmq_msg_t (64 readable bytes).
        let msg = unsafe { live(msg)? };
        if property.is_null() {
            return Err(Error::Invalid);
        }
        // SAFETY: a non-null property is a NUL-terminated string (man page).
        let name = unsafe { CStr::from_ptr(property) }
            .to_str()
            .map_err(|_| Error::Invalid)?;
        let value = msg
            .metadata()
            .and_then(|m| m.get(name))
            .ok_or(Error::Invalid)?;
        Ok(value.as_ptr())
    })
}

/// The routing id a SERVER received the message from, or sends it to
/// (draft API): 0 when none.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_routing_id(msg: *mut zmq_msg_t) -> u32 {
    // SAFETY: the caller passes NULL or a zmq_msg_t (64 readable bytes).
    call(0, || Ok(unsafe { live(msg)? }.routing_id()))
}

/// Names the peer a SERVER sends the message to (draft API). 0 names no
/// peer: EINVAL, as in libzmq.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set_routing_id(msg: *mut zmq_msg_t, routing_id: u32) -> c_int {
    call_int(|| {
        // SAFETY: the caller passes NULL or a zmq_msg_t it alone uses.
        let msg = unsafe { live_mut(msg)? };
        if routing_id == 0 {
            return Err(Error::Invalid);
        }
        msg.set_routing_id(routing_id);
        Ok(())
    })
}

/// A message holding a copy of `size` bytes at `buf` (draft API). NULL with
/// a size is EFAULT (libzmq asserts).
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_buffer(
    msg: *mut zmq_msg_t,
    buf: *const c_void,
    size: size_t,
) -> c_int {
    // SAFETY: `msg` is NULL or zmq_msg_t storage (init_with's contract).
    call_int(|| unsafe {
        init_with(msg, || match (buf.is_null(), size) {
            (_, 0) => Ok(Msg::new()),
            (true, _) => Err(Error::Fault),
            // SAFETY: a non-null `buf` holds `size` readable bytes (man page).
            (false, _) => Msg::from_slice(std::slice::from_raw_parts(buf.cast::<u8>(), size)),
        })
    })
}

/// Sets the group a RADIO sends the message to (draft API): a string of
/// at most ZMQ_GROUP_MAX_LENGTH bytes. A longer one is EINVAL (libzmq cuts
/// it to that length, which would send it to another group).
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set_group(msg: *mut zmq_msg_t, group: *const c_char) -> c_int {
    call_int(|| {
        // SAFETY: the caller passes NULL or a zmq_msg_t it alone uses.
        let msg = unsafe { live_mut(msg)? };
        if group.is_null() {
            return Err(Error::Fault);
        }
        // Look no further than one byte past the limit: a string without a
        // NUL there is too long, wherever it ends.
        let limit = zmq_core::msg::GROUP_MAX_LENGTH + 1;
        // SAFETY: a non-null group is a NUL-terminated string (man page);
        // strnlen reads no further than its NUL or `limit` bytes.
        let len = unsafe { libc::strnlen(group, limit) };
        // SAFETY: the `len` bytes before the NUL (or the limit) were read
        // by strnlen and are readable.
        let bytes = unsafe { std::slice::from_raw_parts(group.cast::<u8>(), len) };
        msg.set_group(bytes)
    })
}

/// The message's group (draft API): "" when it has none. NULL with EFAULT
/// for a message that is not live. Valid while the message is neither
/// changed nor moved.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_group(msg: *mut zmq_msg_t) -> *const c_char {
    call(ptr::null(), || {
        // SAFETY: the caller passes NULL or a zmq_msg_t (64 readable bytes).
        let msg = unsafe { live(msg)? };
        Ok(msg.group_with_nul().as_ptr().cast::<c_char>())
    })
}
