//! Runs a client mechanism against a server mechanism through the
//! codec's own lines (the `AUTH` line, `+ ` challenges, base64 response
//! lines, `+OK` / `-ERR`), with an application that answers the server's
//! requests from a one-user database.
#![allow(dead_code)]

use pop3_proto::codec::{CommandDecoder, Decoded, ResponseDecoder, ResponseEvent};
use pop3_proto::sasl::ClientReply;
use pop3_proto::sasl::SaslError;
use pop3_proto::sasl::client::ClientMechanism;
use pop3_proto::sasl::scram::StoredCredentials;
use pop3_proto::sasl::server::{Answer, Failure, Identity, Request, ServerMechanism, Step};
use pop3_proto::types::{Command, Expect, Response, SaslResponse, Secret, Status, Text};
use zeroize::Zeroizing;

/// The server's user database and connection, as the application knows
/// them.
#[derive(Debug, Clone)]
pub struct Db {
    pub user: String,
    pub password: String,
    pub token: String,
    /// The identity EXTERNAL's transport proves.
    pub certificate: Option<String>,
    /// This connection's channel-binding data, as the server sees it.
    pub binding: Vec<u8>,
    pub salt: Vec<u8>,
    pub iterations: u32,
}

impl Db {
    pub fn new(user: &str, password: &str) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
            token: "token-123".into(),
            certificate: None,
            binding: b"channel binding data".to_vec(),
            salt: b"sixteen byte salt".to_vec(),
            iterations: 16,
        }
    }

    fn secret(bytes: &[u8]) -> Secret<Zeroizing<Vec<u8>>> {
        Secret::new(Zeroizing::new(bytes.to_vec()))
    }

    /// What the application answers.
    pub fn answer(&self, request: &Request) -> Answer {
        let verdict = |ok: bool| if ok { Answer::Accept } else { Answer::Reject };
        match request {
            Request::Password {
                authzid,
                authcid,
                password,
            } => verdict(
                *authcid == self.user
                    && authzid.as_ref().is_none_or(|z| *z == self.user)
                    && *password == Self::secret(self.password.as_bytes()),
            ),
            Request::SharedSecret { user } if *user == self.user => {
                Answer::SharedSecret(Self::secret(self.password.as_bytes()))
            }
            // The credentials whatever the authzid: it is authorized
            // after the proof (SPEC S13).
            Request::ScramCredentials { hash, authcid, .. } if *authcid == self.user => {
                Answer::Scram(
                    StoredCredentials::derive(*hash, &self.password, &self.salt, self.iterations)
                        .unwrap(),
                )
            }
            Request::Authorize { authcid, authzid } => {
                verdict(*authcid == self.user && *authzid == self.user)
            }
            Request::ChannelBinding { .. } => {
                Answer::ChannelBinding(Secret::new(self.binding.clone()))
            }
            Request::Token { user, token, .. } => verdict(
                user.as_ref().is_none_or(|u| *u == self.user)
                    && *token == Self::secret(self.token.as_bytes()),
            ),
            Request::External { authzid } => verdict(
                self.certificate.is_some()
                    && authzid
                        .as_ref()
                        .is_none_or(|z| Some(z) == self.certificate.as_ref()),
            ),
            Request::Anonymous { .. } => Answer::Accept,
            _ => Answer::Reject,
        }
    }
}

/// How the exchange ended on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOutcome {
    Success(Identity),
    Failure(Failure),
    /// The client sent `*`.
    Cancelled,
}

/// How the exchange ended on the client: `+OK` and `success()` Ok, or
/// not (with the mechanism's error if it had one).
pub type ClientOutcome = Result<(), Option<SaslError>>;

/// The exchange, both ways, as lines on the wire.
#[derive(Debug, Default)]
pub struct Transcript {
    pub lines: Vec<(char, Vec<u8>)>,
}

/// Runs `client` against `server` with `db` answering; gives both
/// outcomes and the lines exchanged. Every line goes through the codec:
/// encoded by one side, decoded by the other.
pub fn exchange(
    client: &mut dyn ClientMechanism,
    server: &mut dyn ServerMechanism,
    db: &Db,
) -> (ClientOutcome, ServerOutcome, Transcript) {
    let mut transcript = Transcript::default();
    let mut commands = CommandDecoder::default();
    let mut replies = ResponseDecoder::default();
    replies.expect(Expect::Challenge).unwrap();

    let auth = Command::Auth {
        mechanism: client.mechanism(),
        initial_response: client.initial_response().unwrap(),
    }
    .to_vec();
    transcript.lines.push(('C', auth.clone()));
    let Ok(Decoded::Value {
        value: Command::Auth {
            mechanism,
            initial_response,
        },
        ..
    }) = commands.decode(&auth)
    else {
        panic!("the AUTH line decodes");
    };
    assert_eq!(mechanism, server.mechanism());
    let mut step = server
        .start(
            initial_response
                .as_ref()
                .map(|d| d.expose_secret().as_bytes()),
        )
        .unwrap();
    let mut client_error = None;
    for _ in 0..32 {
        let (reply, server_outcome) = match step {
            Step::Need(request) => {
                step = server.answer(db.answer(&request)).unwrap();
                continue;
            }
            Step::Challenge(data) => (Response::Challenge(data), None),
            Step::Success(identity) => (
                Response::Status(Status::ok(Text::try_from("done").unwrap()).unwrap()),
                Some(ServerOutcome::Success(identity)),
            ),
            Step::Failure(failure) => (
                Response::Status(Status::err(Text::try_from("no").unwrap()).unwrap()),
                Some(ServerOutcome::Failure(failure)),
            ),
            _ => unreachable!(),
        };
        let reply = reply.to_vec();
        transcript.lines.push(('S', reply.clone()));
        let Ok(Decoded::Value {
            value: ResponseEvent::Line(line),
            ..
        }) = replies.decode(&reply)
        else {
            panic!("the server's line decodes");
        };
        match (line, server_outcome) {
            (Response::Status(status), Some(server_outcome)) => {
                let client_outcome = if status.is_ok() {
                    client.success().map_err(Some)
                } else {
                    Err(client_error)
                };
                return (client_outcome, server_outcome, transcript);
            }
            (Response::Challenge(data), None) => {
                let answer = match client.respond(data.as_bytes()) {
                    Ok(ClientReply::Data(data)) => SaslResponse::Data(data),
                    Ok(ClientReply::Cancel) => SaslResponse::Cancel,
                    Err(e) => {
                        client_error = Some(e);
                        SaslResponse::Cancel
                    }
                };
                let answer = answer.to_vec();
                transcript.lines.push(('C', answer.clone()));
                match commands.decode_sasl(&answer) {
                    Ok(Decoded::Value {
                        value: SaslResponse::Data(data),
                        ..
                    }) => step = server.respond(data.expose_secret().as_bytes()).unwrap(),
                    Ok(Decoded::Value {
                        value: SaslResponse::Cancel,
                        ..
                    }) => return (Err(client_error), ServerOutcome::Cancelled, transcript),
                    other => panic!("the client's line decodes: {other:?}"),
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("the exchange did not end in 32 steps");
}
