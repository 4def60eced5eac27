//! `WebhookSender` against a real receiver.

use std::sync::atomic::Ordering;
use std::time::Duration;

use event_outbox::delivery::{ContentType, WebhookRequest};
use event_outbox::webhook::{AddressPolicy, WebhookConfig, WebhookSender};
use event_outbox::{Outcome, Secret};

use crate::receiver::{Receiver, huge_body_server};

const PAYLOAD: &str =
    r#"{"type":"project:created","project":{"uuid":"5b4c0a3e","name":"a & b = c"}}"#;
const ID: &str = "0190b7e2-6f3c-7a4e-9d2b-1c2d3e4f5a6b";

/// Loopback allowed: the receivers live there.
fn local_config() -> WebhookConfig {
    WebhookConfig {
        addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse().unwrap()),
        timeout: Duration::from_secs(2),
        ..WebhookConfig::default()
    }
}

fn sender(config: WebhookConfig) -> WebhookSender {
    WebhookSender::new(config).unwrap()
}

fn request<'a>(url: &'a str, secrets: &'a [Secret]) -> WebhookRequest<'a> {
    WebhookRequest {
        url,
        message_id: ID,
        timestamp: chrono::Utc::now().timestamp(),
        payload: PAYLOAD,
        content_type: ContentType::Json,
        secrets,
        tls: None,
    }
}

fn retry_not_before(outcome: Outcome) -> Option<Duration> {
    match outcome {
        Outcome::Retry { not_before } => not_before,
        other => panic!("expected a retry, got {other:?}"),
    }
}

#[tokio::test]
async fn signed_json_with_a_stable_id_that_the_published_verifier_accepts() {
    let receiver = Receiver::start().await;
    let url = receiver.url("/hooks");
    let secrets = [Secret::generate(), Secret::generate()];
    let sender = sender(local_config());
    for _ in 0..2 {
        let attempt = sender.send(&request(&url, &secrets)).await;
        assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
        assert_eq!(attempt.status, Some(200));
        assert_eq!(attempt.detail, "ok");
    }
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    for got in &received {
        assert_eq!(got.path, "/hooks");
        assert_eq!(got.body, PAYLOAD.as_bytes());
        assert_eq!(got.headers["content-type"], "application/json");
        assert_eq!(got.headers["webhook-id"], ID);
        assert!(
            got.headers["user-agent"]
                .to_str()
                .unwrap()
                .starts_with("event-runtime/")
        );
        let signatures = got.headers["webhook-signature"].to_str().unwrap();
        assert_eq!(signatures.split(' ').count(), 2, "one per secret");
        // Either secret of the rotation verifies.
        for secret in &secrets {
            let verifier = standardwebhooks::Webhook::new(secret.as_str()).unwrap();
            verifier.verify(&got.body, &got.headers).unwrap();
        }
    }
}

#[tokio::test]
async fn form_bodies_are_one_urlencoded_payload_field_and_signed_as_sent() {
    let receiver = Receiver::start().await;
    let url = receiver.url("/form");
    let secrets = [Secret::generate()];
    let request = WebhookRequest {
        content_type: ContentType::Form,
        ..request(&url, &secrets)
    };
    let attempt = sender(local_config()).send(&request).await;
    assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
    let got = &receiver.received()[0];
    assert_eq!(
        got.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let fields: Vec<_> = form_urlencoded::parse(&got.body).collect();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].0, "payload");
    assert_eq!(fields[0].1, PAYLOAD);
    let verifier = standardwebhooks::Webhook::new(secrets[0].as_str()).unwrap();
    verifier.verify(&got.body, &got.headers).unwrap();
}

#[tokio::test]
async fn pings_are_signed_test_deliveries() {
    let receiver = Receiver::start().await;
    let secrets = [Secret::generate()];
    let attempt = sender(local_config())
        .ping(&receiver.url("/ping"), &secrets, ContentType::Json)
        .await;
    assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
    let got = &receiver.received()[0];
    let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["type"], "ping");
    assert!(body["timestamp"].is_string());
    let verifier = standardwebhooks::Webhook::new(secrets[0].as_str()).unwrap();
    verifier.verify(&got.body, &got.headers).unwrap();
}

#[tokio::test]
async fn redirects_are_failures_and_not_followed() {
    let receiver = Receiver::start().await;
    let url = receiver.url("/redirect");
    let attempt = sender(local_config()).send(&request(&url, &[])).await;
    assert_eq!(attempt.status, Some(302));
    assert_eq!(retry_not_before(attempt.outcome), None);
    assert!(
        attempt.detail.contains("not followed"),
        "{}",
        attempt.detail
    );
    let paths: Vec<_> = receiver.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/redirect"]);
}

#[tokio::test]
async fn a_hanging_receiver_times_out_into_a_retry_at_least_a_minute_later() {
    let receiver = Receiver::start().await;
    let url = receiver.url("/hang");
    let config = WebhookConfig {
        timeout: Duration::from_millis(500),
        ..local_config()
    };
    let attempt = sender(config).send(&request(&url, &[])).await;
    assert_eq!(attempt.status, None);
    assert!(retry_not_before(attempt.outcome) >= Some(Duration::from_secs(60)));
    assert!(attempt.duration >= Duration::from_millis(500));
    assert!(attempt.duration < Duration::from_secs(10));
    assert!(attempt.detail.contains("timed out"), "{}", attempt.detail);
    assert!(!attempt.detail.contains("/hang"), "no URL in the log");
}

#[tokio::test]
async fn huge_responses_are_read_only_up_to_the_cap() {
    let (address, written) = huge_body_server().await;
    let url = format!("http://{address}/");
    let config = WebhookConfig {
        max_response_bytes: 1000,
        timeout: Duration::from_secs(10),
        ..local_config()
    };
    let attempt = sender(config).send(&request(&url, &[])).await;
    assert_eq!(attempt.outcome, Outcome::Delivered, "{}", attempt.detail);
    assert_eq!(attempt.detail, format!("{}…", "x".repeat(1000)));
    // The sender stopped reading: the server could write no more than what the socket
    // buffers hold, far from the announced gigabyte.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = written.load(Ordering::SeqCst);
    assert!(sent < 64 << 20, "the server wrote {sent} bytes");
}

#[tokio::test]
async fn statuses_decide_the_outcome_and_retry_after_is_honoured_and_clamped() {
    let receiver = Receiver::start().await;
    let config = WebhookConfig {
        max_retry_after: Duration::from_secs(600),
        ..local_config()
    };
    let sender = sender(config);
    let in_two_minutes =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(125))
            .replace(' ', "%20");
    let secs = |s| Some(Duration::from_secs(s));
    let cases: [(&str, Option<Outcome>, Option<Duration>); 9] = [
        ("/status/204", Some(Outcome::Delivered), None),
        ("/status/410", Some(Outcome::Gone), None),
        ("/status/429", None, secs(60)),
        ("/status/429?retry_after=5", None, secs(60)),
        ("/status/429?retry_after=300", None, secs(300)),
        ("/status/503?retry_after=86400", None, secs(600)),
        ("/status/502", None, None),
        ("/status/500?retry_after=30", None, None),
        ("/status/404", None, None),
    ];
    for (path, outcome, not_before) in cases {
        let url = receiver.url(path);
        let attempt = sender.send(&request(&url, &[])).await;
        let code: u16 = path[8..11].parse().unwrap();
        assert_eq!(attempt.status, Some(code), "{path}");
        match outcome {
            Some(outcome) => assert_eq!(attempt.outcome, outcome, "{path}"),
            None => assert_eq!(retry_not_before(attempt.outcome), not_before, "{path}"),
        }
    }
    let url = receiver.url(&format!("/status/504?retry_after={in_two_minutes}"));
    let attempt = sender.send(&request(&url, &[])).await;
    let wait = retry_not_before(attempt.outcome).unwrap();
    assert!(
        (Duration::from_secs(115)..=Duration::from_secs(125)).contains(&wait),
        "{wait:?}"
    );
}

#[tokio::test]
async fn private_and_mapped_addresses_are_refused_without_the_allow_list() {
    let receiver = Receiver::start().await;
    let port = receiver.port();
    let strict = sender(WebhookConfig::default());
    let urls = [
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.1:{port}/"),
        // Resolved at connect time: the name's addresses are checked, not its text.
        format!("http://localhost:{port}/"),
        // Never contacted: refused before any packet leaves.
        "http://10.0.0.1/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[fd00::1]/".to_owned(),
        "http://[64:ff9b::a00:1]/".to_owned(),
    ];
    for url in &urls {
        let attempt = strict.send(&request(url, &[])).await;
        assert_eq!(attempt.outcome, Outcome::Refused, "{url}: {attempt:?}");
        assert_eq!(attempt.status, None);
        assert!(
            attempt.detail.contains("refused"),
            "{url}: {}",
            attempt.detail
        );
    }
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn the_allow_list_lets_loopback_through_in_every_spelling() {
    let receiver = Receiver::start().await;
    let port = receiver.port();
    let sender = sender(local_config());
    for url in [
        format!("http://127.0.0.1:{port}/a"),
        format!("http://[::ffff:127.0.0.1]:{port}/b"),
        format!("http://localhost:{port}/c"),
    ] {
        let attempt = sender.send(&request(&url, &[])).await;
        assert_eq!(attempt.outcome, Outcome::Delivered, "{url}: {attempt:?}");
    }
    assert_eq!(receiver.received().len(), 3);
}

#[tokio::test]
async fn invalid_urls_are_refused() {
    let sender = sender(local_config());
    for url in [
        "",
        "not a url",
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "http://",
    ] {
        let attempt = sender.send(&request(url, &[])).await;
        assert_eq!(attempt.outcome, Outcome::Refused, "{url}: {attempt:?}");
        assert!(
            attempt.detail.starts_with("invalid URL"),
            "{url}: {}",
            attempt.detail
        );
    }
    let bad_id = WebhookRequest {
        message_id: "line\nbreak",
        ..request("http://127.0.0.1:9/", &[])
    };
    assert_eq!(sender.send(&bad_id).await.outcome, Outcome::Refused);
}

#[tokio::test]
async fn nothing_listening_is_a_retry_with_status_zero() {
    // Bind then drop: the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let attempt = sender(local_config()).send(&request(&url, &[])).await;
    assert_eq!(attempt.status, None);
    assert_eq!(retry_not_before(attempt.outcome), None);
    assert!(!attempt.detail.is_empty());
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let secrets = [Secret::generate()];
    let request = request("https://example.com/", &secrets);
    let shown = format!("{request:?} {:?}", sender(WebhookConfig::default()));
    assert!(!shown.contains(secrets[0].as_str()), "{shown}");
    assert!(!shown.contains("whsec_"), "{shown}");
}
