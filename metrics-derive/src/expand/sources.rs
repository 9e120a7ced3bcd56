//! Attribute sources: which fields give a measurement its attributes, and the code that writes
//! them in sorted key order from a plan fixed at compile time.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use crate::ast::{Container, Role, Sources};

/// The measurements and nested fields that share one list of attribute sources.
pub struct Group<'a> {
    /// `None`: the attributes a parent passed in.
    pub sources: Option<&'a Sources>,
    pub members: Vec<usize>,
    /// A group whose sources strictly include these: its buffer, sliced, serves this group too,
    /// which saves cloning every shared attribute value a second time.
    pub parent: Option<usize>,
}

/// Groups the fields that record by their attribute sources, in first-use order.
pub fn groups<'a>(c: &'a Container) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    for (i, field) in c.fields.iter().enumerate() {
        let own = match &field.role {
            Role::Measure(m) => &m.sources,
            Role::Nested { sources } => sources,
            _ => continue,
        };
        let sources = own.as_ref().or(c.default_sources.as_ref());
        let key = |s: Option<&Sources>| s.map(|s| s.idents.clone());
        match groups.iter_mut().find(|g| key(g.sources) == key(sources)) {
            Some(g) => g.members.push(i),
            None => groups.push(Group {
                sources,
                members: vec![i],
                parent: None,
            }),
        }
    }
    // Only maximal groups are parents, so every slice is one level deep.
    let includes = |outer: &Sources, inner: &Sources| {
        outer.idents.len() > inner.idents.len()
            && inner.idents.iter().all(|i| outer.idents.contains(i))
    };
    let parents: Vec<Option<usize>> = groups
        .iter()
        .map(|g| {
            let inner = g.sources?;
            groups.iter().position(|p| {
                p.sources.is_some_and(|outer| {
                    includes(outer, inner)
                        && !groups
                            .iter()
                            .any(|q| q.sources.is_some_and(|top| includes(top, outer)))
                })
            })
        })
        .collect();
    for (g, parent) in groups.iter_mut().zip(parents) {
        g.parent = parent;
    }
    groups
}

/// The names of a group's planning constants.
pub struct Plan {
    pub sources: Ident,
    pub n: Ident,
    pub plan: Ident,
    pub keys: Ident,
    /// How this group sits in its parent's buffer (see `run_side`).
    pub side: Ident,
    /// Whole sources in key order, when they do not interleave (see `source_order`).
    pub order: Ident,
}

impl Plan {
    pub fn new(index: usize) -> Self {
        Plan {
            sources: format_ident!("__G{}_SOURCES", index),
            n: format_ident!("__G{}_N", index),
            plan: format_ident!("__G{}_PLAN", index),
            keys: format_ident!("__G{}_KEYS", index),
            side: format_ident!("__G{}_SIDE", index),
            order: format_ident!("__G{}_ORDER", index),
        }
    }
}

/// The constants that plan a group's attribute order: count, plan and sorted keys.
pub fn plan_consts(c: &Container, sources: &Sources, plan: &Plan) -> TokenStream {
    let lists = sources.idents.iter().map(|ident| {
        let field = c.field(ident).expect("checked source");
        match &field.role {
            Role::Attribute(a) => {
                let key = &a.key;
                quote!(&[#key])
            }
            _ => {
                let ty = field.ty;
                quote_spanned!(ident.span()=> <#ty as __p::AttributeSet>::KEYS)
            }
        }
    });
    let Plan {
        sources: list,
        n,
        plan,
        keys,
        order,
        ..
    } = plan;
    let k = sources.idents.len();
    quote! {
        const #list: &[&[&'static __p::str]] = &[#(#lists),*];
        const #n: __p::usize = __p::key_count(#list);
        const #plan: [__p::Slot; #n] = __p::merge_plan(#list);
        const #keys: [&'static __p::str; #n] = __p::merged_keys(#list, &#plan);
        const #order: __p::Option<[__p::usize; #k]> = __p::source_order::<#k>(&#plan);
    }
}

/// Indices, in `parent`'s source list, of the sources `child` does not have.
pub fn extra_sources(parent: &Sources, child: &Sources) -> Vec<usize> {
    parent
        .idents
        .iter()
        .enumerate()
        .filter(|(_, i)| !child.idents.contains(i))
        .map(|(index, _)| index)
        .collect()
}

/// Code that fills `__buf` from the group's sources of `receiver`, in sorted key order. When no
/// two sources interleave (the common case), each source writes all its keys in one go, in the
/// order fixed at compile time; otherwise the plan is followed key by key. Each
/// `(counter, extra)` pair counts the attributes written by the sources listed in `extra`.
pub fn fill_buffer(
    c: &Container,
    receiver: &TokenStream,
    sources: &Sources,
    plan: &Plan,
    counters: &[(Ident, Vec<usize>)],
) -> TokenStream {
    let arms = |whole: bool| {
        sources.idents.iter().enumerate().map(move |(index, ident)| {
            let field = c.field(ident).expect("checked source");
            let push = match &field.role {
                Role::Attribute(a) => {
                    let key = &a.key;
                    let mut value = if a.as_str {
                        quote!(__p::BoolAsStr::bool_str(&#receiver.#ident))
                    } else {
                        quote!(__p::AttributeValue::attribute_value(&#receiver.#ident))
                    };
                    if a.skip_empty {
                        value = quote!(__p::non_empty(#value));
                    }
                    quote! {
                        if let __p::Some(v) = #value {
                            __buf.push(__p::KeyValue::new(__p::Key::from_static_str(#key), v));
                        }
                    }
                }
                _ if whole => quote! {
                    __p::AttributeSet::push_all(&#receiver.#ident, &mut __buf);
                },
                _ => quote! {
                    __p::AttributeSet::push_attribute(&#receiver.#ident, __slot.index, &mut __buf);
                },
            };
            let counted: Vec<&Ident> = counters
                .iter()
                .filter(|(_, extra)| extra.contains(&index))
                .map(|(counter, _)| counter)
                .collect();
            if counted.is_empty() {
                quote!(#index => { #push })
            } else {
                quote! {
                    #index => {
                        let __before = __buf.len();
                        #push
                        #(#counted += __buf.len() - __before;)*
                    }
                }
            }
        })
    };
    let whole_arms: Vec<TokenStream> = arms(true).collect();
    let keyed_arms = arms(false);
    // One step per source, each a `match` on a constant that the compiler folds away.
    let steps = (0..sources.idents.len()).map(|step| {
        quote! {
            match __order[#step] {
                #(#whole_arms)*
                _ => {}
            }
        }
    });
    let Plan { n, plan, order, .. } = plan;
    quote! {
        let mut __buf = __p::AttrBuf::<#n>::new();
        match #order {
            __p::Some(__order) => {
                #(#steps)*
            }
            __p::None => {
                for __slot in #plan {
                    match __slot.source {
                        #(#keyed_arms)*
                        _ => {}
                    }
                }
            }
        }
    }
}
