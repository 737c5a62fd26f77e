//! ZMTP framing. 2.0 / 3.x: a flags octet (MORE 0x01, LONG 0x02, COMMAND
//! 0x04 in 3.x), a 1-octet or 8-octet big-endian size, the body. 1.0
//! (for old peers): a length that counts a flags octet, the flags, the body.
//!
//! The decoder takes arbitrary chunks and never trusts an announced size
//! with memory: bodies up to [`DIRECT_LIMIT`] get their message at once,
//! larger ones grow with the bytes that really arrive.

use std::collections::VecDeque;

use super::ZmtpError;
use crate::msg::{self, BodyFill, Msg};

/// More frames of this message follow.
pub const FLAG_MORE: u8 = 0x01;
/// The size is 8 octets.
pub const FLAG_LONG: u8 = 0x02;
/// A command frame (3.x only).
pub const FLAG_COMMAND: u8 = 0x04;
/// The longest frame header: flags and an 8-octet size.
pub const MAX_HEADER_LEN: usize = 9;
/// Bodies up to this size are allocated whole as soon as their size is
/// known (a bounded cost a lying peer can impose on us).
pub const DIRECT_LIMIT: usize = 64 * 1024;
/// Bodies with at least this much still to come are read from the socket
/// straight into their message (see [`FrameDecoder::body_target`]).
pub const DIRECT_READ_MIN: usize = 8 * 1024;
/// The memory a larger body takes at first; it then grows to at most twice
/// what has arrived.
pub const GROW_STEP: usize = 64 * 1024;

/// Which framing rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameVersion {
    /// ZMTP 1.0: a length counting the flags octet (1 octet, or 0xFF and
    /// 8 octets), then flags (MORE only; other bits ignored), then body.
    V1,
    /// ZMTP 2.0: no commands; bits 2-7 reserved.
    V2,
    /// ZMTP 3.0 and 3.1: COMMAND is bit 2; bits 3-7 reserved.
    V3,
}

impl FrameVersion {
    fn allowed_flags(self) -> u8 {
        match self {
            FrameVersion::V1 | FrameVersion::V2 => FLAG_MORE | FLAG_LONG,
            FrameVersion::V3 => FLAG_MORE | FLAG_LONG | FLAG_COMMAND,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between frames: the flags octet (2.0/3.x) or the length (1.0).
    Start,
    /// Reading the size: `needed` octets in all (1 or 8).
    Size {
        needed: usize,
    },
    /// 1.0: the flags octet after the length.
    V1Flags,
    Body,
}

/// The largest body this machine could ever hold: its memory and swap
/// (2^63-1 at most, the protocol's own limit). A frame announcing more can
/// never complete, so it is refused at its header instead of waiting for
/// bytes that cannot all be kept.
pub fn largest_possible_message() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let protocol = i64::MAX as u64;
        match nix::sys::sysinfo::sysinfo() {
            Ok(info) => info
                .ram_total()
                .saturating_add(info.swap_total())
                .min(protocol),
            Err(_) => protocol,
        }
    })
}

/// Turns a byte stream into frames.
pub struct FrameDecoder {
    version: FrameVersion,
    max_msg_size: i64,
    /// The handshake: a data frame is refused at its flags octet.
    commands_only: bool,
    state: State,
    flags: u8,
    size_buf: [u8; 8],
    size_got: usize,
    size: usize,
    /// The frame's message, written as its bytes arrive (allocated whole
    /// up to DIRECT_LIMIT, growing with the bytes received above).
    body: Option<BodyFill>,
    error: Option<ZmtpError>,
}

impl FrameDecoder {
    /// `max_msg_size` is `ZMQ_MAXMSGSIZE`: frames announcing more bytes are
    /// refused; -1 (any negative) means no limit.
    pub fn new(version: FrameVersion, max_msg_size: i64) -> FrameDecoder {
        FrameDecoder {
            version,
            max_msg_size,
            commands_only: false,
            state: State::Start,
            flags: 0,
            size_buf: [0; 8],
            size_got: 0,
            size: 0,
            body: None,
            error: None,
        }
    }

    /// While `on` (a ZMTP 3 handshake), only command frames are taken: a
    /// data frame is an error as soon as its flags octet arrives.
    pub fn expect_commands(&mut self, on: bool) {
        self.commands_only = on;
    }

    /// How much to read next when it should be less than a full `batch`:
    /// between frames after one of a batch or more, only a header's worth,
    /// so that a large body that follows is read straight into its message
    /// instead of being copied there from the read buffer. (After smaller
    /// frames, a batch read takes several at once: the copy costs less than
    /// the reads it saves.)
    pub fn read_limit(&self, batch: usize) -> Option<usize> {
        // `size` is still the last frame's between frames.
        (self.is_idle() && self.size >= batch.max(DIRECT_READ_MIN)).then_some(MAX_V1_HEADER_LEN)
    }

    /// Whether the decoder sits between frames (a closed connection at this
    /// point lost no partial frame).
    pub fn is_idle(&self) -> bool {
        self.state == State::Start && self.error.is_none()
    }

    /// Memory held for the frame being received.
    pub fn buffered_capacity(&self) -> usize {
        self.body.as_ref().map_or(0, BodyFill::capacity)
    }

    /// The body being received, when it already sits in its final
    /// message: the engine may read from the socket straight into it (no
    /// copy for large bodies), then call [`Self::commit`]. `None` when the
    /// next bytes must go through [`Self::decode`].
    pub fn body_target(&mut self) -> Option<&mut BodyFill> {
        if self.error.is_some() || self.state != State::Body {
            return None;
        }
        let fill = self.body.as_mut()?;
        if fill.reserve().is_err() {
            self.fail(ZmtpError::NoMemory);
            return None;
        }
        self.body.as_mut()
    }

    /// After writing into [`Self::body_target`]: the frame, once its body
    /// is complete.
    pub fn commit(&mut self) -> Option<Msg> {
        if self.error.is_some() || self.state != State::Body {
            return None;
        }
        if !self.body.as_ref().is_some_and(BodyFill::is_complete) {
            return None;
        }
        let msg = self.body.take()?.finish().ok()?;
        Some(self.finish(msg))
    }

    /// Consumes bytes of `input` until a frame is complete or the input
    /// ends. Returns the bytes used and the frame, if one completed; call
    /// again with the rest. A frame's MORE flag is the message's `more()`;
    /// a command carries `msg::flags::COMMAND`. After an error, every call
    /// returns it again.
    pub fn decode(&mut self, input: &[u8]) -> Result<(usize, Option<Msg>), ZmtpError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.step(input).map_err(|e| self.fail(e))
    }

    /// Records an error: every later call returns it.
    fn fail(&mut self, e: ZmtpError) -> ZmtpError {
        self.error = Some(e.clone());
        self.body = None;
        e
    }

    /// Decodes all of `input`, appending complete frames to `out`.
    pub fn decode_into(&mut self, mut input: &[u8], out: &mut Vec<Msg>) -> Result<(), ZmtpError> {
        while !input.is_empty() {
            let (used, msg) = self.decode(input)?;
            input = &input[used..];
            out.extend(msg);
        }
        Ok(())
    }

    /// Decodes the whole short data frames at the start of `input` into
    /// `out`, stopping at anything else (a command, a long or partial
    /// frame), which [`FrameDecoder::decode`] then takes. Returns the bytes
    /// used.
    pub fn decode_short_data(
        &mut self,
        input: &[u8],
        out: &mut VecDeque<Msg>,
    ) -> Result<usize, ZmtpError> {
        if self.error.is_some() {
            return Ok(0);
        }
        let mut pos = 0;
        let run = loop {
            match self.whole_short_frame(&input[pos..], FLAG_MORE) {
                Ok(Some((flags, body))) => {
                    // The message is written where it will wait, in the
                    // queue, instead of built here and moved there.
                    out.push_back(Msg::new());
                    let Some(msg) = out.back_mut() else {
                        break Ok(pos);
                    };
                    if Msg::fill(msg, body).is_err() {
                        out.pop_back();
                        break Err(ZmtpError::NoMemory);
                    }
                    msg.set_more(flags & FLAG_MORE != 0);
                    pos += 2 + body.len();
                }
                Ok(None) => break Ok(pos),
                Err(e) => break Err(e),
            }
        };
        run.map_err(|e| self.fail(e))
    }

    /// The whole short frame at the start of `input`, if one is there and
    /// its flags are among `accepted`: its flags and body. Its size is
    /// checked against the limits.
    fn whole_short_frame<'a>(
        &self,
        input: &'a [u8],
        accepted: u8,
    ) -> Result<Option<(u8, &'a [u8])>, ZmtpError> {
        if self.state != State::Start || self.version == FrameVersion::V1 {
            return Ok(None);
        }
        let [flags, size, rest @ ..] = input else {
            return Ok(None);
        };
        let size = usize::from(*size);
        if flags & !accepted != 0 || flags & FLAG_LONG != 0 || rest.len() < size {
            return Ok(None);
        }
        self.check_size(size as u64)?;
        Ok(Some((*flags, &rest[..size])))
    }

    fn step(&mut self, input: &[u8]) -> Result<(usize, Option<Msg>), ZmtpError> {
        // The common case first: a whole short frame in the input.
        if let Some((flags, body)) = self.whole_short_frame(input, self.version.allowed_flags())? {
            let msg = Msg::from_slice(body).map_err(|_| ZmtpError::NoMemory)?;
            self.flags = flags;
            return Ok((2 + body.len(), Some(self.finish(msg))));
        }
        let mut pos = 0;
        loop {
            match self.state {
                State::Start => {
                    let Some(&first) = input.get(pos) else {
                        return Ok((pos, None));
                    };
                    pos += 1;
                    self.size_got = 0;
                    if self.version == FrameVersion::V1 {
                        // 1.0: the length (flags included) comes first.
                        match first {
                            0 => return Err(ZmtpError::InvalidFrame),
                            0xFF => self.state = State::Size { needed: 8 },
                            len => {
                                self.size = self.check_size(u64::from(len) - 1)?;
                                self.state = State::V1Flags;
                            }
                        }
                        continue;
                    }
                    if first & !self.version.allowed_flags() != 0 {
                        return Err(if first & FLAG_COMMAND != 0 && first & !0x07 == 0 {
                            ZmtpError::UnexpectedCommand
                        } else {
                            ZmtpError::ReservedFlags(first)
                        });
                    }
                    if self.commands_only && first & FLAG_COMMAND == 0 {
                        return Err(ZmtpError::UnexpectedCommand);
                    }
                    self.flags = first;
                    let needed = if first & FLAG_LONG != 0 { 8 } else { 1 };
                    self.state = State::Size { needed };
                }
                State::Size { needed } => {
                    let take = (needed - self.size_got).min(input.len() - pos);
                    self.size_buf[self.size_got..self.size_got + take]
                        .copy_from_slice(&input[pos..pos + take]);
                    self.size_got += take;
                    pos += take;
                    if self.size_got < needed {
                        return Ok((pos, None));
                    }
                    let size = if needed == 1 {
                        u64::from(self.size_buf[0])
                    } else {
                        u64::from_be_bytes(self.size_buf)
                    };
                    if self.version == FrameVersion::V1 {
                        // The 1.0 length counts the flags octet.
                        let body = size.checked_sub(1).ok_or(ZmtpError::InvalidFrame)?;
                        self.size = self.check_size(body)?;
                        self.state = State::V1Flags;
                        continue;
                    }
                    // A long size under 256 is legal (RFC 37 says a short
                    // one SHOULD be used, not MUST) and libzmq accepts it.
                    self.size = self.check_size(size)?;
                    if let Some(empty) = self.begin_body()? {
                        return Ok((pos, Some(empty)));
                    }
                }
                State::V1Flags => {
                    let Some(&flags) = input.get(pos) else {
                        return Ok((pos, None));
                    };
                    pos += 1;
                    // Bits 1-7 "SHOULD be zero" in 1.0: ignored, not refused.
                    self.flags = flags & FLAG_MORE;
                    if let Some(empty) = self.begin_body()? {
                        return Ok((pos, Some(empty)));
                    }
                }
                State::Body => {
                    // Unreachable: begin_body sets it before this state.
                    let fill = self.body.as_mut().ok_or(ZmtpError::NoMemory)?;
                    // A growing body takes what its room holds, then more
                    // room, as long as the input lasts.
                    loop {
                        fill.reserve().map_err(|_| ZmtpError::NoMemory)?;
                        let n = fill.extend(&input[pos..]);
                        pos += n;
                        if n == 0 || fill.is_complete() {
                            break;
                        }
                    }
                    if !fill.is_complete() {
                        return Ok((pos, None));
                    }
                    let msg = self.body.take().ok_or(ZmtpError::NoMemory)?;
                    let msg = msg.finish().map_err(|_| ZmtpError::NoMemory)?;
                    return Ok((pos, Some(self.finish(msg))));
                }
            }
        }
    }

    /// Sets up the body of `self.size` bytes; an empty frame is complete
    /// at once and returned.
    fn begin_body(&mut self) -> Result<Option<Msg>, ZmtpError> {
        if self.size == 0 {
            return Ok(Some(self.finish(Msg::new())));
        }
        let fill = if self.size <= DIRECT_LIMIT {
            BodyFill::new(self.size)
        } else {
            BodyFill::growing(self.size, GROW_STEP)
        };
        self.body = Some(fill.map_err(|_| ZmtpError::NoMemory)?);
        self.state = State::Body;
        Ok(None)
    }

    fn check_size(&self, size: u64) -> Result<usize, ZmtpError> {
        // The limits apply as soon as the size is known: ZMQ_MAXMSGSIZE if
        // set, and always what this machine could ever hold. Below that, a
        // body takes memory only as its bytes arrive (BodyFill::growing).
        if self.max_msg_size >= 0 && size > self.max_msg_size as u64 {
            return Err(ZmtpError::MessageTooLarge);
        }
        if size > largest_possible_message() {
            return Err(ZmtpError::MessageTooLarge);
        }
        usize::try_from(size).map_err(|_| ZmtpError::MessageTooLarge)
    }

    fn finish(&mut self, mut msg: Msg) -> Msg {
        msg.set_more(self.flags & FLAG_MORE != 0);
        if self.flags & FLAG_COMMAND != 0 {
            msg.set_flags(msg::flags::COMMAND);
        }
        self.state = State::Start;
        msg
    }
}

/// The header of a frame of `len` bytes: short under 256 bytes, long
/// otherwise. Returns the bytes and how many of them to send.
pub fn header_for(len: usize, more: bool, command: bool) -> ([u8; MAX_HEADER_LEN], usize) {
    let mut header = [0; MAX_HEADER_LEN];
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    if len < 256 {
        header[0] = flags;
        header[1] = len as u8;
        (header, 2)
    } else {
        header[0] = flags | FLAG_LONG;
        // usize is at most 64 bits on every target we build for.
        header[1..].copy_from_slice(&(len as u64).to_be_bytes());
        (header, MAX_HEADER_LEN)
    }
}

/// The longest ZMTP 1.0 header: 0xFF, an 8-octet length, flags.
pub const MAX_V1_HEADER_LEN: usize = 10;

/// The ZMTP 1.0 header of a frame of `len` bytes (commands do not exist
/// in 1.0). Returns the bytes and how many of them to send.
pub fn v1_header_for(len: usize, more: bool) -> ([u8; MAX_V1_HEADER_LEN], usize) {
    let mut header = [0; MAX_V1_HEADER_LEN];
    let flags = if more { FLAG_MORE } else { 0 };
    // The length counts the flags octet; usize is at most 64 bits.
    let length = (len as u64).saturating_add(1);
    if length < 255 {
        header[0] = length as u8;
        header[1] = flags;
        (header, 2)
    } else {
        header[0] = 0xFF;
        header[1..9].copy_from_slice(&length.to_be_bytes());
        header[9] = flags;
        (header, MAX_V1_HEADER_LEN)
    }
}

/// Appends `msg` as a ZMTP 1.0 frame to `out`.
pub fn encode_v1(msg: &Msg, out: &mut Vec<u8>) {
    let (bytes, len) = v1_header_for(msg.len(), msg.more());
    out.extend_from_slice(&bytes[..len]);
    out.extend_from_slice(msg.as_slice());
}

/// The header of `msg` (its MORE and COMMAND flags and size), so a large
/// body can be written after it without being copied.
pub fn header(msg: &Msg) -> ([u8; MAX_HEADER_LEN], usize) {
    header_for(msg.len(), msg.more(), msg.is_command())
}

/// Appends the header of `msg` to `out`.
pub fn encode_header(msg: &Msg, out: &mut Vec<u8>) {
    let (bytes, len) = header(msg);
    out.extend_from_slice(&bytes[..len]);
}

/// Appends the whole frame (header and body) to `out`, so many frames can
/// go out in one write.
pub fn encode(msg: &Msg, out: &mut Vec<u8>) {
    encode_header(msg, out);
    out.extend_from_slice(msg.as_slice());
}

#[cfg(test)]
mod tests {
    use super::super::TestRng;
    use super::*;

    fn frame(body: &[u8], more: bool, command: bool) -> Msg {
        let mut msg = Msg::from_slice(body).unwrap();
        msg.set_more(more);
        if command {
            msg.set_flags(msg::flags::COMMAND);
        }
        msg
    }

    fn decode_chunked(
        dec: &mut FrameDecoder,
        wire: &[u8],
        mut chunk: impl FnMut() -> usize,
    ) -> Result<Vec<Msg>, ZmtpError> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < wire.len() {
            let end = (pos + chunk().max(1)).min(wire.len());
            dec.decode_into(&wire[pos..end], &mut out)?;
            pos = end;
        }
        Ok(out)
    }

    const SIZES: [usize; 9] = [0, 1, 40, 41, 255, 256, 65536, 65537, 200_000];

    fn sample() -> (Vec<Msg>, Vec<u8>) {
        let mut rng = TestRng::new(1);
        let mut msgs = Vec::new();
        for (i, &size) in SIZES.iter().enumerate() {
            msgs.push(frame(&rng.bytes(size), i % 3 != 2, false));
            msgs.push(frame(&rng.bytes(size.min(300)), false, true));
        }
        let mut wire = Vec::new();
        for m in &msgs {
            encode(m, &mut wire);
        }
        (msgs, wire)
    }

    fn assert_same(got: &[Msg], want: &[Msg]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.as_slice(), w.as_slice());
            assert_eq!(g.more(), w.more());
            assert_eq!(g.is_command(), w.is_command());
        }
    }

    #[test]
    fn headers_short_and_long() {
        assert_eq!(
            header_for(0, false, false),
            ([0, 0, 0, 0, 0, 0, 0, 0, 0], 2)
        );
        assert_eq!(header_for(255, true, false).0[..2], [0x01, 255]);
        let (h, n) = header_for(256, true, true);
        assert_eq!(n, 9);
        assert_eq!(h, [0x07, 0, 0, 0, 0, 0, 0, 1, 0]);
        let (h, n) = header_for(65536, false, false);
        assert_eq!((h[0], n), (0x02, 9));
        assert_eq!(u64::from_be_bytes(h[1..].try_into().unwrap()), 65536);
    }

    #[test]
    fn round_trip_whole_and_byte_by_byte() {
        let (msgs, wire) = sample();
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        let mut got = Vec::new();
        dec.decode_into(&wire, &mut got).unwrap();
        assert_same(&got, &msgs);
        assert!(dec.is_idle());
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        assert_same(&decode_chunked(&mut dec, &wire, || 1).unwrap(), &msgs);
    }

    /// The engine's way: runs of short data frames first, then one frame
    /// of anything else, over chunks of the wire.
    fn decode_with_runs(
        dec: &mut FrameDecoder,
        wire: &[u8],
        chunk: usize,
    ) -> Result<Vec<Msg>, ZmtpError> {
        let mut got = VecDeque::new();
        for mut piece in wire.chunks(chunk) {
            while !piece.is_empty() {
                let used = dec.decode_short_data(piece, &mut got)?;
                piece = &piece[used..];
                let (used, msg) = dec.decode(piece)?;
                piece = &piece[used..];
                got.extend(msg);
            }
        }
        Ok(got.into())
    }

    #[test]
    fn short_data_runs_decode_like_single_frames() {
        let (msgs, wire) = sample();
        for chunk in [1, 2, 3, 7, 100, 70_000, wire.len()] {
            let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
            assert_same(&decode_with_runs(&mut dec, &wire, chunk).unwrap(), &msgs);
            assert!(dec.is_idle());
        }
        // Reserved flags and oversized short frames fail the same way.
        let mut dec = FrameDecoder::new(FrameVersion::V3, 3);
        let mut got = VecDeque::new();
        assert_eq!(
            dec.decode_short_data(b"\x01\x01a\x00\x04abcd", &mut got),
            Err(ZmtpError::MessageTooLarge)
        );
        assert_eq!(got.len(), 1);
        assert!(dec.decode(b"\x00\x00").is_err());
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        assert_eq!(dec.decode_short_data(b"\x80\x00", &mut got), Ok(0));
        assert!(dec.decode(b"\x80\x00").is_err());
    }

    #[test]
    fn round_trip_random_chunks() {
        let (msgs, wire) = sample();
        let mut rng = TestRng::new(5);
        for _ in 0..20 {
            let mut dec = FrameDecoder::new(FrameVersion::V3, 200_000);
            let max = 1 + rng.below(70_000);
            let got = decode_chunked(&mut dec, &wire, || rng.below(max)).unwrap();
            assert_same(&got, &msgs);
        }
    }

    #[test]
    fn decode_stops_after_each_frame() {
        let mut wire = Vec::new();
        encode(&frame(b"a", true, false), &mut wire);
        encode(&frame(b"", true, false), &mut wire);
        encode(&frame(b"bc", false, false), &mut wire);
        let mut dec = FrameDecoder::new(FrameVersion::V2, -1);
        let (used, msg) = dec.decode(&wire).unwrap();
        assert_eq!(used, 3);
        let msg = msg.unwrap();
        assert!(msg.more() && msg.as_slice() == b"a");
        let (used2, msg) = dec.decode(&wire[used..]).unwrap();
        assert_eq!(used2, 2);
        assert!(msg.unwrap().more());
        let (_, msg) = dec.decode(&wire[used + used2..]).unwrap();
        let msg = msg.unwrap();
        assert!(!msg.more() && msg.as_slice() == b"bc");
    }

    #[test]
    fn long_size_under_256_is_accepted() {
        let wire = [0x03, 0, 0, 0, 0, 0, 0, 0, 2, b'h', b'i'];
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        let mut got = Vec::new();
        dec.decode_into(&wire, &mut got).unwrap();
        assert_eq!(got.len(), 1);
        assert!(got[0].more() && got[0].as_slice() == b"hi");
        let zero = [0x02, 0, 0, 0, 0, 0, 0, 0, 0];
        got.clear();
        dec.decode_into(&zero, &mut got).unwrap();
        assert!(got[0].is_empty() && !got[0].more());
    }

    #[test]
    fn reserved_bits_and_commands_on_v2_are_refused() {
        for flags in [0x08u8, 0x10, 0x80, 0xFF, 0x09] {
            let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
            assert_eq!(
                dec.decode(&[flags, 0]).unwrap_err(),
                ZmtpError::ReservedFlags(flags)
            );
            // The decoder stays failed.
            assert_eq!(
                dec.decode(&[0, 0]).unwrap_err(),
                ZmtpError::ReservedFlags(flags)
            );
            assert!(!dec.is_idle());
        }
        let mut dec = FrameDecoder::new(FrameVersion::V2, -1);
        assert_eq!(
            dec.decode(&[0x04, 0]).unwrap_err(),
            ZmtpError::UnexpectedCommand
        );
    }

    #[test]
    fn huge_announced_size_does_not_allocate_up_front() {
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        let mut wire = vec![0x02];
        wire.extend_from_slice(&largest_possible_message().to_be_bytes());
        let (used, msg) = dec.decode(&wire).unwrap();
        assert_eq!((used, msg.is_none()), (9, true));
        // No more than a frame of DIRECT_LIMIT bytes would take.
        assert!(dec.buffered_capacity() <= GROW_STEP.max(DIRECT_LIMIT));
        let mut fed = 0;
        let chunk = vec![0xAB; 10_000];
        for _ in 0..100 {
            let (used, msg) = dec.decode(&chunk).unwrap();
            assert!(msg.is_none());
            fed += used;
            assert!(dec.buffered_capacity() <= 2 * fed + GROW_STEP);
        }
        assert_eq!(fed, 1_000_000);
    }

    /// A length no machine of this size could hold is refused at its
    /// header, by every version's decoder, for data and commands alike.
    #[test]
    fn sizes_no_memory_could_hold_are_refused_at_the_header() {
        let beyond = largest_possible_message() + 1;
        let huge = 1u64 << 62;
        for size in [beyond, huge] {
            for flags in [0x02, 0x03, 0x06] {
                let mut wire = vec![flags];
                wire.extend_from_slice(&size.to_be_bytes());
                for version in [FrameVersion::V3, FrameVersion::V2] {
                    if version == FrameVersion::V2 && flags & 0x04 != 0 {
                        continue;
                    }
                    let mut dec = FrameDecoder::new(version, -1);
                    assert_eq!(
                        dec.decode(&wire).unwrap_err(),
                        ZmtpError::MessageTooLarge,
                        "{version:?} flags {flags:#x} size {size}"
                    );
                }
            }
            // 1.0: 0xFF, then eight octets counting the flags octet too.
            let mut wire = vec![0xFF];
            wire.extend_from_slice(&(size + 1).to_be_bytes());
            let mut dec = FrameDecoder::new(FrameVersion::V1, -1);
            assert_eq!(dec.decode(&wire).unwrap_err(), ZmtpError::MessageTooLarge);
        }
    }

    /// In the handshake a data frame is wrong from its first octet: no
    /// length, no body is waited for.
    #[test]
    fn a_data_frame_in_the_handshake_is_refused_at_its_flags() {
        for flags in [0x00, 0x01, 0x02, 0x03] {
            let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
            dec.expect_commands(true);
            assert_eq!(
                dec.decode(&[flags]).unwrap_err(),
                ZmtpError::UnexpectedCommand
            );
        }
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        dec.expect_commands(true);
        let (used, msg) = dec.decode(&[0x04, 1, 7]).unwrap();
        assert_eq!(used, 3);
        assert!(msg.unwrap().is_command());
        dec.expect_commands(false);
        let (_, msg) = dec.decode(&[0x00, 1, 7]).unwrap();
        assert!(!msg.unwrap().is_command());
    }

    /// CVE-2019-6250: a 2.0 size near 2^64 once wrapped libzmq's read
    /// position past its buffer. Every size that could wrap is refused at
    /// its header (3.x too), after a good frame and however the bytes come.
    #[test]
    fn cve_2019_6250_sizes_that_could_wrap_are_refused() {
        let sizes = [
            u64::MAX,
            u64::MAX - 1,
            u64::MAX - 8,
            u64::MAX - 8192,
            1 << 63,
            (1 << 63) + 1,
        ];
        for version in [FrameVersion::V2, FrameVersion::V3] {
            for size in sizes {
                for chunk in [1, 3, 11, 64] {
                    let mut wire = vec![0x00, 3, b'o', b'k', b'!', 0x02];
                    wire.extend_from_slice(&size.to_be_bytes());
                    wire.extend_from_slice(&[0x55; 32]);
                    let mut dec = FrameDecoder::new(version, -1);
                    let mut got = Vec::new();
                    let mut failed = None;
                    for piece in wire.chunks(chunk) {
                        if let Err(e) = dec.decode_into(piece, &mut got) {
                            failed = Some(e);
                            break;
                        }
                    }
                    assert_eq!(failed, Some(ZmtpError::MessageTooLarge), "{size:#x}");
                    assert_eq!(got.len(), 1);
                    assert_eq!(got[0].as_slice(), b"ok!");
                    assert_eq!(dec.buffered_capacity(), 0);
                }
            }
        }
    }

    /// CVE-2021-20235: two 1.0 frames over 8192 bytes (libzmq's static
    /// buffer) once overflowed it. Each arrives whole and intact, and so
    /// does a small frame after them, whatever the chunking.
    #[test]
    fn cve_2021_20235_large_v1_frames_arrive_whole() {
        let frames = [(9000usize, 0xA1u8), (20_000, 0xB2), (5, 0xC3)];
        let mut wire = Vec::new();
        for (len, byte) in frames {
            if len + 1 < 0xFF {
                wire.push((len + 1) as u8);
            } else {
                wire.push(0xFF);
                wire.extend_from_slice(&(len as u64 + 1).to_be_bytes());
            }
            wire.push(0);
            wire.extend(std::iter::repeat_n(byte, len));
        }
        for chunk in [1, 7, 8191, 8192, 8193, wire.len()] {
            let mut dec = FrameDecoder::new(FrameVersion::V1, -1);
            let mut got = Vec::new();
            for piece in wire.chunks(chunk) {
                dec.decode_into(piece, &mut got).unwrap();
            }
            assert_eq!(got.len(), 3, "chunk {chunk}");
            for (msg, (len, byte)) in got.iter().zip(frames) {
                assert_eq!(msg.len(), len);
                assert!(msg.as_slice().iter().all(|&b| b == byte));
            }
            assert!(dec.is_idle());
        }
    }

    #[test]
    fn sizes_over_the_limits_are_refused_at_once() {
        let mut top = vec![0x02];
        top.extend_from_slice(&(1u64 << 63).to_be_bytes());
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        assert_eq!(dec.decode(&top).unwrap_err(), ZmtpError::MessageTooLarge);
        let mut max = vec![0x02];
        max.extend_from_slice(&u64::MAX.to_be_bytes());
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        assert_eq!(dec.decode(&max).unwrap_err(), ZmtpError::MessageTooLarge);

        // The limit itself is allowed, one more byte is not.
        let mut dec = FrameDecoder::new(FrameVersion::V3, 10);
        let mut got = Vec::new();
        dec.decode_into(&[0, 10], &mut got).unwrap();
        dec.decode_into(&[0; 10], &mut got).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            dec.decode(&[0, 11]).unwrap_err(),
            ZmtpError::MessageTooLarge
        );
        let mut dec = FrameDecoder::new(FrameVersion::V3, 0);
        dec.decode_into(&[0, 0], &mut got).unwrap();
        let (used, msg) = dec.decode(&[2, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        // Refused only once the size is complete.
        assert_eq!((used, msg.is_none()), (8, true));
        assert_eq!(dec.decode(&[1]).unwrap_err(), ZmtpError::MessageTooLarge);
    }

    #[test]
    fn after_a_frame_of_a_batch_or_more_only_a_header_is_read() {
        let batch = 64 * 1024;
        let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
        assert_eq!(dec.read_limit(batch), None);
        for (size, limit) in [
            (100, None),
            (batch, Some(MAX_V1_HEADER_LEN)),
            (batch - 1, None),
        ] {
            let mut wire = Vec::new();
            encode(&frame(&vec![1; size], false, false), &mut wire);
            let (used, msg) = dec.decode(&wire[..wire.len() - 1]).unwrap();
            assert!(msg.is_none());
            // Never in the middle of a frame.
            assert_eq!(dec.read_limit(batch), None);
            let (_, msg) = dec.decode(&wire[used..]).unwrap();
            assert_eq!(msg.unwrap().len(), size);
            assert_eq!(dec.read_limit(batch), limit, "after {size} bytes");
        }
    }

    #[test]
    fn body_can_be_written_in_place() {
        let mut rng = TestRng::new(11);
        for size in [1usize, 1000, DIRECT_LIMIT, 300_000] {
            let body = rng.bytes(size);
            let mut wire = Vec::new();
            encode(&frame(&body, true, false), &mut wire);
            let mut dec = FrameDecoder::new(FrameVersion::V3, -1);
            let mut pos = 0;
            let mut got = None;
            while got.is_none() {
                if let Some(target) = dec.body_target() {
                    // Read at most 5000 bytes "from the socket" in place.
                    let n = target
                        .fill_with(|spare| -> Result<&mut [u8], ()> {
                            let n = spare.len().min(5000).min(wire.len() - pos);
                            // The bytes written, as a read(2) wrapper returns them.
                            Ok(spare[..n].write_copy_of_slice(&wire[pos..pos + n]))
                        })
                        .unwrap();
                    pos += n;
                    got = dec.commit();
                } else {
                    let end = (pos + 4096).min(wire.len());
                    let (used, msg) = dec.decode(&wire[pos..end]).unwrap();
                    pos += used;
                    got = msg;
                }
            }
            assert_eq!(pos, wire.len());
            let got = got.unwrap();
            assert!(got.more());
            assert_eq!(got.as_slice(), &body[..]);
            assert!(dec.is_idle() && dec.body_target().is_none());
            assert!(dec.commit().is_none());
        }
    }

    #[test]
    fn v1_frames_round_trip() {
        assert_eq!(v1_header_for(0, false).0[..2], [1, 0]);
        assert_eq!(v1_header_for(253, true).0[..2], [254, 1]);
        // 254 bytes + flags = 255: the long form.
        let (h, n) = v1_header_for(254, false);
        assert_eq!((&h[..], n), (&[0xFF, 0, 0, 0, 0, 0, 0, 0, 255, 0][..], 10));
        let mut rng = TestRng::new(3);
        let mut msgs = Vec::new();
        let mut wire = Vec::new();
        for (i, size) in [0, 1, 253, 254, 255, 256, 65536, 100_000]
            .into_iter()
            .enumerate()
        {
            let m = frame(&rng.bytes(size), i % 2 == 0, false);
            encode_v1(&m, &mut wire);
            msgs.push(m);
        }
        for chunk in [1, 7, 1000, wire.len()] {
            let mut dec = FrameDecoder::new(FrameVersion::V1, -1);
            assert_same(&decode_chunked(&mut dec, &wire, || chunk).unwrap(), &msgs);
        }
        // A 1.0 peer's identity, replayed from the greeting decoder.
        let mut greeting = super::super::GreetingDecoder::new();
        let (used, status) = greeting.feed(b"\x04\x00abc").unwrap();
        let super::super::GreetingStatus::Done(super::super::PeerGreeting::Unversioned { replay }) =
            status
        else {
            panic!("not 1.0");
        };
        let mut dec = FrameDecoder::new(FrameVersion::V1, -1);
        let mut got = Vec::new();
        dec.decode_into(&replay, &mut got).unwrap();
        dec.decode_into(&b"\x04\x00abc"[used..], &mut got).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_slice(), b"abc");
    }

    #[test]
    fn v1_quirks() {
        // Reserved flag bits are ignored, a zero length refused.
        let mut dec = FrameDecoder::new(FrameVersion::V1, -1);
        let mut got = Vec::new();
        dec.decode_into(&[2, 0xFE, b'x'], &mut got).unwrap();
        assert!(!got[0].more() && !got[0].is_command());
        assert_eq!(dec.decode(&[0]).unwrap_err(), ZmtpError::InvalidFrame);
        let mut dec = FrameDecoder::new(FrameVersion::V1, -1);
        assert_eq!(
            dec.decode(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            ZmtpError::InvalidFrame
        );
        // The limit applies to the body (length minus the flags octet).
        let mut dec = FrameDecoder::new(FrameVersion::V1, 3);
        dec.decode_into(&[4, 0, 1, 2, 3], &mut got).unwrap();
        assert_eq!(dec.decode(&[5]).unwrap_err(), ZmtpError::MessageTooLarge);
        let mut dec = FrameDecoder::new(FrameVersion::V1, -1);
        assert_eq!(
            dec.decode(&[0xFF; 9]).unwrap_err(),
            ZmtpError::MessageTooLarge
        );
    }

    #[test]
    fn v2_frames_round_trip() {
        let (msgs, wire) = {
            let mut rng = TestRng::new(8);
            let msgs: Vec<Msg> = SIZES
                .iter()
                .map(|&n| frame(&rng.bytes(n), n % 2 == 0, false))
                .collect();
            let mut wire = Vec::new();
            for m in &msgs {
                encode(m, &mut wire);
            }
            (msgs, wire)
        };
        let mut dec = FrameDecoder::new(FrameVersion::V2, -1);
        assert_same(&decode_chunked(&mut dec, &wire, || 333).unwrap(), &msgs);
    }

    #[test]
    fn fuzz_never_panics() {
        let mut rng = TestRng::new(1234);
        let (_, sample) = sample();
        for i in 0..10_000 {
            let len = rng.below(300);
            let mut input = if i % 3 == 0 {
                let start = rng.below(sample.len());
                sample[start..(start + len).min(sample.len())].to_vec()
            } else {
                rng.bytes(len)
            };
            if i % 7 == 0 && !input.is_empty() {
                let at = rng.below(input.len());
                input[at] ^= 1 << rng.below(8);
            }
            let version = [FrameVersion::V1, FrameVersion::V2, FrameVersion::V3][rng.below(3)];
            let max = [-1, 0, 100, 1 << 20][rng.below(4)];
            let mut dec = FrameDecoder::new(version, max);
            let _ = decode_chunked(&mut dec, &input, || rng.below(16));
            assert!(dec.buffered_capacity() <= len.max(DIRECT_LIMIT) + GROW_STEP);
        }
    }
}
