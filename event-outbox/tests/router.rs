//! The subscriber management API end to end, on SQLite and PostgreSQL, over a real
//! local listener: every route with good and bad input, creation all or nothing, the
//! secret shown by creation and rotation only, and every answer checked against the
//! OpenAPI document (which must also equal the committed one).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use event_outbox::router::{SubscriberApi, openapi};
use event_outbox::store::{Store, StoreConfig};
use event_outbox::webhook::{AddressPolicy, WebhookConfig, WebhookSender};
use event_runtime::{EventTypeSpec, Recorder as _};
use serde_json::{Value, json};
use uuid::Uuid;

/// The test catalog as a generated module would declare it.
static CATALOG: &[EventTypeSpec] = &[
    EventTypeSpec {
        event_type: "project:created",
        version: 1,
        description: "A project was created",
        scope_keys: &["project_uuid"],
        sensitive_columns: &["name"],
    },
    EventTypeSpec {
        event_type: "job:failed",
        version: 2,
        description: "A job failed",
        scope_keys: &["project_uuid", "job_uuid"],
        sensitive_columns: &["name"],
    },
    EventTypeSpec {
        event_type: "job:succeeded",
        version: 1,
        description: "",
        scope_keys: &["project_uuid", "job_uuid"],
        sensitive_columns: &["name"],
    },
];

const COMMITTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../docs/subscriber-api.openapi.json"
);

fn config() -> StoreConfig {
    common::config().catalog(CATALOG)
}

fn sender() -> WebhookSender {
    WebhookSender::new(WebhookConfig {
        addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse().unwrap()),
        timeout: Duration::from_secs(5),
        ..WebhookConfig::default()
    })
    .unwrap()
}

/// Serves `router` on a local port; its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

/// A client of the API that checks every answer: its status is one the document gives
/// the operation, its body matches the document's schema for it, and it holds no secret
/// unless it is a creation's or a rotation's.
struct Api {
    base: String,
    http: reqwest::Client,
    document: Value,
    secrets: Mutex<Vec<String>>,
}

struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    #[track_caller]
    fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error: {} {}", self.status, self.body))
    }

    #[track_caller]
    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap()
    }
}

impl Api {
    async fn start(store: Store, with_sender: bool) -> Api {
        let mut api = SubscriberApi::new(store);
        if with_sender {
            api = api.with_sender(sender());
        }
        let app = axum::Router::new().nest("/admin", api.router());
        Api {
            base: format!("{}/admin", serve(app).await),
            http: reqwest::Client::new(),
            document: openapi::document(),
            secrets: Mutex::new(Vec::new()),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, Some(body.to_string())).await
    }

    async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call("PATCH", path, Some(body.to_string())).await
    }

    async fn call(&self, method: &str, path: &str, body: Option<String>) -> Answer {
        self.raw(method, path, body, Some("application/json")).await
    }

    async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        content_type: Option<&str>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.body(body);
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        self.check(method.as_str(), path, status, &body, &text);
        Answer { status, body }
    }

    /// The document's schema for the answer, and the secrets rule.
    #[track_caller]
    fn check(&self, method: &str, path: &str, status: u16, body: &Value, text: &str) {
        let path = path.split('?').next().unwrap();
        let template = self.document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .find(|template| same_path(template, path))
            .cloned();
        let operation = template
            .as_ref()
            .map(|t| &self.document["paths"][t][method.to_lowercase()])
            .filter(|operation| !operation.is_null());
        let schema = match operation {
            Some(operation) => {
                let response = &operation["responses"][status.to_string()];
                assert!(
                    !response.is_null(),
                    "{method} {path}: status {status} is not in the document: {body}"
                );
                response["content"]["application/json"]["schema"].clone()
            }
            // Unknown routes and methods: the error body.
            None => {
                assert!(matches!(status, 404 | 405), "{method} {path}: {status}");
                json!({ "$ref": "#/components/schemas/Error" })
            }
        };
        if schema.is_null() {
            assert!(
                body.is_null(),
                "{method} {path}: a body where none is documented"
            );
        } else {
            assert_valid(&self.document, &schema, body);
        }
        let mut secrets = self.secrets.lock().unwrap();
        for secret in secrets.iter() {
            assert!(
                !text.contains(&secret[6..]),
                "{method} {path} answered with a secret: {text}"
            );
        }
        if let Some(secret) = body["secret"].as_str() {
            let operation_id = operation.map(|o| o["operationId"].as_str().unwrap());
            assert!(
                matches!(operation_id, Some("createWebhook" | "rotateWebhookSecret")),
                "{method} {path} answered with a secret"
            );
            secrets.push(secret.to_owned());
        }
    }

    async fn create(&self, name: &str, subscriptions: Value) -> (Uuid, String) {
        let answer = self
            .post(
                "/webhooks",
                json!({ "name": name, "url": format!("https://{name}.example/hook"), "subscriptions": subscriptions }),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        (
            answer.body["id"].as_str().unwrap().parse().unwrap(),
            answer.body["secret"].as_str().unwrap().to_owned(),
        )
    }
}

fn same_path(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// Validates `value` against `schema` (a `$ref` into the document's components).
#[track_caller]
fn assert_valid(document: &Value, schema: &Value, value: &Value) {
    let mut root = schema.clone();
    root["components"] = document["components"].clone();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema {schema} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{value} does not match {schema}: {errors:?}"
    );
}

async fn count(store: &Store, sql: &str) -> i64 {
    common::count(store, &store.tables().render(sql)).await
}

both!(
    the_event_types_come_from_the_catalog,
    |store: Store| async move {
        let api = Api::start(store, false).await;
        let answer = api.get("/event-types").await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["event_types"].as_array().unwrap().len(), 3);
        assert_eq!(
            answer.body["event_types"][1],
            json!({
                "event_type": "job:failed",
                "version": 2,
                "description": "A job failed",
                "scope_keys": ["project_uuid", "job_uuid"],
            })
        );
    },
    config()
);

both!(
    without_a_catalog_the_event_types_are_unavailable,
    |store: Store| async move {
        let api = Api::start(store, false).await;
        let answer = api.get("/event-types").await;
        assert_eq!((answer.status, answer.code()), (503, "no_catalog"));
    },
    common::config()
);

both!(
    webhooks_are_created_read_updated_and_deleted,
    |store: Store| async move {
        let api = Api::start(store.clone(), false).await;
        let project = Uuid::new_v4();
        let created = api
            .post(
                "/webhooks",
                json!({
                    "name": "ops",
                    "url": "https://ops.example/hook",
                    "subscriptions": [
                        { "event_type": "job:failed", "scope": { "project_uuid": project.to_string() } },
                        { "event_type": "project:created" },
                    ],
                }),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert!(
            created.body["secret"]
                .as_str()
                .unwrap()
                .starts_with("whsec_")
        );
        assert_eq!(created.body["content_type"], "json");
        assert_eq!(created.body["enabled"], true);
        assert_eq!(
            created.body["tls"],
            json!({ "ca_pem": null, "verify": true })
        );
        let subscriptions = created.body["subscriptions"].as_array().unwrap();
        assert_eq!(subscriptions.len(), 2);
        assert_eq!(subscriptions[0]["event_type"], "job:failed");
        assert_eq!(
            subscriptions[0]["scope"]["project_uuid"],
            project.to_string()
        );
        assert_eq!(subscriptions[1]["scope"], json!({}));

        // A chat app's URL gets its format unless one is given.
        let slack = api
            .post(
                "/webhooks",
                json!({ "name": "chat", "url": "https://hooks.slack.com/services/T/B/X" }),
            )
            .await;
        assert_eq!(slack.body["content_type"], "slack");
        let chosen = api
            .post(
                "/webhooks",
                json!({ "name": "chat2", "url": "https://hooks.slack.com/services/T/B/Y", "content_type": "json", "tls": { "verify": false } }),
            )
            .await;
        assert_eq!(chosen.body["content_type"], "json");
        assert_eq!(chosen.body["tls"]["verify"], false);

        let listed = api.get("/webhooks").await;
        assert_eq!(listed.status, 200);
        let names: Vec<&str> = listed.body["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ops", "chat", "chat2"]);
        assert_eq!(
            listed.body["webhooks"][0]["subscriptions"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        let read = api.get(&format!("/webhooks/{id}")).await;
        assert_eq!(read.status, 200);
        assert_eq!(read.body["name"], "ops");
        assert!(read.body.get("secret").is_none());

        let updated = api
            .patch(
                &format!("/webhooks/{id}"),
                json!({ "name": "ops 2", "url": "https://ops2.example/", "content_type": "form", "enabled": false }),
            )
            .await;
        assert_eq!(updated.status, 200, "{}", updated.body);
        assert_eq!(updated.body["name"], "ops 2");
        assert_eq!(updated.body["url"], "https://ops2.example/");
        assert_eq!(updated.body["content_type"], "form");
        assert_eq!(updated.body["enabled"], false);
        assert_eq!(updated.body["disabled_reason"], "disabled by a user");
        let enabled = api
            .patch(&format!("/webhooks/{id}"), json!({ "enabled": true }))
            .await;
        assert_eq!(enabled.body["enabled"], true);
        assert_eq!(enabled.body["name"], "ops 2", "absent fields stay");

        let deleted = api.call("DELETE", &format!("/webhooks/{id}"), None).await;
        assert_eq!(deleted.status, 204);
        assert_eq!(deleted.body, Value::Null);
        let gone = api.get(&format!("/webhooks/{id}")).await;
        assert_eq!((gone.status, gone.code()), (404, "not_found"));
        let again = api.call("DELETE", &format!("/webhooks/{id}"), None).await;
        assert_eq!((again.status, again.code()), (404, "not_found"));
        let uuid: Uuid = id.parse().unwrap();
        assert_eq!(
            count(
                &store,
                &format!(
                    r#"SELECT COUNT(*) FROM {{subscriptions}} WHERE "subscriber_uuid" = '{uuid}'"#
                )
            )
            .await,
            0
        );
    },
    config()
);

both!(
    creation_is_all_or_nothing,
    |store: Store| async move {
        let api = Api::start(store.clone(), false).await;
        let typo = api
            .post(
                "/webhooks",
                json!({
                    "name": "ops",
                    "url": "https://ops.example/",
                    "subscriptions": [
                        { "event_type": "project:created" },
                        { "event_type": "job:failed", "scope": { "projct_uuid": "p" } },
                    ],
                }),
            )
            .await;
        assert_eq!((typo.status, typo.code()), (422, "unknown_scope_key"));
        assert!(
            typo.message().contains("did you mean `project_uuid`?"),
            "{}",
            typo.message()
        );
        // A key the type cannot carry.
        let deeper = api
            .post(
                "/webhooks",
                json!({
                    "name": "ops",
                    "url": "https://ops.example/",
                    "subscriptions": [{ "event_type": "project:created", "scope": { "job_uuid": "j" } }],
                }),
            )
            .await;
        assert_eq!((deeper.status, deeper.code()), (422, "unknown_scope_key"));
        assert!(
            deeper.message().contains("its keys: project_uuid"),
            "{}",
            deeper.message()
        );
        let unknown = api
            .post(
                "/webhooks",
                json!({
                    "name": "ops",
                    "url": "https://ops.example/",
                    "subscriptions": [{ "event_type": "job:succeeded" }, { "event_type": "job:faild" }],
                }),
            )
            .await;
        assert_eq!(
            (unknown.status, unknown.code()),
            (422, "unknown_event_type")
        );
        assert!(
            unknown.message().contains("did you mean `job:failed`?"),
            "{}",
            unknown.message()
        );

        assert_eq!(count(&store, "SELECT COUNT(*) FROM {subscribers}").await, 0);
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM {subscriptions}").await,
            0
        );
        assert_eq!(api.get("/webhooks").await.body, json!({ "webhooks": [] }));
    },
    config()
);

/// A bad request: method, path, body, content type, and the status and code expected.
type Case = (
    &'static str,
    String,
    Option<String>,
    Option<&'static str>,
    u16,
    &'static str,
);

both!(
    bad_input_gets_a_stable_code_and_writes_nothing,
    |store: Store| async move {
        let api = Api::start(store.clone(), false).await;
        let (id, _) = api
            .create("kept", json!([{ "event_type": "project:created" }]))
            .await;
        let before = api.get(&format!("/webhooks/{id}")).await.body;
        let url = "https://x.example/";
        let cases: Vec<Case> = vec![
            ("POST", "/webhooks".into(), Some("{not json".into()), Some("application/json"), 400, "invalid_json"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": url, "colour": 1 }).to_string()), Some("application/json"), 400, "invalid_body"),
            ("POST", "/webhooks".into(), Some(json!({ "name": 1, "url": url }).to_string()), Some("application/json"), 400, "invalid_body"),
            ("POST", "/webhooks".into(), Some(json!({ "url": url }).to_string()), Some("application/json"), 400, "invalid_body"),
            ("POST", "/webhooks".into(), None, None, 400, "invalid_body"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": url }).to_string()), Some("text/plain"), 415, "unsupported_media_type"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": url }).to_string()), None, 415, "unsupported_media_type"),
            ("POST", "/webhooks".into(), Some(json!({ "name": " ", "url": url }).to_string()), Some("application/json"), 422, "invalid_name"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": "ftp://x.example/" }).to_string()), Some("application/json"), 422, "invalid_url"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": "https://u:p@x.example/" }).to_string()), Some("application/json"), 422, "invalid_url"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": url, "content_type": "xml" }).to_string()), Some("application/json"), 422, "invalid_content_type"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": url, "tls": { "ca_pem": "not a certificate" } }).to_string()), Some("application/json"), 422, "invalid_tls"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": url, "tls": { "ca_pem": "x", "verify": false } }).to_string()), Some("application/json"), 422, "invalid_tls"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": url, "tls": { "pin": "x" } }).to_string()), Some("application/json"), 400, "invalid_body"),
            ("POST", "/webhooks".into(), Some(json!({ "name": "n", "url": url, "subscriptions": [{ "event_type": "project:created", "scope": { "project_uuid": 1 } }] }).to_string()), Some("application/json"), 400, "invalid_body"),
            ("POST", "/webhooks".into(), Some(format!(r#"{{"name": "{}", "url": "{url}"}}"#, "n".repeat(300 * 1024))), Some("application/json"), 413, "body_too_large"),
            ("GET", "/webhooks/not-a-uuid".into(), None, None, 400, "invalid_id"),
            ("GET", "/webhooks/%FF".into(), None, None, 400, "invalid_id"),
            ("GET", format!("/webhooks/{}", Uuid::new_v4()), None, None, 404, "not_found"),
            ("PATCH", "/webhooks/123".into(), Some("{}".into()), Some("application/json"), 400, "invalid_id"),
            ("PATCH", format!("/webhooks/{}", Uuid::new_v4()), Some("{}".into()), Some("application/json"), 404, "not_found"),
            ("PATCH", format!("/webhooks/{id}"), Some(json!({ "name": "changed", "url": "nope" }).to_string()), Some("application/json"), 422, "invalid_url"),
            ("PATCH", format!("/webhooks/{id}"), Some(json!({ "name": "changed", "tls": { "ca_pem": "junk" } }).to_string()), Some("application/json"), 422, "invalid_tls"),
            ("PATCH", format!("/webhooks/{id}"), Some(json!({ "name": "" }).to_string()), Some("application/json"), 422, "invalid_name"),
            ("PATCH", format!("/webhooks/{id}"), Some(json!({ "name": "changed", "content_type": "yaml" }).to_string()), Some("application/json"), 422, "invalid_content_type"),
            ("PATCH", format!("/webhooks/{id}"), Some(json!({ "secret": "whsec_x" }).to_string()), Some("application/json"), 400, "invalid_body"),
            ("PATCH", format!("/webhooks/{id}"), Some("[1,".into()), Some("application/json"), 400, "invalid_json"),
            ("PATCH", format!("/webhooks/{id}"), None, None, 400, "invalid_body"),
            ("DELETE", "/webhooks/zz".into(), None, None, 400, "invalid_id"),
            ("POST", "/webhooks/zz/rotate-secret".into(), None, None, 400, "invalid_id"),
            ("POST", format!("/webhooks/{}/rotate-secret", Uuid::new_v4()), None, None, 404, "not_found"),
            ("POST", format!("/webhooks/{}/ping", Uuid::new_v4()), None, None, 404, "not_found"),
            ("POST", format!("/webhooks/{id}/ping"), None, None, 501, "ping_unavailable"),
            ("GET", "/webhooks/zz/dead-deliveries".into(), None, None, 400, "invalid_id"),
            ("GET", format!("/webhooks/{id}/dead-deliveries?limit=0"), None, None, 400, "invalid_query"),
            ("GET", format!("/webhooks/{id}/dead-deliveries?limit=lots"), None, None, 400, "invalid_query"),
            ("GET", format!("/webhooks/{id}/dead-deliveries?page=2"), None, None, 400, "invalid_query"),
            ("POST", format!("/webhooks/{id}/redrive"), Some(json!({ "deliveries": ["x"] }).to_string()), Some("application/json"), 400, "invalid_body"),
            ("POST", format!("/webhooks/{}/redrive", Uuid::new_v4()), None, None, 404, "not_found"),
            ("GET", "/subscribers".into(), None, None, 400, "invalid_query"),
            ("GET", "/subscribers?event_type=a&event_type=b".into(), None, None, 400, "invalid_query"),
            ("GET", "/subscribers?event_type=project:craeted".into(), None, None, 422, "unknown_event_type"),
            ("GET", "/subscribers?event_type=project:created&job_uuid=j".into(), None, None, 422, "unknown_scope_key"),
            ("GET", "/nowhere".into(), None, None, 404, "not_found"),
            ("PUT", "/webhooks".into(), None, None, 405, "method_not_allowed"),
        ];
        for (method, path, body, content_type, status, code) in cases {
            let answer = api.raw(method, &path, body, content_type).await;
            assert_eq!(
                (answer.status, answer.code()),
                (status, code),
                "{method} {path}: {}",
                answer.body
            );
        }
        // Nothing was written: the one webhook as it was.
        assert_eq!(count(&store, "SELECT COUNT(*) FROM {subscribers}").await, 1);
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM {subscriptions}").await,
            1
        );
        assert_eq!(api.get(&format!("/webhooks/{id}")).await.body, before);
    },
    config()
);

/// A receiver of pings: what it got.
type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn receiver() -> (String, Received) {
    let received = Received::default();
    let kept = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let kept = Arc::clone(&kept);
            async move {
                kept.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    (format!("{}/hook", serve(app).await), received)
}

both!(
    a_saved_webhook_is_pinged_with_its_secret_and_rotation_returns_the_new_one,
    |store: Store| async move {
        let api = Api::start(store, true).await;
        let (url, received) = receiver().await;
        let created = api
            .post("/webhooks", json!({ "name": "local", "url": url }))
            .await;
        let id = created.body["id"].as_str().unwrap().to_owned();
        let secret = created.body["secret"].as_str().unwrap().to_owned();

        let ping = api.post(&format!("/webhooks/{id}/ping"), json!({})).await;
        assert_eq!(ping.status, 200, "{}", ping.body);
        assert_eq!(ping.body["outcome"], "delivered");
        assert_eq!(ping.body["status"], 200);
        assert_eq!(ping.body["detail"], "ok");
        {
            let got = received.lock().unwrap();
            assert_eq!(got.len(), 1);
            let (headers, body) = &got[0];
            let payload: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(payload["type"], "ping");
            standardwebhooks::Webhook::new(&secret)
                .unwrap()
                .verify(body, headers)
                .expect("signed with the saved secret");
        }

        let rotated = api
            .call("POST", &format!("/webhooks/{id}/rotate-secret"), None)
            .await;
        assert_eq!(rotated.status, 200);
        let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
        assert!(new_secret.starts_with("whsec_"));
        assert_ne!(new_secret, secret);

        // Signed with both while the previous one is kept.
        let ping = api
            .call("POST", &format!("/webhooks/{id}/ping"), None)
            .await;
        assert_eq!(ping.body["outcome"], "delivered", "{}", ping.body);
        {
            let got = received.lock().unwrap();
            let (headers, body) = &got[1];
            for secret in [&secret, &new_secret] {
                standardwebhooks::Webhook::new(secret)
                    .unwrap()
                    .verify(body, headers)
                    .expect("signed with both secrets");
            }
        }

        // An address the sender refuses: the attempt says so.
        let refused = api
            .post(
                "/webhooks",
                json!({ "name": "internal", "url": "http://10.0.0.1/hook" }),
            )
            .await;
        let refused_id = refused.body["id"].as_str().unwrap();
        let ping = api
            .call("POST", &format!("/webhooks/{refused_id}/ping"), None)
            .await;
        assert_eq!(ping.status, 200);
        assert_eq!(ping.body["outcome"], "refused", "{}", ping.body);
        assert_eq!(ping.body["status"], Value::Null);

        // Secrets appear nowhere else: the client checked every answer above; and here.
        let listed = api.get("/webhooks").await;
        assert!(!listed.body.to_string().contains(&new_secret[6..]));
    },
    config()
);

both!(
    dead_deliveries_are_listed_and_redriven,
    |store: Store| async move {
        let api = Api::start(store.clone(), false).await;
        let (hook, _) = api
            .create("hook", json!([{ "event_type": "project:created" }]))
            .await;
        let (other, _) = api
            .create("other", json!([{ "event_type": "project:created" }]))
            .await;
        let mut tx = store.begin().await.unwrap();
        for _ in 0..3 {
            tx.record(&common::TestEvent::new(
                "project:created",
                Uuid::new_v4(),
                None,
            ))
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        common::execute(
            &store,
            &store.tables().render(
                r#"UPDATE {deliveries} SET "status" = 'dead', "attempts" = 5, "last_error" = 'HTTP 500'"#,
            ),
        )
        .await;

        let dead = api.get(&format!("/webhooks/{hook}/dead-deliveries")).await;
        assert_eq!(dead.status, 200);
        let list = dead.body["dead_deliveries"].as_array().unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[0]["attempts"], 5);
        assert_eq!(list[0]["last_error"], "HTTP 500");
        assert_eq!(list[0]["event_type"], "project:created");
        let limited = api
            .get(&format!("/webhooks/{hook}/dead-deliveries?limit=2"))
            .await;
        assert_eq!(limited.body["dead_deliveries"].as_array().unwrap().len(), 2);
        let first = list[0]["id"].as_str().unwrap();
        let others: Vec<Value> = api
            .get(&format!("/webhooks/{other}/dead-deliveries"))
            .await
            .body["dead_deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].clone())
            .collect();

        // One of its own, and another webhook's (ignored).
        let one = api
            .post(
                &format!("/webhooks/{hook}/redrive"),
                json!({ "deliveries": [first, others[0]] }),
            )
            .await;
        assert_eq!(one.body, json!({ "redriven": 1 }));
        let rest = api
            .call("POST", &format!("/webhooks/{hook}/redrive"), None)
            .await;
        assert_eq!(rest.body, json!({ "redriven": 2 }));
        let none = api
            .post(
                &format!("/webhooks/{hook}/redrive"),
                json!({ "deliveries": [] }),
            )
            .await;
        assert_eq!(none.body, json!({ "redriven": 0 }));
        assert_eq!(
            api.get(&format!("/webhooks/{hook}/dead-deliveries"))
                .await
                .body,
            json!({ "dead_deliveries": [] })
        );
        // The other webhook's stay dead.
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM {deliveries} WHERE "status" = 'dead'"#
            )
            .await,
            3
        );
        // A disabled webhook's stay dead.
        api.patch(&format!("/webhooks/{other}"), json!({ "enabled": false }))
            .await;
        let disabled = api
            .post(&format!("/webhooks/{other}/redrive"), json!({}))
            .await;
        assert_eq!(disabled.body, json!({ "redriven": 0 }));
        api.patch(&format!("/webhooks/{other}"), json!({ "enabled": true }))
            .await;
        let too_many: Vec<String> = (0..1001).map(|_| Uuid::new_v4().to_string()).collect();
        let refused = api
            .post(
                &format!("/webhooks/{other}/redrive"),
                json!({ "deliveries": too_many }),
            )
            .await;
        assert_eq!((refused.status, refused.code()), (400, "invalid_body"));
        let all = api
            .post(&format!("/webhooks/{other}/redrive"), json!({}))
            .await;
        assert_eq!(all.body, json!({ "redriven": 3 }));
    },
    config()
);

both!(
    who_is_subscribed_follows_the_recording_rule,
    |store: Store| async move {
        let api = Api::start(store.clone(), false).await;
        let (p1, p2, j1) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let (global, _) = api
            .create("global", json!([{ "event_type": "job:failed" }]))
            .await;
        let (project, _) = api
            .create(
                "project",
                json!([{ "event_type": "job:failed", "scope": { "project_uuid": p1.to_string() } }]),
            )
            .await;
        let (job, _) = api
            .create(
                "job",
                json!([{ "event_type": "job:failed", "scope": { "project_uuid": p1.to_string(), "job_uuid": j1.to_string() } }]),
            )
            .await;
        let (disabled, _) = api
            .create("disabled", json!([{ "event_type": "job:failed" }]))
            .await;
        api.patch(
            &format!("/webhooks/{disabled}"),
            json!({ "enabled": false }),
        )
        .await;
        api.create("elsewhere", json!([{ "event_type": "job:succeeded" }]))
            .await;

        let who = |query: String| {
            let api = &api;
            async move {
                let answer = api.get(&format!("/subscribers?{query}")).await;
                assert_eq!(answer.status, 200, "{}", answer.body);
                answer.body["subscribers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["id"].as_str().unwrap().parse::<Uuid>().unwrap())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(who("event_type=job:failed".into()).await, [global]);
        assert_eq!(
            who(format!("event_type=job:failed&project_uuid={p1}")).await,
            [global, project]
        );
        assert_eq!(
            who(format!(
                "event_type=job%3Afailed&project_uuid={p1}&job_uuid={j1}"
            ))
            .await,
            [global, project, job]
        );
        assert_eq!(
            who(format!(
                "event_type=job:failed&project_uuid={p2}&job_uuid={j1}"
            ))
            .await,
            [global]
        );
        let answer = api
            .get("/subscribers?event_type=job:failed&projct_uuid=x")
            .await;
        assert_eq!((answer.status, answer.code()), (422, "unknown_scope_key"));
        assert!(answer.message().contains("did you mean `project_uuid`?"));
        let summary = api.get("/subscribers?event_type=job:failed").await.body;
        assert_eq!(
            summary["subscribers"][0],
            json!({ "id": global.to_string(), "kind": "webhook", "name": "global" })
        );
    },
    config()
);

#[test]
fn the_committed_document_is_the_routers() {
    let document = serde_json::to_string_pretty(&openapi::document()).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &document).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == document,
        "docs/subscriber-api.openapi.json differs from the router's document: refresh it with \
         `UPDATE_OPENAPI=1 cargo test -p event-outbox --features router --test router the_committed_document_is_the_routers`"
    );
}

#[test]
fn the_document_is_well_formed() {
    let document = openapi::document();
    assert_eq!(document["openapi"], "3.1.0");
    let schemas = document["components"]["schemas"].as_object().unwrap();
    // Every schema compiles as JSON Schema 2020-12 (OpenAPI 3.1's dialect).
    for name in schemas.keys() {
        let mut root = json!({ "$ref": format!("#/components/schemas/{name}") });
        root["components"] = document["components"].clone();
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Every reference resolves.
    let text = document.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "unresolved reference to {name}");
    }
    let codes: Vec<&str> = schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let mut operation_ids = Vec::new();
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 8);
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operation_ids.push(operation["operationId"].as_str().unwrap().to_owned());
            assert!(operation["summary"].is_string());
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success"
            );
            assert!(responses.contains_key("500"), "{method} {path}: no 500");
            for (status, response) in responses {
                assert!(response["description"].is_string());
                if !status.starts_with('2') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error",
                        "{method} {path} {status}"
                    );
                    // The description names the codes, each a documented one.
                    let named = response["description"].as_str().unwrap();
                    for code in named.trim_start_matches("Error: ").split(", ") {
                        assert!(codes.contains(&code), "{method} {path}: `{code}`");
                    }
                }
            }
            let params = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert_eq!(
                path.contains("{id}"),
                params
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == "id"),
                "{method} {path}: the path parameter"
            );
        }
    }
    let count = operation_ids.len();
    operation_ids.sort();
    operation_ids.dedup();
    assert_eq!(operation_ids.len(), count, "operation ids are unique");
    assert_eq!(count, 11);
}

both!(
    every_documented_route_is_served,
    |store: Store| async move {
        let api = Api::start(store, false).await;
        let document = openapi::document();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let path = path.replace("{id}", &Uuid::new_v4().to_string());
                let answer = api.raw(&method.to_uppercase(), &path, None, None).await;
                // An unknown webhook, a missing parameter or body: never the fallback's
                // "no such route" or "method not allowed".
                assert_ne!(answer.status, 405, "{method} {path}");
                if answer.status == 404 {
                    assert_ne!(answer.message(), "no such route", "{method} {path}");
                }
            }
        }
    },
    config()
);
