//! Byte-class tests and searches for short inputs, eight bytes at a time.
//!
//! Protocol lines are short (a UIDL line is ~30 bytes), where the set-up of
//! a SIMD search or the scalar tail of a vectorised loop costs more than the
//! work. These helpers test a whole `u64` word per step with the classic
//! SWAR bit tricks, in safe code.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Nonzero when some byte of `w` is zero; the lowest set bit marks the
/// first zero byte (in little-endian order) exactly.
#[inline(always)]
const fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGHS
}

/// `byte` repeated in every lane.
#[inline(always)]
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// Nonzero when some byte of `w` is below `n` (`n <= 128`).
#[inline(always)]
const fn any_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(splat(n)) & !w & HIGHS
}

/// Nonzero when some byte of `w` is above `n` (`n <= 127`), bytes with the
/// high bit set included.
#[inline(always)]
const fn any_above(w: u64, n: u8) -> u64 {
    (w.wrapping_add(splat(127 - n)) | w) & HIGHS
}

/// Calls `test` on each 8-byte word of `v` and says whether all pass. The
/// last word overlaps the one before it when the length is not a multiple
/// of 8, which an "all bytes" test does not mind; inputs under 8 bytes are
/// padded with `pad`, a byte that passes.
#[inline(always)]
fn all_words(v: &[u8], pad: u8, test: impl Fn(u64) -> bool) -> bool {
    let word = |w: &[u8; 8]| test(u64::from_le_bytes(*w));
    match v.last_chunk::<8>() {
        Some(last) => {
            let mut ok = word(last);
            for w in v.chunks_exact(8) {
                let mut buf = [0u8; 8];
                buf.copy_from_slice(w);
                ok &= word(&buf);
            }
            ok
        }
        None => {
            let mut buf = [pad; 8];
            for (b, &x) in buf.iter_mut().zip(v) {
                *b = x;
            }
            word(&buf)
        }
    }
}

/// The decimal value of the ASCII digits at the start of the
/// little-endian word `w`, and how many there are (0 to 8). The value is
/// exact when the count is below 8; for 8 the caller reads the number
/// another way, as it may go on.
///
/// One pass flags the bytes that are not digits (high nibble 3 and low
/// nibble at most 9, tested without carries between lanes), and three
/// multiply-add steps combine the digits pairwise.
#[inline(always)]
pub(crate) const fn leading_digits(w: u64) -> (u64, usize) {
    const HIGH_NIBBLES: u64 = splat(0xf0);
    const LOW_NIBBLES: u64 = splat(0x0f);
    // Non-zero in each byte that is not a digit: a high nibble other than
    // 3, or a low nibble that carries into bit 4 when 6 is added.
    let bad = ((w & HIGH_NIBBLES) ^ splat(0x30))
        | ((w & LOW_NIBBLES).wrapping_add(splat(6)) & HIGH_NIBBLES);
    // The high bit of each non-zero byte of `bad` (no carries between
    // lanes: a byte's low seven bits plus 0x7f stay below 0x100).
    let flags = (((bad & splat(0x7f)).wrapping_add(splat(0x7f))) | bad) & HIGHS;
    let len = (flags.trailing_zeros() / 8) as usize;
    if len == 0 {
        return (0, 0);
    }
    if len == 8 {
        return (0, 8);
    }
    // Keep the `len` digits and move them to the top of the word, so the
    // missing digits in front read as leading zeros.
    let mut v = (w & LOW_NIBBLES) << (64 - 8 * len as u32);
    v = (v.wrapping_mul(10).wrapping_add(v >> 8)) & 0x00ff_00ff_00ff_00ff;
    v = (v.wrapping_mul(100).wrapping_add(v >> 16)) & 0x0000_ffff_0000_ffff;
    v = (v.wrapping_mul(10_000).wrapping_add(v >> 32)) & 0x0000_0000_ffff_ffff;
    (v, len)
}

/// True when every byte is `VCHAR` (0x21-0x7E).
pub(crate) fn all_vchar(v: &[u8]) -> bool {
    all_words(v, b'a', |w| any_below(w, 0x21) | any_above(w, 0x7e) == 0)
}

/// True when every byte is printable ASCII, SP included (0x20-0x7E).
pub(crate) fn all_print(v: &[u8]) -> bool {
    all_words(v, b'a', |w| any_below(w, 0x20) | any_above(w, 0x7e) == 0)
}

/// True when no byte is CR, LF or NUL.
pub(crate) fn all_text(v: &[u8]) -> bool {
    all_words(v, b'a', |w| {
        zero_bytes(w) | zero_bytes(w ^ splat(b'\r')) | zero_bytes(w ^ splat(b'\n')) == 0
    })
}

/// The index of the first byte of `v` that is not `VCHAR` (0x21-0x7E), or
/// `None` when there is none.
#[inline]
pub(crate) fn find_non_vchar(v: &[u8]) -> Option<usize> {
    let flag = |w: &[u8]| {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let w = u64::from_le_bytes(word);
        // The lowest flagged byte is exact (borrows and carries only run
        // upwards from a flagged byte).
        any_below(w, 0x21) | any_above(w, 0x7e)
    };
    let mut at = 0;
    // 64 bytes a step where they are there: a unique-id (at most 70
    // characters, most far fewer) then ends within the first step, so the
    // branch that leaves the loop is predictable, and the words are tested
    // without a branch each.
    while let Some(block) = v[at..].first_chunk::<64>() {
        let mut bad = [0u64; 8];
        for (b, w) in bad.iter_mut().zip(block.chunks_exact(8)) {
            *b = flag(w);
        }
        let words = bad
            .iter()
            .enumerate()
            .fold(0u32, |m, (i, &b)| m | u32::from(b != 0) << i);
        if words != 0 {
            let i = words.trailing_zeros() as usize;
            return Some(at + 8 * i + (bad[i & 7].trailing_zeros() / 8) as usize);
        }
        at += 64;
    }
    while let Some(w) = v[at..].first_chunk::<8>() {
        let bad = flag(w);
        if bad != 0 {
            return Some(at + (bad.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    v[at..]
        .iter()
        .position(|&b| !(0x21..=0x7e).contains(&b))
        .map(|i| at + i)
}

/// The index of the first `needle` in `hay`. Looks 16 bytes at a time
/// through the first 64 bytes, where lines usually end, then hands over to
/// `memchr` for long input.
#[inline]
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    let pattern = splat(needle);
    let mut at = 0;
    while let Some(block) = hay[at..].first_chunk::<16>() {
        let block = u128::from_le_bytes(*block);
        let lo = zero_bytes(block as u64 ^ pattern);
        let hi = zero_bytes((block >> 64) as u64 ^ pattern);
        // One branch per 16 bytes; the lowest flag of `lo` is exact, and
        // `hi` only counts when `lo` has none.
        let hits = u128::from(lo) | u128::from(hi) << 64;
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 16;
        if at == 64 {
            return memchr::memchr(needle, &hay[at..]).map(|i| at + i);
        }
    }
    hay[at..].iter().position(|&b| b == needle).map(|i| at + i)
}

/// The two lower-case hexadecimal digits of `byte`: APOP and CRAM-MD5
/// digests, and the server's unique parts.
pub(crate) const fn hex_digits(byte: u8) -> [u8; 2] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    [HEX[(byte >> 4) as usize], HEX[(byte & 15) as usize]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_agree_with_plain_tests() {
        // Every byte value in every position of words and tails.
        for len in 1..=17 {
            for pos in 0..len {
                for b in 0..=255u8 {
                    let mut v = alloc::vec![b'x'; len];
                    v[pos] = b;
                    assert_eq!(all_vchar(&v), (0x21..=0x7e).contains(&b), "{v:?}");
                    assert_eq!(all_print(&v), (0x20..=0x7e).contains(&b), "{v:?}");
                    assert_eq!(all_text(&v), !matches!(b, 0 | b'\r' | b'\n'), "{v:?}");
                }
            }
        }
        assert!(all_vchar(b"") && all_text(b"") && all_print(b""));
    }

    #[test]
    fn leading_digits_agrees_with_a_plain_loop() {
        let plain = |v: &[u8; 8]| {
            let len = v.iter().take_while(|b| b.is_ascii_digit()).count();
            let n = v[..len]
                .iter()
                .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
            (if len == 8 { 0 } else { n }, len)
        };
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..=8 {
            for stop in 0..=255u8 {
                for _ in 0..4 {
                    let mut v = [b'0'; 8];
                    for d in v.iter_mut().take(len) {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        *d = b'0' + (rng % 10) as u8;
                    }
                    if len < 8 {
                        v[len] = stop;
                        for b in v.iter_mut().skip(len + 1) {
                            rng ^= rng << 13;
                            rng ^= rng >> 7;
                            rng ^= rng << 17;
                            *b = rng as u8;
                        }
                    }
                    assert_eq!(leading_digits(u64::from_le_bytes(v)), plain(&v), "{v:?}");
                }
            }
        }
    }

    #[test]
    fn find_non_vchar_agrees_with_position() {
        for len in 0..100 {
            for pos in 0..=len {
                for b in [0u8, 0x0d, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0xff] {
                    let mut v = alloc::vec![b'u'; len];
                    if pos < len {
                        v[pos] = b;
                        if pos + 2 < len {
                            v[pos + 2] = 0x01;
                        }
                    }
                    let expected = v.iter().position(|&b| !(0x21..=0x7e).contains(&b));
                    assert_eq!(find_non_vchar(&v), expected, "{v:?}");
                }
            }
        }
    }

    #[test]
    fn find_byte_agrees_with_position() {
        for len in 0..150 {
            for pos in 0..=len {
                let mut v = alloc::vec![b'a'; len];
                if pos < len {
                    v[pos] = b'\n';
                    // A second needle later must not be reported first.
                    if pos + 3 < len {
                        v[pos + 3] = b'\n';
                    }
                }
                assert_eq!(find_byte(&v, b'\n'), v.iter().position(|&b| b == b'\n'));
            }
        }
        // Bytes just around the needle's value, and with the high bit set.
        let v = [0x0b, 0x09, 0x8a, 0xff, 0x0a];
        assert_eq!(find_byte(&v, b'\n'), Some(4));
    }
}
