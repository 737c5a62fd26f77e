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
    let mut seen = events_until(&mon, &[monitor::CONNECT_RETRIED]);
    seen.extend(events_until(&mon, &[monitor::CONNECT_RETRIED]));
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
    let mut seen = events_until(&mon, &[monitor::DISCONNECTED]);
    assert!(seen.contains(&monitor::DISCONNECTED), "{seen:?}");
    seen.extend(events_during(&mon, Duration::from_millis(300)));
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
    let seen = events_until(&mon, &[monitor::CONNECT_RETRIED]);
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

    /// ZMQ_OUT_BATCH_SIZE bounds what a connection takes from its queue
    /// ahead of the wire: to a peer that reads nothing, a PUSH socket with a
    /// batch of one byte accepts a few messages (its queue and the kernel's
    /// small buffers), one with the default batch hundreds more.
    #[test]
    fn out_batch_size_bounds_what_a_stalled_connection_takes() {
        const PUSH: i32 = 8;
        fn accepted_before_stalling(batch: Option<i32>) -> usize {
            let listener =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            // Small, fixed kernel buffers (no autotuning) on the peer.
            listener.set_recv_buffer_size(4096).unwrap();
            let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
            listener.bind(&any.into()).unwrap();
            listener.listen(1).unwrap();
            let port = listener.local_addr().unwrap().as_socket().unwrap().port();

            let ctx = Context::new();
            let push = open(&ctx, PUSH);
            if let Some(batch) = batch {
                set_int(&push, options::OUT_BATCH_SIZE, batch);
                assert_eq!(get_int(&push, options::OUT_BATCH_SIZE), batch);
            }
            set_int(&push, options::SNDHWM, 1);
            set_int(&push, options::SNDBUF, 4096);
            set_int(&push, options::SNDTIMEO, 300);
            set_int(&push, options::LINGER, 0);
            push.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
            let (peer, _) = listener.accept().unwrap();
            let mut peer: std::net::TcpStream = peer.into();
            // A ZMTP 3.0 PULL peer: greeting and READY, then it reads the
            // PUSH socket's greeting and READY and nothing more.
            let mut hello = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0];
            let mut mechanism = [0u8; 20];
            mechanism[..4].copy_from_slice(b"NULL");
            hello.extend_from_slice(&mechanism);
            hello.extend_from_slice(&[0; 32]);
            let mut ready = b"\x05READY\x0bSocket-Type".to_vec();
            ready.extend_from_slice(&4u32.to_be_bytes());
            ready.extend_from_slice(b"PULL");
            hello.extend_from_slice(&[0x04, ready.len() as u8]);
            hello.extend_from_slice(&ready);
            peer.write_all(&hello).unwrap();
            let mut greeting = [0u8; 64];
            std::io::Read::read_exact(&mut peer, &mut greeting).unwrap();
            let mut head = [0u8; 2];
            std::io::Read::read_exact(&mut peer, &mut head).unwrap();
            assert_eq!(head[0], 0x04, "a short command: READY");
            let mut body = vec![0u8; usize::from(head[1])];
            std::io::Read::read_exact(&mut peer, &mut body).unwrap();

            let message = [0u8; 1024];
            let mut accepted = 0;
            while accepted < 10_000 && send(&push, &message, 0).is_ok() {
                accepted += 1;
            }
            close_all(ctx, [push]);
            accepted
        }
        let one_at_a_time = accepted_before_stalling(Some(1));
        let default = accepted_before_stalling(None);
        assert!(one_at_a_time < 100, "{one_at_a_time} messages taken");
        assert!(default > 200, "{default} messages taken");
        assert!(default > one_at_a_time + 150);

        let ctx = Context::new();
        let push = open(&ctx, PUSH);
        assert_eq!(get_int(&push, options::OUT_BATCH_SIZE), 262_144);
        for bad in [0, -1] {
            assert_eq!(
                push.set_option(options::OUT_BATCH_SIZE, &i32::to_ne_bytes(bad)),
                Err(Error::Invalid)
            );
        }
        close_all(ctx, [push]);
    }

    /// ZMQ_BUSY_POLL becomes SO_BUSY_POLL on a tcp connection; it takes any
    /// int and, as in libzmq, cannot be read back.
    #[test]
    fn busy_poll_reaches_the_tcp_socket() {
        use std::os::fd::BorrowedFd;
        let ctx = Context::new();
        let router = open(&ctx, ROUTER);
        router.bind("tcp://127.0.0.1:*").unwrap();
        let dealer = open(&ctx, DEALER);
        set_int(&dealer, options::BUSY_POLL, 40);
        let mut out = [0u8; 4];
        assert_eq!(
            dealer.get_option(options::BUSY_POLL, &mut out),
            Err(Error::Invalid)
        );
        let mon = watch(&ctx, &dealer, "busy-poll");
        dealer.connect(&last_endpoint(&router)).unwrap();
        send(&dealer, b"x", 0).unwrap();
        assert_eq!(recv_all(&router, 0).unwrap()[1], b"x");
        let (_, fd) = next_event_value(&mon, monitor::CONNECTED).expect("event");
        // SAFETY: the connection is open (its message just arrived) and
        // the fd stays open while the sockets are.
        let fd = unsafe { BorrowedFd::borrow_raw(fd as i32) };
        let mut usecs: i32 = 0;
        let mut len = std::mem::size_of::<i32>() as nix::libc::socklen_t;
        // SAFETY: both pointers are to live locals of the sizes given.
        let rc = unsafe {
            nix::libc::getsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&fd),
                nix::libc::SOL_SOCKET,
                nix::libc::SO_BUSY_POLL,
                (&mut usecs as *mut i32).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        assert_eq!(usecs, 40);
        // Any int is taken; zero and less leave the socket alone.
        set_int(&dealer, options::BUSY_POLL, -5);
        close_all(ctx, [router, dealer, mon]);
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

/// zmq_socket_monitor_versioned and zmq_socket_monitor_pipes_stats: a
/// draft build only, as in libzmq.
#[cfg(feature = "draft")]
mod monitor_v2 {
    use super::*;
    use zmq_core::Error;

    const PAIR: i32 = 0;
    const PUSH: i32 = 8;
    const PULL: i32 = 7;
    const DEALER: i32 = 5;
    const ROUTER: i32 = 6;
    const EVERY: u64 = monitor::ALL as u64 | monitor::PIPES_STATS as u64;

    /// One version 2 event: number, values, local and remote endpoint.
    #[derive(Debug)]
    struct Event {
        number: u64,
        values: Vec<u64>,
        local: String,
        remote: String,
    }

    fn watch_v2(ctx: &Context, s: &Socket, name: &str) -> Socket {
        let endpoint = format!("inproc://{name}");
        s.monitor(Some(&endpoint), EVERY, 2, PAIR).unwrap();
        let mon = open(ctx, PAIR);
        mon.connect(&endpoint).unwrap();
        set_int(&mon, options::RCVTIMEO, 5000);
        mon
    }

    fn read_event(mon: &Socket) -> Event {
        let frames = recv_all(mon, 0).expect("an event within 5 s");
        let number = |frame: &Vec<u8>| u64::from_ne_bytes(frame[..].try_into().unwrap());
        let count = number(&frames[1]) as usize;
        assert_eq!(frames.len(), 2 + count + 2, "{frames:?}");
        let text = |frame: &Vec<u8>| String::from_utf8(frame.clone()).unwrap();
        Event {
            number: number(&frames[0]),
            values: frames[2..2 + count].iter().map(number).collect(),
            local: text(&frames[2 + count]),
            remote: text(&frames[3 + count]),
        }
    }

    /// Reads events until one numbered `event`.
    fn expect(mon: &Socket, event: u32) -> Event {
        loop {
            let seen = read_event(mon);
            if seen.number == u64::from(event) {
                return seen;
            }
        }
    }

    #[test]
    fn events_name_both_ends_of_a_tcp_connection() {
        let ctx = Context::new();
        let server = open(&ctx, ROUTER);
        let server_mon = watch_v2(&ctx, &server, "v2-server");
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = last_endpoint(&server);
        let listening = expect(&server_mon, monitor::LISTENING);
        assert_eq!(
            (listening.local.as_str(), listening.remote.as_str()),
            (endpoint.as_str(), "")
        );
        assert_eq!(listening.values.len(), 1);

        let client = open(&ctx, DEALER);
        let client_mon = watch_v2(&ctx, &client, "v2-client");
        client.connect(&endpoint).unwrap();
        let delayed = expect(&client_mon, monitor::CONNECT_DELAYED);
        assert_eq!(
            (delayed.local.as_str(), delayed.remote.as_str()),
            ("", endpoint.as_str())
        );
        let connected = expect(&client_mon, monitor::CONNECTED);
        assert_eq!(connected.remote, endpoint);
        assert!(
            connected.local.starts_with("tcp://127.0.0.1:"),
            "{connected:?}"
        );
        assert_ne!(connected.local, endpoint);

        let accepted = expect(&server_mon, monitor::ACCEPTED);
        assert_eq!(accepted.local, endpoint);
        assert_eq!(
            accepted.remote, connected.local,
            "the client's end, seen from the server"
        );
        let shaken = expect(&server_mon, monitor::HANDSHAKE_SUCCEEDED);
        assert_eq!(shaken.local, endpoint);
        assert_eq!(
            shaken.remote, connected.local,
            "the client's end, seen from the server"
        );
        assert_eq!(shaken.values, [0]);

        // Three messages wait at the server, unread.
        for _ in 0..3 {
            send(&client, b"queued", 0).unwrap();
        }
        let mut stats = None;
        // The connection's pipe reaches the socket just after the
        // handshake (EAGAIN until then), and the messages a moment later.
        assert!(eventually(|| {
            match server.monitor_pipes_stats() {
                Ok(()) => {}
                Err(Error::Again) => return false,
                Err(e) => panic!("{e:?}"),
            }
            let event = expect(&server_mon, monitor::PIPES_STATS);
            let done = event.values == [0, 3];
            stats = Some(event);
            done
        }));
        let stats = stats.unwrap();
        assert_eq!(
            (stats.local.as_str(), stats.remote.as_str()),
            (endpoint.as_str(), connected.local.as_str())
        );

        // Stopping: MONITOR_STOPPED with one value and no endpoints.
        client.monitor(None, 0, 2, PAIR).unwrap();
        let stopped = expect(&client_mon, monitor::MONITOR_STOPPED);
        assert_eq!(stopped.values, [0]);
        assert_eq!((stopped.local.as_str(), stopped.remote.as_str()), ("", ""));
        close_all(ctx, [server, client, server_mon, client_mon]);
    }

    #[test]
    fn ipc_ends_are_the_path_and_an_unnamed_peer() {
        let ctx = Context::new();
        let server = open(&ctx, PULL);
        let server_mon = watch_v2(&ctx, &server, "v2-ipc-server");
        let endpoint = format!("ipc://@zmq-monitor-v2-{}", std::process::id());
        server.bind(&endpoint).unwrap();
        let client = open(&ctx, PUSH);
        let client_mon = watch_v2(&ctx, &client, "v2-ipc-client");
        client.connect(&endpoint).unwrap();
        let shaken = expect(&server_mon, monitor::HANDSHAKE_SUCCEEDED);
        assert_eq!(
            (shaken.local.as_str(), shaken.remote.as_str()),
            (endpoint.as_str(), "ipc://")
        );
        let connected = expect(&client_mon, monitor::CONNECTED);
        assert_eq!(
            (connected.local.as_str(), connected.remote.as_str()),
            ("ipc://", endpoint.as_str())
        );
        close_all(ctx, [server, client, server_mon, client_mon]);
    }

    /// The PUSH side of a stalled connection: what it wrote and the
    /// session has not taken is its outgoing queue.
    #[test]
    fn pipes_stats_count_messages_waiting_to_go_out() {
        let ctx = Context::new();
        let push = open(&ctx, PUSH);
        let mon = watch_v2(&ctx, &push, "v2-outbound");
        // No peer yet: the pipe of a connect exists (ZMQ_IMMEDIATE off).
        push.connect("tcp://127.0.0.1:1").unwrap();
        for _ in 0..5 {
            send(&push, b"waiting", zmq_core::socket::DONTWAIT).unwrap();
        }
        push.monitor_pipes_stats().unwrap();
        let stats = expect(&mon, monitor::PIPES_STATS);
        assert_eq!(stats.values, [5, 0]);
        assert_eq!(
            (stats.local.as_str(), stats.remote.as_str()),
            ("", "tcp://127.0.0.1:1")
        );
        set_int(&push, options::LINGER, 0);
        close_all(ctx, [push, mon]);
    }

    #[test]
    fn bad_arguments_are_refused_as_libzmq_does() {
        let ctx = Context::new();
        let s = open(&ctx, DEALER);
        // No monitor, or one without PIPES_STATS: EINVAL.
        assert_eq!(s.monitor_pipes_stats(), Err(Error::Invalid));
        s.monitor(Some("inproc://v2-bad-1"), u64::from(monitor::ALL), 2, PAIR)
            .unwrap();
        assert_eq!(s.monitor_pipes_stats(), Err(Error::Invalid));
        // Monitored, but no connection: EAGAIN.
        s.monitor(Some("inproc://v2-bad-2"), EVERY, 2, PAIR)
            .unwrap();
        assert_eq!(s.monitor_pipes_stats(), Err(Error::Again));
        // Version 1 has 16 bits of events.
        for events in [EVERY, u64::MAX, 1 << 16] {
            assert_eq!(
                s.monitor(Some("inproc://v2-bad-3"), events, 1, PAIR),
                Err(Error::Invalid)
            );
        }
        // Only PAIR, PUB and PUSH monitor sockets; versions 1 and 2.
        for kind in [DEALER, ROUTER, PULL, 2, -1, 99] {
            assert_eq!(
                s.monitor(Some("inproc://v2-bad-4"), EVERY, 2, kind),
                Err(Error::Invalid)
            );
        }
        for version in [0, 3, -1] {
            assert_eq!(
                s.monitor(Some("inproc://v2-bad-5"), EVERY, version, PAIR),
                Err(Error::Invalid)
            );
        }
        assert_eq!(
            s.monitor(Some("tcp://127.0.0.1:*"), EVERY, 2, PAIR),
            Err(Error::ProtocolNotSupported)
        );
        close_all(ctx, [s]);
    }

    /// A PUB monitor: subscribers pick events by their first frame.
    #[test]
    fn a_pub_monitor_lets_subscribers_choose_events() {
        let ctx = Context::new();
        let server = open(&ctx, PULL);
        server
            .monitor(Some("inproc://v2-pub"), EVERY, 2, PUB)
            .unwrap();
        let sub = open(&ctx, SUB);
        sub.connect("inproc://v2-pub").unwrap();
        sub.set_option(
            options::SUBSCRIBE,
            &u64::from(monitor::ACCEPTED).to_ne_bytes(),
        )
        .unwrap();
        set_int(&sub, options::RCVTIMEO, 1000);
        server.bind("tcp://127.0.0.1:*").unwrap();
        // LISTENING went unsubscribed. An event published before the
        // subscription reached the monitor is lost, as with any PUB: a
        // new peer makes a new ACCEPTED.
        let mut clients = Vec::new();
        let event = loop {
            assert!(clients.len() < 5, "no ACCEPTED event arrived");
            let client = open(&ctx, PUSH);
            client.connect(&last_endpoint(&server)).unwrap();
            clients.push(client);
            if let Ok(frames) = recv_all(&sub, 0) {
                break frames;
            }
        };
        assert_eq!(event.len(), 5, "number, count, value, two endpoints");
        assert_eq!(event[0], u64::from(monitor::ACCEPTED).to_ne_bytes());
        clients.extend([server, sub]);
        close_all(ctx, clients);
    }
}
