//! The sans-IO [`Server`], each workload next to yardsticks from the same
//! run:
//!
//! * `server_commands`: 10,000 pipelined commands (STAT, `LIST n`,
//!   `UIDL n`, NOOP) against a logged-in session with a 100-message
//!   maildrop, fed in 16 KiB reads, every reply drained; beside a memcpy
//!   of the commands and the codec alone (a hand-written loop that decodes
//!   each command with `CommandDecoder` and encodes its reply with the
//!   codec's encoders, as an application without the machine would).
//! * `server_retr`: RETR of a 16 MiB message streamed in 64 KiB pieces
//!   through the machine and its stuffer; beside a memcpy of the message
//!   and the `BodyEncoder` alone over the same pieces.
//! * `pair_retr`: a whole session in memory, our client against our
//!   server: USER/PASS, RETR of the 16 MiB message, QUIT, the server's
//!   output handed to the client without copying; beside a memcpy of the
//!   message and the codec alone (stuffer then unstuffer). The goal: within
//!   3x a memcpy's time (the stuffer and the unstuffer each cost about one).
//!
//! The message is ~16 MiB of mail text with CRLF line ends and ~2% of lines
//! starting with a dot. Run with `cargo bench --bench server`; a summary
//! from criterion's saved estimates (median of the samples) is printed at
//! the end.

mod common;

use common::{Rng, count_allocs, median_ns};
use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{Criterion, Throughput};
use pop3_proto::body::{BodyDecoder, BodyEncoder, WireLen};
use pop3_proto::client::{self, Client, Reply};
use pop3_proto::codec::{CommandDecoder, Decoded};
use pop3_proto::sasl::server::Answer;
use pop3_proto::server::{Event, Flow, Listing, Options, Server};
use pop3_proto::time::Instant;
use pop3_proto::types::{
    Command, DropListing, MsgNumber, Response, ScanListing, Status, Text, Uid, UidListing,
};

const COMMANDS: usize = 10_000;
const MAILDROP: u32 = 100;
const READ: usize = 16 * 1024;
const PIECE: usize = 64 * 1024;
const MESSAGE: usize = 16 << 20;

// ------------------------------------------------------------------ inputs

/// ~16 MiB of mail text: CRLF lines of words, ~2% starting with a dot.
fn message() -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let words: &[&[u8]] = &[
        b"the",
        b"of",
        b"and",
        b"meeting",
        b"report",
        b"server",
        b"mailbox",
        b"2026",
        b"quarterly",
        b"v1.4.2",
        b"e.g.",
        b"regards",
        b"--",
        b"attached",
        b"please",
    ];
    let mut m = b"From: a@example.org\r\nSubject: the big one\r\n\r\n".to_vec();
    while m.len() < MESSAGE {
        if rng.percent(2) {
            m.push(b'.');
        }
        let width = 40 + rng.below(37) as usize;
        let start = m.len();
        while m.len() - start < width {
            m.extend_from_slice(words[rng.below(words.len() as u64) as usize]);
            m.push(b' ');
        }
        m.extend_from_slice(b"\r\n");
    }
    m
}

fn listing(sizes: impl Fn(u32) -> u64) -> Listing {
    let mut listing = Listing::new();
    for n in 1..=MAILDROP {
        listing.push(
            sizes(n),
            Uid::try_from(format!("{n:08x}.uid")).unwrap().into_owned(),
        );
    }
    listing
}

/// The pipelined commands and how many of each.
fn commands() -> Vec<u8> {
    let mut rng = Rng(7);
    let mut out = Vec::new();
    for _ in 0..COMMANDS {
        let n = 1 + rng.below(u64::from(MAILDROP));
        let line = match rng.below(4) {
            0 => "STAT\r\n".to_owned(),
            1 => format!("LIST {n}\r\n"),
            2 => format!("UIDL {n}\r\n"),
            _ => "NOOP\r\n".to_owned(),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn options() -> Options {
    Options::default()
        .with_plaintext_logins(true)
        .with_login_failure_delay(None)
}

/// A server logged in as alice with `listing`, its output drained.
fn logged_in(listing: Listing) -> Server {
    let now = Instant::ZERO;
    let mut server = Server::new(options(), [1; 16], now);
    server
        .receive(now, b"USER alice\r\nPASS secret\r\n")
        .unwrap();
    let Some(Event::Auth { .. }) = server.poll_event() else {
        panic!("no Auth")
    };
    server.answer(Answer::Accept).unwrap();
    let Some(Event::Open { .. }) = server.poll_event() else {
        panic!("no Open")
    };
    server.open(Box::new(listing)).unwrap();
    while server.poll_transmit().is_some() {}
    server
}

// ------------------------------------------------------------ the drivers

/// The machine: every command read, every reply drained; returns the
/// reply bytes.
fn server_commands(commands: &[u8]) -> usize {
    let mut server = logged_in(listing(|n| 1000 + u64::from(n)));
    let mut out = 0;
    for read in commands.chunks(READ) {
        server.receive(Instant::ZERO, read).unwrap();
        while let Some(b) = server.poll_transmit() {
            out += black_box(b).len();
        }
    }
    out
}

/// The codec alone: decode each command, encode its reply.
fn codec_commands(commands: &[u8]) -> usize {
    let listing = listing(|n| 1000 + u64::from(n));
    let total: u64 = (1..=MAILDROP).map(|n| 1000 + u64::from(n)).sum();
    let mut decoder = CommandDecoder::default();
    let mut out = BytesMut::with_capacity(64 * 1024);
    let mut sent = 0;
    let mut carry = Vec::new();
    for read in commands.chunks(READ) {
        carry.extend_from_slice(read);
        let mut at = 0;
        while let Ok(Decoded::Value { value, consumed }) = decoder.decode(&carry[at..]) {
            use pop3_proto::server::Maildrop;
            match value {
                Command::Stat => Response::Stat(DropListing {
                    count: MAILDROP,
                    size: total,
                })
                .encode(&mut out),
                Command::List(Some(msg)) => Response::Scan(ScanListing {
                    msg,
                    size: listing.size(msg),
                })
                .encode(&mut out),
                Command::Uidl(Some(msg)) => Response::Uid(UidListing {
                    msg,
                    uid: listing.uid(msg),
                })
                .encode(&mut out),
                _ => Status::ok(Text::EMPTY).unwrap().encode(&mut out),
            }
            at += consumed;
        }
        carry.drain(..at);
        sent += black_box(out.split()).len();
    }
    sent
}

/// The machine streams the message in pieces; returns the wire bytes.
fn server_retr(message: &[u8], size: u64) -> usize {
    let mut server = logged_in(listing(|_| size));
    server.receive(Instant::ZERO, b"RETR 1\r\n").unwrap();
    let Some(Event::Content { .. }) = server.poll_event() else {
        panic!("no Content")
    };
    let mut out = 0;
    let mut pieces = message.chunks(PIECE);
    loop {
        while server.wants_content() {
            match pieces.next() {
                Some(p) => {
                    server.content(p).unwrap();
                }
                None => {
                    server.content_end().unwrap();
                    break;
                }
            }
        }
        match server.poll_transmit() {
            Some(b) => out += black_box(b).len(),
            None => return out,
        }
    }
}

/// The stuffer alone over the same pieces.
fn encoder_retr(message: &[u8]) -> usize {
    let mut encoder = BodyEncoder::new();
    let mut out = BytesMut::with_capacity(2 * PIECE);
    let mut total = 0;
    for p in message.chunks(PIECE) {
        encoder.encode(p, &mut out);
        total += black_box(out.split()).len();
    }
    encoder.finish(&mut out);
    total + out.len()
}

/// The stuffer, then the unstuffer, over the same pieces: the codec's
/// cost of a RETR on both ends.
fn codec_pair_retr(message: &[u8]) -> usize {
    let mut encoder = BodyEncoder::new();
    let mut decoder = BodyDecoder::default();
    let mut wire = BytesMut::with_capacity(2 * PIECE);
    let mut total = 0;
    let pieces: Vec<&[u8]> = message.chunks(PIECE).collect();
    for (i, p) in pieces.iter().enumerate() {
        encoder.encode(p, &mut wire);
        if i + 1 == pieces.len() {
            encoder.finish(&mut wire);
        }
        let mut input = wire.split().freeze();
        while let pop3_proto::body::Chunk::Data(d) = decoder.decode_bytes(&mut input) {
            total += black_box(d).len();
        }
        wire.extend_from_slice(&input);
    }
    total
}

/// Our client against our server: USER/PASS, RETR 1, QUIT; returns the
/// message bytes the client handed out.
fn pair_retr(message: &[u8], size: u64) -> usize {
    let now = Instant::ZERO;
    let mut server = Server::new(options(), [1; 16], now);
    let mut client = Client::new(
        client::Options::default().with_allow_plaintext_login(true),
        now,
    );
    let mut pieces = message.chunks(PIECE);
    let mut data = 0;
    let mut queued = false;
    let mut closed = false;
    while !closed {
        let mut any = false;
        while let Some(b) = server.poll_transmit() {
            client.receive_bytes(now, b).unwrap();
            any = true;
        }
        while let Some(e) = client.poll_event() {
            any = true;
            match e {
                client::Event::Greeting(_) => {
                    client.login("alice", "secret").unwrap();
                }
                client::Event::Data { data: d, .. } => data += black_box(d).len(),
                client::Event::Done { result, .. } => {
                    assert!(result.is_ok(), "{result:?}");
                    if matches!(result, Ok(Reply::LoggedIn(_))) && !queued {
                        queued = true;
                        client.retr(MsgNumber::ONE).unwrap();
                        client.quit().unwrap();
                    }
                }
                client::Event::Closed(_) => closed = true,
                _ => {}
            }
        }
        while let Some(b) = client.poll_transmit() {
            server.receive(now, &b).unwrap();
            any = true;
        }
        while let Some(e) = server.poll_event() {
            any = true;
            match e {
                Event::Auth { .. } => server.answer(Answer::Accept).unwrap(),
                Event::Open { .. } => server.open(Box::new(listing(|_| size))).unwrap(),
                Event::Update => server.update_done(Ok(())).unwrap(),
                Event::Closed(_) => {
                    // The reply to QUIT first, then the end of the connection.
                    while let Some(b) = server.poll_transmit() {
                        client.receive_bytes(now, b).unwrap();
                    }
                    client.receive_eof(now);
                }
                _ => {}
            }
        }
        while server.wants_content() {
            any = true;
            match pieces.next() {
                Some(p) => {
                    if server.content(p).unwrap() == Flow::Done {
                        server.content_end().unwrap();
                        break;
                    }
                }
                None => {
                    server.content_end().unwrap();
                    break;
                }
            }
        }
        assert!(any || closed, "the session is stuck");
    }
    data
}

// -------------------------------------------------------------- benchmark

fn bench(c: &mut Criterion) {
    let commands = commands();
    let message = message();
    let size = WireLen::of(&message).message_size();

    // Check each path before timing, and count one run's allocations.
    let (machine, machine_allocs) = count_allocs(|| server_commands(&commands));
    let (codec, codec_allocs) = count_allocs(|| codec_commands(&commands));
    assert_eq!(
        machine, codec,
        "the machine's replies and the codec's differ in length"
    );
    let wire = {
        let mut w = Vec::new();
        pop3_proto::body::encode_body(&message, &mut w);
        w
    };
    let (retr, retr_allocs) = count_allocs(|| server_retr(&message, size));
    assert_eq!(retr, format!("+OK {size} octets\r\n").len() + wire.len());
    assert_eq!(encoder_retr(&message), wire.len());
    let (got, pair_allocs) = count_allocs(|| pair_retr(&message, size));
    assert_eq!(got, message.len());
    assert_eq!(codec_pair_retr(&message), message.len());
    eprintln!(
        "server: {COMMANDS} commands ({} bytes in, {machine} out); a {}-byte message ({} on the wire); allocations per run: commands {machine_allocs} (codec {codec_allocs}), RETR {retr_allocs}, pair {pair_allocs}",
        commands.len(),
        message.len(),
        wire.len()
    );

    let mut group = c.benchmark_group("server_commands");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(COMMANDS as u64));
    let mut dst = vec![0u8; commands.len()];
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&commands));
            black_box(&mut dst);
        });
    });
    group.bench_function("codec", |b| b.iter(|| codec_commands(black_box(&commands))));
    group.bench_function("server", |b| {
        b.iter(|| server_commands(black_box(&commands)))
    });
    group.finish();

    for (name, f) in [
        (
            "server_retr",
            &(|m: &[u8]| server_retr(m, size)) as &dyn Fn(&[u8]) -> usize,
        ),
        ("pair_retr", &|m: &[u8]| pair_retr(m, size)),
    ] {
        let mut group = c.benchmark_group(name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Bytes(message.len() as u64));
        let mut dst = vec![0u8; message.len()];
        group.bench_function("memcpy", |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&message));
                black_box(&mut dst);
            });
        });
        if name == "server_retr" {
            group.bench_function("encoder", |b| b.iter(|| encoder_retr(black_box(&message))));
        } else {
            group.bench_function("codec", |b| b.iter(|| codec_pair_retr(black_box(&message))));
        }
        group.bench_function("machine", |b| b.iter(|| f(black_box(&message))));
        group.finish();
    }
}

// ----------------------------------------------------------------- summary

fn summary() {
    println!(
        "\nSummary (median times; x memcpy = this time / memcpy's; vs codec = the codec's time / this one's; same run)"
    );
    println!(
        "{:<32} {:>11} {:>16} {:>10} {:>9}",
        "bench", "time", "rate", "x memcpy", "vs codec"
    );
    for (group, yardstick, unit, per) in [
        ("server_commands", "codec", "commands/s", COMMANDS as f64),
        ("server_retr", "encoder", "GiB/s", MESSAGE as f64),
        ("pair_retr", "codec", "GiB/s", MESSAGE as f64),
    ] {
        let (Some(base), Some(codec)) = (median_ns(group, "memcpy"), median_ns(group, yardstick))
        else {
            continue;
        };
        for name in [
            "memcpy",
            yardstick,
            if group == "server_commands" {
                "server"
            } else {
                "machine"
            },
        ] {
            let Some(ns) = median_ns(group, name) else {
                continue;
            };
            let rate = if unit == "GiB/s" {
                per / ns * 1e9 / (1u64 << 30) as f64
            } else {
                per / ns * 1e9
            };
            println!(
                "{:<32} {:>8.3} ms {:>10.2} {unit:<5} {:>10.2} {:>9.2}",
                format!("{group}/{name}"),
                ns / 1e6,
                rate,
                ns / base,
                codec / ns
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        summary();
    }
}
