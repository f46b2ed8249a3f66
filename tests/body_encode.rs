//! The encoder side of the body codec: the stuffer's line-end rules (SPEC
//! S9, R01, R10, R15), the size counter (R12, R13) and the TOP encoder
//! (R31), checked against plain reference functions, exhaustively over
//! short inputs and by proptest over long ones and any chunking.

mod common;

use common::line_ends_to_crlf;
use pop3_proto::body::{BodyDecoder, BodyEncoder, BodyOptions, TopEncoder, WireLen, encode_body};
use proptest::collection::vec;
use proptest::prelude::*;

// ------------------------------------------------------------ references

/// What a strict reader gets back: the normalised content, then CRLF if it
/// does not end in one (nothing for empty content).
fn message(content: &[u8]) -> Vec<u8> {
    let mut m = line_ends_to_crlf(content);
    if !m.is_empty() && !m.ends_with(b"\r\n") {
        m.extend_from_slice(b"\r\n");
    }
    m
}

/// Splits `data` into lines, each with its CRLF; a last line without one
/// is returned as it is.
fn crlf_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(rest.len(), |i| i + 2);
        lines.push(&rest[..end]);
        rest = &rest[end..];
    }
    lines
}

/// The stuffer written the slow way: normalise, add the final CRLF, then
/// one line at a time, a `.` in front of every line that starts with `.`.
fn reference_encode(content: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    for line in crlf_lines(&message(content)) {
        if line.starts_with(b".") {
            wire.push(b'.');
        }
        wire.extend_from_slice(line);
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

/// The part of the normalised message that `TOP msg n` sends (SPEC R31):
/// the lines up to the first blank line, that line, and `n` more; all of it
/// when there is no blank line or fewer lines.
fn reference_top(content: &[u8], n: u32) -> Vec<u8> {
    let normalised = line_ends_to_crlf(content);
    let lines = crlf_lines(&normalised);
    let keep = match lines.iter().position(|l| *l == b"\r\n") {
        None => lines.len(),
        Some(blank) => (blank + 1).saturating_add(n as usize).min(lines.len()),
    };
    lines[..keep].concat()
}

/// Where TOP can stop reading the original content, and whether it found
/// everything it needs before the content ran out: by the lines of the
/// original, which end at CRLF, at a lone LF or at a lone CR; a blank line
/// is a line end alone.
fn reference_top_cut(content: &[u8], n: u32) -> (usize, bool) {
    let mut ends = Vec::new();
    let mut blank_at = None;
    let mut start = 0;
    let mut i = 0;
    while i < content.len() {
        let end = match content[i] {
            b'\r' if content.get(i + 1) == Some(&b'\n') => i + 2,
            b'\r' | b'\n' => i + 1,
            _ => {
                i += 1;
                continue;
            }
        };
        if blank_at.is_none() && i == start {
            blank_at = Some(ends.len());
        }
        ends.push(end);
        start = end;
        i = end;
    }
    match blank_at {
        None => (content.len(), false),
        // A CR last in the content may yet be followed by its LF: the
        // encoder cannot say it is done before it knows.
        Some(blank) => match ends.get(blank + n as usize) {
            Some(&end) if end == content.len() && content[end - 1] == b'\r' => (end, false),
            Some(&end) => (end, true),
            None => (content.len(), false),
        },
    }
}

/// A reader that splits lines on LF, as Python's poplib does: strips one
/// CR before the LF, drops one leading dot of `..`, stops at `.`. Returns
/// the lines and the octets it read, or `None` without an end.
fn lf_reader(wire: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut lines = Vec::new();
    let mut at = 0;
    while let Some(lf) = wire[at..].iter().position(|&b| b == b'\n') {
        let raw = &wire[at..at + lf];
        at += lf + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line == b"." {
            return Some((lines, at));
        }
        let line = if line.starts_with(b"..") {
            &line[1..]
        } else {
            line
        };
        lines.push(line.to_vec());
    }
    None
}

// ------------------------------------------------------------ drivers

fn encode_chunks(chunks: &[&[u8]]) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut encoder = BodyEncoder::new();
    for c in chunks {
        encoder.encode(c, &mut wire);
    }
    encoder.finish(&mut wire);
    wire
}

fn count_chunks(chunks: &[&[u8]]) -> WireLen {
    let mut size = WireLen::new();
    for c in chunks {
        size.count(c);
    }
    size
}

/// TOP over `chunks`: the output, the bytes consumed, and `done`. Stops
/// feeding once `done`, as a server would.
fn top_chunks(n: u32, chunks: &[&[u8]]) -> (Vec<u8>, usize, bool) {
    let mut wire = Vec::new();
    let mut top = TopEncoder::new(n);
    let mut consumed = 0;
    let mut done = false;
    for c in chunks {
        let p = top.encode(c, &mut wire);
        assert!(p.consumed <= c.len());
        assert_eq!(p.done, top.is_done());
        consumed += p.consumed;
        if p.done {
            done = true;
            // Fed again anyway, it writes and consumes nothing.
            let before = wire.len();
            let again = top.encode(c, &mut wire);
            assert_eq!((again.consumed, again.done, wire.len()), (0, true, before));
            break;
        }
        assert_eq!(
            p.consumed,
            c.len(),
            "consumed short of the chunk before done"
        );
    }
    top.finish(&mut wire);
    (wire, consumed, done)
}

/// Cuts `data` at the given sizes, cycling through them.
fn split<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = data;
    for s in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (a, b) = rest.split_at((*s).max(1).min(rest.len()));
        chunks.push(a);
        rest = b;
    }
    chunks
}

fn decode(wire: &[u8], options: BodyOptions) -> (Vec<u8>, usize, bool) {
    let mut out = Vec::new();
    let p = BodyDecoder::with_options(options).decode_into(wire, &mut out);
    (out, p.consumed, p.done)
}

/// Strict, and every combination of the bare-LF leniencies.
fn all_options() -> [BodyOptions; 4] {
    let o = BodyOptions::default();
    [
        o,
        o.with_bare_lf_lines(true),
        o.with_bare_lf_terminator(true),
        o.with_bare_lf_lines(true).with_bare_lf_terminator(true),
    ]
}

/// Every check of the stuffer on one content, split every way into two
/// and three chunks and one byte at a time.
fn check_encoding(content: &[u8], expected: &[u8]) {
    let show = String::from_utf8_lossy(content);
    let mut wire = Vec::new();
    encode_body(content, &mut wire);
    assert_eq!(wire, expected, "{show:?}");
    assert_eq!(wire, reference_encode(content), "{show:?}");
    let bytes: Vec<&[u8]> = content.chunks(1).collect();
    assert_eq!(encode_chunks(&bytes), wire, "{show:?} byte by byte");
    for i in 0..=content.len() {
        let (a, b) = content.split_at(i);
        assert_eq!(encode_chunks(&[a, b]), wire, "{show:?} split at {i}");
        for j in i..=content.len() {
            let (b, c) = content[i..].split_at(j - i);
            assert_eq!(
                encode_chunks(&[a, b, c]),
                wire,
                "{show:?} split at {i}, {j}"
            );
        }
    }
    // No bare LF and no bare CR on the wire (SPEC R01, S9).
    for (i, &b) in wire.iter().enumerate() {
        assert!(
            b != b'\n' || (i > 0 && wire[i - 1] == b'\r'),
            "{show:?}: bare LF"
        );
        assert!(
            b != b'\r' || wire.get(i + 1) == Some(&b'\n'),
            "{show:?}: bare CR"
        );
    }
    // Every reader ends exactly at the terminator with the same message.
    let mut trailing = wire.clone();
    trailing.extend_from_slice(b"+OK 1 2\r\n");
    for options in all_options() {
        let got = decode(&trailing, options);
        assert_eq!(
            got,
            (message(content), wire.len(), true),
            "{show:?} {options:?}"
        );
    }
    let lines: Vec<Vec<u8>> = crlf_lines(&message(content))
        .iter()
        .map(|l| l[..l.len() - 2].to_vec())
        .collect();
    assert_eq!(lf_reader(&trailing), Some((lines, wire.len())), "{show:?}");
    // The counter agrees, however it is fed (SPEC R12, R13).
    for size in [WireLen::of(content), count_chunks(&bytes)] {
        assert_eq!(
            size.message_size(),
            message(content).len() as u64,
            "{show:?}"
        );
        assert_eq!(size.wire_len(), wire.len() as u64, "{show:?}");
    }
}

// ------------------------------------------------------------ stuffer

#[test]
fn s9_issue_example_is_not_injected() {
    // The issue: with LF line ends the stuffer used to leave `.` unstuffed,
    // so poplib's retr() stopped at `body` and the next stat() read the
    // message's `+OK 99 99999` line as its reply.
    let content = b"Subject: hi\n\nbody\n.\r\n+OK 99 99999\r\n";
    let expected = b"Subject: hi\r\n\r\nbody\r\n..\r\n+OK 99 99999\r\n.\r\n";
    check_encoding(content, expected);
    let mut wire = expected.to_vec();
    wire.extend_from_slice(b"+OK 2 320\r\n");
    let (lines, consumed) = lf_reader(&wire).unwrap();
    assert_eq!(
        lines,
        [&b"Subject: hi"[..], b"", b"body", b".", b"+OK 99 99999"]
    );
    assert_eq!(&wire[consumed..], b"+OK 2 320\r\n");
}

#[test]
fn s9_maildir_message_with_lf_line_ends() {
    check_encoding(
        b"From: a\n\n.\n..x\n.hidden\nend\n",
        b"From: a\r\n\r\n..\r\n...x\r\n..hidden\r\nend\r\n.\r\n",
    );
}

#[test]
fn s9_line_end_known_answers() {
    for (content, wire) in [
        (&b""[..], &b".\r\n"[..]),
        (b"\n", b"\r\n.\r\n"),
        (b"\r\n", b"\r\n.\r\n"),
        (b"\n\n", b"\r\n\r\n.\r\n"),
        (b"\r\n\n", b"\r\n\r\n.\r\n"),
        (b"\n\r\n", b"\r\n\r\n.\r\n"),
        // A lone CR ends a line too (RFC 5321 §2.3.8), then the CRLF.
        (b"\r\r\n", b"\r\n\r\n.\r\n"),
        (b"Subject: x\r\r\n", b"Subject: x\r\n\r\n.\r\n"),
        (b"a\rb", b"a\r\nb\r\n.\r\n"),
        (b"a\r", b"a\r\n.\r\n"),
        (b"\r", b"\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b".\n", b"..\r\n.\r\n"),
        (b"\n.", b"\r\n..\r\n.\r\n"),
        (b".\n.\n", b"..\r\n..\r\n.\r\n"),
        (b"x\n.\n", b"x\r\n..\r\n.\r\n"),
        // A dot after a lone CR starts a line: stuffed, so that a reader
        // that splits on CR sees no terminator either.
        (b"a\r.", b"a\r\n..\r\n.\r\n"),
        (b"a\r\n.", b"a\r\n..\r\n.\r\n"),
        (b"\r.\n", b"\r\n..\r\n.\r\n"),
        (b"\n\r.", b"\r\n\r\n..\r\n.\r\n"),
        (
            b"line\r.\r\n+OK injected\r\n",
            b"line\r\n..\r\n+OK injected\r\n.\r\n",
        ),
    ] {
        check_encoding(content, wire);
    }
}

#[test]
fn s9_cr_at_chunk_end_and_lf_at_next_start_are_one_crlf() {
    let cases: [(&[&[u8]], &[u8]); 6] = [
        (&[b"a\r", b"."], b"a\r\n..\r\n.\r\n"),
        (&[b"a\r", b"\n."], b"a\r\n..\r\n.\r\n"),
        (&[b"a\r", b"\n", b"."], b"a\r\n..\r\n.\r\n"),
        (&[b"a\r", b"\r\n"], b"a\r\n\r\n.\r\n"),
        (&[b"a\n", b"."], b"a\r\n..\r\n.\r\n"),
        (&[b"\r", b"\n", b"\n"], b"\r\n\r\n.\r\n"),
    ];
    for (chunks, wire) in cases {
        assert_eq!(encode_chunks(chunks), wire, "{chunks:?}");
        let size = count_chunks(chunks);
        assert_eq!(size.wire_len(), wire.len() as u64, "{chunks:?}");
    }
}

#[test]
fn r15_content_ending_in_a_lone_cr() {
    // The trailing CR ends the last line: finish adds its LF only, so a
    // strict reader gets the content back with the CR as a line end.
    check_encoding(b"a\r", b"a\r\n.\r\n");
    check_encoding(b"\r", b"\r\n.\r\n");
    let (out, _, done) = decode(b"a\r\n.\r\n", BodyOptions::default());
    assert!(done);
    assert_eq!(out, b"a\r\n");
    let size = WireLen::of(b"a\r");
    assert_eq!((size.message_size(), size.wire_len()), (3, 6));
}

#[test]
fn s9_every_short_content_every_split() {
    // Every string of up to 7 bytes over the bytes that matter, checked
    // against the reference in every two- and three-way split.
    let alphabet = [b'\r', b'\n', b'.', b'a'];
    let mut content = Vec::new();
    for len in 0..=7u32 {
        for mut code in 0..4usize.pow(len) {
            content.clear();
            for _ in 0..len {
                content.push(alphabet[code % 4]);
                code /= 4;
            }
            check_encoding(&content, &reference_encode(&content));
        }
    }
}

#[test]
fn s9_events_at_every_block_offset() {
    // The fast path tests 64 bytes a step: put each kind of event at every
    // offset around the block edges, in content that is otherwise CRLF.
    for event in [&b"\n"[..], b"\n.", b"\r\n.", b"\r", b"\r.", b"\n\n."] {
        for offset in 0..200 {
            let mut content = Vec::new();
            for i in 0..offset {
                content.push(if i % 40 == 39 { b'\n' } else { b'x' });
            }
            content.extend_from_slice(event);
            content.extend_from_slice(&[b'y'; 70]);
            content.extend_from_slice(b"\r\n.z\r\nend\n");
            let expected = reference_encode(&content);
            let mut wire = Vec::new();
            encode_body(&content, &mut wire);
            assert_eq!(wire, expected, "{event:?} at {offset}");
            for size in [7, 64, 65] {
                let chunks: Vec<&[u8]> = content.chunks(size).collect();
                assert_eq!(encode_chunks(&chunks), expected, "{event:?} at {offset}");
                assert_eq!(count_chunks(&chunks).wire_len(), expected.len() as u64);
            }
        }
    }
}

// ------------------------------------------------------------ size

#[test]
fn r13_size_known_answers() {
    for (content, size, wire) in [
        (&b""[..], 0, 3),
        (b"a", 3, 6),
        (b"a\r\n", 3, 6),
        (b"a\n", 3, 6),
        (b".\r\n", 3, 7),
        (b"\n.\n.", 8, 13),
        (b"a\r", 3, 6),
        (b"a\rb", 6, 9),
    ] {
        let counter = WireLen::of(content);
        assert_eq!(counter.message_size(), size, "{content:?}");
        assert_eq!(counter.wire_len(), wire, "{content:?}");
    }
    // V1 (RFC 1939 §10) shape: a 120-octet message with CRLF line ends
    // reports 120, and with LF line ends the same 120.
    let mut crlf = b"Subject: x\r\n\r\n".to_vec();
    crlf.extend_from_slice(&[b'x'; 104]);
    crlf.extend_from_slice(b"\r\n");
    assert_eq!(crlf.len(), 120);
    let lf: Vec<u8> = crlf.iter().copied().filter(|&b| b != b'\r').collect();
    assert_eq!(WireLen::of(&crlf).message_size(), 120);
    assert_eq!(WireLen::of(&lf).message_size(), 120);
    let mut counter = WireLen::of(&lf);
    counter.reset();
    assert_eq!(counter.wire_len(), 3);
}

// ------------------------------------------------------------ TOP

/// TOP of `content` with `n` lines, fed whole, in two chunks at every
/// split point and byte by byte: all must give `expected`, and agree with
/// the references.
fn check_top(content: &[u8], n: u32, expected: &[u8]) {
    let show = String::from_utf8_lossy(content);
    let (cut, done) = reference_top_cut(content, n);
    let mut reference = Vec::new();
    encode_body(&reference_top(content, n), &mut reference);
    assert_eq!(reference, expected, "{show:?} TOP {n}: reference");
    let mut prefix = Vec::new();
    encode_body(&content[..cut], &mut prefix);
    assert_eq!(prefix, expected, "{show:?} TOP {n}: the cut");
    let bytes: Vec<&[u8]> = content.chunks(1).collect();
    let mut ways = vec![vec![content], bytes];
    for i in 0..=content.len() {
        let (a, b) = content.split_at(i);
        ways.push(vec![a, b]);
    }
    for chunks in ways {
        let (wire, consumed, got_done) = top_chunks(n, &chunks);
        assert_eq!(wire, expected, "{show:?} TOP {n} in {chunks:?}");
        assert_eq!(
            (consumed, got_done),
            (cut, done),
            "{show:?} TOP {n} in {chunks:?}"
        );
    }
}

#[test]
fn r31_top_known_answers() {
    let crlf = b"From: a\r\nSubject: b\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n";
    let lf = b"From: a\nSubject: b\n\nline 1\n.line 2\nline 3\n";
    let head = &b"From: a\r\nSubject: b\r\n\r\n"[..];
    for content in [&crlf[..], &lf[..]] {
        check_top(content, 0, &[head, b".\r\n"].concat());
        check_top(content, 1, &[head, b"line 1\r\n.\r\n"].concat());
        check_top(content, 2, &[head, b"line 1\r\n..line 2\r\n.\r\n"].concat());
        let whole = [head, b"line 1\r\n..line 2\r\nline 3\r\n.\r\n"].concat();
        check_top(content, 3, &whole);
        check_top(content, 4, &whole);
        check_top(content, u32::MAX, &whole);
    }
    // No blank line: all headers, the whole message whatever n.
    for n in [0, 1, 5] {
        check_top(
            b"From: a\r\nSubject: b\r\n",
            n,
            b"From: a\r\nSubject: b\r\n.\r\n",
        );
        check_top(b"From: a\nSubject: b", n, b"From: a\r\nSubject: b\r\n.\r\n");
    }
    // Empty message; a message that starts with the blank line.
    check_top(b"", 0, b".\r\n");
    check_top(b"", 3, b".\r\n");
    check_top(b"\r\nbody\r\nmore\r\n", 0, b"\r\n.\r\n");
    check_top(b"\nbody\nmore\n", 1, b"\r\nbody\r\n.\r\n");
    // A lone CR ends a line, as the encoder sends it: `S: x` CR CRLF is a
    // header line and the blank line.
    check_top(b"S: x\r\r\nT: y\r\n\r\nb\r\n", 0, b"S: x\r\n\r\n.\r\n");
    check_top(b"S: x\r\n\r\r\nb\r\n\r\nc\r\n", 0, b"S: x\r\n\r\n.\r\n");
    check_top(
        b"H: 1\rB: 2\r\rbody\r",
        1,
        b"H: 1\r\nB: 2\r\n\r\nbody\r\n.\r\n",
    );
    // A last line without a line end counts, and gets its CRLF.
    check_top(b"H: 1\n\nb1\nb2", 2, b"H: 1\r\n\r\nb1\r\nb2\r\n.\r\n");
    check_top(b"H: 1\n\nb1\r", 1, b"H: 1\r\n\r\nb1\r\n.\r\n");
    // Only what is needed: a dot line right after the last line sent is
    // not part of it.
    check_top(b"H: 1\n\n.\n.\n.\n", 1, b"H: 1\r\n\r\n..\r\n.\r\n");
}

/// Chunks, n, the expected output, the bytes of the last chunk consumed.
type TopCase<'a> = (&'a [&'a [u8]], u32, &'a [u8], usize);

#[test]
fn r31_top_across_chunks() {
    // The blank line split across chunks, CR and LF apart.
    let cases: [TopCase<'_>; 6] = [
        (&[b"H: 1\r\n\r", b"\nbody\r\n"], 0, b"H: 1\r\n\r\n.\r\n", 1),
        (
            &[b"H: 1\r\n", b"\r\n", b"b\r\n"],
            0,
            b"H: 1\r\n\r\n.\r\n",
            2,
        ),
        (&[b"H: 1\n", b"\n", b"b\n"], 1, b"H: 1\r\n\r\nb\r\n.\r\n", 2),
        (
            &[b"H: 1\r", b"\n\r", b"\nb\r", b"\nc"],
            1,
            b"H: 1\r\n\r\nb\r\n.\r\n",
            1,
        ),
        // The last needed line's CR ends a chunk: not done until the next
        // byte says whether an LF belongs to it.
        (&[b"H\n\nb\r", b"\n.more"], 1, b"H\r\n\r\nb\r\n.\r\n", 1),
        (&[b"H\n\nb\r", b".\n"], 1, b"H\r\n\r\nb\r\n.\r\n", 0),
    ];
    for (chunks, n, expected, last_consumed) in cases {
        let mut wire = Vec::new();
        let mut top = TopEncoder::new(n);
        let mut last = None;
        for c in chunks {
            let p = top.encode(c, &mut wire);
            last = Some(p);
            if p.done {
                break;
            }
        }
        let last = last.unwrap();
        assert!(last.done, "{chunks:?}");
        assert_eq!(last.consumed, last_consumed, "{chunks:?}");
        top.finish(&mut wire);
        assert_eq!(wire, expected, "{chunks:?}");
        // Ready for the next message, with the same n.
        assert_eq!(top.lines(), n);
        assert!(!top.is_done());
        let mut again = Vec::new();
        for c in chunks {
            if top.encode(c, &mut again).done {
                break;
            }
        }
        top.finish(&mut again);
        assert_eq!(again, expected);
    }
}

#[test]
fn r31_top_every_short_content() {
    let alphabet = [b'\r', b'\n', b'.', b'a'];
    let mut content = Vec::new();
    for len in 0..=6u32 {
        for mut code in 0..4usize.pow(len) {
            content.clear();
            for _ in 0..len {
                content.push(alphabet[code % 4]);
                code /= 4;
            }
            for n in 0..4 {
                let mut expected = Vec::new();
                encode_body(&reference_top(&content, n), &mut expected);
                check_top(&content, n, &expected);
            }
        }
    }
}

// ------------------------------------------------------------ properties

/// Message-like content: header-ish and body-ish pieces with every kind of
/// line end, blank lines and dots.
fn message_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![
            4 => Just(&b"\r\n"[..]),
            4 => Just(&b"\n"[..]),
            2 => Just(&b"\r"[..]),
            3 => Just(&b"."[..]),
            3 => Just(&b"Subject: x"[..]),
            1 => Just(&b"\r\n\r\n"[..]),
            1 => Just(&b"\n\n"[..]),
            2 => Just(&b"a"[..]),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn s9_encoding_matches_the_reference(content in message_bytes(), sizes in vec(1usize..80, 1..6)) {
        let expected = reference_encode(&content);
        prop_assert_eq!(encode_chunks(&split(&content, &sizes)), expected);
    }

    #[test]
    fn r13_wire_len_agrees_with_the_encoder(
        content in message_bytes(),
        encode_sizes in vec(1usize..80, 1..6),
        count_sizes in vec(1usize..80, 1..6),
    ) {
        // The counter and the encoder each fed their own chunking.
        let wire = encode_chunks(&split(&content, &encode_sizes));
        let size = count_chunks(&split(&content, &count_sizes));
        prop_assert_eq!(size.wire_len(), wire.len() as u64);
        let (decoded, consumed, done) = decode(&wire, BodyOptions::default());
        prop_assert!(done);
        prop_assert_eq!(consumed, wire.len());
        prop_assert_eq!(size.message_size(), decoded.len() as u64);
    }

    #[test]
    fn r31_top_split_invariance_and_reference(
        content in message_bytes(),
        n in prop_oneof![0u32..4, 0u32..40, Just(u32::MAX)],
        sizes in vec(1usize..30, 1..6),
    ) {
        let whole = top_chunks(n, &[&content]);
        let chunked = top_chunks(n, &split(&content, &sizes));
        prop_assert_eq!(&chunked, &whole);
        let mut expected = Vec::new();
        encode_body(&reference_top(&content, n), &mut expected);
        prop_assert_eq!(&whole.0, &expected);
        prop_assert_eq!((whole.1, whole.2), reference_top_cut(&content, n));
        // TOP with n at least the body's length is RETR.
        if n == u32::MAX {
            prop_assert_eq!(whole.0, reference_encode(&content));
        }
    }
}
