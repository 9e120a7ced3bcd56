//! Provider attempts: every call to the server, reported as one `ProviderAttempt` of kind TTS,
//! so that a connection that fails and is retried shows as one failed and one successful attempt.

use std::sync::Arc;

use agent_metrics::schema::{AttemptOutcome, ProviderAttempt, ProviderKind, ProviderRequest};
use tokio::time::Instant;

use crate::client::Shared;
use crate::error::TtsError;

/// The attempts of one synthesis. An attempt still running when this is dropped (the caller
/// cancelled the synthesis) is recorded as `cancelled`.
pub(crate) struct Attempts {
    shared: Arc<Shared>,
    request: ProviderRequest,
    /// When the attempt in flight started.
    current: Option<Instant>,
}

impl Attempts {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Attempts {
            shared,
            request: ProviderRequest::new(ProviderKind::Tts),
            current: None,
        }
    }

    /// An attempt starts: a handshake, a request, or both.
    pub(crate) fn begin(&mut self) {
        self.current = Some(Instant::now());
    }

    /// A stream's first handshake, begun at `started`, failed: the synthesis's only attempt.
    pub(crate) fn connect_failed(shared: Arc<Shared>, started: Instant, error: &TtsError) {
        let mut attempts = Attempts::new(shared);
        attempts.current = Some(started);
        attempts.failed(error);
    }

    /// The attempt in flight served the synthesis.
    pub(crate) fn succeeded(&mut self) {
        self.end(AttemptOutcome::Success, None);
    }

    /// The attempt in flight failed with `error`.
    pub(crate) fn failed(&mut self, error: &TtsError) {
        let (outcome, error_type) = error.attempt_outcome();
        self.end(outcome, Some(error_type));
    }

    fn end(&mut self, outcome: AttemptOutcome, error_type: Option<&'static str>) {
        let Some(started) = self.current.take() else {
            return;
        };
        let mut attempt: ProviderAttempt =
            self.request
                .attempt_took(&self.shared.metadata, outcome, started.elapsed());
        attempt.error_type = error_type;
        self.shared.recorder.record(&attempt);
    }
}

impl Drop for Attempts {
    fn drop(&mut self) {
        self.end(AttemptOutcome::Cancelled, None);
    }
}
