//! The handshake task: connect, retry if the pool was invalidated meanwhile, hand over.
//!
//! Handshakes run on their own task rather than inside `acquire`, so that one whose acquire
//! is cancelled still completes and parks its connection for the next acquire (which claims it
//! even while it is in flight) instead of wasting it.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, timeout_at};

use super::Inner;
use super::acquired::Acquired;
use super::error::Failure;
use super::state::{Conn, Origin, Settled};

/// The time an acquisition (or a prewarm) may take, handshake retries included.
#[derive(Clone, Copy, Debug)]
pub(super) struct Budget {
    /// Reported on expiry.
    pub(super) timeout: Duration,
    /// `None` for a timeout too large to represent: the callback is trusted to give up.
    pub(super) deadline: Option<Instant>,
}

impl Budget {
    pub(super) fn starting(now: Instant, timeout: Duration) -> Self {
        Budget {
            timeout,
            deadline: now.checked_add(timeout),
        }
    }

    /// What is left, for the connect callback.
    fn left(&self) -> Duration {
        self.deadline.map_or(self.timeout, |d| {
            d.saturating_duration_since(Instant::now())
        })
    }
}

/// Run handshake `id` until it succeeds with a current generation, fails, or runs out of
/// budget. An acquire's handshake shares the acquire's deadline, so that the callback is told
/// the time its caller actually has left.
pub(super) async fn run<T: Send + 'static>(pool: Arc<Inner<T>>, id: u64, budget: Budget) {
    // Reached with the slot still present only if the callback panicked: dropping the slot
    // lets the waiter report it instead of waiting for its deadline.
    let _forget = Forget { pool: &pool, id };
    loop {
        let generation = pool.lock().generation();
        let handshake = (pool.connect)(budget.left());
        let result = match budget.deadline {
            Some(deadline) => timeout_at(deadline, handshake)
                .await
                .unwrap_or(Err(Failure::Timeout(budget.timeout))),
            None => handshake.await,
        };
        let value = match result {
            Ok(value) => value,
            Err(failure) => return report(&pool, id, failure),
        };
        let conn = Conn {
            value,
            generation,
            stamp: Instant::now(),
        };
        let settled = pool.lock().settle(id, conn);
        match settled {
            Settled::Deliver(waiter, conn) => {
                let acquired = Acquired::new(pool.clone(), conn);
                // A waiter gone since `settle` drops the guard here, which parks the connection.
                let _ = waiter.send(Ok(acquired));
                return;
            }
            Settled::Idle => return,
            Settled::Orphan(value) => return pool.close_later(Some(value)),
            // LiveKit 1.8.9 closes the stale socket first; ours closes in the background so
            // that the retry, which the waiter is timing, starts at once.
            Settled::Stale(value) => pool.close_later(Some(value)),
        }
    }
}

fn report<T: Send + 'static>(pool: &Inner<T>, id: u64, failure: Failure) {
    let Some((origin, waiter)) = pool.lock().fail(id) else {
        return; // the pool closed: nobody cares any more
    };
    match (origin, waiter) {
        (Origin::Prewarm, waiter) => {
            // Logged even when an acquire waits: that acquire retries on its own and would
            // otherwise hide why its prewarm was useless.
            failure.log("prewarm", true);
            if let Some(waiter) = waiter {
                let _ = waiter.send(Err(failure));
            }
        }
        (Origin::Acquire, Some(waiter)) => {
            let _ = waiter.send(Err(failure));
        }
        (Origin::Acquire, None) => failure.log("handshake of a cancelled acquire", false),
    }
}

struct Forget<'a, T: Send + 'static> {
    pool: &'a Inner<T>,
    id: u64,
}

impl<T: Send + 'static> Drop for Forget<'_, T> {
    fn drop(&mut self) {
        self.pool.lock().forget(self.id);
    }
}
