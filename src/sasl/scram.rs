//! SCRAM (RFC 5802, RFC 7677): the client side, with channel binding.
//!
//! The caller supplies the client nonce (printable ASCII but `,`; 18 or
//! more random bytes, base64-encoded, are customary) and, for the -PLUS
//! variants, the channel-binding data of the TLS connection
//! (`tls-exporter`, RFC 9266, or `tls-server-end-point`, RFC 5929), which
//! its TLS library gives it. `tls-unique` is not offered: it is unsafe
//! with TLS 1.3 and with TLS 1.2 session resumption (RFC 9266 §1).
//!
//! User names and passwords are used as given: this layer does not apply
//! SASLprep (RFC 4013) yet, so give them in the form the server stores.

use super::client::ClientMechanism;
use super::{ClientReply, SaslError, escaped};
use crate::codec::base64;
use crate::types::{Mechanism, SaslData, Secret};
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
    const fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

/// SaltedPassword := Hi(password, salt, i), PBKDF2 with HMAC (RFC 5802
/// §2.2): the costly step, public so that a caller can run it off its
/// event loop, or keep the result and pass it to
/// [`Scram::with_salted_password`].
pub fn salted_password(
    hash: ScramHash,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Secret<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(alloc::vec![0u8; hash.len()]);
    match hash {
        ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, &mut out),
        ScramHash::Sha256 => {
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut out);
        }
    }
    Secret::new(out)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// client-first sent.
    First,
    /// client-final sent; the server-final is due.
    Final,
    /// The server signature was verified; `+OK` may follow (after the
    /// empty line that answers the server-final in POP3).
    Verified,
    Done,
}

/// The client side of SCRAM-SHA-1 and SCRAM-SHA-256, with or without
/// channel binding. It verifies the server's signature: a `+OK` without a
/// verified server-final is a failure, and a bad server-final is answered
/// with `*`.
#[derive(Debug, Clone)]
pub struct Scram {
    hash: ScramHash,
    username: Vec<u8>,
    password: Secret<Zeroizing<Vec<u8>>>,
    salted: Option<Secret<Zeroizing<Vec<u8>>>>,
    client_nonce: Vec<u8>,
    binding: ChannelBinding,
    min_iterations: u32,
    max_iterations: u32,
    state: State,
    client_first_bare: Vec<u8>,
    server_signature: Zeroizing<Vec<u8>>,
}

impl Scram {
    /// SCRAM with `hash` for `username` with `password`; `client_nonce` is
    /// the caller's random value.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty name or nonce,
    /// [`SaslError::InvalidCredential`] for a NUL in the name or password
    /// or a nonce that is not printable ASCII without `,`.
    pub fn new(
        hash: ScramHash,
        username: impl AsRef<[u8]>,
        password: impl AsRef<[u8]>,
        client_nonce: impl AsRef<[u8]>,
        binding: ChannelBinding,
    ) -> Result<Self, SaslError> {
        let (username, password, nonce) =
            (username.as_ref(), password.as_ref(), client_nonce.as_ref());
        if username.is_empty() {
            return Err(SaslError::EmptyCredential { field: "user name" });
        }
        if nonce.is_empty() {
            return Err(SaslError::EmptyCredential { field: "nonce" });
        }
        if username.contains(&0) {
            return Err(SaslError::InvalidCredential { field: "user name" });
        }
        if password.contains(&0) {
            return Err(SaslError::InvalidCredential { field: "password" });
        }
        if !nonce
            .iter()
            .all(|&b| (0x21..=0x7e).contains(&b) && b != b',')
        {
            return Err(SaslError::InvalidCredential { field: "nonce" });
        }
        Ok(Self {
            hash,
            username: username.to_vec(),
            password: Secret::new(Zeroizing::new(password.to_vec())),
            salted: None,
            client_nonce: nonce.to_vec(),
            binding,
            min_iterations: DEFAULT_MIN_ITERATIONS,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            state: State::Start,
            client_first_bare: Vec::new(),
            server_signature: Zeroizing::new(Vec::new()),
        })
    }

    /// Uses a SaltedPassword computed earlier (by [`salted_password`])
    /// instead of deriving it; it must match the server's salt and count.
    pub fn with_salted_password(mut self, salted: Secret<Zeroizing<Vec<u8>>>) -> Self {
        self.salted = Some(salted);
        self
    }

    /// Sets the range of iteration counts accepted from the server
    /// (defaults [`DEFAULT_MIN_ITERATIONS`] and [`DEFAULT_MAX_ITERATIONS`]).
    pub fn with_iterations(mut self, min: u32, max: u32) -> Self {
        self.min_iterations = min;
        self.max_iterations = max;
        self
    }

    /// The GS2 header: flag, empty authzid.
    fn gs2_header(&self) -> Vec<u8> {
        let mut h = Vec::new();
        match &self.binding {
            ChannelBinding::None => h.extend_from_slice(b"n"),
            ChannelBinding::NotOffered => h.extend_from_slice(b"y"),
            ChannelBinding::Plus { kind, .. } => {
                h.extend_from_slice(b"p=");
                h.extend_from_slice(kind.as_str().as_bytes());
            }
        }
        h.extend_from_slice(b",,");
        h
    }

    fn client_first(&mut self) -> Vec<u8> {
        let mut bare = b"n=".to_vec();
        for &b in &self.username {
            match b {
                b',' => bare.extend_from_slice(b"=2C"),
                b'=' => bare.extend_from_slice(b"=3D"),
                _ => bare.push(b),
            }
        }
        bare.extend_from_slice(b",r=");
        bare.extend_from_slice(&self.client_nonce);
        let mut message = self.gs2_header();
        message.extend_from_slice(&bare);
        self.client_first_bare = bare;
        self.state = State::First;
        message
    }

    /// Answers the server-first message with the client-final one.
    fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>, SaslError> {
        let bad = |what: &str| {
            SaslError::ServerError(alloc::format!("malformed server-first message: {what}"))
        };
        let attributes =
            attributes(server_first).ok_or_else(|| bad("not attribute=value pairs"))?;
        // r=, s=, i= in that order, then extensions the client must not
        // ignore if mandatory (`m=`).
        let [(b'r', nonce), (b's', salt), (b'i', count), rest @ ..] = attributes.as_slice() else {
            return Err(bad("r, s, i missing or out of order"));
        };
        if rest.iter().any(|&(name, _)| name == b'm') {
            return Err(bad("mandatory extension"));
        }
        if nonce.len() <= self.client_nonce.len() || !nonce.starts_with(&self.client_nonce) {
            return Err(bad("the server nonce does not extend the client nonce"));
        }
        if !nonce
            .iter()
            .all(|&b| (0x21..=0x7e).contains(&b) && b != b',')
        {
            return Err(bad("nonce"));
        }
        let salt =
            Zeroizing::new(base64::decode(salt, true).map_err(|_| bad("salt is not base64"))?);
        if salt.is_empty() {
            return Err(bad("empty salt"));
        }
        let iterations = crate::codec::parse::digits_u64(count)
            .filter(|&(_, len)| len == count.len())
            .and_then(|(n, _)| u32::try_from(n).ok())
            .ok_or_else(|| bad("iteration count"))?;
        if iterations < self.min_iterations || iterations > self.max_iterations {
            return Err(SaslError::ServerError(alloc::format!(
                "iteration count {iterations} outside {}..={}",
                self.min_iterations,
                self.max_iterations
            )));
        }
        let salted = match self.salted.take() {
            Some(s) => s,
            None => salted_password(self.hash, self.password.expose_secret(), &salt, iterations),
        };
        let salted = salted.expose_secret();
        let client_key = self.hash.hmac(salted, b"Client Key");
        let stored_key = self.hash.hash(&client_key);
        // c= base64(gs2-header [cbind-data]).
        let mut cbind = self.gs2_header();
        if let ChannelBinding::Plus { data, .. } = &self.binding {
            cbind.extend_from_slice(data.expose_secret());
        }
        let mut without_proof = b"c=".to_vec();
        base64::encode(&cbind, &mut without_proof);
        without_proof.extend_from_slice(b",r=");
        without_proof.extend_from_slice(nonce);
        let mut auth_message = self.client_first_bare.clone();
        auth_message.push(b',');
        auth_message.extend_from_slice(server_first);
        auth_message.push(b',');
        auth_message.extend_from_slice(&without_proof);
        let signature = self.hash.hmac(&stored_key, &auth_message);
        let proof: Zeroizing<Vec<u8>> = Zeroizing::new(
            client_key
                .iter()
                .zip(signature.iter())
                .map(|(k, s)| k ^ s)
                .collect(),
        );
        let server_key = self.hash.hmac(salted, b"Server Key");
        self.server_signature = self.hash.hmac(&server_key, &auth_message);
        let mut message = without_proof;
        message.extend_from_slice(b",p=");
        base64::encode(&proof, &mut message);
        self.state = State::Final;
        Ok(message)
    }

    /// Checks the server-final message.
    fn verify(&mut self, server_final: &[u8]) -> Result<(), SaslError> {
        let attributes = attributes(server_final)
            .ok_or_else(|| SaslError::ServerError("malformed server-final message".into()))?;
        match attributes.first() {
            Some(&(b'v', signature)) => {
                let signature = base64::decode(signature, true)
                    .map_err(|_| SaslError::ServerError("server signature is not base64".into()))?;
                let ok: bool =
                    subtle::ConstantTimeEq::ct_eq(&signature[..], &self.server_signature[..])
                        .into();
                if !ok || signature.len() != self.hash.len() {
                    return Err(SaslError::ServerError("wrong server signature".into()));
                }
                self.state = State::Verified;
                Ok(())
            }
            Some(&(b'e', error)) => Err(SaslError::ServerError(escaped(error))),
            _ => Err(SaslError::ServerError(
                "malformed server-final message".into(),
            )),
        }
    }
}

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

impl ClientMechanism for Scram {
    fn mechanism(&self) -> Mechanism<'static> {
        let plus = matches!(self.binding, ChannelBinding::Plus { .. });
        match (self.hash, plus) {
            (ScramHash::Sha1, false) => Mechanism::ScramSha1,
            (ScramHash::Sha1, true) => Mechanism::ScramSha1Plus,
            (ScramHash::Sha256, false) => Mechanism::ScramSha256,
            (ScramHash::Sha256, true) => Mechanism::ScramSha256Plus,
        }
    }

    fn initial_response(&mut self) -> Result<Option<Secret<SaslData<'static>>>, SaslError> {
        if self.state != State::Start {
            return Err(SaslError::UnexpectedChallenge);
        }
        Ok(Some(Secret::new(SaslData::from_vec(self.client_first()))))
    }

    fn respond(&mut self, challenge: &[u8]) -> Result<ClientReply, SaslError> {
        match self.state {
            // The two-step AUTH form: the empty challenge asks for the
            // client-first message.
            State::Start if challenge.is_empty() => Ok(ClientReply::data(self.client_first())),
            State::First => self.client_final(challenge).map(ClientReply::data),
            State::Final => match self.verify(challenge) {
                // POP3 has no success data in +OK: the verified
                // server-final is answered with an empty line.
                Ok(()) => Ok(ClientReply::data(Vec::new())),
                Err(e) => {
                    self.state = State::Done;
                    Err(e)
                }
            },
            _ => Err(SaslError::UnexpectedChallenge),
        }
    }

    fn success(&mut self) -> Result<(), SaslError> {
        if self.state == State::Verified {
            self.state = State::Done;
            Ok(())
        } else {
            Err(SaslError::Incomplete)
        }
    }
}
