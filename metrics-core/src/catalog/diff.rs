//! The compatibility gate: what changed between two catalogs, each change breaking (dashboards,
//! alerts or queries over the old names stop working) or additive.
//!
//! Both sides are [`Catalog::to_json`] output, so a catalog released earlier (the repository
//! keeps `docs/catalog.json`) is compared with the current one without its code. Renames are
//! recognized, not declared: an instrument that disappears while a new one is fed by one of its
//! fields was renamed; an instrument that loses exactly one attribute key and gains exactly one
//! had that key renamed. Either way the change is breaking.

use core::fmt;

use serde::Deserialize;
use serde_json::Value;

use super::Catalog;

/// One difference between an old catalog and a new one.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// Breaking: the instrument is gone.
    Removed {
        /// Its name.
        name: String,
    },
    /// Breaking: the instrument has a new name (the fields that fed it feed the new one).
    Renamed {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Breaking: counter, histogram, gauge or up-down counter changed.
    KindChanged {
        /// The instrument.
        name: String,
        /// The old kind.
        from: String,
        /// The new kind.
        to: String,
    },
    /// Breaking: the number type changed.
    ValueTypeChanged {
        /// The instrument.
        name: String,
        /// The old type.
        from: String,
        /// The new type.
        to: String,
    },
    /// Breaking: the unit changed (and with it the Prometheus name's suffix).
    UnitChanged {
        /// The instrument.
        name: String,
        /// The old unit.
        from: String,
        /// The new unit.
        to: String,
    },
    /// Breaking: the bucket bounds changed, so `le` series and quantiles no longer compare.
    BucketsChanged {
        /// The instrument.
        name: String,
        /// The old bounds.
        from: Vec<f64>,
        /// The new bounds.
        to: Vec<f64>,
    },
    /// Breaking: an attribute key is gone.
    AttributeRemoved {
        /// The instrument.
        name: String,
        /// The key.
        key: String,
    },
    /// Breaking: an attribute key has a new name.
    AttributeRenamed {
        /// The instrument.
        name: String,
        /// The old key.
        from: String,
        /// The new key.
        to: String,
    },
    /// Additive: a new instrument.
    Added {
        /// Its name.
        name: String,
    },
    /// Additive: a new attribute key.
    AttributeAdded {
        /// The instrument.
        name: String,
        /// The key.
        key: String,
    },
    /// Additive: the description changed.
    DescriptionChanged {
        /// The instrument.
        name: String,
        /// The old description.
        from: String,
        /// The new description.
        to: String,
    },
}

impl Change {
    /// The instrument the change is about (its old name, for a rename).
    pub fn instrument(&self) -> &str {
        match self {
            Change::Removed { name }
            | Change::Added { name }
            | Change::KindChanged { name, .. }
            | Change::ValueTypeChanged { name, .. }
            | Change::UnitChanged { name, .. }
            | Change::BucketsChanged { name, .. }
            | Change::AttributeRemoved { name, .. }
            | Change::AttributeRenamed { name, .. }
            | Change::AttributeAdded { name, .. }
            | Change::DescriptionChanged { name, .. } => name,
            Change::Renamed { from, .. } => from,
        }
    }

    /// Whether queries, dashboards or alerts written for the old catalog may break.
    pub fn is_breaking(&self) -> bool {
        !matches!(
            self,
            Change::Added { .. }
                | Change::AttributeAdded { .. }
                | Change::DescriptionChanged { .. }
        )
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Removed { name } => write!(f, "{name}: removed"),
            Change::Renamed { from, to } => write!(f, "{from}: renamed to {to}"),
            Change::KindChanged { name, from, to } => {
                write!(f, "{name}: kind changed from {from} to {to}")
            }
            Change::ValueTypeChanged { name, from, to } => {
                write!(f, "{name}: value type changed from {from} to {to}")
            }
            Change::UnitChanged { name, from, to } => {
                write!(f, "{name}: unit changed from `{from}` to `{to}`")
            }
            Change::BucketsChanged { name, from, to } => {
                write!(f, "{name}: buckets changed from {from:?} to {to:?}")
            }
            Change::AttributeRemoved { name, key } => {
                write!(f, "{name}: attribute `{key}` removed")
            }
            Change::AttributeRenamed { name, from, to } => {
                write!(f, "{name}: attribute `{from}` renamed to `{to}`")
            }
            Change::Added { name } => write!(f, "{name}: added"),
            Change::AttributeAdded { name, key } => write!(f, "{name}: attribute `{key}` added"),
            Change::DescriptionChanged { name, from, to } => {
                write!(f, "{name}: description changed from {from:?} to {to:?}")
            }
        }
    }
}

/// Every change from an old catalog to a new one, the breaking ones first. Its `Display` is one
/// line per change, `breaking: ` or `additive: ` then the change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    changes: Vec<Change>,
}

/// Why a catalog could not be read.
#[derive(Debug)]
pub struct DiffError(String);

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a catalog (`--format json` output): {}", self.0)
    }
}

impl std::error::Error for DiffError {}

/// An instrument as the JSON shows it.
#[derive(Deserialize)]
struct Entry {
    name: String,
    kind: String,
    value_type: String,
    unit: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    buckets: Vec<f64>,
    attributes: Vec<String>,
    #[serde(default)]
    sources: Vec<String>,
    /// Set on an opt-in's entries: the same name with and without it are two instruments.
    #[serde(default)]
    opt_in: Option<String>,
}

impl Entry {
    /// The name, and the opt-in after it if any, as the changes name the instrument.
    fn label(&self) -> String {
        match &self.opt_in {
            None => self.name.clone(),
            Some(opt_in) => format!("{} (opt-in {opt_in})", self.name),
        }
    }
}

impl Catalog {
    /// The changes from `old_json` (an earlier [`to_json`](Self::to_json), as text) to this
    /// catalog.
    ///
    /// ```
    /// use agent_metrics::catalog::Catalog;
    ///
    /// let released = Catalog::schema().to_json().to_string();
    /// let diff = Catalog::schema().diff(&released).unwrap();
    /// assert!(diff.changes().is_empty() && !diff.is_breaking());
    /// assert!(Catalog::new().diff(&released).unwrap().is_breaking());
    /// ```
    pub fn diff(&self, old_json: &str) -> Result<Diff, DiffError> {
        let old: Value = serde_json::from_str(old_json).map_err(|e| DiffError(e.to_string()))?;
        Diff::between(&old, &self.to_json())
    }
}

impl Diff {
    /// The changes from `old` to `new`, two [`Catalog::to_json`] values.
    pub fn between(old: &Value, new: &Value) -> Result<Diff, DiffError> {
        let (old, new) = (entries(old)?, entries(new)?);
        // An opt-in's entry is matched only with an entry of the same opt-in.
        let find = |list: &'_ [Entry], like: &Entry, name: &str| {
            list.iter()
                .position(|e| e.name == name && e.opt_in == like.opt_in)
        };
        let mut changes = Vec::new();
        let mut matched = vec![false; new.len()];
        for o in &old {
            let renamed = || {
                new.iter().position(|n| {
                    n.opt_in == o.opt_in
                        && find(&old, n, &n.name).is_none()
                        && n.sources.iter().any(|s| o.sources.contains(s))
                })
            };
            let Some(i) = find(&new, o, &o.name).or_else(renamed) else {
                changes.push(Change::Removed { name: o.label() });
                continue;
            };
            let n = &new[i];
            if matched[i] {
                // A second old instrument fed by the same field: the first took the new name.
                changes.push(Change::Removed { name: o.label() });
                continue;
            }
            matched[i] = true;
            if n.name != o.name {
                changes.push(Change::Renamed {
                    from: o.label(),
                    to: n.label(),
                });
            }
            compare(o, n, &mut changes);
        }
        for (n, _) in new.iter().zip(&matched).filter(|(_, m)| !**m) {
            changes.push(Change::Added { name: n.label() });
        }
        changes.sort_by_key(|c| !c.is_breaking());
        Ok(Diff { changes })
    }

    /// The changes, the breaking ones first.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Whether any change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(Change::is_breaking)
    }

    /// The breaking changes.
    pub fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.is_breaking())
    }

    /// The additive changes.
    pub fn additive(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| !c.is_breaking())
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return writeln!(f, "no changes");
        }
        for c in &self.changes {
            let class = if c.is_breaking() {
                "breaking"
            } else {
                "additive"
            };
            writeln!(f, "{class}: {c}")?;
        }
        Ok(())
    }
}

fn entries(catalog: &Value) -> Result<Vec<Entry>, DiffError> {
    Vec::<Entry>::deserialize(catalog).map_err(|e| DiffError(e.to_string()))
}

/// The changes of one instrument's definition, under its new name.
fn compare(o: &Entry, n: &Entry, changes: &mut Vec<Change>) {
    let name = || n.label();
    let pair = |a: &String, b: &String| (a != b).then(|| (a.clone(), b.clone()));
    if let Some((from, to)) = pair(&o.kind, &n.kind) {
        changes.push(Change::KindChanged {
            name: name(),
            from,
            to,
        });
    }
    if let Some((from, to)) = pair(&o.value_type, &n.value_type) {
        changes.push(Change::ValueTypeChanged {
            name: name(),
            from,
            to,
        });
    }
    if let Some((from, to)) = pair(&o.unit, &n.unit) {
        changes.push(Change::UnitChanged {
            name: name(),
            from,
            to,
        });
    }
    if o.buckets != n.buckets {
        changes.push(Change::BucketsChanged {
            name: name(),
            from: o.buckets.clone(),
            to: n.buckets.clone(),
        });
    }
    let gone: Vec<&String> = o
        .attributes
        .iter()
        .filter(|k| !n.attributes.contains(k))
        .collect();
    let new: Vec<&String> = n
        .attributes
        .iter()
        .filter(|k| !o.attributes.contains(k))
        .collect();
    if let ([from], [to]) = (gone.as_slice(), new.as_slice()) {
        changes.push(Change::AttributeRenamed {
            name: name(),
            from: (*from).clone(),
            to: (*to).clone(),
        });
    } else {
        for key in gone {
            changes.push(Change::AttributeRemoved {
                name: name(),
                key: key.clone(),
            });
        }
        for key in new {
            changes.push(Change::AttributeAdded {
                name: name(),
                key: key.clone(),
            });
        }
    }
    if let Some((from, to)) = pair(&o.description, &n.description) {
        changes.push(Change::DescriptionChanged {
            name: name(),
            from,
            to,
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn latency() -> Value {
        json!({
            "name": "lk.agents.turn.e2e_latency", "kind": "histogram", "value_type": "f64",
            "unit": "s", "description": "End-to-end turn latency", "buckets": [0.5, 1.0, 2.0],
            "attributes": ["model_name", "model_provider"],
            "sources": ["MetricsReport.e2e_latency"]
        })
    }

    fn tokens() -> Value {
        json!({
            "name": "lk.agents.usage.llm_input_tokens", "kind": "counter", "value_type": "u64",
            "unit": "{token}", "description": "LLM input tokens", "buckets": [],
            "attributes": ["model_name"], "sources": ["LLMMetrics.prompt_tokens"]
        })
    }

    /// The diff from the two-instrument catalog to the same with `edit` applied to its latency.
    fn after(edit: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut changed = latency();
        edit(&mut changed);
        let diff = Diff::between(&json!([latency(), tokens()]), &json!([changed, tokens()]));
        lines(&diff.unwrap())
    }

    fn lines(diff: &Diff) -> Vec<String> {
        diff.to_string().lines().map(str::to_owned).collect()
    }

    #[test]
    fn the_same_catalog_has_no_changes() {
        assert_eq!(after(|_| {}), ["no changes"]);
        let schema = Catalog::schema();
        let diff = schema.diff(&schema.to_json().to_string()).unwrap();
        assert_eq!(diff, Diff::default());
        assert_eq!(diff.to_string(), "no changes\n");
    }

    #[test]
    fn breaking_definition_changes() {
        let cases: [(&str, Value, &str); 4] = [
            (
                "kind",
                json!("gauge"),
                "kind changed from histogram to gauge",
            ),
            (
                "value_type",
                json!("u64"),
                "value type changed from f64 to u64",
            ),
            ("unit", json!("ms"), "unit changed from `s` to `ms`"),
            (
                "buckets",
                json!([0.5, 1.0, 3.0]),
                "buckets changed from [0.5, 1.0, 2.0] to [0.5, 1.0, 3.0]",
            ),
        ];
        for (field, value, want) in cases {
            let got = after(|e| e[field] = value);
            assert_eq!(
                got,
                [format!("breaking: lk.agents.turn.e2e_latency: {want}")],
                "{field}"
            );
        }
    }

    #[test]
    fn removed_and_renamed_instruments_are_breaking() {
        let diff = Diff::between(&json!([latency(), tokens()]), &json!([tokens()])).unwrap();
        assert!(diff.is_breaking());
        assert_eq!(
            lines(&diff),
            ["breaking: lk.agents.turn.e2e_latency: removed"]
        );

        let renamed = after(|e| e["name"] = json!("lk.agents.turn.latency"));
        assert_eq!(
            renamed,
            ["breaking: lk.agents.turn.e2e_latency: renamed to lk.agents.turn.latency"]
        );
        // Renamed and changed: both are told, the change under the new name.
        let renamed = after(|e| {
            e["name"] = json!("lk.agents.turn.latency");
            e["unit"] = json!("ms");
        });
        assert_eq!(
            renamed,
            [
                "breaking: lk.agents.turn.e2e_latency: renamed to lk.agents.turn.latency",
                "breaking: lk.agents.turn.latency: unit changed from `s` to `ms`",
            ]
        );
        // A new instrument fed by other fields is an addition, not a rename.
        let replaced = after(|e| {
            e["name"] = json!("lk.agents.turn.latency");
            e["sources"] = json!(["MetricsReport.latency"]);
        });
        assert_eq!(
            replaced,
            [
                "breaking: lk.agents.turn.e2e_latency: removed",
                "additive: lk.agents.turn.latency: added",
            ]
        );
    }

    #[test]
    fn attribute_changes() {
        let removed = after(|e| e["attributes"] = json!(["model_name"]));
        assert_eq!(
            removed,
            ["breaking: lk.agents.turn.e2e_latency: attribute `model_provider` removed"]
        );
        let renamed = after(|e| e["attributes"] = json!(["model_name", "provider"]));
        assert_eq!(
            renamed,
            [
                "breaking: lk.agents.turn.e2e_latency: attribute `model_provider` renamed to `provider`"
            ]
        );
        let added = after(|e| e["attributes"] = json!(["model_name", "model_provider", "room"]));
        assert_eq!(
            added,
            ["additive: lk.agents.turn.e2e_latency: attribute `room` added"]
        );
    }

    #[test]
    fn additions_and_descriptions_are_additive() {
        let diff = Diff::between(&json!([tokens()]), &json!([latency(), tokens()])).unwrap();
        assert!(!diff.is_breaking());
        assert_eq!(
            lines(&diff),
            ["additive: lk.agents.turn.e2e_latency: added"]
        );
        let described = after(|e| e["description"] = json!("Turn latency"));
        assert_eq!(
            described,
            [
                "additive: lk.agents.turn.e2e_latency: description changed from \
                 \"End-to-end turn latency\" to \"Turn latency\""
            ]
        );
    }

    #[test]
    fn breaking_changes_come_first() {
        let old = json!([latency(), tokens()]);
        let mut changed = tokens();
        changed["unit"] = json!("{tok}");
        let diff = Diff::between(&old, &json!([changed])).unwrap();
        assert_eq!(
            lines(&diff),
            [
                "breaking: lk.agents.turn.e2e_latency: removed",
                "breaking: lk.agents.usage.llm_input_tokens: unit changed from `{token}` to `{tok}`",
            ]
        );
        let diff = Diff::between(&json!([tokens()]), &json!([latency(), changed])).unwrap();
        assert_eq!(diff.breaking().count(), 1);
        assert_eq!(diff.additive().count(), 1);
        assert!(diff.changes()[0].is_breaking());
        assert_eq!(
            diff.changes()[0].instrument(),
            "lk.agents.usage.llm_input_tokens"
        );
    }

    #[test]
    fn an_opt_ins_entry_is_an_instrument_of_its_own() {
        let mut opt_in = latency();
        opt_in["opt_in"] = json!("gen_ai_latest_experimental");
        opt_in["buckets"] = json!([1.0, 2.0]);
        // Added beside the default definition of the same name: additive, and named so.
        let diff = Diff::between(&json!([latency()]), &json!([latency(), opt_in.clone()]));
        assert_eq!(
            lines(&diff.unwrap()),
            ["additive: lk.agents.turn.e2e_latency (opt-in gen_ai_latest_experimental): added"]
        );
        // Once released, it is gated like any other, against its own earlier definition.
        let mut changed = opt_in.clone();
        changed["buckets"] = json!([1.0, 3.0]);
        let diff = Diff::between(&json!([latency(), opt_in]), &json!([latency(), changed]));
        assert_eq!(
            lines(&diff.unwrap()),
            [
                "breaking: lk.agents.turn.e2e_latency (opt-in gen_ai_latest_experimental): \
                 buckets changed from [1.0, 2.0] to [1.0, 3.0]"
            ]
        );
    }

    #[test]
    fn the_schema_with_its_opt_ins_adds_to_the_default_schema() {
        let released = Catalog::schema().to_json().to_string();
        let diff = Catalog::schema_with_opt_ins().diff(&released).unwrap();
        assert!(!diff.is_breaking(), "{diff}");
        assert!(
            diff.changes()
                .iter()
                .all(|c| matches!(c, Change::Added { name } if name.ends_with("(opt-in gen_ai_latest_experimental)"))),
            "{diff}"
        );
        assert!(diff.to_string().contains(
            "additive: gen_ai.invoke_agent.duration (opt-in gen_ai_latest_experimental): added"
        ));
    }

    #[test]
    fn what_is_not_a_catalog_is_an_error() {
        assert!(Catalog::schema().diff("{").is_err());
        assert!(Catalog::schema().diff("{}").is_err());
        let err = Catalog::schema().diff(r#"[{"name": "x"}]"#).unwrap_err();
        assert!(err.to_string().contains("kind"), "{err}");
    }
}
