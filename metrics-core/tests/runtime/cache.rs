//! The attribute cache under many short jobs: a worker's threads run job after job between two
//! collections, so the entries of jobs that are over must make room for the next ones.

use agent_metrics_core::capture::Capture;
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::{Metadata, TTSMetrics};
use agent_metrics_core::{MetricsRecorder, cache};

const THREADS: u64 = 4;
const JOBS: u64 = 1_000;
const RECORDS: u64 = 20;

/// 4 threads × 1,000 jobs × 20 records, with no collection in between: records find their
/// entries (under 1% take the direct path for want of room, against 93% when finished jobs'
/// entries stayed until the next collection), and every character is exported once. A thread
/// frees its own finished jobs' entries, so a thread can still find the cache full of the other
/// threads' for a moment.
#[test]
fn many_short_jobs_keep_the_cache_working_and_lose_nothing() {
    let capture = Capture::delta();
    let recorder = MetricsRecorder::new(capture.meter());
    let before = cache::stats().direct_records;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let recorder = &recorder;
            s.spawn(move || {
                for j in 0..JOBS {
                    let job = Job::new(format!("RM_{t}_{j}"), format!("AJ_{t}_{j}"));
                    let _in_job = job.enter();
                    for _ in 0..RECORDS {
                        recorder.record(&TTSMetrics {
                            characters_count: 3,
                            ttfb: 0.2,
                            metadata: Some(Metadata::new("acme", "voice")),
                            ..Default::default()
                        });
                    }
                }
            });
        }
    });
    let fallbacks = cache::stats().direct_records - before;
    assert!(
        fallbacks * 100 < THREADS * JOBS * RECORDS,
        "{fallbacks} records found no room: entries of finished jobs must make room"
    );
    let exported: u64 = capture
        .collect()
        .iter()
        .filter(|p| p.name == "lk.agents.usage.tts_characters")
        .filter_map(|p| p.value.as_u64())
        .sum();
    assert_eq!(exported, THREADS * JOBS * RECORDS * 3);
}
