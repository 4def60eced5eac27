//! What the worker sends through.

use std::future::Future;

use super::request::{AnalyticsMessage, WebhookRequest};
use crate::Attempt;

/// Sends deliveries: the HTTP senders implement it (and tests, with a fake).
///
/// Each call is one attempt; the worker records what it came to and schedules the next
/// attempt from it. Implementations do not retry on their own.
pub trait Deliverer: Send + Sync + 'static {
    /// Sends one webhook.
    fn webhook(&self, request: WebhookRequest<'_>) -> impl Future<Output = Attempt> + Send;

    /// Sends a batch of analytics messages; the attempt applies to each of them.
    fn analytics(&self, batch: &[AnalyticsMessage<'_>]) -> impl Future<Output = Attempt> + Send;
}
