//! The sans-IO client against scripted servers: RFC example sessions,
//! split invariance, the state table, login flows, pipelining, STLS and
//! the security tests of SPEC §4 (S2, S3, S4, S5, S8, S11, S14).

mod client_support;

use client_support::{events, feed, logged_in, run, sent, step};
use pop3_proto::client::{
    Client, CloseReason, Deadline, Event, Failure, LocalError, Options, RemoteErrorKind, Reply,
    Warning,
};
use pop3_proto::codec::ResponseErrorKind;
use pop3_proto::sasl::SaslError;
use pop3_proto::sasl::client::{Plain, XOAuth2};
use pop3_proto::sasl::scram::{ChannelBinding, ScramClient, ScramHash};
use pop3_proto::state::SessionState;
use pop3_proto::time::Instant;
use pop3_proto::types::{CommandKind, Entry, MsgNumber, RespCodeKind};
use std::time::Duration;

fn n(v: u32) -> MsgNumber {
    MsgNumber::new(v).unwrap()
}

/// A client that may log in over plaintext, as the tests do.
fn lax() -> Options {
    Options::default()
        .with_allow_plaintext_login(true)
        .with_allow_apop(true)
}

fn done(events: &[Event]) -> Vec<(usize, &Result<Reply, Failure>)> {
    events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Event::Done { result, .. } => Some((i, result)),
            _ => None,
        })
        .collect()
}

const MESSAGE_1: &[u8] = b"From: a\r\n\r\n.dotted\r\nbody\r\n";
const MESSAGE_1_WIRE: &[u8] = b"From: a\r\n\r\n..dotted\r\nbody\r\n.\r\n";

/// RFC 1939 §10's example session, with the message bodies filled in,
/// in every chunking: the same events each time.
#[test]
fn rfc1939_example_session_in_every_chunking() {
    let steps = [
        step(
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
            b"+OK mrose's maildrop has 2 messages (320 octets)\r\n",
        ),
        step(b"STAT\r\n", b"+OK 2 320\r\n"),
        step(
            b"LIST\r\n",
            b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n",
        ),
        step(
            b"RETR 1\r\n",
            &[&b"+OK 120 octets\r\n"[..], MESSAGE_1_WIRE].concat(),
        ),
        step(b"DELE 1\r\n", b"+OK message 1 deleted\r\n"),
        step(b"QUIT\r\n", b"+OK dewey POP3 server signing off\r\n"),
    ];
    let mut handles = Vec::new();
    let mut reference = None;
    for chunk in [0, 1, 2, 3, 7, 64] {
        let (client, events) = run(
            lax(),
            b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
            |c| {
                handles = vec![
                    c.apop("mrose", "tanstaaf").unwrap(),
                    c.stat().unwrap(),
                    c.list(None).unwrap(),
                    c.retr(n(1)).unwrap(),
                    c.dele(n(1)).unwrap(),
                    c.quit().unwrap(),
                ];
            },
            &steps,
            chunk,
        );
        assert_eq!(client.state(), SessionState::Closed);
        match &reference {
            None => reference = Some(events),
            Some(r) => assert_eq!(&events, r, "chunk {chunk}"),
        }
    }
    let events = reference.unwrap();
    assert!(matches!(&events[0], Event::Greeting(g) if g.timestamp().is_some()));
    let results = done(&events);
    assert_eq!(results.len(), 6);
    assert!(matches!(results[0].1, Ok(Reply::LoggedIn(_))));
    assert!(matches!(results[1].1, Ok(Reply::Stat(d)) if d.count == 2 && d.size == 320));
    let entries: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Entry {
                handle,
                entry: Entry::Scan(s),
            } if *handle == handles[2] => Some((s.msg.get(), s.size)),
            _ => None,
        })
        .collect();
    assert_eq!(entries, [(1, 120), (2, 200)]);
    let body: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            Event::Data { handle, data } if *handle == handles[3] => Some(data.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(body, MESSAGE_1);
    assert!(matches!(
        events.last(),
        Some(Event::Closed(CloseReason::Quit(_)))
    ));
    // Every handle is done exactly once, in order.
    let order: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Done { handle, .. } => Some(*handle),
            _ => None,
        })
        .collect();
    assert_eq!(order, handles);
}

/// Split invariance over random chunkings: RFC 1939's session with
/// every command pipelined, cut anywhere, gives the same events.
mod split {
    use super::*;
    use client_support::run_sizes;
    use proptest::prelude::*;

    fn session(sizes: &[usize]) -> Vec<Event> {
        let (_, events) = run_sizes(
            lax(),
            b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
            |c| {
                c.apop("mrose", "tanstaaf").unwrap();
                c.capa().unwrap();
                c.list(None).unwrap();
                c.uidl(None).unwrap();
                c.retr(n(1)).unwrap();
                c.top(n(1), 0).unwrap();
                c.quit().unwrap();
            },
            &[
                step(
                    b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
                    b"+OK mrose's maildrop has 2 messages (320 octets)\r\n",
                ),
                step(b"CAPA\r\n", b"+OK\r\nPIPELINING\r\nTOP\r\nUIDL\r\n.\r\n"),
                step(
                    b"LIST\r\nUIDL\r\nRETR 1\r\nTOP 1 0\r\nQUIT\r\n",
                    &[
                        &b"+OK\r\n1 120\r\n2 200\r\n.\r\n+OK\r\n1 a\r\n2 b\r\n.\r\n+OK\r\n"[..],
                        MESSAGE_1_WIRE,
                        b"+OK\r\nFrom: a\r\n\r\n.\r\n+OK bye\r\n",
                    ]
                    .concat(),
                ),
            ],
            sizes,
        );
        events
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_events(
            sizes in proptest::collection::vec(0usize..40, 1..12)
        ) {
            prop_assert_eq!(session(&sizes), session(&[]));
        }
    }

    #[test]
    fn the_pipelined_session_reads_right() {
        let events = session(&[]);
        assert_eq!(done(&events).len(), 7);
        assert!(done(&events).iter().all(|(_, r)| r.is_ok()), "{events:?}");
        assert!(matches!(
            events.last(),
            Some(Event::Closed(CloseReason::Quit(_)))
        ));
    }
}

/// With PIPELINING every command goes at once, and the replies, fed in
/// any chunking, are matched to their handles (RFC 2449 §6.6).
#[test]
fn pipelining_sends_at_once_and_matches_replies() {
    let mut reference = None;
    for chunk in [0, 1, 5] {
        let now = Instant::ZERO;
        let mut c = Client::new(lax(), now);
        feed(&mut c, now, b"+OK hi\r\n", chunk);
        let _ = events(&mut c);
        c.capa().unwrap();
        assert_eq!(sent(&mut c), b"CAPA\r\n");
        feed(&mut c, now, b"+OK\r\nPIPELINING\r\nUSER\r\n.\r\n", chunk);
        let _ = events(&mut c);
        assert!(c.capabilities().unwrap().pipelining());
        let login = c.login("u", "p").unwrap();
        let stat = c.stat().unwrap();
        let r1 = c.retr(n(1)).unwrap();
        let r2 = c.retr(n(2)).unwrap();
        // USER and PASS go alone; nothing else while they are out.
        assert_eq!(sent(&mut c), b"USER u\r\n");
        feed(&mut c, now, b"+OK\r\n", chunk);
        assert_eq!(sent(&mut c), b"PASS p\r\n");
        feed(&mut c, now, b"+OK in\r\n", chunk);
        // Logged in: capabilities are forgotten, so no pipelining until
        // CAPA is asked again.
        assert!(c.capabilities().is_none());
        assert_eq!(sent(&mut c), b"STAT\r\n");
        feed(&mut c, now, b"+OK 2 10\r\n", chunk);
        assert_eq!(sent(&mut c), b"RETR 1\r\n");
        c.capa().unwrap();
        feed(&mut c, now, b"+OK\r\na\r\n.\r\n", chunk);
        // One at a time: PIPELINING is unknown again after the login.
        assert_eq!(sent(&mut c), b"RETR 2\r\n");
        feed(&mut c, now, b"+OK\r\nb\r\n.\r\n", chunk);
        assert_eq!(sent(&mut c), b"CAPA\r\n");
        feed(&mut c, now, b"+OK\r\nPIPELINING\r\n.\r\n", chunk);
        let d1 = c.dele(n(1)).unwrap();
        let d2 = c.dele(n(2)).unwrap();
        let q = c.quit().unwrap();
        assert_eq!(sent(&mut c), b"DELE 1\r\nDELE 2\r\nQUIT\r\n", "pipelined");
        feed(
            &mut c,
            now,
            b"+OK deleted\r\n-ERR no such message\r\n+OK bye\r\n",
            chunk,
        );
        let evs = client_support::merge_data(events(&mut c));
        let results: Vec<_> = evs
            .iter()
            .filter_map(|e| match e {
                Event::Done { handle, result } => Some((*handle, result.is_ok())),
                _ => None,
            })
            .collect();
        assert_eq!(
            &results[results.len() - 3..],
            [(d1, true), (d2, false), (q, true)]
        );
        let _ = (login, stat, r1, r2);
        match &reference {
            None => reference = Some(evs),
            Some(r) => assert_eq!(&evs, r, "chunk {chunk}"),
        }
    }
}

/// The state table: a command the state does not allow is a local
/// error, and nothing is sent (SPEC R22, DESIGN's state table).
#[test]
fn commands_outside_their_state_are_local_errors() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    assert!(matches!(
        c.stat(),
        Err(LocalError::NotAllowed {
            state: SessionState::Greeting,
            ..
        })
    ));
    c.receive(now, b"+OK\r\n").unwrap();
    for e in [c.stat(), c.retr(n(1)), c.dele(n(1)), c.noop(), c.rset()] {
        assert!(
            matches!(
                e,
                Err(LocalError::NotAllowed {
                    state: SessionState::Authorization,
                    ..
                })
            ),
            "{e:?}"
        );
    }
    assert_eq!(sent(&mut c), b"");
    c.login("u", "p").unwrap();
    assert_eq!(c.login("u", "p"), Err(LocalError::LoginUnderWay));
    assert_eq!(c.stls(), Err(LocalError::StlsNotPossible));
    c.stat().unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    assert_eq!(sent(&mut c), b"USER u\r\nPASS p\r\nSTAT\r\n");
    assert!(matches!(c.login("u", "p"), Err(LocalError::LoginUnderWay)));
    assert!(matches!(c.stls(), Err(LocalError::StlsNotPossible)));
    c.quit().unwrap();
    assert!(matches!(
        c.noop(),
        Err(LocalError::NotAllowed {
            state: SessionState::Update,
            ..
        })
    ));
}

/// A command queued for the state a login reaches waits for it, and
/// fails locally, never sent, if the login fails.
#[test]
fn commands_queued_behind_a_failed_login_fail_locally() {
    let (client, events) = run(
        lax(),
        b"+OK\r\n",
        |c| {
            c.login("u", "wrong").unwrap();
            c.stat().unwrap();
            c.capa().unwrap();
        },
        &[
            step(b"USER u\r\n", b"+OK\r\n"),
            step(b"PASS wrong\r\n", b"-ERR [AUTH] invalid password\r\n"),
            step(b"CAPA\r\n", b"+OK\r\nUSER\r\n.\r\n"),
        ],
        0,
    );
    let results = done(&events);
    let Err(login) = results[0].1 else { panic!() };
    assert_eq!(login.code().map(|c| c.kind()), Some(RespCodeKind::Auth));
    assert_eq!(results[1].1, &Err(Failure::LoginFailed), "STAT never sent");
    assert!(
        matches!(results[2].1, Ok(Reply::Capabilities(_))),
        "CAPA still valid"
    );
    assert_eq!(client.state(), SessionState::Authorization);
}

/// SPEC S15, R68: no plaintext credentials over a plaintext connection
/// unless the caller allows it; S12: APOP is opt-in and needs a valid
/// timestamp (R21).
#[test]
fn s12_s15_plaintext_logins_need_tls_or_consent() {
    let now = Instant::ZERO;
    let mut c = Client::new(Options::default(), now);
    c.receive(now, b"+OK ready <1.2@host>\r\n").unwrap();
    assert_eq!(c.login("u", "p"), Err(LocalError::NeedsTls));
    assert_eq!(c.apop("u", "p"), Err(LocalError::ApopUnavailable));
    assert_eq!(
        c.authenticate(Box::new(Plain::new("u", "p").unwrap())),
        Err(LocalError::NeedsTls)
    );
    assert_eq!(
        c.authenticate(Box::new(XOAuth2::new("u", "t").unwrap())),
        Err(LocalError::NeedsTls)
    );
    // SCRAM keeps the password off the wire: fine without TLS.
    let scram =
        ScramClient::new(ScramHash::Sha256, "u", "p", "nonce", ChannelBinding::None).unwrap();
    c.authenticate(Box::new(scram)).unwrap();
    assert_eq!(
        sent(&mut c),
        b"AUTH SCRAM-SHA-256\r\n",
        "no SASL capability seen: no IR (R50)"
    );

    // Over TLS, all of them.
    let mut c = Client::new_tls(Options::default(), now);
    c.receive(now, b"+OK ready\r\n").unwrap();
    c.login("u", "p").unwrap();
    assert_eq!(sent(&mut c), b"USER u\r\n");

    // APOP: allowed, but the greeting has no valid timestamp.
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK ready <no-at-sign>\r\n").unwrap();
    assert!(c.apop_timestamp().is_none());
    assert_eq!(c.apop("u", "p"), Err(LocalError::ApopUnavailable));
    // UTF-8 credentials only with UTF8 USER (R72).
    assert_eq!(c.login("j\u{f6}rg", "p"), Err(LocalError::Utf8NotOffered));
}

/// SPEC S2: bytes after the STLS +OK, in the same read, a later read, or
/// as a fragment without CRLF, end the session; nothing is replayed.
#[test]
fn s2_response_injection_after_stls_closes() {
    for (first, later) in [
        (
            &b"+OK Begin TLS\r\n+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n"[..],
            &b""[..],
        ),
        (b"+OK Begin TLS\r\n+OK", b""),
        (b"+OK Begin TLS\r\n", b"+OK\r\n"),
    ] {
        let now = Instant::ZERO;
        let mut c = Client::new(Options::default(), now);
        c.receive(now, b"+OK\r\n").unwrap();
        let stls = c.stls().unwrap();
        assert_eq!(sent(&mut c), b"STLS\r\n");
        c.receive(now, first).unwrap();
        c.receive(now, later).unwrap();
        let evs = events(&mut c);
        let closed = evs.iter().find_map(|e| match e {
            Event::Closed(CloseReason::Protocol(e)) => Some(e.kind()),
            _ => None,
        });
        assert_eq!(
            closed,
            Some(RemoteErrorKind::DataAfterStls),
            "{first:?} {later:?}: {evs:?}"
        );
        assert!(evs.iter().any(|e| matches!(
            e,
            Event::Done { handle, result: Err(Failure::Closed) } if *handle == stls
        )));
        assert_eq!(c.tls_established(now), Err(LocalError::NoTlsPending));
        assert!(c.capabilities().is_none());
    }
}

/// STLS done right: StartTls, then TLS; everything learned before is
/// forgotten (SPEC S4); STLS cannot come twice (R63).
#[test]
fn s4_stls_forgets_what_plaintext_taught() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK ready <1.2@host>\r\n").unwrap();
    assert!(c.apop_timestamp().is_some());
    c.capa().unwrap();
    c.receive(now, b"+OK\r\nSTLS\r\nSASL PLAIN\r\n.\r\n")
        .unwrap();
    let stls = c.stls().unwrap();
    let _ = events(&mut c);
    assert_eq!(sent(&mut c), b"CAPA\r\nSTLS\r\n");
    c.receive(now, b"+OK go\r\n").unwrap();
    assert_eq!(events(&mut c), [Event::StartTls { handle: stls }]);
    assert_eq!(
        c.noop().err(),
        Some(LocalError::NotAllowed {
            command: CommandKind::Noop,
            state: SessionState::Authorization,
        })
    );
    c.capa().unwrap();
    assert_eq!(sent(&mut c), b"", "nothing goes out during the handshake");
    c.tls_established(now).unwrap();
    assert!(c.is_tls());
    assert!(c.capabilities().is_none(), "S4");
    assert!(c.apop_timestamp().is_none(), "S4");
    assert!(matches!(
        events(&mut c)[..],
        [Event::Done { handle, result: Ok(Reply::TlsEstablished) }] if handle == stls
    ));
    assert_eq!(sent(&mut c), b"CAPA\r\n");
    assert_eq!(c.stls(), Err(LocalError::StlsNotPossible));
}

/// SPEC S3: with TLS required, no STLS offered, STLS refused or CAPA
/// refused ends the session before any credential goes out.
#[test]
fn s3_required_tls_ends_the_session_without_credentials() {
    let strict = Options::default().with_require_tls(true);
    for (capa_reply, stls_reply) in [
        (&b"+OK\r\nUSER\r\n.\r\n"[..], None),
        (b"-ERR no CAPA\r\n", None),
        (b"+OK\r\nSTLS\r\n.\r\n", Some(&b"-ERR not now\r\n"[..])),
    ] {
        let now = Instant::ZERO;
        let mut c = Client::new(strict.clone(), now);
        c.receive(now, b"+OK\r\n").unwrap();
        assert_eq!(c.login("u", "p"), Err(LocalError::NeedsTls));
        c.capa().unwrap();
        c.receive(now, capa_reply).unwrap();
        if let Some(reply) = stls_reply {
            c.stls().unwrap();
            c.receive(now, reply).unwrap();
        }
        let evs = events(&mut c);
        assert!(
            matches!(evs.last(), Some(Event::Closed(CloseReason::TlsUnavailable))),
            "{evs:?}"
        );
        let wire = sent(&mut c);
        assert!(
            !wire
                .windows(4)
                .any(|w| w == b"USER" || w == b"PASS" || w == b"AUTH"),
            "{wire:?}"
        );
    }
}

/// SPEC S5: lines that answer nothing are an error, never a reply.
#[test]
fn s5_unsolicited_lines_close() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK hi\r\n1 120\r\n2 200\r\n.\r\n")
        .unwrap();
    let evs = events(&mut c);
    assert!(matches!(evs[0], Event::Greeting(_)));
    assert!(matches!(
        evs.last(),
        Some(Event::Closed(CloseReason::Protocol(e)))
            if e.kind() == RemoteErrorKind::Response(ResponseErrorKind::Unsolicited)
    ));
    // Input after EOF is the caller's mistake.
    let mut c = Client::new(lax(), now);
    c.receive_eof(now);
    assert_eq!(c.receive(now, b"+OK\r\n"), Err(LocalError::InputAfterEof));
}

/// SPEC S8: a LIST that disagrees with STAT, or whose sizes overflow,
/// is reported; the session goes on.
#[test]
fn s8_stat_and_list_disagree() {
    let (_, evs) = run(
        lax(),
        b"+OK\r\n",
        |c| {
            c.login("u", "p").unwrap();
            c.stat().unwrap();
            c.list(None).unwrap();
            c.list(None).unwrap();
        },
        &[
            step(b"USER u\r\n", b"+OK\r\n"),
            step(b"PASS p\r\n", b"+OK\r\n"),
            step(b"STAT\r\n", b"+OK 2 320\r\n"),
            step(b"LIST\r\n", b"+OK\r\n1 120\r\n2 201\r\n.\r\n"),
            step(
                b"LIST\r\n",
                b"+OK\r\n1 18446744073709551615\r\n2 1\r\n.\r\n",
            ),
        ],
        0,
    );
    let warnings: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(*w),
            _ => None,
        })
        .collect();
    assert!(matches!(
        warnings[..],
        [
            Warning::StatListMismatch {
                listed: 2,
                size: 321,
                ..
            },
            Warning::SizeOverflow
        ]
    ));
}

/// A malformed reply is a typed error naming the command; the session
/// goes on and can QUIT cleanly.
#[test]
fn a_malformed_reply_fails_its_command_only() {
    let (client, evs) = run(
        lax(),
        b"+OK\r\n",
        |c| {
            c.login("u", "p").unwrap();
            c.stat().unwrap();
            c.uidl(Some(n(1))).unwrap();
            c.quit().unwrap();
        },
        &[
            step(b"USER u\r\n", b"+OK\r\n"),
            step(b"PASS p\r\n", b"+OK\r\n"),
            step(b"STAT\r\n", b"+OK seven 1800662\r\n"),
            step(b"UIDL 1\r\n", b"+OK 99 whqtswO00WBw418f9t5JxYwZ\r\n"),
            step(b"QUIT\r\n", b"+OK bye\r\n"),
        ],
        0,
    );
    let results = done(&evs);
    let Err(Failure::Protocol(e)) = results[1].1 else {
        panic!("{:?}", results[1])
    };
    assert_eq!(e.command(), Some(CommandKind::Stat));
    let Err(Failure::Protocol(e)) = results[2].1 else {
        panic!()
    };
    assert!(matches!(
        e.kind(),
        RemoteErrorKind::Response(ResponseErrorKind::WrongMessage { .. })
    ));
    assert!(matches!(results[3].1, Ok(Reply::Ok(_))));
    assert!(matches!(evs.last(), Some(Event::Closed(r)) if r.is_clean()));
    assert_eq!(client.state(), SessionState::Closed);
}

/// R14: a message cut off by EOF is an error, never a short message.
#[test]
fn eof_inside_a_message_is_an_error() {
    let now = Instant::ZERO;
    let mut c = logged_in(lax());
    let retr = c.retr(n(1)).unwrap();
    c.receive(now, b"+OK\r\nhalf a mess").unwrap();
    c.receive_eof(now);
    let evs = events(&mut c);
    assert!(evs.iter().any(|e| matches!(
        e,
        Event::Done { handle, result: Err(Failure::Closed) } if *handle == retr
    )));
    assert!(matches!(
        evs.last(),
        Some(Event::Closed(CloseReason::Protocol(e)))
            if e.kind() == RemoteErrorKind::Response(ResponseErrorKind::UnexpectedEof)
                && e.command() == Some(CommandKind::Retr)
    ));
    // EOF with nothing pending is a plain end.
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    c.receive_eof(now);
    assert!(matches!(
        events(&mut c).last(),
        Some(Event::Closed(CloseReason::Eof))
    ));
}

/// SPEC S14: each deadline fires once, at its time, never early; reply
/// time is inactivity, so a reply that keeps moving never expires.
#[test]
fn s14_deadlines() {
    let t = Instant::from_millis;
    let options = lax()
        .with_greeting_timeout(Some(Duration::from_secs(10)))
        .with_reply_timeout(Some(Duration::from_secs(5)))
        .with_idle_timeout(Some(Duration::from_secs(60)));
    // No greeting.
    let mut c = Client::new(options.clone(), t(1000));
    assert_eq!(c.poll_timeout(), Some(t(11_000)));
    c.handle_timeout(t(10_999));
    assert_eq!(events(&mut c), []);
    c.handle_timeout(t(11_000));
    assert_eq!(
        events(&mut c),
        [
            Event::Timeout(Deadline::Greeting),
            Event::Closed(CloseReason::Timeout(Deadline::Greeting))
        ]
    );
    c.handle_timeout(t(99_000));
    assert_eq!(events(&mut c), [], "once");

    // A slow RETR that keeps moving outlives the reply timeout.
    let mut c = Client::new(options.clone(), t(0));
    c.receive(t(0), b"+OK\r\n").unwrap();
    assert_eq!(c.poll_timeout(), Some(t(60_000)), "idle");
    c.login("u", "p").unwrap();
    c.receive(t(100), b"+OK\r\n").unwrap();
    c.receive(t(200), b"+OK\r\n").unwrap();
    c.retr(n(1)).unwrap();
    c.receive(t(300), b"+OK\r\n").unwrap();
    for i in 1..100u64 {
        let now = t(300 + i * 4000);
        c.handle_timeout(now);
        c.receive(now, b"more data\r\n").unwrap();
    }
    assert!(
        !events(&mut c)
            .iter()
            .any(|e| matches!(e, Event::Timeout(_) | Event::Closed(_)))
    );
    // Then silence.
    let last = t(300 + 99 * 4000);
    assert_eq!(c.poll_timeout(), Some(last + Duration::from_secs(5)));
    c.handle_timeout(last + Duration::from_secs(5));
    assert!(matches!(
        events(&mut c).last(),
        Some(Event::Closed(CloseReason::Timeout(Deadline::Reply)))
    ));

    // Idle is an event only.
    let mut c = Client::new(options, t(0));
    c.receive(t(0), b"+OK\r\n").unwrap();
    c.handle_timeout(t(60_000));
    assert_eq!(events(&mut c)[1..], [Event::Timeout(Deadline::Idle)]);
    assert_eq!(c.state(), SessionState::Authorization);
    assert_eq!(c.poll_timeout(), None);
    // Arithmetic saturates.
    let mut c = Client::new(
        Options::default().with_greeting_timeout(Some(Duration::MAX)),
        t(5),
    );
    assert_eq!(c.poll_timeout(), Some(Instant::MAX));
    c.handle_timeout(Instant::MAX);
    assert!(matches!(events(&mut c).last(), Some(Event::Closed(_))));
}

/// SCRAM through the client: the server-final is a challenge answered
/// with an empty line (RFC 5034 §4's shape, Dovecot's), and a +OK
/// without it is a failure that closes the session.
#[test]
fn scram_login_verifies_the_server() {
    let scram = || {
        ScramClient::new(
            ScramHash::Sha1,
            "user",
            "pencil",
            "fyko+d2lbbFgONRv9qkxdawL",
            ChannelBinding::None,
        )
        .unwrap()
    };
    let b64 = |s: &str| {
        // Base64 through the crate's own encoder: the challenge line.
        let data = pop3_proto::types::SaslData::new(s.as_bytes().to_vec()).unwrap();
        pop3_proto::types::Response::Challenge(data).to_vec()
    };
    let first = b64("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    let last = b64("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    let client_final = b"Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoyVDBDSkdiSlF5RjBYK0hJNFRzPQ==\r\n";
    let now = Instant::ZERO;
    let mut c = Client::new(Options::default(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    c.capa().unwrap();
    c.receive(now, b"+OK\r\nSASL SCRAM-SHA-1\r\n.\r\n").unwrap();
    let login = c.authenticate(Box::new(scram())).unwrap();
    let _ = sent(&mut c);
    let _ = events(&mut c);
    c.receive(now, &first).unwrap();
    assert_eq!(sent(&mut c), client_final);
    c.receive(now, &last).unwrap();
    assert_eq!(sent(&mut c), b"\r\n", "the empty line");
    c.receive(now, b"+OK Logged in.\r\n").unwrap();
    assert!(matches!(
        events(&mut c)[..],
        [Event::Done { handle, result: Ok(Reply::LoggedIn(_)) }] if handle == login
    ));
    assert_eq!(c.state(), SessionState::Transaction);

    // +OK straight after the client-final: not verified, so not trusted.
    let mut c = Client::new(Options::default(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    c.authenticate(Box::new(scram())).unwrap();
    c.receive(now, b"+ \r\n").unwrap();
    c.receive(now, &first).unwrap();
    c.receive(now, b"+OK Logged in.\r\n").unwrap();
    let evs = events(&mut c);
    assert!(evs.iter().any(|e| matches!(
        e,
        Event::Done {
            result: Err(Failure::Sasl(SaslError::Incomplete)),
            ..
        }
    )));
    assert!(matches!(
        evs.last(),
        Some(Event::Closed(CloseReason::ServerNotVerified))
    ));
}

/// R53, R50: the initial response goes on the AUTH line only when SASL
/// was advertised and the line fits 255 octets; otherwise it answers the
/// empty challenge. S11/R55: an undecodable challenge gets `*`.
#[test]
fn auth_initial_response_rules_and_bad_challenges() {
    let now = Instant::ZERO;
    let connect = |caps: &[u8]| {
        let mut c = Client::new_tls(Options::default(), now);
        c.receive(now, b"+OK\r\n").unwrap();
        c.capa().unwrap();
        c.receive(now, caps).unwrap();
        let _ = sent(&mut c);
        let _ = events(&mut c);
        c
    };
    let mut c = connect(b"+OK\r\nSASL PLAIN\r\n.\r\n");
    c.authenticate(Box::new(Plain::new("tim", "tanstaaftanstaaf").unwrap()))
        .unwrap();
    assert_eq!(sent(&mut c), b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");

    let long = "x".repeat(200);
    let mut c = connect(b"+OK\r\nSASL PLAIN\r\n.\r\n");
    c.authenticate(Box::new(Plain::new("tim", &long).unwrap()))
        .unwrap();
    assert_eq!(sent(&mut c), b"AUTH PLAIN\r\n", "too long for the line");
    c.receive(now, b"+ \r\n").unwrap();
    let answer = sent(&mut c);
    assert!(answer.len() > 255 && answer.ends_with(b"\r\n"));

    let mut c = connect(b"+OK\r\nUSER\r\n.\r\n");
    c.authenticate(Box::new(Plain::new("tim", "t").unwrap()))
        .unwrap();
    assert_eq!(sent(&mut c), b"AUTH PLAIN\r\n", "R50: SASL not advertised");

    // A bad challenge is answered with `*`; the -ERR ends the login.
    let mut c = connect(b"+OK\r\nSASL SCRAM-SHA-256\r\n.\r\n");
    let login = c
        .authenticate(Box::new(
            ScramClient::new(ScramHash::Sha256, "u", "p", "n", ChannelBinding::None).unwrap(),
        ))
        .unwrap();
    let _ = sent(&mut c);
    c.receive(now, b"+ =AAA\r\n").unwrap();
    assert_eq!(sent(&mut c), b"*\r\n");
    c.receive(now, b"-ERR cancelled\r\n").unwrap();
    assert!(matches!(
        events(&mut c)[..],
        [Event::Done { handle, result: Err(Failure::Sasl(_)) }] if handle == login
    ));
    assert_eq!(c.state(), SessionState::Authorization);
}

/// A refused CAPA is not an error of the session; capabilities are
/// then empty. A -ERR greeting closes with its code (R16).
#[test]
fn capa_refused_and_greeting_refused() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    let h = c.capa().unwrap();
    c.receive(now, b"-ERR what\r\n").unwrap();
    let evs = events(&mut c);
    assert!(matches!(
        &evs[1],
        Event::Done { handle, result: Err(Failure::Refused(_)) } if *handle == h
    ));
    assert_eq!(c.capabilities().map(|c| c.is_empty()), Some(true));
    assert_eq!(c.state(), SessionState::Authorization);

    let mut c = Client::new(lax(), now);
    c.receive(now, b"-ERR [SYS/TEMP] try later\r\n").unwrap();
    let evs = events(&mut c);
    let [Event::Closed(CloseReason::Refused(status))] = &evs[..] else {
        panic!("{evs:?}")
    };
    assert_eq!(status.code().map(|c| c.kind()), Some(RespCodeKind::SysTemp));
}
