//! The analytics sink: PostHog-compatible batch capture of telemetry payloads.
//!
//! Disabled unless configured: the runtime holds an `Option<AnalyticsConfig>`, and
//! without one nothing is stored for analytics nor sent. The analytics host is the
//! operator's own choice, not a user's, so the webhook address policy does not apply.

use std::fmt;
use std::time::{Duration, Instant};

use event_runtime::{TelemetryEvent, TelemetryKey};
use reqwest::Url;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Map, Value, json};

use crate::delivery::AnalyticsMessage;
use crate::transport::{self, ClientError, Limits};
use crate::{Attempt, Outcome};

/// Where and as whom analytics events are sent.
#[derive(Clone)]
pub struct AnalyticsConfig {
    /// The PostHog (or compatible) host, e.g. `https://eu.i.posthog.com`; events go to
    /// `{host}/batch/`.
    pub host: String,
    /// The project API key. Never printed.
    pub api_key: String,
    /// This installation's anonymous id: every event's `distinct_id`.
    pub installation_id: String,
    /// Properties added to every event, e.g. `app_version`; an event's own telemetry
    /// properties win over them.
    pub app_properties: Map<String, Value>,
    /// The most one request may take: above zero, at most [`MAX_TIMEOUT`]. Default 15 s.
    pub timeout: Duration,
}

impl AnalyticsConfig {
    /// A configuration with no app properties and the default timeout.
    pub fn new(
        host: impl Into<String>,
        api_key: impl Into<String>,
        installation_id: impl Into<String>,
    ) -> Self {
        Self {
            host: host.into(),
            api_key: api_key.into(),
            installation_id: installation_id.into(),
            app_properties: Map::new(),
            timeout: Duration::from_secs(15),
        }
    }
}

/// The longest [`AnalyticsConfig::timeout`] accepted: longer is a mistake, not a wait.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);

impl AnalyticsConfig {
    /// Checks every value, as [`AnalyticsSender::new`] does: a clear error now rather
    /// than a failure on every send later.
    pub fn validate(&self) -> Result<(), AnalyticsSetupError> {
        self.batch_url()?;
        if self.timeout.is_zero() || self.timeout > MAX_TIMEOUT {
            return Err(AnalyticsSetupError::InvalidTimeout(self.timeout));
        }
        if self.api_key.trim().is_empty() {
            return Err(AnalyticsSetupError::Missing("API key"));
        }
        if self.installation_id.trim().is_empty() {
            return Err(AnalyticsSetupError::Missing("installation id"));
        }
        Ok(())
    }

    /// `{host}/batch/`, when the host is a plain http(s) URL: no credentials (the key goes
    /// in the body), no query, no fragment.
    fn batch_url(&self) -> Result<Url, AnalyticsSetupError> {
        let invalid = |reason: &str| AnalyticsSetupError::InvalidHost(reason.to_owned());
        let base = format!("{}/batch/", self.host.trim_end_matches('/'));
        let url = Url::parse(&base).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(&format!("the scheme is `{}`", url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it carries credentials (`user:password@`)"));
        }
        if url.query().is_some() {
            return Err(invalid("it has a query (`?...`)"));
        }
        if url.fragment().is_some() {
            return Err(invalid("it has a fragment (`#...`)"));
        }
        Ok(url)
    }
}

impl fmt::Debug for AnalyticsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnalyticsConfig")
            .field("host", &self.host)
            .field("api_key", &"..")
            .field("installation_id", &self.installation_id)
            .field("app_properties", &self.app_properties)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why an [`AnalyticsSender`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyticsSetupError {
    /// The host is not an http(s) URL.
    #[error("the analytics host is not an http(s) URL: {0}")]
    InvalidHost(String),
    /// The timeout is zero or longer than [`MAX_TIMEOUT`].
    #[error("the analytics timeout must be above zero and at most {MAX_TIMEOUT:?}, not {0:?}")]
    InvalidTimeout(Duration),
    /// A value that must not be empty is.
    #[error("the analytics {0} is empty")]
    Missing(&'static str),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Sends telemetry events to a PostHog-compatible backend.
#[derive(Debug, Clone)]
pub struct AnalyticsSender {
    client: reqwest::Client,
    batch_url: Url,
    config: AnalyticsConfig,
}

/// The library name and version every event carries (`$lib`, `$lib_version`).
const LIB: &str = "event-runtime";
const LIB_VERSION: &str = env!("CARGO_PKG_VERSION");

impl AnalyticsSender {
    /// A sender for `config`, once [`AnalyticsConfig::validate`] accepts it.
    pub fn new(config: AnalyticsConfig) -> Result<Self, AnalyticsSetupError> {
        config.validate()?;
        let batch_url = config.batch_url()?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .user_agent(concat!("event-runtime/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError)?;
        Ok(Self {
            client,
            batch_url,
            config,
        })
    }

    /// Sends `events` in one batch request. A message whose properties are not a JSON
    /// object makes the whole batch `Refused` (it can never succeed as is); no events is
    /// `Delivered` at once.
    pub async fn send_batch(&self, events: &[AnalyticsMessage<'_>]) -> Attempt {
        let started = Instant::now();
        let mut batch = Vec::with_capacity(events.len());
        for event in events {
            match self.item(event) {
                Ok(item) => batch.push(item),
                Err(reason) => return transport::refused(started, reason),
            }
        }
        if batch.is_empty() {
            return Attempt {
                outcome: Outcome::Delivered,
                status: None,
                duration: started.elapsed(),
                detail: "no events to send".to_owned(),
            };
        }
        let body = json!({
            "api_key": self.config.api_key,
            "sent_at": event_runtime::now(),
            "batch": batch,
        });
        let sent = self
            .client
            .post(self.batch_url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        let limits = Limits {
            max_body: 4096,
            max_retry_after: Duration::from_secs(3600),
        };
        transport::attempt(sent, started, limits).await
    }

    /// Sends one event directly, without the outbox: for analytics-only events, which
    /// are never stored nor sent to webhooks (e.g. a web server's `heartbeat-trigger`).
    pub async fn capture(&self, event: &dyn TelemetryEvent, key: &TelemetryKey) -> Attempt {
        let properties = match event.telemetry_json(key) {
            Ok(properties) => properties,
            Err(error) => return transport::refused(Instant::now(), error.to_string()),
        };
        let message = AnalyticsMessage {
            event_type: event.event_type(),
            uuid: event.uuid(),
            timestamp: event.timestamp(),
            properties: &properties,
        };
        self.send_batch(&[message]).await
    }

    /// One batch item: the telemetry properties, under the app properties, with the
    /// installation's id and the library's name.
    fn item(&self, event: &AnalyticsMessage<'_>) -> Result<Value, String> {
        let telemetry: Map<String, Value> =
            serde_json::from_str(event.properties).map_err(|error| {
                format!(
                    "event {} (`{}`): the telemetry properties are not a JSON object: {error}",
                    event.uuid, event.event_type
                )
            })?;
        let mut properties = self.config.app_properties.clone();
        properties.extend(telemetry);
        // Ours whatever the payload says: the id is what keeps events anonymous.
        properties.insert(
            "distinct_id".into(),
            self.config.installation_id.clone().into(),
        );
        properties.insert("$lib".into(), LIB.into());
        properties.insert("$lib_version".into(), LIB_VERSION.into());
        // The sending server's address says where the installation is: keep it unused.
        properties.insert("$geoip_disable".into(), true.into());
        Ok(json!({
            "event": event.event_type,
            "uuid": event.uuid,
            "timestamp": event.timestamp,
            "properties": properties,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(host: &str) -> AnalyticsConfig {
        AnalyticsConfig::new(host, "phc_key", "install-1")
    }

    /// The error `AnalyticsSender::new` gives for `config`, as text.
    fn refused(config: AnalyticsConfig) -> String {
        match AnalyticsSender::new(config) {
            Ok(sender) => panic!("accepted: {sender:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn hostile_configurations_are_refused_when_the_sender_is_built() {
        let timeout = |timeout| AnalyticsConfig {
            timeout,
            ..config("https://eu.i.posthog.com")
        };
        let cases = [
            (timeout(Duration::ZERO), "timeout"),
            (timeout(Duration::MAX), "timeout"),
            (
                timeout(Duration::from_secs(100 * 365 * 24 * 3600)),
                "timeout",
            ),
            (
                AnalyticsConfig::new("https://eu.i.posthog.com", "", "i"),
                "API key",
            ),
            (
                AnalyticsConfig::new("https://eu.i.posthog.com", "k", ""),
                "installation id",
            ),
            (
                config("https://user:s3cr3t@eu.i.posthog.com"),
                "credentials",
            ),
            (config("https://eu.i.posthog.com/?token=x"), "query"),
            (config("https://eu.i.posthog.com/#x"), "fragment"),
            (config("   "), "host"),
        ];
        for (config, expected) in cases {
            let error = refused(config.clone());
            assert!(error.contains(expected), "{config:?}: {error}");
            assert!(!error.contains("s3cr3t"), "no credentials shown: {error}");
            assert_eq!(config.validate().map_err(|e| e.to_string()), Err(error));
        }
    }

    #[test]
    fn a_sensible_configuration_is_accepted() {
        let config = config("https://eu.i.posthog.com/");
        assert!(config.validate().is_ok());
        assert!(AnalyticsSender::new(config).is_ok());
    }
}
