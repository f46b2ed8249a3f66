//! Our client mechanisms against our server mechanisms, through the
//! codec's lines: for random credentials both sides always agree on the
//! outcome, the right password always succeeds, and a wrong one always
//! fails on both sides.

mod sasl_support;

use pop3_proto::sasl::client::{
    Anonymous, ClientMechanism, CramMd5, External, Login, OAuthBearer, Plain, XOAuth2,
};
use pop3_proto::sasl::scram::{
    ChannelBinding, ChannelBindingType, ScramClient, ScramHash, ScramServer,
};
use pop3_proto::sasl::server::{self, Failure, ServerMechanism};
use pop3_proto::types::Secret;
use proptest::prelude::*;
use sasl_support::{Db, ServerOutcome, exchange};

/// The password mechanisms, by name: a client for `user`/`password` and a
/// fresh server.
fn password_pair(
    name: &str,
    user: &str,
    password: &str,
    binding: &[u8],
) -> Option<(Box<dyn ClientMechanism>, Box<dyn ServerMechanism>)> {
    let plus = |hash| {
        let data = ChannelBinding::Plus {
            kind: ChannelBindingType::TlsExporter,
            data: Secret::new(binding.to_vec()),
        };
        let client = ScramClient::new(hash, user, password, "client-nonce", data)
            .ok()?
            .with_iterations(1, 4096);
        let server = ScramServer::new_plus(hash, "server-nonce", "fake key").unwrap();
        Some((Box::new(client) as _, Box::new(server) as _))
    };
    let scram = |hash| {
        let client = ScramClient::new(hash, user, password, "client-nonce", ChannelBinding::None)
            .ok()?
            .with_iterations(1, 4096);
        let server = ScramServer::new(hash, "server-nonce", "fake key").unwrap();
        Some((Box::new(client) as _, Box::new(server) as _))
    };
    match name {
        "PLAIN" => Some((
            Box::new(Plain::new(user, password).ok()?),
            Box::new(server::Plain::new()),
        )),
        "LOGIN" => Some((
            Box::new(Login::new(user, password).ok()?),
            Box::new(server::Login::new()),
        )),
        "CRAM-MD5" => Some((
            Box::new(CramMd5::new(user, password).ok()?),
            Box::new(server::CramMd5::new("<12345.67890@pop.example>").unwrap()),
        )),
        "SCRAM-SHA-1" => scram(ScramHash::Sha1),
        "SCRAM-SHA-256" => scram(ScramHash::Sha256),
        "SCRAM-SHA-1-PLUS" => plus(ScramHash::Sha1),
        "SCRAM-SHA-256-PLUS" => plus(ScramHash::Sha256),
        _ => unreachable!(),
    }
}

const PASSWORD_MECHANISMS: [&str; 7] = [
    "PLAIN",
    "LOGIN",
    "CRAM-MD5",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256-PLUS",
];

/// User names and passwords with the characters that need care: `,` and
/// `=` (SCRAM's escapes), spaces, `@`, non-ASCII letters.
fn credential() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,=@._é\u{00df}\u{4e2d}-]{1,24}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn password_mechanisms_agree(
        user in credential(),
        password in credential(),
        wrong in credential(),
    ) {
        let db = Db::new(&user, &password);
        for mechanism in PASSWORD_MECHANISMS {
            let Some((mut client, mut server)) =
                password_pair(mechanism, &user, &password, &db.binding)
            else {
                // The client refuses these credentials for this mechanism
                // (a space in a CRAM-MD5 name): nothing to exchange.
                continue;
            };
            let (c, s, t) = exchange(client.as_mut(), server.as_mut(), &db);
            prop_assert_eq!(&c, &Ok(()), "{} client: {:?}", mechanism, t);
            let ServerOutcome::Success(identity) = &s else {
                return Err(TestCaseError::fail(format!("{mechanism} server: {s:?} {t:?}")));
            };
            prop_assert_eq!(identity.user(), Some(user.as_str()));

            if wrong == password {
                continue;
            }
            let (mut client, mut server) =
                password_pair(mechanism, &user, &wrong, &db.binding).unwrap();
            let (c, s, t) = exchange(client.as_mut(), server.as_mut(), &db);
            prop_assert!(c.is_err(), "{} client accepted a wrong password: {:?}", mechanism, t);
            prop_assert!(
                matches!(s, ServerOutcome::Failure(Failure::Rejected)),
                "{} server: {:?} {:?}", mechanism, s, t
            );
        }
    }

    /// An unknown user fails like a wrong password, on both sides.
    #[test]
    fn unknown_users_fail_on_both_sides(user in credential(), other in credential()) {
        prop_assume!(user != other);
        let db = Db::new(&other, "password");
        for mechanism in PASSWORD_MECHANISMS {
            let Some((mut client, mut server)) =
                password_pair(mechanism, &user, "password", &db.binding)
            else {
                continue;
            };
            let (c, s, t) = exchange(client.as_mut(), server.as_mut(), &db);
            prop_assert!(c.is_err());
            prop_assert!(
                matches!(s, ServerOutcome::Failure(Failure::Rejected)),
                "{} server: {:?} {:?}", mechanism, s, t
            );
        }
    }

    /// -PLUS binds the exchange to the connection: different data on the
    /// two ends (a man in the middle) fails on both.
    #[test]
    fn plus_fails_when_the_channels_differ(
        client_data in proptest::collection::vec(any::<u8>(), 1..48),
        server_data in proptest::collection::vec(any::<u8>(), 1..48),
        sha256 in any::<bool>(),
    ) {
        prop_assume!(client_data != server_data);
        let mut db = Db::new("user", "pencil");
        db.binding = server_data;
        let name = if sha256 { "SCRAM-SHA-256-PLUS" } else { "SCRAM-SHA-1-PLUS" };
        let (mut client, mut server) = password_pair(name, "user", "pencil", &client_data).unwrap();
        let (c, s, _) = exchange(client.as_mut(), server.as_mut(), &db);
        prop_assert!(c.is_err());
        prop_assert!(matches!(s, ServerOutcome::Failure(Failure::ChannelBinding(_))), "{:?}", s);
    }

    #[test]
    fn token_mechanisms_agree(
        user in "[a-zA-Z0-9@._-]{1,24}",
        token in "[a-zA-Z0-9._~+/=-]{1,40}",
        wrong in "[a-zA-Z0-9._~+/=-]{1,40}",
        bearer in any::<bool>(),
    ) {
        let mut db = Db::new(&user, "unused");
        db.token = token.clone();
        let pair = |token: &str| -> (Box<dyn ClientMechanism>, Box<dyn ServerMechanism>) {
            if bearer {
                (
                    Box::new(OAuthBearer::new(&user, Some("pop.example"), Some(995), token).unwrap()),
                    Box::new(server::OAuthBearer::new()),
                )
            } else {
                (Box::new(XOAuth2::new(&user, token).unwrap()), Box::new(server::XOAuth2::new()))
            }
        };
        let (mut client, mut server) = pair(&token);
        let (c, s, t) = exchange(client.as_mut(), server.as_mut(), &db);
        prop_assert_eq!(c, Ok(()), "{:?}", t);
        prop_assert!(matches!(s, ServerOutcome::Success(_)));

        prop_assume!(wrong != token);
        let (mut client, mut server) = pair(&wrong);
        let (c, s, t) = exchange(client.as_mut(), server.as_mut(), &db);
        // The error challenge, the client's reply to it, the failure.
        prop_assert_eq!(t.lines.len(), 4, "{:?}", t);
        prop_assert_eq!(c, Err(None), "the client sees the -ERR");
        prop_assert_eq!(t.lines[1].1[..2].to_vec(), b"+ ".to_vec(), "the error challenge");
        prop_assert!(matches!(s, ServerOutcome::Failure(Failure::Rejected)));
    }
}

#[test]
fn external_and_anonymous_agree() {
    let mut db = Db::new("fred", "unused");
    let run = |client: &mut dyn ClientMechanism, server: &mut dyn ServerMechanism, db: &Db| {
        let (c, s, _) = exchange(client, server, db);
        (c.is_ok(), s)
    };
    // No certificate: EXTERNAL fails on both sides.
    let (ok, s) = run(
        &mut External::new("").unwrap(),
        &mut server::External::new(),
        &db,
    );
    assert!(!ok);
    assert_eq!(s, ServerOutcome::Failure(Failure::Rejected));
    db.certificate = Some("fred@example.com".into());
    let (ok, s) = run(
        &mut External::new("").unwrap(),
        &mut server::External::new(),
        &db,
    );
    assert!(ok, "{s:?}");
    let (ok, _) = run(
        &mut External::new("fred@example.com").unwrap(),
        &mut server::External::new(),
        &db,
    );
    assert!(ok);
    let (ok, _) = run(
        &mut External::new("root").unwrap(),
        &mut server::External::new(),
        &db,
    );
    assert!(!ok);
    let (ok, s) = run(
        &mut Anonymous::new("sirhc").unwrap(),
        &mut server::Anonymous::new(),
        &db,
    );
    assert!(ok);
    assert!(matches!(s, ServerOutcome::Success(id) if id.user().is_none()));
}

/// A client cancel (`*`) ends the exchange on the server; a client that
/// refuses a bad server message cancels.
#[test]
fn a_client_error_is_a_cancel() {
    let db = Db::new("user", "pencil");
    // A SCRAM client with a floor above the server's count refuses the
    // server-first and sends `*`.
    let mut client = ScramClient::new(
        ScramHash::Sha256,
        "user",
        "pencil",
        "cn",
        ChannelBinding::None,
    )
    .unwrap();
    let mut server = ScramServer::new(ScramHash::Sha256, "sn", "k").unwrap();
    let (c, s, t) = exchange(&mut client, &mut server, &db);
    assert!(
        matches!(c, Err(Some(pop3_proto::sasl::SaslError::ServerError(_)))),
        "{c:?}"
    );
    assert_eq!(s, ServerOutcome::Cancelled);
    assert_eq!(t.lines.last().unwrap(), &('C', b"*\r\n".to_vec()));
}
