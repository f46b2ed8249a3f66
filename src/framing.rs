//! Line framing (crate-internal): a resumable scanner that finds the end of the next line
//! and enforces a length limit while the line is still arriving.
//!
//! The scanner works on a buffer you own. It remembers how far it looked, so
//! feeding a line one byte at a time costs linear time in total (SPEC S6),
//! and it fails as soon as the buffered part of a line exceeds the limit, so
//! a peer that never sends CRLF cannot make anyone buffer more than the limit.

/// The outcome of a decoding step that did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Decoded<T> {
    /// `value` was read from the first `consumed` bytes of the input: drop
    /// them (after you are done with `value`, which may borrow them) and call
    /// again for the next value.
    Value {
        /// The decoded value.
        value: T,
        /// How many bytes of the input it used.
        consumed: usize,
    },
    /// The input ends inside a line. Read more, then call again with these
    /// bytes still at the front. This is never an error: every strict prefix
    /// of a valid line is incomplete.
    Incomplete,
    /// Drop the first `n` bytes and call again: they carried nothing to
    /// report (the rest of a line already reported as refused, a
    /// dot-stuffing `.` of a message body, a skipped empty line).
    Discard(usize),
}

impl<T> Decoded<T> {
    /// Maps the value, keeping `consumed`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Decoded<U> {
        match self {
            Self::Value { value, consumed } => Decoded::Value {
                value: f(value),
                consumed,
            },
            Self::Incomplete => Decoded::Incomplete,
            Self::Discard(n) => Decoded::Discard(n),
        }
    }
}

/// Why the scanner refused a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FramingError {
    /// The line is longer than the limit (CRLF included). Drop `consumed`
    /// bytes; if the end of the line has not arrived yet, the scanner
    /// discards the rest of it as it arrives ([`Decoded::Discard`]).
    #[error("line longer than {limit} octets")]
    TooLong {
        /// The limit in force.
        limit: usize,
        /// Bytes to drop from the front of the input.
        consumed: usize,
    },
    /// The line ends in LF without CR, and bare LF is not allowed. Drop
    /// `consumed` bytes (the line and its LF).
    #[error("line ends in a bare LF")]
    BareLineFeed {
        /// Bytes to drop from the front of the input.
        consumed: usize,
    },
}

impl FramingError {
    /// How many bytes to drop from the front of the input.
    pub(crate) fn consumed(&self) -> usize {
        match *self {
            Self::TooLong { consumed, .. } | Self::BareLineFeed { consumed } => consumed,
        }
    }
}

/// A resumable line scanner with a limit.
///
/// Call [`scan`](Self::scan) with the buffered input, which must start at the
/// start of a line. After [`Decoded::Incomplete`], call again with the same
/// bytes plus whatever arrived since: the scanner resumes where it stopped.
#[derive(Clone, Debug)]
pub(crate) struct LineScanner {
    limit: usize,
    bare_lf: bool,
    /// Bytes of the current line already searched for LF.
    scanned: usize,
    /// The current line was reported too long; drop input up to its LF.
    discarding: bool,
}

impl LineScanner {
    /// A scanner for lines of at most `limit` octets, CRLF included, that
    /// end in CRLF.
    pub(crate) const fn new(limit: usize) -> Self {
        Self {
            limit,
            bare_lf: false,
            scanned: 0,
            discarding: false,
        }
    }

    /// Whether a bare LF also ends a line (lenient mode, SPEC §7.1).
    pub(crate) const fn with_bare_lf(mut self, allow: bool) -> Self {
        self.bare_lf = allow;
        self
    }

    /// The limit in force.
    pub(crate) const fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the limit for the lines that follow (and for the current one
    /// if it is incomplete).
    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// True while the rest of a refused line is being dropped.
    pub(crate) fn is_discarding(&self) -> bool {
        self.discarding
    }

    /// Drops the current line through its LF, as it arrives: every scan
    /// answers [`Decoded::Discard`] until then.
    pub(crate) fn discard_line(&mut self) {
        self.scanned = 0;
        self.discarding = true;
    }

    /// True when no line is partly scanned or being discarded.
    pub(crate) fn is_fresh(&self) -> bool {
        self.scanned == 0 && !self.discarding
    }

    /// Forgets any partial scan, as if the next input started afresh.
    pub(crate) fn reset(&mut self) {
        self.scanned = 0;
        self.discarding = false;
    }

    /// Looks for the end of the line at the start of `input`.
    ///
    /// On [`Decoded::Value`], `value` is the length of the line's content
    /// (without CRLF) and `consumed` its length with the line ending.
    ///
    /// # Errors
    ///
    /// [`FramingError::TooLong`] as soon as the line cannot fit the limit,
    /// and [`FramingError::BareLineFeed`] for a line ending in LF alone in
    /// strict mode.
    #[inline]
    pub(crate) fn scan(&mut self, input: &[u8]) -> Result<Decoded<usize>, FramingError> {
        // The common case first, in few instructions: a whole CRLF line at
        // the start of fresh input.
        if self.is_fresh() {
            let window = &input[..input.len().min(self.limit)];
            if let Some(lf) = crate::ascii::find_byte(window, b'\n') {
                if lf > 0 && input[lf - 1] == b'\r' {
                    return Ok(Decoded::Value {
                        value: lf - 1,
                        consumed: lf + 1,
                    });
                }
            }
        }
        self.scan_slow(input)
    }

    /// Everything but a whole CRLF line in fresh input: partial lines,
    /// bare LF, over-long lines and discarding.
    #[inline(never)]
    fn scan_slow(&mut self, input: &[u8]) -> Result<Decoded<usize>, FramingError> {
        if self.discarding {
            return Ok(match crate::ascii::find_byte(input, b'\n') {
                Some(i) => {
                    self.discarding = false;
                    Decoded::Discard(i + 1)
                }
                None if input.is_empty() => Decoded::Incomplete,
                None => Decoded::Discard(input.len()),
            });
        }
        if input.is_empty() {
            // Nothing to look at (and nothing to refuse, whatever the limit).
            return Ok(Decoded::Incomplete);
        }
        if input.len() < self.scanned {
            // Not the same line plus more, as the contract asks: the input
            // was replaced, so scan it from the start rather than skip bytes.
            self.scanned = 0;
        }
        let window = input.len().min(self.limit);
        let from = self.scanned.min(window);
        if let Some(i) = crate::ascii::find_byte(&input[from..window], b'\n') {
            let lf = from + i;
            self.scanned = 0;
            let content = if lf > 0 && input[lf - 1] == b'\r' {
                lf - 1
            } else if self.bare_lf {
                lf
            } else {
                return Err(FramingError::BareLineFeed { consumed: lf + 1 });
            };
            return Ok(Decoded::Value {
                value: content,
                consumed: lf + 1,
            });
        }
        if input.len() < self.limit {
            self.scanned = input.len();
            return Ok(Decoded::Incomplete);
        }
        // No LF within the limit: the line is too long. Drop it through its
        // LF if that is here already, else drop all and discard until it is.
        self.scanned = 0;
        let consumed = match memchr::memchr(b'\n', &input[window..]) {
            Some(i) => window + i + 1,
            None => {
                self.discarding = true;
                input.len()
            }
        };
        Err(FramingError::TooLong {
            limit: self.limit,
            consumed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_crlf_lines() {
        let mut s = LineScanner::new(255);
        assert_eq!(
            s.scan(b"STAT\r\nLIST"),
            Ok(Decoded::Value {
                value: 4,
                consumed: 6
            })
        );
        assert_eq!(s.scan(b"LIST"), Ok(Decoded::Incomplete));
    }

    #[test]
    fn limit_counts_crlf_r04() {
        let mut line = alloc::vec![b'a'; 253];
        line.extend_from_slice(b"\r\n");
        let mut s = LineScanner::new(255);
        assert_eq!(
            s.scan(&line),
            Ok(Decoded::Value {
                value: 253,
                consumed: 255
            })
        );
        line.insert(0, b'a');
        assert_eq!(
            s.scan(&line),
            Err(FramingError::TooLong {
                limit: 255,
                consumed: 256
            })
        );
    }

    #[test]
    fn one_megabyte_one_byte_at_a_time_s6() {
        // The scanner fails once the limit is reached and then discards,
        // so nothing beyond the limit ever needs to be buffered.
        let mut s = LineScanner::new(512);
        let mut buffered = 0usize;
        let mut errors = 0;
        let mut max_buffered = 0;
        for i in 0..1_000_000usize {
            buffered += 1;
            max_buffered = max_buffered.max(buffered);
            let input = alloc::vec![b'x'; buffered];
            match s.scan(&input[..]) {
                Ok(Decoded::Incomplete) => {}
                Ok(Decoded::Discard(n)) => buffered -= n,
                Err(e) => {
                    errors += 1;
                    buffered -= e.consumed();
                }
                Ok(Decoded::Value { .. }) => panic!("no line at {i}"),
            }
            if i > 2000 {
                // Keep the test fast: the steady state is reached.
                break;
            }
        }
        assert_eq!(errors, 1);
        assert!(max_buffered <= 512);
        // The line's end resynchronises: the next line is read normally.
        assert_eq!(s.scan(b"yy\r\nSTAT\r\n"), Ok(Decoded::Discard(4)));
        assert_eq!(
            s.scan(b"STAT\r\n"),
            Ok(Decoded::Value {
                value: 4,
                consumed: 6
            })
        );
    }

    #[test]
    fn empty_input_is_incomplete_even_with_a_zero_limit() {
        let mut s = LineScanner::new(0);
        assert_eq!(s.scan(b""), Ok(Decoded::Incomplete));
        assert_eq!(
            s.scan(b"STAT\r\n"),
            Err(FramingError::TooLong {
                limit: 0,
                consumed: 6
            })
        );
        assert_eq!(s.scan(b""), Ok(Decoded::Incomplete));
    }

    #[test]
    fn bare_lf_policy_r01() {
        let mut strict = LineScanner::new(255);
        assert_eq!(
            strict.scan(b"NOOP\n"),
            Err(FramingError::BareLineFeed { consumed: 5 })
        );
        let mut lenient = LineScanner::new(255).with_bare_lf(true);
        assert_eq!(
            lenient.scan(b"NOOP\n"),
            Ok(Decoded::Value {
                value: 4,
                consumed: 5
            })
        );
    }
}
