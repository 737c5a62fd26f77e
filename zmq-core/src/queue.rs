//! The lock-free one-way message queue inside a pipe: one [`Writer`], one
//! [`Reader`], frames stored in a linked list of fixed-size chunks.
//!
//! Only two words are shared and written by both sides, each on its own
//! cache line:
//!
//! - `published`: frames the writer has made visible. The writer publishes
//!   whole messages with one atomic swap; the reader reads every frame up
//!   to that count without touching shared state again. A reader that finds
//!   nothing new sets the ASLEEP bit with a compare-and-swap, and the
//!   writer's next publication returns true ("wake the reader").
//! - `consumed`: whole messages the reader has taken, reported every few
//!   messages for the high-water mark. A writer that finds the queue full
//!   sets ASLEEP there, and the reader's next report returns true.
//!
//! Closing sets a GONE bit on the closing side's word, so that the other
//! side cannot miss it even while going to sleep.
//!
//! This module is one of the three places where the library uses `unsafe`
//! (the pipe): slots are written by the writer only below the published
//! count's future value and read by the reader only below its current
//! value, so each slot has one owner at a time.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
// The loom models (`--cfg loom`) run this code under loom's atomics, which
// try every interleaving the memory model allows.
#[cfg(loom)]
use loom::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
#[cfg(loom)]
use loom::sync::Arc;
#[cfg(not(loom))]
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
#[cfg(not(loom))]
use std::sync::Arc;

use std::alloc::Layout;

use crate::msg::{self, Msg};

/// Frames per chunk (two in loom models, so that they cross chunks).
#[cfg(not(loom))]
const CHUNK: usize = 128;
#[cfg(loom)]
const CHUNK: usize = 2;
/// The other side sleeps until this word changes.
const ASLEEP: u64 = 1 << 63;
/// The side that owns this word is gone.
const GONE: u64 = 1 << 62;
/// With GONE on `published`: the writer left with linger 0, drop the rest.
const DISCARD: u64 = 1 << 61;
const COUNT: u64 = DISCARD - 1;
/// Most reads between two reports to the writer.
const MAX_REPORT_STEP: u64 = 1024;

struct Chunk {
    slots: [Slot; CHUNK],
    next: AtomicPtr<Chunk>,
}

/// One frame's place in a chunk. In loom models it is loom's cell, which
/// fails the model if the writer and the reader ever touch one at once.
struct Slot(
    #[cfg(not(loom))] UnsafeCell<MaybeUninit<Msg>>,
    #[cfg(loom)] loom::cell::UnsafeCell<MaybeUninit<Msg>>,
);

impl Slot {
    /// Runs `f` on the slot; the caller must be its only user meanwhile.
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(*mut MaybeUninit<Msg>) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.0.get());
        #[cfg(loom)]
        return self.0.with_mut(f);
    }
}

/// Chunks come from the message body pool: the writer's thread allocates
/// them and the reader's frees them, as with bodies, and the pool carries
/// blocks from one thread to the other without the system allocator.
const CHUNK_LAYOUT: Layout = msg::block_holding::<Chunk>();

impl Chunk {
    #[cfg(not(loom))]
    fn allocate() -> *mut Chunk {
        // SAFETY: the layout has a non-zero size.
        let chunk = unsafe { msg::allocate_block(CHUNK_LAYOUT, false) }.cast::<Chunk>();
        if chunk.is_null() {
            std::alloc::handle_alloc_error(CHUNK_LAYOUT);
        }
        // SAFETY: the block is fresh, large and aligned enough for a Chunk
        // (block_holding); its slots may stay uninitialised (MaybeUninit),
        // only `next` needs a value.
        unsafe { ptr::addr_of_mut!((*chunk).next).write(AtomicPtr::new(ptr::null_mut())) };
        chunk
    }

    /// Gives a chunk back to the pool.
    ///
    /// # Safety
    /// `chunk` came from [`Chunk::allocate`], holds no live message, and
    /// nothing uses it any more.
    #[cfg(not(loom))]
    unsafe fn free(chunk: *mut Chunk) {
        // SAFETY: forwarded to the caller; a Chunk needs no drop of its own.
        unsafe { msg::free_block(chunk.cast::<u8>(), CHUNK_LAYOUT) };
    }

    /// loom's cells and atomics must be made (and dropped) as values.
    #[cfg(loom)]
    fn allocate() -> *mut Chunk {
        Box::into_raw(Box::new(Chunk {
            slots: std::array::from_fn(|_| {
                Slot(loom::cell::UnsafeCell::new(MaybeUninit::uninit()))
            }),
            next: AtomicPtr::new(ptr::null_mut()),
        }))
    }

    /// # Safety
    /// As the pool version.
    #[cfg(loom)]
    unsafe fn free(chunk: *mut Chunk) {
        // SAFETY: made by Box::into_raw in `allocate`; per the caller, unused.
        drop(unsafe { Box::from_raw(chunk) });
    }
}

/// A 64-byte aligned cell, so that the two sides' words never share a
/// cache line.
#[repr(align(64))]
struct Padded<T>(T);

struct WriterState {
    tail: *mut Chunk,
    /// Next free slot in `tail`.
    index: usize,
    /// Frames written, published or not.
    frames: u64,
    /// Frames of whole messages (published or about to be).
    published: u64,
    /// Frames made visible by the last atomic publication.
    flushed: u64,
    /// Whole messages published.
    messages: u64,
}

struct ReaderState {
    head: *mut Chunk,
    /// Next slot to read in `head`.
    index: usize,
    /// Frames read.
    frames: u64,
    /// Frames known to be published.
    visible: u64,
    /// Whole messages read, and as last reported.
    messages: u64,
    reported: u64,
}

struct Shared {
    published: Padded<AtomicU64>,
    consumed: Padded<AtomicU64>,
    /// Whole messages in flight at most; 0 is no limit.
    hwm: AtomicU64,
    /// A chunk the reader finished, for the writer to reuse.
    spare: AtomicPtr<Chunk>,
    /// Each side's private state, on its own cache lines: the two sides
    /// update them on every frame.
    writer: Padded<UnsafeCell<WriterState>>,
    reader: Padded<UnsafeCell<ReaderState>>,
}

// SAFETY: the atomics are shared; `writer` is only touched through the one
// `Writer` and `reader` through the one `Reader` (they are created once, in
// `channel`, and cannot be cloned), or by `Drop` when both are gone; slots
// change hands through the release/acquire pair on `published`.
unsafe impl Send for Shared {}
// SAFETY: as for Send: each side's state has one user, the rest is atomic.
unsafe impl Sync for Shared {}

/// A new queue; `hwm` counts whole messages (0: no limit).
pub fn channel(hwm: u64) -> (Writer, Reader) {
    let first = Chunk::allocate();
    let shared = Arc::new(Shared {
        // The reader starts asleep, so that the first message wakes it:
        // sockets that only read when told (PUB taking subscriptions)
        // learn of a new pipe's first message.
        published: Padded(AtomicU64::new(ASLEEP)),
        consumed: Padded(AtomicU64::new(0)),
        hwm: AtomicU64::new(hwm),
        spare: AtomicPtr::new(ptr::null_mut()),
        writer: Padded(UnsafeCell::new(WriterState {
            tail: first,
            index: 0,
            frames: 0,
            published: 0,
            flushed: 0,
            messages: 0,
        })),
        reader: Padded(UnsafeCell::new(ReaderState {
            head: first,
            index: 0,
            frames: 0,
            visible: 0,
            messages: 0,
            reported: 0,
        })),
    });
    (
        Writer {
            shared: shared.clone(),
        },
        Reader {
            shared,
            wake_writer: false,
        },
    )
}

impl Shared {
    fn report_step(&self) -> u64 {
        (self.hwm.load(Ordering::Relaxed) / 2).clamp(1, MAX_REPORT_STEP)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Both ends are gone: drop every frame written and not read, then
        // free the chunks.
        let reader = self.reader.0.get_mut();
        let writer = self.writer.0.get_mut();
        let mut chunk = reader.head;
        let mut index = reader.index;
        for _ in reader.frames..writer.frames {
            if index == CHUNK {
                // SAFETY: the writer linked a next chunk before writing past
                // the end of this one; nobody else uses the chunks now.
                let next = unsafe { (*chunk).next.load(Ordering::Acquire) };
                // SAFETY: allocated by Chunk::allocate; its slots are done.
                unsafe { Chunk::free(chunk) };
                chunk = next;
                index = 0;
            }
            // SAFETY: slots between the read and write positions hold
            // initialised messages that nobody has taken.
            unsafe { (*chunk).slots[index].with(|slot| (*slot).assume_init_drop()) };
            index += 1;
        }
        while !chunk.is_null() {
            // SAFETY: a chunk still in the list; nobody else uses it now.
            let next = unsafe { (*chunk).next.load(Ordering::Acquire) };
            // SAFETY: allocated by Chunk::allocate; the remaining chunks hold
            // no live messages, and `next` was read first.
            unsafe { Chunk::free(chunk) };
            chunk = next;
        }
        let spare = self.spare.load(Ordering::Acquire);
        if !spare.is_null() {
            // SAFETY: a spare chunk is owned by the queue alone.
            unsafe { Chunk::free(spare) };
        }
    }
}

/// Why the writer cannot start a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// At the high-water mark; the reader's next report wakes the writer.
    Full,
    /// The reader is gone.
    Gone,
}

pub struct Writer {
    shared: Arc<Shared>,
}

impl Writer {
    fn parts(&mut self) -> (&Shared, &mut WriterState) {
        let shared = &*self.shared;
        // SAFETY: only this Writer (unique, `&mut self`) touches the writer
        // state while it lives.
        (shared, unsafe { &mut *shared.writer.0.get() })
    }

    pub fn set_hwm(&self, hwm: u64) {
        self.shared.hwm.store(hwm, Ordering::Relaxed);
    }

    /// Whether a new message may start. When full, the reader is asked to
    /// wake this writer.
    pub fn check(&mut self) -> Result<(), Blocked> {
        let (shared, state) = self.parts();
        let hwm = shared.hwm.load(Ordering::Relaxed);
        let written = state.messages;
        let consumed = &shared.consumed.0;
        let mut seen = consumed.load(Ordering::Acquire);
        loop {
            if seen & GONE != 0 {
                return Err(Blocked::Gone);
            }
            if hwm == 0 || written - (seen & COUNT) < hwm {
                return Ok(());
            }
            match consumed.compare_exchange(
                seen,
                seen | ASLEEP,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Err(Blocked::Full),
                Err(now) => seen = now,
            }
        }
    }

    /// Appends a frame, not yet visible to the reader.
    pub fn push(&mut self, msg: Msg) {
        let (shared, state) = self.parts();
        if state.index == CHUNK {
            let mut next = shared.spare.swap(ptr::null_mut(), Ordering::Acquire);
            if next.is_null() {
                next = Chunk::allocate();
            } else {
                // SAFETY: the reader gave this chunk up entirely.
                unsafe { (*next).next.store(ptr::null_mut(), Ordering::Relaxed) };
            }
            // SAFETY: the tail chunk is live; the reader follows `next`
            // only after this store is published.
            unsafe { (*state.tail).next.store(next, Ordering::Release) };
            state.tail = next;
            state.index = 0;
        }
        // SAFETY: the slot at the write position is past everything the
        // reader may read (it reads below `published`), so the writer owns
        // it; it holds no message.
        unsafe { (*state.tail).slots[state.index].with(|slot| (*slot).write(msg)) };
        state.index += 1;
        state.frames += 1;
    }

    /// Makes everything pushed visible as one more whole message. Returns
    /// true if the reader was asleep and must be woken.
    pub fn publish(&mut self) -> bool {
        self.complete();
        self.flush()
    }

    /// Whole messages written and not yet reported read (the reader
    /// reports every few messages, so a few of these may be read already).
    pub fn queued(&mut self) -> u64 {
        let (shared, state) = self.parts();
        let consumed = shared.consumed.0.load(Ordering::Acquire) & COUNT;
        state.messages.saturating_sub(consumed)
    }

    /// Ends the message being pushed; it becomes visible with the next
    /// [`Writer::flush`] (so a batch of messages costs one atomic swap).
    /// It counts against the high-water mark at once.
    pub fn complete(&mut self) {
        let (_, state) = self.parts();
        state.messages += 1;
        state.published = state.frames;
    }

    /// Makes every completed message visible. Returns true if the reader
    /// was asleep and must be woken.
    pub fn flush(&mut self) -> bool {
        let (shared, state) = self.parts();
        if state.flushed == state.published {
            return false;
        }
        state.flushed = state.published;
        shared.published.0.swap(state.published, Ordering::AcqRel) & ASLEEP != 0
    }

    /// Leaves the queue: what is published stays readable unless
    /// `discard`. Returns true if the reader must be woken to notice.
    pub fn close(mut self, discard: bool) -> bool {
        // A message being written when the writer leaves is never
        // published (Drop frees its frames).
        let (shared, state) = self.parts();
        let flags = if discard { GONE | DISCARD } else { GONE };
        shared
            .published
            .0
            .swap(state.published | flags, Ordering::AcqRel)
            & ASLEEP
            != 0
    }
}

/// What a read gave.
#[derive(Debug)]
pub enum Read {
    Msg(Msg),
    /// Nothing now; the reader is asleep until the next publication.
    Empty,
    /// Nothing ever again: the writer is gone and everything was read.
    Closed,
}

pub struct Reader {
    shared: Arc<Shared>,
    /// A read made room that the writer waits for: it must be woken.
    wake_writer: bool,
}

impl Reader {
    fn parts(&mut self) -> (&Shared, &mut ReaderState) {
        let shared = &*self.shared;
        // SAFETY: only this Reader (unique, `&mut self`) touches the reader
        // state while it lives.
        (shared, unsafe { &mut *shared.reader.0.get() })
    }

    /// Whether the writer must be woken since the last call: it waits for
    /// room that a read's report made. (A flag rather than part of
    /// `pop`'s result, so that the frame moves out without a wrapper.)
    pub fn take_wake_writer(&mut self) -> bool {
        std::mem::take(&mut self.wake_writer)
    }

    /// Takes the next frame.
    pub fn pop(&mut self) -> Read {
        let (read, wake) = self.pop_inner();
        self.wake_writer |= wake;
        read
    }

    #[inline(always)]
    fn pop_inner(&mut self) -> (Read, bool) {
        let (shared, state) = self.parts();
        // A report that finds the writer asleep owes it a wake-up, whatever
        // happens next (even if new frames arrive before this side sleeps).
        let mut wake_writer = false;
        if state.frames == state.visible {
            let published = &shared.published.0;
            let mut seen = published.load(Ordering::Acquire);
            loop {
                if seen & DISCARD != 0 {
                    return (Read::Closed, false);
                }
                if seen & COUNT > state.visible {
                    state.visible = seen & COUNT;
                    break;
                }
                if seen & GONE != 0 {
                    return (Read::Closed, false);
                }
                // Nothing new: report progress (a full writer may wait for
                // it) and sleep until the next publication.
                wake_writer |= Self::report(shared, state);
                match published.compare_exchange(
                    seen,
                    seen | ASLEEP,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return (Read::Empty, wake_writer),
                    Err(now) => seen = now,
                }
            }
        }
        if state.index == CHUNK {
            // SAFETY: more frames are published, so the writer linked the
            // next chunk (release) before publishing them (acquire above).
            let next = unsafe { (*state.head).next.load(Ordering::Acquire) };
            let done = std::mem::replace(&mut state.head, next);
            state.index = 0;
            let old = shared.spare.swap(done, Ordering::AcqRel);
            if !old.is_null() {
                // SAFETY: a spare chunk is owned by the queue alone and the
                // writer took it out with a swap before using it.
                unsafe { Chunk::free(old) };
            }
        }
        // SAFETY: the slot is below the published count (acquired), so the
        // writer has initialised it and will not touch it again; reading
        // moves the message out, and the position advances past it.
        let msg =
            unsafe { (*state.head).slots[state.index].with(|slot| (*slot).assume_init_read()) };
        state.index += 1;
        state.frames += 1;
        if !msg.more() {
            state.messages += 1;
            if state.messages - state.reported >= shared.report_step() {
                wake_writer |= Self::report(shared, state);
            }
        }
        (Read::Msg(msg), wake_writer)
    }

    /// Whole messages published and not yet read, counted by walking them
    /// (for statistics, not for the message path).
    pub fn queued(&mut self) -> u64 {
        let (shared, state) = self.parts();
        let published = shared.published.0.load(Ordering::Acquire) & COUNT;
        let (mut chunk, mut index) = (state.head, state.index);
        let mut messages = 0;
        for _ in state.frames..published {
            if index == CHUNK {
                // SAFETY: as in `pop_inner`: frames past this chunk are
                // published, so the writer linked its successor first.
                chunk = unsafe { (*chunk).next.load(Ordering::Acquire) };
                index = 0;
            }
            // SAFETY: the slot is below the published count (acquired), so
            // it is initialised and the writer leaves it alone; this side,
            // the only reader (`&mut self`), only looks at it.
            let more =
                unsafe { (*chunk).slots[index].with(|slot| (*slot).assume_init_ref().more()) };
            messages += u64::from(!more);
            index += 1;
        }
        messages
    }

    /// Reports whole messages read; true if the writer slept waiting.
    fn report(shared: &Shared, state: &mut ReaderState) -> bool {
        if state.reported == state.messages {
            return false;
        }
        state.reported = state.messages;
        let previous = shared.consumed.0.swap(state.messages, Ordering::AcqRel);
        previous & ASLEEP != 0
    }

    pub fn set_hwm(&self, hwm: u64) {
        self.shared.hwm.store(hwm, Ordering::Relaxed);
    }

    /// Leaves the queue. Returns true if the writer must be woken to
    /// notice.
    pub fn close(self) -> bool {
        self.shared.consumed.0.fetch_or(GONE, Ordering::AcqRel) & ASLEEP != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data).unwrap();
        m.set_more(more);
        m
    }

    fn pop_bytes(r: &mut Reader) -> Option<Vec<u8>> {
        match r.pop() {
            Read::Msg(m) => Some(m.as_slice().to_vec()),
            _ => None,
        }
    }

    #[test]
    fn frames_cross_chunks_in_order() {
        let (mut w, mut r) = channel(0);
        for round in 0..3u32 {
            for i in 0..(CHUNK as u32 * 3 + 5) {
                w.push(frame(&(round * 10_000 + i).to_be_bytes(), false));
                w.publish();
            }
            for i in 0..(CHUNK as u32 * 3 + 5) {
                assert_eq!(
                    pop_bytes(&mut r),
                    Some((round * 10_000 + i).to_be_bytes().to_vec())
                );
            }
            assert!(matches!(r.pop(), Read::Empty));
        }
    }

    #[test]
    fn unpublished_frames_are_invisible() {
        let (mut w, mut r) = channel(0);
        w.push(frame(b"a", true));
        assert!(matches!(r.pop(), Read::Empty));
        w.push(frame(b"b", false));
        assert!(w.publish(), "the reader went to sleep");
        assert_eq!(pop_bytes(&mut r), Some(b"a".to_vec()));
        assert_eq!(pop_bytes(&mut r), Some(b"b".to_vec()));
    }

    #[test]
    fn full_writer_is_woken_by_the_reader() {
        let (mut w, mut r) = channel(2);
        for _ in 0..2 {
            assert_eq!(w.check(), Ok(()));
            w.push(frame(b"x", false));
            w.publish();
        }
        assert_eq!(w.check(), Err(Blocked::Full));
        assert!(matches!(r.pop(), Read::Msg(_)));
        assert!(r.take_wake_writer(), "one read is a report step for hwm 2");
        assert!(!r.take_wake_writer());
        assert_eq!(w.check(), Ok(()));
    }

    #[test]
    fn close_is_seen_by_the_other_side() {
        let (mut w, mut r) = channel(0);
        w.push(frame(b"kept", false));
        w.publish();
        w.push(frame(b"never published", true));
        assert!(!w.close(false));
        assert_eq!(pop_bytes(&mut r), Some(b"kept".to_vec()));
        assert!(matches!(r.pop(), Read::Closed));

        let (mut w, mut r) = channel(0);
        w.push(frame(b"dropped", false));
        w.publish();
        w.close(true);
        assert!(matches!(r.pop(), Read::Closed));

        let (mut w, r) = channel(0);
        assert!(!r.close());
        assert_eq!(w.check(), Err(Blocked::Gone));
    }

    #[test]
    fn a_sleeping_reader_is_woken_by_close() {
        let (w, mut r) = channel(0);
        assert!(matches!(r.pop(), Read::Empty));
        assert!(w.close(false));
        assert!(matches!(r.pop(), Read::Closed));
    }

    #[test]
    fn dropping_both_ends_frees_everything() {
        // Checked for leaks by the valgrind runs of the C tests and by
        // counting drops here.
        use std::sync::atomic::AtomicUsize;
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        unsafe extern "C" fn count(_: *mut std::ffi::c_void, _: *mut std::ffi::c_void) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
        let (mut w, mut r) = channel(0);
        static DATA: [u8; 4] = [1, 2, 3, 4];
        for _ in 0..(CHUNK * 2 + 3) {
            // SAFETY: static data outlives the messages; `count` frees
            // nothing.
            let m = unsafe {
                Msg::from_caller_buffer(DATA.as_ptr().cast_mut(), 4, Some(count), ptr::null_mut())
            }
            .unwrap();
            w.push(m);
            w.publish();
        }
        for _ in 0..10 {
            assert!(pop_bytes(&mut r).is_some());
        }
        drop(w);
        drop(r);
        assert_eq!(DROPS.load(Ordering::SeqCst), CHUNK * 2 + 3);
    }

    /// A wake-up permit: `give` lets the next (or a pending) `take`
    /// return. The taker waits hot (yielding), so that both sides run at
    /// full speed and races have their chance.
    #[derive(Default)]
    struct Permit(std::sync::atomic::AtomicBool);

    impl Permit {
        fn give(&self) {
            self.0.store(true, Ordering::Release);
        }

        /// False if no permit came within 5 s: a lost wake-up.
        fn take(&self) -> bool {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while !self.0.swap(false, Ordering::AcqRel) {
                if std::time::Instant::now() > deadline {
                    return false;
                }
                std::thread::yield_now();
            }
            true
        }
    }

    /// Both sides sleep when they must and wake only when the other says
    /// so (as sockets and sessions do), with a queue so small that the
    /// writer fills it constantly: a wake-up lost in a race shows as a
    /// side that sleeps forever. (A reader that reported room while the
    /// writer published used to drop the writer's wake-up.)
    #[test]
    fn sleeping_sides_never_miss_a_wake_up() {
        for hwm in [1, 2, 3, 8] {
            let (mut w, mut r) = channel(hwm);
            const N: u64 = 200_000;
            let wake_writer = Arc::new(Permit::default());
            let wake_reader = Arc::new(Permit::default());
            let (writer_permit, reader_permit) = (wake_writer.clone(), wake_reader.clone());
            let writer = std::thread::spawn(move || {
                let mut i = 0u64;
                while i < N {
                    match w.check() {
                        Ok(()) => {
                            w.push(frame(&i.to_le_bytes(), false));
                            if w.publish() {
                                reader_permit.give();
                            }
                            i += 1;
                        }
                        Err(Blocked::Full) => {
                            assert!(writer_permit.take(), "writer never woken at {i}, hwm {hwm}")
                        }
                        Err(Blocked::Gone) => panic!("reader left"),
                    }
                }
                if w.close(false) {
                    reader_permit.give();
                }
            });
            let mut expected = 0u64;
            loop {
                let read = r.pop();
                if r.take_wake_writer() {
                    wake_writer.give();
                }
                match read {
                    Read::Msg(m) => {
                        assert_eq!(m.as_slice(), expected.to_le_bytes());
                        expected += 1;
                    }
                    Read::Empty => {
                        assert!(
                            wake_reader.take(),
                            "reader never woken at {expected}, hwm {hwm}"
                        )
                    }
                    Read::Closed => break,
                }
            }
            writer.join().unwrap();
            assert_eq!(expected, N);
        }
    }

    #[test]
    fn threads_exchange_a_million_frames() {
        let (mut w, mut r) = channel(1000);
        const N: u64 = 1_000_000;
        let writer = std::thread::spawn(move || {
            let mut i = 0u64;
            while i < N {
                match w.check() {
                    Ok(()) => {
                        w.push(frame(&i.to_le_bytes(), false));
                        w.publish();
                        i += 1;
                    }
                    Err(Blocked::Full) => std::thread::yield_now(),
                    Err(Blocked::Gone) => panic!("reader left"),
                }
            }
            w.close(false);
        });
        let mut expected = 0u64;
        loop {
            match r.pop() {
                Read::Msg(m) => {
                    assert_eq!(m.as_slice(), expected.to_le_bytes());
                    expected += 1;
                }
                Read::Empty => std::thread::yield_now(),
                Read::Closed => break,
            }
        }
        writer.join().unwrap();
        assert_eq!(expected, N);
    }
}

/// Model checks (`RUSTFLAGS="--cfg loom" cargo test -p zmq-core --lib
/// queue::models`): every interleaving of the two sides, up to loom's
/// preemption bound. A wake-up that is owed and not given leaves a side
/// waiting forever, which loom reports as a deadlock; a slot touched by
/// both sides at once fails loom's cell check; a chunk freed twice or
/// never fails its leak and use checks.
#[cfg(all(test, loom))]
mod models {
    use super::*;
    use loom::sync::Notify;

    fn frame(byte: u8, more: bool) -> Msg {
        let mut m = Msg::from_slice(&[byte]).unwrap();
        m.set_more(more);
        m
    }

    /// The writer sends `frames` (byte, more) with `hwm`, sleeping when
    /// full until woken, then closes; the reader takes everything, sleeping
    /// when empty until woken, and returns what it read.
    fn exchange(hwm: u64, frames: &'static [(u8, bool)]) -> Vec<(u8, bool)> {
        let (mut writer, mut reader) = channel(hwm);
        let wake_reader = Arc::new(Notify::new());
        let wake_writer = Arc::new(Notify::new());
        let (to_reader, to_writer) = (wake_reader.clone(), wake_writer.clone());
        let sender = loom::thread::spawn(move || {
            let mut at_start = true;
            for &(byte, more) in frames {
                while at_start {
                    match writer.check() {
                        Ok(()) => break,
                        Err(Blocked::Full) => to_writer.wait(),
                        Err(Blocked::Gone) => panic!("the reader left"),
                    }
                }
                writer.push(frame(byte, more));
                at_start = !more;
                if !more && writer.publish() {
                    to_reader.notify();
                }
            }
            if writer.close(false) {
                to_reader.notify();
            }
        });
        let mut got = Vec::new();
        loop {
            let read = reader.pop();
            if reader.take_wake_writer() {
                wake_writer.notify();
            }
            match read {
                Read::Msg(m) => got.push((m.as_slice()[0], m.more())),
                Read::Empty => wake_reader.wait(),
                Read::Closed => break,
            }
        }
        sender.join().unwrap();
        got
    }

    const THREE_MESSAGES: &[(u8, bool)] = &[(1, true), (2, false), (3, false), (4, false)];

    #[test]
    fn every_frame_arrives_once_in_order_and_no_wake_up_is_lost() {
        crate::loom_model(|| assert_eq!(exchange(0, THREE_MESSAGES), THREE_MESSAGES));
    }

    #[test]
    fn a_full_writer_is_woken_by_the_reads_that_make_room() {
        crate::loom_model(|| assert_eq!(exchange(1, THREE_MESSAGES), THREE_MESSAGES));
    }

    #[test]
    fn a_reader_that_leaves_frees_a_full_writer() {
        crate::loom_model(|| {
            let (mut writer, reader) = channel(1);
            let wake_writer = Arc::new(Notify::new());
            let to_writer = wake_writer.clone();
            let sender = loom::thread::spawn(move || {
                writer.push(frame(1, false));
                writer.publish();
                loop {
                    match writer.check() {
                        Ok(()) => panic!("room past the high-water mark"),
                        Err(Blocked::Full) => to_writer.wait(),
                        Err(Blocked::Gone) => break,
                    }
                }
            });
            if reader.close() {
                wake_writer.notify();
            }
            sender.join().unwrap();
        });
    }

    #[test]
    fn a_writer_that_discards_leaves_nothing_to_read_and_nothing_leaked() {
        crate::loom_model(|| {
            let (mut writer, mut reader) = channel(0);
            let wake_reader = Arc::new(Notify::new());
            let to_reader = wake_reader.clone();
            let sender = loom::thread::spawn(move || {
                for byte in 1..=3 {
                    writer.push(frame(byte, false));
                    if writer.publish() {
                        to_reader.notify();
                    }
                }
                if writer.close(true) {
                    to_reader.notify();
                }
            });
            let mut last = 0;
            loop {
                match reader.pop() {
                    Read::Msg(m) => {
                        assert!(m.as_slice()[0] > last, "out of order");
                        last = m.as_slice()[0];
                    }
                    Read::Empty => wake_reader.wait(),
                    Read::Closed => break,
                }
            }
            sender.join().unwrap();
        });
    }
}
