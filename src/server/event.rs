//! What the server tells the application, and what the application
//! answers with.

use crate::sasl::server::{Identity, Request};
use crate::types::{Mechanism, MsgNumber};

/// How a client is logging in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// USER and PASS (RFC 1939 §7).
    User,
    /// APOP (RFC 1939 §7).
    Apop,
    /// AUTH with this SASL mechanism (RFC 5034).
    Sasl(Mechanism<'static>),
}

/// Something the application must act on. Each variant says what to do
/// next; the session waits for it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A login needs the application: check the credentials or give the
    /// secret the [`Request`] names, and answer with
    /// [`Server::answer`](super::Server::answer). USER/PASS asks
    /// [`Request::Password`] like PLAIN, APOP asks
    /// [`Request::SharedSecret`] like CRAM-MD5 (the server checks the
    /// digest, in constant time). Answer an unknown user as a wrong
    /// password: [`Answer::Reject`](crate::sasl::server::Answer::Reject)
    /// (SPEC S13).
    Auth {
        /// How the client logs in.
        method: Method,
        /// What the login needs.
        request: Request,
    },
    /// The client proved who it is: lock its maildrop and hand over the
    /// listing with [`Server::open`](super::Server::open), or refuse with
    /// [`Server::refuse`](super::Server::refuse) (`[IN-USE]` when the
    /// maildrop is locked, RFC 2449 §8.1.2, SPEC R23).
    Open {
        /// How the client logged in.
        method: Method,
        /// Who it is.
        identity: Identity,
    },
    /// A login failed (for logs and rate limits); the `-ERR` goes out
    /// after [`Options::login_failure_delay`](super::Options::login_failure_delay).
    LoginFailed {
        /// How the client tried to log in.
        method: Method,
        /// The user it named, when it named one.
        user: Option<alloc::string::String>,
    },
    /// RETR or TOP: stream the content of message `msg`, as stored (LF
    /// or CRLF line ends), with [`Server::content`](super::Server::content)
    /// while [`Server::wants_content`](super::Server::wants_content) and
    /// it says [`Flow::More`], then call
    /// [`Server::content_end`](super::Server::content_end) (at the end of
    /// the message, or when `content` said [`Flow::Done`]: TOP has its
    /// lines); or [`Server::content_failed`](super::Server::content_failed)
    /// when it cannot be read. The server dot-stuffs it. The next command
    /// runs only after `content_end`.
    Content {
        /// The message.
        msg: MsgNumber,
        /// `Some(n)` for `TOP msg n`: the headers and `n` body lines are
        /// enough, and [`Server::content`](super::Server::content) says
        /// when they have been sent.
        top: Option<u32>,
    },
    /// QUIT in TRANSACTION (RFC 1939 §6): remove the messages of
    /// [`Server::deleted`](super::Server::deleted), release the lock, and
    /// report with [`Server::update_done`](super::Server::update_done).
    Update,
    /// STLS was accepted: once [`Server::poll_transmit`](super::Server::poll_transmit)
    /// has given the `+OK`, and it has been written, start the TLS
    /// handshake as the server, then call
    /// [`Server::tls_established`](super::Server::tls_established).
    StartTls,
    /// The session is over: write what
    /// [`Server::poll_transmit`](super::Server::poll_transmit) still
    /// gives, then close the connection.
    Closed(CloseReason),
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// QUIT in AUTHORIZATION: nothing to update.
    Quit,
    /// QUIT in TRANSACTION, after UPDATE (RFC 1939 §6); `complete` is
    /// false when the application reported that some deleted messages
    /// were not removed.
    Updated {
        /// Every marked message was removed.
        complete: bool,
    },
    /// The client closed the connection (no UPDATE, SPEC R34).
    Eof,
    /// The autologout timer expired (RFC 1939 §3, SPEC R35): no UPDATE,
    /// no reply.
    Autologout,
    /// The client sent a line that ends the session: over the line
    /// limit, or ending in a bare LF (SPEC R01, R04); it got `-ERR`.
    BadLine(crate::codec::CommandErrorKind),
    /// Plaintext arrived after STLS before TLS was up: a command
    /// injection attempt (SPEC S1). Nothing of it was executed.
    Injection,
    /// Too many bad commands ([`Options::max_bad_commands`](super::Options::max_bad_commands)).
    TooManyBadCommands,
    /// Too many failed logins ([`Options::max_login_failures`](super::Options::max_login_failures)).
    TooManyLoginFailures,
    /// More unread input than [`Options::max_input`](super::Options::max_input).
    Flood,
    /// The application could not send a message it had begun
    /// ([`Server::content_failed`](super::Server::content_failed)): the
    /// body is cut off, which the client sees as an error.
    ContentFailed,
    /// The application ended the session ([`Server::close`](super::Server::close)).
    Local,
}

impl CloseReason {
    /// True when the session went through UPDATE, so that deletions were
    /// committed; false for every other ending (SPEC R34).
    pub const fn updated(&self) -> bool {
        matches!(self, Self::Updated { .. })
    }
}

/// Why the application refuses to open a maildrop after the client proved
/// who it is; each gives its response code (RFC 2449 §8, RFC 3206).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `[IN-USE]`: the maildrop is locked by another session.
    InUse,
    /// `[LOGIN-DELAY]`: the user logged in too recently.
    LoginDelay,
    /// `[SYS/TEMP]`: a transient problem; the client may retry later.
    SysTemp,
    /// `[SYS/PERM]`: a lasting problem; a person must look.
    SysPerm,
    /// `[AUTH]`: the identity may not log in here.
    Auth,
}

/// What [`Server::content`](super::Server::content) says about the
/// message being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flow {
    /// Send more (when [`Server::wants_content`](super::Server::wants_content)),
    /// then [`Server::content_end`](super::Server::content_end).
    More,
    /// The reply is complete (TOP has its lines): send no more of this
    /// message (more is ignored), and call
    /// [`Server::content_end`](super::Server::content_end), which sends
    /// nothing more and goes on to the next command.
    Done,
}

/// Some messages marked as deleted could not be removed at UPDATE
/// (RFC 1939 §6, SPEC R33): the client gets `-ERR some deleted messages
/// not removed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PartialUpdate;

impl PartialUpdate {
    /// The value.
    pub const fn new() -> Self {
        Self
    }
}
