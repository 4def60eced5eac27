//! HTTP plumbing the senders share: building clients, and turning a response or an
//! error into an [`Attempt`](crate::Attempt).

mod response;
mod retry_after;

pub(crate) use response::{Limits, attempt, error_chain, find_cause, refused};

/// Why a sender's HTTP client could not be built (e.g. the TLS backend failed to load).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(#[source] pub(crate) reqwest::Error);
