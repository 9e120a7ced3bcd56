//! Parsers for the values of attribute keys: instrument definitions, attribute-source lists,
//! bucket lists, doc comments. They only read tokens; what the values mean is `attr`'s business.

use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Lit, LitStr, Path, Token, UnOp};

use crate::ast::{BucketValues, Buckets, ConstText, Def, Kind, SourceRef, Sources};
use crate::symbol::*;

pub fn kind_of(path: &Path) -> Option<Kind> {
    if path == COUNTER {
        Some(Kind::Counter)
    } else if path == UP_DOWN_COUNTER {
        Some(Kind::UpDownCounter)
    } else if path == HISTOGRAM {
        Some(Kind::Histogram)
    } else if path == GAUGE {
        Some(Kind::Gauge)
    } else {
        None
    }
}

pub fn parse_def(meta: &ParseNestedMeta) -> syn::Result<Def> {
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!(
            "`{}` needs the instrument: `{} = \"my.instrument.name\"` or `{} = SHARED_INSTRUMENT`",
            path_str(&meta.path),
            path_str(&meta.path),
            path_str(&meta.path)
        )));
    }
    match meta.value()?.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Def::Inline(s)),
        Expr::Path(p) if p.qself.is_none() => Ok(Def::Shared(p.path)),
        other => Err(syn::Error::new_spanned(
            other,
            "expected an instrument name in quotes, or the path of a shared `Instrument` constant",
        )),
    }
}

pub fn parse_sources(meta: &ParseNestedMeta) -> syn::Result<Sources> {
    if meta.input.peek(syn::Token![=]) {
        let path: Path = meta.value()?.parse()?;
        return Ok(Sources {
            entries: vec![SourceRef::Field(ident_of(&path)?)],
        });
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let entries =
        Punctuated::<SourceRef, Token![,]>::parse_terminated_with(&content, parse_source)?;
    Ok(Sources {
        entries: entries.into_iter().collect(),
    })
}

fn ident_of(path: &Path) -> syn::Result<syn::Ident> {
    path.get_ident()
        .cloned()
        .ok_or_else(|| syn::Error::new_spanned(path, "expected the name of a field of this struct"))
}

/// `field`, `field as View` or `"key" = "value"` (key and value literals or constant paths).
fn parse_source(input: syn::parse::ParseStream) -> syn::Result<SourceRef> {
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
        return Ok(SourceRef::Const(first, value));
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
        return Ok(SourceRef::View(ident, view));
    }
    Ok(SourceRef::Field(ident))
}

pub fn parse_buckets(meta: &ParseNestedMeta) -> syn::Result<Buckets> {
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
    })
}

fn number(expr: &Expr) -> syn::Result<f64> {
    let parsed = match expr {
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
pub fn doc_comment(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
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

pub fn path_str(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}
