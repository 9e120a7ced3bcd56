//! The catalog: every instrument of the schema (and of any plugin type added to it), merged by
//! name, with the fields that feed it, and the artifacts generated from it: a Markdown reference
//! page ([`Catalog::docs_page`]; `docs/METRICS.md` is the schema's), the instrument list as JSON
//! and a Grafana dashboard (`Catalog::to_json`, `Catalog::grafana_dashboard`, feature `serde`),
//! the Prometheus rules ([`rules`]), the compatibility gate (`Catalog::diff`, feature `serde`),
//! the Prometheus names ([`CatalogEntry::prometheus_name`]), the cardinality views
//! ([`cardinality`]) and the conflict check ([`Catalog::conflicts`]). Every artifact is a method
//! on any catalog, so a plugin that adds its types gets them for its instruments too; the
//! `catalog` example only prints the schema's.
//!
//! # Words
//!
//! | word | means |
//! |---|---|
//! | entry | one instrument name in the catalog, with every field that feeds it ([`CatalogEntry`]) |
//! | conflict | two definitions of one instrument name that differ in kind, unit, boundaries or attributes ([`Catalog::conflicts`]) |
//! | rules | Prometheus recording and alerting rules ([`rules`]); the checks an instrument definition passes are [`checks`](crate::checks) |
//! | panel | one Grafana panel of the generated dashboard, with its PromQL queries |
//! | view | an SDK view that keeps an instrument's attributes within a cardinality limit ([`cardinality`]) |

pub mod cardinality;
#[cfg(feature = "serde")]
pub mod diff;
#[cfg(feature = "serde")]
mod json;
pub mod prometheus;
pub mod rules;
pub use crate::contract::self_metrics;
mod turn_views;

#[cfg(feature = "serde")]
pub use diff::{Change, Diff, DiffError};
#[cfg(feature = "serde")]
pub use json::panel_queries;
pub use rules::{RulesConfig, RulesError};

use std::fmt::Write as _;

use crate::schema::*;
use crate::{AgentMetric, FieldPath, Instrument, InstrumentDescriptor, InstrumentKind, ValueType};

/// What the docs say about the opt-in's entries.
const OPT_IN_NOTE: &str = "Instruments marked `gen_ai_latest_experimental` are what \
     `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` (or \
     `TelemetryBuilder::gen_ai_conventions`) emits beside the default ones; one with the name of \
     a default instrument replaces that definition. A turn ended `cancelled` is reported there as \
     `interrupted`, the conventions having no `cancelled`.";

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
    pub sources: Vec<FieldPath>,
    /// `None` for an instrument emitted by default; the `OTEL_SEMCONV_STABILITY_OPT_IN` entry
    /// (`gen_ai_latest_experimental`) for one emitted with this definition only under that
    /// opt-in (see [`GenAiConventions`]).
    pub opt_in: Option<&'static str>,
}

impl CatalogEntry {
    /// Whether two entries define the same instrument: kind, unit, description, buckets, value
    /// type and attribute keys.
    pub fn same_definition(&self, other: &CatalogEntry) -> bool {
        self.instrument == other.instrument
            && self.value_type == other.value_type
            && self.attributes == other.attributes
    }

    /// The instrument name, followed by ` (opt-in <entry>)` for an opt-in's instrument: how the
    /// docs and the diff tell the two definitions of one name apart.
    pub fn label(&self) -> String {
        match self.opt_in {
            None => self.instrument.name.to_owned(),
            Some(opt_in) => format!("{} (opt-in {opt_in})", self.instrument.name),
        }
    }

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

/// Two fields that feed one instrument name with different definitions. Its `Display` is one
/// line: the name, both fields, and what differs.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The instrument name.
    pub name: &'static str,
    /// The field whose definition was seen first.
    pub first: FieldPath,
    /// The field that disagrees with it.
    pub second: FieldPath,
    /// What differs, each as "what (first vs second)": kind (`counter vs histogram`), unit,
    /// buckets, value type, attributes, cardinality limit, long durations; and "description".
    pub differences: Vec<String>,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}`: `{}` and `{}` differ in {}",
            self.name,
            self.first,
            self.second,
            self.differences.join(", ")
        )
    }
}

/// Instruments by name, in the order they were first seen.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
    conflicts: Vec<Conflict>,
    /// Sentences for the docs page, in the order added.
    notes: Vec<&'static str>,
    /// How many of the entries the schema constructors put there; the rest were added (a
    /// plugin's own instruments).
    schema_entries: usize,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every instrument of the schema as a default recorder emits it (the GenAI conventions of
    /// livekit-agents 1.8.9), grouped as the Python framework's table lists them: turn
    /// histograms, usage counters, connection timing, the event loop, then the GenAI
    /// conventions' instruments, then ours beyond it (provider attempts, and the worker
    /// process's instruments of [`crate::worker`], fed by no event); by name within a group.
    /// [`schema_for`](Self::schema_for) and [`schema_with_opt_ins`](Self::schema_with_opt_ins)
    /// add the GenAI opt-in.
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
                opt_in: None,
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
        c.schema_entries = c.entries.len();
        c
    }

    /// What a recorder following `conventions` emits: [`schema`](Self::schema) for the default;
    /// under [`GenAiConventions::LatestExperimental`], the instruments it redefines replaced by
    /// their new definitions and the ones it adds appended, each marked with its
    /// [`opt_in`](CatalogEntry::opt_in).
    ///
    /// ```
    /// use agent_metrics::{catalog::Catalog, schema::GenAiConventions};
    /// let latest = Catalog::schema_for(GenAiConventions::LatestExperimental);
    /// let workflow = latest.entries().iter().find(|e| e.instrument.name == "gen_ai.workflow.duration");
    /// assert_eq!(workflow.unwrap().opt_in, Some("gen_ai_latest_experimental"));
    /// assert_eq!(Catalog::schema_for(GenAiConventions::LiveKit).entries(), Catalog::schema().entries());
    /// ```
    pub fn schema_for(conventions: GenAiConventions) -> Self {
        let mut c = Self::schema();
        if let Some(opt_in) = conventions.opt_in() {
            c.add_opt_in(opt_in, true);
        }
        c
    }

    /// Both modes: every instrument of [`schema`](Self::schema), then those of the
    /// `gen_ai_latest_experimental` opt-in that differ from them, marked with their
    /// [`opt_in`](CatalogEntry::opt_in). `docs/METRICS.md` and the `catalog` example show this
    /// one, so that `Catalog::diff` (feature `serde`) tells the opt-in's instruments as additions.
    pub fn schema_with_opt_ins() -> Self {
        let mut c = Self::schema();
        c.add_opt_in(GenAiConventions::LATEST_EXPERIMENTAL, false);
        c
    }

    /// Adds the opt-in's instruments. One the default also feeds with the same definition
    /// keeps the default's fields too (they still feed it under the opt-in); with `replace`,
    /// the default entry of a name the opt-in redefines gives way.
    fn add_opt_in(&mut self, opt_in: &'static str, replace: bool) {
        let mut views = Catalog::new();
        visit_latest_instruments(&mut |d| views.insert(d));
        for mut e in views.entries {
            e.opt_in = Some(opt_in);
            let default = self
                .entries
                .iter()
                .position(|d| d.opt_in.is_none() && d.instrument.name == e.instrument.name);
            match default {
                Some(i) if self.entries[i].same_definition(&e) => {
                    let mut sources = self.entries[i].sources.clone();
                    sources.append(&mut e.sources);
                    e.sources = sources;
                    if replace {
                        self.entries[i] = e;
                    } else {
                        self.entries.push(e);
                    }
                }
                Some(i) if replace => self.entries[i] = e,
                _ => self.entries.push(e),
            }
        }
        self.conflicts.append(&mut views.conflicts);
        self.note(OPT_IN_NOTE);
        self.schema_entries = self.entries.len();
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
            .find(|e| e.opt_in.is_none() && e.instrument.name == d.name())
        {
            Some(e) => {
                let first = InstrumentDescriptor {
                    instrument: e.instrument,
                    value_type: e.value_type,
                    attributes: e.attributes,
                    source: e.sources[0],
                };
                let differences = crate::contract::definition::differences(&first, &d);
                if !differences.is_empty() {
                    self.conflicts.push(Conflict {
                        name: d.name(),
                        first: first.source,
                        second: d.source,
                        differences,
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
                opt_in: None,
            }),
        }
    }

    /// The instruments.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The instruments added to a schema catalog with [`add`](Self::add) that it did not hold
    /// already (a plugin's own), in the order added; all of them for a catalog not built from
    /// the schema.
    pub fn added_entries(&self) -> &[CatalogEntry] {
        &self.entries[self.schema_entries.min(self.entries.len())..]
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
            let opt_in = opt_in_note(e);
            let _ = writeln!(
                out,
                "| `{}`{opt_in} | {} | {} | {} | {} | {} | {} |",
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
    /// `docs/METRICS.md` is `Catalog::schema_with_opt_ins().docs_markdown()`.
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
    /// use agent_metrics::catalog::Catalog;
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
        // An opt-in's redefinition has the default's series name.
        for (i, e) in self.entries.iter().enumerate() {
            let name = e.instrument.name;
            if self.entries[..i].iter().any(|p| p.instrument.name == name) {
                continue;
            }
            let _ = writeln!(out, "| `{name}` | `{}` |", e.prometheus_name());
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
                let opt_in = opt_in_note(e);
                let _ = writeln!(
                    out,
                    "- `{}`{opt_in}: {:?}",
                    e.instrument.name, e.instrument.buckets
                );
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

/// ` (opt-in `gen_ai_latest_experimental`)` after an opt-in's instrument in the docs; nothing
/// for a default one.
fn opt_in_note(e: &CatalogEntry) -> String {
    e.opt_in
        .map(|o| format!(" (opt-in `{o}`)"))
        .unwrap_or_default()
}
