//! The derives of `agent-metrics`. Use them through the `agent-metrics` facade, which documents
//! every attribute they take.
//!
//! Each derive runs the same pipeline (`expand::derive`), in three steps that never mix: building
//! the typed model in one place, its `from_ast` (`ast`, reading attributes through `attr` and
//! `parse`); validating it, every error collected with its span (`check`, with `ctxt`); and
//! generating code from the valid model (`expand`), or, after an error, fallback impls so that one
//! mistake gives one error. `kind` is the table of instrument kinds, `symbol` every keyword,
//! `similar` the "did you mean" of misspelled names.
//!
//! Words, as in the runtime: a *measurement* is one field feeding one instrument; an *attribute
//! source* is one entry of `attributes(..)`; a *kind* is an instrument's kind (`kind.rs`); the
//! *model* is `ast`'s typed input; *fallback impls* are the minimal impls emitted next to errors
//! (thiserror's word; a provider's fallback is the runtime's other use of it).

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod kind;
mod once;
mod parse;
mod similar;
mod symbol;

use agent_metrics_checks as checks;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `AgentMetric`: instrument descriptors, handles, `record` and a compact `Debug`.
#[proc_macro_derive(AgentMetric, attributes(metric, attr))]
pub fn derive_agent_metric(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive::<ast::Container>(&input).into()
}

/// Derives `AttributeSet` and the compact `Debug` used when the set is nested.
#[proc_macro_derive(Attributes, attributes(attr, metric))]
pub fn derive_attributes(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive::<ast::AttributeStruct>(&input).into()
}

/// Derives `AttributeValue` for an enum of unit variants, each written as a static string.
#[proc_macro_derive(AttributeValue, attributes(attr, metric))]
pub fn derive_attribute_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive::<ast::ValueEnum>(&input).into()
}
