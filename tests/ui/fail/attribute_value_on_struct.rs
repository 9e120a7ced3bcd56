// AttributeValue derived on a struct instead of a unit enum.
use agent_metrics::AttributeValue;

#[derive(AttributeValue)]
struct Region {
    name: &'static str,
}

fn main() {}
