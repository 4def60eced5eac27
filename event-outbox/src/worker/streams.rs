//! Stream deliveries as the worker hands them to the deliverer: the subject from the
//! subscriber's prefix and the event type, the delivery's uuid as the message id, and the
//! payload's version for the headers.

use crate::Attempt;
use crate::delivery::{Deliverer, StreamMessage};
use crate::store::ClaimedDelivery;
use crate::stream::{payload_version, subject};

/// Publishes one stream delivery, or refuses it when its subscriber or its event type
/// cannot make a message (dead at once, redrivable after the fix).
pub(super) async fn send<D: Deliverer>(deliverer: &D, delivery: &ClaimedDelivery) -> Attempt {
    let target = &delivery.target;
    let (Some(url), Some(settings)) = (target.url.as_deref(), target.stream.as_ref()) else {
        return Attempt::refused("the stream subscriber has no NATS server URL".to_owned());
    };
    let subject = match subject(settings.subject_prefix.as_deref(), &delivery.event_type) {
        Ok(subject) => subject,
        Err(error) => return Attempt::refused(error.to_string()),
    };
    let message_id = delivery.uuid.to_string();
    deliverer
        .stream(StreamMessage {
            url,
            subject_prefix: settings.prefix(),
            subject: &subject,
            message_id: &message_id,
            event_type: &delivery.event_type,
            timestamp: delivery.event_timestamp,
            payload_kind: settings.payload,
            version: payload_version(settings.payload, &delivery.payload),
            payload: &delivery.payload,
        })
        .await
}
