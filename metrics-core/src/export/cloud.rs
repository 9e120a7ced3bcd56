//! LiveKit Cloud: where its metrics endpoint is, and the access token it wants.
//!
//! As in the Python framework (`telemetry/traces.py`): the observability URL is
//! `LIVEKIT_OBSERVABILITY_URL` verbatim, or `https://<host>` when `LIVEKIT_URL`'s host ends in
//! `.livekit.cloud` or `.livekit.run`; metrics go to `{url}/observability/metrics/otlp/v0` over
//! OTLP/HTTP protobuf with gzip, each request carrying `Authorization: Bearer <JWT>`.
//!
//! The JWT is what LiveKit's `AccessToken` with `ObservabilityGrants(write=True)` and a 6 h TTL
//! produces: HS256 signed with the API secret, `iss` = API key, and the grant as the claim
//! `"observability": {"write": true}` (the camel-cased grant name, like `video`, `sip` and the
//! other grants of a LiveKit token). We also set `sub` = `livekit-agents-telemetry` (the identity
//! the TypeScript port uses) and `iat`. A token is reused until it is within 5 minutes of
//! expiry, then a new one is minted, so a process can export for longer than 6 h.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::env::{Env, LiveKitEnv, check_endpoint};
use super::error::ExportError;
use super::secret::{Secret, redact_url};

/// Path of the metrics endpoint below the observability URL.
pub const METRICS_PATH: &str = "/observability/metrics/otlp/v0";
/// Lifetime of a minted token.
pub(super) const TOKEN_TTL: Duration = Duration::from_secs(6 * 3600);
/// A token this close to expiry is replaced before it is sent.
pub(super) const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// The `sub` claim of the token.
pub(super) const TOKEN_IDENTITY: &str = "livekit-agents-telemetry";

const NEEDED_FOR: &str = "LiveKit Cloud";

/// Where and as whom to export to LiveKit Cloud.
///
/// ```
/// use agent_metrics::export::LiveKitCloud;
/// let cloud = LiveKitCloud::new("https://my-app.livekit.cloud", "APIkey", "secret");
/// assert_eq!(
///     cloud.metrics_endpoint(),
///     "https://my-app.livekit.cloud/observability/metrics/otlp/v0"
/// );
/// assert!(!format!("{cloud:?}").contains("secret\""));
/// ```
#[derive(Clone)]
pub struct LiveKitCloud {
    observability_url: String,
    origin: &'static str,
    api_key: String,
    api_secret: Secret,
}

impl LiveKitCloud {
    /// Export to `observability_url` (scheme included), signing tokens with the API key and
    /// secret. Checked when the telemetry is built.
    pub fn new(
        observability_url: impl Into<String>,
        api_key: impl Into<String>,
        api_secret: impl Into<Secret>,
    ) -> Self {
        LiveKitCloud {
            observability_url: observability_url.into(),
            origin: "LiveKitCloud::new",
            api_key: api_key.into(),
            api_secret: api_secret.into(),
        }
    }

    /// The observability URL of a LiveKit server URL (`wss://x.livekit.cloud` ->
    /// `https://x.livekit.cloud`), or `None` for a server that is not LiveKit Cloud.
    ///
    /// ```
    /// use agent_metrics::export::LiveKitCloud;
    /// let url = LiveKitCloud::observability_url_for("wss://my-app.livekit.cloud");
    /// assert_eq!(url.as_deref(), Some("https://my-app.livekit.cloud"));
    /// assert_eq!(LiveKitCloud::observability_url_for("ws://localhost:7880"), None);
    /// ```
    pub fn observability_url_for(livekit_url: &str) -> Option<String> {
        let rest = livekit_url
            .split_once("://")
            .map_or(livekit_url, |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next()?;
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = host_port.split(':').next()?.to_ascii_lowercase();
        let cloud = [".livekit.cloud", ".livekit.run"];
        cloud
            .iter()
            .any(|suffix| host.ends_with(suffix))
            .then(|| format!("https://{host}"))
    }

    /// The LiveKit Cloud settings of `env`: `None` when neither `LIVEKIT_OBSERVABILITY_URL` nor a
    /// LiveKit Cloud `LIVEKIT_URL` is set; an error when one is but the API key or secret is not.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ExportError> {
        let settings = super::env::EnvSettings::read(env);
        settings.warn_ignored();
        Self::from_livekit_env(&settings.livekit)
    }

    pub(crate) fn from_livekit_env(lk: &LiveKitEnv) -> Result<Option<Self>, ExportError> {
        let (url, origin) = match (&lk.observability_url, &lk.url) {
            (Some(url), _) => (url.clone(), "LIVEKIT_OBSERVABILITY_URL"),
            (None, Some(url)) => match Self::observability_url_for(url) {
                Some(url) => (url, "LIVEKIT_URL"),
                None => return Ok(None),
            },
            (None, None) => return Ok(None),
        };
        let missing = |var| ExportError::MissingCredential {
            var,
            needed_for: NEEDED_FOR,
        };
        let api_key = lk
            .api_key
            .clone()
            .ok_or_else(|| missing("LIVEKIT_API_KEY"))?;
        let api_secret = lk
            .api_secret
            .clone()
            .ok_or_else(|| missing("LIVEKIT_API_SECRET"))?;
        Ok(Some(LiveKitCloud {
            observability_url: url,
            origin,
            api_key,
            api_secret,
        }))
    }

    /// `{observability_url}/observability/metrics/otlp/v0`.
    pub fn metrics_endpoint(&self) -> String {
        format!(
            "{}{METRICS_PATH}",
            self.observability_url.trim_end_matches('/')
        )
    }

    /// The API key, which is the token's issuer (not a secret: it is readable in every token).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// What is wrong with these settings: the first missing credential (the key before the
    /// secret, as [`from_env`](Self::from_env) reports them), and the URL.
    pub(crate) fn problems(&self) -> Vec<ExportError> {
        let missing = |var| ExportError::MissingCredential {
            var,
            needed_for: NEEDED_FOR,
        };
        let credential = if self.api_key.trim().is_empty() {
            Some(missing("LIVEKIT_API_KEY"))
        } else if self.api_secret.expose().is_empty() {
            Some(missing("LIVEKIT_API_SECRET"))
        } else {
            None
        };
        let url = check_endpoint(self.origin, &self.observability_url).err();
        credential.into_iter().chain(url).collect()
    }

    /// A token source for these credentials.
    pub fn tokens(&self) -> ObservabilityTokens {
        ObservabilityTokens::new(self.api_key.clone(), self.api_secret.clone())
    }
}

impl fmt::Debug for LiveKitCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveKitCloud")
            .field("observability_url", &redact_url(&self.observability_url))
            .field("api_key", &self.api_key)
            .field("api_secret", &self.api_secret)
            .finish()
    }
}

/// Mints and caches the observability-write JWTs sent to LiveKit Cloud.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use agent_metrics::export::ObservabilityTokens;
/// let tokens = ObservabilityTokens::new("APIkey", "secret");
/// let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let first = tokens.current_at(t0);
/// // Reused for almost 6 h, replaced 5 min before it expires.
/// assert_eq!(tokens.current_at(t0 + Duration::from_secs(5 * 3600)), first);
/// assert_ne!(tokens.current_at(t0 + Duration::from_secs(6 * 3600 - 60)), first);
/// ```
pub struct ObservabilityTokens {
    api_key: String,
    api_secret: Secret,
    cached: Mutex<Option<(Secret, u64)>>,
}

impl ObservabilityTokens {
    /// A token source signing with `api_secret`, issuer `api_key`.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<Secret>) -> Self {
        ObservabilityTokens {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            cached: Mutex::new(None),
        }
    }

    /// A token valid for at least 5 more minutes.
    pub fn current(&self) -> Secret {
        self.current_at(SystemTime::now())
    }

    /// [`current`](Self::current) as if the time were `now`.
    pub fn current_at(&self, now: SystemTime) -> Secret {
        let now = unix_seconds(now);
        // A poisoned lock only means another thread panicked mid-mint; the cache is still valid.
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((token, exp)) = &*cached
            && now + TOKEN_REFRESH_MARGIN.as_secs() < *exp
        {
            return token.clone();
        }
        let exp = now + TOKEN_TTL.as_secs();
        let token = self.mint(now, exp);
        *cached = Some((token.clone(), exp));
        token
    }

    fn mint(&self, now: u64, exp: u64) -> Secret {
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        let claims = serde_json::json!({
            "iss": self.api_key,
            "sub": TOKEN_IDENTITY,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "observability": { "write": true },
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(self.api_secret.expose().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Secret::new(format!("{signing_input}.{signature}"))
    }
}

impl fmt::Debug for ObservabilityTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObservabilityTokens")
            .field("api_key", &self.api_key)
            .field("api_secret", &self.api_secret)
            .finish_non_exhaustive()
    }
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}
