//! `CommandDecoder` driven the way a server drives it.
//!
//! Input: `[config, split, data...]`.
//! * `config` bits 0-1: which lines are read with `decode_sasl` instead of
//!   `decode` (never; always; every other line; the line after each
//!   `AUTH mechanism` without initial response, as in a real exchange).
//!   Bit 2: `bare_lf`. Bit 3: small `max_line`. Bit 4: small
//!   `max_sasl_line`. Bits 5-7: which small limit.
//! * `split`: where to cut `data` in two for the split-invariance check.
//!
//! Invariants: every consumed count is in `1..=remaining`; a decoded line is
//! exactly one line, within the limit, ending in CRLF in strict mode; the
//! decoded command has the keyword of its line; after `Incomplete` the rest
//! is a strict prefix of one line and the decoder resumes on it; and the
//! sequence of outcomes is the same whether the data comes whole, in two
//! chunks, or one byte at a time.
#![no_main]

mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use pop3_proto::codec::{CommandDecoder, CommandErrorKind, CommandOptions, Decoded};
use pop3_proto::types::{Command, CommandKind, SaslResponse};

const SMALL_LIMITS: [usize; 8] = [1, 2, 3, 4, 6, 8, 16, 40];

#[derive(Clone, Copy, Debug)]
enum Mode {
    Commands,
    Sasl,
    Alternate,
    AuthExchange,
}

/// One outcome, with the `Discard`s that follow a too-long line merged into
/// its error, as the framing of a too-long line depends on how it arrives.
#[derive(Clone, Debug, PartialEq)]
enum Event {
    Command(Command<'static>, usize),
    Sasl(SaslResponse<'static>, usize),
    Error {
        kind: CommandErrorKind,
        command: Option<CommandKind>,
        consumed: usize,
    },
}

struct Session {
    decoder: CommandDecoder,
    options: CommandOptions,
    mode: Mode,
    lines: usize,
    sasl_next: bool,
    events: Vec<Event>,
    consumed: usize,
}

impl Session {
    fn new(options: CommandOptions, mode: Mode) -> Self {
        Self {
            decoder: CommandDecoder::new(options),
            options,
            mode,
            lines: 0,
            sasl_next: false,
            events: Vec::new(),
            consumed: 0,
        }
    }

    fn sasl(&self) -> bool {
        match self.mode {
            Mode::Commands => false,
            Mode::Sasl => true,
            Mode::Alternate => self.lines % 2 == 1,
            Mode::AuthExchange => self.sasl_next,
        }
    }

    /// Decodes lines from `buf` until `Incomplete`; returns the bytes used.

    /// After `Incomplete`: `rest` must be the start of one line that the
    /// decoder resumes on, so `rest` + CRLF is read as one line, whole.
    fn check_incomplete(&self, rest: &[u8], sasl: bool) {
        let mut again = self.decoder.clone();
        let same = if sasl {
            again.decode_sasl(rest).map(|d| d.map(|_| ()))
        } else {
            again.decode(rest).map(|d| d.map(|_| ()))
        };
        assert_eq!(same, Ok(Decoded::Incomplete), "Incomplete is not stable");
        let mut line = rest.to_vec();
        line.extend_from_slice(b"\r\n");
        let used = match if sasl {
            again.decode_sasl(&line).map(|d| d.map(|_| ()))
        } else {
            again.decode(&line).map(|d| d.map(|_| ()))
        } {
            Ok(Decoded::Value { consumed, .. }) => consumed,
            Ok(Decoded::Discard(n)) => n,
            Ok(Decoded::Incomplete) => panic!("still Incomplete after CRLF: {line:?}"),
            Err(e) => e.consumed(),
        };
        assert_eq!(used, line.len(), "bytes lost after Incomplete on {rest:?}");
    }
}

impl common::Feed for Session {
    type Event = Event;

    fn feed(&mut self, buf: &[u8], probe: bool) -> usize {
        let mut off = 0;
        loop {
            let rest = &buf[off..];
            let sasl = self.sasl();
            let limit = if sasl {
                self.options.max_sasl_line
            } else {
                self.options.max_line
            };
            let outcome = if sasl {
                self.decoder
                    .decode_sasl(rest)
                    .map(|d| d.map(|v| (None, Some(v))))
            } else {
                self.decoder
                    .decode(rest)
                    .map(|d| d.map(|v| (Some(v.into_owned()), None)))
            };
            let n = match outcome {
                Ok(Decoded::Incomplete) => {
                    // A peer that never sends LF cannot make the caller
                    // buffer a whole limit's worth (SPEC S6).
                    assert!(
                        rest.len() < limit,
                        "Incomplete with {} bytes buffered, limit {limit}",
                        rest.len()
                    );
                    assert!(
                        !rest.contains(&b'\n'),
                        "Incomplete with a line end in {rest:?}"
                    );
                    if probe {
                        self.check_incomplete(rest, sasl);
                    }
                    return off;
                }
                Ok(Decoded::Value { value, consumed }) => {
                    assert_consumed(consumed, rest, "Value");
                    let line = &rest[..consumed];
                    assert_one_line(line, self.options.bare_lf, "Value");
                    assert!(
                        consumed <= limit,
                        "{consumed}-byte line accepted under limit {limit}"
                    );
                    match value {
                        (Some(command), _) => {
                            check_keyword(&command, line);
                            self.sasl_next = matches!(
                                command,
                                Command::Auth {
                                    initial_response: None,
                                    ..
                                }
                            );
                            self.events.push(Event::Command(command, consumed));
                        }
                        (_, Some(sasl)) => {
                            self.sasl_next = false;
                            self.events.push(Event::Sasl(sasl, consumed));
                        }
                        _ => unreachable!(),
                    }
                    self.lines += 1;
                    consumed
                }
                Ok(Decoded::Discard(n)) => {
                    assert_discard(n, rest);
                    match self.events.last_mut() {
                        Some(Event::Error {
                            kind: CommandErrorKind::LineTooLong { .. },
                            consumed,
                            ..
                        }) => *consumed += n,
                        other => {
                            panic!("Discard({n}) not after a too-long line but after {other:?}")
                        }
                    }
                    n
                }
                Err(e) => {
                    let consumed = e.consumed();
                    if let CommandErrorKind::LineTooLong { limit: l } = e.kind() {
                        assert_eq!(l, limit, "LineTooLong reports another limit");
                    }
                    assert_refused(
                        rest,
                        consumed,
                        limit,
                        matches!(e.kind(), CommandErrorKind::LineTooLong { .. }),
                        e.kind() == CommandErrorKind::BareLineFeed,
                        self.options.bare_lf,
                    );
                    assert_no_control(&e.to_string());
                    self.sasl_next = false;
                    self.lines += 1;
                    self.events.push(Event::Error {
                        kind: e.kind(),
                        command: e.command(),
                        consumed,
                    });
                    consumed
                }
            };
            off += n;
            self.consumed += n;
        }
    }

    fn events(&self) -> &[Event] {
        &self.events
    }

    fn consumed(&self) -> usize {
        self.consumed
    }
}

/// The decoded command must carry the keyword its line starts with.
fn check_keyword(command: &Command<'_>, line: &[u8]) {
    let content = line.strip_suffix(b"\n").unwrap();
    let content = content.strip_suffix(b"\r").unwrap_or(content);
    let keyword = content.split(|&b| b == b' ').next().unwrap_or_default();
    match command {
        Command::Other(other) => {
            assert_eq!(
                other.keyword().as_bytes(),
                keyword,
                "Other keyword differs from the line"
            );
            assert_eq!(
                CommandKind::from_keyword(keyword),
                None,
                "known keyword decoded as Other"
            );
        }
        known => {
            let k = known.kind().keyword().unwrap();
            assert!(
                k.as_bytes().eq_ignore_ascii_case(keyword),
                "{known:?} decoded from a line whose keyword is {keyword:?}"
            );
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let [config, split, data @ ..] = input else {
        return;
    };
    let mode = match config & 3 {
        0 => Mode::Commands,
        1 => Mode::Sasl,
        2 => Mode::Alternate,
        _ => Mode::AuthExchange,
    };
    let mut options = CommandOptions::default();
    options.bare_lf = config & 4 != 0;
    let small = SMALL_LIMITS[usize::from(config >> 5)];
    if config & 8 != 0 {
        options.max_line = small;
    }
    if config & 16 != 0 {
        options.max_sasl_line = small;
    }

    common::assert_split_invariance(|| Session::new(options, mode), data, *split);
});
