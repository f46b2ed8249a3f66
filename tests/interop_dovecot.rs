//! Our SASL client mechanisms against a real Dovecot 2.3 over TCP (SPEC
//! R50-R62): every mechanism Dovecot offers, with good and wrong
//! passwords, then STAT and QUIT to show the session really is in
//! TRANSACTION. Every read has a timeout (SPEC S14), so a hang fails.
//!
//! The server is `tests/peers/dovecot.sh start` (`.ci/run` starts it and
//! sets `POP3_PROTO_DOVECOT=127.0.0.1:PORT`); without that variable every
//! test here says so and passes without checking anything. Each exchange
//! has a connection of its own. The driver below is a small blocking loop
//! around the crate's codec: `Command`/`SaslResponse` encode what we send,
//! `ResponseDecoder` reads what Dovecot sends.

use pop3_proto::codec::{Decoded, ResponseDecoder, ResponseEvent};
use pop3_proto::sasl::client::{ClientMechanism, CramMd5, Login, Plain};
use pop3_proto::sasl::scram::{ChannelBinding, ScramClient, ScramHash};
use pop3_proto::sasl::{ClientReply, SaslError};
use pop3_proto::types::{
    Capability, Command, DropListing, Entry, Expect, Mechanism, RespCode, Response, SaslResponse,
    Status,
};
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const VAR: &str = "POP3_PROTO_DOVECOT";

/// The users `tests/peers/dovecot.sh` creates.
const ALICE: (&str, &str) = ("alice", "secret");
const BOB: (&str, &str) = ("bob", "pa ss,w=rd =x, y");
/// `=` and `,` in the name: SCRAM sends it as `o=3Dd=2Cd`.
const ODD: (&str, &str) = ("o=d,d", "secret");

/// What every user's maildrop holds (two messages).
const DROP: DropListing = DropListing {
    count: 2,
    size: 127,
};

/// The server's address, or `None` after saying how to start it.
fn peer(test: &str) -> Option<String> {
    match std::env::var(VAR) {
        Ok(addr) if !addr.is_empty() => Some(addr),
        _ => {
            // Straight to stderr, past the test harness's capture, so
            // that the skip shows in a plain `cargo test`.
            let _ = writeln!(
                std::io::stderr(),
                "interop_dovecot::{test}: skipped: {VAR} is not set; start the peer with \
                 `eval \"$(tests/peers/dovecot.sh start)\"` (as root, with the Debian \
                 packages dovecot-core and dovecot-pop3d) and run the tests again"
            );
            None
        }
    }
}

/// A fresh client nonce: printable, no `,`.
fn nonce() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    let a = h.finish();
    h.write_u8(1);
    format!("{a:016x}{:016x}", h.finish())
}

/// What the decoder gave, detached from the receive buffer.
#[derive(Debug)]
enum Event {
    Line(Response<'static>),
    Data,
    End,
}

/// One POP3 connection: the socket, the receive buffer, the decoder, and
/// every byte each way.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    decoder: ResponseDecoder,
    sent: Vec<u8>,
    received: Vec<u8>,
}

impl Conn {
    /// Connects and reads the greeting.
    fn open(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        // SPEC S14: a server that stops answering fails the test, never
        // hangs it.
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut conn = Self {
            stream,
            buf: Vec::new(),
            decoder: ResponseDecoder::default(),
            sent: Vec::new(),
            received: Vec::new(),
        };
        conn.decoder.expect(Expect::Greeting).unwrap();
        let Event::Line(Response::Greeting(g)) = conn.next() else {
            panic!("no greeting")
        };
        assert!(g.is_ok(), "{g:?}");
        assert!(matches!(conn.next(), Event::End));
        conn
    }

    fn write(&mut self, line: &[u8]) {
        self.stream.write_all(line).expect("send");
        self.sent.extend_from_slice(line);
    }

    /// Sends a command; its reply is read next.
    fn command(&mut self, command: &Command<'_>) {
        let mut line = Vec::new();
        command.encode(&mut line);
        self.decoder.expect(command.expect()).unwrap();
        self.write(&line);
    }

    /// Sends a SASL response line (the AUTH reply is still open).
    fn sasl(&mut self, response: &SaslResponse<'_>) {
        let mut line = Vec::new();
        response.encode(&mut line);
        self.write(&line);
    }

    /// The next event, reading as needed.
    fn next(&mut self) -> Event {
        loop {
            match self.decoder.decode(&self.buf) {
                Ok(Decoded::Value { value, consumed }) => {
                    let event = match value {
                        ResponseEvent::Line(line) => Event::Line(line.into_owned()),
                        ResponseEvent::Data(_) => Event::Data,
                        _ => Event::End,
                    };
                    self.buf.drain(..consumed);
                    return event;
                }
                Ok(Decoded::Discard(n)) => {
                    self.buf.drain(..n);
                }
                Ok(Decoded::Incomplete) => {
                    let mut chunk = [0u8; 4096];
                    let n = self.stream.read(&mut chunk).expect("read (timeout?)");
                    if n == 0 {
                        self.decoder.finish().expect("the server closed mid-reply");
                        panic!("the server closed the connection");
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                    self.received.extend_from_slice(&chunk[..n]);
                }
                Err(e) => panic!(
                    "undecodable reply: {e:?} in {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
    }

    /// A single-line reply.
    fn reply(&mut self) -> Response<'static> {
        let Event::Line(line) = self.next() else {
            panic!("no reply line")
        };
        assert!(matches!(self.next(), Event::End), "{line:?} is one line");
        line
    }

    /// A status reply.
    fn status(&mut self) -> Status<'static> {
        match self.reply() {
            Response::Status(s) => s,
            other => panic!("not a status line: {other:?}"),
        }
    }

    /// CAPA's tags.
    fn capa(&mut self) -> Vec<Capability<'static>> {
        self.command(&Command::Capa);
        let Event::Line(Response::Status(s)) = self.next() else {
            panic!("no CAPA status")
        };
        assert!(s.is_ok(), "{s:?}");
        let mut caps = Vec::new();
        loop {
            match self.next() {
                Event::Line(Response::Entry(Entry::Capability(c))) => caps.push(c),
                Event::End => return caps,
                other => panic!("{other:?} in CAPA"),
            }
        }
    }

    /// STAT, then QUIT: the proof that the login put the session in
    /// TRANSACTION (SPEC R51).
    fn stat_and_quit(mut self) {
        self.command(&Command::Stat);
        assert_eq!(self.reply(), Response::Stat(DROP));
        self.command(&Command::Quit);
        let bye = self.status();
        assert!(bye.is_ok(), "{bye:?}");
    }
}

/// How one AUTH exchange went.
#[derive(Debug)]
struct Exchange {
    /// The decoded challenges, in order.
    challenges: Vec<Vec<u8>>,
    /// The decoded response lines after the AUTH line, in order (`None`
    /// for `*`).
    responses: Vec<Option<Vec<u8>>>,
    /// The final status line.
    status: Status<'static>,
    /// The error our mechanism gave for a challenge, if it gave one.
    error: Option<SaslError>,
    /// `success()` after `+OK` (not called after `-ERR`).
    success: Option<Result<(), SaslError>>,
}

impl Exchange {
    /// `+OK`, and our mechanism agrees the exchange is complete.
    fn assert_ok(&self) {
        assert!(self.status.is_ok(), "{self:#?}");
        assert_eq!(self.error, None, "{self:#?}");
        assert_eq!(self.success, Some(Ok(())), "{self:#?}");
    }

    /// `-ERR [AUTH] Authentication failed.`: Dovecot's answer to every
    /// refused credential (RFC 3206; it advertises AUTH-RESP-CODE, SPEC
    /// R48).
    fn assert_refused(&self) {
        assert!(!self.status.is_ok(), "{self:#?}");
        assert_eq!(self.status.code(), Some(&RespCode::AUTH), "{self:#?}");
        assert_eq!(
            self.status.text().as_bytes(),
            b"Authentication failed.",
            "{self:#?}"
        );
        assert_eq!(self.success, None);
    }
}

/// Runs AUTH with `mech` on `conn`, with its initial response on the AUTH
/// line when `initial` (else the two-step form: `AUTH name`, then the
/// answer to the empty challenge, SPEC R53).
fn authenticate(conn: &mut Conn, mech: &mut dyn ClientMechanism, initial: bool) -> Exchange {
    let initial_response = if initial {
        mech.initial_response().expect("initial response")
    } else {
        None
    };
    conn.command(&Command::Auth {
        mechanism: mech.mechanism(),
        initial_response,
    });
    let (mut challenges, mut responses, mut error) = (Vec::new(), Vec::new(), None);
    loop {
        let Event::Line(line) = conn.next() else {
            panic!("an AUTH reply ends with a status line")
        };
        match line {
            Response::Challenge(challenge) => {
                // A challenge keeps the reply open (no End).
                let challenge = challenge.as_bytes().to_vec();
                // A mechanism that cannot go on answers `*`.
                let reply = mech.respond(&challenge).unwrap_or_else(|e| {
                    error = Some(e);
                    ClientReply::Cancel
                });
                challenges.push(challenge);
                match reply {
                    ClientReply::Data(data) => {
                        responses.push(Some(data.expose_secret().as_bytes().to_vec()));
                        conn.sasl(&SaslResponse::Data(data));
                    }
                    ClientReply::Cancel => {
                        responses.push(None);
                        conn.sasl(&SaslResponse::Cancel);
                    }
                }
            }
            Response::Status(status) => {
                assert!(matches!(conn.next(), Event::End));
                return Exchange {
                    challenges,
                    responses,
                    success: status.is_ok().then(|| mech.success()),
                    status,
                    error,
                };
            }
            other => panic!("{other:?} in an AUTH exchange"),
        }
    }
}

/// One exchange on a fresh connection; after a success, STAT and QUIT.
fn login(addr: &str, mech: &mut dyn ClientMechanism, initial: bool) -> Exchange {
    let mut conn = Conn::open(addr);
    let exchange = authenticate(&mut conn, mech, initial);
    if exchange.status.is_ok() {
        conn.stat_and_quit();
    }
    exchange
}

fn scram(hash: ScramHash, (user, password): (&str, &str), binding: ChannelBinding) -> ScramClient {
    ScramClient::new(hash, user, password, nonce(), binding).unwrap()
}

/// RFC 5802 as POP3 carries it (RFC 5034 §4 has no success data on +OK):
/// client-first on the AUTH line, server-first, client-final, the
/// server-final as a `+ ` continuation, our empty line, then `+OK`.
fn assert_scram_shape(exchange: &Exchange, initial: bool) {
    exchange.assert_ok();
    let offset = usize::from(!initial);
    if !initial {
        // The two-step form: an empty challenge asks for client-first.
        assert_eq!(exchange.challenges[0], b"", "{exchange:#?}");
    }
    assert_eq!(exchange.challenges.len(), 2 + offset, "{exchange:#?}");
    assert_eq!(exchange.responses.len(), 2 + offset, "{exchange:#?}");
    let server_first = &exchange.challenges[offset];
    assert!(server_first.starts_with(b"r="), "{exchange:#?}");
    let client_final = exchange.responses[offset].as_ref().unwrap();
    assert!(client_final.starts_with(b"c="), "{exchange:#?}");
    let server_final = &exchange.challenges[offset + 1];
    assert!(server_final.starts_with(b"v="), "{exchange:#?}");
    assert_eq!(exchange.responses[offset + 1].as_deref(), Some(&b""[..]));
}

#[test]
fn capa_offers_the_five_mechanisms() {
    let Some(addr) = peer("capa_offers_the_five_mechanisms") else {
        return;
    };
    let mut conn = Conn::open(&addr);
    let caps = conn.capa();
    let sasl = caps
        .iter()
        .find_map(|c| match c {
            Capability::Sasl(m) => Some(m.clone()),
            _ => None,
        })
        .expect("a SASL capability (SPEC R50)");
    assert_eq!(
        sasl,
        [
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::CramMd5,
            Mechanism::ScramSha1,
            Mechanism::ScramSha256,
        ]
    );
    // [AUTH] below is a code for certain (SPEC R46, R48).
    assert!(caps.contains(&Capability::AuthRespCode), "{caps:?}");
    // Bare AUTH lists the same mechanisms (SPEC R61).
    conn.command(&Command::AuthList);
    let Event::Line(Response::Status(s)) = conn.next() else {
        panic!()
    };
    assert!(s.is_ok());
    let mut listed = Vec::new();
    loop {
        match conn.next() {
            Event::Line(Response::Entry(Entry::Mechanism(m))) => listed.push(m),
            Event::End => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(listed, sasl);
    conn.command(&Command::Quit);
    assert!(conn.status().is_ok());
}

#[test]
fn plain_with_initial_response() {
    let Some(addr) = peer("plain_with_initial_response") else {
        return;
    };
    let mut mech = Plain::new(ALICE.0, ALICE.1).unwrap();
    let exchange = login(&addr, &mut mech, true);
    exchange.assert_ok();
    assert!(exchange.challenges.is_empty(), "{exchange:#?}");
}

#[test]
fn plain_two_step() {
    let Some(addr) = peer("plain_two_step") else {
        return;
    };
    let mut conn = Conn::open(&addr);
    let mut mech = Plain::new(ALICE.0, ALICE.1).unwrap();
    let exchange = authenticate(&mut conn, &mut mech, false);
    exchange.assert_ok();
    // SPEC R52: the empty challenge is exactly "+ " CRLF.
    assert_eq!(exchange.challenges, [b""]);
    assert!(
        conn.received.windows(4).any(|w| w == b"+ \r\n"),
        "{:?}",
        String::from_utf8_lossy(&conn.received)
    );
    conn.stat_and_quit();
}

#[test]
fn plain_authzid() {
    let Some(addr) = peer("plain_authzid") else {
        return;
    };
    // Acting as oneself, named: accepted.
    let mut mech = Plain::with_authzid(ALICE.0, ALICE.0, ALICE.1).unwrap();
    login(&addr, &mut mech, true).assert_ok();
    // Acting as another user needs a master passdb, which the peer has
    // not: refused, though alice's password is right.
    let mut mech = Plain::with_authzid(BOB.0, ALICE.0, ALICE.1).unwrap();
    login(&addr, &mut mech, true).assert_refused();
}

#[test]
fn login_mechanism() {
    let Some(addr) = peer("login_mechanism") else {
        return;
    };
    let mut mech = Login::new(ALICE.0, ALICE.1).unwrap();
    let exchange = login(&addr, &mut mech, true);
    exchange.assert_ok();
    // Dovecot's prompts (SPEC R62), which the client ignores.
    assert_eq!(exchange.challenges, [&b"Username:"[..], b"Password:"]);
}

#[test]
fn cram_md5() {
    let Some(addr) = peer("cram_md5") else {
        return;
    };
    let mut mech = CramMd5::new(ALICE.0, ALICE.1).unwrap();
    let exchange = login(&addr, &mut mech, true);
    exchange.assert_ok();
    // An RFC 2195 challenge: a msg-id.
    let [challenge] = exchange.challenges.as_slice() else {
        panic!("{exchange:#?}")
    };
    assert!(challenge.starts_with(b"<") && challenge.ends_with(b">"));
}

#[test]
fn scram_sha_1_and_sha_256() {
    let Some(addr) = peer("scram_sha_1_and_sha_256") else {
        return;
    };
    for hash in [ScramHash::Sha1, ScramHash::Sha256] {
        for initial in [true, false] {
            let mut mech = scram(hash, ALICE, ChannelBinding::None);
            let exchange = login(&addr, &mut mech, initial);
            assert_scram_shape(&exchange, initial);
        }
    }
}

#[test]
fn scram_with_channel_binding_not_offered() {
    let Some(addr) = peer("scram_with_channel_binding_not_offered") else {
        return;
    };
    // The `y` flag: we could bind, the server offers no -PLUS. Dovecot
    // 2.3 has no -PLUS mechanism, so it must accept (RFC 5802 §6).
    for hash in [ScramHash::Sha1, ScramHash::Sha256] {
        let mut mech = scram(hash, ALICE, ChannelBinding::NotOffered);
        let first = mech.initial_response().unwrap().unwrap();
        assert!(
            first
                .expose_secret()
                .as_bytes()
                .starts_with(b"y,,n=alice,r=")
        );
        let mut mech = scram(hash, ALICE, ChannelBinding::NotOffered);
        let exchange = login(&addr, &mut mech, true);
        assert_scram_shape(&exchange, true);
        // c= carries the same GS2 header: base64("y,,").
        let client_final = exchange.responses[0].as_ref().unwrap();
        assert!(client_final.starts_with(b"c=eSws,r="), "{exchange:#?}");
    }
}

#[test]
fn awkward_password_through_every_mechanism() {
    let Some(addr) = peer("awkward_password_through_every_mechanism") else {
        return;
    };
    let (user, password) = BOB;
    login(&addr, &mut Plain::new(user, password).unwrap(), true).assert_ok();
    login(&addr, &mut Plain::new(user, password).unwrap(), false).assert_ok();
    login(&addr, &mut Login::new(user, password).unwrap(), true).assert_ok();
    login(&addr, &mut CramMd5::new(user, password).unwrap(), true).assert_ok();
    for hash in [ScramHash::Sha1, ScramHash::Sha256] {
        let exchange = login(&addr, &mut scram(hash, BOB, ChannelBinding::None), true);
        assert_scram_shape(&exchange, true);
    }
}

#[test]
fn user_name_with_equals_and_comma() {
    let Some(addr) = peer("user_name_with_equals_and_comma") else {
        return;
    };
    let (user, password) = ODD;
    login(&addr, &mut Plain::new(user, password).unwrap(), true).assert_ok();
    login(&addr, &mut Login::new(user, password).unwrap(), true).assert_ok();
    login(&addr, &mut CramMd5::new(user, password).unwrap(), true).assert_ok();
    for hash in [ScramHash::Sha1, ScramHash::Sha256] {
        let mut mech = scram(hash, ODD, ChannelBinding::None);
        let first = mech.initial_response().unwrap().unwrap();
        // RFC 5802 §5.1: "=" as =3D, "," as =2C.
        assert!(
            first
                .expose_secret()
                .as_bytes()
                .starts_with(b"n,,n=o=3Dd=2Cd,r=")
        );
        let exchange = login(&addr, &mut scram(hash, ODD, ChannelBinding::None), true);
        assert_scram_shape(&exchange, true);
    }
}

#[test]
fn wrong_password_through_every_mechanism() {
    let Some(addr) = peer("wrong_password_through_every_mechanism") else {
        return;
    };
    let (user, wrong) = (ALICE.0, "secret!");
    let started = std::time::Instant::now();
    let plain = login(&addr, &mut Plain::new(user, wrong).unwrap(), true);
    plain.assert_refused();
    assert!(plain.challenges.is_empty());
    let plain = login(&addr, &mut Plain::new(user, wrong).unwrap(), false);
    plain.assert_refused();
    assert_eq!(plain.challenges, [b""]);
    let login_ = login(&addr, &mut Login::new(user, wrong).unwrap(), true);
    login_.assert_refused();
    assert_eq!(login_.challenges.len(), 2);
    let cram = login(&addr, &mut CramMd5::new(user, wrong).unwrap(), true);
    cram.assert_refused();
    assert_eq!(cram.challenges.len(), 1);
    for hash in [ScramHash::Sha1, ScramHash::Sha256] {
        let mut mech = scram(hash, (user, wrong), ChannelBinding::None);
        let exchange = login(&addr, &mut mech, true);
        // Dovecot sends no `e=` server-final: after the client-final with
        // the wrong proof comes the -ERR at once.
        exchange.assert_refused();
        assert_eq!(exchange.challenges.len(), 1, "{exchange:#?}");
        assert!(exchange.challenges[0].starts_with(b"r="));
        assert_eq!(exchange.error, None);
        // And our client never counts it a success: without a verified
        // server-final, even a +OK would be refused.
        assert_eq!(mech.success(), Err(SaslError::Incomplete));
    }
    // An unknown user gets the same bytes (SPEC R47, S13).
    let nobody = login(&addr, &mut Plain::new("nobody-here", wrong).unwrap(), true);
    nobody.assert_refused();
    // auth_failure_delay = 0 and no anvil penalty: failures come fast.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn cancel_then_login_then_auth_again() {
    let Some(addr) = peer("cancel_then_login_then_auth_again") else {
        return;
    };
    // `*` ends the exchange (RFC 5034 §4): -ERR, no code.
    let mut conn = Conn::open(&addr);
    conn.command(&Command::Auth {
        mechanism: Mechanism::CramMd5,
        initial_response: None,
    });
    let Event::Line(Response::Challenge(_)) = conn.next() else {
        panic!()
    };
    conn.sasl(&SaslResponse::Cancel);
    let status = conn.status();
    assert!(!status.is_ok());
    assert_eq!(
        status.text().as_bytes(),
        b"Authentication aborted by client."
    );
    // A failed AUTH leaves no state (SPEC R51): the next one succeeds.
    let mut mech = Plain::new(ALICE.0, ALICE.1).unwrap();
    authenticate(&mut conn, &mut mech, true).assert_ok();
    // And after it, AUTH is refused (SPEC R51).
    let mut again = Plain::new(ALICE.0, ALICE.1).unwrap();
    let exchange = authenticate(&mut conn, &mut again, true);
    assert!(!exchange.status.is_ok(), "{exchange:#?}");
    conn.stat_and_quit();
}

/// The fixed-nonce exchanges whose bytes are in tests/fixtures
/// (dovecot-scram-sha-*.client/.server) and replayed by tests/dovecot.rs.
/// With `POP3_PROTO_DOVECOT_CAPTURE=DIR` set, the bytes are written there.
#[test]
fn scram_with_a_fixed_nonce() {
    let Some(addr) = peer("scram_with_a_fixed_nonce") else {
        return;
    };
    for (hash, name) in [
        (ScramHash::Sha1, "dovecot-scram-sha-1"),
        (ScramHash::Sha256, "dovecot-scram-sha-256"),
    ] {
        let mut mech = ScramClient::new(
            hash,
            ALICE.0,
            ALICE.1,
            "pop3-proto/fixed+nonce",
            ChannelBinding::None,
        )
        .unwrap();
        let mut conn = Conn::open(&addr);
        let exchange = authenticate(&mut conn, &mut mech, true);
        assert_scram_shape(&exchange, true);
        conn.command(&Command::Quit);
        assert!(conn.status().is_ok());
        if let Ok(dir) = std::env::var("POP3_PROTO_DOVECOT_CAPTURE") {
            let dir = std::path::Path::new(&dir);
            std::fs::write(dir.join(format!("{name}.client")), &conn.sent).unwrap();
            std::fs::write(dir.join(format!("{name}.server")), &conn.received).unwrap();
        }
    }
}
