//! The application's mistakes in driving a [`Server`](super::Server).
//!
//! What a client does wrong is never an error of the API: it gets `-ERR`,
//! or ends the session with a [`CloseReason`](super::CloseReason).

/// A call that does not fit what the session waits for: nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// [`Server::answer`](super::Server::answer) without an
    /// [`Event::Auth`](super::Event::Auth) waiting for it.
    #[error("no login request is waiting for an answer")]
    NoRequest,
    /// An answer of the wrong kind for the request (say, a shared secret
    /// for [`Request::Password`](crate::sasl::server::Request::Password)).
    #[error("this answer does not fit the request")]
    WrongAnswer,
    /// [`Server::open`](super::Server::open) or
    /// [`Server::refuse`](super::Server::refuse) without an
    /// [`Event::Open`](super::Event::Open) waiting for it.
    #[error("no maildrop is waiting to be opened")]
    NoOpen,
    /// A content call without an [`Event::Content`](super::Event::Content)
    /// under way.
    #[error("no message content is wanted")]
    NoContent,
    /// [`Server::update_done`](super::Server::update_done) without an
    /// [`Event::Update`](super::Event::Update) waiting for it.
    #[error("no UPDATE is under way")]
    NoUpdate,
    /// [`Server::tls_established`](super::Server::tls_established) without
    /// an [`Event::StartTls`](super::Event::StartTls).
    #[error("no TLS handshake is pending")]
    NoTlsPending,
    /// [`Server::tls_established`](super::Server::tls_established) while
    /// the `+OK` to STLS is still waiting to be sent.
    #[error("the reply to STLS has not been sent yet")]
    OutputPending,
    /// Input after [`Server::receive_eof`](super::Server::receive_eof).
    #[error("input after EOF")]
    InputAfterEof,
    /// The session is over.
    #[error("the session is closed")]
    Closed,
}
