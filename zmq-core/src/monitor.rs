//! Socket monitoring (`zmq_socket_monitor`): a PAIR socket (or, with
//! `zmq_socket_monitor_versioned`, a PUB or PUSH one) bound to an inproc
//! endpoint receives one message per event. Version 1: a frame with the
//! 16-bit event number and 32-bit value, then the endpoint. Version 2
//! (draft): the 64-bit event number, the number of values, each value in
//! 64 bits, then the local and the remote endpoint. Numbers are in native
//! byte order.
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
/// Version 2 only: the queues of each connection, on request.
pub const PIPES_STATS: u32 = 0x10000;

/// Socket types a monitor may be (`zmq.h` numbers).
const PAIR: i32 = 0;
const PUB: i32 = 1;
const PUSH: i32 = 8;

/// Where an event happened: the local and the remote end (either may be
/// empty), and whether this side bound. Version 1 names one end: the
/// local one where this side bound, the remote one otherwise.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ends<'a> {
    pub local: &'a str,
    pub remote: &'a str,
    pub bound: bool,
}

impl<'a> Ends<'a> {
    /// An endpoint bound here, with no connection yet.
    pub fn bound(endpoint: &'a str) -> Ends<'a> {
        Ends {
            local: endpoint,
            remote: "",
            bound: true,
        }
    }

    /// An endpoint connected to, with no connection yet.
    pub fn connecting(endpoint: &'a str) -> Ends<'a> {
        Ends {
            local: "",
            remote: endpoint,
            bound: false,
        }
    }

    fn named(&self) -> &'a str {
        if self.bound {
            self.local
        } else {
            self.remote
        }
    }
}

/// The socket events go to, which events it wants, and in which format.
struct Monitor {
    socket: Socket,
    events: u64,
    version: i32,
}

/// A socket's monitor, if one runs; shared with the socket's sessions so
/// that starting or stopping it applies to connections already made.
#[derive(Clone, Default)]
pub struct Monitors(Arc<Mutex<Option<Arc<Monitor>>>>);

impl Monitors {
    /// Reports `event` with one value if it is monitored.
    pub fn event(&self, event: u32, value: u32, ends: Ends) {
        self.publish(event, &[u64::from(value)], ends);
    }

    /// Reports `event` with its values if it is monitored.
    pub fn publish(&self, event: u32, values: &[u64], ends: Ends) {
        let Some(monitor) = self.0.lock().clone() else {
            return;
        };
        if monitor.events & u64::from(event) == 0 {
            return;
        }
        monitor.send(event, values, ends);
    }

    /// Whether a monitor runs that wants `event`.
    pub fn wants(&self, event: u32) -> bool {
        self.0
            .lock()
            .as_ref()
            .is_some_and(|m| m.events & u64::from(event) != 0)
    }

    /// Starts monitoring into a new socket of `socket_type` (PAIR, PUB or
    /// PUSH) bound to `endpoint` (an inproc one), in format `version` (1
    /// or 2), after stopping any monitor running; `None` only stops.
    pub fn start(
        &self,
        ctx: &Context,
        endpoint: Option<&str>,
        events: u64,
        version: i32,
        socket_type: i32,
    ) -> Result<()> {
        // Version 1 carries the event number in 16 bits.
        if version == 1 && events >> 16 != 0 {
            return Err(Error::Invalid);
        }
        let Some(endpoint) = endpoint else {
            self.stop();
            return Ok(());
        };
        if version != 1 && version != 2 {
            return Err(Error::Invalid);
        }
        let (transport, address) = endpoint.split_once("://").ok_or(Error::Invalid)?;
        if address.is_empty() {
            return Err(Error::Invalid);
        }
        if transport != "inproc" {
            return Err(Error::ProtocolNotSupported);
        }
        self.stop();
        if ![PAIR, PUB, PUSH].contains(&socket_type) {
            return Err(Error::Invalid);
        }
        let socket = Socket::new();
        socket.open(ctx, socket_type)?;
        if let Err(e) = socket.bind(endpoint) {
            let _ = socket.close();
            return Err(e);
        }
        *self.0.lock() = Some(Arc::new(Monitor {
            socket,
            events,
            version,
        }));
        Ok(())
    }

    /// Stops monitoring: MONITOR_STOPPED goes out last.
    pub fn stop(&self) {
        let Some(monitor) = self.0.lock().take() else {
            return;
        };
        if monitor.events & u64::from(MONITOR_STOPPED) != 0 {
            monitor.send(MONITOR_STOPPED, &[0], Ends::default());
        }
        let _ = monitor.socket.close();
    }
}

impl Monitor {
    fn send(&self, event: u32, values: &[u64], ends: Ends) {
        let frames = if self.version == 1 {
            let mut head = [0u8; 6];
            // Version 1's events all fit in 16 bits and its values in 32.
            head[..2].copy_from_slice(&(event as u16).to_ne_bytes());
            let value = values.first().copied().unwrap_or(0) as u32;
            head[2..].copy_from_slice(&value.to_ne_bytes());
            vec![
                Msg::from_slice(&head),
                Msg::from_slice(ends.named().as_bytes()),
            ]
        } else {
            let numbers = [u64::from(event), values.len() as u64]
                .into_iter()
                .chain(values.iter().copied());
            numbers
                .map(|n| Msg::from_slice(&n.to_ne_bytes()))
                .chain([
                    Msg::from_slice(ends.local.as_bytes()),
                    Msg::from_slice(ends.remote.as_bytes()),
                ])
                .collect()
        };
        let Ok(frames) = frames.into_iter().collect::<Result<Vec<Msg>>>() else {
            return;
        };
        let last = frames.len() - 1;
        for (i, mut frame) in frames.into_iter().enumerate() {
            let flags = if i == last {
                DONTWAIT
            } else {
                SNDMORE | DONTWAIT
            };
            // Once the first frame is in, the rest always fit; a monitor
            // with no room (or no reader) drops the event.
            if self.socket.send(&mut frame, flags).is_err() {
                return;
            }
        }
    }
}
