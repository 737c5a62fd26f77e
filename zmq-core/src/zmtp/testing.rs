//! The in-memory driver for engine tests: two engines joined by byte
//! buffers, chunked as a test asks, with the clock passed in. Mechanism
//! tests have their own, a level below (`mechanism/testing.rs`).

use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::Instant;

use super::engine::{Engine, EngineError};
use super::mechanism::zap::ZapRequest;
use crate::msg::Msg;

pub(crate) fn take_output(engine: &mut Engine) -> Vec<u8> {
    let mut bytes = Vec::new();
    while engine.has_output() {
        let before = bytes.len();
        let mut slices = [IoSlice::new(&[]); 8];
        let n = engine.output(&mut slices);
        for s in &slices[..n] {
            bytes.extend_from_slice(s);
        }
        engine.advance_output(bytes.len() - before, Instant::now());
    }
    bytes
}

/// Moves bytes both ways until neither side has anything to say;
/// `chunk` bytes at a time. A ZAP request finds no handler.
pub(crate) fn shuttle(
    a: &mut Engine,
    b: &mut Engine,
    chunk: usize,
    now: Instant,
) -> Result<(VecDeque<Msg>, VecDeque<Msg>), EngineError> {
    shuttle_zap(a, b, chunk, now, &mut |_| None)
}

/// [`shuttle`], with ZAP requests answered by `zap` (the reply's frames,
/// or `None` for no handler).
pub(crate) fn shuttle_zap(
    a: &mut Engine,
    b: &mut Engine,
    chunk: usize,
    now: Instant,
    zap: &mut dyn FnMut(&ZapRequest) -> Option<Vec<Msg>>,
) -> Result<(VecDeque<Msg>, VecDeque<Msg>), EngineError> {
    let (mut at_a, mut at_b) = (VecDeque::new(), VecDeque::new());
    loop {
        for engine in [&mut *a, &mut *b] {
            if let Some(request) = engine.take_zap_request() {
                let reply = zap(&request);
                engine.zap_reply(reply.as_deref(), now)?;
            }
        }
        let to_b = take_output(a);
        let to_a = take_output(b);
        if to_a.is_empty() && to_b.is_empty() {
            return Ok((at_a, at_b));
        }
        for c in to_b.chunks(chunk) {
            b.input(c, now, &mut at_b)?;
        }
        for c in to_a.chunks(chunk) {
            a.input(c, now, &mut at_a)?;
        }
    }
}

/// A ZAP reply's frames, with this status and user id.
pub(crate) fn zap_reply(status: &[u8], user_id: &[u8]) -> Vec<Msg> {
    let parts: [&[u8]; 7] = [b"", b"1.0", b"1", status, b"", user_id, b""];
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let mut msg = Msg::from_slice(part).unwrap();
            msg.set_more(i < parts.len() - 1);
            msg
        })
        .collect()
}
