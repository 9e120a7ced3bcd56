//! Planning the attribute order at compile time: the `const fn`s generated code evaluates to
//! write the keys of several sorted sources in one sorted sequence, with no sorting at run time.

/// One step of a merge plan: write key `index` of source `source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Which source, in the order the measurement lists them.
    pub source: usize,
    /// Which key of that source.
    pub index: usize,
}

/// How many keys the sources hold together.
pub const fn key_count(sources: &[&[&str]]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < sources.len() {
        n += sources[i].len();
        i += 1;
    }
    n
}

const fn str_lt(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

const fn str_eq(a: &str, b: &str) -> bool {
    !str_lt(a, b) && !str_lt(b, a)
}

/// The order in which to write the keys of several sorted sources so that the result is sorted:
/// a k-way merge, evaluated at compile time. Fails the build when two sources share a key.
pub const fn merge_plan<const N: usize>(sources: &[&[&str]]) -> [Slot; N] {
    if key_count(sources) != N {
        panic!("merge_plan: N must equal the number of keys");
    }
    // A hand-written `AttributeSet` or `AttributeView` with unsorted keys would silently break
    // the sorted order the whole plan relies on.
    let mut s = 0;
    while s < sources.len() {
        if !is_sorted_unique(sources[s]) {
            panic!("an attribute source's KEYS must be sorted and unique");
        }
        s += 1;
    }
    let mut plan = [Slot {
        source: 0,
        index: 0,
    }; N];
    let mut heads = [0usize; 16];
    if sources.len() > heads.len() {
        panic!("a measurement can name at most 16 attribute sources");
    }
    let mut out = 0;
    while out < N {
        let mut best = usize::MAX;
        let mut s = 0;
        while s < sources.len() {
            if heads[s] < sources[s].len() {
                let key = sources[s][heads[s]];
                if best != usize::MAX {
                    let current = sources[best][heads[best]];
                    if str_eq(key, current) {
                        panic!("{}", duplicate_key(key));
                    }
                    if str_lt(key, current) {
                        best = s;
                    }
                } else {
                    best = s;
                }
            }
            s += 1;
        }
        plan[out] = Slot {
            source: best,
            index: heads[best],
        };
        heads[best] += 1;
        out += 1;
    }
    plan
}

const fn duplicate_key(_key: &str) -> &'static str {
    "two attribute sources of one measurement write the same key: list each source once, and give field attributes keys the sets do not use"
}

/// The keys of [`merge_plan`]'s result, in order.
pub const fn merged_keys<const N: usize>(
    sources: &[&[&'static str]],
    plan: &[Slot; N],
) -> [&'static str; N] {
    let mut keys = [""; N];
    let mut i = 0;
    while i < N {
        keys[i] = sources[plan[i].source][plan[i].index];
        i += 1;
    }
    keys
}

/// Where the keys of the sources listed in `extra` sit in `plan`: `1` when all come before the
/// others, `2` when all come after, `0` when they interleave. A measurement whose sources are
/// the others can then record with a slice of the larger buffer: the suffix (1) or prefix (2).
pub const fn run_side(plan: &[Slot], extra: &[usize]) -> u8 {
    let (mut extra_after_other, mut other_after_extra) = (false, false);
    let (mut seen_extra, mut seen_other) = (false, false);
    let mut i = 0;
    while i < plan.len() {
        let mut is_extra = false;
        let mut j = 0;
        while j < extra.len() {
            if extra[j] == plan[i].source {
                is_extra = true;
            }
            j += 1;
        }
        if is_extra {
            extra_after_other |= seen_other;
            seen_extra = true;
        } else {
            other_after_extra |= seen_extra;
            seen_other = true;
        }
        i += 1;
    }
    if !extra_after_other {
        1
    } else if !other_after_extra {
        2
    } else {
        0
    }
}

/// The order in which to write whole sources when the plan keeps each source's keys together:
/// `order[k]` is the source written k-th. `None` when two sources interleave, and the plan must
/// be followed key by key. `K` is the number of sources.
pub const fn source_order<const K: usize>(plan: &[Slot]) -> Option<[usize; K]> {
    let mut order = [usize::MAX; K];
    let mut written = 0;
    let mut i = 0;
    while i < plan.len() {
        let source = plan[i].source;
        if written == 0 || order[written - 1] != source {
            // A source seen before, now again after another one: the sources interleave.
            let mut j = 0;
            while j < written {
                if order[j] == source {
                    return None;
                }
                j += 1;
            }
            order[written] = source;
            written += 1;
        }
        i += 1;
    }
    // Sources with no keys go last; they write nothing.
    let mut s = 0;
    while s < K {
        let mut listed = false;
        let mut j = 0;
        while j < written {
            if order[j] == s {
                listed = true;
            }
            j += 1;
        }
        if !listed {
            order[written] = s;
            written += 1;
        }
        s += 1;
    }
    Some(order)
}

/// Whether `keys` is sorted and unique, as [`merge_plan`] requires of every source.
pub(crate) const fn is_sorted_unique(keys: &[&str]) -> bool {
    let mut i = 1;
    while i < keys.len() {
        if !str_lt(keys[i - 1], keys[i]) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_interleaves_sources_in_key_order() {
        const SOURCES: &[&[&str]] = &[&["model_name", "model_provider"], &["connection_reused"]];
        const PLAN: [Slot; 3] = merge_plan(SOURCES);
        assert_eq!(
            merged_keys(SOURCES, &PLAN),
            ["connection_reused", "model_name", "model_provider"]
        );
        assert_eq!(
            PLAN[0],
            Slot {
                source: 1,
                index: 0
            }
        );
    }

    #[test]
    fn run_side_finds_prefix_and_suffix() {
        const SOURCES: &[&[&str]] = &[&["model_name", "model_provider"], &["connection_reused"]];
        const PLAN: [Slot; 3] = merge_plan(SOURCES);
        // `connection_reused` sorts first: the model keys are the suffix.
        assert_eq!(run_side(&PLAN, &[1]), 1);
        assert_eq!(run_side(&PLAN, &[0]), 2);
        const MIXED: &[&[&str]] = &[&["a", "c"], &["b"]];
        const MIXED_PLAN: [Slot; 3] = merge_plan(MIXED);
        assert_eq!(run_side(&MIXED_PLAN, &[1]), 0);
    }

    #[test]
    fn source_order_concatenates_whole_sources() {
        const SOURCES: &[&[&str]] = &[&["model_name", "model_provider"], &["connection_reused"]];
        const PLAN: [Slot; 3] = merge_plan(SOURCES);
        assert_eq!(source_order::<2>(&PLAN), Some([1, 0]));
        const MIXED: &[&[&str]] = &[&["a", "c"], &["b"], &[]];
        const MIXED_PLAN: [Slot; 3] = merge_plan(MIXED);
        assert_eq!(source_order::<3>(&MIXED_PLAN), None);
        const EMPTY: &[&[&str]] = &[&[], &["a"]];
        const EMPTY_PLAN: [Slot; 1] = merge_plan(EMPTY);
        assert_eq!(source_order::<2>(&EMPTY_PLAN), Some([1, 0]));
    }

    #[test]
    #[should_panic(expected = "sorted and unique")]
    fn an_unsorted_source_is_refused() {
        let _ = merge_plan::<2>(&[&["b", "a"]]);
    }

    #[test]
    fn byte_order_decides() {
        assert!(str_lt("a", "ab"));
        assert!(str_lt("Z", "a"));
        assert!(!str_lt("b", "b"));
        assert!(is_sorted_unique(&["a", "b", "c"]));
        assert!(!is_sorted_unique(&["a", "a"]));
    }
}
