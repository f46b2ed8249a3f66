//! The sans-IO `Server` against an arbitrary client: arbitrary bytes in
//! arbitrary chunks, with time passing, while an in-memory application
//! with a small maildrop answers every event.
//!
//! Input: `[c0, c1, seed, data...]`.
//!
//! * `c0`: bit 0 plaintext logins; bit 1 STLS offered; bit 2 APOP; bit 3
//!   UTF8 offered, bit 4 with `UTF8 USER`; bit 5 implicit TLS
//!   (`Server::new_tls`); bit 6 two languages; bit 7 bare LF accepted.
//! * `c1`: bits 0-2 the largest chunk (1, 2, 3, 7, 16, 64, 512; 7 cuts
//!   `data` at each 0xff, dropped); bits 3-4 the time step before each
//!   chunk (none, up to 2 s, up to 11 min, 10 min exactly); bit 5 the
//!   application answers each event only before the next chunk (else at
//!   once); bit 6 content in pieces of 3 octets (else 4 KiB); bit 7 small
//!   buffers (256 octets of output, the smallest input bound) and a
//!   failed-login delay of 0 (else 2 s).
//! * `seed`: the chunk sizes and time steps.
//!
//! Invariants: no panic; `Closed` once, last, and nothing after it; the
//! output never holds a bare LF or a NUL, and is bounded by its option
//! plus one piece of content and one line; the session's memory by its
//! buffers' bounds; UPDATE only after a QUIT line was fed in TRANSACTION
//! and only for messages a DELE line named; and, when no time passes and
//! the application answers at once, replies in order whatever the cut:
//! the same bytes and events as the whole input fed at once (unless the
//! cut itself changes the session: STLS, whose handshake runs between
//! chunks, or a flood).
#![no_main]

mod common;

use common::Chunks;
use libfuzzer_sys::fuzz_target;
use pop3_proto::codec::{CommandDecoder, CommandOptions, Decoded};
use pop3_proto::sasl::scram::StoredCredentials;
use pop3_proto::sasl::server::{Answer, Request};
use pop3_proto::server::{Event, Flow, Listing, LocalError, Options, Server};
use pop3_proto::state::SessionState;
use pop3_proto::time::Instant;
use pop3_proto::types::{Command, LangListing, LangTag, Mechanism, Text, Uid};
use std::collections::BTreeSet;
use std::time::Duration;

const MESSAGES: [&[u8]; 3] = [
    b"From: a\r\nSubject: one\r\n\r\nbody\r\n.dot\r\n",
    b"Subject: two\n\n.\nno final newline",
    b"",
];

struct App {
    sending: Option<(usize, usize)>,
    piece: usize,
    updated: bool,
    tls_pending: bool,
    tls_seen: bool,
    events: Vec<String>,
}

impl App {
    fn answer(request: &Request) -> Answer {
        match request {
            Request::Password {
                authcid, password, ..
            } => {
                if authcid == "alice" && &password.expose_secret()[..] == b"secret" {
                    Answer::Accept
                } else {
                    Answer::Reject
                }
            }
            Request::SharedSecret { user } if user == "alice" => Answer::shared_secret("secret"),
            Request::ScramCredentials { hash, authcid, .. } if authcid == "alice" => {
                match StoredCredentials::derive(*hash, b"secret", b"salt", 1) {
                    Ok(c) => Answer::Scram(c),
                    Err(_) => Answer::Unavailable,
                }
            }
            Request::ChannelBinding { .. } => Answer::channel_binding(b"cb"),
            Request::Authorize { .. } | Request::External { .. } => Answer::Accept,
            Request::Token { token, .. } if &token.expose_secret()[..] == b"t" => Answer::Accept,
            _ => Answer::Reject,
        }
    }

    /// Answers the server's events, counting `Closed`.
    fn handle(
        &mut self,
        server: &mut Server,
        closed: &mut u32,
        fed_quit: bool,
        deles: &BTreeSet<u32>,
    ) {
        while let Some(event) = server.poll_event() {
            assert_eq!(*closed, 0, "an event after Closed: {event:?}");
            self.events.push(match &event {
                Event::Closed(reason) => format!("closed {reason:?}"),
                Event::Content { msg, top } => format!("content {} {top:?}", msg.get()),
                other => format!("{:?}", core::mem::discriminant(other)),
            });
            match event {
                Event::Auth { request, .. } => {
                    ok(server.answer(Self::answer(&request)));
                }
                Event::Open { .. } => {
                    let mut listing = Listing::new();
                    for (i, m) in MESSAGES.iter().enumerate() {
                        let uid = Uid::try_from(format!("u{i}").as_str())
                            .unwrap()
                            .into_owned();
                        listing.push_message(
                            pop3_proto::body::WireLen::of(m).message_size(),
                            uid,
                            i == 1,
                        );
                    }
                    ok(server.open(Box::new(listing)));
                }
                Event::Content { msg, .. } => {
                    assert!(self.sending.is_none());
                    self.sending = Some((msg.get() as usize - 1, 0));
                }
                Event::Update => {
                    assert!(fed_quit, "UPDATE without a QUIT line");
                    assert!(!self.updated);
                    self.updated = true;
                    for n in server.deleted() {
                        assert!(deles.contains(&n.get()), "deleted {n:?} without DELE");
                    }
                    ok(server.update_done(Ok(())));
                }
                Event::StartTls => {
                    self.tls_pending = true;
                    self.tls_seen = true;
                }
                Event::Closed(_) => {
                    *closed += 1;
                    assert_eq!(server.state(), SessionState::Closed);
                }
                _ => {}
            }
        }
        while let Some((i, at)) = self.sending {
            if !server.wants_content() {
                break;
            }
            let m = MESSAGES[i];
            let end = (at + self.piece).min(m.len());
            let flow = server.content(&m[at..end]);
            if matches!(flow, Err(LocalError::Closed)) {
                self.sending = None;
            } else if flow == Ok(Flow::Done) || end == m.len() {
                ok(server.content_end());
                self.sending = None;
            } else {
                self.sending = Some((i, end));
            }
        }
        if *closed > 0 {
            self.sending = None;
        }
    }
}

/// A call that must succeed, unless the session ended before the
/// application got to it.
fn ok(result: Result<(), LocalError>) {
    match result {
        Ok(()) | Err(LocalError::Closed) => {}
        Err(e) => panic!("{e}"),
    }
}

/// What a session did.
struct Outcome {
    out: Vec<u8>,
    events: Vec<String>,
    /// The session ended as a flood, or went through STLS: both depend
    /// on how the input was cut.
    cut_dependent: bool,
}

fn session(c0: u8, c1: u8, seed: u8, chunks: &[&[u8]]) -> Outcome {
    let seed = &seed;
    let small = c1 & 0x80 != 0;
    let piece = if c1 & 0x40 != 0 { 3 } else { 4096 };
    let max_output = if small { 256 } else { 64 * 1024 };
    let langs = vec![
        LangListing {
            tag: LangTag::try_from("en").unwrap().into_owned(),
            description: Text::try_from("English").unwrap().into_owned(),
        },
        LangListing {
            tag: LangTag::try_from("de").unwrap().into_owned(),
            description: Text::try_from("Deutsch").unwrap().into_owned(),
        },
    ];
    let options = Options::default()
        .with_plaintext_logins(c0 & 1 != 0)
        .with_stls(c0 & 2 != 0)
        .with_apop(c0 & 4 != 0)
        .with_utf8((c0 & 8 != 0).then_some(c0 & 0x10 != 0))
        .with_languages(if c0 & 0x40 != 0 { langs } else { Vec::new() })
        .with_command(CommandOptions::default().with_bare_lf(c0 & 0x80 != 0))
        .with_mechanisms(vec![
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::CramMd5,
            Mechanism::ScramSha1,
            Mechanism::ScramSha256,
            Mechanism::ScramSha256Plus,
            Mechanism::XOAuth2,
            Mechanism::OAuthBearer,
            Mechanism::External,
            Mechanism::Anonymous,
        ])
        .with_channel_binding(true)
        .with_scram_fake_iterations(1)
        .with_max_output(max_output)
        .with_max_input(if small { 0 } else { 128 * 1024 })
        .with_login_failure_delay(if small {
            None
        } else {
            Some(Duration::from_secs(2))
        });
    let max_input = options.max_input.max(options.command.max_sasl_line);
    let mut now = Instant::ZERO;
    let random = [*seed; 16];
    let mut server = if c0 & 0x20 != 0 {
        Server::new_tls(options, random, now)
    } else {
        Server::new(options, random, now)
    };
    let mut app = App {
        sending: None,
        piece,
        updated: false,
        tls_pending: false,
        tls_seen: false,
        events: Vec::new(),
    };
    let mut out = Vec::new();
    let mut closed = 0u32;

    // What the fed lines say, read by the same decoder the server uses:
    // a QUIT line, and the DELE numbers.
    let mut lines = CommandDecoder::new(CommandOptions::default().with_bare_lf(true));
    let mut fed = Vec::new();
    let mut fed_quit = false;
    let mut deles = BTreeSet::new();

    let mut steps = Chunks::new(u32::from(*seed) ^ 0x5555, 1000);
    let deferred = c1 & 0x20 != 0;
    for &chunk in chunks {
        let step = match (c1 >> 3) & 3 {
            0 => Duration::ZERO,
            1 => Duration::from_millis(steps.next_size() as u64 * 2),
            2 => Duration::from_millis(steps.next_size() as u64 * 660),
            _ => Duration::from_secs(600),
        };
        now = now + step;
        server.handle_timeout(now);
        if app.tls_pending {
            app.tls_pending = false;
            app.events.push("tls".into());
            let _ = server.tls_established(now);
        }
        if deferred {
            app.handle(&mut server, &mut closed, fed_quit, &deles);
        }
        fed.extend_from_slice(chunk);
        loop {
            let n = match lines.decode(&fed) {
                Ok(Decoded::Value { value, consumed }) => {
                    match value {
                        Command::Quit => fed_quit = true,
                        Command::Dele(n) => {
                            deles.insert(n.get());
                        }
                        _ => {}
                    }
                    consumed
                }
                Ok(Decoded::Discard(n)) => n,
                Ok(Decoded::Incomplete) => break,
                Err(e) => e.consumed(),
            };
            if n == 0 {
                break;
            }
            fed.drain(..n.min(fed.len()));
        }
        server.receive(now, chunk).unwrap();
        if !deferred {
            app.handle(&mut server, &mut closed, fed_quit, &deles);
        }
        assert!(
            server.pending_output() <= max_output + 2 * piece + 70 * 1024,
            "output {}",
            server.pending_output()
        );
        assert!(
            server.memory() <= max_input + 2 * (max_output + 2 * piece + 70 * 1024) + 16 * 1024,
            "memory {}",
            server.memory()
        );
        while let Some(b) = server.poll_transmit() {
            out.extend_from_slice(&b);
            if !deferred {
                app.handle(&mut server, &mut closed, fed_quit, &deles);
            }
        }
    }
    server.receive_eof(now);
    for _ in 0..64 {
        app.handle(&mut server, &mut closed, fed_quit, &deles);
        match server.poll_transmit() {
            Some(b) => out.extend_from_slice(&b),
            None => break,
        }
    }
    app.handle(&mut server, &mut closed, fed_quit, &deles);
    assert_eq!(closed, 1, "Closed must come once");
    assert_eq!(server.state(), SessionState::Closed);
    assert!(server.poll_event().is_none());
    // Nothing changes once closed.
    server.receive_eof(now);
    assert!(server.receive(now, b"NOOP\r\n").is_err());
    server.handle_timeout(Instant::MAX);
    assert!(server.poll_event().is_none());

    // The wire: CRLF lines, no bare LF, no NUL.
    for (i, &b) in out.iter().enumerate() {
        assert_ne!(b, 0, "NUL at {i}");
        if b == b'\n' {
            assert!(i > 0 && out[i - 1] == b'\r', "bare LF at {i}");
        }
    }
    let cut_dependent =
        app.tls_seen || app.events.iter().any(|e| e.contains("Flood") || e == "tls");
    Outcome {
        out,
        events: app.events,
        cut_dependent,
    }
}

fuzz_target!(|input: &[u8]| {
    let [c0, c1, seed, data @ ..] = input else {
        return;
    };
    let (c0, c1, seed) = (*c0, *c1, *seed);
    let max_chunk = [1, 2, 3, 7, 16, 64, 512, 0][usize::from(c1 & 7)];
    let chunks: Vec<&[u8]> = if max_chunk == 0 {
        data.split(|&b| b == 0xff).collect()
    } else {
        Chunks::new(u32::from(seed), max_chunk)
            .ranges(data.len())
            .into_iter()
            .map(|r| &data[r])
            .collect()
    };
    let cut = session(c0, c1, seed, &chunks);
    // Without time passing, and with an application that answers at
    // once, replies go out in order whatever the cut: the same bytes and
    // events as the whole input in one feed.
    if (c1 >> 3) & 3 == 0 && c1 & 0x20 == 0 && !cut.cut_dependent {
        let whole = chunks.concat();
        let once = session(c0, c1, seed, &[&whole]);
        if !once.cut_dependent {
            assert_eq!(cut.events, once.events, "events depend on the cut");
            assert!(cut.out == once.out, "replies depend on the cut");
        }
    }
});
