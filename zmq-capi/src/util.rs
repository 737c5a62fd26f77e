//! The utility entry points: version, errors, capabilities, Z85, CURVE
//! keys, atomic counters, stopwatches, sleep and threads.

use std::ffi::CStr;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use libc::{c_char, c_int, c_ulong, c_void, size_t};
use zmq_core::curve_keys::{self, KEY_TEXT_LEN};
use zmq_core::{capabilities, z85, Error};

use crate::ffi::{call, call_int, errno, set_errno, slice, slice_mut};
use crate::handle::{lock, Owned, Pool};

#[no_mangle]
pub unsafe extern "C" fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int) {
    let (ma, mi, pa) = zmq_core::VERSION;
    for (out, value) in [(major, ma), (minor, mi), (patch, pa)] {
        // SAFETY: a non-null pointer is the caller's int to fill.
        if let Some(out) = unsafe { out.as_mut() } {
            *out = value;
        }
    }
}

#[no_mangle]
pub extern "C" fn zmq_errno() -> c_int {
    errno()
}

#[no_mangle]
pub extern "C" fn zmq_strerror(errnum: c_int) -> *const c_char {
    match Error::zmq_message(errnum) {
        Some(text) => text.as_ptr(),
        // SAFETY: strerror returns a NUL-terminated string for any code.
        None => unsafe { libc::strerror(errnum) },
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_has(capability: *const c_char) -> c_int {
    if capability.is_null() {
        return 0;
    }
    // SAFETY: a non-null capability is a NUL-terminated string (man page).
    let name = unsafe { CStr::from_ptr(capability) };
    name.to_str()
        .map_or(0, |n| c_int::from(capabilities::has(n)))
}

// ---- Z85 ----

#[no_mangle]
pub unsafe extern "C" fn zmq_z85_encode(
    dest: *mut c_char,
    data: *const u8,
    size: size_t,
) -> *mut c_char {
    call(ptr::null_mut(), || {
        let text_len = z85::encoded_len(size)?;
        // SAFETY: the caller provides `size` readable bytes and a dest of
        // size * 5 / 4 + 1 bytes (man page).
        let (input, out) = unsafe {
            (
                slice(data, size, Error::Invalid)?,
                slice_mut(dest.cast::<u8>(), text_len + 1, Error::Invalid)?,
            )
        };
        z85::encode_into(input, &mut out[..text_len])?;
        out[text_len] = 0;
        Ok(dest)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8 {
    call(ptr::null_mut(), || {
        if dest.is_null() || string.is_null() {
            return Err(Error::Invalid);
        }
        // SAFETY: string is NUL-terminated (man page).
        let text = unsafe { CStr::from_ptr(string) }.to_bytes();
        let len = z85::decoded_len(text.len())?;
        // SAFETY: dest holds strlen(string) * 4 / 5 bytes (man page).
        let out = unsafe { slice_mut(dest, len, Error::Invalid)? };
        z85::decode_into(text, out)?;
        Ok(dest)
    })
}

// ---- CURVE keys ----

#[no_mangle]
pub unsafe extern "C" fn zmq_curve_keypair(
    z85_public_key: *mut c_char,
    z85_secret_key: *mut c_char,
) -> c_int {
    call_int(|| {
        if z85_public_key.is_null() || z85_secret_key.is_null() {
            return Err(Error::Invalid);
        }
        let (public, secret) = curve_keys::generate()?;
        // SAFETY: both buffers hold 41 bytes (man page).
        unsafe {
            write_key_text(z85_public_key, &public);
            write_key_text(z85_secret_key, &secret);
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_curve_public(
    z85_public_key: *mut c_char,
    z85_secret_key: *const c_char,
) -> c_int {
    call_int(|| {
        if z85_public_key.is_null() || z85_secret_key.is_null() {
            return Err(Error::Invalid);
        }
        // SAFETY: the secret key is a NUL-terminated string (man page).
        let text = unsafe { CStr::from_ptr(z85_secret_key) }.to_bytes();
        let secret = curve_keys::key_from_text(text)?;
        // SAFETY: the public key buffer holds 41 bytes (man page).
        unsafe { write_key_text(z85_public_key, &curve_keys::public_from_secret(&secret)) };
        Ok(())
    })
}

/// # Safety
/// `out` must be writable for `KEY_TEXT_LEN + 1` bytes.
unsafe fn write_key_text(out: *mut c_char, key: &[u8; 32]) {
    let text = curve_keys::key_to_text(key);
    // SAFETY: per the contract.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr(), out.cast::<u8>(), KEY_TEXT_LEN);
        *out.add(KEY_TEXT_LEN) = 0;
    }
}

// ---- Atomic counters ----

#[derive(Default)]
struct Counter {
    value: AtomicI32,
    /// Cleared by the one destroy call that wins.
    live: AtomicBool,
}

static COUNTERS: Pool<Counter> = Pool::new(0x5a4d_5141_434e_5452);

/// The counter behind a handle; EFAULT (and `None`) for an invalid or
/// destroyed one.
///
/// # Safety
/// `handle` is NULL or a pointer from `zmq_atomic_counter_new`.
unsafe fn counter(handle: *mut c_void) -> Option<&'static AtomicI32> {
    // SAFETY: per this function's contract (see Pool::get).
    let found = unsafe { COUNTERS.get(handle) }
        .filter(|slot| slot.value.live.load(Ordering::Acquire))
        .map(|slot| &slot.value.value);
    if found.is_none() {
        set_errno(Error::Fault.errno());
    }
    found
}

#[no_mangle]
pub extern "C" fn zmq_atomic_counter_new() -> *mut c_void {
    COUNTERS.open(|c| {
        c.value.store(0, Ordering::SeqCst);
        c.live.store(true, Ordering::Release);
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_set(counter_: *mut c_void, value: c_int) {
    // SAFETY: counter_ is NULL or the caller's zmq_atomic_counter_new handle.
    if let Some(c) = unsafe { counter(counter_) } {
        c.store(value, Ordering::SeqCst);
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_inc(counter_: *mut c_void) -> c_int {
    // SAFETY: counter_ is NULL or the caller's zmq_atomic_counter_new handle.
    unsafe { counter(counter_) }.map_or(0, |c| c.fetch_add(1, Ordering::SeqCst))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_dec(counter_: *mut c_void) -> c_int {
    // SAFETY: counter_ is NULL or the caller's zmq_atomic_counter_new handle.
    unsafe { counter(counter_) }
        .map_or(0, |c| c_int::from(c.fetch_sub(1, Ordering::SeqCst) - 1 > 0))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_value(counter_: *mut c_void) -> c_int {
    // SAFETY: counter_ is NULL or the caller's zmq_atomic_counter_new handle.
    unsafe { counter(counter_) }.map_or(0, |c| c.load(Ordering::SeqCst))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_destroy(counter_p: *mut *mut c_void) {
    // SAFETY: a non-null counter_p points to the caller's handle variable.
    let Some(slot) = (unsafe { counter_p.as_mut() }) else {
        return;
    };
    // SAFETY: the handle is NULL or the caller's zmq_atomic_counter_new
    // pointer (see Pool::get).
    if let Some(counter) = unsafe { COUNTERS.get(*slot) } {
        // Only the call that finds it live gives the slot back.
        if counter.value.live.swap(false, Ordering::AcqRel) {
            COUNTERS.give_back(counter);
            *slot = ptr::null_mut();
        }
    }
}

// ---- Stopwatches and sleep ----

static STOPWATCHES: Pool<Owned<Instant>> = Pool::new(0x5a4d_5153_5457_4154);

fn micros(elapsed: Duration) -> c_ulong {
    c_ulong::try_from(elapsed.as_micros()).unwrap_or(c_ulong::MAX)
}

#[no_mangle]
pub extern "C" fn zmq_stopwatch_start() -> *mut c_void {
    STOPWATCHES.open(|start| *lock(start) = Some(Instant::now()))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_intermediate(watch: *mut c_void) -> c_ulong {
    // SAFETY: the handle is NULL or the caller's zmq_stopwatch_start
    // pointer (see Pool::get).
    let slot = unsafe { STOPWATCHES.get(watch) };
    slot.and_then(|s| *lock(&s.value))
        .map_or(0, |start| micros(start.elapsed()))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_stop(watch: *mut c_void) -> c_ulong {
    // SAFETY: the handle is NULL or the caller's zmq_stopwatch_start
    // pointer (see Pool::get).
    let Some(slot) = (unsafe { STOPWATCHES.get(watch) }) else {
        return 0;
    };
    // Only the call that takes the start out gives the slot back.
    let Some(start) = lock(&slot.value).take() else {
        return 0;
    };
    STOPWATCHES.give_back(slot);
    micros(start.elapsed())
}

#[no_mangle]
pub extern "C" fn zmq_sleep(seconds: c_int) {
    if let Ok(seconds) = u64::try_from(seconds) {
        std::thread::sleep(Duration::from_secs(seconds));
    }
}

// ---- Threads ----

static THREADS: Pool<Owned<std::thread::JoinHandle<()>>> = Pool::new(0x5a4d_5154_4852_4541);

/// The function and argument a new thread runs.
struct Start {
    func: unsafe extern "C" fn(arg: *mut c_void),
    arg: *mut c_void,
}

// SAFETY: handing `arg` to another thread is what zmq_threadstart is for;
// the caller owns what it points to.
unsafe impl Send for Start {}

#[no_mangle]
pub unsafe extern "C" fn zmq_threadstart(
    func: Option<unsafe extern "C" fn(arg: *mut c_void)>,
    arg: *mut c_void,
) -> *mut c_void {
    call(ptr::null_mut(), || {
        let start = Start {
            func: func.ok_or(Error::Invalid)?,
            arg,
        };
        let thread = std::thread::Builder::new()
            .name("ZMQapp".into())
            .spawn(move || {
                // As libzmq: signals go to the application's own threads.
                zmq_core::io_thread::block_signals();
                let start = start;
                // SAFETY: the caller's thread function, with its argument.
                unsafe { (start.func)(start.arg) };
            })
            .map_err(Error::from)?;
        Ok(THREADS.open(|slot| *lock(slot) = Some(thread)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_threadclose(thread: *mut c_void) {
    // SAFETY: the handle is NULL or the caller's zmq_threadstart pointer
    // (see Pool::get).
    let Some(slot) = (unsafe { THREADS.get(thread) }) else {
        return;
    };
    // A thread of the parent of this forked process is not here to join.
    if slot.inherited() {
        return;
    }
    // Only the call that takes the thread out joins it.
    let Some(handle) = lock(&slot.value).take() else {
        return;
    };
    THREADS.give_back(slot);
    // A panic cannot come out of a C thread function; nothing to report.
    let _ = handle.join();
}
