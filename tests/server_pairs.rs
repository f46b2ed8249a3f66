//! Our client against our server, in memory, on a virtual clock that
//! never sleeps (quinn-proto's habit): every login mechanism, STLS with a
//! stand-in TLS layer, pipelined retrieval of large messages, autologout,
//! DELE/RSET/QUIT, with both directions cut into random pieces; and a
//! property test of the server's answers against a model of the maildrop.

// Tests change the one field of the default application they are about.
#![allow(clippy::field_reassign_with_default)]

mod common;
mod server_support;

use common::as_retrieved;
use pop3_proto::client::{self, Client, Event, Failure, Handle, Reply};
use pop3_proto::sasl::client::{
    ClientMechanism, CramMd5, External, Login, OAuthBearer, Plain, XOAuth2,
};
use pop3_proto::sasl::scram::{ChannelBinding, ChannelBindingType, ScramClient, ScramHash};
use pop3_proto::server::{self, CloseReason, Server};
use pop3_proto::time::Instant;
use pop3_proto::types::{Entry, Mechanism, MsgNumber};
use proptest::prelude::*;
use server_support::{App, RANDOM};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// The two machines and the wire between them.
struct Pair {
    client: Client,
    server: Server,
    app: App,
    now: Instant,
    rng: u64,
    /// Bytes on their way.
    to_server: Vec<u8>,
    to_client: Vec<u8>,
    /// Largest piece delivered at once (random below it); 0: all.
    max_piece: usize,
    /// Data of each command's message, and each command's outcome.
    data: HashMap<Handle, Vec<u8>>,
    entries: HashMap<Handle, Vec<Entry<'static>>>,
    done: HashMap<Handle, Result<Reply, Failure>>,
    client_tls: bool,
    client_closed: Option<client::CloseReason>,
    server_eof_sent: bool,
}

impl Pair {
    fn new(client_options: client::Options, server_options: server::Options, seed: u64) -> Self {
        Self::with_app(client_options, server_options, App::default(), seed)
    }

    fn with_app(
        client_options: client::Options,
        server_options: server::Options,
        mut app: App,
        seed: u64,
    ) -> Self {
        app.auto_tls = false;
        let mut pair = Self {
            client: Client::new(client_options, Instant::ZERO),
            server: Server::new(server_options, RANDOM, Instant::ZERO),
            app,
            now: Instant::ZERO,
            rng: seed | 1,
            to_server: Vec::new(),
            to_client: Vec::new(),
            max_piece: 7,
            data: HashMap::new(),
            entries: HashMap::new(),
            done: HashMap::new(),
            client_tls: false,
            client_closed: None,
            server_eof_sent: false,
        };
        pair.run();
        pair
    }

    fn piece(&mut self, len: usize) -> usize {
        if self.max_piece == 0 {
            return len;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (1 + (self.rng % self.max_piece as u64) as usize).min(len)
    }

    /// Runs both sides until neither has anything to do.
    fn run(&mut self) {
        for _ in 0..10_000_000 {
            let mut any = self.app.handle(&mut self.server, self.now);
            while let Some(b) = self.server.poll_transmit() {
                self.to_client.extend_from_slice(&b);
                any = true;
            }
            while let Some(b) = self.client.poll_transmit() {
                self.to_server.extend_from_slice(&b);
                any = true;
            }
            if !self.to_server.is_empty() && self.server.input_room() > 0 {
                let n = self
                    .piece(self.to_server.len())
                    .min(self.server.input_room());
                let piece: Vec<u8> = self.to_server.drain(..n).collect();
                self.server.receive(self.now, &piece).unwrap();
                any = true;
            }
            if !self.to_client.is_empty() {
                let n = self.piece(self.to_client.len());
                let piece: Vec<u8> = self.to_client.drain(..n).collect();
                if self.client_closed.is_none() {
                    self.client.receive(self.now, &piece).unwrap();
                }
                any = true;
            }
            while let Some(event) = self.client.poll_event() {
                any = true;
                self.on_client_event(event);
            }
            // The stand-in TLS layer: both sides agreed, nothing in flight.
            if self.app.tls_pending
                && self.client_tls
                && self.to_server.is_empty()
                && self.to_client.is_empty()
            {
                self.app.tls_pending = false;
                self.client_tls = false;
                self.server.tls_established(self.now).unwrap();
                self.client.tls_established(self.now).unwrap();
                any = true;
            }
            // The server closed: once its last bytes are through, EOF.
            if self.app.closed.is_some()
                && self.to_client.is_empty()
                && !self.server_eof_sent
                && self.server.pending_output() == 0
            {
                self.server_eof_sent = true;
                if self.client_closed.is_none() {
                    self.client.receive_eof(self.now);
                }
                any = true;
            }
            for deadline in [self.server.poll_timeout(), self.client.poll_timeout()] {
                if deadline.is_some_and(|t| t <= self.now) {
                    self.server.handle_timeout(self.now);
                    self.client.handle_timeout(self.now);
                }
            }
            if !any {
                return;
            }
        }
        panic!("the pair never settled");
    }

    fn on_client_event(&mut self, event: Event) {
        match event {
            Event::Data { handle, data } => self
                .data
                .entry(handle)
                .or_default()
                .extend_from_slice(&data),
            Event::Entry { handle, entry } => self.entries.entry(handle).or_default().push(entry),
            Event::Done { handle, result } => {
                self.done.insert(handle, result);
            }
            Event::StartTls { .. } => self.client_tls = true,
            Event::Closed(reason) => self.client_closed = Some(reason),
            _ => {}
        }
    }

    fn result(&mut self, handle: Handle) -> Result<Reply, Failure> {
        self.run();
        self.done
            .remove(&handle)
            .unwrap_or_else(|| panic!("no result for {handle:?}"))
    }

    /// Moves the clock on, runs both sides.
    fn wait(&mut self, by: Duration) {
        self.now = self.now + by;
        self.server.handle_timeout(self.now);
        self.client.handle_timeout(self.now);
        self.run();
    }

    fn stat(&mut self) -> (u32, u64) {
        let h = self.client.stat().unwrap();
        match self.result(h) {
            Ok(Reply::Stat(d)) => (d.count, d.size),
            other => panic!("STAT: {other:?}"),
        }
    }

    fn capa(&mut self) {
        let h = self.client.capa().unwrap();
        assert!(matches!(self.result(h), Ok(Reply::Capabilities(_))));
    }
}

fn client_opts() -> client::Options {
    client::Options::default()
        .with_allow_plaintext_login(true)
        .with_allow_apop(true)
}

fn server_opts() -> server::Options {
    server_support::options().with_mechanisms(vec![
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
        Mechanism::ScramSha256Plus,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::External,
    ])
}

fn mechanism(name: &str, password: &str, binding: bool) -> Box<dyn ClientMechanism + Send> {
    match name {
        "PLAIN" => Box::new(Plain::new("alice", password).unwrap()),
        "LOGIN" => Box::new(Login::new("alice", password).unwrap()),
        "CRAM-MD5" => Box::new(CramMd5::new("alice", password).unwrap()),
        "SCRAM-SHA-1" | "SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS" => {
            let hash = if name.contains("256") {
                ScramHash::Sha256
            } else {
                ScramHash::Sha1
            };
            let cb = if name.ends_with("PLUS") {
                ChannelBinding::Plus {
                    kind: ChannelBindingType::TlsExporter,
                    data: pop3_proto::types::Secret::new(if binding {
                        b"channel".to_vec()
                    } else {
                        b"another channel".to_vec()
                    }),
                }
            } else {
                ChannelBinding::None
            };
            Box::new(ScramClient::new(hash, "alice", password, "client-nonce-123", cb).unwrap())
        }
        "XOAUTH2" => Box::new(XOAuth2::new("alice", password).unwrap()),
        "OAUTHBEARER" => Box::new(OAuthBearer::new("alice", None, None, password).unwrap()),
        "EXTERNAL" => Box::new(External::new("").unwrap()),
        other => panic!("{other}"),
    }
}

/// Greets, and for the TLS mechanisms starts TLS first.
fn greeted(tls: bool, seed: u64) -> Pair {
    let mut p = Pair::new(
        client_opts(),
        server_opts().with_stls(true).with_channel_binding(true),
        seed,
    );
    assert_eq!(
        p.client.state(),
        pop3_proto::state::SessionState::Authorization
    );
    if tls {
        let h = p.client.stls().unwrap();
        assert_eq!(p.result(h), Ok(Reply::TlsEstablished));
        assert!(p.client.is_tls() && p.server.is_tls());
    }
    p.capa();
    p
}

/// Every login that checks a password or a token.
const CREDENTIAL_LOGINS: [&str; 10] = [
    "USER",
    "APOP",
    "PLAIN",
    "LOGIN",
    "CRAM-MD5",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "SCRAM-SHA-256-PLUS",
    "XOAUTH2",
    "OAUTHBEARER",
];

#[test]
fn every_login_mechanism_both_ways() {
    for (seed, name) in (1u64..).zip(CREDENTIAL_LOGINS.into_iter().chain(["EXTERNAL"])) {
        let tls = matches!(name, "SCRAM-SHA-256-PLUS" | "EXTERNAL");
        let secret = if name.contains("OAUTH") {
            "good-token"
        } else {
            "secret"
        };
        let mut opts = server_opts().with_stls(true).with_channel_binding(true);
        if name == "APOP" {
            opts = opts.with_apop(true);
        }
        let mut p = Pair::new(client_opts(), opts, seed * 7919);
        if tls {
            let h = p.client.stls().unwrap();
            assert_eq!(p.result(h), Ok(Reply::TlsEstablished));
        }
        p.capa();
        let h = match name {
            "USER" => p.client.login("alice", secret).unwrap(),
            "APOP" => p.client.apop("alice", secret).unwrap(),
            _ => p
                .client
                .authenticate(mechanism(name, secret, true))
                .unwrap(),
        };
        let result = p.result(h);
        assert!(
            matches!(result, Ok(Reply::LoggedIn(_))),
            "{name}: {result:?}"
        );
        assert_eq!(p.stat(), (2, 101), "{name}");
        let q = p.client.quit().unwrap();
        assert!(p.result(q).is_ok());
        assert_eq!(
            p.app.closed,
            Some(CloseReason::Updated { complete: true }),
            "{name}"
        );
    }
}

#[test]
fn wrong_credentials_fail_on_both_sides_with_auth() {
    for (seed, name) in (1u64..).zip(CREDENTIAL_LOGINS) {
        let opts = server_opts()
            .with_stls(true)
            .with_channel_binding(true)
            .with_apop(name == "APOP");
        let mut p = Pair::new(client_opts(), opts, seed * 104_729);
        if name.ends_with("PLUS") {
            let h = p.client.stls().unwrap();
            assert_eq!(p.result(h), Ok(Reply::TlsEstablished));
        }
        p.capa();
        let h = match name {
            "USER" => p.client.login("alice", "wrong").unwrap(),
            "APOP" => p.client.apop("alice", "wrong").unwrap(),
            _ => p
                .client
                .authenticate(mechanism(name, "wrong", true))
                .unwrap(),
        };
        let result = p.result(h);
        let Err(failure) = result else {
            panic!("{name}: {result:?}")
        };
        assert_eq!(
            failure.code().map(|c| c.as_str()),
            Some("AUTH"),
            "{name}: {failure:?}"
        );
        assert!(p.app.log.iter().any(|l| l.starts_with("failed")), "{name}");
        // The session goes on: the right password works.
        let h = p.client.login("alice", "secret").unwrap();
        assert!(matches!(p.result(h), Ok(Reply::LoggedIn(_))), "{name}");
    }
    // -PLUS over different channels: both sides fail.
    let mut p = greeted(true, 5);
    let h = p
        .client
        .authenticate(mechanism("SCRAM-SHA-256-PLUS", "secret", false))
        .unwrap();
    assert!(p.result(h).is_err());
}

/// Pipelined retrieval of large messages, both directions in random
/// pieces: every message arrives exactly, and DELE + QUIT removes exactly
/// what was marked.
#[test]
fn pipelined_retrieval_of_large_messages() {
    let mut app = App::default();
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    app.messages = (0..12)
        .map(|n| {
            let mut m = format!("Subject: message {n}\r\n\r\n").into_bytes();
            while m.len() < 150_000 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                match rng % 10 {
                    0 => m.extend_from_slice(b".\r\n"),
                    1 => m.extend_from_slice(b"..dots\n"),
                    2 => m.extend_from_slice(b"\r\n"),
                    _ => m.extend_from_slice(b"some words of a line of text\r\n"),
                }
            }
            m
        })
        .collect();
    app.chunk = 10_000;
    let contents = app.messages.clone();
    for max_piece in [0, 1500, 16_384] {
        let mut p = Pair::with_app(
            client_opts(),
            server_opts(),
            App {
                messages: contents.clone(),
                chunk: 10_000,
                ..App::default()
            },
            99,
        );
        p.max_piece = max_piece;
        let h = p.client.login("alice", "secret").unwrap();
        assert!(matches!(p.result(h), Ok(Reply::LoggedIn(_))));
        p.capa();
        assert!(p.client.capabilities().unwrap().pipelining());
        let handles: Vec<Handle> = (1..=contents.len() as u32)
            .map(|n| p.client.retr(MsgNumber::new(n).unwrap()).unwrap())
            .collect();
        let dele: Vec<Handle> = [2u32, 5, 7]
            .iter()
            .map(|&n| p.client.dele(MsgNumber::new(n).unwrap()).unwrap())
            .collect();
        let quit = p.client.quit().unwrap();
        p.run();
        for (h, content) in handles.iter().zip(&contents) {
            assert!(p.done.get(h).is_some_and(Result::is_ok), "{max_piece}");
            let got = p.data.get(h).map_or(0, Vec::len);
            assert!(
                p.data.get(h).is_some_and(|d| d == &as_retrieved(content)),
                "{max_piece}: {got} bytes"
            );
        }
        for h in dele.iter().chain([&quit]) {
            assert!(p.done.get(h).is_some_and(Result::is_ok));
        }
        assert_eq!(p.app.removed, Some(vec![2, 5, 7]));
        let _ = app.chunk;
    }
}

/// The server's autologout, seen from the client: an idle session is
/// closed after 10 minutes, without UPDATE.
#[test]
fn autologout_seen_from_the_client() {
    let mut p = Pair::new(client_opts(), server_opts(), 3);
    let h = p.client.login("alice", "secret").unwrap();
    assert!(matches!(p.result(h), Ok(Reply::LoggedIn(_))));
    let d = p.client.dele(MsgNumber::ONE).unwrap();
    assert!(p.result(d).is_ok());
    p.wait(Duration::from_secs(599));
    assert!(p.app.closed.is_none());
    let n = p.client.noop().unwrap();
    assert!(p.result(n).is_ok());
    p.wait(Duration::from_secs(599));
    assert!(p.app.closed.is_none(), "NOOP reset the timer");
    p.wait(Duration::from_secs(1));
    assert_eq!(p.app.closed, Some(CloseReason::Autologout));
    assert_eq!(p.client_closed, Some(client::CloseReason::Eof));
    assert_eq!(p.app.removed, None);
}

/// RSET undoes DELE; QUIT then removes nothing.
#[test]
fn dele_rset_quit() {
    let mut p = Pair::new(client_opts(), server_opts(), 11);
    let h = p.client.login("alice", "secret").unwrap();
    assert!(matches!(p.result(h), Ok(Reply::LoggedIn(_))));
    let d = p.client.dele(MsgNumber::ONE).unwrap();
    assert!(p.result(d).is_ok());
    assert_eq!(p.stat(), (1, 58));
    let again = p.client.dele(MsgNumber::ONE).unwrap();
    assert!(matches!(p.result(again), Err(Failure::Refused(_))));
    let r = p.client.rset().unwrap();
    assert!(p.result(r).is_ok());
    assert_eq!(p.stat(), (2, 101));
    let q = p.client.quit().unwrap();
    assert!(p.result(q).is_ok());
    assert_eq!(p.app.removed, Some(vec![]));
}

// ------------------------------------------------------------ the model

#[derive(Debug, Clone)]
enum Op {
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Retr(u32),
    Top(u32, u32),
    Dele(u32),
    Rset,
    Noop,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Stat),
        proptest::option::of(0u32..8).prop_map(Op::List),
        proptest::option::of(0u32..8).prop_map(Op::Uidl),
        (0u32..8).prop_map(Op::Retr),
        ((0u32..8), (0u32..4)).prop_map(|(n, l)| Op::Top(n, l)),
        (0u32..8).prop_map(Op::Dele),
        Just(Op::Rset),
        Just(Op::Noop),
    ]
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(&b"Subject: x\r\n"[..]),
            Just(&b"\r\n"[..]),
            Just(&b"\n"[..]),
            Just(&b".\r\n"[..]),
            Just(&b".."[..]),
            Just(&b"text"[..]),
            Just(&b"\r"[..]),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

/// TOP's part of a message, as a client reads it back.
fn top_of(content: &[u8], lines: u32) -> Vec<u8> {
    let wire = as_retrieved(content);
    let mut out = Vec::new();
    let mut in_body = false;
    let mut body_lines = 0;
    for line in wire.split_inclusive(|&b| b == b'\n') {
        if in_body {
            if body_lines == lines {
                break;
            }
            body_lines += 1;
        } else if line == b"\r\n" {
            in_body = true;
        }
        out.extend_from_slice(line);
        if in_body && lines == 0 && line == b"\r\n" {
            break;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For a random maildrop and a random command sequence, our client's
    /// view of the server's answers matches a model of the maildrop, and
    /// QUIT removes exactly the model's deletions.
    #[test]
    fn server_answers_match_the_model(
        messages in proptest::collection::vec(message(), 0..6),
        ops in proptest::collection::vec(op(), 0..24),
        seed in any::<u64>(),
    ) {
        let app = App { messages: messages.clone(), chunk: 3, ..App::default() };
        let mut p = Pair::with_app(client_opts(), server_opts(), app, seed);
        let h = p.client.login("alice", "secret").unwrap();
        prop_assert!(matches!(p.result(h), Ok(Reply::LoggedIn(_))));
        let sizes: Vec<u64> = messages.iter().map(|m| as_retrieved(m).len() as u64).collect();
        let mut deleted = BTreeSet::new();
        let live = |n: u32, deleted: &BTreeSet<u32>| n >= 1 && (n as usize) <= messages.len() && !deleted.contains(&n);
        for op in ops {
            let msg = |n: u32| MsgNumber::new(n.max(1)).unwrap();
            match op {
                Op::Stat => {
                    let want: Vec<u32> = (1..=messages.len() as u32).filter(|n| !deleted.contains(n)).collect();
                    let size: u64 = want.iter().map(|&n| sizes[n as usize - 1]).sum();
                    prop_assert_eq!(p.stat(), (want.len() as u32, size));
                }
                Op::List(None) | Op::Uidl(None) => {
                    let h = if matches!(op, Op::List(_)) { p.client.list(None) } else { p.client.uidl(None) }.unwrap();
                    prop_assert!(p.result(h).is_ok());
                    let got = p.entries.remove(&h).unwrap_or_default();
                    let want: Vec<Entry<'static>> = (1..=messages.len() as u32)
                        .filter(|n| !deleted.contains(n))
                        .map(|n| match op {
                            Op::List(_) => Entry::Scan(pop3_proto::types::ScanListing { msg: msg(n), size: sizes[n as usize - 1] }),
                            _ => Entry::Uid(pop3_proto::types::UidListing { msg: msg(n), uid: pop3_proto::types::Uid::try_from(server_support::uid(n as usize).as_str()).unwrap().into_owned() }),
                        })
                        .collect();
                    prop_assert_eq!(got, want);
                }
                Op::List(Some(n)) | Op::Uidl(Some(n)) | Op::Retr(n) | Op::Top(n, _) | Op::Dele(n) => {
                    if n == 0 {
                        continue; // not a message number: the client refuses to build it
                    }
                    let h = match op {
                        Op::List(_) => p.client.list(Some(msg(n))),
                        Op::Uidl(_) => p.client.uidl(Some(msg(n))),
                        Op::Retr(_) => p.client.retr(msg(n)),
                        Op::Top(_, l) => p.client.top(msg(n), l),
                        _ => p.client.dele(msg(n)),
                    }.unwrap();
                    let result = p.result(h);
                    if !live(n, &deleted) {
                        prop_assert!(matches!(result, Err(Failure::Refused(_))), "{:?} {:?}", op, result);
                        continue;
                    }
                    prop_assert!(result.is_ok(), "{:?} {:?}", op, result);
                    let content = &messages[n as usize - 1];
                    match op {
                        Op::List(_) => prop_assert!(matches!(result, Ok(Reply::Scan(s)) if s.size == sizes[n as usize - 1])),
                        Op::Uidl(_) => prop_assert!(matches!(result, Ok(Reply::Uid(u)) if u.uid.as_str() == server_support::uid(n as usize))),
                        Op::Retr(_) => prop_assert_eq!(p.data.remove(&h).unwrap_or_default(), as_retrieved(content)),
                        Op::Top(_, l) => prop_assert_eq!(p.data.remove(&h).unwrap_or_default(), top_of(content, l)),
                        _ => { deleted.insert(n); }
                    }
                }
                Op::Rset => {
                    let h = p.client.rset().unwrap();
                    prop_assert!(p.result(h).is_ok());
                    deleted.clear();
                }
                Op::Noop => {
                    let h = p.client.noop().unwrap();
                    prop_assert!(p.result(h).is_ok());
                }
            }
        }
        let q = p.client.quit().unwrap();
        prop_assert!(p.result(q).is_ok());
        prop_assert_eq!(p.app.removed.clone(), Some(deleted.into_iter().collect::<Vec<_>>()));
    }
}
