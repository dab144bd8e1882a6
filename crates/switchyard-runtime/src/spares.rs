//! Spare runtimes: each server thread keeps one [`Blank`] ready for the next worker it starts,
//! so that worker's first request does not wait for a QuickJS runtime and the Web API core
//! (~0.55 ms of the ~0.8 ms an isolate takes to start).
//!
//! One thread for the whole process, the *maker*, builds them: at a server thread's start and
//! again each time it takes its spare. Built on the server thread instead, a spare would delay
//! whatever request arrived meanwhile, and a thread that is never idle would never have one.
//! The maker runs at the lowest priority, so it gets the CPU server threads leave over.
//!
//! Server threads never wait for the maker: they take a spare only if it is ready and the slot
//! is free this instant (`try_lock`), and they wake the maker through an atomic flag and
//! `Thread::unpark`, neither of which takes a lock the maker could be holding while descheduled.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError, Weak};
use std::thread::Thread;

use crate::isolate::{Blank, ShippedBlank};

/// A server thread's spare runtime: the slot the maker fills.
pub(crate) struct Spare {
    slot: Arc<Slot>,
}

struct Slot {
    blank: Mutex<Option<ShippedBlank>>,
    /// Set by the server thread when the slot should be filled; cleared by the maker.
    wanted: AtomicBool,
}

struct Maker {
    thread: Thread,
    /// Every server thread's slot. Locked by a server thread only once, when it starts.
    slots: Mutex<Vec<Weak<Slot>>>,
}

impl Spare {
    /// A slot for the calling server thread, filled as soon as the maker gets to it. Without a
    /// maker (its thread could not be started) it stays empty and workers start without one.
    pub(crate) fn new() -> Spare {
        let slot = Arc::new(Slot {
            blank: Mutex::new(None),
            wanted: AtomicBool::new(true),
        });
        if let Some(maker) = maker() {
            lock(&maker.slots).push(Arc::downgrade(&slot));
            maker.thread.unpark();
        }
        Spare { slot }
    }

    /// The spare, ready to run on this thread, if one is ready; asks for the next one. Never
    /// waits: a slot the maker is filling right now counts as empty.
    pub(crate) fn take(&self) -> Option<Blank> {
        let shipped = match self.slot.blank.try_lock() {
            Ok(mut blank) => blank.take(),
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().take(),
            Err(TryLockError::WouldBlock) => None,
        };
        shipped.map(ShippedBlank::unpack)
    }

    /// Ask the maker to fill the slot again. Asked as soon as the spare is taken, the next one
    /// is ready sooner, though it is built while the worker that took this one starts (asked
    /// after, a worker started right behind found none: 0.85 → 1.4–1.9 ms to its first
    /// response in `bench many_workers`).
    pub(crate) fn refill(&self) {
        if let Some(maker) = maker() {
            self.slot.wanted.store(true, Ordering::Release);
            maker.thread.unpark();
        }
    }
}

/// The maker, started on first use; `None` if its thread could not be started (said once).
fn maker() -> Option<&'static Maker> {
    static MAKER: OnceLock<Option<Maker>> = OnceLock::new();
    MAKER
        .get_or_init(|| {
            let started = std::thread::Builder::new()
                .name("switchyard-spares".into())
                // The Web API core runs JavaScript here with QuickJS's 1 MiB stack budget.
                .stack_size(4 * 1024 * 1024)
                .spawn(make_spares);
            match started {
                Ok(handle) => Some(Maker {
                    thread: handle.thread().clone(),
                    slots: Mutex::new(Vec::new()),
                }),
                Err(error) => {
                    eprintln!(
                        "switchyard: warning: could not start the thread that prepares runtimes \
                         ({error}); each new worker makes its own (~0.5 ms more to its first response)"
                    );
                    None
                }
            }
        })
        .as_ref()
}

/// The maker thread: fill every wanted slot, then sleep until asked again.
fn make_spares() {
    lower_priority();
    // Waits until the thread that spawned this one has finished initializing `maker()`.
    let Some(maker) = maker() else { return };
    loop {
        let wanted: Vec<Arc<Slot>> = {
            let mut slots = lock(&maker.slots);
            slots.retain(|slot| slot.strong_count() > 0);
            slots
                .iter()
                .filter_map(Weak::upgrade)
                .filter(|slot| slot.wanted.swap(false, Ordering::AcqRel))
                .collect()
        };
        if wanted.is_empty() {
            // An unpark that came since the scan makes this return at once.
            std::thread::park();
            continue;
        }
        for slot in wanted {
            if lock(&slot.blank).is_some() {
                continue;
            }
            match std::panic::catch_unwind(Blank::new) {
                Ok(Ok(blank)) => *lock(&slot.blank) = Some(blank.ship()),
                // The worker that would have taken it makes its own runtime and reports the
                // same error where it belongs, against the worker.
                Ok(Err(_)) => {}
                Err(_) => {
                    static SAID: AtomicBool = AtomicBool::new(false);
                    if !SAID.swap(true, Ordering::Relaxed) {
                        eprintln!(
                            "switchyard: warning: preparing a spare runtime panicked; new workers \
                             make their own when none is ready"
                        );
                    }
                }
            }
        }
    }
}

/// The maker runs at the lowest priority (nice 19) on Linux, so it uses CPU that server threads
/// leave over. Not `SCHED_IDLE`: the maker shares locks with server threads (the allocator's
/// arena, which a spare's memory comes from), and a thread that only runs on an idle CPU could
/// hold one for as long as the machine stays busy. At nice 19 it still gets a slice within
/// milliseconds. Failing to lower it leaves the normal priority, which is only slower.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: `setpriority` takes no pointers; on Linux, PRIO_PROCESS with id 0 changes the
    // calling thread only.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

/// A poisoned lock only means a thread panicked while holding it; a slot or the slot list is
/// still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blank made on one thread and used on another keeps QuickJS's stack limit working
    /// there: runaway recursion is a RangeError after a full stack budget, not a crash (the
    /// limit measured on the wrong stack never trips) or an error at once (it always does).
    #[test]
    fn a_blank_made_on_another_thread_has_its_stack_limit_where_it_runs() {
        let shipped = std::thread::spawn(|| Blank::new().expect("a blank").ship())
            .join()
            .expect("the maker thread");
        let result = std::thread::Builder::new()
            .stack_size(8 * 1024 * 1024)
            .spawn(move || {
                let blank = shipped.unpack();
                blank.eval_for_test(
                    "let reached = 0;
                     function dive(depth) { reached = depth; return dive(depth + 1) + 1; }
                     let error = 'none';
                     try { dive(0); } catch (e) { error = `${e.name}: ${e.message}`; }
                     `${error} at ${reached > 1000 ? 'depth > 1000' : reached}`",
                )
            })
            .expect("a thread")
            .join()
            .expect("the server thread");
        assert_eq!(
            result,
            "RangeError: Maximum call stack size exceeded at depth > 1000"
        );
    }

    #[test]
    fn the_maker_fills_a_slot_and_fills_it_again_after_it_is_taken() {
        let spare = Spare::new();
        let ready = || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            loop {
                if let Some(blank) = spare.take() {
                    return blank;
                }
                assert!(std::time::Instant::now() < deadline, "no spare was made");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        };
        let first = ready();
        assert_eq!(first.eval_for_test("typeof Response"), "function");
        spare.refill();
        let second = ready();
        assert_eq!(second.eval_for_test("String(1 + 1)"), "2");
    }
}
