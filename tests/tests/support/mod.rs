//! What the end-to-end tests, the demo and the delivery benchmark share: a real database
//! per run (with the committed migrations), a real HTTP receiver on 127.0.0.1, and the
//! runtime's HTTP deliverer pointed at it.

#![allow(dead_code, missing_docs)]

pub(crate) mod database;
pub(crate) mod receiver;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use event_outbox::analytics_sink::{AnalyticsConfig, AnalyticsSender};
use event_outbox::webhook::{AddressPolicy, WebhookConfig, WebhookSender};
use event_outbox::worker::HttpDeliverer;

/// The receivers live on loopback: allow exactly 127.0.0.1.
pub(crate) fn loopback_only() -> AddressPolicy {
    AddressPolicy::public_only().allow("127.0.0.1/32".parse().expect("a CIDR"))
}

/// Webhooks through `policy` with a request timeout of `timeout`; analytics to
/// `analytics_host` (a PostHog-like `{host}/batch/`) when given.
pub(crate) fn http_deliverer(
    policy: AddressPolicy,
    timeout: Duration,
    analytics_host: Option<String>,
) -> Arc<HttpDeliverer> {
    let webhooks = WebhookSender::new(WebhookConfig {
        addresses: policy,
        timeout,
        ..WebhookConfig::default()
    })
    .expect("a webhook sender");
    let analytics = analytics_host.map(|host| {
        let mut config = AnalyticsConfig::new(host, "phc_test_key", "installation-1");
        config
            .app_properties
            .insert("app_version".into(), "v2026.11".into());
        AnalyticsSender::new(config).expect("an analytics sender")
    });
    Arc::new(HttpDeliverer::new(webhooks, analytics))
}

/// Polls `condition` every 10 ms until it holds, failing after `timeout`.
pub(crate) async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A test per backend: `both!(name, scenario)` runs `scenario(store)` on SQLite as
/// `name::sqlite` and on PostgreSQL as `name::postgres`, each in a fresh database.
#[allow(unused_macros)]
macro_rules! both {
    ($name:ident, $scenario:expr) => {
        both!($name, $scenario, $crate::support::database::config());
    };
    ($name:ident, $scenario:expr, $config:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::support::database::with_store(
                    ::test_support::Backend::Sqlite,
                    $config,
                    $scenario,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::support::database::with_store(
                    ::test_support::Backend::Postgres,
                    $config,
                    $scenario,
                )
                .await;
            }
        }
    };
}
