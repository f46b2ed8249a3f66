//! The client against the real-server quirks of SPEC §7, each replayed
//! from the bytes the server sends, with the leniency option it needs.

mod client_support;

use client_support::{events, log_in, merge_data, run, sent, step};
use pop3_proto::client::{Client, CloseReason, Deadline, Event, Failure, Options, Reply};
use pop3_proto::codec::ResponseOptions;
use pop3_proto::sasl::client::Plain;
use pop3_proto::time::Instant;
use pop3_proto::types::{Capability, Entry, ExpirePolicy, MsgNumber};
use std::time::Duration;

fn n(v: u32) -> MsgNumber {
    MsgNumber::new(v).unwrap()
}

fn lax() -> Options {
    Options::default().with_allow_plaintext_login(true)
}

fn body(events: &[Event]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Data { data, .. } => Some(data.to_vec()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn results(events: &[Event]) -> Vec<&Result<Reply, Failure>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Done { result, .. } => Some(result),
            _ => None,
        })
        .collect()
}

/// §7.1: Mailtrap ends every line with a bare LF. With `bare_lf` the
/// whole session reads; without it the first reply is refused.
#[test]
fn quirk_1_bare_lf_everywhere() {
    let lenient = lax().with_response(ResponseOptions::default().with_bare_lf(true));
    for chunk in [0, 1, 4] {
        let (_, evs) = run(
            lenient.clone(),
            b"+OK Mailtrap POP3 ready\n",
            |c| {
                c.login("u", "p").unwrap();
                c.list(None).unwrap();
                c.retr(n(1)).unwrap();
            },
            &[
                step(b"USER u\r\n", b"+OK\n"),
                step(b"PASS p\r\n", b"+OK\n"),
                step(b"LIST\r\n", b"+OK\n1 12\n.\n"),
                step(b"RETR 1\r\n", b"+OK\nSubject: x\n\n..a\nb\n.\n"),
            ],
            chunk,
        );
        assert!(results(&evs).iter().all(|r| r.is_ok()), "{evs:?}");
        assert_eq!(body(&evs), b"Subject: x\n\n.a\nb\n");
    }
    let now = Instant::ZERO;
    let mut strict = Client::new(lax(), now);
    strict.receive(now, b"+OK Mailtrap POP3 ready\n").unwrap();
    assert!(matches!(
        events(&mut strict).last(),
        Some(Event::Closed(CloseReason::Protocol(_)))
    ));
}

/// §7.1: MailKit accepts `.` LF as the terminator after a CRLF body.
#[test]
fn quirk_1_dot_lf_terminator() {
    let lenient = lax().with_response(ResponseOptions::default().with_bare_lf_terminator(true));
    let now = Instant::ZERO;
    let mut c = Client::new(lenient, now);
    c.receive(now, b"+OK\r\n").unwrap();
    log_in(&mut c);
    c.retr(n(1)).unwrap();
    c.receive(now, b"+OK\r\nline\r\n.\n").unwrap();
    let evs = merge_data(events(&mut c));
    assert_eq!(body(&evs), b"line\r\n");
    assert!(matches!(results(&evs)[..], [Ok(Reply::Ok(_))]));
}

/// §7.3: Exchange 2000 glues the `.` to the last line. That cannot be
/// told from content, so the message never ends: the reply deadline
/// ends the wait, and the message is an error, never a short one.
#[test]
fn quirk_3_glued_terminator_times_out_not_short() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax().with_reply_timeout(Some(Duration::from_secs(30))), now);
    c.receive(now, b"+OK\r\n").unwrap();
    log_in(&mut c);
    c.retr(n(1)).unwrap();
    c.receive(now, b"+OK\r\nlast line.\r\n").unwrap();
    let _ = events(&mut c);
    c.handle_timeout(Instant::ZERO + Duration::from_secs(30));
    let evs = events(&mut c);
    assert!(matches!(results(&evs)[..], [Err(Failure::Closed)]));
    assert_eq!(
        evs.last(),
        Some(&Event::Closed(CloseReason::Timeout(Deadline::Reply)))
    );
}

/// §7.4: sizes are not to be trusted; the client frames by the
/// terminator only, and the whole message arrives.
#[test]
fn quirk_4_sizes_lie_framing_does_not() {
    let message = "x".repeat(1000) + "\r\n";
    let (_, evs) = run(
        lax(),
        b"+OK\r\n",
        |c| {
            c.login("u", "p").unwrap();
            c.list(Some(n(1))).unwrap();
            c.retr(n(1)).unwrap();
        },
        &[
            step(b"USER u\r\n", b"+OK\r\n"),
            step(b"PASS p\r\n", b"+OK\r\n"),
            step(b"LIST 1\r\n", b"+OK 1 10\r\n"),
            step(
                b"RETR 1\r\n",
                format!("+OK 10 octets\r\n{message}.\r\n").as_bytes(),
            ),
        ],
        7,
    );
    assert_eq!(body(&evs), message.as_bytes());
}

/// §7.6: Gmail adds PIPELINING after login (MailKit's gmail capa1/capa2):
/// the client forgets the first CAPA at login, asks again, and pipelines
/// from then on. It never depended on SASL, which Gmail drops.
#[test]
fn quirk_6_capabilities_change_after_login() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK Gpop ready for requests from 1.2.3.4 abc\r\n")
        .unwrap();
    c.capa().unwrap();
    c.receive(
        now,
        b"+OK Capability list follows\r\nUSER\r\nRESP-CODES\r\nEXPIRE 0\r\nLOGIN-DELAY 300\r\nTOP\r\nUIDL\r\nX-GOOGLE-RICO\r\nSASL PLAIN XOAUTH2 OAUTHBEARER\r\n.\r\n",
    )
    .unwrap();
    let caps = c.capabilities().unwrap();
    assert!(!caps.pipelining());
    assert_eq!(caps.expire(), Some((ExpirePolicy::Days(0), false)));
    assert_eq!(caps.login_delay(), Some((300, false)));
    let _ = sent(&mut c);
    log_in(&mut c);
    assert!(c.capabilities().is_none(), "forgotten at login");
    c.capa().unwrap();
    c.receive(
        now,
        b"+OK Capability list follows\r\nUSER\r\nRESP-CODES\r\nEXPIRE 0\r\nLOGIN-DELAY 300\r\nTOP\r\nUIDL\r\nX-GOOGLE-RICO\r\nPIPELINING\r\n.\r\n",
    )
    .unwrap();
    assert!(c.capabilities().unwrap().pipelining());
    assert_eq!(c.capabilities().unwrap().sasl(), None, "SASL dropped");
    let _ = sent(&mut c);
    c.stat().unwrap();
    c.uidl(None).unwrap();
    assert_eq!(sent(&mut c), b"STAT\r\nUIDL\r\n", "pipelined now");
}

/// §7.7: non-standard CAPA lines (MailKit's comcast fixtures, Zimbra,
/// Cyrus's split IMPLEMENTATION) read as capabilities.
#[test]
fn quirk_7_non_standard_capa_lines() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    c.capa().unwrap();
    c.receive(
        now,
        b"+OK\r\nXOIP\r\nSASL PLAIN X-ZIMBRA\r\nEXPIRE 31 USER\r\nIMPLEMENTATION ZimbraInc\r\nIMPLEMENTATION Cyrus POP3 v2.3.16\r\nX-GOOGLE-RICO\r\n.\r\n",
    )
    .unwrap();
    let evs = events(&mut c);
    assert!(matches!(results(&evs)[..], [Ok(Reply::Capabilities(_))]));
    let caps = c.capabilities().unwrap();
    assert!(caps.has("XOIP") && caps.has("x-google-rico"));
    assert_eq!(caps.sasl().map(<[_]>::len), Some(2));
    assert_eq!(caps.expire(), Some((ExpirePolicy::Days(31), true)));
    assert_eq!(
        caps.implementation()
            .and_then(|t| t.to_str())
            .map(str::to_owned),
        Some("ZimbraInc".to_owned()),
        "the first line counts"
    );
    assert!(caps.iter().any(|c| matches!(c, Capability::Other(_))));
}

/// §7.8: Exchange sends a bare `+` for the empty challenge.
#[test]
fn quirk_8_bare_plus_challenge() {
    let now = Instant::ZERO;
    let mut c = Client::new_tls(Options::default(), now);
    c.receive(
        now,
        b"+OK The Microsoft Exchange POP3 service is ready.\r\n",
    )
    .unwrap();
    c.authenticate(Box::new(Plain::new("tim", "tanstaaf").unwrap()))
        .unwrap();
    assert_eq!(sent(&mut c), b"AUTH PLAIN\r\n");
    c.receive(now, b"+\r\n").unwrap();
    assert_eq!(sent(&mut c), b"AHRpbQB0YW5zdGFhZg==\r\n");
    c.receive(now, b"+OK User successfully authenticated.\r\n")
        .unwrap();
    assert!(matches!(
        results(&events(&mut c))[..],
        [Ok(Reply::LoggedIn(_))]
    ));
}

/// §7.9: a greeting with a response code (Dovecot's `[XCLIENT]`), and
/// an APOP timestamp in the middle of the text.
#[test]
fn quirk_9_greeting_codes_and_timestamps() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK [XCLIENT] Dovecot (Debian) ready.\r\n")
        .unwrap();
    assert!(matches!(events(&mut c)[..], [Event::Greeting(_)]));
    assert!(c.apop_timestamp().is_none());
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK POP3 <3.1.4@pop.example> server ready\r\n")
        .unwrap();
    assert_eq!(
        c.apop_timestamp().map(|t| t.as_str().to_owned()),
        Some("<3.1.4@pop.example>".to_owned())
    );
    // Outlook.com's `[UwBH…]` after the text is no timestamp (R20).
    let mut c = Client::new(lax(), now);
    c.receive(
        now,
        b"+OK The Microsoft Exchange POP3 service is ready. [UwBIADEAUABSADAA]\r\n",
    )
    .unwrap();
    assert!(c.apop_timestamp().is_none());
}

/// §7.11: Office 365's empty lines before a reply, with
/// `skip_empty_lines`.
#[test]
fn quirk_11_empty_lines_before_replies() {
    let lenient = lax().with_response(ResponseOptions::default().with_skip_empty_lines(true));
    let (_, evs) = run(
        lenient,
        b"+OK\r\n",
        |c| {
            c.login("u", "p").unwrap();
            c.stat().unwrap();
        },
        &[
            step(b"USER u\r\n", b"\r\n+OK\r\n"),
            step(b"PASS p\r\n", b"+OK\r\n"),
            step(b"STAT\r\n", b"\r\n\r\n+OK 1 2\r\n"),
        ],
        1,
    );
    assert!(matches!(
        results(&evs)[..],
        [Ok(Reply::LoggedIn(_)), Ok(Reply::Stat(_))]
    ));
}

/// §7.12, §7.13: a 640 KB body line and NULs in a body come through as
/// they are.
#[test]
fn quirk_12_13_long_lines_and_nuls_in_bodies() {
    let long = vec![b'a'; 640 * 1024];
    let message = [&long[..], b"\r\n\0nul\0\r\n"].concat();
    let wire = [&b"+OK\r\n"[..], &message, b".\r\n"].concat();
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    log_in(&mut c);
    c.retr(n(1)).unwrap();
    for piece in wire.chunks(4096) {
        c.receive(now, piece).unwrap();
        assert!(c.buffered() <= 4096, "a long line is not held whole");
    }
    let evs = merge_data(events(&mut c));
    assert_eq!(body(&evs), message);
}

/// §7.16: a very large maildrop streams: a 200,000-entry UIDL listing
/// costs the client no memory beyond a line, and a 64 MB message no
/// more than a read.
#[test]
fn quirk_16_large_maildrops_stream() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    log_in(&mut c);
    c.uidl(None).unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    let mut entries = 0u64;
    let mut batch = Vec::new();
    for i in 1..=200_000u32 {
        batch.extend_from_slice(format!("{i} uid-{i:08x}\r\n").as_bytes());
        if batch.len() > 60_000 || i == 200_000 {
            c.receive(now, &batch).unwrap();
            batch.clear();
            assert!(c.buffered() < 64);
            for e in events(&mut c) {
                if let Event::Entry {
                    entry: Entry::Uid(_),
                    ..
                } = e
                {
                    entries += 1;
                }
            }
        }
    }
    c.receive(now, b".\r\n").unwrap();
    assert_eq!(entries, 200_000);
    assert!(matches!(results(&events(&mut c))[..], [Ok(Reply::Ok(_))]));

    c.retr(n(1)).unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    let chunk = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n".repeat(1024);
    let mut total = 0usize;
    let reads = 64 * 1024 * 1024 / chunk.len();
    for _ in 0..reads {
        c.receive_bytes(now, bytes::Bytes::from(chunk.clone()))
            .unwrap();
        assert!(c.buffered() < 8, "{}", c.buffered());
        for e in events(&mut c) {
            if let Event::Data { data, .. } = e {
                total += data.len();
            }
        }
    }
    c.receive(now, b".\r\n").unwrap();
    assert_eq!(total, reads * chunk.len());
    assert!(total > 64_000_000);
    assert!(matches!(results(&events(&mut c))[..], [Ok(Reply::Ok(_))]));
}
