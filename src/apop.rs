//! APOP (RFC 1939 §7): `digest = hex(MD5(timestamp || secret))`.
//!
//! APOP is weak: MD5 collisions let a hostile server recover a password a
//! few characters at a time (CVE-2007-1558). Offer and use it only over TLS
//! and only when asked to (SPEC R21, S12).

use crate::types::{ApopDigest, Timestamp};
use md5::{Digest, Md5};

/// Computes the APOP digest for `timestamp` (with its `<` `>`) and the
/// shared `secret`: 32 lower-case hexadecimal characters (SPEC R18, V2).
///
/// ```
/// use pop3_proto::apop;
/// use pop3_proto::types::Timestamp;
///
/// let ts = Timestamp::try_from("<1896.697170952@dbc.mtview.ca.us>").unwrap();
/// assert_eq!(apop::digest(&ts, b"tanstaaf").as_str(), "c4c9334bac560ecc979e58001b3e22fb");
/// ```
pub fn digest(timestamp: &Timestamp<'_>, secret: &[u8]) -> ApopDigest {
    let mut md5 = Md5::new();
    md5.update(timestamp.as_bytes());
    md5.update(secret);
    let sum = md5.finalize();
    let mut hex = [0u8; 32];
    for (pair, &byte) in hex.chunks_exact_mut(2).zip(sum.iter()) {
        pair.copy_from_slice(&crate::ascii::hex_digits(byte));
    }
    ApopDigest(hex)
}

/// Checks a client's digest against the one computed from `timestamp` and
/// `secret`, in time that does not depend on where they differ.
pub fn verify(timestamp: &Timestamp<'_>, secret: &[u8], claimed: &ApopDigest) -> bool {
    let expected = digest(timestamp, secret);
    subtle::ConstantTimeEq::ct_eq(&expected.as_bytes()[..], &claimed.as_bytes()[..]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1939_vector_v2() {
        let ts = Timestamp::try_from("<1896.697170952@dbc.mtview.ca.us>").unwrap();
        let d = digest(&ts, b"tanstaaf");
        assert_eq!(d.as_str(), "c4c9334bac560ecc979e58001b3e22fb");
        assert!(verify(&ts, b"tanstaaf", &d));
        assert!(!verify(&ts, b"tanstaaF", &d));
        let other = ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22fc").unwrap();
        assert!(!verify(&ts, b"tanstaaf", &other));
    }
}
