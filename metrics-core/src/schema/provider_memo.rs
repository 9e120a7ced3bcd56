//! The `gen_ai.provider.name` of a provider string, remembered per thread: normalizing it
//! (trimming, then up to four table scans of string comparisons) cost more than the rest of an
//! `LLMMetrics` record, and a component reports the same provider string (the same `Arc<str>`)
//! on every event.
//!
//! A hit is the very same string: the memo holds a clone of each `Arc` it remembers, so its
//! address cannot be reused by another string while it is remembered, and the text behind it
//! never changes. Four per thread, replaced in turn, for the few providers a thread records for.

use std::cell::RefCell;
use std::sync::Arc;

use opentelemetry::{StringValue, Value};

use super::Name;
use super::genai::{ProviderName, gen_ai_provider_name};

const SLOTS: usize = 4;

struct Memo {
    slots: [Option<(Name, Option<Value>)>; SLOTS],
    next: usize,
}

thread_local! {
    static MEMO: RefCell<Memo> = const {
        RefCell::new(Memo { slots: [const { None }; SLOTS], next: 0 })
    };
}

/// The attribute value of `provider`'s GenAI provider name; `None` when it is blank.
#[inline]
pub(super) fn provider_value(provider: &Name) -> Option<Value> {
    MEMO.try_with(|memo| {
        // Re-entered (a subscriber recording while this thread normalizes) or ending: compute.
        let Ok(mut memo) = memo.try_borrow_mut() else {
            return normalize(provider);
        };
        let hit = memo
            .slots
            .iter()
            .flatten()
            .find(|(p, _)| Arc::ptr_eq(p, provider));
        if let Some((_, value)) = hit {
            return value.clone();
        }
        let value = normalize(provider);
        let at = memo.next;
        memo.next = (at + 1) % SLOTS;
        memo.slots[at] = Some((Arc::clone(provider), value.clone()));
        value
    })
    .unwrap_or_else(|_| normalize(provider))
}

fn normalize(provider: &Name) -> Option<Value> {
    Some(match gen_ai_provider_name(provider)? {
        ProviderName::Known(name) => Value::from(name),
        // Unchanged: share the caller's string rather than copy it.
        ProviderName::Other(name) if name.len() == provider.len() => {
            Value::String(StringValue::from(Arc::clone(provider)))
        }
        // Trimmed: copied once, then shared from the memo.
        ProviderName::Other(trimmed) => Value::String(StringValue::from(Name::from(trimmed))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal text in different strings, the same string again, and more providers than slots:
    /// always the normalization's answer.
    #[test]
    fn the_memo_answers_what_normalizing_answers() {
        let strings: Vec<Name> = ["openai", " Azure OpenAI ", "Deepgram ", "  ", "x", "openai"]
            .iter()
            .map(|s| Name::from(*s))
            .collect();
        for _ in 0..3 {
            for s in strings.iter().chain(strings.iter().rev()) {
                assert_eq!(provider_value(s), normalize(s), "{s:?}");
            }
        }
        assert_eq!(
            provider_value(&strings[1]),
            Some(Value::from("azure.ai.openai"))
        );
        assert_eq!(provider_value(&strings[2]), Some(Value::from("Deepgram")));
        assert_eq!(provider_value(&strings[3]), None);
    }
}
