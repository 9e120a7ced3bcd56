//! `attributes(..)`: where a measurement's attributes come from, and its parser.

use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Path, Token};

/// `attributes(..)`: where a measurement's attributes come from.
#[derive(Clone)]
pub(crate) struct AttrSources {
    pub entries: Vec<AttrSource>,
}

/// One entry of `attributes(..)`.
#[derive(Clone)]
pub(crate) enum AttrSource {
    /// `field`: an attribute set, or a field marked `#[attr]`.
    Field(Ident),
    /// `field as View`: the field seen through an `AttributeView`.
    View(Ident, Path),
    /// `"key" = "value"`: a constant attribute; key and value may also be paths of `&str`
    /// constants (`genai::OPERATION_NAME = genai::operation::CHAT`).
    Const(ConstText, ConstText),
}

/// A string literal or the path of a `&'static str` constant.
#[derive(Clone)]
pub(crate) enum ConstText {
    Lit(LitStr),
    Path(Path),
}

impl ConstText {
    pub(crate) fn text(&self) -> String {
        match self {
            ConstText::Lit(l) => format!("{:?}", l.value()),
            ConstText::Path(p) => quote::ToTokens::to_token_stream(p).to_string(),
        }
    }
}

impl quote::ToTokens for ConstText {
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        match self {
            ConstText::Lit(l) => l.to_tokens(tokens),
            ConstText::Path(p) => p.to_tokens(tokens),
        }
    }
}

impl AttrSource {
    /// The field this entry reads, if any.
    pub(crate) fn field(&self) -> Option<&Ident> {
        match self {
            AttrSource::Field(i) | AttrSource::View(i, _) => Some(i),
            AttrSource::Const(..) => None,
        }
    }

    /// The tokens an error about the entry points at: its field, or its key.
    pub(crate) fn first_tokens(&self) -> proc_macro2::TokenStream {
        match self {
            AttrSource::Field(i) | AttrSource::View(i, _) => quote::ToTokens::to_token_stream(i),
            AttrSource::Const(k, _) => quote::ToTokens::to_token_stream(k),
        }
    }

    /// A stable text form, to compare entries.
    pub(crate) fn key(&self) -> String {
        match self {
            AttrSource::Field(i) => i.to_string(),
            AttrSource::View(i, p) => format!("{i} as {}", quote::ToTokens::to_token_stream(p)),
            AttrSource::Const(k, v) => format!("{}={}", k.text(), v.text()),
        }
    }
}

impl PartialEq for AttrSource {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

pub(crate) fn parse_sources(meta: &ParseNestedMeta) -> syn::Result<AttrSources> {
    if meta.input.peek(syn::Token![=]) {
        let path: Path = meta.value()?.parse()?;
        return Ok(AttrSources {
            entries: vec![AttrSource::Field(ident_of(&path)?)],
        });
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let entries =
        Punctuated::<AttrSource, Token![,]>::parse_terminated_with(&content, parse_source)?;
    Ok(AttrSources {
        entries: entries.into_iter().collect(),
    })
}

fn ident_of(path: &Path) -> syn::Result<Ident> {
    path.get_ident()
        .cloned()
        .ok_or_else(|| syn::Error::new_spanned(path, "expected the name of a field of this struct"))
}

/// `field`, `field as View` or `"key" = "value"` (key and value literals or constant paths).
fn parse_source(input: syn::parse::ParseStream) -> syn::Result<AttrSource> {
    let const_text = |input: syn::parse::ParseStream| -> syn::Result<ConstText> {
        if input.peek(LitStr) {
            Ok(ConstText::Lit(input.parse()?))
        } else {
            Ok(ConstText::Path(input.parse()?))
        }
    };
    let expected = "expected a field of this struct, `field as View`, or a constant attribute `\"key\" = \"value\"`";
    let first = const_text(input).map_err(|e| syn::Error::new(e.span(), expected))?;
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let value = const_text(input).map_err(|e| {
            syn::Error::new(
                e.span(),
                "a constant attribute's value is a string literal or the path of a `&str` constant: `\"key\" = \"value\"`",
            )
        })?;
        return Ok(AttrSource::Const(first, value));
    }
    let ident = match first {
        ConstText::Path(path) => ident_of(&path)?,
        ConstText::Lit(lit) => {
            return Err(syn::Error::new(
                lit.span(),
                "a constant attribute is written `\"key\" = \"value\"`",
            ));
        }
    };
    if input.peek(Token![as]) {
        input.parse::<Token![as]>()?;
        let view: Path = input.parse()?;
        return Ok(AttrSource::View(ident, view));
    }
    Ok(AttrSource::Field(ident))
}
