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
