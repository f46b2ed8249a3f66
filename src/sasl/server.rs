//! The server side of each mechanism.
//!
//! A server mechanism is a step machine: it takes the client's decoded
//! responses and gives a [`Step`]: a challenge to send, a [`Request`] for
//! the application, or the outcome. It never stores or looks up anything
//! itself: where a check needs the user database or a policy, it asks,
//! and the application answers with [`ServerMechanism::answer`].
//!
//! The POP3 side of each step: a [`Step::Challenge`] is a `+ ` line, a
//! [`Step::Success`] is `+OK`, a [`Step::Failure`] is `-ERR` with the
//! response code [`Failure::code`] names. A client's `*` (RFC 5034 §4)
//! ends the exchange before any step; the caller answers it with `-ERR`
//! and drops the mechanism.
//!
//! Local errors and remote ones are kept apart: a call out of order or an
//! answer of the wrong kind is the caller's mistake and a [`SaslError`];
//! anything the client sends, however malformed, is a [`Step`].

use super::scram::{ChannelBindingType, ScramHash, SecretBytes, StoredCredentials};
use super::{SaslError, hmac_md5, prepare};
use crate::types::{Mechanism, SaslData, Secret};
use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

/// The server side of a SASL mechanism. Implement it to add a mechanism
/// of your own; the built-in ones implement it too.
pub trait ServerMechanism {
    /// The mechanism's name, as the client named it in `AUTH`.
    fn mechanism(&self) -> Mechanism<'static>;

    /// Starts the exchange, with the initial response of the `AUTH` line
    /// if the client sent one (`Some(b"")` for `=`, an empty one).
    ///
    /// # Errors
    ///
    /// [`SaslError::OutOfOrder`] when called twice.
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<Step, SaslError>;

    /// The client's answer (base64-decoded) to the last challenge.
    ///
    /// # Errors
    ///
    /// [`SaslError::OutOfOrder`] when no challenge is outstanding.
    fn respond(&mut self, response: &[u8]) -> Result<Step, SaslError>;

    /// The application's answer to the last [`Step::Need`].
    ///
    /// # Errors
    ///
    /// [`SaslError::OutOfOrder`] when no request is outstanding,
    /// [`SaslError::WrongAnswer`] for an answer that does not fit it.
    fn answer(&mut self, answer: Answer) -> Result<Step, SaslError>;
}

/// What the server does next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Send this challenge (`+ ` and its base64) and wait for the
    /// client's response.
    Challenge(SaslData<'static>),
    /// Ask the application; give its answer to
    /// [`ServerMechanism::answer`].
    Need(Request),
    /// The client is authenticated: `+OK`.
    Success(Identity),
    /// The exchange failed: `-ERR`.
    Failure(Failure),
}

impl Step {
    fn challenge(bytes: impl Into<Vec<u8>>) -> Self {
        Self::Challenge(SaslData::from_vec(bytes.into()))
    }
}

/// Who the client proved to be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// The authentication identity: whose credentials were checked
    /// (`None` for EXTERNAL, whose identity is the transport's, and for
    /// ANONYMOUS).
    pub authcid: Option<String>,
    /// The authorization identity the client asked to act as (`None`:
    /// as itself), SASLprepped (RFC 5034 §4).
    pub authzid: Option<String>,
}

impl Identity {
    /// The identity the session acts as: the authzid if the client gave
    /// one, else the authcid.
    pub fn user(&self) -> Option<&str> {
        self.authzid.as_deref().or(self.authcid.as_deref())
    }
}

/// What a mechanism asks of the application.
///
/// Every request is answered with [`Answer::Reject`] (no such user, wrong
/// credentials, identity not allowed) or [`Answer::Unavailable`] (cannot
/// check now), or with the answer its documentation names. Unknown users
/// must get the same answer as wrong passwords, so that the exchange does
/// not reveal which users exist (SPEC S13).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// PLAIN, LOGIN: is `password` right for `authcid`, and may `authcid`
    /// act as `authzid`? Answer [`Answer::Accept`]. PLAIN's `authcid` and
    /// `password` have been through SASLprep (RFC 4616 §2); LOGIN's are
    /// as sent. An authzid, in every mechanism, is SASLprepped as a query
    /// (RFC 5034 §4, SPEC R60), and one that cannot be, or that prepares
    /// to nothing, fails the exchange before any request.
    Password {
        /// The identity to act as, if not `authcid`.
        authzid: Option<String>,
        /// The user whose password this is.
        authcid: String,
        /// The password.
        password: SecretBytes,
    },
    /// CRAM-MD5: the secret `user` shares with the server (the password).
    /// Answer [`Answer::SharedSecret`]; the mechanism compares digests in
    /// constant time.
    SharedSecret {
        /// The user name the client sent.
        user: String,
    },
    /// SCRAM: the stored credentials of `authcid` for `hash`. Answer
    /// [`Answer::Scram`], whatever `authzid` is: whether `authcid` may act
    /// as it is asked once the proof holds ([`Request::Authorize`]), as
    /// the salt sent now must not depend on it (SPEC S13).
    /// [`Answer::Reject`] for an unknown user goes on with fake
    /// credentials and fails at the end, like a wrong password.
    ScramCredentials {
        /// The hash function of the mechanism.
        hash: ScramHash,
        /// The identity to act as, if not `authcid`; for information only
        /// here.
        authzid: Option<String>,
        /// The user name the client sent, SASLprepped as a query (RFC
        /// 5802 §5.1).
        authcid: String,
    },
    /// SCRAM: `authcid` proved its password; may it act as `authzid`?
    /// Answer [`Answer::Accept`]. Asked only when the client named an
    /// authzid.
    Authorize {
        /// The user whose password was proved.
        authcid: String,
        /// The identity it asks to act as.
        authzid: String,
    },
    /// SCRAM -PLUS: this connection's channel-binding data of `kind`.
    /// Answer [`Answer::ChannelBinding`], or [`Answer::Reject`] when the
    /// TLS library cannot give this type.
    ChannelBinding {
        /// The type the client chose.
        kind: ChannelBindingType,
    },
    /// XOAUTH2, OAUTHBEARER: is `token` valid for `user`? Answer
    /// [`Answer::Accept`], or reject with [`Answer::Reject`] or
    /// [`Answer::RejectToken`]: the client then gets an error challenge,
    /// and the failure after its reply. An empty token is a client asking
    /// which scope it needs (RFC 7628 §4.3): reject it, with the scope.
    Token {
        /// The user the client names (XOAUTH2's `user=`, OAUTHBEARER's
        /// `a=`).
        user: Option<String>,
        /// The bearer token.
        token: SecretBytes,
        /// OAUTHBEARER's `host=`.
        host: Option<String>,
        /// OAUTHBEARER's `port=`.
        port: Option<u16>,
    },
    /// EXTERNAL: may the identity the transport proved (a TLS client
    /// certificate) act as `authzid` (`None`: as itself)? Answer
    /// [`Answer::Accept`].
    External {
        /// The identity to act as.
        authzid: Option<String>,
    },
    /// ANONYMOUS: allow an anonymous login with this trace token (RFC 4505
    /// §2)? Answer [`Answer::Accept`].
    Anonymous {
        /// The trace token, possibly empty.
        trace: String,
    },
}

/// The application's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// The credentials are right and the identity is allowed.
    Accept,
    /// No: wrong credentials, unknown user, identity not allowed, or (for
    /// [`Request::ChannelBinding`]) a type the server cannot supply.
    Reject,
    /// The check cannot be made now (the user database is down): the
    /// exchange fails with [`Failure::Unavailable`].
    Unavailable,
    /// The secret CRAM-MD5 asked for.
    SharedSecret(SecretBytes),
    /// The stored credentials SCRAM asked for.
    Scram(StoredCredentials),
    /// The channel-binding data SCRAM -PLUS asked for.
    ChannelBinding(Secret<Vec<u8>>),
    /// The token is refused, with this error for the client (RFC 7628
    /// §3.2.2).
    RejectToken(OAuthError),
}

impl Answer {
    /// [`Answer::SharedSecret`] of these bytes, copied into a buffer that
    /// is zeroed on drop.
    pub fn shared_secret(secret: impl AsRef<[u8]>) -> Self {
        Self::SharedSecret(Secret::new(Zeroizing::new(secret.as_ref().to_vec())))
    }

    /// [`Answer::ChannelBinding`] of these bytes.
    pub fn channel_binding(data: impl AsRef<[u8]>) -> Self {
        Self::ChannelBinding(Secret::new(data.as_ref().to_vec()))
    }
}

/// Why an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Wrong credentials, an unknown user or an identity not allowed.
    Rejected,
    /// The application could not check the credentials now.
    Unavailable,
    /// The client's message does not follow the mechanism; the text says
    /// what was wrong.
    Malformed(&'static str),
    /// The client's channel binding does not fit: a type the server
    /// cannot supply, data that does not match this connection, or the
    /// `y` flag while the server offers -PLUS (a downgrade, RFC 5802 §6).
    ChannelBinding(&'static str),
}

impl Failure {
    /// The response code for the `-ERR` (RFC 3206): `AUTH` for a
    /// credential problem, `SYS/TEMP` when the check could not be made;
    /// `None` for a client that broke the mechanism.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Self::Rejected | Self::ChannelBinding(_) => Some("AUTH"),
            Self::Unavailable => Some("SYS/TEMP"),
            Self::Malformed(_) => None,
        }
    }
}

/// The JSON status an OAuth mechanism sends in its error challenge (RFC
/// 7628 §3.2.2; Google's XOAUTH2 uses the same object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    status: String,
    scope: Option<String>,
    openid_configuration: Option<String>,
}

impl OAuthError {
    /// An error with this `status` (`invalid_token`, or an HTTP code such
    /// as `401` in Google's style).
    pub fn new(status: impl Into<String>) -> Self {
        Self {
            status: status.into(),
            scope: None,
            openid_configuration: None,
        }
    }

    /// The scope the token needs.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Where the client can discover the authorization server.
    pub fn with_openid_configuration(mut self, url: impl Into<String>) -> Self {
        self.openid_configuration = Some(url.into());
        self
    }

    /// The JSON object, with every string escaped.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        let mut field = |name: &str, value: &str| {
            if out.len() > 1 {
                out.push(',');
            }
            json_string(&mut out, name);
            out.push(':');
            json_string(&mut out, value);
        };
        field("status", &self.status);
        if let Some(scope) = &self.scope {
            field("scope", scope);
        }
        if let Some(url) = &self.openid_configuration {
            field("openid-configuration", url);
        }
        out.push('}');
        out
    }
}

/// Appends `value` as a JSON string (RFC 8259 §7).
fn json_string(out: &mut String, value: &str) {
    use core::fmt::Write;
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Text the client sent, as UTF-8 without NUL or a control character.
fn text(bytes: &[u8], what: &'static str) -> Result<String, Failure> {
    match core::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => Ok(s.into()),
        _ => Err(Failure::Malformed(what)),
    }
}

/// An authorization identity: `None` when empty, else SASLprepped as a
/// query, and a failure when the preparation fails or leaves nothing
/// (RFC 5034 §4, SPEC R60).
pub(crate) fn authzid(bytes: &[u8]) -> Result<Option<String>, Failure> {
    if bytes.is_empty() {
        return Ok(None);
    }
    if bytes.len() > NAME_MAX {
        return Err(Failure::Malformed("authorization identity too long"));
    }
    prepare(
        "authorization identity",
        bytes,
        super::saslprep::Mode::Query,
    )
    .ok()
    .filter(|v| !v.is_empty())
    .and_then(|v| String::from_utf8(v.to_vec()).ok())
    .map(Some)
    .ok_or(Failure::Malformed("authorization identity"))
}

fn secret(bytes: &[u8]) -> SecretBytes {
    Secret::new(Zeroizing::new(bytes.to_vec()))
}

/// The mechanisms that read one client message, ask one question and
/// finish (the OAuth ones after an error challenge on refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    External,
    Anonymous,
    XOAuth2,
    OAuthBearer,
}

/// The longest PLAIN field the server takes (RFC 4616 §2: it must accept
/// 255 octets; the POP3 line limit bounds the rest).
const PLAIN_FIELD_MAX: usize = 1024;

/// The longest authzid or SCRAM user name the server takes, in octets as
/// sent: SASLprep's NFKC can make a string 11 times longer (U+FDFA), so
/// what it prepares is bounded first, like PLAIN's fields.
pub(crate) const NAME_MAX: usize = PLAIN_FIELD_MAX;

impl Kind {
    /// Reads the client's message into the question for the application
    /// and the identity a yes proves.
    fn parse(self, message: &[u8]) -> Result<(Request, Identity), Failure> {
        match self {
            Self::Plain => parse_plain(message),
            Self::External => {
                let authzid = authzid(message)?;
                Ok((
                    Request::External {
                        authzid: authzid.clone(),
                    },
                    Identity {
                        authcid: None,
                        authzid,
                    },
                ))
            }
            Self::Anonymous => {
                let trace = text(message, "trace token is not UTF-8 text")?;
                if trace.chars().count() > super::client::MAX_TRACE_CHARS {
                    return Err(Failure::Malformed("trace token longer than 255 characters"));
                }
                Ok((Request::Anonymous { trace }, Identity::default()))
            }
            Self::XOAuth2 => parse_xoauth2(message),
            Self::OAuthBearer => parse_oauthbearer(message),
        }
    }

    /// The error challenge for a refused token, if the mechanism has one.
    fn error_challenge(self, answer: &Answer) -> Option<String> {
        let default = match self {
            Self::XOAuth2 => OAuthError::new("401"),
            Self::OAuthBearer => OAuthError::new("invalid_token"),
            _ => return None,
        };
        match answer {
            Answer::RejectToken(error) => Some(error.to_json()),
            _ => Some(default.to_json()),
        }
    }
}

fn parse_plain(message: &[u8]) -> Result<(Request, Identity), Failure> {
    let mut parts = message.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Failure::Malformed("not authzid NUL authcid NUL password"));
    };
    if [authzid, authcid, password]
        .iter()
        .any(|f| f.len() > PLAIN_FIELD_MAX)
    {
        return Err(Failure::Malformed("field too long"));
    }
    let authzid = self::authzid(authzid)?;
    let prepared = |value: &[u8], what| {
        prepare(what, value, super::saslprep::Mode::Query)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or(Failure::Malformed(what))
    };
    let authcid = prepared(authcid, "authentication identity")?;
    let authcid = String::from_utf8(authcid.to_vec())
        .map_err(|_| Failure::Malformed("authentication identity"))?;
    let password = Secret::new(prepared(password, "password")?);
    Ok((
        Request::Password {
            authzid: authzid.clone(),
            authcid: authcid.clone(),
            password,
        },
        Identity {
            authcid: Some(authcid),
            authzid,
        },
    ))
}

/// A `key=value` pair of an OAuth message.
type Pair<'a> = (&'a [u8], &'a [u8]);

/// Splits `key=value` pairs separated by `^A` up to the closing `^A^A`.
fn kvpairs(message: &[u8]) -> Result<Vec<Pair<'_>>, Failure> {
    let Some(body) = message.strip_suffix(b"\x01\x01") else {
        return Err(Failure::Malformed("not ended by ^A^A"));
    };
    body.split(|&b| b == 1)
        .map(|pair| {
            let eq = pair
                .iter()
                .position(|&b| b == b'=')
                .ok_or(Failure::Malformed("not key=value"))?;
            Ok((&pair[..eq], &pair[eq + 1..]))
        })
        .collect()
}

/// The token of `auth=Bearer <token>`; an empty `auth=` is a client
/// asking what the server wants (RFC 7628 §4.3) and gives an empty token.
fn bearer(value: &[u8]) -> Result<SecretBytes, Failure> {
    if value.is_empty() {
        return Ok(secret(b""));
    }
    match value.split_at_checked(7) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case(b"Bearer ") && !token.is_empty() => {
            Ok(secret(token))
        }
        _ => Err(Failure::Malformed("auth is not Bearer <token>")),
    }
}

fn parse_xoauth2(message: &[u8]) -> Result<(Request, Identity), Failure> {
    let pairs = kvpairs(message)?;
    let [(b"user", user), (b"auth", auth)] = pairs.as_slice() else {
        return Err(Failure::Malformed("not user=...^Aauth=..."));
    };
    let user = text(user, "user")?;
    if user.is_empty() {
        return Err(Failure::Malformed("empty user"));
    }
    Ok((
        Request::Token {
            user: Some(user.clone()),
            token: bearer(auth)?,
            host: None,
            port: None,
        },
        Identity {
            authcid: Some(user),
            authzid: None,
        },
    ))
}

fn parse_oauthbearer(message: &[u8]) -> Result<(Request, Identity), Failure> {
    // gs2-header: flag "," [ "a=" saslname ] "," then ^A.
    let mut header = message.splitn(3, |&b| b == b',');
    let (Some(flag), Some(authzid), Some(rest)) = (header.next(), header.next(), header.next())
    else {
        return Err(Failure::Malformed("no GS2 header"));
    };
    if flag != b"n" && flag != b"y" {
        // OAUTHBEARER has no channel binding (RFC 7628 §3.1).
        return Err(Failure::ChannelBinding(
            "OAUTHBEARER takes no channel binding",
        ));
    }
    let user = match authzid {
        [] => None,
        [b'a', b'=', name @ ..] => crate::sasl::scram::parse_saslname(name)
            .filter(|n| !n.is_empty())
            .ok_or(Failure::Malformed("authzid"))
            .and_then(|n| self::authzid(n.as_bytes()))?,
        _ => return Err(Failure::Malformed("GS2 authzid")),
    };
    let Some(rest) = rest.strip_prefix(b"\x01") else {
        return Err(Failure::Malformed("no ^A after the GS2 header"));
    };
    let (mut host, mut port, mut token) = (None, None, None);
    for (key, value) in kvpairs(rest)? {
        // value = *(VCHAR / SP / HTAB / CR / LF) (RFC 7628 §3.1).
        if !value
            .iter()
            .all(|&b| matches!(b, 0x21..=0x7e | b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Err(Failure::Malformed("value"));
        }
        match key {
            b"host" if host.is_none() => host = Some(text(value, "host")?),
            b"port" if port.is_none() => {
                port = Some(
                    core::str::from_utf8(value)
                        .ok()
                        // A positive decimal without leading zeros
                        // (RFC 7628 §3.1).
                        .filter(|v| !v.starts_with('0') && v.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|v| v.parse::<u16>().ok())
                        .ok_or(Failure::Malformed("port"))?,
                );
            }
            b"auth" if token.is_none() => token = Some(bearer(value)?),
            b"host" | b"port" | b"auth" => return Err(Failure::Malformed("repeated key")),
            // Other keys are extensions (RFC 7628 §3.1): ignored, but
            // they must be keys.
            key if !key.is_empty() && key.iter().all(u8::is_ascii_alphabetic) => {}
            _ => return Err(Failure::Malformed("key")),
        }
    }
    let token = token.ok_or(Failure::Malformed("no auth"))?;
    Ok((
        Request::Token {
            user: user.clone(),
            token,
            host,
            port,
        },
        Identity {
            authcid: user,
            authzid: None,
        },
    ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Start,
    /// The empty challenge of the two-step form is out.
    Challenged,
    /// The application was asked; a yes proves this identity.
    Asked(Identity),
    /// An OAuth error challenge is out; the failure follows the reply.
    ErrorSent,
    Done,
}

/// The shared steps of the one-message mechanisms.
#[derive(Debug, Clone)]
struct Message {
    kind: Kind,
    state: State,
}

impl Message {
    const fn new(kind: Kind) -> Self {
        Self {
            kind,
            state: State::Start,
        }
    }

    fn read(&mut self, message: &[u8]) -> Step {
        match self.kind.parse(message) {
            Ok((request, identity)) => {
                self.state = State::Asked(identity);
                Step::Need(request)
            }
            Err(failure) => {
                self.state = State::Done;
                Step::Failure(failure)
            }
        }
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<Step, SaslError> {
        if self.state != State::Start {
            return Err(SaslError::OutOfOrder);
        }
        Ok(match initial_response {
            Some(message) => self.read(message),
            None => {
                self.state = State::Challenged;
                Step::challenge(Vec::new())
            }
        })
    }

    fn respond(&mut self, response: &[u8]) -> Result<Step, SaslError> {
        match self.state {
            State::Challenged => Ok(self.read(response)),
            State::ErrorSent => {
                // The client's reply to the error challenge (the empty
                // line for XOAUTH2, ^A for OAUTHBEARER): whatever it is,
                // the exchange has failed.
                self.state = State::Done;
                Ok(Step::Failure(Failure::Rejected))
            }
            _ => Err(SaslError::OutOfOrder),
        }
    }

    fn answer(&mut self, answer: Answer) -> Result<Step, SaslError> {
        let State::Asked(identity) = &self.state else {
            return Err(SaslError::OutOfOrder);
        };
        let step = match answer {
            Answer::Accept => Step::Success(identity.clone()),
            Answer::Unavailable => Step::Failure(Failure::Unavailable),
            Answer::Reject | Answer::RejectToken(_) => {
                if let Some(json) = self.kind.error_challenge(&answer) {
                    self.state = State::ErrorSent;
                    return Ok(Step::challenge(json.into_bytes()));
                }
                if matches!(answer, Answer::RejectToken(_)) {
                    return Err(SaslError::WrongAnswer);
                }
                Step::Failure(Failure::Rejected)
            }
            _ => return Err(SaslError::WrongAnswer),
        };
        self.state = State::Done;
        Ok(step)
    }
}

/// Implements [`ServerMechanism`] for a wrapper of [`Message`].
macro_rules! message_mechanism {
    ($(#[$doc:meta])* $type:ident, $kind:ident, $mechanism:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $type(Message);

        impl $type {
            /// A fresh exchange.
            pub const fn new() -> Self {
                Self(Message::new(Kind::$kind))
            }
        }

        impl Default for $type {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ServerMechanism for $type {
            fn mechanism(&self) -> Mechanism<'static> {
                $mechanism
            }

            fn start(&mut self, initial_response: Option<&[u8]>) -> Result<Step, SaslError> {
                self.0.start(initial_response)
            }

            fn respond(&mut self, response: &[u8]) -> Result<Step, SaslError> {
                self.0.respond(response)
            }

            fn answer(&mut self, answer: Answer) -> Result<Step, SaslError> {
                self.0.answer(answer)
            }
        }
    };
}

message_mechanism!(
    /// PLAIN (RFC 4616): reads `[authzid] NUL authcid NUL passwd`, from
    /// the initial response or after an empty challenge, and asks
    /// [`Request::Password`] with the authcid and password SASLprepped.
    Plain,
    Plain,
    Mechanism::Plain
);

message_mechanism!(
    /// EXTERNAL (RFC 4422 appendix A): reads the authorization identity
    /// (empty: the transport's) and asks [`Request::External`].
    External,
    External,
    Mechanism::External
);

message_mechanism!(
    /// ANONYMOUS (RFC 4505): reads the trace token and asks
    /// [`Request::Anonymous`].
    Anonymous,
    Anonymous,
    Mechanism::Anonymous
);

message_mechanism!(
    /// XOAUTH2 (Google's format): reads `user=...^Aauth=Bearer ...^A^A`
    /// and asks [`Request::Token`]. A refused token gets the JSON error
    /// challenge (`{"status":"401"}` unless [`Answer::RejectToken`] says
    /// more), and the failure follows the client's (empty) reply.
    XOAuth2,
    XOAuth2,
    Mechanism::XOAuth2
);

message_mechanism!(
    /// OAUTHBEARER (RFC 7628): reads the GS2 header and the `host`,
    /// `port` and `auth` pairs and asks [`Request::Token`]. A refused
    /// token gets the JSON error challenge (`{"status":"invalid_token"}`
    /// unless [`Answer::RejectToken`] says more), and the failure follows
    /// the client's reply (`^A`, RFC 7628 §3.2.3).
    OAuthBearer,
    OAuthBearer,
    Mechanism::OAuthBearer
);

/// The prompts of LOGIN, as Dovecot and most servers send them.
const LOGIN_PROMPTS: [&[u8]; 2] = [b"Username:", b"Password:"];

/// LOGIN (draft-murchison-sasl-login): prompts `Username:` and
/// `Password:` and asks [`Request::Password`]. An initial response, which
/// some clients send, is the user name.
#[derive(Debug, Clone, Default)]
pub struct Login {
    user: Option<String>,
    step: u8,
}

impl Login {
    /// A fresh exchange.
    pub const fn new() -> Self {
        Self {
            user: None,
            step: 0,
        }
    }

    /// Takes the user name and prompts for the password.
    fn user(&mut self, name: &[u8]) -> Step {
        match text(name, "user name") {
            Ok(name) if !name.is_empty() => {
                self.user = Some(name);
                self.step = 2;
                Step::challenge(LOGIN_PROMPTS[1])
            }
            _ => {
                self.step = 4;
                Step::Failure(Failure::Malformed("user name"))
            }
        }
    }
}

impl ServerMechanism for Login {
    fn mechanism(&self) -> Mechanism<'static> {
        Mechanism::Login
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<Step, SaslError> {
        if self.step != 0 {
            return Err(SaslError::OutOfOrder);
        }
        Ok(match initial_response {
            Some(name) => self.user(name),
            None => {
                self.step = 1;
                Step::challenge(LOGIN_PROMPTS[0])
            }
        })
    }

    fn respond(&mut self, response: &[u8]) -> Result<Step, SaslError> {
        match self.step {
            1 => Ok(self.user(response)),
            2 => {
                self.step = 3;
                if response.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n')) {
                    self.step = 4;
                    return Ok(Step::Failure(Failure::Malformed("password")));
                }
                Ok(Step::Need(Request::Password {
                    authzid: None,
                    authcid: self.user.clone().unwrap_or_default(),
                    password: secret(response),
                }))
            }
            _ => Err(SaslError::OutOfOrder),
        }
    }

    fn answer(&mut self, answer: Answer) -> Result<Step, SaslError> {
        if self.step != 3 {
            return Err(SaslError::OutOfOrder);
        }
        let step = match answer {
            Answer::Accept => Step::Success(Identity {
                authcid: self.user.take(),
                authzid: None,
            }),
            Answer::Reject => Step::Failure(Failure::Rejected),
            Answer::Unavailable => Step::Failure(Failure::Unavailable),
            _ => return Err(SaslError::WrongAnswer),
        };
        self.step = 4;
        Ok(step)
    }
}

/// CRAM-MD5 (RFC 2195): sends the challenge the caller made (unique per
/// exchange, e.g. `<random.time@host>`), reads `user SP digest`, asks
/// [`Request::SharedSecret`] and compares the digests in constant time.
#[derive(Debug, Clone)]
pub struct CramMd5 {
    challenge: Vec<u8>,
    user: Option<String>,
    digest: [u8; 16],
    state: CramState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CramState {
    Start,
    Challenged,
    Asked,
    Done,
}

impl CramMd5 {
    /// CRAM-MD5 with this challenge, which must not repeat (RFC 2195 §2:
    /// a msg-id with a random part and the time is customary).
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty challenge,
    /// [`SaslError::InvalidCredential`] for one that is not printable
    /// ASCII.
    pub fn new(challenge: impl AsRef<[u8]>) -> Result<Self, SaslError> {
        let challenge = challenge.as_ref();
        if challenge.is_empty() {
            return Err(SaslError::EmptyCredential { field: "challenge" });
        }
        if !challenge.iter().all(|&b| (0x20..0x7f).contains(&b)) {
            return Err(SaslError::InvalidCredential { field: "challenge" });
        }
        Ok(Self {
            challenge: challenge.to_vec(),
            user: None,
            digest: [0; 16],
            state: CramState::Start,
        })
    }
}

/// Reads `user SP 32*HEXDIG`; the user is everything before the last
/// space.
fn parse_cram(response: &[u8]) -> Result<(String, [u8; 16]), Failure> {
    let space = response
        .iter()
        .rposition(|&b| b == b' ')
        .ok_or(Failure::Malformed("not user SP digest"))?;
    let (user, hex) = (&response[..space], &response[space + 1..]);
    let user = text(user, "user name")?;
    if user.is_empty() || hex.len() != 32 {
        return Err(Failure::Malformed("not user SP digest"));
    }
    let mut digest = [0u8; 16];
    for (out, pair) in digest.iter_mut().zip(hex.chunks_exact(2)) {
        let nibble = |c: u8| {
            char::from(c)
                .to_digit(16)
                .ok_or(Failure::Malformed("digest"))
        };
        // Both digits are below 16, so the byte fits.
        *out = u8::try_from(nibble(pair[0])? << 4 | nibble(pair[1])?).unwrap_or(0);
    }
    Ok((user, digest))
}

impl ServerMechanism for CramMd5 {
    fn mechanism(&self) -> Mechanism<'static> {
        Mechanism::CramMd5
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<Step, SaslError> {
        if self.state != CramState::Start {
            return Err(SaslError::OutOfOrder);
        }
        if initial_response.is_some() {
            // The client speaks first in CRAM-MD5 only by mistake.
            self.state = CramState::Done;
            return Ok(Step::Failure(Failure::Malformed(
                "CRAM-MD5 takes no initial response",
            )));
        }
        self.state = CramState::Challenged;
        Ok(Step::challenge(self.challenge.clone()))
    }

    fn respond(&mut self, response: &[u8]) -> Result<Step, SaslError> {
        if self.state != CramState::Challenged {
            return Err(SaslError::OutOfOrder);
        }
        Ok(match parse_cram(response) {
            Ok((user, digest)) => {
                self.user = Some(user.clone());
                self.digest = digest;
                self.state = CramState::Asked;
                Step::Need(Request::SharedSecret { user })
            }
            Err(failure) => {
                self.state = CramState::Done;
                Step::Failure(failure)
            }
        })
    }

    fn answer(&mut self, answer: Answer) -> Result<Step, SaslError> {
        if self.state != CramState::Asked {
            return Err(SaslError::OutOfOrder);
        }
        let step = match answer {
            Answer::SharedSecret(secret) => {
                let expected = hmac_md5(secret.expose_secret(), &self.challenge);
                if bool::from(subtle::ConstantTimeEq::ct_eq(
                    &expected[..],
                    &self.digest[..],
                )) {
                    Step::Success(Identity {
                        authcid: self.user.take(),
                        authzid: None,
                    })
                } else {
                    Step::Failure(Failure::Rejected)
                }
            }
            Answer::Reject => Step::Failure(Failure::Rejected),
            Answer::Unavailable => Step::Failure(Failure::Unavailable),
            _ => return Err(SaslError::WrongAnswer),
        };
        self.state = CramState::Done;
        Ok(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_error_json_is_escaped() {
        let e = OAuthError::new("invalid_token")
            .with_scope("a \"b\"\\")
            .with_openid_configuration("x\ny");
        assert_eq!(
            e.to_json(),
            r#"{"status":"invalid_token","scope":"a \"b\"\\","openid-configuration":"x\u000ay"}"#
        );
    }

    #[test]
    fn cram_digest_parse() {
        let (user, d) = parse_cram(b"tim b913a602c7eda7a495b4e6e7334d3890").unwrap();
        assert_eq!(user, "tim");
        assert_eq!(d[0], 0xb9);
        assert_eq!(d[15], 0x90);
        for bad in [
            &b"tim"[..],
            b" b913a602c7eda7a495b4e6e7334d3890",
            b"tim b913a602c7eda7a495b4e6e7334d389",
            b"tim b913a602c7eda7a495b4e6e7334d389g",
            b"tim +913a602c7eda7a495b4e6e7334d3890",
        ] {
            assert!(parse_cram(bad).is_err(), "{bad:?}");
        }
    }
}
