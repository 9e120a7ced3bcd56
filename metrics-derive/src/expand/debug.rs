//! The compact `Debug` (LiveKit's `__repr__`, spec §5): fields equal to their declared default
//! are left out, fields with no declared default always shown, nested sets printed as maps.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{Container, DefaultValue, Field, Role};

/// `Debug` and `CompactDebug` for an `AgentMetric` struct.
pub fn metric(c: &Container) -> TokenStream {
    let ident = c.ident;
    let name = ident.to_string();
    let struct_fields = c.fields.iter().map(|f| {
        let key = f.ident.to_string();
        let value = value(c, f);
        guarded(f, quote!(s.field(#key, #value);))
    });
    let map_entries = c.fields.iter().map(|f| {
        let key = f.ident.to_string();
        let value = value(c, f);
        guarded(f, quote!(m.entry(&__p::MapKey(#key), #value);))
    });
    quote! {
        impl __p::fmt::Debug for #ident {
            fn fmt(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result {
                let mut s = f.debug_struct(#name);
                #(#struct_fields)*
                s.finish()
            }
        }

        impl __p::CompactDebug for #ident {
            fn fmt_compact(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result {
                let mut m = f.debug_map();
                #(#map_entries)*
                m.finish()
            }
        }
    }
}

/// Runs `show` unless the field holds its declared default.
fn guarded(f: &Field, show: TokenStream) -> TokenStream {
    let ident = f.ident;
    match &f.default {
        None => show,
        Some(DefaultValue::Trait) => quote! {
            if !__p::is_default(&self.#ident) { #show }
        },
        Some(DefaultValue::Expr(expr)) => quote! {
            if !__p::PartialEq::eq(&self.#ident, &(#expr)) { #show }
        },
    }
}

/// How a field's value is printed: nested sets and metrics as compact maps.
fn value(c: &Container, f: &Field) -> TokenStream {
    let ident = f.ident;
    let is_set_source = matches!(f.role, Role::Data) && c.is_set_source(ident);
    if is_set_source || matches!(f.role, Role::Nested { .. }) {
        quote!(&__p::Compact(&self.#ident))
    } else {
        quote!(&self.#ident)
    }
}
