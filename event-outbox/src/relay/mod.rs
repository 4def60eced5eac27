//! The relay check for front-end events: a browser posts `{"event": <type>,
//! "properties": {...}}`, and only client events of the catalog, with properties that
//! satisfy their schema, become events for analytics.
//!
//! The generator emits one static list of [`ClientEventSpec`] per catalog; each schema is
//! compiled once, when the [`Relay`] is built. The body's members are
//! [`ClientEventSpec::EVENT_KEY`] and [`ClientEventSpec::PROPERTIES_KEY`], and each
//! properties schema is the one the published request schema of its event
//! (`schemas/request/<type>/v<N>.json`) holds under that key: the generator builds both
//! from one function, so what the relay accepts is what the schema says. A name longer than any event type is
//! refused before any lookup, so that no client can make the "did you mean" suggestion
//! expensive.
//!
//! With the `relay-http` feature, `router` serves `POST /analytics` within per-process
//! `RelayLimits` (requests in flight, requests per second, body size and time) and hands
//! accepted events to a `Destination`: the outbox, which the worker sends from, or a
//! bounded in-process queue; never to the analytics backend inside the request.

#[cfg(feature = "relay-http")]
mod destination;
mod error;
#[cfg(feature = "relay-http")]
mod limits;
#[cfg(feature = "relay-http")]
mod router;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde_json::Value;

#[cfg(feature = "relay-http")]
pub use destination::{AnalyticsQueue, Destination, QueueConfig};
pub use error::{RelayError, Violation};
#[cfg(feature = "relay-http")]
pub use limits::{InvalidLimit, MAX_BODY, MAX_BODY_TIMEOUT, MAX_REQUESTS, RelayLimits};
#[cfg(feature = "relay-http")]
pub use router::router;

use event_runtime::schema::MAX_EVENT_TYPE_LEN;
pub use event_runtime::{ClientEventSpec, ParseFn};
use event_runtime::{TelemetryEvent, UnknownEventType};

/// A client event spec whose schema does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the properties schema of `{event_type}` is invalid: {message}")]
pub struct InvalidSchema {
    /// The event type.
    pub event_type: &'static str,
    /// Why.
    pub message: String,
}

/// Checks relayed bodies against a catalog's client events.
pub struct Relay {
    client: HashMap<&'static str, (ParseFn, jsonschema::Validator)>,
    all_event_types: &'static [&'static str],
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut client: Vec<_> = self.client.keys().collect();
        client.sort();
        f.debug_struct("Relay")
            .field("client_events", &client)
            .finish()
    }
}

impl Relay {
    /// A relay for `events` (the catalog's client events), compiling each schema once.
    /// `all_event_types` names every event type of the catalog, so that a server-only
    /// type is told apart from an unknown one.
    pub fn new(
        events: &'static [ClientEventSpec],
        all_event_types: &'static [&'static str],
    ) -> Result<Self, InvalidSchema> {
        let mut client = HashMap::with_capacity(events.len());
        for spec in events {
            let invalid = |message: String| InvalidSchema {
                event_type: spec.event_type,
                message,
            };
            let schema: Value =
                serde_json::from_str(spec.properties_schema).map_err(|e| invalid(e.to_string()))?;
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| invalid(e.to_string()))?;
            client.insert(spec.event_type, (spec.parse, validator));
        }
        Ok(Self {
            client,
            all_event_types,
        })
    }

    /// Checks a body (JSON bytes) and loads its event.
    pub fn accept(&self, body: &[u8]) -> Result<Box<dyn TelemetryEvent + Send>, RelayError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| RelayError::MalformedJson(e.to_string()))?;
        self.accept_value(value)
    }

    /// Checks a parsed body and loads its event.
    pub fn accept_value(&self, body: Value) -> Result<Box<dyn TelemetryEvent + Send>, RelayError> {
        let Value::Object(mut body) = body else {
            return Err(RelayError::NotAnObject);
        };
        let event = body
            .remove(ClientEventSpec::EVENT_KEY)
            .ok_or(RelayError::MissingEvent)?;
        let Value::String(name) = event else {
            return Err(RelayError::EventNotAString);
        };
        let properties = body
            .remove(ClientEventSpec::PROPERTIES_KEY)
            .ok_or(RelayError::MissingProperties)?;
        if let Some(extra) = body.keys().next() {
            return Err(RelayError::UnexpectedField(extra.clone()));
        }
        // Before any lookup: the suggestion for an unknown name costs its length.
        if name.chars().nth(MAX_EVENT_TYPE_LEN).is_some() {
            let length = name.chars().count();
            return Err(RelayError::EventTooLong { length });
        }
        let Some((event_type, (parse, validator))) = self.client.get_key_value(name.as_str())
        else {
            return Err(if self.all_event_types.contains(&name.as_str()) {
                RelayError::NotAClientEvent(name)
            } else {
                RelayError::UnknownEvent(UnknownEventType::new(
                    &name,
                    self.all_event_types.iter().copied(),
                ))
            });
        };
        let violations: Vec<Violation> = validator
            .iter_errors(&properties)
            .map(|error| Violation {
                pointer: format!("/properties{}", error.instance_path().as_str()),
                message: error.to_string(),
            })
            .collect();
        if !violations.is_empty() {
            return Err(RelayError::InvalidProperties {
                event_type,
                violations,
            });
        }
        parse(properties).map_err(|error| RelayError::Unloadable {
            event_type,
            message: error.to_string(),
        })
    }
}
