//! The shared and static library `libzmq`: every exported symbol is an
//! `extern "C"` function of `zmq-capi`; linking that crate here is all this
//! crate does.

pub use zmq_capi::*;
