//! Delivering the outbox: `Worker` (with a backend feature), which sends due deliveries
//! through a [`Deliverer`](crate::delivery::Deliverer), and `HttpDeliverer` (with the
//! `http` feature), the deliverer of a deployment.
//!
//! The webhook body wraps the payload recorded with the event as the reference system
//! does, `{"delivered_for": {"uuid": ..., "name": ...}, "event": <payload>}`: the receiver
//! learns which of its subscriptions the delivery is for, never the URL or the secret.
//! The wrapper is built when the delivery is sent, from the subscriber as it is then. A
//! chat subscriber (Slack, Discord, Teams) receives its app's body instead, which the
//! sender builds from that wrapper (see `webhook::ChatMessages`).

#[cfg(feature = "_store")]
mod config;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "_store")]
mod run;
#[cfg(feature = "_store")]
mod streams;

#[cfg(feature = "_store")]
pub use config::{Clock, InvalidWorkerConfig, WorkerConfig};
#[cfg(feature = "http")]
pub use http::HttpDeliverer;
#[cfg(feature = "_store")]
pub use run::{Worker, WorkerHandle};
