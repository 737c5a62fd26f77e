//! The greeting decoder (ZMTP 1.0 to 3.1 detection), fed in random chunks:
//! it never panics and never takes more than it is given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zmq_core::zmtp::greeting::{GreetingDecoder, GreetingStatus};

fuzz_target!(|data: &[u8]| {
    let [mode, chunking, rest @ ..] = data else {
        return;
    };
    let mut dec = if mode & 1 == 0 {
        GreetingDecoder::new()
    } else {
        GreetingDecoder::v3_only()
    };
    let chunk = usize::from(*chunking).max(1);
    'feed: for piece in rest.chunks(chunk) {
        let mut input = piece;
        while !input.is_empty() {
            match dec.feed(input) {
                Ok((used, status)) => {
                    assert!(used <= input.len());
                    input = &input[used..];
                    if let GreetingStatus::Done(_) = status {
                        break 'feed;
                    }
                    if used == 0 {
                        break;
                    }
                }
                Err(_) => break 'feed,
            }
        }
    }
    assert!(dec.received().len() <= rest.len());
});
