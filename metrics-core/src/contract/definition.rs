//! One instrument name, two definitions: what differs between them, and the warning given when
//! a second definition of a name is built into handles.
//!
//! The SDK accepts both and exports both under the one name (it says so only in its own debug
//! logs), so a backend receives two metrics it cannot tell apart: a counter and a histogram, or
//! seconds and milliseconds, summed or charted as one. Within one type the derive refuses it at
//! compile time (for inline names); across types (two plugins, or a plugin and the schema) only
//! the running process sees both, so [`building_handles`] warns once per conflict, and
//! [`Catalog::conflicts`](crate::catalog::Catalog::conflicts) lists them for the types a catalog
//! holds.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use super::instrument::{FieldPath, InstrumentDescriptor};
use super::metric::AgentMetric;

/// What differs between two definitions of one name, each as `what (first vs second)`: kind,
/// unit, buckets, value type, attribute keys, description, cardinality limit. Empty when they
/// are the same instrument.
pub(crate) fn differences(
    first: &InstrumentDescriptor,
    second: &InstrumentDescriptor,
) -> Vec<String> {
    let (a, b) = (&first.instrument, &second.instrument);
    let mut differs = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        if x != y {
            differs.push(format!("{what} ({x} vs {y})"));
        }
    };
    differ("kind", a.kind.to_string(), b.kind.to_string());
    differ("unit", format!("`{}`", a.unit), format!("`{}`", b.unit));
    differ(
        "buckets",
        format!("{:?}", a.buckets),
        format!("{:?}", b.buckets),
    );
    differ(
        "value type",
        first.value_type.to_string(),
        second.value_type.to_string(),
    );
    differ(
        "attributes",
        format!("{:?}", first.attributes),
        format!("{:?}", second.attributes),
    );
    differ(
        "cardinality limit",
        format!("{:?}", a.cardinality_limit),
        format!("{:?}", b.cardinality_limit),
    );
    differ(
        "long durations",
        a.long_durations.to_string(),
        b.long_durations.to_string(),
    );
    if a.description != b.description {
        differs.push("description".to_owned());
    }
    differs
}

/// The first definition of each name built into handles in this process, and the conflicts
/// already reported.
#[derive(Default)]
struct Seen {
    first: HashMap<&'static str, InstrumentDescriptor>,
    reported: HashSet<(FieldPath, FieldPath)>,
}

static SEEN: Mutex<Option<Seen>> = Mutex::new(None);

thread_local! {
    /// How many `handles()` calls this thread is inside: a nested type's handles are built
    /// inside its parent's, and checked as the parent reports them (with the attributes it
    /// inherits), not on their own.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Held by generated `handles()` while it builds; see [`building_handles`].
pub struct Building(());

impl Drop for Building {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Called first by generated `handles()`: for the outermost type being built, warns (once per
/// pair of fields) when one of its instruments, nested ones included, feeds a name an
/// earlier-built type defined differently. Per process, not per meter: the SDK gives a meter no
/// identity to key by, and two definitions of one name are a mistake on any meter.
pub fn building_handles<T: AgentMetric + ?Sized>() -> Building {
    let outermost = DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get() == 1
    });
    if outermost {
        let mut instruments = Vec::new();
        T::visit_instruments(&mut |d| instruments.push(d));
        check(&instruments);
    }
    Building(())
}

fn check(instruments: &[InstrumentDescriptor]) {
    let conflicts: Vec<(InstrumentDescriptor, InstrumentDescriptor, Vec<String>)> = {
        let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
        let seen = seen.get_or_insert_with(Seen::default);
        let mut found = Vec::new();
        for d in instruments {
            let first = *seen.first.entry(d.name()).or_insert(*d);
            let differs = differences(&first, d);
            if !differs.is_empty() && seen.reported.insert((first.source, d.source)) {
                found.push((first, *d, differs));
            }
        }
        found
    };
    // Logged with no lock held: a subscriber may build handles itself.
    for (first, second, differs) in conflicts {
        tracing::warn!(
            "instrument `{}` is defined twice: by `{}` and by `{}`, which differ in {}; both are \
             exported under the one name, which a backend cannot tell apart: give one a name of \
             its own, or declare the instrument once as a shared `Instrument`",
            first.name(),
            first.source,
            second.source,
            differs.join(", ")
        );
    }
}
