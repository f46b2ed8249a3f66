//! The client side of each mechanism.
//!
//! Credentials are sent as given: PLAIN, LOGIN and CRAM-MD5 do not apply
//! SASLprep (RFC 4013) on the client, as their RFCs leave preparation to
//! the server (RFC 4616 §2); SCRAM prepares its user name and password
//! itself ([`ScramClient`](super::scram::ScramClient)).

use super::{ClientReply, SaslError, escaped, hmac_md5};
use crate::types::{Mechanism, SaslData, Secret};
use alloc::vec::Vec;
use zeroize::Zeroizing;

/// The client side of a SASL mechanism: a step machine the caller feeds
/// with the server's decoded challenges. Implement it to add a mechanism
/// of your own; the built-in ones implement it too.
pub trait ClientMechanism {
    /// The mechanism's name, for the `AUTH` line.
    fn mechanism(&self) -> Mechanism<'static>;

    /// The initial response, if the mechanism sends one (RFC 4422 §3.3).
    /// Call once, before any challenge.
    ///
    /// # Errors
    ///
    /// A [`SaslError`] when the credentials cannot be sent.
    fn initial_response(&mut self) -> Result<Option<Secret<SaslData<'static>>>, SaslError>;

    /// The answer to the server's next challenge (already base64-decoded).
    ///
    /// # Errors
    ///
    /// A [`SaslError`] when the exchange cannot go on; answer `*` and
    /// treat the attempt as failed.
    fn respond(&mut self, challenge: &[u8]) -> Result<ClientReply, SaslError>;

    /// The server answered `+OK`.
    ///
    /// # Errors
    ///
    /// [`SaslError::Incomplete`] when the mechanism had not finished, or
    /// the error the server reported earlier in the exchange.
    fn success(&mut self) -> Result<(), SaslError>;
}

/// Checks that `value` holds none of `forbidden`.
fn check(field: &'static str, value: &[u8], forbidden: &[u8]) -> Result<(), SaslError> {
    if value.iter().any(|b| forbidden.contains(b)) {
        return Err(SaslError::InvalidCredential { field });
    }
    Ok(())
}

/// Checks that `value` is not empty.
fn non_empty(field: &'static str, value: &[u8]) -> Result<(), SaslError> {
    if value.is_empty() {
        return Err(SaslError::EmptyCredential { field });
    }
    Ok(())
}

fn secret(bytes: Vec<u8>) -> Secret<SaslData<'static>> {
    Secret::new(SaslData::from_vec(bytes))
}

/// A mechanism that says one thing: its message, as the initial response
/// or in answer to the empty challenge of the two-step `AUTH` form.
#[derive(Debug, Clone)]
struct Single {
    message: Secret<Zeroizing<Vec<u8>>>,
    sent: bool,
}

impl Single {
    fn new(message: Vec<u8>) -> Self {
        Self {
            message: Secret::new(Zeroizing::new(message)),
            sent: false,
        }
    }

    fn initial_response(&mut self) -> Result<Option<Secret<SaslData<'static>>>, SaslError> {
        self.sent = true;
        Ok(Some(secret(self.message.expose_secret().to_vec())))
    }

    fn respond(&mut self, challenge: &[u8]) -> Result<ClientReply, SaslError> {
        if self.sent || !challenge.is_empty() {
            return Err(SaslError::UnexpectedChallenge);
        }
        self.sent = true;
        Ok(ClientReply::data(self.message.expose_secret().to_vec()))
    }

    fn success(&mut self) -> Result<(), SaslError> {
        if self.sent {
            Ok(())
        } else {
            Err(SaslError::Incomplete)
        }
    }
}

/// Implements [`ClientMechanism`] for a wrapper by handing each step to
/// its inner state machine.
macro_rules! delegate {
    ($type:ident, $mechanism:expr) => {
        impl ClientMechanism for $type {
            fn mechanism(&self) -> Mechanism<'static> {
                $mechanism
            }

            fn initial_response(&mut self) -> Result<Option<Secret<SaslData<'static>>>, SaslError> {
                self.0.initial_response()
            }

            fn respond(&mut self, challenge: &[u8]) -> Result<ClientReply, SaslError> {
                self.0.respond(challenge)
            }

            fn success(&mut self) -> Result<(), SaslError> {
                self.0.success()
            }
        }
    };
}

/// PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd` as the initial
/// response.
///
/// ```
/// use pop3_proto::sasl::client::{ClientMechanism, Plain};
///
/// let mut mech = Plain::new("tim", "tanstaaftanstaaf").unwrap();
/// let ir = mech.initial_response().unwrap().unwrap();
/// assert_eq!(ir.expose_secret().as_bytes(), b"\0tim\0tanstaaftanstaaf");
/// ```
#[derive(Debug, Clone)]
pub struct Plain(Single);

impl Plain {
    /// PLAIN for `authcid` with `password`, acting as itself.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty name or password,
    /// [`SaslError::InvalidCredential`] for a NUL in either.
    pub fn new(authcid: impl AsRef<[u8]>, password: impl AsRef<[u8]>) -> Result<Self, SaslError> {
        Self::with_authzid(b"", authcid, password)
    }

    /// PLAIN for `authcid` with `password`, acting as `authzid` (empty:
    /// as itself).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new), and a NUL in `authzid`.
    pub fn with_authzid(
        authzid: impl AsRef<[u8]>,
        authcid: impl AsRef<[u8]>,
        password: impl AsRef<[u8]>,
    ) -> Result<Self, SaslError> {
        let (authzid, authcid, password) = (authzid.as_ref(), authcid.as_ref(), password.as_ref());
        check("authorization identity", authzid, b"\0")?;
        check("authentication identity", authcid, b"\0")?;
        check("password", password, b"\0")?;
        non_empty("authentication identity", authcid)?;
        non_empty("password", password)?;
        let mut message = Vec::with_capacity(authzid.len() + authcid.len() + password.len() + 2);
        for (i, part) in [authzid, authcid, password].into_iter().enumerate() {
            if i > 0 {
                message.push(0);
            }
            message.extend_from_slice(part);
        }
        Ok(Self(Single::new(message)))
    }
}

delegate!(Plain, Mechanism::Plain);

/// LOGIN (draft-murchison-sasl-login): the user name in answer to the
/// first challenge, the password to the second, whatever their prompt
/// text (`Username:`, `User Name\0`, ...).
#[derive(Debug, Clone)]
pub struct Login {
    username: Secret<Zeroizing<Vec<u8>>>,
    password: Secret<Zeroizing<Vec<u8>>>,
    step: u8,
}

impl Login {
    /// LOGIN for `username` with `password`.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty name,
    /// [`SaslError::InvalidCredential`] for CR, LF or NUL in either.
    pub fn new(username: impl AsRef<[u8]>, password: impl AsRef<[u8]>) -> Result<Self, SaslError> {
        let (username, password) = (username.as_ref(), password.as_ref());
        check("user name", username, b"\r\n\0")?;
        check("password", password, b"\r\n\0")?;
        non_empty("user name", username)?;
        Ok(Self {
            username: Secret::new(Zeroizing::new(username.to_vec())),
            password: Secret::new(Zeroizing::new(password.to_vec())),
            step: 0,
        })
    }
}

impl ClientMechanism for Login {
    fn mechanism(&self) -> Mechanism<'static> {
        Mechanism::Login
    }

    fn initial_response(&mut self) -> Result<Option<Secret<SaslData<'static>>>, SaslError> {
        Ok(None)
    }

    fn respond(&mut self, _prompt: &[u8]) -> Result<ClientReply, SaslError> {
        let answer = match self.step {
            0 => self.username.expose_secret(),
            1 => self.password.expose_secret(),
            _ => return Err(SaslError::UnexpectedChallenge),
        };
        let reply = ClientReply::data(answer.to_vec());
        self.step += 1;
        Ok(reply)
    }

    fn success(&mut self) -> Result<(), SaslError> {
        if self.step == 2 {
            Ok(())
        } else {
            Err(SaslError::Incomplete)
        }
    }
}

/// CRAM-MD5 (RFC 2195): answers the challenge with the user name and the
/// HMAC-MD5 of the challenge keyed by the shared secret, in lower-case hex.
#[derive(Debug, Clone)]
pub struct CramMd5 {
    username: Vec<u8>,
    secret: Secret<Zeroizing<Vec<u8>>>,
    answered: bool,
}

impl CramMd5 {
    /// CRAM-MD5 for `username` with the shared `secret`.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty name,
    /// [`SaslError::InvalidCredential`] for a space or control character
    /// in it (the reply is `name SP digest`).
    pub fn new(username: impl AsRef<[u8]>, secret: impl AsRef<[u8]>) -> Result<Self, SaslError> {
        let username = username.as_ref();
        non_empty("user name", username)?;
        if username.iter().any(|&b| b <= b' ' || b == 0x7f) {
            return Err(SaslError::InvalidCredential { field: "user name" });
        }
        Ok(Self {
            username: username.to_vec(),
            secret: Secret::new(Zeroizing::new(secret.as_ref().to_vec())),
            answered: false,
        })
    }
}

impl ClientMechanism for CramMd5 {
    fn mechanism(&self) -> Mechanism<'static> {
        Mechanism::CramMd5
    }

    fn initial_response(&mut self) -> Result<Option<Secret<SaslData<'static>>>, SaslError> {
        Ok(None)
    }

    fn respond(&mut self, challenge: &[u8]) -> Result<ClientReply, SaslError> {
        if self.answered {
            return Err(SaslError::UnexpectedChallenge);
        }
        let digest = hmac_md5(self.secret.expose_secret(), challenge);
        let mut reply = Vec::with_capacity(self.username.len() + 33);
        reply.extend_from_slice(&self.username);
        reply.push(b' ');
        for b in digest {
            reply.extend_from_slice(&crate::ascii::hex_digits(b));
        }
        self.answered = true;
        Ok(ClientReply::data(reply))
    }

    fn success(&mut self) -> Result<(), SaslError> {
        if self.answered {
            Ok(())
        } else {
            Err(SaslError::Incomplete)
        }
    }
}

/// EXTERNAL (RFC 4422 appendix A): authentication by the transport (a
/// TLS client certificate); the initial response is the authorization
/// identity, empty to act as the identity the transport proved.
#[derive(Debug, Clone)]
pub struct External(Single);

impl External {
    /// EXTERNAL acting as `authzid` (empty: as the transport's identity).
    ///
    /// # Errors
    ///
    /// [`SaslError::InvalidCredential`] for a NUL in `authzid`.
    pub fn new(authzid: impl AsRef<[u8]>) -> Result<Self, SaslError> {
        let authzid = authzid.as_ref();
        check("authorization identity", authzid, b"\0")?;
        Ok(Self(Single::new(authzid.to_vec())))
    }
}

delegate!(External, Mechanism::External);

/// The longest ANONYMOUS trace token, in characters (RFC 4505 §2).
pub const MAX_TRACE_CHARS: usize = 255;

/// ANONYMOUS (RFC 4505): an optional trace token (an email address or
/// any text) as the initial response.
#[derive(Debug, Clone)]
pub struct Anonymous(Single);

impl Anonymous {
    /// ANONYMOUS with this trace token (may be empty).
    ///
    /// # Errors
    ///
    /// [`SaslError::CredentialTooLong`] over 255 characters,
    /// [`SaslError::InvalidCredential`] for a control character.
    pub fn new(trace: &str) -> Result<Self, SaslError> {
        if trace.chars().count() > MAX_TRACE_CHARS {
            return Err(SaslError::CredentialTooLong {
                field: "trace token",
                max: MAX_TRACE_CHARS,
            });
        }
        if trace.chars().any(char::is_control) {
            return Err(SaslError::InvalidCredential {
                field: "trace token",
            });
        }
        Ok(Self(Single::new(trace.as_bytes().to_vec())))
    }
}

delegate!(Anonymous, Mechanism::Anonymous);

/// Where an OAuth mechanism stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OAuthState {
    Start,
    Sent,
    /// The server sent an error challenge and got the client's reply to
    /// it; only a failure can follow.
    Failed,
}

/// The shared steps of XOAUTH2 and OAUTHBEARER: send the message once,
/// answer an error challenge with `error_reply` and keep the server's
/// text.
#[derive(Debug, Clone)]
struct OAuth {
    message: Secret<Zeroizing<Vec<u8>>>,
    /// What answers the error challenge.
    error_reply: &'static [u8],
    state: OAuthState,
    error: Option<alloc::string::String>,
}

impl OAuth {
    fn new(message: Zeroizing<Vec<u8>>, error_reply: &'static [u8]) -> Self {
        Self {
            message: Secret::new(message),
            error_reply,
            state: OAuthState::Start,
            error: None,
        }
    }

    fn initial_response(&mut self) -> Result<Option<Secret<SaslData<'static>>>, SaslError> {
        self.state = OAuthState::Sent;
        Ok(Some(secret(self.message.expose_secret().to_vec())))
    }

    fn respond(&mut self, challenge: &[u8]) -> Result<ClientReply, SaslError> {
        match self.state {
            OAuthState::Start if challenge.is_empty() => {
                self.state = OAuthState::Sent;
                Ok(ClientReply::data(self.message.expose_secret().to_vec()))
            }
            OAuthState::Sent => {
                // The error challenge: a JSON status the client answers
                // so that the server can send its final failure.
                self.state = OAuthState::Failed;
                self.error = Some(escaped(challenge));
                Ok(ClientReply::data(self.error_reply.to_vec()))
            }
            _ => Err(SaslError::UnexpectedChallenge),
        }
    }

    fn success(&mut self) -> Result<(), SaslError> {
        match self.state {
            OAuthState::Sent => Ok(()),
            OAuthState::Failed => Err(SaslError::ServerError(
                self.error.take().unwrap_or_default(),
            )),
            OAuthState::Start => Err(SaslError::Incomplete),
        }
    }

    /// The server's error, after an error challenge.
    fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// Checks an OAuth field: no `\x01` (the separator) and no control byte.
fn oauth_field(field: &'static str, value: &[u8]) -> Result<(), SaslError> {
    if value.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Err(SaslError::InvalidCredential { field });
    }
    Ok(())
}

/// XOAUTH2 (Google's format): `user=` name `^A` `auth=Bearer ` token
/// `^A^A`. On the JSON error challenge it answers with an empty line, as
/// Google requires, and keeps the server's error for
/// [`error`](Self::error).
#[derive(Debug, Clone)]
pub struct XOAuth2(OAuth);

impl XOAuth2 {
    /// XOAUTH2 for `user` with the access `token`.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty user or token,
    /// [`SaslError::InvalidCredential`] for a control character in either.
    pub fn new(user: impl AsRef<[u8]>, token: impl AsRef<[u8]>) -> Result<Self, SaslError> {
        let (user, token) = (user.as_ref(), token.as_ref());
        non_empty("user", user)?;
        non_empty("token", token)?;
        oauth_field("user", user)?;
        oauth_field("token", token)?;
        let mut message = Zeroizing::new(Vec::new());
        message.extend_from_slice(b"user=");
        message.extend_from_slice(user);
        message.extend_from_slice(b"\x01auth=Bearer ");
        message.extend_from_slice(token);
        message.extend_from_slice(b"\x01\x01");
        Ok(Self(OAuth::new(message, b"")))
    }

    /// The error the server sent in its challenge, escaped, if it sent one.
    pub fn error(&self) -> Option<&str> {
        self.0.error()
    }
}

delegate!(XOAuth2, Mechanism::XOAuth2);

/// OAUTHBEARER (RFC 7628): the GS2 header `n,a=` user `,`, then
/// `^Ahost=`, `^Aport=` when given, and `^Aauth=Bearer ` token `^A^A`. On
/// the error challenge it answers a single `^A` (RFC 7628 §3.2.3) and
/// keeps the server's error for [`error`](Self::error).
#[derive(Debug, Clone)]
pub struct OAuthBearer(OAuth);

impl OAuthBearer {
    /// OAUTHBEARER for `user` with the bearer `token`; `host` and `port`
    /// are the server's, as the client knows them, and optional.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty token,
    /// [`SaslError::InvalidCredential`] for a control character in any
    /// field, or `,` or `=` in the user (the GS2 header would need
    /// escaping this type does not do).
    pub fn new(
        user: impl AsRef<[u8]>,
        host: Option<&str>,
        port: Option<u16>,
        token: impl AsRef<[u8]>,
    ) -> Result<Self, SaslError> {
        let (user, token) = (user.as_ref(), token.as_ref());
        non_empty("token", token)?;
        oauth_field("user", user)?;
        oauth_field("token", token)?;
        if user.iter().any(|&b| b == b',' || b == b'=') {
            return Err(SaslError::InvalidCredential { field: "user" });
        }
        let mut message = Zeroizing::new(Vec::new());
        message.extend_from_slice(b"n,");
        if !user.is_empty() {
            message.extend_from_slice(b"a=");
            message.extend_from_slice(user);
        }
        message.push(b',');
        if let Some(host) = host {
            oauth_field("host", host.as_bytes())?;
            message.extend_from_slice(b"\x01host=");
            message.extend_from_slice(host.as_bytes());
        }
        if let Some(port) = port {
            message.extend_from_slice(b"\x01port=");
            crate::codec::put_decimal(&mut *message, u64::from(port));
        }
        message.extend_from_slice(b"\x01auth=Bearer ");
        message.extend_from_slice(token);
        message.extend_from_slice(b"\x01\x01");
        Ok(Self(OAuth::new(message, b"\x01")))
    }

    /// The error the server sent in its challenge, escaped, if it sent one.
    pub fn error(&self) -> Option<&str> {
        self.0.error()
    }
}

delegate!(OAuthBearer, Mechanism::OAuthBearer);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_md5_rfc2104_vectors() {
        // RFC 2104 appendix / RFC 2202 test cases 1 and 2.
        let hex = |d: [u8; 16]| {
            d.iter()
                .map(|b| alloc::format!("{b:02x}"))
                .collect::<alloc::string::String>()
        };
        assert_eq!(
            hex(hmac_md5(&[0x0b; 16], b"Hi There")),
            "9294727a3638bb1c13f48ef8158bfc9d"
        );
        assert_eq!(
            hex(hmac_md5(b"Jefe", b"what do ya want for nothing?")),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        // A key longer than the block is hashed first (RFC 2202 case 6).
        assert_eq!(
            hex(hmac_md5(
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"
        );
    }
}
