//! hyper's header-read timeout on a coarse timer kept per server thread.
//!
//! hyper starts that timeout whenever a connection waits for a request's head (the next request
//! on a kept-alive connection included) and drops it as soon as the head is in, so a connection
//! makes and drops one per request. With tokio's timer each is a clock read, an entry put into
//! the runtime's timer wheel under its lock and taken out again: 2.5–3.5% of a hello request's
//! user time (bench/NOTES.md). Here a timeout is a deadline and, once it is waited on, a waker
//! in this thread's list, which one task sweeps every `grain` while the list is not empty.
//!
//! A timeout ends a grain and four ticks of the kernel's coarse clock or less after its deadline
//! (later if JavaScript keeps the thread busy), not before: deadlines are counted from a time
//! that is not behind the clock ([`coarse_now`]), and a sweep wakes only the sleeps whose
//! deadline the clock has passed. (An earlier version handed hyper the last sweep's time as
//! `now`, to save the clock read; a sweep delayed by a long-running handler then made deadlines
//! early by as much.)

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use switchyard_runtime::coarse_now;

/// The timer for hyper's connections on a server thread. Its sleeps must be waited on inside a
/// tokio `LocalSet` (the server thread's), as the sweeper is a local task, and on one thread: a
/// sleep waited on from a second thread leaves its entry in the first until it is due.
#[derive(Clone, Debug)]
pub(crate) struct CoarseTimer {
    grain: Duration,
}

impl CoarseTimer {
    /// A timer for timeouts of `timeout`: its grain is a sixteenth of that, from 10 ms to 1 s.
    pub(crate) fn for_timeout(timeout: Duration) -> Self {
        CoarseTimer {
            grain: (timeout / 16).clamp(Duration::from_millis(10), Duration::from_secs(1)),
        }
    }
}

impl Timer for CoarseTimer {
    /// What hyper adds the timeout to: see [`coarse_now`].
    fn now(&self) -> Instant {
        coarse_now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(CoarseSleep {
            due: deadline,
            grain: self.grain,
            key: None,
        })
    }
}

struct CoarseSleep {
    due: Instant,
    grain: Duration,
    /// Its entry in the list of the thread it was last waited on from.
    key: Option<Key>,
}

impl Sleep for CoarseSleep {}

impl Future for CoarseSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Ok((ready, start_sweeper, replaced)) = SLEEPERS.try_with(|sleepers| {
            let mut sleepers = sleepers.borrow_mut();
            // The last sweep's time while the sweeper runs: never ahead of the clock, so at worst
            // this says "not yet" to a sleep the next sweep wakes.
            let now = sleepers.now.unwrap_or_else(Instant::now);
            if now >= this.due {
                let removed = this.key.take().and_then(|key| sleepers.remove(key));
                return (true, false, removed);
            }
            let replaced = match this.key {
                Some(key) if sleepers.holds(key) => sleepers.update(key, cx.waker()),
                _ => {
                    this.key = Some(sleepers.insert(this.due, cx.waker().clone(), this.grain));
                    None
                }
            };
            let start_sweeper = !sleepers.sweeping;
            if start_sweeper {
                sleepers.sweeping = true;
                sleepers.now = Some(now);
            }
            (false, start_sweeper, replaced)
        }) else {
            // The thread is exiting: nothing would wake this again.
            return Poll::Ready(());
        };
        // Dropped with no borrow held: dropping a waker may drop a task, and with it a sleep.
        drop(replaced);
        if start_sweeper {
            let running = SweeperRunning;
            tokio::task::spawn_local(async move {
                sweep().await;
                drop(running);
            });
        }
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for CoarseSleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let removed = SLEEPERS
                .try_with(|sleepers| sleepers.borrow_mut().remove(key))
                .ok()
                .flatten();
            drop(removed);
        }
    }
}

/// Held by the sweeper task: however it ends (its list empty, or dropped at shutdown, or never
/// spawned), the next sleep waited on starts another.
struct SweeperRunning;

impl Drop for SweeperRunning {
    fn drop(&mut self) {
        let _ = SLEEPERS.try_with(|sleepers| {
            if let Ok(mut sleepers) = sleepers.try_borrow_mut() {
                // Until the next sweeper starts, `now` reads the clock.
                sleepers.sweeping = false;
                sleepers.now = None;
                sleepers.grain = Duration::MAX;
            }
        });
    }
}

/// Wake the sleeps that are due every grain, until none is left (its task's `SweeperRunning`
/// then marks it stopped).
async fn sweep() {
    loop {
        let grain = SLEEPERS.with(|sleepers| sleepers.borrow().grain);
        tokio::time::sleep(grain).await;
        let (due, more) = SLEEPERS.with(|sleepers| sleepers.borrow_mut().sweep(Instant::now()));
        for waker in due {
            waker.wake();
        }
        if !more {
            return;
        }
    }
}

/// Where a sleep's waker is: its thread's list, the slot, and the slot's use of it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Key {
    home: u64,
    index: u32,
    generation: u32,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    entry: Option<(Instant, Waker)>,
}

/// One thread's sleeps that are waited on.
struct Sleepers {
    /// Unique to the thread: a sleep waited on from another thread leaves this list alone.
    home: u64,
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    /// Whether the sweeper runs; `now` is then the time of its last sweep (or of its start).
    sweeping: bool,
    now: Option<Instant>,
    /// The smallest grain of the sleeps in the list: how often the sweeper looks.
    grain: Duration,
}

thread_local! {
    static SLEEPERS: RefCell<Sleepers> = RefCell::new(Sleepers::new());
}

impl Sleepers {
    fn new() -> Self {
        static HOMES: AtomicU64 = AtomicU64::new(0);
        Sleepers {
            home: HOMES.fetch_add(1, Ordering::Relaxed),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            sweeping: false,
            now: None,
            grain: Duration::MAX,
        }
    }

    fn insert(&mut self, due: Instant, waker: Waker, grain: Duration) -> Key {
        self.grain = self.grain.min(grain);
        self.live += 1;
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot::default());
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 connections")
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.entry = Some((due, waker));
        Key {
            home: self.home,
            index,
            generation: slot.generation,
        }
    }

    fn slot(&mut self, key: Key) -> Option<&mut Slot> {
        if key.home != self.home {
            return None;
        }
        self.slots
            .get_mut(key.index as usize)
            .filter(|slot| slot.generation == key.generation && slot.entry.is_some())
    }

    fn holds(&mut self, key: Key) -> bool {
        self.slot(key).is_some()
    }

    /// Point the entry at `waker`; returns the waker it replaces, if it does.
    fn update(&mut self, key: Key, waker: &Waker) -> Option<Waker> {
        let (_, held) = self.slot(key)?.entry.as_mut()?;
        if held.will_wake(waker) {
            return None;
        }
        Some(std::mem::replace(held, waker.clone()))
    }

    fn remove(&mut self, key: Key) -> Option<Waker> {
        self.slot(key)?;
        self.vacate(key.index)
    }

    /// Empty slot `index` for reuse, under a new generation (so keys to its old entry remove
    /// nothing); returns the waker it held.
    fn vacate(&mut self, index: u32) -> Option<Waker> {
        let slot = &mut self.slots[index as usize];
        let (_, waker) = slot.entry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index);
        self.live -= 1;
        Some(waker)
    }

    /// Take out the entries due at `now`; returns their wakers and whether any entry is left.
    fn sweep(&mut self, now: Instant) -> (Vec<Waker>, bool) {
        self.now = Some(now);
        let mut due = Vec::new();
        for index in 0..u32::try_from(self.slots.len()).expect("slots are indexed by u32") {
            let is_due = self.slots[index as usize]
                .entry
                .as_ref()
                .is_some_and(|(at, _)| *at <= now);
            if is_due && let Some(waker) = self.vacate(index) {
                due.push(waker);
            }
        }
        (due, self.live > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live_and_sweeping() -> (usize, bool) {
        SLEEPERS.with(|sleepers| {
            let sleepers = sleepers.borrow();
            (sleepers.live, sleepers.sweeping)
        })
    }

    /// A sleep of `duration` that has been waited on once (so it is in the list).
    fn waited_on(timer: &CoarseTimer, duration: Duration) -> Pin<Box<dyn Sleep>> {
        let mut sleep = timer.sleep(duration);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        sleep
    }

    fn on_a_local_set(test: impl Future<Output = ()>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        tokio::task::LocalSet::new().block_on(&runtime, test);
    }

    #[test]
    fn a_sleep_ends_after_its_deadline_and_the_sweeper_then_stops() {
        on_a_local_set(async {
            let timer = CoarseTimer::for_timeout(Duration::from_millis(100));
            let deadline = Instant::now() + Duration::from_millis(60);
            timer.sleep_until(deadline).await;
            assert!(Instant::now() >= deadline, "ended before its deadline");
            assert_eq!(live_and_sweeping().0, 0);
            // With nothing left to wake, the sweeper stops at its next look.
            for _ in 0..500 {
                if !live_and_sweeping().1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(live_and_sweeping(), (0, false));
        });
    }

    #[test]
    fn a_sleep_set_while_the_sweeper_is_late_is_not_early() {
        on_a_local_set(async {
            let timer = CoarseTimer::for_timeout(Duration::from_millis(100));
            // A sleep waited on, so the sweeper runs; then the thread is busy (a long handler)
            // past several of its sweeps.
            let _long = waited_on(&timer, Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(200));
            let set = Instant::now();
            timer.sleep(Duration::from_millis(100)).await;
            assert!(set.elapsed() >= Duration::from_millis(100), "ended early");
        });
    }

    #[test]
    fn the_next_sleep_starts_a_sweeper_if_the_last_was_dropped() {
        on_a_local_set(async {
            let timer = CoarseTimer::for_timeout(Duration::from_millis(100));
            let _first = waited_on(&timer, Duration::from_secs(30));
            assert!(live_and_sweeping().1);
        });
        // The LocalSet is gone, and its sweeper with it.
        assert!(!live_and_sweeping().1);
        on_a_local_set(async {
            let timer = CoarseTimer::for_timeout(Duration::from_millis(100));
            let woken = tokio::time::timeout(
                Duration::from_secs(20),
                timer.sleep(Duration::from_millis(30)),
            )
            .await;
            assert!(woken.is_ok(), "no sweeper woke the sleep");
        });
    }

    #[test]
    fn a_dropped_sleep_leaves_the_list_and_its_slot_is_reused() {
        on_a_local_set(async {
            let timer = CoarseTimer::for_timeout(Duration::from_secs(30));
            let first = waited_on(&timer, Duration::from_secs(30));
            let second = waited_on(&timer, Duration::from_secs(30));
            assert_eq!(live_and_sweeping(), (2, true));
            drop(first);
            assert_eq!(live_and_sweeping().0, 1);
            // The freed slot goes to the next sleep; the one still waiting keeps its own.
            let third = waited_on(&timer, Duration::from_secs(30));
            assert_eq!(SLEEPERS.with(|s| s.borrow().slots.len()), 2);
            drop(second);
            drop(third);
            assert_eq!(live_and_sweeping().0, 0);
        });
    }

    #[test]
    fn a_stale_key_removes_nothing() {
        let mut sleepers = Sleepers::new();
        let due = Instant::now();
        let key = sleepers.insert(
            due,
            std::task::Waker::noop().clone(),
            Duration::from_secs(1),
        );
        assert!(sleepers.remove(key).is_some());
        let reused = sleepers.insert(
            due,
            std::task::Waker::noop().clone(),
            Duration::from_secs(1),
        );
        assert_eq!(reused.index, key.index);
        // The first sleep's key names the slot's earlier use: it must not free the new one.
        assert!(sleepers.remove(key).is_none());
        assert!(sleepers.holds(reused));
        let foreign = Key {
            home: sleepers.home + 1,
            ..reused
        };
        assert!(sleepers.remove(foreign).is_none());
        assert_eq!(sleepers.live, 1);
    }
}
