//! The API's OpenAPI 3.1 document, built from the router's route table: a route the
//! router serves is a route the document describes.

use serde_json::{Map, Value, json};

use super::{ERROR_CODES, ROUTES};

/// The OpenAPI 3.1 document of [`SubscriberApi::router`](super::SubscriberApi::router),
/// with paths relative to where the application nests it.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths
            .entry(route.path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[route.method.openapi()] = operation(route);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Subscriber API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Webhook subscribers of the transactional outbox: their subscriptions, secrets, pings and dead deliveries. The API does not authenticate: the application mounts it behind its own authentication. Errors are `{\"error\": {\"code\", \"message\"}}` with a stable code (see `ErrorCode`).",
        },
        "paths": paths,
        "components": { "schemas": schemas() },
    })
}

fn operation(route: &super::Route) -> Value {
    let mut parameters = Vec::new();
    if route.path.contains("{id}") {
        parameters.push(json!({
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The webhook's id",
            "schema": { "type": "string", "format": "uuid" },
        }));
    }
    for param in route.query {
        let mut parameter = json!({
            "name": param.name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": { "type": param.kind },
        });
        if param.kind == "object" {
            parameter["schema"]["additionalProperties"] = json!({ "type": "string" });
            parameter["style"] = json!("form");
            parameter["explode"] = json!(true);
        }
        parameters.push(parameter);
    }
    let mut responses = Map::new();
    let (status, schema) = route.success;
    responses.insert(
        status.to_string(),
        match schema {
            Some(schema) => json!({
                "description": "Success",
                "content": { "application/json": { "schema": reference(schema) } },
            }),
            None => json!({ "description": "Success, no body" }),
        },
    );
    let mut statuses: Vec<u16> = route
        .error_codes()
        .filter_map(|code| ERROR_CODES.iter().find(|(c, _, _)| *c == code))
        .map(|(_, status, _)| *status)
        .collect();
    statuses.sort_unstable();
    statuses.dedup();
    for status in statuses {
        let codes: Vec<&str> = route
            .error_codes()
            .filter(|code| {
                ERROR_CODES
                    .iter()
                    .any(|(c, s, _)| c == code && *s == status)
            })
            .collect();
        responses.insert(
            status.to_string(),
            json!({
                "description": format!("Error: {}", codes.join(", ")),
                "content": { "application/json": { "schema": reference("Error") } },
            }),
        );
    }
    let mut operation = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "responses": responses,
    });
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    if let Some((schema, required)) = route.request {
        operation["requestBody"] = json!({
            "required": required,
            "content": { "application/json": { "schema": reference(schema) } },
        });
    }
    operation
}

fn reference(schema: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{schema}") })
}

fn nullable(kind: &str) -> Value {
    json!({ "type": [kind, "null"] })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn nullable_time() -> Value {
    json!({ "type": ["string", "null"], "format": "date-time" })
}

fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn schemas() -> Value {
    let codes: Vec<&str> = ERROR_CODES.iter().map(|(code, _, _)| *code).collect();
    let code_descriptions: Vec<String> = ERROR_CODES
        .iter()
        .map(|(code, status, what)| format!("`{code}` ({status}): {what}"))
        .collect();
    let content_types = json!({
        "type": "string",
        "enum": ["json", "form", "slack", "discord", "teams"],
        "description": "How bodies are encoded; default: detected from the URL (a Slack, Discord or Teams incoming webhook gets its chat format, anything else json)",
    });
    let scope = json!({
        "type": "object",
        "additionalProperties": { "type": "string" },
        "description": "Scope key to required value; empty or absent: every event of the type",
    });
    let tls_in = object(
        json!({
            "ca_pem": { "type": ["string", "null"], "description": "Extra trusted CA certificate(s), PEM" },
            "verify": { "type": "boolean", "default": true, "description": "false: the server certificate is not verified at all (dangerous)" },
        }),
        &[],
    );
    let subscription = object(
        json!({
            "id": uuid(),
            "event_type": { "type": "string" },
            "scope": scope,
            "created_at": time(),
        }),
        &["id", "event_type", "scope", "created_at"],
    );
    let webhook_properties = json!({
        "id": uuid(),
        "name": { "type": "string" },
        "url": { "type": "string" },
        "content_type": content_types,
        "tls": object(
            json!({ "ca_pem": nullable("string"), "verify": { "type": "boolean" } }),
            &["ca_pem", "verify"],
        ),
        "enabled": { "type": "boolean" },
        "disabled_at": nullable_time(),
        "disabled_reason": nullable("string"),
        "failing_since": nullable_time(),
        "created_at": time(),
        "updated_at": time(),
        "subscriptions": { "type": "array", "items": reference("Subscription") },
    });
    let webhook_required = [
        "id",
        "name",
        "url",
        "content_type",
        "tls",
        "enabled",
        "disabled_at",
        "disabled_reason",
        "failing_since",
        "created_at",
        "updated_at",
        "subscriptions",
    ];
    let mut created_properties = webhook_properties.clone();
    created_properties["secret"] = json!({
        "type": "string",
        "description": "The signing secret (`whsec_...`): returned here and by a rotation only",
    });
    let mut created_required = webhook_required.to_vec();
    created_required.push("secret");
    json!({
        "Error": object(
            json!({
                "error": object(
                    json!({
                        "code": {
                            "type": "string",
                            "enum": codes,
                            "description": code_descriptions.join("; "),
                        },
                        "message": { "type": "string" },
                    }),
                    &["code", "message"],
                ),
            }),
            &["error"],
        ),
        "EventType": object(
            json!({
                "event_type": { "type": "string" },
                "version": { "type": "integer", "minimum": 0 },
                "description": { "type": "string" },
                "scope_keys": { "type": "array", "items": { "type": "string" } },
            }),
            &["event_type", "version", "description", "scope_keys"],
        ),
        "EventTypeList": object(
            json!({ "event_types": { "type": "array", "items": reference("EventType") } }),
            &["event_types"],
        ),
        "TlsSettings": tls_in,
        "NewSubscription": object(
            json!({ "event_type": { "type": "string" }, "scope": scope }),
            &["event_type"],
        ),
        "NewWebhook": object(
            json!({
                "name": { "type": "string", "minLength": 1 },
                "url": { "type": "string", "description": "http:// or https://, without credentials" },
                "content_type": content_types,
                "tls": reference("TlsSettings"),
                "subscriptions": { "type": "array", "items": reference("NewSubscription"), "default": [] },
            }),
            &["name", "url"],
        ),
        "WebhookUpdate": object(
            json!({
                "name": { "type": "string", "minLength": 1 },
                "url": { "type": "string" },
                "content_type": content_types,
                "enabled": { "type": "boolean", "description": "true clears the disabled state and the failure window; false marks pending deliveries dead" },
                "tls": reference("TlsSettings"),
            }),
            &[],
        ),
        "Subscription": subscription,
        "Webhook": object(webhook_properties, &webhook_required),
        "CreatedWebhook": object(created_properties, &created_required),
        "WebhookList": object(
            json!({ "webhooks": { "type": "array", "items": reference("Webhook") } }),
            &["webhooks"],
        ),
        "RotatedSecret": object(
            json!({ "secret": { "type": "string", "description": "The new signing secret, returned once" } }),
            &["secret"],
        ),
        "PingAttempt": object(
            json!({
                "outcome": { "type": "string", "enum": ["delivered", "retry", "gone", "refused"] },
                "status": { "type": ["integer", "null"], "description": "The HTTP status; null when no response arrived" },
                "duration_ms": { "type": "integer", "minimum": 0 },
                "detail": { "type": "string", "description": "The start of the response body, or the error" },
            }),
            &["outcome", "status", "duration_ms", "detail"],
        ),
        "DeadDelivery": object(
            json!({
                "id": uuid(),
                "event_id": { "type": ["string", "null"], "format": "uuid" },
                "event_type": { "type": "string" },
                "attempts": { "type": "integer", "minimum": 0 },
                "last_error": nullable("string"),
                "created_at": time(),
            }),
            &["id", "event_id", "event_type", "attempts", "last_error", "created_at"],
        ),
        "DeadDeliveryList": object(
            json!({ "dead_deliveries": { "type": "array", "items": reference("DeadDelivery") } }),
            &["dead_deliveries"],
        ),
        "Redrive": object(
            json!({ "deliveries": { "type": "array", "items": uuid(), "maxItems": super::MAX_REDRIVE_IDS, "description": "The dead deliveries to redrive; absent (or no body): all of the webhook's" } }),
            &[],
        ),
        "Redriven": object(
            json!({ "redriven": { "type": "integer", "minimum": 0 } }),
            &["redriven"],
        ),
        "SubscriberSummary": object(
            json!({
                "id": uuid(),
                "kind": { "type": "string", "enum": ["webhook", "analytics", "stream"] },
                "name": { "type": "string" },
            }),
            &["id", "kind", "name"],
        ),
        "SubscriberList": object(
            json!({ "subscribers": { "type": "array", "items": reference("SubscriberSummary") } }),
            &["subscribers"],
        ),
    })
}
