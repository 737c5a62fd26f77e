//! Endpoint addresses of the tcp and ipc transports.
//!
//! Every function takes the text after `tcp://` or `ipc://` and follows what
//! libzmq 4.3 accepts, rejects and resolves, with its errno values; the unit
//! tests at the end record each behaviour as measured against the real
//! library (Debian's libzmq 4.3.4).
//!
//! The rules, in libzmq's order, for a tcp address `[SOURCE;]HOST:PORT`:
//! - the source is everything before the *last* `;`, the port everything
//!   after the last `:` (so IPv6 literals need no brackets when a port
//!   follows, and brackets are only stripped when they enclose the host);
//! - the port is a decimal number from 1 to 65535, or `*` / `0` where a
//!   port may be chosen; anything else is EINVAL (libzmq reads it with
//!   `atoi` and wraps it to 16 bits, so `99999` would bind port 34463: we
//!   refuse such ports instead);
//! - a `%zone` suffix names an interface (`%eth0`) or an index (`%2`), and
//!   is EINVAL when empty or unknown;
//! - a bind (and a connect's source) never asks DNS: it takes `*`, an
//!   interface name, or a numeric address (`127.1` and `0x7f.0.0.1` too, as
//!   getaddrinfo's AI_NUMERICHOST does), else ENODEV;
//! - with ZMQ_IPV6 a bind uses the IPv6 family, an IPv4 literal becoming
//!   IPv4-mapped (`::ffff:127.0.0.1`); without it, only IPv4 (an
//!   IPv4-mapped IPv6 literal is accepted as its IPv4 address).

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, ToSocketAddrs};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// Linux errno values this module reports itself.
const EINVAL: i32 = 22;
const EEXIST: i32 = 17;
const EIO: i32 = 5;
/// What libzmq reports for an ipc path that does not fit `sun_path`.
pub const ENAMETOOLONG: i32 = 36;

/// `sizeof(sockaddr_un.sun_path)` on Linux. libzmq needs room for the
/// path's terminating NUL, so the longest path it accepts is one byte less.
const SUN_PATH_LEN: usize = 108;
/// The longest ipc path (or `@name`) libzmq accepts, in bytes.
pub const IPC_PATH_MAX_LEN: usize = SUN_PATH_LEN - 1;
/// Interface names are shorter than this (IFNAMSIZ, the NUL included).
const IFNAMSIZ: usize = 16;

/// Where a tcp bind listens: the part after `tcp://`, `HOST:PORT`. HOST is
/// `*` (0.0.0.0, or [::] when `ipv6`), an IPv4 literal, an IPv6 literal
/// (brackets optional, `%zone` allowed), or an interface name (its first
/// address of the family `ipv6` selects). Host names are *not* resolved:
/// libzmq gives ENODEV for them, as for any host it cannot use. PORT is
/// `*` or `0` for an ephemeral port, else read as libzmq reads it.
///
/// A `SOURCE;` prefix is checked like the address and then ignored, as
/// libzmq does. Errors: EINVAL for a missing or bad port or zone, ENODEV for
/// a host that is neither an interface nor a numeric address of the family.
///
/// A returned IPv6 address may be IPv4-mapped: its listener must turn
/// IPV6_V6ONLY off, as libzmq does for every IPv6 listener.
pub fn tcp_bind_addr(addr: &str, ipv6: bool) -> Result<SocketAddr> {
    match addr.rfind(';') {
        Some(pos) => {
            resolve_local(&addr[..pos], ipv6)?;
            resolve_local(&addr[pos + 1..], ipv6)
        }
        None => resolve_local(addr, ipv6),
    }
}

/// A parsed tcp connect address: `[SOURCE;]HOST:PORT`. Resolution is
/// deferred: libzmq resolves on every connect attempt, so a name that does
/// not resolve yet is not an error for `zmq_connect`.
///
/// `host` has its enclosing brackets removed and keeps any `%zone`.
/// `port` 0 means the address can never be connected to (port `0`, a port
/// that reads as 0 such as `65536`, or no port after the `;`); `resolve`
/// then fails with EINVAL on every attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpConnect {
    /// The text before the last `;`, resolved by [`TcpConnect::source_addr`].
    pub source: Option<String>,
    /// The host, brackets removed, `%zone` kept.
    pub host: String,
    /// The port; 0 when the address can never be connected to.
    pub port: u16,
}

impl TcpConnect {
    /// Checks syntax the way libzmq's `zmq_connect` does before it accepts a
    /// tcp endpoint, and nothing more: EINVAL when the host does not start
    /// with a letter, digit, `[` or `:`, when a character other than
    /// letters, digits and `.-:%;[]_*` appears, or when the text after the
    /// last `:` does not start with a digit (no port, port `*`, `-1`...).
    /// The port must be 1 to 65535 (libzmq accepts `:0` and `:65536` here
    /// and never connects; we say so at once). Other oddities libzmq lets
    /// through (`[::1:5555`) fail later, in [`TcpConnect::resolve`] or
    /// [`TcpConnect::source_addr`].
    pub fn parse(addr: &str) -> Result<TcpConnect> {
        if !connect_syntax_ok(addr) {
            return Err(Error::Invalid);
        }
        let (source, rest) = match addr.rfind(';') {
            Some(pos) => (Some(addr[..pos].to_string()), &addr[pos + 1..]),
            None => (None, addr),
        };
        let (host, port) = match rest.rfind(':') {
            Some(pos) => (
                strip_brackets(&rest[..pos]),
                connect_port(&rest[pos + 1..])?,
            ),
            None => return Err(Error::Invalid),
        };
        Ok(TcpConnect {
            source,
            host: host.to_string(),
            port,
        })
    }

    /// All addresses of the host, resolved now (blocking getaddrinfo for
    /// names). IPv4 only unless `ipv6`; with `ipv6` both families, IPv6
    /// first. A literal is used as is (an IPv4-mapped literal without
    /// `ipv6` becomes its IPv4 address), and a `%zone` sets the scope of the
    /// IPv6 results. Every failure is EINVAL (as libzmq sets it for any
    /// failed resolution of a connect address).
    /// Whether the host is a name, which `resolve` looks up (and which may
    /// take long), rather than an address.
    pub fn is_name(&self) -> bool {
        let name = split_zone(&self.host).map_or(self.host.as_str(), |(name, _)| name);
        parse_ipv4_aton(name).is_none() && name.parse::<Ipv6Addr>().is_err()
    }

    pub fn resolve(&self, ipv6: bool) -> std::io::Result<Vec<SocketAddr>> {
        if self.port == 0 {
            return Err(einval_io());
        }
        let (name, zone) = split_zone(&self.host).map_err(|_| einval_io())?;
        if name.is_empty() || name.contains('\0') {
            return Err(einval_io());
        }
        if let Some(ip) = parse_ipv4_aton(name) {
            return Ok(vec![SocketAddr::new(IpAddr::V4(ip), self.port)]);
        }
        if let Ok(ip) = name.parse::<Ipv6Addr>() {
            let addr = match (ipv6, ip.to_ipv4_mapped()) {
                (true, _) => SocketAddr::V6(SocketAddrV6::new(ip, self.port, 0, zone)),
                (false, Some(v4)) => SocketAddr::new(IpAddr::V4(v4), self.port),
                (false, None) => return Err(einval_io()),
            };
            return Ok(vec![addr]);
        }
        let found = (name, self.port)
            .to_socket_addrs()
            .map_err(|_| einval_io())?;
        let mut v6 = Vec::new();
        let mut v4 = Vec::new();
        for addr in found {
            match addr {
                SocketAddr::V4(_) => v4.push(addr),
                SocketAddr::V6(mut a) if ipv6 => {
                    if zone != 0 {
                        a.set_scope_id(zone);
                    }
                    v6.push(SocketAddr::V6(a));
                }
                SocketAddr::V6(_) => {}
            }
        }
        v6.append(&mut v4);
        let mut out: Vec<SocketAddr> = Vec::with_capacity(v6.len());
        for addr in v6 {
            if !out.contains(&addr) {
                out.push(addr);
            }
        }
        if out.is_empty() {
            return Err(einval_io());
        }
        Ok(out)
    }

    /// The source address to bind before connecting, resolved like
    /// [`tcp_bind_addr`] (no DNS; `*` and interface names allowed; port `*`
    /// or `0` for any). `None` if no source was given. libzmq resolves it on
    /// each attempt, before the host, and an error fails that attempt.
    pub fn source_addr(&self, ipv6: bool) -> Result<Option<SocketAddr>> {
        self.source
            .as_deref()
            .map(|source| resolve_local(source, ipv6))
            .transpose()
    }
}

/// The text ZMQ_LAST_ENDPOINT shows for a bound tcp address, as libzmq
/// prints it (getnameinfo with NI_NUMERICHOST): `tcp://127.0.0.1:5555`,
/// `tcp://[::1]:5555`, `tcp://[::ffff:127.0.0.1]:5555`,
/// `tcp://[fe80::1%eth0]:5555`, `tcp://0.0.0.0:5555` for a wildcard bind.
pub fn tcp_endpoint_string(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("tcp://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => {
            let mut host = ipv6_text(a.ip());
            if a.scope_id() != 0 {
                host.push('%');
                host.push_str(&scope_text(a.ip(), a.scope_id()));
            }
            format!("tcp://[{}]:{}", host, a.port())
        }
    }
}

/// An ipc endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpcAddr {
    /// A filesystem path.
    Path(PathBuf),
    /// Linux abstract namespace: "ipc://@name" (the name without the '@').
    Abstract(Vec<u8>),
}

impl IpcAddr {
    /// Parses the part after `ipc://` for connect (`*` is just a file named
    /// `*` there). EINVAL for an empty address, a lone `@` or a NUL byte;
    /// ENAMETOOLONG when longer than 107 bytes (`sun_path` minus its NUL),
    /// for `@name` as for paths.
    pub fn parse(addr: &str) -> Result<IpcAddr> {
        if addr.is_empty() {
            return Err(Error::Invalid);
        }
        if addr.len() > IPC_PATH_MAX_LEN {
            return Err(Error::Os(ENAMETOOLONG));
        }
        if addr == "@" || addr.contains('\0') {
            return Err(Error::Invalid);
        }
        Ok(match addr.strip_prefix('@') {
            Some(name) => IpcAddr::Abstract(name.as_bytes().to_vec()),
            None => IpcAddr::Path(PathBuf::from(addr)),
        })
    }

    /// For bind: as [`IpcAddr::parse`], and `*` makes a fresh unique path
    /// the way libzmq does: a new directory `tmpXXXXXX` (mode 0700) in the
    /// first of $TMPDIR, $TEMPDIR, $TMP that names an existing directory, or
    /// else in the current directory (so the path is then relative, as
    /// libzmq's is), with the socket file `socket` inside it. Returns the
    /// address and, for `*`, the directory created, which the listener
    /// removes when it closes (after unlinking the socket file).
    /// ENAMETOOLONG, before anything is created, when the path would not
    /// fit.
    pub fn parse_bind(addr: &str) -> Result<(IpcAddr, Option<PathBuf>)> {
        if addr == "*" {
            let (path, dir) = ipc_wildcard(|name| std::env::var_os(name))?;
            Ok((IpcAddr::Path(path), Some(dir)))
        } else {
            IpcAddr::parse(addr).map(|a| (a, None))
        }
    }

    /// The std socket address to bind or connect.
    pub fn to_unix_addr(&self) -> std::io::Result<std::os::unix::net::SocketAddr> {
        match self {
            IpcAddr::Path(path) => std::os::unix::net::SocketAddr::from_pathname(path),
            IpcAddr::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                std::os::unix::net::SocketAddr::from_abstract_name(name)
            }
        }
    }

    /// `ipc:///tmp/x` or `ipc://@name`: the ZMQ_LAST_ENDPOINT text.
    pub fn endpoint_string(&self) -> String {
        match self {
            IpcAddr::Path(path) => format!("ipc://{}", path.to_string_lossy()),
            IpcAddr::Abstract(name) => format!("ipc://@{}", String::from_utf8_lossy(name)),
        }
    }
}

/// EINVAL as an io error, with its errno so that callers keep the number.
fn einval_io() -> std::io::Error {
    std::io::Error::from_raw_os_error(EINVAL)
}

/// libzmq's resolution of a local (bindable) `HOST:PORT`, without the
/// `SOURCE;` split: the core of [`tcp_bind_addr`] and of connect sources.
fn resolve_local(text: &str, ipv6: bool) -> Result<SocketAddr> {
    let pos = text.rfind(':').ok_or(Error::Invalid)?;
    let port = bind_port(&text[pos + 1..])?;
    let host = strip_brackets(&text[..pos]);
    let (host, zone) = split_zone(host)?;
    let mut addr = if host == "*" {
        if ipv6 {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)
        } else {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
        }
    } else if let Some(addr) = nic_addr(host, ipv6)? {
        addr
    } else {
        SocketAddr::new(numeric_host(host, ipv6).ok_or(Error::NoDevice)?, 0)
    };
    addr.set_port(port);
    if let SocketAddr::V6(a) = &mut addr {
        if zone != 0 {
            a.set_scope_id(zone);
        }
    }
    Ok(addr)
}

/// A bind port: `*` and `0` ask for an ephemeral port.
fn bind_port(text: &str) -> Result<u16> {
    if text == "*" || text == "0" {
        return Ok(0);
    }
    connect_port(text)
}

/// A port number: 1 to 65535 in decimal digits, nothing else.
fn connect_port(text: &str) -> Result<u16> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Invalid);
    }
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(Error::Invalid),
        Ok(port) => Ok(port),
    }
}

/// The syntax check `zmq_connect` applies to a tcp address.
fn connect_syntax_ok(addr: &str) -> bool {
    let bytes = addr.as_bytes();
    let first_ok = |b: u8| b.is_ascii_alphanumeric() || b == b'[' || b == b':';
    let rest_ok = |b: u8| b.is_ascii_alphanumeric() || b".-:%;[]_*".contains(&b);
    match bytes.split_first() {
        Some((&first, rest)) if first_ok(first) && rest.iter().all(|&b| rest_ok(b)) => {}
        _ => return false,
    }
    match addr.rfind(':') {
        Some(pos) => bytes.get(pos + 1).is_some_and(u8::is_ascii_digit),
        None => false,
    }
}

/// Removes one pair of brackets enclosing the whole host, as libzmq does
/// (an unbalanced bracket stays and makes the host unusable).
fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Splits `host%zone` at the last `%`. The zone is an interface name when it
/// starts with a letter, else a number read like atoi; empty, unknown or 0
/// is EINVAL. Returns zone 0 when there is none.
fn split_zone(host: &str) -> Result<(&str, u32)> {
    let Some(pos) = host.rfind('%') else {
        return Ok((host, 0));
    };
    let zone = &host[pos + 1..];
    let index = match zone.as_bytes().first() {
        None => return Err(Error::Invalid),
        Some(b) if b.is_ascii_alphabetic() => {
            nix::net::if_::if_nametoindex(zone).map_err(|_| Error::Invalid)?
        }
        Some(_) => c_atoi(zone) as u32,
    };
    if index == 0 {
        return Err(Error::Invalid);
    }
    Ok((&host[..pos], index))
}

/// The first address of the right family of the interface called `name`
/// (libzmq tries interface names before numeric addresses). `None` when
/// there is no such interface, or it has no address of that family.
fn nic_addr(name: &str, ipv6: bool) -> Result<Option<SocketAddr>> {
    if name.is_empty() || name.len() >= IFNAMSIZ || name.contains('\0') {
        return Ok(None);
    }
    let interfaces = match nix::ifaddrs::getifaddrs() {
        Ok(interfaces) => interfaces,
        Err(nix::errno::Errno::ENOMEM) => return Err(Error::NoMemory),
        Err(_) => return Ok(None),
    };
    for interface in interfaces {
        if interface.interface_name != name {
            continue;
        }
        let Some(storage) = interface.address else {
            continue;
        };
        if ipv6 {
            if let Some(a) = storage.as_sockaddr_in6() {
                // The scope is kept: a link-local address needs it to bind.
                return Ok(Some(SocketAddr::V6(SocketAddrV6::from(*a))));
            }
        } else if let Some(a) = storage.as_sockaddr_in() {
            return Ok(Some(SocketAddr::V4(SocketAddrV4::from(*a))));
        }
    }
    Ok(None)
}

/// A numeric host the way getaddrinfo with AI_NUMERICHOST reads it for the
/// family: with `ipv6`, IPv6 literals and IPv4 ones mapped into IPv6;
/// without, IPv4 ones and IPv4-mapped IPv6 ones.
fn numeric_host(host: &str, ipv6: bool) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4_aton(host) {
        return Some(if ipv6 {
            IpAddr::V6(v4.to_ipv6_mapped())
        } else {
            IpAddr::V4(v4)
        });
    }
    let v6 = host.parse::<Ipv6Addr>().ok()?;
    if ipv6 {
        Some(IpAddr::V6(v6))
    } else {
        v6.to_ipv4_mapped().map(IpAddr::V4)
    }
}

/// IPv4 in every form glibc's inet_aton reads exactly: one to four parts
/// separated by dots, each decimal, octal (leading 0) or hex (0x); the last
/// part fills the remaining bytes (`127.1`, `2130706433`).
fn parse_ipv4_aton(text: &str) -> Option<Ipv4Addr> {
    let mut parts = [0u64; 4];
    let mut count = 0;
    for part in text.split('.') {
        if count == parts.len() {
            return None;
        }
        parts[count] = parse_aton_number(part.as_bytes())?;
        count += 1;
    }
    let (last, leading) = parts[..count].split_last()?;
    if leading.iter().any(|&p| p > 0xff) {
        return None;
    }
    let last_bits = 8 * (4 - leading.len() as u32);
    if *last >= 1u64 << last_bits {
        return None;
    }
    let mut value = *last as u32;
    for (i, &p) in leading.iter().enumerate() {
        value |= (p as u32) << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(value))
}

/// One inet_aton part: must start with a digit and be entirely a C number
/// (strtoul base 0) no larger than 32 bits.
fn parse_aton_number(part: &[u8]) -> Option<u64> {
    let (radix, digits) = match part {
        [b'0', b'x' | b'X', rest @ ..] if rest.first().is_some_and(u8::is_ascii_hexdigit) => {
            (16, rest)
        }
        [b'0', rest @ ..] => (8, rest),
        [b'1'..=b'9', ..] => (10, part),
        _ => return None,
    };
    let mut value: u64 = 0;
    for &b in digits {
        let digit = (b as char).to_digit(radix)?;
        value = value * u64::from(radix) + u64::from(digit);
        if value > u64::from(u32::MAX) {
            return None;
        }
    }
    Some(value)
}

/// C's atoi as glibc implements it: `(int) strtol(text, NULL, 10)`, i.e.
/// leading blanks, an optional sign, digits up to the first non-digit, the
/// value clamped to 64 bits and then truncated to 32. libzmq reads ports and
/// zone indexes this way, so `-1` is port 65535 and `65537` is port 1.
fn c_atoi(text: &str) -> i32 {
    let bytes = text.as_bytes();
    let mut i = 0;
    while bytes
        .get(i)
        .is_some_and(|&b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        i += 1;
    }
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    // The magnitude, stopped just above what any i64 can hold.
    let cap: u128 = 1 << 64;
    let mut magnitude: u128 = 0;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        magnitude = (magnitude * 10 + u128::from(b - b'0')).min(cap);
        i += 1;
    }
    let long = if negative {
        if magnitude >= 1 << 63 {
            i64::MIN
        } else {
            -(magnitude as i64)
        }
    } else if magnitude > i64::MAX as u128 {
        i64::MAX
    } else {
        magnitude as i64
    };
    long as i32
}

/// An IPv6 address as glibc's inet_ntop prints it: like Rust's display,
/// except the deprecated IPv4-compatible form (`::1.2.3.4`).
fn ipv6_text(ip: &Ipv6Addr) -> String {
    let s = ip.segments();
    if s[..6].iter().all(|&w| w == 0) && s[6] != 0 {
        let [_, _, _, _, _, _, _, _, _, _, _, _, a, b, c, d] = ip.octets();
        return format!("::{}", Ipv4Addr::new(a, b, c, d));
    }
    ip.to_string()
}

/// The `%scope` text getnameinfo appends: the interface name for link-local
/// addresses (unicast or multicast), the number otherwise.
fn scope_text(ip: &Ipv6Addr, scope: u32) -> String {
    let o = ip.octets();
    let link_local = (o[0] == 0xfe && o[1] & 0xc0 == 0x80) || (o[0] == 0xff && o[1] & 0x0f == 0x02);
    if link_local {
        // nix reports an unknown index as an empty name, not an error.
        match nix::net::if_::if_indextoname(scope) {
            Ok(name) if !name.as_bytes().is_empty() => return name.to_string_lossy().into_owned(),
            _ => {}
        }
    }
    scope.to_string()
}

/// The directory libzmq puts `ipc://*` sockets in, with a trailing `/`, or
/// empty for the current directory.
fn ipc_tmp_base(getenv: impl Fn(&str) -> Option<OsString>) -> OsString {
    for var in ["TMPDIR", "TEMPDIR", "TMP"] {
        let Some(dir) = getenv(var) else { continue };
        if dir.is_empty() || !std::fs::metadata(&dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let mut base = dir.into_vec();
        if base.last() != Some(&b'/') {
            base.push(b'/');
        }
        return OsString::from_vec(base);
    }
    OsString::new()
}

/// Creates the private directory for an `ipc://*` bind. Returns the socket
/// path and the directory.
fn ipc_wildcard(getenv: impl Fn(&str) -> Option<OsString>) -> Result<(PathBuf, PathBuf)> {
    const DIR_NAME_LEN: usize = "tmpXXXXXX".len();
    const SOCKET: &str = "socket";
    let base = ipc_tmp_base(getenv);
    if base.len() + DIR_NAME_LEN + 1 + SOCKET.len() > IPC_PATH_MAX_LEN {
        return Err(Error::Os(ENAMETOOLONG));
    }
    const CHARS: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for _ in 0..100 {
        let mut random = [0u8; 6];
        getrandom::getrandom(&mut random)
            .map_err(|e| Error::Os(e.raw_os_error().unwrap_or(EIO)))?;
        let mut dir = base.as_bytes().to_vec();
        dir.extend_from_slice(b"tmp");
        dir.extend(random.iter().map(|&r| CHARS[usize::from(r) % CHARS.len()]));
        let dir = PathBuf::from(OsString::from_vec(dir));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok((dir.join(SOCKET), dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::from(e)),
        }
    }
    Err(Error::Os(EEXIST))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    fn sa(text: &str) -> SocketAddr {
        text.parse().expect("test literal")
    }

    fn bind(addr: &str, ipv6: bool) -> Result<SocketAddr> {
        tcp_bind_addr(addr, ipv6)
    }

    /// Whether this host gives `lo` an IPv6 address (not every sandbox has
    /// IPv6 enabled).
    fn lo_has_ipv6() -> bool {
        nix::ifaddrs::getifaddrs().is_ok_and(|mut it| {
            it.any(|i| {
                i.interface_name == "lo" && i.address.is_some_and(|a| a.as_sockaddr_in6().is_some())
            })
        })
    }

    // ---- libzmq facts: tcp bind -------------------------------------------

    #[test]
    fn bind_wildcards() {
        // tcp://*:* shows tcp://0.0.0.0:PORT, and tcp://[::]:PORT with ZMQ_IPV6.
        assert_eq!(bind("*:*", false), Ok(sa("0.0.0.0:0")));
        assert_eq!(bind("*:*", true), Ok(sa("[::]:0")));
        assert_eq!(bind("*:0", false), Ok(sa("0.0.0.0:0")));
        assert_eq!(bind("127.0.0.1:0", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("127.0.0.1:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("127.0.0.1:5555", false), Ok(sa("127.0.0.1:5555")));
        // Brackets around * and a zone after it are accepted.
        assert_eq!(bind("[*]:*", false), Ok(sa("0.0.0.0:0")));
        assert_eq!(bind("[*]:*", true), Ok(sa("[::]:0")));
        assert_eq!(bind("*%lo:*", false), Ok(sa("0.0.0.0:0")));
    }

    #[test]
    fn bind_bad_ports_are_einval() {
        // tcp://*:! tcp://*: tcp://* tcp:// -> EINVAL (22)
        for addr in [
            "*:!",
            "*:",
            "*",
            "",
            "127.0.0.1:65536",
            "127.0.0.1:0x10",
            "127.0.0.1:00",
        ] {
            assert_eq!(bind(addr, false), Err(Error::Invalid), "{addr:?}");
        }
        for addr in [
            "127.0.0.1:* ",
            "127.0.0.1:*x",
            "127.0.0.1:**",
            "127.0.0.1:0 ",
            "127.0.0.1:0*",
        ] {
            assert_eq!(bind(addr, false), Err(Error::Invalid), "{addr:?}");
        }
        for addr in [
            "127.0.0.1:-99999999999999999999",
            "127.0.0.1:4294967296",
            "127.0.0.1:2147483648",
            "127.0.0.1:- 7",
        ] {
            assert_eq!(bind(addr, false), Err(Error::Invalid), "{addr:?}");
        }
        assert_eq!(Error::Invalid.errno(), 22);
    }

    #[test]
    fn ports_are_strict_decimal_numbers() {
        // libzmq reads ports with atoi and wraps them (99999 binds 34463,
        // -1 binds 65535, "5x" binds 5); we refuse them.
        for port in [
            "-1",
            "99999",
            "+5",
            " 5",
            "5x",
            "65536",
            "4294967297",
            "\t+7",
            "00",
            "",
        ] {
            let addr = format!("127.0.0.1:{port}");
            assert_eq!(bind(&addr, false), Err(Error::Invalid), "{addr:?}");
            assert_eq!(conn(&addr), Err(Error::Invalid), "{addr:?}");
        }
        assert_eq!(
            bind("127.0.0.1:65535", false),
            Ok(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 65535))
        );
        assert_eq!(conn("127.0.0.1:1").map(|c| c.port), Ok(1));
        assert_eq!(conn("127.0.0.1:0"), Err(Error::Invalid));
    }

    #[test]
    fn bind_host_names_are_enodev() {
        // libzmq never asks DNS for a bind: localhost, unknown names and
        // unknown interfaces are all ENODEV (19), with or without ZMQ_IPV6.
        for addr in [
            "localhost:*",
            "nosuchif0:*",
            "nosuchhost.invalid:*",
            ":5555",
            "LO:*",
        ] {
            assert_eq!(bind(addr, false), Err(Error::NoDevice), "{addr:?}");
        }
        assert_eq!(bind("localhost:*", true), Err(Error::NoDevice));
        assert_eq!(Error::NoDevice.errno(), 19);
    }

    #[test]
    fn bind_malformed_hosts_are_enodev() {
        for addr in [
            "256.1.1.1:*",
            "127.0.0.1:5555:6",
            " 127.0.0.1:*",
            "127.0.0.1 :*",
            "127.0.0.1/:*",
            "127.0.0.08:*",
            "127.0.0.1.:*",
            "[]:*",
            "[:*",
            "]:*",
            "*:*:*",
            "*::*",
        ] {
            assert_eq!(bind(addr, false), Err(Error::NoDevice), "{addr:?}");
        }
        for addr in [
            "[::1:*",
            "::1]:*",
            "[]:*",
            "[[::1]]:*",
            "[::1]]:*",
            "::*",
            "[::1]%lo:*",
        ] {
            assert_eq!(bind(addr, true), Err(Error::NoDevice), "{addr:?}");
        }
    }

    #[test]
    fn bind_numeric_forms_of_getaddrinfo() {
        // AI_NUMERICHOST reads inet_aton forms: 127.1, 0x7f.0.0.1, 2130706433, 0.
        assert_eq!(bind("127.1:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("0x7f.0.0.1:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("2130706433:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("127.0.1:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("127.0.0.01:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("0:*", false), Ok(sa("0.0.0.0:0")));
        assert_eq!(bind("[127.0.0.1]:*", false), Ok(sa("127.0.0.1:0")));
        // A non-local address resolves; bind(2) then fails with EADDRNOTAVAIL.
        assert_eq!(bind("1.2.3.4:*", false), Ok(sa("1.2.3.4:0")));
    }

    #[test]
    fn bind_ipv6_literals_need_zmq_ipv6() {
        // Without ZMQ_IPV6, [::1] and ::1 are ENODEV; with it they bind.
        assert_eq!(bind("[::1]:*", false), Err(Error::NoDevice));
        assert_eq!(bind("::1:*", false), Err(Error::NoDevice));
        assert_eq!(bind("[::1]:*", true), Ok(sa("[::1]:0")));
        assert_eq!(bind("::1:*", true), Ok(sa("[::1]:0")));
        assert_eq!(bind(":::*", true), Ok(sa("[::]:0")));
        assert_eq!(bind("[::]:*", true), Ok(sa("[::]:0")));
        // An IPv4-mapped literal without ZMQ_IPV6 binds its IPv4 address.
        assert_eq!(bind("[::ffff:127.0.0.1]:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(
            bind("[::ffff:127.0.0.1]:*", true),
            Ok(sa("[::ffff:127.0.0.1]:0"))
        );
    }

    #[test]
    fn bind_ipv4_with_zmq_ipv6_is_mapped() {
        // tcp://127.0.0.1:* with ZMQ_IPV6 shows tcp://[::ffff:127.0.0.1]:PORT.
        assert_eq!(bind("127.0.0.1:*", true), Ok(sa("[::ffff:127.0.0.1]:0")));
        assert_eq!(bind("[127.0.0.1]:*", true), Ok(sa("[::ffff:127.0.0.1]:0")));
        assert_eq!(bind("127.1:*", true), Ok(sa("[::ffff:127.0.0.1]:0")));
        assert_eq!(bind("0.0.0.0:*", true), Ok(sa("[::ffff:0.0.0.0]:0")));
    }

    #[test]
    fn bind_zones() {
        let lo = nix::net::if_::if_nametoindex("lo").expect("lo exists");
        // %name and %number set the scope; atoi reads the number.
        let with_scope =
            |scope| SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 0, 0, scope));
        assert_eq!(bind("[::1%lo]:*", true), Ok(with_scope(lo)));
        assert_eq!(bind("[::1%1]:*", true), Ok(with_scope(1)));
        assert_eq!(bind("[::1%1x]:*", true), Ok(with_scope(1)));
        assert_eq!(bind("[::1%-1]:*", true), Ok(with_scope(u32::MAX)));
        // An empty, zero or unknown zone is EINVAL, before the host is looked at.
        for addr in [
            "[::1%0]:*",
            "[::1%]:*",
            "[::1%nosuch]:*",
            "[fe80::1%nosuch]:*",
            "[::1%\u{e9}]:*",
        ] {
            assert_eq!(bind(addr, true), Err(Error::Invalid), "{addr:?}");
        }
        for addr in ["127.0.0.1%nosuch:*", "127.0.0.1%:*", "nosuchhost%nosuch:*"] {
            assert_eq!(bind(addr, false), Err(Error::Invalid), "{addr:?}");
        }
        // A zone on an IPv4 address is accepted and ignored.
        assert_eq!(bind("127.0.0.1%lo:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(
            bind("[::ffff:127.0.0.1%lo]:*", true),
            Ok(SocketAddr::V6(SocketAddrV6::new(
                "::ffff:127.0.0.1".parse().expect("lit"),
                0,
                0,
                lo
            )))
        );
        // A link-local address without a zone resolves (bind(2) then fails EINVAL).
        assert_eq!(bind("[fe80::1]:*", true), Ok(sa("[fe80::1]:0")));
    }

    #[test]
    fn bind_interface_names() {
        // tcp://lo:* binds 127.0.0.1, and ::1 with ZMQ_IPV6.
        assert_eq!(bind("lo:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("[lo]:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("lo%lo:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("lo:5555", false), Ok(sa("127.0.0.1:5555")));
        if lo_has_ipv6() {
            assert_eq!(bind("lo:*", true), Ok(sa("[::1]:0")));
        } else {
            assert_eq!(bind("lo:*", true), Err(Error::NoDevice));
        }
        // An interface without an address of the family is ENODEV (ifb0 here).
        let addressless = nix::ifaddrs::getifaddrs().ok().and_then(|all| {
            let all: Vec<_> = all.collect();
            all.iter().map(|i| i.interface_name.clone()).find(|name| {
                !all.iter().any(|i| {
                    &i.interface_name == name
                        && i.address.is_some_and(|a| a.as_sockaddr_in().is_some())
                })
            })
        });
        if let Some(name) = addressless {
            assert_eq!(bind(&format!("{name}:*"), false), Err(Error::NoDevice));
        }
    }

    #[test]
    fn bind_source_prefix_is_checked_then_ignored() {
        assert_eq!(
            bind("127.0.0.1:*;127.0.0.1:*", false),
            Ok(sa("127.0.0.1:0"))
        );
        assert_eq!(bind("1.2.3.4:*;127.0.0.1:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("lo:*;127.0.0.1:*", false), Ok(sa("127.0.0.1:0")));
        assert_eq!(bind("*:*;*:*", false), Ok(sa("0.0.0.0:0")));
        // Source errors come first: no port EINVAL, unknown host ENODEV.
        for addr in [
            "*;x:*",
            ";127.0.0.1:*",
            "127.0.0.1:*;",
            "127.0.0.1:0x;127.0.0.1:*",
            "127.0.0.1%zz:*;127.0.0.1:*",
        ] {
            assert_eq!(bind(addr, false), Err(Error::Invalid), "{addr:?}");
        }
        // The split is at the last ';'.
        for addr in [
            "nosuch:*;127.0.0.1:*",
            "localhost:*;127.0.0.1:*",
            "127.0.0.1:*;127.0.0.1:*;127.0.0.1:*",
            "a;b:*;127.0.0.1:*",
            "127.0.0.1:*;[::1]:*",
            "[::1]:*;127.0.0.1:*",
        ] {
            assert_eq!(bind(addr, false), Err(Error::NoDevice), "{addr:?}");
        }
    }

    #[test]
    fn bind_addresses_work_with_std() {
        let addr = bind("127.0.0.1:*", false).expect("loopback");
        let listener = TcpListener::bind(addr).expect("bind loopback");
        let bound = listener.local_addr().expect("local addr");
        assert_ne!(bound.port(), 0);
        let text = tcp_endpoint_string(&bound);
        assert_eq!(text, format!("tcp://127.0.0.1:{}", bound.port()));
        // And a connect address made from the same text reaches it.
        let target = TcpConnect::parse(&text["tcp://".len()..]).expect("parse");
        let addrs = target.resolve(false).expect("resolve");
        assert_eq!(addrs, vec![bound]);
        TcpStream::connect(addrs[0]).expect("connect loopback");
    }

    // ---- libzmq facts: tcp connect ----------------------------------------

    fn conn(addr: &str) -> Result<TcpConnect> {
        TcpConnect::parse(addr)
    }

    #[test]
    fn connect_syntax_rejections_are_einval() {
        // Measured EINVAL (22) from zmq_connect.
        for addr in [
            "127.0.0.1:*",
            "*:5555",
            "127.0.0.1:",
            "127.0.0.1",
            "",
            "127.0.0.1:-1",
            "127.0.0.1:+1",
            "127.0.0.1:5 ",
            "]]:5555",
            "-host:5555",
            "_host:5555",
            ".host:5555",
            "h@st:5555",
            "h/st:5555",
            "h st:5555",
            "*:*;127.0.0.1:5555",
            ";127.0.0.1:5555",
            ":",
            "h\u{e9}st:5555",
            "127.0.0.1\0:5555",
            "127.0.0.1:5\0",
        ] {
            assert_eq!(conn(addr), Err(Error::Invalid), "{addr:?}");
        }
    }

    #[test]
    fn connect_accepts_what_libzmq_accepts() {
        // zmq_connect returns 0 for all of these (resolution is deferred).
        for addr in [
            "127.0.0.1:5555",
            "localhost:5555",
            "nosuchhost.invalid:5555",
            ":5555",
            "[::1]:5555",
            "::1:5555",
            "[::1:5555",
            "::1]:5555",
            "h_o-s.t:5555",
            "h*st:5555",
            "[fe80::1%eth0]:5555",
            "127.0.0.1:5556;127.0.0.1:5555",
            "127.0.0.1:*;127.0.0.1:5555",
            "lo:0;127.0.0.1:5555",
            "127.0.0.1;127.0.0.1:5555",
            "nosuchif:0;127.0.0.1:5555",
            "a;b;127.0.0.1:5555",
            ":1",
            "a:1:2",
        ] {
            assert!(conn(addr).is_ok(), "{addr:?}");
        }
    }

    #[test]
    fn connect_fields() {
        let c = conn("127.0.0.1:5555").expect("valid");
        assert_eq!(
            c,
            TcpConnect {
                source: None,
                host: "127.0.0.1".into(),
                port: 5555
            }
        );
        let c = conn("[fe80::1%eth0]:5555").expect("valid");
        assert_eq!(c.host, "fe80::1%eth0");
        let c = conn("lo:0;[::1]:5555").expect("valid");
        assert_eq!(c.source.as_deref(), Some("lo:0"));
        assert_eq!((c.host.as_str(), c.port), ("::1", 5555));
        let c = conn("a;b;127.0.0.1:5555").expect("valid");
        assert_eq!(c.source.as_deref(), Some("a;b"));
        // A source with nothing after it has no port to connect to.
        assert_eq!(conn("127.0.0.1:5555;"), Err(Error::Invalid));
        // Unbalanced brackets stay in the host.
        assert_eq!(conn("[::1:5555").map(|c| c.host), Ok("[::1".to_string()));
    }

    #[test]
    fn connect_resolve_literals() {
        let r = |addr: &str, ipv6| conn(addr).expect("valid").resolve(ipv6);
        assert_eq!(
            r("127.0.0.1:5555", false).ok(),
            Some(vec![sa("127.0.0.1:5555")])
        );
        assert_eq!(
            r("127.1:5555", false).ok(),
            Some(vec![sa("127.0.0.1:5555")])
        );
        assert_eq!(
            r("127.0.0.1:5555", true).ok(),
            Some(vec![sa("127.0.0.1:5555")])
        );
        assert_eq!(r("[::1]:5555", true).ok(), Some(vec![sa("[::1]:5555")]));
        assert_eq!(r("::1:5555", true).ok(), Some(vec![sa("[::1]:5555")]));
        assert_eq!(
            r("[::ffff:127.0.0.1]:5555", false).ok(),
            Some(vec![sa("127.0.0.1:5555")])
        );
        let lo = nix::net::if_::if_nametoindex("lo").expect("lo exists");
        assert_eq!(
            r("[fe80::1%lo]:5555", true).ok(),
            Some(vec![SocketAddr::V6(SocketAddrV6::new(
                "fe80::1".parse().expect("lit"),
                5555,
                0,
                lo
            ))])
        );
        // IPv6 without ZMQ_IPV6, port 0, no port, bad zones: EINVAL every time.
        for (addr, ipv6) in [
            ("[::1]:5555", false),
            (":5555", false),
            ("[::1%nosuch]:5555", true),
            ("[::1%0]:5555", true),
            ("[::1%]:5555", true),
        ] {
            let err = r(addr, ipv6).expect_err(addr);
            assert_eq!(err.raw_os_error(), Some(22), "{addr:?}");
            assert_eq!(Error::from(err), Error::Invalid);
        }
    }

    #[test]
    fn connect_resolve_localhost() {
        // /etc/hosts names localhost; it must give 127.0.0.1 for IPv4.
        let c = conn("localhost:5555").expect("valid");
        let v4only = c.resolve(false).expect("localhost resolves");
        assert!(v4only.contains(&sa("127.0.0.1:5555")), "{v4only:?}");
        assert!(v4only.iter().all(SocketAddr::is_ipv4));
        let both = c.resolve(true).expect("localhost resolves");
        assert!(both.contains(&sa("127.0.0.1:5555")), "{both:?}");
        let first_v4 = both
            .iter()
            .position(SocketAddr::is_ipv4)
            .unwrap_or(both.len());
        assert!(
            both[first_v4..].iter().all(SocketAddr::is_ipv4),
            "IPv6 first: {both:?}"
        );
    }

    #[test]
    fn connect_source_addr() {
        let src = |addr: &str, ipv6| conn(addr).expect("valid").source_addr(ipv6);
        assert_eq!(src("127.0.0.1:5555", false), Ok(None));
        assert_eq!(
            src("127.0.0.1:*;127.0.0.1:5555", false),
            Ok(Some(sa("127.0.0.1:0")))
        );
        assert_eq!(
            src("127.0.0.1:5556;127.0.0.1:5555", false),
            Ok(Some(sa("127.0.0.1:5556")))
        );
        assert_eq!(
            src("lo:0;127.0.0.1:5555", false),
            Ok(Some(sa("127.0.0.1:0")))
        );
        assert_eq!(
            src("0.0.0.0:0;127.0.0.1:5555", true),
            Ok(Some(sa("[::ffff:0.0.0.0]:0")))
        );
        assert_eq!(src("127.0.0.1;127.0.0.1:5555", false), Err(Error::Invalid));
        assert_eq!(
            src("nosuchif:0;127.0.0.1:5555", false),
            Err(Error::NoDevice)
        );
        assert_eq!(src("a;b;127.0.0.1:5555", false), Err(Error::Invalid));
    }

    // ---- LAST_ENDPOINT text -----------------------------------------------

    #[test]
    fn endpoint_strings() {
        assert_eq!(
            tcp_endpoint_string(&sa("127.0.0.1:5555")),
            "tcp://127.0.0.1:5555"
        );
        assert_eq!(
            tcp_endpoint_string(&sa("0.0.0.0:44089")),
            "tcp://0.0.0.0:44089"
        );
        assert_eq!(tcp_endpoint_string(&sa("[::]:43475")), "tcp://[::]:43475");
        assert_eq!(tcp_endpoint_string(&sa("[::1]:5555")), "tcp://[::1]:5555");
        assert_eq!(
            tcp_endpoint_string(&sa("[::ffff:127.0.0.1]:41761")),
            "tcp://[::ffff:127.0.0.1]:41761"
        );
        assert_eq!(tcp_endpoint_string(&sa("[fd00::2]:1")), "tcp://[fd00::2]:1");
        // A scope: the name for link-local (getnameinfo), the number otherwise.
        let lo = nix::net::if_::if_nametoindex("lo").expect("lo exists");
        let scoped = |ip: &str, scope| {
            SocketAddr::V6(SocketAddrV6::new(ip.parse().expect("lit"), 7, 0, scope))
        };
        assert_eq!(
            tcp_endpoint_string(&scoped("fe80::1", lo)),
            "tcp://[fe80::1%lo]:7"
        );
        assert_eq!(
            tcp_endpoint_string(&scoped("ff02::1", lo)),
            "tcp://[ff02::1%lo]:7"
        );
        assert_eq!(tcp_endpoint_string(&scoped("::1", 1)), "tcp://[::1%1]:7");
        assert_eq!(
            tcp_endpoint_string(&scoped("ff01::1", 1)),
            "tcp://[ff01::1%1]:7"
        );
        assert_eq!(
            tcp_endpoint_string(&scoped("fe80::1", 77_777)),
            "tcp://[fe80::1%77777]:7"
        );
    }

    #[test]
    fn ipv6_text_matches_inet_ntop() {
        // Expected values printed by glibc's inet_ntop.
        for (input, want) in [
            ("::1.2.3.4", "::1.2.3.4"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::1", "::1"),
            ("::", "::"),
            ("1::", "1::"),
            ("::0.0.1.2", "::102"),
            ("::ffff:0:0", "::ffff:0.0.0.0"),
            ("0:0:0:0:0:1:0:0", "::1:0:0"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("0:0:1::", "0:0:1::"),
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"),
            ("::0.1.0.0", "::0.1.0.0"),
            ("0:0:0:0:0:fffe:1:2", "::fffe:1:2"),
            ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),
        ] {
            let ip: Ipv6Addr = input.parse().expect("literal");
            assert_eq!(ipv6_text(&ip), want, "{input}");
        }
    }

    // ---- numeric parsing and atoi -----------------------------------------

    #[test]
    fn inet_aton_forms_match_glibc() {
        let ok = [
            ("1.2.3.4", "1.2.3.4"),
            ("0x7f.1", "127.0.0.1"),
            ("00", "0.0.0.0"),
            ("0", "0.0.0.0"),
            ("4294967295", "255.255.255.255"),
            ("1.16777215", "1.255.255.255"),
            ("1.2.65535", "1.2.255.255"),
            ("0xffffffff", "255.255.255.255"),
            ("00000000000000000000000000001", "0.0.0.1"),
            ("0x00000000000000000001", "0.0.0.1"),
            ("0X7F.0.0.1", "127.0.0.1"),
            ("017.0.0.1", "15.0.0.1"),
            ("1.2.3.0377", "1.2.3.255"),
        ];
        for (text, want) in ok {
            assert_eq!(
                parse_ipv4_aton(text),
                Some(want.parse().expect("lit")),
                "{text}"
            );
        }
        let bad = [
            "0x",
            "0x.1.2.3",
            "4294967296",
            "1.2.3.4.5",
            "1.16777216",
            "1.2.65536",
            "",
            "1..2",
            " 1",
            "1 ",
            "0x100.1",
            "1.2.3.",
            "0x1g",
            "99999999999999999999999",
            "1.2.3.0400",
            "::1",
            "+1.2.3.4",
            "-1",
            "1.2.3.4%lo",
            "08",
            "\u{661}.2.3.4",
            ".",
            "1.2.3.4.",
        ];
        for text in bad {
            assert_eq!(parse_ipv4_aton(text), None, "{text:?}");
        }
    }

    #[test]
    fn ipv6_literals_match_inet_pton() {
        // std's parser agrees with glibc's inet_pton on these.
        for text in [
            "::1",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "1:2:3:4:5:6:1.2.3.4",
            "0001::",
            "1:2:3:4:5:6::7",
        ] {
            assert!(numeric_host(text, true).is_some(), "{text}");
        }
        for text in [
            "1:2:3:4:5:6:7:8:9",
            "::ffff:01.2.3.4",
            "::1.2.3",
            "00001::",
            ":1::",
            "1:::2",
            "1::2::3",
            ":::",
            "1:2:3:4:5:6:7:1.2.3.4",
            "fe80::1%lo",
        ] {
            assert!(numeric_host(text, true).is_none(), "{text}");
        }
        // Without ipv6 only IPv4-mapped ones pass, as their IPv4 address.
        assert_eq!(
            numeric_host("::ffff:0102:0304", false),
            Some(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)))
        );
        assert_eq!(numeric_host("::1.2.3.4", false), None);
    }

    #[test]
    fn atoi_semantics() {
        for (text, want) in [
            ("0", 0),
            ("5x", 5),
            ("  -12", -12),
            ("+7", 7),
            ("- 7", 0),
            ("", 0),
            ("abc", 0),
            ("2147483648", i32::MIN),
            ("4294967297", 1),
            ("99999999999999999999", -1),
            ("-99999999999999999999", 0),
            ("-9223372036854775808", 0),
            ("9223372036854775807", -1),
        ] {
            assert_eq!(c_atoi(text), want, "{text:?}");
        }
        let long = "9".repeat(1_000_000);
        assert_eq!(c_atoi(&long), -1);
    }

    // ---- ipc ---------------------------------------------------------------

    #[test]
    fn ipc_parse() {
        assert_eq!(IpcAddr::parse("/tmp/x"), Ok(IpcAddr::Path("/tmp/x".into())));
        assert_eq!(
            IpcAddr::parse("relsock"),
            Ok(IpcAddr::Path("relsock".into()))
        );
        assert_eq!(IpcAddr::parse("*"), Ok(IpcAddr::Path("*".into())));
        assert_eq!(IpcAddr::parse(" "), Ok(IpcAddr::Path(" ".into())));
        assert_eq!(IpcAddr::parse("@x"), Ok(IpcAddr::Abstract(b"x".to_vec())));
        assert_eq!(IpcAddr::parse("@@x"), Ok(IpcAddr::Abstract(b"@x".to_vec())));
        assert_eq!(
            IpcAddr::parse("@ sp"),
            Ok(IpcAddr::Abstract(b" sp".to_vec()))
        );
        // ipc:// and ipc://@ are EINVAL (22) for bind and connect.
        assert_eq!(IpcAddr::parse(""), Err(Error::Invalid));
        assert_eq!(IpcAddr::parse("@"), Err(Error::Invalid));
        assert_eq!(IpcAddr::parse_bind(""), Err(Error::Invalid));
        assert_eq!(IpcAddr::parse_bind("@"), Err(Error::Invalid));
        assert_eq!(IpcAddr::parse("/tmp/a\0b"), Err(Error::Invalid));
        assert_eq!(IpcAddr::parse("@a\0b"), Err(Error::Invalid));
    }

    #[test]
    fn ipc_length_limit_is_107_bytes() {
        // Measured: a 107-byte path binds and connects, 108 bytes gives
        // ENAMETOOLONG (36); bytes count, not characters; same for @names.
        let path = |n: usize| format!("/tmp/addrexp/{}", "g".repeat(n - 13));
        assert!(IpcAddr::parse(&path(107)).is_ok());
        assert_eq!(IpcAddr::parse(&path(108)), Err(Error::Os(ENAMETOOLONG)));
        assert_eq!(
            IpcAddr::parse_bind(&path(108)),
            Err(Error::Os(ENAMETOOLONG))
        );
        assert_eq!(IpcAddr::parse(&path(5013)), Err(Error::Os(36)));
        let e_acute = format!("/tmp/addrexp/\u{e9}{}", "i".repeat(92));
        assert_eq!(e_acute.len(), 107);
        assert!(IpcAddr::parse(&e_acute).is_ok());
        let e_acute = format!("/tmp/addrexp/\u{e9}{}", "i".repeat(93));
        assert_eq!(IpcAddr::parse(&e_acute), Err(Error::Os(ENAMETOOLONG)));
        let name = |n: usize| format!("@{}", "e".repeat(n));
        let ok = IpcAddr::parse(&name(106)).expect("fits");
        assert!(ok.to_unix_addr().is_ok());
        assert_eq!(IpcAddr::parse(&name(107)), Err(Error::Os(ENAMETOOLONG)));
        assert_eq!(IpcAddr::parse(&name(5000)), Err(Error::Os(ENAMETOOLONG)));
        // The longest path converts to a std address too.
        assert!(IpcAddr::parse(&path(107))
            .expect("fits")
            .to_unix_addr()
            .is_ok());
    }

    #[test]
    fn ipc_endpoint_strings() {
        assert_eq!(
            IpcAddr::Path("/tmp/x".into()).endpoint_string(),
            "ipc:///tmp/x"
        );
        assert_eq!(
            IpcAddr::Path("relsock".into()).endpoint_string(),
            "ipc://relsock"
        );
        assert_eq!(
            IpcAddr::Abstract(b"zmqtestabs".to_vec()).endpoint_string(),
            "ipc://@zmqtestabs"
        );
    }

    #[test]
    fn ipc_unix_addrs() {
        use std::os::linux::net::SocketAddrExt;
        let a = IpcAddr::parse("/tmp/x")
            .expect("valid")
            .to_unix_addr()
            .expect("fits");
        assert_eq!(a.as_pathname(), Some(std::path::Path::new("/tmp/x")));
        let a = IpcAddr::parse("@name")
            .expect("valid")
            .to_unix_addr()
            .expect("fits");
        assert_eq!(a.as_abstract_name(), Some(&b"name"[..]));
        // Hand-made values that cannot be addresses are errors, not panics.
        assert!(IpcAddr::Path("a\0b".into()).to_unix_addr().is_err());
        assert!(IpcAddr::Abstract(vec![b'x'; 200]).to_unix_addr().is_err());
    }

    /// A directory under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let mut random = [0u8; 8];
            getrandom::getrandom(&mut random).expect("random");
            let name = format!("zmq-core-address-{tag}-{}", u64::from_le_bytes(random));
            let dir = std::env::temp_dir().join(name);
            std::fs::create_dir(&dir).expect("scratch dir");
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn ipc_wildcard_uses_tmpdir_tempdir_tmp_in_order() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = Scratch::new("wild");
        let dir = scratch.0.clone().into_os_string();
        let file = scratch.0.join("file");
        std::fs::write(&file, b"x").expect("file");
        let file = file.into_os_string();
        let missing = scratch.0.join("missing").into_os_string();

        // TMPDIR=<dir>: "<dir>/tmpXXXXXX/socket" (no double slash either way).
        for tmpdir in [dir.clone(), {
            let mut d = dir.clone();
            d.push("/");
            d
        }] {
            let env = |name: &str| (name == "TMPDIR").then(|| tmpdir.clone());
            let (sock, made) = ipc_wildcard(env).expect("wildcard");
            assert_eq!(made.parent(), Some(scratch.0.as_path()));
            assert_eq!(sock, made.join("socket"));
            let name = made.file_name().and_then(|n| n.to_str()).expect("name");
            assert!(name.len() == 9 && name.starts_with("tmp"), "{name}");
            assert!(
                name[3..].bytes().all(|b| b.is_ascii_alphanumeric()),
                "{name}"
            );
            let meta = std::fs::metadata(&made).expect("created");
            assert!(meta.is_dir());
            assert_eq!(meta.permissions().mode() & 0o777, 0o700);
            assert!(!sock.exists());
            let text = IpcAddr::Path(sock.clone()).endpoint_string();
            assert_eq!(text, format!("ipc://{}", sock.display()));
            assert!(!text["ipc://".len()..].contains("//"), "{text}");
            std::fs::remove_dir(&made).expect("remove");
        }

        // A TMPDIR that is missing, a file or empty is skipped: TEMPDIR, then TMP.
        for bad in [missing.clone(), file.clone(), OsString::new()] {
            let env = |name: &str| match name {
                "TMPDIR" => Some(bad.clone()),
                "TEMPDIR" => Some(dir.clone()),
                _ => None,
            };
            let (_, made) = ipc_wildcard(env).expect("wildcard");
            assert_eq!(made.parent(), Some(scratch.0.as_path()));
            std::fs::remove_dir(&made).expect("remove");
            let env = |name: &str| match name {
                "TMP" => Some(dir.clone()),
                _ => Some(bad.clone()),
            };
            let (_, made) = ipc_wildcard(env).expect("wildcard");
            assert_eq!(made.parent(), Some(scratch.0.as_path()));
            std::fs::remove_dir(&made).expect("remove");
        }

        // None usable: libzmq uses the current directory ("ipc://tmpXXXXXX/socket").
        assert_eq!(ipc_tmp_base(|_| None), OsString::new());
        assert_eq!(ipc_tmp_base(|_| Some(file.clone())), OsString::new());
    }

    #[test]
    fn ipc_wildcard_too_long_is_enametoolong_and_creates_nothing() {
        let scratch = Scratch::new("long");
        // 107 - "/tmpXXXXXX/socket".len() = 90 bytes of base fit, 91 do not.
        let base_len = scratch.0.as_os_str().len();
        if base_len > 80 {
            return; // the system temp dir is too deep for this test
        }
        let deep = |total: usize| {
            let d = scratch.0.join("d".repeat(total - base_len - 1));
            std::fs::create_dir_all(&d).expect("deep dir");
            d
        };
        let fits = deep(90);
        let env = |_: &str| Some(fits.clone().into_os_string());
        let (sock, made) = ipc_wildcard(env).expect("fits");
        assert_eq!(sock.as_os_str().len(), 107);
        assert!(IpcAddr::Path(sock).to_unix_addr().is_ok());
        std::fs::remove_dir(&made).expect("remove");
        let too_long = deep(91);
        let env = |_: &str| Some(too_long.clone().into_os_string());
        assert_eq!(ipc_wildcard(env), Err(Error::Os(ENAMETOOLONG)));
        assert_eq!(std::fs::read_dir(&too_long).expect("dir").count(), 0);
    }

    #[test]
    fn ipc_parse_bind_wildcard_makes_fresh_dirs() {
        if ipc_tmp_base(|name| std::env::var_os(name)).is_empty() {
            // It would create its directories in the source tree; the
            // logic is covered by the tests with a given environment.
            return;
        }
        let (a, dir_a) = IpcAddr::parse_bind("*").expect("wildcard");
        let (b, dir_b) = IpcAddr::parse_bind("*").expect("wildcard");
        let (dir_a, dir_b) = (dir_a.expect("dir"), dir_b.expect("dir"));
        assert_ne!(a, b);
        assert_eq!(a, IpcAddr::Path(dir_a.join("socket")));
        assert!(dir_a.is_dir() && dir_b.is_dir());
        // The socket can be bound there.
        let IpcAddr::Path(path) = &a else {
            panic!("a path: {a:?}");
        };
        let listener = std::os::unix::net::UnixListener::bind(path).expect("bind");
        drop(listener);
        std::fs::remove_file(path).expect("unlink");
        std::fs::remove_dir(&dir_a).expect("rmdir");
        std::fs::remove_dir(&dir_b).expect("rmdir");
        // Anything else is parse's result and no directory.
        assert_eq!(
            IpcAddr::parse_bind("/tmp/x"),
            Ok((IpcAddr::Path("/tmp/x".into()), None))
        );
        assert_eq!(
            IpcAddr::parse_bind("@n"),
            Ok((IpcAddr::Abstract(b"n".to_vec()), None))
        );
    }

    // ---- hostile input: errors, never panics -------------------------------

    #[test]
    fn hostile_input_never_panics() {
        let huge = "9".repeat(100_000);
        let mut inputs: Vec<String> = [
            "",
            ":",
            "::",
            ":::",
            "[",
            "]",
            "[]",
            "[:]",
            "[]:",
            "[]:1",
            "%",
            "%:1",
            "*%:1",
            "[%]:1",
            ";",
            ";;",
            ";:",
            ":;",
            "\0",
            "\0:1",
            "1:\0",
            "[\0]:1",
            "a%\0:1",
            "\u{ff}:1",
            "\u{10ffff}:\u{10ffff}",
            "é%é:é",
            "[::1%lo]:65535",
            "*:-0",
            "*:+",
            "*:-",
            "%%%:1",
            "lo%:1",
            "0x:1",
            "0x.:1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.push(format!("127.0.0.1:{huge}"));
        inputs.push(format!("127.0.0.1:-{huge}"));
        inputs.push(format!("{huge}:1"));
        inputs.push(format!("[{huge}]:1"));
        inputs.push(format!("[::1%{huge}]:1"));
        inputs.push(format!("x%{huge}:1"));
        inputs.push(format!("{}:1", ";".repeat(10_000)));
        inputs.push(format!("{}1", ":".repeat(10_000)));
        inputs.push("[".repeat(10_000));
        inputs.push(format!("{}:1", "a".repeat(15)));
        inputs.push(format!("{}:1", "a".repeat(16)));
        for input in &inputs {
            for ipv6 in [false, true] {
                let _ = tcp_bind_addr(input, ipv6);
            }
            if let Ok(c) = TcpConnect::parse(input) {
                // No DNS in tests: only resolve what is numeric or invalid.
                let numeric = c.port == 0
                    || numeric_host(split_zone(&c.host).map(|(h, _)| h).unwrap_or(""), true)
                        .is_some();
                if numeric {
                    let _ = c.resolve(false);
                    let _ = c.resolve(true);
                }
                let _ = c.source_addr(false);
                let _ = c.source_addr(true);
            }
            let _ = IpcAddr::parse(input).map(|a| (a.to_unix_addr().is_ok(), a.endpoint_string()));
            if input != "*" {
                let _ = IpcAddr::parse_bind(input);
            }
        }
        // Hand-made connect values too.
        for host in ["", "\0", "%", "::1%", "a\0b", "[::1]%"] {
            let c = TcpConnect {
                source: Some(host.to_string()),
                host: host.to_string(),
                port: 1,
            };
            assert!(c.resolve(true).is_err(), "{host:?}");
            assert!(c.source_addr(true).is_err(), "{host:?}");
        }
    }
}
