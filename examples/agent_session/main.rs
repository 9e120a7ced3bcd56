//! The main job: a simulated voice-agent session, recorded through the schema and exported.
//!
//! ```text
//! cargo run --example agent_session -- [--turns N] [--seed S] [--prices PRICES.json]
//! ```
//!
//! `--help` lists the flags; a flag it does not know is a usage error (exit code 2).
//!
//! Each turn a user speaks (STT), the agent thinks (LLM) and answers (TTS), across two providers
//! per stage; interruptions are detected; connections are acquired new or reused; an LLM call is
//! rate-limited and falls back to the other LLM (its attempts are printed by outcome, its usage
//! charged to the model that served); then a realtime model holds a short session, and a plugin
//! blocks the async runtime once, which the stall monitor catches (see `sim.rs`). The session is
//! one job of a worker, whose metrics (jobs, load, process CPU and memory) are recorded too.
//! Every instrument of the schema is recorded at least once, all within one job, and each turn's
//! latency histograms are recorded as that turn completes.
//!
//! Where the metrics go is the `Telemetry` builder's choice, from the environment:
//! - nothing configured: the embedded in-process reader, and a summary table at the end;
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` (and the other `OTEL_*` variables): OTLP/HTTP there, with a
//!   final flush before exit;
//! - `LIVEKIT_URL` / `LIVEKIT_OBSERVABILITY_URL` with `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET`:
//!   LiveKit Cloud.
//!
//! With `--prices examples/prices.json` (a price table of the user's: see `cost::PriceTable`),
//! the session's usage is also printed as an estimated cost per model and for the session; a
//! model the table does not list is reported as not priced.

use std::process::ExitCode;

use agent_metrics::cost::PriceTable;
use agent_metrics::export::Telemetry;
use agent_metrics::schema::{TurnEndReason, TurnPart};
use agent_metrics::summary::summary_table;
use agent_metrics::turn::TurnStats;
use agent_metrics::worker::Worker;
use agent_metrics_test_support::{exit, sim};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

/// A simulated voice-agent session, recorded through the schema and exported.
#[derive(Parser)]
#[command(name = "agent_session")]
struct Args {
    /// Pipeline turns to simulate (at least 2, so that every provider takes a turn)
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(2..))]
    turns: u32,
    /// The simulation's random seed
    #[arg(long, value_name = "S", default_value_t = 7)]
    seed: u64,
    /// A price table (see `examples/prices.json`): print the session's estimated cost
    #[arg(long, value_name = "PRICES.json")]
    prices: Option<String>,
}

/// Reads the price table `--prices` names; a table that cannot be read is a usage error.
fn read_prices(path: &str) -> PriceTable {
    let table = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the price table {path}: {e}"))
        .and_then(|text| PriceTable::from_json(&text).map_err(|e| format!("{path}: {e}")));
    table.unwrap_or_else(|why| {
        Args::command()
            .error(ErrorKind::ValueValidation, why)
            .exit()
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    let prices = args.prices.map(|path| {
        let table = read_prices(&path);
        (path, table)
    });
    let telemetry = match Telemetry::builder().build() {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("agent_session: cannot set up metrics export: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Metrics: {} (GenAI conventions: {})",
        telemetry.mode(),
        telemetry.gen_ai_conventions()
    );
    println!(
        "Simulating {} pipeline turns and a realtime session (seed {}).",
        args.turns, args.seed
    );
    // The worker process's metrics: jobs, load, CPU and memory (the job ends with the session).
    let worker = Worker::builder().max_jobs(4).build(telemetry.meter());
    let mut session = sim::Session::new(args.seed, telemetry.recorder()).on_worker(worker.clone());
    println!("Each turn's end-to-end latency, in parts that add up (budget: sim::rules()):");
    session.run(args.turns, |turn, log| {
        println!("  turn {turn:>2}: {}", log.analysis.breakdown);
        if let Some(breach) = log.analysis.verdict.turn {
            println!(
                "           over budget: {} {:.2} s > {:.2} s",
                breach.part.as_str(),
                breach.seconds,
                breach.threshold
            );
        }
        if let Some((provider, model)) = log.switched_to {
            println!("           the agent reacts: switching to the faster LLM {provider}/{model}");
        }
    });
    sim::blocking_call(telemetry.meter());
    print!("{}", turn_summary(session.turn_stats()));
    println!(
        "Worker: the session ran as one job, ended as completed; {} job(s) running now, load {:.2}.",
        worker.running_jobs(),
        worker.load()
    );

    if let Some(capture) = telemetry.capture() {
        println!("\nNo collector configured: the embedded in-process reader collected this.\n");
        print!("{}", summary_table(&capture.collect()));
    }
    println!("\nProvider attempts by outcome:");
    for (attempt, count) in session.attempts_by_outcome() {
        println!("  {attempt}: {count}");
    }
    println!("\nSession usage:");
    for usage in session.usage.flatten() {
        println!("  {usage:?}");
    }
    if let Some((path, prices)) = &prices {
        let as_of = prices.as_of.as_deref().unwrap_or("an unstated date");
        println!("\nEstimated cost ({path}, prices as of {as_of}):");
        print!("{}", prices.estimate(&session.usage));
    }
    // The agent's work is done whatever happens to the export: report, and exit normally.
    if let Some(message) = exit::finish(&telemetry) {
        eprintln!("{message}");
    }
    ExitCode::SUCCESS
}

/// Where the session's turn time went, how its agent turns ended, and who interrupted whom.
fn turn_summary(stats: &TurnStats) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "\nWhere turn time went ({} turns broken down, {} replies without a breakdown):\n",
        stats.breakdowns, stats.skipped
    );
    for part in TurnPart::ALL {
        let share = stats.share(part);
        if share > 0.0 {
            let _ = writeln!(out, "  {:<24} {:>5.1}%", part.as_str(), share * 100.0);
        }
    }
    let _ = writeln!(out, "Agent turns by outcome:");
    for reason in TurnEndReason::ALL {
        let _ = writeln!(
            out,
            "  {:<24} {:>3}",
            reason.as_str(),
            stats.outcome(reason)
        );
    }
    let _ = writeln!(
        out,
        "Interruptions: {} by the user, {} by the agent; {} turns over the latency budget",
        stats.user_interruptions, stats.agent_interruptions, stats.turns_over_budget
    );
    out
}
