//! Socket monitoring (`zmq_socket_monitor`): a PAIR socket bound to an
//! inproc endpoint receives one two-frame message per event: 16-bit event
//! number and 32-bit value (native byte order), then the endpoint.
//!
//! Events come from the socket's own thread (bind, close) and from the I/O
//! threads (connections). They never block: an event the monitor's reader
//! has no room for is dropped.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::ctx::Context;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::socket::{Socket, DONTWAIT, SNDMORE};

pub const CONNECTED: u32 = 0x0001;
pub const CONNECT_DELAYED: u32 = 0x0002;
pub const CONNECT_RETRIED: u32 = 0x0004;
pub const LISTENING: u32 = 0x0008;
pub const BIND_FAILED: u32 = 0x0010;
pub const ACCEPTED: u32 = 0x0020;
pub const ACCEPT_FAILED: u32 = 0x0040;
pub const CLOSED: u32 = 0x0080;
pub const CLOSE_FAILED: u32 = 0x0100;
pub const DISCONNECTED: u32 = 0x0200;
pub const MONITOR_STOPPED: u32 = 0x0400;
pub const HANDSHAKE_FAILED_NO_DETAIL: u32 = 0x0800;
pub const HANDSHAKE_SUCCEEDED: u32 = 0x1000;
pub const HANDSHAKE_FAILED_PROTOCOL: u32 = 0x2000;
pub const HANDSHAKE_FAILED_AUTH: u32 = 0x4000;
/// Every event of the stable API.
pub const ALL: u32 = 0xFFFF;

/// The PAIR socket events go to, and which events it wants.
struct Monitor {
    socket: Socket,
    events: u32,
}

/// A socket's monitor, if one runs; shared with the socket's sessions so
/// that starting or stopping it applies to connections already made.
#[derive(Clone, Default)]
pub struct Monitors(Arc<Mutex<Option<Arc<Monitor>>>>);

impl Monitors {
    /// Reports `event` for `endpoint` if it is monitored.
    pub fn event(&self, event: u32, value: u32, endpoint: &str) {
        let Some(monitor) = self.0.lock().clone() else {
            return;
        };
        if monitor.events & event == 0 {
            return;
        }
        monitor.send(event, value, endpoint);
    }

    /// Starts monitoring into a new PAIR socket bound to `endpoint` (an
    /// inproc one), after stopping any monitor running; `None` only stops.
    pub fn start(&self, ctx: &Context, endpoint: Option<&str>, events: u32) -> Result<()> {
        self.stop();
        let Some(endpoint) = endpoint else {
            return Ok(());
        };
        let (transport, address) = endpoint.split_once("://").ok_or(Error::Invalid)?;
        if address.is_empty() {
            return Err(Error::Invalid);
        }
        if transport != "inproc" {
            return Err(Error::ProtocolNotSupported);
        }
        let socket = Socket::new();
        socket.open(ctx, 0)?;
        if let Err(e) = socket.bind(endpoint) {
            let _ = socket.close();
            return Err(e);
        }
        *self.0.lock() = Some(Arc::new(Monitor { socket, events }));
        Ok(())
    }

    /// Stops monitoring: MONITOR_STOPPED goes out last.
    pub fn stop(&self) {
        let Some(monitor) = self.0.lock().take() else {
            return;
        };
        if monitor.events & MONITOR_STOPPED != 0 {
            monitor.send(MONITOR_STOPPED, 0, "");
        }
        let _ = monitor.socket.close();
    }
}

impl Monitor {
    fn send(&self, event: u32, value: u32, endpoint: &str) {
        let mut head = [0u8; 6];
        // The event number travels in 16 bits (the stable API's events fit).
        head[..2].copy_from_slice(&(event as u16).to_ne_bytes());
        head[2..].copy_from_slice(&value.to_ne_bytes());
        let (Ok(mut first), Ok(mut second)) =
            (Msg::from_slice(&head), Msg::from_slice(endpoint.as_bytes()))
        else {
            return;
        };
        if self.socket.send(&mut first, SNDMORE | DONTWAIT).is_ok() {
            // Once the first frame is in, the second always fits.
            let _ = self.socket.send(&mut second, DONTWAIT);
        }
    }
}
