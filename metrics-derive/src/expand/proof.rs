//! Proof constants. Each trait a field's type must have is named once, in a constant spanned on
//! the type; every other use of the type goes through that constant (`__p::Checked<{ proof }, T>`,
//! see `__private`). When the type lacks the trait, the constant is the one error: rustc does not
//! report again the items built on a failed constant, where each repeated projection would count
//! as an error of its own.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::Container;
use crate::attr::{AttrField, AttrSource, Role};

/// A nested field's proof that its type is an agent metric (emitted with its measurement).
pub(super) fn nested(field: &syn::Ident) -> syn::Ident {
    format_ident!("__V_{}", field)
}

/// The proof that a field named as an attribute source is an attribute set.
pub(super) fn set(field: &syn::Ident) -> syn::Ident {
    format_ident!("__S_{}", field)
}

/// The proof that an attribute field's type is an attribute value (or, with `as_str`, a bool).
pub(super) fn attr(field: &syn::Ident) -> syn::Ident {
    format_ident!("__A_{}", field)
}

/// The trait and method an attribute field is read with.
fn attr_method(a: &AttrField) -> TokenStream {
    if a.as_str {
        quote!(__p::BoolAsStr > ::bool_str)
    } else if a.skip_empty {
        quote!(__p::AttributeValue > ::non_empty_value)
    } else {
        quote!(__p::AttributeValue > ::attribute_value)
    }
}

/// The proof constant of an attribute field.
pub(super) fn attr_const(field: &syn::Ident, ty: &syn::Type, a: &AttrField) -> TokenStream {
    let (proof, method) = (attr(field), attr_method(a));
    let check = quote_spanned!(ty.span()=> <#ty as #method);
    quote!(const #proof: __p::bool = { let _ = #check; true };)
}

/// The cache-key word of an attribute field of type `ty` (`Option<Word>`), through its proof;
/// `value` is a reference to the field. A bool written as a string is a static string already.
pub(super) fn attr_word(
    field: &syn::Ident,
    ty: &syn::Type,
    a: &AttrField,
    value: TokenStream,
) -> TokenStream {
    if a.as_str {
        let proof = attr(field);
        let call = quote_spanned!(ty.span()=> <__p::Checked<{ #proof }, #ty> as __p::BoolAsStr>::bool_word);
        return quote!(#call(#value));
    }
    let proof = attr(field);
    let method = if a.skip_empty {
        quote!(__p::AttributeValue > ::non_empty_word)
    } else {
        quote!(__p::AttributeValue > ::attribute_word)
    };
    let call = quote_spanned!(ty.span()=> <__p::Checked<{ #proof }, #ty> as #method);
    quote!(#call(#value))
}

/// The value of an attribute field of type `ty`, through its proof; `value` is a reference to
/// the field.
pub(super) fn attr_value(
    field: &syn::Ident,
    ty: &syn::Type,
    a: &AttrField,
    value: TokenStream,
) -> TokenStream {
    let (proof, method) = (attr(field), attr_method(a));
    let call = quote_spanned!(ty.span()=> <__p::Checked<{ #proof }, #ty> as #method);
    quote!(#call(#value))
}

/// The proofs of an `AgentMetric` struct's attribute fields, attribute-set sources and views.
pub(super) fn field_consts(c: &Container) -> Vec<TokenStream> {
    let mut consts: Vec<TokenStream> = c
        .fields
        .iter()
        .filter_map(|f| match &f.role {
            Role::Attribute(a) => Some(attr_const(f.ident, f.ty, a)),
            Role::Data if c.is_named_source(f.ident) => {
                let (proof, ty) = (set(f.ident), f.ty);
                let check = quote_spanned!(ty.span()=> <#ty as __p::AttributeSet>::KEYS);
                Some(quote!(const #proof: __p::bool = { let _ = #check; true };))
            }
            _ => None,
        })
        .collect();
    consts.extend(view_consts(c));
    consts
}

/// Every distinct `field as View` entry of the struct, in first-use order: the index of one is
/// its proof's name.
fn views<'c>(c: &'c Container) -> Vec<&'c AttrSource> {
    let mut all: Vec<&AttrSource> = Vec::new();
    let lists = std::iter::once(&c.default_attr_sources).chain(c.fields.iter().flat_map(|f| {
        let own: Vec<&Option<crate::attr::AttrSources>> = match &f.role {
            Role::Measure(ms) => ms.iter().map(|m| &m.attr_sources).collect(),
            Role::Nested { attr_sources } => vec![attr_sources],
            _ => Vec::new(),
        };
        own
    }));
    for list in lists.flatten() {
        for entry in &list.entries {
            if matches!(entry, AttrSource::View(..)) && !all.contains(&entry) {
                all.push(entry);
            }
        }
    }
    all
}

/// The proof that `View` in the entry `field as View` is an attribute view of the field's type.
pub(super) fn view(c: &Container, entry: &AttrSource) -> syn::Ident {
    let index = views(c)
        .iter()
        .position(|e| *e == entry)
        .expect("every view entry is listed");
    format_ident!("__W_{}", index)
}

/// The proofs of every view entry.
pub(super) fn view_consts(c: &Container) -> Vec<TokenStream> {
    views(c)
        .into_iter()
        .filter_map(|entry| {
            let AttrSource::View(ident, path) = entry else {
                return None;
            };
            let ty = c.field(ident)?.ty;
            let proof = view(c, entry);
            let check = quote_spanned!(ident.span()=> <#path as __p::AttributeView<#ty>>::KEYS);
            Some(quote!(const #proof: __p::bool = { let _ = #check; true };))
        })
        .collect()
}

/// For each data field named in no `attributes(..)`: a check, by the compiler, that its type is
/// not an attribute set (see `__private::SetProbe`), spanned on the type.
pub(super) fn unlisted_sets(c: &Container) -> TokenStream {
    let checks: Vec<TokenStream> = c
        .fields
        .iter()
        .filter(|f| matches!(f.role, Role::Data) && !c.reads_for_attributes(f.ident))
        .map(|f| {
            let ty = f.ty;
            quote_spanned!(ty.span()=> __p::expect_listed((&&__p::SetProbe::<#ty>::NEW).probe());)
        })
        .collect();
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        fn __unlisted_sets() {
            use __p::{ProbeData as _, ProbeSet as _};
            #(#checks)*
        }
    }
}
