//! Known-answer tests: every vector of SPEC.md V1-V16 and the examples of
//! the RFCs, decoded, and encoded back to the same bytes.

mod common;

use common::Item;
use pop3_proto::apop;
use pop3_proto::body::encode_body;
use pop3_proto::codec::{
    CommandDecoder, CommandErrorKind, CommandOptions, Decoded, ResponseOptions, encode_listing_end,
};
use pop3_proto::types::*;

fn t(s: &str) -> Text<'_> {
    Text::try_from(s).unwrap()
}

fn n(v: u32) -> MsgNumber {
    MsgNumber::new(v).unwrap()
}

/// Decodes one command line that must be the whole input.
fn cmd(line: &[u8]) -> Command<'static> {
    match CommandDecoder::default().decode(line) {
        Ok(Decoded::Value { value, consumed }) => {
            assert_eq!(consumed, line.len(), "{line:?}");
            value.into_owned()
        }
        other => panic!("{line:?}: {other:?}"),
    }
}

/// Decodes one response line that must be the whole input.
fn resp(line: &[u8], expect: Expect) -> Response<'static> {
    match common::first(line, expect) {
        Ok(Decoded::Value { value, consumed }) => {
            assert_eq!(consumed, line.len(), "{line:?}");
            value.into_owned()
        }
        other => panic!("{line:?}: {other:?}"),
    }
}

/// Decodes a command and checks that encoding gives the same bytes back.
fn cmd_exact(line: &[u8]) -> Command<'static> {
    let c = cmd(line);
    assert_eq!(c.to_vec(), line, "re-encoding {c:?}");
    c
}

fn resp_exact(line: &[u8], expect: Expect) -> Response<'static> {
    let r = resp(line, expect);
    assert_eq!(
        String::from_utf8_lossy(&r.to_vec()),
        String::from_utf8_lossy(line),
        "re-encoding {r:?}"
    );
    r
}

fn ok(text: &'static str) -> Response<'static> {
    Response::Status(Status::ok(t(text)).unwrap())
}

fn err(text: &'static str) -> Response<'static> {
    Response::Status(Status::err(t(text)).unwrap())
}

fn entries(lines: &[&[u8]], expect: Expect) -> Vec<Item> {
    let mut wire = Vec::new();
    for l in lines {
        wire.extend_from_slice(l);
        wire.extend_from_slice(b"\r\n");
    }
    common::responses(&wire, &[expect], &[], ResponseOptions::default())
}

fn capa(lines: &[&[u8]]) -> Vec<Capability<'static>> {
    let mut all = vec![&b"+OK"[..]];
    all.extend_from_slice(lines);
    all.push(b".");
    let items = entries(&all, Expect::Capabilities);
    assert_eq!(items.first(), Some(&Item::Response(ok(""))));
    assert_eq!(items.last(), Some(&Item::End));
    items[1..items.len() - 1]
        .iter()
        .map(|i| match i {
            Item::Response(Response::Entry(Entry::Capability(c))) => c.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn mechs(names: &[&'static str]) -> Vec<Mechanism<'static>> {
    names.iter().map(|m| Mechanism::new(m).unwrap()).collect()
}

// ------------------------------------------------------------------- V1

const V1_SERVER: &[u8] = b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n\
+OK mrose's maildrop has 2 messages (320 octets)\r\n\
+OK 2 320\r\n\
+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n\
+OK 120 octets\r\nSubject: one\r\n\r\n..leading dot\r\n.\r\n\
+OK message 1 deleted\r\n\
+OK 200 octets\r\nSubject: two\r\n\r\nbody\r\n.\r\n\
+OK message 2 deleted\r\n\
+OK dewey POP3 server signing off (maildrop empty)\r\n";

const V1_CLIENT: &[u8] = b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nLIST\r\n\
RETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n";

fn v1_expects() -> Vec<Expect> {
    let mut e = vec![Expect::Greeting];
    e.extend(
        common::commands(V1_CLIENT, &[])
            .into_iter()
            .map(|c| c.unwrap().expect()),
    );
    e
}

fn v1_items() -> Vec<Item> {
    let r = Item::Response;
    vec![
        r(Response::Greeting(Greeting::new(
            Status::ok(t("POP3 server ready <1896.697170952@dbc.mtview.ca.us>")).unwrap(),
        ))),
        r(ok("mrose's maildrop has 2 messages (320 octets)")),
        r(Response::Stat(DropListing {
            count: 2,
            size: 320,
        })),
        r(ok("2 messages (320 octets)")),
        r(Response::Entry(Entry::Scan(ScanListing {
            msg: n(1),
            size: 120,
        }))),
        r(Response::Entry(Entry::Scan(ScanListing {
            msg: n(2),
            size: 200,
        }))),
        Item::End,
        r(ok("120 octets")),
        Item::Body(b"Subject: one\r\n\r\n.leading dot\r\n".to_vec()),
        r(ok("message 1 deleted")),
        r(ok("200 octets")),
        Item::Body(b"Subject: two\r\n\r\nbody\r\n".to_vec()),
        r(ok("message 2 deleted")),
        r(ok("dewey POP3 server signing off (maildrop empty)")),
    ]
}

#[test]
fn v1_rfc1939_session_client_side() {
    let commands: Vec<_> = common::commands(V1_CLIENT, &[])
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let digest = ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22fb").unwrap();
    assert_eq!(
        commands,
        vec![
            Command::Apop {
                name: Username::try_from("mrose").unwrap(),
                digest: Secret::new(digest),
            },
            Command::Stat,
            Command::List(None),
            Command::Retr(n(1)),
            Command::Dele(n(1)),
            Command::Retr(n(2)),
            Command::Dele(n(2)),
            Command::Quit,
        ]
    );
    let mut wire = Vec::new();
    for c in &commands {
        c.encode(&mut wire);
    }
    assert_eq!(wire, V1_CLIENT);
}

#[test]
fn v1_rfc1939_session_server_side() {
    let items = common::responses(V1_SERVER, &v1_expects(), &[], ResponseOptions::default());
    assert_eq!(items, v1_items());
    // Encoding every value gives the session's bytes back.
    let mut wire = Vec::new();
    for item in &items {
        match item {
            Item::Response(r) => r.encode(&mut wire),
            Item::Body(b) => encode_body(b, &mut wire),
            Item::End => encode_listing_end(&mut wire),
            Item::Error(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&wire),
        String::from_utf8_lossy(V1_SERVER)
    );
    // The greeting offers APOP, and V2 holds for its timestamp.
    let Item::Response(Response::Greeting(g)) = &items[0] else {
        panic!()
    };
    let ts = g.timestamp().unwrap();
    assert_eq!(ts.as_str(), "<1896.697170952@dbc.mtview.ca.us>");
    assert_eq!(
        apop::digest(&ts, b"tanstaaf").as_str(),
        "c4c9334bac560ecc979e58001b3e22fb"
    );
}

#[test]
fn v1_every_split_of_the_session_decodes_the_same() {
    let expects = v1_expects();
    let whole = v1_items();
    for size in 1..=V1_SERVER.len() {
        let items = common::responses(V1_SERVER, &expects, &[size], ResponseOptions::default());
        assert_eq!(items, whole, "chunk size {size}");
    }
    for size in 1..=V1_CLIENT.len() {
        assert_eq!(
            common::commands(V1_CLIENT, &[size]),
            common::commands(V1_CLIENT, &[]),
            "chunk size {size}"
        );
    }
}

#[test]
fn rfc1939_single_command_examples() {
    assert_eq!(cmd_exact(b"LIST 2\r\n"), Command::List(Some(n(2))));
    assert_eq!(
        resp_exact(b"+OK 2 200\r\n", Expect::Scan(n(2))),
        Response::Scan(ScanListing {
            msg: n(2),
            size: 200
        })
    );
    assert_eq!(
        resp_exact(
            b"-ERR no such message, only 2 messages in maildrop\r\n",
            Expect::Scan(n(3))
        ),
        err("no such message, only 2 messages in maildrop")
    );
    assert_eq!(
        resp_exact(b"-ERR message 2 already deleted\r\n", Expect::Status),
        err("message 2 already deleted")
    );
    assert_eq!(cmd_exact(b"RSET\r\n"), Command::Rset);
    assert_eq!(
        resp_exact(
            b"+OK maildrop has 2 messages (320 octets)\r\n",
            Expect::Status
        ),
        ok("maildrop has 2 messages (320 octets)")
    );
    assert_eq!(
        cmd_exact(b"TOP 100 3\r\n"),
        Command::Top {
            msg: n(100),
            lines: 3
        }
    );
    assert_eq!(
        resp_exact(b"-ERR no such message\r\n", Expect::Message),
        err("no such message")
    );
    assert_eq!(cmd_exact(b"UIDL 2\r\n"), Command::Uidl(Some(n(2))));
    assert_eq!(
        resp_exact(b"+OK 2 QhdPYR:00WBw1Ph7x7\r\n", Expect::Uid(n(2))),
        Response::Uid(UidListing {
            msg: n(2),
            uid: Uid::try_from("QhdPYR:00WBw1Ph7x7").unwrap()
        })
    );
    let uidl = entries(
        &[
            b"+OK",
            b"1 whqtswO00WBw418f9t5JxYwZ",
            b"2 QhdPYR:00WBw1Ph7x7",
            b".",
        ],
        Expect::UidListing,
    );
    assert_eq!(
        uidl,
        vec![
            Item::Response(ok("")),
            Item::Response(Response::Entry(Entry::Uid(UidListing {
                msg: n(1),
                uid: Uid::try_from("whqtswO00WBw418f9t5JxYwZ").unwrap()
            }))),
            Item::Response(Response::Entry(Entry::Uid(UidListing {
                msg: n(2),
                uid: Uid::try_from("QhdPYR:00WBw1Ph7x7").unwrap()
            }))),
            Item::End,
        ]
    );
    assert_eq!(
        cmd_exact(b"USER frated\r\n"),
        Command::User(Username::try_from("frated").unwrap())
    );
    assert_eq!(
        resp_exact(
            b"-ERR sorry, no mailbox for frated here\r\n",
            Expect::Status
        ),
        err("sorry, no mailbox for frated here")
    );
    assert_eq!(
        resp_exact(b"+OK mrose is a real hoopy frood\r\n", Expect::Status),
        ok("mrose is a real hoopy frood")
    );
    let pass = cmd_exact(b"PASS secret\r\n");
    assert_eq!(
        pass,
        Command::Pass(Secret::new(Password::try_from("secret").unwrap()))
    );
    assert!(
        !format!("{pass:?}").contains("secret"),
        "R: secrets redacted"
    );
    assert_eq!(
        resp_exact(b"-ERR maildrop already locked\r\n", Expect::Status),
        err("maildrop already locked")
    );
    assert_eq!(cmd_exact(b"QUIT\r\n"), Command::Quit);
    assert_eq!(
        resp_exact(b"+OK dewey POP3 server signing off\r\n", Expect::Status),
        ok("dewey POP3 server signing off")
    );
    // An empty maildrop lists nothing (R28).
    assert_eq!(
        entries(&[b"+OK 0 messages", b"."], Expect::ScanListing),
        vec![Item::Response(ok("0 messages")), Item::End]
    );
    // Gaps after DELE are valid (R28).
    assert_eq!(
        entries(&[b"+OK", b"2 200", b"."], Expect::ScanListing).len(),
        3
    );
}

#[test]
fn r08_status_text_is_insignificant() {
    for line in [&b"+OK\r\n"[..], b"+OK \r\n"] {
        assert_eq!(resp(line, Expect::Status), ok(""));
    }
    assert_eq!(resp(b"+OK x\r\n", Expect::Status), ok("x"));
    assert_eq!(resp(b"+OK\r\n", Expect::Status).to_vec(), b"+OK\r\n");
}

#[test]
fn r02_keywords_are_case_insensitive_and_encoded_upper() {
    for line in [&b"stat\r\n"[..], b"StAt\r\n", b"STAT\r\n"] {
        assert_eq!(cmd(line), Command::Stat);
    }
    assert_eq!(cmd(b"top 1 10\r\n").to_vec(), b"TOP 1 10\r\n");
    assert_eq!(cmd(b"uidl\r\n"), Command::Uidl(None));
}

#[test]
fn r32_pass_keeps_spaces() {
    let c = cmd_exact(b"PASS a b  c \r\n");
    assert_eq!(
        c,
        Command::Pass(Secret::new(Password::try_from("a b  c ").unwrap()))
    );
}

#[test]
fn other_commands_are_kept_for_the_server_r07() {
    let c = cmd_exact(b"XTND XMIT foo\r\n");
    let Command::Other(o) = &c else { panic!() };
    assert_eq!(o.keyword().as_str(), "XTND");
    assert_eq!(o.arguments().unwrap().as_bytes(), b"XMIT foo");
    assert_eq!(c.kind(), CommandKind::Other);
    assert_eq!(c.expect(), Expect::Status);
    let last = cmd_exact(b"LAST\r\n");
    assert!(matches!(last, Command::Other(ref o) if o.arguments().is_none()));
}

// ------------------------------------------------------------------- V2

#[test]
fn v2_apop_digest() {
    let ts = Timestamp::try_from("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    let d = apop::digest(&ts, b"tanstaaf");
    assert_eq!(d.as_str(), "c4c9334bac560ecc979e58001b3e22fb");
    assert!(apop::verify(&ts, b"tanstaaf", &d));
    let c = Command::Apop {
        name: Username::try_from("mrose").unwrap(),
        digest: Secret::new(d),
    };
    assert_eq!(
        c.to_vec(),
        b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
    );
}

// ------------------------------------------------------------ V3 - V8 SASL

fn challenge(line: &[u8]) -> Vec<u8> {
    match resp(line, Expect::Challenge) {
        Response::Challenge(d) => d.as_bytes().to_vec(),
        other => panic!("{other:?}"),
    }
}

fn sasl_line(line: &[u8]) -> SaslResponse<'static> {
    match CommandDecoder::default().decode_sasl(line) {
        Ok(Decoded::Value { value, consumed }) => {
            assert_eq!(consumed, line.len());
            assert_eq!(value.to_vec(), line, "re-encoding");
            value
        }
        other => panic!("{other:?}"),
    }
}

fn sasl_data(line: &[u8]) -> Vec<u8> {
    match sasl_line(line) {
        SaslResponse::Data(d) => d.expose_secret().as_bytes().to_vec(),
        SaslResponse::Cancel => panic!("cancel"),
    }
}

fn ir(line: &[u8]) -> (Mechanism<'static>, Option<Vec<u8>>) {
    match cmd_exact(line) {
        Command::Auth {
            mechanism,
            initial_response,
        } => (
            mechanism,
            initial_response.map(|r| r.expose_secret().as_bytes().to_vec()),
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn v3_cram_md5() {
    assert_eq!(
        challenge(b"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
        b"<1896.697170952@postoffice.reston.mci.net>"
    );
    assert_eq!(
        sasl_data(b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"),
        b"tim b913a602c7eda7a495b4e6e7334d3890"
    );
    assert_eq!(cmd_exact(b"AUTH CRAM-MD5\r\n").expect(), Expect::Challenge);
}

#[test]
fn v4_plain() {
    assert_eq!(
        ir(b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n"),
        (Mechanism::Plain, Some(b"test\0test\0test".to_vec()))
    );
    assert_eq!(
        resp_exact(b"+OK Maildrop locked and ready\r\n", Expect::Challenge),
        ok("Maildrop locked and ready")
    );
    // Two-step form: the empty challenge is exactly "+ ".
    assert_eq!(ir(b"AUTH PLAIN\r\n"), (Mechanism::Plain, None));
    assert_eq!(
        resp_exact(b"+ \r\n", Expect::Challenge),
        Response::Challenge(SaslData::new(&b""[..]).unwrap())
    );
    assert_eq!(sasl_data(b"dGVzdAB0ZXN0AHRlc3Q=\r\n"), b"test\0test\0test");
    let r = SaslResponse::Data(Secret::new(
        SaslData::new(&b"\0tim\0tanstaaftanstaaf"[..]).unwrap(),
    ));
    assert_eq!(r.to_vec(), b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    // "=" is a present but empty initial response (RFC 5034 §4).
    assert_eq!(ir(b"AUTH PLAIN =\r\n"), (Mechanism::Plain, Some(vec![])));
}

#[test]
fn v5_digest_md5_final_challenge_and_empty_reply() {
    assert_eq!(
        challenge(b"+ cnNwYXV0aD1lYTQwZjYwMzM1YzQyN2I1NTI3Yjg0ZGJhYmNkZmZmZA==\r\n"),
        b"rspauth=ea40f60335c427b5527b84dbabcdfffd"
    );
    assert_eq!(sasl_data(b"\r\n"), b"");
    assert_eq!(sasl_line(b"*\r\n"), SaslResponse::Cancel);
}

#[test]
fn v6_login() {
    assert_eq!(challenge(b"+ VXNlcm5hbWU6\r\n"), b"Username:");
    assert_eq!(challenge(b"+ UGFzc3dvcmQ6\r\n"), b"Password:");
    assert_eq!(challenge(b"+ VXNlciBOYW1lAA==\r\n"), b"User Name\0");
    assert_eq!(challenge(b"+ UGFzc3dvcmQA\r\n"), b"Password\0");
    assert_eq!(sasl_data(b"dGlt\r\n"), b"tim");
    assert_eq!(
        sasl_data(b"dGFuc3RhYWZ0YW5zdGFhZg==\r\n"),
        b"tanstaaftanstaaf"
    );
}

#[test]
fn v7_xoauth2() {
    let raw = b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01";
    let c = Command::Auth {
        mechanism: Mechanism::XOAuth2,
        initial_response: Some(Secret::new(SaslData::new(&raw[..]).unwrap())),
    };
    assert_eq!(
        c.to_vec(),
        b"AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==\r\n"
    );
    assert_eq!(
        ir(b"AUTH XOAUTH2 dXNlcj11c2VyAWF1dGg9QmVhcmVyIG1GXzkuQjVmLTQuMUpxTQEB\r\n"),
        (
            Mechanism::XOAuth2,
            Some(b"user=user\x01auth=Bearer mF_9.B5f-4.1JqM\x01\x01".to_vec())
        )
    );
    assert_eq!(
        challenge(b"+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K\r\n"),
        b"{\"status\":\"401\",\"schemes\":\"bearer mac\",\"scope\":\"https://mail.google.com/\"}\n"
    );
    // Exchange Online: the empty challenge is a bare "+" (SPEC §7.8).
    assert_eq!(challenge(b"+\r\n"), b"");
    assert_eq!(
        resp(
            b"+OK User successfully authenticated.\r\n",
            Expect::Challenge
        ),
        ok("User successfully authenticated.")
    );
}

#[test]
fn v8_oauthbearer() {
    let (m, data) = ir(b"AUTH OAUTHBEARER bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB\r\n");
    assert_eq!(m, Mechanism::OAuthBearer);
    assert_eq!(
        data.unwrap(),
        b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
    );
    let (_, data) = ir(b"AUTH OAUTHBEARER bixhPXVzZXIsAWhvc3Q9MTI3LjAuMC4xAXBvcnQ9OTAwMQFhdXRoPUJlYXJlciBtRl85LkI1Zi00LjFKcU0BAQ==\r\n");
    assert_eq!(
        data.unwrap(),
        b"n,a=user,\x01host=127.0.0.1\x01port=9001\x01auth=Bearer mF_9.B5f-4.1JqM\x01\x01"
    );
    // curl's server sends this challenge unpadded: decoded under the
    // named leniency (R55 refuses it by default).
    let unpadded: &[u8] = b"+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0\r\n";
    assert!(common::first(unpadded, Expect::Challenge).is_err());
    let lenient = pop3_proto::codec::ResponseOptions::default().with_unpadded_challenges(true);
    let decoded = match common::first_with(lenient, unpadded, Expect::Challenge) {
        Ok(Decoded::Value {
            value: Response::Challenge(d),
            ..
        }) => d.as_bytes().to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        decoded,
        b"{\"status\":\"invalid_token\",\"scope\":\"example_scope\",\"openid-configuration\":\"https://example.com/.well-known/openid-configuration\"}"
    );
    assert_eq!(sasl_data(b"AQ==\r\n"), b"\x01");
    assert_eq!(
        resp_exact(b"-ERR Authentication failed\r\n", Expect::Challenge),
        err("Authentication failed")
    );
}

// ------------------------------------------------------------------- V9

#[test]
fn v9_lang() {
    let lang = |s: &'static str| LangTag::try_from(s).unwrap();
    assert_eq!(
        cmd_exact(b"LANG MUL\r\n"),
        Command::Lang(Some(LangRange::Tag(lang("MUL"))))
    );
    assert_eq!(
        resp_exact(b"-ERR invalid language MUL\r\n", Expect::Lang),
        err("invalid language MUL")
    );
    assert_eq!(cmd_exact(b"LANG\r\n").expect(), Expect::LangListing);
    let listing = entries(
        &[
            b"+OK Language listing follows:",
            b"en English",
            b"en-boont English Boontling dialect",
            b"de Deutsch",
            b"it Italiano",
            b"es Espanol",
            b"sv Svenska",
            b".",
        ],
        Expect::LangListing,
    );
    assert_eq!(listing.len(), 8);
    assert_eq!(
        listing[2],
        Item::Response(Response::Entry(Entry::Lang(LangListing {
            tag: lang("en-boont"),
            description: t("English Boontling dialect"),
        })))
    );
    assert_eq!(
        resp_exact(b"+OK es Idioma cambiado\r\n", Expect::Lang),
        Response::Lang(LangListing {
            tag: lang("es"),
            description: t("Idioma cambiado")
        })
    );
    assert_eq!(
        resp_exact(b"-ERR es Idioma <<UGA>> no es conocido\r\n", Expect::Lang),
        err("es Idioma <<UGA>> no es conocido")
    );
    assert_eq!(
        resp_exact(b"+OK sv Kommandot \"LANG\" lyckades\r\n", Expect::Lang),
        Response::Lang(LangListing {
            tag: lang("sv"),
            description: t("Kommandot \"LANG\" lyckades")
        })
    );
    assert_eq!(
        cmd_exact(b"LANG *\r\n"),
        Command::Lang(Some(LangRange::Default))
    );
    // Courier.
    let courier = entries(
        &[b"+OK", b"en English", b"i-default Default language", b"."],
        Expect::LangListing,
    );
    assert!(courier[..3].iter().all(|i| matches!(i, Item::Response(_))));
    assert_eq!(courier[3..], [Item::End]);
    assert_eq!(
        resp_exact(b"+OK en King's English\r\n", Expect::Lang),
        Response::Lang(LangListing {
            tag: lang("en"),
            description: t("King's English")
        })
    );
}

// ------------------------------------------------------------------ V10

#[test]
fn v10_stls() {
    assert_eq!(cmd_exact(b"STLS\r\n"), Command::Stls);
    assert_eq!(
        resp_exact(b"+OK Begin TLS negotiation\r\n", Expect::Status),
        ok("Begin TLS negotiation")
    );
    assert_eq!(
        resp_exact(
            b"-ERR Command not permitted when TLS active\r\n",
            Expect::Status
        ),
        err("Command not permitted when TLS active")
    );
    assert_eq!(
        capa(&[
            b"SASL DIGEST-MD5 GSSAPI ANONYMOUS",
            b"STLS",
            b"IMPLEMENTATION BlurdyBlurp POP3 server"
        ]),
        vec![
            Capability::Sasl(vec![
                Mechanism::DigestMd5,
                Mechanism::Gssapi,
                Mechanism::Anonymous
            ]),
            Capability::Stls,
            Capability::Implementation(t("BlurdyBlurp POP3 server")),
        ]
    );
    assert_eq!(
        capa(&[
            b"SASL PLAIN DIGEST-MD5 GSSAPI ANONYMOUS",
            b"IMPLEMENTATION BlurdyBlurp POP3 server"
        ])[0],
        Capability::Sasl(mechs(&["PLAIN", "DIGEST-MD5", "GSSAPI", "ANONYMOUS"]))
    );
}

// ------------------------------------------------------------------ V11

#[test]
fn v11_response_codes() {
    let code = |line: &[u8]| match resp_exact(line, Expect::Status) {
        Response::Status(s) => (s.code().cloned(), s.text().clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        code(b"-ERR [IN-USE] Do you have another POP session running?\r\n"),
        (
            Some(RespCode::IN_USE),
            t("Do you have another POP session running?")
        )
    );
    assert_eq!(
        code(b"-ERR [IN-USE] Unable to lock maildrop: x\r\n").0,
        Some(RespCode::IN_USE)
    );
    assert_eq!(
        code(b"-ERR [LOGIN-DELAY] Logins must be at least 5 minutes apart\r\n").0,
        Some(RespCode::LOGIN_DELAY)
    );
    assert_eq!(
        code(b"-ERR [SYS/TEMP] Unable to open maildrop: x\r\n").0,
        Some(RespCode::SYS_TEMP)
    );
    assert_eq!(
        code(b"-ERR [SYS/PERM] gone\r\n").0,
        Some(RespCode::SYS_PERM)
    );
    assert_eq!(
        code(b"-ERR [AUTH] Client canceled authentication\r\n").0,
        Some(RespCode::AUTH)
    );
    assert_eq!(code(b"-ERR [UTF8] need UTF8\r\n").0, Some(RespCode::UTF8));
    // R45: hierarchical, case-insensitive, unknown sub-levels ignored when
    // classifying, and kept.
    let (c, text) = code(b"-ERR [SYS/TEMP/X] later\r\n");
    let c = c.unwrap();
    assert_eq!(c.kind(), RespCodeKind::SysTemp);
    assert_eq!(c.as_str(), "SYS/TEMP/X");
    assert_eq!(text, t("later"));
    let lower = resp(b"-ERR [in-use] x\r\n", Expect::Status);
    assert!(matches!(&lower, Response::Status(s) if s.code() == Some(&RespCode::IN_USE)));
    // Unknown codes are kept whole.
    let (c, text) = code(b"+OK [XCLIENT] Dovecot ready.\r\n");
    assert_eq!(c.unwrap().as_str(), "XCLIENT");
    assert_eq!(text, t("Dovecot ready."));
    let (c, _) = code(b"-ERR [SYS/FOO] x\r\n");
    assert!(matches!(c, Some(ref o) if o.kind() == RespCodeKind::Other && o.as_str() == "SYS/FOO"));
    // Unterminated or empty brackets are text.
    for line in [
        &b"-ERR [SYS/TEMP later\r\n"[..],
        b"-ERR [] x\r\n",
        b"-ERR [A//B] x\r\n",
    ] {
        assert_eq!(code(line).0, None, "{line:?}");
    }
    // A code with no text.
    assert_eq!(code(b"-ERR [AUTH]\r\n"), (Some(RespCode::AUTH), t("")));
}

// ------------------------------------------------------------------ V12

#[test]
fn v12_rfc2449_capa() {
    assert_eq!(
        capa(&[
            b"TOP",
            b"USER",
            b"SASL CRAM-MD5 KERBEROS_V4",
            b"RESP-CODES",
            b"LOGIN-DELAY 900",
            b"PIPELINING",
            b"EXPIRE 60",
            b"UIDL",
            b"IMPLEMENTATION Shlemazle-Plotz-v302",
        ]),
        vec![
            Capability::Top,
            Capability::User,
            Capability::Sasl(mechs(&["CRAM-MD5", "KERBEROS_V4"])),
            Capability::RespCodes,
            Capability::LoginDelay {
                seconds: 900,
                per_user: false
            },
            Capability::Pipelining,
            Capability::Expire {
                policy: ExpirePolicy::Days(60),
                per_user: false
            },
            Capability::Uidl,
            Capability::Implementation(t("Shlemazle-Plotz-v302")),
        ]
    );
    let listing: &[u8] = b"+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL CRAM-MD5 KERBEROS_V4\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\nPIPELINING\r\nEXPIRE 60\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n";
    let items = common::responses(
        listing,
        &[Expect::Capabilities],
        &[],
        ResponseOptions::default(),
    );
    let mut wire = Vec::new();
    for i in &items {
        match i {
            Item::Response(r) => r.encode(&mut wire),
            Item::End => encode_listing_end(&mut wire),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(wire, listing);
}

// ------------------------------------------------------------------ V13

#[test]
fn v13_gmail() {
    let g = resp_exact(
        b"+OK Gpop ready for requests from 24.91.170.86 hv19mb95710270qab\r\n",
        Expect::Greeting,
    );
    assert!(matches!(&g, Response::Greeting(g) if g.is_ok() && g.timestamp().is_none()));
    let caps = capa(&[
        b"USER",
        b"RESP-CODES",
        b"EXPIRE 0",
        b"LOGIN-DELAY 300",
        b"TOP",
        b"UIDL",
        b"X-GOOGLE-RICO",
        b"SASL PLAIN XOAUTH2",
    ]);
    assert_eq!(
        caps[2],
        Capability::Expire {
            policy: ExpirePolicy::Days(0),
            per_user: false
        }
    );
    assert!(
        matches!(&caps[6], Capability::Other(o) if o.tag().as_str() == "X-GOOGLE-RICO" && o.params().is_empty())
    );
    assert_eq!(
        caps[7],
        Capability::Sasl(vec![Mechanism::Plain, Mechanism::XOAuth2])
    );
    for line in ["send PASS", "Welcome.", "Farewell."] {
        let wire = format!("+OK {line}\r\n");
        assert_eq!(resp_exact(wire.as_bytes(), Expect::Status), ok(line));
    }
}

#[test]
fn v13_exchange_and_outlook() {
    resp_exact(
        b"+OK The *WGS* Microsoft Exchange POP3 service is ready.\r\n",
        Expect::Greeting,
    );
    assert_eq!(
        capa(&[b"TOP", b"UIDL", b"SASL NTLM GSSAPI PLAIN LOGIN", b"USER"])[2],
        Capability::Sasl(mechs(&["NTLM", "GSSAPI", "PLAIN", "LOGIN"]))
    );
    // R20: the trailing bracket is neither a code nor an APOP timestamp.
    let g = resp_exact(
        b"+OK The Microsoft Exchange POP3 service is ready. [UwBHADIAUABSADAAMwBDAEEAMAAwADAANgAuAG4AYQBtAHAAcgBkADAAMwAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]\r\n",
        Expect::Greeting,
    );
    let Response::Greeting(g) = g else { panic!() };
    assert_eq!(g.status().code(), None);
    assert_eq!(g.timestamp(), None);
    resp_exact(b"+OK User successfully logged on.\r\n", Expect::Status);
    resp_exact(b"+OK Good-bye.\r\n", Expect::Status);
}

#[test]
fn v13_dovecot_cyrus_courier_zimbra() {
    let g = resp_exact(
        b"+OK Dovecot ready. <1a2b.3c.4d5e6f.QUJDRA==@mail.example>\r\n",
        Expect::Greeting,
    );
    let Response::Greeting(g) = g else { panic!() };
    assert_eq!(
        g.timestamp().unwrap().as_str(),
        "<1a2b.3c.4d5e6f.QUJDRA==@mail.example>"
    );
    assert_eq!(
        capa(&[
            b"CAPA",
            b"TOP",
            b"UIDL",
            b"RESP-CODES",
            b"PIPELINING",
            b"AUTH-RESP-CODE",
            b"STLS",
            b"USER",
            b"SASL PLAIN LOGIN"
        ])[5],
        Capability::AuthRespCode
    );
    assert_eq!(
        resp_exact(b"-ERR Too many invalid bad commands.\r\n", Expect::Status),
        err("Too many invalid bad commands.")
    );
    // Cyrus.
    let cyrus = capa(&[
        b"SASL PLAIN",
        b"STLS",
        b"EXPIRE NEVER",
        b"LOGIN-DELAY 0",
        b"TOP",
        b"UIDL",
        b"PIPELINING",
        b"RESP-CODES",
        b"AUTH-RESP-CODE",
        b"USER",
        b"IMPLEMENTATION Cyrus POP3 3.8.1",
    ]);
    assert_eq!(
        cyrus[2],
        Capability::Expire {
            policy: ExpirePolicy::Never,
            per_user: false
        }
    );
    assert_eq!(cyrus[10], Capability::Implementation(t("Cyrus POP3 3.8.1")));
    // Courier.
    let courier = capa(&[
        b"SASL PLAIN",
        b"STLS",
        b"TOP",
        b"USER",
        b"LOGIN-DELAY 10",
        b"PIPELINING",
        b"UIDL",
        b"UTF8 USER",
        b"LANG",
        b"IMPLEMENTATION Courier Mail Server",
    ]);
    assert_eq!(courier[7], Capability::Utf8 { user: true });
    assert_eq!(courier[8], Capability::Lang);
    resp_exact(b"+OK Here's what I can do:\r\n", Expect::Capabilities);
    // Zimbra / Comcast.
    let zimbra = capa(&[
        b"TOP",
        b"USER",
        b"UIDL",
        b"STLS",
        b"EXPIRE 31 USER",
        b"SASL PLAIN X-ZIMBRA",
        b"EXPIRE NEVER",
        b"XOIP",
        b"IMPLEMENTATION ZimbraInc",
    ]);
    assert_eq!(
        zimbra[4],
        Capability::Expire {
            policy: ExpirePolicy::Days(31),
            per_user: true
        }
    );
    assert_eq!(zimbra[5], Capability::Sasl(mechs(&["PLAIN", "X-ZIMBRA"])));
    assert!(matches!(&zimbra[7], Capability::Other(o) if o.tag().as_str() == "XOIP"));
}

#[test]
fn v13_east_junk_sasl_tokens_do_not_fail_the_list() {
    let caps = capa(&[b"SASL PLAIN AUTH=CRAM-MD5 CRAM- LOGIN =x  DIGEST-MD5"]);
    assert_eq!(
        caps,
        vec![Capability::Sasl(mechs(&[
            "PLAIN",
            "CRAM-",
            "LOGIN",
            "DIGEST-MD5"
        ]))]
    );
}

#[test]
fn bare_auth_lists_mechanisms_r61() {
    assert_eq!(cmd_exact(b"AUTH\r\n"), Command::AuthList);
    let items = entries(&[b"+OK", b"PLAIN", b"LOGIN", b"."], Expect::Mechanisms);
    assert_eq!(
        items[1],
        Item::Response(Response::Entry(Entry::Mechanism(Mechanism::Plain)))
    );
    assert_eq!(items.len(), 4);
}

#[test]
fn negative_greetings_r16() {
    let g = resp_exact(b"-ERR [SYS/TEMP] try later\r\n", Expect::Greeting);
    let Response::Greeting(g) = g else { panic!() };
    assert!(!g.is_ok());
    assert_eq!(g.status().code(), Some(&RespCode::SYS_TEMP));
    let g = resp(b"+OK [in-use] probe\r\n", Expect::Greeting);
    assert!(matches!(g, Response::Greeting(ref g) if g.status().code() == Some(&RespCode::IN_USE)));
}

#[test]
fn greeting_with_timestamp_builder() {
    let ts = Timestamp::try_from("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    let g = Greeting::with_timestamp(&t("POP3 server ready"), &ts).unwrap();
    let r = Response::Greeting(g);
    assert_eq!(
        r.to_vec(),
        b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
    );
}

// ------------------------------------------------------------------ V15

#[test]
fn v15_dot_stuffing_through_the_response_stream() {
    let wire = b"+OK\r\nFrom: a\r\n\r\n..\r\n...x\r\n..hidden\r\nend\r\n.\r\n";
    let items = common::responses(wire, &[Expect::Message], &[], ResponseOptions::default());
    assert_eq!(
        items,
        vec![
            Item::Response(ok("")),
            Item::Body(b"From: a\r\n\r\n.\r\n..x\r\n.hidden\r\nend\r\n".to_vec())
        ]
    );
    let mut out = b"+OK\r\n".to_vec();
    encode_body(b"From: a\r\n\r\n.\r\n..x\r\n.hidden\r\nend", &mut out);
    assert_eq!(out, wire);
}

// ------------------------------------------------------------------ V16

#[test]
fn v16_stls_leaves_the_injected_bytes_for_the_caller_to_refuse() {
    // The codec reports exactly how much the STLS line used; a session that
    // sees bytes left after it closes instead of running them (S1).
    let input = b"STLS\r\nUSER evil\r\n";
    let mut d = CommandDecoder::default();
    let Ok(Decoded::Value { value, consumed }) = d.decode(input) else {
        panic!()
    };
    assert_eq!(value, Command::Stls);
    assert_eq!(&input[consumed..], b"USER evil\r\n");
    // Client side: the STLS reply uses only its own line, so the S2 payload
    // is visible as leftover bytes.
    let payload = b"+OK Begin fake TLS negotiation now.\r\n+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n";
    let mut r = common::Lines::default();
    let Ok(Decoded::Value { consumed, .. }) = r.decode(payload, Expect::Status) else {
        panic!()
    };
    assert_eq!(&payload[consumed..], b"+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n");
}

// ---------------------------------------------------- SPEC §7 leniencies

#[test]
fn quirk_mailtrap_bare_lf_everywhere() {
    // Mailtrap ends every line in LF alone (zetacomponents/Mail#40).
    let wire = b"+OK POP3 ready\n+OK 2 messages\n1 120\n2 200\n.\n+OK 120 octets\nFrom: a\nSubject: b\n\n..dot\nbody\n.\n";
    let expects = [Expect::Greeting, Expect::ScanListing, Expect::Message];
    let mut lenient = ResponseOptions::default();
    lenient.bare_lf = true;
    let items = common::responses(wire, &expects, &[], lenient);
    assert_eq!(items.len(), 7);
    assert_eq!(
        items[6],
        Item::Body(b"From: a\nSubject: b\n\n.dot\nbody\n".to_vec())
    );
    // Every chunking agrees.
    for size in 1..wire.len() {
        assert_eq!(common::responses(wire, &expects, &[size], lenient), items);
    }
    // Strict decoding refuses the first line instead of guessing.
    let strict = common::responses(wire, &expects, &[], ResponseOptions::default());
    assert_eq!(
        strict[0],
        Item::Error(pop3_proto::codec::ResponseErrorKind::BareLineFeed)
    );
}

#[test]
fn quirk_bare_lf_terminator() {
    // A CRLF body closed by ".\n", which MailKit accepts (Pop3Stream.cs).
    let wire = b"+OK\r\nSubject: x\r\n\r\nhello\r\n.\n";
    let lenient = ResponseOptions::default().with_bare_lf_terminator(true);
    let items = common::responses(wire, &[Expect::Message], &[], lenient);
    assert_eq!(
        items,
        vec![
            Item::Response(ok("")),
            Item::Body(b"Subject: x\r\n\r\nhello\r\n".to_vec())
        ]
    );
    // Strict mode (R14): ".\n" is content, the body has not ended.
    let strict = common::responses(wire, &[Expect::Message], &[], ResponseOptions::default());
    assert_eq!(strict, vec![Item::Response(ok(""))]);
    // The option does not make a bare LF end other lines: "\n.\n" inside a
    // CRLF body is still content.
    let wire = b"+OK\r\na\n.\nb\r\n.\n";
    let items = common::responses(wire, &[Expect::Message], &[], lenient);
    assert_eq!(items[1], Item::Body(b"a\n.\nb\r\n".to_vec()));
}

#[test]
fn quirk_lower_case_status() {
    let mut o = ResponseOptions::default();
    o.any_case_status = true;
    let items = common::responses(
        b"+ok hello\r\n-err nope\r\n",
        &[Expect::Greeting, Expect::Status],
        &[],
        o,
    );
    assert_eq!(
        items,
        vec![
            Item::Response(Response::Greeting(Greeting::new(
                Status::ok(t("hello")).unwrap()
            ))),
            Item::Response(err("nope")),
        ]
    );
}

// ------------------------------------------------ RFC 1734, RFC 6856 §3.3

#[test]
fn rfc1734_kerberos_exchange() {
    let wire = b"+OK POP3 server ready\r\n+ AmFYig==\r\n+ or//EoAADZI=\r\n+OK Kerberos V4 authentication successful\r\n-ERR Unrecognized authentication type\r\n";
    let items = common::responses(
        wire,
        &[Expect::Greeting, Expect::Challenge, Expect::Challenge],
        &[],
        ResponseOptions::default(),
    );
    assert_eq!(
        items,
        vec![
            Item::Response(Response::Greeting(Greeting::new(
                Status::ok(t("POP3 server ready")).unwrap()
            ))),
            Item::Response(Response::Challenge(
                SaslData::new(vec![0x02, 0x61, 0x58, 0x8a]).unwrap()
            )),
            Item::Response(Response::Challenge(
                SaslData::new(vec![0xa2, 0xbf, 0xff, 0x12, 0x80, 0x00, 0x0d, 0x92]).unwrap()
            )),
            Item::Response(ok("Kerberos V4 authentication successful")),
            Item::Response(err("Unrecognized authentication type")),
        ]
    );
    let (m, ir_data) = ir(b"AUTH KERBEROS_V4\r\n");
    assert_eq!((m.as_str(), ir_data), ("KERBEROS_V4", None));
    // The client's response, one base64 line (folded in the RFC).
    let response = b"BAcAQU5EUkVXLkNNVS5FRFUAOCAsho84kLN3/IJmrMG+25a4DT+nZImJjnTNHJUtxAA+o0KPKfHEcAFs9a3CL5Oebe/ydHJUwYFdWwuQ1MWiy6IesKvjL5rL9WjXUb9MwT9bpObYLGOKi1Qh\r\n";
    assert_eq!(sasl_data(response).len(), 108);
    assert_eq!(sasl_data(b"DiAF5A4gA+oOIALuBkAAmw==\r\n").len(), 16);
    assert!(matches!(
        cmd_exact(b"AUTH FOOBAR\r\n"),
        Command::Auth {
            mechanism: Mechanism::Other(_),
            ..
        }
    ));
}

#[test]
fn rfc6856_session_lines() {
    assert_eq!(
        cmd_exact(b"USER karen\r\n"),
        Command::User(Username::try_from("karen").unwrap())
    );
    assert_eq!(
        resp_exact(b"+OK Hello, karen\r\n", Expect::Status),
        ok("Hello, karen")
    );
    cmd_exact(b"PASS password\r\n");
    resp_exact(
        b"+OK karen's maildrop contains 2 messages (320 octets)\r\n",
        Expect::Status,
    );
    assert_eq!(
        resp_exact(
            b"-ERR Server is unable to list languages\r\n",
            Expect::LangListing
        ),
        err("Server is unable to list languages")
    );
    // UTF8 (RFC 6856 §2) and a UTF-8 user name once "UTF8 USER" is on
    // (R72: a server advertising it sets `utf8_credentials`).
    assert_eq!(cmd_exact(b"UTF8\r\n"), Command::Utf8);
    let line = "USER j\u{f6}rg\r\n".as_bytes();
    let utf8 = CommandOptions::default().with_utf8_credentials(true);
    assert_eq!(
        CommandDecoder::new(utf8).decode(line),
        Ok(Decoded::Value {
            value: Command::User(Username::try_from("j\u{f6}rg").unwrap()),
            consumed: line.len()
        })
    );
    assert_eq!(
        Command::User(Username::try_from("j\u{f6}rg").unwrap()).to_vec(),
        line
    );
    let refused = CommandDecoder::default().decode(line).unwrap_err();
    assert_eq!(refused.kind(), CommandErrorKind::InvalidArgument);
}
