//! The pipes of one socket, by id, and the routing helpers the patterns
//! share: fair-queueing for input, load-balancing and fan-out for output.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId, Read, WriteError};

/// Hashes pipe ids, which are distinct counter values, with one multiply
/// (Fibonacci hashing) instead of SipHash: nothing hostile chooses them,
/// and the lookup is on every message's path.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Sockets with up to this many pipes find one by scanning them, which is
/// cheaper than hashing; larger ones use the index.
const SCAN_LIMIT: usize = 8;

#[derive(Default)]
pub struct Pipes {
    ends: Vec<PipeEnd>,
    /// Where each pipe is in `ends`.
    index: HashMap<PipeId, usize, BuildHasherDefault<IdHasher>>,
    /// Pipes found closed by a read or write; the socket removes them and
    /// tells the pattern after the call.
    dead: Vec<PipeId>,
}

impl Pipes {
    pub fn insert(&mut self, pipe: PipeEnd) {
        // An end replaced under the same id is dropped.
        self.remove(pipe.id());
        self.index.insert(pipe.id(), self.ends.len());
        self.ends.push(pipe);
    }

    fn position(&self, id: PipeId) -> Option<usize> {
        if self.ends.len() <= SCAN_LIMIT {
            self.ends.iter().position(|pipe| pipe.id() == id)
        } else {
            self.index.get(&id).copied()
        }
    }

    pub fn get(&mut self, id: PipeId) -> Option<&mut PipeEnd> {
        let at = self.position(id)?;
        self.ends.get_mut(at)
    }

    pub fn remove(&mut self, id: PipeId) -> Option<PipeEnd> {
        let at = self.index.remove(&id)?;
        let pipe = self.ends.swap_remove(at);
        if let Some(moved) = self.ends.get(at) {
            self.index.insert(moved.id(), at);
        }
        Some(pipe)
    }

    pub fn ids(&self) -> Vec<PipeId> {
        self.ends.iter().map(PipeEnd::id).collect()
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Marks a pipe as finished; the socket reaps it after the call.
    pub fn mark_dead(&mut self, id: PipeId) {
        if !self.dead.contains(&id) {
            self.dead.push(id);
        }
    }

    pub fn has_dead(&self) -> bool {
        !self.dead.is_empty()
    }

    pub fn take_dead(&mut self) -> Vec<PipeId> {
        std::mem::take(&mut self.dead)
    }

    /// Reads a frame from one pipe; a closed pipe is marked dead.
    pub fn read(&mut self, id: PipeId) -> Read {
        let Some(pipe) = self.get(id) else {
            return Read::Closed;
        };
        let read = pipe.read();
        if let Read::Closed = read {
            self.mark_dead(id);
        }
        read
    }

    /// Writes a frame to one pipe (see [`Pipes::peer_gone`] for a pipe
    /// found closed).
    pub fn write(&mut self, id: PipeId, msg: Msg) -> std::result::Result<(), (WriteError, Msg)> {
        let Some(pipe) = self.get(id) else {
            return Err((WriteError::Closed, msg));
        };
        let result = pipe.write(msg);
        if let Err((WriteError::Closed, _)) = result {
            self.peer_gone(id);
        }
        result
    }

    /// A write found the peer gone: the pipe is dead once what the peer
    /// sent before leaving has been read too (a PAIR or DEALER still
    /// receives it).
    pub fn peer_gone(&mut self, id: PipeId) {
        if self.get(id).is_none_or(|pipe| pipe.input_closed()) {
            self.mark_dead(id);
        }
    }

    pub fn check_read(&mut self, id: PipeId) -> bool {
        let Some(pipe) = self.get(id) else {
            return false;
        };
        if pipe.check_read() {
            return true;
        }
        if pipe.input_closed() {
            self.mark_dead(id);
        }
        false
    }

    pub fn check_write(&mut self, id: PipeId) -> bool {
        let Some(pipe) = self.get(id) else {
            return false;
        };
        match pipe.check_write() {
            Ok(()) => true,
            Err(WriteError::Full) => false,
            Err(WriteError::Closed) => {
                self.peer_gone(id);
                false
            }
        }
    }
}

/// The pipes taking turns in a fair-queue or load-balancer: a pipe leaves
/// the rotation when it runs dry or full, and comes back when activated.
#[derive(Default)]
struct Rotation {
    active: Vec<PipeId>,
    current: usize,
}

impl Rotation {
    fn current(&self) -> Option<PipeId> {
        self.active.get(self.current).copied()
    }

    fn activate(&mut self, id: PipeId) {
        if !self.active.contains(&id) {
            self.active.push(id);
        }
    }

    /// Takes `id` out; true if it was the current pipe.
    fn remove(&mut self, id: PipeId) -> bool {
        match self.active.iter().position(|&p| p == id) {
            Some(i) => {
                let was_current = i == self.current;
                self.remove_at(i);
                was_current
            }
            None => false,
        }
    }

    fn remove_current(&mut self) {
        self.remove_at(self.current);
    }

    fn remove_at(&mut self, i: usize) {
        self.active.remove(i);
        if i < self.current {
            self.current -= 1;
        }
        if self.current >= self.active.len() {
            self.current = 0;
        }
    }

    /// Moves to the next pipe (no division on the per-message path).
    fn advance(&mut self) {
        self.current = if self.current + 1 >= self.active.len() {
            0
        } else {
            self.current + 1
        };
    }
}

/// Round-robin over the pipes that may have input; a pipe found empty
/// leaves the rotation until it is activated again.
#[derive(Default)]
pub struct FairQueue {
    rotation: Rotation,
    /// In the middle of a multipart message from the current pipe.
    more: bool,
}

impl FairQueue {
    pub fn attach(&mut self, id: PipeId) {
        self.activate(id);
    }

    pub fn activate(&mut self, id: PipeId) {
        self.rotation.activate(id);
    }

    pub fn terminated(&mut self, id: PipeId) {
        if self.rotation.remove(id) {
            self.more = false;
        }
    }

    /// The next frame and the pipe it came from.
    pub fn recv(&mut self, pipes: &mut Pipes) -> Result<(Msg, PipeId)> {
        while let Some(id) = self.rotation.current() {
            match pipes.read(id) {
                Read::Msg(msg) => {
                    self.more = msg.more();
                    if !self.more {
                        self.rotation.advance();
                    }
                    return Ok((msg, id));
                }
                // Messages are published whole, so a pipe cannot run dry in
                // the middle of one; a closed one loses its tail.
                Read::Empty | Read::Closed => {
                    self.more = false;
                    self.rotation.remove_current();
                }
            }
        }
        Err(Error::Again)
    }

    /// Drops the remaining frames of the message being received.
    pub fn skip_rest(&mut self, pipes: &mut Pipes) {
        while self.more && self.recv(pipes).is_ok() {}
    }

    pub fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        while let Some(id) = self.rotation.current() {
            if pipes.check_read(id) {
                return true;
            }
            self.rotation.remove_current();
        }
        false
    }
}

/// Round-robin over the pipes that have room; a full pipe leaves the
/// rotation until it is activated again.
#[derive(Default)]
pub struct LoadBalancer {
    rotation: Rotation,
    /// In the middle of a multipart message to the current pipe.
    more: bool,
    /// The pipe of the current message died: drop its remaining frames.
    dropping: bool,
}

impl LoadBalancer {
    pub fn attach(&mut self, id: PipeId) {
        self.activate(id);
    }

    pub fn activate(&mut self, id: PipeId) {
        self.rotation.activate(id);
    }

    pub fn terminated(&mut self, id: PipeId) {
        if self.rotation.remove(id) && self.more {
            // The rest of the message being sent has nowhere to go.
            self.dropping = true;
            self.more = false;
        }
    }

    /// Sends a frame to the next pipe with room; `Again` when none has.
    /// On success `msg` is left empty.
    pub fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.send_to(msg, pipes).map(|_| ())
    }

    /// As [`LoadBalancer::send`], and says which pipe took the frame.
    pub fn send_to(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<Option<PipeId>> {
        if self.dropping {
            self.dropping = msg.more();
            std::mem::take(msg);
            return Ok(None);
        }
        while let Some(id) = self.rotation.current() {
            let more = msg.more();
            match pipes.write(id, std::mem::take(msg)) {
                Ok(()) => {
                    self.more = more;
                    if !more {
                        self.rotation.advance();
                    }
                    return Ok(Some(id));
                }
                Err((error, returned)) => {
                    *msg = returned;
                    let was_more = self.more;
                    self.more = false;
                    self.rotation.remove_current();
                    if was_more && error == WriteError::Closed {
                        // The message's first frames went to a pipe that
                        // died: drop the rest of it.
                        self.dropping = msg.more();
                        std::mem::take(msg);
                        return Ok(None);
                    }
                }
            }
        }
        Err(Error::Again)
    }

    pub fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        while let Some(id) = self.rotation.current() {
            if pipes.check_write(id) {
                return true;
            }
            self.rotation.remove_current();
        }
        false
    }
}

/// A random start for counters that peers should not be able to guess or
/// see repeat across sockets (generated routing ids, request ids).
pub(super) fn random_u32() -> u32 {
    let mut seed = [0u8; 4];
    if getrandom::getrandom(&mut seed).is_ok() {
        return u32::from_ne_bytes(seed);
    }
    // No OS randomness: the std hasher's per-process random keys will do.
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    hasher.finish() as u32
}

/// Sends an empty message to a new peer (ZMQ_PROBE_ROUTER), so that a
/// ROUTER on the other side learns about us before we speak.
pub(super) fn probe(id: PipeId, pipes: &mut Pipes) {
    // A full or closed pipe simply misses the probe, as in libzmq.
    let _ = pipes.write(id, Msg::new());
}

/// A frame of `data`, with its MORE flag.
pub(super) fn frame(data: &[u8], more: bool) -> Result<Msg> {
    let mut msg = Msg::from_slice(data)?;
    msg.set_more(more);
    Ok(msg)
}
