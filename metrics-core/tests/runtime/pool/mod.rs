//! `ConnectionPool`: timing per acquisition, reuse, expiry, prewarm, invalidation,
//! cancellation and close. Time is paused, so every duration asserted is exact up to the
//! timer's millisecond granularity and nothing depends on the machine's speed.

mod harness;

use std::io;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_metrics_core::PoolError;
use harness::{acquire, assert_took, ms, one_second, pool, pool_with, settle};
use tokio::time::{sleep, timeout};

#[tokio::test(start_paused = true)]
async fn concurrent_acquisitions_each_get_their_own_timing() {
    // Handshake n takes its own time; acquirers start staggered and hold their connection,
    // so all 24 run concurrently and finish in an order unrelated to their start.
    let (pool, counts) = pool(|n| Ok(ms(100 + (n as u64 * 157) % 900)));
    let tasks: Vec<_> = (0..24u64)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move {
                sleep(ms(i * 13)).await;
                let conn = acquire(&pool).await;
                let seen = (conn.id, conn.acquire_time(), conn.reused());
                sleep(ms(2000)).await;
                seen
            })
        })
        .collect();
    for task in tasks {
        let (id, took, reused) = task.await.unwrap();
        assert!(!reused);
        assert_took(took, ms(100 + (id as u64 * 157) % 900));
    }
    assert_eq!(counts.get(), (24, 24, 0));

    // Now all 24 are idle: a second wave, holding each, reuses every one without waiting.
    let mut second = Vec::new();
    for _ in 0..24 {
        let conn = acquire(&pool).await;
        assert!(conn.reused());
        assert_eq!(conn.acquire_time(), Duration::ZERO);
        second.push(conn);
    }
    assert_eq!(counts.get(), (24, 24, 0));
}

#[tokio::test(start_paused = true)]
async fn returned_connection_is_reused() {
    let (pool, counts) = pool(one_second);
    let first = acquire(&pool).await;
    assert!(!first.reused());
    assert_took(first.acquire_time(), ms(1000));
    drop(first);
    let again = acquire(&pool).await;
    assert!(again.reused());
    assert_eq!((again.id, again.acquire_time()), (0, Duration::ZERO));
    assert_eq!(counts.get(), (1, 1, 0));
}

#[tokio::test(start_paused = true)]
async fn absolute_max_age_expires_connections() {
    let (pool, counts) = pool_with(one_second, |b| b.max_session_duration(ms(10_000)));
    drop(acquire(&pool).await); // opened at t=1s
    sleep(ms(5_000)).await;
    drop(acquire(&pool).await); // age 5 s: reused, age not reset
    sleep(ms(5_500)).await;
    let fresh = acquire(&pool).await; // age 10.5 s: closed, a new one opened
    assert_eq!((fresh.id, fresh.reused()), (1, false));
    settle().await;
    assert_eq!(counts.get(), (2, 2, 1));
}

#[tokio::test(start_paused = true)]
async fn refresh_on_get_makes_a_sliding_idle_window() {
    let (pool, counts) = pool_with(one_second, |b| {
        b.max_session_duration(ms(10_000))
            .mark_refreshed_on_get(true)
    });
    drop(acquire(&pool).await);
    for _ in 0..3 {
        sleep(ms(9_000)).await; // idle 9 s each time, 28 s old in the end
        let conn = acquire(&pool).await;
        assert_eq!((conn.id, conn.reused()), (0, true));
    }
    sleep(ms(10_500)).await;
    assert_eq!(acquire(&pool).await.id, 1);
    settle().await;
    assert_eq!(counts.get(), (2, 2, 1));
}

#[tokio::test(start_paused = true)]
async fn acquire_racing_prewarm_waits_for_it_instead_of_connecting() {
    let (pool, counts) = pool(one_second);
    pool.prewarm();
    pool.prewarm(); // already in flight: no second handshake
    sleep(ms(300)).await;
    let (a, b) = tokio::join!(pool.acquire(), pool.acquire());
    let (a, b) = (a.unwrap(), b.unwrap());
    // The first claims the prewarm and reports the 700 ms it waited, as a reuse.
    assert_eq!((a.id, a.reused()), (0, true));
    assert_took(a.acquire_time(), ms(700));
    // The second cannot share it and opens its own.
    assert_eq!((b.id, b.reused()), (1, false));
    assert_took(b.acquire_time(), ms(1000));
    assert_eq!(counts.get(), (2, 2, 0));
}

#[tokio::test(start_paused = true)]
async fn failed_prewarm_logs_type_only_and_the_waiting_acquire_connects_itself() {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(harness::logs(logs.clone()));
    let (pool, counts) = pool(|n| {
        if n == 0 {
            Err("token=hunter2")
        } else {
            Ok(ms(1000))
        }
    });
    pool.prewarm();
    let conn = acquire(&pool).await;
    assert_eq!((conn.id, conn.reused()), (1, false));
    assert_took(conn.acquire_time(), ms(1000));
    assert_eq!(counts.get(), (2, 1, 0));
    let logs = logs.lock().unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains("prewarm") && logs[0].contains("io::error::Error"),
        "{logs:?}"
    );
    assert!(!logs[0].contains("hunter2"), "{logs:?}");
}

#[tokio::test(start_paused = true)]
async fn invalidate_spares_connections_in_use_and_closes_them_on_return() {
    let (pool, counts) = pool(one_second);
    let held = acquire(&pool).await;
    drop(acquire(&pool).await); // an idle one, closed right away
    pool.invalidate();
    settle().await;
    assert_eq!(counts.get(), (2, 2, 1));
    assert_eq!(held.id, 0); // still ours, still open
    drop(held);
    settle().await;
    assert_eq!(counts.get(), (2, 2, 2));
    let fresh = acquire(&pool).await;
    assert_eq!((fresh.id, fresh.reused()), (2, false));
}

#[tokio::test(start_paused = true)]
async fn handshake_during_invalidate_is_retried_within_the_timed_window() {
    let (pool, counts) = pool(one_second);
    let pending = tokio::spawn({
        let pool = pool.clone();
        async move { acquire(&pool).await }
    });
    sleep(ms(500)).await;
    pool.invalidate();
    let conn = pending.await.unwrap();
    assert_eq!((conn.id, conn.reused()), (1, false));
    assert_took(conn.acquire_time(), ms(2000));
    // The retry is told what is left of the acquire's 10 s.
    assert_eq!(*counts.budgets.lock().unwrap(), [ms(10_000), ms(9_000)]);
    settle().await;
    assert_eq!(counts.get(), (2, 2, 1)); // the stale one
}

#[tokio::test(start_paused = true)]
async fn cancelled_acquire_keeps_its_connection_idle() {
    let (pool, counts) = pool(one_second);
    assert!(timeout(ms(100), pool.acquire()).await.is_err());
    assert_eq!(pool.status().connecting, 1);
    sleep(ms(1000)).await;
    assert_eq!((pool.status().idle, counts.get()), (1, (1, 1, 0)));
    let conn = acquire(&pool).await;
    assert_eq!(
        (conn.id, conn.reused(), conn.acquire_time()),
        (0, true, Duration::ZERO)
    );
    drop(conn);
    pool.close().await;
    assert_eq!(counts.get(), (1, 1, 1));
    assert_eq!(counts.live.load(SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn next_acquire_claims_a_cancelled_acquires_handshake_in_flight() {
    let (pool, counts) = pool(one_second);
    assert!(timeout(ms(100), pool.acquire()).await.is_err());
    let conn = acquire(&pool).await;
    assert_eq!((conn.id, conn.reused()), (0, true));
    assert_took(conn.acquire_time(), ms(900));
    assert_eq!(counts.get(), (1, 1, 0));
}

#[tokio::test(start_paused = true)]
async fn close_aborts_handshakes_and_closes_what_is_returned_later() {
    let (pool, counts) = pool(one_second);
    let held = acquire(&pool).await;
    pool.prewarm();
    let waiting = tokio::spawn({
        let pool = pool.clone();
        async move { pool.acquire().await.map(|c| c.id) }
    });
    sleep(ms(100)).await;
    pool.close().await;
    assert!(matches!(waiting.await.unwrap(), Err(PoolError::Closed)));
    assert!(matches!(pool.acquire().await, Err(PoolError::Closed)));
    assert_eq!(counts.get(), (2, 1, 0)); // the prewarm never completed
    drop(held);
    settle().await;
    assert_eq!(counts.get(), (2, 1, 1));
    assert_eq!(counts.live.load(SeqCst), 0);
    assert_eq!(pool.status(), Default::default());
}

#[tokio::test(start_paused = true)]
async fn broken_or_removed_connections_are_closed_not_reused() {
    let (pool, counts) = pool(one_second);
    let mut conn = acquire(&pool).await;
    conn.mark_broken();
    drop(conn);
    acquire(&pool).await.remove();
    settle().await;
    assert_eq!(counts.get(), (2, 2, 2));
    assert_eq!(acquire(&pool).await.id, 2);
}

#[tokio::test(start_paused = true)]
async fn slow_handshake_times_out() {
    let (pool, counts) = pool(|_| Ok(ms(60_000)));
    let start = tokio::time::Instant::now();
    let err = pool.acquire().await.unwrap_err();
    assert!(
        matches!(err, PoolError::Timeout(t) if t == ms(10_000)),
        "{err:?}"
    );
    assert_took(start.elapsed(), ms(10_000));
    let err = pool.acquire_timeout(ms(250)).await.unwrap_err();
    assert!(
        matches!(err, PoolError::Timeout(t) if t == ms(250)),
        "{err:?}"
    );
    settle().await;
    assert_eq!(counts.get(), (2, 0, 0));
    assert_eq!(pool.status(), Default::default());
}

#[tokio::test(start_paused = true)]
async fn connect_error_propagates_without_its_message_in_display() {
    let (pool, _) = pool(|_| Err("token=hunter2"));
    let err = pool.acquire().await.unwrap_err();
    assert!(matches!(err, PoolError::Connect(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"));
    let source = std::error::Error::source(&err).unwrap();
    assert_eq!(
        source.downcast_ref::<io::Error>().unwrap().to_string(),
        "token=hunter2"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_the_last_handle_closes_idle_connections() {
    let (pool, counts) = pool(one_second);
    drop(acquire(&pool).await);
    drop(pool);
    settle().await;
    assert_eq!(counts.get(), (1, 1, 1));
    assert_eq!(counts.live.load(SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn panicking_connect_callback_is_an_error_not_a_hang() {
    let (pool, _) = pool(|_| panic!("connect callback bug"));
    let err = pool.acquire().await.unwrap_err();
    assert!(matches!(err, PoolError::ConnectPanicked), "{err:?}");
    assert_eq!(pool.status(), Default::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stress_on_threads_never_shares_or_leaks_a_connection() {
    // Real time here, but nothing about it is asserted: only exclusivity and accounting.
    let (pool, counts) = pool(|n| if n % 19 == 7 { Err("flaky") } else { Ok(ms(1)) });
    let tasks: Vec<_> = (0..32)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for i in 0..40 {
                    match (t + i) % 9 {
                        0 => pool.invalidate(),
                        1 => pool.prewarm(),
                        2 => drop(timeout(Duration::from_micros(50), pool.acquire()).await),
                        _ => {}
                    }
                    let Ok(mut conn) = pool.acquire().await else {
                        continue;
                    };
                    assert!(!conn.busy.swap(true, SeqCst), "conn {} shared", conn.id);
                    tokio::task::yield_now().await;
                    conn.busy.store(false, SeqCst);
                    if (t * i) % 5 == 0 {
                        conn.mark_broken();
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    pool.close().await;
    let (_, opens, closes) = counts.get();
    assert_eq!(opens, closes);
    assert_eq!(counts.live.load(SeqCst), 0);
    assert_eq!(pool.status(), Default::default());
}
