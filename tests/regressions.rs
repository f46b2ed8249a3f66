//! Defects found in review, each pinned by the input that showed it.

mod common;

use common::Item;
use pop3_proto::body::{BodyDecoder, BodyOptions};
use pop3_proto::codec::{
    CommandDecoder, CommandErrorKind, CommandOptions, Decoded, ResponseErrorKind, ResponseOptions,
    Syntax,
};
use pop3_proto::types::*;
use std::collections::HashSet;

#[test]
fn command_decoder_reset_and_replaced_input() {
    // Plaintext pipelined after STLS is dropped with reset(); CAPA after
    // the handshake must be read, not skipped.
    let mut d = CommandDecoder::default();
    assert_eq!(d.decode(b"USER x"), Ok(Decoded::Incomplete));
    d.reset();
    assert_eq!(
        d.decode(b"CAPA\r\n"),
        Ok(Decoded::Value {
            value: Command::Capa,
            consumed: 6
        })
    );
    // Without reset(), a buffer shorter than the one scanned before cannot
    // be the same line plus more: it is scanned afresh. (A longer
    // replacement cannot be told from more bytes: that needs reset().)
    let mut d = CommandDecoder::default();
    assert_eq!(d.decode(b"USER xyz"), Ok(Decoded::Incomplete));
    assert_eq!(
        d.decode(b"CAPA\r\n"),
        Ok(Decoded::Value {
            value: Command::Capa,
            consumed: 6
        })
    );
}

#[test]
fn a_bad_ok_line_still_opens_its_listing() {
    let wire = b"+OK caps\0\r\nTOP\r\nUSER\r\n.\r\n+OK 2 320\r\n";
    let items = common::responses(
        wire,
        &[Expect::Capabilities, Expect::Stat],
        &[],
        ResponseOptions::default(),
    );
    assert_eq!(
        items,
        vec![
            Item::Error(ResponseErrorKind::Malformed(Syntax::StatusLine)),
            Item::Response(Response::Entry(Entry::Capability(Capability::Top))),
            Item::Response(Response::Entry(Entry::Capability(Capability::User))),
            Item::End,
            Item::Response(Response::Stat(DropListing {
                count: 2,
                size: 320
            })),
        ]
    );
    let mut d = common::Lines::default();
    let e = d.decode(wire, Expect::Capabilities).unwrap_err();
    assert_eq!(e.status(), Some(StatusKind::Ok));
    assert!(d.decoder.in_listing());
    // Too long: the same, and the error says the reply was +OK.
    let mut long = b"+OK ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 600));
    long.extend_from_slice(b"\r\n1 abc\r\n.\r\n");
    let mut d = common::Lines::default();
    let e = d.decode(&long, Expect::UidListing).unwrap_err();
    assert_eq!(e.kind(), ResponseErrorKind::LineTooLong { limit: 512 });
    assert_eq!(e.status(), Some(StatusKind::Ok));
    assert!(d.decoder.in_listing());
    let rest = &long[e.consumed()..];
    assert!(matches!(
        d.decode(rest, Expect::UidListing),
        Ok(Decoded::Value {
            value: Some(Response::Entry(Entry::Uid(_))),
            ..
        })
    ));
    // A bad -ERR line opens nothing.
    let mut d = common::Lines::default();
    let e = d
        .decode(b"-ERR no\0\r\n", Expect::Capabilities)
        .unwrap_err();
    assert_eq!(e.status(), Some(StatusKind::Err));
    assert!(!d.decoder.in_listing());
    // After RETR, a bad +OK line still announces the body.
    let e = common::first(b"+OK \x00\r\nbody\r\n.\r\n", Expect::Message).unwrap_err();
    assert_eq!(e.status(), Some(StatusKind::Ok));
}

#[test]
fn auth_with_a_space_and_nothing_after_is_refused() {
    let e = CommandDecoder::default()
        .decode(b"AUTH PLAIN \r\n")
        .unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::InvalidArgument);
    assert_eq!(e.command(), Some(CommandKind::Auth));
}

#[test]
fn language_tags_start_with_letters() {
    let e = CommandDecoder::default()
        .decode(b"LANG 12-34\r\n")
        .unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::InvalidArgument);
}

#[test]
fn protocol_names_compare_without_case() {
    assert_eq!(
        Mechanism::new("x-foo").unwrap(),
        Mechanism::new("X-FOO").unwrap()
    );
    assert_eq!(
        RespCode::new("x-code").unwrap(),
        RespCode::new("X-CODE").unwrap()
    );
    assert_eq!(
        CapaTag::try_from("x-google-rico").unwrap(),
        CapaTag::try_from("X-GOOGLE-RICO").unwrap()
    );
    assert_eq!(
        Keyword::try_from("xtnd").unwrap(),
        Keyword::try_from("XTND").unwrap()
    );
    assert_eq!(
        LangTag::try_from("EN").unwrap(),
        LangTag::try_from("en").unwrap()
    );
    let set: HashSet<Mechanism<'_>> = [Mechanism::new("X-ZIMBRA").unwrap()].into();
    assert!(set.contains(&Mechanism::new("x-zimbra").unwrap()));
    // UIDs and timestamps stay case-sensitive.
    assert_ne!(Uid::try_from("abc").unwrap(), Uid::try_from("ABC").unwrap());
    let owned: Mechanism<'static> = Mechanism::try_from(String::from("plain")).unwrap();
    assert_eq!(owned, Mechanism::Plain);
}

#[test]
fn over_long_lines_name_their_command() {
    let mut line = b"PASS ".to_vec();
    line.extend(std::iter::repeat_n(b'p', 300));
    line.extend_from_slice(b"\r\n");
    let e = CommandDecoder::default().decode(&line).unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::LineTooLong { limit: 255 });
    assert_eq!(e.command(), Some(CommandKind::Pass));
    assert_eq!(e.consumed(), line.len());
}

#[test]
fn decode_into_a_fixed_buffer_stops_when_full() {
    let wire = b"abcdefgh\r\n..x\r\n.\r\nnext";
    let mut d = BodyDecoder::new();
    let mut message = Vec::new();
    let mut at = 0;
    loop {
        let mut buf = [0u8; 4];
        let mut out = &mut buf[..];
        let p = d.decode_into(&wire[at..], &mut out);
        let room = out.len();
        message.extend_from_slice(&buf[..4 - room]);
        at += p.consumed;
        if p.done {
            break;
        }
        assert!(p.consumed > 0 || 4 - room > 0, "no progress");
    }
    assert_eq!(message, b"abcdefgh\r\n.x\r\n");
    assert_eq!(&wire[at..], b"next");
}

#[test]
fn option_builders_set_their_fields() {
    let c = CommandOptions::default()
        .with_max_line(1000)
        .with_bare_lf(true);
    assert_eq!(
        (c.max_line, c.bare_lf, c.max_sasl_line),
        (1000, true, 64 * 1024)
    );
    let r = ResponseOptions::default()
        .with_any_case_status(true)
        .with_max_sasl_line(10);
    assert!(r.any_case_status && r.max_sasl_line == 10 && r.max_line == 512);
    let b = BodyOptions::default().with_bare_lf_terminator(true);
    assert!(b.bare_lf_terminator && !b.bare_lf_lines);
}

#[test]
fn semver_hygiene_known_kinds_slice_and_bytes_reexport() {
    // A slice, so adding a kind does not change the constant's type.
    let known: &'static [CommandKind] = CommandKind::KNOWN;
    assert_eq!(known.len(), 17);
    assert!(!known.contains(&CommandKind::Other));
    // Zero-copy users reach `bytes` through the crate itself.
    let mut out = pop3_proto::bytes::BytesMut::new();
    Command::Stat.encode(&mut out);
    assert_eq!(&out[..], b"STAT\r\n");
}

#[test]
fn s5_bidi_and_separator_characters_are_escaped_for_logs() {
    // U+202E RIGHT-TO-LEFT OVERRIDE made `-ERR \u{202E}exe.txt` display as
    // `-ERR txt.exe`; U+2028 would break a log line.
    let line = "-ERR \u{202e}exe.txt\u{2028}next\r\n".as_bytes();
    let Ok(Decoded::Value {
        value: Response::Status(s),
        ..
    }) = common::first(line, Expect::Status)
    else {
        panic!()
    };
    assert_eq!(s.text().to_string(), "\\u{202e}exe.txt\\u{2028}next");
    assert!(format!("{s:?}").contains("\\u{202e}exe.txt\\u{2028}next"));
}

#[test]
fn r01_bare_lf_is_fatal_and_nothing_after_it_runs() {
    // To a front end that frames on CRLF this is one line, `USER a\nDELE 1`;
    // read on, it would be two commands (request smuggling). The error is
    // reported at the LF, and being fatal, nothing after it is decoded.
    let input = b"USER a\nDELE 1\r\n";
    let e = CommandDecoder::default().decode(input).unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::BareLineFeed);
    assert_eq!(e.consumed(), 7, "the error ends at the LF");
    assert_eq!(e.command(), Some(CommandKind::User));
    assert!(e.is_fatal() && e.kind().is_fatal());
    // A client that sends `NOOP\n` gets a fatal error (so -ERR and a
    // close), not a decoder waiting for a CR.
    let e = CommandDecoder::default().decode(b"NOOP\n").unwrap_err();
    assert_eq!(
        (e.kind(), e.consumed()),
        (CommandErrorKind::BareLineFeed, 5)
    );
    assert!(e.is_fatal());
    // Arriving in pieces changes nothing.
    let mut d = CommandDecoder::default();
    assert_eq!(d.decode(b"USER a"), Ok(Decoded::Incomplete));
    let e = d.decode(input).unwrap_err();
    assert_eq!(
        (e.kind(), e.consumed()),
        (CommandErrorKind::BareLineFeed, 7)
    );
    // SASL lines too.
    let e = CommandDecoder::default()
        .decode_sasl(b"dGVzdA==\n*\r\n")
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.consumed()),
        (CommandErrorKind::BareLineFeed, 9)
    );
    assert!(e.is_fatal());
    // With the option, a bare LF ends the line: two commands.
    let mut lenient = CommandDecoder::new(CommandOptions::default().with_bare_lf(true));
    assert_eq!(
        lenient.decode(input),
        Ok(Decoded::Value {
            value: Command::User(Username::try_from("a").unwrap()),
            consumed: 7
        })
    );
    assert_eq!(
        lenient.decode(&input[7..]),
        Ok(Decoded::Value {
            value: Command::Dele(MsgNumber::new(1).unwrap()),
            consumed: 8
        })
    );
}

#[test]
fn r04_an_over_long_line_is_fatal_as_its_end_may_be_a_bare_lf() {
    // The rest of an over-long line is dropped up to the next LF, bare or
    // not: going on after it would run `DELE 1`, which a CRLF-framing front
    // end saw as part of the PASS line.
    let mut input = b"PASS ".to_vec();
    input.extend(std::iter::repeat_n(b'p', 300));
    input.extend_from_slice(b"\nDELE 1\r\n");
    let e = CommandDecoder::default().decode(&input).unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::LineTooLong { limit: 255 });
    assert_eq!(e.consumed(), 306);
    assert!(e.is_fatal());
    // Errors in one line's content refuse that line only.
    for line in [
        &b"RETR x\r\n"[..],
        b"ST\x01T\r\n",
        b"\r\n",
        b"PASS a\0b\r\n",
    ] {
        let e = CommandDecoder::default().decode(line).unwrap_err();
        assert!(!e.is_fatal(), "{:?}", e.kind());
    }
}

#[test]
fn r45_response_codes_keep_every_level() {
    // `[SYS/TEMP/X]` is SYS/TEMP to a client, and a proxy passing it on
    // still has the `/X` (it used to be dropped).
    let line = b"-ERR [SYS/TEMP/X] later\r\n";
    let Ok(Decoded::Value {
        value: Response::Status(s),
        ..
    }) = common::first(line, Expect::Status)
    else {
        panic!()
    };
    let code = s.code().unwrap();
    assert_eq!(code.kind(), RespCodeKind::SysTemp);
    assert_eq!(code.as_str(), "SYS/TEMP/X");
    assert_eq!(code.levels().collect::<Vec<_>>(), ["SYS", "TEMP", "X"]);
    assert_ne!(code, &RespCode::SYS_TEMP, "equality is on the whole code");
    assert_eq!(Response::Status(s.clone()).to_vec(), line);
    // Kinds come from the known levels only; case never matters.
    for (code, kind) in [
        ("sys/temp", RespCodeKind::SysTemp),
        ("SYS/PERM/DISK", RespCodeKind::SysPerm),
        ("in-use/x/y", RespCodeKind::InUse),
        ("Auth/Bad", RespCodeKind::Auth),
        ("LOGIN-DELAY", RespCodeKind::LoginDelay),
        ("utf8", RespCodeKind::Utf8),
        ("SYS", RespCodeKind::Other),
        ("SYS/FOO", RespCodeKind::Other),
        ("XCLIENT", RespCodeKind::Other),
        ("TEMP/SYS", RespCodeKind::Other),
    ] {
        assert_eq!(RespCode::new(code).unwrap().kind(), kind, "{code}");
    }
    assert_eq!(RespCode::new("sys/temp").unwrap(), RespCode::SYS_TEMP);
    let set: HashSet<RespCode<'_>> = [RespCode::new("Sys/Temp/X").unwrap()].into();
    assert!(set.contains(&RespCode::new("SYS/TEMP/x").unwrap()));
    assert!(!set.contains(&RespCode::SYS_TEMP));
    assert_eq!(RespCodeKind::SysTemp.as_str(), Some("SYS/TEMP"));
    assert_eq!(RespCodeKind::Other.as_str(), None);
}

#[test]
fn status_text_is_never_read_as_a_code_by_accident() {
    // A server echoing a user name `[SYS/PERM]` must not turn it into a
    // code: text without a code may not begin with `[`.
    let echoed = Text::try_from("[SYS/PERM] is not a user").unwrap();
    assert_eq!(
        Status::new(StatusKind::Err, None, echoed.clone()),
        Err(ValueError::Ambiguous("a response code"))
    );
    assert_eq!(
        Status::err(Text::try_from("[").unwrap()),
        Err(ValueError::Ambiguous("a response code"))
    );
    // With a code in front, the same text is unambiguous and round-trips.
    let s = Status::new(StatusKind::Err, Some(RespCode::AUTH), echoed.clone()).unwrap();
    assert_eq!(s.code(), Some(&RespCode::AUTH));
    assert_eq!(s.text(), &echoed);
    let wire = Response::Status(s.clone()).to_vec();
    assert_eq!(wire, b"-ERR [AUTH] [SYS/PERM] is not a user\r\n");
    let Ok(Decoded::Value { value, .. }) = common::first(&wire, Expect::Status) else {
        panic!()
    };
    assert_eq!(value, Response::Status(s));
    // Received lines still have their codes split off, and a bracket that
    // is no code stays text.
    for (line, code, text) in [
        (&b"-ERR [SYS/PERM] gone\r\n"[..], Some("SYS/PERM"), "gone"),
        (b"-ERR [SYS/TEMP later\r\n", None, "[SYS/TEMP later"),
        (b"-ERR [] x\r\n", None, "[] x"),
    ] {
        let Ok(Decoded::Value {
            value: Response::Status(s),
            ..
        }) = common::first(line, Expect::Status)
        else {
            panic!()
        };
        assert_eq!(s.code().map(RespCode::as_str), code);
        assert_eq!(s.text().as_bytes(), text.as_bytes());
        assert_eq!(Response::Status(s).to_vec(), line);
    }
}

fn greeting(line: &[u8]) -> Greeting<'_> {
    match common::first(line, Expect::Greeting) {
        Ok(Decoded::Value {
            value: Response::Greeting(g),
            ..
        }) => g,
        other => panic!("{other:?}"),
    }
}

#[test]
fn r21_apop_timestamps_are_msg_ids() {
    // Accepted before: two @, or comments and quotes around one.
    for line in [&b"+OK ready <a@b@c>\r\n"[..], b"+OK ready <a(b)\"c@d>\r\n"] {
        assert_eq!(greeting(line).timestamp(), None, "{line:?}");
    }
    // Real servers' timestamps still work: RFC 1939 and Dovecot's
    // <%x.%x.%lx.B64RAND@host>, whose base64 brings + / = (atext).
    for ts in [
        "<1896.697170952@dbc.mtview.ca.us>",
        "<3a6b.1.5f5e1b2c.Zm9vYmFy+/=@mail.example.org>",
    ] {
        let line = format!("+OK POP3 server ready {ts}\r\n");
        let g = greeting(line.as_bytes());
        assert_eq!(g.timestamp().unwrap().as_str(), ts);
    }
    // The first msg-id wins; a bad candidate before it is skipped.
    let g = greeting(b"+OK <x> <a@b@c> <1.2@x.y> <3.4@x.y>\r\n");
    assert_eq!(g.timestamp().unwrap().as_str(), "<1.2@x.y>");
    // A server refusing the connection offers no APOP.
    let g = greeting(b"-ERR [SYS/TEMP] busy <1896.697170952@dbc.mtview.ca.us>\r\n");
    assert_eq!(g.timestamp(), None);
}

#[test]
fn greeting_builder_offers_the_timestamp_it_was_given() {
    let ts = Timestamp::try_from("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    // Text holding a msg-id of its own would make a client use that one.
    let evil = Text::try_from("hello <evil@x>").unwrap();
    assert_eq!(
        Greeting::with_timestamp(&evil, &ts),
        Err(ValueError::Ambiguous("an APOP timestamp"))
    );
    // ... and text that would read as a response code is refused too.
    let coded = Text::try_from("[SYS/TEMP] ready").unwrap();
    assert_eq!(
        Greeting::with_timestamp(&coded, &ts),
        Err(ValueError::Ambiguous("a response code"))
    );
    // Brackets that are no msg-id are fine, and the result round-trips.
    for text in ["hello <not a timestamp>", "<<UGA>>", "a <b@c", ""] {
        let g = Greeting::with_timestamp(&Text::try_from(text).unwrap(), &ts).unwrap();
        assert_eq!(g.timestamp().as_ref(), Some(&ts), "{text:?}");
        let wire = Response::Greeting(g.clone()).to_vec();
        assert_eq!(greeting(&wire), g);
    }
}

#[test]
fn line_lengths_are_checked_before_encoding_r04_r05() {
    use pop3_proto::codec::{
        DEFAULT_COMMAND_LINE, DEFAULT_RESPONSE_LINE, DEFAULT_SASL_LINE, LineTooLong,
    };
    // A 620-octet status text made a 627-octet status line, which a peer
    // (and this crate's own decoder) refuses (RFC 1939 §3).
    let text = Text::try_from("x".repeat(620)).unwrap();
    let status = Status::err(text).unwrap();
    assert_eq!(status.encoded_len(), 627);
    let mut out = Vec::new();
    let e: LineTooLong = status
        .try_encode(DEFAULT_RESPONSE_LINE, &mut out)
        .unwrap_err();
    assert_eq!((e.len, e.limit), (627, 512));
    assert_eq!(
        e.to_string(),
        "line of 627 octets is longer than the limit of 512"
    );
    assert!(out.is_empty(), "nothing written");
    assert!(common::first(&status.to_vec(), Expect::Status).is_err());
    // 512 octets fit, and decode.
    let status = Status::ok(Text::try_from("x".repeat(506)).unwrap()).unwrap();
    status.try_encode(DEFAULT_RESPONSE_LINE, &mut out).unwrap();
    assert_eq!(out.len(), 512);
    assert!(common::first(&out, Expect::Status).is_ok());
    // A status line with a code: the code counts.
    let s = Status::new(
        StatusKind::Err,
        Some(RespCode::new("SYS/TEMP/X").unwrap()),
        Text::try_from("y".repeat(494)).unwrap(),
    )
    .unwrap();
    assert_eq!(s.encoded_len(), 4 + 13 + 1 + 494 + 2);
    assert!(s.try_encode(512, &mut Vec::new()).is_err());
    // A greeting with a timestamp.
    let ts = Timestamp::try_from("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    let g = Greeting::with_timestamp(&Text::try_from("r".repeat(480)).unwrap(), &ts).unwrap();
    assert_eq!(g.encoded_len(), 3 + 1 + 480 + 1 + 33 + 2);
    assert!(
        g.try_encode(DEFAULT_RESPONSE_LINE, &mut Vec::new())
            .is_err()
    );
    // An unknown command with long arguments (commands: 255, R04).
    let other = Command::Other(OtherCommand::new(
        Keyword::try_from("XTND").unwrap(),
        Some(Text::try_from("a".repeat(249)).unwrap()),
    ));
    assert_eq!(other.encoded_len(), 256);
    let e = other
        .try_encode(DEFAULT_COMMAND_LINE, &mut Vec::new())
        .unwrap_err();
    assert_eq!((e.len, e.limit), (256, 255));
    // AUTH: an initial response past 255 octets means the two-step form
    // (RFC 5034 §4, SPEC R53); the SASL line has the larger limit, enough
    // for an 8 KB OAuth token (R54).
    let token = SaslData::new(vec![7u8; 6000]).unwrap();
    let auth = Command::Auth {
        mechanism: Mechanism::OAuthBearer,
        initial_response: Some(Secret::new(token.clone())),
    };
    assert_eq!(auth.encoded_len(), 5 + 11 + 1 + 8000 + 2);
    assert!(
        auth.try_encode(DEFAULT_COMMAND_LINE, &mut Vec::new())
            .is_err()
    );
    let response = SaslResponse::Data(Secret::new(token));
    let mut line = Vec::new();
    response.try_encode(DEFAULT_SASL_LINE, &mut line).unwrap();
    assert_eq!(line.len(), 8002);
    let challenge = Response::Challenge(SaslData::new(vec![0u8; 50_000]).unwrap());
    assert_eq!(challenge.encoded_len(), 2 + 66_668 + 2);
    assert!(
        challenge
            .try_encode(DEFAULT_SASL_LINE, &mut Vec::new())
            .is_err()
    );
    // A capability line listing too many mechanisms (RFC 2449 §4: 512).
    let many = (0..40)
        .map(|i| Mechanism::try_from(format!("X-MECHANISM-{i:02}")).unwrap())
        .collect();
    let capa = Capability::Sasl(many);
    // "SASL", then 40 times SP and a 14-character name.
    assert_eq!(capa.encoded_len(), 4 + 40 * (1 + 14) + 2);
    assert!(
        capa.try_encode(DEFAULT_RESPONSE_LINE, &mut Vec::new())
            .is_err()
    );
    let entry = Entry::Capability(capa);
    assert!(
        entry
            .try_encode(DEFAULT_RESPONSE_LINE, &mut Vec::new())
            .is_err()
    );
}
