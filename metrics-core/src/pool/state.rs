//! The pool's bookkeeping: plain data behind one std mutex.
//!
//! Nothing here awaits, runs a user callback or drops a connection: every method decides and
//! hands the connections it gives up back to the caller, which closes them after unlocking.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::acquired::Acquired;
use super::error::Failure;

/// A connection together with the facts the pool decides on.
pub(super) struct Conn<T> {
    pub(super) value: T,
    /// The invalidation generation its handshake started in: an older one is stale.
    pub(super) generation: u64,
    /// When the handshake completed, or the last reuse under `mark_refreshed_on_get`.
    pub(super) stamp: Instant,
}

/// What a handshake task sends to the acquire waiting for it.
///
/// An `Acquired` rather than a bare connection: if the receiver is dropped with the value still
/// in the channel, the guard's drop returns the connection to the pool instead of leaking it.
pub(super) type Delivery<T> = Result<Acquired<T>, Failure>;

/// Why a handshake runs; decides how loudly an unclaimed failure is logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    Prewarm,
    Acquire,
}

/// A handshake in flight.
struct Pending<T: Send + 'static> {
    origin: Origin,
    /// The acquire that will receive the connection. A dropped receiver frees the slot for the
    /// next acquire to claim, so a cancelled acquire's handshake is not wasted.
    waiter: Option<oneshot::Sender<Delivery<T>>>,
    task: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Pending<T> {
    fn claimable(&self) -> bool {
        self.waiter.as_ref().is_none_or(|w| w.is_closed())
    }
}

/// How long a connection may live.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Expiry {
    pub(super) max_age: Option<Duration>,
    /// Reset the stamp on every reuse, turning the maximum age into a sliding idle window.
    pub(super) refresh_on_get: bool,
}

impl Expiry {
    fn expired(&self, stamp: Instant, now: Instant) -> bool {
        self.max_age
            .is_some_and(|max| now.saturating_duration_since(stamp) > max)
    }
}

/// The outcome of looking for a connection.
pub(super) enum Checkout<T: Send + 'static> {
    Closed,
    /// An idle connection, already counted as in use.
    Ready(Conn<T>),
    /// Waiting for a handshake this acquire did not start (a prewarm or a cancelled acquire's).
    Claimed(oneshot::Receiver<Delivery<T>>),
    /// Waiting for a new handshake; the caller must spawn it and `attach` its task.
    Start(u64, oneshot::Receiver<Delivery<T>>),
}

/// The outcome of a successful handshake.
pub(super) enum Settled<T: Send + 'static> {
    /// Hand it over; it is already counted as in use.
    Deliver(oneshot::Sender<Delivery<T>>, Conn<T>),
    /// Parked for the next acquire.
    Idle,
    /// Invalidated during the handshake: close it and shake hands again.
    Stale(T),
    /// The pool was closed: close it and stop.
    Orphan(T),
}

/// Snapshot of the pool's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// Connections ready for reuse.
    pub idle: usize,
    /// Connections held by an [`Acquired`] guard.
    pub in_use: usize,
    /// Handshakes in flight, prewarm included.
    pub connecting: usize,
    /// Close callbacks running or waiting for a runtime.
    pub closing: usize,
}

pub(super) struct State<T: Send + 'static> {
    expiry: Expiry,
    /// Most recently returned last, so reuse takes the warmest connection and old ones age out.
    idle: Vec<Conn<T>>,
    pending: BTreeMap<u64, Pending<T>>,
    next_id: u64,
    generation: u64,
    in_use: usize,
    /// Close callbacks spawned and not finished.
    pub(super) closing: usize,
    /// Connections to close that found no runtime to run the close callback on.
    pub(super) parked: Vec<T>,
    closed: bool,
}

impl<T: Send + 'static> State<T> {
    pub(super) fn new(expiry: Expiry) -> Self {
        State {
            expiry,
            idle: Vec::new(),
            pending: BTreeMap::new(),
            next_id: 0,
            generation: 0,
            in_use: 0,
            closing: 0,
            parked: Vec::new(),
            closed: false,
        }
    }

    pub(super) fn status(&self) -> PoolStatus {
        PoolStatus {
            idle: self.idle.len(),
            in_use: self.in_use,
            connecting: self.pending.len(),
            closing: self.closing + self.parked.len(),
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    /// Reuse an idle connection, else claim a handshake in flight, else plan a new one.
    /// Expired connections met on the way are moved to `doomed`.
    pub(super) fn checkout(&mut self, now: Instant, doomed: &mut Vec<T>) -> Checkout<T> {
        if self.closed {
            return Checkout::Closed;
        }
        doomed.append(&mut self.parked);
        while let Some(mut conn) = self.idle.pop() {
            if self.expiry.expired(conn.stamp, now) {
                doomed.push(conn.value);
                continue;
            }
            if self.expiry.refresh_on_get {
                conn.stamp = now;
            }
            self.in_use += 1;
            return Checkout::Ready(conn);
        }
        let (tx, rx) = oneshot::channel();
        if let Some(slot) = self.pending.values_mut().find(|p| p.claimable()) {
            slot.waiter = Some(tx);
            return Checkout::Claimed(rx);
        }
        Checkout::Start(self.register(Origin::Acquire, Some(tx)), rx)
    }

    /// Plan a prewarm handshake unless one would be pointless.
    pub(super) fn start_prewarm(&mut self) -> Option<u64> {
        let useless = self.closed || !self.idle.is_empty();
        let covered = self.pending.values().any(Pending::claimable);
        (!useless && !covered).then(|| self.register(Origin::Prewarm, None))
    }

    fn register(&mut self, origin: Origin, waiter: Option<oneshot::Sender<Delivery<T>>>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let slot = Pending {
            origin,
            waiter,
            task: None,
        };
        self.pending.insert(id, slot);
        id
    }

    /// Record the task running handshake `id`; hands it back when the slot is gone (the pool
    /// closed first), so the caller can abort it.
    pub(super) fn attach(&mut self, id: u64, task: JoinHandle<()>) -> Result<(), JoinHandle<()>> {
        match self.pending.get_mut(&id) {
            Some(slot) => {
                slot.task = Some(task);
                Ok(())
            }
            None => Err(task),
        }
    }

    pub(super) fn settle(&mut self, id: u64, conn: Conn<T>) -> Settled<T> {
        if !self.pending.contains_key(&id) {
            return Settled::Orphan(conn.value);
        }
        if conn.generation != self.generation {
            return Settled::Stale(conn.value);
        }
        match self.pending.remove(&id).and_then(|p| p.waiter) {
            Some(waiter) if !waiter.is_closed() => {
                self.in_use += 1;
                Settled::Deliver(waiter, conn)
            }
            _ => {
                self.idle.push(conn);
                Settled::Idle
            }
        }
    }

    /// Forget failed handshake `id`; returns who was waiting, if anyone still is.
    pub(super) fn fail(
        &mut self,
        id: u64,
    ) -> Option<(Origin, Option<oneshot::Sender<Delivery<T>>>)> {
        let slot = self.pending.remove(&id)?;
        let waiter = slot.waiter.filter(|w| !w.is_closed());
        Some((slot.origin, waiter))
    }

    /// Drop the slot of a handshake task that ended without settling (its callback panicked):
    /// the waiter sees the sender go and reports it.
    pub(super) fn forget(&mut self, id: u64) {
        self.pending.remove(&id);
    }

    /// A guard gave its connection back; returns it when it must be closed instead of kept.
    pub(super) fn release(&mut self, conn: Conn<T>, broken: bool, now: Instant) -> Option<T> {
        self.in_use = self.in_use.saturating_sub(1);
        let retired = conn.generation != self.generation;
        if broken || retired || self.closed || self.expiry.expired(conn.stamp, now) {
            return Some(conn.value);
        }
        self.idle.push(conn);
        None
    }

    /// Retire every connection: idle ones are returned for closing, the ones in use carry an
    /// old generation and are closed when given back, handshakes in flight retry.
    pub(super) fn invalidate(&mut self) -> Vec<T> {
        self.generation += 1;
        let mut doomed: Vec<T> = self.idle.drain(..).map(|c| c.value).collect();
        doomed.append(&mut self.parked);
        doomed
    }

    /// Close for good: returns the handshake tasks to abort and the connections to close.
    /// Dropping the waiters' senders tells the acquires waiting for them that the pool closed.
    pub(super) fn shut(&mut self) -> (Vec<JoinHandle<()>>, Vec<T>) {
        self.closed = true;
        let tasks = std::mem::take(&mut self.pending)
            .into_values()
            .filter_map(|p| p.task)
            .collect();
        (tasks, self.invalidate())
    }

    /// Everything still owned, for the pool's final drop.
    pub(super) fn take_all(&mut self) -> Vec<T> {
        self.closed = true;
        self.invalidate()
    }
}
