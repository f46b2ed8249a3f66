//! Base64 (RFC 4648 §4) as SASL uses it on POP3 lines (RFC 5034 §4).
//!
//! Decoding is checked and bounded by its input: characters outside the
//! alphabet, `=` anywhere but at the end, and impossible lengths are errors
//! (SPEC R55, S11). Padding may be left out only where the caller allows it
//! (challenges from servers that send unpadded data, SPEC V8).

use alloc::vec::Vec;

/// Why a base64 string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// A byte outside the base64 alphabet, or `=` before the end.
    #[error("byte 0x{byte:02x} at offset {offset} is not base64")]
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its offset in the line.
        offset: usize,
    },
    /// The length cannot be base64: a single leftover character, too much
    /// padding, or missing padding where padding is required.
    #[error("invalid base64 length or padding")]
    InvalidLength,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 6-bit value of each byte, or 0xff for bytes outside the alphabet.
const DECODE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Appends the padded base64 encoding of `data` to `out`.
pub(crate) fn encode(data: &[u8], out: &mut impl bytes::BufMut) {
    let mut chunks = data.chunks_exact(3);
    for c in &mut chunks {
        let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        out.put_slice(&[
            ALPHABET[(n >> 18) as usize & 63],
            ALPHABET[(n >> 12) as usize & 63],
            ALPHABET[(n >> 6) as usize & 63],
            ALPHABET[n as usize & 63],
        ]);
    }
    match *chunks.remainder() {
        [a] => out.put_slice(&[
            ALPHABET[usize::from(a >> 2)],
            ALPHABET[usize::from(a & 3) << 4],
            b'=',
            b'=',
        ]),
        [a, b] => out.put_slice(&[
            ALPHABET[usize::from(a >> 2)],
            ALPHABET[usize::from(a & 3) << 4 | usize::from(b >> 4)],
            ALPHABET[usize::from(b & 15) << 2],
            b'=',
        ]),
        _ => {}
    }
}

/// Decodes `input`. With `require_padding`, the length must be a multiple
/// of 4; without it, the trailing `=` may be missing.
pub(crate) fn decode(input: &[u8], require_padding: bool) -> Result<Vec<u8>, Base64Error> {
    let data_len = input.len()
        - input
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b'=')
            .count();
    let pad = input.len() - data_len;
    let (data, _) = input.split_at(data_len);
    if pad > 0 && input.len() % 4 != 0 {
        return Err(Base64Error::InvalidLength);
    }
    if require_padding && input.len() % 4 != 0 {
        return Err(Base64Error::InvalidLength);
    }
    if data_len % 4 == 1 {
        return Err(Base64Error::InvalidLength);
    }
    let invalid = |offset: usize| {
        let offset = offset
            + data[offset..]
                .iter()
                .position(|&b| DECODE[usize::from(b)] == 0xff)
                .unwrap_or_default();
        Base64Error::InvalidByte {
            byte: data[offset],
            offset,
        }
    };
    let tail_len = match data_len % 4 {
        2 => 1,
        3 => 2,
        _ => 0,
    };
    // Decoded bytes are often credentials (SASL PLAIN, AUTH initial
    // responses): a buffer left behind by an error is zeroed when dropped.
    let mut out = zeroize::Zeroizing::new(alloc::vec![0u8; data_len / 4 * 3 + tail_len]);
    // Four characters at a time: one table look-up each, one validity test
    // per group, three bytes written in place.
    let mut quads = data.chunks_exact(4);
    for (i, (q, o)) in (&mut quads).zip(out.chunks_exact_mut(3)).enumerate() {
        let [a, b, c, d] = [q[0], q[1], q[2], q[3]].map(|x| DECODE[usize::from(x)]);
        if (a | b | c | d) & 0x80 != 0 {
            return Err(invalid(i * 4));
        }
        let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        o[0] = (n >> 16) as u8;
        o[1] = (n >> 8) as u8;
        o[2] = n as u8;
    }
    let tail = quads.remainder();
    let start = data.len() - tail.len();
    let mut acc: u32 = 0;
    for &x in tail {
        let v = DECODE[usize::from(x)];
        if v == 0xff {
            return Err(invalid(start));
        }
        acc = (acc << 6) | u32::from(v);
    }
    let end = out.len();
    match tail.len() {
        2 => out[end - 1] = (acc >> 4) as u8,
        3 => {
            out[end - 2] = (acc >> 10) as u8;
            out[end - 1] = (acc >> 2) as u8;
        }
        _ => {}
    }
    Ok(core::mem::take(&mut *out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(d: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        encode(d, &mut v);
        v
    }

    #[test]
    fn rfc4648_vectors() {
        let vectors: [(&[u8], &[u8]); 7] = [
            (b"", b""),
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"foob", b"Zm9vYg=="),
            (b"fooba", b"Zm9vYmE="),
            (b"foobar", b"Zm9vYmFy"),
        ];
        for (plain, b64) in vectors {
            assert_eq!(enc(plain), b64);
            assert_eq!(decode(b64, true).unwrap(), plain);
        }
    }

    #[test]
    fn r55_rejects_misplaced_padding_and_foreign_bytes() {
        for bad in [
            &b"=AAA"[..],
            b"AAA=BBBB",
            b"AA=A",
            b"A",
            b"AAAAA",
            b"A===",
            b"AB CD",
            b"AB\0D",
            b"AB-_",
        ] {
            assert!(decode(bad, true).is_err(), "{:?}", bad);
            assert!(decode(bad, false).is_err(), "{:?}", bad);
        }
    }

    #[test]
    fn reports_the_offending_byte() {
        assert_eq!(
            decode(b"AAAAAB!D", true),
            Err(Base64Error::InvalidByte {
                byte: b'!',
                offset: 6
            })
        );
        assert_eq!(
            decode(b"AAAAA-", false),
            Err(Base64Error::InvalidByte {
                byte: b'-',
                offset: 5
            })
        );
    }

    #[test]
    fn unpadded_only_when_allowed_v8() {
        assert!(decode(b"Zm8", true).is_err());
        assert_eq!(decode(b"Zm8", false).unwrap(), b"fo");
        assert_eq!(decode(b"Zg", false).unwrap(), b"f");
    }
}
