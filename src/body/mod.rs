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
//! * [`BodyEncoder`] stuffs any byte sequence and appends the terminator.
//!
//! In strict mode (the default) only CRLF ends a line: a lone CR or LF is
//! content and survives the round trip. [`BodyOptions`] has the leniencies
//! that real servers need, off by default.

mod decode;
mod encode;
mod scan;

pub use self::decode::{BodyDecoder, BodyError, BodyOptions, Chunk, Progress, ZeroCopyBuf};
pub use self::encode::{BodyEncoder, encode_body};

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
