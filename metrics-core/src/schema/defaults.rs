//! The two defaults of an event field stay one: a field `Debug` leaves out at its declared
//! default (`#[metric(default)]`) is exactly one the JSON may leave out (`serde(default)`), and
//! leaving it out gives that same default.
//!
//! For every schema type of [`with_event_types!`], a fully populated instance is written to
//! JSON and each field's key dropped in turn. (A Python event whose optional field is missing
//! must parse; one missing a required field must not, or it would hide a broken producer behind
//! a zero that `Debug` then prints as if it had been sent.)

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::list::with_event_types;
use super::*;
use crate::CompactDebug;

/// Values a field is set to until one reads back different from its default: a number, a
/// string, a flag, a model, token details, a list, and the values of the schema's enums.
fn candidates() -> Vec<Value> {
    let mut values = vec![
        json!(3),
        json!(2.5),
        json!("x"),
        json!(true),
        json!({"model_name": "m", "model_provider": "p"}),
        json!({"audio_tokens": 1, "text_tokens": 2, "image_tokens": 3}),
        json!(["x"]),
    ];
    values.extend(
        [
            "error",
            "timeout",
            "llm",
            "tts",
            "stt",
            "cancelled",
            "interrupted",
            "agent",
            "user",
            "llm_ttft",
            "turn",
            "function",
            "tool_error",
            "no_report",
        ]
        .map(Value::from),
    );
    values
}

/// The fields `Debug` prints at the top level of `event`.
fn shown<T: core::fmt::Debug>(event: &T) -> Vec<String> {
    format!("{event:#?}")
        .lines()
        .filter_map(|line| line.strip_prefix("    ")?.split_once(": "))
        .filter(|(name, _)| !name.starts_with(' '))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// `T` with every field set to a value other than its default, as JSON.
fn populated<T>() -> Map<String, Value>
where
    T: Serialize + DeserializeOwned + Default + CompactDebug + core::fmt::Debug,
{
    let default = to_object(&T::default());
    let mut json = default.clone();
    for &(name, _) in T::FIELD_DEFAULTS {
        for candidate in candidates() {
            let mut trial = json.clone();
            trial.insert(name.to_owned(), candidate);
            let Ok(event) = serde_json::from_value::<T>(Value::Object(trial)) else {
                continue;
            };
            let back = to_object(&event);
            if back.get(name).is_some_and(|v| Some(v) != default.get(name)) {
                json = back;
                break;
            }
        }
    }
    json
}

fn to_object<T: Serialize>(event: &T) -> Map<String, Value> {
    match serde_json::to_value(event).expect("events serialize") {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A field whose missing key is derived from the others rather than defaulted.
fn derived(ty: &str, name: &str) -> bool {
    // The Python validator's sum of input and output tokens (see `json.rs`).
    (ty, name) == ("STTMetrics", "total_tokens")
}

/// Checks one type; returns what disagrees, one line each.
fn drift<T>(ty: &str) -> Vec<String>
where
    T: Serialize + DeserializeOwned + Default + CompactDebug + core::fmt::Debug,
{
    let full = populated::<T>();
    let event: T = serde_json::from_value(Value::Object(full.clone())).expect("populated parses");
    let names: Vec<&str> = T::FIELD_DEFAULTS.iter().map(|&(name, _)| name).collect();
    assert!(!names.is_empty(), "{ty}: no fields listed");
    assert_eq!(
        shown(&event),
        names,
        "{ty} is not fully populated: {event:#?}"
    );
    let mut drift = Vec::new();
    for &(name, hidden_at_default) in T::FIELD_DEFAULTS {
        let mut json = full.clone();
        assert!(
            json.remove(name).is_some(),
            "{ty}.{name} is not in its JSON"
        );
        match (
            serde_json::from_value::<T>(Value::Object(json)),
            hidden_at_default,
        ) {
            (Ok(read), true) if shown(&read).iter().any(|f| f == name) && !derived(ty, name) => {
                drift.push(format!(
                    "{ty}.{name}: a missing key reads as a value `Debug` shows (serde's default is \
                 not the declared `#[metric(default)]`)"
                ))
            }
            (Ok(_), true) | (Err(_), false) => {}
            (Ok(_), false) => drift.push(format!(
                "{ty}.{name}: may be missing in JSON but `Debug` always shows it (add \
                 `#[metric(default)]`, or drop `serde(default)`)"
            )),
            (Err(e), true) => drift.push(format!(
                "{ty}.{name}: `Debug` hides its default but the JSON must carry it (add \
                 `serde(default)`): {e}"
            )),
        }
    }
    drift
}

/// Picks [`drift`] for the types that have a JSON shape and `None` for the others (autoref
/// specialization: the by-value impl wins when its bounds hold).
struct Probe<T>(core::marker::PhantomData<T>);

trait Json {
    fn drift(&self, ty: &str) -> Option<Vec<String>>;
}

impl<T> Json for Probe<T>
where
    T: Serialize + DeserializeOwned + Default + CompactDebug + core::fmt::Debug,
{
    fn drift(&self, ty: &str) -> Option<Vec<String>> {
        Some(drift::<T>(ty))
    }
}

trait NoJson {
    fn drift(&self, ty: &str) -> Option<Vec<String>>;
}

impl<T> NoJson for &Probe<T> {
    fn drift(&self, _: &str) -> Option<Vec<String>> {
        None
    }
}

#[test]
fn a_field_may_be_missing_in_json_exactly_when_debug_hides_its_default() {
    macro_rules! check_all {
        (
            union { $($field:ident: $variant:ident($ty:ty) = $tag:literal,)* }
            others { $($other:ident: $other_ty:ty,)* }
        ) => {{
            let (mut drift, mut without_json) = (Vec::new(), Vec::new());
            $(
                let ty = stringify!($ty);
                let found = (&Probe::<$ty>(core::marker::PhantomData)).drift(ty);
                drift.extend(found.expect("the union's members all have a JSON shape"));
            )*
            $(
                let ty = stringify!($other_ty);
                match (&Probe::<$other_ty>(core::marker::PhantomData)).drift(ty) {
                    Some(found) => drift.extend(found),
                    None => without_json.push(ty),
                }
            )*
            (drift, without_json)
        }};
    }
    let (drift, without_json) = with_event_types!(check_all);
    assert!(drift.is_empty(), "{}", drift.join("\n"));
    // A provider attempt's `error.type` is a `&'static str`, so it is never read from JSON.
    assert_eq!(without_json, ["ProviderAttempt"]);
}
