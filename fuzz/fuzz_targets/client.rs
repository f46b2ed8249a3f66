//! The sans-IO `Client` against an arbitrary server: arbitrary bytes in
//! arbitrary chunks, with time passing, while a scripted caller queues
//! commands.
//!
//! Input: `[c0, c1, c2, c3, seed, n, script[n % 32]..., data...]`.
//!
//! * `c0`: bits 0-1 the pipeline depth (1, 2, 4, 16); bit 2 collects
//!   listings (at most 8 entries) instead of streaming them; bit 3
//!   `require_tls`; bits 4-7 the `ResponseOptions` leniencies `bare_lf`,
//!   `bare_lf_terminator`, `any_case_status`, `skip_empty_lines`.
//! * `c1`: bit 0 `unpadded_challenges`; bit 1 POP3S (`Client::new_tls`);
//!   bit 2 `allow_plaintext_login`; bit 3 `allow_apop`; bits 4-5 the reply
//!   line limit (512, 16, 40, 100); bit 6 at most 4 capabilities; bit 7 an
//!   idle timeout of 90 s.
//! * `c2`: bits 0-2 the largest chunk (1, 2, 3, 7, 16, 64, 512), or, for 7,
//!   the chunks are `data` cut at each 0xff (dropped), so that a seed can
//!   send each reply once its command is out; bits 3-4 the time step
//!   before each chunk (none, up to 2 s, up to 70 s, one of 0, 1 ms,
//!   29.999 s, 30 s, 60 s, 90 s, 10 min); bit 5 runs the session with
//!   `receive_bytes` first (each session is run with `receive` and with
//!   `receive_bytes`, and the two must be the same); bit 6 calls `tls_established` at once on
//!   `StartTls` (else before the next chunk); bit 7 ends with
//!   `receive_eof`.
//! * `c3`: the deadlines: bits 0-1 the reply timeout (60 s, 10 s, 1 ms,
//!   none), bits 2-3 the TLS timeout (30 s, 5 s, 1 ms, none), bits 4-5 the
//!   greeting timeout (30 s, 1 s, 1 ms, none).
//! * `seed`: seeds the chunk sizes and time steps.
//! * `script`: one action a byte. After the greeting, after each `Done`
//!   and after an idle timeout the caller takes the next action, and the
//!   one after it while bit 7 is set or the command was refused. Bits 0-3
//!   pick the command, bits 4-6 its argument: USER/PASS, APOP, AUTH PLAIN,
//!   AUTH SCRAM-SHA-1 or -256 (bit 4; fixed nonce `pop3-proto/fixed+nonce`,
//!   user `alice`, password `secret`, 1 to 64 iterations), CAPA, STAT,
//!   LIST [n], UIDL [n], RETR n, TOP n l, DELE n, STLS, QUIT, NOOP,
//!   RSET / UTF8 / LANG / bare AUTH / `XTND XMIT` (bits 4-6 % 5), and
//!   `close()` (0x0f) or nothing, to wait for the next turn (0x1f-0x7f).
//!   For RETR, TOP and DELE `n` is 1 + bits 4-6 and TOP's `l` is 3 x bits
//!   4-6; LIST and UIDL name message bits 4-6, none when they are 0.
//! * `data`: the server's bytes.
//!
//! Before each chunk time moves on: `handle_timeout` is called first just
//! before the next deadline (which must change nothing), then at the new
//! time. At the end the session is closed with `close()`, and every call is
//! tried once more on the closed client.
//!
//! Invariants: no panic; handles are new; every handle gets exactly one
//! `Done`, none after `Closed`, and all of them by the time `Closed` comes;
//! `Closed` comes once, last, when `state()` says Closed, and nothing
//! follows it: no event, no byte to send, every command refused;
//! `Entry`, `Data`, `StartTls` and each kind of `Ok` reply only for the
//! command that can have them, between its line going out and its `Done`;
//! a `Done` with a server's answer only for a command that was sent, and
//! `LoginFailed` only for one that was not; collected listings and
//! capabilities within their limits; `Scan`/`Uid` for the message asked;
//! what the client sends is whole CRLF lines without CR, LF or NUL inside:
//! each one a line of a command queued and not yet sent (at most 255
//! octets, printable ASCII), or, during an AUTH exchange, a SASL response
//! (`*` or base64); nothing after the STLS line until the `-ERR` to it or
//! `tls_established`; the total of data bytes is at most the bytes fed,
//! and events and bytes sent are bounded by the input and the commands;
//! `poll_timeout` is never at or before the latest time passed in, and
//! `handle_timeout` before the deadline changes nothing; `Debug` of every
//! event holds no control character; and the session fed with `receive`
//! and with `receive_bytes` has the same events (data pieces merged) and
//! sends the same bytes.
#![no_main]

mod common;

use bytes::Bytes;
use common::{Chunks, assert_no_control};
use libfuzzer_sys::fuzz_target;
use pop3_proto::client::{Client, Deadline, Event, Failure, Handle, Options, Reply};
use pop3_proto::codec::ResponseOptions;
use pop3_proto::sasl::scram::{ChannelBinding, ScramClient, ScramHash};
use pop3_proto::state::SessionState;
use pop3_proto::time::Instant;
use pop3_proto::types::{Command, Keyword, MsgNumber, OtherCommand, Text};
use std::collections::BTreeMap;
use std::time::Duration;

const USER: &str = "alice";
const PASSWORD: &str = "secret";
const NONCE: &str = "pop3-proto/fixed+nonce";
const COLLECT: usize = 8;
const MAX_CAPABILITIES: usize = 4;

/// What a command was, for what may come back for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Login,
    Apop,
    Auth,
    Capa,
    Stat,
    ListAll,
    ListOne(MsgNumber),
    UidlAll,
    UidlOne(MsgNumber),
    Message,
    Simple,
    Stls,
    Quit,
    Listing,
}

/// A line the client is to send for a command.
enum Line {
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
}

impl Line {
    fn matches(&self, line: &[u8]) -> bool {
        match self {
            Self::Exact(l) => line == &l[..],
            Self::Prefix(p) => line.starts_with(p),
        }
    }
}

struct Cmd {
    kind: Kind,
    /// The lines still to go out, in order.
    lines: Vec<Line>,
    sent: usize,
    done: bool,
}

/// Where the STLS rule stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stls {
    None,
    /// The STLS line went out; its reply is awaited.
    Sent(Handle),
    /// `StartTls` came: the caller does the handshake.
    Handshake(Handle),
}

struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

struct Harness<'a> {
    client: Client,
    options: Options,
    script: &'a [u8],
    tls_at_once: bool,
    cmds: BTreeMap<Handle, Cmd>,
    last_handle: Option<Handle>,
    stls: Stls,
    /// The AUTH exchange under way (its line has gone out).
    sasl: Option<Handle>,
    /// `tls_established` is due before the next chunk.
    tls_due: bool,
    greeted: bool,
    events_seen: usize,
    closed: bool,
    eof: bool,
    /// The latest time passed in.
    latest: Instant,
    /// The time of the last `receive` that had bytes to read.
    last_receive: Instant,
    fed: usize,
    data: usize,
    sent: usize,
    events: usize,
    timeout_calls: usize,
    /// Every event (data pieces of one handle merged) and every byte sent.
    log: (Vec<Event>, Vec<u8>),
}

fn n(v: u8) -> MsgNumber {
    MsgNumber::new(u32::from(v)).expect("non-zero")
}

fn exact(line: &str) -> Line {
    Line::Exact(line.as_bytes().to_vec())
}

fn is_base64(line: &[u8]) -> bool {
    line.iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

impl Harness<'_> {
    // ------------------------------------------------------------ calls

    /// After every call: take its events and output, check them, then let
    /// the caller react to the events.
    fn after(&mut self) {
        let events: Vec<Event> = core::iter::from_fn(|| self.client.poll_event()).collect();
        let mut out = Vec::new();
        while let Some(bytes) = self.client.poll_transmit() {
            assert!(!bytes.is_empty(), "poll_transmit gave an empty Bytes");
            out.extend_from_slice(&bytes);
        }
        if self.closed {
            assert!(events.is_empty(), "events after Closed: {events:?}");
            assert!(out.is_empty(), "bytes to send after Closed: {out:?}");
        }
        self.check_output(&out, &events);
        self.log.1.extend_from_slice(&out);
        for event in &events {
            if let (Some(Event::Data { handle: h, data: d }), Event::Data { handle, data }) =
                (self.log.0.last_mut(), event)
                && h == handle
            {
                *d = [&d[..], &data[..]].concat().into();
                continue;
            }
            self.log.0.push(event.clone());
        }
        for (i, event) in events.iter().enumerate() {
            self.check_event(event, i + 1 == events.len());
        }
        assert_eq!(
            self.client.state() == SessionState::Closed,
            self.closed,
            "state() and the Closed event disagree"
        );
        self.check_deadline();
        self.check_bounds();
        for event in events {
            self.react(event);
        }
    }

    fn check_deadline(&self) {
        if let Some(deadline) = self.client.poll_timeout() {
            // At the latest time passed in only to ask for a call now: a
            // command went out since, and its reply deadline counts from
            // the next time given (the client takes no time itself).
            assert!(
                deadline >= self.latest,
                "poll_timeout {deadline:?} is before the latest time passed in, {:?}",
                self.latest
            );
        }
    }

    fn check_bounds(&self) {
        assert!(
            self.data <= self.fed,
            "{} data bytes from {} bytes fed",
            self.data,
            self.fed
        );
        let commands = self.cmds.len();
        assert!(
            self.events <= self.fed + 3 * commands + self.timeout_calls + 4,
            "{} events from {} bytes, {commands} commands, {} timeout calls",
            self.events,
            self.fed,
            self.timeout_calls
        );
        assert!(
            self.sent <= 3 * self.fed + 600 * commands,
            "{} bytes sent for {} bytes fed and {commands} commands",
            self.sent,
            self.fed
        );
    }

    // ----------------------------------------------------------- output

    fn check_output(&mut self, out: &[u8], events: &[Event]) {
        if out.is_empty() {
            return;
        }
        self.sent += out.len();
        match self.stls {
            Stls::None => {}
            Stls::Sent(h)
                if events.iter().any(
                    |e| matches!(e, Event::Done { handle, result: Err(_) } if *handle == h),
                ) =>
            {
                // Refused: the session goes on in plaintext.
                self.stls = Stls::None;
            }
            state => panic!("sent {out:?} after STLS ({state:?})"),
        }
        assert!(
            out.ends_with(b"\r\n"),
            "output does not end with a whole line: {out:?}"
        );
        for line in out.split_inclusive(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r\n").unwrap_or_else(|| {
                panic!("bare LF in the output: {out:?}");
            });
            assert!(
                !line.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)),
                "CR, LF or NUL inside a line: {line:?}"
            );
            assert!(
                self.stls == Stls::None,
                "sent {line:?} after the STLS line in the same call"
            );
            self.check_line(line);
        }
    }

    fn check_line(&mut self, line: &[u8]) {
        let found = self
            .cmds
            .iter_mut()
            .find(|(_, c)| !c.done && c.lines.first().is_some_and(|l| l.matches(line)));
        if let Some((&handle, cmd)) = found {
            assert!(
                line.len() + 2 <= 255,
                "a command line of {} octets: {line:?}",
                line.len() + 2
            );
            assert!(
                line.iter().all(|b| (0x20..0x7f).contains(b)),
                "not printable ASCII: {line:?}"
            );
            cmd.lines.remove(0);
            cmd.sent += 1;
            match cmd.kind {
                Kind::Stls => self.stls = Stls::Sent(handle),
                Kind::Auth => self.sasl = Some(handle),
                _ => {}
            }
            return;
        }
        assert!(
            self.sasl.is_some(),
            "a line no command queued: {:?}",
            String::from_utf8_lossy(line)
        );
        assert!(
            line == b"*" || is_base64(line),
            "a SASL response that is not base64: {line:?}"
        );
    }

    // ----------------------------------------------------------- events

    fn check_event(&mut self, event: &Event, last: bool) {
        assert_no_control(&format!("{event:?}"));
        assert!(!self.closed, "an event after Closed: {event:?}");
        self.events += 1;
        self.events_seen += 1;
        match event {
            Event::Greeting(_) => {
                assert!(!self.greeted, "a second greeting");
                assert_eq!(self.events_seen, 1, "the greeting is not the first event");
                self.greeted = true;
            }
            Event::Entry { handle, .. } => {
                assert!(
                    self.options.collect_listings.is_none(),
                    "an entry while listings are collected"
                );
                self.expect_open(*handle, |k| {
                    matches!(k, Kind::ListAll | Kind::UidlAll | Kind::Listing)
                });
            }
            Event::Data { handle, data } => {
                assert!(!data.is_empty(), "an empty data piece");
                self.data += data.len();
                self.expect_open(*handle, |k| k == Kind::Message);
            }
            Event::StartTls { handle } => {
                self.expect_open(*handle, |k| k == Kind::Stls);
                assert_eq!(self.stls, Stls::Sent(*handle), "StartTls without STLS");
                self.stls = Stls::Handshake(*handle);
                self.tls_due = true;
            }
            Event::Done { handle, result } => self.done(*handle, result),
            Event::Warning(_) => {}
            Event::Timeout(deadline) => {
                if *deadline != Deadline::Idle {
                    // The Closed that follows says why.
                    assert!(!last, "a fatal timeout not followed by Closed");
                }
            }
            Event::Closed(reason) => {
                assert!(last, "Closed is not the last event");
                self.closed = true;
                self.tls_due = false;
                let open: Vec<_> = self
                    .cmds
                    .iter()
                    .filter(|(_, c)| !c.done)
                    .map(|(h, c)| (*h, c.kind))
                    .collect();
                assert!(
                    open.is_empty(),
                    "Closed({reason:?}) before Done of {open:?}"
                );
            }
            other => {
                let _ = other;
            }
        }
    }

    /// Asserts that `handle` is a command of a kind `ok` accepts, sent and
    /// not done.
    fn expect_open(&self, handle: Handle, ok: impl Fn(Kind) -> bool) {
        let cmd = self
            .cmds
            .get(&handle)
            .unwrap_or_else(|| panic!("an event for an unknown handle {handle:?}"));
        assert!(
            ok(cmd.kind),
            "an event of the wrong kind for {:?}",
            cmd.kind
        );
        assert!(!cmd.done, "an event after Done for {:?}", cmd.kind);
        assert!(cmd.sent > 0, "an event for {:?} never sent", cmd.kind);
    }

    fn done(&mut self, handle: Handle, result: &Result<Reply, Failure>) {
        let collect = self.options.collect_listings;
        let cmd = self
            .cmds
            .get_mut(&handle)
            .unwrap_or_else(|| panic!("Done for an unknown handle {handle:?}"));
        assert!(!cmd.done, "a second Done for {:?}: {result:?}", cmd.kind);
        cmd.done = true;
        let kind = cmd.kind;
        let answered = !matches!(result, Err(Failure::Closed | Failure::LoginFailed));
        if answered {
            assert!(cmd.sent > 0, "{kind:?} answered but never sent: {result:?}");
        }
        if matches!(result, Err(Failure::LoginFailed)) {
            assert_eq!(cmd.sent, 0, "LoginFailed for a command sent");
        }
        if let Err(Failure::Refused(status)) = result {
            assert!(!status.is_ok(), "Refused with +OK");
        }
        match result {
            Ok(reply) => {
                let fits = match (kind, reply) {
                    (Kind::Login | Kind::Apop | Kind::Auth, Reply::LoggedIn(_)) => true,
                    (Kind::Capa, Reply::Capabilities(c)) => {
                        c.len() <= self.options.max_capabilities
                    }
                    (Kind::Stat, Reply::Stat(_)) => true,
                    (Kind::ListOne(msg), Reply::Scan(s)) => s.msg == msg,
                    (Kind::UidlOne(msg), Reply::Uid(u)) => u.msg == msg,
                    (Kind::ListAll | Kind::UidlAll | Kind::Listing, Reply::Listing(l)) => {
                        collect.is_some_and(|max| l.len() <= max)
                    }
                    (Kind::ListAll | Kind::UidlAll | Kind::Listing, Reply::Ok(s)) => {
                        collect.is_none() && s.is_ok()
                    }
                    (Kind::Message | Kind::Simple | Kind::Quit, Reply::Ok(s)) => s.is_ok(),
                    (Kind::Stls, Reply::TlsEstablished) => true,
                    _ => false,
                };
                assert!(fits, "{kind:?} done with {reply:?}");
                if kind == Kind::Login {
                    assert_eq!(cmd.sent, 2, "USER/PASS logged in without both lines");
                }
            }
            Err(_) if kind == Kind::Stls => {
                if let Stls::Sent(h) | Stls::Handshake(h) = self.stls
                    && h == handle
                {
                    self.stls = Stls::None;
                }
            }
            Err(_) => {}
        }
        if self.sasl == Some(handle) {
            self.sasl = None;
        }
    }

    // ---------------------------------------------------------- reacting

    fn react(&mut self, event: Event) {
        match event {
            Event::Greeting(_) | Event::Done { .. } | Event::Timeout(Deadline::Idle) => {
                self.next_actions();
            }
            Event::StartTls { .. } if self.tls_at_once => self.establish(),
            _ => {}
        }
    }

    fn establish(&mut self) {
        if !self.tls_due {
            return;
        }
        self.tls_due = false;
        // The handshake is done: sending may resume.
        self.stls = Stls::None;
        let r = self.client.tls_established(self.latest);
        assert_eq!(r, Ok(()), "tls_established after StartTls");
        assert!(self.client.is_tls());
        assert!(
            self.client.capabilities().is_none(),
            "capabilities kept over STLS"
        );
        assert!(
            self.client.apop_timestamp().is_none(),
            "APOP timestamp kept over STLS"
        );
        self.after();
    }

    /// Takes the next action, and the one after while bit 7 is set or the
    /// command was refused (no `Done` will come to trigger the next).
    fn next_actions(&mut self) {
        while let Some((&action, rest)) = self.script.split_first() {
            self.script = rest;
            if self.act(action) && action & 0x80 == 0 {
                break;
            }
        }
    }

    /// Takes one action; true if it queued a command or closed.
    fn act(&mut self, action: u8) -> bool {
        let arg = (action >> 4) & 7;
        let msg = n(1 + arg);
        let listed = MsgNumber::new(u32::from(arg));
        let c = &mut self.client;
        let (result, kind, lines) = match action & 15 {
            0 => (
                c.login(USER, PASSWORD),
                Kind::Login,
                vec![exact("USER alice"), exact("PASS secret")],
            ),
            1 => (
                c.apop(USER, PASSWORD),
                Kind::Apop,
                vec![Line::Prefix(b"APOP alice ".to_vec())],
            ),
            2 => (
                c.authenticate(Box::new(
                    pop3_proto::sasl::client::Plain::new(USER, PASSWORD).expect("plain"),
                )),
                Kind::Auth,
                vec![Line::Prefix(b"AUTH PLAIN".to_vec())],
            ),
            3 => {
                let (hash, name) = if arg & 1 == 1 {
                    (ScramHash::Sha256, "AUTH SCRAM-SHA-256")
                } else {
                    (ScramHash::Sha1, "AUTH SCRAM-SHA-1")
                };
                let scram = ScramClient::new(hash, USER, PASSWORD, NONCE, ChannelBinding::None)
                    .expect("scram")
                    .with_iterations(1, 64);
                (
                    c.authenticate(Box::new(scram)),
                    Kind::Auth,
                    vec![Line::Prefix(name.as_bytes().to_vec())],
                )
            }
            4 => (c.capa(), Kind::Capa, vec![exact("CAPA")]),
            5 => (c.stat(), Kind::Stat, vec![exact("STAT")]),
            6 => match listed {
                Some(m) => (
                    c.list(Some(m)),
                    Kind::ListOne(m),
                    vec![Line::Exact(format!("LIST {arg}").into_bytes())],
                ),
                None => (c.list(None), Kind::ListAll, vec![exact("LIST")]),
            },
            7 => match listed {
                Some(m) => (
                    c.uidl(Some(m)),
                    Kind::UidlOne(m),
                    vec![Line::Exact(format!("UIDL {arg}").into_bytes())],
                ),
                None => (c.uidl(None), Kind::UidlAll, vec![exact("UIDL")]),
            },
            8 => (
                c.retr(msg),
                Kind::Message,
                vec![Line::Exact(format!("RETR {}", msg.get()).into_bytes())],
            ),
            9 => {
                let lines = u32::from(arg) * 3;
                (
                    c.top(msg, lines),
                    Kind::Message,
                    vec![Line::Exact(
                        format!("TOP {} {lines}", msg.get()).into_bytes(),
                    )],
                )
            }
            10 => (
                c.dele(msg),
                Kind::Simple,
                vec![Line::Exact(format!("DELE {}", msg.get()).into_bytes())],
            ),
            11 => (c.stls(), Kind::Stls, vec![exact("STLS")]),
            12 => (c.quit(), Kind::Quit, vec![exact("QUIT")]),
            13 => (c.noop(), Kind::Simple, vec![exact("NOOP")]),
            14 => match arg % 5 {
                0 => (c.rset(), Kind::Simple, vec![exact("RSET")]),
                1 => (c.utf8(), Kind::Simple, vec![exact("UTF8")]),
                2 => (c.lang(None), Kind::Listing, vec![exact("LANG")]),
                3 => (c.auth_list(), Kind::Listing, vec![exact("AUTH")]),
                _ => {
                    let keyword = Keyword::new("XTND").expect("keyword");
                    let text = Text::new(&b"XMIT"[..]).expect("text");
                    let command = Command::Other(OtherCommand::new(keyword, Some(text)));
                    (c.raw(command), Kind::Simple, vec![exact("XTND XMIT")])
                }
            },
            _ if arg == 0 => {
                c.close();
                self.after();
                return true;
            }
            // Wait for the next turn.
            _ => return true,
        };
        let queued = result.is_ok();
        match result {
            Ok(handle) => {
                assert!(!self.closed, "a command queued on a closed session");
                if let Some(last) = self.last_handle {
                    assert!(handle > last, "handle {handle:?} not new");
                }
                self.last_handle = Some(handle);
                self.cmds.insert(
                    handle,
                    Cmd {
                        kind,
                        lines,
                        sent: 0,
                        done: false,
                    },
                );
            }
            Err(e) => {
                assert_no_control(&e.to_string());
            }
        }
        self.after();
        queued
    }

    // -------------------------------------------------------------- time

    fn advance(&mut self, to: Instant) {
        // Just before the next deadline: nothing may happen.
        if let Some(deadline) = self.client.poll_timeout() {
            let before = Instant::from_duration(
                deadline
                    .as_duration()
                    .saturating_sub(Duration::from_nanos(1)),
            );
            let probe = before.min(to);
            if probe >= self.latest && probe < deadline {
                self.latest = probe;
                self.timeout_calls += 1;
                self.client.handle_timeout(probe);
                assert_eq!(
                    self.client.poll_event(),
                    None,
                    "handle_timeout before the deadline"
                );
                assert_eq!(self.client.poll_transmit(), None, "handle_timeout sent");
                assert_eq!(
                    self.client.poll_timeout(),
                    Some(deadline),
                    "handle_timeout before the deadline moved it"
                );
            }
        }
        self.latest = to;
        self.timeout_calls += 1;
        self.client.handle_timeout(to);
        self.after();
        // Again at the same time: nothing new (unless the known bug left a
        // deadline in the past).
        if self.client.poll_timeout().is_none_or(|d| d > to) {
            self.timeout_calls += 1;
            self.client.handle_timeout(to);
            assert_eq!(self.client.poll_event(), None, "handle_timeout twice");
        }
    }

    fn feed(&mut self, chunk: &[u8], as_bytes: bool) {
        self.fed += chunk.len();
        if !chunk.is_empty() && !self.closed && !self.eof {
            self.last_receive = self.latest;
        }
        let r = if as_bytes {
            self.client
                .receive_bytes(self.latest, Bytes::copy_from_slice(chunk))
        } else {
            self.client.receive(self.latest, chunk)
        };
        if self.eof {
            assert!(r.is_err(), "input after EOF accepted");
        } else {
            assert_eq!(r, Ok(()), "receive refused");
        }
        self.after();
    }

    /// Every call once more on a closed session: nothing may come of it.
    fn poke_closed(&mut self) {
        assert!(self.closed);
        let now = self.latest;
        let _ = self.client.receive(now, b"+OK\r\n");
        let _ = self
            .client
            .receive_bytes(now, Bytes::from_static(b"+OK\r\n"));
        self.client.handle_timeout(Instant::from_duration(
            now.as_duration() + Duration::from_secs(86_400),
        ));
        self.client.receive_eof(now);
        assert!(self.client.tls_established(now).is_err());
        self.script = &[];
        for action in 0..=14 {
            assert!(!self.act(action), "a command queued after Closed");
            assert!(!self.act(action | 0x10), "a command queued after Closed");
        }
        self.client.close();
        self.after();
    }
}

fn options(c0: u8, c1: u8, c3: u8) -> Options {
    let ms = |ms: u64| Some(Duration::from_millis(ms));
    let pick = |shift: u8, choices: [Option<Duration>; 4]| choices[usize::from(c3 >> shift) & 3];
    let response = ResponseOptions::default()
        .with_bare_lf(c0 & 0x10 != 0)
        .with_bare_lf_terminator(c0 & 0x20 != 0)
        .with_any_case_status(c0 & 0x40 != 0)
        .with_skip_empty_lines(c0 & 0x80 != 0)
        .with_unpadded_challenges(c1 & 1 != 0)
        .with_max_line([512, 16, 40, 100][usize::from(c1 >> 4) & 3]);
    Options::default()
        .with_response(response)
        .with_pipeline_depth([1, 2, 4, 16][usize::from(c0 & 3)])
        .with_collect_listings((c0 & 4 != 0).then_some(COLLECT))
        .with_require_tls(c0 & 8 != 0)
        .with_allow_plaintext_login(c1 & 4 != 0)
        .with_allow_apop(c1 & 8 != 0)
        .with_max_capabilities(if c1 & 0x40 != 0 {
            MAX_CAPABILITIES
        } else {
            256
        })
        .with_reply_timeout(pick(0, [ms(60_000), ms(10_000), ms(1), None]))
        .with_tls_timeout(pick(2, [ms(30_000), ms(5_000), ms(1), None]))
        .with_greeting_timeout(pick(4, [ms(30_000), ms(1_000), ms(1), None]))
        .with_idle_timeout((c1 & 0x80 != 0).then_some(Duration::from_secs(90)))
}

fuzz_target!(|input: &[u8]| {
    // `receive` and `receive_bytes` must make the same session; `c2` bit 5
    // only says which goes first.
    let as_bytes = input.get(2).is_some_and(|c2| c2 & 0x20 != 0);
    let (Some(first), Some(second)) = (session(input, as_bytes), session(input, !as_bytes)) else {
        return;
    };
    assert!(
        first == second,
        "receive and receive_bytes differ:\n{first:?}\n{second:?}"
    );
});

/// Runs the session `input` describes; `None` if it is too short.
fn session(input: &[u8], as_bytes: bool) -> Option<(Vec<Event>, Vec<u8>)> {
    let [c0, c1, c2, c3, seed, count, rest @ ..] = input else {
        return None;
    };
    let script_len = usize::from(*count % 32).min(rest.len());
    let (script, data) = rest.split_at(script_len);
    let options = options(*c0, *c1, *c3);
    let start = Instant::ZERO;
    let client = if c1 & 2 != 0 {
        Client::new_tls(options.clone(), start)
    } else {
        Client::new(options.clone(), start)
    };
    let mut h = Harness {
        client,
        options,
        script,
        tls_at_once: c2 & 0x40 != 0,
        cmds: BTreeMap::new(),
        last_handle: None,
        stls: Stls::None,
        sasl: None,
        tls_due: false,
        greeted: false,
        events_seen: 0,
        closed: false,
        eof: false,
        latest: start,
        last_receive: start,
        fed: 0,
        data: 0,
        sent: 0,
        events: 0,
        timeout_calls: 0,
        log: Default::default(),
    };
    h.after();

    let seed = u32::from(*seed) | u32::from(*c2) << 8;
    let chunks: Vec<&[u8]> = match c2 & 7 {
        7 => data.split(|&b| b == 0xff).collect(),
        i => Chunks::new(seed, [1, 2, 3, 7, 16, 64, 512][usize::from(i)])
            .ranges(data.len())
            .into_iter()
            .map(|r| &data[r])
            .collect(),
    };
    let mut time = Rng(seed.wrapping_mul(0x9e37_79b9) | 1);
    let step = |rng: &mut Rng| -> Duration {
        let r = rng.next();
        match (c2 >> 3) & 3 {
            0 => Duration::ZERO,
            1 => Duration::from_millis(u64::from(r % 2_000)),
            2 => Duration::from_millis(u64::from(r % 70_000)),
            _ => Duration::from_millis(
                [0, 1, 29_999, 30_000, 60_000, 90_000, 600_000, 0][(r % 8) as usize],
            ),
        }
    };
    for chunk in chunks {
        let to = h.latest + step(&mut time);
        h.advance(to);
        h.establish();
        h.feed(chunk, as_bytes);
    }
    let to = h.latest + step(&mut time);
    h.advance(to);
    if c2 & 0x80 != 0 {
        h.eof = true;
        h.client.receive_eof(h.latest);
        h.after();
        assert!(h.closed, "receive_eof left the session open");
        // Input after EOF is refused.
        h.feed(b"+OK\r\n", false);
    }
    if !h.closed {
        h.tls_due = false;
        h.client.close();
        h.after();
        assert!(h.closed, "close() left the session open");
    }
    h.poke_closed();
    if let Some(last) = h.client.poll_timeout() {
        panic!("a deadline {last:?} on a closed session");
    }
    Some(h.log)
}
