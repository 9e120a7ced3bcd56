//! `#[derive(AgentMetric)]`: descriptors, handles, `record` and the compact `Debug`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

use super::measurement::{Items, Member, declared_sources, measurements, member};
use super::record::{Plans, bind_body, record_body};
use super::sources::{self, Plan};
use super::{debug, dummy_const};
use crate::ast::Container;
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
                out.extend(fallback(&c, &input.generics));
            }
            out
        }
        (Ok(()), None) => unreachable!("a missing model is always reported"),
    }
}

/// Minimal impls emitted next to the errors, so that the user sees the errors above and not a
/// cascade of "trait not implemented" at every use of the type.
fn fallback(c: &Container, generics: &syn::Generics) -> TokenStream {
    let ident = c.ident;
    let (params, args, where_clause) = generics.split_for_impl();
    let debug = (!c.no_debug).then(|| {
        let name = ident.to_string();
        quote! {
            impl #params __p::fmt::Debug for #ident #args #where_clause {
                fn fmt(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result { f.write_str(#name) }
            }
            impl #params __p::CompactDebug for #ident #args #where_clause {
                fn fmt_compact(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result { f.write_str("{}") }
            }
        }
    });
    dummy_const(
        &c.krate,
        quote! {
            impl #params __p::AgentMetric for #ident #args #where_clause {
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
