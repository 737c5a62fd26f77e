//! The engine of the library in safe Rust (but for the message
//! representation): no C types, no errno; the `zmq-capi` crate maps all of
//! this onto the `zmq.h` ABI.

#![deny(clippy::undocumented_unsafe_blocks)]
// Safe Rust everywhere but the places allowed below by name: the message
// representation, the pipe's queue, and three system calls no crate wraps.
#![deny(unsafe_code)]
// A loom build (`--cfg loom`) exists for the models of the queue, the
// pipe and the mailbox alone; the pool the queue otherwise takes its chunks
// from goes unused there.
#![cfg_attr(loom, allow(unused_imports, dead_code))]

pub mod capabilities;
pub mod ctx;
pub mod curve_keys;
pub mod error;
pub mod inproc;
pub mod io_thread;
pub mod mailbox;
pub mod metadata;
pub mod monitor;
#[allow(unsafe_code)]
pub mod msg;
pub mod options;
pub mod pipe;
pub mod poll;
pub mod poller;
pub mod proxy;
#[allow(unsafe_code)]
mod queue;
pub mod socket;
pub mod socket_type;
mod sync;
pub mod timers;
pub mod transport;
pub mod trie;
pub mod z85;
pub mod zmtp;

pub use error::{Error, Result};
pub use metadata::Metadata;
pub use msg::Msg;

/// The libzmq release whose API and behaviour this library provides.
pub const VERSION: (i32, i32, i32) = (4, 3, 5);

/// Runs a loom model through every interleaving up to three preemptions,
/// the bound every model here shares (it keeps each model to seconds).
#[cfg(all(test, loom))]
fn loom_model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}
