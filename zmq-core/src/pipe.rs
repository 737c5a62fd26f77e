//! Pipes: a pair of one-way message queues joining two sockets.
//!
//! Each queue has one writer and one reader. The writer publishes whole
//! messages (the frames of a multipart message become visible together),
//! and the reader takes everything published at once into its own inbox, so
//! the shared lock is taken once per message on the writing side and once
//! per batch on the reading side. Wake-ups cost a command only when the
//! other side is asleep: a reader that finds the queue empty, or a writer
//! that finds it at its high-water mark, leaves a flag, and the other side
//! sends it a command when it changes that.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::mailbox::{Command, Mailbox};
use crate::msg::Msg;

/// Names one end of a pipe, unique in the process.
pub type PipeId = u64;

fn next_id() -> PipeId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Read-count publications per high-water mark: the reader reports
/// progress this often so that a blocked writer resumes before the reader
/// has drained everything.
const PUBLISH_DIVISOR: u64 = 2;
const MAX_PUBLISH_STEP: u64 = 1024;

struct Queue {
    msgs: VecDeque<Msg>,
    /// Whole messages published by the writer.
    written: u64,
    /// Whole messages consumed by the reader, as last reported.
    read: u64,
    /// Messages in flight at most; 0 is no limit.
    hwm: u64,
    /// Keep only the newest message.
    conflate: bool,
    reader_waiting: bool,
    writer_waiting: bool,
    writer_gone: bool,
    reader_gone: bool,
}

impl Queue {
    fn new(hwm: u64, conflate: bool) -> Queue {
        Queue {
            msgs: VecDeque::new(),
            written: 0,
            read: 0,
            hwm: if conflate { 0 } else { hwm },
            conflate,
            reader_waiting: false,
            writer_waiting: false,
            writer_gone: false,
            reader_gone: false,
        }
    }

    fn is_full(&self) -> bool {
        self.hwm > 0 && self.written - self.read >= self.hwm
    }
}

/// What one end tells the other: where to send wake-ups, and its socket's
/// routing id.
#[derive(Default)]
struct Side {
    mailbox: Option<Arc<Mailbox>>,
    id: PipeId,
    routing_id: Vec<u8>,
}

struct Shared {
    /// `queues[s]` is written by side `s` and read by the other side.
    queues: [Mutex<Queue>; 2],
    sides: [Mutex<Side>; 2],
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

/// What a read gave.
#[derive(Debug)]
pub enum Read {
    Msg(Msg),
    /// Nothing now; the end will be woken with `ActivateRead`.
    Empty,
    /// Nothing ever again: the writer is gone and everything was read.
    Closed,
}

/// The reader's count of whole messages read, and how often it reports
/// it to the writer.
#[derive(Default)]
struct ReadProgress {
    count: u64,
    published: u64,
    /// Reads between reports (from the queue's hwm).
    step: u64,
}

impl ReadProgress {
    /// Reports the count into the queue; true if the writer waits for room
    /// and now has some.
    fn publish(&mut self, q: &mut Queue) -> bool {
        q.read = self.count;
        self.published = self.count;
        self.step = if q.hwm == 0 {
            MAX_PUBLISH_STEP
        } else {
            (q.hwm / PUBLISH_DIVISOR).clamp(1, MAX_PUBLISH_STEP)
        };
        let wake = q.writer_waiting && !q.is_full();
        if wake {
            q.writer_waiting = false;
        }
        wake
    }
}

/// One end of a pipe, owned by a socket.
pub struct PipeEnd {
    shared: Arc<Shared>,
    side: usize,
    id: PipeId,
    /// Messages taken from the incoming queue, not yet read.
    inbox: VecDeque<Msg>,
    /// Frames of an outgoing message not yet complete.
    outbox: Vec<Msg>,
    progress: ReadProgress,
    input_closed: bool,
    /// The peer sent `PipeTerm`.
    pub(crate) peer_closed: bool,
}

/// High-water marks and conflation of one direction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flow {
    pub hwm: u64,
    pub conflate: bool,
}

/// A new pipe: `a` writes with `a_to_b` and reads with `b_to_a`.
pub fn pair(a_to_b: Flow, b_to_a: Flow) -> (PipeEnd, PipeEnd) {
    let shared = Arc::new(Shared {
        queues: [
            Mutex::new(Queue::new(a_to_b.hwm, a_to_b.conflate)),
            Mutex::new(Queue::new(b_to_a.hwm, b_to_a.conflate)),
        ],
        sides: [Mutex::new(Side::default()), Mutex::new(Side::default())],
    });
    let end = |side: usize| {
        let id = next_id();
        shared.sides[side].lock().id = id;
        PipeEnd {
            shared: shared.clone(),
            side,
            id,
            inbox: VecDeque::new(),
            outbox: Vec::new(),
            progress: ReadProgress::default(),
            input_closed: false,
            peer_closed: false,
        }
    };
    (end(0), end(1))
}

impl PipeEnd {
    pub fn id(&self) -> PipeId {
        self.id
    }

    fn peer(&self) -> usize {
        1 - self.side
    }

    /// Records the mailbox of the socket that owns this end, which
    /// receives the peer's wake-ups.
    pub fn attach(&self, mailbox: Arc<Mailbox>) {
        self.shared.sides[self.side].lock().mailbox = Some(mailbox);
    }

    /// The routing id of this end's socket, as the peer will see it.
    pub fn set_routing_id(&self, routing_id: &[u8]) {
        self.shared.sides[self.side].lock().routing_id = routing_id.to_vec();
    }

    /// The routing id the peer's socket announced (empty if none).
    pub fn peer_routing_id(&self) -> Vec<u8> {
        self.shared.sides[self.peer()].lock().routing_id.clone()
    }

    /// Whether the peer's socket has attached its end.
    pub fn peer_attached(&self) -> bool {
        self.shared.sides[self.peer()].lock().mailbox.is_some()
    }

    /// Sets the flow of both directions, seen from this end.
    pub fn set_flow(&self, outgoing: Flow, incoming: Flow) {
        for (queue, flow) in [(self.side, outgoing), (self.peer(), incoming)] {
            let mut q = self.shared.queues[queue].lock();
            q.conflate = flow.conflate;
            q.hwm = if flow.conflate { 0 } else { flow.hwm };
        }
    }

    fn notify_peer(&self, command: fn(PipeId) -> Command) {
        let side = self.shared.sides[self.peer()].lock();
        if let Some(mailbox) = &side.mailbox {
            mailbox.send(command(side.id));
        }
    }

    /// Whether a new message can be written now. When it cannot because
    /// the queue is full, the end will get `ActivateWrite`.
    pub fn check_write(&mut self) -> Result<(), WriteError> {
        if !self.outbox.is_empty() {
            return Ok(());
        }
        let mut q = self.shared.queues[self.side].lock();
        if q.reader_gone {
            return Err(WriteError::Closed);
        }
        if q.is_full() {
            q.writer_waiting = true;
            return Err(WriteError::Full);
        }
        Ok(())
    }

    /// Writes one frame. The high-water mark is checked at the first frame
    /// of a message only: once started, a message is always completed.
    pub fn write(&mut self, msg: Msg) -> Result<(), (WriteError, Msg)> {
        let first = self.outbox.is_empty();
        if msg.more() {
            if first {
                if let Err(e) = self.check_write() {
                    return Err((e, msg));
                }
            }
            self.outbox.push(msg);
            return Ok(());
        }
        let mut q = self.shared.queues[self.side].lock();
        if q.reader_gone {
            drop(q);
            self.outbox.clear();
            return Err((WriteError::Closed, msg));
        }
        if first && q.is_full() {
            q.writer_waiting = true;
            return Err((WriteError::Full, msg));
        }
        if q.conflate {
            q.msgs.clear();
        }
        if !self.outbox.is_empty() {
            q.msgs.extend(self.outbox.drain(..));
        }
        q.msgs.push_back(msg);
        q.written += 1;
        let wake = std::mem::take(&mut q.reader_waiting);
        drop(q);
        if wake {
            self.notify_peer(Command::ActivateRead);
        }
        Ok(())
    }

    /// Drops the frames of an unfinished outgoing message.
    pub fn rollback(&mut self) {
        self.outbox.clear();
    }

    /// Whether a message can be read now. When not, the end will get
    /// `ActivateRead` once one arrives.
    pub fn check_read(&mut self) -> bool {
        if self.inbox.is_empty() {
            self.refill();
        }
        !self.inbox.is_empty()
    }

    /// Whether the pipe is finished for reading: the writer is gone and
    /// everything it wrote has been read.
    pub fn input_closed(&mut self) -> bool {
        if self.inbox.is_empty() {
            self.refill();
        }
        self.input_closed
    }

    pub fn read(&mut self) -> Read {
        if self.inbox.is_empty() {
            self.refill();
        }
        match self.inbox.pop_front() {
            Some(msg) => {
                if !msg.more() {
                    self.progress.count += 1;
                    if self.progress.count - self.progress.published >= self.progress.step {
                        self.publish_reads();
                    }
                }
                Read::Msg(msg)
            }
            None if self.input_closed => Read::Closed,
            None => Read::Empty,
        }
    }

    /// Reports reads to the writer, waking it if it waits for room.
    fn publish_reads(&mut self) {
        let mut q = self.shared.queues[self.peer()].lock();
        let wake = self.progress.publish(&mut q);
        drop(q);
        if wake {
            self.notify_peer(Command::ActivateWrite);
        }
    }

    /// Takes everything published into the inbox.
    fn refill(&mut self) {
        if self.input_closed {
            return;
        }
        let mut q = self.shared.queues[self.peer()].lock();
        std::mem::swap(&mut q.msgs, &mut self.inbox);
        let wake = self.progress.publish(&mut q);
        if self.inbox.is_empty() {
            if q.writer_gone {
                self.input_closed = true;
            } else {
                q.reader_waiting = true;
            }
        }
        drop(q);
        if wake {
            self.notify_peer(Command::ActivateWrite);
        }
    }

    /// Closes this end. Messages already written stay readable by the peer
    /// unless `discard` (linger 0); messages sent to this end are dropped.
    pub fn close(mut self, discard: bool) {
        self.outbox.clear();
        self.inbox.clear();
        self.shared.sides[self.side].lock().mailbox = None;
        {
            let mut q = self.shared.queues[self.side].lock();
            q.writer_gone = true;
            if discard {
                q.msgs.clear();
            }
        }
        let dropped = {
            let mut q = self.shared.queues[self.peer()].lock();
            q.reader_gone = true;
            std::mem::take(&mut q.msgs)
        };
        drop(dropped);
        self.notify_peer(Command::PipeTerm);
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

    fn flow(hwm: u64) -> Flow {
        Flow {
            hwm,
            conflate: false,
        }
    }

    #[test]
    fn messages_arrive_in_order() {
        let (mut a, mut b) = pair(flow(0), flow(0));
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
        let (mut a, mut b) = pair(flow(0), flow(0));
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
        let (mut a, mut b) = pair(flow(4), flow(0));
        for _ in 0..4 {
            a.write(msg(b"x", false)).unwrap();
        }
        assert_eq!(a.check_write(), Err(WriteError::Full));
        let (e, _) = a.write(msg(b"x", false)).unwrap_err();
        assert_eq!(e, WriteError::Full);
        // A started multipart message is completed regardless.
        let (mut c, mut d) = pair(flow(1), flow(0));
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
        let (mut a, mut b) = pair(flow(2), flow(0));
        a.attach(writer_box.clone());
        b.attach(reader_box.clone());
        a.write(msg(b"1", false)).unwrap();
        assert!(reader_box.take().is_empty(), "reader was not asleep");
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
        let (mut a, mut b) = pair(flow(0), flow(0));
        a.write(msg(b"kept", false)).unwrap();
        a.close(false);
        assert_eq!(read_bytes(&mut b), Some(b"kept".to_vec()));
        assert!(matches!(b.read(), Read::Closed));
        assert!(b.input_closed());
        let (e, _) = b.write(msg(b"lost", false)).unwrap_err();
        assert_eq!(e, WriteError::Closed);

        let (mut c, mut d) = pair(flow(0), flow(0));
        c.write(msg(b"dropped", false)).unwrap();
        c.close(true);
        assert!(matches!(d.read(), Read::Closed));
    }

    #[test]
    fn conflate_keeps_the_newest() {
        let (mut a, mut b) = pair(
            Flow {
                hwm: 1,
                conflate: true,
            },
            flow(0),
        );
        for i in 0..10u8 {
            a.write(msg(&[i], false)).unwrap();
        }
        assert_eq!(read_bytes(&mut b), Some(vec![9]));
        assert!(matches!(b.read(), Read::Empty));
    }

    #[test]
    fn threads_pass_many_messages_without_loss() {
        let (mut a, mut b) = pair(flow(100), flow(0));
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
