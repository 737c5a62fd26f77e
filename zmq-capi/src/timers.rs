//! `zmq_timers_*` over `zmq_core::timers::Timers`. The lock is released
//! while a handler runs, so handlers may call back into the same timers.

use std::sync::OnceLock;
use std::time::Instant;

use libc::{c_int, c_long, c_void, size_t};
use zmq_core::timers::Timers;
use zmq_core::{Error, Result};

use crate::ffi::{call, call_int};
use crate::handle::{lock, Owned, Pool};

type TimerFn = unsafe extern "C" fn(timer_id: c_int, arg: *mut c_void);

/// What a timer runs.
#[derive(Clone, Copy)]
struct Handler {
    func: TimerFn,
    arg: *mut c_void,
}

struct TimerSet(Timers<Handler>);

// SAFETY: the handlers' arguments belong to the C caller, who decides which
// thread runs zmq_timers_execute; the set is only reached through its
// slot's mutex.
unsafe impl Send for TimerSet {}

static TIMER_SETS: Pool<Owned<TimerSet>> = Pool::new(0x5a4d_5154_494d_4552);

/// Milliseconds on a monotonic clock.
fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// Runs `f` on the timers behind a handle; EFAULT for an invalid or
/// destroyed one.
///
/// # Safety
/// `handle` is NULL or a pointer the caller got from `zmq_timers_new`.
unsafe fn with_timers<T>(
    handle: *mut c_void,
    f: impl FnOnce(&mut Timers<Handler>) -> Result<T>,
) -> Result<T> {
    // SAFETY: per this function's contract (see Pool::get).
    let slot = unsafe { TIMER_SETS.get(handle) }.ok_or(Error::Fault)?;
    let mut set = lock(&slot.value);
    f(&mut set.as_mut().ok_or(Error::Fault)?.0)
}

#[no_mangle]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    TIMER_SETS.open(|set| *lock(set) = Some(TimerSet(Timers::new())))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> c_int {
    call_int(|| {
        // SAFETY: a non-null timers_p points to the caller's handle variable.
        let handle = unsafe { timers_p.as_mut() }.ok_or(Error::Fault)?;
        // SAFETY: the handle is NULL or the caller's zmq_timers_new pointer.
        let slot = unsafe { TIMER_SETS.get(*handle) }.ok_or(Error::Fault)?;
        // Only the call that takes the set out gives the slot back.
        lock(&slot.value).take().ok_or(Error::Fault)?;
        TIMER_SETS.give_back(slot);
        *handle = std::ptr::null_mut();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_add(
    timers: *mut c_void,
    interval: size_t,
    handler: Option<unsafe extern "C" fn(timer_id: c_int, arg: *mut c_void)>,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: timers is NULL or the caller's zmq_timers_new handle (man page).
    call(-1, || unsafe {
        with_timers(timers, |t| {
            let func = handler.ok_or(Error::Fault)?;
            t.add(now_ms(), interval as u64, Handler { func, arg })
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_cancel(timers: *mut c_void, timer_id: c_int) -> c_int {
    // SAFETY: timers is NULL or the caller's zmq_timers_new handle (man page).
    call_int(|| unsafe { with_timers(timers, |t| t.cancel(timer_id)) })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_set_interval(
    timers: *mut c_void,
    timer_id: c_int,
    interval: size_t,
) -> c_int {
    // SAFETY: timers is NULL or the caller's zmq_timers_new handle (man page).
    call_int(|| unsafe {
        with_timers(timers, |t| {
            t.set_interval(now_ms(), timer_id, interval as u64)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_reset(timers: *mut c_void, timer_id: c_int) -> c_int {
    // SAFETY: timers is NULL or the caller's zmq_timers_new handle (man page).
    call_int(|| unsafe { with_timers(timers, |t| t.reset(now_ms(), timer_id)) })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_timeout(timers: *mut c_void) -> c_long {
    // SAFETY: timers is NULL or the caller's zmq_timers_new handle (man page).
    call(-1, || unsafe {
        with_timers(timers, |t| {
            Ok(t.timeout(now_ms())
                .map_or(-1, |ms| c_long::try_from(ms).unwrap_or(c_long::MAX)))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_execute(timers: *mut c_void) -> c_int {
    call_int(|| {
        let now = now_ms();
        // SAFETY: timers is NULL or the caller's zmq_timers_new handle (man page).
        for id in unsafe { with_timers(timers, |t| Ok(t.due(now)))? } {
            // A handler may have destroyed the set or cancelled this timer.
            // SAFETY: as above; a destroyed set's slot is still ours (slots
            // are never freed) and answers EFAULT.
            let Ok(Some(handler)) = (unsafe { with_timers(timers, |t| Ok(t.fire(now, id))) })
            else {
                continue;
            };
            // SAFETY: the caller's timer function with its argument; no lock
            // is held while it runs.
            unsafe { (handler.func)(id, handler.arg) };
        }
        Ok(())
    })
}
