//! `ResponseDecoder` driven the way a client drives it.
//!
//! Input: `[config, split, data...]`. `config % 13` picks the `Expect` of
//! every reply; `config / 13` picks `bare_lf` (bit 0), `any_case_status`
//! (bit 1) and, in bits 2-4, a small line limit (0: the defaults) and the
//! message number of `Scan(n)`/`Uid(n)`. After a `+OK` to
//! `Expect::Message` the body goes to a `BodyDecoder`, as in a client.
//!
//! Invariants: consumed counts in `1..=remaining`; one line per value,
//! within the limit; the value's variant fits the `Expect` and the listing
//! state (`Entry`/`End` only inside a listing, which a `+OK` to a listing
//! opens and `.` closes; a reply to `LIST n`/`UIDL n` names `n`); after
//! `Incomplete` nothing is lost; and the outcomes are the same for whole,
//! two-chunk and byte-by-byte input.
#![no_main]

mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use pop3_proto::body::BodyDecoder;
use pop3_proto::codec::{Decoded, ResponseDecoder, ResponseErrorKind, ResponseOptions};
use pop3_proto::types::{Entry, Expect, MsgNumber, Response, StatusKind};

const SMALL_LIMITS: [usize; 5] = [0, 3, 8, 16, 40];

#[derive(Clone, Debug, PartialEq)]
enum Event {
    Response(Response<'static>, usize),
    /// Too-long errors include the `Discard`s that follow them.
    Error(ResponseErrorKind, usize),
    /// Message body bytes; consecutive pieces are merged.
    Body(Vec<u8>),
    BodyEnd,
}

struct Session {
    decoder: ResponseDecoder,
    options: ResponseOptions,
    expect: Expect,
    body: Option<BodyDecoder>,
    events: Vec<Event>,
    consumed: usize,
}

impl Session {
    fn new(options: ResponseOptions, expect: Expect) -> Self {
        Self {
            decoder: ResponseDecoder::new(options),
            options,
            expect,
            body: None,
            events: Vec::new(),
            consumed: 0,
        }
    }

    /// The variant must fit the `Expect` and the listing state.
    fn check_value(&mut self, value: &Response<'static>, was_in_listing: bool) {
        let now_in_listing = self.decoder.in_listing();
        if was_in_listing {
            match (value, self.expect) {
                (Response::End, _) => assert!(!now_in_listing, "End did not close the listing"),
                (Response::Entry(e), expect) => {
                    assert!(now_in_listing, "an entry closed the listing");
                    let fits = matches!(
                        (e, expect),
                        (Entry::Scan(_), Expect::ScanListing)
                            | (Entry::Uid(_), Expect::UidListing)
                            | (Entry::Capability(_), Expect::Capabilities)
                            | (Entry::Lang(_), Expect::LangListing)
                            | (Entry::Mechanism(_), Expect::Mechanisms)
                    );
                    assert!(fits, "{e:?} inside a listing for {expect:?}");
                }
                (other, _) => panic!("{other:?} inside a listing"),
            }
            return;
        }
        let fits = match (value, self.expect) {
            (Response::Greeting(_), Expect::Greeting) => true,
            (Response::Greeting(_), _) | (_, Expect::Greeting) => false,
            (Response::Status(s), expect) => {
                // A +OK opens the listing; STAT, LIST n, UIDL n and LANG tag
                // have their own variant for +OK.
                assert_eq!(
                    now_in_listing,
                    s.is_ok() && expect.is_listing(),
                    "listing state after {s:?} for {expect:?}"
                );
                if s.is_ok() && expect == Expect::Message {
                    self.body = Some(BodyDecoder::new());
                }
                !(s.is_ok()
                    && matches!(
                        expect,
                        Expect::Stat | Expect::Scan(_) | Expect::Uid(_) | Expect::Lang
                    ))
            }
            (Response::Challenge(_), expect) => expect == Expect::Challenge,
            (Response::Stat(_), expect) => expect == Expect::Stat,
            (Response::Scan(s), expect) => expect == Expect::Scan(s.msg),
            (Response::Uid(u), expect) => expect == Expect::Uid(u.msg),
            (Response::Lang(_), expect) => expect == Expect::Lang,
            (Response::Entry(_) | Response::End, _) => false,
            _ => true,
        };
        assert!(fits, "{value:?} is not a reply to {:?}", self.expect);
        if !matches!(value, Response::Status(_)) {
            assert!(!now_in_listing, "{value:?} opened a listing");
        }
    }

    /// After `Incomplete`, `rest` + CRLF must be read as one whole line.
    fn check_incomplete(&self, rest: &[u8]) {
        let mut again = self.decoder.clone();
        let same = again.decode(rest, self.expect).map(|d| d.map(|_| ()));
        assert_eq!(same, Ok(Decoded::Incomplete), "Incomplete is not stable");
        let mut line = rest.to_vec();
        line.extend_from_slice(b"\r\n");
        let used = match again.decode(&line, self.expect) {
            Ok(Decoded::Value { consumed, .. }) => consumed,
            Ok(Decoded::Discard(n)) => n,
            Ok(Decoded::Incomplete) => panic!("still Incomplete after CRLF: {line:?}"),
            Err(e) => e.consumed(),
        };
        assert_eq!(used, line.len(), "bytes lost after Incomplete on {rest:?}");
    }
}

impl common::Feed for Session {
    type Event = Event;

    fn feed(&mut self, buf: &[u8], probe: bool) -> usize {
        let mut off = 0;
        loop {
            let rest = &buf[off..];
            if let Some(body) = &mut self.body {
                let mut out = Vec::new();
                let p = body.decode_into(rest, &mut out);
                assert!(p.consumed <= rest.len());
                if !out.is_empty() {
                    match self.events.last_mut() {
                        Some(Event::Body(b)) => b.extend_from_slice(&out),
                        _ => self.events.push(Event::Body(out)),
                    }
                }
                off += p.consumed;
                self.consumed += p.consumed;
                if !p.done {
                    assert_eq!(p.consumed, rest.len(), "body stopped early without an end");
                    return off;
                }
                self.body = None;
                self.events.push(Event::BodyEnd);
                continue;
            }
            let in_listing = self.decoder.in_listing();
            let limit = if !in_listing && self.expect == Expect::Challenge {
                self.options.max_sasl_line
            } else {
                self.options.max_line
            };
            let n = match self.decoder.decode(rest, self.expect) {
                Ok(Decoded::Incomplete) => {
                    // A peer that never sends LF cannot make the caller
                    // buffer a whole limit's worth (SPEC S6).
                    assert!(
                        rest.len() < limit,
                        "Incomplete with {} bytes buffered, limit {limit}",
                        rest.len()
                    );
                    assert!(
                        !rest.contains(&b'\n'),
                        "Incomplete with a line end in {rest:?}"
                    );
                    if probe {
                        self.check_incomplete(rest);
                    }
                    return off;
                }
                Ok(Decoded::Value { value, consumed }) => {
                    assert_consumed(consumed, rest, "Value");
                    assert_one_line(&rest[..consumed], self.options.bare_lf, "Value");
                    assert!(
                        consumed <= limit,
                        "{consumed}-byte line accepted under limit {limit}"
                    );
                    let value = value.into_owned();
                    self.check_value(&value, in_listing);
                    self.events.push(Event::Response(value, consumed));
                    consumed
                }
                Ok(Decoded::Discard(n)) => {
                    assert_discard(n, rest);
                    match self.events.last_mut() {
                        Some(Event::Error(ResponseErrorKind::LineTooLong { .. }, c)) => *c += n,
                        other => {
                            panic!("Discard({n}) not after a too-long line but after {other:?}")
                        }
                    }
                    n
                }
                Err(e) => {
                    let consumed = e.consumed();
                    if let ResponseErrorKind::LineTooLong { limit: l } = e.kind() {
                        assert_eq!(l, limit, "LineTooLong reports another limit");
                    }
                    assert_refused(
                        rest,
                        consumed,
                        limit,
                        matches!(e.kind(), ResponseErrorKind::LineTooLong { .. }),
                        e.kind() == ResponseErrorKind::BareLineFeed,
                        self.options.bare_lf,
                    );
                    if let ResponseErrorKind::WrongMessage { expected, found } = e.kind() {
                        assert!(!in_listing && expected != found);
                        assert!(
                            matches!(self.expect, Expect::Scan(n) | Expect::Uid(n) if n == expected)
                        );
                    }
                    // Only a refused +OK line that opens a listing changes
                    // the state: it enters the listing, so its entries stay
                    // in step.
                    let opens = !in_listing
                        && e.status() == Some(StatusKind::Ok)
                        && self.expect.is_listing();
                    assert_eq!(
                        self.decoder.in_listing(),
                        in_listing || opens,
                        "an error changed the listing state"
                    );
                    if in_listing {
                        assert_eq!(e.status(), None, "an entry error reports a status");
                    }
                    assert_no_control(&e.to_string());
                    self.events.push(Event::Error(e.kind(), consumed));
                    consumed
                }
            };
            off += n;
            self.consumed += n;
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
    let [config, split, data @ ..] = input else {
        return;
    };
    let expect = expect_of(
        *config,
        MsgNumber::new(1 + u32::from(*config / 13 >> 2)).unwrap(),
    );
    let bits = config / 13;
    let mut options = ResponseOptions::default();
    options.bare_lf = bits & 1 != 0;
    options.any_case_status = bits & 2 != 0;
    let small = SMALL_LIMITS[usize::from(bits >> 2)];
    if small != 0 {
        options.max_line = small;
        options.max_sasl_line = small;
    }

    common::assert_split_invariance(|| Session::new(options, expect), data, *split);
});
