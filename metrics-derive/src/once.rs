//! A key that may be given once per attribute: a second one is reported (on the second's
//! tokens) and parsing goes on.

use proc_macro2::Span;
use quote::ToTokens;
use syn::Path;
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use crate::symbol::Symbol;

/// A value that may be given once: a second one is an error on the second's tokens.
pub(crate) struct Attr<'c, T> {
    pub cx: &'c Ctxt,
    name: Symbol,
    pub value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    pub(crate) fn none(cx: &'c Ctxt, name: Symbol) -> Self {
        Attr {
            cx,
            name,
            value: None,
        }
    }

    pub(crate) fn set<A: ToTokens>(&mut self, tokens: A, value: T) {
        if self.value.is_some() {
            let msg = format!("duplicate `{}`: give it once", self.name);
            self.cx.error_spanned_by(tokens, msg);
        } else {
            self.value = Some(value);
        }
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

pub(crate) struct Flag<'c>(Attr<'c, Span>);

impl<'c> Flag<'c> {
    pub(crate) fn none(cx: &'c Ctxt, name: Symbol) -> Self {
        Flag(Attr::none(cx, name))
    }
    pub(crate) fn set(&mut self, path: &Path) {
        self.0.set(path, path.span());
    }
    pub(crate) fn get(self) -> Option<Span> {
        self.0.get()
    }
}
