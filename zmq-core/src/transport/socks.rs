//! The client side of a SOCKS5 proxy handshake (RFC 1928, with RFC 1929's
//! user name and password), sans I/O: the session writes what
//! [`Handshake::output`] holds, reads exactly [`Handshake::wants`] bytes at
//! a time and hands them to [`Handshake::received`] until the proxy has
//! connected us to the target. Reading no more than asked keeps the bytes
//! the target sends after the proxy's reply (its ZMTP greeting) in the
//! stream, for the engine.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::address::TcpConnect;
use crate::error::{Error, Result};

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0x00;
const USER_PASSWORD: u8 = 0x02;
const NO_ACCEPTABLE_METHOD: u8 = 0xff;
const USER_PASSWORD_VERSION: u8 = 1;
const CONNECT: u8 = 1;
const ATYP_IPV4: u8 = 1;
const ATYP_NAME: u8 = 3;
const ATYP_IPV6: u8 = 4;

/// The longest answer a proxy sends: a CONNECT reply naming a host of
/// 255 bytes.
pub const LONGEST_REPLY: usize = 4 + 1 + 255 + 2;

/// Why a proxy handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocksError {
    /// The target's host name is longer than SOCKS can carry (255 bytes).
    NameTooLong,
    /// The proxy speaks another protocol, or broke this one.
    Protocol,
    /// The proxy takes none of the methods offered.
    NoAcceptableMethod,
    /// The proxy refused the user name and password.
    AuthRefused,
    /// The proxy could not or would not connect (RFC 1928's REP code).
    Refused(u8),
}

impl fmt::Display for SocksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocksError::NameTooLong => write!(f, "host name too long for SOCKS"),
            SocksError::Protocol => write!(f, "not a SOCKS5 answer"),
            SocksError::NoAcceptableMethod => write!(f, "no acceptable SOCKS method"),
            SocksError::AuthRefused => write!(f, "SOCKS authentication refused"),
            SocksError::Refused(code) => write!(f, "SOCKS connect refused (code {code})"),
        }
    }
}

/// A tcp connect through a proxy (ZMQ_SOCKS_PROXY, _USERNAME,
/// _PASSWORD as they were at zmq_connect).
#[derive(Clone, Debug)]
pub struct Route {
    /// The proxy, connected to (and looked up) like a tcp peer.
    pub proxy: TcpConnect,
    /// The peer the proxy is asked for; its name is not looked up here.
    pub target: TcpConnect,
    username: Vec<u8>,
    password: Vec<u8>,
}

impl Route {
    /// EINVAL for a proxy address zmq_connect would refuse, and for a
    /// target the proxy could not be asked for (a name over 255 bytes).
    pub fn new(
        proxy: &[u8],
        target: TcpConnect,
        username: &[u8],
        password: &[u8],
    ) -> Result<Route> {
        let proxy = std::str::from_utf8(proxy).map_err(|_| Error::Invalid)?;
        let route = Route {
            proxy: TcpConnect::parse(proxy)?,
            target,
            username: username.to_vec(),
            password: password.to_vec(),
        };
        route.handshake().map_err(|_| Error::Invalid)?;
        Ok(route)
    }

    /// The handshake for one connection to the proxy.
    pub fn handshake(&self) -> std::result::Result<Handshake, SocksError> {
        Handshake::new(
            &self.target.host,
            self.target.port,
            &self.username,
            &self.password,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Waiting for the method the proxy chose.
    Method,
    /// Waiting for the verdict on the user name and password.
    Auth,
    /// Waiting for the answer to CONNECT.
    Reply,
    Done,
}

pub struct Handshake {
    step: Step,
    /// Bytes to write, and how many of them were written.
    output: Vec<u8>,
    written: usize,
    /// The message being read.
    input: Vec<u8>,
    /// RFC 1929's sub-negotiation, when a user name was given.
    credentials: Option<Vec<u8>>,
    request: Vec<u8>,
}

impl Handshake {
    /// A handshake asking the proxy to connect to `host:port`. An IPv4 or
    /// IPv6 literal goes as an address, anything else as a name for the
    /// proxy to resolve. With a user name (ZMQ_SOCKS_USERNAME not empty)
    /// only RFC 1929's method is offered, otherwise only "no
    /// authentication".
    pub fn new(
        host: &str,
        port: u16,
        username: &[u8],
        password: &[u8],
    ) -> std::result::Result<Handshake, SocksError> {
        let mut request = vec![VERSION, CONNECT, 0];
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            request.push(ATYP_IPV4);
            request.extend_from_slice(&ip.octets());
        } else if let Ok(ip) = host.parse::<Ipv6Addr>() {
            request.push(ATYP_IPV6);
            request.extend_from_slice(&ip.octets());
        } else {
            let len = u8::try_from(host.len()).map_err(|_| SocksError::NameTooLong)?;
            request.extend_from_slice(&[ATYP_NAME, len]);
            request.extend_from_slice(host.as_bytes());
        }
        request.extend_from_slice(&port.to_be_bytes());
        let credentials = if username.is_empty() {
            None
        } else {
            let user_len = u8::try_from(username.len()).map_err(|_| SocksError::Protocol)?;
            let pass_len = u8::try_from(password.len()).map_err(|_| SocksError::Protocol)?;
            let mut auth = vec![USER_PASSWORD_VERSION, user_len];
            auth.extend_from_slice(username);
            auth.push(pass_len);
            auth.extend_from_slice(password);
            Some(auth)
        };
        let method = if credentials.is_some() {
            USER_PASSWORD
        } else {
            NO_AUTH
        };
        Ok(Handshake {
            step: Step::Method,
            output: vec![VERSION, 1, method],
            written: 0,
            input: Vec::new(),
            credentials,
            request,
        })
    }

    /// Bytes waiting to be written to the proxy.
    pub fn output(&self) -> &[u8] {
        &self.output[self.written..]
    }

    /// `n` bytes of [`Handshake::output`] were written.
    pub fn wrote(&mut self, n: usize) {
        self.written = (self.written + n).min(self.output.len());
        if self.written == self.output.len() {
            self.output.clear();
            self.written = 0;
        }
    }

    pub fn is_done(&self) -> bool {
        self.step == Step::Done
    }

    /// How many bytes to read next: never more than the current message
    /// still lacks (0 once done).
    pub fn wants(&self) -> usize {
        let have = self.input.len();
        let whole = match self.step {
            Step::Method | Step::Auth => 2,
            // VER REP RSV ATYP and the address's first byte tell the size.
            Step::Reply if have < 5 => 5,
            Step::Reply => match self.input[3] {
                ATYP_IPV4 => 4 + 4 + 2,
                ATYP_IPV6 => 4 + 16 + 2,
                // Checked in `received` as soon as it arrives.
                _ => 4 + 1 + usize::from(self.input[4]) + 2,
            },
            Step::Done => return 0,
        };
        whole - have
    }

    /// Takes bytes read from the proxy (at most [`Handshake::wants`]).
    /// Each answer is judged as soon as the bytes that decide it arrive.
    pub fn received(&mut self, bytes: &[u8]) -> std::result::Result<(), SocksError> {
        if bytes.len() > self.wants() {
            return Err(SocksError::Protocol);
        }
        self.input.extend_from_slice(bytes);
        self.check_header()?;
        if self.wants() > 0 {
            return Ok(());
        }
        let message = std::mem::take(&mut self.input);
        match self.step {
            Step::Method => match (message[1], self.credentials.take()) {
                (NO_ACCEPTABLE_METHOD, _) => return Err(SocksError::NoAcceptableMethod),
                (USER_PASSWORD, Some(auth)) => {
                    self.output.extend_from_slice(&auth);
                    self.step = Step::Auth;
                }
                (NO_AUTH, None) => self.send_request(),
                // A method we did not offer.
                _ => return Err(SocksError::Protocol),
            },
            Step::Auth => {
                if message[1] != 0 {
                    return Err(SocksError::AuthRefused);
                }
                self.send_request();
            }
            Step::Reply => self.step = Step::Done,
            Step::Done => {}
        }
        Ok(())
    }

    fn send_request(&mut self) {
        let request = std::mem::take(&mut self.request);
        self.output.extend_from_slice(&request);
        self.step = Step::Reply;
    }

    /// Checks the bytes of the current message that are in.
    fn check_header(&self) -> std::result::Result<(), SocksError> {
        let m = &self.input;
        let version = match self.step {
            Step::Auth => USER_PASSWORD_VERSION,
            _ => VERSION,
        };
        if m.first().is_some_and(|&v| v != version) {
            return Err(SocksError::Protocol);
        }
        if self.step == Step::Reply {
            if let Some(&code) = m.get(1) {
                if code != 0 {
                    return Err(SocksError::Refused(code));
                }
            }
            if m.get(2).is_some_and(|&reserved| reserved != 0) {
                return Err(SocksError::Protocol);
            }
            if m.get(3)
                .is_some_and(|&atyp| !matches!(atyp, ATYP_IPV4 | ATYP_NAME | ATYP_IPV6))
            {
                return Err(SocksError::Protocol);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` in pieces of at most `chunk` bytes, as a session
    /// reading `wants()` at a time would.
    fn feed(
        h: &mut Handshake,
        mut bytes: &[u8],
        chunk: usize,
    ) -> std::result::Result<(), SocksError> {
        while !bytes.is_empty() {
            let n = h.wants().min(chunk).min(bytes.len());
            assert!(n > 0, "the handshake wants nothing but bytes are left");
            h.received(&bytes[..n])?;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    fn take_output(h: &mut Handshake) -> Vec<u8> {
        let out = h.output().to_vec();
        h.wrote(out.len());
        out
    }

    #[test]
    fn without_credentials_a_name_is_left_to_the_proxy() {
        for chunk in [1, 2, 3, 100] {
            let mut h = Handshake::new("example.org", 5555, b"", b"").unwrap();
            assert_eq!(take_output(&mut h), [5, 1, 0]);
            assert_eq!(h.wants(), 2);
            feed(&mut h, &[5, 0], chunk).unwrap();
            let mut request = vec![5, 1, 0, 3, 11];
            request.extend_from_slice(b"example.org");
            request.extend_from_slice(&[0x15, 0xb3]);
            assert_eq!(take_output(&mut h), request);
            // A reply naming the bound address by name, 4 bytes long.
            assert_eq!(h.wants(), 5);
            feed(
                &mut h,
                &[5, 0, 0, 3, 4, b'h', b'o', b's', b't', 0, 80],
                chunk,
            )
            .unwrap();
            assert!(h.is_done());
            assert_eq!(h.wants(), 0);
            assert!(h.output().is_empty());
        }
    }

    #[test]
    fn addresses_go_as_addresses_and_replies_of_every_type_are_read() {
        let mut h = Handshake::new("127.0.0.1", 1, b"", b"").unwrap();
        take_output(&mut h);
        feed(&mut h, &[5, 0], 2).unwrap();
        assert_eq!(take_output(&mut h), [5, 1, 0, 1, 127, 0, 0, 1, 0, 1]);
        feed(&mut h, &[5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90], 3).unwrap();
        assert!(h.is_done());

        let mut h = Handshake::new("::1", 65535, b"", b"").unwrap();
        take_output(&mut h);
        feed(&mut h, &[5, 0], 1).unwrap();
        let mut request = vec![5, 1, 0, 4];
        request.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        request.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(take_output(&mut h), request);
        let mut reply = vec![5, 0, 0, 4];
        reply.extend_from_slice(&[0; 16]);
        reply.extend_from_slice(&[0, 0]);
        assert_eq!(h.wants(), 5);
        h.received(&reply[..5]).unwrap();
        assert_eq!(h.wants(), 17);
        h.received(&reply[5..]).unwrap();
        assert!(h.is_done());
    }

    #[test]
    fn user_name_and_password_are_sent_when_the_proxy_asks() {
        let mut h = Handshake::new("10.0.0.1", 80, b"user", b"secret").unwrap();
        assert_eq!(take_output(&mut h), [5, 1, 2]);
        feed(&mut h, &[5, 2], 1).unwrap();
        let mut auth = vec![1, 4];
        auth.extend_from_slice(b"user");
        auth.push(6);
        auth.extend_from_slice(b"secret");
        assert_eq!(take_output(&mut h), auth);
        feed(&mut h, &[1, 0], 1).unwrap();
        assert_eq!(take_output(&mut h), [5, 1, 0, 1, 10, 0, 0, 1, 0, 80]);
        feed(&mut h, &[5, 0, 0, 1, 0, 0, 0, 0, 0, 0], 10).unwrap();
        assert!(h.is_done());
        // An empty password is sent as such.
        let mut h = Handshake::new("a", 1, b"u", b"").unwrap();
        take_output(&mut h);
        feed(&mut h, &[5, 2], 2).unwrap();
        assert_eq!(take_output(&mut h), [1, 1, b'u', 0]);
    }

    #[test]
    fn refusals_and_garbage_fail_at_the_byte_that_shows_them() {
        let ready = |user: &[u8]| {
            let mut h = Handshake::new("host", 1, user, b"pw").unwrap();
            take_output(&mut h);
            h
        };
        // Method choice: nothing acceptable, not offered, not SOCKS5.
        let mut h = ready(b"");
        assert_eq!(
            feed(&mut h, &[5, 0xff], 2),
            Err(SocksError::NoAcceptableMethod)
        );
        assert_eq!(feed(&mut ready(b""), &[5, 2], 2), Err(SocksError::Protocol));
        assert_eq!(
            feed(&mut ready(b"u"), &[5, 0], 2),
            Err(SocksError::Protocol)
        );
        // A SOCKS4 or HTTP answer is refused at its first byte.
        let mut h = ready(b"");
        assert_eq!(h.received(b"H"), Err(SocksError::Protocol));
        let mut h = ready(b"");
        assert_eq!(h.received(&[4]), Err(SocksError::Protocol));
        // The password is refused.
        let mut h = ready(b"u");
        feed(&mut h, &[5, 2], 2).unwrap();
        take_output(&mut h);
        assert_eq!(feed(&mut h, &[1, 1], 2), Err(SocksError::AuthRefused));
        let mut h = ready(b"u");
        feed(&mut h, &[5, 2], 2).unwrap();
        assert_eq!(feed(&mut h, &[5, 0], 2), Err(SocksError::Protocol));
        // CONNECT refused: known at the second byte of the reply.
        for code in 1..=8 {
            let mut h = ready(b"");
            feed(&mut h, &[5, 0], 2).unwrap();
            h.received(&[5]).unwrap();
            assert_eq!(h.received(&[code]), Err(SocksError::Refused(code)));
        }
        // A reply with a bad reserved byte or address type.
        for bad in [
            [5, 0, 1, 1, 0],
            [5, 0, 0, 2, 0],
            [5, 0, 0, 0, 0],
            [5, 0, 0, 0xff, 0],
        ] {
            let mut h = ready(b"");
            feed(&mut h, &[5, 0], 2).unwrap();
            assert_eq!(h.received(&bad), Err(SocksError::Protocol), "{bad:?}");
        }
        // More bytes than asked for.
        let mut h = ready(b"");
        assert_eq!(h.received(&[5, 0, 0]), Err(SocksError::Protocol));
    }

    #[test]
    fn a_name_longer_than_255_bytes_cannot_be_asked_for() {
        let long = "a".repeat(256);
        assert!(matches!(
            Handshake::new(&long, 1, b"", b""),
            Err(SocksError::NameTooLong)
        ));
        assert!(Handshake::new(&long[..255], 1, b"", b"").is_ok());
    }

    #[test]
    fn routes_check_what_zmq_connect_can() {
        let target = TcpConnect::parse("peer.example:5555").unwrap();
        let route = Route::new(b"127.0.0.1:1080", target.clone(), b"", b"").unwrap();
        assert_eq!(route.proxy.port, 1080);
        for bad in [&b""[..], b"127.0.0.1", b"tcp://127.0.0.1:1080", b"h:\xff"] {
            assert!(
                Route::new(bad, target.clone(), b"", b"").is_err(),
                "{bad:?}"
            );
        }
        let long = TcpConnect::parse(&format!("{}:1", "a".repeat(256))).unwrap();
        assert!(Route::new(b"127.0.0.1:1080", long, b"", b"").is_err());
    }

    #[test]
    fn output_written_in_pieces() {
        let mut h = Handshake::new("host", 1, b"", b"").unwrap();
        h.wrote(1);
        assert_eq!(h.output(), [1, 0]);
        h.wrote(5);
        assert!(h.output().is_empty());
    }
}
