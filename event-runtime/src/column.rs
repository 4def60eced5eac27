//! Helpers that generated storage code calls: one call gives the column value of one field.

use serde::Serialize;
use uuid::Uuid;

use crate::{ColumnValue, Error, Result, Timestamp};

/// A value stored in a column of its own kind (not as JSON).
pub trait ToColumn {
    /// The column value.
    fn to_column(&self) -> ColumnValue<'_>;
}

impl ToColumn for Uuid {
    fn to_column(&self) -> ColumnValue<'_> {
        ColumnValue::Uuid(*self)
    }
}

impl ToColumn for String {
    fn to_column(&self) -> ColumnValue<'_> {
        ColumnValue::Text(self)
    }
}

impl ToColumn for i64 {
    fn to_column(&self) -> ColumnValue<'_> {
        ColumnValue::Int(*self)
    }
}

impl ToColumn for f64 {
    fn to_column(&self) -> ColumnValue<'_> {
        ColumnValue::Float(*self)
    }
}

impl ToColumn for bool {
    fn to_column(&self) -> ColumnValue<'_> {
        ColumnValue::Bool(*self)
    }
}

impl ToColumn for Timestamp {
    fn to_column(&self) -> ColumnValue<'_> {
        ColumnValue::Timestamp(*self)
    }
}

/// An absent optional value is SQL NULL.
impl<T: ToColumn> ToColumn for Option<T> {
    fn to_column(&self) -> ColumnValue<'_> {
        self.as_ref().map_or(ColumnValue::Null, T::to_column)
    }
}

/// The column value of a field stored in its own kind of column.
pub fn value<T: ToColumn + ?Sized>(value: &T) -> ColumnValue<'_> {
    value.to_column()
}

/// The column value of a composite field (list, map, named type, JSON): its JSON text.
pub fn json<T: Serialize + ?Sized>(
    value: &T,
    event_type: &'static str,
) -> Result<ColumnValue<'static>> {
    serde_json::to_string(value)
        .map(ColumnValue::Json)
        .map_err(Error::serialize(event_type))
}

/// The column value of an optional composite field: NULL when absent.
pub fn optional_json<T: Serialize>(
    value: &Option<T>,
    event_type: &'static str,
) -> Result<ColumnValue<'static>> {
    match value {
        Some(value) => json(value, event_type),
        None => Ok(ColumnValue::Null),
    }
}
