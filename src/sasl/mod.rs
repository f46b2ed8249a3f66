//! SASL mechanisms (RFC 4422) as pure step machines, for `AUTH`
//! (RFC 5034).
//!
//! A mechanism never does I/O and never draws random numbers: it takes the
//! decoded bytes of each challenge and gives the bytes of the next
//! response; the caller owns the connection (and, for the mechanisms that
//! need them, nonces and channel-binding data). Secrets stay in
//! [`Secret`].
//!
//! This module holds the client side so far ([`client`], and SCRAM in
//! [`scram`]), and [`choose::Chooser`], which picks the strongest
//! mechanism the server offers and the policy allows. A client mechanism
//! is driven like this:
//!
//! 1. [`ClientMechanism::initial_response`](client::ClientMechanism::initial_response) gives the data for the `AUTH`
//!    line, if the mechanism has any (send it there if the line fits 255
//!    octets, RFC 5034 §4; otherwise send `AUTH name` and give it as the
//!    answer to the first, empty, challenge);
//! 2. every `+ ` challenge goes to [`ClientMechanism::respond`](client::ClientMechanism::respond), whose
//!    [`ClientReply`] is the next line (data, or `*` to cancel);
//! 3. when the server answers `+OK`, [`ClientMechanism::success`](client::ClientMechanism::success) says
//!    whether the exchange really completed (for mechanisms that
//!    authenticate the server too, `+OK` alone is not enough).
//!
//! ```
//! use pop3_proto::sasl::client::{ClientMechanism, CramMd5};
//! use pop3_proto::sasl::ClientReply;
//!
//! // RFC 2195's example: user tim, secret tanstaaftanstaaf.
//! let mut mech = CramMd5::new("tim", "tanstaaftanstaaf").unwrap();
//! assert!(mech.initial_response().unwrap().is_none());
//! let reply = mech.respond(b"<1896.697170952@postoffice.reston.mci.net>").unwrap();
//! let ClientReply::Data(data) = reply else { panic!() };
//! assert_eq!(
//!     data.expose_secret().as_bytes(),
//!     b"tim b913a602c7eda7a495b4e6e7334d3890",
//! );
//! mech.success().unwrap();
//! ```
//!
//! | mechanism | RFC | client | server |
//! |---|---|---|---|
//! | PLAIN | 4616 | [`client::Plain`] | not yet |
//! | LOGIN | draft-murchison-sasl-login | [`client::Login`] | not yet |
//! | CRAM-MD5 | 2195 | [`client::CramMd5`] | not yet |
//! | EXTERNAL | 4422 App. A | [`client::External`] | not yet |
//! | ANONYMOUS | 4505 | [`client::Anonymous`] | not yet |
//! | XOAUTH2 | Google's format | [`client::XOAuth2`] | not yet |
//! | OAUTHBEARER | 7628 | [`client::OAuthBearer`] | not yet |
//! | SCRAM-SHA-1(-PLUS) | 5802 | [`scram::Scram`] | not yet |
//! | SCRAM-SHA-256(-PLUS) | 7677 | [`scram::Scram`] | not yet |
//!
//! [`saslprep`] is SASLprep (RFC 4013), the preparation of user names and
//! passwords that SCRAM requires and PLAIN recommends.

pub mod choose;
pub mod client;
pub mod saslprep;
pub mod scram;

use crate::types::{SaslData, Secret};
use alloc::string::String;

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
