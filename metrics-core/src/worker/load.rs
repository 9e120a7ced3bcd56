//! The worker's load: the user's load function, or the default from running jobs and CPU use
//! (see the [module](super) docs for the rules).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Inner, process};

/// The process's CPU seconds at an instant, and the utilization last computed.
pub(super) struct CpuSample {
    at: Instant,
    cpu: Option<f64>,
    utilization: Option<f64>,
}

impl CpuSample {
    pub(super) fn now() -> Self {
        CpuSample {
            at: Instant::now(),
            cpu: process::cpu_times().map(|(user, system)| user + system),
            utilization: None,
        }
    }
}

/// Readings closer together than this keep the previous utilization: two readers collecting
/// one after the other would otherwise see a window too short to mean anything.
const MIN_CPU_WINDOW: Duration = Duration::from_secs(1);

impl Inner {
    pub(super) fn load(&self) -> f64 {
        let raw = match &self.load_fn {
            Some(load) => match catch_unwind(AssertUnwindSafe(load)) {
                Ok(value) => value,
                Err(_) => {
                    if !self.load_panicked.swap(true, Ordering::Relaxed) {
                        tracing::warn!("the worker's load function panicked: no load reported");
                    }
                    f64::NAN
                }
            },
            None => self.default_load(),
        };
        if raw.is_nan() {
            raw
        } else {
            raw.clamp(0.0, 1.0)
        }
    }

    fn default_load(&self) -> f64 {
        let jobs = self
            .max_jobs
            .map(|max| self.running.load(Ordering::Acquire).max(0) as f64 / f64::from(max));
        let cpu = self.cpu_utilization();
        jobs.into_iter().chain(cpu).fold(0.0, f64::max)
    }

    fn cpu_utilization(&self) -> Option<f64> {
        let mut sample = self.cpu.lock().unwrap_or_else(|e| e.into_inner());
        let now = CpuSample::now();
        let window = now.at.duration_since(sample.at);
        if window < MIN_CPU_WINDOW && sample.utilization.is_some() {
            return sample.utilization;
        }
        let (Some(then), Some(cpu)) = (sample.cpu, now.cpu) else {
            return None;
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let wall = window.as_secs_f64().max(1e-3);
        let utilization = ((cpu - then) / (wall * cores)).clamp(0.0, 1.0);
        *sample = CpuSample {
            utilization: Some(utilization),
            ..now
        };
        Some(utilization)
    }
}
