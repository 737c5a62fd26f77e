//! Every socket type, one row each: its `zmq.h` number, its ZMTP name (the
//! Socket-Type property), the peers it may complete a handshake with, what
//! its connections carry beyond messages, and, for the types this library
//! opens, the pattern that runs it and how its socket differs from the
//! others. Nothing else names a type: a new one is a pattern file and a
//! row here.

use crate::error::{Error, Result};
use crate::socket::{
    dealer, dgram, pubsub, radio_dish, rep, req, router, server, simple, single_part, stream,
    Pattern,
};

/// Subscriptions on a type's connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subscriptions {
    None,
    /// SUB and XSUB send them (SUBSCRIBE and CANCEL, or their 3.0 form).
    Sends,
    /// PUB and XPUB receive them.
    Receives,
}

/// Groups on a type's connections (RFC 48).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Groups {
    None,
    /// RADIO: each message leaves as a group frame and a body frame; JOIN
    /// and LEAVE arrive.
    Sends,
    /// DISH: JOIN and LEAVE leave; each message arrives as a group frame
    /// and a body frame.
    Joins,
}

/// Where udp fits a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Udp {
    Never,
    /// Beside the other transports (RADIO, DISH).
    Also,
    /// The only transport (DGRAM).
    Only,
}

/// Which peers get ZMQ_HELLO_MSG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hello {
    None,
    All,
    /// Over inproc only (libzmq's REQ sessions send none).
    Inproc,
}

/// One socket type.
pub struct TypeRow {
    pub number: i32,
    /// The Socket-Type property (upper case, compared as bytes).
    pub name: &'static str,
    /// The types it may talk to (RFC 37 and the draft RFCs); none for
    /// STREAM and DGRAM, which speak no ZMTP.
    pub peers: &'static [&'static str],
    pub subscriptions: Subscriptions,
    pub groups: Groups,
    /// Its READY carries an Identity (its routing id), for peers that
    /// route by it.
    pub announces_identity: bool,
    /// What runs a socket of this type; `None` for a draft type this
    /// library does not open (EINVAL).
    pattern: Option<fn() -> Box<dyn Pattern>>,
    hello: Hello,
    /// Messages are written to an idle connection on the sending thread:
    /// REQ and REP wait for the answer next, so batching cannot gain
    /// anything and a wake-up of the I/O thread is a hop of latency.
    writes_through: bool,
    /// ZMQ_DISCONNECT_MSG reaches it.
    hears_disconnect: bool,
    /// ZMQ_HICCUP_MSG reaches it.
    hears_hiccup: bool,
    /// It starts with ZMQ_LINGER 0 (as in libzmq): subscriptions not yet
    /// sent are not worth waiting for at close.
    linger_zero: bool,
    /// Several threads may use one socket at once (ZMQ_THREAD_SAFE): its
    /// calls sleep on a condition variable every change rings, and it has
    /// no ZMQ_FD.
    thread_safe: bool,
    udp: Udp,
}

const fn row(number: i32, name: &'static str, peers: &'static [&'static str]) -> TypeRow {
    TypeRow {
        number,
        name,
        peers,
        subscriptions: Subscriptions::None,
        groups: Groups::None,
        announces_identity: false,
        pattern: None,
        hello: Hello::None,
        writes_through: false,
        hears_disconnect: false,
        hears_hiccup: false,
        linger_zero: false,
        thread_safe: false,
        udp: Udp::Never,
    }
}

/// In `zmq.h` order: a type's row is at its number. The stable types
/// 0..=11, then the draft ones.
static TYPES: [TypeRow; 21] = [
    TypeRow {
        pattern: Some(|| Box::new(simple::Pair::default())),
        ..row(0, "PAIR", &["PAIR"])
    },
    TypeRow {
        subscriptions: Subscriptions::Receives,
        pattern: Some(|| Box::new(pubsub::PubSocket::publisher())),
        ..row(1, "PUB", &["SUB", "XSUB"])
    },
    TypeRow {
        subscriptions: Subscriptions::Sends,
        pattern: Some(|| Box::new(pubsub::SubSocket::subscriber())),
        linger_zero: true,
        ..row(2, "SUB", &["PUB", "XPUB"])
    },
    TypeRow {
        announces_identity: true,
        pattern: Some(|| Box::new(req::Req::default())),
        hello: Hello::Inproc,
        writes_through: true,
        hears_hiccup: true,
        ..row(3, "REQ", &["REP", "ROUTER"])
    },
    TypeRow {
        pattern: Some(|| Box::new(rep::Rep::default())),
        hello: Hello::All,
        writes_through: true,
        hears_disconnect: true,
        ..row(4, "REP", &["REQ", "DEALER"])
    },
    TypeRow {
        announces_identity: true,
        pattern: Some(|| Box::new(dealer::Dealer::default())),
        hello: Hello::All,
        hears_hiccup: true,
        ..row(5, "DEALER", &["REP", "DEALER", "ROUTER"])
    },
    TypeRow {
        announces_identity: true,
        pattern: Some(|| Box::new(router::Router::default())),
        hello: Hello::All,
        hears_disconnect: true,
        ..row(6, "ROUTER", &["REQ", "DEALER", "ROUTER"])
    },
    TypeRow {
        pattern: Some(|| Box::new(simple::Pull::default())),
        ..row(7, "PULL", &["PUSH"])
    },
    TypeRow {
        pattern: Some(|| Box::new(simple::Push::default())),
        ..row(8, "PUSH", &["PULL"])
    },
    TypeRow {
        subscriptions: Subscriptions::Receives,
        pattern: Some(|| Box::new(pubsub::PubSocket::xpub())),
        ..row(9, "XPUB", &["SUB", "XSUB"])
    },
    TypeRow {
        subscriptions: Subscriptions::Sends,
        pattern: Some(|| Box::new(pubsub::SubSocket::xsub())),
        linger_zero: true,
        ..row(10, "XSUB", &["PUB", "XPUB"])
    },
    TypeRow {
        pattern: Some(|| Box::new(stream::Stream::default())),
        ..row(11, "STREAM", &[])
    },
    TypeRow {
        pattern: Some(|| Box::new(server::Server::default())),
        thread_safe: true,
        ..row(12, "SERVER", &["CLIENT"])
    },
    TypeRow {
        pattern: Some(|| Box::new(single_part::Client::default())),
        thread_safe: true,
        ..row(13, "CLIENT", &["SERVER"])
    },
    TypeRow {
        groups: Groups::Sends,
        pattern: Some(|| Box::new(radio_dish::Radio::default())),
        thread_safe: true,
        udp: Udp::Also,
        ..row(14, "RADIO", &["DISH"])
    },
    TypeRow {
        groups: Groups::Joins,
        pattern: Some(|| Box::new(radio_dish::Dish::default())),
        thread_safe: true,
        udp: Udp::Also,
        ..row(15, "DISH", &["RADIO"])
    },
    TypeRow {
        pattern: Some(|| Box::new(single_part::Gather::default())),
        thread_safe: true,
        ..row(16, "GATHER", &["SCATTER"])
    },
    TypeRow {
        pattern: Some(|| Box::new(single_part::Scatter::default())),
        thread_safe: true,
        ..row(17, "SCATTER", &["GATHER"])
    },
    TypeRow {
        pattern: Some(|| Box::new(dgram::Dgram::default())),
        udp: Udp::Only,
        ..row(18, "DGRAM", &[])
    },
    TypeRow {
        pattern: Some(|| Box::new(server::Server::peer())),
        thread_safe: true,
        ..row(19, "PEER", &["PEER"])
    },
    TypeRow {
        pattern: Some(|| Box::new(single_part::Channel::default())),
        thread_safe: true,
        ..row(20, "CHANNEL", &["CHANNEL"])
    },
];

/// The row of a `zmq.h` socket type.
pub fn lookup(number: i32) -> Option<&'static TypeRow> {
    usize::try_from(number).ok().and_then(|n| TYPES.get(n))
}

/// The Socket-Type name of a `zmq.h` socket type.
pub fn name(number: i32) -> Option<&'static str> {
    lookup(number).map(|t| t.name)
}

/// The `zmq.h` number of a Socket-Type name (exact, upper case: names are
/// compared as bytes, as libzmq does).
pub fn number(name: &str) -> Option<i32> {
    TYPES.iter().find(|t| t.name == name).map(|t| t.number)
}

impl TypeRow {
    /// Whether it accepts a peer announcing the Socket-Type `theirs` (the
    /// property's raw value).
    pub fn accepts(&self, theirs: &[u8]) -> bool {
        self.peers.iter().any(|p| p.as_bytes() == theirs)
    }
}

/// A type this library opens: a socket's handle on its row.
#[derive(Clone, Copy)]
pub struct SocketType {
    row: &'static TypeRow,
    pattern: fn() -> Box<dyn Pattern>,
}

impl SocketType {
    /// The type of a `zmq.h` number (EINVAL for one this library does not
    /// open).
    pub fn from_raw(number: i32) -> Result<SocketType> {
        let row = lookup(number).ok_or(Error::Invalid)?;
        let pattern = row.pattern.ok_or(Error::Invalid)?;
        Ok(SocketType { row, pattern })
    }

    pub fn number(self) -> i32 {
        self.row.number
    }

    pub fn name(self) -> &'static str {
        self.row.name
    }

    /// A new pattern of this type.
    pub(crate) fn pattern(self) -> Box<dyn Pattern> {
        (self.pattern)()
    }

    /// Whether ZMQ_HELLO_MSG goes to this type's peers over inproc or
    /// over a connection.
    pub(crate) fn sends_hello(self, inproc: bool) -> bool {
        match self.row.hello {
            Hello::None => false,
            Hello::All => true,
            Hello::Inproc => inproc,
        }
    }

    pub(crate) fn writes_through(self) -> bool {
        self.row.writes_through
    }

    pub(crate) fn hears_disconnect(self) -> bool {
        self.row.hears_disconnect
    }

    pub(crate) fn hears_hiccup(self) -> bool {
        self.row.hears_hiccup
    }

    pub(crate) fn starts_with_linger_zero(self) -> bool {
        self.row.linger_zero
    }

    pub fn thread_safe(self) -> bool {
        self.row.thread_safe
    }

    pub(crate) fn udp(self) -> Udp {
        self.row.udp
    }

    pub(crate) fn groups(self) -> Groups {
        self.row.groups
    }
}

impl PartialEq for SocketType {
    fn eq(&self, other: &SocketType) -> bool {
        self.number() == other.number()
    }
}

impl Eq for SocketType {}

impl std::fmt::Debug for SocketType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a socket of type `ours` accepts a peer announcing `theirs`.
    fn compatible(ours: &str, theirs: &str) -> bool {
        number(ours)
            .and_then(lookup)
            .is_some_and(|t| t.accepts(theirs.as_bytes()))
    }

    #[test]
    fn names_and_numbers_round_trip() {
        for (n, row) in TYPES.iter().enumerate() {
            assert_eq!(row.number, n as i32);
            assert_eq!(number(name(row.number).unwrap()), Some(row.number));
        }
        assert_eq!(name(5), Some("DEALER"));
        assert_eq!(name(21), None);
        assert_eq!(name(-1), None);
        assert_eq!(number("dealer"), None);
        assert_eq!(number("XSUB"), Some(10));
    }

    #[test]
    fn the_types_with_a_pattern_open() {
        for n in 0..=20 {
            assert_eq!(SocketType::from_raw(n).map(SocketType::number), Ok(n));
        }
        for bad in [-1, 21, i32::MAX, i32::MIN] {
            assert_eq!(SocketType::from_raw(bad), Err(Error::Invalid));
        }
    }

    #[test]
    fn compatibility_is_symmetric_and_as_documented() {
        for a in TYPES.iter().map(|t| t.name) {
            for b in TYPES.iter().map(|t| t.name) {
                assert_eq!(compatible(a, b), compatible(b, a), "{a} {b}");
            }
        }
        let ok = [
            ("PAIR", "PAIR"),
            ("PUB", "SUB"),
            ("PUB", "XSUB"),
            ("XPUB", "SUB"),
            ("XPUB", "XSUB"),
            ("REQ", "REP"),
            ("REQ", "ROUTER"),
            ("REP", "DEALER"),
            ("DEALER", "DEALER"),
            ("DEALER", "ROUTER"),
            ("ROUTER", "ROUTER"),
            ("PUSH", "PULL"),
        ];
        for (a, b) in ok {
            assert!(compatible(a, b), "{a} {b}");
        }
        let bad = [
            ("PAIR", "PUB"),
            ("PUB", "PUB"),
            ("SUB", "SUB"),
            ("REQ", "REQ"),
            ("REQ", "DEALER"),
            ("REP", "REP"),
            ("REP", "ROUTER"),
            ("PUSH", "PUSH"),
            ("STREAM", "STREAM"),
            ("STREAM", "DEALER"),
            ("DEALER", "STREAM"),
            ("PUB", "sub"),
            ("", ""),
        ];
        for (a, b) in bad {
            assert!(!compatible(a, b), "{a} {b}");
        }
        assert!(!lookup(1).unwrap().accepts(b"SUB\0"));
    }

    #[test]
    fn what_each_type_carries_and_does_follows_libzmq() {
        let named = |pick: fn(&TypeRow) -> bool| -> Vec<&str> {
            TYPES.iter().filter(|t| pick(t)).map(|t| t.name).collect()
        };
        assert_eq!(
            named(|t| t.subscriptions == Subscriptions::Receives),
            ["PUB", "XPUB"]
        );
        assert_eq!(
            named(|t| t.subscriptions == Subscriptions::Sends),
            ["SUB", "XSUB"]
        );
        assert_eq!(named(|t| t.announces_identity), ["REQ", "DEALER", "ROUTER"]);
        assert_eq!(
            named(|t| t.hello == Hello::All),
            ["REP", "DEALER", "ROUTER"]
        );
        assert_eq!(named(|t| t.hello == Hello::Inproc), ["REQ"]);
        assert_eq!(named(|t| t.writes_through), ["REQ", "REP"]);
        assert_eq!(named(|t| t.hears_disconnect), ["REP", "ROUTER"]);
        assert_eq!(named(|t| t.hears_hiccup), ["REQ", "DEALER"]);
        assert_eq!(named(|t| t.linger_zero), ["SUB", "XSUB"]);
        assert_eq!(
            named(|t| t.thread_safe),
            ["SERVER", "CLIENT", "RADIO", "DISH", "GATHER", "SCATTER", "PEER", "CHANNEL"]
        );
        assert_eq!(named(|t| t.groups == Groups::Sends), ["RADIO"]);
        assert_eq!(named(|t| t.groups == Groups::Joins), ["DISH"]);
        assert_eq!(named(|t| t.udp == Udp::Also), ["RADIO", "DISH"]);
        assert_eq!(named(|t| t.udp == Udp::Only), ["DGRAM"]);
    }
}
