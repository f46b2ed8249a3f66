//! A scripted server for client tests: each step is the line the client
//! must send and the bytes the server answers with, fed to the client in
//! chunks of a given size.
#![allow(dead_code)]

use pop3_proto::client::{Client, Event, Options};
use pop3_proto::time::Instant;

/// One exchange: what the client must send, and the server's answer.
pub struct Step {
    pub expect: Vec<u8>,
    pub reply: Vec<u8>,
}

pub fn step(expect: &[u8], reply: &[u8]) -> Step {
    Step {
        expect: expect.to_vec(),
        reply: reply.to_vec(),
    }
}

/// Feeds `bytes` to the client in chunks of `chunk` octets (0: one feed).
pub fn feed(client: &mut Client, now: Instant, bytes: &[u8], chunk: usize) {
    feed_sizes(client, now, bytes, &[chunk]);
}

/// Feeds `bytes` in chunks of the given sizes, cycled (0 or an empty
/// list: the rest in one feed).
pub fn feed_sizes(client: &mut Client, now: Instant, bytes: &[u8], sizes: &[usize]) {
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let size = match sizes.get(i % sizes.len().max(1)) {
            Some(&n) if n > 0 => n.min(rest.len()),
            _ => rest.len(),
        };
        i += 1;
        let (piece, tail) = rest.split_at(size);
        client.receive(now, piece).unwrap();
        rest = tail;
    }
}

/// Drains the client's events.
pub fn events(client: &mut Client) -> Vec<Event> {
    core::iter::from_fn(|| client.poll_event()).collect()
}

/// Drains what the client sends.
pub fn sent(client: &mut Client) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = client.poll_transmit() {
        out.extend_from_slice(&bytes);
    }
    out
}

/// Logs `client` in with USER u / PASS p, the server saying `+OK` to
/// both, and drains what that sent and reported.
pub fn log_in(client: &mut Client) {
    let now = Instant::ZERO;
    client.login("u", "p").unwrap();
    client.receive(now, b"+OK\r\n").unwrap();
    client.receive(now, b"+OK\r\n").unwrap();
    let _ = sent(client);
    let _ = events(client);
}

/// A client with `options`, greeted with `+OK` and logged in
/// ([`log_in`]): in TRANSACTION, with nothing to send or report.
pub fn logged_in(options: Options) -> Client {
    let now = Instant::ZERO;
    let mut client = Client::new(options, now);
    client.receive(now, b"+OK\r\n").unwrap();
    log_in(&mut client);
    client
}

/// Runs a session: the greeting, then `queue` (which queues commands on
/// the client, after the greeting), then the steps in order. Every byte
/// the client sends must be what the script expects next; the server's
/// answer comes only after it. Returns every event, with data pieces
/// merged per handle, so that chunkings compare equal.
pub fn run(
    options: Options,
    greeting: &[u8],
    queue: impl FnOnce(&mut Client),
    steps: &[Step],
    chunk: usize,
) -> (Client, Vec<Event>) {
    run_sizes(options, greeting, queue, steps, &[chunk])
}

/// [`run`], with the server's bytes cut by the sizes given (cycled).
pub fn run_sizes(
    options: Options,
    greeting: &[u8],
    queue: impl FnOnce(&mut Client),
    steps: &[Step],
    sizes: &[usize],
) -> (Client, Vec<Event>) {
    let now = Instant::ZERO;
    let mut client = Client::new(options, now);
    feed_sizes(&mut client, now, greeting, sizes);
    let mut all = events(&mut client);
    queue(&mut client);
    let mut wire = sent(&mut client);
    for (i, s) in steps.iter().enumerate() {
        // The client may have sent several pipelined commands at once.
        while wire.len() < s.expect.len() {
            let more = sent(&mut client);
            assert!(
                !more.is_empty(),
                "step {i}: the client sent {:?}, the script expects {:?}",
                String::from_utf8_lossy(&wire),
                String::from_utf8_lossy(&s.expect)
            );
            wire.extend(more);
        }
        let rest = wire.split_off(s.expect.len());
        assert_eq!(
            String::from_utf8_lossy(&wire),
            String::from_utf8_lossy(&s.expect),
            "step {i}"
        );
        wire = rest;
        feed_sizes(&mut client, now, &s.reply, sizes);
        all.extend(events(&mut client));
        wire.extend(sent(&mut client));
    }
    assert!(
        wire.is_empty(),
        "the client sent more than the script: {:?}",
        String::from_utf8_lossy(&wire)
    );
    (client, merge_data(all))
}

/// Joins consecutive data pieces of one handle.
pub fn merge_data(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for event in events {
        if let (Some(Event::Data { handle: h, data: d }), Event::Data { handle, data: more }) =
            (out.last_mut(), &event)
        {
            if h == handle {
                let mut joined = d.to_vec();
                joined.extend_from_slice(more);
                *d = joined.into();
                continue;
            }
        }
        out.push(event);
    }
    out
}
