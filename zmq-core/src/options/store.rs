//! The values of the options common to every socket type, decoded from
//! and encoded to the raw bytes of the C API. Options of one socket type
//! live with its pattern.

use zeroize::Zeroizing;

use super::*;

use crate::curve_keys::{self, KEY_LEN, KEY_TEXT_LEN};
use crate::error::{Error, Result};
use crate::transport::filter::AcceptFilters;
use crate::zmtp::mechanism::Security;
use crate::zmtp::MechanismName;

/// ZMQ_MECHANISM's values.
fn mechanism_number(mechanism: MechanismName) -> i32 {
    match mechanism {
        MechanismName::Null => 0,
        MechanismName::Plain => 1,
        MechanismName::Curve => 2,
    }
}

/// The value of an option the table stores (`Store::Int`, `Switch`,
/// `Bytes`); the others are fields of [`Options`] or live elsewhere.
#[derive(Debug, Clone)]
enum Value {
    Int(i32),
    Switch(bool),
    Bytes(Vec<u8>),
    Own,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// One per row of [`TABLE`].
    values: Vec<Value>,
    pub affinity: u64,
    pub maxmsgsize: i64,
    /// This socket's routing id (ZMQ_ROUTING_ID), announced to peers.
    pub routing_id: Vec<u8>,
    /// The routing id under which the next connect's peer is known.
    pub connect_routing_id: Option<Vec<u8>>,
    /// ZMQ_METADATA: application properties (`X-` names) announced in
    /// READY, in the order set; a name set twice keeps its first value.
    pub app_metadata: Vec<(String, Vec<u8>)>,
    /// ZMQ_RECONNECT_STOP: when a connecting socket gives up.
    pub reconnect_stop: i32,
    /// ZMQ_HELLO_MSG: sent to each new peer first.
    pub hello_msg: Option<Vec<u8>>,
    /// ZMQ_DISCONNECT_MSG: received when a peer that connected to us
    /// leaves.
    pub disconnect_msg: Option<Vec<u8>>,
    /// ZMQ_HICCUP_MSG: received when a connection we made is lost.
    pub hiccup_msg: Option<Vec<u8>>,
    /// The mechanism, its credentials and keys, the ZAP domain.
    pub security: Security,
    /// ZMQ_TCP_ACCEPT_FILTER and ZMQ_IPC_FILTER_*: write-only, as in
    /// libzmq.
    pub accept_filters: AcceptFilters,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            values: TABLE
                .iter()
                .map(|spec| match spec.store {
                    Store::Int { default, .. } => Value::Int(default),
                    Store::Switch { default } => Value::Switch(default),
                    Store::Bytes { .. } => Value::Bytes(Vec::new()),
                    Store::Own { .. } => Value::Own,
                })
                .collect(),
            affinity: 0,
            maxmsgsize: -1,
            routing_id: Vec::new(),
            connect_routing_id: None,
            app_metadata: Vec::new(),
            reconnect_stop: 0,
            hello_msg: None,
            disconnect_msg: None,
            hiccup_msg: None,
            security: Security::default(),
            accept_filters: AcceptFilters::default(),
        }
    }
}

/// An `int` option value from the C API's bytes (exactly `sizeof(int)`).
pub fn int_value(value: &[u8]) -> Result<i32> {
    let bytes: [u8; 4] = value.try_into().map_err(|_| Error::Invalid)?;
    Ok(i32::from_ne_bytes(bytes))
}

/// An on/off option value: any non-negative int, non-zero meaning on
/// (libzmq's rule for the type-specific switches).
pub fn bool_option(value: &[u8]) -> Result<bool> {
    let v = int_value(value)?;
    if v < 0 {
        return Err(Error::Invalid);
    }
    Ok(v != 0)
}

/// Writes a string or binary option's value into the caller's buffer,
/// which must be large enough, and zeroes the rest of it (libzmq's rule);
/// returns the length written.
pub fn put(out: &mut [u8], value: &[u8]) -> Result<usize> {
    if out.len() < value.len() {
        return Err(Error::Invalid);
    }
    let (head, rest) = out.split_at_mut(value.len());
    head.copy_from_slice(value);
    rest.fill(0);
    Ok(value.len())
}

/// Writes a fixed-size option value (an int, a 64-bit value) into a buffer
/// of exactly its size, as libzmq demands of its options.
pub fn put_exact(out: &mut [u8], value: &[u8]) -> Result<usize> {
    if out.len() != value.len() {
        return Err(Error::Invalid);
    }
    out.copy_from_slice(value);
    Ok(value.len())
}

/// An int option: the buffer is exactly an int.
pub fn put_int(out: &mut [u8], value: i32) -> Result<usize> {
    put_exact(out, &value.to_ne_bytes())
}

/// The socket's state read as an int (ZMQ_RCVMORE, ZMQ_FD, ZMQ_EVENTS,
/// ZMQ_THREAD_SAFE): libzmq takes any buffer of at least an int and
/// zeroes the rest.
pub fn put_state_int(out: &mut [u8], value: i32) -> Result<usize> {
    put(out, &value.to_ne_bytes())
}

impl Options {
    /// An int option the table stores (0 for any other).
    pub fn int(&self, option: i32) -> i32 {
        match position(option).map(|i| &self.values[i]) {
            Some(Value::Int(v)) => *v,
            _ => 0,
        }
    }

    /// A byte-string option's value (empty for any other option).
    pub fn bytes(&self, option: i32) -> &[u8] {
        match position(option).map(|i| &self.values[i]) {
            Some(Value::Bytes(v)) => v,
            _ => &[],
        }
    }

    /// Sets a common option; `Ok(false)` if `option` is not one. The
    /// caller has checked the table (known, writable, this socket type).
    pub fn set(&mut self, option: i32, value: &[u8]) -> Result<bool> {
        let Some(i) = position(option) else {
            return Ok(false);
        };
        match TABLE[i].store {
            Store::Int { min, max, .. } => {
                let v = int_value(value)?;
                if v < min || v > max {
                    return Err(Error::Invalid);
                }
                // libzmq keeps the heartbeat TTL in deciseconds.
                let v = if option == HEARTBEAT_TTL {
                    v / 100 * 100
                } else {
                    v
                };
                self.values[i] = Value::Int(v);
                return Ok(true);
            }
            Store::Switch { .. } => {
                self.values[i] = Value::Switch(int_value(value)? != 0);
                return Ok(true);
            }
            Store::Bytes { max } => {
                // An empty proxy address is refused; NULL clears it (libzmq).
                if value.len() > max || (value.is_empty() && option == SOCKS_PROXY) {
                    return Err(Error::Invalid);
                }
                self.values[i] = Value::Bytes(value.to_vec());
                return Ok(true);
            }
            Store::Own { .. } => {}
        }
        match option {
            IPV4ONLY => {
                let v = int_value(value)?;
                if !(0..=1).contains(&v) {
                    return Err(Error::Invalid);
                }
                self.set(IPV6, &(1 - v).to_ne_bytes())
            }
            AFFINITY => {
                let bytes: [u8; 8] = value.try_into().map_err(|_| Error::Invalid)?;
                self.affinity = u64::from_ne_bytes(bytes);
                Ok(true)
            }
            MAXMSGSIZE => {
                let bytes: [u8; 8] = value.try_into().map_err(|_| Error::Invalid)?;
                let v = i64::from_ne_bytes(bytes);
                if v < -1 {
                    return Err(Error::Invalid);
                }
                self.maxmsgsize = v;
                Ok(true)
            }
            ROUTING_ID => {
                self.routing_id = routing_id_value(value)?;
                Ok(true)
            }
            CONNECT_ROUTING_ID => {
                self.connect_routing_id = Some(routing_id_value(value)?);
                Ok(true)
            }
            METADATA => {
                let (name, value) = metadata_value(value)?;
                if !self.app_metadata.iter().any(|(n, _)| *n == name) {
                    self.app_metadata.push((name, value));
                }
                Ok(true)
            }
            TCP_ACCEPT_FILTER => {
                if value.len() >= 255 {
                    return Err(Error::Invalid);
                }
                let ipv6 = self.int(IPV6) != 0;
                self.accept_filters.add_network(value, ipv6)?;
                Ok(true)
            }
            IPC_FILTER_UID | IPC_FILTER_GID | IPC_FILTER_PID => {
                // Any int: uid_t and gid_t take its bits, as in libzmq.
                let id = int_value(value)?;
                let unsigned = u32::from_ne_bytes(id.to_ne_bytes());
                match option {
                    IPC_FILTER_UID => self.accept_filters.uid(Some(unsigned)),
                    IPC_FILTER_GID => self.accept_filters.gid(Some(unsigned)),
                    _ => self.accept_filters.pid(Some(id)),
                }
                Ok(true)
            }
            RECONNECT_STOP => {
                self.reconnect_stop = int_value(value)?;
                Ok(true)
            }
            // Empty clears (libzmq).
            HELLO_MSG => {
                self.hello_msg = (!value.is_empty()).then(|| value.to_vec());
                Ok(true)
            }
            DISCONNECT_MSG => {
                self.disconnect_msg = (!value.is_empty()).then(|| value.to_vec());
                Ok(true)
            }
            HICCUP_MSG => {
                self.hiccup_msg = (!value.is_empty()).then(|| value.to_vec());
                Ok(true)
            }
            _ => self.set_security(option, value),
        }
    }

    /// The security options. Each one that names a mechanism switches the
    /// socket to it, as in libzmq: a user name makes a PLAIN client, a
    /// server key a CURVE client, PLAIN_SERVER 0 back to NULL.
    fn set_security(&mut self, option: i32, value: &[u8]) -> Result<bool> {
        let sec = &mut self.security;
        match option {
            PLAIN_SERVER | CURVE_SERVER => {
                let server = match int_value(value)? {
                    0 => false,
                    1 => true,
                    _ => return Err(Error::Invalid),
                };
                let mechanism = if option == PLAIN_SERVER {
                    MechanismName::Plain
                } else {
                    MechanismName::Curve
                };
                sec.as_server = server;
                sec.mechanism = if server {
                    mechanism
                } else {
                    MechanismName::Null
                };
            }
            PLAIN_USERNAME | PLAIN_PASSWORD => {
                if value.is_empty() || value.len() > 255 {
                    return Err(Error::Invalid);
                }
                if option == PLAIN_USERNAME {
                    sec.plain_username = value.to_vec();
                } else {
                    sec.plain_password = value.to_vec();
                }
                sec.as_server = false;
                sec.mechanism = MechanismName::Plain;
            }
            CURVE_PUBLICKEY => sec.curve_public_key = curve_key_value(value)?,
            CURVE_SECRETKEY => sec.curve_secret_key = Zeroizing::new(curve_key_value(value)?),
            CURVE_SERVERKEY => {
                sec.curve_server_key = curve_key_value(value)?;
                sec.as_server = false;
            }
            ZAP_DOMAIN => {
                // libzmq 4.3 takes no empty domain: once set, it stays.
                if value.is_empty() || value.len() > 255 {
                    return Err(Error::Invalid);
                }
                sec.zap_domain = value.to_vec();
            }
            ZAP_ENFORCE_DOMAIN => sec.zap_enforce_domain = int_value(value)? != 0,
            _ => return Ok(false),
        }
        if matches!(option, CURVE_PUBLICKEY | CURVE_SECRETKEY | CURVE_SERVERKEY) {
            sec.mechanism = MechanismName::Curve;
        }
        Ok(true)
    }

    /// An option set from a NULL pointer with length 0. For PLAIN's
    /// credentials that means "back to NULL" (libzmq); for any other
    /// option it is an empty value.
    pub fn set_null(&mut self, option: i32) -> Result<bool> {
        match option {
            PLAIN_USERNAME | PLAIN_PASSWORD => {
                self.security.mechanism = MechanismName::Null;
                Ok(true)
            }
            // The accept filters are emptied this way (libzmq).
            TCP_ACCEPT_FILTER => {
                self.accept_filters.clear_networks();
                Ok(true)
            }
            IPC_FILTER_UID => {
                self.accept_filters.uid(None);
                Ok(true)
            }
            IPC_FILTER_GID => {
                self.accept_filters.gid(None);
                Ok(true)
            }
            IPC_FILTER_PID => {
                self.accept_filters.pid(None);
                Ok(true)
            }
            SOCKS_PROXY => {
                if let Some(i) = position(option) {
                    self.values[i] = Value::Bytes(Vec::new());
                }
                Ok(true)
            }
            _ => self.set(option, &[]),
        }
    }

    /// Reads a common option into `out`; `Ok(None)` if `option` is not one.
    pub fn get(&self, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        match position(option).map(|i| &self.values[i]) {
            Some(Value::Int(v)) => return put_int(out, *v).map(Some),
            Some(Value::Switch(on)) => return put_int(out, i32::from(*on)).map(Some),
            Some(Value::Bytes(bytes)) => {
                // Strings come back NUL-terminated, as libzmq returns them.
                let mut value = bytes.clone();
                value.push(0);
                return put(out, &value).map(Some);
            }
            _ => {}
        }
        match option {
            IPV4ONLY => put_int(out, 1 - self.int(IPV6)).map(Some),
            AFFINITY => put_exact(out, &self.affinity.to_ne_bytes()).map(Some),
            MAXMSGSIZE => put_exact(out, &self.maxmsgsize.to_ne_bytes()).map(Some),
            ROUTING_ID => put(out, &self.routing_id).map(Some),
            RECONNECT_STOP => put_int(out, self.reconnect_stop).map(Some),
            _ => self.get_security(option, out),
        }
    }

    fn get_security(&self, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        let sec = &self.security;
        let string = |out: &mut [u8], value: &[u8]| {
            let mut text = value.to_vec();
            text.push(0);
            put(out, &text)
        };
        let key = |out: &mut [u8], key: &[u8; KEY_LEN]| match out.len() {
            KEY_LEN => put(out, key),
            len if len == KEY_TEXT_LEN + 1 => {
                let mut text = curve_keys::key_to_text(key).to_vec();
                text.push(0);
                put(out, &text)
            }
            _ => Err(Error::Invalid),
        };
        let server_of = |mechanism| i32::from(sec.as_server && sec.mechanism == mechanism);
        let len = match option {
            MECHANISM => put_int(out, mechanism_number(sec.mechanism))?,
            PLAIN_SERVER => put_int(out, server_of(MechanismName::Plain))?,
            CURVE_SERVER => put_int(out, server_of(MechanismName::Curve))?,
            PLAIN_USERNAME => string(out, &sec.plain_username)?,
            PLAIN_PASSWORD => string(out, &sec.plain_password)?,
            ZAP_DOMAIN => string(out, &sec.zap_domain)?,
            CURVE_PUBLICKEY => key(out, &sec.curve_public_key)?,
            CURVE_SECRETKEY => key(out, &sec.curve_secret_key)?,
            CURVE_SERVERKEY => key(out, &sec.curve_server_key)?,
            ZAP_ENFORCE_DOMAIN => put_int(out, i32::from(sec.zap_enforce_domain))?,
            _ => return Ok(None),
        };
        Ok(Some(len))
    }
}

/// A CURVE key: 32 bytes, or 40 characters of Z85 (41 with a final NUL).
fn curve_key_value(value: &[u8]) -> Result<[u8; KEY_LEN]> {
    match value.len() {
        KEY_LEN => {
            let mut key = [0; KEY_LEN];
            key.copy_from_slice(value);
            Ok(key)
        }
        KEY_TEXT_LEN => curve_keys::key_from_text(value),
        len if len == KEY_TEXT_LEN + 1 && value[KEY_TEXT_LEN] == 0 => {
            curve_keys::key_from_text(&value[..KEY_TEXT_LEN])
        }
        _ => Err(Error::Invalid),
    }
}

/// A routing id: 1 to 255 bytes.
fn routing_id_value(value: &[u8]) -> Result<Vec<u8>> {
    if value.is_empty() || value.len() > 255 {
        return Err(Error::Invalid);
    }
    Ok(value.to_vec())
}

/// A ZMQ_METADATA value, "X-name:value": the name starts with "X-" and
/// has at most 255 bytes, the value is not empty.
fn metadata_value(value: &[u8]) -> Result<(String, Vec<u8>)> {
    let colon = value
        .iter()
        .position(|&b| b == b':')
        .ok_or(Error::Invalid)?;
    let (name, value) = (&value[..colon], &value[colon + 1..]);
    if !name.starts_with(b"X-") || name.len() > 255 || value.is_empty() {
        return Err(Error::Invalid);
    }
    let name = std::str::from_utf8(name).map_err(|_| Error::Invalid)?;
    Ok((name.to_owned(), value.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    #[test]
    fn defaults_follow_the_man_page() {
        let o = Options::default();
        assert_eq!(o.int(SNDHWM), 1000);
        assert_eq!(o.int(RCVHWM), 1000);
        assert_eq!(o.int(LINGER), -1);
        assert_eq!(o.int(RCVTIMEO), -1);
        assert_eq!(o.int(RECONNECT_IVL), 100);
        assert_eq!(o.maxmsgsize, -1);
        let mut out = [0u8; 4];
        assert_eq!(o.get(IPV4ONLY, &mut out), Ok(Some(4)));
        assert_eq!(i32::from_ne_bytes(out), 1);
        // The NULL mechanism: not a PLAIN or CURVE server, no credentials.
        for option in [MECHANISM, PLAIN_SERVER, CURVE_SERVER, ZAP_ENFORCE_DOMAIN] {
            assert_eq!(o.get(option, &mut out), Ok(Some(4)));
            assert_eq!(i32::from_ne_bytes(out), 0);
        }
        assert_eq!(o.get(PLAIN_USERNAME, &mut out), Ok(Some(1)));
        assert_eq!(out[0], 0);
    }

    #[test]
    fn ranges_and_lengths_are_checked() {
        let mut o = Options::default();
        assert_eq!(o.set(SNDHWM, &int(-1)), Err(Error::Invalid));
        assert_eq!(o.set(LINGER, &int(-2)), Err(Error::Invalid));
        assert_eq!(o.set(LINGER, &[0, 0]), Err(Error::Invalid));
        assert_eq!(o.set(LINGER, &[0; 8]), Err(Error::Invalid));
        assert_eq!(o.set(IMMEDIATE, &int(2)), Err(Error::Invalid));
        assert_eq!(o.set(ROUTING_ID, b""), Err(Error::Invalid));
        assert_eq!(o.set(ROUTING_ID, &[1; 256]), Err(Error::Invalid));
        assert_eq!(
            o.set(MAXMSGSIZE, &(-2i64).to_ne_bytes()),
            Err(Error::Invalid)
        );
        assert_eq!(o.set(9999, &int(1)), Ok(false));
        assert_eq!(o.set(LINGER, &int(0)), Ok(true));
        assert_eq!(o.int(LINGER), 0);
    }

    #[test]
    fn get_needs_room() {
        let mut o = Options::default();
        o.set(ROUTING_ID, b"abc").unwrap();
        let mut small = [0u8; 2];
        assert_eq!(o.get(ROUTING_ID, &mut small), Err(Error::Invalid));
        let mut out = [0u8; 255];
        assert_eq!(o.get(ROUTING_ID, &mut out), Ok(Some(3)));
        assert_eq!(&out[..3], b"abc");
        assert_eq!(o.get(SNDHWM, &mut small), Err(Error::Invalid));
        assert_eq!(o.get(9999, &mut out), Ok(None));
    }

    #[test]
    fn relaxed_switches_take_any_int_and_read_back_as_0_or_1() {
        let mut o = Options::default();
        assert_eq!(get_int(&o, LOOPBACK_FASTPATH), 0);
        assert_eq!(get_int(&o, MULTICAST_LOOP), 1);
        for option in [LOOPBACK_FASTPATH, MULTICAST_LOOP] {
            for (value, on) in [(5, 1), (-1, 1), (0, 0), (i32::MIN, 1)] {
                assert_eq!(o.set(option, &int(value)), Ok(true));
                assert_eq!(get_int(&o, option), on);
            }
            assert_eq!(o.set(option, &[1, 0]), Err(Error::Invalid));
            assert_eq!(o.set(option, &[0; 8]), Err(Error::Invalid));
            assert_eq!(o.get(option, &mut [0; 2]), Err(Error::Invalid));
        }
    }

    #[test]
    fn reconnect_stop_in_every_build() {
        let mut o = Options::default();
        assert_eq!(get_int(&o, RECONNECT_STOP), 0);
        let stop = o.set(RECONNECT_STOP, &int(RECONNECT_STOP_CONN_REFUSED));
        assert_eq!(stop, Ok(true));
        assert_eq!(get_int(&o, RECONNECT_STOP), RECONNECT_STOP_CONN_REFUSED);
        assert_eq!(o.set(RECONNECT_STOP, &[0; 2]), Err(Error::Invalid));
    }

    #[test]
    fn metadata_values() {
        // (Known to draft builds only: the table says so.)
        let mut o = Options::default();
        assert_eq!(o.set(METADATA, b"X-key:value"), Ok(true));
        // The first value of a name stays.
        assert_eq!(o.set(METADATA, b"X-key:other"), Ok(true));
        assert_eq!(o.set(METADATA, b"X-two:a:b"), Ok(true));
        assert_eq!(
            o.app_metadata,
            vec![
                ("X-key".to_owned(), b"value".to_vec()),
                ("X-two".to_owned(), b"a:b".to_vec())
            ]
        );
        let long = [b"X-".to_vec(), vec![b'a'; 254], b":v".to_vec()].concat();
        for bad in [
            &b""[..],
            b"X-key",
            b"X-key:",
            b":value",
            b"key:value",
            b"x-key:value",
            &long,
            b"X-\xff:value",
        ] {
            assert_eq!(o.set(METADATA, bad), Err(Error::Invalid), "{bad:?}");
        }
        let longest = [b"X-".to_vec(), vec![b'a'; 253], b":v".to_vec()].concat();
        assert_eq!(o.set(METADATA, &longest), Ok(true));
    }

    fn get_int(o: &Options, option: i32) -> i32 {
        let mut out = [0u8; 4];
        assert_eq!(o.get(option, &mut out), Ok(Some(4)));
        i32::from_ne_bytes(out)
    }

    #[test]
    fn security_options_switch_the_mechanism_as_libzmq_does() {
        let mut o = Options::default();
        assert_eq!(o.set(PLAIN_SERVER, &int(1)), Ok(true));
        assert_eq!((get_int(&o, MECHANISM), get_int(&o, PLAIN_SERVER)), (1, 1));
        assert_eq!(o.set(PLAIN_SERVER, &int(2)), Err(Error::Invalid));
        assert_eq!(o.set(PLAIN_SERVER, &int(0)), Ok(true));
        assert_eq!(get_int(&o, MECHANISM), 0);
        // A user name makes a PLAIN client.
        assert_eq!(o.set(PLAIN_USERNAME, b"admin"), Ok(true));
        assert_eq!((get_int(&o, MECHANISM), get_int(&o, PLAIN_SERVER)), (1, 0));
        let mut out = [0u8; 256];
        assert_eq!(o.get(PLAIN_USERNAME, &mut out), Ok(Some(6)));
        assert_eq!(&out[..6], b"admin\0");
        assert_eq!(o.set(PLAIN_PASSWORD, b""), Err(Error::Invalid));
        assert_eq!(o.set(PLAIN_PASSWORD, &[b'p'; 256]), Err(Error::Invalid));
        assert_eq!(o.set(PLAIN_PASSWORD, &[b'p'; 255]), Ok(true));
        assert_eq!(o.set_null(PLAIN_PASSWORD), Ok(true));
        assert_eq!(get_int(&o, MECHANISM), 0);

        // CURVE keys: 32 bytes, 40 characters, or 41 with a NUL.
        let (public, secret) = curve_keys::generate().unwrap();
        let text = curve_keys::key_to_text(&public);
        assert_eq!(o.set(CURVE_SERVER, &int(1)), Ok(true));
        assert_eq!((get_int(&o, MECHANISM), get_int(&o, CURVE_SERVER)), (2, 1));
        assert_eq!(o.set(CURVE_SECRETKEY, &secret), Ok(true));
        assert_eq!(o.set(CURVE_PUBLICKEY, &text), Ok(true));
        let mut with_nul = text.to_vec();
        with_nul.push(0);
        assert_eq!(o.set(CURVE_SERVERKEY, &with_nul), Ok(true));
        assert_eq!(get_int(&o, CURVE_SERVER), 0, "a server key makes a client");
        let mut raw = [0u8; 32];
        assert_eq!(o.get(CURVE_PUBLICKEY, &mut raw), Ok(Some(32)));
        assert_eq!(raw, public);
        let mut z85 = [0u8; 41];
        assert_eq!(o.get(CURVE_SERVERKEY, &mut z85), Ok(Some(41)));
        assert_eq!(&z85[..40], &text[..]);
        assert_eq!(z85[40], 0);
        assert_eq!(o.get(CURVE_SECRETKEY, &mut raw), Ok(Some(32)));
        assert_eq!(raw, secret);
        for bad_len in [0, 31, 33, 40, 42, 300] {
            let mut out = vec![0u8; bad_len];
            assert_eq!(o.get(CURVE_PUBLICKEY, &mut out), Err(Error::Invalid));
        }
        for bad_len in [0, 31, 33, 39, 42, 300] {
            assert_eq!(
                o.set(CURVE_PUBLICKEY, &vec![b'0'; bad_len]),
                Err(Error::Invalid)
            );
        }
        let mut not_nul = with_nul.clone();
        not_nul[40] = b'x';
        assert_eq!(o.set(CURVE_PUBLICKEY, &not_nul), Err(Error::Invalid));
        assert_eq!(o.set(CURVE_PUBLICKEY, &[b'~'; 40]), Err(Error::Invalid));

        assert_eq!(o.set(ZAP_DOMAIN, &[b'd'; 256]), Err(Error::Invalid));
        assert_eq!(o.set(ZAP_DOMAIN, b"global"), Ok(true));
        assert_eq!(o.get(ZAP_DOMAIN, &mut out), Ok(Some(7)));
        assert_eq!(o.set(ZAP_ENFORCE_DOMAIN, &int(5)), Ok(true));
        assert_eq!(get_int(&o, ZAP_ENFORCE_DOMAIN), 1);
        assert!(o.security.refuses_legacy());
        // GSSAPI is not built, as in a libzmq without it: unknown options.
        for gssapi in [62, 63, 64, 65, 90, 91] {
            assert_eq!(o.set(gssapi, &int(1)), Ok(false));
            assert_eq!(o.get(gssapi, &mut out), Ok(None));
        }
    }
}
