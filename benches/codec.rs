//! Codec throughput, each figure next to a memcpy of the same buffer in the
//! same group (so the ratio to memcpy is read off directly).
//!
//! Run with `cargo bench --bench codec`. After the run, a summary with
//! GiB/s, ns per entry/command and ratios to memcpy is printed from
//! criterion's saved estimates (median of the samples).
//!
//! Inputs are built deterministically with a xorshift PRNG.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use pop3_proto::body::{BodyDecoder, BodyEncoder, Chunk};
use pop3_proto::codec::{CommandDecoder, Decoded, ResponseDecoder, ResponseEvent};
use pop3_proto::types::{Expect, Response};

// ------------------------------------------------------------ allocations

/// Counts allocations, to check that copy-mode body decoding makes none.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.load(Ordering::Relaxed)
}

// ------------------------------------------------------------------ inputs

const MIB: usize = 1024 * 1024;
const BODY_SIZE: usize = 16 * MIB;
const SMALL_CHUNK: usize = 16 * 1024;
const LARGE_CHUNK: usize = MIB;
const ENTRIES: usize = 100_000;
const COMMANDS: usize = 100_000;

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `percent` / 100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

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

fn decode_copy(wire: &[u8], chunk: usize, out: &mut Vec<u8>) {
    out.clear();
    let mut decoder = BodyDecoder::new();
    for piece in wire.chunks(chunk) {
        if decoder.decode_into(piece, out).done {
            return;
        }
    }
    panic!("no terminator");
}

fn decode_zero_copy(wire: &Bytes, chunk: usize) -> usize {
    let mut rest = wire.clone();
    let mut decoder = BodyDecoder::new();
    let mut total = 0;
    while !rest.is_empty() {
        let mut piece = rest.split_to(chunk.min(rest.len()));
        loop {
            match decoder.decode_bytes(&mut piece) {
                Chunk::Data(data) => total += black_box(data).len(),
                Chunk::End => return total,
                Chunk::Incomplete => break,
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

/// Decodes a whole listing; returns the number of entries.
fn parse_listing(buf: &[u8], expect: Expect) -> usize {
    let mut decoder = ResponseDecoder::default();
    decoder.expect(expect).expect("idle");
    let mut offset = 0;
    let mut entries = 0;
    loop {
        match decoder.decode(&buf[offset..]) {
            Ok(Decoded::Value { value, consumed }) => {
                offset += consumed;
                match black_box(value) {
                    ResponseEvent::End => return entries,
                    ResponseEvent::Line(Response::Entry(_)) => entries += 1,
                    _ => {}
                }
            }
            other => panic!("at {offset}: {other:?}"),
        }
    }
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

fn bench_body_base64(c: &mut Criterion) {
    let body = base64_body();
    let wire = &body.wire;
    let mut out = Vec::with_capacity(wire.len());

    // Check the output and count the allocations of one copy-mode decode.
    let before = allocs();
    decode_copy(wire, SMALL_CHUNK, &mut out);
    let made = allocs() - before;
    assert_eq!(out, body.content);
    eprintln!(
        "body_base64: {} wire bytes, {} lines, {} stuffed; copy mode (16 KiB chunks) made {made} allocations ({:.6} per line)",
        wire.len(),
        body.lines,
        wire.len() - body.content.len() - 3,
        made as f64 / body.lines as f64,
    );

    let shared = Bytes::from(wire.clone());
    // Promote to the shared representation once, outside the timing.
    let _promoted = shared.clone();
    assert_eq!(decode_zero_copy(&shared, SMALL_CHUNK), body.content.len());

    let mut group = c.benchmark_group("body_base64");
    configure(&mut group, wire.len());
    memcpy(&mut group, wire);
    for (name, chunk) in [("copy_16KiB", SMALL_CHUNK), ("copy_1MiB", LARGE_CHUNK)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                decode_copy(black_box(wire), chunk, &mut out);
                black_box(&out);
            });
        });
    }
    for (name, chunk) in [
        ("zerocopy_16KiB", SMALL_CHUNK),
        ("zerocopy_1MiB", LARGE_CHUNK),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(decode_zero_copy(black_box(&shared), chunk)));
        });
    }
    group.finish();
}

fn bench_body_text(c: &mut Criterion) {
    let body = text_body();
    let wire = &body.wire;
    let mut out = Vec::with_capacity(wire.len());
    let before = allocs();
    decode_copy(wire, SMALL_CHUNK, &mut out);
    let made = allocs() - before;
    assert_eq!(out, body.content);
    eprintln!(
        "body_text: {} wire bytes, {} lines, {} stuffed; copy mode (16 KiB chunks) made {made} allocations",
        wire.len(),
        body.lines,
        wire.len() - body.content.len() - 3,
    );

    let mut group = c.benchmark_group("body_text");
    configure(&mut group, wire.len());
    memcpy(&mut group, wire);
    group.bench_function("copy_16KiB", |b| {
        b.iter(|| {
            decode_copy(black_box(wire), SMALL_CHUNK, &mut out);
            black_box(&out);
        });
    });
    group.finish();
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
        assert_eq!(parse_listing(&buf, expect), ENTRIES);
        let mut group = c.benchmark_group(group_name);
        configure(&mut group, buf.len());
        memcpy(&mut group, &buf);
        // ns per entry = the time of one iteration / 100000.
        group.bench_function("parse_100000_entries", |b| {
            b.iter(|| black_box(parse_listing(black_box(&buf), expect)));
        });
        group.finish();
    }
}

fn bench_commands(c: &mut Criterion) {
    let buf = commands();
    assert_eq!(parse_commands(&buf), COMMANDS);
    let mut group = c.benchmark_group("commands");
    configure(&mut group, buf.len());
    memcpy(&mut group, &buf);
    // ns per command = the time of one iteration / 100000.
    group.bench_function("parse_100000_commands", |b| {
        b.iter(|| black_box(parse_commands(black_box(&buf))));
    });
    group.finish();
}

// ----------------------------------------------------------------- summary

/// The median time in ns of a finished benchmark, from criterion's
/// `estimates.json` (best effort: `None` if it cannot be found).
fn median_ns(group: &str, bench: &str) -> Option<f64> {
    let root = std::env::var_os("CRITERION_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(|t| std::path::PathBuf::from(t).join("criterion"))
        })
        .unwrap_or_else(|| "target/criterion".into());
    let path = root.join(group).join(bench).join("new/estimates.json");
    let json = std::fs::read_to_string(path).ok()?;
    let median = &json[json.find("\"median\"")?..];
    let value = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = value.find([',', '}'])?;
    value[..end].trim().parse().ok()
}

fn summary() {
    let sizes = [
        ("body_base64", base64_body().wire.len(), None),
        ("body_text", text_body().wire.len(), None),
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
            &["copy_16KiB", "copy_1MiB", "zerocopy_16KiB", "zerocopy_1MiB"],
        ),
        ("body_text", &["copy_16KiB"]),
        ("body_encode", &["encode_16KiB"]),
        ("uidl_listing", &["parse_100000_entries"]),
        ("list_listing", &["parse_100000_entries"]),
        ("commands", &["parse_100000_commands"]),
    ];
    let rate = |bytes: usize, ns: f64| {
        let per_s = bytes as f64 / ns * 1e9;
        if per_s >= (1u64 << 30) as f64 {
            format!("{:.2} GiB/s", per_s / (1u64 << 30) as f64)
        } else {
            format!("{:.0} MiB/s", per_s / (1u64 << 20) as f64)
        }
    };
    println!("\nSummary (median times; ratio = throughput / memcpy throughput, same run)");
    println!(
        "{:<13} {:<22} {:>10} {:>12} {:>7} {:>15}",
        "group", "bench", "time", "throughput", "ratio", "per item"
    );
    for ((group, size, per), (_, names)) in sizes.iter().zip(benches) {
        let Some(base) = median_ns(group, "memcpy") else {
            continue;
        };
        let row = |name: &str, ns: f64| {
            let item = per.map_or(String::new(), |(what, n): (&str, usize)| {
                format!("{:.1} ns/{what}", ns / n as f64)
            });
            println!(
                "{group:<13} {name:<22} {:>7.3} ms {:>12} {:>7.3} {item:>15}",
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
    bench_body_base64(&mut c);
    bench_body_text(&mut c);
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
