//! Keeping credentials out of everything that can be printed.
//!
//! The API secret, the minted JWT and every configured header value travel in a [`Secret`], whose
//! `Debug` and `Display` print `***`. The only way to the value is [`Secret::expose`], which the
//! code calls where the value leaves the process (signing, the outgoing request).

use std::fmt;

/// A value that must never be printed: `Debug` and `Display` show `***`.
///
/// ```
/// use agent_metrics::export::Secret;
/// let secret = Secret::new("hunter2".to_owned());
/// assert_eq!(format!("{secret} {secret:?}"), "*** ***");
/// assert_eq!(secret.expose(), "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T = String>(T);

impl<T> Secret<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The wrapped value, for the one place that must send or use it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A URL as it may be shown: scheme, host, port and path, without user info, query or fragment,
/// which is where credentials hide in URLs (`https://user:token@host/?api_key=..`).
pub(crate) fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_owned(),
    };
    let hidden = if rest.len() < url.len() - scheme.map_or(0, |s| s.len() + 3) {
        "?***"
    } else {
        ""
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{host}{path}{hidden}"),
        None => format!("{host}{path}{hidden}"),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("http://h:4318/v1/metrics"),
            "http://h:4318/v1/metrics"
        );
        assert_eq!(redact_url("https://u:p@h/x?k=v#f"), "https://***@h/x?***");
        assert_eq!(redact_url("h:1?token=t"), "h:1?***");
    }
}
