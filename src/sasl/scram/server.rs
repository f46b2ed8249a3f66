//! The server side of SCRAM.

use super::client::auth_message;
use super::{
    ChannelBindingType, Keys, ScramHash, SecretBytes, StoredCredentials, attributes, base64,
    cbind_input, parse_saslname, valid_nonce, xor,
};
use crate::codec::base64 as b64;
use crate::sasl::SaslError;
use crate::sasl::saslprep::Mode;
use crate::sasl::server::{Answer, Failure, Identity, Request, ServerMechanism, Step};
use crate::types::{Mechanism, SaslData, Secret};
use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

/// The iteration count of the fake credentials given for unknown users,
/// by default: the count most servers use (RFC 7677 §4), so that an
/// unknown user looks like a known one.
pub const DEFAULT_FAKE_ITERATIONS: u32 = 4096;

/// The salt length of the fake credentials given for unknown users, by
/// default: 16 octets, what Dovecot and scramp make.
pub const DEFAULT_FAKE_SALT_LEN: usize = 16;

#[derive(Debug, Clone)]
enum State {
    Start,
    /// The empty challenge of the two-step form is out.
    Challenged,
    /// The channel-binding data was asked for.
    AskedBinding,
    /// The credentials were asked for.
    AskedCredentials,
    /// The server-first message is out; the client-final is due.
    SentFirst,
    /// The proof holds; whether the authcid may act as the authzid was
    /// asked, and the server-final waits for the answer.
    AskedAuthorization,
    /// The verified server-final is out; the client's empty line is due.
    SentFinal,
    Done,
}

/// What the server learned from the client-first message.
#[derive(Debug, Clone, Default)]
struct ClientFirst {
    /// The GS2 header, both commas included: `c=` must repeat it.
    gs2_header: Vec<u8>,
    binding: Option<ChannelBindingType>,
    authzid: Option<String>,
    authcid: String,
    bare: Vec<u8>,
    nonce: Vec<u8>,
}

/// The server side of SCRAM-SHA-1 and SCRAM-SHA-256, with or without
/// channel binding (RFC 5802, RFC 7677).
///
/// It asks for the channel-binding data of the type the client chose
/// ([`Request::ChannelBinding`], -PLUS only), then for the user's
/// [`StoredCredentials`] ([`Request::ScramCredentials`]); it checks the
/// client's proof, asks whether the user may act as the authzid if the
/// client named one ([`Request::Authorize`]), sends the server-final
/// message as a challenge and succeeds on the client's empty reply, as
/// POP3 has no room for it in `+OK` (RFC 5034 §4).
///
/// For an unknown user (the application answers [`Answer::Reject`]) it
/// goes on with a salt derived from the server key given to
/// [`new`](Self::new) and the user name, and [`DEFAULT_FAKE_ITERATIONS`]:
/// the same salt for the same name every time, so that the exchange looks
/// like a known user's and fails only at the proof (SPEC S13).
#[derive(Debug, Clone)]
pub struct ScramServer {
    hash: ScramHash,
    plus: bool,
    plus_offered: bool,
    server_nonce: Vec<u8>,
    fake_key: SecretBytes,
    fake_iterations: u32,
    fake_salt_len: usize,
    state: State,
    first: ClientFirst,
    binding_data: Option<Secret<Vec<u8>>>,
    credentials: Option<StoredCredentials>,
    unknown_user: bool,
    server_first: Vec<u8>,
    server_final: Vec<u8>,
}

impl ScramServer {
    /// SCRAM with `hash`, without channel binding. `server_nonce` is the
    /// caller's random part of the nonce; `fake_key` is a secret of the
    /// server's, the same across sessions, for the fake salts of unknown
    /// users.
    ///
    /// # Errors
    ///
    /// [`SaslError::EmptyCredential`] for an empty nonce or key,
    /// [`SaslError::InvalidCredential`] for a nonce that is not printable
    /// ASCII without `,`.
    pub fn new(
        hash: ScramHash,
        server_nonce: impl AsRef<[u8]>,
        fake_key: impl AsRef<[u8]>,
    ) -> Result<Self, SaslError> {
        let (nonce, key) = (server_nonce.as_ref(), fake_key.as_ref());
        if nonce.is_empty() {
            return Err(SaslError::EmptyCredential { field: "nonce" });
        }
        if key.is_empty() {
            return Err(SaslError::EmptyCredential { field: "fake key" });
        }
        if !valid_nonce(nonce) {
            return Err(SaslError::InvalidCredential { field: "nonce" });
        }
        Ok(Self {
            hash,
            plus: false,
            plus_offered: false,
            server_nonce: nonce.to_vec(),
            fake_key: Secret::new(Zeroizing::new(key.to_vec())),
            fake_iterations: DEFAULT_FAKE_ITERATIONS,
            fake_salt_len: DEFAULT_FAKE_SALT_LEN,
            state: State::Start,
            first: ClientFirst::default(),
            binding_data: None,
            credentials: None,
            unknown_user: false,
            server_first: Vec::new(),
            server_final: Vec::new(),
        })
    }

    /// SCRAM-SHA-*-PLUS with `hash`: the client must bind the exchange to
    /// the channel (flag `p=`). Arguments as [`new`](Self::new).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn new_plus(
        hash: ScramHash,
        server_nonce: impl AsRef<[u8]>,
        fake_key: impl AsRef<[u8]>,
    ) -> Result<Self, SaslError> {
        let mut server = Self::new(hash, server_nonce, fake_key)?;
        server.plus = true;
        server.plus_offered = true;
        Ok(server)
    }

    /// Says whether the server advertises a -PLUS mechanism on this
    /// connection (default `false` for [`new`](Self::new)). When it does,
    /// a client that sends the `y` flag, which means "I could bind, but
    /// you offer no -PLUS", is under a downgrade attack and fails (RFC 5802
    /// §6).
    pub fn with_plus_offered(mut self, offered: bool) -> Self {
        self.plus_offered = offered || self.plus;
        self
    }

    /// The iteration count of the fake credentials for unknown users
    /// (default [`DEFAULT_FAKE_ITERATIONS`]): set it to what real users
    /// have.
    pub fn with_fake_iterations(mut self, iterations: u32) -> Self {
        self.fake_iterations = iterations.max(1);
        self
    }

    /// The salt length of the fake credentials for unknown users, in
    /// octets (default [`DEFAULT_FAKE_SALT_LEN`], at least 1 and at most
    /// the hash's output length): set it to what real users have.
    pub fn with_fake_salt_len(mut self, len: usize) -> Self {
        self.fake_salt_len = len.clamp(1, self.hash.output_len());
        self
    }

    fn fail(&mut self, failure: Failure) -> Step {
        self.state = State::Done;
        Step::Failure(failure)
    }

    /// Reads the client-first message.
    fn client_first(&mut self, message: &[u8]) -> Step {
        match self.parse_client_first(message) {
            Ok(first) => {
                let binding = first.binding;
                self.first = first;
                if let Some(kind) = binding {
                    self.state = State::AskedBinding;
                    Step::Need(Request::ChannelBinding { kind })
                } else {
                    self.ask_credentials()
                }
            }
            Err(failure) => self.fail(failure),
        }
    }

    fn ask_credentials(&mut self) -> Step {
        self.state = State::AskedCredentials;
        Step::Need(Request::ScramCredentials {
            hash: self.hash,
            authzid: self.first.authzid.clone(),
            authcid: self.first.authcid.clone(),
        })
    }

    fn parse_client_first(&self, message: &[u8]) -> Result<ClientFirst, Failure> {
        let malformed = Failure::Malformed;
        let mut parts = message.splitn(3, |&b| b == b',');
        let (Some(flag), Some(authzid), Some(bare)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("no GS2 header"));
        };
        let binding = match flag {
            b"n" => None,
            b"y" if self.plus_offered => {
                return Err(Failure::ChannelBinding(
                    "the client could bind but saw no -PLUS: a downgrade",
                ));
            }
            b"y" => None,
            [b'p', b'=', name @ ..] => Some(
                ChannelBindingType::from_name(name)
                    .ok_or(Failure::ChannelBinding("unsupported channel-binding type"))?,
            ),
            _ => return Err(malformed("GS2 flag")),
        };
        if self.plus != binding.is_some() {
            return Err(Failure::ChannelBinding(if self.plus {
                "-PLUS without channel binding"
            } else {
                "channel binding without -PLUS"
            }));
        }
        let header_len = flag.len() + authzid.len() + 2;
        let authzid = match authzid {
            [] => None,
            [b'a', b'=', name @ ..] => parse_saslname(name)
                .filter(|n| !n.is_empty())
                .ok_or(malformed("authzid"))
                .and_then(|n| crate::sasl::server::authzid(n.as_bytes()))?,
            _ => return Err(malformed("GS2 authzid")),
        };
        let attributes = attributes(bare).ok_or(malformed("not attribute=value pairs"))?;
        let [(b'n', name), (b'r', nonce), extensions @ ..] = attributes.as_slice() else {
            // `m=` first, a mandatory extension, lands here too.
            return Err(malformed("n, r missing or out of order"));
        };
        if extensions.iter().any(|&(n, _)| n == b'm') {
            return Err(malformed("mandatory extension"));
        }
        // SASLprep as a query, as the client does (RFC 5802 §5.1); it
        // refuses control characters too.
        let authcid = Some(name)
            .filter(|n| n.len() <= crate::sasl::server::NAME_MAX)
            .and_then(|n| parse_saslname(n))
            .and_then(|n| crate::sasl::prepare("user name", n.as_bytes(), Mode::Query).ok())
            .filter(|n| !n.is_empty())
            .and_then(|n| String::from_utf8(n.to_vec()).ok())
            .ok_or(malformed("user name"))?;
        if !valid_nonce(nonce) {
            return Err(malformed("nonce"));
        }
        Ok(ClientFirst {
            gs2_header: message[..header_len].to_vec(),
            binding,
            authzid,
            authcid,
            bare: bare.to_vec(),
            nonce: nonce.to_vec(),
        })
    }

    /// Sends the server-first message for these credentials.
    fn server_first(&mut self, credentials: StoredCredentials) -> Step {
        let mut m = b"r=".to_vec();
        m.extend_from_slice(&self.first.nonce);
        m.extend_from_slice(&self.server_nonce);
        m.extend_from_slice(b",s=");
        m.extend_from_slice(&base64(credentials.salt()));
        m.extend_from_slice(b",i=");
        crate::codec::put_decimal(&mut m, u64::from(credentials.iterations()));
        self.credentials = Some(credentials);
        self.server_first = m.clone();
        self.state = State::SentFirst;
        Step::Challenge(SaslData::from_vec(m))
    }

    /// Fake credentials for an unknown user: a salt that depends only on
    /// the server key and the name, and keys nobody can match.
    fn fake_credentials(&self) -> StoredCredentials {
        let mut input = b"pop3-proto SCRAM fake salt\0".to_vec();
        input.extend_from_slice(self.hash.as_str().as_bytes());
        input.push(0);
        input.extend_from_slice(self.first.authcid.as_bytes());
        let salt = self.hash.hmac(self.fake_key.expose_secret(), &input);
        let keys = Keys::derive(self.hash, &self.hash.hmac(&salt, b"keys"));
        StoredCredentials {
            hash: self.hash,
            salt: salt[..self.fake_salt_len.min(salt.len())].to_vec(),
            iterations: self.fake_iterations,
            stored_key: Secret::new(keys.stored_key),
            server_key: Secret::new(keys.server_key),
        }
    }

    /// Checks the client-final message; sends the server-final.
    fn client_final(&mut self, message: &[u8]) -> Step {
        let malformed = Failure::Malformed;
        let Some(attributes) = attributes(message) else {
            return self.fail(malformed("not attribute=value pairs"));
        };
        let [(b'c', cbind), (b'r', nonce), .., (b'p', proof)] = attributes.as_slice() else {
            return self.fail(malformed("c, r, p missing or out of order"));
        };
        if attributes.len() > 3
            && attributes[2..attributes.len() - 1]
                .iter()
                .any(|a| a.0 == b'p')
        {
            return self.fail(malformed("repeated proof"));
        }
        let full_nonce = [&self.first.nonce[..], &self.server_nonce[..]].concat();
        if *nonce != &full_nonce[..] {
            return self.fail(malformed("nonce"));
        }
        let Ok(cbind) = b64::decode(cbind, true) else {
            return self.fail(malformed("channel binding is not base64"));
        };
        let expected = cbind_input(
            &self.first.gs2_header,
            self.binding_data.as_ref().map(|d| &d.expose_secret()[..]),
        );
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&cbind[..], &expected[..])) {
            return self.fail(Failure::ChannelBinding(
                "channel bindings do not match this connection",
            ));
        }
        let proof = match b64::decode(proof, true) {
            Ok(p) if p.len() == self.hash.output_len() => Zeroizing::new(p),
            _ => return self.fail(malformed("proof")),
        };
        let Some(credentials) = self.credentials.take() else {
            return self.fail(Failure::Rejected);
        };
        // Everything but ",p=...": the proof is the last attribute.
        let without_proof = &message[..message.len() - proof_len(&attributes) - 3];
        let auth = auth_message(&self.first.bare, &self.server_first, without_proof);
        let signature = self
            .hash
            .hmac(credentials.stored_key().expose_secret(), &auth);
        let client_key = xor(&proof, &signature);
        let stored_key = self.hash.hash(&client_key);
        let matches = bool::from(subtle::ConstantTimeEq::ct_eq(
            &stored_key[..],
            &credentials.stored_key().expose_secret()[..],
        ));
        if !matches || self.unknown_user {
            return self.fail(Failure::Rejected);
        }
        let server_signature = self
            .hash
            .hmac(credentials.server_key().expose_secret(), &auth);
        let mut m = b"v=".to_vec();
        m.extend_from_slice(&base64(&server_signature));
        self.server_final = m;
        // The authzid is authorized only now, so that the credentials
        // (and the salt the client saw) never depended on it (SPEC S13).
        if let Some(authzid) = &self.first.authzid {
            self.state = State::AskedAuthorization;
            return Step::Need(Request::Authorize {
                authcid: self.first.authcid.clone(),
                authzid: authzid.clone(),
            });
        }
        self.send_final()
    }

    /// Sends the server-final message.
    fn send_final(&mut self) -> Step {
        self.state = State::SentFinal;
        Step::Challenge(SaslData::from_vec(core::mem::take(&mut self.server_final)))
    }
}

/// The length of the proof's base64 value, the last attribute.
fn proof_len(attributes: &[(u8, &[u8])]) -> usize {
    attributes.last().map_or(0, |(_, v)| v.len())
}

impl ServerMechanism for ScramServer {
    fn mechanism(&self) -> Mechanism<'static> {
        self.hash.mechanism(self.plus)
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<Step, SaslError> {
        if !matches!(self.state, State::Start) {
            return Err(SaslError::OutOfOrder);
        }
        Ok(match initial_response {
            Some(message) => self.client_first(message),
            None => {
                self.state = State::Challenged;
                Step::Challenge(SaslData::from_vec(Vec::new()))
            }
        })
    }

    fn respond(&mut self, response: &[u8]) -> Result<Step, SaslError> {
        Ok(match self.state {
            State::Challenged => self.client_first(response),
            State::SentFirst => self.client_final(response),
            State::SentFinal if response.is_empty() => {
                self.state = State::Done;
                Step::Success(Identity {
                    authcid: Some(core::mem::take(&mut self.first.authcid)),
                    authzid: self.first.authzid.take(),
                })
            }
            State::SentFinal => {
                self.fail(Failure::Malformed("data after the server-final message"))
            }
            _ => return Err(SaslError::OutOfOrder),
        })
    }

    fn answer(&mut self, answer: Answer) -> Result<Step, SaslError> {
        Ok(match (&self.state, answer) {
            (
                State::AskedBinding | State::AskedCredentials | State::AskedAuthorization,
                Answer::Unavailable,
            ) => self.fail(Failure::Unavailable),
            (State::AskedAuthorization, Answer::Accept) => self.send_final(),
            (State::AskedAuthorization, Answer::Reject) => self.fail(Failure::Rejected),
            (State::AskedBinding, Answer::ChannelBinding(data)) => {
                self.binding_data = Some(data);
                self.ask_credentials()
            }
            (State::AskedBinding, Answer::Reject) => self.fail(Failure::ChannelBinding(
                "the server cannot supply this channel-binding type",
            )),
            (State::AskedCredentials, Answer::Scram(credentials)) => {
                if credentials.hash() != self.hash {
                    return Err(SaslError::WrongAnswer);
                }
                self.server_first(credentials)
            }
            (State::AskedCredentials, Answer::Reject) => {
                self.unknown_user = true;
                let fake = self.fake_credentials();
                self.server_first(fake)
            }
            (State::AskedBinding | State::AskedCredentials | State::AskedAuthorization, _) => {
                return Err(SaslError::WrongAnswer);
            }
            _ => return Err(SaslError::OutOfOrder),
        })
    }
}
