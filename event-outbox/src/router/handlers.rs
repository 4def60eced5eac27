//! The routes' handlers.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{ApiError, json};
use super::{DEFAULT_DEAD_LIMIT, MAX_BODY_BYTES, MAX_DEAD_LIMIT, MAX_REDRIVE_IDS, Shared};
use crate::delivery::ContentType;
use crate::store::{
    DeadDelivery, NewWebhook, Scope, Subscriber, SubscriberKind, Subscription, WebhookUpdate,
};
use crate::tls::WebhookTls;
use crate::{Attempt, Outcome};

type Answer = Result<Response, ApiError>;

/// `GET /event-types`.
pub(super) async fn event_types(State(api): State<Shared>) -> Answer {
    let Some(catalog) = api.store.catalog() else {
        return Err(ApiError::new(
            "no_catalog",
            "the store has no catalog: configure `StoreConfig::catalog(STORED_EVENTS)`",
        ));
    };
    let types: Vec<Value> = catalog
        .iter()
        .map(|spec| {
            json!({
                "event_type": spec.event_type,
                "version": spec.version,
                "description": spec.description,
                "scope_keys": spec.scope_keys,
            })
        })
        .collect();
    Ok(ok(json!({ "event_types": types })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TlsBody {
    #[serde(default)]
    ca_pem: Option<String>,
    #[serde(default)]
    verify: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SubscriptionBody {
    event_type: String,
    #[serde(default)]
    scope: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewWebhookBody {
    name: String,
    url: String,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    tls: Option<TlsBody>,
    #[serde(default)]
    subscriptions: Vec<SubscriptionBody>,
}

/// `POST /webhooks`.
pub(super) async fn create_webhook(
    State(api): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let body: NewWebhookBody = read_json(&headers, body)?.ok_or_else(missing_body)?;
    check_name(&body.name)?;
    let mut webhook = NewWebhook::new(body.name, body.url);
    if let Some(name) = &body.content_type {
        webhook.content_type = content_type(name)?;
    }
    if let Some(tls) = body.tls {
        webhook.tls = tls_settings(tls)?;
    }
    let subscriptions = body
        .subscriptions
        .into_iter()
        .map(|s| (s.event_type, scope(s.scope)))
        .collect();
    let (created, subscriptions) = api
        .store
        .create_webhook_with_subscriptions(webhook, subscriptions)
        .await?;
    let mut answer = webhook_json(&created.subscriber, &subscriptions);
    answer["secret"] = Value::from(created.secret.as_str());
    Ok(json(StatusCode::CREATED, &answer))
}

/// `GET /webhooks`.
pub(super) async fn list_webhooks(State(api): State<Shared>) -> Answer {
    let mut webhooks = Vec::new();
    for subscriber in api.store.subscribers().await? {
        if subscriber.kind == SubscriberKind::Webhook {
            let subscriptions = api.store.subscriptions(subscriber.uuid).await?;
            webhooks.push(webhook_json(&subscriber, &subscriptions));
        }
    }
    Ok(ok(json!({ "webhooks": webhooks })))
}

/// `GET /webhooks/{id}`.
pub(super) async fn get_webhook(State(api): State<Shared>, WebhookId(id): WebhookId) -> Answer {
    let webhook = webhook_by_id(&api, id).await?;
    let subscriptions = api.store.subscriptions(webhook.uuid).await?;
    Ok(ok(webhook_json(&webhook, &subscriptions)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UpdateBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    tls: Option<TlsBody>,
}

/// `PATCH /webhooks/{id}`.
pub(super) async fn update_webhook(
    State(api): State<Shared>,
    WebhookId(id): WebhookId,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let body: UpdateBody = read_json(&headers, body)?.ok_or_else(missing_body)?;
    // Everything checked before anything is written.
    if let Some(name) = &body.name {
        check_name(name)?;
    }
    let update = WebhookUpdate {
        name: body.name,
        url: body.url,
        content_type: body.content_type.as_deref().map(content_type).transpose()?,
        tls: body.tls.map(tls_settings).transpose()?,
        enabled: body.enabled,
    };
    webhook_by_id(&api, id).await?;
    let webhook = api.store.update_subscriber(id, update).await?;
    let subscriptions = api.store.subscriptions(id).await?;
    Ok(ok(webhook_json(&webhook, &subscriptions)))
}

/// `DELETE /webhooks/{id}`.
pub(super) async fn delete_webhook(State(api): State<Shared>, WebhookId(id): WebhookId) -> Answer {
    let webhook = webhook_by_id(&api, id).await?;
    if !api.store.delete_subscriber(webhook.uuid).await? {
        return Err(ApiError::not_found(format!("webhook {}", webhook.uuid)));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /webhooks/{id}/rotate-secret`.
pub(super) async fn rotate_secret(State(api): State<Shared>, WebhookId(id): WebhookId) -> Answer {
    let webhook = webhook_by_id(&api, id).await?;
    let secret = api.store.rotate_secret(webhook.uuid, None).await?;
    Ok(ok(json!({ "secret": secret.as_str() })))
}

/// `POST /webhooks/{id}/ping`.
pub(super) async fn ping(State(api): State<Shared>, WebhookId(id): WebhookId) -> Answer {
    let webhook = webhook_by_id(&api, id).await?;
    let Some(sender) = &api.sender else {
        return Err(ApiError::new(
            "ping_unavailable",
            "the router has no webhook sender: build it with `SubscriberApi::with_sender`",
        ));
    };
    let target = api
        .store
        .target(webhook.uuid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("webhook {}", webhook.uuid)))?;
    if let Some(problem) = &target.secret_error {
        tracing::error!(subscriber = %webhook.uuid, %problem, "subscriber API: a webhook secret cannot be read");
        return Err(ApiError::new(
            "secret_unreadable",
            "the webhook's secret cannot be decrypted with the configured keys",
        ));
    }
    let (Some(url), false) = (target.url.as_deref(), target.secrets.is_empty()) else {
        return Err(ApiError::new(
            "secret_unreadable",
            "the webhook has no URL or secret to sign with",
        ));
    };
    let attempt = sender
        .ping_with_tls(url, &target.secrets, target.content_type, &target.tls)
        .await;
    Ok(ok(attempt_json(&attempt)))
}

/// `GET /webhooks/{id}/dead-deliveries`.
pub(super) async fn dead_deliveries(
    State(api): State<Shared>,
    WebhookId(id): WebhookId,
    RawQuery(query): RawQuery,
) -> Answer {
    let webhook = webhook_by_id(&api, id).await?;
    let mut limit = DEFAULT_DEAD_LIMIT;
    for (key, value) in query_pairs(query.as_deref())? {
        match key.as_str() {
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_DEAD_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::new(
                            "invalid_query",
                            format!("`limit` is a number from 1 to {MAX_DEAD_LIMIT}"),
                        )
                    })?;
            }
            other => {
                return Err(ApiError::new(
                    "invalid_query",
                    format!("unknown query parameter `{other}`: the route takes `limit`"),
                ));
            }
        }
    }
    let dead = api.store.dead_deliveries(Some(webhook.uuid), limit).await?;
    let dead: Vec<Value> = dead.iter().map(dead_json).collect();
    Ok(ok(json!({ "dead_deliveries": dead })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RedriveBody {
    #[serde(default)]
    deliveries: Option<Vec<Uuid>>,
}

/// `POST /webhooks/{id}/redrive`.
pub(super) async fn redrive(
    State(api): State<Shared>,
    WebhookId(id): WebhookId,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let body: Option<RedriveBody> = read_json(&headers, body)?;
    webhook_by_id(&api, id).await?;
    let wanted = body.and_then(|b| b.deliveries);
    if let Some(wanted) = &wanted
        && wanted.len() > MAX_REDRIVE_IDS
    {
        return Err(ApiError::new(
            "invalid_body",
            format!("at most {MAX_REDRIVE_IDS} deliveries at a time (no list: all of them)"),
        ));
    }
    let redriven = api.store.redrive_subscriber(id, wanted.as_deref()).await?;
    Ok(ok(json!({ "redriven": redriven })))
}

/// `GET /subscribers?event_type=...&<scope key>=<value>...`.
pub(super) async fn subscribers_of(State(api): State<Shared>, RawQuery(query): RawQuery) -> Answer {
    let mut event_type = None;
    let mut values = Scope::global();
    let mut seen = std::collections::BTreeSet::new();
    for (key, value) in query_pairs(query.as_deref())? {
        if !seen.insert(key.clone()) {
            return Err(ApiError::new(
                "invalid_query",
                format!("`{key}` is given more than once"),
            ));
        }
        if key == "event_type" {
            event_type = Some(value);
        } else {
            values = values.with(key, value);
        }
    }
    let event_type = event_type.ok_or_else(|| {
        ApiError::new(
            "invalid_query",
            "`event_type` is required: `?event_type=...&<scope key>=<value>`",
        )
    })?;
    let found = api.store.subscribers_of(&event_type, &values).await?;
    let found: Vec<Value> = found
        .iter()
        .map(|s| {
            json!({
                "id": s.uuid,
                "kind": kind_name(s.kind),
                "name": s.name,
            })
        })
        .collect();
    Ok(ok(json!({ "subscribers": found })))
}

// What the handlers share.

fn ok(body: Value) -> Response {
    json(StatusCode::OK, &body)
}

fn missing_body() -> ApiError {
    ApiError::new("invalid_body", "the route takes a JSON body")
}

/// The JSON body, `None` when it is empty.
fn read_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Option<T>, ApiError> {
    let body = match body {
        Ok(body) => body,
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            return Err(ApiError::new(
                "body_too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        Err(_) => return Err(ApiError::new("invalid_body", "the body could not be read")),
    };
    if body.is_empty() {
        return Ok(None);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            "unsupported_media_type",
            "send the body with `Content-Type: application/json`",
        ));
    }
    // Syntax first, then shape: `[1,` is not JSON, whatever the route takes.
    let value: Value = serde_json::from_slice(&body)
        .map_err(|error| ApiError::new("invalid_json", error.to_string()))?;
    T::deserialize(value)
        .map(Some)
        .map_err(|error| ApiError::new("invalid_body", error.to_string()))
}

/// The path's `{id}`: `400 invalid_id` unless it is a UUID (also when the path cannot be
/// decoded).
pub(super) struct WebhookId(Uuid);

impl<S: Send + Sync> FromRequestParts<S> for WebhookId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let invalid = || ApiError::new("invalid_id", "the id is not a UUID");
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid())?;
        Uuid::parse_str(&id).map(WebhookId).map_err(|_| invalid())
    }
}

/// The webhook of `id`: 404 unless it is a webhook.
async fn webhook_by_id(api: &Shared, id: Uuid) -> Result<Subscriber, ApiError> {
    api.store
        .subscriber(id)
        .await?
        .filter(|s| s.kind == SubscriberKind::Webhook)
        .ok_or_else(|| ApiError::not_found(format!("webhook {id}")))
}

fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    Ok(form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::new("invalid_name", "the name is empty"));
    }
    Ok(())
}

fn content_type(name: &str) -> Result<ContentType, ApiError> {
    ContentType::from_name(name).ok_or_else(|| {
        ApiError::new(
            "invalid_content_type",
            format!("`{name}` is not a content type: json, form, slack, discord or teams"),
        )
    })
}

fn tls_settings(tls: TlsBody) -> Result<WebhookTls, ApiError> {
    match (tls.ca_pem, tls.verify.unwrap_or(true)) {
        (None, true) => Ok(WebhookTls::default()),
        (Some(pem), true) => Ok(WebhookTls::with_ca_pem(pem)),
        (None, false) => Ok(WebhookTls::insecure_no_verify()),
        (Some(_), false) => Err(ApiError::new(
            "invalid_tls",
            "a CA PEM with `verify: false`: a CA is only used to verify",
        )),
    }
}

fn scope(values: BTreeMap<String, String>) -> Scope {
    values
        .into_iter()
        .fold(Scope::global(), |scope, (key, value)| {
            scope.with(key, value)
        })
}

fn kind_name(kind: SubscriberKind) -> &'static str {
    match kind {
        SubscriberKind::Webhook => "webhook",
        SubscriberKind::Analytics => "analytics",
        SubscriberKind::Stream => "stream",
    }
}

fn webhook_json(webhook: &Subscriber, subscriptions: &[Subscription]) -> Value {
    let subscriptions: Vec<Value> = subscriptions
        .iter()
        .map(|s| {
            json!({
                "id": s.uuid,
                "event_type": s.event_type,
                "scope": s.scope.values(),
                "created_at": s.created_at,
            })
        })
        .collect();
    json!({
        "id": webhook.uuid,
        "name": webhook.name,
        "url": webhook.url,
        "content_type": webhook.content_type.as_str(),
        "tls": {
            "ca_pem": webhook.tls.ca_pem(),
            "verify": webhook.tls.verifies(),
        },
        "enabled": webhook.enabled,
        "disabled_at": webhook.disabled_at,
        "disabled_reason": webhook.disabled_reason,
        "failing_since": webhook.failing_since,
        "created_at": webhook.created_at,
        "updated_at": webhook.updated_at,
        "subscriptions": subscriptions,
    })
}

fn attempt_json(attempt: &Attempt) -> Value {
    let outcome = match attempt.outcome {
        Outcome::Delivered => "delivered",
        Outcome::Retry { .. } => "retry",
        Outcome::Gone => "gone",
        Outcome::Refused => "refused",
    };
    json!({
        "outcome": outcome,
        "status": attempt.status,
        "duration_ms": u64::try_from(attempt.duration.as_millis()).unwrap_or(u64::MAX),
        "detail": attempt.detail,
    })
}

fn dead_json(dead: &DeadDelivery) -> Value {
    json!({
        "id": dead.uuid,
        "event_id": dead.event_uuid,
        "event_type": dead.event_type,
        "attempts": dead.attempts,
        "last_error": dead.last_error,
        "created_at": dead.created_at,
    })
}
