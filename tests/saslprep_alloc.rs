//! SASLprep's allocations, counted: none for printable ASCII, for input
//! that is already prepared, or for a refused string; exactly one, the
//! result, of its final size, when a short string changes. (Long
//! decompositions and runs of combining marks also use the normalizer's
//! heap buffer.)

use pop3_proto::sasl::saslprep::{Mode, saslprep, saslprep_bytes};
use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;

/// Counts the allocations of the current thread.
struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may be gone while a thread exits.
    let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCS.with(Cell::get);
    let out = f();
    (out, ALLOCS.with(Cell::get) - before)
}

#[test]
fn allocations_made() {
    let long_ascii = "correct horse battery staple ".repeat(40);
    for mode in [Mode::Query, Mode::Stored] {
        // Printable ASCII: the fast path.
        for s in ["", "user", "P@ss w0rd~", long_ascii.as_str()] {
            let (out, n) = allocations(|| saslprep(s, mode));
            assert!(matches!(out, Ok(Cow::Borrowed(_))), "{s:?}");
            assert_eq!(n, 0, "{s:?}");
            let (out, n) = allocations(|| saslprep_bytes(s.as_bytes(), mode));
            assert!(matches!(out, Ok(Cow::Borrowed(_))), "{s:?}");
            assert_eq!(n, 0, "{s:?}");
        }
        // Already prepared.
        for s in [
            "caf\u{00E9}",
            "\u{043F}\u{0430}\u{0440}\u{043E}\u{043B}\u{044C}",
            "\u{0627}\u{0628}",
            "\u{AC00}\u{D7A3}",
        ] {
            let (out, n) = allocations(|| saslprep(s, mode));
            assert!(matches!(out, Ok(Cow::Borrowed(_))), "{s:?}");
            assert_eq!(n, 0, "{s:?}");
        }
        // Refused.
        for s in ["pass\u{0007}", "pass\u{E000}word", "\u{0627}a\u{0628}"] {
            let (out, n) = allocations(|| saslprep(s, mode));
            assert!(out.is_err(), "{s:?}");
            assert_eq!(n, 0, "{s:?}");
        }
        // Changed: one allocation, never grown.
        for s in ["I\u{00AD}X", "\u{2168}", "cafe\u{0301}", "a\u{00A0}b"] {
            let (out, n) = allocations(|| saslprep(s, mode));
            let out = out.unwrap();
            assert!(matches!(out, Cow::Owned(_)), "{s:?}");
            assert_eq!(n, 1, "{s:?}");
            if let Cow::Owned(text) = out {
                assert_eq!(text.capacity(), text.len(), "{s:?}");
            }
        }
        // U+FDFA decomposes into 18 characters: more than the normalizer
        // keeps inline, so its working buffer goes to the heap (the module
        // docs say so); the result is still allocated once, at its size.
        let out = saslprep("\u{FDFA}", mode).unwrap();
        assert_eq!(out.chars().count(), 18);
        let Cow::Owned(text) = out else { panic!() };
        assert_eq!(text.capacity(), text.len());
    }
}
