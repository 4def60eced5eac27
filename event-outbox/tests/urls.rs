//! Webhook URLs and addresses: credentials in URLs are refused, URLs are redacted
//! wherever they are printed, refusals tell users nothing about the network (the details
//! go to the logs), ports can be allow-listed, and the allow-list judges the canonical
//! address. Sending goes to real receivers on 127.0.0.1.

mod common;
#[allow(dead_code)]
#[path = "delivery/receiver.rs"]
mod receiver;

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use event_outbox::delivery::{ContentType, WebhookRequest};
use event_outbox::store::{NewWebhook, Scope, Store, StoreError, WebhookUpdate};
use event_outbox::webhook::{AddressPolicy, WebhookConfig, WebhookSender};
use event_outbox::worker::{HttpDeliverer, Worker};
use event_outbox::{Outcome, Secret, redact_url};
use receiver::Receiver;
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber, span};

const TOKEN: &str = "tok3n-s3cr3t";
const PASSWORD: &str = "hunter2-pw";

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

fn local_policy() -> AddressPolicy {
    AddressPolicy::public_only().allow("127.0.0.1/32".parse().expect("a CIDR"))
}

fn sender(addresses: AddressPolicy) -> WebhookSender {
    WebhookSender::new(WebhookConfig {
        addresses,
        timeout: Duration::from_secs(2),
        ..WebhookConfig::default()
    })
    .expect("a sender")
}

fn request<'a>(url: &'a str, secrets: &'a [Secret]) -> WebhookRequest<'a> {
    WebhookRequest {
        url,
        message_id: "msg_urls",
        timestamp: chrono::Utc::now().timestamp(),
        payload: "{}",
        content_type: ContentType::Json,
        secrets,
        tls: None,
    }
}

both!(userinfo_is_refused_when_saved, |store: Store| async move {
    let with_password = format!("https://alice:{PASSWORD}@hook.example/in");
    let error = store
        .create_webhook(NewWebhook::new("hook", &with_password))
        .await
        .expect_err("credentials in the URL");
    let message = error.to_string();
    assert!(matches!(error, StoreError::Invalid { .. }), "{message}");
    assert!(message.contains("credentials"), "{message}");
    assert!(!message.contains(PASSWORD), "{message}");
    // A user name alone is refused too.
    store
        .create_webhook(NewWebhook::new("hook", "https://alice@hook.example/"))
        .await
        .expect_err("a user name in the URL");
    let hook = store
        .create_webhook(NewWebhook::new("hook", "https://hook.example/in"))
        .await
        .expect("create")
        .subscriber
        .uuid;
    let update = WebhookUpdate {
        url: Some(with_password.clone()),
        ..WebhookUpdate::default()
    };
    let error = store
        .update_subscriber(hook, update)
        .await
        .expect_err("credentials in the URL");
    assert!(!error.to_string().contains(PASSWORD), "{error}");
    // An `@` in the path or the query is no credential.
    store
        .create_webhook(NewWebhook::new("hook", "https://hook.example/a@b?c=d@e"))
        .await
        .expect("an @ after the host");
    // Nothing refused was stored, and the update left the URL as it was.
    let stored = r#"SELECT COUNT(*) FROM "eventgen_subscribers" WHERE "url" LIKE '%hunter2%'"#;
    assert_eq!(common::count(&store, stored).await, 0);
    assert_eq!(
        common::count(&store, r#"SELECT COUNT(*) FROM "eventgen_subscribers""#).await,
        2
    );
});

both!(
    urls_are_redacted_in_debug_and_errors,
    |store: Store| async move {
        let url = format!("https://hook.example/in?token={TOKEN}#{TOKEN}");
        let new = NewWebhook::new("hook", &url);
        let created = store.create_webhook(new.clone()).await.expect("create");
        let update = WebhookUpdate {
            url: Some(url.clone()),
            ..WebhookUpdate::default()
        };
        let shown = format!("{new:?} {created:?} {update:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("https://hook.example/in"), "{shown}");
        // The stored URL itself is kept whole: the token is how the receiver knows us.
        assert_eq!(created.subscriber.url.as_deref(), Some(url.as_str()));
        let error = store
            .create_webhook(NewWebhook::new(
                "hook",
                format!("ftp://hook.example/?token={TOKEN}"),
            ))
            .await
            .expect_err("not http");
        assert!(!error.to_string().contains(TOKEN), "{error}");
    }
);

#[test]
fn redaction_keeps_scheme_host_and_path_only() {
    let cases = [
        (
            "https://u:p@hook.example:8443/a/b?token=x#frag",
            "https://hook.example:8443/a/b",
        ),
        ("http://hook.example", "http://hook.example"),
        ("https://[::1]:9000/p?q", "https://[::1]:9000/p"),
        ("http://@@host/x", "http://host/x"),
        ("http://host\\u:p@x/y", "http://host\\u:p@x/y"),
        ("http://u:p@host\\x@y", "http://host\\x@y"),
        ("not a url with token=x", "<invalid URL>"),
        ("", "<invalid URL>"),
    ];
    for (url, shown) in cases {
        assert_eq!(redact_url(url), shown, "{url}");
    }
}

#[tokio::test]
async fn the_sender_refuses_userinfo_and_sends_no_credential() {
    let receiver = Receiver::start().await;
    let url = format!("http://alice:{PASSWORD}@{}/in", receiver.address);
    let attempt = sender(local_policy())
        .send(&request(&url, &[Secret::generate()]))
        .await;
    assert_eq!(attempt.outcome, Outcome::Refused, "{attempt:?}");
    assert!(attempt.detail.contains("credentials"), "{attempt:?}");
    assert!(!format!("{attempt:?}").contains(PASSWORD), "{attempt:?}");
    assert!(receiver.received().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn request_debug_redacts_the_url() {
    let url = format!("https://hook.example/in?token={TOKEN}");
    let shown = format!("{:?}", request(&url, &[]));
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[tokio::test]
async fn refusals_are_generic_for_users_and_detailed_in_logs() {
    capture();
    let receiver = Receiver::start().await;
    let sender = sender(AddressPolicy::public_only());
    // An IP literal, checked before sending, and a name the resolver refuses.
    let literal = format!("http://10.0.0.5:{}/in?token={TOKEN}", receiver.port());
    let named = format!("http://localhost:{}/in?token={TOKEN}", receiver.port());
    for url in [literal, named] {
        let attempt = sender.send(&request(&url, &[])).await;
        assert_eq!(attempt.outcome, Outcome::Refused, "{attempt:?}");
        let detail = attempt.detail.to_lowercase();
        for leak in ["10.0.0.5", "127.0.0.1", "::1", "private", "loopback", TOKEN] {
            assert!(!detail.contains(leak), "`{leak}` in `{detail}`");
        }
        assert!(detail.contains("not allowed"), "{detail}");
    }
    assert!(receiver.received().is_empty());
    let port = receiver.port().to_string();
    let lines: Vec<String> = logged()
        .into_iter()
        .filter(|line| line.contains(&port))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("10.0.0.5") && l.contains("private")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("127.0.0.1") && l.contains("loopback")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.contains(TOKEN)), "{lines:?}");
}

#[test]
fn an_ipv6_allow_all_does_not_readmit_mapped_ipv4() {
    let policy = AddressPolicy::public_only().allow("::/0".parse().expect("a CIDR"));
    // Mapped, and the IPv6 forms that carry an IPv4 address a gateway turns into it
    // (NAT64, IPv4-compatible, 6to4): a private one stays refused.
    for refused in [
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "::10.0.0.1",
        "2002:a00:1::1",
        "2002:7f00:1::1",
    ] {
        assert!(policy.check(ip(refused)).is_err(), "{refused}");
    }
    for allowed in [
        "fd00::1",
        "::1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ] {
        assert_eq!(policy.check(ip(allowed)), Ok(()), "{allowed}");
    }
    // An IPv4 entry still admits the mapped form of its addresses.
    let v4 = AddressPolicy::public_only().allow("10.0.0.0/8".parse().expect("a CIDR"));
    assert_eq!(v4.check(ip("::ffff:10.0.0.1")), Ok(()));
}

#[tokio::test]
async fn an_allow_list_of_ports_refuses_other_ports() {
    let receiver = Receiver::start().await;
    let other = Receiver::start().await;
    let policy = local_policy().allow_ports([receiver.port()]);
    assert_eq!(policy.ports(), Some(&[receiver.port()][..]));
    let sender = sender(policy);
    let allowed = sender.send(&request(&receiver.url("/in"), &[])).await;
    assert_eq!(allowed.outcome, Outcome::Delivered, "{allowed:?}");
    let refused = sender.send(&request(&other.url("/in"), &[])).await;
    assert_eq!(refused.outcome, Outcome::Refused, "{refused:?}");
    assert!(refused.detail.contains("not allowed"), "{refused:?}");
    assert!(other.received().is_empty(), "nothing sent to another port");
    // The default lets any port through.
    let any = self::sender(local_policy());
    let attempt = any.send(&request(&other.url("/in"), &[])).await;
    assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
    // An https URL without a port is on 443.
    let https_only = AddressPolicy::public_only().allow_ports([443]);
    assert_eq!(https_only.check_port(443), Ok(()));
    assert!(https_only.check_port(80).is_err());
}

#[test]
fn hostile_webhook_configurations_are_refused_when_built() {
    type Change = fn(&mut WebhookConfig);
    let cases: [(&str, Change); 8] = [
        ("timeout", |c| c.timeout = Duration::ZERO),
        ("timeout", |c| c.timeout = Duration::MAX),
        ("connect_timeout", |c| c.connect_timeout = Duration::ZERO),
        ("connect_timeout", |c| c.connect_timeout = Duration::MAX),
        ("max_response_bytes", |c| c.max_response_bytes = 0),
        ("max_response_bytes", |c| c.max_response_bytes = usize::MAX),
        ("max_retry_after", |c| c.max_retry_after = Duration::MAX),
        ("user_agent", |c| c.user_agent = "a\nb".to_owned()),
    ];
    for (field, change) in cases {
        let mut config = WebhookConfig::default();
        change(&mut config);
        let error = WebhookSender::new(config).expect_err(field);
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    let ports = WebhookConfig {
        addresses: AddressPolicy::public_only().allow_ports([0]),
        ..WebhookConfig::default()
    };
    let error = WebhookSender::new(ports).expect_err("port 0");
    assert!(error.to_string().contains("port"), "{error}");
    WebhookSender::new(WebhookConfig::default()).expect("the defaults are valid");
}

both!(
    the_worker_leaks_no_token_password_or_secret,
    |store: Store| async move {
        capture();
        let receiver = Receiver::start().await;
        let secret = Secret::generate();
        let mut clean = NewWebhook::new("clean", receiver.url(&format!("/in?token={TOKEN}")));
        clean.secret = Some(secret.clone());
        let clean = store
            .create_webhook(clean)
            .await
            .expect("create")
            .subscriber
            .uuid;
        // A row saved before userinfo was refused: the sender refuses it.
        let legacy = store
            .create_webhook(NewWebhook::new("legacy", receiver.url("/legacy")))
            .await
            .expect("create")
            .subscriber
            .uuid;
        let with_password = format!("http://alice:{PASSWORD}@{}/legacy", receiver.address);
        common::execute(
            &store,
            &format!(
                r#"UPDATE "eventgen_subscribers" SET "url" = '{with_password}' WHERE "uuid" = '{legacy}'"#
            ),
        )
        .await;
        for hook in [clean, legacy] {
            store
                .subscribe(hook, "project:created", Scope::global())
                .await
                .expect("subscribe");
        }
        common::record_created(&store, 1).await;
        let deliverer = Arc::new(HttpDeliverer::new(sender(local_policy()), None));
        let worker = Worker::new(store.clone(), deliverer).spawn();
        common::a_dead_delivery(&store).await;
        common::eventually(Duration::from_secs(10), "the clean delivery", || {
            let received = receiver.received();
            async move { !received.is_empty() }
        })
        .await;
        worker.shutdown().await.expect("shut down");
        let received = receiver.received();
        assert_eq!(received.len(), 1, "only the clean webhook was sent to");
        assert!(received[0].headers.get("authorization").is_none());
        let dead = store.dead_deliveries(None, 10).await.expect("dead");
        let reason = dead[0].last_error.clone().unwrap_or_default();
        assert!(reason.contains("credentials"), "{reason}");
        let mut shown = format!("{dead:?}");
        for delivery in &dead {
            let attempts = store.attempts(delivery.uuid).await.expect("the log");
            let _ = write!(shown, "{attempts:?}");
        }
        // sqlx logs statement texts: this test's own UPDATE holds the password inline;
        // the store binds values, which sqlx never logs.
        let logs = logged()
            .into_iter()
            .filter(|l| !l.contains("db.statement="));
        shown.push_str(&logs.collect::<Vec<_>>().join("\n"));
        for leak in [TOKEN, PASSWORD, &secret.as_str()[6..]] {
            assert!(!shown.contains(leak), "`{leak}` leaked: {shown}");
        }
    }
);

/// Every event of the process, as `LEVEL field=value ...`.
static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn logged() -> Vec<String> {
    LOGGED.lock().expect("not poisoned").clone()
}

struct Capture;

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = event.metadata().level().to_string();
        event.record(&mut Fields(&mut line));
        LOGGED.lock().expect("not poisoned").push(line);
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Capture).expect("the only global subscriber");
    });
}
