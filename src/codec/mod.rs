//! Bytes to types and back.
//!
//! Decoding is line by line over a buffer the caller owns, in the style of
//! `httparse`: a decoder returns [`Decoded::Incomplete`] (not an error) until
//! the buffer holds a whole line, then the decoded value and how many bytes
//! it used. Values borrow from the buffer; call `into_owned` to keep them.
//!
//! * [`CommandDecoder`] reads what a client sends: commands, and SASL
//!   response lines during `AUTH`.
//! * [`ResponseDecoder`] reads what a server sends, given what the oldest
//!   unanswered command was ([`Expect`](crate::types::Expect)).
//!
//! Every line type has an `encode` method that appends its exact wire form
//! to a [`bytes::BufMut`] (a `Vec<u8>` or a `BytesMut`), which cannot fail:
//! every value of the public API is valid by construction. A line's length
//! is checked by `try_encode(limit, out)`, which returns [`LineTooLong`]
//! rather than write a line over the limit (`encoded_len()` tells the length
//! beforehand); [`LineTooLong`] says which limit applies to which line.
//!
//! Message bodies (RETR, TOP) are not lines; see [`crate::body`].

pub(crate) mod base64;
mod command;
mod encode;
pub(crate) mod parse;
mod response;

pub use self::base64::Base64Error;
pub use self::command::{
    CommandDecoder, CommandError, CommandErrorKind, CommandOptions, DEFAULT_COMMAND_LINE,
    DEFAULT_RESPONSE_LINE, DEFAULT_SASL_LINE,
};
pub use self::encode::LineTooLong;
pub use self::response::{
    ResponseDecoder, ResponseError, ResponseErrorKind, ResponseOptions, Syntax,
};

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
    /// The first `n` bytes are the rest of a line already reported as too
    /// long: drop them and call again.
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
