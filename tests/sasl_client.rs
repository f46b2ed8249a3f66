//! The client side of the SASL mechanisms against the known answers of
//! their RFCs and of real servers (SPEC V3-V8), through the codec's own
//! lines, and against hostile input (SPEC S11).

mod common;

use pop3_proto::codec::{Decoded, ResponseErrorKind, ResponseOptions};
use pop3_proto::sasl::client::{
    Anonymous, ClientMechanism, CramMd5, External, Login, OAuthBearer, Plain, XOAuth2,
};
use pop3_proto::sasl::{ClientReply, SaslError};
use pop3_proto::types::{Command, Expect, Response, SaslResponse};

/// The `AUTH` line a mechanism's initial response makes.
fn auth_line(mech: &mut dyn ClientMechanism) -> Vec<u8> {
    Command::Auth {
        mechanism: mech.mechanism(),
        initial_response: mech.initial_response().unwrap(),
    }
    .to_vec()
}

/// The decoded data of a server's challenge line.
fn challenge(line: &[u8]) -> Vec<u8> {
    match common::first(line, Expect::Challenge) {
        Ok(Decoded::Value {
            value: Response::Challenge(data),
            ..
        }) => data.as_bytes().to_vec(),
        other => panic!("{other:?}"),
    }
}

/// The line the client sends for `reply`.
fn line(reply: ClientReply) -> Vec<u8> {
    match reply {
        ClientReply::Data(data) => SaslResponse::Data(data).to_vec(),
        ClientReply::Cancel => SaslResponse::Cancel.to_vec(),
    }
}

#[test]
fn v4_plain_rfc5034_example() {
    let mut mech = Plain::with_authzid("test", "test", "test").unwrap();
    assert_eq!(auth_line(&mut mech), b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n");
    mech.success().unwrap();
    // The two-step form: `+ ` (an empty challenge), then the message.
    let mut mech = Plain::with_authzid("test", "test", "test").unwrap();
    let reply = mech.respond(&challenge(b"+ \r\n")).unwrap();
    assert_eq!(line(reply), b"dGVzdAB0ZXN0AHRlc3Q=\r\n");
    // Without an authorization identity (RFC 4616 §4's shape).
    let mut mech = Plain::new("tim", "tanstaaftanstaaf").unwrap();
    assert_eq!(
        auth_line(&mut mech),
        b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"
    );
}

#[test]
fn v3_cram_md5_rfc2195() {
    let mut mech = CramMd5::new("tim", "tanstaaftanstaaf").unwrap();
    assert_eq!(auth_line(&mut mech), b"AUTH CRAM-MD5\r\n");
    let data = challenge(b"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n");
    assert_eq!(data, b"<1896.697170952@postoffice.reston.mci.net>");
    let reply = mech.respond(&data).unwrap();
    assert_eq!(
        line(reply),
        b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"
    );
    mech.success().unwrap();
    assert_eq!(mech.respond(b"again"), Err(SaslError::UnexpectedChallenge));
}

#[test]
fn v6_login_any_prompt() {
    for prompts in [
        [&b"+ VXNlcm5hbWU6\r\n"[..], b"+ UGFzc3dvcmQ6\r\n"],
        [b"+ VXNlciBOYW1lAA==\r\n", b"+ UGFzc3dvcmQA\r\n"],
    ] {
        let mut mech = Login::new("tim", "tanstaaftanstaaf").unwrap();
        assert_eq!(auth_line(&mut mech), b"AUTH LOGIN\r\n");
        assert_eq!(mech.success(), Err(SaslError::Incomplete));
        let user = mech.respond(&challenge(prompts[0])).unwrap();
        assert_eq!(line(user), b"dGlt\r\n");
        let pass = mech.respond(&challenge(prompts[1])).unwrap();
        assert_eq!(line(pass), b"dGFuc3RhYWZ0YW5zdGFhZg==\r\n");
        mech.success().unwrap();
        assert_eq!(mech.respond(b""), Err(SaslError::UnexpectedChallenge));
    }
}

#[test]
fn v7_xoauth2_google_and_curl() {
    let mut mech = XOAuth2::new(
        "someuser@example.com",
        "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
    )
    .unwrap();
    assert_eq!(
        auth_line(&mut mech),
        b"AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==\r\n"
    );
    mech.success().unwrap();
    // curl test 874.
    let mut mech = XOAuth2::new("user", "mF_9.B5f-4.1JqM").unwrap();
    assert_eq!(
        auth_line(&mut mech),
        b"AUTH XOAUTH2 dXNlcj11c2VyAWF1dGg9QmVhcmVyIG1GXzkuQjVmLTQuMUpxTQEB\r\n"
    );
    // Google's error challenge is answered with an empty line, and the
    // error is kept.
    let data = challenge(b"+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K\r\n");
    assert_eq!(line(mech.respond(&data).unwrap()), b"\r\n");
    assert_eq!(
        mech.error(),
        Some(r#"{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}\n"#)
    );
    assert!(matches!(mech.success(), Err(SaslError::ServerError(_))));
    // Exchange Online's two-step form: a bare `+`, then the message.
    let mut mech = XOAuth2::new("user", "mF_9.B5f-4.1JqM").unwrap();
    let reply = mech.respond(&challenge(b"+\r\n")).unwrap();
    assert_eq!(
        line(reply),
        b"dXNlcj11c2VyAWF1dGg9QmVhcmVyIG1GXzkuQjVmLTQuMUpxTQEB\r\n"
    );
}

#[test]
fn v8_oauthbearer_rfc7628_and_curl() {
    let mut mech = OAuthBearer::new(
        "user@example.com",
        Some("server.example.com"),
        Some(143),
        "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
    )
    .unwrap();
    assert_eq!(
        auth_line(&mut mech),
        b"AUTH OAUTHBEARER bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB\r\n"
    );
    // curl tests 888/890: the error challenge (unpadded, as curl's server
    // sends it) is answered with a single ^A.
    let mut mech =
        OAuthBearer::new("user", Some("127.0.0.1"), Some(9001), "mF_9.B5f-4.1JqM").unwrap();
    assert_eq!(
        auth_line(&mut mech),
        b"AUTH OAUTHBEARER bixhPXVzZXIsAWhvc3Q9MTI3LjAuMC4xAXBvcnQ9OTAwMQFhdXRoPUJlYXJlciBtRl85LkI1Zi00LjFKcU0BAQ==\r\n"
    );
    let unpadded: &[u8] = b"+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0\r\n";
    // R55: refused by default (the client answers `*`), accepted under
    // the named option.
    assert!(matches!(
        common::first(unpadded, Expect::Challenge),
        Err(e) if matches!(e.kind(), ResponseErrorKind::InvalidBase64(_))
    ));
    let lenient = ResponseOptions::default().with_unpadded_challenges(true);
    let data = match common::first_with(lenient, unpadded, Expect::Challenge) {
        Ok(Decoded::Value {
            value: Response::Challenge(data),
            ..
        }) => data.as_bytes().to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(line(mech.respond(&data).unwrap()), b"AQ==\r\n");
    assert!(
        mech.error()
            .unwrap()
            .starts_with(r#"{"status":"invalid_token""#)
    );
    assert!(matches!(mech.success(), Err(SaslError::ServerError(_))));
}

#[test]
fn external_and_anonymous_rfc4422_rfc4505() {
    let mut mech = External::new("").unwrap();
    assert_eq!(auth_line(&mut mech), b"AUTH EXTERNAL =\r\n");
    let mut mech = External::new("fred").unwrap();
    assert_eq!(auth_line(&mut mech), b"AUTH EXTERNAL ZnJlZA==\r\n");
    // RFC 4505 §3's trace token.
    let mut mech = Anonymous::new("sirhc").unwrap();
    assert_eq!(auth_line(&mut mech), b"AUTH ANONYMOUS c2lyaGM=\r\n");
    assert!(Anonymous::new(&"x".repeat(256)).is_err());
    assert!(
        Anonymous::new(&"é".repeat(255)).is_ok(),
        "255 characters, 510 octets"
    );
}

/// SPEC S11 and the issue's hostile cases: each a typed error, never a
/// panic.
#[test]
fn s11_bad_credentials_and_challenges_are_typed_errors() {
    assert_eq!(
        Plain::new("a\0b", "x").unwrap_err(),
        SaslError::InvalidCredential {
            field: "authentication identity"
        }
    );
    assert_eq!(
        Plain::new("", "x").unwrap_err(),
        SaslError::EmptyCredential {
            field: "authentication identity"
        }
    );
    assert!(Plain::with_authzid("a\0", "b", "c").is_err());
    assert!(Plain::new("a", "").is_err());
    assert_eq!(
        Login::new("tim\r", "x").unwrap_err(),
        SaslError::InvalidCredential { field: "user name" }
    );
    assert!(CramMd5::new("t m", "x").is_err());
    assert!(XOAuth2::new("u\x01", "t").is_err());
    assert!(OAuthBearer::new("a,b", None, None, "t").is_err());
    // A 1 MB challenge costs one HMAC pass, and a PLAIN that gets a
    // challenge with data refuses it.
    let big = vec![b'x'; 1 << 20];
    assert!(CramMd5::new("tim", "k").unwrap().respond(&big).is_ok());
    let mut plain = Plain::new("a", "b").unwrap();
    assert_eq!(plain.respond(b"x"), Err(SaslError::UnexpectedChallenge));
    let _ = plain.initial_response().unwrap();
    assert_eq!(plain.respond(b""), Err(SaslError::UnexpectedChallenge));
    // Debug never shows a credential.
    let shown = format!("{:?}", Plain::new("tim", "hunter2").unwrap());
    assert!(!shown.contains("hunter2"), "{shown}");
}

use pop3_proto::sasl::scram::{ChannelBinding, ChannelBindingType, ScramClient, ScramHash};

/// Runs the client side of a SCRAM exchange against the server's two
/// messages; returns the client's lines and the outcome of `success`.
fn scram_exchange(
    mut mech: ScramClient,
    server_first: &[u8],
    server_final: &[u8],
) -> (Vec<Vec<u8>>, Result<(), SaslError>) {
    let mut sent = vec![
        mech.initial_response()
            .unwrap()
            .unwrap()
            .expose_secret()
            .as_bytes()
            .to_vec(),
    ];
    let reply = |r: Result<ClientReply, SaslError>| match r {
        Ok(ClientReply::Data(d)) => Ok(d.expose_secret().as_bytes().to_vec()),
        Ok(ClientReply::Cancel) => Ok(b"*".to_vec()),
        Err(e) => Err(e),
    };
    match reply(mech.respond(server_first)) {
        Ok(line) => sent.push(line),
        Err(e) => return (sent, Err(e)),
    }
    match reply(mech.respond(server_final)) {
        Ok(line) => sent.push(line),
        Err(e) => return (sent, Err(e)),
    }
    (sent, mech.success())
}

#[test]
fn scram_sha1_rfc5802_section5() {
    let mech = ScramClient::new(
        ScramHash::Sha1,
        "user",
        "pencil",
        "fyko+d2lbbFgONRv9qkxdawL",
        ChannelBinding::None,
    )
    .unwrap();
    assert_eq!(
        pop3_proto::sasl::client::ClientMechanism::mechanism(&mech),
        pop3_proto::types::Mechanism::ScramSha1
    );
    let (sent, outcome) = scram_exchange(
        mech,
        b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    );
    assert_eq!(sent[0], b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    assert_eq!(
        sent[1],
        &b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="[..]
    );
    assert_eq!(sent[2], b"", "a verified server-final gets an empty line");
    assert_eq!(outcome, Ok(()));
}

#[test]
fn scram_sha256_rfc7677_section3() {
    let mech = ScramClient::new(
        ScramHash::Sha256,
        "user",
        "pencil",
        "rOprNGfwEbeRWgbNEkqO",
        ChannelBinding::None,
    )
    .unwrap();
    let (sent, outcome) = scram_exchange(
        mech,
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    );
    assert_eq!(sent[0], b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    assert_eq!(
        sent[1],
        &b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="[..]
    );
    assert_eq!(outcome, Ok(()));
}

/// Mutual authentication: a wrong or missing server signature is a
/// failure, and `+OK` before the server-final is not success.
#[test]
fn scram_client_verifies_the_server() {
    let mech = || {
        ScramClient::new(
            ScramHash::Sha1,
            "user",
            "pencil",
            "fyko+d2lbbFgONRv9qkxdawL",
            ChannelBinding::None,
        )
        .unwrap()
    };
    let first = b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
    let (_, outcome) = scram_exchange(mech(), first, b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ");
    assert!(outcome.is_err(), "unpadded or wrong signature");
    let (_, outcome) = scram_exchange(mech(), first, b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assert!(matches!(outcome, Err(SaslError::ServerError(_))));
    let (_, outcome) = scram_exchange(mech(), first, b"e=invalid-proof");
    assert_eq!(outcome, Err(SaslError::ServerError("invalid-proof".into())));
    // +OK straight after the client-final: the server was not verified.
    let mut m = mech();
    let _ = m.initial_response().unwrap();
    let _ = m.respond(first).unwrap();
    assert_eq!(m.success(), Err(SaslError::Incomplete));
}

/// SPEC S11 for SCRAM: attributes missing, out of order, a nonce that
/// does not extend ours, iteration counts out of range.
#[test]
fn scram_client_refuses_hostile_server_first() {
    let nonce = "fyko+d2lbbFgONRv9qkxdawL";
    for (server_first, why) in [
        (&b""[..], "empty"),
        (b"r=fyko+d2lbbFgONRv9qkxdawLx,i=4096", "no salt"),
        (
            b"s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawLx,i=4096",
            "out of order",
        ),
        (
            b"r=other3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
            "nonce not ours",
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096",
            "nonce not extended",
        ),
        (b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=0", "i=0"),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=4294967296",
            "i overflows",
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=99999999",
            "i above the ceiling",
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=-1",
            "i negative",
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawLx,s=!!!,i=4096",
            "salt not base64",
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=4096,m=x",
            "mandatory extension",
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=4096,broken",
            "junk",
        ),
    ] {
        let mut mech = ScramClient::new(
            ScramHash::Sha1,
            "user",
            "pencil",
            nonce,
            ChannelBinding::None,
        )
        .unwrap();
        let _ = mech.initial_response().unwrap();
        assert!(
            matches!(mech.respond(server_first), Err(SaslError::ServerError(_))),
            "{why}"
        );
    }
    // The floor is the caller's to lower.
    let mut mech = ScramClient::new(
        ScramHash::Sha1,
        "user",
        "pencil",
        nonce,
        ChannelBinding::None,
    )
    .unwrap()
    .with_iterations(1, 10);
    let _ = mech.initial_response().unwrap();
    assert!(
        mech.respond(b"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=2")
            .is_ok()
    );
}

/// The GS2 flag follows RFC 5802 §6, and a -PLUS exchange binds the data.
#[test]
fn scram_gs2_flags_and_channel_binding() {
    let first = |binding| {
        let mut m = ScramClient::new(ScramHash::Sha256, "a,b=c", "p", "nonce", binding).unwrap();
        let name = pop3_proto::sasl::client::ClientMechanism::mechanism(&m);
        (
            name,
            m.initial_response()
                .unwrap()
                .unwrap()
                .expose_secret()
                .as_bytes()
                .to_vec(),
        )
    };
    let (name, msg) = first(ChannelBinding::None);
    assert_eq!(name, pop3_proto::types::Mechanism::ScramSha256);
    assert_eq!(msg, b"n,,n=a=2Cb=3Dc,r=nonce");
    let (_, msg) = first(ChannelBinding::NotOffered);
    assert!(msg.starts_with(b"y,,"));
    let (name, msg) = first(ChannelBinding::Plus {
        kind: ChannelBindingType::TlsExporter,
        data: pop3_proto::types::Secret::new(b"\x01\x02".to_vec()),
    });
    assert_eq!(name, pop3_proto::types::Mechanism::ScramSha256Plus);
    assert!(msg.starts_with(b"p=tls-exporter,,"));
    // The client-final's c= carries the header and the data.
    let mut m = ScramClient::new(
        ScramHash::Sha256,
        "user",
        "pencil",
        "rOprNGfwEbeRWgbNEkqO",
        ChannelBinding::Plus {
            kind: ChannelBindingType::TlsServerEndPoint,
            data: pop3_proto::types::Secret::new(b"cert-hash".to_vec()),
        },
    )
    .unwrap();
    let _ = m.initial_response().unwrap();
    let Ok(ClientReply::Data(final_)) = m.respond(
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    ) else {
        panic!()
    };
    // base64("p=tls-server-end-point,,cert-hash")
    assert!(
        final_
            .expose_secret()
            .as_bytes()
            .starts_with(b"c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsY2VydC1oYXNo,")
    );
}
