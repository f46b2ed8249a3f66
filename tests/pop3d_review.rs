//! A hostile review of `examples/pop3d` (examples/common/pop3d.rs): each
//! test starts target/debug/examples/pop3d like tests/interop_pop3d.rs
//! does (its own Maildir root in a temporary directory, port 0, killed by
//! its PID when the test ends) and talks to it over a raw socket.
//!
//! Each test pins a defect the review found in the code it read (commit
//! 2a667e6), fixed since. `cargo test` builds the server first; alone:
//!
//! ```sh
//! cargo build --example pop3d && cargo test --test pop3d_review
//! ```

mod process_support;

use process_support::TempDir;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ------------------------------------------------------------ harness

/// `target/debug/examples/pop3d` next to this test binary.
fn bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)?
        .join("examples")
        .join(format!("pop3d{}", std::env::consts::EXE_SUFFIX));
    if bin.is_file() {
        Some(bin)
    } else {
        eprintln!(
            "skipped: no {} (cargo build --example pop3d)",
            bin.display()
        );
        None
    }
}

/// A running pop3d, killed by its PID when dropped.
struct Pop3d {
    child: Child,
    addr: SocketAddr,
    dir: TempDir,
}

impl Drop for Pop3d {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pop3d {
    /// Serves `files` (user, path under the user's Maildir, content) for
    /// users `alice` and `bob` (password `pw`), plaintext logins allowed.
    fn start(files: &[(&str, &str, &[u8])]) -> Option<Self> {
        let bin = bin()?;
        let dir = TempDir::new("review", "server");
        let root = dir.path().join("maildirs");
        for user in ["alice", "bob"] {
            for sub in ["tmp", "new", "cur"] {
                fs::create_dir_all(root.join(user).join(sub)).unwrap();
            }
        }
        for (user, path, content) in files {
            fs::write(root.join(user).join(path), content).unwrap();
        }
        fs::write(dir.path().join("users"), "alice:pw\nbob:pw\n").unwrap();
        let stdout = dir.path().join("stdout");
        let child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--plaintext"])
            .arg("--maildir-root")
            .arg(&root)
            .arg("--users")
            .arg(dir.path().join("users"))
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).unwrap())
            .stderr(fs::File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            dir,
        };
        let started = Instant::now();
        loop {
            let text = fs::read_to_string(&stdout).unwrap_or_default();
            if let Some(rest) = text
                .lines()
                .find_map(|l| l.strip_prefix("pop3d: listening on "))
            {
                server.addr = rest.split(' ').next().unwrap().parse().unwrap();
                return Some(server);
            }
            assert!(server.child.try_wait().unwrap().is_none(), "pop3d exited");
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "pop3d did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn maildir(&self, user: &str) -> PathBuf {
        self.dir.path().join("maildirs").join(user)
    }

    fn names(&self, user: &str, sub: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.maildir(user).join(sub))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A plaintext POP3 session over a raw socket.
struct Client {
    out: TcpStream,
    inp: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Self {
        let out = TcpStream::connect(addr).unwrap();
        out.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut c = Self {
            inp: BufReader::new(out.try_clone().unwrap()),
            out,
        };
        let greeting = c.line();
        assert!(greeting.starts_with("+OK"), "{greeting}");
        c
    }

    fn line(&mut self) -> String {
        let mut line = Vec::new();
        self.inp.read_until(b'\n', &mut line).unwrap();
        String::from_utf8_lossy(&line).into_owned()
    }

    fn cmd(&mut self, command: &str) -> String {
        self.out
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        self.line()
    }

    /// A multi-line reply's lines, unstuffed, CRLF kept.
    fn multi(&mut self, command: &str) -> (String, Vec<u8>) {
        let status = self.cmd(command);
        let mut body = Vec::new();
        if status.starts_with("+OK") {
            loop {
                let mut line = Vec::new();
                self.inp.read_until(b'\n', &mut line).unwrap();
                if line == b".\r\n" || line.is_empty() {
                    break;
                }
                let line = if line.starts_with(b"..") {
                    &line[1..]
                } else {
                    &line[..]
                };
                body.extend_from_slice(line);
            }
        }
        (status, body)
    }

    fn login(addr: SocketAddr, user: &str) -> Self {
        let mut c = Self::connect(addr);
        assert!(c.cmd(&format!("USER {user}")).starts_with("+OK"));
        let reply = c.cmd("PASS pw");
        assert!(reply.starts_with("+OK"), "{reply}");
        c
    }
}

// ------------------------------------------------------------ defects

/// RFC 1939 §7: a unique-id identifies one message of the maildrop. A
/// Maildir may hold `new/X` and `cur/X:2,S` (a copy, a restored backup, a
/// second delivery agent): uid_of() strips the flags and gives both the
/// UID `X`, so a client that leaves mail on the server never downloads
/// the second one (it "has" X already).
#[test]
fn uids_are_unique_within_a_maildrop() {
    let Some(server) = Pop3d::start(&[
        ("alice", "new/X", b"Subject: one\r\n\r\nfirst\r\n"),
        ("alice", "cur/X:2,S", b"Subject: two\r\n\r\nsecond\r\n"),
    ]) else {
        return;
    };
    let mut c = Client::login(server.addr, "alice");
    let (status, body) = c.multi("UIDL");
    assert!(status.starts_with("+OK"), "{status}");
    let text = String::from_utf8(body).unwrap();
    let uids: Vec<&str> = text.lines().map(|l| l.split(' ').nth(1).unwrap()).collect();
    let mut unique = uids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        uids.len(),
        unique.len(),
        "UIDL gives duplicate unique-ids:\n{text}"
    );
}

/// Only the files of messages marked with DELE may be removed at UPDATE.
/// remove_message() falls back to "any file with the same UID" when the
/// marked file is gone, and so removes an unmarked message.
#[test]
fn update_removes_only_marked_files() {
    let Some(server) = Pop3d::start(&[
        ("alice", "new/X", b"Subject: one\r\n\r\nfirst\r\n"),
        (
            "alice",
            "cur/X:2,S",
            b"Subject: two\r\n\r\nsecond, never marked\r\n",
        ),
    ]) else {
        return;
    };
    let mut c = Client::login(server.addr, "alice");
    assert!(c.cmd("DELE 1").starts_with("+OK"));
    // Meanwhile another agent (a mail reader's expunge) removes new/X.
    fs::remove_file(server.maildir("alice").join("new/X")).unwrap();
    let quit = c.cmd("QUIT");
    assert!(quit.starts_with("+OK"), "{quit}");
    assert_eq!(
        server.names("alice", "cur"),
        ["X:2,S"],
        "message 2 was never marked, yet its file is gone"
    );
}

/// scan() skips symlinks (DirEntry::metadata does not follow them), but
/// the Content event opens the path with File::open, which does: a file
/// replaced by a symlink after the login serves any file the server can
/// read, outside the Maildir root, and with a size that is not the one
/// announced.
#[cfg(unix)]
#[test]
fn retr_does_not_follow_a_symlink_swapped_in_after_login() {
    let Some(server) = Pop3d::start(&[("alice", "cur/M:2,", b"Subject: m\r\n\r\nmine\r\n")]) else {
        return;
    };
    let secret = server.dir.path().join("outside-the-maildir-root");
    fs::write(&secret, b"a secret of the server's, 40 octets ...\r\n").unwrap();
    let mut c = Client::login(server.addr, "alice");
    let message = server.maildir("alice").join("cur/M:2,");
    fs::remove_file(&message).unwrap();
    std::os::unix::fs::symlink(&secret, &message).unwrap();
    let (status, body) = c.multi("RETR 1");
    assert!(
        !String::from_utf8_lossy(&body).contains("secret"),
        "RETR followed a symlink out of the Maildir root: {status:?} {:?}",
        String::from_utf8_lossy(&body)
    );
    if let Some(octets) = status
        .strip_prefix("+OK ")
        .and_then(|r| r.split(' ').next())
    {
        assert_eq!(
            octets.parse::<usize>().unwrap(),
            body.len(),
            "announced size != sent"
        );
    }
}

/// A thread per connection with no bound: every idle connection (no
/// login needed) costs a thread until the 10-minute autologout, and a
/// CAPA now and then keeps it for ever. One client can exhaust threads
/// and file descriptors; accept() then spins logging every 100 ms.
#[cfg(target_os = "linux")]
#[test]
fn concurrent_connections_are_bounded() {
    let Some(server) = Pop3d::start(&[]) else {
        return;
    };
    const N: usize = 600;
    let mut conns = Vec::new();
    for _ in 0..N {
        match TcpStream::connect(server.addr) {
            Ok(s) => conns.push(s),
            Err(_) => break,
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let threads: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        threads < N,
        "{N} idle unauthenticated connections hold {threads} threads: no limit"
    );
}

/// `--help` is not an error: usage on stdout, exit 0 (it prints to stderr
/// with "pop3d: " in front and exits 2, as for a bad option).
#[test]
fn help_goes_to_stdout_and_exits_zero() {
    let Some(bin) = bin() else { return };
    let out = Command::new(bin).arg("--help").output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("usage"),
        "--help: {:?}, stdout {:?}, stderr {:?}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A --maildir-root that does not exist (a typo) is accepted: the server
/// starts, and every user logs in to an empty maildrop with +OK, with no
/// word in the log. It should refuse to start.
#[test]
fn a_missing_maildir_root_is_an_error() {
    let Some(bin) = bin() else { return };
    let dir = TempDir::new("review", "noroot");
    fs::write(dir.path().join("users"), "alice:pw\n").unwrap();
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--plaintext"])
        .arg("--maildir-root")
        .arg(dir.path().join("no-such-directory"))
        .arg("--users")
        .arg(dir.path().join("users"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(3) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        status.is_some_and(|s| !s.success()),
        "pop3d serves a --maildir-root that does not exist"
    );
}

/// The no-argument demo prints "logins need STLS first", but before STLS
/// its CAPA offers SASL SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 and they work
/// in plaintext (curl pop3://demo:demo@127.0.0.1:1110/ logs in with
/// CRAM-MD5, no TLS: an exchange a sniffer can brute-force offline).
/// Runs only when 127.0.0.1:1110 is free (the demo's fixed port).
#[test]
fn demo_offers_no_login_before_stls() {
    let Some(bin) = bin() else { return };
    if std::net::TcpListener::bind("127.0.0.1:1110").is_err() {
        eprintln!("skipped: 127.0.0.1:1110 is taken");
        return;
    }
    let dir = TempDir::new("review", "demo");
    let mut child = Command::new(bin)
        .stdin(Stdio::null())
        .stdout(fs::File::create(dir.path().join("stdout")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill<'a>(&'a mut Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let pid = child.id();
    let _kill = Kill(&mut child);
    let started = Instant::now();
    let banner = loop {
        let text = fs::read_to_string(dir.path().join("stdout")).unwrap_or_default();
        if text.contains("Stop it with") {
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "demo did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // The demo's own directory, /tmp/pop3d-demo-<pid>, stays behind.
    let leftover = std::env::temp_dir().join(format!("pop3d-demo-{pid}"));
    let mut c = Client::connect(SocketAddr::from(([127, 0, 0, 1], 1110)));
    let (_, capa) = c.multi("CAPA");
    let capa = String::from_utf8_lossy(&capa).into_owned();
    let _ = c.cmd("QUIT");
    drop(_kill);
    let _ = fs::remove_dir_all(&leftover);
    assert!(
        !(banner.contains("logins need STLS first") && capa.contains("SASL")),
        "the demo says logins need STLS first, yet offers before STLS:\n{capa}"
    );
}

/// The review's two reproducer scripts, run against the server: a lone CR
/// in a stored message (tests/review2/bare_cr.py: no bare CR on the wire,
/// the dot after it stuffed) and a mail reader moving a message while
/// logins scan the Maildir (tests/review2/scan_race.py: 200 logins, never
/// refused, never a message listed twice or missing).
#[test]
fn review_scripts() {
    let Some(bin) = bin() else { return };
    if Command::new("python3").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("POP3_PROTO_PEERS_REQUIRED").is_none(),
            "python3 is required"
        );
        eprintln!("skipped: no python3");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/review2");
    for script in ["bare_cr.py", "scan_race.py"] {
        let out = Command::new("python3")
            .arg(dir.join(script))
            .arg(&bin)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {:?}\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
