//! The streaming dot-stuffer.

use super::scan::{Copy, scan_to_line_dot};
use bytes::BufMut;

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
