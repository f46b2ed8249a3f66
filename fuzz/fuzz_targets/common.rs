//! Helpers shared by the fuzz targets (included with `mod common;`).
#![allow(dead_code)]

/// A position in `0..=len` picked by one input byte, spread over the range.
pub fn split_point(selector: u8, len: usize) -> usize {
    usize::from(selector) * len / 255
}

/// Tiny deterministic generator for chunk sizes (xorshift32).
pub struct Chunks {
    state: u32,
    max: usize,
}

impl Chunks {
    /// Chunk sizes in `1..=max`, from `seed`.
    pub fn new(seed: u32, max: usize) -> Self {
        Self {
            state: seed.wrapping_mul(0x9e37_79b9) | 1,
            max: max.max(1),
        }
    }

    /// The next chunk size.
    pub fn next_size(&mut self) -> usize {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        1 + (x as usize) % self.max
    }

    /// Splits `len` bytes into consecutive ranges.
    pub fn ranges(mut self, len: usize) -> Vec<core::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < len {
            let end = (at + self.next_size()).min(len);
            out.push(at..end);
            at = end;
        }
        out
    }
}

/// Asserts that `line` is one framed line: it ends in LF, has no other LF,
/// and ends in CRLF unless bare LF is allowed.
pub fn assert_one_line(line: &[u8], bare_lf: bool, what: &str) {
    assert_eq!(
        line.last(),
        Some(&b'\n'),
        "{what}: consumed bytes do not end in LF: {line:?}"
    );
    assert!(
        !line[..line.len() - 1].contains(&b'\n'),
        "{what}: consumed bytes hold more than one line: {line:?}"
    );
    if !bare_lf {
        assert!(
            line.ends_with(b"\r\n"),
            "{what}: line accepted without CRLF in strict mode: {line:?}"
        );
    }
}

/// Asserts what the framing layer promises for a count of consumed bytes.
pub fn assert_consumed(consumed: usize, rest: &[u8], what: &str) {
    assert!(consumed > 0, "{what}: consumed 0 bytes of {rest:?}");
    assert!(
        consumed <= rest.len(),
        "{what}: consumed {consumed} bytes but only {} were given",
        rest.len()
    );
}

/// Asserts the bytes of a `Discard(n)`: the rest of an over-long line, so
/// either through its LF or all of the input when the LF has not come yet.
pub fn assert_discard(n: usize, rest: &[u8]) {
    assert_consumed(n, rest, "Discard");
    let dropped = &rest[..n];
    if dropped.last() == Some(&b'\n') {
        assert!(
            !dropped[..n - 1].contains(&b'\n'),
            "Discard crosses a line end: {dropped:?}"
        );
    } else {
        assert_eq!(
            n,
            rest.len(),
            "Discard stops before the line end: {dropped:?}"
        );
        assert!(
            !dropped.contains(&b'\n'),
            "Discard crosses a line end: {dropped:?}"
        );
    }
}

/// Asserts the bytes of a `LineTooLong` error under `limit`.
pub fn assert_too_long(consumed: usize, rest: &[u8], limit: usize) {
    assert_consumed(consumed, rest, "LineTooLong");
    let dropped = &rest[..consumed];
    match memchr(b'\n', dropped) {
        Some(i) => {
            assert_eq!(
                i + 1,
                consumed,
                "LineTooLong crosses a line end: {dropped:?}"
            );
            assert!(
                consumed > limit,
                "line of {consumed} bytes refused under limit {limit}"
            );
        }
        None => {
            assert_eq!(
                consumed,
                rest.len(),
                "LineTooLong stops before the line end"
            );
            assert!(
                consumed >= limit,
                "partial line of {consumed} bytes refused under limit {limit}"
            );
        }
    }
}

pub fn memchr(b: u8, s: &[u8]) -> Option<usize> {
    s.iter().position(|&x| x == b)
}

/// Asserts that an encoded line holds CR and LF only in its final CRLF,
/// and no NUL.
pub fn assert_encoded_line(enc: &[u8], what: &dyn core::fmt::Debug) {
    assert!(
        enc.ends_with(b"\r\n"),
        "encoding of {what:?} does not end in CRLF: {enc:?}"
    );
    let body = &enc[..enc.len() - 2];
    assert!(
        !body.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)),
        "encoding of {what:?} holds CR, LF or NUL before its end: {enc:?}"
    );
}

/// Asserts that a `Debug` or `Display` rendering of peer data holds no
/// control character (log injection, SPEC S5).
pub fn assert_no_control(rendered: &str) {
    assert!(
        !rendered.chars().any(char::is_control),
        "rendering holds a control character: {rendered:?}"
    );
}

/// A decoder driven the way a caller drives it, recording what it decoded.
pub trait Feed {
    /// What one decoding step produced.
    type Event: PartialEq + core::fmt::Debug;
    /// Decodes what it can from `buf` (bytes not used by earlier calls, plus
    /// new ones) and returns how many bytes it used; `probe` asks for the
    /// extra checks on what stays after `Incomplete`.
    fn feed(&mut self, buf: &[u8], probe: bool) -> usize;
    /// Everything decoded so far.
    fn events(&self) -> &[Self::Event];
    /// Bytes used so far.
    fn consumed(&self) -> usize;
}

/// The whole input, two chunks cut where `split` says, and one byte at a
/// time must decode to the same events and use the same bytes.
pub fn assert_split_invariance<S: Feed>(new: impl Fn() -> S, data: &[u8], split: u8) {
    let mut whole = new();
    let used = whole.feed(data, true);
    assert_eq!(used, whole.consumed());

    // Two chunks: the caller keeps the unused bytes and appends the rest.
    let cut = split_point(split, data.len());
    let mut two = new();
    let first = two.feed(&data[..cut], true);
    let second = two.feed(&data[first..], true);
    assert_eq!(first + second, two.consumed());

    let mut bytes = new();
    let mut start = 0;
    for end in 1..=data.len() {
        start += bytes.feed(&data[start..end], false);
    }

    for (name, other) in [("two chunks", &two), ("byte by byte", &bytes)] {
        assert_eq!(
            whole.events(),
            other.events(),
            "{name} (cut at {cut}) decodes differently from whole input"
        );
        assert_eq!(
            whole.consumed(),
            other.consumed(),
            "{name} consumed differently"
        );
    }
}

/// Asserts what a refused line must look like. `too_long` for a
/// `LineTooLong` error; otherwise `bare_lf_error` says whether the error is
/// `BareLineFeed`, and `lenient` whether bare LF is allowed.
pub fn assert_refused(
    rest: &[u8],
    consumed: usize,
    limit: usize,
    too_long: bool,
    bare_lf_error: bool,
    lenient: bool,
) {
    if too_long {
        assert_too_long(consumed, rest, limit);
        return;
    }
    assert_consumed(consumed, rest, "Err");
    let line = &rest[..consumed];
    assert_one_line(line, true, "Err");
    assert!(
        consumed <= limit,
        "error for a line over the limit: {line:?}"
    );
    if bare_lf_error {
        assert!(!lenient, "BareLineFeed in lenient mode");
        assert!(!line.ends_with(b"\r\n"), "BareLineFeed for a CRLF line");
    } else {
        assert!(
            lenient || line.ends_with(b"\r\n"),
            "error for a bare-LF line in strict mode: {line:?}"
        );
    }
}

/// The `Expect` picked by `selector % 13`, every variant; `msg` for the
/// variants that name a message.
pub fn expect_of(selector: u8, msg: pop3_proto::types::MsgNumber) -> pop3_proto::types::Expect {
    use pop3_proto::types::Expect;
    match selector % 13 {
        0 => Expect::Greeting,
        1 => Expect::Status,
        2 => Expect::Challenge,
        3 => Expect::Stat,
        4 => Expect::Scan(msg),
        5 => Expect::Uid(msg),
        6 => Expect::Lang,
        7 => Expect::ScanListing,
        8 => Expect::UidListing,
        9 => Expect::Capabilities,
        10 => Expect::LangListing,
        11 => Expect::Mechanisms,
        _ => Expect::Message,
    }
}
