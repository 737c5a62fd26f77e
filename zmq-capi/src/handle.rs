//! Objects handed to C as `void *`: contexts, sockets, timers, atomic
//! counters, stopwatches and threads. Each lives in a [`Slot`] that starts
//! with a per-type tag word, so that a NULL, closed or foreign pointer is
//! recognised and refused instead of used. Slots are never freed, only
//! reused, so that even a handle used after its object was destroyed (by
//! another thread, or by a timer's own handler) reads valid memory.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use libc::c_void;

/// What a slot holds for an object that one call destroys: the value,
/// taken out by the call that destroys it (so only one such call wins).
pub type Owned<T> = Mutex<Option<T>>;

/// Locks an [`Owned`] value (a panic elsewhere does not poison it for C).
pub fn lock<T>(owned: &Owned<T>) -> std::sync::MutexGuard<'_, Option<T>> {
    owned.lock().unwrap_or_else(|p| p.into_inner())
}

/// A slot that C holds as a `void *` for an object that can close while
/// other threads, or the caller itself, still hold the pointer. Slots are
/// never freed, only reused, so a stale pointer always reads a valid tag:
/// a call on a closed object fails cleanly instead of touching freed
/// memory.
#[repr(C)]
pub struct Slot<T: 'static> {
    tag: AtomicU64,
    /// The process generation the object was made in (see [`forked`]).
    born: AtomicU64,
    pub value: T,
}

impl<T> Slot<T> {
    /// Whether the object was made by the parent of this forked process:
    /// its I/O threads are not here, so using it could only hang.
    pub fn inherited(&self) -> bool {
        self.born.load(Ordering::Relaxed) != GENERATION.load(Ordering::Relaxed)
    }
}

/// Bumped in the child of every fork, so that objects the child inherited
/// are told from those it makes itself.
static GENERATION: AtomicU64 = AtomicU64::new(0);

extern "C" fn forked() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Starts counting forks (once per process; before the first object).
pub fn watch_forks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a child handler that only bumps an atomic,
        // which is async-signal-safe as a fork child handler must be.
        unsafe { libc::pthread_atfork(None, None, Some(forked)) };
    });
}

/// Closed slots wait this long in line before reuse, so that a stale
/// pointer is unlikely to meet a new object at once.
const REUSE_AFTER: usize = 64;

pub struct Pool<T: 'static> {
    tag: u64,
    closed: Mutex<VecDeque<&'static Slot<T>>>,
}

impl<T: Default + Sync + 'static> Pool<T> {
    /// A new object: `init` sets up a slot's value, then C gets its handle.
    pub fn open(&self, init: impl FnOnce(&T)) -> *mut c_void {
        let slot = self.take();
        init(&slot.value);
        self.publish(slot)
    }

    pub const fn new(tag: u64) -> Pool<T> {
        Pool {
            tag,
            closed: Mutex::new(VecDeque::new()),
        }
    }

    /// A closed slot to open an object in (not yet visible as live).
    pub fn take(&self) -> &'static Slot<T> {
        let mut closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
        if closed.len() > REUSE_AFTER {
            if let Some(slot) = closed.pop_front() {
                return slot;
            }
        }
        drop(closed);
        Box::leak(Box::new(Slot {
            tag: AtomicU64::new(0),
            born: AtomicU64::new(0),
            value: T::default(),
        }))
    }

    /// Makes the slot's object visible to C; returns its handle.
    pub fn publish(&self, slot: &'static Slot<T>) -> *mut c_void {
        slot.born
            .store(GENERATION.load(Ordering::Relaxed), Ordering::Relaxed);
        slot.tag.store(self.tag, Ordering::Release);
        std::ptr::from_ref(slot).cast_mut().cast()
    }

    /// Returns a slot whose object is closed.
    pub fn give_back(&self, slot: &'static Slot<T>) {
        slot.tag.store(0, Ordering::Release);
        self.closed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(slot);
    }

    /// The live slot behind a handle, or `None` for NULL, misaligned,
    /// foreign or closed ones.
    ///
    /// # Safety
    /// `handle` must be NULL or readable for at least 8 bytes (C programs
    /// pass pointers to their objects; a wild pointer cannot be detected).
    pub unsafe fn get(&self, handle: *mut c_void) -> Option<&'static Slot<T>> {
        let slot = handle.cast::<Slot<T>>().cast_const();
        if slot.is_null() || !slot.is_aligned() {
            return None;
        }
        // SAFETY: readable per the contract. A matching tag means the
        // pointer is one of our slots, which live forever.
        unsafe {
            let tag = std::ptr::addr_of!((*slot).tag)
                .cast::<u64>()
                .read_volatile();
            if tag != self.tag {
                return None;
            }
            Some(&*slot)
        }
    }
}
