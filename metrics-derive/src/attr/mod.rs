//! Parsing `#[metric(..)]` and `#[attr(..)]` into the values the model is made of. Every problem
//! is reported to the `Ctxt` with the span of the token at fault, and parsing goes on so that one
//! compile shows all. The value types live here, beside the code that parses them (as in
//! serde_derive); `ast` assembles them into the model.

mod field;
mod measure;
mod sources;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Attribute, LitStr, Path};

pub(crate) use field::{DefaultValue, Role, field};
pub(crate) use measure::{BucketValues, Buckets, Def, Measure};
pub(crate) use sources::{AttrSource, AttrSources, ConstText};

use crate::ctxt::Ctxt;
use crate::kind::KINDS;
use crate::once::{Attr, Flag};
use crate::parse::{lit_str, path_str};
use crate::similar::did_you_mean;
use crate::symbol::*;
use sources::parse_sources;

/// Every key `#[metric(..)]` takes on a field, kinds first.
fn field_keys() -> impl Iterator<Item = Symbol> {
    KINDS
        .iter()
        .map(|k| k.keyword)
        .chain(MEASURE_KEYS.iter().copied())
}

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

/// A field that is one attribute (`#[attr]`).
pub(crate) struct AttrField {
    pub key: String,
    pub key_span: Span,
    pub as_str: bool,
    pub skip_empty: bool,
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
