//! Endpoint addresses: the tcp bind and connect parsers and the ipc parser
//! take any text without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zmq_core::transport::address::{tcp_bind_addr, IpcAddr, TcpConnect};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let address = text.split_once("://").map_or(text, |(_, rest)| rest);
    if let Ok(addr) = tcp_bind_addr(address, true) {
        // What binds also reads back as an endpoint.
        let _ = zmq_core::transport::address::tcp_endpoint_string(&addr);
    }
    if let Ok(connect) = TcpConnect::parse(address) {
        let _ = connect.is_name();
    }
    if let Ok(ipc) = IpcAddr::parse(address) {
        let _ = ipc.endpoint_string();
    }
});
