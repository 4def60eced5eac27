//! The demo (`cargo run -p workspace-tests --example demo`) runs, and what it reports is
//! right: every webhook delivered with a signature the published verifier accepts, scoped
//! as subscribed, the Slack-format subscriber's messages, and analytics without a
//! sensitive value.

#[allow(dead_code)]
#[path = "../examples/demo.rs"]
mod demo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_delivers_verified_webhooks_and_anonymized_analytics() {
    let dir = std::env::temp_dir().join(format!("eventgen-demo-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let result = demo::run(&dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = result.expect("the demo runs");

    let mut webhooks: Vec<(&str, &str)> = report
        .webhooks
        .iter()
        .map(|(path, event_type, verified)| {
            assert!(verified, "{path} {event_type}: the signature verifies");
            (path.as_str(), event_type.as_str())
        })
        .collect();
    webhooks.sort();
    assert_eq!(
        webhooks,
        [
            ("/ops", "project:cron-job:run:pipeline-run:failed"),
            ("/ops", "project:one-off-job:pipeline-run:failed"),
            ("/team", "project:created"),
            ("/team", "project:cron-job:run:pipeline-run:failed"),
            ("/team", "project:one-off-job:pipeline-run:failed"),
        ]
    );
    let mut notified = report.notified.clone();
    notified.sort();
    assert_eq!(
        notified,
        ["alerts", "ops", "posthog", "team"],
        "the subscriber API's answer"
    );
    let mut slack = report.slack.clone();
    slack.sort();
    assert_eq!(slack.len(), 2, "project 1's two failed runs: {slack:?}");
    for (text, verified) in &slack {
        assert!(verified, "the Slack body's signature verifies: {text}");
        assert!(text.contains("failed"), "the event's message: {text}");
    }
    let mut analytics = report.analytics.clone();
    analytics.sort();
    assert_eq!(
        analytics,
        [
            "project:created",
            "project:cron-job:run:pipeline-run:failed",
            "project:one-off-job:pipeline-run:failed",
        ]
    );
    assert!(report.leaked.is_empty(), "{:?}", report.leaked);
    assert!(
        report
            .lines
            .last()
            .is_some_and(|l| l.contains("0 pending, 0 dead")),
        "{:?}",
        report.lines
    );
}
