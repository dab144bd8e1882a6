//! The header timeout (`--header-timeout`): a connection must send each request's head within it
//! of opening, or of the end of its previous response, so it also bounds how long a kept-alive
//! connection waits for its next request. Past it, the connection is closed.
//!
//! hyper can keep this timeout itself, but it makes one for every request: a clock read, a boxed
//! sleep registered and dropped, and another pass through its read loop to start it, ~1,100
//! instructions of a hello request's ~17,800 (bench/NOTES.md). Here a connection only notes when
//! it starts to wait (~270): hyper calling the service marks it busy, the response body's drop
//! marks it waiting from then, and one local task per server thread sweeps the thread's
//! connections every sixteenth of the timeout (10 ms to 1 s) while there are any, closing those
//! that waited longer.
//!
//! A connection closes a sweep and four ticks of the kernel's coarse clock or less after its
//! deadline (later while JavaScript keeps the thread busy), not before: its wait counts from a
//! time that is not behind the clock ([`coarse_now`]), and sweeps compare with the precise clock.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use switchyard_runtime::coarse_now;

/// The header timeout of one server thread's connections. Must be used inside the thread's tokio
/// `LocalSet`: the sweeper is a local task.
pub(crate) struct HeadTimeout {
    timeout: Duration,
    /// How often the sweeper looks.
    grain: Duration,
    connections: RefCell<Vec<Weak<Connection>>>,
    sweeping: Cell<bool>,
}

impl HeadTimeout {
    pub(crate) fn new(timeout: Duration) -> Rc<HeadTimeout> {
        Rc::new(HeadTimeout {
            timeout,
            grain: (timeout / 16).clamp(Duration::from_millis(10), Duration::from_secs(1)),
            connections: RefCell::new(Vec::new()),
            sweeping: Cell::new(false),
        })
    }

    /// A new connection, waiting for its first request's head from now.
    pub(crate) fn watch(self: &Rc<Self>) -> Rc<Connection> {
        let connection = Rc::new(Connection {
            since: Cell::new(Some(coarse_now())),
            expired: Cell::new(false),
            waker: Cell::new(None),
        });
        self.connections
            .borrow_mut()
            .push(Rc::downgrade(&connection));
        if !self.sweeping.replace(true) {
            let timeout = Rc::downgrade(self);
            let grain = self.grain;
            tokio::task::spawn_local(async move {
                loop {
                    tokio::time::sleep(grain).await;
                    let Some(timeout) = timeout.upgrade() else {
                        return;
                    };
                    if !timeout.sweep(Instant::now()) {
                        // The next connection starts another.
                        timeout.sweeping.set(false);
                        return;
                    }
                }
            });
        }
        connection
    }

    /// Close the connections that have waited for a head since `now - timeout` or before.
    /// Returns whether any connection is left to watch.
    fn sweep(&self, now: Instant) -> bool {
        let mut expired = Vec::new();
        let left = {
            let mut connections = self.connections.borrow_mut();
            connections.retain(|connection| {
                let Some(connection) = connection.upgrade() else {
                    return false;
                };
                let waited = connection
                    .since
                    .get()
                    .map(|since| now.saturating_duration_since(since));
                if waited.is_some_and(|waited| waited >= self.timeout) {
                    expired.push(connection);
                    return false;
                }
                true
            });
            !connections.is_empty()
        };
        // Woken with no borrow held: waking may run nothing now, but dropping a waker may drop
        // a task.
        for connection in expired {
            connection.expire();
        }
        left
    }
}

/// One connection, as the header timeout sees it.
pub(crate) struct Connection {
    /// Since when it has waited for a request's head; `None` while it has a request in hand.
    since: Cell<Option<Instant>>,
    expired: Cell<bool>,
    /// The connection's task, to wake when it expires.
    waker: Cell<Option<Waker>>,
}

impl Connection {
    /// A request's head is in: no timeout until its response is done.
    pub(crate) fn busy(&self) {
        self.since.set(None);
    }

    /// Its response is done (sent, or dropped): the next head is waited for from now.
    pub(crate) fn waiting(&self) {
        self.since.set(Some(coarse_now()));
    }

    fn expire(&self) {
        self.expired.set(true);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Poll the connection's future, `serving`, unless the timeout closed the connection: then
    /// it is ready at once, and dropping `serving` closes the socket.
    pub(crate) fn poll_serving<F: Future>(
        &self,
        serving: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        if self.expired.get() {
            return Poll::Ready(());
        }
        let waker = match self.waker.take() {
            Some(waker) if waker.will_wake(cx.waker()) => waker,
            _ => cx.waker().clone(),
        };
        self.waker.set(Some(waker));
        serving.poll(cx).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn on_a_local_set(test: impl Future<Output = ()>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        tokio::task::LocalSet::new().block_on(&runtime, test);
    }

    /// Poll a connection whose future never ends, with a waker that counts its wakes.
    fn poll_pending(connection: &Connection, wakes: &Arc<Count>) -> Poll<()> {
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        connection.poll_serving(std::pin::pin!(std::future::pending::<()>()), &mut cx)
    }

    #[test]
    fn a_waiting_connection_closes_at_its_deadline_not_before() {
        on_a_local_set(async {
            let heads = HeadTimeout::new(Duration::from_secs(30));
            let connection = heads.watch();
            let wakes = Arc::new(Count(AtomicUsize::new(0)));
            assert!(poll_pending(&connection, &wakes).is_pending());
            let since = connection.since.get().unwrap();

            let just_before = since + Duration::from_secs(30) - Duration::from_millis(1);
            assert!(heads.sweep(just_before));
            assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
            assert!(poll_pending(&connection, &wakes).is_pending());

            assert!(!heads.sweep(since + Duration::from_secs(30)));
            assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "its task is woken");
            assert!(
                poll_pending(&connection, &wakes).is_ready(),
                "and then ends without polling the connection"
            );
        });
    }

    #[test]
    fn a_busy_connection_never_closes_and_waits_again_from_its_response() {
        on_a_local_set(async {
            let heads = HeadTimeout::new(Duration::from_secs(1));
            let connection = heads.watch();
            let wakes = Arc::new(Count(AtomicUsize::new(0)));
            assert!(poll_pending(&connection, &wakes).is_pending());
            connection.busy();
            let later = Instant::now() + Duration::from_secs(3600);
            assert!(heads.sweep(later));
            assert!(poll_pending(&connection, &wakes).is_pending());

            connection.waiting();
            let since = connection.since.get().unwrap();
            assert!(heads.sweep(since + Duration::from_millis(999)));
            assert!(!heads.sweep(since + Duration::from_secs(1)));
            assert!(poll_pending(&connection, &wakes).is_ready());
        });
    }

    #[test]
    fn the_sweeper_stops_when_no_connection_is_left_and_the_next_one_starts_it() {
        on_a_local_set(async {
            let heads = HeadTimeout::new(Duration::from_millis(160));
            let first = heads.watch();
            assert!(heads.sweeping.get());
            drop(first);
            // The sweeper's next look (every 10 ms here) finds none left and stops.
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(!heads.sweeping.get());
            assert!(heads.connections.borrow().is_empty());

            let second = heads.watch();
            assert!(heads.sweeping.get());
            let wakes = Arc::new(Count(AtomicUsize::new(0)));
            assert!(poll_pending(&second, &wakes).is_pending());
            // Closed by the sweeper itself, once the timeout has passed.
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
            assert!(poll_pending(&second, &wakes).is_ready());
        });
    }
}
