//! The command decoder: what a client sends, framed and parsed.

use super::Decoded;
use super::base64::Base64Error;
use super::parse;
use crate::framing::{FramingError, LineScanner};
use crate::types::{Command, CommandKind, SaslResponse};

/// The default limit for a command line, CRLF included (RFC 2449 §4).
pub const DEFAULT_COMMAND_LINE: usize = 255;
/// The default limit for a status or CAPA line, CRLF included
/// (RFC 2449 §4, SPEC R05).
pub const DEFAULT_RESPONSE_LINE: usize = 512;
/// The default limit for a SASL line in either direction, CRLF included.
/// RFC 5034 §4 sets none; 64 KiB holds any real OAUTHBEARER or GSSAPI token.
pub const DEFAULT_SASL_LINE: usize = 64 * 1024;

/// Options of a [`CommandDecoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandOptions {
    /// Longest command line, CRLF included. Default 255 (RFC 2449 §4).
    ///
    /// Raising it does not raise the caps of the values on a line: a
    /// USER, PASS or APOP line whose argument is longer than its type
    /// allows is refused whatever the line limit.
    pub max_line: usize,
    /// Longest SASL response line, CRLF included. Default 64 KiB.
    pub max_sasl_line: usize,
    /// Accept a line that ends in LF without CR. Default `false`: a bare
    /// LF is a [`CommandErrorKind::BareLineFeed`] error, reported at the LF
    /// and [fatal](CommandError::is_fatal): the server answers `-ERR` and
    /// closes (SPEC R01, the policy of Postfix's
    /// `smtpd_forbid_bare_newline`).
    ///
    /// With `true`, a bare LF ends the line. Only use that when nothing in
    /// front of the server (a proxy, a filter) frames lines on CRLF: to
    /// such a front end, `USER a\nDELE 1\r\n` is one line, and to this
    /// decoder two commands.
    pub bare_lf: bool,
    /// Accept well-formed UTF-8 in the arguments of USER, PASS and APOP
    /// (RFC 6856 §2, SPEC R72). Default `false`: arguments are printable
    /// ASCII, and a byte of 0x80 or more is an
    /// [`InvalidArgument`](CommandErrorKind::InvalidArgument). A server
    /// turns this on when it advertises `UTF8 USER`, which lets a client
    /// send UTF-8 credentials even before the `UTF8` command. Invalid
    /// UTF-8 is refused either way (Dovecot CVE-2019-10691).
    pub utf8_credentials: bool,
}

with_setters!(CommandOptions {
    with_max_line => max_line: usize,
    with_max_sasl_line => max_sasl_line: usize,
    with_bare_lf => bare_lf: bool,
    with_utf8_credentials => utf8_credentials: bool,
});

impl Default for CommandOptions {
    fn default() -> Self {
        Self {
            max_line: DEFAULT_COMMAND_LINE,
            max_sasl_line: DEFAULT_SASL_LINE,
            bare_lf: false,
            utf8_credentials: false,
        }
    }
}

/// Why a command line was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandErrorKind {
    /// The line is longer than the limit. [Fatal](CommandError::is_fatal):
    /// the rest of the line is discarded up to the next LF, which a
    /// CRLF-framing front end may not take for a line end, and a client
    /// that sends such a line is broken or hostile (SPEC R04, S6: Dovecot
    /// answers `-ERR Input line too long` and closes).
    #[error("command line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The line ends in LF without CR, and [`CommandOptions::bare_lf`] is
    /// off. [Fatal](CommandError::is_fatal): anything in front of the
    /// server that frames on CRLF reads the bytes after the LF as part of
    /// this line, so running them as a command of their own would be
    /// request smuggling (the SMTP smuggling class). The error is reported
    /// at the first LF, and [`consumed`](CommandError::consumed) ends there.
    #[error("command line ends in a bare LF")]
    BareLineFeed,
    /// The line is empty.
    #[error("empty command line")]
    Empty,
    /// The keyword is not 1 to 32 visible ASCII characters (it is empty
    /// before a SP, too long, or holds a control or 8-bit byte).
    #[error("invalid command keyword")]
    InvalidKeyword,
    /// A required argument is missing.
    #[error("missing argument")]
    MissingArgument,
    /// More arguments than the command takes.
    #[error("too many arguments")]
    TooManyArguments,
    /// An argument is malformed: not a positive number, a number that
    /// overflows, a bad digest, a forbidden byte (SPEC S8, S10), 8-bit
    /// bytes in a credential without
    /// [`utf8_credentials`](CommandOptions::utf8_credentials) or invalid
    /// UTF-8 with it (SPEC R72), or a value longer than its type allows
    /// ([`MAX_USERNAME_LEN`](crate::types::MAX_USERNAME_LEN),
    /// [`MAX_PASSWORD_LEN`](crate::types::MAX_PASSWORD_LEN)), which can
    /// happen when [`max_line`](CommandOptions::max_line) is raised.
    #[error("invalid argument")]
    InvalidArgument,
    /// A SASL initial response or response line is not valid base64
    /// (SPEC R55).
    #[error("invalid base64: {0}")]
    InvalidBase64(Base64Error),
}

/// A command line the decoder refused.
///
/// When the error is not [fatal](Self::is_fatal), the line is consumed:
/// drop [`consumed`](Self::consumed) bytes, answer `-ERR`, and go on. When
/// it is fatal, answer `-ERR` and close the connection without decoding
/// anything more from this input: the bytes after the error are not known
/// to start a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct CommandError {
    kind: CommandErrorKind,
    command: Option<CommandKind>,
    consumed: usize,
}

impl CommandError {
    /// Why the line was refused.
    pub fn kind(&self) -> CommandErrorKind {
        self.kind
    }

    /// The command, when its keyword was recognised.
    pub fn command(&self) -> Option<CommandKind> {
        self.command
    }

    /// How many bytes to drop from the front of the input.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// True when the session must end: answer `-ERR`, then close, and
    /// decode nothing more from this input. The one place a server asks.
    ///
    /// Fatal are [`BareLineFeed`](CommandErrorKind::BareLineFeed), where
    /// the peer's idea of where the line ends and a CRLF-framing front
    /// end's differ (SPEC R01), and
    /// [`LineTooLong`](CommandErrorKind::LineTooLong), whose end is looked
    /// for at the next LF, bare or not (SPEC R04). Closing also means a
    /// client that sends `NOOP\n` gets its `-ERR` and an end of the
    /// connection instead of waiting forever. Every other error refuses
    /// one line only (a NUL in a line, SPEC S10, is one of them).
    pub fn is_fatal(&self) -> bool {
        self.kind.is_fatal()
    }
}

impl CommandErrorKind {
    /// True for the kinds that end the session; see
    /// [`CommandError::is_fatal`].
    pub const fn is_fatal(&self) -> bool {
        matches!(self, Self::BareLineFeed | Self::LineTooLong { .. })
    }
}

/// Decodes what a client sends: command lines, and SASL response lines
/// while an `AUTH` exchange is under way.
///
/// ```
/// use pop3_proto::codec::{CommandDecoder, Decoded};
/// use pop3_proto::types::{Command, MsgNumber};
///
/// let mut decoder = CommandDecoder::default();
/// assert_eq!(decoder.decode(b"RETR 1"), Ok(Decoded::Incomplete));
/// assert_eq!(
///     decoder.decode(b"RETR 1\r\n"),
///     Ok(Decoded::Value { value: Command::Retr(MsgNumber::ONE), consumed: 8 }),
/// );
/// ```
#[derive(Clone, Debug)]
pub struct CommandDecoder {
    options: CommandOptions,
    scanner: LineScanner,
}

impl Default for CommandDecoder {
    fn default() -> Self {
        Self::new(CommandOptions::default())
    }
}

impl CommandDecoder {
    /// A decoder with these options.
    pub fn new(options: CommandOptions) -> Self {
        Self {
            options,
            scanner: LineScanner::new(options.max_line).with_bare_lf(options.bare_lf),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &CommandOptions {
        &self.options
    }

    /// Forgets any partial line, as when the input is thrown away: after
    /// STLS, where plaintext bytes that followed the command must never be
    /// read as commands (SPEC S1).
    pub fn reset(&mut self) {
        self.scanner.reset();
    }

    /// Decodes the command line at the start of `input`.
    ///
    /// # Errors
    ///
    /// A [`CommandError`] for a line that is too long, ends in a bare LF or
    /// is malformed. After a [fatal](CommandError::is_fatal) one, answer
    /// `-ERR` and close; after any other, drop the line and go on.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<Decoded<Command<'a>>, CommandError> {
        self.scanner.set_limit(self.options.max_line);
        let utf8 = self.options.utf8_credentials;
        self.line(input, |line| parse::command(line, utf8))
    }

    /// Decodes a SASL response line (base64 or `*`) at the start of `input`,
    /// under the SASL line limit. Use this instead of
    /// [`decode`](Self::decode) after sending a `+` challenge.
    ///
    /// # Errors
    ///
    /// A [`CommandError`] for a line that is too long or not base64; the
    /// server answers `-ERR` and ends the exchange (RFC 5034 §4).
    pub fn decode_sasl(
        &mut self,
        input: &[u8],
    ) -> Result<Decoded<SaslResponse<'static>>, CommandError> {
        self.scanner.set_limit(self.options.max_sasl_line);
        self.line(input, |line| {
            parse::sasl_response(line).map_err(|e| (e, Some(CommandKind::Auth)))
        })
    }

    fn line<'a, T>(
        &mut self,
        input: &'a [u8],
        parse: impl FnOnce(&'a [u8]) -> Result<T, parse::CommandFailure>,
    ) -> Result<Decoded<T>, CommandError> {
        let scanned = self.scanner.scan(input).map_err(|e| CommandError {
            kind: match e {
                FramingError::TooLong { limit, .. } => CommandErrorKind::LineTooLong { limit },
                FramingError::BareLineFeed { .. } => CommandErrorKind::BareLineFeed,
            },
            // The keyword is at the front even when the line is refused;
            // look only within the limit, so the answer does not depend on
            // how much of an over-long line has arrived.
            command: CommandKind::from_line(&input[..input.len().min(self.scanner.limit())])
                .map(|(kind, _)| kind),
            consumed: e.consumed(),
        })?;
        match scanned {
            Decoded::Value { value, consumed } => match parse(&input[..value]) {
                Ok(value) => Ok(Decoded::Value { value, consumed }),
                Err((kind, command)) => Err(CommandError {
                    kind,
                    command,
                    consumed,
                }),
            },
            Decoded::Incomplete => Ok(Decoded::Incomplete),
            Decoded::Discard(n) => Ok(Decoded::Discard(n)),
        }
    }
}
