//! The header timeout (`--header-timeout`): a connection must send each request's head within it
//! of opening, or of its previous response being all written, so it also bounds how long a
//! kept-alive connection waits for its next request. Past it, the connection is closed.
//!
//! hyper can keep this timeout itself, but it makes one for every request: a clock read, a boxed
//! sleep registered and dropped, and another pass through its read loop to start it, ~1,100
//! instructions of a hello request's ~17,800 (bench/NOTES.md). Here a connection only notes when
//! it starts to wait (~300): hyper calling the service marks it busy, and once the response's
//! last bytes are written ([`WatchedIo`] sees hyper flush after the body is dropped) it waits from
//! then. One local task per server thread sweeps the thread's connections every sixteenth of the
//! timeout (10 ms to 1 s) while there are any, closing those that waited longer. A response still
//! being written is never cut off, however slowly the client reads it.
//!
//! A connection closes a sweep and four ticks of the kernel's coarse clock or less after its
//! deadline (later while JavaScript keeps the thread busy), not before: its wait counts from a
//! time that is not behind the clock ([`coarse_now`]), and sweeps compare with the precise clock.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Read, ReadBufCursor, Write};
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
            phase: Cell::new(Phase::Waiting(coarse_now())),
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
    /// Returns whether any connection is left to watch. A closed one stays on the list until
    /// its task ends: a head that came in just before the sweep keeps it open after all (see
    /// [`Connection::poll_serving`]).
    fn sweep(&self, now: Instant) -> bool {
        let mut expired = Vec::new();
        let left = {
            let mut connections = self.connections.borrow_mut();
            connections.retain(|connection| {
                let Some(connection) = connection.upgrade() else {
                    return false;
                };
                if let Phase::Waiting(since) = connection.phase.get()
                    && now.saturating_duration_since(since) >= self.timeout
                {
                    expired.push(connection);
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

/// Where a connection is between requests.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Waiting for a request's head since then: the only phase that times out.
    Waiting(Instant),
    /// A request in hand: its head is in, its response not yet all handed to hyper.
    Busy,
    /// The response's body is done; its last bytes may still be in hyper's buffer.
    Sending,
}

/// One connection, as the header timeout sees it.
pub(crate) struct Connection {
    phase: Cell<Phase>,
    /// The sweep found it waited too long.
    expired: Cell<bool>,
    /// The connection's task, to wake when it expires.
    waker: Cell<Option<Waker>>,
}

impl Connection {
    /// A request's head is in: no timeout until its response has been written.
    pub(crate) fn busy(&self) {
        self.phase.set(Phase::Busy);
    }

    /// hyper is done with the response's body: once what it has buffered is written, the next
    /// head is waited for.
    pub(crate) fn sent(&self) {
        if self.phase.get() == Phase::Busy {
            self.phase.set(Phase::Sending);
        }
    }

    /// hyper flushed the connection: a response that was being sent has been written.
    fn flushed(&self) {
        if self.phase.get() == Phase::Sending {
            self.phase.set(Phase::Waiting(coarse_now()));
        }
    }

    fn expire(&self) {
        self.expired.set(true);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Poll the connection's future, `serving`, unless the timeout closed the connection: then
    /// it is ready, and dropping `serving` closes the socket.
    pub(crate) fn poll_serving<F: Future>(
        &self,
        mut serving: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let waker = match self.waker.take() {
            Some(waker) if waker.will_wake(cx.waker()) => waker,
            _ => cx.waker().clone(),
        };
        self.waker.set(Some(waker));
        if self.expired.get() {
            // A head that came in just before the sweep, not yet read, is still in time: one
            // more look lets hyper take it, as its own timeout did. Still waiting as before, the
            // connection closes.
            let before = self.phase.get();
            if serving.as_mut().poll(cx).is_ready() || self.phase.get() == before {
                return Poll::Ready(());
            }
            self.expired.set(false);
            return Poll::Pending;
        }
        serving.poll(cx).map(drop)
    }
}

/// A connection's socket as hyper reads and writes it, telling `connection` when hyper has
/// flushed it (see [`Connection::flushed`]).
pub(crate) struct WatchedIo<T> {
    io: T,
    connection: Rc<Connection>,
}

impl<T> WatchedIo<T> {
    pub(crate) fn new(io: T, connection: Rc<Connection>) -> Self {
        WatchedIo { io, connection }
    }
}

impl<T: Read + Unpin> Read for WatchedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for WatchedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    /// hyper flushes its connection only once its buffer is all written.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.io).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            this.connection.flushed();
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
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

    /// Poll `connection` serving `serving`, with a waker that counts its wakes.
    fn poll_with(
        connection: &Connection,
        wakes: &Arc<Count>,
        serving: impl Future<Output = ()>,
    ) -> Poll<()> {
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        connection.poll_serving(std::pin::pin!(serving), &mut cx)
    }

    /// Poll a connection whose serving never ends nor reads anything.
    fn poll_pending(connection: &Connection, wakes: &Arc<Count>) -> Poll<()> {
        poll_with(connection, wakes, std::future::pending())
    }

    fn since(connection: &Connection) -> Instant {
        match connection.phase.get() {
            Phase::Waiting(since) => since,
            other => panic!("not waiting: {other:?}"),
        }
    }

    #[test]
    fn a_waiting_connection_closes_at_its_deadline_not_before() {
        on_a_local_set(async {
            let heads = HeadTimeout::new(Duration::from_secs(30));
            let connection = heads.watch();
            let wakes = Arc::new(Count(AtomicUsize::new(0)));
            assert!(poll_pending(&connection, &wakes).is_pending());
            let since = since(&connection);

            let just_before = since + Duration::from_secs(30) - Duration::from_millis(1);
            assert!(heads.sweep(just_before));
            assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
            assert!(poll_pending(&connection, &wakes).is_pending());

            heads.sweep(since + Duration::from_secs(30));
            assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "its task is woken");
            assert!(
                poll_pending(&connection, &wakes).is_ready(),
                "and then ends, nothing having come in"
            );
        });
    }

    #[test]
    fn a_connection_waits_again_only_once_its_response_is_written() {
        on_a_local_set(async {
            let heads = HeadTimeout::new(Duration::from_secs(1));
            let connection = heads.watch();
            let wakes = Arc::new(Count(AtomicUsize::new(0)));
            let later = Instant::now() + Duration::from_secs(3600);
            connection.busy();
            heads.sweep(later);
            // The body done, its bytes not yet all written: a slow reader is not cut off.
            connection.sent();
            heads.sweep(later);
            // A flush while the response is being made says nothing about it.
            let busy_again = heads.watch();
            busy_again.busy();
            busy_again.flushed();
            heads.sweep(later);
            assert_eq!(busy_again.phase.get(), Phase::Busy);
            assert!(poll_pending(&connection, &wakes).is_pending());

            connection.flushed();
            let since = since(&connection);
            heads.sweep(since + Duration::from_millis(999));
            assert!(poll_pending(&connection, &wakes).is_pending());
            heads.sweep(since + Duration::from_secs(1));
            assert!(poll_pending(&connection, &wakes).is_ready());
        });
    }

    #[test]
    fn a_head_that_came_in_before_the_close_is_served() {
        on_a_local_set(async {
            let heads = HeadTimeout::new(Duration::from_secs(1));
            let connection = heads.watch();
            let wakes = Arc::new(Count(AtomicUsize::new(0)));
            assert!(poll_pending(&connection, &wakes).is_pending());
            heads.sweep(since(&connection) + Duration::from_secs(1));
            // Its task's next poll finds the head hyper had not read yet, and the request starts.
            let took_head = std::future::poll_fn(|_| {
                connection.busy();
                Poll::<()>::Pending
            });
            assert!(poll_with(&connection, &wakes, took_head).is_pending());
            assert!(poll_pending(&connection, &wakes).is_pending(), "kept open");
            // Watched still: once waiting again, it can time out again.
            connection.sent();
            connection.flushed();
            heads.sweep(since(&connection) + Duration::from_secs(1));
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
            assert!(wakes.0.load(Ordering::SeqCst) >= 1);
            assert!(poll_pending(&second, &wakes).is_ready());
        });
    }
}
