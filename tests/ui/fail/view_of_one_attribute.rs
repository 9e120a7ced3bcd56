// `field as View` on a field marked #[attr], which is one attribute rather than a set to view.
use agent_metrics::AgentMetric;

struct RegionView;

#[derive(AgentMetric)]
#[metric(attributes(region as RegionView))]
struct Call {
    #[metric(counter = "demo.calls")]
    calls: u64,
    #[attr]
    region: &'static str,
}

fn main() {}
