//! `ResponseDecoder` driven the way a client drives it: one queue of
//! pending replies, popped on `End` and on nothing else.
//!
//! Input: `[config, split, count, selectors..., data...]`. `config` picks
//! the options (bit 0 `bare_lf`, bit 1 `bare_lf_terminator`, bit 2
//! `any_case_status`, bit 3 `skip_empty_lines`, bits 4-6 a small line
//! limit, 0 for the defaults) and, in bit 7 and `split`, the body mode
//! (borrowed, copied or zero-copy); bit 1 of `split` turns on
//! `unpadded_challenges`. `count % 9` selectors pick the
//! `Expect` of each pending reply in order (and the message `LIST n` /
//! `UIDL n` name); bytes after the last reply are unsolicited.
//!
//! Invariants: counts in range; `Incomplete` only when the rest holds no
//! line end and is under the limit (so nothing beyond a limit is ever
//! buffered, SPEC S6); every line event fits the pending `Expect` and the
//! decoder's state; data only inside a body; exactly one `End` per reply,
//! after which the decoder is idle; error text renders without control
//! characters; and the events and bytes used are the same for whole,
//! two-chunk and byte-by-byte input.
#![no_main]

mod common;

use bytes::BytesMut;
use common::*;
use libfuzzer_sys::fuzz_target;
use pop3_proto::codec::{
    Decoded, ResponseDecoder, ResponseError, ResponseErrorKind, ResponseEvent, ResponseOptions,
};
use pop3_proto::types::{Entry, Expect, MsgNumber, Response, StatusKind};
use std::collections::VecDeque;

const SMALL_LIMITS: [usize; 8] = [0, 3, 5, 8, 16, 40, 100, 600];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Borrow,
    Copy,
    Bytes,
}

#[derive(Clone, Debug, PartialEq)]
enum Event {
    Line(Response<'static>),
    Error(ResponseErrorKind, Option<StatusKind>),
    /// Message body bytes; consecutive pieces are merged.
    Body(Vec<u8>),
    End,
}

struct Session {
    decoder: ResponseDecoder,
    options: ResponseOptions,
    mode: Mode,
    pending: VecDeque<Expect>,
    events: Vec<Event>,
    consumed: usize,
}

/// One step's outcome with body data already recorded.
enum Step {
    Line(Response<'static>),
    Data,
    End,
    Discard,
    Incomplete,
}

impl Session {
    fn new(options: ResponseOptions, mode: Mode, expects: &[Expect]) -> Self {
        let mut decoder = ResponseDecoder::new(options);
        let pending: VecDeque<Expect> = expects.iter().copied().collect();
        if let Some(&first) = pending.front() {
            decoder.expect(first).expect("a new decoder is idle");
        }
        Self {
            decoder,
            options,
            mode,
            pending,
            events: Vec::new(),
            consumed: 0,
        }
    }

    fn body(&mut self, piece: &[u8]) {
        match self.events.last_mut() {
            Some(Event::Body(b)) => b.extend_from_slice(piece),
            _ => self.events.push(Event::Body(piece.to_vec())),
        }
    }

    /// The limit a line starting at `rest` is held to.
    fn limit(&self) -> usize {
        // The limits in force (the decoder raises tiny ones to the
        // shortest reply line).
        let o = self.decoder.options();
        o.max_line.max(o.max_sasl_line)
    }

    /// A line event must fit the pending `Expect` and the state.
    fn check_line(&self, line: &Response<'static>, was_listing: bool, expect: Expect) {
        if was_listing {
            let Response::Entry(e) = line else {
                panic!("{line:?} inside a listing")
            };
            let fits = matches!(
                (e, expect),
                (Entry::Scan(_), Expect::ScanListing)
                    | (Entry::Uid(_), Expect::UidListing)
                    | (Entry::Capability(_), Expect::Capabilities)
                    | (Entry::Lang(_), Expect::LangListing)
                    | (Entry::Mechanism(_), Expect::Mechanisms)
            );
            assert!(fits, "{e:?} inside a listing for {expect:?}");
            assert!(self.decoder.in_listing(), "an entry closed the listing");
            return;
        }
        let fits = match (line, expect) {
            (Response::Greeting(_), Expect::Greeting) => true,
            (Response::Greeting(_), _) | (_, Expect::Greeting) => false,
            (Response::Status(s), expect) => {
                assert_eq!(self.decoder.in_listing(), s.is_ok() && expect.is_listing());
                assert_eq!(
                    self.decoder.in_body(),
                    s.is_ok() && expect == Expect::Message
                );
                !(s.is_ok()
                    && matches!(
                        expect,
                        Expect::Stat | Expect::Scan(_) | Expect::Uid(_) | Expect::Lang
                    ))
            }
            (Response::Challenge(_), expect) => {
                assert_eq!(self.decoder.pending(), Some(Expect::Challenge));
                expect == Expect::Challenge
            }
            (Response::Stat(_), expect) => expect == Expect::Stat,
            (Response::Scan(s), expect) => expect == Expect::Scan(s.msg),
            (Response::Uid(u), expect) => expect == Expect::Uid(u.msg),
            (Response::Lang(_), expect) => expect == Expect::Lang,
            (Response::Entry(_), _) => false,
            _ => true,
        };
        assert!(fits, "{line:?} is not a reply to {expect:?}");
    }

    fn step(&mut self, rest: &[u8], bytes: &mut BytesMut) -> (Result<Step, ResponseError>, usize) {
        match self.mode {
            Mode::Borrow => {
                let r = self.decoder.decode(rest);
                outcome(r, rest.len(), |d: &[u8]| {
                    assert!(!d.is_empty(), "empty data piece");
                    self.body(d);
                })
            }
            Mode::Copy => {
                let mut out = Vec::new();
                let r = self.decoder.decode_into(rest, &mut out);
                outcome(r, rest.len(), |n| {
                    assert_eq!(n, out.len());
                    assert!(n > 0, "empty data with room to spare");
                    self.body(&out);
                })
            }
            Mode::Bytes => {
                let before = bytes.len();
                let r = self.decoder.decode_bytes(bytes);
                let used = before - bytes.len();
                let step = match r {
                    Ok(Some(ResponseEvent::Line(l))) => Ok(Step::Line(l)),
                    Ok(Some(ResponseEvent::Data(d))) => {
                        assert!(!d.is_empty(), "empty data piece");
                        self.body(&d);
                        Ok(Step::Data)
                    }
                    Ok(Some(_)) => Ok(Step::End),
                    Ok(None) => {
                        // Zero-copy mode drops what it skipped itself.
                        Ok(if used > 0 {
                            Step::Discard
                        } else {
                            Step::Incomplete
                        })
                    }
                    Err(e) => Err(e),
                };
                (step, used)
            }
        }
    }
}

/// A slice-based mode's result as a step and the bytes it used; body data
/// goes to `data`.
fn outcome<D>(
    result: Result<Decoded<ResponseEvent<'_, D>>, ResponseError>,
    available: usize,
    data: impl FnOnce(D),
) -> (Result<Step, ResponseError>, usize) {
    match result {
        Ok(Decoded::Value { value, consumed }) => {
            assert!(consumed <= available);
            let step = match value {
                ResponseEvent::Line(l) => Step::Line(l.into_owned()),
                ResponseEvent::Data(d) => {
                    data(d);
                    Step::Data
                }
                ResponseEvent::End => Step::End,
                _ => unreachable!("an event this target does not know"),
            };
            (Ok(step), consumed)
        }
        Ok(Decoded::Discard(n)) => (Ok(Step::Discard), n),
        Ok(Decoded::Incomplete) => (Ok(Step::Incomplete), 0),
        Err(e) => {
            let n = e.consumed();
            (Err(e), n)
        }
    }
}

impl common::Feed for Session {
    type Event = Event;

    fn feed(&mut self, buf: &[u8], _probe: bool) -> usize {
        let mut off = 0;
        let mut bytes = BytesMut::from(buf);
        loop {
            let rest = &buf[off..];
            let was_listing = self.decoder.in_listing();
            let was_body = self.decoder.in_body();
            let expect = self.pending.front().copied();
            let (step, n) = self.step(rest, &mut bytes);
            assert!(n <= rest.len(), "used {n} of {} bytes", rest.len());
            match step {
                Ok(Step::Incomplete) => {
                    assert_eq!(n, 0);
                    assert!(
                        !rest.contains(&b'\n'),
                        "Incomplete with a line end in {rest:?}"
                    );
                    assert!(
                        rest.len() < self.limit(),
                        "Incomplete with {} bytes buffered",
                        rest.len()
                    );
                    if was_body {
                        assert!(rest.is_empty() || self.mode == Mode::Bytes);
                    }
                    return off;
                }
                Ok(Step::Line(line)) => {
                    assert!(n > 0);
                    if self.mode != Mode::Bytes {
                        // (Zero-copy mode also drops what it skipped first.)
                        assert_one_line(&rest[..n], self.options.bare_lf, "Line");
                        assert!(n <= self.limit(), "{n}-byte line accepted");
                    }
                    let expect = expect.expect("a line with nothing pending");
                    self.check_line(&line, was_listing, expect);
                    self.events.push(Event::Line(line));
                }
                Ok(Step::Data) => assert!(was_body, "data outside a body"),
                Ok(Step::End) => {
                    assert!(self.decoder.is_idle(), "End left the decoder busy");
                    self.pending.pop_front().expect("End with nothing pending");
                    if let Some(&next) = self.pending.front() {
                        self.decoder.expect(next).expect("idle after End");
                    }
                    self.events.push(Event::End);
                }
                Ok(Step::Discard) => assert!(n > 0, "Discard(0)"),
                Err(e) => {
                    assert_no_control(&e.to_string());
                    if e.kind() == ResponseErrorKind::Unsolicited {
                        assert!(expect.is_none(), "Unsolicited with a reply pending");
                    } else {
                        assert!(n > 0, "error consumed nothing");
                    }
                    if was_listing {
                        assert_eq!(e.status(), None, "an entry error reports a status");
                    }
                    self.events.push(Event::Error(e.kind(), e.status()));
                }
            }
            off += n;
            self.consumed += n;
            if self.mode == Mode::Bytes {
                assert_eq!(bytes.len(), buf.len() - off);
            }
        }
    }

    fn events(&self) -> &[Event] {
        &self.events
    }

    fn consumed(&self) -> usize {
        self.consumed
    }
}

fuzz_target!(|input: &[u8]| {
    let [config, split, count, rest @ ..] = input else {
        return;
    };
    let count = usize::from(*count % 9).min(rest.len());
    let (selectors, data) = rest.split_at(count);
    let expects: Vec<Expect> = selectors
        .iter()
        .map(|&s| expect_of(s, MsgNumber::new(1 + u32::from(s / 13 % 4)).unwrap()))
        .collect();
    let mut options = ResponseOptions::default()
        .with_bare_lf(config & 1 != 0)
        .with_bare_lf_terminator(config & 2 != 0)
        .with_any_case_status(config & 4 != 0)
        .with_skip_empty_lines(config & 8 != 0)
        .with_unpadded_challenges(split & 2 != 0);
    let small = SMALL_LIMITS[usize::from(config >> 4 & 7)];
    if small != 0 {
        options.max_line = small;
        options.max_sasl_line = small * 2;
    }
    let mode = match (config >> 7, split % 2) {
        (0, _) => Mode::Borrow,
        (_, 0) => Mode::Copy,
        _ => Mode::Bytes,
    };
    common::assert_split_invariance(|| Session::new(options, mode, &expects), data, *split);
});
