//! A cheap clock for deadlines that may be a few milliseconds late but not early.

use std::time::{Duration, Instant};

/// The time from the kernel's coarse clock, moved ahead so that it is not behind
/// `Instant::now()`: a deadline counted from it is not early, and at most four ticks of the
/// coarse clock late (4 ms each on a 250 Hz kernel). Reading the coarse clock costs ~5 ns where
/// `Instant::now()` costs ~23 ns (bench/NOTES.md); the server asks for the time once per request.
///
/// The coarse clock is the precise one as of the kernel's last timekeeping update, under two ticks
/// behind; each thread relates the two once. A virtual CPU stalled for longer than that could
/// make this behind by the excess. Elsewhere than Linux this is `Instant::now()`.
pub fn coarse_now() -> Instant {
    #[cfg(target_os = "linux")]
    {
        /// The coarse clock at one moment, the precise clock just after, and the coarse tick.
        struct Base {
            coarse: Duration,
            precise: Instant,
            tick: Duration,
        }
        thread_local! {
            static BASE: Option<Base> = linux::coarse_tick().and_then(|tick| {
                let coarse = linux::coarse_time()?;
                Some(Base { coarse, precise: Instant::now(), tick })
            });
        }
        // Both coarse readings are under two ticks behind the time they are read at, so
        // `precise + (now - base)` is within two ticks of the time: two more are not behind it.
        let now = BASE.with(|base| {
            let base = base.as_ref()?;
            let coarse = linux::coarse_time()?;
            Some(base.precise + coarse.saturating_sub(base.coarse) + 2 * base.tick)
        });
        if let Some(now) = now {
            return now;
        }
    }
    Instant::now()
}

#[cfg(target_os = "linux")]
mod linux {
    use std::time::Duration;

    /// `CLOCK_MONOTONIC_COARSE`'s time, or its tick (resolution).
    fn ask(
        read: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> i32,
    ) -> Option<Duration> {
        let mut time = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `time` is a valid timespec to write to.
        let ok = unsafe { read(libc::CLOCK_MONOTONIC_COARSE, &mut time) } == 0;
        ok.then(|| Duration::new(time.tv_sec as u64, time.tv_nsec as u32))
    }

    pub(super) fn coarse_time() -> Option<Duration> {
        ask(libc::clock_gettime)
    }

    pub(super) fn coarse_tick() -> Option<Duration> {
        ask(libc::clock_getres)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_time_is_not_behind_the_clock_and_at_most_four_ticks_ahead() {
        #[cfg(target_os = "linux")]
        let tick = linux::coarse_tick().expect("the coarse clock's tick");
        #[cfg(not(target_os = "linux"))]
        let tick = Duration::ZERO;
        for _ in 0..2000 {
            let before = Instant::now();
            let coarse = coarse_now();
            let after = Instant::now();
            assert!(coarse >= before, "{:?} behind", before - coarse);
            assert!(
                coarse.saturating_duration_since(after) <= 4 * tick,
                "{:?} ahead with {tick:?} ticks",
                coarse - after
            );
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}
