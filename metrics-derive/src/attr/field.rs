//! `#[metric(..)]` on a field of an `AgentMetric` struct: its default, and its role (data,
//! measurements, an attribute, a nested metric).

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, LitInt, LitStr};

use syn::meta::ParseNestedMeta;

use super::measure::{parse_buckets, parse_buckets_ms, parse_def};
use super::sources::parse_sources;
use super::{
    AttrField, AttrSource, AttrSources, Buckets, Def, Measure, attr_field, field_keys, unknown_key,
};
use crate::ctxt::Ctxt;
use crate::kind::{self, Kind};
use crate::once::{Attr, Flag};
use crate::parse::{doc_comment, lit_int, lit_str, path_str};
use crate::symbol::*;

pub(crate) enum DefaultValue {
    /// `#[metric(default)]`: `Default::default()`; the span of the `default` key.
    Trait(Span),
    /// `#[metric(default = expr)]`.
    Expr(Expr),
}

pub(crate) enum Role {
    /// Not measured and not an attribute: shown in `Debug`, nothing more.
    Data,
    /// One or more measurements: each `#[metric(..)]` naming an instrument is one.
    Measure(Vec<Measure>),
    Attribute(AttrField),
    /// `#[metric(nested)]`: a field whose type is itself an agent metric.
    Nested {
        attr_sources: Option<AttrSources>,
    },
}

/// The parsed attributes of one field of an `AgentMetric` struct.
pub(crate) struct FieldAttrs {
    pub default: Option<DefaultValue>,
    pub role: Role,
}

/// The keys of one `#[metric(..)]`: a measurement when it names an instrument.
struct MeasureAttrs<'c> {
    kind: Attr<'c, (Kind, Def)>,
    unit: Attr<'c, LitStr>,
    description: Attr<'c, LitStr>,
    buckets: Attr<'c, Buckets>,
    long_durations: Flag<'c>,
    skip_zero: Flag<'c>,
    skip_negative: Flag<'c>,
    attr_sources: Attr<'c, AttrSources>,
    limit: Attr<'c, LitInt>,
}

impl<'c> MeasureAttrs<'c> {
    fn new(cx: &'c Ctxt) -> Self {
        MeasureAttrs {
            kind: Attr::none(cx, Symbol("instrument kind")),
            unit: Attr::none(cx, UNIT),
            description: Attr::none(cx, DESCRIPTION),
            buckets: Attr::none(cx, BUCKETS),
            long_durations: Flag::none(cx, LONG_DURATIONS),
            skip_zero: Flag::none(cx, SKIP_ZERO),
            skip_negative: Flag::none(cx, SKIP_NEGATIVE),
            attr_sources: Attr::none(cx, ATTRIBUTES),
            limit: Attr::none(cx, CARDINALITY_LIMIT),
        }
    }

    /// Parses `meta` if it is a measurement key; `Ok(false)` if it is not one.
    fn parse(&mut self, meta: &ParseNestedMeta) -> syn::Result<bool> {
        if let Some(k) = Kind::from_path(&meta.path) {
            let def = parse_def(meta)?;
            match &self.kind.value {
                Some((first, _)) => self.kind.cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "one `#[metric(..)]` names one instrument, and this one already names {}: to feed a second instrument from this field, give it its own `#[metric({} = ..)]`",
                        first.spec().noun,
                        path_str(&meta.path)
                    ),
                ),
                None => self.kind.set(&meta.path, (k, def)),
            }
        } else if meta.path == UNIT {
            self.unit.set(&meta.path, lit_str(meta, "unit = \"s\"")?);
        } else if meta.path == DESCRIPTION {
            let d = lit_str(meta, "description = \"What it measures\"")?;
            self.description.set(&meta.path, d);
        } else if meta.path == BUCKETS || meta.path == BUCKETS_MS {
            let millis = meta.path == BUCKETS_MS;
            let buckets = if millis {
                parse_buckets_ms(meta)?
            } else {
                parse_buckets(meta)?
            };
            match &self.buckets.value {
                Some(first) if first.millis != millis => self.buckets.cx.error_spanned_by(
                    &meta.path,
                    "`buckets` (seconds) and `buckets_ms` (milliseconds) are two ways to write the bounds: give one",
                ),
                _ => self.buckets.set(&meta.path, buckets),
            }
        } else if meta.path == LONG_DURATIONS {
            self.long_durations.set(&meta.path);
        } else if meta.path == SKIP_ZERO {
            self.skip_zero.set(&meta.path);
        } else if meta.path == SKIP_NEGATIVE {
            self.skip_negative.set(&meta.path);
        } else if meta.path == ATTRIBUTES {
            self.attr_sources.set(&meta.path, parse_sources(meta)?);
        } else if meta.path == CARDINALITY_LIMIT {
            let lit = lit_int(meta, "cardinality_limit = 100")?;
            match lit.base10_parse::<usize>() {
                Ok(n) if n > 0 => self.limit.set(&meta.path, lit),
                _ => {
                    return Err(syn::Error::new(
                        lit.span(),
                        "cardinality_limit must be a whole number of at least 1",
                    ));
                }
            }
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// The measurement, or, with no instrument named, errors for the keys that needed one and
    /// the sources left over (which a `nested` field may use).
    fn finish(self, cx: &Ctxt, doc: &Option<String>) -> Result<Measure, Option<AttrSources>> {
        let skip_zero = self.skip_zero.get();
        let skip_negative = self.skip_negative.get();
        match self.kind.get() {
            Some((kind, def)) => Ok(Measure {
                kind,
                def,
                unit: self.unit.get(),
                description: self.description.get(),
                doc: doc.clone(),
                buckets: self.buckets.get(),
                long_durations: self.long_durations.get(),
                skip_zero: skip_zero.is_some(),
                skip_negative: skip_negative.is_some(),
                attr_sources: self.attr_sources.get(),
                cardinality_limit: self.limit.get(),
            }),
            None => {
                let orphan = |span: Option<Span>, what: &str| {
                    if let Some(span) = span {
                        cx.syn_error(syn::Error::new(
                            span,
                            format!("`{what}` applies to the instrument named in the same `#[metric(..)]`: add {} to it", kind::alternatives()),
                        ));
                    }
                };
                orphan(self.unit.get().map(|u| u.span()), "unit");
                orphan(self.description.get().map(|d| d.span()), "description");
                if let Some(b) = self.buckets.get() {
                    orphan(
                        Some(b.span),
                        if b.millis { "buckets_ms" } else { "buckets" },
                    );
                }
                orphan(self.long_durations.get(), "long_durations");
                orphan(skip_zero, "skip_zero");
                orphan(skip_negative, "skip_negative");
                orphan(self.limit.get().map(|l| l.span()), "cardinality_limit");
                Err(self.attr_sources.get())
            }
        }
    }
}

pub(crate) fn field(cx: &Ctxt, field: &syn::Field) -> FieldAttrs {
    let mut default = Attr::none(cx, DEFAULT);
    let mut nested = Flag::none(cx, NESTED);
    let mut loose_sources: Option<AttrSources> = None;
    let mut measures = Vec::new();
    let doc = doc_comment(&field.attrs);

    for attr in field.attrs.iter().filter(|a| a.path() == METRIC) {
        let mut m = MeasureAttrs::new(cx);
        let result = attr.parse_nested_meta(|meta| {
            if m.parse(&meta)? {
            } else if meta.path == DEFAULT {
                let value = if meta.input.peek(syn::Token![=]) {
                    DefaultValue::Expr(meta.value()?.parse::<Expr>()?)
                } else {
                    DefaultValue::Trait(meta.path.span())
                };
                default.set(&meta.path, value);
            } else if meta.path == NESTED {
                nested.set(&meta.path);
            } else if meta.path == CRATE || meta.path == NO_DEBUG {
                return Err(meta.error(format!(
                    "`{}` belongs on the struct, not on a field",
                    path_str(&meta.path)
                )));
            } else {
                let keys: Vec<Symbol> = field_keys().collect();
                return Err(meta.error(unknown_key(
                    "metric",
                    &meta.path,
                    "on a field the keys are",
                    &keys,
                )));
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
        match m.finish(cx, &doc) {
            Ok(measure) => measures.push(measure),
            Err(Some(sources)) => loose_sources = Some(sources),
            Err(None) => {}
        }
    }

    let attr = attr_field(cx, field);
    let nested = nested.get();
    let role = if !measures.is_empty() {
        if let Some(attr) = attr {
            cx.syn_error(syn::Error::new(
                attr.key_span,
                "a field is either measured or an attribute: remove `#[attr]` or the instrument",
            ));
        }
        if let Some(span) = nested {
            cx.syn_error(syn::Error::new(
                span,
                "`nested` marks a field holding another metric struct; it cannot also name an instrument",
            ));
        }
        if let Some(s) = &loose_sources {
            cx.error_spanned_by(
                source_tokens(s),
                "`attributes(..)` applies to the instrument named in the same `#[metric(..)]`: move it there",
            );
        }
        Role::Measure(measures)
    } else if let Some(attr) = attr {
        if let Some(span) = nested {
            cx.syn_error(syn::Error::new(
                span,
                "a field is either nested or an attribute: remove `nested` or `#[attr]`",
            ));
        }
        if let Some(s) = &loose_sources {
            cx.error_spanned_by(
                source_tokens(s),
                "an attribute field has no attribute sources of its own: remove `attributes(..)`",
            );
        }
        Role::Attribute(attr)
    } else if nested.is_some() {
        Role::Nested {
            attr_sources: loose_sources,
        }
    } else {
        if let Some(s) = &loose_sources {
            cx.error_spanned_by(
                source_tokens(s),
                "`attributes(..)` only applies to a measured or nested field",
            );
        }
        Role::Data
    };
    FieldAttrs {
        default: default.get(),
        role,
    }
}

/// Tokens to point an error about a whole `attributes(..)` list at: its first entry.
fn source_tokens(s: &AttrSources) -> proc_macro2::TokenStream {
    s.entries
        .first()
        .map(AttrSource::first_tokens)
        .unwrap_or_default()
}
