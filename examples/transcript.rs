//! Replays the example session of RFC 1939 §10 through the codec.
//!
//! Each line is decoded (commands with the `CommandDecoder`, replies with the
//! `ResponseDecoder` told what the pending command expects, message bodies
//! with the `BodyDecoder`), printed with the value it decoded to, and encoded
//! again; the run fails if any re-encoding differs from the original bytes.
//!
//! ```text
//! cargo run --example transcript
//! ```

use pop3_proto::body::{BodyDecoder, encode_body};
use pop3_proto::codec::{CommandDecoder, Decoded, ResponseDecoder};
use pop3_proto::types::{Expect, Response};
use std::process::ExitCode;

/// The session of RFC 1939 §10; the message texts are filled in.
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
        "+OK 120 octets\r\nFrom: dewey@example\r\nSubject: one\r\n\r\n..a line that starts with a dot\r\n.\r\n",
    ),
    ("DELE 1\r\n", "+OK message 1 deleted\r\n"),
    (
        "RETR 2\r\n",
        "+OK 200 octets\r\nFrom: dewey@example\r\nSubject: two\r\n\r\nHello.\r\n.\r\n",
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
    let mut mismatches = 0;
    let mut check = |original: &[u8], encoded: &[u8]| {
        if original == encoded {
            "re-encodes exactly"
        } else {
            mismatches += 1;
            "RE-ENCODING DIFFERS"
        }
    };

    for &(command, reply) in SESSION {
        let mut expect = Expect::Greeting;
        if !command.is_empty() {
            let line = command.as_bytes();
            match commands.decode(line) {
                Ok(Decoded::Value { value, consumed }) => {
                    let verdict = check(&line[..consumed], &value.to_vec());
                    println!(
                        "C: {}\n   => {value:?} ({verdict})",
                        show(&line[..consumed])
                    );
                    expect = value.expect();
                }
                other => {
                    eprintln!("transcript: cannot decode {}: {other:?}", show(line));
                    return ExitCode::FAILURE;
                }
            }
        }
        let mut input = reply.as_bytes();
        while !input.is_empty() {
            let (value, consumed) = match responses.decode(input, expect) {
                Ok(Decoded::Value { value, consumed }) => (value, consumed),
                other => {
                    eprintln!("transcript: cannot decode {}: {other:?}", show(input));
                    return ExitCode::FAILURE;
                }
            };
            let verdict = check(&input[..consumed], &value.to_vec());
            println!(
                "S: {}\n   => {value:?} ({verdict})",
                show(&input[..consumed])
            );
            let opens_body =
                expect == Expect::Message && matches!(&value, Response::Status(s) if s.is_ok());
            input = &input[consumed..];
            if opens_body {
                let mut body = BodyDecoder::new();
                let mut message = Vec::new();
                let progress = body.decode_into(input, &mut message);
                if !progress.done {
                    eprintln!("transcript: body without terminator");
                    return ExitCode::FAILURE;
                }
                let mut encoded = Vec::new();
                encode_body(&message, &mut encoded);
                let verdict = check(&input[..progress.consumed], &encoded);
                println!(
                    "S: {}\n   => message of {} octets: {:?} ({verdict})",
                    show(&input[..progress.consumed]),
                    message.len(),
                    String::from_utf8_lossy(&message)
                );
                input = &input[progress.consumed..];
            }
        }
    }
    if mismatches > 0 {
        eprintln!("transcript: {mismatches} line(s) did not re-encode to the same bytes");
        return ExitCode::FAILURE;
    }
    println!("\nEvery line decoded and re-encoded to the same bytes.");
    ExitCode::SUCCESS
}
