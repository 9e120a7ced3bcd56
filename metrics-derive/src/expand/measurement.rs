//! What each recording field contributes: its measurements (a field may make several) or its
//! nested metric, and the code each one adds to the handles, the bound set and `record`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use crate::ast::{BucketValues, Container, Def, Field, Kind, Measure, Role, Sources};

/// One thing a struct records: a measurement (a field may make several) or a nested field.
pub struct Measurement<'a> {
    pub field: &'a Field<'a>,
    /// `None` for a nested field.
    pub measure: Option<&'a Measure>,
    /// The name of its handle and bound instrument: the field's, or `__<field>_<k>` when the
    /// field makes several measurements.
    pub name: syn::Ident,
}

pub fn measurements<'a>(c: &'a Container<'a>) -> Vec<Measurement<'a>> {
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

pub fn declared_sources<'a>(c: &'a Container, m: &Measurement<'a>) -> Option<&'a Sources> {
    let own = match (&m.measure, &m.field.role) {
        (Some(measure), _) => measure.sources.as_ref(),
        (None, Role::Nested { sources }) => sources.as_ref(),
        _ => None,
    };
    own.or(c.default_sources.as_ref())
}

/// What one measurement contributes to each generated item.
pub struct Member {
    pub name: syn::Ident,
    pub handle_field: TokenStream,
    pub handle_init: TokenStream,
    pub bound_field: TokenStream,
    /// The bound instrument, built with `__attrs` in scope.
    pub bound_init: TokenStream,
    /// Reads the value into `present` (measurements only).
    pub value: Option<(syn::Ident, TokenStream)>,
    /// Records with `__attrs` in scope.
    pub write: TokenStream,
    /// Records through the bound instrument.
    pub bound_write: TokenStream,
}

#[derive(Default)]
pub struct Items {
    pub consts: Vec<TokenStream>,
    pub descriptors: Vec<TokenStream>,
    pub nested_visits: Vec<TokenStream>,
}

pub fn member(c: &Container, m: &Measurement, keys: &TokenStream, out: &mut Items) -> Member {
    let type_name = c.ident.to_string();
    let f = m.field.ident;
    let ty = m.field.ty;
    let name = &m.name;
    match m.measure {
        Some(measure) => {
            let instrument = format_ident!("__I_{}", name);
            out.consts
                .push(instrument_const(&instrument, m.field, measure));
            let field_name = f.to_string();
            out.descriptors.push(quote! {
                __p::InstrumentDescriptor {
                    instrument: #instrument,
                    value_type: __p::value_type::<#ty>(),
                    attributes: #keys,
                    source: __p::Source { type_name: #type_name, via: "", field: #field_name },
                }
            });
            let (handle_ty, bound_ty, builder, method) = kind_parts(measure.kind);
            let value = format_ident!("__v_{}", name);
            let (skip_zero, skip_negative) = (measure.skip_zero, measure.skip_negative);
            let read = quote!(__p::measure(&self.#f, &#instrument, #skip_zero, #skip_negative));
            Member {
                name: name.clone(),
                handle_field: quote!(#name: __p::#handle_ty<<#ty as __p::MetricValue>::Number>),
                handle_init: quote_spanned!(measure.kind_span=> #name: __p::#builder::<#ty>(meter, &#instrument)),
                bound_field: quote!(#name: __p::#bound_ty<<#ty as __p::MetricValue>::Number>),
                bound_init: quote!(__p::#bound_ty::bind(&handles.#name, __attrs)),
                value: Some((value.clone(), quote!(let #value = #read;))),
                write: quote! {
                    if let __p::Some(v) = #value { handles.#name.#method(v, __attrs); }
                },
                bound_write: quote! {
                    if let __p::Some(v) = #read { bound.#name.#method(v); }
                },
            }
        }
        None => {
            let via = f.to_string();
            out.nested_visits.push(quote! {
                <#ty as __p::AgentMetric>::visit_instruments(&mut |d| {
                    visit(__p::through_parent(d, #type_name, #via, #keys))
                });
            });
            Member {
                name: name.clone(),
                handle_field: quote!(#name: <#ty as __p::AgentMetric>::Handles),
                handle_init: quote!(#name: <#ty as __p::AgentMetric>::handles(meter)),
                bound_field: quote!(#name: <#ty as __p::AgentMetric>::Bound),
                bound_init: quote! {
                    <#ty as __p::AgentMetric>::bind_inherited(&handles.#name, &template.#f, __p::Some(__attrs))
                },
                value: None,
                write: quote! {
                    __p::AgentMetric::record_inherited(&self.#f, &handles.#name, __p::Some(__attrs));
                },
                bound_write: quote! {
                    __p::AgentMetric::record_bound(&self.#f, &bound.#name);
                },
            }
        }
    }
}

/// Handle type, bound type, builder function and recording method of a kind.
fn kind_parts(kind: Kind) -> (TokenStream, TokenStream, TokenStream, TokenStream) {
    match kind {
        Kind::Counter => (
            quote!(Counter),
            quote!(BoundCounter),
            quote!(counter),
            quote!(add),
        ),
        Kind::UpDownCounter => (
            quote!(UpDownCounter),
            quote!(BoundUpDownCounter),
            quote!(up_down_counter),
            quote!(add),
        ),
        Kind::Histogram => (
            quote!(Histogram),
            quote!(BoundHistogram),
            quote!(histogram),
            quote!(record),
        ),
        Kind::Gauge => (
            quote!(Gauge),
            quote!(BoundGauge),
            quote!(gauge),
            quote!(record),
        ),
    }
}

/// The instrument definition of one measurement, with the unit its field type implies.
fn instrument_const(name: &syn::Ident, field: &Field, m: &Measure) -> TokenStream {
    let ty = field.ty;
    let kind = match m.kind {
        Kind::Counter => quote!(Counter),
        Kind::UpDownCounter => quote!(UpDownCounter),
        Kind::Histogram => quote!(Histogram),
        Kind::Gauge => quote!(Gauge),
    };
    let base = match &m.def {
        Def::Inline(lit) => {
            let ctor = format_ident!("{}", m.kind.keyword());
            let unit = m.unit.as_ref().map(|u| quote!(.unit(#u)));
            let description = m
                .description
                .as_ref()
                .map(|d| d.value())
                .or_else(|| m.doc.clone())
                .map(|d| quote!(.description(#d)));
            let buckets = m.buckets.as_ref().map(|b| match &b.values {
                BucketValues::Literal(values, _) => quote!(.buckets(&[#(#values),*])),
                BucketValues::Path(path) => quote!(.buckets(#path)),
            });
            let limit = m
                .cardinality_limit
                .as_ref()
                .map(|l| quote!(.cardinality_limit(#l)));
            quote!(__p::Instrument::#ctor(#lit) #unit #description #buckets #limit)
        }
        Def::Shared(path) => {
            quote_spanned!(path.segments.last().map(|s| s.ident.span()).unwrap_or_else(proc_macro2::Span::call_site)=>
                #path.expect_kind(__p::InstrumentKind::#kind))
        }
    };
    quote! {
        const #name: __p::Instrument = {
            let i = #base;
            __p::Instrument { unit: __p::unit_of::<#ty>(i.unit), ..i }
        };
    }
}
