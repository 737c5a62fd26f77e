//! Subscription matching for the PUB/SUB family (sans-IO).
//!
//! * [`Trie`] is the subscription set of a SUB/XSUB socket: byte-string
//!   prefixes with reference counts (subscribing twice to a topic needs two
//!   unsubscribes before the topic goes away).
//! * [`MultiTrie`] is the subscription table of a PUB/XPUB socket: for each
//!   prefix, the set of pipes subscribed to it.
//!
//! Both sit on one radix tree (a trie with path compression): every edge
//! carries a non-empty byte string, the children of a node are kept sorted by
//! the first byte of their edge, and a node that holds no subscription has
//! at least two children (except the root). Nodes are pruned and merged as
//! soon as subscriptions go away, so memory follows the live subscription
//! set. Matching walks one path from the root with binary searches and never
//! allocates; every walk is iterative (no recursion), so hostile, very deep
//! subscription sets cannot overflow the stack, not even when dropped.
//!
//! Policy that depends on socket options is the socket's business; these
//! structures answer "who is subscribed to a prefix of this message" and
//! report the transitions the options care about:
//!
//! * `ZMQ_XPUB_VERBOSE` / `ZMQ_XPUB_VERBOSER`: [`MultiTrie::add`] says
//!   whether the prefix is new, [`MultiTrie::unsubscribe`] whether the
//!   cancel removed the last subscriber, left others, or found nothing.
//! * `ZMQ_INVERT_MATCHING`: a SUB delivers when `trie.matches(data) !=
//!   invert`; a PUB/XPUB sends to [`MultiTrie::non_matching`] instead of
//!   [`MultiTrie::matching`], passing its attached pipes.

use std::fmt;
use std::hash::Hash;
use std::mem;

/// The value a node holds; the default value means "no subscription here".
trait Slot: Default {
    fn is_vacant(&self) -> bool;
}

impl Slot for u32 {
    fn is_vacant(&self) -> bool {
        *self == 0
    }
}

impl<P> Slot for Vec<P> {
    fn is_vacant(&self) -> bool {
        self.is_empty()
    }
}

struct Node<V> {
    /// The bytes on the edge from the parent; empty only for the root.
    label: Vec<u8>,
    value: V,
    /// The first byte of each child's label, sorted and distinct: child
    /// lookup searches this small contiguous array.
    keys: Vec<u8>,
    /// Parallel to `keys`.
    children: Vec<Node<V>>,
}

impl<V: Slot> Node<V> {
    fn empty() -> Self {
        Node {
            label: Vec::new(),
            value: V::default(),
            keys: Vec::new(),
            children: Vec::new(),
        }
    }

    fn leaf(label: &[u8]) -> Self {
        Node {
            label: label.to_vec(),
            value: V::default(),
            keys: Vec::new(),
            children: Vec::new(),
        }
    }

    fn child_index(&self, first: u8) -> Result<usize, usize> {
        self.keys.binary_search(&first)
    }

    /// Folds this node's single child into it (the node must hold no value).
    fn merge_single_child(&mut self) {
        if self.children.len() == 1 {
            if let Some(child) = self.children.pop() {
                self.label.extend_from_slice(&child.label);
                self.value = child.value;
                self.keys = child.keys;
                self.children = child.children;
            }
        }
    }

    /// Detaches child `i`, giving back memory when the arrays get sparse.
    fn remove_child(&mut self, i: usize) {
        if i < self.children.len() && i < self.keys.len() {
            self.keys.remove(i);
            self.children.remove(i);
            self.shrink_if_sparse();
        }
    }

    /// Removes the children left as placeholders (empty label) by
    /// `Radix::edit_all`, keeping `keys` parallel and the order intact.
    fn drop_dead_children(&mut self) {
        let mut kept = 0;
        for i in 0..self.children.len().min(self.keys.len()) {
            if !self.children[i].label.is_empty() {
                self.children.swap(kept, i);
                self.keys.swap(kept, i);
                kept += 1;
            }
        }
        if kept < self.children.len() {
            self.children.truncate(kept);
            self.keys.truncate(kept);
            self.shrink_if_sparse();
        }
    }

    fn shrink_if_sparse(&mut self) {
        let len = self.children.len();
        if self.children.capacity() > 8 && len * 4 < self.children.capacity() {
            self.children.shrink_to(len * 2);
            self.keys.shrink_to(len * 2);
        }
    }
}

fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// The radix tree both public structures are built on.
struct Radix<V: Slot> {
    root: Node<V>,
}

impl<V: Slot> Radix<V> {
    fn new() -> Self {
        Radix {
            root: Node::empty(),
        }
    }

    /// The value slot for `key`, creating the path to it if needed. The
    /// caller must leave the slot non-vacant (or call `update` to prune).
    fn entry(&mut self, key: &[u8]) -> &mut V {
        let mut node = &mut self.root;
        let mut rest = key;
        loop {
            let Some(&first) = rest.first() else {
                return &mut node.value;
            };
            match node.child_index(first) {
                Err(pos) => {
                    node.keys.insert(pos, first);
                    node.children.insert(pos, Node::leaf(rest));
                    return &mut node.children[pos].value;
                }
                Ok(i) => {
                    let child = &mut node.children[i];
                    let common = common_prefix_len(&child.label, rest);
                    if common < child.label.len() {
                        // Split the edge: `child` keeps the common part and
                        // gets what it was as its only child. The (possibly
                        // long) label buffer moves down with the tail.
                        let head = child.label[..common].to_vec();
                        let mut tail = mem::replace(&mut child.label, head);
                        tail.drain(..common);
                        let lower_first = tail.first().copied().unwrap_or(0);
                        let lower = Node {
                            label: tail,
                            value: mem::take(&mut child.value),
                            keys: mem::take(&mut child.keys),
                            children: mem::take(&mut child.children),
                        };
                        child.keys.push(lower_first);
                        child.children.push(lower);
                    }
                    rest = &rest[common..];
                    node = child;
                }
            }
        }
    }

    /// The value slot for exactly `key`, if that node exists.
    fn get(&self, key: &[u8]) -> Option<&V> {
        let mut node = &self.root;
        let mut rest = key;
        loop {
            let Some(&first) = rest.first() else {
                return Some(&node.value);
            };
            let child = node.children.get(node.child_index(first).ok()?)?;
            rest = rest.strip_prefix(child.label.as_slice())?;
            node = child;
        }
    }

    /// Applies `f` to the value slot of `key` if that node exists, then
    /// prunes the tree if the slot became vacant. `None` if there is no node.
    fn update<R>(&mut self, key: &[u8], f: impl FnOnce(&mut V) -> R) -> Option<R> {
        if key.is_empty() {
            // The root is never pruned.
            return Some(f(&mut self.root.value));
        }
        let mut parent = &mut self.root;
        let mut parent_is_root = true;
        let mut rest = key;
        loop {
            let first = *rest.first()?;
            let i = parent.child_index(first).ok()?;
            let child = parent.children.get(i)?;
            rest = rest.strip_prefix(child.label.as_slice())?;
            if rest.is_empty() {
                let target = parent.children.get_mut(i)?;
                let r = f(&mut target.value);
                if target.value.is_vacant() {
                    match target.children.len() {
                        0 => {
                            parent.remove_child(i);
                            // A vacant parent had at least two children; if
                            // one is left, fold it in (the root keeps its
                            // empty label).
                            if !parent_is_root && parent.value.is_vacant() {
                                parent.merge_single_child();
                            }
                        }
                        1 => target.merge_single_child(),
                        _ => {}
                    }
                }
                return Some(r);
            }
            parent = parent.children.get_mut(i)?;
            parent_is_root = false;
        }
    }

    /// Calls `f` on every non-vacant value whose key is a prefix of `data`,
    /// shortest first, until `f` returns true. Returns whether it did.
    fn any_prefix<'a>(&'a self, data: &[u8], mut f: impl FnMut(&'a V) -> bool) -> bool {
        let mut node = &self.root;
        let mut rest = data;
        loop {
            if !node.value.is_vacant() && f(&node.value) {
                return true;
            }
            let Some(&first) = rest.first() else {
                return false;
            };
            let Ok(i) = node.child_index(first) else {
                return false;
            };
            let Some(child) = node.children.get(i) else {
                return false;
            };
            let Some(after) = rest.strip_prefix(child.label.as_slice()) else {
                return false;
            };
            rest = after;
            node = child;
        }
    }

    /// Calls `f` with every key holding a non-vacant value, in byte order.
    fn for_each(&self, mut f: impl FnMut(&[u8], &V)) {
        let mut key = Vec::new();
        // (node, length of the key above this node)
        let mut stack: Vec<(&Node<V>, usize)> = vec![(&self.root, 0)];
        while let Some((node, above)) = stack.pop() {
            key.truncate(above);
            key.extend_from_slice(&node.label);
            if !node.value.is_vacant() {
                f(&key, &node.value);
            }
            let here = key.len();
            stack.extend(node.children.iter().rev().map(|c| (c, here)));
        }
    }

    /// Lets `f` edit every non-vacant value (given its key), then prunes and
    /// re-compresses the whole tree. Works in place: one depth-first pass
    /// that moves each node out of its parent while visiting it and back
    /// afterwards (or drops it); no per-node allocation.
    fn edit_all(&mut self, mut f: impl FnMut(&[u8], &mut V)) {
        struct Frame<V> {
            node: Node<V>,
            /// The next child of `node` to visit.
            next: usize,
            /// Length of the key down to and including `node`'s label.
            key_len: usize,
        }

        let mut key = Vec::new();
        let mut root = mem::replace(&mut self.root, Node::empty());
        if !root.value.is_vacant() {
            f(&[], &mut root.value);
        }
        let mut stack = vec![Frame {
            node: root,
            next: 0,
            key_len: 0,
        }];
        loop {
            let Some(top) = stack.last_mut() else {
                return;
            };
            if let Some(slot) = top.node.children.get_mut(top.next) {
                top.next += 1;
                // A placeholder (empty label) marks the slot while the child
                // is out; it stays there if the child turns out dead.
                let mut child = mem::replace(slot, Node::empty());
                key.truncate(top.key_len);
                key.extend_from_slice(&child.label);
                if !child.value.is_vacant() {
                    f(&key, &mut child.value);
                }
                let key_len = key.len();
                stack.push(Frame {
                    node: child,
                    next: 0,
                    key_len,
                });
                continue;
            }
            let Some(done) = stack.pop() else {
                return;
            };
            let mut node = done.node;
            node.drop_dead_children();
            let Some(parent) = stack.last_mut() else {
                self.root = node;
                return;
            };
            if node.value.is_vacant() {
                if node.children.is_empty() {
                    // Dead: leave the placeholder in the parent's slot.
                    continue;
                }
                node.merge_single_child();
            }
            let back = parent.next.checked_sub(1);
            if let Some(slot) = back.and_then(|i| parent.node.children.get_mut(i)) {
                *slot = node;
            }
        }
    }

    fn node_count(&self) -> usize {
        let mut count = 0;
        let mut stack = vec![&self.root];
        while let Some(node) = stack.pop() {
            count += 1;
            stack.extend(node.children.iter());
        }
        count
    }

    /// Checks the structural invariants (tests only).
    #[cfg(test)]
    fn check(&self) {
        let mut stack = vec![(&self.root, true)];
        while let Some((node, is_root)) = stack.pop() {
            assert_eq!(node.keys.len(), node.children.len());
            assert!(node.keys.windows(2).all(|w| w[0] < w[1]), "keys unsorted");
            for (k, c) in node.keys.iter().zip(&node.children) {
                assert_eq!(c.label.first(), Some(k), "key/label mismatch");
            }
            if is_root {
                assert!(node.label.is_empty());
            } else if node.value.is_vacant() {
                assert!(node.children.len() >= 2, "uncompressed vacant node");
            }
            stack.extend(node.children.iter().map(|c| (c, false)));
        }
    }

    /// Drops every node without recursion.
    fn clear(&mut self) {
        let mut stack = mem::take(&mut self.root.children);
        while let Some(mut node) = stack.pop() {
            stack.append(&mut node.children);
        }
        self.root = Node::empty();
    }
}

impl<V: Slot> Drop for Radix<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The subscription set of a SUB/XSUB socket: reference-counted prefixes.
pub struct Trie {
    radix: Radix<u32>,
    len: usize,
}

impl Trie {
    /// An empty subscription set.
    pub fn new() -> Trie {
        Trie {
            radix: Radix::new(),
            len: 0,
        }
    }

    /// Subscribes to `prefix` once more. True when the prefix is new.
    pub fn add(&mut self, prefix: &[u8]) -> bool {
        let count = self.radix.entry(prefix);
        *count = count.saturating_add(1);
        let new = *count == 1;
        if new {
            self.len += 1;
        }
        new
    }

    /// Drops one subscription to `prefix`. True when it was the last one
    /// (the prefix is gone); false, with nothing changed, if it was absent.
    pub fn remove(&mut self, prefix: &[u8]) -> bool {
        let gone = self
            .radix
            .update(prefix, |count| {
                if *count == 0 {
                    return false;
                }
                *count -= 1;
                *count == 0
            })
            .unwrap_or(false);
        if gone {
            self.len -= 1;
        }
        gone
    }

    /// True if some subscribed prefix is a prefix of `data` (the empty
    /// prefix matches everything). Never allocates.
    pub fn matches(&self, data: &[u8]) -> bool {
        self.radix.any_prefix(data, |_| true)
    }

    /// How many subscriptions `prefix` currently holds (0 if none).
    pub fn count(&self, prefix: &[u8]) -> u32 {
        self.radix.get(prefix).copied().unwrap_or(0)
    }

    /// True if `prefix` itself is subscribed.
    pub fn contains(&self, prefix: &[u8]) -> bool {
        self.count(prefix) > 0
    }

    /// Calls `f` once with every subscribed prefix, in byte order.
    pub fn for_each_prefix(&self, mut f: impl FnMut(&[u8])) {
        self.radix.for_each(|key, _| f(key));
    }

    /// The number of distinct subscribed prefixes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is subscribed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops every subscription.
    pub fn clear(&mut self) {
        self.radix.clear();
        self.len = 0;
    }

    /// The number of tree nodes, root included (for tests and diagnostics).
    pub fn node_count(&self) -> usize {
        self.radix.node_count()
    }
}

impl Default for Trie {
    fn default() -> Self {
        Trie::new()
    }
}

impl fmt::Debug for Trie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trie").field("prefixes", &self.len).finish()
    }
}

/// How many matching subscription sets `MultiTrie::matching` de-duplicates
/// without allocating.
const INLINE_SETS: usize = 16;

/// What [`MultiTrie::unsubscribe`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unsubscribed {
    /// The pipe was not subscribed to that prefix: nothing changed.
    NotFound,
    /// The pipe was removed and was the prefix's last subscriber.
    LastRemoved,
    /// The pipe was removed; other pipes are still subscribed.
    OthersRemain,
}

/// The pipe sets of the subscribed prefixes of a message.
// A short-lived stack value: boxing the inline array would put an
// allocation back on the per-message path it exists to avoid.
#[allow(clippy::large_enum_variant)]
enum Matched<'a, P> {
    /// Up to `INLINE_SETS` sorted sets (only the first `.1` are used).
    Few([&'a [P]; INLINE_SETS], usize),
    /// Their union, sorted and deduplicated.
    Many(Vec<P>),
}

impl<P: Ord> Matched<'_, P> {
    fn contains(&self, pipe: &P) -> bool {
        match self {
            Matched::Few(sets, found) => sets[..(*found).min(INLINE_SETS)]
                .iter()
                .any(|set| set.binary_search(pipe).is_ok()),
            Matched::Many(all) => all.binary_search(pipe).is_ok(),
        }
    }
}

/// The subscription table of a PUB/XPUB socket: for each prefix, the set of
/// pipes subscribed to it.
///
/// As in libzmq, a prefix holds a *set* of pipes, not a count: a pipe that
/// subscribes twice to the same prefix is recorded once, and a single
/// cancel from it removes it. (Per-pipe duplicate counting is the
/// subscriber's business: a SUB only sends a cancel when its own count for
/// the topic drops to zero.)
pub struct MultiTrie<P: Copy + Eq + Ord + Hash> {
    /// Each value is a sorted set of pipes without duplicates.
    radix: Radix<Vec<P>>,
    len: usize,
}

impl<P: Copy + Eq + Ord + Hash> MultiTrie<P> {
    /// An empty table.
    pub fn new() -> Self {
        MultiTrie {
            radix: Radix::new(),
            len: 0,
        }
    }

    /// Subscribes `pipe` to `prefix`. True if the prefix had no subscribers
    /// before. Subscribing a pipe again to the same prefix changes nothing
    /// (a set, as in libzmq) and returns false.
    pub fn add(&mut self, prefix: &[u8], pipe: P) -> bool {
        let pipes = self.radix.entry(prefix);
        let was_empty = pipes.is_empty();
        if let Err(pos) = pipes.binary_search(&pipe) {
            pipes.insert(pos, pipe);
        }
        if was_empty {
            self.len += 1;
        }
        was_empty
    }

    /// Unsubscribes `pipe` from `prefix`. True if the prefix now has no
    /// subscribers at all; false (nothing changed) if `pipe` was not
    /// subscribed to it. See [`MultiTrie::unsubscribe`] for the three-way
    /// answer XPUB needs.
    pub fn remove(&mut self, prefix: &[u8], pipe: P) -> bool {
        self.unsubscribe(prefix, pipe) == Unsubscribed::LastRemoved
    }

    /// Unsubscribes `pipe` from `prefix` and tells what happened.
    ///
    /// libzmq's XPUB passes a cancel upstream unless the answer is
    /// [`Unsubscribed::OthersRemain`]: a cancel for a subscription the pipe
    /// never made ([`Unsubscribed::NotFound`]) is passed on too (and with
    /// `ZMQ_XPUB_VERBOSER`, every cancel is).
    pub fn unsubscribe(&mut self, prefix: &[u8], pipe: P) -> Unsubscribed {
        let result = self
            .radix
            .update(prefix, |pipes| match pipes.binary_search(&pipe) {
                Ok(i) => {
                    pipes.remove(i);
                    if pipes.is_empty() {
                        *pipes = Vec::new();
                        Unsubscribed::LastRemoved
                    } else {
                        Unsubscribed::OthersRemain
                    }
                }
                Err(_) => Unsubscribed::NotFound,
            })
            .unwrap_or(Unsubscribed::NotFound);
        if result == Unsubscribed::LastRemoved {
            self.len -= 1;
        }
        result
    }

    /// Unsubscribes `pipe` from every prefix; calls `f` with each prefix
    /// that lost its last subscriber (in byte order).
    pub fn remove_pipe(&mut self, pipe: P, mut f: impl FnMut(&[u8])) {
        let mut gone = 0;
        self.radix.edit_all(|key, pipes| {
            if let Ok(i) = pipes.binary_search(&pipe) {
                pipes.remove(i);
                if pipes.is_empty() {
                    *pipes = Vec::new();
                    gone += 1;
                    f(key);
                }
            }
        });
        self.len -= gone;
    }

    /// Calls `f` once per distinct pipe subscribed to any prefix of `data`
    /// (a pipe subscribed to both "a" and "ab" is reported once for "abc").
    /// Allocates only when more than 16 nested prefixes of `data` have
    /// subscribers.
    pub fn matching(&self, data: &[u8], mut f: impl FnMut(P)) {
        match self.matched(data) {
            Matched::Few(sets, found) => {
                let sets = &sets[..found.min(INLINE_SETS)];
                for (i, pipes) in sets.iter().enumerate() {
                    for &pipe in pipes.iter() {
                        let seen = sets[..i]
                            .iter()
                            .any(|earlier| earlier.binary_search(&pipe).is_ok());
                        if !seen {
                            f(pipe);
                        }
                    }
                }
            }
            Matched::Many(all) => all.into_iter().for_each(f),
        }
    }

    /// The inverse of [`MultiTrie::matching`], for `ZMQ_INVERT_MATCHING`:
    /// calls `f` with each pipe of `pipes` (the socket's attached pipes,
    /// subscribed or not) that is subscribed to no prefix of `data`, in the
    /// order given (a pipe listed twice is reported twice). Allocates only
    /// when more than 16 nested prefixes of `data` have subscribers.
    pub fn non_matching(
        &self,
        data: &[u8],
        pipes: impl IntoIterator<Item = P>,
        mut f: impl FnMut(P),
    ) {
        let matched = self.matched(data);
        for pipe in pipes {
            if !matched.contains(&pipe) {
                f(pipe);
            }
        }
    }

    /// The pipe sets of the subscribed prefixes of `data`.
    fn matched(&self, data: &[u8]) -> Matched<'_, P> {
        let mut sets: [&[P]; INLINE_SETS] = [&[]; INLINE_SETS];
        let mut found = 0;
        let overflow = self.radix.any_prefix(data, |pipes| {
            if found == INLINE_SETS {
                return true;
            }
            sets[found] = pipes;
            found += 1;
            false
        });
        if !overflow {
            return Matched::Few(sets, found);
        }
        let mut all = Vec::new();
        self.radix.any_prefix(data, |pipes| {
            all.extend_from_slice(pipes);
            false
        });
        all.sort_unstable();
        all.dedup();
        Matched::Many(all)
    }

    /// True if `pipe` is subscribed to exactly `prefix`.
    pub fn contains(&self, prefix: &[u8], pipe: P) -> bool {
        self.radix
            .get(prefix)
            .is_some_and(|pipes| pipes.binary_search(&pipe).is_ok())
    }

    /// True if anybody is subscribed to exactly `prefix`.
    pub fn has_subscribers(&self, prefix: &[u8]) -> bool {
        self.radix
            .get(prefix)
            .is_some_and(|pipes| !pipes.is_empty())
    }

    /// Calls `f` with every prefix that has subscribers and its pipes (sorted).
    pub fn for_each_prefix(&self, mut f: impl FnMut(&[u8], &[P])) {
        self.radix.for_each(|key, pipes| f(key, pipes));
    }

    /// The number of prefixes with at least one subscriber.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nobody is subscribed to anything.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops every subscription.
    pub fn clear(&mut self) {
        self.radix.clear();
        self.len = 0;
    }

    /// The number of tree nodes, root included (for tests and diagnostics).
    pub fn node_count(&self) -> usize {
        self.radix.node_count()
    }
}

impl<P: Copy + Eq + Ord + Hash> Default for MultiTrie<P> {
    fn default() -> Self {
        MultiTrie::new()
    }
}

impl<P: Copy + Eq + Ord + Hash> fmt::Debug for MultiTrie<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiTrie")
            .field("prefixes", &self.len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// A tiny deterministic PRNG (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// Short topics over a small alphabet, so prefixes overlap a lot.
        fn topic(&mut self) -> Vec<u8> {
            let len = self.below(7) as usize;
            (0..len)
                .map(|_| [b'a', b'b', b'c', 0x00, 0xFF][self.below(5) as usize])
                .collect()
        }
    }

    fn prefixes(t: &Trie) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        t.for_each_prefix(|p| v.push(p.to_vec()));
        v
    }

    fn matching(t: &MultiTrie<u64>, data: &[u8]) -> Vec<u64> {
        let mut v = Vec::new();
        t.matching(data, |p| v.push(p));
        v
    }

    #[test]
    fn empty_trie_matches_nothing() {
        let t = Trie::new();
        assert!(t.is_empty());
        assert!(!t.matches(b""));
        assert!(!t.matches(b"abc"));
        assert_eq!(t.node_count(), 1);
        assert!(prefixes(&t).is_empty());
    }

    #[test]
    fn empty_prefix_matches_everything() {
        let mut t = Trie::default();
        assert!(t.add(b""));
        assert!(t.matches(b""));
        assert!(t.matches(b"anything"));
        assert!(t.matches(&[0x00, 0xFF]));
        assert_eq!(t.len(), 1);
        assert_eq!(prefixes(&t), vec![Vec::<u8>::new()]);
        assert!(t.remove(b""));
        assert!(!t.matches(b"anything"));
        assert!(t.is_empty());
    }

    #[test]
    fn nested_prefixes() {
        let mut t = Trie::new();
        assert!(t.add(b"abc"));
        assert!(!t.matches(b"ab"));
        assert!(t.matches(b"abc"));
        assert!(t.matches(b"abcd"));
        assert!(t.add(b"a"));
        assert!(t.matches(b"ab"));
        assert!(t.add(b"abd"));
        assert!(t.add(b"abcdef"));
        assert_eq!(t.len(), 4);
        assert_eq!(
            prefixes(&t),
            vec![
                b"a".to_vec(),
                b"abc".to_vec(),
                b"abcdef".to_vec(),
                b"abd".to_vec()
            ]
        );
        assert!(t.remove(b"a"));
        assert!(!t.matches(b"ab"));
        assert!(t.matches(b"abdx"));
        assert!(t.matches(b"abcx"));
        assert!(!t.matches(b"abx"));
        assert!(t.remove(b"abc"));
        assert!(!t.matches(b"abcx"));
        assert!(t.matches(b"abcdefg"));
        assert!(!t.matches(b"b"));
        assert!(!t.matches(b""));
    }

    #[test]
    fn counts() {
        let mut t = Trie::new();
        assert!(t.add(b"x"));
        assert!(!t.add(b"x"));
        assert!(!t.add(b"x"));
        assert_eq!(t.count(b"x"), 3);
        assert_eq!(t.len(), 1);
        assert!(!t.remove(b"x"));
        assert!(!t.remove(b"x"));
        assert!(t.matches(b"xy"));
        assert!(t.remove(b"x"));
        assert!(!t.matches(b"xy"));
        assert!(!t.remove(b"x"));
        assert_eq!(t.count(b"x"), 0);
        assert!(t.is_empty());
    }

    #[test]
    fn churn_frees_nodes() {
        let mut t = Trie::new();
        let mut rng = Rng(7);
        for round in 0..50 {
            let topics: Vec<Vec<u8>> = (0..200).map(|_| rng.topic()).collect();
            for topic in &topics {
                t.add(topic);
            }
            assert!(t.node_count() > 1, "round {round}");
            t.radix.check();
            for topic in &topics {
                t.remove(topic);
            }
            assert!(t.is_empty());
            assert_eq!(t.node_count(), 1, "round {round}");
        }
        // Splits merge back.
        t.add(b"abcdef");
        let one = t.node_count();
        t.add(b"abcxyz");
        t.add(b"abc");
        t.remove(b"abcxyz");
        t.remove(b"abc");
        assert_eq!(t.node_count(), one);
        assert_eq!(prefixes(&t), vec![b"abcdef".to_vec()]);
    }

    #[test]
    fn memory_follows_live_set() {
        // Splitting a long edge does not leave the long buffer behind on the
        // short head.
        let big = vec![7u8; 65536];
        let mut t = Trie::new();
        t.add(&big);
        t.add(&[7, 8]);
        let head = &t.radix.root.children[0];
        assert_eq!(head.label, vec![7]);
        assert!(head.label.capacity() < 64);
        // Sparse child arrays shrink.
        let mut t = Trie::new();
        for b in 0..=255u8 {
            t.add(&[b, b]);
        }
        assert_eq!(t.radix.root.children.len(), 256);
        for b in 1..=255u8 {
            assert!(t.remove(&[b, b]));
        }
        assert!(t.radix.root.children.capacity() <= 8);
        assert!(t.matches(&[0, 0, 1]));
        t.radix.check();
    }

    #[test]
    fn binary_topics() {
        let mut t = Trie::new();
        t.add(&[0x00]);
        t.add(&[0xFF, 0x00, 0xFF]);
        assert!(t.matches(&[0x00, 0x00]));
        assert!(!t.matches(&[0xFF, 0x00]));
        assert!(t.matches(&[0xFF, 0x00, 0xFF, 0x00]));
        assert!(!t.matches(&[0x01]));
        assert_eq!(prefixes(&t), vec![vec![0x00], vec![0xFF, 0x00, 0xFF]]);
        let mut m = MultiTrie::new();
        m.add(&[0x00], 1u64);
        m.add(&[0xFF], 2u64);
        assert_eq!(matching(&m, &[0x00, 0xFF]), vec![1]);
        assert_eq!(matching(&m, &[0xFF, 0x00]), vec![2]);
    }

    #[test]
    fn big_topics() {
        let big: Vec<u8> = (0..65536u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut t = Trie::new();
        assert!(t.add(&big));
        assert!(t.add(&big[..40000]));
        assert!(!t.matches(&big[..39999]));
        assert!(t.matches(&big[..40000]));
        let mut longer = big.clone();
        longer.push(1);
        assert!(t.matches(&longer));
        assert!(t.remove(&big[..40000]));
        assert!(!t.matches(&big[..40000]));
        assert!(t.matches(&big));
        assert_eq!(t.node_count(), 2);

        let mut m = MultiTrie::new();
        m.add(&big, 3u64);
        m.add(&big[..1], 4u64);
        assert_eq!(matching(&m, &big), vec![4, 3]);
        let mut lost = Vec::new();
        m.remove_pipe(3, |p| lost.push(p.len()));
        assert_eq!(lost, vec![65536]);
    }

    #[test]
    fn deep_nesting_is_iterative() {
        // Each prefix one byte longer than the last: a 3000-deep tree.
        let topic = vec![b'z'; 3000];
        let mut t = Trie::new();
        let mut m = MultiTrie::new();
        for n in 1..=3000 {
            t.add(&topic[..n]);
            m.add(&topic[..n], (n % 7) as u64);
        }
        assert_eq!(t.node_count(), 3001);
        assert!(t.matches(&topic));
        assert_eq!(matching(&m, &topic).len(), 7);
        let mut gone = 0;
        m.remove_pipe(3, |_| gone += 1);
        assert_eq!(gone, 3000 / 7 + 1);
        assert_eq!(m.len(), 3000 - gone);
        t.radix.check();
        m.radix.check();
        drop(t);
        drop(m);
    }

    /// CVE-2021-20236: peers choose how deep a publisher's subscription
    /// tree is, and libzmq's unsubscribe recursed on that depth. Here no
    /// walk does: on a thread with a 64 KiB stack a 5,000-deep tree is
    /// built, matched, unsubscribed in every order, pruned and dropped.
    #[test]
    fn cve_2021_20236_peer_chosen_depth_never_recurses() {
        let work = || {
            let topic = vec![b'q'; 5000];
            let mut t = Trie::new();
            let mut m = MultiTrie::new();
            for n in 1..=topic.len() {
                t.add(&topic[..n]);
                m.add(&topic[..n], 1u64);
                m.add(&topic[..n], 2u64);
            }
            assert!(t.matches(&topic));
            assert_eq!(matching(&m, &topic).len(), 2);
            // Shortest first (each removal reshapes what is below it),
            // then longest first.
            for n in 1..=topic.len() {
                assert!(t.remove(&topic[..n]));
                let _ = m.unsubscribe(&topic[..n], 1);
            }
            assert_eq!(t.len(), 0);
            for n in 1..=topic.len() {
                t.add(&topic[..n]);
            }
            for n in (1..=topic.len()).rev() {
                assert!(t.remove(&topic[..n]));
            }
            let mut lost = 0;
            m.remove_pipe(2, |_| lost += 1);
            assert_eq!(lost, topic.len());
            assert_eq!(m.len(), 0);
            for n in 1..=topic.len() {
                t.add(&topic[..n]);
                m.add(&topic[..n], 3u64);
            }
            drop(t);
            drop(m);
        };
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(work)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn random_against_reference() {
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        let mut t = Trie::new();
        let mut reference: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
        for step in 0..10_000 {
            let topic = rng.topic();
            if rng.below(3) == 0 {
                let was = reference.get(&topic).copied().unwrap_or(0);
                let gone = t.remove(&topic);
                assert_eq!(gone, was == 1, "step {step}");
                if was == 1 {
                    reference.remove(&topic);
                } else if was > 1 {
                    reference.insert(topic.clone(), was - 1);
                }
            } else {
                let new = t.add(&topic);
                let c = reference.entry(topic.clone()).or_insert(0);
                assert_eq!(new, *c == 0, "step {step}");
                *c += 1;
            }
            assert_eq!(t.len(), reference.len());
            if step % 10 == 0 {
                t.radix.check();
            }
            let probe = rng.topic();
            let expected = reference.keys().any(|p| probe.starts_with(p));
            assert_eq!(t.matches(&probe), expected, "step {step} probe {probe:?}");
            if step % 500 == 0 {
                let all: Vec<Vec<u8>> = reference.keys().cloned().collect();
                assert_eq!(prefixes(&t), all);
            }
        }
        // Drain: structure returns to a bare root.
        let keys: Vec<(Vec<u8>, u32)> = reference.into_iter().collect();
        for (k, c) in keys {
            for _ in 0..c {
                t.remove(&k);
            }
        }
        assert!(t.is_empty());
        assert_eq!(t.node_count(), 1);
    }

    /// Drives a MultiTrie and a naive reference side by side.
    fn multi_against_reference(seed: u64, topic: fn(&mut Rng) -> Vec<u8>) {
        let mut rng = Rng(seed);
        let mut m = MultiTrie::new();
        let mut reference: BTreeMap<Vec<u8>, BTreeSet<u64>> = BTreeMap::new();
        let all_pipes: Vec<u64> = (0..7).collect();
        for step in 0..10_000 {
            let t = topic(&mut rng);
            let pipe = rng.below(6);
            match rng.below(20) {
                0 => {
                    let mut lost = Vec::new();
                    m.remove_pipe(pipe, |p| lost.push(p.to_vec()));
                    let mut expected = Vec::new();
                    reference.retain(|k, set| {
                        if set.remove(&pipe) && set.is_empty() {
                            expected.push(k.clone());
                            false
                        } else {
                            true
                        }
                    });
                    assert_eq!(lost, expected, "step {step}");
                }
                1..=7 => {
                    let removed = reference.get_mut(&t).is_some_and(|set| set.remove(&pipe));
                    let expected = if !removed {
                        Unsubscribed::NotFound
                    } else if reference.get(&t).is_some_and(|set| set.is_empty()) {
                        reference.remove(&t);
                        Unsubscribed::LastRemoved
                    } else {
                        Unsubscribed::OthersRemain
                    };
                    assert_eq!(m.unsubscribe(&t, pipe), expected, "step {step}");
                }
                _ => {
                    let first = m.add(&t, pipe);
                    let set = reference.entry(t.clone()).or_default();
                    assert_eq!(first, set.is_empty(), "step {step}");
                    set.insert(pipe);
                }
            }
            assert_eq!(m.len(), reference.len());
            if step % 10 == 0 {
                m.radix.check();
            }
            let probe = topic(&mut rng);
            let mut got = matching(&m, &probe);
            let before = got.len();
            got.sort_unstable();
            got.dedup();
            assert_eq!(got.len(), before, "duplicate pipe, step {step}");
            let expected: BTreeSet<u64> = reference
                .iter()
                .filter(|(k, _)| probe.starts_with(k))
                .flat_map(|(_, s)| s.iter().copied())
                .collect();
            assert_eq!(
                got,
                expected.iter().copied().collect::<Vec<_>>(),
                "step {step}"
            );
            let mut inverse = Vec::new();
            m.non_matching(&probe, all_pipes.iter().copied(), |p| inverse.push(p));
            let expected_inverse: Vec<u64> = all_pipes
                .iter()
                .copied()
                .filter(|p| !expected.contains(p))
                .collect();
            assert_eq!(inverse, expected_inverse, "step {step}");
            if step % 500 == 0 {
                let mut seen = Vec::new();
                m.for_each_prefix(|p, pipes| seen.push((p.to_vec(), pipes.to_vec())));
                let all: Vec<(Vec<u8>, Vec<u64>)> = reference
                    .iter()
                    .map(|(k, s)| (k.clone(), s.iter().copied().collect()))
                    .collect();
                assert_eq!(seen, all, "step {step}");
            }
        }
        for p in 0..6 {
            m.remove_pipe(p, |_| {});
        }
        assert!(m.is_empty());
        assert_eq!(m.node_count(), 1);
    }

    #[test]
    fn multi_random_against_reference() {
        multi_against_reference(99, Rng::topic);
    }

    #[test]
    fn multi_random_deeply_nested_against_reference() {
        // Long topics over two letters: often more than 16 subscribed
        // prefixes of one message, which takes the allocating path.
        fn topic(rng: &mut Rng) -> Vec<u8> {
            let len = rng.below(30) as usize;
            (0..len).map(|_| b'a' + (rng.below(8) == 0) as u8).collect()
        }
        multi_against_reference(0xDEAD_BEEF, topic);
    }

    #[test]
    fn unsubscribe_results() {
        let mut m = MultiTrie::new();
        assert_eq!(m.unsubscribe(b"a", 1u64), Unsubscribed::NotFound);
        m.add(b"a", 1);
        m.add(b"a", 2);
        m.add(b"abc", 1);
        // "ab" exists as an inner node only once "abd" splits the edge.
        m.add(b"abd", 1);
        assert_eq!(m.unsubscribe(b"ab", 1), Unsubscribed::NotFound);
        assert_eq!(m.unsubscribe(b"a", 3), Unsubscribed::NotFound);
        assert_eq!(m.unsubscribe(b"a", 1), Unsubscribed::OthersRemain);
        assert_eq!(m.unsubscribe(b"a", 1), Unsubscribed::NotFound);
        assert_eq!(m.unsubscribe(b"a", 2), Unsubscribed::LastRemoved);
        assert_eq!(m.unsubscribe(b"a", 2), Unsubscribed::NotFound);
        assert_eq!(m.len(), 2);
        // Set semantics: two subscribes, one cancel.
        assert!(m.add(b"x", 5));
        assert!(!m.add(b"x", 5));
        assert_eq!(m.unsubscribe(b"x", 5), Unsubscribed::LastRemoved);
        assert!(!m.has_subscribers(b"x"));
        m.radix.check();
    }

    #[test]
    fn non_matching_for_invert() {
        let mut m = MultiTrie::new();
        m.add(b"a", 1u64);
        m.add(b"ab", 2);
        m.add(b"b", 3);
        let pipes = [1u64, 2, 3, 4];
        let inverse = |m: &MultiTrie<u64>, data: &[u8]| {
            let mut v = Vec::new();
            m.non_matching(data, pipes, |p| v.push(p));
            v
        };
        assert_eq!(inverse(&m, b"abc"), vec![3, 4]);
        assert_eq!(inverse(&m, b"a"), vec![2, 3, 4]);
        assert_eq!(inverse(&m, b"b"), vec![1, 2, 4]);
        assert_eq!(inverse(&m, b""), vec![1, 2, 3, 4]);
        assert_eq!(inverse(&m, b"c"), vec![1, 2, 3, 4]);
        m.add(b"", 4);
        assert_eq!(inverse(&m, b"c"), vec![1, 2, 3]);
        // More nested matching prefixes than the inline buffer holds.
        let mut deep = MultiTrie::new();
        let topic = vec![b'q'; 40];
        for n in 0..40 {
            deep.add(&topic[..n], 10 + (n % 3) as u64);
        }
        deep.add(b"r", 20);
        let mut v = Vec::new();
        deep.non_matching(&topic, [20, 10, 13, 11, 12], |p| v.push(p));
        assert_eq!(v, vec![20, 13]);
        // Nothing subscribed: everybody gets everything.
        let empty: MultiTrie<u64> = MultiTrie::new();
        let mut v = Vec::new();
        empty.non_matching(b"x", pipes, |p| v.push(p));
        assert_eq!(v, pipes.to_vec());
    }

    #[test]
    fn remove_pipe_prunes_wide_tree_in_place() {
        let mut m = MultiTrie::new();
        for b in 0..=255u8 {
            m.add(&[b], 2u64);
            m.add(&[b, b, 1], 2);
            m.add(&[b, b, 2], 2);
            if b % 64 == 0 {
                m.add(&[b, b, 2], 1);
            }
        }
        assert_eq!(m.len(), 3 * 256);
        let mut lost = 0;
        m.remove_pipe(2, |_| lost += 1);
        assert_eq!(lost, 3 * 256 - 4);
        assert_eq!(m.len(), 4);
        m.radix.check();
        // Root plus one compressed leaf per survivor.
        assert_eq!(m.node_count(), 5);
        assert!(m.radix.root.children.capacity() <= 8);
        let mut seen = Vec::new();
        m.for_each_prefix(|p, pipes| seen.push((p.to_vec(), pipes.to_vec())));
        let expected: Vec<(Vec<u8>, Vec<u64>)> = [0u8, 64, 128, 192]
            .iter()
            .map(|&b| (vec![b, b, 2], vec![1]))
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(matching(&m, &[64, 64, 2, 9]), vec![1]);
        assert!(matching(&m, &[64, 64, 1]).is_empty());
        // A pipe subscribed nowhere changes nothing.
        m.remove_pipe(9, |_| panic!("pipe 9 had nothing"));
        assert_eq!(m.node_count(), 5);
        m.remove_pipe(1, |_| {});
        assert!(m.is_empty());
        assert_eq!(m.node_count(), 1);
    }

    #[test]
    fn multi_add_remove() {
        let mut m: MultiTrie<u64> = MultiTrie::default();
        assert!(m.add(b"a", 1));
        assert!(!m.add(b"a", 1));
        assert!(!m.add(b"a", 2));
        assert_eq!(m.len(), 1);
        assert!(m.contains(b"a", 1));
        assert!(!m.remove(b"a", 3));
        assert!(!m.remove(b"b", 1));
        assert!(!m.remove(b"a", 1));
        assert!(!m.remove(b"a", 1));
        assert!(m.remove(b"a", 2));
        assert!(m.is_empty());
        assert!(!m.has_subscribers(b"a"));
        assert_eq!(m.node_count(), 1);
    }

    #[test]
    fn matching_reports_each_pipe_once() {
        let mut m = MultiTrie::new();
        m.add(b"", 1u64);
        m.add(b"a", 1);
        m.add(b"ab", 1);
        m.add(b"ab", 2);
        m.add(b"abc", 3);
        m.add(b"b", 4);
        let mut got = matching(&m, b"abc");
        got.sort_unstable();
        assert_eq!(got, vec![1, 2, 3]);
        assert_eq!(matching(&m, b"a"), vec![1]);
        assert_eq!(matching(&m, b""), vec![1]);
        let mut got = matching(&m, b"bx");
        got.sort_unstable();
        assert_eq!(got, vec![1, 4]);

        // More nested matching prefixes than the inline buffer holds.
        let mut deep = MultiTrie::new();
        let topic = vec![b'q'; 40];
        for n in 0..40 {
            deep.add(&topic[..n], (n % 3) as u64);
        }
        let mut got = matching(&deep, &topic);
        got.sort_unstable();
        assert_eq!(got, vec![0, 1, 2]);
    }

    #[test]
    fn remove_pipe_reports_lost_prefixes() {
        let mut m = MultiTrie::new();
        m.add(b"", 1u64);
        m.add(b"a", 1);
        m.add(b"a", 2);
        m.add(b"ab", 1);
        m.add(b"abc", 2);
        m.add(b"b", 1);
        let mut lost = Vec::new();
        m.remove_pipe(1, |p| lost.push(p.to_vec()));
        assert_eq!(lost, vec![b"".to_vec(), b"ab".to_vec(), b"b".to_vec()]);
        m.radix.check();
        assert_eq!(m.len(), 2);
        assert_eq!(matching(&m, b"abcd"), vec![2]);
        assert!(matching(&m, b"b").is_empty());
        let mut lost = Vec::new();
        m.remove_pipe(1, |p| lost.push(p.to_vec()));
        assert!(lost.is_empty());
        m.remove_pipe(2, |p| lost.push(p.to_vec()));
        assert_eq!(lost, vec![b"a".to_vec(), b"abc".to_vec()]);
        assert!(m.is_empty());
        assert_eq!(m.node_count(), 1);
        let mut seen = Vec::new();
        m.for_each_prefix(|p, pipes| seen.push((p.to_vec(), pipes.to_vec())));
        assert!(seen.is_empty());
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut t = Trie::new();
        assert!(!t.remove(b""));
        assert!(!t.remove(b"never"));
        assert!(!t.matches(b""));
        t.add(b"abc");
        assert!(!t.remove(b"ab"));
        assert!(!t.remove(b"abcd"));
        assert!(!t.remove(b"abd"));
        assert!(!t.remove(b""));
        t.add(b"abd");
        // "ab" is now an inner node without a subscription.
        assert!(!t.remove(b"ab"));
        assert_eq!(t.len(), 2);
        assert!(t.matches(b"abc"));
        t.clear();
        assert!(t.is_empty());
        assert_eq!(t.node_count(), 1);
        assert!(!t.matches(b"abc"));

        let mut m: MultiTrie<u64> = MultiTrie::new();
        assert!(!m.remove(b"", 1));
        assert!(!m.remove(b"x", 1));
        m.remove_pipe(5, |_| panic!("nothing to lose"));
        m.matching(b"", |_| panic!("nobody subscribed"));
        m.add(b"xy", 1);
        m.add(b"xz", 1);
        assert!(!m.remove(b"x", 1));
        assert!(!m.remove(b"xyz", 1));
        assert_eq!(m.len(), 2);
        m.clear();
        assert!(m.is_empty());
    }
}
