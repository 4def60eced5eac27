//! Sending one signed webhook request.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::tls::{ClientSettings, TlsClients};
use super::{
    AddressPolicy, ChatMessages, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, RefusedAddress,
    WebhookTls, body, signature_header,
};
use crate::delivery::{ContentType, WebhookRequest};
use crate::transport::{self, ClientError, Limits};
use crate::{Attempt, Secret, redact_url};

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The most a whole attempt may take, from connecting to the end of the read body.
    /// Default 15 s.
    pub timeout: Duration,
    /// The most connecting may take. Default 5 s.
    pub connect_timeout: Duration,
    /// The most response-body bytes read, kept for the attempt log. Default 4 KiB.
    pub max_response_bytes: usize,
    /// The longest `Retry-After` honoured; longer ones are cut to it. Default 1 hour.
    pub max_retry_after: Duration,
    /// Which addresses requests may go to. Default: public addresses only.
    pub addresses: AddressPolicy,
    /// The `user-agent` header. Default `event-runtime/<version>`.
    pub user_agent: String,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 4096,
            max_retry_after: Duration::from_secs(3600),
            addresses: AddressPolicy::public_only(),
            user_agent: concat!("event-runtime/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// The longest `timeout` and `connect_timeout`: a send holds a lease meanwhile.
const MAX_TIMEOUT: Duration = Duration::from_secs(300);
/// The most response bytes kept: they go to the attempt log.
const MAX_RESPONSE_BYTES: usize = 1 << 20;
/// The longest `max_retry_after`: longer waits overflow no clock, but help no one.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// A [`WebhookConfig`] value a sender cannot work with, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid webhook configuration: `{field}` {problem}")]
pub struct InvalidWebhookConfig {
    /// The field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// Why a [`WebhookSender`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookSetupError {
    /// A configuration value is out of range.
    #[error(transparent)]
    Config(#[from] InvalidWebhookConfig),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl WebhookConfig {
    /// Checks every value: a clear error when the sender is built, never a panic or an
    /// overflow later.
    pub fn validate(&self) -> Result<(), InvalidWebhookConfig> {
        let invalid = |field, problem| Err(InvalidWebhookConfig { field, problem });
        let within = |value: Duration, max| !value.is_zero() && value <= max;
        if !within(self.timeout, MAX_TIMEOUT) {
            return invalid("timeout", "is more than zero and at most 5 minutes");
        }
        if !within(self.connect_timeout, MAX_TIMEOUT) {
            return invalid("connect_timeout", "is more than zero and at most 5 minutes");
        }
        if !(1..=MAX_RESPONSE_BYTES).contains(&self.max_response_bytes) {
            return invalid("max_response_bytes", "is 1 byte to 1 MiB");
        }
        if self.max_retry_after > MAX_RETRY_AFTER {
            return invalid("max_retry_after", "is at most 7 days");
        }
        if HeaderValue::from_str(&self.user_agent).is_err() {
            return invalid("user_agent", "is not a valid header value");
        }
        match self.addresses.ports() {
            Some([]) => invalid("addresses", "allows no port: allow at least one"),
            Some(ports) if ports.contains(&0) => invalid("addresses", "allows port 0"),
            _ => Ok(()),
        }
    }
}

/// Sends webhook requests, signed the Standard Webhooks way, to the addresses the policy
/// allows; never follows redirects. Cheap to share: clones share one connection pool for
/// the default TLS settings, and one per other setting ([`WebhookTls`]) in use.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    /// The client for the default TLS settings.
    client: reqwest::Client,
    /// How every client is built.
    settings: Arc<ClientSettings>,
    /// The clients for other TLS settings, built when first needed.
    tls_clients: TlsClients,
    policy: Arc<AddressPolicy>,
    limits: Limits,
    messages: ChatMessages,
}

impl WebhookSender {
    /// A sender configured by `config`, once [`WebhookConfig::validate`] accepts it.
    pub fn new(config: WebhookConfig) -> Result<Self, WebhookSetupError> {
        config.validate()?;
        let policy = Arc::new(config.addresses);
        let settings = Arc::new(ClientSettings {
            timeout: config.timeout,
            connect_timeout: config.connect_timeout,
            user_agent: config.user_agent,
            policy: Arc::clone(&policy),
        });
        let client = settings
            .build(&WebhookTls::default())
            .map_err(ClientError)?;
        Ok(Self {
            client,
            settings,
            tls_clients: TlsClients::default(),
            policy,
            limits: Limits {
                max_body: config.max_response_bytes,
                max_retry_after: config.max_retry_after,
            },
            messages: ChatMessages::default(),
        })
    }

    /// The sender, rendering the text of chat deliveries (Slack, Discord, Teams) with
    /// `messages`: the catalog's generated `CHAT_MESSAGES`, compiled. Without them, a
    /// chat delivery's text is `` Event `<type>` ``.
    pub fn with_messages(mut self, messages: ChatMessages) -> Self {
        self.messages = messages;
        self
    }

    /// Makes one attempt to deliver `request`.
    ///
    /// The body is the payload as is (JSON), `payload=<form-urlencoded JSON>` (form), or
    /// a chat app's body with the event's message (Slack, Discord, Teams);
    /// the `webhook-signature` header has one signature per secret (none without
    /// secrets). Never panics and never returns an error: everything that can happen is
    /// an [`Attempt`].
    pub async fn send(&self, request: &WebhookRequest<'_>) -> Attempt {
        let started = Instant::now();
        let url = match self.check_url(request.url) {
            Ok(url) => url,
            Err(reason) => return transport::refused(started, reason),
        };
        let Ok(message_id) = HeaderValue::from_str(request.message_id) else {
            return transport::refused(started, "the message id is not a valid header value");
        };
        let client = match request.tls.filter(|tls| !tls.is_default()) {
            None => self.client.clone(),
            Some(tls) => match self.tls_clients.get(&self.settings, tls) {
                Ok(client) => client,
                Err(detail) => return transport::refused(started, detail),
            },
        };
        let (body, content_type) =
            body::encode(request.payload, request.content_type, &self.messages);
        let mut builder = client
            .post(url)
            .header(CONTENT_TYPE, content_type)
            .header(HEADER_ID, message_id)
            .header(HEADER_TIMESTAMP, request.timestamp);
        if !request.secrets.is_empty() {
            let signatures = signature_header(
                request.secrets,
                request.message_id,
                request.timestamp,
                &body,
            );
            builder = builder.header(HEADER_SIGNATURE, signatures);
        }
        match builder.body(body).send().await {
            // The resolver refused every address of the host: it cannot succeed as
            // configured.
            Err(error) => match transport::find_cause::<RefusedAddress>(&error) {
                Some(refused) => {
                    log_refused_address(request.url, refused);
                    transport::refused(started, refused.to_string())
                }
                None => transport::attempt(Err(error), started, self.limits).await,
            },
            sent => transport::attempt(sent, started, self.limits).await,
        }
    }

    /// Sends a test delivery, `{"type":"ping","timestamp":"<RFC 3339>"}`, signed with
    /// `secrets`, e.g. to check a webhook before saving it.
    pub async fn ping(&self, url: &str, secrets: &[Secret], content_type: ContentType) -> Attempt {
        self.ping_with_tls(url, secrets, content_type, &WebhookTls::default())
            .await
    }

    /// [`WebhookSender::ping`], checking the server certificate as `tls` says.
    pub async fn ping_with_tls(
        &self,
        url: &str,
        secrets: &[Secret],
        content_type: ContentType,
        tls: &WebhookTls,
    ) -> Attempt {
        let now = event_runtime::now();
        let payload = serde_json::json!({ "type": "ping", "timestamp": now }).to_string();
        let message_id = format!("msg_ping_{}", event_runtime::new_event_id().simple());
        self.send(&WebhookRequest {
            url,
            message_id: &message_id,
            timestamp: now.timestamp(),
            payload: &payload,
            content_type,
            secrets,
            tls: Some(tls),
        })
        .await
    }

    /// The URL, when it is one this sender may send to. An IP-literal host is checked
    /// here: the client connects to it without asking the resolver. The messages go to
    /// the attempt log: they never show the URL (it may carry a token) nor the network.
    fn check_url(&self, text: &str) -> Result<Url, String> {
        let url = Url::parse(text).map_err(|error| format!("invalid URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "invalid URL: the scheme is `{}`, not http or https",
                url.scheme()
            ));
        }
        // The client would send them as an `Authorization` header, to wherever the URL
        // points: refused, so that no credential leaves but the signature.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(USERINFO_REFUSED.to_owned());
        }
        let host = url.host_str().ok_or("invalid URL: no host")?;
        let port = url.port_or_known_default().ok_or("invalid URL: no port")?;
        if let Err(refused) = self.policy.check_port(port) {
            tracing::warn!(url = %redact_url(text), %refused, "webhook port refused");
            return Err(PORT_REFUSED.to_owned());
        }
        // The parser normalizes IP literals (`2130706433`, `0x7f.1` are `127.0.0.1`), and
        // shows IPv6 ones in brackets.
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(address) = literal.parse::<IpAddr>() {
            self.policy.check(address).map_err(|refused| {
                log_refused_address(text, &refused);
                refused.to_string()
            })?;
        }
        Ok(url)
    }
}

/// What a user reads when a webhook URL holds `user:password@`.
const USERINFO_REFUSED: &str = "refused: the webhook URL holds credentials (`user:password@`), which are never sent: remove them, and have the receiver check the signature (or a token in the path)";
/// What a user reads when a webhook's port is refused.
const PORT_REFUSED: &str = "refused: the webhook's port is not allowed";

/// The details of a refused address, for the operator only.
fn log_refused_address(url: &str, refused: &RefusedAddress) {
    tracing::warn!(
        url = %redact_url(url),
        address = %refused.address,
        range = refused.range,
        "webhook address refused"
    );
}
