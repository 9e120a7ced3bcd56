//! The typed model of a derive's input, built by `attr` and checked by `check` before anything
//! is generated.

use proc_macro2::Span;
use syn::{Expr, Ident, LitInt, LitStr, Path, Type};

/// A struct deriving `AgentMetric`.
pub struct Container<'a> {
    pub ident: &'a Ident,
    /// The path generated code reaches the runtime through.
    pub krate: Path,
    /// `#[metric(attributes = ..)]`: the sources of measurements that name none of their own.
    pub default_sources: Option<Sources>,
    pub no_debug: bool,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The value the compact `Debug` hides; `None` = always shown.
    pub default: Option<DefaultValue>,
    pub role: Role,
}

pub enum DefaultValue {
    /// `#[metric(default)]`: `Default::default()`.
    Trait,
    /// `#[metric(default = expr)]`.
    Expr(Expr),
}

pub enum Role {
    /// Not measured and not an attribute: shown in `Debug`, nothing more.
    Data,
    /// One or more measurements: each `#[metric(..)]` naming an instrument is one.
    Measure(Vec<Measure>),
    Attribute(AttrField),
    /// `#[metric(nested)]`: a field whose type is itself an agent metric.
    Nested {
        sources: Option<Sources>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    UpDownCounter,
    Histogram,
    Gauge,
}

pub struct Measure {
    pub kind: Kind,
    pub def: Def,
    pub unit: Option<LitStr>,
    pub description: Option<LitStr>,
    /// The field's doc comment, the description when none is given.
    pub doc: Option<String>,
    pub buckets: Option<Buckets>,
    pub skip_zero: bool,
    /// Values below zero are not recorded (`skip_negative`).
    pub skip_negative: bool,
    pub sources: Option<Sources>,
    pub cardinality_limit: Option<LitInt>,
}

/// Where an instrument's definition comes from.
pub enum Def {
    /// `counter = "name"`: defined on the field.
    Inline(LitStr),
    /// `counter = path::TO_CONST`: a shared `Instrument` constant.
    Shared(Path),
}

pub struct Buckets {
    pub values: BucketValues,
    pub span: Span,
}

pub enum BucketValues {
    /// `buckets = [0.1, 0.5]`, with one expression per value to point at the bad one.
    Literal(Vec<f64>, Vec<Expr>),
    /// `buckets = SOME_CONST`: checked when the instrument constant is evaluated.
    Path(Path),
}

/// `attributes(..)`: where a measurement's attributes come from.
#[derive(Clone)]
pub struct Sources {
    pub entries: Vec<SourceRef>,
}

/// One entry of `attributes(..)`.
#[derive(Clone)]
pub enum SourceRef {
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
pub enum ConstText {
    Lit(LitStr),
    Path(Path),
}

impl ConstText {
    pub fn text(&self) -> String {
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

impl SourceRef {
    /// The field this entry reads, if any.
    pub fn field(&self) -> Option<&Ident> {
        match self {
            SourceRef::Field(i) | SourceRef::View(i, _) => Some(i),
            SourceRef::Const(..) => None,
        }
    }

    /// A stable text form, to compare entries.
    pub fn key(&self) -> String {
        match self {
            SourceRef::Field(i) => i.to_string(),
            SourceRef::View(i, p) => format!("{i} as {}", quote::ToTokens::to_token_stream(p)),
            SourceRef::Const(k, v) => format!("{}={}", k.text(), v.text()),
        }
    }
}

impl PartialEq for SourceRef {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

/// A field that is one attribute (`#[attr]`).
pub struct AttrField {
    pub key: String,
    pub key_span: Span,
    pub as_str: bool,
    pub skip_empty: bool,
}

impl Kind {
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::UpDownCounter => "up_down_counter",
            Kind::Histogram => "histogram",
            Kind::Gauge => "gauge",
        }
    }
}

impl Container<'_> {
    pub fn field(&self, ident: &Ident) -> Option<&Field<'_>> {
        self.fields.iter().find(|f| f.ident == ident)
    }

    /// Whether some measurement names `ident` directly as an attribute source.
    pub fn is_set_source(&self, ident: &Ident) -> bool {
        let names = |s: &Option<Sources>| {
            s.as_ref().is_some_and(|s| {
                s.entries
                    .iter()
                    .any(|e| matches!(e, SourceRef::Field(i) if i == ident))
            })
        };
        names(&self.default_sources)
            || self.fields.iter().any(|f| match &f.role {
                Role::Measure(ms) => ms.iter().any(|m| names(&m.sources)),
                Role::Nested { sources } => names(sources),
                _ => false,
            })
    }
}
