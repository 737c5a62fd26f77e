//! What the patterns' unit tests share: pipes to a pattern with the far
//! end in hand, and the socket's calls around the pattern's.

use std::sync::Arc;

use super::{Pattern, Pipes};
use crate::error::Result;
use crate::mailbox::Mailbox;
use crate::msg::Msg;
use crate::pipe::{pair, Flow, PipeEnd, PipeId, Read};

pub fn int(v: i32) -> [u8; 4] {
    v.to_ne_bytes()
}

/// The far end of one of the pattern's pipes.
pub struct Peer {
    /// The id of the pattern's end.
    pub id: PipeId,
    pub end: PipeEnd,
}

impl Peer {
    pub fn send(&mut self, frames: &[&[u8]]) {
        for (i, data) in frames.iter().enumerate() {
            let mut m = Msg::from_slice(data).unwrap();
            m.set_more(i + 1 < frames.len());
            self.end.write(m).unwrap();
        }
    }

    /// Every frame waiting, with its MORE flag.
    pub fn frames(&mut self) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        while let Read::Msg(m) = self.end.read() {
            out.push((m.as_slice().to_vec(), m.more()));
        }
        out
    }

    pub fn bodies(&mut self) -> Vec<Vec<u8>> {
        self.frames().into_iter().map(|(d, _)| d).collect()
    }
}

/// A new pipe whose peer announces `routing_id` and has attached (or
/// not yet, as a peer that binds after we connected).
pub fn connect_peer(
    p: &mut dyn Pattern,
    pipes: &mut Pipes,
    routing_id: &[u8],
    attached: bool,
    hwm: u64,
) -> Peer {
    let (mine, theirs) = pair(Flow::queue(hwm), Flow::queue(hwm));
    theirs.set_routing_id(routing_id);
    if attached {
        theirs.attach(Arc::new(Mailbox::new().unwrap()));
    }
    let id = mine.id();
    pipes.insert(mine);
    assert!(p.attach(id, pipes));
    Peer { id, end: theirs }
}

pub fn connect(p: &mut dyn Pattern, pipes: &mut Pipes, routing_id: &[u8]) -> Peer {
    connect_peer(p, pipes, routing_id, true, 0)
}

/// What the socket does after each call: removes the dead pipes.
pub fn reap(p: &mut dyn Pattern, pipes: &mut Pipes) {
    for id in pipes.take_dead() {
        if let Some(end) = pipes.remove(id) {
            p.terminated(id, pipes);
            end.close(false);
        }
    }
}

pub fn send(p: &mut dyn Pattern, pipes: &mut Pipes, frames: &[&[u8]]) -> Result<()> {
    for (i, data) in frames.iter().enumerate() {
        let mut m = Msg::from_slice(data).unwrap();
        m.set_more(i + 1 < frames.len());
        p.send(&mut m, pipes)?;
    }
    reap(p, pipes);
    Ok(())
}

/// One whole message.
pub fn recv(p: &mut dyn Pattern, pipes: &mut Pipes) -> Result<Vec<Vec<u8>>> {
    // The wake-ups the socket would get from the peers' writes.
    for id in pipes.ids() {
        p.read_activated(id, pipes);
    }
    let mut out = Vec::new();
    loop {
        let m = p.recv(pipes)?;
        out.push(m.as_slice().to_vec());
        if !m.more() {
            reap(p, pipes);
            return Ok(out);
        }
    }
}
