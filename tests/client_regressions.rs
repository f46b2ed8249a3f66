//! Defects of the sans-IO client, each pinned by the exact input that
//! shows it. A test marked `#[ignore = "bug: ..."]` fails until the defect
//! is fixed; run them with `cargo test --test client_regressions -- --ignored`.

use bytes::{Bytes, BytesMut};
use pop3_proto::client::{Client, Event, Options};
use pop3_proto::time::Instant;
use pop3_proto::types::MsgNumber;

/// A client in TRANSACTION with `RETR 1` answered `+OK`: what comes next
/// is message data.
fn in_a_message() -> Client {
    let now = Instant::ZERO;
    let mut c = Client::new(Options::default().with_allow_plaintext_login(true), now);
    c.receive(now, b"+OK\r\n").unwrap();
    c.login("u", "p").unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    c.retr(MsgNumber::ONE).unwrap();
    c.receive(now, b"+OK\r\n").unwrap();
    while c.poll_event().is_some() {}
    c
}

/// Where the bytes of `data` are, as addresses.
fn addresses(data: &[u8]) -> core::ops::Range<usize> {
    let start = data.as_ptr() as usize;
    start..start + data.len()
}

/// The data pieces of the events, each with whether it lies in `fed`.
fn pieces_in(c: &mut Client, fed: &core::ops::Range<usize>) -> Vec<(Vec<u8>, bool)> {
    core::iter::from_fn(|| c.poll_event())
        .filter_map(|e| match e {
            Event::Data { data, .. } => {
                let inside = fed.contains(&(data.as_ptr() as usize));
                Some((data.to_vec(), inside))
            }
            _ => None,
        })
        .collect()
}

/// `receive_bytes` promises that "message pieces are cut out of `data`"
/// when nothing is left over from before. That holds for a `Bytes` that
/// owns its buffer alone; for one that shares it (a slice of a bigger
/// `Bytes`, or `BytesMut::split().freeze()` while the `BytesMut` lives on,
/// the usual read loop) `BytesMut::from(Bytes)` copies it, and the pieces
/// are cut out of the copy (one allocation and one copy per read; see
/// BENCHMARKS.md, `client_bytes_shared_16KiB`).
#[test]
#[ignore = "bug: receive_bytes copies a Bytes that shares its buffer, despite its doc"]
fn receive_bytes_does_not_copy_a_shared_bytes() {
    let wire = b"hello world\r\nmore\r\n";

    // Owning its buffer alone: zero-copy, as documented.
    let mut c = in_a_message();
    let data = Bytes::from(wire.to_vec());
    let fed = addresses(&data);
    c.receive_bytes(Instant::ZERO, data).unwrap();
    assert_eq!(pieces_in(&mut c, &fed), [(wire.to_vec(), true)], "unique");

    // A slice of a bigger Bytes.
    let mut c = in_a_message();
    let whole = Bytes::from([&b"xxxx"[..], wire].concat());
    let data = whole.slice(4..);
    let fed = addresses(&data);
    c.receive_bytes(Instant::ZERO, data).unwrap();
    assert_eq!(
        pieces_in(&mut c, &fed),
        [(wire.to_vec(), true)],
        "a slice of a shared Bytes"
    );

    // The read loop's split().freeze(), the BytesMut kept for the next read.
    let mut c = in_a_message();
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(wire);
    let data = buf.split().freeze();
    let fed = addresses(&data);
    c.receive_bytes(Instant::ZERO, data).unwrap();
    assert_eq!(
        pieces_in(&mut c, &fed),
        [(wire.to_vec(), true)],
        "split().freeze()"
    );
    drop(buf);
}
