// A nested metric, plain and optional, records with its parent's attributes.
use agent_metrics::{AgentMetric, Attributes};
use std::sync::Arc;

#[derive(Clone, Default, PartialEq, Attributes)]
struct Metadata {
    #[attr(skip_empty)]
    model_name: Option<Arc<str>>,
}

#[derive(Clone, Default, PartialEq, AgentMetric)]
struct Phases {
    #[metric(histogram = "demo.phase.ttfb", unit = "s", buckets = [0.1, 1.0])]
    ttfb: f64,
}

#[derive(AgentMetric)]
#[metric(attributes = metadata)]
struct Turn {
    #[metric(counter = "demo.turns")]
    turns: u64,
    #[metric(nested, default)]
    phases: Phases,
    #[metric(nested, default)]
    extra: Option<Phases>,
    metadata: Option<Metadata>,
}

fn main() {
    let capture = agent_metrics::capture::Capture::cumulative();
    let handles = Turn::handles(capture.meter());
    Turn {
        turns: 1,
        phases: Phases { ttfb: 0.3 },
        extra: Some(Phases { ttfb: 0.4 }),
        metadata: Some(Metadata {
            model_name: Some("nova-3".into()),
        }),
    }
    .record(&handles);
    let points = capture.collect();
    assert_eq!(points.len(), 2);
    assert!(
        points
            .iter()
            .all(|p| p.attr("model_name").as_deref() == Some("nova-3"))
    );
}
