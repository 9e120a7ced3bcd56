//! Code generation from the checked model.

pub mod attributes;
mod debug;
mod measurement;
pub mod metric;
mod record;
mod sources;
pub mod value;

use proc_macro2::TokenStream;
use quote::quote;

/// Wraps generated items so that their helper constants and types stay out of the user's
/// namespace, and brings the runtime path in as `__p`.
fn dummy_const(krate: &syn::Path, items: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, non_camel_case_types, non_snake_case, unused_qualifications, unused_variables, clippy::all)]
        const _: () = {
            use #krate::__private as __p;
            #items
        };
    }
}
