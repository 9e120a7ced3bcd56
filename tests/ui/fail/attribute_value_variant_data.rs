// An AttributeValue variant that carries data.
use agent_metrics::AttributeValue;

#[derive(AttributeValue)]
enum Stage {
    SpeechToText,
    Custom(&'static str),
}

fn main() {}
