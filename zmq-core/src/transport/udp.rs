//! udp for RADIO, DISH and DGRAM. For RADIO and DISH each message is one
//! datagram: the group's length (one byte), the group, then the body. A
//! RADIO connects (to a unicast or multicast address) and sends every
//! message it has, whatever its group; a DISH binds (an interface, or a
//! multicast group it then joins) and its socket keeps the groups it
//! joined. A DGRAM binds or connects and moves raw datagrams, each as an
//! address frame and a body frame. Datagrams are never queued past a full
//! pipe or socket buffer: udp may lose them anyway.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};

use mio::{Interest, Token};

use crate::error::{Error, Result};
use crate::io_thread::Cx;
use crate::msg::{Msg, GROUP_MAX_LENGTH};
use crate::pipe::{PipeEnd, Read};

/// The largest datagram a DISH takes (the largest udp payload).
const MAX_DATAGRAM: usize = 65_535;
/// Datagrams handled in one turn before others on the thread get theirs.
const TURN: usize = 256;

/// A datagram of `msg`: group length, group, body.
pub fn encode(msg: &Msg, out: &mut Vec<u8>) {
    let group = msg.group();
    out.clear();
    out.push(group.len() as u8);
    out.extend_from_slice(group);
    out.extend_from_slice(msg.as_slice());
}

/// The message a datagram carries; `None` for one too short for the group
/// length it announces (dropped, never read past its end).
pub fn decode(datagram: &[u8]) -> Option<Msg> {
    let (&len, rest) = datagram.split_first()?;
    let len = usize::from(len);
    if rest.len() < len {
        return None;
    }
    let (group, body) = rest.split_at(len);
    let mut msg = Msg::from_slice(body).ok()?;
    msg.set_group(group).ok()?;
    Some(msg)
}

/// Where a udp endpoint points: an address, and for multicast the local
/// interface to use (unspecified: the system's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpTarget {
    pub addr: SocketAddr,
    pub interface: IpAddr,
}

/// The address of a local interface named `name` (an address in numeric
/// form, or an interface name such as `lo` or `eth0`).
fn interface_addr(name: &str, ipv6: bool) -> Result<IpAddr> {
    if name == "*" {
        return Ok(unspecified(ipv6));
    }
    if let Ok(ip) = name.trim_start_matches('[').trim_end_matches(']').parse() {
        return Ok(ip);
    }
    let addrs = nix::ifaddrs::getifaddrs().map_err(|e| Error::from_errno(e as i32))?;
    for ifaddr in addrs.filter(|a| a.interface_name == name) {
        let Some(address) = ifaddr.address else {
            continue;
        };
        if let Some(v4) = address.as_sockaddr_in() {
            if !ipv6 {
                return Ok(IpAddr::V4(v4.ip()));
            }
        }
        if let Some(v6) = address.as_sockaddr_in6() {
            if ipv6 {
                return Ok(IpAddr::V6(v6.ip()));
            }
        }
    }
    Err(Error::NoDevice)
}

fn unspecified(ipv6: bool) -> IpAddr {
    match ipv6 {
        true => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        false => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

/// Splits `[interface;]host:port`; EINVAL without a port.
fn split(address: &str) -> Result<(Option<&str>, &str, u16)> {
    let (interface, rest) = match address.split_once(';') {
        Some((interface, rest)) => (Some(interface), rest),
        None => (None, address),
    };
    let (host, port) = rest.rsplit_once(':').ok_or(Error::Invalid)?;
    // `*` (bind only): a port the system picks, as for tcp.
    let port = match port {
        "*" => 0,
        port => port.parse::<u16>().map_err(|_| Error::Invalid)?,
    };
    if host.is_empty() {
        return Err(Error::Invalid);
    }
    Ok((
        interface,
        host.trim_start_matches('[').trim_end_matches(']'),
        port,
    ))
}

impl UdpTarget {
    /// A RADIO's destination: a host (looked up now) or a multicast group,
    /// and a port.
    pub fn for_connect(address: &str, ipv6: bool) -> Result<UdpTarget> {
        let (interface, host, port) = split(address)?;
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|_| Error::Invalid)?
            .find(|a| ipv6 || a.is_ipv4())
            .ok_or(Error::Invalid)?;
        let interface = match interface {
            Some(name) => interface_addr(name, addr.is_ipv6())?,
            None => unspecified(addr.is_ipv6()),
        };
        if port == 0 {
            return Err(Error::Invalid);
        }
        Ok(UdpTarget { addr, interface })
    }

    /// A DISH's local end: an interface (`*`, an address or a name) or a
    /// multicast group (with the interface to join it on), and a port.
    pub fn for_bind(address: &str, ipv6: bool) -> Result<UdpTarget> {
        let (interface, host, port) = split(address)?;
        let ip = match host.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => interface_addr(host, ipv6)?,
        };
        let interface = match interface {
            Some(name) => interface_addr(name, ip.is_ipv6())?,
            None => unspecified(ip.is_ipv6()),
        };
        Ok(UdpTarget {
            addr: SocketAddr::new(ip, port),
            interface,
        })
    }

    /// A socket bound for this target: a DISH's on its port (on every
    /// interface for a multicast group, which it joins), a RADIO's on any
    /// port.
    pub fn open(
        &self,
        receiving: bool,
        multicast_hops: u32,
        multicast_loop: bool,
    ) -> Result<UdpSocket> {
        let addr = self.addr;
        let socket = if receiving {
            let local = match addr.ip().is_multicast() {
                true => SocketAddr::new(unspecified(addr.is_ipv6()), addr.port()),
                false => addr,
            };
            let socket = socket2::Socket::new(
                socket2::Domain::for_address(local),
                socket2::Type::DGRAM,
                Some(socket2::Protocol::UDP),
            )?;
            // Several DISHes of a host may share a multicast port.
            if addr.ip().is_multicast() {
                socket.set_reuse_address(true)?;
            }
            socket.bind(&local.into())?;
            let socket: UdpSocket = socket.into();
            match (addr.ip(), self.interface) {
                (IpAddr::V4(group), IpAddr::V4(on)) if group.is_multicast() => {
                    socket.join_multicast_v4(&group, &on)?
                }
                (IpAddr::V6(group), _) if group.is_multicast() => {
                    socket.join_multicast_v6(&group, 0)?
                }
                _ => {}
            }
            socket
        } else {
            let socket = UdpSocket::bind(SocketAddr::new(unspecified(addr.is_ipv6()), 0))?;
            if addr.ip().is_multicast() {
                let socket = socket2::SockRef::from(&socket);
                match (addr.ip(), self.interface) {
                    (IpAddr::V4(_), IpAddr::V4(on)) => {
                        socket.set_multicast_ttl_v4(multicast_hops)?;
                        socket.set_multicast_loop_v4(multicast_loop)?;
                        if !on.is_unspecified() {
                            socket.set_multicast_if_v4(&on)?;
                        }
                    }
                    _ => socket.set_multicast_loop_v6(multicast_loop)?,
                }
            }
            socket
        };
        socket.set_nonblocking(true)?;
        Ok(socket)
    }
}

/// What a udp endpoint does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpMode {
    /// RADIO: every message to `to`, as a datagram with its group.
    Radio { to: SocketAddr },
    /// DISH: every datagram in, as a message with its group.
    Dish,
    /// DGRAM: raw datagrams both ways, each as an address frame
    /// (`ip:port`) and a body frame; bound or connected.
    Dgram { bound: bool },
}

/// One udp endpoint of a socket, on an I/O thread.
pub struct UdpHandler {
    socket_id: u64,
    /// The endpoint as given (zmq_disconnect, zmq_unbind) and as resolved.
    given: String,
    resolved: String,
    socket: mio::net::UdpSocket,
    pipe: Option<PipeEnd>,
    mode: UdpMode,
    /// A datagram the socket would not take yet, and where it goes.
    pending: Option<(SocketAddr, Vec<u8>)>,
    /// DGRAM: the address frame read, waiting for its body (`None`
    /// inside: an address that does not parse, whose body is dropped).
    address: Option<Option<SocketAddr>>,
    buf: Vec<u8>,
    done: bool,
}

impl UdpHandler {
    pub fn new(
        cx: &mut Cx,
        socket_id: u64,
        socket: UdpSocket,
        pipe: PipeEnd,
        mode: UdpMode,
        given: String,
        resolved: String,
    ) -> io::Result<(Token, UdpHandler)> {
        let token = cx.new_token();
        let mut socket = mio::net::UdpSocket::from_std(socket);
        let interest = match mode {
            UdpMode::Radio { .. } => Interest::WRITABLE,
            UdpMode::Dish => Interest::READABLE,
            UdpMode::Dgram { .. } => Interest::READABLE | Interest::WRITABLE,
        };
        cx.registry().register(&mut socket, token, interest)?;
        pipe.attach(cx.mailbox.clone());
        cx.own_pipe(pipe.id(), token);
        Ok((
            token,
            UdpHandler {
                socket_id,
                given,
                resolved,
                socket,
                pipe: Some(pipe),
                mode,
                pending: None,
                address: None,
                buf: Vec::new(),
                done: false,
            },
        ))
    }

    pub fn socket_id(&self) -> u64 {
        self.socket_id
    }

    /// Whether it is the endpoint `endpoint` names (as given or resolved),
    /// bound or connected.
    pub fn matches(&self, endpoint: &str, bound: bool) -> bool {
        let is_bound = match self.mode {
            UdpMode::Radio { .. } => false,
            UdpMode::Dish => true,
            UdpMode::Dgram { bound } => bound,
        };
        is_bound == bound && (self.given == endpoint || self.resolved == endpoint)
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Moves what it can; asks to run again if it stopped for fairness.
    pub fn ready(&mut self, cx: &mut Cx, token: Token) {
        let mut more = self.send();
        if !matches!(self.mode, UdpMode::Radio { .. }) {
            more |= self.receive();
        }
        if more {
            cx.run_again(token);
        }
    }

    /// Datagrams out until the pipe is empty or the socket full. A DISH's
    /// pipe carries only its joins, which are nothing to the network.
    fn send(&mut self) -> bool {
        for _ in 0..TURN {
            if let Some((to, datagram)) = self.pending.take() {
                match self.socket.send_to(&datagram, to) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.pending = Some((to, datagram));
                        return false;
                    }
                    // Unreachable networks, refusals: the datagram is lost,
                    // as udp may lose any.
                    Err(_) => {}
                }
                self.buf = datagram;
            }
            let Some(pipe) = self.pipe.as_mut() else {
                return false;
            };
            let msg = match pipe.read() {
                Read::Msg(msg) => msg,
                Read::Empty => return false,
                Read::Closed => {
                    self.done = true;
                    return false;
                }
            };
            match self.mode {
                UdpMode::Radio { to } => {
                    let mut datagram = std::mem::take(&mut self.buf);
                    encode(&msg, &mut datagram);
                    self.pending = Some((to, datagram));
                }
                UdpMode::Dish => {}
                UdpMode::Dgram { .. } => match self.address.take() {
                    None => {
                        let text = std::str::from_utf8(msg.as_slice()).ok();
                        self.address = Some(text.and_then(|t| t.parse().ok()));
                    }
                    Some(Some(to)) => {
                        let mut datagram = std::mem::take(&mut self.buf);
                        datagram.clear();
                        datagram.extend_from_slice(msg.as_slice());
                        self.pending = Some((to, datagram));
                    }
                    Some(None) => {}
                },
            }
        }
        true
    }

    /// Datagrams in until none waits.
    fn receive(&mut self) -> bool {
        self.buf.resize(MAX_DATAGRAM, 0);
        for _ in 0..TURN {
            let Some(pipe) = self.pipe.as_mut() else {
                return false;
            };
            match self.socket.recv_from(&mut self.buf) {
                Ok((n, from)) => {
                    let datagram = &self.buf[..n];
                    // A full pipe drops the datagram, as a full network
                    // buffer would have.
                    match self.mode {
                        UdpMode::Dish => {
                            if let Some(msg) = decode(datagram) {
                                let _ = pipe.write(msg);
                            }
                        }
                        UdpMode::Dgram { .. } => {
                            if pipe.check_write().is_ok() {
                                let address = Msg::from_slice(from.to_string().as_bytes());
                                if let (Ok(mut address), Ok(body)) =
                                    (address, Msg::from_slice(datagram))
                                {
                                    address.set_more(true);
                                    let _ = pipe.write(address);
                                    let _ = pipe.write(body);
                                }
                            }
                        }
                        UdpMode::Radio { .. } => {}
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // An error queued by an earlier send (ICMP): nothing lost here.
                Err(_) => {}
            }
        }
        true
    }

    /// The socket closed: what its pipe holds now goes out, then the
    /// endpoint goes.
    pub fn linger(&mut self, cx: &mut Cx) {
        while self.send() {}
        self.close(cx);
    }

    pub fn close(&mut self, cx: &mut Cx) {
        let _ = cx.registry().deregister(&mut self.socket);
        if let Some(pipe) = self.pipe.take() {
            cx.forget_pipe(pipe.id());
            pipe.close(false);
        }
        self.done = true;
    }
}

/// The group's length limit is the datagram's one-byte field.
const _: () = assert!(GROUP_MAX_LENGTH <= u8::MAX as usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_carry_the_group_and_the_body() {
        let mut msg = Msg::from_slice(b"body").unwrap();
        msg.set_group(b"news").unwrap();
        let mut datagram = Vec::new();
        encode(&msg, &mut datagram);
        assert_eq!(datagram, b"\x04newsbody");
        let back = decode(&datagram).unwrap();
        assert_eq!(
            (back.group(), back.as_slice()),
            (&b"news"[..], &b"body"[..])
        );
        let back = decode(b"\x00").unwrap();
        assert_eq!((back.group(), back.as_slice()), (&b""[..], &b""[..]));
    }

    #[test]
    fn truncated_or_hostile_datagrams_are_dropped() {
        assert!(decode(b"").is_none());
        assert!(decode(b"\x05news").is_none());
        assert!(decode(b"\xffshort").is_none());
        // A NUL inside a group cannot be a C string.
        assert!(decode(b"\x02a\x00body").is_none());
        let mut longest = vec![255u8];
        longest.extend_from_slice(&[b'g'; 255]);
        assert_eq!(decode(&longest).unwrap().group().len(), 255);
    }

    #[test]
    fn endpoints_parse_as_libzmq_reads_them() {
        let t = UdpTarget::for_connect("127.0.0.1:5555", false).unwrap();
        assert_eq!(t.addr, "127.0.0.1:5555".parse().unwrap());
        let t = UdpTarget::for_bind("*:5556", false).unwrap();
        assert_eq!(t.addr, "0.0.0.0:5556".parse().unwrap());
        let t = UdpTarget::for_bind("127.0.0.1:*", false).unwrap();
        assert_eq!(t.addr, "127.0.0.1:0".parse().unwrap());
        let t = UdpTarget::for_bind("lo:5557", false).unwrap();
        assert_eq!(t.addr, "127.0.0.1:5557".parse().unwrap());
        let t = UdpTarget::for_bind("lo;239.0.0.1:5558", false).unwrap();
        assert_eq!(t.interface, IpAddr::V4(Ipv4Addr::LOCALHOST));
        let t = UdpTarget::for_connect("[::1]:5559", true).unwrap();
        assert!(t.addr.is_ipv6());
        for bad in [
            "",
            "127.0.0.1",
            "127.0.0.1:",
            ":5555",
            "127.0.0.1:99999",
            "127.0.0.1:x",
        ] {
            assert_eq!(
                UdpTarget::for_connect(bad, false),
                Err(Error::Invalid),
                "{bad}"
            );
        }
        assert_eq!(
            UdpTarget::for_connect("127.0.0.1:0", false),
            Err(Error::Invalid)
        );
        assert_eq!(
            UdpTarget::for_connect("127.0.0.1:*", false),
            Err(Error::Invalid)
        );
        assert_eq!(
            UdpTarget::for_bind("no-such-interface:5555", false),
            Err(Error::NoDevice)
        );
    }
}
