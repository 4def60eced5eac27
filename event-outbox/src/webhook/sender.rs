//! Sending one signed webhook request.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::redirect;

use super::resolver::PolicyResolver;
use super::{
    AddressPolicy, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, RefusedAddress, body,
    signature_header,
};
use crate::delivery::{ContentType, WebhookRequest};
use crate::transport::{self, ClientError, Limits};
use crate::{Attempt, Secret};

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

/// Sends webhook requests, signed the Standard Webhooks way, to the addresses the policy
/// allows; never follows redirects. Cheap to share: one connection pool for all sends.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    limits: Limits,
}

impl WebhookSender {
    /// A sender configured by `config`.
    pub fn new(config: WebhookConfig) -> Result<Self, ClientError> {
        let policy = Arc::new(config.addresses);
        let client = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent)
            // A proxy would connect on our behalf, past the resolver's address check.
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver {
                policy: Arc::clone(&policy),
            }))
            .build()
            .map_err(ClientError)?;
        Ok(Self {
            client,
            policy,
            limits: Limits {
                max_body: config.max_response_bytes,
                max_retry_after: config.max_retry_after,
            },
        })
    }

    /// Makes one attempt to deliver `request`.
    ///
    /// The body is the payload as is (JSON), or `payload=<form-urlencoded JSON>` (form);
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
        let (body, content_type) = body::encode(request.payload, request.content_type);
        let mut builder = self
            .client
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
            Err(error) if transport::caused_by::<RefusedAddress>(&error) => {
                transport::refused(started, transport::error_chain(error))
            }
            sent => transport::attempt(sent, started, self.limits).await,
        }
    }

    /// Sends a test delivery, `{"type":"ping","timestamp":"<RFC 3339>"}`, signed with
    /// `secrets`, e.g. to check a webhook before saving it.
    pub async fn ping(&self, url: &str, secrets: &[Secret], content_type: ContentType) -> Attempt {
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
        })
        .await
    }

    /// The URL, when it is one this sender may send to. An IP-literal host is checked
    /// here: the client connects to it without asking the resolver.
    fn check_url(&self, text: &str) -> Result<Url, String> {
        // The URL itself stays out of the messages: it may carry a token.
        let url = Url::parse(text).map_err(|error| format!("invalid URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "invalid URL: the scheme is `{}`, not http or https",
                url.scheme()
            ));
        }
        let host = url.host_str().ok_or("invalid URL: no host")?;
        // The parser normalizes IP literals (`2130706433`, `0x7f.1` are `127.0.0.1`), and
        // shows IPv6 ones in brackets.
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(address) = literal.parse::<IpAddr>() {
            self.policy
                .check(address)
                .map_err(|error| error.to_string())?;
        }
        Ok(url)
    }
}
