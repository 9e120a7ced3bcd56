//! Cardinality: how many distinct attribute sets (series) an instrument keeps per collection.
//!
//! The SDK keeps at most 2000 series per instrument by default; past that, measurements with a
//! new attribute set are merged into one series with the attribute `otel.metric.overflow=true`,
//! so memory stays bounded whatever a plugin puts in `model_name`. Under delta temporality a
//! series that was not updated during an interval is only evicted by the next collection, so
//! the limit counts the series of the current and the previous interval. An instrument can declare its
//! own limit in the schema (`#[metric(counter = "..", cardinality_limit = 100)]` on a field, or
//! [`Instrument::cardinality_limit`](crate::Instrument::cardinality_limit) on a shared one); the
//! SDK only applies it through a view, which [`view`] builds from a [`Catalog`].
//! [`Telemetry`](crate::Telemetry) registers it for the schema and the types given to
//! [`TelemetryBuilder::metric_type`](crate::TelemetryBuilder::metric_type); call it yourself
//! when you build your own provider.
//!
//! Reaching a limit is reported once per instrument by a `tracing` warning, when a push export
//! first carries its overflow series.

use std::collections::BTreeMap;

use opentelemetry_sdk::metrics::{Instrument, Stream};

use crate::catalog::Catalog;

/// The attribute of the series that collects measurements beyond an instrument's limit.
pub const OVERFLOW_KEY: &str = "otel.metric.overflow";

/// The SDK's limit for an instrument that declares none.
pub const DEFAULT_LIMIT: usize = 2000;

/// The declared limits of `catalog`'s instruments, by instrument name.
pub fn limits(catalog: &Catalog) -> BTreeMap<&'static str, usize> {
    catalog
        .entries()
        .iter()
        .filter_map(|e| Some((e.instrument.name, e.instrument.cardinality_limit?)))
        .collect()
}

/// An SDK view that applies the declared cardinality limits of `catalog`'s instruments, and
/// leaves every other instrument to the default view (`None` when nothing declares a limit).
///
/// ```
/// use agent_metrics::cardinality;
/// use agent_metrics::catalog::Catalog;
/// use opentelemetry_sdk::metrics::SdkMeterProvider;
///
/// let mut builder = SdkMeterProvider::builder();
/// if let Some(view) = cardinality::view(&Catalog::schema()) {
///     builder = builder.with_view(view);
/// }
/// let provider = builder.build();
/// # drop(provider);
/// ```
///
/// A view of your own that matches the same instruments would give each a second stream: set
/// the limit in that view instead.
pub fn view(
    catalog: &Catalog,
) -> Option<impl Fn(&Instrument) -> Option<Stream> + Send + Sync + 'static> {
    let limits = limits(catalog);
    (!limits.is_empty()).then_some(move |instrument: &Instrument| {
        let limit = *limits.get(instrument.name())?;
        Stream::builder().with_cardinality_limit(limit).build().ok()
    })
}
