//! ZMTP, the wire protocol, as sans-IO codecs: bytes in, events out;
//! frames out, bytes out. Nothing here touches a socket, a clock or a
//! thread, so every piece is testable (and fuzzable) with byte slices.
//!
//! - [`greeting`]: our greeting (in the stages libzmq sends it) and an
//!   incremental decoder of the peer's that detects ZMTP 1.0/2.0/3.0/3.1;
//! - [`frame`]: ZMTP 3.x framing, decoder and encoder (and 2.0's and
//!   1.0's, for old peers);
//! - [`command`]: command bodies (READY, ERROR, SUBSCRIBE, CANCEL, PING,
//!   PONG) and the property list of READY (and of the mechanisms' commands).

pub mod command;
pub mod engine;
pub mod frame;
pub mod greeting;
pub mod mechanism;
#[cfg(test)]
pub(crate) mod testing;

use std::fmt;

use crate::error::Error;

pub use command::{Command, Properties};
pub use frame::{FrameDecoder, FrameVersion};
pub use greeting::{
    Greeting, GreetingDecoder, GreetingStatus, MechanismName, PeerGreeting, Version,
};

/// `EPROTO` on Linux: what a protocol violation becomes for the C layer.
const EPROTO: i32 = 71;

/// Monitor codes of `zmq.h` (`ZMQ_PROTOCOL_ERROR_ZMTP_*`), reported with
/// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`.
pub mod protocol_error {
    pub const UNSPECIFIED: u32 = 0x1000_0000;
    pub const UNEXPECTED_COMMAND: u32 = 0x1000_0001;
    pub const INVALID_SEQUENCE: u32 = 0x1000_0002;
    pub const KEY_EXCHANGE: u32 = 0x1000_0003;
    pub const MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
    pub const MALFORMED_COMMAND_MESSAGE: u32 = 0x1000_0012;
    pub const MALFORMED_COMMAND_HELLO: u32 = 0x1000_0013;
    pub const MALFORMED_COMMAND_INITIATE: u32 = 0x1000_0014;
    pub const MALFORMED_COMMAND_ERROR: u32 = 0x1000_0015;
    pub const MALFORMED_COMMAND_READY: u32 = 0x1000_0016;
    pub const MALFORMED_COMMAND_WELCOME: u32 = 0x1000_0017;
    pub const INVALID_METADATA: u32 = 0x1000_0018;
    pub const CRYPTOGRAPHIC: u32 = 0x1100_0001;
    pub const MECHANISM_MISMATCH: u32 = 0x1100_0002;
    pub const ZAP_UNSPECIFIED: u32 = 0x2000_0000;
    pub const ZAP_MALFORMED_REPLY: u32 = 0x2000_0001;
    pub const ZAP_BAD_REQUEST_ID: u32 = 0x2000_0002;
    pub const ZAP_BAD_VERSION: u32 = 0x2000_0003;
    pub const ZAP_INVALID_STATUS_CODE: u32 = 0x2000_0004;
    pub const ZAP_INVALID_METADATA: u32 = 0x2000_0005;
}

/// Everything the codecs can refuse. After a decoder returns one, the
/// connection is beyond repair: the engine closes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZmtpError {
    /// The peer's greeting is not a ZMTP greeting we accept (for example a
    /// legacy peer when legacy versions are refused).
    BadGreeting,
    /// The greeting names a mechanism we do not know (the raw field).
    UnknownMechanism([u8; 20]),
    /// The greeting's as-server octet is neither 0 nor 1.
    BadAsServer(u8),
    /// A frame's flags octet has reserved bits set.
    ReservedFlags(u8),
    /// A command frame on a connection whose version has no commands.
    UnexpectedCommand,
    /// A malformed frame header (a 1.0 length of zero).
    InvalidFrame,
    /// A frame larger than the maximum message size, or than 2^63-1.
    MessageTooLarge,
    /// Memory for a frame could not be had.
    NoMemory,
    /// A command body that does not parse (truncated, empty name...).
    MalformedCommand,
    /// An ERROR command that does not parse.
    MalformedError,
    /// A property list that does not parse (READY, or a mechanism's).
    InvalidMetadata,
    /// A RADIO's message whose group frame is missing, over-long, or not
    /// followed by exactly one body frame; or a JOIN or LEAVE with such a
    /// group.
    InvalidGroup,
    /// Our own data cannot be encoded (a name over 255 bytes, a PING
    /// context over 16 bytes...): a caller's mistake, never the peer's.
    Unencodable,
}

impl ZmtpError {
    /// The `ZMQ_PROTOCOL_ERROR_*` code for the monitor, for errors the
    /// peer caused; `None` for ours (size limits, memory, encoding).
    pub fn protocol_code(&self) -> Option<u32> {
        use protocol_error::*;
        match self {
            ZmtpError::BadGreeting
            | ZmtpError::BadAsServer(_)
            | ZmtpError::ReservedFlags(_)
            | ZmtpError::InvalidFrame
            | ZmtpError::InvalidGroup => Some(UNSPECIFIED),
            ZmtpError::UnknownMechanism(_) => Some(MECHANISM_MISMATCH),
            ZmtpError::UnexpectedCommand => Some(UNEXPECTED_COMMAND),
            ZmtpError::MalformedCommand => Some(MALFORMED_COMMAND_UNSPECIFIED),
            ZmtpError::MalformedError => Some(MALFORMED_COMMAND_ERROR),
            ZmtpError::InvalidMetadata => Some(INVALID_METADATA),
            ZmtpError::MessageTooLarge | ZmtpError::NoMemory | ZmtpError::Unencodable => None,
        }
    }
}

impl fmt::Display for ZmtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZMTP: {self:?}")
    }
}

impl std::error::Error for ZmtpError {}

impl From<ZmtpError> for Error {
    fn from(e: ZmtpError) -> Error {
        match e {
            ZmtpError::MessageTooLarge => Error::MessageTooLarge,
            ZmtpError::NoMemory => Error::NoMemory,
            ZmtpError::Unencodable => Error::Invalid,
            _ => Error::Os(EPROTO),
        }
    }
}

/// Deterministic pseudo-random numbers for the tests (xorshift64*).
#[cfg(test)]
pub(crate) struct TestRng(u64);

#[cfg(test)]
impl TestRng {
    pub(crate) fn new(seed: u64) -> TestRng {
        TestRng(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_errno() {
        assert_eq!(
            Error::from(ZmtpError::MessageTooLarge),
            Error::MessageTooLarge
        );
        assert_eq!(Error::from(ZmtpError::ReservedFlags(8)), Error::Os(EPROTO));
        assert_eq!(
            ZmtpError::UnknownMechanism([0; 20]).protocol_code(),
            Some(protocol_error::MECHANISM_MISMATCH)
        );
        assert_eq!(ZmtpError::Unencodable.protocol_code(), None);
    }
}
