//! A measurement's definition as written in `#[metric(..)]`: the instrument (inline or shared)
//! and its bucket boundaries, with the parsers of their values.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitInt, LitStr, Path, Token, UnOp};

use super::AttrSources;
use crate::kind::Kind;
use crate::parse::{path_str, ungroup};

pub(crate) struct Measure {
    pub kind: Kind,
    pub def: Def,
    pub unit: Option<LitStr>,
    pub description: Option<LitStr>,
    /// The field's doc comment, the description when none is given.
    pub doc: Option<String>,
    pub buckets: Option<Buckets>,
    /// `long_durations`: bounds in seconds from 1 s up are meant (calls, sessions), not
    /// milliseconds.
    pub long_durations: Option<Span>,
    pub skip_zero: bool,
    /// Values below zero are not recorded (`skip_negative`).
    pub skip_negative: bool,
    pub attr_sources: Option<AttrSources>,
    pub cardinality_limit: Option<LitInt>,
}

/// Where an instrument's definition comes from.
pub(crate) enum Def {
    /// `counter = "name"`: defined on the field.
    Inline(LitStr),
    /// `counter = path::TO_CONST`: a shared `Instrument` constant.
    Shared(Path),
}

pub(crate) struct Buckets {
    /// In seconds: `buckets_ms` values are converted when parsed.
    pub values: BucketValues,
    pub span: Span,
    /// Written as `buckets_ms = [..]`: milliseconds for a histogram recorded in seconds.
    pub millis: bool,
}

pub(crate) enum BucketValues {
    /// `buckets = [0.1, 0.5]`, with one expression per value to point at the bad one.
    Literal(Vec<f64>, Vec<Expr>),
    /// `buckets = SOME_CONST`: checked when the instrument constant is evaluated.
    Path(Path),
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

#[cfg(test)]
mod tests {
    use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
    use quote::quote;
    use syn::Expr;

    use super::number;

    /// `tokens` as a `macro_rules!` fragment passes them: in an invisible group.
    fn fragment(tokens: TokenStream) -> Expr {
        let group = TokenTree::Group(Group::new(Delimiter::None, tokens));
        syn::parse2(TokenStream::from(group)).expect("an expression")
    }

    #[test]
    fn bucket_numbers_from_macro_fragments() {
        assert_eq!(number(&fragment(quote!(0.25))).ok(), Some(0.25));
        assert_eq!(number(&fragment(quote!(-1.5))).ok(), Some(-1.5));
        assert_eq!(number(&fragment(quote!(10))).ok(), Some(10.0));
    }
}
