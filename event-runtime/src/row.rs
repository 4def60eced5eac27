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
    /// The row holds an event of another type than the one asked for.
    #[error("the row holds a `{found}` event, not `{expected}`")]
    WrongEventType {
        /// The type asked for.
        expected: &'static str,
        /// The row's type.
        found: String,
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

/// One row of the `events` table, read column by column. The store of `event-outbox`
/// implements it for its rows (see its `Store::event`); generated code turns it into a
/// typed event.
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

/// What a row of `events` loads into: the generated `Event` enum (any stored event of the
/// catalog, by its exact type), or one event type (a row of another type is an error).
pub trait FromEventRow: Sized {
    /// Reads it from `row`.
    fn from_event_row(row: &impl EventRow) -> Result<Self, LoadError>;
}

/// Helpers that generated loading code calls: one call reads one field.
#[doc(hidden)]
pub mod load {
    use std::fmt::Display;
    use std::str::FromStr;

    use super::*;

    /// A type stored in a column of its own kind, read with the matching `EventRow` getter.
    pub trait Column: Sized {
        /// Reads `column` of `row`.
        fn read<R: EventRow + ?Sized>(row: &R, column: &str) -> Result<Option<Self>, LoadError>;
    }

    macro_rules! columns {
        ($($ty:ty => $get:ident),* $(,)?) => {$(
            impl Column for $ty {
                fn read<R: EventRow + ?Sized>(row: &R, column: &str) -> Result<Option<Self>, LoadError> {
                    row.$get(column)
                }
            }
        )*};
    }

    columns! {
        Uuid => get_uuid,
        String => get_text,
        i64 => get_int,
        f64 => get_float,
        bool => get_bool,
        Timestamp => get_timestamp,
    }

    /// What every event has, `(event_type, uuid, timestamp)`, when the row holds an event
    /// of `event_type`.
    pub fn base<R: EventRow + ?Sized>(
        row: &R,
        event_type: &'static str,
    ) -> Result<(&'static str, Uuid, Timestamp), LoadError> {
        let found = row.event_type()?;
        if found != event_type {
            return Err(LoadError::WrongEventType {
                expected: event_type,
                found,
            });
        }
        Ok((
            event_type,
            required(row, "uuid", event_type)?,
            required(row, "timestamp", event_type)?,
        ))
    }

    /// The value of a column the event type requires.
    pub fn required<T: Column, R: EventRow + ?Sized>(
        row: &R,
        column: &'static str,
        event_type: &'static str,
    ) -> Result<T, LoadError> {
        present(T::read(row, column)?, column, event_type)
    }

    /// The value of an optional field's column.
    pub fn optional<T: Column, R: EventRow + ?Sized>(
        row: &R,
        column: &'static str,
    ) -> Result<Option<T>, LoadError> {
        T::read(row, column)
    }

    /// An enum value from a text column the event type requires.
    pub fn required_parsed<T: FromStr, R: EventRow + ?Sized>(
        row: &R,
        column: &'static str,
        event_type: &'static str,
    ) -> Result<T, LoadError>
    where
        T::Err: Display,
    {
        present(optional_parsed(row, column)?, column, event_type)
    }

    /// An optional enum value from a text column.
    pub fn optional_parsed<T: FromStr, R: EventRow + ?Sized>(
        row: &R,
        column: &'static str,
    ) -> Result<Option<T>, LoadError>
    where
        T::Err: Display,
    {
        row.get_text(column)?
            .map(|v| v.parse().map_err(|e| LoadError::invalid(column, e)))
            .transpose()
    }

    /// A composite value (list, map, named type, JSON) from a JSON column the event type
    /// requires.
    pub fn required_json<T: DeserializeOwned, R: EventRow + ?Sized>(
        row: &R,
        column: &'static str,
        event_type: &'static str,
    ) -> Result<T, LoadError> {
        present(optional_json(row, column)?, column, event_type)
    }

    /// An optional composite value from a JSON column.
    pub fn optional_json<T: DeserializeOwned, R: EventRow + ?Sized>(
        row: &R,
        column: &'static str,
    ) -> Result<Option<T>, LoadError> {
        row.get_json(column)?
            .map(|v| serde_json::from_value(v).map_err(|e| LoadError::invalid(column, e)))
            .transpose()
    }

    fn present<T>(
        value: Option<T>,
        column: &'static str,
        event_type: &'static str,
    ) -> Result<T, LoadError> {
        value.ok_or(LoadError::MissingValue { event_type, column })
    }
}
