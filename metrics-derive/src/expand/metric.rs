//! `#[derive(AgentMetric)]`: descriptors, handles, `record` and the compact `Debug`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

use super::attr_sources::{self, Plan};
use super::measurement::{Items, Member, declared_sources, measurements, member};
use super::record::{Plans, bind_body, record_body};
use super::{Model, debug, dummy_const, impl_header};
use crate::ast::Container;
use crate::check;
use crate::ctxt::Ctxt;

impl<'a> Model<'a> for Container<'a> {
    fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        Container::from_ast(cx, input)
    }

    fn check(&self, cx: &Ctxt) {
        check::metric(cx, self)
    }

    fn expand(&self) -> TokenStream {
        expand(self)
    }

    fn fallback(&self) -> TokenStream {
        let header = &self.header;
        let debug = (!self.no_debug).then(|| {
            let name = header.name();
            let debug = impl_header(header, quote!(__p::fmt::Debug));
            let compact = impl_header(header, quote!(__p::CompactDebug));
            quote! {
                #debug {
                    fn fmt(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result { f.write_str(#name) }
                }
                #compact {
                    fn fmt_compact(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result { f.write_str("{}") }
                }
            }
        });
        let metric = impl_header(header, quote!(__p::AgentMetric));
        dummy_const(
            &header.krate,
            quote! {
                #metric {
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
}

fn expand(c: &Container) -> TokenStream {
    let ident = c.header.ident;
    let all = measurements(c);
    let groups = attr_sources::groups(all.len(), |i| declared_sources(c, &all[i]));
    let plans: Vec<Plans> = (0..groups.len())
        .map(|g| Plans {
            plain: Plan::new(g, false),
            job: Plan::new(g, true),
        })
        .collect();
    let mut items = Items::default();
    items.consts.extend(super::proof::field_consts(c));
    items.consts.push(super::proof::unlisted_sets(c));

    let mut members: Vec<Option<Member>> = (0..all.len()).map(|_| None).collect();
    for (group, plan) in groups.iter().zip(&plans) {
        let keys = match group.sources {
            Some(s) => {
                items
                    .consts
                    .push(attr_sources::plan_consts(c, s, &plan.plain));
                items
                    .consts
                    .push(attr_sources::plan_consts(c, s, &plan.job));
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
            let extra = attr_sources::extra_sources(parent, child);
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
        &c.header.krate,
        quote! {
            #(#consts)*

            /// The instrument handles of the metric type.
            pub struct #handles {
                #(#handle_fields,)*
                __cache: __p::AttributeCache,
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
                    let _building = __p::building_handles::<Self>();
                    #handles { #(#handle_inits,)* __cache: __p::AttributeCache::new(meter) }
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
                    // Read once: each bound instrument compares it with the job it was bound under.
                    let __job_id = __p::current_job_id();
                    let _ = __job_id;
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
