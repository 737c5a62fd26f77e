//! Options from zmq.h's draft section: ZMQ_RECONNECT_STOP's three
//! conditions, watched through the monitor (every build, as libzmq 4.3
//! takes the option in every build), and ZMQ_METADATA over the wire (a
//! draft build only).

use std::io::Write;
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use zmq_core::ctx::Context;
use zmq_core::monitor;
use zmq_core::socket::{options, Socket};

mod common;
use common::*;

const PUB: i32 = 1;
const SUB: i32 = 2;

/// Reads events until `event` arrives; false if it does not within 2 s.
fn expect_event(mon: &Socket, event: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while let Some(e) = next_event(mon, deadline.saturating_duration_since(Instant::now())) {
        if e == event {
            return true;
        }
    }
    false
}

/// A SUB socket that reconnects every 10 ms, stops as `stop` says
/// (ZMQ_RECONNECT_STOP), and is watched by the monitor it comes with.
fn reconnecting_sub(ctx: &Context, name: &str, stop: i32) -> (Socket, Socket) {
    let sub = open(ctx, SUB);
    let mon = watch(ctx, &sub, name);
    set_int(&sub, options::RECONNECT_IVL, 10);
    set_int(&sub, options::RECONNECT_STOP, stop);
    (sub, mon)
}

#[test]
fn reconnect_stops_when_the_connection_is_refused() {
    let ctx = Context::new();
    let publisher = open(&ctx, PUB);
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = last_endpoint(&publisher);
    let (sub, mon) = reconnecting_sub(&ctx, "refused", options::RECONNECT_STOP_CONN_REFUSED);
    assert_eq!(
        get_int(&sub, options::RECONNECT_STOP),
        options::RECONNECT_STOP_CONN_REFUSED
    );
    sub.connect(&endpoint).unwrap();
    assert!(expect_event(&mon, monitor::HANDSHAKE_SUCCEEDED));

    set_int(&publisher, options::LINGER, 0);
    publisher.close().unwrap();
    for event in [
        monitor::DISCONNECTED,
        monitor::CONNECT_RETRIED,
        monitor::CONNECT_DELAYED,
        monitor::CLOSED,
    ] {
        assert_eq!(next_event(&mon, Duration::from_secs(2)), Some(event));
    }
    // No further attempt, though RECONNECT_IVL is short.
    assert_eq!(events_during(&mon, Duration::from_millis(300)), []);
    close_all(ctx, [sub, mon]);
}

#[test]
fn without_the_option_a_refused_connect_is_retried() {
    let ctx = Context::new();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (sub, mon) = reconnecting_sub(&ctx, "retried", 0);
    sub.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let seen = events_during(&mon, Duration::from_millis(300));
    let retries = seen
        .iter()
        .filter(|&&e| e == monitor::CONNECT_RETRIED)
        .count();
    assert!(retries >= 2, "{seen:?}");
    close_all(ctx, [sub, mon]);
}

#[test]
fn reconnect_stops_on_a_refused_ipc_path() {
    // A socket file nobody listens on any more: connect(2) says ECONNREFUSED.
    let path = std::env::temp_dir().join(format!("zmq-draft-stale-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let ctx = Context::new();
    let (sub, mon) = reconnecting_sub(&ctx, "ipc-refused", options::RECONNECT_STOP_CONN_REFUSED);
    sub.connect(&format!("ipc://{}", path.display())).unwrap();
    let seen = events_during(&mon, Duration::from_millis(300));
    assert!(
        !seen.contains(&monitor::CONNECT_RETRIED),
        "retried: {seen:?}"
    );
    let _ = std::fs::remove_file(&path);
    close_all(ctx, [sub, mon]);
}

#[test]
fn reconnect_stops_when_the_handshake_fails() {
    // A server that speaks no ZMTP: it answers every connection with text.
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let accepts = thread::spawn(move || {
        server.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_millis(800);
        let mut count = 0;
        while Instant::now() < deadline {
            match server.accept() {
                Ok((mut stream, _)) => {
                    count += 1;
                    let _ = stream.write_all(b"SSH-2.0-NotZmtp\r\n\r\n\r\n");
                }
                Err(_) => thread::sleep(Duration::from_millis(2)),
            }
        }
        count
    });
    let ctx = Context::new();
    let (sub, mon) = reconnecting_sub(&ctx, "handshake", options::RECONNECT_STOP_HANDSHAKE_FAILED);
    sub.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    assert!(expect_event(&mon, monitor::CONNECTED));
    let seen = events_during(&mon, Duration::from_millis(500));
    assert!(seen.contains(&monitor::DISCONNECTED), "{seen:?}");
    assert!(!seen.contains(&monitor::CONNECT_RETRIED), "{seen:?}");
    assert_eq!(accepts.join().unwrap(), 1);
    close_all(ctx, [sub, mon]);
}

#[test]
fn reconnect_stops_after_a_disconnect() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ctx = Context::new();
    let other = open(&ctx, PUB);
    other.bind("tcp://127.0.0.1:*").unwrap();
    let (sub, mon) = reconnecting_sub(
        &ctx,
        "after-disconnect",
        options::RECONNECT_STOP_AFTER_DISCONNECT,
    );
    sub.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let other_endpoint = last_endpoint(&other);
    sub.connect(&other_endpoint).unwrap();
    // Refused, but retried: the socket has not disconnected yet.
    let seen = events_during(&mon, Duration::from_millis(200));
    assert!(seen.contains(&monitor::CONNECT_RETRIED), "{seen:?}");

    sub.disconnect(&other_endpoint).unwrap();
    // At most the attempt under way finishes; then no more.
    events_during(&mon, Duration::from_millis(100));
    assert_eq!(events_during(&mon, Duration::from_millis(300)), []);
    close_all(ctx, [sub, mon, other]);
}

/// ZMQ_METADATA: a draft build only, as in libzmq.
#[cfg(feature = "draft")]
mod metadata {
    use super::*;
    use zmq_core::Error;

    const DEALER: i32 = 5;
    const ROUTER: i32 = 6;

    fn set_metadata(s: &Socket, property: &str) {
        s.set_option(options::METADATA, property.as_bytes())
            .unwrap();
    }

    #[test]
    fn application_metadata_reaches_the_peer_both_ways() {
        for endpoint in ["tcp://127.0.0.1:*", "ipc://@zmq-draft-metadata"] {
            let ctx = Context::new();
            let router = open(&ctx, ROUTER);
            set_metadata(&router, "X-Server:router");
            router.bind(endpoint).unwrap();
            let dealer = open(&ctx, DEALER);
            set_metadata(&dealer, "X-Hello:World");
            set_metadata(&dealer, "X-Hello:ignored");
            set_metadata(&dealer, "X-Key:with:colons");
            dealer.connect(&last_endpoint(&router)).unwrap();

            send(&dealer, b"ping", 0).unwrap();
            let id = router.recv(0).unwrap();
            let body = router.recv(0).unwrap();
            assert_eq!(body.as_slice(), b"ping");
            let meta = body.metadata().expect("metadata");
            assert_eq!(meta.get("X-Hello").unwrap().to_bytes(), b"World");
            assert_eq!(meta.get("X-Key").unwrap().to_bytes(), b"with:colons");
            assert_eq!(meta.get("Socket-Type").unwrap().to_bytes(), b"DEALER");
            assert!(meta.get("X-Server").is_none());

            let mut id = id;
            router.send(&mut id, zmq_core::socket::SNDMORE).unwrap();
            send(&router, b"pong", 0).unwrap();
            let reply = dealer.recv(0).unwrap();
            let meta = reply.metadata().expect("metadata");
            assert_eq!(meta.get("X-Server").unwrap().to_bytes(), b"router");
            close_all(ctx, [router, dealer]);
        }
    }

    #[test]
    fn metadata_values_are_checked() {
        let ctx = Context::new();
        let s = open(&ctx, DEALER);
        for bad in ["", "X-key", "X-key:", ":value", "Y-key:value"] {
            assert_eq!(
                s.set_option(options::METADATA, bad.as_bytes()),
                Err(Error::Invalid),
                "{bad}"
            );
        }
        // Write-only, as in libzmq.
        assert_eq!(
            s.get_option(options::METADATA, &mut [0u8; 64]),
            Err(Error::Invalid)
        );
        close_all(ctx, [s]);
    }
}

/// ZMQ_ROUTER_NOTIFY and ZMQ_PRIORITY: a draft build only, as in libzmq.
#[cfg(feature = "draft")]
mod draft_options {
    use super::*;
    use zmq_core::Error;

    const DEALER: i32 = 5;
    const ROUTER: i32 = 6;

    /// Reads events until `event`; returns its value (within 5 s).
    fn next_event_value(mon: &Socket, event: u32) -> Option<(u32, u32)> {
        set_int(mon, options::RCVTIMEO, 5000);
        loop {
            let frames = recv_all(mon, 0).ok()?;
            let head = &frames[0];
            let seen = u32::from(u16::from_ne_bytes([head[0], head[1]]));
            let value = u32::from_ne_bytes([head[2], head[3], head[4], head[5]]);
            if seen == event {
                return Some((seen, value));
            }
        }
    }

    #[test]
    fn router_notify_announces_peers_that_come_and_go() {
        for endpoint in ["tcp://127.0.0.1:*", "ipc://@zmq-draft-router-notify"] {
            let ctx = Context::new();
            let router = open(&ctx, ROUTER);
            set_int(
                &router,
                options::ROUTER_NOTIFY,
                options::NOTIFY_CONNECT | options::NOTIFY_DISCONNECT,
            );
            set_int(&router, options::RCVTIMEO, 5000);
            router.bind(endpoint).unwrap();
            let dealer = open(&ctx, DEALER);
            dealer.set_option(options::ROUTING_ID, b"d1").unwrap();
            dealer.connect(&last_endpoint(&router)).unwrap();
            // The connection, before anything the peer sends.
            send(&dealer, b"hello", 0).unwrap();
            assert_eq!(recv_all(&router, 0).unwrap(), [&b"d1"[..], b""]);
            assert_eq!(recv_all(&router, 0).unwrap(), [&b"d1"[..], b"hello"]);
            // And its end.
            dealer.close().unwrap();
            assert_eq!(recv_all(&router, 0).unwrap(), [&b"d1"[..], b""]);
            close_all(ctx, [router]);
        }
    }

    #[test]
    fn router_notify_bits_one_at_a_time() {
        let ctx = Context::new();
        let router = open(&ctx, ROUTER);
        set_int(&router, options::ROUTER_NOTIFY, options::NOTIFY_DISCONNECT);
        set_int(&router, options::RCVTIMEO, 5000);
        router.bind("tcp://127.0.0.1:*").unwrap();
        let dealer = open(&ctx, DEALER);
        dealer.set_option(options::ROUTING_ID, b"d2").unwrap();
        dealer.connect(&last_endpoint(&router)).unwrap();
        send(&dealer, b"first", 0).unwrap();
        // No notice of the connection: the first message comes first.
        assert_eq!(recv_all(&router, 0).unwrap(), [&b"d2"[..], b"first"]);
        dealer.close().unwrap();
        assert_eq!(recv_all(&router, 0).unwrap(), [&b"d2"[..], b""]);
        close_all(ctx, [router]);
    }

    #[test]
    fn router_notify_rules() {
        let ctx = Context::new();
        let router = open(&ctx, ROUTER);
        let dealer = open(&ctx, DEALER);
        assert_eq!(get_int(&router, options::ROUTER_NOTIFY), 0);
        // Every type reads it; ROUTER and REP take it, 0 to 3.
        assert_eq!(get_int(&dealer, options::ROUTER_NOTIFY), 0);
        let four = 4i32.to_ne_bytes();
        assert_eq!(
            router.set_option(options::ROUTER_NOTIFY, &four),
            Err(Error::Invalid)
        );
        assert_eq!(
            dealer.set_option(options::ROUTER_NOTIFY, &1i32.to_ne_bytes()),
            Err(Error::Invalid)
        );
        set_int(&router, options::ROUTER_NOTIFY, 3);
        assert_eq!(get_int(&router, options::ROUTER_NOTIFY), 3);
        close_all(ctx, [router, dealer]);
    }

    /// ZMQ_HELLO_MSG and ZMQ_DISCONNECT_MSG: a DEALER greets the ROUTER it
    /// connects to, the ROUTER greets it back, and the ROUTER hears when
    /// the DEALER leaves; over every transport.
    #[test]
    fn hello_and_disconnect_messages() {
        for endpoint in [
            "tcp://127.0.0.1:*",
            "ipc://@zmq-draft-hello",
            "inproc://draft-hello",
        ] {
            let ctx = Context::new();
            let router = open(&ctx, ROUTER);
            router.set_option(options::HELLO_MSG, b"welcome").unwrap();
            router.set_option(options::DISCONNECT_MSG, b"gone").unwrap();
            set_int(&router, options::RCVTIMEO, 5000);
            router.bind(endpoint).unwrap();
            let dealer = open(&ctx, DEALER);
            dealer.set_option(options::ROUTING_ID, b"d").unwrap();
            dealer.set_option(options::HELLO_MSG, b"hi").unwrap();
            set_int(&dealer, options::RCVTIMEO, 5000);
            dealer.connect(&last_endpoint(&router)).unwrap();
            assert_eq!(
                recv_all(&router, 0).unwrap(),
                [&b"d"[..], b"hi"],
                "{endpoint}"
            );
            assert_eq!(
                recv_all(&dealer, 0).unwrap(),
                [&b"welcome"[..]],
                "{endpoint}"
            );
            dealer.close().unwrap();
            assert_eq!(
                recv_all(&router, 0).unwrap(),
                [&b"d"[..], b"gone"],
                "{endpoint}"
            );
            close_all(ctx, [router]);
        }
    }

    #[test]
    fn hello_only_from_the_types_that_send_it() {
        const PULL: i32 = 7;
        const PUSH: i32 = 8;
        let ctx = Context::new();
        let pull = open(&ctx, PULL);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let push = open(&ctx, PUSH);
        // Every type takes the option; a PUSH sends no hello (libzmq).
        push.set_option(options::HELLO_MSG, b"hi").unwrap();
        push.connect(&last_endpoint(&pull)).unwrap();
        send(&push, b"data", 0).unwrap();
        assert_eq!(recv(&pull, 0).unwrap(), b"data");
        // Write-only; empty clears.
        assert_eq!(
            push.get_option(options::HELLO_MSG, &mut [0u8; 16]),
            Err(Error::Invalid)
        );
        push.set_option(options::HELLO_MSG, b"").unwrap();
        push.set_option(options::DISCONNECT_MSG, b"").unwrap();
        close_all(ctx, [push, pull]);
    }

    /// ZMQ_HICCUP_MSG: a DEALER hears that its connection was lost.
    #[test]
    fn hiccup_message_when_a_connection_is_lost() {
        let ctx = Context::new();
        let router = open(&ctx, ROUTER);
        router.bind("tcp://127.0.0.1:*").unwrap();
        let dealer = open(&ctx, DEALER);
        dealer.set_option(options::HICCUP_MSG, b"lost").unwrap();
        set_int(&dealer, options::RCVTIMEO, 5000);
        dealer.connect(&last_endpoint(&router)).unwrap();
        send(&dealer, b"ping", 0).unwrap();
        assert_eq!(recv_all(&router, 0).unwrap()[1], b"ping");
        router.close().unwrap();
        assert_eq!(recv(&dealer, 0).unwrap(), b"lost");
        assert_eq!(
            dealer.get_option(options::HICCUP_MSG, &mut [0u8; 8]),
            Err(Error::Invalid)
        );
        close_all(ctx, [dealer]);
    }

    /// ZMQ_IN_BATCH_SIZE bounds each read: a STREAM socket, which gets
    /// what each read brings as a message, shows it.
    #[test]
    fn in_batch_size_bounds_each_read() {
        const STREAM: i32 = 11;
        let ctx = Context::new();
        let stream = open(&ctx, STREAM);
        assert_eq!(get_int(&stream, options::IN_BATCH_SIZE), 65536);
        // ZMQ_OUT_BATCH_SIZE is not taken (see zmq_setsockopt(3)).
        assert_eq!(
            stream.set_option(options::OUT_BATCH_SIZE, &1i32.to_ne_bytes()),
            Err(Error::Invalid)
        );
        for bad in [0, -1] {
            assert_eq!(
                stream.set_option(options::IN_BATCH_SIZE, &i32::to_ne_bytes(bad)),
                Err(Error::Invalid)
            );
        }
        set_int(&stream, options::IN_BATCH_SIZE, 4);
        set_int(&stream, options::RCVTIMEO, 5000);
        stream.bind("tcp://127.0.0.1:*").unwrap();
        let mut peer = std::net::TcpStream::connect(("127.0.0.1", bound_port(&stream))).unwrap();
        let hello = recv_all(&stream, 0).unwrap();
        assert!(hello[1].is_empty(), "the connection is announced first");
        peer.write_all(b"0123456789").unwrap();
        let mut got = Vec::new();
        while got.len() < 10 {
            let frames = recv_all(&stream, 0).unwrap();
            assert!(frames[1].len() <= 4, "a read of {} bytes", frames[1].len());
            got.extend_from_slice(&frames[1]);
        }
        assert_eq!(got, b"0123456789");
        // Large messages still go whole.
        let mut id = zmq_core::Msg::from_slice(&hello[0]).unwrap();
        stream.send(&mut id, zmq_core::socket::SNDMORE).unwrap();
        send(&stream, &[7u8; 100_000], 0).unwrap();
        let mut back = vec![0u8; 100_000];
        std::io::Read::read_exact(&mut peer, &mut back).unwrap();
        assert!(back.iter().all(|&b| b == 7));
        close_all(ctx, [stream]);
    }

    /// ZMQ_PRIORITY becomes SO_PRIORITY on both ends' tcp sockets.
    #[test]
    fn priority_reaches_the_tcp_sockets() {
        use std::os::fd::BorrowedFd;
        let ctx = Context::new();
        let router = open(&ctx, ROUTER);
        set_int(&router, options::PRIORITY, 3);
        router.bind("tcp://127.0.0.1:*").unwrap();
        let router_mon = watch(&ctx, &router, "priority-router");
        let dealer = open(&ctx, DEALER);
        set_int(&dealer, options::PRIORITY, 5);
        assert_eq!(get_int(&dealer, options::PRIORITY), 5);
        let dealer_mon = watch(&ctx, &dealer, "priority-dealer");
        dealer.connect(&last_endpoint(&router)).unwrap();
        send(&dealer, b"x", 0).unwrap();
        assert_eq!(recv_all(&router, 0).unwrap()[1], b"x");
        // The descriptors the monitor reports are this process's.
        let priority_of = |mon: &Socket, event: u32| {
            let (_, fd) = next_event_value(mon, event).expect("event");
            // SAFETY: the connection is open (its message just arrived)
            // and the fd stays open while the sockets are.
            let fd = unsafe { BorrowedFd::borrow_raw(fd as i32) };
            nix::sys::socket::getsockopt(&fd, nix::sys::socket::sockopt::Priority).unwrap()
        };
        assert_eq!(priority_of(&dealer_mon, monitor::CONNECTED), 5);
        assert_eq!(priority_of(&router_mon, monitor::ACCEPTED), 3);
        let minus = (-1i32).to_ne_bytes();
        assert_eq!(
            dealer.set_option(options::PRIORITY, &minus),
            Err(Error::Invalid)
        );
        close_all(ctx, [router, dealer, router_mon, dealer_mon]);
    }
}
