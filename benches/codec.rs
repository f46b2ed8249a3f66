//! Codec throughput, each figure next to a memcpy of the same buffer in the
//! same group (so the ratio to memcpy is read off directly).
//!
//! Run with `cargo bench --bench codec`. After the run, a summary with
//! GiB/s, ns per entry/command and ratios to memcpy is printed from
//! criterion's saved estimates (median of the samples).
//!
//! Inputs are built deterministically with a xorshift PRNG.

mod common;

use common::{Rng, count_allocs, median_ns};
use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use pop3_proto::body::BodyEncoder;
use pop3_proto::codec::{CommandDecoder, Decoded, ResponseDecoder, ResponseEvent};
use pop3_proto::types::{Expect, Response};

// ------------------------------------------------------------------ inputs

const MIB: usize = 1024 * 1024;
const BODY_SIZE: usize = 16 * MIB;
const SMALL_CHUNK: usize = 16 * 1024;
const LARGE_CHUNK: usize = MIB;
const ENTRIES: usize = 100_000;
const COMMANDS: usize = 100_000;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = u32::from(c[0]) << 16
            | u32::from(*c.get(1).unwrap_or(&0)) << 8
            | u32::from(*c.get(2).unwrap_or(&0));
        let sextet = |shift: u32| B64[(n >> shift) as usize & 63];
        out.extend_from_slice(&[sextet(18), sextet(12)]);
        out.push(if c.len() > 1 { sextet(6) } else { b'=' });
        out.push(if c.len() > 2 { sextet(0) } else { b'=' });
    }
    out
}

/// A message body: its content (lines ending in CRLF) and its wire form
/// (dot-stuffed, with the terminator). Lines are added until the wire form
/// reaches `BODY_SIZE` bytes.
struct Body {
    content: Vec<u8>,
    wire: Vec<u8>,
    lines: usize,
}

fn build_body(mut line: impl FnMut(&mut Vec<u8>)) -> Body {
    let mut content = Vec::with_capacity(BODY_SIZE + 2 * MIB);
    let mut wire = Vec::with_capacity(BODY_SIZE + 2 * MIB);
    let mut buf = Vec::new();
    let mut lines = 0;
    while wire.len() < BODY_SIZE {
        buf.clear();
        line(&mut buf);
        if buf.first() == Some(&b'.') {
            wire.push(b'.');
        }
        for part in [&mut content, &mut wire] {
            part.extend_from_slice(&buf);
            part.extend_from_slice(b"\r\n");
        }
        lines += 1;
    }
    wire.extend_from_slice(b".\r\n");
    Body {
        content,
        wire,
        lines,
    }
}

/// 76-character base64 lines; ~1% start with `.` (stuffed on the wire).
fn base64_body() -> Body {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    build_body(|buf| {
        for _ in 0..76 {
            buf.push(B64[rng.below(64) as usize]);
        }
        if rng.percent(1) {
            buf[0] = b'.';
        }
    })
}

/// Lines of 0 to 998 characters of printable text with spaces and periods;
/// ~3% start with `.`.
fn text_body() -> Body {
    const TEXT: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,;:!?'\"()-";
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    build_body(|buf| {
        let len = rng.below(999) as usize;
        for _ in 0..len {
            buf.push(match rng.below(100) {
                0..=14 => b' ',
                15..=17 => b'.',
                _ => TEXT[rng.below(TEXT.len() as u64) as usize],
            });
        }
        if let Some(first) = buf.first_mut() {
            if rng.percent(3) {
                *first = b'.';
            } else if *first == b'.' {
                *first = b'x';
            }
        }
    })
}

/// `+OK`, `n uid` for n in 1..=ENTRIES (uids of 20-40 chars in 0x21-0x7E),
/// `.`.
fn uidl_listing() -> Vec<u8> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut buf = b"+OK\r\n".to_vec();
    for n in 1..=ENTRIES {
        buf.extend_from_slice(n.to_string().as_bytes());
        buf.push(b' ');
        let len = 20 + rng.below(21);
        for _ in 0..len {
            buf.push(0x21 + rng.below(0x7E - 0x21 + 1) as u8);
        }
        buf.extend_from_slice(b"\r\n");
    }
    buf.extend_from_slice(b".\r\n");
    buf
}

/// `+OK`, `n size` for n in 1..=ENTRIES, `.`.
fn list_listing() -> Vec<u8> {
    let mut rng = Rng(0x6A09_E667_F3BC_C909);
    let mut buf = b"+OK\r\n".to_vec();
    for n in 1..=ENTRIES {
        let size = 200 + rng.below(10_000_000);
        buf.extend_from_slice(format!("{n} {size}\r\n").as_bytes());
    }
    buf.extend_from_slice(b".\r\n");
    buf
}

/// COMMANDS pipelined commands, each kind equally likely.
fn commands() -> Vec<u8> {
    let mut rng = Rng(0xBB67_AE85_84CA_A73B);
    let mut buf = Vec::new();
    let word = |rng: &mut Rng, min: u64, max: u64| -> String {
        let len = min + rng.below(max - min + 1);
        (0..len)
            .map(|_| char::from(b'a' + rng.below(26) as u8))
            .collect()
    };
    for _ in 0..COMMANDS {
        let msg = 1 + rng.below(5000);
        let line = match rng.below(16) {
            0 => format!("USER {}", word(&mut rng, 4, 16)),
            1 => format!("PASS {} {}", word(&mut rng, 4, 12), word(&mut rng, 2, 8)),
            2 => "STAT".to_owned(),
            3 => "LIST".to_owned(),
            4 => format!("LIST {msg}"),
            5 => format!("RETR {msg}"),
            6 => format!("DELE {msg}"),
            7 => format!("TOP {msg} {}", rng.below(100)),
            8 => "UIDL".to_owned(),
            9 => format!("UIDL {msg}"),
            10 => "NOOP".to_owned(),
            11 => "RSET".to_owned(),
            12 => "CAPA".to_owned(),
            13 => "QUIT".to_owned(),
            14 => {
                let digest: String = (0..32)
                    .map(|_| char::from(b"0123456789abcdef"[rng.below(16) as usize]))
                    .collect();
                format!("APOP {} {digest}", word(&mut rng, 4, 16))
            }
            _ => {
                let user = word(&mut rng, 4, 16);
                let pass = word(&mut rng, 6, 16);
                let ir = base64(format!("\0{user}\0{pass}").as_bytes());
                format!("AUTH PLAIN {}", String::from_utf8(ir).expect("ascii"))
            }
        };
        buf.extend_from_slice(line.as_bytes());
        buf.extend_from_slice(b"\r\n");
    }
    buf
}

// ------------------------------------------------------------- the codecs

/// The wire form of a RETR reply carrying `body` (already stuffed, with
/// its terminator).
fn retr_reply(body: &[u8]) -> Vec<u8> {
    let mut wire = b"+OK message follows\r\n".to_vec();
    wire.extend_from_slice(body);
    wire
}

/// The reply decoder in copy mode, the way a client reads a RETR reply in
/// `chunk`-byte reads: body data is appended to `out` in the same pass
/// that unstuffs it.
fn reply_copy(wire: &[u8], chunk: usize, out: &mut Vec<u8>) {
    out.clear();
    let mut decoder = ResponseDecoder::default();
    decoder.expect(Expect::Message).expect("idle");
    let mut carry: Vec<u8> = Vec::new();
    for read in wire.chunks(chunk) {
        // A partial status line is the only thing ever carried over.
        let input: &[u8] = if carry.is_empty() {
            read
        } else {
            carry.extend_from_slice(read);
            &carry
        };
        let mut at = 0;
        loop {
            match decoder.decode_into(&input[at..], out) {
                Ok(Decoded::Value { value, consumed }) => {
                    at += consumed;
                    if value.is_end() {
                        return;
                    }
                }
                Ok(Decoded::Discard(n)) => at += n,
                Ok(Decoded::Incomplete) => break,
                Err(e) => panic!("{e}"),
            }
        }
        let rest = input[at..].to_vec();
        carry = rest;
    }
    panic!("no terminator");
}

/// The reply decoder in zero-copy mode: each read is a `Bytes` split off
/// the receive buffer; returns the message length.
fn reply_zero_copy(wire: &Bytes, chunk: usize) -> usize {
    let mut rest = wire.clone();
    let mut decoder = ResponseDecoder::default();
    decoder.expect(Expect::Message).expect("idle");
    let mut total = 0;
    let mut buf = BytesMut::new();
    while !rest.is_empty() {
        let read = rest.split_to(chunk.min(rest.len()));
        let mut piece = if buf.is_empty() {
            read
        } else {
            buf.extend_from_slice(&read);
            buf.split().freeze()
        };
        loop {
            match decoder.decode_bytes(&mut piece) {
                Ok(Some(ResponseEvent::Data(data))) => total += black_box(data).len(),
                Ok(Some(ResponseEvent::End)) => return total,
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => panic!("{e}"),
            }
        }
        buf.extend_from_slice(&piece);
    }
    panic!("no terminator");
}

/// The yardstick: a straightforward hand-written unstuffer, as a user of
/// no library would write it. Find each LF with memchr and look at the byte
/// after it: if it is not a dot, keep going; if it is, copy the span so
/// far, then drop the dot or stop at `.` CRLF. It keeps its state across
/// reads but does nothing else: no limits, no leniency, no typed events.
fn handwritten_body(wire: &[u8], chunk: usize, out: &mut Vec<u8>) {
    #[derive(Clone, Copy, PartialEq)]
    enum At {
        LineStart,
        Dot,
        DotCr,
        InLine,
    }
    out.clear();
    // Skip the status line (never split in this input).
    let first = memchr::memchr(b'\n', wire).expect("status line") + 1;
    let mut state = At::LineStart;
    for read in wire[first..].chunks(chunk) {
        let len = read.len();
        let mut at = 0;
        // Finish what the previous read left at a line start.
        while state != At::InLine && at < len {
            state = match (state, read[at]) {
                (At::LineStart, b'.') | (At::Dot, b'\r') => {
                    at += 1;
                    if state == At::LineStart {
                        At::Dot
                    } else {
                        At::DotCr
                    }
                }
                (At::DotCr, b'\n') => return,
                (At::DotCr, _) => {
                    out.push(b'\r');
                    At::InLine
                }
                _ => At::InLine,
            };
        }
        if state != At::InLine {
            continue;
        }
        let (mut start, mut pos) = (at, at);
        loop {
            let Some(i) = memchr::memchr(b'\n', &read[pos..]) else {
                out.extend_from_slice(&read[start..]);
                break;
            };
            let lf = pos + i;
            pos = lf + 1;
            if pos == len {
                out.extend_from_slice(&read[start..]);
                state = At::LineStart;
                break;
            }
            if read[pos] != b'.' {
                continue;
            }
            out.extend_from_slice(&read[start..pos]);
            match &read[pos + 1..] {
                [b'\r', b'\n', ..] => return,
                [] => {
                    state = At::Dot;
                    break;
                }
                [b'\r'] => {
                    state = At::DotCr;
                    break;
                }
                _ => {
                    start = pos + 1;
                    pos = start;
                }
            }
        }
    }
    panic!("no terminator");
}

fn encode(content: &[u8], chunk: usize, out: &mut Vec<u8>) {
    out.clear();
    let mut encoder = BodyEncoder::new();
    for piece in content.chunks(chunk) {
        encoder.encode(piece, out);
    }
    encoder.finish(out);
}

/// Feeds `buf` to `decode` in `chunk`-byte reads the way a caller does:
/// append each read to a buffer, let `decode` use what it can (it returns
/// how many bytes, or `None` at the end of the reply), drop those bytes
/// once per read.
fn in_reads(buf: &[u8], chunk: usize, mut decode: impl FnMut(&[u8]) -> Option<usize>) {
    let mut carry: Vec<u8> = Vec::with_capacity(chunk * 2);
    for read in buf.chunks(chunk) {
        carry.extend_from_slice(read);
        match decode(&carry) {
            Some(used) => {
                carry.drain(..used);
            }
            None => return,
        }
    }
    panic!("reply not complete");
}

/// The reply decoder over a whole listing in `chunk`-byte reads; returns
/// the number of entries.
fn parse_listing(buf: &[u8], expect: Expect, chunk: usize) -> usize {
    let mut decoder = ResponseDecoder::default();
    decoder.expect(expect).expect("idle");
    let mut entries = 0;
    in_reads(buf, chunk, |input| {
        let mut at = 0;
        loop {
            match decoder.decode(&input[at..]) {
                Ok(Decoded::Value { value, consumed }) => {
                    at += consumed;
                    match black_box(value) {
                        ResponseEvent::End => return None,
                        ResponseEvent::Line(Response::Entry(_)) => entries += 1,
                        _ => {}
                    }
                }
                Ok(Decoded::Incomplete) => return Some(at),
                other => panic!("at {at}: {other:?}"),
            }
        }
    });
    entries
}

/// The yardstick for listings: split lines with memchr, parse the number,
/// take the rest (the UID, or the size parsed as a number). No checks
/// beyond what it needs to not crash.
fn handwritten_listing(buf: &[u8], uid: bool, chunk: usize) -> usize {
    let mut entries = 0;
    let mut first = true;
    in_reads(buf, chunk, |input| {
        let mut at = 0;
        while let Some(lf) = memchr::memchr(b'\n', &input[at..]) {
            let line = &input[at..at + lf];
            at += lf + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if first {
                first = false;
                continue;
            }
            if line == b"." {
                return None;
            }
            let sp = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
            let mut n: u32 = 0;
            for &d in &line[..sp] {
                n = n
                    .wrapping_mul(10)
                    .wrapping_add(u32::from(d.wrapping_sub(b'0')));
            }
            let rest = line.get(sp + 1..).unwrap_or_default();
            if uid {
                black_box((n, rest));
            } else {
                let mut size: u64 = 0;
                for &d in rest {
                    size = size
                        .wrapping_mul(10)
                        .wrapping_add(u64::from(d.wrapping_sub(b'0')));
                }
                black_box((n, size));
            }
            entries += 1;
        }
        Some(at)
    });
    entries
}

/// Decodes every command; returns how many.
fn parse_commands(buf: &[u8]) -> usize {
    let mut decoder = CommandDecoder::default();
    let mut offset = 0;
    let mut count = 0;
    while offset < buf.len() {
        match decoder.decode(&buf[offset..]) {
            Ok(Decoded::Value { value, consumed }) => {
                black_box(value);
                offset += consumed;
                count += 1;
            }
            other => panic!("at {offset}: {other:?}"),
        }
    }
    count
}

/// What the hand-written command loop produces: the keyword's kind and
/// its arguments, borrowed. (Only passed to `black_box`.)
#[derive(Debug)]
#[allow(dead_code)]
enum HandCommand<'a> {
    Bare(&'static str),
    Number(&'static str, u32),
    Top(u32, u32),
    Text(&'static str, &'a [u8]),
    Two(&'static str, &'a [u8], &'a [u8]),
    Unknown,
}

/// The yardstick for commands: find the line end with memchr, match the
/// keyword without regard to case, split the arguments at SP, parse the
/// numbers. No limits, no validation of what the arguments hold.
fn handwritten_commands(buf: &[u8]) -> usize {
    fn number(arg: &[u8]) -> u32 {
        arg.iter().fold(0u32, |n, &d| {
            n.wrapping_mul(10)
                .wrapping_add(u32::from(d.wrapping_sub(b'0')))
        })
    }
    const BARE: [&str; 7] = ["STAT", "LIST", "UIDL", "NOOP", "RSET", "CAPA", "QUIT"];
    const NUMBER: [&str; 4] = ["LIST", "RETR", "DELE", "UIDL"];
    let mut at = 0;
    let mut count = 0;
    while let Some(lf) = memchr::memchr(b'\n', &buf[at..]) {
        let line = &buf[at..at + lf];
        at += lf + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let (keyword, args) = match line.iter().position(|&b| b == b' ') {
            Some(sp) => (&line[..sp], Some(&line[sp + 1..])),
            None => (line, None),
        };
        let is = |k: &str| keyword.eq_ignore_ascii_case(k.as_bytes());
        let command = match args {
            None => BARE
                .iter()
                .find(|k| is(k))
                .map_or(HandCommand::Unknown, |k| HandCommand::Bare(k)),
            Some(args) => {
                if let Some(k) = NUMBER.iter().find(|k| is(k)) {
                    HandCommand::Number(k, number(args))
                } else if is("TOP") {
                    let sp = args.iter().position(|&b| b == b' ').unwrap_or(args.len());
                    HandCommand::Top(
                        number(&args[..sp]),
                        number(args.get(sp + 1..).unwrap_or_default()),
                    )
                } else if is("USER") {
                    HandCommand::Text("USER", args)
                } else if is("PASS") {
                    HandCommand::Text("PASS", args)
                } else if is("APOP") || is("AUTH") {
                    let sp = args.iter().position(|&b| b == b' ').unwrap_or(args.len());
                    let k = if is("APOP") { "APOP" } else { "AUTH" };
                    HandCommand::Two(k, &args[..sp], args.get(sp + 1..).unwrap_or_default())
                } else {
                    HandCommand::Unknown
                }
            }
        };
        black_box(command);
        count += 1;
    }
    count
}

// -------------------------------------------------------------- benchmarks

fn memcpy(group: &mut BenchmarkGroup<'_, WallTime>, src: &[u8]) {
    let mut dst = vec![0u8; src.len()];
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(src));
            black_box(&mut dst);
        });
    });
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, bytes: usize) {
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Bytes(bytes as u64));
}

/// A body group: memcpy, the hand-written loop, and the reply decoder in
/// copy and zero-copy mode, all over the same RETR reply.
fn bench_body(c: &mut Criterion, name: &str, body: &Body, chunks: &[(&str, usize)]) {
    let wire = retr_reply(&body.wire);
    let mut out = Vec::with_capacity(wire.len());

    // Check every path's output, and count the allocations of one run.
    handwritten_body(&wire, SMALL_CHUNK, &mut out);
    assert_eq!(out, body.content, "hand-written loop");
    let ((), made) = count_allocs(|| reply_copy(&wire, SMALL_CHUNK, &mut out));
    assert_eq!(out, body.content, "reply decoder, copy mode");
    let shared = Bytes::from(wire.clone());
    let _promoted = shared.clone(); // promote to shared once, untimed
    let (len, zero_made) = count_allocs(|| reply_zero_copy(&shared, SMALL_CHUNK));
    assert_eq!(len, body.content.len());
    eprintln!(
        "{name}: {} wire bytes, {} lines, {} stuffed; 16 KiB reads: copy mode made {made} allocations, zero-copy {zero_made} ({:.4} per line)",
        wire.len(),
        body.lines,
        body.wire.len() - body.content.len() - 3,
        zero_made as f64 / body.lines as f64,
    );

    let mut group = c.benchmark_group(name);
    configure(&mut group, wire.len());
    memcpy(&mut group, &wire);
    group.bench_function("handwritten_16KiB", |b| {
        b.iter(|| {
            handwritten_body(black_box(&wire), SMALL_CHUNK, &mut out);
            black_box(&out);
        });
    });
    for &(label, chunk) in chunks {
        group.bench_function(format!("reply_copy_{label}"), |b| {
            b.iter(|| {
                reply_copy(black_box(&wire), chunk, &mut out);
                black_box(&out);
            });
        });
        group.bench_function(format!("reply_zerocopy_{label}"), |b| {
            b.iter(|| black_box(reply_zero_copy(black_box(&shared), chunk)));
        });
    }
    group.finish();
}

fn bench_bodies(c: &mut Criterion) {
    bench_body(
        c,
        "body_base64",
        &base64_body(),
        &[("16KiB", SMALL_CHUNK), ("1MiB", LARGE_CHUNK)],
    );
    bench_body(c, "body_text", &text_body(), &[("16KiB", SMALL_CHUNK)]);
}

fn bench_body_encode(c: &mut Criterion) {
    let body = base64_body();
    let content = &body.content;
    let mut out = Vec::with_capacity(body.wire.len());
    encode(content, SMALL_CHUNK, &mut out);
    assert_eq!(out, body.wire);

    let mut group = c.benchmark_group("body_encode");
    configure(&mut group, content.len());
    memcpy(&mut group, content);
    group.bench_function("encode_16KiB", |b| {
        b.iter(|| {
            encode(black_box(content), SMALL_CHUNK, &mut out);
            black_box(&out);
        });
    });
    group.finish();
}

fn bench_listings(c: &mut Criterion) {
    for (group_name, buf, expect) in [
        ("uidl_listing", uidl_listing(), Expect::UidListing),
        ("list_listing", list_listing(), Expect::ScanListing),
    ] {
        let uid = expect == Expect::UidListing;
        let (entries, made) = count_allocs(|| parse_listing(&buf, expect, SMALL_CHUNK));
        assert_eq!(entries, ENTRIES);
        assert_eq!(handwritten_listing(&buf, uid, SMALL_CHUNK), ENTRIES);
        eprintln!(
            "{group_name}: 16 KiB reads, reply decoder made {made} allocations for {ENTRIES} entries"
        );
        let mut group = c.benchmark_group(group_name);
        configure(&mut group, buf.len());
        memcpy(&mut group, &buf);
        // ns per entry = the time of one iteration / 100000.
        group.bench_function("handwritten_16KiB", |b| {
            b.iter(|| black_box(handwritten_listing(black_box(&buf), uid, SMALL_CHUNK)));
        });
        group.bench_function("reply_16KiB", |b| {
            b.iter(|| black_box(parse_listing(black_box(&buf), expect, SMALL_CHUNK)));
        });
        group.finish();
    }
}

fn bench_commands(c: &mut Criterion) {
    let buf = commands();
    assert_eq!(parse_commands(&buf), COMMANDS);
    assert_eq!(handwritten_commands(&buf), COMMANDS);
    let mut group = c.benchmark_group("commands");
    configure(&mut group, buf.len());
    memcpy(&mut group, &buf);
    // ns per command = the time of one iteration / 100000.
    group.bench_function("handwritten", |b| {
        b.iter(|| black_box(handwritten_commands(black_box(&buf))));
    });
    group.bench_function("decoder", |b| {
        b.iter(|| black_box(parse_commands(black_box(&buf))));
    });
    group.finish();
}

// ----------------------------------------------------------------- summary

fn summary() {
    let sizes = [
        ("body_base64", retr_reply(&base64_body().wire).len(), None),
        ("body_text", retr_reply(&text_body().wire).len(), None),
        ("body_encode", base64_body().content.len(), None),
        (
            "uidl_listing",
            uidl_listing().len(),
            Some(("entry", ENTRIES)),
        ),
        (
            "list_listing",
            list_listing().len(),
            Some(("entry", ENTRIES)),
        ),
        ("commands", commands().len(), Some(("command", COMMANDS))),
    ];
    let benches: &[(&str, &[&str])] = &[
        (
            "body_base64",
            &[
                "handwritten_16KiB",
                "reply_copy_16KiB",
                "reply_zerocopy_16KiB",
                "reply_copy_1MiB",
                "reply_zerocopy_1MiB",
            ],
        ),
        (
            "body_text",
            &[
                "handwritten_16KiB",
                "reply_copy_16KiB",
                "reply_zerocopy_16KiB",
            ],
        ),
        ("body_encode", &["encode_16KiB"]),
        ("uidl_listing", &["handwritten_16KiB", "reply_16KiB"]),
        ("list_listing", &["handwritten_16KiB", "reply_16KiB"]),
        ("commands", &["handwritten", "decoder"]),
    ];
    let rate = |bytes: usize, ns: f64| {
        let per_s = bytes as f64 / ns * 1e9;
        if per_s >= (1u64 << 30) as f64 {
            format!("{:.2} GiB/s", per_s / (1u64 << 30) as f64)
        } else {
            format!("{:.0} MiB/s", per_s / (1u64 << 20) as f64)
        }
    };
    println!(
        "\nSummary (median times; vs memcpy = throughput / memcpy's, vs hand = the hand-written loop's time / this one's; same run)"
    );
    println!(
        "{:<13} {:<22} {:>10} {:>12} {:>10} {:>8} {:>15}",
        "group", "bench", "time", "throughput", "vs memcpy", "vs hand", "per item"
    );
    for ((group, size, per), (_, names)) in sizes.iter().zip(benches) {
        let Some(base) = median_ns(group, "memcpy") else {
            continue;
        };
        let hand = names
            .iter()
            .find(|n| n.starts_with("handwritten"))
            .and_then(|n| median_ns(group, n));
        let row = |name: &str, ns: f64| {
            let item = per.map_or(String::new(), |(what, n): (&str, usize)| {
                format!("{:.1} ns/{what}", ns / n as f64)
            });
            let vs_hand = hand.map_or(String::new(), |h| format!("{:.3}", h / ns));
            println!(
                "{group:<13} {name:<22} {:>7.3} ms {:>12} {:>10.3} {vs_hand:>8} {item:>15}",
                ns / 1e6,
                rate(*size, ns),
                base / ns
            );
        };
        row("memcpy", base);
        for name in *names {
            if let Some(ns) = median_ns(group, name) {
                row(name, ns);
            }
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_bodies(&mut c);
    bench_body_encode(&mut c);
    bench_listings(&mut c);
    bench_commands(&mut c);
    c.final_summary();
    // Only after a real measurement run (`cargo bench` passes `--bench`).
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        summary();
    }
}
