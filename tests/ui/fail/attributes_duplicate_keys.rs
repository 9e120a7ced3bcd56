// Two fields of an attribute set writing the same key.
use agent_metrics::Attributes;
use std::sync::Arc;

#[derive(Attributes)]
struct Metadata {
    #[attr(key = "model")]
    model_name: Option<Arc<str>>,
    #[attr(key = "model")]
    model_provider: Option<Arc<str>>,
}

fn main() {}
