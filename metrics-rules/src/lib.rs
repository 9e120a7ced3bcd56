//! The rules an instrument definition must follow, as `const fn`s.
//!
//! One crate serves both sides: the runtime (`agent-metrics-core`, where `Instrument`'s builders
//! call these during constant evaluation) and the derive (`agent-metrics-derive`, where the same
//! mistakes become spanned compile errors), so the two can never disagree. It uses nothing but
//! `core`. Not meant to be depended on directly: use `agent-metrics`.

#![no_std]

/// OpenTelemetry's instrument-name syntax: 1 to 255 bytes, an ASCII letter first, then ASCII
/// letters, digits, `_`, `.`, `-` or `/`.
pub const fn check_name(name: &str) -> Result<(), &'static str> {
    let b = name.as_bytes();
    if b.is_empty() {
        return Err(
            "instrument name is empty: give it a name such as \"lk.agents.usage.tts_characters\"",
        );
    }
    if b.len() > 255 {
        return Err(
            "instrument name is longer than 255 characters, the OpenTelemetry limit: shorten it",
        );
    }
    if !b[0].is_ascii_alphabetic() {
        return Err(
            "instrument name must start with an ASCII letter (OpenTelemetry name syntax): prefix it with a namespace such as \"lk.agents.\"",
        );
    }
    let mut i = 1;
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-' || c == b'/') {
            return Err(
                "instrument name may only contain ASCII letters, digits and `_` `.` `-` `/` (OpenTelemetry name syntax): separate words with `.` or `_`",
            );
        }
        i += 1;
    }
    Ok(())
}

/// A UCUM-like unit: ASCII, at most 63 characters, no white space, balanced `{}` annotations and
/// `[]` atoms, e.g. `s`, `ms`, `By`, `{token}`, `1`, `By/s`.
pub const fn check_unit(unit: &str) -> Result<(), &'static str> {
    let b = unit.as_bytes();
    if b.len() > 63 {
        return Err(
            "unit is longer than 63 characters, the OpenTelemetry limit: use a UCUM code such as \"s\" or \"{token}\"",
        );
    }
    let mut braces = 0u32;
    let mut brackets = 0u32;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !c.is_ascii() {
            return Err(
                "unit must be ASCII (OpenTelemetry limit): write it as a UCUM code, e.g. \"us\" rather than \"µs\"",
            );
        }
        if c.is_ascii_whitespace() || c.is_ascii_control() {
            return Err(
                "unit must not contain white space: use a UCUM code such as \"s\", \"By\" or an annotation like \"{request}\"",
            );
        }
        match c {
            b'{' => {
                if braces > 0 {
                    return Err(
                        "unit has a `{` inside an annotation: annotations are written `{name}`",
                    );
                }
                braces += 1;
            }
            b'}' => {
                if braces == 0 {
                    return Err("unit has a `}` without its `{`: annotations are written `{name}`");
                }
                braces -= 1;
            }
            b'[' if braces == 0 => brackets += 1,
            b']' if braces == 0 => {
                if brackets == 0 {
                    return Err("unit has a `]` without its `[`: UCUM atoms are written `[name]`");
                }
                brackets -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    if braces != 0 || brackets != 0 {
        return Err("unit has an unclosed `{` or `[`: annotations are written `{name}`");
    }
    Ok(())
}

/// Histogram bucket boundaries: at least one, all finite, strictly increasing. The error names
/// the index of the offending boundary, so the derive can point at it.
pub const fn check_buckets(buckets: &[f64]) -> Result<(), (usize, &'static str)> {
    if buckets.is_empty() {
        return Err((
            0,
            "bucket list is empty: list the boundaries, e.g. [0.05, 0.1, 0.5, 1.0], or remove `buckets` to use the defaults",
        ));
    }
    let mut i = 0;
    while i < buckets.len() {
        if !buckets[i].is_finite() {
            return Err((
                i,
                "bucket boundary is not a finite number: use a finite upper bound; values above the last boundary are counted in the overflow bucket anyway",
            ));
        }
        if i > 0 && buckets[i] == buckets[i - 1] {
            return Err((
                i,
                "bucket boundaries contain a duplicate: list each boundary once",
            ));
        }
        if i > 0 && buckets[i] < buckets[i - 1] {
            return Err((
                i,
                "bucket boundaries must be in increasing order, and this one is smaller than the one before it: sort the list",
            ));
        }
        i += 1;
    }
    Ok(())
}
