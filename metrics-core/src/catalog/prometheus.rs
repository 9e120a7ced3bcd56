//! The names a Prometheus scrape shows for an instrument and its attributes: the translation the
//! OpenTelemetry Prometheus exporter applies (and Prometheus' own OTLP receiver too), so that
//! dashboards and rules generated from the catalog query what is really there.
//!
//! - Names: every character outside `[A-Za-z0-9_:]` becomes `_`, a leading digit gets a `_`
//!   prefix, then the unit's suffix (`s` gives `_seconds`, `By` gives `_bytes`, `1` gives
//!   `_ratio`, `x/s` gives `_x_per_second`; annotations such as `{token}` add nothing), then
//!   `_total` for counters. Histograms are queried through `_bucket`, `_sum` and `_count`.
//! - Labels: every character outside `[A-Za-z0-9_:]` becomes `_` (`gen_ai.provider.name` is
//!   `gen_ai_provider_name`).

use crate::InstrumentKind;

/// The series name of an instrument called `name`, of `kind`, recording in `unit`.
pub fn metric_name(name: &str, unit: &str, kind: InstrumentKind) -> String {
    let mut out = sanitize(name, true);
    if let Some(suffix) = unit_suffix(unit) {
        out.push('_');
        out.push_str(&suffix);
    }
    if kind == InstrumentKind::Counter {
        out.push_str("_total");
    }
    out
}

/// The label name of the attribute `key`.
pub fn label_name(key: &str) -> String {
    sanitize(key, false)
}

fn sanitize(s: &str, is_name: bool) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    if is_name && s.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    out.extend(s.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            c
        } else {
            '_'
        }
    }));
    out
}

/// The name suffix of a UCUM unit, if Prometheus gives it one.
pub(crate) fn unit_suffix(unit: &str) -> Option<String> {
    if let Some(word) = unit_word(unit) {
        return Some(word.to_owned());
    }
    let (per, rate) = unit.split_once('/')?;
    let rate = per_word(rate)?;
    // Time units and `1` read as "per": `1/s` is `per_second`.
    match unit_word(per) {
        Some(word) if !matches!(per, "1" | "d" | "h" | "min" | "s" | "ms" | "us" | "ns") => {
            Some(format!("{word}_per_{rate}"))
        }
        _ => Some(format!("per_{rate}")),
    }
}

fn unit_word(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" | "B" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" | "KB" => "kilobytes",
        "MBy" | "MB" => "megabytes",
        "GBy" | "GB" => "gigabytes",
        "TBy" | "TB" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "ratio",
        "%" => "percent",
        _ => return None,
    })
}

fn per_word(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstrumentKind::{Counter, Gauge, Histogram};

    #[test]
    fn names_follow_the_exporters_translation() {
        let cases = [
            (
                "lk.agents.turn.e2e_latency",
                "s",
                Histogram,
                "lk_agents_turn_e2e_latency_seconds",
            ),
            (
                "lk.agents.usage.llm_input_tokens",
                "{token}",
                Counter,
                "lk_agents_usage_llm_input_tokens_total",
            ),
            (
                "lk.agents.usage.stt_audio_duration",
                "s",
                Counter,
                "lk_agents_usage_stt_audio_duration_seconds_total",
            ),
            (
                "acme.stt.frame_size",
                "By",
                Histogram,
                "acme_stt_frame_size_bytes",
            ),
            ("acme.queue.fill", "1", Gauge, "acme_queue_fill_ratio"),
            ("acme.rate", "By/s", Gauge, "acme_rate_bytes_per_second"),
            ("acme.events", "1/s", Gauge, "acme_events_per_second"),
            ("9lives", "", Counter, "_9lives_total"),
        ];
        for (name, unit, kind, want) in cases {
            assert_eq!(metric_name(name, unit, kind), want, "{name} in {unit}");
        }
        assert_eq!(label_name("gen_ai.provider.name"), "gen_ai_provider_name");
        assert_eq!(label_name("model_name"), "model_name");
    }
}
