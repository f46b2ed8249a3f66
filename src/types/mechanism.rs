//! SASL mechanism names.

use super::value::{ValueError, check_mechanism};
use alloc::borrow::Cow;
use core::fmt;

macro_rules! mechanisms {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// A SASL mechanism name (RFC 4422 §3.1: 1 to 20 of `A-Z`, `0-9`,
        /// `-`, `_`), as used by `AUTH` and the `SASL` capability.
        ///
        /// Names are matched without regard to case, and a known name always
        /// parses to its own variant: [`Mechanism::Other`] never holds a name
        /// listed here, so every value has exactly one encoding.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Mechanism<'a> {
            $($(#[$doc])* $variant,)*
            /// Any other valid mechanism name, kept as sent.
            Other(OtherMechanism<'a>),
        }

        impl<'a> Mechanism<'a> {
            /// Parses a mechanism name.
            ///
            /// # Errors
            ///
            /// Returns a [`ValueError`] when `name` is not 1 to 20 characters
            /// of the SASL charset.
            pub fn new(name: &'a str) -> Result<Self, ValueError> {
                check_mechanism(name.as_bytes())?;
                Ok(Self::from_checked(name.as_bytes()))
            }

            /// Maps checked bytes to a variant.
            pub(crate) fn from_checked(name: &'a [u8]) -> Self {
                $(if name.eq_ignore_ascii_case($name.as_bytes()) {
                    return Self::$variant;
                })*
                Self::Other(OtherMechanism(
                    Cow::Borrowed(core::str::from_utf8(name).unwrap_or_default()),
                ))
            }

            /// The name as it goes on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Other(o) => &o.0,
                }
            }

            /// Detaches the value from the buffer it was parsed from.
            pub fn into_owned(self) -> Mechanism<'static> {
                match self {
                    $(Self::$variant => Mechanism::$variant,)*
                    Self::Other(o) => Mechanism::Other(OtherMechanism(Cow::Owned(o.0.into_owned()))),
                }
            }
        }
    };
}

mechanisms! {
    /// `PLAIN` (RFC 4616).
    Plain = "PLAIN",
    /// `LOGIN` (draft-murchison-sasl-login).
    Login = "LOGIN",
    /// `CRAM-MD5` (RFC 2195).
    CramMd5 = "CRAM-MD5",
    /// `DIGEST-MD5` (RFC 2831, historic).
    DigestMd5 = "DIGEST-MD5",
    /// `SCRAM-SHA-1` (RFC 5802).
    ScramSha1 = "SCRAM-SHA-1",
    /// `SCRAM-SHA-256` (RFC 7677).
    ScramSha256 = "SCRAM-SHA-256",
    /// `SCRAM-SHA-1-PLUS`: SCRAM-SHA-1 with channel binding (RFC 5802).
    ScramSha1Plus = "SCRAM-SHA-1-PLUS",
    /// `SCRAM-SHA-256-PLUS`: SCRAM-SHA-256 with channel binding (RFC 7677).
    ScramSha256Plus = "SCRAM-SHA-256-PLUS",
    /// `XOAUTH2` (Google, Microsoft).
    XOAuth2 = "XOAUTH2",
    /// `OAUTHBEARER` (RFC 7628).
    OAuthBearer = "OAUTHBEARER",
    /// `EXTERNAL` (RFC 4422 appendix A).
    External = "EXTERNAL",
    /// `ANONYMOUS` (RFC 4505).
    Anonymous = "ANONYMOUS",
    /// `GSSAPI` (RFC 4752).
    Gssapi = "GSSAPI",
    /// `NTLM` (Microsoft).
    Ntlm = "NTLM",
}

/// A mechanism name that is not one of [`Mechanism`]'s named variants.
/// Compared without regard to case, as SASL names are.
#[derive(Clone, Debug)]
pub struct OtherMechanism<'a>(Cow<'a, str>);

impl OtherMechanism<'_> {
    /// The name as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::types::value::case_insensitive_str!(OtherMechanism);

impl TryFrom<alloc::string::String> for Mechanism<'static> {
    type Error = ValueError;
    fn try_from(name: alloc::string::String) -> Result<Self, ValueError> {
        Ok(Mechanism::new(&name)?.into_owned())
    }
}

impl fmt::Display for Mechanism<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'a> TryFrom<&'a str> for Mechanism<'a> {
    type Error = ValueError;
    fn try_from(name: &'a str) -> Result<Self, ValueError> {
        Self::new(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_never_become_other() {
        assert_eq!(Mechanism::new("plain"), Ok(Mechanism::Plain));
        assert_eq!(Mechanism::new("Cram-Md5"), Ok(Mechanism::CramMd5));
        let x = Mechanism::new("X-ZIMBRA").unwrap();
        assert!(matches!(x, Mechanism::Other(_)));
        assert_eq!(x.as_str(), "X-ZIMBRA");
        assert!(Mechanism::new("AUTH=CRAM-MD5").is_err());
        assert!(Mechanism::new("").is_err());
        assert!(Mechanism::new("A23456789012345678901").is_err());
    }
}
