//! Bytes to types and back.
//!
//! Decoding works over a buffer the caller owns, in the style of
//! `httparse`: a decoder returns [`Decoded::Incomplete`] (not an error) until
//! the buffer holds something to report, then the decoded value and how many
//! bytes it used. Values borrow from the buffer; call `into_owned` to keep
//! them.
//!
//! * [`CommandDecoder`] reads what a client sends: commands, and SASL
//!   response lines during `AUTH`.
//! * [`ResponseDecoder`] reads everything a server sends, message bodies
//!   included, told once per reply what the oldest unanswered command was
//!   ([`Expect`](crate::types::Expect)); it yields [`ResponseEvent`]s and
//!   ends every reply with [`ResponseEvent::End`].
//!
//! Every line type has an `encode` method that appends its exact wire form
//! to a [`bytes::BufMut`] (a `Vec<u8>` or a `BytesMut`), which cannot fail:
//! every value of the public API is valid by construction. A line's length
//! is checked by `try_encode(limit, out)`, which returns [`LineTooLong`]
//! rather than write a line over the limit (`encoded_len()` tells the length
//! beforehand); [`LineTooLong`] says which limit applies to which line.
//!
//! Message bodies (RETR, TOP) come through [`ResponseDecoder`]; the
//! stuffing rules, and the dot-unstuffer on its own, are in [`crate::body`].

pub(crate) mod base64;
mod command;
mod encode;
pub(crate) use self::encode::put_decimal;
pub(crate) mod parse;
mod response;

pub use self::base64::Base64Error;
pub use self::command::{
    CommandDecoder, CommandError, CommandErrorKind, CommandOptions, DEFAULT_COMMAND_LINE,
    DEFAULT_RESPONSE_LINE, DEFAULT_SASL_LINE,
};
pub use self::encode::{LineTooLong, encode_listing_end};
pub use self::response::{
    ExpectError, MIN_RESPONSE_LINE, ResponseDecoder, ResponseError, ResponseErrorKind,
    ResponseEvent, ResponseOptions, Syntax,
};

pub use crate::framing::Decoded;
