//! Prometheus rule groups generated from a [`Catalog`], over the names and labels a scrape shows
//! ([`prometheus`]):
//!
//! - recording rules: p50, p95 and p99 of every histogram and the rate of every counter, over
//!   5 minutes, by `job` and every attribute of the instrument (the model and provider, for the
//!   turn, usage and GenAI instruments). They follow Prometheus' `level:metric:operations`
//!   convention: `job:lk_agents_turn_e2e_latency_seconds:p95_rate5m`,
//!   `job:lk_agents_usage_tts_characters:rate5m` (`_total` dropped once a rate is taken);
//! - an SLO on end-to-end turn latency: the share of turns slower than a threshold, which must
//!   be a bucket bound of the histogram since only bounds can be counted exactly, alerted with
//!   the multi-window, multi-burn-rate conditions of the Google SRE workbook (2% of a 30-day
//!   budget in an hour, 5% in six hours);
//! - alerts on the library's own health: exports that failed, data points they dropped (both
//!   are reported once exports succeed again, see [`self_metrics`]), and
//!   event-loop blocks of severity `error`;
//! - a saturation alert on the worker: a worker whose load stayed at or above the threshold at
//!   which it stops taking jobs (LiveKit's `load_threshold`, 0.7 by default) for 10 minutes.
//!
//! The YAML is written by hand: every value is a single-quoted scalar, which YAML reads
//! verbatim except for `''`, so no PromQL or template needs any other escaping.

use core::fmt;
use std::fmt::Write as _;

use super::{Catalog, CatalogEntry, prometheus, self_metrics, turn_views};
use crate::InstrumentKind;
use crate::schema::TurnPart;

/// The instrument of the turn latency SLO.
pub const TURN_LATENCY: &str = "lk.agents.turn.e2e_latency";
/// The histogram of event-loop blocks, whose `severity="error"` series are alerted on.
pub const EVENT_LOOP_BLOCKED: &str = "lk.agents.event_loop.blocked_duration";

/// The range of the recording rules' rates.
pub(super) const RATE: &str = "5m";
const QUANTILES: [(&str, &str); 3] = [("0.5", "p50"), ("0.95", "p95"), ("0.99", "p99")];

/// The SRE workbook's burn-rate alerts: long window, short window, burn rate, severity.
const BURNS: [(&str, &str, f64, &str, &str); 2] = [
    ("1h", "5m", 14.4, "page", "Fast"),
    ("6h", "30m", 6.0, "ticket", "Slow"),
];

/// What the generated SLO promises.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RulesConfig {
    /// The share of turns that must complete within
    /// [`turn_latency_threshold`](Self::turn_latency_threshold), in (0, 1); 0.99 by default.
    pub turn_latency_target: f64,
    /// The end-to-end turn latency, in seconds, that counts a turn as slow; a bucket bound of
    /// `lk.agents.turn.e2e_latency`; 2 by default.
    pub turn_latency_threshold: f64,
    /// Seconds that one part of a turn's latency breakdown may take, per part (none by
    /// default): the [`LatencyBudget`](crate::turn::LatencyBudget) built from this config
    /// judges each part against its threshold.
    pub part_thresholds: Vec<(TurnPart, f64)>,
    /// The share of the end-to-end p95 above which one part's p95 counts as dominating a slow
    /// p95 (`AgentTurnLatencyDominatedByPart`); 0.5 by default.
    pub dominant_part_share: f64,
    /// The worker load, in (0, 1], from which a worker counts as saturated (it takes no new
    /// jobs); 0.7 by default, the Python framework's default `load_threshold`.
    pub worker_load_threshold: f64,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            turn_latency_target: 0.99,
            turn_latency_threshold: 2.0,
            part_thresholds: Vec::new(),
            dominant_part_share: 0.5,
            worker_load_threshold: 0.7,
        }
    }
}

impl RulesConfig {
    /// Gives `part` a threshold of `seconds`, replacing any it had.
    pub fn part_threshold(mut self, part: TurnPart, seconds: f64) -> Self {
        self.part_thresholds.retain(|(p, _)| *p != part);
        self.part_thresholds.push((part, seconds));
        self
    }
}
/// The window a worker's load must stay saturated for before the alert fires.
const SATURATION_WINDOW: &str = "10m";

/// Why rules could not be generated.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RulesError {
    /// The target is not strictly between 0 and 1.
    TargetOutOfRange(f64),
    /// The target leaves so large a budget that the fast burn rate could never be reached (the
    /// slow share would have to exceed 100%).
    TargetTooLow {
        /// The target.
        target: f64,
        /// The share of slow turns the fast-burn alert would need.
        needed: f64,
    },
    /// The worker load threshold is not in (0, 1].
    LoadThresholdOutOfRange(f64),
    /// The threshold is not one of the histogram's bucket bounds.
    ThresholdNotABucket {
        /// The threshold.
        threshold: f64,
        /// The histogram's bounds.
        buckets: &'static [f64],
    },
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesError::TargetOutOfRange(t) => {
                write!(f, "the turn latency target {t} is not between 0 and 1")
            }
            RulesError::TargetTooLow { target, needed } => write!(
                f,
                "the turn latency target {target} is too low: the fast-burn alert would need \
                 {}% of turns to be slow, more than all of them",
                round(needed * 100.0)
            ),
            RulesError::LoadThresholdOutOfRange(t) => {
                write!(f, "the worker load threshold {t} is not in (0, 1]")
            }
            RulesError::ThresholdNotABucket { threshold, buckets } => write!(
                f,
                "the turn latency threshold {threshold} s is not a bucket bound of \
                 {TURN_LATENCY}, so the share of slower turns cannot be counted; pick one of \
                 {buckets:?}"
            ),
        }
    }
}

impl std::error::Error for RulesError {}

impl Catalog {
    /// A Prometheus rules file (YAML) for this catalog: recording rules for every histogram
    /// and counter, the turn latency SLO's burn-rate alerts, and alerts on export failures,
    /// dropped data points, event-loop blocks of severity `error` and a saturated worker (see the
    /// [module](crate::catalog::rules) docs). The SLO, the block alert and the saturation alert
    /// are left out of a catalog without their instrument (one a plugin builds from
    /// [`Catalog::new`]).
    ///
    /// ```
    /// use agent_metrics::catalog::{Catalog, RulesConfig};
    ///
    /// let mut config = RulesConfig::default();
    /// config.turn_latency_threshold = 1.5;
    /// let yaml = Catalog::schema().prometheus_rules(&config).unwrap();
    /// assert!(yaml.contains("alert: 'AgentTurnLatencyBudgetBurnFast'"));
    ///
    /// config.turn_latency_threshold = 1.2;
    /// assert!(Catalog::schema().prometheus_rules(&config).is_err());
    /// ```
    pub fn prometheus_rules(&self, config: &RulesConfig) -> Result<String, RulesError> {
        let latency = self.entry(TURN_LATENCY);
        if let Some(latency) = latency {
            check(config, latency)?;
        }
        let load = config.worker_load_threshold;
        if !(load > 0.0 && load <= 1.0) {
            return Err(RulesError::LoadThresholdOutOfRange(load));
        }
        let mut out = Yaml::new();
        out.group("agent-metrics:histogram-quantiles");
        for e in self.of_kind(InstrumentKind::Histogram) {
            let metric = e.prometheus_name();
            let by = by_labels(e, &["le"]);
            for (q, op) in QUANTILES {
                out.record(
                    &format!("job:{metric}:{op}_rate{RATE}"),
                    &format!(
                        "histogram_quantile({q}, sum by ({by}) (rate({metric}_bucket[{RATE}])))"
                    ),
                );
            }
        }
        out.group("agent-metrics:counter-rates");
        for e in self.of_kind(InstrumentKind::Counter) {
            let metric = e.prometheus_name();
            let base = metric.strip_suffix("_total").unwrap_or(&metric);
            let by = by_labels(e, &[]);
            out.record(
                &format!("job:{base}:rate{RATE}"),
                &format!("sum by ({by}) (rate({metric}[{RATE}]))"),
            );
        }
        if let Some(latency) = latency {
            latency_slo(&mut out, latency, config);
        }
        turn_views::rules(&mut out, self, config);
        pipeline_health(&mut out, self.entry(EVENT_LOOP_BLOCKED));
        if let Some(load) = self.entry(crate::worker::LOAD.name) {
            worker_saturation(&mut out, load, config.worker_load_threshold);
        }
        Ok(out.0)
    }

    pub(super) fn entry(&self, name: &str) -> Option<&CatalogEntry> {
        self.entries().iter().find(|e| e.instrument.name == name)
    }

    fn of_kind(&self, kind: InstrumentKind) -> impl Iterator<Item = &CatalogEntry> {
        self.entries()
            .iter()
            .filter(move |e| e.instrument.kind == kind)
    }
}

fn check(config: &RulesConfig, latency: &CatalogEntry) -> Result<(), RulesError> {
    let target = config.turn_latency_target;
    if !(target > 0.0 && target < 1.0) {
        return Err(RulesError::TargetOutOfRange(target));
    }
    let needed = BURNS[0].2 * (1.0 - target);
    if needed >= 1.0 {
        return Err(RulesError::TargetTooLow { target, needed });
    }
    let buckets = latency.instrument.buckets;
    if !buckets.contains(&config.turn_latency_threshold) {
        return Err(RulesError::ThresholdNotABucket {
            threshold: config.turn_latency_threshold,
            buckets,
        });
    }
    Ok(())
}

/// `job`, then `extra`, then the instrument's labels.
fn by_labels(e: &CatalogEntry, extra: &[&str]) -> String {
    let mut by: Vec<String> = std::iter::once("job")
        .chain(extra.iter().copied())
        .map(str::to_owned)
        .collect();
    by.extend(e.prometheus_labels());
    by.join(", ")
}

fn latency_slo(out: &mut Yaml, latency: &CatalogEntry, config: &RulesConfig) {
    let metric = latency.prometheus_name();
    let threshold = config.turn_latency_threshold;
    let target = config.turn_latency_target;
    let le = le_matcher(threshold);
    let ratio = |window: &str| format!("job:{metric}:slow_ratio_rate{window}");
    out.group("agent-metrics:turn-latency-slo");
    let short = BURNS.iter().map(|b| b.1);
    for window in short.chain(BURNS.iter().map(|b| b.0)) {
        out.record(
            &ratio(window),
            &format!(
                "(sum by (job) (rate({metric}_count[{window}])) - sum by (job) \
                 (rate({metric}_bucket{{{le}}}[{window}]))) / sum by (job) \
                 (rate({metric}_count[{window}]))"
            ),
        );
    }
    let percent = |share: f64| format!("{}%", round(share * 100.0));
    for (long, short, burn, severity, speed) in BURNS {
        let over = format!("({burn} * (1 - {target}))");
        out.alert(&Alert {
            name: &format!("AgentTurnLatencyBudgetBurn{speed}"),
            expr: &format!(
                "{} > {over} and {} > {over}",
                ratio(long),
                ratio(short)
            ),
            labels: &[("severity", severity)],
            annotations: &[
                (
                    "summary",
                    &format!(
                        "Turns of {{{{ $labels.job }}}} exceed {threshold} s {burn}x faster than the SLO allows"
                    ),
                ),
                (
                    "description",
                    &format!(
                        "More than {} of the turns of {{{{ $labels.job }}}} took longer than \
                         {threshold} s end to end over the last {long} and {short}; at this \
                         rate the 30-day error budget ({}) of the {} target is gone in {} days.",
                        percent(burn * (1.0 - target)),
                        percent(1.0 - target),
                        percent(target),
                        round(30.0 / burn),
                    ),
                ),
            ],
        });
    }
}

fn pipeline_health(out: &mut Yaml, blocked: Option<&CatalogEntry>) {
    out.group("agent-metrics:pipeline-health");
    let counter = |i: crate::Instrument| prometheus::metric_name(i.name, i.unit, i.kind);
    let failures = counter(self_metrics::EXPORT_FAILURES);
    let dropped = counter(self_metrics::EXPORT_DROPPED);
    // Both counters travel with the data, so they arrive when exports succeed again: a window
    // long enough to still hold the burst after a short outage.
    out.alert(&Alert {
        name: "AgentMetricsExportsFailed",
        expr: &format!("sum by (job, instance) (increase({failures}[30m])) > 0"),
        labels: &[("severity", "ticket")],
        annotations: &[
            ("summary", "Metric exports of {{ $labels.instance }} failed"),
            (
                "description",
                "Exports from {{ $labels.job }} / {{ $labels.instance }} failed after their \
                 retries in the last 30m (counted once exports succeed again); see its \
                 `metrics export failed` warning for the reason.",
            ),
        ],
    });
    out.alert(&Alert {
        name: "AgentMetricsDataPointsDropped",
        expr: &format!("sum by (job, instance) (increase({dropped}[30m])) > 0"),
        labels: &[("severity", "ticket")],
        annotations: &[
            (
                "summary",
                "Metric data points of {{ $labels.instance }} were lost",
            ),
            (
                "description",
                "{{ $labels.job }} / {{ $labels.instance }} dropped data points in the last \
                 30m because their export failed: dashboards and usage totals miss that \
                 interval.",
            ),
        ],
    });
    if let Some(blocked) = blocked {
        let metric = blocked.prometheus_name();
        out.alert(&Alert {
            name: "AgentEventLoopBlocked",
            expr: &format!(
                "sum by (job, instance) (increase({metric}_count{{severity=\"error\"}}[10m])) > 0"
            ),
            labels: &[("severity", "ticket")],
            annotations: &[
                (
                    "summary",
                    "The event loop of {{ $labels.instance }} was blocked",
                ),
                (
                    "description",
                    "{{ $labels.job }} / {{ $labels.instance }} had event-loop blocks of \
                     severity error in the last 10m: every session on that loop stalled \
                     (audio, turn detection, replies).",
                ),
            ],
        });
    }
}

fn worker_saturation(out: &mut Yaml, load: &CatalogEntry, threshold: f64) {
    let metric = load.prometheus_name();
    let window = SATURATION_WINDOW;
    out.group("agent-metrics:worker-saturation");
    out.alert(&Alert {
        name: "AgentWorkerSaturated",
        expr: &format!("min by (job, instance) (min_over_time({metric}[{window}])) >= {threshold}"),
        labels: &[("severity", "ticket")],
        annotations: &[
            ("summary", "Worker {{ $labels.instance }} is saturated"),
            (
                "description",
                &format!(
                    "The load of {{{{ $labels.job }}}} / {{{{ $labels.instance }}}} stayed at \
                     or above {threshold} for {window}: it takes no new jobs, so rooms wait \
                     for another worker. Add workers or capacity."
                ),
            ),
        ],
    });
}

/// A matcher of the `le` label for the bound `v`: the Rust exporter writes `2`, Prometheus 3
/// normalizes it to `2.0` on ingestion, and Go's shortest form writes `1e+06` where Rust
/// writes `1000000`.
fn le_matcher(v: f64) -> String {
    let mut spellings = vec![format!("{v}")];
    if v.fract() == 0.0 && v.abs() < 1e21 {
        spellings.push(format!("{v}.0"));
    }
    let go = go_float(v);
    if !spellings.contains(&go) {
        spellings.push(go);
    }
    if spellings.len() == 1 {
        return format!("le=\"{}\"", spellings[0]);
    }
    let alternatives: Vec<String> = spellings
        .iter()
        .map(|s| s.replace('.', "[.]").replace('+', "[+]"))
        .collect();
    format!("le=~\"{}\"", alternatives.join("|"))
}

/// `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest digits, in exponent form when the
/// exponent is below -4 or at least 6, with a signed exponent of at least two digits.
fn go_float(v: f64) -> String {
    let sci = format!("{v:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if v == 0.0 || (-4..6).contains(&exp) {
        return format!("{v}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// `x` to at most 2 decimals, without trailing zeros.
pub(super) fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(super) struct Alert<'a> {
    pub(super) name: &'a str,
    pub(super) expr: &'a str,
    pub(super) labels: &'a [(&'a str, &'a str)],
    pub(super) annotations: &'a [(&'a str, &'a str)],
}

/// A rules file being written. A group is written with its first rule, so that a catalog
/// without histograms, say, gets no empty group (`rules:` with nothing is null to YAML).
pub(super) struct Yaml(String, Option<&'static str>);

impl Yaml {
    fn new() -> Self {
        Yaml(
            String::from(
                "# Generated from the agent-metrics catalog (Catalog::prometheus_rules, printed by\n\
                 # `cargo run --example catalog -- --format prometheus-rules`); do not edit.\n\
                 groups:\n",
            ),
            None,
        )
    }

    pub(super) fn group(&mut self, name: &'static str) {
        self.1 = Some(name);
    }

    fn start_rule(&mut self) {
        if let Some(name) = self.1.take() {
            let _ = write!(self.0, "  - name: {}\n    rules:\n", quote(name));
        }
    }

    pub(super) fn record(&mut self, record: &str, expr: &str) {
        self.start_rule();
        let _ = write!(
            self.0,
            "      - record: {}\n        expr: {}\n",
            quote(record),
            quote(expr)
        );
    }

    pub(super) fn alert(&mut self, a: &Alert<'_>) {
        self.start_rule();
        let _ = write!(
            self.0,
            "      - alert: {}\n        expr: {}\n",
            quote(a.name),
            quote(a.expr)
        );
        for (section, pairs) in [("labels", a.labels), ("annotations", a.annotations)] {
            let _ = writeln!(self.0, "        {section}:");
            for (k, v) in pairs {
                let _ = writeln!(self.0, "          {k}: {}", quote(v));
            }
        }
    }
}

/// A single-quoted YAML scalar: verbatim but for `'`, doubled. Line breaks would fold into
/// spaces, so none is ever passed (the callers' text is on one line).
fn quote(s: &str) -> String {
    debug_assert!(!s.contains('\n'), "{s}");
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_matches_every_spelling_of_the_bound() {
        assert_eq!(le_matcher(0.25), "le=\"0.25\"");
        assert_eq!(le_matcher(2.0), "le=~\"2|2[.]0\"");
        assert_eq!(
            le_matcher(1_048_576.0),
            "le=~\"1048576|1048576[.]0|1[.]048576e[+]06\""
        );
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(100_000.0), "100000");
    }

    #[test]
    fn quoting_doubles_single_quotes_only() {
        assert_eq!(quote(r#"a{le="1"} 'x' \d"#), r#"'a{le="1"} ''x'' \d'"#);
    }

    #[test]
    fn the_config_is_checked() {
        let schema = Catalog::schema();
        let with = |target, threshold| {
            schema.prometheus_rules(&RulesConfig {
                turn_latency_target: target,
                turn_latency_threshold: threshold,
                ..RulesConfig::default()
            })
        };
        let load = |threshold| {
            schema.prometheus_rules(&RulesConfig {
                worker_load_threshold: threshold,
                ..RulesConfig::default()
            })
        };
        assert!(load(1.0).is_ok());
        assert_eq!(load(0.0), Err(RulesError::LoadThresholdOutOfRange(0.0)));
        assert!(matches!(
            load(f64::NAN),
            Err(RulesError::LoadThresholdOutOfRange(_))
        ));
        assert!(with(0.99, 2.0).is_ok());
        assert!(with(0.95, 0.5).is_ok());
        assert!(matches!(
            with(0.99, 2.5),
            Err(RulesError::ThresholdNotABucket { threshold: 2.5, .. })
        ));
        assert_eq!(with(1.0, 2.0), Err(RulesError::TargetOutOfRange(1.0)));
        assert!(matches!(
            with(f64::NAN, 2.0),
            Err(RulesError::TargetOutOfRange(_))
        ));
        assert!(matches!(
            with(0.9, 2.0),
            Err(RulesError::TargetTooLow { .. })
        ));
    }

    #[test]
    fn every_histogram_and_counter_gets_recording_rules() {
        let schema = Catalog::schema();
        let yaml = schema.prometheus_rules(&RulesConfig::default()).unwrap();
        for e in schema.entries() {
            let metric = e.prometheus_name();
            match e.instrument.kind {
                InstrumentKind::Histogram => {
                    for op in ["p50", "p95", "p99"] {
                        let record = format!("record: 'job:{metric}:{op}_rate5m'");
                        assert!(yaml.contains(&record), "{record}");
                    }
                }
                InstrumentKind::Counter => {
                    let base = metric.trim_end_matches("_total");
                    let record = format!("record: 'job:{base}:rate5m'");
                    assert!(yaml.contains(&record), "{record}");
                }
                _ => {}
            }
        }
        let by_model = "sum by (job, le, model_name, model_provider) \
                        (rate(lk_agents_turn_e2e_latency_seconds_bucket[5m]))";
        assert!(yaml.contains(by_model), "{yaml}");
    }

    #[test]
    fn the_slo_counts_turns_above_the_threshold_bucket() {
        let config = RulesConfig {
            turn_latency_target: 0.95,
            turn_latency_threshold: 0.75,
            ..RulesConfig::default()
        };
        let yaml = Catalog::schema().prometheus_rules(&config).unwrap();
        assert!(
            yaml.contains("rate(lk_agents_turn_e2e_latency_seconds_bucket{le=\"0.75\"}[1h])"),
            "{yaml}"
        );
        assert!(yaml.contains(
            "expr: 'job:lk_agents_turn_e2e_latency_seconds:slow_ratio_rate1h > (14.4 * (1 - 0.95)) \
             and job:lk_agents_turn_e2e_latency_seconds:slow_ratio_rate5m > (14.4 * (1 - 0.95))'"
        ));
        assert!(yaml.contains("More than 72% of the turns"), "{yaml}");
        for name in [
            "AgentTurnLatencyBudgetBurnSlow",
            "AgentMetricsExportsFailed",
            "AgentMetricsDataPointsDropped",
            "AgentEventLoopBlocked",
            "AgentWorkerSaturated",
        ] {
            assert!(yaml.contains(&format!("alert: '{name}'")), "{name}");
        }
        assert!(
            yaml.contains("min_over_time(lk_agents_worker_load_ratio[10m])) >= 0.7"),
            "{yaml}"
        );
        assert!(yaml.contains("agent_metrics_export_dropped_total[30m]"));
    }

    #[test]
    fn a_catalog_without_the_slo_instruments_gets_the_rest() {
        let yaml = Catalog::new()
            .prometheus_rules(&RulesConfig::default())
            .unwrap();
        assert!(!yaml.contains("AgentTurnLatency"));
        assert!(!yaml.contains("AgentEventLoopBlocked"));
        assert!(!yaml.contains("AgentWorkerSaturated"));
        assert!(yaml.contains("AgentMetricsExportsFailed"));
    }
}
