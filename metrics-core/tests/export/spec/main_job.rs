//! The main job (the `agent_session` example's simulated session, which records every instrument
//! of the schema) exported to a receiver: flushed after a first session, shut down after a second.

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::catalog::Catalog;
use agent_metrics_core::export::{Env, Telemetry};
use agent_metrics_core::usage::ModelUsage;
use agent_metrics_core::worker::Worker;
use agent_metrics_test_support::python_otlp::Export;
use agent_metrics_test_support::sim;

use super::{HOUR, WAIT};

const CHARACTERS: &str = "lk.agents.usage.tts_characters";

/// What the job recorded: the TTS characters before the flush and in all.
pub(crate) struct Recorded {
    flushed: i64,
    total: i64,
}

/// Runs the job with export configured by `env` alone.
pub(crate) fn run(env: Env) -> Recorded {
    let telemetry = Telemetry::builder()
        .env(env)
        .export_interval(HOUR)
        .build()
        .expect("export builds in every setting");
    let worker = Worker::new(telemetry.meter());
    let mut session =
        sim::Session::new(7, MetricsRecorder::new(telemetry.meter())).on_worker(worker);
    session.run(8, |_, _| {});
    // The stall monitor needs a runtime of its own, which cannot be started inside another.
    std::thread::scope(|s| {
        s.spawn(|| sim::blocking_call(telemetry.meter()));
    });
    telemetry.force_flush(WAIT).expect("flush");
    let flushed = tts_characters(&session);
    session.run(2, |_, _| {});
    telemetry.shutdown(WAIT).expect("shutdown");
    Recorded {
        flushed,
        total: tts_characters(&session),
    }
}

/// TTS characters in the session's usage so far: what the delta counter must add up to.
fn tts_characters(session: &sim::Session) -> i64 {
    let usage = session.usage.flatten();
    let tts = usage.iter().filter_map(|u| match u {
        ModelUsage::Tts(u) => Some(u.characters_count as i64),
        _ => None,
    });
    tts.sum()
}

impl Recorded {
    /// Two exports (the flush, then shutdown): the first holds every instrument of the schema,
    /// and each holds only its own interval's values (delta).
    pub(crate) fn assert_delivered(&self, exports: &[Export], setting: &str) {
        assert_eq!(
            exports.len(),
            2,
            "{setting}: one export per flush and at shutdown"
        );
        let names: Vec<&str> = exports[0].metrics().iter().map(|(n, _)| *n).collect();
        let catalog = Catalog::schema();
        let missing: Vec<&str> = catalog
            .entries()
            .iter()
            .map(|e| e.instrument.name)
            .filter(|n| !names.contains(n))
            .collect();
        assert!(missing.is_empty(), "{setting}: not delivered: {missing:?}");
        assert_eq!(
            exports[0].int_total(CHARACTERS),
            Some(self.flushed),
            "{setting}"
        );
        assert_eq!(
            exports[1].int_total(CHARACTERS),
            Some(self.total - self.flushed),
            "{setting}: the second export holds only what came after the flush (delta)"
        );
        // Every reply of the job is broken down: in each interval, the parts of the turns add
        // up to their end-to-end latencies, as the receiver decoded them.
        for export in exports {
            let parts = export
                .histogram_sum("lk.agents.turn.latency_breakdown")
                .unwrap();
            let e2e = export.histogram_sum("lk.agents.turn.e2e_latency").unwrap();
            assert!(e2e > 1.0, "{setting}: {e2e}");
            assert!(
                (parts - e2e).abs() < 1e-9,
                "{setting}: the parts sum to {parts}, the turns to {e2e}"
            );
        }
    }
}
