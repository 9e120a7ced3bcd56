//! The pool the tests drive: numbered connections, scripted handshakes, counters.

use agent_metrics_test_support::on_event::OnEvent;
use std::fmt::{Debug, Write as _};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_metrics_core::pool::PoolBuilder;
use agent_metrics_core::{Acquired, ConnectionPool};
use tokio::time::sleep;

/// Opens, closes and live connections, to prove nothing leaks.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub attempts: AtomicUsize,
    pub opens: AtomicUsize,
    pub closes: AtomicUsize,
    pub live: AtomicUsize,
    /// The timeout each handshake was given.
    pub budgets: Mutex<Vec<Duration>>,
}

impl Counts {
    pub(super) fn get(&self) -> (usize, usize, usize) {
        (
            self.attempts.load(SeqCst),
            self.opens.load(SeqCst),
            self.closes.load(SeqCst),
        )
    }
}

/// A connection numbered by the handshake attempt that opened it.
#[derive(Debug)]
pub(super) struct Conn {
    pub id: usize,
    /// Set while a guard holds it: two holders at once would be a pool bug.
    pub busy: AtomicBool,
    counts: Arc<Counts>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.counts.live.fetch_sub(1, SeqCst);
    }
}

pub(super) type Plan = fn(usize) -> Result<Duration, &'static str>;

/// A pool whose handshake number `n` takes `plan(n)`, or fails with that message.
pub(super) fn pool_with(
    plan: Plan,
    configure: impl FnOnce(PoolBuilder<Conn>) -> PoolBuilder<Conn>,
) -> (ConnectionPool<Conn>, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let (open, close) = (counts.clone(), counts.clone());
    let builder = ConnectionPool::builder(move |budget| {
        let counts = open.clone();
        counts.budgets.lock().unwrap().push(budget);
        let id = counts.attempts.fetch_add(1, SeqCst);
        async move {
            let delay = plan(id).map_err(io::Error::other)?;
            sleep(delay).await;
            counts.opens.fetch_add(1, SeqCst);
            counts.live.fetch_add(1, SeqCst);
            Ok::<_, io::Error>(Conn {
                id,
                busy: AtomicBool::new(false),
                counts,
            })
        }
    })
    .on_close(move |conn: Conn| {
        let counts = close.clone();
        async move {
            sleep(ms(5)).await; // a close frame takes time; the pool must not wait for it
            counts.closes.fetch_add(1, SeqCst);
            drop(conn);
        }
    });
    (configure(builder).build(), counts)
}

pub(super) fn pool(plan: Plan) -> (ConnectionPool<Conn>, Arc<Counts>) {
    pool_with(plan, |b| b)
}

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn one_second(_: usize) -> Result<Duration, &'static str> {
    Ok(ms(1000))
}

/// `actual` is `expected`, give or take the timer's one-millisecond resolution.
#[track_caller]
pub(super) fn assert_took(actual: Duration, expected: Duration) {
    assert!(
        actual >= expected && actual <= expected + ms(2),
        "took {actual:?}, expected {expected:?}"
    );
}

/// Let spawned close callbacks run.
pub(super) async fn settle() {
    sleep(ms(50)).await;
}

pub(super) async fn acquire(pool: &ConnectionPool<Conn>) -> Acquired<Conn> {
    pool.acquire().await.expect("acquire")
}

/// A `tracing` subscriber that keeps each event's fields as one line in `logs`.
pub(super) fn logs(logs: Arc<Mutex<Vec<String>>>) -> impl tracing::Subscriber {
    OnEvent(move |event: &tracing::Event<'_>| {
        let mut line = String::new();
        event.record(&mut |field: &tracing::field::Field, value: &dyn Debug| {
            let _ = write!(line, "{field}={value:?} ");
        });
        logs.lock().unwrap().push(line);
    })
}
