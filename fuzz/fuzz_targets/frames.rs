//! The frame decoder of every ZMTP version, fed in random chunks: it never
//! panics, never holds much more memory than it was given, and once failed
//! stays failed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zmq_core::zmtp::frame::{FrameDecoder, FrameVersion, GROW_STEP};

fuzz_target!(|data: &[u8]| {
    let [version, limit, handshake, chunking, rest @ ..] = data else {
        return;
    };
    let version = match version % 3 {
        0 => FrameVersion::V1,
        1 => FrameVersion::V2,
        _ => FrameVersion::V3,
    };
    // No limit, or one from 0 to 255 bytes (so that the check is reached).
    let max = if limit & 1 == 0 {
        -1
    } else {
        i64::from(limit >> 1)
    };
    let mut dec = FrameDecoder::new(version, max);
    dec.expect_commands(handshake & 1 == 1);
    let chunk = usize::from(*chunking).max(1);
    let mut fed = 0;
    let mut failed = false;
    for piece in rest.chunks(chunk) {
        let mut input = piece;
        while !input.is_empty() {
            match dec.decode(input) {
                Ok((used, msg)) => {
                    assert!(!failed, "a failed decoder decoded again");
                    assert!(used <= input.len());
                    if let Some(msg) = msg {
                        if max >= 0 {
                            assert!(msg.len() as i64 <= max);
                        }
                    }
                    if used == 0 {
                        break;
                    }
                    fed += used;
                    input = &input[used..];
                }
                Err(_) => {
                    failed = true;
                    break;
                }
            }
            assert!(dec.buffered_capacity() <= 2 * fed + GROW_STEP + 256);
        }
    }
});
