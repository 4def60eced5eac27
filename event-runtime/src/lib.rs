//! The runtime that generated event code calls.
//!
//! Not implemented yet: the outbox store, the delivery worker, webhook signing and the
//! analytics sink arrive with their own issue.
