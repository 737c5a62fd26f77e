//! ROUTER (RFC 28): routes by the routing id of each peer. REP and
//! STREAM are ROUTERs underneath.

use std::collections::HashMap;

use super::options::{bool_option, PROBE_ROUTER, ROUTER_HANDOVER, ROUTER_MANDATORY, ROUTER_RAW};
use super::pipes::{frame, probe, random_u32};
use super::{FairQueue, Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId, WriteError};

/// Whether the routing id a pipe's peer announces is final: a peer that
/// bound after we connected sets it when it attaches (or is gone).
fn peer_known(end: &PipeEnd) -> bool {
    // Attachment is checked first: the id is set before the peer attaches.
    end.peer_attached() || end.peer_closed || !end.peer_routing_id().is_empty()
}

/// ROUTER: every peer has a routing id; a received message is prefixed
/// with its peer's id, and a sent one starts with the id of its peer.
pub struct Router {
    fq: FairQueue,
    by_id: HashMap<Vec<u8>, PipeId>,
    ids: HashMap<PipeId, Vec<u8>>,
    /// Pipes whose peer has not bound yet, so its id is unknown; they are
    /// identified once it has (see [`peer_known`]).
    anonymous: Vec<PipeId>,
    /// Pipes whose peer announced an id already in use (no handover): kept
    /// but never read nor routed to, as libzmq does.
    ignored: Vec<PipeId>,
    /// Counter of generated ids (0x00 then 4 bytes big-endian).
    next_id: u32,
    /// The id generated last (a STREAM socket reads it back as its
    /// ZMQ_ROUTING_ID, as in libzmq).
    pub(super) last_generated: Option<Vec<u8>>,
    mandatory: bool,
    handover: bool,
    probe_router: bool,
    /// Raw tcp and ipc connections, no ZMTP (STREAM, or ZMQ_ROUTER_RAW):
    /// one data frame per id frame, and an empty one hangs up.
    raw: bool,
    /// The next message's id frame and first frame, read ahead by `has_in`
    /// or `recv`.
    prefetched_id: Option<Msg>,
    pub(super) prefetched: Option<Msg>,
    /// Frames of the message being received remain in `current_in`.
    pub(super) more_in: bool,
    current_in: Option<PipeId>,
    /// `current_in` lost its id to a handover while its message was being
    /// read: close it once that message is complete.
    close_current_in: bool,
    /// In the middle of a message being sent: to `current_out`, or dropped
    /// if that is `None`.
    more_out: bool,
    current_out: Option<PipeId>,
}

impl Router {
    /// The ROUTER under a STREAM: raw connections, and sends to an unknown
    /// peer refused (EHOSTUNREACH) rather than dropped.
    pub(super) fn raw() -> Router {
        Router {
            mandatory: true,
            raw: true,
            ..Router::default()
        }
    }
}

impl Default for Router {
    fn default() -> Router {
        Router {
            fq: FairQueue::default(),
            by_id: HashMap::new(),
            ids: HashMap::new(),
            anonymous: Vec::new(),
            ignored: Vec::new(),
            next_id: random_u32(),
            last_generated: None,
            mandatory: false,
            handover: false,
            probe_router: false,
            raw: false,
            prefetched_id: None,
            prefetched: None,
            more_in: false,
            current_in: None,
            close_current_in: false,
            more_out: false,
            current_out: None,
        }
    }
}

impl Router {
    fn generated_id(&mut self) -> Vec<u8> {
        loop {
            let mut id = Vec::with_capacity(5);
            id.push(0);
            id.extend_from_slice(&self.next_id.to_be_bytes());
            self.next_id = self.next_id.wrapping_add(1);
            // A peer may have chosen the same bytes; skip them.
            if !self.by_id.contains_key(&id) {
                self.last_generated = Some(id.clone());
                return id;
            }
        }
    }

    /// Gives a pipe its routing id: the one its peer announced, else a
    /// generated one.
    fn identify(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        let announced = pipes
            .get(pipe)
            .map(|end| end.peer_routing_id())
            .unwrap_or_default();
        let id = if announced.is_empty() {
            self.generated_id()
        } else if let Some(&old) = self.by_id.get(&announced) {
            if !self.handover {
                self.ignored.push(pipe);
                return;
            }
            self.hand_over(old, pipes);
            announced
        } else {
            announced
        };
        self.by_id.insert(id.clone(), pipe);
        self.ids.insert(pipe, id);
        self.fq.attach(pipe);
    }

    /// ZMQ_ROUTER_HANDOVER: `old` loses its id to a new pipe and is closed,
    /// after the message being read from it if there is one (so that the
    /// application does not get half a message).
    fn hand_over(&mut self, old: PipeId, pipes: &mut Pipes) {
        self.ids.remove(&old);
        if self.current_in == Some(old) && (self.more_in || self.prefetched.is_some()) {
            self.close_current_in = true;
        } else {
            self.fq.terminated(old);
            pipes.mark_dead(old);
        }
    }

    /// Identifies the anonymous pipes whose peer has become known.
    fn identify_anonymous(&mut self, pipes: &mut Pipes) {
        if self.anonymous.is_empty() {
            return;
        }
        let mut i = 0;
        while i < self.anonymous.len() {
            let pipe = self.anonymous[i];
            if pipes.get(pipe).is_some_and(|end| peer_known(end)) {
                self.anonymous.remove(i);
                self.identify(pipe, pipes);
            } else {
                i += 1;
            }
        }
    }

    /// Reads the next message's first frame and makes its id frame.
    fn prefetch(&mut self, pipes: &mut Pipes) -> Result<()> {
        loop {
            let (msg, pipe) = self.fq.recv(pipes)?;
            let Some(id) = self.ids.get(&pipe) else {
                // Only identified pipes are queued; should one slip
                // through, its message has no id to carry: drop it.
                if msg.more() {
                    self.fq.skip_rest(pipes);
                }
                continue;
            };
            // The id frame carries the connection's properties too
            // (Peer-Address...), as in libzmq.
            let mut id_frame = frame(id, true)?;
            id_frame.share_metadata_of(&msg);
            self.prefetched_id = Some(id_frame);
            self.prefetched = Some(msg);
            self.current_in = Some(pipe);
            return Ok(());
        }
    }

    /// Bookkeeping for a frame handed to the application.
    fn delivered(&mut self, msg: Msg, pipes: &mut Pipes) -> Msg {
        self.more_in = msg.more();
        if !self.more_in {
            if let Some(pipe) = self.current_in.take() {
                if std::mem::take(&mut self.close_current_in) {
                    self.fq.terminated(pipe);
                    pipes.mark_dead(pipe);
                }
            }
        }
        msg
    }

    /// Drops what remains of a message partly received.
    pub(super) fn skip_rest(&mut self, pipes: &mut Pipes) {
        while self.more_in {
            if self.recv(pipes).is_err() {
                self.more_in = false;
            }
        }
    }

    /// Starts sending a message to the peer named `id`. `Ok` with no pipe
    /// means the message will be dropped.
    pub(super) fn open_route(
        &mut self,
        id: &[u8],
        mandatory: bool,
        pipes: &mut Pipes,
    ) -> Result<()> {
        let mut target = self.by_id.get(id).copied();
        if target.is_none() && !self.anonymous.is_empty() {
            self.identify_anonymous(pipes);
            target = self.by_id.get(id).copied();
        }
        let route = match target {
            Some(pipe) => match pipes.get(pipe).map(|end| end.check_write()) {
                Some(Ok(())) => Some(pipe),
                Some(Err(WriteError::Full)) if mandatory => return Err(Error::Again),
                Some(Err(WriteError::Full)) => None,
                Some(Err(WriteError::Closed)) | None => {
                    pipes.peer_gone(pipe);
                    if mandatory {
                        return Err(Error::HostUnreachable);
                    }
                    None
                }
            },
            None if mandatory => return Err(Error::HostUnreachable),
            None => None,
        };
        self.current_out = route;
        self.more_out = true;
        Ok(())
    }

    /// Sends a frame after the id frame, or drops it if there is no route.
    pub(super) fn send_frame(&mut self, msg: &mut Msg, pipes: &mut Pipes) {
        let frame = std::mem::take(msg);
        let more = frame.more();
        // Raw: an empty frame hangs up, so the route ends now (the
        // connection when the session reads it).
        let hang_up = self.raw && frame.is_empty();
        if let Some(pipe) = self.current_out {
            if pipes.write(pipe, frame).is_err() {
                // The peer is gone: drop the frames already staged too;
                // the rest of the message goes nowhere.
                self.rollback(pipes);
            } else if hang_up {
                if let Some(id) = self.ids.get(&pipe) {
                    self.by_id.remove(id);
                }
            }
        }
        self.more_out = more;
        if !more {
            self.current_out = None;
        }
    }

    /// Forgets the message being sent, including its frames staged in the
    /// pipe.
    pub(super) fn rollback(&mut self, pipes: &mut Pipes) {
        if let Some(pipe) = self.current_out.take() {
            if let Some(end) = pipes.get(pipe) {
                end.rollback();
            }
        }
        self.more_out = false;
    }
}

impl Pattern for Router {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) -> bool {
        if self.probe_router {
            probe(pipe, pipes);
        }
        match pipes.get(pipe) {
            Some(end) if peer_known(end) => self.identify(pipe, pipes),
            Some(_) => self.anonymous.push(pipe),
            None => return false,
        }
        true
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if self.more_out {
            // Raw bytes have no frames: the MORE flag of the data is
            // ignored, as libzmq does.
            if self.raw {
                msg.set_more(false);
            }
            self.send_frame(msg, pipes);
            return Ok(());
        }
        // A lone id frame has nothing to carry: dropped, even with
        // ZMQ_ROUTER_MANDATORY (libzmq).
        if msg.more() {
            // On error `msg` stays as it was.
            let id = std::mem::take(msg);
            if let Err(e) = self.open_route(id.as_slice(), self.mandatory, pipes) {
                *msg = id;
                return Err(e);
            }
        } else {
            std::mem::take(msg);
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.identify_anonymous(pipes);
        if self.prefetched.is_none() {
            if self.more_in {
                let (msg, _) = self.fq.recv(pipes)?;
                return Ok(self.delivered(msg, pipes));
            }
            self.prefetch(pipes)?;
        }
        if let Some(id) = self.prefetched_id.take() {
            self.more_in = true;
            return Ok(id);
        }
        match self.prefetched.take() {
            Some(msg) => Ok(self.delivered(msg, pipes)),
            None => Err(Error::Again),
        }
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.identify_anonymous(pipes);
        self.more_in || self.prefetched.is_some() || self.prefetch(pipes).is_ok()
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        // Unroutable messages are dropped, so a ROUTER can always send,
        // unless ZMQ_ROUTER_MANDATORY asks for a peer with room.
        if !self.mandatory {
            return true;
        }
        self.identify_anonymous(pipes);
        self.ids.keys().any(|&pipe| pipes.check_write(pipe))
    }

    fn read_activated(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        if self.anonymous.contains(&pipe) {
            self.identify_anonymous(pipes);
        } else if self.ignored.contains(&pipe) {
            // Never read; once its peer has gone it can go too.
            if pipes.get(pipe).is_some_and(|end| end.peer_closed) {
                pipes.mark_dead(pipe);
            }
        } else {
            self.fq.activate(pipe);
        }
    }

    fn write_activated(&mut self, _pipe: PipeId, _pipes: &mut Pipes) {}

    fn terminated(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
        self.anonymous.retain(|&p| p != pipe);
        self.ignored.retain(|&p| p != pipe);
        if let Some(id) = self.ids.remove(&pipe) {
            if self.by_id.get(&id) == Some(&pipe) {
                self.by_id.remove(&id);
            }
        }
        self.fq.terminated(pipe);
        if self.current_out == Some(pipe) {
            // The rest of the message being sent is dropped.
            self.current_out = None;
        }
        if self.current_in == Some(pipe) {
            // Only a local disconnect ends a pipe in the middle of a
            // message (peers publish whole messages): end it with what
            // was already read.
            self.close_current_in = false;
            match self.prefetched.as_mut() {
                Some(msg) => msg.set_more(false),
                None => {
                    self.more_in = false;
                    self.current_in = None;
                }
            }
        }
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        match option {
            ROUTER_MANDATORY => self.mandatory = bool_option(value)?,
            ROUTER_HANDOVER => self.handover = bool_option(value)?,
            PROBE_ROUTER => self.probe_router = bool_option(value)?,
            // Once on, raw stays on (libzmq); it applies to the binds and
            // connects made after it.
            ROUTER_RAW => self.raw |= bool_option(value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Raw connections tell of each peer that comes and goes with an
    /// empty message (libzmq's default for raw sockets).
    fn raw_notify(&self) -> Option<bool> {
        self.raw.then_some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::mailbox::Mailbox;
    use crate::socket::dealer::Dealer;
    use crate::socket::options::{REQ_CORRELATE, REQ_RELAXED};
    use crate::socket::rep::Rep;
    use crate::socket::req::Req;
    use crate::socket::testing::*;

    #[test]
    fn router_generates_five_byte_ids_in_sequence() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut a = connect(&mut router, &mut pipes, b"");
        let mut b = connect(&mut router, &mut pipes, b"");
        a.send(&[b"from a"]);
        b.send(&[b"from b"]);
        // Fair-queued in attach order: a's message first.
        let first = recv(&mut router, &mut pipes).unwrap();
        let second = recv(&mut router, &mut pipes).unwrap();
        assert_eq!(first[1], b"from a");
        assert_eq!(second[1], b"from b");
        let n = |id: &[u8]| {
            assert_eq!(id.len(), 5);
            assert_eq!(id[0], 0);
            u32::from_be_bytes([id[1], id[2], id[3], id[4]])
        };
        assert_eq!(n(&second[0]), n(&first[0]).wrapping_add(1));
        send(&mut router, &mut pipes, &[&second[0], b"to b"]).unwrap();
        send(&mut router, &mut pipes, &[&first[0], b"to a"]).unwrap();
        assert_eq!(a.bodies(), [b"to a"]);
        assert_eq!(b.bodies(), [b"to b"]);
    }

    #[test]
    fn router_skips_generated_ids_a_peer_has_taken() {
        let mut pipes = Pipes::default();
        let mut router = Router {
            next_id: 7,
            ..Router::default()
        };
        let _taken = connect(&mut router, &mut pipes, &[0, 0, 0, 0, 7]);
        let mut anon = connect(&mut router, &mut pipes, b"");
        anon.send(&[b"hi"]);
        let m = recv(&mut router, &mut pipes).unwrap();
        assert_eq!(m[0], [0, 0, 0, 0, 8]);
    }

    #[test]
    fn router_ignores_a_duplicate_id_without_handover() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut first = connect(&mut router, &mut pipes, b"A");
        let mut dup = connect(&mut router, &mut pipes, b"A");
        dup.send(&[b"ignored"]);
        router.read_activated(dup.id, &mut pipes);
        assert_eq!(recv(&mut router, &mut pipes), Err(Error::Again));
        send(&mut router, &mut pipes, &[b"A", b"to first"]).unwrap();
        assert_eq!(first.bodies(), [b"to first"]);
        assert!(dup.bodies().is_empty());
        // Once its peer has gone, the ignored pipe goes too.
        pipes.get(dup.id).unwrap().peer_closed = true;
        router.read_activated(dup.id, &mut pipes);
        assert!(pipes.has_dead());
        reap(&mut router, &mut pipes);
        assert!(pipes.get(dup.id).is_none());
    }

    #[test]
    fn handover_waits_for_the_message_being_read() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        router
            .set_option(ROUTER_HANDOVER, &int(1), &mut pipes)
            .unwrap();
        let mut old = connect(&mut router, &mut pipes, b"A");
        old.send(&[b"p1", b"p2", b"p3"]);
        old.send(&[b"unread"]);
        assert_eq!(router.recv(&mut pipes).unwrap().as_slice(), b"A");
        assert_eq!(router.recv(&mut pipes).unwrap().as_slice(), b"p1");
        let mut new = connect(&mut router, &mut pipes, b"A");
        new.send(&[b"new"]);
        // The old pipe stays until its message is complete.
        assert!(!pipes.has_dead());
        assert_eq!(router.recv(&mut pipes).unwrap().as_slice(), b"p2");
        let last = router.recv(&mut pipes).unwrap();
        assert_eq!((last.as_slice(), last.more()), (&b"p3"[..], false));
        assert!(pipes.has_dead());
        reap(&mut router, &mut pipes);
        assert_eq!(
            recv(&mut router, &mut pipes).unwrap(),
            [&b"A"[..], &b"new"[..]]
        );
        assert_eq!(recv(&mut router, &mut pipes), Err(Error::Again));
        send(&mut router, &mut pipes, &[b"A", b"reply"]).unwrap();
        assert_eq!(new.bodies(), [b"reply"]);
    }

    #[test]
    fn handover_closes_an_idle_pipe_at_once() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        router
            .set_option(ROUTER_HANDOVER, &int(1), &mut pipes)
            .unwrap();
        let old = connect(&mut router, &mut pipes, b"A");
        let _new = connect(&mut router, &mut pipes, b"A");
        assert!(pipes.has_dead());
        reap(&mut router, &mut pipes);
        assert!(pipes.get(old.id).is_none());
    }

    #[test]
    fn router_learns_the_id_of_a_peer_that_binds_later() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        router
            .set_option(ROUTER_MANDATORY, &int(1), &mut pipes)
            .unwrap();
        let mut late = connect_peer(&mut router, &mut pipes, b"", false, 0);
        assert!(!router.has_out(&mut pipes));
        let mut id = Msg::from_slice(b"late").unwrap();
        id.set_more(true);
        assert_eq!(
            router.send(&mut id, &mut pipes),
            Err(Error::HostUnreachable)
        );
        // The id frame is left to the caller on error.
        assert_eq!(id.as_slice(), b"late");
        // The peer binds: its id is set, then it attaches.
        late.end.set_routing_id(b"late");
        late.end.attach(Arc::new(Mailbox::new().unwrap()));
        assert!(router.has_out(&mut pipes));
        send(&mut router, &mut pipes, &[b"late", b"hello"]).unwrap();
        assert_eq!(late.bodies(), [b"hello"]);
    }

    #[test]
    fn router_mandatory_reports_a_full_pipe_and_otherwise_drops() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut a = connect_peer(&mut router, &mut pipes, b"A", true, 1);
        send(&mut router, &mut pipes, &[b"A", b"1"]).unwrap();
        // Full: dropped silently.
        send(&mut router, &mut pipes, &[b"A", b"2"]).unwrap();
        router
            .set_option(ROUTER_MANDATORY, &int(1), &mut pipes)
            .unwrap();
        assert!(!router.has_out(&mut pipes));
        assert_eq!(
            send(&mut router, &mut pipes, &[b"A", b"3"]),
            Err(Error::Again)
        );
        assert_eq!(a.bodies(), [b"1"]);
        assert!(router.has_out(&mut pipes));
        send(&mut router, &mut pipes, &[b"A", b"4"]).unwrap();
        assert_eq!(a.bodies(), [b"4"]);
        // A lone id frame is dropped even so.
        send(&mut router, &mut pipes, &[b"nobody"]).unwrap();
        assert_eq!(
            send(&mut router, &mut pipes, &[b"nobody", b"x"]),
            Err(Error::HostUnreachable)
        );
    }

    #[test]
    fn router_forgets_a_peer_that_left() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        router
            .set_option(ROUTER_MANDATORY, &int(1), &mut pipes)
            .unwrap();
        let a = connect(&mut router, &mut pipes, b"A");
        let id = a.id;
        a.end.close(false);
        // The socket marks a drained pipe whose peer left as dead.
        assert!(pipes.get(id).unwrap().input_closed());
        pipes.mark_dead(id);
        reap(&mut router, &mut pipes);
        assert_eq!(
            send(&mut router, &mut pipes, &[b"A", b"x"]),
            Err(Error::HostUnreachable)
        );
    }

    #[test]
    fn router_keeps_a_message_read_ahead_from_a_pipe_that_closed() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut a = connect(&mut router, &mut pipes, b"A");
        a.send(&[b"last words"]);
        assert!(router.has_in(&mut pipes));
        a.end.close(false);
        assert!(pipes.get(a.id).unwrap().input_closed());
        pipes.mark_dead(a.id);
        reap(&mut router, &mut pipes);
        assert_eq!(
            recv(&mut router, &mut pipes).unwrap(),
            [&b"A"[..], &b"last words"[..]]
        );
    }

    #[test]
    fn options_are_checked_and_belong_to_their_types() {
        let mut pipes = Pipes::default();
        let mut router = Router::default();
        let mut rep = Rep::default();
        let mut req = Req::default();
        let mut dealer = Dealer::default();
        for bad in [&[1u8][..], &[0; 8], &int(-1)] {
            assert_eq!(
                router.set_option(ROUTER_MANDATORY, bad, &mut pipes),
                Err(Error::Invalid)
            );
            assert_eq!(
                req.set_option(REQ_CORRELATE, bad, &mut pipes),
                Err(Error::Invalid)
            );
            assert_eq!(
                dealer.set_option(PROBE_ROUTER, bad, &mut pipes),
                Err(Error::Invalid)
            );
        }
        assert_eq!(
            rep.set_option(ROUTER_HANDOVER, &int(1), &mut pipes),
            Ok(true)
        );
        assert_eq!(rep.set_option(REQ_RELAXED, &int(1), &mut pipes), Ok(false));
        assert_eq!(
            req.set_option(ROUTER_MANDATORY, &int(1), &mut pipes),
            Ok(false)
        );
        assert_eq!(
            dealer.set_option(REQ_RELAXED, &int(1), &mut pipes),
            Ok(false)
        );
        assert_eq!(
            router.set_option(REQ_CORRELATE, &int(1), &mut pipes),
            Ok(false)
        );
        let mut out = [0u8; 4];
        assert_eq!(router.get_option(ROUTER_MANDATORY, &mut out), Ok(None));
    }
}
