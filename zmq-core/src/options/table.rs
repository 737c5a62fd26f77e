//! The table of socket options: one row per option this library knows,
//! in number order. A row says everything `zmq_setsockopt` and
//! `zmq_getsockopt` check before an option's own code runs, how the
//! simple options are stored, and what `docs/options.md` shows.

use super::*;

/// Socket type numbers, as `zmq.h` gives them.
const PUB: u32 = 1;
const SUB: u32 = 2;
const REQ: u32 = 3;
const REP: u32 = 4;
const DEALER: u32 = 5;
const ROUTER: u32 = 6;
const XPUB: u32 = 9;
const XSUB: u32 = 10;
const STREAM: u32 = 11;

/// The socket types that take an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sockets(u32);

impl Sockets {
    pub const ALL: Sockets = Sockets((1 << 21) - 1);

    const fn of(types: &[u32]) -> Sockets {
        let mut bits = 0;
        let mut i = 0;
        while i < types.len() {
            bits |= 1 << types[i];
            i += 1;
        }
        Sockets(bits)
    }

    /// Whether a socket of this `zmq.h` type takes the option.
    pub fn take(self, socket_type: i32) -> bool {
        u32::try_from(socket_type).is_ok_and(|t| t < 32 && self.0 & (1 << t) != 0)
    }
}

const PUBLISHERS: Sockets = Sockets::of(&[PUB, XPUB]);
const ROUTERS: Sockets = Sockets::of(&[ROUTER, REP]);

/// The C type of an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Int,
    Int64,
    Uint64,
    /// Bytes, taken as given.
    Binary,
    /// Bytes, read back with a final NUL.
    String,
    /// A CURVE key: 32 bytes, or 40 characters of Z85.
    Key,
}

/// How an option's value is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// An int in `min..=max`, stored as given.
    Int { min: i32, max: i32, default: i32 },
    /// An int of any value, non-zero meaning on; reads back 0 or 1.
    Switch { default: bool },
    /// Bytes of at most `max`; NULL clears.
    Bytes { max: usize },
    /// Code of its own (the common store, the socket type's pattern, or
    /// the socket) decodes and keeps it; `default` as documented.
    Own { default: &'static str },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
    WriteOnly,
}

/// When a new value takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// At the next call that uses it.
    Now,
    /// For the binds and connects made after it (copied then, as libzmq).
    NewEndpoints,
    /// As `NewEndpoints`, and for the pipes that exist.
    AlsoExisting,
}

/// Which builds know an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    Stable,
    /// Declared in zmq.h's draft part, but every libzmq 4.3 build takes it.
    EveryBuild,
    /// A build with the draft API only (`--features draft`).
    Draft,
}

#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub number: i32,
    /// The name after `ZMQ_`.
    pub name: &'static str,
    pub ty: Type,
    pub store: Store,
    /// The types that take it (with zmq_setsockopt); a readable option
    /// reads on every type.
    pub sockets: Sockets,
    pub access: Access,
    pub scope: Scope,
    pub build: Build,
}

impl Spec {
    /// Whether this build knows the option.
    pub fn available(&self) -> bool {
        self.build != Build::Draft || cfg!(feature = "draft")
    }

    pub fn readable(&self) -> bool {
        self.access != Access::WriteOnly
    }

    pub fn writable(&self) -> bool {
        self.access != Access::ReadOnly
    }

    const fn new(number: i32, name: &'static str, ty: Type, store: Store) -> Spec {
        Spec {
            number,
            name,
            ty,
            store,
            sockets: Sockets::ALL,
            access: Access::ReadWrite,
            scope: Scope::NewEndpoints,
            build: Build::Stable,
        }
    }

    const fn sockets(mut self, sockets: Sockets) -> Spec {
        self.sockets = sockets;
        self
    }

    const fn write_only(mut self) -> Spec {
        self.access = Access::WriteOnly;
        self
    }

    const fn read_only(mut self) -> Spec {
        self.access = Access::ReadOnly;
        self.scope = Scope::Now;
        self
    }

    const fn now(mut self) -> Spec {
        self.scope = Scope::Now;
        self
    }

    const fn also_existing(mut self) -> Spec {
        self.scope = Scope::AlsoExisting;
        self
    }

    const fn every_build(mut self) -> Spec {
        self.build = Build::EveryBuild;
        self
    }

    const fn draft(mut self) -> Spec {
        self.build = Build::Draft;
        self
    }
}

const MAX: i32 = i32::MAX;

const fn int(number: i32, name: &'static str, min: i32, max: i32, default: i32) -> Spec {
    Spec::new(number, name, Type::Int, Store::Int { min, max, default })
}

const fn own(number: i32, name: &'static str, ty: Type, default: &'static str) -> Spec {
    Spec::new(number, name, ty, Store::Own { default })
}

const fn bytes(number: i32, name: &'static str, max: usize) -> Spec {
    Spec::new(number, name, Type::String, Store::Bytes { max })
}

const fn switch(number: i32, name: &'static str, default: bool) -> Spec {
    Spec::new(number, name, Type::Int, Store::Switch { default })
}

/// A type-specific on/off switch, write-only as in libzmq.
const fn flag(number: i32, name: &'static str, sockets: Sockets) -> Spec {
    own(number, name, Type::Int, "0")
        .sockets(sockets)
        .write_only()
        .now()
}

/// Every option this library knows, in number order.
pub const TABLE: &[Spec] = &[
    own(AFFINITY, "AFFINITY", Type::Uint64, "0"),
    own(ROUTING_ID, "ROUTING_ID", Type::Binary, "empty"),
    own(SUBSCRIBE, "SUBSCRIBE", Type::Binary, "none")
        .sockets(Sockets::of(&[SUB, PUB, XPUB]))
        .write_only()
        .now(),
    own(UNSUBSCRIBE, "UNSUBSCRIBE", Type::Binary, "none")
        .sockets(Sockets::of(&[SUB, PUB, XPUB]))
        .write_only()
        .now(),
    int(RATE, "RATE", 1, MAX, 100),
    int(RECOVERY_IVL, "RECOVERY_IVL", 0, MAX, 10_000),
    int(SNDBUF, "SNDBUF", -1, MAX, -1),
    int(RCVBUF, "RCVBUF", -1, MAX, -1),
    own(RCVMORE, "RCVMORE", Type::Int, "0").read_only(),
    own(FD, "FD", Type::Int, "the socket's").read_only(),
    own(EVENTS, "EVENTS", Type::Int, "0").read_only(),
    own(TYPE, "TYPE", Type::Int, "the socket's").read_only(),
    // SUB and XSUB start at 0 (libzmq).
    int(LINGER, "LINGER", -1, MAX, -1).now(),
    int(RECONNECT_IVL, "RECONNECT_IVL", -1, MAX, 100),
    int(BACKLOG, "BACKLOG", 0, MAX, 100),
    int(RECONNECT_IVL_MAX, "RECONNECT_IVL_MAX", 0, MAX, 0),
    own(MAXMSGSIZE, "MAXMSGSIZE", Type::Int64, "-1"),
    int(SNDHWM, "SNDHWM", 0, MAX, 1000).also_existing(),
    int(RCVHWM, "RCVHWM", 0, MAX, 1000).also_existing(),
    int(MULTICAST_HOPS, "MULTICAST_HOPS", 1, MAX, 1),
    int(RCVTIMEO, "RCVTIMEO", -1, MAX, -1).now(),
    int(SNDTIMEO, "SNDTIMEO", -1, MAX, -1).now(),
    own(IPV4ONLY, "IPV4ONLY", Type::Int, "1"),
    own(LAST_ENDPOINT, "LAST_ENDPOINT", Type::String, "empty").read_only(),
    flag(ROUTER_MANDATORY, "ROUTER_MANDATORY", ROUTERS),
    int(TCP_KEEPALIVE, "TCP_KEEPALIVE", -1, 1, -1),
    int(TCP_KEEPALIVE_CNT, "TCP_KEEPALIVE_CNT", -1, MAX, -1),
    int(TCP_KEEPALIVE_IDLE, "TCP_KEEPALIVE_IDLE", -1, MAX, -1),
    int(TCP_KEEPALIVE_INTVL, "TCP_KEEPALIVE_INTVL", -1, MAX, -1),
    own(TCP_ACCEPT_FILTER, "TCP_ACCEPT_FILTER", Type::String, "none").write_only(),
    int(IMMEDIATE, "IMMEDIATE", 0, 1, 0),
    flag(XPUB_VERBOSE, "XPUB_VERBOSE", PUBLISHERS),
    own(ROUTER_RAW, "ROUTER_RAW", Type::Int, "0")
        .sockets(ROUTERS)
        .write_only(),
    int(IPV6, "IPV6", 0, 1, 0),
    own(MECHANISM, "MECHANISM", Type::Int, "0 (NULL)").read_only(),
    own(PLAIN_SERVER, "PLAIN_SERVER", Type::Int, "0"),
    own(PLAIN_USERNAME, "PLAIN_USERNAME", Type::String, "empty"),
    own(PLAIN_PASSWORD, "PLAIN_PASSWORD", Type::String, "empty"),
    own(CURVE_SERVER, "CURVE_SERVER", Type::Int, "0"),
    own(
        CURVE_PUBLICKEY,
        "CURVE_PUBLICKEY",
        Type::Key,
        "32 zero bytes",
    ),
    own(
        CURVE_SECRETKEY,
        "CURVE_SECRETKEY",
        Type::Key,
        "32 zero bytes",
    ),
    own(
        CURVE_SERVERKEY,
        "CURVE_SERVERKEY",
        Type::Key,
        "32 zero bytes",
    ),
    own(PROBE_ROUTER, "PROBE_ROUTER", Type::Int, "0")
        .sockets(Sockets::of(&[REQ, REP, DEALER, ROUTER]))
        .write_only(),
    flag(REQ_CORRELATE, "REQ_CORRELATE", Sockets::of(&[REQ])),
    flag(REQ_RELAXED, "REQ_RELAXED", Sockets::of(&[REQ])),
    int(CONFLATE, "CONFLATE", 0, 1, 0),
    own(ZAP_DOMAIN, "ZAP_DOMAIN", Type::String, "empty"),
    flag(ROUTER_HANDOVER, "ROUTER_HANDOVER", ROUTERS),
    int(TOS, "TOS", 0, MAX, 0),
    own(IPC_FILTER_PID, "IPC_FILTER_PID", Type::Int, "none").write_only(),
    own(IPC_FILTER_UID, "IPC_FILTER_UID", Type::Int, "none").write_only(),
    own(IPC_FILTER_GID, "IPC_FILTER_GID", Type::Int, "none").write_only(),
    own(
        CONNECT_ROUTING_ID,
        "CONNECT_ROUTING_ID",
        Type::Binary,
        "none",
    )
    .sockets(Sockets::of(&[ROUTER, REP, STREAM]))
    .write_only(),
    int(HANDSHAKE_IVL, "HANDSHAKE_IVL", 0, MAX, 30_000),
    bytes(SOCKS_PROXY, "SOCKS_PROXY", usize::MAX),
    flag(XPUB_NODROP, "XPUB_NODROP", PUBLISHERS),
    flag(XPUB_MANUAL, "XPUB_MANUAL", PUBLISHERS),
    own(XPUB_WELCOME_MSG, "XPUB_WELCOME_MSG", Type::Binary, "none")
        .sockets(PUBLISHERS)
        .write_only()
        .now(),
    own(STREAM_NOTIFY, "STREAM_NOTIFY", Type::Int, "1")
        .sockets(Sockets::of(&[STREAM]))
        .write_only(),
    // Every type keeps it (libzmq); the publish-subscribe types use it.
    int(INVERT_MATCHING, "INVERT_MATCHING", i32::MIN, MAX, 0).now(),
    int(HEARTBEAT_IVL, "HEARTBEAT_IVL", 0, MAX, 0),
    // Milliseconds, kept in whole deciseconds from 0 to 65535 (libzmq).
    int(HEARTBEAT_TTL, "HEARTBEAT_TTL", -99, 6_553_599, 0),
    int(HEARTBEAT_TIMEOUT, "HEARTBEAT_TIMEOUT", -1, MAX, -1),
    flag(XPUB_VERBOSER, "XPUB_VERBOSER", PUBLISHERS),
    int(CONNECT_TIMEOUT, "CONNECT_TIMEOUT", 0, MAX, 0),
    int(TCP_MAXRT, "TCP_MAXRT", 0, MAX, 0),
    own(THREAD_SAFE, "THREAD_SAFE", Type::Int, "by type").read_only(),
    int(MULTICAST_MAXTPDU, "MULTICAST_MAXTPDU", 1, MAX, 1500),
    int(USE_FD, "USE_FD", -1, MAX, -1),
    bytes(BINDTODEVICE, "BINDTODEVICE", 15),
    own(ZAP_ENFORCE_DOMAIN, "ZAP_ENFORCE_DOMAIN", Type::Int, "0").every_build(),
    // Without effect on Linux, in libzmq too.
    switch(LOOPBACK_FASTPATH, "LOOPBACK_FASTPATH", false).every_build(),
    own(METADATA, "METADATA", Type::String, "none")
        .write_only()
        .draft(),
    // Read by the udp transport (a RADIO sending to a multicast group).
    switch(MULTICAST_LOOP, "MULTICAST_LOOP", true).every_build(),
    // Every type reads it back (libzmq); ROUTER and REP take it.
    int(ROUTER_NOTIFY, "ROUTER_NOTIFY", 0, 3, 0)
        .sockets(ROUTERS)
        .draft(),
    own(
        XPUB_MANUAL_LAST_VALUE,
        "XPUB_MANUAL_LAST_VALUE",
        Type::Int,
        "0",
    )
    .sockets(PUBLISHERS)
    .write_only()
    .now()
    .every_build(),
    bytes(SOCKS_USERNAME, "SOCKS_USERNAME", 255).every_build(),
    bytes(SOCKS_PASSWORD, "SOCKS_PASSWORD", 255).every_build(),
    // Bytes read from a connection at a time (libzmq's default is 8192;
    // ours is larger: docs/differences.md).
    int(IN_BATCH_SIZE, "IN_BATCH_SIZE", 1, MAX, 65_536).draft(),
    // Bytes of output a connection gathers before it stops taking messages
    // from its queue (libzmq's default is 8192; ours is larger, as above).
    int(OUT_BATCH_SIZE, "OUT_BATCH_SIZE", 1, MAX, 262_144).draft(),
    own(ONLY_FIRST_SUBSCRIBE, "ONLY_FIRST_SUBSCRIBE", Type::Int, "0")
        .sockets(Sockets::of(&[PUB, XPUB, XSUB]))
        .write_only()
        .now()
        .every_build(),
    own(RECONNECT_STOP, "RECONNECT_STOP", Type::Int, "0").every_build(),
    // Every type takes them; ROUTER, REP and DEALER (REQ over inproc) send
    // the hello, ROUTER and REP receive the farewell.
    own(HELLO_MSG, "HELLO_MSG", Type::Binary, "none")
        .write_only()
        .draft(),
    own(DISCONNECT_MSG, "DISCONNECT_MSG", Type::Binary, "none")
        .write_only()
        .draft(),
    // SO_PRIORITY of tcp sockets (0: left alone).
    int(PRIORITY, "PRIORITY", 0, MAX, 0).draft(),
    // SO_BUSY_POLL of tcp sockets in microseconds (0 or less: left alone).
    int(BUSY_POLL, "BUSY_POLL", i32::MIN, MAX, 0)
        .write_only()
        .draft(),
    // Every type takes it; DEALER and REQ receive it.
    own(HICCUP_MSG, "HICCUP_MSG", Type::Binary, "none")
        .write_only()
        .draft(),
    own(
        XSUB_VERBOSE_UNSUBSCRIBE,
        "XSUB_VERBOSE_UNSUBSCRIBE",
        Type::Int,
        "0",
    )
    .sockets(Sockets::of(&[XSUB]))
    .write_only()
    .now()
    .draft(),
    // Read on PUB, XPUB, SUB and XSUB (libzmq 4.3.5 answers in every build).
    own(TOPICS_COUNT, "TOPICS_COUNT", Type::Int, "0")
        .read_only()
        .every_build(),
];

/// The row of an option this build knows.
pub fn lookup(number: i32) -> Option<&'static Spec> {
    position(number)
        .map(|i| &TABLE[i])
        .filter(|spec| spec.available())
}

/// Where an option's row is in [`TABLE`] (whatever the build).
pub(crate) fn position(number: i32) -> Option<usize> {
    TABLE.binary_search_by_key(&number, |spec| spec.number).ok()
}

/// `docs/options.md`: the table as a page.
pub fn markdown() -> String {
    let mut page = String::from(
        "# Socket options\n\n\
         Generated from `zmq-core/src/options/table.rs` (a test keeps this page\n\
         equal to it): every socket option this library knows, with its number,\n\
         value type, default, the socket types that take it, whether it can be\n\
         read and written, when a new value takes effect, and the builds that\n\
         know it. `zmq_setsockopt(3)` describes each one.\n\n\
         | option | no. | type | default | sockets | access | takes effect | builds |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for spec in TABLE {
        let ty = match spec.ty {
            Type::Int => "int",
            Type::Int64 => "int64_t",
            Type::Uint64 => "uint64_t",
            Type::Binary => "binary",
            Type::String => "string",
            Type::Key => "CURVE key",
        };
        let range = match spec.store {
            Store::Int { min, max, .. } if (min, max) == (0, 1) => " (0 or 1)".to_owned(),
            Store::Int { min, max, .. } if min == i32::MIN && max == MAX => " (any)".to_owned(),
            Store::Int { min, max, .. } if max == MAX => format!(" (at least {min})"),
            Store::Int { min, max, .. } => format!(" ({min} to {max})"),
            Store::Bytes { max } if max < usize::MAX => format!(" (at most {max} bytes)"),
            Store::Switch { .. } => " (any)".to_owned(),
            _ => String::new(),
        };
        let default = match spec.store {
            Store::Int { default, .. } => default.to_string(),
            Store::Switch { default } => i32::from(default).to_string(),
            Store::Bytes { .. } => "empty".to_owned(),
            Store::Own { default } => default.to_owned(),
        };
        let sockets = if spec.sockets == Sockets::ALL {
            "all".to_owned()
        } else {
            (0..12)
                .filter(|&t| spec.sockets.take(t))
                .filter_map(crate::socket_type::name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let access = match spec.access {
            Access::ReadWrite => "read, write",
            Access::ReadOnly => "read",
            Access::WriteOnly => "write",
        };
        let scope = match spec.scope {
            Scope::Now => "at once",
            Scope::NewEndpoints => "next bind or connect",
            Scope::AlsoExisting => "next bind or connect, and existing queues",
        };
        let build = match spec.build {
            Build::Stable => "all",
            Build::EveryBuild => "all (draft name)",
            Build::Draft => "draft",
        };
        page.push_str(&format!(
            "| ZMQ_{} | {} | {ty}{range} | {default} | {sockets} | {access} | {scope} | {build} |\n",
            spec.name, spec.number
        ));
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_number_order_once_each() {
        for pair in TABLE.windows(2) {
            assert!(pair[0].number < pair[1].number, "{}", pair[1].name);
        }
    }

    #[test]
    fn int_defaults_are_in_their_range() {
        for spec in TABLE {
            if let Store::Int { min, max, default } = spec.store {
                assert!(min <= default && default <= max, "{}", spec.name);
                assert_eq!(spec.ty, Type::Int, "{}", spec.name);
            }
        }
    }

    #[test]
    fn drafts_are_known_to_draft_builds_only() {
        assert_eq!(lookup(METADATA).is_some(), cfg!(feature = "draft"));
        assert!(lookup(RECONNECT_STOP).is_some());
        assert!(lookup(62).is_none(), "GSSAPI is not built");
        assert!(lookup(70).is_none(), "ZMQ_BLOCKY is a context option");
    }

    #[test]
    fn socket_sets() {
        let routers = lookup(ROUTER_RAW).unwrap().sockets;
        assert!(routers.take(6) && routers.take(4) && !routers.take(5));
        assert!(!routers.take(-1) && !routers.take(40));
        assert!(Sockets::ALL.take(20) && !Sockets::ALL.take(21));
    }

    /// docs/options.md is the table; `ZMQ_WRITE_DOCS=1 cargo test` writes it.
    #[test]
    fn the_options_page_is_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/options.md");
        let page = markdown();
        if std::env::var_os("ZMQ_WRITE_DOCS").is_some() {
            std::fs::write(path, &page).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == page,
            "docs/options.md differs from the table: run ZMQ_WRITE_DOCS=1 cargo test"
        );
    }
}
