//! The checks an instrument definition must pass (name syntax, units, bucket boundaries), as
//! `const fn`s. ("Rules" in this project means Prometheus recording and alerting rules.)
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

/// A unit in the UCUM form OpenTelemetry uses: ASCII, at most 63 characters, no white space,
/// balanced `{}` annotations and `[]` atoms, e.g. `s`, `ms`, `By`, `{token}`, `1`, `By/s`; and not
/// one of the everyday spellings UCUM does not know (`bytes`, `seconds`, `requests`, ...): those
/// are refused with the code to write instead. A plain lower-case word of five letters or more is
/// never a UCUM code, so it is refused too, with the advice to write it as an `{annotation}`.
pub const fn check_unit(unit: &str) -> Result<(), &'static str> {
    if let Err(why) = check_unit_syntax(unit) {
        return Err(why);
    }
    let mut i = 0;
    while i < MISSPELLED_UNITS.len() {
        if eq(unit.as_bytes(), MISSPELLED_UNITS[i].0.as_bytes()) {
            return Err(MISSPELLED_UNITS[i].1);
        }
        i += 1;
    }
    if has_plain_word(unit.as_bytes()) {
        return Err(
            "unit is a plain word, which is not a UCUM code: write what is counted as an annotation in braces, singular, e.g. \"{request}\" or \"{token}\", or a UCUM code such as \"s\", \"ms\" or \"By\"",
        );
    }
    Ok(())
}

/// Everyday spellings of units, each with the message that names the UCUM code to write.
const MISSPELLED_UNITS: &[(&str, &str)] = &[
    ("bytes", BYTES),
    ("byte", BYTES),
    ("B", BYTES),
    (
        "kb",
        "unit is not a UCUM code: OpenTelemetry writes kilobytes as \"kBy\" (and kibibytes as \"KiBy\")",
    ),
    (
        "KB",
        "unit is not a UCUM code: OpenTelemetry writes kilobytes as \"kBy\" (and kibibytes as \"KiBy\")",
    ),
    (
        "kB",
        "unit is not a UCUM code: OpenTelemetry writes kilobytes as \"kBy\" (and kibibytes as \"KiBy\")",
    ),
    (
        "MB",
        "unit is not a UCUM code: OpenTelemetry writes megabytes as \"MBy\" (and mebibytes as \"MiBy\")",
    ),
    (
        "mb",
        "unit is not a UCUM code: OpenTelemetry writes megabytes as \"MBy\" (and mebibytes as \"MiBy\")",
    ),
    ("seconds", SECONDS),
    ("second", SECONDS),
    ("sec", SECONDS),
    ("secs", SECONDS),
    ("milliseconds", MILLIS),
    ("millisecond", MILLIS),
    ("millis", MILLIS),
    ("msec", MILLIS),
    ("msecs", MILLIS),
    (
        "microseconds",
        "unit is not a UCUM code: write microseconds as \"us\"",
    ),
    (
        "usec",
        "unit is not a UCUM code: write microseconds as \"us\"",
    ),
    (
        "nanoseconds",
        "unit is not a UCUM code: write nanoseconds as \"ns\"",
    ),
    (
        "nsec",
        "unit is not a UCUM code: write nanoseconds as \"ns\"",
    ),
    (
        "minutes",
        "unit is not a UCUM code: write minutes as \"min\"",
    ),
    ("mins", "unit is not a UCUM code: write minutes as \"min\""),
    ("hours", "unit is not a UCUM code: write hours as \"h\""),
    ("hour", "unit is not a UCUM code: write hours as \"h\""),
    ("hr", "unit is not a UCUM code: write hours as \"h\""),
    (
        "percent",
        "unit is not a UCUM code: write a percentage as \"%\", or a ratio between 0 and 1 as \"1\"",
    ),
    ("requests", REQUESTS),
    ("request", REQUESTS),
    ("req", REQUESTS),
    (
        "tokens",
        "unit is not a UCUM code: a count of tokens is written as the annotation \"{token}\"",
    ),
    (
        "token",
        "unit is not a UCUM code: a count of tokens is written as the annotation \"{token}\"",
    ),
    (
        "chars",
        "unit is not a UCUM code: a count of characters is written as the annotation \"{character}\"",
    ),
    (
        "count",
        "unit is not a UCUM code: write what is counted as an annotation, e.g. \"{request}\", or \"1\" for a plain number",
    ),
];

const BYTES: &str =
    "unit is not a UCUM code: OpenTelemetry writes bytes as \"By\" (\"B\" is the bel in UCUM)";
const SECONDS: &str = "unit is not a UCUM code: write seconds as \"s\"";
const MILLIS: &str = "unit is not a UCUM code: write milliseconds as \"ms\"";
const REQUESTS: &str =
    "unit is not a UCUM code: a count of requests is written as the annotation \"{request}\"";

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether a term of the unit, outside annotations (terms are split by `/` and `.`), is a
/// lower-case word of five letters or more.
const fn has_plain_word(b: &[u8]) -> bool {
    let (mut i, mut run, mut plain, mut depth) = (0, 0usize, true, 0u32);
    while i <= b.len() {
        let c = if i < b.len() { b[i] } else { b'/' };
        if depth == 0 && (c == b'/' || c == b'.') {
            if plain && run >= 5 {
                return true;
            }
            run = 0;
            plain = true;
        } else if c == b'{' {
            depth += 1;
            plain = false;
        } else if c == b'}' {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            if c.is_ascii_lowercase() {
                run += 1;
            } else {
                plain = false;
            }
        }
        i += 1;
    }
    false
}

const fn check_unit_syntax(unit: &str) -> Result<(), &'static str> {
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

/// The first bucket bound from which the bounds of a histogram in seconds read as milliseconds
/// as much as seconds. `[5, 10, 25, 50, 100, 250, 500, 1000]` is a connect latency in
/// milliseconds, `[30, 60, 120, 300, 600, 1800, 3600]` a call length in seconds, and no threshold
/// tells the two apart: a seconds histogram whose bounds start here or above says which it means
/// (see [`seconds_buckets_ambiguous`]).
pub const AMBIGUOUS_FIRST_BOUND: f64 = 1.0;

/// Whether a histogram recorded in `unit` (a `Duration` field implies `"s"`) with these bounds
/// leaves its intent unsaid: in seconds, bounds starting at [`AMBIGUOUS_FIRST_BOUND`] or more,
/// and no `long_durations` acknowledgement. Milliseconds written by mistake would put every
/// sample in the first bucket; long durations are declared as such.
pub const fn seconds_buckets_ambiguous(unit: &str, buckets: &[f64], long_durations: bool) -> bool {
    !long_durations
        && eq(unit.as_bytes(), b"s")
        && !buckets.is_empty()
        && buckets[0] >= AMBIGUOUS_FIRST_BOUND
}

/// The derive's message for [`seconds_buckets_ambiguous`] bounds: both ways out.
pub const SECONDS_OR_MILLIS: &str = "this histogram records seconds, and its bucket bounds start at 1 or more, which reads as milliseconds as much as seconds: if they are milliseconds, write them as `buckets_ms = [..]` (converted to seconds); if they are seconds (a call or session length), add `long_durations`";

/// A field whose type implies a unit (a `Duration` is always seconds) cannot declare another.
pub const fn check_implied_unit(declared: &str, implied: Option<&str>) -> Result<(), &'static str> {
    match implied {
        Some(unit) if !declared.is_empty() && !eq(declared.as_bytes(), unit.as_bytes()) => Err(
            "a Duration is always recorded as seconds: remove `unit` (it is \"s\"), or store the value as a number in the unit you want",
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        for ok in [
            "s",
            "ms",
            "By",
            "{token}",
            "1",
            "By/s",
            "%",
            "Cel",
            "{request}/s",
            "min",
            "mmol",
            "kBy",
            "",
        ] {
            assert_eq!(check_unit(ok), Ok(()), "{ok}");
        }
        for bad in [
            "bytes", "seconds", "requests", "tokens", "frames", "tokens/s", "B",
        ] {
            assert!(check_unit(bad).is_err(), "{bad}");
        }
        assert!(check_unit("bytes").unwrap_err().contains("\"By\""));
    }

    #[test]
    fn seconds_buckets() {
        let ms = [5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];
        let call = [30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];
        let workflow = [
            1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
        ];
        for list in [&ms[..], &call, &workflow, &[50.0, 100.0, 250.0]] {
            assert!(seconds_buckets_ambiguous("s", list, false), "{list:?}");
            assert!(!seconds_buckets_ambiguous("s", list, true), "{list:?}");
            assert!(!seconds_buckets_ambiguous("ms", list, false), "{list:?}");
            assert!(!seconds_buckets_ambiguous("", list, false), "{list:?}");
        }
        assert!(!seconds_buckets_ambiguous("s", &[0.05, 100.0], false));
        assert!(!seconds_buckets_ambiguous("s", &[0.1, 0.2, 409.6], false));
        assert!(!seconds_buckets_ambiguous("s", &[], false));
    }
}
