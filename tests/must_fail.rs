//! Input that must be refused: every case is a typed error that consumes
//! the bad line, never a panic (SPEC V14, S6, S7, S8, S10, S11, R04, R05).

mod common;

use pop3_proto::codec::{
    CommandDecoder, CommandErrorKind, CommandOptions, Decoded, ResponseErrorKind, ResponseOptions,
    Syntax,
};
use pop3_proto::types::*;

fn n(v: u32) -> MsgNumber {
    MsgNumber::new(v).unwrap()
}

fn resp_err(line: &[u8], expect: Expect) -> ResponseErrorKind {
    match common::first(line, expect) {
        Err(e) => {
            assert_eq!(e.consumed(), line.len(), "{line:?}");
            e.kind()
        }
        other => panic!("{:?} decoded to {other:?}", String::from_utf8_lossy(line)),
    }
}

fn cmd_err(line: &[u8]) -> (CommandErrorKind, Option<CommandKind>) {
    match CommandDecoder::default().decode(line) {
        Err(e) => {
            assert_eq!(e.consumed(), line.len(), "{line:?}");
            (e.kind(), e.command())
        }
        other => panic!("{:?} decoded to {other:?}", String::from_utf8_lossy(line)),
    }
}

/// Error inside a listing: the decoder stays in the listing.
fn entry_err(line: &[u8], expect: Expect) -> ResponseErrorKind {
    let mut d = common::Lines::default();
    assert!(matches!(
        d.decode(b"+OK\r\n", expect),
        Ok(Decoded::Value { .. })
    ));
    let e = d.decode(line, expect).expect_err("must fail");
    assert_eq!(e.consumed(), line.len());
    assert!(
        d.decoder.in_listing(),
        "a bad line does not end the listing"
    );
    assert!(matches!(
        d.decode(b".\r\n", expect),
        Ok(Decoded::Value { value: None, .. })
    ));
    e.kind()
}

#[test]
fn v14_mailkit_error_captures() {
    for line in [
        &b"+OK 7\r\n"[..],
        b"+OK seven 1800662\r\n",
        b"+OK 7 #octets\r\n",
    ] {
        assert_eq!(
            resp_err(line, Expect::Stat),
            ResponseErrorKind::Malformed(Syntax::DropListing)
        );
    }
    assert_eq!(
        resp_err(b"+OK 1\r\n", Expect::Scan(n(1))),
        ResponseErrorKind::Malformed(Syntax::ScanListing)
    );
    for line in [&b"7\r\n"[..], b"7 ten-twenty-four\r\n"] {
        assert_eq!(
            entry_err(line, Expect::ScanListing),
            ResponseErrorKind::Malformed(Syntax::ScanListing)
        );
    }
    assert_eq!(
        resp_err(b"+OK 1\r\n", Expect::Uid(n(1))),
        ResponseErrorKind::Malformed(Syntax::UidListing)
    );
    assert_eq!(
        resp_err(b"+OK 99 101\r\n", Expect::Uid(n(1))),
        ResponseErrorKind::WrongMessage {
            expected: n(1),
            found: n(99)
        }
    );
    assert_eq!(
        resp_err(b"+OK 2 200\r\n", Expect::Scan(n(1))),
        ResponseErrorKind::WrongMessage {
            expected: n(1),
            found: n(2)
        }
    );
    assert_eq!(
        entry_err(b"3\r\n", Expect::UidListing),
        ResponseErrorKind::Malformed(Syntax::UidListing)
    );
}

#[test]
fn s7_uid_rules() {
    // Opaque but legal: exposed as is, for the caller to encode.
    let mut d = common::Lines::default();
    let _ = d.decode(b"+OK\r\n", Expect::UidListing);
    let Ok(Decoded::Value {
        value: Some(Response::Entry(Entry::Uid(u))),
        ..
    }) = d.decode(b"1 ../../x\r\n", Expect::UidListing)
    else {
        panic!()
    };
    assert_eq!(u.uid.as_str(), "../../x");
    let long = format!("1 {}\r\n", "a".repeat(71));
    for line in [
        long.as_bytes(),
        b"1 \r\n",
        b"1 a b\r\n",
        b"1 caf\xc3\xa9\r\n",
        b"1\ta\r\n",
    ] {
        assert_eq!(
            entry_err(line, Expect::UidListing),
            ResponseErrorKind::Malformed(Syntax::UidListing),
            "{line:?}"
        );
    }
    let ok70 = format!("1 {}\r\n", "a".repeat(70));
    let mut d = common::Lines::default();
    let _ = d.decode(b"+OK\r\n", Expect::UidListing);
    assert!(d.decode(ok70.as_bytes(), Expect::UidListing).is_ok());
    assert_eq!(
        resp_err(b"+OK 1 a b\r\n", Expect::Uid(n(1))),
        ResponseErrorKind::Malformed(Syntax::UidListing)
    );
}

#[test]
fn s8_numbers() {
    let bad: [&[u8]; 10] = [
        b"RETR 0\r\n",
        b"RETR -1\r\n",
        b"RETR +1\r\n",
        b"RETR 1.0\r\n",
        b"RETR 4294967296\r\n",
        b"RETR 99999999999999999999\r\n",
        b"DELE 0x1\r\n",
        b"TOP 1 -5\r\n",
        b"TOP 1 18446744073709551616\r\n",
        b"TOP 1 x\r\n",
    ];
    for line in bad {
        assert_eq!(
            cmd_err(line).0,
            CommandErrorKind::InvalidArgument,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(
        cmd_err(b"TOP 1\r\n"),
        (CommandErrorKind::MissingArgument, Some(CommandKind::Top))
    );
    assert_eq!(
        cmd_err(b"RETR\r\n"),
        (CommandErrorKind::MissingArgument, Some(CommandKind::Retr))
    );
    assert_eq!(
        cmd_err(b"RETR 1 2\r\n").0,
        CommandErrorKind::TooManyArguments
    );
    assert_eq!(cmd_err(b"RETR  1\r\n").0, CommandErrorKind::InvalidArgument);
    // Largest values that fit are accepted; leading zeros are accepted.
    let mut d = CommandDecoder::default();
    assert!(matches!(
        d.decode(b"RETR 4294967295\r\n"),
        Ok(Decoded::Value { value: Command::Retr(m), .. }) if m.get() == u32::MAX
    ));
    assert!(matches!(
        d.decode(b"TOP 007 0\r\n"),
        Ok(Decoded::Value { value: Command::Top { msg, lines: 0 }, .. }) if msg.get() == 7
    ));
    // Sizes in replies: overflow is an error, never a wrap.
    assert_eq!(
        resp_err(b"+OK 1 18446744073709551616\r\n", Expect::Stat),
        ResponseErrorKind::Malformed(Syntax::DropListing)
    );
    assert_eq!(
        resp_err(b"+OK 4294967296 1\r\n", Expect::Stat),
        ResponseErrorKind::Malformed(Syntax::DropListing)
    );
    assert_eq!(
        entry_err(b"0 100\r\n", Expect::ScanListing),
        ResponseErrorKind::Malformed(Syntax::ScanListing)
    );
}

#[test]
fn r07_malformed_commands_and_wrong_arity() {
    assert_eq!(cmd_err(b"\r\n").0, CommandErrorKind::Empty);
    assert_eq!(cmd_err(b" STAT\r\n").0, CommandErrorKind::InvalidKeyword);
    assert_eq!(cmd_err(b"ST\x01T\r\n").0, CommandErrorKind::InvalidKeyword);
    assert_eq!(cmd_err(b"STAT x\r\n").0, CommandErrorKind::TooManyArguments);
    assert_eq!(cmd_err(b"QUIT \r\n").0, CommandErrorKind::TooManyArguments);
    assert_eq!(cmd_err(b"USER\r\n").0, CommandErrorKind::MissingArgument);
    assert_eq!(
        cmd_err(b"USER a b\r\n").0,
        CommandErrorKind::TooManyArguments
    );
    assert_eq!(cmd_err(b"USER \r\n").0, CommandErrorKind::InvalidArgument);
    assert_eq!(
        cmd_err(b"APOP mrose\r\n").0,
        CommandErrorKind::MissingArgument
    );
    assert_eq!(
        cmd_err(b"APOP mrose C4C9334BAC560ECC979E58001B3E22FB\r\n").0,
        CommandErrorKind::InvalidArgument,
        "R18: lower-case hex only"
    );
    assert_eq!(
        cmd_err(b"AUTH PL@IN\r\n").0,
        CommandErrorKind::InvalidArgument
    );
    assert_eq!(
        cmd_err(b"AUTH PLAIN a b\r\n").0,
        CommandErrorKind::TooManyArguments
    );
    assert_eq!(
        cmd_err(b"LANG e_n\r\n").0,
        CommandErrorKind::InvalidArgument
    );
    assert_eq!(
        cmd_err(b"PASS a\0b\r\n").0,
        CommandErrorKind::InvalidArgument
    );
    assert_eq!(
        cmd_err(b"XTND a\0b\r\n").0,
        CommandErrorKind::InvalidArgument
    );
    assert_eq!(cmd_err(b"NOOP\rX\r\n").0, CommandErrorKind::InvalidKeyword);
}

#[test]
fn r55_s11_base64() {
    for line in [
        &b"AUTH PLAIN =AAA\r\n"[..],
        b"AUTH PLAIN AAA=BBBB\r\n",
        b"AUTH PLAIN A\r\n",
        b"AUTH PLAIN Zm8\r\n",
    ] {
        assert!(
            matches!(cmd_err(line).0, CommandErrorKind::InvalidBase64(_)),
            "{line:?}"
        );
    }
    let mut d = CommandDecoder::default();
    for line in [
        &b"=AAA\r\n"[..],
        b"AAA=BBBB\r\n",
        b"A\r\n",
        b"**\r\n",
        b"dGVzdA=\r\n",
    ] {
        let e = d.decode_sasl(line).expect_err("must fail");
        assert!(matches!(e.kind(), CommandErrorKind::InvalidBase64(_)));
        assert_eq!(e.consumed(), line.len());
    }
    // Challenges: empty and 1-char, bad padding, 1 MB.
    assert!(matches!(
        resp_err(b"+ A\r\n", Expect::Challenge),
        ResponseErrorKind::InvalidBase64(_)
    ));
    assert!(matches!(
        resp_err(b"+ AB=C\r\n", Expect::Challenge),
        ResponseErrorKind::InvalidBase64(_)
    ));
    let mut big = b"+ ".to_vec();
    big.extend(std::iter::repeat_n(b'A', 1 << 20));
    big.extend_from_slice(b"\r\n");
    let e = common::first(&big, Expect::Challenge).expect_err("over the SASL line limit");
    assert_eq!(
        e.kind(),
        ResponseErrorKind::LineTooLong {
            limit: pop3_proto::codec::DEFAULT_SASL_LINE
        }
    );
    assert_eq!(e.consumed(), big.len());
    // A challenge is only a challenge when one can come.
    assert_eq!(
        resp_err(b"+ AAAA\r\n", Expect::Status),
        ResponseErrorKind::Malformed(Syntax::StatusLine)
    );
}

#[test]
fn r05_s6_line_limits() {
    // 512 octets with CRLF is accepted, 513 is not.
    let mut ok = b"+OK ".to_vec();
    ok.resize(510, b'x');
    ok.extend_from_slice(b"\r\n");
    assert!(common::first(&ok, Expect::Status).is_ok());
    let mut long = b"+OK ".to_vec();
    long.resize(511, b'x');
    long.extend_from_slice(b"\r\n");
    assert_eq!(
        resp_err(&long, Expect::Status),
        ResponseErrorKind::LineTooLong { limit: 512 }
    );
    // 100 kB status line, no CRLF, one byte at a time: refused at the limit,
    // then discarded as it arrives, and the next line is read.
    let mut d = common::Lines::default();
    let mut buf = Vec::new();
    let mut errors = 0;
    let mut max = 0;
    for _ in 0..100_000 {
        buf.push(b'x');
        max = max.max(buf.len());
        match d.decode(&buf, Expect::Status) {
            Ok(Decoded::Incomplete) => {}
            Ok(Decoded::Discard(k)) => {
                buf.drain(..k);
            }
            Err(e) => {
                errors += 1;
                buf.drain(..e.consumed());
            }
            Ok(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(errors, 1);
    assert!(max <= 512, "held {max} bytes");
    buf.extend_from_slice(b"\r\n+OK\r\n");
    assert_eq!(d.decode(&buf, Expect::Status), Ok(Decoded::Discard(2)));
    assert!(d.decode(&buf[2..], Expect::Status).is_ok());
    // Commands: 255 octets with CRLF is accepted (R04), 256 is not.
    let mut cmd = b"PASS ".to_vec();
    cmd.resize(253, b'p');
    cmd.extend_from_slice(b"\r\n");
    assert!(CommandDecoder::default().decode(&cmd).is_ok());
    cmd.insert(6, b'p');
    assert_eq!(
        cmd_err(&cmd).0,
        CommandErrorKind::LineTooLong { limit: 255 }
    );
    // Limits are options (the line of an unknown command, whose arguments
    // are free text)...
    let mut o = CommandOptions::default();
    o.max_line = 1024;
    let mut xtnd = b"XTND ".to_vec();
    xtnd.resize(300, b'x');
    xtnd.extend_from_slice(b"\r\n");
    assert_eq!(
        cmd_err(&xtnd).0,
        CommandErrorKind::LineTooLong { limit: 255 }
    );
    assert!(CommandDecoder::new(o).decode(&xtnd).is_ok());
    // ... but a raised limit does not raise the caps of the values: a
    // 249-octet password cannot be a Password (MAX_PASSWORD_LEN = 248).
    let e = CommandDecoder::new(o).decode(&cmd).unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::InvalidArgument);
    assert_eq!(e.consumed(), cmd.len());
    let mut o = ResponseOptions::default();
    o.max_line = 16;
    assert_eq!(
        common::first_with(o, b"+OK seventeen....\r\n", Expect::Status)
            .unwrap_err()
            .kind(),
        ResponseErrorKind::LineTooLong { limit: 16 }
    );
}

#[test]
fn strict_status_and_lenient_options() {
    for line in [
        &b"+ok\r\n"[..],
        b"-err\r\n",
        b"+OKAY\r\n",
        b"OK\r\n",
        b"\r\n",
        b"+OK\tx\r\n",
    ] {
        assert_eq!(
            resp_err(line, Expect::Status),
            ResponseErrorKind::Malformed(Syntax::StatusLine),
            "{line:?}"
        );
    }
    assert_eq!(
        resp_err(b"* OK IMAP\r\n", Expect::Greeting),
        ResponseErrorKind::Malformed(Syntax::Greeting)
    );
    assert_eq!(
        resp_err(b"+OK\n", Expect::Status),
        ResponseErrorKind::BareLineFeed
    );
    let mut o = ResponseOptions::default();
    o.any_case_status = true;
    o.bare_lf = true;
    let mut d = common::Lines::new(o);
    for line in [&b"+ok fine\n"[..], b"-Err no\r\n"] {
        assert!(d.decode(line, Expect::Status).is_ok(), "{line:?}");
    }
    // Mailtrap sends LF line ends (SPEC 7.1).
    let mut d = common::Lines::new(o);
    let _ = d.decode(b"+OK\n", Expect::UidListing);
    assert!(d.decode(b"1 abc\n", Expect::UidListing).is_ok());
    assert!(matches!(
        d.decode(b".\n", Expect::UidListing),
        Ok(Decoded::Value { value: None, .. })
    ));
}

#[test]
fn capa_lines_that_fail_alone() {
    for line in [
        &b"\r\n"[..],
        b"LOGIN-DELAY\r\n",
        b"LOGIN-DELAY soon\r\n",
        b"LOGIN-DELAY 10 ALL\r\n",
        b"EXPIRE\r\n",
        b"EXPIRE -1\r\n",
        b"UTF8 ALL\r\n",
        b"X.Y\r\n",
        b"X-FOO a\x01b\r\n",
    ] {
        assert_eq!(
            entry_err(line, Expect::Capabilities),
            ResponseErrorKind::Malformed(Syntax::Capability),
            "{line:?}"
        );
    }
}

#[test]
fn s10_no_constructor_accepts_line_breaks() {
    let evil: [&[u8]; 4] = [b"x\r\nDELE 1", b"x\nDELE 1", b"x\rDELE", b"x\0y"];
    for e in evil {
        assert!(Username::new(e).is_err());
        assert!(Password::new(e).is_err());
        assert!(Text::new(e).is_err());
        assert!(Uid::try_from(e).is_err());
        assert!(Keyword::try_from(e).is_err());
        assert!(LangTag::try_from(e).is_err());
        assert!(CapaTag::try_from(e).is_err());
        assert!(CapaParam::new(e).is_err());
        assert!(Timestamp::try_from(e).is_err());
        let s = String::from_utf8_lossy(e);
        assert!(Mechanism::new(&s).is_err());
        assert!(RespCode::new(&s).is_err());
    }
    // SP in single-token arguments.
    assert!(Username::try_from("a b").is_err());
    assert!(Mechanism::new("PLAIN X").is_err());
    assert!(CapaParam::try_from("a b").is_err());
    // SASL data can hold anything: it is base64-encoded on the wire.
    let c = Command::Auth {
        mechanism: Mechanism::Plain,
        initial_response: Some(Secret::new(SaslData::new(&b"\r\n\0"[..]).unwrap())),
    };
    assert_eq!(c.to_vec(), b"AUTH PLAIN DQoA\r\n");
}

#[test]
fn s10_a_nul_anywhere_refuses_the_line() {
    // Every command, with a NUL put at every position of its line: the line
    // is refused and consumed whole, strict or lenient about LF, and only
    // that line (the error is not fatal).
    let lines: [&[u8]; 22] = [
        b"USER mrose",
        b"PASS tanstaaf",
        b"PASS a b c",
        b"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
        b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=",
        b"AUTH PLAIN",
        b"AUTH",
        b"STLS",
        b"CAPA",
        b"UTF8",
        b"LANG en",
        b"LANG *",
        b"STAT",
        b"LIST 1",
        b"RETR 1",
        b"DELE 1",
        b"NOOP",
        b"RSET",
        b"TOP 1 10",
        b"UIDL",
        b"QUIT",
        b"XTND XMIT a",
    ];
    for bare_lf in [false, true] {
        let options = CommandOptions::default().with_bare_lf(bare_lf);
        for line in lines {
            for at in 0..=line.len() {
                let mut bad = line.to_vec();
                bad.insert(at, 0);
                bad.extend_from_slice(b"\r\n");
                let e = CommandDecoder::new(options)
                    .decode(&bad)
                    .expect_err(&format!("{bad:?} accepted"));
                assert_eq!(e.consumed(), bad.len(), "{bad:?}");
                assert!(!e.is_fatal(), "{bad:?}");
            }
        }
    }
    // SASL response lines.
    for line in [&b"dGVzdA==\0"[..], b"\0", b"*\0", b"dG\0VzdA=="] {
        let mut bad = line.to_vec();
        bad.extend_from_slice(b"\r\n");
        let e = CommandDecoder::default().decode_sasl(&bad).unwrap_err();
        assert!(
            matches!(e.kind(), CommandErrorKind::InvalidBase64(_)),
            "{bad:?}"
        );
        assert_eq!(e.consumed(), bad.len());
    }
}

#[test]
fn r72_eight_bit_credentials() {
    // All three used to be accepted. By default arguments are printable
    // ASCII; with `utf8_credentials` (a server advertising `UTF8 USER`)
    // well-formed UTF-8 is accepted in USER, PASS and APOP, and invalid
    // UTF-8 never (Dovecot CVE-2019-10691).
    let utf8 = CommandOptions::default().with_utf8_credentials(true);
    let digest = " c4c9334bac560ecc979e58001b3e22fb";
    for (arg, well_formed) in [
        (&b"j\xc3\xbcrgen"[..], true),
        (b"caf\xe9", false),
        (b"\xff\xfe", false),
    ] {
        for (keyword, tail) in [("USER ", ""), ("PASS ", ""), ("APOP ", digest)] {
            let mut line = keyword.as_bytes().to_vec();
            line.extend_from_slice(arg);
            line.extend_from_slice(tail.as_bytes());
            line.extend_from_slice(b"\r\n");
            let (kind, command) = cmd_err(&line);
            assert_eq!(kind, CommandErrorKind::InvalidArgument, "{line:?}");
            assert!(command.is_some());
            let got = CommandDecoder::new(utf8).decode(&line);
            if well_formed {
                let Ok(Decoded::Value { value, consumed }) = got else {
                    panic!("{line:?}: {got:?}")
                };
                assert_eq!(consumed, line.len());
                assert_eq!(value.to_vec(), line);
            } else {
                let e = got.expect_err("invalid UTF-8 is always refused");
                assert_eq!(e.kind(), CommandErrorKind::InvalidArgument);
            }
        }
        assert_eq!(Username::new(arg).is_ok(), well_formed);
        assert_eq!(Password::new(arg).is_ok(), well_formed);
    }
    assert_eq!(
        Username::new(&b"caf\xe9"[..]),
        Err(ValueError::InvalidUtf8 { offset: 3 })
    );
    // Control characters are refused with the option too, and SP still
    // splits a USER argument.
    for line in [
        &b"USER a\tb\r\n"[..],
        b"PASS a\x7fb\r\n",
        b"PASS \x1b[31m\r\n",
    ] {
        assert_eq!(cmd_err(line).0, CommandErrorKind::InvalidArgument);
        assert!(CommandDecoder::new(utf8).decode(line).is_err());
    }
    let e = CommandDecoder::new(utf8)
        .decode("USER j\u{fc}rgen x\r\n".as_bytes())
        .unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::TooManyArguments);
}

#[test]
fn r04_credentials_fit_their_lines() {
    // The longest name makes a 255-octet APOP line (RFC 2449 §4), which a
    // default decoder reads; one more octet is too long for the name
    // whatever the line limit.
    let name = "n".repeat(MAX_USERNAME_LEN);
    let apop = Command::Apop {
        name: Username::try_from(name.as_str()).unwrap(),
        digest: Secret::new(ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22fb").unwrap()),
    };
    let wire = apop.to_vec();
    assert_eq!(wire.len(), 255);
    assert!(CommandDecoder::default().decode(&wire).is_ok());
    assert_eq!(
        Username::try_from(format!("{name}n")),
        Err(ValueError::TooLong { max: 215 })
    );
    let pass = Command::Pass(Secret::new(
        Password::try_from("p".repeat(MAX_PASSWORD_LEN)).unwrap(),
    ));
    assert_eq!(pass.to_vec().len(), 255);
    assert!(CommandDecoder::default().decode(&pass.to_vec()).is_ok());
    // USER with a name that fits the USER line but not the APOP line.
    let mut user = b"USER ".to_vec();
    user.extend(std::iter::repeat_n(b'n', MAX_USERNAME_LEN + 1));
    user.extend_from_slice(b"\r\n");
    assert!(user.len() <= 255);
    assert_eq!(
        cmd_err(&user),
        (CommandErrorKind::InvalidArgument, Some(CommandKind::User))
    );
}
