//! No heap allocation per message of up to 256 bytes, on any path.
//!
//! A counting global allocator wraps the system one and counts every
//! allocation and reallocation (not frees) made by any thread of the
//! process while a measuring window is open: messages cross threads, and
//! the I/O threads of tcp and ipc allocate too. Each test warms a pair of
//! sockets up (pipes' chunk queues, message pools, engine buffers reach
//! their steady state), then opens the window over many messages and
//! checks that the count stays far below one per message.
//!
//! Nothing here depends on timing: the bounds are counts.
//!
//! The warm-up first fills every queue on the path to its high-water
//! mark (the sender sends without waiting until it is refused), so that
//! pools and chunk queues hold a deep backlog before the window opens; the
//! bound still lets them grow once to the deepest backlog the path allows
//! (GROWTH), and beyond that allows one allocation per thousand messages.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use zmq_core::ctx::Context;
use zmq_core::socket::{options, Socket, DONTWAIT};
use zmq_core::{Error, Msg};

mod common;
use common::{close_all, last_endpoint, open};

const PUB: i32 = 1;
const SUB: i32 = 2;
const REQ: i32 = 3;
const REP: i32 = 4;
const PULL: i32 = 7;
const PUSH: i32 = 8;

/// Messages before measuring (after the queues were filled once).
const WARM_UP: u64 = 20_000;
/// Messages measured for one-way paths: many, so that a structure
/// allocated per batch (a 128-frame chunk, a 64-body magazine) would show
/// far above the allowance below.
const MEASURED: u64 = 1_000_000;
/// Round trips before and while measuring REQ/REP (each is two messages
/// and two wake-ups, so they are fewer).
const ROUND_TRIP_WARM_UP: u64 = 2_000;
const ROUND_TRIPS_MEASURED: u64 = 10_000;
/// Messages a publisher lets be in flight: well under the default high-water
/// marks, so that PUB drops nothing and the subscriber's count is exact.
const PUB_IN_FLIGHT: u64 = 500;

/// At most one allocation per this many messages, beyond GROWTH.
const MESSAGES_PER_ALLOWED_ALLOCATION: u64 = 1_000;
/// Allocations a path may still make, once, while its pools grow to the
/// deepest backlog it allows: bodies in the sending queue, the receiving
/// queue and a read batch not yet delivered (about 1,000 each at the
/// default high-water marks and batch size), and a magazine per thread.
/// Which moment of the traffic reaches that depth first is luck, so the
/// warm-up cannot be sure to have reached it.
const GROWTH: u64 = 4_096;

// ---------------------------------------------------------------------------
// The counting allocator.

/// Allocations and reallocations counted while `COUNTING` is on.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

struct CountingAllocator;

impl CountingAllocator {
    fn count(&self) {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counting touches only atomics and never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// A measuring window: counts every thread's allocations until closed.
struct Window;

impl Window {
    fn open() -> Window {
        ALLOCATIONS.store(0, Ordering::SeqCst);
        COUNTING.store(true, Ordering::SeqCst);
        Window
    }

    /// The allocations made since `open`.
    fn close(self) -> u64 {
        COUNTING.store(false, Ordering::SeqCst);
        ALLOCATIONS.load(Ordering::SeqCst)
    }
}

/// The window counts the whole process, so measured tests must not overlap
/// when the harness runs them as threads of one process (`cargo test`;
/// nextest gives each its own process).
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the next one may still measure.
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Prints the measurement (seen with --no-capture) and checks the bound.
fn check(what: &str, allocations: u64, messages: u64) {
    let allowed = messages / MESSAGES_PER_ALLOWED_ALLOCATION + GROWTH;
    println!(
        "{what}: {allocations} allocations over {messages} messages \
         ({:.5} per message, {allowed} allowed)",
        allocations as f64 / messages as f64
    );
    assert!(
        allocations <= allowed,
        "{what}: {allocations} allocations over {messages} messages, at most {allowed} allowed"
    );
}

// ---------------------------------------------------------------------------
// Paths and sockets.

#[derive(Clone, Copy, Debug)]
enum Transport {
    Inproc,
    Tcp,
    Ipc,
}

/// Binds `server` on a fresh endpoint of `transport` (a name of its own per
/// test and process) and connects `client` to the endpoint it got.
fn link(server: &Socket, client: &Socket, transport: Transport, name: &str) {
    let endpoint = match transport {
        Transport::Inproc => format!("inproc://allocations-{name}"),
        Transport::Tcp => "tcp://127.0.0.1:*".to_owned(),
        Transport::Ipc => {
            let file = format!("zmq-allocations-{}-{name}.ipc", std::process::id());
            let path = std::env::temp_dir().join(file);
            // A file left by a crashed run would refuse the bind.
            let _ = std::fs::remove_file(&path);
            format!("ipc://{}", path.display())
        }
    };
    server.bind(&endpoint).expect("bind the server");
    // The real port for tcp; the same name for the others.
    let bound = last_endpoint(server);
    client.connect(&bound).expect("connect to the server");
}

/// A message of `size` bytes, as an application sends it: a fresh copy.
fn message(payload: &[u8]) -> Msg {
    Msg::from_slice(payload).expect("a message body")
}

/// Receives one message and checks its size (formatting only on failure).
fn receive(s: &Socket, size: usize) {
    let msg = s.recv(0).expect("receive");
    assert_eq!(msg.len(), size, "a message of the wrong size");
}

// ---------------------------------------------------------------------------
// The patterns.

/// PUSH on one thread, PULL on another: WARM_UP messages, then MEASURED
/// messages inside the window, which the receiver opens and closes.
fn push_pull(transport: Transport, size: usize) {
    let _serial = one_at_a_time();
    let ctx = Context::new();
    let pull = open(&ctx, PULL);
    let push = open(&ctx, PUSH);
    link(&pull, &push, transport, &format!("push-pull-{size}"));
    let payload = vec![0xA5u8; size];
    // The sender waits here until the window is closed, so that its exit
    // (thread-local caches handed back) is not counted.
    let window_closed = Barrier::new(2);
    let queues_full = Barrier::new(2);
    let filled = AtomicU64::new(0);
    let allocations = thread::scope(|scope| {
        scope.spawn(|| {
            let backlog = fill_to_the_high_water_mark(&push, &payload);
            filled.store(backlog, Ordering::Release);
            queues_full.wait();
            for _ in 0..WARM_UP + MEASURED {
                push.send(&mut message(&payload), 0).expect("send");
            }
            window_closed.wait();
        });
        queues_full.wait();
        for _ in 0..filled.load(Ordering::Acquire) + WARM_UP {
            receive(&pull, size);
        }
        let window = Window::open();
        for _ in 0..MEASURED {
            receive(&pull, size);
        }
        let allocations = window.close();
        window_closed.wait();
        allocations
    });
    close_all(ctx, [push, pull]);
    check(
        &format!("PUSH->PULL over {transport:?}, {size} bytes"),
        allocations,
        MEASURED,
    );
}

/// Sends until the socket refuses (every queue between the two sockets is
/// at its high-water mark, the receiver not reading); returns how many
/// were sent.
fn fill_to_the_high_water_mark(push: &Socket, payload: &[u8]) -> u64 {
    let mut sent = 0;
    loop {
        match push.send(&mut message(payload), DONTWAIT) {
            Ok(()) => sent += 1,
            Err(Error::Again) => return sent,
            Err(e) => panic!("send: {e:?}"),
        }
    }
}

/// REQ on this thread, REP answering on another with a fresh reply of the
/// same size; the window covers ROUND_TRIPS_MEASURED round trips.
fn req_rep(transport: Transport, size: usize) {
    let _serial = one_at_a_time();
    let ctx = Context::new();
    let rep = open(&ctx, REP);
    let req = open(&ctx, REQ);
    link(&rep, &req, transport, &format!("req-rep-{size}"));
    let payload = vec![0x5Au8; size];
    let window_closed = Barrier::new(2);
    let allocations = thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..ROUND_TRIP_WARM_UP + ROUND_TRIPS_MEASURED {
                receive(&rep, size);
                rep.send(&mut message(&payload), 0).expect("reply");
            }
            window_closed.wait();
        });
        let round_trip = || {
            req.send(&mut message(&payload), 0).expect("request");
            receive(&req, size);
        };
        (0..ROUND_TRIP_WARM_UP).for_each(|_| round_trip());
        let window = Window::open();
        (0..ROUND_TRIPS_MEASURED).for_each(|_| round_trip());
        let allocations = window.close();
        window_closed.wait();
        allocations
    });
    close_all(ctx, [req, rep]);
    // Requests and replies both count as messages.
    check(
        &format!("REQ<->REP over {transport:?}, {size} bytes"),
        allocations,
        2 * ROUND_TRIPS_MEASURED,
    );
}

/// PUB on this thread, SUB (subscribed to everything) on another, over
/// tcp. PUB drops what does not fit, so the publisher keeps at most
/// PUB_IN_FLIGHT messages unreceived (the subscriber's count is an atomic:
/// flow control that allocates nothing). Empty messages announce the
/// publisher until the subscription has reached it.
fn pub_sub_over_tcp(size: usize) {
    let _serial = one_at_a_time();
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    let sub = open(&ctx, SUB);
    sub.set_option(options::SUBSCRIBE, b"")
        .expect("subscribe to everything");
    link(&publisher, &sub, Transport::Tcp, &format!("pub-sub-{size}"));
    let payload = vec![0x3Cu8; size];
    let total = WARM_UP + MEASURED;
    let joined = AtomicBool::new(false);
    let received = AtomicU64::new(0);
    let window_closed = Barrier::new(2);
    let allocations = thread::scope(|scope| {
        scope.spawn(|| {
            while received.load(Ordering::Acquire) < total {
                let msg = sub.recv(0).expect("receive");
                if msg.is_empty() {
                    joined.store(true, Ordering::Release);
                } else {
                    assert_eq!(msg.len(), size, "a message of the wrong size");
                    received.fetch_add(1, Ordering::Release);
                }
            }
            window_closed.wait();
        });
        // Until the subscription arrives, PUB drops everything it is given.
        while !joined.load(Ordering::Acquire) {
            publisher.send(&mut Msg::new(), 0).expect("announce");
            thread::sleep(Duration::from_millis(1));
        }
        let publish = |sent: u64| {
            while sent - received.load(Ordering::Acquire) >= PUB_IN_FLIGHT {
                thread::yield_now();
            }
            publisher.send(&mut message(&payload), 0).expect("publish");
        };
        (0..WARM_UP).for_each(publish);
        let window = Window::open();
        (WARM_UP..total).for_each(publish);
        while received.load(Ordering::Acquire) < total {
            thread::yield_now();
        }
        let allocations = window.close();
        window_closed.wait();
        allocations
    });
    close_all(ctx, [publisher, sub]);
    check(
        &format!("PUB->SUB over Tcp, {size} bytes"),
        allocations,
        MEASURED,
    );
}

// ---------------------------------------------------------------------------
// The tests.

/// The window sees the allocations of every thread, not only its opener's
/// (else the path tests would pass without proving anything).
#[test]
fn the_window_counts_allocations_on_every_thread() {
    let _serial = one_at_a_time();
    let opened = Barrier::new(2);
    let allocated = Barrier::new(2);
    let allocations = thread::scope(|scope| {
        scope.spawn(|| {
            opened.wait();
            drop(black_box(Box::new(1u64)));
            allocated.wait();
        });
        let window = Window::open();
        opened.wait();
        drop(black_box(vec![0u8; 100]));
        allocated.wait();
        window.close()
    });
    assert!(allocations >= 2, "{allocations} allocations seen, 2 made");
}

// The paths: 8 bytes sit inline in the message, 64 and 256 take a
// pooled body.

#[test]
fn push_pull_inproc_8_bytes() {
    push_pull(Transport::Inproc, 8);
}

#[test]
fn push_pull_inproc_64_bytes() {
    push_pull(Transport::Inproc, 64);
}

#[test]
fn push_pull_inproc_256_bytes() {
    push_pull(Transport::Inproc, 256);
}

#[test]
fn push_pull_tcp_8_bytes() {
    push_pull(Transport::Tcp, 8);
}

#[test]
fn push_pull_tcp_64_bytes() {
    push_pull(Transport::Tcp, 64);
}

#[test]
fn push_pull_tcp_256_bytes() {
    push_pull(Transport::Tcp, 256);
}

#[test]
fn push_pull_ipc_8_bytes() {
    push_pull(Transport::Ipc, 8);
}

#[test]
fn push_pull_ipc_64_bytes() {
    push_pull(Transport::Ipc, 64);
}

#[test]
fn push_pull_ipc_256_bytes() {
    push_pull(Transport::Ipc, 256);
}

#[test]
fn req_rep_inproc_8_bytes() {
    req_rep(Transport::Inproc, 8);
}

#[test]
fn req_rep_inproc_256_bytes() {
    req_rep(Transport::Inproc, 256);
}

#[test]
fn req_rep_tcp_8_bytes() {
    req_rep(Transport::Tcp, 8);
}

#[test]
fn req_rep_tcp_256_bytes() {
    req_rep(Transport::Tcp, 256);
}

#[test]
fn req_rep_ipc_8_bytes() {
    req_rep(Transport::Ipc, 8);
}

#[test]
fn req_rep_ipc_256_bytes() {
    req_rep(Transport::Ipc, 256);
}

#[test]
fn pub_sub_tcp_8_bytes() {
    pub_sub_over_tcp(8);
}

#[test]
fn pub_sub_tcp_64_bytes() {
    pub_sub_over_tcp(64);
}

#[test]
fn pub_sub_tcp_256_bytes() {
    pub_sub_over_tcp(256);
}
