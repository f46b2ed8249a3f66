//! Multi-line bodies: the dot-stuffing codec (RFC 1939 §3).
//!
//! On the wire, a body is a sequence of lines ending in CRLF; a line that
//! starts with `.` gets one more `.` in front, and the body ends with a line
//! holding only `.`, so the terminator is `CRLF . CRLF`.
//!
//! * [`BodyDecoder`] strips the stuffing from a body that arrives in chunks
//!   of any size, down to one byte, in time linear in the input. It copies
//!   into a buffer of yours ([`BodyDecoder::decode_into`]), or borrows
//!   ([`BodyDecoder::decode`]) or hands out zero-copy [`Bytes`](bytes::Bytes) slices of
//!   your receive buffer ([`BodyDecoder::decode_bytes`]). It stops exactly
//!   after the terminator and leaves what follows untouched.
//! * [`BodyEncoder`] (and [`encode_body`], in one call) stuffs any byte
//!   sequence, fed in chunks of any size, and appends the terminator.
//! * [`WireLen`] counts, by the encoder's own rules, the size a server
//!   reports in LIST and STAT (SPEC R12, R13) and the length of the encoded
//!   body, without encoding it.
//! * [`TopEncoder`] stuffs only what `TOP msg n` sends (SPEC R31): the
//!   headers, the blank line and `n` body lines, and says when it has them.
//!
//! # Line ends
//!
//! The two directions treat a lone CR or LF differently, on purpose.
//!
//! **The encoders normalise.** [`BodyEncoder`], [`encode_body`] and
//! [`TopEncoder`] (and [`WireLen`], which counts what they write) never put
//! a bare LF or a bare CR on the wire (SPEC R01, S9):
//!
//! * An LF not preceded by CR becomes CRLF. A CR at the end of one `encode`
//!   call and an LF at the start of the next are one CRLF.
//! * A CR not followed by LF ends a line too, and becomes CRLF: RFC 5321
//!   §2.3.8 lets a bare CR on the wire only as a line end, and then as
//!   CRLF. So content with CR line ends (classic Mac OS) goes out as lines,
//!   and no reader, not even one that splits lines on CR, sees a `.` line
//!   the encoder did not stuff. The price is paid by invalid mail only (RFC
//!   5322 §2.3 forbids a lone CR): `Subject: x` CR CRLF becomes a header
//!   line and a blank line.
//! * Every line that begins with `.` is stuffed; a final CRLF is added
//!   when the content does not end in a line end (SPEC R15); empty content
//!   is no lines, so its body is just `.` CRLF.
//!
//! So every CR and every LF on the wire is part of a CRLF, and a reader
//! that splits lines on LF (Python's `poplib`, or [`BodyDecoder`] with
//! [`bare_lf_lines`](BodyOptions::bare_lf_lines)) or on CR sees the same
//! lines, the same stuffing and the same end as a strict one. Without
//! this, content with LF line ends such as `body` LF `.` LF `+OK 99 99999`
//! would carry an unstuffed `.` line that such readers take as the end of
//! the message, and they would read what follows as the next replies (SPEC
//! S9, §7 quirk 2). Maildir files are stored with LF line ends, so a
//! Maildir server would send such a body for every message.
//!
//! For any content `x`, a strict decoder gives back `x` with each line end
//! (CRLF, a lone LF or a lone CR) made CRLF, followed by CRLF if that does
//! not already end in CRLF (nothing for empty content);
//! [`WireLen::message_size`] is its length. (The codec's second pass kept
//! a lone CR as content, as Dovecot does; the server issue asked for no
//! bare CR on the wire, and RFC 5321 agrees.)
//!
//! **The decoder is exact.** In strict mode (the default) only CRLF ends a
//! line: a lone CR or LF on the wire is content and is returned as it is,
//! and only CRLF `.` CRLF ends the body (SPEC R14). [`BodyOptions`] has the
//! leniencies that real servers need, off by default; our own encoder's
//! output decodes to the same bytes, ending at the same terminator, with
//! any of them.

mod decode;
mod encode;
mod scan;

pub use self::decode::{BodyDecoder, BodyError, BodyOptions, Chunk, Progress, ZeroCopyBuf};
pub use self::encode::{BodyEncoder, TopEncoder, TopProgress, WireLen, encode_body};

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
    fn s9_lone_lf_and_lone_cr_become_crlf() {
        // SPEC S9, R01: the wire has no bare LF and no bare CR.
        let content = b".\r.\n.\r\r\n.x\n\r";
        let mut wire = Vec::new();
        encode_body(content, &mut wire);
        assert_eq!(wire, b"..\r\n..\r\n..\r\n\r\n..x\r\n\r\n.\r\n");
        let expected = b".\r\n.\r\n.\r\n\r\n.x\r\n\r\n";
        for options in [
            BodyOptions::default(),
            BodyOptions::default().with_bare_lf_lines(true),
            BodyOptions::default().with_bare_lf_terminator(true),
        ] {
            let (out, p) = decode_all(&wire, options);
            assert!(p.done, "{options:?}");
            assert_eq!(p.consumed, wire.len(), "{options:?}");
            assert_eq!(out, expected, "{options:?}");
        }
        let size = WireLen::of(content);
        assert_eq!(size.message_size(), expected.len() as u64);
        assert_eq!(size.wire_len(), wire.len() as u64);
    }

    #[test]
    fn s9_the_decoder_stays_exact() {
        // Strict decoding keeps a bare CR or LF on the wire as content.
        let (out, p) = decode_all(b"a\nb\rc\n.\r\n.\r\n", BodyOptions::default());
        assert!(p.done);
        assert_eq!(out, b"a\nb\rc\n.\r\n");
    }

    #[test]
    fn eof_before_terminator_is_an_error() {
        let mut d = BodyDecoder::new();
        let _ = d.decode_into(b"abc\r\n", &mut Vec::new());
        assert_eq!(d.finish(), Err(BodyError::UnexpectedEof));
    }
}
