//! libzmq's C API: one thin `extern "C"` function per `zmq.h` entry point.
//!
//! Each function converts its arguments, calls `zmq-core`, and turns the
//! result into libzmq's return convention (`-1`/NULL and the real `errno`).
//! No logic lives here, and no panic crosses the boundary. Every function's
//! contract is its libzmq man page; pointers from C are checked (NULL,
//! closed or foreign objects give libzmq's errno) before they are trusted.

#![deny(clippy::undocumented_unsafe_blocks)]
#![allow(non_camel_case_types, clippy::missing_safety_doc)]

mod ffi;
mod handle;
mod msg;
#[cfg(feature = "draft")]
mod poller;
mod socket;
mod timers;
mod util;

pub use msg::*;
#[cfg(feature = "draft")]
pub use poller::*;
pub use socket::*;
pub use timers::*;
pub use util::*;

use libc::{c_int, c_short, c_void};

/// `zmq_msg_t`: 64 opaque bytes, pointer-aligned, holding a `zmq_core::Msg`.
#[repr(C, align(8))]
pub struct zmq_msg_t {
    _opaque: [u8; 64],
}

const _: () = assert!(std::mem::size_of::<zmq_msg_t>() == zmq_core::msg::MSG_SIZE);
const _: () = assert!(std::mem::align_of::<zmq_msg_t>() == std::mem::align_of::<zmq_core::Msg>());

/// `zmq_poller_event_t` (draft API).
#[cfg(feature = "draft")]
#[repr(C)]
pub struct zmq_poller_event_t {
    pub socket: *mut c_void,
    pub fd: c_int,
    pub user_data: *mut c_void,
    pub events: c_short,
}

/// `zmq_pollitem_t`.
#[repr(C)]
pub struct zmq_pollitem_t {
    pub socket: *mut c_void,
    pub fd: c_int,
    pub events: c_short,
    pub revents: c_short,
}

// The function-pointer parameters (zmq_free_fn, zmq_timer_fn, zmq_thread_fn)
// are spelled out in each signature, so that the generated declarations
// checked against zmq.h show their real types.
