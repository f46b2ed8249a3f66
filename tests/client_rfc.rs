//! The client through the example exchanges of RFC 1939, 2449, 2595,
//! 5034 and 6856 (SPEC V1, V4, V9 and §2), each in several chunkings.

mod client_support;

use client_support::{run, step};
use pop3_proto::client::{CloseReason, Event, Failure, Options, Reply};
use pop3_proto::sasl::client::Plain;
use pop3_proto::state::SessionState;
use pop3_proto::types::{
    Capability, Entry, ExpirePolicy, LangRange, Mechanism, MsgNumber, RespCodeKind,
};

fn n(v: u32) -> MsgNumber {
    MsgNumber::new(v).unwrap()
}

fn lax() -> Options {
    Options::default()
        .with_allow_plaintext_login(true)
        .with_allow_apop(true)
}

fn results(events: &[Event]) -> Vec<Result<Reply, Failure>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Done { result, .. } => Some(result.clone()),
            _ => None,
        })
        .collect()
}

fn code(result: &Result<Reply, Failure>) -> Option<RespCodeKind> {
    match result {
        Err(f) => f.code().map(|c| c.kind()),
        Ok(_) => None,
    }
}

/// RFC 1939's single-command examples (SPEC V1's table), in one session.
#[test]
fn rfc1939_command_examples() {
    for chunk in [0, 1, 3] {
        let (client, evs) = run(
            lax(),
            b"+OK POP3 server ready\r\n",
            |c| {
                c.login("frated", "x").unwrap();
            },
            &[step(
                b"USER frated\r\n",
                b"-ERR sorry, no mailbox for frated here\r\n",
            )],
            chunk,
        );
        assert!(matches!(&results(&evs)[..], [Err(Failure::Refused(_))]));
        assert_eq!(client.state(), SessionState::Authorization);

        let (client, evs) = run(
            lax(),
            b"+OK POP3 server ready\r\n",
            |c| {
                c.login("mrose", "secret").unwrap();
                c.list(Some(n(2))).unwrap();
                c.list(Some(n(3))).unwrap();
                c.dele(n(2)).unwrap();
                c.dele(n(2)).unwrap();
                c.rset().unwrap();
                c.top(n(100), 3).unwrap();
                c.uidl(None).unwrap();
                c.uidl(Some(n(2))).unwrap();
                c.quit().unwrap();
            },
            &[
                step(b"USER mrose\r\n", b"+OK mrose is a real hoopy frood\r\n"),
                step(
                    b"PASS secret\r\n",
                    b"+OK mrose's maildrop has 2 messages (320 octets)\r\n",
                ),
                step(b"LIST 2\r\n", b"+OK 2 200\r\n"),
                step(
                    b"LIST 3\r\n",
                    b"-ERR no such message, only 2 messages in maildrop\r\n",
                ),
                step(b"DELE 2\r\n", b"+OK message 2 deleted\r\n"),
                step(b"DELE 2\r\n", b"-ERR message 2 already deleted\r\n"),
                step(b"RSET\r\n", b"+OK maildrop has 2 messages (320 octets)\r\n"),
                step(b"TOP 100 3\r\n", b"-ERR no such message\r\n"),
                step(
                    b"UIDL\r\n",
                    b"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
                ),
                step(b"UIDL 2\r\n", b"+OK 2 QhdPYR:00WBw1Ph7x7\r\n"),
                step(b"QUIT\r\n", b"+OK dewey POP3 server signing off\r\n"),
            ],
            chunk,
        );
        let r = results(&evs);
        assert!(matches!(r[0], Ok(Reply::LoggedIn(_))));
        assert!(matches!(&r[1], Ok(Reply::Scan(s)) if s.msg == n(2) && s.size == 200));
        assert!(matches!(r[2], Err(Failure::Refused(_))));
        assert!(r[3].is_ok() && r[4].is_err() && r[5].is_ok() && r[6].is_err());
        let uids: Vec<String> = evs
            .iter()
            .filter_map(|e| match e {
                Event::Entry {
                    entry: Entry::Uid(u),
                    ..
                } => Some(u.uid.as_str().to_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(uids, ["whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7"]);
        assert!(matches!(&r[8], Ok(Reply::Uid(u)) if u.uid.as_str() == "QhdPYR:00WBw1Ph7x7"));
        assert!(matches!(
            evs.last(),
            Some(Event::Closed(CloseReason::Quit(_)))
        ));
        assert_eq!(client.state(), SessionState::Closed);
    }
}

/// QUIT in AUTHORIZATION ends the session without UPDATE (RFC 1939 §4).
#[test]
fn rfc1939_quit_in_authorization() {
    let (client, evs) = run(
        lax(),
        b"+OK POP3 server ready\r\n",
        |c| {
            c.quit().unwrap();
        },
        &[step(b"QUIT\r\n", b"+OK dewey POP3 server signing off\r\n")],
        0,
    );
    assert!(matches!(&results(&evs)[..], [Ok(Reply::Ok(_))]));
    assert_eq!(client.state(), SessionState::Closed);
}

/// RFC 2449 §5's CAPA example, typed; §8.1.1's IN-USE refusal.
#[test]
fn rfc2449_capa_and_in_use() {
    let (client, evs) = run(
        lax(),
        b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
        |c| {
            c.capa().unwrap();
        },
        &[step(
            b"CAPA\r\n",
            b"+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL CRAM-MD5 KERBEROS_V4\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\nPIPELINING\r\nEXPIRE 60\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n",
        )],
        2,
    );
    let [Ok(Reply::Capabilities(caps))] = &results(&evs)[..] else {
        panic!("{evs:?}")
    };
    assert_eq!(caps.len(), 9);
    assert!(caps.top() && caps.user() && caps.resp_codes() && caps.pipelining() && caps.uidl());
    assert_eq!(caps.sasl().unwrap()[0], Mechanism::CramMd5);
    assert_eq!(caps.login_delay(), Some((900, false)));
    assert_eq!(caps.expire(), Some((ExpirePolicy::Days(60), false)));
    assert!(matches!(
        caps.iter().last(),
        Some(Capability::Implementation(_))
    ));
    assert_eq!(client.capabilities(), Some(caps));

    let (_, evs) = run(
        lax(),
        b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
        |c| {
            c.apop("mrose", "tanstaaf").unwrap();
        },
        &[step(
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
            b"-ERR [IN-USE] Do you have another POP session running?\r\n",
        )],
        0,
    );
    assert_eq!(code(&results(&evs)[0]), Some(RespCodeKind::InUse));
}

/// RFC 2595 §4: STLS, then TLS; the client never sends a second STLS
/// (the server's `-ERR Command not permitted when TLS active` cannot
/// come).
#[test]
fn rfc2595_stls() {
    let now = pop3_proto::time::Instant::ZERO;
    let mut c = pop3_proto::client::Client::new(Options::default(), now);
    c.receive(now, b"+OK POP3 server ready\r\n").unwrap();
    let stls = c.stls().unwrap();
    assert_eq!(&c.poll_transmit().unwrap()[..], b"STLS\r\n");
    c.receive(now, b"+OK Begin TLS negotiation\r\n").unwrap();
    let _greeting = c.poll_event();
    assert_eq!(c.poll_event(), Some(Event::StartTls { handle: stls }));
    c.tls_established(now).unwrap();
    assert!(c.stls().is_err());
    assert_eq!(c.poll_transmit(), None);
}

/// RFC 5034 §6 (SPEC V4): AUTH PLAIN under TLS with the initial response,
/// and the two-step form.
#[test]
fn rfc5034_auth_plain() {
    let capa = &b"+OK\r\nSASL PLAIN DIGEST-MD5 GSSAPI ANONYMOUS\r\nSTLS\r\nIMPLEMENTATION BlurdyBlurp POP3 server\r\n.\r\n"[..];
    for (capabilities, steps) in [
        (
            true,
            vec![
                step(b"CAPA\r\n", capa),
                step(
                    b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
                    b"+OK Maildrop locked and ready\r\n",
                ),
            ],
        ),
        (
            false,
            vec![
                step(b"AUTH PLAIN\r\n", b"+ \r\n"),
                step(
                    b"dGVzdAB0ZXN0AHRlc3Q=\r\n",
                    b"+OK Maildrop locked and ready\r\n",
                ),
            ],
        ),
    ] {
        let now = pop3_proto::time::Instant::ZERO;
        let mut c = pop3_proto::client::Client::new_tls(Options::default(), now);
        c.receive(now, b"+OK POP3 server ready\r\n").unwrap();
        let _ = c.poll_event();
        if capabilities {
            c.capa().unwrap();
        }
        let mut steps = steps.into_iter();
        if capabilities {
            let s = steps.next().unwrap();
            assert_eq!(&c.poll_transmit().unwrap()[..], &s.expect[..]);
            c.receive(now, &s.reply).unwrap();
        }
        c.authenticate(Box::new(
            Plain::with_authzid("test", "test", "test").unwrap(),
        ))
        .unwrap();
        for s in steps {
            assert_eq!(&c.poll_transmit().unwrap()[..], &s.expect[..]);
            c.receive(now, &s.reply).unwrap();
        }
        let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        assert!(matches!(results(&evs).last(), Some(Ok(Reply::LoggedIn(_)))));
        assert_eq!(c.state(), SessionState::Transaction);
    }
}

/// RFC 6856 §3.3's LANG examples (SPEC V9), and UTF8 (§2).
#[test]
fn rfc6856_lang_and_utf8() {
    let range = |s: &'static str| match s {
        "*" => LangRange::Default,
        tag => LangRange::Tag(pop3_proto::types::LangTag::try_from(tag).unwrap()),
    };
    let (_, evs) = run(
        lax(),
        b"+OK POP3 server ready\r\n",
        |c| {
            c.utf8().unwrap();
            c.login("karen", "password").unwrap();
            c.lang(Some(range("MUL"))).unwrap();
            c.lang(None).unwrap();
            c.lang(Some(range("es"))).unwrap();
            c.lang(Some(range("uga"))).unwrap();
            c.lang(Some(range("sv"))).unwrap();
            c.lang(Some(range("*"))).unwrap();
        },
        &[
            step(b"UTF8\r\n", b"+OK I only speak UTF-8\r\n"),
            step(b"USER karen\r\n", b"+OK Hello, karen\r\n"),
            step(
                b"PASS password\r\n",
                b"+OK karen's maildrop contains 2 messages (320 octets)\r\n",
            ),
            step(b"LANG MUL\r\n", b"-ERR invalid language MUL\r\n"),
            step(
                b"LANG\r\n",
                b"+OK Language listing follows:\r\nen English\r\nen-boont English Boontling dialect\r\nde Deutsch\r\nit Italiano\r\nes Espanol\r\nsv Svenska\r\n.\r\n",
            ),
            step(b"LANG es\r\n", b"+OK es Idioma cambiado\r\n"),
            step(b"LANG uga\r\n", b"-ERR es Idioma <<UGA>> no es conocido\r\n"),
            step(b"LANG sv\r\n", "+OK sv Kommandot \"LANG\" lyckades\r\n".as_bytes()),
            step(b"LANG *\r\n", b"+OK es Idioma cambiado\r\n"),
        ],
        1,
    );
    let r = results(&evs);
    assert!(matches!(r[0], Ok(Reply::Ok(_))));
    assert!(matches!(r[2], Err(Failure::Refused(_))));
    let langs = evs
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Entry {
                    entry: Entry::Lang(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(langs, 6);
    assert!(matches!(&r[4], Ok(Reply::Lang(l)) if l.tag.as_str() == "es"));
    assert!(r[5].is_err());
    assert!(matches!(&r[7], Ok(Reply::Lang(l)) if l.tag.as_str() == "es"));
}
