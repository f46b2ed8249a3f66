//! Types to bytes. Every value is valid by construction, so encoding cannot
//! fail, and its output decodes back to an equal value under limits that
//! admit the line. Values have no length limit of their own: a 300-byte
//! password makes a PASS line longer than the 255 octets a server must
//! accept. Check `to_vec().len()` where that matters (RFC 5034 §4: an AUTH
//! line with its initial response must fit 255 octets, or the response goes
//! in a continuation line instead).

use super::base64;
use crate::types::{
    Capability, Command, Entry, ExpirePolicy, Greeting, LangListing, LangRange, RespCode, Response,
    SaslData, SaslResponse, ScanListing, Status, UidListing,
};
use alloc::vec::Vec;
use bytes::BufMut;

const CRLF: &[u8] = b"\r\n";

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

    /// The command line as bytes, CRLF included.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        self.encode(&mut out);
        out
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

    /// The response line as bytes, CRLF included.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
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

    /// The response line as bytes, CRLF included.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        self.encode(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for n in [0u64, 7, 10, 320, u64::from(u32::MAX), u64::MAX] {
            let mut v = Vec::new();
            put_decimal(&mut v, n);
            assert_eq!(v, alloc::format!("{n}").as_bytes());
        }
    }
}
