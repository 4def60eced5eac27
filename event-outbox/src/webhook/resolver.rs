//! Name resolution that applies the address policy at connect time.
//!
//! Checking the URL's host name before sending is not enough: the name may resolve to a
//! private address, or to a public one at check time and a private one at connect time
//! (DNS rebinding). The client resolves through this resolver, which drops refused
//! addresses from the answer it connects with.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{AddressPolicy, RefusedAddress};

/// Resolves with the system resolver, keeping only the addresses `policy` allows.
#[derive(Debug)]
pub(crate) struct PolicyResolver {
    pub(crate) policy: Arc<AddressPolicy>,
}

/// A name that resolved to no address at all.
#[derive(Debug, thiserror::Error)]
#[error("the host name resolved to no address")]
struct NoAddress;

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            // Port 0: the connector puts the URL's port in.
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let mut refused: Option<RefusedAddress> = None;
            let allowed: Vec<SocketAddr> = found
                .filter(|address| match policy.check(address.ip()) {
                    Ok(()) => true,
                    Err(error) => {
                        refused.get_or_insert(error);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                return Err(match refused {
                    Some(refused) => refused.into(),
                    None => NoAddress.into(),
                });
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}
