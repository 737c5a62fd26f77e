//! SERVER (RFC 41) and PEER (RFC 51): every peer gets a routing id, a
//! non-zero 32-bit number; a received message carries its sender's, and a
//! message is sent to the peer its routing id names. Single-part messages
//! only. A PEER is a SERVER that also connects: `zmq_connect_peer` returns
//! the routing id of the connection it made.

use std::collections::HashMap;

use super::pipes::{random_u32, IdHasher};
use super::single_part::recv_single;
use super::{FairQueue, Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeId, WriteError};

type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

pub struct Server {
    fq: FairQueue,
    by_routing_id: HashMap<u32, PipeId>,
    routing_ids: IdMap<PipeId, u32>,
    /// The next routing id to give; it starts at random so that ids do
    /// not repeat across sockets or runs.
    next_routing_id: u32,
    /// A PEER: `zmq_connect_peer` may ask for `last_attached`.
    peer: bool,
    last_attached: u32,
}

impl Default for Server {
    fn default() -> Server {
        Server {
            fq: FairQueue::default(),
            by_routing_id: HashMap::new(),
            routing_ids: IdMap::default(),
            next_routing_id: random_u32(),
            peer: false,
            last_attached: 0,
        }
    }
}

impl Server {
    pub fn peer() -> Server {
        Server {
            peer: true,
            ..Server::default()
        }
    }

    /// A routing id no live peer has (0 is never one).
    fn new_routing_id(&mut self) -> u32 {
        loop {
            let id = self.next_routing_id;
            self.next_routing_id = self.next_routing_id.wrapping_add(1);
            if id != 0 && !self.by_routing_id.contains_key(&id) {
                return id;
            }
        }
    }
}

impl Pattern for Server {
    fn attach(&mut self, id: PipeId, _pipes: &mut Pipes) -> bool {
        let routing_id = self.new_routing_id();
        self.by_routing_id.insert(routing_id, id);
        self.routing_ids.insert(id, routing_id);
        self.last_attached = routing_id;
        self.fq.attach(id);
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if msg.more() {
            return Err(Error::Invalid);
        }
        let id = *self
            .by_routing_id
            .get(&msg.routing_id())
            .ok_or(Error::HostUnreachable)?;
        if !pipes.check_write(id) {
            return Err(Error::Again);
        }
        let mut out = std::mem::take(msg);
        // The routing id named the peer; the peer gets the message without.
        out.set_routing_id(0);
        match pipes.write(id, out) {
            Ok(()) => Ok(()),
            Err((WriteError::Full, mut returned)) => {
                returned.set_routing_id(self.routing_ids.get(&id).copied().unwrap_or(0));
                *msg = returned;
                Err(Error::Again)
            }
            // The peer went as we sent: the message is dropped, as libzmq
            // drops what it cannot deliver.
            Err((WriteError::Closed, _)) => Ok(()),
        }
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        let (mut msg, id) = recv_single(|| self.fq.recv(pipes))?;
        msg.set_routing_id(self.routing_ids.get(&id).copied().unwrap_or(0));
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }

    /// A SERVER can always try a send: where it goes is in the message.
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }

    fn read_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.fq.activate(id);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.fq.terminated(id);
        if let Some(routing_id) = self.routing_ids.remove(&id) {
            self.by_routing_id.remove(&routing_id);
        }
    }

    fn connected_peer(&self) -> Option<u32> {
        self.peer.then_some(self.last_attached)
    }

    /// The peer goes at once: its routing id is unknown from now on
    /// (EHOSTUNREACH), and what it still had queued is dropped.
    fn disconnect_peer(&mut self, routing_id: u32, pipes: &mut Pipes) -> Result<()> {
        let id = self
            .by_routing_id
            .remove(&routing_id)
            .ok_or(Error::HostUnreachable)?;
        self.routing_ids.remove(&id);
        self.fq.terminated(id);
        pipes.mark_dead(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::testing::*;

    fn recv_one(server: &mut Server, pipes: &mut Pipes) -> Result<Msg> {
        for id in pipes.ids() {
            server.read_activated(id, pipes);
        }
        server.recv(pipes)
    }

    #[test]
    fn replies_reach_the_peer_the_routing_id_names() {
        let mut pipes = Pipes::default();
        let mut server = Server::default();
        let mut a = connect(&mut server, &mut pipes, b"");
        let mut b = connect(&mut server, &mut pipes, b"");
        b.send(&[b"from b"]);
        let from_b = recv_one(&mut server, &mut pipes).unwrap();
        a.send(&[b"from a"]);
        let from_a = recv_one(&mut server, &mut pipes).unwrap();
        assert_eq!(from_a.as_slice(), b"from a");
        assert_ne!(from_a.routing_id(), 0);
        assert_ne!(from_a.routing_id(), from_b.routing_id());
        for (peer, to) in [(&mut a, from_a.routing_id()), (&mut b, from_b.routing_id())] {
            let mut reply = Msg::from_slice(b"reply").unwrap();
            reply.set_routing_id(to);
            server.send(&mut reply, &mut pipes).unwrap();
            assert_eq!(peer.frames(), [(b"reply".to_vec(), false)]);
        }
    }

    #[test]
    fn unknown_ids_multipart_and_full_pipes_are_refused() {
        let mut pipes = Pipes::default();
        let mut server = Server::default();
        let mut peer = connect_peer(&mut server, &mut pipes, b"", true, 1);
        peer.send(&[b"hello"]);
        let id = recv_one(&mut server, &mut pipes).unwrap().routing_id();

        let mut msg = Msg::from_slice(b"x").unwrap();
        for bad in [0, id.wrapping_add(1)] {
            msg.set_routing_id(bad);
            assert_eq!(
                server.send(&mut msg, &mut pipes),
                Err(Error::HostUnreachable)
            );
        }
        msg.set_routing_id(id);
        msg.set_more(true);
        assert_eq!(server.send(&mut msg, &mut pipes), Err(Error::Invalid));
        msg.set_more(false);
        server.send(&mut msg, &mut pipes).unwrap();
        let mut second = Msg::from_slice(b"y").unwrap();
        second.set_routing_id(id);
        assert_eq!(server.send(&mut second, &mut pipes), Err(Error::Again));
        assert_eq!(second.as_slice(), b"y");
        assert_eq!(second.routing_id(), id);
        assert!(server.has_out(&mut pipes));
    }

    #[test]
    fn a_peer_that_leaves_takes_its_routing_id() {
        let mut pipes = Pipes::default();
        let mut server = Server::default();
        let mut peer = connect(&mut server, &mut pipes, b"");
        peer.send(&[b"hi"]);
        let id = recv_one(&mut server, &mut pipes).unwrap().routing_id();
        peer.end.close(false);
        let mut msg = Msg::from_slice(b"late").unwrap();
        msg.set_routing_id(id);
        // The first send finds the pipe closed (and cannot send).
        assert_eq!(server.send(&mut msg, &mut pipes), Err(Error::Again));
        reap(&mut server, &mut pipes);
        let mut msg = Msg::from_slice(b"later").unwrap();
        msg.set_routing_id(id);
        assert_eq!(
            server.send(&mut msg, &mut pipes),
            Err(Error::HostUnreachable)
        );
    }

    #[test]
    fn a_peer_names_its_last_connection_and_drops_peers_on_request() {
        let mut pipes = Pipes::default();
        let mut server = Server::default();
        assert_eq!(server.connected_peer(), None);
        let mut peer = Server::peer();
        let _a = connect(&mut peer, &mut pipes, b"");
        let first = peer.connected_peer().unwrap();
        let _b = connect(&mut peer, &mut pipes, b"");
        let second = peer.connected_peer().unwrap();
        assert!(first != 0 && second != 0 && first != second);
        peer.disconnect_peer(first, &mut pipes).unwrap();
        assert_eq!(
            peer.disconnect_peer(first, &mut pipes),
            Err(Error::HostUnreachable)
        );
        reap(&mut peer, &mut pipes);
        let mut msg = Msg::from_slice(b"x").unwrap();
        msg.set_routing_id(first);
        assert_eq!(peer.send(&mut msg, &mut pipes), Err(Error::HostUnreachable));
        msg.set_routing_id(second);
        peer.send(&mut msg, &mut pipes).unwrap();
        assert_eq!(pipes.len(), 1);
        let _ = server.disconnect_peer(1, &mut pipes);
    }

    #[test]
    fn routing_ids_skip_zero_and_ids_in_use() {
        let mut pipes = Pipes::default();
        let mut server = Server {
            next_routing_id: u32::MAX,
            ..Server::default()
        };
        let _a = connect(&mut server, &mut pipes, b"");
        let _b = connect(&mut server, &mut pipes, b"");
        let mut ids: Vec<u32> = server.routing_ids.values().copied().collect();
        ids.sort();
        assert_eq!(ids, [1, u32::MAX]);
    }
}
