//! A small tool over the body codec.
//!
//! ```text
//! cargo run --example body -- --unstuff [--chunk N] < wire.txt > message.eml
//! cargo run --example body -- --stuff < message.eml > wire.txt
//! ```
//!
//! `--unstuff` reads a dot-stuffed multi-line body, through its CRLF.CRLF
//! terminator, from standard input, feeds it to the decoder N bytes at a time
//! (default: whatever each read returns) and writes the message. It exits
//! with status 1 and a message when the input ends before the terminator.
//! `--stuff` reads a message and writes the stuffed body with its
//! terminator, by the rules of `BodyEncoder`: an LF not preceded by CR and
//! a CR not followed by LF go out as CRLF (so a Maildir file with LF line
//! ends works, and no bare LF or CR reaches the wire), a line that starts
//! with `.` gets one more, and a CRLF is added when the message does not
//! end in one.

use pop3_proto::body::{BodyDecoder, BodyEncoder};
use std::io::{self, Read, Write};
use std::process::ExitCode;

enum Mode {
    Stuff,
    Unstuff { chunk: Option<usize> },
}

fn usage() -> ExitCode {
    eprintln!("usage: body --unstuff [--chunk N] | --stuff   (reads stdin, writes stdout)");
    ExitCode::from(2)
}

fn parse_args() -> Option<Mode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--stuff"] => Some(Mode::Stuff),
        ["--unstuff"] => Some(Mode::Unstuff { chunk: None }),
        ["--unstuff", "--chunk", n] | ["--chunk", n, "--unstuff"] => match n.parse() {
            Ok(n) if n > 0 => Some(Mode::Unstuff { chunk: Some(n) }),
            _ => None,
        },
        _ => None,
    }
}

fn main() -> ExitCode {
    let Some(mode) = parse_args() else {
        return usage();
    };
    let result = match mode {
        Mode::Stuff => stuff(),
        Mode::Unstuff { chunk } => unstuff(chunk),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("body: {e}");
            ExitCode::FAILURE
        }
    }
}

fn stuff() -> io::Result<ExitCode> {
    let mut stdin = io::stdin().lock();
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut encoder = BodyEncoder::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(buf.len() + buf.len() / 8);
    loop {
        let n = stdin.read(&mut buf)?;
        if n == 0 {
            break;
        }
        encoder.encode(&buf[..n], &mut out);
        stdout.write_all(&out)?;
        out.clear();
    }
    encoder.finish(&mut out);
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn unstuff(chunk: Option<usize>) -> io::Result<ExitCode> {
    let mut stdin = io::stdin().lock();
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut decoder = BodyDecoder::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(buf.len());
    let mut written = 0u64;
    loop {
        let n = stdin.read(&mut buf)?;
        if n == 0 {
            stdout.flush()?;
            eprintln!(
                "body: input ended before the CRLF.CRLF terminator \
                 ({written} bytes of message written); the body is incomplete"
            );
            return Ok(ExitCode::FAILURE);
        }
        for piece in buf[..n].chunks(chunk.unwrap_or(n)) {
            let progress = decoder.decode_into(piece, &mut out);
            stdout.write_all(&out)?;
            written += out.len() as u64;
            out.clear();
            if progress.done {
                stdout.flush()?;
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
}
