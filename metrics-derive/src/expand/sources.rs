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
            }),
        }
    }
    groups
}

/// The names of a group's planning constants.
pub struct Plan {
    pub n: Ident,
    pub plan: Ident,
    pub keys: Ident,
}

impl Plan {
    pub fn new(index: usize) -> Self {
        Plan {
            n: format_ident!("__G{}_N", index),
            plan: format_ident!("__G{}_PLAN", index),
            keys: format_ident!("__G{}_KEYS", index),
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
    let Plan { n, plan, keys } = plan;
    let sources_ident = format_ident!("{}_SOURCES", n.to_string().trim_end_matches("_N"));
    quote! {
        const #sources_ident: &[&[&'static __p::str]] = &[#(#lists),*];
        const #n: __p::usize = __p::key_count(#sources_ident);
        const #plan: [__p::Slot; #n] = __p::merge_plan(#sources_ident);
        const #keys: [&'static __p::str; #n] = __p::merged_keys(#sources_ident, &#plan);
    }
}

/// Code that fills `__buf` from the group's sources, following the plan.
pub fn fill_buffer(c: &Container, sources: &Sources, plan: &Plan) -> TokenStream {
    let arms = sources.idents.iter().enumerate().map(|(index, ident)| {
        let field = c.field(ident).expect("checked source");
        match &field.role {
            Role::Attribute(a) => {
                let key = &a.key;
                let mut value = if a.as_str {
                    quote!(__p::BoolAsStr::bool_str(&self.#ident))
                } else {
                    quote!(__p::AttributeValue::attribute_value(&self.#ident))
                };
                if a.skip_empty {
                    value = quote!(__p::non_empty(#value));
                }
                quote! {
                    #index => {
                        if let __p::Some(v) = #value {
                            __buf.push(__p::KeyValue::new(__p::Key::from_static_str(#key), v));
                        }
                    }
                }
            }
            _ => quote! {
                #index => __p::AttributeSet::push_attribute(&self.#ident, __slot.index, &mut __buf),
            },
        }
    });
    let Plan { n, plan, .. } = plan;
    quote! {
        let mut __buf = __p::AttrBuf::<#n>::new();
        for __slot in #plan {
            match __slot.source {
                #(#arms)*
                _ => {}
            }
        }
    }
}
