//! Replays the example session of RFC 1939 §10 through the codec.
//!
//! Each command line is decoded with the `CommandDecoder`; the server's
//! replies are decoded with one `ResponseDecoder`, told once per reply what
//! the pending command expects, which yields each line, the message bodies
//! of RETR unstuffed, and the end of every reply. Every line is printed with
//! the value it decoded to and encoded again, every message is stuffed
//! again, and every message's size is checked against the LIST reply (SPEC
//! R12): the run fails if anything differs.
//!
//! ```text
//! cargo run --example transcript
//! ```

use pop3_proto::body::encode_body;
use pop3_proto::codec::{CommandDecoder, Decoded, ResponseDecoder, ResponseEvent};
use pop3_proto::types::{Entry, Expect, Response};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// The session of RFC 1939 §10, with message texts of the sizes it lists
/// (120 and 200 octets, CRLF counted, stuffing not).
const SESSION: &[(&str, &str)] = &[
    (
        "",
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
    ),
    (
        "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
        "+OK mrose's maildrop has 2 messages (320 octets)\r\n",
    ),
    ("STAT\r\n", "+OK 2 320\r\n"),
    (
        "LIST\r\n",
        "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n",
    ),
    (
        "RETR 1\r\n",
        concat!(
            "+OK 120 octets\r\n",
            "From: dewey@example\r\nTo: mrose@dbc.mtview.ca.us\r\nSubject: one\r\n\r\n",
            "..a line that starts with a dot\r\nand another line here\r\n.\r\n",
        ),
    ),
    ("DELE 1\r\n", "+OK message 1 deleted\r\n"),
    (
        "RETR 2\r\n",
        concat!(
            "+OK 200 octets\r\n",
            "From: dewey@example\r\nTo: mrose@dbc.mtview.ca.us\r\nSubject: two\r\n\r\n",
            "Hello.\r\n\r\nThis second message is two hundred octets long, line ends\r\n",
            "included, as LIST said; the stuffing is not counted in the size.\r\n.\r\n",
        ),
    ),
    ("DELE 2\r\n", "+OK message 2 deleted\r\n"),
    (
        "QUIT\r\n",
        "+OK dewey POP3 server signing off (maildrop empty)\r\n",
    ),
];

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn main() -> ExitCode {
    let mut commands = CommandDecoder::default();
    let mut responses = ResponseDecoder::default();
    let mut failures = 0;
    let mut check = |what: &str, original: &[u8], encoded: &[u8]| {
        if original == encoded {
            format!("{what} re-encodes exactly")
        } else {
            failures += 1;
            format!("{what} RE-ENCODES DIFFERENTLY")
        }
    };
    // Sizes from the LIST reply, by message number, and the RETR pending.
    let mut sizes = BTreeMap::new();
    let mut size_errors = 0;

    for &(command, reply) in SESSION {
        let mut expect = Expect::Greeting;
        let mut retr = None;
        if !command.is_empty() {
            let line = command.as_bytes();
            match commands.decode(line) {
                Ok(Decoded::Value { value, consumed }) => {
                    let verdict = check("command", &line[..consumed], &value.to_vec());
                    println!(
                        "C: {}\n   => {value:?} ({verdict})",
                        show(&line[..consumed])
                    );
                    expect = value.expect();
                    if let pop3_proto::Command::Retr(msg) = value {
                        retr = Some(msg);
                    }
                }
                other => {
                    eprintln!("transcript: cannot decode {}: {other:?}", show(line));
                    return ExitCode::FAILURE;
                }
            }
        }
        if let Err(e) = responses.expect(expect) {
            eprintln!("transcript: {e}");
            return ExitCode::FAILURE;
        }
        let input = reply.as_bytes();
        let (mut at, mut message, mut body_start) = (0, Vec::new(), None);
        loop {
            let (event, consumed) = match responses.decode(&input[at..]) {
                Ok(Decoded::Value { value, consumed }) => (value, consumed),
                Ok(Decoded::Discard(n)) => {
                    at += n;
                    continue;
                }
                other => {
                    eprintln!(
                        "transcript: cannot decode {}: {other:?}",
                        show(&input[at..])
                    );
                    return ExitCode::FAILURE;
                }
            };
            let bytes = &input[at..at + consumed];
            at += consumed;
            match event {
                ResponseEvent::Line(line) => {
                    let verdict = check("line", bytes, &line.to_vec());
                    println!("S: {}\n   => {line:?} ({verdict})", show(bytes));
                    if let Response::Entry(Entry::Scan(scan)) = line {
                        sizes.insert(scan.msg, scan.size);
                    }
                    if responses.in_body() {
                        body_start = Some(at);
                    }
                }
                ResponseEvent::Data(piece) => message.extend_from_slice(piece),
                ResponseEvent::End => {
                    if let Some(start) = body_start {
                        let mut encoded = Vec::new();
                        encode_body(&message, &mut encoded);
                        let verdict = check("message", &input[start..at], &encoded);
                        let listed = retr.and_then(|msg| sizes.get(&msg).copied());
                        let size = u64::try_from(message.len()).unwrap_or(u64::MAX);
                        let agrees = if listed == Some(size) {
                            "as LIST said"
                        } else {
                            size_errors += 1;
                            "NOT WHAT LIST SAID"
                        };
                        println!(
                            "S: {}\n   => message of {size} octets, {agrees}: {:?} ({verdict})",
                            show(&input[start..at]),
                            String::from_utf8_lossy(&message),
                        );
                    }
                    break;
                }
                _ => {}
            }
        }
        if at != input.len() {
            eprintln!("transcript: bytes after the reply: {}", show(&input[at..]));
            return ExitCode::FAILURE;
        }
    }
    if failures > 0 || size_errors > 0 {
        eprintln!(
            "transcript: {failures} re-encoding(s) differ, {size_errors} size(s) disagree with LIST"
        );
        return ExitCode::FAILURE;
    }
    println!("\nEvery line and message re-encoded to the same bytes; every size agreed with LIST.");
    ExitCode::SUCCESS
}
