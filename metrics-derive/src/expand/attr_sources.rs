//! Attribute sources: which fields give a measurement its attributes, and the code that writes
//! them in sorted key order from a plan fixed at compile time.
//!
//! Every group of measurements has two plans: one for recording outside any job, and one with
//! the current job's attributes (`JobAttributes`) as an extra, last source, so that the job
//! attribution of every data point costs nothing when there is no job.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::proof;
use crate::ast::Container;
use crate::attr::{AttrSource, AttrSources, Role};

/// The measurements and nested fields that share one list of attribute sources.
pub(super) struct Group<'a> {
    /// `None`: declared none, so the attributes a parent passed in (or the job's alone).
    pub sources: Option<&'a AttrSources>,
    /// Indices into the container's measurements (see `Measurement`).
    pub members: Vec<usize>,
    /// A group whose sources strictly include these: its buffer, sliced, serves this group too,
    /// which saves cloning every shared attribute value a second time.
    pub parent: Option<usize>,
}

/// Groups measurements by attribute sources, in first-use order; `sources_of(i)` gives the
/// declared sources of measurement `i`.
pub(super) fn groups<'a>(
    count: usize,
    sources_of: impl Fn(usize) -> Option<&'a AttrSources>,
) -> Vec<Group<'a>> {
    let key = |s: Option<&AttrSources>| {
        s.map(|s| s.entries.iter().map(AttrSource::key).collect::<Vec<_>>())
    };
    let mut groups: Vec<Group<'a>> = Vec::new();
    for i in 0..count {
        let sources = sources_of(i);
        match groups.iter_mut().find(|g| key(g.sources) == key(sources)) {
            Some(g) => g.members.push(i),
            None => groups.push(Group {
                sources,
                members: vec![i],
                parent: None,
            }),
        }
    }
    // Only maximal groups are parents, so every slice is one level deep. Groups that inherit
    // their attributes take no part: what they record with is decided at run time.
    let includes = |outer: &AttrSources, inner: &AttrSources| {
        outer.entries.len() > inner.entries.len()
            && inner.entries.iter().all(|i| outer.entries.contains(i))
    };
    let parents: Vec<Option<usize>> = groups
        .iter()
        .map(|g| {
            let inner = g.sources?;
            groups.iter().position(|p| {
                p.sources.is_some_and(|outer| {
                    includes(outer, inner)
                        && !groups
                            .iter()
                            .any(|q| q.sources.is_some_and(|top| includes(top, outer)))
                })
            })
        })
        .collect();
    for (g, parent) in groups.iter_mut().zip(parents) {
        g.parent = parent;
    }
    groups
}

/// The names of one planning variant's constants.
pub(super) struct Plan {
    /// Whether the job's attributes are the last source.
    pub with_job: bool,
    pub list: Ident,
    pub n: Ident,
    pub plan: Ident,
    pub keys: Ident,
    /// How this group sits in its parent's buffer (see `run_side`).
    pub side: Ident,
    /// Whole sources in key order, when they do not interleave (see `source_order`).
    pub order: Ident,
    /// With the job: the plan of the same sources without it.
    pub without_job: Option<Ident>,
}

impl Plan {
    pub(super) fn new(index: usize, with_job: bool) -> Self {
        let prefix = if with_job { "__GJ" } else { "__G" };
        let name = |what: &str| format_ident!("{}{}_{}", prefix, index, what);
        Plan {
            with_job,
            list: name("SOURCES"),
            n: name("N"),
            plan: name("PLAN"),
            keys: name("KEYS"),
            side: name("SIDE"),
            order: name("ORDER"),
            without_job: with_job.then(|| format_ident!("__G{}_PLAN", index)),
        }
    }
}

/// How one attribute source's keys are named and its attributes written (not to be confused
/// with the runtime's `FieldPath`, the field that feeds an instrument).
struct SourceWriter {
    keys: TokenStream,
    /// Writes all of the source's attributes.
    whole: TokenStream,
    /// Writes the attribute for key `__slot.index`.
    keyed: TokenStream,
    /// Writes the source's words of the attribute cache's key into `__key` (a `&mut impl
    /// KeyWriter`).
    words: TokenStream,
}

fn source_writer(c: &Container, receiver: &TokenStream, entry: &AttrSource) -> SourceWriter {
    let single = |key: &TokenStream, value: TokenStream, word: TokenStream| {
        let push = quote! {
            if let __p::Some(v) = #value {
                __buf.push(__p::KeyValue::new(__p::Key::from_static_str(#key), v));
            }
        };
        SourceWriter {
            keys: quote!(&[#key]),
            whole: push.clone(),
            keyed: push,
            words: quote! {
                if let __p::Some(w) = #word {
                    __p::KeyWriter::push(__key, 0, w);
                }
                __p::KeyWriter::end_source(__key, 1);
            },
        }
    };
    match entry {
        AttrSource::Const(key, value) => {
            let word = quote!(__p::Some(__p::Word::Static(#value)));
            let value =
                quote!(__p::Some(<__p::Value as __p::From<&'static __p::str>>::from(#value)));
            single(&quote!(#key), value, word)
        }
        AttrSource::Field(ident) => {
            let field = c.field(ident).expect("checked source");
            match &field.role {
                Role::Attribute(a) => {
                    let key = &a.key;
                    let value = proof::attr_value(ident, field.ty, a, quote!(&#receiver.#ident));
                    let word = proof::attr_word(ident, field.ty, a, quote!(&#receiver.#ident));
                    single(&quote!(#key), value, word)
                }
                _ => {
                    // Through the proof on the field's type, so that a field that is no set
                    // fails there, once.
                    let (ty, proof) = (field.ty, proof::set(ident));
                    let set = quote_spanned!(ty.span()=> <__p::Checked<{ #proof }, #ty> as __p::AttributeSet>);
                    SourceWriter {
                        keys: quote!(#set::KEYS),
                        whole: quote!(#set::push_all(&#receiver.#ident, &mut __buf);),
                        keyed: quote! {
                            #set::push_attribute(&#receiver.#ident, __slot.index, &mut __buf);
                        },
                        words: quote! {
                            #set::push_words(&#receiver.#ident, __key);
                            __p::KeyWriter::end_source(__key, #set::KEYS.len());
                        },
                    }
                }
            }
        }
        AttrSource::View(ident, view) => {
            let ty = c.field(ident).expect("checked source").ty;
            let proof = proof::view(c, entry);
            let as_view = quote_spanned!(ident.span()=>
                <__p::Checked<{ #proof }, #view> as __p::AttributeView<#ty>>);
            SourceWriter {
                keys: quote!(#as_view::KEYS),
                whole: quote!(#as_view::push_all(&#receiver.#ident, &mut __buf);),
                keyed: quote!(#as_view::push_attribute(&#receiver.#ident, __slot.index, &mut __buf);),
                words: quote! {
                    #as_view::push_words(&#receiver.#ident, __key);
                    __p::KeyWriter::end_source(__key, #as_view::KEYS.len());
                },
            }
        }
    }
}

/// The job's attributes, the last source of the `with_job` plans.
fn job_source() -> SourceWriter {
    SourceWriter {
        keys: quote!(<__p::JobAttributes as __p::AttributeSet>::KEYS),
        whole: quote!(__p::AttributeSet::push_all(__job, &mut __buf);),
        keyed: quote!(__p::AttributeSet::push_attribute(__job, __slot.index, &mut __buf);),
        // The job is named by its id in the cache, never by its attributes.
        words: TokenStream::new(),
    }
}

fn all_sources(
    c: &Container,
    receiver: &TokenStream,
    sources: &AttrSources,
    plan: &Plan,
) -> Vec<SourceWriter> {
    let mut list: Vec<SourceWriter> = sources
        .entries
        .iter()
        .map(|e| source_writer(c, receiver, e))
        .collect();
    if plan.with_job {
        list.push(job_source());
    }
    list
}

/// The constants that plan a group's attribute order: count, plan, sorted keys, source order.
pub(super) fn plan_consts(c: &Container, sources: &AttrSources, plan: &Plan) -> TokenStream {
    let lists = all_sources(c, &quote!(self), sources, plan);
    let lists = lists.iter().map(|s| &s.keys);
    let k = sources.entries.len() + usize::from(plan.with_job);
    let Plan {
        list,
        n,
        plan,
        keys,
        order,
        without_job,
        ..
    } = plan;
    // Two sources writing one key fail the plan's evaluation: spanning the call from the first
    // source to the last puts that error on the list rather than on the derive.
    let first = sources.entries.first().map(|e| entry_spans(e).0);
    let last = sources.entries.last().map(|e| entry_spans(e).1);
    let first = first.unwrap_or_else(proc_macro2::Span::call_site);
    let merge = quote_spanned!(first=> __p::merge_plan);
    let args = quote_spanned!(last.unwrap_or(first)=> (#list));
    let mut merged = quote!(#merge #args);
    if let Some(without_job) = without_job {
        // The same sources without the job are planned first: a key they share fails that
        // plan alone, not this one as well.
        merged = quote!({ let _: &[__p::Slot] = &#without_job; #merged });
    }
    quote! {
        const #list: &[&[&'static __p::str]] = &[#(#lists),*];
        const #n: __p::usize = __p::key_count(#list);
        const #plan: [__p::Slot; #n] = #merged;
        const #keys: [&'static __p::str; #n] = __p::merged_keys(#list, &#plan);
        const #order: __p::Option<[__p::usize; #k]> = __p::source_order::<#k>(&#plan);
    }
}

/// Indices, in `parent`'s source list, of the sources `child` does not have.
pub(super) fn extra_sources(parent: &AttrSources, child: &AttrSources) -> Vec<usize> {
    parent
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !child.entries.contains(e))
        .map(|(index, _)| index)
        .collect()
}

/// Code that fills `__buf` from the group's sources of `receiver`, in sorted key order. When no
/// two sources interleave, each source writes all its keys in one go, in the order fixed at
/// compile time; otherwise the plan is followed key by key. Each `(counter, extra)` pair counts
/// the attributes written by the sources listed in `extra`.
pub(super) fn fill_buffer(
    c: &Container,
    receiver: &TokenStream,
    sources: &AttrSources,
    plan: &Plan,
    counters: &[(Ident, Vec<usize>)],
) -> TokenStream {
    let list = all_sources(c, receiver, sources, plan);
    let arms = |whole: bool| {
        list.iter().enumerate().map(move |(index, s)| {
            let push = if whole { &s.whole } else { &s.keyed };
            let counted: Vec<&Ident> = counters
                .iter()
                .filter(|(_, extra)| extra.contains(&index))
                .map(|(counter, _)| counter)
                .collect();
            if counted.is_empty() {
                quote!(#index => { #push })
            } else {
                quote! {
                    #index => {
                        let __before = __buf.len();
                        #push
                        #(#counted += __buf.len() - __before;)*
                    }
                }
            }
        })
    };
    let whole_arms: Vec<TokenStream> = arms(true).collect();
    let keyed_arms = arms(false);
    // One step per source, each a `match` on a constant that the compiler folds away.
    let steps = (0..list.len()).map(|step| {
        quote! {
            match __order[#step] {
                #(#whole_arms)*
                _ => {}
            }
        }
    });
    let Plan { n, plan, order, .. } = plan;
    quote! {
        let mut __buf = __p::AttrBuf::<#n>::new();
        match #order {
            __p::Some(__order) => {
                #(#steps)*
            }
            __p::None => {
                for __slot in #plan {
                    match __slot.source {
                        #(#keyed_arms)*
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Code that writes the words of the attribute cache's key into `__key`: each source's words
/// in turn, then its end (one fixed order, not the sorted one: a key is only compared), shared
/// strings borrowed from `receiver`. A constant source is left out: it writes the same value
/// into every key.
pub(super) fn key_words(
    c: &Container,
    receiver: &TokenStream,
    sources: &[&AttrSource],
) -> TokenStream {
    let words = sources
        .iter()
        .filter(|e| !matches!(e, AttrSource::Const(..)))
        .map(|e| source_writer(c, receiver, e).words);
    quote!(#(#words)*)
}

/// Where an entry of `attributes(..)` starts and ends.
fn entry_spans(entry: &AttrSource) -> (proc_macro2::Span, proc_macro2::Span) {
    let text = |t: &crate::attr::ConstText| match t {
        crate::attr::ConstText::Lit(lit) => lit.span(),
        crate::attr::ConstText::Path(path) => path.span(),
    };
    match entry {
        AttrSource::Field(ident) => (ident.span(), ident.span()),
        AttrSource::View(ident, view) => (ident.span(), view.span()),
        AttrSource::Const(key, value) => (text(key), text(value)),
    }
}
