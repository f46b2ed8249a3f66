//! decode -> encode -> decode gives an equal value, and encode is stable.
//!
//! Input: `[config, data...]`. `config % 3`: commands, SASL response lines
//! or responses. For responses `config / 3 % 13` picks the `Expect`.
//! `config / 39`: bit 0 `bare_lf`, bit 1 `any_case_status` (responses).
//!
//! Every value decoded from `data` (with the lenient options when chosen)
//! is encoded; the encoding must hold CR and LF only in its final CRLF and
//! no NUL, must decode with a strict decoder in the same state (inside the
//! same listing, for entries) to an equal value using all of its bytes,
//! and must encode again to the same bytes. `Debug` output of decoded
//! values and of errors holds no control character.
#![no_main]

mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use pop3_proto::apop;
use pop3_proto::codec::{
    CommandDecoder, CommandOptions, Decoded, ResponseDecoder, ResponseEvent, ResponseOptions,
};
use pop3_proto::types::{
    ApopDigest, Command, Expect, Greeting, MsgNumber, Response, Secret, Timestamp, Username,
};

/// Strict decoders with room for any line an encoder writes.
const BIG: usize = 1 << 20;

fn strict_command_decoder() -> CommandDecoder {
    let mut o = CommandOptions::default();
    o.max_line = BIG;
    o.max_sasl_line = BIG;
    CommandDecoder::new(o)
}

fn strict_response_decoder() -> ResponseDecoder {
    let mut o = ResponseOptions::default();
    o.max_line = BIG;
    o.max_sasl_line = BIG;
    ResponseDecoder::new(o)
}

/// Calls `step` on `data` until `Incomplete`, dropping what each outcome
/// consumed. `step` returns the consumed count, or `None` for `Incomplete`.
/// A step may use nothing only once in a row (the `End` of a single-line
/// reply).
fn drive(data: &[u8], mut step: impl FnMut(&[u8]) -> Option<usize>) {
    let mut rest = data;
    let mut idle_steps = 0;
    while let Some(n) = step(rest) {
        if n == 0 {
            idle_steps += 1;
            assert!(idle_steps < 2, "two steps in a row used nothing");
        } else {
            idle_steps = 0;
            assert_consumed(n, rest, "outcome");
        }
        rest = &rest[n..];
    }
}

fn commands(data: &[u8], bare_lf: bool) {
    let mut o = CommandOptions::default();
    o.bare_lf = bare_lf;
    let mut decoder = CommandDecoder::new(o);
    drive(data, |rest| match decoder.decode(rest) {
        Ok(Decoded::Value { value, consumed }) => {
            assert_no_control(&format!("{value:?}"));
            let enc = value.to_vec();
            assert_encoded_line(&enc, &value);
            let again = strict_command_decoder().decode(&enc);
            let Ok(Decoded::Value {
                value: v2,
                consumed: c2,
            }) = again
            else {
                panic!("{value:?} encodes to {enc:?}, which decodes to {again:?}");
            };
            assert_eq!(c2, enc.len(), "{enc:?} not decoded whole");
            assert_eq!(v2, value, "{enc:?} decodes to another command");
            assert_eq!(v2.to_vec(), enc, "encoding not stable");
            assert_eq!(v2.expect(), value.expect());
            Some(consumed)
        }
        Ok(Decoded::Discard(n)) => Some(n),
        Ok(Decoded::Incomplete) => None,
        Err(e) => {
            assert_no_control(&format!("{e} {e:?}"));
            Some(e.consumed())
        }
    });
}

fn sasl(data: &[u8], bare_lf: bool) {
    let mut o = CommandOptions::default();
    o.bare_lf = bare_lf;
    let mut decoder = CommandDecoder::new(o);
    drive(data, |rest| match decoder.decode_sasl(rest) {
        Ok(Decoded::Value { value, consumed }) => {
            assert_no_control(&format!("{value:?}"));
            let enc = value.to_vec();
            assert_encoded_line(&enc, &value);
            let again = strict_command_decoder().decode_sasl(&enc);
            let Ok(Decoded::Value {
                value: v2,
                consumed: c2,
            }) = again
            else {
                panic!("{value:?} encodes to {enc:?}, which decodes to {again:?}");
            };
            assert_eq!(c2, enc.len(), "{enc:?} not decoded whole");
            assert_eq!(v2, value, "{enc:?} decodes to another SASL response");
            assert_eq!(v2.to_vec(), enc, "encoding not stable");
            Some(consumed)
        }
        Ok(Decoded::Discard(n)) => Some(n),
        Ok(Decoded::Incomplete) => None,
        Err(e) => {
            assert_no_control(&format!("{e} {e:?}"));
            Some(e.consumed())
        }
    });
}

fn responses(data: &[u8], expect: Expect, bare_lf: bool, any_case: bool) {
    let mut o = ResponseOptions::default();
    o.bare_lf = bare_lf;
    o.any_case_status = any_case;
    let mut decoder = ResponseDecoder::new(o);
    // Every reply answers a command of the same kind.
    drive(data, |rest| {
        if decoder.is_idle() {
            decoder.expect(expect).expect("idle");
        }
        let in_listing = decoder.in_listing();
        match decoder.decode(rest) {
            Ok(Decoded::Value {
                value: ResponseEvent::Line(value),
                consumed,
            }) => {
                check_response(&value, expect, in_listing, decoder.in_listing());
                Some(consumed)
            }
            // Body data and the end of a reply: nothing to re-encode
            // (the body round trip is the body_decode target's).
            Ok(Decoded::Value { consumed, .. }) => Some(consumed),
            Ok(Decoded::Discard(n)) => Some(n),
            Ok(Decoded::Incomplete) => None,
            Err(e) => {
                assert_no_control(&format!("{e} {e:?}"));
                Some(e.consumed())
            }
        }
    });
}

fn check_response(value: &Response<'_>, expect: Expect, in_listing: bool, now_in_listing: bool) {
    assert_no_control(&format!("{value:?}"));
    let enc = value.to_vec();
    assert_encoded_line(&enc, value);
    // A strict decoder in the same state: inside the listing if the
    // original decoder was.
    let mut fresh = strict_response_decoder();
    fresh.expect(expect).expect("idle");
    if in_listing {
        let open = fresh.decode(b"+OK\r\n");
        assert!(
            matches!(open, Ok(Decoded::Value { value: ResponseEvent::Line(Response::Status(ref s)), consumed: 5 }) if s.is_ok()),
            "+OK does not open the listing: {open:?}"
        );
        assert!(fresh.in_listing());
    }
    let again = fresh.decode(&enc);
    let Ok(Decoded::Value {
        value: ResponseEvent::Line(v2),
        consumed: c2,
    }) = again
    else {
        panic!(
            "{value:?} encodes to {enc:?}, which decodes to {again:?} (in listing: {in_listing})"
        );
    };
    assert_eq!(c2, enc.len(), "{enc:?} not decoded whole");
    assert_eq!(
        &v2, value,
        "{enc:?} decodes to another response (expect {expect:?})"
    );
    assert_eq!(v2.to_vec(), enc, "encoding not stable");
    assert_eq!(
        fresh.in_listing(),
        now_in_listing,
        "listing state differs after {enc:?}"
    );
    if let Response::Greeting(g) = value {
        check_timestamp(g);
    }
}

/// The APOP timestamp is the first `<...>` of the text of a `+OK`
/// greeting that is a valid timestamp, and an APOP command built from it
/// round-trips.
fn check_timestamp(g: &Greeting<'_>) {
    let text = g.status().text().as_bytes();
    let first = (0..text.len())
        .filter(|&i| g.is_ok() && text[i] == b'<')
        .find_map(|i| {
            let j = i + text[i..].iter().position(|&b| b == b'>')?;
            Timestamp::try_from(&text[i..=j]).ok().map(|_| &text[i..=j])
        });
    let found = g.timestamp();
    assert_eq!(
        found.as_ref().map(Timestamp::as_bytes),
        first,
        "wrong APOP timestamp in {g:?}"
    );
    let Some(ts) = found else { return };
    assert_eq!(Timestamp::try_from(ts.as_str()).as_ref(), Ok(&ts));
    let digest = apop::digest(&ts, b"tanstaaf");
    assert_eq!(ApopDigest::parse(digest.as_bytes()), Ok(digest.clone()));
    assert!(apop::verify(&ts, b"tanstaaf", &digest));
    assert!(!apop::verify(&ts, b"tanstaaF", &digest));
    let command = Command::Apop {
        name: Username::try_from("mrose").unwrap(),
        digest: Secret::new(digest),
    };
    let enc = command.to_vec();
    let again = strict_command_decoder().decode(&enc);
    assert_eq!(
        again,
        Ok(Decoded::Value {
            value: command,
            consumed: enc.len()
        })
    );
}

fuzz_target!(|input: &[u8]| {
    let [config, data @ ..] = input else {
        return;
    };
    let flags = config / 39;
    let bare_lf = flags & 1 != 0;
    let any_case = flags & 2 != 0;
    match config % 3 {
        0 => commands(data, bare_lf),
        1 => sasl(data, bare_lf),
        _ => responses(
            data,
            expect_of(config / 3, MsgNumber::new(1).unwrap()),
            bare_lf,
            any_case,
        ),
    }
});
