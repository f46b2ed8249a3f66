//! POP URLs (RFC 2384, SPEC R74, R75, S10): the RFC's examples, hostile
//! input, the canonical form's round trip, and the guarantee that no
//! parsed user name can break the command line it goes on.

use pop3_proto::client::{Client, LocalError, Options};
use pop3_proto::sasl::choose::{Chooser, Credentials};
use pop3_proto::time::Instant;
use pop3_proto::types::{
    ApopDigest, Command, MAX_USERNAME_LEN, Mechanism, Secret, Username, ValueError,
};
use pop3_proto::url::{
    Auth, DEFAULT_PORT, ExtensionName, Host, HostError, MAX_EXTENSION_LEN, MAX_HOST_LEN,
    MAX_URL_LEN, PopUrl, UrlError,
};
use proptest::collection::vec;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU16;

fn parse(s: &str) -> PopUrl {
    PopUrl::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn err(s: &str) -> UrlError {
    match PopUrl::parse(s) {
        Ok(u) => panic!("{s:?} parsed as {u:?}"),
        Err(e) => e,
    }
}

fn user(u: &PopUrl) -> Option<&str> {
    u.user().map(|u| u.as_str())
}

// ------------------------------------------------------- RFC 2384 and R74

#[test]
fn rfc2384_examples() {
    let u = parse("pop://rg@mailsrv.qualcomm.com");
    assert_eq!(u.host().as_str(), "mailsrv.qualcomm.com");
    assert_eq!(u.port(), 110);
    assert_eq!(user(&u), Some("rg"));
    assert_eq!(
        u.auth(),
        &Auth::Any,
        "a user without ;AUTH is ;AUTH=* (R75)"
    );
    assert_eq!(u.to_string(), "pop://rg@mailsrv.qualcomm.com");

    let u = parse("pop://rg;AUTH=+APOP@mail.eudora.com:8110");
    assert_eq!(u.host().as_str(), "mail.eudora.com");
    assert_eq!(u.port(), 8110);
    assert_eq!(user(&u), Some("rg"));
    assert_eq!(u.auth(), &Auth::Apop);
    assert_eq!(u.to_string(), "pop://rg;AUTH=+APOP@mail.eudora.com:8110");

    let u = parse("pop://baz;AUTH=SCRAM-MD5@foo.bar");
    assert_eq!(u.host().as_str(), "foo.bar");
    assert_eq!(u.port(), 110);
    assert_eq!(user(&u), Some("baz"));
    let Auth::Sasl(m) = u.auth() else {
        panic!("{:?}", u.auth())
    };
    assert_eq!(m.as_str(), "SCRAM-MD5");
    assert_eq!(u.to_string(), "pop://baz;AUTH=SCRAM-MD5@foo.bar");
}

#[test]
fn rfc2384_section_3_general_form() {
    // `pop://<user>;auth=<auth>@<host>:<port>`, with "some or all of the
    // elements, except pop:// and <host>" omitted; `;auth=` in lower case
    // as §3 writes it.
    let full = parse("pop://user;auth=PLAIN@host:1234");
    assert_eq!(
        (user(&full), full.auth(), full.host().as_str(), full.port()),
        (Some("user"), &Auth::Sasl(Mechanism::Plain), "host", 1234)
    );
    assert_eq!(full.to_string(), "pop://user;AUTH=PLAIN@host:1234");
    let bare = parse("pop://host");
    assert_eq!(
        (user(&bare), bare.auth(), bare.port()),
        (None, &Auth::Any, 110)
    );
    let port = parse("pop://host:995");
    assert_eq!(port.port(), 995);
    // The mechanism without a user: §4 says to get the name from the
    // mechanism or the user.
    let no_user = parse("pop://;AUTH=GSSAPI@host");
    assert_eq!(
        (user(&no_user), no_user.auth()),
        (None, &Auth::Sasl(Mechanism::Gssapi))
    );
    assert_eq!(no_user.to_string(), "pop://;AUTH=GSSAPI@host");
    assert_eq!(parse("pop://;AUTH=*@host"), bare);
}

#[test]
fn r74_spec_example_and_case_rules() {
    let spec = parse("pop://rg;AUTH=+APOP@mail.eudora.com:8110");
    assert_eq!(DEFAULT_PORT, 110);
    // Scheme, host, `;AUTH=` and the auth type ignore case; the user does
    // not.
    for same in [
        "POP://rg;auth=+apop@MAIL.Eudora.COM:8110",
        "Pop://rg;Auth=+Apop@mail.eudora.com:8110",
    ] {
        let u = parse(same);
        assert_eq!(u, spec, "{same}");
        assert_eq!(u.to_string(), spec.to_string());
    }
    assert_ne!(parse("pop://RG;AUTH=+APOP@mail.eudora.com:8110"), spec);
    assert_eq!(
        parse("pop://u;AUTH=cram-md5@h"),
        parse("pop://u;AUTH=CRAM-MD5@h")
    );
    assert_eq!(
        parse("pop://u;AUTH=cram-md5@h").auth(),
        &Auth::Sasl(Mechanism::CramMd5)
    );
    let x = parse("pop://u;AUTH=x-zimbra@h");
    assert_eq!(x, parse("pop://u;AUTH=X-ZIMBRA@h"));
    assert_eq!(x.to_string(), "pop://u;AUTH=x-zimbra@h", "kept as written");
    let ext = parse("pop://u;AUTH=+X-Legacy@h");
    assert_eq!(ext, parse("pop://u;AUTH=+x-legacy@h"));
    let Auth::Other(name) = ext.auth() else {
        panic!()
    };
    assert_eq!(name.as_str(), "X-Legacy");
    assert_eq!(ext.to_string(), "pop://u;AUTH=+X-Legacy@h");
    // The port's default is left out of the canonical form.
    assert_eq!(parse("pop://h:110").to_string(), "pop://h");
    assert_eq!(parse("pop://h:110"), parse("pop://h"));
}

#[test]
fn r75_a_named_mechanism_is_not_replaced() {
    let any = parse("pop://rg@h");
    let star = parse("pop://rg;AUTH=*@h");
    assert_eq!(any, star);
    assert_eq!(star.to_string(), "pop://rg@h");
    assert!(any.auth().allows(&Mechanism::Plain));
    assert!(any.auth().allows(&Mechanism::ScramSha256));
    assert!(any.auth().allows_apop() && any.auth().allows_user_pass());

    let named = parse("pop://rg;AUTH=SCRAM-SHA-256@h");
    assert!(named.auth().allows(&Mechanism::ScramSha256));
    assert!(!named.auth().allows(&Mechanism::ScramSha1));
    assert!(!named.auth().allows(&Mechanism::Plain));
    assert!(!named.auth().allows_apop() && !named.auth().allows_user_pass());

    let apop = parse("pop://rg;AUTH=+APOP@h");
    assert!(apop.auth().allows_apop());
    assert!(!apop.auth().allows(&Mechanism::CramMd5) && !apop.auth().allows_user_pass());
    let other = parse("pop://rg;AUTH=+XYZ@h");
    assert!(!other.auth().allows(&Mechanism::Plain));
    assert!(!other.auth().allows_apop() && !other.auth().allows_user_pass());

    // Through the chooser: with `*` it picks; with a name it takes that
    // one or nothing, and still applies the plaintext rule (S15).
    let chooser = Chooser::default();
    let have = Credentials::default().with_password(true);
    let offered = [Mechanism::Plain, Mechanism::CramMd5, Mechanism::ScramSha256];
    assert_eq!(
        any.auth().choose(&chooser, &offered, have, true),
        Some(Mechanism::ScramSha256)
    );
    assert_eq!(
        named.auth().choose(&chooser, &offered, have, true),
        Some(Mechanism::ScramSha256)
    );
    let cram = parse("pop://rg;AUTH=CRAM-MD5@h");
    assert_eq!(
        cram.auth().choose(&chooser, &offered, have, false),
        Some(Mechanism::CramMd5),
        "not the stronger SCRAM the server also offers"
    );
    let plain = parse("pop://rg;AUTH=PLAIN@h");
    assert_eq!(
        plain.auth().choose(&chooser, &offered, have, false),
        None,
        "S15"
    );
    assert_eq!(
        plain.auth().choose(&chooser, &offered, have, true),
        Some(Mechanism::Plain)
    );
    let sha1 = parse("pop://rg;AUTH=SCRAM-SHA-1@h");
    assert_eq!(
        sha1.auth().choose(&chooser, &offered, have, true),
        None,
        "not offered"
    );
    assert_eq!(apop.auth().choose(&chooser, &offered, have, true), None);
    assert_eq!(other.auth().choose(&chooser, &offered, have, true), None);
}

#[test]
fn user_names_are_percent_decoded() {
    let cases = [
        ("pop://a%3Bb@h", "a;b"),
        ("pop://fred%40example.com@h", "fred@example.com"),
        ("pop://a%3ab@h", "a:b"),
        ("pop://a%2Fb@h", "a/b"),
        ("pop://100%25@h", "100%"),
        ("pop://j%C3%BCrgen@h", "j\u{fc}rgen"),
        ("pop://%41%62c@h", "Abc"),
        // Courier CVE-2004-0777 was a format string: here it is data.
        ("pop://%25s%25n%25x@h", "%s%n%x"),
        ("pop://a+b*c!$&'(),=~-_.z@h", "a+b*c!$&'(),=~-_.z"),
    ];
    for (url, name) in cases {
        assert_eq!(user(&parse(url)), Some(name), "{url}");
    }
    assert_eq!(parse("pop://a%3Bb@h").to_string(), "pop://a%3Bb@h");
    assert_eq!(
        parse("pop://fred%40example.com;AUTH=PLAIN@h").to_string(),
        "pop://fred%40example.com;AUTH=PLAIN@h"
    );
    assert_eq!(
        parse("pop://j%c3%bcrgen@h").to_string(),
        "pop://j%C3%BCrgen@h"
    );
    assert_eq!(parse("pop://%41%62c@h").to_string(), "pop://Abc@h");
    assert_eq!(parse("pop://100%25@h").to_string(), "pop://100%25@h");
    assert_eq!(
        parse("pop://a%2fb%3ac@h").to_string(),
        "pop://a%2Fb%3Ac@h",
        "upper-case hex"
    );
    // The longest user name, every byte escaped, still parses.
    let longest = "%41".repeat(MAX_USERNAME_LEN);
    let u = parse(&format!("pop://{longest}@h"));
    assert_eq!(u.user().unwrap().as_bytes().len(), MAX_USERNAME_LEN);
}

#[test]
fn utf8_user_names_wait_for_utf8_user() {
    // R72: a UTF-8 name from a URL reaches the wire only when the server
    // says UTF8 USER.
    let url = parse("pop://j%C3%BCrgen@h");
    let now = Instant::ZERO;
    let mut client = Client::new(Options::default().with_allow_plaintext_login(true), now);
    client.receive(now, b"+OK ready\r\n").unwrap();
    let user = url.user().unwrap();
    assert_eq!(
        client.login(user.as_bytes(), "secret"),
        Err(LocalError::Utf8NotOffered)
    );
    assert!(client.poll_transmit().is_none());
}

#[test]
fn hosts() {
    let v6 = parse("pop://[2001:DB8::1]:995");
    assert_eq!(v6.host().as_str(), "2001:db8::1");
    assert_eq!(
        v6.host().ip(),
        Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)))
    );
    assert_eq!(v6.to_string(), "pop://[2001:db8::1]:995");
    assert_eq!(
        parse("pop://[2001:db8:0:0:0:0:0:1]").to_string(),
        "pop://[2001:db8::1]",
        "RFC 5952 form"
    );
    assert_eq!(
        parse("pop://[::ffff:192.0.2.1]").host().as_str(),
        "::ffff:192.0.2.1"
    );
    assert_eq!(parse("pop://u@[::1]").host().as_str(), "::1");
    let v4 = parse("pop://192.0.2.1:1100");
    assert_eq!(
        v4.host().ip(),
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
    );
    assert_eq!(v4.to_string(), "pop://192.0.2.1:1100");
    let name = parse("pop://Mail-1.Example.COM");
    assert_eq!(
        (name.host().as_str(), name.host().ip()),
        ("mail-1.example.com", None)
    );
    assert_eq!(parse("pop://localhost").host().as_str(), "localhost");
    assert_eq!(
        parse("pop://xn--bcher-kva.example").host().as_str(),
        "xn--bcher-kva.example"
    );
    assert_eq!(parse("pop://1.2.3.4.example").host().ip(), None);

    // Host on its own.
    assert_eq!(Host::parse("[::1]").unwrap().to_string(), "[::1]");
    assert_eq!(Host::from(Ipv6Addr::LOCALHOST).to_string(), "[::1]");
    assert_eq!(Host::from(Ipv4Addr::LOCALHOST).to_string(), "127.0.0.1");
    assert_eq!(
        "EXAMPLE.org".parse::<Host>().unwrap().as_str(),
        "example.org"
    );
    let longest = format!("{}a", "a.".repeat((MAX_HOST_LEN - 1) / 2));
    assert_eq!(longest.len(), MAX_HOST_LEN);
    assert!(Host::parse(&longest).is_ok());
    assert_eq!(
        Host::parse(&format!("a.{longest}")),
        Err(HostError::TooLong { max: MAX_HOST_LEN })
    );
    assert!(Host::parse(&format!("{}.com", "a".repeat(63))).is_ok());
    assert_eq!(
        Host::parse(&format!("{}.com", "a".repeat(64))),
        Err(HostError::Label)
    );
}

#[test]
fn extension_names() {
    assert_eq!(
        ExtensionName::new("apop"),
        Err(ValueError::Ambiguous("Auth::Apop"))
    );
    assert_eq!(ExtensionName::new(""), Err(ValueError::Empty));
    assert_eq!(
        ExtensionName::new(&"X".repeat(MAX_EXTENSION_LEN + 1)),
        Err(ValueError::TooLong {
            max: MAX_EXTENSION_LEN
        })
    );
    assert!(matches!(
        ExtensionName::new("A B"),
        Err(ValueError::InvalidByte { byte: b' ', .. })
    ));
    assert!(ExtensionName::new("x;@%/").is_ok());
    let u = PopUrl::new(Host::parse("h").unwrap())
        .with_user(Some(Username::try_from("u").unwrap()))
        .with_auth(Auth::Other(ExtensionName::new("x;@%/").unwrap()));
    assert_eq!(u.to_string(), "pop://u;AUTH=+x%3B%40%25%2F@h");
    assert_eq!(parse(&u.to_string()), u);
    // An escaped `+` or `*` is data, not syntax (RFC 3986 §2.2).
    assert_eq!(
        err("pop://u;AUTH=%2BAPOP@h"),
        UrlError::Mechanism(ValueError::InvalidByte {
            byte: b'+',
            offset: 0
        })
    );
    assert_eq!(
        err("pop://u;AUTH=%2A@h"),
        UrlError::Mechanism(ValueError::InvalidByte {
            byte: b'*',
            offset: 0
        })
    );
    // `+APOP` may be escaped after the `+`; it is still APOP.
    assert_eq!(parse("pop://u;AUTH=+%41POP@h").auth(), &Auth::Apop);
}

// ------------------------------------------------------------- hostile

#[test]
fn s10_crlf_and_nul_never_decode() {
    // curl CVE-2012-0036: a path that decoded to a second command.
    assert_eq!(err("pop3://h/1%0d%0aDELE%201"), UrlError::Scheme);
    assert_eq!(err("pop://h/1%0d%0aDELE%201"), UrlError::Path);
    // The same in the user name, in every case of hex.
    for (url, byte, offset) in [
        ("pop://a%0d%0aDELE%201@h", 0x0d, 7),
        ("pop://a%0D%0ADELE%201@h", 0x0d, 7),
        ("pop://a%0aDELE%201@h", 0x0a, 7),
        ("pop://%00@h", 0, 6),
        ("pop://a%00b@h", 0, 7),
        ("pop://a%20b@h", b' ', 7),
        ("pop://a%09@h", b'\t', 7),
        ("pop://a%7f@h", 0x7f, 7),
        ("pop://a%1B[31m@h", 0x1b, 7),
        ("pop://u;AUTH=PLAIN%0d%0aDELE%201@h", 0x0d, 18),
        ("pop://u;AUTH=+X%0D%0A@h", 0x0d, 15),
        ("pop://;AUTH=%00@h", 0, 12),
    ] {
        assert_eq!(err(url), UrlError::UnsendableByte { byte, offset }, "{url}");
    }
}

#[test]
fn malformed_escapes() {
    for (url, offset) in [
        ("pop://%zz@h", 6),
        ("pop://a%4@h", 7),
        ("pop://a%4;AUTH=*@h", 7),
        ("pop://a%@h", 7),
        ("pop://a%g0@h", 7),
        ("pop://a%0g@h", 7),
        ("pop://a%%41@h", 7),
        ("pop://a%\u{e9}0@h", 7),
        ("pop://u;AUTH=%4@h", 13),
        ("pop://u;AUTH=+%@h", 14),
    ] {
        assert_eq!(err(url), UrlError::BadEscape { offset }, "{url}");
    }
    // Without an `@` it is the host, where `%` is no escape at all.
    assert_eq!(
        err("pop://a%4"),
        UrlError::InvalidByte {
            byte: b'%',
            offset: 7
        }
    );
    // An escape that decodes to invalid UTF-8.
    assert_eq!(
        err("pop://%FF@h"),
        UrlError::User(ValueError::InvalidUtf8 { offset: 0 })
    );
    assert_eq!(
        err("pop://a%C3@h"),
        UrlError::User(ValueError::InvalidUtf8 { offset: 1 })
    );
}

#[test]
fn bad_ports() {
    for url in [
        "pop://h:0",
        "pop://h:65536",
        "pop://h:99999",
        "pop://h:4294967406",
        "pop://h:+1",
        "pop://h:-1",
        "pop://h:+110",
        "pop://h:",
        "pop://h:0110",
        "pop://h:1.0",
        "pop://h:11 0",
        "pop://h:110:110",
        "pop://h:x",
        "pop://[::1]:",
        "pop://[::1]:0",
        "pop://u@h:pw",
    ] {
        assert_eq!(err(url), UrlError::Port, "{url}");
    }
    assert_eq!(parse("pop://h:1").port(), 1);
    assert_eq!(parse("pop://h:65535").port(), 65535);
}

#[test]
fn no_password_path_or_relative_form() {
    for url in [
        "pop://u:pw@h",
        "pop://u:@h",
        "pop://:pw@h",
        "pop://u;AUTH=*:pw@h",
        "pop://u:pw;AUTH=*@h",
    ] {
        assert_eq!(err(url), UrlError::Password, "{url}");
    }
    // An IPv6 literal in the user part is a password too.
    assert_eq!(err("pop://[::1]@h"), UrlError::Password);
    for url in [
        "pop://h/",
        "pop://h/path",
        "pop://h:110/",
        "pop://h?x",
        "pop://h#f",
        "pop://u@h/INBOX",
        "pop://u/x@h",
    ] {
        assert_eq!(err(url), UrlError::Path, "{url}");
    }
    for url in [
        "imap://h",
        "pops://h",
        "http://h",
        "pop3://h",
        "mailto:u@h",
        "popx://h",
    ] {
        assert_eq!(err(url), UrlError::Scheme, "{url}");
    }
    for url in [
        "", "//h", "h", "u@h", "pop:h", "pop:/h", "pop", "://h", " pop://h", "1pop://h",
    ] {
        assert_eq!(err(url), UrlError::NotAbsolute, "{url:?}");
    }
}

#[test]
fn bad_user_parts() {
    assert_eq!(err("pop://@h"), UrlError::EmptyUser);
    assert_eq!(err("pop://u;AUTH=@h"), UrlError::EmptyAuth);
    for url in [
        "pop://u;@h",
        "pop://u;FOO=x@h",
        "pop://u;AUTH@h",
        "pop://u;AUTH=*;AUTH=*@h",
        "pop://u;AUTH=PLAIN;x@h",
        "pop://;@h",
        "pop://u;AUTHX=*@h",
    ] {
        assert_eq!(err(url), UrlError::Parameter, "{url}");
    }
    assert_eq!(
        err("pop://u;AUTH=+@h"),
        UrlError::Extension(ValueError::Empty)
    );
    assert_eq!(
        err(&format!(
            "pop://u;AUTH=+{}@h",
            "X".repeat(MAX_EXTENSION_LEN + 1)
        )),
        UrlError::Extension(ValueError::TooLong {
            max: MAX_EXTENSION_LEN
        })
    );
    assert!(matches!(
        err("pop://u;AUTH=+%C3%A9@h"),
        UrlError::Extension(ValueError::InvalidByte {
            byte: 0xc3,
            offset: 0
        })
    ));
    assert_eq!(
        err("pop://u;AUTH=A23456789012345678901@h"),
        UrlError::Mechanism(ValueError::TooLong { max: 20 })
    );
    assert!(matches!(err("pop://u;AUTH=**@h"), UrlError::Mechanism(_)));
    assert!(matches!(
        err("pop://u;AUTH=PL.AIN@h"),
        UrlError::Mechanism(_)
    ));
    assert_eq!(
        err(&format!("pop://{}@h", "a".repeat(MAX_USERNAME_LEN + 1))),
        UrlError::User(ValueError::TooLong {
            max: MAX_USERNAME_LEN
        })
    );
    // Bytes RFC 2384 requires to be escaped, raw.
    for (url, byte, offset) in [
        ("pop://a b@h", b' ', 7),
        ("pop://j\u{fc}rgen@h", 0xc3, 7),
        ("pop://a\"b@h", b'"', 7),
        ("pop://a<b>@h", b'<', 7),
        ("pop://a[b@h", b'[', 7),
        ("pop://a\\b@h", b'\\', 7),
        ("pop://a\rb@h", b'\r', 7),
        ("pop://a\nb@h", b'\n', 7),
        ("pop://a\0b@h", 0, 7),
        ("pop://u;AUTH=PL AIN@h", b' ', 15),
        ("pop://a@b@h", b'@', 9),
    ] {
        assert_eq!(err(url), UrlError::InvalidByte { byte, offset }, "{url:?}");
    }
}

#[test]
fn bad_hosts() {
    for (url, e) in [
        ("pop://", HostError::Empty),
        ("pop://u@", HostError::Empty),
        ("pop://:110", HostError::Empty),
        ("pop://u@:110", HostError::Empty),
        ("pop://::1", HostError::Empty),
        ("pop://-a.com", HostError::Label),
        ("pop://a-.com", HostError::Label),
        ("pop://a..com", HostError::Label),
        ("pop://.a.com", HostError::Label),
        ("pop://a.com.", HostError::Label),
        ("pop://a.1com", HostError::NumericTopLabel),
        ("pop://0x7f.1", HostError::NumericTopLabel),
        ("pop://example.123", HostError::NumericTopLabel),
        ("pop://127.1", HostError::Ipv4),
        ("pop://2130706433", HostError::Ipv4),
        ("pop://256.0.0.1", HostError::Ipv4),
        ("pop://01.2.3.4", HostError::Ipv4),
        ("pop://1.2.3.4.", HostError::Ipv4),
        ("pop://1..2.3", HostError::Ipv4),
        ("pop://[::1", HostError::Ipv6),
        ("pop://::1]", HostError::Empty),
        ("pop://[::1]]", HostError::Ipv6),
        ("pop://[[::1]]", HostError::Ipv6),
        ("pop://[]", HostError::Ipv6),
        ("pop://[:::]", HostError::Ipv6),
        ("pop://[1.2.3.4]", HostError::Ipv6),
        ("pop://[v1.x]", HostError::Ipv6),
        ("pop://[fe80::1%25eth0]", HostError::Ipv6),
        ("pop://[::1]x", HostError::Ipv6),
        ("pop://[12345::]", HostError::Ipv6),
        ("pop://u@[::1", HostError::Ipv6),
        ("pop://a]b", HostError::Ipv6),
    ] {
        assert_eq!(err(url), UrlError::Host(e), "{url}");
    }
    for (url, byte, offset) in [
        ("pop://h ", b' ', 7),
        ("pop://exa_mple.com", b'_', 9),
        ("pop://ex\u{e4}mple.com", 0xc3, 8),
        ("pop://u@h%41", b'%', 9),
        ("pop://h\r\nDELE 1", b'\r', 7),
    ] {
        assert_eq!(err(url), UrlError::InvalidByte { byte, offset }, "{url:?}");
    }
    let long = format!("pop://{}.com", "a".repeat(250));
    assert_eq!(
        err(&long),
        UrlError::Host(HostError::TooLong { max: MAX_HOST_LEN })
    );
}

#[test]
fn ten_kilobyte_urls() {
    let huge_user = format!("pop://{}@h", "a".repeat(10 * 1024));
    assert_eq!(err(&huge_user), UrlError::TooLong { max: MAX_URL_LEN });
    let huge_host = format!("pop://{}", "a.".repeat(5 * 1024) + "com");
    assert_eq!(err(&huge_host), UrlError::TooLong { max: MAX_URL_LEN });
    let huge_escapes = format!("pop://{}@h", "%0d%0a".repeat(2 * 1024));
    assert_eq!(err(&huge_escapes), UrlError::TooLong { max: MAX_URL_LEN });
    let huge_port = format!("pop://h:{}", "9".repeat(10 * 1024));
    assert_eq!(err(&huge_port), UrlError::TooLong { max: MAX_URL_LEN });
    // At the limit, the error is the first real one.
    let at_limit = format!("pop://{}@h", "a".repeat(MAX_URL_LEN - "pop://@h".len()));
    assert_eq!(at_limit.len(), MAX_URL_LEN);
    assert_eq!(
        err(&at_limit),
        UrlError::User(ValueError::TooLong {
            max: MAX_USERNAME_LEN
        })
    );
    let over = format!("{at_limit}x");
    assert_eq!(err(&over), UrlError::TooLong { max: MAX_URL_LEN });
}

// ---------------------------------------------------------- properties

/// A user name: visible ASCII (delimiters included) and any non-ASCII
/// character, within the byte cap.
fn username() -> impl Strategy<Value = Username<'static>> {
    vec(
        prop_oneof![
            4 => (0x21u8..=0x7e).prop_map(char::from),
            2 => prop::sample::select(vec![';', '@', '%', ':', '/', '+', '*', '=', '?', '#']),
            1 => any::<char>().prop_filter("non-ASCII", |c| !c.is_ascii()),
        ],
        1..40,
    )
    .prop_filter_map("fits the cap", |cs| {
        Username::try_from(cs.into_iter().collect::<String>()).ok()
    })
}

fn auth() -> impl Strategy<Value = Auth> {
    let sasl = prop_oneof![
        prop::sample::select(vec![
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::CramMd5,
            Mechanism::ScramSha256,
            Mechanism::ScramSha1Plus,
            Mechanism::XOAuth2,
            Mechanism::Gssapi,
        ]),
        "[A-Za-z0-9_-]{1,20}".prop_map(|s| Mechanism::try_from(s).unwrap()),
    ];
    let ext = vec(0x21u8..=0x7e, 1..=MAX_EXTENSION_LEN).prop_filter_map("not APOP", |b| {
        ExtensionName::new(std::str::from_utf8(&b).unwrap()).ok()
    });
    prop_oneof![
        Just(Auth::Any),
        Just(Auth::Apop),
        sasl.prop_map(Auth::Sasl),
        ext.prop_map(Auth::Other),
    ]
}

fn host() -> impl Strategy<Value = Host> {
    let label = "[a-zA-Z]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?";
    prop_oneof![
        vec(label, 1..5).prop_map(|l| Host::parse(&l.join(".")).unwrap()),
        any::<[u8; 4]>().prop_map(|o| Host::from(Ipv4Addr::from(o))),
        any::<[u16; 8]>().prop_map(|g| Host::from(Ipv6Addr::from(g))),
        // Runs of zeros, for `::`.
        (0usize..8, 0usize..8, any::<u16>()).prop_map(|(i, j, v)| {
            let mut g = [0u16; 8];
            g[i] = v;
            g[j] = v;
            Host::from(Ipv6Addr::from(g))
        }),
    ]
}

fn pop_url() -> impl Strategy<Value = PopUrl> {
    (
        host(),
        1u16..=u16::MAX,
        prop::option::of(username()),
        auth(),
    )
        .prop_map(|(host, port, user, auth)| {
            PopUrl::new(host)
                .with_port(NonZeroU16::new(port).unwrap())
                .with_user(user)
                .with_auth(auth)
        })
}

/// Pieces of URLs, hostile ones among them.
fn url_soup() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a",
        "Z",
        "0",
        "-",
        ".",
        "%",
        "%0d",
        "%0D",
        "%0a",
        "%00",
        "%20",
        "%25",
        "%3B",
        "%40",
        "%3A",
        "%C3%BC",
        "%FF",
        "%2B",
        "%2A",
        "%4",
        "%zz",
        ";",
        ";AUTH=",
        ";auth=",
        "*",
        "+",
        "+APOP",
        "APOP",
        "PLAIN",
        "@",
        ":",
        ":110",
        ":0",
        "/",
        "?",
        "#",
        "[",
        "]",
        "::1",
        " ",
        "\r",
        "\n",
        "\0",
        "\u{fc}",
        "pop://",
        "h",
        "example.com",
    ]);
    (prop::bool::ANY, vec(piece, 0..12)).prop_map(|(prefix, pieces)| {
        let mut s = String::from(if prefix { "pop://" } else { "" });
        s.extend(pieces);
        s
    })
}

/// URLs of the right shape with hostile parts: user names and auth types
/// from escapes of every kind, hosts and ports good and bad.
fn hostile_url() -> impl Strategy<Value = String> {
    let user_piece = prop_oneof![
        6 => prop::sample::select(vec![
            "a", "rg", "%25", "%3B", "%40", "%3A", "%2F", "%C3%BC", "%E2%80%AE", "%41", "+",
            "*", "=", "~",
        ]),
        1 => prop::sample::select(vec![
            "%0d", "%0a", "%0D%0A", "%00", "%20", "%FF", "%C3", "%4", "%zz", "DELE%201", ";",
            ":", " ", "\r\n",
        ]),
    ];
    let auth = prop_oneof![
        3 => prop::sample::select(vec!["", ";AUTH=*", ";auth=+apop", ";AUTH=PLAIN", ";AUTH=+%3B"]),
        1 => prop::sample::select(vec![
            ";AUTH=%2BAPOP", ";AUTH=+X%0D%0A", ";AUTH=", ";AUTH=SCRAM-SHA-256;AUTH=*",
            ";AUTH=%00",
        ]),
    ];
    let host = prop_oneof![
        3 => prop::sample::select(vec!["h", "example.com", "[::1]", "192.0.2.1"]),
        1 => prop::sample::select(vec!["", "[::1", "h h", "h%0d%0a"]),
    ];
    let port = prop_oneof![
        3 => prop::sample::select(vec!["", ":110", ":995"]),
        1 => prop::sample::select(vec![":0", ":65536", ":+1", ":"]),
    ];
    (
        vec(user_piece, 0..6),
        auth,
        prop::bool::weighted(0.8),
        host,
        port,
    )
        .prop_map(|(user, auth, at, host, port)| {
            let at = if at { "@" } else { "" };
            format!("pop://{}{auth}{at}{host}{port}", user.concat())
        })
}

/// The command lines a URL's user name goes on, each with exactly one
/// CRLF, at its end, and no NUL.
fn assert_clean_lines(u: &PopUrl) {
    let Some(name) = u.user() else { return };
    let lines = [
        Command::User(name.clone()).to_vec(),
        Command::Apop {
            name: name.clone(),
            digest: Secret::new(ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22fb").unwrap()),
        }
        .to_vec(),
    ];
    for line in lines {
        let body = line.strip_suffix(b"\r\n").expect("ends in CRLF");
        assert!(
            !body.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "{line:?} from {u}"
        );
        assert!(line.len() <= 255, "{} octets", line.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn display_then_parse_is_identity(u in pop_url()) {
        let s = u.to_string();
        prop_assert!(s.len() <= MAX_URL_LEN);
        prop_assert!(s.is_ascii(), "{}", s);
        prop_assert!(!s.bytes().any(|b| b <= 0x20 || b == 0x7f), "{}", s);
        let back = PopUrl::parse(&s);
        prop_assert_eq!(back.as_ref(), Ok(&u), "{}", s);
        prop_assert_eq!(back.unwrap().to_string(), s);
    }

    #[test]
    fn parsed_urls_are_canonical_and_clean(s in url_soup()) {
        if let Ok(u) = PopUrl::parse(&s) {
            let canonical = u.to_string();
            prop_assert_eq!(PopUrl::parse(&canonical), Ok(u.clone()), "{} -> {}", s, canonical);
            assert_clean_lines(&u);
        }
    }

    #[test]
    fn hostile_user_names_never_reach_the_wire(s in hostile_url()) {
        if let Ok(u) = PopUrl::parse(&s) {
            prop_assert_eq!(PopUrl::parse(&u.to_string()), Ok(u.clone()), "{}", s);
            assert_clean_lines(&u);
        }
    }

    #[test]
    fn any_string_parses_or_fails_without_panicking(s in any::<String>()) {
        if let Ok(u) = PopUrl::parse(&s) {
            prop_assert_eq!(PopUrl::parse(&u.to_string()), Ok(u.clone()));
            assert_clean_lines(&u);
        }
        let with_scheme = format!("pop://{s}");
        if let Ok(u) = PopUrl::parse(&with_scheme) {
            prop_assert_eq!(PopUrl::parse(&u.to_string()), Ok(u.clone()));
            assert_clean_lines(&u);
        }
    }

    #[test]
    fn every_escaped_byte_is_sendable_or_refused(byte in any::<u8>(), pre in "[a-z]{0,3}") {
        let url = format!("pop://{pre}%{byte:02x}@h");
        match PopUrl::parse(&url) {
            Ok(u) => {
                prop_assert!(byte > 0x20 && byte < 0x7f, "{}", url);
                assert_clean_lines(&u);
            }
            Err(UrlError::UnsendableByte { byte: b, .. }) => {
                prop_assert_eq!(b, byte);
                prop_assert!(byte <= 0x20 || byte == 0x7f);
            }
            Err(UrlError::User(ValueError::InvalidUtf8 { .. })) => prop_assert!(byte >= 0x80),
            Err(e) => prop_assert!(false, "{}: {}", url, e),
        }
    }
}
