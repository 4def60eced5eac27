//! Loading events back from rows of the `events` table.

use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::Timestamp;

/// Why a row could not be turned into a typed event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The row's `type` is not an event type of the catalog.
    #[error("unknown event type `{0}` in the events table")]
    UnknownEventType(String),
    /// A column the event type requires is NULL.
    #[error("column `{column}` is NULL, but `{event_type}` requires it")]
    MissingValue {
        /// The event type.
        event_type: &'static str,
        /// The column.
        column: &'static str,
    },
    /// A column holds a value of the wrong kind.
    #[error("column `{column}` holds an invalid value: {message}")]
    InvalidValue {
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
}

impl LoadError {
    /// A column holding something its field cannot take.
    pub fn invalid(column: &str, message: impl std::fmt::Display) -> Self {
        LoadError::InvalidValue {
            column: column.to_owned(),
            message: message.to_string(),
        }
    }
}

/// One row of the `events` table, read column by column. The runtime's stores implement
/// it for their rows; generated code turns it into a typed event.
pub trait EventRow {
    /// The `type` column.
    fn event_type(&self) -> Result<String, LoadError>;
    /// A UUID column (also `uuid`).
    fn get_uuid(&self, column: &str) -> Result<Option<Uuid>, LoadError>;
    /// A text column (strings and enum values).
    fn get_text(&self, column: &str) -> Result<Option<String>, LoadError>;
    /// An integer column.
    fn get_int(&self, column: &str) -> Result<Option<i64>, LoadError>;
    /// A float column.
    fn get_float(&self, column: &str) -> Result<Option<f64>, LoadError>;
    /// A boolean column.
    fn get_bool(&self, column: &str) -> Result<Option<bool>, LoadError>;
    /// A timestamp column (also `timestamp`).
    fn get_timestamp(&self, column: &str) -> Result<Option<Timestamp>, LoadError>;
    /// A JSON column (composites).
    fn get_json(&self, column: &str) -> Result<Option<serde_json::Value>, LoadError>;
}

/// Helpers that generated loading code calls.
#[doc(hidden)]
pub mod load {
    use super::*;

    /// The value, or the error saying which column the event type needs.
    pub fn required<T>(
        value: Option<T>,
        event_type: &'static str,
        column: &'static str,
    ) -> Result<T, LoadError> {
        value.ok_or(LoadError::MissingValue { event_type, column })
    }

    /// Decodes a JSON column into a composite field.
    pub fn json<T: DeserializeOwned>(
        value: Option<serde_json::Value>,
        column: &str,
    ) -> Result<Option<T>, LoadError> {
        value
            .map(|v| serde_json::from_value(v).map_err(|e| LoadError::invalid(column, e)))
            .transpose()
    }

    /// Parses a text column into an enum.
    pub fn parse<T: std::str::FromStr>(
        value: Option<String>,
        column: &str,
    ) -> Result<Option<T>, LoadError>
    where
        T::Err: std::fmt::Display,
    {
        value
            .map(|v| v.parse().map_err(|e| LoadError::invalid(column, e)))
            .transpose()
    }
}
