//! Pipes: a pair of one-way message queues joining two sockets.
//!
//! Each direction is a lock-free queue ([`crate::queue`]) with one writer
//! and one reader, or, for ZMQ_CONFLATE, a cell holding the newest message.
//! The writer publishes whole messages (the frames of a multipart message
//! become visible together); HWM counts whole messages. Wake-ups cost a
//! command only when the other side sleeps: a reader that finds nothing,
//! or a writer that finds the queue full, is told by the other side through
//! its socket's mailbox (`ActivateRead`, `ActivateWrite`).
//!
//! A session's end may offer a [`Drain`]: a writer that sends and then
//! waits for the answer (REQ, REP) hands its message to the connection
//! on its own thread, instead of waking the I/O thread to do it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::mailbox::{Command, Mailbox};
use crate::msg::Msg;
use crate::queue::{self, Blocked};
use crate::sync::Mutex;

/// Names one end of a pipe, unique in the process.
pub type PipeId = u64;

fn next_id() -> PipeId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What a reader end offers writers that would rather not wake it: taking
/// what is queued at once, on the writer's thread.
pub trait Drain: Send + Sync {
    /// Takes everything queued now; false when it cannot (busy, or not
    /// ready), and the reader must be woken as usual.
    fn drain(&self) -> bool;
}

/// The newest message of a conflating direction, and who is there.
#[derive(Default)]
struct Latest {
    msg: Option<Msg>,
    reader_waiting: bool,
    writer_gone: bool,
    discard: bool,
    reader_gone: bool,
}

enum Out {
    Queue(queue::Writer),
    Latest(Arc<Mutex<Latest>>),
}

enum In {
    Queue(queue::Reader),
    Latest(Arc<Mutex<Latest>>),
}

/// What one end tells the other: where to send wake-ups, its socket's
/// routing id, and what its socket's high-water marks add to each
/// direction.
#[derive(Default)]
struct Side {
    mailbox: Option<Arc<Mailbox>>,
    id: PipeId,
    routing_id: Vec<u8>,
    /// (ZMQ_SNDHWM, ZMQ_RCVHWM) of a socket at this end: both ends of an
    /// inproc pipe are sockets, whose limits add up. None for a session's
    /// end, which has no limits of its own.
    hwms: Option<(i32, i32)>,
    /// What this end's socket receives when the other end closes
    /// (ZMQ_DISCONNECT_MSG over inproc): the other end writes it last.
    farewell: Option<Vec<u8>>,
    /// The local and remote endpoint of a session's connection, for
    /// PIPES_STATS monitor events (empty over inproc).
    ends: (String, String),
    /// This end takes what the other writes on the writer's thread.
    drain: Option<Arc<dyn Drain>>,
}

/// The limit of one direction of an inproc pipe: the sender's send HWM
/// plus the receiver's receive HWM, and none if either has none (0).
pub fn combined_hwm(sndhwm: i32, rcvhwm: i32) -> u64 {
    if sndhwm <= 0 || rcvhwm <= 0 {
        0
    } else {
        sndhwm as u64 + rcvhwm as u64
    }
}

/// Why a write did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    /// The queue is at its high-water mark; the end will be woken with
    /// `ActivateWrite` when there is room.
    Full,
    /// The reader is gone.
    Closed,
}

/// What a read gave (`Empty`: the end will be woken with `ActivateRead`).
pub use crate::queue::Read;

/// One end of a pipe, owned by a socket.
pub struct PipeEnd {
    sides: Arc<[Mutex<Side>; 2]>,
    side: usize,
    id: PipeId,
    out: Out,
    inp: In,
    /// Frames of an outgoing multipart message not yet complete.
    outbox: Vec<Msg>,
    /// A frame taken by `check_read`, returned by the next `read`.
    lookahead: Option<Msg>,
    input_closed: bool,
    /// The name this end's socket gives the peer (ZMQ_CONNECT_ROUTING_ID),
    /// instead of the routing id the peer announces.
    peer_alias: Option<Vec<u8>>,
    /// The peer sent `PipeTerm`.
    pub(crate) peer_closed: bool,
    /// Messages written here go through the peer's drain when it has one.
    write_through: bool,
    /// The peer takes every group (a RADIO's udp endpoint, which cannot
    /// join).
    all_groups: bool,
}

/// High-water mark and conflation of one direction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flow {
    pub hwm: u64,
    pub conflate: bool,
}

impl Flow {
    /// A plain queue of `hwm` messages (0: no limit), for the tests.
    #[cfg(test)]
    pub(crate) fn queue(hwm: u64) -> Flow {
        Flow {
            hwm,
            conflate: false,
        }
    }
}

fn lane(flow: Flow) -> (Out, In) {
    if flow.conflate {
        let cell = Arc::new(Mutex::new(Latest {
            reader_waiting: true,
            ..Latest::default()
        }));
        (Out::Latest(cell.clone()), In::Latest(cell))
    } else {
        let (writer, reader) = queue::channel(flow.hwm);
        (Out::Queue(writer), In::Queue(reader))
    }
}

/// A new pipe: `a` writes with `a_to_b` and reads with `b_to_a`.
pub fn pair(a_to_b: Flow, b_to_a: Flow) -> (PipeEnd, PipeEnd) {
    let sides = Arc::new([Mutex::new(Side::default()), Mutex::new(Side::default())]);
    let (a_out, b_in) = lane(a_to_b);
    let (b_out, a_in) = lane(b_to_a);
    let end = |side: usize, out, inp| {
        let id = next_id();
        sides[side].lock().id = id;
        PipeEnd {
            sides: sides.clone(),
            side,
            id,
            out,
            inp,
            outbox: Vec::new(),
            lookahead: None,
            input_closed: false,
            peer_alias: None,
            peer_closed: false,
            write_through: false,
            all_groups: false,
        }
    };
    (end(0, a_out, a_in), end(1, b_out, b_in))
}

impl PipeEnd {
    pub fn id(&self) -> PipeId {
        self.id
    }

    fn peer(&self) -> usize {
        1 - self.side
    }

    pub fn set_all_groups(&mut self) {
        self.all_groups = true;
    }

    pub fn takes_all_groups(&self) -> bool {
        self.all_groups
    }

    /// Records the mailbox of the socket that owns this end, which
    /// receives the peer's wake-ups.
    pub fn attach(&self, mailbox: Arc<Mailbox>) {
        self.sides[self.side].lock().mailbox = Some(mailbox);
    }

    /// Offers writers at the other end to take their messages on their
    /// thread (None: withdraws it).
    pub fn set_drain(&self, drain: Option<Arc<dyn Drain>>) {
        self.sides[self.side].lock().drain = drain;
    }

    /// Sends what this end writes through the peer's drain, if it offers
    /// one, rather than waking the peer.
    pub fn set_write_through(&mut self, on: bool) {
        self.write_through = on;
    }

    /// The reader was asleep and there is something to read: its drain
    /// takes it here, or it is woken.
    fn wake_reader(&self) {
        if self.write_through {
            let drain = self.sides[self.peer()].lock().drain.clone();
            // The lock is let go first: the drain takes pipe locks of its own.
            if drain.is_some_and(|drain| drain.drain()) {
                return;
            }
        }
        self.notify_peer(Command::ActivateRead);
    }

    /// The routing id of this end's socket, as the peer will see it.
    pub fn set_routing_id(&self, routing_id: &[u8]) {
        self.sides[self.side].lock().routing_id = routing_id.to_vec();
    }

    /// The routing id of the peer: the name given with
    /// [`PipeEnd::set_peer_alias`], else what the peer's socket announced
    /// (empty if none).
    pub fn peer_routing_id(&self) -> Vec<u8> {
        match &self.peer_alias {
            Some(alias) => alias.clone(),
            None => self.sides[self.peer()].lock().routing_id.clone(),
        }
    }

    /// Names the peer locally (ZMQ_CONNECT_ROUTING_ID).
    pub fn set_peer_alias(&mut self, alias: Vec<u8>) {
        self.peer_alias = Some(alias);
    }

    /// Whether the peer's socket has attached its end.
    pub fn peer_attached(&self) -> bool {
        self.sides[self.peer()].lock().mailbox.is_some()
    }

    /// Sets the high-water marks of both directions, seen from this end.
    /// (Conflation is settled when the pipe is made.)
    pub fn set_flow(&self, outgoing: Flow, incoming: Flow) {
        if let Out::Queue(writer) = &self.out {
            writer.set_hwm(outgoing.hwm);
        }
        if let In::Queue(reader) = &self.inp {
            reader.set_hwm(incoming.hwm);
        }
    }

    /// Records this end's socket's high-water marks (an inproc pipe, whose
    /// limits add up those of both sockets), without applying them.
    pub fn record_hwms(&self, sndhwm: i32, rcvhwm: i32) {
        self.sides[self.side].lock().hwms = Some((sndhwm, rcvhwm));
    }

    /// What this end's socket is to receive when the peer closes its end.
    pub fn set_farewell(&self, farewell: Option<Vec<u8>>) {
        self.sides[self.side].lock().farewell = farewell;
    }

    /// Whether both ends belong to sockets (inproc), not one to a session.
    pub fn between_sockets(&self) -> bool {
        self.sides[self.side].lock().hwms.is_some()
    }

    /// Applies new high-water marks of this end's socket to both
    /// directions, combined with the peer socket's on an inproc pipe
    /// (ZMQ_SNDHWM or ZMQ_RCVHWM set after the pipe was made). Messages
    /// already queued stay; the peer is woken in case it waits for room
    /// that is there now.
    pub fn set_hwms(&self, sndhwm: i32, rcvhwm: i32) {
        let peer = {
            let mut ours = self.sides[self.side].lock();
            if ours.hwms.is_some() {
                ours.hwms = Some((sndhwm, rcvhwm));
            }
            drop(ours);
            self.sides[self.peer()].lock().hwms
        };
        let plain = |hwm: i32| hwm.max(0) as u64;
        let (outgoing, incoming) = match peer {
            Some((peer_snd, peer_rcv)) => (
                combined_hwm(sndhwm, peer_rcv),
                combined_hwm(peer_snd, rcvhwm),
            ),
            None => (plain(sndhwm), plain(rcvhwm)),
        };
        let flow = |hwm| Flow {
            hwm,
            conflate: false,
        };
        self.set_flow(flow(outgoing), flow(incoming));
        self.notify_peer(Command::ActivateWrite);
    }

    fn notify_peer(&self, command: fn(PipeId) -> Command) {
        let side = self.sides[self.peer()].lock();
        if let Some(mailbox) = &side.mailbox {
            mailbox.send(command(side.id));
        }
    }

    /// Tells the peer's socket that the connection behind this end was
    /// made again (`Hiccup`).
    /// Names the connection this end serves (a session's end).
    pub fn set_ends(&self, local: &str, remote: &str) {
        self.sides[self.side].lock().ends = (local.to_owned(), remote.to_owned());
    }

    /// The endpoints the other end named (see [`PipeEnd::set_ends`]).
    pub fn peer_ends(&self) -> (String, String) {
        self.sides[self.peer()].lock().ends.clone()
    }

    /// Whole messages queued (out, in): written here and not yet read
    /// there, and written there and not yet read here. The outgoing count
    /// may include a few messages read since the reader last reported.
    pub fn queued(&mut self) -> (u64, u64) {
        let out = match &mut self.out {
            Out::Queue(writer) => writer.queued(),
            Out::Latest(cell) => u64::from(cell.lock().msg.is_some()),
        };
        let looked_at = self.lookahead.as_ref().is_some_and(|m| !m.more());
        let inp = match &mut self.inp {
            In::Queue(reader) => reader.queued(),
            In::Latest(cell) => u64::from(cell.lock().msg.is_some()),
        };
        (out, inp + u64::from(looked_at))
    }

    pub fn hiccup(&self) {
        self.notify_peer(Command::Hiccup);
    }

    /// Whether a new message can be written now. When it cannot because
    /// the queue is full, the end will get `ActivateWrite`.
    pub fn check_write(&mut self) -> Result<(), WriteError> {
        if !self.outbox.is_empty() {
            return Ok(());
        }
        match &mut self.out {
            Out::Queue(writer) => writer.check().map_err(|blocked| match blocked {
                Blocked::Full => WriteError::Full,
                Blocked::Gone => WriteError::Closed,
            }),
            Out::Latest(cell) if cell.lock().reader_gone => Err(WriteError::Closed),
            Out::Latest(_) => Ok(()),
        }
    }

    /// Writes one frame. The high-water mark is checked at the first frame
    /// of a message only: once started, a message is always completed.
    pub fn write(&mut self, msg: Msg) -> Result<(), (WriteError, Msg)> {
        self.write_to(msg, true)
    }

    /// Writes one frame like [`PipeEnd::write`], but a completed message
    /// becomes visible only at the next [`PipeEnd::flush`]: a batch costs
    /// one publication and at most one wake-up.
    pub fn write_batched(&mut self, msg: Msg) -> Result<(), (WriteError, Msg)> {
        self.write_to(msg, false)
    }

    /// Publishes what [`PipeEnd::write_batched`] wrote.
    pub fn flush(&mut self) {
        if let Out::Queue(writer) = &mut self.out {
            if writer.flush() {
                self.wake_reader();
            }
        }
    }

    fn write_to(&mut self, msg: Msg, flush: bool) -> Result<(), (WriteError, Msg)> {
        if self.outbox.is_empty() {
            if let Err(e) = self.check_write() {
                return Err((e, msg));
            }
        }
        if msg.more() {
            self.outbox.push(msg);
            return Ok(());
        }
        let wake = match &mut self.out {
            Out::Queue(writer) => {
                if !self.outbox.is_empty() {
                    for frame in self.outbox.drain(..) {
                        writer.push(frame);
                    }
                }
                writer.push(msg);
                if flush {
                    writer.publish()
                } else {
                    writer.complete();
                    false
                }
            }
            Out::Latest(cell) => {
                // Only single-frame messages conflate; the last frame of a
                // multipart one stands for it.
                self.outbox.clear();
                let mut latest = cell.lock();
                latest.msg = Some(msg);
                std::mem::take(&mut latest.reader_waiting)
            }
        };
        if wake {
            self.wake_reader();
        }
        Ok(())
    }

    /// Drops the frames of an unfinished outgoing message.
    pub fn rollback(&mut self) {
        self.outbox.clear();
    }

    /// Takes the next frame from the incoming direction, waking the writer
    /// if this read made room it waits for.
    fn pop(&mut self) -> Read {
        if self.input_closed {
            return Read::Closed;
        }
        let read = match &mut self.inp {
            In::Queue(reader) => reader.pop(),
            In::Latest(cell) => {
                let mut latest = cell.lock();
                match latest.msg.take() {
                    Some(msg) if !latest.discard => Read::Msg(msg),
                    _ if latest.writer_gone => Read::Closed,
                    _ => {
                        latest.reader_waiting = true;
                        Read::Empty
                    }
                }
            }
        };
        let wake_writer = match &mut self.inp {
            In::Queue(reader) => reader.take_wake_writer(),
            In::Latest(_) => false,
        };
        if wake_writer {
            self.notify_peer(Command::ActivateWrite);
        }
        if let Read::Closed = read {
            self.input_closed = true;
        }
        read
    }

    /// Whether a message can be read now. When not, the end will get
    /// `ActivateRead` once one arrives.
    pub fn check_read(&mut self) -> bool {
        if self.lookahead.is_none() {
            if let Read::Msg(msg) = self.pop() {
                self.lookahead = Some(msg);
            }
        }
        self.lookahead.is_some()
    }

    /// Whether the pipe is finished for reading: the writer is gone and
    /// everything it wrote has been read.
    pub fn input_closed(&mut self) -> bool {
        !self.check_read() && self.input_closed
    }

    pub fn read(&mut self) -> Read {
        // Checked before taking, so that the usual case moves no message.
        if self.lookahead.is_some() {
            if let Some(msg) = self.lookahead.take() {
                return Read::Msg(msg);
            }
        }
        self.pop()
    }

    /// Closes this end. Messages already written stay readable by the peer
    /// unless `discard` (linger 0); messages sent to this end are dropped.
    pub fn close(mut self, discard: bool) {
        {
            let mut side = self.sides[self.side].lock();
            side.mailbox = None;
            side.drain = None;
        }
        // The peer's ZMQ_DISCONNECT_MSG goes last, on its own (a message
        // left unfinished here is dropped, as ever).
        let farewell = self.sides[self.peer()].lock().farewell.take();
        if let (false, Some(bytes), Out::Queue(writer)) = (discard, farewell, &mut self.out) {
            if let Ok(msg) = Msg::from_slice(&bytes) {
                writer.push(msg);
                writer.complete();
            }
        }
        let wake_reader = match self.out {
            Out::Queue(writer) => writer.close(discard),
            Out::Latest(ref cell) => {
                let mut latest = cell.lock();
                latest.writer_gone = true;
                latest.discard = discard;
                std::mem::take(&mut latest.reader_waiting)
            }
        };
        let wake_writer = match self.inp {
            In::Queue(reader) => reader.close(),
            In::Latest(ref cell) => {
                let mut latest = cell.lock();
                latest.reader_gone = true;
                latest.msg = None;
                false
            }
        };
        let side = self.sides[1 - self.side].lock();
        if let Some(mailbox) = &side.mailbox {
            if wake_reader {
                mailbox.send(Command::ActivateRead(side.id));
            }
            if wake_writer {
                mailbox.send(Command::ActivateWrite(side.id));
            }
            mailbox.send(Command::PipeTerm(side.id));
        }
    }
}

impl std::fmt::Debug for PipeEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeEnd").field("id", &self.id).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data).unwrap();
        m.set_more(more);
        m
    }

    fn read_bytes(end: &mut PipeEnd) -> Option<Vec<u8>> {
        match end.read() {
            Read::Msg(m) => Some(m.as_slice().to_vec()),
            _ => None,
        }
    }

    #[test]
    fn messages_arrive_in_order() {
        let (mut a, mut b) = pair(Flow::queue(0), Flow::queue(0));
        for i in 0..100u8 {
            a.write(msg(&[i], false)).unwrap();
        }
        for i in 0..100u8 {
            assert_eq!(read_bytes(&mut b), Some(vec![i]));
        }
        assert!(matches!(b.read(), Read::Empty));
        b.write(msg(b"back", false)).unwrap();
        assert_eq!(read_bytes(&mut a), Some(b"back".to_vec()));
    }

    #[test]
    fn multipart_messages_appear_whole() {
        let (mut a, mut b) = pair(Flow::queue(0), Flow::queue(0));
        a.write(msg(b"1", true)).unwrap();
        a.write(msg(b"2", true)).unwrap();
        assert!(!b.check_read());
        a.write(msg(b"3", false)).unwrap();
        assert!(b.check_read());
        for (part, more) in [(b"1", true), (b"2", true), (b"3", false)] {
            match b.read() {
                Read::Msg(m) => assert_eq!((m.as_slice(), m.more()), (&part[..], more)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn writer_stops_at_the_high_water_mark_and_resumes() {
        let (mut a, mut b) = pair(Flow::queue(4), Flow::queue(0));
        for _ in 0..4 {
            a.write(msg(b"x", false)).unwrap();
        }
        assert_eq!(a.check_write(), Err(WriteError::Full));
        let (e, _) = a.write(msg(b"x", false)).unwrap_err();
        assert_eq!(e, WriteError::Full);
        // A started multipart message is completed regardless.
        let (mut c, mut d) = pair(Flow::queue(1), Flow::queue(0));
        c.write(msg(b"1", true)).unwrap();
        c.write(msg(b"2", false)).unwrap();
        assert!(c.write(msg(b"3", false)).is_err());
        assert!(d.check_read());
        // Reading reports progress; the writer has room again.
        for _ in 0..4 {
            assert!(read_bytes(&mut b).is_some());
        }
        assert_eq!(a.check_write(), Ok(()));
    }

    #[test]
    fn wakeups_go_to_the_sleeping_side_only() {
        let reader_box = Arc::new(Mailbox::new().unwrap());
        let writer_box = Arc::new(Mailbox::new().unwrap());
        let (mut a, mut b) = pair(Flow::queue(2), Flow::queue(0));
        a.attach(writer_box.clone());
        b.attach(reader_box.clone());
        // A new pipe's reader starts asleep: the first message wakes it,
        // the second (before it reads) does not.
        a.write(msg(b"1", false)).unwrap();
        let commands = reader_box.take();
        assert!(matches!(commands[..], [Command::ActivateRead(id)] if id == b.id()));
        a.write(msg(b"1b", false)).unwrap();
        assert!(reader_box.take().is_empty(), "reader was not asleep");
        assert!(read_bytes(&mut b).is_some());
        assert!(read_bytes(&mut b).is_some());
        assert!(matches!(b.read(), Read::Empty));
        a.write(msg(b"2", false)).unwrap();
        let commands = reader_box.take();
        assert!(matches!(commands[..], [Command::ActivateRead(id)] if id == b.id()));
        a.write(msg(b"3", false)).unwrap();
        assert!(a.write(msg(b"4", false)).is_err());
        assert!(read_bytes(&mut b).is_some());
        let commands = writer_box.take();
        assert!(matches!(commands[..], [Command::ActivateWrite(id)] if id == a.id()));
    }

    #[test]
    fn close_keeps_sent_messages_unless_discarded() {
        let (mut a, mut b) = pair(Flow::queue(0), Flow::queue(0));
        a.write(msg(b"kept", false)).unwrap();
        a.close(false);
        assert_eq!(read_bytes(&mut b), Some(b"kept".to_vec()));
        assert!(matches!(b.read(), Read::Closed));
        assert!(b.input_closed());
        let (e, _) = b.write(msg(b"lost", false)).unwrap_err();
        assert_eq!(e, WriteError::Closed);

        let (mut c, mut d) = pair(Flow::queue(0), Flow::queue(0));
        c.write(msg(b"dropped", false)).unwrap();
        c.close(true);
        assert!(matches!(d.read(), Read::Closed));
    }

    /// CVE-2021-20234: a pipe that ends while a message is unfinished (on
    /// either side, or half read) frees every frame of it.
    #[test]
    #[allow(unsafe_code)]
    fn cve_2021_20234_unfinished_messages_are_freed_when_the_pipe_ends() {
        use std::sync::atomic::AtomicUsize;
        static FREED: AtomicUsize = AtomicUsize::new(0);
        static DATA: [u8; 3] = *b"abc";
        unsafe extern "C" fn freed(_: *mut std::ffi::c_void, _: *mut std::ffi::c_void) {
            FREED.fetch_add(1, Ordering::SeqCst);
        }
        let counted = |more: bool| {
            // SAFETY: static data outlives every message; `freed` only
            // counts.
            let mut m = unsafe {
                Msg::from_caller_buffer(
                    DATA.as_ptr().cast_mut(),
                    3,
                    Some(freed),
                    std::ptr::null_mut(),
                )
            }
            .unwrap();
            m.set_more(more);
            m
        };
        // The writer leaves in the middle of a message.
        let (mut a, b) = pair(Flow::queue(0), Flow::queue(0));
        a.write(counted(true)).unwrap();
        a.write(counted(true)).unwrap();
        a.close(false);
        drop(b);
        assert_eq!(FREED.swap(0, Ordering::SeqCst), 2);
        // A whole message half read, then one unfinished; the reader ends
        // first, then the writer.
        let (mut a, mut b) = pair(Flow::queue(0), Flow::queue(0));
        a.write(counted(true)).unwrap();
        a.write(counted(false)).unwrap();
        a.write(counted(true)).unwrap();
        assert!(matches!(b.read(), Read::Msg(_)));
        assert_eq!(FREED.swap(0, Ordering::SeqCst), 1, "the frame read");
        b.close(false);
        a.close(false);
        assert_eq!(FREED.swap(0, Ordering::SeqCst), 2);
        // Linger 0: what is published is dropped with the rest.
        let (mut a, b) = pair(Flow::queue(0), Flow::queue(0));
        a.write(counted(false)).unwrap();
        a.write(counted(true)).unwrap();
        a.close(true);
        drop(b);
        assert_eq!(FREED.swap(0, Ordering::SeqCst), 2);
    }

    #[test]
    fn conflate_keeps_the_newest() {
        let (mut a, mut b) = pair(
            Flow {
                hwm: 1,
                conflate: true,
            },
            Flow::queue(0),
        );
        for i in 0..10u8 {
            a.write(msg(&[i], false)).unwrap();
        }
        assert_eq!(read_bytes(&mut b), Some(vec![9]));
        assert!(matches!(b.read(), Read::Empty));
    }

    #[test]
    fn threads_pass_many_messages_without_loss() {
        let (mut a, mut b) = pair(Flow::queue(100), Flow::queue(0));
        let writer_box = Arc::new(Mailbox::new().unwrap());
        let reader_box = Arc::new(Mailbox::new().unwrap());
        a.attach(writer_box.clone());
        b.attach(reader_box.clone());
        const N: u32 = 200_000;
        let writer = std::thread::spawn(move || {
            let mut i = 0u32;
            while i < N {
                match a.write(msg(&i.to_be_bytes(), false)) {
                    Ok(()) => i += 1,
                    Err((WriteError::Full, _)) => {
                        writer_box.wait(None).unwrap();
                        writer_box.take();
                    }
                    Err((WriteError::Closed, _)) => panic!("reader gone"),
                }
            }
            a.close(false);
        });
        let mut expected = 0u32;
        loop {
            match b.read() {
                Read::Msg(m) => {
                    assert_eq!(m.as_slice(), expected.to_be_bytes());
                    expected += 1;
                }
                Read::Empty => {
                    reader_box.wait(None).unwrap();
                    reader_box.take();
                }
                Read::Closed => break,
            }
        }
        writer.join().unwrap();
        assert_eq!(expected, N);
    }
}

/// Model checks (`RUSTFLAGS="--cfg loom" cargo test -p zmq-core --lib
/// pipe::models`): two ends on two threads, each asleep in its socket's
/// mailbox until the other end's command wakes it, through every
/// interleaving up to loom's preemption bound. A wake-up lost between the
/// queue, the side locks and the mailbox leaves a thread asleep forever,
/// which loom reports as a deadlock.
#[cfg(all(test, loom))]
mod models {
    use super::*;
    use std::sync::Weak;

    fn frame(byte: u8, more: bool) -> Msg {
        let mut m = Msg::from_slice(&[byte]).unwrap();
        m.set_more(more);
        m
    }

    fn mailbox() -> Arc<Mailbox> {
        Arc::new(Mailbox::new().unwrap())
    }

    /// A socket's blocking loop between two tries: asleep until a command
    /// comes (which one does not matter: the end simply tries again).
    fn sleep(mailbox: &Mailbox) {
        let mut taken = Vec::new();
        while taken.is_empty() {
            if mailbox.is_signaled() {
                mailbox.take_into(&mut taken);
            } else {
                mailbox.wait(None).unwrap();
            }
        }
    }

    /// Writes `frames` (byte, more), asleep while the pipe is full. The
    /// end stays open until the reader has all: a close wakes the reader,
    /// which would hide a wake-up lost before it.
    fn write_all(end: &mut PipeEnd, mailbox: &Mailbox, frames: &[(u8, bool)]) {
        for &(byte, more) in frames {
            let mut msg = frame(byte, more);
            loop {
                match end.write(msg) {
                    Ok(()) => break,
                    Err((WriteError::Full, back)) => {
                        msg = back;
                        sleep(mailbox);
                    }
                    Err((WriteError::Closed, _)) => panic!("the reader left"),
                }
            }
        }
    }

    const MESSAGES: &[(u8, bool)] = &[(1, true), (2, false), (3, false)];

    #[test]
    fn whole_messages_cross_a_full_pipe_in_order() {
        crate::loom_model(|| {
            let (mut a, mut b) = pair(Flow::queue(1), Flow::queue(1));
            let (to_a, to_b) = (mailbox(), mailbox());
            a.attach(to_a.clone());
            b.attach(to_b.clone());
            let writer = loom::thread::spawn(move || {
                write_all(&mut a, &to_a, MESSAGES);
                a
            });
            let mut got = Vec::new();
            while got.len() < MESSAGES.len() {
                match b.read() {
                    Read::Msg(m) => got.push((m.as_slice()[0], m.more())),
                    // A multipart message is visible whole, or not at all.
                    Read::Empty => {
                        assert!(got.last().is_none_or(|&(_, more)| !more), "{got:?}");
                        sleep(&to_b);
                    }
                    Read::Closed => panic!("the writer left"),
                }
            }
            assert_eq!(got, MESSAGES);
            writer.join().unwrap().close(false);
            // What the writer left behind is all there was.
            assert!(matches!(b.read(), Read::Closed));
            b.close(false);
        });
    }

    #[test]
    fn a_conflating_reader_ends_with_the_newest_message() {
        crate::loom_model(|| {
            let conflate = Flow {
                hwm: 0,
                conflate: true,
            };
            let (mut a, mut b) = pair(conflate, Flow::queue(0));
            let (to_a, to_b) = (mailbox(), mailbox());
            a.attach(to_a.clone());
            b.attach(to_b.clone());
            let writer = loom::thread::spawn(move || {
                write_all(&mut a, &to_a, &[(1, false), (2, false), (3, false)]);
                a
            });
            let mut last = 0;
            while last < 3 {
                match b.read() {
                    Read::Msg(m) => {
                        assert!(m.as_slice()[0] > last, "older after newer");
                        last = m.as_slice()[0];
                    }
                    Read::Empty => sleep(&to_b),
                    Read::Closed => panic!("the writer left"),
                }
            }
            writer.join().unwrap().close(false);
            assert!(matches!(b.read(), Read::Closed));
            b.close(false);
        });
    }

    #[test]
    fn a_reader_that_leaves_frees_a_full_writer() {
        crate::loom_model(|| {
            let (mut a, b) = pair(Flow::queue(1), Flow::queue(1));
            let (to_a, to_b) = (mailbox(), mailbox());
            a.attach(to_a.clone());
            b.attach(to_b);
            let writer = loom::thread::spawn(move || {
                let mut written = 0;
                loop {
                    match a.write(frame(1, false)) {
                        Ok(()) => written += 1,
                        Err((WriteError::Full, _)) => sleep(&to_a),
                        Err((WriteError::Closed, _)) => break,
                    }
                    assert!(written <= 1, "room past the high-water mark");
                }
                a.close(false);
            });
            b.close(false);
            writer.join().unwrap();
        });
    }

    /// The session's end as the I/O thread and a writing-through socket
    /// share it: whoever holds the lock reads.
    struct Session {
        end: Mutex<Option<PipeEnd>>,
        delivered: Mutex<Vec<u8>>,
        /// Writes to the connection: work done after the read that found
        /// the pipe empty, while the lock is still held (an atomic, so that
        /// loom may switch threads there).
        written: loom::sync::atomic::AtomicUsize,
    }

    impl Session {
        /// Reads all there is; how many messages it has had in all.
        fn take(&self, end: &mut PipeEnd) -> usize {
            let mut delivered = self.delivered.lock();
            loop {
                match end.read() {
                    Read::Msg(m) => delivered.push(m.as_slice()[0]),
                    Read::Empty => {
                        self.written.store(delivered.len(), Ordering::Release);
                        return delivered.len();
                    }
                    Read::Closed => panic!("the socket left"),
                }
            }
        }
    }

    struct WriteThrough(Weak<Session>);

    impl Drain for WriteThrough {
        fn drain(&self) -> bool {
            let Some(session) = self.0.upgrade() else {
                return false;
            };
            let Some(mut end) = session.end.try_lock() else {
                return false;
            };
            match end.as_mut() {
                Some(end) => {
                    session.take(end);
                    true
                }
                None => false,
            }
        }
    }

    #[test]
    fn a_socket_writing_through_strands_nothing() {
        crate::loom_model(|| {
            let (mut socket, session_end) = pair(Flow::queue(0), Flow::queue(0));
            let (to_socket, to_io) = (mailbox(), mailbox());
            socket.attach(to_socket.clone());
            session_end.attach(to_io.clone());
            socket.set_write_through(true);
            let session = Arc::new(Session {
                end: Mutex::new(Some(session_end)),
                delivered: Mutex::new(Vec::new()),
                written: Default::default(),
            });
            if let Some(end) = session.end.lock().as_ref() {
                end.set_drain(Some(Arc::new(WriteThrough(Arc::downgrade(&session)))));
            }
            let writer = {
                let (session, to_io) = (session.clone(), to_io.clone());
                loom::thread::spawn(move || {
                    write_all(&mut socket, &to_socket, &[(1, false), (2, false)]);
                    // All taken through the drain: the I/O thread, which
                    // may have gone to sleep before, has nothing to wake
                    // for, and is told so to end the model. (Anything
                    // still queued must have woken it already.)
                    if session.delivered.lock().len() == 2 {
                        to_io.send(Command::Stop);
                    }
                    socket
                })
            };
            // The I/O thread: reads when woken.
            loop {
                let delivered = {
                    let mut end = session.end.lock();
                    session.take(end.as_mut().unwrap())
                };
                if delivered == 2 {
                    break;
                }
                sleep(&to_io);
            }
            writer.join().unwrap().close(false);
            assert_eq!(*session.delivered.lock(), [1, 2]);
            let end = session.end.lock().take();
            if let Some(end) = end {
                end.close(false);
            }
        });
    }
}
