//! tcp endpoints with host names: looked up on every attempt, away from
//! the I/O thread, which keeps serving its other connections meanwhile.

use zmq_core::ctx::Context;
use zmq_core::monitor;
use zmq_core::socket::options;

mod common;
use common::*;

const PULL: i32 = 7;
const PUSH: i32 = 8;

#[test]
fn a_host_name_is_looked_up_and_connected_to() {
    let ctx = Context::new();
    let pull = open(&ctx, PULL);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = open(&ctx, PUSH);
    push.connect(&format!("tcp://localhost:{}", bound_port(&pull)))
        .unwrap();
    send(&push, b"by name", 0).unwrap();
    assert_eq!(recv(&pull, 0).unwrap(), b"by name");
    close_all(ctx, [pull, push]);
}

#[test]
fn a_name_that_does_not_resolve_is_retried_and_others_still_flow() {
    let ctx = Context::new();
    ctx.set(zmq_core::ctx::IO_THREADS, 1).unwrap();
    let lost = open(&ctx, PUSH);
    let mon = watch(&ctx, &lost, "names-lost");
    set_int(&lost, options::RECONNECT_IVL, 10);
    set_int(&lost, options::LINGER, 0);
    lost.connect("tcp://no-such-host.invalid:5555").unwrap();

    // The same I/O thread carries a working connection meanwhile.
    let pull = open(&ctx, PULL);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = open(&ctx, PUSH);
    push.connect(&format!("tcp://127.0.0.1:{}", bound_port(&pull)))
        .unwrap();
    for i in 0..100u32 {
        send(&push, &i.to_be_bytes(), 0).unwrap();
        assert_eq!(recv(&pull, 0).unwrap(), i.to_be_bytes());
    }
    for _ in 0..2 {
        let seen = events_until(&mon, &[monitor::CONNECT_RETRIED]);
        assert!(seen.contains(&monitor::CONNECT_RETRIED), "{seen:?}");
    }
    close_all(ctx, [lost, mon, pull, push]);
}
