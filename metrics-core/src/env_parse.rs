//! The one parser family for every environment value the crate reads: the `OTEL_*` and
//! `LIVEKIT_*` export settings (`export/env`) and the stall monitor thresholds
//! ([`crate::stall::Thresholds`]). It sits at the crate root, below both, because neither owns it.
//!
//! Each parser takes the trimmed text and returns the value or why it cannot be used; none of them
//! panics, whatever the input (a property test feeds them arbitrary strings). [`value`] applies
//! the rule of the OpenTelemetry SDK environment-variable specification: an unset or blank variable
//! is silently unset, an unusable one is [`Ignored`] (one `tracing` warning naming the variable,
//! and the caller's default applies); [`setting`] logs that warning at once. Warnings quote the
//! value (shortened) only for variables that cannot hold a secret.

use std::fmt::Write as _;
use std::time::Duration;

/// Whether a variable's value may be shown in a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Show {
    /// Quote the value (shortened).
    Value,
    /// Never show it: it may hold a credential (headers, URLs with user info).
    Hidden,
}

/// An unusable environment value: which variable, why, and the value itself when it may be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ignored {
    pub var: String,
    /// The value, quoted and shortened; `None` for a variable that may hold a secret.
    pub shown: Option<String>,
    pub reason: String,
}

impl Ignored {
    /// The one warning that says the variable is ignored and the default applies.
    pub(crate) fn warn(&self) {
        let var = self.var.as_str();
        let reason = &self.reason;
        match &self.shown {
            Some(text) => {
                tracing::warn!(
                    variable = var,
                    "ignoring {var}={text}: {reason}; using the default"
                )
            }
            None => tracing::warn!(
                variable = var,
                "ignoring {var} (value not shown): {reason}; using the default"
            ),
        }
    }
}

/// `raw` parsed by `parse`: `Ok(None)` when unset or blank, [`Ignored`] when unusable. Logs
/// nothing, so that a caller can gather every unusable value first.
pub(crate) fn value<T>(
    var: &str,
    raw: Option<&str>,
    show: Show,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, Ignored> {
    let Some(text) = raw.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    parse(text).map(Some).map_err(|reason| Ignored {
        var: var.to_owned(),
        shown: (show == Show::Value).then(|| shorten(text)),
        reason,
    })
}

/// [`value`], with the warning of an unusable value logged at once: `None` when unset, blank or
/// unusable.
pub(crate) fn setting<T>(
    var: &str,
    raw: Option<&str>,
    show: Show,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    value(var, raw, show, parse).unwrap_or_else(|ignored| {
        ignored.warn();
        None
    })
}

/// `text` quoted and escaped, at most 64 characters of it.
fn shorten(text: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == 64 {
            out.push_str("...");
            break;
        }
        let _ = write!(out, "{}", c.escape_debug());
    }
    out.push('"');
    out
}

/// A positive whole number of milliseconds, as the specification gives every timeout and interval.
pub(crate) fn millis(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be greater than zero".to_owned()),
        Ok(ms) => Ok(Duration::from_millis(ms)),
        Err(_) => Err("expected a positive whole number of milliseconds".to_owned()),
    }
}

/// A finite number of milliseconds >= 0 that fits a [`Duration`], in Python's `float()` syntax
/// (`150.5`, `1e2`).
pub(crate) fn float_millis(text: &str) -> Result<Duration, String> {
    let invalid = || "expected a finite number of milliseconds >= 0".to_owned();
    let ms = text.parse::<f64>().map_err(|_| invalid())?;
    if !ms.is_finite() || ms < 0.0 {
        return Err(invalid());
    }
    Duration::try_from_secs_f64(ms / 1e3).map_err(|_| "too large for a duration".to_owned())
}

/// One of `options`, case-insensitively.
pub(crate) fn choice<T: Copy>(text: &str, options: &[(&str, T)]) -> Result<T, String> {
    options
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<_> = options.iter().map(|(name, _)| *name).collect();
            format!("expected one of {}", names.join(", "))
        })
}

/// `true` or `false`, case-insensitively (the specification's booleans).
pub(crate) fn boolean(text: &str) -> Result<bool, String> {
    choice(text, &[("true", true), ("false", false)])
}

/// An `http://` or `https://` URL with a host and a valid port, without whitespace.
pub(crate) fn url(url: &str) -> Result<(), String> {
    let invalid = |reason: &str| Err(reason.to_owned());
    let Some((scheme, rest)) = url.split_once("://") else {
        return invalid("expected an http:// or https:// URL");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return invalid("the scheme must be http or https");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return invalid("the URL has no host");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("the URL contains whitespace");
    }
    if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']'))
        && port.parse::<u16>().is_err()
    {
        return invalid("the port is not a number from 0 to 65535");
    }
    Ok(())
}

/// `k1=v1,k2=v2` with percent-encoded keys and values (W3C baggage style, as the specification
/// uses for `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`). Reasons never quote the
/// input.
pub(crate) fn pairs(value: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, entry) in value.split(',').enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let Some((key, val)) = entry.split_once('=') else {
            return Err(format!("entry {} is not key=value", i + 1));
        };
        let decoded = percent_decode(key.trim()).zip(percent_decode(val.trim()));
        let Some((key, val)) = decoded.filter(|(k, _)| !k.is_empty()) else {
            return Err(format!(
                "entry {} has an empty key or bad percent-encoding",
                i + 1
            ));
        };
        out.push((key, val));
    }
    Ok(out)
}

/// `%XX` decoding; `None` on a bad escape or a result that is not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut iter = s.bytes();
    while let Some(b) = iter.next() {
        if b == b'%' {
            let (hi, lo) = (iter.next()?, iter.next()?);
            let digit = |c: u8| char::from(c).to_digit(16);
            bytes.push(u8::try_from(digit(hi)? * 16 + digit(lo)?).ok()?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).ok()
}
