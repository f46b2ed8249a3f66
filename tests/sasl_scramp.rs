//! Our SCRAM client against an independent server: the Python package
//! `scramp` (`.ci/run` installs it; without it the test says so and
//! passes without checking anything).

use pop3_proto::sasl::client::ClientMechanism;
use pop3_proto::sasl::scram::{ChannelBinding, ChannelBindingType, ScramClient, ScramHash};
use pop3_proto::sasl::{ClientReply, SaslError};
use pop3_proto::types::Secret;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/scramp_server.py"
);

fn scramp_available() -> bool {
    Command::new("python3")
        .args(["-c", "import scramp"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs one exchange of `client` against scramp's server for `mechanism`
/// whose user has `stored_password`; returns the outcome on our side.
fn exchange(
    mechanism: &str,
    stored_password: &str,
    binding: Option<(&str, &[u8])>,
    mut client: ScramClient,
) -> Result<(), SaslError> {
    let mut args = vec![
        SERVER.to_owned(),
        mechanism.to_owned(),
        stored_password.to_owned(),
    ];
    if let Some((kind, data)) = binding {
        args.push(kind.to_owned());
        args.push(data.iter().map(|b| format!("{b:02x}")).collect());
    }
    let mut server = Command::new("python3")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut to_server = server.stdin.take().expect("stdin");
    let mut from_server = BufReader::new(server.stdout.take().expect("stdout"));
    let mut read = || {
        let mut line = String::new();
        from_server
            .read_line(&mut line)
            .expect("a line from scramp");
        line.trim_end().as_bytes().to_vec()
    };
    let first = client.initial_response().unwrap().unwrap();
    to_server
        .write_all(first.expose_secret().as_bytes())
        .unwrap();
    to_server.write_all(b"\n").unwrap();
    let server_first = read();
    let outcome = (|| {
        let ClientReply::Data(client_final) = client.respond(&server_first)? else {
            unreachable!("the client-final is data")
        };
        to_server
            .write_all(client_final.expose_secret().as_bytes())
            .unwrap();
        to_server.write_all(b"\n").unwrap();
        let server_final = read();
        if server_final.starts_with(b"ERROR") {
            return Err(SaslError::ServerError(
                String::from_utf8_lossy(&server_final).into(),
            ));
        }
        client.respond(&server_final)?;
        client.success()
    })();
    drop(to_server);
    let _ = server.wait();
    outcome
}

#[test]
fn our_scram_client_against_scramp() {
    if !scramp_available() {
        eprintln!("skipped: the Python package scramp is not installed (pip install scramp)");
        return;
    }
    for (hash, name) in [
        (ScramHash::Sha1, "SCRAM-SHA-1"),
        (ScramHash::Sha256, "SCRAM-SHA-256"),
    ] {
        let client = |password: &str, binding| {
            ScramClient::new(hash, "user", password, "cn0nce+/client", binding).unwrap()
        };
        assert_eq!(
            exchange(name, "pencil", None, client("pencil", ChannelBinding::None)),
            Ok(()),
            "{name}"
        );
        assert!(
            exchange(
                name,
                "pencil",
                None,
                client("pencil!", ChannelBinding::None)
            )
            .is_err(),
            "{name}: a wrong password must fail"
        );
        // -PLUS with tls-server-end-point data both sides agree on, and
        // with data they do not.
        let data = b"\x00\x01\x02cert-hash";
        let plus = format!("{name}-PLUS");
        let bound = |d: &[u8]| ChannelBinding::Plus {
            kind: ChannelBindingType::TlsServerEndPoint,
            data: Secret::new(d.to_vec()),
        };
        assert_eq!(
            exchange(
                &plus,
                "pencil",
                Some(("tls-server-end-point", data)),
                client("pencil", bound(data))
            ),
            Ok(()),
            "{plus}"
        );
        assert!(
            exchange(
                &plus,
                "pencil",
                Some(("tls-server-end-point", data)),
                client("pencil", bound(b"other"))
            )
            .is_err(),
            "{plus}: other channel-binding data must fail"
        );
    }
}
