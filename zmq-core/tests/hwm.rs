//! ZMQ_SNDHWM and ZMQ_RCVHWM set after a pipe exists reach that pipe:
//! over inproc, where both sockets' limits add up, and on a connecting
//! tcp socket whose messages queue for a peer not there yet.

mod common;

use zmq_core::ctx::Context;
use zmq_core::socket::{options, Socket, DONTWAIT};
use zmq_core::Error;

use common::*;

const PULL: i32 = 7;
const PUSH: i32 = 8;

/// How many messages go before the socket says EAGAIN (at most `limit`).
fn sends_until_full(s: &Socket, limit: usize) -> usize {
    (0..limit)
        .take_while(|_| send(s, b"m", DONTWAIT).is_ok())
        .count()
}

#[test]
fn inproc_limits_follow_both_sockets_after_connect() {
    let ctx = Context::new();
    let pull = open(&ctx, PULL);
    pull.bind("inproc://hwm-later").unwrap();
    let push = open(&ctx, PUSH);
    push.connect("inproc://hwm-later").unwrap();
    // Lowered on both sides after the connect: 3 + 4 messages fit.
    set_int(&push, options::SNDHWM, 3);
    set_int(&pull, options::RCVHWM, 4);
    assert_eq!(sends_until_full(&push, 100), 7);
    // The receiver raises its limit: the waiting sender is told there is
    // room (3 + 10 in all).
    set_int(&pull, options::RCVHWM, 10);
    assert!(eventually(|| send(&push, b"m", DONTWAIT).is_ok()));
    assert_eq!(sends_until_full(&push, 100), 5);
    // Nothing queued was lost.
    for _ in 0..13 {
        assert_eq!(recv(&pull, DONTWAIT).unwrap(), b"m");
    }
    assert_eq!(recv(&pull, DONTWAIT), Err(Error::Again));
    close_all(ctx, [push, pull]);
}

#[test]
fn inproc_connect_before_bind_adds_the_binders_limit_later_set() {
    let ctx = Context::new();
    let push = open(&ctx, PUSH);
    set_int(&push, options::SNDHWM, 2);
    push.connect("inproc://hwm-early").unwrap();
    let pull = open(&ctx, PULL);
    set_int(&pull, options::RCVHWM, 3);
    pull.bind("inproc://hwm-early").unwrap();
    // 2 + 3 in all once the bind is seen.
    let mut sent = 0;
    assert!(eventually(|| {
        sent += sends_until_full(&push, 100);
        sent == 5
    }));
    // The binder raises its limit later: 2 + 6.
    set_int(&pull, options::RCVHWM, 6);
    assert!(eventually(|| send(&push, b"m", DONTWAIT).is_ok()));
    assert_eq!(sends_until_full(&push, 100), 2);
    let queued = std::iter::from_fn(|| recv(&pull, DONTWAIT).ok()).count();
    assert_eq!(queued, 8);
    close_all(ctx, [push, pull]);
}

#[test]
fn a_connecting_sockets_queue_takes_the_new_send_limit() {
    let ctx = Context::new();
    let push = open(&ctx, PUSH);
    set_int(&push, options::LINGER, 0);
    // Nobody listens: messages queue in the pipe for the connection.
    push.connect("tcp://127.0.0.1:1").unwrap();
    set_int(&push, options::SNDHWM, 10);
    assert_eq!(sends_until_full(&push, 2000), 10);
    // Lower than what is queued: all of it stays, nothing more goes in.
    set_int(&push, options::SNDHWM, 4);
    assert_eq!(sends_until_full(&push, 100), 0);
    // Raised: room at once.
    set_int(&push, options::SNDHWM, 15);
    assert_eq!(sends_until_full(&push, 100), 5);
    // No limit.
    set_int(&push, options::SNDHWM, 0);
    assert_eq!(sends_until_full(&push, 3000), 3000);
    close_all(ctx, [push]);
}
