//! One ZMTP connection, attacked from the other end: the victim engine
//! (NULL, PLAIN or CURVE; client or server) first talks to an honest peer
//! for a few rounds, so that the attack starts anywhere in the greeting,
//! the handshake or the traffic after it, then takes the input's bytes in
//! random chunks. Nothing may panic, the engine must keep to its contract
//! (never more output than asked for, no use after failure), and a ZAP
//! request is answered with the input's verdict.
#![no_main]

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use zmq_core::msg::Msg;
use zmq_core::zmtp::engine::{Engine, EngineConfig};
use zmq_core::zmtp::greeting::MechanismName;

const DEALER: i32 = 5;
const ROUTER: i32 = 6;

type Key = [u8; 32];

/// A CURVE server's key pair and a client's (public, secret), made once.
struct Keys {
    server: (Key, Key),
    client: (Key, Key),
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        server: zmq_core::curve_keys::generate().unwrap(),
        client: zmq_core::curve_keys::generate().unwrap(),
    })
}

fn config(mechanism: MechanismName, server: bool, zap: bool) -> EngineConfig {
    let mut cfg = EngineConfig::new(if server { ROUTER } else { DEALER });
    cfg.routing_id = b"fuzz".to_vec();
    cfg.metadata = vec![("X-Fuzz".into(), b"1".to_vec())];
    cfg.heartbeat_ivl = Some(Duration::from_millis(10));
    cfg.heartbeat_timeout = Some(Duration::from_millis(30));
    cfg.heartbeat_ttl = Duration::from_millis(100);
    cfg.handshake_ivl = Some(Duration::from_millis(50));
    cfg.peer_address = "127.0.0.1".into();
    cfg.security.mechanism = mechanism;
    cfg.security.as_server = server;
    if zap {
        cfg.security.zap_domain = b"fuzz".to_vec();
    }
    cfg.security.plain_username = b"user".to_vec();
    cfg.security.plain_password = b"password".to_vec();
    let keys = keys();
    let (public, secret) = if server { keys.server } else { keys.client };
    cfg.security.curve_public_key = public;
    *cfg.security.curve_secret_key = secret;
    cfg.security.curve_server_key = keys.server.0;
    cfg
}

/// Everything the engine has to write.
fn drain(engine: &mut Engine) -> Vec<u8> {
    let mut bytes = Vec::new();
    while engine.has_output() {
        let mut slices = [IoSlice::new(&[]); 8];
        let n = engine.output(&mut slices);
        assert!(n <= slices.len());
        let before = bytes.len();
        for s in &slices[..n] {
            bytes.extend_from_slice(s);
        }
        let written = bytes.len() - before;
        if written == 0 {
            break;
        }
        engine.advance_output(written, Instant::now());
    }
    bytes
}

fn zap_frames(status: &[u8]) -> Vec<Msg> {
    let parts: [&[u8]; 7] = [b"", b"1.0", b"1", status, b"", b"user-id", b""];
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let mut msg = Msg::from_slice(part).unwrap();
            msg.set_more(i + 1 < parts.len());
            msg
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let [setup, rounds, chunking, verdict, rest @ ..] = data else {
        return;
    };
    let mechanism = match setup % 3 {
        0 => MechanismName::Null,
        1 => MechanismName::Plain,
        _ => MechanismName::Curve,
    };
    let victim_is_server = setup & 0x04 != 0;
    let zap = setup & 0x08 != 0;
    let status: &[u8] = match verdict % 4 {
        0 => b"200",
        1 => b"300",
        2 => b"400",
        _ => b"500",
    };
    let start = Instant::now();
    let mut now = start;
    let mut victim = Engine::new(config(mechanism, victim_is_server, zap), now);
    let mut honest = Engine::new(config(mechanism, !victim_is_server, false), now);
    let (mut at_victim, mut at_honest) = (VecDeque::new(), VecDeque::new());

    // An honest start: a few rounds of the real conversation.
    for _ in 0..(rounds % 6) {
        if let Some(_request) = victim.take_zap_request() {
            if victim.zap_reply(Some(&zap_frames(status)), now).is_err() {
                return;
            }
        }
        let to_victim = drain(&mut honest);
        let to_honest = drain(&mut victim);
        if victim.input(&to_victim, now, &mut at_victim).is_err() {
            return;
        }
        if honest.input(&to_honest, now, &mut at_honest).is_err() {
            break;
        }
    }
    if victim.is_active() && rounds & 0x80 != 0 {
        victim.send(Msg::from_slice(b"outgoing").unwrap());
    }

    // The attack: the rest, in chunks, with the clock moving on.
    let chunk = usize::from(*chunking).max(1);
    for piece in rest.chunks(chunk) {
        now += Duration::from_millis(u64::from(piece[0] % 8));
        if let Some(_request) = victim.take_zap_request() {
            if victim.zap_reply(Some(&zap_frames(status)), now).is_err() {
                return;
            }
        }
        if victim.input(piece, now, &mut at_victim).is_err() {
            // A failed connection is closed: nothing more is fed.
            let _ = drain(&mut victim);
            return;
        }
        let _ = drain(&mut victim);
        while at_victim.pop_front().is_some() {}
    }
    let _ = victim.take_ready();
});
