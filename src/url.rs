//! POP URLs (RFC 2384): where a maildrop is, as whom and how to log in.
//!
//! ```text
//! pop://[enc-user[;AUTH=("*" / enc-auth-type)]@]host[:port]
//! ```
//!
//! [`PopUrl::parse`] reads the absolute form only (RFC 2384 defines no
//! relative POP URLs) and refuses everything the grammar does not allow
//! (SPEC R74): a password (a `:` in the user part: RFC 2384 §3 permits
//! none), a path, a query, a fragment, a port outside 1..=65535, a
//! malformed `%` escape. The user name is percent-decoded into a
//! [`Username`], so it can never hold a CR, LF, NUL or SP, or be too long
//! for the USER and APOP lines: `pop://a%0d%0aDELE%201@h` is an error
//! ([`UrlError::UnsendableByte`]), never a second command on the wire
//! (SPEC S10, the curl CVE-2012-0036 class). A user name that decodes to
//! UTF-8 is kept as such; the [`Client`](crate::client::Client) sends it
//! only to a server that advertises `UTF8 USER` (SPEC R72).
//!
//! [`Auth`] says how to log in. A URL without `;AUTH=` means `;AUTH=*`,
//! any mechanism (SPEC R75); a named one is not to be replaced by another
//! without the user's consent (RFC 2384 §4), which [`Auth::allows`] and
//! [`Auth::choose`] enforce.
//!
//! `Display` writes the canonical form: the scheme, host and `;AUTH=` in
//! lower, lower and upper case, every byte of the user name and of an
//! extension name that is not an RFC 1738 `achar` percent-encoded
//! (`;`, `@`, `:`, `/`, `%`, SP, controls and non-ASCII among them),
//! `;AUTH=*` and port 110 left out, since they are the defaults. Parsing
//! what `Display` writes gives back an equal value.
//!
//! # From a URL to a login
//!
//! ```
//! use pop3_proto::client::{Client, Options};
//! use pop3_proto::time::Instant;
//! use pop3_proto::url::{Auth, PopUrl};
//!
//! let url: PopUrl = "pop://rg;AUTH=+APOP@mail.eudora.com:8110".parse()?;
//! assert_eq!((url.host().as_str(), url.port()), ("mail.eudora.com", 8110));
//!
//! // Connect to (url.host(), url.port()), then run the session over it.
//! let now = Instant::ZERO;
//! let options = Options::default()
//!     .with_allow_apop(true) // the URL asks for APOP: the user consents
//!     .with_allow_plaintext_login(true);
//! let mut client = Client::new(options, now);
//! client.receive(now, b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")?;
//!
//! // A POP URL never carries the password: ask the user for it.
//! let secret = "tanstaaf";
//! let user = url.user().ok_or("no user name: ask the user for one")?;
//! match url.auth() {
//!     Auth::Apop => client.apop(user.as_bytes(), secret)?,
//!     Auth::Any => client.login(user.as_bytes(), secret)?,
//!     // A named SASL mechanism, and only that one (SPEC R75).
//!     Auth::Sasl(_) | Auth::Other(_) => return Err("not in this example".into()),
//! };
//! assert_eq!(
//!     &client.poll_transmit().unwrap()[..],
//!     b"APOP rg c4c9334bac560ecc979e58001b3e22fb\r\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::sasl::choose::{Chooser, Credentials};
use crate::types::{
    MAX_USERNAME_LEN, Mechanism, Username, ValueError, check_mechanism, is_token_byte,
};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write as _};
use core::hash::{Hash, Hasher};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::num::NonZeroU16;
use core::str::FromStr;

/// The port a POP URL without one names (RFC 2384 §3).
pub const DEFAULT_PORT: u16 = 110;

/// [`DEFAULT_PORT`] as the URL holds it.
const DEFAULT: NonZeroU16 = match NonZeroU16::new(DEFAULT_PORT) {
    Some(port) => port,
    None => NonZeroU16::MIN,
};

/// Largest length of a host name, in bytes (RFC 1035 §2.3.4: 255 octets
/// in the wire form, 253 characters in text).
pub const MAX_HOST_LEN: usize = 253;

/// Largest length of an extension mechanism name after `+` (the limit on a
/// POP3 argument, RFC 1939 §3).
pub const MAX_EXTENSION_LEN: usize = 40;

/// Largest length of a POP URL, in bytes: the longest that a valid one can
/// be (every user-name and extension byte escaped, the longest host name
/// and port). Longer input is refused before it is read.
pub const MAX_URL_LEN: usize = "pop://".len()
    + 3 * MAX_USERNAME_LEN
    + ";AUTH=+".len()
    + 3 * MAX_EXTENSION_LEN
    + "@".len()
    + MAX_HOST_LEN
    + ":65535".len();

// ------------------------------------------------------------------ errors

/// Why a string is not a POP URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Longer than any valid POP URL ([`MAX_URL_LEN`]).
    #[error("longer than {max} bytes")]
    TooLong {
        /// The largest length allowed, in bytes.
        max: usize,
    },
    /// No scheme, or no `//` after it: RFC 2384 defines no relative POP
    /// URLs.
    #[error("not an absolute pop:// URL")]
    NotAbsolute,
    /// A scheme other than `pop` (matched without regard to case).
    #[error("the scheme is not pop")]
    Scheme,
    /// A byte that may not appear where it is, unescaped: SP, a control
    /// character, a non-ASCII byte (RFC 2384 has them percent-encoded),
    /// or a delimiter out of place. A bad byte in the host is reported
    /// here too, with its offset in the URL.
    #[error("byte 0x{byte:02x} at offset {offset} is not allowed here")]
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its offset in the URL.
        offset: usize,
    },
    /// A `%` not followed by two hexadecimal digits.
    #[error("malformed %-escape at offset {offset}")]
    BadEscape {
        /// The offset of the `%`.
        offset: usize,
    },
    /// An escape decodes to a byte no POP3 argument may hold: CR, LF, NUL,
    /// another control character or SP (SPEC S10).
    #[error(
        "%-escape at offset {offset} decodes to byte 0x{byte:02x}, which a POP3 command cannot carry"
    )]
    UnsendableByte {
        /// The decoded byte.
        byte: u8,
        /// The offset of its `%`.
        offset: usize,
    },
    /// A `:` in the user part: POP URLs have no password (RFC 2384 §3).
    #[error("a POP URL has no password")]
    Password,
    /// An `@` with no user name and no `;AUTH=` before it.
    #[error("empty user name")]
    EmptyUser,
    /// The decoded user name is not a valid [`Username`] (too long, or not
    /// UTF-8).
    #[error("user name: {0}")]
    User(ValueError),
    /// A `;` parameter other than one `;AUTH=`.
    #[error("the user part has a parameter other than one ;AUTH=")]
    Parameter,
    /// `;AUTH=` with nothing after it.
    #[error("empty ;AUTH= value")]
    EmptyAuth,
    /// The auth type is not a valid SASL mechanism name (RFC 4422 §3.1).
    #[error("SASL mechanism: {0}")]
    Mechanism(ValueError),
    /// The name after `+` is not a valid [`ExtensionName`].
    #[error("extension mechanism: {0}")]
    Extension(ValueError),
    /// The host is not a valid [`Host`] (for a byte that is not allowed
    /// in it, see [`UrlError::InvalidByte`]).
    #[error("host: {0}")]
    Host(HostError),
    /// The port is not 1 to 5 digits with no leading zero, from 1 to 65535.
    #[error("invalid port")]
    Port,
    /// A path, query or fragment: a POP URL has none (RFC 2384 §8).
    #[error("a POP URL has no path, query or fragment")]
    Path,
}

/// Why a string is not a [`Host`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// No host at all.
    #[error("empty host")]
    Empty,
    /// Longer than [`MAX_HOST_LEN`].
    #[error("longer than {max} bytes")]
    TooLong {
        /// The largest length allowed, in bytes.
        max: usize,
    },
    /// A byte outside letters, digits, `-` and `.` in a host name.
    #[error("byte 0x{byte:02x} at offset {offset} is not allowed in a host name")]
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its offset in the host.
        offset: usize,
    },
    /// An empty label, one longer than 63 characters, or one that begins
    /// or ends with `-`.
    #[error("invalid label in host name")]
    Label,
    /// A last label that does not begin with a letter (RFC 1738
    /// `toplabel`), in a name that is not a dotted-quad IPv4 address:
    /// `127.1` or `0x7f.1` would reach a resolver as an address.
    #[error("the last label of a host name must begin with a letter")]
    NumericTopLabel,
    /// Digits and dots that are not four decimal octets without leading
    /// zeros (RFC 3986 `IPv4address`).
    #[error("invalid IPv4 address")]
    Ipv4,
    /// A bracketed literal that is not an RFC 3986 `IPv6address`
    /// (IPvFuture and zone identifiers are not accepted), or a bracket
    /// without its partner.
    #[error("invalid IPv6 literal")]
    Ipv6,
}

// -------------------------------------------------------------------- host

/// The host of a POP URL: a host name, an IPv4 address or an IPv6
/// address, validated and in canonical form (names in lower case, IPv6 as
/// RFC 5952 writes it). No name is resolved here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Host {
    /// Without brackets.
    text: String,
    ip: Option<IpAddr>,
}

impl Host {
    /// Parses a host as a URL writes it: a host name (RFC 1738
    /// `hostname`: labels of letters, digits and `-`, the last beginning
    /// with a letter), a dotted-quad IPv4 address, or an IPv6 address in
    /// brackets.
    ///
    /// # Errors
    ///
    /// A [`HostError`] saying what is wrong.
    pub fn parse(host: &str) -> Result<Self, HostError> {
        let b = host.as_bytes();
        if b.is_empty() {
            return Err(HostError::Empty);
        }
        if let Some(inner) = b.strip_prefix(b"[") {
            let inner = inner.strip_suffix(b"]").ok_or(HostError::Ipv6)?;
            // Ipv6Addr's parser takes hex groups, `::` and a trailing
            // IPv4 part: RFC 3986's IPv6address, without zone or IPvFuture.
            let addr = core::str::from_utf8(inner)
                .ok()
                .and_then(|s| Ipv6Addr::from_str(s).ok())
                .ok_or(HostError::Ipv6)?;
            return Ok(Self::from(addr));
        }
        if b.len() > MAX_HOST_LEN {
            return Err(HostError::TooLong { max: MAX_HOST_LEN });
        }
        if let Some(offset) = b
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'.'))
        {
            if matches!(b[offset], b'[' | b']') {
                return Err(HostError::Ipv6);
            }
            return Err(HostError::InvalidByte {
                byte: b[offset],
                offset,
            });
        }
        if b.iter().all(|&c| c.is_ascii_digit() || c == b'.') {
            return Ipv4Addr::from_str(host)
                .map(Self::from)
                .map_err(|_| HostError::Ipv4);
        }
        let mut last = &b[..0];
        for label in b.split(|&c| c == b'.') {
            if label.is_empty()
                || label.len() > 63
                || label.first() == Some(&b'-')
                || label.last() == Some(&b'-')
            {
                return Err(HostError::Label);
            }
            last = label;
        }
        if !last.first().is_some_and(u8::is_ascii_alphabetic) {
            return Err(HostError::NumericTopLabel);
        }
        Ok(Self {
            text: host.to_ascii_lowercase(),
            ip: None,
        })
    }

    /// The host without brackets: the name to connect to and to check the
    /// server's certificate against (SPEC R67), or the address as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The address, when the host is an IP address literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }
}

impl From<Ipv4Addr> for Host {
    fn from(addr: Ipv4Addr) -> Self {
        Self {
            text: addr.to_string(),
            ip: Some(IpAddr::V4(addr)),
        }
    }
}

impl From<Ipv6Addr> for Host {
    fn from(addr: Ipv6Addr) -> Self {
        Self {
            text: addr.to_string(),
            ip: Some(IpAddr::V6(addr)),
        }
    }
}

impl From<IpAddr> for Host {
    fn from(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => Self::from(a),
            IpAddr::V6(a) => Self::from(a),
        }
    }
}

impl FromStr for Host {
    type Err = HostError;
    fn from_str(s: &str) -> Result<Self, HostError> {
        Self::parse(s)
    }
}

/// The host as a URL writes it: an IPv6 address in brackets.
impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if matches!(self.ip, Some(IpAddr::V6(_))) {
            write!(f, "[{}]", self.text)
        } else {
            f.write_str(&self.text)
        }
    }
}

// -------------------------------------------------------------------- auth

/// The name of a non-SASL login mechanism after `;AUTH=+` (RFC 2384 §4):
/// 1 to [`MAX_EXTENSION_LEN`] visible ASCII characters, never `APOP`
/// (that is [`Auth::Apop`]). Kept as written, compared without regard to
/// case, as auth types are.
#[derive(Debug, Clone)]
pub struct ExtensionName(String);

impl ExtensionName {
    /// Validates an extension name (without its `+`).
    ///
    /// # Errors
    ///
    /// [`ValueError::Empty`], [`ValueError::TooLong`],
    /// [`ValueError::InvalidByte`] for a byte outside `VCHAR`, and
    /// [`ValueError::Ambiguous`] for `APOP` in any case.
    pub fn new(name: &str) -> Result<Self, ValueError> {
        check_extension(name.as_bytes())?;
        Ok(Self(String::from(name)))
    }

    /// The name as written, without the `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for ExtensionName {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for ExtensionName {}

impl Hash for ExtensionName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        crate::types::hash_ignore_case(self.0.as_bytes(), state);
    }
}

impl fmt::Display for ExtensionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The rules of [`ExtensionName::new`].
fn check_extension(b: &[u8]) -> Result<(), ValueError> {
    if b.is_empty() {
        return Err(ValueError::Empty);
    }
    if b.len() > MAX_EXTENSION_LEN {
        return Err(ValueError::TooLong {
            max: MAX_EXTENSION_LEN,
        });
    }
    if let Some(offset) = b.iter().position(|c| !matches!(c, 0x21..=0x7e)) {
        return Err(ValueError::InvalidByte {
            byte: b[offset],
            offset,
        });
    }
    if b.eq_ignore_ascii_case(b"APOP") {
        return Err(ValueError::Ambiguous("Auth::Apop"));
    }
    Ok(())
}

/// How a POP URL says to log in: its `;AUTH=` (RFC 2384 §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Auth {
    /// `;AUTH=*`, or no `;AUTH=` at all (SPEC R75): the client picks an
    /// appropriate mechanism among those the server supports, USER/PASS
    /// and APOP included.
    Any,
    /// `;AUTH=+APOP`: the APOP command (RFC 1939 §7).
    Apop,
    /// A SASL mechanism, for the AUTH command (RFC 5034).
    Sasl(Mechanism<'static>),
    /// `;AUTH=+name`: a non-SASL extension mechanism, which this crate
    /// does not know.
    Other(ExtensionName),
}

impl Auth {
    /// Whether the URL lets the client authenticate with the SASL
    /// `mechanism`. A named mechanism is not replaced without consent
    /// (RFC 2384 §4, SPEC R75): with [`Auth::Sasl`] only that mechanism
    /// is allowed, with [`Auth::Any`] every one (the
    /// [`Chooser`] picks), and with [`Auth::Apop`] or [`Auth::Other`]
    /// none. Ask the user before going against it.
    pub fn allows(&self, mechanism: &Mechanism<'_>) -> bool {
        match self {
            Self::Any => true,
            Self::Sasl(m) => m == mechanism,
            Self::Apop | Self::Other(_) => false,
        }
    }

    /// Whether the URL lets the client log in with APOP: with
    /// [`Auth::Apop`], or [`Auth::Any`].
    pub fn allows_apop(&self) -> bool {
        matches!(self, Self::Any | Self::Apop)
    }

    /// Whether the URL lets the client log in with USER and PASS: only
    /// with [`Auth::Any`], since a named mechanism asks for something else
    /// ("instead of the USER command", RFC 2384 §4).
    pub fn allows_user_pass(&self) -> bool {
        matches!(self, Self::Any)
    }

    /// The SASL mechanism to use with the server's `offered` list: with
    /// [`Auth::Any`] the one `chooser` picks; with [`Auth::Sasl`] that
    /// mechanism, if the server offers it and `chooser`'s policy allows
    /// it with `have` over this transport (the plaintext rule of SPEC S15
    /// still holds), and never another (R75); with [`Auth::Apop`] and
    /// [`Auth::Other`], none.
    ///
    /// ```
    /// use pop3_proto::sasl::choose::{Chooser, Credentials};
    /// use pop3_proto::types::Mechanism;
    /// use pop3_proto::url::PopUrl;
    ///
    /// let offered = [Mechanism::Plain, Mechanism::ScramSha256];
    /// let have = Credentials::default().with_password(true);
    /// let chooser = Chooser::default();
    ///
    /// let any = PopUrl::parse("pop://rg@mailsrv.qualcomm.com")?;
    /// let chosen = any.auth().choose(&chooser, &offered, have, true);
    /// assert_eq!(chosen, Some(Mechanism::ScramSha256));
    ///
    /// let named = PopUrl::parse("pop://rg;AUTH=CRAM-MD5@mailsrv.qualcomm.com")?;
    /// // The server does not offer CRAM-MD5: ask the user, do not swap.
    /// assert_eq!(named.auth().choose(&chooser, &offered, have, true), None);
    /// # Ok::<(), pop3_proto::url::UrlError>(())
    /// ```
    pub fn choose(
        &self,
        chooser: &Chooser,
        offered: &[Mechanism<'_>],
        have: Credentials,
        encrypted: bool,
    ) -> Option<Mechanism<'static>> {
        match self {
            Self::Any => chooser.choose(offered, have, encrypted),
            Self::Sasl(m) => {
                (offered.contains(m) && chooser.allows(m, have, encrypted)).then(|| m.clone())
            }
            Self::Apop | Self::Other(_) => None,
        }
    }
}

/// The `;AUTH=` value as the canonical URL writes it (`*` for
/// [`Auth::Any`]).
impl fmt::Display for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Apop => f.write_str("+APOP"),
            Self::Sasl(m) => f.write_str(m.as_str()),
            Self::Other(name) => {
                f.write_str("+")?;
                write_encoded(f, name.as_str().as_bytes())
            }
        }
    }
}

// --------------------------------------------------------------------- url

/// A POP URL (RFC 2384): a host, a port, and optionally a user name and a
/// login mechanism. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PopUrl {
    host: Host,
    port: NonZeroU16,
    user: Option<Username<'static>>,
    auth: Auth,
}

impl PopUrl {
    /// A URL for `host` on port 110, with no user name and
    /// [`Auth::Any`].
    pub fn new(host: Host) -> Self {
        Self {
            host,
            port: DEFAULT,
            user: None,
            auth: Auth::Any,
        }
    }

    /// Sets the port.
    pub fn with_port(mut self, port: NonZeroU16) -> Self {
        self.port = port;
        self
    }

    /// Sets or clears the user name.
    pub fn with_user(mut self, user: Option<Username<'static>>) -> Self {
        self.user = user;
        self
    }

    /// Sets the login mechanism.
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Parses an absolute POP URL (SPEC R74). The scheme, `;AUTH=` and
    /// the auth type are matched without regard to case; the user name
    /// is case-sensitive.
    ///
    /// Only an unescaped `*` means [`Auth::Any`] and only an unescaped
    /// `+` begins an extension: percent-encoding a delimiter makes it
    /// data (RFC 3986 §2.2), and `%2BAPOP` is then a SASL name, and
    /// invalid.
    ///
    /// # Errors
    ///
    /// A [`UrlError`] for anything RFC 2384's grammar does not allow, or
    /// that would not fit, or could break, the USER, APOP or AUTH line.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let b = url.as_bytes();
        if b.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong { max: MAX_URL_LEN });
        }
        let rest = scheme(b)?;
        let start = b.len() - rest.len();
        // The authority ends at the first `/`, `?` or `#`; none may follow.
        if rest.iter().any(|c| matches!(c, b'/' | b'?' | b'#')) {
            return Err(UrlError::Path);
        }
        let (user, auth, host_at) = match rest.iter().position(|&c| c == b'@') {
            Some(at) => {
                let (user, auth) = userinfo(&rest[..at], start)?;
                (user, auth, at + 1)
            }
            None => (None, Auth::Any, 0),
        };
        // `start + host_at` follows `//` or `@`, so it is a char boundary.
        let hostport = url.get(start + host_at..).unwrap_or_default();
        let (host, port) = split_port(hostport).map_err(|e| match e {
            // Offsets in the host are offsets in the URL, for the caller.
            UrlError::Host(HostError::InvalidByte { byte, offset }) => UrlError::InvalidByte {
                byte,
                offset: start + host_at + offset,
            },
            e => e,
        })?;
        Ok(Self {
            host,
            port,
            user,
            auth,
        })
    }

    /// The host: connect to it, and check the certificate against
    /// [`Host::as_str`] (SPEC R67).
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The port: the URL's, or 110.
    pub fn port(&self) -> u16 {
        self.port.get()
    }

    /// The user name, percent-decoded, if the URL gives one; if not, ask
    /// the user for one (RFC 2384 §4). It may be UTF-8, which the client
    /// sends only with the server's `UTF8 USER` (SPEC R72).
    pub fn user(&self) -> Option<&Username<'static>> {
        self.user.as_ref()
    }

    /// How to log in: [`Auth::Any`] when the URL names no mechanism
    /// (SPEC R75).
    pub fn auth(&self) -> &Auth {
        &self.auth
    }
}

impl FromStr for PopUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, UrlError> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for PopUrl {
    type Error = UrlError;
    fn try_from(s: &str) -> Result<Self, UrlError> {
        Self::parse(s)
    }
}

/// The canonical form (see the [module documentation](self)).
impl fmt::Display for PopUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pop://")?;
        if let Some(user) = &self.user {
            write_encoded(f, user.as_bytes())?;
        }
        if self.auth != Auth::Any {
            write!(f, ";AUTH={}", self.auth)?;
        }
        if self.user.is_some() || self.auth != Auth::Any {
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if self.port.get() != DEFAULT_PORT {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

// ----------------------------------------------------------------- parsing

/// Checks the scheme and `//`, and gives what follows.
fn scheme(b: &[u8]) -> Result<&[u8], UrlError> {
    // RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
    let colon = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
        .filter(|&i| i > 0 && b[0].is_ascii_alphabetic() && b[i] == b':')
        .ok_or(UrlError::NotAbsolute)?;
    if !b[..colon].eq_ignore_ascii_case(b"pop") {
        return Err(UrlError::Scheme);
    }
    b[colon + 1..]
        .strip_prefix(b"//")
        .ok_or(UrlError::NotAbsolute)
}

/// RFC 1738 `uchar` without escapes, plus `&`, `=`, `~`: RFC 2384's
/// `achar`. Every other byte of a user name or auth type is escaped.
const fn is_achar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'$' | b'-'
                | b'_'
                | b'.'
                | b'+'
                | b'!'
                | b'*'
                | b'\''
                | b'('
                | b')'
                | b','
                | b'&'
                | b'='
                | b'~'
        )
}

/// Reads `[enc-user] [";AUTH=" ("*" / enc-auth-type)]`, `at` being its
/// offset in the URL.
fn userinfo(b: &[u8], at: usize) -> Result<(Option<Username<'static>>, Auth), UrlError> {
    if b.contains(&b':') {
        return Err(UrlError::Password);
    }
    let (user, param) = match b.iter().position(|&c| c == b';') {
        Some(semi) => (&b[..semi], Some((&b[semi + 1..], at + semi + 1))),
        None => (b, None),
    };
    let auth = match param {
        None if user.is_empty() => return Err(UrlError::EmptyUser),
        None => Auth::Any,
        Some((p, p_at)) => {
            let value = p
                .get(..5)
                .filter(|k| k.eq_ignore_ascii_case(b"AUTH="))
                .map(|_| &p[5..])
                .ok_or(UrlError::Parameter)?;
            if value.contains(&b';') {
                return Err(UrlError::Parameter);
            }
            auth_type(value, p_at + 5)?
        }
    };
    let user = if user.is_empty() {
        None
    } else {
        let name = decode(user, at)?;
        Some(Username::new(name).map_err(UrlError::User)?)
    };
    Ok((user, auth))
}

/// Reads `"*" / enc-sasl / "+" ("APOP" / enc-ext)`.
fn auth_type(b: &[u8], at: usize) -> Result<Auth, UrlError> {
    match b {
        [] => Err(UrlError::EmptyAuth),
        b"*" => Ok(Auth::Any),
        [b'+', ext @ ..] => {
            let name = decode(ext, at + 1)?;
            if name.eq_ignore_ascii_case(b"APOP") {
                return Ok(Auth::Apop);
            }
            check_extension(&name).map_err(UrlError::Extension)?;
            // Checked: all of it is visible ASCII.
            let name = String::from_utf8(name)
                .map_err(|_| UrlError::Extension(ValueError::Malformed("extension name")))?;
            Ok(Auth::Other(ExtensionName(name)))
        }
        _ => {
            let name = decode(b, at)?;
            check_mechanism(&name).map_err(UrlError::Mechanism)?;
            Ok(Auth::Sasl(Mechanism::from_checked(&name).into_owned()))
        }
    }
}

/// Percent-decodes `b` (`at` being its offset in the URL), which may hold
/// only `achar` bytes and `%XX` escapes, into bytes none of which is a
/// control character or SP.
fn decode(b: &[u8], at: usize) -> Result<Vec<u8>, UrlError> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = |j: usize| b.get(j).and_then(|&h| (h as char).to_digit(16));
            let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                return Err(UrlError::BadEscape { offset: at + i });
            };
            // Two hex digits make at most 0xff.
            let byte = u8::try_from(hi * 16 + lo).unwrap_or(u8::MAX);
            // Not SP and not a control character: what a single-token
            // POP3 argument may hold.
            if !is_token_byte(byte) {
                return Err(UrlError::UnsendableByte {
                    byte,
                    offset: at + i,
                });
            }
            out.push(byte);
            i += 3;
        } else if is_achar(c) {
            out.push(c);
            i += 1;
        } else {
            return Err(UrlError::InvalidByte {
                byte: c,
                offset: at + i,
            });
        }
    }
    Ok(out)
}

/// Splits `host [":" port]` and reads both.
fn split_port(s: &str) -> Result<(Host, NonZeroU16), UrlError> {
    let b = s.as_bytes();
    // The port's colon is the first one after an IPv6 literal's `]`, or
    // the first one in a name or IPv4 address.
    let from = if b.first() == Some(&b'[') {
        b.iter().position(|&c| c == b']').map_or(b.len(), |i| i + 1)
    } else {
        0
    };
    // Both cuts are at ASCII bytes, so `split_at` cannot fail.
    let (host, port) = match b[from..].iter().position(|&c| c == b':') {
        Some(i) => s.split_at(from + i),
        None => (s, ""),
    };
    let host = Host::parse(host).map_err(UrlError::Host)?;
    let port = match port.as_bytes() {
        [] => DEFAULT,
        [_colon, digits @ ..] => parse_port(digits).ok_or(UrlError::Port)?,
    };
    Ok((host, port))
}

/// `1*5DIGIT`, no leading zero, no sign, 1..=65535.
fn parse_port(p: &[u8]) -> Option<NonZeroU16> {
    if p.is_empty() || p.len() > 5 || p[0] == b'0' || !p.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = p.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    u16::try_from(n).ok().and_then(NonZeroU16::new)
}

/// Writes `bytes` with every byte that is not an `achar` percent-encoded
/// (upper-case hex).
fn write_encoded(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for &c in bytes {
        if is_achar(c) {
            f.write_char(char::from(c))?;
        } else {
            write!(f, "%{c:02X}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_drops_defaults() {
        let u = PopUrl::parse("POP://rg;auth=*@MailSrv.Qualcomm.COM:110").unwrap();
        assert_eq!(u.to_string(), "pop://rg@mailsrv.qualcomm.com");
        let u = PopUrl::parse("pop://;AUTH=*@h").unwrap();
        assert_eq!(u.to_string(), "pop://h");
    }

    #[test]
    fn port_bounds() {
        assert_eq!(parse_port(b"1").map(NonZeroU16::get), Some(1));
        assert_eq!(parse_port(b"65535").map(NonZeroU16::get), Some(65535));
        for bad in [
            &b""[..],
            b"0",
            b"65536",
            b"99999",
            b"+1",
            b"-1",
            b"01",
            b"123456",
        ] {
            assert_eq!(parse_port(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn max_url_len_is_reachable_and_enough() {
        let user = Username::try_from("%".repeat(MAX_USERNAME_LEN)).unwrap();
        let ext = ExtensionName::new(&"%".repeat(MAX_EXTENSION_LEN)).unwrap();
        let host = Host::parse(&{
            let mut h = String::new();
            for _ in 0..3 {
                h.push_str(&"a".repeat(63));
                h.push('.');
            }
            h.push_str(&"a".repeat(61));
            h
        })
        .unwrap();
        assert_eq!(host.as_str().len(), MAX_HOST_LEN);
        let u = PopUrl::new(host)
            .with_user(Some(user))
            .with_auth(Auth::Other(ext))
            .with_port(NonZeroU16::new(65535).unwrap());
        let s = u.to_string();
        assert_eq!(s.len(), MAX_URL_LEN);
        assert_eq!(PopUrl::parse(&s), Ok(u));
    }
}
