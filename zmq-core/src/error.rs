//! The one error type of the library. Each variant is one errno value that
//! libzmq reports; the C layer turns it into `errno` unchanged.

use std::ffi::CStr;
use std::fmt;

/// Base of the error numbers libzmq defines for itself (`ZMQ_HAUSNUMERO`).
pub const HAUSNUMERO: i32 = 156_384_712;
/// Finite-state-machine error: the operation is not valid in this state.
pub const EFSM: i32 = HAUSNUMERO + 51;
/// The protocol is not compatible with the socket type.
pub const ENOCOMPATPROTO: i32 = HAUSNUMERO + 52;
/// The context was terminated.
pub const ETERM: i32 = HAUSNUMERO + 53;
/// No I/O thread is available.
pub const EMTHREAD: i32 = HAUSNUMERO + 54;

/// Everything that can go wrong, named after the errno it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// EAGAIN: the operation would block.
    Again,
    /// EFAULT: an invalid object (message, context, timers...) was passed.
    Fault,
    /// EINVAL: an invalid argument.
    Invalid,
    /// ENOMEM: not enough memory.
    NoMemory,
    /// ENOTSUP (EOPNOTSUPP on Linux): not supported.
    NotSupported,
    /// EPROTONOSUPPORT: the transport protocol is not supported.
    ProtocolNotSupported,
    /// ENOTSOCK: the handle is not a socket.
    NotSocket,
    /// EINTR: a signal interrupted the call.
    Interrupted,
    /// ENOENT: no such endpoint.
    NotFound,
    /// EADDRINUSE: the address is already in use.
    AddressInUse,
    /// EADDRNOTAVAIL: the address is not local.
    AddressNotAvailable,
    /// ECONNREFUSED: the peer refused the connection.
    ConnectionRefused,
    /// EHOSTUNREACH: the message cannot be routed.
    HostUnreachable,
    /// EMSGSIZE: the message is too large.
    MessageTooLarge,
    /// ENODEV: no such device (interface).
    NoDevice,
    /// EMFILE: too many open files or sockets.
    TooManyFiles,
    /// EFSM: the operation is not valid in the current state.
    State,
    /// ENOCOMPATPROTO: the protocol does not fit the socket type.
    IncompatibleProtocol,
    /// ETERM: the context was terminated.
    Terminated,
    /// EMTHREAD: no I/O thread available.
    NoThread,
    /// Any other operating-system error, by its errno.
    Os(i32),
}

impl Error {
    /// The errno value libzmq sets for this error.
    pub fn errno(self) -> i32 {
        match self {
            Error::Again => libc_errno::EAGAIN,
            Error::Fault => libc_errno::EFAULT,
            Error::Invalid => libc_errno::EINVAL,
            Error::NoMemory => libc_errno::ENOMEM,
            Error::NotSupported => libc_errno::ENOTSUP,
            Error::ProtocolNotSupported => libc_errno::EPROTONOSUPPORT,
            Error::NotSocket => libc_errno::ENOTSOCK,
            Error::Interrupted => libc_errno::EINTR,
            Error::NotFound => libc_errno::ENOENT,
            Error::AddressInUse => libc_errno::EADDRINUSE,
            Error::AddressNotAvailable => libc_errno::EADDRNOTAVAIL,
            Error::ConnectionRefused => libc_errno::ECONNREFUSED,
            Error::HostUnreachable => libc_errno::EHOSTUNREACH,
            Error::MessageTooLarge => libc_errno::EMSGSIZE,
            Error::NoDevice => libc_errno::ENODEV,
            Error::TooManyFiles => libc_errno::EMFILE,
            Error::State => EFSM,
            Error::IncompatibleProtocol => ENOCOMPATPROTO,
            Error::Terminated => ETERM,
            Error::NoThread => EMTHREAD,
            Error::Os(code) => code,
        }
    }

    /// The error for an errno value; the inverse of [`Error::errno`].
    pub fn from_errno(code: i32) -> Error {
        ALL.iter()
            .copied()
            .find(|e| e.errno() == code)
            .unwrap_or(Error::Os(code))
    }

    /// libzmq's own message for the codes it describes itself; `None` for
    /// the codes the operating system describes.
    pub fn zmq_message(code: i32) -> Option<&'static CStr> {
        match code {
            EFSM => Some(c"Operation cannot be accomplished in current state"),
            ENOCOMPATPROTO => Some(c"The protocol is not compatible with the socket type"),
            ETERM => Some(c"Context was terminated"),
            EMTHREAD => Some(c"No thread available"),
            libc_errno::EHOSTUNREACH => Some(c"Host unreachable"),
            _ => None,
        }
    }
}

/// Every named variant, for [`Error::from_errno`].
const ALL: [Error; 20] = [
    Error::Again,
    Error::Fault,
    Error::Invalid,
    Error::NoMemory,
    Error::NotSupported,
    Error::ProtocolNotSupported,
    Error::NotSocket,
    Error::Interrupted,
    Error::NotFound,
    Error::AddressInUse,
    Error::AddressNotAvailable,
    Error::ConnectionRefused,
    Error::HostUnreachable,
    Error::MessageTooLarge,
    Error::NoDevice,
    Error::TooManyFiles,
    Error::State,
    Error::IncompatibleProtocol,
    Error::Terminated,
    Error::NoThread,
];

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Error::zmq_message(self.errno()) {
            Some(text) => f.write_str(&text.to_string_lossy()),
            None => write!(f, "{:?} (errno {})", self, self.errno()),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        match e.raw_os_error() {
            Some(code) => Error::from_errno(code),
            None => match e.kind() {
                std::io::ErrorKind::WouldBlock => Error::Again,
                std::io::ErrorKind::Interrupted => Error::Interrupted,
                std::io::ErrorKind::OutOfMemory => Error::NoMemory,
                _ => Error::Invalid,
            },
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Linux errno values. zmq-core has no libc dependency; these are the
/// numbers of the Linux ABI, which the C layer's tests cross-check.
mod libc_errno {
    pub const EINTR: i32 = 4;
    pub const EAGAIN: i32 = 11;
    pub const ENOMEM: i32 = 12;
    pub const EFAULT: i32 = 14;
    pub const ENOENT: i32 = 2;
    pub const ENODEV: i32 = 19;
    pub const EINVAL: i32 = 22;
    pub const EMFILE: i32 = 24;
    pub const ENOTSOCK: i32 = 88;
    pub const EMSGSIZE: i32 = 90;
    pub const EPROTONOSUPPORT: i32 = 93;
    pub const ENOTSUP: i32 = 95;
    pub const EADDRINUSE: i32 = 98;
    pub const EADDRNOTAVAIL: i32 = 99;
    pub const ECONNREFUSED: i32 = 111;
    pub const EHOSTUNREACH: i32 = 113;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_round_trips() {
        for e in ALL {
            assert_eq!(Error::from_errno(e.errno()), e);
        }
        assert_eq!(Error::from_errno(1234), Error::Os(1234));
        assert_eq!(Error::Os(1234).errno(), 1234);
    }

    #[test]
    fn errnos_are_distinct() {
        let mut codes: Vec<i32> = ALL.iter().map(|e| e.errno()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
    }

    #[test]
    fn zmq_codes_have_libzmq_numbers_and_messages() {
        assert_eq!(Error::State.errno(), 156_384_763);
        assert_eq!(Error::Terminated.errno(), 156_384_765);
        assert_eq!(Error::zmq_message(ETERM), Some(c"Context was terminated"));
        assert_eq!(Error::zmq_message(22), None);
    }

    #[test]
    fn io_errors_keep_their_errno() {
        let e = std::io::Error::from_raw_os_error(111);
        assert_eq!(Error::from(e), Error::ConnectionRefused);
    }
}
