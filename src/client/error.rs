//! The client's errors: the caller's mistakes (local) apart from the
//! server's (remote).

use crate::codec::{LineTooLong, ResponseErrorKind};
use crate::sasl::SaslError;
use crate::state::SessionState;
use crate::types::{CommandKind, ValueError};

/// A command the client refused to queue: nothing was sent, and the
/// session is as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// The command is not valid in the state the session is in, or will
    /// be in once the login under way succeeds (SPEC §2.D).
    #[error("{command:?} is not allowed in {state}")]
    NotAllowed {
        /// The command.
        command: CommandKind,
        /// The state it would be sent in.
        state: SessionState,
    },
    /// A login is already under way or done.
    #[error("a login is already under way or done")]
    LoginUnderWay,
    /// The session is over.
    #[error("the session is closed")]
    Closed,
    /// The connection is not encrypted, and the login would send the
    /// password or a bearer token itself (SPEC S15), or TLS is required
    /// for any login ([`Options::require_tls`](super::Options::require_tls)).
    #[error("this login needs TLS (or allow_plaintext_login)")]
    NeedsTls,
    /// APOP is not allowed ([`Options::allow_apop`](super::Options::allow_apop)),
    /// or the greeting had no valid timestamp (SPEC R21, S12), or TLS
    /// replaced (or, with STLS under way, will replace) the session that
    /// had one (S4).
    #[error("APOP is not possible here")]
    ApopUnavailable,
    /// A credential holds UTF-8, and the server did not advertise
    /// `UTF8 USER` (RFC 6856 §2.2, SPEC R72).
    #[error("UTF-8 credentials need the server's UTF8 USER capability")]
    Utf8NotOffered,
    /// STLS now would break a rule: TLS is already active or starting, a
    /// command is in flight or queued, UTF8 was sent (RFC 6856 §2.1,
    /// SPEC R70), or the session is past AUTHORIZATION (R63).
    #[error("STLS is not possible now")]
    StlsNotPossible,
    /// [`Client::tls_established`](super::Client::tls_established) without
    /// a pending [`Event::StartTls`](super::Event::StartTls).
    #[error("no TLS handshake is pending")]
    NoTlsPending,
    /// The command line would be longer than the limit (255 octets for
    /// commands, RFC 2449 §4).
    #[error(transparent)]
    LineTooLong(#[from] LineTooLong),
    /// A user name or password the command cannot carry: empty where it
    /// may not be, a space in a user name, a control character, invalid
    /// UTF-8 (SPEC R03, S10).
    #[error("invalid argument: {0}")]
    InvalidArgument(ValueError),
    /// The SASL mechanism refused to start.
    #[error(transparent)]
    Sasl(#[from] SaslError),
    /// Bytes were fed after the end of the input (EOF) was reported.
    #[error("input after EOF")]
    InputAfterEof,
}

/// The server broke the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct RemoteError {
    pub(crate) command: Option<CommandKind>,
    pub(crate) kind: RemoteErrorKind,
}

impl core::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.command {
            Some(command) => write!(f, "{} (in the reply to {command:?})", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl RemoteError {
    pub(crate) const fn new(command: Option<CommandKind>, kind: RemoteErrorKind) -> Self {
        Self { command, kind }
    }

    /// The command whose reply it was in; `None` for the greeting or for
    /// bytes that answer nothing.
    pub fn command(&self) -> Option<CommandKind> {
        self.command
    }

    /// What was wrong.
    pub fn kind(&self) -> RemoteErrorKind {
        self.kind
    }
}

/// What the server did wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteErrorKind {
    /// A line the reply decoder refused (malformed, too long, bare LF,
    /// bad base64, another message's number, unsolicited, cut by EOF).
    #[error(transparent)]
    Response(ResponseErrorKind),
    /// Bytes after the `+OK` to STLS, before TLS was up: a response
    /// injection attempt (SPEC S2).
    #[error("plaintext after the STLS +OK: possible injection")]
    DataAfterStls,
    /// A listing longer than the limit
    /// ([`Options::collect_listings`](super::Options::collect_listings),
    /// [`Options::max_capabilities`](super::Options::max_capabilities)).
    #[error("a listing longer than the limit")]
    TooManyLines,
}
