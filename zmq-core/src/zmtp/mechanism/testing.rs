//! An in-memory driver for mechanism tests: two sides exchange command
//! bodies directly, and ZAP requests are answered by a closure, so every
//! handshake is tested client against server before any socket exists.

use super::super::engine::EngineConfig;
use super::zap::{ZapReply, ZapRequest};
use super::{Failure, Mechanism, Security, Status};
use crate::msg::Msg;

/// An engine configuration for `socket_type` with these security options.
pub(crate) fn config(socket_type: i32, security: Security) -> EngineConfig {
    let mut config = EngineConfig::new(socket_type);
    config.security = security;
    config.peer_address = "127.0.0.1".into();
    config
}

/// How a run ended.
#[derive(Debug)]
pub(crate) struct Run {
    pub client: Status,
    pub server: Status,
    /// The ZAP requests made, in order.
    pub requests: Vec<ZapRequest>,
    /// Every command body sent, with the side that sent it (true: client).
    pub wire: Vec<(bool, Vec<u8>)>,
}

impl Run {
    pub fn both_ready(&self) -> bool {
        self.client == Status::Ready && self.server == Status::Ready
    }
}

/// A handler that answers every request with this status and user id.
pub(crate) fn answer(
    status: &'static [u8],
    user_id: &'static [u8],
) -> impl FnMut(&ZapRequest) -> Option<ZapReply> {
    move |_| {
        let parts: [&[u8]; 7] = [b"", b"1.0", b"1", status, b"", user_id, b""];
        let frames: Vec<Msg> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut m = Msg::from_slice(p).unwrap();
                m.set_more(i < 6);
                m
            })
            .collect();
        Some(ZapReply::parse(&frames).unwrap())
    }
}

/// Moves commands between the two sides until neither has anything to
/// say. A side's error in `process_command` or `next_command` ends the
/// run and is returned; otherwise the statuses tell the outcome.
pub(crate) fn run(
    client: &mut dyn Mechanism,
    server: &mut dyn Mechanism,
    zap: &mut dyn FnMut(&ZapRequest) -> Option<ZapReply>,
) -> Result<Run, (bool, Failure)> {
    let mut requests = Vec::new();
    let mut wire = Vec::new();
    for _ in 0..64 {
        let mut progress = false;
        for from_client in [true, false] {
            let (from, to): (&mut dyn Mechanism, &mut dyn Mechanism) = if from_client {
                (&mut *client, &mut *server)
            } else {
                (&mut *server, &mut *client)
            };
            if let Some(request) = from.take_zap_request() {
                let reply = zap(&request);
                requests.push(request);
                from.zap_reply(reply).map_err(|f| (from_client, f))?;
                progress = true;
            }
            while let Some(body) = from.next_command().map_err(|f| (from_client, f))? {
                progress = true;
                wire.push((from_client, body.clone()));
                if to.status() == Status::Handshaking {
                    to.process_command(&body).map_err(|f| (!from_client, f))?;
                }
            }
        }
        if !progress {
            break;
        }
    }
    Ok(Run {
        client: client.status(),
        server: server.status(),
        requests,
        wire,
    })
}
