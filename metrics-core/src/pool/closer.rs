//! Running close callbacks: on spawned tasks, never under the lock, never in an acquire's way.

use std::pin::pin;
use std::sync::Arc;

use tokio::runtime::Handle;

use super::Inner;

impl<T: Send + 'static> Inner<T> {
    /// Close these connections on spawned tasks. Outside a runtime (a guard dropped after its
    /// runtime shut down) they are parked until the next acquire or `close` finds one.
    pub(super) fn close_later(self: &Arc<Self>, conns: impl IntoIterator<Item = T>) {
        let mut conns = conns.into_iter().peekable();
        if conns.peek().is_none() {
            return;
        }
        let Ok(runtime) = Handle::try_current() else {
            self.lock().parked.extend(conns);
            return;
        };
        for conn in conns {
            let ticket = Ticket::new(self.clone());
            let closing = (self.close)(conn);
            // The ticket travels with the future, so a spawn refused by a runtime shutting down
            // (which drops the future) still balances the count.
            runtime.spawn(async move {
                closing.await;
                drop(ticket);
            });
        }
    }

    /// Wait until every close callback started so far has finished.
    pub(super) async fn quiesce(&self) {
        loop {
            // Registered before checking, so a notification in between is not lost.
            let mut notified = pin!(self.quiet.notified());
            notified.as_mut().enable();
            if self.lock().closing == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// One running close callback, counted while alive.
struct Ticket<T: Send + 'static>(Arc<Inner<T>>);

impl<T: Send + 'static> Ticket<T> {
    fn new(pool: Arc<Inner<T>>) -> Self {
        pool.lock().closing += 1;
        Ticket(pool)
    }
}

impl<T: Send + 'static> Drop for Ticket<T> {
    fn drop(&mut self) {
        let done = {
            let mut state = self.0.lock();
            state.closing = state.closing.saturating_sub(1);
            state.closing == 0
        };
        if done {
            self.0.quiet.notify_waiters();
        }
    }
}

impl<T: Send + 'static> Drop for Inner<T> {
    /// The last handle is gone (pool, guards and tasks alike): close what is left rather than
    /// merely dropping it, if a runtime is there to run the callbacks.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        let conns = state.take_all();
        if conns.is_empty() {
            return;
        }
        if let Ok(runtime) = Handle::try_current() {
            let close = self.close.clone();
            runtime.spawn(async move {
                for conn in conns {
                    close(conn).await;
                }
            });
        }
    }
}
