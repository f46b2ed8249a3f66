//! A sans-IO POP3 client.
//!
//! [`Client`] holds every rule of the protocol and none of the I/O: feed
//! it what the connection receives ([`Client::receive`],
//! [`Client::receive_eof`]), send what it hands out
//! ([`Client::poll_transmit`]), drain its [`Event`]s
//! ([`Client::poll_event`]), and pass time in ([`Client::poll_timeout`],
//! [`Client::handle_timeout`]). Commands are methods that queue the
//! command and return a [`Handle`]; each command ends with one
//! [`Event::Done`] for its handle.
//!
//! The client decides when each queued command goes out: one at a time,
//! or up to [`Options::pipeline_depth`] when the server advertises
//! PIPELINING; STLS, AUTH, USER, PASS and APOP always alone. A command
//! queued for the state a login will reach (STAT right after the login)
//! waits for it, and fails with [`Failure::LoginFailed`] if it fails.
//!
//! ```
//! use pop3_proto::client::{Client, Event, Options, Reply};
//! use pop3_proto::time::Instant;
//!
//! let now = Instant::ZERO;
//! let mut client = Client::new(Options::default().with_allow_plaintext_login(true), now);
//! client.receive(now, b"+OK POP3 server ready\r\n").unwrap();
//! assert!(matches!(client.poll_event(), Some(Event::Greeting(_))));
//!
//! let login = client.login("mrose", "secret").unwrap();
//! let stat = client.stat().unwrap(); // waits for the login
//! assert_eq!(&client.poll_transmit().unwrap()[..], b"USER mrose\r\n");
//! client.receive(now, b"+OK\r\n").unwrap();
//! assert_eq!(&client.poll_transmit().unwrap()[..], b"PASS secret\r\n");
//! client.receive(now, b"+OK maildrop has 2 messages\r\n").unwrap();
//! assert!(matches!(
//!     client.poll_event(),
//!     Some(Event::Done { handle, result: Ok(Reply::LoggedIn(_)) }) if handle == login
//! ));
//! assert_eq!(&client.poll_transmit().unwrap()[..], b"STAT\r\n");
//! client.receive(now, b"+OK 2 320\r\n").unwrap();
//! let Some(Event::Done { handle, result: Ok(Reply::Stat(drop)) }) = client.poll_event() else {
//!     panic!()
//! };
//! assert_eq!((handle, drop.count, drop.size), (stat, 2, 320));
//! ```

mod engine;
mod error;
mod event;
mod options;

pub use self::error::{LocalError, RemoteError, RemoteErrorKind};
pub use self::event::{CloseReason, Deadline, Event, Failure, Handle, Reply, Warning};
pub use self::options::Options;

use crate::codec::{ResponseDecoder, ResponseErrorKind};
use crate::sasl::SaslError;
use crate::sasl::client::ClientMechanism;
use crate::state::SessionState;
use crate::time::{AnchoredTimer, Instant, Timer};
use crate::types::{
    Capabilities, Command, CommandKind, DropListing, Entry, Expect, LangRange, MsgNumber, Password,
    SaslData, Secret, Status, Timestamp, Username,
};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use zeroize::Zeroizing;

/// The longest command line a client sends: 255 octets, CRLF included
/// (RFC 2449 §4).
const MAX_COMMAND_LINE: usize = 255;

/// What a command is, for reading its reply.
enum Op {
    /// A reply that is a status line only.
    Simple(CommandKind),
    Stat,
    ScanOne,
    UidOne,
    LangOne,
    /// LIST, UIDL, LANG or bare AUTH with the listing to stream or collect.
    Listing(CommandKind),
    Capa,
    /// RETR or TOP.
    Message(CommandKind),
    Stls,
    /// The USER of a USER/PASS login; the PASS line follows its `+OK`.
    User(Zeroizing<Vec<u8>>),
    Pass,
    Apop,
    Auth(Box<Sasl>),
    Quit,
}

/// An AUTH exchange under way.
struct Sasl {
    mechanism: Box<dyn ClientMechanism + Send>,
    /// The initial response, when it did not fit the AUTH line: the
    /// answer to the first, empty, challenge (RFC 5034 §4).
    withheld: Option<Secret<SaslData<'static>>>,
    /// Why the client cancelled with `*`.
    error: Option<SaslError>,
    /// The client sent `*`: the exchange is over but for the server's
    /// `-ERR` (RFC 5034 §4), and nothing more of it is sent.
    cancelled: bool,
}

impl core::fmt::Debug for Op {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}", self.kind())
    }
}

impl Op {
    fn kind(&self) -> CommandKind {
        match self {
            Self::Simple(kind) | Self::Listing(kind) | Self::Message(kind) => *kind,
            Self::Stat => CommandKind::Stat,
            Self::ScanOne => CommandKind::List,
            Self::UidOne => CommandKind::Uidl,
            Self::LangOne => CommandKind::Lang,
            Self::Capa => CommandKind::Capa,
            Self::Stls => CommandKind::Stls,
            Self::User(_) => CommandKind::User,
            Self::Pass => CommandKind::Pass,
            Self::Apop => CommandKind::Apop,
            Self::Auth(_) => CommandKind::Auth,
            Self::Quit => CommandKind::Quit,
        }
    }

    /// Commands that never share the wire with another (RFC 2449 §6.6,
    /// RFC 2595 §4, RFC 5034 §4).
    fn alone(&self) -> bool {
        matches!(
            self,
            Self::Stls | Self::User(_) | Self::Pass | Self::Apop | Self::Auth(_)
        )
    }

    fn is_login(&self) -> bool {
        matches!(
            self,
            Self::User(_) | Self::Pass | Self::Apop | Self::Auth(_)
        )
    }
}

/// A command waiting to be sent.
#[derive(Debug)]
struct Queued {
    handle: Handle,
    op: Op,
    line: Zeroizing<Vec<u8>>,
    expect: Expect,
}

/// A command sent, whose reply is awaited or being read.
#[derive(Debug)]
struct InFlight {
    handle: Handle,
    op: Op,
    expect: Expect,
    /// The `+OK` line of a multi-line reply.
    status: Option<Status<'static>>,
    /// A collected listing.
    entries: Vec<Entry<'static>>,
    capabilities: Capabilities,
    /// LIST's count and sum, for the check against STAT (SPEC S8).
    listed: (u64, Option<u64>),
    /// The first problem in the reply, reported at its end.
    error: Option<RemoteError>,
    /// The result decided before the reply ended.
    result: Option<Result<Reply, Failure>>,
}

/// Where TLS stands on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Plain,
    /// STLS was accepted; the caller is doing the handshake.
    Handshake(Handle),
    Active,
}

/// A sans-IO POP3 client session.
#[derive(Debug)]
pub struct Client {
    options: Options,
    state: SessionState,
    decoder: ResponseDecoder,
    input: BytesMut,
    output: BytesMut,
    events: VecDeque<Event>,
    queue: VecDeque<Queued>,
    in_flight: VecDeque<InFlight>,
    next_handle: u64,
    capabilities: Option<Capabilities>,
    /// Whether those capabilities include PIPELINING.
    pipelining: bool,
    timestamp: Option<Timestamp<'static>>,
    tls: Tls,
    /// UTF8 was sent (no STLS after it, RFC 6856 §2.1).
    utf8: bool,
    /// A login is queued or in flight.
    login: Option<Handle>,
    /// A QUIT is queued or sent: nothing may follow it.
    quitting: bool,
    last_stat: Option<DropListing>,
    eof: bool,
    /// The time of the last input: commands queued between calls are
    /// taken to go out then, until a call passes the time in.
    last_now: Instant,
    greeting_timer: Timer,
    /// Started from `last_now` by a command queued between calls, which
    /// may be long after it, it starts again from the next time passed in
    /// (SPEC S14).
    reply_timer: AnchoredTimer,
    tls_timer: Timer,
    idle_timer: Timer,
}

impl Client {
    /// A client for a new plaintext connection; the greeting is awaited
    /// from `now`.
    pub fn new(options: Options, now: Instant) -> Self {
        let mut decoder = ResponseDecoder::new(options.response);
        // A fresh decoder is idle.
        let _ = decoder.expect(Expect::Greeting);
        let mut greeting_timer = Timer::default();
        greeting_timer.start(now, options.greeting_timeout);
        Self {
            options,
            state: SessionState::Greeting,
            decoder,
            input: BytesMut::new(),
            output: BytesMut::new(),
            events: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            next_handle: 0,
            capabilities: None,
            pipelining: false,
            timestamp: None,
            tls: Tls::Plain,
            utf8: false,
            login: None,
            quitting: false,
            last_stat: None,
            eof: false,
            last_now: now,
            greeting_timer,
            reply_timer: AnchoredTimer::default(),
            tls_timer: Timer::default(),
            idle_timer: Timer::default(),
        }
    }

    /// A client for a connection that is TLS from the start (POP3S, port
    /// 995, RFC 8314): the caller has done the handshake; the greeting
    /// comes over TLS (SPEC R37).
    pub fn new_tls(options: Options, now: Instant) -> Self {
        let mut client = Self::new(options, now);
        client.tls = Tls::Active;
        client
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

    /// The capabilities of the last CAPA reply, if one was read since the
    /// last STLS or login (both make them stale, RFC 2595 §4, RFC 2449
    /// §5). A refused CAPA leaves an empty set.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// How many received bytes the client holds, not yet handed out: at
    /// most a partial line (bounded by the line limits of
    /// [`Options::response`]), since message data goes out as
    /// [`Event::Data`] as soon as it arrives. Events not yet drained are
    /// the caller's to take.
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// The APOP timestamp of the greeting, if it had a valid one (SPEC
    /// R21) and TLS has not replaced the session since (S4).
    pub fn apop_timestamp(&self) -> Option<&Timestamp<'static>> {
        self.timestamp.as_ref()
    }

    // ----------------------------------------------------------- input

    /// Feeds bytes received from the server. Events and bytes to send
    /// may follow.
    ///
    /// # Errors
    ///
    /// [`LocalError::InputAfterEof`] after [`receive_eof`](Self::receive_eof).
    pub fn receive(&mut self, now: Instant, data: &[u8]) -> Result<(), LocalError> {
        if self.eof {
            return Err(LocalError::InputAfterEof);
        }
        if data.is_empty() || self.state == SessionState::Closed {
            return Ok(());
        }
        self.input.extend_from_slice(data);
        self.process(now);
        Ok(())
    }

    /// Feeds bytes received from the server without copying them when
    /// nothing is left over from before: message pieces are cut out of
    /// `data`.
    ///
    /// # Errors
    ///
    /// As [`receive`](Self::receive).
    pub fn receive_bytes(&mut self, now: Instant, data: Bytes) -> Result<(), LocalError> {
        if self.eof {
            return Err(LocalError::InputAfterEof);
        }
        if data.is_empty() || self.state == SessionState::Closed {
            return Ok(());
        }
        if self.input.is_empty() {
            // Read straight from the caller's buffer: message pieces are
            // slices of it, whoever else shares it. Only the start of a
            // line that has not ended is copied, to wait for the rest.
            let mut data = data;
            self.process_from(now, &mut data);
            if self.state != SessionState::Closed && !data.is_empty() {
                self.input.extend_from_slice(&data);
            }
        } else {
            self.input.extend_from_slice(&data);
            self.process(now);
        }
        Ok(())
    }

    /// The server closed the connection.
    pub fn receive_eof(&mut self, now: Instant) {
        if self.eof {
            return;
        }
        self.eof = true;
        let _ = now;
        if self.state == SessionState::Closed {
            return;
        }
        if let Err(e) = self.decoder.finish() {
            let command = self.in_flight.front().map(|f| f.op.kind());
            self.end(CloseReason::Protocol(RemoteError::new(
                command,
                RemoteErrorKind::Response(e.kind()),
            )));
        } else if !self.input.is_empty() {
            // The start of a line nothing asked for.
            self.end(CloseReason::Protocol(RemoteError::new(
                None,
                RemoteErrorKind::Response(ResponseErrorKind::Unsolicited),
            )));
        } else {
            self.end(CloseReason::Eof);
        }
    }

    /// TLS is up after an [`Event::StartTls`]: the session goes on over it,
    /// with every capability and the APOP timestamp learned before
    /// forgotten (SPEC S4). Ask for the capabilities again
    /// ([`capa`](Self::capa)).
    ///
    /// # Errors
    ///
    /// [`LocalError::NoTlsPending`] without a pending handshake.
    pub fn tls_established(&mut self, now: Instant) -> Result<(), LocalError> {
        let Tls::Handshake(handle) = self.tls else {
            return Err(LocalError::NoTlsPending);
        };
        self.tls = Tls::Active;
        self.tls_timer.stop();
        self.set_capabilities(None);
        self.timestamp = None;
        self.decoder.reset();
        self.input.clear();
        self.events.push_back(Event::Done {
            handle,
            result: Ok(Reply::TlsEstablished),
        });
        self.idle_timer.start(now, self.options.idle_timeout);
        self.flush(now);
        Ok(())
    }

    /// Ends the session from this side, without QUIT (and so without
    /// UPDATE, RFC 1939 §6): every command still pending fails with
    /// [`Failure::Closed`], and [`Event::Closed`] with
    /// [`CloseReason::Local`] follows; bytes not yet handed out by
    /// [`poll_transmit`](Self::poll_transmit) are dropped. Then drop the
    /// connection.
    pub fn close(&mut self) {
        self.end(CloseReason::Local);
    }

    /// Ends the session for `reason`; the pending commands fail.
    pub(super) fn end(&mut self, reason: CloseReason) {
        if self.state == SessionState::Closed {
            return;
        }
        self.state = SessionState::Closed;
        if let Tls::Handshake(handle) = self.tls {
            // The STLS command's Done was to come with TLS.
            self.tls = Tls::Plain;
            self.events.push_back(Event::Done {
                handle,
                result: Err(Failure::Closed),
            });
        }
        for f in core::mem::take(&mut self.in_flight) {
            self.events.push_back(Event::Done {
                handle: f.handle,
                result: Err(Failure::Closed),
            });
        }
        for q in core::mem::take(&mut self.queue) {
            self.events.push_back(Event::Done {
                handle: q.handle,
                result: Err(Failure::Closed),
            });
        }
        self.greeting_timer.stop();
        self.reply_timer.stop();
        self.tls_timer.stop();
        self.idle_timer.stop();
        self.input.clear();
        // Nothing goes out after Closed: not a SASL answer written before
        // the read broke the protocol, nor a command the caller queued.
        self.output.clear();
        self.events.push_back(Event::Closed(reason));
    }

    // ---------------------------------------------------------- output

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The bytes to send to the server, if any.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.output.is_empty() {
            None
        } else {
            Some(self.output.split().freeze())
        }
    }

    /// Appends the bytes to send to `out`, as many as it has room for;
    /// gives how many. The rest waits for the next call.
    pub fn transmit_into(&mut self, out: &mut impl bytes::BufMut) -> usize {
        let n = self.output.len().min(out.remaining_mut());
        out.put_slice(&self.output[..n]);
        bytes::Buf::advance(&mut self.output, n);
        n
    }

    /// The next deadline: call [`handle_timeout`](Self::handle_timeout)
    /// then. Right after a command goes out it may be in the past:
    /// commands take no time, so the client asks for it, to count the
    /// reply deadline from when the command went out; call
    /// `handle_timeout` at once.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.greeting_timer.deadline(),
            self.reply_timer.deadline(self.last_now),
            self.tls_timer.deadline(),
            self.idle_timer.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Time has passed: report the deadlines that expired. Calls before a
    /// deadline, or repeated ones, do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        // A call that passes the time in: commands queued after it are
        // taken to go out no earlier.
        self.last_now = self.last_now.max(now);
        // A command went out since the last input, at `now` at the
        // latest: the reply may take its time from then.
        self.reply_timer.anchor(now, self.options.reply_timeout);
        for (deadline, fatal) in [
            (Deadline::Greeting, true),
            (Deadline::Reply, true),
            (Deadline::Tls, true),
            (Deadline::Idle, false),
        ] {
            let expired = match deadline {
                Deadline::Greeting => self.greeting_timer.expire(now),
                Deadline::Reply => self.reply_timer.expire(now),
                Deadline::Tls => self.tls_timer.expire(now),
                _ => self.idle_timer.expire(now),
            };
            if expired {
                self.events.push_back(Event::Timeout(deadline));
                if fatal {
                    self.end(CloseReason::Timeout(deadline));
                    return;
                }
            }
        }
    }

    // -------------------------------------------------------- commands

    /// STAT.
    ///
    /// # Errors
    ///
    /// A [`LocalError`] when the command is not valid now; nothing is
    /// queued.
    pub fn stat(&mut self) -> Result<Handle, LocalError> {
        self.command(Command::Stat, Op::Stat)
    }

    /// LIST: the whole scan listing (`None`) or one message's.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn list(&mut self, msg: Option<MsgNumber>) -> Result<Handle, LocalError> {
        let op = match msg {
            Some(_) => Op::ScanOne,
            None => Op::Listing(CommandKind::List),
        };
        self.command(Command::List(msg), op)
    }

    /// UIDL: the whole unique-id listing (`None`) or one message's.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn uidl(&mut self, msg: Option<MsgNumber>) -> Result<Handle, LocalError> {
        let op = match msg {
            Some(_) => Op::UidOne,
            None => Op::Listing(CommandKind::Uidl),
        };
        self.command(Command::Uidl(msg), op)
    }

    /// RETR: the message comes as [`Event::Data`] pieces, then
    /// [`Event::Done`].
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn retr(&mut self, msg: MsgNumber) -> Result<Handle, LocalError> {
        self.command(Command::Retr(msg), Op::Message(CommandKind::Retr))
    }

    /// TOP: the headers, the blank line and `lines` lines of the body, as
    /// for [`retr`](Self::retr).
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn top(&mut self, msg: MsgNumber, lines: u32) -> Result<Handle, LocalError> {
        self.command(Command::Top { msg, lines }, Op::Message(CommandKind::Top))
    }

    /// DELE.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn dele(&mut self, msg: MsgNumber) -> Result<Handle, LocalError> {
        self.command(Command::Dele(msg), Op::Simple(CommandKind::Dele))
    }

    /// NOOP.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn noop(&mut self) -> Result<Handle, LocalError> {
        self.command(Command::Noop, Op::Simple(CommandKind::Noop))
    }

    /// RSET.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn rset(&mut self) -> Result<Handle, LocalError> {
        self.command(Command::Rset, Op::Simple(CommandKind::Rset))
    }

    /// CAPA: the reply is [`Reply::Capabilities`], also kept for
    /// [`capabilities`](Self::capabilities). A server that refuses CAPA
    /// is not an error of the session (fetchmail falls back, so do we),
    /// unless TLS is required (SPEC S3).
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn capa(&mut self) -> Result<Handle, LocalError> {
        self.command(Command::Capa, Op::Capa)
    }

    /// UTF8 (RFC 6856 §2): after it, STLS is not possible.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat); also [`LocalError::NeedsTls`] before TLS
    /// when TLS is required (R70).
    pub fn utf8(&mut self) -> Result<Handle, LocalError> {
        if self.options.require_tls && self.tls != Tls::Active {
            // No STLS after UTF8 (RFC 6856 §2.1, SPEC R70): it would
            // shut the way to TLS.
            return Err(LocalError::NeedsTls);
        }
        let handle = self.command(Command::Utf8, Op::Simple(CommandKind::Utf8))?;
        self.utf8 = true;
        Ok(handle)
    }

    /// LANG: the language list (`None`) or a switch to a language.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat); also before TLS when TLS is required.
    pub fn lang(&mut self, range: Option<LangRange<'_>>) -> Result<Handle, LocalError> {
        if self.options.require_tls && self.tls != Tls::Active {
            // RFC 6856 §7: the language can tell who the user is.
            return Err(LocalError::NeedsTls);
        }
        let op = match range {
            Some(_) => Op::LangOne,
            None => Op::Listing(CommandKind::Lang),
        };
        self.command(Command::Lang(range), op)
    }

    /// Bare AUTH: the server's mechanisms as a listing (SPEC R61).
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn auth_list(&mut self) -> Result<Handle, LocalError> {
        self.command(Command::AuthList, Op::Listing(CommandKind::Auth))
    }

    /// QUIT: in TRANSACTION the server removes the messages marked as
    /// deleted (UPDATE); the session then closes with
    /// [`CloseReason::Quit`] (clean only for `+OK`), or with
    /// [`CloseReason::Protocol`] when the reply cannot be read.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat).
    pub fn quit(&mut self) -> Result<Handle, LocalError> {
        self.command(Command::Quit, Op::Quit)
    }

    /// STLS (RFC 2595): once the server accepts, [`Event::StartTls`] says
    /// to do the handshake.
    ///
    /// # Errors
    ///
    /// [`LocalError::StlsNotPossible`] when TLS is active or starting,
    /// anything is queued or in flight, UTF8 was sent, or the session is
    /// not in AUTHORIZATION (or a login is under way).
    pub fn stls(&mut self) -> Result<Handle, LocalError> {
        if self.tls != Tls::Plain
            || self.utf8
            || self.login.is_some()
            || self.state != SessionState::Authorization
            || !self.queue.is_empty()
            || !self.in_flight.is_empty()
        {
            return Err(LocalError::StlsNotPossible);
        }
        self.command(Command::Stls, Op::Stls)
    }

    /// Logs in with USER and PASS (RFC 1939 §7). The one handle's
    /// [`Event::Done`] says how the login ended.
    ///
    /// # Errors
    ///
    /// [`LocalError::NeedsTls`] over a plaintext connection unless
    /// [`Options::allow_plaintext_login`] (SPEC S15);
    /// [`LocalError::Utf8NotOffered`] for UTF-8 credentials without the
    /// server's `UTF8 USER`; [`LocalError::LineTooLong`] for credentials
    /// that do not fit, [`LocalError::InvalidArgument`] for ones the
    /// commands cannot carry (an empty or spaced user name, a control
    /// character); and as for [`stat`](Self::stat).
    pub fn login(
        &mut self,
        user: impl AsRef<[u8]>,
        password: impl AsRef<[u8]>,
    ) -> Result<Handle, LocalError> {
        self.check_login(true)?;
        let (user, password) = (user.as_ref(), password.as_ref());
        self.check_utf8(&[user, password])?;
        let user = Username::try_from(user).map_err(invalid)?;
        let password = Password::try_from(password).map_err(invalid)?;
        let pass = Zeroizing::new(Command::Pass(Secret::new(password)).to_vec());
        self.command(Command::User(user), Op::User(pass))
    }

    /// Logs in with APOP (RFC 1939 §7), from the greeting's timestamp.
    ///
    /// # Errors
    ///
    /// [`LocalError::ApopUnavailable`] unless [`Options::allow_apop`] and
    /// the greeting had a valid timestamp (SPEC R21, S12); otherwise as
    /// [`login`](Self::login).
    pub fn apop(
        &mut self,
        user: impl AsRef<[u8]>,
        secret: impl AsRef<[u8]>,
    ) -> Result<Handle, LocalError> {
        if !self.options.allow_apop {
            return Err(LocalError::ApopUnavailable);
        }
        self.check_login(true)?;
        let timestamp = self
            .timestamp
            .clone()
            .filter(|_| !self.stls_pending())
            .ok_or(LocalError::ApopUnavailable)?;
        let user = user.as_ref();
        self.check_utf8(&[user])?;
        let name = Username::try_from(user).map_err(invalid)?;
        let digest = crate::apop::digest(&timestamp, secret.as_ref());
        self.command(
            Command::Apop {
                name,
                digest: Secret::new(digest),
            },
            Op::Apop,
        )
    }

    /// Logs in with a SASL mechanism (RFC 5034): the initial response goes
    /// on the AUTH line when the server advertised SASL (R50) and the
    /// line fits 255 octets, and in answer to the first challenge
    /// otherwise (R53).
    ///
    /// # Errors
    ///
    /// [`LocalError::NeedsTls`] for a mechanism that sends the password or
    /// a token itself (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, or one this
    /// crate does not know) over plaintext, unless allowed (SPEC S15);
    /// [`LocalError::Sasl`] when the mechanism cannot start; otherwise as
    /// [`login`](Self::login).
    pub fn authenticate(
        &mut self,
        mut mechanism: Box<dyn ClientMechanism + Send>,
    ) -> Result<Handle, LocalError> {
        let name = mechanism.mechanism();
        self.check_login(crate::sasl::choose::sends_secret(&name))?;
        let initial = mechanism.initial_response()?;
        let advertised =
            self.capabilities.as_ref().and_then(|c| c.sasl()).is_some() && !self.stls_pending();
        let with_ir = Command::Auth {
            mechanism: name.clone(),
            initial_response: initial.clone(),
        };
        let (command, withheld) = match initial {
            Some(ir) if !advertised || with_ir.encoded_len() > MAX_COMMAND_LINE => (
                Command::Auth {
                    mechanism: name,
                    initial_response: None,
                },
                Some(ir),
            ),
            _ => (with_ir, None),
        };
        self.command(
            command,
            Op::Auth(Box::new(Sasl {
                mechanism,
                withheld,
                error: None,
                cancelled: false,
            })),
        )
    }

    /// A command of the caller's own ([`Command::Other`], or any command
    /// built by hand), whose reply is a status line.
    ///
    /// # Errors
    ///
    /// As [`stat`](Self::stat); commands with replies of their own shape
    /// have their own methods.
    pub fn raw(&mut self, command: Command<'_>) -> Result<Handle, LocalError> {
        let kind = command.kind();
        if command.expect() != Expect::Status || command_is_managed(kind) {
            return Err(LocalError::NotAllowed {
                command: kind,
                state: self.state,
            });
        }
        self.command(command, Op::Simple(kind))
    }

    // ------------------------------------------------------- internals

    /// The checks every login shares.
    fn check_login(&self, sends_secret: bool) -> Result<(), LocalError> {
        if self.login.is_some() || self.projected_state() == SessionState::Transaction {
            return Err(LocalError::LoginUnderWay);
        }
        if self.state != SessionState::Authorization {
            return Err(self.not_allowed(CommandKind::User));
        }
        let encrypted = self.tls == Tls::Active;
        if !encrypted
            && (self.options.require_tls || (sends_secret && !self.options.allow_plaintext_login))
        {
            return Err(LocalError::NeedsTls);
        }
        if self.tls != Tls::Plain && !encrypted {
            return Err(LocalError::NeedsTls);
        }
        Ok(())
    }

    /// UTF-8 credentials only when the server said `UTF8 USER` (R72).
    fn check_utf8(&self, values: &[&[u8]]) -> Result<(), LocalError> {
        let offered =
            self.capabilities.as_ref().and_then(|c| c.utf8()) == Some(true) && !self.stls_pending();
        if !offered && values.iter().any(|v| !v.is_ascii()) {
            return Err(LocalError::Utf8NotOffered);
        }
        Ok(())
    }

    /// STLS is queued or awaits its reply: a login queued now goes out
    /// over TLS, where nothing the plaintext session taught holds (SPEC
    /// S4). STLS is only queued with nothing before it, so it is first.
    fn stls_pending(&self) -> bool {
        self.queue.front().is_some_and(|q| matches!(q.op, Op::Stls))
            || self
                .in_flight
                .front()
                .is_some_and(|f| matches!(f.op, Op::Stls))
    }

    fn not_allowed(&self, command: CommandKind) -> LocalError {
        LocalError::NotAllowed {
            command,
            state: self.projected_state(),
        }
    }

    /// The state the session will be in once what is queued succeeds: a
    /// login under way leads to TRANSACTION, a QUIT to the end.
    fn projected_state(&self) -> SessionState {
        if self.quitting {
            SessionState::Update
        } else if self.login.is_some() {
            SessionState::Transaction
        } else {
            self.state
        }
    }

    /// Queues `command`, to be read as `op`.
    fn command(&mut self, command: Command<'_>, op: Op) -> Result<Handle, LocalError> {
        if self.state == SessionState::Closed {
            return Err(LocalError::Closed);
        }
        let kind = command.kind();
        let state = self.projected_state();
        if state == SessionState::Update || !state.allows(kind) {
            return Err(LocalError::NotAllowed {
                command: kind,
                state,
            });
        }
        let mut line = Zeroizing::new(Vec::new());
        command.try_encode(MAX_COMMAND_LINE, &mut *line)?;
        let handle = Handle(self.next_handle);
        self.next_handle += 1;
        if op.is_login() {
            self.login = Some(handle);
        }
        if matches!(op, Op::Quit) {
            self.quitting = true;
        }
        self.queue.push_back(Queued {
            handle,
            expect: command.expect(),
            op,
            line,
        });
        // No clock here: the reply timer starts from the last input's
        // time, and again from the next time passed in.
        let idle = self.in_flight.is_empty();
        self.flush(self.now_hint());
        if idle && !self.in_flight.is_empty() {
            self.reply_timer.unanchor();
        }
        Ok(handle)
    }

    /// The time commands queued between inputs are taken to go out at.
    fn now_hint(&self) -> Instant {
        self.last_now
    }
}

/// A credential refused by its type: too long for its command line
/// ([`LocalError::LineTooLong`]), or not carried by it at all.
fn invalid(e: crate::types::ValueError) -> LocalError {
    match e {
        crate::types::ValueError::TooLong { .. } => {
            LocalError::LineTooLong(crate::codec::LineTooLong {
                limit: MAX_COMMAND_LINE,
                len: MAX_COMMAND_LINE + 1,
            })
        }
        e => LocalError::InvalidArgument(e),
    }
}

/// Commands whose replies or side effects the client manages itself.
fn command_is_managed(kind: CommandKind) -> bool {
    matches!(
        kind,
        CommandKind::User
            | CommandKind::Pass
            | CommandKind::Apop
            | CommandKind::Auth
            | CommandKind::Stls
            | CommandKind::Utf8
            | CommandKind::Quit
    )
}
