//! The deliverer of a deployment: webhooks over HTTP, telemetry to the analytics sink,
//! and (with the `nats` feature) stream messages to NATS JetStream.

use crate::Attempt;
use crate::analytics_sink::AnalyticsSender;
#[cfg(feature = "nats")]
use crate::delivery::StreamMessage;
use crate::delivery::{AnalyticsMessage, Deliverer, WebhookRequest};
#[cfg(feature = "nats")]
use crate::stream::StreamPublisher;
use crate::webhook::WebhookSender;

/// Sends webhooks with a [`WebhookSender`] and analytics batches with an
/// [`AnalyticsSender`], when analytics is configured; with the `nats` feature, publishes
/// stream deliveries with a `StreamPublisher`, when one is set
/// ([`HttpDeliverer::with_streams`]).
#[derive(Debug)]
pub struct HttpDeliverer {
    webhooks: WebhookSender,
    analytics: Option<AnalyticsSender>,
    #[cfg(feature = "nats")]
    streams: Option<StreamPublisher>,
}

impl HttpDeliverer {
    /// A deliverer sending webhooks through `webhooks` and telemetry through `analytics`
    /// (`None`: analytics is disabled, and analytics deliveries are refused). Stream
    /// deliveries are refused until a publisher is set.
    pub fn new(webhooks: WebhookSender, analytics: Option<AnalyticsSender>) -> Self {
        Self {
            webhooks,
            analytics,
            #[cfg(feature = "nats")]
            streams: None,
        }
    }

    /// Publishes stream deliveries through `publisher`.
    #[cfg(feature = "nats")]
    pub fn with_streams(mut self, publisher: StreamPublisher) -> Self {
        self.streams = Some(publisher);
        self
    }
}

/// A delivery refused because its sender is not configured: dead at once, and
/// redrivable once it is.
fn not_configured(what: &str) -> Attempt {
    Attempt::refused(format!("{what} is not configured"))
}

impl Deliverer for HttpDeliverer {
    async fn webhook(&self, request: WebhookRequest<'_>) -> Attempt {
        self.webhooks.send(&request).await
    }

    async fn analytics(&self, batch: &[AnalyticsMessage<'_>]) -> Attempt {
        match &self.analytics {
            Some(sender) => sender.send_batch(batch).await,
            None => not_configured("analytics"),
        }
    }

    #[cfg(feature = "nats")]
    async fn stream(&self, message: StreamMessage<'_>) -> Attempt {
        match &self.streams {
            Some(publisher) => publisher.publish(&message).await,
            None => not_configured("the stream publisher (`HttpDeliverer::with_streams`)"),
        }
    }
}
