//! The bodies of `record_inherited` and `bind_inherited`: per group of measurements, the
//! attributes are built once (with or without the current job's) and every member recorded or
//! bound with them.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::attr_sources::{self, Group, Plan};
use super::measurement::Member;
use crate::ast::Container;

/// The two planning variants of every group: without and with the job's attributes.
pub(super) struct Plans {
    pub plain: Plan,
    pub job: Plan,
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
///
/// The families whose every member is a measurement with attribute sources of its own go
/// through the attribute cache together (`cached`): one key of all their attributes, one
/// lookup per record however many families the event has.
pub(super) fn record_body(
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
    let mut cached_families = Vec::new();
    let mut blocks = Vec::new();
    for r in (0..groups.len()).filter(|&g| groups[g].parent.is_none()) {
        let children: Vec<usize> = (0..groups.len())
            .filter(|&g| groups[g].parent == Some(r))
            .collect();
        let family: Vec<usize> = std::iter::once(r).chain(children.iter().copied()).collect();
        let family_members = || {
            family
                .iter()
                .flat_map(|&g| groups[g].members.iter().map(|&i| &members[i]))
        };
        let values: Vec<&TokenStream> = family_members()
            .filter_map(|m| m.value.as_ref().map(|(_, read)| read))
            .collect();
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
                                attr_sources::extra_sources(root_sources, child),
                            )
                        })
                        .collect();
                    let counter_idents = counters.iter().map(|(i, _)| i);
                    let fill =
                        attr_sources::fill_buffer(c, &receiver, root_sources, pick(r), &counters);
                    let child_blocks = children.iter().map(|&g| {
                        let side = &pick(g).side;
                        let counter = format_ident!("__x{}", g);
                        let child = groups[g].sources.expect("children have sources");
                        let own = attr_sources::fill_buffer(c, &receiver, child, pick(g), &[]);
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
        let cacheable = groups[r].sources.is_some() && family_members().all(|m| m.value.is_some());
        if cacheable {
            cached_families.push(CachedFamily {
                root: r,
                family,
                values: quote!(#(#values)*),
                condition,
                uncached: body,
            });
        } else {
            blocks.push(quote! {
                {
                    #(#values)*
                    if #condition {
                        __p::with_job(|__job| { #body });
                    }
                }
            });
        }
    }
    let cached = cached(c, &cached_families, groups, plans, members);
    quote! {
        let __job_id = __p::current_job_id();
        #cached
        #(#blocks)*
    }
}

/// A family of measurements that records through the attribute cache.
struct CachedFamily {
    /// Its root group.
    root: usize,
    /// Its groups, the root first.
    family: Vec<usize>,
    /// Reads its values.
    values: TokenStream,
    /// Whether one of them is present.
    condition: TokenStream,
    /// Records it through the direct path, with `__job` in scope.
    uncached: TokenStream,
}

/// The cached families through the attribute cache (`crate::cache` in the runtime): the words
/// of their attributes (shared strings borrowed), without the job's, are one key; a hit writes
/// into the entry's cells. A miss records through each family's direct path, which creates
/// the SDK's series exactly as before, and makes the entry for the next record (unless the
/// cache has no room, or the job changed while the attributes were read). A family with no
/// value in this record still has its cells in the entry, untouched.
fn cached(
    c: &Container,
    families: &[CachedFamily],
    groups: &[Group],
    plans: &[Plans],
    members: &[Member],
) -> TokenStream {
    if families.is_empty() {
        return TokenStream::new();
    }
    let receiver = quote!(self);
    let values = families.iter().map(|f| &f.values);
    let conditions: Vec<&TokenStream> = families.iter().map(|f| &f.condition).collect();
    let sizes = families.iter().map(|f| &plans[f.root].plain.n);
    // Each source once: a field several families read (the model metadata) tells the entry
    // apart once; a family's children read a subset of its root's sources.
    let mut sources: Vec<&crate::attr::AttrSource> = Vec::new();
    for f in families {
        let root = groups[f.root]
            .sources
            .expect("cached families have sources");
        for entry in &root.entries {
            if !sources.contains(&entry) {
                sources.push(entry);
            }
        }
    }
    let words = attr_sources::key_words(c, &receiver, &sources);
    let order: Vec<&Member> = families
        .iter()
        .flat_map(|f| f.family.iter())
        .flat_map(|&g| groups[g].members.iter().map(|&i| &members[i]))
        .collect();
    let puts = order.iter().enumerate().map(|(k, m)| {
        let (value, _) = m
            .value
            .as_ref()
            .expect("cached families hold measurements only");
        let name = &m.name;
        quote! {
            if let (__p::Some(v), __p::Some(cell)) = (#value, __cells.get(#k)) {
                __p::IntoCell::put(&handles.#name, v, cell);
            }
        }
    });
    let cell_var = |m: &Member| format_ident!("__c_{}", m.name);
    let lets = families.iter().flat_map(|f| f.family.iter()).map(|&g| {
        let group = &groups[g];
        let sources = group.sources.expect("cached families have sources");
        let vars: Vec<syn::Ident> = group
            .members
            .iter()
            .map(|&i| cell_var(&members[i]))
            .collect();
        let inits = group.members.iter().map(|&i| {
            let name = &members[i].name;
            let (value, _) = members[i]
                .value
                .as_ref()
                .expect("cached families hold measurements only");
            quote!(__p::IntoCell::cell(&handles.#name, __attrs, #value.is_some()))
        });
        let tuple = quote!((#(#inits,)*));
        let value = with_attrs(c, &receiver, sources, &plans[g], &tuple);
        quote!(let (#(#vars,)*) = #value;)
    });
    let cells = order.iter().map(|m| cell_var(m));
    let uncached = families.iter().map(|f| {
        let (condition, body) = (&f.condition, &f.uncached);
        quote!(if #condition { #body })
    });
    quote! {
        {
            #(#values)*
            if #(#conditions)||* {
                let __put = |__cells: &[__p::Cell]| { #(#puts)* };
                // The entry of the last hit, compared as the words are written; else the key
                // is built, and looked up by its hash.
                if !handles.__cache.record_recent(__job_id, |__key| { #words }, &__put) {
                    let mut __buf = __p::KeyBuf::<{ 0 #(+ #sizes)* }>::new();
                    {
                        let __key = &mut __buf;
                        #words
                    }
                    let __key = &__buf;
                    if !handles.__cache.record(__job_id, __key, &__put) {
                        __p::with_job(|__job| {
                            if __p::job_id(__job) == __job_id && handles.__cache.has_room(__job_id) {
                                #(#lets)*
                                handles.__cache.insert(
                                    __job_id,
                                    __key,
                                    __p::Vec::from([#(#cells),*]),
                                );
                            }
                            #(#uncached)*
                        });
                    }
                }
            }
        }
    }
}

/// `body` evaluated with `__attrs` holding a group's attributes: the plain plan outside a job,
/// the job plan (the job's attributes added) inside one.
fn with_attrs(
    c: &Container,
    receiver: &TokenStream,
    sources: &crate::attr::AttrSources,
    plans: &Plans,
    body: &TokenStream,
) -> TokenStream {
    let plain = attr_sources::fill_buffer(c, receiver, sources, &plans.plain, &[]);
    let job = attr_sources::fill_buffer(c, receiver, sources, &plans.job, &[]);
    quote! {
        match __job {
            __p::None => {
                #plain
                let __attrs: &[__p::KeyValue] = __buf.as_slice();
                #body
            }
            __p::Some(__job) => {
                #job
                let __attrs: &[__p::KeyValue] = __buf.as_slice();
                #body
            }
        }
    }
}

/// `bind_inherited`: every group's attributes from the template (and the current job), each
/// member bound to them.
pub(super) fn bind_body(
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
            Some(s) => with_attrs(c, &receiver, s, plan, &tuple),
        };
        quote!(let (#(#vars,)*) = #value;)
    });
    let names = members.iter().map(|m| &m.name);
    let vars = members.iter().map(var);
    quote! {
        __p::with_job(|__job| {
            let __bound_job = __job;
            let _ = __bound_job;
            #(#lets)*
            #bound { #(#names: #vars,)* }
        })
    }
}
