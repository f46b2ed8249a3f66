//! The dot-stuffing body codec.
//!
//! Input: `[config, seed, data...]`. `config` bit 0: `bare_lf_lines`;
//! bit 1: `bare_lf_terminator`; bits 2-3: the largest chunk size (1, 4, 16
//! or 300); bits 4-7 and `seed`: the chunk sizes.
//!
//! Decoding `data` as a body: `decode_into`, `decode` (borrowed) and
//! `decode_bytes` (over `BytesMut` and `Bytes`), each over the whole input
//! and over chunks, must all produce the same message bytes, consume the
//! same count and agree on `done`, and match a plain line-by-line model of
//! RFC 1939 §3 with the same leniencies. Zero-copy chunks must point into
//! the receive buffer.
//!
//! Encoding `data` as content (SPEC S9): `encode_body` and a `BodyEncoder`
//! fed in chunks give the same bytes, with no bare LF or CR in them. They decode,
//! strict and with every combination of `bare_lf_lines` and
//! `bare_lf_terminator`, to `data` with each line end (a lone LF or CR too)
//! made CRLF, plus the CRLF the encoder adds when that lacks one, ending exactly
//! at the encoder's terminator (bytes after it, which hold a terminator of
//! their own, are left alone). A `WireLen` fed the same chunks gives the
//! decoded and the encoded length (SPEC R13). A `TopEncoder` (SPEC R31),
//! with `seed` picking its line count, gives the same output and the same
//! stopping point however `data` is chunked, and that output is the stuffed
//! prefix of `data` it consumed: the start of the RETR body.
#![no_main]

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use libfuzzer_sys::fuzz_target;
use pop3_proto::body::{
    BodyDecoder, BodyEncoder, BodyOptions, Chunk, TopEncoder, WireLen, ZeroCopyBuf, encode_body,
};

/// What decoding produced: message bytes, bytes consumed, end seen.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    message: Vec<u8>,
    consumed: usize,
    done: bool,
}

/// The model: split into lines, drop one leading dot, stop at the `.` line.
/// A partial last line is content too, except `.` and `.` CR, which the
/// decoder holds back until it knows whether they end the body.
fn model(wire: &[u8], o: BodyOptions) -> Outcome {
    let mut message = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &wire[pos..];
        if (o.bare_lf_lines || o.bare_lf_terminator) && rest.starts_with(b".\n") {
            return Outcome {
                message,
                consumed: pos + 2,
                done: true,
            };
        }
        let end = if o.bare_lf_lines {
            memchr(b'\n', rest).map(|i| (i, i + 1))
        } else {
            rest.windows(2)
                .position(|w| w == b"\r\n")
                .map(|i| (i, i + 2))
        };
        let Some((content_end, line_end)) = end else {
            if rest != b"." && rest != b".\r" {
                message.extend_from_slice(rest.strip_prefix(b".").unwrap_or(rest));
            }
            return Outcome {
                message,
                consumed: wire.len(),
                done: false,
            };
        };
        let line = &rest[..content_end];
        if line == b"." || (o.bare_lf_lines && line == b".\r") {
            return Outcome {
                message,
                consumed: pos + line_end,
                done: true,
            };
        }
        message.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        message.extend_from_slice(&rest[content_end..line_end]);
        pos += line_end;
    }
}

fn decode_into(wire: &[u8], o: BodyOptions, chunks: &[core::ops::Range<usize>]) -> Outcome {
    let mut d = BodyDecoder::with_options(o);
    let mut message = Vec::new();
    let mut consumed = 0;
    for r in chunks {
        let input = &wire[r.clone()];
        let p = d.decode_into(input, &mut message);
        assert!(p.consumed <= input.len());
        consumed += p.consumed;
        assert_eq!(p.done, d.is_done());
        if p.done {
            assert!(d.finish().is_ok());
            return Outcome {
                message,
                consumed,
                done: true,
            };
        }
        assert_eq!(
            p.consumed,
            input.len(),
            "decode_into stopped early without an end"
        );
    }
    assert!(d.finish().is_err());
    Outcome {
        message,
        consumed,
        done: false,
    }
}

fn decode_borrowed(wire: &[u8], o: BodyOptions, chunks: &[core::ops::Range<usize>]) -> Outcome {
    let mut d = BodyDecoder::with_options(o);
    let mut message = Vec::new();
    let mut consumed = 0;
    for r in chunks {
        let mut input = &wire[r.clone()];
        loop {
            let (chunk, n) = d.decode(input);
            assert!(n <= input.len());
            input = &input[n..];
            consumed += n;
            match chunk {
                Chunk::Data(data) => {
                    assert!(!data.is_empty(), "empty Chunk::Data");
                    message.extend_from_slice(data);
                }
                Chunk::End => {
                    return Outcome {
                        message,
                        consumed,
                        done: true,
                    };
                }
                Chunk::Incomplete => {
                    assert!(
                        input.is_empty(),
                        "Incomplete with {} bytes left",
                        input.len()
                    );
                    break;
                }
            }
        }
    }
    Outcome {
        message,
        consumed,
        done: false,
    }
}

/// Zero-copy decoding; `B` is `BytesMut` or `Bytes`. Each chunk is
/// appended to a receive buffer, as a client reading a socket would.
fn decode_zero_copy<B>(
    wire: &[u8],
    o: BodyOptions,
    chunks: &[core::ops::Range<usize>],
    make: impl Fn(&[u8]) -> B,
) -> Outcome
where
    B: ZeroCopyBuf,
{
    let mut d = BodyDecoder::with_options(o);
    let mut message = Vec::new();
    let mut consumed = 0;
    for r in chunks {
        let mut buf = make(&wire[r.clone()]);
        let range = {
            let s = buf.as_slice();
            s.as_ptr() as usize..s.as_ptr() as usize + s.len()
        };
        loop {
            let before = buf.as_slice().len();
            let chunk = d.decode_bytes(&mut buf);
            let after = buf.as_slice().len();
            assert!(after <= before);
            consumed += before - after;
            match chunk {
                Chunk::Data(data) => {
                    assert!(!data.is_empty(), "empty Chunk::Data");
                    let p = data.as_ptr() as usize;
                    assert!(
                        &data[..] == b"\r" || (range.contains(&p) && p + data.len() <= range.end),
                        "zero-copy chunk does not point into the receive buffer"
                    );
                    message.extend_from_slice(&data);
                }
                Chunk::End => {
                    assert_eq!(
                        buf.as_slice(),
                        &wire[consumed..r.end],
                        "bytes after the end"
                    );
                    return Outcome {
                        message,
                        consumed,
                        done: true,
                    };
                }
                Chunk::Incomplete => {
                    assert!(
                        buf.as_slice().is_empty(),
                        "Incomplete left bytes in the buffer"
                    );
                    break;
                }
            }
        }
    }
    Outcome {
        message,
        consumed,
        done: false,
    }
}

/// `content` with every line end made CRLF, as the encoders send it: a
/// CRLF stays, a lone LF and a lone CR each become CRLF.
fn line_ends_to_crlf(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 2);
    for (i, &b) in content.iter().enumerate() {
        match b {
            b'\n' if i == 0 || content[i - 1] != b'\r' => out.extend_from_slice(b"\r\n"),
            b'\r' if content.get(i + 1) != Some(&b'\n') => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
    out
}

/// TOP of `data` fed in `chunks`, stopping once done: the output, the bytes
/// consumed, and whether it said done.
fn top(n: u32, data: &[u8], chunks: &[core::ops::Range<usize>]) -> (Vec<u8>, usize, bool) {
    let mut out = Vec::new();
    let mut encoder = TopEncoder::new(n);
    let mut consumed = 0;
    let mut done = false;
    for r in chunks {
        let input = &data[r.clone()];
        let p = encoder.encode(input, &mut out);
        consumed += p.consumed;
        assert_eq!(p.done, encoder.is_done());
        if p.done {
            done = true;
            break;
        }
        assert_eq!(
            p.consumed,
            input.len(),
            "TopEncoder stopped early without done"
        );
    }
    encoder.finish(&mut out);
    (out, consumed, done)
}

fuzz_target!(|input: &[u8]| {
    let [config, seed, data @ ..] = input else {
        return;
    };
    let mut options = BodyOptions::default();
    options.bare_lf_lines = config & 1 != 0;
    options.bare_lf_terminator = config & 2 != 0;
    let max_chunk = [1, 4, 16, 300][usize::from(config >> 2 & 3)];
    let seed = u32::from(*seed) | u32::from(config >> 4) << 8;
    let whole = [0..data.len()];
    let chunks = Chunks::new(seed, max_chunk).ranges(data.len());

    // Decoding `data` as a body, every way.
    let expected = model(data, options);
    for (name, ranges) in [("whole", &whole[..]), ("chunked", &chunks[..])] {
        let got = [
            ("decode_into", decode_into(data, options, ranges)),
            ("decode", decode_borrowed(data, options, ranges)),
            (
                "decode_bytes(BytesMut)",
                decode_zero_copy(data, options, ranges, |s| BytesMut::from(s)),
            ),
            (
                "decode_bytes(Bytes)",
                decode_zero_copy(data, options, ranges, Bytes::copy_from_slice),
            ),
        ];
        for (api, outcome) in got {
            assert_eq!(
                outcome, expected,
                "{api} over {name} input ({options:?}) differs from the model"
            );
        }
    }

    // Encoding `data` as content, then decoding it back.
    let mut wire = Vec::new();
    encode_body(data, &mut wire);
    let mut streamed = Vec::new();
    let mut encoder = BodyEncoder::new();
    let mut size = WireLen::new();
    for r in &chunks {
        encoder.encode(&data[r.clone()], &mut streamed);
        size.count(&data[r.clone()]);
    }
    encoder.finish(&mut streamed);
    assert_eq!(
        wire, streamed,
        "BodyEncoder in chunks differs from encode_body"
    );
    for (i, &b) in wire.iter().enumerate() {
        assert!(
            b != b'\n' || (i > 0 && wire[i - 1] == b'\r'),
            "bare LF at {i} of the encoding"
        );
        assert!(
            b != b'\r' || wire.get(i + 1) == Some(&b'\n'),
            "bare CR at {i} of the encoding"
        );
    }

    let mut content = line_ends_to_crlf(data);
    if !content.is_empty() && !content.ends_with(b"\r\n") {
        content.extend_from_slice(b"\r\n");
    }
    assert_eq!(size.message_size(), content.len() as u64, "WireLen size");
    assert_eq!(size.wire_len(), wire.len() as u64, "WireLen wire length");
    let roundtrip = Outcome {
        message: content,
        consumed: wire.len(),
        done: true,
    };
    // What follows the body holds a terminator of its own: a decoder that
    // missed ours would stop there, with the wrong count.
    let mut followed = wire.clone();
    followed.extend_from_slice(b"+OK 1 2\r\n.\r\n");
    let followed_chunks = Chunks::new(seed ^ 0x5a5a, max_chunk).ranges(followed.len());
    for (lines, terminator) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut o = BodyOptions::default();
        o.bare_lf_lines = lines;
        o.bare_lf_terminator = terminator;
        assert_eq!(
            model(&followed, o),
            roundtrip,
            "stuffing round trip ({o:?}), model"
        );
        for ranges in [&[0..followed.len()][..], &followed_chunks[..]] {
            assert_eq!(
                decode_into(&followed, o, ranges),
                roundtrip,
                "stuffing round trip ({o:?})"
            );
            assert_eq!(
                decode_borrowed(&followed, o, ranges),
                roundtrip,
                "stuffing round trip ({o:?}), decode"
            );
            assert_eq!(
                decode_zero_copy(&followed, o, ranges, |s| BytesMut::from(s)),
                roundtrip,
                "stuffing round trip ({o:?}), decode_bytes"
            );
        }
    }

    // TOP: the same output and stop however `data` is chunked, and it is
    // the stuffed prefix it consumed.
    let n = [0, 1, 2, 5, u32::MAX][(seed % 5) as usize];
    let (top_whole, cut, done) = top(n, data, &whole);
    assert_eq!(
        top(n, data, &chunks),
        (top_whole.clone(), cut, done),
        "TopEncoder({n}) in chunks differs from one feed"
    );
    let mut prefix = Vec::new();
    encode_body(&data[..cut], &mut prefix);
    assert_eq!(top_whole, prefix, "TopEncoder({n}) output vs its prefix");
    if done {
        // At a line end: an LF, or a CR that no LF follows.
        let end = data[cut - 1];
        assert!(
            end == b'\n' || (end == b'\r' && data.get(cut) != Some(&b'\n')),
            "TopEncoder({n}) stopped inside a line"
        );
    } else {
        assert_eq!(
            (cut, &top_whole),
            (data.len(), &wire),
            "TopEncoder({n}) short"
        );
    }
});
