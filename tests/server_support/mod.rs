//! An in-memory application around the sans-IO server for tests: users
//! with passwords, a maildrop of messages as stored, and a log of what
//! the server asked, so that tests compare bytes and events.
#![allow(dead_code)]

use pop3_proto::body::WireLen;
use pop3_proto::sasl::scram::StoredCredentials;
use pop3_proto::sasl::server::{Answer, Request};
use pop3_proto::server::{CloseReason, Event, Flow, Listing, Options, Refusal, Server};
use pop3_proto::time::Instant;
use pop3_proto::types::{MsgNumber, Uid};
use std::time::Duration;

/// The random bytes of every test connection.
pub const RANDOM: [u8; 16] = *b"0123456789abcdef";

/// The application: users, messages, what happened.
pub struct App {
    pub users: Vec<(String, String)>,
    /// Messages as stored (any line ends).
    pub messages: Vec<Vec<u8>>,
    /// Messages that need UTF8 mode (1-based numbers).
    pub utf8_only: Vec<u32>,
    /// Content pieces are this long (0: the whole message at once).
    pub chunk: usize,
    /// What the server asked and said, one line per event.
    pub log: Vec<String>,
    /// The messages UPDATE removed.
    pub removed: Option<Vec<u32>>,
    /// Refuse the next maildrop open with this.
    pub refuse: Option<Refusal>,
    /// Report UPDATE as partial.
    pub partial_update: bool,
    /// Complete the TLS handshake by itself after `+OK` to STLS.
    pub auto_tls: bool,
    /// The message being streamed: number and offset.
    pub sending: Option<(u32, usize)>,
    /// The server said StartTls; the handshake is not done.
    pub tls_pending: bool,
    pub closed: Option<CloseReason>,
}

impl Default for App {
    fn default() -> Self {
        Self {
            users: vec![("alice".into(), "secret".into())],
            messages: vec![
                b"From: a\r\nSubject: one\r\n\r\nfirst\r\n.dot line\r\n".to_vec(),
                b"From: b\nSubject: two\n\nsecond\n.\nlast line without LF".to_vec(),
            ],
            utf8_only: Vec::new(),
            chunk: 0,
            log: Vec::new(),
            removed: None,
            refuse: None,
            partial_update: false,
            auto_tls: true,
            sending: None,
            tls_pending: false,
            closed: None,
        }
    }
}

/// Options that let the tests log in over plaintext without a delay.
pub fn options() -> Options {
    Options::default()
        .with_plaintext_logins(true)
        .with_login_failure_delay(None)
}

/// The UID of message `n`.
pub fn uid(n: usize) -> String {
    format!("uid-{n}")
}

impl App {
    pub fn password(&self, user: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
    }

    /// The listing the server gets: RFC 1939 sizes of the content.
    pub fn listing(&self) -> Listing {
        let mut listing = Listing::new();
        for (i, m) in self.messages.iter().enumerate() {
            let n = i as u32 + 1;
            listing.push_message(
                WireLen::of(m).message_size(),
                Uid::try_from(uid(i + 1).as_str()).unwrap().into_owned(),
                self.utf8_only.contains(&n),
            );
        }
        listing
    }

    /// Answers every event the server has, and streams content while it
    /// wants some. True when anything happened.
    pub fn handle(&mut self, server: &mut Server, now: Instant) -> bool {
        let mut any = false;
        while let Some(event) = server.poll_event() {
            any = true;
            self.on_event(server, event, now);
        }
        while let Some((n, offset)) = self.sending {
            if !server.wants_content() {
                break;
            }
            any = true;
            let message = &self.messages[n as usize - 1];
            let end = if self.chunk == 0 {
                message.len()
            } else {
                (offset + self.chunk).min(message.len())
            };
            if server.content(&message[offset..end]).unwrap() == Flow::Done || end == message.len()
            {
                server.content_end().unwrap();
                self.sending = None;
            } else {
                self.sending = Some((n, end));
            }
        }
        any
    }

    fn on_event(&mut self, server: &mut Server, event: Event, now: Instant) {
        match event {
            Event::Auth { method, request } => {
                let (line, answer) = self.answer(&request);
                self.log.push(format!("auth {method:?} {line}"));
                server.answer(answer).unwrap();
            }
            Event::Open { method, identity } => {
                self.log
                    .push(format!("open {method:?} {:?}", identity.user()));
                match self.refuse.take() {
                    Some(refusal) => server.refuse(refusal).unwrap(),
                    None => server.open(Box::new(self.listing())).unwrap(),
                }
            }
            Event::LoginFailed { method, user } => {
                self.log.push(format!("failed {method:?} {user:?}"));
            }
            Event::Content { msg, top } => {
                self.log.push(format!("content {} {top:?}", msg.get()));
                self.sending = Some((msg.get(), 0));
            }
            Event::Update => {
                let deleted: Vec<u32> = server.deleted().map(MsgNumber::get).collect();
                self.log.push(format!("update {deleted:?}"));
                self.removed = Some(deleted);
                let result = if self.partial_update {
                    Err(pop3_proto::server::PartialUpdate::new())
                } else {
                    Ok(())
                };
                server.update_done(result).unwrap();
            }
            Event::StartTls => {
                self.log.push("starttls".into());
                self.tls_pending = true;
            }
            Event::Closed(reason) => {
                self.log.push(format!("closed {reason:?}"));
                self.closed = Some(reason);
            }
            other => self.log.push(format!("other {other:?}")),
        }
        let _ = now;
    }

    /// The answer to a request, and a line for the log.
    fn answer(&self, request: &Request) -> (String, Answer) {
        match request {
            Request::Password {
                authzid,
                authcid,
                password,
            } => {
                let right = self.password(authcid).map(str::as_bytes)
                    == Some(&password.expose_secret()[..])
                    && authzid.as_deref().is_none_or(|z| z == authcid);
                (
                    format!("password {authcid} {authzid:?}"),
                    if right {
                        Answer::Accept
                    } else {
                        Answer::Reject
                    },
                )
            }
            Request::SharedSecret { user } => (
                format!("secret {user}"),
                match self.password(user) {
                    Some(p) => Answer::shared_secret(p),
                    None => Answer::Reject,
                },
            ),
            Request::ScramCredentials { hash, authcid, .. } => (
                format!("scram {hash:?} {authcid}"),
                match self.password(authcid) {
                    Some(p) => Answer::Scram(
                        StoredCredentials::derive(*hash, p.as_bytes(), b"salt-of-the-test", 4096)
                            .unwrap(),
                    ),
                    None => Answer::Reject,
                },
            ),
            Request::Authorize { authcid, authzid } => (
                format!("authorize {authcid} {authzid}"),
                if authcid == authzid {
                    Answer::Accept
                } else {
                    Answer::Reject
                },
            ),
            Request::ChannelBinding { kind } => (
                format!("binding {kind:?}"),
                Answer::channel_binding(b"channel"),
            ),
            Request::Token { user, token, .. } => (
                format!("token {user:?}"),
                if &token.expose_secret()[..] == b"good-token" {
                    Answer::Accept
                } else {
                    Answer::Reject
                },
            ),
            Request::External { authzid } => (format!("external {authzid:?}"), Answer::Accept),
            Request::Anonymous { trace } => (format!("anonymous {trace}"), Answer::Reject),
            other => (format!("{other:?}"), Answer::Reject),
        }
    }

    /// Completes a pending TLS handshake (call after the output is
    /// drained).
    pub fn finish_tls(&mut self, server: &mut Server, now: Instant) {
        if self.tls_pending && self.auto_tls {
            self.tls_pending = false;
            server.tls_established(now).unwrap();
        }
    }
}

/// A session: the server, the application and the clock.
pub struct Session {
    pub server: Server,
    pub app: App,
    pub now: Instant,
    /// Everything the server sent.
    pub out: Vec<u8>,
}

impl Session {
    pub fn new(options: Options) -> Self {
        Self::with_app(options, App::default())
    }

    pub fn with_app(options: Options, app: App) -> Self {
        let mut s = Self {
            server: Server::new(options, RANDOM, Instant::ZERO),
            app,
            now: Instant::ZERO,
            out: Vec::new(),
        };
        s.settle();
        s
    }

    pub fn tls(options: Options) -> Self {
        let mut s = Self {
            server: Server::new_tls(options, RANDOM, Instant::ZERO),
            app: App::default(),
            now: Instant::ZERO,
            out: Vec::new(),
        };
        s.settle();
        s
    }

    /// Lets the server and the application go on until neither has
    /// anything to do; returns what was sent meanwhile.
    pub fn settle(&mut self) -> Vec<u8> {
        let start = self.out.len();
        loop {
            let mut any = self.app.handle(&mut self.server, self.now);
            while let Some(bytes) = self.server.poll_transmit() {
                self.out.extend_from_slice(&bytes);
                any = true;
            }
            if self.app.tls_pending && self.app.auto_tls {
                self.app.finish_tls(&mut self.server, self.now);
                any = true;
            }
            if let Some(at) = self.server.poll_timeout() {
                if at <= self.now {
                    self.server.handle_timeout(self.now);
                    any = true;
                    // A deadline that stays in the past would loop.
                    if self.server.poll_timeout().is_some_and(|t| t <= self.now) {
                        continue;
                    }
                }
            }
            if !any {
                break;
            }
        }
        self.out[start..].to_vec()
    }

    /// Feeds `bytes` in pieces of `chunk` (0: at once), settling after
    /// each; returns what was sent.
    pub fn feed_chunked(&mut self, bytes: &[u8], chunk: usize) -> Vec<u8> {
        let start = self.out.len();
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = if chunk == 0 {
                rest.len()
            } else {
                chunk.min(rest.len())
            };
            let (piece, tail) = rest.split_at(n);
            self.server.receive(self.now, piece).unwrap();
            self.settle();
            rest = tail;
        }
        self.out[start..].to_vec()
    }

    /// Feeds `bytes` at once; returns what was sent, as text.
    pub fn send(&mut self, bytes: &[u8]) -> String {
        String::from_utf8_lossy(&self.feed_chunked(bytes, 0)).into_owned()
    }

    /// Moves the clock on and settles.
    pub fn wait(&mut self, by: Duration) -> Vec<u8> {
        self.now = self.now + by;
        self.server.handle_timeout(self.now);
        self.settle()
    }

    /// Logs in as alice with USER/PASS.
    pub fn log_in(&mut self) {
        let reply = self.send(b"USER alice\r\nPASS secret\r\n");
        assert!(reply.contains("+OK maildrop has"), "{reply}");
    }

    /// Drops the greeting from the record.
    pub fn greeted(mut self) -> Self {
        self.out.clear();
        self
    }
}
