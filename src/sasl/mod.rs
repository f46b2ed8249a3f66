//! SASL mechanisms (RFC 4422) as pure step machines, for `AUTH`
//! (RFC 5034), on both sides.
//!
//! A mechanism never does I/O and never draws random numbers: it takes the
//! decoded bytes of each message and gives the bytes of the next one; the
//! caller owns the connection, base64 (the codec's `AUTH` line,
//! [`Response::Challenge`](crate::types::Response::Challenge) and
//! [`SaslResponse`](crate::types::SaslResponse) do it), and the nonces,
//! salts and channel-binding data the mechanisms need. Secrets stay in
//! [`Secret`].
//!
//! * [`client`] holds the client side ([`client::ClientMechanism`]), and
//!   [`choose::Chooser`] picks the strongest mechanism the server offers
//!   and the policy allows.
//! * [`server`] holds the server side ([`server::ServerMechanism`]): it
//!   asks the application for whatever needs the user database
//!   ([`server::Request`]) and never stores anything itself.
//! * [`scram`] holds SCRAM, both sides, with channel binding.
//!
//! A client mechanism is driven like this:
//!
//! 1. [`ClientMechanism::initial_response`](client::ClientMechanism::initial_response)
//!    gives the data for the `AUTH` line, if the mechanism has any (send
//!    it there if the line fits 255 octets, RFC 5034 §4; otherwise send
//!    `AUTH name` and give it as the answer to the first, empty,
//!    challenge);
//! 2. every `+ ` challenge goes to
//!    [`ClientMechanism::respond`](client::ClientMechanism::respond),
//!    whose [`ClientReply`] is the next line (data, or `*` to cancel); an
//!    error is answered with `*` too;
//! 3. when the server answers `+OK`,
//!    [`ClientMechanism::success`](client::ClientMechanism::success) says
//!    whether the exchange really completed (for mechanisms that
//!    authenticate the server too, `+OK` alone is not enough).
//!
//! A server mechanism is driven by [`server::Step`]s: `start` with the
//! `AUTH` line's initial response, then `respond` with each response line
//! and `answer` with the application's answer to each request, until
//! success (`+OK`) or failure (`-ERR`).
//!
//! Both sides of CRAM-MD5, with RFC 2195's example:
//!
//! ```
//! use pop3_proto::sasl::ClientReply;
//! use pop3_proto::sasl::client::{self, ClientMechanism};
//! use pop3_proto::sasl::server::{self, Answer, Request, ServerMechanism, Step};
//!
//! # fn main() -> Result<(), pop3_proto::sasl::SaslError> {
//! // The server's challenge must be unique: the caller makes it.
//! let mut server = server::CramMd5::new("<1896.697170952@postoffice.reston.mci.net>")?;
//! let mut client = client::CramMd5::new("tim", "tanstaaftanstaaf")?;
//!
//! // C: AUTH CRAM-MD5 (no initial response)
//! assert!(client.initial_response()?.is_none());
//! let Step::Challenge(challenge) = server.start(None)? else { unreachable!() };
//!
//! // S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
//! let ClientReply::Data(response) = client.respond(challenge.as_bytes())? else {
//!     unreachable!()
//! };
//! assert_eq!(
//!     response.expose_secret().as_bytes(),
//!     b"tim b913a602c7eda7a495b4e6e7334d3890",
//! );
//!
//! // C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
//! let Step::Need(Request::SharedSecret { user }) =
//!     server.respond(response.expose_secret().as_bytes())?
//! else {
//!     unreachable!()
//! };
//! // The application looks the user up and answers.
//! assert_eq!(user, "tim");
//! let secret = Answer::shared_secret("tanstaaftanstaaf");
//! let Step::Success(identity) = server.answer(secret)? else {
//!     unreachable!()
//! };
//! assert_eq!(identity.user(), Some("tim"));
//!
//! // S: +OK
//! client.success()?;
//! # Ok(())
//! # }
//! ```
//!
//! | mechanism | RFC | client | server | the server asks the application |
//! |---|---|---|---|---|
//! | PLAIN | 4616 | [`client::Plain`] | [`server::Plain`] | check a password ([`server::Request::Password`]) |
//! | LOGIN | draft-murchison-sasl-login | [`client::Login`] | [`server::Login`] | check a password |
//! | CRAM-MD5 | 2195 | [`client::CramMd5`] | [`server::CramMd5`] | the shared secret ([`server::Request::SharedSecret`]) |
//! | EXTERNAL | 4422 App. A | [`client::External`] | [`server::External`] | may the transport's identity act as the authzid |
//! | ANONYMOUS | 4505 | [`client::Anonymous`] | [`server::Anonymous`] | allow an anonymous login |
//! | XOAUTH2 | Google's format | [`client::XOAuth2`] | [`server::XOAuth2`] | check a token ([`server::Request::Token`]) |
//! | OAUTHBEARER | 7628 | [`client::OAuthBearer`] | [`server::OAuthBearer`] | check a token |
//! | SCRAM-SHA-1(-PLUS) | 5802 | [`scram::ScramClient`] | [`scram::ScramServer`] | stored credentials ([`server::Request::ScramCredentials`]); after the proof, an authzid ([`server::Request::Authorize`]); -PLUS: channel-binding data |
//! | SCRAM-SHA-256(-PLUS) | 7677 | [`scram::ScramClient`] | [`scram::ScramServer`] | as SCRAM-SHA-1 |
//!
//! Channel binding (-PLUS) supports `tls-exporter` (RFC 9266) and
//! `tls-server-end-point` (RFC 5929); `tls-unique` is not offered.
//!
//! [`saslprep`] is SASLprep (RFC 4013), the preparation of user names and
//! passwords that SCRAM requires (RFC 5802 §5.1) and PLAIN's server side
//! applies (RFC 4616 §2); the built-in mechanisms apply it where their
//! RFCs say so.

pub mod choose;
pub mod client;
pub mod saslprep;
pub mod scram;
pub mod server;

use crate::types::{SaslData, Secret};
use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

/// The client's next line in a SASL exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientReply {
    /// Send this data (base64-encoded on the wire; empty data is an empty
    /// line).
    Data(Secret<SaslData<'static>>),
    /// Send `*`: cancel the exchange (RFC 5034 §4).
    Cancel,
}

impl ClientReply {
    /// A reply of these bytes.
    pub(crate) fn data(bytes: alloc::vec::Vec<u8>) -> Self {
        Self::Data(Secret::new(SaslData::from_vec(bytes)))
    }
}

/// Why a SASL exchange cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// A credential holds a byte its mechanism cannot carry (a NUL in a
    /// PLAIN field, CR or LF in a LOGIN name, `\x01` in an OAuth field).
    #[error("{field} holds a byte the mechanism cannot carry")]
    InvalidCredential {
        /// Which credential.
        field: &'static str,
    },
    /// A credential the mechanism requires is empty.
    #[error("{field} is empty")]
    EmptyCredential {
        /// Which credential.
        field: &'static str,
    },
    /// A credential is longer than the mechanism allows.
    #[error("{field} is longer than {max} octets")]
    CredentialTooLong {
        /// Which credential.
        field: &'static str,
        /// The largest length allowed.
        max: usize,
    },
    /// The server sent a challenge where the mechanism expects none (after
    /// it has said all it has to say).
    #[error("the server sent a challenge the mechanism does not expect")]
    UnexpectedChallenge,
    /// The server reported an error in a challenge (XOAUTH2, OAUTHBEARER);
    /// the text is the server's, escaped for display.
    #[error("the server reported an authentication error: {0}")]
    ServerError(String),
    /// The server said `+OK` before the mechanism finished (for a
    /// mechanism that must verify the server, this is a failure).
    #[error("the server accepted before the exchange was complete")]
    Incomplete,
    /// SASLprep (RFC 4013) refuses a credential: a control character, a
    /// prohibited or (for a SCRAM password) unassigned code point, bad
    /// bidi, or bytes that are not UTF-8.
    #[error("{field} cannot be prepared with SASLprep: {error}")]
    Saslprep {
        /// Which credential.
        field: &'static str,
        /// What SASLprep found.
        error: saslprep::SaslprepError,
    },
    /// A call the mechanism's state does not allow: a step after the
    /// exchange ended, an answer nobody asked for, a second start.
    #[error("the mechanism cannot take this step now")]
    OutOfOrder,
    /// An answer of the wrong kind for the mechanism's request (a shared
    /// secret where SCRAM credentials were asked for, credentials for
    /// another hash).
    #[error("the answer does not fit the mechanism's request")]
    WrongAnswer,
}

/// Prepares a user name or password with SASLprep (RFC 4013) in `mode`,
/// where the mechanism's RFC requires it.
pub(crate) fn prepare(
    field: &'static str,
    value: &[u8],
    mode: saslprep::Mode,
) -> Result<Zeroizing<Vec<u8>>, SaslError> {
    match saslprep::saslprep_bytes(value, mode) {
        Ok(alloc::borrow::Cow::Borrowed(same)) => Ok(Zeroizing::new(same.to_vec())),
        // Moved, not copied, so the only copy is zeroed on drop.
        Ok(alloc::borrow::Cow::Owned(prepared)) => Ok(Zeroizing::new(prepared)),
        Err(error) => Err(SaslError::Saslprep { field, error }),
    }
}

/// HMAC-MD5 (RFC 2104), for CRAM-MD5 on both sides.
pub(crate) fn hmac_md5(key: &[u8], message: &[u8]) -> [u8; 16] {
    use hmac::{KeyInit, Mac};
    // HMAC takes a key of any length; the fallback is never taken.
    let Ok(mut mac) = <hmac::Hmac<md5::Md5> as KeyInit>::new_from_slice(key) else {
        return [0; 16];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Escapes peer text for an error message (SPEC S5).
pub(crate) fn escaped(bytes: &[u8]) -> String {
    use core::fmt::Write;
    struct Escaped<'a>(&'a [u8]);
    impl core::fmt::Display for Escaped<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            crate::types::write_escaped(f, self.0)
        }
    }
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(out, "{}", Escaped(bytes));
    out
}
