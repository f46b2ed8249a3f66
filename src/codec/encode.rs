//! Types to bytes: `encode`, and the length-checked `try_encode` (see
//! [`LineTooLong`]).

use super::base64;
use crate::types::{
    Capability, Command, Entry, ExpirePolicy, Greeting, LangListing, LangRange, RespCode, Response,
    SaslData, SaslResponse, ScanListing, Status, UidListing,
};
use alloc::vec::Vec;
use bytes::BufMut;

const CRLF: &[u8] = b"\r\n";

/// A line that would be longer than the limit it is to be sent under,
/// from `try_encode` on [`Command`], [`Response`] and the other line types.
/// Nothing was written.
///
/// Every value is valid by construction, so `encode` cannot fail, and its
/// output decodes back to an equal value under limits that admit the line.
///
/// Length is the one thing a single value cannot guarantee for every line,
/// because a line's length is the sum of its parts. Values that make up a
/// fixed-form command are capped so that the command fits the 255 octets a
/// server must accept (RFC 2449 §4, SPEC R04): a [`Username`] for the APOP
/// line, a [`Password`] for the PASS line, a [`Keyword`], [`LangTag`],
/// [`Mechanism`] or [`MsgNumber`] anywhere. For lines whose length depends
/// on their parts (AUTH with an initial response, an unknown command, a
/// status line with a code and text, a greeting with a timestamp, a
/// capability line, a listing entry, a SASL line), every line type has
/// `encoded_len()`, and `try_encode(limit, out)`, which writes nothing and
/// returns [`LineTooLong`] instead of an over-long line. Encode through
/// `try_encode` with the limit the line is sent under:
///
/// * [`DEFAULT_COMMAND_LINE`] (255) for a [`Command`]. An AUTH line whose
///   initial response would pass it is sent as `AUTH mechanism` alone, and
///   the response after the server's empty challenge (RFC 5034 §4, SPEC
///   R53).
/// * [`DEFAULT_RESPONSE_LINE`] (512) for a status line, a greeting, a
///   capability or another listing line (RFC 1939 §3, RFC 2449 §4, SPEC
///   R05).
/// * [`DEFAULT_SASL_LINE`] (64 KiB) for a SASL challenge
///   ([`Response::Challenge`]) or a [`SaslResponse`], which have no limit
///   of their own and carry multi-kilobyte OAuth tokens (SPEC R54).
///
/// ```
/// use pop3_proto::codec::{DEFAULT_COMMAND_LINE, DEFAULT_SASL_LINE, LineTooLong};
/// use pop3_proto::types::{Command, Mechanism, SaslData, SaslResponse, Secret};
///
/// // A 300-byte token: 'AUTH XOAUTH2 ' and 400 base64 characters.
/// let token = SaslData::new(vec![b'x'; 300]).unwrap();
/// let with_ir = Command::Auth {
///     mechanism: Mechanism::XOAuth2,
///     initial_response: Some(Secret::new(token.clone())),
/// };
/// let mut out = Vec::new();
/// let e = with_ir.try_encode(DEFAULT_COMMAND_LINE, &mut out).unwrap_err();
/// assert_eq!((e.len, e.limit), (415, 255));
/// assert!(out.is_empty());
///
/// // So the client sends AUTH alone, and the token after the server's `+ `.
/// let alone = Command::Auth { mechanism: Mechanism::XOAuth2, initial_response: None };
/// alone.try_encode(DEFAULT_COMMAND_LINE, &mut out)?;
/// assert_eq!(out, b"AUTH XOAUTH2\r\n");
/// out.clear();
/// SaslResponse::Data(Secret::new(token)).try_encode(DEFAULT_SASL_LINE, &mut out)?;
/// assert_eq!(out.len(), 402);
/// # Ok::<(), LineTooLong>(())
/// ```
///
/// [`Username`]: crate::types::Username
/// [`Password`]: crate::types::Password
/// [`Keyword`]: crate::types::Keyword
/// [`LangTag`]: crate::types::LangTag
/// [`Mechanism`]: crate::types::Mechanism
/// [`MsgNumber`]: crate::types::MsgNumber
/// [`DEFAULT_COMMAND_LINE`]: super::DEFAULT_COMMAND_LINE
/// [`DEFAULT_RESPONSE_LINE`]: super::DEFAULT_RESPONSE_LINE
/// [`DEFAULT_SASL_LINE`]: super::DEFAULT_SASL_LINE
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("line of {len} octets is longer than the limit of {limit}")]
#[non_exhaustive]
pub struct LineTooLong {
    /// The length the line would have, CRLF included.
    pub len: usize,
    /// The limit it was to be sent under, CRLF included.
    pub limit: usize,
}

/// How many digits `put_decimal` writes for `n`.
pub(crate) const fn decimal_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// The length of the padded base64 encoding of `n` bytes.
const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Adds `encoded_len`, `try_encode` and `to_vec` to a line type with an
/// `encode` method and a `line_len` method (the length without CRLF).
macro_rules! line_length {
    ($($type:ident $what:literal,)*) => {$(
        impl $type<'_> {
            #[doc = concat!("The length of the ", $what, " `encode` writes, CRLF included, computed without encoding.")]
            pub fn encoded_len(&self) -> usize {
                self.line_len() + CRLF.len()
            }

            #[doc = concat!("Appends the ", $what, " if it fits `limit` octets, CRLF included; otherwise writes nothing.")]
            ///
            /// # Errors
            ///
            /// [`LineTooLong`] with the line's length and the limit.
            pub fn try_encode(&self, limit: usize, out: &mut impl BufMut) -> Result<(), LineTooLong> {
                let len = self.encoded_len();
                if len > limit {
                    return Err(LineTooLong { len, limit });
                }
                self.encode(out);
                Ok(())
            }

            #[doc = concat!("The ", $what, " as bytes, CRLF included.")]
            pub fn to_vec(&self) -> Vec<u8> {
                let mut out = Vec::with_capacity(self.encoded_len());
                self.encode(&mut out);
                out
            }
        }
    )*};
}

/// Appends the decimal digits of `n`.
pub(crate) fn put_decimal(out: &mut impl BufMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[start..]);
}

fn put_sp_decimal(out: &mut impl BufMut, n: impl Into<u64>) {
    out.put_u8(b' ');
    put_decimal(out, n.into());
}

fn put_sasl(out: &mut impl BufMut, data: &SaslData<'_>) {
    base64::encode(data.as_bytes(), out);
}

impl Command<'_> {
    /// Appends the command line, CRLF included.
    pub fn encode(&self, out: &mut impl BufMut) {
        let keyword = self.kind().keyword();
        match self {
            Self::Other(other) => {
                out.put_slice(other.keyword().as_bytes());
                if let Some(args) = other.arguments() {
                    out.put_u8(b' ');
                    out.put_slice(args.as_bytes());
                }
            }
            _ => out.put_slice(keyword.unwrap_or_default().as_bytes()),
        }
        match self {
            Self::User(name) => {
                out.put_u8(b' ');
                out.put_slice(name.as_bytes());
            }
            Self::Pass(password) => {
                out.put_u8(b' ');
                out.put_slice(password.expose_secret().as_bytes());
            }
            Self::Apop { name, digest } => {
                out.put_u8(b' ');
                out.put_slice(name.as_bytes());
                out.put_u8(b' ');
                out.put_slice(digest.expose_secret().as_bytes());
            }
            Self::Auth {
                mechanism,
                initial_response,
            } => {
                out.put_u8(b' ');
                out.put_slice(mechanism.as_str().as_bytes());
                if let Some(ir) = initial_response {
                    out.put_u8(b' ');
                    if ir.expose_secret().is_empty() {
                        out.put_u8(b'=');
                    } else {
                        put_sasl(out, ir.expose_secret());
                    }
                }
            }
            Self::Lang(Some(range)) => {
                out.put_u8(b' ');
                match range {
                    LangRange::Default => out.put_u8(b'*'),
                    LangRange::Tag(tag) => out.put_slice(tag.as_bytes()),
                }
            }
            Self::List(Some(msg)) | Self::Uidl(Some(msg)) | Self::Retr(msg) | Self::Dele(msg) => {
                put_sp_decimal(out, msg.get());
            }
            Self::Top { msg, lines } => {
                put_sp_decimal(out, msg.get());
                put_sp_decimal(out, *lines);
            }
            _ => {}
        }
        out.put_slice(CRLF);
    }
}

impl SaslResponse<'_> {
    /// Appends the response line (base64, or `*`), CRLF included.
    pub fn encode(&self, out: &mut impl BufMut) {
        match self {
            Self::Data(data) => put_sasl(out, data.expose_secret()),
            Self::Cancel => out.put_u8(b'*'),
        }
        out.put_slice(CRLF);
    }
}

impl Status<'_> {
    /// Appends the status line, CRLF included.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_slice(self.kind().as_str().as_bytes());
        if let Some(code) = self.code() {
            out.put_slice(b" [");
            out.put_slice(code.as_str().as_bytes());
            out.put_u8(b']');
        }
        if !self.text().is_empty() {
            out.put_u8(b' ');
            out.put_slice(self.text().as_bytes());
        }
        out.put_slice(CRLF);
    }
}

impl Greeting<'_> {
    /// Appends the greeting line, CRLF included.
    pub fn encode(&self, out: &mut impl BufMut) {
        self.status().encode(out);
    }
}

impl RespCode<'_> {
    /// Appends the code in brackets.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_u8(b'[');
        out.put_slice(self.as_str().as_bytes());
        out.put_u8(b']');
    }
}

fn put_scan(out: &mut impl BufMut, s: &ScanListing) {
    put_decimal(out, s.msg.get().into());
    put_sp_decimal(out, s.size);
}

fn put_uid(out: &mut impl BufMut, u: &UidListing<'_>) {
    put_decimal(out, u.msg.get().into());
    out.put_u8(b' ');
    out.put_slice(u.uid.as_bytes());
}

fn put_lang(out: &mut impl BufMut, l: &LangListing<'_>) {
    out.put_slice(l.tag.as_bytes());
    if !l.description.is_empty() {
        out.put_u8(b' ');
        out.put_slice(l.description.as_bytes());
    }
}

fn put_user_flag(out: &mut impl BufMut, user: bool) {
    if user {
        out.put_slice(b" USER");
    }
}

impl Capability<'_> {
    /// Appends the capability line, CRLF included.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_slice(self.tag().as_bytes());
        match self {
            Self::Sasl(mechanisms) => {
                for m in mechanisms {
                    out.put_u8(b' ');
                    out.put_slice(m.as_str().as_bytes());
                }
            }
            Self::LoginDelay { seconds, per_user } => {
                put_sp_decimal(out, *seconds);
                put_user_flag(out, *per_user);
            }
            Self::Expire { policy, per_user } => {
                match policy {
                    ExpirePolicy::Never => out.put_slice(b" NEVER"),
                    ExpirePolicy::Days(days) => put_sp_decimal(out, *days),
                }
                put_user_flag(out, *per_user);
            }
            Self::Implementation(text) if !text.is_empty() => {
                out.put_u8(b' ');
                out.put_slice(text.as_bytes());
            }
            Self::Utf8 { user } => put_user_flag(out, *user),
            Self::Other(other) => {
                for p in other.params() {
                    out.put_u8(b' ');
                    out.put_slice(p.as_bytes());
                }
            }
            _ => {}
        }
        out.put_slice(CRLF);
    }
}

impl Entry<'_> {
    /// Appends the listing line, CRLF included. No entry can start with
    /// `.`, so none needs dot-stuffing.
    pub fn encode(&self, out: &mut impl BufMut) {
        match self {
            Self::Scan(s) => put_scan(out, s),
            Self::Uid(u) => put_uid(out, u),
            Self::Capability(c) => return c.encode(out),
            Self::Lang(l) => put_lang(out, l),
            Self::Mechanism(m) => out.put_slice(m.as_str().as_bytes()),
        }
        out.put_slice(CRLF);
    }
}

/// Appends the `.` CRLF line that ends a multi-line listing or body.
pub fn encode_listing_end(out: &mut impl BufMut) {
    out.put_slice(b".\r\n");
}

impl Response<'_> {
    /// Appends the response line, CRLF included.
    pub fn encode(&self, out: &mut impl BufMut) {
        match self {
            Self::Greeting(g) => return g.encode(out),
            Self::Status(s) => return s.encode(out),
            Self::Entry(e) => return e.encode(out),
            Self::Challenge(data) => {
                out.put_slice(b"+ ");
                put_sasl(out, data);
            }
            Self::Stat(d) => {
                out.put_slice(b"+OK");
                put_sp_decimal(out, d.count);
                put_sp_decimal(out, d.size);
            }
            Self::Scan(s) => {
                out.put_slice(b"+OK ");
                put_scan(out, s);
            }
            Self::Uid(u) => {
                out.put_slice(b"+OK ");
                put_uid(out, u);
            }
            Self::Lang(l) => {
                out.put_slice(b"+OK ");
                put_lang(out, l);
            }
        }
        out.put_slice(CRLF);
    }
}

line_length! {
    Command "command line",
    SaslResponse "SASL response line",
    Status "status line",
    Greeting "greeting line",
    Capability "capability line",
    Entry "listing line",
    Response "response line",
}

/// `SP` and the decimal digits of `n`.
fn sp_decimal_len(n: impl Into<u64>) -> usize {
    1 + decimal_len(n.into())
}

fn sasl_len(data: &SaslData<'_>) -> usize {
    base64_len(data.as_bytes().len())
}

fn scan_len(s: &ScanListing) -> usize {
    decimal_len(s.msg.get().into()) + sp_decimal_len(s.size)
}

fn uid_len(u: &UidListing<'_>) -> usize {
    decimal_len(u.msg.get().into()) + 1 + u.uid.as_bytes().len()
}

fn lang_len(l: &LangListing<'_>) -> usize {
    let description = l.description.as_bytes().len();
    l.tag.as_bytes().len() + if description == 0 { 0 } else { 1 + description }
}

fn user_flag_len(user: bool) -> usize {
    if user { b" USER".len() } else { 0 }
}

// The `line_len` of each line type mirrors its `encode` step by step; a
// property test checks `encoded_len() == to_vec().len()` for all of them.

impl Command<'_> {
    fn line_len(&self) -> usize {
        let keyword = match self {
            Self::Other(other) => {
                other.keyword().as_bytes().len()
                    + other.arguments().map_or(0, |a| 1 + a.as_bytes().len())
            }
            _ => self.kind().keyword().unwrap_or_default().len(),
        };
        keyword
            + match self {
                Self::User(name) => 1 + name.as_bytes().len(),
                Self::Pass(password) => 1 + password.expose_secret().as_bytes().len(),
                Self::Apop { name, digest } => {
                    1 + name.as_bytes().len() + 1 + digest.expose_secret().as_bytes().len()
                }
                Self::Auth {
                    mechanism,
                    initial_response,
                } => {
                    1 + mechanism.as_str().len()
                        + initial_response.as_ref().map_or(0, |ir| {
                            let ir = ir.expose_secret();
                            1 + if ir.is_empty() { 1 } else { sasl_len(ir) }
                        })
                }
                Self::Lang(Some(range)) => {
                    1 + match range {
                        LangRange::Default => 1,
                        LangRange::Tag(tag) => tag.as_bytes().len(),
                    }
                }
                Self::List(Some(msg))
                | Self::Uidl(Some(msg))
                | Self::Retr(msg)
                | Self::Dele(msg) => sp_decimal_len(msg.get()),
                Self::Top { msg, lines } => sp_decimal_len(msg.get()) + sp_decimal_len(*lines),
                _ => 0,
            }
    }
}

impl SaslResponse<'_> {
    fn line_len(&self) -> usize {
        match self {
            Self::Data(data) => sasl_len(data.expose_secret()),
            Self::Cancel => 1,
        }
    }
}

impl Status<'_> {
    fn line_len(&self) -> usize {
        let text = self.text().as_bytes().len();
        self.kind().as_str().len()
            + self
                .code()
                .map_or(0, |c| b" [".len() + c.as_str().len() + 1)
            + if text == 0 { 0 } else { 1 + text }
    }
}

impl Greeting<'_> {
    fn line_len(&self) -> usize {
        self.status().line_len()
    }
}

impl Capability<'_> {
    fn line_len(&self) -> usize {
        self.tag().len()
            + match self {
                Self::Sasl(mechanisms) => mechanisms.iter().map(|m| 1 + m.as_str().len()).sum(),
                Self::LoginDelay { seconds, per_user } => {
                    sp_decimal_len(*seconds) + user_flag_len(*per_user)
                }
                Self::Expire { policy, per_user } => {
                    let policy = match policy {
                        ExpirePolicy::Never => b" NEVER".len(),
                        ExpirePolicy::Days(days) => sp_decimal_len(*days),
                    };
                    policy + user_flag_len(*per_user)
                }
                Self::Implementation(text) if !text.is_empty() => 1 + text.as_bytes().len(),
                Self::Utf8 { user } => user_flag_len(*user),
                Self::Other(other) => other.params().iter().map(|p| 1 + p.as_bytes().len()).sum(),
                _ => 0,
            }
    }
}

impl Entry<'_> {
    fn line_len(&self) -> usize {
        match self {
            Self::Scan(s) => scan_len(s),
            Self::Uid(u) => uid_len(u),
            Self::Capability(c) => c.line_len(),
            Self::Lang(l) => lang_len(l),
            Self::Mechanism(m) => m.as_str().len(),
        }
    }
}

impl Response<'_> {
    fn line_len(&self) -> usize {
        const OK_SP: usize = b"+OK ".len();
        match self {
            Self::Greeting(g) => g.line_len(),
            Self::Status(s) => s.line_len(),
            Self::Entry(e) => e.line_len(),
            Self::Challenge(data) => b"+ ".len() + sasl_len(data),
            Self::Stat(d) => b"+OK".len() + sp_decimal_len(d.count) + sp_decimal_len(d.size),
            Self::Scan(s) => OK_SP + scan_len(s),
            Self::Uid(u) => OK_SP + uid_len(u),
            Self::Lang(l) => OK_SP + lang_len(l),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for n in [0u64, 7, 9, 10, 99, 100, 320, u64::from(u32::MAX), u64::MAX] {
            let mut v = Vec::new();
            put_decimal(&mut v, n);
            assert_eq!(v, alloc::format!("{n}").as_bytes());
            assert_eq!(decimal_len(n), v.len());
        }
    }

    #[test]
    fn base64_lengths() {
        for n in 0..20 {
            let mut v = Vec::new();
            base64::encode(&alloc::vec![0xa5; n], &mut v);
            assert_eq!(base64_len(n), v.len(), "{n}");
        }
    }
}
