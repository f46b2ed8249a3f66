//! What the client tells its caller.

use super::error::RemoteError;
use crate::sasl::SaslError;
use crate::types::{
    Capabilities, DropListing, Entry, Greeting, LangListing, RespCode, ScanListing, Status,
    UidListing,
};
use alloc::vec::Vec;
use bytes::Bytes;

/// Ties events to the command that caused them. Every command method
/// returns one; every command ends with exactly one [`Event::Done`] for
/// its handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(pub(crate) u64);

/// Something the caller must know or act on. Drain with
/// [`Client::poll_event`](super::Client::poll_event) after every call that
/// feeds the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server greeted: the session is in AUTHORIZATION and commands may
    /// be queued. [`Client::apop_timestamp`](super::Client::apop_timestamp)
    /// tells whether APOP is possible. (A `-ERR` greeting is
    /// [`CloseReason::Refused`] instead.)
    Greeting(Greeting<'static>),
    /// One entry of a listing (LIST, UIDL, LANG, bare AUTH), when listings
    /// are streamed ([`Options::collect_listings`](super::Options::collect_listings)
    /// is `None`). The listing's [`Event::Done`] follows its last entry.
    Entry {
        /// The command.
        handle: Handle,
        /// The entry.
        entry: Entry<'static>,
    },
    /// The next piece of a RETR or TOP message, unstuffed: write it out.
    /// Pieces are cut from the received bytes without copying where the
    /// caller fed [`Bytes`]; the message's [`Event::Done`] follows its
    /// last piece, and only that says the message is complete.
    Data {
        /// The command.
        handle: Handle,
        /// The piece.
        data: Bytes,
    },
    /// STLS was accepted: start the TLS handshake on the connection now,
    /// send nothing else, and call
    /// [`Client::tls_established`](super::Client::tls_established) when it
    /// completes. The STLS command's [`Event::Done`] comes then.
    StartTls {
        /// The STLS command.
        handle: Handle,
    },
    /// A command is finished: with its reply, or why it failed.
    Done {
        /// The command.
        handle: Handle,
        /// The outcome.
        result: Result<Reply, Failure>,
    },
    /// Something the server said does not add up (SPEC S8); the session
    /// goes on.
    Warning(Warning),
    /// A deadline passed. For [`Deadline::Idle`] the session goes on; for
    /// the others it is over and [`Event::Closed`] follows.
    Timeout(Deadline),
    /// The session is over: drop the connection. Nothing follows, and
    /// nothing more is handed out to send.
    Closed(CloseReason),
}

/// A successful command's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// `+OK` and its text: DELE, NOOP, RSET, UTF8, QUIT, unknown commands,
    /// and the `+OK` line of a streamed listing or of a message.
    Ok(Status<'static>),
    /// The login (USER/PASS, APOP or AUTH) succeeded: the session is in
    /// TRANSACTION. Capabilities learned before are forgotten (they may
    /// change, RFC 2449 §5): ask again with
    /// [`Client::capa`](super::Client::capa).
    LoggedIn(Status<'static>),
    /// STAT.
    Stat(DropListing),
    /// `LIST msg`.
    Scan(ScanListing),
    /// `UIDL msg`.
    Uid(UidListing<'static>),
    /// `LANG tag`.
    Lang(LangListing<'static>),
    /// A listing collected whole
    /// ([`Options::collect_listings`](super::Options::collect_listings)).
    Listing(Vec<Entry<'static>>),
    /// CAPA: also kept, see
    /// [`Client::capabilities`](super::Client::capabilities).
    Capabilities(Capabilities),
    /// STLS: TLS is up; capabilities and the APOP timestamp learned before
    /// are forgotten (SPEC S4).
    TlsEstablished,
}

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The server answered `-ERR`; its response code says why (`AUTH`:
    /// wrong credentials; `IN-USE`, `LOGIN-DELAY`, `SYS/TEMP`: try later;
    /// `SYS/PERM`: give up).
    Refused(Status<'static>),
    /// The SASL mechanism could not go on or could not verify the server
    /// (SCRAM's signature); the exchange was cancelled with `*`, or, after
    /// a `+OK` without verification, the session is closed.
    Sasl(SaslError),
    /// The reply broke the protocol (a malformed line, a listing too
    /// long); the session goes on if the framing allows.
    Protocol(RemoteError),
    /// The command was queued for the state a login would reach, and the
    /// login failed: it was never sent.
    LoginFailed,
    /// The session ended before the reply.
    Closed,
}

impl Failure {
    /// The server's response code, for [`Failure::Refused`].
    pub fn code(&self) -> Option<&RespCode<'static>> {
        match self {
            Self::Refused(status) => status.code(),
            _ => None,
        }
    }
}

/// A deadline of [`Options`](super::Options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deadline {
    /// No greeting in time.
    Greeting,
    /// A reply went silent too long.
    Reply,
    /// The TLS handshake after STLS took too long.
    Tls,
    /// Nothing was in flight for the idle time.
    Idle,
}

/// Something that does not add up; the session goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A whole LIST disagrees with the STAT before it, with no DELE or
    /// RSET between them (SPEC S8).
    StatListMismatch {
        /// What STAT said.
        stat: DropListing,
        /// How many messages LIST named.
        listed: u64,
        /// The sum of their sizes (saturated).
        size: u64,
    },
    /// The sizes of a LIST overflow 64 bits (SPEC S8).
    SizeOverflow,
}

/// Why the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// QUIT was answered. A `-ERR` (in UPDATE: some messages marked as
    /// deleted were not removed, RFC 1939 §6) is not a clean end.
    Quit(Status<'static>),
    /// The server refused the connection: a `-ERR` greeting (SPEC R16).
    Refused(Status<'static>),
    /// The server closed the connection while nothing was pending.
    Eof,
    /// A deadline passed.
    Timeout(Deadline),
    /// The server broke the protocol beyond repair: bytes with no command
    /// outstanding (S5), plaintext after the STLS `+OK` (S2), a reply cut
    /// off by EOF (R14), a malformed greeting.
    Protocol(RemoteError),
    /// TLS is required ([`Options::require_tls`](super::Options::require_tls))
    /// and the server does not offer it, or refused it (SPEC S3).
    TlsUnavailable,
    /// The server accepted a login the mechanism could not verify
    /// (SCRAM's server signature), or one the client had cancelled with
    /// `*`: it may be an impostor.
    ServerNotVerified,
    /// The caller closed the session ([`Client::close`](super::Client::close)).
    Local,
}

impl CloseReason {
    /// True for the ways a session ends normally: QUIT answered with
    /// `+OK`, or [`Client::close`](super::Client::close).
    pub fn is_clean(&self) -> bool {
        match self {
            Self::Quit(status) => status.is_ok(),
            Self::Local => true,
            _ => false,
        }
    }
}
