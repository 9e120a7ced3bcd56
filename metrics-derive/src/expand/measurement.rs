//! What each recording field contributes: its measurements (a field may make several) or its
//! nested metric, and the code each one adds to the handles, the bound set and `record`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Container, Field};
use crate::attr::{AttrSources, BucketValues, Def, Measure, Role};
use crate::checks;

/// One thing a struct records: a measurement (a field may make several) or a nested field.
pub(super) struct Measurement<'a> {
    pub field: &'a Field<'a>,
    /// `None` for a nested field.
    pub measure: Option<&'a Measure>,
    /// The name of its handle and bound instrument: the field's, or `__<field>_<k>` when the
    /// field makes several measurements.
    pub name: syn::Ident,
}

pub(super) fn measurements<'a>(c: &'a Container<'a>) -> Vec<Measurement<'a>> {
    let mut out = Vec::new();
    for field in &c.fields {
        match &field.role {
            Role::Measure(ms) => {
                for (k, m) in ms.iter().enumerate() {
                    let name = if ms.len() == 1 {
                        field.ident.clone()
                    } else {
                        format_ident!("__{}_{}", field.ident, k)
                    };
                    out.push(Measurement {
                        field,
                        measure: Some(m),
                        name,
                    });
                }
            }
            Role::Nested { .. } => out.push(Measurement {
                field,
                measure: None,
                name: field.ident.clone(),
            }),
            _ => {}
        }
    }
    out
}

pub(super) fn declared_sources<'a>(
    c: &'a Container,
    m: &Measurement<'a>,
) -> Option<&'a AttrSources> {
    let own = match (&m.measure, &m.field.role) {
        (Some(measure), _) => measure.attr_sources.as_ref(),
        (None, Role::Nested { attr_sources }) => attr_sources.as_ref(),
        _ => None,
    };
    own.or(c.default_attr_sources.as_ref())
}

/// What one measurement contributes to each generated item.
pub(super) struct Member {
    pub name: syn::Ident,
    pub handle_field: TokenStream,
    pub handle_init: TokenStream,
    pub bound_field: TokenStream,
    /// The bound instrument, built with `__attrs` and `__bound_job` (the job bound under) in
    /// scope.
    pub bound_init: TokenStream,
    /// Reads the value into `present` (measurements only).
    pub value: Option<(syn::Ident, TokenStream)>,
    /// Records with `__attrs` in scope.
    pub write: TokenStream,
    /// Records through the bound instrument, with `__job_id` (the current job) in scope.
    pub bound_write: TokenStream,
}

#[derive(Default)]
pub(super) struct Items {
    pub consts: Vec<TokenStream>,
    pub descriptors: Vec<TokenStream>,
    pub nested_visits: Vec<TokenStream>,
}

pub(super) fn member(
    c: &Container,
    m: &Measurement,
    keys: &TokenStream,
    out: &mut Items,
) -> Member {
    let type_name = c.header.name();
    let f = m.field.ident;
    let ty = m.field.ty;
    let name = &m.name;
    let span = ty.span();
    // Proves the field's trait once, on its type; the types of the generated struct fields go
    // through it (see `__private`).
    let proof = format_ident!("__V_{}", name);
    match m.measure {
        Some(measure) => {
            let mut instrument = format_ident!("__I_{}", name);
            // Every use of the constant carries the span of its definition, so that when a
            // shared instrument fails to evaluate, rustc's notes about it point there.
            instrument.set_span(match &measure.def {
                Def::Inline(lit) => lit.span(),
                Def::Shared(path) => path.segments.last().map_or(span, |s| s.ident.span()),
            });
            let instrument_ref = quote_spanned!(instrument.span()=> &#instrument);
            out.consts.push(quote_spanned! {span=>
                const #proof: __p::u8 =
                    <<#ty as __p::MetricValue>::Number as __p::Number>::VALUE_TYPE as __p::u8;
            });
            // Every other use of the field's `MetricValue` goes through the proof, so that a
            // type that is none is one error, the proof's.
            let value_ty = quote_spanned!(span=> __p::ValueOf<{ #proof }, #ty>);
            out.consts
                .push(instrument_const(&instrument, &value_ty, measure));
            let field_name = &m.field.name;
            let value_type = quote_spanned! {span=>
                <__p::NumberOf<{ #proof }> as __p::Number>::VALUE_TYPE
            };
            // The field that feeds the instrument ("fed by" in the catalog), as people read it.
            out.descriptors.push(quote! {
                __p::InstrumentDescriptor {
                    instrument: #instrument,
                    value_type: #value_type,
                    attributes: #keys,
                    source: __p::FieldPath { type_name: #type_name, via: "", field: #field_name },
                }
            });
            let spec = measure.kind.spec();
            let [handle_ty, bound_ty, builder, method] =
                [spec.handle, spec.bound, spec.number_trait, spec.record]
                    .map(|name| format_ident!("{}", name));
            let build = format_ident!("build_{}", spec.keyword.0);
            // Proves once, on the type, that the instrument takes this number (an `i64` is no
            // counter's); the handle, the bound instrument and the cache cell go through it.
            let kind_proof = format_ident!("__K_{}", name);
            out.consts.push(quote_spanned! {span=>
                const #kind_proof: __p::bool = {
                    let _ = <__p::NumberOf<{ #proof }> as __p::#builder>::#build;
                    true
                };
            });
            let value = format_ident!("__v_{}", name);
            let (skip_zero, skip_negative) = (measure.skip_zero, measure.skip_negative);
            let number = quote_spanned!(span=> <#value_ty as __p::MetricValue>::number(&self.#f));
            let read = quote!(__p::measure(#number, &#instrument, #skip_zero, #skip_negative));
            let number_type =
                quote_spanned!(span=> __p::Checked<{ #kind_proof }, __p::NumberOf<{ #proof }>>);
            Member {
                name: name.clone(),
                handle_field: quote!(#name: __p::#handle_ty<#number_type>),
                handle_init: quote! {
                    #name: <#number_type as __p::#builder>::#build(meter, #instrument_ref)
                },
                bound_field: quote!(#name: __p::#bound_ty<#number_type>),
                bound_init: quote!(__p::#bound_ty::bind_in_job(&handles.#name, __attrs, __bound_job)),
                value: Some((value.clone(), quote!(let #value = #read;))),
                write: quote! {
                    if let __p::Some(v) = #value { handles.#name.#method(v, __attrs); }
                },
                bound_write: quote! {
                    if let __p::Some(v) = #read { bound.#name.record_in_job(v, __job_id); }
                },
            }
        }
        None => {
            let via = &m.field.name;
            let proof = super::proof::nested(f);
            out.consts.push(quote_spanned! {span=>
                const #proof: __p::bool = {
                    let _ = <#ty as __p::AgentMetric>::INSTRUMENTS;
                    true
                };
            });
            let metric = quote!(<__p::NestedMetric<{ #proof }, #ty> as __p::AgentMetric>);
            out.nested_visits.push(quote! {
                #metric::visit_instruments(&mut |d| {
                    visit(__p::through_parent(d, #type_name, #via, #keys))
                });
            });
            Member {
                name: name.clone(),
                handle_field: quote!(#name: #metric::Handles),
                handle_init: quote!(#name: #metric::handles(meter)),
                bound_field: quote!(#name: #metric::Bound),
                bound_init: quote! {
                    #metric::bind_inherited(&handles.#name, &template.#f, __p::Some(__attrs))
                },
                value: None,
                write: quote! {
                    #metric::record_inherited(&self.#f, &handles.#name, __p::Some(__attrs));
                },
                bound_write: quote! {
                    #metric::record_bound(&self.#f, &bound.#name);
                },
            }
        }
    }
}

/// The instrument definition of one measurement, with the unit its field type implies, and the
/// checks of rules that depend on the field's type, which hold however the type is spelled (an
/// alias, a qualified path, a re-export): a type that implies a unit (`Duration`: seconds) takes
/// no other, and a histogram in seconds states the intent of bounds that start at 1 or more.
/// Where the derive reads the unit and the bounds (an inline definition with a list), a check is
/// a trait the field's type must have (`AnyUnit`, `AnyBoundaries`), spanned on the token a user
/// would change, so that a mistake is one error in the trait's words; where it cannot (a shared
/// instrument, a constant's bounds), it is a constant evaluation, spanned the same way.
fn instrument_const(name: &syn::Ident, value_ty: &TokenStream, m: &Measure) -> TokenStream {
    let spec = m.kind.spec();
    let def_span = match &m.def {
        Def::Inline(lit) => lit.span(),
        Def::Shared(path) => path.segments.last().map_or(path.span(), |s| s.ident.span()),
    };
    let bucket_list = m.buckets.as_ref().map(|b| match &b.values {
        BucketValues::Literal(values, _) => quote!(&[#(#values),*]),
        BucketValues::Path(path) => quote!(#path),
    });
    let millis = m.buckets.as_ref().is_some_and(|b| b.millis);
    // Bounds whose intent is stated are set past the seconds check.
    let long = m.long_durations.is_some() || millis;
    let implied = quote!(<#value_ty as __p::MetricValue>::UNIT);
    let buckets_span = m.buckets.as_ref().map_or(def_span, |b| b.span);
    let (base, checks) = match &m.def {
        Def::Inline(lit) => {
            let ctor = format_ident!("{}", spec.keyword.0);
            // `buckets_ms` are converted to seconds, so the histogram records seconds.
            let unit = match (&m.unit, millis) {
                (Some(u), _) => Some(quote!(.unit(#u))),
                (None, true) => Some(quote!(.unit("s"))),
                (None, false) => None,
            };
            let description = m
                .description
                .as_ref()
                .map(|d| d.value())
                .or_else(|| m.doc.clone())
                .map(|d| quote!(.description(#d)));
            let with_buckets = bucket_list.as_ref().map(|b| match long {
                true => quote!(.long_duration_buckets(#b)),
                false => quote!(.buckets(#b)),
            });
            let limit = m
                .cardinality_limit
                .as_ref()
                .map(|l| quote!(.cardinality_limit(#l)));
            let base = quote!(__p::Instrument::#ctor(#lit) #unit #description #with_buckets #limit);
            let mut checks = Vec::new();
            if let Some(u) = m.unit.as_ref().filter(|u| u.value() != "s") {
                checks.push(type_check(
                    name,
                    "U",
                    u.span(),
                    value_ty,
                    quote!(AnyUnit > ::ANY_UNIT),
                ));
            }
            match m.buckets.as_ref().map(|b| &b.values) {
                // With no declared unit, only the field's type can say the bounds are seconds.
                Some(BucketValues::Literal(values, _))
                    if m.unit.is_none() && checks::seconds_buckets_ambiguous("s", values, long) =>
                {
                    checks.push(type_check(
                        name,
                        "B",
                        buckets_span,
                        value_ty,
                        quote!(AnyBoundaries > ::ANY_BOUNDARIES),
                    ));
                }
                Some(BucketValues::Path(_)) => {
                    let declared = m.unit.as_ref().map_or(quote!(""), |u| quote!(#u));
                    checks.push(quote_spanned!(buckets_span=> __p::check_seconds_buckets(
                        __p::unit_or(#declared, #implied), #name.buckets, #long)));
                }
                _ => {}
            }
            (base, checks)
        }
        Def::Shared(path) => {
            let variant = format_ident!("{}", spec.variant);
            let base = quote_spanned!(def_span=> #path.expect_kind(__p::InstrumentKind::#variant));
            let checks = vec![
                quote_spanned!(def_span=> __p::check_field_unit(#path.unit, #implied)),
                quote_spanned!(def_span=> __p::check_seconds_buckets(
                    __p::unit_or(#path.unit, #implied), #path.buckets, #path.long_durations)),
            ];
            (base, checks)
        }
    };
    quote! {
        const #name: __p::Instrument = {
            let i = #base;
            __p::Instrument { unit: __p::unit_or(i.unit, #implied), ..i }
        };
        #(const _: () = #checks;)*
    }
}

/// `<field type as Trait>::ITEM` (`item` is `Trait>::ITEM`) with the field's type named by an
/// alias spanned on `span`, so
/// that the compiler's error points at the token the user would change (`unit`, `buckets`),
/// not at the type.
fn type_check(
    name: &syn::Ident,
    what: &str,
    span: proc_macro2::Span,
    value_ty: &TokenStream,
    item: TokenStream,
) -> TokenStream {
    let mut alias = format_ident!("__{}_{}", what, name);
    alias.set_span(span);
    quote!({
        type #alias = #value_ty;
        <#alias as __p::#item
    })
}
