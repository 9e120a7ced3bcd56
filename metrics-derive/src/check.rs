//! Builds the checked model: the input's shape, then every rule on names, units, buckets and
//! attribute sources, each error on the token at fault.

use std::collections::HashMap;

use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, FieldsNamed, Ident, Type};

use crate::ast::{
    AttrField, BucketValues, ConstText, Container, Def, Field, Kind, Measure, Role, SourceRef,
    Sources,
};
use crate::attr;
use crate::ctxt::Ctxt;
use crate::rules;

/// The named fields of a plain struct, or errors explaining why the input is not one.
pub fn named_fields<'a>(
    cx: &Ctxt,
    input: &'a DeriveInput,
    derive: &str,
) -> Option<&'a FieldsNamed> {
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            format!("`{derive}` does not support generic parameters: a metric's instruments are fixed, so declare one struct per concrete type"),
        );
    }
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => Some(named),
            Fields::Unnamed(fields) => {
                cx.error_spanned_by(
                    fields,
                    format!(
                        "`{derive}` needs named fields: write `struct {} {{ name: Type, .. }}`",
                        input.ident
                    ),
                );
                None
            }
            Fields::Unit => {
                cx.error_spanned_by(
                    &input.ident,
                    format!("`{derive}` needs a struct with named fields; a unit struct has nothing to record"),
                );
                None
            }
        },
        Data::Enum(e) => {
            cx.syn_error(syn::Error::new(
                e.enum_token.span(),
                format!("`{derive}` works on structs, not enums: derive it on each event struct and wrap them in your own enum"),
            ));
            None
        }
        Data::Union(u) => {
            cx.syn_error(syn::Error::new(
                u.union_token.span(),
                format!("`{derive}` works on structs, not unions: declare a struct with one named field per value"),
            ));
            None
        }
    }
}

pub fn metric_container<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<Container<'a>> {
    let attrs = attr::container(cx, &input.attrs);
    let named = named_fields(cx, input, "AgentMetric")?;
    let fields = named
        .named
        .iter()
        .map(|f| {
            let parsed = attr::field(cx, f);
            Field {
                ident: f.ident.as_ref().expect("named field"),
                ty: &f.ty,
                default: parsed.default,
                role: parsed.role,
            }
        })
        .collect();
    let container = Container {
        ident: &input.ident,
        krate: attrs
            .krate
            .unwrap_or_else(|| syn::parse_quote!(::agent_metrics)),
        default_sources: attrs.default_sources,
        no_debug: attrs.no_debug,
        fields,
    };
    check_container(cx, &container);
    Some(container)
}

fn check_container(cx: &Ctxt, c: &Container) {
    if let Some(sources) = &c.default_sources {
        check_sources(cx, c, sources);
    }
    let mut inline: HashMap<String, (&Measure, &Ident)> = HashMap::new();
    let mut keys: HashMap<&str, &AttrField> = HashMap::new();
    for field in &c.fields {
        match &field.role {
            Role::Measure(measures) => {
                for (k, m) in measures.iter().enumerate() {
                    check_measure(cx, field, m);
                    if let Some(s) = &m.sources {
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
                            Some((first, first_field)) if !same_definition(first, m) => {
                                cx.error_spanned_by(
                                    name,
                                    format!("instrument `{}` is already declared on field `{first_field}` with a different kind, unit, description or buckets: make the two definitions identical, or declare it once as a shared `Instrument` constant", name.value()),
                                );
                            }
                            Some(_) => {}
                            None => {
                                inline.insert(name.value(), (m, field.ident));
                            }
                        }
                    }
                }
            }
            Role::Nested { sources: Some(s) } => check_sources(cx, c, s),
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

fn check_measure(cx: &Ctxt, field: &Field, m: &Measure) {
    match &m.def {
        Def::Inline(name) => {
            if let Err(why) = rules::check_name(&name.value()) {
                cx.error_spanned_by(name, why);
            }
            if let Some(unit) = &m.unit {
                if let Err(why) = rules::check_unit(&unit.value()) {
                    cx.error_spanned_by(unit, why);
                } else if is_duration(field.ty) && unit.value() != "s" {
                    cx.error_spanned_by(
                        unit,
                        "a Duration is always recorded as seconds: remove `unit` (it is \"s\"), or store the value as a number in the unit you want",
                    );
                }
            }
            if let Some(d) = &m.description
                && d.value().trim().is_empty()
            {
                cx.error_spanned_by(d, "description is empty: write one, or remove `description` to use the doc comment");
            }
            if let Some(b) = &m.buckets {
                if m.kind != Kind::Histogram {
                    cx.syn_error(syn::Error::new(
                        b.span,
                        format!("`buckets` apply to histograms only, and this field is a {}: remove them", m.kind.keyword()),
                    ));
                } else if let BucketValues::Literal(values, exprs) = &b.values
                    && let Err((index, why)) = rules::check_buckets(values)
                {
                    match exprs.get(index) {
                        Some(expr) => cx.error_spanned_by(expr, why),
                        None => cx.syn_error(syn::Error::new(b.span, why)),
                    }
                }
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
                from_shared(b.span, "buckets");
            }
            if let Some(l) = &m.cardinality_limit {
                from_shared(l.span(), "cardinality_limit");
            }
        }
    }
}

fn same_definition(a: &Measure, b: &Measure) -> bool {
    let lit = |l: &Option<syn::LitStr>| l.as_ref().map(|s| s.value());
    let description = |m: &Measure| lit(&m.description).or_else(|| m.doc.clone());
    a.kind == b.kind
        && lit(&a.unit) == lit(&b.unit)
        && description(a) == description(b)
        && bucket_key(a) == bucket_key(b)
}

/// Buckets compared as written: values, or the constant's path.
fn bucket_key(m: &Measure) -> Option<String> {
    m.buckets.as_ref().map(|b| match &b.values {
        BucketValues::Literal(values, _) => format!("{values:?}"),
        BucketValues::Path(path) => quote::ToTokens::to_token_stream(path).to_string(),
    })
}

fn check_sources(cx: &Ctxt, c: &Container, sources: &Sources) {
    for (i, entry) in sources.entries.iter().enumerate() {
        if sources.entries[..i].contains(entry) {
            let what = entry.key();
            match entry {
                SourceRef::Const(k, _) => cx.error_spanned_by(
                    k,
                    format!("`{what}` is listed twice: list each attribute source once"),
                ),
                SourceRef::Field(i) | SourceRef::View(i, _) => cx.error_spanned_by(
                    i,
                    format!("`{what}` is listed twice: list each attribute source once"),
                ),
            }
            continue;
        }
        if let SourceRef::Const(key, _) = entry {
            if matches!(key, ConstText::Lit(l) if l.value().is_empty()) {
                cx.error_spanned_by(key, "attribute key is empty: give it a name");
            }
            continue;
        }
        let Some(ident) = entry.field() else { continue };
        let viewed = matches!(entry, SourceRef::View(..));
        match c.field(ident).map(|f| &f.role) {
            None => cx.error_spanned_by(
                ident,
                format!("no field named `{ident}`: attribute sources are fields of this struct, either attribute sets or fields marked `#[attr]`"),
            ),
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

/// `Duration` or `Option<Duration>`, by the type's last path segment. Only used to give a precise
/// error; the unit itself comes from the `MetricValue` trait, so aliases still get seconds.
fn is_duration(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident == "Duration" {
        return true;
    }
    if last.ident == "Option"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return is_duration(inner);
    }
    false
}

/// A struct deriving `Attributes`: every field is one attribute.
pub struct AttributeStruct<'a> {
    pub ident: &'a Ident,
    pub krate: syn::Path,
    pub fields: Vec<(&'a syn::Field, AttrField)>,
}

pub fn attribute_struct<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<AttributeStruct<'a>> {
    let attrs = attr::container(cx, &input.attrs);
    if let Some(first) = attrs
        .default_sources
        .as_ref()
        .and_then(|s| s.entries.first())
        .and_then(SourceRef::field)
    {
        cx.error_spanned_by(
            first,
            "an attribute set has no attribute sources: its fields are its attributes",
        );
    }
    let named = named_fields(cx, input, "Attributes")?;
    let mut fields = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for f in &named.named {
        if let Some(a) = f.attrs.iter().find(|a| a.path().is_ident("metric")) {
            cx.error_spanned_by(a, "`#[metric]` does not apply to the fields of an attribute set: use `#[attr(key = \"..\", skip_empty, as_str)]`");
        }
        let ident = f.ident.as_ref().expect("named field");
        let a = attr::attr_field(cx, f).unwrap_or_else(|| AttrField {
            key: ident.to_string(),
            key_span: ident.span(),
            as_str: false,
            skip_empty: false,
        });
        check_key(cx, &a);
        if seen.insert(a.key.clone(), ()).is_some() {
            cx.syn_error(syn::Error::new(
                a.key_span,
                format!("attribute key `{}` is used by two fields: give one of them `#[attr(key = \"..\")]`", a.key),
            ));
        }
        fields.push((f, a));
    }
    Some(AttributeStruct {
        ident: &input.ident,
        krate: attrs
            .krate
            .unwrap_or_else(|| syn::parse_quote!(::agent_metrics)),
        fields,
    })
}
