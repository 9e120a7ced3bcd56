//! `#[derive(Attributes)]`: an attribute set with its keys sorted at compile time.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;
use syn::ext::IdentExt;

use super::{Model, dummy_const, impl_header, proof};
use crate::ast::{AttrMember, AttributeStruct};
use crate::check;
use crate::ctxt::Ctxt;

impl<'a> Model<'a> for AttributeStruct<'a> {
    fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        AttributeStruct::from_ast(cx, input)
    }

    fn check(&self, cx: &Ctxt) {
        check::attributes(cx, self)
    }

    fn expand(&self) -> TokenStream {
        expand(self)
    }

    fn fallback(&self) -> TokenStream {
        let set = impl_header(&self.header, quote!(__p::AttributeSet));
        let compact = impl_header(&self.header, quote!(__p::CompactDebug));
        dummy_const(
            &self.header.krate,
            quote! {
                #set {
                    const KEYS: &'static [&'static __p::str] = &[];
                    fn push_attribute<const N: __p::usize>(&self, _: __p::usize, _: &mut __p::AttrBuf<N>) {}
                }
                #compact {
                    fn fmt_compact(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result { f.write_str("{}") }
                }
            },
        )
    }
}

fn expand(set: &AttributeStruct) -> TokenStream {
    let ident = set.header.ident;
    let mut sorted: Vec<&AttrMember> = set.fields.iter().collect();
    sorted.sort_by(|a, b| a.attr.key.as_bytes().cmp(b.attr.key.as_bytes()));
    let keys = sorted.iter().map(|m| &m.attr.key);
    let proofs = set
        .fields
        .iter()
        .map(|m| proof::attr_const(m.ident, &m.field.ty, &m.attr));
    let value_of = |m: &AttrMember| {
        let f = m.ident;
        proof::attr_value(f, &m.field.ty, &m.attr, quote!(&self.#f))
    };
    let pushes: Vec<TokenStream> = sorted
        .iter()
        .map(|m| {
            let key = &m.attr.key;
            let value = value_of(m);
            quote! {
                if let __p::Some(v) = #value {
                    buf.push(__p::KeyValue::new(__p::Key::from_static_str(#key), v));
                }
            }
        })
        .collect();
    let words = sorted.iter().enumerate().map(|(index, m)| {
        let f = m.ident;
        let word = proof::attr_word(f, &m.field.ty, &m.attr, quote!(&self.#f));
        quote! {
            if let __p::Some(w) = #word {
                __p::KeyWriter::push(key, #index, w);
            }
        }
    });
    let arms = pushes
        .iter()
        .enumerate()
        .map(|(index, push)| quote!(#index => { #push }));
    // The compact form lists fields in declaration order, like the Python model dump.
    let entries = set.fields.iter().map(|m| {
        let name = m.ident.unraw().to_string();
        let value = value_of(m);
        quote! {
            if let __p::Some(v) = #value {
                m.entry(&__p::MapKey(#name), &__p::ValueDebug(&v));
            }
        }
    });
    dummy_const(
        &set.header.krate,
        quote! {
            #(#proofs)*

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

                // On every cached record, once per attribute source: a call costs as much as
                // the few words it writes.
                #[inline(always)]
                fn push_words<'a, K: __p::KeyWriter<'a>>(&'a self, key: &mut K) {
                    #(#words)*
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
