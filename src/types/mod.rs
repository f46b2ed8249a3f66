//! The data types of POP3: commands, responses, capabilities and their
//! validated parts. No parsing lives here; see [`crate::codec`].

mod capability;
mod command;
mod mechanism;
mod response;
mod value;

pub use self::capability::{
    CapaParam, CapaTag, Capabilities, Capability, ExpirePolicy, OtherCapability,
};
pub use self::command::{
    ApopDigest, Command, CommandKind, Keyword, MAX_KEYWORD_LEN, OtherCommand, SaslResponse,
};
pub use self::mechanism::{Mechanism, OtherMechanism};
pub use self::response::{
    DropListing, Entry, Expect, Greeting, LangListing, RespCode, RespCodeKind, Response,
    ScanListing, Status, StatusKind, UidListing,
};
pub use self::value::{
    LangRange, LangTag, MAX_LANG_TAG_LEN, MAX_MECHANISM_LEN, MAX_PASSWORD_LEN, MAX_TIMESTAMP_LEN,
    MAX_UID_LEN, MAX_USERNAME_LEN, MsgNumber, Password, SaslData, Secret, Text, Timestamp, Uid,
    Username, ValueError,
};

pub(crate) use self::capability::{Registered, is_tag_char, registered};
pub(crate) use self::command::check_keyword;
pub(crate) use self::response::is_rchar;
pub(crate) use self::value::{
    check_lang_tag, check_mechanism, check_password, check_uid, check_username, hash_ignore_case,
    is_token_byte, write_escaped,
};
