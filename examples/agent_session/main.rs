//! The main job: a simulated voice-agent session, recorded through the schema and exported.
//!
//! ```text
//! cargo run --example agent_session -- [--turns N] [--seed S] [--prices PRICES.json]
//! ```
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

struct Args {
    turns: u32,
    seed: u64,
    prices: Option<(String, PriceTable)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        turns: 8,
        seed: 7,
        prices: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--turns" => {
                args.turns = value("--turns")?
                    .parse()
                    .map_err(|_| "--turns takes a whole number".to_owned())?
            }
            "--seed" => {
                args.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed takes a whole number".to_owned())?
            }
            "--prices" => {
                let path = value("--prices")?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read the price table {path}: {e}"))?;
                let table = PriceTable::from_json(&text).map_err(|e| format!("{path}: {e}"))?;
                args.prices = Some((path, table));
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.turns < 2 {
        return Err("--turns must be at least 2, so that every provider takes a turn".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) => {
            eprintln!(
                "agent_session: {why}\nusage: agent_session [--turns N] [--seed S] [--prices PRICES.json]"
            );
            return ExitCode::from(2);
        }
    };
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
    if let Some((path, prices)) = &args.prices {
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
