//! CURVE (RFC 25, ZMTP-CURVE, carrying RFC 26, CurveZMQ): the client proves
//! it knows the server's long-term key, both sides swap short-term keys,
//! the client vouches for its short-term key with its long-term one, which
//! the server hands to ZAP, and every frame after the handshake travels in
//! a MESSAGE box. The wire layout and checks are libzmq 4.3's:
//!
//! ```text
//! HELLO     200   name(6) version 1.0(2) zeros(72) C'(32) nonce(8) Box[64 zeros](C'->S)(80)
//! WELCOME   168   name(8) nonce(16) Box[S' cookie](S->C')(144)
//! INITIATE  257+  name(9) cookie(96) nonce(8) Box[C vouch-nonce(16) vouch(80) metadata](C'->S')
//! READY     30+   name(6) nonce(8) Box[metadata](S'->C')
//! MESSAGE   33+   name(8) nonce(8) Box[flags(1) body](C'->S' or S'->C')
//!
//! cookie = nonce(16) SecretBox[C' s'](t, a key of the server's own)
//! vouch  = Box[C' S](C->S')
//! ```
//!
//! A box is a NaCl crypto_box (tag, then ciphertext). Eight-byte nonces
//! count up and take a 16-byte prefix naming the command; sixteen-byte
//! ones are random and take an 8-byte prefix.

use crypto_box::aead::consts::{U16, U24};
use crypto_box::aead::generic_array::GenericArray;
use crypto_box::aead::{AeadInPlace, KeyInit};
use crypto_box::{PublicKey, SalsaBox, SecretKey};
use crypto_secretbox::XSalsa20Poly1305;
use zeroize::Zeroizing;

use super::super::command::Properties;
use super::super::engine::EngineConfig;
use super::super::protocol_error::*;
use super::zap::{status_in_reason, Verdict, ZapReply, ZapRequest};
use super::{
    basic_properties, data_of, error_reason, peer_properties, Failure, Mechanism, Status, KEY_LEN,
};
use crate::msg::{self, Msg};

const HELLO_LEN: usize = 200;
const WELCOME_LEN: usize = 168;
const INITIATE_MIN_LEN: usize = 257;
const READY_MIN_LEN: usize = 30;
/// Name, nonce, tag and the flags octet: a MESSAGE with an empty body.
const MESSAGE_MIN_LEN: usize = 8 + 8 + TAG_LEN + 1;
const TAG_LEN: usize = 16;
/// A cookie: its nonce and the 80-byte box of C' and s'.
const COOKIE_LEN: usize = 16 + 64 + TAG_LEN;

const HELLO: &[u8] = b"\x05HELLO";
const INITIATE: &[u8] = b"\x08INITIATE";
const MESSAGE: &[u8] = b"\x07MESSAGE";

const HELLO_NONCE: &[u8; 16] = b"CurveZMQHELLO---";
const WELCOME_NONCE: &[u8; 8] = b"WELCOME-";
const COOKIE_NONCE: &[u8; 8] = b"COOKIE--";
const INITIATE_NONCE: &[u8; 16] = b"CurveZMQINITIATE";
const VOUCH_NONCE: &[u8; 8] = b"VOUCH---";
const READY_NONCE: &[u8; 16] = b"CurveZMQREADY---";
const CLIENT_MESSAGE_NONCE: &[u8; 16] = b"CurveZMQMESSAGEC";
const SERVER_MESSAGE_NONCE: &[u8; 16] = b"CurveZMQMESSAGES";

/// The frame flags a MESSAGE carries inside its box (libzmq's bits).
const BOXED_FLAGS: u8 = msg::flags::MORE | msg::flags::COMMAND;

type Nonce = crypto_box::Nonce;
type Key = [u8; KEY_LEN];

// ---------------------------------------------------------------------------
// Boxes, keys and nonces: every cryptographic operation goes through here.

fn cryptographic() -> Failure {
    Failure::Protocol(CRYPTOGRAPHIC)
}

fn no_memory() -> Failure {
    Failure::NoDetail(nix::libc::ENOMEM)
}

/// A nonce of a 16-byte prefix and an 8-byte counter.
fn short_nonce(prefix: &[u8; 16], counter: &[u8; 8]) -> Nonce {
    let mut nonce = Nonce::default();
    nonce[..16].copy_from_slice(prefix);
    nonce[16..].copy_from_slice(counter);
    nonce
}

/// A nonce of an 8-byte prefix and 16 random bytes.
fn long_nonce(prefix: &[u8; 8], random: &[u8; 16]) -> Nonce {
    let mut nonce = Nonce::default();
    nonce[..8].copy_from_slice(prefix);
    nonce[8..].copy_from_slice(random);
    nonce
}

/// Boxes `buf[TAG_LEN..]` where it lies and writes the tag in front, which
/// is NaCl's layout (crypto_box_easy).
fn seal_in_place<A>(cipher: &A, nonce: &Nonce, buf: &mut [u8]) -> Result<(), Failure>
where
    A: AeadInPlace<NonceSize = U24, TagSize = U16>,
{
    let (tag_space, text) = buf
        .split_at_mut_checked(TAG_LEN)
        .ok_or_else(cryptographic)?;
    let tag = cipher
        .encrypt_in_place_detached(nonce, b"", text)
        .map_err(|_| cryptographic())?;
    tag_space.copy_from_slice(&tag);
    Ok(())
}

/// Appends the box of `plaintext` to `out`.
fn seal_into<A>(
    cipher: &A,
    nonce: &Nonce,
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Failure>
where
    A: AeadInPlace<NonceSize = U24, TagSize = U16>,
{
    let start = out.len();
    out.resize(start + TAG_LEN, 0);
    out.extend_from_slice(plaintext);
    seal_in_place(cipher, nonce, &mut out[start..])
}

/// Opens `text` in place against `tag`; after a failure `text` is not to
/// be used.
fn open_in_place<A>(cipher: &A, nonce: &Nonce, tag: &[u8], text: &mut [u8]) -> Result<(), Failure>
where
    A: AeadInPlace<NonceSize = U24, TagSize = U16>,
{
    if tag.len() != TAG_LEN {
        return Err(cryptographic());
    }
    cipher
        .decrypt_in_place_detached(nonce, b"", text, GenericArray::from_slice(tag))
        .map_err(|_| cryptographic())
}

/// Opens a box (tag, then ciphertext). The plaintext is wiped when dropped:
/// a cookie holds a short-term secret.
fn open<A>(cipher: &A, nonce: &Nonce, boxed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Failure>
where
    A: AeadInPlace<NonceSize = U24, TagSize = U16>,
{
    let (tag, text) = boxed.split_at_checked(TAG_LEN).ok_or_else(cryptographic)?;
    let mut plain = Zeroizing::new(text.to_vec());
    open_in_place(cipher, nonce, tag, &mut plain)?;
    Ok(plain)
}

/// Runs `f` with `secret` as a crypto_box key. Its `SecretKey` wipes the
/// scalar when dropped but not the bytes it was made from, so secrets are
/// kept in `Zeroizing` arrays and a `SecretKey` lives for one call, its
/// bytes overwritten in place afterwards.
fn with_secret<R>(secret: &Key, f: impl FnOnce(&SecretKey) -> R) -> R {
    let mut key = SecretKey::from_bytes(*secret);
    let result = f(&key);
    key = SecretKey::from_bytes([0; KEY_LEN]);
    // The overwrite must not be optimised away as a dead store.
    std::hint::black_box(&key);
    result
}

/// The public keys libsodium refuses (its `has_small_order` list): the
/// points of small order, and the other encodings of 0, 1 and -1 below
/// 2^255. With one of them the shared secret takes one of a few values
/// whatever our secret is (crypto_box reduces the clamped scalar modulo the
/// group order, so not even always zero), and anyone could open the boxes.
const SMALL_ORDER: [Key; 7] = [
    edge(0x00, 0x00, 0x00), // 0
    edge(0x01, 0x00, 0x00), // 1
    // The two points of order 8.
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ],
    edge(0xec, 0xff, 0x7f), // p - 1
    edge(0xed, 0xff, 0x7f), // p, that is 0
    edge(0xee, 0xff, 0x7f), // p + 1, that is 1
];

/// A little-endian number of this first octet, these middle ones and this
/// last one.
const fn edge(first: u8, middle: u8, last: u8) -> Key {
    let mut key = [middle; KEY_LEN];
    key[0] = first;
    key[KEY_LEN - 1] = last;
    key
}

/// Whether libsodium would refuse `public`; like it, the top bit (not
/// part of a u-coordinate) is ignored.
fn of_small_order(public: &Key) -> bool {
    SMALL_ORDER.iter().any(|bad| {
        public[..KEY_LEN - 1] == bad[..KEY_LEN - 1]
            && public[KEY_LEN - 1] & 0x7f == bad[KEY_LEN - 1]
    })
}

/// The box key (crypto_box_beforenm) of the peer's `public` and our
/// `secret`; a key libsodium would refuse fails as a box that does not
/// open, as it does in libzmq.
fn box_key(public: &Key, secret: &Key) -> Result<SalsaBox, Failure> {
    if of_small_order(public) {
        return Err(cryptographic());
    }
    Ok(with_secret(secret, |s| {
        SalsaBox::new(&PublicKey::from(*public), s)
    }))
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, Failure> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::getrandom(&mut bytes[..])
        .map_err(|e| Failure::NoDetail(e.raw_os_error().unwrap_or(nix::libc::EIO)))?;
    Ok(bytes)
}

/// A short-term key pair, made for one connection.
struct KeyPair {
    public: Key,
    secret: Zeroizing<Key>,
}

impl KeyPair {
    fn generate() -> Result<KeyPair, Failure> {
        let secret = random::<KEY_LEN>()?;
        let public = with_secret(&secret, |s| s.public_key().to_bytes());
        Ok(KeyPair { public, secret })
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `N` bytes of `data` from `at`, if it has them.
fn field<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    data.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// libzmq's first check of a command the server expects and of a MESSAGE:
/// something after the name-length octet, and more than the name.
fn check_structure(body: &[u8]) -> Result<(), Failure> {
    match body.first() {
        Some(&len) if body.len() > 1 && body.len() > usize::from(len) => Ok(()),
        _ => Err(Failure::Protocol(MALFORMED_COMMAND_UNSPECIFIED)),
    }
}

/// Our encoded properties, for INITIATE or READY.
fn metadata(config: &EngineConfig) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    basic_properties(config)
        .encode_into(&mut out)
        .map_err(|_| Failure::Protocol(UNSPECIFIED))?;
    Ok(out)
}

/// One side's short nonces and, once both short-term keys are known, the
/// box key for INITIATE, READY and MESSAGE. As in libzmq, our nonces form
/// one sequence from 1 across HELLO, INITIATE or READY and then each
/// MESSAGE (a client's first MESSAGE is 3, a server's 2), and a MESSAGE
/// must carry a nonce above the last one the peer used, its INITIATE's or
/// READY's included.
struct Session {
    key: Option<SalsaBox>,
    next_nonce: u64,
    peer_nonce: u64,
    send_prefix: &'static [u8; 16],
    receive_prefix: &'static [u8; 16],
}

impl Session {
    fn new(client: bool) -> Session {
        let (send_prefix, receive_prefix) = if client {
            (CLIENT_MESSAGE_NONCE, SERVER_MESSAGE_NONCE)
        } else {
            (SERVER_MESSAGE_NONCE, CLIENT_MESSAGE_NONCE)
        };
        Session {
            key: None,
            next_nonce: 1,
            peer_nonce: 0,
            send_prefix,
            receive_prefix,
        }
    }

    /// Our next short nonce. The counter stops short of wrapping: reusing a
    /// nonce would expose the plaintexts.
    fn take_nonce(&mut self) -> Result<[u8; 8], Failure> {
        let nonce = self.next_nonce;
        self.next_nonce = nonce
            .checked_add(1)
            .ok_or(Failure::Protocol(INVALID_SEQUENCE))?;
        Ok(nonce.to_be_bytes())
    }

    fn key(&self) -> Result<&SalsaBox, Failure> {
        self.key.as_ref().ok_or(Failure::Protocol(UNSPECIFIED))
    }

    /// A handshake command boxed under the session key: name, nonce, box.
    fn seal_command(
        &mut self,
        name: &[u8],
        prefix: &[u8; 16],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Failure> {
        self.key()?;
        let nonce = self.take_nonce()?;
        let mut body = Vec::with_capacity(name.len() + 8 + TAG_LEN + plaintext.len());
        body.extend_from_slice(name);
        body.extend_from_slice(&nonce);
        seal_into(
            self.key()?,
            &short_nonce(prefix, &nonce),
            plaintext,
            &mut body,
        )?;
        Ok(body)
    }

    /// Opens the peer's INITIATE or READY box and remembers its nonce.
    fn open_command(
        &mut self,
        prefix: &[u8; 16],
        nonce: [u8; 8],
        boxed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Failure> {
        let plain = open(self.key()?, &short_nonce(prefix, &nonce), boxed)?;
        self.peer_nonce = u64::from_be_bytes(nonce);
        Ok(plain)
    }

    /// A frame as a MESSAGE. The frame that carries it has no flags of its
    /// own: libzmq sends MESSAGE as a data frame, whatever the flags inside.
    fn encode(&mut self, frame: &Msg) -> Result<Msg, Failure> {
        self.key()?;
        let counter = self.take_nonce()?;
        let len = MESSAGE_MIN_LEN
            .checked_add(frame.len())
            .ok_or_else(no_memory)?;
        let mut out = Msg::with_size(len).map_err(|_| no_memory())?;
        let buf = out.as_mut_slice();
        let (header, boxed) = buf.split_at_mut(MESSAGE.len() + 8);
        header[..MESSAGE.len()].copy_from_slice(MESSAGE);
        header[MESSAGE.len()..].copy_from_slice(&counter);
        let (flags, body) = boxed[TAG_LEN..].split_at_mut(1);
        flags[0] = frame.flags() & BOXED_FLAGS;
        body.copy_from_slice(frame.as_slice());
        seal_in_place(self.key()?, &short_nonce(self.send_prefix, &counter), boxed)?;
        Ok(out)
    }

    /// A MESSAGE back into the frame it carries, with its MORE and COMMAND
    /// flags. The checks and their codes are libzmq's, in its order.
    fn decode(&mut self, message: &Msg) -> Result<Msg, Failure> {
        let body = message.as_slice();
        check_structure(body)?;
        if !body.starts_with(MESSAGE) {
            return Err(Failure::Protocol(UNEXPECTED_COMMAND));
        }
        let malformed = Failure::Protocol(MALFORMED_COMMAND_MESSAGE);
        if body.len() < MESSAGE_MIN_LEN {
            return Err(malformed);
        }
        let counter: [u8; 8] = field(body, MESSAGE.len()).ok_or(malformed.clone())?;
        let nonce = u64::from_be_bytes(counter);
        // CVE-2014-7203: a replayed or reordered MESSAGE is refused.
        if nonce <= self.peer_nonce {
            return Err(Failure::Protocol(INVALID_SEQUENCE));
        }
        let tag_at = MESSAGE.len() + 8;
        let tag = body
            .get(tag_at..tag_at + TAG_LEN)
            .ok_or(malformed.clone())?;
        let mut plain = body.get(tag_at + TAG_LEN..).ok_or(malformed)?.to_vec();
        open_in_place(
            self.key()?,
            &short_nonce(self.receive_prefix, &counter),
            tag,
            &mut plain,
        )?;
        self.peer_nonce = nonce;
        let (&flags, frame_body) = plain.split_first().ok_or_else(cryptographic)?;
        let mut frame = Msg::from_slice(frame_body).map_err(|_| no_memory())?;
        frame.set_flags(flags & BOXED_FLAGS);
        Ok(frame)
    }
}

// ---------------------------------------------------------------------------
// Client

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
    socket_type: i32,
    metadata: Result<Vec<u8>, Failure>,
    /// C and c, our long-term pair.
    public: Key,
    secret: Zeroizing<Key>,
    /// S, the server's long-term key.
    server: Key,
    /// C' and c', made when HELLO is.
    short: Option<KeyPair>,
    /// The box key of S and c', for HELLO and WELCOME.
    hello_key: Option<SalsaBox>,
    /// S' and the cookie, from WELCOME.
    server_short: Key,
    cookie: [u8; COOKIE_LEN],
    session: Session,
    peer: Properties,
}

impl Client {
    pub fn new(config: &EngineConfig) -> Client {
        let security = &config.security;
        Client {
            state: ClientState::SendHello,
            socket_type: config.socket_type,
            metadata: metadata(config),
            public: security.curve_public_key,
            secret: security.curve_secret_key.clone(),
            server: security.curve_server_key,
            short: None,
            hello_key: None,
            server_short: [0; KEY_LEN],
            cookie: [0; COOKIE_LEN],
            session: Session::new(true),
            peer: Properties::new(),
        }
    }

    fn hello(&mut self) -> Result<Vec<u8>, Failure> {
        let short = KeyPair::generate()?;
        let key = box_key(&self.server, &short.secret)?;
        let nonce = self.session.take_nonce()?;
        let mut body = Vec::with_capacity(HELLO_LEN);
        body.extend_from_slice(HELLO);
        body.extend_from_slice(&[1, 0]);
        // Padding, so that HELLO is no shorter than WELCOME: no
        // amplification for spoofed clients.
        body.resize(80, 0);
        body.extend_from_slice(&short.public);
        body.extend_from_slice(&nonce);
        seal_into(&key, &short_nonce(HELLO_NONCE, &nonce), &[0; 64], &mut body)?;
        self.short = Some(short);
        self.hello_key = Some(key);
        Ok(body)
    }

    fn welcome(&mut self, body: &[u8]) -> Result<(), Failure> {
        // libzmq reports a WELCOME of the wrong size as CRYPTOGRAPHIC too.
        if body.len() != WELCOME_LEN {
            return Err(cryptographic());
        }
        let random: [u8; 16] = field(body, 8).ok_or_else(cryptographic)?;
        let hello_key = self
            .hello_key
            .take()
            .ok_or(Failure::Protocol(UNSPECIFIED))?;
        let plain = open(&hello_key, &long_nonce(WELCOME_NONCE, &random), &body[24..])?;
        let server_short: Key = field(&plain, 0).ok_or_else(cryptographic)?;
        let cookie: [u8; COOKIE_LEN] = field(&plain, KEY_LEN).ok_or_else(cryptographic)?;
        let short = self.short.as_ref().ok_or(Failure::Protocol(UNSPECIFIED))?;
        self.session.key = Some(box_key(&server_short, &short.secret)?);
        self.server_short = server_short;
        self.cookie = cookie;
        Ok(())
    }

    fn initiate(&mut self) -> Result<Vec<u8>, Failure> {
        let short = self.short.as_ref().ok_or(Failure::Protocol(UNSPECIFIED))?;
        // The vouch: C' and S boxed from our long-term key to S'.
        let vouch_key = box_key(&self.server_short, &self.secret)?;
        let vouch_random = random::<16>()?;
        let mut vouched = [0; 2 * KEY_LEN];
        vouched[..KEY_LEN].copy_from_slice(&short.public);
        vouched[KEY_LEN..].copy_from_slice(&self.server);
        let metadata = self.metadata.as_ref().map_err(Clone::clone)?;
        let mut plain = Vec::with_capacity(128 + metadata.len());
        plain.extend_from_slice(&self.public);
        plain.extend_from_slice(&vouch_random[..]);
        seal_into(
            &vouch_key,
            &long_nonce(VOUCH_NONCE, &vouch_random),
            &vouched,
            &mut plain,
        )?;
        plain.extend_from_slice(metadata);
        let mut name = INITIATE.to_vec();
        name.extend_from_slice(&self.cookie);
        self.session.seal_command(&name, INITIATE_NONCE, &plain)
    }

    fn ready(&mut self, body: &[u8]) -> Result<(), Failure> {
        let malformed = Failure::Protocol(MALFORMED_COMMAND_READY);
        if body.len() < READY_MIN_LEN {
            return Err(malformed);
        }
        let nonce: [u8; 8] = field(body, 6).ok_or(malformed)?;
        let plain = self.session.open_command(READY_NONCE, nonce, &body[14..])?;
        self.peer = peer_properties(self.socket_type, &plain)?;
        Ok(())
    }

    fn step(&mut self, body: &[u8]) -> Result<ClientState, Failure> {
        let unexpected = Failure::Protocol(UNEXPECTED_COMMAND);
        if data_of(body, b"WELCOME").is_some() {
            if self.state != ClientState::AwaitWelcome {
                return Err(unexpected);
            }
            self.welcome(body)?;
            Ok(ClientState::SendInitiate)
        } else if data_of(body, b"READY").is_some() {
            if self.state != ClientState::AwaitReady {
                return Err(unexpected);
            }
            self.ready(body)?;
            Ok(ClientState::Ready)
        } else if let Some(data) = data_of(body, b"ERROR") {
            if !matches!(
                self.state,
                ClientState::AwaitWelcome | ClientState::AwaitReady
            ) {
                return Err(unexpected);
            }
            let reason = error_reason(data)?;
            Ok(ClientState::Failed(match status_in_reason(&reason) {
                Some(status) => Failure::Auth(status),
                None => Failure::Refused(reason),
            }))
        } else {
            Err(unexpected)
        }
    }

    /// Records a failure, so that nothing goes on after it.
    fn failing<T>(&mut self, result: Result<T, Failure>) -> Result<T, Failure> {
        if let Err(failure) = &result {
            self.state = ClientState::Failed(failure.clone());
        }
        result
    }
}

impl Mechanism for Client {
    fn next_command(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        let (command, next) = match self.state {
            ClientState::SendHello => (self.hello(), ClientState::AwaitWelcome),
            ClientState::SendInitiate => (self.initiate(), ClientState::AwaitReady),
            _ => return Ok(None),
        };
        let command = self.failing(command)?;
        self.state = next;
        Ok(Some(command))
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        if matches!(self.state, ClientState::Ready | ClientState::Failed(_)) {
            return Err(Failure::Protocol(UNEXPECTED_COMMAND));
        }
        let step = self.step(body);
        self.state = self.failing(step)?;
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

    fn boxes_frames(&self) -> bool {
        true
    }

    fn encode(&mut self, msg: &Msg) -> Result<Msg, Failure> {
        if self.state != ClientState::Ready {
            return Err(Failure::Protocol(UNSPECIFIED));
        }
        self.session.encode(msg)
    }

    fn decode(&mut self, msg: &Msg) -> Result<Msg, Failure> {
        if self.state != ClientState::Ready {
            return Err(Failure::Protocol(UNSPECIFIED));
        }
        self.session.decode(msg)
    }
}

// ---------------------------------------------------------------------------
// Server

#[derive(Debug, PartialEq, Eq)]
enum ServerState {
    AwaitHello,
    SendWelcome,
    AwaitInitiate,
    /// The request waits to be taken, then its reply.
    ZapRequest(ZapRequest),
    AwaitZap,
    SendReady,
    Ready,
    /// Denied: the ERROR to send (none for 300), then the failure.
    SendError(Option<Vec<u8>>, Failure),
    Failed(Failure),
}

pub struct Server {
    state: ServerState,
    /// Our options, the long-term secret s among them.
    config: EngineConfig,
    /// S' and s', made with WELCOME.
    short: Option<KeyPair>,
    /// C', from HELLO.
    client_short: Key,
    /// The box key of C' and s, for HELLO and WELCOME.
    hello_key: Option<SalsaBox>,
    /// The key of the cookie, made with WELCOME and dropped when INITIATE
    /// is read: a cookie opens once, on the connection it was made for.
    cookie_key: Option<XSalsa20Poly1305>,
    session: Session,
    peer: Properties,
    zap_properties: Properties,
}

impl Server {
    pub fn new(config: &EngineConfig) -> Server {
        Server {
            state: ServerState::AwaitHello,
            config: config.clone(),
            short: None,
            client_short: [0; KEY_LEN],
            hello_key: None,
            cookie_key: None,
            session: Session::new(false),
            peer: Properties::new(),
            zap_properties: Properties::new(),
        }
    }

    fn hello(&mut self, body: &[u8]) -> Result<(), Failure> {
        check_structure(body)?;
        if !body.starts_with(HELLO) {
            return Err(Failure::Protocol(UNEXPECTED_COMMAND));
        }
        let malformed = Failure::Protocol(MALFORMED_COMMAND_HELLO);
        if body.len() != HELLO_LEN || body[6..8] != [1, 0] {
            return Err(malformed);
        }
        // libzmq ignores the padding; every client sends zeros, as the RFC
        // asks, and anything else is not a HELLO we understand.
        if body[8..80].iter().any(|&b| b != 0) {
            return Err(malformed);
        }
        let client_short: Key = field(body, 80).ok_or(malformed.clone())?;
        let nonce: [u8; 8] = field(body, 112).ok_or(malformed)?;
        let key = box_key(&client_short, &self.config.security.curve_secret_key)?;
        // The box proves the client knows S; its content is not checked.
        open(&key, &short_nonce(HELLO_NONCE, &nonce), &body[120..])?;
        self.session.peer_nonce = u64::from_be_bytes(nonce);
        self.client_short = client_short;
        self.hello_key = Some(key);
        Ok(())
    }

    fn welcome(&mut self) -> Result<Vec<u8>, Failure> {
        let hello_key = self
            .hello_key
            .take()
            .ok_or(Failure::Protocol(UNSPECIFIED))?;
        let short = KeyPair::generate()?;
        let session_key = box_key(&self.client_short, &short.secret)?;

        // A fresh cookie key per WELCOME, as libzmq does.
        let cookie_secret = random::<KEY_LEN>()?;
        let cookie_key = XSalsa20Poly1305::new(GenericArray::from_slice(&cookie_secret[..]));
        let cookie_random = random::<16>()?;
        let mut cookie_plain = Zeroizing::new([0; 2 * KEY_LEN]);
        cookie_plain[..KEY_LEN].copy_from_slice(&self.client_short);
        cookie_plain[KEY_LEN..].copy_from_slice(&short.secret[..]);

        let mut plain = Vec::with_capacity(KEY_LEN + COOKIE_LEN);
        plain.extend_from_slice(&short.public);
        plain.extend_from_slice(&cookie_random[..]);
        seal_into(
            &cookie_key,
            &long_nonce(COOKIE_NONCE, &cookie_random),
            &cookie_plain[..],
            &mut plain,
        )?;

        let welcome_random = random::<16>()?;
        let mut body = Vec::with_capacity(WELCOME_LEN);
        body.extend_from_slice(b"\x07WELCOME");
        body.extend_from_slice(&welcome_random[..]);
        seal_into(
            &hello_key,
            &long_nonce(WELCOME_NONCE, &welcome_random),
            &plain,
            &mut body,
        )?;
        self.short = Some(short);
        self.cookie_key = Some(cookie_key);
        self.session.key = Some(session_key);
        Ok(body)
    }

    fn initiate(&mut self, body: &[u8]) -> Result<ServerState, Failure> {
        check_structure(body)?;
        if !body.starts_with(INITIATE) {
            return Err(Failure::Protocol(UNEXPECTED_COMMAND));
        }
        let malformed = Failure::Protocol(MALFORMED_COMMAND_INITIATE);
        if body.len() < INITIATE_MIN_LEN {
            return Err(malformed);
        }
        let short = self.short.as_ref().ok_or(Failure::Protocol(UNSPECIFIED))?;

        // The cookie must be ours, for this client's C'.
        let cookie_key = self
            .cookie_key
            .take()
            .ok_or(Failure::Protocol(UNSPECIFIED))?;
        let cookie_random: [u8; 16] = field(body, 9).ok_or(malformed.clone())?;
        let cookie = open(
            &cookie_key,
            &long_nonce(COOKIE_NONCE, &cookie_random),
            &body[25..9 + COOKIE_LEN],
        )?;
        if !same(&cookie[..KEY_LEN], &self.client_short)
            || !same(&cookie[KEY_LEN..], &short.secret[..])
        {
            return Err(cryptographic());
        }

        let nonce: [u8; 8] = field(body, 9 + COOKIE_LEN).ok_or(malformed.clone())?;
        let plain =
            self.session
                .open_command(INITIATE_NONCE, nonce, &body[9 + COOKIE_LEN + 8..])?;
        let client_key: Key = field(&plain, 0).ok_or(malformed.clone())?;
        let vouch_random: [u8; 16] = field(&plain, KEY_LEN).ok_or(malformed.clone())?;
        let vouch_box = plain.get(48..128).ok_or(malformed.clone())?;
        let metadata = plain.get(128..).ok_or(malformed)?;

        // The vouch: the client's long-term key speaks for C'.
        let vouch_key = box_key(&client_key, &short.secret)?;
        let vouch = open(
            &vouch_key,
            &long_nonce(VOUCH_NONCE, &vouch_random),
            vouch_box,
        )?;
        if !vouch
            .get(..KEY_LEN)
            .is_some_and(|vouched| same(vouched, &self.client_short))
        {
            return Err(Failure::Protocol(KEY_EXCHANGE));
        }

        self.peer = peer_properties(self.config.socket_type, metadata)?;

        // As libzmq 4.3.4: ZAP is asked unless ZAP_ENFORCE_DOMAIN is set
        // without a domain (encryption without authentication).
        let security = &self.config.security;
        if !security.zap_domain.is_empty() || !security.zap_enforce_domain {
            let request = ZapRequest::new(&self.config, "CURVE", vec![client_key.to_vec()]);
            Ok(ServerState::ZapRequest(request))
        } else {
            Ok(ServerState::SendReady)
        }
    }

    fn ready(&mut self) -> Result<Vec<u8>, Failure> {
        let metadata = metadata(&self.config)?;
        self.session
            .seal_command(b"\x05READY", READY_NONCE, &metadata)
    }

    fn failing<T>(&mut self, result: Result<T, Failure>) -> Result<T, Failure> {
        if let Err(failure) = &result {
            self.state = ServerState::Failed(failure.clone());
        }
        result
    }
}

impl Mechanism for Server {
    fn next_command(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        match std::mem::replace(&mut self.state, ServerState::AwaitHello) {
            ServerState::SendWelcome => {
                let welcome = self.welcome();
                let welcome = self.failing(welcome)?;
                self.state = ServerState::AwaitInitiate;
                Ok(Some(welcome))
            }
            ServerState::SendReady => {
                let ready = self.ready();
                let ready = self.failing(ready)?;
                self.state = ServerState::Ready;
                Ok(Some(ready))
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
        match self.state {
            ServerState::AwaitHello => {
                let hello = self.hello(body);
                self.failing(hello)?;
                self.state = ServerState::SendWelcome;
            }
            ServerState::AwaitInitiate => {
                let initiate = self.initiate(body);
                self.state = self.failing(initiate)?;
            }
            // As libzmq: a command while we have to speak, or after the end.
            _ => return Err(Failure::Protocol(UNSPECIFIED)),
        }
        Ok(())
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
        self.state = match Verdict::of(reply, self.config.security.zap_enforce_domain) {
            Verdict::Allow(props) => {
                self.zap_properties = props;
                ServerState::SendReady
            }
            Verdict::Deny { failure, error } => ServerState::SendError(error, failure),
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

    fn boxes_frames(&self) -> bool {
        true
    }

    fn encode(&mut self, msg: &Msg) -> Result<Msg, Failure> {
        if self.state != ServerState::Ready {
            return Err(Failure::Protocol(UNSPECIFIED));
        }
        self.session.encode(msg)
    }

    fn decode(&mut self, msg: &Msg) -> Result<Msg, Failure> {
        if self.state != ServerState::Ready {
            return Err(Failure::Protocol(UNSPECIFIED));
        }
        self.session.decode(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, config, run};
    use super::super::{command, MechanismName, Security};
    use super::*;
    use crate::curve_keys;

    const DEALER: i32 = 5;
    const ROUTER: i32 = 6;
    const PUSH: i32 = 8;
    const MORE: u8 = msg::flags::MORE;
    const COMMAND: u8 = msg::flags::COMMAND;

    struct Keys {
        server_public: Key,
        server_secret: Key,
        client_public: Key,
        client_secret: Key,
    }

    fn keys() -> Keys {
        let (server_public, server_secret) = curve_keys::generate().unwrap();
        let (client_public, client_secret) = curve_keys::generate().unwrap();
        Keys {
            server_public,
            server_secret,
            client_public,
            client_secret,
        }
    }

    fn client_security(k: &Keys) -> Security {
        Security {
            mechanism: MechanismName::Curve,
            curve_public_key: k.client_public,
            curve_secret_key: Zeroizing::new(k.client_secret),
            curve_server_key: k.server_public,
            ..Security::default()
        }
    }

    fn server_security(k: &Keys) -> Security {
        Security {
            mechanism: MechanismName::Curve,
            as_server: true,
            curve_public_key: k.server_public,
            curve_secret_key: Zeroizing::new(k.server_secret),
            ..Security::default()
        }
    }

    fn pair_with(k: &Keys) -> (Client, Server) {
        (
            Client::new(&config(DEALER, client_security(k))),
            Server::new(&config(ROUTER, server_security(k))),
        )
    }

    fn pair() -> (Client, Server) {
        pair_with(&keys())
    }

    /// A finished handshake (no ZAP handler: allowed).
    fn connected() -> (Client, Server) {
        let (mut c, mut s) = pair();
        assert!(run(&mut c, &mut s, &mut |_| None).unwrap().both_ready());
        (c, s)
    }

    fn code(result: Result<impl std::fmt::Debug, Failure>) -> u32 {
        match result {
            Err(Failure::Protocol(code)) => code,
            other => panic!("not a protocol error: {other:?}"),
        }
    }

    fn name_of(body: &[u8]) -> &[u8] {
        &body[1..1 + usize::from(body[0])]
    }

    fn hex<const N: usize>(text: &str) -> [u8; N] {
        let mut out = [0; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    fn frame(body: &[u8], flags: u8) -> Msg {
        let mut m = Msg::from_slice(body).unwrap();
        m.set_flags(flags);
        m
    }

    /// A client that sent HELLO, and the HELLO.
    fn after_hello(k: &Keys) -> (Client, Server, Vec<u8>) {
        let (mut c, s) = pair_with(k);
        let hello = c.next_command().unwrap().unwrap();
        (c, s, hello)
    }

    /// Both sides just before the server reads INITIATE, and the INITIATE.
    fn before_initiate() -> (Client, Server, Vec<u8>) {
        let k = keys();
        let (mut c, mut s, hello) = after_hello(&k);
        s.process_command(&hello).unwrap();
        let welcome = s.next_command().unwrap().unwrap();
        c.process_command(&welcome).unwrap();
        let initiate = c.next_command().unwrap().unwrap();
        (c, s, initiate)
    }

    /// Both sides just before the client reads READY, and the READY.
    fn before_ready() -> (Client, Server, Vec<u8>) {
        let (c, mut s, initiate) = before_initiate();
        s.process_command(&initiate).unwrap();
        s.zap_reply(None).unwrap_err(); // the request is not taken yet
        s.take_zap_request().unwrap();
        s.zap_reply(None).unwrap();
        let ready = s.next_command().unwrap().unwrap();
        (c, s, ready)
    }

    // -- handshake ---------------------------------------------------------

    #[test]
    fn handshake_asks_zap_with_the_client_key_and_exchanges_properties() {
        let k = keys();
        let big = vec![b'x'; 100 * 1024];
        let mut client_config = config(DEALER, client_security(&k));
        client_config.routing_id = b"client-id".to_vec();
        client_config.metadata = vec![
            ("X-Big".into(), big.clone()),
            ("X-Small".into(), b"v".to_vec()),
        ];
        let mut server_config = config(ROUTER, server_security(&k));
        server_config.security.zap_domain = b"global".to_vec();
        server_config.metadata = vec![("X-Server".into(), b"s".to_vec())];
        let mut c = Client::new(&client_config);
        let mut s = Server::new(&server_config);

        let run = run(&mut c, &mut s, &mut answer(b"200", b"user-1")).unwrap();
        assert!(run.both_ready(), "{run:?}");
        assert_eq!(run.requests.len(), 1);
        let request = &run.requests[0];
        assert_eq!(request.mechanism, "CURVE");
        assert_eq!(request.credentials, [k.client_public.to_vec()]);
        assert_eq!(request.domain, b"global");
        assert_eq!(request.address, b"127.0.0.1");

        let names: Vec<&[u8]> = run.wire.iter().map(|(_, b)| name_of(b)).collect();
        assert_eq!(names, [&b"HELLO"[..], b"WELCOME", b"INITIATE", b"READY"]);
        let sides: Vec<bool> = run.wire.iter().map(|(c, _)| *c).collect();
        assert_eq!(sides, [true, false, true, false]);
        let client_meta = metadata(&client_config).unwrap();
        let server_meta = metadata(&server_config).unwrap();
        assert_eq!(run.wire[0].1.len(), HELLO_LEN);
        assert_eq!(run.wire[1].1.len(), WELCOME_LEN);
        assert_eq!(run.wire[2].1.len(), INITIATE_MIN_LEN + client_meta.len());
        assert_eq!(run.wire[3].1.len(), READY_MIN_LEN + server_meta.len());

        let at_server = s.take_properties();
        assert_eq!(at_server.socket_type(), Some(&b"DEALER"[..]));
        assert_eq!(at_server.get("Identity"), Some(&b"client-id"[..]));
        assert_eq!(at_server.get("X-Big"), Some(&big[..]));
        assert_eq!(at_server.get("X-Small"), Some(&b"v"[..]));
        assert_eq!(at_server.get("User-Id"), Some(&b"user-1"[..]));
        let at_client = c.take_properties();
        assert_eq!(at_client.socket_type(), Some(&b"ROUTER"[..]));
        assert_eq!(at_client.get("X-Server"), Some(&b"s"[..]));
        assert_eq!(at_client.get("User-Id"), None);
        assert!(c.boxes_frames() && s.boxes_frames());
    }

    /// Opens every box of a handshake by hand, with the keys each side
    /// made, following the layout libzmq 4.3 writes.
    #[test]
    fn wire_layout_is_libzmqs() {
        let k = keys();
        let (mut c, mut s) = pair_with(&k);
        let run = run(&mut c, &mut s, &mut |_| None).unwrap();
        assert!(run.both_ready());
        let (hello, welcome, initiate, ready) = (
            &run.wire[0].1,
            &run.wire[1].1,
            &run.wire[2].1,
            &run.wire[3].1,
        );
        let client_short = c.short.as_ref().unwrap();
        let server_short = s.short.as_ref().unwrap();

        // HELLO: version 1.0, 72 zeros, C', nonce 1, Box[64 zeros](C'->S).
        assert_eq!(&hello[..6], b"\x05HELLO");
        assert_eq!(&hello[6..8], [1, 0]);
        assert!(hello[8..80].iter().all(|&b| b == 0));
        assert_eq!(&hello[80..112], client_short.public);
        assert_eq!(&hello[112..120], 1u64.to_be_bytes());
        let key = box_key(&k.server_public, &client_short.secret).unwrap();
        let nonce = short_nonce(b"CurveZMQHELLO---", &1u64.to_be_bytes());
        assert_eq!(&open(&key, &nonce, &hello[120..]).unwrap()[..], [0; 64]);

        // WELCOME: random nonce, Box[S' cookie](S->C').
        assert_eq!(&welcome[..8], b"\x07WELCOME");
        let nonce = long_nonce(b"WELCOME-", &welcome[8..24].try_into().unwrap());
        let plain = open(&key, &nonce, &welcome[24..]).unwrap();
        assert_eq!(plain.len(), 128);
        assert_eq!(&plain[..32], server_short.public);
        let cookie = &plain[32..];

        // INITIATE: the cookie, nonce 2, Box[C vouch metadata](C'->S').
        assert_eq!(&initiate[..9], b"\x08INITIATE");
        assert_eq!(&initiate[9..105], cookie);
        assert_eq!(&initiate[105..113], 2u64.to_be_bytes());
        let session = box_key(&server_short.public, &client_short.secret).unwrap();
        let nonce = short_nonce(b"CurveZMQINITIATE", &2u64.to_be_bytes());
        let plain = open(&session, &nonce, &initiate[113..]).unwrap();
        assert_eq!(&plain[..32], k.client_public);
        let vouch_key = box_key(&k.client_public, &server_short.secret).unwrap();
        let nonce = long_nonce(b"VOUCH---", &plain[32..48].try_into().unwrap());
        let vouch = open(&vouch_key, &nonce, &plain[48..128]).unwrap();
        assert_eq!(&vouch[..32], client_short.public);
        assert_eq!(&vouch[32..], k.server_public);
        assert_eq!(
            Properties::parse(&plain[128..]).unwrap().socket_type(),
            Some(&b"DEALER"[..])
        );

        // READY: nonce 1, Box[metadata](S'->C').
        assert_eq!(&ready[..6], b"\x05READY");
        assert_eq!(&ready[6..14], 1u64.to_be_bytes());
        let nonce = short_nonce(b"CurveZMQREADY---", &1u64.to_be_bytes());
        let plain = open(&session, &nonce, &ready[14..]).unwrap();
        assert_eq!(
            Properties::parse(&plain).unwrap().socket_type(),
            Some(&b"ROUTER"[..])
        );

        // MESSAGE: the counters go on from the handshake; flags in the box.
        let boxed = c.encode(&frame(b"abc", MORE)).unwrap();
        assert_eq!(boxed.flags(), 0, "a data frame, as libzmq sends it");
        let bytes = boxed.as_slice();
        assert_eq!(&bytes[..8], b"\x07MESSAGE");
        assert_eq!(&bytes[8..16], 3u64.to_be_bytes());
        let nonce = short_nonce(b"CurveZMQMESSAGEC", &3u64.to_be_bytes());
        assert_eq!(
            &open(&session, &nonce, &bytes[16..]).unwrap()[..],
            b"\x01abc"
        );
        let boxed = s.encode(&frame(b"", COMMAND)).unwrap();
        let bytes = boxed.as_slice();
        assert_eq!(&bytes[8..16], 2u64.to_be_bytes());
        let nonce = short_nonce(b"CurveZMQMESSAGES", &2u64.to_be_bytes());
        assert_eq!(&open(&session, &nonce, &bytes[16..]).unwrap()[..], b"\x02");
    }

    /// Vectors made with libsodium 1.0.18 (crypto_scalarmult_base,
    /// crypto_box_easy, crypto_secretbox_easy), the library libzmq uses.
    #[test]
    fn boxes_match_libsodium() {
        // The key pair of libzmq's tests, made by libsodium.
        let server_public =
            curve_keys::key_from_text(b"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID").unwrap();
        let server_secret =
            curve_keys::key_from_text(b"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs").unwrap();
        assert_eq!(
            server_public,
            hex("bb88471d65e2659b30c55a5321cebb5aab2b70a398645c26dca2b2fcb43fc518")
        );
        assert_eq!(
            with_secret(&server_secret, |s| s.public_key().to_bytes()),
            server_public
        );

        // A HELLO signature box from a short-term secret of 1, 2, ... 32.
        let short_secret: Key = std::array::from_fn(|i| i as u8 + 1);
        let short_public = with_secret(&short_secret, |s| s.public_key().to_bytes());
        assert_eq!(
            short_public,
            hex("07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c")
        );
        let mut sealed = Vec::new();
        let key = box_key(&server_public, &short_secret).unwrap();
        let nonce = short_nonce(HELLO_NONCE, &1u64.to_be_bytes());
        seal_into(&key, &nonce, &[0; 64], &mut sealed).unwrap();
        let expected: [u8; 80] = hex(concat!(
            "85678da062135d0b6f3b713b186bd812b4e1b8d86002867446a5dfe4347b1a8b",
            "f560a0a659c67eaf58aa50529881e7b034f6469243d3636faf7dde44449558e9",
            "22f661dc54fb8acb92e348ac625a49c2"
        ));
        assert_eq!(sealed, expected);
        // The server side opens it with its own pair.
        let key = box_key(&short_public, &server_secret).unwrap();
        assert_eq!(&open(&key, &nonce, &expected).unwrap()[..], [0; 64]);

        // A cookie box: key 0x42..., nonce "COOKIE--" 0x10..0x1f, 0..63.
        let cookie_key = XSalsa20Poly1305::new(GenericArray::from_slice(&[0x42; 32]));
        let random: [u8; 16] = std::array::from_fn(|i| 0x10 + i as u8);
        let plain: [u8; 64] = std::array::from_fn(|i| i as u8);
        let mut sealed = Vec::new();
        seal_into(
            &cookie_key,
            &long_nonce(COOKIE_NONCE, &random),
            &plain,
            &mut sealed,
        )
        .unwrap();
        let expected: [u8; 80] = hex(concat!(
            "37911c9150b645331d0f14009ff96a7b29ca14b43c9ac78d02240b007407ec25",
            "26534109aa6895aa0113a6f0a1ad05d1f10c09a0a1c3bb0390ef3acab154d8e6",
            "48eac1a6acb127ed5c9c265814e16f3e"
        ));
        assert_eq!(sealed, expected);
    }

    /// libsodium 1.0.18 refuses these public keys (crypto_box_beforenm
    /// fails), with or without the top bit.
    #[test]
    fn small_order_keys_are_refused() {
        let secret = curve_keys::generate().unwrap().1;
        for text in [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ] {
            for top in [0, 0x80] {
                let mut public: Key = hex(text);
                public[31] |= top;
                assert_eq!(
                    box_key(&public, &secret).err(),
                    Some(cryptographic()),
                    "{public:x?}"
                );
            }
        }
        for _ in 0..100 {
            assert!(box_key(&curve_keys::generate().unwrap().0, &secret).is_ok());
        }

        // A HELLO from someone who does not know S: with C' = 0 the box
        // key is the same for every server secret.
        let (_, mut s, mut hello) = after_hello(&keys());
        hello[80..112].fill(0);
        let anyone = SalsaBox::new(&PublicKey::from([0; 32]), &SecretKey::from([7; 32]));
        let nonce = short_nonce(HELLO_NONCE, &1u64.to_be_bytes());
        let mut forged = Vec::new();
        seal_into(&anyone, &nonce, &[0; 64], &mut forged).unwrap();
        hello[120..].copy_from_slice(&forged);
        assert_eq!(code(s.process_command(&hello)), CRYPTOGRAPHIC);
        assert_eq!(s.status(), Status::Error(cryptographic()));
    }

    #[test]
    fn wrong_server_key_fails_at_hello() {
        let k = keys();
        let mut security = client_security(&k);
        security.curve_server_key = curve_keys::generate().unwrap().0;
        let mut c = Client::new(&config(DEALER, security));
        let mut s = Server::new(&config(ROUTER, server_security(&k)));
        let err = run(&mut c, &mut s, &mut |_| None).unwrap_err();
        assert_eq!(err, (false, cryptographic()));
        assert_eq!(s.status(), Status::Error(cryptographic()));
        assert_eq!(c.status(), Status::Handshaking);
    }

    #[test]
    fn a_client_pair_that_does_not_match_fails_at_the_vouch() {
        let k = keys();
        for (public, secret) in [
            (curve_keys::generate().unwrap().0, k.client_secret),
            (k.client_public, curve_keys::generate().unwrap().1),
        ] {
            let mut security = client_security(&k);
            security.curve_public_key = public;
            security.curve_secret_key = Zeroizing::new(secret);
            let mut c = Client::new(&config(DEALER, security));
            let mut s = Server::new(&config(ROUTER, server_security(&k)));
            let mut asked = false;
            let err = run(&mut c, &mut s, &mut |_| {
                asked = true;
                None
            })
            .unwrap_err();
            assert_eq!(err, (false, cryptographic()));
            assert!(!asked, "ZAP is asked only about a vouched key");
            assert!(s.take_zap_request().is_none());
        }
    }

    #[test]
    fn a_client_without_a_server_key_cannot_start() {
        let k = keys();
        let mut security = client_security(&k);
        security.curve_server_key = [0; KEY_LEN];
        let mut c = Client::new(&config(DEALER, security));
        assert_eq!(c.next_command(), Err(cryptographic()));
        assert_eq!(c.status(), Status::Error(cryptographic()));
        assert_eq!(c.next_command(), Ok(None));
    }

    // -- ZAP ---------------------------------------------------------------

    #[test]
    fn denial_sends_error_with_the_status_except_for_300() {
        for (status, expected, error) in [
            (&b"400"[..], 400, Some(&b"\x05ERROR\x03400"[..])),
            (b"500", 500, Some(b"\x05ERROR\x03500")),
            (b"300", 300, None),
        ] {
            let (mut c, mut s) = pair();
            let run = run(&mut c, &mut s, &mut answer(status, b"")).unwrap();
            assert_eq!(run.server, Status::Error(Failure::Auth(expected)));
            let from_server: Vec<&[u8]> = run
                .wire
                .iter()
                .filter(|(c, _)| !c)
                .map(|(_, b)| &b[..])
                .skip(1) // WELCOME
                .collect();
            match error {
                Some(e) => {
                    assert_eq!(from_server, [e]);
                    assert_eq!(run.client, Status::Error(Failure::Auth(expected)));
                }
                None => {
                    assert!(from_server.is_empty(), "no READY, no ERROR");
                    assert_eq!(run.client, Status::Handshaking);
                }
            }
            assert_eq!(code(s.encode(&frame(b"x", 0))), UNSPECIFIED);
        }
    }

    #[test]
    fn zap_is_optional_unless_enforced() {
        let k = keys();
        let with = |domain: &[u8], enforce: bool| {
            let mut security = server_security(&k);
            security.zap_domain = domain.to_vec();
            security.zap_enforce_domain = enforce;
            let mut c = Client::new(&config(DEALER, client_security(&k)));
            let mut s = Server::new(&config(ROUTER, security));
            run(&mut c, &mut s, &mut |_| None).unwrap()
        };
        // No handler, not enforced: asked, and allowed.
        for domain in [&b""[..], b"global"] {
            let run = with(domain, false);
            assert!(run.both_ready());
            assert_eq!(run.requests.len(), 1);
        }
        // Enforced with a domain: a handler is required.
        let run = with(b"global", true);
        assert_eq!(
            run.server,
            Status::Error(Failure::NoDetail(nix::libc::EFAULT))
        );
        assert_eq!(run.client, Status::Handshaking);
        assert_eq!(run.wire.len(), 3, "no READY");
        // Enforced without a domain: nobody is asked (encryption only).
        let run = with(b"", true);
        assert!(run.both_ready());
        assert!(run.requests.is_empty());
    }

    #[test]
    fn socket_types_must_match() {
        let k = keys();
        let mut c = Client::new(&config(PUSH, client_security(&k)));
        let mut s = Server::new(&config(ROUTER, server_security(&k)));
        let err = run(&mut c, &mut s, &mut |_| None).unwrap_err();
        assert_eq!(
            err,
            (false, Failure::IncompatibleSocketType(b"PUSH".to_vec()))
        );
    }

    #[test]
    fn errors_from_the_server_reach_the_client() {
        for (data, state) in [
            (&b"\x03400"[..], Ok(Status::Error(Failure::Auth(400)))),
            (
                b"\x07Invalid",
                Ok(Status::Error(Failure::Refused(b"Invalid".to_vec()))),
            ),
            (
                b"\x03200",
                Ok(Status::Error(Failure::Refused(b"200".to_vec()))),
            ),
            (b"\x09x", Err(MALFORMED_COMMAND_ERROR)),
            (b"", Err(MALFORMED_COMMAND_ERROR)),
        ] {
            let (mut c, _, _) = after_hello(&keys());
            let result = c.process_command(&command(b"ERROR", data));
            match state {
                Ok(status) => {
                    result.unwrap();
                    assert_eq!(c.status(), status);
                }
                Err(expected) => assert_eq!(code(result), expected),
            }
        }
        // An ERROR before we said anything is out of order.
        let (mut c, _) = pair();
        assert_eq!(
            code(c.process_command(b"\x05ERROR\x03400")),
            UNEXPECTED_COMMAND
        );
    }

    // -- messages ----------------------------------------------------------

    #[test]
    fn messages_go_both_ways_with_their_flags() {
        let (mut c, mut s) = connected();
        let big: Vec<u8> = (0..1 << 20).map(|i| (i * 7) as u8).collect();
        let cases: [(&[u8], u8); 6] = [
            (b"", 0),
            (b"hello", MORE),
            (b"\x04PING\x00\x00", COMMAND),
            (b"x", MORE | COMMAND),
            (&big, 0),
            (&big, MORE),
        ];
        for (body, flags) in cases {
            let boxed = c.encode(&frame(body, flags)).unwrap();
            assert_eq!(boxed.len(), MESSAGE_MIN_LEN + body.len());
            assert_eq!(boxed.flags(), 0);
            let back = s.decode(&boxed).unwrap();
            assert_eq!(back.as_slice(), body);
            assert_eq!(back.flags(), flags);

            let boxed = s.encode(&frame(body, flags)).unwrap();
            let back = c.decode(&boxed).unwrap();
            assert_eq!(back.as_slice(), body);
            assert_eq!(back.flags(), flags);
        }
        // The MESSAGE frame's own flags do not leak into the result.
        let mut boxed = c.encode(&frame(b"y", 0)).unwrap();
        boxed.set_flags(MORE | COMMAND);
        assert_eq!(s.decode(&boxed).unwrap().flags(), 0);
    }

    #[test]
    fn ten_thousand_messages_advance_the_nonces() {
        let (mut c, mut s) = connected();
        for i in 0..10_000u64 {
            let body = i.to_le_bytes();
            let boxed = c.encode(&frame(&body, 0)).unwrap();
            assert_eq!(&boxed.as_slice()[8..16], (3 + i).to_be_bytes());
            assert_eq!(s.decode(&boxed).unwrap().as_slice(), body);
            let boxed = s.encode(&frame(&body, MORE)).unwrap();
            assert_eq!(&boxed.as_slice()[8..16], (2 + i).to_be_bytes());
            let back = c.decode(&boxed).unwrap();
            assert_eq!(back.as_slice(), body);
            assert!(back.more());
        }
    }

    /// CVE-2014-7203: a replayed, reordered or reflected MESSAGE is refused.
    #[test]
    fn cve_2014_7203_replayed_reordered_and_reflected_messages_are_refused() {
        let (mut c, mut s) = connected();
        let first = c.encode(&frame(b"1", 0)).unwrap();
        let second = c.encode(&frame(b"2", 0)).unwrap();
        let third = c.encode(&frame(b"3", 0)).unwrap();
        s.decode(&first).unwrap();
        assert_eq!(code(s.decode(&first)), INVALID_SEQUENCE);
        s.decode(&third).unwrap();
        assert_eq!(code(s.decode(&second)), INVALID_SEQUENCE);
        // Our own MESSAGE sent back to us (its nonce is above the peer's
        // last one): the other direction's prefix, so it does not open.
        let ours = c.encode(&frame(b"4", 0)).unwrap();
        assert_eq!(code(c.decode(&ours)), CRYPTOGRAPHIC);
        assert_eq!(s.decode(&ours).unwrap().as_slice(), b"4");
        let fourth = c.encode(&frame(b"4", 0)).unwrap();
        assert_eq!(s.decode(&fourth).unwrap().as_slice(), b"4");
        assert_eq!(code(s.decode(&fourth)), INVALID_SEQUENCE);
    }

    #[test]
    fn damaged_messages_are_refused_and_change_nothing() {
        let (mut c, mut s) = connected();
        let good = c.encode(&frame(b"some payload", MORE)).unwrap();
        let bytes = good.as_slice().to_vec();
        for at in 0..bytes.len() {
            for bit in [0x01, 0x80] {
                let mut bad = bytes.clone();
                bad[at] ^= bit;
                let expected = match at {
                    0 => vec![MALFORMED_COMMAND_UNSPECIFIED, UNEXPECTED_COMMAND],
                    1..=7 => vec![UNEXPECTED_COMMAND],
                    // A nonce below the last one is out of sequence; above,
                    // the box does not open.
                    8..=15 => vec![INVALID_SEQUENCE, CRYPTOGRAPHIC],
                    _ => vec![CRYPTOGRAPHIC],
                };
                let got = code(s.decode(&frame(&bad, 0)));
                assert!(expected.contains(&got), "byte {at}: {got:x}");
            }
        }
        for len in 0..bytes.len() {
            let expected = match len {
                0..=7 => MALFORMED_COMMAND_UNSPECIFIED,
                8..=32 => MALFORMED_COMMAND_MESSAGE,
                _ => CRYPTOGRAPHIC,
            };
            assert_eq!(code(s.decode(&frame(&bytes[..len], 0))), expected, "{len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(code(s.decode(&frame(&longer, 0))), CRYPTOGRAPHIC);
        for other in [
            &b"\x04PING\x00\x00"[..],
            b"\x07MESSAGX0123456789012345678901234567",
        ] {
            assert_eq!(code(s.decode(&frame(other, COMMAND))), UNEXPECTED_COMMAND);
        }
        // None of it moved the sequence on.
        let back = s.decode(&good).unwrap();
        assert_eq!(back.as_slice(), b"some payload");
        assert!(back.more());
    }

    #[test]
    fn nonce_counters_never_wrap() {
        let (mut c, mut s) = connected();
        c.session.next_nonce = u64::MAX - 1;
        let last = c.encode(&frame(b"last", 0)).unwrap();
        assert_eq!(&last.as_slice()[8..16], (u64::MAX - 1).to_be_bytes());
        assert_eq!(code(c.encode(&frame(b"one more", 0))), INVALID_SEQUENCE);
        assert_eq!(code(c.encode(&frame(b"one more", 0))), INVALID_SEQUENCE);
        assert_eq!(s.decode(&last).unwrap().as_slice(), b"last");
        // The peer's highest nonce ends the sequence too.
        s.session.next_nonce = u64::MAX;
        assert_eq!(code(s.encode(&frame(b"x", 0))), INVALID_SEQUENCE);
    }

    #[test]
    fn frames_before_the_handshake_ends_are_refused() {
        let (mut c, mut s) = pair();
        let m = frame(b"x", 0);
        assert_eq!(code(c.encode(&m)), UNSPECIFIED);
        assert_eq!(code(c.decode(&m)), UNSPECIFIED);
        assert_eq!(code(s.encode(&m)), UNSPECIFIED);
        assert_eq!(code(s.decode(&m)), UNSPECIFIED);
        let (mut c, _, _) = before_ready();
        assert_eq!(code(c.encode(&m)), UNSPECIFIED);
    }

    // -- malformed handshakes ------------------------------------------------

    #[test]
    fn damaged_hellos_are_refused() {
        let k = keys();
        let (_, _, hello) = after_hello(&k);
        let server = || Server::new(&config(ROUTER, server_security(&k)));
        for len in 0..HELLO_LEN {
            let expected = if len < 6 {
                MALFORMED_COMMAND_UNSPECIFIED
            } else {
                MALFORMED_COMMAND_HELLO
            };
            assert_eq!(
                code(server().process_command(&hello[..len])),
                expected,
                "{len}"
            );
        }
        let mut longer = hello.clone();
        longer.push(0);
        assert_eq!(
            code(server().process_command(&longer)),
            MALFORMED_COMMAND_HELLO
        );
        for at in 0..HELLO_LEN {
            let mut bad = hello.clone();
            bad[at] ^= 0x20;
            let expected = match at {
                0 => UNEXPECTED_COMMAND, // "\x25HELLO..." is a longer name
                1..=5 => UNEXPECTED_COMMAND,
                6..=79 => MALFORMED_COMMAND_HELLO, // version, padding
                _ => CRYPTOGRAPHIC,
            };
            let mut s = server();
            assert_eq!(code(s.process_command(&bad)), expected, "byte {at}");
            assert!(matches!(s.status(), Status::Error(_)));
        }
        for version in [[0, 0], [1, 1], [2, 0], [0, 1]] {
            let mut bad = hello.clone();
            bad[6..8].copy_from_slice(&version);
            assert_eq!(
                code(server().process_command(&bad)),
                MALFORMED_COMMAND_HELLO
            );
        }
        let mut renamed = hello.clone();
        renamed[1..6].copy_from_slice(b"HELLX");
        assert_eq!(code(server().process_command(&renamed)), UNEXPECTED_COMMAND);
        assert_eq!(
            code(server().process_command(b"\x00")),
            MALFORMED_COMMAND_UNSPECIFIED
        );
        // The good one, after all that.
        let mut s = server();
        s.process_command(&hello).unwrap();
        assert_eq!(s.next_command().unwrap().unwrap().len(), WELCOME_LEN);
    }

    #[test]
    fn damaged_welcomes_are_refused() {
        // Each case gets a client that sent HELLO and the server's answer.
        let k = keys();
        for mutate in 0..WELCOME_LEN * 2 + 2 {
            let (mut c, mut s, hello) = after_hello(&k);
            s.process_command(&hello).unwrap();
            let mut welcome = s.next_command().unwrap().unwrap();
            let expected = if mutate < WELCOME_LEN {
                welcome.truncate(mutate);
                if mutate < 8 {
                    UNEXPECTED_COMMAND
                } else {
                    CRYPTOGRAPHIC
                }
            } else if mutate < 2 * WELCOME_LEN {
                let at = mutate - WELCOME_LEN;
                welcome[at] ^= 0x20;
                if at < 8 {
                    UNEXPECTED_COMMAND
                } else {
                    CRYPTOGRAPHIC
                }
            } else if mutate == 2 * WELCOME_LEN {
                welcome.push(0);
                CRYPTOGRAPHIC
            } else {
                welcome[1..8].copy_from_slice(b"WELCOMX");
                UNEXPECTED_COMMAND
            };
            assert_eq!(code(c.process_command(&welcome)), expected, "case {mutate}");
            assert!(matches!(c.status(), Status::Error(_)));
            assert_eq!(c.next_command(), Ok(None), "no INITIATE after a failure");
        }
    }

    #[test]
    fn damaged_initiates_are_refused() {
        let (_, _, initiate) = before_initiate();
        let len = initiate.len();
        let mut cases = Vec::new();
        for cut in 0..len {
            let expected = match cut {
                0..=8 => MALFORMED_COMMAND_UNSPECIFIED,
                9..=256 => MALFORMED_COMMAND_INITIATE,
                _ => CRYPTOGRAPHIC,
            };
            cases.push((Mutation::Cut(cut), expected));
        }
        for at in 0..len {
            let expected = if at < 9 {
                UNEXPECTED_COMMAND
            } else {
                CRYPTOGRAPHIC
            };
            cases.push((Mutation::Flip(at), expected));
        }
        cases.push((Mutation::Grow, CRYPTOGRAPHIC));
        cases.push((Mutation::Rename(b"INITIATX"), UNEXPECTED_COMMAND));
        for (mutation, expected) in cases {
            let (_, mut s, initiate) = before_initiate();
            let bad = mutation.apply(&initiate);
            assert_eq!(code(s.process_command(&bad)), expected, "{mutation:?}");
            assert!(matches!(s.status(), Status::Error(_)));
            assert!(s.take_zap_request().is_none());
            assert_eq!(s.next_command(), Ok(None), "no READY after a failure");
        }
    }

    /// CVE-2019-13132: the metadata inside INITIATE comes from a client that
    /// needs nothing but the server's public key. However large it is, and
    /// whatever lengths its properties claim, the server reads it or refuses
    /// it; nothing is written past what the box held. The same for READY.
    #[test]
    fn cve_2019_13132_oversized_or_lying_metadata_is_read_or_refused() {
        let big = vec![0xa5; 1 << 20];
        let mut props = metadata(&config(DEALER, Security::default())).unwrap();
        props.extend_from_slice(b"\x05X-Big");
        props.extend_from_slice(&(big.len() as u32).to_be_bytes());
        props.extend_from_slice(&big);
        let lying = |claim: u32| {
            let mut p = metadata(&config(DEALER, Security::default())).unwrap();
            p.extend_from_slice(b"\x05X-Lie");
            p.extend_from_slice(&claim.to_be_bytes());
            p.extend_from_slice(b"short");
            p
        };
        let truncated_name = {
            let mut p = metadata(&config(DEALER, Security::default())).unwrap();
            p.extend_from_slice(b"\xffX-");
            p
        };
        for (meta, readable) in [
            (props, true),
            (lying(6), false),
            (lying(u32::MAX), false),
            (lying(0x8000_0000), false),
            (truncated_name, false),
        ] {
            // The client's side: INITIATE carries exactly these bytes.
            let (mut c, mut s) = pair();
            c.metadata = Ok(meta.clone());
            let hello = c.next_command().unwrap().unwrap();
            s.process_command(&hello).unwrap();
            c.process_command(&s.next_command().unwrap().unwrap())
                .unwrap();
            let initiate = c.next_command().unwrap().unwrap();
            assert_eq!(initiate.len(), INITIATE_MIN_LEN + meta.len());
            let result = s.process_command(&initiate);
            if readable {
                result.unwrap();
                s.take_zap_request().unwrap();
                s.zap_reply(None).unwrap();
                assert!(s.next_command().unwrap().is_some());
                assert_eq!(s.take_properties().get("X-Big"), Some(&big[..]));
            } else {
                assert!(result.is_err());
                assert!(matches!(s.status(), Status::Error(_)));
                assert!(s.take_zap_request().is_none());
                assert_eq!(s.next_command(), Ok(None), "no READY after a failure");
            }

            // The server's side: READY carries them the other way.
            let (mut c, mut s, initiate) = before_initiate();
            s.process_command(&initiate).unwrap();
            s.take_zap_request().unwrap();
            s.zap_reply(None).unwrap();
            let mut server_meta = meta.clone();
            let router = metadata(&config(ROUTER, Security::default())).unwrap();
            let dealer = metadata(&config(DEALER, Security::default())).unwrap();
            server_meta.splice(..dealer.len(), router);
            let ready = s
                .session
                .seal_command(b"\x05READY", READY_NONCE, &server_meta)
                .unwrap();
            let result = c.process_command(&ready);
            assert_eq!(result.is_ok(), readable);
            if readable {
                assert_eq!(c.take_properties().get("X-Big"), Some(&big[..]));
            } else {
                assert!(matches!(c.status(), Status::Error(_)));
            }
        }
    }

    #[test]
    fn cookies_and_vouches_are_checked() {
        // Another connection's cookie (and boxes): not ours.
        let (_, mut s, _) = before_initiate();
        let (_, _, foreign) = before_initiate();
        assert_eq!(code(s.process_command(&foreign)), CRYPTOGRAPHIC);

        // A vouch for some other short-term key.
        let k = keys();
        let (mut c, mut s, hello) = after_hello(&k);
        s.process_command(&hello).unwrap();
        c.process_command(&s.next_command().unwrap().unwrap())
            .unwrap();
        c.short.as_mut().unwrap().public = curve_keys::generate().unwrap().0;
        let initiate = c.next_command().unwrap().unwrap();
        assert_eq!(code(s.process_command(&initiate)), KEY_EXCHANGE);
    }

    #[test]
    fn damaged_readies_are_refused() {
        let (_, _, ready) = before_ready();
        let len = ready.len();
        let mut cases = Vec::new();
        for cut in 0..len {
            let expected = match cut {
                0..=5 => UNEXPECTED_COMMAND,
                6..=29 => MALFORMED_COMMAND_READY,
                _ => CRYPTOGRAPHIC,
            };
            cases.push((Mutation::Cut(cut), expected));
        }
        for at in 0..len {
            let expected = if at < 6 {
                UNEXPECTED_COMMAND
            } else {
                CRYPTOGRAPHIC
            };
            cases.push((Mutation::Flip(at), expected));
        }
        cases.push((Mutation::Grow, CRYPTOGRAPHIC));
        cases.push((Mutation::Rename(b"READX"), UNEXPECTED_COMMAND));
        for (mutation, expected) in cases {
            let (mut c, _, ready) = before_ready();
            let bad = mutation.apply(&ready);
            assert_eq!(code(c.process_command(&bad)), expected, "{mutation:?}");
            assert!(matches!(c.status(), Status::Error(_)));
            assert_eq!(code(c.encode(&frame(b"x", 0))), UNSPECIFIED);
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Mutation {
        Cut(usize),
        Flip(usize),
        Grow,
        Rename(&'static [u8]),
    }

    impl Mutation {
        fn apply(self, body: &[u8]) -> Vec<u8> {
            let mut out = body.to_vec();
            match self {
                Mutation::Cut(len) => out.truncate(len),
                Mutation::Flip(at) => out[at] ^= 0x20,
                Mutation::Grow => out.push(0),
                Mutation::Rename(name) => out[1..1 + name.len()].copy_from_slice(name),
            }
            out
        }
    }

    #[test]
    fn commands_out_of_order_are_refused() {
        let (_, _, initiate) = before_initiate();
        let (_, _, ready) = before_ready();
        let k = keys();
        let (_, _, hello) = after_hello(&k);
        let message = {
            let (mut c, _) = connected();
            c.encode(&frame(b"m", 0)).unwrap().as_slice().to_vec()
        };

        // Server, waiting for HELLO.
        for body in [&initiate, &ready, &message, &command(b"ERROR", b"\x03400")] {
            let mut s = Server::new(&config(ROUTER, server_security(&k)));
            assert_eq!(code(s.process_command(body)), UNEXPECTED_COMMAND);
        }
        // Server, HELLO read and WELCOME not yet sent.
        let mut s = Server::new(&config(ROUTER, server_security(&k)));
        s.process_command(&hello).unwrap();
        assert_eq!(code(s.process_command(&hello)), UNSPECIFIED);
        // Server, waiting for INITIATE: a second HELLO.
        let (_, mut s, _) = before_initiate();
        assert_eq!(code(s.process_command(&hello)), UNEXPECTED_COMMAND);
        // Server, asking ZAP, then done.
        let (_, mut s, initiate) = before_initiate();
        s.process_command(&initiate).unwrap();
        assert_eq!(code(s.zap_reply(None)), ZAP_UNSPECIFIED);
        assert_eq!(code(s.process_command(&initiate)), UNSPECIFIED);
        assert!(s.take_zap_request().is_some());
        assert!(s.take_zap_request().is_none());
        s.zap_reply(None).unwrap();
        assert_eq!(code(s.zap_reply(None)), ZAP_UNSPECIFIED);
        s.next_command().unwrap().unwrap();
        assert_eq!(s.status(), Status::Ready);
        assert_eq!(code(s.process_command(&initiate)), UNSPECIFIED);

        // Client, before HELLO.
        let welcome = {
            let (_, mut s, hello) = after_hello(&k);
            s.process_command(&hello).unwrap();
            s.next_command().unwrap().unwrap()
        };
        for body in [&welcome, &ready] {
            let (mut c, _) = pair_with(&k);
            assert_eq!(code(c.process_command(body)), UNEXPECTED_COMMAND);
        }
        // Client, waiting for WELCOME.
        for body in [&ready, &hello, &initiate, &message] {
            let (mut c, _, _) = after_hello(&k);
            assert_eq!(code(c.process_command(body)), UNEXPECTED_COMMAND);
        }
        // Client, waiting for READY: a second WELCOME.
        let (mut c, _, _) = before_initiate();
        assert_eq!(code(c.process_command(&welcome)), UNEXPECTED_COMMAND);
        // Client, done.
        let (mut c, _, ready) = before_ready();
        c.process_command(&ready).unwrap();
        assert_eq!(c.status(), Status::Ready);
        assert_eq!(code(c.process_command(&ready)), UNEXPECTED_COMMAND);
        assert_eq!(
            c.status(),
            Status::Ready,
            "a stray command does not undo the handshake"
        );
    }

    /// Garbage, and garbage behind the right names and sizes, at each step
    /// of both sides: errors, never a panic.
    #[test]
    fn random_input_never_panics() {
        let mut rng = super::super::super::TestRng::new(25);
        fn garbage(rng: &mut super::super::super::TestRng, name: &[u8], len: usize) -> Vec<u8> {
            let mut body = name.to_vec();
            body.extend(rng.bytes(len.saturating_sub(name.len())));
            body
        }
        fn poke(m: &mut dyn Mechanism, body: &[u8]) {
            let _ = m.process_command(body);
            let _ = m.next_command();
            let _ = m.take_zap_request();
            let _ = m.zap_reply(None);
            let _ = m.status();
            let _ = m.decode(&Msg::from_slice(body).unwrap());
            let _ = m.encode(&Msg::from_slice(body).unwrap());
        }
        let k = keys();
        for i in 0..2000 {
            let len = rng.below(300);
            let body = match i % 3 {
                0 => rng.bytes(len),
                1 => garbage(&mut rng, HELLO, len),
                _ => {
                    let mut hello = garbage(&mut rng, b"\x05HELLO\x01\x00", HELLO_LEN);
                    hello[8..80].fill(0);
                    hello
                }
            };
            poke(
                &mut Server::new(&config(ROUTER, server_security(&k))),
                &body,
            );
            let mut c = Client::new(&config(DEALER, client_security(&k)));
            poke(&mut c, &body);
        }
        for i in 0..300 {
            let len = 200 + rng.below(200);
            let (mut c, mut s, initiate) = before_initiate();
            let body = match i % 3 {
                0 => rng.bytes(len),
                1 => garbage(&mut rng, INITIATE, len),
                _ => {
                    let mut bad = initiate.clone();
                    let at = rng.below(bad.len());
                    bad[at] = rng.next() as u8;
                    bad
                }
            };
            poke(&mut s, &body);
            let welcome = garbage(&mut rng, b"\x07WELCOME", WELCOME_LEN);
            let (mut fresh, _, _) = after_hello(&k);
            poke(&mut fresh, if i % 2 == 0 { &welcome } else { &body });
            let len = 6 + rng.below(100);
            let ready = garbage(&mut rng, b"\x05READY", len);
            poke(&mut c, &ready);
        }
        let (mut c, mut s) = connected();
        for _ in 0..2000 {
            let len = rng.below(100);
            let body = garbage(&mut rng, MESSAGE, len);
            assert!(s.decode(&Msg::from_slice(&body).unwrap()).is_err());
            assert!(c
                .decode(&Msg::from_slice(&rng.bytes(len)).unwrap())
                .is_err());
            let _ = c.process_command(&body);
            let _ = s.process_command(&body);
        }
        // Still working.
        let boxed = c.encode(&frame(b"ok", 0)).unwrap();
        assert_eq!(s.decode(&boxed).unwrap().as_slice(), b"ok");
    }
}
