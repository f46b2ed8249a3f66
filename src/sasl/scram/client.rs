//! The client side of SCRAM.

use super::{
    ChannelBinding, DEFAULT_MAX_ITERATIONS, DEFAULT_MIN_ITERATIONS, Keys, ScramHash, SecretBytes,
    attributes, base64, cbind_input, put_saslname, salted_password, valid_nonce, xor,
};
use crate::codec::base64 as b64;
use crate::sasl::client::ClientMechanism;
use crate::sasl::saslprep::Mode;
use crate::sasl::{ClientReply, SaslError, escaped, prepare};
use crate::types::{Mechanism, SaslData, Secret};
use alloc::vec::Vec;
use zeroize::Zeroizing;

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
///
/// The user name and password go through SASLprep (RFC 4013, in query
/// mode) when the client is built (RFC 5802 §5.1).
#[derive(Debug, Clone)]
pub struct ScramClient {
    hash: ScramHash,
    /// The SASLprepped name, as a saslname.
    username: Vec<u8>,
    password: SecretBytes,
    salted: Option<SecretBytes>,
    client_nonce: Vec<u8>,
    binding: ChannelBinding,
    min_iterations: u32,
    max_iterations: u32,
    state: State,
    client_first_bare: Vec<u8>,
    /// What the server must send: redacted in `Debug`, as whoever reads
    /// it could pose as the server.
    server_signature: SecretBytes,
}

impl ScramClient {
    /// SCRAM with `hash` for `username` with `password`; `client_nonce` is
    /// the caller's random value. `binding` decides the GS2 flag and
    /// whether this is the -PLUS variant.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty name or nonce (or a
    /// name SASLprep maps to nothing), [`SaslError::Saslprep`] for a name
    /// or password that is not UTF-8 or that SASLprep refuses (a control
    /// character, for one), [`SaslError::InvalidCredential`] for a nonce
    /// that is not printable ASCII without `,`.
    pub fn new(
        hash: ScramHash,
        username: impl AsRef<[u8]>,
        password: impl AsRef<[u8]>,
        client_nonce: impl AsRef<[u8]>,
        binding: ChannelBinding,
    ) -> Result<Self, SaslError> {
        let nonce = client_nonce.as_ref();
        let name = prepare("user name", username.as_ref(), Mode::Query)?;
        if name.is_empty() {
            return Err(SaslError::EmptyCredential { field: "user name" });
        }
        if nonce.is_empty() {
            return Err(SaslError::EmptyCredential { field: "nonce" });
        }
        if !valid_nonce(nonce) {
            return Err(SaslError::InvalidCredential { field: "nonce" });
        }
        let mut username = Vec::with_capacity(name.len());
        put_saslname(&mut username, &name);
        Ok(Self {
            hash,
            username,
            password: Secret::new(prepare("password", password.as_ref(), Mode::Stored)?),
            salted: None,
            client_nonce: nonce.to_vec(),
            binding,
            min_iterations: DEFAULT_MIN_ITERATIONS,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            state: State::Start,
            client_first_bare: Vec::new(),
            server_signature: Secret::new(Zeroizing::new(Vec::new())),
        })
    }

    /// Uses a SaltedPassword computed earlier (by
    /// [`salted_password`](super::salted_password)) instead of deriving
    /// it; it must match the server's salt and count.
    pub fn with_salted_password(mut self, salted: SecretBytes) -> Self {
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
        bare.extend_from_slice(&self.username);
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
        if !valid_nonce(nonce) {
            return Err(bad("nonce"));
        }
        let salt = Zeroizing::new(b64::decode(salt, true).map_err(|_| bad("salt is not base64"))?);
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
        let keys = Keys::derive(self.hash, salted.expose_secret());
        let cbind = match &self.binding {
            ChannelBinding::Plus { data, .. } => {
                cbind_input(&self.gs2_header(), Some(data.expose_secret()))
            }
            _ => cbind_input(&self.gs2_header(), None),
        };
        let mut without_proof = b"c=".to_vec();
        without_proof.extend_from_slice(&base64(&cbind));
        without_proof.extend_from_slice(b",r=");
        without_proof.extend_from_slice(nonce);
        let auth_message = auth_message(&self.client_first_bare, server_first, &without_proof);
        let signature = self.hash.hmac(&keys.stored_key, &auth_message);
        let proof = xor(&keys.client_key, &signature);
        self.server_signature = Secret::new(self.hash.hmac(&keys.server_key, &auth_message));
        let mut message = without_proof;
        message.extend_from_slice(b",p=");
        message.extend_from_slice(&base64(&proof));
        self.state = State::Final;
        Ok(message)
    }

    /// Checks the server-final message.
    fn verify(&mut self, server_final: &[u8]) -> Result<(), SaslError> {
        let attributes = attributes(server_final)
            .ok_or_else(|| SaslError::ServerError("malformed server-final message".into()))?;
        match attributes.first() {
            Some(&(b'v', signature)) => {
                let signature = b64::decode(signature, true)
                    .map_err(|_| SaslError::ServerError("server signature is not base64".into()))?;
                let ok: bool = subtle::ConstantTimeEq::ct_eq(
                    &signature[..],
                    &self.server_signature.expose_secret()[..],
                )
                .into();
                if !ok || signature.len() != self.hash.output_len() {
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

/// AuthMessage := client-first-message-bare "," server-first-message ","
/// client-final-message-without-proof (RFC 5802 §3).
pub(super) fn auth_message(
    client_first_bare: &[u8],
    server_first: &[u8],
    without_proof: &[u8],
) -> Vec<u8> {
    let mut m =
        Vec::with_capacity(client_first_bare.len() + server_first.len() + without_proof.len() + 2);
    m.extend_from_slice(client_first_bare);
    m.push(b',');
    m.extend_from_slice(server_first);
    m.push(b',');
    m.extend_from_slice(without_proof);
    m
}

impl ClientMechanism for ScramClient {
    fn mechanism(&self) -> Mechanism<'static> {
        self.hash
            .mechanism(matches!(self.binding, ChannelBinding::Plus { .. }))
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
