//! Objects handed to C as `void *`. Each starts with a per-type tag word,
//! so that a NULL, closed or foreign pointer is recognised and refused
//! instead of used. Simple objects (timers, counters, stopwatches, threads)
//! are boxed; contexts and sockets live in never-freed [`Slot`]s.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use libc::c_void;

/// A Rust type that C holds through a tagged handle.
pub trait Handled: Sized {
    /// Identifies live objects of this type; cleared on destruction.
    const TAG: u64;
}

#[repr(C)]
struct Tagged<T> {
    tag: u64,
    value: T,
}

/// Boxes `value` and returns its handle.
pub fn into_handle<T: Handled>(value: T) -> *mut c_void {
    Box::into_raw(Box::new(Tagged { tag: T::TAG, value })).cast()
}

/// The object behind a handle, or `None` for NULL, misaligned or foreign
/// pointers and destroyed objects.
///
/// # Safety
/// `handle` must be NULL or readable for at least 8 bytes (C programs pass
/// pointers to their objects; a wild pointer cannot be detected).
pub unsafe fn from_handle<'a, T: Handled>(handle: *mut c_void) -> Option<&'a T> {
    let tagged = handle.cast::<Tagged<T>>();
    if tagged.is_null() || !tagged.is_aligned() {
        return None;
    }
    // SAFETY: readable per the contract; the tag is read before trusting the
    // rest, and a matching tag means the handle came from into_handle and was
    // not destroyed.
    unsafe {
        if std::ptr::addr_of!((*tagged).tag).read_volatile() != T::TAG {
            return None;
        }
        Some(&(*tagged).value)
    }
}

/// Destroys the object behind a handle and returns it; `None` as in
/// [`from_handle`].
///
/// # Safety
/// As [`from_handle`]; no reference from [`from_handle`] may outlive this.
pub unsafe fn take_handle<T: Handled>(handle: *mut c_void) -> Option<T> {
    // SAFETY: per the contract.
    unsafe { from_handle::<T>(handle)? };
    let tagged = handle.cast::<Tagged<T>>();
    // SAFETY: the tag matched, so the pointer came from Box::into_raw in
    // into_handle; the tag is cleared first so that a second destroy of the
    // freed memory is unlikely to match.
    unsafe {
        std::ptr::addr_of_mut!((*tagged).tag).write_volatile(0);
        Some(Box::from_raw(tagged).value)
    }
}

/// A slot that C holds as a `void *` for an object that can close while
/// other threads still hold the pointer (contexts, sockets). Slots are
/// never freed, only reused, so a stale pointer always reads a valid tag:
/// a call on a closed object fails cleanly instead of touching freed
/// memory.
#[repr(C)]
pub struct Slot<T: 'static> {
    tag: AtomicU64,
    pub value: T,
}

/// Closed slots wait this long in line before reuse, so that a stale
/// pointer is unlikely to meet a new object at once.
const REUSE_AFTER: usize = 64;

pub struct Pool<T: 'static> {
    tag: u64,
    closed: Mutex<VecDeque<&'static Slot<T>>>,
}

impl<T: Default + Sync + 'static> Pool<T> {
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
            value: T::default(),
        }))
    }

    /// Makes the slot's object visible to C; returns its handle.
    pub fn publish(&self, slot: &'static Slot<T>) -> *mut c_void {
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
    /// As [`from_handle`].
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
