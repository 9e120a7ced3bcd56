//! Recording throughput from 1, 2 and N threads, through the derived `record` and the bound
//! path, with all threads on one attribute set (contended) and each on its own.
//!
//! ```text
//! cargo run --release --example stress -- [--seconds S] [--threads N]
//! ```
//!
//! `--help` lists the flags; a flag it does not know is a usage error (exit code 2).
//!
//! One event is one `TTSMetrics` record: two counters and the acquire-time histogram.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agent_metrics::AgentMetric;
use agent_metrics::capture::Capture;
use agent_metrics::schema::{Metadata, TTSMetrics};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use agent_metrics_test_support::events;

/// The benches' TTS event, for one model per thread.
fn event(model: &str) -> TTSMetrics {
    TTSMetrics {
        metadata: Some(Metadata::new("cartesia", model)),
        ..events::tts()
    }
}

#[derive(Clone, Copy)]
enum Path {
    Derived,
    Bound,
}

/// Events per second over `run` with `threads` threads.
fn throughput(path: Path, threads: usize, shared: bool, run: Duration) -> f64 {
    let capture = Capture::delta();
    let handles = TTSMetrics::handles(capture.meter());
    let stop = AtomicBool::new(false);
    let total: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (handles, stop) = (&handles, &stop);
                s.spawn(move || {
                    let model = if shared {
                        "sonic-2".to_owned()
                    } else {
                        format!("sonic-{t}")
                    };
                    let e = event(&model);
                    let bound = TTSMetrics::bind(handles, &e);
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        // Check the flag every 1024 records, to keep the loop about recording.
                        for _ in 0..1024 {
                            match path {
                                Path::Derived => e.record(handles),
                                Path::Bound => e.record_bound(&bound),
                            }
                        }
                        n += 1024;
                    }
                    n
                })
            })
            .collect();
        std::thread::sleep(run);
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    total as f64 / run.as_secs_f64()
}

/// Recording throughput from 1, 2 and N threads, through the derived `record` and the bound path.
#[derive(Parser)]
#[command(name = "stress")]
struct Args {
    /// How long each measurement runs
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    seconds: f64,
    /// The most threads to measure with (default: the available parallelism)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

fn main() {
    let args = Args::parse();
    let max_threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        usize::from,
    );
    let Ok(run) = Duration::try_from_secs_f64(args.seconds) else {
        Args::command()
            .error(
                ErrorKind::ValueValidation,
                "--seconds takes a non-negative number of seconds",
            )
            .exit()
    };
    let mut counts = vec![1, 2, max_threads];
    counts.dedup();
    println!("| path | threads | attribute sets | events/s |");
    println!("|---|---|---|---|");
    let started = Instant::now();
    for (path, name) in [(Path::Derived, "derived"), (Path::Bound, "bound")] {
        for &threads in &counts {
            for shared in [true, false] {
                let rate = throughput(path, threads, shared, run);
                let sets = if shared {
                    "one, shared"
                } else {
                    "one per thread"
                };
                println!("| {name} | {threads} | {sets} | {:.2} M |", rate / 1e6);
            }
        }
    }
    eprintln!("({:.1} s)", started.elapsed().as_secs_f64());
}
