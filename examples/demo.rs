//! The whole library in one run, with nothing to install:
//!
//! ```sh
//! cargo run --example demo
//! ```
//!
//! It starts the server of `examples/pop3d.rs` on a thread, on a free
//! loopback port, serving its demo Maildir with STLS and a certificate
//! made for the run; then fetches every message with the client of
//! `examples/fetch.rs` (the same code, `examples/common/`) over STLS,
//! verifying the certificate, logging in with SCRAM-SHA-256, into a
//! Maildir of its own. It prints the session as it goes (commands and
//! replies, credentials redacted) and the server's log line, checks that
//! every message fetched equals the file served byte for byte (once the
//! file's line ends are CRLF, as POP3 sends them), and exits 0. Both
//! Maildirs live in a temporary directory removed at the end.

// Each module is a whole example's worth of code; the demo uses part of
// each.
#[allow(dead_code)]
#[path = "common/fetch.rs"]
mod fetch;
#[allow(dead_code)]
#[path = "common/pop3d.rs"]
mod pop3d;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A directory of the demo's own, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// What a client reads back for a message stored as `content`: every
/// line end as CRLF (a bare LF or a lone CR too), and a CRLF at the end if
/// it has none (SPEC R15).
fn as_retrieved(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + content.len() / 16 + 2);
    for (i, &b) in content.iter().enumerate() {
        match b {
            b'\n' if i == 0 || content[i - 1] != b'\r' => out.extend_from_slice(b"\r\n"),
            b'\r' if content.get(i + 1) != Some(&b'\n') => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The files of a Maildir in the server's numbering: `new/` then `cur/`,
/// each sorted by name.
fn served(maildir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let dir = maildir.join(sub);
        let mut names: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        names.sort();
        files.extend(names);
    }
    Ok(files)
}

fn run() -> Result<usize, String> {
    let dir = TempDir(std::env::temp_dir().join(format!("pop3-proto-demo-{}", std::process::id())));
    let _ = fs::remove_dir_all(&dir.0);
    let root = dir.0.join("served");
    pop3d::write_demo_maildir(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let certificate = pop3d::TestCertificate::generate()?;
    let ca = dir.0.join("ca.pem");
    fs::write(&ca, &certificate.ca_pem).map_err(|e| format!("{}: {e}", ca.display()))?;

    let server = pop3d::Pop3d::new(pop3d::Config {
        maildir_root: root.clone(),
        users: pop3d::demo_users()?,
        tls: Some(certificate.server_config()?),
        utf8: false,
        apop: false,
        // No password before TLS.
        plaintext: false,
        // It logs in with SCRAM-SHA-256 (over STLS).
        tls_logins_only: false,
        max_connections: pop3d::DEFAULT_MAX_CONNECTIONS,
    })?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("listen: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    server
        .spawn(listener, false)
        .map_err(|e| format!("no thread: {e}"))?;
    println!(
        "demo: examples/pop3d serves {} (user demo, password demo) on {addr}, with STLS",
        root.join("demo").display()
    );
    println!("demo: examples/fetch retrieves it over STLS with SCRAM-SHA-256; the session:");

    let out = dir.0.join("fetched");
    let mut args = fetch::Args::new("127.0.0.1", "demo", "demo", &out);
    args.port = Some(addr.port());
    args.stls = true;
    args.auth = "scram-sha-256".into();
    args.ca = Some(ca);
    args.transcript = true;
    args.quiet = true;
    let fetched = fetch::run(args)?;

    let files = served(&root.join("demo"))?;
    if fetched.len() != files.len() {
        return Err(format!(
            "fetched {} message(s), the server has {}",
            fetched.len(),
            files.len()
        ));
    }
    for (msg, path) in &fetched {
        let file = files
            .get(msg.get() as usize - 1)
            .ok_or_else(|| format!("message {msg} is not on the server"))?;
        let want = as_retrieved(&fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?);
        let got = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if got != want {
            let at = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
            return Err(format!(
                "message {msg} differs from {} at octet {at} ({} octets fetched, {} served)",
                file.display(),
                got.len(),
                want.len()
            ));
        }
        println!(
            "demo: message {msg}: {} octets, equal to {}",
            got.len(),
            file.strip_prefix(&root).unwrap_or(file).display()
        );
    }
    Ok(fetched.len())
}

fn main() -> ExitCode {
    match run() {
        Ok(n) => {
            println!("demo: all {n} messages fetched and checked byte for byte");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}
