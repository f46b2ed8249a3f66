//! What a server offers, what it allows, and how long it waits.

use crate::codec::CommandOptions;
use crate::sasl::scram::SecretBytes;
use crate::types::{ExpirePolicy, LangListing, Mechanism, Secret, Text, Timestamp, ValueError};
use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;
use zeroize::Zeroizing;

/// The shortest autologout RFC 1939 §3 allows: 10 minutes.
pub const MIN_AUTOLOGOUT: Duration = Duration::from_secs(600);

/// The server's options, the same for every connection of one server.
/// Every limit has a default and a typed outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The command decoder's limits: the command line (255 octets, RFC
    /// 2449 §4; longer ends the session, so a client with a long XOAUTH2
    /// token must send it after the empty challenge, as RFC 5034 §4 says),
    /// the SASL line (64 KiB) and the bare-LF policy (off: a bare LF gets
    /// `-ERR` and closes, SPEC R01). Its
    /// [`utf8_credentials`](CommandOptions::utf8_credentials) is set by
    /// the server from [`utf8`](Self::utf8).
    pub command: CommandOptions,
    /// The greeting's text (before the APOP timestamp, if any). Default
    /// `POP3 server ready`.
    pub greeting: Text<'static>,
    /// Offer USER/PASS. Default `true`.
    pub user: bool,
    /// Offer APOP: the greeting carries a timestamp, and the application
    /// supplies the shared secret (SPEC R17-R19). Default `false`: APOP is
    /// weak (SPEC S12). A greeting is sent before any STLS, and the
    /// timestamp it carries is forgotten by a client after TLS (S4), so
    /// with STLS, APOP is only offered when plaintext logins are allowed
    /// ([`plaintext_logins`](Self::plaintext_logins)) or the connection is
    /// TLS from the start.
    pub apop: bool,
    /// The SASL mechanisms offered, in this order (RFC 5034). The server
    /// runs the built-in ones of [`crate::sasl::server`]: PLAIN, LOGIN,
    /// CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS forms (only
    /// over TLS, and only with [`channel_binding`](Self::channel_binding)),
    /// XOAUTH2, OAUTHBEARER, EXTERNAL (only over TLS, whose client
    /// certificate it stands on) and ANONYMOUS; other names are left out.
    /// Default: PLAIN.
    pub mechanisms: Vec<Mechanism<'static>>,
    /// Allow, and advertise, the logins that carry the password or a
    /// bearer token itself (USER/PASS, APOP, PLAIN, LOGIN, XOAUTH2,
    /// OAUTHBEARER) over a connection that is not encrypted. Default
    /// `false` (RFC 2595 §2.3, SPEC R58, R68): before STLS they are
    /// neither listed in CAPA nor accepted.
    pub plaintext_logins: bool,
    /// The caller can start TLS on this connection: offer STLS (RFC 2595).
    /// Default `false`.
    pub stls: bool,
    /// The caller can give the connection's channel-binding data
    /// (tls-exporter or tls-server-end-point): offer the -PLUS SCRAM
    /// mechanisms of [`mechanisms`](Self::mechanisms) over TLS. Default
    /// `false`.
    pub channel_binding: bool,
    /// Advertise PIPELINING (RFC 2449 §6.6). Replies always go in order,
    /// however many commands arrive at once. Default `true`.
    pub pipelining: bool,
    /// `UTF8` (RFC 6856 §2): `None` (the default) offers nothing; `Some(false)`
    /// advertises `UTF8` and accepts the UTF8 command; `Some(true)`
    /// advertises `UTF8 USER` too, and accepts UTF-8 user names and
    /// passwords (SPEC R72).
    pub utf8: Option<bool>,
    /// The languages of `LANG` (RFC 6856 §3), the default first; empty
    /// (the default) offers no LANG. The server's own replies are in
    /// English whatever is chosen: [`Server::language`](super::Server::language)
    /// says which the client asked for.
    pub languages: Vec<LangListing<'static>>,
    /// `IMPLEMENTATION` text, listed in TRANSACTION only (RFC 2449 §6.9).
    pub implementation: Option<Text<'static>>,
    /// `LOGIN-DELAY` seconds to advertise (RFC 2449 §6.5); the
    /// application enforces it, refusing a login with
    /// [`Refusal::LoginDelay`](super::Refusal::LoginDelay).
    pub login_delay: Option<u32>,
    /// `EXPIRE` to advertise (RFC 2449 §6.7).
    pub expire: Option<ExpirePolicy>,
    /// Bad commands (unknown, malformed, or not allowed in the state)
    /// before a login; the last gets `-ERR` and the session closes.
    /// Default 3, as Dovecot's.
    pub max_bad_commands_before_login: u32,
    /// Bad commands after the login, likewise. Default 20, as Dovecot's.
    pub max_bad_commands: u32,
    /// How long a failed login waits before its `-ERR`, whatever failed
    /// (an unknown user waits as long as a wrong password, SPEC S13).
    /// Default 2 s, as Dovecot's `auth_failure_delay`. Nothing else is
    /// read meanwhile.
    pub login_failure_delay: Option<Duration>,
    /// Failed logins after which the session closes, after the last
    /// `-ERR`. Default 3.
    pub max_login_failures: u32,
    /// The autologout timer (RFC 1939 §3): how long the server waits for
    /// a command, while no reply is being sent, before it closes without
    /// UPDATE and without a reply. Values under 10 minutes count as 10
    /// minutes ([`MIN_AUTOLOGOUT`], SPEC R35). Default 10 minutes;
    /// `None`: never.
    pub autologout: Option<Duration>,
    /// How many bytes of output the server produces before it waits for
    /// the caller to take them ([`Server::poll_transmit`](super::Server::poll_transmit)):
    /// commands are not read, listings not continued, content not asked
    /// for while this much is waiting. Default 64 KiB; 0 counts as 1.
    ///
    /// The autologout does not run while output waits (a slow reader of a
    /// big message is not cut off), so a client that stops reading is the
    /// caller's to time out: give the socket a write timeout.
    pub max_output: usize,
    /// How many received bytes the server holds unread (pipelined
    /// commands waiting for their turn). More is a flood: the session
    /// closes. Read from the connection only while
    /// [`Server::wants_input`](super::Server::wants_input) says so and
    /// this never happens. Default 128 KiB; it is raised to the SASL line
    /// limit when lower.
    pub max_input: usize,
    /// The iteration count SCRAM uses for unknown users' fake credentials:
    /// set it to what real users have (SPEC S13). Default 4096.
    pub scram_fake_iterations: u32,
    /// The salt length of unknown users' fake SCRAM credentials, in
    /// octets: set it to what real users have. Default 16.
    pub scram_fake_salt_len: usize,
    hostname: String,
    scram_key: Option<SecretBytes>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            command: CommandOptions::default(),
            greeting: Text(Cow::Borrowed(b"POP3 server ready")),
            user: true,
            apop: false,
            mechanisms: vec![Mechanism::Plain],
            plaintext_logins: false,
            stls: false,
            channel_binding: false,
            pipelining: true,
            utf8: None,
            languages: Vec::new(),
            implementation: None,
            login_delay: None,
            expire: None,
            max_bad_commands_before_login: 3,
            max_bad_commands: 20,
            login_failure_delay: Some(Duration::from_secs(2)),
            max_login_failures: 3,
            autologout: Some(MIN_AUTOLOGOUT),
            max_output: 64 * 1024,
            max_input: 128 * 1024,
            scram_fake_iterations: 4096,
            scram_fake_salt_len: 16,
            hostname: String::from("localhost"),
            scram_key: None,
        }
    }
}

with_setters!(Options {
    with_command => command: CommandOptions,
    with_user => user: bool,
    with_apop => apop: bool,
    with_plaintext_logins => plaintext_logins: bool,
    with_stls => stls: bool,
    with_channel_binding => channel_binding: bool,
    with_pipelining => pipelining: bool,
    with_utf8 => utf8: Option<bool>,
    with_login_delay => login_delay: Option<u32>,
    with_expire => expire: Option<ExpirePolicy>,
    with_max_bad_commands_before_login => max_bad_commands_before_login: u32,
    with_max_bad_commands => max_bad_commands: u32,
    with_login_failure_delay => login_failure_delay: Option<Duration>,
    with_max_login_failures => max_login_failures: u32,
    with_autologout => autologout: Option<Duration>,
    with_max_output => max_output: usize,
    with_max_input => max_input: usize,
    with_scram_fake_iterations => scram_fake_iterations: u32,
    with_scram_fake_salt_len => scram_fake_salt_len: usize,
});

impl Options {
    /// Sets [`greeting`](Self::greeting).
    pub fn with_greeting(mut self, greeting: Text<'static>) -> Self {
        self.greeting = greeting;
        self
    }

    /// Sets [`mechanisms`](Self::mechanisms).
    pub fn with_mechanisms(mut self, mechanisms: Vec<Mechanism<'static>>) -> Self {
        self.mechanisms = mechanisms;
        self
    }

    /// Sets [`languages`](Self::languages).
    pub fn with_languages(mut self, languages: Vec<LangListing<'static>>) -> Self {
        self.languages = languages;
        self
    }

    /// Sets [`implementation`](Self::implementation).
    pub fn with_implementation(mut self, implementation: Option<Text<'static>>) -> Self {
        self.implementation = implementation;
        self
    }

    /// Sets the host name of the APOP timestamps and CRAM-MD5 challenges
    /// (`<unique@hostname>`). Default `localhost`.
    ///
    /// # Errors
    ///
    /// A [`ValueError`] when `hostname` cannot be the right side of a
    /// msg-id (RFC 5322 §3.6.4: a dot-atom or a `[literal]`).
    pub fn with_hostname(mut self, hostname: &str) -> Result<Self, ValueError> {
        Timestamp::try_from(format!("<0@{hostname}>").as_str())?;
        // The longest unique part must fit the 255 octets of a timestamp.
        if hostname.len() > 200 {
            return Err(ValueError::TooLong { max: 200 });
        }
        self.hostname = String::from(hostname);
        Ok(self)
    }

    /// The host name of the APOP timestamps and CRAM-MD5 challenges.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// Sets the server's secret for SCRAM's unknown users: their fake
    /// salts are derived from it and the user name, so an unknown name
    /// gets the same salt in every session, as a real user does (SPEC
    /// S13). Keep it the same across sessions and restarts. Without one,
    /// each connection derives fake salts from its own random bytes, and
    /// a client that logs in twice as the same unknown user sees two
    /// salts, which tells an unknown user from a known one: set a secret
    /// whenever SCRAM is offered.
    pub fn with_scram_secret(mut self, secret: &[u8]) -> Self {
        self.scram_key = (!secret.is_empty()).then(|| Secret::new(Zeroizing::new(secret.to_vec())));
        self
    }

    /// The SCRAM secret, when one was set.
    pub(crate) fn scram_secret(&self) -> Option<&[u8]> {
        self.scram_key
            .as_ref()
            .map(|k| k.expose_secret().as_slice())
    }

    /// The autologout in force: at least [`MIN_AUTOLOGOUT`].
    pub(crate) fn autologout_in_force(&self) -> Option<Duration> {
        self.autologout.map(|d| d.max(MIN_AUTOLOGOUT))
    }

    /// The output bound in force: at least one byte, so that a reply can
    /// always start.
    pub(crate) fn output_bound(&self) -> usize {
        self.max_output.max(1)
    }

    /// The input bound in force: room for the longest SASL line.
    pub(crate) fn input_bound(&self) -> usize {
        self.max_input
            .max(self.command.max_sasl_line)
            .max(self.command.max_line)
    }
}
