//! SASLprep (RFC 4013): the stringprep (RFC 3454) profile that prepares
//! user names and passwords, so that strings a user would call the same
//! compare equal byte for byte.
//!
//! SCRAM needs it: the password goes through SASLprep, as a stored string,
//! before PBKDF2 (`Normalize`, RFC 5802 §2.2, used in §3), and the client
//! prepares the user name as a query string before it escapes `,` and `=`
//! (§5.1). PLAIN recommends it (RFC 4616 §2): the server prepares the
//! presented authentication identity and password as query strings and
//! its database copies as stored strings, and compares the results.
//!
//! [`saslprep`] takes text, [`saslprep_bytes`] takes the bytes a mechanism
//! carries and refuses invalid UTF-8. The steps, in RFC 4013 §2's order:
//!
//! 1. **Map** (§2.1): the non-ASCII space characters (RFC 3454 table
//!    C.1.2) become SPACE U+0020; the characters "commonly mapped to
//!    nothing" (table B.1, such as SOFT HYPHEN U+00AD) are removed.
//! 2. **Normalize** (§2.2) to Unicode Normalization Form KC.
//! 3. **Prohibit** (§2.3): what is left may not hold a character of tables
//!    C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8 or C.9 (controls,
//!    non-ASCII spaces, private use, non-characters, surrogates, U+FFFD and
//!    the other characters inappropriate for plain text, ideographic
//!    description characters, directional marks and overrides, tags):
//!    [`SaslprepError::Prohibited`].
//! 4. **Check bidi** (§2.4, RFC 3454 §6): a string with a right-to-left
//!    character (table D.1) may hold no left-to-right one (table D.2), and
//!    must start and end with a right-to-left character:
//!    [`SaslprepError::Bidi`].
//! 5. **Unassigned code points** (§2.5, table A.1): refused in
//!    [`Mode::Stored`], allowed in [`Mode::Query`] (RFC 3454 §7):
//!    [`SaslprepError::Unassigned`].
//!
//! ```
//! use pop3_proto::sasl::saslprep::{Mode, SaslprepError, saslprep};
//! use std::borrow::Cow;
//!
//! // RFC 4013 §3's examples.
//! assert_eq!(saslprep("I\u{00AD}X", Mode::Stored).unwrap(), "IX");
//! assert_eq!(saslprep("\u{2168}", Mode::Stored).unwrap(), "IX");
//! assert!(matches!(
//!     saslprep("\u{0007}", Mode::Stored),
//!     Err(SaslprepError::Prohibited { position: 0, .. }),
//! ));
//! assert_eq!(saslprep("\u{0627}\u{0031}", Mode::Stored), Err(SaslprepError::Bidi));
//!
//! // Printable ASCII is its own preparation: borrowed, nothing allocated.
//! assert!(matches!(saslprep("user", Mode::Query), Ok(Cow::Borrowed("user"))));
//!
//! // U+0221 was unassigned in Unicode 3.2: a query may hold it, a stored
//! // string may not.
//! assert!(saslprep("\u{0221}", Mode::Query).is_ok());
//! assert!(matches!(
//!     saslprep("\u{0221}", Mode::Stored),
//!     Err(SaslprepError::Unassigned { position: 0, .. }),
//! ));
//! ```
//!
//! # Choices the RFCs leave open
//!
//! * **U+200B ZERO WIDTH SPACE** is in both table C.1.2 (in Unicode 3.2 it
//!   was a space separator) and table B.1. It becomes SPACE: the space
//!   mapping is tried first, in the order RFC 4013 §2.1 lists the two.
//!   Implementations differ here (some remove it), so a password holding
//!   U+200B may not interoperate.
//! * **Unassigned code points are looked for in the input**, before the
//!   other steps, not in the output. Over Unicode 3.2 this is the same
//!   test: the mappings and NFKC never turn an assigned character into an
//!   unassigned one or the reverse, and they leave unassigned ones as they
//!   are. It matters for the Unicode version note below, and it decides
//!   which error a string with two faults reports: in [`Mode::Stored`],
//!   [`Unassigned`](SaslprepError::Unassigned) comes first, then the first
//!   [`Prohibited`](SaslprepError::Prohibited) character, then
//!   [`Bidi`](SaslprepError::Bidi).
//! * **An empty result is not an error here.** RFC 4013 does not call it
//!   one, but a string of only B.1 characters (or the empty string)
//!   prepares to `""`. RFC 5802 §5.1 has a SCRAM client abort on an empty
//!   prepared user name, and RFC 4616's grammar has no empty PLAIN
//!   authentication identity or password: the caller decides.
//! * **[`Cow::Borrowed`] means unchanged**: the result borrows the input
//!   exactly when the prepared string equals it. Printable ASCII
//!   (0x20..=0x7E) takes a fast path that touches no table and allocates
//!   nothing; any other input that is already prepared (say, `"café"` with
//!   a precomposed `é`) is checked without building a new string either.
//!
//! # Unicode versions
//!
//! RFC 4013 fixes Unicode 3.2. The tables here are RFC 3454's, over Unicode
//! 3.2, generated from Python's `stringprep` module and
//! `unicodedata.ucd_3_2_0` by `tests/fixtures/saslprep_tables.py`. NFKC
//! comes from the `unicode-normalization` crate, whose data is a current
//! Unicode version ([`unicode_normalization::UNICODE_VERSION`]). For the
//! code points assigned in Unicode 3.2 the two agree, as Unicode's
//! normalization stability policy promises, with one exception: Unicode
//! 4.0's Corrigendum #4 corrected the decompositions of five CJK
//! compatibility ideographs (U+2F868, U+2F874, U+2F91F, U+2F95F,
//! U+2F9BF), and these normalize to the corrected ideographs, as with any
//! current NFKC, where Unicode 3.2's data gives the original ones (U+2F868
//! becomes U+36FC, not U+2136A). Code points assigned after 3.2 are where
//! the versions can differ:
//!
//! * in [`Mode::Stored`] they are unassigned (table A.1) and refused
//!   before normalization sees them, so the result is exactly Unicode 3.2
//!   SASLprep's;
//! * in [`Mode::Query`] they go through NFKC with the newer data, which
//!   may decompose them (U+1F100 DIGIT ZERO FULL STOP, added in 5.2,
//!   becomes `"0."`) or reorder them among combining marks, where Unicode
//!   3.2 data would leave them alone. Under Unicode 3.2 rules such a query
//!   matches no stored string; here it may (U+1F100 matches a stored
//!   `"0."`).
//!
//! # Secrets
//!
//! Passwords go through here. [`SaslprepError`]'s `Display` and `Debug`
//! give the position of a refused character, never the character, which
//! stays readable in its field. A refused string is never written out: the
//! prepared string is checked as it is produced, and written, into a
//! buffer of its exact size that never has to grow, only once it has
//! passed. A success
//! returns it as an ordinary [`String`] (inside the [`Cow`]); wrap it (for
//! example in `zeroize::Zeroizing`) if it must be wiped. The normalizer's
//! own small working buffers (which reach the heap for long decompositions
//! and long runs of combining marks) are not wiped.

use alloc::borrow::Cow;
use alloc::string::String;
use core::cmp::Ordering;
use core::fmt;
use unicode_normalization::UnicodeNormalization;

#[rustfmt::skip]
#[path = "saslprep_tables.rs"]
mod tables;

/// Which kind of string is being prepared (RFC 3454 §7); the only
/// difference is whether unassigned code points (table A.1) are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// A string that is matched against stored ones and not kept: what a
    /// user types to log in. Code points unassigned in Unicode 3.2 are
    /// allowed (and can then match nothing stored). RFC 5802 §5.1 prepares
    /// the SCRAM user name this way; RFC 4616 §2 the PLAIN credentials a
    /// server receives.
    Query,
    /// A string that is kept, or from which something kept is derived: a
    /// password being set, a user name being registered, and the SCRAM
    /// password that PBKDF2 turns into the stored keys (RFC 5802 §2.2).
    /// Code points unassigned in Unicode 3.2 are refused.
    Stored,
}

/// Why a string has no SASLprep preparation.
///
/// Positions count characters (Unicode scalar values) from 0. `Display`
/// and `Debug` show the position but not the character, since the string
/// may be a password; the character is in its field for a caller that
/// knows the string is not secret.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslprepError {
    /// After mapping and normalization, the string holds a character RFC
    /// 4013 §2.3 prohibits.
    #[error("prohibited character at position {position} (RFC 4013 §2.3)")]
    Prohibited {
        /// The character.
        character: char,
        /// Its position in the mapped and normalized string (which can
        /// differ from its position in the input when an earlier character
        /// was removed or expanded).
        position: usize,
    },
    /// The mapped and normalized string breaks RFC 3454 §6: it has a
    /// right-to-left character (table D.1) and either a left-to-right one
    /// (table D.2) or does not start and end with a right-to-left one.
    #[error("the string breaks the bidirectional rules of RFC 3454 §6")]
    Bidi,
    /// In [`Mode::Stored`], the input holds a code point unassigned in
    /// Unicode 3.2 (RFC 3454 table A.1).
    #[error("code point unassigned in Unicode 3.2 at position {position} (RFC 3454 §7)")]
    Unassigned {
        /// The code point.
        character: char,
        /// Its position in the input.
        position: usize,
    },
    /// The bytes are not UTF-8 ([`saslprep_bytes`]).
    #[error("invalid UTF-8 after byte {valid_up_to}")]
    InvalidUtf8 {
        /// How many bytes from the start are valid UTF-8.
        valid_up_to: usize,
    },
}

impl fmt::Debug for SaslprepError {
    /// Like a derived `Debug`, without the character.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prohibited { position, .. } => f
                .debug_struct("Prohibited")
                .field("position", position)
                .finish_non_exhaustive(),
            Self::Bidi => f.write_str("Bidi"),
            Self::Unassigned { position, .. } => f
                .debug_struct("Unassigned")
                .field("position", position)
                .finish_non_exhaustive(),
            Self::InvalidUtf8 { valid_up_to } => f
                .debug_struct("InvalidUtf8")
                .field("valid_up_to", valid_up_to)
                .finish(),
        }
    }
}

/// Prepares `input` with SASLprep (RFC 4013) as a `mode` string.
///
/// Returns the input itself, borrowed, when preparation leaves it as it is
/// (always for printable ASCII, which takes a fast path), and a new string
/// otherwise. The result may be empty (see the [module docs](self)).
///
/// # Errors
///
/// [`SaslprepError::Unassigned`] (in [`Mode::Stored`] only),
/// [`SaslprepError::Prohibited`] or [`SaslprepError::Bidi`], in that order
/// of precedence.
pub fn saslprep(input: &str, mode: Mode) -> Result<Cow<'_, str>, SaslprepError> {
    // Printable ASCII maps to itself, is its own NFKC, holds nothing
    // prohibited, is all assigned, and has no right-to-left character.
    if crate::ascii::all_print(input.as_bytes()) {
        return Ok(Cow::Borrowed(input));
    }

    if mode == Mode::Stored {
        let unassigned = input
            .chars()
            .enumerate()
            .find(|&(_, c)| !c.is_ascii() && contains(tables::A_1, c));
        if let Some((position, character)) = unassigned {
            return Err(SaslprepError::Unassigned {
                character,
                position,
            });
        }
    }

    // First pass: check the prepared string as it is produced, measure it
    // and see whether it is the input. Nothing is kept, so a refused
    // password leaves no copy behind; the second pass writes it into a
    // buffer of the right size, which never has to grow (and leave a copy
    // in the memory it leaves).
    let mut bidi = BidiCheck::default();
    let mut len = 0;
    let mut unchanged = true;
    let mut original = input.chars();
    for (position, c) in prepared(input).enumerate() {
        if contains(tables::PROHIBITED, c) {
            return Err(SaslprepError::Prohibited {
                character: c,
                position,
            });
        }
        bidi.push(c);
        len += c.len_utf8();
        unchanged &= original.next() == Some(c);
    }
    unchanged &= original.next().is_none();
    if !bidi.passes() {
        return Err(SaslprepError::Bidi);
    }
    if unchanged {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = String::with_capacity(len);
    out.extend(prepared(input));
    debug_assert_eq!(out.len(), len);
    Ok(Cow::Owned(out))
}

/// Prepares UTF-8 `input` with SASLprep (RFC 4013) as a `mode` string: the
/// form for mechanisms, which carry bytes. Borrowed exactly when the input
/// is unchanged, as with [`saslprep`].
///
/// # Errors
///
/// [`SaslprepError::InvalidUtf8`] when `input` is not UTF-8, then those of
/// [`saslprep`].
pub fn saslprep_bytes(input: &[u8], mode: Mode) -> Result<Cow<'_, [u8]>, SaslprepError> {
    let text = core::str::from_utf8(input).map_err(|e| SaslprepError::InvalidUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    Ok(match saslprep(text, mode)? {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    })
}

/// The mapped (RFC 4013 §2.1) and normalized (§2.2) characters of `input`.
fn prepared(input: &str) -> impl Iterator<Item = char> + '_ {
    input.chars().filter_map(map).nfkc()
}

/// RFC 4013 §2.1: C.1.2 to SPACE, B.1 to nothing. U+200B is in both and
/// takes the first (see the module docs).
fn map(c: char) -> Option<char> {
    if c.is_ascii() {
        Some(c)
    } else if contains(tables::C_1_2, c) {
        Some(' ')
    } else if contains(tables::B_1, c) {
        None
    } else {
        Some(c)
    }
}

/// Whether `c` is in `table`, sorted disjoint inclusive ranges.
fn contains(table: &[(u32, u32)], c: char) -> bool {
    let c = u32::from(c);
    table
        .binary_search_by(|&(first, last)| {
            if last < c {
                Ordering::Less
            } else if first > c {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// RFC 3454 §6 rules 2 and 3 over a string seen one character at a time
/// (rule 1, table C.8, is part of the prohibited output).
#[derive(Debug, Default)]
struct BidiCheck {
    any_rand_al: bool,
    any_l: bool,
    first_rand_al: Option<bool>,
    last_rand_al: bool,
}

impl BidiCheck {
    fn push(&mut self, c: char) {
        // ASCII holds no RandALCat character; its letters are LCat.
        let rand_al = !c.is_ascii() && contains(tables::D_1, c);
        let l = if c.is_ascii() {
            c.is_ascii_alphabetic()
        } else {
            contains(tables::D_2, c)
        };
        self.any_rand_al |= rand_al;
        self.any_l |= l;
        self.first_rand_al.get_or_insert(rand_al);
        self.last_rand_al = rand_al;
    }

    fn passes(&self) -> bool {
        !self.any_rand_al || (!self.any_l && self.first_rand_al == Some(true) && self.last_rand_al)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;
    use alloc::{format, vec};

    fn all(table: &[(u32, u32)]) -> impl Iterator<Item = char> + '_ {
        table
            .iter()
            .flat_map(|&(first, last)| (first..=last).filter_map(char::from_u32))
    }

    #[test]
    fn tables_are_sorted_disjoint_ranges() {
        for table in [
            tables::A_1,
            tables::B_1,
            tables::C_1_2,
            tables::PROHIBITED,
            tables::D_1,
            tables::D_2,
        ] {
            assert!(!table.is_empty());
            for &(first, last) in table {
                assert!(first <= last && last <= 0x10_FFFF);
            }
            for pair in table.windows(2) {
                assert!(pair[0].1 + 1 < pair[1].0, "{pair:x?}");
            }
        }
    }

    #[test]
    fn ascii_shortcuts_agree_with_the_tables() {
        for b in 0..=0x7f_u8 {
            let c = char::from(b);
            assert!(!contains(tables::A_1, c));
            assert!(!contains(tables::B_1, c));
            assert!(!contains(tables::C_1_2, c));
            assert!(!contains(tables::D_1, c));
            assert_eq!(contains(tables::D_2, c), c.is_ascii_alphabetic(), "{b:#x}");
            assert_eq!(
                contains(tables::PROHIBITED, c),
                !(0x20..=0x7e).contains(&b),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn table_edges() {
        // Spot checks against RFC 3454's printed tables.
        assert!(contains(tables::A_1, '\u{0221}'));
        assert!(!contains(tables::A_1, '\u{0220}'));
        assert!(contains(tables::A_1, '\u{E0000}'));
        assert!(!contains(tables::A_1, '\u{E0001}'));
        assert!(contains(tables::A_1, '\u{EFFFD}'));
        let b_1: Vec<u32> = all(tables::B_1).map(u32::from).collect();
        let mut expected = vec![
            0xAD, 0x34F, 0x1806, 0x180B, 0x180C, 0x180D, 0x200B, 0x200C, 0x200D, 0x2060,
        ];
        expected.extend(0xFE00..=0xFE0F);
        expected.push(0xFEFF);
        assert_eq!(b_1, expected);
        let c_1_2: Vec<u32> = all(tables::C_1_2).map(u32::from).collect();
        let mut expected = vec![0xA0, 0x1680];
        expected.extend(0x2000..=0x200B);
        expected.extend([0x202F, 0x205F, 0x3000]);
        assert_eq!(c_1_2, expected);
        assert!(contains(tables::PROHIBITED, '\u{10FFFF}'));
        assert!(contains(tables::PROHIBITED, '\u{FFFD}'));
        assert!(contains(tables::PROHIBITED, '\u{FFFC}'));
        assert!(!contains(tables::PROHIBITED, '\u{FFEE}'));
        assert!(contains(tables::D_1, '\u{05BE}'));
        assert!(contains(tables::D_1, '\u{FEFC}'));
        assert!(contains(tables::D_2, '\u{10FFFD}'));
    }

    #[test]
    fn bidi_rules() {
        let check = |s: &str| {
            let mut b = BidiCheck::default();
            s.chars().for_each(|c| b.push(c));
            b.passes()
        };
        assert!(check(""));
        assert!(check("abc"));
        assert!(check("1"));
        assert!(check("\u{0627}"));
        assert!(check("\u{0627}1\u{0628}"));
        assert!(!check("\u{0627}1"));
        assert!(!check("1\u{0627}"));
        assert!(!check("\u{0627}a\u{0628}"));
    }

    #[test]
    fn debug_hides_the_character() {
        let e = SaslprepError::Prohibited {
            character: 'x',
            position: 3,
        };
        assert_eq!(format!("{e:?}"), "Prohibited { position: 3, .. }");
        assert_eq!(
            e.to_string(),
            "prohibited character at position 3 (RFC 4013 §2.3)"
        );
    }
}
