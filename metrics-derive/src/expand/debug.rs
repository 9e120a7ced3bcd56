//! The compact `Debug` (LiveKit's `__repr__`, `docs/PYTHON-PARITY.md` §5): fields equal to their declared default
//! are left out, fields with no declared default always shown, nested sets printed as maps.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::proof;
use crate::ast::{Container, Field};
use crate::attr::{DefaultValue, Role};

/// `Debug` and `CompactDebug` for an `AgentMetric` struct.
pub(super) fn metric(c: &Container) -> TokenStream {
    let ident = c.header.ident;
    let name = c.header.name();
    // Names as people read them: a raw field `r#type` prints as `type`, as std's derive does.
    let struct_fields = c.fields.iter().map(|f| {
        let key = &f.name;
        let value = value(c, f);
        guarded(f, quote!(s.field(#key, #value);))
    });
    let map_entries = c.fields.iter().map(|f| {
        let key = &f.name;
        let value = value(c, f);
        guarded(f, quote!(m.entry(&__p::MapKey(#key), #value);))
    });
    let field_defaults = c.fields.iter().map(|f| {
        let (key, hides) = (&f.name, f.default.is_some());
        quote!((#key, #hides))
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
            const FIELD_DEFAULTS: &'static [(&'static __p::str, __p::bool)] = &[#(#field_defaults),*];

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
        // Spanned on the user's `default` key or expression, so that a type that has no default,
        // or cannot be compared with the expression, is reported there.
        Some(DefaultValue::Trait(span)) => {
            let is_default = quote_spanned!(*span=> __p::is_default(&self.#ident));
            quote!(if !#is_default { #show })
        }
        Some(DefaultValue::Expr(expr)) => {
            let default = quote_spanned!(expr.span()=> &(#expr));
            quote!(if !__p::equals_default(#default, &self.#ident) { #show })
        }
    }
}

/// How a field's value is printed: nested sets and metrics as compact maps, through the
/// constant that proved the type a set or a metric (see `proof`): when it is not, the error is
/// reported there, on the type, and not again by the `Debug` impl.
fn value(c: &Container, f: &Field) -> TokenStream {
    let ident = f.ident;
    let proof = match f.role {
        Role::Data if c.is_named_source(ident) => proof::set(ident),
        Role::Nested { .. } => proof::nested(ident),
        _ => return quote!(&self.#ident),
    };
    let ty = f.ty;
    quote!(&__p::CompactIf::<{ #proof }, #ty>(&self.#ident))
}
