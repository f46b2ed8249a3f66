//! Server responses: status lines, response codes, the greeting, listings.

use super::capability::Capability;
use super::command::Command;
use super::mechanism::Mechanism;
use super::value::{LangTag, MsgNumber, SaslData, Text, Timestamp, Uid, ValueError};
use alloc::borrow::Cow;
use core::fmt;

/// `+OK` or `-ERR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `+OK`: success.
    Ok,
    /// `-ERR`: failure.
    Err,
}

impl StatusKind {
    /// `"+OK"` or `"-ERR"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "+OK",
            Self::Err => "-ERR",
        }
    }
}

/// A response code: the bracketed word after `+OK`/`-ERR` (RFC 2449 §8,
/// RFC 3206, RFC 6856), kept exactly as sent, every level included.
///
/// Codes are hierarchical and case-insensitive. [`kind`](Self::kind)
/// classifies a code by its known levels and ignores unknown sub-levels, as
/// RFC 2449 §8 requires: `[SYS/TEMP/X]` is [`RespCodeKind::SysTemp`] (SPEC
/// R45), and still encodes as `[SYS/TEMP/X]`, so that decoding loses
/// nothing a proxy would pass on. A code is [`RespCodeKind::Other`] only
/// when its levels name no known code.
///
/// Equality and hashing ignore ASCII case and compare the whole code:
/// `[sys/temp]` equals [`RespCode::SYS_TEMP`], `[SYS/TEMP/X]` does not
/// (compare [`kind`](Self::kind)s for that).
#[derive(Clone, Debug)]
pub struct RespCode<'a> {
    kind: RespCodeKind,
    code: Cow<'a, str>,
}

/// The meaning of a [`RespCode`], from its known levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RespCodeKind {
    /// `IN-USE`: credentials accepted, maildrop locked (RFC 2449 §8.1.1).
    InUse,
    /// `LOGIN-DELAY`: logged in too recently (RFC 2449 §8.1.2).
    LoginDelay,
    /// `SYS/TEMP`: a transient failure; retry later (RFC 3206 §4).
    SysTemp,
    /// `SYS/PERM`: a permanent failure; tell the user (RFC 3206 §4).
    SysPerm,
    /// `AUTH`: the credentials are wrong (RFC 3206 §5).
    Auth,
    /// `UTF8`: the command needs UTF8 mode (RFC 6856 §2.1).
    Utf8,
    /// A code whose levels name none of the above (for example Dovecot's
    /// `XCLIENT`, or `SYS/FOO`).
    Other,
}

impl RespCodeKind {
    /// The code's levels in their registered spelling (`"SYS/TEMP"`);
    /// `None` for [`RespCodeKind::Other`].
    pub const fn as_str(self) -> Option<&'static str> {
        Some(match self {
            Self::InUse => "IN-USE",
            Self::LoginDelay => "LOGIN-DELAY",
            Self::SysTemp => "SYS/TEMP",
            Self::SysPerm => "SYS/PERM",
            Self::Auth => "AUTH",
            Self::Utf8 => "UTF8",
            Self::Other => return None,
        })
    }
}

impl TryFrom<alloc::string::String> for RespCode<'static> {
    type Error = ValueError;
    fn try_from(code: alloc::string::String) -> Result<Self, ValueError> {
        RespCode::check(code.as_bytes())?;
        let kind = RespCode::classify(code.as_bytes());
        Ok(RespCode {
            kind,
            code: Cow::Owned(code),
        })
    }
}

impl<'a> TryFrom<&'a str> for RespCode<'a> {
    type Error = ValueError;
    fn try_from(code: &'a str) -> Result<Self, ValueError> {
        Self::new(code)
    }
}

/// A byte of a response-code level (RFC 2449 §8, `rchar` without DEL).
pub(crate) const fn is_rchar(b: u8) -> bool {
    matches!(b, 0x21..=0x2e | 0x30..=0x5c | 0x5e..=0x7e)
}

impl RespCode<'static> {
    /// `[IN-USE]`.
    pub const IN_USE: Self = Self::known(RespCodeKind::InUse, "IN-USE");
    /// `[LOGIN-DELAY]`.
    pub const LOGIN_DELAY: Self = Self::known(RespCodeKind::LoginDelay, "LOGIN-DELAY");
    /// `[SYS/TEMP]`.
    pub const SYS_TEMP: Self = Self::known(RespCodeKind::SysTemp, "SYS/TEMP");
    /// `[SYS/PERM]`.
    pub const SYS_PERM: Self = Self::known(RespCodeKind::SysPerm, "SYS/PERM");
    /// `[AUTH]`.
    pub const AUTH: Self = Self::known(RespCodeKind::Auth, "AUTH");
    /// `[UTF8]`.
    pub const UTF8: Self = Self::known(RespCodeKind::Utf8, "UTF8");

    const fn known(kind: RespCodeKind, code: &'static str) -> Self {
        Self {
            kind,
            code: Cow::Borrowed(code),
        }
    }
}

impl<'a> RespCode<'a> {
    /// Parses a code given without its brackets (`"SYS/TEMP"`,
    /// `"SYS/TEMP/X"`).
    ///
    /// # Errors
    ///
    /// Returns a [`ValueError`] when `code` is not one or more levels of
    /// response-code characters joined by `/`.
    pub fn new(code: &'a str) -> Result<Self, ValueError> {
        Self::check(code.as_bytes())?;
        Ok(Self::from_checked(code.as_bytes()))
    }

    fn check(bytes: &[u8]) -> Result<(), ValueError> {
        if bytes.is_empty() {
            return Err(ValueError::Empty);
        }
        if let Some(offset) = bytes.iter().position(|&b| !is_rchar(b) && b != b'/') {
            return Err(ValueError::InvalidByte {
                byte: bytes[offset],
                offset,
            });
        }
        if bytes.split(|&b| b == b'/').any(<[u8]>::is_empty) {
            return Err(ValueError::Malformed("response code"));
        }
        Ok(())
    }

    /// The kind of checked bytes (levels joined by `/`): the first level,
    /// and for `SYS` the second, name it; further levels are ignored.
    fn classify(code: &[u8]) -> RespCodeKind {
        let mut levels = code.split(|&b| b == b'/');
        let first = levels.next().unwrap_or_default();
        let is = |a: &[u8], b: &str| a.eq_ignore_ascii_case(b.as_bytes());
        if is(first, "IN-USE") {
            RespCodeKind::InUse
        } else if is(first, "LOGIN-DELAY") {
            RespCodeKind::LoginDelay
        } else if is(first, "AUTH") {
            RespCodeKind::Auth
        } else if is(first, "UTF8") {
            RespCodeKind::Utf8
        } else if is(first, "SYS") {
            match levels.next() {
                Some(l) if is(l, "TEMP") => RespCodeKind::SysTemp,
                Some(l) if is(l, "PERM") => RespCodeKind::SysPerm,
                _ => RespCodeKind::Other,
            }
        } else {
            RespCodeKind::Other
        }
    }

    /// Wraps checked bytes (levels of `rchar` joined by `/`).
    pub(crate) fn from_checked(code: &'a [u8]) -> Self {
        Self {
            kind: Self::classify(code),
            code: Cow::Borrowed(core::str::from_utf8(code).unwrap_or_default()),
        }
    }

    /// What the code means.
    pub fn kind(&self) -> RespCodeKind {
        self.kind
    }

    /// The whole code as it goes on the wire, without brackets: every
    /// level, in the case it was given.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The levels of the code, in order (`SYS`, `TEMP`, `X`).
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.code.split('/')
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> RespCode<'static> {
        RespCode {
            kind: self.kind,
            code: Cow::Owned(self.code.into_owned()),
        }
    }
}

impl PartialEq for RespCode<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.code.eq_ignore_ascii_case(&other.code)
    }
}

impl Eq for RespCode<'_> {}

impl core::hash::Hash for RespCode<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        super::value::hash_ignore_case(self.code.as_bytes(), state);
    }
}

impl fmt::Display for RespCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status line: `+OK` or `-ERR`, an optional response code, and text.
///
/// Apart from the listings, only the status is significant (SPEC R08): `+OK`,
/// `+OK ` and `+OK x` differ only in their text.
///
/// The code and the text are separate parts, and a value has exactly one
/// encoding: a text without a code never begins with `[`, which a peer
/// would read as a code (RFC 2449 §8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status<'a> {
    kind: StatusKind,
    code: Option<RespCode<'a>>,
    text: Text<'a>,
}

impl<'a> Status<'a> {
    /// Builds a status line from its parts.
    ///
    /// # Errors
    ///
    /// [`ValueError::Ambiguous`] when `code` is `None` and `text` begins
    /// with `[`: on the wire that text would read as a response code
    /// (`-ERR [SYS/PERM] ...`, say, from a user name a server echoes). Put
    /// the code in `code`, or make the text begin otherwise.
    pub fn new(
        kind: StatusKind,
        code: Option<RespCode<'a>>,
        text: Text<'a>,
    ) -> Result<Self, ValueError> {
        if code.is_none() && text.as_bytes().first() == Some(&b'[') {
            return Err(ValueError::Ambiguous("a response code"));
        }
        Ok(Self { kind, code, text })
    }

    /// A status line as a parser split it: the code, if any, already off
    /// the text, and the rest as it came (which may begin with `[` when it
    /// is not a well-formed code, such as an unterminated `[SYS/TEMP`).
    pub(crate) fn from_parts(kind: StatusKind, code: Option<RespCode<'a>>, text: Text<'a>) -> Self {
        Self { kind, code, text }
    }

    /// `+OK text`.
    ///
    /// # Errors
    ///
    /// As [`Status::new`], for a text that begins with `[`.
    pub fn ok(text: Text<'a>) -> Result<Self, ValueError> {
        Self::new(StatusKind::Ok, None, text)
    }

    /// `-ERR text`.
    ///
    /// # Errors
    ///
    /// As [`Status::new`], for a text that begins with `[`.
    pub fn err(text: Text<'a>) -> Result<Self, ValueError> {
        Self::new(StatusKind::Err, None, text)
    }

    /// The same status with a response code (which makes any text valid).
    pub fn with_code(mut self, code: RespCode<'a>) -> Self {
        self.code = Some(code);
        self
    }

    /// `+OK` or `-ERR`.
    pub fn kind(&self) -> StatusKind {
        self.kind
    }

    /// True for `+OK`.
    pub fn is_ok(&self) -> bool {
        self.kind == StatusKind::Ok
    }

    /// The response code, if any.
    pub fn code(&self) -> Option<&RespCode<'a>> {
        self.code.as_ref()
    }

    /// The human-readable text (after the code, if any).
    pub fn text(&self) -> &Text<'a> {
        &self.text
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> Status<'static> {
        Status {
            kind: self.kind,
            code: self.code.map(RespCode::into_owned),
            text: self.text.into_owned(),
        }
    }
}

/// The greeting a server sends when a client connects (RFC 1939 §4).
///
/// A greeting is a status line; a server that can take APOP puts a
/// [`Timestamp`] in its text. Clients must handle `-ERR` greetings too
/// (SPEC R16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Greeting<'a>(Status<'a>);

impl<'a> Greeting<'a> {
    /// Wraps a status line.
    pub fn new(status: Status<'a>) -> Self {
        Self(status)
    }

    /// `+OK text <timestamp>`: a greeting that offers APOP.
    ///
    /// # Errors
    ///
    /// [`ValueError::Ambiguous`] when the greeting would not offer this
    /// timestamp: `text` holds a msg-id of its own, which a client would
    /// take for the timestamp (`"hello <evil@x>"`), or begins with `[`,
    /// which a client would read as a response code.
    pub fn with_timestamp(
        text: &Text<'_>,
        timestamp: &Timestamp<'_>,
    ) -> Result<Greeting<'static>, ValueError> {
        let mut line = text.as_bytes().to_vec();
        if !line.is_empty() {
            line.push(b' ');
        }
        line.extend_from_slice(timestamp.as_bytes());
        let greeting = Greeting(Status::ok(Text(Cow::Owned(line)))?);
        if greeting.timestamp().as_ref() != Some(timestamp) {
            return Err(ValueError::Ambiguous("an APOP timestamp"));
        }
        Ok(greeting)
    }

    /// The status line.
    pub fn status(&self) -> &Status<'a> {
        &self.0
    }

    /// True for a `+OK` greeting.
    pub fn is_ok(&self) -> bool {
        self.0.is_ok()
    }

    /// The APOP timestamp: the first `<...>` in the text of a `+OK`
    /// greeting that has the shape of a msg-id (SPEC R17, R20, R21). `None`
    /// means APOP is not offered, or not safely usable; always `None` for a
    /// `-ERR` greeting.
    pub fn timestamp(&self) -> Option<Timestamp<'_>> {
        if !self.is_ok() {
            // A server that refuses the connection offers nothing.
            return None;
        }
        let text = self.0.text.as_bytes();
        let mut from = 0;
        while let Some(start) = memchr::memchr(b'<', &text[from..]).map(|i| from + i) {
            let end = memchr::memchr(b'>', &text[start..])? + start;
            let candidate = &text[start..=end];
            if super::value::check_timestamp(candidate).is_ok() {
                return Some(Timestamp::from_checked(candidate));
            }
            from = start + 1;
        }
        None
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> Greeting<'static> {
        Greeting(self.0.into_owned())
    }
}

/// The reply to STAT: `+OK count size` (RFC 1939 §5, SPEC R27).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DropListing {
    /// Number of messages not marked deleted.
    pub count: u32,
    /// Their total size in octets.
    pub size: u64,
}

/// One scan listing: `msg size`, the reply to `LIST msg` or a line of the
/// reply to `LIST` (RFC 1939 §5, SPEC R28).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScanListing {
    /// The message.
    pub msg: MsgNumber,
    /// Its size in octets (CRLF counted, stuffing not; SPEC R12). Servers
    /// get this wrong often (SPEC §7.4): never frame by it.
    pub size: u64,
}

/// One unique-id listing: `msg uid`, the reply to `UIDL msg` or a line of
/// the reply to `UIDL` (RFC 1939 §7, SPEC R29).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UidListing<'a> {
    /// The message.
    pub msg: MsgNumber,
    /// Its unique-id.
    pub uid: Uid<'a>,
}

impl UidListing<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> UidListing<'static> {
        UidListing {
            msg: self.msg,
            uid: self.uid.into_owned(),
        }
    }
}

/// A language: `tag [SP description]`, the reply to `LANG tag` or a line of
/// the reply to `LANG` (RFC 6856 §3, SPEC R73).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LangListing<'a> {
    /// The language tag.
    pub tag: LangTag<'a>,
    /// Its description, or the server's message in that language; may be
    /// empty.
    pub description: Text<'a>,
}

impl LangListing<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> LangListing<'static> {
        LangListing {
            tag: self.tag.into_owned(),
            description: self.description.into_owned(),
        }
    }
}

/// One line of a multi-line listing, between the `+OK` line and the `.`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry<'a> {
    /// A line of the reply to `LIST`.
    Scan(ScanListing),
    /// A line of the reply to `UIDL`.
    Uid(UidListing<'a>),
    /// A line of the reply to `CAPA`.
    Capability(Capability<'a>),
    /// A line of the reply to `LANG`.
    Lang(LangListing<'a>),
    /// A line of the reply to a bare `AUTH` (SPEC R61).
    Mechanism(Mechanism<'a>),
}

impl Entry<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> Entry<'static> {
        match self {
            Self::Scan(s) => Entry::Scan(s),
            Self::Uid(u) => Entry::Uid(u.into_owned()),
            Self::Capability(c) => Entry::Capability(c.into_owned()),
            Self::Lang(l) => Entry::Lang(l.into_owned()),
            Self::Mechanism(m) => Entry::Mechanism(m.into_owned()),
        }
    }
}

/// One line of server output.
///
/// A multi-line listing is a [`Response::Status`] (`+OK ...`), then one
/// [`Response::Entry`] per line, then the `.` line that ends it, which the
/// decoder reports as [`ResponseEvent::End`](crate::codec::ResponseEvent::End)
/// (and [`encode_listing_end`](crate::codec::encode_listing_end) writes).
/// The body of RETR and TOP is not a line sequence: the decoder hands it
/// out as [`ResponseEvent::Data`](crate::codec::ResponseEvent::Data).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response<'a> {
    /// The greeting.
    Greeting(Greeting<'a>),
    /// A status line that carries nothing the crate parses further: every
    /// `-ERR`, replies to USER, PASS, DELE, ..., and the `+OK` line that
    /// opens a multi-line reply.
    Status(Status<'a>),
    /// A SASL challenge, `+ base64` (RFC 5034 §4), decoded. Exchange's bare
    /// `+` is an empty challenge.
    Challenge(SaslData<'a>),
    /// The `+OK` reply to STAT.
    Stat(DropListing),
    /// The `+OK` reply to `LIST msg`.
    Scan(ScanListing),
    /// The `+OK` reply to `UIDL msg`.
    Uid(UidListing<'a>),
    /// The `+OK` reply to `LANG tag`.
    Lang(LangListing<'a>),
    /// One line of a multi-line listing.
    Entry(Entry<'a>),
}

impl Response<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> Response<'static> {
        match self {
            Self::Greeting(g) => Response::Greeting(g.into_owned()),
            Self::Status(s) => Response::Status(s.into_owned()),
            Self::Challenge(c) => Response::Challenge(c.into_owned()),
            Self::Stat(s) => Response::Stat(s),
            Self::Scan(s) => Response::Scan(s),
            Self::Uid(u) => Response::Uid(u.into_owned()),
            Self::Lang(l) => Response::Lang(l.into_owned()),
            Self::Entry(e) => Response::Entry(e.into_owned()),
        }
    }
}

/// What the next response answers, so the decoder knows how to read it
/// (SPEC R09). Get it from [`Command::expect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expect {
    /// The greeting.
    Greeting,
    /// A plain status line (USER, PASS, APOP, STLS, UTF8, DELE, NOOP, RSET,
    /// QUIT and unknown commands).
    Status,
    /// After `AUTH mechanism` or a SASL response line: a `+` challenge or a
    /// final status.
    Challenge,
    /// `+OK count size` (STAT).
    Stat,
    /// `+OK msg size` (LIST msg): the reply must name this message.
    Scan(MsgNumber),
    /// `+OK msg uid` (UIDL msg): the reply must name this message.
    Uid(MsgNumber),
    /// `+OK tag text` (LANG tag).
    Lang,
    /// A multi-line scan listing (LIST).
    ScanListing,
    /// A multi-line unique-id listing (UIDL).
    UidListing,
    /// A multi-line capability list (CAPA).
    Capabilities,
    /// A multi-line language list (LANG).
    LangListing,
    /// A multi-line mechanism list (bare AUTH).
    Mechanisms,
    /// A dot-stuffed message or part of one (RETR, TOP).
    Message,
}

impl Expect {
    /// True when a `+OK` reply opens a multi-line listing of lines.
    pub const fn is_listing(self) -> bool {
        matches!(
            self,
            Self::ScanListing
                | Self::UidListing
                | Self::Capabilities
                | Self::LangListing
                | Self::Mechanisms
        )
    }

    /// True when a `+OK` reply is followed by a multi-line reply of any
    /// kind, the message bodies of RETR and TOP included.
    pub const fn is_multi_line(self) -> bool {
        self.is_listing() || matches!(self, Self::Message)
    }
}

impl Command<'_> {
    /// What the server's reply to this command looks like.
    pub fn expect(&self) -> Expect {
        match self {
            Self::Auth { .. } => Expect::Challenge,
            Self::AuthList => Expect::Mechanisms,
            Self::Capa => Expect::Capabilities,
            Self::Lang(None) => Expect::LangListing,
            Self::Lang(Some(_)) => Expect::Lang,
            Self::Stat => Expect::Stat,
            Self::List(None) => Expect::ScanListing,
            Self::List(Some(msg)) => Expect::Scan(*msg),
            Self::Uidl(None) => Expect::UidListing,
            Self::Uidl(Some(msg)) => Expect::Uid(*msg),
            Self::Retr(_) | Self::Top { .. } => Expect::Message,
            _ => Expect::Status,
        }
    }
}
