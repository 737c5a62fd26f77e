//! ZMTP 3.x command bodies: a 1-octet name length, the name, the data.
//!
//! [`Command`] covers the commands the engine itself handles; the
//! mechanisms' commands (HELLO, WELCOME, INITIATE, MESSAGE) decode as
//! [`Command::Unknown`] with their data, and [`Properties`] is the property
//! list shared by READY and the mechanisms' commands.

use std::sync::Arc;

use super::ZmtpError;
use crate::metadata::Metadata;
use crate::msg::{self, Msg};

/// The most context bytes a PING or PONG carries (RFC 37).
pub const MAX_PING_CONTEXT: usize = 16;

/// Splits a command body into its name and data.
pub fn split(body: &[u8]) -> Result<(&[u8], &[u8]), ZmtpError> {
    let (&len, rest) = body.split_first().ok_or(ZmtpError::MalformedCommand)?;
    let len = usize::from(len);
    if len == 0 || rest.len() < len {
        return Err(ZmtpError::MalformedCommand);
    }
    Ok(rest.split_at(len))
}

/// Appends a command's name (with its length octet) to `out`.
pub fn encode_name(name: &[u8], out: &mut Vec<u8>) -> Result<(), ZmtpError> {
    let len = u8::try_from(name.len()).map_err(|_| ZmtpError::Unencodable)?;
    if len == 0 {
        return Err(ZmtpError::Unencodable);
    }
    out.push(len);
    out.extend_from_slice(name);
    Ok(())
}

/// A property list: `name-len(1) name value-len(4, big-endian) value`,
/// repeated. Names compare without regard to case; the pairs keep the
/// raw bytes the peer sent, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Properties {
    pub fn new() -> Properties {
        Properties::default()
    }

    /// Adds a property (duplicates are kept, as on the wire).
    pub fn push(&mut self, name: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.pairs.push((name.into(), value.into()));
    }

    pub fn pairs(&self) -> &[(Vec<u8>, Vec<u8>)] {
        &self.pairs
    }

    /// The first value of `name`, compared without regard to ASCII case.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }

    /// The peer's Socket-Type, if it sent one.
    pub fn socket_type(&self) -> Option<&[u8]> {
        self.get("Socket-Type")
    }

    /// The peer's routing id (Routing-Id, or its old name Identity).
    pub fn routing_id(&self) -> Option<&[u8]> {
        self.get("Routing-Id").or_else(|| self.get("Identity"))
    }

    /// The properties as connection metadata. Names that are not UTF-8
    /// (the RFC allows only ASCII) are converted lossily; values stop at a
    /// NUL, as `Metadata` keeps C strings.
    pub fn to_metadata(&self) -> Metadata {
        let mut meta = Metadata::new();
        for (name, value) in &self.pairs {
            meta.set(&String::from_utf8_lossy(name), value);
        }
        meta
    }

    pub fn to_metadata_arc(&self) -> Arc<Metadata> {
        Arc::new(self.to_metadata())
    }

    /// Parses a whole property list; anything left over or cut short is
    /// an error.
    pub fn parse(mut data: &[u8]) -> Result<Properties, ZmtpError> {
        let mut pairs = Vec::new();
        while let Some((&name_len, rest)) = data.split_first() {
            let name_len = usize::from(name_len);
            if name_len == 0 || rest.len() < name_len + 4 {
                return Err(ZmtpError::InvalidMetadata);
            }
            let (name, rest) = rest.split_at(name_len);
            let (len_bytes, rest) = rest.split_at(4);
            let mut len = [0; 4];
            len.copy_from_slice(len_bytes);
            let value_len =
                usize::try_from(u32::from_be_bytes(len)).map_err(|_| ZmtpError::InvalidMetadata)?;
            if rest.len() < value_len {
                return Err(ZmtpError::InvalidMetadata);
            }
            let (value, rest) = rest.split_at(value_len);
            pairs.push((name.to_vec(), value.to_vec()));
            data = rest;
        }
        Ok(Properties { pairs })
    }

    /// Appends the encoded list to `out`. Names must be 1 to 255 bytes and
    /// values under 4 GiB; on error `out` is left as it was.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), ZmtpError> {
        for (name, value) in &self.pairs {
            if name.is_empty() || name.len() > 255 || u32::try_from(value.len()).is_err() {
                return Err(ZmtpError::Unencodable);
            }
        }
        for (name, value) in &self.pairs {
            out.push(name.len() as u8);
            out.extend_from_slice(name);
            out.extend_from_slice(&(value.len() as u32).to_be_bytes());
            out.extend_from_slice(value);
        }
        Ok(())
    }
}

/// A command the engine deals with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// End of the NULL handshake (and the plaintext of PLAIN's/CURVE's).
    Ready(Properties),
    /// The peer refuses the handshake, with a reason of up to 255 bytes.
    Error {
        reason: Vec<u8>,
    },
    /// ZMTP 3.1 subscription; the data is the topic.
    Subscribe(Vec<u8>),
    /// ZMTP 3.1 unsubscription; the data is the topic.
    Cancel(Vec<u8>),
    /// A DISH joins a group (RFC 48); the data is the group.
    Join(Vec<u8>),
    /// A DISH leaves a group.
    Leave(Vec<u8>),
    /// Heartbeat: time-to-live in tenths of a second and a context the
    /// PONG echoes.
    Ping {
        ttl: u16,
        context: Vec<u8>,
    },
    Pong {
        context: Vec<u8>,
    },
    /// Any other command (the mechanisms' ones, or future ones, which the
    /// engine ignores): name and raw data.
    Unknown {
        name: Vec<u8>,
        data: Vec<u8>,
    },
}

impl Command {
    pub fn name(&self) -> &[u8] {
        match self {
            Command::Ready(_) => b"READY",
            Command::Error { .. } => b"ERROR",
            Command::Subscribe(_) => b"SUBSCRIBE",
            Command::Cancel(_) => b"CANCEL",
            Command::Join(_) => b"JOIN",
            Command::Leave(_) => b"LEAVE",
            Command::Ping { .. } => b"PING",
            Command::Pong { .. } => b"PONG",
            Command::Unknown { name, .. } => name,
        }
    }

    /// The PONG that answers a PING with `context`. A PING may carry more
    /// than the 16 bytes RFC 37 allows; like libzmq we echo the first 16
    /// rather than fail the connection.
    pub fn pong_for(context: &[u8]) -> Command {
        Command::Pong {
            context: context[..context.len().min(MAX_PING_CONTEXT)].to_vec(),
        }
    }

    /// Parses a command body. Names compare exactly (case matters, as in
    /// libzmq). A PING context longer than 16 bytes is kept (see
    /// [`Command::pong_for`]).
    pub fn decode(body: &[u8]) -> Result<Command, ZmtpError> {
        let (name, data) = split(body)?;
        Ok(match name {
            b"READY" => Command::Ready(Properties::parse(data)?),
            b"ERROR" => {
                let (&len, rest) = data.split_first().ok_or(ZmtpError::MalformedError)?;
                let reason = rest
                    .get(..usize::from(len))
                    .ok_or(ZmtpError::MalformedError)?;
                Command::Error {
                    reason: reason.to_vec(),
                }
            }
            b"SUBSCRIBE" => Command::Subscribe(data.to_vec()),
            b"CANCEL" => Command::Cancel(data.to_vec()),
            b"JOIN" => Command::Join(data.to_vec()),
            b"LEAVE" => Command::Leave(data.to_vec()),
            b"PING" => {
                if data.len() < 2 {
                    return Err(ZmtpError::MalformedCommand);
                }
                Command::Ping {
                    ttl: u16::from_be_bytes([data[0], data[1]]),
                    context: data[2..].to_vec(),
                }
            }
            b"PONG" => Command::Pong {
                context: data.to_vec(),
            },
            _ => Command::Unknown {
                name: name.to_vec(),
                data: data.to_vec(),
            },
        })
    }

    /// Parses a command frame.
    pub fn from_msg(msg: &Msg) -> Result<Command, ZmtpError> {
        Command::decode(msg.as_slice())
    }

    /// Appends the command body to `out`; refuses what the wire cannot
    /// carry (and on error leaves `out` as it was).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), ZmtpError> {
        let start = out.len();
        let result = self.encode_unchecked(out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn encode_unchecked(&self, out: &mut Vec<u8>) -> Result<(), ZmtpError> {
        encode_name(self.name(), out)?;
        match self {
            Command::Ready(props) => props.encode_into(out)?,
            Command::Error { reason } => {
                let len = u8::try_from(reason.len()).map_err(|_| ZmtpError::Unencodable)?;
                out.push(len);
                out.extend_from_slice(reason);
            }
            Command::Subscribe(data)
            | Command::Cancel(data)
            | Command::Join(data)
            | Command::Leave(data) => out.extend_from_slice(data),
            Command::Ping { ttl, context } => {
                if context.len() > MAX_PING_CONTEXT {
                    return Err(ZmtpError::Unencodable);
                }
                out.extend_from_slice(&ttl.to_be_bytes());
                out.extend_from_slice(context);
            }
            Command::Pong { context } => {
                if context.len() > MAX_PING_CONTEXT {
                    return Err(ZmtpError::Unencodable);
                }
                out.extend_from_slice(context);
            }
            Command::Unknown { data, .. } => out.extend_from_slice(data),
        }
        Ok(())
    }

    /// The command as a message flagged COMMAND, ready for the frame
    /// encoder.
    pub fn to_msg(&self) -> Result<Msg, ZmtpError> {
        let mut body = Vec::new();
        self.encode_into(&mut body)?;
        let mut msg = Msg::from_slice(&body).map_err(|_| ZmtpError::NoMemory)?;
        msg.set_flags(msg::flags::COMMAND);
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::super::frame::{self, FrameDecoder, FrameVersion};
    use super::super::TestRng;
    use super::*;

    fn ready(pairs: &[(&[u8], &[u8])]) -> Properties {
        let mut p = Properties::new();
        for &(n, v) in pairs {
            p.push(n, v);
        }
        p
    }

    #[test]
    fn commands_round_trip_through_frames() {
        let long_value = vec![7u8; 70_000];
        let commands = vec![
            Command::Ready(ready(&[
                (b"Socket-Type", b"DEALER"),
                (b"Routing-Id", b"\x00\xFFbin"),
                (b"X-Unicode", "caf\u{e9} \u{1F600}".as_bytes()),
                (b"X-Empty", b""),
                (b"X-Long", &long_value),
            ])),
            Command::Ready(Properties::new()),
            Command::Error {
                reason: b"Invalid credentials".to_vec(),
            },
            Command::Error { reason: vec![] },
            Command::Subscribe(b"topic".to_vec()),
            Command::Subscribe(vec![]),
            Command::Cancel(b"\x00\x01".to_vec()),
            Command::Join(b"weather".to_vec()),
            Command::Leave(vec![b'g'; 255]),
            Command::Ping {
                ttl: 300,
                context: b"0123456789abcdef".to_vec(),
            },
            Command::Ping {
                ttl: 0,
                context: vec![],
            },
            Command::Pong {
                context: b"ctx".to_vec(),
            },
            Command::Unknown {
                name: b"HELLO".to_vec(),
                data: b"\x05admin".to_vec(),
            },
        ];
        let mut wire = Vec::new();
        for c in &commands {
            frame::encode(&c.to_msg().unwrap(), &mut wire);
        }
        let mut got = Vec::new();
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        for b in wire.chunks(3) {
            dec.decode_into(b, &mut got).unwrap();
        }
        assert_eq!(got.len(), commands.len());
        for (msg, want) in got.iter().zip(&commands) {
            assert!(msg.is_command() && !msg.more());
            assert_eq!(&Command::from_msg(msg).unwrap(), want);
        }
    }

    #[test]
    fn ready_properties_become_metadata() {
        let body = {
            let mut out = Vec::new();
            Command::Ready(ready(&[
                (b"Socket-Type", b"ROUTER"),
                (b"Identity", b"peer"),
                (b"X-Name", "\u{e9}t\u{e9}".as_bytes()),
                (b"X-Bin", b"a\x00b"),
            ]))
            .encode_into(&mut out)
            .unwrap();
            out
        };
        let Command::Ready(props) = Command::decode(&body).unwrap() else {
            panic!("not READY");
        };
        assert_eq!(props.socket_type(), Some(&b"ROUTER"[..]));
        assert_eq!(props.get("socket-type"), Some(&b"ROUTER"[..]));
        assert_eq!(props.routing_id(), Some(&b"peer"[..]));
        assert_eq!(
            props.get("X-Bin"),
            Some(&b"a\x00b"[..]),
            "raw pairs keep all bytes"
        );
        let meta = props.to_metadata();
        assert_eq!(meta.get("Identity").unwrap().to_bytes(), b"peer");
        assert_eq!(meta.get("Routing-Id"), None, "as libzmq 4.3");
        assert_eq!(
            meta.get("X-Name").unwrap().to_str().unwrap(),
            "\u{e9}t\u{e9}"
        );
        assert_eq!(meta.get("X-Bin").unwrap().to_bytes(), b"a");
        assert_eq!(props.pairs().len(), 4);
    }

    #[test]
    fn malformed_commands_are_errors() {
        assert_eq!(
            Command::decode(b"").unwrap_err(),
            ZmtpError::MalformedCommand
        );
        assert_eq!(
            Command::decode(b"\x00").unwrap_err(),
            ZmtpError::MalformedCommand
        );
        assert_eq!(
            Command::decode(b"\x05REA").unwrap_err(),
            ZmtpError::MalformedCommand
        );
        // Truncated READY: name cut, length cut, value cut.
        for bad in [
            &b"\x05READY\x0BSocket-"[..],
            b"\x05READY\x0BSocket-Type\x00\x00",
            b"\x05READY\x0BSocket-Type\x00\x00\x00\x06DEAL",
            b"\x05READY\x0BSocket-Type\xFF\xFF\xFF\xFFDEALER",
            b"\x05READY\x00\x00\x00\x00\x00",
        ] {
            assert_eq!(
                Command::decode(bad).unwrap_err(),
                ZmtpError::InvalidMetadata
            );
        }
        assert_eq!(
            Command::decode(b"\x05ERROR").unwrap_err(),
            ZmtpError::MalformedError
        );
        assert_eq!(
            Command::decode(b"\x05ERROR\x05abc").unwrap_err(),
            ZmtpError::MalformedError
        );
        assert_eq!(
            Command::decode(b"\x04PING\x01").unwrap_err(),
            ZmtpError::MalformedCommand
        );
        // Case matters, and unknown names are not errors.
        assert_eq!(
            Command::decode(b"\x05ready").unwrap(),
            Command::Unknown {
                name: b"ready".to_vec(),
                data: vec![]
            }
        );
    }

    #[test]
    fn ping_with_long_context_is_kept_and_the_pong_truncated() {
        let mut body = b"\x04PING\x00\x0A".to_vec();
        body.extend_from_slice(&[9u8; 40]);
        let Command::Ping { ttl, context } = Command::decode(&body).unwrap() else {
            panic!("not PING");
        };
        assert_eq!((ttl, context.len()), (10, 40));
        let pong = Command::pong_for(&context);
        assert_eq!(
            pong,
            Command::Pong {
                context: vec![9u8; 16]
            }
        );
        assert!(pong.to_msg().is_ok());
    }

    #[test]
    fn encoder_refuses_what_the_wire_cannot_carry() {
        let mut out = b"keep".to_vec();
        let name300 = vec![b'X'; 300];
        let bad = [
            Command::Ready(ready(&[(&name300, b"v")])),
            Command::Ready(ready(&[(b"", b"v")])),
            Command::Error {
                reason: vec![b'r'; 256],
            },
            Command::Ping {
                ttl: 1,
                context: vec![0; 17],
            },
            Command::Pong {
                context: vec![0; 17],
            },
            Command::Unknown {
                name: vec![],
                data: vec![],
            },
            Command::Unknown {
                name: name300.clone(),
                data: vec![],
            },
        ];
        for c in &bad {
            assert_eq!(c.encode_into(&mut out).unwrap_err(), ZmtpError::Unencodable);
            assert_eq!(out, b"keep");
            assert!(c.to_msg().is_err());
        }
        let name255 = vec![b'N'; 255];
        let ok = Command::Ready(ready(&[(&name255, b"v")]));
        let msg = ok.to_msg().unwrap();
        assert_eq!(Command::from_msg(&msg).unwrap(), ok);
    }

    #[test]
    fn fuzz_never_panics() {
        let mut rng = TestRng::new(42);
        let names: [&[u8]; 7] = [
            b"READY",
            b"ERROR",
            b"SUBSCRIBE",
            b"CANCEL",
            b"PING",
            b"PONG",
            b"X",
        ];
        for i in 0..10_000 {
            let len = rng.below(64);
            let mut body = Vec::new();
            if i % 2 == 0 {
                let name = names[rng.below(names.len())];
                body.push(name.len() as u8);
                body.extend_from_slice(name);
            }
            body.extend(rng.bytes(len));
            if let Ok(cmd) = Command::decode(&body) {
                // Whatever decodes re-encodes (unless a PING context is too
                // long) and decodes the same.
                let mut again = Vec::new();
                if cmd.encode_into(&mut again).is_ok() {
                    assert_eq!(Command::decode(&again).unwrap(), cmd);
                }
            }
            let _ = Properties::parse(&body);
            let _ = split(&body);
        }
    }
}
