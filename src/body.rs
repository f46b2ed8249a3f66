//! Multi-line bodies: the dot-stuffing codec (RFC 1939 §3).
//!
//! On the wire, a body is a sequence of lines ending in CRLF; a line that
//! starts with `.` gets one more `.` in front, and the body ends with a line
//! holding only `.`, so the terminator is `CRLF . CRLF`.
//!
//! * [`BodyDecoder`] strips the stuffing from a body that arrives in chunks
//!   of any size, down to one byte, in time linear in the input. It copies
//!   into a buffer of yours ([`BodyDecoder::decode_into`]), or borrows
//!   ([`BodyDecoder::decode`]) or hands out zero-copy [`Bytes`] slices of
//!   your receive buffer ([`BodyDecoder::decode_bytes`]). It stops exactly
//!   after the terminator and leaves what follows untouched.
//! * [`BodyEncoder`] stuffs any byte sequence and appends the terminator.
//!
//! In strict mode (the default) only CRLF ends a line: a lone CR or LF is
//! content and survives the round trip. [`BodyOptions`] has the leniencies
//! that real servers need, off by default.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Leniencies of a [`BodyDecoder`], each for a server seen breaking RFC 1939.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BodyOptions {
    /// A bare LF ends a line anywhere in the body, so `LF . LF` also ends
    /// the body (Mailtrap sends LF line ends, SPEC §7.1).
    pub bare_lf_lines: bool,
    /// The final `.` line may end in a bare LF: `CRLF . LF` ends the body
    /// (MailKit accepts this terminator, SPEC §7.1).
    pub bare_lf_terminator: bool,
}

with_setters!(BodyOptions {
    with_bare_lf_lines => bare_lf_lines: bool,
    with_bare_lf_terminator => bare_lf_terminator: bool,
});

/// Why a body could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The input ended before the terminator (SPEC R14: EOF in a body is an
    /// error, not an end).
    #[error("connection closed before the end of the multi-line body")]
    UnexpectedEof,
}

/// Where the decoder is within the body's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a line.
    LineStart,
    /// Saw `.` at the start of a line (dropped: stuffing or terminator).
    Dot,
    /// Saw `.` CR at the start of a line; the CR is held back.
    DotCr,
    /// Inside a line, the previous byte was CR.
    Cr,
    /// Inside a line.
    InLine,
    /// The terminator has been consumed.
    Done,
}

/// One step of decoding: what to do with the front of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    /// `input[..n]` is message data.
    Data(usize),
    /// Drop `n` bytes (a stuffing dot, or a CR held back).
    Skip(usize),
    /// Emit a CR held back from an earlier `.` CR; consume nothing.
    Cr,
    /// Drop `n` bytes, the end of the terminator: the body is complete.
    End(usize),
    /// The input is used up.
    Empty,
}

/// The result of [`BodyDecoder::decode_into`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the input used. Before the end this is all of it; at the end
    /// the bytes after `consumed` follow the terminator.
    pub consumed: usize,
    /// The terminator has been read.
    pub done: bool,
}

/// What [`BodyDecoder::decode`] and [`BodyDecoder::decode_bytes`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk<T> {
    /// The next piece of the message (never empty).
    Data(T),
    /// The terminator: the message is complete.
    End,
    /// The input is used up; call again when more arrives.
    Incomplete,
}

/// Streaming dot-unstuffer for one multi-line body.
///
/// ```
/// use pop3_proto::body::BodyDecoder;
///
/// let mut decoder = BodyDecoder::new();
/// let mut message = Vec::new();
/// let wire = b"From: a\r\n..hidden\r\n.\r\n+OK next";
/// let mut rest = &wire[..];
/// for chunk in [4, 9, 100] {
///     let n = chunk.min(rest.len());
///     let p = decoder.decode_into(&rest[..n], &mut message);
///     rest = &rest[p.consumed..];
///     if p.done {
///         break;
///     }
/// }
/// assert_eq!(message, b"From: a\r\n.hidden\r\n");
/// assert_eq!(rest, b"+OK next");
/// ```
#[derive(Clone, Debug)]
pub struct BodyDecoder {
    state: State,
    options: BodyOptions,
}

impl Default for BodyDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BodyDecoder {
    /// A strict decoder: lines end in CRLF only.
    pub fn new() -> Self {
        Self::with_options(BodyOptions::default())
    }

    /// A decoder with the given leniencies.
    pub fn with_options(options: BodyOptions) -> Self {
        Self {
            state: State::LineStart,
            options,
        }
    }

    /// The options in force.
    pub fn options(&self) -> BodyOptions {
        self.options
    }

    /// True once the terminator has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Readies the decoder for the next body.
    pub fn reset(&mut self) {
        self.state = State::LineStart;
    }

    /// Call when the input has ended (the peer closed the connection).
    ///
    /// # Errors
    ///
    /// [`BodyError::UnexpectedEof`] unless the terminator was read.
    pub fn finish(&self) -> Result<(), BodyError> {
        if self.is_done() {
            Ok(())
        } else {
            Err(BodyError::UnexpectedEof)
        }
    }

    /// Unstuffs `input` into `out`, stopping right after the terminator.
    ///
    /// Never writes more than `out` has room for
    /// ([`BufMut::remaining_mut`]): with a fixed-size buffer, `consumed` may
    /// stop short of the input; drain `out` and call again with the rest.
    pub fn decode_into(&mut self, input: &[u8], out: &mut impl BufMut) -> Progress {
        // Output never exceeds input plus one held-back CR.
        let room = out.remaining_mut().saturating_sub(1);
        let input = &input[..input.len().min(room)];
        let mut at = 0;
        loop {
            // The copying sink writes data while the search reads it: one
            // pass over the input instead of a search, then a copy.
            match self.next_piece(&input[at..], &mut Copy(&mut *out)) {
                Piece::Data(n) => at += n,
                Piece::Skip(n) => at += n,
                Piece::Cr => out.put_u8(b'\r'),
                Piece::End(n) => {
                    return Progress {
                        consumed: at + n,
                        done: true,
                    };
                }
                Piece::Empty => {
                    return Progress {
                        consumed: at,
                        done: false,
                    };
                }
            }
        }
    }

    /// Returns the next piece of the message, borrowed from `input`, and how
    /// many bytes of `input` were used to get it. Call again with
    /// `&input[consumed..]`.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> (Chunk<&'a [u8]>, usize) {
        let mut at = 0;
        loop {
            match self.next_piece(&input[at..], &mut NoCopy) {
                Piece::Data(n) => return (Chunk::Data(&input[at..at + n]), at + n),
                Piece::Skip(n) => at += n,
                Piece::Cr => return (Chunk::Data(b"\r"), at),
                Piece::End(n) => return (Chunk::End, at + n),
                Piece::Empty => return (Chunk::Incomplete, at),
            }
        }
    }

    /// Zero-copy: splits the next piece of the message off the front of
    /// `input` (a `BytesMut` receive buffer or a `Bytes`) without copying.
    /// After [`Chunk::End`], `input` holds exactly the bytes that followed
    /// the terminator.
    pub fn decode_bytes<B: ZeroCopyBuf>(&mut self, input: &mut B) -> Chunk<Bytes> {
        loop {
            match self.next_piece(input.as_slice(), &mut NoCopy) {
                Piece::Data(n) => return Chunk::Data(input.split_off_front(n)),
                Piece::Skip(n) => input.drop_front(n),
                Piece::Cr => return Chunk::Data(Bytes::from_static(b"\r")),
                Piece::End(n) => {
                    input.drop_front(n);
                    return Chunk::End;
                }
                Piece::Empty => return Chunk::Incomplete,
            }
        }
    }

    /// The decoding step: looks at the front of `input` and says what it is.
    /// Data is also written to `sink` (a no-op for the non-copying modes).
    fn next_piece(&mut self, input: &[u8], sink: &mut impl Sink) -> Piece {
        let Some(&first) = input.first() else {
            return match self.state {
                State::Done => Piece::End(0),
                _ => Piece::Empty,
            };
        };
        match self.state {
            State::Done => return Piece::End(0),
            State::InLine => {}
            State::LineStart => {
                if first == b'.' {
                    self.state = State::Dot;
                    return Piece::Skip(1);
                }
            }
            State::Dot => match first {
                b'\r' => {
                    self.state = State::DotCr;
                    return Piece::Skip(1);
                }
                b'\n' if self.options.bare_lf_lines || self.options.bare_lf_terminator => {
                    self.state = State::Done;
                    return Piece::End(1);
                }
                // The dot was stuffing; the line's content starts here.
                _ => {}
            },
            State::DotCr => {
                if first == b'\n' {
                    self.state = State::Done;
                    return Piece::End(1);
                }
                // `.` CR X: the dot was stuffing and the CR is content.
                self.state = State::InLine;
                return Piece::Cr;
            }
            State::Cr => {
                if first == b'\n' {
                    self.state = State::LineStart;
                    sink.put(&input[..1]);
                    return Piece::Data(1);
                }
            }
        }
        self.state = State::InLine;
        self.search(input, sink)
    }

    /// Inside a line: everything up to the next line that starts with `.`
    /// is data.
    fn search(&mut self, input: &[u8], sink: &mut impl Sink) -> Piece {
        let lf_lines = self.options.bare_lf_lines;
        if let Some(dot) = scan_to_line_dot(input, lf_lines, sink) {
            // Data runs through the line end; the `.` is left for LineStart.
            self.state = State::LineStart;
            return Piece::Data(dot);
        }
        self.state = if lf_lines {
            if input.ends_with(b"\n") {
                State::LineStart
            } else {
                State::InLine
            }
        } else if input.ends_with(b"\r\n") {
            State::LineStart
        } else if input.ends_with(b"\r") {
            State::Cr
        } else {
            State::InLine
        };
        Piece::Data(input.len())
    }
}

/// Where scanned data goes: copied out, or nowhere (the borrowing and
/// zero-copy modes hand out slices of the input instead).
trait Sink {
    fn put(&mut self, data: &[u8]);
}

struct Copy<'o, B>(&'o mut B);

impl<B: BufMut> Sink for Copy<'_, B> {
    #[inline(always)]
    fn put(&mut self, data: &[u8]) {
        self.0.put_slice(data);
    }
}

struct NoCopy;

impl Sink for NoCopy {
    #[inline(always)]
    fn put(&mut self, _: &[u8]) {}
}

/// Bytes tested per step of [`scan_to_line_dot`].
const BLOCK: usize = 64;

/// Finds the first `.` of `input` that starts a line inside `input`: one
/// preceded by CRLF (or by LF alone when `lf_lines`), and writes the bytes
/// before it to `sink`; with no such dot, writes all of `input`. A dot at
/// the very start of `input` is not found: whether it starts a line depends
/// on what came before, which the callers track in their state.
///
/// Each step tests 64 positions for an LF followed by a dot in a
/// branch-free loop that the compiler turns into vector compares, and
/// copies the block in the same pass. Neither LF nor `.` is rare in text,
/// but the pair is, so only a block holding one is looked at byte by byte.
#[inline(always)]
fn scan_to_line_dot(input: &[u8], lf_lines: bool, sink: &mut impl Sink) -> Option<usize> {
    let starts_line = |dot: usize| {
        input[dot] == b'.' && input[dot - 1] == b'\n' && (lf_lines || input[dot - 2] == b'\r')
    };
    if input.is_empty() {
        return None;
    }
    // `dot` is the first candidate: it needs 1 (LF) or 2 (CR LF) bytes
    // before it. Everything before `dot` has been written to the sink.
    let mut dot = (if lf_lines { 1 } else { 2 }).min(input.len());
    sink.put(&input[..dot]);
    while let (Some(before), Some(block)) = (
        input[dot - 1..].first_chunk::<BLOCK>(),
        input[dot..].first_chunk::<BLOCK>(),
    ) {
        let mut pairs = 0u8;
        for (b, a) in before.iter().zip(block) {
            pairs |= u8::from(*b == b'\n') & u8::from(*a == b'.');
        }
        if pairs != 0 {
            if let Some(found) = (dot..dot + BLOCK).find(|&d| starts_line(d)) {
                sink.put(&input[dot..found]);
                return Some(found);
            }
        }
        sink.put(block);
        dot += BLOCK;
    }
    let found = (dot..input.len()).find(|&d| starts_line(d));
    sink.put(&input[dot..found.unwrap_or(input.len())]);
    found
}

/// A receive buffer that [`BodyDecoder::decode_bytes`] can split without
/// copying: [`BytesMut`] and [`Bytes`].
pub trait ZeroCopyBuf: sealed::Sealed {
    /// The buffered bytes.
    fn as_slice(&self) -> &[u8];
    /// Splits off and returns the first `n` bytes.
    fn split_off_front(&mut self, n: usize) -> Bytes;
    /// Drops the first `n` bytes.
    fn drop_front(&mut self, n: usize);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for bytes::Bytes {}
    impl Sealed for bytes::BytesMut {}
}

impl ZeroCopyBuf for BytesMut {
    fn as_slice(&self) -> &[u8] {
        self
    }
    fn split_off_front(&mut self, n: usize) -> Bytes {
        self.split_to(n).freeze()
    }
    fn drop_front(&mut self, n: usize) {
        self.advance(n);
    }
}

impl ZeroCopyBuf for Bytes {
    fn as_slice(&self) -> &[u8] {
        self
    }
    fn split_off_front(&mut self, n: usize) -> Bytes {
        self.split_to(n)
    }
    fn drop_front(&mut self, n: usize) {
        self.advance(n);
    }
}

/// Where the encoder is within the content's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EncState {
    LineStart,
    Cr,
    InLine,
}

/// Streaming dot-stuffer: turns message content into a multi-line body.
///
/// Feed the content in chunks of any size with [`encode`](Self::encode),
/// then call [`finish`](Self::finish), which adds a final CRLF when
/// non-empty content lacks one (SPEC R15) and the terminator. Empty content
/// has no lines, so its body is just `.` CRLF.
///
/// ```
/// use pop3_proto::body::BodyEncoder;
///
/// let mut wire = Vec::new();
/// let mut encoder = BodyEncoder::new();
/// encoder.encode(b"From: a\r\n\r\n.\r\n..x\r\n.hidden\r\nend", &mut wire);
/// encoder.finish(&mut wire);
/// assert_eq!(wire, b"From: a\r\n\r\n..\r\n...x\r\n..hidden\r\nend\r\n.\r\n");
/// ```
#[derive(Clone, Debug)]
pub struct BodyEncoder {
    state: EncState,
    empty: bool,
}

impl Default for BodyEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BodyEncoder {
    /// An encoder at the start of a body.
    pub fn new() -> Self {
        Self {
            state: EncState::LineStart,
            empty: true,
        }
    }

    /// Stuffs the next chunk of content into `out`.
    pub fn encode(&mut self, mut content: &[u8], out: &mut impl BufMut) {
        let Some(&first) = content.first() else {
            return;
        };
        self.empty = false;
        if self.state == EncState::Cr && first == b'\n' {
            out.put_u8(b'\n');
            content = &content[1..];
            self.state = EncState::LineStart;
        }
        if self.state == EncState::LineStart && content.first() == Some(&b'.') {
            out.put_u8(b'.');
        }
        // Each `CRLF .` in the content gets one more dot after the CRLF.
        // (A dot at index 0 or 1 cannot follow a CRLF inside `content`; the
        // cases that straddle chunks were handled above.)
        while let Some(dot) = scan_to_line_dot(content, false, &mut Copy(&mut *out)) {
            out.put_u8(b'.');
            content = &content[dot..];
        }
        if !content.is_empty() {
            self.state = if content.ends_with(b"\r\n") {
                EncState::LineStart
            } else if content.ends_with(b"\r") {
                EncState::Cr
            } else {
                EncState::InLine
            };
        }
    }

    /// Ends the body: a CRLF if the content did not end in one, then
    /// `.` CRLF. The encoder is then ready for the next body.
    pub fn finish(&mut self, out: &mut impl BufMut) {
        if !self.empty && self.state != EncState::LineStart {
            out.put_slice(b"\r\n");
        }
        out.put_slice(b".\r\n");
        self.state = EncState::LineStart;
        self.empty = true;
    }
}

/// Stuffs a whole message and appends the terminator, in one call.
pub fn encode_body(content: &[u8], out: &mut impl BufMut) {
    let mut encoder = BodyEncoder::new();
    encoder.encode(content, out);
    encoder.finish(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn decode_all(wire: &[u8], options: BodyOptions) -> (Vec<u8>, Progress) {
        let mut d = BodyDecoder::with_options(options);
        let mut out = Vec::new();
        let p = d.decode_into(wire, &mut out);
        (out, p)
    }

    #[test]
    fn v15_round_trip() {
        let content = b"From: a\r\n\r\n.\r\n..x\r\n.hidden\r\nend";
        let wire = b"From: a\r\n\r\n..\r\n...x\r\n..hidden\r\nend\r\n.\r\n";
        let mut enc = Vec::new();
        encode_body(content, &mut enc);
        assert_eq!(enc, wire);
        let (out, p) = decode_all(wire, BodyOptions::default());
        assert!(p.done);
        assert_eq!(p.consumed, wire.len());
        let mut expected = content.to_vec();
        expected.extend_from_slice(b"\r\n");
        assert_eq!(out, expected);
    }

    #[test]
    fn r14_only_crlf_dot_crlf_ends_in_strict_mode() {
        for wire in [&b"a\n.\nb"[..], b"a\r\n.\nb", b"a\n.\r\nb"] {
            let (_, p) = decode_all(wire, BodyOptions::default());
            assert!(!p.done, "{wire:?}");
        }
        let (out, p) = decode_all(b"a\r\n.\r\nb", BodyOptions::default());
        assert!(p.done);
        assert_eq!(out, b"a\r\n");
        assert_eq!(p.consumed, 6);
    }

    #[test]
    fn empty_body_and_empty_content() {
        let (out, p) = decode_all(b".\r\n", BodyOptions::default());
        assert!(p.done && out.is_empty());
        let mut enc = Vec::new();
        encode_body(b"", &mut enc);
        assert_eq!(enc, b".\r\n");
    }

    #[test]
    fn lone_cr_and_lf_survive() {
        let content = b".\r.\n.\r\r\n.x\n\r";
        let mut wire = Vec::new();
        encode_body(content, &mut wire);
        let (out, p) = decode_all(&wire, BodyOptions::default());
        assert!(p.done);
        assert_eq!(&out[..content.len()], content);
        assert_eq!(&out[content.len()..], b"\r\n");
    }

    #[test]
    fn eof_before_terminator_is_an_error() {
        let mut d = BodyDecoder::new();
        let _ = d.decode_into(b"abc\r\n", &mut Vec::new());
        assert_eq!(d.finish(), Err(BodyError::UnexpectedEof));
    }
}
