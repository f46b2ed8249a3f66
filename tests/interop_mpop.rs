//! Our server mechanisms against a real client nobody here wrote: mpop
//! 1.4.18 (Debian 12, GNU SASL), which `.ci/run` installs. A small POP3
//! front end over 127.0.0.1, written here on the codec, answers the
//! greeting, CAPA, AUTH (through `sasl::server`) and QUIT; mpop runs with
//! `--auth-only` for each mechanism, with the right password and a wrong
//! one. Without mpop each test says so and passes without checking.

mod sasl_support;

use pop3_proto::codec::{CommandDecoder, Decoded};
use pop3_proto::sasl::scram::{ScramHash, ScramServer};
use pop3_proto::sasl::server::{self, Failure, ServerMechanism, Step};
use pop3_proto::types::{Command, Response, SaslResponse};
use sasl_support::{Db, ServerOutcome};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command as Process, Stdio};
use std::time::Duration;

const CAPA: &[u8] = b"+OK\r\nCAPA\r\nUSER\r\nSASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n.\r\n";

fn mpop_available() -> bool {
    Process::new("mpop")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn mechanism(name: &str) -> Option<Box<dyn ServerMechanism>> {
    Some(match name.to_ascii_uppercase().as_str() {
        "PLAIN" => Box::new(server::Plain::new()),
        "LOGIN" => Box::new(server::Login::new()),
        "CRAM-MD5" => Box::new(server::CramMd5::new("<4711.1733000000@pop.example>").unwrap()),
        "SCRAM-SHA-1" => Box::new(ScramServer::new(ScramHash::Sha1, "sErVeR+n0nce", "k").unwrap()),
        "SCRAM-SHA-256" => {
            Box::new(ScramServer::new(ScramHash::Sha256, "sErVeR+n0nce", "k").unwrap())
        }
        _ => return None,
    })
}

/// One POP3 session: the greeting, then commands until QUIT or EOF.
/// Returns how the (last) AUTH ended.
fn serve(stream: TcpStream, db: &Db) -> Option<ServerOutcome> {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut input = BufReader::new(stream);
    let mut decoder = CommandDecoder::default();
    let mut outcome = None;
    let mut line = Vec::new();
    let mut read_line = |line: &mut Vec<u8>| {
        line.clear();
        input.read_until(b'\n', line).unwrap_or(0) > 0
    };
    out.write_all(b"+OK pop3-proto test server ready\r\n")
        .unwrap();
    while read_line(&mut line) {
        let command = match decoder.decode(&line) {
            Ok(Decoded::Value { value, .. }) => value,
            _ => {
                out.write_all(b"-ERR bad command\r\n").unwrap();
                continue;
            }
        };
        match command {
            Command::Capa => out.write_all(CAPA).unwrap(),
            Command::Quit => {
                out.write_all(b"+OK bye\r\n").unwrap();
                break;
            }
            Command::Auth {
                mechanism: name,
                initial_response,
            } => {
                let Some(mut mech) = mechanism(name.as_str()) else {
                    out.write_all(b"-ERR unsupported mechanism\r\n").unwrap();
                    continue;
                };
                let ir = initial_response.map(|d| d.expose_secret().as_bytes().to_vec());
                let mut step = mech.start(ir.as_deref()).unwrap();
                let result = loop {
                    step = match step {
                        Step::Need(request) => mech.answer(db.answer(&request)).unwrap(),
                        Step::Challenge(data) => {
                            out.write_all(&Response::Challenge(data).to_vec()).unwrap();
                            if !read_line(&mut line) {
                                break ServerOutcome::Cancelled;
                            }
                            match decoder.decode_sasl(&line) {
                                Ok(Decoded::Value {
                                    value: SaslResponse::Data(d),
                                    ..
                                }) => mech.respond(d.expose_secret().as_bytes()).unwrap(),
                                _ => break ServerOutcome::Cancelled,
                            }
                        }
                        Step::Success(identity) => break ServerOutcome::Success(identity),
                        Step::Failure(failure) => break ServerOutcome::Failure(failure),
                        _ => unreachable!(),
                    }
                };
                let reply: &[u8] = match &result {
                    ServerOutcome::Success(_) => b"+OK Logged in.\r\n",
                    ServerOutcome::Failure(Failure::Unavailable) => {
                        b"-ERR [SYS/TEMP] Try again later.\r\n"
                    }
                    _ => b"-ERR [AUTH] Authentication failed.\r\n",
                };
                out.write_all(reply).unwrap();
                outcome = Some(result);
            }
            _ => out.write_all(b"-ERR not here\r\n").unwrap(),
        }
    }
    outcome
}

/// Runs mpop `--auth-only` with `mechanism` and `password` against our
/// server for alice/secret; gives mpop's success and our outcome.
fn run(mechanism: &str, password: &str) -> (bool, Option<ServerOutcome>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut db = Db::new("alice", "secret");
        db.salt = b"0123456789abcdef".to_vec();
        db.iterations = 4096;
        // mpop may fail before it connects: wait for it a bounded time.
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    break serve(stream, &db);
                }
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => break None,
            }
        }
    });
    // A home of its own per run: mpop keeps its UIDL state under it.
    let home = std::env::temp_dir().join(format!("pop3-proto-mpop-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mpop = Process::new("mpop")
        .args([
            "--host=127.0.0.1",
            &format!("--port={port}"),
            "--tls=off",
            "--timeout=20",
            &format!("--auth={mechanism}"),
            "--user=alice",
            &format!("--passwordeval=echo '{password}'"),
            "--auth-only",
            // Required even when nothing is retrieved.
            "--delivery=mda,cat >/dev/null",
            "--debug",
        ])
        .arg(format!("--uidls-file={}/uidls", home.display()))
        .env("HOME", &home)
        .stdin(Stdio::null())
        .output()
        .expect("mpop runs");
    let outcome = server.join().unwrap();
    let _ = std::fs::remove_dir_all(&home);
    let log =
        String::from_utf8_lossy(&mpop.stdout).into_owned() + &String::from_utf8_lossy(&mpop.stderr);
    (mpop.status.success(), outcome, log)
}

#[test]
fn mpop_logs_in_through_every_mechanism() {
    if !mpop_available() {
        eprintln!("skipped: mpop is not installed (apt-get install mpop)");
        return;
    }
    for mechanism in ["scram-sha-256", "scram-sha-1", "cram-md5", "plain", "login"] {
        let (ok, outcome, log) = run(mechanism, "secret");
        assert!(ok, "{mechanism}: mpop failed:\n{log}");
        let Some(ServerOutcome::Success(identity)) = outcome else {
            panic!("{mechanism}: {outcome:?}\n{log}");
        };
        assert_eq!(identity.user(), Some("alice"), "{mechanism}");
        if std::env::var_os("SHOW_MPOP").is_some() {
            eprintln!("{log}");
        }
        if mechanism.starts_with("scram") {
            // mpop verified our server-final and answered it with the
            // empty line before our +OK.
            assert!(log.contains("+OK Logged in."), "{log}");
        }
    }
}

#[test]
fn mpop_with_a_wrong_password_fails_on_both_sides() {
    if !mpop_available() {
        eprintln!("skipped: mpop is not installed (apt-get install mpop)");
        return;
    }
    for mechanism in ["scram-sha-256", "scram-sha-1", "cram-md5", "plain", "login"] {
        let (ok, outcome, log) = run(mechanism, "wrong");
        assert!(
            !ok,
            "{mechanism}: mpop succeeded with a wrong password:\n{log}"
        );
        assert_eq!(
            outcome,
            Some(ServerOutcome::Failure(Failure::Rejected)),
            "{mechanism}\n{log}"
        );
    }
}
