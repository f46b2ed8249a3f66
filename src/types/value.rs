//! Validated building blocks: message numbers, UIDs, text, names, tags.
//!
//! Every type here checks its value when it is built, so a value that exists
//! can be written to the wire as it is: none holds CR, LF or NUL, and
//! single-token values hold no SP. Types that make up a fixed-form command
//! are capped so that the command fits 255 octets ([`MAX_USERNAME_LEN`],
//! [`MAX_PASSWORD_LEN`], ...). `Display` and `Debug` escape what a peer
//! sent (SPEC S5).

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroU32;

/// Why a value was refused by a constructor of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value is empty and this type needs at least one byte.
    #[error("value is empty")]
    Empty,
    /// The value is longer than the type allows.
    #[error("value is longer than {max} bytes")]
    TooLong {
        /// The largest length allowed, in bytes.
        max: usize,
    },
    /// A byte that this type may not hold (CR, LF, NUL, SP in a single
    /// token, or a character outside the type's charset).
    #[error("byte 0x{byte:02x} at offset {offset} is not allowed here")]
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its offset in the value.
        offset: usize,
    },
    /// Zero was given where only positive numbers are valid.
    #[error("zero is not a valid message number")]
    Zero,
    /// The value has the right bytes but not the shape its grammar requires
    /// (for example a timestamp without `<`, `@` or `>`).
    #[error("value does not have the shape of a {0}")]
    Malformed(&'static str),
    /// The value would be read back as something else on the wire: status
    /// text without a code that begins with `[` ("a response code"), or
    /// greeting text that holds an APOP timestamp of its own ("an APOP
    /// timestamp").
    #[error("value would be read back as {0}")]
    Ambiguous(&'static str),
    /// The bytes are not well-formed UTF-8, which this type requires
    /// (user names and passwords, RFC 6856 §2, SPEC R72).
    #[error("invalid UTF-8 at offset {offset}")]
    InvalidUtf8 {
        /// The offset of the first byte that is not part of a well-formed
        /// character.
        offset: usize,
    },
}

/// Checks `value` byte by byte with `allowed`, and its length against
/// `min..=max`.
pub(crate) fn check_bytes(
    value: &[u8],
    min: usize,
    max: usize,
    allowed: impl Fn(u8) -> bool,
) -> Result<(), ValueError> {
    if value.len() < min {
        return Err(ValueError::Empty);
    }
    if value.len() > max {
        return Err(ValueError::TooLong { max });
    }
    // A branch-free pass that the compiler vectorises; the position of a
    // bad byte is only looked for once we know there is one.
    if value.iter().fold(true, |ok, &b| ok & allowed(b)) {
        return Ok(());
    }
    let offset = value.iter().position(|&b| !allowed(b)).unwrap_or_default();
    Err(ValueError::InvalidByte {
        byte: value[offset],
        offset,
    })
}

/// `VCHAR`: a visible ASCII character, %x21-7E.
pub(crate) const fn is_vchar(b: u8) -> bool {
    matches!(b, 0x21..=0x7e)
}

/// A byte that may appear in free text on a line: anything but CR, LF, NUL.
pub(crate) const fn is_text_byte(b: u8) -> bool {
    !matches!(b, b'\r' | b'\n' | 0)
}

/// A byte of a single-token argument: not SP, not an ASCII control
/// character; 8-bit bytes are allowed (UTF-8 user names, RFC 6856).
pub(crate) const fn is_token_byte(b: u8) -> bool {
    b > 0x20 && b != 0x7f
}

/// The characters besides controls that `write_escaped` escapes: Unicode
/// format characters (general category Cf: the bidi controls U+061C,
/// U+200E-U+200F, U+202A-U+202E and U+2066-U+2069, zero-width characters
/// U+200B-U+200D, U+2060-U+2064 and U+FEFF, tag characters, ...) and
/// separators (Zs, Zl, Zp) other than SP: U+00A0, U+2000-U+200A, U+2028,
/// U+2029, U+3000, ... Ranges are inclusive and sorted, from the Unicode
/// 15 character database.
///
/// These render as nothing, as blanks or as line breaks, or reorder the
/// text around them: `-ERR \u{202E}exe.txt` displays as `-ERR txt.exe`.
const INVISIBLE: &[(u32, u32)] = &[
    (0x00A0, 0x00A0),
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x1680, 0x1680),
    (0x180E, 0x180E),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x2064),
    (0x2066, 0x206F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// True for a format or separator character of [`INVISIBLE`].
fn is_invisible(c: char) -> bool {
    let c = u32::from(c);
    c >= 0xA0
        && INVISIBLE
            .binary_search_by(|&(lo, hi)| {
                if hi < c {
                    core::cmp::Ordering::Less
                } else if lo > c {
                    core::cmp::Ordering::Greater
                } else {
                    core::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

/// Writes `value` so that text from a peer can be logged or shown without
/// being interpreted (SPEC S5): control characters as `\r`, `\u{1b}`, ...;
/// Unicode format and separator characters other than SP ([`INVISIBLE`])
/// as `\u{202e}`, ...; bytes that are not UTF-8 as `\xff`; and `\` itself
/// as `\\`, so that no escape can be faked by the text.
pub(crate) fn write_escaped(f: &mut fmt::Formatter<'_>, value: &[u8]) -> fmt::Result {
    for chunk in value.utf8_chunks() {
        let valid = chunk.valid();
        let mut plain = 0;
        for (at, c) in valid.char_indices() {
            let escape = c == '\\' || c.is_control() || is_invisible(c);
            if !escape {
                continue;
            }
            f.write_str(&valid[plain..at])?;
            plain = at + c.len_utf8();
            if c.is_control() || c == '\\' {
                for e in c.escape_default() {
                    fmt::Write::write_char(f, e)?;
                }
            } else {
                for e in c.escape_unicode() {
                    fmt::Write::write_char(f, e)?;
                }
            }
        }
        f.write_str(&valid[plain..])?;
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

/// Hashes `bytes` as their ASCII lower-case form, to agree with an
/// equality that ignores case.
pub(crate) fn hash_ignore_case<H: core::hash::Hasher>(bytes: &[u8], state: &mut H) {
    for b in bytes {
        state.write_u8(b.to_ascii_lowercase());
    }
    state.write_usize(bytes.len());
}

/// Orders `a` and `b` as their ASCII lower-case forms would order, byte by
/// byte and without allocating, to agree with an equality that ignores
/// case.
pub(crate) fn cmp_ignore_case(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let fold = |v: &u8| v.to_ascii_lowercase();
    a.iter().map(fold).cmp(b.iter().map(fold))
}

/// The storage of a plain [`bytes_type!`] value: borrowed from the input,
/// or owned.
pub(crate) type PlainBuf<'a> = Cow<'a, [u8]>;

/// The storage of a secret [`bytes_type!`] value (a password, SASL data):
/// borrowed from the input, or owned in a buffer that is zeroed when it is
/// dropped.
///
/// Not a `Cow` with a `Drop` impl on the value type: a `Drop` impl on a
/// type that borrows the input would keep the input borrowed until the
/// value is dropped, which breaks the usual `match decoder.decode(&buf)
/// { ... buf.drain(..n) }` loop. The zeroing lives in the owned buffer,
/// which borrows nothing.
#[derive(Clone)]
pub(crate) enum SecretBuf<'a> {
    Borrowed(&'a [u8]),
    Owned(zeroize::Zeroizing<Vec<u8>>),
}

impl SecretBuf<'_> {
    fn into_static(self) -> SecretBuf<'static> {
        match self {
            Self::Borrowed(b) => SecretBuf::Owned(zeroize::Zeroizing::new(b.to_vec())),
            Self::Owned(v) => SecretBuf::Owned(v),
        }
    }
}

impl<'a> From<Cow<'a, [u8]>> for SecretBuf<'a> {
    fn from(value: Cow<'a, [u8]>) -> Self {
        match value {
            Cow::Borrowed(b) => Self::Borrowed(b),
            Cow::Owned(v) => Self::Owned(zeroize::Zeroizing::new(v)),
        }
    }
}

impl core::ops::Deref for SecretBuf<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Borrowed(b) => b,
            Self::Owned(v) => v,
        }
    }
}

impl PartialEq for SecretBuf<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for SecretBuf<'_> {}

impl core::hash::Hash for SecretBuf<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl PartialOrd for SecretBuf<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SecretBuf<'_> {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

/// Declares a validated newtype over bytes borrowed from the input or
/// owned: `$buf` is [`PlainBuf`], or [`SecretBuf`] for credentials, whose
/// owned buffer is zeroed on drop, and also when the constructor refuses
/// the value. A borrowed value belongs to the caller's input buffer, which
/// the crate cannot wipe.
macro_rules! bytes_type {
    ($(#[$meta:meta])* $name:ident, $check:expr) => {
        $crate::types::value::bytes_type!(@impl PlainBuf, $(#[$meta])* $name, $check);

        impl $name<'_> {
            /// Detaches the value from the buffer it was parsed from.
            pub fn into_owned(self) -> $name<'static> {
                $name(::alloc::borrow::Cow::Owned(self.0.into_owned()))
            }
        }
    };
    (secret $(#[$meta:meta])* $name:ident, $check:expr) => {
        $crate::types::value::bytes_type!(@impl SecretBuf, $(#[$meta])* $name, $check);

        impl $name<'_> {
            /// Detaches the value from the buffer it was parsed from; an
            /// owned buffer is moved, not copied.
            pub fn into_owned(self) -> $name<'static> {
                $name(self.0.into_static())
            }

            /// Wraps an owned buffer that a parser has checked.
            #[allow(dead_code)] // not every secret type is decoded into a buffer
            pub(crate) fn from_vec(value: ::alloc::vec::Vec<u8>) -> $name<'static> {
                debug_assert!(($check)(&value[..]).is_ok());
                $name(SecretBuf::Owned(::zeroize::Zeroizing::new(value)))
            }
        }
    };
    (@impl $buf:ident, $(#[$meta:meta])* $name:ident, $check:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name<'a>(pub(crate) $crate::types::value::$buf<'a>);

        impl<'a> $name<'a> {
            /// Validates `value` and wraps it.
            ///
            /// # Errors
            ///
            /// Returns a [`ValueError`]($crate::types::ValueError) when the value breaks this type's rules.
            pub fn new(value: impl Into<::alloc::borrow::Cow<'a, [u8]>>) -> Result<Self, $crate::types::ValueError> {
                // Into the storage first, so that a refused secret is wiped.
                let value = $crate::types::value::$buf::from(value.into());
                ($check)(&value[..])?;
                Ok(Self(value))
            }

            /// Wraps bytes that a parser has already checked with the same
            /// predicate as [`Self::new`].
            pub(crate) fn from_checked(value: &'a [u8]) -> Self {
                debug_assert!(($check)(value).is_ok());
                Self($crate::types::value::$buf::from(::alloc::borrow::Cow::Borrowed(value)))
            }

            /// The raw bytes, exactly as they go on the wire.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// The value as UTF-8, if it is valid UTF-8.
            pub fn to_str(&self) -> Option<&str> {
                ::core::str::from_utf8(&self.0).ok()
            }
        }

        impl<'a> TryFrom<&'a [u8]> for $name<'a> {
            type Error = $crate::types::ValueError;
            fn try_from(value: &'a [u8]) -> Result<Self, $crate::types::ValueError> {
                Self::new(value)
            }
        }

        impl<'a> TryFrom<&'a str> for $name<'a> {
            type Error = $crate::types::ValueError;
            fn try_from(value: &'a str) -> Result<Self, $crate::types::ValueError> {
                Self::new(value.as_bytes())
            }
        }

        impl TryFrom<::alloc::vec::Vec<u8>> for $name<'static> {
            type Error = $crate::types::ValueError;
            fn try_from(value: ::alloc::vec::Vec<u8>) -> Result<Self, $crate::types::ValueError> {
                Self::new(value)
            }
        }

        impl TryFrom<::alloc::string::String> for $name<'static> {
            type Error = $crate::types::ValueError;
            fn try_from(value: ::alloc::string::String) -> Result<Self, $crate::types::ValueError> {
                Self::new(value.into_bytes())
            }
        }

        impl AsRef<[u8]> for $name<'_> {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl ::core::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(concat!(stringify!($name), "(\""))?;
                $crate::types::write_escaped(f, &self.0)?;
                f.write_str("\")")
            }
        }

        /// Shows the value with control characters and invalid UTF-8 escaped.
        impl ::core::fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                $crate::types::write_escaped(f, &self.0)
            }
        }
    };
}

/// Declares a validated newtype over `Cow<'a, [u8]>` whose charset is ASCII,
/// read as `&str`.
macro_rules! ascii_type {
    // A protocol name compared without regard to ASCII case (keywords,
    // tags): equality, hashing and order all fold case, so that a set or a
    // `contains` finds `x-foo` as `X-FOO`.
    (case_insensitive $(#[$meta:meta])* $name:ident, $check:expr) => {
        $crate::types::value::ascii_type!(@common $(#[$meta])* #[derive(Clone)] $name, $check);

        impl PartialEq for $name<'_> {
            fn eq(&self, other: &Self) -> bool {
                self.0.eq_ignore_ascii_case(&other.0)
            }
        }

        impl Eq for $name<'_> {}

        impl ::core::hash::Hash for $name<'_> {
            fn hash<H: ::core::hash::Hasher>(&self, state: &mut H) {
                $crate::types::value::hash_ignore_case(&self.0, state);
            }
        }

        impl PartialOrd for $name<'_> {
            fn partial_cmp(&self, other: &Self) -> Option<::core::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name<'_> {
            fn cmp(&self, other: &Self) -> ::core::cmp::Ordering {
                $crate::types::value::cmp_ignore_case(&self.0, &other.0)
            }
        }
    };
    ($(#[$meta:meta])* $name:ident, $check:expr) => {
        $crate::types::value::ascii_type!(
            @common $(#[$meta])* #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)] $name, $check
        );
    };
    (@common $(#[$meta:meta])* $name:ident, $check:expr) => {
        $(#[$meta])*
        pub struct $name<'a>(pub(crate) ::alloc::borrow::Cow<'a, [u8]>);

        impl<'a> $name<'a> {
            /// Validates `value` and wraps it.
            ///
            /// # Errors
            ///
            /// Returns a [`ValueError`]($crate::types::ValueError) when the value breaks this type's rules.
            pub fn new(value: impl Into<::alloc::borrow::Cow<'a, str>>) -> Result<Self, $crate::types::ValueError> {
                let value = match value.into() {
                    ::alloc::borrow::Cow::Borrowed(s) => ::alloc::borrow::Cow::Borrowed(s.as_bytes()),
                    ::alloc::borrow::Cow::Owned(s) => ::alloc::borrow::Cow::Owned(s.into_bytes()),
                };
                ($check)(&value)?;
                Ok(Self(value))
            }

            /// Wraps bytes that a parser has already checked with the same
            /// (ASCII-only) predicate as [`Self::new`].
            pub(crate) fn from_checked(value: &'a [u8]) -> Self {
                debug_assert!(($check)(value).is_ok());
                Self(::alloc::borrow::Cow::Borrowed(value))
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                // The charset is ASCII, checked when the value was built, so
                // this cannot fail; the fallback keeps the function total.
                ::core::str::from_utf8(&self.0).unwrap_or_default()
            }

            /// The raw bytes, exactly as they go on the wire.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// Detaches the value from the buffer it was parsed from.
            pub fn into_owned(self) -> $name<'static> {
                $name(::alloc::borrow::Cow::Owned(self.0.into_owned()))
            }
        }

        impl<'a> TryFrom<&'a str> for $name<'a> {
            type Error = $crate::types::ValueError;
            fn try_from(value: &'a str) -> Result<Self, $crate::types::ValueError> {
                Self::new(value)
            }
        }

        impl<'a> TryFrom<&'a [u8]> for $name<'a> {
            type Error = $crate::types::ValueError;
            fn try_from(value: &'a [u8]) -> Result<Self, $crate::types::ValueError> {
                ($check)(value)?;
                Ok(Self::from_checked(value))
            }
        }

        impl TryFrom<::alloc::string::String> for $name<'static> {
            type Error = $crate::types::ValueError;
            fn try_from(value: ::alloc::string::String) -> Result<Self, $crate::types::ValueError> {
                Self::new(value)
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::core::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.as_str())
            }
        }

        impl ::core::fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Case-insensitive `PartialEq`, `Eq` and `Hash`, plus `Display` and
/// `AsRef<str>`, for a `Cow<str>` newtype with an `as_str` method.
macro_rules! case_insensitive_str {
    ($name:ident) => {
        impl PartialEq for $name<'_> {
            fn eq(&self, other: &Self) -> bool {
                self.as_str().eq_ignore_ascii_case(other.as_str())
            }
        }

        impl Eq for $name<'_> {}

        impl ::core::hash::Hash for $name<'_> {
            fn hash<H: ::core::hash::Hasher>(&self, state: &mut H) {
                $crate::types::value::hash_ignore_case(self.as_str().as_bytes(), state);
            }
        }

        impl ::core::fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

pub(crate) use {ascii_type, bytes_type, case_insensitive_str};

/// A message number: positive, at most `u32::MAX`.
///
/// Messages are numbered from 1 when the maildrop is opened (RFC 1939 §4,
/// SPEC R25); 0 is never a valid message number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgNumber(NonZeroU32);

impl MsgNumber {
    /// The first message of a maildrop.
    pub const ONE: Self = Self(NonZeroU32::MIN);

    /// Makes a message number; `None` for 0.
    pub const fn new(n: u32) -> Option<Self> {
        match NonZeroU32::new(n) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The number as an integer (never 0).
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl TryFrom<u32> for MsgNumber {
    type Error = ValueError;
    fn try_from(n: u32) -> Result<Self, ValueError> {
        Self::new(n).ok_or(ValueError::Zero)
    }
}

impl From<MsgNumber> for u32 {
    fn from(n: MsgNumber) -> u32 {
        n.get()
    }
}

impl fmt::Display for MsgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Largest length of a [`Uid`] (RFC 1939 §7).
pub const MAX_UID_LEN: usize = 70;

pub(crate) fn check_uid(v: &[u8]) -> Result<(), ValueError> {
    if (1..=MAX_UID_LEN).contains(&v.len()) && crate::ascii::all_vchar(v) {
        return Ok(());
    }
    check_bytes(v, 1, MAX_UID_LEN, is_vchar)
}

ascii_type!(
    /// A unique-id: 1 to 70 characters in the range 0x21 to 0x7E
    /// (RFC 1939 §7, SPEC R29, S7).
    ///
    /// A UID is opaque. It may hold `/`, `..` or any other visible character,
    /// so encode it before using it in a file name.
    Uid,
    check_uid
);

pub(crate) fn check_text(v: &[u8]) -> Result<(), ValueError> {
    if crate::ascii::all_text(v) {
        return Ok(());
    }
    check_bytes(v, 0, usize::MAX, is_text_byte)
}

bytes_type!(
    /// Free text on a status line or in a listing: any bytes but CR, LF and
    /// NUL; may be empty and may hold spaces.
    ///
    /// Text comes from the peer and may hold escape sequences or invalid
    /// UTF-8; `Display` and `Debug` escape them (SPEC S5).
    Text,
    check_text
);

impl Text<'_> {
    /// The empty text.
    pub const EMPTY: Text<'static> = Text(Cow::Borrowed(b""));

    /// True when the text has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for Text<'_> {
    fn default() -> Self {
        Text::EMPTY
    }
}

/// Largest length of a [`Username`], in bytes: the longest that fits the
/// longest command it appears in, `APOP name <32 hex>` CRLF, within the
/// 255 octets a server must accept (RFC 2449 §4, SPEC R04):
/// 255 - `"APOP "` (5) - SP (1) - digest (32) - CRLF (2) = 215.
pub const MAX_USERNAME_LEN: usize = 255 - 5 - 1 - 32 - 2;

/// Largest length of a [`Password`], in bytes: `PASS string` CRLF within
/// 255 octets (RFC 2449 §4, SPEC R04): 255 - `"PASS "` (5) - CRLF (2) = 248.
pub const MAX_PASSWORD_LEN: usize = 255 - 5 - 2;

/// A credential: `min..=max` bytes, each ASCII one passing `ascii`, any
/// others making well-formed UTF-8 (RFC 6856 §2, SPEC R72).
fn check_credential(
    v: &[u8],
    min: usize,
    max: usize,
    ascii: impl Fn(u8) -> bool,
) -> Result<(), ValueError> {
    check_bytes(v, min, max, |b| b >= 0x80 || ascii(b))?;
    if !v.is_ascii() {
        core::str::from_utf8(v).map_err(|e| ValueError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?;
    }
    Ok(())
}

/// A byte of a password that is ASCII: SP or `VCHAR`.
pub(crate) const fn is_print(b: u8) -> bool {
    matches!(b, 0x20..=0x7e)
}

pub(crate) fn check_username(v: &[u8]) -> Result<(), ValueError> {
    check_credential(v, 1, MAX_USERNAME_LEN, is_vchar)
}

bytes_type!(
    /// A user (mailbox) name for USER and APOP: 1 to 215 bytes
    /// ([`MAX_USERNAME_LEN`], so that the APOP line fits 255 octets) of
    /// visible ASCII, or well-formed UTF-8: no SP, no control character,
    /// no invalid UTF-8 (SPEC R72, Dovecot CVE-2019-10691).
    ///
    /// UTF-8 is allowed because RFC 6856 §2 lets a client send UTF-8 user
    /// names when the server advertises `UTF8 USER`. A
    /// [`CommandDecoder`](crate::codec::CommandDecoder) accepts them only
    /// with [`CommandOptions::utf8_credentials`](crate::codec::CommandOptions::utf8_credentials).
    Username,
    check_username
);

impl Username<'_> {
    /// The name as a string slice (it is always UTF-8).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

pub(crate) fn check_password(v: &[u8]) -> Result<(), ValueError> {
    check_credential(v, 0, MAX_PASSWORD_LEN, is_print)
}

bytes_type!(
    secret
    /// The argument of PASS: 0 to 248 bytes ([`MAX_PASSWORD_LEN`], so that
    /// the PASS line fits 255 octets) of printable ASCII, spaces included
    /// (RFC 1939 §7, SPEC R32), or well-formed UTF-8; no control character
    /// and no invalid UTF-8 (SPEC R72). As for [`Username`], a decoder
    /// accepts UTF-8 only with
    /// [`CommandOptions::utf8_credentials`](crate::codec::CommandOptions::utf8_credentials).
    ///
    /// Commands hold it inside a [`Secret`], so it never shows in `Debug`.
    Password,
    check_password
);

impl Password<'_> {
    /// The password as a string slice (it is always UTF-8).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

bytes_type!(
    secret
    /// Decoded SASL data: an initial response, a challenge or a response,
    /// already base64-decoded. Any bytes are allowed; the codec base64-encodes
    /// them on the wire, so none can break a line.
    SaslData,
    |_v: &[u8]| Ok::<(), ValueError>(())
);

impl SaslData<'_> {
    /// True when the data is empty (`=` as an initial response, or an empty
    /// challenge `+ `).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Largest length of an APOP [`Timestamp`], `<` and `>` included.
pub const MAX_TIMESTAMP_LEN: usize = 255;

/// `atext` (RFC 5322 §3.2.3): letters, digits and ``!#$%&'*+-/=?^_`{|}~``;
/// so base64 (`+`, `/`, `=`) is atext, and none of the specials
/// `()<>[]:;@\,."` or SP is.
const fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

/// `dtext` (RFC 5322 §3.4.1) without `@`: visible ASCII but `[`, `]`,
/// `\`, and `@`, so that a timestamp holds exactly one `@`.
const fn is_dtext(b: u8) -> bool {
    matches!(b, 0x21..=0x3f | 0x41..=0x5a | 0x5e..=0x7e)
}

/// `dot-atom-text = 1*atext *("." 1*atext)`, found at `offset` of the
/// whole timestamp (for error offsets).
fn check_dot_atom(v: &[u8], offset: usize) -> Result<(), ValueError> {
    if let Some(i) = v.iter().position(|&b| !is_atext(b) && b != b'.') {
        return Err(ValueError::InvalidByte {
            byte: v[i],
            offset: offset + i,
        });
    }
    if v.split(|&b| b == b'.').any(<[u8]>::is_empty) {
        // Empty, or a dot at either end or next to another.
        return Err(ValueError::Malformed("timestamp"));
    }
    Ok(())
}

/// An RFC 822 msg-id in angle brackets, as RFC 1939 §7 requires of the
/// APOP timestamp, in its RFC 5322 §3.6.4 form without folding or obsolete
/// syntax:
///
/// ```text
/// timestamp = "<" id-left "@" id-right ">"     ; at most 255 octets
/// id-left   = dot-atom-text
/// id-right  = dot-atom-text / "[" *dtext "]"   ; dtext without "@"
/// ```
///
/// So exactly one `@`, no quoted strings, comments or other specials
/// (`<a@b@c>` and `<a(b)"c@d>` are refused, SPEC R21).
pub(crate) fn check_timestamp(v: &[u8]) -> Result<(), ValueError> {
    check_bytes(v, 3, MAX_TIMESTAMP_LEN, is_vchar)?;
    if v[0] != b'<' || v[v.len() - 1] != b'>' {
        return Err(ValueError::Malformed("timestamp"));
    }
    let inner = &v[1..v.len() - 1];
    let Some(at) = inner.iter().position(|&b| b == b'@') else {
        return Err(ValueError::Malformed("timestamp"));
    };
    check_dot_atom(&inner[..at], 1)?;
    let right = &inner[at + 1..];
    let right_at = at + 2;
    match right {
        [b'[', literal @ .., b']'] => match literal.iter().position(|&b| !is_dtext(b)) {
            Some(i) => Err(ValueError::InvalidByte {
                byte: literal[i],
                offset: right_at + 1 + i,
            }),
            None => Ok(()),
        },
        _ => check_dot_atom(right, right_at),
    }
}

ascii_type!(
    /// The APOP timestamp of a greeting: a msg-id in angle brackets
    /// (`<1896.697170952@dbc.mtview.ca.us>`), at most 255 characters
    /// (RFC 1939 §7, SPEC R17, R21): dot-atoms on each side of exactly one
    /// `@`, or a domain literal (`[192.0.2.1]`) on the right. Base64 in the
    /// left part, as in Dovecot's `<%x.%x.%lx.B64RAND@host>`, is fine.
    ///
    /// A client refuses APOP when the greeting has no timestamp of this
    /// shape (CVE-2007-1558).
    Timestamp,
    check_timestamp
);

/// Largest length of a SASL mechanism name (RFC 4422 §3.1).
pub const MAX_MECHANISM_LEN: usize = 20;

/// A SASL mechanism name character (RFC 4422): upper-case letters, digits,
/// `-` and `_`; lower case is accepted because real servers send it.
pub(crate) const fn is_mech_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

pub(crate) fn check_mechanism(v: &[u8]) -> Result<(), ValueError> {
    check_bytes(v, 1, MAX_MECHANISM_LEN, is_mech_char)
}

/// Largest length of a [`LangTag`].
pub const MAX_LANG_TAG_LEN: usize = 64;

pub(crate) fn check_lang_tag(v: &[u8]) -> Result<(), ValueError> {
    check_bytes(v, 1, MAX_LANG_TAG_LEN, |b| {
        b.is_ascii_alphanumeric() || b == b'-'
    })?;
    // RFC 5646: subtags of 1 to 8 alphanumerics joined by "-", the first of
    // letters only ("en", "i-default", "sgn-BE-FR").
    let mut subtags = v.split(|&b| b == b'-');
    let first_is_alpha = subtags
        .next()
        .is_some_and(|s| s.iter().all(u8::is_ascii_alphabetic));
    if !first_is_alpha || v.split(|&b| b == b'-').any(|s| s.is_empty() || s.len() > 8) {
        return Err(ValueError::Malformed("language tag"));
    }
    Ok(())
}

ascii_type!(
    case_insensitive
    /// A language tag (RFC 5646 shape: subtags of 1 to 8 letters or digits
    /// joined by `-`), as used by LANG (RFC 6856 §3).
    LangTag,
    check_lang_tag
);

/// The argument of `LANG`: a language tag, or `*` for the server's default
/// (RFC 6856 §3, SPEC R73).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LangRange<'a> {
    /// `*`: the server's default language.
    Default,
    /// A specific language.
    Tag(LangTag<'a>),
}

impl LangRange<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_owned(self) -> LangRange<'static> {
        match self {
            Self::Default => LangRange::Default,
            Self::Tag(t) => LangRange::Tag(t.into_owned()),
        }
    }
}

/// A value that must not show in logs: passwords, SASL responses, digests.
///
/// `Debug` prints `Secret([redacted])`; call
/// [`expose_secret`](Secret::expose_secret) to read the value on purpose.
///
/// Two secrets are compared in constant time over their bytes (for any `T`
/// that is `AsRef<[u8]>`), so that the comparison does not tell where they
/// differ; only a difference in length shows. The crate's secret values
/// ([`Password`], [`SaslData`], [`ApopDigest`](crate::types::ApopDigest))
/// zero the buffers they own when dropped.
#[derive(Clone)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret value.
    pub const fn expose_secret(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Constant-time equality of the bytes (`subtle`).
impl<T: AsRef<[u8]>> PartialEq for Secret<T> {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(self.0.as_ref(), other.0.as_ref()).into()
    }
}

impl<T: AsRef<[u8]>> Eq for Secret<T> {}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn uid_rules_s7() {
        assert!(Uid::try_from("whqtswO00WBw418f9t5JxYwZ").is_ok());
        assert!(
            Uid::try_from("../../x").is_ok(),
            "opaque: slashes are legal"
        );
        assert_eq!(Uid::try_from(""), Err(ValueError::Empty));
        let long = "a".repeat(71);
        assert_eq!(
            Uid::try_from(long.as_str()),
            Err(ValueError::TooLong { max: 70 })
        );
        assert!(Uid::try_from("a".repeat(70).as_str()).is_ok());
        assert_eq!(
            Uid::try_from("a b"),
            Err(ValueError::InvalidByte {
                byte: b' ',
                offset: 1
            })
        );
        assert!(Uid::try_from(&b"caf\xc3\xa9"[..]).is_err());
    }

    #[test]
    fn credentials_are_capped_to_fit_their_lines_r04() {
        let name = "a".repeat(MAX_USERNAME_LEN);
        assert!(Username::try_from(name.as_str()).is_ok());
        assert_eq!(
            Username::try_from(format!("{name}a")),
            Err(ValueError::TooLong { max: 215 })
        );
        let pass = "p".repeat(MAX_PASSWORD_LEN);
        assert!(Password::try_from(pass.as_str()).is_ok());
        assert_eq!(
            Password::try_from(format!("{pass}p")),
            Err(ValueError::TooLong { max: 248 })
        );
        // The cap counts bytes, not characters.
        let wide = "\u{fc}".repeat(108);
        assert_eq!(
            Username::try_from(wide.as_str()),
            Err(ValueError::TooLong { max: 215 })
        );
    }

    #[test]
    fn credentials_are_ascii_or_utf8_r72() {
        assert_eq!(
            Username::try_from("j\u{fc}rgen").unwrap().as_str(),
            "j\u{fc}rgen"
        );
        assert!(Password::try_from("p\u{e4}ss w\u{f6}rd").is_ok());
        for (bad, offset) in [(&b"caf\xe9"[..], 3), (b"\xff\xfe", 0), (b"j\xc3", 1)] {
            assert_eq!(Username::new(bad), Err(ValueError::InvalidUtf8 { offset }));
            assert_eq!(Password::new(bad), Err(ValueError::InvalidUtf8 { offset }));
        }
        for bad in [&b"a\tb"[..], b"a\x7fb", b"\x1b[31m"] {
            assert!(Username::new(bad).is_err());
            assert!(Password::new(bad).is_err());
        }
    }

    #[test]
    fn no_value_holds_cr_lf_nul_s10() {
        for bad in [&b"a\rb"[..], b"a\nb", b"a\0b"] {
            assert!(Text::new(bad).is_err());
            assert!(Password::new(bad).is_err());
            assert!(Username::new(bad).is_err());
            assert!(Uid::try_from(bad).is_err());
        }
        assert!(Username::try_from("a b").is_err());
        assert!(Password::try_from("a b c").is_ok(), "R32: PASS may hold SP");
    }

    #[test]
    fn timestamp_shape_r21() {
        for ok in [
            // RFC 1939 §7.
            "<1896.697170952@dbc.mtview.ca.us>",
            // Dovecot's <%x.%x.%lx.B64RAND@host>: base64 brings + / =.
            "<3a6b.1.5f5e1b2c.Zm9vYmFy+/=@mail.example.org>",
            "<1a2b.3c.4d5e6f.QUJDRA==@mail.example>",
            // A domain literal on the right, and every atext special.
            "<1.2@[192.0.2.1]>",
            "<!#$%&'*+-/=?^_`{|}~@x>",
            "<a@b>",
        ] {
            assert!(Timestamp::try_from(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1896@x",
            "<1896.697170952>",
            "<@x>",
            "<a@>",
            "<a<b@c>",
            "<a b@c>",
            // SPEC R21: one @, no specials, no quoted strings or comments.
            "<a@b@c>",
            "<a(b)\"c@d>",
            "<\"a\"@b>",
            "<a(x)@b>",
            "<a\\b@c>",
            "<a,b@c>",
            "<a;b@c>",
            "<a@b:c>",
            "<a@b,c>",
            "<a@[b@c]>",
            "<a@[b]c>",
            "<a@[b\\c]>",
            "<a@[b>",
            "<[b]@c>",
            // Dots only between atoms.
            "<.a@b>",
            "<a.@b>",
            "<a..b@c>",
            "<a@.b>",
            "<a@b.>",
            "<a@b..c>",
            "<\u{e9}@x>",
        ] {
            assert!(Timestamp::try_from(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Timestamp::try_from("<a@b@c>"),
            Err(ValueError::InvalidByte {
                byte: b'@',
                offset: 4
            })
        );
        let long = format!("<{}@x>", "a".repeat(300));
        assert!(Timestamp::try_from(long.as_str()).is_err());
        let max = format!("<{}@x>", "a".repeat(MAX_TIMESTAMP_LEN - 4));
        assert!(Timestamp::try_from(max.as_str()).is_ok());
    }

    #[test]
    fn secret_debug_redacts() {
        let s = Secret::new(Password::try_from("tanstaaf").unwrap());
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
    }

    #[test]
    fn secrets_compare_by_bytes() {
        let p = |s: &'static str| Secret::new(Password::try_from(s).unwrap());
        assert_eq!(p("tanstaaf"), p("tanstaaf"));
        assert_ne!(p("tanstaaf"), p("tanstaaF"));
        assert_ne!(p("tanstaaf"), p("tanstaa"));
        assert_eq!(p(""), p(""));
        let owned = Secret::new(Password::new(b"tanstaaf".to_vec()).unwrap());
        assert_eq!(owned, p("tanstaaf"), "borrowed and owned alike");
    }

    #[test]
    fn owned_secret_buffers_are_wiped_on_drop() {
        // The owned buffer is a `Zeroizing<Vec<u8>>`; what `Zeroizing` does
        // on drop is what this does by hand.
        let mut p = Password::new(b"tanstaaf".to_vec()).unwrap();
        let SecretBuf::Owned(buf) = &mut p.0 else {
            panic!("an owned password is not held in a zeroizing buffer")
        };
        zeroize::Zeroize::zeroize(&mut **buf);
        assert_eq!(p.as_bytes(), b"", "zeroed and cleared");
        let d = SaslData::new(alloc::vec![1u8, 2, 3]).unwrap();
        assert!(matches!(d.0, SecretBuf::Owned(_)));
        // A borrowed value is the caller's buffer, kept as a borrow.
        let input = *b"tanstaaf";
        let b = Password::new(&input[..]).unwrap();
        assert!(matches!(b.0, SecretBuf::Borrowed(_)));
        // into_owned moves an owned buffer instead of copying it.
        let o = Password::new(b"x".to_vec()).unwrap();
        let ptr = o.as_bytes().as_ptr();
        assert_eq!(o.into_owned().as_bytes().as_ptr(), ptr);
    }

    #[test]
    fn text_display_escapes_s5() {
        let t = Text::new(&b"\x1b[31mred\xff"[..]).unwrap();
        assert_eq!(format!("{t}"), "\\u{1b}[31mred\\xff");
        // Format and separator characters: bidi overrides and isolates,
        // zero-width characters, line and paragraph separators.
        for (text, shown) in [
            ("\u{202e}txt.exe", "\\u{202e}txt.exe"),
            ("a\u{2028}b\u{2029}c", "a\\u{2028}b\\u{2029}c"),
            (
                "\u{200b}\u{200c}\u{200d}\u{200e}\u{200f}",
                "\\u{200b}\\u{200c}\\u{200d}\\u{200e}\\u{200f}",
            ),
            (
                "\u{61c}\u{202a}\u{202b}\u{202c}\u{202d}",
                "\\u{61c}\\u{202a}\\u{202b}\\u{202c}\\u{202d}",
            ),
            (
                "\u{2066}\u{2067}\u{2068}\u{2069}\u{feff}",
                "\\u{2066}\\u{2067}\\u{2068}\\u{2069}\\u{feff}",
            ),
            ("tag\u{e0041}\u{a0}nbsp", "tag\\u{e0041}\\u{a0}nbsp"),
            // Visible text, SP and non-Latin letters are left alone.
            (
                "J\u{fc}rgen \u{65e5}\u{672c} \u{645}\u{631}\u{62d}\u{628}\u{627}",
                "J\u{fc}rgen \u{65e5}\u{672c} \u{645}\u{631}\u{62d}\u{628}\u{627}",
            ),
            // A backslash in the text cannot pose as an escape.
            ("\\x1b", "\\\\x1b"),
        ] {
            assert_eq!(
                format!("{}", Text::try_from(text).unwrap()),
                shown,
                "{text:?}"
            );
        }
        // Debug escapes the same way.
        let t = Text::try_from("\u{202e}x").unwrap();
        assert_eq!(format!("{t:?}"), "Text(\"\\u{202e}x\")");
    }

    #[test]
    fn invisible_table_is_sorted_and_agrees_with_its_ranges() {
        assert!(INVISIBLE.windows(2).all(|w| w[0].1 < w[1].0));
        assert!(INVISIBLE.iter().all(|&(lo, hi)| lo <= hi));
        for &(lo, hi) in INVISIBLE {
            for c in [lo, hi, (lo + hi) / 2] {
                assert!(is_invisible(char::from_u32(c).unwrap()), "{c:x}");
            }
            for c in [lo - 1, hi + 1] {
                let inside = INVISIBLE.iter().any(|&(l, h)| (l..=h).contains(&c));
                assert_eq!(is_invisible(char::from_u32(c).unwrap()), inside, "{c:x}");
            }
        }
        assert!(!is_invisible(' ') && !is_invisible('a') && !is_invisible('\u{e9}'));
    }

    #[test]
    fn lang_tags() {
        for ok in ["en", "en-boont", "i-default", "sv"] {
            assert!(LangTag::try_from(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-en",
            "en-",
            "toolongsubtag",
            "e n",
            "*",
            "12-34",
            "1en",
        ] {
            assert!(LangTag::try_from(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn case_insensitive_order_agrees_with_folded_bytes_r02() {
        let tags = ["en", "EN", "en-GB", "En-gb", "de", "i-default", "e", "ZH"];
        for a in tags {
            for b in tags {
                let (ta, tb) = (LangTag::try_from(a).unwrap(), LangTag::try_from(b).unwrap());
                let folded = a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase());
                assert_eq!(ta.cmp(&tb), folded, "{a} {b}");
                assert_eq!(ta == tb, folded.is_eq(), "{a} {b}");
            }
        }
    }

    #[test]
    fn msg_number_is_positive() {
        assert_eq!(MsgNumber::new(0), None);
        assert_eq!(MsgNumber::try_from(0), Err(ValueError::Zero));
        assert_eq!(MsgNumber::new(7).map(MsgNumber::get), Some(7));
    }
}
