//! The search for line-starting dots that both directions share.

use bytes::BufMut;

/// Where scanned data goes: copied out, or nowhere (the borrowing and
/// zero-copy modes hand out slices of the input instead).
pub(super) trait Sink {
    fn put(&mut self, data: &[u8]);
}

pub(super) struct Copy<'o, B>(pub(super) &'o mut B);

impl<B: BufMut> Sink for Copy<'_, B> {
    #[inline(always)]
    fn put(&mut self, data: &[u8]) {
        self.0.put_slice(data);
    }
}

pub(super) struct NoCopy;

impl Sink for NoCopy {
    #[inline(always)]
    fn put(&mut self, _: &[u8]) {}
}

/// Bytes tested per step of [`scan_to_line_dot`].
const BLOCK: usize = 64;

/// Finds the first `.` of `input` that starts a line inside `input`: one
/// preceded by CRLF (or by LF alone when `lf_lines`), and writes the bytes
/// before it to `sink`; with no such dot, writes all of `input`. A dot at
/// the very start of `input` is not found: whether it starts a line depends
/// on what came before, which the callers track in their state.
///
/// Each step tests 64 positions for an LF followed by a dot in a
/// branch-free loop that the compiler turns into vector compares, and
/// copies the block in the same pass. Neither LF nor `.` is rare in text,
/// but the pair is, so only a block holding one is looked at byte by byte.
#[inline(always)]
pub(super) fn scan_to_line_dot(
    input: &[u8],
    lf_lines: bool,
    sink: &mut impl Sink,
) -> Option<usize> {
    let starts_line = |dot: usize| {
        input[dot] == b'.' && input[dot - 1] == b'\n' && (lf_lines || input[dot - 2] == b'\r')
    };
    if input.is_empty() {
        return None;
    }
    // `dot` is the first candidate: it needs 1 (LF) or 2 (CR LF) bytes
    // before it. Everything before `dot` has been written to the sink.
    let mut dot = (if lf_lines { 1 } else { 2 }).min(input.len());
    sink.put(&input[..dot]);
    while let (Some(before), Some(block)) = (
        input[dot - 1..].first_chunk::<BLOCK>(),
        input[dot..].first_chunk::<BLOCK>(),
    ) {
        let mut pairs = 0u8;
        for (b, a) in before.iter().zip(block) {
            pairs |= u8::from(*b == b'\n') & u8::from(*a == b'.');
        }
        if pairs != 0 {
            if let Some(found) = (dot..dot + BLOCK).find(|&d| starts_line(d)) {
                sink.put(&input[dot..found]);
                return Some(found);
            }
        }
        sink.put(block);
        dot += BLOCK;
    }
    let found = (dot..input.len()).find(|&d| starts_line(d));
    sink.put(&input[dot..found.unwrap_or(input.len())]);
    found
}
