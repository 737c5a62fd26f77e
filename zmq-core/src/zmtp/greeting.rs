//! The greeting: ours, in the three stages libzmq sends it (signature,
//! major version, rest), and an incremental decoder of the peer's that
//! tells the version as soon as the bytes allow (RFC 37, "Backwards
//! Interoperability").
//!
//! Layout of a ZMTP 3.x greeting (64 octets):
//! `0xFF, 8 padding octets, 0x7F | major | minor | mechanism (20) |
//! as-server | filler (31)`.

use super::ZmtpError;

/// The signature: 0xFF, 8 octets of padding, 0x7F.
pub const SIGNATURE_LEN: usize = 10;
/// A full ZMTP 3.x greeting.
pub const GREETING_LEN: usize = 64;
/// A ZMTP 2.0 greeting: signature, revision, socket type.
pub const V2_GREETING_LEN: usize = 12;
/// What follows the major version in a 3.x greeting.
pub const TAIL_LEN: usize = GREETING_LEN - SIGNATURE_LEN - 1;
/// The major version we speak.
pub const MAJOR: u8 = 3;
/// The minor version we speak by default.
pub const MINOR: u8 = 1;
/// Width of the mechanism field.
pub const MECHANISM_LEN: usize = 20;

const MAJOR_POS: usize = SIGNATURE_LEN;
const MINOR_POS: usize = MAJOR_POS + 1;
const MECHANISM_POS: usize = MINOR_POS + 1;
const AS_SERVER_POS: usize = MECHANISM_POS + MECHANISM_LEN;

/// The security mechanisms we know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MechanismName {
    #[default]
    Null,
    Plain,
    Curve,
}

impl MechanismName {
    pub fn name(self) -> &'static str {
        match self {
            MechanismName::Null => "NULL",
            MechanismName::Plain => "PLAIN",
            MechanismName::Curve => "CURVE",
        }
    }

    /// The name, zero-padded to the width of the greeting's field.
    pub fn field(self) -> [u8; MECHANISM_LEN] {
        let mut field = [0; MECHANISM_LEN];
        let name = self.name().as_bytes();
        field[..name.len()].copy_from_slice(name);
        field
    }

    /// Parses the greeting's field. Like libzmq (which compares all 20
    /// octets), the padding must be zeros.
    pub fn from_field(field: &[u8; MECHANISM_LEN]) -> Result<MechanismName, ZmtpError> {
        [
            MechanismName::Null,
            MechanismName::Plain,
            MechanismName::Curve,
        ]
        .into_iter()
        .find(|m| m.field() == *field)
        .ok_or(ZmtpError::UnknownMechanism(*field))
    }
}

/// The protocol version a peer speaks, as far as framing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    V1_0,
    V2_0,
    V3_0,
    V3_1,
}

/// The 10-octet signature. `padding` is the big-endian number in the
/// padding field: 0 per RFC 37, or the identity length plus one so that a
/// ZMTP 1.0 peer reads the signature as the header of our identity frame
/// (what libzmq sends).
pub fn signature(padding: u64) -> [u8; SIGNATURE_LEN] {
    let mut sig = [0; SIGNATURE_LEN];
    sig[0] = 0xFF;
    sig[1..9].copy_from_slice(&padding.to_be_bytes());
    sig[9] = 0x7F;
    sig
}

/// Our ZMTP 3.x greeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Greeting {
    /// The minor version to announce: 1 normally, 0 to pose as 3.0.
    pub minor: u8,
    pub mechanism: MechanismName,
    pub as_server: bool,
}

impl Greeting {
    pub fn new(mechanism: MechanismName, as_server: bool) -> Greeting {
        Greeting {
            minor: MINOR,
            mechanism,
            as_server,
        }
    }

    /// The part after the signature and the major version: minor,
    /// mechanism, as-server and filler (sent once the peer's major version
    /// says it speaks 3.x).
    pub fn tail(&self) -> [u8; TAIL_LEN] {
        let mut tail = [0; TAIL_LEN];
        tail[0] = self.minor;
        tail[1..1 + MECHANISM_LEN].copy_from_slice(&self.mechanism.field());
        tail[1 + MECHANISM_LEN] = u8::from(self.as_server);
        tail
    }

    /// The whole greeting, with the signature's padding as in
    /// [`signature`].
    pub fn encode(&self, padding: u64) -> [u8; GREETING_LEN] {
        let mut out = [0; GREETING_LEN];
        out[..SIGNATURE_LEN].copy_from_slice(&signature(padding));
        out[MAJOR_POS] = MAJOR;
        out[MINOR_POS..].copy_from_slice(&self.tail());
        out
    }
}

/// What the peer's greeting said, once complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerGreeting {
    /// A ZMTP 1.0 peer without any version: the bytes read so far are the
    /// start of its identity frame and must be fed to a 1.0 decoder.
    Unversioned { replay: Vec<u8> },
    /// A ZMTP 2.0 greeting (revision 1 or 2), or libzmq's revision 0 (1.0
    /// framing after a versioned greeting), with the socket-type octet.
    Legacy { revision: u8, socket_type: u8 },
    /// ZMTP 3.x. Higher versions are accepted (RFC 37) and spoken as 3.1.
    V3 {
        major: u8,
        minor: u8,
        mechanism: MechanismName,
        as_server: bool,
    },
}

impl PeerGreeting {
    pub fn version(&self) -> Version {
        match *self {
            PeerGreeting::Unversioned { .. } | PeerGreeting::Legacy { revision: 0, .. } => {
                Version::V1_0
            }
            PeerGreeting::Legacy { .. } => Version::V2_0,
            PeerGreeting::V3 {
                major: 3, minor: 0, ..
            } => Version::V3_0,
            PeerGreeting::V3 { .. } => Version::V3_1,
        }
    }
}

/// Progress of the greeting decoder. Each milestone is reported once, by
/// the `feed` call that reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GreetingStatus {
    /// More bytes are needed.
    Incomplete,
    /// The peer sent a real signature (ZMTP 2.0 or later): time to send our
    /// major version octet if not sent yet.
    Signature,
    /// The peer's major version (revision) octet arrived: time to send the
    /// rest of ours ([`Greeting::tail`] for 3.x, the socket type for 2.0).
    Major(u8),
    /// The greeting is complete; later bytes are frames.
    Done(PeerGreeting),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Start,
    Signature,
    Major,
    Done,
    Failed,
}

/// Reads the peer's greeting from arbitrary chunks, never asking for a byte
/// more than the peer's version sends.
#[derive(Clone, Debug)]
pub struct GreetingDecoder {
    buf: [u8; GREETING_LEN],
    len: usize,
    stage: Stage,
    accept_legacy: bool,
    error: Option<ZmtpError>,
}

impl Default for GreetingDecoder {
    fn default() -> Self {
        GreetingDecoder::new()
    }
}

impl GreetingDecoder {
    /// A decoder that detects and accepts ZMTP 1.0 and 2.0 peers.
    pub fn new() -> GreetingDecoder {
        GreetingDecoder {
            buf: [0; GREETING_LEN],
            len: 0,
            stage: Stage::Start,
            accept_legacy: true,
            error: None,
        }
    }

    /// A decoder that demands ZMTP 3.x: anything else is an error.
    pub fn v3_only() -> GreetingDecoder {
        GreetingDecoder {
            accept_legacy: false,
            ..GreetingDecoder::new()
        }
    }

    /// The greeting bytes read so far.
    pub fn received(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Consumes bytes of `input` up to the next milestone and reports it:
    /// call again with the rest of the input (the returned count says how
    /// much was used) until it is `Incomplete` or `Done`. After `Done` it
    /// consumes nothing; after an error it returns that error again.
    pub fn feed(&mut self, input: &[u8]) -> Result<(usize, GreetingStatus), ZmtpError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.step(input);
        if let Err(e) = &result {
            self.stage = Stage::Failed;
            self.error = Some(e.clone());
        }
        result
    }

    fn step(&mut self, input: &[u8]) -> Result<(usize, GreetingStatus), ZmtpError> {
        match self.stage {
            Stage::Start => {
                // The first octet alone may tell a 1.0 peer, whose identity
                // frame starts with a length under 0xFF.
                if self.len == 0 {
                    let Some(&first) = input.first() else {
                        return Ok((0, GreetingStatus::Incomplete));
                    };
                    self.push(&input[..1]);
                    if first != 0xFF {
                        return self.unversioned(1);
                    }
                    let used = 1 + self.fill_to(SIGNATURE_LEN, &input[1..]);
                    return self.after_signature_bytes(used);
                }
                let used = self.fill_to(SIGNATURE_LEN, input);
                self.after_signature_bytes(used)
            }
            Stage::Signature => {
                let used = self.fill_to(MAJOR_POS + 1, input);
                if self.len <= MAJOR_POS {
                    return Ok((used, GreetingStatus::Incomplete));
                }
                let major = self.buf[MAJOR_POS];
                if major < MAJOR && !self.accept_legacy {
                    return Err(ZmtpError::BadGreeting);
                }
                self.stage = Stage::Major;
                Ok((used, GreetingStatus::Major(major)))
            }
            Stage::Major => {
                let major = self.buf[MAJOR_POS];
                let total = if major < MAJOR {
                    V2_GREETING_LEN
                } else {
                    GREETING_LEN
                };
                let used = self.fill_to(total, input);
                if self.len < total {
                    return Ok((used, GreetingStatus::Incomplete));
                }
                let peer = self.complete(major)?;
                self.stage = Stage::Done;
                Ok((used, GreetingStatus::Done(peer)))
            }
            Stage::Done => Ok((0, GreetingStatus::Incomplete)),
            // Unreachable through `feed`, which reports the stored error.
            Stage::Failed => Err(ZmtpError::BadGreeting),
        }
    }

    /// After reading towards the signature: `used` bytes of this call.
    fn after_signature_bytes(&mut self, used: usize) -> Result<(usize, GreetingStatus), ZmtpError> {
        if self.len < SIGNATURE_LEN {
            return Ok((used, GreetingStatus::Incomplete));
        }
        // A 1.0 identity frame with a long length has its flags octet
        // here, MORE clear; a signature has 0x7F, bit 0 set.
        if self.buf[SIGNATURE_LEN - 1] & 0x01 == 0 {
            return self.unversioned(used);
        }
        self.stage = Stage::Signature;
        Ok((used, GreetingStatus::Signature))
    }

    fn unversioned(&mut self, used: usize) -> Result<(usize, GreetingStatus), ZmtpError> {
        if !self.accept_legacy {
            return Err(ZmtpError::BadGreeting);
        }
        self.stage = Stage::Done;
        let replay = self.received().to_vec();
        Ok((
            used,
            GreetingStatus::Done(PeerGreeting::Unversioned { replay }),
        ))
    }

    fn complete(&self, major: u8) -> Result<PeerGreeting, ZmtpError> {
        if major < MAJOR {
            return Ok(PeerGreeting::Legacy {
                revision: major,
                socket_type: self.buf[MAJOR_POS + 1],
            });
        }
        let mut field = [0; MECHANISM_LEN];
        field.copy_from_slice(&self.buf[MECHANISM_POS..AS_SERVER_POS]);
        let mechanism = MechanismName::from_field(&field)?;
        let as_server = match self.buf[AS_SERVER_POS] {
            0 => false,
            1 => true,
            other => return Err(ZmtpError::BadAsServer(other)),
        };
        // The filler is not checked: RFC 37 gives it no meaning to verify.
        Ok(PeerGreeting::V3 {
            major,
            minor: self.buf[MINOR_POS],
            mechanism,
            as_server,
        })
    }

    /// Copies from `input` until the buffer holds `target` bytes; returns
    /// how many were taken.
    fn fill_to(&mut self, target: usize, input: &[u8]) -> usize {
        let take = target.saturating_sub(self.len).min(input.len());
        self.push(&input[..take]);
        take
    }

    fn push(&mut self, bytes: &[u8]) {
        // Callers never go past GREETING_LEN (fill_to bounds `take`).
        let end = (self.len + bytes.len()).min(GREETING_LEN);
        let n = end - self.len;
        self.buf[self.len..end].copy_from_slice(&bytes[..n]);
        self.len = end;
    }
}

#[cfg(test)]
mod tests {
    use super::super::TestRng;
    use super::*;

    /// Feeds `input` in chunks of the sizes `chunk` gives; collects every
    /// milestone and the bytes left after `Done`.
    fn run(
        dec: &mut GreetingDecoder,
        input: &[u8],
        mut chunk: impl FnMut() -> usize,
    ) -> Result<(Vec<GreetingStatus>, Vec<u8>), ZmtpError> {
        let mut events = Vec::new();
        let mut rest = Vec::new();
        let mut pos = 0;
        let mut done = false;
        while pos < input.len() {
            let end = (pos + chunk().max(1)).min(input.len());
            let mut piece = &input[pos..end];
            pos = end;
            while !piece.is_empty() {
                if done {
                    rest.extend_from_slice(piece);
                    break;
                }
                let (used, status) = dec.feed(piece)?;
                piece = &piece[used..];
                match status {
                    GreetingStatus::Incomplete => {
                        assert!(piece.is_empty());
                    }
                    GreetingStatus::Done(_) => {
                        done = true;
                        events.push(status);
                    }
                    other => events.push(other),
                }
            }
        }
        Ok((events, rest))
    }

    #[test]
    fn encodes_a_64_byte_greeting() {
        let g = Greeting::new(MechanismName::Curve, true).encode(0);
        assert_eq!(g.len(), 64);
        assert_eq!(g[0], 0xFF);
        assert_eq!(&g[1..9], &[0; 8]);
        assert_eq!(g[9], 0x7F);
        assert_eq!(&g[10..12], &[3, 1]);
        assert_eq!(&g[12..17], b"CURVE");
        assert!(g[17..32].iter().all(|&b| b == 0));
        assert_eq!(g[32], 1);
        assert!(g[33..].iter().all(|&b| b == 0));
        // libzmq's 1.0-compatible padding: identity length + 1.
        assert_eq!(signature(6), [0xFF, 0, 0, 0, 0, 0, 0, 0, 6, 0x7F]);
        let g0 = Greeting {
            minor: 0,
            ..Greeting::new(MechanismName::Null, false)
        };
        assert_eq!(g0.encode(1)[11], 0);
        assert_eq!(g0.tail()[..], g0.encode(1)[11..]);
    }

    #[test]
    fn round_trips_in_any_chunking() {
        let mut rng = TestRng::new(7);
        for mech in [
            MechanismName::Null,
            MechanismName::Plain,
            MechanismName::Curve,
        ] {
            for as_server in [false, true] {
                for minor in [0, 1, 2] {
                    let g = Greeting {
                        minor,
                        mechanism: mech,
                        as_server,
                    };
                    let mut wire = g.encode(rng.next()).to_vec();
                    wire.extend_from_slice(b"\x04\x05READY");
                    for round in 0..20 {
                        let mut dec = GreetingDecoder::new();
                        let (events, rest) = if round == 0 {
                            run(&mut dec, &wire, || 1).unwrap()
                        } else {
                            run(&mut dec, &wire, || rng.below(70)).unwrap()
                        };
                        assert_eq!(
                            events,
                            vec![
                                GreetingStatus::Signature,
                                GreetingStatus::Major(3),
                                GreetingStatus::Done(PeerGreeting::V3 {
                                    major: 3,
                                    minor,
                                    mechanism: mech,
                                    as_server
                                })
                            ]
                        );
                        assert_eq!(rest, b"\x04\x05READY");
                        assert_eq!(dec.received(), &wire[..64]);
                    }
                }
            }
        }
    }

    #[test]
    fn versions_are_classified() {
        let v3 = |major, minor| PeerGreeting::V3 {
            major,
            minor,
            mechanism: MechanismName::Null,
            as_server: false,
        };
        assert_eq!(v3(3, 0).version(), Version::V3_0);
        assert_eq!(v3(3, 1).version(), Version::V3_1);
        assert_eq!(v3(3, 7).version(), Version::V3_1);
        assert_eq!(v3(4, 0).version(), Version::V3_1);
        let legacy = |revision| PeerGreeting::Legacy {
            revision,
            socket_type: 5,
        };
        assert_eq!(legacy(0).version(), Version::V1_0);
        assert_eq!(legacy(1).version(), Version::V2_0);
        assert_eq!(legacy(2).version(), Version::V2_0);
    }

    #[test]
    fn signature_alone_is_reported_without_more_bytes() {
        // libzmq sends the signature, then waits for ours: we must say
        // "signature seen" with exactly 10 bytes, and not wait for an 11th.
        let mut dec = GreetingDecoder::new();
        let (used, status) = dec.feed(&signature(1)).unwrap();
        assert_eq!((used, status), (10, GreetingStatus::Signature));
        assert_eq!(dec.feed(&[]).unwrap(), (0, GreetingStatus::Incomplete));
        assert_eq!(dec.feed(&[3]).unwrap(), (1, GreetingStatus::Major(3)));
        let tail = Greeting::new(MechanismName::Plain, false).tail();
        assert_eq!(
            dec.feed(&tail[..52]).unwrap(),
            (52, GreetingStatus::Incomplete)
        );
        let (used, status) = dec.feed(&tail[52..]).unwrap();
        assert_eq!(used, 1);
        assert!(matches!(
            status,
            GreetingStatus::Done(PeerGreeting::V3 { .. })
        ));
        // Afterwards nothing more is consumed.
        assert_eq!(dec.feed(b"xyz").unwrap(), (0, GreetingStatus::Incomplete));
    }

    #[test]
    fn detects_zmtp_1_0_peers() {
        // Short identity frame: length octet below 0xFF.
        let mut dec = GreetingDecoder::new();
        let (used, status) = dec.feed(b"\x04\x00abc").unwrap();
        assert_eq!(used, 1);
        assert_eq!(
            status,
            GreetingStatus::Done(PeerGreeting::Unversioned { replay: vec![4] })
        );
        // Long identity frame: 0xFF, 8-octet length, flags with bit 0 clear.
        let mut wire = vec![0xFF, 0, 0, 0, 0, 0, 0, 1, 0];
        wire.push(0x00);
        wire.extend(std::iter::repeat_n(b'x', 255));
        let mut dec = GreetingDecoder::new();
        let (events, rest) = run(&mut dec, &wire, || 1).unwrap();
        assert_eq!(
            events,
            vec![GreetingStatus::Done(PeerGreeting::Unversioned {
                replay: wire[..10].to_vec()
            })]
        );
        assert_eq!(rest, &wire[10..]);
        // A strict decoder refuses both.
        assert_eq!(
            GreetingDecoder::v3_only().feed(b"\x04").unwrap_err(),
            ZmtpError::BadGreeting
        );
        let mut strict = GreetingDecoder::v3_only();
        assert_eq!(strict.feed(&wire).unwrap_err(), ZmtpError::BadGreeting);
        // And keeps refusing.
        assert_eq!(strict.feed(&wire).unwrap_err(), ZmtpError::BadGreeting);
    }

    #[test]
    fn detects_zmtp_2_0_peers() {
        for revision in [0u8, 1, 2] {
            let mut wire = signature(1).to_vec();
            wire.extend_from_slice(&[revision, 5, 0x00, 0x00]);
            let mut dec = GreetingDecoder::new();
            let (events, rest) = run(&mut dec, &wire, || 1).unwrap();
            assert_eq!(
                events,
                vec![
                    GreetingStatus::Signature,
                    GreetingStatus::Major(revision),
                    GreetingStatus::Done(PeerGreeting::Legacy {
                        revision,
                        socket_type: 5
                    })
                ]
            );
            // The identity frame that follows is left for the framing.
            assert_eq!(rest, [0, 0]);
            let mut strict = GreetingDecoder::v3_only();
            assert_eq!(strict.feed(&wire).unwrap(), (10, GreetingStatus::Signature));
            assert_eq!(
                strict.feed(&wire[10..]).unwrap_err(),
                ZmtpError::BadGreeting
            );
        }
    }

    #[test]
    fn bad_greetings_are_errors() {
        let good = Greeting::new(MechanismName::Null, false).encode(0);
        let mut unknown = good;
        unknown[12..16].copy_from_slice(b"GSSA");
        let mut bad_padding = good;
        bad_padding[20] = b'X';
        let mut lower = good;
        lower[12..16].copy_from_slice(b"null");
        for bad in [unknown, bad_padding, lower] {
            let mut dec = GreetingDecoder::new();
            let mut rest = &bad[..];
            let err = loop {
                match dec.feed(rest) {
                    Ok((used, _)) => rest = &rest[used..],
                    Err(e) => break e,
                }
            };
            assert!(matches!(err, ZmtpError::UnknownMechanism(_)));
        }
        let mut as_server = good;
        as_server[32] = 2;
        let mut dec = GreetingDecoder::new();
        let err = run(&mut dec, &as_server, || 64).unwrap_err();
        assert_eq!(err, ZmtpError::BadAsServer(2));
    }

    #[test]
    fn fuzz_never_panics() {
        let mut rng = TestRng::new(99);
        let good = Greeting::new(MechanismName::Plain, true).encode(0);
        for i in 0..10_000 {
            let len = rng.below(100);
            let mut input = rng.bytes(len);
            // Make many inputs reach the later stages.
            if i % 2 == 0 {
                let keep = rng.below(64).min(input.len());
                input[..keep].copy_from_slice(&good[..keep]);
            }
            for strict in [false, true] {
                let mut dec = if strict {
                    GreetingDecoder::v3_only()
                } else {
                    GreetingDecoder::new()
                };
                let _ = run(&mut dec, &input, || rng.below(20));
                assert!(dec.received().len() <= GREETING_LEN);
            }
        }
    }
}
