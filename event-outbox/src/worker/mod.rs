//! Delivering the outbox: the [`Deliverer`] the worker sends through, the requests it
//! hands over, and (with the `store` feature) the [`Worker`] itself.
//!
//! The webhook body wraps the payload recorded with the event as the reference system
//! does, `{"delivered_for": {"uuid": ..., "name": ...}, "event": <payload>}`: the receiver
//! learns which of its subscriptions the delivery is for, never the URL or the secret.
//! The wrapper is built when the delivery is sent, from the subscriber as it is then.

mod deliverer;
#[cfg(feature = "http")]
mod http;
pub mod request;
#[cfg(feature = "_store")]
mod run;

pub use deliverer::Deliverer;
#[cfg(feature = "http")]
pub use http::HttpDeliverer;
pub use request::{AnalyticsMessage, ContentType, WebhookRequest};
#[cfg(feature = "_store")]
pub use run::{Worker, WorkerConfig, WorkerHandle};
