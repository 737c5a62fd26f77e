//! REQ and REP write their messages to an idle connection on the sending
//! thread (the session's drain) instead of waking the I/O thread. These
//! tests cover where that path must hand over to the I/O thread: before
//! the connection is up, a message larger than the socket's buffers, a
//! peer that goes away, and the I/O thread busy with the same session.

use std::thread;

use zmq_core::ctx::Context;
use zmq_core::socket::{options, Socket};
use zmq_core::Msg;

mod common;
use common::*;

const REQ: i32 = 3;
const REP: i32 = 4;

/// A fresh tcp or ipc endpoint to bind.
fn endpoints(name: &str) -> [String; 2] {
    let path = std::env::temp_dir().join(format!(
        "zmq-write-through-{}-{name}.ipc",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    [
        "tcp://127.0.0.1:*".to_owned(),
        format!("ipc://{}", path.display()),
    ]
}

/// Bytes that tell their size and position apart.
fn body(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + seed) as u8).collect()
}

/// The REP side: answers each request with its bytes reversed.
fn echo_reversed(rep: &Socket, count: usize) {
    for _ in 0..count {
        let mut request = rep.recv(0).expect("a request");
        let reply = request.as_mut_slice();
        reply.reverse();
        let mut reply = Msg::from_slice(reply).expect("a reply");
        rep.send(&mut reply, 0).expect("send the reply");
    }
}

#[test]
fn sizes_from_empty_to_beyond_the_socket_buffers_arrive_whole() {
    // 5 MB is more than a loopback socket buffers: the write from the
    // sending thread stops part way and the I/O thread finishes it.
    let sizes = [0, 1, 40, 41, 255, 8_192, 70_000, 5_000_000];
    for endpoint in endpoints("sizes") {
        let ctx = Context::new();
        let rep = open(&ctx, REP);
        rep.bind(&endpoint).unwrap();
        let req = open(&ctx, REQ);
        req.connect(&last_endpoint(&rep)).unwrap();
        let rounds = 3 * sizes.len();
        thread::scope(|scope| {
            scope.spawn(|| echo_reversed(&rep, rounds));
            for round in 0..rounds {
                let sent = body(sizes[round % sizes.len()], round);
                send(&req, &sent, 0).unwrap();
                let mut expected = sent.clone();
                expected.reverse();
                assert!(
                    recv(&req, 0).unwrap() == expected,
                    "{endpoint} round {round}"
                );
            }
        });
        close_all(ctx, [req, rep]);
    }
}

#[test]
fn a_request_made_before_the_connection_is_up_waits_for_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let [_, ipc] = endpoints("early");
    for endpoint in [format!("tcp://127.0.0.1:{port}"), ipc] {
        let ctx = Context::new();
        let req = open(&ctx, REQ);
        req.connect(&endpoint).unwrap();
        send(&req, b"early", 0).unwrap();
        let rep = open(&ctx, REP);
        rep.bind(&endpoint).unwrap();
        assert_eq!(recv(&rep, 0).unwrap(), b"early");
        send(&rep, b"late", 0).unwrap();
        assert_eq!(recv(&req, 0).unwrap(), b"late");
        close_all(ctx, [req, rep]);
    }
}

#[test]
fn a_peer_that_leaves_mid_message_costs_nothing_but_the_message() {
    for endpoint in endpoints("leaves") {
        let ctx = Context::new();
        let rep = open(&ctx, REP);
        rep.bind(&endpoint).unwrap();
        let endpoint = last_endpoint(&rep);
        let req = open(&ctx, REQ);
        set_int(&req, options::LINGER, 0);
        set_int(&req, options::REQ_RELAXED, 1);
        req.connect(&endpoint).unwrap();
        send(&req, b"hello", 0).unwrap();
        assert_eq!(recv(&rep, 0).unwrap(), b"hello");
        // The peer goes while a large request is on its way.
        rep.close().unwrap();
        let large = body(5_000_000, 7);
        send(&req, &large, 0).unwrap();
        // A new peer on the same endpoint is served: what the old one did
        // not take may come first, whole, then the new request.
        let rep = open(&ctx, REP);
        rep.bind(&endpoint).unwrap();
        send(&req, b"again", 0).unwrap();
        let mut got = recv(&rep, 0).unwrap();
        if got.len() == large.len() {
            assert!(got == large, "{endpoint}: the large request, damaged");
            send(&rep, b"", 0).unwrap();
            got = recv(&rep, 0).unwrap();
        }
        assert_eq!(got, b"again", "{endpoint}");
        close_all(ctx, [req, rep]);
    }
}

#[test]
fn many_requesters_race_their_io_thread() {
    // One I/O thread runs every session while ten requesters write through
    // theirs: each turn either writes on the requester's thread or waits
    // for the I/O thread to let go of the session, and nothing is lost.
    let ctx = Context::new();
    ctx.set(zmq_core::ctx::IO_THREADS, 1).unwrap();
    let rep = open(&ctx, REP);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = last_endpoint(&rep);
    let requesters = 10;
    let rounds = 500;
    thread::scope(|scope| {
        scope.spawn(|| echo_reversed(&rep, requesters * rounds));
        for r in 0..requesters {
            let ctx = &ctx;
            let endpoint = &endpoint;
            scope.spawn(move || {
                let req = open(ctx, REQ);
                req.connect(endpoint).unwrap();
                for round in 0..rounds {
                    let sent = body(1 + (round * 7 + r) % 300, r);
                    send(&req, &sent, 0).unwrap();
                    let mut expected = sent;
                    expected.reverse();
                    assert!(recv(&req, 0).unwrap() == expected);
                }
                req.close().unwrap();
            });
        }
    });
    close_all(ctx, [rep]);
}
