//! The typed model of a derive's input. It is built in one place, each model's `from_ast`
//! (reading the attributes through `attr`), then validated by `check`, then rendered by `expand`;
//! all three derives go through that pipeline (`expand::derive`).
//!
//! `from_ast` reports only what stops the model from being built (a wrong shape, attribute syntax);
//! every rule on the built model is `check`'s.

use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, FieldsNamed, Generics, Ident, Path, Type};

use crate::attr::{self, AttrField, AttrSource, AttrSources, DefaultValue, Role};
use crate::ctxt::Ctxt;

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
