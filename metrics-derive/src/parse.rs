//! Parsers for the values of attribute keys: instrument definitions, attribute-source lists,
//! bucket lists, doc comments. They only read tokens; what the values mean is `attr`'s business.
//!
//! A value written through a `macro_rules!` fragment (`$name:literal`, `$e:expr`) arrives wrapped
//! in an invisible group (`Expr::Group`): every literal is read through `ungroup`, so a macro that
//! generates a family of events can pass names, units, buckets and keys as fragments.

use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Lit, LitInt, LitStr, Path, Token, UnOp};

use crate::ast::{AttrSource, AttrSources, BucketValues, Buckets, ConstText, Def};

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

pub(crate) fn parse_def(meta: &ParseNestedMeta) -> syn::Result<Def> {
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!(
            "`{}` needs the instrument: `{} = \"my.instrument.name\"` or `{} = SHARED_INSTRUMENT`",
            path_str(&meta.path),
            path_str(&meta.path),
            path_str(&meta.path)
        )));
    }
    let expr: Expr = meta.value()?.parse()?;
    match ungroup(&expr) {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Def::Inline(s.clone())),
        Expr::Path(p) if p.qself.is_none() => Ok(Def::Shared(p.path.clone())),
        other => Err(syn::Error::new_spanned(
            other,
            "expected an instrument name in quotes, or the path of a shared `Instrument` constant",
        )),
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

fn ident_of(path: &Path) -> syn::Result<syn::Ident> {
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

pub(crate) fn parse_buckets(meta: &ParseNestedMeta) -> syn::Result<Buckets> {
    let value = meta.value()?;
    if !value.peek(syn::token::Bracket) {
        let path: Path = value.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a list of boundaries in brackets, e.g. `buckets = [0.05, 0.1, 0.5, 1.0]`, or the path of a `&[f64]` constant",
            )
        })?;
        return Ok(Buckets {
            span: path.span(),
            values: BucketValues::Path(path),
            millis: false,
        });
    }
    let content;
    let bracket = syn::bracketed!(content in value);
    let exprs = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
    let mut values = Vec::new();
    for expr in &exprs {
        values.push(number(expr)?);
    }
    Ok(Buckets {
        values: BucketValues::Literal(values, exprs.into_iter().collect()),
        span: bracket.span.join(),
        millis: false,
    })
}

/// `buckets_ms = [5, 10, 25]`: bounds in milliseconds of a histogram recorded in seconds,
/// converted here (IEEE division is exact to the nearest double, so `5 / 1000` is `0.005`).
pub(crate) fn parse_buckets_ms(meta: &ParseNestedMeta) -> syn::Result<Buckets> {
    let buckets = parse_buckets(meta)?;
    match buckets.values {
        BucketValues::Literal(values, exprs) => Ok(Buckets {
            values: BucketValues::Literal(values.iter().map(|v| v / 1000.0).collect(), exprs),
            span: buckets.span,
            millis: true,
        }),
        BucketValues::Path(path) => Err(syn::Error::new(
            path.span(),
            "`buckets_ms` takes a list in brackets, e.g. `buckets_ms = [5, 10, 25, 50, 100]`; a constant's bounds are written in seconds and given as `buckets = CONSTANT`",
        )),
    }
}

fn number(expr: &Expr) -> syn::Result<f64> {
    let parsed = match ungroup(expr) {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse::<f64>(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<f64>(),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => return number(expr).map(|v| -v),
        _ => Err(syn::Error::new_spanned(expr, "")),
    };
    parsed.map_err(|_| {
        syn::Error::new_spanned(
            expr,
            "a bucket boundary must be a number literal, e.g. 0.25",
        )
    })
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
    use quote::quote;
    use syn::Expr;

    use super::{number, ungroup};

    /// `tokens` as a `macro_rules!` fragment passes them: in an invisible group.
    fn fragment(tokens: TokenStream) -> Expr {
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
        assert_eq!(number(&fragment(quote!(0.25))).ok(), Some(0.25));
        assert_eq!(number(&fragment(quote!(-1.5))).ok(), Some(-1.5));
        assert_eq!(number(&fragment(quote!(10))).ok(), Some(10.0));
    }
}
