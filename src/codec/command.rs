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
    pub max_line: usize,
    /// Longest SASL response line, CRLF included. Default 64 KiB.
    pub max_sasl_line: usize,
    /// Accept a line that ends in LF without CR. Default `false`: such a
    /// line is a [`CommandErrorKind::BareLineFeed`] error, which a server
    /// answers with `-ERR` (SPEC R01).
    pub bare_lf: bool,
}

with_setters!(CommandOptions {
    with_max_line => max_line: usize,
    with_max_sasl_line => max_sasl_line: usize,
    with_bare_lf => bare_lf: bool,
});

impl Default for CommandOptions {
    fn default() -> Self {
        Self {
            max_line: DEFAULT_COMMAND_LINE,
            max_sasl_line: DEFAULT_SASL_LINE,
            bare_lf: false,
        }
    }
}

/// Why a command line was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandErrorKind {
    /// The line is longer than the limit.
    #[error("command line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The line ends in LF without CR.
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
    /// overflows, a bad digest, a forbidden byte (SPEC S8, S10).
    #[error("invalid argument")]
    InvalidArgument,
    /// A SASL initial response or response line is not valid base64
    /// (SPEC R55).
    #[error("invalid base64: {0}")]
    InvalidBase64(Base64Error),
}

/// A command line the decoder refused. The line is consumed: drop
/// [`consumed`](Self::consumed) bytes, answer `-ERR`, and go on.
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
    /// A [`CommandError`] for a line that is too long or malformed; the
    /// decoder stays usable.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<Decoded<Command<'a>>, CommandError> {
        self.scanner.set_limit(self.options.max_line);
        self.line(input, parse::command)
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
