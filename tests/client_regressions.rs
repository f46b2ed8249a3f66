//! Regressions found in review of the client machine: each test is a
//! defect a caller or a hostile server could hit, kept so it stays fixed.

mod client_support;

use bytes::{Bytes, BytesMut};
use client_support::{events, logged_in, sent};
use pop3_proto::client::{
    Client, CloseReason, Deadline, Event, Failure, LocalError, Options, Reply,
};
use pop3_proto::sasl::client::{ClientMechanism, Login, Plain};
use pop3_proto::state::SessionState;
use pop3_proto::time::Instant;
use pop3_proto::types::CommandKind;
use std::time::Duration;

/// A client that may log in over plaintext, as the tests do.
fn lax() -> Options {
    Options::default()
        .with_allow_plaintext_login(true)
        .with_allow_apop(true)
}

fn timeouts(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| matches!(e, Event::Timeout(_) | Event::Closed(_)))
        .collect()
}

/// SPEC S14: the reply deadline counts from when the command goes out,
/// not from the last byte received before it was queued. A user who takes
/// two minutes to type a password, or a NOOP sent on `Deadline::Idle` (the
/// documented use of the idle timer), must not find the reply "late" at
/// once.
#[test]
fn s14_a_command_queued_after_a_pause_gets_its_whole_reply_deadline() {
    let t = Instant::from_millis;
    let options = lax()
        .with_reply_timeout(Some(Duration::from_secs(5)))
        .with_idle_timeout(None);
    let mut c = Client::new(options.clone(), t(0));
    c.receive(t(0), b"+OK\r\n").unwrap();
    let _ = events(&mut c);
    // Two minutes later, with no call in between (no deadline was set).
    assert_eq!(c.poll_timeout(), None);
    c.login("u", "p").unwrap();
    assert_eq!(sent(&mut c), b"USER u\r\n");
    // The caller's loop: sleep until the deadline (or not at all if it is
    // past), then hand the time in.
    let now = t(120_000);
    if c.poll_timeout().is_some_and(|at| at <= now) {
        c.handle_timeout(now);
    }
    assert_eq!(timeouts(&events(&mut c)), Vec::<&Event>::new());
    assert_eq!(c.poll_timeout(), Some(t(125_000)));
    c.handle_timeout(t(124_999));
    assert_eq!(timeouts(&events(&mut c)), Vec::<&Event>::new());
    // A server that stays silent still times out, 5 s after.
    c.handle_timeout(t(125_000));
    assert_eq!(
        events(&mut c).last(),
        Some(&Event::Closed(CloseReason::Timeout(Deadline::Reply)))
    );

    // NOOP on the idle deadline.
    let options = options.with_idle_timeout(Some(Duration::from_secs(300)));
    let mut c = Client::new(options, t(0));
    c.receive(t(0), b"+OK\r\n").unwrap();
    c.login("u", "p").unwrap();
    c.receive(t(10), b"+OK\r\n").unwrap();
    c.receive(t(20), b"+OK\r\n").unwrap();
    let _ = events(&mut c);
    assert_eq!(c.poll_timeout(), Some(t(300_020)));
    c.handle_timeout(t(300_020));
    assert_eq!(events(&mut c), [Event::Timeout(Deadline::Idle)]);
    let noop = c.noop().unwrap();
    let _ = sent(&mut c);
    let now = t(300_021);
    if c.poll_timeout().is_some_and(|at| at <= now) {
        c.handle_timeout(now);
    }
    assert_eq!(timeouts(&events(&mut c)), Vec::<&Event>::new());
    c.receive(t(301_000), b"+OK\r\n").unwrap();
    assert!(matches!(
        events(&mut c)[..],
        [Event::Done { handle, result: Ok(Reply::Ok(_)) }] if handle == noop
    ));
}

/// `Event::Closed` says nothing follows, so nothing may be sent after
/// it: a SASL answer (here PLAIN's credentials) written for a challenge
/// whose read then broke the protocol, or a command queued before the
/// caller's `close()`, must not go out.
#[test]
fn nothing_is_sent_after_closed() {
    let now = Instant::ZERO;
    let mut c = Client::new_tls(Options::default(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    c.authenticate(Box::new(Plain::new("tim", "tanstaaf").unwrap()))
        .unwrap();
    assert_eq!(sent(&mut c), b"AUTH PLAIN\r\n", "no SASL seen: two steps");
    // The empty challenge and a broken line in one read.
    c.receive(now, b"+ \r\n\x01garbage\r\n").unwrap();
    assert!(matches!(
        events(&mut c).last(),
        Some(Event::Closed(CloseReason::Protocol(_)))
    ));
    assert_eq!(c.poll_transmit(), None, "the credentials stay here");

    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    c.quit().unwrap();
    c.close();
    assert!(matches!(
        events(&mut c).last(),
        Some(Event::Closed(CloseReason::Local))
    ));
    assert_eq!(c.poll_transmit(), None);
    let mut out = Vec::new();
    assert_eq!(c.transmit_into(&mut out), 0);
}

/// `transmit_into` with a buffer of fixed size (a slice, as a no_std
/// caller has) takes what fits and keeps the rest, instead of panicking
/// in `BufMut::put_slice`.
#[test]
fn transmit_into_a_small_buffer_does_not_panic() {
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK\r\n").unwrap();
    c.login("someone", "p").unwrap();
    let mut wire = Vec::new();
    let mut buf = [0u8; 4];
    loop {
        let mut out = &mut buf[..];
        let n = c.transmit_into(&mut out);
        if n == 0 {
            break;
        }
        wire.extend_from_slice(&buf[..n]);
    }
    assert_eq!(wire, b"USER someone\r\n");
    assert_eq!(c.poll_transmit(), None);
}

/// RFC 5034 §4, SPEC R55, S11: once the client has cancelled with `*`, it
/// stays cancelled. A server that goes on with challenges gets `*` again,
/// not LOGIN's user name and password or PLAIN's withheld initial
/// response; and a `+OK` to a cancelled exchange is not a login.
#[test]
fn a_cancelled_auth_stays_cancelled() {
    let now = Instant::ZERO;
    let start = |mechanism: Box<dyn ClientMechanism + Send>| {
        let mut c = Client::new_tls(Options::default(), now);
        c.receive(now, b"+OK\r\n").unwrap();
        let h = c.authenticate(mechanism).unwrap();
        let _ = sent(&mut c);
        let _ = events(&mut c);
        (c, h)
    };
    let (mut c, login) = start(Box::new(Login::new("tim", "secret").unwrap()));
    c.receive(now, b"+ =bad\r\n").unwrap();
    assert_eq!(sent(&mut c), b"*\r\n", "R55");
    c.receive(now, b"+ VXNlcm5hbWU6\r\n").unwrap();
    assert_eq!(sent(&mut c), b"*\r\n", "not the user name");
    c.receive(now, b"+ UGFzc3dvcmQ6\r\n").unwrap();
    assert_eq!(sent(&mut c), b"*\r\n", "not the password");
    c.receive(now, b"+OK welcome\r\n").unwrap();
    let evs = events(&mut c);
    assert!(
        matches!(
            &evs[..],
            [
                Event::Done { handle, result: Err(Failure::Sasl(_)) },
                Event::Closed(CloseReason::ServerNotVerified),
            ] if *handle == login
        ),
        "{evs:?}"
    );

    // PLAIN in two steps (no SASL capability seen): the withheld initial
    // response is not sent after the `*`.
    let (mut c, _) = start(Box::new(Plain::new("tim", "secret").unwrap()));
    c.receive(now, b"+ =x\r\n").unwrap();
    assert_eq!(sent(&mut c), b"*\r\n");
    c.receive(now, b"+ \r\n").unwrap();
    assert_eq!(sent(&mut c), b"*\r\n", "not the credentials");
    c.receive(now, b"-ERR cancelled\r\n").unwrap();
    assert!(matches!(
        events(&mut c)[..],
        [Event::Done {
            result: Err(Failure::Sasl(_)),
            ..
        }]
    ));
}

/// SPEC S8, RFC 1939 §5: STAT and LIST leave out the messages marked as
/// deleted, so a DELE (or an RSET) between them makes the STAT stale: a
/// LIST after it is not a disagreement to warn about.
#[test]
fn s8_no_stat_list_warning_across_dele_or_rset() {
    let now = Instant::ZERO;
    let mut c = logged_in(lax());
    c.stat().unwrap();
    c.receive(now, b"+OK 2 320\r\n").unwrap();
    c.dele(pop3_proto::types::MsgNumber::ONE).unwrap();
    c.receive(now, b"+OK message 1 deleted\r\n").unwrap();
    c.list(None).unwrap();
    c.receive(now, b"+OK\r\n2 200\r\n.\r\n").unwrap();
    c.rset().unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    c.list(None).unwrap();
    c.receive(now, b"+OK\r\n1 120\r\n2 200\r\n.\r\n").unwrap();
    let evs = events(&mut c);
    assert!(
        !evs.iter().any(|e| matches!(e, Event::Warning(_))),
        "{evs:?}"
    );
    // A STAT after the DELE is checked again.
    c.dele(pop3_proto::types::MsgNumber::ONE).unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    c.stat().unwrap();
    c.receive(now, b"+OK 1 200\r\n").unwrap();
    c.list(None).unwrap();
    c.receive(now, b"+OK\r\n2 201\r\n.\r\n").unwrap();
    assert!(
        events(&mut c)
            .iter()
            .any(|e| matches!(e, Event::Warning(_)))
    );
}

/// A malformed `-ERR` to STLS fails the STLS with what was wrong
/// (`Failure::Protocol`), not with `Failure::Closed` ("the session ended
/// before the reply") while the session goes on.
#[test]
fn a_malformed_stls_refusal_is_a_protocol_failure() {
    let now = Instant::ZERO;
    for reply in [
        b"-ERR \0\r\n".to_vec(),
        [&b"-ERR "[..], &[b'x'; 600], b"\r\n"].concat(),
    ] {
        let mut c = Client::new(Options::default(), now);
        c.receive(now, b"+OK\r\n").unwrap();
        let stls = c.stls().unwrap();
        let _ = events(&mut c);
        c.receive(now, &reply).unwrap();
        let evs = events(&mut c);
        assert!(
            matches!(
                &evs[..],
                [Event::Done { handle, result: Err(Failure::Protocol(e)) }]
                    if *handle == stls && e.command() == Some(CommandKind::Stls)
            ),
            "{evs:?}"
        );
        assert_eq!(c.state(), SessionState::Authorization);
    }
}

/// Queueing a RETR for every message of a large maildrop (SPEC §7.16,
/// as examples/fetch does) costs time linear in the count: queueing a
/// command does not scan everything queued before it.
#[test]
fn queueing_many_commands_is_linear() {
    let mut c = logged_in(lax());
    let count = 100_000u32;
    let started = std::time::Instant::now();
    for i in 1..=count {
        c.retr(pop3_proto::types::MsgNumber::new(i).unwrap())
            .unwrap();
    }
    let elapsed = started.elapsed();
    // Linear: well under a second even unoptimized; the quadratic scan
    // took many seconds.
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    c.quit().unwrap();
    assert!(c.noop().is_err(), "nothing after QUIT");
}

/// SPEC S4: a login queued behind STLS goes out over TLS, so it must not
/// be built from what the plaintext session taught (an attacker can have
/// written it): not the greeting's APOP timestamp, not `UTF8 USER`, not
/// the SASL capability that puts the initial response on the AUTH line.
#[test]
fn s4_a_login_queued_behind_stls_uses_nothing_from_plaintext() {
    let now = Instant::ZERO;
    let start = || {
        let mut c = Client::new(lax(), now);
        c.receive(now, b"+OK ready <1.2@host>\r\n").unwrap();
        c.capa().unwrap();
        c.receive(now, b"+OK\r\nSTLS\r\nSASL PLAIN\r\nUTF8 USER\r\n.\r\n")
            .unwrap();
        c.stls().unwrap();
        assert_eq!(sent(&mut c), b"CAPA\r\nSTLS\r\n");
        c
    };
    let mut c = start();
    assert_eq!(c.apop("u", "p"), Err(LocalError::ApopUnavailable));
    assert_eq!(c.login("j\u{f6}rg", "p"), Err(LocalError::Utf8NotOffered));
    c.authenticate(Box::new(Plain::new("tim", "t").unwrap()))
        .unwrap();
    c.receive(now, b"+OK begin TLS\r\n").unwrap();
    assert_eq!(sent(&mut c), b"");
    c.tls_established(now).unwrap();
    assert_eq!(
        sent(&mut c),
        b"AUTH PLAIN\r\n",
        "no IR: SASL unknown over TLS"
    );

    // In flight rather than queued: the same.
    let mut c = start();
    c.receive(now, b"+OK begin TLS\r\n").unwrap();
    assert_eq!(c.apop("u", "p"), Err(LocalError::NeedsTls), "handshake");
}

/// SPEC S2: when the plaintext after the STLS `+OK` arrives in the same
/// read, the session is over before the caller hears of TLS: no
/// `Event::StartTls` asks it to start a handshake with the injector.
#[test]
fn s2_no_start_tls_for_a_session_closed_by_injection() {
    let now = Instant::ZERO;
    for reply in [
        &b"+OK Begin TLS\r\n+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n"[..],
        b"+OK Begin TLS\r\n+",
    ] {
        let mut c = Client::new(Options::default(), now);
        c.receive(now, b"+OK\r\n").unwrap();
        let stls = c.stls().unwrap();
        let _ = sent(&mut c);
        let _ = events(&mut c);
        c.receive(now, reply).unwrap();
        let evs = events(&mut c);
        assert!(
            matches!(
                &evs[..],
                [
                    Event::Done { handle, result: Err(Failure::Closed) },
                    Event::Closed(CloseReason::Protocol(_)),
                ] if *handle == stls
            ),
            "{evs:?}"
        );
    }
}

/// RFC 1939 §6, SPEC R33: a `-ERR` to QUIT in UPDATE says the deletions
/// failed ("some deleted messages not removed"): the session did not end
/// normally, and `CloseReason::is_clean` (what both examples trust) must
/// say so; a QUIT reply that cannot be read is no clean end either.
#[test]
fn a_refused_quit_is_not_a_clean_end() {
    let now = Instant::ZERO;
    for reply in [
        &b"-ERR some deleted messages not removed\r\n"[..],
        b"-ERR \0\r\n",
    ] {
        let mut c = Client::new(lax(), now);
        c.receive(now, b"+OK\r\n").unwrap();
        c.login("u", "p").unwrap();
        c.receive(now, b"+OK\r\n").unwrap();
        c.receive(now, b"+OK\r\n").unwrap();
        c.dele(pop3_proto::types::MsgNumber::ONE).unwrap();
        c.receive(now, b"+OK\r\n").unwrap();
        let quit = c.quit().unwrap();
        let _ = events(&mut c);
        c.receive(now, reply).unwrap();
        let evs = events(&mut c);
        let [
            Event::Done {
                handle,
                result: Err(_),
            },
            Event::Closed(reason),
        ] = &evs[..]
        else {
            panic!("{evs:?}")
        };
        assert_eq!(*handle, quit);
        assert!(!reason.is_clean(), "{reason:?}");
    }
}

/// A user name or password the protocol cannot carry (a space in the
/// name, CR LF, NUL, empty) is refused for what it is, not as a line
/// "longer than 255 octets"; nothing is queued or sent.
#[test]
fn invalid_credentials_are_not_reported_as_too_long() {
    use pop3_proto::types::ValueError;
    let now = Instant::ZERO;
    let mut c = Client::new(lax(), now);
    c.receive(now, b"+OK <1.2@host>\r\n").unwrap();
    let invalid = |r: Result<_, LocalError>| matches!(r, Err(LocalError::InvalidArgument(_)));
    assert!(invalid(c.login("a b", "p")));
    assert_eq!(
        c.login("", "p"),
        Err(LocalError::InvalidArgument(ValueError::Empty))
    );
    assert!(invalid(c.login("u", "p\r\nDELE 1")));
    assert!(invalid(c.apop("a\0b", "p")));
    // Too long is still too long.
    assert!(matches!(
        c.login("u".repeat(300), "p"),
        Err(LocalError::LineTooLong(_))
    ));
    assert_eq!(sent(&mut c), b"");
    c.login("u", "p").unwrap();
    assert_eq!(sent(&mut c), b"USER u\r\n");
}

// Found by the client fuzz target's author, fixed since.

/// A client in TRANSACTION with `RETR 1` answered `+OK`: what comes next
/// is message data.
fn in_a_message() -> pop3_proto::client::Client {
    let now = Instant::ZERO;
    let mut c = logged_in(pop3_proto::client::Options::default().with_allow_plaintext_login(true));
    c.retr(pop3_proto::types::MsgNumber::ONE).unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    while c.poll_event().is_some() {}
    c
}

/// Where the bytes of `data` are, as addresses.
fn addresses(data: &[u8]) -> core::ops::Range<usize> {
    let start = data.as_ptr() as usize;
    start..start + data.len()
}

/// The data pieces of the events, each with whether it lies in `fed`.
fn pieces_in(
    c: &mut pop3_proto::client::Client,
    fed: &core::ops::Range<usize>,
) -> Vec<(Vec<u8>, bool)> {
    core::iter::from_fn(|| c.poll_event())
        .filter_map(|e| match e {
            Event::Data { data, .. } => {
                let inside = fed.contains(&(data.as_ptr() as usize));
                Some((data.to_vec(), inside))
            }
            _ => None,
        })
        .collect()
}

/// `receive_bytes` promises that "message pieces are cut out of `data`"
/// when nothing is left over from before. That holds for a `Bytes` that
/// owns its buffer alone; for one that shares it (a slice of a bigger
/// `Bytes`, or `BytesMut::split().freeze()` while the `BytesMut` lives on,
/// the usual read loop) `BytesMut::from(Bytes)` copies it, and the pieces
/// are cut out of the copy (one allocation and one copy per read; see
/// BENCHMARKS.md, `client_bytes_shared_16KiB`).
#[test]
fn receive_bytes_does_not_copy_a_shared_bytes() {
    let wire = b"hello world\r\nmore\r\n";

    // Owning its buffer alone: zero-copy, as documented.
    let mut c = in_a_message();
    let data = Bytes::from(wire.to_vec());
    let fed = addresses(&data);
    c.receive_bytes(Instant::ZERO, data).unwrap();
    assert_eq!(pieces_in(&mut c, &fed), [(wire.to_vec(), true)], "unique");

    // A slice of a bigger Bytes.
    let mut c = in_a_message();
    let whole = Bytes::from([&b"xxxx"[..], wire].concat());
    let data = whole.slice(4..);
    let fed = addresses(&data);
    c.receive_bytes(Instant::ZERO, data).unwrap();
    assert_eq!(
        pieces_in(&mut c, &fed),
        [(wire.to_vec(), true)],
        "a slice of a shared Bytes"
    );

    // The read loop's split().freeze(), the BytesMut kept for the next read.
    let mut c = in_a_message();
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(wire);
    let data = buf.split().freeze();
    let fed = addresses(&data);
    c.receive_bytes(Instant::ZERO, data).unwrap();
    assert_eq!(
        pieces_in(&mut c, &fed),
        [(wire.to_vec(), true)],
        "split().freeze()"
    );
    drop(buf);
}

/// `handle_timeout` passes time in, but commands queued after it start
/// their reply deadline from the last `receive` instead. So the NOOP that `Options::idle_timeout` suggests sending when
/// `Deadline::Idle` fires gets a deadline already past, and the next
/// `handle_timeout` at the same instant ends the session with
/// `Timeout(Reply)`, the NOOP barely sent. Shown by the `client` fuzz
/// target's deadline invariant (`poll_timeout` at or before the latest time
/// passed in) on its seed `idle_noop`. Now `handle_timeout` counts as an
/// input of time, and a command's deadline is anchored by the next call
/// that passes time in (`poll_timeout` asks for one at once).
#[test]
fn a_command_after_an_idle_timeout_gets_a_deadline_from_now() {
    use pop3_proto::client::Deadline;
    use std::time::Duration;

    let t = Instant::from_millis;
    let options = pop3_proto::client::Options::default()
        .with_allow_plaintext_login(true)
        .with_idle_timeout(Some(Duration::from_secs(90)))
        .with_reply_timeout(Some(Duration::from_secs(60)));
    let mut c = pop3_proto::client::Client::new(options, t(0));
    c.receive(t(0), b"+OK ready\r\n").unwrap();
    c.login("u", "p").unwrap();
    c.receive(t(0), b"+OK\r\n").unwrap();
    c.receive(t(0), b"+OK logged in\r\n").unwrap();
    assert_eq!(&c.poll_transmit().unwrap()[..], b"USER u\r\nPASS p\r\n");
    while c.poll_event().is_some() {}
    assert_eq!(c.poll_timeout(), Some(t(90_000)), "idle");
    c.handle_timeout(t(90_000));
    assert_eq!(c.poll_event(), Some(Event::Timeout(Deadline::Idle)));
    c.noop().unwrap();
    assert_eq!(&c.poll_transmit().unwrap()[..], b"NOOP\r\n");
    assert!(
        c.poll_timeout() <= Some(t(90_000)),
        "asks for the time the NOOP went out"
    );
    c.handle_timeout(t(90_000));
    assert_eq!(c.poll_event(), None, "nothing is due yet");
    assert_eq!(
        c.poll_timeout(),
        Some(t(150_000)),
        "the reply deadline counts from when the NOOP went out"
    );
}
