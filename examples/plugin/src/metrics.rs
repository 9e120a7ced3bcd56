//! The plugin's own metrics, declared with the same derive as the schema, under the plugin's
//! own prefix so that they never collide with `lk.agents.*`.

use agent_metrics::AgentMetric;
use agent_metrics::catalog::Catalog;
use agent_metrics::schema::Metadata;

/// Buckets for audio frame sizes, in bytes: 10 ms of 8 kHz mono PCM up to 200 ms at 48 kHz.
pub const FRAME_SIZE_BUCKETS: &[f64] =
    &[160.0, 320.0, 640.0, 960.0, 1920.0, 3840.0, 7680.0, 19200.0];

/// What the plugin measures about itself, labelled with the same `model_provider` /
/// `model_name` attributes as its `TTSMetrics`.
///
/// One event carries one measurement: a frame sets `frame_size`, a reconnect sets `reconnects`;
/// the other field is skipped (`None`, or zero).
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
pub struct PluginMetrics {
    /// Connections found broken and replaced by a new one
    #[metric(counter = "exampletts.reconnects", unit = "{reconnect}", skip_zero)]
    pub reconnects: u64,
    /// Size of each binary audio frame received
    #[metric(histogram = "exampletts.frame_size", unit = "By", buckets = FRAME_SIZE_BUCKETS)]
    pub frame_size: Option<u64>,
    /// The model, as on the plugin's `TTSMetrics`.
    #[metric(default)]
    pub metadata: Option<Metadata>,
}

impl PluginMetrics {
    /// One received frame of `bytes`.
    pub fn frame(bytes: usize, metadata: &Metadata) -> Self {
        PluginMetrics {
            reconnects: 0,
            frame_size: Some(bytes as u64),
            metadata: Some(metadata.clone()),
        }
    }

    /// One broken connection replaced.
    pub fn reconnect(metadata: &Metadata) -> Self {
        PluginMetrics {
            reconnects: 1,
            frame_size: None,
            metadata: Some(metadata.clone()),
        }
    }
}

/// Every instrument an agent using this plugin exports: the schema's and the plugin's own, for
/// the docs, a dashboard generator or the catalog's conflict check.
pub fn catalog() -> Catalog {
    let mut catalog = Catalog::schema();
    catalog.add::<PluginMetrics>();
    catalog
}

/// The reference page the plugin ships as `docs/METRICS.md`: [`catalog`] through the catalog's
/// own docs API, with the plugin's title and how to regenerate it.
pub fn docs_markdown() -> String {
    catalog().docs_page(
        "Metrics of agent-metrics-plugin-example",
        "Every instrument an agent using this plugin exports: the schema's, then the plugin's \
         own `exampletts.*`. The plugin's tests fail when this file or `dashboard.json` is \
         stale; regenerate both with `UPDATE_DOCS=1 cargo test -p agent-metrics-plugin-example \
         docs`.",
    )
}
