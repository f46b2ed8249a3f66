//! The response decoder: everything a server sends, bodies included,
//! framed and parsed.

use super::Decoded;
use super::base64::Base64Error;
use super::command::{DEFAULT_RESPONSE_LINE, DEFAULT_SASL_LINE};
use super::parse;
use crate::body::{BodyDecoder, BodyOptions, Chunk, ZeroCopyBuf};
use crate::framing::{FramingError, LineScanner};
use crate::types::{Entry, Expect, Greeting, MsgNumber, Response, StatusKind};
use bytes::{BufMut, Bytes};

/// The smallest line limit a [`ResponseDecoder`] applies: `+OK` CRLF.
pub const MIN_RESPONSE_LINE: usize = 5;

/// Options of a [`ResponseDecoder`]. The defaults are strict where
/// strictness protects the user; each leniency is a named option, off by
/// default, with a test built from the bytes of the server that needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseOptions {
    /// Longest status, listing or CAPA line, CRLF included. Default 512
    /// (RFC 2449 §4, SPEC R05), at least [`MIN_RESPONSE_LINE`]. Lines of a
    /// message body have no limit.
    pub max_line: usize,
    /// Longest SASL challenge line (`+ base64`), CRLF included. Default
    /// 64 KiB, at least [`MIN_RESPONSE_LINE`]. Only continuation lines get it: a `+OK` or `-ERR` line that
    /// ends an AUTH exchange is held to [`max_line`](Self::max_line).
    pub max_sasl_line: usize,
    /// A bare LF ends a line, in status lines, listings and message bodies
    /// alike, so `LF . LF` also ends a body (Mailtrap, SPEC §7.1). Default
    /// `false`: a status or listing line ending in a bare LF is a
    /// [`ResponseErrorKind::BareLineFeed`] error, and inside a body a bare
    /// LF is content. This is the same rule as
    /// [`CommandOptions::bare_lf`](super::CommandOptions::bare_lf).
    pub bare_lf: bool,
    /// The `.` that ends a body may be followed by a bare LF: `CRLF . LF`
    /// ends the body (MailKit accepts this, SPEC §7.1). Default `false`.
    pub bare_lf_terminator: bool,
    /// Accept `+ok` and `-err` in any case (RFC 1939 §3 lets clients be
    /// lenient, SPEC R06). Default `false`.
    pub any_case_status: bool,
    /// Skip empty lines where a reply may start, instead of reporting them
    /// (Office 365 sends them, SPEC §7.11). Default `false`. Empty lines
    /// inside a listing are still errors, and inside a body they are
    /// content.
    pub skip_empty_lines: bool,
    /// Accept a `+ ` challenge whose base64 leaves out the `=` padding
    /// (curl's test server sends OAUTHBEARER's error challenge so, SPEC
    /// V8). Default `false`: RFC 5034 §4 and SPEC R55 want padded base64,
    /// and an unpadded challenge is
    /// [`ResponseErrorKind::InvalidBase64`], which the client answers with
    /// `*`.
    pub unpadded_challenges: bool,
}

with_setters!(ResponseOptions {
    with_max_line => max_line: usize,
    with_max_sasl_line => max_sasl_line: usize,
    with_bare_lf => bare_lf: bool,
    with_bare_lf_terminator => bare_lf_terminator: bool,
    with_any_case_status => any_case_status: bool,
    with_skip_empty_lines => skip_empty_lines: bool,
    with_unpadded_challenges => unpadded_challenges: bool,
});

impl Default for ResponseOptions {
    fn default() -> Self {
        Self {
            max_line: DEFAULT_RESPONSE_LINE,
            max_sasl_line: DEFAULT_SASL_LINE,
            bare_lf: false,
            bare_lf_terminator: false,
            any_case_status: false,
            skip_empty_lines: false,
            unpadded_challenges: false,
        }
    }
}

impl ResponseOptions {
    /// The body options these imply.
    fn body(&self) -> BodyOptions {
        BodyOptions::default()
            .with_bare_lf_lines(self.bare_lf)
            .with_bare_lf_terminator(self.bare_lf_terminator)
    }
}

/// The grammar element a malformed line failed to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Syntax {
    /// `+OK`/`-ERR` status line.
    StatusLine,
    /// The greeting.
    Greeting,
    /// `+ base64` challenge.
    Challenge,
    /// STAT reply.
    DropListing,
    /// LIST reply or line.
    ScanListing,
    /// UIDL reply or line.
    UidListing,
    /// LANG reply or line.
    LangListing,
    /// CAPA line.
    Capability,
    /// Bare-AUTH line.
    Mechanism,
}

impl core::fmt::Display for Syntax {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::StatusLine => "status line",
            Self::Greeting => "greeting",
            Self::Challenge => "SASL challenge",
            Self::DropListing => "drop listing",
            Self::ScanListing => "scan listing",
            Self::UidListing => "unique-id listing",
            Self::LangListing => "language listing",
            Self::Capability => "capability",
            Self::Mechanism => "mechanism list line",
        })
    }
}

/// Why a response line was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseErrorKind {
    /// The line is longer than the limit (SPEC R05, S6).
    #[error("response line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The line ends in LF without CR.
    #[error("response line ends in a bare LF")]
    BareLineFeed,
    /// The line does not match the grammar expected here.
    #[error("malformed {0}")]
    Malformed(Syntax),
    /// The reply to `LIST msg` or `UIDL msg` names another message
    /// (SPEC V14: `+OK 99 101` for `UIDL 1`).
    #[error("reply is for message {found}, not {expected}")]
    WrongMessage {
        /// The message asked for.
        expected: MsgNumber,
        /// The message in the reply.
        found: MsgNumber,
    },
    /// A challenge is not valid base64 (SPEC R55: the client answers `*`).
    #[error("invalid base64 in challenge: {0}")]
    InvalidBase64(Base64Error),
    /// Bytes arrived while no reply was pending (SPEC S5): no command is
    /// waiting for them, so they are not read as a reply to anything.
    /// [`consumed`](ResponseError::consumed) covers the line as far as it
    /// has arrived; the decoder drops the rest of it as it comes.
    #[error("server sent data while no reply was pending")]
    Unsolicited,
    /// The connection ended inside a reply: before its first line was
    /// complete, inside a listing, or inside a message body (SPEC R14: a
    /// multi-line reply cut short is an error, never a short reply).
    #[error("connection closed in the middle of a reply")]
    UnexpectedEof,
}

/// Input the decoder refused. Drop [`consumed`](Self::consumed) bytes and
/// call again: the decoder stays usable and in step with the reply stream.
///
/// Where the refused line leaves the reply: a bad line inside a listing
/// leaves the listing open (the caller may skip it and go on); a refused
/// first line ends the reply, unless it started with `+OK` and the reply is
/// multi-line, in which case the listing or body still follows (see
/// [`status`](Self::status)); a bad challenge leaves the AUTH exchange
/// open. Either way the decoder says so itself with
/// [`ResponseEvent::End`] when the reply is over.
///
/// A refused line ends where its LF is, whatever the line-end rule: a
/// strict decoder refuses `+OK` LF to RETR as a bare-LF line, and the body
/// then starts after that LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ResponseError {
    kind: ResponseErrorKind,
    consumed: usize,
    status: Option<StatusKind>,
}

impl ResponseError {
    /// Why the line was refused.
    pub fn kind(&self) -> ResponseErrorKind {
        self.kind
    }

    /// How many bytes to drop from the front of the input.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The status the refused line started with, if it was the first line
    /// of a reply and started with `+OK` or `-ERR`.
    ///
    /// A `+OK` here means that the server did answer with success and that
    /// a multi-line reply may follow even though this line was bad: for a
    /// listing the decoder has already entered it, and after RETR or TOP
    /// it reads the message body next. The rest of the refused line is
    /// dropped inside the decoder, never read as part of what follows.
    pub fn status(&self) -> Option<StatusKind> {
        self.status
    }
}

/// One step of a reply stream, as [`ResponseDecoder`] yields it.
///
/// Every reply is one or more events ending with [`End`](Self::End):
///
/// * a single-line reply: `Line` (the status, greeting, STAT, ... line),
///   then `End`;
/// * a listing (bare LIST, UIDL, CAPA, LANG, AUTH): `Line` with the `+OK`
///   status, one `Line` with a [`Response::Entry`] per entry, then `End`
///   for the `.` line;
/// * a message (RETR, TOP): `Line` with the `+OK` status, `Data` pieces of
///   the message with the dot-stuffing removed, then `End` for the
///   terminator;
/// * an AUTH exchange: a `Line` with a [`Response::Challenge`] per
///   continuation (answer it, the reply is not over), then the final
///   status `Line`, then `End`.
///
/// `D` is how body data is handed out: a slice of the input
/// ([`ResponseDecoder::decode`]), a count of bytes appended to the
/// caller's buffer ([`ResponseDecoder::decode_into`]), or a zero-copy
/// [`Bytes`] ([`ResponseDecoder::decode_bytes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseEvent<'a, D = &'a [u8]> {
    /// A line of the reply.
    Line(Response<'a>),
    /// The next piece of a RETR or TOP message, unstuffed. Pieces are
    /// never empty, except in copy mode when the caller's buffer is full.
    /// In the borrowing and zero-copy modes a piece is a slice of the
    /// input, with one exception: a CR that ended an earlier input right
    /// after a line's leading `.` (it might have begun the terminator)
    /// comes out as a static one-byte piece once the next byte shows it
    /// was content.
    Data(D),
    /// The reply is complete: the command it answers is done. This is the
    /// one signal on which a client pops its queue of pending commands.
    End,
}

impl<'a, D> ResponseEvent<'a, D> {
    /// The line, for a [`Line`](Self::Line) event.
    pub fn line(&self) -> Option<&Response<'a>> {
        match self {
            Self::Line(response) => Some(response),
            _ => None,
        }
    }

    /// True for [`End`](Self::End).
    pub fn is_end(&self) -> bool {
        matches!(self, Self::End)
    }
}

/// API misuse reported by [`ResponseDecoder::expect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpectError {
    /// A reply is still pending or in progress; its
    /// [`ResponseEvent::End`] has not been taken yet. The pending
    /// expectation is unchanged.
    #[error("a reply is still pending: take its End event first")]
    ReplyPending,
}

/// Which multi-line listing the decoder is inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Listing {
    Scan,
    Uid,
    Capabilities,
    Lang,
    Mechanisms,
}

/// Where the decoder is in the reply stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No reply is pending: bytes are unsolicited.
    Idle,
    /// A reply of this shape is pending and its first line (or, in an
    /// AUTH exchange, its next line) has not been read.
    First(Expect),
    /// Inside a multi-line listing.
    Listing(Listing),
    /// Inside a message body.
    Body,
    /// The reply's last line has been read; the next call yields `End`.
    Ending,
}

/// A line-level step, before body data is typed for the caller's mode.
enum Step<'a> {
    Line(Response<'a>),
    End,
}

impl<'a, D> From<Step<'a>> for ResponseEvent<'a, D> {
    fn from(step: Step<'a>) -> Self {
        match step {
            Step::Line(line) => Self::Line(line),
            Step::End => Self::End,
        }
    }
}

/// Decodes everything a server sends: greetings, status lines, listings,
/// SASL challenges and message bodies, one event at a time.
///
/// The caller supplies what the pending reply is, once, at each reply
/// boundary: [`expect`](Self::expect) with the [`Expect`] of the oldest
/// command not yet answered (from [`Command::expect`](crate::types::Command::expect);
/// [`Expect::Greeting`] right after connecting). The decoder then yields
/// [`ResponseEvent`]s until the reply's [`ResponseEvent::End`], after which
/// nothing is pending until the next `expect`: bytes that arrive then are an
/// [`Unsolicited`](ResponseErrorKind::Unsolicited) error (SPEC S5).
///
/// Input works as in `httparse`: pass the buffered bytes, drop what the
/// result says was consumed, and call again; [`Decoded::Incomplete`] means
/// "read more, then call again with these bytes still at the front". Every
/// limit is enforced while a line is still arriving, and the time spent is
/// linear in the input however it is chunked.
///
/// A pipelined RETR and STAT, decoded from one read:
///
/// ```
/// use pop3_proto::codec::{Decoded, ResponseDecoder, ResponseEvent};
/// use pop3_proto::types::{Command, DropListing, MsgNumber, Response};
/// use std::collections::VecDeque;
///
/// let mut pending: VecDeque<Command> = [Command::Retr(MsgNumber::ONE), Command::Stat].into();
/// let input = b"+OK 21 octets\r\nSubject: hi\r\n\r\n..dot\r\n.\r\n+OK 1 21\r\n";
///
/// let mut decoder = ResponseDecoder::default();
/// decoder.expect(pending[0].expect()).unwrap();
/// let (mut at, mut message, mut stat) = (0, Vec::new(), None);
/// loop {
///     match decoder.decode(&input[at..]) {
///         Ok(Decoded::Value { value, consumed }) => {
///             at += consumed;
///             match value {
///                 ResponseEvent::Data(piece) => message.extend_from_slice(piece),
///                 ResponseEvent::Line(Response::Stat(s)) => stat = Some(s),
///                 ResponseEvent::Line(_) => {}
///                 ResponseEvent::End => {
///                     pending.pop_front();
///                     if let Some(next) = pending.front() {
///                         decoder.expect(next.expect()).unwrap();
///                     }
///                 }
///                 _ => {}
///             }
///         }
///         Ok(Decoded::Discard(n)) => at += n,
///         Ok(Decoded::Incomplete) => break, // read more
///         Err(e) => at += e.consumed(),      // report it, and go on
///     }
/// }
/// assert_eq!(message, b"Subject: hi\r\n\r\n.dot\r\n");
/// assert_eq!(stat, Some(DropListing { count: 1, size: 21 }));
/// assert!(pending.is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct ResponseDecoder {
    options: ResponseOptions,
    scanner: LineScanner,
    state: State,
    body: BodyDecoder,
}

impl Default for ResponseDecoder {
    fn default() -> Self {
        Self::new(ResponseOptions::default())
    }
}

impl ResponseDecoder {
    /// A decoder with these options, with no reply pending.
    ///
    /// A `max_line` below [`MIN_RESPONSE_LINE`] (the shortest reply line,
    /// `+OK` CRLF) acts as that minimum, and so does a `max_sasl_line`
    /// below it: a smaller limit would refuse every reply, and could not
    /// even show whether a refused line said `+OK`.
    pub fn new(mut options: ResponseOptions) -> Self {
        options.max_line = options.max_line.max(MIN_RESPONSE_LINE);
        options.max_sasl_line = options.max_sasl_line.max(MIN_RESPONSE_LINE);
        Self {
            options,
            scanner: LineScanner::new(options.max_line).with_bare_lf(options.bare_lf),
            state: State::Idle,
            body: BodyDecoder::with_options(options.body()),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &ResponseOptions {
        &self.options
    }

    /// Says what the next reply answers. Call it once per reply: when the
    /// first command is sent (or with [`Expect::Greeting`] on connecting),
    /// and after each [`ResponseEvent::End`] while commands are still
    /// waiting for their replies.
    ///
    /// # Errors
    ///
    /// [`ExpectError::ReplyPending`] if a reply is pending or in progress.
    pub fn expect(&mut self, expect: Expect) -> Result<(), ExpectError> {
        if self.state != State::Idle {
            return Err(ExpectError::ReplyPending);
        }
        self.state = State::First(expect);
        Ok(())
    }

    /// The reply whose first line is awaited, if any: from
    /// [`expect`](Self::expect) until that line, and in an AUTH exchange
    /// until its final status line (a challenge leaves it pending).
    pub fn pending(&self) -> Option<Expect> {
        match self.state {
            State::First(expect) => Some(expect),
            _ => None,
        }
    }

    /// True when no reply is pending or in progress: the last reply's
    /// [`ResponseEvent::End`] has been taken and [`expect`](Self::expect)
    /// has not been called since.
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    /// True between the `+OK` of a multi-line listing and its `.`.
    pub fn in_listing(&self) -> bool {
        matches!(self.state, State::Listing(_))
    }

    /// True between the `+OK` of RETR or TOP and the end of the message.
    pub fn in_body(&self) -> bool {
        self.state == State::Body
    }

    /// Forgets the reply in progress, any partial line and any pending
    /// expectation, as after STLS (SPEC S2: nothing read before TLS is
    /// carried over) or a reconnect.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.scanner.reset();
        self.body.reset();
    }

    /// Call when the server has closed the connection, after
    /// [`decode`](Self::decode) (or another mode) answered
    /// [`Decoded::Incomplete`].
    ///
    /// # Errors
    ///
    /// [`ResponseErrorKind::UnexpectedEof`] when a reply is pending or in
    /// progress (SPEC R14).
    pub fn finish(&self) -> Result<(), ResponseError> {
        // In `Idle` every reply has had its End, even if the rest of a
        // refused line is still being dropped.
        if self.state == State::Idle {
            return Ok(());
        }
        Err(ResponseError {
            kind: ResponseErrorKind::UnexpectedEof,
            consumed: 0,
            status: None,
        })
    }

    /// Decodes the next event at the start of `input`. Body data is
    /// borrowed from `input`, never copied.
    ///
    /// # Errors
    ///
    /// A [`ResponseError`] for refused input; drop its
    /// [`consumed`](ResponseError::consumed) bytes and call again.
    #[inline]
    pub fn decode<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Result<Decoded<ResponseEvent<'a>>, ResponseError> {
        // A whole LIST or UIDL line inside a listing first, small enough to
        // inline into the caller's loop: it is what a 100,000-entry
        // listing is made of.
        if let State::Listing(listing) = self.state {
            if let Some((entry, consumed)) = self.fast_entry(listing, input) {
                return Ok(Decoded::Value {
                    value: ResponseEvent::Line(Response::Entry(entry)),
                    consumed,
                });
            }
        }
        self.decode_general(input)
    }

    /// [`decode`](Self::decode) for everything but the fast path.
    #[inline(never)]
    fn decode_general<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Result<Decoded<ResponseEvent<'a>>, ResponseError> {
        if self.reading_body() {
            let (chunk, consumed) = self.body.decode(input);
            return Ok(match chunk {
                Chunk::Data(piece) => Decoded::Value {
                    value: ResponseEvent::Data(piece),
                    consumed,
                },
                Chunk::End => self.body_end(consumed),
                Chunk::Incomplete => used(consumed),
            });
        }
        // `decode` has tried the listing fast path already.
        self.line(input, false).map(|d| d.map(ResponseEvent::from))
    }

    /// As [`decode`](Self::decode), but body data is appended to `out` and
    /// [`ResponseEvent::Data`] says how many bytes were written: the
    /// unstuffing and the copy are one pass over the input.
    ///
    /// Never writes more than `out` has room for; with a fixed-size buffer,
    /// `Data(0)` with nothing consumed means `out` is full.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn decode_into<'a>(
        &mut self,
        input: &'a [u8],
        out: &mut impl BufMut,
    ) -> Result<Decoded<ResponseEvent<'a, usize>>, ResponseError> {
        if !self.reading_body() {
            return self.line(input, true).map(|d| d.map(ResponseEvent::from));
        }
        let room = out.remaining_mut();
        let progress = self.body.decode_into(input, out);
        let written = room - out.remaining_mut();
        let consumed = progress.consumed;
        Ok(match (written, progress.done) {
            (0, true) => self.body_end(consumed),
            (_, true) => {
                // The terminator was consumed with the data: End comes next.
                self.state = State::Ending;
                data(written, consumed)
            }
            (0, false) if consumed > 0 || input.is_empty() => used(consumed),
            _ => data(written, consumed),
        })
    }

    /// Zero-copy: decodes the next event at the front of `input` (a
    /// `BytesMut` receive buffer or a `Bytes`) and drops what it used from
    /// `input`. Body data is split off `input` without copying; lines are
    /// returned owned (they are short). `Ok(None)` means: read more, append
    /// it to `input`, and call again.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode); the refused bytes are already dropped
    /// from `input`.
    pub fn decode_bytes<B: ZeroCopyBuf>(
        &mut self,
        input: &mut B,
    ) -> Result<Option<ResponseEvent<'static, Bytes>>, ResponseError> {
        loop {
            if self.reading_body() {
                return Ok(match self.body.decode_bytes(input) {
                    Chunk::Data(piece) => Some(ResponseEvent::Data(piece)),
                    Chunk::End => {
                        self.state = State::Idle;
                        Some(ResponseEvent::End)
                    }
                    Chunk::Incomplete => None,
                });
            }
            let (event, consumed) = match self.line(input.as_slice(), true) {
                Ok(Decoded::Value { value, consumed }) => (
                    match value {
                        Step::Line(line) => ResponseEvent::Line(line.into_owned()),
                        Step::End => ResponseEvent::End,
                    },
                    consumed,
                ),
                Ok(Decoded::Discard(n)) => {
                    input.drop_front(n);
                    continue;
                }
                Ok(Decoded::Incomplete) => return Ok(None),
                Err(e) => {
                    input.drop_front(e.consumed());
                    return Err(e);
                }
            };
            input.drop_front(consumed);
            return Ok(Some(event));
        }
    }

    /// True when the next input is message data (and not the rest of a
    /// refused `+OK` line, which is dropped first).
    #[inline]
    fn reading_body(&self) -> bool {
        self.state == State::Body && !self.scanner.is_discarding()
    }

    /// The body's terminator was read, and `consumed` bytes used.
    fn body_end<T>(&mut self, consumed: usize) -> Decoded<ResponseEvent<'static, T>> {
        self.state = State::Idle;
        Decoded::Value {
            value: ResponseEvent::End,
            consumed,
        }
    }

    /// Decodes the line-level step at the start of `input`: everything but
    /// body data. `fast` says whether to try the listing fast path (not
    /// when the caller just did).
    fn line<'a>(
        &mut self,
        input: &'a [u8],
        fast: bool,
    ) -> Result<Decoded<Step<'a>>, ResponseError> {
        if self.state == State::Ending {
            self.state = State::Idle;
            return Ok(Decoded::Value {
                value: Step::End,
                consumed: 0,
            });
        }
        if self.scanner.is_discarding() {
            // Discarding only ever answers Discard or Incomplete.
            return Ok(match self.scan(input, self.options.max_line)? {
                Decoded::Discard(n) => Decoded::Discard(n),
                _ => Decoded::Incomplete,
            });
        }
        match self.state {
            State::Listing(listing) => self.listing_line(listing, input, fast),
            State::First(expect) => self.first_line(expect, input),
            State::Idle => self.unsolicited(input),
            // Handled above and by the callers; never reached.
            State::Ending | State::Body => Ok(Decoded::Incomplete),
        }
    }

    /// Frames the line at the start of `input` under `limit`.
    fn scan(&mut self, input: &[u8], limit: usize) -> Result<Decoded<usize>, ResponseError> {
        self.scanner.set_limit(limit);
        self.scanner.scan(input).map_err(|e| ResponseError {
            kind: framing_error(e),
            consumed: e.consumed(),
            status: None,
        })
    }

    /// Bytes with no reply pending: refused at once, and the rest of their
    /// line dropped as it arrives (SPEC S5).
    fn unsolicited<'a>(&mut self, input: &'a [u8]) -> Result<Decoded<Step<'a>>, ResponseError> {
        if input.is_empty() {
            return Ok(Decoded::Incomplete);
        }
        if self.options.skip_empty_lines {
            if let Some(skip) = self.empty_line(input) {
                return Ok(skip);
            }
        }
        let consumed = match crate::ascii::find_byte(input, b'\n') {
            Some(lf) => lf + 1,
            None => {
                self.scanner.discard_line();
                input.len()
            }
        };
        Err(ResponseError {
            kind: ResponseErrorKind::Unsolicited,
            consumed,
            status: None,
        })
    }

    /// With `skip_empty_lines`: `Some` when `input` starts with an empty
    /// line (dropped) or could (wait for more).
    fn empty_line<T>(&self, input: &[u8]) -> Option<Decoded<T>> {
        match input {
            [b'\r', b'\n', ..] => Some(Decoded::Discard(2)),
            [b'\n', ..] if self.options.bare_lf => Some(Decoded::Discard(1)),
            [b'\r'] => Some(Decoded::Incomplete),
            _ => None,
        }
    }

    /// A line inside a listing: an entry, or the `.` that ends it.
    fn listing_line<'a>(
        &mut self,
        listing: Listing,
        input: &'a [u8],
        fast: bool,
    ) -> Result<Decoded<Step<'a>>, ResponseError> {
        if let Some((entry, consumed)) = fast.then(|| self.fast_entry(listing, input)).flatten() {
            return Ok(Decoded::Value {
                value: Step::Line(Response::Entry(entry)),
                consumed,
            });
        }
        let (line, consumed) = match self.scan(input, self.options.max_line)? {
            Decoded::Value { value, consumed } => (&input[..value], consumed),
            Decoded::Incomplete => return Ok(Decoded::Incomplete),
            Decoded::Discard(n) => return Ok(Decoded::Discard(n)),
        };
        let Some(line) = parse::unstuff_line(line) else {
            self.state = State::Idle;
            return Ok(Decoded::Value {
                value: Step::End,
                consumed,
            });
        };
        let entry = match listing {
            Listing::Scan => parse::scan_listing(line).map(Entry::Scan),
            Listing::Uid => parse::uid_listing(line).map(Entry::Uid),
            Listing::Capabilities => parse::capability(line).map(Entry::Capability),
            Listing::Lang => parse::lang_listing(line).map(Entry::Lang),
            Listing::Mechanisms => parse::mechanism_line(line).map(Entry::Mechanism),
        };
        match entry {
            Ok(entry) => Ok(Decoded::Value {
                value: Step::Line(Response::Entry(entry)),
                consumed,
            }),
            Err(kind) => Err(ResponseError {
                kind,
                consumed,
                status: None,
            }),
        }
    }

    /// The common case of a listing, a whole well-formed LIST or UIDL line,
    /// in one pass; `None` for anything else, which the general path
    /// handles (with the same result for the lines accepted here).
    #[inline(always)]
    fn fast_entry<'a>(&self, listing: Listing, input: &'a [u8]) -> Option<(Entry<'a>, usize)> {
        if !self.scanner.is_fresh() {
            return None;
        }
        let limit = self.options.max_line;
        match listing {
            Listing::Uid => parse::uid_line(input)
                .filter(|&(_, n)| n <= limit)
                .map(|(u, n)| (Entry::Uid(u), n)),
            Listing::Scan => parse::scan_line(input)
                .filter(|&(_, n)| n <= limit)
                .map(|(s, n)| (Entry::Scan(s), n)),
            _ => None,
        }
    }

    /// The first line of a reply (or the next line of an AUTH exchange).
    fn first_line<'a>(
        &mut self,
        expect: Expect,
        input: &'a [u8],
    ) -> Result<Decoded<Step<'a>>, ResponseError> {
        if self.options.skip_empty_lines && self.scanner.is_fresh() {
            if let Some(skip) = self.empty_line(input) {
                return Ok(skip);
            }
        }
        let mut limit = self.options.max_line;
        if expect == Expect::Challenge {
            // Only a continuation line gets the SASL limit; which one this
            // is shows in its first two bytes, which have always arrived
            // by the time the limit matters.
            match input {
                [b'+'] => return Ok(Decoded::Incomplete),
                [b'+', b' ' | b'\r' | b'\n', ..] => limit = self.options.max_sasl_line,
                _ => {}
            }
        }
        let (line, consumed) = match self.scan(input, limit) {
            Ok(Decoded::Value { value, consumed }) => (&input[..value], consumed),
            Ok(Decoded::Incomplete) => return Ok(Decoded::Incomplete),
            Ok(Decoded::Discard(n)) => return Ok(Decoded::Discard(n)),
            Err(mut e) => {
                // Judge only the bytes within the limit, which have all
                // arrived however the input was chunked.
                e.status = self.refused(expect, &input[..input.len().min(limit)]);
                return Err(e);
            }
        };
        match self.first_value(expect, line) {
            Ok(value) => Ok(Decoded::Value {
                value: Step::Line(value),
                consumed,
            }),
            Err(kind) => Err(ResponseError {
                kind,
                consumed,
                status: self.refused(expect, line),
            }),
        }
    }

    /// Moves on after a refused first line that starts with `seen`, and
    /// returns its status: a `+OK` still opens its listing or body, a bad
    /// challenge keeps the AUTH exchange open, anything else ends the
    /// reply.
    fn refused(&mut self, expect: Expect, seen: &[u8]) -> Option<StatusKind> {
        let status = self.leading_status(seen);
        self.state = match status {
            Some(StatusKind::Ok) => self.after_ok(expect),
            None if expect == Expect::Challenge && seen.first() == Some(&b'+') => {
                State::First(Expect::Challenge)
            }
            _ => State::Ending,
        };
        status
    }

    /// Where a `+OK` first line to `expect` leads.
    fn after_ok(&mut self, expect: Expect) -> State {
        match expect {
            Expect::ScanListing => State::Listing(Listing::Scan),
            Expect::UidListing => State::Listing(Listing::Uid),
            Expect::Capabilities => State::Listing(Listing::Capabilities),
            Expect::LangListing => State::Listing(Listing::Lang),
            Expect::Mechanisms => State::Listing(Listing::Mechanisms),
            Expect::Message => {
                self.body.reset();
                State::Body
            }
            _ => State::Ending,
        }
    }

    /// `+OK` or `-ERR` at the front of `bytes`, followed by SP, a line end
    /// or nothing.
    fn leading_status(&self, bytes: &[u8]) -> Option<StatusKind> {
        let word = bytes.len().min(5);
        let end = bytes[..word]
            .iter()
            .position(|&b| matches!(b, b' ' | b'\r' | b'\n'))
            .unwrap_or(word);
        parse::status_prefix(&bytes[..end], self.options.any_case_status).map(|(kind, _)| kind)
    }

    /// Parses a whole first line and moves the state on.
    fn first_value<'a>(
        &mut self,
        expect: Expect,
        line: &'a [u8],
    ) -> Result<Response<'a>, ResponseErrorKind> {
        if expect == Expect::Challenge {
            if let Some(challenge) = parse::challenge(line, self.options.unpadded_challenges) {
                // The exchange goes on: the next line is read the same way.
                return challenge.map(Response::Challenge);
            }
        }
        let malformed = ResponseErrorKind::Malformed(match expect {
            Expect::Greeting => Syntax::Greeting,
            _ => Syntax::StatusLine,
        });
        let (kind, raw) =
            parse::status_prefix(line, self.options.any_case_status).ok_or(malformed)?;
        let status = parse::status_text(kind, raw).ok_or(malformed)?;
        self.state = match kind {
            StatusKind::Ok => self.after_ok(expect),
            StatusKind::Err => State::Ending,
        };
        if expect == Expect::Greeting {
            return Ok(Response::Greeting(Greeting::new(status)));
        }
        if kind == StatusKind::Err {
            return Ok(Response::Status(status));
        }
        // +OK: the raw text after "+OK " holds the payload, if any.
        match expect {
            Expect::Stat => parse::drop_listing(raw).map(Response::Stat),
            Expect::Scan(msg) => {
                let scan = parse::scan_listing(raw)?;
                check_msg(msg, scan.msg)?;
                Ok(Response::Scan(scan))
            }
            Expect::Uid(msg) => {
                let uid = parse::uid_listing(raw)?;
                check_msg(msg, uid.msg)?;
                Ok(Response::Uid(uid))
            }
            Expect::Lang => parse::lang_listing(raw).map(Response::Lang),
            _ => Ok(Response::Status(status)),
        }
    }
}

fn framing_error(e: FramingError) -> ResponseErrorKind {
    match e {
        FramingError::TooLong { limit, .. } => ResponseErrorKind::LineTooLong { limit },
        FramingError::BareLineFeed { .. } => ResponseErrorKind::BareLineFeed,
    }
}

/// `consumed` bytes used with nothing to show for them (a stuffing dot, a
/// held-back CR): drop them; or nothing used at all: read more.
fn used<T>(consumed: usize) -> Decoded<T> {
    if consumed == 0 {
        Decoded::Incomplete
    } else {
        Decoded::Discard(consumed)
    }
}

fn data<'a>(written: usize, consumed: usize) -> Decoded<ResponseEvent<'a, usize>> {
    Decoded::Value {
        value: ResponseEvent::Data(written),
        consumed,
    }
}

fn check_msg(expected: MsgNumber, found: MsgNumber) -> Result<(), ResponseErrorKind> {
    if expected == found {
        Ok(())
    } else {
        Err(ResponseErrorKind::WrongMessage { expected, found })
    }
}
