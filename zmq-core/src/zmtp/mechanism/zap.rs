//! ZAP, the ZeroMQ Authentication Protocol (RFC 27): the request the
//! authenticating side of a handshake sends to the handler bound at
//! `inproc://zeromq.zap.01`, and the reply it reads back. Both are
//! multipart messages behind an empty delimiter frame, so the handler may
//! be a REP or a ROUTER socket.

use super::super::command::Properties;
use super::super::engine::EngineConfig;
use super::super::protocol_error;
use super::{error_command, Failure};
use crate::msg::Msg;

/// The inproc endpoint name of the ZAP handler.
pub const ENDPOINT: &str = "zeromq.zap.01";
/// The protocol version, in requests and replies.
pub const VERSION: &[u8] = b"1.0";
/// Each connection makes one request, so its id is constant.
pub const REQUEST_ID: &[u8] = b"1";
/// Frames in a reply: delimiter, version, request id, status code, status
/// text, user id, metadata.
pub const REPLY_FRAMES: usize = 7;

/// A request for the handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZapRequest {
    pub domain: Vec<u8>,
    /// The peer's IP address (empty over ipc).
    pub address: Vec<u8>,
    /// Our socket's routing id (as libzmq sends).
    pub routing_id: Vec<u8>,
    pub mechanism: &'static str,
    /// PLAIN: user name and password; CURVE: the client's public key;
    /// NULL: none.
    pub credentials: Vec<Vec<u8>>,
}

impl ZapRequest {
    pub fn new(
        config: &EngineConfig,
        mechanism: &'static str,
        credentials: Vec<Vec<u8>>,
    ) -> ZapRequest {
        ZapRequest {
            domain: config.security.zap_domain.clone(),
            address: config.peer_address.as_bytes().to_vec(),
            routing_id: config.routing_id.clone(),
            mechanism,
            credentials,
        }
    }

    /// The request as frames, delimiter first; all but the last have MORE.
    pub fn frames(&self) -> Result<Vec<Msg>, Failure> {
        let mut parts: Vec<&[u8]> = vec![
            b"",
            VERSION,
            REQUEST_ID,
            &self.domain,
            &self.address,
            &self.routing_id,
            self.mechanism.as_bytes(),
        ];
        parts.extend(self.credentials.iter().map(Vec::as_slice));
        let last = parts.len() - 1;
        parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let mut msg = Msg::from_slice(part)
                    .map_err(|_| Failure::Protocol(protocol_error::UNSPECIFIED))?;
                msg.set_more(i < last);
                Ok(msg)
            })
            .collect()
    }
}

/// A well-formed reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZapReply {
    /// 200, 300, 400 or 500.
    pub status: u32,
    pub status_text: Vec<u8>,
    pub user_id: Vec<u8>,
    pub metadata: Properties,
}

impl ZapReply {
    /// Checks a reply as libzmq does; what is wrong with it is the
    /// `ZMQ_PROTOCOL_ERROR_ZAP_*` code the monitor reports.
    pub fn parse(frames: &[Msg]) -> Result<ZapReply, Failure> {
        let fail = |code| Failure::Protocol(code);
        if frames.len() != REPLY_FRAMES
            || frames
                .iter()
                .enumerate()
                .any(|(i, f)| f.more() != (i < REPLY_FRAMES - 1))
        {
            return Err(fail(protocol_error::ZAP_MALFORMED_REPLY));
        }
        let part = |i: usize| frames[i].as_slice();
        if !part(0).is_empty() {
            return Err(fail(protocol_error::ZAP_UNSPECIFIED));
        }
        if part(1) != VERSION {
            return Err(fail(protocol_error::ZAP_BAD_VERSION));
        }
        if part(2) != REQUEST_ID {
            return Err(fail(protocol_error::ZAP_BAD_REQUEST_ID));
        }
        let status = match part(3) {
            b"200" => 200,
            b"300" => 300,
            b"400" => 400,
            b"500" => 500,
            _ => return Err(fail(protocol_error::ZAP_INVALID_STATUS_CODE)),
        };
        let metadata =
            Properties::parse(part(6)).map_err(|_| fail(protocol_error::ZAP_INVALID_METADATA))?;
        Ok(ZapReply {
            status,
            status_text: part(4).to_vec(),
            user_id: part(5).to_vec(),
            metadata,
        })
    }

    /// What the reply adds to the connection's metadata: User-Id, then
    /// the handler's properties.
    pub fn properties(&self) -> Properties {
        let mut props = Properties::new();
        props.push("User-Id", self.user_id.clone());
        for (name, value) in self.metadata.pairs() {
            props.push(name.clone(), value.clone());
        }
        props
    }
}

/// What a mechanism does with the handler's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go on; these properties join the peer's.
    Allow(Properties),
    /// Refuse. `error` is the ERROR command to send first: none for 300
    /// (a temporary failure, after which the client is dropped silently,
    /// as the CurveZMQ RFC asks), the status code otherwise.
    Deny {
        failure: Failure,
        error: Option<Vec<u8>>,
    },
}

impl Verdict {
    /// The verdict for a reply; `None` is no handler bound, which allows
    /// unless the mechanism requires a handler (`required`).
    pub fn of(reply: Option<ZapReply>, required: bool) -> Verdict {
        match reply {
            None if required => Verdict::Deny {
                failure: Failure::NoDetail(nix::libc::EFAULT),
                error: None,
            },
            None => Verdict::Allow(Properties::new()),
            Some(reply) if reply.status == 200 => Verdict::Allow(reply.properties()),
            Some(reply) => Verdict::Deny {
                failure: Failure::Auth(reply.status),
                error: (reply.status != 300)
                    .then(|| error_command(reply.status.to_string().as_bytes())),
            },
        }
    }
}

/// A ZAP status code carried as an ERROR reason ("300", "400", "500"),
/// which a client reports as an authentication failure.
pub fn status_in_reason(reason: &[u8]) -> Option<u32> {
    match reason {
        b"300" => Some(300),
        b"400" => Some(400),
        b"500" => Some(500),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(parts: &[&[u8]]) -> Vec<Msg> {
        let last = parts.len() - 1;
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut m = Msg::from_slice(p).unwrap();
                m.set_more(i < last);
                m
            })
            .collect()
    }

    fn good(status: &[u8]) -> Vec<Msg> {
        let mut meta = Vec::new();
        let mut props = Properties::new();
        props.push("Hello", "World");
        props.encode_into(&mut meta).unwrap();
        frames(&[b"", b"1.0", b"1", status, b"OK", b"alice", &meta])
    }

    #[test]
    fn requests_carry_every_field_behind_a_delimiter() {
        let mut config = EngineConfig::new(6);
        config.security.zap_domain = b"global".to_vec();
        config.peer_address = "127.0.0.1".into();
        config.routing_id = b"srv".to_vec();
        let request = ZapRequest::new(&config, "PLAIN", vec![b"u".to_vec(), b"p".to_vec()]);
        let f = request.frames().unwrap();
        let bodies: Vec<&[u8]> = f.iter().map(|m| m.as_slice()).collect();
        assert_eq!(
            bodies,
            [
                &b""[..],
                b"1.0",
                b"1",
                b"global",
                b"127.0.0.1",
                b"srv",
                b"PLAIN",
                b"u",
                b"p"
            ]
        );
        assert!(f[..8].iter().all(Msg::more));
        assert!(!f[8].more());
        // NULL has no credentials: the mechanism frame is the last.
        let null = ZapRequest::new(&config, "NULL", Vec::new())
            .frames()
            .unwrap();
        assert_eq!(null.len(), 7);
        assert!(!null[6].more());
    }

    #[test]
    fn replies_are_checked_frame_by_frame() {
        let reply = ZapReply::parse(&good(b"200")).unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.user_id, b"alice");
        let props = reply.properties();
        assert_eq!(props.get("User-Id"), Some(&b"alice"[..]));
        assert_eq!(props.get("Hello"), Some(&b"World"[..]));

        let code = |f: Vec<Msg>| match ZapReply::parse(&f) {
            Err(Failure::Protocol(code)) => code,
            other => panic!("{other:?}"),
        };
        use protocol_error::*;
        assert_eq!(code(good(b"200")[..6].to_vec()), ZAP_MALFORMED_REPLY);
        let mut more_on_last = good(b"200");
        more_on_last[6].set_more(true);
        assert_eq!(code(more_on_last), ZAP_MALFORMED_REPLY);
        let mut eight = good(b"200");
        eight[6].set_more(true);
        eight.push(Msg::from_slice(b"x").unwrap());
        assert_eq!(code(eight), ZAP_MALFORMED_REPLY);
        assert_eq!(
            code(frames(&[b"x", b"1.0", b"1", b"200", b"", b"", b""])),
            ZAP_UNSPECIFIED
        );
        assert_eq!(
            code(frames(&[b"", b"2.0", b"1", b"200", b"", b"", b""])),
            ZAP_BAD_VERSION
        );
        assert_eq!(
            code(frames(&[b"", b"1.0", b"7", b"200", b"", b"", b""])),
            ZAP_BAD_REQUEST_ID
        );
        for bad in [&b"201"[..], b"600", b"20", b"2000", b"", b"abc"] {
            assert_eq!(
                code(frames(&[b"", b"1.0", b"1", bad, b"", b"", b""])),
                ZAP_INVALID_STATUS_CODE
            );
        }
        assert_eq!(
            code(frames(&[b"", b"1.0", b"1", b"200", b"", b"", b"\x05Hel"])),
            ZAP_INVALID_METADATA
        );
        assert!(ZapReply::parse(&[]).is_err());
    }

    #[test]
    fn verdicts_follow_the_status_code() {
        let reply = |s| ZapReply::parse(&good(s)).ok();
        assert!(matches!(
            Verdict::of(reply(b"200"), true),
            Verdict::Allow(p) if p.get("User-Id") == Some(&b"alice"[..])
        ));
        assert_eq!(
            Verdict::of(reply(b"300"), true),
            Verdict::Deny {
                failure: Failure::Auth(300),
                error: None
            }
        );
        assert_eq!(
            Verdict::of(reply(b"400"), false),
            Verdict::Deny {
                failure: Failure::Auth(400),
                error: Some(b"\x05ERROR\x03400".to_vec())
            }
        );
        assert!(matches!(
            Verdict::of(reply(b"500"), false),
            Verdict::Deny {
                failure: Failure::Auth(500),
                error: Some(_)
            }
        ));
        assert_eq!(Verdict::of(None, false), Verdict::Allow(Properties::new()));
        assert_eq!(
            Verdict::of(None, true),
            Verdict::Deny {
                failure: Failure::NoDetail(nix::libc::EFAULT),
                error: None
            }
        );
        assert_eq!(status_in_reason(b"400"), Some(400));
        assert_eq!(status_in_reason(b"200"), None);
        assert_eq!(status_in_reason(b"Invalid"), None);
    }
}
