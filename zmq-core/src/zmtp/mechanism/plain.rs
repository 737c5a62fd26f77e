//! PLAIN (RFC 24): the client sends HELLO with a user name and password
//! in clear, the server asks ZAP and answers WELCOME (or ERROR), the
//! client sends INITIATE with its properties and the server READY with
//! its own. The server always asks ZAP: without a handler nobody gets in,
//! as in libzmq.

use super::super::command::Properties;
use super::super::engine::EngineConfig;
use super::super::protocol_error::*;
use super::zap::{status_in_reason, Verdict, ZapReply, ZapRequest};
use super::{
    command, command_with_properties, data_of, error_reason, peer_properties, Failure, Mechanism,
    Status,
};

/// PLAIN's ERROR as every libzmq (4.2 to 4.3.5) writes and reads it: its
/// name is the C string "\x05ERROR", whose hex escape takes the E along,
/// so the command begins with the five bytes 0x5e "RROR" and has no name
/// length. Our server sends this form, so that libzmq's clients see the
/// refusal a libzmq server gives them (they take RFC 24's ERROR for an
/// unexpected command); our client takes both forms.
const LIBZMQ_ERROR: &[u8] = b"\x5eRROR";

/// An ERROR in libzmq's form for RFC 24's `error`.
fn libzmq_error(error: Vec<u8>) -> Vec<u8> {
    match data_of(&error, b"ERROR") {
        Some(data) => [LIBZMQ_ERROR, data].concat(),
        None => error,
    }
}

/// An ERROR from the server, as the client sees it.
fn refused(data: &[u8]) -> Result<Failure, Failure> {
    let reason = error_reason(data)?;
    Ok(match status_in_reason(&reason) {
        Some(status) => Failure::Auth(status),
        None => Failure::Refused(reason),
    })
}

#[derive(Debug, PartialEq, Eq)]
enum ClientState {
    SendHello,
    AwaitWelcome,
    SendInitiate,
    AwaitReady,
    Ready,
    Failed(Failure),
}

pub struct Client {
    state: ClientState,
    hello: Vec<u8>,
    initiate: Result<Vec<u8>, Failure>,
    socket_type: i32,
    peer: Properties,
}

impl Client {
    pub fn new(config: &EngineConfig) -> Client {
        let security = &config.security;
        // The options allow at most 255 bytes for each.
        let (user, password) = (&security.plain_username, &security.plain_password);
        let mut data = Vec::with_capacity(2 + user.len() + password.len());
        data.push(user.len().min(255) as u8);
        data.extend_from_slice(&user[..user.len().min(255)]);
        data.push(password.len().min(255) as u8);
        data.extend_from_slice(&password[..password.len().min(255)]);
        Client {
            state: ClientState::SendHello,
            hello: command(b"HELLO", &data),
            initiate: command_with_properties(b"INITIATE", config),
            socket_type: config.socket_type,
            peer: Properties::new(),
        }
    }
}

impl Mechanism for Client {
    fn next_command(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        match self.state {
            ClientState::SendHello => {
                self.state = ClientState::AwaitWelcome;
                Ok(Some(self.hello.clone()))
            }
            ClientState::SendInitiate => {
                self.state = ClientState::AwaitReady;
                self.initiate.clone().map(Some)
            }
            _ => Ok(None),
        }
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        let unexpected = Failure::Protocol(UNEXPECTED_COMMAND);
        if let Some(data) = data_of(body, b"WELCOME") {
            if self.state != ClientState::AwaitWelcome {
                return Err(unexpected);
            }
            if !data.is_empty() {
                return Err(Failure::Protocol(MALFORMED_COMMAND_WELCOME));
            }
            self.state = ClientState::SendInitiate;
        } else if let Some(data) = data_of(body, b"READY") {
            if self.state != ClientState::AwaitReady {
                return Err(unexpected);
            }
            self.peer = peer_properties(self.socket_type, data)?;
            self.state = ClientState::Ready;
        } else if let Some(data) =
            data_of(body, b"ERROR").or_else(|| body.strip_prefix(LIBZMQ_ERROR))
        {
            if !matches!(
                self.state,
                ClientState::AwaitWelcome | ClientState::AwaitReady
            ) {
                return Err(unexpected);
            }
            self.state = ClientState::Failed(refused(data)?);
        } else {
            return Err(unexpected);
        }
        Ok(())
    }

    fn status(&self) -> Status {
        match &self.state {
            ClientState::Ready => Status::Ready,
            ClientState::Failed(f) => Status::Error(f.clone()),
            _ => Status::Handshaking,
        }
    }

    fn take_properties(&mut self) -> Properties {
        std::mem::take(&mut self.peer)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ServerState {
    AwaitHello,
    /// The request waits to be taken, then its reply.
    ZapRequest(ZapRequest),
    AwaitZap,
    SendWelcome,
    AwaitInitiate,
    SendReady,
    Ready,
    /// Denied: the ERROR to send (none for 300), then the failure.
    SendError(Option<Vec<u8>>, Failure),
    Failed(Failure),
}

pub struct Server {
    state: ServerState,
    config: EngineConfig,
    peer: Properties,
    zap_properties: Properties,
}

impl Server {
    pub fn new(config: &EngineConfig) -> Server {
        Server {
            state: ServerState::AwaitHello,
            config: config.clone(),
            peer: Properties::new(),
            zap_properties: Properties::new(),
        }
    }

    fn hello(&mut self, data: &[u8]) -> Result<(), Failure> {
        let malformed = Failure::Protocol(MALFORMED_COMMAND_HELLO);
        let (&user_len, rest) = data.split_first().ok_or(malformed.clone())?;
        let user = rest.get(..usize::from(user_len)).ok_or(malformed.clone())?;
        let rest = &rest[user.len()..];
        let (&password_len, password) = rest.split_first().ok_or(malformed.clone())?;
        if password.len() != usize::from(password_len) {
            return Err(malformed);
        }
        let request = ZapRequest::new(
            &self.config,
            "PLAIN",
            vec![user.to_vec(), password.to_vec()],
        );
        self.state = ServerState::ZapRequest(request);
        Ok(())
    }
}

impl Mechanism for Server {
    fn next_command(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        match std::mem::replace(&mut self.state, ServerState::AwaitInitiate) {
            ServerState::SendWelcome => Ok(Some(command(b"WELCOME", &[]))),
            ServerState::SendReady => {
                self.state = ServerState::Ready;
                command_with_properties(b"READY", &self.config).map(Some)
            }
            ServerState::SendError(error, failure) => {
                self.state = ServerState::Failed(failure);
                Ok(error)
            }
            other => {
                self.state = other;
                Ok(None)
            }
        }
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        // A body shorter than its own name is malformed before it is
        // anything else (libzmq's order of checks).
        if body.len() <= 1 || body.len() <= usize::from(body[0]) {
            return Err(Failure::Protocol(MALFORMED_COMMAND_UNSPECIFIED));
        }
        match self.state {
            ServerState::AwaitHello => match data_of(body, b"HELLO") {
                Some(data) => self.hello(data),
                None => Err(Failure::Protocol(UNEXPECTED_COMMAND)),
            },
            ServerState::AwaitInitiate => match data_of(body, b"INITIATE") {
                Some(data) => {
                    self.peer = peer_properties(self.config.socket_type, data)?;
                    self.state = ServerState::SendReady;
                    Ok(())
                }
                None => Err(Failure::Protocol(UNEXPECTED_COMMAND)),
            },
            _ => Err(Failure::Protocol(UNSPECIFIED)),
        }
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        match std::mem::replace(&mut self.state, ServerState::AwaitZap) {
            ServerState::ZapRequest(request) => Some(request),
            other => {
                self.state = other;
                None
            }
        }
    }

    fn zap_reply(&mut self, reply: Option<ZapReply>) -> Result<(), Failure> {
        if self.state != ServerState::AwaitZap {
            return Err(Failure::Protocol(ZAP_UNSPECIFIED));
        }
        self.state = match Verdict::of(reply, true) {
            Verdict::Allow(props) => {
                self.zap_properties = props;
                ServerState::SendWelcome
            }
            Verdict::Deny { failure, error } => {
                ServerState::SendError(error.map(libzmq_error), failure)
            }
        };
        Ok(())
    }

    fn status(&self) -> Status {
        match &self.state {
            ServerState::Ready => Status::Ready,
            ServerState::Failed(f) => Status::Error(f.clone()),
            _ => Status::Handshaking,
        }
    }

    fn take_properties(&mut self) -> Properties {
        super::with_zap_properties(std::mem::take(&mut self.peer), &self.zap_properties)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, config, run};
    use super::super::{MechanismName, Security};
    use super::*;

    const DEALER: i32 = 5;
    const ROUTER: i32 = 6;
    const PUSH: i32 = 8;

    fn security(server: bool, user: &[u8], password: &[u8]) -> Security {
        Security {
            mechanism: MechanismName::Plain,
            as_server: server,
            plain_username: user.to_vec(),
            plain_password: password.to_vec(),
            ..Security::default()
        }
    }

    fn pair(user: &[u8], password: &[u8]) -> (Client, Server) {
        (
            Client::new(&config(DEALER, security(false, user, password))),
            Server::new(&config(ROUTER, security(true, b"", b""))),
        )
    }

    #[test]
    fn a_good_handshake_asks_zap_with_the_credentials() {
        let (mut c, mut s) = pair(b"admin", b"secret");
        let run = run(&mut c, &mut s, &mut answer(b"200", b"admin-id")).unwrap();
        assert!(run.both_ready(), "{run:?}");
        assert_eq!(run.requests.len(), 1);
        assert_eq!(run.requests[0].mechanism, "PLAIN");
        assert_eq!(
            run.requests[0].credentials,
            [b"admin".to_vec(), b"secret".to_vec()]
        );
        let names: Vec<&[u8]> = run
            .wire
            .iter()
            .map(|(_, b)| &b[1..1 + b[0] as usize])
            .collect();
        assert_eq!(names, [&b"HELLO"[..], b"WELCOME", b"INITIATE", b"READY"]);
        assert_eq!(run.wire[0].1, b"\x05HELLO\x05admin\x06secret");
        let at_server = s.take_properties();
        assert_eq!(at_server.socket_type(), Some(&b"DEALER"[..]));
        assert_eq!(at_server.get("User-Id"), Some(&b"admin-id"[..]));
        assert_eq!(c.take_properties().socket_type(), Some(&b"ROUTER"[..]));
    }

    #[test]
    fn denial_sends_error_with_the_status_except_for_300() {
        for (status, code, error) in [
            (&b"400"[..], 400, Some(&b"\x5eRROR\x03400"[..])),
            (b"500", 500, Some(b"\x5eRROR\x03500")),
            (b"300", 300, None),
        ] {
            let (mut c, mut s) = pair(b"u", b"wrong");
            let run = run(&mut c, &mut s, &mut answer(status, b"")).unwrap();
            assert_eq!(run.server, Status::Error(Failure::Auth(code)));
            let from_server: Vec<&Vec<u8>> = run
                .wire
                .iter()
                .filter(|(c, _)| !c)
                .map(|(_, b)| b)
                .collect();
            match error {
                Some(e) => {
                    assert_eq!(from_server, [&e.to_vec()]);
                    assert_eq!(run.client, Status::Error(Failure::Auth(code)));
                }
                None => {
                    assert!(from_server.is_empty());
                    assert_eq!(run.client, Status::Handshaking);
                }
            }
        }
    }

    #[test]
    fn no_handler_means_no_access() {
        let (mut c, mut s) = pair(b"u", b"p");
        let run = run(&mut c, &mut s, &mut |_| None).unwrap();
        assert_eq!(
            run.server,
            Status::Error(Failure::NoDetail(nix::libc::EFAULT))
        );
        assert_eq!(run.client, Status::Handshaking);
    }

    #[test]
    fn socket_types_must_match() {
        let mut c = Client::new(&config(PUSH, security(false, b"u", b"p")));
        let mut s = Server::new(&config(ROUTER, security(true, b"", b"")));
        let err = run(&mut c, &mut s, &mut answer(b"200", b"")).unwrap_err();
        assert_eq!(
            err,
            (false, Failure::IncompatibleSocketType(b"PUSH".to_vec()))
        );
    }

    #[test]
    fn malformed_and_out_of_order_commands_are_refused() {
        let hello = |data: &[u8]| command(b"HELLO", data);
        for (bad, code) in [
            (hello(b""), MALFORMED_COMMAND_HELLO),
            (hello(b"\x05ab"), MALFORMED_COMMAND_HELLO),
            (hello(b"\x01a"), MALFORMED_COMMAND_HELLO),
            (hello(b"\x01a\x02b"), MALFORMED_COMMAND_HELLO),
            (hello(b"\x01a\x01bc"), MALFORMED_COMMAND_HELLO),
            (command(b"INITIATE", b""), UNEXPECTED_COMMAND),
            (command(b"READY", b""), UNEXPECTED_COMMAND),
        ] {
            let mut s = Server::new(&config(ROUTER, security(true, b"", b"")));
            assert_eq!(
                s.process_command(&bad),
                Err(Failure::Protocol(code)),
                "{bad:?}"
            );
        }
        // A second HELLO while ZAP is asked.
        let mut s = Server::new(&config(ROUTER, security(true, b"", b"")));
        s.process_command(&hello(b"\x01a\x01b")).unwrap();
        assert!(s.process_command(&hello(b"\x01a\x01b")).is_err());
        assert!(s.zap_reply(None).is_err(), "no request was taken");

        let mut c = Client::new(&config(DEALER, security(false, b"u", b"p")));
        assert_eq!(
            c.process_command(&command(b"READY", b"")),
            Err(Failure::Protocol(UNEXPECTED_COMMAND))
        );
        let mut c = Client::new(&config(DEALER, security(false, b"u", b"p")));
        c.next_command().unwrap();
        assert_eq!(
            c.process_command(&command(b"WELCOME", b"x")),
            Err(Failure::Protocol(MALFORMED_COMMAND_WELCOME))
        );
        let mut c = Client::new(&config(DEALER, security(false, b"u", b"p")));
        c.next_command().unwrap();
        assert_eq!(
            c.process_command(&command(b"ERROR", b"\x09x")),
            Err(Failure::Protocol(MALFORMED_COMMAND_ERROR))
        );
        let mut c = Client::new(&config(DEALER, security(false, b"u", b"p")));
        c.next_command().unwrap();
        c.process_command(&command(b"ERROR", b"\x07Invalid"))
            .unwrap();
        assert_eq!(
            c.status(),
            Status::Error(Failure::Refused(b"Invalid".to_vec()))
        );
    }

    #[test]
    fn the_client_takes_libzmqs_error_as_well_as_rfc_24s() {
        for (body, status) in [
            (&b"\x5eRROR\x03400"[..], Ok(Failure::Auth(400))),
            (b"\x05ERROR\x03500", Ok(Failure::Auth(500))),
            (b"\x5eRROR", Err(Failure::Protocol(MALFORMED_COMMAND_ERROR))),
            (
                b"\x5eRROR\x04400",
                Err(Failure::Protocol(MALFORMED_COMMAND_ERROR)),
            ),
        ] {
            let mut c = Client::new(&config(DEALER, security(false, b"u", b"p")));
            c.next_command().unwrap();
            match status {
                Ok(failure) => {
                    c.process_command(body).unwrap();
                    assert_eq!(c.status(), Status::Error(failure));
                }
                Err(failure) => assert_eq!(c.process_command(body), Err(failure)),
            }
        }
    }

    #[test]
    fn random_commands_never_panic() {
        let mut rng = super::super::super::TestRng::new(11);
        for _ in 0..2000 {
            let len = rng.below(40);
            let body = rng.bytes(len);
            let mut s = Server::new(&config(ROUTER, security(true, b"", b"")));
            let _ = s.process_command(&body);
            let mut c = Client::new(&config(DEALER, security(false, b"u", b"p")));
            let _ = c.next_command();
            let _ = c.process_command(&body);
        }
    }
}
