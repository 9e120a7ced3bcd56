//! `#[derive(AttributeValue)]`: a unit-only enum written as one static string per variant.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use super::dummy_const;
use crate::attr;
use crate::ctxt::Ctxt;

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let arms = variants(&cx, input);
    if let Err(errors) = cx.check() {
        return errors.to_compile_error();
    }
    let ident = &input.ident;
    let krate = crate_path(input);
    dummy_const(
        &krate,
        quote! {
            impl __p::AttributeValue for #ident {
                #[inline]
                fn attribute_value(&self) -> __p::Option<__p::Value> {
                    let s: &'static __p::str = match self { #(#arms)* };
                    __p::Some(<__p::Value as __p::From<&'static __p::str>>::from(s))
                }
            }
        },
    )
}

fn variants(cx: &Ctxt, input: &DeriveInput) -> Vec<TokenStream> {
    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "`AttributeValue` derives for enums of unit variants; for a struct of attributes derive `Attributes`",
        );
        return Vec::new();
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "`AttributeValue` does not support generic parameters",
        );
    }
    data.variants
        .iter()
        .filter_map(|v| {
            if !matches!(v.fields, Fields::Unit) {
                cx.error_spanned_by(
                    &v.fields,
                    "an attribute value variant carries no data, since each variant stands for one string: remove the fields, or make the value an attribute field of its own",
                );
                return None;
            }
            let value = attr::variant_value(cx, v)
                .map(|lit| lit.value())
                .unwrap_or_else(|| snake_case(&v.ident.to_string()));
            let ident = &v.ident;
            Some(quote!(Self::#ident => #value,))
        })
        .collect()
}

fn crate_path(input: &DeriveInput) -> syn::Path {
    let cx = Ctxt::new();
    let attrs = attr::container(&cx, &input.attrs);
    let _ = cx.check();
    attrs
        .krate
        .unwrap_or_else(|| syn::parse_quote!(::agent_metrics))
}

/// `EndOfTurn` -> `end_of_turn`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.char_indices() {
        if ch.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}
