//! What subscriptions are made of: who subscribes ([`SubscriberKind`]) and which events
//! of a type they receive ([`Scope`]). Apart from the subscribers' management, because
//! recording (which matches scopes) needs them and management records events.

use std::collections::BTreeMap;

use super::StoreError;
use super::sql::Row;

/// Who receives deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriberKind {
    /// A webhook endpoint: receives notification payloads, signed.
    Webhook,
    /// The analytics backend: receives telemetry payloads (at most one).
    Analytics,
    /// A NATS JetStream stream: receives notification or telemetry payloads as messages.
    Stream,
}

impl SubscriberKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            SubscriberKind::Webhook => "webhook",
            SubscriberKind::Analytics => "analytics",
            SubscriberKind::Stream => "stream",
        }
    }

    /// The `kind` column of a row of `subscribers` (the one place it is parsed).
    pub(super) fn read(row: &Row) -> Result<Self, StoreError> {
        match row.text("kind")?.as_str() {
            "webhook" => Ok(SubscriberKind::Webhook),
            "analytics" => Ok(SubscriberKind::Analytics),
            "stream" => Ok(SubscriberKind::Stream),
            other => Err(StoreError::corrupt("kind", other)),
        }
    }
}

/// The scope of a subscription: scope columns (`project_uuid`, `job_uuid`, ...) and the
/// values an event must carry in them. Empty: every event of the type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(BTreeMap<String, String>);

impl Scope {
    /// Every event of the type.
    pub fn global() -> Self {
        Scope::default()
    }

    /// Adds a required value: events must carry `value` in scope column `column`.
    pub fn with(mut self, column: impl Into<String>, value: impl ToString) -> Self {
        self.0.insert(column.into(), value.to_string());
        self
    }

    /// Whether it is global.
    pub fn is_global(&self) -> bool {
        self.0.is_empty()
    }

    /// The required values, by column.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// As stored: a JSON object with sorted keys.
    pub(super) fn to_stored(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }

    pub(crate) fn parse_stored(text: &str) -> Result<Self, StoreError> {
        serde_json::from_str(text)
            .map(Scope)
            .map_err(|e| StoreError::corrupt("scope", e))
    }

    pub(crate) fn into_pairs(self) -> Vec<(String, String)> {
        self.0.into_iter().collect()
    }
}
