//! Which mechanism a client should use, from the server's SASL list.

use crate::types::Mechanism;
use alloc::vec::Vec;

/// What the client can authenticate with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// A user name and password (SCRAM, CRAM-MD5, PLAIN, LOGIN).
    pub password: bool,
    /// An OAuth 2.0 access token (OAUTHBEARER, XOAUTH2).
    pub token: bool,
    /// An identity the transport proves, such as a TLS client
    /// certificate (EXTERNAL).
    pub external: bool,
    /// Channel-binding data of this TLS connection, for the -PLUS
    /// variants of SCRAM.
    pub channel_binding: bool,
}

with_setters!(Credentials {
    with_password => password: bool,
    with_token => token: bool,
    with_external => external: bool,
    with_channel_binding => channel_binding: bool,
});

/// Whether `mechanism` puts the password or a bearer token itself on the
/// wire, or is one this crate does not know and so cannot vouch for: such
/// a mechanism needs an encrypted transport (SPEC S15, R68).
pub(crate) fn sends_secret(mechanism: &Mechanism<'_>) -> bool {
    !matches!(
        mechanism,
        Mechanism::CramMd5
            | Mechanism::ScramSha1
            | Mechanism::ScramSha256
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256Plus
            | Mechanism::External
            | Mechanism::Anonymous
            | Mechanism::Gssapi
    )
}

/// The default order of preference, strongest first.
///
/// Passwords: SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS,
/// SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN. Tokens: OAUTHBEARER, XOAUTH2.
/// Then EXTERNAL. The -PLUS variants come first where the client has
/// channel-binding data; SCRAM authenticates the server as well, and
/// CRAM-MD5 at least keeps the password off the wire.
pub const DEFAULT_RANKING: &[Mechanism<'static>] = &[
    Mechanism::ScramSha256Plus,
    Mechanism::ScramSha256,
    Mechanism::ScramSha1Plus,
    Mechanism::ScramSha1,
    Mechanism::OAuthBearer,
    Mechanism::XOAuth2,
    Mechanism::External,
    Mechanism::CramMd5,
    Mechanism::Plain,
    Mechanism::Login,
];

/// Picks the strongest mechanism that the server offers, the client can
/// use, and the policy allows.
///
/// By default PLAIN, LOGIN, OAUTHBEARER and XOAUTH2, which send the
/// password or the bearer token itself, are never chosen over a transport
/// that is not encrypted (SPEC S15);
/// [`allow_plaintext_without_tls`](Self::allow_plaintext_without_tls)
/// lifts that, for a caller who has been told explicitly.
///
/// ```
/// use pop3_proto::sasl::choose::{Chooser, Credentials};
/// use pop3_proto::types::Mechanism;
///
/// let offered = [Mechanism::Plain, Mechanism::CramMd5, Mechanism::ScramSha256];
/// let mine = Credentials::default().with_password(true);
/// let chooser = Chooser::default();
/// assert_eq!(chooser.choose(&offered, mine, true), Some(Mechanism::ScramSha256));
/// assert_eq!(chooser.choose(&[Mechanism::Plain], mine, false), None);
/// assert_eq!(chooser.choose(&[Mechanism::Plain], mine, true), Some(Mechanism::Plain));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chooser {
    ranking: Vec<Mechanism<'static>>,
    allow_plaintext_without_tls: bool,
}

impl Default for Chooser {
    fn default() -> Self {
        Self::with_ranking(DEFAULT_RANKING.to_vec())
    }
}

impl Chooser {
    /// A chooser with its own order of preference, strongest first;
    /// mechanisms not in it are never chosen.
    pub fn with_ranking(ranking: Vec<Mechanism<'static>>) -> Self {
        Self {
            ranking,
            allow_plaintext_without_tls: false,
        }
    }

    /// Allows PLAIN, LOGIN and the bearer-token mechanisms over an
    /// unencrypted transport (default `false`).
    pub fn allow_plaintext_without_tls(mut self, allow: bool) -> Self {
        self.allow_plaintext_without_tls = allow;
        self
    }

    /// The order of preference in force.
    pub fn ranking(&self) -> &[Mechanism<'static>] {
        &self.ranking
    }

    /// Whether the client could use `mechanism` with `have` over this
    /// transport, under this policy.
    pub fn allows(&self, mechanism: &Mechanism<'_>, have: Credentials, encrypted: bool) -> bool {
        let transport = encrypted || self.allow_plaintext_without_tls || !sends_secret(mechanism);
        transport
            && match mechanism {
                Mechanism::ScramSha256Plus | Mechanism::ScramSha1Plus => {
                    have.password && have.channel_binding
                }
                Mechanism::ScramSha256
                | Mechanism::ScramSha1
                | Mechanism::CramMd5
                | Mechanism::Plain
                | Mechanism::Login => have.password,
                Mechanism::OAuthBearer | Mechanism::XOAuth2 => have.token,
                Mechanism::External => have.external,
                _ => false,
            }
    }

    /// The strongest mechanism in `offered` (the server's `SASL`
    /// capability, read after TLS) that the client can use.
    pub fn choose(
        &self,
        offered: &[Mechanism<'_>],
        have: Credentials,
        encrypted: bool,
    ) -> Option<Mechanism<'static>> {
        self.ranking
            .iter()
            .find(|m| offered.contains(m) && self.allows(m, have, encrypted))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s15_strongest_allowed_first_and_never_plaintext_without_tls() {
        let all = DEFAULT_RANKING;
        let password = Credentials::default().with_password(true);
        let bound = password.with_channel_binding(true);
        let c = Chooser::default();
        assert_eq!(c.choose(all, bound, true), Some(Mechanism::ScramSha256Plus));
        assert_eq!(c.choose(all, password, true), Some(Mechanism::ScramSha256));
        let weak = [Mechanism::Login, Mechanism::Plain, Mechanism::CramMd5];
        assert_eq!(c.choose(&weak, password, true), Some(Mechanism::CramMd5));
        assert_eq!(c.choose(&weak, password, false), Some(Mechanism::CramMd5));
        let plain = [Mechanism::Login, Mechanism::Plain];
        assert_eq!(c.choose(&plain, password, true), Some(Mechanism::Plain));
        assert_eq!(c.choose(&plain, password, false), None, "S15");
        let lax = Chooser::default().allow_plaintext_without_tls(true);
        assert_eq!(lax.choose(&plain, password, false), Some(Mechanism::Plain));
        let tokens = Credentials::default().with_token(true);
        assert_eq!(lax.choose(all, tokens, false), Some(Mechanism::OAuthBearer));
        // Tokens and certificates.
        let token = Credentials::default().with_token(true);
        assert_eq!(c.choose(all, token, true), Some(Mechanism::OAuthBearer));
        assert_eq!(
            c.choose(&[Mechanism::XOAuth2], token, true),
            Some(Mechanism::XOAuth2)
        );
        assert_eq!(
            c.choose(all, token, false),
            None,
            "a bearer token is a password"
        );
        let cert = Credentials::default().with_external(true);
        assert_eq!(c.choose(all, cert, true), Some(Mechanism::External));
        // Nothing in common, and mechanisms the chooser does not know.
        assert_eq!(c.choose(&[Mechanism::Gssapi], password, true), None);
        assert_eq!(c.choose(&[], password, true), None);
        // A ranking of the caller's own.
        let mine = Chooser::with_ranking(alloc::vec![Mechanism::Plain, Mechanism::ScramSha256]);
        assert_eq!(mine.choose(all, password, true), Some(Mechanism::Plain));
    }
}
