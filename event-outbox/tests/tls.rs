//! TLS per webhook, end to end through the worker, against a local HTTPS receiver whose
//! certificate is issued by a CA made at test time (so no system root trusts it): by
//! default the delivery fails on the certificate and is retried; with the CA's PEM, or
//! with verification turned off, it is delivered, signed; a PEM that is not certificates
//! is refused when saved (and, changed by hand in the table, when sent); changed settings
//! are used from the next delivery on; a ping uses the settings it is given.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use common::{count, eventually};
use event_outbox::delivery::ContentType;
use event_outbox::store::{NewWebhook, Scope, Store, StoreError, WebhookUpdate};
use event_outbox::webhook::{AddressPolicy, HEADER_SIGNATURE, WebhookConfig, WebhookSender};
use event_outbox::worker::{HttpDeliverer, Worker, WorkerConfig, WorkerHandle};
use event_outbox::{Outcome, Secret, WebhookTls};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA and a server certificate for 127.0.0.1 that it issued.
struct Certificates {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn certificates() -> Certificates {
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Test internal CA");
    let ca = ca_params.self_signed(&ca_key).expect("the CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("a server key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("server parameters")
        .signed_by(&key, &issuer)
        .expect("the server certificate");
    Certificates {
        ca_pem: ca.pem(),
        chain: vec![server.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// One request as the HTTPS receiver read it.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
}

/// An HTTPS receiver on 127.0.0.1 answering every request `200 ok`; it records the
/// requests it read, and counts the handshakes that failed.
struct HttpsReceiver {
    address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl HttpsReceiver {
    async fn start(certificates: &Certificates) -> Self {
        // Both of rustls' crypto providers are built in the tests: name one.
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                certificates.chain.clone(),
                PrivateKeyDer::Pkcs8(certificates.key.clone_key()),
            )
            .expect("a server configuration");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("an address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let requests = Arc::clone(&requests);
                tokio::spawn(async move {
                    // A client that refused the certificate ends the handshake.
                    let Ok(mut stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    while let Some(request) = read_request(&mut stream).await {
                        requests.lock().expect("not poisoned").push(request);
                        let answer = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { address, received }
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.address)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }
}

/// Reads one HTTP/1.1 request with a `content-length` body; `None` at the end of the
/// stream or on anything else.
async fn read_request<S: AsyncReadExt + Unpin>(stream: &mut S) -> Option<Received> {
    let mut buffer = Vec::new();
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0; 4096];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = std::str::from_utf8(&buffer[..end]).ok()?;
    let mut headers = HeaderMap::new();
    for line in head.lines().skip(1) {
        let (name, value) = line.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    let length: usize = headers.get("content-length")?.to_str().ok()?.parse().ok()?;
    let mut body = buffer[end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0; 4096];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    body.truncate(length);
    Some(Received { headers, body })
}

/// The real HTTP sender, allowed to send to 127.0.0.1.
fn sender() -> WebhookSender {
    WebhookSender::new(WebhookConfig {
        addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse().expect("a CIDR")),
        timeout: Duration::from_secs(5),
        ..WebhookConfig::default()
    })
    .expect("a sender")
}

/// The real worker and HTTP sender, polling often.
fn worker(store: &Store) -> WorkerHandle {
    Worker::new(store.clone(), Arc::new(HttpDeliverer::new(sender(), None)))
        .config(
            WorkerConfig::default()
                .poll_interval(Duration::from_millis(50))
                .shutdown_grace(Duration::from_secs(5)),
        )
        .expect("a valid worker configuration")
        .spawn()
}

/// A webhook to `url` with `tls`, subscribed to `project:created`; its uuid and secret.
async fn webhook(store: &Store, url: String, tls: WebhookTls) -> (uuid::Uuid, Secret) {
    let created = store
        .create_webhook(NewWebhook {
            tls,
            ..NewWebhook::new("internal", url)
        })
        .await
        .expect("create");
    store
        .subscribe(created.subscriber.uuid, "project:created", Scope::global())
        .await
        .expect("subscribe");
    (created.subscriber.uuid, created.secret)
}

/// The deliveries of `hook` with a failed attempt whose detail names the certificate.
async fn certificate_failures(store: &Store, hook: uuid::Uuid) -> i64 {
    count(
        store,
        &format!(
            r#"SELECT COUNT(DISTINCT "delivery_uuid") FROM "eventgen_delivery_attempts" WHERE "subscriber_uuid" = '{hook}'
               AND "outcome" = 'retry' AND "status_code" = 0 AND "detail" LIKE '%invalid peer certificate%'"#
        ),
    )
    .await
}

/// Waits for `n` requests at `receiver`, and checks each is signed with `secret`.
async fn delivered_signed(receiver: &HttpsReceiver, n: usize, secret: &Secret) {
    eventually(Duration::from_secs(10), "the deliveries", || {
        let got = receiver.received().len();
        async move { got >= n }
    })
    .await;
    let verifier = standardwebhooks::Webhook::new(secret.as_str()).expect("a verifier");
    for request in receiver.received() {
        assert!(request.headers.contains_key(HEADER_SIGNATURE));
        verifier
            .verify(&request.body, &request.headers)
            .expect("a valid signature");
    }
}

both!(
    the_default_refuses_a_certificate_no_system_root_trusts,
    |store: Store| async move {
        let certificates = certificates();
        let receiver = HttpsReceiver::start(&certificates).await;
        let (hook, _) = webhook(&store, receiver.url("/in"), WebhookTls::default()).await;
        let listed = store.subscriber(hook).await.expect("read").expect("listed");
        assert!(listed.tls.is_default());
        let worker = worker(&store);
        common::record_created(&store, 1).await;
        eventually(Duration::from_secs(10), "a certificate failure", || {
            let store = store.clone();
            async move { certificate_failures(&store, hook).await == 1 }
        })
        .await;
        worker.shutdown().await.expect("shut down");
        assert!(receiver.received().is_empty(), "nothing was sent in clear");
        // Retried later, not given up.
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "status" = 'pending'"#
            )
            .await,
            1
        );
    }
);

both!(
    a_webhook_trusting_the_ca_is_delivered_signed,
    |store: Store| async move {
        let certificates = certificates();
        let receiver = HttpsReceiver::start(&certificates).await;
        let tls = WebhookTls::with_ca_pem(certificates.ca_pem.clone());
        let (hook, secret) = webhook(&store, receiver.url("/in"), tls).await;
        let listed = store.subscriber(hook).await.expect("read").expect("listed");
        assert_eq!(listed.tls.ca_pem(), Some(certificates.ca_pem.as_str()));
        assert!(listed.tls.verifies());
        assert!(!format!("{listed:?}").contains("BEGIN CERTIFICATE"));
        let worker = worker(&store);
        common::record_created(&store, 2).await;
        delivered_signed(&receiver, 2, &secret).await;
        eventually(Duration::from_secs(10), "an empty outbox", || {
            let store = store.clone();
            async move { count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await == 0 }
        })
        .await;
        worker.shutdown().await.expect("shut down");
        assert_eq!(certificate_failures(&store, hook).await, 0);
    }
);

both!(
    a_webhook_without_verification_is_delivered,
    |store: Store| async move {
        let certificates = certificates();
        let receiver = HttpsReceiver::start(&certificates).await;
        let (hook, secret) = webhook(
            &store,
            receiver.url("/in"),
            WebhookTls::insecure_no_verify(),
        )
        .await;
        let listed = store.subscriber(hook).await.expect("read").expect("listed");
        assert!(!listed.tls.verifies());
        let worker = worker(&store);
        common::record_created(&store, 1).await;
        delivered_signed(&receiver, 1, &secret).await;
        worker.shutdown().await.expect("shut down");
    }
);

both!(
    a_pem_that_is_not_certificates_is_refused_when_saved,
    |store: Store| async move {
        let certificates = certificates();
        let key = KeyPair::generate().expect("a key").serialize_pem();
        let bad = [
            ("not a certificate", "holds no certificate"),
            (
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
                "not valid base64",
            ),
            (&key, "is a private key"),
        ];
        for (pem, problem) in bad {
            let error = store
                .create_webhook(NewWebhook {
                    tls: WebhookTls::with_ca_pem(pem),
                    ..NewWebhook::new("hook", "https://hook.example/")
                })
                .await
                .expect_err("a bad PEM");
            let message = error.to_string();
            assert!(matches!(error, StoreError::Invalid { .. }), "{message}");
            assert!(message.contains("TLS"), "{message}");
            assert!(message.contains(problem), "{message}");
            assert!(!message.contains("PRIVATE KEY"), "{message}");
        }
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_subscribers""#).await,
            0,
            "nothing written"
        );
        // An update is checked the same way, and leaves the settings as they were.
        let (hook, _) = webhook(
            &store,
            "https://hook.example/".to_owned(),
            WebhookTls::with_ca_pem(certificates.ca_pem.clone()),
        )
        .await;
        let update = WebhookUpdate {
            tls: Some(WebhookTls::with_ca_pem(key.clone())),
            ..WebhookUpdate::default()
        };
        let error = store
            .update_subscriber(hook, update)
            .await
            .expect_err("a private key");
        assert!(matches!(error, StoreError::Invalid { .. }), "{error}");
        let listed = store.subscriber(hook).await.expect("read").expect("listed");
        assert_eq!(listed.tls.ca_pem(), Some(certificates.ca_pem.as_str()));
        // Only webhooks have TLS settings.
        let analytics = store
            .ensure_analytics_subscriber("analytics", common::EVENT_TYPES)
            .await
            .expect("analytics");
        let update = WebhookUpdate {
            tls: Some(WebhookTls::insecure_no_verify()),
            ..WebhookUpdate::default()
        };
        let error = store
            .update_subscriber(analytics.uuid, update)
            .await
            .expect_err("not a webhook");
        assert!(error.to_string().contains("only webhooks"), "{error}");
    }
);

both!(
    changed_settings_are_used_from_the_next_delivery_on,
    |store: Store| async move {
        let certificates = certificates();
        let receiver = HttpsReceiver::start(&certificates).await;
        let (hook, secret) = webhook(&store, receiver.url("/in"), WebhookTls::default()).await;
        let worker = worker(&store);
        common::record_created(&store, 1).await;
        eventually(Duration::from_secs(10), "a certificate failure", || {
            let store = store.clone();
            async move { certificate_failures(&store, hook).await == 1 }
        })
        .await;

        // Trusting the CA: the next delivery goes through, on the same worker.
        let update = WebhookUpdate {
            tls: Some(WebhookTls::with_ca_pem(certificates.ca_pem.clone())),
            ..WebhookUpdate::default()
        };
        let updated = store.update_subscriber(hook, update).await.expect("update");
        assert!(updated.tls.ca_pem().is_some());
        common::record_created(&store, 1).await;
        delivered_signed(&receiver, 1, &secret).await;

        // Back to the defaults: refused again (the first delivery's retries, if any, count
        // once).
        let update = WebhookUpdate {
            tls: Some(WebhookTls::default()),
            ..WebhookUpdate::default()
        };
        let updated = store.update_subscriber(hook, update).await.expect("update");
        assert!(updated.tls.is_default());
        let before = certificate_failures(&store, hook).await;
        let delivered = receiver.received().len();
        common::record_created(&store, 1).await;
        eventually(
            Duration::from_secs(10),
            "another certificate failure",
            || {
                let store = store.clone();
                async move { certificate_failures(&store, hook).await > before }
            },
        )
        .await;
        worker.shutdown().await.expect("shut down");
        assert_eq!(receiver.received().len(), delivered);
    }
);

#[tokio::test]
async fn a_ping_checks_the_certificate_as_the_settings_say() {
    let elsewhere = certificates();
    let certificates = certificates();
    let receiver = HttpsReceiver::start(&certificates).await;
    let sender = sender();
    let url = receiver.url("/ping");
    let secrets = [Secret::generate()];
    let refused = sender.ping(&url, &secrets, ContentType::Json).await;
    assert_eq!(
        refused.outcome,
        Outcome::Retry { not_before: None },
        "{refused:?}"
    );
    assert_eq!(refused.status, None);
    assert!(
        refused.detail.contains("invalid peer certificate"),
        "{refused:?}"
    );
    for tls in [
        WebhookTls::with_ca_pem(certificates.ca_pem.clone()),
        WebhookTls::insecure_no_verify(),
    ] {
        let attempt = sender
            .ping_with_tls(&url, &secrets, ContentType::Json, &tls)
            .await;
        assert_eq!(attempt.outcome, Outcome::Delivered, "{tls:?}: {attempt:?}");
    }
    // The CA of another receiver is no help.
    let other = WebhookTls::with_ca_pem(elsewhere.ca_pem);
    let attempt = sender
        .ping_with_tls(&url, &secrets, ContentType::Json, &other)
        .await;
    assert!(
        attempt.detail.contains("invalid peer certificate"),
        "{attempt:?}"
    );
    assert_eq!(receiver.received().len(), 2);
}

both!(
    a_stored_pem_changed_by_hand_is_refused_when_sent,
    |store: Store| async move {
        let certificates = certificates();
        let receiver = HttpsReceiver::start(&certificates).await;
        let (hook, _) = webhook(&store, receiver.url("/in"), WebhookTls::default()).await;
        common::execute(
            &store,
            &format!(
                r#"UPDATE "eventgen_subscribers" SET "tls_ca_pem" = 'not a certificate' WHERE "uuid" = '{hook}'"#
            ),
        )
        .await;
        let listed = store.subscriber(hook).await.expect("read").expect("listed");
        assert_eq!(listed.tls.ca_pem(), Some("not a certificate"));
        let worker = worker(&store);
        common::record_created(&store, 1).await;
        common::a_dead_delivery(&store).await;
        worker.shutdown().await.expect("shut down");
        let dead = store.dead_deliveries(None, 10).await.expect("dead");
        let reason = dead[0].last_error.clone().unwrap_or_default();
        assert!(reason.contains("TLS settings cannot be used"), "{reason}");
        assert!(reason.contains("holds no certificate"), "{reason}");
        assert!(receiver.received().is_empty());
    }
);
