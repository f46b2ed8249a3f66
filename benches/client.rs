//! A whole client session through the sans-IO [`Client`], against an
//! in-memory scripted server, next to two yardsticks in the same run: a
//! memcpy of the server's bytes and the reply decoder alone over the same
//! bytes in the same reads (so the report says what the machine adds).
//!
//! The session: greeting, CAPA (PIPELINING), USER/PASS, CAPA again (the
//! client forgets capabilities at login, RFC 2449 §5, so it pipelines only
//! once it has asked again), STAT and UIDL, then RETR 1..=100 queued at
//! once and QUIT; each message is ~100 KiB of mail text with some
//! dot-stuffed lines. The server answers a command only once the client has
//! sent it, in reads of at most 16 KiB; the reads are worked out once by
//! running the session with that server, and every timed run replays them.
//!
//! Run with `cargo bench --bench client`; a summary from criterion's saved
//! estimates (median of the samples) is printed at the end.
//!
//! Inputs are built deterministically with a xorshift PRNG.

mod common;

use common::{Rng, count_allocs, median_ns};
use std::hint::black_box;
use std::ops::Range;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput};
use pop3_proto::client::{Client, Event, Options};
use pop3_proto::codec::{ResponseDecoder, ResponseEvent};
use pop3_proto::time::Instant;
use pop3_proto::types::{Expect, MsgNumber};

// ------------------------------------------------------------------ inputs

const MESSAGES: u32 = 100;
const MESSAGE_SIZE: usize = 100 * 1024;
const READ: usize = 16 * 1024;
const GROUP: &str = "client_session";

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "this",
    "are",
    "or",
    "at",
    "from",
    "but",
    "which",
    "have",
    "an",
    "they",
    "you",
    "were",
    "their",
    "one",
    "all",
    "we",
    "can",
    "her",
    "has",
    "there",
    "been",
    "if",
    "more",
    "when",
    "will",
    "would",
    "who",
    "so",
    "no",
    "meeting",
    "report",
    "server",
    "mailbox",
    "quarterly",
    "schedule",
    "attached",
    "please",
    "review",
    "budget",
    "thanks",
    "regards",
    "Monday",
    "Friday",
    "project",
    "update",
    "version",
    "release",
    "customer",
    "invoice",
    "2026",
    "v1.4.2",
    "e.g.",
    "i.e.",
    "etc.",
    "(see",
    "below)",
    "--",
    "\"quoted\"",
    "okay,",
];

/// One message: its content (CRLF lines: headers, a blank line, a body of
/// wrapped text with paragraphs, quoted lines, and ~2% of lines that start
/// with a dot), at least `MESSAGE_SIZE` bytes.
fn message(n: u32, rng: &mut Rng) -> Vec<u8> {
    let mut m = Vec::with_capacity(MESSAGE_SIZE + 128);
    let id = rng.next();
    let (min, sec) = (n % 60, rng.below(60));
    for header in [
        format!("Return-Path: <sender{n}@example.org>"),
        format!(
            "Received: from mail.example.org (mail.example.org [192.0.2.{}])\r\n\tby pop.example.net with ESMTPS id {id:016x}\r\n\tfor <alice@example.net>; Tue, 1 Dec 2026 10:{min:02}:{sec:02} +0000",
            n % 250
        ),
        format!("From: Sender {n} <sender{n}@example.org>"),
        "To: Alice <alice@example.net>".to_owned(),
        format!("Subject: Report {n}: the quarterly numbers, as promised"),
        format!("Date: Tue, 1 Dec 2026 10:{min:02}:{sec:02} +0000"),
        format!("Message-ID: <{id:016x}.{n}@example.org>"),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: text/plain; charset=us-ascii; format=flowed".to_owned(),
        String::new(),
    ] {
        m.extend_from_slice(header.as_bytes());
        m.extend_from_slice(b"\r\n");
    }
    let mut line = Vec::new();
    while m.len() < MESSAGE_SIZE {
        line.clear();
        let dotted: [&[u8]; 4] = [b".", b"...and so on", b".signature follows", b". "];
        match rng.below(100) {
            // A paragraph break: an empty line.
            0..=5 => {
                m.extend_from_slice(b"\r\n");
                continue;
            }
            // A line that starts with a dot (stuffed on the wire).
            6..=7 => line.extend_from_slice(dotted[rng.below(4) as usize]),
            // A quoted line.
            8..=17 => line.extend_from_slice(b"> "),
            _ => {}
        }
        let width = 40 + rng.below(37) as usize;
        while line.len() < width {
            if !line.is_empty() && line.last() != Some(&b' ') {
                line.push(b' ');
            }
            line.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
        }
        m.extend_from_slice(&line);
        m.extend_from_slice(b"\r\n");
    }
    m
}

/// Dot-stuffs `content` and adds the terminator.
fn stuff(content: &[u8]) -> Vec<u8> {
    let mut wire = Vec::with_capacity(content.len() + 256);
    for line in content.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            wire.push(b'.');
        }
        wire.extend_from_slice(line);
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

/// The session, precomputed.
struct Session {
    /// Everything the server sends.
    wire: Bytes,
    /// Where each reply ends in `wire`: the greeting's, then the reply to
    /// the client's first command, its second, ...
    reply_ends: Vec<usize>,
    /// What each reply answers, in order, for the decoder alone.
    expects: Vec<Expect>,
    /// Everything the client must send.
    commands: Vec<u8>,
    /// The messages' content, one after the other.
    content: Vec<u8>,
    /// How many lines were dot-stuffed.
    stuffed: usize,
    /// The reads the scripted server made (filled by `plan_reads`).
    reads: Vec<Range<usize>>,
}

fn session() -> Session {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let messages: Vec<Vec<u8>> = (1..=MESSAGES).map(|n| message(n, &mut rng)).collect();
    let total: usize = messages.iter().map(Vec::len).sum();
    let capa =
        b"+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUSER\r\n.\r\n";
    let mut uidl = b"+OK unique-id listing follows\r\n".to_vec();
    for n in 1..=MESSAGES {
        uidl.extend_from_slice(format!("{n} {:016x}{n:08}\r\n", rng.next()).as_bytes());
    }
    uidl.extend_from_slice(b".\r\n");

    let mut steps: Vec<(Vec<u8>, Vec<u8>, Expect)> = vec![
        (
            Vec::new(),
            b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n".to_vec(),
            Expect::Greeting,
        ),
        (b"CAPA\r\n".to_vec(), capa.to_vec(), Expect::Capabilities),
        (
            b"USER alice\r\n".to_vec(),
            b"+OK\r\n".to_vec(),
            Expect::Status,
        ),
        (
            b"PASS secret\r\n".to_vec(),
            b"+OK maildrop locked and ready\r\n".to_vec(),
            Expect::Status,
        ),
        (b"CAPA\r\n".to_vec(), capa.to_vec(), Expect::Capabilities),
        (
            b"STAT\r\n".to_vec(),
            format!("+OK {MESSAGES} {total}\r\n").into_bytes(),
            Expect::Stat,
        ),
        (b"UIDL\r\n".to_vec(), uidl, Expect::UidListing),
    ];
    let mut stuffed = 0;
    for (n, content) in (1..).zip(&messages) {
        let body = stuff(content);
        stuffed += body.len() - content.len() - 3;
        let mut reply = format!("+OK {} octets\r\n", content.len()).into_bytes();
        reply.extend_from_slice(&body);
        steps.push((format!("RETR {n}\r\n").into_bytes(), reply, Expect::Message));
    }
    steps.push((
        b"QUIT\r\n".to_vec(),
        b"+OK dewey POP3 server signing off\r\n".to_vec(),
        Expect::Status,
    ));

    let mut wire = Vec::new();
    let mut reply_ends = Vec::new();
    let mut commands = Vec::new();
    let mut expects = Vec::new();
    for (command, reply, expect) in steps {
        commands.extend_from_slice(&command);
        wire.extend_from_slice(&reply);
        reply_ends.push(wire.len());
        expects.push(expect);
    }
    let mut session = Session {
        wire: Bytes::from(wire),
        reply_ends,
        expects,
        commands,
        content: messages.concat(),
        stuffed,
        reads: Vec::new(),
    };
    session.reads = plan_reads(&session);
    session
}

// ------------------------------------------------------------- the caller

fn n(v: u32) -> MsgNumber {
    MsgNumber::new(v).expect("non-zero")
}

/// The application around the client: it queues the next commands as the
/// earlier ones finish, writes out what the client sends, and adds up the
/// message bytes.
struct Caller {
    client: Client,
    done: usize,
    data: usize,
    pieces: usize,
    sent: usize,
    closed: bool,
    /// In the checking run: every byte sent and every data byte.
    log: Option<(Vec<u8>, Vec<u8>)>,
}

impl Caller {
    fn new(log: bool) -> Self {
        Self {
            client: Client::new(
                Options::default().with_allow_plaintext_login(true),
                Instant::ZERO,
            ),
            done: 0,
            data: 0,
            pieces: 0,
            sent: 0,
            closed: false,
            log: log.then(Default::default),
        }
    }

    /// Drains the events, reacts, and takes what is to be sent.
    fn react(&mut self) {
        while let Some(event) = self.client.poll_event() {
            match event {
                Event::Greeting(_) => {
                    self.client.capa().expect("CAPA");
                }
                Event::Data { data, .. } => {
                    self.data += data.len();
                    self.pieces += 1;
                    if let Some((_, log)) = &mut self.log {
                        log.extend_from_slice(&data);
                    }
                    black_box(data);
                }
                Event::Done { result, .. } => {
                    assert!(result.is_ok(), "{result:?}");
                    self.done += 1;
                    let c = &mut self.client;
                    match self.done {
                        1 => {
                            c.login("alice", "secret").expect("login");
                        }
                        2 => {
                            c.capa().expect("CAPA");
                            c.stat().expect("STAT");
                            c.uidl(None).expect("UIDL");
                        }
                        5 => {
                            for i in 1..=MESSAGES {
                                c.retr(n(i)).expect("RETR");
                            }
                            c.quit().expect("QUIT");
                        }
                        _ => {}
                    }
                }
                Event::Closed(reason) => {
                    assert!(reason.is_clean(), "{reason:?}");
                    self.closed = true;
                }
                other => {
                    black_box(other);
                }
            }
        }
        while let Some(out) = self.client.poll_transmit() {
            self.sent += out.len();
            if let Some((log, _)) = &mut self.log {
                log.extend_from_slice(&out);
            }
        }
    }

    fn finish(&self) -> usize {
        assert!(self.closed, "session not closed");
        assert_eq!(self.done, 5 + MESSAGES as usize + 1);
        self.data
    }
}

/// Runs the session with the scripted server, which answers a command only
/// once it was sent and reads at most `READ` bytes at a time; returns the
/// reads it made.
fn plan_reads(s: &Session) -> Vec<Range<usize>> {
    let mut caller = Caller::new(false);
    let mut reads = Vec::new();
    let mut at = 0;
    while at < s.wire.len() {
        // Replies to the commands received so far (and the greeting).
        let commands = s.commands[..caller.sent]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let released = s.reply_ends[commands];
        assert!(released > at, "the server waits for a command never sent");
        let end = released.min(at + READ);
        caller
            .client
            .receive(Instant::ZERO, &s.wire[at..end])
            .expect("receive");
        caller.react();
        reads.push(at..end);
        at = end;
    }
    reads
}

// ------------------------------------------------------------ the drivers

/// The client, fed each read by reference (`receive` copies it in).
fn client_copy(s: &Session) -> usize {
    let mut caller = Caller::new(false);
    for r in &s.reads {
        caller
            .client
            .receive(Instant::ZERO, &s.wire[r.clone()])
            .expect("receive");
        caller.react();
    }
    caller.finish()
}

/// The client, fed each read as its own `Bytes` (`receive_bytes`).
fn client_bytes(reads: impl IntoIterator<Item = Bytes>, log: bool) -> Caller {
    let mut caller = Caller::new(log);
    for read in reads {
        caller
            .client
            .receive_bytes(Instant::ZERO, read)
            .expect("receive");
        caller.react();
    }
    caller
}

/// Each read in a buffer of its own, as a socket read into a fresh
/// `BytesMut` gives (made before timing).
fn unique_reads(s: &Session) -> Vec<Bytes> {
    s.reads
        .iter()
        .map(|r| Bytes::from(s.wire[r.clone()].to_vec()))
        .collect()
}

/// Each read a slice of the one buffer holding the whole session.
fn shared_reads(s: &Session) -> impl Iterator<Item = Bytes> + '_ {
    s.reads.iter().map(|r| s.wire.slice(r.clone()))
}

/// The yardstick: the reply decoder alone, zero-copy, over the same reads,
/// told what each reply answers after each `End`; returns the message
/// bytes. What is left of a read (a partial line) is carried into the next.
fn decoder_alone(s: &Session) -> usize {
    let mut decoder = ResponseDecoder::default();
    let mut expects = s.expects.iter().copied();
    decoder
        .expect(expects.next().expect("greeting"))
        .expect("idle");
    let mut total = 0;
    let mut carry = BytesMut::new();
    for r in &s.reads {
        let read = s.wire.slice(r.clone());
        let mut input = if carry.is_empty() {
            read
        } else {
            carry.extend_from_slice(&read);
            carry.split().freeze()
        };
        loop {
            match decoder.decode_bytes(&mut input) {
                Ok(Some(ResponseEvent::Data(data))) => total += black_box(data).len(),
                Ok(Some(ResponseEvent::End)) => match expects.next() {
                    Some(next) => decoder.expect(next).expect("idle"),
                    None => return total,
                },
                Ok(Some(line)) => {
                    black_box(line);
                }
                Ok(None) => break,
                Err(e) => panic!("{e}"),
            }
        }
        carry.extend_from_slice(&input);
    }
    panic!("the session did not end");
}

// -------------------------------------------------------------- benchmark

fn bench(c: &mut Criterion, s: &Session) {
    // Check every path before timing, and count one run's allocations.
    let checked = client_bytes(unique_reads(s), true);
    let (sent, data) = checked.log.clone().expect("log");
    assert_eq!(
        String::from_utf8_lossy(&sent),
        String::from_utf8_lossy(&s.commands)
    );
    assert!(data == s.content, "the messages differ");
    checked.finish();
    let pieces = checked.pieces;
    let (total, copy_allocs) = count_allocs(|| client_copy(s));
    assert_eq!(total, s.content.len());
    let reads = unique_reads(s);
    let (caller, bytes_allocs) = count_allocs(|| client_bytes(reads, false));
    assert_eq!(caller.finish(), s.content.len());
    drop(caller);
    let (caller, shared_allocs) = count_allocs(|| client_bytes(shared_reads(s), false));
    assert_eq!(caller.finish(), s.content.len());
    drop(caller);
    let (total, decoder_allocs) = count_allocs(|| decoder_alone(s));
    assert_eq!(total, s.content.len());
    let small = s.reads.iter().filter(|r| r.len() < READ).count();
    eprintln!(
        "{GROUP}: {} server bytes, {} messages of {} content bytes, {} lines stuffed; {} reads ({} shorter than 16 KiB), {pieces} data events; allocations per session: decoder {decoder_allocs}, client receive {copy_allocs}, receive_bytes unique {bytes_allocs}, receive_bytes shared {shared_allocs}",
        s.wire.len(),
        MESSAGES,
        s.content.len(),
        s.stuffed,
        s.reads.len(),
        small,
    );

    let mut group = c.benchmark_group(GROUP);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Bytes(s.wire.len() as u64));
    let mut dst = vec![0u8; s.wire.len()];
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&s.wire));
            black_box(&mut dst);
        });
    });
    group.bench_function("decoder_bytes_16KiB", |b| {
        b.iter(|| black_box(decoder_alone(black_box(s))));
    });
    group.bench_function("client_bytes_16KiB", |b| {
        b.iter_batched(
            || unique_reads(s),
            |reads| black_box(client_bytes(reads, false).finish()),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("client_bytes_shared_16KiB", |b| {
        b.iter(|| black_box(client_bytes(shared_reads(black_box(s)), false).finish()));
    });
    group.bench_function("client_copy_16KiB", |b| {
        b.iter(|| black_box(client_copy(black_box(s))));
    });
    group.finish();
}

// ----------------------------------------------------------------- summary

fn summary(bytes: usize) {
    let (Some(base), Some(decoder)) = (
        median_ns(GROUP, "memcpy"),
        median_ns(GROUP, "decoder_bytes_16KiB"),
    ) else {
        return;
    };
    println!(
        "\nSummary (median times; vs memcpy = throughput / memcpy's; vs decoder = the decoder's time / this one's; same run)"
    );
    println!(
        "{:<26} {:>10} {:>11} {:>10} {:>11} {:>12}",
        "bench", "time", "throughput", "vs memcpy", "vs decoder", "per message"
    );
    for name in [
        "memcpy",
        "decoder_bytes_16KiB",
        "client_bytes_16KiB",
        "client_bytes_shared_16KiB",
        "client_copy_16KiB",
    ] {
        let Some(ns) = median_ns(GROUP, name) else {
            continue;
        };
        let gib = bytes as f64 / ns * 1e9 / (1u64 << 30) as f64;
        println!(
            "{name:<26} {:>7.3} ms {:>6.2} GiB/s {:>10.3} {:>11.3} {:>9.1} us",
            ns / 1e6,
            gib,
            base / ns,
            decoder / ns,
            ns / 1e3 / f64::from(MESSAGES),
        );
    }
}

fn main() {
    let s = session();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &s);
    c.final_summary();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        summary(s.wire.len());
    }
}
