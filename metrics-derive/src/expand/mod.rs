//! Code generation from the checked model, and the one pipeline every derive runs:
//! `from_ast` (build the model) -> `check` (validate it) -> `expand` (render it), or, after any
//! error, the errors together with `fallback` impls.

mod attr_sources;
pub(crate) mod attributes;
mod debug;
mod measurement;
pub(crate) mod metric;
mod proof;
mod record;
pub(crate) mod value;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ast::Header;
use crate::ctxt::Ctxt;

/// One derive's model and its three stages.
pub(crate) trait Model<'a>: Sized {
    /// Builds the model; reports what prevents building it, and builds what it can anyway.
    fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self;
    /// Reports every rule the model breaks.
    fn check(&self, cx: &Ctxt);
    /// The generated code of a model without errors.
    fn expand(&self) -> TokenStream;
    /// Minimal impls of the derived traits, emitted next to the errors (thiserror's fallback):
    /// uses of the type then compile, so the user sees the errors and not a cascade of "trait not
    /// implemented" at every use.
    fn fallback(&self) -> TokenStream;
}

pub(crate) fn derive<'a, M: Model<'a>>(input: &'a DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let model = M::from_ast(&cx, input);
    model.check(&cx);
    match cx.check() {
        Ok(()) => model.expand(),
        Err(errors) => {
            let mut out = errors.to_compile_error();
            out.extend(model.fallback());
            out
        }
    }
}

/// Wraps generated items so that their helper constants and types stay out of the user's
/// namespace, and brings the runtime path in as `__p`.
fn dummy_const(krate: &syn::Path, items: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, non_camel_case_types, non_snake_case, dead_code, unused_qualifications, unused_variables, clippy::all)]
        const _: () = {
            use #krate::__private as __p;
            #items
        };
    }
}

/// `impl<..> Trait for Type<..>`, for the fallback impls (which keep the input's generics, so
/// the one error about them is the only one).
fn impl_header(header: &Header, tr: TokenStream) -> TokenStream {
    let ident = header.ident;
    let (params, args, where_clause) = header.generics.split_for_impl();
    quote!(impl #params #tr for #ident #args #where_clause)
}
