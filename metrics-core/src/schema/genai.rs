//! OpenTelemetry GenAI semantic conventions as LiveKit Agents 1.8.9 uses them: the attribute keys,
//! the operation names its metrics record, and the `gen_ai.provider.name` normalizer.
//!
//! The normalizer is three lookup tables and one rule, all data below ([`PROVIDER_BY_HOST`],
//! [`PROVIDER_BY_HOST_SUFFIX`], [`PROVIDER_BY_HOST_AFFIX`], [`PROVIDER_BY_NAME`]), applied in
//! that order by [`gen_ai_provider_name`] (`docs/PYTHON-PARITY.md` §D2.3). The `lk.agents.*` counters keep the
//! raw provider string; only GenAI metrics use the normalized one.

use std::fmt;

use opentelemetry_semantic_conventions::attribute as semconv;

// The GenAI keys are experimental and marked deprecated in the crate because their definition
// moved to the GenAI conventions repository; the names themselves are unchanged.

/// `gen_ai.operation.name`: one of the [`operation`] values.
#[allow(deprecated)]
pub const OPERATION_NAME: &str = semconv::GEN_AI_OPERATION_NAME;
/// `gen_ai.provider.name`: the value of [`gen_ai_provider_name`].
#[allow(deprecated)]
pub const PROVIDER_NAME: &str = semconv::GEN_AI_PROVIDER_NAME;
/// `gen_ai.request.model`.
#[allow(deprecated)]
pub const REQUEST_MODEL: &str = semconv::GEN_AI_REQUEST_MODEL;
/// `gen_ai.response.model`: the framework writes the request model here too.
#[allow(deprecated)]
pub const RESPONSE_MODEL: &str = semconv::GEN_AI_RESPONSE_MODEL;
/// `gen_ai.token.type`: one of the [`token_type`] values.
#[allow(deprecated)]
pub const TOKEN_TYPE: &str = semconv::GEN_AI_TOKEN_TYPE;
/// `gen_ai.tool.name`.
#[allow(deprecated)]
pub const TOOL_NAME: &str = semconv::GEN_AI_TOOL_NAME;
/// `gen_ai.agent.name`.
#[allow(deprecated)]
pub const AGENT_NAME: &str = semconv::GEN_AI_AGENT_NAME;
/// `error.type`: [`TOOL_ERROR`] on a failed tool execution.
pub const ERROR_TYPE: &str = semconv::ERROR_TYPE;

/// The `error.type` of a tool execution whose output is an error.
pub const TOOL_ERROR: &str = "tool_error";

/// Values of [`OPERATION_NAME`] that 1.8.9 records in metrics. Its other operation names
/// (`text_completion`, `create_agent`, ...) only label spans.
pub mod operation {
    /// An LLM completion (`LLMMetrics`).
    pub const CHAT: &str = "chat";
    /// A realtime model response (`RealtimeModelMetrics`).
    pub const GENERATE_CONTENT: &str = "generate_content";
    /// One function-tool execution.
    pub const EXECUTE_TOOL: &str = "execute_tool";
    /// One agent turn.
    pub const INVOKE_AGENT: &str = "invoke_agent";
}

/// Values of [`TOKEN_TYPE`]: no cached or reasoning types are emitted.
pub mod token_type {
    /// Prompt / input tokens.
    pub const INPUT: &str = "input";
    /// Completion / output tokens.
    pub const OUTPUT: &str = "output";
}

/// Exact (lowercased) hosts of OpenAI-compatible endpoints, and their registry names.
pub const PROVIDER_BY_HOST: &[(&str, &str)] = &[
    ("api.anthropic.com", "anthropic"),
    ("api.cohere.ai", "cohere"),
    ("api.cohere.com", "cohere"),
    ("api.deepseek.com", "deepseek"),
    ("api.groq.com", "groq"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.moonshot.ai", "moonshot_ai"),
    ("api.moonshot.cn", "moonshot_ai"),
    ("api.openai.com", "openai"),
    ("api.perplexity.ai", "perplexity"),
    ("api.x.ai", "x_ai"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
];

/// Host suffixes, checked in order after the exact hosts; the first match wins.
pub const PROVIDER_BY_HOST_SUFFIX: &[(&str, &str)] = &[
    (".openai.azure.com", "azure.ai.openai"),
    (".services.ai.azure.com", "azure.ai.inference"),
    (".aiplatform.googleapis.com", "gcp.vertex_ai"),
];

/// `(prefix, suffix, name)`: hosts that start with `prefix` and end with `suffix`, checked after
/// the suffixes. Only Bedrock endpoints match, not other AWS services.
pub const PROVIDER_BY_HOST_AFFIX: &[(&str, &str, &str)] =
    &[("bedrock", ".amazonaws.com", "aws.bedrock")];

/// Display names reduced to lowercase alphanumerics (`"AWS Bedrock"` -> `awsbedrock`), checked
/// last.
pub const PROVIDER_BY_NAME: &[(&str, &str)] = &[
    ("amazon", "aws.bedrock"),
    ("amazonbedrock", "aws.bedrock"),
    ("anthropic", "anthropic"),
    ("awsbedrock", "aws.bedrock"),
    ("azureaiinference", "azure.ai.inference"),
    ("azureopenai", "azure.ai.openai"),
    ("bedrock", "aws.bedrock"),
    ("cohere", "cohere"),
    ("deepseek", "deepseek"),
    ("gemini", "gcp.gemini"),
    ("google", "gcp.gen_ai"),
    ("googlecloudplatform", "gcp.gen_ai"),
    ("googlegenai", "gcp.gen_ai"),
    ("groq", "groq"),
    ("ibmwatsonxai", "ibm.watsonx.ai"),
    ("mistral", "mistral_ai"),
    ("mistralai", "mistral_ai"),
    ("moonshot", "moonshot_ai"),
    ("moonshotai", "moonshot_ai"),
    ("openai", "openai"),
    ("perplexity", "perplexity"),
    ("vertexai", "gcp.vertex_ai"),
    ("vertexaimodelgarden", "gcp.vertex_ai"),
    ("watsonx", "ibm.watsonx.ai"),
    ("xai", "x_ai"),
];

/// The GenAI provider registry (`GEN_AI_PROVIDER_NAMES`). Documentation only, as in the Python
/// framework: the normalizer never consults it, and a provider outside it passes through.
pub const GEN_AI_PROVIDER_NAMES: &[&str] = &[
    "openai",
    "anthropic",
    "cohere",
    "perplexity",
    "deepseek",
    "groq",
    "gcp.gen_ai",
    "gcp.vertex_ai",
    "gcp.gemini",
    "azure.ai.inference",
    "azure.ai.openai",
    "ibm.watsonx.ai",
    "aws.bedrock",
    "x_ai",
    "mistral_ai",
    "moonshot_ai",
];

/// A normalized `gen_ai.provider.name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProviderName<'a> {
    /// A registry name found through the tables: `openai`, `aws.bedrock`, ...
    Known(&'static str),
    /// Any other provider: the input without surrounding whitespace, in its original case. A
    /// caller holding the input as an `Arc<str>` can reuse it when the lengths match.
    Other(&'a str),
}

impl<'a> ProviderName<'a> {
    /// The name.
    pub fn as_str(&self) -> &'a str {
        match *self {
            ProviderName::Known(s) => s,
            ProviderName::Other(s) => s,
        }
    }
}

impl AsRef<str> for ProviderName<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for ProviderName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `gen_ai.provider.name` of a plugin's provider string (a display name or the base-URL
/// host of an OpenAI-compatible client), or `None` when it is empty or blank: the attribute is
/// then left out.
///
/// ```
/// use agent_metrics::genai::{gen_ai_provider_name, ProviderName};
///
/// assert_eq!(gen_ai_provider_name("api.openai.com"), Some(ProviderName::Known("openai")));
/// assert_eq!(gen_ai_provider_name(" AWS Bedrock"), Some(ProviderName::Known("aws.bedrock")));
/// assert_eq!(gen_ai_provider_name("Deepgram "), Some(ProviderName::Other("Deepgram")));
/// assert_eq!(gen_ai_provider_name("  "), None);
/// ```
///
/// ASCII input (every real provider string) allocates nothing.
pub fn gen_ai_provider_name(provider: &str) -> Option<ProviderName<'_>> {
    let value = provider.trim_matches(is_python_space);
    if value.is_empty() {
        return None;
    }
    let known = if value.is_ascii() {
        registry_name(value)
    } else {
        // Unicode lowercasing can turn a non-ASCII character into an ASCII one (the Kelvin
        // sign into `k`), so match on the lowercased string as Python does.
        registry_name(&value.to_lowercase())
    };
    Some(known.map_or(ProviderName::Other(value), ProviderName::Known))
}

/// Steps 3 to 6 of the algorithm on `host`, compared ASCII-case-insensitively (the keys are
/// lowercase ASCII, so this equals comparing `host.lower()`).
fn registry_name(host: &str) -> Option<&'static str> {
    let lookup = |table: &[(&str, &'static str)], hit: &dyn Fn(&str) -> bool| {
        table
            .iter()
            .find(|(key, _)| hit(key))
            .map(|&(_, name)| name)
    };
    lookup(PROVIDER_BY_HOST, &|key| host.eq_ignore_ascii_case(key))
        .or_else(|| lookup(PROVIDER_BY_HOST_SUFFIX, &|key| ends_with(host, key)))
        .or_else(|| {
            PROVIDER_BY_HOST_AFFIX
                .iter()
                .find(|(prefix, suffix, _)| starts_with(host, prefix) && ends_with(host, suffix))
                .map(|&(_, _, name)| name)
        })
        .or_else(|| lookup(PROVIDER_BY_NAME, &|key| canonical_eq(host, key)))
}

// Byte slices, so that a non-ASCII host never splits inside a character.
fn starts_with(host: &str, prefix: &str) -> bool {
    let (host, prefix) = (host.as_bytes(), prefix.as_bytes());
    host.len() >= prefix.len() && host[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn ends_with(host: &str, suffix: &str) -> bool {
    let (host, suffix) = (host.as_bytes(), suffix.as_bytes());
    host.len() >= suffix.len() && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// Whether `host` with every non-alphanumeric character removed equals `key`. Python's
/// `isalnum` keeps non-ASCII letters and digits, so they are kept here too and prevent a match
/// (`"openaié"` is not `openai`); filtering only ASCII would drop them and match.
fn canonical_eq(host: &str, key: &str) -> bool {
    let mut kept = host.chars().filter(|c| c.is_alphanumeric());
    let mut key = key.chars();
    loop {
        match (kept.next(), key.next()) {
            (None, None) => return true,
            (Some(c), Some(k)) if c.to_ascii_lowercase() == k => {}
            _ => return false,
        }
    }
}

/// Python's `str.strip()` set: Unicode whitespace plus the ASCII separators U+001C..U+001F,
/// which Rust's `char::is_whitespace` leaves out.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}
