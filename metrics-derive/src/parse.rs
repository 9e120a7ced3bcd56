//! Reading the tokens of attribute values: literals (through the invisible groups of macro
//! fragments), doc comments, paths as text. What the values mean is `attr`'s business.
//!
//! A value written through a `macro_rules!` fragment (`$name:literal`, `$e:expr`) arrives wrapped
//! in an invisible group (`Expr::Group`): every literal is read through `ungroup`, so a macro that
//! generates a family of events can pass names, units, buckets and keys as fragments.

use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Lit, LitInt, LitStr, Path};

/// The expression inside the invisible groups of macro fragments.
pub(crate) fn ungroup(mut expr: &Expr) -> &Expr {
    while let Expr::Group(g) = expr {
        expr = &g.expr;
    }
    expr
}

/// The string literal of `key = "..."`; `example` shows in the error what to write.
pub(crate) fn lit_str(meta: &ParseNestedMeta, example: &str) -> syn::Result<LitStr> {
    let expr: Expr = meta.value()?.parse()?;
    match ungroup(&expr) {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected a string in quotes: `{example}`"),
        )),
    }
}

/// The integer literal of `key = N`.
pub(crate) fn lit_int(meta: &ParseNestedMeta, example: &str) -> syn::Result<LitInt> {
    let expr: Expr = meta.value()?.parse()?;
    match ungroup(&expr) {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => Ok(i.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected a whole number: `{example}`"),
        )),
    }
}

/// The doc comment, lines trimmed and joined with spaces.
pub(crate) fn doc_comment(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match ungroup(&nv.value) {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

pub(crate) fn path_str(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

#[cfg(test)]
mod tests {
    use proc_macro2::{Delimiter, Group, Literal, TokenStream, TokenTree};
    use syn::Expr;

    use super::ungroup;

    /// `tokens` as a `macro_rules!` fragment passes them: in an invisible group.
    pub(crate) fn fragment(tokens: TokenStream) -> Expr {
        let group = TokenTree::Group(Group::new(Delimiter::None, tokens));
        syn::parse2(TokenStream::from(group)).expect("an expression")
    }

    #[test]
    fn literals_from_macro_fragments() {
        let name = fragment(TokenStream::from(TokenTree::Literal(Literal::string(
            "a.b",
        ))));
        assert!(matches!(name, Expr::Group(_)));
        assert!(matches!(
            ungroup(&name),
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) if s.value() == "a.b"
        ));
    }
}
