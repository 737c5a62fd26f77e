//! Recycled blocks for message bodies too big to sit inline.
//!
//! A message is usually allocated by one thread (the sender) and freed by
//! another (the receiver), which is the slowest case for the system
//! allocator: the free goes back to the sender's arena under its lock.
//! Here each thread keeps a small cache ("magazine") of free blocks per
//! size class; a thread whose magazine fills hands it to a shared depot,
//! and a thread whose magazine runs dry takes one from there. A message
//! costs a push and a pop on thread-local vectors, and the depot's lock is
//! taken once per magazine.
//!
//! Every block is an ordinary allocation of its class size, so leak
//! checkers still see a message that is never closed. A thread's
//! magazine holds at most 128 KiB of one class, and the depot 4,096
//! blocks or 4 MiB, about what default pipes hold in flight (and only of
//! the sizes a program really sends); a thread's magazines go to the
//! depot when the thread ends. Bodies are
//! rounded up to a power of two, from 64 B to 64 KiB; larger ones come
//! from the system allocator as they are.

use std::alloc::{self, Layout};
use std::cell::RefCell;
use std::ptr::NonNull;

use parking_lot::Mutex;

/// Classes hold bodies of 64 << k bytes, for k below this: 64 B to 64 KiB.
const CLASS_COUNT: usize = 11;
const SMALLEST_SHIFT: u32 = 6;
/// Bytes of the header before a body.
const HEADER: usize = super::OWNED_DATA_OFFSET;
/// Bytes a thread's magazine holds at most (and at most 64 blocks).
const MAGAZINE_BYTES: usize = 128 * 1024;
/// Bytes of free blocks the depot keeps per class, beyond which freed
/// magazines go back to the system allocator. A sender runs ahead of its
/// receiver by up to both high-water marks (2,000 messages by default), so
/// the depot must hold that many blocks for a burst to come back without
/// the system allocator; past 4,096 blocks, or 4 MiB, it does not keep them.
const DEPOT_BYTES: usize = 4 * 1024 * 1024;

const fn block_size(class: usize) -> usize {
    HEADER + (1 << (class as u32 + SMALLEST_SHIFT))
}

/// Blocks per magazine of a class.
const fn magazine_capacity(class: usize) -> usize {
    let fit = MAGAZINE_BYTES / block_size(class);
    if fit > 64 {
        64
    } else if fit < 2 {
        2
    } else {
        fit
    }
}

/// A free block: owned by whichever cache holds it.
struct Block(NonNull<u8>);

// SAFETY: a free block is plain memory that no message refers to any more;
// whoever holds the Block is its only user.
unsafe impl Send for Block {}

/// The class of a block layout, if blocks of that layout are recycled.
fn class_of(layout: Layout) -> Option<usize> {
    let body = layout.size().checked_sub(HEADER)?;
    let class = body.trailing_zeros().checked_sub(SMALLEST_SHIFT)? as usize;
    (body.is_power_of_two() && class < CLASS_COUNT && layout.align() == super::OWNED_ALIGN)
        .then_some(class)
}

/// The layout to allocate for a body of `len` bytes after the header: a
/// class's block when one fits, so that the block can be recycled.
pub(super) fn layout_for(len: usize) -> Option<Layout> {
    let size = if len <= 1 << (CLASS_COUNT as u32 - 1 + SMALLEST_SHIFT) {
        HEADER + len.next_power_of_two().max(1 << SMALLEST_SHIFT)
    } else {
        HEADER.checked_add(len)?
    };
    Layout::from_size_align(size, super::OWNED_ALIGN).ok()
}

/// The layout of the smallest recycled block that holds a `T`: for other
/// fixed-size blocks that one thread allocates and another frees, as with
/// message bodies (the pipe's chunks). Used in a constant, so that a type
/// no class holds fails to compile.
pub(crate) const fn block_holding<T>() -> Layout {
    let mut class = 0;
    while class < CLASS_COUNT {
        if std::mem::size_of::<T>() <= block_size(class)
            && std::mem::align_of::<T>() <= super::OWNED_ALIGN
        {
            return LAYOUTS[class];
        }
        class += 1;
    }
    panic!("no block class holds this type")
}

/// Full magazines waiting for an allocating thread, and empty ones (their
/// buffers) waiting for a freeing thread, so that trading magazines does
/// not allocate.
struct Depot {
    full: Vec<Vec<Block>>,
    empty: Vec<Vec<Block>>,
}

static DEPOT: [Mutex<Depot>; CLASS_COUNT] = [const {
    Mutex::new(Depot {
        full: Vec::new(),
        empty: Vec::new(),
    })
}; CLASS_COUNT];

fn depot_limit(class: usize) -> usize {
    (DEPOT_BYTES / (block_size(class) * magazine_capacity(class))).max(1)
}

#[derive(Default)]
struct Magazines([Vec<Block>; CLASS_COUNT]);

impl Drop for Magazines {
    fn drop(&mut self) {
        // The thread is ending: its blocks serve the others.
        for (class, magazine) in self.0.iter_mut().enumerate() {
            if !magazine.is_empty() {
                drop(give_to_depot(class, std::mem::take(magazine)));
            }
        }
    }
}

thread_local! {
    static MAGAZINES: RefCell<Magazines> = RefCell::new(Magazines::default());
}

/// Hands a full magazine to the depot; returns an empty one's buffer to
/// fill next, if one is free.
fn give_to_depot(class: usize, magazine: Vec<Block>) -> Option<Vec<Block>> {
    let mut depot = DEPOT[class].lock();
    let empty = depot.empty.pop();
    let mut magazine = if depot.full.len() < depot_limit(class) {
        depot.full.push(magazine);
        None
    } else {
        Some(magazine)
    };
    drop(depot);
    if let Some(extra) = &mut magazine {
        let layout = LAYOUTS[class];
        for block in extra.drain(..) {
            // SAFETY: every cached block was allocated with its class
            // layout and is free.
            unsafe { alloc::dealloc(block.0.as_ptr(), layout) };
        }
    }
    empty.or(magazine)
}

/// Trades an empty magazine for a full one from the depot, if it has one.
fn refill(class: usize, magazine: &mut Vec<Block>) {
    let mut depot = DEPOT[class].lock();
    if let Some(full) = depot.full.pop() {
        let empty = std::mem::replace(magazine, full);
        if empty.capacity() > 0 && depot.empty.len() < depot_limit(class) {
            depot.empty.push(empty);
        }
    }
}

/// The layout of each class's blocks (checked when compiling).
const LAYOUTS: [Layout; CLASS_COUNT] = {
    let mut layouts = [Layout::new::<u8>(); CLASS_COUNT];
    let mut class = 0;
    while class < CLASS_COUNT {
        layouts[class] = match Layout::from_size_align(block_size(class), super::OWNED_ALIGN) {
            Ok(layout) => layout,
            Err(_) => panic!("a block class is not a valid layout"),
        };
        class += 1;
    }
    layouts
};

/// A block of `layout` (from [`layout_for`]), or null when memory is out;
/// its bytes are zero if `zeroed`.
///
/// # Safety
/// As `std::alloc::alloc`: `layout` has a non-zero size.
#[inline(never)]
pub(crate) unsafe fn allocate(layout: Layout, zeroed: bool) -> *mut u8 {
    if let Some(class) = class_of(layout) {
        let cached = MAGAZINES
            .try_with(|magazines| {
                let magazine = &mut magazines.borrow_mut().0[class];
                if magazine.is_empty() {
                    refill(class, magazine);
                }
                magazine.pop()
            })
            .ok()
            .flatten();
        if let Some(block) = cached {
            let block = block.0.as_ptr();
            if zeroed {
                // SAFETY: the block has layout.size() writable bytes.
                unsafe { block.write_bytes(0, layout.size()) };
            }
            return block;
        }
    }
    // SAFETY: forwarded to the caller.
    unsafe {
        if zeroed {
            alloc::alloc_zeroed(layout)
        } else {
            alloc::alloc(layout)
        }
    }
}

/// Frees a block from [`allocate`].
///
/// # Safety
/// `block` came from [`allocate`] with this `layout` and nothing uses it.
#[inline(never)]
pub(crate) unsafe fn free(block: *mut u8, layout: Layout) {
    if let (Some(class), Some(block)) = (class_of(layout), NonNull::new(block)) {
        let block = Block(block);
        // A thread whose cache is already destroyed (a message dropped by
        // another thread-local's destructor) frees to the system.
        let kept = MAGAZINES.try_with(|magazines| {
            let magazine = &mut magazines.borrow_mut().0[class];
            let capacity = magazine_capacity(class);
            if magazine.len() >= capacity {
                let full = std::mem::take(magazine);
                *magazine =
                    give_to_depot(class, full).unwrap_or_else(|| Vec::with_capacity(capacity));
            }
            magazine.push(block);
        });
        if kept.is_ok() {
            return;
        }
    }
    // SAFETY: forwarded to the caller.
    unsafe { alloc::dealloc(block, layout) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up_to_classes() {
        let size = |len| layout_for(len).map(|l| l.size() - HEADER);
        assert_eq!(size(41), Some(64));
        assert_eq!(size(64), Some(64));
        assert_eq!(size(65), Some(128));
        assert_eq!(size(1000), Some(1024));
        assert_eq!(size(65536), Some(65536));
        assert_eq!(size(65537), Some(65537));
        assert_eq!(layout_for(usize::MAX), None);
        for len in [41, 64, 100, 5000, 65536] {
            assert!(layout_for(len).and_then(class_of).is_some());
        }
        assert_eq!(layout_for(65537).and_then(class_of), None);
        assert_eq!(
            class_of(Layout::from_size_align(HEADER + 48, 16).unwrap()),
            None
        );
        assert_eq!(
            class_of(Layout::from_size_align(HEADER + 64, 8).unwrap()),
            None
        );
        for class in 0..CLASS_COUNT {
            assert!((2..=64).contains(&magazine_capacity(class)));
            assert!(depot_limit(class) >= 1);
        }
    }

    #[test]
    fn blocks_freed_on_one_thread_serve_another() {
        let layout = layout_for(200).unwrap();
        // One thread allocates, another frees, many magazines' worth: the
        // allocating thread is fed through the depot.
        let (tx, rx) = std::sync::mpsc::channel::<usize>();
        let freer = std::thread::spawn(move || {
            for address in rx {
                // SAFETY: allocated below with this layout, sent once.
                unsafe { free(address as *mut u8, layout) };
            }
        });
        for _ in 0..64 * 20 {
            // SAFETY: non-zero size.
            let block = unsafe { allocate(layout, false) };
            assert!(!block.is_null());
            // SAFETY: the block has layout.size() writable bytes.
            unsafe { block.write_bytes(0xA5, layout.size()) };
            tx.send(block as usize).unwrap();
        }
        drop(tx);
        freer.join().unwrap();
        let class = class_of(layout).unwrap();
        assert!(DEPOT[class].lock().full.len() <= depot_limit(class));
    }
}
