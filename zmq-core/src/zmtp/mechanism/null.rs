//! NULL (RFC 23): each side sends READY with its properties. With a ZAP
//! domain set, the side that has it asks the handler first (with no
//! credentials) and sends ERROR instead of READY when it is denied.

use super::super::command::Properties;
use super::super::engine::EngineConfig;
use super::super::protocol_error;
use super::zap::{status_in_reason, Verdict, ZapReply, ZapRequest};
use super::{
    command_with_properties, data_of, error_reason, peer_properties, Failure, Mechanism, Status,
};

#[derive(Debug, PartialEq, Eq)]
enum Zap {
    /// No ZAP domain: nobody is asked.
    NotAsked,
    /// The request is made and waits to be taken.
    Request(ZapRequest),
    /// Taken, waiting for the reply.
    Waiting,
    Done,
}

pub struct Null {
    socket_type: i32,
    ready: Result<Vec<u8>, Failure>,
    zap: Zap,
    enforce: bool,
    /// The handler's ERROR for the peer, then the failure.
    denied: Option<(Option<Vec<u8>>, Failure)>,
    ready_sent: bool,
    peer: Option<Properties>,
    zap_properties: Properties,
    failed: Option<Failure>,
}

impl Null {
    pub fn new(config: &EngineConfig) -> Null {
        let zap = if config.security.zap_domain.is_empty() {
            Zap::NotAsked
        } else {
            Zap::Request(ZapRequest::new(config, "NULL", Vec::new()))
        };
        Null {
            socket_type: config.socket_type,
            ready: command_with_properties(b"READY", config),
            zap,
            enforce: config.security.zap_enforce_domain,
            denied: None,
            ready_sent: false,
            peer: None,
            zap_properties: Properties::new(),
            failed: None,
        }
    }
}

impl Mechanism for Null {
    fn next_command(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        if self.ready_sent || self.failed.is_some() {
            return Ok(None);
        }
        if self.zap != Zap::NotAsked && self.zap != Zap::Done {
            return Ok(None);
        }
        if let Some((error, failure)) = self.denied.take() {
            self.failed = Some(failure);
            return Ok(error);
        }
        self.ready_sent = true;
        self.ready.clone().map(Some)
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        if self.peer.is_some() {
            return Err(Failure::Protocol(protocol_error::UNEXPECTED_COMMAND));
        }
        if let Some(data) = data_of(body, b"READY") {
            self.peer = Some(peer_properties(self.socket_type, data)?);
            return Ok(());
        }
        if let Some(data) = data_of(body, b"ERROR") {
            let reason = error_reason(data)?;
            let failure = match status_in_reason(&reason) {
                Some(status) => Failure::Auth(status),
                None => Failure::Refused(reason),
            };
            self.failed = Some(failure);
            return Ok(());
        }
        Err(Failure::Protocol(protocol_error::UNEXPECTED_COMMAND))
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        match std::mem::replace(&mut self.zap, Zap::Waiting) {
            Zap::Request(request) => Some(request),
            other => {
                self.zap = other;
                None
            }
        }
    }

    fn zap_reply(&mut self, reply: Option<ZapReply>) -> Result<(), Failure> {
        if self.zap != Zap::Waiting {
            return Err(Failure::Protocol(protocol_error::ZAP_UNSPECIFIED));
        }
        self.zap = Zap::Done;
        match Verdict::of(reply, self.enforce) {
            Verdict::Allow(props) => self.zap_properties = props,
            Verdict::Deny { failure, error } => self.denied = Some((error, failure)),
        }
        Ok(())
    }

    fn status(&self) -> Status {
        if let Some(failure) = &self.failed {
            return Status::Error(failure.clone());
        }
        if self.ready_sent && self.peer.is_some() {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    fn take_properties(&mut self) -> Properties {
        super::with_zap_properties(self.peer.take().unwrap_or_default(), &self.zap_properties)
    }
}
