//! The streaming dot-unstuffer.

use super::scan::{Copy, NoCopy, Sink, line_dot_finder, scan_to_line_dot};
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
    finder: memchr::memmem::Finder<'static>,
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
            finder: line_dot_finder(),
        }
    }

    /// The options in force.
    pub fn options(&self) -> BodyOptions {
        self.options
    }

    /// True once the terminator has been read, until more input is given.
    ///
    /// After the terminator, the decoder is ready for the next body: the
    /// next call with input decodes it as a new message. (It never answers
    /// `End` twice for one terminator.)
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Abandons the body in progress: the next input starts a new body.
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
        let mut at = 0;
        // A CR held back by the previous call (after a line's `.` CR) is
        // the only output that has no input byte of its own: settle it
        // first, so that from then on the output never outgrows the input.
        if self.state == State::DotCr && !input.is_empty() && out.has_remaining_mut() {
            match self.next_piece(input, &mut Copy(&mut *out)) {
                Piece::End(n) => {
                    return Progress {
                        consumed: n,
                        done: true,
                    };
                }
                Piece::Cr => out.put_u8(b'\r'),
                // `DotCr` with input always gives one of the two.
                _ => {}
            }
        }
        let input = &input[..input.len().min(out.remaining_mut())];
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
            return Piece::Empty;
        };
        match self.state {
            // The last body ended; these bytes start the next one.
            State::Done | State::LineStart => {
                if first == b'.' {
                    self.state = State::Dot;
                    return Piece::Skip(1);
                }
            }
            State::InLine => {}
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
        if let Some(dot) = scan_to_line_dot(input, lf_lines, &self.finder, sink) {
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
