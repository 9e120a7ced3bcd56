//! Validates a built model: generics, names, units, buckets and attribute sources, each error on
//! the token at fault. Nothing here builds or changes the model (that is `ast`'s `from_ast`); a
//! rule that depends on a field's type is a constant the expansion generates instead, since
//! only the compiler knows what an alias or re-export stands for.

use std::collections::HashMap;

use syn::Ident;

use crate::ast::{AttributeStruct, Container, Header, ValueEnum};
use crate::attr::{
    AttrField, AttrSource, AttrSources, BucketValues, Buckets, ConstText, Def, Measure, Role,
};
use crate::checks;
use crate::ctxt::Ctxt;
use crate::kind::Kind;
use crate::similar::did_you_mean;

/// Why a derive takes no generic parameters.
fn no_generics(cx: &Ctxt, header: &Header, derive: &str, why: &str) {
    if !header.generics.params.is_empty() {
        cx.error_spanned_by(
            header.generics,
            format!("`{derive}` does not support generic parameters{why}"),
        );
    }
}

pub(crate) fn metric(cx: &Ctxt, c: &Container) {
    no_generics(
        cx,
        &c.header,
        "AgentMetric",
        ": a metric's instruments are fixed, so declare one struct per concrete type",
    );
    check_container(cx, c);
    check_defaults_used(cx, c);
    check_attr_fields_used(cx, c);
}

pub(crate) fn attributes(cx: &Ctxt, set: &AttributeStruct) {
    no_generics(cx, &set.header, "Attributes", "");
    if let Some(first) = set
        .stray_attr_sources
        .as_ref()
        .and_then(|s| s.entries.first())
        .and_then(AttrSource::field)
    {
        cx.error_spanned_by(
            first,
            "an attribute set has no attribute sources: its fields are its attributes",
        );
    }
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for m in &set.fields {
        if let Some(a) = m.stray_metric {
            cx.error_spanned_by(a, "`#[metric]` does not apply to the fields of an attribute set: use `#[attr(key = \"..\", skip_empty, as_str)]`");
        }
        check_key(cx, &m.attr);
        if seen.insert(&m.attr.key, ()).is_some() {
            cx.syn_error(syn::Error::new(
                m.attr.key_span,
                format!("attribute key `{}` is used by two fields: give one of them `#[attr(key = \"..\")]`", m.attr.key),
            ));
        }
    }
}

pub(crate) fn value(cx: &Ctxt, e: &ValueEnum) {
    no_generics(cx, &e.header, "AttributeValue", "");
}

fn check_container(cx: &Ctxt, c: &Container) {
    if let Some(sources) = &c.default_attr_sources {
        check_sources(cx, c, sources);
    }
    let mut inline: HashMap<String, (&Measure, &Ident)> = HashMap::new();
    let mut keys: HashMap<&str, &AttrField> = HashMap::new();
    for field in &c.fields {
        match &field.role {
            Role::Measure(measures) => {
                for (k, m) in measures.iter().enumerate() {
                    check_measure(cx, m);
                    if let Some(s) = &m.attr_sources {
                        check_sources(cx, c, s);
                    }
                    if let Def::Inline(name) = &m.def {
                        let twice = measures[..k]
                            .iter()
                            .any(|o| matches!(&o.def, Def::Inline(n) if n.value() == name.value()));
                        if twice {
                            cx.error_spanned_by(
                                name,
                                format!("field `{}` already feeds `{}`: remove one of the two `#[metric(..)]`", field.ident, name.value()),
                            );
                            continue;
                        }
                        match inline.get(&name.value()) {
                            Some((first, first_field)) => {
                                let differs = differences(first, m);
                                if !differs.is_empty() {
                                    cx.error_spanned_by(
                                        name,
                                        format!("instrument `{}` is already declared on field `{first_field}`, which differs in {}: make the two definitions identical, or declare it once as a shared `Instrument` constant", name.value(), differs.join(", ")),
                                    );
                                }
                            }
                            None => {
                                inline.insert(name.value(), (m, field.ident));
                            }
                        }
                    }
                }
            }
            Role::Nested {
                attr_sources: Some(s),
            } => check_sources(cx, c, s),
            Role::Attribute(a) => {
                check_key(cx, a);
                if keys.insert(&a.key, a).is_some() {
                    cx.syn_error(syn::Error::new(
                        a.key_span,
                        format!("attribute key `{}` is used by two fields: give one of them `#[attr(key = \"..\")]`", a.key),
                    ));
                }
            }
            _ => {}
        }
    }
}

fn check_key(cx: &Ctxt, a: &AttrField) {
    if a.key.is_empty() {
        cx.syn_error(syn::Error::new(
            a.key_span,
            "attribute key is empty: give it a name",
        ));
    }
}

fn check_measure(cx: &Ctxt, m: &Measure) {
    match &m.def {
        Def::Inline(name) => {
            if let Err(why) = checks::check_name(&name.value()) {
                cx.error_spanned_by(name, why);
            }
            // Whether the field's type implies a unit (a `Duration`, however it is spelled) is
            // checked by a constant the expansion generates, on this same token.
            if let Some(unit) = &m.unit
                && let Err(why) = checks::check_unit(&unit.value())
            {
                cx.error_spanned_by(unit, why);
            }
            if let Some(d) = &m.description
                && d.value().trim().is_empty()
            {
                cx.error_spanned_by(d, "description is empty: write one, or remove `description` to use the doc comment");
            }
            if let Some(b) = &m.buckets {
                check_buckets(cx, m, b);
            }
            if let Some(span) = m.long_durations {
                check_long_durations(cx, m, span);
            }
        }
        Def::Shared(path) => {
            let name = path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let from_shared = |span: proc_macro2::Span, what: &str| {
                cx.syn_error(syn::Error::new(
                    span,
                    format!("`{what}` comes from the shared instrument `{name}`: set it where `{name}` is declared, not on the field"),
                ));
            };
            if let Some(u) = &m.unit {
                from_shared(u.span(), "unit");
            }
            if let Some(d) = &m.description {
                from_shared(d.span(), "description");
            }
            if let Some(b) = &m.buckets {
                from_shared(b.span, if b.millis { "buckets_ms" } else { "buckets" });
            }
            if let Some(span) = m.long_durations {
                from_shared(span, "long_durations");
            }
            if let Some(l) = &m.cardinality_limit {
                from_shared(l.span(), "cardinality_limit");
            }
        }
    }
}

/// The bounds of an inline definition: sorted and finite; on a histogram only; and in seconds,
/// their intent stated when they start at 1 or more (a `Duration` field with no `unit` gets
/// that check from the expansion, as only its type says it is seconds).
fn check_buckets(cx: &Ctxt, m: &Measure, b: &Buckets) {
    let written = if b.millis { "buckets_ms" } else { "buckets" };
    if m.kind != Kind::Histogram {
        cx.syn_error(syn::Error::new(
            b.span,
            format!(
                "`{written}` apply to histograms only, and this field is {}: remove them",
                m.kind.spec().noun
            ),
        ));
        return;
    }
    let BucketValues::Literal(values, exprs) = &b.values else {
        return;
    };
    if let Err((index, why)) = checks::check_buckets(values) {
        match exprs.get(index) {
            Some(expr) => cx.error_spanned_by(expr, why),
            None => cx.syn_error(syn::Error::new(b.span, why)),
        }
        return;
    }
    let unit = m.unit.as_ref().map(syn::LitStr::value);
    if b.millis {
        if let Some(unit) = unit.filter(|u| u != "s") {
            cx.syn_error(syn::Error::new(
                b.span,
                format!("`buckets_ms` are milliseconds converted to seconds, so this histogram records seconds, but its unit is \"{unit}\": write the bounds as `buckets = [..]` in \"{unit}\", or remove `unit` and record seconds"),
            ));
        }
    } else if let Some(unit) = unit
        && checks::seconds_buckets_ambiguous(&unit, values, m.long_durations.is_some())
    {
        cx.syn_error(syn::Error::new(b.span, checks::SECONDS_OR_MILLIS));
    }
}

/// `long_durations`: on a histogram in seconds whose bounds are given in seconds.
fn check_long_durations(cx: &Ctxt, m: &Measure, span: proc_macro2::Span) {
    let why = match (&m.buckets, m.unit.as_ref().map(syn::LitStr::value)) {
        _ if m.kind != Kind::Histogram => format!(
            "`long_durations` acknowledges the bucket bounds of a histogram in seconds, and this field is {}: remove it",
            m.kind.spec().noun
        ),
        (None, _) => "`long_durations` acknowledges bucket bounds in seconds from 1 s up, and this histogram gives none: remove it, or add `buckets = [..]`".to_owned(),
        (Some(b), _) if b.millis => "`long_durations` says the bounds are seconds, and `buckets_ms` says they are milliseconds: keep the one that is true".to_owned(),
        (_, Some(unit)) if unit != "s" => format!(
            "`long_durations` acknowledges bounds in seconds, and this histogram's unit is \"{unit}\": remove it"
        ),
        _ => return,
    };
    cx.syn_error(syn::Error::new(span, why));
}

/// What differs between two inline definitions of one name, each as `what (first vs this)`.
fn differences(a: &Measure, b: &Measure) -> Vec<String> {
    let lit = |l: &Option<syn::LitStr>| l.as_ref().map(|s| s.value());
    let description = |m: &Measure| lit(&m.description).or_else(|| m.doc.clone());
    let shown = |v: Option<String>| v.map_or_else(|| "none".to_owned(), |v| format!("`{v}`"));
    let mut differs = Vec::new();
    if a.kind != b.kind {
        let noun = |m: &Measure| m.kind.spec().keyword.to_string();
        differs.push(format!("kind ({} vs {})", noun(a), noun(b)));
    }
    if lit(&a.unit) != lit(&b.unit) {
        differs.push(format!(
            "unit ({} vs {})",
            shown(lit(&a.unit)),
            shown(lit(&b.unit))
        ));
    }
    if bucket_key(a) != bucket_key(b) {
        let buckets = |m: &Measure| bucket_key(m).unwrap_or_else(|| "the default".into());
        differs.push(format!("buckets ({} vs {})", buckets(a), buckets(b)));
    }
    if description(a) != description(b) {
        differs.push("description".to_owned());
    }
    differs
}

/// Buckets compared as written: values, or the constant's path.
fn bucket_key(m: &Measure) -> Option<String> {
    m.buckets.as_ref().map(|b| match &b.values {
        BucketValues::Literal(values, _) => format!("{values:?}"),
        BucketValues::Path(path) => quote::ToTokens::to_token_stream(path).to_string(),
    })
}

fn check_sources(cx: &Ctxt, c: &Container, sources: &AttrSources) {
    for (i, entry) in sources.entries.iter().enumerate() {
        if sources.entries[..i].contains(entry) {
            let what = entry.key();
            match entry {
                AttrSource::Const(k, _) => cx.error_spanned_by(
                    k,
                    format!("`{what}` is listed twice: list each attribute source once"),
                ),
                AttrSource::Field(i) | AttrSource::View(i, _) => cx.error_spanned_by(
                    i,
                    format!("`{what}` is listed twice: list each attribute source once"),
                ),
            }
            continue;
        }
        if let AttrSource::Const(key, _) = entry {
            if matches!(key, ConstText::Lit(l) if l.value().is_empty()) {
                cx.error_spanned_by(key, "attribute key is empty: give it a name");
            }
            continue;
        }
        let Some(ident) = entry.field() else { continue };
        let viewed = matches!(entry, AttrSource::View(..));
        match c.field(ident).map(|f| &f.role) {
            None => {
                let hint = did_you_mean(&ident.to_string(), c.fields.iter().map(|f| f.name.as_str()))
                    .map(|f| format!(" (did you mean `{f}`?)"))
                    .unwrap_or_default();
                cx.error_spanned_by(
                    ident,
                    format!("no field named `{ident}`{hint}: attribute sources are fields of this struct, either attribute sets or fields marked `#[attr]`"),
                );
            }
            Some(Role::Measure(_)) => cx.error_spanned_by(
                ident,
                format!("`{ident}` is a measured field, not an attribute: name an attribute set or a field marked `#[attr]`"),
            ),
            Some(Role::Nested { .. }) => cx.error_spanned_by(
                ident,
                format!("`{ident}` is a nested metric, not an attribute: name an attribute set or a field marked `#[attr]`"),
            ),
            Some(Role::Attribute(_)) if viewed => cx.error_spanned_by(
                ident,
                format!("`{ident}` is one attribute; `as View` reads an attribute set differently: view a plain field instead"),
            ),
            Some(Role::Attribute(_) | Role::Data) => {}
        }
    }
}

/// The struct's `attributes` are the sources of every measurement that names none; when every
/// measurement names its own, they would silently apply to nothing.
fn check_defaults_used(cx: &Ctxt, c: &Container) {
    let Some(defaults) = &c.default_attr_sources else {
        return;
    };
    let mut measured = false;
    let inherits = c.fields.iter().any(|f| match &f.role {
        Role::Measure(ms) => {
            measured = true;
            ms.iter().any(|m| m.attr_sources.is_none())
        }
        Role::Nested { attr_sources } => {
            measured = true;
            attr_sources.is_none()
        }
        _ => false,
    });
    // A struct that records nothing may still name its sets, for the compact `Debug`.
    if measured
        && !inherits
        && let Some(first) = defaults.entries.first()
    {
        cx.error_spanned_by(
            first.first_tokens(),
            "every measurement of this struct names its own `attributes(..)`, so the struct's apply to none: add these sources to the measurements they describe, or remove `#[metric(attributes = ..)]`",
        );
    }
}

/// A field marked `#[attr]` is an attribute: one that no measurement lists would be recorded
/// nowhere, which is the mistake of leaving it out of `attributes(..)`.
fn check_attr_fields_used(cx: &Ctxt, c: &Container) {
    for f in &c.fields {
        if let Role::Attribute(a) = &f.role
            && !c.reads_for_attributes(f.ident)
        {
            cx.syn_error(syn::Error::new(
                a.key_span,
                format!("attribute `{}` is given to no measurement: list `{}` in the `attributes(..)` of the measurements it describes (or the struct's), or remove `#[attr]` to keep it as data", a.key, f.ident),
            ));
        }
    }
}
