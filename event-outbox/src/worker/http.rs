//! The deliverer of a deployment: webhooks over HTTP, telemetry to the analytics sink.

use std::time::Duration;

use crate::analytics_sink::AnalyticsSender;
use crate::delivery::{AnalyticsMessage, Deliverer, WebhookRequest};
use crate::webhook::WebhookSender;
use crate::{Attempt, Outcome};

/// Sends webhooks with a [`WebhookSender`] and analytics batches with an
/// [`AnalyticsSender`], when analytics is configured.
#[derive(Debug)]
pub struct HttpDeliverer {
    webhooks: WebhookSender,
    analytics: Option<AnalyticsSender>,
}

impl HttpDeliverer {
    /// A deliverer sending webhooks through `webhooks` and telemetry through `analytics`
    /// (`None`: analytics is disabled, and analytics deliveries are refused).
    pub fn new(webhooks: WebhookSender, analytics: Option<AnalyticsSender>) -> Self {
        Self {
            webhooks,
            analytics,
        }
    }
}

impl Deliverer for HttpDeliverer {
    async fn webhook(&self, request: WebhookRequest<'_>) -> Attempt {
        self.webhooks.send(&request).await
    }

    async fn analytics(&self, batch: &[AnalyticsMessage<'_>]) -> Attempt {
        match &self.analytics {
            Some(sender) => sender.send_batch(batch).await,
            // Dead at once, and redrivable once analytics is configured.
            None => Attempt {
                outcome: Outcome::Refused,
                status: None,
                duration: Duration::ZERO,
                detail: "analytics is not configured".to_owned(),
            },
        }
    }
}
