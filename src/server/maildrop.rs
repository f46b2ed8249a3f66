//! The maildrop as the server sees it: a listing the application keeps,
//! and the deletion marks the server keeps.

use crate::types::{MsgNumber, Uid};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::vec::Vec;

/// The listing of an open maildrop, numbered 1 to [`len`](Self::len) for
/// the whole session (RFC 1939 §4, SPEC R25), kept by the application.
///
/// The server asks for one message's size or unique-id at a time, when a
/// command needs it, so the listing can live wherever the application
/// keeps it: a `Vec` ([`Listing`]), an index file, a database. The
/// server's own memory for a maildrop is the count, the total and one bit
/// per message once the client deletes something.
///
/// The server calls these only with `1 <= msg <= len()`, and relies on
/// the answers staying the same for the session.
pub trait Maildrop {
    /// How many messages the maildrop had when it was opened.
    fn len(&self) -> u32;

    /// True for an empty maildrop.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of message `msg` in octets, as RFC 1939 counts it: with
    /// CRLF line ends and without dot-stuffing (SPEC R12), which
    /// [`WireLen::message_size`](crate::body::WireLen::message_size)
    /// computes for content stored with LF line ends.
    fn size(&self, msg: MsgNumber) -> u64;

    /// The unique-id of message `msg` (RFC 1939 §7, SPEC R29): the same
    /// in every session, never reused for another message.
    fn uid(&self, msg: MsgNumber) -> Uid<'_>;

    /// True when message `msg` cannot be sent without UTF-8 and has no
    /// ASCII form: without UTF8 mode, RETR and TOP get `-ERR [UTF8]`
    /// (RFC 6856 §2.1, SPEC R71). Default `false`.
    fn needs_utf8(&self, msg: MsgNumber) -> bool {
        let _ = msg;
        false
    }
}

/// A [`Maildrop`] in a `Vec`: a size and a unique-id per message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    messages: Vec<(u64, Uid<'static>, bool)>,
}

impl Listing {
    /// An empty listing.
    pub const fn new() -> Self {
        Self {
            messages: Vec::new(),
        }
    }

    /// Adds the next message; returns its number, or `None` past
    /// `u32::MAX` messages.
    pub fn push(&mut self, size: u64, uid: Uid<'static>) -> Option<MsgNumber> {
        self.push_message(size, uid, false)
    }

    /// Adds the next message, saying whether it needs UTF8 mode
    /// ([`Maildrop::needs_utf8`]).
    pub fn push_message(
        &mut self,
        size: u64,
        uid: Uid<'static>,
        needs_utf8: bool,
    ) -> Option<MsgNumber> {
        let n = u32::try_from(self.messages.len() + 1).ok()?;
        self.messages.push((size, uid, needs_utf8));
        MsgNumber::new(n)
    }

    fn get(&self, msg: MsgNumber) -> Option<&(u64, Uid<'static>, bool)> {
        self.messages.get(msg.get() as usize - 1)
    }
}

impl Maildrop for Listing {
    fn len(&self) -> u32 {
        u32::try_from(self.messages.len()).unwrap_or(u32::MAX)
    }

    fn size(&self, msg: MsgNumber) -> u64 {
        self.get(msg).map_or(0, |m| m.0)
    }

    fn uid(&self, msg: MsgNumber) -> Uid<'_> {
        self.get(msg)
            .map_or(Uid(Cow::Borrowed(b"?")), |m| Uid(Cow::Borrowed(&m.1.0)))
    }

    fn needs_utf8(&self, msg: MsgNumber) -> bool {
        self.get(msg).is_some_and(|m| m.2)
    }
}

/// The open maildrop: the application's listing, and the marks.
pub(crate) struct Open {
    pub(crate) listing: Box<dyn Maildrop + Send>,
    /// Messages at open.
    pub(crate) len: u32,
    /// Messages not marked, and their total size.
    pub(crate) live: u32,
    pub(crate) live_size: u64,
    /// The total size at open.
    total: u64,
    /// One bit per message, allocated at the first DELE.
    marks: Vec<u64>,
}

impl core::fmt::Debug for Open {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Open")
            .field("len", &self.len)
            .field("live", &self.live)
            .field("live_size", &self.live_size)
            .finish_non_exhaustive()
    }
}

impl Open {
    /// Opens `listing`, adding up its sizes (saturating: a sum past
    /// `u64::MAX` octets cannot be stored anywhere).
    pub(crate) fn new(listing: Box<dyn Maildrop + Send>) -> Self {
        let len = listing.len();
        let mut total = 0u64;
        for n in 1..=len {
            if let Some(msg) = MsgNumber::new(n) {
                total = total.saturating_add(listing.size(msg));
            }
        }
        Self {
            listing,
            len,
            live: len,
            live_size: total,
            total,
            marks: Vec::new(),
        }
    }

    /// The bytes the server itself holds for this maildrop.
    pub(crate) fn own_bytes(&self) -> usize {
        core::mem::size_of::<Self>() + self.marks.capacity() * 8
    }

    pub(crate) fn is_marked(&self, msg: MsgNumber) -> bool {
        let i = (msg.get() - 1) as usize;
        self.marks
            .get(i / 64)
            .is_some_and(|word| word & (1 << (i % 64)) != 0)
    }

    /// `msg` if it exists and is not marked (SPEC R25, R26).
    pub(crate) fn live(&self, msg: MsgNumber) -> Result<MsgNumber, Missing> {
        if msg.get() > self.len {
            Err(Missing::NoSuchMessage)
        } else if self.is_marked(msg) {
            Err(Missing::Deleted)
        } else {
            Ok(msg)
        }
    }

    /// Marks a live message.
    pub(crate) fn mark(&mut self, msg: MsgNumber) {
        if self.marks.is_empty() {
            self.marks = alloc::vec![0; (self.len as usize).div_ceil(64)];
        }
        let i = (msg.get() - 1) as usize;
        if let Some(word) = self.marks.get_mut(i / 64) {
            if *word & (1 << (i % 64)) == 0 {
                *word |= 1 << (i % 64);
                self.live -= 1;
                self.live_size = self.live_size.saturating_sub(self.listing.size(msg));
            }
        }
    }

    /// Unmarks everything (RSET, RFC 1939 §5, SPEC R36).
    pub(crate) fn reset(&mut self) {
        self.live = self.len;
        self.live_size = self.total;
        self.marks = Vec::new();
    }

    /// The marked messages, in order.
    pub(crate) fn marked(&self) -> impl Iterator<Item = MsgNumber> + '_ {
        self.marks.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            core::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                MsgNumber::new(u32::try_from(w * 64 + b as usize + 1).ok()?)
            })
        })
    }

    /// The first live message at or after `from`, for listings.
    pub(crate) fn next_live(&self, from: u32) -> Option<MsgNumber> {
        let mut n = from;
        while n <= self.len {
            let msg = MsgNumber::new(n)?;
            if !self.is_marked(msg) {
                return Some(msg);
            }
            n = n.checked_add(1)?;
        }
        None
    }
}

/// Why a message number names no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    NoSuchMessage,
    Deleted,
}
