//! The server side of the SASL mechanisms against the known answers of
//! their RFCs (SPEC V3-V8), the channel-binding and unknown-user rules of
//! SCRAM (RFC 5802 §6, SPEC S13), and hostile client messages (SPEC S11).

use pop3_proto::sasl::SaslError;
use pop3_proto::sasl::scram::{
    ChannelBinding, ChannelBindingType, ScramClient, ScramHash, ScramServer, StoredCredentials,
};
use pop3_proto::sasl::server::{
    Anonymous, Answer, CramMd5, External, Failure, Identity, Login, OAuthBearer, OAuthError, Plain,
    Request, ServerMechanism, Step, XOAuth2,
};
use pop3_proto::types::Secret;
use zeroize::Zeroizing;

fn challenge(step: Step) -> Vec<u8> {
    match step {
        Step::Challenge(data) => data.as_bytes().to_vec(),
        other => panic!("not a challenge: {other:?}"),
    }
}

fn need(step: Step) -> Request {
    match step {
        Step::Need(request) => request,
        other => panic!("not a request: {other:?}"),
    }
}

fn success(step: Step) -> Identity {
    match step {
        Step::Success(identity) => identity,
        other => panic!("not a success: {other:?}"),
    }
}

fn failure(step: Step) -> Failure {
    match step {
        Step::Failure(failure) => failure,
        other => panic!("not a failure: {other:?}"),
    }
}

fn user(name: &str) -> Identity {
    let mut id = Identity::default();
    id.authcid = Some(name.into());
    id
}

fn password(request: &Request) -> (&Option<String>, &str, &[u8]) {
    match request {
        Request::Password {
            authzid,
            authcid,
            password,
        } => (authzid, authcid, password.expose_secret()),
        other => panic!("{other:?}"),
    }
}

// RFC 4616 §4: the two examples.
#[test]
fn v4_plain_rfc4616_examples() {
    let mut mech = Plain::new();
    let request = need(mech.start(Some(b"\0tim\0tanstaaftanstaaf")).unwrap());
    assert_eq!(password(&request), (&None, "tim", &b"tanstaaftanstaaf"[..]));
    assert_eq!(success(mech.answer(Answer::Accept).unwrap()), user("tim"));

    let mut mech = Plain::new();
    let request = need(mech.start(Some(b"Ursel\0Kurt\0xipj3plmq")).unwrap());
    assert_eq!(
        password(&request),
        (&Some("Ursel".into()), "Kurt", &b"xipj3plmq"[..])
    );
    let id = success(mech.answer(Answer::Accept).unwrap());
    assert_eq!(id.user(), Some("Ursel"));
    assert_eq!(id.authcid.as_deref(), Some("Kurt"));

    // The two-step form, and a refusal.
    let mut mech = Plain::new();
    assert_eq!(challenge(mech.start(None).unwrap()), b"");
    need(mech.respond(b"\0tim\0wrong").unwrap());
    assert_eq!(
        failure(mech.answer(Answer::Reject).unwrap()),
        Failure::Rejected
    );
    assert_eq!(Failure::Rejected.code(), Some("AUTH"));
    // Debug never shows the password.
    let mut mech = Plain::new();
    let request = need(mech.start(Some(b"\0tim\0hunter2")).unwrap());
    assert!(!format!("{request:?}").contains("hunter2"));
}

// S11: malformed PLAIN messages are failures, never panics.
#[test]
fn s11_plain_hostile_messages() {
    for bad in [
        &b""[..],
        b"\0",
        b"tim",
        b"\0tim",
        b"\0tim\0",
        b"\0\0secret",
        b"a\0b\0c\0d",
        b"\0t\xffm\0secret",
        b"\0tim\0pass\x07",
        b"\0tim\x01\0secret",
    ] {
        let mut mech = Plain::new();
        let step = mech.start(Some(bad)).unwrap();
        assert!(
            matches!(failure(step), Failure::Malformed(_)),
            "{bad:?} must be malformed"
        );
        assert_eq!(mech.respond(b"x"), Err(SaslError::OutOfOrder));
        assert_eq!(mech.answer(Answer::Accept), Err(SaslError::OutOfOrder));
    }
    let long = [&b"\0tim\0"[..], &vec![b'x'; 100_000]].concat();
    assert!(matches!(
        failure(Plain::new().start(Some(&long)).unwrap()),
        Failure::Malformed(_)
    ));
}

// The caller's mistakes are errors, not steps.
#[test]
fn misuse_is_a_local_error() {
    let mut mech = Plain::new();
    assert_eq!(mech.answer(Answer::Accept), Err(SaslError::OutOfOrder));
    assert_eq!(mech.respond(b"x"), Err(SaslError::OutOfOrder));
    need(mech.start(Some(b"\0a\0b")).unwrap());
    assert_eq!(mech.start(None), Err(SaslError::OutOfOrder));
    assert_eq!(
        mech.answer(Answer::SharedSecret(Secret::new(Zeroizing::new(vec![1])))),
        Err(SaslError::WrongAnswer)
    );
    // The wrong answer did not end the exchange.
    success(mech.answer(Answer::Accept).unwrap());
    assert_eq!(mech.answer(Answer::Accept), Err(SaslError::OutOfOrder));
}

// RFC 2195 §2's example, from the server's side.
#[test]
fn v3_cram_md5_rfc2195_server() {
    let mut mech = CramMd5::new("<1896.697170952@postoffice.reston.mci.net>").unwrap();
    assert_eq!(
        challenge(mech.start(None).unwrap()),
        b"<1896.697170952@postoffice.reston.mci.net>"
    );
    let request = need(
        mech.respond(b"tim b913a602c7eda7a495b4e6e7334d3890")
            .unwrap(),
    );
    assert_eq!(request, Request::SharedSecret { user: "tim".into() });
    let secret = |s: &str| Answer::SharedSecret(Secret::new(Zeroizing::new(s.into())));
    assert_eq!(
        success(mech.answer(secret("tanstaaftanstaaf")).unwrap()),
        user("tim")
    );
    // A wrong secret, an unknown user, and a client that speaks first.
    let mut mech = CramMd5::new("<1.2@h>").unwrap();
    challenge(mech.start(None).unwrap());
    need(
        mech.respond(b"tim b913a602c7eda7a495b4e6e7334d3890")
            .unwrap(),
    );
    assert_eq!(
        failure(mech.answer(secret("tanstaaftanstaaf")).unwrap()),
        Failure::Rejected
    );
    let mut mech = CramMd5::new("<1.2@h>").unwrap();
    challenge(mech.start(None).unwrap());
    need(
        mech.respond(b"nobody 00000000000000000000000000000000")
            .unwrap(),
    );
    assert_eq!(
        failure(mech.answer(Answer::Reject).unwrap()),
        Failure::Rejected
    );
    let mut mech = CramMd5::new("<1.2@h>").unwrap();
    assert!(matches!(
        failure(mech.start(Some(b"tim")).unwrap()),
        Failure::Malformed(_)
    ));
    assert!(CramMd5::new("").is_err());
    assert!(CramMd5::new("a\r\nb").is_err());
}

// The LOGIN draft: any client takes the prompts; an initial response is
// the user name.
#[test]
fn login_prompts_and_initial_response() {
    let mut mech = Login::new();
    assert_eq!(challenge(mech.start(None).unwrap()), b"Username:");
    assert_eq!(challenge(mech.respond(b"tim").unwrap()), b"Password:");
    let request = need(mech.respond(b"tanstaaf").unwrap());
    assert_eq!(password(&request), (&None, "tim", &b"tanstaaf"[..]));
    assert_eq!(success(mech.answer(Answer::Accept).unwrap()), user("tim"));

    let mut mech = Login::new();
    assert_eq!(challenge(mech.start(Some(b"tim")).unwrap()), b"Password:");
    need(mech.respond(b"x").unwrap());
    assert_eq!(
        failure(mech.answer(Answer::Unavailable).unwrap()),
        Failure::Unavailable
    );
    assert_eq!(Failure::Unavailable.code(), Some("SYS/TEMP"));

    for bad in [&b""[..], b"a\0b", b"\xff"] {
        let mut mech = Login::new();
        challenge(mech.start(None).unwrap());
        assert!(matches!(
            failure(mech.respond(bad).unwrap()),
            Failure::Malformed(_)
        ));
    }
}

// RFC 4422 appendix A and RFC 4505 §3 ("sirhc").
#[test]
fn external_and_anonymous() {
    let mut mech = External::new();
    assert_eq!(
        need(mech.start(Some(b"")).unwrap()),
        Request::External { authzid: None }
    );
    let id = success(mech.answer(Answer::Accept).unwrap());
    assert_eq!((id.authcid.as_deref(), id.user()), (None, None));
    let mut mech = External::new();
    assert_eq!(challenge(mech.start(None).unwrap()), b"");
    assert_eq!(
        need(mech.respond(b"fred@example.com").unwrap()),
        Request::External {
            authzid: Some("fred@example.com".into())
        }
    );
    assert_eq!(
        failure(mech.answer(Answer::Reject).unwrap()),
        Failure::Rejected
    );

    let mut mech = Anonymous::new();
    assert_eq!(challenge(mech.start(None).unwrap()), b"");
    assert_eq!(
        need(mech.respond(b"sirhc").unwrap()),
        Request::Anonymous {
            trace: "sirhc".into()
        }
    );
    success(mech.answer(Answer::Accept).unwrap());
    let long = "é".repeat(256);
    assert!(matches!(
        failure(Anonymous::new().start(Some(long.as_bytes())).unwrap()),
        Failure::Malformed(_)
    ));
    assert!(matches!(
        need(
            Anonymous::new()
                .start(Some("é".repeat(255).as_bytes()))
                .unwrap()
        ),
        Request::Anonymous { .. }
    ));
}

fn token_request(request: Request) -> (Option<String>, Vec<u8>, Option<String>, Option<u16>) {
    match request {
        Request::Token {
            user,
            token,
            host,
            port,
        } => (user, token.expose_secret().to_vec(), host, port),
        other => panic!("{other:?}"),
    }
}

// RFC 7628 §4.1 and §4.3, from the server's side.
#[test]
fn v7_oauthbearer_rfc7628_examples() {
    let mut mech = OAuthBearer::new();
    let request = need(
        mech.start(Some(
            b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01",
        ))
        .unwrap(),
    );
    assert_eq!(
        token_request(request),
        (
            Some("user@example.com".into()),
            b"vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==".to_vec(),
            Some("server.example.com".into()),
            Some(143)
        )
    );
    assert_eq!(
        success(mech.answer(Answer::Accept).unwrap()),
        user("user@example.com")
    );

    // §4.3: an empty auth= asks for the scope; the error challenge is
    // the RFC's own bytes, and the failure follows the client's AQ==.
    let mut mech = OAuthBearer::new();
    let (_, token, _, _) = token_request(need(
        mech.start(Some(
            b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=\x01\x01",
        ))
        .unwrap(),
    ));
    assert!(token.is_empty());
    let error = OAuthError::new("invalid_token")
        .with_scope("example_scope")
        .with_openid_configuration("https://example.com/.well-known/openid-configuration");
    assert_eq!(
        challenge(mech.answer(Answer::RejectToken(error)).unwrap()),
        br#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#
    );
    assert_eq!(failure(mech.respond(b"\x01").unwrap()), Failure::Rejected);
    assert_eq!(mech.respond(b"\x01"), Err(SaslError::OutOfOrder));
}

#[test]
fn s11_oauthbearer_hostile_messages() {
    for bad in [
        &b""[..],
        b"n,,",
        b"n,,\x01auth=Bearer t\x01",
        b"n,,\x01auth=Bearer t",
        b"n,,auth=Bearer t\x01\x01",
        b"n,,\x01auth=Basic dXNlcg==\x01\x01",
        b"n,,\x01port=99999\x01auth=Bearer t\x01\x01",
        b"n,,\x01port=+1\x01auth=Bearer t\x01\x01",
        b"n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01",
        b"n,,\x01host=a\x01\x01",
        b"n,,\x01noequals\x01auth=Bearer t\x01\x01",
        b"n,a=,\x01auth=Bearer t\x01\x01",
        b"n,a=x=41,\x01auth=Bearer t\x01\x01",
        // RFC 7628 §4.4's own header, which its errata corrects.
        b"n,user=someuser@example.com,\x01auth=Bearer t\x01\x01",
        // §3.1: a port is positive, without leading zeros; a value is
        // VCHAR, SP, HTAB, CR and LF only, in every pair.
        b"n,,\x01port=0\x01auth=Bearer t\x01\x01",
        b"n,,\x01port=0143\x01auth=Bearer t\x01\x01",
        b"n,,\x01auth=Bearer t\x00u\x01\x01",
        b"n,,\x01auth=Bearer t\xc3\xa9\x01\x01",
        b"n,,\x01ext=\x00\x01auth=Bearer t\x01\x01",
        b"n,,\x01ext=\xff\x01auth=Bearer t\x01\x01",
        b"n,,\x01host=\x7f\x01auth=Bearer t\x01\x01",
    ] {
        let step = OAuthBearer::new().start(Some(bad)).unwrap();
        assert!(
            matches!(failure(step), Failure::Malformed(_)),
            "{bad:?} must be malformed"
        );
    }
    // Channel binding is not part of OAUTHBEARER.
    let step = OAuthBearer::new()
        .start(Some(b"p=tls-exporter,,\x01auth=Bearer t\x01\x01"))
        .unwrap();
    assert!(matches!(failure(step), Failure::ChannelBinding(_)));
    // Unknown keys are extensions and are ignored.
    let (name, token, ..) = token_request(need(
        OAuthBearer::new()
            .start(Some(b"y,,\x01ext=1\x01auth=bearer t\x01\x01"))
            .unwrap(),
    ));
    assert_eq!((name, token), (None, b"t".to_vec()));
    let (.., port) = token_request(need(
        OAuthBearer::new()
            .start(Some(
                b"n,,\x01ext=a b\tc\r\n\x01port=65535\x01auth=Bearer t\x01\x01",
            ))
            .unwrap(),
    ));
    assert_eq!(port, Some(65535));
}

// Google's XOAUTH2: the error challenge is JSON, the client answers
// with an empty line, then the failure.
#[test]
fn v8_xoauth2_google_format() {
    let mut mech = XOAuth2::new();
    let request = need(
        mech.start(Some(
            b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01",
        ))
        .unwrap(),
    );
    let (name, token, ..) = token_request(request);
    assert_eq!(name.as_deref(), Some("someuser@example.com"));
    assert_eq!(token, b"ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    assert_eq!(
        challenge(mech.answer(Answer::Reject).unwrap()),
        br#"{"status":"401"}"#
    );
    assert_eq!(failure(mech.respond(b"").unwrap()), Failure::Rejected);

    let mut mech = XOAuth2::new();
    assert_eq!(challenge(mech.start(None).unwrap()), b"");
    need(mech.respond(b"user=u\x01auth=Bearer t\x01\x01").unwrap());
    assert_eq!(success(mech.answer(Answer::Accept).unwrap()), user("u"));

    for bad in [
        &b"user=u\x01auth=Bearer t\x01"[..],
        b"auth=Bearer t\x01user=u\x01\x01",
        b"user=\x01auth=Bearer t\x01\x01",
        b"user=u\x01auth=Bearer \x01\x01",
        b"user=u\x01\x01",
    ] {
        let step = XOAuth2::new().start(Some(bad)).unwrap();
        assert!(matches!(failure(step), Failure::Malformed(_)), "{bad:?}");
    }
}

/// Base64 for the RFC vectors.
fn unbase64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        bits = bits << 6 | ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// A SCRAM exchange from the server's side with the client's two
/// messages; returns the server's two challenges and the outcome.
fn scram_server_exchange(
    mut server: ScramServer,
    client_first: &[u8],
    credentials: Option<StoredCredentials>,
    client_final: &[u8],
) -> (Vec<Vec<u8>>, Step) {
    let request = need(server.start(Some(client_first)).unwrap());
    assert!(
        matches!(request, Request::ScramCredentials { .. }),
        "{request:?}"
    );
    let answer = credentials.map_or(Answer::Reject, Answer::Scram);
    let first = challenge(server.answer(answer).unwrap());
    let step = server.respond(client_final).unwrap();
    let Step::Challenge(last) = step else {
        return (vec![first], step);
    };
    let outcome = server.respond(b"").unwrap();
    (vec![first, last.as_bytes().to_vec()], outcome)
}

#[test]
fn scram_sha1_rfc5802_section5_server() {
    let creds = StoredCredentials::derive(
        ScramHash::Sha1,
        "pencil",
        unbase64("QSXCR+Q6sek8bf92"),
        4096,
    )
    .unwrap();
    let server = ScramServer::new(ScramHash::Sha1, "3rfcNHYJY1ZVvWVs7j", "fake key").unwrap();
    let (sent, outcome) = scram_server_exchange(
        server,
        b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
        Some(creds),
        b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    );
    assert_eq!(
        sent[0],
        b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
    );
    assert_eq!(sent[1], b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    assert_eq!(success(outcome), user("user"));
}

#[test]
fn scram_sha256_rfc7677_section3_server() {
    let creds = StoredCredentials::derive(
        ScramHash::Sha256,
        "pencil",
        unbase64("W22ZaJ0SNY7soEsUEjb6gQ=="),
        4096,
    )
    .unwrap();
    let server = ScramServer::new(
        ScramHash::Sha256,
        "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        "fake key",
    )
    .unwrap();
    let (sent, outcome) = scram_server_exchange(
        server,
        b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        Some(creds.clone()),
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    assert_eq!(
        sent[0],
        &b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
            [..]
    );
    assert_eq!(sent[1], b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    assert_eq!(success(outcome), user("user"));
    // Stored as Dovecot or RFC 5803 would keep it, the same credentials.
    let again = StoredCredentials::new(
        ScramHash::Sha256,
        creds.salt(),
        4096,
        creds.stored_key().expose_secret(),
        creds.server_key().expose_secret(),
    )
    .unwrap();
    assert_eq!(again, creds);
    assert!(!format!("{creds:?}").contains("stored_key"));
    // A one-bit change of the proof fails, at the end only.
    let server = ScramServer::new(
        ScramHash::Sha256,
        "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        "fake key",
    )
    .unwrap();
    let (sent, outcome) = scram_server_exchange(
        server,
        b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        Some(creds),
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=",
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(failure(outcome), Failure::Rejected);
}

/// SPEC S13: an unknown user gets a server-first like a known user's,
/// the same one every time for the same name, and fails at the proof.
#[test]
fn s13_scram_unknown_user_looks_known() {
    let first = |name: &str, key: &str| {
        let mut s = ScramServer::new(ScramHash::Sha256, "srv", key).unwrap();
        need(
            s.start(Some(format!("n,,n={name},r=cli").as_bytes()))
                .unwrap(),
        );
        (challenge(s.answer(Answer::Reject).unwrap()), s)
    };
    let (a, _) = first("ghost", "k1");
    let (b, _) = first("ghost", "k1");
    let (c, _) = first("other", "k1");
    let (d, _) = first("ghost", "k2");
    assert_eq!(a, b, "stable for a name");
    assert_ne!(a, c, "differs between names");
    assert_ne!(a, d, "depends on the server's key");
    let text = String::from_utf8(a).unwrap();
    let salt = text
        .split(",s=")
        .nth(1)
        .unwrap()
        .split(",i=")
        .next()
        .unwrap();
    assert_eq!(unbase64(salt).len(), 16, "a salt as long as real ones");
    assert!(
        text.starts_with("r=clisrv,s=") && text.ends_with(",i=4096"),
        "{text}"
    );

    // A client that knows the fake salt and count still fails, at the
    // same step as with a wrong password.
    let (server_first, mut server) = first("ghost", "k1");
    let mut client = ScramClient::new(
        ScramHash::Sha256,
        "ghost",
        "guess",
        "cli",
        ChannelBinding::None,
    )
    .unwrap();
    use pop3_proto::sasl::ClientReply;
    use pop3_proto::sasl::client::ClientMechanism;
    client.initial_response().unwrap();
    let ClientReply::Data(client_final) = client.respond(&server_first).unwrap() else {
        panic!()
    };
    assert_eq!(
        failure(
            server
                .respond(client_final.expose_secret().as_bytes())
                .unwrap()
        ),
        Failure::Rejected
    );
}

/// RFC 5802 §6: the GS2 flag against what the server offers.
#[test]
fn scram_server_channel_binding_rules() {
    let start = |server: &mut ScramServer, first: &[u8]| server.start(Some(first)).unwrap();
    let plain = || ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap();
    let plus = || ScramServer::new_plus(ScramHash::Sha256, "srv", "k").unwrap();

    // `y`: fine when no -PLUS is offered, a downgrade when one is.
    assert!(matches!(
        start(&mut plain(), b"y,,n=u,r=c"),
        Step::Need(Request::ScramCredentials { .. })
    ));
    let mut offered = plain().with_plus_offered(true);
    assert!(matches!(
        failure(start(&mut offered, b"y,,n=u,r=c")),
        Failure::ChannelBinding(_)
    ));
    assert_eq!(offered.start(None), Err(SaslError::OutOfOrder));
    assert!(matches!(
        start(&mut plain().with_plus_offered(true), b"n,,n=u,r=c"),
        Step::Need(_)
    ));
    // `p=` only with -PLUS, and -PLUS only with `p=`.
    for (server, first) in [
        (plain(), &b"p=tls-exporter,,n=u,r=c"[..]),
        (plus(), b"n,,n=u,r=c"),
        (plus(), b"y,,n=u,r=c"),
        (plus(), b"p=tls-unique,,n=u,r=c"),
        (plus(), b"p=,,n=u,r=c"),
    ] {
        let mut server = server;
        assert!(
            matches!(
                failure(start(&mut server, first)),
                Failure::ChannelBinding(_)
            ),
            "{first:?}"
        );
    }
    // The server asks for the type the client chose, and refuses when it
    // cannot supply it.
    let mut server = plus();
    assert_eq!(
        need(start(&mut server, b"p=tls-server-end-point,,n=u,r=c")),
        Request::ChannelBinding {
            kind: ChannelBindingType::TlsServerEndPoint
        }
    );
    assert!(matches!(
        failure(server.answer(Answer::Reject).unwrap()),
        Failure::ChannelBinding(_)
    ));
}

/// S11: SCRAM client messages that break the syntax fail, each with a
/// typed failure and no panic.
#[test]
fn s11_scram_server_hostile_client_first() {
    for bad in [
        &b""[..],
        b"n",
        b"n,",
        b"n,,",
        b"x,,n=u,r=c",
        b"n,b=x,n=u,r=c",
        b"n,a=,n=u,r=c",
        b"n,a=b=41,n=u,r=c",
        b"n,,r=c,n=u",
        b"n,,n=u",
        b"n,,n=,r=c",
        b"n,,n=u=2,r=c",
        b"n,,n=u=2c,r=c",
        b"n,,n=u,r=",
        b"n,,n=u,r=a,b",
        b"n,,n=u,r=c\x7f",
        b"n,,m=ext,n=u,r=c",
        b"n,,n=u,r=c,m=ext",
        b"n,,n=u,n=v,r=c",
        b"n,,n=\xff,r=c",
        b"n,,n=u\x01,r=c",
        b"n,,n=u,r=c,=x",
    ] {
        let mut server = ScramServer::new(ScramHash::Sha1, "srv", "k").unwrap();
        let step = server.start(Some(bad)).unwrap();
        assert!(
            matches!(failure(step), Failure::Malformed(_)),
            "{bad:?} must be malformed"
        );
    }
}

#[test]
fn s11_scram_server_hostile_client_final() {
    let creds = StoredCredentials::derive(ScramHash::Sha1, "pencil", b"salt", 4096).unwrap();
    let proof = "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
    for (bad, channel) in [
        (String::new(), false),
        (format!("r=cs,c=biws,{proof}"), false),
        (format!("c=biws,{proof}"), false),
        ("c=biws,r=cs".to_string(), false),
        (format!("c=biws,r=cX,{proof}"), false),
        (format!("c=biws,r=c,{proof}"), false),
        (format!("c=biw,r=cs,{proof}"), false),
        ("c=biws,r=cs,p=AAAA".to_string(), false),
        ("c=biws,r=cs,p=".to_string(), false),
        (format!("c=biws,r=cs,{proof},x=1"), false),
        (format!("c=biws,r=cs,{proof},{proof}"), false),
        (format!("c=biws,r=cs,p=x,{proof}"), false),
        // The GS2 header repeated wrongly: `y` where `n` was sent.
        (format!("c=eSws,r=cs,{proof}"), true),
        (format!("c=,r=cs,{proof}"), true),
    ] {
        let mut server = ScramServer::new(ScramHash::Sha1, "s", "k").unwrap();
        need(server.start(Some(b"n,,n=user,r=c")).unwrap());
        challenge(server.answer(Answer::Scram(creds.clone())).unwrap());
        let got = failure(server.respond(bad.as_bytes()).unwrap());
        if channel {
            assert!(matches!(got, Failure::ChannelBinding(_)), "{bad}: {got:?}");
        } else {
            assert!(
                matches!(got, Failure::Malformed(_) | Failure::Rejected),
                "{bad}: {got:?}"
            );
        }
        assert_eq!(server.respond(b""), Err(SaslError::OutOfOrder));
    }
    // Credentials for the other hash are the caller's mistake.
    let mut server = ScramServer::new(ScramHash::Sha256, "s", "k").unwrap();
    need(server.start(Some(b"n,,n=user,r=c")).unwrap());
    assert_eq!(
        server.answer(Answer::Scram(creds)),
        Err(SaslError::WrongAnswer)
    );
    assert!(StoredCredentials::new(ScramHash::Sha1, b"s", 1, [0; 19], [0; 20]).is_err());
    assert!(StoredCredentials::new(ScramHash::Sha1, b"", 1, [0; 20], [0; 20]).is_err());
    assert!(StoredCredentials::derive(ScramHash::Sha1, "p", b"s", 0).is_err());
}

/// After the server-final the client's reply must be empty.
#[test]
fn scram_server_wants_the_empty_line_after_server_final() {
    let creds = StoredCredentials::derive(
        ScramHash::Sha1,
        "pencil",
        unbase64("QSXCR+Q6sek8bf92"),
        4096,
    )
    .unwrap();
    let mut server = ScramServer::new(ScramHash::Sha1, "3rfcNHYJY1ZVvWVs7j", "k").unwrap();
    assert_eq!(challenge(server.start(None).unwrap()), b"", "two-step form");
    need(
        server
            .respond(b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")
            .unwrap(),
    );
    challenge(server.answer(Answer::Scram(creds)).unwrap());
    challenge(
        server
            .respond(b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
            .unwrap(),
    );
    assert!(matches!(
        failure(server.respond(b"v=x").unwrap()),
        Failure::Malformed(_)
    ));
}

/// SASLprep where the RFCs ask for it: PLAIN's server prepares the
/// authcid and password (RFC 4616 §2), SCRAM prepares the password on
/// both sides (RFC 5802 §2.2) and the client its user name (§5.1).
#[test]
fn saslprep_where_the_rfcs_require_it() {
    let mut mech = Plain::new();
    let request = need(
        mech.start(Some("\0u\u{00AD}ser\0I\u{00AD}X".as_bytes()))
            .unwrap(),
    );
    assert_eq!(password(&request), (&None, "user", &b"IX"[..]));
    let mut mech = Plain::new();
    let step = mech.start(Some(b"\0user\0bad\x07")).unwrap();
    assert!(matches!(failure(step), Failure::Malformed(_)));
    // Only soft hyphens: prepared to nothing, which PLAIN cannot carry.
    let step = Plain::new()
        .start(Some("\0user\0\u{00AD}".as_bytes()))
        .unwrap();
    assert!(matches!(failure(step), Failure::Malformed(_)));

    // The same keys for a password and its SASLprep form.
    let a = StoredCredentials::derive(ScramHash::Sha256, "\u{2168}", b"salt", 4096).unwrap();
    let b = StoredCredentials::derive(ScramHash::Sha256, "IX", b"salt", 4096).unwrap();
    assert_eq!(a, b);
    // A stored string may not hold a code point unassigned in Unicode
    // 3.2 (U+0221), nor a control character.
    for bad in ["\u{0221}", "a\u{0007}"] {
        assert!(matches!(
            StoredCredentials::derive(ScramHash::Sha256, bad, b"salt", 1),
            Err(SaslError::Saslprep {
                field: "password",
                ..
            })
        ));
        assert!(matches!(
            ScramClient::new(ScramHash::Sha256, "u", bad, "n", ChannelBinding::None),
            Err(SaslError::Saslprep { .. })
        ));
    }
    // The client prepares its user name as a query (U+0221 allowed) and
    // refuses one that prepares to nothing.
    assert!(
        ScramClient::new(
            ScramHash::Sha256,
            "\u{0221}",
            "p",
            "n",
            ChannelBinding::None
        )
        .is_ok()
    );
    assert_eq!(
        ScramClient::new(
            ScramHash::Sha256,
            "\u{00AD}",
            "p",
            "n",
            ChannelBinding::None
        )
        .err(),
        Some(SaslError::EmptyCredential { field: "user name" })
    );
    // The error never shows the credential.
    let e = ScramClient::new(
        ScramHash::Sha256,
        "u",
        "secret\u{0007}",
        "n",
        ChannelBinding::None,
    )
    .unwrap_err();
    assert!(!format!("{e} {e:?}").contains("secret"), "{e:?}");
}

/// Base64 with padding, for messages the tests build by hand.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A SCRAM-SHA-256 client-final message built by hand (RFC 5802 §3), for
/// the GS2 headers our client never sends (an authzid).
fn scram_sha256_client_final(
    password: &str,
    gs2_header: &str,
    client_first_bare: &str,
    server_first: &[u8],
) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    use sha2::Digest;
    let hmac = |key: &[u8], data: &[u8]| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    };
    let text = std::str::from_utf8(server_first).unwrap();
    let attr = |name: &str| {
        text.split(',')
            .find_map(|a| a.strip_prefix(name))
            .unwrap()
            .to_string()
    };
    let (nonce, salt, iterations) = (attr("r="), unbase64(&attr("s=")), attr("i="));
    let salted = pop3_proto::sasl::scram::salted_password(
        ScramHash::Sha256,
        password.as_bytes(),
        &salt,
        iterations.parse().unwrap(),
    );
    let client_key = hmac(salted.expose_secret(), b"Client Key");
    let stored_key = sha2::Sha256::digest(&client_key);
    let without_proof = format!("c={},r={nonce}", base64(gs2_header.as_bytes()));
    let auth = format!("{client_first_bare},{text},{without_proof}");
    let signature = hmac(&stored_key, auth.as_bytes());
    let proof: Vec<u8> = client_key
        .iter()
        .zip(&signature)
        .map(|(k, s)| k ^ s)
        .collect();
    format!("{without_proof},p={}", base64(&proof)).into_bytes()
}

/// SPEC S13: SCRAM's server-first may not depend on the authzid. When it
/// did (a refused authzid got the fake salt, as for an unknown user),
/// `n,a=zzz,n=alice` against `n,,n=alice` told whether alice exists: two
/// salts that differ for a real user, the same fake one for an unknown
/// name. The credentials are asked for the authcid alone; the authzid is
/// authorized once the proof holds (RFC 5802 §5.1 `a`).
#[test]
fn s13_scram_authzid_does_not_change_the_salt() {
    let creds =
        StoredCredentials::derive(ScramHash::Sha256, "pencil", b"sixteen byte salt", 4096).unwrap();
    // alice exists and may act only as herself.
    let app = |request: &Request| match request {
        Request::ScramCredentials { authcid, .. } if authcid == "alice" => {
            Answer::Scram(creds.clone())
        }
        Request::Authorize { authcid, authzid } if authcid == authzid => Answer::Accept,
        _ => Answer::Reject,
    };
    let first = |message: &str| {
        let mut server = ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap();
        let request = need(server.start(Some(message.as_bytes())).unwrap());
        (challenge(server.answer(app(&request)).unwrap()), server)
    };
    for name in ["alice", "ghost"] {
        assert_eq!(
            first(&format!("n,a=zzz,n={name},r=cli")).0,
            first(&format!("n,,n={name},r=cli")).0,
            "{name}: the salt must not depend on the authzid"
        );
    }
    // The right password does not make alice zzz.
    let (server_first, mut server) = first("n,a=zzz,n=alice,r=cli");
    let client_final =
        scram_sha256_client_final("pencil", "n,a=zzz,", "n=alice,r=cli", &server_first);
    assert_eq!(
        need(server.respond(&client_final).unwrap()),
        Request::Authorize {
            authcid: "alice".into(),
            authzid: "zzz".into()
        }
    );
    assert_eq!(
        server.answer(Answer::Scram(creds.clone())),
        Err(SaslError::WrongAnswer)
    );
    assert_eq!(
        failure(
            server
                .answer(app(&Request::Authorize {
                    authcid: "alice".into(),
                    authzid: "zzz".into()
                }))
                .unwrap()
        ),
        Failure::Rejected
    );
    assert_eq!(server.respond(b""), Err(SaslError::OutOfOrder));
    // An authzid the application allows: asked, then the server-final.
    let (server_first, mut server) = first("n,a=alice,n=alice,r=cli");
    let client_final =
        scram_sha256_client_final("pencil", "n,a=alice,", "n=alice,r=cli", &server_first);
    let request = need(server.respond(&client_final).unwrap());
    assert!(challenge(server.answer(app(&request)).unwrap()).starts_with(b"v="));
    let id = success(server.respond(b"").unwrap());
    assert_eq!(
        (id.authcid.as_deref(), id.user()),
        (Some("alice"), Some("alice"))
    );
    // A wrong password is refused before any authorization question.
    let (server_first, mut server) = first("n,a=alice,n=alice,r=cli");
    let client_final =
        scram_sha256_client_final("wrong", "n,a=alice,", "n=alice,r=cli", &server_first);
    assert_eq!(
        failure(server.respond(&client_final).unwrap()),
        Failure::Rejected
    );
}

/// SPEC R60 (RFC 5034 §4): the authzid is SASLprepped (as a query), and a
/// preparation that fails or leaves nothing of a non-empty authzid fails
/// the exchange, in every mechanism that carries one.
#[test]
fn r60_the_authzid_is_saslprepped() {
    let authzid_of = |request: Request| match request {
        Request::Password { authzid, .. }
        | Request::External { authzid }
        | Request::ScramCredentials { authzid, .. } => authzid,
        Request::Token { user, .. } => user,
        other => panic!("{other:?}"),
    };
    // Each mechanism's first message with this authzid.
    let messages = |z: &str| -> Vec<(Box<dyn ServerMechanism>, Vec<u8>)> {
        vec![
            (
                Box::new(Plain::new()),
                format!("{z}\0tim\0secret").into_bytes(),
            ),
            (Box::new(External::new()), z.as_bytes().to_vec()),
            (
                Box::new(ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap()),
                format!("n,a={z},n=tim,r=cli").into_bytes(),
            ),
            (
                Box::new(OAuthBearer::new()),
                format!("n,a={z},\x01auth=Bearer t\x01\x01").into_bytes(),
            ),
        ]
    };
    // RFC 4013 §3: SOFT HYPHEN maps to nothing, U+2168 to "IX".
    for (mut mech, message) in messages("I\u{00AD}X") {
        let request = need(mech.start(Some(&message)).unwrap());
        assert_eq!(authzid_of(request).as_deref(), Some("IX"), "{message:?}");
    }
    for (mut mech, message) in messages("\u{2168}") {
        let request = need(mech.start(Some(&message)).unwrap());
        assert_eq!(authzid_of(request).as_deref(), Some("IX"), "{message:?}");
    }
    // Prepared to nothing; a line separator (C.2.2), private use (C.3),
    // CR LF (C.2.1), and bad bidi: failures, never a request.
    for z in [
        "\u{00AD}",
        "adm\u{2028}in",
        "\u{E000}",
        "ad\r\nmin",
        "\u{0627}1",
    ] {
        for (mut mech, message) in messages(z) {
            let step = mech.start(Some(&message)).unwrap();
            assert!(
                matches!(failure(step), Failure::Malformed(_)),
                "{message:?} must fail"
            );
        }
    }
    // The identity proved carries the prepared authzid.
    let mut mech = Plain::new();
    need(
        mech.start(Some("I\u{00AD}X\0tim\0secret".as_bytes()))
            .unwrap(),
    );
    assert_eq!(
        success(mech.answer(Answer::Accept).unwrap()).user(),
        Some("IX")
    );
}

/// RFC 5802 §5.1: the server prepares the user name with SASLprep as a
/// query, as our client does, so that a client that sends it unprepared
/// names the same user, and fails when preparation fails or leaves
/// nothing.
#[test]
fn scram_server_saslpreps_the_user_name() {
    let creds =
        StoredCredentials::derive(ScramHash::Sha256, "pencil", b"sixteen byte salt", 4096).unwrap();
    for name in ["I\u{00AD}X", "\u{2168}", "IX"] {
        let mut server = ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap();
        let first = format!("n,,n={name},r=cli");
        let Request::ScramCredentials { authcid, .. } =
            need(server.start(Some(first.as_bytes())).unwrap())
        else {
            panic!()
        };
        assert_eq!(authcid, "IX", "{name:?}");
        let server_first = challenge(server.answer(Answer::Scram(creds.clone())).unwrap());
        let client_final =
            scram_sha256_client_final("pencil", "n,,", &format!("n={name},r=cli"), &server_first);
        challenge(server.respond(&client_final).unwrap());
        assert_eq!(success(server.respond(b"").unwrap()), user("IX"));
    }
    // The fake salt of an unknown user follows the prepared name too.
    let fake = |name: &str| {
        let mut server = ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap();
        need(
            server
                .start(Some(format!("n,,n={name},r=c").as_bytes()))
                .unwrap(),
        );
        challenge(server.answer(Answer::Reject).unwrap())
    };
    assert_eq!(fake("gh\u{00AD}ost"), fake("ghost"));
    for bad in ["\u{00AD}", "u\u{2028}", "\u{E000}", "\u{0627}1"] {
        let mut server = ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap();
        let step = server
            .start(Some(format!("n,,n={bad},r=cli").as_bytes()))
            .unwrap();
        assert!(matches!(failure(step), Failure::Malformed(_)), "{bad:?}");
    }
}

/// S11: SASLprep's NFKC can make a string 11 times longer (U+FDFA, 3
/// octets, becomes 33), so the names it prepares are bounded first, as
/// PLAIN's fields are: a line of U+FDFA is refused, not multiplied.
#[test]
fn s11_names_are_bounded_before_saslprep() {
    let long = "\u{FDFA}".repeat(400);
    let fits = "a".repeat(1024);
    let mut server = ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap();
    let step = server
        .start(Some(format!("n,,n={long},r=c").as_bytes()))
        .unwrap();
    assert!(matches!(failure(step), Failure::Malformed(_)));
    let mut server = ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap();
    let step = server
        .start(Some(format!("n,a={long},n=u,r=c").as_bytes()))
        .unwrap();
    assert!(matches!(failure(step), Failure::Malformed(_)));
    let mut server = ScramServer::new(ScramHash::Sha256, "srv", "k").unwrap();
    need(
        server
            .start(Some(format!("n,a={fits},n={fits},r=c").as_bytes()))
            .unwrap(),
    );
    assert!(matches!(
        failure(External::new().start(Some(long.as_bytes())).unwrap()),
        Failure::Malformed(_)
    ));
    need(External::new().start(Some(fits.as_bytes())).unwrap());
    let bearer = format!("n,a={long},\x01auth=Bearer t\x01\x01");
    assert!(matches!(
        failure(OAuthBearer::new().start(Some(bearer.as_bytes())).unwrap()),
        Failure::Malformed(_)
    ));
}

/// S13: the fake credentials can be made to look like the real ones
/// (salt length and count), and Debug shows no key or signature.
#[test]
fn s13_fake_credentials_match_real_ones_and_debug_hides_keys() {
    let mut s = ScramServer::new(ScramHash::Sha1, "srv", "k")
        .unwrap()
        .with_fake_salt_len(12)
        .with_fake_iterations(10_000);
    need(s.start(Some(b"n,,n=ghost,r=cli")).unwrap());
    let text = String::from_utf8(challenge(s.answer(Answer::Reject).unwrap())).unwrap();
    let salt = text
        .split(",s=")
        .nth(1)
        .unwrap()
        .split(",i=")
        .next()
        .unwrap();
    assert_eq!(unbase64(salt).len(), 12);
    assert!(text.ends_with(",i=10000"), "{text}");
    // Clamped to what the hash can give.
    let mut s = ScramServer::new(ScramHash::Sha1, "srv", "k")
        .unwrap()
        .with_fake_salt_len(64);
    need(s.start(Some(b"n,,n=ghost,r=cli")).unwrap());
    let text = String::from_utf8(challenge(s.answer(Answer::Reject).unwrap())).unwrap();
    let salt = text
        .split(",s=")
        .nth(1)
        .unwrap()
        .split(",i=")
        .next()
        .unwrap();
    assert_eq!(unbase64(salt).len(), 20);
    assert!(!format!("{s:?}").contains("\"k\""));

    // The client's expected server signature is not in its Debug.
    use pop3_proto::sasl::client::ClientMechanism;
    let mut client = ScramClient::new(
        ScramHash::Sha1,
        "user",
        "pencil",
        "fyko+d2lbbFgONRv9qkxdawL",
        ChannelBinding::None,
    )
    .unwrap();
    client.initial_response().unwrap();
    client
        .respond(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
        .unwrap();
    let shown = format!("{client:?}");
    // v=rmF9pqV8S7suAoZWja4dJRkFsKQ= is RFC 5802's server signature.
    let signature = unbase64("rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    assert!(
        !shown.contains(&format!("{:?}", signature)[1..20]),
        "{shown}"
    );
    assert!(shown.contains("Secret([redacted])"), "{shown}");
}
