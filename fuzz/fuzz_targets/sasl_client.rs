//! Every client mechanism fed arbitrary challenges.
//!
//! Input: `[selector, data...]`; `selector % 9` picks the mechanism and
//! `data` is cut at each 0xff into the challenges (already decoded), fed
//! in order after the initial response. SCRAM's iteration range is
//! lowered to 1..=64 so that each run stays cheap.
//!
//! Invariants: no panic; a reply is never much longer than the challenge
//! and the credentials (bounded work); once a mechanism refuses a
//! challenge or sends `*`, its `success` is an error or it was already
//! complete; `success` twice in a row never turns an error into success.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3_proto::sasl::ClientReply;
use pop3_proto::sasl::client::{
    Anonymous, ClientMechanism, CramMd5, External, Login, OAuthBearer, Plain, XOAuth2,
};
use pop3_proto::sasl::scram::{ChannelBinding, ScramClient, ScramHash};

fn mechanism(selector: u8) -> Box<dyn ClientMechanism> {
    let scram = |hash| {
        Box::new(
            ScramClient::new(
                hash,
                "user",
                "pencil",
                "fyko+d2lbbFgONRv9qkxdawL",
                ChannelBinding::None,
            )
            .unwrap()
            .with_iterations(1, 64),
        )
    };
    match selector % 9 {
        0 => Box::new(Plain::new("tim", "tanstaaf").unwrap()),
        1 => Box::new(Login::new("tim", "tanstaaf").unwrap()),
        2 => Box::new(CramMd5::new("tim", "tanstaaftanstaaf").unwrap()),
        3 => Box::new(External::new("").unwrap()),
        4 => Box::new(Anonymous::new("trace").unwrap()),
        5 => Box::new(XOAuth2::new("user", "token").unwrap()),
        6 => Box::new(OAuthBearer::new("user", Some("host"), Some(110), "token").unwrap()),
        7 => scram(ScramHash::Sha1),
        _ => scram(ScramHash::Sha256),
    }
}

fuzz_target!(|input: &[u8]| {
    let [selector, data @ ..] = input else {
        return;
    };
    let mut mech = mechanism(*selector);
    let _ = mech.mechanism();
    let _ = mech.initial_response();
    for challenge in data.split(|&b| b == 0xff) {
        match mech.respond(challenge) {
            Ok(ClientReply::Data(reply)) => {
                let len = reply.expose_secret().as_bytes().len();
                assert!(
                    len <= challenge.len() * 2 + 256,
                    "a {len}-byte reply to a {}-byte challenge",
                    challenge.len()
                );
            }
            Ok(ClientReply::Cancel) => break,
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
    let first = mech.success();
    let second = mech.success();
    if first.is_err() {
        assert!(second.is_err(), "success after a failed success()");
    }
});
