//! What an instrument is: its kind, value type and the const definition the derive and the schema
//! share. Definitions are checked when they are evaluated at compile time, so a bad name, unit or
//! bucket list in a shared instrument is a build error rather than the SDK's silent no-op.

use core::fmt;

/// The kind of OpenTelemetry instrument a measurement feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstrumentKind {
    /// A monotonic sum (`Counter`).
    Counter,
    /// A sum that can go down (`UpDownCounter`).
    UpDownCounter,
    /// An explicit-bucket histogram.
    Histogram,
    /// A synchronous last-value gauge.
    Gauge,
}

impl InstrumentKind {
    /// The snake_case name used in the catalog (`counter`, `up_down_counter`, `histogram`, `gauge`).
    pub const fn as_str(self) -> &'static str {
        match self {
            InstrumentKind::Counter => "counter",
            InstrumentKind::UpDownCounter => "up_down_counter",
            InstrumentKind::Histogram => "histogram",
            InstrumentKind::Gauge => "gauge",
        }
    }
}

impl fmt::Display for InstrumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The number type an instrument records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Unsigned 64-bit integers.
    U64,
    /// Signed 64-bit integers.
    I64,
    /// 64-bit floats.
    F64,
}

impl ValueType {
    /// `u64`, `i64` or `f64`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ValueType::U64 => "u64",
            ValueType::I64 => "i64",
            ValueType::F64 => "f64",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An instrument definition: name, kind, unit, description, buckets.
///
/// The derive builds one for every inline declaration; a schema declares the ones several event
/// types feed as `const` items and names them from the fields (`histogram = CONNECTION_ACQUIRE_TIME`).
/// Every builder method checks its input while the constant is evaluated, with the same rules as
/// the derive (OpenTelemetry's name syntax, UCUM units of at most 63 ASCII characters, finite
/// strictly increasing buckets, no seconds histogram whose bounds start at 1 or more unless
/// declared with [`long_duration_buckets`](Self::long_duration_buckets): such bounds read as
/// milliseconds as much as seconds), so a mistake fails the build.
///
/// ```
/// use agent_metrics::Instrument;
/// const ACQUIRE: Instrument = Instrument::histogram("lk.agents.connection.acquire_time")
///     .unit("s")
///     .description("Time to acquire a connection (WebSocket only)")
///     .buckets(&[0.05, 0.1, 0.5, 1.0]);
/// assert_eq!(ACQUIRE.name, "lk.agents.connection.acquire_time");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instrument {
    /// The instrument name, as exported.
    pub name: &'static str,
    /// Counter, histogram, gauge or up-down counter.
    pub kind: InstrumentKind,
    /// The unit (UCUM), or `""` for none.
    pub unit: &'static str,
    /// The description, or `""` for none.
    pub description: &'static str,
    /// Histogram bucket boundaries; empty means the SDK default.
    pub buckets: &'static [f64],
    /// The most distinct attribute sets kept per collection; `None` means the SDK default (2000).
    pub cardinality_limit: Option<usize>,
    /// The buckets were declared with [`long_duration_buckets`](Self::long_duration_buckets):
    /// seconds bounds from 1 s up are meant (a call or session length), not milliseconds.
    pub long_durations: bool,
}

impl Instrument {
    const fn new(name: &'static str, kind: InstrumentKind) -> Self {
        if let Err(why) = crate::checks::check_name(name) {
            panic!("{}", why);
        }
        Instrument {
            name,
            kind,
            unit: "",
            description: "",
            buckets: &[],
            cardinality_limit: None,
            long_durations: false,
        }
    }

    /// A monotonic counter.
    pub const fn counter(name: &'static str) -> Self {
        Self::new(name, InstrumentKind::Counter)
    }

    /// A counter that can go down.
    pub const fn up_down_counter(name: &'static str) -> Self {
        Self::new(name, InstrumentKind::UpDownCounter)
    }

    /// An explicit-bucket histogram.
    pub const fn histogram(name: &'static str) -> Self {
        Self::new(name, InstrumentKind::Histogram)
    }

    /// A synchronous gauge.
    pub const fn gauge(name: &'static str) -> Self {
        Self::new(name, InstrumentKind::Gauge)
    }

    /// Sets the unit.
    pub const fn unit(mut self, unit: &'static str) -> Self {
        if let Err(why) = crate::checks::check_unit(unit) {
            panic!("{}", why);
        }
        // Whichever of `unit` and `buckets` comes last sees both.
        if crate::checks::seconds_buckets_ambiguous(unit, self.buckets, self.long_durations) {
            panic!("{}", SECONDS_OR_MILLIS);
        }
        self.unit = unit;
        self
    }

    /// Sets the description.
    pub const fn description(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// Sets the histogram bucket boundaries. In seconds, bounds that start at 1 or more read as
    /// milliseconds as much as seconds, and are refused: write milliseconds in seconds (5 ms is
    /// `0.005`), or declare long durations with
    /// [`long_duration_buckets`](Self::long_duration_buckets).
    pub const fn buckets(mut self, buckets: &'static [f64]) -> Self {
        if !matches!(self.kind, InstrumentKind::Histogram) {
            panic!("bucket boundaries apply to histograms only");
        }
        if let Err((_, why)) = crate::checks::check_buckets(buckets) {
            panic!("{}", why);
        }
        if crate::checks::seconds_buckets_ambiguous(self.unit, buckets, self.long_durations) {
            panic!("{}", SECONDS_OR_MILLIS);
        }
        self.buckets = buckets;
        self
    }

    /// Sets bucket boundaries in seconds that start at 1 s or more, on purpose: a call, session
    /// or workflow length, where [`buckets`](Self::buckets) would refuse them as possible
    /// milliseconds.
    ///
    /// ```
    /// use agent_metrics::Instrument;
    /// const SESSION: Instrument = Instrument::histogram("acme.session.duration")
    ///     .unit("s")
    ///     .long_duration_buckets(&[30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0]);
    /// assert!(SESSION.long_durations);
    /// ```
    pub const fn long_duration_buckets(mut self, buckets: &'static [f64]) -> Self {
        self.long_durations = true;
        self.buckets(buckets)
    }

    /// Caps the distinct attribute sets kept per collection; the rest go to the
    /// `otel.metric.overflow=true` series.
    pub const fn cardinality_limit(mut self, limit: usize) -> Self {
        if limit == 0 {
            panic!("a cardinality limit must be at least 1");
        }
        self.cardinality_limit = Some(limit);
        self
    }

    /// Fails the build unless this instrument is of `kind`: a field that says `counter = X`
    /// must name a counter.
    #[doc(hidden)]
    pub const fn expect_kind(self, kind: InstrumentKind) -> Self {
        if self.kind as u8 != kind as u8 {
            panic!("{}", kind_mismatch(kind));
        }
        self
    }
}

/// Why [`Instrument::buckets`] refuses seconds bounds that start at 1 or more.
const SECONDS_OR_MILLIS: &str = "this histogram records seconds, and its bucket bounds start at 1 or more, which reads as milliseconds as much as seconds: if they are milliseconds, write them in seconds (5 ms is 0.005); if they are seconds (a call or session length), declare them with `.long_duration_buckets(..)`";

const fn kind_mismatch(expected: InstrumentKind) -> &'static str {
    match expected {
        InstrumentKind::Counter => {
            "the field says `counter = ..` but the instrument it names is not a counter"
        }
        InstrumentKind::UpDownCounter => {
            "the field says `up_down_counter = ..` but the instrument it names is not an up-down counter"
        }
        InstrumentKind::Histogram => {
            "the field says `histogram = ..` but the instrument it names is not a histogram"
        }
        InstrumentKind::Gauge => {
            "the field says `gauge = ..` but the instrument it names is not a gauge"
        }
    }
}

/// Where a measurement comes from: `Type.field`, or `Type.nested.field` for a field of a nested
/// metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldPath {
    /// The event type's name.
    pub type_name: &'static str,
    /// The nested field the value sits in, or `""`.
    pub via: &'static str,
    /// The field's name.
    pub field: &'static str,
}

/// The former name of [`FieldPath`].
#[deprecated(since = "0.2.0", note = "renamed `FieldPath`: \"source\" means an attribute source")]
pub type Source = FieldPath;

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.via.is_empty() {
            write!(f, "{}.{}", self.type_name, self.field)
        } else {
            write!(f, "{}.{}.{}", self.type_name, self.via, self.field)
        }
    }
}

/// One measurement an event type makes: the instrument it feeds, the value type its field
/// records, the attribute keys it writes and the field it reads. Generated as `const` data by
/// the derive; the catalog and the docs are built from these.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstrumentDescriptor {
    /// The instrument definition.
    pub instrument: Instrument,
    /// The number type recorded.
    pub value_type: ValueType,
    /// Attribute keys, in the sorted order they are written.
    pub attributes: &'static [&'static str],
    /// The field the value comes from.
    pub source: FieldPath,
}

impl InstrumentDescriptor {
    /// The instrument name.
    pub const fn name(&self) -> &'static str {
        self.instrument.name
    }

    /// The instrument kind.
    pub const fn kind(&self) -> InstrumentKind {
        self.instrument.kind
    }

    /// The unit, or `""`.
    pub const fn unit(&self) -> &'static str {
        self.instrument.unit
    }

    /// The description, or `""`.
    pub const fn description(&self) -> &'static str {
        self.instrument.description
    }

    /// Whether two descriptors define the same instrument (name, kind, value type, unit,
    /// description, buckets, attribute keys): the condition for two fields to feed one stream.
    pub fn same_definition(&self, other: &Self) -> bool {
        self.instrument == other.instrument
            && self.value_type == other.value_type
            && self.attributes == other.attributes
    }
}
