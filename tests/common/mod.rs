//! Drivers shared by the integration tests: they run the decoders the way a
//! caller would, over a buffer that grows as chunks arrive.
#![allow(dead_code)]

use pop3_proto::body::{BodyDecoder, BodyOptions};
use pop3_proto::codec::{
    CommandDecoder, CommandErrorKind, Decoded, ResponseDecoder, ResponseErrorKind, ResponseOptions,
};
use pop3_proto::types::{Command, Expect, Response};

/// What a server's byte stream decoded to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Response(Response<'static>),
    /// A whole RETR/TOP body, unstuffed.
    Body(Vec<u8>),
    Error(ResponseErrorKind),
}

/// Decodes every command in `input`, fed in chunks of the given sizes
/// (cycled; an empty list means one feed).
pub fn commands(input: &[u8], chunks: &[usize]) -> Vec<Result<Command<'static>, CommandErrorKind>> {
    let mut decoder = CommandDecoder::default();
    let mut out = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    for chunk in chunked(input, chunks) {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&buf) {
                Ok(Decoded::Value { value, consumed }) => {
                    out.push(Ok(value.into_owned()));
                    buf.drain(..consumed);
                }
                Ok(Decoded::Incomplete) => break,
                Ok(Decoded::Discard(n)) => {
                    buf.drain(..n);
                }
                Err(e) => {
                    out.push(Err(e.kind()));
                    buf.drain(..e.consumed());
                }
            }
        }
    }
    assert!(buf.is_empty(), "bytes left over: {buf:?}");
    out
}

/// Decodes a server's byte stream, given the expectation of each reply in
/// order, fed in chunks of the given sizes.
pub fn responses(
    input: &[u8],
    expects: &[Expect],
    chunks: &[usize],
    options: ResponseOptions,
    body: BodyOptions,
) -> Vec<Item> {
    let mut decoder = ResponseDecoder::new(options);
    let mut bodies = BodyDecoder::with_options(body);
    let mut in_body: Option<Vec<u8>> = None;
    let mut next = 0usize;
    let mut out = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    for chunk in chunked(input, chunks) {
        buf.extend_from_slice(chunk);
        loop {
            if let Some(message) = in_body.as_mut() {
                let p = bodies.decode_into(&buf, message);
                buf.drain(..p.consumed);
                if !p.done {
                    break;
                }
                out.push(Item::Body(in_body.take().unwrap_or_default()));
                bodies.reset();
                continue;
            }
            let Some(&expect) = expects.get(next) else {
                break;
            };
            match decoder.decode(&buf, expect) {
                Ok(Decoded::Value { value, consumed }) => {
                    let opens_body = expect == Expect::Message
                        && matches!(&value, Response::Status(s) if s.is_ok());
                    let challenge = matches!(value, Response::Challenge(_));
                    out.push(Item::Response(value.into_owned()));
                    buf.drain(..consumed);
                    if opens_body {
                        in_body = Some(Vec::new());
                    }
                    if !decoder.in_listing() && !challenge {
                        next += 1;
                    }
                }
                Ok(Decoded::Incomplete) => break,
                Ok(Decoded::Discard(n)) => {
                    buf.drain(..n);
                }
                Err(e) => {
                    out.push(Item::Error(e.kind()));
                    buf.drain(..e.consumed());
                    if !decoder.in_listing() {
                        next += 1;
                    }
                }
            }
        }
    }
    out
}

fn chunked<'a>(input: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = input;
    let mut i = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = if sizes.is_empty() {
            rest.len()
        } else {
            sizes[i % sizes.len()].max(1)
        };
        i += 1;
        let (head, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        Some(head)
    })
}
