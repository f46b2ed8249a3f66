//! # pop3-proto
//!
//! A sans-IO POP3 protocol library: exact types for every POP3 command and
//! response (RFC 1939, 2449, 2595, 3206, 5034, 6856), a codec that turns bytes
//! into those types and back, and a streaming dot-stuffing body codec.
//!
//! The crate never touches a socket, a clock or a file. You own the I/O; the
//! crate owns the protocol rules.
//!
//! * [`types`]: validated data types. No value of the public API can hold a CR,
//!   LF or NUL where the protocol forbids it, so command and response injection
//!   is impossible by construction. Values that make up a fixed-form command
//!   are capped so that the command fits 255 octets; lines whose length
//!   depends on their parts are checked by `try_encode`
//!   ([`codec::LineTooLong`]). Credentials are compared in constant time and
//!   zeroed when dropped ([`types::Secret`]), and text from a peer is escaped
//!   for logs.
//! * [`codec`]: decoders that work on a buffer you own and report
//!   [`codec::Decoded::Incomplete`] (not an error) until there is something
//!   to report, and encoders on every type. [`codec::CommandDecoder`] reads
//!   what a client sends; a command line that ends in a bare LF is a
//!   [fatal](codec::CommandError::is_fatal) error: the server answers `-ERR`
//!   and closes. [`codec::ResponseDecoder`] reads everything a server sends,
//!   message bodies included (borrowed, copied or zero-copy over
//!   [`bytes::Bytes`]), and ends every reply with one
//!   [`End`](codec::ResponseEvent::End) event.
//! * [`body`]: the dot-unstuffer under the response decoder, for users who
//!   need only that, and the stuffer, which never puts a bare LF on the
//!   wire, with the size counter and the TOP encoder a server needs.
//! * [`apop`]: APOP digest computation and constant-time verification.
//! * [`url`]: POP URLs (RFC 2384), parsed into a host, a port, a
//!   [`Username`](types::Username) that cannot break a command line, and
//!   the login mechanism they name.
//!
//! ## Quick start
//!
//! ```
//! use pop3_proto::codec::{CommandDecoder, Decoded};
//! use pop3_proto::types::Command;
//!
//! let mut decoder = CommandDecoder::default();
//! let input = b"USER mrose\r\nRETR 1\r\nST";
//! let mut offset = 0;
//! let mut commands = Vec::new();
//! loop {
//!     match decoder.decode(&input[offset..]).expect("valid input") {
//!         Decoded::Value { value, consumed } => {
//!             commands.push(value.into_owned());
//!             offset += consumed;
//!         }
//!         Decoded::Incomplete => break, // read more bytes, then call again
//!         Decoded::Discard(n) => offset += n,
//!     }
//! }
//! assert_eq!(commands.len(), 2);
//! assert_eq!(commands[1].to_vec(), b"RETR 1\r\n");
//! assert_eq!(&input[offset..], b"ST"); // the start of the next line stays
//! ```
//!
//! ## Features
//!
//! * `std` (default): implements `std::error::Error` through `core::error::Error`
//!   and lets `memchr` use run-time CPU feature detection. Without it the crate
//!   is `#![no_std]` and needs only `alloc`.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// `with_*` setters for the public fields of a `#[non_exhaustive]` options
/// struct, which callers outside the crate cannot build literally.
macro_rules! with_setters {
    ($type:ident { $($setter:ident => $field:ident: $ty:ty),* $(,)? }) => {
        impl $type {
            $(
                #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
                pub const fn $setter(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

pub mod apop;
mod ascii;
pub mod body;
pub mod client;
pub mod codec;
mod framing;
pub mod sasl;
pub mod server;
pub mod state;
pub mod time;
pub mod types;
pub mod url;

pub use codec::{CommandDecoder, Decoded, ResponseDecoder};
pub use types::{Command, Response};

/// The `bytes` crate, whose [`BufMut`](bytes::BufMut) the encoders write to
/// and whose [`Bytes`](bytes::Bytes) the zero-copy body decoder returns:
/// re-exported so that callers need no direct dependency on a matching
/// version.
pub use bytes;

/// The examples of README.md, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
