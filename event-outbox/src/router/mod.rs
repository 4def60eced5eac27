//! The subscriber management API (crate feature `router`): an axum router over the
//! [`Store`] to list the subscribable event types, create, list, change and delete
//! webhooks with their subscriptions, rotate their secrets, ping them, list and redrive
//! their dead deliveries, and ask who is subscribed to an event.
//!
//! The router does not authenticate: the application mounts it behind its own
//! authentication layer. Errors are JSON, `{"error": {"code", "message"}}`, with the
//! stable codes of [`ERROR_CODES`]. A webhook's secret is returned by its creation and by
//! the rotation of its secret only.
//!
//! [`openapi::document`] is the API's OpenAPI 3.1 document, built from the same route
//! table as the router.

mod error;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::store::Store;
use crate::webhook::WebhookSender;
use error::ApiError;
pub use error::ERROR_CODES;

/// The largest request body read, in bytes (a webhook with a CA PEM and its
/// subscriptions fits many times over).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// How many dead deliveries `GET /webhooks/{id}/dead-deliveries` lists by default.
pub const DEFAULT_DEAD_LIMIT: u32 = 100;
/// The most it lists (`?limit=`).
pub const MAX_DEAD_LIMIT: u32 = 1000;

/// The most delivery ids `POST /webhooks/{id}/redrive` takes in one request.
pub const MAX_REDRIVE_IDS: usize = 1000;

/// The subscriber management API over a store: build it, then [`SubscriberApi::router`].
///
/// ```no_run
/// # async fn example(store: event_outbox::store::Store) -> Result<(), Box<dyn std::error::Error>> {
/// use event_outbox::router::SubscriberApi;
/// use event_outbox::webhook::{WebhookConfig, WebhookSender};
///
/// let api = SubscriberApi::new(store)
///     .with_sender(WebhookSender::new(WebhookConfig::default())?)
///     .router();
/// let app = axum::Router::<()>::new().nest("/admin/subscribers", api);
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SubscriberApi {
    store: Store,
    sender: Option<WebhookSender>,
}

impl SubscriberApi {
    /// The API over `store`, without a sender: `POST /webhooks/{id}/ping` answers
    /// `501 ping_unavailable` until one is given.
    pub fn new(store: Store) -> Self {
        SubscriberApi {
            store,
            sender: None,
        }
    }

    /// Pings go through `sender` (its address policy and timeouts apply).
    pub fn with_sender(mut self, sender: WebhookSender) -> Self {
        self.sender = Some(sender);
        self
    }

    /// The router, with the routes of [`openapi::document`] under its root; nest it
    /// where the application wants it, behind its authentication.
    pub fn router(self) -> Router {
        let shared = Arc::new(self);
        let mut router = Router::new();
        for route in ROUTES {
            router = router.route(route.path, (route.handler)(route.method.filter()));
        }
        router
            .fallback(|| async { ApiError::new("not_found", "no such route") })
            .method_not_allowed_fallback(|| async {
                ApiError::new("method_not_allowed", "the route does not take this method")
            })
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(shared)
    }
}

type Shared = Arc<SubscriberApi>;

/// An HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        }
    }

    /// Its name in an OpenAPI path item.
    pub(crate) fn openapi(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

/// A query parameter of a route.
pub(crate) struct QueryParam {
    pub(crate) name: &'static str,
    pub(crate) required: bool,
    pub(crate) description: &'static str,
    /// Its JSON Schema type: `string`, `integer`, or `object` for free-form pairs.
    pub(crate) kind: &'static str,
}

/// One route: what the router serves and the document describes.
pub(crate) struct Route {
    pub(crate) method: Method,
    /// The path, `{id}` for the webhook's id (axum and OpenAPI write it alike).
    pub(crate) path: &'static str,
    pub(crate) operation_id: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) query: &'static [QueryParam],
    /// The request body's schema (a component), and whether it is required.
    pub(crate) request: Option<(&'static str, bool)>,
    /// The success status and its body's schema (a component; `None`: no body).
    pub(crate) success: (u16, Option<&'static str>),
    /// The error codes of its own it may answer with (besides those of every route with a
    /// body, and `internal`: see [`Route::error_codes`]).
    pub(crate) errors: &'static [&'static str],
    handler: fn(MethodFilter) -> MethodRouter<Shared>,
}

impl Route {
    /// Every error code it may answer with: its own, those of a route that reads a body,
    /// and `internal`.
    pub(crate) fn error_codes(&self) -> impl Iterator<Item = &'static str> {
        let body: &[&str] = if self.request.is_some() {
            &BODY_ERRORS
        } else {
            &[]
        };
        (self.errors.iter().chain(body))
            .copied()
            .chain(["internal"])
    }
}

/// What any route that reads a JSON body may answer.
const BODY_ERRORS: [&str; 4] = [
    "invalid_json",
    "invalid_body",
    "body_too_large",
    "unsupported_media_type",
];

/// Every route of the API.
pub(crate) const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/event-types",
        operation_id: "listEventTypes",
        summary: "The subscribable event types of the catalog, with their scope keys",
        query: &[],
        request: None,
        success: (200, Some("EventTypeList")),
        errors: &["no_catalog"],
        handler: |m| on(m, handlers::event_types),
    },
    Route {
        method: Method::Post,
        path: "/webhooks",
        operation_id: "createWebhook",
        summary: "Creates a webhook with its subscriptions, all or nothing; the only answer but a rotation with its secret",
        query: &[],
        request: Some(("NewWebhook", true)),
        success: (201, Some("CreatedWebhook")),
        errors: &[
            "invalid_name",
            "invalid_url",
            "invalid_content_type",
            "invalid_tls",
            "unknown_event_type",
            "unknown_scope_key",
            "invalid_request",
        ],
        handler: |m| on(m, handlers::create_webhook),
    },
    Route {
        method: Method::Get,
        path: "/webhooks",
        operation_id: "listWebhooks",
        summary: "Every webhook with its subscriptions, oldest first",
        query: &[],
        request: None,
        success: (200, Some("WebhookList")),
        errors: &[],
        handler: |m| on(m, handlers::list_webhooks),
    },
    Route {
        method: Method::Get,
        path: "/webhooks/{id}",
        operation_id: "getWebhook",
        summary: "One webhook with its subscriptions",
        query: &[],
        request: None,
        success: (200, Some("Webhook")),
        errors: &["invalid_id", "not_found"],
        handler: |m| on(m, handlers::get_webhook),
    },
    Route {
        method: Method::Patch,
        path: "/webhooks/{id}",
        operation_id: "updateWebhook",
        summary: "Changes a webhook's name, URL, content type, TLS settings or enabled state; absent fields stay as they are",
        query: &[],
        request: Some(("WebhookUpdate", true)),
        success: (200, Some("Webhook")),
        errors: &[
            "invalid_id",
            "not_found",
            "invalid_name",
            "invalid_url",
            "invalid_content_type",
            "invalid_tls",
            "invalid_request",
        ],
        handler: |m| on(m, handlers::update_webhook),
    },
    Route {
        method: Method::Delete,
        path: "/webhooks/{id}",
        operation_id: "deleteWebhook",
        summary: "Deletes a webhook with its subscriptions, deliveries and attempt log",
        query: &[],
        request: None,
        success: (204, None),
        errors: &["invalid_id", "not_found"],
        handler: |m| on(m, handlers::delete_webhook),
    },
    Route {
        method: Method::Post,
        path: "/webhooks/{id}/rotate-secret",
        operation_id: "rotateWebhookSecret",
        summary: "Replaces a webhook's secret with a new one, returned once; the previous one still signs for the store's `previous_secret_ttl`",
        query: &[],
        request: None,
        success: (200, Some("RotatedSecret")),
        errors: &["invalid_id", "not_found", "invalid_request"],
        handler: |m| on(m, handlers::rotate_secret),
    },
    Route {
        method: Method::Post,
        path: "/webhooks/{id}/ping",
        operation_id: "pingWebhook",
        summary: "Sends a signed test delivery to a saved webhook (its URL, secret, content type and TLS settings) and returns the attempt",
        query: &[],
        request: None,
        success: (200, Some("PingAttempt")),
        errors: &[
            "invalid_id",
            "not_found",
            "secret_unreadable",
            "ping_unavailable",
        ],
        handler: |m| on(m, handlers::ping),
    },
    Route {
        method: Method::Get,
        path: "/webhooks/{id}/dead-deliveries",
        operation_id: "listDeadDeliveries",
        summary: "A webhook's dead deliveries, oldest first",
        query: &[QueryParam {
            name: "limit",
            required: false,
            description: "How many to list: 1 to 1000, default 100",
            kind: "integer",
        }],
        request: None,
        success: (200, Some("DeadDeliveryList")),
        errors: &["invalid_id", "not_found", "invalid_query"],
        handler: |m| on(m, handlers::dead_deliveries),
    },
    Route {
        method: Method::Post,
        path: "/webhooks/{id}/redrive",
        operation_id: "redriveWebhook",
        summary: "Makes a webhook's dead deliveries pending again, due now: all of them, or those listed (at most 1000; ids of other deliveries are ignored); a disabled webhook's stay dead",
        query: &[],
        request: Some(("Redrive", false)),
        success: (200, Some("Redriven")),
        errors: &["invalid_id", "not_found"],
        handler: |m| on(m, handlers::redrive),
    },
    Route {
        method: Method::Get,
        path: "/subscribers",
        operation_id: "subscribersOf",
        summary: "Who an event of a type carrying the given scope values would be delivered to: enabled subscribers (of every kind) with a matching subscription",
        query: &[
            QueryParam {
                name: "event_type",
                required: true,
                description: "The event type",
                kind: "string",
            },
            QueryParam {
                name: "scope",
                required: false,
                description: "The event's scope values, one query parameter each: `project_uuid=...&job_uuid=...`",
                kind: "object",
            },
        ],
        request: None,
        success: (200, Some("SubscriberList")),
        errors: &["invalid_query", "unknown_event_type", "unknown_scope_key"],
        handler: |m| on(m, handlers::subscribers_of),
    },
];
