//! Streaming: listings and bodies of any size cost bounded memory, and the
//! zero-copy body mode really hands out slices of the input.

use bytes::{Bytes, BytesMut};
use pop3_proto::body::{BodyDecoder, Chunk, encode_body};
use pop3_proto::codec::{Decoded, ResponseDecoder, ResponseEvent};
use pop3_proto::types::{Entry, Expect, Response};

#[test]
fn a_million_uidl_entries_stream_through_a_small_buffer() {
    const ENTRIES: u32 = 1_000_000;
    const CHUNK: usize = 16 * 1024;
    // The server's output, generated lazily: never held whole.
    let mut next_entry = 1u32;
    let mut produced_end = false;
    let mut produce = |out: &mut Vec<u8>| {
        if out.is_empty() && next_entry == 1 {
            out.extend_from_slice(b"+OK\r\n");
        }
        while out.len() < CHUNK && next_entry <= ENTRIES {
            out.extend_from_slice(
                format!("{next_entry} uid-{:08x}\r\n", next_entry.wrapping_mul(7919)).as_bytes(),
            );
            next_entry += 1;
        }
        if next_entry > ENTRIES && !produced_end {
            out.extend_from_slice(b".\r\n");
            produced_end = true;
        }
    };
    let mut decoder = ResponseDecoder::default();
    decoder.expect(Expect::UidListing).unwrap();
    let mut buf: Vec<u8> = Vec::new();
    let mut pending = Vec::new();
    let (mut seen, mut max_buf) = (0u32, 0usize);
    let mut last_msg = 0;
    'outer: loop {
        pending.clear();
        produce(&mut pending);
        if pending.is_empty() {
            panic!("stream ended before the terminator");
        }
        buf.extend_from_slice(&pending);
        max_buf = max_buf.max(buf.len());
        let mut at = 0;
        loop {
            match decoder.decode(&buf[at..]) {
                Ok(Decoded::Value { value, consumed }) => {
                    at += consumed;
                    match value {
                        ResponseEvent::Line(Response::Entry(Entry::Uid(u))) => {
                            seen += 1;
                            assert_eq!(u.msg.get(), last_msg + 1);
                            last_msg = u.msg.get();
                        }
                        ResponseEvent::End => break 'outer,
                        ResponseEvent::Line(Response::Status(s)) => assert!(s.is_ok()),
                        other => panic!("{other:?}"),
                    }
                }
                Ok(Decoded::Incomplete) => break,
                other => panic!("{other:?}"),
            }
        }
        buf.drain(..at);
    }
    assert_eq!(seen, ENTRIES);
    assert!(max_buf < 2 * CHUNK, "buffered {max_buf} bytes");
}

#[test]
fn a_large_body_streams_in_constant_memory() {
    // 64 MiB of message through a 16 KiB buffer: every chunk comes out
    // whole at once, so nothing accumulates anywhere, whatever the size.
    let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab\r\n";
    let mut decoder = BodyDecoder::new();
    let mut out = Vec::with_capacity(32 * 1024);
    let mut total = 0usize;
    let chunk: Vec<u8> = line.iter().copied().cycle().take(16 * 1024).collect();
    let rounds = 64 * 64;
    for _ in 0..rounds {
        let p = decoder.decode_into(&chunk, &mut out);
        assert!(!p.done);
        total += out.len();
        out.clear();
    }
    assert_eq!(total, rounds * chunk.len());
    let p = decoder.decode_into(b"\r\n.\r\n", &mut out);
    assert!(p.done);
    assert_eq!(out, b"\r\n");
}

#[test]
fn zero_copy_chunks_are_slices_of_the_input() {
    let mut content = Vec::new();
    for i in 0..2000 {
        content.extend_from_slice(if i % 10 == 0 {
            b".stuffed line\r\n"
        } else {
            b"plain line\r\n"
        });
    }
    let mut wire = Vec::new();
    encode_body(&content, &mut wire);
    wire.extend_from_slice(b"+OK next\r\n");
    let input = Bytes::from(wire);
    let (start, end) = (
        input.as_ptr() as usize,
        input.as_ptr() as usize + input.len(),
    );
    let mut rest = input.clone();
    let mut decoder = BodyDecoder::new();
    let mut message = Vec::new();
    loop {
        match decoder.decode_bytes(&mut rest) {
            Chunk::Data(d) => {
                let p = d.as_ptr() as usize;
                assert!(p >= start && p + d.len() <= end, "chunk was copied");
                message.extend_from_slice(&d);
            }
            Chunk::End => break,
            Chunk::Incomplete => panic!("whole body was there"),
        }
    }
    assert_eq!(message, content);
    assert_eq!(&rest[..], b"+OK next\r\n");

    // Same with a BytesMut receive buffer filled in pieces.
    let wire = input.to_vec();
    let mut decoder = BodyDecoder::new();
    let mut buf = BytesMut::new();
    let mut message = Vec::new();
    let mut done = false;
    for piece in wire.chunks(1000) {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode_bytes(&mut buf) {
                Chunk::Data(d) => message.extend_from_slice(&d),
                Chunk::End => {
                    done = true;
                    break;
                }
                Chunk::Incomplete => break,
            }
        }
        if done {
            break;
        }
    }
    assert!(done);
    assert_eq!(message, content);
    assert!(b"+OK next\r\n".starts_with(&buf));
}

/// The reply decoder's zero-copy mode hands out slices of the caller's
/// buffer too.
#[test]
fn reply_decoder_zero_copy_data_points_into_the_input() {
    let mut content = Vec::new();
    for i in 0..2000 {
        content.extend_from_slice(if i % 7 == 0 {
            b".stuffed\r\n"
        } else {
            b"plain line\r\n"
        });
    }
    let mut wire = b"+OK message follows\r\n".to_vec();
    encode_body(&content, &mut wire);
    wire.extend_from_slice(b"+OK 1 2\r\n");
    let input = Bytes::from(wire);
    let (start, end) = (
        input.as_ptr() as usize,
        input.as_ptr() as usize + input.len(),
    );
    let mut rest = input.clone();
    let mut decoder = ResponseDecoder::default();
    decoder.expect(Expect::Message).unwrap();
    let (mut message, mut lines) = (Vec::new(), 0);
    loop {
        match decoder.decode_bytes(&mut rest) {
            Ok(Some(ResponseEvent::Data(d))) => {
                let p = d.as_ptr() as usize;
                assert!(p >= start && p + d.len() <= end, "data was copied");
                message.extend_from_slice(&d);
            }
            Ok(Some(ResponseEvent::Line(_))) => lines += 1,
            Ok(Some(ResponseEvent::End)) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(lines, 1);
    assert_eq!(message, content);
    assert_eq!(&rest[..], b"+OK 1 2\r\n");
    assert!(decoder.is_idle());
}
