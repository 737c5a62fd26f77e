//! zmq_setsockopt and zmq_getsockopt through the C entry points: any
//! socket type, option number, length and bytes. Nothing may crash, and
//! a read never writes past the length it was given.
#![no_main]

use std::ffi::c_void;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zmq_capi::*;

/// One context for every run (a context per run would be slow).
fn context() -> usize {
    static CTX: OnceLock<usize> = OnceLock::new();
    *CTX.get_or_init(|| zmq_ctx_new() as usize)
}

fuzz_target!(|data: &[u8]| {
    let [kind, number, length, rest @ ..] = data else {
        return;
    };
    let socket = zmq_socket(context() as *mut c_void, i32::from(*kind % 20));
    if socket.is_null() {
        return;
    }
    // Option numbers around the known ones, and a few wild ones.
    let option = match number {
        0..=127 => i32::from(*number),
        128..=191 => i32::from(*number) * 1000,
        _ => -i32::from(*number),
    };
    let len = usize::from(*length).min(rest.len());
    let value = &rest[..len];
    // SAFETY: `value` holds `len` readable bytes; a NULL value is asked for
    // with an odd length byte and no bytes.
    unsafe {
        let ptr = if len == 0 && length & 1 == 1 {
            std::ptr::null()
        } else {
            value.as_ptr().cast()
        };
        zmq_setsockopt(socket, option, ptr, len);
    }
    // A read into a buffer with a guard after the length given.
    let mut buf = [0xA5u8; 300];
    let asked = usize::from(*length).min(256);
    let mut size = asked;
    // SAFETY: `buf` has room for `size` bytes (and more, as a guard).
    unsafe {
        zmq_getsockopt(socket, option, buf.as_mut_ptr().cast(), &mut size);
    }
    assert!(
        buf[asked..].iter().all(|&b| b == 0xA5),
        "wrote past the length"
    );
    let linger: i32 = 0;
    // SAFETY: a live int of the size given.
    unsafe {
        zmq_setsockopt(socket, 17, (&linger as *const i32).cast(), 4);
    }
    zmq_close(socket);
});
