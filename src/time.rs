//! Time as the caller gives it.
//!
//! The machines never read a clock: every call that can start or check a
//! deadline takes an [`Instant`], the time since an origin the caller
//! picks (the program's start, the connection's, the Unix epoch). It is a
//! [`Duration`] underneath, so it works without `std`; from
//! `std::time::Instant`, pass `now.duration_since(origin)`.
//!
//! Arithmetic saturates: a deadline far in the future is
//! [`Instant::MAX`], never a panic, and time that runs backwards (a caller
//! that mixes origins) reads as no time passed.

use core::time::Duration;

/// A point in time: the time since the caller's origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The origin.
    pub const ZERO: Self = Self(Duration::ZERO);
    /// The latest instant: a deadline that never comes.
    pub const MAX: Self = Self(Duration::MAX);

    /// The instant `since_origin` after the origin.
    pub const fn from_duration(since_origin: Duration) -> Self {
        Self(since_origin)
    }

    /// The instant this many milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Self {
        Self(Duration::from_millis(millis))
    }

    /// The time since the origin.
    pub const fn as_duration(self) -> Duration {
        self.0
    }

    /// `self + by`, or [`Instant::MAX`] if that overflows.
    pub const fn saturating_add(self, by: Duration) -> Self {
        match self.0.checked_add(by) {
            Some(d) => Self(d),
            None => Self::MAX,
        }
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl core::ops::Add<Duration> for Instant {
    type Output = Self;

    /// Saturating: see [`Instant::saturating_add`].
    fn add(self, by: Duration) -> Self {
        self.saturating_add(by)
    }
}

/// A deadline that may be set or not; the machines keep one per timer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Timer(Option<Instant>);

impl Timer {
    /// Sets the deadline `after` from `now`; a zero or `None` duration
    /// means "no deadline".
    pub(crate) fn start(&mut self, now: Instant, after: Option<Duration>) {
        self.0 = after.filter(|d| !d.is_zero()).map(|d| now + d);
    }

    pub(crate) fn stop(&mut self) {
        self.0 = None;
    }

    pub(crate) const fn deadline(self) -> Option<Instant> {
        self.0
    }

    /// True, once, when `now` is at or past the deadline; the timer stops.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        match self.0 {
            Some(at) if now >= at => {
                self.0 = None;
                true
            }
            _ => false,
        }
    }
}

/// A [`Timer`] that a call which passes no time in may start. It then
/// counts from the latest time the caller passed in, which may be long
/// before: until a call passes the time in again, it reports a deadline
/// no later than that time (so the caller is asked for the time at once),
/// and that call starts it again from then. The client's reply timer and
/// the server's autologout are such timers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AnchoredTimer {
    timer: Timer,
    /// Started from a time that may be stale.
    unanchored: bool,
}

impl AnchoredTimer {
    /// Starts it `after` from `now`, a time the caller passed in.
    pub(crate) fn start(&mut self, now: Instant, after: Option<Duration>) {
        self.timer.start(now, after);
        self.unanchored = false;
    }

    /// Says that it was started from a time that may be stale.
    pub(crate) fn unanchor(&mut self) {
        self.unanchored = self.timer.deadline().is_some();
    }

    pub(crate) fn stop(&mut self) {
        self.timer.stop();
        self.unanchored = false;
    }

    pub(crate) const fn is_running(self) -> bool {
        self.timer.deadline().is_some()
    }

    /// The deadline to report, given `last`, the latest time passed in.
    pub(crate) fn deadline(self, last: Instant) -> Option<Instant> {
        self.timer
            .deadline()
            .map(|at| if self.unanchored { last.min(at) } else { at })
    }

    /// A call passed `now` in: an unanchored timer starts again from it.
    pub(crate) fn anchor(&mut self, now: Instant, after: Option<Duration>) {
        if self.unanchored {
            self.start(now, after);
        }
    }

    /// As [`Timer::expire`].
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        let expired = self.timer.expire(now);
        if expired {
            self.unanchored = false;
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        let t = Instant::from_millis(1500);
        assert_eq!(
            t.saturating_duration_since(Instant::from_millis(500)),
            Duration::from_secs(1)
        );
        assert_eq!(
            Instant::ZERO.saturating_duration_since(t),
            Duration::ZERO,
            "time running backwards reads as none passed"
        );
    }

    #[test]
    fn a_timer_fires_once_and_not_early() {
        let mut timer = Timer::default();
        timer.start(Instant::from_millis(100), Some(Duration::from_millis(50)));
        assert_eq!(timer.deadline(), Some(Instant::from_millis(150)));
        assert!(!timer.expire(Instant::from_millis(149)));
        assert!(timer.expire(Instant::from_millis(150)));
        assert!(!timer.expire(Instant::from_millis(151)), "once");
        timer.start(Instant::MAX, Some(Duration::from_secs(1)));
        assert_eq!(timer.deadline(), Some(Instant::MAX));
        timer.start(Instant::ZERO, Some(Duration::ZERO));
        assert_eq!(timer.deadline(), None, "zero means no deadline");
    }
}
