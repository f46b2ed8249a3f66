//! The engine of [`Server`]: reading command lines, running them, and
//! the login exchanges.

use super::{
    AfterDelay, CloseReason, Content, Event, How, ListingKind, Login, Method, Refusal, Server, Tls,
    Wait, hex, text,
};
use crate::apop;
use crate::body::{BodyEncoder, TopEncoder};
use crate::codec::{CommandErrorKind, DEFAULT_RESPONSE_LINE, DEFAULT_SASL_LINE, Decoded};
use crate::sasl::choose::sends_secret;
use crate::sasl::scram::{ScramHash, ScramServer};
use crate::sasl::server::{
    Anonymous, Answer, CramMd5, External, Failure, Identity, Login as SaslLogin, OAuthBearer,
    Plain, Request, ServerMechanism, Step, XOAuth2,
};
use crate::state::SessionState;
use crate::types::{
    Capability, Command, DropListing, Entry, LangListing, LangRange, Mechanism, MsgNumber,
    RespCode, Response, SaslResponse, ScanListing, Status, StatusKind, Text, UidListing, Username,
};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

impl Server {
    /// Runs what the input holds and continues a listing, for as long as
    /// nothing waits for the application and the output has room.
    pub(super) fn advance(&mut self) {
        loop {
            if self.state == SessionState::Closed {
                return;
            }
            match self.wait {
                Wait::Listing { .. } => {
                    if !self.pump_listing() {
                        return;
                    }
                }
                Wait::Command | Wait::SaslLine(_) => {
                    if self.output.len() >= self.options.output_bound()
                        || self.input.is_empty()
                        || !self.read_line()
                    {
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    /// Reads one line of input and runs it; false when no whole line is
    /// there.
    fn read_line(&mut self) -> bool {
        let input = core::mem::take(&mut self.input);
        let consumed = if matches!(self.wait, Wait::SaslLine(_)) {
            self.sasl_line(input.unread())
        } else {
            self.command_line(input.unread())
        };
        if self.state == SessionState::Closed {
            return false;
        }
        self.input = input;
        let Some(consumed) = consumed else {
            return false;
        };
        self.input.consume(consumed);
        if matches!(self.wait, Wait::Tls) {
            if self.input.is_empty() {
                self.events.push_back(Event::StartTls);
            } else {
                // Plaintext pipelined after STLS (SPEC S1): never run.
                self.end(CloseReason::Injection);
            }
            return false;
        }
        // A command resets the autologout timer (RFC 1939 §3).
        self.autologout.stop();
        true
    }

    /// Decodes and runs a command line; `None` while it is incomplete.
    fn command_line(&mut self, input: &[u8]) -> Option<usize> {
        // PASS must come right after USER (RFC 1939 §7): any other line
        // forgets the name.
        let user = self.user.take();
        match self.decoder.decode(input) {
            Ok(Decoded::Incomplete) => {
                self.user = user;
                None
            }
            Ok(Decoded::Discard(n)) => {
                self.user = user;
                Some(n)
            }
            Ok(Decoded::Value { value, consumed }) => {
                self.command(value, user);
                Some(consumed)
            }
            Err(e) => {
                if e.is_fatal() {
                    self.err_text(match e.kind() {
                        CommandErrorKind::BareLineFeed => b"line ends in a bare LF",
                        _ => b"input line too long",
                    });
                    self.end(CloseReason::BadLine(e.kind()));
                } else {
                    self.bad(match e.kind() {
                        CommandErrorKind::Empty | CommandErrorKind::InvalidKeyword => {
                            b"unknown command"
                        }
                        _ => b"invalid arguments",
                    });
                }
                Some(e.consumed())
            }
        }
    }

    /// Runs one command.
    fn command(&mut self, command: Command<'_>, user: Option<Username<'static>>) {
        if !self.state.allows(command.kind()) {
            return self.bad(b"command not valid in this state");
        }
        match command {
            // AUTHORIZATION.
            Command::User(name) => {
                if !self.user_offered() {
                    return self.bad(b"USER is not available");
                }
                // The same reply whether the user exists or not (SPEC R47).
                self.user = Some(name.into_owned());
                self.ok_text(b"");
            }
            Command::Pass(password) => {
                let Some(name) = user else {
                    return self.bad(b"no user name given");
                };
                let raw = String::from_utf8_lossy(name.as_bytes()).into_owned();
                let login = Login::new(Method::User, Some(raw), How::Pass);
                let (Some(authcid), Some(password)) = (
                    self.credential(name.as_bytes()),
                    self.credential(password.expose_secret().as_bytes()),
                ) else {
                    // SASLprep refused it: a failed login like any other,
                    // not a hint about the name (SPEC S13).
                    return self.login_failed(login, Failure::Rejected);
                };
                let password = crate::types::Secret::new(Zeroizing::new(password.into_bytes()));
                self.ask(
                    login,
                    Request::Password {
                        authzid: None,
                        authcid,
                        password,
                    },
                );
            }
            Command::Apop { name, digest } => {
                if !self.apop_offered() {
                    return self.bad(b"APOP is not available");
                }
                let raw = String::from_utf8_lossy(name.as_bytes()).into_owned();
                let login = Login::new(Method::Apop, Some(raw), How::Apop(digest));
                let Some(user) = self.credential(name.as_bytes()) else {
                    return self.login_failed(login, Failure::Rejected);
                };
                self.ask(login, Request::SharedSecret { user });
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                let Some(sasl) = self.mechanism(&mechanism) else {
                    return self.bad(b"unsupported authentication mechanism");
                };
                let login = Login::new(Method::Sasl(mechanism.into_owned()), None, How::Sasl(sasl));
                let ir = initial_response
                    .as_ref()
                    .map(|ir| ir.expose_secret().as_bytes());
                self.client_step(login, |m| m.start(ir));
            }
            Command::AuthList => {
                self.ok_text(b"mechanisms follow");
                let offered: Vec<Mechanism<'static>> = self.offered().cloned().collect();
                for m in offered {
                    Entry::Mechanism(m).encode(&mut self.output);
                }
                self.output.extend_from_slice(b".\r\n");
            }
            Command::Stls => {
                if self.tls == Tls::Active {
                    return self.err_text(b"command not permitted when TLS active");
                }
                if !self.options.stls || self.utf8 {
                    return self.bad(b"STLS is not available");
                }
                self.ok_text(b"begin TLS negotiation");
                self.tls = Tls::Handshake;
                self.wait = Wait::Tls;
            }
            Command::Utf8 => {
                if self.options.utf8.is_none() {
                    return self.bad(b"unknown command");
                }
                self.utf8 = true;
                self.ok_text(b"UTF8 enabled");
            }
            Command::Lang(range) => self.lang(range),
            Command::Capa => self.capa(),
            Command::Quit => {
                if self.state == SessionState::Transaction {
                    self.state = SessionState::Update;
                    self.wait = Wait::Update;
                    self.events.push_back(Event::Update);
                } else {
                    self.ok_text(b"POP3 server signing off");
                    self.end(CloseReason::Quit);
                }
            }
            // TRANSACTION.
            Command::Stat => {
                let (count, size) = self
                    .maildrop
                    .as_ref()
                    .map_or((0, 0), |m| (m.live, m.live_size));
                Response::Stat(DropListing { count, size }).encode(&mut self.output);
            }
            Command::List(None) => self.listing(ListingKind::Scan),
            Command::Uidl(None) => self.listing(ListingKind::Uid),
            Command::List(Some(msg)) => {
                if let (Some(msg), Some(m)) = (self.live(msg), &self.maildrop) {
                    let size = m.listing.size(msg);
                    Response::Scan(ScanListing { msg, size }).encode(&mut self.output);
                }
            }
            Command::Uidl(Some(msg)) => {
                if let (Some(msg), Some(m)) = (self.live(msg), &self.maildrop) {
                    let uid = m.listing.uid(msg);
                    Response::Uid(UidListing { msg, uid }).encode(&mut self.output);
                }
            }
            Command::Retr(msg) => self.retrieve(msg, None),
            Command::Top { msg, lines } => self.retrieve(msg, Some(lines)),
            Command::Dele(msg) => {
                if self.live(msg).is_some() {
                    if let Some(m) = &mut self.maildrop {
                        m.mark(msg);
                    }
                    self.ok_text(format!("message {} deleted", msg.get()).as_bytes());
                }
            }
            Command::Noop => self.ok_text(b""),
            Command::Rset => {
                let (live, size) = self.maildrop.as_mut().map_or((0, 0), |m| {
                    m.reset();
                    (m.live, m.live_size)
                });
                self.ok_text(
                    format!(
                        "maildrop has {live} message{} ({size} octets)",
                        if live == 1 { "" } else { "s" }
                    )
                    .as_bytes(),
                );
            }
            _ => self.bad(b"unknown command"),
        }
    }

    /// The open maildrop and `msg`, when `msg` is a message not marked as
    /// deleted; else the `-ERR` is written (SPEC R25, R26, S8).
    fn live(&mut self, msg: MsgNumber) -> Option<MsgNumber> {
        let result = self.maildrop.as_ref().map(|m| m.live(msg));
        match result {
            Some(Ok(msg)) => Some(msg),
            Some(Err(super::maildrop::Missing::Deleted)) => {
                self.err_text(format!("message {} already deleted", msg.get()).as_bytes());
                None
            }
            _ => {
                self.err_text(b"no such message");
                None
            }
        }
    }

    /// RETR and TOP: the application streams the content.
    fn retrieve(&mut self, msg: MsgNumber, top: Option<u32>) {
        let Some(msg) = self.live(msg) else {
            return;
        };
        let needs_utf8 = self
            .maildrop
            .as_ref()
            .is_some_and(|m| m.listing.needs_utf8(msg));
        if !self.utf8 && needs_utf8 {
            // SPEC R71: no raw non-ASCII outside UTF8 mode.
            return self.err_code(RespCode::UTF8, b"message needs UTF8 mode");
        }
        self.wait = Wait::Content {
            msg,
            started: false,
            done: false,
            encoder: match top {
                Some(lines) => Content::Top(TopEncoder::new(lines)),
                None => Content::Retr(BodyEncoder::new()),
            },
        };
        self.events.push_back(Event::Content { msg, top });
    }

    /// LIST or UIDL without an argument: the `+OK` line, then one line per
    /// live message as the output has room.
    fn listing(&mut self, kind: ListingKind) {
        let (live, size) = self
            .maildrop
            .as_ref()
            .map_or((0, 0), |m| (m.live, m.live_size));
        match kind {
            ListingKind::Scan => self.ok_text(
                format!(
                    "{live} message{} ({size} octets)",
                    if live == 1 { "" } else { "s" }
                )
                .as_bytes(),
            ),
            ListingKind::Uid => self.ok_text(b"unique-id listing follows"),
        }
        self.wait = Wait::Listing { kind, next: 1 };
    }

    /// Writes listing lines while the output has room; true when the
    /// listing is complete.
    fn pump_listing(&mut self) -> bool {
        let Wait::Listing { kind, next } = &mut self.wait else {
            return true;
        };
        let Some(m) = &self.maildrop else {
            self.wait = Wait::Command;
            return true;
        };
        while self.output.len() < self.options.output_bound() {
            let Some(msg) = m.next_live(*next) else {
                self.output.extend_from_slice(b".\r\n");
                self.wait = Wait::Command;
                return true;
            };
            match kind {
                ListingKind::Scan => Entry::Scan(ScanListing {
                    msg,
                    size: m.listing.size(msg),
                })
                .encode(&mut self.output),
                ListingKind::Uid => Entry::Uid(UidListing {
                    msg,
                    uid: m.listing.uid(msg),
                })
                .encode(&mut self.output),
            }
            *next = msg.get().saturating_add(1);
            if msg.get() == u32::MAX {
                *next = u32::MAX;
                self.output.extend_from_slice(b".\r\n");
                self.wait = Wait::Command;
                return true;
            }
        }
        false
    }

    fn lang(&mut self, range: Option<LangRange<'_>>) {
        if self.options.languages.is_empty() {
            return self.bad(b"unknown command");
        }
        match range {
            None => {
                self.ok_text(b"language listing follows");
                for l in &self.options.languages {
                    Entry::Lang(l.clone()).encode(&mut self.output);
                }
                self.output.extend_from_slice(b".\r\n");
            }
            Some(range) => {
                let found = match &range {
                    LangRange::Default => self.options.languages.first(),
                    LangRange::Tag(tag) => self
                        .options
                        .languages
                        .iter()
                        .find(|l| l.tag.as_str().eq_ignore_ascii_case(tag.as_str())),
                    #[allow(unreachable_patterns)]
                    _ => None,
                };
                match found.cloned() {
                    Some(LangListing { tag, .. }) => {
                        let line = Response::Lang(LangListing {
                            tag: tag.clone(),
                            description: text(b"language changed"),
                        });
                        line.encode(&mut self.output);
                        self.language = Some(tag);
                    }
                    None => {
                        let name = match &range {
                            LangRange::Tag(tag) => tag.as_str(),
                            _ => "*",
                        };
                        // The tag is a checked LangTag: safe to echo (V9).
                        self.err_text(format!("invalid language {name}").as_bytes());
                    }
                }
            }
        }
    }

    /// CAPA, from the options and the state (RFC 2449 §5).
    fn capa(&mut self) {
        self.ok_text(b"capability list follows");
        let mut lines: Vec<Capability<'static>> = Vec::with_capacity(16);
        lines.push(Capability::Top);
        lines.push(Capability::Uidl);
        lines.push(Capability::RespCodes);
        lines.push(Capability::AuthRespCode);
        if self.options.pipelining {
            lines.push(Capability::Pipelining);
        }
        if self.user_offered() {
            lines.push(Capability::User);
        }
        let sasl: Vec<Mechanism<'static>> = self.offered().cloned().collect();
        if !sasl.is_empty() {
            lines.push(Capability::Sasl(sasl));
        }
        if self.stls_offered() {
            lines.push(Capability::Stls);
        }
        if let Some(user) = self.options.utf8 {
            lines.push(Capability::Utf8 { user });
        }
        if !self.options.languages.is_empty() {
            lines.push(Capability::Lang);
        }
        if let Some(seconds) = self.options.login_delay {
            lines.push(Capability::LoginDelay {
                seconds,
                per_user: false,
            });
        }
        if let Some(policy) = self.options.expire {
            lines.push(Capability::Expire {
                policy,
                per_user: false,
            });
        }
        if self.state == SessionState::Transaction {
            if let Some(text) = &self.options.implementation {
                lines.push(Capability::Implementation(text.clone()));
            }
        }
        for line in lines {
            // A line that would pass the limit (a long IMPLEMENTATION
            // text) is left out rather than sent too long.
            let _ = line.try_encode(DEFAULT_RESPONSE_LINE, &mut self.output);
        }
        self.output.extend_from_slice(b".\r\n");
    }

    // ------------------------------------------------------------ policy

    /// True over TLS, or when plaintext logins are allowed.
    pub(super) fn plaintext_ok(&self) -> bool {
        self.tls == Tls::Active || self.options.plaintext_logins
    }

    fn user_offered(&self) -> bool {
        self.options.user && self.plaintext_ok()
    }

    fn apop_offered(&self) -> bool {
        self.options.apop && self.timestamp.is_some() && self.plaintext_ok()
    }

    fn stls_offered(&self) -> bool {
        self.options.stls
            && self.tls == Tls::Plain
            && self.state == SessionState::Authorization
            && !self.utf8
    }

    /// The SASL mechanisms offered now, in the options' order.
    fn offered(&self) -> impl Iterator<Item = &Mechanism<'static>> {
        self.options
            .mechanisms
            .iter()
            .filter(move |m| self.mechanism_offered(m))
    }

    fn mechanism_offered(&self, m: &Mechanism<'_>) -> bool {
        let built_in = matches!(
            m,
            Mechanism::Plain
                | Mechanism::Login
                | Mechanism::CramMd5
                | Mechanism::ScramSha1
                | Mechanism::ScramSha256
                | Mechanism::ScramSha1Plus
                | Mechanism::ScramSha256Plus
                | Mechanism::XOAuth2
                | Mechanism::OAuthBearer
                | Mechanism::External
                | Mechanism::Anonymous
        );
        let plus = matches!(m, Mechanism::ScramSha1Plus | Mechanism::ScramSha256Plus);
        let over_tls = plus || matches!(m, Mechanism::External);
        built_in
            && (!sends_secret(m) || self.plaintext_ok())
            && (!over_tls || self.tls == Tls::Active)
            && (!plus || self.options.channel_binding)
    }

    /// A fresh exchange of mechanism `m`, if it is offered now.
    fn mechanism(&mut self, m: &Mechanism<'_>) -> Option<Box<dyn ServerMechanism + Send>> {
        if !self.options.mechanisms.contains(m) || !self.mechanism_offered(m) {
            return None;
        }
        self.exchanges = self.exchanges.wrapping_add(1);
        let unique = format!("{}.{}", hex(&self.random), self.exchanges);
        let hash = match m {
            Mechanism::Plain => return Some(Box::new(Plain::new())),
            Mechanism::Login => return Some(Box::new(SaslLogin::new())),
            Mechanism::XOAuth2 => return Some(Box::new(XOAuth2::new())),
            Mechanism::OAuthBearer => return Some(Box::new(OAuthBearer::new())),
            Mechanism::External => return Some(Box::new(External::new())),
            Mechanism::Anonymous => return Some(Box::new(Anonymous::new())),
            Mechanism::CramMd5 => {
                let challenge = format!("<{unique}@{}>", self.options.hostname());
                return CramMd5::new(challenge)
                    .ok()
                    .map(|m| Box::new(m) as Box<dyn ServerMechanism + Send>);
            }
            Mechanism::ScramSha1 | Mechanism::ScramSha1Plus => ScramHash::Sha1,
            _ => ScramHash::Sha256,
        };
        let random = self.random;
        let key = self.options.scram_secret().unwrap_or(&random);
        let plus = matches!(m, Mechanism::ScramSha1Plus | Mechanism::ScramSha256Plus);
        let scram = if plus {
            ScramServer::new_plus(hash, &unique, key)
        } else {
            ScramServer::new(hash, &unique, key)
        };
        let plus_offered = self.offered().any(|o| {
            matches!(
                (o, hash),
                (Mechanism::ScramSha1Plus, ScramHash::Sha1)
                    | (Mechanism::ScramSha256Plus, ScramHash::Sha256)
            )
        });
        let scram = scram.ok()?;
        Some(Box::new(
            scram
                .with_plus_offered(plus_offered)
                .with_fake_iterations(self.options.scram_fake_iterations)
                .with_fake_salt_len(self.options.scram_fake_salt_len),
        ))
    }

    // ------------------------------------------------------------ logins

    /// Asks the application `request` for `login`.
    fn ask(&mut self, mut login: Login, request: Request) {
        if let Some(user) = requested_user(&request) {
            login.user = Some(String::from(user));
        }
        login.asked = true;
        self.events.push_back(Event::Auth {
            method: login.method.clone(),
            request,
        });
        self.wait = Wait::Answer(login);
    }

    /// Runs `f` on the login's mechanism and acts on the step it gives;
    /// gives the login back when the mechanism refuses the call.
    fn sasl_step(
        &mut self,
        mut login: Login,
        f: impl FnOnce(&mut dyn ServerMechanism) -> Result<Step, crate::sasl::SaslError>,
    ) -> Result<(), Login> {
        let How::Sasl(mechanism) = &mut login.how else {
            return Err(login);
        };
        match f(&mut **mechanism) {
            Ok(step) => {
                self.step(login, step);
                Ok(())
            }
            Err(_) => Err(login),
        }
    }

    /// Runs `f` on a mechanism for the client; a mechanism that refuses
    /// the call (it cannot, for the built-in ones) fails the login.
    fn client_step(
        &mut self,
        login: Login,
        f: impl FnOnce(&mut dyn ServerMechanism) -> Result<Step, crate::sasl::SaslError>,
    ) {
        if let Err(login) = self.sasl_step(login, f) {
            self.login_failed(login, Failure::Malformed("mechanism out of order"));
        }
    }

    /// Acts on a mechanism's step.
    fn step(&mut self, login: Login, step: Step) {
        match step {
            Step::Challenge(data) => {
                let mut line = Vec::new();
                if Response::Challenge(data)
                    .try_encode(DEFAULT_SASL_LINE, &mut line)
                    .is_err()
                {
                    return self.login_failed(login, Failure::Malformed("challenge too long"));
                }
                if login.refused && !login.counted {
                    // An error challenge (XOAUTH2, OAUTHBEARER) already tells
                    // the client its credentials failed: the failure is
                    // counted, reported and delayed now, as a `-ERR` would
                    // be, so that guessing stays slow and limited.
                    let mut login = login;
                    login.counted = true;
                    self.events.push_back(Event::LoginFailed {
                        method: login.method.clone(),
                        user: login.user.clone(),
                    });
                    return self.hold(line, AfterDelay::Sasl(login));
                }
                self.output.extend_from_slice(&line);
                self.wait = Wait::SaslLine(login);
            }
            Step::Need(request) => self.ask(login, request),
            Step::Success(identity) => self.proved(login, identity),
            Step::Failure(failure) => self.login_failed(login, failure),
            #[allow(unreachable_patterns)]
            _ => self.login_failed(login, Failure::Malformed("unknown step")),
        }
    }

    /// The client's answer to a challenge.
    fn sasl_line(&mut self, input: &[u8]) -> Option<usize> {
        let Wait::SaslLine(_) = self.wait else {
            return Some(0);
        };
        let decoded = self.decoder.decode_sasl(input);
        let Wait::SaslLine(login) = core::mem::replace(&mut self.wait, Wait::Command) else {
            return Some(0);
        };
        match decoded {
            Ok(Decoded::Incomplete) => {
                self.wait = Wait::SaslLine(login);
                None
            }
            Ok(Decoded::Discard(n)) => {
                self.wait = Wait::SaslLine(login);
                Some(n)
            }
            Ok(Decoded::Value { value, consumed }) => {
                match value {
                    SaslResponse::Cancel if login.asked => {
                        // After the application judged the credentials, a
                        // `*` cannot take the attempt back (SPEC S13).
                        self.login_failed(login, Failure::Rejected);
                    }
                    SaslResponse::Cancel => {
                        // RFC 5034 §4: `*` cancels before anything was
                        // checked; not a failed login.
                        self.err_text(b"authentication cancelled");
                    }
                    SaslResponse::Data(data) => {
                        let data = data.expose_secret().as_bytes();
                        self.client_step(login, |m| m.respond(data));
                    }
                    #[allow(unreachable_patterns)]
                    _ => self.err_text(b"authentication failed"),
                }
                Some(consumed)
            }
            Err(e) => {
                if e.is_fatal() {
                    self.err_text(b"input line too long");
                    self.end(CloseReason::BadLine(e.kind()));
                } else if login.asked {
                    // SPEC R55: bad base64 ends the exchange; after the
                    // credentials were judged, as a failed login.
                    self.login_failed(login, Failure::Malformed("invalid base64"));
                } else {
                    // SPEC R55: bad base64 ends the exchange.
                    self.bad(b"invalid base64 data");
                }
                Some(e.consumed())
            }
        }
    }

    /// The application's answer to the login's request.
    pub(super) fn on_answer(
        &mut self,
        mut login: Login,
        answer: Answer,
    ) -> Result<(), super::LocalError> {
        let wrong = |server: &mut Self, login: Login| {
            server.wait = Wait::Answer(login);
            Err(super::LocalError::WrongAnswer)
        };
        match &mut login.how {
            How::Sasl(_) => {
                login.refused = matches!(answer, Answer::Reject | Answer::RejectToken(_));
                return match self.sasl_step(login, |m| m.answer(answer)) {
                    Ok(()) => Ok(()),
                    Err(login) => wrong(self, login),
                };
            }
            How::Pass => match answer {
                Answer::Accept => {
                    let identity = Identity {
                        authcid: login.user.clone(),
                        authzid: None,
                    };
                    self.proved(login, identity);
                }
                Answer::Reject => self.login_failed(login, Failure::Rejected),
                Answer::Unavailable => self.login_failed(login, Failure::Unavailable),
                _ => return wrong(self, login),
            },
            How::Apop(digest) => match &answer {
                Answer::SharedSecret(secret) => {
                    let right = self.timestamp.as_ref().is_some_and(|ts| {
                        apop::verify(ts, secret.expose_secret(), digest.expose_secret())
                    });
                    if right {
                        let identity = Identity {
                            authcid: login.user.clone(),
                            authzid: None,
                        };
                        self.proved(login, identity);
                    } else {
                        self.login_failed(login, Failure::Rejected);
                    }
                }
                Answer::Reject => self.login_failed(login, Failure::Rejected),
                Answer::Unavailable => self.login_failed(login, Failure::Unavailable),
                _ => return wrong(self, login),
            },
        }
        Ok(())
    }

    /// The credentials hold: the application opens the maildrop.
    fn proved(&mut self, login: Login, identity: Identity) {
        let user = identity.user().map(String::from).or(login.user);
        self.events.push_back(Event::Open {
            method: login.method.clone(),
            identity,
        });
        self.wait = Wait::Open(login.method, user);
    }

    /// A failed login: reported, and its `-ERR` held back for the delay
    /// (unless that happened at its error challenge already).
    fn login_failed(&mut self, login: Login, failure: Failure) {
        let (code, line): (Option<RespCode<'static>>, &'static [u8]) = match failure.code() {
            Some("SYS/TEMP") => (
                Some(RespCode::SYS_TEMP),
                b"temporary authentication failure",
            ),
            Some(_) => (Some(RespCode::AUTH), b"authentication failed"),
            None => (None, b"authentication failed"),
        };
        if login.counted {
            Status::from_parts(StatusKind::Err, code, text(line)).encode(&mut self.output);
            self.wait = Wait::Command;
            return;
        }
        self.events.push_back(Event::LoginFailed {
            method: login.method,
            user: login.user,
        });
        self.delayed_failure(code, line);
    }

    /// Counts a failed login and writes its `-ERR` after the delay; the
    /// session closes after too many.
    fn delayed_failure(&mut self, code: Option<RespCode<'static>>, line: &'static [u8]) {
        let mut bytes = Vec::new();
        Status::from_parts(StatusKind::Err, code, text(line)).encode(&mut bytes);
        self.hold(bytes, AfterDelay::Command);
    }

    /// Counts a failed login, and holds `line` back for the delay; at the
    /// limit the session ends after it (with the `-ERR`, not a challenge).
    fn hold(&mut self, mut line: Vec<u8>, mut then: AfterDelay) {
        self.login_failures = self.login_failures.saturating_add(1);
        if self.login_failures >= self.options.max_login_failures.max(1) {
            if matches!(then, AfterDelay::Sasl(_)) {
                line.clear();
                Status::from_parts(
                    StatusKind::Err,
                    Some(RespCode::AUTH),
                    text(b"authentication failed"),
                )
                .encode(&mut line);
            }
            then = AfterDelay::Close;
        }
        match self.options.login_failure_delay.filter(|d| !d.is_zero()) {
            Some(delay) => {
                self.delay.start(self.last_now, Some(delay));
                self.wait = Wait::Delay { line, then };
            }
            None => {
                self.output.extend_from_slice(&line);
                match then {
                    AfterDelay::Close => {
                        self.wait = Wait::Command;
                        self.end(CloseReason::TooManyLoginFailures);
                    }
                    AfterDelay::Sasl(login) => self.wait = Wait::SaslLine(login),
                    AfterDelay::Command => self.wait = Wait::Command,
                }
            }
        }
    }

    /// A credential from USER, PASS or APOP: as sent, or SASLprepped (RFC
    /// 6856 §2.2, RFC 4013 query mode) when UTF-8 credentials are on;
    /// `None` when SASLprep refuses it.
    fn credential(&self, bytes: &[u8]) -> Option<String> {
        if !self.options.command.utf8_credentials {
            return Some(String::from_utf8_lossy(bytes).into_owned());
        }
        crate::sasl::saslprep::saslprep_bytes(bytes, crate::sasl::saslprep::Mode::Query)
            .ok()
            .and_then(|prepared| String::from_utf8(prepared.into_owned()).ok())
            .filter(|s| !s.is_empty())
    }

    /// The application refuses to open the maildrop.
    pub(super) fn on_refusal(&mut self, method: Method, user: Option<String>, refusal: Refusal) {
        let (code, line): (RespCode<'static>, &'static [u8]) = match refusal {
            Refusal::InUse => (RespCode::IN_USE, b"maildrop is locked by another session"),
            Refusal::LoginDelay => (RespCode::LOGIN_DELAY, b"logged in too recently"),
            Refusal::SysTemp => (RespCode::SYS_TEMP, b"cannot open the maildrop now"),
            Refusal::SysPerm => (RespCode::SYS_PERM, b"cannot open the maildrop"),
            Refusal::Auth => {
                self.events.push_back(Event::LoginFailed { method, user });
                return self.delayed_failure(Some(RespCode::AUTH), b"authentication failed");
            }
        };
        self.err_code(code, line);
    }

    // ------------------------------------------------------------ replies

    /// `+OK text`.
    pub(super) fn ok_text(&mut self, line: &[u8]) {
        Status::from_parts(StatusKind::Ok, None, Text(Cow::Borrowed(line)))
            .encode(&mut self.output);
    }

    /// `-ERR text`.
    pub(super) fn err_text(&mut self, line: &[u8]) {
        Status::from_parts(StatusKind::Err, None, Text(Cow::Borrowed(line)))
            .encode(&mut self.output);
    }

    /// `-ERR [code] text`.
    pub(super) fn err_code(&mut self, code: RespCode<'static>, line: &'static [u8]) {
        Status::from_parts(StatusKind::Err, Some(code), text(line)).encode(&mut self.output);
    }

    /// A bad command: `-ERR`, and the session ends at the limit.
    fn bad(&mut self, line: &'static [u8]) {
        if self.count_bad() {
            self.err_text(b"too many bad commands");
            self.end(CloseReason::TooManyBadCommands);
        } else {
            self.err_text(line);
        }
    }

    /// Counts a bad command; true at the limit.
    fn count_bad(&mut self) -> bool {
        self.bad_commands = self.bad_commands.saturating_add(1);
        let max = if self.state == SessionState::Authorization {
            self.options.max_bad_commands_before_login
        } else {
            self.options.max_bad_commands
        };
        self.bad_commands >= max.max(1)
    }
}

/// The user a request names, for [`Event::LoginFailed`].
fn requested_user(request: &Request) -> Option<&str> {
    match request {
        Request::Password { authcid, .. } | Request::ScramCredentials { authcid, .. } => {
            Some(authcid)
        }
        Request::SharedSecret { user } => Some(user),
        Request::Authorize { authcid, .. } => Some(authcid),
        Request::Token { user, .. } => user.as_deref(),
        _ => None,
    }
}
