//! Command bodies (READY and its properties, SUBSCRIBE, CANCEL, PING,
//! PONG, ERROR) and property lists: parsing never panics, and whatever
//! parses encodes back to something that parses to the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zmq_core::zmtp::command::{Command, Properties};

fuzz_target!(|data: &[u8]| {
    if let Ok(command) = Command::decode(data) {
        let mut again = Vec::new();
        if command.encode_into(&mut again).is_ok() {
            let reparsed = Command::decode(&again).expect("our own encoding parses");
            assert_eq!(reparsed.name(), command.name());
        }
    }
    if let Ok(properties) = Properties::parse(data) {
        let mut again = Vec::new();
        if properties.encode_into(&mut again).is_ok() {
            let reparsed = Properties::parse(&again).expect("our own encoding parses");
            assert_eq!(reparsed.pairs(), properties.pairs());
        }
    }
});
