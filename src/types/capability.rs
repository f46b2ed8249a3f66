//! Capabilities announced by CAPA (RFC 2449 §5-6 and the IANA registry).

use super::mechanism::Mechanism;
use super::value::{Text, ValueError, ascii_type, bytes_type, check_bytes, is_token_byte};
use alloc::vec::Vec;

/// One line of the reply to CAPA.
///
/// Every capability in the IANA registry has its own variant (SPEC §3);
/// anything else, such as `X-GOOGLE-RICO` or `XOIP`, is kept in
/// [`Capability::Other`], which never holds a registered tag. Tags are
/// case-insensitive (SPEC R02) and written in upper case.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability<'a> {
    /// `TOP` (RFC 2449 §6.1).
    Top,
    /// `USER`: USER and PASS are allowed (RFC 2449 §6.2).
    User,
    /// `SASL mech...`: the AUTH mechanisms on offer (RFC 2449 §6.3,
    /// RFC 5034).
    ///
    /// Tokens that are not valid mechanism names (EAST sends
    /// `AUTH=CRAM-MD5`) are left out rather than failing the line.
    Sasl(Vec<Mechanism<'a>>),
    /// `RESP-CODES` (RFC 2449 §6.4).
    RespCodes,
    /// `LOGIN-DELAY secs [USER]` (RFC 2449 §6.5).
    LoginDelay {
        /// The minimum number of seconds between logins.
        seconds: u32,
        /// `USER`: the value may change after login, so ask again.
        per_user: bool,
    },
    /// `PIPELINING` (RFC 2449 §6.6).
    Pipelining,
    /// `EXPIRE days|NEVER [USER]` (RFC 2449 §6.7).
    Expire {
        /// How long the server keeps messages.
        policy: ExpirePolicy,
        /// `USER`: the value may change after login, so ask again.
        per_user: bool,
    },
    /// `UIDL` (RFC 2449 §6.8).
    Uidl,
    /// `IMPLEMENTATION text` (RFC 2449 §6.9): for people, never for
    /// program logic (SPEC R43).
    Implementation(Text<'a>),
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `AUTH-RESP-CODE` (RFC 3206 §6).
    AuthRespCode,
    /// `UTF8 [USER]` (RFC 6856 §2).
    Utf8 {
        /// `USER`: UTF-8 user names and passwords are accepted.
        user: bool,
    },
    /// `LANG` (RFC 6856 §3).
    Lang,
    /// An unregistered capability, kept as sent.
    Other(OtherCapability<'a>),
}

/// The argument of `EXPIRE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpirePolicy {
    /// `NEVER`: the server never deletes messages on its own.
    Never,
    /// Messages are deleted this many days after retrieval; 0 means the
    /// client may not leave mail on the server (SPEC R44).
    Days(u32),
}

/// The tags of the IANA registry, each with its variant (SPEC §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Registered {
    Top,
    User,
    Sasl,
    RespCodes,
    LoginDelay,
    Pipelining,
    Expire,
    Uidl,
    Implementation,
    Stls,
    AuthRespCode,
    Utf8,
    Lang,
}

/// Every registered tag in upper case.
pub(crate) const REGISTERED_TAGS: [(&str, Registered); 13] = [
    ("TOP", Registered::Top),
    ("USER", Registered::User),
    ("SASL", Registered::Sasl),
    ("RESP-CODES", Registered::RespCodes),
    ("LOGIN-DELAY", Registered::LoginDelay),
    ("PIPELINING", Registered::Pipelining),
    ("EXPIRE", Registered::Expire),
    ("UIDL", Registered::Uidl),
    ("IMPLEMENTATION", Registered::Implementation),
    ("STLS", Registered::Stls),
    ("AUTH-RESP-CODE", Registered::AuthRespCode),
    ("UTF8", Registered::Utf8),
    ("LANG", Registered::Lang),
];

/// The registered tag `tag` is, ignoring case.
pub(crate) fn registered(tag: &[u8]) -> Option<Registered> {
    REGISTERED_TAGS
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(tag))
        .map(|&(_, r)| r)
}

/// `cchar` (RFC 2449 §5): any VCHAR but `.`.
pub(crate) const fn is_tag_char(b: u8) -> bool {
    matches!(b, 0x21..=0x2d | 0x2f..=0x7e)
}

pub(crate) fn check_capa_tag(v: &[u8]) -> Result<(), ValueError> {
    check_bytes(v, 1, usize::MAX, is_tag_char)?;
    if registered(v).is_some() {
        return Err(ValueError::Malformed("unregistered capability tag"));
    }
    Ok(())
}

ascii_type!(
    case_insensitive
    /// The tag of an [`OtherCapability`]: visible ASCII but `.`, and not a
    /// registered tag.
    CapaTag,
    check_capa_tag
);

pub(crate) fn check_param(v: &[u8]) -> Result<(), ValueError> {
    check_bytes(v, 1, usize::MAX, is_token_byte)
}

bytes_type!(
    /// A parameter of an [`OtherCapability`]: one token, no SP, no control
    /// character.
    CapaParam,
    check_param
);

/// An unregistered capability: a tag and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherCapability<'a> {
    tag: CapaTag<'a>,
    params: Vec<CapaParam<'a>>,
}

impl<'a> OtherCapability<'a> {
    /// Builds `tag *(SP param)`.
    pub fn new(tag: CapaTag<'a>, params: Vec<CapaParam<'a>>) -> Self {
        Self { tag, params }
    }

    /// The tag, as sent.
    pub fn tag(&self) -> &CapaTag<'a> {
        &self.tag
    }

    /// The parameters.
    pub fn params(&self) -> &[CapaParam<'a>] {
        &self.params
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> OtherCapability<'static> {
        OtherCapability {
            tag: self.tag.into_owned(),
            params: self.params.into_iter().map(CapaParam::into_owned).collect(),
        }
    }
}

impl Capability<'_> {
    /// The tag as it goes on the wire.
    pub fn tag(&self) -> &str {
        match self {
            Self::Top => "TOP",
            Self::User => "USER",
            Self::Sasl(_) => "SASL",
            Self::RespCodes => "RESP-CODES",
            Self::LoginDelay { .. } => "LOGIN-DELAY",
            Self::Pipelining => "PIPELINING",
            Self::Expire { .. } => "EXPIRE",
            Self::Uidl => "UIDL",
            Self::Implementation(_) => "IMPLEMENTATION",
            Self::Stls => "STLS",
            Self::AuthRespCode => "AUTH-RESP-CODE",
            Self::Utf8 { .. } => "UTF8",
            Self::Lang => "LANG",
            Self::Other(o) => o.tag.as_str(),
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> Capability<'static> {
        match self {
            Self::Top => Capability::Top,
            Self::User => Capability::User,
            Self::Sasl(m) => Capability::Sasl(m.into_iter().map(Mechanism::into_owned).collect()),
            Self::RespCodes => Capability::RespCodes,
            Self::LoginDelay { seconds, per_user } => Capability::LoginDelay { seconds, per_user },
            Self::Pipelining => Capability::Pipelining,
            Self::Expire { policy, per_user } => Capability::Expire { policy, per_user },
            Self::Uidl => Capability::Uidl,
            Self::Implementation(t) => Capability::Implementation(t.into_owned()),
            Self::Stls => Capability::Stls,
            Self::AuthRespCode => Capability::AuthRespCode,
            Self::Utf8 { user } => Capability::Utf8 { user },
            Self::Lang => Capability::Lang,
            Self::Other(o) => Capability::Other(o.into_owned()),
        }
    }
}

/// The capabilities a server announced in one CAPA reply, as a set with a
/// question for each registered capability.
///
/// Built from the reply's lines in the order sent. A tag sent twice
/// counts once: the first line wins, as later ones cannot change what the
/// first announced (RFC 2449 §5 lists each capability once).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    lines: Vec<Capability<'static>>,
}

impl Capabilities {
    /// An empty set: a server that announced nothing, or refused CAPA.
    pub const fn new() -> Self {
        Self { lines: Vec::new() }
    }

    /// Adds a line of the reply; a tag already in the set is ignored.
    pub fn push(&mut self, capability: Capability<'_>) {
        if !self.has(capability.tag()) {
            self.lines.push(capability.into_owned());
        }
    }

    /// The lines, in the order sent.
    pub fn iter(&self) -> core::slice::Iter<'_, Capability<'static>> {
        self.lines.iter()
    }

    /// How many capabilities.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when nothing was announced.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether the tag was announced, ignoring case (RFC 2449 §5: matched
    /// as a whole token, SPEC R39).
    pub fn has(&self, tag: &str) -> bool {
        self.lines.iter().any(|c| c.tag().eq_ignore_ascii_case(tag))
    }

    fn find<T>(&self, pick: impl Fn(&Capability<'static>) -> Option<T>) -> Option<T> {
        self.lines.iter().find_map(pick)
    }

    /// `TOP`.
    pub fn top(&self) -> bool {
        self.has("TOP")
    }

    /// `USER`: USER and PASS are allowed now.
    pub fn user(&self) -> bool {
        self.has("USER")
    }

    /// `UIDL`.
    pub fn uidl(&self) -> bool {
        self.has("UIDL")
    }

    /// `PIPELINING` (RFC 2449 §6.6).
    pub fn pipelining(&self) -> bool {
        self.has("PIPELINING")
    }

    /// `STLS` (RFC 2595 §4): STLS is allowed now.
    pub fn stls(&self) -> bool {
        self.has("STLS")
    }

    /// `RESP-CODES`: a `[` after the status is a response code.
    pub fn resp_codes(&self) -> bool {
        self.has("RESP-CODES")
    }

    /// `AUTH-RESP-CODE` (RFC 3206 §6).
    pub fn auth_resp_code(&self) -> bool {
        self.has("AUTH-RESP-CODE")
    }

    /// `LANG` (RFC 6856 §3).
    pub fn lang(&self) -> bool {
        self.has("LANG")
    }

    /// The SASL mechanisms on offer; `None` without a `SASL` line, so that
    /// "no SASL capability" (RFC 5034 §3: send no initial response) is
    /// told from an empty list.
    pub fn sasl(&self) -> Option<&[Mechanism<'static>]> {
        self.lines.iter().find_map(|c| match c {
            Capability::Sasl(m) => Some(m.as_slice()),
            _ => None,
        })
    }

    /// `UTF8`: `Some(true)` with the `USER` argument (UTF-8 user names
    /// and passwords are accepted, RFC 6856 §2.2), `Some(false)` without.
    pub fn utf8(&self) -> Option<bool> {
        self.find(|c| match c {
            Capability::Utf8 { user } => Some(*user),
            _ => None,
        })
    }

    /// `LOGIN-DELAY`: the seconds and whether they may change after login.
    pub fn login_delay(&self) -> Option<(u32, bool)> {
        self.find(|c| match c {
            Capability::LoginDelay { seconds, per_user } => Some((*seconds, *per_user)),
            _ => None,
        })
    }

    /// `EXPIRE`: the policy and whether it may change after login.
    pub fn expire(&self) -> Option<(ExpirePolicy, bool)> {
        self.find(|c| match c {
            Capability::Expire { policy, per_user } => Some((*policy, *per_user)),
            _ => None,
        })
    }

    /// `IMPLEMENTATION`: for people, never for program logic (SPEC R43).
    pub fn implementation(&self) -> Option<&Text<'static>> {
        self.lines.iter().find_map(|c| match c {
            Capability::Implementation(t) => Some(t),
            _ => None,
        })
    }
}

impl<'a> IntoIterator for &'a Capabilities {
    type Item = &'a Capability<'static>;
    type IntoIter = core::slice::Iter<'a, Capability<'static>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> FromIterator<Capability<'a>> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability<'a>>>(iter: I) -> Self {
        let mut set = Self::new();
        for c in iter {
            set.push(c);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_answer_each_question() {
        let set: Capabilities = [
            Capability::Top,
            Capability::Sasl(alloc::vec![Mechanism::Plain]),
            Capability::Utf8 { user: true },
            Capability::LoginDelay {
                seconds: 300,
                per_user: false,
            },
            Capability::Pipelining,
            Capability::Top,
        ]
        .into_iter()
        .collect();
        assert_eq!(set.len(), 5, "a repeated tag counts once");
        assert!(set.top() && set.pipelining() && set.has("pipelining"));
        assert!(!set.user() && !set.stls() && !set.uidl());
        assert_eq!(set.sasl(), Some(&[Mechanism::Plain][..]));
        assert_eq!(set.utf8(), Some(true));
        assert_eq!(set.login_delay(), Some((300, false)));
        assert_eq!(Capabilities::new().sasl(), None, "no SASL line");
        let empty: Capabilities = [Capability::Sasl(alloc::vec![])].into_iter().collect();
        assert_eq!(empty.sasl(), Some(&[][..]), "SASL with no mechanisms");
    }
}
