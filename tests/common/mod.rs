//! Drivers shared by the integration tests: they run the decoders the way a
//! caller would, over a buffer that grows as chunks arrive.
#![allow(dead_code)]

use bytes::BytesMut;
use pop3_proto::codec::{
    CommandDecoder, CommandErrorKind, Decoded, ResponseDecoder, ResponseError, ResponseErrorKind,
    ResponseEvent, ResponseOptions,
};
use pop3_proto::types::{Command, Expect, Response};
use std::collections::VecDeque;

/// What a server's byte stream decoded to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Response(Response<'static>),
    /// A whole RETR/TOP body, unstuffed (its `End` included).
    Body(Vec<u8>),
    /// The `End` of a listing (the `.` line). The `End` of a single-line
    /// reply is not recorded (the driver checks it comes).
    End,
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

/// How the driver takes body data from the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `decode`: borrowed slices of the input.
    Borrow,
    /// `decode_into`: copied into the message buffer.
    Copy,
    /// `decode_bytes` on a `BytesMut`: zero-copy `Bytes`.
    Bytes,
}

/// Decodes a server's byte stream, given the expectation of each reply in
/// order, fed in chunks of the given sizes, the way a client does: one
/// queue of pending replies, popped on `End` and on nothing else.
pub fn responses(
    input: &[u8],
    expects: &[Expect],
    chunks: &[usize],
    options: ResponseOptions,
) -> Vec<Item> {
    let items = responses_in(Mode::Borrow, input, expects, chunks, options);
    for mode in [Mode::Copy, Mode::Bytes] {
        assert_eq!(
            responses_in(mode, input, expects, chunks, options),
            items,
            "{mode:?}"
        );
    }
    items
}

/// [`responses`] in one mode.
pub fn responses_in(
    mode: Mode,
    input: &[u8],
    expects: &[Expect],
    chunks: &[usize],
    options: ResponseOptions,
) -> Vec<Item> {
    let mut client = Client::new(options, expects);
    let mut buf = BytesMut::new();
    for chunk in chunked(input, chunks) {
        buf.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            let was_listing = client.decoder.in_listing();
            let step = match mode {
                Mode::Borrow => {
                    let r = client.decoder.decode(&buf[at..]);
                    step_of(r, &mut at, |d| client.data(d))
                }
                Mode::Copy => {
                    let mut scratch = Vec::new();
                    let out = client.body.as_mut().unwrap_or(&mut scratch);
                    let r = client.decoder.decode_into(&buf[at..], out);
                    assert!(scratch.is_empty(), "data outside a body");
                    step_of(r, &mut at, |_| {})
                }
                Mode::Bytes => match client.decoder.decode_bytes(&mut buf) {
                    Ok(Some(ResponseEvent::Data(d))) => {
                        client.data(&d);
                        Ok(Some(None))
                    }
                    Ok(Some(ResponseEvent::Line(l))) => Ok(Some(Some(Event::Line(l)))),
                    Ok(Some(_)) => Ok(Some(Some(Event::End))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                },
            };
            match step {
                Ok(None) => break,
                Ok(Some(None)) => {}
                Ok(Some(Some(Event::Line(line)))) => {
                    client.out.push(Item::Response(line));
                }
                Ok(Some(Some(_))) => client.end(was_listing),
                Err(e) => client.out.push(Item::Error(e.kind())),
            }
            client.note_body();
        }
        if mode != Mode::Bytes {
            let _ = buf.split_to(at);
        }
    }
    client.out
}

/// Body data already handed to the client, so that the events of all three
/// modes have one type.
type Event = ResponseEvent<'static, ()>;

/// What one call of a slice-based mode gave: `Ok(None)` for
/// `Incomplete`, `Ok(Some(None))` for body data (handed to `data`) or a
/// discard, else the line or `End`; `at` moves past what was used.
fn step_of<D>(
    result: Result<Decoded<ResponseEvent<'_, D>>, ResponseError>,
    at: &mut usize,
    data: impl FnOnce(D),
) -> Result<Option<Option<Event>>, ResponseError> {
    match result {
        Ok(Decoded::Value { value, consumed }) => {
            *at += consumed;
            Ok(Some(match value {
                ResponseEvent::Data(d) => {
                    data(d);
                    None
                }
                ResponseEvent::Line(l) => Some(Event::Line(l.into_owned())),
                _ => Some(Event::End),
            }))
        }
        Ok(Decoded::Discard(n)) => {
            *at += n;
            Ok(Some(None))
        }
        Ok(Decoded::Incomplete) => Ok(None),
        Err(e) => {
            *at += e.consumed();
            Err(e)
        }
    }
}

/// The client's side of [`responses_in`]: the queue and the message.
struct Client {
    decoder: ResponseDecoder,
    pending: VecDeque<Expect>,
    body: Option<Vec<u8>>,
    out: Vec<Item>,
}

impl Client {
    fn new(options: ResponseOptions, expects: &[Expect]) -> Self {
        let mut decoder = ResponseDecoder::new(options);
        let pending: VecDeque<Expect> = expects.iter().copied().collect();
        if let Some(&first) = pending.front() {
            decoder.expect(first).expect("a fresh decoder is idle");
        }
        Self {
            decoder,
            pending,
            body: None,
            out: Vec::new(),
        }
    }

    fn data(&mut self, piece: &[u8]) {
        assert!(!piece.is_empty(), "empty data piece");
        self.body
            .as_mut()
            .expect("data outside a body")
            .extend_from_slice(piece);
    }

    /// A message starts when the decoder enters a body.
    fn note_body(&mut self) {
        if self.decoder.in_body() && self.body.is_none() {
            self.body = Some(Vec::new());
        }
    }

    /// The reply is complete: record it and pop the queue.
    fn end(&mut self, was_listing: bool) {
        if let Some(body) = self.body.take() {
            self.out.push(Item::Body(body));
        } else if was_listing {
            self.out.push(Item::End);
        }
        assert!(self.decoder.is_idle(), "End leaves the decoder idle");
        self.pending.pop_front().expect("End with nothing pending");
        if let Some(&next) = self.pending.front() {
            self.decoder.expect(next).expect("idle after End");
        }
    }
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

/// The decoder driven one line at a time, for tests of single lines: it
/// supplies `expect` whenever the decoder is idle and takes the `End` of a
/// single-line reply, so each call reads the next line.
#[derive(Debug, Default)]
pub struct Lines {
    pub decoder: ResponseDecoder,
}

impl Lines {
    pub fn new(options: ResponseOptions) -> Self {
        Self {
            decoder: ResponseDecoder::new(options),
        }
    }

    /// The next line under `expect`; a listing's `.` is `Ok(None)`.
    pub fn decode<'a>(
        &mut self,
        input: &'a [u8],
        expect: Expect,
    ) -> Result<Decoded<Option<Response<'a>>>, ResponseError> {
        if self.decoder.is_idle() {
            self.decoder.expect(expect).expect("idle");
        }
        let result = self.decoder.decode(input).map(|d| {
            d.map(|event| match event {
                ResponseEvent::Line(line) => Some(line),
                ResponseEvent::End => None,
                other => panic!("not a line: {other:?}"),
            })
        });
        if !matches!(result, Ok(Decoded::Incomplete)) {
            // Take the End that closes a single-line reply.
            match self.decoder.decode(&[]) {
                Ok(Decoded::Value {
                    value: ResponseEvent::End,
                    consumed: 0,
                })
                | Ok(Decoded::Incomplete) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        result
    }
}

/// The first line of a reply under `expect`, with the default options.
pub fn first(line: &[u8], expect: Expect) -> Result<Decoded<Response<'_>>, ResponseError> {
    first_with(ResponseOptions::default(), line, expect)
}

/// The first line of a reply under `expect`.
pub fn first_with(
    options: ResponseOptions,
    line: &[u8],
    expect: Expect,
) -> Result<Decoded<Response<'_>>, ResponseError> {
    Lines::new(options)
        .decode(line, expect)
        .map(|d| d.map(|r| r.expect("a first line is never End")))
}

/// `content` with every LF not preceded by CR made CRLF.
pub fn lf_to_crlf(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len());
    for (i, &b) in content.iter().enumerate() {
        if b == b'\n' && (i == 0 || content[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// `content` with every line end made CRLF, as the encoders send it: a
/// CRLF stays, a lone LF and a lone CR each become CRLF.
pub fn line_ends_to_crlf(content: &[u8]) -> Vec<u8> {
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

/// What a client reads back (unstuffed) for a message stored as
/// `content`: every line end made CRLF ([`line_ends_to_crlf`]), and a CRLF
/// at the end when that does not end in one (SPEC R15).
pub fn as_retrieved(content: &[u8]) -> Vec<u8> {
    let mut out = line_ends_to_crlf(content);
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}
