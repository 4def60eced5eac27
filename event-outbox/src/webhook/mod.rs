//! Webhooks: Standard Webhooks signatures, the address policy against SSRF, the sender
//! that makes one delivery attempt, and its clients per TLS setting ([`WebhookTls`]).

mod address;
mod body;
mod chat;
mod resolver;
mod sender;
mod signature;
mod tls;

pub use crate::tls::WebhookTls;
pub use address::{AddressPolicy, Cidr, InvalidCidr, RefusedAddress, RefusedPort, refused_range};
pub use chat::{ChatMessages, InvalidMessageTemplate};
pub use sender::{InvalidWebhookConfig, WebhookConfig, WebhookSender, WebhookSetupError};
pub use signature::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign, signature_header};
