//! Connection metadata: the properties a peer announced in its handshake
//! (Socket-Type, Routing-Id, X-* application properties...) plus those the
//! transport and security mechanism add. Messages share it through an Arc,
//! and `zmq_msg_gets` reads it.

use std::ffi::{CStr, CString};

/// Older property names, and the names they are looked up under when a
/// property of the old name is missing. One way only, as in libzmq 4.3:
/// peers announce "Identity", and "Routing-Id" finds no such property.
const ALIASES: &[(&str, &str)] = &[("Identity", "Routing-Id")];

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Metadata {
    properties: Vec<(String, CString)>,
    /// The connection's file descriptor (ZMQ_SRCFD), when there is one.
    source_fd: Option<i32>,
}

impl Metadata {
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// Adds or replaces a property. A value is a C string for the API, so it
    /// ends at its first NUL byte.
    pub fn set(&mut self, name: &str, value: &[u8]) {
        let value = value.split(|&b| b == 0).next().unwrap_or_default();
        let value = CString::new(value).unwrap_or_default();
        match self.find(name) {
            Some(i) => self.properties[i].1 = value,
            None => self.properties.push((name.to_owned(), value)),
        }
    }

    /// A property by name; names compare without regard to case (as ZMTP
    /// says), and "Identity" also finds a "Routing-Id".
    pub fn get(&self, name: &str) -> Option<&CStr> {
        let found = self.find(name).or_else(|| {
            ALIASES
                .iter()
                .find(|(old, _)| old.eq_ignore_ascii_case(name))
                .and_then(|(_, new)| self.find(new))
        })?;
        Some(self.properties[found].1.as_c_str())
    }

    pub fn set_source_fd(&mut self, fd: i32) {
        self.source_fd = Some(fd);
    }

    pub fn source_fd(&self) -> Option<i32> {
        self.source_fd
    }

    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &CStr)> {
        self.properties
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_c_str()))
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.properties
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case_and_resolves_aliases() {
        let mut m = Metadata::new();
        m.set("Socket-Type", b"DEALER");
        m.set("Routing-Id", b"abc");
        assert_eq!(m.get("socket-type").unwrap().to_bytes(), b"DEALER");
        assert_eq!(m.get("Identity").unwrap().to_bytes(), b"abc");
        assert_eq!(m.get("X-Missing"), None);

        // Not the other way (libzmq 4.3 answers EINVAL there).
        let mut old = Metadata::new();
        old.set("Identity", b"xyz");
        assert_eq!(old.get("Routing-Id"), None);
    }

    #[test]
    fn set_replaces_and_values_stop_at_nul() {
        let mut m = Metadata::new();
        m.set("X-Key", b"one");
        m.set("x-key", b"two\0hidden");
        assert_eq!(m.iter().count(), 1);
        assert_eq!(m.get("X-KEY").unwrap().to_bytes(), b"two");
        m.set("X-Empty", b"");
        assert_eq!(m.get("X-Empty").unwrap().to_bytes(), b"");
    }
}
