//! `#[derive(Attributes)]`: an attribute set with its keys sorted at compile time.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::dummy_const;
use crate::check::{self, AttributeStruct};
use crate::ctxt::Ctxt;

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let set = check::attribute_struct(&cx, input);
    match (cx.check(), set) {
        (Ok(()), Some(set)) => expand(&set),
        (Err(errors), _) => errors.to_compile_error(),
        (Ok(()), None) => unreachable!("a missing model is always reported"),
    }
}

fn expand(set: &AttributeStruct) -> TokenStream {
    let ident = set.ident;
    let mut sorted: Vec<_> = set.fields.iter().collect();
    sorted.sort_by(|a, b| a.1.key.as_bytes().cmp(b.1.key.as_bytes()));
    let keys = sorted.iter().map(|(_, a)| &a.key);
    let value_of = |field: &syn::Field, a: &crate::ast::AttrField| {
        let f = field.ident.as_ref().expect("named field");
        super::sources::attribute_value(&field.ty, a, quote!(&self.#f))
    };
    let pushes: Vec<TokenStream> = sorted
        .iter()
        .map(|(field, a)| {
            let key = &a.key;
            let value = value_of(field, a);
            quote! {
                if let __p::Some(v) = #value {
                    buf.push(__p::KeyValue::new(__p::Key::from_static_str(#key), v));
                }
            }
        })
        .collect();
    let arms = pushes
        .iter()
        .enumerate()
        .map(|(index, push)| quote!(#index => { #push }));
    // The compact form lists fields in declaration order, like the Python model dump.
    let entries = set.fields.iter().map(|(field, a)| {
        let name = field.ident.as_ref().expect("named field").to_string();
        let value = value_of(field, a);
        quote! {
            if let __p::Some(v) = #value {
                m.entry(&__p::MapKey(#name), &__p::ValueDebug(&v));
            }
        }
    });
    dummy_const(
        &set.krate,
        quote! {
            impl __p::AttributeSet for #ident {
                const KEYS: &'static [&'static __p::str] = &[#(#keys),*];

                #[inline]
                fn push_attribute<const N: __p::usize>(&self, index: __p::usize, buf: &mut __p::AttrBuf<N>) {
                    match index {
                        #(#arms)*
                        _ => {}
                    }
                }

                #[inline]
                fn push_all<const N: __p::usize>(&self, buf: &mut __p::AttrBuf<N>) {
                    #(#pushes)*
                }
            }

            impl __p::CompactDebug for #ident {
                fn fmt_compact(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result {
                    let mut m = f.debug_map();
                    #(#entries)*
                    m.finish()
                }
            }
        },
    )
}
