//! Retrieve mail from a POP3 server into a Maildir, over TCP and rustls,
//! with the sans-IO client doing the protocol.
//!
//! ```sh
//! cargo run --example fetch -- --host pop.example.com --tls \
//!     --user alice --pass secret --out ~/Maildir [--keep] [--delete]
//! ```
//!
//! Options:
//!
//! * `--url pop://user;AUTH=mech@host:port` (RFC 2384) for the host,
//!   port, user and mechanism, or:
//! * `--host H`, `--port P` (110, or 995 with `--tls`), `--user U`,
//!   `--pass P` (or `--pass-file F`), `--out DIR` (made into a Maildir);
//! * `--tls` for POP3S, `--stls` for STLS on port 110; neither: plaintext,
//!   where only logins that keep the password off the wire are used
//!   unless `--allow-plaintext`;
//! * `--auth auto|user|apop|plain|login|cram-md5|scram-sha-1|scram-sha-256|xoauth2`
//!   (`auto`, the default, picks the strongest the server offers);
//! * `--keep`: leave mail on the server and fetch only messages whose
//!   UIDL is new, remembered in `DIR/.pop3-proto-uidls`; `--delete`:
//!   delete what was fetched;
//! * `--ca FILE` trusts a PEM certificate (a test server's);
//!   `--insecure` trusts any certificate (tests only);
//! * `--no-pipelining`; `--quiet`; `--transcript` prints the session on
//!   stderr, commands and replies, with every credential redacted.
//!
//! Each message is written exactly as it came off the wire after
//! unstuffing (CRLF line ends), into `tmp/` and then renamed into `new/`.
//! The retrieval itself is `examples/common/fetch.rs`, which
//! `examples/demo.rs` runs too.

#[path = "common/fetch.rs"]
mod fetch;

use fetch::{Args, run};
use std::fs;
use std::path::Path;
use std::process::ExitCode;

fn usage() -> ! {
    eprintln!(
        "usage: fetch (--url pop://U;AUTH=M@H:P | --host H [--port P] --user U) (--pass P | --pass-file F) --out DIR\n\
         \x20      [--tls | --stls] [--auth auto|user|apop|plain|login|cram-md5|scram-sha-1|scram-sha-256|xoauth2]\n\
         \x20      [--keep] [--delete] [--ca FILE] [--insecure] [--allow-plaintext] [--no-pipelining] [--quiet] [--transcript]"
    );
    std::process::exit(2)
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args::new("", "", "", Path::new(""));
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => {
                // RFC 2384: host, port, user and mechanism; never a
                // password (SPEC R74, R75).
                let url = pop3_proto::url::PopUrl::parse(&value()?).map_err(|e| e.to_string())?;
                a.host = url.host().as_str().to_owned();
                a.port = Some(url.port());
                if let Some(user) = url.user() {
                    a.user = user.as_str().to_owned();
                }
                a.auth = match url.auth() {
                    pop3_proto::url::Auth::Any => "auto".into(),
                    pop3_proto::url::Auth::Apop => "apop".into(),
                    pop3_proto::url::Auth::Sasl(m) => m.as_str().to_ascii_lowercase(),
                    pop3_proto::url::Auth::Other(e) => {
                        return Err(format!("--url: unsupported ;AUTH=+{}", e.as_str()));
                    }
                };
            }
            "--host" => a.host = value()?,
            "--port" => a.port = Some(value()?.parse().map_err(|_| "--port: not a port")?),
            "--user" => a.user = value()?,
            "--pass" => a.pass = value()?,
            "--pass-file" => {
                let path = value()?;
                a.pass = fs::read_to_string(&path)
                    .map_err(|e| format!("{path}: {e}"))?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned();
            }
            "--out" => a.out = value()?.into(),
            "--tls" => a.tls = true,
            "--stls" => a.stls = true,
            "--auth" => a.auth = value()?.to_ascii_lowercase(),
            "--keep" => a.keep = true,
            "--delete" => a.delete = true,
            "--ca" => a.ca = Some(value()?.into()),
            "--insecure" => a.insecure = true,
            "--allow-plaintext" => a.allow_plaintext = true,
            "--no-pipelining" => a.pipelining = false,
            "--quiet" => a.quiet = true,
            "--transcript" => a.transcript = true,
            "--help" | "-h" => usage(),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if a.host.is_empty() || a.user.is_empty() || a.out.as_os_str().is_empty() {
        usage();
    }
    if a.tls && a.stls {
        return Err("--tls and --stls exclude each other".into());
    }
    if a.keep && a.delete {
        return Err("--keep and --delete exclude each other".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fetch: {e}");
            return ExitCode::from(2);
        }
    };
    let quiet = args.quiet;
    match run(args) {
        Ok(fetched) => {
            if !quiet {
                eprintln!("fetched {} message(s)", fetched.len());
            }
            for (msg, path) in fetched {
                println!("{} {}", msg.get(), path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fetch: {e}");
            ExitCode::FAILURE
        }
    }
}
