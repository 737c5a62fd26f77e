//! Security over real connections: ZAP handlers (REP and ROUTER) deciding
//! for NULL and PLAIN peers over tcp and ipc, and handlers that misbehave
//! (garbage, silence, leaving), with the socket serving good peers after
//! each.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zmq_core::ctx::Context;
use zmq_core::monitor;
use zmq_core::socket::{options, Socket, DONTWAIT};
use zmq_core::Error;

mod common;
use common::*;

const REP: i32 = 4;
const DEALER: i32 = 5;
const ROUTER: i32 = 6;
const PULL: i32 = 7;
const PUSH: i32 = 8;

const ZAP: &str = "inproc://zeromq.zap.01";

/// What a handler answers to a request (its frames after the envelope):
/// the reply's status, user id and metadata, or whole frames of its own.
enum Answer {
    Reply(&'static [u8], &'static [u8], Vec<u8>),
    Raw(Vec<Vec<u8>>),
    Silence,
}

/// A ZAP handler on its own thread; it stops when dropped.
struct Handler {
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Handler {
    fn start(
        ctx: &Context,
        kind: i32,
        decide: impl Fn(&[Vec<u8>]) -> Answer + Send + 'static,
    ) -> Handler {
        let socket = open(ctx, kind);
        socket.bind(ZAP).unwrap();
        set_int(&socket, options::RCVTIMEO, 20);
        set_int(&socket, options::LINGER, 0);
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (stop2, requests2) = (stop.clone(), requests.clone());
        let thread = thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let frames = match recv_all(&socket, 0) {
                    Ok(frames) => frames,
                    Err(Error::Again) => continue,
                    Err(_) => break,
                };
                requests2.fetch_add(1, Ordering::Relaxed);
                // A ROUTER sees the routing id and the delimiter first.
                let envelope = if kind == ROUTER { 2 } else { 0 };
                let (head, request) = frames.split_at(envelope);
                let reply: Vec<Vec<u8>> = match decide(request) {
                    Answer::Reply(status, user, meta) => vec![
                        b"1.0".to_vec(),
                        request[1].clone(),
                        status.to_vec(),
                        b"text".to_vec(),
                        user.to_vec(),
                        meta,
                    ],
                    Answer::Raw(frames) => frames,
                    Answer::Silence => continue,
                };
                let all: Vec<&[u8]> = head.iter().chain(reply.iter()).map(Vec::as_slice).collect();
                let _ = send_all(&socket, &all);
            }
            socket.close().unwrap();
        });
        Handler {
            stop,
            requests,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A handler that lets in PLAIN user "admin" with password "secret", and
/// NULL peers of domain "good", naming each "user-1".
fn policy(request: &[Vec<u8>]) -> Answer {
    let allowed = match request[5].as_slice() {
        b"PLAIN" => request[6] == b"admin" && request[7] == b"secret",
        b"NULL" => request[2] == b"good",
        _ => false,
    };
    let meta = b"\x05Hello\x00\x00\x00\x05World".to_vec();
    if allowed {
        Answer::Reply(b"200", b"user-1", meta)
    } else {
        Answer::Reply(b"400", b"", Vec::new())
    }
}

fn plain_client(ctx: &Context, user: &[u8], password: &[u8]) -> Socket {
    let push = open(ctx, PUSH);
    push.set_option(options::PLAIN_USERNAME, user).unwrap();
    push.set_option(options::PLAIN_PASSWORD, password).unwrap();
    set_int(&push, options::LINGER, 0);
    push
}

fn plain_server(ctx: &Context, endpoint: &str) -> Socket {
    let pull = open(ctx, PULL);
    set_int(&pull, options::PLAIN_SERVER, 1);
    set_int(&pull, options::RCVTIMEO, 2000);
    pull.bind(endpoint).unwrap();
    pull
}

/// Sends "hi" from `client` and says whether `server` got it; a message
/// that arrives carries the handler's user id and metadata.
fn gets_through(client: &Socket, server: &Socket, endpoint: &str, wait_ms: i32) -> bool {
    client.connect(endpoint).unwrap();
    // A refused client drops its pipe for good (libzmq's rule), and a
    // refusal can come before the send: then there is nowhere to send to.
    set_int(client, options::SNDTIMEO, wait_ms);
    match send(client, b"hi", 0) {
        Ok(()) => {}
        Err(Error::Again) => return false,
        Err(e) => panic!("{e:?}"),
    }
    set_int(server, options::RCVTIMEO, wait_ms);
    match server.recv(0) {
        Ok(msg) => {
            assert_eq!(msg.as_slice(), b"hi");
            let meta = msg.metadata().expect("metadata");
            assert_eq!(meta.get("User-Id").unwrap().to_bytes(), b"user-1");
            assert_eq!(meta.get("Hello").unwrap().to_bytes(), b"World");
            true
        }
        Err(Error::Again) => false,
        Err(e) => panic!("{e:?}"),
    }
}

fn endpoints(name: &str) -> [String; 2] {
    [
        "tcp://127.0.0.1:*".to_owned(),
        format!("ipc://@zmq-security-{name}-{}", std::process::id()),
    ]
}

/// Where `s` is bound.
fn bound(s: &Socket) -> String {
    last_endpoint(s)
}

#[test]
fn plain_credentials_are_checked_by_the_handler() {
    for kind in [REP, ROUTER] {
        for endpoint in endpoints(&format!("plain-{kind}")) {
            let ctx = Context::new();
            let handler = Handler::start(&ctx, kind, policy);
            let server = plain_server(&ctx, &endpoint);
            let endpoint = bound(&server);
            let bad = plain_client(&ctx, b"admin", b"wrong");
            let mon = watch(&ctx, &bad, &format!("bad-{kind}-{}", endpoint.len()));
            assert!(!gets_through(&bad, &server, &endpoint, 300));
            let mut seen = events_until(&mon, &[monitor::HANDSHAKE_FAILED_AUTH]);
            assert!(seen.contains(&monitor::HANDSHAKE_FAILED_AUTH), "{seen:?}");
            // Refused once, the client does not try again (as in libzmq).
            seen.extend(events_during(&mon, Duration::from_millis(200)));
            assert!(!seen.contains(&monitor::CONNECT_RETRIED), "{seen:?}");
            let good = plain_client(&ctx, b"admin", b"secret");
            assert!(gets_through(&good, &server, &endpoint, 2000), "{endpoint}");
            assert_eq!(handler.requests(), 2);
            drop(handler);
            close_all(ctx, [bad, mon, good, server]);
        }
    }
}

#[test]
fn a_zap_domain_makes_null_peers_ask_too() {
    for (domain, allowed) in [(&b"good"[..], true), (b"bad", false)] {
        for endpoint in endpoints("null") {
            let ctx = Context::new();
            let handler = Handler::start(&ctx, REP, policy);
            let server = open(&ctx, PULL);
            server.set_option(options::ZAP_DOMAIN, domain).unwrap();
            server.bind(&endpoint).unwrap();
            let client = open(&ctx, PUSH);
            set_int(&client, options::LINGER, 0);
            let mon = watch(&ctx, &client, "null-client");
            // A refusal is awaited briefly; a success may take long on a
            // loaded machine.
            let wait = if allowed { 2000 } else { 300 };
            let got = gets_through(&client, &server, &bound(&server), wait);
            assert_eq!(got, allowed, "{domain:?} {endpoint}");
            let seen = events_until(
                &mon,
                &[monitor::HANDSHAKE_SUCCEEDED, monitor::HANDSHAKE_FAILED_AUTH],
            );
            assert_eq!(seen.contains(&monitor::HANDSHAKE_FAILED_AUTH), !allowed);
            assert_eq!(seen.contains(&monitor::HANDSHAKE_SUCCEEDED), allowed);
            assert_eq!(handler.requests(), 1, "{domain:?} {endpoint}");
            drop(handler);
            close_all(ctx, [client, server, mon]);
        }
    }
}

/// A server may refuse a NULL client before its READY arrives (libzmq
/// asks the handler at once): its greeting and ERROR come together, and
/// the server hangs up, so the client's READY meets a closed connection.
/// The client still reports the refusal, and does not try again.
#[test]
fn a_refusal_sent_with_the_greeting_is_a_refusal() {
    use std::os::unix::net::UnixListener;
    let path = std::env::temp_dir().join(format!("zmq-refusal-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    for round in 0..20 {
        let ctx = Context::new();
        let client = open(&ctx, PUSH);
        set_int(&client, options::LINGER, 0);
        let mon = watch(&ctx, &client, &format!("refused-{round}"));
        client
            .connect(&format!("ipc://{}", path.display()))
            .unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let mut greeting = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0];
        greeting.extend(b"NULL");
        greeting.resize(32, 0);
        greeting.push(1);
        greeting.resize(64, 0);
        greeting.extend(b"\x04\x0a\x05ERROR\x03400");
        server.write_all(&greeting).unwrap();
        drop(server);
        let mut seen = events_until(
            &mon,
            &[monitor::HANDSHAKE_FAILED_AUTH, monitor::CONNECT_RETRIED],
        );
        seen.extend(events_during(&mon, Duration::from_millis(50)));
        assert!(
            seen.contains(&monitor::HANDSHAKE_FAILED_AUTH),
            "{round}: {seen:?}"
        );
        assert!(
            !seen.contains(&monitor::CONNECT_RETRIED),
            "{round}: {seen:?}"
        );
        close_all(ctx, [client, mon]);
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn without_a_handler_plain_is_refused_and_null_allowed() {
    let ctx = Context::new();
    let server = plain_server(&ctx, "tcp://127.0.0.1:*");
    let client = plain_client(&ctx, b"admin", b"secret");
    client.connect(&bound(&server)).unwrap();
    send(&client, b"hi", 0).unwrap();
    set_int(&server, options::RCVTIMEO, 300);
    assert_eq!(recv(&server, 0), Err(Error::Again));

    let null = open(&ctx, PULL);
    null.set_option(options::ZAP_DOMAIN, b"any").unwrap();
    null.bind("tcp://127.0.0.1:*").unwrap();
    let peer = open(&ctx, PUSH);
    peer.connect(&bound(&null)).unwrap();
    send(&peer, b"hi", 0).unwrap();
    set_int(&null, options::RCVTIMEO, 2000);
    assert_eq!(recv(&null, 0).unwrap(), b"hi");
    // Unless the domain must be enforced.
    let strict = open(&ctx, PULL);
    strict.set_option(options::ZAP_DOMAIN, b"any").unwrap();
    set_int(&strict, options::ZAP_ENFORCE_DOMAIN, 1);
    strict.bind("tcp://127.0.0.1:*").unwrap();
    let refused = open(&ctx, PUSH);
    set_int(&refused, options::LINGER, 0);
    refused.connect(&bound(&strict)).unwrap();
    send(&refused, b"hi", 0).unwrap();
    set_int(&strict, options::RCVTIMEO, 300);
    assert_eq!(recv(&strict, 0), Err(Error::Again));
    close_all(ctx, [server, client, null, peer, strict, refused]);
}

#[test]
fn a_handler_that_misbehaves_refuses_the_peer_and_nothing_else() {
    let garbage: Vec<Answer> = vec![
        Answer::Raw(vec![b"2.0".to_vec(), b"1".to_vec(), b"200".to_vec()]),
        Answer::Raw(vec![
            b"1.0".to_vec(),
            b"1".to_vec(),
            b"201".to_vec(),
            b"".to_vec(),
            b"".to_vec(),
            b"".to_vec(),
        ]),
        Answer::Raw(vec![b"x".to_vec(); 20]),
        Answer::Raw(vec![vec![0xff; 100_000]; 6]),
    ];
    let ctx = Context::new();
    let server = plain_server(&ctx, "tcp://127.0.0.1:*");
    let endpoint = bound(&server);
    for (i, answer) in garbage.into_iter().enumerate() {
        let answer = Arc::new(parking_lot::Mutex::new(Some(answer)));
        let handler = Handler::start(&ctx, REP, move |request| {
            answer.lock().take().unwrap_or_else(|| policy(request))
        });
        let mon = watch(&ctx, &server, &format!("garbage-{i}"));
        // The connection the garbage answered is dropped; the client
        // connects again and is let in by the proper answer.
        let client = plain_client(&ctx, b"admin", b"secret");
        assert!(gets_through(&client, &server, &endpoint, 3000), "{i}");
        assert_eq!(handler.requests(), 2, "{i}");
        let seen = events_until(&mon, &[monitor::HANDSHAKE_FAILED_PROTOCOL]);
        assert!(
            seen.contains(&monitor::HANDSHAKE_FAILED_PROTOCOL),
            "{i}: {seen:?}"
        );
        server.monitor(None, 0, 1, 0).unwrap();
        drop(handler);
        for s in [client, mon] {
            s.close().unwrap();
        }
    }
    server.close().unwrap();
    ctx.terminate().unwrap();
}

#[test]
fn a_silent_or_departed_handler_holds_no_one_forever() {
    let ctx = Context::new();
    let server = open(&ctx, PULL);
    set_int(&server, options::PLAIN_SERVER, 1);
    set_int(&server, options::HANDSHAKE_IVL, 200);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = bound(&server);
    let mon = watch(&ctx, &server, "silent");
    // Silence: the handshake times out.
    let handler = Handler::start(&ctx, REP, |_| Answer::Silence);
    let waiting = plain_client(&ctx, b"admin", b"secret");
    assert!(!gets_through(&waiting, &server, &endpoint, 500));
    assert!(handler.requests() >= 1);
    let seen = events_until(&mon, &[monitor::HANDSHAKE_FAILED_NO_DETAIL]);
    assert!(
        seen.contains(&monitor::HANDSHAKE_FAILED_NO_DETAIL),
        "{seen:?}"
    );
    drop(handler);
    // The handler left with a request pending: refused at once.
    let leaving = open(&ctx, REP);
    leaving.bind(ZAP).unwrap();
    let client = plain_client(&ctx, b"admin", b"secret");
    client.connect(&endpoint).unwrap();
    send(&client, b"hi", 0).unwrap();
    set_int(&leaving, options::RCVTIMEO, 2000);
    assert!(recv_all(&leaving, 0).is_ok(), "the request arrived");
    leaving.close().unwrap();
    set_int(&server, options::RCVTIMEO, 300);
    assert_eq!(recv(&server, 0), Err(Error::Again));
    // A new handler serves the next peer.
    let handler = Handler::start(&ctx, ROUTER, policy);
    let good = plain_client(&ctx, b"admin", b"secret");
    assert!(gets_through(&good, &server, &endpoint, 2000));
    drop(handler);
    close_all(ctx, [server, mon, waiting, client, good]);
}

/// The start of a PLAIN client's conversation: a ZMTP 3.0 greeting naming
/// PLAIN, then HELLO.
fn plain_hello(user: &[u8], password: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0];
    let mut mechanism = [0u8; 20];
    mechanism[..5].copy_from_slice(b"PLAIN");
    bytes.extend_from_slice(&mechanism);
    bytes.extend_from_slice(&[0; 32]);
    let mut hello = vec![5];
    hello.extend_from_slice(b"HELLO");
    hello.push(user.len() as u8);
    hello.extend_from_slice(user);
    hello.push(password.len() as u8);
    hello.extend_from_slice(password);
    bytes.extend_from_slice(&[0x04, hello.len() as u8]);
    bytes.extend_from_slice(&hello);
    bytes
}

/// CVE-2020-15166: connections that never finish their handshake (silent
/// ones, and a flood of HELLOs the handler refuses) attach nothing to the
/// socket and hold up no authenticated peer.
#[test]
fn cve_2020_15166_unauthenticated_connections_hold_up_no_one() {
    let ctx = Context::new();
    let handler = Handler::start(&ctx, REP, policy);
    let server = open(&ctx, ROUTER);
    set_int(&server, options::PLAIN_SERVER, 1);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let port = bound_port(&server);
    let silent: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let mut flood: Vec<TcpStream> = (0..50)
        .map(|i| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(&plain_hello(b"admin", format!("guess{i}").as_bytes()))
                .unwrap();
            s
        })
        .collect();
    let good = open(&ctx, DEALER);
    good.set_option(options::PLAIN_USERNAME, b"admin").unwrap();
    good.set_option(options::PLAIN_PASSWORD, b"secret").unwrap();
    good.connect(&bound(&server)).unwrap();
    send(&good, b"hi", 0).unwrap();
    set_int(&server, options::RCVTIMEO, 3000);
    let frames = recv_all(&server, 0).unwrap();
    assert_eq!(frames[1], b"hi");
    // Nothing from anyone else: no pipe was attached for them.
    assert_eq!(recv(&server, DONTWAIT), Err(Error::Again));
    // Each guess was refused with an ERROR (in libzmq's PLAIN form, see
    // mechanism/plain.rs) and the connection closed.
    for s in &mut flood {
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut all = Vec::new();
        let _ = s.read_to_end(&mut all);
        assert!(
            all.windows(11).any(|w| w == b"\x04\x09\x5eRROR\x03400"),
            "{:?}",
            &all[all.len().saturating_sub(16)..]
        );
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while handler.requests() < 51 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(handler.requests(), 51);
    drop(silent);
    drop(handler);
    close_all(ctx, [server, good]);
}

/// A client that stops in the middle of its handshake (after HELLO, or
/// after the greeting alone) is closed once ZMQ_HANDSHAKE_IVL passes.
#[test]
fn a_stalled_handshake_is_closed_by_the_handshake_interval() {
    let ctx = Context::new();
    let handler = Handler::start(&ctx, REP, |_| Answer::Silence);
    let server = open(&ctx, PULL);
    set_int(&server, options::PLAIN_SERVER, 1);
    set_int(&server, options::HANDSHAKE_IVL, 100);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let port = bound_port(&server);
    let hello = plain_hello(b"admin", b"secret");
    for cut in [10, 64, hello.len()] {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(&hello[..cut]).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut all = Vec::new();
        // The server's greeting, then the end of the stream: not a timeout.
        stream.read_to_end(&mut all).unwrap();
        assert!(all.len() >= 10 && all[0] == 0xff, "{cut}: {all:?}");
    }
    drop(handler);
    close_all(ctx, [server]);
}
