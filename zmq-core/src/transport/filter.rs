//! Accept filters: which peers a listener keeps. ZMQ_TCP_ACCEPT_FILTER
//! names networks ("10.0.0.0/8", "127.0.0.1"); ZMQ_IPC_FILTER_UID, _GID
//! and _PID name the user, group or process at the other end of an ipc
//! connection (from SO_PEERCRED). With no filter of a transport, every
//! peer is kept; with some, a peer must match one of them.

use std::net::IpAddr;

use crate::error::{Error, Result};

/// The ipc peer's credentials, as the kernel tells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerCredentials {
    pub uid: u32,
    pub gid: u32,
    pub pid: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptFilters {
    /// Networks: an address and the number of leading bits that count.
    networks: Vec<(IpAddr, u8)>,
    uids: Vec<u32>,
    gids: Vec<u32>,
    pids: Vec<i32>,
}

impl AcceptFilters {
    /// Adds a network, "address" or "address/bits" with a numeric address
    /// (IPv6 only on a socket with ZMQ_IPV6, as libzmq resolves it).
    pub fn add_network(&mut self, text: &[u8], ipv6: bool) -> Result<()> {
        let text = std::str::from_utf8(text).map_err(|_| Error::Invalid)?;
        let (address, bits) = match text.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| Error::Invalid)?;
        if address.is_ipv6() && !ipv6 {
            return Err(Error::Invalid);
        }
        let width = if address.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            None => width,
            Some(bits) if !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit()) => {
                bits.parse::<u8>().map_err(|_| Error::Invalid)?
            }
            Some(_) => return Err(Error::Invalid),
        };
        if bits > width {
            return Err(Error::Invalid);
        }
        self.networks.push((address, bits));
        Ok(())
    }

    pub fn clear_networks(&mut self) {
        self.networks.clear();
    }

    /// ZMQ_IPC_FILTER_UID (`Some(uid)` adds, `None` clears).
    pub fn uid(&mut self, uid: Option<u32>) {
        edit(&mut self.uids, uid);
    }

    pub fn gid(&mut self, gid: Option<u32>) {
        edit(&mut self.gids, gid);
    }

    pub fn pid(&mut self, pid: Option<i32>) {
        edit(&mut self.pids, pid);
    }

    /// Whether a tcp peer at `peer` is kept.
    pub fn admits_tcp(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.networks.is_empty()
            || self
                .networks
                .iter()
                .any(|&(net, bits)| within(peer, net, bits))
    }

    /// Whether an ipc peer is kept: its user, its group, a group it is a
    /// member of, or its process is named (libzmq's order). A peer whose
    /// credentials are unknown is kept only when there is no filter.
    pub fn admits_ipc(&self, peer: Option<PeerCredentials>) -> bool {
        if self.uids.is_empty() && self.gids.is_empty() && self.pids.is_empty() {
            return true;
        }
        let Some(peer) = peer else {
            return false;
        };
        self.uids.contains(&peer.uid)
            || self.gids.contains(&peer.gid)
            || self.pids.contains(&peer.pid)
            || self.gids.iter().any(|&gid| is_member(peer.uid, gid))
    }
}

fn edit<T: PartialEq>(list: &mut Vec<T>, value: Option<T>) {
    match value {
        Some(v) if !list.contains(&v) => list.push(v),
        Some(_) => {}
        None => list.clear(),
    }
}

/// Whether the first `bits` bits of `peer` are those of `net`.
fn within(peer: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (peer, net, width) = match (peer, net) {
        (IpAddr::V4(p), IpAddr::V4(n)) => (u128::from(u32::from(p)), u128::from(u32::from(n)), 32),
        (IpAddr::V6(p), IpAddr::V6(n)) => (u128::from(p), u128::from(n), 128),
        _ => return false,
    };
    let bits = u32::from(bits);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (peer >> shift) == (net >> shift)
}

/// Whether the user `uid` is listed as a member of group `gid` (its
/// supplementary groups, from the system's group database).
fn is_member(uid: u32, gid: u32) -> bool {
    use nix::unistd::{Gid, Group, Uid, User};
    let Ok(Some(user)) = User::from_uid(Uid::from_raw(uid)) else {
        return false;
    };
    let Ok(Some(group)) = Group::from_gid(Gid::from_raw(gid)) else {
        return false;
    };
    group.mem.contains(&user.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_match_by_their_leading_bits() {
        let mut f = AcceptFilters::default();
        assert!(f.admits_tcp(ip("192.0.2.1")), "no filter keeps everyone");
        f.add_network(b"10.1.0.0/16", false).unwrap();
        f.add_network(b"127.0.0.1", false).unwrap();
        assert!(f.admits_tcp(ip("10.1.200.3")));
        assert!(!f.admits_tcp(ip("10.2.0.1")));
        assert!(f.admits_tcp(ip("127.0.0.1")));
        assert!(!f.admits_tcp(ip("127.0.0.2")));
        // An IPv4 peer on a dual-stack listener.
        assert!(f.admits_tcp(ip("::ffff:10.1.0.9")));
        assert!(!f.admits_tcp(ip("::1")));
        f.clear_networks();
        assert!(f.admits_tcp(ip("10.2.0.1")));
        f.add_network(b"0.0.0.0/0", false).unwrap();
        assert!(f.admits_tcp(ip("203.0.113.7")));
        f.clear_networks();
        f.add_network(b"2001:db8::/32", true).unwrap();
        assert!(f.admits_tcp(ip("2001:db8:1::5")));
        assert!(!f.admits_tcp(ip("2001:db9::5")));
        assert!(!f.admits_tcp(ip("10.1.0.1")));
    }

    #[test]
    fn malformed_networks_are_refused() {
        let mut f = AcceptFilters::default();
        for bad in [
            &b""[..],
            b"/8",
            b"10.0.0.0/",
            b"10.0.0.0/33",
            b"10.0.0.0/-1",
            b"10.0.0.0/+8",
            b"10.0.0.0/8/8",
            b"10.0.0",
            b"localhost",
            b"10.0.0.0/999999999999",
            b"\xff\xfe",
            b"::1",
        ] {
            assert_eq!(f.add_network(bad, false), Err(Error::Invalid), "{bad:?}");
        }
        assert_eq!(f.add_network(b"::1/129", true), Err(Error::Invalid));
        assert_eq!(f, AcceptFilters::default());
    }

    #[test]
    fn ipc_peers_match_by_user_group_or_process() {
        let peer = PeerCredentials {
            uid: 1000,
            gid: 1000,
            pid: 4242,
        };
        let mut f = AcceptFilters::default();
        assert!(f.admits_ipc(Some(peer)) && f.admits_ipc(None));
        f.uid(Some(0));
        assert!(!f.admits_ipc(Some(peer)));
        assert!(!f.admits_ipc(None), "unknown credentials fail a filter");
        f.pid(Some(4242));
        assert!(f.admits_ipc(Some(peer)));
        f.pid(None);
        f.gid(Some(1000));
        assert!(f.admits_ipc(Some(peer)));
        f.gid(None);
        f.uid(None);
        assert!(f.admits_ipc(Some(peer)));
    }
}
