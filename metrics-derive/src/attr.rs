//! Parsing `#[metric(..)]` and `#[attr(..)]` into the model. Every problem is reported to the
//! `Ctxt` with the span of the token at fault, and parsing goes on so that one compile shows all.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, LitInt, LitStr, Path};

use crate::ast::{
    AttrField, AttrSource, AttrSources, Buckets, Def, DefaultValue, Kind, Measure, Role,
};
use crate::ctxt::Ctxt;
use crate::kind;
use crate::once::{Attr, Flag};
use crate::parse::{
    doc_comment, lit_int, lit_str, parse_buckets, parse_buckets_ms, parse_def, parse_sources,
    path_str,
};
use crate::similar::did_you_mean;
use crate::symbol::*;

/// "unknown `metric` key `colour`; did you mean ..? on a field the keys are: ..".
fn unknown_key(attr: &str, path: &Path, place: &str, keys: &[Symbol]) -> String {
    let word = path_str(path);
    let hint = did_you_mean(&word, keys.iter().map(|k| k.0))
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    format!(
        "unknown `{attr}` key `{word}`{hint}; {place}: {}",
        list(keys.iter().copied())
    )
}

/// `#[metric(..)]` on the struct.
pub(crate) struct ContainerAttrs {
    pub krate: Option<Path>,
    pub default_attr_sources: Option<AttrSources>,
    pub no_debug: bool,
}

pub(crate) fn container(cx: &Ctxt, attrs: &[Attribute]) -> ContainerAttrs {
    let mut krate = Attr::none(cx, CRATE);
    let mut sources = Attr::none(cx, ATTRIBUTES);
    let mut no_debug = Flag::none(cx, NO_DEBUG);
    for attr in attrs {
        if attr.path() == ATTR {
            cx.error_spanned_by(
                attr,
                "`#[attr]` goes on fields; on the struct, name attribute sources with `#[metric(attributes = field)]`",
            );
            continue;
        }
        if attr.path() != METRIC {
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            if meta.path == CRATE {
                let path: Path = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a path, e.g. `crate = my_metrics` (no quotes)",
                    )
                })?;
                krate.set(&meta.path, path);
            } else if meta.path == ATTRIBUTES {
                sources.set(&meta.path, parse_sources(&meta)?);
            } else if meta.path == NO_DEBUG {
                no_debug.set(&meta.path);
            } else if field_keys().any(|k| meta.path == k) {
                return Err(meta.error(format!(
                    "`{}` belongs on a field, not on the struct; struct keys are: {}",
                    path_str(&meta.path),
                    list(STRUCT_KEYS.iter().copied())
                )));
            } else {
                return Err(meta.error(unknown_key(
                    "metric",
                    &meta.path,
                    "on a struct the keys are",
                    STRUCT_KEYS,
                )));
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    ContainerAttrs {
        krate: krate.get(),
        default_attr_sources: sources.get(),
        no_debug: no_debug.get().is_some(),
    }
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

/// `#[attr(..)]` on a field; `None` when the field has none.
pub(crate) fn attr_field(cx: &Ctxt, field: &syn::Field) -> Option<AttrField> {
    let ident = field.ident.as_ref()?;
    let mut found = None;
    for attr in field.attrs.iter().filter(|a| a.path() == ATTR) {
        let mut key = Attr::none(cx, KEY);
        let mut as_str = Flag::none(cx, AS_STR);
        let mut skip_empty = Flag::none(cx, SKIP_EMPTY);
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path == KEY {
                    key.set(&meta.path, lit_str(&meta, "key = \"model.name\"")?);
                } else if meta.path == AS_STR {
                    as_str.set(&meta.path);
                } else if meta.path == SKIP_EMPTY {
                    skip_empty.set(&meta.path);
                } else {
                    return Err(meta.error(unknown_key(
                        "attr",
                        &meta.path,
                        "the keys are",
                        ATTR_KEYS,
                    )));
                }
                Ok(())
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        }
        if found.is_some() {
            cx.error_spanned_by(attr, "duplicate `#[attr]`: merge them into one");
            continue;
        }
        let (key, key_span) = match key.get() {
            Some(lit) => (lit.value(), lit.span()),
            None => (ident.unraw().to_string(), ident.span()),
        };
        found = Some(AttrField {
            key,
            key_span,
            as_str: as_str.get().is_some(),
            skip_empty: skip_empty.get().is_some(),
        });
    }
    found
}

/// `#[attr(value = "..")]` on an enum variant.
pub(crate) fn variant_value(cx: &Ctxt, variant: &syn::Variant) -> Option<LitStr> {
    let mut value = Attr::none(cx, VALUE);
    for attr in variant.attrs.iter().filter(|a| a.path() == ATTR) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path == VALUE {
                value.set(&meta.path, lit_str(&meta, "value = \"stt\"")?);
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown `attr` key `{}` on a variant; the only key is `value = \"..\"`",
                    path_str(&meta.path)
                )))
            }
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    value.get()
}
