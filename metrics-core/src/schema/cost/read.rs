//! Reading a price table from JSON, and checking that it can be used.

use std::fmt;

use super::PriceTable;

/// Why a price table cannot be used.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PriceError {
    /// The JSON does not parse, or has a field this table does not know (a misspelled price
    /// would otherwise be silently unpriced).
    Json(String),
    /// A price is negative, NaN or infinite.
    Invalid {
        /// The model's provider.
        provider: String,
        /// The model.
        model: String,
        /// The price's field name.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// Two entries for one (provider, model): which one applies would be a guess.
    Duplicate {
        /// The model's provider.
        provider: String,
        /// The model.
        model: String,
    },
}

impl fmt::Display for PriceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceError::Json(why) => write!(f, "price table: {why}"),
            PriceError::Invalid {
                provider,
                model,
                field,
                value,
            } => write!(
                f,
                "price table: {provider}/{model}: `{field}` is {value}; prices are finite and not negative"
            ),
            PriceError::Duplicate { provider, model } => {
                write!(f, "price table: {provider}/{model} is listed twice")
            }
        }
    }
}

impl std::error::Error for PriceError {}

impl PriceTable {
    /// Reads a table from JSON (the shape of `examples/prices.json`) and [validates](Self::validate) it.
    #[cfg(feature = "serde")]
    pub fn from_json(text: &str) -> Result<Self, PriceError> {
        let table: PriceTable =
            serde_json::from_str(text).map_err(|e| PriceError::Json(e.to_string()))?;
        table.validate()?;
        Ok(table)
    }

    /// Every price finite and not negative; every (provider, model) listed once.
    pub fn validate(&self) -> Result<(), PriceError> {
        for (i, entry) in self.models.iter().enumerate() {
            for (field, price) in entry.prices() {
                if let Some(value) = price.filter(|p| !p.is_finite() || *p < 0.0) {
                    return Err(PriceError::Invalid {
                        provider: entry.provider.clone(),
                        model: entry.model.clone(),
                        field,
                        value,
                    });
                }
            }
            if self.models[..i]
                .iter()
                .any(|e| (&e.provider, &e.model) == (&entry.provider, &entry.model))
            {
                return Err(PriceError::Duplicate {
                    provider: entry.provider.clone(),
                    model: entry.model.clone(),
                });
            }
        }
        Ok(())
    }
}
