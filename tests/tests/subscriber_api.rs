//! The subscriber API over the reference catalog, on SQLite and PostgreSQL: the event
//! types it lists are the compiled catalog's, and "who is subscribed" to an event names
//! exactly the subscribers recording the event delivers to.

#[macro_use]
mod support;

use std::collections::BTreeSet;

use event_outbox::router::SubscriberApi;
use event_outbox::store::Store;
use event_runtime::reexport::uuid::Uuid;
use event_runtime::{Recorder as _, StoredEvent as _};
use serde_json::{Value, json};
use test_support::count;
use workspace_tests::events::*;
use workspace_tests::samples::{id, one_off_run_failed};

fn config() -> event_outbox::store::StoreConfig {
    support::database::config().catalog(STORED_EVENTS)
}

const FAILED: &str = ProjectOneOffJobPipelineRunFailed::TYPE;

/// Serves the API on a local port; its base URL.
async fn serve(store: Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let router = SubscriberApi::new(store).router();
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    format!("http://{address}")
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{base}{path}")).await.expect("get");
    let status = response.status().as_u16();
    (status, response.json_value().await)
}

async fn create(base: &str, name: &str, scope: Value) -> Uuid {
    let body = json!({
        "name": name,
        "url": format!("https://{name}.example/"),
        "subscriptions": [{ "event_type": FAILED, "scope": scope }],
    });
    let response = reqwest::Client::new()
        .post(format!("{base}/webhooks"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 201);
    let created = response.json_value().await;
    created["id"]
        .as_str()
        .expect("an id")
        .parse()
        .expect("a uuid")
}

trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        serde_json::from_str(&self.text().await.expect("a body")).expect("JSON")
    }
}

both!(
    the_event_types_are_the_compiled_catalogs,
    |store: Store| async move {
        let base = serve(store).await;
        let (status, body) = get(&base, "/event-types").await;
        assert_eq!(status, 200);
        let listed = body["event_types"].as_array().expect("a list");
        assert_eq!(listed.len(), STORED_EVENTS.len());
        for (spec, listed) in STORED_EVENTS.iter().zip(listed) {
            assert_eq!(
                listed,
                &json!({
                    "event_type": spec.event_type,
                    "version": spec.version,
                    "description": spec.description,
                    "scope_keys": spec.scope_keys,
                })
            );
        }
    },
    config()
);

both!(
    who_is_subscribed_is_who_recording_delivers_to,
    |store: Store| async move {
        let base = serve(store.clone()).await;
        let event = one_off_run_failed();
        let scopes = event.scopes();
        let (first_key, first_value) = scopes[0].clone();
        let (last_key, last_value) = scopes[scopes.len() - 1].clone();
        let global = create(&base, "global", json!({})).await;
        let outer = create(&base, "outer", json!({ first_key: first_value })).await;
        let inner = create(
            &base,
            "inner",
            json!({ first_key: first_value, last_key: last_value }),
        )
        .await;
        create(&base, "other", json!({ first_key: id(999).to_string() })).await;

        let mut query = format!("/subscribers?event_type={FAILED}");
        for (key, value) in &scopes {
            query.push_str(&format!("&{key}={value}"));
        }
        let (status, body) = get(&base, &query).await;
        assert_eq!(status, 200, "{body}");
        let named: BTreeSet<Uuid> = body["subscribers"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|s| s["id"].as_str().expect("an id").parse().expect("a uuid"))
            .collect();
        assert_eq!(named, BTreeSet::from([global, outer, inner]));

        let mut tx = store.begin().await.expect("begin");
        tx.record(&event).await.expect("record");
        tx.commit().await.expect("commit");
        for subscriber in [global, outer, inner] {
            let sql = format!(
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "subscriber_uuid" = '{subscriber}'"#
            );
            assert_eq!(count(&store, &sql).await, 1, "{subscriber}");
        }
        let all = count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await;
        assert_eq!(all, 3, "no delivery to a subscriber it did not name");
    },
    config()
);
