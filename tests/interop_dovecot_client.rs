//! The client machine and `examples/fetch.rs` against a real Dovecot 2.3
//! over TCP, plaintext, STLS and POP3S (issue 7 item 11).
//!
//! The server is `tests/peers/dovecot.sh start` (`.ci/run` starts it and
//! exports the variables below); without them every test here says so on
//! stderr and passes without checking anything:
//!
//! * `POP3_PROTO_DOVECOT`: plain POP3, STLS offered;
//! * `POP3_PROTO_DOVECOT_POP3S`: implicit TLS;
//! * `POP3_PROTO_DOVECOT_CA`: the throwaway CA of the server's certificate
//!   (DNS `localhost`, IP `127.0.0.1`), which every TLS client here trusts
//!   and nothing else;
//! * `POP3_PROTO_DOVECOT_SEED`: the pristine copies of the hostile
//!   messages in carol's (and dave's) maildrop, message N being the Nth
//!   file by name (the list is in the script's header and in
//!   tests/fixtures/README.md);
//! * `POP3_PROTO_DOVECOT_DIR`: the peer's directory, for `dovecot.sh
//!   reseed dave` after the tests that delete;
//! * `POP3_PROTO_DOVECOT_POP3S_UNNAMED` (optional): the POP3S listener at
//!   127.0.0.2, an address the certificate does not name.
//!
//! What Dovecot 2.3.19 sends for a stored message, checked here byte for
//! byte: [`served`] (bare LF becomes CRLF, a CRLF is added when the file
//! does not end in LF, everything else, 8-bit, NUL and bare CR included,
//! goes out as stored), dot-stuffed on the wire ([`raw_replies_as_dovecot_sends_them`]
//! has the literal replies). LIST counts [`listed_size`]: the added CRLF
//! is not in it.
//!
//! carol's mail is never removed (DELE is always undone by RSET); dave
//! is deleted from, one test at a time ([`DAVE`]), and reseeded before
//! and after. With `POP3_PROTO_DOVECOT_REQUIRED` set (`.ci/run` sets it)
//! a missing peer or example binary fails the tests instead.
//!
//! The machine alone, driven here over `std::net` and rustls ([`Session`]):
//! capabilities and APOP timestamps through a session; every login over
//! every transport, with and without the initial response; STAT, LIST,
//! UIDL and RETR of every seed, pipelined and not, copying and zero-copy
//! input; TOP n 0 and n 3; the literal wire bytes; one-octet reads;
//! DELE/RSET/QUIT, DELE/QUIT, DELE/close; wrong passwords; required TLS.
//! Two tests are ignored: they show bugs of `src/client`
//! ([`stat_dele_list_warns_of_nothing`], [`close_withdraws_a_queued_quit`]).
//!
//! The example, run as a program: every transport with four `--auth`
//! values, host names and pipelining; `--keep` twice; `--delete`; and its
//! failures (wrong password, closed port, TLS to a plaintext port, a
//! certificate not trusted or not matching). Against [`scripted_server`],
//! for what Dovecot does not do or show: a refused DELE or QUIT under
//! `--delete`, and whether the example really pipelines.

use pop3_proto::client::{
    Client, CloseReason, Event, Failure, Handle, LocalError, Options, Reply, Warning,
};
use pop3_proto::sasl::client::{CramMd5, Login, Plain};
use pop3_proto::sasl::scram::{ChannelBinding, ScramClient, ScramHash};
use pop3_proto::time::Instant;
use pop3_proto::types::{Capabilities, DropListing, Entry, Mechanism, MsgNumber, RespCode};
mod process_support;

use process_support::{Run, TempDir, run_with_deadline};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The seeds `tests/peers/dovecot.sh` writes, in message order.
const SEEDS: [&str; 11] = [
    "01-dots",
    "02-attachment",
    "03-8bit-headers",
    "04-long-line",
    "05-empty-body",
    "06-no-final-crlf",
    "07-lf-only",
    "08-dot-at-eof",
    "09-headers-only",
    "10-bare-cr-nul",
    "11-empty-file",
];

const CAROL: (&str, &str) = ("carol", "secret");
const DAVE_USER: (&str, &str) = ("dave", "secret");

/// dave's maildrop is emptied by the tests that delete: one at a time.
static DAVE: Mutex<()> = Mutex::new(());

fn dave() -> MutexGuard<'static, ()> {
    DAVE.lock().unwrap_or_else(|e| e.into_inner())
}

// ------------------------------------------------------------- the peer

struct Peer {
    plain: String,
    pop3s: String,
    unnamed: Option<String>,
    ca: PathBuf,
    seed: PathBuf,
    dir: PathBuf,
}

/// Says on stderr why `test` checks nothing, and gives `None`; with
/// `POP3_PROTO_DOVECOT_REQUIRED` set (`.ci/run` sets it), fails instead,
/// so that CI cannot pass without running these tests.
fn skip<T>(test: &str, why: &str) -> Option<T> {
    if std::env::var_os("POP3_PROTO_DOVECOT_REQUIRED").is_some() {
        panic!("interop_dovecot_client::{test}: POP3_PROTO_DOVECOT_REQUIRED, but {why}");
    }
    // Straight to stderr, past the harness's capture, so that the skip
    // shows in a plain `cargo test`.
    let _ = writeln!(
        std::io::stderr(),
        "interop_dovecot_client::{test}: skipped: {why}"
    );
    None
}

/// The peer, or `None` after saying why the test is skipped.
fn peer(test: &str) -> Option<Peer> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let names = [
        "POP3_PROTO_DOVECOT",
        "POP3_PROTO_DOVECOT_POP3S",
        "POP3_PROTO_DOVECOT_CA",
        "POP3_PROTO_DOVECOT_SEED",
        "POP3_PROTO_DOVECOT_DIR",
    ];
    let values: Vec<Option<String>> = names.iter().map(|n| var(n)).collect();
    let missing: Vec<&str> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if missing.first() == Some(&names[0]) {
        return skip(
            test,
            "POP3_PROTO_DOVECOT is not set; start the peer with `eval \"$(tests/peers/dovecot.sh \
             start)\"` (as root, with the Debian packages dovecot-core, dovecot-pop3d and \
             openssl) and run the tests again",
        );
    }
    if !missing.is_empty() {
        return skip(
            test,
            &format!(
                "the peer exports no {}: an older tests/peers/dovecot.sh started it; \
                 `tests/peers/dovecot.sh stop`, then start it again",
                missing.join(", ")
            ),
        );
    }
    let mut v = values.into_iter().map(Option::unwrap);
    let mut next = || v.next().unwrap();
    Some(Peer {
        plain: next(),
        pop3s: next(),
        ca: next().into(),
        seed: next().into(),
        dir: next().into(),
        unnamed: var("POP3_PROTO_DOVECOT_POP3S_UNNAMED"),
    })
}

impl Peer {
    /// The pristine seeds, in message order.
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<String> = std::fs::read_dir(&self.seed)
            .unwrap_or_else(|e| panic!("{}: {e}", self.seed.display()))
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, SEEDS, "the seeds of tests/peers/dovecot.sh");
        names
            .iter()
            .map(|n| std::fs::read(self.seed.join(n)).unwrap())
            .collect()
    }

    /// What a fresh maildrop of the seeds holds, as STAT says it.
    fn drop_listing(&self) -> DropListing {
        let seeds = self.seeds();
        DropListing {
            count: seeds.len() as u32,
            size: seeds.iter().map(|s| listed_size(s)).sum(),
        }
    }

    fn port(addr: &str) -> &str {
        addr.rsplit_once(':').unwrap().1
    }

    /// dave's Maildir holds the seeds again.
    fn reseed_dave(&self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/dovecot.sh");
        let status = Command::new("bash")
            .arg(script)
            .args(["reseed", "dave"])
            .env("POP3_PROTO_DOVECOT_DIR", &self.dir)
            .status()
            .expect("bash");
        assert!(status.success(), "dovecot.sh reseed dave: {status}");
    }
}

/// What Dovecot 2.3.19 sends for a stored message, once unstuffed (seen
/// on the wire: `raw_replies_as_dovecot_sends_them`):
///
/// * every LF that has no CR before it goes out as CRLF (07-lf-only);
/// * when the file does not end in LF, CRLF is added: after a last line
///   without a line end (06), after a final `.` (08, which then goes out
///   as `..` CRLF before the terminator), after a bare CR at the end (10:
///   `CR CR LF`), and for an empty file (11: one empty line);
/// * nothing else changes: raw 8-bit header bytes, UTF-8 or not (03), a
///   NUL and a bare CR inside a line (10), 1500-octet lines (04), a
///   message with no blank line after its headers (09, no blank line is
///   added).
fn served(stored: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stored.len() + stored.len() / 32 + 2);
    let mut previous = 0u8;
    for &b in stored {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    if stored.last() != Some(&b'\n') {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The size LIST and STAT give for a stored message: its octets with bare
/// LF counted as CRLF, without the CRLF [`served`] adds at the end (so
/// 06, 08, 10 and 11 come out two octets longer than listed, which RFC
/// 1939 §11 allows and SPEC R13 does not frame by).
fn listed_size(stored: &[u8]) -> u64 {
    let bare_lf = stored
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || stored[i - 1] != b'\r'))
        .count();
    (stored.len() + bare_lf) as u64
}

/// TOP `lines` of a served message (RFC 1939 §7): the headers up to and
/// with the first empty line (or the whole message if it has none), then
/// that many lines of the body.
fn top(served: &[u8], lines: usize) -> Vec<u8> {
    let header_end = if served.starts_with(b"\r\n") {
        2
    } else {
        match served.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(i) => i + 4,
            None => return served.to_vec(),
        }
    };
    let mut end = header_end;
    for _ in 0..lines {
        match served[end..].windows(2).position(|w| w == b"\r\n") {
            Some(i) => end += i + 2,
            None => break,
        }
    }
    served[..end].to_vec()
}

fn n(i: usize) -> MsgNumber {
    MsgNumber::new(i as u32).unwrap()
}

/// A fresh SCRAM client nonce: printable, no `,`.
fn nonce() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    let a = h.finish();
    h.write_u8(1);
    format!("{a:016x}{:016x}", h.finish())
}

// ------------------------------------------------------------ the driver

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    /// Plain TCP, no TLS at all.
    Plain,
    /// Plain TCP, then CAPA, STLS and TLS before the login.
    Stls,
    /// TLS from the first byte.
    Pop3s,
}

const TRANSPORTS: [Transport; 3] = [Transport::Plain, Transport::Stls, Transport::Pop3s];

/// The logins Dovecot offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    User,
    Apop,
    Plain,
    Login,
    CramMd5,
    ScramSha1,
    ScramSha256,
}

const AUTHS: [Auth; 7] = [
    Auth::User,
    Auth::Apop,
    Auth::Plain,
    Auth::Login,
    Auth::CramMd5,
    Auth::ScramSha1,
    Auth::ScramSha256,
];

impl Auth {
    /// The logins that put the password (or all that APOP's MD5 hides of
    /// it) on the wire: over plaintext only with `allow_plaintext_login`
    /// (SPEC S12, S15, R68).
    fn needs_opt_in(self) -> bool {
        matches!(self, Self::User | Self::Apop | Self::Plain | Self::Login)
    }

    fn start(self, client: &mut Client, user: &str, pass: &str) -> Result<Handle, LocalError> {
        let scram = |hash| {
            Box::new(ScramClient::new(hash, user, pass, nonce(), ChannelBinding::None).unwrap())
        };
        match self {
            Self::User => client.login(user, pass),
            Self::Apop => client.apop(user, pass),
            Self::Plain => client.authenticate(Box::new(Plain::new(user, pass).unwrap())),
            Self::Login => client.authenticate(Box::new(Login::new(user, pass).unwrap())),
            Self::CramMd5 => client.authenticate(Box::new(CramMd5::new(user, pass).unwrap())),
            Self::ScramSha1 => client.authenticate(scram(ScramHash::Sha1)),
            Self::ScramSha256 => client.authenticate(scram(ScramHash::Sha256)),
        }
    }
}

/// The options a login needs on a transport, nothing more.
fn options_for(transport: Transport, auth: Auth) -> Options {
    Options::default()
        .with_allow_apop(auth == Auth::Apop)
        .with_allow_plaintext_login(transport == Transport::Plain && auth.needs_opt_in())
}

fn tls_config(ca: &Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Gone,
}

impl Stream {
    /// Replaces the TCP stream by TLS over it, handshake done.
    fn start_tls(&mut self, config: &Arc<rustls::ClientConfig>) {
        let Self::Plain(mut tcp) = std::mem::replace(self, Self::Gone) else {
            panic!("TLS twice")
        };
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = rustls::ClientConnection::new(config.clone(), name).unwrap();
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp).expect("TLS handshake");
        }
        *self = Self::Tls(Box::new(rustls::StreamOwned::new(tls, tcp)));
    }

    fn write_all(&mut self, bytes: &[u8]) {
        match self {
            Self::Plain(s) => s.write_all(bytes).and_then(|()| s.flush()),
            Self::Tls(s) => s.write_all(bytes).and_then(|()| s.flush()),
            Self::Gone => panic!("no connection"),
        }
        .expect("send");
    }

    /// Some bytes, or empty at EOF.
    fn read(&mut self, buf: &mut [u8]) -> usize {
        let result = match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
            Self::Gone => panic!("no connection"),
        };
        match result {
            Ok(n) => n,
            // A TCP close without close_notify.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => panic!("read (a timeout is a hang, SPEC S14): {e}"),
        }
    }
}

/// A client session over a real connection: the sans-IO machine, the
/// socket, and what came out of the machine, by handle.
struct Session {
    client: Client,
    stream: Stream,
    tls: Arc<rustls::ClientConfig>,
    origin: std::time::Instant,
    greeted: bool,
    done: HashMap<Handle, Result<Reply, Failure>>,
    bodies: HashMap<Handle, Vec<u8>>,
    entries: HashMap<Handle, Vec<Entry<'static>>>,
    warnings: Vec<Warning>,
    closed: Option<CloseReason>,
    /// Every byte fed to the machine (after TLS: the plaintext in it).
    received: Vec<u8>,
    /// Every chunk the machine handed out to send, as sent.
    writes: Vec<Vec<u8>>,
    /// The most octets one read takes from the socket.
    read_size: usize,
    /// Feed with `receive_bytes` (pieces cut from the read, no copy)
    /// instead of `receive`.
    zero_copy: bool,
}

impl Session {
    /// Connects, does TLS first for POP3S, and reads the greeting. For
    /// STLS, also CAPA, STLS and the handshake.
    fn open(peer: &Peer, transport: Transport, options: Options) -> Self {
        let addr = match transport {
            Transport::Pop3s => &peer.pop3s,
            _ => &peer.plain,
        };
        let tcp = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        // SPEC S14: a server that stops answering fails the test.
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        tcp.set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = tcp.set_nodelay(true);
        let tls = tls_config(&peer.ca);
        let origin = std::time::Instant::now();
        let mut stream = Stream::Plain(tcp);
        let client = if transport == Transport::Pop3s {
            stream.start_tls(&tls);
            Client::new_tls(options, Instant::ZERO)
        } else {
            Client::new(options, Instant::ZERO)
        };
        let mut s = Self {
            client,
            stream,
            tls,
            origin,
            greeted: false,
            done: HashMap::new(),
            bodies: HashMap::new(),
            entries: HashMap::new(),
            warnings: Vec::new(),
            closed: None,
            received: Vec::new(),
            writes: Vec::new(),
            read_size: 64 * 1024,
            zero_copy: false,
        };
        while !s.greeted {
            s.step();
        }
        assert_eq!(s.client.is_tls(), transport == Transport::Pop3s);
        if transport == Transport::Stls {
            let caps = s.capa();
            assert!(caps.stls(), "Dovecot offers STLS: {caps:?}");
            s.stls();
        }
        s
    }

    fn now(&self) -> Instant {
        Instant::from_duration(self.origin.elapsed())
    }

    /// Handles what the machine says.
    fn drain(&mut self) {
        while let Some(event) = self.client.poll_event() {
            match event {
                Event::Greeting(g) => {
                    assert!(g.is_ok(), "{g:?}");
                    self.greeted = true;
                }
                Event::Entry { handle, entry } => {
                    self.entries.entry(handle).or_default().push(entry)
                }
                Event::Data { handle, data } => self
                    .bodies
                    .entry(handle)
                    .or_default()
                    .extend_from_slice(&data),
                Event::StartTls { .. } => {
                    // Nothing may be sent in between (RFC 2595 §4).
                    assert!(self.client.poll_transmit().is_none());
                    self.stream.start_tls(&self.tls);
                    let now = self.now();
                    self.client.tls_established(now).unwrap();
                }
                Event::Done { handle, result } => {
                    assert!(self.done.insert(handle, result).is_none());
                }
                Event::Warning(w) => self.warnings.push(w),
                Event::Timeout(d) => panic!("deadline {d:?} passed"),
                Event::Closed(reason) => self.closed = Some(reason),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Sends what the machine has, then reads once and feeds it.
    fn step(&mut self) {
        self.drain();
        while let Some(bytes) = self.client.poll_transmit() {
            self.stream.write_all(&bytes);
            self.writes.push(bytes.to_vec());
        }
        if self.closed.is_some() {
            return;
        }
        let mut buf = vec![0u8; self.read_size];
        let len = self.stream.read(&mut buf);
        let now = self.now();
        if len == 0 {
            self.client.receive_eof(now);
        } else {
            self.received.extend_from_slice(&buf[..len]);
            if self.zero_copy {
                buf.truncate(len);
                self.client.receive_bytes(now, buf.into()).unwrap();
            } else {
                self.client.receive(now, &buf[..len]).unwrap();
            }
        }
        self.drain();
    }

    /// The outcome of a command, reading as long as it takes.
    fn wait(&mut self, handle: Handle) -> Result<Reply, Failure> {
        loop {
            self.drain();
            if let Some(result) = self.done.remove(&handle) {
                return result;
            }
            assert!(
                self.closed.is_none(),
                "closed before {handle:?} ended: {:?}",
                self.closed
            );
            self.step();
        }
    }

    fn ok(&mut self, handle: Handle) -> Reply {
        self.wait(handle)
            .unwrap_or_else(|f| panic!("{handle:?} failed: {f:?}"))
    }

    fn capa(&mut self) -> Capabilities {
        let h = self.client.capa().unwrap();
        match self.ok(h) {
            Reply::Capabilities(c) => {
                assert_eq!(self.client.capabilities(), Some(&c));
                c
            }
            other => panic!("{other:?}"),
        }
    }

    fn stls(&mut self) {
        let h = self.client.stls().unwrap();
        assert_eq!(self.ok(h), Reply::TlsEstablished);
        assert!(self.client.is_tls());
        // SPEC S4: nothing learned in plaintext survives.
        assert_eq!(self.client.capabilities(), None);
        assert_eq!(self.client.apop_timestamp(), None);
    }

    fn login(&mut self, auth: Auth, (user, pass): (&str, &str)) -> Result<Reply, Failure> {
        let h = auth
            .start(&mut self.client, user, pass)
            .unwrap_or_else(|e| panic!("{auth:?}: {e}"));
        self.wait(h)
    }

    fn logged_in(&mut self, auth: Auth, creds: (&str, &str)) {
        match self.login(auth, creds) {
            Ok(Reply::LoggedIn(status)) => assert!(status.is_ok()),
            other => panic!("{auth:?}: {other:?}"),
        }
    }

    fn stat(&mut self) -> DropListing {
        let h = self.client.stat().unwrap();
        match self.ok(h) {
            Reply::Stat(drop) => drop,
            other => panic!("{other:?}"),
        }
    }

    /// LIST: (message, size).
    fn list(&mut self) -> Vec<(u32, u64)> {
        let h = self.client.list(None).unwrap();
        self.ok(h);
        self.scan_entries(h)
    }

    fn scan_entries(&mut self, h: Handle) -> Vec<(u32, u64)> {
        self.entries
            .remove(&h)
            .unwrap_or_default()
            .into_iter()
            .map(|e| match e {
                Entry::Scan(s) => (s.msg.get(), s.size),
                other => panic!("{other:?} in LIST"),
            })
            .collect()
    }

    fn uid_entries(&mut self, h: Handle) -> Vec<(u32, String)> {
        self.entries
            .remove(&h)
            .unwrap_or_default()
            .into_iter()
            .map(|e| match e {
                Entry::Uid(u) => (u.msg.get(), u.uid.as_str().to_owned()),
                other => panic!("{other:?} in UIDL"),
            })
            .collect()
    }

    fn uidl(&mut self) -> Vec<(u32, String)> {
        let h = self.client.uidl(None).unwrap();
        self.ok(h);
        self.uid_entries(h)
    }

    /// A message body (RETR or TOP) after its Done.
    fn body(&mut self, h: Handle) -> Vec<u8> {
        match self.ok(h) {
            Reply::Ok(status) => assert!(status.is_ok()),
            other => panic!("{other:?}"),
        }
        self.bodies.remove(&h).unwrap_or_default()
    }

    fn quit(mut self) {
        let h = self.client.quit().unwrap();
        self.ok(h);
        self.drain();
        assert!(
            matches!(&self.closed, Some(CloseReason::Quit(s)) if s.is_ok()),
            "{:?}",
            self.closed
        );
        assert!(self.warnings.is_empty(), "{:?}", self.warnings);
    }

    /// How many command lines went out in the busiest single write.
    fn most_lines_per_write(&self) -> usize {
        self.writes
            .iter()
            .map(|w| w.windows(2).filter(|p| p == b"\r\n").count())
            .max()
            .unwrap_or(0)
    }
}

// ------------------------------------------------------ the machine alone

/// What Dovecot 2.3.19 advertises where, as the machine types it: STLS
/// only in plaintext, USER and SASL only before the login, PIPELINING
/// always; the APOP timestamp in every greeting, and none after STLS
/// (SPEC R17, S4).
#[test]
fn capabilities_and_timestamps_through_the_session() {
    let Some(peer) = peer("capabilities_and_timestamps_through_the_session") else {
        return;
    };
    let mechanisms = [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ];
    for transport in TRANSPORTS {
        let options = Options::default().with_allow_apop(true);
        let mut s = Session::open(&peer, transport, options);
        assert_eq!(
            s.client.apop_timestamp().is_some(),
            transport != Transport::Stls,
            "{transport:?}"
        );
        let caps = s.capa();
        assert_eq!(caps.stls(), transport == Transport::Plain, "{caps:?}");
        assert!(caps.user() && caps.pipelining() && caps.top() && caps.uidl());
        assert!(caps.resp_codes() && caps.auth_resp_code(), "{caps:?}");
        assert_eq!(caps.sasl(), Some(&mechanisms[..]), "{caps:?}");
        // Bare AUTH lists the same, entry by entry (SPEC R61).
        let h = s.client.auth_list().unwrap();
        s.ok(h);
        let listed: Vec<Mechanism<'static>> = s
            .entries
            .remove(&h)
            .unwrap_or_default()
            .into_iter()
            .map(|e| match e {
                Entry::Mechanism(m) => m,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(listed, mechanisms);
        s.logged_in(Auth::ScramSha256, CAROL);
        // Dropped at the login (RFC 2449 §5), asked for again.
        assert_eq!(s.client.capabilities(), None);
        let caps = s.capa();
        assert!(caps.pipelining() && caps.top() && caps.uidl(), "{caps:?}");
        assert!(
            !caps.stls() && !caps.user() && caps.sasl().is_none(),
            "{caps:?}"
        );
        // No LANG in Dovecot 2.3: the -ERR of a command whose +OK would
        // be a listing is one line, and the session goes on.
        let h = s.client.lang(None).unwrap();
        assert!(matches!(s.wait(h), Err(Failure::Refused(e)) if !e.is_ok()));
        let h = s.client.noop().unwrap();
        s.ok(h);
        s.quit();
    }
}

/// Every login Dovecot offers, over every transport: the machine's
/// outcome is `LoggedIn`, and STAT, in TRANSACTION, gives the maildrop.
/// The password-revealing logins need `allow_plaintext_login` without TLS
/// and are refused locally (no byte sent) without it (SPEC S15, R68); the
/// others never need it. APOP is impossible after STLS: the timestamp
/// came in plaintext and is forgotten (SPEC S4), and Dovecot sends no new
/// greeting.
fn logins_over(transport: Transport) {
    let Some(peer) = peer(&format!("logins_over_{transport:?}")) else {
        return;
    };
    let expected = peer.drop_listing();
    for auth in AUTHS {
        if transport == Transport::Plain && auth.needs_opt_in() {
            let options = Options::default().with_allow_apop(true);
            let mut s = Session::open(&peer, transport, options);
            let sent = s.writes.len();
            assert_eq!(
                auth.start(&mut s.client, CAROL.0, CAROL.1),
                Err(LocalError::NeedsTls),
                "{auth:?}"
            );
            assert!(s.client.poll_transmit().is_none());
            assert_eq!(s.writes.len(), sent);
            s.quit();
        }
        let mut s = Session::open(&peer, transport, options_for(transport, auth));
        if transport == Transport::Stls && auth == Auth::Apop {
            assert_eq!(
                auth.start(&mut s.client, CAROL.0, CAROL.1),
                Err(LocalError::ApopUnavailable)
            );
            s.quit();
            continue;
        }
        s.logged_in(auth, CAROL);
        assert_eq!(s.stat(), expected, "{transport:?} {auth:?}");
        s.quit();
        if matches!(auth, Auth::User | Auth::Apop) {
            continue;
        }
        // SASL both ways (SPEC R50, R53): without CAPA since the
        // connection (or TLS) began, `AUTH name` alone and the initial
        // response to the empty challenge; after a CAPA that lists SASL,
        // the initial response on the AUTH line (LOGIN has none: its
        // first answer waits for Dovecot's `Username:` prompt).
        let mut s = Session::open(&peer, transport, options_for(transport, auth));
        let capa = s.capa();
        assert!(capa.sasl().is_some());
        let from = s.writes.len();
        s.logged_in(auth, CAROL);
        let auth_line = s.writes[from].clone();
        assert!(auth_line.starts_with(b"AUTH "), "{auth_line:?}");
        let words = auth_line.split(|b| *b == b' ').count();
        let initial = !matches!(auth, Auth::Login | Auth::CramMd5);
        assert_eq!(words, if initial { 3 } else { 2 }, "{auth:?}");
        s.quit();
    }
    // And the two-step form seen above, for comparison.
    let mut s = Session::open(&peer, transport, options_for(transport, Auth::Plain));
    s.logged_in(Auth::Plain, CAROL);
    let auth_lines: Vec<&Vec<u8>> = s
        .writes
        .iter()
        .filter(|w| w.starts_with(b"AUTH "))
        .collect();
    assert_eq!(auth_lines, [&b"AUTH PLAIN\r\n".to_vec()]);
    s.quit();
}

#[test]
fn logins_over_plaintext() {
    logins_over(Transport::Plain);
}

#[test]
fn logins_over_stls() {
    logins_over(Transport::Stls);
}

#[test]
fn logins_over_pop3s() {
    logins_over(Transport::Pop3s);
}

/// STAT, LIST, UIDL, then RETR of every message of carol's maildrop, each
/// body byte for byte what Dovecot serves for its seed; LIST's sizes are
/// Dovecot's and agree with STAT (no Warning, SPEC S8). With depth 16 the
/// machine pipelines (Dovecot advertises PIPELINING after the login too:
/// the eleven RETRs go out in one write); with depth 1 one line per write.
fn retrieve_everything(transport: Transport, depth: usize) {
    let Some(peer) = peer(&format!("retrieve_everything_{transport:?}_{depth}")) else {
        return;
    };
    let seeds = peer.seeds();
    let auth = match transport {
        Transport::Plain => Auth::User,
        Transport::Stls => Auth::Plain,
        Transport::Pop3s => Auth::ScramSha1,
    };
    let options = options_for(transport, auth).with_pipeline_depth(depth);
    let mut s = Session::open(&peer, transport, options);
    // The zero-copy input path with pipelining, the copying one without.
    s.zero_copy = depth > 1;
    s.logged_in(auth, CAROL);
    assert!(s.capa().pipelining());
    let stat = s.stat();
    assert_eq!(stat, peer.drop_listing());
    let (list, uidl) = (s.client.list(None).unwrap(), s.client.uidl(None).unwrap());
    s.ok(list);
    s.ok(uidl);
    let sizes = s.scan_entries(list);
    let uids = s.uid_entries(uidl);
    let expected: Vec<(u32, u64)> = (1..).zip(seeds.iter().map(|m| listed_size(m))).collect();
    assert_eq!(sizes, expected);
    assert_eq!(uids.len(), seeds.len());
    assert!(uids.iter().zip(1..).all(|((m, _), i)| *m == i));
    let distinct: BTreeSet<&String> = uids.iter().map(|(_, u)| u).collect();
    assert_eq!(distinct.len(), seeds.len(), "{uids:?}");
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let handles: Vec<Handle> = (1..=seeds.len())
        .map(|i| s.client.retr(n(i)).unwrap())
        .collect();
    for ((h, seed), name) in handles.into_iter().zip(&seeds).zip(SEEDS) {
        let body = s.body(h);
        assert!(
            body == served(seed),
            "{name}: {} octets retrieved, {} expected; first difference at {:?}",
            body.len(),
            served(seed).len(),
            body.iter().zip(served(seed)).position(|(a, b)| *a != b)
        );
    }
    let retr_writes: Vec<&Vec<u8>> = s
        .writes
        .iter()
        .filter(|w| w.starts_with(b"RETR "))
        .collect();
    if depth == 1 {
        assert_eq!(s.most_lines_per_write(), 1);
        assert_eq!(retr_writes.len(), seeds.len());
    } else {
        assert_eq!(retr_writes.len(), 1, "one write of eleven RETRs");
        assert!(retr_writes[0].ends_with(b"RETR 11\r\n"));
    }
    s.quit();
}

#[test]
fn retrieve_everything_plaintext() {
    retrieve_everything(Transport::Plain, 1);
    retrieve_everything(Transport::Plain, 16);
}

#[test]
fn retrieve_everything_stls() {
    retrieve_everything(Transport::Stls, 1);
    retrieve_everything(Transport::Stls, 16);
}

#[test]
fn retrieve_everything_pop3s() {
    retrieve_everything(Transport::Pop3s, 1);
    retrieve_everything(Transport::Pop3s, 16);
}

/// TOP n 0 and TOP n 3 of every message (RFC 1939 §7, SPEC R31): the
/// headers and blank line, then up to three body lines of what RETR
/// serves; a message without a blank line (09) or without any line (11)
/// comes whole.
#[test]
fn top_0_and_3() {
    let Some(peer) = peer("top_0_and_3") else {
        return;
    };
    let seeds = peer.seeds();
    let mut s = Session::open(&peer, Transport::Pop3s, Options::default());
    s.logged_in(Auth::CramMd5, CAROL);
    s.capa();
    let handles: Vec<(usize, u32, Handle)> = (1..=seeds.len())
        .flat_map(|i| [0, 3].map(|lines| (i, lines)))
        .map(|(i, lines)| (i, lines, s.client.top(n(i), lines).unwrap()))
        .collect();
    for (i, lines, h) in handles {
        let body = s.body(h);
        let expected = top(&served(&seeds[i - 1]), lines as usize);
        assert!(
            body == expected,
            "TOP {i} {lines} ({}): {:?} != {:?}",
            SEEDS[i - 1],
            String::from_utf8_lossy(&body[..body.len().min(300)]),
            String::from_utf8_lossy(&expected[..expected.len().min(300)]),
        );
    }
    s.quit();
}

/// The replies as they are on the wire, stuffing and all, for the small
/// seeds: what RFC 1939 §3 (SPEC R10, R15) asks of the server, and what
/// the machine undoes (SPEC R11).
#[test]
fn raw_replies_as_dovecot_sends_them() {
    let Some(peer) = peer("raw_replies_as_dovecot_sends_them") else {
        return;
    };
    let seeds = peer.seeds();
    let head = |from: &str, subject: &str| {
        format!("From: {from}@example.org\r\nTo: carol@example.org\r\nSubject: {subject}\r\n")
            .into_bytes()
    };
    let wire: [(usize, Vec<u8>); 9] = [
        (
            1,
            [
                &b"+OK 180 octets\r\n"[..],
                &head("dots", "lines that start with dots"),
                b"\r\n..\r\n...\r\n....\r\n..leading dot\r\n.. space after a dot\r\n",
                b"middle . dot\r\n..\r\n+OK not a reply\r\n..\r\n\r\n..\r\nend\r\n.\r\n",
            ]
            .concat(),
        ),
        (
            3,
            [
                &b"+OK 154 octets\r\n"[..],
                b"From: J\xc3\xb6rg M\xc3\xbcller <joerg@example.org>\r\n",
                b"To: \xe6\x97\xa5\xe6\x9c\xac <carol@example.org>\r\n",
                b"Subject: caf\xe9 na\xefve (Latin-1, not UTF-8)\r\n",
                b"X-Raw: \x80\x81\x9f\xa0\xff\xfe end\r\n",
                b"\r\nbody: caf\xc3\xa9 caf\xe9\r\n.\r\n",
            ]
            .concat(),
        ),
        (
            5,
            [
                &b"+OK 71 octets\r\n"[..],
                &head("empty", "empty body"),
                b"\r\n.\r\n",
            ]
            .concat(),
        ),
        (
            6,
            [
                &b"+OK 108 octets\r\n"[..],
                &head("nofinal", "no final CRLF"),
                b"\r\nfirst\r\nthe last line has no CRLF\r\n.\r\n",
            ]
            .concat(),
        ),
        (
            7,
            [
                &b"+OK 96 octets\r\n"[..],
                &head("lf", "LF only"),
                b"\r\nline one\r\n..\r\n...\r\n..dot\r\n\r\nlast\r\n.\r\n",
            ]
            .concat(),
        ),
        (
            8,
            [
                &b"+OK 94 octets\r\n"[..],
                &head("dot", "a dot at the end of the file"),
                b"\r\nbody\r\n..\r\n.\r\n",
            ]
            .concat(),
        ),
        (
            9,
            [
                &b"+OK 88 octets\r\n"[..],
                &head("headers", "headers only, no blank line"),
                b".\r\n",
            ]
            .concat(),
        ),
        (
            10,
            [
                &b"+OK 104 octets\r\n"[..],
                &head("cr", "bare CR and NUL"),
                b"\r\na\rb\r\nnul:\0:\r\nends in a bare CR\r\r\n.\r\n",
            ]
            .concat(),
        ),
        (11, b"+OK 0 octets\r\n\r\n.\r\n".to_vec()),
    ];
    let mut s = Session::open(
        &peer,
        Transport::Plain,
        options_for(Transport::Plain, Auth::User),
    );
    s.logged_in(Auth::User, CAROL);
    for (i, expected) in wire {
        // One command in flight: what arrives until its Done is its reply.
        let from = s.received.len();
        let h = s.client.retr(n(i)).unwrap();
        let body = s.body(h);
        let reply = &s.received[from..];
        assert!(
            reply == expected,
            "RETR {i} ({}): {:?}",
            SEEDS[i - 1],
            String::from_utf8_lossy(reply)
        );
        assert_eq!(body, served(&seeds[i - 1]), "{}", SEEDS[i - 1]);
    }
    s.quit();
}

/// DELE, then RSET, then QUIT: nothing is removed (RFC 1939 §5-6, SPEC
/// R26, R33, R36). In between, a deleted message is out of STAT and LIST
/// and its RETR is refused.
#[test]
fn dele_rset_quit_keeps_everything() {
    let Some(peer) = peer("dele_rset_quit_keeps_everything") else {
        return;
    };
    let full = peer.drop_listing();
    let seeds = peer.seeds();
    let mut s = Session::open(&peer, Transport::Stls, Options::default());
    s.logged_in(Auth::ScramSha256, CAROL);
    let before = s.uidl();
    for i in [1, 11] {
        let h = s.client.dele(n(i)).unwrap();
        s.ok(h);
    }
    let stat = s.stat();
    assert_eq!(stat.count, full.count - 2);
    assert_eq!(
        stat.size,
        full.size - listed_size(&seeds[0]) - listed_size(&seeds[10])
    );
    let listed: Vec<u32> = s.list().into_iter().map(|(m, _)| m).collect();
    assert_eq!(listed, (2..=10).collect::<Vec<_>>());
    let h = s.client.retr(n(1)).unwrap();
    match s.wait(h) {
        Err(Failure::Refused(status)) => assert!(!status.is_ok()),
        other => panic!("RETR of a deleted message: {other:?}"),
    }
    let h = s.client.rset().unwrap();
    s.ok(h);
    assert_eq!(s.stat(), full);
    s.quit();
    // Listings collected whole this time, and the one-message forms.
    let options = Options::default().with_collect_listings(Some(100));
    let mut s = Session::open(&peer, Transport::Plain, options);
    s.logged_in(Auth::CramMd5, CAROL);
    assert_eq!(s.stat(), full);
    let h = s.client.uidl(None).unwrap();
    let Reply::Listing(entries) = s.ok(h) else {
        panic!("UIDL not collected")
    };
    let after: Vec<(u32, String)> = entries
        .into_iter()
        .map(|e| match e {
            Entry::Uid(u) => (u.msg.get(), u.uid.as_str().to_owned()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(after, before);
    let h = s.client.list(Some(n(4))).unwrap();
    match s.ok(h) {
        Reply::Scan(scan) => assert_eq!((scan.msg, scan.size), (n(4), listed_size(&seeds[3]))),
        other => panic!("{other:?}"),
    }
    let h = s.client.uidl(Some(n(4))).unwrap();
    match s.ok(h) {
        Reply::Uid(uid) => assert_eq!((uid.msg.get(), uid.uid.as_str()), (4, &*before[3].1)),
        other => panic!("{other:?}"),
    }
    s.quit();
}

/// The machine fed one octet per read by a real server (the greeting,
/// the login, listings and bodies split everywhere, dot lines and CRLFs
/// cut in half) gives the same messages; the 5 MB one is read by TOP.
#[test]
fn one_octet_reads() {
    let Some(peer) = peer("one_octet_reads") else {
        return;
    };
    let seeds = peer.seeds();
    let mut s = Session::open(
        &peer,
        Transport::Plain,
        options_for(Transport::Plain, Auth::User),
    );
    s.read_size = 1;
    s.logged_in(Auth::User, CAROL);
    assert_eq!(s.list().len(), seeds.len());
    for i in (1..=seeds.len()).filter(|&i| i != 2) {
        let h = s.client.retr(n(i)).unwrap();
        assert_eq!(s.body(h), served(&seeds[i - 1]), "{}", SEEDS[i - 1]);
    }
    let h = s.client.top(n(2), 5).unwrap();
    assert_eq!(s.body(h), top(&served(&seeds[1]), 5));
    s.quit();
}

/// STAT, DELE, then LIST: Dovecot's LIST rightly leaves the deleted
/// message out (RFC 1939 §5, SPEC R26), so it cannot agree with the STAT
/// from before the DELE, and that is no sign of a lying server (SPEC S8).
///
/// Bug: the machine keeps the last STAT across DELE (and RSET) and
/// compares the LIST with it: `Warning::StatListMismatch { stat:
/// DropListing { count: 11, size: 5386674 }, listed: 10, size: 5386494 }`
/// for Dovecot's `+OK 11 5386674`, `+OK Marked to be deleted.`, then the
/// ten-entry `+OK 10 messages:` listing without message 1 (180 octets).
#[test]
fn stat_dele_list_warns_of_nothing() {
    let Some(peer) = peer("stat_dele_list_warns_of_nothing") else {
        return;
    };
    let full = peer.drop_listing();
    let mut s = Session::open(&peer, Transport::Pop3s, Options::default());
    s.logged_in(Auth::ScramSha256, CAROL);
    assert_eq!(s.stat(), full);
    let h = s.client.dele(n(1)).unwrap();
    s.ok(h);
    let listed = s.list();
    assert_eq!(listed.len(), 10);
    let warnings = std::mem::take(&mut s.warnings);
    // Undo before any assertion can fail: carol keeps her mail.
    let h = s.client.rset().unwrap();
    s.ok(h);
    s.quit();
    assert_eq!(warnings, [], "SPEC S8 against a STAT from before DELE");
}

/// A session that ends without QUIT removes nothing (RFC 1939 §6, SPEC
/// R34): DELE, then `Client::close`, and the connection dropped.
#[test]
fn dele_then_close_removes_nothing() {
    let Some(peer) = peer("dele_then_close_removes_nothing") else {
        return;
    };
    let _dave = dave();
    peer.reseed_dave();
    let mut s = Session::open(&peer, Transport::Plain, Options::default());
    s.logged_in(Auth::CramMd5, DAVE_USER);
    let h = s.client.dele(n(1)).unwrap();
    s.ok(h);
    let noop = s.client.noop().unwrap();
    s.client.close();
    s.drain();
    assert_eq!(s.done.remove(&noop), Some(Err(Failure::Closed)));
    assert_eq!(s.closed, Some(CloseReason::Local));
    drop(s);
    let mut s = Session::open(&peer, Transport::Plain, Options::default());
    s.logged_in(Auth::CramMd5, DAVE_USER);
    assert_eq!(s.stat(), peer.drop_listing());
    s.quit();
}

/// `Client::close` ends the session "without QUIT (and so without
/// UPDATE, RFC 1939 §6)", and after `Event::Closed` "nothing follows":
/// a QUIT queued but not yet handed out must not go out after it.
///
/// Bug: `close()` fails the QUIT's handle with `Failure::Closed` and
/// reports `CloseReason::Local`, but leaves its bytes queued:
/// `poll_transmit()` still gives `b"QUIT\r\n"`. A caller whose loop
/// sends what `poll_transmit` gives after draining the events (as
/// examples/fetch.rs does) sends it, Dovecot answers `+OK Logging out,
/// messages deleted.`, and the message marked by DELE is gone.
#[test]
fn close_withdraws_a_queued_quit() {
    let Some(peer) = peer("close_withdraws_a_queued_quit") else {
        return;
    };
    let _dave = dave();
    peer.reseed_dave();
    let mut s = Session::open(&peer, Transport::Plain, Options::default());
    s.logged_in(Auth::CramMd5, DAVE_USER);
    let h = s.client.dele(n(1)).unwrap();
    s.ok(h);
    let quit = s.client.quit().unwrap();
    s.client.close();
    s.drain();
    assert_eq!(s.done.remove(&quit), Some(Err(Failure::Closed)));
    assert_eq!(s.closed, Some(CloseReason::Local));
    // What a caller's loop does next: send what the machine hands out.
    let leftover = s.client.poll_transmit().map(|b| b.to_vec());
    if let Some(bytes) = &leftover {
        s.stream.write_all(bytes);
        // Dovecot's answer, then its close.
        let mut buf = [0u8; 512];
        while s.stream.read(&mut buf) > 0 {}
    }
    drop(s);
    let mut s = Session::open(&peer, Transport::Plain, Options::default());
    s.logged_in(Auth::CramMd5, DAVE_USER);
    let stat = s.stat();
    s.quit();
    peer.reseed_dave();
    assert_eq!(leftover, None, "bytes handed out after close()");
    assert_eq!(stat, peer.drop_listing(), "UPDATE after close()");
}

/// DELE then QUIT removes (the UPDATE state, RFC 1939 §6), on dave: the
/// next session numbers the rest from 1, and serves them as before.
#[test]
fn dele_quit_removes() {
    let Some(peer) = peer("dele_quit_removes") else {
        return;
    };
    let _dave = dave();
    peer.reseed_dave();
    let seeds = peer.seeds();
    let mut s = Session::open(&peer, Transport::Pop3s, Options::default());
    s.logged_in(Auth::ScramSha1, DAVE_USER);
    let h = s.client.dele(n(2)).unwrap();
    s.ok(h);
    s.quit();
    let mut s = Session::open(&peer, Transport::Pop3s, Options::default());
    s.logged_in(Auth::ScramSha1, DAVE_USER);
    let stat = s.stat();
    assert_eq!(stat.count, 10);
    assert_eq!(stat.size, peer.drop_listing().size - listed_size(&seeds[1]));
    let h = s.client.retr(n(2)).unwrap();
    assert_eq!(s.body(h), served(&seeds[2]), "message 2 is now 03");
    s.quit();
    peer.reseed_dave();
}

/// A wrong password, through every login: `Failure::Refused` with
/// Dovecot's `[AUTH]` code (RFC 3206, SPEC R48), so that an application
/// can tell it from "try later"; the STAT queued behind the login fails
/// with `LoginFailed` and is never sent; the session stays in
/// AUTHORIZATION and the right password then works (SPEC R51).
#[test]
fn wrong_password_is_refused_with_auth() {
    let Some(peer) = peer("wrong_password_is_refused_with_auth") else {
        return;
    };
    // Dovecot holds each refused USER/PASS, PLAIN and LOGIN for 500 ms
    // (see tests/peers/dovecot.sh): the logins run side by side.
    std::thread::scope(|scope| {
        for auth in AUTHS {
            let peer = &peer;
            scope.spawn(move || wrong_password(peer, auth));
        }
    });
}

fn wrong_password(peer: &Peer, auth: Auth) {
    let mut s = Session::open(peer, Transport::Plain, options_for(Transport::Plain, auth));
    let login = auth.start(&mut s.client, CAROL.0, "wrong").unwrap();
    let stat = s.client.stat().unwrap();
    match s.wait(login) {
        Err(Failure::Refused(status)) => {
            assert!(!status.is_ok());
            assert_eq!(status.code(), Some(&RespCode::AUTH), "{auth:?}: {status:?}");
            assert_eq!(status.text().as_bytes(), b"Authentication failed.");
        }
        other => panic!("{auth:?}: {other:?}"),
    }
    assert_eq!(s.wait(stat), Err(Failure::LoginFailed));
    assert!(
        !s.writes.iter().any(|w| w.starts_with(b"STAT")),
        "{auth:?}: STAT was sent"
    );
    if auth == Auth::Apop {
        // The timestamp is spent only by a success; Dovecot accepts a
        // second APOP on the same greeting.
        assert!(s.client.apop_timestamp().is_some());
    }
    s.logged_in(auth, CAROL);
    assert_eq!(s.stat(), peer.drop_listing());
    s.quit();
}

/// `Options::require_tls` against the plain port (SPEC S3): no login
/// before TLS, not even CRAM-MD5; CAPA shows STLS, the session does STLS,
/// and after TLS every login works without `allow_plaintext_login`.
#[test]
fn required_tls_goes_through_stls() {
    let Some(peer) = peer("required_tls_goes_through_stls") else {
        return;
    };
    for auth in [Auth::Plain, Auth::User, Auth::ScramSha256] {
        let options = Options::default().with_require_tls(true);
        let mut s = Session::open(&peer, Transport::Plain, options);
        for early in [Auth::CramMd5, auth] {
            assert_eq!(
                early.start(&mut s.client, CAROL.0, CAROL.1),
                Err(LocalError::NeedsTls)
            );
        }
        assert!(s.writes.is_empty(), "{:?}", s.writes);
        assert!(s.capa().stls());
        s.stls();
        let caps = s.capa();
        assert!(!caps.stls());
        assert!(s.closed.is_none());
        s.logged_in(auth, CAROL);
        assert_eq!(s.stat(), peer.drop_listing());
        s.quit();
    }
    // POP3S is TLS already: CAPA without STLS does not end the session,
    // and the login needs no STLS.
    let options = Options::default().with_require_tls(true);
    let mut s = Session::open(&peer, Transport::Pop3s, options);
    assert!(!s.capa().stls());
    assert_eq!(s.client.stls(), Err(LocalError::StlsNotPossible));
    s.logged_in(Auth::Plain, CAROL);
    assert_eq!(s.stat(), peer.drop_listing());
    s.quit();
}

// ------------------------------------------------------------ the example

/// `target/debug/examples/fetch`, which `cargo test` builds, or `None`
/// after saying why the test is skipped.
fn example(test: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/<test>-<hash> -> target/debug/examples/fetch
    let bin = exe.parent().and_then(Path::parent).map(|d| {
        d.join("examples")
            .join(format!("fetch{}", std::env::consts::EXE_SUFFIX))
    });
    let build = "`cargo test` builds it (`cargo test --test interop_dovecot_client` alone \
                 does not: `cargo build --example fetch` first)";
    let Some(bin) = bin.filter(|b| b.is_file()) else {
        return skip(
            test,
            &format!("no examples/fetch next to {}; {build}", exe.display()),
        );
    };
    // Stale after a change to the example or the library it links.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = modified(&bin);
    let newer = [
        root.join("examples/fetch.rs"),
        root.join("examples/common"),
        root.join("src"),
    ]
    .iter()
    .flat_map(|p| sources(p))
    .find(|p| modified(p) > built);
    if let Some(newer) = newer {
        return skip(
            test,
            &format!(
                "{} is older than {}; {build}",
                bin.display(),
                newer.display()
            ),
        );
    }
    Some(bin)
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `path`, or every file under it.
fn sources(path: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(path) {
        Ok(dir) => dir.flatten().flat_map(|e| sources(&e.path())).collect(),
        Err(_) => vec![path.to_path_buf()],
    }
}

/// Runs the example with `args`, killing it (by its PID, the child we
/// started) if it takes more than 60 s.
fn fetch(bin: &Path, args: &[&str]) -> Run {
    run_with_deadline(Command::new(bin).args(args), Duration::from_secs(60))
}

/// The common arguments: where, who, into which directory.
fn fetch_args<'a>(addr: &'a str, host: &'a str, user: &'a str, out: &'a Path) -> Vec<&'a str> {
    vec![
        "--host",
        host,
        "--port",
        Peer::port(addr),
        "--user",
        user,
        "--pass",
        "secret",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]
}

/// The example's `N path` lines, checked against the Maildir it wrote:
/// every file in `new/` named once, `tmp/` empty, and each file byte for
/// byte what Dovecot serves for its seed (`--out` holds the content
/// exactly as on the wire after unstuffing, with CRLF line ends).
fn check_maildir(run: &Run, out: &Path, seeds: &[Vec<u8>], expected: &[usize]) {
    assert!(run.success, "{run:?}");
    let printed: BTreeMap<usize, PathBuf> = run
        .stdout_text()
        .lines()
        .map(|l| {
            let (msg, path) = l.split_once(' ').unwrap_or_else(|| panic!("{l:?}"));
            (msg.parse().unwrap(), PathBuf::from(path))
        })
        .collect();
    assert_eq!(
        printed.keys().copied().collect::<Vec<_>>(),
        expected,
        "{run:?}"
    );
    let files: BTreeSet<PathBuf> = std::fs::read_dir(out.join("new"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files,
        printed.values().cloned().collect::<BTreeSet<_>>(),
        "{run:?}"
    );
    assert_eq!(std::fs::read_dir(out.join("tmp")).unwrap().count(), 0);
    for (msg, path) in &printed {
        let stored = &seeds[msg - 1];
        assert!(
            std::fs::read(path).unwrap() == served(stored),
            "message {msg} ({}) in {}",
            SEEDS[msg - 1],
            path.display()
        );
    }
}

/// The example retrieves carol's maildrop over `transport` with each of
/// `auths` (four of them), connecting to `localhost` (the certificate's
/// DNS name) and `127.0.0.1` (its IP address), pipelining and not
/// (`--no-pipelining`): each of the four combinations once, every file as
/// Dovecot serves it.
fn example_fetches(transport: Transport, auths: [&str; 4]) {
    let test = format!("example_fetches_{transport:?}");
    let (Some(peer), Some(bin)) = (peer(&test), example(&test)) else {
        return;
    };
    let seeds = peer.seeds();
    let all: Vec<usize> = (1..=seeds.len()).collect();
    let turn = TRANSPORTS.iter().position(|t| *t == transport).unwrap();
    for (k, auth) in auths.iter().enumerate() {
        let pipelining = (k / 2 + turn) % 2 == 0;
        let out = TempDir::new("fetch", "maildir");
        let ca = peer.ca.to_str().unwrap();
        let host = if k % 2 == 0 { "localhost" } else { "127.0.0.1" };
        let (addr, mode) = match transport {
            Transport::Plain => (&peer.plain, &["--allow-plaintext"][..]),
            Transport::Stls => (&peer.plain, &["--stls", "--ca", ca][..]),
            Transport::Pop3s => (&peer.pop3s, &["--tls", "--ca", ca][..]),
        };
        let mut args = fetch_args(addr, host, CAROL.0, out.path());
        args.extend_from_slice(mode);
        args.extend_from_slice(&["--auth", auth]);
        if !pipelining {
            args.push("--no-pipelining");
        }
        if *auth == "auto" && transport == Transport::Plain {
            // Without the opt-in, auto picks SCRAM-SHA-256: the
            // strongest offered, and no password on the wire.
            args.retain(|a| *a != "--allow-plaintext");
        }
        let run = fetch(&bin, &args);
        check_maildir(&run, out.path(), &seeds, &all);
    }
}

#[test]
fn example_fetches_plaintext() {
    example_fetches(Transport::Plain, ["auto", "user", "apop", "cram-md5"]);
}

#[test]
fn example_fetches_stls() {
    example_fetches(Transport::Stls, ["auto", "plain", "login", "scram-sha-1"]);
}

#[test]
fn example_fetches_pop3s() {
    example_fetches(Transport::Pop3s, ["auto", "user", "apop", "scram-sha-256"]);
}

/// `--keep` twice into one directory: everything the first time, nothing
/// the second (the UIDLs are remembered), and the mail stays.
#[test]
fn example_keep_twice() {
    let (Some(peer), Some(bin)) = (peer("example_keep_twice"), example("example_keep_twice"))
    else {
        return;
    };
    let seeds = peer.seeds();
    let out = TempDir::new("fetch", "keep");
    let ca = peer.ca.to_str().unwrap();
    let mut args = fetch_args(&peer.pop3s, "localhost", CAROL.0, out.path());
    args.extend_from_slice(&["--tls", "--ca", ca, "--keep"]);
    let first = fetch(&bin, &args);
    check_maildir(
        &first,
        out.path(),
        &seeds,
        &(1..=seeds.len()).collect::<Vec<_>>(),
    );
    let state = std::fs::read_to_string(out.path().join(".pop3-proto-uidls")).unwrap();
    assert_eq!(state.lines().count(), seeds.len(), "{state}");
    let second = fetch(&bin, &args);
    assert!(second.success, "{second:?}");
    assert!(second.stdout.is_empty(), "{second:?}");
    assert_eq!(
        std::fs::read_dir(out.path().join("new")).unwrap().count(),
        seeds.len()
    );
    let mut s = Session::open(&peer, Transport::Plain, Options::default());
    s.logged_in(Auth::ScramSha1, CAROL);
    assert_eq!(s.stat(), peer.drop_listing());
    s.quit();
}

/// `--delete` empties the maildrop (dave's): everything fetched, then a
/// second run finds nothing, and STAT says 0.
#[test]
fn example_delete_empties_the_maildrop() {
    let test = "example_delete_empties_the_maildrop";
    let (Some(peer), Some(bin)) = (peer(test), example(test)) else {
        return;
    };
    let _dave = dave();
    peer.reseed_dave();
    let seeds = peer.seeds();
    let ca = peer.ca.to_str().unwrap();
    for pipelining in [true, false] {
        let out = TempDir::new("fetch", "delete");
        let mut args = fetch_args(&peer.plain, "localhost", DAVE_USER.0, out.path());
        args.extend_from_slice(&["--stls", "--ca", ca, "--delete"]);
        if !pipelining {
            args.push("--no-pipelining");
        }
        let run = fetch(&bin, &args);
        check_maildir(
            &run,
            out.path(),
            &seeds,
            &(1..=seeds.len()).collect::<Vec<_>>(),
        );
        let again = fetch(&bin, &args);
        assert!(again.success && again.stdout.is_empty(), "{again:?}");
        let mut s = Session::open(&peer, Transport::Stls, Options::default());
        s.logged_in(Auth::ScramSha256, DAVE_USER);
        assert_eq!(s.stat(), DropListing { count: 0, size: 0 });
        s.quit();
        peer.reseed_dave();
    }
}

/// Every failure exits non-zero with a message that says what went wrong,
/// and leaves no message behind.
fn assert_fails(bin: &Path, args: &[&str], out: &Path, says: &[&str]) {
    let run = fetch(bin, args);
    assert!(!run.success, "{args:?}: {run:?}");
    assert_eq!(run.code, Some(1), "{args:?}: {run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    for s in says {
        assert!(run.stderr.contains(s), "{args:?}: {s:?} not in {run:?}");
    }
    if let Ok(dir) = std::fs::read_dir(out.join("new")) {
        assert_eq!(dir.count(), 0, "{run:?}");
    }
}

/// A wrong password names Dovecot's `[AUTH]` code, through USER/PASS,
/// SCRAM and the automatic choice, in plaintext and TLS.
#[test]
fn example_wrong_password() {
    let test = "example_wrong_password";
    let (Some(peer), Some(bin)) = (peer(test), example(test)) else {
        return;
    };
    let ca = peer.ca.to_str().unwrap();
    let cases: [(&String, &[&str]); 4] = [
        (&peer.plain, &["--allow-plaintext", "--auth", "user"]),
        (&peer.plain, &["--auth", "scram-sha-256"]),
        (&peer.plain, &["--stls", "--ca", ca, "--auth", "apop"]),
        (&peer.pop3s, &["--tls", "--ca", ca]),
    ];
    // Side by side: Dovecot holds a refused USER/PASS for 500 ms.
    std::thread::scope(|scope| {
        for (addr, extra) in cases {
            let bin = &bin;
            scope.spawn(move || {
                let out = TempDir::new("fetch", "wrong");
                let mut args = fetch_args(addr, "localhost", CAROL.0, out.path());
                args[7] = "wrong";
                args.extend_from_slice(extra);
                if extra.contains(&"apop") {
                    // After STLS the plaintext greeting's timestamp is
                    // forgotten (SPEC S4): refused before any password
                    // is checked.
                    assert_fails(bin, &args, out.path(), &["APOP"]);
                } else {
                    assert_fails(bin, &args, out.path(), &["login failed [AUTH]"]);
                }
            });
        }
    });
}

/// Connection refused, TLS spoken to a plaintext port, and plaintext
/// logins without the opt-in: each a clear message and exit 1.
#[test]
fn example_connection_failures() {
    let test = "example_connection_failures";
    let (Some(peer), Some(bin)) = (peer(test), example(test)) else {
        return;
    };
    let out = TempDir::new("fetch", "fail");
    // A port nothing listens on: bound, then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let args = fetch_args(&closed, "127.0.0.1", CAROL.0, out.path());
    assert_fails(&bin, &args, out.path(), &["cannot connect", "refused"]);
    // --tls to the plain port: Dovecot's greeting is no TLS record.
    let ca = peer.ca.to_str().unwrap();
    let mut args = fetch_args(&peer.plain, "localhost", CAROL.0, out.path());
    args.extend_from_slice(&["--tls", "--ca", ca]);
    assert_fails(&bin, &args, out.path(), &["TLS handshake"]);
    // USER/PASS over plaintext without --allow-plaintext (SPEC S15).
    let mut args = fetch_args(&peer.plain, "localhost", CAROL.0, out.path());
    args.extend_from_slice(&["--auth", "user"]);
    assert_fails(&bin, &args, out.path(), &["USER/PASS", "TLS"]);
}

/// Certificates that must not be trusted (SPEC R67): the peer's CA
/// unknown (no `--ca`: Mozilla's roots only), over POP3S and STLS; and,
/// with the CA, an address the certificate does not name.
#[test]
fn example_certificate_errors() {
    let test = "example_certificate_errors";
    let (Some(peer), Some(bin)) = (peer(test), example(test)) else {
        return;
    };
    let out = TempDir::new("fetch", "cert");
    let mut args = fetch_args(&peer.pop3s, "localhost", CAROL.0, out.path());
    args.push("--tls");
    assert_fails(&bin, &args, out.path(), &["certificate", "UnknownIssuer"]);
    let mut args = fetch_args(&peer.plain, "localhost", CAROL.0, out.path());
    args.push("--stls");
    assert_fails(&bin, &args, out.path(), &["certificate", "UnknownIssuer"]);
    match &peer.unnamed {
        Some(addr) => {
            let host = addr.rsplit_once(':').unwrap().0;
            let ca = peer.ca.to_str().unwrap();
            let mut args = fetch_args(addr, host, CAROL.0, out.path());
            args.extend_from_slice(&["--tls", "--ca", ca]);
            assert_fails(
                &bin,
                &args,
                out.path(),
                &["certificate", "not valid for name"],
            );
        }
        None => {
            let _ = writeln!(
                std::io::stderr(),
                "interop_dovecot_client::{test}: the name mismatch is not checked: \
                 POP3_PROTO_DOVECOT_POP3S_UNNAMED is not set (127.0.0.2 could not be bound)"
            );
        }
    }
}

/// What a scripted server received.
struct Scripted {
    /// Every command line, in order.
    received: Vec<String>,
    /// The held commands (see [`scripted_server`]) after which the next
    /// command came before the reply: the client pipelined.
    pipelined: Vec<String>,
}

/// A POP3 server of canned replies on 127.0.0.1, for what Dovecot will
/// not do or show: the greeting, then each line received is answered by
/// the first rule it starts with (`-ERR` if none), until QUIT. The reply
/// to a command that starts with one of `hold` waits up to 300 ms for
/// the client's next line first.
fn scripted_server(
    rules: &'static [(&'static str, &'static str)],
    hold: &'static [&'static str],
) -> (String, std::thread::JoinHandle<Scripted>) {
    use std::io::BufRead;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let timeout = |t: &TcpStream, ms| t.set_read_timeout(Some(Duration::from_millis(ms)));
        timeout(&tcp, 10_000).unwrap();
        let mut lines = std::io::BufReader::new(tcp.try_clone().unwrap());
        tcp.write_all(b"+OK scripted\r\n").unwrap();
        let (mut received, mut pipelined) = (Vec::new(), Vec::new());
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap_or(0) > 0 {
            let command = line.trim_end().to_owned();
            line.clear();
            if hold.iter().any(|h| command.starts_with(h)) {
                timeout(&tcp, 300).unwrap();
                if lines.fill_buf().is_ok_and(|b| !b.is_empty()) {
                    pipelined.push(command.clone());
                }
                timeout(&tcp, 10_000).unwrap();
            }
            let reply = rules
                .iter()
                .find(|(prefix, _)| command.starts_with(prefix))
                .map_or("-ERR unknown\r\n", |(_, reply)| reply);
            tcp.write_all(reply.as_bytes()).unwrap();
            received.push(command);
            if received.last().is_some_and(|c| c == "QUIT") {
                break;
            }
        }
        Scripted {
            received,
            pipelined,
        }
    });
    (addr, server)
}

/// With `--delete`, a DELE or a QUIT the server refuses (RFC 1939 §6:
/// `-ERR some deleted messages not removed`) leaves mail on the server:
/// the example must say so and exit 1, not report success. Dovecot never
/// refuses these, so a scripted server does.
#[test]
fn example_delete_refused_is_a_failure() {
    let Some(bin) = example("example_delete_refused_is_a_failure") else {
        return;
    };
    const MAILDROP: [(&str, &str); 6] = [
        ("CAPA", "-ERR no CAPA here\r\n"),
        ("USER", "+OK\r\n"),
        ("PASS", "+OK 2 messages\r\n"),
        ("UIDL", "+OK\r\n1 one\r\n2 two\r\n.\r\n"),
        ("LIST", "+OK\r\n1 5\r\n2 5\r\n.\r\n"),
        ("RETR", "+OK\r\nabc\r\n.\r\n"),
    ];
    static DELE_REFUSED: [(&str, &str); 9] = [
        MAILDROP[0],
        MAILDROP[1],
        MAILDROP[2],
        MAILDROP[3],
        MAILDROP[4],
        MAILDROP[5],
        ("DELE 1", "+OK\r\n"),
        ("DELE 2", "-ERR [SYS/TEMP] cannot mark it\r\n"),
        ("QUIT", "+OK\r\n"),
    ];
    static QUIT_REFUSED: [(&str, &str); 8] = [
        MAILDROP[0],
        MAILDROP[1],
        MAILDROP[2],
        MAILDROP[3],
        MAILDROP[4],
        MAILDROP[5],
        ("DELE", "+OK\r\n"),
        ("QUIT", "-ERR some deleted messages not removed\r\n"),
    ];
    for (rules, says) in [
        (
            &DELE_REFUSED[..],
            &["DELE 2", "[SYS/TEMP] cannot mark it"][..],
        ),
        (
            &QUIT_REFUSED[..],
            &["QUIT", "some deleted messages not removed"][..],
        ),
    ] {
        let (addr, server) = scripted_server(rules, &[]);
        let out = TempDir::new("fetch", "refused");
        let mut args = fetch_args(&addr, "127.0.0.1", "u", out.path());
        args.extend_from_slice(&["--allow-plaintext", "--auth", "user", "--delete"]);
        let run = fetch(&bin, &args);
        let received = server.join().unwrap().received;
        assert!(
            received.iter().any(|c| c == "DELE 2") && received.last().unwrap() == "QUIT",
            "{received:?}"
        );
        assert!(!run.success, "{run:?}");
        assert_eq!(run.code, Some(1), "{run:?}");
        for s in says {
            assert!(run.stderr.contains(s), "{s:?} not in {run:?}");
        }
    }
}

/// The example pipelines when the server offers PIPELINING, and not with
/// `--no-pipelining` (RFC 2449 §6.6). Capabilities are dropped at the
/// login (RFC 2449 §5: Gmail adds PIPELINING only then), so this needs a
/// CAPA after it; the scripted server offers PIPELINING in both states
/// and holds its replies to UIDL and the first RETR to see whether the
/// next command comes first.
#[test]
fn example_pipelines_after_login() {
    let Some(bin) = example("example_pipelines_after_login") else {
        return;
    };
    static RULES: [(&str, &str); 8] = [
        ("CAPA", "+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n"),
        ("USER", "+OK\r\n"),
        ("PASS", "+OK 2 messages\r\n"),
        ("UIDL", "+OK\r\n1 one\r\n2 two\r\n.\r\n"),
        ("LIST", "+OK\r\n1 5\r\n2 5\r\n.\r\n"),
        ("RETR", "+OK\r\nabc\r\n.\r\n"),
        ("DELE", "+OK\r\n"),
        ("QUIT", "+OK\r\n"),
    ];
    for pipelining in [true, false] {
        let (addr, server) = scripted_server(&RULES, &["UIDL", "RETR 1"]);
        let out = TempDir::new("fetch", "pipelining");
        let mut args = fetch_args(&addr, "127.0.0.1", "u", out.path());
        args.extend_from_slice(&["--allow-plaintext", "--auth", "user"]);
        if !pipelining {
            args.push("--no-pipelining");
        }
        let run = fetch(&bin, &args);
        assert!(run.success, "{run:?}");
        let scripted = server.join().unwrap();
        let expected: &[&str] = if pipelining { &["UIDL", "RETR 1"] } else { &[] };
        assert_eq!(
            scripted.pipelined, expected,
            "--no-pipelining: {}; the server received {:?}",
            !pipelining, scripted.received
        );
    }
}
