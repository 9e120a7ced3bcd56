//! `#[derive(AgentMetric)]`: descriptors, handles, `record` and the compact `Debug`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;

use super::debug;
use super::dummy_const;
use super::sources::{self, Plan};
use crate::ast::{BucketValues, Container, Def, Field, Kind, Measure, Role};
use crate::check;
use crate::ctxt::Ctxt;

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let container = check::metric_container(&cx, input);
    match (cx.check(), container) {
        (Ok(()), Some(c)) => expand(&c),
        (Err(errors), c) => {
            let mut out = errors.to_compile_error();
            if let Some(c) = c {
                out.extend(fallback(&c));
            }
            out
        }
        (Ok(()), None) => unreachable!("a missing model is always reported"),
    }
}

/// Minimal impls emitted next to the errors, so that the user sees the errors above and not a
/// cascade of "trait not implemented" at every use of the type.
fn fallback(c: &Container) -> TokenStream {
    let ident = c.ident;
    let debug = (!c.no_debug).then(|| {
        let name = ident.to_string();
        quote! {
            impl __p::fmt::Debug for #ident {
                fn fmt(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result { f.write_str(#name) }
            }
            impl __p::CompactDebug for #ident {
                fn fmt_compact(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result { f.write_str("{}") }
            }
        }
    });
    dummy_const(
        &c.krate,
        quote! {
            impl __p::AgentMetric for #ident {
                type Handles = ();
                const INSTRUMENTS: &'static [__p::InstrumentDescriptor] = &[];
                fn handles(_: &__p::Meter) {}
                fn record_inherited(&self, _: &(), _: &[__p::KeyValue]) {}
            }
            #debug
        },
    )
}

fn expand(c: &Container) -> TokenStream {
    let ident = c.ident;
    let type_name = ident.to_string();
    let groups = sources::groups(c);

    let mut consts = Vec::new();
    let mut descriptors = Vec::new();
    let mut handle_fields = Vec::new();
    let mut handle_inits = Vec::new();
    let mut record_groups = Vec::new();
    let mut nested_visits = Vec::new();

    for (g, group) in groups.iter().enumerate() {
        let plan = Plan::new(g);
        let attribute_keys = match group.sources {
            Some(s) => {
                consts.push(sources::plan_consts(c, s, &plan));
                let keys = &plan.keys;
                quote!(&#keys)
            }
            None => quote!(&[]),
        };

        let mut values = Vec::new();
        let mut present = Vec::new();
        let mut writes = Vec::new();
        let mut always = false;
        for &i in &group.members {
            let field = &c.fields[i];
            let f = field.ident;
            let ty = field.ty;
            match &field.role {
                Role::Measure(m) => {
                    let instrument = format_ident!("__I_{}", f);
                    consts.push(instrument_const(&instrument, field, m));
                    let field_name = f.to_string();
                    descriptors.push(quote! {
                        __p::InstrumentDescriptor {
                            instrument: #instrument,
                            value_type: __p::value_type::<#ty>(),
                            attributes: #attribute_keys,
                            source: __p::Source { type_name: #type_name, via: "", field: #field_name },
                        }
                    });
                    let (handle_ty, builder, method) = kind_parts(m.kind);
                    handle_fields
                        .push(quote!(#f: __p::#handle_ty<<#ty as __p::MetricValue>::Number>));
                    handle_inits.push(
                        quote_spanned!(m.kind_span=> #f: __p::#builder::<#ty>(meter, &#instrument)),
                    );
                    let value = format_ident!("__m_{}", f);
                    let skip_zero = m.skip_zero;
                    values.push(quote!(let #value = __p::measure(&self.#f, #skip_zero);));
                    present.push(value.clone());
                    writes.push(quote! {
                        if let __p::Some(v) = #value { handles.#f.#method(v, __attrs); }
                    });
                }
                Role::Nested { .. } => {
                    always = true;
                    handle_fields.push(quote!(#f: <#ty as __p::AgentMetric>::Handles));
                    handle_inits.push(quote!(#f: <#ty as __p::AgentMetric>::handles(meter)));
                    writes.push(quote! {
                        __p::AgentMetric::record_inherited(&self.#f, &handles.#f, __attrs);
                    });
                    let via = f.to_string();
                    nested_visits.push(quote! {
                        <#ty as __p::AgentMetric>::visit_instruments(&mut |d| {
                            visit(__p::through_parent(d, #type_name, #via, #attribute_keys))
                        });
                    });
                }
                _ => unreachable!("groups hold measured and nested fields"),
            }
        }

        let condition = if always {
            quote!(true)
        } else {
            quote!(#(#present.is_some())||*)
        };
        let attrs = match group.sources {
            Some(s) => {
                let fill = sources::fill_buffer(c, s, &plan);
                quote! { #fill let __attrs: &[__p::KeyValue] = __buf.as_slice(); }
            }
            None => quote!(let __attrs: &[__p::KeyValue] = inherited;),
        };
        record_groups.push(quote! {
            {
                #(#values)*
                if #condition {
                    #attrs
                    #(#writes)*
                }
            }
        });
    }

    let handles = format_ident!("__{}Handles", ident);
    let debug = (!c.no_debug).then(|| debug::metric(c));
    let uses_inherited = groups.iter().any(|g| g.sources.is_none());
    let inherited = if uses_inherited {
        quote!(inherited)
    } else {
        quote!(_)
    };

    dummy_const(
        &c.krate,
        quote! {
            #(#consts)*

            /// The instrument handles of the metric type.
            pub struct #handles {
                #(#handle_fields,)*
            }

            impl __p::AgentMetric for #ident {
                type Handles = #handles;

                const INSTRUMENTS: &'static [__p::InstrumentDescriptor] = &[#(#descriptors),*];

                fn handles(meter: &__p::Meter) -> #handles {
                    #handles { #(#handle_inits,)* }
                }

                #[inline]
                fn record_inherited(&self, handles: &#handles, #inherited: &[__p::KeyValue]) {
                    #(#record_groups)*
                }

                fn visit_instruments(visit: &mut dyn __p::FnMut(__p::InstrumentDescriptor)) {
                    for d in Self::INSTRUMENTS {
                        visit(*d);
                    }
                    #(#nested_visits)*
                }
            }

            #debug
        },
    )
}

fn kind_parts(kind: Kind) -> (TokenStream, TokenStream, TokenStream) {
    match kind {
        Kind::Counter => (quote!(Counter), quote!(counter), quote!(add)),
        Kind::UpDownCounter => (quote!(UpDownCounter), quote!(up_down_counter), quote!(add)),
        Kind::Histogram => (quote!(Histogram), quote!(histogram), quote!(record)),
        Kind::Gauge => (quote!(Gauge), quote!(gauge), quote!(record)),
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
