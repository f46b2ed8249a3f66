//! The sans-IO server alone: RFC example sessions from the server side,
//! the state table, the maildrop rules, streamed content, UPDATE,
//! deadlines and back-pressure. IDs are SPEC.md's.

// Tests change the one field of the default application they are about.
#![allow(clippy::field_reassign_with_default)]

mod server_support;

use pop3_proto::apop;
use pop3_proto::server::{CloseReason, Options, Server};
use pop3_proto::time::Instant;
use pop3_proto::types::{CommandKind, Timestamp};
use server_support::{App, RANDOM, Session, options};
use std::time::Duration;

fn logged_in() -> Session {
    let mut s = Session::new(options()).greeted();
    s.log_in();
    s.out.clear();
    s
}

#[test]
fn greeting_is_one_positive_line_r16() {
    let s = Session::new(Options::default());
    assert_eq!(s.out, b"+OK POP3 server ready\r\n");
    assert_eq!(s.server.apop_timestamp(), None);
}

/// V1, RFC 1939 §10, from the server's side: APOP, STAT, LIST, RETR,
/// DELE, QUIT with UPDATE. The timestamp is this server's, made of the
/// connection's random bytes and the host name.
#[test]
fn rfc1939_example_session_v1() {
    let opts = options()
        .with_apop(true)
        .with_hostname("dbc.mtview.ca.us")
        .unwrap();
    let mut app = App::default();
    app.users = vec![("mrose".into(), "tanstaaf".into())];
    app.messages = vec![vec![b'a'; 118], vec![b'b'; 198]]
        .into_iter()
        .map(|mut m| {
            m.extend_from_slice(b"\r\n");
            m
        })
        .collect();
    let mut s = Session::with_app(opts, app);
    let greeting = String::from_utf8(s.out.clone()).unwrap();
    let ts = "<30313233343536373839616263646566@dbc.mtview.ca.us>";
    assert_eq!(greeting, format!("+OK POP3 server ready {ts}\r\n"));
    let digest = apop::digest(&Timestamp::try_from(ts).unwrap(), b"tanstaaf");
    assert_eq!(
        s.send(format!("APOP mrose {}\r\n", digest.as_str()).as_bytes()),
        "+OK maildrop has 2 messages (320 octets)\r\n"
    );
    assert_eq!(s.send(b"STAT\r\n"), "+OK 2 320\r\n");
    assert_eq!(
        s.send(b"LIST\r\n"),
        "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"
    );
    let retr = s.send(b"RETR 1\r\n");
    assert_eq!(
        retr,
        format!("+OK 120 octets\r\n{}\r\n.\r\n", "a".repeat(118))
    );
    assert_eq!(s.send(b"DELE 1\r\n"), "+OK message 1 deleted\r\n");
    assert!(s.send(b"RETR 2\r\n").starts_with("+OK 200 octets\r\nbbb"));
    assert_eq!(s.send(b"DELE 2\r\n"), "+OK message 2 deleted\r\n");
    assert_eq!(s.send(b"QUIT\r\n"), "+OK POP3 server signing off\r\n");
    assert_eq!(s.app.removed, Some(vec![1, 2]));
    assert_eq!(s.app.closed, Some(CloseReason::Updated { complete: true }));
    assert!(s.app.log.contains(&"auth Apop secret mrose".to_owned()));
}

/// The RFC 1939 single-command examples (V1 table), for a maildrop of two
/// messages of 120 and 200 octets.
#[test]
fn rfc1939_single_commands() {
    let mut app = App::default();
    app.messages = vec![
        [vec![b'x'; 118], b"\r\n".to_vec()].concat(),
        [vec![b'y'; 198], b"\r\n".to_vec()].concat(),
    ];
    let mut s = Session::with_app(options(), app).greeted();
    s.log_in();
    assert_eq!(s.send(b"LIST 2\r\n"), "+OK 2 200\r\n");
    assert_eq!(s.send(b"LIST 3\r\n"), "-ERR no such message\r\n");
    assert_eq!(s.send(b"DELE 2\r\n"), "+OK message 2 deleted\r\n");
    assert_eq!(s.send(b"DELE 2\r\n"), "-ERR message 2 already deleted\r\n");
    assert_eq!(
        s.send(b"RSET\r\n"),
        "+OK maildrop has 2 messages (320 octets)\r\n"
    );
    assert_eq!(s.send(b"TOP 100 3\r\n"), "-ERR no such message\r\n");
    assert_eq!(
        s.send(b"UIDL\r\n"),
        "+OK unique-id listing follows\r\n1 uid-1\r\n2 uid-2\r\n.\r\n"
    );
    assert_eq!(s.send(b"UIDL 2\r\n"), "+OK 2 uid-2\r\n");
    assert_eq!(s.send(b"NOOP\r\n"), "+OK\r\n");
}

#[test]
fn quit_in_authorization_does_not_update() {
    let mut s = Session::new(options()).greeted();
    assert_eq!(s.send(b"QUIT\r\n"), "+OK POP3 server signing off\r\n");
    assert_eq!(s.app.closed, Some(CloseReason::Quit));
    assert!(!CloseReason::Quit.updated());
    assert_eq!(s.app.removed, None);
}

/// R07, R22: every command outside its state gets -ERR and changes
/// nothing; every (state, command) pair.
#[test]
fn state_table_every_pair_r07_r22() {
    let trans_only = [
        "STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL", "UIDL 1",
    ];
    let auth_only = [
        "USER alice",
        "PASS secret",
        "APOP alice 0123456789abcdef0123456789abcdef",
        "AUTH PLAIN",
        "STLS",
        "UTF8",
    ];
    for cmd in trans_only {
        let mut s = Session::new(options().with_max_bad_commands_before_login(100)).greeted();
        let reply = s.send(format!("{cmd}\r\n").as_bytes());
        assert!(reply.starts_with("-ERR"), "{cmd} in AUTHORIZATION: {reply}");
        assert_eq!(
            s.server.state(),
            pop3_proto::state::SessionState::Authorization
        );
        // The session goes on: a login still works.
        s.log_in();
    }
    for cmd in auth_only {
        let mut s = logged_in();
        let reply = s.send(format!("{cmd}\r\n").as_bytes());
        assert!(reply.starts_with("-ERR"), "{cmd} in TRANSACTION: {reply}");
        assert_eq!(s.send(b"STAT\r\n"), "+OK 2 101\r\n", "after {cmd}");
    }
    // Both states: CAPA and QUIT (LANG only when configured, below).
    for cmd in ["CAPA", "QUIT"] {
        assert!(
            Session::new(options())
                .greeted()
                .send(format!("{cmd}\r\n").as_bytes())
                .starts_with("+OK")
        );
        assert!(
            logged_in()
                .send(format!("{cmd}\r\n").as_bytes())
                .starts_with("+OK")
        );
    }
    // Unknown and malformed commands: -ERR, nothing changes.
    let mut s = logged_in();
    for cmd in [
        "FOO", "RETR", "RETR x", "LIST 1 2", "STAT x", "TOP 1", "DELE",
    ] {
        let reply = s.send(format!("{cmd}\r\n").as_bytes());
        assert!(reply.starts_with("-ERR"), "{cmd}: {reply}");
    }
    assert_eq!(s.send(b"STAT\r\n"), "+OK 2 101\r\n");
    let _ = CommandKind::KNOWN;
}

/// Too many bad commands closes: 3 before login, 20 after (Dovecot).
#[test]
fn too_many_bad_commands_close() {
    let mut s = Session::new(options()).greeted();
    assert_eq!(
        s.send(b"FOO\r\nBAR\r\n"),
        "-ERR unknown command\r\n-ERR unknown command\r\n"
    );
    assert_eq!(
        s.send(b"STAT\r\nNOOP\r\n"),
        "-ERR too many bad commands\r\n"
    );
    assert_eq!(s.app.closed, Some(CloseReason::TooManyBadCommands));

    let mut s = logged_in();
    let flood = "FOO\r\n".repeat(19);
    let reply = s.send(flood.as_bytes());
    assert_eq!(reply.matches("-ERR unknown command").count(), 19);
    assert!(s.app.closed.is_none());
    assert_eq!(s.send(b"FOO\r\n"), "-ERR too many bad commands\r\n");
    assert_eq!(s.app.closed, Some(CloseReason::TooManyBadCommands));
}

/// R01: a bare LF gets -ERR and closes; nothing after it runs.
#[test]
fn bare_lf_closes_before_the_next_command_r01() {
    let mut s = logged_in();
    assert_eq!(
        s.send(b"NOOP\nDELE 1\r\n"),
        "-ERR line ends in a bare LF\r\n"
    );
    assert!(matches!(s.app.closed, Some(CloseReason::BadLine(_))));
    assert!(s.server.deleted().next().is_none());
}

/// S6: a megabyte without CRLF, one byte at a time: -ERR and close at the
/// limit, the server holding no more than the limit.
#[test]
fn overlong_line_byte_at_a_time_s6() {
    let mut s = Session::new(options()).greeted();
    let mut peak = 0;
    for _ in 0..1_000_000 {
        if s.app.closed.is_some() {
            break;
        }
        s.server.receive(s.now, b"A").unwrap();
        s.settle();
        peak = peak.max(s.server.memory());
    }
    assert_eq!(s.out, b"-ERR input line too long\r\n");
    assert!(matches!(s.app.closed, Some(CloseReason::BadLine(_))));
    assert!(peak < 4096, "peak memory {peak}");
}

/// S8: numbers are 1*DIGIT, checked, and 0 or >n is -ERR.
#[test]
fn message_numbers_are_checked_s8() {
    let mut s = logged_in();
    for cmd in [
        "RETR 0",
        "RETR -1",
        "RETR +1",
        "RETR 1.0",
        "RETR 4294967296",
        "RETR 99999999999999999999",
        "TOP 1 -5",
        "TOP 1 18446744073709551616",
        "DELE 3",
        "LIST 0",
        "UIDL 4294967295",
    ] {
        let reply = s.send(format!("{cmd}\r\n").as_bytes());
        assert!(reply.starts_with("-ERR"), "{cmd}: {reply}");
    }
    assert!(s.server.deleted().next().is_none());
    assert!(!s.app.log.iter().any(|l| l.starts_with("content")));
}

/// S10: a NUL in a command gets -ERR and the command does not run
/// (Dovecot runs the prefix).
#[test]
fn nul_in_a_command_is_refused_s10() {
    let mut s = logged_in();
    assert!(s.send(b"DELE 1\0\r\n").starts_with("-ERR"));
    assert!(s.send(b"DELE\0 1\r\n").starts_with("-ERR"));
    assert!(s.server.deleted().next().is_none());
    let mut s = Session::new(options()).greeted();
    assert!(s.send(b"USER alice\0bob\r\n").starts_with("-ERR"));
    assert!(s.send(b"PASS secret\r\n").starts_with("-ERR"));
}

/// R25, R26, R36: numbers stay, deleted messages are invisible and
/// unreachable, RSET brings them back.
#[test]
fn deleted_messages_are_invisible_r25_r26_r36() {
    let mut app = App::default();
    app.messages = (1..=3).map(|n| format!("m{n}\r\n").into_bytes()).collect();
    let mut s = Session::with_app(options(), app).greeted();
    s.log_in();
    assert_eq!(s.send(b"DELE 1\r\n"), "+OK message 1 deleted\r\n");
    assert_eq!(s.send(b"LIST 2\r\n"), "+OK 2 4\r\n");
    assert_eq!(s.send(b"RETR 1\r\n"), "-ERR message 1 already deleted\r\n");
    assert_eq!(s.send(b"TOP 1 0\r\n"), "-ERR message 1 already deleted\r\n");
    assert_eq!(s.send(b"UIDL 1\r\n"), "-ERR message 1 already deleted\r\n");
    assert_eq!(s.send(b"STAT\r\n"), "+OK 2 8\r\n");
    assert_eq!(
        s.send(b"LIST\r\n"),
        "+OK 2 messages (8 octets)\r\n2 4\r\n3 4\r\n.\r\n"
    );
    assert_eq!(
        s.send(b"UIDL\r\n"),
        "+OK unique-id listing follows\r\n2 uid-2\r\n3 uid-3\r\n.\r\n"
    );
    assert_eq!(
        s.send(b"RSET\r\n"),
        "+OK maildrop has 3 messages (12 octets)\r\n"
    );
    assert_eq!(s.send(b"STAT\r\n"), "+OK 3 12\r\n");
    // R33: RSET after DELE, then QUIT, keeps everything.
    assert_eq!(s.send(b"QUIT\r\n"), "+OK POP3 server signing off\r\n");
    assert_eq!(s.app.removed, Some(vec![]));
}

/// An empty maildrop: `+OK` then `.` (R28).
#[test]
fn empty_maildrop_listings() {
    let mut app = App::default();
    app.messages.clear();
    let mut s = Session::with_app(options(), app).greeted();
    s.log_in();
    assert_eq!(s.send(b"STAT\r\n"), "+OK 0 0\r\n");
    assert_eq!(s.send(b"LIST\r\n"), "+OK 0 messages (0 octets)\r\n.\r\n");
    assert_eq!(
        s.send(b"UIDL\r\n"),
        "+OK unique-id listing follows\r\n.\r\n"
    );
    assert_eq!(s.send(b"RETR 1\r\n"), "-ERR no such message\r\n");
}

/// R10, R15, S9: content is stuffed, bare LF becomes CRLF, a last line
/// without CRLF gets one, and the terminator follows; the size is the
/// RFC 1939 size of that content.
#[test]
fn retr_stuffs_and_terminates_r10_r15() {
    for chunk in [0, 1, 2, 3, 7] {
        let mut s = logged_in();
        s.app.chunk = chunk;
        assert_eq!(
            s.send(b"RETR 2\r\n"),
            "+OK 58 octets\r\nFrom: b\r\nSubject: two\r\n\r\nsecond\r\n..\r\nlast line without LF\r\n.\r\n",
            "chunk {chunk}"
        );
        assert_eq!(
            s.send(b"RETR 1\r\n"),
            "+OK 43 octets\r\nFrom: a\r\nSubject: one\r\n\r\nfirst\r\n..dot line\r\n.\r\n"
        );
    }
}

/// R31: TOP sends the headers, the blank line and n body lines, and tells
/// the application when it may stop.
#[test]
fn top_sends_headers_and_n_lines_r31() {
    let mut s = logged_in();
    assert_eq!(
        s.send(b"TOP 1 0\r\n"),
        "+OK top of message follows\r\nFrom: a\r\nSubject: one\r\n\r\n.\r\n"
    );
    assert_eq!(
        s.send(b"TOP 2 2\r\n"),
        "+OK top of message follows\r\nFrom: b\r\nSubject: two\r\n\r\nsecond\r\n..\r\n.\r\n"
    );
    // More lines than the body has: the whole message.
    assert_eq!(
        s.send(b"TOP 2 99\r\n"),
        "+OK top of message follows\r\nFrom: b\r\nSubject: two\r\n\r\nsecond\r\n..\r\nlast line without LF\r\n.\r\n"
    );
    // A message without a blank line: all of it is headers.
    let mut app = App::default();
    app.messages = vec![b"From: x\nSubject: no body".to_vec()];
    let mut s = Session::with_app(options(), app).greeted();
    s.log_in();
    assert_eq!(
        s.send(b"TOP 1 5\r\n"),
        "+OK top of message follows\r\nFrom: x\r\nSubject: no body\r\n.\r\n"
    );
}

/// Content that cannot be read: -ERR [SYS/TEMP] before any byte; a cut
/// body (and a close) after.
#[test]
fn content_failure() {
    let mut s = logged_in();
    s.server.receive(s.now, b"RETR 1\r\nSTAT\r\n").unwrap();
    while s.server.poll_event().is_some() {}
    s.server.content_failed().unwrap();
    s.settle();
    assert_eq!(
        String::from_utf8_lossy(&s.out),
        "-ERR [SYS/TEMP] cannot read the message now\r\n+OK 2 101\r\n"
    );
    s.out.clear();
    s.server.receive(s.now, b"RETR 1\r\n").unwrap();
    while s.server.poll_event().is_some() {}
    s.server.content(b"From: a\r\n").unwrap();
    s.server.content_failed().unwrap();
    s.settle();
    assert_eq!(
        String::from_utf8_lossy(&s.out),
        "+OK 43 octets\r\nFrom: a\r\n"
    );
    assert_eq!(s.app.closed, Some(CloseReason::ContentFailed));
}

/// R33: a partial UPDATE gets the RFC's -ERR.
#[test]
fn partial_update_r33() {
    let mut s = logged_in();
    s.app.partial_update = true;
    s.send(b"DELE 2\r\n");
    assert_eq!(
        s.send(b"QUIT\r\n"),
        "-ERR some deleted messages not removed\r\n"
    );
    assert_eq!(s.app.removed, Some(vec![2]));
    assert_eq!(s.app.closed, Some(CloseReason::Updated { complete: false }));
}

/// R34: ending without QUIT never reaches UPDATE.
#[test]
fn eof_and_close_never_update_r34() {
    let mut s = logged_in();
    s.send(b"DELE 1\r\n");
    s.server.receive_eof(s.now);
    s.settle();
    assert_eq!(s.app.closed, Some(CloseReason::Eof));
    assert_eq!(s.app.removed, None);
    assert!(!s.app.log.iter().any(|l| l.starts_with("update")));

    let mut s = logged_in();
    s.send(b"DELE 1\r\n");
    s.server.close();
    s.settle();
    assert_eq!(s.app.closed, Some(CloseReason::Local));
    assert_eq!(s.app.removed, None);
}

/// R35: autologout after 10 minutes without a command, silently and
/// without UPDATE; any command resets it; shorter options count as 10
/// minutes.
#[test]
fn autologout_r35() {
    let mut s = Session::new(options().with_autologout(Some(Duration::from_secs(1)))).greeted();
    s.log_in();
    s.out.clear();
    s.send(b"DELE 1\r\n");
    s.out.clear();
    assert_eq!(
        s.server.poll_timeout(),
        Some(Instant::ZERO + Duration::from_secs(600))
    );
    s.wait(Duration::from_secs(599));
    assert!(s.app.closed.is_none());
    s.send(b"NOOP\r\n");
    s.out.clear();
    s.wait(Duration::from_secs(599));
    assert!(s.app.closed.is_none(), "NOOP reset the timer");
    s.wait(Duration::from_secs(1));
    assert_eq!(s.app.closed, Some(CloseReason::Autologout));
    assert!(s.out.is_empty(), "no reply: {:?}", s.out);
    assert_eq!(s.app.removed, None);
}

/// The autologout never runs while a reply is being sent: a message that
/// takes an hour to go out is not cut off.
#[test]
fn autologout_waits_for_a_slow_retr() {
    let mut s = logged_in();
    s.server.receive(s.now, b"RETR 1\r\n").unwrap();
    while s.server.poll_event().is_some() {}
    for _ in 0..60 {
        s.now = s.now + Duration::from_secs(60);
        s.server.handle_timeout(s.now);
        assert!(s.server.poll_event().is_none());
        s.server.content(b"x").unwrap();
        s.server.poll_transmit();
    }
    s.server.content_end().unwrap();
    assert!(s.server.poll_transmit().is_some());
    // The timer counts from when the reply was out; the next call that
    // passes time in anchors it there.
    let t = s.server.poll_timeout().unwrap();
    assert!(t <= s.now);
    s.server.handle_timeout(s.now);
    assert_eq!(
        s.server.poll_timeout(),
        Some(s.now + Duration::from_secs(600))
    );
    assert!(s.server.poll_event().is_none());
}

/// S13, R47: USER says the same for known and unknown users, and PASS
/// fails the same way, after the same delay.
#[test]
fn no_user_enumeration_s13_r47() {
    let delay = Duration::from_secs(2);
    let run = |user: &str, pass: &str| {
        let mut s = Session::new(options().with_login_failure_delay(Some(delay))).greeted();
        let user_reply = s.send(format!("USER {user}\r\n").as_bytes());
        let early = s.send(format!("PASS {pass}\r\n").as_bytes());
        let deadline = s.server.poll_timeout();
        let late = String::from_utf8(s.wait(delay)).unwrap();
        (user_reply, early, deadline, late)
    };
    let known = run("alice", "wrong");
    let unknown = run("mallory", "wrong");
    assert_eq!(known, unknown);
    assert_eq!(known.0, "+OK\r\n");
    assert_eq!(known.1, "");
    assert_eq!(known.2, Some(Instant::ZERO + delay));
    assert_eq!(known.3, "-ERR [AUTH] authentication failed\r\n");
}

/// Failed logins are limited: the session closes after the last -ERR.
#[test]
fn too_many_login_failures_close() {
    let mut s = Session::new(options().with_max_login_failures(2)).greeted();
    assert_eq!(
        s.send(b"USER alice\r\nPASS a\r\n"),
        "+OK\r\n-ERR [AUTH] authentication failed\r\n"
    );
    assert_eq!(
        s.send(b"USER alice\r\nPASS b\r\nUSER alice\r\n"),
        "+OK\r\n-ERR [AUTH] authentication failed\r\n"
    );
    assert_eq!(s.app.closed, Some(CloseReason::TooManyLoginFailures));
}

/// PASS needs the USER right before it (RFC 1939 §7).
#[test]
fn pass_only_right_after_user() {
    let mut s = Session::new(options().with_max_bad_commands_before_login(10)).greeted();
    assert_eq!(s.send(b"PASS secret\r\n"), "-ERR no user name given\r\n");
    assert_eq!(
        s.send(b"USER alice\r\nNOOP\r\nPASS secret\r\n"),
        "+OK\r\n-ERR command not valid in this state\r\n-ERR no user name given\r\n"
    );
}

/// R23: the application refuses to open a locked maildrop: [IN-USE].
#[test]
fn in_use_maildrop_r23() {
    let mut s = Session::new(options()).greeted();
    s.app.refuse = Some(pop3_proto::server::Refusal::InUse);
    assert_eq!(
        s.send(b"USER alice\r\nPASS secret\r\n"),
        "+OK\r\n-ERR [IN-USE] maildrop is locked by another session\r\n"
    );
    assert_eq!(
        s.server.state(),
        pop3_proto::state::SessionState::Authorization
    );
    s.log_in();
}

/// R41: pipelined commands in one segment are answered in order, the
/// ones after a login waiting for it.
#[test]
fn pipelined_commands_in_order_r41() {
    let mut s = Session::new(options()).greeted();
    let reply =
        s.send(b"USER alice\r\nPASS secret\r\nSTAT\r\nLIST 1\r\nRETR 1\r\nUIDL 2\r\nQUIT\r\n");
    assert_eq!(
        reply,
        "+OK\r\n+OK maildrop has 2 messages (101 octets)\r\n+OK 2 101\r\n+OK 1 43\r\n\
         +OK 43 octets\r\nFrom: a\r\nSubject: one\r\n\r\nfirst\r\n..dot line\r\n.\r\n\
         +OK 2 uid-2\r\n+OK POP3 server signing off\r\n"
    );
    // Commands after QUIT are never run.
    let mut s = logged_in();
    s.send(b"QUIT\r\nDELE 1\r\n");
    assert_eq!(s.app.removed, Some(vec![]));
}

/// A client that sends and never reads: the output stops at its bound,
/// input is taken only up to its bound, and more is a flood.
#[test]
fn a_client_that_never_reads_is_bounded() {
    let opts = options().with_max_output(1024).with_max_input(4096);
    let mut server = Server::new(opts, RANDOM, Instant::ZERO);
    server
        .receive(Instant::ZERO, b"USER alice\r\nPASS secret\r\n")
        .unwrap();
    let mut app = App::default();
    app.handle(&mut server, Instant::ZERO);
    let noops = b"NOOP\r\n".repeat(50_000);
    let mut fed = 0;
    while server.wants_input() {
        assert!(fed < noops.len(), "input never filled");
        let room = server.input_room().min(noops.len() - fed);
        server
            .receive(Instant::ZERO, &noops[fed..fed + room])
            .unwrap();
        fed += room;
        assert!(server.pending_output() <= 1024 + 64);
        // The input bound is raised to the 64 KiB SASL line limit.
        assert!(
            server.memory() < 64 * 1024 + 1024 + 8192,
            "{}",
            server.memory()
        );
    }
    assert_eq!(server.input_room(), 0);
    // One more byte is a flood.
    server.receive(Instant::ZERO, b"N").unwrap();
    let mut closed = None;
    while let Some(e) = server.poll_event() {
        if let pop3_proto::server::Event::Closed(r) = e {
            closed = Some(r);
        }
    }
    assert_eq!(closed, Some(CloseReason::Flood));
}

/// ...and a client that does read gets every reply, in order, however
/// the flood was cut.
#[test]
fn a_pipelined_flood_that_is_read_is_answered() {
    let opts = options().with_max_output(256);
    let mut s = Session::new(opts).greeted();
    s.log_in();
    s.out.clear();
    let n = 5000;
    let cmds = b"NOOP\r\nSTAT\r\n".repeat(n);
    let mut fed = 0;
    while fed < cmds.len() {
        let room = s.server.input_room().min(cmds.len() - fed);
        s.server.receive(s.now, &cmds[fed..fed + room]).unwrap();
        fed += room;
        s.settle();
    }
    let want = b"+OK\r\n+OK 2 101\r\n".repeat(n);
    assert!(s.out == want, "{} bytes, want {}", s.out.len(), want.len());
}

/// R58, R68: without TLS and without the opt-in, no plaintext login is
/// listed or accepted; over TLS they are.
#[test]
fn plaintext_logins_need_tls_r58_r68() {
    let opts = Options::default()
        .with_stls(true)
        .with_apop(true)
        .with_login_failure_delay(None)
        .with_mechanisms(vec![
            pop3_proto::types::Mechanism::Plain,
            pop3_proto::types::Mechanism::ScramSha256,
        ]);
    let mut s = Session::new(opts.clone()).greeted();
    assert_eq!(
        s.server.apop_timestamp(),
        None,
        "no APOP timestamp before TLS"
    );
    let capa = s.send(b"CAPA\r\n");
    assert_eq!(
        capa,
        "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nSASL SCRAM-SHA-256\r\nSTLS\r\n.\r\n"
    );
    assert!(s.send(b"USER alice\r\n").starts_with("-ERR"));
    assert!(
        s.send(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
            .starts_with("-ERR")
    );
    assert_eq!(s.send(b"STLS\r\n"), "+OK begin TLS negotiation\r\n");
    assert!(s.server.is_tls());
    let capa = s.send(b"CAPA\r\n");
    assert_eq!(
        capa,
        "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUSER\r\nSASL PLAIN SCRAM-SHA-256\r\n.\r\n"
    );
    // R63: a second STLS.
    assert_eq!(
        s.send(b"STLS\r\n"),
        "-ERR command not permitted when TLS active\r\n"
    );
    assert!(
        s.send(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
            .starts_with("+OK maildrop")
    );
    // R63: STLS after login; STLS is not listed.
    assert!(s.send(b"STLS\r\n").starts_with("-ERR"));
    assert!(!s.send(b"CAPA\r\n").contains("STLS"));
}

/// S1: plaintext after STLS is never run: in the same segment, split
/// across feeds, for every command.
#[test]
fn stls_injection_s1() {
    let opts = options().with_stls(true);
    for cmd in [
        "CAPA",
        "USER evil",
        "PASS x",
        "QUIT",
        "NOOP",
        "AUTH PLAIN",
        "STLS",
        "X",
    ] {
        // One segment.
        let mut s = Session::new(opts.clone()).greeted();
        s.app.auto_tls = false;
        let reply = s.send(format!("STLS\r\n{cmd}\r\n").as_bytes());
        assert_eq!(reply, "+OK begin TLS negotiation\r\n", "{cmd}");
        assert_eq!(s.app.closed, Some(CloseReason::Injection), "{cmd}");
        assert!(!s.app.log.contains(&"starttls".to_owned()));
        // Split: STLS alone, the rest before the handshake is done.
        let mut s = Session::new(opts.clone()).greeted();
        s.app.auto_tls = false;
        assert_eq!(s.send(b"STLS\r\n"), "+OK begin TLS negotiation\r\n");
        assert!(s.app.log.contains(&"starttls".to_owned()));
        assert_eq!(s.send(format!("{cmd}\r\n").as_bytes()), "", "{cmd}");
        assert_eq!(s.app.closed, Some(CloseReason::Injection));
        // A fragment without CRLF, too.
        let mut s = Session::new(opts.clone()).greeted();
        s.app.auto_tls = false;
        s.send(b"STLS\r\nCA");
        assert_eq!(s.app.closed, Some(CloseReason::Injection));
    }
}

/// S4: USER before STLS and PASS after it gets -ERR.
#[test]
fn pre_tls_state_is_forgotten_s4() {
    let mut s = Session::new(options().with_stls(true)).greeted();
    assert_eq!(s.send(b"USER alice\r\n"), "+OK\r\n");
    assert_eq!(s.send(b"STLS\r\n"), "+OK begin TLS negotiation\r\n");
    assert_eq!(s.send(b"PASS secret\r\n"), "-ERR no user name given\r\n");
    assert!(!s.app.log.iter().any(|l| l.starts_with("auth")));
}

/// R37: implicit TLS is the same machine started after the handshake.
#[test]
fn implicit_tls_r37() {
    let opts = Options::default()
        .with_stls(true)
        .with_login_failure_delay(None);
    let mut s = Session::tls(opts);
    assert_eq!(s.out, b"+OK POP3 server ready\r\n");
    s.out.clear();
    let capa = s.send(b"CAPA\r\n");
    assert!(
        capa.contains("USER\r\n") && !capa.contains("STLS"),
        "{capa}"
    );
    s.log_in();
}

/// RFC 5034 §6 PLAIN (V4), both forms; `*` cancels (not a failure); bad
/// base64 is refused (R55); a bare AUTH lists the mechanisms (R61).
#[test]
fn auth_plain_and_friends_v4_r55_r61() {
    let mut app = App::default();
    app.users = vec![("test".into(), "test".into())];
    let mut s = Session::with_app(options(), app).greeted();
    assert_eq!(
        s.send(b"AUTH\r\n"),
        "+OK mechanisms follow\r\nPLAIN\r\n.\r\n"
    );
    assert_eq!(s.send(b"AUTH PLAIN\r\n"), "+ \r\n");
    assert_eq!(s.send(b"*\r\n"), "-ERR authentication cancelled\r\n");
    assert_eq!(s.send(b"AUTH PLAIN\r\n"), "+ \r\n");
    assert_eq!(s.send(b"=AAA\r\n"), "-ERR invalid base64 data\r\n");
    assert!(!s.app.log.iter().any(|l| l.starts_with("failed")));
    assert_eq!(s.send(b"AUTH PLAIN =AAA\r\n"), "-ERR invalid arguments\r\n");
    assert_eq!(
        s.send(b"AUTH CRAM-MD5\r\n"),
        "-ERR too many bad commands\r\n"
    );

    let mut app = App::default();
    app.users = vec![("test".into(), "test".into())];
    let mut s = Session::with_app(options(), app).greeted();
    assert_eq!(
        s.send(b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n"),
        "+OK maildrop has 2 messages (101 octets)\r\n"
    );
    assert!(
        s.app.log[0].contains("password test Some(\"test\")"),
        "{:?}",
        s.app.log
    );

    let mut app = App::default();
    app.users = vec![("test".into(), "test".into())];
    let mut s = Session::with_app(options(), app).greeted();
    assert_eq!(s.send(b"AUTH PLAIN\r\n"), "+ \r\n");
    assert_eq!(
        s.send(b"dGVzdAB0ZXN0AHRlc3Q=\r\n"),
        "+OK maildrop has 2 messages (101 octets)\r\n"
    );
}

/// R71, R72: UTF8 mode, UTF-8 credentials with UTF8 USER, and -ERR [UTF8]
/// for a message that needs it outside UTF8 mode.
#[test]
fn utf8_r71_r72() {
    // Without UTF8 USER, a UTF-8 user name is refused.
    let mut app = App::default();
    app.users = vec![("jöran".into(), "pässword".into())];
    let mut s = Session::with_app(options(), app).greeted();
    assert!(s.send("USER jöran\r\n".as_bytes()).starts_with("-ERR"));
    assert!(s.send(b"UTF8\r\n").starts_with("-ERR"));

    let mut app = App::default();
    app.users = vec![("jöran".into(), "pässword".into())];
    app.utf8_only = vec![2];
    let mut s = Session::with_app(options().with_utf8(Some(true)), app).greeted();
    assert!(s.send(b"CAPA\r\n").contains("UTF8 USER\r\n"));
    assert_eq!(
        s.send("USER jöran\r\nPASS pässword\r\n".as_bytes()),
        "+OK\r\n+OK maildrop has 2 messages (101 octets)\r\n"
    );
    assert_eq!(
        s.send(b"RETR 2\r\n"),
        "-ERR [UTF8] message needs UTF8 mode\r\n"
    );
    assert!(s.send(b"RETR 1\r\n").starts_with("+OK 43 octets"));

    let mut app = App::default();
    app.utf8_only = vec![2];
    let mut s = Session::with_app(options().with_utf8(Some(false)).with_stls(true), app).greeted();
    assert!(s.send(b"CAPA\r\n").contains("UTF8\r\n"));
    assert_eq!(s.send(b"UTF8\r\n"), "+OK UTF8 enabled\r\n");
    // R70: no STLS after UTF8.
    assert!(s.send(b"STLS\r\n").starts_with("-ERR"));
    s.log_in();
    assert!(s.send(b"RETR 2\r\n").starts_with("+OK 58 octets"));
}

/// R73, V9: LANG lists, selects (`*` is the default), and refuses an
/// unknown language, keeping the current one.
#[test]
fn lang_r73_v9() {
    use pop3_proto::types::{LangListing, LangTag, Text};
    let langs = vec![
        LangListing {
            tag: LangTag::try_from("en").unwrap().into_owned(),
            description: Text::try_from("English").unwrap().into_owned(),
        },
        LangListing {
            tag: LangTag::try_from("es").unwrap().into_owned(),
            description: Text::try_from("Espanol").unwrap().into_owned(),
        },
    ];
    let mut s = Session::new(options().with_languages(langs)).greeted();
    assert!(s.send(b"CAPA\r\n").contains("LANG\r\n"));
    assert_eq!(
        s.send(b"LANG\r\n"),
        "+OK language listing follows\r\nen English\r\nes Espanol\r\n.\r\n"
    );
    assert_eq!(s.send(b"LANG es\r\n"), "+OK es language changed\r\n");
    assert_eq!(s.send(b"LANG MUL\r\n"), "-ERR invalid language MUL\r\n");
    assert_eq!(s.server.language().map(|t| t.as_str()), Some("es"));
    assert_eq!(s.send(b"LANG *\r\n"), "+OK en language changed\r\n");
    // Without languages configured, LANG is unknown.
    assert!(
        Session::new(options())
            .greeted()
            .send(b"LANG\r\n")
            .starts_with("-ERR")
    );
}

/// CAPA in TRANSACTION lists IMPLEMENTATION (R43), never STLS (R63),
/// and keeps USER and SASL (R39, R59).
#[test]
fn capa_after_login() {
    let opts = options()
        .with_stls(true)
        .with_implementation(Some(
            pop3_proto::types::Text::try_from("pop3-proto")
                .unwrap()
                .into_owned(),
        ))
        .with_login_delay(Some(900))
        .with_expire(Some(pop3_proto::types::ExpirePolicy::Never));
    let mut s = Session::new(opts).greeted();
    let before = s.send(b"CAPA\r\n");
    assert!(!before.contains("IMPLEMENTATION") && before.contains("STLS"));
    assert!(
        before.contains("LOGIN-DELAY 900\r\nEXPIRE NEVER\r\n"),
        "{before}"
    );
    s.log_in();
    let after = s.send(b"CAPA\r\n");
    assert!(after.contains("IMPLEMENTATION pop3-proto\r\n"), "{after}");
    assert!(after.contains("USER\r\nSASL PLAIN\r\n") && !after.contains("STLS"));
}

/// Split invariance: the same replies and events whether the client's
/// bytes come one at a time, in odd pieces or all at once.
#[test]
fn split_invariance() {
    let script: &[u8] = b"CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL\r\nTOP 2 1\r\nRETR 1\r\nRETR 2\r\nDELE 1\r\nLIST 1\r\nRSET\r\nDELE 2\r\nFOO\r\nNOOP\r\nQUIT\r\n";
    let run = |chunk: usize, content_chunk: usize| {
        let mut s = Session::new(options()).greeted();
        s.app.chunk = content_chunk;
        s.feed_chunked(script, chunk);
        (s.out, s.app.log)
    };
    let whole = run(0, 0);
    assert!(whole.1.last().unwrap().contains("Updated"));
    for chunk in [1, 2, 3, 5, 8, 13] {
        for content_chunk in [0, 1, 4] {
            assert_eq!(
                run(chunk, content_chunk),
                whole,
                "chunk {chunk}/{content_chunk}"
            );
        }
    }
}

/// A maildrop the application computes: a million messages, no storage.
struct Million;

impl pop3_proto::server::Maildrop for Million {
    fn len(&self) -> u32 {
        1_000_000
    }

    fn size(&self, msg: pop3_proto::types::MsgNumber) -> u64 {
        1000 + u64::from(msg.get() % 100)
    }

    fn uid(&self, msg: pop3_proto::types::MsgNumber) -> pop3_proto::types::Uid<'_> {
        pop3_proto::types::Uid::try_from(format!("m{:08}", msg.get())).unwrap()
    }
}

/// Issue 8 item 3 (SPEC quirk 16): a maildrop of 1,000,000 messages, the
/// listing with the application; the server's own memory stays small
/// (one bit per message once something is deleted), and LIST goes out
/// in pieces no larger than the output bound.
#[test]
fn a_million_messages() {
    let max_output = 16 * 1024;
    let mut server = Server::new(options().with_max_output(max_output), RANDOM, Instant::ZERO);
    let now = Instant::ZERO;
    server.poll_transmit();
    server
        .receive(now, b"USER alice\r\nPASS secret\r\n")
        .unwrap();
    let Some(pop3_proto::server::Event::Auth { .. }) = server.poll_event() else {
        panic!()
    };
    server
        .answer(pop3_proto::sasl::server::Answer::Accept)
        .unwrap();
    let Some(pop3_proto::server::Event::Open { .. }) = server.poll_event() else {
        panic!()
    };
    server.open(Box::new(Million)).unwrap();
    let total: u64 = (1..=1_000_000u64).map(|n| 1000 + n % 100).sum();
    let drain = |server: &mut Server| {
        let mut out = Vec::new();
        while let Some(b) = server.poll_transmit() {
            assert!(b.len() <= max_output + 64, "{}", b.len());
            out.extend_from_slice(&b);
        }
        out
    };
    drain(&mut server);
    server.receive(now, b"STAT\r\n").unwrap();
    assert_eq!(
        drain(&mut server),
        format!("+OK 1000000 {total}\r\n").into_bytes()
    );
    let before = server.memory();
    server.receive(now, b"DELE 500000\r\nLIST\r\n").unwrap();
    let list = drain(&mut server);
    let lines = list.split(|&b| b == b'\n').count() - 1;
    assert_eq!(lines, 1 + 1 + 999_999 + 1, "DELE, +OK, entries, .");
    assert!(list.ends_with(b"999999 1099\r\n1000000 1000\r\n.\r\n"));
    assert!(!list.windows(15).any(|w| w == b"\n500000 1000\r\n"));
    server.receive(now, b"UIDL 999999\r\n").unwrap();
    assert_eq!(drain(&mut server), b"+OK 999999 m00999999\r\n");
    let after = server.memory();
    // The marks: 1,000,000 bits; the rest is the buffers.
    assert!(
        after - before >= 125_000 && after < before + 126_000 + max_output,
        "{before} {after}"
    );
    assert!(after < 256 * 1024, "{after}");
    eprintln!(
        "server memory for a 1,000,000-message maildrop: {before} bytes, {after} after a DELE"
    );
}
