//! The boundary's plumbing: errno, and running a call so that neither an
//! error nor a panic escapes as anything but libzmq's return convention.

use std::panic::{catch_unwind, AssertUnwindSafe};

use libc::c_int;
use zmq_core::{Error, Result};

/// Sets the calling thread's libc `errno`, which C code reads directly.
pub fn set_errno(code: c_int) {
    // SAFETY: __errno_location returns the calling thread's errno slot,
    // valid for the thread's lifetime.
    unsafe { *libc::__errno_location() = code };
}

pub fn errno() -> c_int {
    // SAFETY: as in set_errno.
    unsafe { *libc::__errno_location() }
}

/// Runs `f`; an error becomes `errno` and `failed` is returned. A panic (a
/// bug of ours) is reported as EFAULT instead of unwinding into C.
pub fn call<T>(failed: T, f: impl FnOnce() -> Result<T>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => {
            set_errno(e.errno());
            failed
        }
        Err(_) => {
            set_errno(Error::Fault.errno());
            failed
        }
    }
}

/// [`call`] for functions returning 0 or -1.
pub fn call_int(f: impl FnOnce() -> Result<()>) -> c_int {
    call(-1, || f().map(|()| 0))
}

/// The caller's `len` items at `ptr`: empty when `len` is 0 (whatever the
/// pointer), `null_error` for NULL with a length.
///
/// # Safety
/// A non-null `ptr` with a non-zero `len` must be valid for reads of `len`
/// items for as long as the slice is used.
pub unsafe fn slice<'a, T>(ptr: *const T, len: usize, null_error: Error) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null_error);
    }
    // SAFETY: per the contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// [`slice`], writable.
///
/// # Safety
/// As [`slice`], for writes too, with no other reference to the items.
pub unsafe fn slice_mut<'a, T>(ptr: *mut T, len: usize, null_error: Error) -> Result<&'a mut [T]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(null_error);
    }
    // SAFETY: per the contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}
