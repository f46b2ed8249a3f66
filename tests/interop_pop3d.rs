//! `examples/pop3d` (the server machine over std::net and rustls) against
//! real clients nobody here wrote: Python's poplib (USER/PASS, APOP,
//! STLS), curl (LIST and RETR over plaintext, STLS with `--ssl-reqd`,
//! POP3S with `-k`) and mpop (SCRAM-SHA-256 over STLS), each message
//! compared byte for byte with the file on disk after that client's own
//! line-end convention. Then, with poplib and a raw socket: DELE + QUIT
//! removes exactly the marked files, a dropped connection removes none,
//! a second session for a user gets `-ERR [IN-USE]`, and a command with
//! a NUL gets `-ERR` and is not run.
//!
//! One pop3d runs for the whole test binary, on free loopback ports
//! (port 0), over a Maildir seeded in a temporary directory: lines that
//! start with `.`, a line that is only `.`, a 5 MB attachment, raw 8-bit
//! headers, a 1500-octet line, an empty body, LF line ends, no final
//! newline, and a file name too long for a UID. It is stopped by its PID
//! when the test ends, failed or not.
//!
//! `cargo test` builds target/debug/examples/pop3d before it runs this;
//! without it, or without a client (python3, curl, mpop), the test or
//! that client's part says why and passes without checking, unless
//! `POP3_PROTO_PEERS_REQUIRED` is set (as `.ci/run` does).

mod common;
mod process_support;

use common::as_retrieved;
use process_support::{Run, TempDir, run_with_deadline};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Users and passwords: alice's mailbox is the seeded one every client
/// retrieves (nothing deletes from it); bob's is for DELE + QUIT,
/// carol's for a dropped connection, dave's for [IN-USE] and NUL.
const USERS: [(&str, &str); 4] = [
    ("alice", "alice-Secret-1"),
    ("bob", "bob-Secret-2"),
    ("carol", "carol-Secret-3"),
    ("dave", "dave-Secret-4"),
];

fn password(user: &str) -> &'static str {
    USERS
        .iter()
        .find(|(u, _)| *u == user)
        .map(|(_, p)| *p)
        .unwrap()
}

fn required() -> bool {
    std::env::var_os("POP3_PROTO_PEERS_REQUIRED").is_some()
}

/// Skips with a message, or fails when peers are required.
fn skip(what: &str, why: &str) {
    assert!(
        !required(),
        "{what}: {why} (POP3_PROTO_PEERS_REQUIRED is set)"
    );
    eprintln!("skipped: {what}: {why}");
}

// ------------------------------------------------------------ the mail

/// A 5 MB attachment: base64 of pseudo-random bytes in 76-character
/// lines.
fn attachment() -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::with_capacity(5 * 1024 * 1024 + 100_000);
    let mut line = 0;
    while out.len() < 5 * 1024 * 1024 {
        let v = next();
        for i in 0..8 {
            out.push(ALPHABET[((v >> (i * 6)) & 63) as usize]);
            line += 1;
            if line == 76 {
                out.extend_from_slice(b"\r\n");
                line = 0;
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// alice's Maildir: (path under the Maildir, content as stored).
fn alice_messages() -> Vec<(String, Vec<u8>)> {
    let mut big = b"From: Big <big@example.org>\r\nSubject: attachment\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
        see attached\r\n--b\r\nContent-Type: application/octet-stream\r\n\
        Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    big.extend_from_slice(&attachment());
    big.extend_from_slice(b"--b--\r\n");
    let mut long = b"From: Long <long@example.org>\r\nSubject: a long line\r\n\r\n".to_vec();
    // 1500 octets with its CRLF.
    long.extend((0..1498).map(|i| b'a' + (i % 26) as u8));
    long.extend_from_slice(b"\r\nshort line\r\n");
    let long_name = format!("cur/1733000008.{}.test:2,S", "x".repeat(80));
    vec![
        (
            "new/1733000001.M1P1.test".into(),
            b"From: Dots <dots@example.org>\r\nSubject: dots\r\n\r\n.hidden\r\n..two dots\r\n. space\r\n.\tTab\r\nend\r\n".to_vec(),
        ),
        (
            "new/1733000002.M2P1.test".into(),
            b"From: Dot <dot@example.org>\r\nSubject: a lone dot\r\n\r\nbefore\r\n.\r\nafter the dot line\r\n.\r\n".to_vec(),
        ),
        ("new/1733000003.M3P1.test".into(), big),
        (
            "new/1733000004.M4P1.test".into(),
            b"From: J\xfcrgen M\xc3\xbcller <j@example.org>\r\nSubject: caf\xe9 \xc3\xa9t\xe9 \xff\x80\r\nX-Raw: \x01\x7f\r\n\r\n8-bit body: \xe4\xf6\xfc \xc3\xa4\r\n".to_vec(),
        ),
        ("cur/1733000005.M5P1.test:2,S".into(), long),
        (
            "cur/1733000006.M6P1.test:2,".into(),
            b"From: Empty <empty@example.org>\r\nSubject: empty body\r\n\r\n".to_vec(),
        ),
        (
            "cur/1733000007.M7P1.test:2,RS".into(),
            b"From: Lf <lf@example.org>\nSubject: stored with LF\n\n.dot line\n.\nlast\n".to_vec(),
        ),
        (
            long_name,
            b"From: Odd <odd@example.org>\r\nSubject: no final newline\r\n\r\nthe end".to_vec(),
        ),
    ]
}

/// Small mailboxes for the others.
fn small_messages(user: &str, n: usize) -> Vec<(String, Vec<u8>)> {
    (1..=n)
        .map(|i| {
            (
                format!("new/173300010{i}.M{i}P1.{user}"),
                format!("From: {user}\r\nSubject: {user} {i}\r\n\r\nmessage {i}\r\n").into_bytes(),
            )
        })
        .collect()
}

/// The UID pop3d gives a file name whose unique part no other file of
/// the maildrop has: its unique part, or `~` and the SHA-256 of it when
/// that is not 1-70 characters of 0x21-0x7E or starts with `~`.
fn expected_uid(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap();
    let unique = name.split(":2,").next().unwrap();
    if (1..=70).contains(&unique.len())
        && !unique.starts_with('~')
        && unique.bytes().all(|b| (0x21..=0x7e).contains(&b))
    {
        unique.to_owned()
    } else {
        use sha2::Digest;
        let hex: String = sha2::Sha256::digest(unique.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("~{hex}")
    }
}

// ------------------------------------------------------------ the peer

/// The running pop3d: killed by its PID when dropped (the test's end,
/// a failure's unwinding included).
struct Pop3d {
    child: Child,
    plain: SocketAddr,
    pop3s: SocketAddr,
    dir: TempDir,
}

impl Drop for Pop3d {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pop3d {
    fn maildir(&self, user: &str) -> PathBuf {
        self.dir.path().join("maildirs").join(user)
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The session log lines so far.
    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }

    /// How many session log lines contain `pattern`.
    fn sessions(&self, pattern: &str) -> usize {
        self.log().lines().filter(|l| l.contains(pattern)).count()
    }

    /// Waits (a bounded time: the line comes once the server has seen
    /// the connection close) for one more session line with `pattern`
    /// than `before`.
    fn expect_session(&self, before: usize, pattern: &str) {
        let started = Instant::now();
        while self.sessions(pattern) <= before {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no session with {pattern:?} in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The files of `user`'s Maildir, by path under it.
    fn files(&self, user: &str) -> Vec<String> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.maildir(user).join(sub);
            let mut names: Vec<String> = fs::read_dir(&dir)
                .unwrap()
                .flatten()
                .map(|e| format!("{sub}/{}", e.file_name().to_string_lossy()))
                .collect();
            names.sort();
            files.extend(names);
        }
        files
    }

    fn start(bin: &Path) -> Self {
        let dir = TempDir::new("pop3d", "server");
        let root = dir.path().join("maildirs");
        for (user, _) in USERS {
            for sub in ["tmp", "new", "cur"] {
                fs::create_dir_all(root.join(user).join(sub)).unwrap();
            }
            let messages = match user {
                "alice" => alice_messages(),
                "bob" => small_messages(user, 4),
                "carol" => small_messages(user, 3),
                _ => small_messages(user, 2),
            };
            for (path, content) in messages {
                fs::write(root.join(user).join(path), content).unwrap();
            }
        }
        let users: String = USERS.iter().map(|(u, p)| format!("{u}:{p}\n")).collect();
        fs::write(dir.path().join("users"), users).unwrap();
        let (ca, cert, key) = certificate();
        fs::write(dir.path().join("ca.pem"), ca).unwrap();
        fs::write(dir.path().join("cert.pem"), cert).unwrap();
        fs::write(dir.path().join("key.pem"), key).unwrap();

        let stdout = dir.path().join("stdout");
        let p = |name: &str| dir.path().join(name).display().to_string();
        let child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0"])
            .args(["--cert", &p("cert.pem"), "--key", &p("key.pem")])
            .args(["--maildir-root", &p("maildirs"), "--users", &p("users")])
            .args(["--apop", "--plaintext"])
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).unwrap())
            .stderr(fs::File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .expect("start examples/pop3d");
        let mut server = Self {
            child,
            plain: SocketAddr::from(([127, 0, 0, 1], 0)),
            pop3s: SocketAddr::from(([127, 0, 0, 1], 0)),
            dir,
        };
        // Its stdout names the ports it bound.
        let started = Instant::now();
        loop {
            let text = fs::read_to_string(&stdout).unwrap_or_default();
            for line in text.lines() {
                let Some(rest) = line.strip_prefix("pop3d: listening on ") else {
                    continue;
                };
                let addr: SocketAddr = rest.split(' ').next().unwrap().parse().unwrap();
                if rest.ends_with("(POP3S)") {
                    server.pop3s = addr;
                } else {
                    server.plain = addr;
                }
            }
            if server.plain.port() != 0 && server.pop3s.port() != 0 {
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("pop3d exited ({status}):\n{}", server.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "pop3d did not listen:\n{text}{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A test CA and a server certificate for localhost and 127.0.0.1 it
/// signed: (CA PEM, certificate PEM, key PEM).
fn certificate() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "pop3-proto interop CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// `target/debug/examples/pop3d`, built by `cargo test`, if it is there
/// and newer than its sources.
fn example() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/<test>-<hash> -> target/debug/examples/pop3d
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| {
            d.join("examples")
                .join(format!("pop3d{}", std::env::consts::EXE_SUFFIX))
        })
        .filter(|b| b.is_file());
    let build = "`cargo test` builds it (`cargo test --test interop_pop3d` alone does not: \
                 `cargo build --example pop3d` first)";
    let Some(bin) = bin else {
        return Err(format!(
            "no examples/pop3d next to {}; {build}",
            exe.display()
        ));
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = modified(&bin);
    let newer = [
        root.join("examples/pop3d.rs"),
        root.join("examples/common/pop3d.rs"),
        root.join("src"),
    ]
    .iter()
    .flat_map(|p| sources(p))
    .find(|p| modified(p) > built);
    match newer {
        Some(newer) => Err(format!(
            "{} is older than {}; {build}",
            bin.display(),
            newer.display()
        )),
        None => Ok(bin),
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn sources(path: &Path) -> Vec<PathBuf> {
    match fs::read_dir(path) {
        Ok(dir) => dir.flatten().flat_map(|e| sources(&e.path())).collect(),
        Err(_) => vec![path.to_path_buf()],
    }
}

// ------------------------------------------------------------ clients

/// Runs a client, killing it (by its PID) after 60 s.
fn run(command: &mut Command) -> Run {
    run_with_deadline(command, Duration::from_secs(60))
}

fn installed(program: &str, version_arg: &str) -> bool {
    Command::new(program)
        .arg(version_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The first octet where two messages differ, for a failure message.
fn differ(what: &str, got: &[u8], want: &[u8]) -> String {
    let at = got.iter().zip(want).take_while(|(a, b)| a == b).count();
    format!(
        "{what}: {} octets, want {}; first difference at octet {at}: got {:?}, want {:?}",
        got.len(),
        want.len(),
        String::from_utf8_lossy(&got[at.min(got.len())..(at + 40).min(got.len())]),
        String::from_utf8_lossy(&want[at.min(want.len())..(at + 40).min(want.len())]),
    )
}

/// alice's messages as a POP3 client reads them back, by number.
fn alice_retrieved() -> Vec<Vec<u8>> {
    alice_messages()
        .iter()
        .map(|(_, c)| as_retrieved(c))
        .collect()
}

fn poplib(peer: &Pop3d, args: &[&str]) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/poplib_client.py");
    let mut command = Command::new("python3");
    command.arg(script).args(args);
    run(command.args(["--port", &peer.plain.port().to_string()]))
}

/// poplib retrieves alice's mailbox in `mode`; every message, the
/// UIDL and LIST listings are checked.
fn poplib_retrieves(peer: &Pop3d, mode: &str) {
    let out = TempDir::new("pop3d", "poplib");
    let ca = peer.ca().display().to_string();
    let session = match mode {
        "user" => "tls=none user=alice auth=USER end=quit",
        "apop" => "tls=none user=alice auth=APOP end=quit",
        _ => "tls=stls user=alice auth=USER end=quit",
    };
    let before = peer.sessions(session);
    let run = poplib(
        peer,
        &[
            "--mode",
            mode,
            "--user",
            "alice",
            "--password",
            password("alice"),
            "--ca",
            &ca,
            "--out",
            &out.path().display().to_string(),
        ],
    );
    assert!(run.success, "poplib {mode}: {}", run.stderr);
    let messages = alice_messages();
    for (i, want) in alice_retrieved().iter().enumerate() {
        let got = fs::read(out.path().join((i + 1).to_string())).unwrap();
        assert!(
            &got == want,
            "{}",
            differ(&format!("poplib {mode}, message {}", i + 1), &got, want)
        );
    }
    let uidl = fs::read_to_string(out.path().join("uidl")).unwrap();
    let want: String = messages
        .iter()
        .enumerate()
        .map(|(i, (path, _))| format!("{} {}\n", i + 1, expected_uid(path)))
        .collect();
    assert_eq!(uidl, want, "poplib {mode}: UIDL");
    let list = fs::read_to_string(out.path().join("list")).unwrap();
    assert_eq!(list, list_of(&alice_retrieved()), "poplib {mode}: LIST");
    peer.expect_session(before, session);
}

/// The lines of a scan listing of these messages, LF-ended.
fn list_of(messages: &[Vec<u8>]) -> String {
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} {}\n", i + 1, m.len()))
        .collect()
}

fn curl_url(peer: &Pop3d, mode: &str, path: &str) -> (Vec<String>, String) {
    let user = format!("alice:{}", password("alice"));
    let ca = peer.ca().display().to_string();
    match mode {
        "plain" => (
            vec!["-u".into(), user],
            format!("pop3://127.0.0.1:{}/{path}", peer.plain.port()),
        ),
        "stls" => (
            vec![
                "--ssl-reqd".into(),
                "--cacert".into(),
                ca,
                "-u".into(),
                user,
            ],
            format!("pop3://127.0.0.1:{}/{path}", peer.plain.port()),
        ),
        _ => (
            vec!["-k".into(), "-u".into(), user],
            format!("pop3s://127.0.0.1:{}/{path}", peer.pop3s.port()),
        ),
    }
}

/// curl lists and retrieves alice's mailbox in `mode` (plain, stls,
/// pop3s): curl writes each message as it came, unstuffed, CRLF and all.
fn curl_retrieves(peer: &Pop3d, mode: &str) {
    let session = format!(
        "tls={} user=alice",
        if mode == "plain" { "none" } else { mode }
    );
    let before = peer.sessions(&session);
    let (args, url) = curl_url(peer, mode, "");
    let list = run(Command::new("curl")
        .args(["-sS", "--max-time", "60"])
        .args(&args)
        .arg(&url));
    assert!(list.success, "curl {mode} LIST: {}", list.stderr);
    let want = list_of(&alice_retrieved()).replace('\n', "\r\n");
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        want,
        "curl {mode}: LIST"
    );
    for (i, want) in alice_retrieved().iter().enumerate() {
        let (args, url) = curl_url(peer, mode, &(i + 1).to_string());
        let retr = run(Command::new("curl")
            .args(["-sS", "--max-time", "60"])
            .args(&args)
            .arg(&url));
        assert!(retr.success, "curl {mode} RETR {}: {}", i + 1, retr.stderr);
        assert!(
            &retr.stdout == want,
            "{}",
            differ(
                &format!("curl {mode}, message {}", i + 1),
                &retr.stdout,
                want
            )
        );
    }
    // A session for the LIST and one per RETR, each ended by QUIT.
    peer.expect_session(before + alice_retrieved().len(), &session);
    // curl picks CRAM-MD5 from the SASL list; the others it can name.
    let others: &[&str] = match mode {
        "plain" => &["+APOP", "PLAIN", "LOGIN"],
        "stls" => &["PLAIN", "LOGIN"],
        _ => &["PLAIN"],
    };
    for auth in others {
        let session = format!("{session} auth={} end=quit", auth.trim_start_matches('+'));
        let before = peer.sessions(&session);
        let (args, url) = curl_url(peer, mode, "");
        let list = run(Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "60",
                "--login-options",
                &format!("AUTH={auth}"),
            ])
            .args(&args)
            .arg(&url));
        assert!(
            list.success,
            "curl {mode} AUTH={auth} LIST: {}",
            list.stderr
        );
        assert_eq!(
            String::from_utf8_lossy(&list.stdout),
            list_of(&alice_retrieved()).replace('\n', "\r\n"),
            "curl {mode} AUTH={auth}: LIST"
        );
        peer.expect_session(before, &session);
    }
}

/// mpop retrieves alice's mailbox over STLS (the certificate checked
/// against the test CA) with SCRAM-SHA-256 into a Maildir, keeping the
/// mail on the server. mpop stores each message with LF line ends, so
/// the comparison is with the CRLF form turned into LF.
fn mpop_retrieves(peer: &Pop3d) {
    let home = TempDir::new("pop3d", "mpop");
    let maildir = home.path().join("Maildir");
    for sub in ["tmp", "new", "cur"] {
        fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let config = home.path().join("mpoprc");
    fs::write(
        &config,
        format!(
            "defaults\naccount default\nhost 127.0.0.1\nport {}\ntimeout 60\n\
             tls on\ntls_starttls on\ntls_trust_file {}\n\
             auth scram-sha-256\nuser alice\npassword {}\n\
             delivery maildir {}\nkeep on\nonly_new off\nreceived_header off\n\
             uidls_file {}/uidls\n",
            peer.plain.port(),
            peer.ca().display(),
            password("alice"),
            maildir.display(),
            home.path().display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&config, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let session = "tls=stls user=alice auth=SCRAM-SHA-256 end=quit";
    let before = peer.sessions(session);
    let mpop = run(Command::new("mpop")
        .arg(format!("--file={}", config.display()))
        .arg("--quiet")
        .env("HOME", home.path()));
    assert!(
        mpop.success,
        "mpop: {}{}",
        String::from_utf8_lossy(&mpop.stdout),
        mpop.stderr
    );
    let mut got: Vec<Vec<u8>> = fs::read_dir(maildir.join("new"))
        .unwrap()
        .flatten()
        .map(|e| fs::read(e.path()).unwrap())
        .collect();
    let mut want: Vec<Vec<u8>> = alice_retrieved().iter().map(|m| crlf_to_lf(m)).collect();
    assert_eq!(got.len(), want.len(), "mpop: messages delivered");
    // mpop names the files itself: compare the sets.
    got.sort();
    want.sort();
    for (g, w) in got.iter().zip(&want) {
        assert!(g == w, "{}", differ("mpop", g, w));
    }
    peer.expect_session(before, session);
}

fn crlf_to_lf(m: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(m.len());
    let mut i = 0;
    while i < m.len() {
        if m[i] == b'\r' && m.get(i + 1) == Some(&b'\n') {
            i += 1;
        }
        out.push(m[i]);
        i += 1;
    }
    out
}

/// A session on a raw socket, for what no client sends (a NUL) or holds
/// (a session left open).
struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut raw = Self {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        };
        let greeting = raw.line();
        assert!(greeting.starts_with("+OK"), "{greeting}");
        raw
    }

    fn line(&mut self) -> String {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).unwrap();
        String::from_utf8_lossy(&line).into_owned()
    }

    fn send(&mut self, bytes: &[u8]) -> String {
        self.writer.write_all(bytes).unwrap();
        self.line()
    }

    fn log_in(&mut self, user: &str) -> String {
        let reply = self.send(format!("USER {user}\r\n").as_bytes());
        assert!(reply.starts_with("+OK"), "{reply}");
        self.send(format!("PASS {}\r\n", password(user)).as_bytes())
    }
}

/// poplib marks 1 and 3 of bob's 4 and QUITs: exactly those files go.
fn dele_quit_removes_the_marked(peer: &Pop3d) {
    let before = peer.files("bob");
    let run = poplib(
        peer,
        &[
            "--user",
            "bob",
            "--password",
            password("bob"),
            "--dele",
            "1,3",
        ],
    );
    assert!(run.success, "poplib DELE: {}", run.stderr);
    assert_eq!(peer.files("bob"), [before[1].clone(), before[3].clone()]);
}

/// poplib marks all of carol's and drops the connection: nothing goes,
/// and the lock is released (the next login opens the maildrop).
fn dropped_connection_removes_none(peer: &Pop3d) {
    let before = peer.files("carol");
    let run = poplib(
        peer,
        &[
            "--user",
            "carol",
            "--password",
            password("carol"),
            "--dele",
            "1,2,3",
            "--drop",
        ],
    );
    assert!(run.success, "poplib drop: {}", run.stderr);
    // The server sees the EOF soon after; until then the lock holds.
    let started = Instant::now();
    let reply = loop {
        let mut raw = Raw::connect(peer.plain);
        let reply = raw.log_in("carol");
        raw.send(b"QUIT\r\n");
        if !reply.contains("[IN-USE]") || started.elapsed() > Duration::from_secs(5) {
            break reply;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(reply.starts_with("+OK maildrop has 3 messages"), "{reply}");
    assert_eq!(peer.files("carol"), before);
}

/// While a session holds dave's maildrop, a second login (poplib's,
/// then a raw one) gets -ERR [IN-USE]; a command with a NUL gets -ERR
/// and is not run.
fn in_use_and_nul(peer: &Pop3d, with_poplib: bool) {
    let before = peer.files("dave");
    let mut first = Raw::connect(peer.plain);
    let reply = first.log_in("dave");
    assert!(reply.starts_with("+OK maildrop has 2 messages"), "{reply}");

    if with_poplib {
        let run = poplib(peer, &["--user", "dave", "--password", password("dave")]);
        assert!(!run.success, "poplib logged in beside a session");
        assert!(
            run.stderr.starts_with("-ERR [IN-USE]"),
            "poplib: {}",
            run.stderr
        );
    }
    let mut second = Raw::connect(peer.plain);
    let reply = second.log_in("dave");
    assert!(reply.starts_with("-ERR [IN-USE]"), "{reply}");
    second.send(b"QUIT\r\n");

    // SPEC S10: a NUL is a protocol error, wherever it is.
    for line in [
        &b"DELE 1\0\r\n"[..],
        b"DELE\x001\r\n",
        b"\0DELE 1\r\n",
        b"DELE 1 \0\r\n",
    ] {
        let reply = first.send(line);
        assert!(
            reply.starts_with("-ERR"),
            "{:?}: {reply}",
            String::from_utf8_lossy(line)
        );
    }
    let reply = first.send(b"LIST 1\r\n");
    assert!(
        reply.starts_with("+OK 1 "),
        "message 1 was deleted: {reply}"
    );
    let reply = first.send(b"STAT\r\n");
    assert!(reply.starts_with("+OK 2 "), "{reply}");
    let reply = first.send(b"QUIT\r\n");
    assert!(reply.starts_with("+OK"), "{reply}");
    assert_eq!(peer.files("dave"), before);
}

/// A wrong password and an unknown user get the same -ERR [AUTH], after
/// the machine's failure delay (a deadline the server's loop waits out
/// with its socket's read timeout); the right password then works.
fn wrong_password_is_delayed(peer: &Pop3d) {
    let session = "user=dave auth=USER end=quit";
    let before = peer.sessions(session);
    let mut raw = Raw::connect(peer.plain);
    let mut replies = Vec::new();
    for user in ["dave", "nobody"] {
        assert!(
            raw.send(format!("USER {user}\r\n").as_bytes())
                .starts_with("+OK")
        );
        let at = Instant::now();
        let reply = raw.send(b"PASS wrong\r\n");
        assert!(
            at.elapsed() >= Duration::from_millis(1500),
            "the -ERR came after {:?}",
            at.elapsed()
        );
        replies.push(reply);
    }
    assert!(replies[0].starts_with("-ERR [AUTH]"), "{}", replies[0]);
    assert_eq!(replies[0], replies[1], "SPEC S13: the same reply");
    let reply = raw.log_in("dave");
    assert!(reply.starts_with("+OK maildrop has 2 messages"), "{reply}");
    assert!(raw.send(b"QUIT\r\n").starts_with("+OK"));
    // Other cases log dave's sessions too, in parallel: wait for this
    // session's own line, not just one more of dave's.
    peer.expect_session(before, session);
    peer.expect_session(0, "failed-logins=2 (last as \"nobody\")");
}

// ------------------------------------------------------------ the test

#[test]
fn pop3d_serves_real_clients() {
    let bin = match example() {
        Ok(bin) => bin,
        Err(why) => return skip("examples/pop3d", &why),
    };
    let started = Instant::now();
    let peer = Pop3d::start(&bin);
    let python = installed("python3", "--version");
    let curl = installed("curl", "--version");
    let mpop = installed("mpop", "--version");

    type Case<'a> = (&'a str, bool, &'a str, Box<dyn Fn(&Pop3d) + 'a>);
    let cases: Vec<Case<'_>> = vec![
        (
            "poplib USER/PASS",
            python,
            "python3",
            Box::new(|p| poplib_retrieves(p, "user")),
        ),
        (
            "poplib APOP",
            python,
            "python3",
            Box::new(|p| poplib_retrieves(p, "apop")),
        ),
        (
            "poplib STLS",
            python,
            "python3",
            Box::new(|p| poplib_retrieves(p, "stls")),
        ),
        (
            "curl plaintext",
            curl,
            "curl",
            Box::new(|p| curl_retrieves(p, "plain")),
        ),
        (
            "curl STLS --ssl-reqd",
            curl,
            "curl",
            Box::new(|p| curl_retrieves(p, "stls")),
        ),
        (
            "curl POP3S -k",
            curl,
            "curl",
            Box::new(|p| curl_retrieves(p, "pop3s")),
        ),
        (
            "mpop SCRAM-SHA-256 over STLS",
            mpop,
            "mpop",
            Box::new(mpop_retrieves),
        ),
        (
            "poplib DELE + QUIT",
            python,
            "python3",
            Box::new(dele_quit_removes_the_marked),
        ),
        (
            "poplib dropped connection",
            python,
            "python3",
            Box::new(dropped_connection_removes_none),
        ),
        (
            "[IN-USE] and NUL",
            true,
            "",
            Box::new(move |p| in_use_and_nul(p, python)),
        ),
        (
            "wrong password",
            true,
            "",
            Box::new(wrong_password_is_delayed),
        ),
    ];
    let mut failures = BTreeMap::new();
    for (name, present, program, case) in cases {
        if !present {
            skip(name, &format!("{program} is not installed"));
            continue;
        }
        let at = Instant::now();
        match catch_unwind(AssertUnwindSafe(|| case(&peer))) {
            Ok(()) => eprintln!("ok: {name} ({:.1} s)", at.elapsed().as_secs_f64()),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                eprintln!("FAILED: {name}: {message}");
                failures.insert(name, message);
            }
        }
    }
    eprintln!("all cases in {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "{} case(s) failed: {failures:#?}\npop3d's log:\n{}",
        failures.len(),
        peer.log()
    );
    // Every session left a log line, and none holds a raw control byte.
    let log = peer.log();
    if std::env::var_os("SHOW_POP3D_LOG").is_some() {
        eprintln!("{log}");
    }
    assert!(log.lines().count() >= 10, "{log}");
    assert!(
        !log.bytes().any(|b| b.is_ascii_control() && b != b'\n'),
        "{log}"
    );
}
