//! A sans-IO POP3 server.
//!
//! [`Server`] holds every rule of the protocol and none of the I/O: feed
//! it what the connection receives ([`Server::receive`],
//! [`Server::receive_eof`]), send what it hands out
//! ([`Server::poll_transmit`]), act on its [`Event`]s
//! ([`Server::poll_event`]), and pass time in ([`Server::poll_timeout`],
//! [`Server::handle_timeout`]).
//!
//! The server answers by itself everything that needs neither storage nor
//! policy: the greeting, CAPA, the state table (R07), STAT, LIST, UIDL,
//! DELE, RSET, NOOP, the bookkeeping of deletions, dot-stuffing, STLS and
//! the SASL exchanges. It asks the application, as events, for what does:
//! credentials ([`Event::Auth`]), the maildrop's listing and lock
//! ([`Event::Open`]), message content ([`Event::Content`]) and the commit
//! of deletions ([`Event::Update`]). While it waits for an answer it reads
//! no further command; pipelined ones wait their turn, so replies always
//! go out in order.
//!
//! # The loop
//!
//! Every call can make work for the others: an answer lets the next
//! pipelined command run, taking output ([`Server::poll_transmit`]) makes
//! room for the next command, listing line or piece of content once the
//! output reached [`Options::max_output`]. So a caller repeats, until a
//! whole round does nothing:
//!
//! 1. act on every [`Server::poll_event`];
//! 2. give content while [`Server::wants_content`];
//! 3. write everything [`Server::poll_transmit`] gives;
//!
//! and only then waits: for the connection (reading at most
//! [`Server::input_room`] bytes, none when it is zero) or for
//! [`Server::poll_timeout`]. A loop that waits for the client as soon as
//! the events are drained stalls on pipelined RETRs: the second one's
//! [`Event::Content`] comes out of the `poll_transmit` that took the end
//! of the first.
//!
//! ```
//! use pop3_proto::sasl::server::{Answer, Request};
//! use pop3_proto::server::{Event, Listing, Options, Server};
//! use pop3_proto::time::Instant;
//! use pop3_proto::types::Uid;
//!
//! let now = Instant::ZERO;
//! let options = Options::default().with_plaintext_logins(true);
//! let mut server = Server::new(options, [7; 16], now);
//! assert_eq!(&server.poll_transmit().unwrap()[..], b"+OK POP3 server ready\r\n");
//!
//! server.receive(now, b"USER alice\r\nPASS secret\r\n").unwrap();
//! let Some(Event::Auth { request: Request::Password { authcid, password, .. }, .. }) =
//!     server.poll_event()
//! else {
//!     panic!()
//! };
//! assert_eq!((authcid.as_str(), &password.expose_secret()[..]), ("alice", &b"secret"[..]));
//! server.answer(Answer::Accept).unwrap();
//! assert!(matches!(server.poll_event(), Some(Event::Open { .. })));
//!
//! let mut listing = Listing::new();
//! listing.push(120, Uid::try_from("whqtswO00WBw418f9t5JxYwZ").unwrap());
//! server.open(Box::new(listing)).unwrap();
//! server.receive(now, b"STAT\r\n").unwrap();
//! assert_eq!(
//!     &server.poll_transmit().unwrap()[..],
//!     b"+OK\r\n+OK maildrop has 1 message (120 octets)\r\n+OK 1 120\r\n"
//! );
//! ```

mod engine;
mod error;
mod event;
mod maildrop;
mod options;

pub use self::error::LocalError;
pub use self::event::{CloseReason, Event, Flow, Method, PartialUpdate, Refusal};
pub use self::maildrop::{Listing, Maildrop};
pub use self::options::{MIN_AUTOLOGOUT, Options};

use self::maildrop::Open;
use crate::body::{BodyEncoder, TopEncoder};
use crate::codec::CommandDecoder;
use crate::sasl::server::ServerMechanism;
use crate::state::SessionState;
use crate::time::{AnchoredTimer, Instant, Timer};
use crate::types::{ApopDigest, Greeting, LangTag, MsgNumber, Secret, Text, Timestamp, Username};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

/// How many random bytes a connection needs: the unique part of the APOP
/// timestamp and of every CRAM-MD5 challenge and SCRAM nonce.
pub const RANDOM_LEN: usize = 16;

/// A login under way.
struct Login {
    method: Method,
    /// The user the client named, once it named one.
    user: Option<String>,
    how: How,
    /// The application was asked about this login: a `*` now is a failed
    /// login, not a change of mind.
    asked: bool,
    /// The application refused the credentials, and the mechanism goes on
    /// with an error challenge (XOAUTH2, OAUTHBEARER).
    refused: bool,
    /// The failure was counted, reported and delayed already (at the
    /// error challenge).
    counted: bool,
}

impl Login {
    fn new(method: Method, user: Option<String>, how: How) -> Self {
        Self {
            method,
            user,
            how,
            asked: false,
            refused: false,
            counted: false,
        }
    }
}

/// What follows a delayed line.
enum AfterDelay {
    /// Commands again.
    Command,
    /// The session ends: too many failed logins.
    Close,
    /// The client's answer to the delayed challenge.
    Sasl(Login),
}

enum How {
    /// USER/PASS: the answer to [`Request::Password`](crate::sasl::server::Request::Password).
    Pass,
    /// APOP: the digest to check against the shared secret.
    Apop(Secret<ApopDigest>),
    /// AUTH: the mechanism.
    Sasl(Box<dyn ServerMechanism + Send>),
}

/// A message being sent.
enum Content {
    Retr(BodyEncoder),
    Top(TopEncoder),
}

/// A multi-line listing being sent, one line per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListingKind {
    Scan,
    Uid,
}

/// What the session waits for.
enum Wait {
    /// A command line.
    Command,
    /// The client's response to a SASL challenge.
    SaslLine(Login),
    /// The application's [`Server::answer`].
    Answer(Login),
    /// The application's [`Server::open`] or [`Server::refuse`], for the
    /// user who logged in.
    Open(Method, Option<String>),
    /// The `-ERR` of a failed login (or the error challenge after a
    /// refused token), held back until the delay passes.
    Delay { line: Vec<u8>, then: AfterDelay },
    /// Room in the output for the rest of a listing.
    Listing { kind: ListingKind, next: u32 },
    /// The application's content.
    Content {
        msg: MsgNumber,
        started: bool,
        /// The reply is complete (TOP has its lines); `content_end` goes
        /// on to the next command.
        done: bool,
        encoder: Content,
    },
    /// The application's [`Server::update_done`].
    Update,
    /// The caller's TLS handshake.
    Tls,
    /// Nothing: the session is over.
    Closed,
}

impl Wait {
    /// True while the session waits for the client.
    fn is_idle(&self) -> bool {
        matches!(self, Self::Command | Self::SaslLine(_) | Self::Tls)
    }
}

impl core::fmt::Debug for Wait {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Command => "Command",
            Self::SaslLine(_) => "SaslLine",
            Self::Answer(_) => "Answer",
            Self::Open(..) => "Open",
            Self::Delay { .. } => "Delay",
            Self::Listing { .. } => "Listing",
            Self::Content { .. } => "Content",
            Self::Update => "Update",
            Self::Tls => "Tls",
            Self::Closed => "Closed",
        })
    }
}

/// Where TLS stands on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Plain,
    Handshake,
    Active,
}

/// A sans-IO POP3 server session: one per connection.
pub struct Server {
    options: Options,
    state: SessionState,
    decoder: CommandDecoder,
    input: Input,
    output: BytesMut,
    events: VecDeque<Event>,
    wait: Wait,
    tls: Tls,
    random: [u8; RANDOM_LEN],
    /// SASL exchanges started, for unique nonces and challenges.
    exchanges: u32,
    timestamp: Option<Timestamp<'static>>,
    /// The name of a successful USER, for the PASS right after it.
    user: Option<Username<'static>>,
    /// UTF8 mode (RFC 6856 §2).
    utf8: bool,
    language: Option<LangTag<'static>>,
    maildrop: Option<Open>,
    bad_commands: u32,
    login_failures: u32,
    eof: bool,
    /// The latest time passed in.
    last_now: Instant,
    /// Started from `last_now` by a call that passes no time in, which may
    /// be long after it, it starts again from the next call that does.
    autologout: AnchoredTimer,
    delay: Timer,
}

impl core::fmt::Debug for Server {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("state", &self.state)
            .field("wait", &self.wait)
            .field("tls", &self.tls)
            .field("utf8", &self.utf8)
            .field("maildrop", &self.maildrop)
            .field("input", &self.input.len())
            .field("output", &self.output.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A session for a new plaintext connection; the greeting is ready to
    /// send. `random` must be fresh random bytes for this connection (from
    /// the operating system's generator): they make the APOP timestamp,
    /// the CRAM-MD5 challenges and the SCRAM nonces unique and
    /// unpredictable.
    pub fn new(options: Options, random: [u8; RANDOM_LEN], now: Instant) -> Self {
        Self::start(options, random, now, Tls::Plain)
    }

    /// A session for a connection that is TLS from the start (POP3S, port
    /// 995, RFC 8314): call it once the handshake is done (SPEC R37).
    pub fn new_tls(options: Options, random: [u8; RANDOM_LEN], now: Instant) -> Self {
        Self::start(options, random, now, Tls::Active)
    }

    fn start(mut options: Options, random: [u8; RANDOM_LEN], now: Instant, tls: Tls) -> Self {
        options.command.utf8_credentials = options.utf8 == Some(true);
        let mut server = Self {
            decoder: CommandDecoder::new(options.command),
            options,
            state: SessionState::Authorization,
            input: Input::default(),
            output: BytesMut::new(),
            events: VecDeque::new(),
            wait: Wait::Command,
            tls,
            random,
            exchanges: 0,
            timestamp: None,
            user: None,
            utf8: false,
            language: None,
            maildrop: None,
            bad_commands: 0,
            login_failures: 0,
            eof: false,
            last_now: now,
            autologout: AnchoredTimer::default(),
            delay: Timer::default(),
        };
        if server.options.apop && server.plaintext_ok() {
            let unique = hex(&server.random);
            server.timestamp =
                Timestamp::try_from(format!("<{unique}@{}>", server.options.hostname()).as_str())
                    .ok()
                    .map(Timestamp::into_owned);
        }
        server.greet();
        server.idle(Some(now));
        server
    }

    fn greet(&mut self) {
        let text = &self.options.greeting;
        let greeting = match &self.timestamp {
            Some(ts) => Greeting::with_timestamp(text, ts).ok(),
            None => crate::types::Status::ok(text.clone())
                .ok()
                .map(|s| Greeting::new(s).into_owned()),
        };
        let limit = crate::codec::DEFAULT_RESPONSE_LINE;
        match greeting {
            Some(g) if g.encoded_len() <= limit => g.encode(&mut self.output),
            _ => {
                // A greeting text that cannot be sent as it is: the plain one.
                self.timestamp = None;
                self.output.extend_from_slice(b"+OK POP3 server ready\r\n");
            }
        }
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The session's state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// True when the connection is encrypted (POP3S, or after STLS).
    pub fn is_tls(&self) -> bool {
        self.tls == Tls::Active
    }

    /// True in UTF8 mode (RFC 6856 §2).
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// The language the client chose with `LANG`, if any.
    pub fn language(&self) -> Option<&LangTag<'static>> {
        self.language.as_ref()
    }

    /// The APOP timestamp of the greeting, while APOP is possible.
    pub fn apop_timestamp(&self) -> Option<&Timestamp<'static>> {
        self.timestamp.as_ref()
    }

    /// The messages marked as deleted, in order: what UPDATE removes
    /// ([`Event::Update`]). Empty before a login.
    pub fn deleted(&self) -> impl Iterator<Item = MsgNumber> + '_ {
        self.maildrop.iter().flat_map(Open::marked)
    }

    /// The maildrop's listing, once open.
    pub fn maildrop(&self) -> Option<&(dyn Maildrop + Send)> {
        self.maildrop.as_ref().map(|m| &*m.listing)
    }

    /// How many bytes the server holds for this session besides the
    /// caller's listing: its buffers, its pending events' slots and its
    /// bookkeeping (one bit per message once something is deleted). Heap
    /// data that pending events own (a user name in [`Event::Auth`]) is
    /// not counted.
    pub fn memory(&self) -> usize {
        core::mem::size_of::<Self>()
            + self.input.buf.capacity()
            + self.output.capacity()
            + self.events.capacity() * core::mem::size_of::<Event>()
            + self.maildrop.as_ref().map_or(0, Open::own_bytes)
    }

    // ----------------------------------------------------------- input

    /// How many more bytes [`receive`](Self::receive) takes now: read at
    /// most this much from the connection. It is zero while pipelined
    /// commands fill [`Options::max_input`] (the client sends faster than
    /// it reads the replies); more input then would end the session with
    /// [`CloseReason::Flood`].
    pub fn input_room(&self) -> usize {
        if self.state == SessionState::Closed || self.eof {
            0
        } else {
            self.options.input_bound().saturating_sub(self.input.len())
        }
    }

    /// True while [`input_room`](Self::input_room) is not zero.
    pub fn wants_input(&self) -> bool {
        self.input_room() > 0
    }

    /// Feeds bytes received from the client. Events and bytes to send
    /// may follow.
    ///
    /// # Errors
    ///
    /// [`LocalError::InputAfterEof`] after [`receive_eof`](Self::receive_eof).
    pub fn receive(&mut self, now: Instant, mut data: &[u8]) -> Result<(), LocalError> {
        if self.eof {
            return Err(LocalError::InputAfterEof);
        }
        self.last_now = self.last_now.max(now);
        if self.state == SessionState::Closed || data.is_empty() {
            return Ok(());
        }
        if matches!(self.wait, Wait::Tls) {
            // Plaintext after the STLS +OK, before TLS is up (SPEC S1).
            self.end(CloseReason::Injection);
            return Ok(());
        }
        let max = self.options.input_bound();
        while !data.is_empty() && self.state != SessionState::Closed {
            let room = max.saturating_sub(self.input.len());
            if room == 0 {
                self.end(CloseReason::Flood);
                break;
            }
            let (now_part, rest) = data.split_at(room.min(data.len()));
            self.input.push(now_part, max);
            data = rest;
            self.advance();
        }
        self.idle(Some(now));
        Ok(())
    }

    /// The client closed the connection: the session ends without UPDATE
    /// (SPEC R34), unless QUIT already started it. Commands received but
    /// not yet run (pipelined behind a long reply) are dropped: a `DELE`
    /// and `QUIT` that arrive with the end of the connection do not run.
    pub fn receive_eof(&mut self, now: Instant) {
        if self.eof {
            return;
        }
        self.eof = true;
        self.last_now = self.last_now.max(now);
        if !matches!(self.wait, Wait::Update) {
            self.end(CloseReason::Eof);
        }
    }

    /// TLS is up after an [`Event::StartTls`]: the session goes on over
    /// it, with everything learned before forgotten (a USER name, the
    /// language, the APOP timestamp, SPEC S4).
    ///
    /// # Errors
    ///
    /// [`LocalError::NoTlsPending`] without a pending handshake,
    /// [`LocalError::OutputPending`] while the `+OK` to STLS has not been
    /// taken by [`poll_transmit`](Self::poll_transmit) (it must go out in
    /// plaintext, before the handshake), [`LocalError::Closed`] once the
    /// session is over (plaintext after STLS closes it, SPEC S1).
    pub fn tls_established(&mut self, now: Instant) -> Result<(), LocalError> {
        if !matches!(self.wait, Wait::Tls) {
            return Err(self.closed_or(LocalError::NoTlsPending));
        }
        if !self.output.is_empty() {
            // The `+OK` to STLS must go out in plaintext first.
            return Err(LocalError::OutputPending);
        }
        self.last_now = self.last_now.max(now);
        self.tls = Tls::Active;
        self.wait = Wait::Command;
        self.user = None;
        self.language = None;
        self.timestamp = None;
        self.decoder.reset();
        self.input.clear();
        self.autologout.stop();
        self.idle(Some(now));
        Ok(())
    }

    /// Ends the session from this side, without UPDATE (SPEC R34): what
    /// [`poll_transmit`](Self::poll_transmit) still gives may be sent;
    /// [`Event::Closed`] with [`CloseReason::Local`] follows.
    pub fn close(&mut self) {
        self.end(CloseReason::Local);
    }

    /// Ends the session for `reason`.
    fn end(&mut self, reason: CloseReason) {
        if self.state == SessionState::Closed {
            return;
        }
        self.state = SessionState::Closed;
        self.wait = Wait::Closed;
        self.input.clear();
        self.user = None;
        self.autologout.stop();
        self.delay.stop();
        self.events.push_back(Event::Closed(reason));
    }

    // ---------------------------------------------------------- output

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The bytes to send to the client, if any. Taking them makes room:
    /// the server goes on with the commands waiting, a listing, or asks
    /// for more content.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.output.is_empty() {
            return None;
        }
        let out = self.output.split().freeze();
        self.advance();
        self.idle(None);
        Some(out)
    }

    /// Appends the bytes to send to `out`, as many as it has room for;
    /// gives how many. The rest waits for the next call.
    pub fn transmit_into(&mut self, out: &mut impl bytes::BufMut) -> usize {
        let n = self.output.len().min(out.remaining_mut());
        out.put_slice(&self.output[..n]);
        bytes::Buf::advance(&mut self.output, n);
        if n > 0 {
            self.advance();
            self.idle(None);
        }
        n
    }

    /// How many bytes wait to be sent.
    pub fn pending_output(&self) -> usize {
        self.output.len()
    }

    // ------------------------------------------------------------ time

    /// The next deadline: call [`handle_timeout`](Self::handle_timeout)
    /// then. It may be in the past when the autologout timer started in a
    /// call that passed no time in: call `handle_timeout` at once, which
    /// counts it from then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.autologout.deadline(self.last_now),
            self.delay.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Time has passed: a failed login's delayed `-ERR` goes out, or the
    /// autologout closes the session (without UPDATE and without a reply,
    /// RFC 1939 §3). Calls before a deadline, or repeated ones, do
    /// nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
        self.autologout
            .anchor(now, self.options.autologout_in_force());
        if self.delay.expire(now) {
            if let Wait::Delay { line, then } = core::mem::replace(&mut self.wait, Wait::Command) {
                self.output.extend_from_slice(&line);
                match then {
                    AfterDelay::Close => self.end(CloseReason::TooManyLoginFailures),
                    AfterDelay::Sasl(login) => self.wait = Wait::SaslLine(login),
                    AfterDelay::Command => {}
                }
                self.advance();
            }
        }
        if self.autologout.expire(now) {
            self.end(CloseReason::Autologout);
        }
        self.idle(Some(now));
    }

    /// Starts or stops the autologout timer: it runs while the session
    /// waits for the client and has nothing left to send (so never while
    /// a reply is going out, however long it takes), from the last
    /// command. `now` is the time when the caller passed it in.
    fn idle(&mut self, now: Option<Instant>) {
        if !(self.wait.is_idle() && self.output.is_empty()) {
            self.autologout.stop();
            return;
        }
        let after = self.options.autologout_in_force();
        match now {
            _ if !self.autologout.is_running() => {
                self.autologout.start(now.unwrap_or(self.last_now), after);
                if now.is_none() {
                    self.autologout.unanchor();
                }
            }
            Some(now) => self.autologout.anchor(now, after),
            None => {}
        }
    }

    // ------------------------------------------------- the application

    /// Answers the last [`Event::Auth`].
    ///
    /// # Errors
    ///
    /// [`LocalError::NoRequest`] without one, [`LocalError::WrongAnswer`]
    /// for an answer that does not fit it (the request still waits).
    pub fn answer(&mut self, answer: crate::sasl::server::Answer) -> Result<(), LocalError> {
        if !matches!(self.wait, Wait::Answer(_)) {
            return Err(self.closed_or(LocalError::NoRequest));
        }
        let Wait::Answer(login) = core::mem::replace(&mut self.wait, Wait::Command) else {
            return Err(LocalError::NoRequest);
        };
        let result = self.on_answer(login, answer);
        self.advance();
        self.idle(None);
        result
    }

    /// Opens the maildrop after an [`Event::Open`]: the application holds
    /// its lock, and `listing` numbers its messages for the session. The
    /// client gets `+OK` and the session enters TRANSACTION.
    ///
    /// # Errors
    ///
    /// [`LocalError::NoOpen`] without an [`Event::Open`] waiting.
    pub fn open(&mut self, listing: Box<dyn Maildrop + Send>) -> Result<(), LocalError> {
        if !matches!(self.wait, Wait::Open(..)) {
            return Err(self.closed_or(LocalError::NoOpen));
        }
        self.wait = Wait::Command;
        let open = Open::new(listing);
        let text = format!(
            "maildrop has {} message{} ({} octets)",
            open.live,
            if open.live == 1 { "" } else { "s" },
            open.live_size
        );
        self.maildrop = Some(open);
        self.state = SessionState::Transaction;
        self.bad_commands = 0;
        self.login_failures = 0;
        self.ok_text(text.as_bytes());
        self.advance();
        self.idle(None);
        Ok(())
    }

    /// Refuses the login after an [`Event::Open`]: the client gets `-ERR`
    /// with the refusal's response code and stays in AUTHORIZATION.
    /// [`Refusal::Auth`] counts as a failed login (delayed, and limited).
    ///
    /// # Errors
    ///
    /// [`LocalError::NoOpen`] without an [`Event::Open`] waiting.
    pub fn refuse(&mut self, refusal: Refusal) -> Result<(), LocalError> {
        if !matches!(self.wait, Wait::Open(..)) {
            return Err(self.closed_or(LocalError::NoOpen));
        }
        let Wait::Open(method, user) = core::mem::replace(&mut self.wait, Wait::Command) else {
            return Err(LocalError::NoOpen);
        };
        self.on_refusal(method, user, refusal);
        self.advance();
        self.idle(None);
        Ok(())
    }

    /// True while the message of an [`Event::Content`] is wanted and there
    /// is room in the output for more of it.
    pub fn wants_content(&self) -> bool {
        matches!(self.wait, Wait::Content { done: false, .. })
            && self.output.len() < self.options.output_bound()
    }

    /// Sends the next piece of the message of the last [`Event::Content`],
    /// as stored: any size, LF or CRLF line ends. The server dot-stuffs it
    /// and turns every bare LF into CRLF (SPEC R10, S9). Back-pressure:
    /// give more only while [`wants_content`](Self::wants_content); the
    /// piece is always taken whole.
    ///
    /// # Errors
    ///
    /// [`LocalError::NoContent`] when no content is wanted.
    pub fn content(&mut self, piece: &[u8]) -> Result<Flow, LocalError> {
        let Wait::Content {
            msg,
            started,
            done,
            encoder,
        } = &mut self.wait
        else {
            return Err(self.closed_or(LocalError::NoContent));
        };
        if *done {
            // TOP has its lines: the rest of the message goes nowhere.
            return Ok(Flow::Done);
        }
        if !*started {
            *started = true;
            match encoder {
                Content::Retr(_) => {
                    let size = self.maildrop.as_ref().map_or(0, |m| m.listing.size(*msg));
                    put_octets(&mut self.output, size);
                }
                // The whole message's size would not be this reply's
                // (RFC 1939 §7 has a bare `+OK`).
                Content::Top(_) => self
                    .output
                    .extend_from_slice(b"+OK top of message follows\r\n"),
            }
        }
        match encoder {
            Content::Retr(e) => {
                e.encode(piece, &mut self.output);
                Ok(Flow::More)
            }
            Content::Top(e) => {
                if e.encode(piece, &mut self.output).done {
                    e.finish(&mut self.output);
                    *done = true;
                    Ok(Flow::Done)
                } else {
                    Ok(Flow::More)
                }
            }
        }
    }

    /// Ends the message of the last [`Event::Content`]: the server adds a
    /// CRLF if the content did not end with one (SPEC R15), then the
    /// terminator; after a TOP that [`content`](Self::content) said was
    /// [`Flow::Done`], it sends nothing more. Then the next command runs.
    ///
    /// # Errors
    ///
    /// [`LocalError::NoContent`] when no content is wanted.
    pub fn content_end(&mut self) -> Result<(), LocalError> {
        if !matches!(self.wait, Wait::Content { .. }) {
            return Err(self.closed_or(LocalError::NoContent));
        }
        // An empty message: the status line first.
        self.content(b"")?;
        if let Wait::Content { encoder, done, .. } =
            core::mem::replace(&mut self.wait, Wait::Command)
        {
            // A finished TOP has its terminator already.
            if !done {
                match encoder {
                    Content::Retr(mut e) => e.finish(&mut self.output),
                    Content::Top(mut e) => e.finish(&mut self.output),
                }
            }
        }
        self.advance();
        self.idle(None);
        Ok(())
    }

    /// The message of the last [`Event::Content`] cannot be read. Before
    /// any of it went out, the client gets `-ERR [SYS/TEMP]` and the
    /// session goes on; after, the session ends
    /// ([`CloseReason::ContentFailed`]): the client sees the body cut
    /// off, never a short message that looks whole.
    ///
    /// # Errors
    ///
    /// [`LocalError::NoContent`] when no content is wanted.
    pub fn content_failed(&mut self) -> Result<(), LocalError> {
        let Wait::Content { started, done, .. } = &self.wait else {
            return Err(self.closed_or(LocalError::NoContent));
        };
        if *done {
            // The reply went out whole; nothing is lost.
            return self.content_end();
        }
        if *started {
            self.end(CloseReason::ContentFailed);
            return Ok(());
        }
        self.wait = Wait::Command;
        self.err_code(
            crate::types::RespCode::SYS_TEMP,
            b"cannot read the message now",
        );
        self.advance();
        self.idle(None);
        Ok(())
    }

    /// Reports the commit of an [`Event::Update`]: the client gets `+OK`,
    /// or, for a [`PartialUpdate`], `-ERR some deleted messages not
    /// removed` (RFC 1939 §6, SPEC R33); then the session is over.
    ///
    /// # Errors
    ///
    /// [`LocalError::NoUpdate`] without an [`Event::Update`] waiting.
    pub fn update_done(&mut self, result: Result<(), PartialUpdate>) -> Result<(), LocalError> {
        if !matches!(self.wait, Wait::Update) {
            return Err(self.closed_or(LocalError::NoUpdate));
        }
        match result {
            Ok(()) => self.ok_text(b"POP3 server signing off"),
            Err(PartialUpdate) => self.err_text(b"some deleted messages not removed"),
        }
        self.end(CloseReason::Updated {
            complete: result.is_ok(),
        });
        Ok(())
    }

    fn closed_or(&self, error: LocalError) -> LocalError {
        if self.state == SessionState::Closed {
            LocalError::Closed
        } else {
            error
        }
    }
}

/// Received bytes not yet read, in a buffer that never grows past its
/// bound.
#[derive(Debug, Default)]
struct Input {
    buf: Vec<u8>,
    /// How much of `buf` was read.
    at: usize,
}

impl Input {
    fn unread(&self) -> &[u8] {
        self.buf.get(self.at..).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.buf.len() - self.at
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn consume(&mut self, n: usize) {
        self.at = self.at.saturating_add(n).min(self.buf.len());
        if self.at == self.buf.len() {
            self.clear();
        }
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.at = 0;
    }

    /// Appends `data`, moving the unread bytes to the front first, and
    /// growing the buffer to no more than `max` (or what it must hold).
    fn push(&mut self, data: &[u8], max: usize) {
        if self.at > 0 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        let want = self.buf.len() + data.len();
        if want > self.buf.capacity() {
            let target = want.max(self.buf.capacity() * 2).min(max.max(want));
            self.buf.reserve_exact(target - self.buf.len());
        }
        self.buf.extend_from_slice(data);
    }
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|&b| crate::ascii::hex_digits(b))
        .map(char::from)
        .collect()
}

/// `+OK n octets` CRLF: the first line of RETR's and TOP's reply.
fn put_octets(out: &mut BytesMut, size: u64) {
    out.extend_from_slice(b"+OK ");
    crate::codec::put_decimal(out, size);
    out.extend_from_slice(b" octets\r\n");
}

/// A static text, for the replies the server writes itself.
const fn text(bytes: &'static [u8]) -> Text<'static> {
    Text(Cow::Borrowed(bytes))
}
