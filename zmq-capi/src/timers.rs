//! `zmq_timers_*` over `zmq_core::timers::Timers`. The lock is released
//! while a handler runs, so handlers may call back into the same timers.

use std::sync::OnceLock;
use std::time::Instant;

use libc::{c_int, c_long, c_void, size_t};
use std::sync::Mutex;
use zmq_core::timers::Timers;
use zmq_core::{Error, Result};

use crate::ffi::{call, call_int};
use crate::handle::{from_handle, into_handle, take_handle, Handled};

type TimerFn = unsafe extern "C" fn(timer_id: c_int, arg: *mut c_void);

/// What a timer runs.
#[derive(Clone, Copy)]
struct Handler {
    func: TimerFn,
    arg: *mut c_void,
}

struct TimerSet(Mutex<Timers<Handler>>);

// SAFETY: the handlers' arguments belong to the C caller, who decides which
// thread runs zmq_timers_execute; the set itself is behind a mutex.
unsafe impl Send for TimerSet {}
// SAFETY: shared access to the timers only goes through the mutex.
unsafe impl Sync for TimerSet {}

impl Handled for TimerSet {
    const TAG: u64 = 0x5a4d_5154_494d_4552;
}

/// Milliseconds on a monotonic clock.
fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// Runs `f` on the timers behind a handle; EFAULT for an invalid handle.
unsafe fn with_timers<T>(
    handle: *mut c_void,
    f: impl FnOnce(&mut Timers<Handler>) -> Result<T>,
) -> Result<T> {
    // SAFETY: handles are NULL or C objects' pointers (handle module).
    let set = unsafe { from_handle::<TimerSet>(handle) }.ok_or(Error::Fault)?;
    let mut timers = set
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&mut timers)
}

#[no_mangle]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    into_handle(TimerSet(Mutex::new(Timers::new())))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> c_int {
    call_int(|| {
        // SAFETY: a non-null timers_p points to the caller's handle variable.
        let slot = unsafe { timers_p.as_mut() }.ok_or(Error::Fault)?;
        // SAFETY: the handle is NULL or a C object's pointer.
        unsafe { take_handle::<TimerSet>(*slot) }.ok_or(Error::Fault)?;
        *slot = std::ptr::null_mut();
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
            // SAFETY: as above; a set that a handler destroyed had its tag
            // cleared by take_handle, the handle module's guard on stale handles.
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
