//! The POP3 server behind `examples/pop3d.rs`, shared with
//! `examples/demo.rs`: Maildir mailboxes served over std::net and
//! rustls, a thread per connection, with the sans-IO
//! [`Server`](pop3_proto::server::Server) doing the protocol.
//!
//! What this file owns and the machine does not: the sockets and TLS,
//! the clock, the users and their credentials, the Maildirs (numbering
//! at login, unique-ids from the file names, sizes cached per file),
//! streaming a message off the disk in chunks, removing the files at
//! UPDATE, the per-user lock, and a log line per session.

use pop3_proto::body::WireLen;
use pop3_proto::sasl::scram::{ScramHash, StoredCredentials};
use pop3_proto::sasl::server::{Answer, Request};
use pop3_proto::server::{
    CloseReason, Event, Flow, Listing, Method, Options, PartialUpdate, RANDOM_LEN, Refusal, Server,
};
use pop3_proto::time::Instant;
use pop3_proto::types::{Mechanism, MsgNumber, Text, Uid};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// The PBKDF2 iterations of the SCRAM credentials derived at start, and
/// of the fake ones for unknown users (SPEC S13: the same for both).
pub const SCRAM_ITERATIONS: u32 = 4096;
/// The salt length of the SCRAM credentials, real and fake.
pub const SCRAM_SALT_LEN: usize = 16;
/// A message is read off the disk and handed to the machine this much at
/// a time.
const CHUNK: usize = 64 * 1024;
/// A TLS handshake that takes longer, in all, is given up.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// [`Config::max_connections`] unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// After a failed accept() the accepting thread waits this long, twice
/// as long after each further failure, up to [`ACCEPT_BACKOFF_MAX`].
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// A client that reads nothing for this long is dropped (the machine's
/// autologout does not run while a reply is going out).
const WRITE_TIMEOUT: Duration = Duration::from_secs(600);

/// A user of the server: the password (for PLAIN, LOGIN, USER/PASS and
/// the shared secret of CRAM-MD5 and APOP) and the SCRAM credentials
/// derived from it once, at start.
pub struct User {
    password: Zeroizing<String>,
    /// The SHA-256 of the password, for USER/PASS, PLAIN and LOGIN: what
    /// a password sent is compared with, in time that depends on neither
    /// its length nor the stored one's.
    password_sha256: Zeroizing<[u8; 32]>,
    scram_sha1: StoredCredentials,
    scram_sha256: StoredCredentials,
}

impl User {
    /// Derives the SCRAM credentials with a fresh random salt.
    ///
    /// # Errors
    ///
    /// A password SASLprep refuses (RFC 4013), or no random bytes.
    pub fn new(password: &str) -> Result<Self, String> {
        let mut salt = [0u8; SCRAM_SALT_LEN];
        fill_random(&mut salt)?;
        let derive = |hash| {
            StoredCredentials::derive(hash, password, salt, SCRAM_ITERATIONS)
                .map_err(|e| format!("SCRAM credentials: {e}"))
        };
        Ok(Self {
            password: Zeroizing::new(password.to_owned()),
            password_sha256: sha256(password.as_bytes()),
            scram_sha1: derive(ScramHash::Sha1)?,
            scram_sha256: derive(ScramHash::Sha256)?,
        })
    }
}

fn sha256(bytes: &[u8]) -> Zeroizing<[u8; 32]> {
    use sha2::Digest;
    Zeroizing::new(sha2::Sha256::digest(bytes).into())
}

/// Reads a users file: one `user:password` per line (the password is
/// everything after the first `:`); empty lines and lines starting with
/// `#` are skipped, and a byte-order mark at the start.
///
/// # Errors
///
/// A file that cannot be read, a line without `:`, a user name that
/// cannot name a directory, a user listed twice.
pub fn load_users(path: &Path) -> Result<HashMap<String, User>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // An editor's UTF-8 byte-order mark would be part of the first name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let at = || format!("{}:{}", path.display(), i + 1);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, password) = line
            .split_once(':')
            .ok_or_else(|| format!("{}: not user:password", at()))?;
        check_user_name(name).map_err(|e| format!("{}: {e}", at()))?;
        let user = User::new(password).map_err(|e| format!("{}: {e}", at()))?;
        if users.insert(name.to_owned(), user).is_some() {
            return Err(format!("{}: {name} is listed twice", at()));
        }
    }
    Ok(users)
}

/// A user name must be usable as the name of its Maildir under the
/// root, and printable in a log.
fn check_user_name(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.len() > 255
        || name == "."
        || name == ".."
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
        || name.contains(['/', '\\']);
    if bad {
        Err(format!("{:?} cannot be a user name here", name))
    } else {
        Ok(())
    }
}

/// Fills `out` from the operating system's generator (ring's, through
/// rustls: the one its handshakes use).
pub fn fill_random(out: &mut [u8]) -> Result<(), String> {
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(out)
        .map_err(|_| "the operating system gave no random bytes".to_owned())
}

/// The time since the process started, for the machine.
pub fn now() -> Instant {
    use std::sync::OnceLock;
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(std::time::Instant::now);
    Instant::from_duration(origin.elapsed())
}

/// RFC 1939 sizes by user, then by path in the Maildir (`new/NAME`,
/// `cur/NAME`), valid while the file there is the same one, unchanged.
type SizeCache = HashMap<String, UserSizes>;
/// One user's entries of the [`SizeCache`].
type UserSizes = HashMap<PathBuf, (FileId, u64)>;

/// What the server serves, and how.
pub struct Config {
    /// `DIR/<user>/` is each user's Maildir (`new/` and `cur/`).
    pub maildir_root: PathBuf,
    pub users: HashMap<String, User>,
    /// The certificate for STLS and POP3S; without it neither is offered.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Offer `UTF8 USER` (RFC 6856).
    pub utf8: bool,
    /// Offer APOP (weak, SPEC S12: only with plaintext logins allowed or
    /// over POP3S, as the machine decides).
    pub apop: bool,
    /// Allow logins that send the password before TLS (tests, loopback).
    pub plaintext: bool,
    /// Offer no login at all before TLS: only USER/PASS, PLAIN and LOGIN
    /// (and APOP, if asked), which the machine offers only over TLS. Off,
    /// CRAM-MD5 and SCRAM are offered too, before TLS as well: they do
    /// not send the password, but an eavesdropper can still try
    /// passwords against their exchange at leisure. Not with
    /// [`plaintext`](Self::plaintext).
    pub tls_logins_only: bool,
    /// Connections served at once, over all the listeners (a thread
    /// each). One more gets `-ERR [SYS/TEMP] too many connections` (on
    /// POP3S: is closed) until one ends. At least 1.
    pub max_connections: usize,
}

/// The server: its configuration, the users' locks and the size cache,
/// shared by every session.
pub struct Pop3d {
    config: Config,
    /// The users with a session in TRANSACTION (RFC 1939 §4, SPEC R23).
    locks: Mutex<HashSet<String>>,
    /// RFC 1939 sizes by user and file name, valid for a modification
    /// time and length, so that a login rereads only new or changed files.
    sizes: Mutex<SizeCache>,
    /// The machine's options without TLS (STLS offered with a
    /// certificate) and over POP3S.
    options: Options,
    options_tls: Options,
    /// Connections being served now.
    connections: AtomicUsize,
    /// Connections turned away since the last one served.
    turned_away: AtomicUsize,
}

impl Pop3d {
    /// A server for `config`.
    ///
    /// # Errors
    ///
    /// A maildir root that is not a directory, `plaintext` with
    /// `tls_logins_only`, no random bytes for the SCRAM secret.
    pub fn new(config: Config) -> Result<Arc<Self>, String> {
        // A typo in the root would otherwise give every user an empty
        // maildrop, and nobody a word about it.
        let root = &config.maildir_root;
        match fs::metadata(root) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("{}: not a directory", root.display())),
            Err(e) => return Err(format!("{}: {e}", root.display())),
        }
        if config.plaintext && config.tls_logins_only {
            return Err("plaintext logins and TLS-only logins are both asked for".into());
        }
        // Unknown users' fake SCRAM salts come from this secret, so that
        // an unknown name gets the same salt in every session of this
        // process, as a real user does (SPEC S13).
        let mut secret = Zeroizing::new([0u8; 32]);
        fill_random(&mut secret[..])?;
        let implementation =
            Text::try_from("pop3-proto examples/pop3d").map_err(|e| e.to_string())?;
        let mechanisms = if config.tls_logins_only {
            // The ones the machine keeps for TLS (plaintext_logins off).
            vec![Mechanism::Plain, Mechanism::Login]
        } else {
            vec![
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::CramMd5,
                Mechanism::Plain,
                Mechanism::Login,
            ]
        };
        let options = Options::default()
            .with_mechanisms(mechanisms)
            .with_plaintext_logins(config.plaintext)
            .with_apop(config.apop)
            .with_utf8(config.utf8.then_some(true))
            .with_implementation(Some(implementation.into_owned()))
            .with_scram_secret(&secret[..])
            .with_scram_fake_iterations(SCRAM_ITERATIONS)
            .with_scram_fake_salt_len(SCRAM_SALT_LEN);
        let options_tls = options.clone().with_stls(false);
        let options = options.with_stls(config.tls.is_some());
        Ok(Arc::new(Self {
            config,
            locks: Mutex::new(HashSet::new()),
            sizes: Mutex::new(HashMap::new()),
            options,
            options_tls,
            connections: AtomicUsize::new(0),
            turned_away: AtomicUsize::new(0),
        }))
    }

    /// True when plaintext connections are offered STLS.
    pub fn offers_stls(&self) -> bool {
        self.config.tls.is_some()
    }

    /// Accepts connections on `listener` for ever, a thread each, up to
    /// [`Config::max_connections`] at once: POP3 (with STLS when there is
    /// a certificate), or POP3S when `implicit_tls`.
    pub fn serve(self: &Arc<Self>, listener: TcpListener, implicit_tls: bool) {
        let mut backoff = ACCEPT_BACKOFF_MIN;
        let mut failures = 0u64;
        loop {
            match listener.accept() {
                Ok((stream, peer)) => {
                    if failures > 0 {
                        eprintln!("pop3d: accept works again, after {failures} failure(s)");
                        failures = 0;
                        backoff = ACCEPT_BACKOFF_MIN;
                    }
                    let Some(slot) = ConnectionSlot::take(self) else {
                        self.turn_away(stream, peer, implicit_tls);
                        continue;
                    };
                    let away = self.turned_away.swap(0, Ordering::Relaxed);
                    if away > 0 {
                        eprintln!("pop3d: {away} connection(s) turned away: too many at once");
                    }
                    let server = Arc::clone(self);
                    // The slot goes with the thread, and is given back
                    // when it ends (or when the closure is dropped,
                    // if no thread could be made).
                    let spawned = std::thread::Builder::new()
                        .name(format!("pop3d {peer}"))
                        .spawn(move || {
                            let _slot = slot;
                            server.session(stream, peer, implicit_tls);
                        });
                    if let Err(e) = spawned {
                        eprintln!("pop3d: {peer}: no thread for the session: {e}");
                    }
                }
                // The peer gave up before accept() took it: nothing to
                // wait for.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    // Out of file descriptors, say: wait longer each time,
                    // and say so now and then, not at every try.
                    failures += 1;
                    if failures == 1 || failures % 100 == 0 {
                        eprintln!(
                            "pop3d: accept: {e} ({failures} failure(s) in a row; retrying in up to {} ms)",
                            ACCEPT_BACKOFF_MAX.as_millis()
                        );
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                }
            }
        }
    }

    /// A connection over [`Config::max_connections`]: `-ERR [SYS/TEMP]`
    /// and closed (POP3S: closed, a TLS client cannot read a plaintext
    /// line), from the accepting thread, without waiting for the peer.
    /// Logged once per run of them.
    fn turn_away(&self, stream: TcpStream, peer: SocketAddr, implicit_tls: bool) {
        if self.turned_away.fetch_add(1, Ordering::Relaxed) == 0 {
            eprintln!(
                "pop3d: {peer}: turned away, {} connections already",
                self.config.max_connections
            );
        }
        if !implicit_tls && stream.set_nonblocking(true).is_ok() {
            let _ = (&stream).write_all(b"-ERR [SYS/TEMP] too many connections\r\n");
        }
        let _ = stream.shutdown(Shutdown::Both);
    }

    /// [`serve`](Self::serve) on a thread of its own.
    pub fn spawn(self: &Arc<Self>, listener: TcpListener, implicit_tls: bool) -> io::Result<()> {
        let server = Arc::clone(self);
        std::thread::Builder::new()
            .name("pop3d accept".into())
            .spawn(move || server.serve(listener, implicit_tls))
            .map(drop)
    }

    /// One connection, from the first byte to the log line.
    fn session(&self, stream: TcpStream, peer: SocketAddr, implicit_tls: bool) {
        let started = std::time::Instant::now();
        let mut session = Session::new(self, peer);
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let conn = if implicit_tls {
            session.tls = "pop3s";
            match self.config.tls.as_ref() {
                Some(config) => Conn::accept_tls(stream, config),
                None => Err(io::Error::other("no certificate for POP3S")),
            }
        } else {
            session.tls = "none";
            Ok(Conn::Plain(stream))
        };
        match conn {
            Ok(conn) => {
                let mut random = [0u8; RANDOM_LEN];
                match fill_random(&mut random) {
                    Ok(()) => {
                        let server = if implicit_tls {
                            Server::new_tls(self.options_tls.clone(), random, now())
                        } else {
                            Server::new(self.options.clone(), random, now())
                        };
                        session.run(server, conn);
                    }
                    Err(e) => session.error = Some(e),
                }
            }
            Err(e) => session.error = Some(format!("TLS handshake: {e}")),
        }
        session.log(started.elapsed());
    }

    /// The listing of `user`'s Maildir: `new/` then `cur/`, each sorted
    /// by file name, each file once, with unique-ids unique within it
    /// ([`assign_uids`]). A missing `new/` or `cur/` is empty; a missing
    /// `<user>/` is [`ScanError::NoMaildir`].
    ///
    /// A mail reader may move or rename files meanwhile. The directories
    /// are read [`SCAN_READS`] times each, in turn, and every name seen
    /// counts; when a message (by unique part) is gone from every name it
    /// was seen under by the time it is looked at, the scan starts again, up to [`SCAN_ATTEMPTS`] times, after
    /// which the files that vanished are left out. A file that cannot be
    /// read is left out with a note, not the whole maildrop refused.
    fn scan(&self, user: &str) -> Result<Scanned, ScanError> {
        let home = self.config.maildir_root.join(user);
        match fs::metadata(&home) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(ScanError::NoMaildir("not a directory".into())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ScanError::NoMaildir(e.to_string()));
            }
            Err(e) => return Err(ScanError::Io(e)),
        }
        // The user's cached sizes, taken out while the scan runs (the
        // user's lock keeps other scans of this user away) and put back
        // with only the files still there.
        let mut cache = self.sizes_lock().remove(user).unwrap_or_default();
        let mut fresh = HashMap::new();
        let mut result = Err(ScanError::Io(io::Error::other("no scan")));
        for attempt in 1..=SCAN_ATTEMPTS {
            fresh.clear();
            match self.scan_once(&home, &mut cache, &mut fresh) {
                Ok((scanned, moved)) => {
                    result = Ok(scanned);
                    if !moved {
                        break;
                    }
                    if attempt == SCAN_ATTEMPTS {
                        if let Ok(s) = &mut result {
                            s.skipped
                                .push("files kept moving: the listing may miss some".into());
                        }
                    }
                }
                Err(e) => {
                    result = Err(ScanError::Io(e));
                    break;
                }
            }
        }
        self.sizes_lock().insert(user.to_owned(), fresh);
        let mut scanned = result?;
        assign_uids(&mut scanned.messages);
        Ok(scanned)
    }

    /// One pass of [`scan`](Self::scan); true beside it when something
    /// moved while it ran.
    fn scan_once(
        &self,
        home: &Path,
        cache: &mut UserSizes,
        fresh: &mut UserSizes,
    ) -> io::Result<(Scanned, bool)> {
        // Every name seen in any of the reads: a message a mail reader
        // moves between the directories while they are read is in one of
        // them at each read, so the union holds it unless it moved
        // between every two reads.
        let mut names: [BTreeSet<OsString>; 2] = Default::default();
        for _ in 0..SCAN_READS {
            for (sub, seen) in ["new", "cur"].into_iter().zip(&mut names) {
                seen.extend(list_names(&home.join(sub))?);
            }
        }
        // The unique parts seen, and those found where they were seen.
        let wanted: BTreeSet<Vec<u8>> = names
            .iter()
            .flatten()
            .map(|n| unique_part(n).to_vec())
            .collect();
        let mut found = BTreeSet::new();
        let mut scanned = Scanned::default();
        let mut seen = HashSet::new();
        let [new, cur] = names;
        for (sub, names) in [("new", new), ("cur", cur)] {
            let dir = home.join(sub);
            for name in names {
                let path = dir.join(&name);
                let rel = Path::new(sub).join(&name);
                let unique = unique_part(&name).to_vec();
                let skip = |scanned: &mut Scanned, e: &dyn std::fmt::Display| {
                    let rel = rel.to_string_lossy();
                    scanned.skipped.push(format!("{}: {e}", escape(&rel)));
                };
                let meta = match fs::symlink_metadata(&path) {
                    Ok(meta) => meta,
                    // Moved on: the union may hold its new name.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        skip(&mut scanned, &e);
                        found.insert(unique);
                        continue;
                    }
                };
                // Found where it was seen: a message, or (symlinks,
                // directories, pipes) not one, but not moved.
                found.insert(unique);
                if !meta.file_type().is_file() {
                    continue;
                }
                let id = FileId::of(&meta);
                // The same file twice: moved between the two directories
                // while they were read, or a hard link.
                if id.has_inode() && !seen.insert((id.dev, id.ino)) {
                    continue;
                }
                let size = match cache.get(&rel) {
                    Some(&(cached, size)) if cached == id => Ok(size),
                    _ => rfc1939_size(&path, &id),
                };
                let size = match size {
                    Ok(size) => size,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        // Gone between the look and the open.
                        found.remove(unique_part(&name));
                        continue;
                    }
                    Err(e) => {
                        skip(&mut scanned, &e);
                        continue;
                    }
                };
                fresh.insert(rel.clone(), (id, size));
                cache.insert(rel, (id, size));
                scanned.messages.push(Message {
                    sub,
                    name,
                    path,
                    size,
                    uid: String::new(),
                    id,
                    unique_alone: false,
                });
            }
        }
        // A message seen under names that are all gone moved to one no read
        // saw: read again.
        Ok((scanned, found != wanted))
    }

    fn sizes_lock(&self) -> std::sync::MutexGuard<'_, SizeCache> {
        self.sizes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes `user`'s lock; `None` while another session holds it.
    fn lock(&self, user: &str) -> Option<UserLock<'_>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        locks.insert(user.to_owned()).then(|| UserLock {
            server: self,
            user: user.to_owned(),
        })
    }

    /// The answer to a login's request: the same for an unknown user as
    /// for a wrong password (SPEC S13).
    fn answer(&self, request: &Request) -> Answer {
        let user = |name: &str| self.config.users.get(name);
        match request {
            Request::Password {
                authzid,
                authcid,
                password,
            } => {
                use subtle::ConstantTimeEq;
                // Digests of the same length, compared in constant time
                // (ct_eq on slices of different lengths returns at once),
                // and one for an unknown user too.
                let sent = sha256(&password.expose_secret()[..]);
                let (known, stored) = match user(authcid) {
                    Some(u) => (1, u.password_sha256.clone()),
                    None => (0, Zeroizing::new([0u8; 32])),
                };
                let right = bool::from(sent.ct_eq(&*stored) & subtle::Choice::from(known));
                // Acting as another user is not allowed here.
                if right && authzid.as_deref().is_none_or(|z| z == authcid) {
                    Answer::Accept
                } else {
                    Answer::Reject
                }
            }
            Request::SharedSecret { user: name } => match user(name) {
                Some(u) => Answer::shared_secret(u.password.as_bytes()),
                None => Answer::Reject,
            },
            Request::ScramCredentials { hash, authcid, .. } => match (user(authcid), hash) {
                (Some(u), ScramHash::Sha1) => Answer::Scram(u.scram_sha1.clone()),
                (Some(u), ScramHash::Sha256) => Answer::Scram(u.scram_sha256.clone()),
                _ => Answer::Reject,
            },
            Request::Authorize { authcid, authzid } if authcid == authzid => Answer::Accept,
            _ => Answer::Reject,
        }
    }
}

/// One of the [`Config::max_connections`] places, given back when
/// dropped.
struct ConnectionSlot(Arc<Pop3d>);

impl ConnectionSlot {
    fn take(server: &Arc<Pop3d>) -> Option<Self> {
        let max = server.config.max_connections.max(1);
        server
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(Arc::clone(server)))
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A user's lock, released when dropped: at UPDATE, or when the session
/// ends, however it ends (a panic included).
struct UserLock<'a> {
    server: &'a Pop3d,
    user: String,
}

impl Drop for UserLock<'_> {
    fn drop(&mut self) {
        let mut locks = self
            .server
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        locks.remove(&self.user);
    }
}

/// How many times a login's scan starts again while files move under it.
const SCAN_ATTEMPTS: usize = 20;

/// How many times one pass of a scan reads `new/` and `cur/`, in turn. A
/// message that a mail reader moves between them is missed by every read
/// only if it moves between every two of them.
const SCAN_READS: usize = 3;

/// What a login's scan found: the messages, and notes on the files left
/// out.
#[derive(Debug, Default)]
struct Scanned {
    messages: Vec<Message>,
    skipped: Vec<String>,
}

/// Why a login's scan failed.
#[derive(Debug)]
enum ScanError {
    /// No `<user>/` Maildir under the root: `-ERR [SYS/PERM]`, someone
    /// must create it.
    NoMaildir(String),
    /// The Maildir could not be read: `-ERR [SYS/TEMP]`.
    Io(io::Error),
}

/// The names in a Maildir directory, sorted, dot files left out
/// (Maildir's own convention: they are not messages). A missing
/// directory is empty.
fn list_names(dir: &Path) -> io::Result<Vec<OsString>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        if !name.as_encoded_bytes().starts_with(b".") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The RFC 1939 size of a file's content (CRLF line ends, no stuffing),
/// read through a handle that is checked to be the file `id` (not what a
/// symlink swapped in since points to).
fn rfc1939_size(path: &Path, id: &FileId) -> io::Result<u64> {
    let mut file = open_checked(path, id)?;
    let mut counter = WireLen::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => counter.count(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(counter.message_size())
}

/// Opens `path` for reading if it is still the regular file `id`: same
/// device and inode, length and modification time. A symlink is refused
/// before the open; one swapped in between that check and the open is
/// caught by the check of the open handle.
fn open_checked(path: &Path, id: &FileId) -> io::Result<File> {
    // NotFound: the file listed is not at `path` any more.
    let changed = || io::Error::new(io::ErrorKind::NotFound, "changed since it was listed");
    let meta = fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() || FileId::of(&meta) != *id {
        return Err(changed());
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() || FileId::of(&meta) != *id {
        return Err(changed());
    }
    Ok(file)
}

/// What tells a file from another and from its own older content: the
/// device and inode (Unix; they stay the same when a mail reader renames
/// it), its length and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: SystemTime,
}

impl FileId {
    fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Self {
            dev,
            ino,
            len: meta.len(),
            mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        }
    }

    /// True where the platform gives inodes.
    fn has_inode(&self) -> bool {
        cfg!(unix)
    }

    /// The same file, whatever its name now.
    fn same_file(&self, other: &Self) -> bool {
        self.has_inode() && self.dev == other.dev && self.ino == other.ino
    }
}

/// A message of the listing.
#[derive(Debug, Clone)]
pub struct Message {
    /// `new` or `cur`, at login.
    pub sub: &'static str,
    /// The file name, flags included.
    pub name: OsString,
    pub path: PathBuf,
    /// Its RFC 1939 size.
    pub size: u64,
    pub uid: String,
    /// The file as it was at login.
    id: FileId,
    /// No other file of the listing has its unique part: a file with
    /// that unique part and the same inode, found later in `new/` or
    /// `cur/`, is this message, moved by a mail reader.
    unique_alone: bool,
}

/// The first character of a unique-id made by hashing. A unique-id taken
/// from a file name never starts with it (a name that does is hashed
/// too), so the two kinds cannot meet.
const HASHED_UID_PREFIX: u8 = b'~';

/// The unique part of a Maildir file name: what is before the `:2,` of
/// the flags, the same when a mail reader moves the file from `new/` to
/// `cur/` or changes its flags.
pub fn unique_part(name: &std::ffi::OsStr) -> &[u8] {
    let bytes = name.as_encoded_bytes();
    bytes
        .windows(3)
        .position(|w| w == b":2,")
        .map_or(bytes, |at| &bytes[..at])
}

/// The unique-id of a unique part (RFC 1939 §7, SPEC R29): itself when
/// it is 1-70 characters of 0x21-0x7E that do not start with `~`, else
/// `~` and its hexadecimal SHA-256 (65 characters).
pub fn uid_of_unique(unique: &[u8]) -> String {
    let literal = (1..=70).contains(&unique.len())
        && unique[0] != HASHED_UID_PREFIX
        && unique.iter().all(|b| (0x21..=0x7e).contains(b));
    if literal {
        String::from_utf8_lossy(unique).into_owned()
    } else {
        hashed_uid(unique)
    }
}

/// `~` and the hexadecimal SHA-256 of `bytes`.
fn hashed_uid(bytes: &[u8]) -> String {
    use sha2::Digest;
    let mut uid = String::from(char::from(HASHED_UID_PREFIX));
    for b in sha2::Sha256::digest(bytes) {
        uid += &format!("{b:02x}");
    }
    uid
}

/// Gives every message of a listing (in its order: `new/` then `cur/`,
/// by name) a unique-id no other message of it has, the same for the
/// same files in every session: the first file with a unique part gets
/// [`uid_of_unique`] of it; another file with the same unique part (a
/// copy in `new/` and `cur/`, a restored backup) gets `~` and the
/// SHA-256 of its `new/NAME` or `cur/NAME`, which has a `/` that no
/// unique part has, so it cannot be the hash of one.
fn assign_uids(messages: &mut [Message]) {
    let mut count: HashMap<Vec<u8>, usize> = HashMap::new();
    for m in messages.iter() {
        *count.entry(unique_part(&m.name).to_vec()).or_default() += 1;
    }
    let mut given = HashSet::new();
    for m in messages.iter_mut() {
        let unique = unique_part(&m.name);
        m.unique_alone = count.get(unique) == Some(&1);
        m.uid = if given.insert(unique.to_vec()) {
            uid_of_unique(unique)
        } else {
            let mut rel = m.sub.as_bytes().to_vec();
            rel.push(b'/');
            rel.extend_from_slice(m.name.as_encoded_bytes());
            hashed_uid(&rel)
        };
    }
}

/// Where message `m` of the Maildir `home` is now: its path at login if
/// that is still its file, or else, when its unique part was its own at
/// login, the file in `new/` or `cur/` with that unique part and the
/// same inode (moved or renamed for its flags by a mail reader). `None`
/// when it is gone: no other file is ever taken for it.
fn locate(home: &Path, m: &Message) -> io::Result<Option<PathBuf>> {
    let is_it = |path: &Path| match fs::symlink_metadata(path) {
        Ok(meta) => Ok(meta.file_type().is_file() && FileId::of(&meta).same_file(&m.id)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    };
    if is_it(&m.path)? || (!m.id.has_inode() && m.path.is_file()) {
        return Ok(Some(m.path.clone()));
    }
    if !m.unique_alone || !m.id.has_inode() {
        return Ok(None);
    }
    let unique = unique_part(&m.name);
    for sub in ["new", "cur"] {
        let dir = home.join(sub);
        for name in list_names(&dir)? {
            if unique_part(&name) == unique && is_it(&dir.join(&name))? {
                return Ok(Some(dir.join(name)));
            }
        }
    }
    Ok(None)
}

/// Opens message `m` for RETR and TOP: the file of the listing, unchanged
/// since the login (so that the size announced is the size sent), not a
/// symlink.
fn open_message(home: &Path, m: &Message) -> io::Result<File> {
    let path = locate(home, m)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "gone since the login"))?;
    open_checked(&path, &m.id)
}

/// Removes message `m`'s file at UPDATE: its own file, wherever a mail
/// reader moved it ([`locate`]). True when it was removed now, false
/// when it was gone already (another reader removed it: what the client
/// asked for is done).
fn remove_message(home: &Path, m: &Message) -> io::Result<bool> {
    // Twice: the file may be renamed between the look and the removal.
    for _ in 0..2 {
        let Some(path) = locate(home, m)? else {
            return Ok(false);
        };
        match fs::remove_file(&path) {
            Ok(()) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// The connection: plaintext until TLS starts.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(s) => s,
            Self::Tls(s) => &s.sock,
        }
    }

    /// The server's side of a TLS handshake on `sock`, given
    /// [`HANDSHAKE_TIMEOUT`] in all (not per read: a peer that sends a
    /// byte now and then does not keep it going).
    fn accept_tls(mut sock: TcpStream, config: &Arc<rustls::ServerConfig>) -> io::Result<Self> {
        let mut conn =
            rustls::ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
        let mut io = Deadline {
            sock: &mut sock,
            until: std::time::Instant::now() + HANDSHAKE_TIMEOUT,
        };
        while conn.is_handshaking() {
            conn.complete_io(&mut io)?;
        }
        sock.set_write_timeout(Some(WRITE_TIMEOUT))?;
        Ok(Self::Tls(Box::new(rustls::StreamOwned::new(conn, sock))))
    }

    /// Ends the connection: TLS's close_notify, then the TCP shutdown.
    fn close(self) {
        match self {
            Self::Plain(s) => {
                let _ = s.shutdown(Shutdown::Both);
            }
            Self::Tls(mut s) => {
                s.conn.send_close_notify();
                let _ = s.conn.complete_io(&mut s.sock);
                let _ = s.sock.shutdown(Shutdown::Both);
            }
        }
    }
}

/// A socket whose every read and write must be done by `until`: each
/// gets the time left as its timeout, and none starts after it.
struct Deadline<'a> {
    sock: &'a mut TcpStream,
    until: std::time::Instant,
}

impl Deadline<'_> {
    fn left(&self) -> io::Result<Duration> {
        self.until
            .checked_duration_since(std::time::Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::TimedOut, "the TLS handshake took too long")
            })
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.sock.set_read_timeout(Some(left))?;
        self.sock.read(buf)
    }
}

impl Write for Deadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.sock.set_write_timeout(Some(left))?;
        self.sock.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
        }
    }
}

/// One session's state beside the machine's, and what its log line says.
struct Session<'a> {
    pop3d: &'a Pop3d,
    peer: SocketAddr,
    /// `none`, `stls` or `pop3s`.
    tls: &'static str,
    /// Who logged in, and how.
    user: Option<String>,
    method: Option<String>,
    lock: Option<UserLock<'a>>,
    /// The user's Maildir, once logged in.
    home: PathBuf,
    /// The files of the listing, by message number - 1.
    files: Vec<Message>,
    /// The message being streamed.
    sending: Option<File>,
    tls_pending: bool,
    closed: Option<CloseReason>,
    failed_logins: u32,
    /// Logins refused after the credentials were right (in use, no
    /// Maildir, ...), and the last one.
    refusals: u32,
    last_refusal: Option<String>,
    /// The user named in the last failed login, as the client sent it.
    failed_user: Option<String>,
    removed: usize,
    /// Marked, but removed by someone else before the UPDATE.
    gone: usize,
    not_removed: usize,
    bytes_in: u64,
    bytes_out: u64,
    /// What went wrong on this side (I/O, TLS, the disk).
    error: Option<String>,
}

impl<'a> Session<'a> {
    fn new(pop3d: &'a Pop3d, peer: SocketAddr) -> Self {
        Self {
            pop3d,
            peer,
            tls: "none",
            user: None,
            method: None,
            lock: None,
            home: PathBuf::new(),
            files: Vec::new(),
            sending: None,
            tls_pending: false,
            closed: None,
            failed_logins: 0,
            refusals: 0,
            last_refusal: None,
            failed_user: None,
            removed: 0,
            gone: 0,
            not_removed: 0,
            bytes_in: 0,
            bytes_out: 0,
            error: None,
        }
    }

    fn note(&mut self, error: String) {
        self.error.get_or_insert(error);
    }

    /// Drives the machine over `conn` until the session is over, the way
    /// its documentation says: act on every event, stream content while
    /// it is wanted, write what it hands out, start TLS when it says so
    /// and only once the `+OK` is written, read no more than
    /// `input_room()`, and pass time in.
    fn run(&mut self, mut server: Server, mut conn: Conn) {
        let mut buf = vec![0u8; 16 * 1024];
        let mut chunk = vec![0u8; CHUNK];
        loop {
            // One pass over what the machine has: events, content it
            // wants, bytes to send. Taking the bytes may let it read the
            // next pipelined command, and so give new events: the
            // session only waits for the client after a pass in which
            // nothing happened.
            let mut progressed = false;
            while let Some(event) = server.poll_event() {
                self.on_event(&mut server, event);
                progressed = true;
            }
            progressed |= self.pump_content(&mut server, &mut chunk);
            let mut write_failed = false;
            while let Some(out) = server.poll_transmit() {
                progressed = true;
                if let Err(e) = conn.write_all(&out).and_then(|()| conn.flush()) {
                    self.note(format!("write: {e}"));
                    write_failed = true;
                    break;
                }
                self.bytes_out += out.len() as u64;
            }
            if write_failed {
                // The client is gone: no UPDATE (SPEC R34).
                server.close();
                while let Some(event) = server.poll_event() {
                    self.on_event(&mut server, event);
                }
                break;
            }
            if self.closed.is_some() {
                break;
            }
            if progressed {
                continue;
            }
            if std::mem::take(&mut self.tls_pending) {
                // The +OK to STLS is written: the handshake now.
                let Some(config) = self.pop3d.config.tls.as_ref() else {
                    self.note("STLS without a certificate".into());
                    server.close();
                    continue;
                };
                conn = match conn {
                    Conn::Plain(sock) => match Conn::accept_tls(sock, config) {
                        Ok(tls) => tls,
                        Err(e) => {
                            self.note(format!("TLS handshake: {e}"));
                            server.close();
                            while let Some(event) = server.poll_event() {
                                self.on_event(&mut server, event);
                            }
                            return;
                        }
                    },
                    tls => tls,
                };
                self.tls = "stls";
                if let Err(e) = server.tls_established(now()) {
                    self.note(format!("TLS: {e}"));
                }
                continue;
            }
            // Wait for the client, or the machine's next deadline.
            let at = now();
            let deadline = server.poll_timeout();
            if deadline.is_some_and(|d| d <= at) {
                server.handle_timeout(at);
                continue;
            }
            let wait = deadline.map(|d| {
                d.saturating_duration_since(at)
                    .max(Duration::from_millis(1))
            });
            let room = server.input_room().min(buf.len());
            if room == 0 {
                // The machine holds as much input as it takes (a
                // failed login's delay, say): nothing is read until
                // its deadline.
                match wait {
                    Some(wait) => std::thread::sleep(wait.min(Duration::from_secs(1))),
                    None => {
                        self.note("no room for input and nothing to wait for".into());
                        server.close();
                    }
                }
                continue;
            }
            if let Err(e) = conn.tcp().set_read_timeout(wait) {
                self.note(format!("socket: {e}"));
            }
            match conn.read(&mut buf[..room]) {
                Ok(0) => server.receive_eof(now()),
                Ok(n) => {
                    self.bytes_in += n as u64;
                    if let Err(e) = server.receive(now(), &buf[..n]) {
                        self.note(format!("receive: {e}"));
                        server.close();
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    server.handle_timeout(now());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Reset, or a TLS error: the client is gone, and
                    // nothing is deleted (SPEC R34).
                    self.note(format!("read: {e}"));
                    server.receive_eof(now());
                }
            }
        }
        self.sending = None;
        self.lock = None;
        conn.close();
    }

    /// Acts on one event of the machine.
    fn on_event(&mut self, server: &mut Server, event: Event) {
        match event {
            Event::Auth { request, .. } => {
                let answer = self.pop3d.answer(&request);
                if let Err(e) = server.answer(answer) {
                    self.note(format!("answer: {e}"));
                }
            }
            Event::Open { identity, method } => {
                let method = match method {
                    Method::User => "USER".to_owned(),
                    Method::Apop => "APOP".to_owned(),
                    Method::Sasl(m) => m.as_str().to_owned(),
                    other => format!("{other:?}"),
                };
                let result = match identity.user() {
                    Some(user) => self.open(server, user.to_owned(), method),
                    None => self.refuse(server, "-", Refusal::Auth),
                };
                if let Err(e) = result {
                    self.note(format!("open: {e}"));
                }
            }
            Event::LoginFailed { user, .. } => {
                self.failed_logins += 1;
                self.failed_user = user;
            }
            Event::Content { msg, .. } => {
                let file = self
                    .files
                    .get(msg.get() as usize - 1)
                    .ok_or_else(|| io::Error::other("no such message"))
                    .and_then(|m| open_message(&self.home, m));
                match file {
                    Ok(file) => self.sending = Some(file),
                    Err(e) => {
                        // Gone or changed since the login (another reader
                        // took it, a symlink swapped in): -ERR [SYS/TEMP],
                        // and the session goes on.
                        self.note(format!("message {}: {e}", msg.get()));
                        let _ = server.content_failed();
                    }
                }
            }
            Event::Update => {
                let deleted: Vec<MsgNumber> = server.deleted().collect();
                let mut complete = true;
                for msg in deleted {
                    let Some(m) = self.files.get(msg.get() as usize - 1) else {
                        continue;
                    };
                    match remove_message(&self.home, m) {
                        Ok(true) => self.removed += 1,
                        // Removed by someone else since the login: what
                        // the client asked for is done.
                        Ok(false) => self.gone += 1,
                        Err(e) => {
                            self.not_removed += 1;
                            complete = false;
                            let name = m.name.to_string_lossy();
                            self.note(format!("remove {}: {e}", escape(&name)));
                        }
                    }
                }
                // RFC 1939 §6: delete, release the lock, then reply.
                self.lock = None;
                let result = if complete {
                    Ok(())
                } else {
                    Err(PartialUpdate::new())
                };
                if let Err(e) = server.update_done(result) {
                    self.note(format!("update: {e}"));
                }
            }
            Event::StartTls => self.tls_pending = true,
            Event::Closed(reason) => {
                self.closed = Some(reason);
                self.sending = None;
                self.lock = None;
            }
            _ => {}
        }
    }

    /// A proven user: lock the maildrop and list it, or refuse.
    fn open(
        &mut self,
        server: &mut Server,
        user: String,
        method: String,
    ) -> Result<(), pop3_proto::server::LocalError> {
        let Some(lock) = self.pop3d.lock(&user) else {
            return self.refuse(server, &user, Refusal::InUse);
        };
        let files = match self.pop3d.scan(&user) {
            Ok(scanned) => {
                if let Some(first) = scanned.skipped.first() {
                    let n = scanned.skipped.len();
                    self.note(format!(
                        "maildir of {}: {n} file(s) left out, {first}",
                        escape(&user)
                    ));
                }
                scanned.messages
            }
            Err(ScanError::NoMaildir(e)) => {
                self.note(format!("no maildir for {}: {e}", escape(&user)));
                return self.refuse(server, &user, Refusal::SysPerm);
            }
            Err(ScanError::Io(e)) => {
                self.note(format!("maildir of {}: {e}", escape(&user)));
                return self.refuse(server, &user, Refusal::SysTemp);
            }
        };
        let mut listing = Listing::new();
        for m in &files {
            let uid = Uid::try_from(m.uid.as_str()).map(Uid::into_owned);
            let Ok(uid) = uid else {
                self.note(format!("no UID for {}", escape(&m.name.to_string_lossy())));
                return self.refuse(server, &user, Refusal::SysTemp);
            };
            if listing.push(m.size, uid).is_none() {
                self.note("more than 4294967295 messages".into());
                return self.refuse(server, &user, Refusal::SysTemp);
            }
        }
        self.files = files;
        self.home = self.pop3d.config.maildir_root.join(&user);
        self.lock = Some(lock);
        self.user = Some(user);
        self.method = Some(method);
        server.open(Box::new(listing))
    }

    /// Refuses the login of a proven `user`, and keeps it for the log
    /// line: but for [`Refusal::Auth`] the machine counts no failed login
    /// for it (the password was right), so the log would not show it.
    fn refuse(
        &mut self,
        server: &mut Server,
        user: &str,
        refusal: Refusal,
    ) -> Result<(), pop3_proto::server::LocalError> {
        self.refusals += 1;
        self.last_refusal = Some(format!("{refusal:?} as \"{}\"", escape(user)));
        server.refuse(refusal)
    }

    /// Streams the message being sent while the machine wants more; true
    /// when it gave the machine anything.
    fn pump_content(&mut self, server: &mut Server, chunk: &mut [u8]) -> bool {
        let mut progressed = false;
        while let Some(file) = self.sending.as_mut() {
            if !server.wants_content() {
                break;
            }
            progressed = true;
            let n = match file.read(chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.note(format!("read a message: {e}"));
                    self.sending = None;
                    let _ = server.content_failed();
                    break;
                }
            };
            let done = if n == 0 {
                server.content_end().map(|()| true)
            } else {
                // Done: TOP has its lines; content_end goes on.
                server.content(&chunk[..n]).and_then(|flow| match flow {
                    Flow::Done => server.content_end().map(|()| true),
                    _ => Ok(false),
                })
            };
            match done {
                Ok(false) => {}
                Ok(true) => self.sending = None,
                Err(e) => {
                    self.note(format!("content: {e}"));
                    self.sending = None;
                }
            }
        }
        progressed
    }

    /// The session's log line, on stderr: no byte of the peer's raw.
    fn log(&self, took: Duration) {
        let end = match self.closed {
            Some(CloseReason::Updated { complete: true }) => {
                format!("quit, {} message(s) removed", self.removed)
            }
            Some(CloseReason::Updated { complete: false }) => format!(
                "quit, {} message(s) removed, {} not",
                self.removed, self.not_removed
            ),
            Some(reason) => format!("{reason:?}"),
            None => "never started".into(),
        };
        let mut line = format!(
            "pop3d: {} tls={} user={} auth={} end={end} in={} out={} time={:.1}s",
            self.peer,
            self.tls,
            self.user.as_deref().map_or_else(|| "-".into(), escape),
            self.method.as_deref().unwrap_or("-"),
            self.bytes_in,
            self.bytes_out,
            took.as_secs_f64()
        );
        if self.gone > 0 {
            line += &format!(" already-gone={}", self.gone);
        }
        if self.failed_logins > 0 {
            line += &format!(" failed-logins={}", self.failed_logins);
            if let Some(user) = &self.failed_user {
                line += &format!(" (last as \"{}\")", escape(user));
            }
        }
        if let Some(last) = &self.last_refusal {
            line += &format!(" refused={} (last {last})", self.refusals);
        }
        if let Some(e) = &self.error {
            line += &format!(" error=\"{}\"", escape(e));
        }
        eprintln!("{line}");
    }
}

/// Text for the log: control characters, quotes, backslashes and
/// anything not ASCII escaped.
pub fn escape(text: &str) -> String {
    text.escape_default().collect()
}

// ---------------------------------------------------------------- TLS

/// A certificate authority made for this run and a server certificate it
/// signed, for `localhost` and `127.0.0.1`: what the demo and the tests
/// serve STLS and POP3S with, and what their clients trust.
pub struct TestCertificate {
    /// The CA's certificate, PEM: the file a client trusts.
    pub ca_pem: String,
    /// The server's certificate, PEM.
    pub cert_pem: String,
    /// The server's private key, PEM (PKCS #8).
    pub key_pem: String,
}

impl TestCertificate {
    /// A fresh CA and server certificate.
    ///
    /// # Errors
    ///
    /// What rcgen reports.
    pub fn generate() -> Result<Self, String> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let e = |e: rcgen::Error| format!("certificate: {e}");
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
        ca.distinguished_name
            .push(DnType::CommonName, "pop3-proto test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().map_err(e)?;
        let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(e)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().map_err(e)?;
        let cert = leaf.signed_by(&key, &issuer).map_err(e)?;
        Ok(Self {
            ca_pem: ca_cert.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// The server's TLS configuration.
    ///
    /// # Errors
    ///
    /// PEM that rustls cannot read.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, String> {
        server_config(self.cert_pem.as_bytes(), self.key_pem.as_bytes())
    }
}

/// A TLS configuration from a PEM certificate chain and a PEM private
/// key.
///
/// # Errors
///
/// PEM that rustls cannot read, a key that does not fit.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate: {e}"))?;
    if chain.is_empty() {
        return Err("certificate: no CERTIFICATE in the PEM".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("key: {e}"))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS: {e}"))?;
    Ok(Arc::new(config))
}

// -------------------------------------------------------- demo mailbox

/// The built-in demo's messages, as stored: CRLF and LF line ends, a line
/// that starts with `.`, a line that is only `.`, no final newline.
pub const DEMO_MESSAGES: [(&str, &[u8]); 4] = [
    (
        "new/1733000001.M1P1.demo",
        b"From: POP3 demo <demo@example.org>\r\nTo: demo@example.org\r\nSubject: Welcome\r\n\r\nThis message came through examples/pop3d.\r\n",
    ),
    (
        "new/1733000002.M2P1.demo",
        b"From: POP3 demo <demo@example.org>\r\nTo: demo@example.org\r\nSubject: Dots\r\n\r\n.This line starts with a dot; the server stuffs it.\r\n..So does this one.\r\n.\r\nThe line above is only a dot.\r\n",
    ),
    (
        "cur/1733000003.M3P1.demo:2,S",
        b"From: POP3 demo <demo@example.org>\nTo: demo@example.org\nSubject: Stored with LF line ends\n\nThe server sends them as CRLF.\n",
    ),
    (
        "cur/1733000004.M4P1.demo:2,",
        b"From: POP3 demo <demo@example.org>\r\nTo: demo@example.org\r\nSubject: No final newline\r\n\r\nThe server adds the CRLF before the terminator.",
    ),
];

/// Writes the demo Maildir for user `demo` under `root`.
///
/// # Errors
///
/// The file system's.
pub fn write_demo_maildir(root: &Path) -> io::Result<()> {
    let home = root.join("demo");
    for sub in ["tmp", "new", "cur"] {
        fs::create_dir_all(home.join(sub))?;
    }
    for (name, content) in DEMO_MESSAGES {
        fs::write(home.join(name), content)?;
    }
    Ok(())
}

/// The demo's users: `demo`, password `demo`.
///
/// # Errors
///
/// No random bytes for the salt.
pub fn demo_users() -> Result<HashMap<String, User>, String> {
    Ok(HashMap::from([("demo".to_owned(), User::new("demo")?)]))
}
