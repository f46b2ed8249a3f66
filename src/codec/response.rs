//! The response decoder: what a server sends, framed and parsed.

use super::Decoded;
use super::base64::Base64Error;
use super::command::{DEFAULT_RESPONSE_LINE, DEFAULT_SASL_LINE};
use super::parse;
use crate::framing::{FramingError, LineScanner};
use crate::types::{Entry, Expect, Greeting, MsgNumber, Response, StatusKind};

/// Options of a [`ResponseDecoder`]. The defaults are strict where
/// strictness protects the user; each leniency is a named option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseOptions {
    /// Longest status, listing or CAPA line, CRLF included. Default 512
    /// (RFC 2449 §4).
    pub max_line: usize,
    /// Longest SASL challenge line, CRLF included. Default 64 KiB.
    pub max_sasl_line: usize,
    /// Accept lines that end in LF alone (Mailtrap, SPEC §7.1). Default
    /// `false`.
    pub bare_lf: bool,
    /// Accept `+ok` and `-err` in any case (RFC 1939 §3 lets clients be
    /// lenient, SPEC R06). Default `false`.
    pub any_case_status: bool,
}

with_setters!(ResponseOptions {
    with_max_line => max_line: usize,
    with_max_sasl_line => max_sasl_line: usize,
    with_bare_lf => bare_lf: bool,
    with_any_case_status => any_case_status: bool,
});

impl Default for ResponseOptions {
    fn default() -> Self {
        Self {
            max_line: DEFAULT_RESPONSE_LINE,
            max_sasl_line: DEFAULT_SASL_LINE,
            bare_lf: false,
            any_case_status: false,
        }
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
}

/// A response line the decoder refused. The line is consumed: drop
/// [`consumed`](Self::consumed) bytes. Inside a listing the decoder stays in
/// the listing, so the caller may skip a bad line and go on.
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
    /// listing the decoder has already entered it (see
    /// [`ResponseDecoder::in_listing`]), and after RETR or TOP the message
    /// body follows.
    pub fn status(&self) -> Option<StatusKind> {
        self.status
    }
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

/// Decodes what a server sends, one line at a time.
///
/// Each call takes the [`Expect`] of the oldest command not yet answered
/// (from [`Command::expect`](crate::types::Command::expect)); inside a multi-line listing the decoder knows
/// where it is and ignores that argument until the closing `.`. After a
/// `+OK` to RETR or TOP ([`Expect::Message`]), the body follows: decode it
/// with a [`BodyDecoder`](crate::body::BodyDecoder), then come back.
///
/// ```
/// use pop3_proto::codec::{Decoded, ResponseDecoder};
/// use pop3_proto::types::{DropListing, Expect, Response};
///
/// let mut decoder = ResponseDecoder::default();
/// let got = decoder.decode(b"+OK 2 320\r\n", Expect::Stat);
/// assert_eq!(
///     got,
///     Ok(Decoded::Value { value: Response::Stat(DropListing { count: 2, size: 320 }), consumed: 11 }),
/// );
/// ```
#[derive(Clone, Debug)]
pub struct ResponseDecoder {
    options: ResponseOptions,
    scanner: LineScanner,
    listing: Option<Listing>,
}

impl Default for ResponseDecoder {
    fn default() -> Self {
        Self::new(ResponseOptions::default())
    }
}

impl ResponseDecoder {
    /// A decoder with these options.
    pub fn new(options: ResponseOptions) -> Self {
        Self {
            options,
            scanner: LineScanner::new(options.max_line).with_bare_lf(options.bare_lf),
            listing: None,
        }
    }

    /// The options in force.
    pub fn options(&self) -> &ResponseOptions {
        &self.options
    }

    /// True between the `+OK` of a multi-line listing and its `.`.
    pub fn in_listing(&self) -> bool {
        self.listing.is_some()
    }

    /// Forgets any listing in progress and any partial line, as after
    /// STLS (SPEC S2) or a reconnect.
    pub fn reset(&mut self) {
        self.listing = None;
        self.scanner.reset();
    }

    /// Decodes the line at the start of `input`, read as `expect` says.
    ///
    /// # Errors
    ///
    /// A [`ResponseError`] when the line is too long or does not fit the
    /// grammar; the decoder stays usable.
    pub fn decode<'a>(
        &mut self,
        input: &'a [u8],
        expect: Expect,
    ) -> Result<Decoded<Response<'a>>, ResponseError> {
        if let Some(fast) = self.fast_entry(input) {
            return Ok(fast);
        }
        let limit = match (self.listing, expect) {
            (None, Expect::Challenge) => self.options.max_sasl_line,
            _ => self.options.max_line,
        };
        self.scanner.set_limit(limit);
        let first = self.listing.is_none();
        let (line, consumed) = match self.scanner.scan(input) {
            Ok(Decoded::Value { value, consumed }) => (&input[..value], consumed),
            Ok(Decoded::Incomplete) => return Ok(Decoded::Incomplete),
            Ok(Decoded::Discard(n)) => return Ok(Decoded::Discard(n)),
            Err(e) => {
                // Judge only the bytes within the limit, which have all
                // arrived however the input was chunked.
                let seen = &input[..input.len().min(limit)];
                let status = first.then(|| self.leading_status(seen)).flatten();
                if status == Some(StatusKind::Ok) {
                    self.listing = listing_of(expect);
                }
                return Err(ResponseError {
                    kind: match e {
                        FramingError::TooLong { limit, .. } => {
                            ResponseErrorKind::LineTooLong { limit }
                        }
                        FramingError::BareLineFeed { .. } => ResponseErrorKind::BareLineFeed,
                    },
                    consumed: e.consumed(),
                    status,
                });
            }
        };
        let result = match self.listing {
            Some(listing) => self.entry(listing, line),
            None => self.first_line(line, expect),
        };
        result
            .map(|value| Decoded::Value { value, consumed })
            .map_err(|kind| {
                let status = first.then(|| self.leading_status(line)).flatten();
                if status == Some(StatusKind::Ok) {
                    self.listing = listing_of(expect);
                }
                ResponseError {
                    kind,
                    consumed,
                    status,
                }
            })
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

    /// The common case of a listing, a whole well-formed LIST or UIDL line,
    /// in one pass; `None` for anything else, which the general path
    /// handles (with the same result for the lines accepted here).
    #[inline]
    fn fast_entry<'a>(&mut self, input: &'a [u8]) -> Option<Decoded<Response<'a>>> {
        if !self.scanner.is_fresh() {
            return None;
        }
        let (entry, consumed) = match self.listing? {
            Listing::Uid => parse::uid_line(input).map(|(u, n)| (Entry::Uid(u), n))?,
            Listing::Scan => parse::scan_line(input).map(|(s, n)| (Entry::Scan(s), n))?,
            _ => return None,
        };
        (consumed <= self.options.max_line).then_some(Decoded::Value {
            value: Response::Entry(entry),
            consumed,
        })
    }

    fn entry<'a>(
        &mut self,
        listing: Listing,
        line: &'a [u8],
    ) -> Result<Response<'a>, ResponseErrorKind> {
        let Some(line) = parse::unstuff_line(line) else {
            self.listing = None;
            return Ok(Response::End);
        };
        Ok(Response::Entry(match listing {
            Listing::Scan => Entry::Scan(parse::scan_listing(line)?),
            Listing::Uid => Entry::Uid(parse::uid_listing(line)?),
            Listing::Capabilities => Entry::Capability(parse::capability(line)?),
            Listing::Lang => Entry::Lang(parse::lang_listing(line)?),
            Listing::Mechanisms => Entry::Mechanism(parse::mechanism_line(line)?),
        }))
    }

    fn first_line<'a>(
        &mut self,
        line: &'a [u8],
        expect: Expect,
    ) -> Result<Response<'a>, ResponseErrorKind> {
        let any_case = self.options.any_case_status;
        if expect == Expect::Challenge {
            if let Some(challenge) = parse::challenge(line) {
                return challenge.map(Response::Challenge);
            }
        }
        let malformed = ResponseErrorKind::Malformed(match expect {
            Expect::Greeting => Syntax::Greeting,
            _ => Syntax::StatusLine,
        });
        let (kind, raw) = parse::status_prefix(line, any_case).ok_or(malformed)?;
        if kind == StatusKind::Ok {
            // A +OK opens its listing even if the rest of the line is bad
            // (`decode` does the same for lines refused here), so that the
            // entries are never read as replies to later commands.
            self.listing = listing_of(expect);
        }
        let status = parse::status_text(kind, raw).ok_or(malformed)?;
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

/// The listing a `+OK` to `expect` opens, if any.
fn listing_of(expect: Expect) -> Option<Listing> {
    match expect {
        Expect::ScanListing => Some(Listing::Scan),
        Expect::UidListing => Some(Listing::Uid),
        Expect::Capabilities => Some(Listing::Capabilities),
        Expect::LangListing => Some(Listing::Lang),
        Expect::Mechanisms => Some(Listing::Mechanisms),
        _ => None,
    }
}

fn check_msg(expected: MsgNumber, found: MsgNumber) -> Result<(), ResponseErrorKind> {
    if expected == found {
        Ok(())
    } else {
        Err(ResponseErrorKind::WrongMessage { expected, found })
    }
}
