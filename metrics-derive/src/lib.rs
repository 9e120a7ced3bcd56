//! The derives of `agent-metrics`. Use them through the `agent-metrics` facade, which documents
//! every attribute they take.
//!
//! Each derive runs in three steps that never mix: parsing the attributes into a typed model
//! (`attr`, `ast`), checking the model and collecting every error with its span (`check`), and
//! generating code from the checked model (`expand`).

// Until the derive's stages are reworked, its private modules still spell crate-visible items `pub`.
#![allow(unreachable_pub)]

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod parse;
mod symbol;

use agent_metrics_rules as rules;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `AgentMetric`: instrument descriptors, handles, `record` and a compact `Debug`.
#[proc_macro_derive(AgentMetric, attributes(metric, attr))]
pub fn derive_agent_metric(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::metric::derive(&input).into()
}

/// Derives `AttributeSet` and the compact `Debug` used when the set is nested.
#[proc_macro_derive(Attributes, attributes(attr, metric))]
pub fn derive_attributes(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::attributes::derive(&input).into()
}

/// Derives `AttributeValue` for an enum of unit variants, each written as a static string.
#[proc_macro_derive(AttributeValue, attributes(attr, metric))]
pub fn derive_attribute_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::value::derive(&input).into()
}
