//! REQ, REP, DEALER and ROUTER over inproc, through zmq-core's API. The
//! expected behaviour was checked against libzmq 4.3 (through pyzmq).

use std::thread;
use std::time::{Duration, Instant};

use zmq_core::ctx::Context;
use zmq_core::socket::{options, Socket, DONTWAIT, POLLIN, POLLOUT, SNDMORE};
use zmq_core::Error;

mod common;
use common::*;

const REQ: i32 = 3;
const REP: i32 = 4;
const DEALER: i32 = 5;
const ROUTER: i32 = 6;

#[test]
fn req_rep_take_strict_turns() {
    let ctx = Context::new();
    let req = open(&ctx, REQ);
    let rep = open(&ctx, REP);
    // Nothing to answer, nothing asked.
    assert_eq!(recv(&req, DONTWAIT), Err(Error::State));
    assert_eq!(send(&rep, b"x", DONTWAIT), Err(Error::State));
    // No peer: the request waits (EAGAIN), and no reply is expected.
    assert_eq!(send(&req, b"x", DONTWAIT), Err(Error::Again));
    assert_eq!(recv(&req, DONTWAIT), Err(Error::State));
    assert_eq!(req.events().unwrap(), 0);

    rep.bind("inproc://turns").unwrap();
    req.connect("inproc://turns").unwrap();
    assert_eq!(req.events().unwrap(), POLLOUT);
    assert_eq!(rep.events().unwrap(), 0);
    for _ in 0..3 {
        send(&req, b"hello", SNDMORE).unwrap();
        // In the middle of a request: no reply to wait for yet.
        assert_eq!(recv(&req, DONTWAIT), Err(Error::State));
        send(&req, b"there", 0).unwrap();
        assert_eq!(send(&req, b"again", DONTWAIT), Err(Error::State));
        assert_eq!(req.events().unwrap(), 0);
        assert_eq!(rep.events().unwrap(), POLLIN);

        assert_eq!(recv(&rep, 0).unwrap(), b"hello");
        assert_eq!(get_int(&rep, options::RCVMORE), 1);
        // In the middle of a request: no reply yet.
        assert_eq!(send(&rep, b"early", DONTWAIT), Err(Error::State));
        assert_eq!(recv(&rep, 0).unwrap(), b"there");
        assert_eq!(get_int(&rep, options::RCVMORE), 0);
        assert_eq!(recv(&rep, DONTWAIT), Err(Error::State));
        assert_eq!(rep.events().unwrap(), POLLOUT);
        send(&rep, b"world", SNDMORE).unwrap();
        assert_eq!(recv(&rep, DONTWAIT), Err(Error::State));
        send(&rep, b"!", 0).unwrap();
        assert_eq!(send(&rep, b"more", DONTWAIT), Err(Error::State));
        assert_eq!(rep.events().unwrap(), 0);

        assert_eq!(req.events().unwrap(), POLLIN);
        assert_eq!(recv_all(&req, 0).unwrap(), [&b"world"[..], &b"!"[..]]);
        assert_eq!(get_int(&req, options::RCVMORE), 0);
        assert_eq!(recv(&req, DONTWAIT), Err(Error::State));
        assert_eq!(req.events().unwrap(), POLLOUT);
    }
    close_all(ctx, vec![req, rep]);
}

#[test]
fn req_without_peer_times_out() {
    let ctx = Context::new();
    let req = open(&ctx, REQ);
    set_int(&req, options::SNDTIMEO, 30);
    let start = Instant::now();
    assert_eq!(send(&req, b"x", 0), Err(Error::Again));
    assert!(start.elapsed() >= Duration::from_millis(25));
    close_all(ctx, vec![req]);
}

#[test]
fn req_uses_several_reps_in_turn() {
    let ctx = Context::new();
    let req = open(&ctx, REQ);
    req.bind("inproc://several").unwrap();
    let reps: Vec<Socket> = (0..3).map(|_| open(&ctx, REP)).collect();
    for rep in &reps {
        rep.connect("inproc://several").unwrap();
    }
    let mut served = Vec::new();
    for round in 0..9u8 {
        send(&req, &[round], 0).unwrap();
        let mut who = None;
        for (i, rep) in reps.iter().enumerate() {
            if let Ok(body) = recv(rep, DONTWAIT) {
                assert_eq!(body, [round]);
                assert!(who.is_none());
                who = Some(i);
                send(rep, &[round, i as u8], 0).unwrap();
            }
        }
        let who = who.expect("some REP got the request");
        served.push(who);
        assert_eq!(recv(&req, 0).unwrap(), [round, who as u8]);
    }
    // Round-robin: each REP in turn, in the same order every time.
    assert_eq!(&served[0..3], &served[3..6]);
    assert_eq!(&served[0..3], &served[6..9]);
    let mut first = served[0..3].to_vec();
    first.sort();
    assert_eq!(first, [0, 1, 2]);
    let mut sockets = vec![req];
    sockets.extend(reps);
    close_all(ctx, sockets);
}

#[test]
fn req_relaxed_sends_again_and_skips_stale_replies() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    router.bind("inproc://relaxed").unwrap();
    let req = open(&ctx, REQ);
    set_int(&req, options::REQ_RELAXED, 1);
    req.set_option(options::ROUTING_ID, b"Q").unwrap();
    req.connect("inproc://relaxed").unwrap();
    // Before any request there is still no reply to wait for.
    assert_eq!(recv(&req, DONTWAIT), Err(Error::State));
    send(&req, b"one", 0).unwrap();
    assert_eq!(req.events().unwrap() & POLLOUT, POLLOUT);
    send(&req, b"two", 0).unwrap();
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"Q"[..], b"", b"one"]);
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"Q"[..], b"", b"two"]);
    // Without correlation the first reply to arrive is taken (libzmq).
    send_all(&router, &[b"Q", b"", b"reply one"]).unwrap();
    send_all(&router, &[b"Q", b"", b"reply two"]).unwrap();
    assert_eq!(recv(&req, 0).unwrap(), b"reply one");
    assert_eq!(recv(&req, DONTWAIT), Err(Error::State));

    // A reply that came before a new request is dropped by that request.
    send(&req, b"three", 0).unwrap();
    recv_all(&router, 0).unwrap();
    send_all(&router, &[b"Q", b"", b"reply three"]).unwrap();
    send(&req, b"four", 0).unwrap();
    recv_all(&router, 0).unwrap();
    send_all(&router, &[b"Q", b"", b"reply four"]).unwrap();
    assert_eq!(recv(&req, 0).unwrap(), b"reply four");
    close_all(ctx, vec![router, req]);
}

#[test]
fn req_correlate_drops_replies_with_other_ids() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    router.bind("inproc://correlate").unwrap();
    let req = open(&ctx, REQ);
    set_int(&req, options::REQ_CORRELATE, 1);
    set_int(&req, options::REQ_RELAXED, 1);
    req.set_option(options::ROUTING_ID, b"Q").unwrap();
    req.connect("inproc://correlate").unwrap();
    send(&req, b"one", 0).unwrap();
    send(&req, b"two", 0).unwrap();
    let first = recv_all(&router, 0).unwrap();
    let second = recv_all(&router, 0).unwrap();
    // [routing id, request id, delimiter, body]
    assert_eq!(first.len(), 4);
    assert_eq!((&first[0][..], first[1].len()), (&b"Q"[..], 4));
    assert_eq!((&first[2][..], &first[3][..]), (&b""[..], &b"one"[..]));
    assert_eq!(second[3], b"two");
    // Request ids count up, in native byte order (libzmq).
    let n = |id: &[u8]| u32::from_ne_bytes([id[0], id[1], id[2], id[3]]);
    assert_eq!(n(&second[1]), n(&first[1]).wrapping_add(1));

    send_all(&router, &[b"Q", &first[1], b"", b"stale"]).unwrap();
    send_all(&router, &[b"Q", &second[1], b"no delimiter"]).unwrap();
    send_all(&router, &[b"Q", b"", b"no id"]).unwrap();
    send_all(&router, &[b"Q", &second[1], b"", b"fresh", b"!"]).unwrap();
    assert_eq!(recv_all(&req, 0).unwrap(), [&b"fresh"[..], b"!"]);
    assert_eq!(recv(&req, DONTWAIT), Err(Error::State));

    // Strict and correlated, with a REP: the id travels in the envelope.
    let rep = open(&ctx, REP);
    rep.bind("inproc://correlate-rep").unwrap();
    let strict = open(&ctx, REQ);
    set_int(&strict, options::REQ_CORRELATE, 1);
    strict.connect("inproc://correlate-rep").unwrap();
    for i in 0..3u8 {
        send(&strict, &[i], 0).unwrap();
        assert_eq!(recv(&rep, 0).unwrap(), [i]);
        send(&rep, &[i, i], 0).unwrap();
        assert_eq!(recv(&strict, 0).unwrap(), [i, i]);
    }
    close_all(ctx, vec![router, req, rep, strict]);
}

#[test]
fn router_prefixes_set_and_generated_routing_ids() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    router.bind("inproc://ids").unwrap();
    let named = open(&ctx, DEALER);
    named.set_option(options::ROUTING_ID, b"A").unwrap();
    named.connect("inproc://ids").unwrap();
    let anonymous = open(&ctx, DEALER);
    anonymous.connect("inproc://ids").unwrap();
    let other = open(&ctx, DEALER);
    other.connect("inproc://ids").unwrap();

    send(&named, b"from A", 0).unwrap();
    assert_eq!(recv(&router, 0).unwrap(), b"A");
    assert_eq!(get_int(&router, options::RCVMORE), 1);
    assert_eq!(recv(&router, 0).unwrap(), b"from A");
    assert_eq!(get_int(&router, options::RCVMORE), 0);

    send(&anonymous, b"anon", 0).unwrap();
    let msg = recv_all(&router, 0).unwrap();
    let anon_id = msg[0].clone();
    assert_eq!((anon_id.len(), anon_id[0]), (5, 0));
    assert_eq!(msg[1], b"anon");
    send(&other, b"other", 0).unwrap();
    let other_id = recv_all(&router, 0).unwrap()[0].clone();
    assert_eq!((other_id.len(), other_id[0]), (5, 0));
    assert_ne!(anon_id, other_id);
    // The id stays the same for later messages.
    send(&anonymous, b"again", 0).unwrap();
    assert_eq!(recv_all(&router, 0).unwrap()[0], anon_id);

    send_all(&router, &[&anon_id, b"back"]).unwrap();
    send_all(&router, &[b"A", b"to A"]).unwrap();
    send_all(&router, &[&other_id, b"to other"]).unwrap();
    assert_eq!(recv(&anonymous, 0).unwrap(), b"back");
    assert_eq!(recv(&named, 0).unwrap(), b"to A");
    assert_eq!(recv(&other, 0).unwrap(), b"to other");
    assert_eq!(recv(&named, DONTWAIT), Err(Error::Again));
    close_all(ctx, vec![router, named, anonymous, other]);
}

#[test]
fn router_drops_unroutable_messages_or_refuses_them_when_mandatory() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    router.bind("inproc://mandatory").unwrap();
    let dealer = open(&ctx, DEALER);
    dealer.set_option(options::ROUTING_ID, b"A").unwrap();
    dealer.connect("inproc://mandatory").unwrap();
    let long_id = [b'x'; 300];

    assert_eq!(router.events().unwrap() & POLLOUT, POLLOUT);
    send_all(&router, &[b"nobody", b"lost"]).unwrap();
    send_all(&router, &[b"", b"empty id"]).unwrap();
    send_all(&router, &[&long_id, b"long id"]).unwrap();
    // An id frame without a body after it: dropped.
    send(&router, b"A", 0).unwrap();
    send_all(&router, &[b"A", b"one", b"two"]).unwrap();
    assert_eq!(recv_all(&dealer, 0).unwrap(), [&b"one"[..], b"two"]);
    assert_eq!(recv(&dealer, DONTWAIT), Err(Error::Again));

    set_int(&router, options::ROUTER_MANDATORY, 1);
    for id in [&b"nobody"[..], b"", &long_id] {
        assert_eq!(send(&router, id, SNDMORE), Err(Error::HostUnreachable));
    }
    // Even mandatory, a lone id frame is dropped (libzmq).
    send(&router, b"nobody", 0).unwrap();
    send(&router, b"A", 0).unwrap();
    // A refusal leaves the socket ready for the next message.
    send_all(&router, &[b"A", b"after"]).unwrap();
    assert_eq!(recv_all(&dealer, 0).unwrap(), [b"after"]);
    assert_eq!(recv(&dealer, DONTWAIT), Err(Error::Again));
    close_all(ctx, vec![router, dealer]);
}

#[test]
fn router_mandatory_says_eagain_when_the_peer_is_full() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    set_int(&router, options::SNDHWM, 1);
    router.bind("inproc://full").unwrap();
    let dealer = open(&ctx, DEALER);
    set_int(&dealer, options::RCVHWM, 1);
    dealer.set_option(options::ROUTING_ID, b"A").unwrap();
    dealer.connect("inproc://full").unwrap();
    // Without ZMQ_ROUTER_MANDATORY a full peer loses the message.
    for i in 0..5u8 {
        send_all(&router, &[b"A", &[i]]).unwrap();
    }
    let mut got = Vec::new();
    while let Ok(m) = recv(&dealer, DONTWAIT) {
        got.push(m);
    }
    assert_eq!(got, [[0], [1]]);

    set_int(&router, options::ROUTER_MANDATORY, 1);
    send_all(&router, &[b"A", b"1"]).unwrap();
    send_all(&router, &[b"A", b"2"]).unwrap();
    assert_eq!(send(&router, b"A", SNDMORE | DONTWAIT), Err(Error::Again));
    assert_eq!(router.events().unwrap() & POLLOUT, 0);
    set_int(&router, options::SNDTIMEO, 20);
    assert_eq!(send(&router, b"A", SNDMORE), Err(Error::Again));
    set_int(&router, options::SNDTIMEO, -1);
    // A blocked send goes through once the peer reads.
    let reader = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        let first = recv(&dealer, 0).unwrap();
        (dealer, first)
    });
    send_all(&router, &[b"A", b"3"]).unwrap();
    let (dealer, first) = reader.join().unwrap();
    assert_eq!(first, b"1");
    assert_eq!(recv(&dealer, 0).unwrap(), b"2");
    assert_eq!(recv(&dealer, 0).unwrap(), b"3");
    close_all(ctx, vec![router, dealer]);
}

#[test]
fn router_handover_gives_the_id_to_the_newcomer() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    set_int(&router, options::ROUTER_HANDOVER, 1);
    router.bind("inproc://handover").unwrap();
    let first = open(&ctx, DEALER);
    first.set_option(options::ROUTING_ID, b"X").unwrap();
    first.connect("inproc://handover").unwrap();
    send(&first, b"hello", 0).unwrap();
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"X"[..], b"hello"]);

    let second = open(&ctx, DEALER);
    second.set_option(options::ROUTING_ID, b"X").unwrap();
    second.connect("inproc://handover").unwrap();
    send(&second, b"hello too", 0).unwrap();
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"X"[..], b"hello too"]);
    send_all(&router, &[b"X", b"to X"]).unwrap();
    assert_eq!(recv(&second, 0).unwrap(), b"to X");
    assert_eq!(recv(&first, DONTWAIT), Err(Error::Again));
    // The first connection was closed: its DEALER has no peer left.
    assert!(eventually(
        || send(&first, b"x", DONTWAIT) == Err(Error::Again)
    ));
    close_all(ctx, vec![router, first, second]);
}

#[test]
fn router_ignores_a_duplicate_id_without_handover() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    router.bind("inproc://duplicate").unwrap();
    let first = open(&ctx, DEALER);
    first.set_option(options::ROUTING_ID, b"A").unwrap();
    first.connect("inproc://duplicate").unwrap();
    send(&first, b"one", 0).unwrap();
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"A"[..], b"one"]);

    let dup = open(&ctx, DEALER);
    dup.set_option(options::ROUTING_ID, b"A").unwrap();
    dup.connect("inproc://duplicate").unwrap();
    // libzmq keeps the newcomer's pipe but never reads it.
    send(&dup, b"unheard", 0).unwrap();
    assert_eq!(recv(&router, DONTWAIT), Err(Error::Again));
    send_all(&router, &[b"A", b"to the first"]).unwrap();
    assert_eq!(recv(&first, 0).unwrap(), b"to the first");
    assert_eq!(recv(&dup, DONTWAIT), Err(Error::Again));
    // Nor does it inherit the id when the first one leaves.
    first.close().unwrap();
    set_int(&router, options::ROUTER_MANDATORY, 1);
    assert!(eventually(
        || send(&router, b"A", SNDMORE) == Err(Error::HostUnreachable)
    ));
    close_all(ctx, vec![router, dup]);
}

#[test]
fn probe_router_announces_new_peers() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    router.bind("inproc://probe").unwrap();
    let dealer = open(&ctx, DEALER);
    set_int(&dealer, options::PROBE_ROUTER, 1);
    dealer.set_option(options::ROUTING_ID, b"P").unwrap();
    dealer.connect("inproc://probe").unwrap();
    // The ROUTER hears of the DEALER before it says anything.
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"P"[..], b""]);

    // A probing ROUTER sends an empty message to each new peer.
    let prober = open(&ctx, ROUTER);
    set_int(&prober, options::PROBE_ROUTER, 1);
    prober.bind("inproc://probe2").unwrap();
    let peer = open(&ctx, DEALER);
    peer.connect("inproc://probe2").unwrap();
    assert_eq!(recv(&peer, DONTWAIT), Err(Error::Again));
    prober.events().unwrap(); // the ROUTER attaches the new pipe
    assert_eq!(recv_all(&peer, 0).unwrap(), [b""]);

    // A probing REQ: the ROUTER sees [id, ""].
    let req = open(&ctx, REQ);
    set_int(&req, options::PROBE_ROUTER, 1);
    req.set_option(options::ROUTING_ID, b"R").unwrap();
    req.connect("inproc://probe").unwrap();
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"R"[..], b""]);
    close_all(ctx, vec![router, dealer, prober, peer, req]);
}

#[test]
fn req_to_router_and_dealer_to_rep_envelopes() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    router.bind("inproc://envelope-router").unwrap();
    let req = open(&ctx, REQ);
    req.set_option(options::ROUTING_ID, b"R").unwrap();
    req.connect("inproc://envelope-router").unwrap();
    send_all(&req, &[b"ask", b"more"]).unwrap();
    assert_eq!(
        recv_all(&router, 0).unwrap(),
        [&b"R"[..], b"", b"ask", b"more"]
    );
    send_all(&router, &[b"R", b"", b"answer", b"too"]).unwrap();
    assert_eq!(recv_all(&req, 0).unwrap(), [&b"answer"[..], b"too"]);

    let rep = open(&ctx, REP);
    rep.bind("inproc://envelope-rep").unwrap();
    let dealer = open(&ctx, DEALER);
    dealer.connect("inproc://envelope-rep").unwrap();
    send_all(&dealer, &[b"", b"plain"]).unwrap();
    assert_eq!(recv_all(&rep, 0).unwrap(), [b"plain"]);
    send(&rep, b"reply", 0).unwrap();
    assert_eq!(recv_all(&dealer, 0).unwrap(), [&b""[..], b"reply"]);
    // A deeper envelope comes back whole.
    send_all(&dealer, &[b"hop1", b"hop2", b"", b"deep", b"er"]).unwrap();
    assert_eq!(recv_all(&rep, 0).unwrap(), [&b"deep"[..], b"er"]);
    send_all(&rep, &[b"r1", b"r2"]).unwrap();
    assert_eq!(
        recv_all(&dealer, 0).unwrap(),
        [&b"hop1"[..], b"hop2", b"", b"r1", b"r2"]
    );
    close_all(ctx, vec![router, req, rep, dealer]);
}

#[test]
fn dealer_load_balances_and_fair_queues_whole_messages() {
    let ctx = Context::new();
    let dealer = open(&ctx, DEALER);
    dealer.bind("inproc://dealer").unwrap();
    let peers: Vec<Socket> = (0..2).map(|_| open(&ctx, DEALER)).collect();
    for p in &peers {
        p.connect("inproc://dealer").unwrap();
    }
    for i in 0..4u8 {
        send_all(&dealer, &[&[i], b"a", b"b"]).unwrap();
    }
    let mut seen = Vec::new();
    for p in &peers {
        let mut mine = Vec::new();
        while let Ok(m) = recv_all(p, DONTWAIT) {
            assert_eq!(&m[1..], [b"a", b"b"]);
            mine.push(m[0][0]);
        }
        assert_eq!(mine.len(), 2, "each peer gets half");
        seen.extend(mine);
    }
    seen.sort();
    assert_eq!(seen, [0, 1, 2, 3]);
    for (i, p) in peers.iter().enumerate() {
        send_all(p, &[&[i as u8], b"x", b"y"]).unwrap();
        send_all(p, &[&[i as u8], b"z"]).unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..4 {
        let m = recv_all(&dealer, 0).unwrap();
        assert!(m.len() == 3 || m.len() == 2);
        got.push(m);
    }
    // Fair-queued: the peers alternate.
    assert_ne!(got[0][0], got[1][0]);
    let mut sockets = vec![dealer];
    sockets.extend(peers);
    close_all(ctx, sockets);
}

#[test]
fn router_multipart_both_ways() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    router.bind("inproc://multipart").unwrap();
    let dealer = open(&ctx, DEALER);
    dealer.set_option(options::ROUTING_ID, b"M").unwrap();
    dealer.connect("inproc://multipart").unwrap();
    let parts: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; i as usize]).collect();
    let refs: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
    send_all(&dealer, &refs).unwrap();
    let got = recv_all(&router, 0).unwrap();
    assert_eq!(got[0], b"M");
    assert_eq!(&got[1..], &parts[..]);
    let mut back = vec![&b"M"[..]];
    back.extend(refs.iter().copied());
    // Only whole messages are visible to the peer.
    for (i, part) in back.iter().enumerate() {
        if i == 10 {
            assert_eq!(recv(&dealer, DONTWAIT), Err(Error::Again));
        }
        let flags = if i + 1 < back.len() { SNDMORE } else { 0 };
        send(&router, part, flags).unwrap();
    }
    assert_eq!(recv_all(&dealer, 0).unwrap(), parts);
    close_all(ctx, vec![router, dealer]);
}

#[test]
fn a_peer_that_leaves_becomes_unroutable() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    set_int(&router, options::ROUTER_MANDATORY, 1);
    router.bind("inproc://leave").unwrap();
    let dealer = open(&ctx, DEALER);
    dealer.set_option(options::ROUTING_ID, b"L").unwrap();
    dealer.connect("inproc://leave").unwrap();
    send_all(&router, &[b"L", b"hi"]).unwrap();
    send(&dealer, b"last words", 0).unwrap();
    dealer.close().unwrap();
    // What it sent before leaving is still delivered...
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"L"[..], b"last words"]);
    // ... and then its id is gone.
    assert!(eventually(
        || send(&router, b"L", SNDMORE) == Err(Error::HostUnreachable)
    ));
    assert_eq!(router.events().unwrap() & POLLOUT, 0);
    // The id is free for a newcomer.
    let again = open(&ctx, DEALER);
    again.set_option(options::ROUTING_ID, b"L").unwrap();
    again.connect("inproc://leave").unwrap();
    send_all(&router, &[b"L", b"welcome back"]).unwrap();
    assert_eq!(recv(&again, 0).unwrap(), b"welcome back");
    close_all(ctx, vec![router, again]);
}

#[test]
fn req_takes_a_reply_from_anyone_once_its_peer_left() {
    let ctx = Context::new();
    let r1 = open(&ctx, ROUTER);
    let r2 = open(&ctx, ROUTER);
    r1.bind("inproc://first").unwrap();
    r2.bind("inproc://second").unwrap();
    let req = open(&ctx, REQ);
    req.set_option(options::ROUTING_ID, b"Q").unwrap();
    req.connect("inproc://first").unwrap();
    req.connect("inproc://second").unwrap();
    send(&req, b"one", 0).unwrap();
    assert_eq!(recv_all(&r1, 0).unwrap(), [&b"Q"[..], b"", b"one"]);
    // Only the peer asked may answer.
    send_all(&r2, &[b"Q", b"", b"fake"]).unwrap();
    assert_eq!(recv(&req, DONTWAIT), Err(Error::Again));
    send_all(&r1, &[b"Q", b"", b"real"]).unwrap();
    assert_eq!(recv(&req, 0).unwrap(), b"real");
    // The second request goes to r2, which then leaves: libzmq then takes
    // a well-formed reply from any peer.
    send(&req, b"two", 0).unwrap();
    assert_eq!(recv_all(&r2, 0).unwrap(), [&b"Q"[..], b"", b"two"]);
    r2.close().unwrap();
    thread::sleep(Duration::from_millis(10));
    assert_eq!(recv(&req, DONTWAIT), Err(Error::Again));
    send_all(&r1, &[b"Q", b"", b"from r1"]).unwrap();
    assert_eq!(recv(&req, 0).unwrap(), b"from r1");
    close_all(ctx, vec![r1, req]);
}

#[test]
fn rep_drops_the_reply_to_a_requester_that_left() {
    let ctx = Context::new();
    let rep = open(&ctx, REP);
    rep.bind("inproc://gone").unwrap();
    let gone = open(&ctx, REQ);
    gone.connect("inproc://gone").unwrap();
    send(&gone, b"q1", 0).unwrap();
    assert_eq!(recv(&rep, 0).unwrap(), b"q1");
    gone.close().unwrap();
    thread::sleep(Duration::from_millis(10));
    send(&rep, b"nobody hears", 0).unwrap();
    let stays = open(&ctx, REQ);
    stays.connect("inproc://gone").unwrap();
    send(&stays, b"q2", 0).unwrap();
    assert_eq!(recv(&rep, 0).unwrap(), b"q2");
    send(&rep, b"a2", 0).unwrap();
    assert_eq!(recv(&stays, 0).unwrap(), b"a2");
    close_all(ctx, vec![rep, stays]);
}

#[test]
fn rep_drops_garbage_envelopes() {
    let ctx = Context::new();
    let rep = open(&ctx, REP);
    rep.bind("inproc://garbage").unwrap();
    let dealer = open(&ctx, DEALER);
    dealer.connect("inproc://garbage").unwrap();
    send(&dealer, b"no delimiter", 0).unwrap();
    send_all(&dealer, &[b"a", b"b", b"c"]).unwrap();
    send(&dealer, b"", 0).unwrap(); // a delimiter and no body
    let many: Vec<Vec<u8>> = (0..200u32).map(|i| i.to_be_bytes().to_vec()).collect();
    let mut long: Vec<&[u8]> = many.iter().map(|v| &v[..]).collect();
    send_all(&dealer, &long).unwrap(); // a long envelope, no delimiter
    long.push(b"");
    long.push(b"body");
    send_all(&dealer, &long).unwrap(); // a long envelope, well-formed
    assert_eq!(recv_all(&rep, 0).unwrap(), [b"body"]);
    send(&rep, b"reply", 0).unwrap();
    let back = recv_all(&dealer, 0).unwrap();
    assert_eq!(back.len(), 202);
    assert_eq!(&back[..200], &many[..]);
    assert_eq!((&back[200][..], &back[201][..]), (&b""[..], &b"reply"[..]));
    // Nothing of the dropped ones went back.
    assert_eq!(recv(&dealer, DONTWAIT), Err(Error::Again));
    // And the REP still works.
    send_all(&dealer, &[b"", b"next"]).unwrap();
    assert_eq!(recv(&rep, 0).unwrap(), b"next");
    send(&rep, b"done", 0).unwrap();
    assert_eq!(recv_all(&dealer, 0).unwrap(), [&b""[..], b"done"]);
    close_all(ctx, vec![rep, dealer]);
}

#[test]
fn broker_chain_forwarded_by_hand() {
    let ctx = Context::new();
    let frontend = open(&ctx, ROUTER);
    let backend = open(&ctx, DEALER);
    frontend.bind("inproc://front").unwrap();
    backend.bind("inproc://back").unwrap();
    let clients: Vec<Socket> = (0..3).map(|_| open(&ctx, REQ)).collect();
    for c in &clients {
        c.connect("inproc://front").unwrap();
    }
    let worker = open(&ctx, REP);
    worker.connect("inproc://back").unwrap();
    let forward = |from: &Socket, to: &Socket| loop {
        let mut part = from.recv(0).unwrap();
        let more = part.more();
        to.send(&mut part, if more { SNDMORE } else { 0 }).unwrap();
        if !more {
            break;
        }
    };
    for round in 0..2u8 {
        for (i, c) in clients.iter().enumerate() {
            send(c, &[round, i as u8], 0).unwrap();
        }
        for _ in 0..clients.len() {
            forward(&frontend, &backend);
            let job = recv(&worker, 0).unwrap();
            send(&worker, &[job[0], job[1], 0xff], 0).unwrap();
            forward(&backend, &frontend);
        }
        for (i, c) in clients.iter().enumerate() {
            assert_eq!(recv(c, 0).unwrap(), [round, i as u8, 0xff]);
        }
    }
    let mut sockets = vec![frontend, backend, worker];
    sockets.extend(clients);
    close_all(ctx, sockets);
}

#[test]
fn router_to_router_with_connect_routing_id() {
    let ctx = Context::new();
    let a = open(&ctx, ROUTER);
    a.bind("inproc://r2r").unwrap();
    let b = open(&ctx, ROUTER);
    b.set_option(options::ROUTING_ID, b"B").unwrap();
    set_int(&b, options::ROUTER_MANDATORY, 1);
    b.set_option(options::CONNECT_ROUTING_ID, b"peerA").unwrap();
    b.connect("inproc://r2r").unwrap();
    // The connecting ROUTER names its peer itself and can send at once.
    send_all(&b, &[b"peerA", b"hello"]).unwrap();
    assert_eq!(recv_all(&a, 0).unwrap(), [&b"B"[..], b"hello"]);
    send_all(&a, &[b"B", b"hi B"]).unwrap();
    assert_eq!(recv_all(&b, 0).unwrap(), [&b"peerA"[..], b"hi B"]);
    assert_eq!(send(&b, b"B", SNDMORE), Err(Error::HostUnreachable));
    close_all(ctx, vec![a, b]);
}

/// Only the types that address peers by routing id take
/// ZMQ_CONNECT_ROUTING_ID (libzmq refuses it on the others).
#[test]
fn connect_routing_id_only_where_peers_have_ids() {
    let ctx = Context::new();
    let sockets: Vec<Socket> = (0..=11).map(|kind| open(&ctx, kind)).collect();
    for (kind, socket) in (0..).zip(&sockets) {
        let set = socket.set_option(options::CONNECT_ROUTING_ID, b"peer");
        match kind {
            REP | ROUTER | 11 => assert_eq!(set, Ok(()), "type {kind}"),
            _ => assert_eq!(set, Err(Error::Invalid), "type {kind}"),
        }
    }
    close_all(ctx, sockets);
}

#[test]
fn router_connected_before_its_peer_bound_learns_the_id() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    set_int(&router, options::ROUTER_MANDATORY, 1);
    router.connect("inproc://later").unwrap();
    assert_eq!(send(&router, b"late", SNDMORE), Err(Error::HostUnreachable));
    let dealer = open(&ctx, DEALER);
    dealer.set_option(options::ROUTING_ID, b"late").unwrap();
    dealer.bind("inproc://later").unwrap();
    // Known as soon as the peer has bound, before it speaks.
    send_all(&router, &[b"late", b"early bird"]).unwrap();
    assert_eq!(recv(&dealer, 0).unwrap(), b"early bird");
    send(&dealer, b"hi", 0).unwrap();
    assert_eq!(recv_all(&router, 0).unwrap(), [&b"late"[..], b"hi"]);

    // A peer without an id gets a generated one when it speaks.
    let router2 = open(&ctx, ROUTER);
    router2.connect("inproc://later2").unwrap();
    let anon = open(&ctx, DEALER);
    anon.bind("inproc://later2").unwrap();
    send(&anon, b"anon", 0).unwrap();
    let m = recv_all(&router2, 0).unwrap();
    assert_eq!((m[0].len(), m[0][0], &m[1][..]), (5, 0, &b"anon"[..]));
    send_all(&router2, &[&m[0], b"back"]).unwrap();
    assert_eq!(recv(&anon, 0).unwrap(), b"back");
    close_all(ctx, vec![router, dealer, router2, anon]);
}

#[test]
fn options_are_checked() {
    let ctx = Context::new();
    let router = open(&ctx, ROUTER);
    let rep = open(&ctx, REP);
    let req = open(&ctx, REQ);
    let dealer = open(&ctx, DEALER);
    for bad in [&b"x"[..], &[0u8; 2], &[0u8; 8], &(-1i32).to_ne_bytes()] {
        for option in [
            options::ROUTER_MANDATORY,
            options::ROUTER_HANDOVER,
            options::PROBE_ROUTER,
        ] {
            assert_eq!(router.set_option(option, bad), Err(Error::Invalid));
        }
        for option in [options::REQ_RELAXED, options::REQ_CORRELATE] {
            assert_eq!(req.set_option(option, bad), Err(Error::Invalid));
        }
        assert_eq!(
            dealer.set_option(options::PROBE_ROUTER, bad),
            Err(Error::Invalid)
        );
    }
    let one = 1i32.to_ne_bytes();
    // Each type takes its own switches and those of the type below it.
    assert_eq!(
        dealer.set_option(options::REQ_RELAXED, &one),
        Err(Error::Invalid)
    );
    assert_eq!(
        dealer.set_option(options::ROUTER_MANDATORY, &one),
        Err(Error::Invalid)
    );
    assert_eq!(
        req.set_option(options::ROUTER_MANDATORY, &one),
        Err(Error::Invalid)
    );
    req.set_option(options::PROBE_ROUTER, &one).unwrap();
    assert_eq!(
        router.set_option(options::REQ_CORRELATE, &one),
        Err(Error::Invalid)
    );
    rep.set_option(options::ROUTER_MANDATORY, &one).unwrap();
    rep.set_option(options::ROUTER_HANDOVER, &2i32.to_ne_bytes())
        .unwrap();
    assert_eq!(
        rep.set_option(options::REQ_RELAXED, &one),
        Err(Error::Invalid)
    );
    // Write-only, as in libzmq.
    let mut out = [0u8; 4];
    assert_eq!(
        router.get_option(options::ROUTER_MANDATORY, &mut out),
        Err(Error::Invalid)
    );
    assert_eq!(
        req.get_option(options::REQ_RELAXED, &mut out),
        Err(Error::Invalid)
    );
    close_all(ctx, vec![router, rep, req, dealer]);
}

#[test]
fn req_rep_across_threads() {
    let ctx = Context::new();
    let rep = open(&ctx, REP);
    rep.bind("inproc://threads").unwrap();
    const CLIENTS: usize = 4;
    const ROUNDS: u32 = 500;
    let server = thread::spawn(move || {
        for _ in 0..CLIENTS as u32 * ROUNDS {
            let mut request = recv(&rep, 0).unwrap();
            request.reverse();
            send(&rep, &request, 0).unwrap();
        }
        rep
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let ctx = ctx.clone();
            thread::spawn(move || {
                let req = open(&ctx, REQ);
                req.connect("inproc://threads").unwrap();
                for i in 0..ROUNDS {
                    let body = [c as u8, (i >> 8) as u8, i as u8];
                    send(&req, &body, 0).unwrap();
                    let mut reply = recv(&req, 0).unwrap();
                    reply.reverse();
                    assert_eq!(reply, body);
                }
                req.close().unwrap();
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let rep = server.join().unwrap();
    close_all(ctx, vec![rep]);
}
