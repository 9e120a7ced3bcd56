// Raw identifiers are shown as people write them, as std's derive does: `r#type` is `type` in
// Debug, in the descriptors' field names and as a default attribute key.
use agent_metrics::capture::Capture;
use agent_metrics::{AgentMetric, Attributes};

#[derive(Clone, Default, PartialEq, Attributes)]
struct Kind {
    r#type: &'static str,
}

#[derive(Clone, PartialEq, AgentMetric)]
struct r#Event {
    #[metric(counter = "demo.events", attributes(r#kind, r#in))]
    r#type: u64,
    #[attr]
    r#in: bool,
    #[metric(nested)]
    r#loop: Inner,
    r#kind: Kind,
}

#[derive(Clone, PartialEq, AgentMetric)]
struct Inner {
    #[metric(counter = "demo.inner")]
    r#ref: u64,
}

fn main() {
    let event = Event {
        r#type: 1,
        r#in: true,
        r#loop: Inner { r#ref: 2 },
        r#kind: Kind { r#type: "a" },
    };
    assert_eq!(
        format!("{event:?}"),
        r#"Event { type: 1, in: true, loop: {ref: 2}, kind: {type: "a"} }"#
    );
    let mut fed_by = Vec::new();
    Event::visit_instruments(&mut |d| fed_by.push(d.source.to_string()));
    assert_eq!(fed_by, ["Event.type", "Event.loop.ref"]);

    let capture = Capture::cumulative();
    event.record(&Event::handles(capture.meter()));
    let points = capture.collect();
    let point = points.iter().find(|p| p.name == "demo.events").unwrap();
    assert_eq!(point.attr_pairs(), ["in=true", "type=a"]);
}
