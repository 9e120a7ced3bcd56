//! The typed model of a derive's input. It is built in one place, each model's `from_ast`
//! (reading the attributes through `attr`), then validated by `check`, then rendered by `expand`;
//! all three derives go through that pipeline (`expand::derive`).
//!
//! `from_ast` reports only what stops the model from being built (a wrong shape, attribute syntax);
//! every rule on the built model is `check`'s.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{
    Data, DeriveInput, Expr, Fields, FieldsNamed, Generics, Ident, LitInt, LitStr, Path, Type,
};

use crate::attr;
use crate::ctxt::Ctxt;
pub(crate) use crate::kind::Kind;

/// The runtime path generated code names when no `#[metric(crate = ..)]` is given.
pub(crate) const DEFAULT_CRATE: &str = "::agent_metrics";

/// What every derive knows of its input even when the input's shape is wrong: enough to emit
/// the fallback impls next to the errors.
pub(crate) struct Header<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    /// The path generated code reaches the runtime through.
    pub krate: Path,
}

impl Header<'_> {
    /// The type's name as people read it (`r#Type` is shown as `Type`).
    pub(crate) fn name(&self) -> String {
        self.ident.unraw().to_string()
    }
}

/// A struct deriving `AgentMetric`.
pub(crate) struct Container<'a> {
    pub header: Header<'a>,
    /// `#[metric(attributes = ..)]`: the attribute sources of measurements that name none.
    pub default_attr_sources: Option<AttrSources>,
    pub no_debug: bool,
    pub fields: Vec<Field<'a>>,
}

/// A struct deriving `Attributes`: every field is one attribute.
pub(crate) struct AttributeStruct<'a> {
    pub header: Header<'a>,
    /// `#[metric(attributes = ..)]` given anyway: an error `check` reports.
    pub stray_attr_sources: Option<AttrSources>,
    pub fields: Vec<AttrMember<'a>>,
}

/// One field of an attribute set.
pub(crate) struct AttrMember<'a> {
    pub field: &'a syn::Field,
    pub ident: &'a Ident,
    pub attr: AttrField,
    /// A `#[metric]` on it, which does not apply there.
    pub stray_metric: Option<&'a syn::Attribute>,
}

/// An enum deriving `AttributeValue`: one static string per unit variant.
pub(crate) struct ValueEnum<'a> {
    pub header: Header<'a>,
    pub variants: Vec<ValueVariant<'a>>,
}

pub(crate) struct ValueVariant<'a> {
    pub ident: &'a Ident,
    pub value: String,
}

pub(crate) struct Field<'a> {
    pub ident: &'a Ident,
    /// The field's name as people read it: `r#type` is shown as `type`, as std's derive does.
    pub name: String,
    pub ty: &'a Type,
    /// The value the compact `Debug` hides; `None` = always shown.
    pub default: Option<DefaultValue>,
    pub role: Role,
}

pub(crate) enum DefaultValue {
    /// `#[metric(default)]`: `Default::default()`; the span of the `default` key.
    Trait(Span),
    /// `#[metric(default = expr)]`.
    Expr(Expr),
}

pub(crate) enum Role {
    /// Not measured and not an attribute: shown in `Debug`, nothing more.
    Data,
    /// One or more measurements: each `#[metric(..)]` naming an instrument is one.
    Measure(Vec<Measure>),
    Attribute(AttrField),
    /// `#[metric(nested)]`: a field whose type is itself an agent metric.
    Nested {
        attr_sources: Option<AttrSources>,
    },
}

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

/// A field that is one attribute (`#[attr]`).
pub(crate) struct AttrField {
    pub key: String,
    pub key_span: Span,
    pub as_str: bool,
    pub skip_empty: bool,
}

impl<'a> Container<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = attr::container(cx, &input.attrs);
        let fields = named_fields(cx, input, "AgentMetric")
            .map(|named| {
                named
                    .named
                    .iter()
                    .map(|f| {
                        let parsed = attr::field(cx, f);
                        let ident = f.ident.as_ref().expect("named field");
                        Field {
                            ident,
                            name: ident.unraw().to_string(),
                            ty: &f.ty,
                            default: parsed.default,
                            role: parsed.role,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Container {
            header: header(input, attrs.krate),
            default_attr_sources: attrs.default_attr_sources,
            no_debug: attrs.no_debug,
            fields,
        }
    }

    pub(crate) fn field(&self, ident: &Ident) -> Option<&Field<'_>> {
        self.fields.iter().find(|f| f.ident == ident)
    }

    /// Whether some measurement names `ident` directly as an attribute source (not through a
    /// view): the fields whose type must be an attribute set.
    pub(crate) fn is_named_source(&self, ident: &Ident) -> bool {
        self.lists_source(|e| matches!(e, AttrSource::Field(i) if i == ident))
    }

    /// Whether some measurement reads `ident` for its attributes, directly or through a view.
    pub(crate) fn reads_for_attributes(&self, ident: &Ident) -> bool {
        self.lists_source(|e| e.field() == Some(ident))
    }

    fn lists_source(&self, matches: impl Fn(&AttrSource) -> bool) -> bool {
        let names =
            |s: &Option<AttrSources>| s.as_ref().is_some_and(|s| s.entries.iter().any(&matches));
        names(&self.default_attr_sources)
            || self.fields.iter().any(|f| match &f.role {
                Role::Measure(ms) => ms.iter().any(|m| names(&m.attr_sources)),
                Role::Nested { attr_sources } => names(attr_sources),
                _ => false,
            })
    }
}

impl<'a> AttributeStruct<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = attr::container(cx, &input.attrs);
        let fields = named_fields(cx, input, "Attributes")
            .map(|named| {
                named
                    .named
                    .iter()
                    .map(|field| {
                        let ident = field.ident.as_ref().expect("named field");
                        let attr = attr::attr_field(cx, field).unwrap_or_else(|| AttrField {
                            key: ident.unraw().to_string(),
                            key_span: ident.span(),
                            as_str: false,
                            skip_empty: false,
                        });
                        AttrMember {
                            field,
                            ident,
                            attr,
                            stray_metric: field.attrs.iter().find(|a| a.path().is_ident("metric")),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        AttributeStruct {
            header: header(input, attrs.krate),
            stray_attr_sources: attrs.default_attr_sources,
            fields,
        }
    }
}

impl<'a> ValueEnum<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = attr::container(cx, &input.attrs);
        let mut variants = Vec::new();
        match &input.data {
            Data::Enum(data) => {
                for v in &data.variants {
                    if !matches!(v.fields, Fields::Unit) {
                        cx.error_spanned_by(
                            &v.fields,
                            "an attribute value variant carries no data, since each variant stands for one string: remove the fields, or make the value an attribute field of its own",
                        );
                        continue;
                    }
                    let value = attr::variant_value(cx, v)
                        .map(|lit| lit.value())
                        .unwrap_or_else(|| snake_case(&v.ident.unraw().to_string()));
                    variants.push(ValueVariant {
                        ident: &v.ident,
                        value,
                    });
                }
            }
            _ => cx.error_spanned_by(
                &input.ident,
                "`AttributeValue` derives for enums of unit variants; for a struct of attributes derive `Attributes`",
            ),
        }
        ValueEnum {
            header: header(input, attrs.krate),
            variants,
        }
    }
}

fn header(input: &DeriveInput, krate: Option<Path>) -> Header<'_> {
    Header {
        ident: &input.ident,
        generics: &input.generics,
        krate: krate.unwrap_or_else(|| syn::parse_str(DEFAULT_CRATE).expect("a path")),
    }
}

/// The named fields of a plain struct, or errors explaining why the input is not one.
fn named_fields<'a>(cx: &Ctxt, input: &'a DeriveInput, derive: &str) -> Option<&'a FieldsNamed> {
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => Some(named),
            Fields::Unnamed(fields) => {
                cx.error_spanned_by(
                    fields,
                    format!(
                        "`{derive}` needs named fields: write `struct {} {{ name: Type, .. }}`",
                        input.ident
                    ),
                );
                None
            }
            Fields::Unit => {
                cx.error_spanned_by(
                    &input.ident,
                    format!("`{derive}` needs a struct with named fields; a unit struct has nothing to record"),
                );
                None
            }
        },
        Data::Enum(e) => {
            cx.syn_error(syn::Error::new(
                e.enum_token.span,
                format!("`{derive}` works on structs, not enums: derive it on each event struct and wrap them in your own enum"),
            ));
            None
        }
        Data::Union(u) => {
            cx.syn_error(syn::Error::new(
                u.union_token.span,
                format!("`{derive}` works on structs, not unions: declare a struct with one named field per value"),
            ));
            None
        }
    }
}

/// `EndOfTurn` -> `end_of_turn`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.char_indices() {
        if ch.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}
