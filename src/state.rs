//! The session states of RFC 1939 §3 and the one table of which command
//! is valid in which, shared by the client and the server machines.
//!
//! ```text
//!   greeting ──► AUTHORIZATION ──(login)──► TRANSACTION ──(QUIT)──► UPDATE ──► closed
//!                     │                          │
//!                     └──(QUIT, EOF, error)──────┴──(EOF, error, timeout)──► closed
//! ```
//!
//! The table says what a state allows at all. Some rules need more than
//! the state, and the machines keep them: PASS only right after a
//! successful USER, STLS only once, never after a login or after UTF8
//! (RFC 2595 §4, RFC 6856 §2.1), AUTH only while no other login is under
//! way.

use crate::types::CommandKind;

/// Where a POP3 session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionState {
    /// Before the greeting: nothing may be sent yet.
    Greeting,
    /// AUTHORIZATION: the client identifies itself (RFC 1939 §4).
    Authorization,
    /// TRANSACTION: the maildrop is open (RFC 1939 §5).
    Transaction,
    /// UPDATE: QUIT was sent in TRANSACTION; the server removes the
    /// messages marked as deleted, answers and closes (RFC 1939 §6).
    Update,
    /// The session is over; nothing more is sent.
    Closed,
}

impl SessionState {
    /// Whether a command of this kind may be sent in this state (SPEC
    /// §2.D). Unknown commands ([`CommandKind::Other`]) may be sent in
    /// AUTHORIZATION and TRANSACTION: the server answers them with `-ERR`
    /// if it does not know them (SPEC R07).
    pub const fn allows(self, kind: CommandKind) -> bool {
        use CommandKind as K;
        match self {
            Self::Authorization => matches!(
                kind,
                K::User
                    | K::Pass
                    | K::Apop
                    | K::Auth
                    | K::Stls
                    | K::Capa
                    | K::Utf8
                    | K::Lang
                    | K::Quit
                    | K::Other
            ),
            Self::Transaction => matches!(
                kind,
                K::Stat
                    | K::List
                    | K::Retr
                    | K::Dele
                    | K::Noop
                    | K::Rset
                    | K::Top
                    | K::Uidl
                    | K::Capa
                    | K::Lang
                    | K::Quit
                    | K::Other
            ),
            Self::Greeting | Self::Update | Self::Closed => false,
        }
    }

    /// True once the session can send nothing more.
    pub const fn is_over(self) -> bool {
        matches!(self, Self::Update | Self::Closed)
    }
}

impl core::fmt::Display for SessionState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Greeting => "greeting",
            Self::Authorization => "AUTHORIZATION",
            Self::Transaction => "TRANSACTION",
            Self::Update => "UPDATE",
            Self::Closed => "closed",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC R22 and §2.D, over every (state, command) pair.
    #[test]
    fn the_table_is_rfc1939s() {
        use CommandKind as K;
        let auth_only = [K::User, K::Pass, K::Apop, K::Auth, K::Stls, K::Utf8];
        let trans_only = [
            K::Stat,
            K::List,
            K::Retr,
            K::Dele,
            K::Noop,
            K::Rset,
            K::Top,
            K::Uidl,
        ];
        let both = [K::Capa, K::Lang, K::Quit, K::Other];
        let all: alloc::vec::Vec<K> = K::KNOWN.iter().copied().chain([K::Other]).collect();
        assert_eq!(
            auth_only.len() + trans_only.len() + both.len(),
            all.len(),
            "every kind is placed"
        );
        for kind in all {
            let a = SessionState::Authorization.allows(kind);
            let t = SessionState::Transaction.allows(kind);
            assert_eq!(
                (a, t),
                (
                    auth_only.contains(&kind) || both.contains(&kind),
                    trans_only.contains(&kind) || both.contains(&kind)
                ),
                "{kind:?}"
            );
            for closed in [
                SessionState::Greeting,
                SessionState::Update,
                SessionState::Closed,
            ] {
                assert!(!closed.allows(kind), "{closed} {kind:?}");
            }
        }
    }
}
