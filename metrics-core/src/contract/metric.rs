//! The contract `#[derive(AgentMetric)]` implements: descriptors, handles, recording.

use opentelemetry::KeyValue;
use opentelemetry::metrics::Meter;

use crate::contract::instrument::InstrumentDescriptor;

/// An event type whose fields feed OpenTelemetry instruments. Implemented by
/// `#[derive(AgentMetric)]`; see the crate docs for the attributes it takes.
///
/// ```
/// use agent_metrics::AgentMetric;
/// use agent_metrics::capture::Capture;
///
/// #[derive(Clone, PartialEq, AgentMetric)]
/// struct Frame {
///     /// Bytes per audio frame.
///     #[metric(histogram = "demo.frame.size", unit = "By", buckets = [64.0, 256.0, 1024.0])]
///     size: u64,
/// }
///
/// // In an agent: the installed provider's meter (`Telemetry::meter`); in a test, a `Capture`.
/// let capture = Capture::cumulative();
/// let handles = Frame::handles(capture.meter());
/// Frame { size: 320 }.record(&handles);
/// assert_eq!(Frame::INSTRUMENTS[0].name(), "demo.frame.size");
/// let points = capture.collect();
/// assert_eq!(points[0].value.as_histogram().unwrap().count, 1);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an agent metric",
    label = "`nested` fields must be agent metrics",
    note = "derive `AgentMetric` on the type"
)]
pub trait AgentMetric {
    /// The instruments this type records into, built once from a meter.
    type Handles: Send + Sync + 'static;

    /// The instruments bound to one attribute set, for [`record_bound`](Self::record_bound).
    type Bound: Send + Sync + 'static;

    /// One descriptor per measurement this type makes itself (not counting `nested` fields).
    const INSTRUMENTS: &'static [InstrumentDescriptor];

    /// Builds the instruments on `meter`. Call it once, after the meter provider is set up, and
    /// keep the result: a meter taken before its provider exists records nothing, for ever.
    fn handles(meter: &Meter) -> Self::Handles;

    /// Records every measurement of this event, with the current job's attributes added (see
    /// [`Job`](crate::job::Job)).
    #[inline]
    fn record(&self, handles: &Self::Handles) {
        self.record_inherited(handles, None);
    }

    /// Records with `inherited` as the attributes of measurements that name no source of their
    /// own: a parent passes its attributes (job included) to its `nested` fields this way.
    #[doc(hidden)]
    fn record_inherited(&self, handles: &Self::Handles, inherited: Option<&[KeyValue]>);

    /// Resolves the attributes of `template` once: the returned set records any later event
    /// with no attribute lookup. For a component whose attributes never change (a plugin knows
    /// its provider and model once), this is the fastest path. Values are labelled with the job
    /// current when they are recorded, as `record` labels them: a set bound inside the job it
    /// records in skips every lookup; one bound outside any job (in a constructor) or in another
    /// job adds the current job's attributes at each record, through the SDK's lookup.
    fn bind(handles: &Self::Handles, template: &Self) -> Self::Bound {
        Self::bind_inherited(handles, template, None)
    }

    /// `bind` for a nested field, under its parent's attributes.
    #[doc(hidden)]
    fn bind_inherited(
        handles: &Self::Handles,
        template: &Self,
        inherited: Option<&[KeyValue]>,
    ) -> Self::Bound;

    /// Records every measurement of this event with the attributes bound by [`bind`](Self::bind),
    /// ignoring the event's own attribute fields: it exports exactly what `record` would for an
    /// event whose attributes equal the template's, under the job current now.
    fn record_bound(&self, bound: &Self::Bound);

    /// Visits every descriptor, this type's and its `nested` fields'. A nested field's
    /// descriptors are given as the parent records them: with the parent's attribute keys when
    /// they inherit them, and a source that names the path through the parent.
    fn visit_instruments(visit: &mut dyn FnMut(InstrumentDescriptor)) {
        Self::INSTRUMENTS.iter().for_each(|d| visit(*d));
    }
}

/// The instrument handles of an agent metric type: `Handles<TTSMetrics>`.
pub type Handles<T> = <T as AgentMetric>::Handles;

/// The bound instruments of an agent metric type: `Bound<TTSMetrics>`.
pub type Bound<T> = <T as AgentMetric>::Bound;

// A nested `Option<Details>` records its measurements when present.
#[diagnostic::do_not_recommend]
impl<T: AgentMetric> AgentMetric for Option<T> {
    type Handles = T::Handles;
    /// Bound when the template holds a value; recording through it skips absent values, and
    /// values present where the template had none.
    type Bound = Option<T::Bound>;
    const INSTRUMENTS: &'static [InstrumentDescriptor] = T::INSTRUMENTS;

    fn handles(meter: &Meter) -> Self::Handles {
        T::handles(meter)
    }

    #[inline]
    fn record_inherited(&self, handles: &Self::Handles, inherited: Option<&[KeyValue]>) {
        if let Some(inner) = self {
            inner.record_inherited(handles, inherited);
        }
    }

    fn bind_inherited(
        handles: &Self::Handles,
        template: &Self,
        inherited: Option<&[KeyValue]>,
    ) -> Self::Bound {
        template
            .as_ref()
            .map(|t| T::bind_inherited(handles, t, inherited))
    }

    #[inline]
    fn record_bound(&self, bound: &Self::Bound) {
        if let (Some(inner), Some(bound)) = (self, bound) {
            inner.record_bound(bound);
        }
    }

    fn visit_instruments(visit: &mut dyn FnMut(InstrumentDescriptor)) {
        T::visit_instruments(visit);
    }
}
