//! The options a bind or connect copies, grouped by what reads them: the
//! queues of a connection, its tcp socket, reconnection, and the ZMTP
//! engine. Each group is taken from [`Options`] in one call, so that a
//! new option of a group is added here and read where it is used, with no
//! field-by-field copy in between.

use std::time::Duration;

use super::*;
use crate::zmtp::engine::EngineConfig;

/// How much a connection's queues hold.
#[derive(Clone, Copy, Debug)]
pub struct FlowOptions {
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub conflate: bool,
    /// ZMQ_IMMEDIATE: no queue before a connection is made.
    pub immediate: bool,
    /// ZMQ_IN_BATCH_SIZE: bytes read from the connection at a time.
    pub in_batch: usize,
    /// ZMQ_OUT_BATCH_SIZE: output gathered before the queue is left alone.
    pub out_batch: usize,
}

/// Settings of a tcp socket (the buffers of an ipc one too).
#[derive(Clone, Debug)]
pub struct TcpOptions {
    pub ipv6: bool,
    pub backlog: i32,
    pub sndbuf: i32,
    pub rcvbuf: i32,
    pub tos: i32,
    pub keepalive: i32,
    pub keepalive_cnt: i32,
    pub keepalive_idle: i32,
    pub keepalive_intvl: i32,
    pub maxrt: i32,
    pub bind_to_device: Vec<u8>,
    /// SO_PRIORITY; 0: left alone.
    pub priority: i32,
    /// SO_BUSY_POLL in microseconds; 0 or less: left alone.
    pub busy_poll: i32,
}

/// When a connecting socket tries again, and when it gives up.
#[derive(Clone, Copy, Debug)]
pub struct ReconnectOptions {
    /// ZMQ_RECONNECT_IVL; -1: never.
    pub ivl: i32,
    pub ivl_max: i32,
    /// ZMQ_RECONNECT_STOP flags.
    pub stop: i32,
    /// ZMQ_CONNECT_TIMEOUT; 0: the system's.
    pub connect_timeout: i32,
}

impl Options {
    pub fn flow(&self) -> FlowOptions {
        FlowOptions {
            sndhwm: self.int(SNDHWM),
            rcvhwm: self.int(RCVHWM),
            conflate: self.int(CONFLATE) != 0,
            immediate: self.int(IMMEDIATE) != 0,
            in_batch: usize::try_from(self.int(IN_BATCH_SIZE)).unwrap_or(1).max(1),
            out_batch: usize::try_from(self.int(OUT_BATCH_SIZE))
                .unwrap_or(1)
                .max(1),
        }
    }

    pub fn tcp(&self) -> TcpOptions {
        TcpOptions {
            ipv6: self.int(IPV6) != 0,
            backlog: self.int(BACKLOG),
            sndbuf: self.int(SNDBUF),
            rcvbuf: self.int(RCVBUF),
            tos: self.int(TOS),
            keepalive: self.int(TCP_KEEPALIVE),
            keepalive_cnt: self.int(TCP_KEEPALIVE_CNT),
            keepalive_idle: self.int(TCP_KEEPALIVE_IDLE),
            keepalive_intvl: self.int(TCP_KEEPALIVE_INTVL),
            maxrt: self.int(TCP_MAXRT),
            bind_to_device: self.bytes(BINDTODEVICE).to_vec(),
            priority: self.int(PRIORITY),
            busy_poll: self.int(BUSY_POLL),
        }
    }

    pub fn reconnect(&self) -> ReconnectOptions {
        ReconnectOptions {
            ivl: self.int(RECONNECT_IVL),
            ivl_max: self.int(RECONNECT_IVL_MAX),
            stop: self.reconnect_stop,
            connect_timeout: self.int(CONNECT_TIMEOUT),
        }
    }

    /// The engine's settings for a socket of `socket_type`; `raw`: no
    /// ZMTP (STREAM, ZMQ_ROUTER_RAW).
    pub fn engine(&self, socket_type: i32, raw: bool) -> EngineConfig {
        let ms = |option| {
            let v = self.int(option);
            (v > 0).then(|| Duration::from_millis(v as u64))
        };
        let mut engine = EngineConfig::new(socket_type);
        engine.routing_id = self.routing_id.clone();
        engine.metadata = self.app_metadata.clone();
        engine.max_msg_size = self.maxmsgsize;
        engine.heartbeat_ivl = ms(HEARTBEAT_IVL);
        engine.heartbeat_ttl = ms(HEARTBEAT_TTL).unwrap_or_default();
        engine.heartbeat_timeout = u64::try_from(self.int(HEARTBEAT_TIMEOUT))
            .ok()
            .map(Duration::from_millis);
        engine.handshake_ivl = ms(HANDSHAKE_IVL);
        engine.security = self.security.clone();
        engine.raw = raw;
        engine
    }
}
