//! PUB, SUB, XPUB and XSUB over inproc, through zmq-core's API.
//!
//! Inproc needs no waiting: a publisher reads the subscriptions waiting in
//! its pipes whenever it runs its commands, which every call does first.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use zmq_core::ctx::Context;
use zmq_core::socket::{options, Socket, DONTWAIT, POLLIN, POLLOUT, SNDMORE};
use zmq_core::Error;

mod common;
use common::*;

const PUB: i32 = 1;
const SUB: i32 = 2;
const XPUB: i32 = 9;
const XSUB: i32 = 10;

fn subscribe(s: &Socket, topic: &[u8]) {
    s.set_option(options::SUBSCRIBE, topic).unwrap();
}

fn unsubscribe(s: &Socket, topic: &[u8]) {
    s.set_option(options::UNSUBSCRIBE, topic).unwrap();
}

/// Everything receivable now.
fn drain(s: &Socket) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| recv(s, DONTWAIT).ok()).collect()
}

/// One whole message, frames with their "more" flag.
fn recv_message(s: &Socket) -> Vec<(Vec<u8>, bool)> {
    let mut frames = Vec::new();
    loop {
        let frame = recv(s, 0).unwrap();
        let more = get_int(s, options::RCVMORE) != 0;
        frames.push((frame, more));
        if !more {
            return frames;
        }
    }
}

#[test]
fn sub_receives_by_prefix() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    let sub = open(&ctx, SUB);
    publisher.bind("inproc://prefix").unwrap();
    sub.connect("inproc://prefix").unwrap();
    subscribe(&sub, b"a");
    for topic in [&b"apple"[..], b"banana", b"avocado", b"", b"A"] {
        send(&publisher, topic, 0).unwrap();
    }
    assert_eq!(drain(&sub), [&b"apple"[..], b"avocado"]);
    close_all(ctx, [publisher, sub]);
}

#[test]
fn nothing_without_a_subscription_everything_with_the_empty_one() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    let sub = open(&ctx, SUB);
    publisher.bind("inproc://empty").unwrap();
    sub.connect("inproc://empty").unwrap();
    send(&publisher, b"lost", 0).unwrap();
    assert_eq!(recv(&sub, DONTWAIT), Err(Error::Again));
    assert_eq!(sub.events().unwrap() & POLLIN, 0);
    subscribe(&sub, b"");
    for data in [&b"x"[..], b"", b"\x00\x01"] {
        send(&publisher, data, 0).unwrap();
    }
    assert_eq!(sub.events().unwrap() & POLLIN, POLLIN);
    assert_eq!(drain(&sub), [&b"x"[..], b"", b"\x00\x01"]);
    close_all(ctx, [publisher, sub]);
}

#[test]
fn subscriptions_are_counted() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    let sub = open(&ctx, SUB);
    publisher.bind("inproc://counted").unwrap();
    sub.connect("inproc://counted").unwrap();
    subscribe(&sub, b"t");
    subscribe(&sub, b"t");
    unsubscribe(&sub, b"t");
    send(&publisher, b"t1", 0).unwrap();
    assert_eq!(drain(&sub), [&b"t1"[..]]);
    unsubscribe(&sub, b"t");
    send(&publisher, b"t2", 0).unwrap();
    assert!(drain(&sub).is_empty());
    // Unknown topics are fine.
    unsubscribe(&sub, b"t");
    unsubscribe(&sub, b"never");
    send(&publisher, b"t3", 0).unwrap();
    assert!(drain(&sub).is_empty());
    close_all(ctx, [publisher, sub]);
}

#[test]
fn multipart_messages_arrive_whole_or_not_at_all() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    let sub = open(&ctx, SUB);
    publisher.bind("inproc://multi").unwrap();
    sub.connect("inproc://multi").unwrap();
    subscribe(&sub, b"news");
    send(&publisher, b"sport", SNDMORE).unwrap();
    send(&publisher, b"news in the body", 0).unwrap();
    send(&publisher, b"news", SNDMORE).unwrap();
    send(&publisher, b"sport in the body", SNDMORE).unwrap();
    send(&publisher, b"", 0).unwrap();
    send(&publisher, b"news again", 0).unwrap();
    assert_eq!(
        recv_message(&sub),
        [
            (b"news".to_vec(), true),
            (b"sport in the body".to_vec(), true),
            (b"".to_vec(), false)
        ]
    );
    assert_eq!(recv_message(&sub), [(b"news again".to_vec(), false)]);
    assert_eq!(recv(&sub, DONTWAIT), Err(Error::Again));
    close_all(ctx, [publisher, sub]);
}

#[test]
fn pub_drops_beyond_the_summed_high_water_mark() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    set_int(&publisher, options::SNDHWM, 5);
    publisher.bind("inproc://hwm").unwrap();
    let slow = open(&ctx, SUB);
    set_int(&slow, options::RCVHWM, 7);
    slow.connect("inproc://hwm").unwrap();
    subscribe(&slow, b"");
    let fast = open(&ctx, SUB);
    set_int(&fast, options::RCVHWM, 0);
    fast.connect("inproc://hwm").unwrap();
    subscribe(&fast, b"");
    for i in 0..100u32 {
        // Never blocks, never refuses.
        assert_eq!(publisher.events().unwrap() & POLLOUT, POLLOUT);
        send(&publisher, &i.to_be_bytes(), 0).unwrap();
    }
    send(&publisher, b"m1", SNDMORE).unwrap();
    send(&publisher, b"m2", 0).unwrap();
    // libzmq gives the same: 12 = 5 + 7.
    let got = drain(&slow);
    assert_eq!(got.len(), 12);
    assert_eq!(got[11], 11u32.to_be_bytes());
    // Unlimited on one side: nothing lost.
    assert_eq!(drain(&fast).len(), 102);
    // Room again.
    send(&publisher, b"after", 0).unwrap();
    assert_eq!(drain(&slow), [&b"after"[..]]);
    close_all(ctx, [publisher, slow, fast]);
}

#[test]
fn xpub_sees_each_new_topic_once_and_its_end() {
    let ctx = Context::new();
    let xpub = open(&ctx, XPUB);
    xpub.bind("inproc://xpub").unwrap();
    let s1 = open(&ctx, SUB);
    let s2 = open(&ctx, SUB);
    s1.connect("inproc://xpub").unwrap();
    s2.connect("inproc://xpub").unwrap();
    subscribe(&s1, b"x");
    subscribe(&s1, b"x");
    subscribe(&s2, b"x");
    subscribe(&s2, b"y");
    assert_eq!(xpub.events().unwrap(), POLLIN | POLLOUT);
    assert_eq!(drain(&xpub), [&b"\x01x"[..], b"\x01y"]);
    assert_eq!(get_int(&xpub, options::RCVMORE), 0);
    unsubscribe(&s1, b"x");
    unsubscribe(&s1, b"x");
    assert!(drain(&xpub).is_empty());
    unsubscribe(&s2, b"x");
    assert_eq!(drain(&xpub), [&b"\x00x"[..]]);
    // The publishing side works as PUB's.
    send(&xpub, b"y!", 0).unwrap();
    send(&xpub, b"x!", 0).unwrap();
    assert!(drain(&s1).is_empty());
    assert_eq!(drain(&s2), [&b"y!"[..]]);
    close_all(ctx, [xpub, s1, s2]);
}

#[test]
fn verbose_and_verboser() {
    let ctx = Context::new();
    for (option, expected_cancels) in [(options::XPUB_VERBOSE, 0), (options::XPUB_VERBOSER, 1)] {
        let xpub = open(&ctx, XPUB);
        set_int(&xpub, option, 1);
        let endpoint = format!("inproc://verbose{option}");
        xpub.bind(&endpoint).unwrap();
        let s1 = open(&ctx, SUB);
        let s2 = open(&ctx, SUB);
        s1.connect(&endpoint).unwrap();
        s2.connect(&endpoint).unwrap();
        subscribe(&s1, b"t");
        subscribe(&s2, b"t");
        // SUB passes on every subscribe; VERBOSE shows them all.
        subscribe(&s2, b"t");
        assert_eq!(drain(&xpub), [&b"\x01t"[..], b"\x01t", b"\x01t"]);
        unsubscribe(&s1, b"t");
        assert_eq!(drain(&xpub).len(), expected_cancels);
        xpub.close().unwrap();
        s1.close().unwrap();
        s2.close().unwrap();
    }
    ctx.terminate().unwrap();
}

#[test]
fn nodrop_says_eagain_and_blocking_send_waits() {
    let ctx = Context::new();
    let xpub = open(&ctx, XPUB);
    set_int(&xpub, options::XPUB_NODROP, 1);
    set_int(&xpub, options::SNDHWM, 3);
    xpub.bind("inproc://nodrop").unwrap();
    let slow = Arc::new(open(&ctx, SUB));
    set_int(&slow, options::RCVHWM, 2);
    slow.connect("inproc://nodrop").unwrap();
    subscribe(&slow, b"a");
    let other = open(&ctx, SUB);
    other.connect("inproc://nodrop").unwrap();
    subscribe(&other, b"b");
    assert_eq!(drain(&xpub), [&b"\x01a"[..], b"\x01b"]);
    let mut sent = 0;
    while send(&xpub, b"a", DONTWAIT).is_ok() {
        sent += 1;
        assert!(sent <= 100);
    }
    assert_eq!(sent, 5);
    // As libzmq: POLLOUT stays on, other topics still go.
    assert_eq!(xpub.events().unwrap() & POLLOUT, POLLOUT);
    send(&xpub, b"b", DONTWAIT).unwrap();
    send(&xpub, b"nobody", DONTWAIT).unwrap();
    set_int(&xpub, options::SNDTIMEO, 20);
    assert_eq!(send(&xpub, b"a", 0), Err(Error::Again));
    // A blocking send waits until the subscriber makes room.
    set_int(&xpub, options::SNDTIMEO, -1);
    let reader = {
        let slow = slow.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            let mut got = 0;
            while got < 6 {
                recv(&slow, 0).unwrap();
                got += 1;
            }
            got
        })
    };
    send(&xpub, b"a", 0).unwrap();
    assert_eq!(reader.join().unwrap(), 6);
    assert_eq!(drain(&other), [&b"b"[..]]);
    let slow = Arc::try_unwrap(slow).ok().unwrap();
    close_all(ctx, [xpub, slow, other]);
}

#[test]
fn manual_subscriptions_are_the_applications() {
    let ctx = Context::new();
    let xpub = open(&ctx, XPUB);
    set_int(&xpub, options::XPUB_MANUAL, 1);
    set_int(&xpub, options::RCVTIMEO, 2000);
    xpub.bind("inproc://manual").unwrap();
    let sub = open(&ctx, SUB);
    sub.connect("inproc://manual").unwrap();
    subscribe(&sub, b"A");
    assert_eq!(recv(&xpub, 0).unwrap(), b"\x01A");
    // Not applied until the application says so.
    send(&xpub, b"A1", 0).unwrap();
    assert!(drain(&sub).is_empty());
    // The application rewrites it: the subscriber asked for A, gets B.
    subscribe(&xpub, b"B");
    send(&xpub, b"A2", 0).unwrap();
    send(&xpub, b"B2", 0).unwrap();
    subscribe(&xpub, b"A");
    send(&xpub, b"A3", 0).unwrap();
    // SUB still filters by its own subscriptions.
    assert_eq!(drain(&sub), [&b"A3"[..]]);
    unsubscribe(&xpub, b"A");
    send(&xpub, b"A4", 0).unwrap();
    assert!(drain(&sub).is_empty());
    // Everything the subscriber asked for is cancelled when it goes.
    sub.close().unwrap();
    assert_eq!(recv(&xpub, 0).unwrap(), b"\x00A");
    close_all(ctx, [xpub]);
}

#[test]
fn welcome_message_reaches_each_subscriber() {
    let ctx = Context::new();
    let xpub = open(&ctx, XPUB);
    xpub.set_option(options::XPUB_WELCOME_MSG, b"WELCOME")
        .unwrap();
    xpub.bind("inproc://welcome").unwrap();
    let subs: Vec<Socket> = (0..3).map(|_| open(&ctx, SUB)).collect();
    for s in &subs {
        subscribe(s, b"WEL");
        s.connect("inproc://welcome").unwrap();
    }
    assert_eq!(drain(&xpub), [&b"\x01WEL"[..]]);
    for s in &subs {
        assert_eq!(recv(s, 0).unwrap(), b"WELCOME");
    }
    let mut all = subs;
    all.push(xpub);
    close_all(ctx, all);
}

#[test]
fn invert_matching_on_both_sides() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    set_int(&publisher, options::INVERT_MATCHING, 1);
    assert_eq!(get_int(&publisher, options::INVERT_MATCHING), 1);
    publisher.bind("inproc://invert").unwrap();
    let inverted = open(&ctx, SUB);
    set_int(&inverted, options::INVERT_MATCHING, 1);
    subscribe(&inverted, b"a");
    inverted.connect("inproc://invert").unwrap();
    let plain = open(&ctx, SUB);
    plain.connect("inproc://invert").unwrap();
    for data in [&b"a1"[..], b"b1", b""] {
        send(&publisher, data, 0).unwrap();
    }
    // libzmq gives the same.
    assert_eq!(drain(&inverted), [&b"b1"[..], b""]);
    assert!(drain(&plain).is_empty());
    close_all(ctx, [publisher, inverted, plain]);
}

#[test]
fn a_leaving_subscriber_cancels_its_topics() {
    let ctx = Context::new();
    let xpub = open(&ctx, XPUB);
    set_int(&xpub, options::RCVTIMEO, 2000);
    xpub.bind("inproc://leave").unwrap();
    let s1 = open(&ctx, SUB);
    let s2 = open(&ctx, SUB);
    s1.connect("inproc://leave").unwrap();
    s2.connect("inproc://leave").unwrap();
    subscribe(&s1, b"a");
    subscribe(&s1, b"b");
    subscribe(&s2, b"a");
    assert_eq!(drain(&xpub), [&b"\x01a"[..], b"\x01b"]);
    s1.close().unwrap();
    assert_eq!(recv(&xpub, 0).unwrap(), b"\x00b");
    s2.close().unwrap();
    assert_eq!(recv(&xpub, 0).unwrap(), b"\x00a");
    assert_eq!(recv(&xpub, DONTWAIT), Err(Error::Again));
    // Sending to nobody is fine.
    send(&xpub, b"a", 0).unwrap();
    close_all(ctx, [xpub]);
}

#[test]
fn disconnect_cancels_too() {
    let ctx = Context::new();
    let xpub = open(&ctx, XPUB);
    xpub.bind("inproc://disc").unwrap();
    let sub = open(&ctx, SUB);
    sub.connect("inproc://disc").unwrap();
    subscribe(&sub, b"t");
    assert_eq!(drain(&xpub), [&b"\x01t"[..]]);
    sub.disconnect("inproc://disc").unwrap();
    set_int(&xpub, options::RCVTIMEO, 2000);
    assert_eq!(recv(&xpub, 0).unwrap(), b"\x00t");
    close_all(ctx, [xpub, sub]);
}

#[test]
fn subscriptions_made_before_connecting_reach_a_later_bind() {
    let ctx = Context::new();
    let sub = open(&ctx, SUB);
    subscribe(&sub, b"early");
    sub.connect("inproc://later").unwrap();
    subscribe(&sub, b"late");
    let publisher = open(&ctx, XPUB);
    publisher.bind("inproc://later").unwrap();
    assert_eq!(drain(&publisher), [&b"\x01early"[..], b"\x01late"]);
    for data in [&b"early bird"[..], b"late show", b"other"] {
        send(&publisher, data, 0).unwrap();
    }
    assert_eq!(drain(&sub), [&b"early bird"[..], b"late show"]);
    close_all(ctx, [sub, publisher]);
}

#[test]
fn many_subscribers_get_exactly_their_topics() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    publisher.bind("inproc://many").unwrap();
    let subs: Vec<Socket> = (0..64u8)
        .map(|i| {
            let s = open(&ctx, SUB);
            s.connect("inproc://many").unwrap();
            // Topic i % 8, and subscriber 0 everything.
            subscribe(&s, &[i % 8]);
            if i == 0 {
                subscribe(&s, b"");
            }
            s
        })
        .collect();
    for round in 0..10u8 {
        for topic in 0..8u8 {
            send(&publisher, &[topic, round], 0).unwrap();
        }
    }
    for (i, s) in subs.iter().enumerate() {
        let got = drain(s);
        if i == 0 {
            assert_eq!(got.len(), 80);
        } else {
            assert_eq!(got.len(), 10, "subscriber {i}");
            assert!(got.iter().all(|m| m[0] == i as u8 % 8));
        }
    }
    let mut all = subs;
    all.push(publisher);
    close_all(ctx, all);
}

#[test]
fn threads_publish_and_subscribe_without_loss_when_unlimited() {
    const N: u32 = 20_000;
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    set_int(&publisher, options::SNDHWM, 0);
    publisher.bind("inproc://threads").unwrap();
    let readers: Vec<_> = (0..4u8)
        .map(|t| {
            let s = open(&ctx, SUB);
            set_int(&s, options::RCVHWM, 0);
            s.connect("inproc://threads").unwrap();
            subscribe(&s, &[t % 2]);
            thread::spawn(move || {
                let mut count = 0u32;
                loop {
                    let m = recv(&s, 0).unwrap();
                    assert_eq!(m[0], t % 2);
                    if m.len() == 1 {
                        break;
                    }
                    count += 1;
                }
                s.close().unwrap();
                count
            })
        })
        .collect();
    // Let every subscription arrive: the publisher reads them as it sends.
    send(&publisher, b"warm-up", 0).unwrap();
    for i in 0..N {
        let topic = (i % 2) as u8;
        let mut data = vec![topic];
        data.extend_from_slice(&i.to_be_bytes());
        send(&publisher, &data, 0).unwrap();
    }
    send(&publisher, &[0], 0).unwrap();
    send(&publisher, &[1], 0).unwrap();
    for r in readers {
        assert_eq!(r.join().unwrap(), N / 2);
    }
    close_all(ctx, [publisher]);
}

#[test]
fn xsub_forwards_subscriptions_and_other_messages() {
    let ctx = Context::new();
    let xpub = open(&ctx, XPUB);
    xpub.bind("inproc://xsub").unwrap();
    let xsub = open(&ctx, XSUB);
    xsub.connect("inproc://xsub").unwrap();
    assert_eq!(xsub.events().unwrap() & POLLOUT, POLLOUT);
    for data in [
        &b"\x01a"[..],
        b"\x01a",
        b"hello",
        b"",
        b"\x00unknown",
        b"\x01",
    ] {
        send(&xsub, data, 0).unwrap();
    }
    // As libzmq: the duplicate is de-duplicated by XPUB; the empty message
    // and other data are passed on; the needless cancel never left XSUB.
    assert_eq!(drain(&xpub), [&b"\x01a"[..], b"hello", b"", b"\x01"]);
    // XSUB does not filter: it gets all its publisher sends.
    send(&xpub, b"a1", 0).unwrap();
    send(&xpub, b"z1", 0).unwrap();
    assert_eq!(drain(&xsub), [&b"a1"[..], b"z1"]);
    send(&xsub, b"\x00", 0).unwrap();
    assert_eq!(drain(&xpub), [&b"\x00"[..]]);
    send(&xpub, b"z2", 0).unwrap();
    send(&xpub, b"a2", 0).unwrap();
    assert_eq!(drain(&xsub), [&b"a2"[..]]);
    close_all(ctx, [xpub, xsub]);
}

#[test]
fn pub_ignores_what_is_not_a_subscription() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    publisher.bind("inproc://ignore").unwrap();
    let xsub = open(&ctx, XSUB);
    xsub.connect("inproc://ignore").unwrap();
    send(&xsub, b"hello", 0).unwrap();
    send(&xsub, b"\x01", 0).unwrap();
    send(&publisher, b"m", 0).unwrap();
    assert_eq!(drain(&xsub), [&b"m"[..]]);
    assert_eq!(publisher.events().unwrap(), POLLOUT);
    assert_eq!(recv(&publisher, DONTWAIT), Err(Error::NotSupported));
    close_all(ctx, [publisher, xsub]);
}

#[test]
fn forwarder_between_xsub_and_xpub() {
    let ctx = Context::new();
    let frontend = Arc::new(open(&ctx, XSUB));
    let backend = Arc::new(open(&ctx, XPUB));
    frontend.bind("inproc://front").unwrap();
    backend.bind("inproc://back").unwrap();
    let publisher = open(&ctx, PUB);
    publisher.connect("inproc://front").unwrap();
    let sub = open(&ctx, SUB);
    sub.connect("inproc://back").unwrap();
    subscribe(&sub, b"news");
    let proxy = {
        let (frontend, backend) = (frontend.clone(), backend.clone());
        thread::spawn(move || {
            let r = zmq_core::proxy::proxy(&frontend, &backend, None, None);
            frontend.close().unwrap();
            backend.close().unwrap();
            r
        })
    };
    // Publish until the subscription has travelled through the proxy.
    set_int(&sub, options::RCVTIMEO, 10);
    let got = loop {
        send(&publisher, b"sport", 0).unwrap();
        send(&publisher, b"news", 0).unwrap();
        if let Ok(m) = recv(&sub, 0) {
            break m;
        }
    };
    assert_eq!(got, b"news");
    publisher.close().unwrap();
    sub.close().unwrap();
    ctx.terminate().unwrap();
    assert_eq!(proxy.join().unwrap(), Err(Error::Terminated));
}

#[test]
fn send_and_recv_where_the_type_cannot() {
    let ctx = Context::new();
    let sub = open(&ctx, SUB);
    let publisher = open(&ctx, PUB);
    assert_eq!(send(&sub, b"x", DONTWAIT), Err(Error::NotSupported));
    assert_eq!(sub.events().unwrap(), 0);
    assert_eq!(recv(&publisher, DONTWAIT), Err(Error::NotSupported));
    close_all(ctx, [sub, publisher]);
}

#[test]
fn bad_options_are_refused() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    let xpub = open(&ctx, XPUB);
    let sub = open(&ctx, SUB);
    let xsub = open(&ctx, XSUB);
    for s in [&publisher, &xpub] {
        for option in [
            options::XPUB_VERBOSE,
            options::XPUB_VERBOSER,
            options::XPUB_NODROP,
            options::XPUB_MANUAL,
        ] {
            assert_eq!(s.set_option(option, &[1, 0]), Err(Error::Invalid));
            assert_eq!(
                s.set_option(option, &(-1i32).to_ne_bytes()),
                Err(Error::Invalid)
            );
            assert_eq!(
                s.set_option(option, &1i64.to_ne_bytes()),
                Err(Error::Invalid)
            );
            set_int(s, option, 0);
        }
        // Outside ZMQ_XPUB_MANUAL, no subscriptions on a publisher.
        assert_eq!(s.set_option(options::SUBSCRIBE, b"x"), Err(Error::Invalid));
        // XPUB's switches cannot be read (libzmq neither).
        let mut out = [0u8; 4];
        assert_eq!(
            s.get_option(options::XPUB_NODROP, &mut out),
            Err(Error::Invalid)
        );
        s.set_option(options::XPUB_WELCOME_MSG, &[7u8; 65536])
            .unwrap();
    }
    // XSUB takes subscriptions as messages only (libzmq 4.3).
    assert_eq!(
        xsub.set_option(options::SUBSCRIBE, b"x"),
        Err(Error::Invalid)
    );
    assert_eq!(
        xsub.set_option(options::UNSUBSCRIBE, b"x"),
        Err(Error::Invalid)
    );
    for s in [&sub, &xsub] {
        assert_eq!(
            s.set_option(options::XPUB_VERBOSE, &1i32.to_ne_bytes()),
            Err(Error::Invalid)
        );
    }
    assert_eq!(
        sub.set_option(options::INVERT_MATCHING, &[1]),
        Err(Error::Invalid)
    );
    // Any int is a valid INVERT_MATCHING, as libzmq.
    set_int(&sub, options::INVERT_MATCHING, -1);
    assert_eq!(get_int(&sub, options::INVERT_MATCHING), 1);
    assert_eq!(get_int(&xsub, options::INVERT_MATCHING), 0);
    close_all(ctx, [publisher, xpub, sub, xsub]);
}

#[test]
fn huge_and_odd_subscriptions_do_no_harm() {
    let ctx = Context::new();
    let xpub = open(&ctx, XPUB);
    xpub.bind("inproc://odd").unwrap();
    let sub = open(&ctx, SUB);
    sub.connect("inproc://odd").unwrap();
    let huge = vec![b'h'; 65536];
    subscribe(&sub, &huge);
    let got = recv(&xpub, 0).unwrap();
    assert_eq!(got.len(), 65537);
    assert_eq!(got[0], 1);
    let mut message = huge.clone();
    message.extend_from_slice(b" and more");
    send(&xpub, &message, 0).unwrap();
    send(&xpub, &huge[..65535], 0).unwrap();
    assert_eq!(drain(&sub), [message]);
    unsubscribe(&sub, &huge);
    assert_eq!(recv(&xpub, 0).unwrap().len(), 65537);
    // Cancelling what was never subscribed, over and over.
    for _ in 0..3 {
        unsubscribe(&sub, b"");
        unsubscribe(&sub, &huge);
    }
    assert!(drain(&xpub).is_empty());
    // Raw subscription frames of any shape from an XSUB.
    let xsub = open(&ctx, XSUB);
    xsub.connect("inproc://odd").unwrap();
    for data in [&b""[..], b"\x00", b"\x01", b"\x00", b"\x02", b"\x00\x00"] {
        send(&xsub, data, 0).unwrap();
    }
    assert_eq!(drain(&xpub), [&b""[..], b"\x01", b"\x00", b"\x02"]);
    close_all(ctx, [xpub, sub, xsub]);
}
