//! Property tests: round trips for every kind of value, split invariance of
//! the decoders, and incompleteness of every strict prefix of a line.

mod common;

use common::{Item, line_ends_to_crlf};
use pop3_proto::body::{BodyDecoder, BodyEncoder, BodyOptions, Chunk, WireLen, encode_body};
use pop3_proto::codec::{CommandDecoder, CommandOptions, Decoded, LineTooLong, ResponseOptions};
use pop3_proto::types::*;
use proptest::collection::vec;
use proptest::prelude::*;

// ------------------------------------------------------------ strategies

fn text() -> impl Strategy<Value = Text<'static>> {
    vec(
        any::<u8>().prop_filter("no CR LF NUL", |b| !matches!(b, 0 | b'\r' | b'\n')),
        0..40,
    )
    .prop_map(|v| Text::try_from(v).unwrap())
}

fn token(min: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(prop_oneof![0x21u8..=0x7e, 0x80u8..=0xff], min..20)
}

/// Credential characters: printable ASCII (`print` adds SP), or, with
/// `utf8`, any non-ASCII character too (R72).
fn credential(utf8: bool, print: bool, min: usize) -> impl Strategy<Value = String> {
    let low = if print { 0x20u8 } else { 0x21 };
    let ascii = (low..=0x7eu8).prop_map(char::from).boxed();
    let c = if utf8 {
        prop_oneof![
            2 => ascii,
            1 => any::<char>().prop_filter("non-ASCII", |c| !c.is_ascii()),
        ]
        .boxed()
    } else {
        ascii
    };
    vec(c, min..20).prop_map(String::from_iter)
}

fn username_with(utf8: bool) -> impl Strategy<Value = Username<'static>> {
    credential(utf8, false, 1).prop_map(|s| Username::try_from(s).unwrap())
}

fn password_with(utf8: bool) -> impl Strategy<Value = Secret<Password<'static>>> {
    credential(utf8, true, 0).prop_map(|s| Secret::new(Password::try_from(s).unwrap()))
}

fn msg() -> impl Strategy<Value = MsgNumber> {
    prop_oneof![1u32..10, Just(u32::MAX), 1u32..=u32::MAX].prop_map(|n| MsgNumber::new(n).unwrap())
}

fn mechanism() -> impl Strategy<Value = Mechanism<'static>> {
    prop_oneof![
        Just(Mechanism::Plain),
        Just(Mechanism::Login),
        Just(Mechanism::XOAuth2),
        Just(Mechanism::OAuthBearer),
        "[A-Z0-9_-]{1,20}".prop_map(|s| Mechanism::new(&s).unwrap().into_owned()),
    ]
}

fn sasl_data() -> impl Strategy<Value = SaslData<'static>> {
    vec(any::<u8>(), 0..64).prop_map(|v| SaslData::try_from(v).unwrap())
}

fn lang_tag() -> impl Strategy<Value = LangTag<'static>> {
    "[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,3}".prop_map(|s| LangTag::try_from(s).unwrap())
}

fn uid() -> impl Strategy<Value = Uid<'static>> {
    "[!-~]{1,70}".prop_map(|s| Uid::try_from(s).unwrap())
}

/// Every command; with `utf8`, USER, PASS and APOP may carry UTF-8.
fn command_with(utf8: bool) -> impl Strategy<Value = Command<'static>> {
    let digest = "[0-9a-f]{32}".prop_map(|h| Secret::new(ApopDigest::parse(h.as_bytes()).unwrap()));
    let username = move || username_with(utf8);
    let password = password_with(utf8);
    let other = ("[A-Z]{5,8}|X[A-Z0-9]{1,3}", proptest::option::of(text()))
        .prop_map(|(k, a)| Command::Other(OtherCommand::new(Keyword::try_from(k).unwrap(), a)));
    prop_oneof![
        username().prop_map(Command::User),
        password.prop_map(Command::Pass),
        (username(), digest).prop_map(|(name, digest)| Command::Apop { name, digest }),
        (
            mechanism(),
            proptest::option::of(sasl_data().prop_map(Secret::new))
        )
            .prop_map(|(mechanism, initial_response)| Command::Auth {
                mechanism,
                initial_response
            }),
        Just(Command::AuthList),
        Just(Command::Stls),
        Just(Command::Capa),
        Just(Command::Utf8),
        proptest::option::of(prop_oneof![
            Just(LangRange::Default),
            lang_tag().prop_map(LangRange::Tag)
        ])
        .prop_map(Command::Lang),
        Just(Command::Stat),
        proptest::option::of(msg()).prop_map(Command::List),
        msg().prop_map(Command::Retr),
        msg().prop_map(Command::Dele),
        Just(Command::Noop),
        Just(Command::Rset),
        (msg(), any::<u32>()).prop_map(|(msg, lines)| Command::Top { msg, lines }),
        proptest::option::of(msg()).prop_map(Command::Uidl),
        Just(Command::Quit),
        other,
    ]
}

/// Every command, with ASCII credentials: what a default decoder reads.
fn command() -> impl Strategy<Value = Command<'static>> {
    command_with(false)
}

fn resp_code() -> impl Strategy<Value = RespCode<'static>> {
    prop_oneof![
        Just(RespCode::IN_USE),
        Just(RespCode::LOGIN_DELAY),
        Just(RespCode::SYS_TEMP),
        Just(RespCode::SYS_PERM),
        Just(RespCode::AUTH),
        Just(RespCode::UTF8),
        // Known codes with sub-levels, in any case (R45).
        "(SYS/TEMP|sys/perm|IN-USE|Auth|UTF8|LOGIN-DELAY)(/[A-Za-z0-9]{1,4}){0,2}"
            .prop_map(|s| RespCode::try_from(s).unwrap()),
        "X[A-Z-]{0,6}(/[A-Z0-9]{1,4}){0,2}".prop_map(|s| RespCode::new(&s).unwrap().into_owned()),
    ]
}

/// The parts of a status line, which may not make a valid one.
fn status_parts() -> impl Strategy<Value = (StatusKind, Option<RespCode<'static>>, Text<'static>)> {
    let text = prop_oneof![
        text(),
        // Texts that look like codes, or start like them.
        "\\[[A-Z/]{0,9}\\]?( [a-z]{0,5})?".prop_map(|s| Text::try_from(s).unwrap()),
    ];
    (any::<bool>(), proptest::option::of(resp_code()), text).prop_map(|(ok, code, text)| {
        let kind = if ok { StatusKind::Ok } else { StatusKind::Err };
        (kind, code, text)
    })
}

fn status() -> impl Strategy<Value = Status<'static>> {
    status_parts().prop_filter_map("text that reads as a code", |(kind, code, text)| {
        Status::new(kind, code, text).ok()
    })
}

fn capability() -> impl Strategy<Value = Capability<'static>> {
    let other = (
        "X-[A-Z0-9-]{1,10}|[A-WYZ]{9,12}",
        vec(token(1).prop_map(|v| CapaParam::try_from(v).unwrap()), 0..4),
    )
        .prop_map(|(tag, params)| {
            Capability::Other(OtherCapability::new(
                CapaTag::try_from(tag).unwrap(),
                params,
            ))
        });
    prop_oneof![
        Just(Capability::Top),
        Just(Capability::User),
        vec(mechanism(), 0..5).prop_map(Capability::Sasl),
        Just(Capability::RespCodes),
        (any::<u32>(), any::<bool>())
            .prop_map(|(seconds, per_user)| Capability::LoginDelay { seconds, per_user }),
        Just(Capability::Pipelining),
        (
            prop_oneof![
                Just(ExpirePolicy::Never),
                any::<u32>().prop_map(ExpirePolicy::Days)
            ],
            any::<bool>()
        )
            .prop_map(|(policy, per_user)| Capability::Expire { policy, per_user }),
        Just(Capability::Uidl),
        text().prop_map(Capability::Implementation),
        Just(Capability::Stls),
        Just(Capability::AuthRespCode),
        any::<bool>().prop_map(|user| Capability::Utf8 { user }),
        Just(Capability::Lang),
        other,
    ]
}

fn lang_listing() -> impl Strategy<Value = LangListing<'static>> {
    (lang_tag(), text()).prop_map(|(tag, description)| LangListing { tag, description })
}

fn scan() -> impl Strategy<Value = ScanListing> {
    (msg(), any::<u64>()).prop_map(|(msg, size)| ScanListing { msg, size })
}

fn uid_listing() -> impl Strategy<Value = UidListing<'static>> {
    (msg(), uid()).prop_map(|(msg, uid)| UidListing { msg, uid })
}

/// A response line and the expectation under which it is read; entries are
/// read inside a listing opened by a bare `+OK`.
fn response() -> impl Strategy<Value = (Response<'static>, Expect)> {
    prop_oneof![
        status().prop_map(|s| (Response::Greeting(Greeting::new(s)), Expect::Greeting)),
        status().prop_map(|s| (Response::Status(s), Expect::Status)),
        sasl_data().prop_map(|d| (Response::Challenge(d), Expect::Challenge)),
        (any::<u32>(), any::<u64>())
            .prop_map(|(count, size)| (Response::Stat(DropListing { count, size }), Expect::Stat)),
        scan().prop_map(|s| (Response::Scan(s), Expect::Scan(s.msg))),
        uid_listing().prop_map(|u| {
            let e = Expect::Uid(u.msg);
            (Response::Uid(u), e)
        }),
        lang_listing().prop_map(|l| (Response::Lang(l), Expect::Lang)),
        scan().prop_map(|s| (Response::Entry(Entry::Scan(s)), Expect::ScanListing)),
        uid_listing().prop_map(|u| (Response::Entry(Entry::Uid(u)), Expect::UidListing)),
        capability().prop_map(|c| (Response::Entry(Entry::Capability(c)), Expect::Capabilities)),
        lang_listing().prop_map(|l| (Response::Entry(Entry::Lang(l)), Expect::LangListing)),
        mechanism().prop_map(|m| (Response::Entry(Entry::Mechanism(m)), Expect::Mechanisms)),
    ]
}

/// Bytes rich in the characters that matter to dot-stuffing.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![
            3 => Just(b'.'),
            3 => Just(b'\r'),
            3 => Just(b'\n'),
            1 => any::<u8>(),
            2 => Just(b'a'),
        ],
        0..200,
    )
}

fn wide_commands() -> CommandDecoder {
    let mut o = CommandOptions::default();
    o.max_line = 1 << 20;
    CommandDecoder::new(o)
}

fn wide_responses() -> ResponseOptions {
    let mut o = ResponseOptions::default();
    o.max_line = 1 << 20;
    o
}

/// Decodes `line`, read under `expect` (inside a listing for entries).
fn decode_response(line: &[u8], expect: Expect, entry: bool) -> Response<'static> {
    let mut d = common::Lines::new(wide_responses());
    if entry {
        let _ = d.decode(b"+OK\r\n", expect).unwrap();
    }
    match d.decode(line, expect) {
        Ok(Decoded::Value { value, consumed }) => {
            assert_eq!(consumed, line.len());
            value.expect("a line, not End").into_owned()
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(line)),
    }
}

fn only_final_crlf(line: &[u8]) -> bool {
    line.ends_with(b"\r\n")
        && !line[..line.len() - 2]
            .iter()
            .any(|&b| b == b'\r' || b == b'\n')
}

/// What a strict decoder gives back for `encode_body(content)` (SPEC S9,
/// R15): `content` with every line end made CRLF (a lone LF or CR too),
/// then CRLF if that does not end in one.
fn unstuffed(content: &[u8]) -> Vec<u8> {
    let mut expected = line_ends_to_crlf(content);
    if !expected.is_empty() && !expected.ends_with(b"\r\n") {
        expected.extend_from_slice(b"\r\n");
    }
    expected
}

// ------------------------------------------------------------ properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn command_round_trip(c in command()) {
        let wire = c.to_vec();
        prop_assert!(only_final_crlf(&wire), "{:?}", wire);
        match wide_commands().decode(&wire) {
            Ok(Decoded::Value { value, consumed }) => {
                prop_assert_eq!(consumed, wire.len());
                prop_assert_eq!(value, c);
            }
            other => prop_assert!(false, "{:?}: {:?}", String::from_utf8_lossy(&wire), other),
        }
    }

    #[test]
    fn utf8_credentials_only_with_the_option_r72(c in command_with(true)) {
        let wire = c.to_vec();
        // A server advertising `UTF8 USER` reads every command back.
        let mut o = CommandOptions::default().with_utf8_credentials(true);
        o.max_line = 1 << 20;
        prop_assert_eq!(
            CommandDecoder::new(o).decode(&wire),
            Ok(Decoded::Value { value: c.clone(), consumed: wire.len() })
        );
        // By default, credentials are printable ASCII.
        let ascii = match &c {
            Command::User(name) | Command::Apop { name, .. } => name.as_bytes().is_ascii(),
            Command::Pass(p) => p.expose_secret().as_bytes().is_ascii(),
            _ => true,
        };
        match wide_commands().decode(&wire) {
            Ok(Decoded::Value { value, .. }) => {
                prop_assert!(ascii);
                prop_assert_eq!(value, c);
            }
            Err(e) => {
                prop_assert!(!ascii, "{:?}", e);
                prop_assert_eq!(e.kind(), pop3_proto::codec::CommandErrorKind::InvalidArgument);
                prop_assert_eq!(e.command(), Some(c.kind()));
            }
            Ok(other) => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn encoded_len_and_try_encode_agree_with_encode(
        c in command_with(true),
        (r, _) in response(),
        sasl in proptest::option::of(sasl_data()),
        limit in 0usize..320,
    ) {
        // Commands, responses, SASL lines, and the line types inside a
        // response, each under the same random limit.
        check_line(c.encoded_len(), &c.to_vec(), limit, |l, o| c.try_encode(l, o))?;
        check_line(r.encoded_len(), &r.to_vec(), limit, |l, o| r.try_encode(l, o))?;
        let sasl = match sasl {
            Some(d) => SaslResponse::Data(Secret::new(d)),
            None => SaslResponse::Cancel,
        };
        check_line(sasl.encoded_len(), &sasl.to_vec(), limit, |l, o| sasl.try_encode(l, o))?;
        match &r {
            Response::Greeting(g) => {
                check_line(g.encoded_len(), &g.to_vec(), limit, |l, o| g.try_encode(l, o))?;
                let s = g.status();
                check_line(s.encoded_len(), &s.to_vec(), limit, |l, o| s.try_encode(l, o))?;
            }
            Response::Status(s) => {
                check_line(s.encoded_len(), &s.to_vec(), limit, |l, o| s.try_encode(l, o))?;
            }
            Response::Entry(e) => {
                check_line(e.encoded_len(), &e.to_vec(), limit, |l, o| e.try_encode(l, o))?;
                if let Entry::Capability(c) = e {
                    check_line(c.encoded_len(), &c.to_vec(), limit, |l, o| c.try_encode(l, o))?;
                }
            }
            _ => {}
        }
    }

    #[test]
    fn sasl_response_round_trip(d in proptest::option::of(sasl_data())) {
        let r = match d {
            Some(d) => SaslResponse::Data(Secret::new(d)),
            None => SaslResponse::Cancel,
        };
        let wire = r.to_vec();
        prop_assert!(only_final_crlf(&wire));
        let got = CommandDecoder::default().decode_sasl(&wire).unwrap();
        prop_assert_eq!(got, Decoded::Value { value: r, consumed: wire.len() });
    }

    #[test]
    fn response_round_trip((r, expect) in response()) {
        let wire = r.to_vec();
        prop_assert!(only_final_crlf(&wire), "{:?}", wire);
        let entry = matches!(r, Response::Entry(_));
        prop_assert_eq!(decode_response(&wire, expect, entry), r);
    }

    #[test]
    fn status_constructor_is_canonical((kind, code, text) in status_parts()) {
        // A code and a text are built apart; a text without a code may not
        // begin with "[", which the peer would read as a code (R45).
        let starts_like_a_code = code.is_none() && text.as_bytes().first() == Some(&b'[');
        match Status::new(kind, code.clone(), text.clone()) {
            Ok(s) => {
                prop_assert!(!starts_like_a_code);
                prop_assert_eq!(s.code(), code.as_ref());
                prop_assert_eq!(s.text(), &text);
                // Whatever the parts, the value equals what its bytes decode to.
                let wire = Response::Status(s.clone()).to_vec();
                prop_assert_eq!(decode_response(&wire, Expect::Status, false), Response::Status(s));
            }
            Err(e) => {
                prop_assert!(starts_like_a_code);
                prop_assert_eq!(e, ValueError::Ambiguous("a response code"));
            }
        }
    }

    #[test]
    fn every_strict_prefix_is_incomplete(c in command(), (r, expect) in response()) {
        let wire = c.to_vec();
        let mut resumed = wide_commands();
        for end in 0..wire.len() {
            prop_assert_eq!(wide_commands().decode(&wire[..end]), Ok(Decoded::Incomplete));
            prop_assert_eq!(resumed.decode(&wire[..end]), Ok(Decoded::Incomplete));
        }
        let complete = matches!(resumed.decode(&wire), Ok(Decoded::Value { .. }));
        prop_assert!(complete);
        let wire = r.to_vec();
        let mut d = common::Lines::new(wide_responses());
        if matches!(r, Response::Entry(_)) {
            let _ = d.decode(b"+OK\r\n", expect).unwrap();
        }
        for end in 0..wire.len() {
            prop_assert_eq!(d.decode(&wire[..end], expect), Ok(Decoded::Incomplete));
        }
    }

    #[test]
    fn command_stream_split_invariance(
        cs in vec(command(), 1..12),
        chunks in vec(1usize..16, 1..8),
    ) {
        let wire: Vec<u8> = cs.iter().flat_map(|c| c.to_vec()).collect();
        if wire.split(|&b| b == b'\n').all(|l| l.len() < 254) {
            let expected: Vec<_> = cs.iter().cloned().map(Ok).collect();
            prop_assert_eq!(common::commands(&wire, &[]), expected.clone());
            prop_assert_eq!(common::commands(&wire, &chunks), expected);
        }
    }

    #[test]
    fn response_stream_split_invariance(
        listing in vec(uid_listing(), 0..20),
        caps in vec(capability(), 0..8),
        message in body_bytes(),
        chunks in vec(1usize..24, 1..8),
    ) {
        // A session: greeting, UIDL listing, CAPA listing, RETR with body, STAT.
        let mut wire = b"+OK ready\r\n+OK\r\n".to_vec();
        for u in &listing {
            Response::Entry(Entry::Uid(u.clone())).encode(&mut wire);
        }
        wire.extend_from_slice(b".\r\n+OK caps\r\n");
        for c in &caps {
            c.encode(&mut wire);
        }
        wire.extend_from_slice(b".\r\n+OK message\r\n");
        encode_body(&message, &mut wire);
        wire.extend_from_slice(b"+OK 1 2\r\n");
        let expects = [Expect::Greeting, Expect::UidListing, Expect::Capabilities, Expect::Message, Expect::Stat];
        let whole = common::responses(&wire, &expects, &[], wide_responses());
        prop_assert!(whole.iter().all(|i| !matches!(i, Item::Error(_))), "{:?}", whole);
        prop_assert_eq!(whole.len(), listing.len() + caps.len() + 8);
        prop_assert_eq!(&whole[whole.len() - 2], &Item::Body(unstuffed(&message)));
        let split = common::responses(&wire, &expects, &chunks, wide_responses());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn body_stuffing_round_trip(content in body_bytes(), splits in vec(1usize..9, 1..6)) {
        // SPEC S9, R01, R10, R15: decode(encode(x)) == line_ends_to_crlf(x) plus
        // the final CRLF, for strict and lenient readers alike.
        let mut wire = Vec::new();
        encode_body(&content, &mut wire);
        // Chunked encoding gives the same bytes, and so does encoding the
        // normalised content: the normalisation is idempotent.
        let mut chunked = Vec::new();
        let mut enc = BodyEncoder::new();
        let mut size = WireLen::new();
        let mut rest = &content[..];
        for s in splits.iter().cycle() {
            if rest.is_empty() { break; }
            let (a, b) = rest.split_at((*s).min(rest.len()));
            enc.encode(a, &mut chunked);
            size.count(a);
            rest = b;
        }
        enc.finish(&mut chunked);
        prop_assert_eq!(&chunked, &wire);
        let mut normalised = Vec::new();
        encode_body(&line_ends_to_crlf(&content), &mut normalised);
        prop_assert_eq!(&normalised, &wire);
        // No bare LF on the wire: every LF ends a CRLF.
        for (i, &b) in wire.iter().enumerate() {
            prop_assert!(b != b'\n' || (i > 0 && wire[i - 1] == b'\r'), "bare LF at {} in {:?}", i, wire);
        }
        // Every line of the body is stuffed: no early terminator.
        let first_end = wire.windows(5).position(|w| w == b"\r\n.\r\n");
        let expected_end = (!content.is_empty()).then(|| wire.len() - 5);
        prop_assert_eq!(first_end, expected_end);
        let mut trailing = wire.clone();
        trailing.extend_from_slice(b"+OK next\r\n");
        for (lf_lines, lf_terminator) in [(false, false), (true, false), (false, true), (true, true)] {
            let options = BodyOptions::default()
                .with_bare_lf_lines(lf_lines)
                .with_bare_lf_terminator(lf_terminator);
            let mut out = Vec::new();
            let p = BodyDecoder::with_options(options).decode_into(&trailing, &mut out);
            prop_assert!(p.done, "{:?}", options);
            prop_assert_eq!(p.consumed, wire.len(), "{:?}", options);
            prop_assert_eq!(&out, &unstuffed(&content), "{:?}", options);
        }
        // The size counter, fed the same chunks, agrees (SPEC R12, R13).
        prop_assert_eq!(size.message_size(), unstuffed(&content).len() as u64);
        prop_assert_eq!(size.wire_len(), wire.len() as u64);
    }

    #[test]
    fn body_decoding_split_invariance(
        content in body_bytes(),
        chunks in vec(1usize..7, 1..6),
        lenient in any::<(bool, bool)>(),
    ) {
        let mut wire = Vec::new();
        encode_body(&content, &mut wire);
        wire.extend_from_slice(b"AFTER");
        let mut options = BodyOptions::default();
        options.bare_lf_lines = lenient.0;
        options.bare_lf_terminator = lenient.1;
        // One feed, copying.
        let mut whole = Vec::new();
        let mut d = BodyDecoder::with_options(options);
        let p = d.decode_into(&wire, &mut whole);
        // Chunked, copying.
        let mut out = Vec::new();
        let mut d = BodyDecoder::with_options(options);
        let mut at = 0;
        let mut done_at = None;
        for s in chunks.iter().cycle() {
            if at >= wire.len() { break; }
            let end = (at + s).min(wire.len());
            let q = d.decode_into(&wire[at..end], &mut out);
            at += q.consumed;
            if q.done { done_at = Some(at); break; }
            prop_assert_eq!(q.consumed, end - (at - q.consumed));
        }
        prop_assert_eq!(&out, &whole);
        prop_assert_eq!(done_at, p.done.then_some(p.consumed));
        // Zero-copy over BytesMut, chunked.
        let mut zc = Vec::new();
        let mut d = BodyDecoder::with_options(options);
        let mut buf = bytes::BytesMut::new();
        let mut fed = 0;
        let mut ended = false;
        'feed: for s in chunks.iter().cycle() {
            if fed >= wire.len() { break; }
            let end = (fed + s).min(wire.len());
            buf.extend_from_slice(&wire[fed..end]);
            fed = end;
            loop {
                match d.decode_bytes(&mut buf) {
                    Chunk::Data(b) => zc.extend_from_slice(&b),
                    Chunk::End => { ended = true; break 'feed; }
                    Chunk::Incomplete => break,
                }
            }
        }
        prop_assert_eq!(&zc, &whole);
        prop_assert_eq!(ended, p.done);
        if ended {
            let mut after = buf.to_vec();
            after.extend_from_slice(&wire[fed..]);
            prop_assert_eq!(&after[..], &wire[p.consumed..]);
        }
        // Strict decoding of our own encoding always finds the end.
        if !lenient.0 {
            prop_assert!(p.done);
            prop_assert_eq!(&wire[p.consumed..], b"AFTER");
            prop_assert_eq!(whole, unstuffed(&content));
        }
    }
}

/// `encoded_len` is the length `encode` writes, and `try_encode` under
/// `limit` succeeds exactly when that fits, writing the same bytes, and
/// writes nothing when it fails.
fn check_line(
    len: usize,
    wire: &[u8],
    limit: usize,
    try_encode: impl Fn(usize, &mut Vec<u8>) -> Result<(), LineTooLong>,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(len, wire.len());
    let mut out = b"before".to_vec();
    match try_encode(limit, &mut out) {
        Ok(()) => {
            prop_assert!(len <= limit);
            prop_assert_eq!(&out[6..], wire);
        }
        Err(e) => {
            prop_assert!(len > limit);
            prop_assert_eq!((e.len, e.limit), (len, limit));
            prop_assert_eq!(&out[..], b"before");
        }
    }
    // At the length itself it fits, one octet less it does not.
    prop_assert!(try_encode(len, &mut Vec::new()).is_ok());
    prop_assert!(len == 0 || try_encode(len - 1, &mut Vec::new()).is_err());
    Ok(())
}

/// Lines made of the pieces that matter to LIST and UIDL parsing.
fn listing_line() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![
            4 => "[0-9]{1,3}".prop_map(String::into_bytes),
            2 => Just(b" ".to_vec()),
            3 => "[!-~]{1,40}".prop_map(String::into_bytes),
            1 => Just(b"\r".to_vec()),
            1 => Just(b"\n".to_vec()),
            1 => Just(b"\r\n".to_vec()),
            1 => Just(b".".to_vec()),
            1 => vec(any::<u8>(), 1..3),
        ],
        1..8,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The one-pass fast path for whole LIST and UIDL lines and the general
    /// path (taken once a line has arrived in pieces) agree on every input.
    #[test]
    fn listing_fast_path_agrees_with_general_path(
        line in listing_line(),
        uid in any::<bool>(),
        small_limit in any::<bool>(),
    ) {
        let expect = if uid { Expect::UidListing } else { Expect::ScanListing };
        let mut options = ResponseOptions::default();
        if small_limit {
            options.max_line = 12;
        }
        let opened = || {
            let mut d = common::Lines::new(options);
            let _ = d.decode(b"+OK\r\n", expect).unwrap();
            d
        };
        let mut input = line.clone();
        input.extend_from_slice(b"\r\n1 a\r\n");
        let fast = opened().decode(&input, expect).map(|d| d.map(|r| r.map(Response::into_owned)));
        // Feeding the first byte alone makes the decoder take the general
        // path for this line.
        let mut general = opened();
        let first = general.decode(&input[..1], expect).map(|d| d.map(|r| r.map(Response::into_owned)));
        let slow = match first {
            Ok(Decoded::Incomplete) => general.decode(&input, expect).map(|d| d.map(|r| r.map(Response::into_owned))),
            other => other,
        };
        prop_assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(&input));
    }
}

#[test]
fn body_one_byte_at_a_time_is_linear_and_exact() {
    // 200 kB fed one byte at a time: each byte is looked at a bounded
    // number of times (no rescans), and the output is exact.
    let mut content = Vec::new();
    for i in 0..5000 {
        if i % 7 == 0 {
            content.extend_from_slice(b".");
        }
        content.extend_from_slice(b"line of text .\r\n");
    }
    let mut wire = Vec::new();
    encode_body(&content, &mut wire);
    let mut d = BodyDecoder::new();
    let mut out = Vec::new();
    for (i, b) in wire.iter().enumerate() {
        let p = d.decode_into(std::slice::from_ref(b), &mut out);
        assert_eq!(p.consumed, 1);
        assert_eq!(p.done, i == wire.len() - 1);
    }
    assert_eq!(out, content);
}
