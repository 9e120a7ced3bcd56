//! The catalog: every instrument of the schema (and of any plugin type added to it), merged by
//! name, with the fields that feed it. The docs (`docs/METRICS.md`), the JSON list, the Grafana
//! dashboard, the Prometheus rules ([`rules`]), the compatibility gate (`diff`, with the `serde`
//! feature), the `catalog` example and the conflict check are built from it.

pub mod cardinality;
#[cfg(feature = "serde")]
pub mod diff;
#[cfg(feature = "serde")]
mod json;
pub mod prometheus;
pub mod rules;
pub mod self_metrics;

#[cfg(feature = "serde")]
pub use diff::{Change, Diff, DiffError};
#[cfg(feature = "serde")]
pub use json::panel_queries;
pub use rules::{RulesConfig, RulesError};

use std::fmt::Write as _;

use crate::schema::*;
use crate::{AgentMetric, Instrument, InstrumentDescriptor, InstrumentKind, Source, ValueType};

/// One instrument and every field that feeds it.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogEntry {
    /// The definition.
    pub instrument: Instrument,
    /// The value type.
    pub value_type: ValueType,
    /// Attribute keys, sorted.
    pub attributes: &'static [&'static str],
    /// The fields that feed it, in schema order.
    pub sources: Vec<Source>,
}

impl CatalogEntry {
    /// The series name a Prometheus scrape shows, as the OpenTelemetry Prometheus exporter
    /// translates it (see [`prometheus`]): `lk_agents_turn_e2e_latency_seconds`,
    /// `lk_agents_usage_tts_characters_total`, `acme_frame_size_bytes`. Histograms are queried
    /// through `_bucket`, `_sum` and `_count`.
    pub fn prometheus_name(&self) -> String {
        prometheus::metric_name(
            self.instrument.name,
            self.instrument.unit,
            self.instrument.kind,
        )
    }

    /// The attribute keys as Prometheus label names (`gen_ai.provider.name` is
    /// `gen_ai_provider_name`), in the order of [`attributes`](Self::attributes).
    pub fn prometheus_labels(&self) -> Vec<String> {
        self.attributes
            .iter()
            .map(|key| prometheus::label_name(key))
            .collect()
    }
}

/// Two fields that feed one instrument name with different definitions.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The instrument name.
    pub name: &'static str,
    /// The field whose definition was seen first.
    pub first: Source,
    /// The field that disagrees with it.
    pub second: Source,
}

/// Instruments by name, in the order they were first seen.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
    conflicts: Vec<Conflict>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every instrument of the schema, grouped as the Python framework's table lists them:
    /// turn histograms, usage counters, connection timing, the event loop, then the GenAI
    /// conventions' instruments; by name within a group.
    pub fn schema() -> Self {
        macro_rules! add_all {
            (
                union { $($field:ident: $variant:ident($ty:ty) = $tag:literal,)* }
                others { $($other:ident: $other_ty:ty,)* }
            ) => {{
                let mut c = Catalog::new();
                $(c.add::<$ty>();)*
                $(c.add::<$other_ty>();)*
                c
            }};
        }
        let mut c = with_event_types!(add_all);
        const GROUPS: [&str; 5] = [
            "lk.agents.turn.",
            "lk.agents.usage.",
            "lk.agents.connection.",
            "lk.agents.event_loop.",
            "gen_ai.",
        ];
        c.entries.sort_by_key(|e| {
            let name = e.instrument.name;
            let group = GROUPS.iter().position(|g| name.starts_with(g));
            (group.unwrap_or(GROUPS.len()), name)
        });
        c
    }

    /// Adds the instruments of `T` (a plugin's own metric type, say).
    pub fn add<T: AgentMetric>(&mut self) -> &mut Self {
        T::visit_instruments(&mut |d| self.insert(d));
        self
    }

    fn insert(&mut self, d: InstrumentDescriptor) {
        match self
            .entries
            .iter_mut()
            .find(|e| e.instrument.name == d.name())
        {
            Some(e) => {
                let same = e.instrument == d.instrument
                    && e.value_type == d.value_type
                    && e.attributes == d.attributes;
                if !same {
                    self.conflicts.push(Conflict {
                        name: d.name(),
                        first: e.sources[0],
                        second: d.source,
                    });
                }
                if !e.sources.contains(&d.source) {
                    e.sources.push(d.source);
                }
            }
            None => self.entries.push(CatalogEntry {
                instrument: d.instrument,
                value_type: d.value_type,
                attributes: d.attributes,
                sources: vec![d.source],
            }),
        }
    }

    /// The instruments.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// Fields that feed one name with different definitions; empty for a sound schema.
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// A Markdown table: name, kind, value type, unit, attributes, description, sources.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| name | kind | value | unit | attributes | description | fed by |\n|---|---|---|---|---|---|---|\n",
        );
        for e in &self.entries {
            let attrs: Vec<String> = e.attributes.iter().map(|k| format!("`{k}`")).collect();
            let sources: Vec<String> = e.sources.iter().map(|s| format!("`{s}`")).collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                e.instrument.name,
                e.instrument.kind,
                e.value_type,
                if e.instrument.unit.is_empty() {
                    String::new()
                } else {
                    format!("`{}`", e.instrument.unit)
                },
                attrs.join(", "),
                e.instrument.description,
                sources.join(", "),
            );
        }
        out
    }

    /// The whole of `docs/METRICS.md`: the table, the buckets and how names map to Prometheus.
    pub fn docs_markdown(&self) -> String {
        let mut out = String::from(
            "# Metrics\n\n\
             Generated from the catalog (`Catalog::docs_markdown`, printed by `cargo run --example \
             catalog`); the workspace's test fails when this file is stale (regenerate with \
             `UPDATE_DOCS=1 cargo test --test derive docs`).\n\n\
             Every instrument, with the event fields that feed it. Counters skip zero values; \
             `lk.agents.connection.acquire_time` is recorded only when greater than 0; turn \
             histograms are recorded when each turn completes.\n\n",
        );
        out.push_str(&self.to_markdown());
        out.push_str("\n## Histogram buckets\n\n");
        out.push_str(&self.buckets_markdown());
        out.push_str("\n## Prometheus names\n\n| instrument | Prometheus series |\n|---|---|\n");
        for e in &self.entries {
            let _ = writeln!(
                out,
                "| `{}` | `{}` |",
                e.instrument.name,
                e.prometheus_name()
            );
        }
        out
    }

    /// The histograms' bucket boundaries, one line each with their unit, for the docs.
    pub fn buckets_markdown(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            if e.instrument.kind == InstrumentKind::Histogram && !e.instrument.buckets.is_empty() {
                let _ = writeln!(
                    out,
                    "- `{}` (`{}`): {:?}",
                    e.instrument.name, e.instrument.unit, e.instrument.buckets
                );
            }
        }
        out
    }
}
