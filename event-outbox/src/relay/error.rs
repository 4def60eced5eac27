//! Why the relay refused a body.

use event_runtime::UnknownEventType;

/// One way the properties break their event's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where, as a JSON pointer from the body's root (e.g. `/properties/count`).
    pub pointer: String,
    /// What is wrong there.
    pub message: String,
}

/// Why a relayed body was refused. Each says exactly what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    MalformedJson(String),
    /// The body is JSON, but not an object.
    #[error("the body must be an object: {{\"event\": <event type>, \"properties\": {{...}}}}")]
    NotAnObject,
    /// The body has no `event`.
    #[error("the body has no `event` (the event type)")]
    MissingEvent,
    /// `event` is not a string.
    #[error("`event` must be a string (the event type)")]
    EventNotAString,
    /// The body has no `properties`.
    #[error("the body has no `properties` (an object; `{{}}` when there are none)")]
    MissingProperties,
    /// The body has a field besides `event` and `properties`.
    #[error("unexpected field `{0}`: the body has only `event` and `properties`")]
    UnexpectedField(String),
    /// `event` is longer than any event type can be (at most
    /// [`MAX_EVENT_TYPE_LEN`](event_runtime::schema::MAX_EVENT_TYPE_LEN) characters): refused
    /// before any comparison, without a suggestion.
    #[error("`event` is {length} characters long: event types have at most {max}", max = event_runtime::schema::MAX_EVENT_TYPE_LEN)]
    EventTooLong {
        /// Its length, in characters.
        length: usize,
    },
    /// `event` is no event type of the catalog.
    #[error(transparent)]
    UnknownEvent(UnknownEventType),
    /// `event` is an event type that only the server sends.
    #[error("`{0}` is not a client event: only the server sends it")]
    NotAClientEvent(String),
    /// The properties break the event's schema.
    #[error("the properties of `{event_type}` are invalid: {}", describe(.violations))]
    InvalidProperties {
        /// The event type.
        event_type: &'static str,
        /// Every violation, in the order the validator found them.
        violations: Vec<Violation>,
    },
    /// The properties satisfy the schema but do not make an event (the schema and the
    /// event's type disagree: a bug in the catalog's generated code).
    #[error("the properties of `{event_type}` do not make an event: {message}")]
    Unloadable {
        /// The event type.
        event_type: &'static str,
        /// Why.
        message: String,
    },
}

fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.pointer, v.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl RelayError {
    /// A stable machine-readable name of the error, e.g. `missing_properties`.
    pub fn code(&self) -> &'static str {
        match self {
            RelayError::MalformedJson(_) => "malformed_json",
            RelayError::NotAnObject => "not_an_object",
            RelayError::MissingEvent => "missing_event",
            RelayError::EventNotAString => "event_not_a_string",
            RelayError::MissingProperties => "missing_properties",
            RelayError::UnexpectedField(_) => "unexpected_field",
            RelayError::EventTooLong { .. } => "event_too_long",
            RelayError::UnknownEvent(_) => "unknown_event",
            RelayError::NotAClientEvent(_) => "not_a_client_event",
            RelayError::InvalidProperties { .. } => "invalid_properties",
            RelayError::Unloadable { .. } => "unloadable",
        }
    }

    /// The error as a JSON object: `code`, `message`, and `violations` or `suggestion`
    /// where there are some.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        match self {
            RelayError::InvalidProperties { violations, .. } => {
                body["violations"] = violations
                    .iter()
                    .map(|v| serde_json::json!({ "pointer": v.pointer, "message": v.message }))
                    .collect();
            }
            RelayError::UnknownEvent(unknown) => {
                if let Some(suggestion) = unknown.suggestion {
                    body["suggestion"] = suggestion.into();
                }
            }
            _ => {}
        }
        body
    }
}
