//! What the worker and the senders agree on: the [`Deliverer`] the worker sends through,
//! and what it hands over, one webhook request or a batch of analytics messages. The HTTP
//! senders (`worker::HttpDeliverer`) sign, send and report an [`Attempt`].

use std::future::Future;

use event_runtime::Timestamp;

use crate::Attempt;
use crate::secret::Secret;
use crate::tls::WebhookTls;

pub use crate::stream::StreamMessage;

/// Sends deliveries: the HTTP senders implement it (and tests, with a fake).
///
/// Each call is one attempt; the worker records what it came to and schedules the next
/// attempt from it. Implementations do not retry on their own.
pub trait Deliverer: Send + Sync + 'static {
    /// Sends one webhook.
    fn webhook(&self, request: WebhookRequest<'_>) -> impl Future<Output = Attempt> + Send;

    /// Sends a batch of analytics messages; the attempt applies to each of them.
    fn analytics(&self, batch: &[AnalyticsMessage<'_>]) -> impl Future<Output = Attempt> + Send;

    /// Publishes one message to a stream (a NATS JetStream subscriber); delivered only
    /// once the stream acknowledged it. By default the delivery is refused (dead, and
    /// redrivable once a deliverer that publishes runs): a deliverer that does not
    /// publish says so rather than drop it.
    fn stream(&self, message: StreamMessage<'_>) -> impl Future<Output = Attempt> + Send {
        let _ = message;
        std::future::ready(Attempt::refused(
            "this deliverer does not publish to streams (a stream publisher needs \
             event-outbox's `nats` feature)",
        ))
    }
}

/// How a webhook body is encoded, per subscriber.
///
/// JSON and form carry the payload itself; the chat formats carry a message rendered from
/// it (the event type's `message` template) in the body a chat app's incoming webhook
/// reads (see `webhook::ChatMessages`). Every format is signed the Standard Webhooks way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ContentType {
    /// `application/json`: the body as is.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`: the body as the value of one form field.
    Form,
    /// A Slack incoming webhook: `text` and `blocks`.
    Slack,
    /// A Discord webhook: `content` and an embed.
    Discord,
    /// A Microsoft Teams incoming webhook (Workflows): a message holding an Adaptive Card.
    Teams,
}

impl ContentType {
    /// Every content type, in the order of the `subscribers` table's check.
    pub const ALL: [ContentType; 5] = [
        ContentType::Json,
        ContentType::Form,
        ContentType::Slack,
        ContentType::Discord,
        ContentType::Teams,
    ];

    /// Its name in the `subscribers` table (`json`, `form`, `slack`, `discord`, `teams`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "json",
            ContentType::Form => "form",
            ContentType::Slack => "slack",
            ContentType::Discord => "discord",
            ContentType::Teams => "teams",
        }
    }

    /// The content type named `name` in the `subscribers` table.
    pub fn from_name(name: &str) -> Option<ContentType> {
        ContentType::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether it is a chat app's format (a rendered message rather than the payload).
    pub fn is_chat(self) -> bool {
        matches!(
            self,
            ContentType::Slack | ContentType::Discord | ContentType::Teams
        )
    }

    /// The chat format a webhook URL's host calls for, or JSON: `hooks.slack.com` is
    /// Slack; `discord.com`, `discordapp.com` (and their `canary.`/`ptb.` hosts) with a
    /// path under `/api/webhooks/` are Discord; `*.webhook.office.com`,
    /// `*.logic.azure.com` and `*.powerautomate.com` (Power Automate workflows, which
    /// Teams' incoming webhooks are) are Teams. Anything else, and a URL that does not
    /// parse, is JSON.
    pub fn detect(url: &str) -> ContentType {
        let Some((host, path)) = host_and_path(url) else {
            return ContentType::Json;
        };
        let under = |domain: &str| {
            host.strip_suffix(domain)
                .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
        };
        let strictly_under = |domain: &str| {
            host.strip_suffix(domain)
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.'))
        };
        if host == "hooks.slack.com" {
            ContentType::Slack
        } else if (under("discord.com") || under("discordapp.com"))
            && path.starts_with("/api/webhooks/")
        {
            ContentType::Discord
        } else if strictly_under("webhook.office.com")
            || strictly_under("logic.azure.com")
            || strictly_under("powerautomate.com")
            || host == "webhook.office.com"
        {
            ContentType::Teams
        } else {
            ContentType::Json
        }
    }
}

/// The lowercased host (without a trailing dot) and the path of an `http(s)` URL.
fn host_and_path(url: &str) -> Option<(String, &str)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    // Credentials are refused when sending; a host is what follows them.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => host_port,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let path = after.split(['?', '#']).next().unwrap_or("");
    Some((host, path))
}

/// One attempt at delivering one webhook. `Debug` shows the URL redacted.
#[derive(Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// The subscriber's URL.
    pub url: &'a str,
    /// The `webhook-id`: the delivery's uuid, stable across retries.
    pub message_id: &'a str,
    /// The `webhook-timestamp`: when this attempt is made, in unix seconds.
    pub timestamp: i64,
    /// The body, JSON: `{"delivered_for": {"uuid", "name"}, "event": <payload>}`.
    pub payload: &'a str,
    /// How to encode the body.
    pub content_type: ContentType,
    /// The secrets to sign with: the current one first, then the previous one while a
    /// rotation is in progress.
    pub secrets: &'a [Secret],
    /// How the server certificate is checked; `None`: the defaults (verified against the
    /// system's roots).
    pub tls: Option<&'a WebhookTls>,
}

impl std::fmt::Debug for WebhookRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRequest")
            .field("url", &crate::redact::Redacted(Some(self.url)))
            .field("message_id", &self.message_id)
            .field("timestamp", &self.timestamp)
            .field("payload", &self.payload)
            .field("content_type", &self.content_type)
            .field("secrets", &self.secrets)
            .field("tls", &self.tls)
            .finish()
    }
}

/// One event for the analytics backend.
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsMessage<'a> {
    /// The event type, e.g. `project:created`.
    pub event_type: &'a str,
    /// The delivery's uuid: one per event for the one analytics subscriber, stable across
    /// retries, so the backend can drop duplicates.
    pub uuid: uuid::Uuid,
    /// When the event happened.
    pub timestamp: Timestamp,
    /// The anonymized telemetry payload, JSON.
    pub properties: &'a str,
}

#[cfg(test)]
mod tests {
    use super::ContentType;

    #[test]
    fn names_round_trip() {
        for content_type in ContentType::ALL {
            assert_eq!(
                ContentType::from_name(content_type.as_str()),
                Some(content_type)
            );
        }
        assert_eq!(ContentType::from_name("Slack"), None);
        assert_eq!(ContentType::from_name("auto"), None);
    }

    #[test]
    fn chat_apps_are_detected_from_the_host() {
        let cases = [
            (
                "https://hooks.slack.com/services/T0/B0/XXXX",
                ContentType::Slack,
            ),
            (
                "https://HOOKS.SLACK.COM./services/T0/B0/XXXX",
                ContentType::Slack,
            ),
            (
                "https://discord.com/api/webhooks/1/abc",
                ContentType::Discord,
            ),
            (
                "https://canary.discord.com/api/webhooks/1/abc",
                ContentType::Discord,
            ),
            (
                "https://discordapp.com/api/webhooks/1/abc?wait=true",
                ContentType::Discord,
            ),
            (
                "https://contoso.webhook.office.com/webhookb2/x@y/IncomingWebhook/z/w",
                ContentType::Teams,
            ),
            (
                "https://prod-01.westus.logic.azure.com:443/workflows/1/triggers/manual/paths/invoke",
                ContentType::Teams,
            ),
            (
                "https://default1.environment.api.powerautomate.com/powerautomate/automations/direct/workflows/1",
                ContentType::Teams,
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(ContentType::detect(url), expected, "{url}");
        }
    }

    #[test]
    fn anything_else_is_json() {
        for url in [
            "https://example.com/hooks",
            "https://hooks.slack.com.evil.example/services/x",
            "https://evilhooks.slack.com/services/x",
            "https://notdiscord.com/api/webhooks/1/abc",
            "https://discord.com/channels/1/2",
            "https://discord.com.example/api/webhooks/1/abc",
            "https://logic.azure.com.example/workflows",
            "https://example.com/?u=https://hooks.slack.com/",
            "https://hooks.slack.com@example.com/services/x",
            "ftp://hooks.slack.com/x",
            "not a url",
            "",
        ] {
            assert_eq!(ContentType::detect(url), ContentType::Json, "{url}");
        }
    }
}
