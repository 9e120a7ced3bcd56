// An unknown key (`rename`) in an AttributeValue variant's #[attr(..)].
use agent_metrics::AttributeValue;

#[derive(AttributeValue)]
enum Stage {
    #[attr(rename = "stt")]
    SpeechToText,
    EndOfTurn,
}

fn main() {}
