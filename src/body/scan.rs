//! The block scans that both directions share: 64 bytes a step, testing
//! each byte against the one before it.

use bytes::BufMut;

/// The `memmem` finder for an LF followed by a dot.
pub(super) fn line_dot_finder() -> memchr::memmem::Finder<'static> {
    memchr::memmem::Finder::new(b"\n.")
}

/// Where scanned data goes: copied out, counted, or nowhere (the borrowing
/// and zero-copy modes hand out slices of the input instead).
pub(super) trait Sink {
    /// True when the sink keeps the data (then the search and the copy are
    /// one pass); false when it drops it (then only the search runs).
    const COPIES: bool;
    fn put(&mut self, data: &[u8]);
}

pub(super) struct Copy<'o, B>(pub(super) &'o mut B);

impl<B: BufMut> Sink for Copy<'_, B> {
    const COPIES: bool = true;
    #[inline(always)]
    fn put(&mut self, data: &[u8]) {
        self.0.put_slice(data);
    }
}

pub(super) struct NoCopy;

impl Sink for NoCopy {
    const COPIES: bool = false;
    #[inline(always)]
    fn put(&mut self, _: &[u8]) {}
}

/// Adds up the length of what would have been written (for
/// [`WireLen`](super::WireLen), which must agree with the encoder byte for
/// byte, so it runs the encoder's own code with this sink).
pub(super) struct Count(pub(super) u64);

impl Sink for Count {
    const COPIES: bool = true;
    #[inline(always)]
    fn put(&mut self, data: &[u8]) {
        // A `usize` always fits in a `u64` on the targets Rust supports;
        // saturating keeps the count panic-free even so.
        let n = u64::try_from(data.len()).unwrap_or(u64::MAX);
        self.0 = self.0.saturating_add(n);
    }
}

/// Bytes tested per step of [`scan_pairs`].
const BLOCK: usize = 64;

/// How many scanned bytes a copying sink gets at once.
const BATCH: usize = 2048;

/// The shared loop: finds the first position `i >= first` of `input` where
/// `hit(i)` holds, and writes the bytes before it to `sink`; with no such
/// position, writes all of `input`. `first` must be at least 1.
///
/// `block_test(input[i - 1], input[i])` must be non-zero wherever `hit(i)`
/// holds (it may be non-zero elsewhere too: `hit` decides). It is evaluated
/// for 64 positions at a time in a branch-free loop that the compiler turns
/// into vector compares; only a block where it fires is looked at byte by
/// byte with `hit`. The bytes before the hit go to `sink` in one piece, so
/// a copying sink runs one `memcpy` per run of plain bytes, not one call
/// per block.
#[inline(always)]
fn scan_pairs<S: Sink>(
    input: &[u8],
    first: usize,
    block_test: impl Fn(u8, u8) -> u8,
    hit: impl Fn(usize) -> bool,
    sink: &mut S,
) -> Option<usize> {
    if input.is_empty() {
        return None;
    }
    // `at` is the next candidate; `first >= 1` and `input` is not empty,
    // so `at >= 1`.
    let mut at = first.max(1).min(input.len());
    // Written to `sink` so far: runs go out in batches, so that a copying
    // sink copies bytes the scan has just read (still in L1).
    let mut written = 0;
    while let (Some(before), Some(block)) = (
        input[at - 1..].first_chunk::<BLOCK>(),
        input[at..].first_chunk::<BLOCK>(),
    ) {
        let mut any = 0u8;
        for (b, a) in before.iter().zip(block) {
            any |= block_test(*b, *a);
        }
        if any != 0 {
            if let Some(found) = (at..at + BLOCK).find(|&i| hit(i)) {
                sink.put(&input[written..found]);
                return Some(found);
            }
        }
        at += BLOCK;
        if S::COPIES && at - written >= BATCH {
            sink.put(&input[written..at]);
            written = at;
        }
    }
    let found = (at..input.len()).find(|&i| hit(i));
    sink.put(&input[written..found.unwrap_or(input.len())]);
    found
}

/// Finds the first `.` of `input` that starts a line inside `input`: one
/// preceded by CRLF (or by LF alone when `lf_lines`), and writes the bytes
/// before it to `sink`; with no such dot, writes all of `input`. A dot at
/// the very start of `input` is not found: whether it starts a line depends
/// on what came before, which the callers track in their state.
///
/// Neither LF nor `.` is rare in text, but the pair is. When the data is
/// copied, the block test is "LF followed by `.`" and each block is copied
/// in the same pass. When it is not (the borrowing and zero-copy modes),
/// `finder` (a `memmem` finder for LF `.`, whose vector search tests both
/// bytes at once) skips to each pair.
#[inline(always)]
pub(super) fn scan_to_line_dot<S: Sink>(
    input: &[u8],
    lf_lines: bool,
    finder: &memchr::memmem::Finder<'static>,
    sink: &mut S,
) -> Option<usize> {
    let starts_line = |dot: usize| {
        input[dot] == b'.' && input[dot - 1] == b'\n' && (lf_lines || input[dot - 2] == b'\r')
    };
    // A dot needs 1 (LF) or 2 (CR LF) bytes before it.
    let first = if lf_lines { 1 } else { 2 };
    if !S::COPIES {
        let mut from = 0;
        while let Some(i) = finder.find(&input[from..]) {
            let dot = from + i + 1;
            if dot >= first && starts_line(dot) {
                sink.put(&input[..dot]);
                return Some(dot);
            }
            from = dot;
        }
        sink.put(input);
        return None;
    }
    scan_pairs(
        input,
        first,
        |b, a| u8::from(b == b'\n') & u8::from(a == b'.'),
        starts_line,
        sink,
    )
}

/// The encoder's test of a byte `at` against the byte `before` it: non-zero
/// for an LF not preceded by CR (it needs a CR put in front), for any byte
/// after a CR that is not an LF (the CR needs its LF), and for a `.`
/// preceded by LF (it starts a line and needs stuffing; the LF is part of a
/// CRLF, or it would have been found first). The first two are one test:
/// "LF here" differs from "CR before".
#[inline(always)]
fn encoder_event(before: u8, at: u8) -> u8 {
    (u8::from(at == b'\n') ^ u8::from(before == b'\r'))
        | (u8::from(at == b'.') & u8::from(before == b'\n'))
}

/// Finds the first position of `input`, from index 1 on, where the encoder
/// must do more than copy (see [`encoder_event`]), and writes the bytes
/// before it to `sink`; with none, writes all of `input`. Index 0 is not
/// tested: what it needs depends on the byte before `input`, which the
/// encoder tracks in its state.
///
/// Content with CRLF line ends has only its dot lines as events.
#[inline(always)]
pub(super) fn scan_to_encoder_event(input: &[u8], sink: &mut impl Sink) -> Option<usize> {
    scan_pairs(
        input,
        1,
        encoder_event,
        |i| encoder_event(input[i - 1], input[i]) != 0,
        sink,
    )
}
