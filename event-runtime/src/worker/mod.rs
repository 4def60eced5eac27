//! The delivery worker: claims due deliveries and hands them to the senders.

pub mod request;
pub use request::*;
