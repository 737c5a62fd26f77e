//! Socket types as ZMTP names them (the Socket-Type property) and as
//! `zmq.h` numbers them, and which pairs may complete a handshake.

/// Name and `zmq.h` number of every socket type; the draft ones follow
/// the stable 0..=11.
const TYPES: [(&str, i32); 21] = [
    ("PAIR", 0),
    ("PUB", 1),
    ("SUB", 2),
    ("REQ", 3),
    ("REP", 4),
    ("DEALER", 5),
    ("ROUTER", 6),
    ("PULL", 7),
    ("PUSH", 8),
    ("XPUB", 9),
    ("XSUB", 10),
    ("STREAM", 11),
    ("SERVER", 12),
    ("CLIENT", 13),
    ("RADIO", 14),
    ("DISH", 15),
    ("GATHER", 16),
    ("SCATTER", 17),
    ("DGRAM", 18),
    ("PEER", 19),
    ("CHANNEL", 20),
];

/// The Socket-Type name of a `zmq.h` socket type.
pub fn name(number: i32) -> Option<&'static str> {
    TYPES.iter().find(|&&(_, n)| n == number).map(|&(s, _)| s)
}

/// The `zmq.h` number of a Socket-Type name (exact, upper case: names are
/// compared as bytes, as libzmq does).
pub fn number(name: &str) -> Option<i32> {
    TYPES.iter().find(|&&(s, _)| s == name).map(|&(_, n)| n)
}

/// The peers a socket type may talk to (RFC 37 and the draft RFCs).
/// STREAM and DGRAM speak no ZMTP, so they have none.
fn peers(ours: &str) -> &'static [&'static str] {
    match ours {
        "PAIR" => &["PAIR"],
        "PUB" | "XPUB" => &["SUB", "XSUB"],
        "SUB" | "XSUB" => &["PUB", "XPUB"],
        "REQ" => &["REP", "ROUTER"],
        "REP" => &["REQ", "DEALER"],
        "DEALER" => &["REP", "DEALER", "ROUTER"],
        "ROUTER" => &["REQ", "DEALER", "ROUTER"],
        "PUSH" => &["PULL"],
        "PULL" => &["PUSH"],
        "SERVER" => &["CLIENT"],
        "CLIENT" => &["SERVER"],
        "RADIO" => &["DISH"],
        "DISH" => &["RADIO"],
        "GATHER" => &["SCATTER"],
        "SCATTER" => &["GATHER"],
        "PEER" => &["PEER"],
        "CHANNEL" => &["CHANNEL"],
        _ => &[],
    }
}

/// Whether a socket of type `ours` accepts a peer announcing `theirs`.
pub fn compatible(ours: &str, theirs: &str) -> bool {
    peers(ours).contains(&theirs)
}

/// [`compatible`] with the peer's raw property value.
pub fn compatible_bytes(ours: &str, theirs: &[u8]) -> bool {
    peers(ours).iter().any(|p| p.as_bytes() == theirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for n in 0..=20 {
            let s = name(n).unwrap();
            assert_eq!(number(s), Some(n));
        }
        assert_eq!(name(5), Some("DEALER"));
        assert_eq!(name(21), None);
        assert_eq!(name(-1), None);
        assert_eq!(number("dealer"), None);
        assert_eq!(number("XSUB"), Some(10));
    }

    #[test]
    fn compatibility_is_symmetric_and_as_documented() {
        for (a, _) in TYPES {
            for (b, _) in TYPES {
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
            assert!(compatible_bytes(a, b.as_bytes()));
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
        assert!(!compatible_bytes("PUB", b"SUB\0"));
    }
}
