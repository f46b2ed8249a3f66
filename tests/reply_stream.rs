//! The reply decoder reads the whole server stream, bodies included, and
//! says itself when each reply is complete (issue 5, section 1).

mod common;

use common::{Item, Mode};
use pop3_proto::body::BodyDecoder;
use pop3_proto::codec::{
    Decoded, ExpectError, ResponseDecoder, ResponseErrorKind, ResponseEvent, ResponseOptions,
};
use pop3_proto::types::*;

fn ok(text: &'static str) -> Response<'static> {
    Response::Status(Status::ok(Text::try_from(text).unwrap()).unwrap())
}

/// Every chunking up to `max` bytes, in every mode, gives `expected`.
fn all_splits(wire: &[u8], expects: &[Expect], options: ResponseOptions, expected: &[Item]) {
    assert_eq!(common::responses(wire, expects, &[], options), expected);
    for size in 1..=wire.len().min(64) {
        assert_eq!(
            common::responses(wire, expects, &[size], options),
            expected,
            "chunks of {size}"
        );
    }
}

/// The bytes of the issue: RETR and STAT pipelined, the RETR's `+OK` line
/// too long. The rest of the refused line must not leak into the message,
/// and the STAT reply must not be swallowed.
#[test]
fn a_refused_ok_line_before_a_body_is_dropped_whole() {
    let mut read1 = b"+OK ".to_vec();
    read1.extend(std::iter::repeat_n(b'a', 600));
    let read2 = b"aaaa\r\nSubject: x\r\n\r\nhello\r\n.\r\n+OK 2 320\r\n";
    let wire = [read1.as_slice(), read2].concat();
    let expected = [
        Item::Error(ResponseErrorKind::LineTooLong { limit: 512 }),
        Item::Body(b"Subject: x\r\n\r\nhello\r\n".to_vec()),
        Item::Response(Response::Stat(DropListing {
            count: 2,
            size: 320,
        })),
    ];
    let expects = [Expect::Message, Expect::Stat];
    // The two reads exactly as the issue has them.
    for mode in [Mode::Borrow, Mode::Copy, Mode::Bytes] {
        assert_eq!(
            common::responses_in(
                mode,
                &wire,
                &expects,
                &[read1.len(), read2.len()],
                ResponseOptions::default()
            ),
            expected,
            "{mode:?}"
        );
    }
    all_splits(&wire, &expects, ResponseOptions::default(), &expected);

    // By hand: the error says +OK, then the decoder drops the rest of the
    // line itself and reads the body.
    let mut d = ResponseDecoder::default();
    d.expect(Expect::Message).unwrap();
    let e = d.decode(&read1).unwrap_err();
    assert_eq!(e.status(), Some(StatusKind::Ok));
    assert_eq!(e.consumed(), 604);
    assert_eq!(d.decode(read2), Ok(Decoded::Discard(6)));
    assert!(d.in_body());
    assert_eq!(
        d.decode(&read2[6..]),
        Ok(Decoded::Value {
            value: ResponseEvent::Data(&b"Subject: x\r\n\r\nhello\r\n"[..]),
            consumed: 21,
        })
    );
}

/// SPEC S5: EAST's greeting followed by a listing nobody asked for.
#[test]
fn s5_lines_with_nothing_pending_are_unsolicited() {
    let wire = b"+OK hello\r\n1 120\r\n2 200\r\n.\r\n";
    let unsolicited = Item::Error(ResponseErrorKind::Unsolicited);
    let expected = [
        Item::Response(Response::Greeting(Greeting::new(
            Status::ok(Text::try_from("hello").unwrap()).unwrap(),
        ))),
        unsolicited.clone(),
        unsolicited.clone(),
        unsolicited,
    ];
    assert_eq!(
        common::responses(wire, &[Expect::Greeting], &[], ResponseOptions::default()),
        expected
    );
    // Chunked, a line is refused as soon as its first bytes arrive and the
    // rest of it is dropped: one error per line whatever the chunking.
    for size in 1..wire.len() {
        let items = common::responses(
            wire,
            &[Expect::Greeting],
            &[size],
            ResponseOptions::default(),
        );
        assert_eq!(items, expected, "chunks of {size}");
    }
    // A fresh decoder has nothing pending.
    let mut d = ResponseDecoder::default();
    let e = d.decode(b"+OK").unwrap_err();
    assert_eq!(e.kind(), ResponseErrorKind::Unsolicited);
    assert_eq!(e.consumed(), 3);
    // Expecting a reply now does not turn the rest of that line into it.
    d.expect(Expect::Status).unwrap();
    assert_eq!(d.decode(b" hi\r\n+OK\r\n"), Ok(Decoded::Discard(5)));
    assert!(matches!(
        d.decode(b"+OK\r\n"),
        Ok(Decoded::Value {
            value: ResponseEvent::Line(Response::Status(_)),
            consumed: 5
        })
    ));
}

#[test]
fn every_reply_ends_with_one_end_event() {
    let mut d = ResponseDecoder::default();
    d.expect(Expect::Status).unwrap();
    assert_eq!(
        d.decode(b"+OK\r\n+OK"),
        Ok(Decoded::Value {
            value: ResponseEvent::Line(ok("")),
            consumed: 5
        })
    );
    assert!(!d.is_idle());
    assert_eq!(
        d.expect(Expect::Stat),
        Err(ExpectError::ReplyPending),
        "End not taken yet"
    );
    assert_eq!(
        d.decode(b"+OK"),
        Ok(Decoded::Value {
            value: ResponseEvent::End,
            consumed: 0
        })
    );
    assert!(d.is_idle());
    d.expect(Expect::Stat).unwrap();
    assert_eq!(d.pending(), Some(Expect::Stat));
    assert_eq!(d.expect(Expect::Stat), Err(ExpectError::ReplyPending));
    assert_eq!(d.decode(b"+OK"), Ok(Decoded::Incomplete));
}

/// A `+ ` challenge does not end an AUTH reply; the final status does.
#[test]
fn a_challenge_is_not_the_end_of_an_auth_reply() {
    let wire = b"+ PDE4OTY+\r\n+ \r\n+OK logged in\r\n+OK 0 0\r\n";
    let expected = [
        Item::Response(Response::Challenge(SaslData::new(&b"<1896>"[..]).unwrap())),
        Item::Response(Response::Challenge(SaslData::new(&b""[..]).unwrap())),
        Item::Response(ok("logged in")),
        Item::Response(Response::Stat(DropListing { count: 0, size: 0 })),
    ];
    all_splits(
        wire,
        &[Expect::Challenge, Expect::Stat],
        ResponseOptions::default(),
        &expected,
    );
    // A challenge that is not base64 is refused, and the exchange goes on
    // (the client answers `*`, RFC 5034 §4).
    let items = common::responses(
        b"+ !!\r\n-ERR cancelled\r\n",
        &[Expect::Challenge],
        &[],
        ResponseOptions::default(),
    );
    assert!(matches!(
        items[0],
        Item::Error(ResponseErrorKind::InvalidBase64(_))
    ));
    assert_eq!(
        items[1],
        Item::Response(Response::Status(
            Status::err(Text::try_from("cancelled").unwrap()).unwrap()
        ))
    );
}

/// Only a continuation line gets the SASL limit: a 10,006-octet `+OK` line
/// after AUTH is refused at 512 (SPEC R05), a 10,006-octet challenge is not.
#[test]
fn r05_status_lines_after_auth_keep_the_status_limit() {
    let mut long_ok = b"+OK ".to_vec();
    long_ok.extend(std::iter::repeat_n(b'x', 10_000));
    long_ok.extend_from_slice(b"\r\n");
    assert_eq!(long_ok.len(), 10_006);
    let e = common::first(&long_ok, Expect::Challenge).unwrap_err();
    assert_eq!(e.kind(), ResponseErrorKind::LineTooLong { limit: 512 });
    assert_eq!(e.status(), Some(StatusKind::Ok));
    let mut long_challenge = b"+ ".to_vec();
    long_challenge.extend(std::iter::repeat_n(b'A', 10_000));
    long_challenge.extend_from_slice(b"\r\n");
    assert!(matches!(
        common::first(&long_challenge, Expect::Challenge),
        Ok(Decoded::Value {
            value: Response::Challenge(_),
            ..
        })
    ));
    // Split after the `+`, the limit is still the challenge's.
    let expected = common::responses(
        &long_challenge,
        &[Expect::Challenge],
        &[],
        ResponseOptions::default(),
    );
    assert_eq!(
        common::responses(
            &long_challenge,
            &[Expect::Challenge],
            &[1, 7],
            ResponseOptions::default()
        ),
        expected
    );
    // -ERR is held to 512 too.
    let mut long_err = b"-ERR ".to_vec();
    long_err.extend(std::iter::repeat_n(b'x', 600));
    long_err.extend_from_slice(b"\r\n");
    let e = common::first(&long_err, Expect::Challenge).unwrap_err();
    assert_eq!(e.kind(), ResponseErrorKind::LineTooLong { limit: 512 });
}

/// SPEC R14: a multi-line reply cut by EOF is an error, never a short reply.
#[test]
fn r14_eof_inside_a_reply_is_an_error() {
    let eof = |wire: &[u8], expect: Expect| {
        let mut d = ResponseDecoder::default();
        d.expect(expect).unwrap();
        let mut at = 0;
        while let Ok(Decoded::Value { consumed, .. } | Decoded::Discard(consumed)) =
            d.decode(&wire[at..])
        {
            at += consumed;
        }
        d.finish().map_err(|e| e.kind())
    };
    let cut = Err(ResponseErrorKind::UnexpectedEof);
    assert_eq!(
        eof(b"+OK\r\nSubject: x\r\n\r\nbody\r\n", Expect::Message),
        cut
    );
    assert_eq!(eof(b"+OK\r\nbody\r\n.", Expect::Message), cut);
    assert_eq!(eof(b"+OK\r\n1 abc\r\n", Expect::UidListing), cut);
    assert_eq!(eof(b"+OK 2 3", Expect::Stat), cut);
    assert_eq!(eof(b"", Expect::Stat), cut, "no reply at all");
    assert_eq!(eof(b"+ abc=\r\n", Expect::Challenge), cut);
    assert_eq!(eof(b"+OK\r\nbody\r\n.\r\n", Expect::Message), Ok(()));
    assert_eq!(eof(b"+OK 2 3\r\n", Expect::Stat), Ok(()));
    assert_eq!(eof(b"-ERR no\r\n", Expect::Message), Ok(()));
    assert_eq!(ResponseDecoder::default().finish(), Ok(()));
}

/// A -ERR to RETR is one line: what follows is the next reply, not a body.
#[test]
fn r09_err_to_retr_has_no_body() {
    let wire = b"-ERR no such message\r\n.\r\n+OK 2 320\r\n";
    let expected = [
        Item::Response(Response::Status(
            Status::err(Text::try_from("no such message").unwrap()).unwrap(),
        )),
        Item::Error(ResponseErrorKind::Malformed(
            pop3_proto::codec::Syntax::StatusLine,
        )),
        Item::Response(Response::Stat(DropListing {
            count: 2,
            size: 320,
        })),
    ];
    all_splits(
        wire,
        &[Expect::Message, Expect::Status, Expect::Stat],
        ResponseOptions::default(),
        &expected,
    );
}

/// SPEC §7.11: Office 365's empty lines before a reply, skipped only when
/// asked.
#[test]
fn quirk_empty_lines_before_a_reply() {
    let wire = b"\r\n\r\n+OK hi\r\n\r\n+OK 1 2\r\n";
    let lenient = ResponseOptions::default().with_skip_empty_lines(true);
    let expected = [
        Item::Response(Response::Greeting(Greeting::new(
            Status::ok(Text::try_from("hi").unwrap()).unwrap(),
        ))),
        Item::Response(Response::Stat(DropListing { count: 1, size: 2 })),
    ];
    all_splits(wire, &[Expect::Greeting, Expect::Stat], lenient, &expected);
    // Strict: the first empty line is the (malformed) greeting, the next
    // is unsolicited... and the stream is out of step, as it must be for a
    // server that breaks the protocol.
    let strict = common::responses(
        wire,
        &[Expect::Greeting, Expect::Stat],
        &[],
        ResponseOptions::default(),
    );
    assert_eq!(
        strict[0],
        Item::Error(ResponseErrorKind::Malformed(
            pop3_proto::codec::Syntax::Greeting
        ))
    );
    // Empty lines inside a listing are still errors, and inside a body
    // they are content.
    let items = common::responses(
        b"+OK\r\n\r\n.\r\n+OK\r\n\r\n.\r\n",
        &[Expect::UidListing, Expect::Message],
        &[],
        lenient,
    );
    assert_eq!(
        items,
        [
            Item::Response(ok("")),
            Item::Error(ResponseErrorKind::Malformed(
                pop3_proto::codec::Syntax::UidListing
            )),
            Item::End,
            Item::Response(ok("")),
            Item::Body(b"\r\n".to_vec()),
        ]
    );
}

/// The body decoder never answers End twice for one terminator: after a
/// body, the next input is the next body, reset or not.
#[test]
fn body_decoder_starts_the_next_body_after_end() {
    let mut d = BodyDecoder::new();
    let mut out = Vec::new();
    let p = d.decode_into(b"one\r\n.\r\n", &mut out);
    assert!(p.done && d.is_done());
    assert_eq!(d.finish(), Ok(()));
    let p = d.decode_into(b"..two\r\n.\r\n", &mut out);
    assert!(p.done);
    assert_eq!(out, b"one\r\n.two\r\n");
    // Borrowed mode: no second End without a second terminator.
    let (chunk, used) = d.decode(b"three\r\n");
    assert_eq!(chunk, pop3_proto::body::Chunk::Data(&b"three\r\n"[..]));
    assert_eq!(used, 7);
    assert!(d.finish().is_err());
}

/// Copy mode into a fixed-size buffer: it stops when full and says so.
#[test]
fn decode_into_a_full_buffer_asks_for_room() {
    let mut d = ResponseDecoder::default();
    d.expect(Expect::Message).unwrap();
    let wire = b"+OK\r\nabcdefgh\r\n.\r\n";
    let mut storage = [0u8; 4];
    let mut out = &mut storage[..];
    let Ok(Decoded::Value { consumed, .. }) = d.decode_into(wire, &mut out) else {
        panic!()
    };
    let rest = &wire[consumed..];
    assert_eq!(
        d.decode_into(rest, &mut out),
        Ok(Decoded::Value {
            value: ResponseEvent::Data(4),
            consumed: 4
        })
    );
    assert_eq!(
        d.decode_into(&rest[4..], &mut out),
        Ok(Decoded::Value {
            value: ResponseEvent::Data(0),
            consumed: 0
        }),
        "full"
    );
    assert_eq!(&storage, b"abcd");
}

/// Review finding: with exactly one byte of room, copy mode used to keep
/// that byte back for a held-back CR and never progressed.
#[test]
fn decode_into_makes_progress_with_one_byte_of_room() {
    for wire in [
        &b"+OK\r\nab\r\n.\r\n"[..],
        b"+OK\r\n.\rx\r\n.\r\n",
        b"+OK\r\n..\r\n.\r\n",
    ] {
        let mut d = ResponseDecoder::default();
        d.expect(Expect::Message).unwrap();
        let (mut at, mut message, mut steps) = (0, Vec::new(), 0);
        loop {
            steps += 1;
            assert!(steps < 100, "no progress on {wire:?}");
            let mut room = [0u8; 1];
            let mut out = &mut room[..];
            match d.decode_into(&wire[at..], &mut out) {
                Ok(Decoded::Value { value, consumed }) => {
                    at += consumed;
                    match value {
                        ResponseEvent::Data(n) => {
                            assert_eq!(n, 1, "one byte of room, one byte written");
                            message.push(room[0]);
                        }
                        ResponseEvent::End => break,
                        _ => {}
                    }
                }
                Ok(Decoded::Discard(n)) => at += n,
                other => panic!("{other:?}"),
            }
        }
        let mut whole = Vec::new();
        let mut d = ResponseDecoder::default();
        d.expect(Expect::Message).unwrap();
        let mut at = 0;
        while let Ok(Decoded::Value { consumed, value }) = d.decode_into(&wire[at..], &mut whole) {
            at += consumed;
            if value.is_end() {
                break;
            }
        }
        assert_eq!(message, whole, "{wire:?}");
    }
    // BodyDecoder on its own: the CR held back by one call comes out in
    // the next, through a one-byte buffer.
    let mut b = BodyDecoder::new();
    let mut sink = Vec::new();
    let p = b.decode_into(b".\r", &mut sink);
    assert_eq!((p.consumed, p.done, sink.len()), (2, false, 0));
    let mut room = [0u8; 1];
    let mut out = &mut room[..];
    let p = b.decode_into(b"x\r\n.\r\n", &mut out);
    assert_eq!((p.consumed, p.done), (0, false));
    assert_eq!(room, *b"\r");
}

/// Review finding: a line limit under 5 octets could not show that a
/// refused line was `+OK`, so a RETR body was read as replies. Limits
/// below `+OK` CRLF now act as that minimum.
#[test]
fn tiny_line_limits_act_as_the_shortest_reply_line() {
    let wire = b"+OK\r\n.\r\n-ERR\r\n+OK\r\n";
    let expects = [Expect::Message, Expect::Status, Expect::Status];
    let five = ResponseOptions::default()
        .with_max_line(5)
        .with_max_sasl_line(5);
    let expected = common::responses(wire, &expects, &[], five);
    // The body is read as a body, and -ERR (6 octets) is refused as too
    // long but still ends its reply: the stream stays in step.
    assert_eq!(expected[1], Item::Body(Vec::new()));
    assert_eq!(
        expected[2],
        Item::Error(ResponseErrorKind::LineTooLong { limit: 5 })
    );
    assert_eq!(expected[3], Item::Response(ok("")));
    for limit in 0..=5 {
        let options = ResponseOptions::default()
            .with_max_line(limit)
            .with_max_sasl_line(limit);
        assert_eq!(
            ResponseDecoder::new(options).options().max_line,
            pop3_proto::codec::MIN_RESPONSE_LINE
        );
        all_splits(wire, &expects, options, &expected);
    }
}
