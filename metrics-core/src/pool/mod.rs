//! A pool of long-lived connections (WebSockets, gRPC streams) that reports how long each
//! acquisition took, race-free.
//!
//! # Why the timing comes with the connection
//!
//! LiveKit's Python `ConnectionPool` keeps the timing of "the last `get()`" in two public
//! fields, `last_acquire_time` and `last_connection_reused`, which a plugin reads right after
//! `get()` returns. Every stream of a TTS or STT instance shares the pool, so another stream's
//! `get()` can overwrite the fields in between and one stream reports another's timing. Under
//! asyncio nothing awaits between the write and the read, so it does not show; on a
//! multi-threaded tokio runtime it would. Here [`ConnectionPool::acquire`] returns an
//! [`Acquired`] guard that carries its own [`acquire_time`](Acquired::acquire_time) and
//! [`reused`](Acquired::reused) flag, and the pool keeps no per-call state at all.
//!
//! The timing differs from Python on purpose: it is the wall time from the `acquire` call
//! until the connection is ready, everything included (Python times the handshake only, and
//! reports `0.0` for a reuse, even one that waited for a prewarm). A reused connection thus
//! has a measured time too, and appears in the `connection_reused="true"` series.
//!
//! # Semantics
//!
//! - **Handshakes run in parallel.** Python serializes every `get()` behind one lock, so ten
//!   streams starting together wait for ten handshakes in a row. Here an acquire that finds no
//!   idle connection starts its own handshake at once, except in one case:
//! - **Prewarm is never doubled** (LiveKit #3705): an acquire that finds a
//!   [`prewarm`](ConnectionPool::prewarm) in flight claims it and waits for it, reporting
//!   `reused = true` with the wait included. A second acquire starts its own handshake.
//!   If the claimed prewarm fails, the acquire falls back to a handshake of its own.
//! - **Invalidation spares connections in use** (LiveKit #7139):
//!   [`invalidate`](ConnectionPool::invalidate) closes the idle connections; the ones held by
//!   a guard keep working and are closed when the guard drops. A handshake in flight during
//!   the invalidation is discarded when it completes and retried, inside the same timed
//!   window, as LiveKit 1.8.9 does.
//! - **Cancellation leaks nothing.** Handshakes run on their own tokio task. If the acquire
//!   that started one is dropped (a timeout, a `select!`, a user barging in), the handshake
//!   still completes and its connection is *kept idle*, like a prewarm: the next acquire
//!   claims it, even while it is still in flight, and reports it as reused. It is closed by
//!   [`close`](ConnectionPool::close), an invalidation or its expiry like any other.
//! - **Closing is off the hot path.** Close callbacks run on spawned tasks, never under the
//!   pool's lock and never inside an acquire.
//! - **Expiry is lazy**, as in Python: an idle connection older than `max_session_duration`
//!   is closed when an acquire meets it or when it is returned, not by a timer.
//!
//! The pool needs a tokio runtime with timers enabled, as any use of `tokio::time` does.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use agent_metrics::ConnectionPool;
//!
//! struct Socket; // stands for a WebSocket stream
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), agent_metrics::PoolError> {
//! let pool = ConnectionPool::builder(|timeout: Duration| async move {
//!     // A real plugin dials its server here, giving up after `timeout`.
//!     Ok::<_, std::io::Error>(Socket)
//! })
//! .on_close(|_socket: Socket| async { /* send a close frame */ })
//! .max_session_duration(Duration::from_secs(300))
//! .mark_refreshed_on_get(true)
//! .build();
//!
//! pool.prewarm();
//! let conn = pool.acquire().await?;
//! let (acquire_time, reused) = (conn.acquire_time(), conn.reused());
//! assert!(reused); // the prewarmed connection, possibly waited for
//! # let _ = acquire_time;
//! let _socket: &Socket = &conn; // the guard dereferences to the connection
//! drop(conn); // back to the pool; `conn.mark_broken()` first would close it instead
//! pool.close().await;
//! # Ok(())
//! # }
//! ```

mod acquired;
mod builder;
mod closer;
mod connect;
mod error;
mod state;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::time::{Instant, timeout_at};

pub use acquired::Acquired;
pub use builder::{DEFAULT_CONNECT_TIMEOUT, PoolBuilder};
pub use error::{BoxError, PoolError};
pub use state::PoolStatus;

use builder::{CloseFn, ConnectFn};
use connect::Budget;
use state::{Checkout, Expiry, State};

/// A pool of connections of type `T`; see the [module docs](self) for the design.
///
/// Cloning is cheap and shares the pool. When the last clone, guard and task is gone, the
/// remaining idle connections are closed on a spawned task (if a runtime is still there).
pub struct ConnectionPool<T: Send + 'static> {
    inner: Arc<Inner<T>>,
}

/// What the pool handles, guards and handshake tasks share.
struct Inner<T: Send + 'static> {
    state: Mutex<State<T>>,
    connect: Arc<ConnectFn<T>>,
    close: Arc<CloseFn<T>>,
    connect_timeout: Duration,
    /// Woken when the last running close callback finishes.
    quiet: Notify,
}

impl<T: Send + 'static> Inner<T> {
    fn new(
        connect: Arc<ConnectFn<T>>,
        close: Arc<CloseFn<T>>,
        connect_timeout: Duration,
        expiry: Expiry,
    ) -> Self {
        Inner {
            state: Mutex::new(State::new(expiry)),
            connect,
            close,
            connect_timeout,
            quiet: Notify::new(),
        }
    }

    /// The state is consistent between statements, and no user code runs under the lock, so a
    /// poisoned mutex (a panic elsewhere while holding it) is still safe to use.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Spawn handshake `id`, recording its task so that `close` can abort it.
    fn spawn_connect(
        self: &Arc<Self>,
        state: &mut State<T>,
        runtime: &Handle,
        id: u64,
        budget: Budget,
    ) {
        let task = runtime.spawn(connect::run(self.clone(), id, budget));
        if let Err(task) = state.attach(id, task) {
            task.abort();
        }
    }

    /// Find or make a connection; returns it with its `reused` flag. The caller bounds it
    /// with the budget's deadline; handshakes started here share that deadline.
    async fn obtain(
        self: &Arc<Self>,
        runtime: &Handle,
        budget: Budget,
    ) -> Result<(Acquired<T>, bool), PoolError> {
        loop {
            let mut doomed = Vec::new();
            let checkout = {
                let mut state = self.lock();
                let checkout = state.checkout(Instant::now(), &mut doomed);
                if let Checkout::Start(id, _) = &checkout {
                    // Spawned under the lock so that a concurrent `close` either sees the task
                    // to abort or makes `attach` fail: no handshake escapes it.
                    self.spawn_connect(&mut state, runtime, *id, budget);
                }
                checkout
            };
            self.close_later(doomed);
            let (delivery, claimed) = match checkout {
                Checkout::Closed => return Err(PoolError::Closed),
                Checkout::Ready(conn) => return Ok((Acquired::new(self.clone(), conn), true)),
                Checkout::Claimed(rx) => (rx, true),
                Checkout::Start(_, rx) => (rx, false),
            };
            match delivery.await {
                Ok(Ok(acquired)) => return Ok((acquired, claimed)),
                Ok(Err(failure)) if !claimed => return Err(failure.into()),
                // A handshake we claimed (a prewarm, logged, or a cancelled acquire's) failed:
                // it was never ours to report, so shake hands ourselves.
                Ok(Err(_)) => continue,
                Err(_) if self.lock().is_closed() => return Err(PoolError::Closed),
                Err(_) => return Err(PoolError::ConnectPanicked),
            }
        }
    }
}

impl<T: Send + 'static> ConnectionPool<T> {
    /// Start building a pool around `connect`, which opens one connection and is given the
    /// time it may take (the pool enforces it too).
    pub fn builder<F, Fut, E>(connect: F) -> PoolBuilder<T>
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        PoolBuilder::new(connect)
    }

    /// A connection, within the pool's connect timeout; see [`acquire_timeout`](Self::acquire_timeout).
    pub async fn acquire(&self) -> Result<Acquired<T>, PoolError> {
        self.acquire_timeout(self.inner.connect_timeout).await
    }

    /// A connection: an idle one if any is fresh enough, else a prewarm in flight, else a new
    /// handshake. `timeout` bounds the whole acquisition; each handshake is given what is
    /// left of it.
    ///
    /// Cancel-safe: dropping the future loses no connection (see the [module docs](self)).
    pub async fn acquire_timeout(&self, timeout: Duration) -> Result<Acquired<T>, PoolError> {
        let start = Instant::now();
        let Ok(runtime) = Handle::try_current() else {
            return Err(PoolError::NoRuntime);
        };
        let budget = Budget::starting(start, timeout);
        let obtain = self.inner.obtain(&runtime, budget);
        let result = match budget.deadline {
            Some(deadline) => timeout_at(deadline, obtain)
                .await
                .unwrap_or(Err(PoolError::Timeout(timeout))),
            None => obtain.await,
        };
        let (acquired, reused) = result?;
        Ok(acquired.with_timing(start.elapsed(), reused))
    }

    /// Open a connection in the background so that the next acquire finds it ready.
    ///
    /// Does nothing if a connection is idle, a handshake nobody waits for is already in
    /// flight, the pool is closed, or there is no tokio runtime. A failure is logged at `warn`
    /// with the error's type name only (its message could hold credentials).
    pub fn prewarm(&self) {
        let Ok(runtime) = Handle::try_current() else {
            tracing::debug!("connection pool: prewarm outside a tokio runtime ignored");
            return;
        };
        let mut state = self.inner.lock();
        if let Some(id) = state.start_prewarm() {
            let budget = Budget::starting(Instant::now(), self.inner.connect_timeout);
            self.inner.spawn_connect(&mut state, &runtime, id, budget);
        }
    }

    /// Stop reusing the current connections (after an options change, say). Idle ones are
    /// closed now; the ones in use keep working and are closed when returned; handshakes in
    /// flight are retried when they complete.
    pub fn invalidate(&self) {
        let doomed = self.inner.lock().invalidate();
        self.inner.close_later(doomed);
    }

    /// Close the pool: abort handshakes in flight (prewarm included; their acquires get
    /// [`PoolError::Closed`]), close the idle connections, and wait for every close callback
    /// started so far. Connections in use are closed when their guards drop. Later acquires
    /// fail with [`PoolError::Closed`]. Idempotent.
    pub async fn close(&self) {
        let (tasks, conns) = self.inner.lock().shut();
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            // A handshake past its last await finishes anyway and closes its connection
            // itself; waiting here makes that close one `quiesce` sees.
            let _ = task.await;
        }
        if Handle::try_current().is_ok() {
            self.inner.close_later(conns);
        } else {
            for conn in conns {
                (self.inner.close)(conn).await;
            }
        }
        self.inner.quiesce().await;
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.lock().is_closed()
    }

    /// Current counts, for a gauge or a test.
    pub fn status(&self) -> PoolStatus {
        self.inner.lock().status()
    }
}

impl<T: Send + 'static> Clone for ConnectionPool<T> {
    fn clone(&self) -> Self {
        ConnectionPool {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Send + 'static> fmt::Debug for ConnectionPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("ConnectionPool")
            .field("status", &state.status())
            .field("closed", &state.is_closed())
            .field("connect_timeout", &self.inner.connect_timeout)
            .finish()
    }
}
