//! The streaming dot-stuffer, its size counter and its TOP variant.
//!
//! All three run one step function, [`stuff_into`], so they agree byte for
//! byte on where lines end and which dots are stuffed.

use super::scan::{Copy, Count, Sink, scan_to_encoder_event};
use bytes::BufMut;

/// Where the encoder is within the content's lines, after the bytes so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EncState {
    /// At the start of a line: nothing yet, or the last output was CRLF.
    LineStart,
    /// The last content byte was a CR (already written): an LF next makes
    /// it a CRLF; anything else, or the end, gets the LF added.
    Cr,
    /// Inside a line.
    InLine,
}

impl EncState {
    /// The state after copying a run of content that ends in `last`. A
    /// copied LF always completes a CRLF: the scan stops at any other LF.
    #[inline(always)]
    fn after(last: u8) -> Self {
        match last {
            b'\r' => Self::Cr,
            b'\n' => Self::LineStart,
            _ => Self::InLine,
        }
    }
}

/// The encoding step: writes `content` to `sink` with every LF not preceded
/// by CR and every CR not followed by LF turned into CRLF (the CR may have
/// come in an earlier call: that is what `state` remembers) and one `.`
/// put before every `.` that starts a line. Returns how many dots it
/// stuffed.
#[inline(always)]
fn stuff_into(state: &mut EncState, mut content: &[u8], sink: &mut impl Sink) -> u64 {
    let mut stuffed = 0u64;
    while let Some(&first) = content.first() {
        match (*state, first) {
            (EncState::Cr, b'\n') => {
                sink.put(b"\n");
                content = &content[1..];
                *state = EncState::LineStart;
            }
            // A CR not followed by LF ends a line too, and goes out as CRLF
            // (RFC 5321 §2.3.8): no bare CR on the wire either. `first` is
            // then looked at again, at the start of a line.
            (EncState::Cr, _) => {
                sink.put(b"\n");
                *state = EncState::LineStart;
            }
            // SPEC R01, S9: no bare LF on the wire, whatever the content.
            (_, b'\n') => {
                sink.put(b"\r\n");
                content = &content[1..];
                *state = EncState::LineStart;
            }
            // SPEC R10: a line that starts with `.` gets one more.
            (EncState::LineStart, b'.') => {
                sink.put(b"..");
                content = &content[1..];
                *state = EncState::InLine;
                stuffed = stuffed.saturating_add(1);
            }
            // `first` needs nothing: copy up to the next byte that does.
            _ => {
                let end = scan_to_encoder_event(content, sink).unwrap_or(content.len());
                // The scan never stops at index 0, so `end >= 1`.
                if let Some(&last) = content[..end].last() {
                    *state = EncState::after(last);
                }
                content = &content[end..];
            }
        }
    }
    stuffed
}

/// Streaming dot-stuffer: turns message content into a multi-line body that
/// every reader splits into the same lines.
///
/// Feed the content in chunks of any size with [`encode`](Self::encode),
/// then call [`finish`](Self::finish). The output never holds a bare LF
/// (SPEC R01, S9): line ends are normalised as the [module
/// docs](super#line-ends) describe.
///
/// * An LF not preceded by CR becomes CRLF, so content with LF line ends
///   (a Maildir file) goes out with CRLF. A CR at the end of one `encode`
///   call and an LF at the start of the next are one CRLF.
/// * A CR not followed by LF becomes CRLF (it ends a line).
/// * A line that starts with `.` gets one more `.` (SPEC R10).
/// * [`finish`](Self::finish) adds a CRLF when non-empty content does not
///   end in one (SPEC R15), then the terminator `.` CRLF. Empty content has
///   no lines, so its body is just `.` CRLF.
///
/// Output is the same however the content is split into calls.
///
/// ```
/// use pop3_proto::body::BodyEncoder;
///
/// let mut wire = Vec::new();
/// let mut encoder = BodyEncoder::new();
/// encoder.encode(b"From: a\r\n\r\n.\r\n..x\r\n.hidden\r\nend", &mut wire);
/// encoder.finish(&mut wire);
/// assert_eq!(wire, b"From: a\r\n\r\n..\r\n...x\r\n..hidden\r\nend\r\n.\r\n");
///
/// // LF line ends, split anywhere: the same body as with CRLF.
/// let mut wire = Vec::new();
/// for chunk in [&b"Subject: hi\n\nbody\n"[..], b".\n+OK 99 99999\n"] {
///     encoder.encode(chunk, &mut wire);
/// }
/// encoder.finish(&mut wire);
/// assert_eq!(wire, b"Subject: hi\r\n\r\nbody\r\n..\r\n+OK 99 99999\r\n.\r\n");
/// ```
#[derive(Clone, Debug)]
pub struct BodyEncoder {
    state: EncState,
}

impl Default for BodyEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BodyEncoder {
    /// An encoder at the start of a body.
    pub const fn new() -> Self {
        Self {
            state: EncState::LineStart,
        }
    }

    /// Stuffs the next chunk of content into `out`.
    ///
    /// All of `content` is written before this returns (a bare LF as CRLF,
    /// a dot that starts a line stuffed); nothing is held back. A CR at the
    /// end of `content` is written at once, and an LF at the start of the
    /// next chunk then completes its CRLF.
    pub fn encode(&mut self, content: &[u8], out: &mut impl BufMut) {
        stuff_into(&mut self.state, content, &mut Copy(out));
    }

    /// Ends the body: a CRLF if the content did not end in one, then
    /// `.` CRLF. The encoder is then ready for the next body.
    ///
    /// Content that ends in a lone CR gets its LF: the CR ended the last
    /// line, as everywhere else.
    pub fn finish(&mut self, out: &mut impl BufMut) {
        match self.state {
            EncState::LineStart => {}
            EncState::Cr => out.put_slice(b"\n"),
            EncState::InLine => out.put_slice(b"\r\n"),
        }
        out.put_slice(b".\r\n");
        self.state = EncState::LineStart;
    }
}

/// Stuffs a whole message and appends the terminator, in one call: the same
/// bytes as [`BodyEncoder::encode`] then [`BodyEncoder::finish`].
///
/// ```
/// use pop3_proto::body::encode_body;
///
/// let mut wire = Vec::new();
/// encode_body(b"Subject: x\n\n.\nend", &mut wire);
/// assert_eq!(wire, b"Subject: x\r\n\r\n..\r\nend\r\n.\r\n");
/// ```
pub fn encode_body(content: &[u8], out: &mut impl BufMut) {
    let mut encoder = BodyEncoder::new();
    encoder.encode(content, out);
    encoder.finish(out);
}

/// Streaming size counter: how many octets a message takes, by exactly the
/// rules of [`BodyEncoder`], without writing it.
///
/// Feed it the same content, in chunks of any size, with
/// [`count`](Self::count); the chunking does not change the result. It
/// offers two figures:
///
/// * [`message_size`](Self::message_size): the size LIST and STAT report
///   (SPEC R12, R13; RFC 1939 §11). These are the octets of the message as
///   a client gets it back from RETR after unstuffing, so it counts every
///   line end as the CRLF sent (a bare LF counts 2), the CRLF that
///   [`BodyEncoder::finish`] adds when the content lacks one (SPEC R15),
///   and neither the stuffing dots nor the terminator.
/// * [`wire_len`](Self::wire_len): every octet [`encode`](BodyEncoder::encode)
///   and [`finish`](BodyEncoder::finish) write: `message_size` plus one per
///   stuffed dot plus 3 for the terminator `.` CRLF.
///
/// ```
/// use pop3_proto::body::{WireLen, encode_body};
///
/// let content = b"Subject: x\n\n.hidden\nend";
/// let mut size = WireLen::new();
/// for chunk in content.chunks(5) {
///     size.count(chunk);
/// }
/// // "Subject: x\r\n\r\n.hidden\r\nend\r\n" as the client reads it back.
/// assert_eq!(size.message_size(), 28);
/// let mut wire = Vec::new();
/// encode_body(content, &mut wire);
/// assert_eq!(size.wire_len(), wire.len() as u64); // 28 + 1 dot + 3
/// assert_eq!(size.wire_len(), 32);
/// ```
#[derive(Clone, Debug)]
pub struct WireLen {
    state: EncState,
    /// Octets the encoder has written so far, stuffing included.
    written: u64,
    /// Stuffing dots among them.
    stuffed: u64,
}

impl Default for WireLen {
    fn default() -> Self {
        Self::new()
    }
}

impl WireLen {
    /// A counter at the start of a message.
    pub const fn new() -> Self {
        Self {
            state: EncState::LineStart,
            written: 0,
            stuffed: 0,
        }
    }

    /// The counter after one call with the whole message.
    ///
    /// ```
    /// use pop3_proto::body::WireLen;
    ///
    /// assert_eq!(WireLen::of(b"").message_size(), 0);
    /// assert_eq!(WireLen::of(b"").wire_len(), 3); // ".\r\n"
    /// assert_eq!(WireLen::of(b"a\n").message_size(), 3);
    /// ```
    pub fn of(content: &[u8]) -> Self {
        let mut counter = Self::new();
        counter.count(content);
        counter
    }

    /// Counts the next chunk of content.
    pub fn count(&mut self, content: &[u8]) {
        let mut sink = Count(0);
        let stuffed = stuff_into(&mut self.state, content, &mut sink);
        self.written = self.written.saturating_add(sink.0);
        self.stuffed = self.stuffed.saturating_add(stuffed);
    }

    /// The octets [`BodyEncoder::finish`] would add before the terminator.
    fn final_crlf(&self) -> u64 {
        match self.state {
            EncState::LineStart => 0,
            EncState::Cr => 1,
            EncState::InLine => 2,
        }
    }

    /// The message's size for LIST and STAT (SPEC R12, R13): the length of
    /// what a strict [`BodyDecoder`](super::BodyDecoder) returns for the
    /// encoded message, if the content ended here.
    pub fn message_size(&self) -> u64 {
        self.written
            .saturating_sub(self.stuffed)
            .saturating_add(self.final_crlf())
    }

    /// The length of the encoded body, stuffing and terminator included, if
    /// the content ended here.
    pub fn wire_len(&self) -> u64 {
        self.written
            .saturating_add(self.final_crlf())
            .saturating_add(3)
    }

    /// Readies the counter for the next message.
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

/// Where a [`TopEncoder`] is in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TopPhase {
    /// In the headers; the current line's content so far.
    Headers(LineSoFar),
    /// In the body, `left` (at least 1) lines still to send.
    Body { left: u32 },
    /// The last line TOP needs ended in a CR that ended the chunk: done,
    /// once an LF that may start the next chunk (its CRLF) is taken too.
    DoneButLf,
    /// Everything TOP needs has been written.
    Done,
}

/// The content of a header line so far, as far as "is it blank" goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineSoFar {
    /// Nothing yet.
    Empty,
    /// Something: not a blank line.
    Other,
}

impl LineSoFar {
    /// The line after `more` of its bytes (no line end among them).
    fn then(self, more: &[u8]) -> Self {
        if more.is_empty() { self } else { Self::Other }
    }
}

/// The next line end in `rest`: the line's length before it, the bytes up
/// to and including it, and whether it is a CR that ends `rest` (whose LF,
/// if the next chunk starts with one, belongs to it). A line ends at CRLF,
/// at an LF alone, or at a CR alone, as the encoder sends each of them.
fn next_line_end(rest: &[u8]) -> Option<(usize, usize, bool)> {
    let at = memchr::memchr2(b'\r', b'\n', rest)?;
    Some(match (rest[at], rest.get(at + 1)) {
        (b'\r', Some(b'\n')) => (at, at + 2, false),
        (b'\r', None) => (at, at + 1, true),
        _ => (at, at + 1, false),
    })
}

/// What [`TopEncoder::encode`] did with a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopProgress {
    /// Bytes of the chunk that went into the output. Before the end this
    /// is all of it; once `done`, the rest of the chunk is not needed.
    pub consumed: usize,
    /// Everything TOP sends has been written: stop feeding and call
    /// [`TopEncoder::finish`].
    pub done: bool,
}

/// Streaming dot-stuffer for `TOP msg n` (SPEC R31): sends the headers, the
/// blank line after them and the first `n` lines of the body, and says when
/// it has all it needs so the caller can stop reading the message.
///
/// Lines are the lines of the wire form, after the line-end normalisation
/// of [`BodyEncoder`]: a line ends at CRLF, at a lone LF or at a lone CR
/// (each sent as CRLF), so a Maildir file with LF line ends works. The
/// headers end at the first blank line; the lines after it are the body.
///
/// * `TOP msg 0` sends the headers and the blank line.
/// * A message with fewer body lines than `n` is sent whole; so is a
///   message with no blank line, which is all headers.
/// * A last line without a line end counts as a line; [`finish`](Self::finish)
///   ends it with CRLF, as [`BodyEncoder::finish`] does.
///
/// The output is the same however the message is split into calls, and is
/// what [`encode_body`] gives for the part of the message that TOP sends.
///
/// ```
/// use pop3_proto::body::TopEncoder;
///
/// let message = b"Subject: hi\n\nline 1\n.line 2\nline 3\n";
/// let mut wire = Vec::new();
/// let mut top = TopEncoder::new(2);
/// for chunk in message.chunks(8) {
///     if top.encode(chunk, &mut wire).done {
///         break; // the rest of the message is not needed
///     }
/// }
/// top.finish(&mut wire);
/// assert_eq!(wire, b"Subject: hi\r\n\r\nline 1\r\n..line 2\r\n.\r\n");
/// ```
#[derive(Clone, Debug)]
pub struct TopEncoder {
    body: BodyEncoder,
    lines: u32,
    phase: TopPhase,
    /// The last chunk ended in a CR that ended a line: an LF first in
    /// the next one is part of that line end.
    after_cr: bool,
}

impl TopEncoder {
    /// An encoder that sends the headers and `lines` lines of the body.
    pub const fn new(lines: u32) -> Self {
        Self {
            body: BodyEncoder::new(),
            lines,
            phase: TopPhase::Headers(LineSoFar::Empty),
            after_cr: false,
        }
    }

    /// The number of body lines this encoder sends.
    pub fn lines(&self) -> u32 {
        self.lines
    }

    /// True once everything TOP sends has been written (the last
    /// [`encode`](Self::encode) said `done`); only
    /// [`finish`](Self::finish) is left.
    pub fn is_done(&self) -> bool {
        self.phase == TopPhase::Done
    }

    /// Stuffs the part of the next chunk of the message that TOP sends into
    /// `out`. Once `done`, further calls write nothing and consume nothing.
    pub fn encode(&mut self, chunk: &[u8], out: &mut impl BufMut) -> TopProgress {
        let (consumed, done) = self.needed(chunk);
        self.body.encode(&chunk[..consumed], out);
        TopProgress { consumed, done }
    }

    /// Ends the response: a CRLF if the last line sent lacks one, then
    /// `.` CRLF. The encoder is then ready for the next message, with the
    /// same number of lines.
    pub fn finish(&mut self, out: &mut impl BufMut) {
        self.body.finish(out);
        self.phase = TopPhase::Headers(LineSoFar::Empty);
        self.after_cr = false;
    }

    /// How much of `chunk` TOP sends, and whether that completes it.
    /// Lines end where the encoder ends them: at CRLF, LF or CR.
    fn needed(&mut self, chunk: &[u8]) -> (usize, bool) {
        match self.phase {
            TopPhase::Done => return (0, true),
            // An empty chunk says nothing about the LF.
            TopPhase::DoneButLf if chunk.is_empty() => return (0, false),
            TopPhase::DoneButLf => {
                self.phase = TopPhase::Done;
                return (usize::from(chunk.first() == Some(&b'\n')), true);
            }
            _ => {}
        }
        let mut at = 0;
        if core::mem::take(&mut self.after_cr) && chunk.first() == Some(&b'\n') {
            at = 1;
        }
        loop {
            let rest = &chunk[at..];
            let Some((len, end, cr_last)) = next_line_end(rest) else {
                if let TopPhase::Headers(so_far) = self.phase {
                    self.phase = TopPhase::Headers(so_far.then(rest));
                }
                return (chunk.len(), false);
            };
            at += end;
            self.after_cr = cr_last;
            self.phase = match self.phase {
                TopPhase::Headers(so_far) if so_far.then(&rest[..len]) == LineSoFar::Other => {
                    TopPhase::Headers(LineSoFar::Empty)
                }
                // The blank line that ends the headers.
                TopPhase::Headers(_) if self.lines == 0 => TopPhase::Done,
                TopPhase::Headers(_) => TopPhase::Body { left: self.lines },
                TopPhase::Body { left } if left <= 1 => TopPhase::Done,
                TopPhase::Body { left } => TopPhase::Body { left: left - 1 },
                done => done,
            };
            if self.phase == TopPhase::Done {
                if cr_last {
                    // An LF first in the next chunk is this line's.
                    self.after_cr = false;
                    self.phase = TopPhase::DoneButLf;
                    return (at, false);
                }
                return (at, true);
            }
        }
    }
}
