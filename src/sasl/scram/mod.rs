//! SCRAM (RFC 5802, RFC 7677), both sides, with channel binding.
//!
//! [`ScramClient`] is the client side, [`ScramServer`] the server side;
//! they share the hash functions, the message syntax and the key
//! derivation defined here.
//!
//! Randomness comes from the caller: the client nonce, the server's part
//! of the nonce, the salt of [`StoredCredentials::derive`] and the key
//! the server derives fake salts from for unknown users (SPEC S13).
//! Nonces are printable ASCII without `,`; 18 or more random bytes,
//! base64-encoded, are customary.
//!
//! The -PLUS variants bind the exchange to the TLS connection with
//! channel-binding data the caller gets from its TLS library:
//! `tls-exporter` (RFC 9266) or `tls-server-end-point` (RFC 5929).
//! `tls-unique` is not offered: it is unsafe with TLS 1.3 and with TLS 1.2
//! session resumption (RFC 9266 §1).
//!
//! User names and passwords go through SASLprep (RFC 4013) as RFC 5802
//! §5.1 requires: the client prepares both before use,
//! [`StoredCredentials::derive`] prepares the password the same way, so
//! that both sides derive the same keys, and the server prepares the user
//! name it receives (as a query, like the client) before it asks for the
//! credentials.

mod client;
mod server;

pub use client::ScramClient;
pub use server::{DEFAULT_FAKE_ITERATIONS, DEFAULT_FAKE_SALT_LEN, ScramServer};

use super::SaslError;
use crate::codec::base64;
use crate::types::{Mechanism, Secret};
use alloc::vec::Vec;
use hmac::{KeyInit, Mac};
use sha1::Digest;
use zeroize::Zeroizing;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScramHash {
    /// SHA-1 (SCRAM-SHA-1, RFC 5802).
    Sha1,
    /// SHA-256 (SCRAM-SHA-256, RFC 7677).
    Sha256,
}

impl ScramHash {
    /// HMAC(key, data).
    fn hmac(self, key: &[u8], data: &[u8]) -> Zeroizing<Vec<u8>> {
        macro_rules! mac {
            ($h:ty) => {{
                // HMAC takes a key of any length.
                let Ok(mut mac) = <hmac::Hmac<$h> as KeyInit>::new_from_slice(key) else {
                    return Zeroizing::new(Vec::new());
                };
                mac.update(data);
                Zeroizing::new(mac.finalize().into_bytes().to_vec())
            }};
        }
        match self {
            Self::Sha1 => mac!(sha1::Sha1),
            Self::Sha256 => mac!(sha2::Sha256),
        }
    }

    /// H(data).
    fn hash(self, data: &[u8]) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
        })
    }

    /// The length of a hash, in octets.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// The mechanism: this hash, with or without `-PLUS`.
    pub const fn mechanism(self, plus: bool) -> Mechanism<'static> {
        match (self, plus) {
            (Self::Sha1, false) => Mechanism::ScramSha1,
            (Self::Sha1, true) => Mechanism::ScramSha1Plus,
            (Self::Sha256, false) => Mechanism::ScramSha256,
            (Self::Sha256, true) => Mechanism::ScramSha256Plus,
        }
    }

    /// The mechanism name without `-PLUS`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SCRAM-SHA-1",
            Self::Sha256 => "SCRAM-SHA-256",
        }
    }
}

/// Keys and other secret octets of a SCRAM exchange.
pub type SecretBytes = Secret<Zeroizing<Vec<u8>>>;

/// SaltedPassword := Hi(password, salt, i), PBKDF2 with HMAC (RFC 5802
/// §2.2): the costly step, public so that a caller can run it off its
/// event loop, or keep the result and pass it to
/// [`ScramClient::with_salted_password`].
///
/// The password is used as given: give it prepared with
/// [`saslprep`](crate::sasl::saslprep::saslprep) in
/// [`Mode::Stored`](crate::sasl::saslprep::Mode::Stored), as
/// [`ScramClient`] does.
pub fn salted_password(
    hash: ScramHash,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> SecretBytes {
    let mut out = Zeroizing::new(alloc::vec![0u8; hash.output_len()]);
    match hash {
        ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, &mut out),
        ScramHash::Sha256 => {
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut out);
        }
    }
    Secret::new(out)
}

/// ClientKey, StoredKey and ServerKey from a SaltedPassword (RFC 5802 §3).
struct Keys {
    client_key: Zeroizing<Vec<u8>>,
    stored_key: Zeroizing<Vec<u8>>,
    server_key: Zeroizing<Vec<u8>>,
}

impl Keys {
    fn derive(hash: ScramHash, salted: &[u8]) -> Self {
        let client_key = hash.hmac(salted, b"Client Key");
        Self {
            stored_key: hash.hash(&client_key),
            client_key,
            server_key: hash.hmac(salted, b"Server Key"),
        }
    }
}

/// What a SCRAM server keeps for a user (RFC 5802 §3): the salt, the
/// iteration count, StoredKey and ServerKey. They let the server check a
/// client's proof and prove itself in turn, and they are not the password:
/// a stolen copy does not log in to other servers (though it can
/// impersonate this one).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredentials {
    hash: ScramHash,
    salt: Vec<u8>,
    iterations: u32,
    stored_key: SecretBytes,
    server_key: SecretBytes,
}

impl core::fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("hash", &self.hash)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl StoredCredentials {
    /// Derives the credentials for `password` with a fresh random `salt`
    /// (16 octets or more) and an iteration count (4096 or more, RFC 7677
    /// §4). The password goes through SASLprep first (RFC 5802 §5.1), as
    /// the client's does. This runs PBKDF2: do it when the password is
    /// set, not at login.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty salt or an iteration
    /// count of 0, [`SaslError::Saslprep`] for a password SASLprep
    /// refuses (or that is not UTF-8).
    pub fn derive(
        hash: ScramHash,
        password: impl AsRef<[u8]>,
        salt: impl AsRef<[u8]>,
        iterations: u32,
    ) -> Result<Self, SaslError> {
        let password =
            super::prepare("password", password.as_ref(), super::saslprep::Mode::Stored)?;
        let salt = salt.as_ref();
        if salt.is_empty() {
            return Err(SaslError::EmptyCredential { field: "salt" });
        }
        if iterations == 0 {
            return Err(SaslError::EmptyCredential {
                field: "iteration count",
            });
        }
        let salted = salted_password(hash, &password, salt, iterations);
        Ok(Self::from_salted_password(
            hash,
            salted.expose_secret(),
            salt,
            iterations,
        ))
    }

    /// The credentials for a SaltedPassword computed elsewhere.
    fn from_salted_password(hash: ScramHash, salted: &[u8], salt: &[u8], iterations: u32) -> Self {
        let keys = Keys::derive(hash, salted);
        Self {
            hash,
            salt: salt.to_vec(),
            iterations,
            stored_key: Secret::new(keys.stored_key),
            server_key: Secret::new(keys.server_key),
        }
    }

    /// Credentials as stored: the salt, the iteration count, StoredKey and
    /// ServerKey (decoded from base64 by the caller, e.g. from Dovecot's
    /// `{SCRAM-SHA-256}` scheme or RFC 5803's format).
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty salt or a count of 0,
    /// [`SaslError::InvalidCredential`] for a key whose length is not the
    /// hash's.
    pub fn new(
        hash: ScramHash,
        salt: impl AsRef<[u8]>,
        iterations: u32,
        stored_key: impl AsRef<[u8]>,
        server_key: impl AsRef<[u8]>,
    ) -> Result<Self, SaslError> {
        let (salt, stored_key, server_key) =
            (salt.as_ref(), stored_key.as_ref(), server_key.as_ref());
        if salt.is_empty() {
            return Err(SaslError::EmptyCredential { field: "salt" });
        }
        if iterations == 0 {
            return Err(SaslError::EmptyCredential {
                field: "iteration count",
            });
        }
        for (field, key) in [("StoredKey", stored_key), ("ServerKey", server_key)] {
            if key.len() != hash.output_len() {
                return Err(SaslError::InvalidCredential { field });
            }
        }
        Ok(Self {
            hash,
            salt: salt.to_vec(),
            iterations,
            stored_key: Secret::new(Zeroizing::new(stored_key.to_vec())),
            server_key: Secret::new(Zeroizing::new(server_key.to_vec())),
        })
    }

    /// The hash function these credentials are for.
    pub fn hash(&self) -> ScramHash {
        self.hash
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// StoredKey := H(ClientKey).
    pub fn stored_key(&self) -> &SecretBytes {
        &self.stored_key
    }

    /// ServerKey := HMAC(SaltedPassword, "Server Key").
    pub fn server_key(&self) -> &SecretBytes {
        &self.server_key
    }
}

/// A channel-binding type (RFC 5056) a -PLUS exchange can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelBindingType {
    /// `tls-exporter` (RFC 9266): the TLS 1.3 exporter value.
    TlsExporter,
    /// `tls-server-end-point` (RFC 5929): the hash of the server's
    /// certificate.
    TlsServerEndPoint,
}

impl ChannelBindingType {
    /// The name in the GS2 header.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TlsExporter => "tls-exporter",
            Self::TlsServerEndPoint => "tls-server-end-point",
        }
    }

    /// The type of a GS2 header name; `None` for a type this crate does
    /// not support (`tls-unique` among them).
    pub fn from_name(name: &[u8]) -> Option<Self> {
        [Self::TlsExporter, Self::TlsServerEndPoint]
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }
}

/// What the client knows about channel binding on this connection; it
/// decides the GS2 flag (RFC 5802 §6).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ChannelBinding {
    /// No channel-binding data (no TLS, or the TLS library gives none):
    /// flag `n`.
    None,
    /// The client has channel-binding data but the server's SASL list,
    /// read after TLS, offers no -PLUS mechanism: flag `y`, so that a
    /// server that does support -PLUS detects the downgrade.
    NotOffered,
    /// A -PLUS exchange with this type and data: flag `p=<type>`.
    Plus {
        /// The channel-binding type.
        kind: ChannelBindingType,
        /// Its data for this connection.
        data: Secret<Vec<u8>>,
    },
}

/// The default floor of the iteration count a server may ask for (the
/// RFCs' recommended minimum).
pub const DEFAULT_MIN_ITERATIONS: u32 = 4096;
/// The default ceiling, so that a hostile server cannot make the client
/// spin: 2^20, far above what servers use (Dovecot 4096, RFC 7677's 4096).
pub const DEFAULT_MAX_ITERATIONS: u32 = 1 << 20;

/// Splits `name=value,...` into pairs; `None` unless every part is a
/// one-letter name, `=` and a value.
fn attributes(message: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    message
        .split(|&b| b == b',')
        .map(|part| match part {
            [name, b'=', value @ ..] if name.is_ascii_alphabetic() => Some((*name, value)),
            _ => None,
        })
        .collect()
}

/// A nonce: one or more printable ASCII characters but `,` (RFC 5802 §7).
fn valid_nonce(nonce: &[u8]) -> bool {
    !nonce.is_empty()
        && nonce
            .iter()
            .all(|&b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// Appends `name` as a `saslname`: `,` as `=2C` and `=` as `=3D`.
fn put_saslname(out: &mut Vec<u8>, name: &[u8]) {
    for &b in name {
        match b {
            b',' => out.extend_from_slice(b"=2C"),
            b'=' => out.extend_from_slice(b"=3D"),
            _ => out.push(b),
        }
    }
}

/// Decodes a `saslname`; `None` for an `=` that is not `=2C` or `=3D`,
/// for a NUL, or for text that is not UTF-8.
pub(crate) fn parse_saslname(name: &[u8]) -> Option<alloc::string::String> {
    let mut out = Vec::with_capacity(name.len());
    let mut rest = name;
    while let Some((&b, tail)) = rest.split_first() {
        match (b, tail) {
            (b'=', [b'2', b'C', tail @ ..]) => {
                out.push(b',');
                rest = tail;
            }
            (b'=', [b'3', b'D', tail @ ..]) => {
                out.push(b'=');
                rest = tail;
            }
            (b'=' | 0, _) => return None,
            _ => {
                out.push(b);
                rest = tail;
            }
        }
    }
    alloc::string::String::from_utf8(out).ok()
}

/// `c=`'s input: the GS2 header and, for -PLUS, the channel-binding data.
fn cbind_input(gs2_header: &[u8], data: Option<&[u8]>) -> Vec<u8> {
    let mut input = gs2_header.to_vec();
    input.extend_from_slice(data.unwrap_or_default());
    input
}

/// The base64 text of `data`.
fn base64(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    base64::encode(data, &mut out);
    out
}

/// XOR of two equal-length keys.
fn xor(a: &[u8], b: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(a.iter().zip(b).map(|(x, y)| x ^ y).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslnames_round_trip_and_bad_escapes_are_refused() {
        let mut out = Vec::new();
        put_saslname(&mut out, b"a,b=c");
        assert_eq!(out, b"a=2Cb=3Dc");
        assert_eq!(parse_saslname(&out).as_deref(), Some("a,b=c"));
        for bad in [&b"a=2c"[..], b"=", b"a=3", b"=41", b"a\0b", b"\xff"] {
            assert_eq!(parse_saslname(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn channel_binding_names() {
        for t in [
            ChannelBindingType::TlsExporter,
            ChannelBindingType::TlsServerEndPoint,
        ] {
            assert_eq!(
                ChannelBindingType::from_name(t.as_str().as_bytes()),
                Some(t)
            );
        }
        assert_eq!(ChannelBindingType::from_name(b"tls-unique"), None);
    }
}
