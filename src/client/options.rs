//! What a client may and may not do, and how long it waits.

use crate::codec::ResponseOptions;
use core::time::Duration;

/// The client's options. Every limit has a default and a typed error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The reply decoder's limits and leniencies (SPEC §7 quirks).
    pub response: ResponseOptions,
    /// How many commands may be in flight when the server advertises
    /// PIPELINING (RFC 2449 §6.6). Default 16; 1 never pipelines. Without
    /// PIPELINING one command is in flight at a time whatever this says,
    /// and STLS, AUTH, USER, PASS and APOP always go alone.
    pub pipeline_depth: usize,
    /// Collect the entries of LIST, UIDL, LANG and bare AUTH listings into
    /// one [`Reply::Listing`](super::Reply::Listing), refusing a listing
    /// of more entries than this (then the listing's command fails with
    /// [`RemoteErrorKind::TooManyLines`](super::RemoteErrorKind::TooManyLines)).
    /// Default `None`: every entry is its own
    /// [`Event::Entry`](super::Event::Entry), so a listing of a million
    /// messages costs the client no memory.
    pub collect_listings: Option<usize>,
    /// The most lines a CAPA reply may have (it is always collected).
    /// Default 256.
    pub max_capabilities: usize,
    /// How long to wait for the greeting. Default 30 s; `None`: forever.
    pub greeting_timeout: Option<Duration>,
    /// How long a reply may go without a byte arriving, counted from the
    /// last byte (or from when the command went out), so a long RETR on a
    /// slow link is never cut off while it moves (SPEC S14). Default 60 s.
    pub reply_timeout: Option<Duration>,
    /// How long the TLS handshake after STLS may take, from the
    /// [`Event::StartTls`](super::Event::StartTls) to
    /// [`Client::tls_established`](super::Client::tls_established).
    /// Default 30 s.
    pub tls_timeout: Option<Duration>,
    /// After this long with nothing in flight the client reports
    /// [`Deadline::Idle`](super::Deadline::Idle) (once), so that the
    /// caller can send NOOP or QUIT before the server's autologout
    /// (at least 10 minutes, RFC 1939 §3). Default `None`.
    pub idle_timeout: Option<Duration>,
    /// Refuse to log in without TLS: no credential of any kind is sent
    /// over a plaintext connection, and a server that does not offer STLS
    /// (after CAPA), refuses CAPA or refuses STLS ends the session (SPEC
    /// S3). Default `false`.
    pub require_tls: bool,
    /// Allow USER/PASS, APOP and the mechanisms that send the password or
    /// a bearer token itself (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) over a
    /// connection that is not encrypted (SPEC S15, R68). Default `false`.
    pub allow_plaintext_login: bool,
    /// Allow APOP at all (SPEC S12: MD5 collisions leak the password's
    /// characters to an active attacker, CVE-2007-1558). Default `false`.
    pub allow_apop: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            response: ResponseOptions::default(),
            pipeline_depth: 16,
            collect_listings: None,
            max_capabilities: 256,
            greeting_timeout: Some(Duration::from_secs(30)),
            reply_timeout: Some(Duration::from_secs(60)),
            tls_timeout: Some(Duration::from_secs(30)),
            idle_timeout: None,
            require_tls: false,
            allow_plaintext_login: false,
            allow_apop: false,
        }
    }
}

with_setters!(Options {
    with_pipeline_depth => pipeline_depth: usize,
    with_collect_listings => collect_listings: Option<usize>,
    with_max_capabilities => max_capabilities: usize,
    with_greeting_timeout => greeting_timeout: Option<Duration>,
    with_reply_timeout => reply_timeout: Option<Duration>,
    with_tls_timeout => tls_timeout: Option<Duration>,
    with_idle_timeout => idle_timeout: Option<Duration>,
    with_require_tls => require_tls: bool,
    with_allow_plaintext_login => allow_plaintext_login: bool,
    with_allow_apop => allow_apop: bool,
});

impl Options {
    /// Sets [`response`](Self::response).
    pub fn with_response(mut self, response: ResponseOptions) -> Self {
        self.response = response;
        self
    }
}
