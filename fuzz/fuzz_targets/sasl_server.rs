//! Every server mechanism fed arbitrary client messages, with an
//! application whose answers the input picks too.
//!
//! Input: `[selector, answers, data...]`. `selector % 12` picks the
//! mechanism, and `selector & 0x80` whether the first message is the
//! initial response (else the exchange starts with `start(None)`).
//! `data` is cut at each 0xff into the client's messages. Each request
//! gets the answer the next two bits of `answers` pick: a yes (the real
//! answer: accept, the right secret or credentials, the channel-binding
//! data), a no, "unavailable", or an answer of the wrong kind. SCRAM's
//! stored iteration count is 1 so that each run stays cheap.
//!
//! Invariants: no panic; a challenge is never much longer than the
//! message it answers (bounded work); success only after the application
//! said yes; a wrong answer is `WrongAnswer` and leaves the request open;
//! once the exchange ends, every further step is `OutOfOrder`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3_proto::sasl::SaslError;
use pop3_proto::sasl::scram::{ScramHash, ScramServer, StoredCredentials};
use pop3_proto::sasl::server::{
    Anonymous, Answer, CramMd5, External, Login, OAuthBearer, Plain, Request, ServerMechanism,
    Step, XOAuth2,
};
use pop3_proto::types::Secret;
use zeroize::Zeroizing;

fn mechanism(selector: u8) -> Box<dyn ServerMechanism> {
    let scram = |hash, plus: bool| {
        Box::new(if plus {
            ScramServer::new_plus(hash, "server-nonce", "key").unwrap()
        } else {
            ScramServer::new(hash, "server-nonce", "key")
                .unwrap()
                .with_plus_offered(selector & 0x40 != 0)
        })
    };
    match selector % 12 {
        0 => Box::new(Plain::new()),
        1 => Box::new(Login::new()),
        2 => Box::new(CramMd5::new("<1.2@pop.example>").unwrap()),
        3 => Box::new(External::new()),
        4 => Box::new(Anonymous::new()),
        5 => Box::new(XOAuth2::new()),
        6 => Box::new(OAuthBearer::new()),
        7 => scram(ScramHash::Sha1, false),
        8 => scram(ScramHash::Sha256, false),
        9 => scram(ScramHash::Sha1, true),
        10 => scram(ScramHash::Sha256, true),
        _ => Box::new(Plain::new()),
    }
}

/// The real answer to `request`: what an application that knows the
/// user would say.
fn yes(request: &Request) -> Answer {
    match request {
        Request::SharedSecret { .. } => {
            Answer::SharedSecret(Secret::new(Zeroizing::new(b"tanstaaftanstaaf".to_vec())))
        }
        Request::ScramCredentials { hash, .. } => {
            Answer::Scram(StoredCredentials::derive(*hash, "pencil", b"salt", 1).unwrap())
        }
        Request::ChannelBinding { .. } => Answer::ChannelBinding(Secret::new(b"cb".to_vec())),
        _ => Answer::Accept,
    }
}

/// An answer of the wrong kind for `request`.
fn wrong(request: &Request) -> Answer {
    match request {
        Request::SharedSecret { .. } | Request::ScramCredentials { .. } => Answer::Accept,
        _ => Answer::SharedSecret(Secret::new(Zeroizing::new(b"x".to_vec()))),
    }
}

fuzz_target!(|input: &[u8]| {
    let [selector, answers, data @ ..] = input else {
        return;
    };
    let mut mech = mechanism(*selector);
    let _ = mech.mechanism();
    let mut messages = data.split(|&b| b == 0xff);
    let mut step = if selector & 0x80 != 0 {
        let first = messages.next().unwrap_or_default();
        (mech.start(Some(first)).unwrap(), first.len())
    } else {
        (mech.start(None).unwrap(), 0)
    };
    let mut answers = *answers;
    let mut said_yes = false;
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 64, "an exchange that does not end");
        step = match step {
            (Step::Need(request), len) => {
                let pick = answers & 3;
                answers = answers.rotate_right(2);
                let answer = match pick {
                    0 => {
                        said_yes = true;
                        yes(&request)
                    }
                    1 => Answer::Reject,
                    2 => Answer::Unavailable,
                    _ => {
                        assert_eq!(
                            mech.answer(wrong(&request)),
                            Err(SaslError::WrongAnswer),
                            "{request:?}"
                        );
                        // The request is still open: answer it for real.
                        said_yes = true;
                        yes(&request)
                    }
                };
                (mech.answer(answer).unwrap(), len)
            }
            (Step::Challenge(challenge), len) => {
                assert!(
                    challenge.as_bytes().len() <= len * 2 + 512,
                    "a {}-byte challenge for a {len}-byte message",
                    challenge.as_bytes().len()
                );
                let Some(message) = messages.next() else {
                    return;
                };
                (mech.respond(message).unwrap(), message.len())
            }
            (Step::Success(_), _) => {
                assert!(said_yes, "success without the application's yes");
                break;
            }
            (Step::Failure(_), _) => break,
            (_, _) => unreachable!("a new kind of step"),
        };
    }
    assert_eq!(mech.respond(b""), Err(SaslError::OutOfOrder));
    assert_eq!(mech.answer(Answer::Accept), Err(SaslError::OutOfOrder));
    assert_eq!(mech.start(None), Err(SaslError::OutOfOrder));
});
