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
    let mut at = 0;
    while let Some(w) = v[at..].first_chunk::<8>() {
        let w = u64::from_le_bytes(*w);
        // The lowest flagged byte of each mask is exact (borrows and
        // carries only run upwards from a flagged byte).
        let bad = any_below(w, 0x21) | any_above(w, 0x7e);
        if bad != 0 {
            return Some(at + (bad.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    v[at..]
        .iter()
        .position(|&b| !matches!(b, 0x21..=0x7e))
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
    fn find_non_vchar_agrees_with_position() {
        for len in 0..40 {
            for pos in 0..=len {
                for b in [0u8, 0x0d, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0xff] {
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
