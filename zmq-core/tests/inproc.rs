//! Sockets over inproc, through zmq-core's API.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use zmq_core::ctx::Context;
use zmq_core::socket::{options, Socket, DONTWAIT, POLLIN, POLLOUT, SNDMORE};
use zmq_core::{Error, Msg};

mod common;
use common::*;

const PAIR: i32 = 0;
const PULL: i32 = 7;
const PUSH: i32 = 8;

#[test]
fn pair_talks_both_ways() {
    let ctx = Context::new();
    let a = open(&ctx, PAIR);
    let b = open(&ctx, PAIR);
    a.bind("inproc://pair").unwrap();
    b.connect("inproc://pair").unwrap();
    send(&b, b"ping", 0).unwrap();
    assert_eq!(recv(&a, 0).unwrap(), b"ping");
    send(&a, b"pong", 0).unwrap();
    assert_eq!(recv(&b, 0).unwrap(), b"pong");
    assert_eq!(recv(&b, DONTWAIT), Err(Error::Again));
    // A second peer is refused while the first is there.
    let c = open(&ctx, PAIR);
    c.connect("inproc://pair").unwrap();
    send(&a, b"only b", 0).unwrap();
    assert_eq!(recv(&b, 0).unwrap(), b"only b");
    for s in [a, b, c] {
        s.close().unwrap();
    }
    ctx.terminate().unwrap();
}

#[test]
fn connect_before_bind_delivers_queued_messages() {
    let ctx = Context::new();
    let push = open(&ctx, PUSH);
    push.connect("inproc://later").unwrap();
    send(&push, b"early", 0).unwrap();
    let pull = open(&ctx, PULL);
    pull.bind("inproc://later").unwrap();
    assert_eq!(recv(&pull, 0).unwrap(), b"early");
    push.close().unwrap();
    pull.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn multipart_is_atomic_and_rcvmore_is_reported() {
    let ctx = Context::new();
    let push = open(&ctx, PUSH);
    let pull = open(&ctx, PULL);
    pull.bind("inproc://multi").unwrap();
    push.connect("inproc://multi").unwrap();
    send(&push, b"a", SNDMORE).unwrap();
    send(&push, b"b", SNDMORE).unwrap();
    assert_eq!(pull.events().unwrap() & POLLIN, 0);
    send(&push, b"c", 0).unwrap();
    let mut more = [0u8; 4];
    for (part, expect_more) in [(b"a", 1), (b"b", 1), (b"c", 0)] {
        assert_eq!(recv(&pull, 0).unwrap(), part);
        pull.get_option(options::RCVMORE, &mut more).unwrap();
        assert_eq!(i32::from_ne_bytes(more), expect_more);
    }
    push.close().unwrap();
    pull.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn push_blocks_at_the_summed_high_water_mark() {
    let ctx = Context::new();
    let push = open(&ctx, PUSH);
    let pull = open(&ctx, PULL);
    set_int(&push, options::SNDHWM, 3);
    set_int(&pull, options::RCVHWM, 2);
    pull.bind("inproc://hwm").unwrap();
    push.connect("inproc://hwm").unwrap();
    let mut sent = 0;
    while send(&push, b"x", DONTWAIT).is_ok() {
        sent += 1;
        assert!(sent <= 100);
    }
    assert_eq!(sent, 5);
    assert_eq!(push.events().unwrap() & POLLOUT, 0);
    set_int(&push, options::SNDTIMEO, 20);
    assert_eq!(send(&push, b"x", 0), Err(Error::Again));
    for _ in 0..5 {
        recv(&pull, 0).unwrap();
    }
    send(&push, b"x", DONTWAIT).unwrap();
    push.close().unwrap();
    pull.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn push_round_robins_and_pull_fair_queues() {
    let ctx = Context::new();
    let push = open(&ctx, PUSH);
    push.bind("inproc://rr").unwrap();
    let pulls: Vec<Socket> = (0..3).map(|_| open(&ctx, PULL)).collect();
    for p in &pulls {
        p.connect("inproc://rr").unwrap();
    }
    push.events().unwrap();
    for i in 0..9u8 {
        send(&push, &[i], 0).unwrap();
    }
    for p in &pulls {
        let got: Vec<u8> = (0..3).map(|_| recv(p, 0).unwrap()[0]).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(recv(p, DONTWAIT), Err(Error::Again));
    }
    push.close().unwrap();
    for p in pulls {
        p.close().unwrap();
    }
    ctx.terminate().unwrap();
}

#[test]
fn term_wakes_blocked_calls_with_eterm() {
    let ctx = Context::new();
    let pull = Arc::new(open(&ctx, PULL));
    pull.bind("inproc://term").unwrap();
    let waiter = {
        let pull = pull.clone();
        thread::spawn(move || {
            let r = recv(&pull, 0);
            pull.close().unwrap();
            r
        })
    };
    thread::sleep(Duration::from_millis(50));
    ctx.terminate().unwrap();
    assert_eq!(waiter.join().unwrap(), Err(Error::Terminated));
    let s = Socket::new();
    assert_eq!(s.open(&ctx, PULL), Err(Error::Terminated));
}

#[test]
fn closed_sockets_refuse_calls() {
    let ctx = Context::new();
    let s = open(&ctx, PUSH);
    s.close().unwrap();
    assert_eq!(s.close(), Err(Error::NotSocket));
    assert_eq!(send(&s, b"x", 0), Err(Error::NotSocket));
    assert_eq!(s.bind("inproc://x"), Err(Error::NotSocket));
    ctx.terminate().unwrap();
}

#[test]
fn endpoints_are_checked() {
    let ctx = Context::new();
    let s = open(&ctx, PAIR);
    assert_eq!(s.bind("nonsense"), Err(Error::Invalid));
    assert_eq!(s.bind("inproc://"), Err(Error::Invalid));
    assert_eq!(s.bind("foo://bar"), Err(Error::ProtocolNotSupported));
    s.bind("inproc://taken").unwrap();
    let t = open(&ctx, PAIR);
    assert_eq!(t.bind("inproc://taken"), Err(Error::AddressInUse));
    assert_eq!(t.unbind("inproc://taken"), Err(Error::NotFound));
    s.unbind("inproc://taken").unwrap();
    t.bind("inproc://taken").unwrap();
    assert_eq!(t.disconnect("inproc://taken"), Err(Error::NotFound));
    s.close().unwrap();
    t.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn many_threads_lose_and_duplicate_nothing() {
    let ctx = Context::new();
    let pull = open(&ctx, PULL);
    pull.bind("inproc://many").unwrap();
    const THREADS: u32 = 4;
    const EACH: u32 = 20_000;
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let ctx = ctx.clone();
            thread::spawn(move || {
                let push = open(&ctx, PUSH);
                push.connect("inproc://many").unwrap();
                for i in 0..EACH {
                    send(&push, &(t * EACH + i).to_be_bytes(), 0).unwrap();
                }
                push.close().unwrap();
            })
        })
        .collect();
    let mut seen = vec![false; (THREADS * EACH) as usize];
    for _ in 0..THREADS * EACH {
        let data = recv(&pull, 0).unwrap();
        let n = u32::from_be_bytes(data.try_into().unwrap()) as usize;
        assert!(!seen[n], "duplicate {n}");
        seen[n] = true;
    }
    for w in writers {
        w.join().unwrap();
    }
    assert!(seen.iter().all(|&s| s));
    pull.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn immediate_queues_nothing_before_the_bind() {
    let ctx = Context::new();
    let push = open(&ctx, PUSH);
    set_int(&push, options::IMMEDIATE, 1);
    push.connect("inproc://immediate").unwrap();
    assert_eq!(send(&push, b"lost", DONTWAIT), Err(Error::Again));
    let pull = open(&ctx, PULL);
    pull.bind("inproc://immediate").unwrap();
    send(&push, b"kept", 0).unwrap();
    assert_eq!(recv(&pull, 0).unwrap(), b"kept");
    push.close().unwrap();
    pull.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn conflate_keeps_only_the_last_message() {
    let ctx = Context::new();
    let pull = open(&ctx, PULL);
    set_int(&pull, options::CONFLATE, 1);
    pull.bind("inproc://conflate").unwrap();
    let push = open(&ctx, PUSH);
    push.connect("inproc://conflate").unwrap();
    for i in 0..10u8 {
        send(&push, &[i], 0).unwrap();
    }
    assert_eq!(recv(&pull, 0).unwrap(), vec![9]);
    assert_eq!(recv(&pull, DONTWAIT), Err(Error::Again));
    push.close().unwrap();
    pull.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn linger_zero_still_delivers_what_was_sent_over_inproc() {
    let ctx = Context::new();
    let pull = open(&ctx, PULL);
    pull.bind("inproc://linger").unwrap();
    let push = open(&ctx, PUSH);
    set_int(&push, options::LINGER, 0);
    push.connect("inproc://linger").unwrap();
    send(&push, b"kept", 0).unwrap();
    push.close().unwrap();
    assert_eq!(recv(&pull, DONTWAIT).unwrap(), b"kept");
    assert_eq!(recv(&pull, DONTWAIT), Err(Error::Again));
    pull.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn close_from_another_thread_ends_a_blocked_call() {
    let ctx = Context::new();
    let pull = Arc::new(open(&ctx, PULL));
    pull.bind("inproc://closed-under").unwrap();
    let waiter = {
        let pull = pull.clone();
        thread::spawn(move || recv(&pull, 0))
    };
    thread::sleep(Duration::from_millis(50));
    pull.close().unwrap();
    assert_eq!(waiter.join().unwrap(), Err(Error::NotSocket));
    ctx.terminate().unwrap();
}

#[test]
fn one_socket_shared_by_threads_is_serialised() {
    let ctx = Context::new();
    let pull = open(&ctx, PULL);
    pull.bind("inproc://shared").unwrap();
    let push = Arc::new(open(&ctx, PUSH));
    set_int(&push, options::SNDHWM, 0);
    push.connect("inproc://shared").unwrap();
    let senders: Vec<_> = (0..4u8)
        .map(|t| {
            let push = push.clone();
            thread::spawn(move || {
                for i in 0..5_000u16 {
                    let mut m = Msg::from_slice(&[t]).unwrap();
                    push.send(&mut m, SNDMORE).unwrap();
                    let mut m = Msg::from_slice(&i.to_be_bytes()).unwrap();
                    push.send(&mut m, 0).unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    // Frames of different threads interleave into messages, but every
    // frame arrives exactly once and nothing is corrupted.
    let mut frames = 0;
    while let Ok(m) = pull.recv(DONTWAIT) {
        assert!(m.len() == 1 || m.len() == 2);
        frames += 1;
    }
    assert_eq!(frames, 4 * 5_000 * 2);
    push.close().unwrap();
    pull.close().unwrap();
    ctx.terminate().unwrap();
}
