//! The guard an acquisition returns: the connection, its timing, and the way back to the pool.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::Inner;
use super::state::Conn;

/// A connection checked out of a [`ConnectionPool`](super::ConnectionPool), with the timing
/// of the acquisition that produced it.
///
/// It dereferences to the connection. Dropping it gives the connection back for reuse, unless
/// it was [marked broken](Acquired::mark_broken), the pool was invalidated or closed meanwhile,
/// or the connection outlived `max_session_duration`: then it is closed instead.
pub struct Acquired<T: Send + 'static> {
    pool: Arc<Inner<T>>,
    // Taken exactly once, in `drop`: `ManuallyDrop` rather than an `Option` so that every
    // access to the connection is infallible.
    conn: ManuallyDrop<Conn<T>>,
    acquire_time: Duration,
    reused: bool,
    broken: bool,
}

impl<T: Send + 'static> Acquired<T> {
    /// The caller has already counted `conn` as in use.
    pub(super) fn new(pool: Arc<Inner<T>>, conn: Conn<T>) -> Self {
        Acquired {
            pool,
            conn: ManuallyDrop::new(conn),
            acquire_time: Duration::ZERO,
            reused: false,
            broken: false,
        }
    }

    pub(super) fn with_timing(mut self, acquire_time: Duration, reused: bool) -> Self {
        self.acquire_time = acquire_time;
        self.reused = reused;
        self
    }

    /// Wall time from the `acquire` call until the connection was ready: waiting for a prewarm
    /// in flight, handshakes discarded because the pool was invalidated during them, and the
    /// handshake itself. Near zero for an idle connection.
    pub fn acquire_time(&self) -> Duration {
        self.acquire_time
    }

    /// Whether the connection was not opened for this call: an idle connection, a prewarmed
    /// one (even if this call waited for its handshake to finish), or one whose acquire was
    /// cancelled before it arrived.
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Close the connection when the guard drops instead of returning it: after an I/O error,
    /// a server-side close or anything else that leaves it unusable.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// Close the connection now rather than returning it (Python's `remove`). The close
    /// callback runs on a spawned task.
    pub fn remove(mut self) {
        self.mark_broken();
    }
}

impl<T: Send + 'static> Deref for Acquired<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.conn.value
    }
}

impl<T: Send + 'static> DerefMut for Acquired<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.conn.value
    }
}

impl<T: Send + 'static> Drop for Acquired<T> {
    // The library's one `unsafe` block: moving the connection out in `drop` without an `Option`
    // check on every deref.
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: `conn` is not touched again: this is `drop`, and nothing below reads `self.conn`.
        let conn = unsafe { ManuallyDrop::take(&mut self.conn) };
        let doomed = self.pool.lock().release(conn, self.broken, Instant::now());
        self.pool.close_later(doomed);
    }
}

impl<T: Send + fmt::Debug + 'static> fmt::Debug for Acquired<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquired")
            .field("conn", &self.conn.value)
            .field("acquire_time", &self.acquire_time)
            .field("reused", &self.reused)
            .field("broken", &self.broken)
            .finish()
    }
}
