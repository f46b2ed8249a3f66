//! Parsers for one complete line, CRLF already removed.
//!
//! Each function documents the ABNF it accepts (RFC 1939, RFC 2449 §3 as
//! corrected in SPEC §1, RFC 5034, RFC 6856). The hot paths (numbers,
//! command dispatch, LIST and UIDL lines) are written by hand, because they
//! run once per line of a 100,000-line listing; the rest of the grammar
//! (response codes, capabilities) uses `nom` combinators over `&[u8]` with
//! `()` as the error type. Callers map a failure to the grammar element that
//! failed, so no `nom` type leaves this module.

use super::base64;
use super::command::CommandErrorKind;
use super::response::{ResponseErrorKind, Syntax};
use crate::types::{
    ApopDigest, Capability, Command, CommandKind, DropListing, ExpirePolicy, Keyword, LangListing,
    LangRange, LangTag, Mechanism, MsgNumber, OtherCapability, OtherCommand, Password, Registered,
    RespCode, SaslData, SaslResponse, ScanListing, Secret, Status, StatusKind, Text, Uid,
    UidListing, Username, check_keyword, check_lang_tag, check_uid, is_rchar, is_tag_char,
    is_token_byte,
};
use crate::types::{CapaParam, CapaTag};
use alloc::vec::Vec;
use nom::bytes::complete::{tag, take_while1};
use nom::combinator::{all_consuming, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};

type Res<'a, O> = IResult<&'a [u8], O, ()>;

fn fail<T>() -> Result<T, nom::Err<()>> {
    Err(nom::Err::Error(()))
}

/// `SP`
fn sp(i: &[u8]) -> Res<'_, &[u8]> {
    tag(&b" "[..]).parse(i)
}

/// The run of digits at the start of `input` as a `u64`, and its length:
/// digits only (no sign, no space), leading zeros accepted, `None` for no
/// digit or an overflow (SPEC S8). Hand-written: it is on the hot path of
/// every listing line and most commands.
#[inline]
pub(crate) fn digits_u64(input: &[u8]) -> Option<(u64, usize)> {
    // Up to seven digits followed by anything (every message number and
    // most sizes) are read from one 8-byte word.
    if let Some(word) = input.first_chunk::<8>() {
        match crate::ascii::leading_digits(u64::from_le_bytes(*word)) {
            (_, 0) => return None,
            (n, len) if len < 8 => return Some((n, len)),
            _ => {}
        }
    }
    digits_u64_slow(input)
}

/// [`digits_u64`] a byte at a time: short input and long numbers.
#[inline(never)]
fn digits_u64_slow(input: &[u8]) -> Option<(u64, usize)> {
    let digit = |i: usize| {
        let d = input.get(i)?.wrapping_sub(b'0');
        (d <= 9).then_some(u64::from(d))
    };
    // Nineteen digits always fit a u64: no overflow check until then.
    let mut n: u64 = 0;
    let mut len = 0;
    while len < 19 {
        let Some(d) = digit(len) else { break };
        n = n * 10 + d;
        len += 1;
    }
    if len == 0 {
        return None;
    }
    while let Some(d) = digit(len) {
        n = n.checked_mul(10)?.checked_add(d)?;
        len += 1;
    }
    Some((n, len))
}

fn to_msg(n: u64) -> Option<MsgNumber> {
    MsgNumber::new(u32::try_from(n).ok()?)
}

/// [`digits_u64`] for a message number: fits a `u32`, not zero.
#[inline]
fn digits_msg(input: &[u8]) -> Option<(MsgNumber, usize)> {
    let (n, len) = digits_u64(input)?;
    Some((to_msg(n)?, len))
}

/// `1*DIGIT` as a `u64` (nom adapter of [`digits_u64`]).
fn number_u64(i: &[u8]) -> Res<'_, u64> {
    match digits_u64(i) {
        Some((n, len)) => Ok((&i[len..], n)),
        None => fail(),
    }
}

/// `1*DIGIT` that fits a `u32`.
fn number_u32(i: &[u8]) -> Res<'_, u32> {
    let (rest, n) = number_u64(i)?;
    match u32::try_from(n) {
        Ok(n) => Ok((rest, n)),
        Err(_) => fail(),
    }
}

/// Runs `parser` over all of `input`.
fn whole<'a, O>(
    input: &'a [u8],
    parser: impl Parser<&'a [u8], Output = O, Error = ()>,
) -> Option<O> {
    all_consuming(parser).parse(input).ok().map(|(_, o)| o)
}

/// Splits `line` at its first SP: `(head, Some(tail))`, or `(line, None)`.
#[inline]
fn split_sp(line: &[u8]) -> (&[u8], Option<&[u8]>) {
    match crate::ascii::find_byte(line, b' ') {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    }
}

#[inline]
fn text(bytes: &[u8]) -> Option<Text<'_>> {
    crate::ascii::all_text(bytes).then(|| Text::from_checked(bytes))
}

// ---------------------------------------------------------------- commands

/// A failed command line: why, and which command it was if the keyword was
/// known.
pub(crate) type CommandFailure = (CommandErrorKind, Option<CommandKind>);

/// ```text
/// command = keyword *(SP param)        ; RFC 2449 §3
/// keyword = 3*4VCHAR                   ; case-insensitive; unknown: 1*32VCHAR
/// ```
///
/// Per command (RFC 1939, 2595, 5034, 6856):
///
/// ```text
/// USER SP name            PASS SP *CHAR (SP allowed)   APOP SP name SP 32HEXDIG
/// AUTH [SP mech [SP (base64 / "=")]]   LANG [SP (tag / "*")]
/// LIST/UIDL [SP msg]      RETR/DELE SP msg             TOP SP msg SP 1*DIGIT
/// STAT NOOP RSET QUIT STLS CAPA UTF8  (no argument)
/// ```
///
/// The arguments of USER, PASS and APOP are printable ASCII, or also
/// well-formed UTF-8 when `utf8` is set (RFC 6856 §2, SPEC R72).
#[inline]
pub(crate) fn command(line: &[u8], utf8: bool) -> Result<Command<'_>, CommandFailure> {
    let (kind, args) = match CommandKind::from_line(line) {
        Some((kind, len)) => (kind, line.get(len + 1..)),
        None => {
            let (keyword, args) = split_sp(line);
            return other_command(keyword, args);
        }
    };
    let err = |e: CommandErrorKind| (e, Some(kind));
    let none = |c: Command<'static>| match args {
        None => Ok(c),
        Some(_) => Err(err(CommandErrorKind::TooManyArguments)),
    };
    let Some(args) = args else {
        return match kind {
            CommandKind::Stat => Ok(Command::Stat),
            CommandKind::Noop => Ok(Command::Noop),
            CommandKind::Rset => Ok(Command::Rset),
            CommandKind::Quit => Ok(Command::Quit),
            CommandKind::Stls => Ok(Command::Stls),
            CommandKind::Capa => Ok(Command::Capa),
            CommandKind::Utf8 => Ok(Command::Utf8),
            CommandKind::List => Ok(Command::List(None)),
            CommandKind::Uidl => Ok(Command::Uidl(None)),
            CommandKind::Lang => Ok(Command::Lang(None)),
            CommandKind::Auth => Ok(Command::AuthList),
            _ => Err(err(CommandErrorKind::MissingArgument)),
        };
    };
    match kind {
        CommandKind::Stat => none(Command::Stat),
        CommandKind::Noop => none(Command::Noop),
        CommandKind::Rset => none(Command::Rset),
        CommandKind::Quit => none(Command::Quit),
        CommandKind::Stls => none(Command::Stls),
        CommandKind::Capa => none(Command::Capa),
        CommandKind::Utf8 => none(Command::Utf8),
        CommandKind::Retr | CommandKind::Dele | CommandKind::List | CommandKind::Uidl => {
            let msg = one_msg(args).map_err(err)?;
            Ok(match kind {
                CommandKind::Retr => Command::Retr(msg),
                CommandKind::Dele => Command::Dele(msg),
                CommandKind::List => Command::List(Some(msg)),
                _ => Command::Uidl(Some(msg)),
            })
        }
        CommandKind::Top => {
            let (msg, rest) = split_sp(args);
            let lines = rest.ok_or(err(CommandErrorKind::MissingArgument))?;
            let msg = one_msg(msg).map_err(err)?;
            let lines = sole_number(lines, |n| u32::try_from(n).ok()).map_err(err)?;
            Ok(Command::Top { msg, lines })
        }
        CommandKind::User => username(args, utf8).map(Command::User).map_err(err),
        CommandKind::Pass => password(args, utf8)
            .map(|p| Command::Pass(Secret::new(p)))
            .map_err(err),
        CommandKind::Apop => {
            let (name, digest) = split_sp(args);
            let digest = digest.ok_or(err(CommandErrorKind::MissingArgument))?;
            let name = username(name, utf8).map_err(err)?;
            let digest = ApopDigest::parse(digest).map_err(|_| {
                err(if digest.contains(&b' ') {
                    CommandErrorKind::TooManyArguments
                } else {
                    CommandErrorKind::InvalidArgument
                })
            })?;
            Ok(Command::Apop {
                name,
                digest: Secret::new(digest),
            })
        }
        CommandKind::Auth => {
            let (mechanism, ir) = split_sp(args);
            let mechanism =
                mechanism_token(mechanism).ok_or(err(CommandErrorKind::InvalidArgument))?;
            let initial_response = match ir {
                None => None,
                Some(b"=") => Some(Secret::new(SaslData::from_checked(b""))),
                // An empty response is "=", never nothing (RFC 5034 §4).
                Some(b"") => return Err(err(CommandErrorKind::InvalidArgument)),
                Some(ir) => {
                    let data = base64::decode(ir, true).map_err(|e| {
                        err(if ir.contains(&b' ') {
                            CommandErrorKind::TooManyArguments
                        } else {
                            CommandErrorKind::InvalidBase64(e)
                        })
                    })?;
                    Some(Secret::new(SaslData::from_vec(data)))
                }
            };
            Ok(Command::Auth {
                mechanism,
                initial_response,
            })
        }
        CommandKind::Lang => match args {
            b"*" => Ok(Command::Lang(Some(LangRange::Default))),
            tag if check_lang_tag(tag).is_ok() => Ok(Command::Lang(Some(LangRange::Tag(
                LangTag::from_checked(tag),
            )))),
            tag if tag.contains(&b' ') => Err(err(CommandErrorKind::TooManyArguments)),
            _ => Err(err(CommandErrorKind::InvalidArgument)),
        },
        // `from_line` only yields known kinds.
        CommandKind::Other => Err((CommandErrorKind::InvalidKeyword, None)),
    }
}

#[inline]
fn one_msg(arg: &[u8]) -> Result<MsgNumber, CommandErrorKind> {
    sole_number(arg, to_msg)
}

/// An argument that must be exactly one number: `TooManyArguments` when a
/// valid number is followed by SP, `InvalidArgument` for anything else.
#[inline]
fn sole_number<T>(arg: &[u8], convert: impl Fn(u64) -> Option<T>) -> Result<T, CommandErrorKind> {
    match digits_u64(arg) {
        Some((n, len)) if len == arg.len() => convert(n).ok_or(CommandErrorKind::InvalidArgument),
        Some((n, len)) if arg[len] == b' ' && convert(n).is_some() => {
            Err(CommandErrorKind::TooManyArguments)
        }
        _ => Err(CommandErrorKind::InvalidArgument),
    }
}

/// A USER or APOP name: visible ASCII (one SWAR pass) or, with `utf8` and
/// only then, well-formed UTF-8; at most `MAX_USERNAME_LEN` bytes.
#[inline]
fn username(arg: &[u8], utf8: bool) -> Result<Username<'_>, CommandErrorKind> {
    let fits = (1..=crate::types::MAX_USERNAME_LEN).contains(&arg.len());
    if fits && crate::ascii::all_vchar(arg) {
        return Ok(Username::from_checked(arg));
    }
    username_slow(arg, utf8)
}

#[inline(never)]
fn username_slow(arg: &[u8], utf8: bool) -> Result<Username<'_>, CommandErrorKind> {
    if utf8 && crate::types::check_username(arg).is_ok() {
        Ok(Username::from_checked(arg))
    } else if arg.contains(&b' ') {
        Err(CommandErrorKind::TooManyArguments)
    } else {
        Err(CommandErrorKind::InvalidArgument)
    }
}

/// A PASS argument: printable ASCII, SP included (one SWAR pass), or, with
/// `utf8` and only then, well-formed UTF-8; at most `MAX_PASSWORD_LEN`
/// bytes.
#[inline]
fn password(arg: &[u8], utf8: bool) -> Result<Password<'_>, CommandErrorKind> {
    let fits = arg.len() <= crate::types::MAX_PASSWORD_LEN;
    if fits && crate::ascii::all_print(arg) {
        return Ok(Password::from_checked(arg));
    }
    if utf8 && crate::types::check_password(arg).is_ok() {
        return Ok(Password::from_checked(arg));
    }
    Err(CommandErrorKind::InvalidArgument)
}

fn other_command<'a>(
    keyword: &'a [u8],
    args: Option<&'a [u8]>,
) -> Result<Command<'a>, CommandFailure> {
    if keyword.is_empty() && args.is_none() {
        return Err((CommandErrorKind::Empty, None));
    }
    if check_keyword(keyword).is_err() {
        return Err((CommandErrorKind::InvalidKeyword, None));
    }
    let arguments = match args {
        None => None,
        Some(a) => {
            Some(text(a).ok_or((CommandErrorKind::InvalidArgument, Some(CommandKind::Other)))?)
        }
    };
    Ok(Command::Other(OtherCommand::new(
        Keyword::from_checked(keyword),
        arguments,
    )))
}

/// ```text
/// sasl-response = *base64 / "*"      ; RFC 5034 §4; empty is empty data
/// ```
pub(crate) fn sasl_response(line: &[u8]) -> Result<SaslResponse<'static>, CommandErrorKind> {
    if line == b"*" {
        return Ok(SaslResponse::Cancel);
    }
    let data = base64::decode(line, true).map_err(CommandErrorKind::InvalidBase64)?;
    Ok(SaslResponse::Data(Secret::new(SaslData::from_vec(data))))
}

/// `sasl-mech = 1*20mech-char`
fn mechanism_token(token: &[u8]) -> Option<Mechanism<'_>> {
    crate::types::check_mechanism(token)
        .is_ok()
        .then(|| Mechanism::from_checked(token))
}

// --------------------------------------------------------------- responses

/// ```text
/// status = "+OK" / "-ERR"            ; upper case; lower case if `any_case`
/// single-line = status [SP text]     ; text = *(SP / VCHAR / 8-bit)
/// ```
///
/// Returns the status and the raw text after `status SP`.
pub(crate) fn status_prefix(line: &[u8], any_case: bool) -> Option<(StatusKind, &[u8])> {
    let eq = |a: &[u8], b: &[u8]| {
        if any_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let (kind, rest) = if line.len() >= 3 && eq(&line[..3], b"+OK") {
        (StatusKind::Ok, &line[3..])
    } else if line.len() >= 4 && eq(&line[..4], b"-ERR") {
        (StatusKind::Err, &line[4..])
    } else {
        return None;
    };
    match rest {
        [] => Some((kind, rest)),
        [b' ', text @ ..] => Some((kind, text)),
        _ => None,
    }
}

/// The status line of `kind` whose text after `status SP` is `raw`, with
/// its response code split off (RFC 2449 §8); `None` when the text holds a
/// forbidden byte.
pub(crate) fn status_text(kind: StatusKind, raw: &[u8]) -> Option<Status<'_>> {
    if !crate::ascii::all_text(raw) {
        return None;
    }
    let (code, rest) = split_resp_code(raw);
    Some(Status::from_parts(kind, code, Text::from_checked(rest)))
}

/// ```text
/// resp-code  = "[" resp-level *("/" resp-level) "]"   ; then an optional SP
/// resp-level = 1*rchar
/// ```
///
/// Splits a leading response code off `text`. An unterminated or malformed
/// bracket is plain text (SPEC R45).
pub(crate) fn split_resp_code(text: &[u8]) -> (Option<RespCode<'_>>, &[u8]) {
    let level = || take_while1(is_rchar);
    let code = (
        tag(&b"["[..]),
        nom::combinator::recognize((
            level(),
            nom::multi::many0_count(preceded(tag(&b"/"[..]), level())),
        )),
        tag(&b"]"[..]),
        opt(sp),
    )
        .parse(text);
    match code {
        Ok((rest, (_, code, _, _))) => (Some(RespCode::from_checked(code)), rest),
        Err(_) => (None, text),
    }
}

/// `SP number`, then nothing or `SP` and text that RFC 1939 allows after
/// the numbers of a listing (and that is dropped).
#[inline]
fn sp_number_then_text(raw: &[u8]) -> Option<u64> {
    let (n, len) = digits_u64(raw.strip_prefix(b" ")?)?;
    match raw.get(1 + len) {
        None | Some(b' ') => Some(n),
        Some(_) => None,
    }
}

/// ```text
/// drop-listing = "+OK" SP count SP size [SP *CHAR]     ; RFC 1939 §5
/// ```
pub(crate) fn drop_listing(raw: &[u8]) -> Result<DropListing, ResponseErrorKind> {
    let malformed = ResponseErrorKind::Malformed(Syntax::DropListing);
    let (count, len) = digits_u64(raw).ok_or(malformed)?;
    let count = u32::try_from(count).map_err(|_| malformed)?;
    let size = sp_number_then_text(&raw[len..]).ok_or(malformed)?;
    Ok(DropListing { count, size })
}

/// ```text
/// scan-listing = msg SP size [SP *CHAR]                 ; RFC 1939 §5
/// ```
#[inline]
pub(crate) fn scan_listing(raw: &[u8]) -> Result<ScanListing, ResponseErrorKind> {
    let malformed = ResponseErrorKind::Malformed(Syntax::ScanListing);
    let (msg, len) = digits_msg(raw).ok_or(malformed)?;
    let size = sp_number_then_text(&raw[len..]).ok_or(malformed)?;
    Ok(ScanListing { msg, size })
}

/// ```text
/// uid-listing = msg SP uid          ; uid = 1*70(%x21-7E), nothing after
/// ```
#[inline]
pub(crate) fn uid_listing(raw: &[u8]) -> Result<UidListing<'_>, ResponseErrorKind> {
    let malformed = ResponseErrorKind::Malformed(Syntax::UidListing);
    let (msg, len) = digits_msg(raw).ok_or(malformed)?;
    let uid = raw[len..].strip_prefix(b" ").ok_or(malformed)?;
    check_uid(uid).map_err(|_| malformed)?;
    Ok(UidListing {
        msg,
        uid: Uid::from_checked(uid),
    })
}

/// A whole UIDL line `msg SP uid CRLF` at the start of `input`, read in
/// one pass: the fast path for the common case. `None` sends the caller to
/// the general path (framing, then [`uid_listing`]), which gives the same
/// value for every line this accepts, and the right error or
/// `Incomplete` for anything else.
#[inline(always)]
pub(crate) fn uid_line(input: &[u8]) -> Option<(UidListing<'_>, usize)> {
    let (msg, len) = digits_msg(input)?;
    let rest = input[len..].strip_prefix(b" ")?;
    let end = crate::ascii::find_non_vchar(rest)?;
    if !(1..=crate::types::MAX_UID_LEN).contains(&end) || rest.get(end..end + 2)? != b"\r\n" {
        return None;
    }
    let uid = Uid::from_checked(&rest[..end]);
    Some((UidListing { msg, uid }, len + 1 + end + 2))
}

/// A whole LIST line `msg SP size CRLF` at the start of `input`: the fast
/// path, as [`uid_line`] is for UIDL.
#[inline(always)]
pub(crate) fn scan_line(input: &[u8]) -> Option<(ScanListing, usize)> {
    let (msg, len) = digits_msg(input)?;
    let rest = input[len..].strip_prefix(b" ")?;
    let (size, digits) = digits_u64(rest)?;
    if rest.get(digits..digits + 2)? != b"\r\n" {
        return None;
    }
    Some((ScanListing { msg, size }, len + 1 + digits + 2))
}

/// ```text
/// lang-listing = language-tag [SP *CHAR]                ; RFC 6856 §3
/// ```
pub(crate) fn lang_listing(raw: &[u8]) -> Result<LangListing<'_>, ResponseErrorKind> {
    let malformed = ResponseErrorKind::Malformed(Syntax::LangListing);
    let (tag, description) = split_sp(raw);
    check_lang_tag(tag).map_err(|_| malformed)?;
    let description = text(description.unwrap_or_default()).ok_or(malformed)?;
    Ok(LangListing {
        tag: LangTag::from_checked(tag),
        description,
    })
}

/// A line of the reply to a bare `AUTH`: one mechanism name.
pub(crate) fn mechanism_line(raw: &[u8]) -> Result<Mechanism<'_>, ResponseErrorKind> {
    mechanism_token(raw).ok_or(ResponseErrorKind::Malformed(Syntax::Mechanism))
}

/// ```text
/// continue-req = "+" [SP [base64]]   ; the bare "+" is Exchange's (SPEC §7.8)
/// ```
///
/// `None` when the line is not a continuation at all. The base64 must be
/// padded unless `unpadded` allows otherwise (SPEC R55, V8).
pub(crate) fn challenge(
    line: &[u8],
    unpadded: bool,
) -> Option<Result<SaslData<'static>, ResponseErrorKind>> {
    let data = match line {
        [b'+'] => b"".as_slice(),
        [b'+', b' ', data @ ..] => data,
        _ => return None,
    };
    Some(
        base64::decode(data, !unpadded)
            .map(SaslData::from_vec)
            .map_err(ResponseErrorKind::InvalidBase64),
    )
}

/// ```text
/// capability = capa-tag *(SP param)   ; capa-tag = 1*cchar (no ".")
/// ```
///
/// Registered tags get their own variant (SPEC §3). Parameters that a
/// parameterless capability should not have are ignored; SASL tokens that
/// are not mechanism names are left out (EAST, SPEC V13).
pub(crate) fn capability(line: &[u8]) -> Result<Capability<'_>, ResponseErrorKind> {
    let malformed = ResponseErrorKind::Malformed(Syntax::Capability);
    let (tag, raw_params) = split_sp(line);
    if tag.is_empty() || !tag.iter().all(|&b| is_tag_char(b)) {
        return Err(malformed);
    }
    let mut params = raw_params
        .unwrap_or_default()
        .split(|&b| b == b' ')
        .filter(|p| !p.is_empty());
    let Some(known) = crate::types::registered(tag) else {
        let params = params
            .map(|p| match whole(p, take_while1(is_token_byte)) {
                Some(p) => Ok(CapaParam::from_checked(p)),
                None => Err(malformed),
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Capability::Other(OtherCapability::new(
            CapaTag::from_checked(tag),
            params,
        )));
    };
    let is_user = |p: Option<&[u8]>| match p {
        None => Ok(false),
        Some(p) if p.eq_ignore_ascii_case(b"USER") => Ok(true),
        Some(_) => Err(malformed),
    };
    Ok(match known {
        Registered::Top => Capability::Top,
        Registered::User => Capability::User,
        Registered::Sasl => Capability::Sasl(params.filter_map(mechanism_token).collect()),
        Registered::RespCodes => Capability::RespCodes,
        Registered::LoginDelay => {
            let seconds = params
                .next()
                .and_then(|p| whole(p, number_u32))
                .ok_or(malformed)?;
            let per_user = is_user(params.next())?;
            Capability::LoginDelay { seconds, per_user }
        }
        Registered::Pipelining => Capability::Pipelining,
        Registered::Expire => {
            let policy = match params.next() {
                Some(p) if p.eq_ignore_ascii_case(b"NEVER") => ExpirePolicy::Never,
                Some(p) => ExpirePolicy::Days(whole(p, number_u32).ok_or(malformed)?),
                None => return Err(malformed),
            };
            let per_user = is_user(params.next())?;
            Capability::Expire { policy, per_user }
        }
        Registered::Uidl => Capability::Uidl,
        Registered::Implementation => {
            Capability::Implementation(text(raw_params.unwrap_or_default()).ok_or(malformed)?)
        }
        Registered::Stls => Capability::Stls,
        Registered::AuthRespCode => Capability::AuthRespCode,
        Registered::Utf8 => Capability::Utf8 {
            user: is_user(params.next())?,
        },
        Registered::Lang => Capability::Lang,
    })
}

/// Strips the dot-stuffing of a listing line: `None` for the terminating
/// `.`, else the line without one leading dot (RFC 1939 §3).
#[inline]
pub(crate) fn unstuff_line(line: &[u8]) -> Option<&[u8]> {
    match line {
        b"." => None,
        [b'.', rest @ ..] => Some(rest),
        _ => Some(line),
    }
}
