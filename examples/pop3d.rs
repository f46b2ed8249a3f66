//! A POP3 server for Maildir mailboxes, over std::net and rustls, with the
//! sans-IO server machine doing the protocol.
//!
//! ```sh
//! cargo run --example pop3d          # a demo mailbox: user demo, password demo
//! cargo run --example pop3d -- --listen 127.0.0.1:1110 [--tls-listen 127.0.0.1:1995] \
//!     [--cert C --key K] --maildir-root DIR --users FILE [--utf8] [--apop] [--plaintext] \
//!     [--max-connections N]
//! ```
//!
//! * `DIR/<user>/` is each user's Maildir: its messages are the regular
//!   files of `new/` then `cur/`, each sorted by name, numbered at login
//!   (a file moved between them while the login scans is listed once; one
//!   that cannot be read is left out, with a note in the log). A user
//!   without a Maildir gets `-ERR [SYS/PERM]`. The unique-id of a message
//!   is the unique part of its file name (before `:2,`), or `~` and the
//!   SHA-256 of it when that is no valid POP3 unique-id or starts with
//!   `~`; a second file with the same unique part gets `~` and the
//!   SHA-256 of its `new/NAME` or `cur/NAME`. DELE then QUIT removes
//!   the files marked, and only those (found again by their inode when
//!   a mail reader moved them; one removed meanwhile by someone else
//!   counts as removed); a dropped connection removes none. RETR and TOP
//!   send a file only while it is the one listed, unchanged, not a
//!   symlink.
//! * `FILE` holds `user:password` lines; SCRAM-SHA-1 and SCRAM-SHA-256
//!   credentials are derived from them at start, with random salts.
//! * With `--cert` and `--key` (PEM), STLS is offered on `--listen` and
//!   `--tls-listen` serves POP3S. Logins: USER/PASS, PLAIN, LOGIN,
//!   CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, and APOP with `--apop`; the
//!   ones that send the password go only over TLS, unless `--plaintext`.
//! * `--utf8` offers `UTF8 USER` (RFC 6856).
//! * A second session for a user that has one gets `-ERR [IN-USE]`.
//! * At most `--max-connections` connections (default 256, over all the
//!   listeners) are served at once, a thread each; one more gets
//!   `-ERR [SYS/TEMP] too many connections` (POP3S: is closed). A TLS
//!   handshake gets 60 seconds in all.
//!
//! Each address it listens on is printed on stdout as
//! `pop3d: listening on ADDR (...)` (port 0 picks a free one); each
//! session ends with a line on stderr: peer, TLS, user, how it ended,
//! bytes in and out.
//!
//! Without arguments it writes a demo Maildir into a temporary directory
//! and serves it on 127.0.0.1:1110 with STLS and a certificate made for
//! the run, and prints how to connect. The demo offers no login before
//! STLS: USER/PASS, PLAIN and LOGIN, over TLS only (CRAM-MD5 and SCRAM,
//! which the server machine would offer before TLS too, are left out of
//! it; `examples/demo.rs` shows SCRAM-SHA-256 over STLS).

#[path = "common/pop3d.rs"]
mod pop3d;

use pop3d::{Config, Pop3d, TestCertificate};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    listen: Option<SocketAddr>,
    tls_listen: Option<SocketAddr>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    maildir_root: Option<PathBuf>,
    users: Option<PathBuf>,
    utf8: bool,
    apop: bool,
    plaintext: bool,
    max_connections: usize,
}

const USAGE: &str = "usage: pop3d [--listen ADDR] [--tls-listen ADDR] [--cert PEM --key PEM]\n\
    \x20            --maildir-root DIR --users FILE [--utf8] [--apop] [--plaintext]\n\
    \x20            [--max-connections N]\n\
    \x20      pop3d            (no arguments: the built-in demo)";

/// What the command line asks for.
enum Parsed {
    Serve(Args),
    /// `--help`: the usage on stdout, exit 0.
    Help,
}

fn parse_args(args: &[String]) -> Result<Parsed, String> {
    let mut a = Args {
        listen: None,
        tls_listen: None,
        cert: None,
        key: None,
        maildir_root: None,
        users: None,
        utf8: false,
        apop: false,
        plaintext: false,
        max_connections: pop3d::DEFAULT_MAX_CONNECTIONS,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let addr = |v: &String| {
            v.parse::<SocketAddr>()
                .map_err(|e| format!("{flag} {v}: {e}"))
        };
        match flag.as_str() {
            "--listen" => a.listen = Some(addr(value()?)?),
            "--tls-listen" => a.tls_listen = Some(addr(value()?)?),
            "--cert" => a.cert = Some(value()?.into()),
            "--key" => a.key = Some(value()?.into()),
            "--maildir-root" => a.maildir_root = Some(value()?.into()),
            "--users" => a.users = Some(value()?.into()),
            "--utf8" => a.utf8 = true,
            "--apop" => a.apop = true,
            "--plaintext" => a.plaintext = true,
            "--max-connections" => {
                let v = value()?;
                a.max_connections = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--max-connections {v}: not a number above 0"))?;
            }
            "--help" | "-h" => return Ok(Parsed::Help),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    if a.maildir_root.is_none() || a.users.is_none() {
        return Err(format!("--maildir-root and --users are needed\n{USAGE}"));
    }
    if a.cert.is_some() != a.key.is_some() {
        return Err("--cert and --key go together".into());
    }
    if a.tls_listen.is_some() && a.cert.is_none() {
        return Err("--tls-listen needs --cert and --key".into());
    }
    if a.listen.is_none() && a.tls_listen.is_none() {
        a.listen = Some(SocketAddr::from(([127, 0, 0, 1], 1110)));
    }
    Ok(Parsed::Serve(a))
}

/// Binds, prints the address, and serves on a thread of its own.
fn listen(server: &std::sync::Arc<Pop3d>, addr: SocketAddr, pop3s: bool) -> Result<(), String> {
    let listener = TcpListener::bind(addr).map_err(|e| format!("listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let what = match (pop3s, server.offers_stls()) {
        (true, _) => "POP3S",
        (false, true) => "POP3, STLS offered",
        (false, false) => "POP3, no TLS",
    };
    println!("pop3d: listening on {bound} ({what})");
    server
        .spawn(listener, pop3s)
        .map_err(|e| format!("no thread: {e}"))
}

fn run(args: Args) -> Result<(), String> {
    let (Some(root), Some(users)) = (&args.maildir_root, &args.users) else {
        return Err(USAGE.into());
    };
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
            Some(pop3d::server_config(&read(cert)?, &read(key)?)?)
        }
        _ => None,
    };
    let server = Pop3d::new(Config {
        maildir_root: root.clone(),
        users: pop3d::load_users(users)?,
        tls,
        utf8: args.utf8,
        apop: args.apop,
        plaintext: args.plaintext,
        tls_logins_only: false,
        max_connections: args.max_connections,
    })?;
    if let Some(addr) = args.listen {
        listen(&server, addr, false)?;
    }
    if let Some(addr) = args.tls_listen {
        listen(&server, addr, true)?;
    }
    loop {
        std::thread::park();
    }
}

/// No arguments: a demo Maildir in a temporary directory, served on
/// 127.0.0.1:1110 with STLS, and no login offered before it.
fn demo() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("pop3d-demo-{}", std::process::id()));
    let root = dir.join("maildir");
    pop3d::write_demo_maildir(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let certificate = TestCertificate::generate()?;
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &certificate.ca_pem).map_err(|e| format!("{}: {e}", ca.display()))?;
    let server = Pop3d::new(Config {
        maildir_root: root.clone(),
        users: pop3d::demo_users()?,
        tls: Some(certificate.server_config()?),
        utf8: false,
        apop: false,
        plaintext: false,
        // No login of any kind before STLS, as the banner says.
        tls_logins_only: true,
        max_connections: pop3d::DEFAULT_MAX_CONNECTIONS,
    })?;
    let addr = SocketAddr::from(([127, 0, 0, 1], 1110));
    listen(&server, addr, false)?;
    let (ca, root) = (ca.display(), root.display());
    println!(
        "pop3d: the demo mailbox is {root}/demo (user demo, password demo); logins need STLS first\n\
         (USER/PASS, PLAIN or LOGIN; none is offered before STLS).\n\
         The CA certificate to trust is {ca}. Try:\n\
         \x20 curl --ssl-reqd --cacert {ca} pop3://demo:demo@127.0.0.1:1110/\n\
         \x20 curl --ssl-reqd --cacert {ca} pop3://demo:demo@127.0.0.1:1110/2\n\
         \x20 cargo run --example fetch -- --host 127.0.0.1 --port 1110 --stls --ca {ca} \\\n\
         \x20     --user demo --pass demo --out {}/fetched --keep --transcript\n\
         Stop it with Ctrl-C; remove {} afterwards.",
        dir.display(),
        dir.display()
    );
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.is_empty() {
        demo()
    } else {
        match parse_args(&args) {
            Ok(Parsed::Serve(a)) => run(a),
            Ok(Parsed::Help) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("pop3d: {e}");
                return ExitCode::from(2);
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pop3d: {e}");
            ExitCode::FAILURE
        }
    }
}
