//! Messages: the 64-byte value behind `zmq_msg_t`.
//!
//! C code owns the storage of a `zmq_msg_t` and may move it with `memcpy`,
//! so a [`Msg`] is plain data with a fixed `repr(C)` layout: no pointer into
//! itself, no Rust enum whose discriminant garbage could make invalid. Its
//! `tag` word says which of three bodies it has, and lets the C layer reject
//! a closed or never-initialised `zmq_msg_t` instead of trusting it:
//!
//! - inline: up to [`INLINE_CAPACITY`] bytes stored in the message itself
//!   (no allocation for small messages);
//! - shared: bytes in a reference-counted buffer, either allocated here
//!   (header and bytes in one block) or handed over by the caller with a free
//!   function, which runs once, when the last reference goes;
//! - constant: bytes the caller keeps alive (`zmq_send_const`, or
//!   `zmq_msg_init_data` without a free function).
//!
//! Beside the body it carries the connection's metadata, a routing id
//! (SERVER, PEER) and a group (RADIO, DISH): up to [`INLINE_GROUP`] bytes in
//! the message, a longer one in a reference-counted block.
//!
//! This module is one of the three places where the library uses `unsafe`.

use std::alloc::{self, Layout};
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::metadata::Metadata;

mod pool;
pub(crate) use pool::{allocate as allocate_block, block_holding, free as free_block};

/// Bytes a message carries without allocating.
pub const INLINE_CAPACITY: usize = 32;

/// The longest group (`ZMQ_GROUP_MAX_LENGTH`).
pub const GROUP_MAX_LENGTH: usize = 255;

/// The longest group kept in the message itself.
pub const INLINE_GROUP: usize = 12;

/// The size of `zmq_msg_t` in libzmq's ABI.
pub const MSG_SIZE: usize = 64;

/// The free function of a caller's buffer: called with the data pointer and
/// the caller's hint.
pub type FreeFn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// Flag bits.
pub mod flags {
    /// More frames of the same message follow.
    pub const MORE: u8 = 1;
    /// A ZMTP command rather than a data frame.
    pub const COMMAND: u8 = 2;
    /// A DISH's request to join its group (between DISH and RADIO only).
    pub const JOIN: u8 = 4;
    /// A DISH's request to leave its group.
    pub const LEAVE: u8 = 8;
}

/// Upper 24 bits of a live message's tag; the low byte is the body kind.
const TAG_MAGIC: u32 = 0x5a4d_5100;
const TAG_MASK: u32 = 0xFFFF_FF00;
const KIND_INLINE: u8 = 1;
const KIND_SHARED: u8 = 2;
const KIND_CONST: u8 = 3;
/// The tag of a closed message.
const TAG_CLOSED: u32 = 0;

/// A body stored outside the message.
#[repr(C)]
#[derive(Clone, Copy)]
struct External {
    data: *mut u8,
    len: usize,
    /// The reference-counted owner; null for constant bodies.
    owner: *const Shared,
}

#[repr(C)]
union Body {
    inline: [u8; INLINE_CAPACITY],
    external: External,
}

#[repr(C, align(8))]
pub struct Msg {
    body: Body,
    /// `Arc::into_raw` of the connection's metadata, or null.
    metadata: *const Metadata,
    routing_id: u32,
    tag: u32,
    inline_len: u8,
    flags: u8,
    group: GroupSlot,
}

/// A message's group: its length, then either the bytes and a NUL (up to
/// `INLINE_GROUP` bytes), or, at `LONG_GROUP_AT`, `Arc::into_raw` of a
/// [`LongGroup`]. Byte arrays only, so the slot adds no alignment and the
/// message stays 64 bytes; the pointer is read and written unaligned.
#[repr(C)]
#[derive(Clone, Copy)]
struct GroupSlot {
    len: u8,
    bytes: [u8; INLINE_GROUP + 1],
}

/// Where a long group's pointer sits in `GroupSlot::bytes` (8-aligned in
/// the message: the slot starts at byte 50).
const LONG_GROUP_AT: usize = 5;

/// A group too long for the message: its bytes and a NUL.
struct LongGroup([u8; GROUP_MAX_LENGTH + 1]);

const EMPTY_GROUP: GroupSlot = GroupSlot {
    len: 0,
    bytes: [0; INLINE_GROUP + 1],
};

const _: () = assert!(std::mem::size_of::<Msg>() == MSG_SIZE);
const _: () = assert!((std::mem::offset_of!(Msg, group) + 1 + LONG_GROUP_AT).is_multiple_of(8));
const _: () = assert!(std::mem::align_of::<Msg>() == 8);

/// The header of a shared body.
struct Shared {
    refs: AtomicUsize,
    release: Release,
}

enum Release {
    /// Header and bytes are one block of this layout; the bytes follow the
    /// header at `OWNED_DATA_OFFSET`.
    Owned(Layout),
    /// The caller's bytes, given back to its free function.
    Caller { free: FreeFn, hint: *mut c_void },
}

/// Alignment of the bytes of an allocated body (what malloc gives).
const OWNED_ALIGN: usize = 16;
/// Where the bytes start in an allocated block.
const OWNED_DATA_OFFSET: usize = std::mem::size_of::<Shared>().div_ceil(OWNED_ALIGN) * OWNED_ALIGN;

// SAFETY: a Msg owns its body (inline bytes, or one reference of a shared
// body whose count is atomic), and its metadata through an Arc; nothing in it
// is tied to a thread. A caller's free function may run on any thread, as
// with libzmq.
unsafe impl Send for Msg {}
// SAFETY: shared references only read the body and the atomic count.
unsafe impl Sync for Msg {}

impl Msg {
    /// An empty message.
    pub fn new() -> Msg {
        Msg {
            body: Body {
                inline: [0; INLINE_CAPACITY],
            },
            metadata: ptr::null(),
            routing_id: 0,
            tag: TAG_MAGIC | u32::from(KIND_INLINE),
            inline_len: 0,
            flags: 0,
            group: EMPTY_GROUP,
        }
    }

    /// A message of `len` zeroed bytes; inline when small, else one
    /// allocation. A size that cannot be allocated is `NoMemory`, never an
    /// abort.
    pub fn with_size(len: usize) -> Result<Msg> {
        // SAFETY: the bytes are zeroed, so they are initialised.
        unsafe { Msg::allocate(len, true) }
    }

    /// A message of `len` bytes whose content is left as the allocator
    /// gave it, for `zmq_msg_init_size`: the C caller fills it (libzmq
    /// leaves it unspecified too), and zeroing large buffers would cost
    /// more than the message itself.
    ///
    /// # Safety
    /// The caller must write every byte before anything reads them.
    pub unsafe fn with_size_unfilled(len: usize) -> Result<Msg> {
        // SAFETY: forwarded to the caller.
        unsafe { Msg::allocate(len, false) }
    }

    /// # Safety
    /// Without `zeroed`, the bytes must be written before they are read.
    #[inline]
    unsafe fn allocate(len: usize, zeroed: bool) -> Result<Msg> {
        if len <= INLINE_CAPACITY {
            let mut msg = Msg::new();
            // Inline bytes are always zeroed: Msg::new cleared them.
            msg.inline_len = len as u8;
            return Ok(msg);
        }
        // SAFETY: forwarded to the caller.
        unsafe { Msg::allocate_external(len, zeroed) }
    }

    /// # Safety
    /// As [`Msg::allocate`].
    #[inline(never)]
    unsafe fn allocate_external(len: usize, zeroed: bool) -> Result<Msg> {
        let mut msg = Msg::new();
        // SAFETY: forwarded to the caller; `msg` is a fresh inline message.
        unsafe { msg.attach_block(len, zeroed)? };
        Ok(msg)
    }

    /// Gives this fresh inline message an owned block of `len` bytes.
    ///
    /// # Safety
    /// As [`Msg::allocate`]; `self` holds no body (a fresh `Msg::new`), as
    /// whatever it held is overwritten, not released.
    unsafe fn attach_block(&mut self, len: usize, zeroed: bool) -> Result<()> {
        let layout = pool::layout_for(len).ok_or(Error::NoMemory)?;
        // SAFETY: the layout has a non-zero size (it includes the header).
        let block = unsafe { pool::allocate(layout, zeroed) };
        if block.is_null() {
            return Err(Error::NoMemory);
        }
        let header = block.cast::<Shared>();
        // SAFETY: the block is fresh, large enough and aligned for the header
        // (OWNED_ALIGN is at least the header's alignment); the data starts
        // OWNED_DATA_OFFSET bytes in, inside the block.
        unsafe {
            header.write(Shared {
                refs: AtomicUsize::new(1),
                release: Release::Owned(layout),
            });
            self.set_external(block.add(OWNED_DATA_OFFSET), len, header);
        }
        Ok(())
    }

    /// Makes `slot`, an empty message from `Msg::new`, a copy of `data`,
    /// where it lives: a decoder pushes the fresh value into its queue and
    /// fills it there, rather than building a message and moving it, so
    /// the message is written once. `Invalid` (and `slot` unchanged) if
    /// `slot` has a body already.
    pub fn fill(slot: &mut Msg, data: &[u8]) -> Result<()> {
        if slot.kind() != KIND_INLINE || slot.inline_len != 0 {
            return Err(Error::Invalid);
        }
        let len = data.len();
        if len <= INLINE_CAPACITY {
            // SAFETY: the message is inline (checked), so `inline` is the
            // active field of the body.
            unsafe { slot.body.inline[..len].copy_from_slice(data) };
            slot.inline_len = len as u8;
            return Ok(());
        }
        // SAFETY: the slot holds no body (checked); every byte of the new
        // block is written by the copy before anything reads, and the
        // block cannot overlap the borrowed `data`.
        unsafe {
            slot.attach_block(len, false)?;
            ptr::copy_nonoverlapping(data.as_ptr(), slot.data_ptr(), len);
        }
        Ok(())
    }

    /// A message holding a copy of `data`.
    pub fn from_slice(data: &[u8]) -> Result<Msg> {
        let mut msg = Msg::new();
        Msg::fill(&mut msg, data)?;
        Ok(msg)
    }

    /// A message over the caller's `len` bytes at `data`, without copying.
    /// With a free function, it is called with `data` and `hint` once the
    /// last copy of the message is closed; without one the bytes are
    /// constant and the caller keeps them alive.
    ///
    /// # Safety
    /// `data` must be valid for reads and writes of `len` bytes until the
    /// free function runs (or, without one, for as long as any copy of the
    /// message lives).
    pub unsafe fn from_caller_buffer(
        data: *mut u8,
        len: usize,
        free: Option<FreeFn>,
        hint: *mut c_void,
    ) -> Result<Msg> {
        if data.is_null() && len > 0 {
            return Err(Error::Invalid);
        }
        let mut msg = Msg::new();
        match free {
            None => {
                msg.tag = TAG_MAGIC | u32::from(KIND_CONST);
                msg.body.external = External {
                    data,
                    len,
                    owner: ptr::null(),
                };
            }
            Some(free) => {
                let layout = Layout::new::<Shared>();
                // SAFETY: Shared has a non-zero size.
                let header = unsafe { alloc::alloc(layout) }.cast::<Shared>();
                if header.is_null() {
                    return Err(Error::NoMemory);
                }
                // SAFETY: the allocation is fresh and laid out for a Shared.
                unsafe {
                    header.write(Shared {
                        refs: AtomicUsize::new(1),
                        release: Release::Caller { free, hint },
                    });
                    msg.set_external(data, len, header);
                }
            }
        }
        Ok(msg)
    }

    /// A message over constant bytes that outlive it.
    pub fn from_static(data: &'static [u8]) -> Msg {
        // SAFETY: static bytes are valid forever; without a free function the
        // message never writes through or frees the pointer.
        unsafe {
            Msg::from_caller_buffer(data.as_ptr().cast_mut(), data.len(), None, ptr::null_mut())
        }
        .unwrap_or_default()
    }

    /// # Safety
    /// `owner` must be a live Shared header whose reference this message
    /// takes, and `data` valid for `len` bytes while it lives.
    unsafe fn set_external(&mut self, data: *mut u8, len: usize, owner: *const Shared) {
        self.tag = TAG_MAGIC | u32::from(KIND_SHARED);
        self.body.external = External { data, len, owner };
    }

    fn kind(&self) -> u8 {
        (self.tag & !TAG_MASK) as u8
    }

    fn external(&self) -> Option<External> {
        match self.kind() {
            // SAFETY: shared and constant bodies are always written as
            // `external` (set_external, from_caller_buffer).
            KIND_SHARED | KIND_CONST => Some(unsafe { self.body.external }),
            _ => None,
        }
    }

    fn shared(&self) -> Option<&Shared> {
        let external = self.external()?;
        // SAFETY: a non-null owner is a live header on which this message
        // holds a reference, so it outlives `&self`.
        unsafe { external.owner.as_ref() }
    }

    pub fn len(&self) -> usize {
        match self.external() {
            Some(external) => external.len,
            None => usize::from(self.inline_len),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self.external() {
            Some(external) if external.len > 0 => {
                // SAFETY: an external body is valid for `len` bytes while the
                // message lives (constructors' contracts).
                unsafe { std::slice::from_raw_parts(external.data, external.len) }
            }
            Some(_) => &[],
            // SAFETY: inline bodies are always written as `inline`.
            None => unsafe { &self.body.inline[..usize::from(self.inline_len)] },
        }
    }

    /// The bytes, writable. Like libzmq, copies made with `try_clone` of a
    /// shared body see the change: callers write before they share.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        let len = self.len();
        let data = self.data_ptr();
        if len == 0 {
            return &mut [];
        }
        // SAFETY: data_ptr points at `len` valid bytes owned (or lent, for
        // constant bodies, by a caller who promised them writable) by this
        // message, borrowed mutably through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(data, len) }
    }

    /// Where the bytes start, for `zmq_msg_data`. For an inline body it
    /// points into the message, so it is valid until the message moves.
    pub fn data_ptr(&mut self) -> *mut u8 {
        match self.external() {
            Some(external) => external.data,
            // Taking a union field's address reads nothing.
            None => ptr::addr_of_mut!(self.body.inline).cast::<u8>(),
        }
    }

    pub fn flags(&self) -> u8 {
        self.flags
    }

    pub fn set_flags(&mut self, flags: u8) {
        self.flags |= flags;
    }

    pub fn reset_flags(&mut self, flags: u8) {
        self.flags &= !flags;
    }

    pub fn more(&self) -> bool {
        self.flags & flags::MORE != 0
    }

    pub fn set_more(&mut self, more: bool) {
        if more {
            self.set_flags(flags::MORE);
        } else {
            self.reset_flags(flags::MORE);
        }
    }

    pub fn is_command(&self) -> bool {
        self.flags & flags::COMMAND != 0
    }

    /// Whether the bytes are shared with another message or with the
    /// caller (libzmq's `ZMQ_SHARED` property).
    pub fn is_shared(&self) -> bool {
        match self.kind() {
            KIND_CONST => true,
            KIND_SHARED => self
                .shared()
                .is_some_and(|s| s.refs.load(Ordering::Acquire) > 1),
            _ => false,
        }
    }

    pub fn routing_id(&self) -> u32 {
        self.routing_id
    }

    pub fn set_routing_id(&mut self, id: u32) {
        self.routing_id = id;
    }

    fn long_group(&self) -> *const LongGroup {
        if usize::from(self.group.len) <= INLINE_GROUP {
            return ptr::null();
        }
        // The pointer's bytes, as `set_group` wrote them.
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&self.group.bytes[LONG_GROUP_AT..LONG_GROUP_AT + 8]);
        usize::from_ne_bytes(raw) as *const LongGroup
    }

    /// The group, NUL-terminated (empty when none was set).
    pub fn group_with_nul(&self) -> &[u8] {
        let len = usize::from(self.group.len);
        let long = self.long_group();
        // SAFETY: a long group's pointer came from Arc::into_raw and this
        // message holds that reference while `&self` lives.
        match unsafe { long.as_ref() } {
            Some(long) => &long.0[..=len],
            None => &self.group.bytes[..=len],
        }
    }

    /// The group (empty when none was set).
    pub fn group(&self) -> &[u8] {
        let with_nul = self.group_with_nul();
        &with_nul[..with_nul.len() - 1]
    }

    /// A DISH's JOIN (`flags::JOIN`) or LEAVE (`flags::LEAVE`) of `group`.
    pub fn membership(flag: u8, group: &[u8]) -> Result<Msg> {
        let mut msg = Msg::new();
        msg.set_group(group)?;
        msg.set_flags(flag);
        Ok(msg)
    }

    pub fn is_join(&self) -> bool {
        self.flags & flags::JOIN != 0
    }

    pub fn is_leave(&self) -> bool {
        self.flags & flags::LEAVE != 0
    }

    /// Sets the group: EINVAL past `GROUP_MAX_LENGTH` bytes or with a NUL
    /// inside (the C API hands groups over as strings).
    pub fn set_group(&mut self, group: &[u8]) -> Result<()> {
        if group.len() > GROUP_MAX_LENGTH || group.contains(&0) {
            return Err(Error::Invalid);
        }
        self.drop_group();
        let mut slot = EMPTY_GROUP;
        slot.len = group.len() as u8;
        if group.len() <= INLINE_GROUP {
            slot.bytes[..group.len()].copy_from_slice(group);
        } else {
            let mut long = LongGroup([0; GROUP_MAX_LENGTH + 1]);
            long.0[..group.len()].copy_from_slice(group);
            let raw = Arc::into_raw(Arc::new(long)) as usize;
            slot.bytes[LONG_GROUP_AT..LONG_GROUP_AT + 8].copy_from_slice(&raw.to_ne_bytes());
        }
        self.group = slot;
        Ok(())
    }

    fn drop_group(&mut self) {
        let long = self.long_group();
        if !long.is_null() {
            // SAFETY: the pointer came from Arc::into_raw and this message
            // gives up its reference exactly once (the slot is emptied).
            drop(unsafe { Arc::from_raw(long) });
            self.group = EMPTY_GROUP;
        }
    }

    pub fn metadata(&self) -> Option<&Metadata> {
        // SAFETY: a non-null pointer came from Arc::into_raw and this message
        // holds that reference.
        unsafe { self.metadata.as_ref() }
    }

    /// Shares `other`'s metadata (the connection's properties).
    pub fn share_metadata_of(&mut self, other: &Msg) {
        self.drop_metadata();
        if !other.metadata.is_null() {
            // SAFETY: the pointer came from Arc::into_raw and is live while
            // `other` is; this message owns the new count.
            unsafe { Arc::increment_strong_count(other.metadata) };
            self.metadata = other.metadata;
        }
    }

    pub fn set_metadata(&mut self, metadata: Option<Arc<Metadata>>) {
        self.drop_metadata();
        self.metadata = metadata.map_or(ptr::null(), Arc::into_raw);
    }

    fn drop_metadata(&mut self) {
        if !self.metadata.is_null() {
            // SAFETY: the pointer came from Arc::into_raw and this message
            // gives up its reference exactly once (the field is nulled).
            drop(unsafe { Arc::from_raw(self.metadata) });
            self.metadata = ptr::null();
        }
    }

    /// Another message with the same bytes, flags and metadata. Shared
    /// bodies are not copied: the copy takes a reference.
    pub fn try_clone(&self) -> Msg {
        if let Some(shared) = self.shared() {
            shared.refs.fetch_add(1, Ordering::Relaxed);
        }
        if !self.metadata.is_null() {
            // SAFETY: the pointer came from Arc::into_raw and is live while
            // self is; the copy owns the new count.
            unsafe { Arc::increment_strong_count(self.metadata) };
        }
        let long = self.long_group();
        if !long.is_null() {
            // SAFETY: as for the metadata.
            unsafe { Arc::increment_strong_count(long) };
        }
        // SAFETY: Msg is plain data; the references it owns were counted
        // above, so both messages can be dropped.
        unsafe { ptr::read(self) }
    }

    /// Whether the `Msg` at `msg` is a live message, judged from its
    /// alignment, tag and fields, without trusting them.
    ///
    /// # Safety
    /// `msg` must be non-null and valid for reads of `MSG_SIZE` bytes.
    pub unsafe fn is_live(msg: *const Msg) -> bool {
        if !msg.is_aligned() {
            return false;
        }
        // SAFETY: the caller guarantees the memory is readable; volatile
        // reads take the bytes as they are, whatever wrote them.
        let (tag, inline_len, owner, group) = unsafe {
            (
                ptr::addr_of!((*msg).tag).read_volatile(),
                ptr::addr_of!((*msg).inline_len).read_volatile(),
                ptr::addr_of!((*msg).body.external.owner).read_volatile(),
                ptr::addr_of!((*msg).group).read_volatile(),
            )
        };
        if tag & TAG_MASK != TAG_MAGIC {
            return false;
        }
        let long_group = usize::from(group.len) > INLINE_GROUP;
        if long_group && group.bytes[LONG_GROUP_AT..].iter().all(|&b| b == 0) {
            return false;
        }
        match (tag & !TAG_MASK) as u8 {
            KIND_INLINE => usize::from(inline_len) <= INLINE_CAPACITY,
            KIND_SHARED => !owner.is_null(),
            KIND_CONST => owner.is_null(),
            _ => false,
        }
    }

    /// Drops the message at `msg` and marks it closed, so that a second
    /// close is detected.
    ///
    /// # Safety
    /// `msg` must point to a live message (see [`Msg::is_live`]) that
    /// nothing else will drop.
    pub unsafe fn close_in_place(msg: *mut Msg) {
        // SAFETY: the caller guarantees a live message owned by nobody else;
        // it is read out once and its storage marked closed.
        unsafe {
            let owned = ptr::read(msg);
            ptr::addr_of_mut!((*msg).tag).write(TAG_CLOSED);
            drop(owned);
        }
    }
}

/// A message whose body is written front to back, as a frame's bytes
/// arrive: the part not yet written is never zeroed first (for a large
/// body that would be one more pass over its memory) and never readable.
/// A large body may also take its memory as its bytes arrive
/// ([`BodyFill::growing`]), so that a peer announcing a size it never
/// sends costs little.
pub struct BodyFill {
    /// Its bytes past `filled` are uninitialised; its block holds
    /// `capacity` of its `len` bytes.
    msg: Msg,
    filled: usize,
    capacity: usize,
}

impl BodyFill {
    /// A body of `len` bytes, allocated whole.
    pub fn new(len: usize) -> Result<BodyFill> {
        Ok(BodyFill {
            // SAFETY: a BodyFill gives its message out only once every byte
            // is written (`finish`), and never reads the unwritten part.
            msg: unsafe { Msg::with_size_unfilled(len)? },
            filled: 0,
            capacity: len,
        })
    }

    /// A body of `len` bytes with room for `first` of them now; it grows
    /// when full ([`BodyFill::reserve`]) to at most twice what was written.
    pub fn growing(len: usize, first: usize) -> Result<BodyFill> {
        if first >= len || len <= INLINE_CAPACITY {
            return BodyFill::new(len);
        }
        let mut msg = Msg::new();
        // SAFETY: `msg` is fresh; its bytes are written before being read,
        // as in `new`. Its length is then the whole body's, while its block
        // holds `first` bytes: nothing reads or writes past `capacity`
        // (extend, fill_with), and the block grows to the whole length
        // before the message is given out (`finish` requires every byte).
        unsafe {
            msg.attach_block(first, false)?;
            msg.body.external.len = len;
        }
        Ok(BodyFill {
            msg,
            filled: 0,
            capacity: first,
        })
    }

    /// Makes room for more bytes when the block is full: up to twice what
    /// was written, and at most the whole body.
    pub fn reserve(&mut self) -> Result<()> {
        if self.filled < self.capacity || self.capacity == self.len() {
            return Ok(());
        }
        let capacity = self.capacity.saturating_mul(2).min(self.len());
        let external = self.msg.external().ok_or(Error::Invalid)?;
        let header = external.owner.cast_mut();
        let new_layout = pool::layout_for(capacity).ok_or(Error::NoMemory)?;
        // SAFETY: the header is the live block this BodyFill alone owns
        // (made by attach_block, one reference), allocated with the layout
        // its release records; realloc keeps the header and the bytes
        // written, and on failure leaves the old block as it was.
        unsafe {
            let Release::Owned(old_layout) = ptr::read(ptr::addr_of!((*header).release)) else {
                return Err(Error::Invalid);
            };
            let block = alloc::realloc(header.cast::<u8>(), old_layout, new_layout.size());
            if block.is_null() {
                return Err(Error::NoMemory);
            }
            let header = block.cast::<Shared>();
            ptr::addr_of_mut!((*header).release).write(Release::Owned(new_layout));
            self.msg
                .set_external(block.add(OWNED_DATA_OFFSET), external.len, header);
        }
        self.capacity = capacity;
        Ok(())
    }

    /// Bytes that can be written now, before a [`BodyFill::reserve`].
    pub fn room(&self) -> usize {
        self.capacity - self.filled
    }

    /// Bytes of memory the body holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.msg.len()
    }

    pub fn is_empty(&self) -> bool {
        self.msg.is_empty()
    }

    /// Bytes written so far.
    pub fn filled(&self) -> usize {
        self.filled
    }

    pub fn is_complete(&self) -> bool {
        self.filled == self.len()
    }

    /// Writes as much of `bytes` as there is room for; returns how much.
    pub fn extend(&mut self, bytes: &[u8]) -> usize {
        let take = bytes.len().min(self.room());
        if take > 0 {
            // SAFETY: the block holds `capacity` bytes from data_ptr and
            // filled + take <= capacity; `bytes` is a different allocation
            // (the body is reachable only through this BodyFill).
            unsafe {
                let dest = self.msg.data_ptr().add(self.filled);
                ptr::copy_nonoverlapping(bytes.as_ptr(), dest, take);
            }
            self.filled += take;
        }
        take
    }

    /// Lets `write` fill the start of the unwritten part. It returns the
    /// bytes it wrote (as `read(2)` wrappers do), which count only if they
    /// are that start: a `&[u8]` over them proves they are initialised.
    pub fn fill_with<E>(
        &mut self,
        write: impl for<'a> FnOnce(&'a mut [MaybeUninit<u8>]) -> std::result::Result<&'a mut [u8], E>,
    ) -> std::result::Result<usize, E> {
        let spare_len = self.room();
        if spare_len == 0 {
            return Ok(0);
        }
        // SAFETY: the unwritten room, `spare_len` bytes from data_ptr +
        // filled inside the block, borrowed mutably through `&mut self`;
        // MaybeUninit asks nothing of its contents.
        let spare = unsafe {
            std::slice::from_raw_parts_mut(
                self.msg
                    .data_ptr()
                    .add(self.filled)
                    .cast::<MaybeUninit<u8>>(),
                spare_len,
            )
        };
        let start = spare.as_ptr().cast::<u8>();
        let written = write(spare)?;
        if written.as_ptr() != start || written.len() > spare_len {
            return Ok(0);
        }
        let n = written.len();
        self.filled += n;
        Ok(n)
    }

    /// The message, once every byte is written.
    pub fn finish(self) -> std::result::Result<Msg, BodyFill> {
        if self.is_complete() {
            Ok(self.msg)
        } else {
            Err(self)
        }
    }
}

impl Default for Msg {
    fn default() -> Msg {
        Msg::new()
    }
}

impl Clone for Msg {
    fn clone(&self) -> Msg {
        self.try_clone()
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        self.drop_metadata();
        self.drop_group();
        let Some(external) = self.external() else {
            return;
        };
        let Some(shared) = self.shared() else {
            return;
        };
        // The usual case, the only reference, needs no locked instruction:
        // no other thread can add a reference without holding one, and the
        // acquiring load sees every earlier release.
        if shared.refs.load(Ordering::Acquire) != 1 {
            if shared.refs.fetch_sub(1, Ordering::Release) != 1 {
                return;
            }
            // Synchronise with every other reference's release before freeing.
            fence(Ordering::Acquire);
        }
        let header = external.owner.cast_mut();
        // SAFETY: this was the last reference, so nothing else can reach the
        // header or the bytes; each branch frees them the way they were made.
        unsafe {
            match ptr::read(ptr::addr_of!((*header).release)) {
                Release::Owned(layout) => pool::free(header.cast::<u8>(), layout),
                Release::Caller { free, hint } => {
                    alloc::dealloc(header.cast::<u8>(), Layout::new::<Shared>());
                    free(external.data.cast::<c_void>(), hint);
                }
            }
        }
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msg")
            .field("len", &self.len())
            .field("flags", &self.flags)
            .field("shared", &self.is_shared())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn small_messages_are_inline() {
        for len in [0, 1, 31, INLINE_CAPACITY] {
            let msg = Msg::with_size(len).unwrap();
            assert_eq!(msg.len(), len);
            assert_eq!(msg.kind(), KIND_INLINE);
            assert!(msg.as_slice().iter().all(|&b| b == 0));
        }
        let msg = Msg::with_size(INLINE_CAPACITY + 1).unwrap();
        assert_eq!(msg.kind(), KIND_SHARED);
    }

    #[test]
    fn groups_short_and_long_travel_with_the_message() {
        let mut msg = Msg::from_slice(b"body").unwrap();
        assert_eq!(msg.group(), b"");
        assert_eq!(msg.group_with_nul(), b"\0");
        let long = vec![b'g'; GROUP_MAX_LENGTH];
        for len in [1, INLINE_GROUP, INLINE_GROUP + 1, GROUP_MAX_LENGTH] {
            msg.set_group(&long[..len]).unwrap();
            assert_eq!(msg.group(), &long[..len]);
            assert_eq!(msg.group_with_nul().last(), Some(&0));
            let copy = msg.try_clone();
            // SAFETY: the message is forgotten, as C code relocating with memcpy.
            let moved: Msg = unsafe { ptr::read(&msg) };
            std::mem::forget(msg);
            assert_eq!(moved.group(), &long[..len]);
            assert_eq!(copy.group(), &long[..len]);
            drop(copy);
            msg = moved;
            assert_eq!(msg.as_slice(), b"body");
        }
        msg.set_group(b"news").unwrap();
        assert_eq!(msg.group(), b"news");
        msg.set_group(b"").unwrap();
        assert_eq!(msg.group(), b"");
    }

    #[test]
    fn bad_groups_are_refused_and_change_nothing() {
        let mut msg = Msg::new();
        msg.set_group(b"kept").unwrap();
        let too_long = vec![b'g'; GROUP_MAX_LENGTH + 1];
        assert_eq!(msg.set_group(&too_long), Err(Error::Invalid));
        assert_eq!(msg.set_group(b"a\0b"), Err(Error::Invalid));
        assert_eq!(msg.group(), b"kept");
    }

    #[test]
    fn content_survives_a_bitwise_move() {
        let original = Msg::from_slice(b"hello, world").unwrap();
        // SAFETY: the original is forgotten, as C code relocating with memcpy.
        let moved: Msg = unsafe { ptr::read(&original) };
        std::mem::forget(original);
        assert_eq!(moved.as_slice(), b"hello, world");
    }

    #[test]
    fn clones_share_large_bodies() {
        let mut big = Msg::with_size(1000).unwrap();
        big.as_mut_slice()[999] = 7;
        assert!(!big.is_shared());
        let mut copy = big.try_clone();
        assert!(big.is_shared() && copy.is_shared());
        assert_eq!(big.data_ptr(), copy.data_ptr());
        drop(big);
        assert!(!copy.is_shared());
        assert_eq!(copy.as_slice()[999], 7);
    }

    #[test]
    fn impossible_sizes_are_no_memory() {
        assert_eq!(Msg::with_size(usize::MAX).unwrap_err(), Error::NoMemory);
        assert_eq!(Msg::with_size(usize::MAX / 2).unwrap_err(), Error::NoMemory);
    }

    static FREED: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn count_free(data: *mut c_void, hint: *mut c_void) {
        assert_eq!(hint as usize, 42);
        // SAFETY: the test hands over a leaked Box<[u8; 4]>.
        drop(unsafe { Box::from_raw(data.cast::<[u8; 4]>()) });
        FREED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn caller_buffer_is_freed_once_by_the_last_copy() {
        let data = Box::into_raw(Box::new(*b"abcd")).cast::<u8>();
        // SAFETY: the buffer lives until count_free frees it.
        let msg = unsafe { Msg::from_caller_buffer(data, 4, Some(count_free), 42 as *mut c_void) }
            .unwrap();
        let copy = msg.try_clone();
        assert_eq!(copy.as_slice(), b"abcd");
        drop(msg);
        assert_eq!(FREED.load(Ordering::SeqCst), 0);
        drop(copy);
        assert_eq!(FREED.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn constant_bodies_are_shared_and_never_freed() {
        let msg = Msg::from_static(b"constant");
        assert!(msg.is_shared());
        assert_eq!(msg.try_clone().as_slice(), b"constant");
        // SAFETY: a null pointer with a length is refused before any use.
        let refused = unsafe { Msg::from_caller_buffer(ptr::null_mut(), 3, None, ptr::null_mut()) };
        assert_eq!(refused.unwrap_err(), Error::Invalid);
    }

    #[test]
    fn liveness_check_rejects_closed_and_garbage() {
        let mut msg = Msg::from_slice(&[1; 100]).unwrap();
        let p: *mut Msg = &mut msg;
        // SAFETY: p points at a live message we own; after close_in_place
        // the storage is only inspected and then forgotten.
        unsafe {
            assert!(Msg::is_live(p));
            Msg::close_in_place(p);
            assert!(!Msg::is_live(p));
        }
        std::mem::forget(msg);
        #[repr(align(8))]
        struct Storage([u8; MSG_SIZE + 8]);
        for fill in [0u8, 0xAB, 0xFF] {
            let garbage = Storage([fill; MSG_SIZE + 8]);
            let base = garbage.0.as_ptr();
            // SAFETY: MSG_SIZE + 8 readable bytes from base.
            assert!(!unsafe { Msg::is_live(base.cast()) });
            // SAFETY: base + 1 is in bounds, with MSG_SIZE + 7 readable bytes.
            assert!(!unsafe { Msg::is_live(base.add(1).cast()) });
        }
        let live = Msg::new();
        // SAFETY: a live message's storage.
        assert!(unsafe { Msg::is_live(&live) });
    }

    #[test]
    fn a_body_fill_gives_its_message_only_when_complete() {
        let bytes: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let mut fill = BodyFill::new(bytes.len()).unwrap();
        assert_eq!(fill.extend(&bytes[..1000]), 1000);
        // A writer that reports the bytes it wrote at the start counts...
        let n = fill
            .fill_with(|spare| -> std::result::Result<&mut [u8], ()> {
                Ok(spare[..3000].write_copy_of_slice(&bytes[1000..4000]))
            })
            .unwrap();
        assert_eq!((n, fill.filled()), (3000, 4000));
        // ...one that reports other bytes does not, nor does an error.
        let n = fill
            .fill_with(|spare| -> std::result::Result<&mut [u8], ()> {
                Ok(spare[10..20].write_copy_of_slice(&[0; 10]))
            })
            .unwrap();
        assert_eq!((n, fill.filled()), (0, 4000));
        assert_eq!(fill.fill_with(|_| Err::<&mut [u8], _>(7)), Err(7));
        let mut fill = fill.finish().unwrap_err();
        // More than fits is cut at the end.
        assert_eq!(fill.extend(&bytes[4000..]), 1000);
        assert_eq!(fill.extend(b"extra"), 0);
        assert!(fill.is_complete());
        let msg = fill.finish().ok().unwrap();
        assert_eq!(msg.as_slice(), &bytes[..]);
        // A fill dropped half way frees its body (valgrind and the
        // allocation tests would see a leak).
        let mut half = BodyFill::new(1 << 20).unwrap();
        half.extend(&bytes);
        drop(half);
    }

    #[test]
    fn a_growing_body_fill_takes_memory_as_bytes_arrive() {
        let len = 1_000_000;
        let bytes: Vec<u8> = (0..len as u32).map(|i| (i % 251) as u8).collect();
        let mut fill = BodyFill::growing(len, 65_536).unwrap();
        assert_eq!(
            (fill.len(), fill.capacity(), fill.room()),
            (len, 65_536, 65_536)
        );
        // Nothing is taken past the room; reserve does nothing until full.
        assert_eq!(fill.extend(&bytes[..100_000]), 65_536);
        fill.reserve().unwrap();
        assert_eq!(fill.capacity(), 131_072);
        let mut at = 65_536;
        while !fill.is_complete() {
            fill.reserve().unwrap();
            // Never more than twice what arrived (or the first room).
            assert!(
                fill.capacity() <= (2 * fill.filled()).max(65_536),
                "{}",
                fill.capacity()
            );
            let n = fill
                .fill_with(|spare| -> std::result::Result<&mut [u8], ()> {
                    let n = spare.len().min(70_000);
                    Ok(spare[..n].write_copy_of_slice(&bytes[at..at + n]))
                })
                .unwrap();
            at += n;
        }
        assert_eq!(fill.capacity(), len);
        fill.reserve().unwrap();
        let msg = fill.finish().ok().unwrap();
        assert_eq!(msg.as_slice(), &bytes[..]);
        assert_eq!(msg.try_clone().as_slice().len(), len);
        // Dropped half way, after growing: its block is freed as it now is.
        let mut half = BodyFill::growing(len, 65_536).unwrap();
        for _ in 0..4 {
            half.reserve().unwrap();
            half.extend(&bytes[..half.room()]);
        }
        assert_eq!(half.filled(), 524_288);
        drop(half);
        // A first room as large as the body is a whole allocation.
        assert_eq!(BodyFill::growing(100, 1000).unwrap().room(), 100);
    }

    #[test]
    fn metadata_travels_with_copies() {
        let mut meta = Metadata::new();
        meta.set("Socket-Type", b"PUB");
        let meta = Arc::new(meta);
        let mut msg = Msg::new();
        msg.set_metadata(Some(meta.clone()));
        let copy = msg.try_clone();
        assert_eq!(Arc::strong_count(&meta), 3);
        drop(msg);
        assert_eq!(
            copy.metadata()
                .and_then(|m| m.get("Socket-Type"))
                .unwrap()
                .to_bytes(),
            b"PUB"
        );
        drop(copy);
        assert_eq!(Arc::strong_count(&meta), 1);
    }

    #[test]
    fn fill_writes_a_fresh_message_in_place_once() {
        let mut slot = Msg::new();
        assert_eq!(Msg::fill(&mut slot, b"hello"), Ok(()));
        assert_eq!(slot.as_slice(), b"hello");
        // Not twice: a body is never overwritten.
        assert_eq!(Msg::fill(&mut slot, b"x"), Err(Error::Invalid));
        assert_eq!(slot.as_slice(), b"hello");
        for len in [0, INLINE_CAPACITY, INLINE_CAPACITY + 1, 64, 5000, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut fresh = Msg::new();
            assert_eq!(Msg::fill(&mut fresh, &data), Ok(()));
            assert_eq!(fresh.as_slice(), &data[..]);
            let copy = fresh.clone();
            drop(fresh);
            assert_eq!(copy.as_slice(), &data[..]);
        }
        let mut big = Msg::from_slice(&[1; 100]).unwrap();
        assert_eq!(Msg::fill(&mut big, b"x"), Err(Error::Invalid));
        assert_eq!(big.len(), 100);
    }

    #[test]
    fn shared_bodies_are_freed_by_the_last_copy_from_any_thread() {
        let a = Msg::from_slice(&[3; 1000]).unwrap();
        let copies: Vec<Msg> = (0..4).map(|_| a.clone()).collect();
        drop(a);
        let threads: Vec<_> = copies
            .into_iter()
            .map(|m| std::thread::spawn(move || assert_eq!(m.as_slice(), &[3; 1000][..])))
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn flags() {
        let mut msg = Msg::new();
        assert!(!msg.more());
        msg.set_more(true);
        assert!(msg.more() && !msg.is_command());
        msg.set_more(false);
        assert_eq!(msg.flags(), 0);
    }
}
