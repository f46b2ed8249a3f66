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
//! * `--no-pipelining`; `--quiet`.
//!
//! Each message is written exactly as it came off the wire after
//! unstuffing (CRLF line ends), into `tmp/` and then renamed into `new/`.

//! The retrieval behind `examples/fetch.rs`, shared with
//! `examples/demo.rs`: connect over TCP and rustls, log in, fetch every
//! message into a Maildir, with the sans-IO client doing the protocol.
//!
//! Each message is written exactly as it came off the wire after
//! unstuffing (CRLF line ends), into `tmp/` and then renamed into `new/`.
//! With [`Args::transcript`] the session is printed on stderr as it goes,
//! commands and replies, with every credential redacted.

use pop3_proto::client::{Client, Event, Failure, Handle, Options, Reply};
use pop3_proto::codec::{CommandDecoder, Decoded, ResponseDecoder, ResponseEvent};
use pop3_proto::sasl::choose::{Chooser, Credentials};
use pop3_proto::sasl::client::{ClientMechanism, CramMd5, Login, Plain, XOAuth2};
use pop3_proto::sasl::scram::{ChannelBinding, ChannelBindingType, ScramClient, ScramHash};
use pop3_proto::time::Instant;
use pop3_proto::types::{Command, Entry, Expect, Mechanism, MsgNumber, Response, Secret};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const STATE_FILE: &str = ".pop3-proto-uidls";

/// What to fetch, from where, and how.
pub struct Args {
    pub host: String,
    /// 110, or 995 with `tls`, when `None`.
    pub port: Option<u16>,
    pub user: String,
    pub pass: String,
    /// The Maildir to deliver into (made if missing).
    pub out: PathBuf,
    /// POP3S: TLS from the first byte.
    pub tls: bool,
    /// STLS, required: no login without TLS.
    pub stls: bool,
    /// `auto`, `user`, `apop` or a SASL mechanism's name, lower case.
    pub auth: String,
    /// Leave mail on the server; fetch only UIDs not seen before.
    pub keep: bool,
    /// Delete what was fetched.
    pub delete: bool,
    /// A PEM file of certificates to trust instead of the web's roots.
    pub ca: Option<PathBuf>,
    /// Trust any certificate (tests only).
    pub insecure: bool,
    pub allow_plaintext: bool,
    pub pipelining: bool,
    pub quiet: bool,
    /// Print the session on stderr, credentials redacted.
    pub transcript: bool,
}

impl Args {
    /// The defaults: plaintext to port 110, `auth` auto, pipelining on.
    pub fn new(host: &str, user: &str, pass: &str, out: &Path) -> Self {
        Self {
            host: host.into(),
            port: None,
            user: user.into(),
            pass: pass.into(),
            out: out.into(),
            tls: false,
            stls: false,
            auth: "auto".into(),
            keep: false,
            delete: false,
            ca: None,
            insecure: false,
            allow_plaintext: false,
            pipelining: true,
            quiet: false,
            transcript: false,
        }
    }
}

// ---------------------------------------------------------------- TLS

fn tls_config(args: &Args) -> Result<Arc<rustls::ClientConfig>, String> {
    let builder = rustls::ClientConfig::builder();
    let config = if args.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(
                rustls::crypto::ring::default_provider(),
            )))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &args.ca {
            Some(path) => {
                use rustls::pki_types::pem::PemObject;
                for cert in rustls::pki_types::CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?
                {
                    let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// `--insecure`: trusts any certificate, for test servers only.
#[derive(Debug)]
struct AnyCertificate(rustls::crypto::CryptoProvider);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The connection: plaintext until TLS starts.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Gone,
}

impl Conn {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Self::Plain(s) => Some(s),
            Self::Tls(s) => Some(&s.sock),
            Self::Gone => None,
        }
    }

    /// Starts TLS over the TCP connection and completes the handshake
    /// within `timeout` per read (the client's TLS deadline: the read
    /// timeout left from the event loop may be a millisecond, which a
    /// handshake cannot meet).
    fn start_tls(
        &mut self,
        config: &Arc<rustls::ClientConfig>,
        host: &str,
        timeout: Option<Duration>,
    ) -> Result<(), String> {
        let Self::Plain(sock) = std::mem::replace(self, Self::Gone) else {
            return Err("TLS is already on".into());
        };
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| format!("{host}: {e}"))?;
        let mut conn =
            rustls::ClientConnection::new(config.clone(), name).map_err(|e| format!("TLS: {e}"))?;
        let mut sock = sock;
        let _ = sock.set_read_timeout(timeout.filter(|t| !t.is_zero()));
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)
                .map_err(|e| format!("TLS handshake with {host}: {e}"))?;
        }
        *self = Self::Tls(Box::new(rustls::StreamOwned::new(conn, sock)));
        Ok(())
    }

    /// The tls-exporter channel binding (RFC 9266), under TLS 1.3.
    fn channel_binding(&self) -> Option<Vec<u8>> {
        let Self::Tls(s) = self else { return None };
        if s.conn.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3) {
            return None;
        }
        s.conn
            .export_keying_material(vec![0u8; 32], b"EXPORTER-Channel-Binding", Some(&[]))
            .ok()
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
            Self::Gone => Ok(0),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
            Self::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
            Self::Gone => Ok(()),
        }
    }
}

// ------------------------------------------------------------ Maildir

/// A message being written into `tmp/`.
struct Delivery {
    tmp: PathBuf,
    file: BufWriter<File>,
}

struct Maildir {
    root: PathBuf,
    host: String,
    count: u64,
}

impl Maildir {
    fn open(root: &Path) -> Result<Self, String> {
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(root.join(sub))
                .map_err(|e| format!("{}: {e}", root.join(sub).display()))?;
        }
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        Ok(Self {
            root: root.into(),
            host: host.replace(['/', ':'], "_"),
            count: 0,
        })
    }

    fn start(&mut self, msg: MsgNumber) -> Result<Delivery, String> {
        self.count += 1;
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = format!(
            "{secs}.P{}Q{}M{}.{}",
            std::process::id(),
            self.count,
            msg.get(),
            self.host
        );
        let tmp = self.root.join("tmp").join(&name);
        let file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        Ok(Delivery {
            tmp,
            file: BufWriter::new(file),
        })
    }

    fn finish(&self, delivery: Delivery) -> Result<PathBuf, String> {
        let Delivery { tmp, file, .. } = delivery;
        file.into_inner()
            .map_err(|e| e.to_string())?
            .sync_all()
            .map_err(|e| e.to_string())?;
        let name = tmp.file_name().unwrap_or_default();
        let new = self.root.join("new").join(name);
        fs::rename(&tmp, &new).map_err(|e| format!("{}: {e}", new.display()))?;
        Ok(new)
    }
}

// ---------------------------------------------------------- the job

/// Where the job stands.
#[derive(Debug, PartialEq, Eq)]
enum Phase {
    Greeting,
    Capa,
    Stls,
    Login,
    Listing,
    Fetching,
    Quitting,
}

struct Job {
    args: Args,
    tls_config: Option<Arc<rustls::ClientConfig>>,
    phase: Phase,
    capa: Option<Handle>,
    login: Option<Handle>,
    uidl: Option<Handle>,
    list: Option<Handle>,
    uids: BTreeMap<MsgNumber, String>,
    sizes: BTreeMap<MsgNumber, u64>,
    seen: BTreeSet<String>,
    /// Each RETR sent, with its message and UID; its file is opened when
    /// its first piece comes, so that a maildrop of any size needs one
    /// open file at a time (replies come in order).
    deliveries: HashMap<Handle, (MsgNumber, Option<String>, Option<Delivery>)>,
    /// The DELE commands sent (--delete), and the QUIT.
    deletes: HashMap<Handle, MsgNumber>,
    quit: Option<Handle>,
    fetched: Vec<(MsgNumber, PathBuf)>,
    maildir: Maildir,
    progress: Option<indicatif::ProgressBar>,
    error: Option<String>,
}

fn nonce() -> String {
    let mut bytes = [0u8; 18];
    // The same CSPRNG rustls uses for its handshakes.
    let _ = rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Job {
    fn fail(&mut self, client: &mut Client, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
        client.close();
    }

    /// The login the options and the server's capabilities call for.
    fn start_login(&mut self, client: &mut Client, conn: &Conn) -> Result<Handle, String> {
        let tls = client.is_tls();
        let offered: Vec<Mechanism<'static>> = client
            .capabilities()
            .and_then(|c| c.sasl())
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        let binding = conn.channel_binding();
        let auth = if self.args.auth == "auto" {
            let have = Credentials::default()
                .with_password(true)
                .with_channel_binding(binding.is_some());
            let chooser = Chooser::default().allow_plaintext_without_tls(self.args.allow_plaintext);
            match chooser.choose(&offered, have, tls) {
                Some(m) => m.as_str().to_ascii_lowercase(),
                None if tls || self.args.allow_plaintext => "user".into(),
                None => {
                    return Err(
                        "no login the server offers keeps the password off an unencrypted \
                                connection: use --tls or --stls (or --allow-plaintext)"
                            .into(),
                    );
                }
            }
        } else {
            self.args.auth.clone()
        };
        let (user, pass) = (self.args.user.as_str(), self.args.pass.as_str());
        let sasl = |m: Box<dyn ClientMechanism + Send>| Ok::<_, String>(m);
        let mechanism: Box<dyn ClientMechanism + Send> = match auth.as_str() {
            "user" => {
                return client
                    .login(user, pass)
                    .map_err(|e| format!("USER/PASS: {e}"));
            }
            "apop" => return client.apop(user, pass).map_err(|e| format!("APOP: {e}")),
            "plain" => sasl(Box::new(Plain::new(user, pass).map_err(|e| e.to_string())?))?,
            "login" => sasl(Box::new(Login::new(user, pass).map_err(|e| e.to_string())?))?,
            "cram-md5" => sasl(Box::new(
                CramMd5::new(user, pass).map_err(|e| e.to_string())?,
            ))?,
            "xoauth2" => sasl(Box::new(
                XOAuth2::new(user, pass).map_err(|e| e.to_string())?,
            ))?,
            name
            @ ("scram-sha-1" | "scram-sha-256" | "scram-sha-1-plus" | "scram-sha-256-plus") => {
                let hash = if name.starts_with("scram-sha-256") {
                    ScramHash::Sha256
                } else {
                    ScramHash::Sha1
                };
                let plus_offered = offered
                    .iter()
                    .any(|m| matches!(m, Mechanism::ScramSha1Plus | Mechanism::ScramSha256Plus));
                let binding = match (binding, name.ends_with("-plus"), plus_offered) {
                    (Some(data), true, _) => ChannelBinding::Plus {
                        kind: ChannelBindingType::TlsExporter,
                        data: Secret::new(data),
                    },
                    (None, true, _) => return Err(format!("{name} needs TLS 1.3")),
                    // RFC 5802 §6: we could bind, the server offers no
                    // -PLUS: say so, so that a downgrade is detected.
                    (Some(_), false, false) => ChannelBinding::NotOffered,
                    _ => ChannelBinding::None,
                };
                Box::new(
                    ScramClient::new(hash, user, pass, nonce(), binding)
                        .map_err(|e| e.to_string())?,
                )
            }
            other => return Err(format!("unknown --auth {other}")),
        };
        client
            .authenticate(mechanism)
            .map_err(|e| format!("AUTH: {e}"))
    }

    /// What to do next after each event.
    fn on_event(&mut self, client: &mut Client, conn: &mut Conn, event: Event) {
        match event {
            Event::Greeting(_) => {
                self.phase = Phase::Capa;
                self.capa = client.capa().ok();
            }
            Event::StartTls { .. } => {
                let config = self.tls_config.clone();
                let result = config
                    .ok_or_else(|| "no TLS configuration".to_owned())
                    .and_then(|c| conn.start_tls(&c, &self.args.host, client.options().tls_timeout))
                    .and_then(|()| client.tls_established(now()).map_err(|e| e.to_string()));
                match result {
                    Ok(()) if self.args.transcript => eprintln!("-- TLS is up"),
                    Ok(()) => {}
                    Err(e) => self.fail(client, e),
                }
            }
            Event::Done { handle, result } => self.on_done(client, conn, handle, result),
            Event::Entry { handle, entry } => match entry {
                Entry::Uid(u) if Some(handle) == self.uidl => {
                    self.uids.insert(u.msg, u.uid.as_str().to_owned());
                }
                Entry::Scan(s) if Some(handle) == self.list => {
                    self.sizes.insert(s.msg, s.size);
                }
                _ => {}
            },
            Event::Data { handle, data } => {
                if let Some((msg, _, slot)) = self.deliveries.get_mut(&handle) {
                    if slot.is_none() {
                        match self.maildir.start(*msg) {
                            Ok(d) => *slot = Some(d),
                            Err(e) => return self.fail(client, e),
                        }
                    }
                    if let Some(d) = slot {
                        if let Err(e) = d.file.write_all(&data) {
                            let message = format!("{}: {e}", d.tmp.display());
                            self.fail(client, message);
                        }
                    }
                }
                if let Some(p) = &self.progress {
                    p.inc(data.len() as u64);
                }
            }
            Event::Warning(w) => eprintln!("warning: {w:?}"),
            Event::Timeout(d) => eprintln!("timeout: {d:?}"),
            Event::Closed(reason) if !reason.is_clean() && self.error.is_none() => {
                self.error = Some(format!("the session ended: {reason:?}"));
            }
            _ => {}
        }
    }

    fn on_done(
        &mut self,
        client: &mut Client,
        conn: &mut Conn,
        handle: Handle,
        result: Result<Reply, Failure>,
    ) {
        if Some(handle) == self.capa {
            self.capa = None;
            let stls_now = self.args.stls && !client.is_tls();
            if stls_now {
                if !client.capabilities().is_some_and(|c| c.stls()) {
                    return self.fail(client, "the server does not offer STLS".into());
                }
                self.phase = Phase::Stls;
                if let Err(e) = client.stls() {
                    self.fail(client, format!("STLS: {e}"));
                }
                return;
            }
            match self.phase {
                Phase::Capa | Phase::Stls => {
                    self.phase = Phase::Login;
                    match self.start_login(client, conn) {
                        Ok(h) => self.login = Some(h),
                        Err(e) => self.fail(client, e),
                    }
                }
                _ => {}
            }
            return;
        }
        if self.phase == Phase::Stls {
            match result {
                Ok(Reply::TlsEstablished) => self.capa = client.capa().ok(),
                Ok(_) => {}
                Err(f) => self.fail(client, format!("STLS refused: {f:?}")),
            }
            return;
        }
        if Some(handle) == self.login {
            match result {
                Ok(_) => {
                    self.phase = Phase::Listing;
                    // The login made the capabilities stale (RFC 2449
                    // §5): without a CAPA now, the client never sees
                    // PIPELINING and sends one command at a time. UIDL
                    // and LIST wait for its reply.
                    self.capa = client.capa().ok();
                    self.uidl = client.uidl(None).ok();
                    self.list = client.list(None).ok();
                }
                Err(Failure::Refused(status)) => {
                    let code = status
                        .code()
                        .map(|c| format!(" [{}]", c.as_str()))
                        .unwrap_or_default();
                    self.fail(client, format!("login failed{code}: {}", status.text()));
                }
                Err(f) => self.fail(client, format!("login failed: {f:?}")),
            }
            return;
        }
        // --delete: a refused DELE or QUIT (RFC 1939 §6: "-ERR some
        // deleted messages not removed") leaves mail on the server.
        if let Some(msg) = self.deletes.remove(&handle) {
            if let Err(f) = result {
                let error = format!("DELE {} failed: {}", msg.get(), failure(&f));
                self.error.get_or_insert(error);
            }
            return;
        }
        if Some(handle) == self.quit {
            if let Err(f) = result {
                let error = format!("QUIT failed: {}", failure(&f));
                self.error.get_or_insert(error);
            }
            return;
        }
        if Some(handle) == self.uidl {
            self.uidl = None;
            if result.is_err() {
                // No UIDL: every message is new.
                self.uids.clear();
            }
        } else if Some(handle) == self.list {
            self.list = None;
            if let Err(f) = result {
                return self.fail(client, format!("LIST failed: {f:?}"));
            }
        }
        if self.phase == Phase::Listing && self.uidl.is_none() && self.list.is_none() {
            return self.fetch_all(client);
        }
        if let Some((msg, uid, slot)) = self.deliveries.remove(&handle) {
            // An empty message has no piece: its file is made now.
            let delivery = match (slot, &result) {
                (Some(d), _) => Ok(d),
                (None, Ok(_)) => self.maildir.start(msg),
                (None, Err(_)) => Err(String::new()),
            };
            match result {
                Ok(_) => match delivery.and_then(|d| self.maildir.finish(d)) {
                    Ok(path) => {
                        self.fetched.push((msg, path));
                        if let Some(uid) = uid {
                            self.seen.insert(uid);
                        }
                        if self.args.delete {
                            match client.dele(msg) {
                                Ok(h) => {
                                    self.deletes.insert(h, msg);
                                }
                                Err(e) => self.fail(client, format!("DELE {}: {e}", msg.get())),
                            }
                        }
                    }
                    Err(e) => self.fail(client, e),
                },
                Err(f) => {
                    if let Ok(d) = delivery {
                        let _ = fs::remove_file(&d.tmp);
                    }
                    return self.fail(client, format!("RETR {} failed: {f:?}", msg.get()));
                }
            }
            if self.deliveries.is_empty() {
                self.quit(client);
            }
        }
    }

    fn fetch_all(&mut self, client: &mut Client) {
        self.phase = Phase::Fetching;
        let wanted: Vec<MsgNumber> = self
            .sizes
            .keys()
            .copied()
            .filter(|m| !self.args.keep || self.uids.get(m).is_none_or(|u| !self.seen.contains(u)))
            .collect();
        let total: u64 = wanted.iter().filter_map(|m| self.sizes.get(m)).sum();
        if !self.args.quiet && io::stderr().is_terminal() && total > 0 {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bytes}/{total_bytes} {wide_bar} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            self.progress = Some(bar);
        }
        for msg in wanted {
            let uid = self.uids.get(&msg).cloned();
            match client.retr(msg) {
                Ok(h) => {
                    self.deliveries.insert(h, (msg, uid, None));
                }
                Err(e) => return self.fail(client, format!("RETR: {e}")),
            }
        }
        if self.deliveries.is_empty() {
            self.quit(client);
        }
    }

    fn quit(&mut self, client: &mut Client) {
        if self.phase != Phase::Quitting {
            self.phase = Phase::Quitting;
            match client.quit() {
                Ok(h) => self.quit = Some(h),
                Err(e) => self.fail(client, format!("QUIT: {e}")),
            }
        }
    }
}

/// A failed command, for a message: a refusal as the server put it.
fn failure(f: &Failure) -> String {
    match f {
        Failure::Refused(status) => match status.code() {
            Some(code) => format!("[{}] {}", code.as_str(), status.text()),
            None => status.text().to_string(),
        },
        other => format!("{other:?}"),
    }
}

/// The time since the program started.
fn now() -> Instant {
    use std::sync::OnceLock;
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(std::time::Instant::now);
    Instant::from_duration(origin.elapsed())
}

/// Fetches what `args` asks for; gives each message fetched and the file
/// it went into.
pub fn run(args: Args) -> Result<Vec<(MsgNumber, PathBuf)>, String> {
    let port = args.port.unwrap_or(if args.tls { 995 } else { 110 });
    let tls_config = if args.tls || args.stls {
        Some(tls_config(&args)?)
    } else {
        None
    };
    let sock = TcpStream::connect((args.host.as_str(), port))
        .map_err(|e| format!("cannot connect to {}:{port}: {e}", args.host))?;
    let _ = sock.set_nodelay(true);
    let mut conn = Conn::Plain(sock);
    let options = Options::default()
        .with_allow_plaintext_login(args.allow_plaintext)
        .with_allow_apop(args.auth == "apop")
        .with_require_tls(args.stls)
        .with_pipeline_depth(if args.pipelining { 16 } else { 1 });
    let mut client = if args.tls {
        let config = tls_config.clone().ok_or("no TLS configuration")?;
        conn.start_tls(&config, &args.host, options.tls_timeout)?;
        Client::new_tls(options, now())
    } else {
        Client::new(options, now())
    };
    let state_path = args.out.join(STATE_FILE);
    let seen = fs::read_to_string(&state_path)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut job = Job {
        maildir: Maildir::open(&args.out)?,
        args,
        tls_config,
        phase: Phase::Greeting,
        capa: None,
        login: None,
        uidl: None,
        list: None,
        uids: BTreeMap::new(),
        sizes: BTreeMap::new(),
        seen,
        deliveries: HashMap::new(),
        deletes: HashMap::new(),
        quit: None,
        fetched: Vec::new(),
        progress: None,
        error: None,
    };
    let mut transcript = job.args.transcript.then(Transcript::new);
    let mut buf = vec![0u8; 64 * 1024];
    let mut closed = false;
    while !closed {
        while let Some(event) = client.poll_event() {
            closed |= matches!(event, Event::Closed(_));
            job.on_event(&mut client, &mut conn, event);
        }
        if let Some(out) = client.poll_transmit() {
            if let Some(t) = &mut transcript {
                t.sent(&out);
            }
            if let Err(e) = conn.write_all(&out).and_then(|()| conn.flush()) {
                job.fail(&mut client, format!("write: {e}"));
                continue;
            }
        }
        if closed {
            break;
        }
        // Wait for input until the client's next deadline.
        let wait = client.poll_timeout().map(|t| {
            t.saturating_duration_since(now())
                .max(Duration::from_millis(1))
        });
        if let Some(tcp) = conn.tcp() {
            let _ = tcp.set_read_timeout(wait);
        }
        match conn.read(&mut buf) {
            Ok(0) => client.receive_eof(now()),
            Ok(n) => {
                if let Some(t) = &mut transcript {
                    t.received(&buf[..n]);
                }
                if let Err(e) = client.receive(now(), &buf[..n]) {
                    job.fail(&mut client, e.to_string());
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                client.handle_timeout(now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                job.fail(&mut client, format!("read: {e}"));
            }
        }
    }
    if let Some(p) = &job.progress {
        p.finish_and_clear();
    }
    if job.args.keep {
        let mut state: Vec<&String> = job.seen.iter().collect();
        state.sort();
        let text: String = state.into_iter().map(|u| format!("{u}\n")).collect();
        fs::write(&state_path, text).map_err(|e| format!("{}: {e}", state_path.display()))?;
    }
    match job.error {
        Some(e) => Err(e),
        None => Ok(job.fetched),
    }
}

// ------------------------------------------------------- transcript

/// The session as it goes, on stderr: every command (a password, an APOP
/// digest, a SASL initial response and every SASL response redacted),
/// every reply line, and a message's size instead of its content. It
/// reads both directions with the crate's own decoders, beside the
/// client.
struct Transcript {
    commands: CommandDecoder,
    replies: ResponseDecoder,
    /// What the replies not yet complete are, oldest first; the front one
    /// is what `replies` expects.
    pending: VecDeque<Expect>,
    /// A command line not yet whole.
    sent: Vec<u8>,
    /// Reply bytes not yet read.
    received: Vec<u8>,
    /// An AUTH waits for its final reply: the lines sent meanwhile are
    /// SASL responses.
    in_sasl: bool,
    /// Octets of the message being received.
    body: u64,
}

impl Transcript {
    fn new() -> Self {
        let mut replies = ResponseDecoder::default();
        let _ = replies.expect(Expect::Greeting);
        Self {
            commands: CommandDecoder::default(),
            replies,
            pending: VecDeque::from([Expect::Greeting]),
            sent: Vec::new(),
            received: Vec::new(),
            in_sasl: false,
            body: 0,
        }
    }

    /// Bytes the client sends.
    fn sent(&mut self, bytes: &[u8]) {
        self.sent.extend_from_slice(bytes);
        while let Some(end) = self.sent.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.sent.drain(..=end).collect();
            if self.in_sasl {
                eprintln!("C: <SASL response, redacted>");
                continue;
            }
            let shown = match self.commands.decode(&line) {
                Ok(Decoded::Value { value, .. }) => {
                    let shown = match &value {
                        Command::Pass(_) => "PASS <redacted>".to_owned(),
                        Command::Apop { name, .. } => {
                            format!("APOP {} <redacted>", escape(name.as_str().as_bytes()))
                        }
                        Command::Auth {
                            mechanism,
                            initial_response: Some(_),
                        } => format!("AUTH {mechanism} <redacted>"),
                        _ => escape(&line),
                    };
                    self.in_sasl = matches!(value, Command::Auth { .. });
                    let expect = value.expect();
                    if self.pending.is_empty() {
                        let _ = self.replies.expect(expect);
                    }
                    self.pending.push_back(expect);
                    shown
                }
                _ => "<a line the decoder refuses>".to_owned(),
            };
            eprintln!("C: {shown}");
        }
    }

    /// Bytes the client receives (after TLS, the plaintext).
    fn received(&mut self, bytes: &[u8]) {
        self.received.extend_from_slice(bytes);
        let mut at = 0;
        while let Some(&expect) = self.pending.front() {
            let (event, consumed) = match self.replies.decode(&self.received[at..]) {
                Ok(Decoded::Value { value, consumed }) => (value, consumed),
                Ok(Decoded::Discard(n)) => {
                    at += n;
                    continue;
                }
                Ok(Decoded::Incomplete) => break,
                Err(e) => {
                    eprintln!("S: <{e}>");
                    if e.consumed() == 0 {
                        // Nothing more can be read in step.
                        self.pending.clear();
                        break;
                    }
                    at += e.consumed();
                    continue;
                }
            };
            let raw = &self.received[at..at + consumed];
            match event {
                ResponseEvent::Data(piece) => self.body += piece.len() as u64,
                ResponseEvent::Line(Response::Challenge(_)) => eprintln!("S: {}", escape(raw)),
                ResponseEvent::Line(_) => eprintln!("S: {}", escape(raw)),
                ResponseEvent::End => {
                    if expect == Expect::Message {
                        eprintln!("S: <{} octets of message>", std::mem::take(&mut self.body));
                    }
                    if !raw.is_empty() {
                        eprintln!("S: {}", escape(raw));
                    }
                    if expect == Expect::Challenge {
                        self.in_sasl = false;
                    }
                    self.pending.pop_front();
                    if let Some(&next) = self.pending.front() {
                        let _ = self.replies.expect(next);
                    }
                }
                _ => {}
            }
            at += consumed;
        }
        self.received.drain(..at);
    }
}

/// A line for the terminal: printable ASCII as it is, anything else
/// (the CRLF aside) as `\xNN`, so that no peer's byte reaches it raw.
fn escape(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.iter()
        .map(|&b| match b {
            b' '..=b'~' if b != b'\\' => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}
