//! Client commands (RFC 1939, 2449, 2595, 5034, 6856).

use super::mechanism::Mechanism;
use super::value::{
    LangRange, MsgNumber, Password, SaslData, Secret, Text, Username, ValueError, ascii_type,
    check_bytes, is_vchar,
};
use core::fmt;

/// A command sent by a client.
///
/// Decoded by [`CommandDecoder`](crate::codec::CommandDecoder) and encoded by
/// [`Command::encode`]. Keywords are case-insensitive on input and written in
/// upper case (SPEC R02).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `USER name` (RFC 1939 §7).
    User(Username<'a>),
    /// `PASS string`; the string may hold spaces (RFC 1939 §7, SPEC R32).
    Pass(Secret<Password<'a>>),
    /// `APOP name digest` (RFC 1939 §7).
    Apop {
        /// The mailbox name.
        name: Username<'a>,
        /// The digest: 32 lower-case hexadecimal characters.
        digest: Secret<ApopDigest>,
    },
    /// `AUTH mechanism [initial-response]` (RFC 5034).
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism<'a>,
        /// The initial response: `None` when absent, `Some` of empty data
        /// for `=`.
        initial_response: Option<Secret<SaslData<'a>>>,
    },
    /// `AUTH` with no argument: old-style mechanism discovery, answered by a
    /// multi-line list of mechanisms (SPEC R61).
    AuthList,
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `CAPA` (RFC 2449 §5).
    Capa,
    /// `UTF8` (RFC 6856 §2).
    Utf8,
    /// `LANG [range]` (RFC 6856 §3): `None` asks for the list of languages.
    Lang(Option<LangRange<'a>>),
    /// `STAT` (RFC 1939 §5).
    Stat,
    /// `LIST [msg]` (RFC 1939 §5).
    List(Option<MsgNumber>),
    /// `RETR msg` (RFC 1939 §5).
    Retr(MsgNumber),
    /// `DELE msg` (RFC 1939 §5).
    Dele(MsgNumber),
    /// `NOOP` (RFC 1939 §5).
    Noop,
    /// `RSET` (RFC 1939 §5).
    Rset,
    /// `TOP msg n` (RFC 1939 §7).
    Top {
        /// The message.
        msg: MsgNumber,
        /// How many lines of the body to send after the headers.
        lines: u32,
    },
    /// `UIDL [msg]` (RFC 1939 §7).
    Uidl(Option<MsgNumber>),
    /// `QUIT` (RFC 1939 §4, §6).
    Quit,
    /// A command this crate does not know, kept so that a server can answer
    /// it (SPEC R07).
    Other(OtherCommand<'a>),
}

/// The kind of a [`Command`], without its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandKind {
    /// `USER`.
    User,
    /// `PASS`.
    Pass,
    /// `APOP`.
    Apop,
    /// `AUTH`, with or without a mechanism.
    Auth,
    /// `STLS`.
    Stls,
    /// `CAPA`.
    Capa,
    /// `UTF8`.
    Utf8,
    /// `LANG`.
    Lang,
    /// `STAT`.
    Stat,
    /// `LIST`.
    List,
    /// `RETR`.
    Retr,
    /// `DELE`.
    Dele,
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `TOP`.
    Top,
    /// `UIDL`.
    Uidl,
    /// `QUIT`.
    Quit,
    /// Any other keyword.
    Other,
}

impl CommandKind {
    /// Every known kind, [`CommandKind::Other`] excepted.
    ///
    /// A slice, not an array, so that adding a kind does not change the
    /// constant's type (a semver-compatible addition to a
    /// `#[non_exhaustive]` enum).
    pub const KNOWN: &'static [CommandKind] = &[
        Self::User,
        Self::Pass,
        Self::Apop,
        Self::Auth,
        Self::Stls,
        Self::Capa,
        Self::Utf8,
        Self::Lang,
        Self::Stat,
        Self::List,
        Self::Retr,
        Self::Dele,
        Self::Noop,
        Self::Rset,
        Self::Top,
        Self::Uidl,
        Self::Quit,
    ];

    /// The keyword in upper case; `None` for [`CommandKind::Other`].
    pub const fn keyword(self) -> Option<&'static str> {
        Some(match self {
            Self::User => "USER",
            Self::Pass => "PASS",
            Self::Apop => "APOP",
            Self::Auth => "AUTH",
            Self::Stls => "STLS",
            Self::Capa => "CAPA",
            Self::Utf8 => "UTF8",
            Self::Lang => "LANG",
            Self::Stat => "STAT",
            Self::List => "LIST",
            Self::Retr => "RETR",
            Self::Dele => "DELE",
            Self::Noop => "NOOP",
            Self::Rset => "RSET",
            Self::Top => "TOP",
            Self::Uidl => "UIDL",
            Self::Quit => "QUIT",
            Self::Other => return None,
        })
    }

    /// Looks a keyword up, ignoring case; `None` when it is not known.
    pub fn from_keyword(keyword: &[u8]) -> Option<Self> {
        Self::from_line(keyword)
            .filter(|&(_, len)| len == keyword.len())
            .map(|(kind, _)| kind)
    }

    /// The known keyword that starts a command line, and its length: the
    /// keyword must end the line or be followed by SP.
    ///
    /// The first four bytes are loaded as one word, letters folded to lower
    /// case, and looked up in a perfect hash table: one multiplication and
    /// one comparison, whatever the keyword, and no search for the SP (the
    /// table also holds `"top "`, so the 3-letter keyword needs none).
    #[inline]
    pub(crate) fn from_line(line: &[u8]) -> Option<(Self, usize)> {
        let word = match line.first_chunk::<4>() {
            Some(word) => *word,
            None => {
                let mut word = [0u8; 4];
                for (w, &b) in word.iter_mut().zip(line) {
                    *w = b;
                }
                word
            }
        };
        let key = fold_case(u32::from_le_bytes(word));
        let (known, len, kind) = KEYWORDS[slot(key)];
        let len = usize::from(len);
        let ends = matches!(line.get(len), None | Some(b' '));
        (known == key && len != 0 && ends).then_some((kind, len))
    }
}

/// Lower-cases the ASCII letters of a little-endian 4-byte word: bit 5 is
/// set in every byte whose bit 6 is set, which maps `A-Z` to `a-z` and
/// leaves digits, SP and control characters alone.
const fn fold_case(word: u32) -> u32 {
    word | ((word & 0x4040_4040) >> 1)
}

/// The perfect hash of a folded key: 5 bits of a multiplicative hash
/// whose multiplier was searched for so that the 18 keys do not collide
/// (checked at compile time below).
const fn slot(key: u32) -> usize {
    (key.wrapping_mul(0x211c_70cf) >> 27) as usize
}

/// Builds the table entry for the first four bytes of `name`, padded with
/// NUL: `(folded key, keyword length, kind)`.
const fn entry(name: &[u8], len: usize, kind: CommandKind) -> (u32, u8, CommandKind) {
    let mut word = [0u8; 4];
    let mut j = 0;
    while j < name.len() && j < 4 {
        word[j] = name[j];
        j += 1;
    }
    (fold_case(u32::from_le_bytes(word)), len as u8, kind)
}

/// `(folded first four bytes, keyword length, kind)` by [`slot`]: every
/// keyword, plus `"TOP "` for TOP with arguments. Empty slots never match
/// because their length is 0.
const KEYWORDS: [(u32, u8, CommandKind); 32] = {
    let mut table = [(0u32, 0u8, CommandKind::Other); 32];
    let mut i = 0;
    while i <= CommandKind::KNOWN.len() {
        let (key, len, kind) = if i < CommandKind::KNOWN.len() {
            let kind = CommandKind::KNOWN[i];
            let name = match kind.keyword() {
                Some(name) => name.as_bytes(),
                None => b"",
            };
            entry(name, name.len(), kind)
        } else {
            entry(b"TOP ", 3, CommandKind::Top)
        };
        let s = slot(key);
        assert!(table[s].1 == 0, "keyword hash collision");
        table[s] = (key, len, kind);
        i += 1;
    }
    table
};

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword().unwrap_or("(unknown command)"))
    }
}

impl Command<'_> {
    /// The kind of this command.
    pub fn kind(&self) -> CommandKind {
        match self {
            Self::User(_) => CommandKind::User,
            Self::Pass(_) => CommandKind::Pass,
            Self::Apop { .. } => CommandKind::Apop,
            Self::Auth { .. } | Self::AuthList => CommandKind::Auth,
            Self::Stls => CommandKind::Stls,
            Self::Capa => CommandKind::Capa,
            Self::Utf8 => CommandKind::Utf8,
            Self::Lang(_) => CommandKind::Lang,
            Self::Stat => CommandKind::Stat,
            Self::List(_) => CommandKind::List,
            Self::Retr(_) => CommandKind::Retr,
            Self::Dele(_) => CommandKind::Dele,
            Self::Noop => CommandKind::Noop,
            Self::Rset => CommandKind::Rset,
            Self::Top { .. } => CommandKind::Top,
            Self::Uidl(_) => CommandKind::Uidl,
            Self::Quit => CommandKind::Quit,
            Self::Other(_) => CommandKind::Other,
        }
    }

    /// Detaches the command from the buffer it was parsed from.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Self::User(u) => Command::User(u.into_owned()),
            Self::Pass(p) => Command::Pass(Secret::new(p.into_inner().into_owned())),
            Self::Apop { name, digest } => Command::Apop {
                name: name.into_owned(),
                digest,
            },
            Self::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: mechanism.into_owned(),
                initial_response: initial_response
                    .map(|r| Secret::new(r.into_inner().into_owned())),
            },
            Self::AuthList => Command::AuthList,
            Self::Stls => Command::Stls,
            Self::Capa => Command::Capa,
            Self::Utf8 => Command::Utf8,
            Self::Lang(r) => Command::Lang(r.map(LangRange::into_owned)),
            Self::Stat => Command::Stat,
            Self::List(n) => Command::List(n),
            Self::Retr(n) => Command::Retr(n),
            Self::Dele(n) => Command::Dele(n),
            Self::Noop => Command::Noop,
            Self::Rset => Command::Rset,
            Self::Top { msg, lines } => Command::Top { msg, lines },
            Self::Uidl(n) => Command::Uidl(n),
            Self::Quit => Command::Quit,
            Self::Other(o) => Command::Other(o.into_owned()),
        }
    }
}

/// An APOP digest: 32 lower-case hexadecimal characters (RFC 1939 §7,
/// SPEC R18). Build one with [`crate::apop::digest`].
///
/// It stands for the password (MD5 collisions leak it, CVE-2007-1558), so
/// it is handled as a secret: `Debug` does not show it, equality takes
/// constant time, and the bytes are zeroed on drop (hence no `Copy`).
#[derive(Clone)]
pub struct ApopDigest(pub(crate) [u8; 32]);

impl PartialEq for ApopDigest {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

impl Eq for ApopDigest {}

impl core::hash::Hash for ApopDigest {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Drop for ApopDigest {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl AsRef<[u8]> for ApopDigest {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl ApopDigest {
    /// Parses 32 lower-case hexadecimal characters; upper case is refused,
    /// as RFC 1939 requires lower case.
    ///
    /// # Errors
    ///
    /// Returns a [`ValueError`] for any other input.
    pub fn parse(hex: &[u8]) -> Result<Self, ValueError> {
        check_bytes(hex, 32, 32, |b| matches!(b, b'0'..=b'9' | b'a'..=b'f')).map_err(
            |e| match e {
                ValueError::Empty => ValueError::Malformed("APOP digest"),
                e => e,
            },
        )?;
        let mut digest = [0u8; 32];
        digest.copy_from_slice(hex);
        Ok(Self(digest))
    }

    /// The 32 hexadecimal characters.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 32 hexadecimal characters as bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ApopDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApopDigest([redacted])")
    }
}

/// The longest keyword an [`OtherCommand`] may have.
pub const MAX_KEYWORD_LEN: usize = 32;

pub(crate) fn check_keyword(v: &[u8]) -> Result<(), ValueError> {
    check_bytes(v, 1, MAX_KEYWORD_LEN, is_vchar)?;
    if CommandKind::from_keyword(v).is_some() {
        return Err(ValueError::Malformed("unknown keyword (this one is known)"));
    }
    Ok(())
}

ascii_type!(
    case_insensitive
    /// The keyword of an [`OtherCommand`]: 1 to 32 visible ASCII characters
    /// that are not a keyword this crate knows (so `Other` never shadows a
    /// known command).
    Keyword,
    check_keyword
);

/// A command whose keyword this crate does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherCommand<'a> {
    keyword: Keyword<'a>,
    arguments: Option<Text<'a>>,
}

impl<'a> OtherCommand<'a> {
    /// Builds a command `keyword [SP arguments]`.
    pub fn new(keyword: Keyword<'a>, arguments: Option<Text<'a>>) -> Self {
        Self { keyword, arguments }
    }

    /// The keyword, as sent.
    pub fn keyword(&self) -> &Keyword<'a> {
        &self.keyword
    }

    /// Everything after the first SP, if there was one.
    pub fn arguments(&self) -> Option<&Text<'a>> {
        self.arguments.as_ref()
    }

    /// Detaches the command from the buffer it was parsed from.
    pub fn into_owned(self) -> OtherCommand<'static> {
        OtherCommand {
            keyword: self.keyword.into_owned(),
            arguments: self.arguments.map(Text::into_owned),
        }
    }
}

/// A line a client sends during a SASL exchange, after a `+` challenge
/// (RFC 5034 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaslResponse<'a> {
    /// A base64 line, decoded. An empty line is empty data.
    Data(Secret<SaslData<'a>>),
    /// `*`: the client cancels the exchange.
    Cancel,
}

impl SaslResponse<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> SaslResponse<'static> {
        match self {
            Self::Data(d) => SaslResponse::Data(Secret::new(d.into_inner().into_owned())),
            Self::Cancel => SaslResponse::Cancel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_case_insensitive_r02() {
        for k in ["stat", "StAt", "STAT"] {
            assert_eq!(
                CommandKind::from_keyword(k.as_bytes()),
                Some(CommandKind::Stat)
            );
        }
        assert_eq!(CommandKind::from_keyword(b"top"), Some(CommandKind::Top));
        assert_eq!(CommandKind::from_keyword(b"TOP\0"), None);
        assert_eq!(CommandKind::from_keyword(b"TO"), None);
        assert_eq!(CommandKind::from_keyword(b"STATS"), None);
        for &kind in CommandKind::KNOWN {
            let k = kind.keyword().unwrap();
            assert_eq!(CommandKind::from_keyword(k.as_bytes()), Some(kind));
        }
    }

    #[test]
    fn hashed_lookup_agrees_with_a_plain_comparison() {
        let naive = |k: &[u8]| {
            CommandKind::KNOWN
                .iter()
                .copied()
                .find(|kind| kind.keyword().unwrap().as_bytes().eq_ignore_ascii_case(k))
        };
        for &kind in CommandKind::KNOWN {
            let name = kind.keyword().unwrap().as_bytes();
            for at in 0..=name.len() {
                for b in 0..=255u8 {
                    // Replace, then append, one byte: every near miss.
                    let mut k = name.to_vec();
                    if at < name.len() {
                        k[at] = b;
                    } else {
                        k.push(b);
                    }
                    assert_eq!(CommandKind::from_keyword(&k), naive(&k), "{k:?}");
                }
            }
        }
        assert_eq!(CommandKind::from_keyword(b"UTF\x18"), None);
        assert_eq!(CommandKind::from_keyword(b"\0\0\0"), None);
    }

    #[test]
    fn other_keyword_never_known() {
        assert!(Keyword::try_from("XTND").is_ok());
        assert!(Keyword::try_from("retr").is_err());
        assert!(Keyword::try_from("X Y").is_err());
    }

    #[test]
    fn apop_digest_is_a_secret() {
        let d = ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22fb").unwrap();
        assert_eq!(alloc::format!("{d:?}"), "ApopDigest([redacted])");
        let e = ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22fc").unwrap();
        assert_eq!(d, d.clone());
        assert_ne!(d, e);
        assert_eq!(Secret::new(d.clone()), Secret::new(d));
    }

    #[test]
    fn apop_digest_lower_hex_only_r18() {
        assert!(ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22fb").is_ok());
        assert!(ApopDigest::parse(b"C4C9334BAC560ECC979E58001B3E22FB").is_err());
        assert!(ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22f").is_err());
        assert!(ApopDigest::parse(b"").is_err());
    }
}
