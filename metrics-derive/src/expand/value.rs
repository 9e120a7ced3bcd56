//! `#[derive(AttributeValue)]`: a unit-only enum written as one static string per variant.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{Model, dummy_const, impl_header};
use crate::ast::ValueEnum;
use crate::check;
use crate::ctxt::Ctxt;

impl<'a> Model<'a> for ValueEnum<'a> {
    fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        ValueEnum::from_ast(cx, input)
    }

    fn check(&self, cx: &Ctxt) {
        check::value(cx, self)
    }

    fn expand(&self) -> TokenStream {
        let ident = self.header.ident;
        let arms = self.variants.iter().map(|v| {
            let (variant, value) = (v.ident, &v.value);
            quote!(Self::#variant => #value,)
        });
        dummy_const(
            &self.header.krate,
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

    fn fallback(&self) -> TokenStream {
        let header = impl_header(&self.header, quote!(__p::AttributeValue));
        dummy_const(
            &self.header.krate,
            quote! {
                #header {
                    fn attribute_value(&self) -> __p::Option<__p::Value> { __p::None }
                }
            },
        )
    }
}
