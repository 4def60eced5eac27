//! The HTTP clients of a sender: one per distinct TLS setting, built alike (the address
//! policy's resolver, the timeouts, no proxy, no redirects) but for how they check the
//! server certificate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::redirect;
use sha2::{Digest, Sha256};

use super::AddressPolicy;
use super::resolver::PolicyResolver;
use crate::tls::WebhookTls;

/// The most clients kept for non-default TLS settings; past it, one is dropped (its
/// connections close once their requests end) to make room.
pub(super) const MAX_TLS_CLIENTS: usize = 64;

/// What every client of a sender shares.
#[derive(Debug)]
pub(super) struct ClientSettings {
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) user_agent: String,
    pub(super) policy: Arc<AddressPolicy>,
}

impl ClientSettings {
    /// A client checking certificates as `tls` says.
    pub(super) fn build(&self, tls: &WebhookTls) -> Result<reqwest::Client, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            // A proxy would connect on our behalf, past the resolver's address check.
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver {
                policy: Arc::clone(&self.policy),
            }));
        if let Some(pem) = tls.ca_pem() {
            // Added to the system's roots, not instead of them.
            builder =
                builder.tls_certs_merge(reqwest::Certificate::from_pem_bundle(pem.as_bytes())?);
        }
        if !tls.verifies() {
            tracing::warn!(
                "building an HTTP client that does NOT verify TLS certificates, for webhooks \
                 set to `insecure_no_verify`: their deliveries can be read and changed on the way"
            );
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        builder.build()
    }
}

/// The clients for non-default TLS settings, built when first needed and kept (at most
/// [`MAX_TLS_CLIENTS`]), keyed by a digest of the settings.
#[derive(Debug, Clone, Default)]
pub(super) struct TlsClients {
    clients: Arc<Mutex<HashMap<[u8; 32], reqwest::Client>>>,
}

impl TlsClients {
    /// The client for `tls`, built by `settings` unless kept already. The error says why
    /// it could not be built, for the attempt log.
    pub(super) fn get(
        &self,
        settings: &ClientSettings,
        tls: &WebhookTls,
    ) -> Result<reqwest::Client, String> {
        let key = key(tls);
        if let Some(client) = self.lock().get(&key) {
            return Ok(client.clone());
        }
        // Settings saved by the store were checked; a row changed by hand may not be.
        tls.check().map_err(|invalid| {
            format!(
                "the webhook's TLS settings cannot be used: {}",
                invalid.problem
            )
        })?;
        // Built unlocked: two sends may both build one, and one is kept.
        let client = settings.build(tls).map_err(|error| {
            format!(
                "the webhook's TLS settings cannot be used: {}",
                crate::transport::error_chain(error)
            )
        })?;
        let mut clients = self.lock();
        if clients.len() >= MAX_TLS_CLIENTS
            && !clients.contains_key(&key)
            && let Some(evicted) = clients.keys().next().copied()
        {
            clients.remove(&evicted);
        }
        Ok(clients.entry(key).or_insert(client).clone())
    }

    /// How many clients are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], reqwest::Client>> {
        // A panic while holding it cannot leave the map inconsistent.
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The digest of the settings: the verify flag, then the CA PEM.
fn key(tls: &WebhookTls) -> [u8; 32] {
    let mut digest = Sha256::new();
    digest.update([u8::from(tls.verifies())]);
    if let Some(pem) = tls.ca_pem() {
        digest.update([1]);
        digest.update(pem.as_bytes());
    }
    digest.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ClientSettings {
        ClientSettings {
            timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            user_agent: "test".to_owned(),
            policy: Arc::new(AddressPolicy::public_only()),
        }
    }

    #[test]
    fn keys_differ_by_verify_flag_and_pem() {
        let keys = [
            key(&WebhookTls::default()),
            key(&WebhookTls::insecure_no_verify()),
            key(&WebhookTls::with_ca_pem("a")),
            key(&WebhookTls::with_ca_pem("b")),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(key(&WebhookTls::with_ca_pem("a")), keys[2]);
    }

    #[tokio::test]
    async fn one_client_per_setting_is_kept_and_the_cache_is_bounded() {
        let settings = settings();
        let clients = TlsClients::default();
        let insecure = WebhookTls::insecure_no_verify();
        clients.get(&settings, &insecure).expect("a client");
        clients.get(&settings, &insecure).expect("the same client");
        assert_eq!(clients.len(), 1);
        // Distinct settings, beyond the bound: the count stays at the bound. (Text around
        // PEM sections is ignored, so one CA makes many distinct settings.)
        let key = rcgen::KeyPair::generate().expect("a key");
        let mut params = rcgen::CertificateParams::new(Vec::new()).expect("parameters");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).expect("a CA").pem();
        for n in 0..MAX_TLS_CLIENTS + 5 {
            let tls = WebhookTls::with_ca_pem(format!("{ca}# {n}\n"));
            clients.get(&settings, &tls).expect("a client");
            assert!(clients.len() <= MAX_TLS_CLIENTS);
        }
        assert_eq!(clients.len(), MAX_TLS_CLIENTS);
    }

    std::thread_local! {
        /// This crate's `warn` events on this thread.
        static WARNINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Counts this crate's `warn` events, per thread. Installed as the process's default
    /// (once): a scoped default can miss events while other tests' threads register
    /// callsites without one.
    struct Warnings;

    impl tracing::Subscriber for Warnings {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let metadata = event.metadata();
            if *metadata.level() == tracing::Level::WARN
                && metadata.target().starts_with("event_outbox")
            {
                WARNINGS.with(|count| count.set(count.get() + 1));
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[tokio::test]
    async fn a_client_that_does_not_verify_is_logged_each_time_one_is_built() {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            tracing::subscriber::set_global_default(Warnings).expect("the only global one");
        });
        let warnings = || WARNINGS.with(std::cell::Cell::get);
        let before = warnings();
        let settings = settings();
        let clients = TlsClients::default();
        settings.build(&WebhookTls::default()).expect("a client");
        assert_eq!(warnings(), before);
        clients
            .get(&settings, &WebhookTls::insecure_no_verify())
            .expect("a client");
        assert_eq!(warnings(), before + 1);
        // Kept: not built again.
        clients
            .get(&settings, &WebhookTls::insecure_no_verify())
            .expect("a client");
        assert_eq!(warnings(), before + 1);
        settings
            .build(&WebhookTls::insecure_no_verify())
            .expect("a client");
        assert_eq!(warnings(), before + 2);
    }

    #[tokio::test]
    async fn an_unreadable_pem_is_a_clear_error() {
        let tls =
            WebhookTls::with_ca_pem("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n");
        let error = TlsClients::default()
            .get(&settings(), &tls)
            .expect_err("not PEM");
        assert!(error.contains("TLS settings cannot be used"), "{error}");
    }
}
