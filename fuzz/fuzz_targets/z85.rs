//! Z85: decoding arbitrary text never panics, and what decodes encodes
//! back to the same text; encoding arbitrary bytes round-trips (but for
//! no bytes at all: like libzmq, an empty text does not decode).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zmq_core::z85;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(bytes) = z85::decode(text) {
            assert_eq!(z85::encode(&bytes).expect("decoded bytes encode"), text);
        }
    }
    if data.is_empty() {
        return;
    }
    if let Ok(text) = z85::encode(data) {
        assert_eq!(z85::decode(&text).expect("our text decodes"), data);
    }
});
