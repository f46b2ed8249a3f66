//! Our SCRAM client and server against an independent implementation:
//! the Python package `scramp` as server and as client (`.ci/run`
//! installs it; without it the tests say so and pass without checking
//! anything).

use pop3_proto::sasl::client::ClientMechanism;
use pop3_proto::sasl::scram::{
    ChannelBinding, ChannelBindingType, ScramClient, ScramHash, ScramServer, StoredCredentials,
};
use pop3_proto::sasl::server::{Answer, Failure, Request, ServerMechanism, Step};
use pop3_proto::sasl::{ClientReply, SaslError};
use pop3_proto::types::Secret;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/scramp_server.py"
);
const CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/scramp_client.py"
);

fn scramp_available() -> bool {
    Command::new("python3")
        .args(["-c", "import scramp"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A scramp script run as a peer: one message per line each way.
struct Peer {
    child: std::process::Child,
    to: std::process::ChildStdin,
    from: BufReader<std::process::ChildStdout>,
}

impl Peer {
    /// Runs `script` with `args`, then the channel binding as `TYPE HEX`.
    fn spawn(script: &str, args: &[&str], binding: Option<(&str, &[u8])>) -> Self {
        let mut all: Vec<String> = std::iter::once(script)
            .chain(args.iter().copied())
            .map(str::to_owned)
            .collect();
        if let Some((kind, data)) = binding {
            all.push(kind.to_owned());
            all.push(data.iter().map(|b| format!("{b:02x}")).collect());
        }
        let mut child = Command::new("python3")
            .args(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let to = child.stdin.take().expect("stdin");
        let from = BufReader::new(child.stdout.take().expect("stdout"));
        Self { child, to, from }
    }

    fn read(&mut self) -> Vec<u8> {
        let mut line = String::new();
        self.from.read_line(&mut line).expect("a line from scramp");
        line.trim_end().as_bytes().to_vec()
    }

    fn send(&mut self, line: &[u8]) {
        self.to.write_all(line).unwrap();
        self.to.write_all(b"\n").unwrap();
    }

    /// Tells the script to stop, if it has not already, and waits for it.
    fn finish(mut self) {
        let _ = self.to.write_all(b"ERROR done\n");
        drop(self.to);
        let _ = self.child.wait();
    }
}

/// Runs one exchange of `client` against scramp's server for `mechanism`
/// whose user has `stored_password`; returns the outcome on our side.
fn exchange(
    mechanism: &str,
    stored_password: &str,
    binding: Option<(&str, &[u8])>,
    mut client: ScramClient,
) -> Result<(), SaslError> {
    let mut server = Peer::spawn(SERVER, &[mechanism, stored_password], binding);
    let first = client.initial_response().unwrap().unwrap();
    server.send(first.expose_secret().as_bytes());
    let server_first = server.read();
    let outcome = (|| {
        let ClientReply::Data(client_final) = client.respond(&server_first)? else {
            unreachable!("the client-final is data")
        };
        server.send(client_final.expose_secret().as_bytes());
        let server_final = server.read();
        if server_final.starts_with(b"ERROR") {
            return Err(SaslError::ServerError(
                String::from_utf8_lossy(&server_final).into(),
            ));
        }
        client.respond(&server_final)?;
        client.success()
    })();
    server.finish();
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
        // SASLprep on both sides (RFC 5802 §2.2): a soft hyphen is mapped
        // to nothing and U+2168 ROMAN NUMERAL NINE to "IX", so these are
        // the same passwords; non-ASCII letters stay as they are.
        for (ours, theirs) in [
            ("pen\u{00AD}cil", "pencil"),
            ("\u{2168}", "IX"),
            ("p\u{00E4}ssw\u{00F6}rd", "p\u{00E4}ssw\u{00F6}rd"),
        ] {
            assert_eq!(
                exchange(name, theirs, None, client(ours, ChannelBinding::None)),
                Ok(()),
                "{name}: {ours:?} prepares to {theirs:?}"
            );
        }
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

/// Runs scramp's client for `mechanism` as `user` with `password` against
/// our `server`, whose application knows `stored` (or no such user);
/// gives our server's outcome and whether scramp verified our
/// server-final.
fn scramp_client(
    mechanism: &str,
    user: &str,
    password: &str,
    binding: Option<(&str, &[u8])>,
    mut server: ScramServer,
    stored: Option<StoredCredentials>,
    server_binding: &[u8],
) -> (Step, bool) {
    let mut client = Peer::spawn(CLIENT, &[mechanism, user, password], binding);
    let mut step = server.start(Some(&client.read())).unwrap();
    let mut verified = false;
    loop {
        step = match step {
            Step::Need(Request::ChannelBinding { .. }) => server
                .answer(Answer::ChannelBinding(Secret::new(server_binding.to_vec())))
                .unwrap(),
            Step::Need(Request::ScramCredentials { .. }) => server
                .answer(stored.clone().map_or(Answer::Reject, Answer::Scram))
                .unwrap(),
            Step::Challenge(data) if data.as_bytes().starts_with(b"v=") => {
                client.send(data.as_bytes());
                let verdict = client.read();
                verified = verdict == b"OK";
                assert!(verified, "scramp: {}", String::from_utf8_lossy(&verdict));
                // POP3's empty line after a verified server-final.
                server.respond(b"").unwrap()
            }
            Step::Challenge(data) => {
                client.send(data.as_bytes());
                server.respond(&client.read()).unwrap()
            }
            Step::Success(_) | Step::Failure(_) => break,
            other => panic!("{other:?}"),
        };
    }
    client.finish();
    (step, verified)
}

#[test]
fn scramp_client_against_our_scram_server() {
    if !scramp_available() {
        eprintln!("skipped: the Python package scramp is not installed (pip install scramp)");
        return;
    }
    for (hash, name) in [
        (ScramHash::Sha1, "SCRAM-SHA-1"),
        (ScramHash::Sha256, "SCRAM-SHA-256"),
    ] {
        let stored =
            Some(StoredCredentials::derive(hash, "pencil", b"a salt of 16 oct", 4096).unwrap());
        let server = || ScramServer::new(hash, "s3rv3r-n0nce", "fake key").unwrap();
        let plus = || ScramServer::new_plus(hash, "s3rv3r-n0nce", "fake key").unwrap();

        let (step, verified) =
            scramp_client(name, "user", "pencil", None, server(), stored.clone(), b"");
        assert!(matches!(step, Step::Success(_)), "{name}: {step:?}");
        assert!(verified, "{name}: scramp verified our server signature");

        let (step, _) = scramp_client(name, "user", "pencil!", None, server(), stored.clone(), b"");
        assert_eq!(
            step,
            Step::Failure(Failure::Rejected),
            "{name}: wrong password"
        );

        // SASLprep: scramp prepares "pen\u{AD}cil" to "pencil", as our
        // StoredCredentials::derive did.
        let (step, _) = scramp_client(
            name,
            "user",
            "pen\u{00AD}cil",
            None,
            server(),
            stored.clone(),
            b"",
        );
        assert!(matches!(step, Step::Success(_)), "{name}: {step:?}");

        let (step, _) = scramp_client(name, "nobody", "pencil", None, server(), None, b"");
        assert_eq!(
            step,
            Step::Failure(Failure::Rejected),
            "{name}: unknown user"
        );

        // -PLUS, with the same channel-binding data on both ends and with
        // different data.
        let data = b"\x00\x01\x02cert-hash";
        let plus_name = format!("{name}-PLUS");
        let binding = Some(("tls-server-end-point", &data[..]));
        let (step, verified) = scramp_client(
            &plus_name,
            "user",
            "pencil",
            binding,
            plus(),
            stored.clone(),
            data,
        );
        assert!(matches!(step, Step::Success(_)), "{plus_name}: {step:?}");
        assert!(verified);
        let (step, _) = scramp_client(
            &plus_name,
            "user",
            "pencil",
            binding,
            plus(),
            stored.clone(),
            b"other",
        );
        assert!(
            matches!(step, Step::Failure(Failure::ChannelBinding(_))),
            "{plus_name}: {step:?}"
        );
    }
}
