//! The compact Debug of nested values (LiveKit's `__repr__`, `docs/PYTHON-PARITY.md` §5): an attribute set or a
//! nested metric prints as `{key: value, ..}` with its default-valued fields left out.

use core::fmt;

/// Prints a value's fields as a compact map, leaving out those equal to their default.
/// Implemented by both derives.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no compact `Debug`",
    label = "printed as a nested attribute set or metric",
    note = "derive `Attributes` or `AgentMetric` on the type (without `no_debug`), or implement `CompactDebug`"
)]
pub trait CompactDebug {
    /// Writes the `{key: value, ..}` form.
    fn fmt_compact(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    /// The derived struct's fields by name, each with whether `Debug` leaves it out when it holds
    /// its declared default (`#[metric(default)]`). Hidden: it lets a test hold another derive
    /// (serde's `default`) to the same list; empty for hand-written impls.
    #[doc(hidden)]
    const FIELD_DEFAULTS: &'static [(&'static str, bool)] = &[];
}

impl<T: CompactDebug> CompactDebug for Option<T> {
    fn fmt_compact(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Some(inner) => inner.fmt_compact(f),
            None => f.write_str("None"),
        }
    }
}

/// Adapts a [`CompactDebug`] value to `Debug`, for `debug_struct` fields.
pub struct Compact<'a, T: ?Sized>(pub &'a T);

impl<T: CompactDebug + ?Sized> fmt::Debug for Compact<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_compact(f)
    }
}

/// A map key printed bare (`model_name: ..`, not `"model_name": ..`).
pub struct Key(pub &'static str);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Prints an attribute value as its Rust literal: strings quoted, numbers and bools bare.
pub struct ValueDebug<'a>(pub &'a opentelemetry::Value);

impl fmt::Debug for ValueDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use opentelemetry::Value;
        match self.0 {
            Value::String(s) => fmt::Debug::fmt(s.as_str(), f),
            Value::Bool(b) => fmt::Debug::fmt(b, f),
            Value::I64(i) => fmt::Debug::fmt(i, f),
            Value::F64(x) => fmt::Debug::fmt(x, f),
            other => fmt::Display::fmt(other, f),
        }
    }
}
