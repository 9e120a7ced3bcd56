//! `#[derive(AgentMetric)]`: descriptors, handles, `record` and the compact `Debug`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;

use super::debug;
use super::dummy_const;
use super::sources::{self, Group, Plan};
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
                type Bound = ();
                const INSTRUMENTS: &'static [__p::InstrumentDescriptor] = &[];
                fn handles(_: &__p::Meter) {}
                fn record_inherited(&self, _: &(), _: &[__p::KeyValue]) {}
                fn bind_inherited(_: &(), _: &Self, _: &[__p::KeyValue]) {}
                fn record_bound(&self, _: &()) {}
            }
            #debug
        },
    )
}

/// What one recording field contributes to each generated item.
struct Member {
    name: syn::Ident,
    handle_field: TokenStream,
    handle_init: TokenStream,
    bound_field: TokenStream,
    /// The bound instrument, built with `__attrs` in scope.
    bound_init: TokenStream,
    /// Reads the value into `__m_<field>` (measurements only).
    value: Option<TokenStream>,
    /// Records with `__attrs` in scope.
    write: TokenStream,
    /// Records through the bound instrument.
    bound_write: TokenStream,
}

fn member(c: &Container, field: &Field, keys: &TokenStream, out: &mut Items) -> Member {
    let type_name = c.ident.to_string();
    let f = field.ident;
    let ty = field.ty;
    match &field.role {
        Role::Measure(m) => {
            let instrument = format_ident!("__I_{}", f);
            out.consts.push(instrument_const(&instrument, field, m));
            let field_name = f.to_string();
            out.descriptors.push(quote! {
                __p::InstrumentDescriptor {
                    instrument: #instrument,
                    value_type: __p::value_type::<#ty>(),
                    attributes: #keys,
                    source: __p::Source { type_name: #type_name, via: "", field: #field_name },
                }
            });
            let (handle_ty, bound_ty, builder, method) = kind_parts(m.kind);
            let value = format_ident!("__m_{}", f);
            let skip_zero = m.skip_zero;
            Member {
                name: f.clone(),
                handle_field: quote!(#f: __p::#handle_ty<<#ty as __p::MetricValue>::Number>),
                handle_init: quote_spanned!(m.kind_span=> #f: __p::#builder::<#ty>(meter, &#instrument)),
                bound_field: quote!(#f: __p::#bound_ty<<#ty as __p::MetricValue>::Number>),
                bound_init: quote!(__p::#bound_ty::bind(&handles.#f, __attrs)),
                value: Some(quote!(let #value = __p::measure(&self.#f, #skip_zero);)),
                write: quote! {
                    if let __p::Some(v) = #value { handles.#f.#method(v, __attrs); }
                },
                bound_write: quote! {
                    if let __p::Some(v) = __p::measure(&self.#f, #skip_zero) { bound.#f.#method(v); }
                },
            }
        }
        Role::Nested { .. } => {
            let via = f.to_string();
            out.nested_visits.push(quote! {
                <#ty as __p::AgentMetric>::visit_instruments(&mut |d| {
                    visit(__p::through_parent(d, #type_name, #via, #keys))
                });
            });
            Member {
                name: f.clone(),
                handle_field: quote!(#f: <#ty as __p::AgentMetric>::Handles),
                handle_init: quote!(#f: <#ty as __p::AgentMetric>::handles(meter)),
                bound_field: quote!(#f: <#ty as __p::AgentMetric>::Bound),
                bound_init: quote! {
                    <#ty as __p::AgentMetric>::bind_inherited(&handles.#f, &template.#f, __attrs)
                },
                value: None,
                write: quote! {
                    __p::AgentMetric::record_inherited(&self.#f, &handles.#f, __attrs);
                },
                bound_write: quote! {
                    __p::AgentMetric::record_bound(&self.#f, &bound.#f);
                },
            }
        }
        _ => unreachable!("groups hold measured and nested fields"),
    }
}

#[derive(Default)]
struct Items {
    consts: Vec<TokenStream>,
    descriptors: Vec<TokenStream>,
    nested_visits: Vec<TokenStream>,
}

fn expand(c: &Container) -> TokenStream {
    let ident = c.ident;
    let groups = sources::groups(c);
    let plans: Vec<Plan> = (0..groups.len()).map(Plan::new).collect();
    let mut items = Items::default();

    let mut members: Vec<Vec<Member>> = Vec::new();
    for (group, plan) in groups.iter().zip(&plans) {
        let keys = match group.sources {
            Some(s) => {
                items.consts.push(sources::plan_consts(c, s, plan));
                let keys = &plan.keys;
                quote!(&#keys)
            }
            None => quote!(&[]),
        };
        let list = group
            .members
            .iter()
            .map(|&i| member(c, &c.fields[i], &keys, &mut items))
            .collect();
        members.push(list);
    }
    for (g, group) in groups.iter().enumerate() {
        if let (Some(p), Some(child)) = (group.parent, group.sources) {
            let parent = groups[p].sources.expect("parents have sources");
            let extra = sources::extra_sources(parent, child);
            let (side, parent_plan) = (&plans[g].side, &plans[p].plan);
            items.consts.push(quote! {
                const #side: u8 = __p::run_side(&#parent_plan, &[#(#extra),*]);
            });
        }
    }

    let record = record_body(c, &groups, &plans, &members);
    let bound = format_ident!("__{}Bound", ident);
    let bind = bind_body(c, &bound, &groups, &plans, &members);
    let all = || members.iter().flatten();
    let handle_fields = all().map(|m| &m.handle_field);
    let handle_inits = all().map(|m| &m.handle_init);
    let bound_fields = all().map(|m| &m.bound_field);
    let bound_writes = all().map(|m| &m.bound_write);
    let Items {
        consts,
        descriptors,
        nested_visits,
    } = &items;

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

            /// The instruments of the metric type, bound to one attribute set.
            pub struct #bound {
                #(#bound_fields,)*
            }

            impl __p::AgentMetric for #ident {
                type Handles = #handles;
                type Bound = #bound;

                const INSTRUMENTS: &'static [__p::InstrumentDescriptor] = &[#(#descriptors),*];

                fn handles(meter: &__p::Meter) -> #handles {
                    #handles { #(#handle_inits,)* }
                }

                #[inline]
                fn record_inherited(&self, handles: &#handles, #inherited: &[__p::KeyValue]) {
                    #record
                }

                fn bind_inherited(handles: &#handles, template: &Self, #inherited: &[__p::KeyValue]) -> #bound {
                    #bind
                }

                #[inline]
                fn record_bound(&self, bound: &#bound) {
                    #(#bound_writes)*
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

/// `record_inherited`: per group, read the values, and only if one is present build the
/// attributes once and record. A group inside a larger one records with a slice of the larger
/// group's buffer when its keys form a prefix or suffix of it (`run_side`), else its own.
fn record_body(
    c: &Container,
    groups: &[Group],
    plans: &[Plan],
    members: &[Vec<Member>],
) -> TokenStream {
    let receiver = quote!(self);
    let roots = (0..groups.len()).filter(|&g| groups[g].parent.is_none());
    let blocks = roots.map(|r| {
        let children: Vec<usize> = (0..groups.len())
            .filter(|&g| groups[g].parent == Some(r))
            .collect();
        let family = std::iter::once(r).chain(children.iter().copied());
        let values = family
            .clone()
            .flat_map(|g| members[g].iter().filter_map(|m| m.value.as_ref()));
        let always = family
            .clone()
            .any(|g| members[g].iter().any(|m| m.value.is_none()));
        let present: Vec<TokenStream> = family
            .flat_map(|g| groups[g].members.iter().map(move |&i| (g, i)))
            .filter(|&(_, i)| matches!(c.fields[i].role, Role::Measure(_)))
            .map(|(_, i)| {
                let v = format_ident!("__m_{}", c.fields[i].ident);
                quote!(#v.is_some())
            })
            .collect();
        let condition = if always || present.is_empty() {
            quote!(true)
        } else {
            quote!(#(#present)||*)
        };
        let writes = |g: usize| members[g].iter().map(|m| &m.write).collect::<Vec<_>>();
        let root_writes = writes(r);
        let body = match groups[r].sources {
            None => quote! {
                let __attrs: &[__p::KeyValue] = inherited;
                #(#root_writes)*
            },
            Some(root_sources) => {
                let counters: Vec<(syn::Ident, Vec<usize>)> = children
                    .iter()
                    .map(|&g| {
                        let extra = sources::extra_sources(
                            root_sources,
                            groups[g].sources.expect("children have sources"),
                        );
                        (format_ident!("__x{}", g), extra)
                    })
                    .collect();
                let counter_idents = counters.iter().map(|(i, _)| i);
                let fill = sources::fill_buffer(c, &receiver, root_sources, &plans[r], &counters);
                let child_blocks = children.iter().map(|&g| {
                    let side = &plans[g].side;
                    let counter = format_ident!("__x{}", g);
                    let own = sources::fill_buffer(
                        c,
                        &receiver,
                        groups[g].sources.expect("children have sources"),
                        &plans[g],
                        &[],
                    );
                    let child_writes = writes(g);
                    quote! {
                        if #side != 0 {
                            let __attrs: &[__p::KeyValue] = if #side == 1 {
                                &__root[#counter..]
                            } else {
                                &__root[..__root.len() - #counter]
                            };
                            #(#child_writes)*
                        } else {
                            #own
                            let __attrs: &[__p::KeyValue] = __buf.as_slice();
                            #(#child_writes)*
                        }
                    }
                });
                quote! {
                    #(let mut #counter_idents: __p::usize = 0;)*
                    #fill
                    let __root: &[__p::KeyValue] = __buf.as_slice();
                    let __attrs: &[__p::KeyValue] = __root;
                    #(#root_writes)*
                    #(#child_blocks)*
                }
            }
        };
        quote! {
            {
                #(#values)*
                if #condition {
                    #body
                }
            }
        }
    });
    quote!(#(#blocks)*)
}

/// `bind_inherited`: every group's attributes from the template, each member bound to them.
fn bind_body(
    c: &Container,
    bound: &syn::Ident,
    groups: &[Group],
    plans: &[Plan],
    members: &[Vec<Member>],
) -> TokenStream {
    let receiver = quote!(template);
    let var = |m: &Member| format_ident!("__b_{}", m.name);
    let lets = groups
        .iter()
        .zip(plans)
        .zip(members)
        .map(|((group, plan), members)| {
            let attrs = match group.sources {
                Some(s) => {
                    let fill = sources::fill_buffer(c, &receiver, s, plan, &[]);
                    quote! { #fill let __attrs: &[__p::KeyValue] = __buf.as_slice(); }
                }
                None => quote!(let __attrs: &[__p::KeyValue] = inherited;),
            };
            let vars = members.iter().map(var);
            let inits = members.iter().map(|m| &m.bound_init);
            quote! {
                #attrs
                #(let #vars = #inits;)*
            }
        });
    let names = members.iter().flatten().map(|m| &m.name);
    let vars = members.iter().flatten().map(var);
    quote! {
        #(#lets)*
        #bound { #(#names: #vars,)* }
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
