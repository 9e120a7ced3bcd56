//! Configuring a pool: the callbacks and the options.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::error::{BoxError, Failure};
use super::state::Expiry;
use super::{ConnectionPool, Inner};

type BoxFuture<O> = Pin<Box<dyn Future<Output = O> + Send + 'static>>;

/// The connect callback with its error type erased (but its name kept for the logs).
pub(super) type ConnectFn<T> = dyn Fn(Duration) -> BoxFuture<Result<T, Failure>> + Send + Sync;

/// The close callback.
pub(super) type CloseFn<T> = dyn Fn(T) -> BoxFuture<()> + Send + Sync;

/// The default handshake timeout, as in the Python framework.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a [`ConnectionPool`]; start with [`ConnectionPool::builder`].
///
/// Defaults: a 10 s connect timeout, connections closed by dropping them, no maximum age.
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder<T> {
    connect: Arc<ConnectFn<T>>,
    close: Arc<CloseFn<T>>,
    connect_timeout: Duration,
    expiry: Expiry,
}

impl<T: Send + 'static> PoolBuilder<T> {
    pub(super) fn new<F, Fut, E>(connect: F) -> Self
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let connect = move |timeout| -> BoxFuture<Result<T, Failure>> {
            let handshake = connect(timeout);
            Box::pin(async move { handshake.await.map_err(Failure::connect) })
        };
        PoolBuilder {
            connect: Arc::new(connect),
            close: Arc::new(|conn| -> BoxFuture<()> {
                drop(conn);
                Box::pin(async {})
            }),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            expiry: Expiry::default(),
        }
    }

    /// How a connection is closed (a WebSocket close frame, say). It runs on a spawned task,
    /// never under the pool's lock, and never delays an acquisition.
    pub fn on_close<F, Fut>(mut self, close: F) -> Self
    where
        F: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.close = Arc::new(move |conn| -> BoxFuture<()> { Box::pin(close(conn)) });
        self
    }

    /// The time [`ConnectionPool::acquire`] allows, handshakes included (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Close connections older than this instead of reusing them; `None` (the default) keeps
    /// them for ever. The age counts from the handshake, or from the last reuse with
    /// [`mark_refreshed_on_get`](Self::mark_refreshed_on_get).
    pub fn max_session_duration(mut self, max: impl Into<Option<Duration>>) -> Self {
        self.expiry.max_age = max.into();
        self
    }

    /// Restart a connection's age on every reuse, so that `max_session_duration` becomes a
    /// sliding idle window (what most TTS plugins use, with 300 s).
    pub fn mark_refreshed_on_get(mut self, refresh: bool) -> Self {
        self.expiry.refresh_on_get = refresh;
        self
    }

    /// The pool. Building needs no runtime; acquiring does.
    pub fn build(self) -> ConnectionPool<T> {
        ConnectionPool {
            inner: Arc::new(Inner::new(
                self.connect,
                self.close,
                self.connect_timeout,
                self.expiry,
            )),
        }
    }
}
