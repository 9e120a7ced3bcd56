//! The catalog: every instrument of the schema (and of any plugin type added to it), merged by
//! name, with the fields that feed it, and the artifacts generated from it: a Markdown reference
//! page ([`Catalog::docs_page`]; `docs/METRICS.md` is the schema's), the instrument list as JSON
//! and a Grafana dashboard (`Catalog::to_json`, `Catalog::grafana_dashboard`, feature `serde`),
//! the Prometheus rules ([`rules`]), the compatibility gate (`Catalog::diff`, feature `serde`),
//! the Prometheus names ([`CatalogEntry::prometheus_name`]), the cardinality views
//! ([`cardinality`]) and the conflict check ([`Catalog::conflicts`]). Every artifact is a method
//! on any catalog, so a plugin that adds its types gets them for its instruments too; the
//! `catalog` example only prints the schema's.

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
    /// Sentences for the docs page, in the order added.
    notes: Vec<&'static str>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every instrument of the schema, grouped as the Python framework's table lists them:
    /// turn histograms, usage counters, connection timing, the event loop, then the GenAI
    /// conventions' instruments, then ours beyond it (provider attempts, and the worker process's
    /// instruments of [`crate::worker`], fed by no event); by name within a group.
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
        for w in crate::worker::ALL {
            c.entries.push(CatalogEntry {
                instrument: w.instrument,
                value_type: w.value_type,
                attributes: w.attributes,
                sources: vec![w.source],
            });
        }
        const GROUPS: [&str; 8] = [
            "lk.agents.turn.",
            "lk.agents.usage.",
            "lk.agents.connection.",
            "lk.agents.event_loop.",
            "gen_ai.",
            "lk.agents.provider.",
            "lk.agents.worker.",
            "process.",
        ];
        c.entries.sort_by_key(|e| {
            let name = e.instrument.name;
            let group = GROUPS.iter().position(|g| name.starts_with(g));
            (group.unwrap_or(GROUPS.len()), name)
        });
        c.note("The schema's counters skip zero values; `lk.agents.connection.acquire_time` is recorded only when greater than 0; turn histograms are recorded when each turn completes.");
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

    /// A reference page for this catalog, titled "Metrics": see [`docs_page`](Self::docs_page).
    /// `docs/METRICS.md` is `Catalog::schema().docs_markdown()`.
    pub fn docs_markdown(&self) -> String {
        self.docs_page("Metrics", "")
    }

    /// A Markdown reference page: `# title`, `intro` (a paragraph of the caller's, e.g. how the
    /// file is regenerated; nothing when empty), the catalog's notes, the instrument table
    /// ([`to_markdown`](Self::to_markdown)), the histograms' buckets grouped by unit
    /// ([`buckets_markdown`](Self::buckets_markdown)) and the series names a Prometheus scrape
    /// shows. A plugin calls it on its extended catalog to ship a page of its own.
    ///
    /// ```
    /// use agent_metrics_core::catalog::Catalog;
    /// let page = Catalog::schema().docs_page("Acme agent metrics", "Regenerate with `make docs`.");
    /// assert!(page.starts_with("# Acme agent metrics\n\nRegenerate with `make docs`.\n\n"));
    /// assert!(page.contains("### `s` (seconds)"));
    /// assert!(page.contains("| `lk.agents.turn.e2e_latency` | `lk_agents_turn_e2e_latency_seconds` |"));
    /// ```
    pub fn docs_page(&self, title: &str, intro: &str) -> String {
        let mut out = format!("# {title}\n\n");
        if !intro.is_empty() {
            let _ = write!(out, "{}\n\n", intro.trim_end());
        }
        out.push_str(
            "Generated from the catalog (`Catalog::docs_page`): every instrument with the fields \
             that feed it, the histograms' buckets by unit, and the series names a Prometheus \
             scrape shows.",
        );
        for note in &self.notes {
            out.push(' ');
            out.push_str(note);
        }
        out.push_str("\n\n");
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

    /// The histograms' bucket boundaries, grouped by unit (in the order units first appear),
    /// one line per histogram, for the docs: a list in bytes never sits under a seconds heading.
    pub fn buckets_markdown(&self) -> String {
        let histograms: Vec<&CatalogEntry> = self
            .entries
            .iter()
            .filter(|e| {
                e.instrument.kind == InstrumentKind::Histogram && !e.instrument.buckets.is_empty()
            })
            .collect();
        let mut units: Vec<&str> = Vec::new();
        for e in &histograms {
            if !units.contains(&e.instrument.unit) {
                units.push(e.instrument.unit);
            }
        }
        let mut out = String::new();
        for unit in units {
            let _ = match (unit, prometheus::unit_suffix(unit)) {
                ("", _) => writeln!(out, "### No unit\n"),
                (unit, Some(words)) => {
                    writeln!(out, "### `{unit}` ({})\n", words.replace('_', " "))
                }
                (unit, None) => writeln!(out, "### `{unit}`\n"),
            };
            for e in histograms.iter().filter(|e| e.instrument.unit == unit) {
                let _ = writeln!(out, "- `{}`: {:?}", e.instrument.name, e.instrument.buckets);
            }
            out.push('\n');
        }
        out.truncate(out.trim_end().len());
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }

    /// Adds a sentence the docs page prints above the table: a recording rule that holds for
    /// the catalog's instruments (which values are skipped, when they are recorded).
    pub fn note(&mut self, sentence: &'static str) -> &mut Self {
        self.notes.push(sentence);
        self
    }
}
