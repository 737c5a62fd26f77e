//! Security mechanisms: the handshake that follows the greeting (RFC 23,
//! 24 PLAIN, 25/26 CURVE), sans-IO like the rest of `zmtp/`.
//!
//! The engine asks its mechanism for the commands to send
//! ([`Mechanism::next_command`]), hands it the commands the peer sends
//! ([`Mechanism::process_command`]) and watches [`Mechanism::status`].
//! Once ready, frames pass through [`Mechanism::encode`] and
//! [`Mechanism::decode`] if the mechanism boxes them (CURVE). A side that
//! authenticates its peer makes a ZAP request (RFC 27); the session
//! carries it to the handler and brings the reply back
//! ([`Mechanism::zap_reply`]).
//!
//! One file per mechanism, and one row in [`new`].

pub mod curve;
pub mod null;
pub mod plain;
pub mod zap;

#[cfg(test)]
pub(crate) mod testing;

use std::fmt;

use zeroize::Zeroizing;

use super::command::{self, Properties};
use super::engine::EngineConfig;
use super::greeting::MechanismName;
use super::{protocol_error, ZmtpError};
use crate::msg::Msg;
use crate::socket_type;
use zap::{ZapReply, ZapRequest};

/// Bytes in a CURVE key.
pub const KEY_LEN: usize = 32;

/// A socket's security options, copied at bind or connect.
#[derive(Clone, Default)]
pub struct Security {
    pub mechanism: MechanismName,
    /// ZMQ_PLAIN_SERVER or ZMQ_CURVE_SERVER: we authenticate the peer.
    pub as_server: bool,
    pub plain_username: Vec<u8>,
    pub plain_password: Vec<u8>,
    /// ZMQ_CURVE_PUBLICKEY and ZMQ_CURVE_SECRETKEY: our long-term pair.
    pub curve_public_key: [u8; KEY_LEN],
    pub curve_secret_key: Zeroizing<[u8; KEY_LEN]>,
    /// ZMQ_CURVE_SERVERKEY: the server's long-term public key (clients).
    pub curve_server_key: [u8; KEY_LEN],
    /// ZMQ_ZAP_DOMAIN.
    pub zap_domain: Vec<u8>,
    /// ZMQ_ZAP_ENFORCE_DOMAIN: no ZAP handler means no access.
    pub zap_enforce_domain: bool,
}

impl Security {
    /// Whether ZMTP 1.0 and 2.0 peers, which have no security, are refused
    /// (a mechanism or a ZAP domain is set: CVE-2014-9721).
    pub fn refuses_legacy(&self) -> bool {
        self.mechanism != MechanismName::Null || !self.zap_domain.is_empty()
    }
}

impl fmt::Debug for Security {
    // Secrets stay out of logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Security")
            .field("mechanism", &self.mechanism)
            .field("as_server", &self.as_server)
            .field("plain_username", &self.plain_username)
            .field("zap_domain", &self.zap_domain)
            .field("zap_enforce_domain", &self.zap_enforce_domain)
            .finish_non_exhaustive()
    }
}

/// Why a handshake failed, as the socket's monitor reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The peer broke the protocol: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
    /// with this `ZMQ_PROTOCOL_ERROR_*` code.
    Protocol(u32),
    /// Authentication failed: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH with the ZAP
    /// status code (300, 400 or 500).
    Auth(u32),
    /// ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL with this errno (EFAULT: a
    /// handler is required and none is bound).
    NoDetail(i32),
    /// The peer's Socket-Type cannot talk to ours.
    IncompatibleSocketType(Vec<u8>),
    /// The peer sent ERROR with this reason.
    Refused(Vec<u8>),
}

impl From<ZmtpError> for Failure {
    fn from(e: ZmtpError) -> Failure {
        Failure::Protocol(e.protocol_code().unwrap_or(protocol_error::UNSPECIFIED))
    }
}

/// Where a handshake stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Handshaking,
    /// Done: messages may flow.
    Ready,
    /// Failed. Commands the mechanism produced before (an ERROR for the
    /// peer) are still written, then the connection closes.
    Error(Failure),
}

/// One side of a security handshake.
pub trait Mechanism: Send {
    /// The next command body to send, if one is due now; the engine calls
    /// it until it returns `None`, after every step.
    fn next_command(&mut self) -> Result<Option<Vec<u8>>, Failure>;

    /// A command body the peer sent during the handshake.
    fn process_command(&mut self, body: &[u8]) -> Result<(), Failure>;

    /// A ZAP request for the handler, taken once when it is made.
    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        None
    }

    /// The handler's reply to our request; `None`: no handler is bound.
    fn zap_reply(&mut self, _reply: Option<ZapReply>) -> Result<(), Failure> {
        Err(Failure::Protocol(protocol_error::ZAP_UNSPECIFIED))
    }

    fn status(&self) -> Status;

    /// Once ready: the peer's properties (from its READY or INITIATE),
    /// then those ZAP added (User-Id and the reply's metadata), which win
    /// over the peer's when names repeat.
    fn take_properties(&mut self) -> Properties;

    /// Whether frames after the handshake go through `encode` and
    /// `decode` (CURVE's MESSAGE boxes); the engine's zero-copy paths are
    /// for mechanisms that leave frames alone.
    fn boxes_frames(&self) -> bool {
        false
    }

    /// A frame to send, boxed.
    fn encode(&mut self, _msg: &Msg) -> Result<Msg, Failure> {
        Err(Failure::Protocol(protocol_error::UNSPECIFIED))
    }

    /// A received frame, unboxed (its MORE and COMMAND flags restored).
    fn decode(&mut self, _msg: &Msg) -> Result<Msg, Failure> {
        Err(Failure::Protocol(protocol_error::UNSPECIFIED))
    }
}

/// The mechanism a socket's options ask for, on our side of the greeting.
pub fn new(config: &EngineConfig) -> Box<dyn Mechanism> {
    let security = &config.security;
    match (security.mechanism, security.as_server) {
        (MechanismName::Null, _) => Box::new(null::Null::new(config)),
        (MechanismName::Plain, false) => Box::new(plain::Client::new(config)),
        (MechanismName::Plain, true) => Box::new(plain::Server::new(config)),
        (MechanismName::Curve, false) => Box::new(curve::Client::new(config)),
        (MechanismName::Curve, true) => Box::new(curve::Server::new(config)),
    }
}

/// A command body: its name (with the length octet) and data.
pub fn command(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(1 + name.len() + data.len());
    body.push(name.len() as u8);
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    body
}

/// Whether `body` is the command `name`; its data if so.
pub fn data_of<'a>(body: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    match command::split(body) {
        Ok((n, data)) if n == name => Some(data),
        _ => None,
    }
}

/// The properties every side announces (in READY, or in PLAIN's and
/// CURVE's INITIATE and READY): Socket-Type, Identity for the types whose
/// peers route by it, and the application's ZMQ_METADATA.
pub fn basic_properties(config: &EngineConfig) -> Properties {
    let ours = socket_type::lookup(config.socket_type);
    let mut props = Properties::new();
    props.push("Socket-Type", ours.map_or("", |t| t.name));
    if ours.is_some_and(|t| t.announces_identity) {
        props.push("Identity", config.routing_id.clone());
    }
    for (name, value) in &config.metadata {
        props.push(name.as_str(), value.clone());
    }
    props
}

/// The encoded [`basic_properties`], appended to a command's name.
pub fn command_with_properties(name: &[u8], config: &EngineConfig) -> Result<Vec<u8>, Failure> {
    let mut body = command(name, &[]);
    basic_properties(config)
        .encode_into(&mut body)
        .map_err(|_| Failure::Protocol(protocol_error::UNSPECIFIED))?;
    Ok(body)
}

/// The peer's property list: parsed, and its Socket-Type checked against
/// ours.
pub fn peer_properties(our_type: i32, data: &[u8]) -> Result<Properties, Failure> {
    let props = Properties::parse(data)?;
    let theirs = props.socket_type().unwrap_or_default();
    if !socket_type::lookup(our_type).is_some_and(|t| t.accepts(theirs)) {
        return Err(Failure::IncompatibleSocketType(theirs.to_vec()));
    }
    Ok(props)
}

/// The peer's properties followed by those ZAP added (which win when a
/// name repeats, as later entries do in the metadata).
pub fn with_zap_properties(mut peer: Properties, zap: &Properties) -> Properties {
    for (name, value) in zap.pairs() {
        peer.push(name.clone(), value.clone());
    }
    peer
}

/// An ERROR command's reason; malformed ones are a protocol error.
pub fn error_reason(data: &[u8]) -> Result<Vec<u8>, Failure> {
    let malformed = Failure::Protocol(protocol_error::MALFORMED_COMMAND_ERROR);
    let (&len, rest) = data.split_first().ok_or(malformed.clone())?;
    let reason = rest.get(..usize::from(len)).ok_or(malformed)?;
    Ok(reason.to_vec())
}

/// An ERROR command body with this reason (at most 255 bytes).
pub fn error_command(reason: &[u8]) -> Vec<u8> {
    let reason = &reason[..reason.len().min(255)];
    let mut data = Vec::with_capacity(1 + reason.len());
    data.push(reason.len() as u8);
    data.extend_from_slice(reason);
    command(b"ERROR", &data)
}
