//! RADIO and DISH (RFC 48): a RADIO sends each message to the DISHes that
//! joined its group; a DISH joins and leaves groups with `zmq_join` and
//! `zmq_leave`, and its peers hear of it as messages flagged JOIN or LEAVE
//! (over ZMTP, JOIN and LEAVE commands: see the engine). Single-part
//! messages only; a RADIO never blocks (a full DISH misses the message).

use std::collections::{BTreeSet, HashMap};

use super::single_part::recv_single;
use super::{FairQueue, Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::{flags, Msg, GROUP_MAX_LENGTH};
use crate::pipe::{PipeId, Read};

/// RADIO: who joined what, from the JOINs and LEAVEs its pipes carry.
#[derive(Default)]
pub struct Radio {
    members: HashMap<Vec<u8>, Vec<PipeId>>,
    /// Pipes that take every message (udp endpoints).
    everyone: Vec<PipeId>,
}

impl Radio {
    /// Takes the JOINs and LEAVEs a DISH has sent; anything else a peer
    /// sends a RADIO is dropped.
    fn read_memberships(&mut self, id: PipeId, pipes: &mut Pipes) {
        while let Read::Msg(msg) = pipes.read(id) {
            if msg.is_join() {
                let members = self.members.entry(msg.group().to_vec()).or_default();
                if !members.contains(&id) {
                    members.push(id);
                }
            } else if msg.is_leave() {
                if let Some(members) = self.members.get_mut(msg.group()) {
                    members.retain(|&p| p != id);
                    if members.is_empty() {
                        self.members.remove(msg.group());
                    }
                }
            }
        }
    }
}

impl Pattern for Radio {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        if pipes.get(id).is_some_and(|p| p.takes_all_groups()) {
            self.everyone.push(id);
        }
        self.read_memberships(id, pipes);
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if msg.more() {
            return Err(Error::Invalid);
        }
        let msg = std::mem::take(msg);
        let members = self.members.get(msg.group()).map_or(&[][..], Vec::as_slice);
        let targets = members.len() + self.everyone.len();
        // Copies share a large body; the last target gets the message itself.
        let mut msg = Some(msg);
        for (i, &id) in members.iter().chain(&self.everyone).enumerate() {
            let copy = match i + 1 == targets {
                true => msg.take(),
                false => msg.as_ref().map(Msg::try_clone),
            };
            if let Some(copy) = copy {
                // A full or closing DISH misses it, as with PUB.
                let _ = pipes.write(id, copy);
            }
        }
        Ok(())
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg> {
        Err(Error::NotSupported)
    }

    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.read_memberships(id, pipes);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.everyone.retain(|&p| p != id);
        self.members.retain(|_, members| {
            members.retain(|&p| p != id);
            !members.is_empty()
        });
    }
}

/// DISH: the groups it joined, told to every RADIO it is connected to (and
/// again to one that reconnects); it keeps only messages of those groups.
#[derive(Default)]
pub struct Dish {
    fq: FairQueue,
    joined: BTreeSet<Vec<u8>>,
    pipes: Vec<PipeId>,
    /// A message found by `has_in`, for the next `recv`.
    ready: Option<Msg>,
}

impl Dish {
    /// Tells a peer of a join or leave; a full pipe misses it.
    fn tell(id: PipeId, flag: u8, group: &[u8], pipes: &mut Pipes) {
        if let Ok(msg) = Msg::membership(flag, group) {
            let _ = pipes.write(id, msg);
        }
    }

    fn tell_all(&self, flag: u8, group: &[u8], pipes: &mut Pipes) {
        for &id in &self.pipes {
            Dish::tell(id, flag, group, pipes);
        }
    }

    fn tell_joined(&self, id: PipeId, pipes: &mut Pipes) {
        for group in &self.joined {
            Dish::tell(id, flags::JOIN, group, pipes);
        }
    }

    /// The next message of a joined group (others are dropped).
    fn next(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        loop {
            let (msg, _) = recv_single(|| self.fq.recv(pipes))?;
            if self.joined.contains(msg.group()) {
                return Ok(msg);
            }
        }
    }
}

impl Pattern for Dish {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes) -> bool {
        self.pipes.push(id);
        self.fq.attach(id);
        self.tell_joined(id, pipes);
        true
    }

    fn send(&mut self, _msg: &mut Msg, _pipes: &mut Pipes) -> Result<()> {
        Err(Error::NotSupported)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        match self.ready.take() {
            Some(msg) => Ok(msg),
            None => self.next(pipes),
        }
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.ready.is_none() {
            self.ready = self.next(pipes).ok();
        }
        self.ready.is_some()
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    fn read_activated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.fq.activate(id);
    }

    fn write_activated(&mut self, _id: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, id: PipeId, _pipes: &mut Pipes) {
        self.pipes.retain(|&p| p != id);
        self.fq.terminated(id);
    }

    fn hiccuped(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.tell_joined(id, pipes);
    }

    fn join(&mut self, group: &[u8], pipes: &mut Pipes) -> Result<()> {
        if group.len() > GROUP_MAX_LENGTH || !self.joined.insert(group.to_vec()) {
            return Err(Error::Invalid);
        }
        self.tell_all(flags::JOIN, group, pipes);
        Ok(())
    }

    fn leave(&mut self, group: &[u8], pipes: &mut Pipes) -> Result<()> {
        if !self.joined.remove(group) {
            return Err(Error::Invalid);
        }
        self.tell_all(flags::LEAVE, group, pipes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::testing::*;

    fn grouped(group: &[u8], body: &[u8]) -> Msg {
        let mut msg = Msg::from_slice(body).unwrap();
        msg.set_group(group).unwrap();
        msg
    }

    /// Every message waiting at a peer, as (group, body, join, leave).
    fn taken(peer: &mut Peer) -> Vec<(Vec<u8>, Vec<u8>, bool, bool)> {
        let mut out = Vec::new();
        while let Read::Msg(m) = peer.end.read() {
            out.push((
                m.group().to_vec(),
                m.as_slice().to_vec(),
                m.is_join(),
                m.is_leave(),
            ));
        }
        out
    }

    #[test]
    fn a_radio_sends_only_to_members_of_the_group() {
        let mut pipes = Pipes::default();
        let mut radio = Radio::default();
        let mut a = connect(&mut radio, &mut pipes, b"");
        let mut b = connect(&mut radio, &mut pipes, b"");
        a.end
            .write(Msg::membership(flags::JOIN, b"news").unwrap())
            .unwrap();
        b.end
            .write(Msg::membership(flags::JOIN, b"news").unwrap())
            .unwrap();
        b.end
            .write(Msg::membership(flags::JOIN, b"sport").unwrap())
            .unwrap();
        for id in pipes.ids() {
            radio.read_activated(id, &mut pipes);
        }
        radio
            .send(&mut grouped(b"news", b"n1"), &mut pipes)
            .unwrap();
        radio
            .send(&mut grouped(b"sport", b"s1"), &mut pipes)
            .unwrap();
        radio
            .send(&mut grouped(b"weather", b"w1"), &mut pipes)
            .unwrap();
        let mut multipart = grouped(b"news", b"x");
        multipart.set_more(true);
        assert_eq!(radio.send(&mut multipart, &mut pipes), Err(Error::Invalid));
        assert_eq!(a.bodies(), [b"n1".to_vec()]);
        assert_eq!(b.bodies(), [b"n1".to_vec(), b"s1".to_vec()]);

        b.end
            .write(Msg::membership(flags::LEAVE, b"news").unwrap())
            .unwrap();
        radio.read_activated(b.id, &mut pipes);
        radio
            .send(&mut grouped(b"news", b"n2"), &mut pipes)
            .unwrap();
        assert_eq!(a.bodies(), [b"n2".to_vec()]);
        assert!(b.bodies().is_empty());
        assert_eq!(radio.recv(&mut pipes).err(), Some(Error::NotSupported));
    }

    #[test]
    fn a_dish_tells_new_and_reconnected_peers_what_it_joined() {
        let mut pipes = Pipes::default();
        let mut dish = Dish::default();
        dish.join(b"a", &mut pipes).unwrap();
        dish.join(b"b", &mut pipes).unwrap();
        assert_eq!(dish.join(b"a", &mut pipes), Err(Error::Invalid));
        assert_eq!(
            dish.join(&[b'g'; GROUP_MAX_LENGTH + 1], &mut pipes),
            Err(Error::Invalid)
        );
        dish.join(&[b'g'; GROUP_MAX_LENGTH], &mut pipes).unwrap();
        assert_eq!(dish.leave(b"zzz", &mut pipes), Err(Error::Invalid));
        dish.leave(&[b'g'; GROUP_MAX_LENGTH], &mut pipes).unwrap();
        let mut radio = connect(&mut dish, &mut pipes, b"");
        let joins = |g: &[u8]| (g.to_vec(), vec![], true, false);
        assert_eq!(taken(&mut radio), [joins(b"a"), joins(b"b")]);
        dish.leave(b"a", &mut pipes).unwrap();
        assert_eq!(taken(&mut radio), [(b"a".to_vec(), vec![], false, true)]);
        dish.hiccuped(radio.id, &mut pipes);
        assert_eq!(taken(&mut radio), [joins(b"b")]);
    }

    #[test]
    fn a_dish_keeps_only_its_groups() {
        let mut pipes = Pipes::default();
        let mut dish = Dish::default();
        let mut radio = connect(&mut dish, &mut pipes, b"");
        dish.join(b"mine", &mut pipes).unwrap();
        for (group, body) in [
            (&b"other"[..], &b"1"[..]),
            (b"mine", b"2"),
            (b"", b"3"),
            (b"mine", b"4"),
        ] {
            radio.end.write(grouped(group, body)).unwrap();
        }
        dish.read_activated(radio.id, &mut pipes);
        assert!(dish.has_in(&mut pipes));
        assert_eq!(dish.recv(&mut pipes).unwrap().as_slice(), b"2");
        let last = dish.recv(&mut pipes).unwrap();
        assert_eq!((last.as_slice(), last.group()), (&b"4"[..], &b"mine"[..]));
        assert!(!dish.has_in(&mut pipes));
        assert_eq!(dish.recv(&mut pipes).err(), Some(Error::Again));
        assert_eq!(
            dish.send(&mut Msg::new(), &mut pipes),
            Err(Error::NotSupported)
        );
    }
}
