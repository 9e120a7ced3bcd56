//! `#[derive(AgentMetric)]`: descriptors, handles, `record` and the compact `Debug`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;

use super::debug;
use super::dummy_const;
use super::sources::{self, Group, Plan};
use crate::ast::Sources;
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
                fn record_inherited(&self, _: &(), _: __p::Option<&[__p::KeyValue]>) {}
                fn bind_inherited(_: &(), _: &Self, _: __p::Option<&[__p::KeyValue]>) {}
                fn record_bound(&self, _: &()) {}
            }
            #debug
        },
    )
}

/// One thing a struct records: a measurement (a field may make several) or a nested field.
struct Measurement<'a> {
    field: &'a Field<'a>,
    /// `None` for a nested field.
    measure: Option<&'a Measure>,
    /// The name of its handle and bound instrument: the field's, or `__<field>_<k>` when the
    /// field makes several measurements.
    name: syn::Ident,
}

fn measurements<'a>(c: &'a Container<'a>) -> Vec<Measurement<'a>> {
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

fn declared_sources<'a>(c: &'a Container, m: &Measurement<'a>) -> Option<&'a Sources> {
    let own = match (&m.measure, &m.field.role) {
        (Some(measure), _) => measure.sources.as_ref(),
        (None, Role::Nested { sources }) => sources.as_ref(),
        _ => None,
    };
    own.or(c.default_sources.as_ref())
}

/// What one measurement contributes to each generated item.
struct Member {
    name: syn::Ident,
    handle_field: TokenStream,
    handle_init: TokenStream,
    bound_field: TokenStream,
    /// The bound instrument, built with `__attrs` in scope.
    bound_init: TokenStream,
    /// Reads the value into `present` (measurements only).
    value: Option<(syn::Ident, TokenStream)>,
    /// Records with `__attrs` in scope.
    write: TokenStream,
    /// Records through the bound instrument.
    bound_write: TokenStream,
}

#[derive(Default)]
struct Items {
    consts: Vec<TokenStream>,
    descriptors: Vec<TokenStream>,
    nested_visits: Vec<TokenStream>,
}

fn member(c: &Container, m: &Measurement, keys: &TokenStream, out: &mut Items) -> Member {
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

/// The two planning variants of every group: without and with the job's attributes.
struct Plans {
    plain: Plan,
    job: Plan,
}

fn expand(c: &Container) -> TokenStream {
    let ident = c.ident;
    let all = measurements(c);
    let groups = sources::groups(all.len(), |i| declared_sources(c, &all[i]));
    let plans: Vec<Plans> = (0..groups.len())
        .map(|g| Plans {
            plain: Plan::new(g, false),
            job: Plan::new(g, true),
        })
        .collect();
    let mut items = Items::default();

    let mut members: Vec<Option<Member>> = (0..all.len()).map(|_| None).collect();
    for (group, plan) in groups.iter().zip(&plans) {
        let keys = match group.sources {
            Some(s) => {
                items.consts.push(sources::plan_consts(c, s, &plan.plain));
                items.consts.push(sources::plan_consts(c, s, &plan.job));
                let keys = &plan.plain.keys;
                quote!(&#keys)
            }
            None => quote!(&[]),
        };
        for &i in &group.members {
            members[i] = Some(member(c, &all[i], &keys, &mut items));
        }
    }
    let members: Vec<Member> = members
        .into_iter()
        .map(|m| m.expect("every measurement is grouped"))
        .collect();
    for (g, group) in groups.iter().enumerate() {
        if let (Some(p), Some(child)) = (group.parent, group.sources) {
            let parent = groups[p].sources.expect("parents have sources");
            let extra = sources::extra_sources(parent, child);
            for (own, parents) in [
                (&plans[g].plain, &plans[p].plain),
                (&plans[g].job, &plans[p].job),
            ] {
                let (side, parent_plan) = (&own.side, &parents.plan);
                items.consts.push(quote! {
                    const #side: __p::u8 = __p::run_side(&#parent_plan, &[#(#extra),*]);
                });
            }
        }
    }

    let record = record_body(c, &groups, &plans, &members);
    let bound = format_ident!("__{}Bound", ident);
    let bind = bind_body(c, &bound, &groups, &plans, &members);
    let handle_fields = members.iter().map(|m| &m.handle_field);
    let handle_inits = members.iter().map(|m| &m.handle_init);
    let bound_fields = members.iter().map(|m| &m.bound_field);
    let bound_writes = members.iter().map(|m| &m.bound_write);
    let Items {
        consts,
        descriptors,
        nested_visits,
    } = &items;

    let handles = format_ident!("__{}Handles", ident);
    let debug = (!c.no_debug).then(|| debug::metric(c));

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
                fn record_inherited(&self, handles: &#handles, inherited: __p::Option<&[__p::KeyValue]>) {
                    #record
                }

                fn bind_inherited(handles: &#handles, template: &Self, inherited: __p::Option<&[__p::KeyValue]>) -> #bound {
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

/// `__attrs` for a group that declared no sources: what the parent passed, else the job's
/// attributes alone, else none. Runs `body` with it in scope and yields its value.
fn inherited_attrs(body: &TokenStream) -> TokenStream {
    quote! {
        match inherited {
            __p::Some(__attrs) => { #body }
            __p::None => match __job {
                __p::None => {
                    let __attrs: &[__p::KeyValue] = &[];
                    #body
                }
                __p::Some(__job) => {
                    let mut __buf = __p::AttrBuf::<{ __p::JOB_KEY_COUNT }>::new();
                    __p::AttributeSet::push_all(__job, &mut __buf);
                    let __attrs: &[__p::KeyValue] = __buf.as_slice();
                    #body
                }
            }
        }
    }
}

/// `record_inherited`: per group, read the values, and only if one is present build the
/// attributes once and record. A group inside a larger one records with a slice of the larger
/// group's buffer when its keys form a prefix or suffix of it (`run_side`), else its own.
fn record_body(
    c: &Container,
    groups: &[Group],
    plans: &[Plans],
    members: &[Member],
) -> TokenStream {
    let receiver = quote!(self);
    let writes = |g: usize| {
        let w = groups[g].members.iter().map(|&i| &members[i].write);
        quote!(#(#w)*)
    };
    let blocks = (0..groups.len())
        .filter(|&g| groups[g].parent.is_none())
        .map(|r| {
            let children: Vec<usize> = (0..groups.len())
                .filter(|&g| groups[g].parent == Some(r))
                .collect();
            let family: Vec<usize> = std::iter::once(r).chain(children.iter().copied()).collect();
            let family_members = || {
                family
                    .iter()
                    .flat_map(|&g| groups[g].members.iter().map(|&i| &members[i]))
            };
            let values = family_members().filter_map(|m| m.value.as_ref().map(|(_, read)| read));
            let present: Vec<&syn::Ident> = family_members()
                .filter_map(|m| m.value.as_ref().map(|(v, _)| v))
                .collect();
            let always = family_members().any(|m| m.value.is_none());
            let condition = if always || present.is_empty() {
                quote!(true)
            } else {
                quote!(#(#present.is_some())||*)
            };
            let root_writes = writes(r);
            let body = match groups[r].sources {
                None => inherited_attrs(&root_writes),
                Some(root_sources) => {
                    let variant = |with_job: bool| {
                        let pick = |g: usize| {
                            if with_job {
                                &plans[g].job
                            } else {
                                &plans[g].plain
                            }
                        };
                        let counters: Vec<(syn::Ident, Vec<usize>)> = children
                            .iter()
                            .map(|&g| {
                                let child = groups[g].sources.expect("children have sources");
                                (
                                    format_ident!("__x{}", g),
                                    sources::extra_sources(root_sources, child),
                                )
                            })
                            .collect();
                        let counter_idents = counters.iter().map(|(i, _)| i);
                        let fill =
                            sources::fill_buffer(c, &receiver, root_sources, pick(r), &counters);
                        let child_blocks = children.iter().map(|&g| {
                            let side = &pick(g).side;
                            let counter = format_ident!("__x{}", g);
                            let child = groups[g].sources.expect("children have sources");
                            let own = sources::fill_buffer(c, &receiver, child, pick(g), &[]);
                            let child_writes = writes(g);
                            quote! {
                                if #side != 0 {
                                    let __attrs: &[__p::KeyValue] = if #side == 1 {
                                        &__root[#counter..]
                                    } else {
                                        &__root[..__root.len() - #counter]
                                    };
                                    #child_writes
                                } else {
                                    #own
                                    let __attrs: &[__p::KeyValue] = __buf.as_slice();
                                    #child_writes
                                }
                            }
                        });
                        quote! {
                            #(let mut #counter_idents: __p::usize = 0;)*
                            #fill
                            let __root: &[__p::KeyValue] = __buf.as_slice();
                            let __attrs: &[__p::KeyValue] = __root;
                            #root_writes
                            #(#child_blocks)*
                        }
                    };
                    let (plain, job) = (variant(false), variant(true));
                    quote! {
                        match __job {
                            __p::None => { #plain }
                            __p::Some(__job) => { #job }
                        }
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
    quote! {
        __p::with_job(|__job| {
            #(#blocks)*
        })
    }
}

/// `bind_inherited`: every group's attributes from the template (and the current job), each
/// member bound to them.
fn bind_body(
    c: &Container,
    bound: &syn::Ident,
    groups: &[Group],
    plans: &[Plans],
    members: &[Member],
) -> TokenStream {
    let receiver = quote!(template);
    let var = |m: &Member| format_ident!("__b_{}", m.name);
    let lets = groups.iter().zip(plans).map(|(group, plan)| {
        let vars: Vec<syn::Ident> = group.members.iter().map(|&i| var(&members[i])).collect();
        let inits = group.members.iter().map(|&i| &members[i].bound_init);
        let tuple = quote!((#(#inits,)*));
        let value = match group.sources {
            None => inherited_attrs(&tuple),
            Some(s) => {
                let (plain, job) = (
                    sources::fill_buffer(c, &receiver, s, &plan.plain, &[]),
                    sources::fill_buffer(c, &receiver, s, &plan.job, &[]),
                );
                quote! {
                    match __job {
                        __p::None => {
                            #plain
                            let __attrs: &[__p::KeyValue] = __buf.as_slice();
                            #tuple
                        }
                        __p::Some(__job) => {
                            #job
                            let __attrs: &[__p::KeyValue] = __buf.as_slice();
                            #tuple
                        }
                    }
                }
            }
        };
        quote!(let (#(#vars,)*) = #value;)
    });
    let names = members.iter().map(|m| &m.name);
    let vars = members.iter().map(var);
    quote! {
        __p::with_job(|__job| {
            #(#lets)*
            #bound { #(#names: #vars,)* }
        })
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
