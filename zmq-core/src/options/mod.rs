//! Socket options: their numbers, the one table that says what each is
//! (type, default, range, the socket types that take it, when it takes
//! effect, whether it can be read or written, stable or draft), and the
//! values of the common ones ([`Options`]). A leaf: every layer may use it.
//!
//! `zmq_setsockopt` and `zmq_getsockopt` consult [`TABLE`] before anything
//! else; `docs/options.md` is rendered from it (and a test keeps the two
//! equal).

mod snapshot;
mod store;
mod table;

pub use snapshot::*;
pub use store::*;
pub use table::*;

pub const AFFINITY: i32 = 4;
pub const ROUTING_ID: i32 = 5;
pub const SUBSCRIBE: i32 = 6;
pub const UNSUBSCRIBE: i32 = 7;
pub const RATE: i32 = 8;
pub const RECOVERY_IVL: i32 = 9;
pub const SNDBUF: i32 = 11;
pub const RCVBUF: i32 = 12;
pub const RCVMORE: i32 = 13;
pub const FD: i32 = 14;
pub const EVENTS: i32 = 15;
pub const TYPE: i32 = 16;
pub const LINGER: i32 = 17;
pub const RECONNECT_IVL: i32 = 18;
pub const BACKLOG: i32 = 19;
pub const RECONNECT_IVL_MAX: i32 = 21;
pub const MAXMSGSIZE: i32 = 22;
pub const SNDHWM: i32 = 23;
pub const RCVHWM: i32 = 24;
pub const MULTICAST_HOPS: i32 = 25;
pub const RCVTIMEO: i32 = 27;
pub const SNDTIMEO: i32 = 28;
pub const IPV4ONLY: i32 = 31;
pub const LAST_ENDPOINT: i32 = 32;
pub const ROUTER_MANDATORY: i32 = 33;
pub const TCP_KEEPALIVE: i32 = 34;
pub const TCP_KEEPALIVE_CNT: i32 = 35;
pub const TCP_KEEPALIVE_IDLE: i32 = 36;
pub const TCP_KEEPALIVE_INTVL: i32 = 37;
pub const TCP_ACCEPT_FILTER: i32 = 38;
pub const IMMEDIATE: i32 = 39;
pub const XPUB_VERBOSE: i32 = 40;
pub const ROUTER_RAW: i32 = 41;
pub const IPV6: i32 = 42;
pub const MECHANISM: i32 = 43;
pub const PLAIN_SERVER: i32 = 44;
pub const PLAIN_USERNAME: i32 = 45;
pub const PLAIN_PASSWORD: i32 = 46;
pub const CURVE_SERVER: i32 = 47;
pub const CURVE_PUBLICKEY: i32 = 48;
pub const CURVE_SECRETKEY: i32 = 49;
pub const CURVE_SERVERKEY: i32 = 50;
pub const PROBE_ROUTER: i32 = 51;
pub const REQ_CORRELATE: i32 = 52;
pub const REQ_RELAXED: i32 = 53;
pub const CONFLATE: i32 = 54;
pub const ZAP_DOMAIN: i32 = 55;
pub const ROUTER_HANDOVER: i32 = 56;
pub const TOS: i32 = 57;
pub const IPC_FILTER_PID: i32 = 58;
pub const IPC_FILTER_UID: i32 = 59;
pub const IPC_FILTER_GID: i32 = 60;
pub const CONNECT_ROUTING_ID: i32 = 61;
pub const HANDSHAKE_IVL: i32 = 66;
pub const SOCKS_PROXY: i32 = 68;
pub const XPUB_NODROP: i32 = 69;
pub const XPUB_MANUAL: i32 = 71;
pub const XPUB_WELCOME_MSG: i32 = 72;
pub const STREAM_NOTIFY: i32 = 73;
pub const INVERT_MATCHING: i32 = 74;
pub const HEARTBEAT_IVL: i32 = 75;
pub const HEARTBEAT_TTL: i32 = 76;
pub const HEARTBEAT_TIMEOUT: i32 = 77;
pub const XPUB_VERBOSER: i32 = 78;
pub const CONNECT_TIMEOUT: i32 = 79;
pub const TCP_MAXRT: i32 = 80;
pub const THREAD_SAFE: i32 = 81;
pub const MULTICAST_MAXTPDU: i32 = 84;
pub const USE_FD: i32 = 89;
pub const BINDTODEVICE: i32 = 92;
// Declared in zmq.h's draft part; the table says which builds take them.
pub const ZAP_ENFORCE_DOMAIN: i32 = 93;
pub const LOOPBACK_FASTPATH: i32 = 94;
pub const METADATA: i32 = 95;
pub const MULTICAST_LOOP: i32 = 96;
pub const ROUTER_NOTIFY: i32 = 97;
pub const XPUB_MANUAL_LAST_VALUE: i32 = 98;
pub const SOCKS_USERNAME: i32 = 99;
pub const SOCKS_PASSWORD: i32 = 100;
pub const IN_BATCH_SIZE: i32 = 101;
pub const OUT_BATCH_SIZE: i32 = 102;
pub const ONLY_FIRST_SUBSCRIBE: i32 = 108;
pub const RECONNECT_STOP: i32 = 109;
pub const HELLO_MSG: i32 = 110;
pub const DISCONNECT_MSG: i32 = 111;
pub const PRIORITY: i32 = 112;
pub const BUSY_POLL: i32 = 113;
pub const HICCUP_MSG: i32 = 114;
pub const XSUB_VERBOSE_UNSUBSCRIBE: i32 = 115;
pub const TOPICS_COUNT: i32 = 116;

/// ZMQ_ROUTER_NOTIFY flags.
pub const NOTIFY_CONNECT: i32 = 1;
pub const NOTIFY_DISCONNECT: i32 = 2;

/// ZMQ_RECONNECT_STOP flags.
pub const RECONNECT_STOP_CONN_REFUSED: i32 = 0x1;
pub const RECONNECT_STOP_HANDSHAKE_FAILED: i32 = 0x2;
pub const RECONNECT_STOP_AFTER_DISCONNECT: i32 = 0x4;
