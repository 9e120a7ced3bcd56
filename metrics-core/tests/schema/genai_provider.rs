//! `gen_ai.provider.name` normalization (`docs/PYTHON-PARITY.md` §D2.3): one case per table entry, the spec's
//! verified pairs and its quirks, pass-through and blank input.

use agent_metrics_core::genai::{
    self, GEN_AI_PROVIDER_NAMES, PROVIDER_BY_HOST, PROVIDER_BY_HOST_AFFIX, PROVIDER_BY_HOST_SUFFIX,
    PROVIDER_BY_NAME, ProviderName, gen_ai_provider_name, operation, token_type,
};

/// `(input, expected, the table key it exercises or why it is here)`.
const CASES: &[(&str, Option<&str>, &str)] = &[
    // _PROVIDER_BY_HOST, exact hosts.
    ("api.anthropic.com", Some("anthropic"), "api.anthropic.com"),
    ("api.cohere.ai", Some("cohere"), "api.cohere.ai"),
    ("api.cohere.com", Some("cohere"), "api.cohere.com"),
    ("api.deepseek.com", Some("deepseek"), "api.deepseek.com"),
    ("api.groq.com", Some("groq"), "api.groq.com"),
    ("api.mistral.ai", Some("mistral_ai"), "api.mistral.ai"),
    ("api.moonshot.ai", Some("moonshot_ai"), "api.moonshot.ai"),
    ("api.moonshot.cn", Some("moonshot_ai"), "api.moonshot.cn"),
    ("api.openai.com", Some("openai"), "api.openai.com"),
    ("api.perplexity.ai", Some("perplexity"), "api.perplexity.ai"),
    ("api.x.ai", Some("x_ai"), "api.x.ai"),
    (
        "generativelanguage.googleapis.com",
        Some("gcp.gemini"),
        "generativelanguage.googleapis.com",
    ),
    // _PROVIDER_BY_HOST_SUFFIX, in table order.
    (
        "my.openai.azure.com",
        Some("azure.ai.openai"),
        ".openai.azure.com",
    ),
    (
        "res.services.ai.azure.com",
        Some("azure.ai.inference"),
        ".services.ai.azure.com",
    ),
    (
        "europe-west4.aiplatform.googleapis.com",
        Some("gcp.vertex_ai"),
        ".aiplatform.googleapis.com",
    ),
    // The Bedrock rule.
    (
        "bedrock-runtime.us-east-1.amazonaws.com",
        Some("aws.bedrock"),
        "bedrock",
    ),
    (
        "bedrock.amazonaws.com",
        Some("aws.bedrock"),
        "bedrock: prefix and suffix may touch",
    ),
    (
        "BEDROCK-RUNTIME.eu-west-1.AMAZONAWS.COM",
        Some("aws.bedrock"),
        "bedrock: any case",
    ),
    (
        "s3.amazonaws.com",
        Some("s3.amazonaws.com"),
        "bedrock: other AWS services pass through",
    ),
    (
        "bedrock-runtime.example.com",
        Some("bedrock-runtime.example.com"),
        "bedrock: needs the AWS suffix",
    ),
    // _PROVIDER_BY_NAME, through display names.
    ("Amazon", Some("aws.bedrock"), "amazon"),
    ("Amazon Bedrock", Some("aws.bedrock"), "amazonbedrock"),
    ("Anthropic", Some("anthropic"), "anthropic"),
    ("AWS Bedrock", Some("aws.bedrock"), "awsbedrock"),
    (
        "Azure AI Inference",
        Some("azure.ai.inference"),
        "azureaiinference",
    ),
    ("azure-openai", Some("azure.ai.openai"), "azureopenai"),
    ("bedrock", Some("aws.bedrock"), "bedrock"),
    ("Cohere", Some("cohere"), "cohere"),
    ("DeepSeek", Some("deepseek"), "deepseek"),
    ("Gemini", Some("gcp.gemini"), "gemini"),
    (" Google ", Some("gcp.gen_ai"), "google"),
    (
        "Google Cloud Platform",
        Some("gcp.gen_ai"),
        "googlecloudplatform",
    ),
    ("google.genai", Some("gcp.gen_ai"), "googlegenai"),
    ("Groq", Some("groq"), "groq"),
    ("IBM watsonx.ai", Some("ibm.watsonx.ai"), "ibmwatsonxai"),
    ("Mistral", Some("mistral_ai"), "mistral"),
    ("Mistral_AI", Some("mistral_ai"), "mistralai"),
    ("Moonshot", Some("moonshot_ai"), "moonshot"),
    ("Moonshot AI", Some("moonshot_ai"), "moonshotai"),
    ("OpenAI", Some("openai"), "openai"),
    ("Perplexity", Some("perplexity"), "perplexity"),
    ("Vertex AI", Some("gcp.vertex_ai"), "vertexai"),
    (
        "Vertex AI Model Garden",
        Some("gcp.vertex_ai"),
        "vertexaimodelgarden",
    ),
    ("WatsonX", Some("ibm.watsonx.ai"), "watsonx"),
    ("xAI", Some("x_ai"), "xai"),
    // The spec's other verified pairs and quirks.
    (
        "Api.Groq.Com",
        Some("groq"),
        "exact hosts match in any case",
    ),
    (
        "x.ai",
        Some("x_ai"),
        "not a listed host: the name table gives canonical xai",
    ),
    (
        "us-central1-aiplatform.googleapis.com",
        Some("us-central1-aiplatform.googleapis.com"),
        "quirk: regional Vertex hosts use a hyphen",
    ),
    (
        "aiplatform.googleapis.com",
        Some("aiplatform.googleapis.com"),
        "quirk: the suffix needs a leading label",
    ),
    (
        "eu.api.openai.com",
        Some("eu.api.openai.com"),
        "hosts match exactly, not as suffixes",
    ),
    (
        "openai.azure.com",
        Some("openai.azure.com"),
        "suffixes start with a dot",
    ),
    (
        "\tapi.openai.com\n",
        Some("openai"),
        "hosts are stripped first",
    ),
    (
        "\u{1f}OpenAI\u{1c}",
        Some("openai"),
        "Python strips U+001C..U+001F too",
    ),
    (
        "openai\u{e9}",
        Some("openai\u{e9}"),
        "non-ASCII letters are alphanumeric, so no match",
    ),
    (
        "api.openai.\u{212a}om",
        Some("api.openai.\u{212a}om"),
        "lowercased only to match: no table key",
    ),
    (
        "\u{212a}imi",
        Some("\u{212a}imi"),
        "unknown after Unicode lowercasing",
    ),
    (
        "Bedroc\u{212a}",
        Some("aws.bedrock"),
        "the Kelvin sign lowercases to an ASCII k",
    ),
    (
        "Gemin\u{130}",
        Some("gcp.gemini"),
        "İ lowercases to i and a combining dot, not alphanumeric",
    ),
    // Pass-through keeps the original case.
    ("deepgram", Some("deepgram"), "pass-through"),
    ("livekit", Some("livekit"), "pass-through"),
    ("baseten", Some("baseten"), "pass-through"),
    (
        "unknown",
        Some("unknown"),
        "pass-through: the base-class default",
    ),
    (
        "  Cartesia Sonic ",
        Some("Cartesia Sonic"),
        "pass-through: stripped, original case",
    ),
    // No attribute.
    ("", None, "empty"),
    ("  ", None, "blank"),
    ("\u{3000}\t", None, "Unicode blank"),
];

#[test]
fn every_case() {
    let mut failures = Vec::new();
    for &(input, expected, why) in CASES {
        let got = gen_ai_provider_name(input);
        if got.map(|p| p.as_str()) != expected {
            failures.push(format!("{input:?} ({why}): got {got:?}, want {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_table_entry_has_a_case() {
    let keys = PROVIDER_BY_HOST
        .iter()
        .chain(PROVIDER_BY_HOST_SUFFIX)
        .chain(PROVIDER_BY_NAME)
        .map(|(key, _)| *key)
        .chain(PROVIDER_BY_HOST_AFFIX.iter().map(|(prefix, _, _)| *prefix));
    for key in keys {
        assert!(
            CASES.iter().any(|(_, _, covers)| *covers == key),
            "no case exercises table entry {key:?}"
        );
    }
}

#[test]
fn tables_map_into_the_registry() {
    let values = PROVIDER_BY_HOST
        .iter()
        .chain(PROVIDER_BY_HOST_SUFFIX)
        .chain(PROVIDER_BY_NAME)
        .map(|(_, name)| *name)
        .chain(PROVIDER_BY_HOST_AFFIX.iter().map(|(_, _, name)| *name));
    for name in values {
        assert!(
            GEN_AI_PROVIDER_NAMES.contains(&name),
            "{name} is not a registry name"
        );
    }
    for (key, _) in PROVIDER_BY_NAME {
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{key} is not canonical"
        );
    }
}

#[test]
fn registry_hits_are_known_and_the_rest_borrows_the_input() {
    assert_eq!(
        gen_ai_provider_name("API.OPENAI.COM"),
        Some(ProviderName::Known("openai"))
    );
    let input = String::from(" Deepgram ");
    match gen_ai_provider_name(&input) {
        Some(ProviderName::Other(s)) => {
            assert_eq!(s, "Deepgram");
            assert!(std::ptr::eq(s.as_ptr(), input[1..].as_ptr()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(gen_ai_provider_name("Groq").unwrap().to_string(), "groq");
}

#[test]
fn an_absent_provider_gives_no_attribute() {
    let provider: Option<&str> = None;
    assert_eq!(provider.and_then(gen_ai_provider_name), None);
}

#[test]
fn attribute_keys_and_values_are_byte_exact() {
    let keys = [
        (genai::OPERATION_NAME, "gen_ai.operation.name"),
        (genai::PROVIDER_NAME, "gen_ai.provider.name"),
        (genai::REQUEST_MODEL, "gen_ai.request.model"),
        (genai::RESPONSE_MODEL, "gen_ai.response.model"),
        (genai::TOKEN_TYPE, "gen_ai.token.type"),
        (genai::TOOL_NAME, "gen_ai.tool.name"),
        (genai::AGENT_NAME, "gen_ai.agent.name"),
        (genai::ERROR_TYPE, "error.type"),
        (genai::TOOL_ERROR, "tool_error"),
        (operation::CHAT, "chat"),
        (operation::GENERATE_CONTENT, "generate_content"),
        (operation::EXECUTE_TOOL, "execute_tool"),
        (operation::INVOKE_AGENT, "invoke_agent"),
        (token_type::INPUT, "input"),
        (token_type::OUTPUT, "output"),
    ];
    for (got, want) in keys {
        assert_eq!(got, want);
    }
}
