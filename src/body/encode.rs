//! The streaming dot-stuffer.

use super::scan::{Copy, Sink, scan_to_encoder_event};
use bytes::BufMut;

/// Where the encoder is within the content's lines, after the bytes so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EncState {
    /// At the start of a line: nothing yet, or the last output was CRLF.
    LineStart,
    /// The last content byte was a CR (already written): an LF next makes
    /// it a CRLF, anything else leaves it content.
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
/// by CR turned into CRLF (the CR may have come in an earlier call: that is
/// what `state` remembers) and one `.` put before every `.` that starts a
/// line. Returns how many dots it stuffed.
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
/// * A CR not followed by LF is content and is sent as it is.
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
    /// Content that ends in a lone CR ends in `CR CR LF` on the wire: the CR
    /// stays content, as everywhere else, and the added CRLF ends the line.
    /// A strict reader gets the content back with CRLF after it.
    pub fn finish(&mut self, out: &mut impl BufMut) {
        if self.state != EncState::LineStart {
            out.put_slice(b"\r\n");
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
