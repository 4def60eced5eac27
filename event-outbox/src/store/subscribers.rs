//! Subscribers (webhooks, streams and the one analytics subscriber) and their
//! subscriptions.

use std::fmt;

use event_runtime::Timestamp;
use uuid::Uuid;

use event_runtime::schema::Tables;

use super::sql::{Conn, Row, Sql, Value, quote};
use super::subscription::{Scope, SubscriberKind};
use super::{Store, StoreError, chrono_duration, operational};
use crate::delivery::ContentType;
use crate::redact::Redacted;
use crate::redact_url;
use crate::secret::{self, Secret};
use crate::stream::{StreamPayload, StreamSettings};
use crate::tls::WebhookTls;

/// A subscriber as listed: everything but its secrets. `Debug` shows the URL redacted.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subscriber {
    /// Its id.
    pub uuid: Uuid,
    /// Webhook, analytics or stream.
    pub kind: SubscriberKind,
    /// Its name.
    pub name: String,
    /// Where webhooks go, or the NATS server of a stream (`None` for the analytics
    /// subscriber).
    pub url: Option<String>,
    /// A stream's subject prefix and payload (`None` unless it is a stream).
    pub stream: Option<StreamSettings>,
    /// How webhook bodies are encoded.
    pub content_type: ContentType,
    /// How a webhook's server certificate is checked ([`WebhookTls::verifies`] is `false`
    /// when it is not). The defaults for other kinds.
    pub tls: WebhookTls,
    /// Whether it receives deliveries.
    pub enabled: bool,
    /// When it was disabled.
    pub disabled_at: Option<Timestamp>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// The first failure since its last success.
    pub failing_since: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("uuid", &self.uuid)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("url", &Redacted(self.url.as_deref()))
            .field("stream", &self.stream)
            .field("content_type", &self.content_type)
            .field("tls", &self.tls)
            .field("enabled", &self.enabled)
            .field("disabled_at", &self.disabled_at)
            .field("disabled_reason", &self.disabled_reason)
            .field("failing_since", &self.failing_since)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A webhook to create. `Debug` shows the URL redacted.
#[derive(Clone)]
pub struct NewWebhook {
    /// Its name.
    pub name: String,
    /// Its URL (`https://` or `http://`).
    pub url: String,
    /// How bodies are encoded.
    pub content_type: ContentType,
    /// Its secret; `None` generates one.
    pub secret: Option<Secret>,
    /// How its server certificate is checked. Default: verified against the system's
    /// roots.
    pub tls: WebhookTls,
}

impl NewWebhook {
    /// A webhook with a generated secret, in the format its URL calls for
    /// ([`ContentType::detect`]): a chat app's incoming webhook (Slack, Discord, Microsoft
    /// Teams) gets its chat format, any other URL JSON. Set `content_type` to choose.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        let url = url.into();
        NewWebhook {
            name: name.into(),
            content_type: ContentType::detect(&url),
            url,
            secret: None,
            tls: WebhookTls::default(),
        }
    }
}

impl fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWebhook")
            .field("name", &self.name)
            .field("url", &Redacted(Some(&self.url)))
            .field("content_type", &self.content_type)
            .field("secret", &self.secret)
            .field("tls", &self.tls)
            .finish()
    }
}

/// A webhook just created, with its secret: the only time the secret is returned.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    /// The subscriber.
    pub subscriber: Subscriber,
    /// Its secret (shown once).
    pub secret: Secret,
}

/// Changes to a webhook; `None` leaves a field as it is. `Debug` shows the URL redacted.
#[derive(Clone, Default)]
pub struct WebhookUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new URL. The content type stays as it is: to follow the new URL's chat app, set
    /// `content_type` to [`ContentType::detect`] of it too.
    pub url: Option<String>,
    /// A new content type.
    pub content_type: Option<ContentType>,
    /// New TLS settings (webhooks only), used from the next delivery attempt on.
    pub tls: Option<WebhookTls>,
    /// Enables (clearing the disabled state and the failure window) or disables it.
    pub enabled: Option<bool>,
}

impl fmt::Debug for WebhookUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookUpdate")
            .field("name", &self.name)
            .field("url", &Redacted(self.url.as_deref()))
            .field("content_type", &self.content_type)
            .field("tls", &self.tls)
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// A subscription: a subscriber receives events of one exact type, within a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subscription {
    /// Its id.
    pub uuid: Uuid,
    /// The subscriber.
    pub subscriber: Uuid,
    /// The exact event type.
    pub event_type: String,
    /// The scope.
    pub scope: Scope,
    /// When it was created.
    pub created_at: Timestamp,
}

const SUBSCRIBER_COLUMNS: &str = r#""uuid", "kind", "name", "url", "content_type", "enabled",
    "disabled_at", "disabled_reason", "failing_since", "created_at", "updated_at",
    "stream_subject_prefix", "stream_payload", "tls_ca_pem", "tls_verify""#;

fn subscriber(row: &Row) -> Result<Subscriber, StoreError> {
    let content_type = row.text("content_type")?;
    let kind = SubscriberKind::read(row)?;
    Ok(Subscriber {
        uuid: row.uuid("uuid")?,
        kind,
        name: row.text("name")?,
        url: row.opt_text("url")?,
        stream: stream_settings(row, kind)?,
        content_type: ContentType::from_name(&content_type)
            .ok_or_else(|| StoreError::corrupt("content_type", content_type))?,
        tls: webhook_tls(row)?,
        enabled: row.bool("enabled")?,
        disabled_at: row.opt_time("disabled_at")?,
        disabled_reason: row.opt_text("disabled_reason")?,
        failing_since: row.opt_time("failing_since")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// A stream's settings, from a row of `subscribers` with `stream_subject_prefix` and
/// `stream_payload`; `None` unless the subscriber is a stream.
pub(super) fn stream_settings(
    row: &Row,
    kind: SubscriberKind,
) -> Result<Option<StreamSettings>, StoreError> {
    if kind != SubscriberKind::Stream {
        return Ok(None);
    }
    let payload = match row.opt_text("stream_payload")? {
        None => StreamPayload::Notification,
        Some(name) => StreamPayload::from_name(&name)
            .ok_or_else(|| StoreError::corrupt("stream_payload", name))?,
    };
    Ok(Some(StreamSettings::new(
        row.opt_text("stream_subject_prefix")?,
        payload,
    )))
}

/// A webhook's TLS settings, from a row of `subscribers` with `tls_ca_pem` and
/// `tls_verify`.
pub(super) fn webhook_tls(row: &Row) -> Result<WebhookTls, StoreError> {
    Ok(WebhookTls::from_stored(
        row.opt_text("tls_ca_pem")?,
        row.bool("tls_verify")?,
    ))
}

/// Refuses TLS settings that cannot be used (a CA PEM that is not certificates).
fn check_tls(tls: &WebhookTls) -> Result<(), StoreError> {
    tls.check()
        .map_err(|invalid| StoreError::invalid("webhook TLS settings", invalid.problem))
}

/// Refuses what is not an http(s) URL, and credentials in one: the messages never show
/// the URL (its query may hold a token), only its redacted form.
fn check_url(url: &str) -> Result<(), StoreError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest.filter(|rest| !rest.is_empty() && !url.contains(char::is_whitespace))
    else {
        return Err(StoreError::invalid(
            "webhook URL",
            format!("`{}` is not an http:// or https:// URL", redact_url(url)),
        ));
    };
    // The authority ends at the first `/`, `\`, `?` or `#` (HTTP URL parsers read `\`
    // as `/`); a `@` in it ends a userinfo.
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(StoreError::invalid(
            "webhook URL",
            format!(
                "`{}` holds credentials (`user:password@`), which are never sent: remove them, and have the receiver check the signature (or a token in the path)",
                redact_url(url)
            ),
        ));
    }
    Ok(())
}

impl Store {
    /// Inserts a subscriber with a URL and a secret (a webhook or a stream), the columns
    /// of its kind, and its subscriptions (their types checked against `event_types`), in
    /// one transaction; returns its uuid.
    pub(super) async fn insert_subscriber(
        &self,
        kind: SubscriberKind,
        name: &str,
        url: &str,
        secret: &Secret,
        columns: &[(&str, Value<'_>)],
        subscriptions: &[(String, Scope)],
    ) -> Result<Uuid, StoreError> {
        let uuid = Uuid::now_v7();
        let stored = self.seal(uuid, secret)?;
        let now = event_runtime::now();
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        for (event_type, _) in subscriptions {
            check_stored_type(&mut conn, self.tables(), event_type).await?;
        }
        let mut sql = Sql::new(
            &conn,
            self.tables(),
            r#"INSERT INTO {subscribers} ("uuid", "kind", "name", "url", "secret", "created_at", "updated_at""#,
        );
        for (column, _) in columns {
            sql.push(", ").push(&quote(column));
        }
        sql.push(") VALUES ");
        let values = [
            Value::Uuid(uuid),
            Value::Text(kind.as_str()),
            Value::Text(name),
            Value::Text(url),
            Value::Text(&stored),
            Value::Time(now),
            Value::Time(now),
        ];
        sql.list(
            values
                .into_iter()
                .chain(columns.iter().map(|(_, v)| v.clone())),
        );
        sql.execute(&mut conn).await?;
        for (event_type, scope) in subscriptions {
            insert_subscription(
                &mut conn,
                self.tables(),
                uuid,
                event_type,
                &scope.to_stored(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(uuid)
    }

    /// Creates a webhook subscriber. The result holds its secret, generated unless given:
    /// the only time it is returned.
    pub async fn create_webhook(&self, webhook: NewWebhook) -> Result<CreatedWebhook, StoreError> {
        self.create_webhook_with_subscriptions(webhook, Vec::new())
            .await
            .map(|(created, _)| created)
    }

    /// Creates a webhook subscriber and its subscriptions (event type and scope), all in
    /// one transaction: when one is refused, nothing is written. Every subscription is
    /// checked first, against the catalog when the store has one
    /// ([`check_subscription`](super::check_subscription)) and against `event_types`; the
    /// same subscription given twice is created once. Returns the webhook with its
    /// secret (the only time it is returned) and its subscriptions, by event type.
    pub async fn create_webhook_with_subscriptions(
        &self,
        webhook: NewWebhook,
        subscriptions: Vec<(String, Scope)>,
    ) -> Result<(CreatedWebhook, Vec<Subscription>), StoreError> {
        check_url(&webhook.url)?;
        check_tls(&webhook.tls)?;
        if let Some(catalog) = self.catalog() {
            for (event_type, scope) in &subscriptions {
                super::check_subscription(catalog, event_type, scope)?;
            }
        }
        let secret = webhook.secret.unwrap_or_else(Secret::generate);
        let uuid = self
            .insert_subscriber(
                SubscriberKind::Webhook,
                &webhook.name,
                &webhook.url,
                &secret,
                &[
                    ("content_type", Value::Text(webhook.content_type.as_str())),
                    ("tls_ca_pem", Value::OptText(webhook.tls.ca_pem())),
                    ("tls_verify", Value::Bool(webhook.tls.verifies())),
                ],
                &subscriptions,
            )
            .await?;
        let subscriber = self
            .subscriber(uuid)
            .await?
            .ok_or(StoreError::NoSubscriber(uuid))?;
        let subscriptions = self.subscriptions(uuid).await?;
        Ok((CreatedWebhook { subscriber, secret }, subscriptions))
    }

    /// The subscribers an event of `event_type` carrying the scope values `values` would
    /// be delivered to, oldest first: the enabled ones with a subscription to the type
    /// whose scope `values` holds (a global subscription always matches; one scoped to
    /// `project_uuid = p` matches when `values` holds `project_uuid = p`), as recording
    /// matches them. With a catalog, the type and the keys of `values` are checked
    /// against it ([`check_subscription`](super::check_subscription)).
    pub async fn subscribers_of(
        &self,
        event_type: &str,
        values: &Scope,
    ) -> Result<Vec<Subscriber>, StoreError> {
        if let Some(catalog) = self.catalog() {
            super::check_subscription(catalog, event_type, values)?;
        }
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let columns = SUBSCRIBER_COLUMNS
            .split(',')
            .map(|column| format!("sub.{}", column.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = Sql::new(
            &conn,
            self.tables(),
            &format!(
                r#"SELECT {columns}, s."scope" FROM {{subscriptions}} s
                   JOIN {{subscribers}} sub ON sub."uuid" = s."subscriber_uuid"
                   WHERE sub."enabled" AND s."event_type" = $1
                   ORDER BY sub."created_at", sub."uuid""#
            ),
        )
        .bind(Value::Text(event_type));
        let mut found: Vec<Subscriber> = Vec::new();
        for row in sql.fetch_all(&mut conn).await? {
            let scope = Scope::parse_stored(&row.text("scope")?)?;
            let matched = scope
                .values()
                .iter()
                .all(|(key, value)| values.values().get(key) == Some(value));
            if !matched {
                continue;
            }
            let subscriber = subscriber(&row)?;
            if found.last().is_none_or(|last| last.uuid != subscriber.uuid) {
                found.push(subscriber);
            }
        }
        Ok(found)
    }

    /// The analytics subscriber, created when there is none, subscribed globally to each
    /// of `event_types` it is not subscribed to yet (its deliveries carry telemetry
    /// payloads, and are recorded only while telemetry is enabled).
    pub async fn ensure_analytics_subscriber<'t>(
        &self,
        name: &str,
        event_types: impl IntoIterator<Item = &'t str>,
    ) -> Result<Subscriber, StoreError> {
        let now = event_runtime::now();
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let existing = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT "uuid" FROM {subscribers} WHERE "kind" = 'analytics'"#,
        )
        .fetch_optional(&mut conn)
        .await?;
        let uuid = match existing {
            Some(row) => row.uuid("uuid")?,
            None => {
                let uuid = Uuid::now_v7();
                let mut sql = Sql::new(
                    &conn,
                    self.tables(),
                    r#"INSERT INTO {subscribers} ("uuid", "kind", "name", "created_at", "updated_at") VALUES "#,
                );
                sql.list([
                    Value::Uuid(uuid),
                    Value::Text(SubscriberKind::Analytics.as_str()),
                    Value::Text(name),
                    Value::Time(now),
                    Value::Time(now),
                ]);
                sql.execute(&mut conn).await?;
                uuid
            }
        };
        let global = Scope::global().to_stored();
        for event_type in event_types {
            let mut sql = Sql::new(
                &conn,
                self.tables(),
                r#"INSERT INTO {subscriptions} ("uuid", "subscriber_uuid", "event_type", "scope", "created_at") VALUES "#,
            );
            sql.list([
                Value::Uuid(Uuid::now_v7()),
                Value::Uuid(uuid),
                Value::Text(event_type),
                Value::Text(&global),
                Value::Time(now),
            ]);
            sql.push(" ON CONFLICT DO NOTHING");
            sql.execute(&mut conn).await?;
        }
        tx.commit().await?;
        self.subscriber(uuid)
            .await?
            .ok_or(StoreError::NoSubscriber(uuid))
    }

    /// One subscriber.
    pub async fn subscriber(&self, uuid: Uuid) -> Result<Option<Subscriber>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let sql = Sql::new(
            &conn,
            self.tables(),
            &format!(r#"SELECT {SUBSCRIBER_COLUMNS} FROM {{subscribers}} WHERE "uuid" = $1"#),
        )
        .bind(Value::Uuid(uuid));
        sql.fetch_optional(&mut conn)
            .await?
            .map(|row| subscriber(&row))
            .transpose()
    }

    /// Every subscriber, oldest first.
    pub async fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let sql = Sql::new(
            &conn,
            self.tables(),
            &format!(
                r#"SELECT {SUBSCRIBER_COLUMNS} FROM {{subscribers}} ORDER BY "created_at", "uuid""#
            ),
        );
        sql.fetch_all(&mut conn)
            .await?
            .iter()
            .map(subscriber)
            .collect()
    }

    /// Changes a subscriber. Enabling clears its disabled state and failure window (its
    /// dead deliveries stay dead until redriven); disabling marks its pending deliveries
    /// dead.
    pub async fn update_subscriber(
        &self,
        uuid: Uuid,
        update: WebhookUpdate,
    ) -> Result<Subscriber, StoreError> {
        if let Some(tls) = &update.tls {
            check_tls(tls)?;
            let kind = self.subscriber(uuid).await?.map(|s| s.kind);
            if kind.is_some_and(|kind| kind != SubscriberKind::Webhook) {
                return Err(StoreError::invalid(
                    "webhook TLS settings",
                    "only webhooks have TLS settings",
                ));
            }
        }
        if let Some(url) = &update.url {
            let kind = self.subscriber(uuid).await?.map(|s| s.kind);
            if kind == Some(SubscriberKind::Stream) {
                crate::stream::check_url(url)
                    .map_err(|e| StoreError::invalid("stream URL", e.to_string()))?;
            } else {
                check_url(url)?;
            }
        }
        let now = event_runtime::now();
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let mut sql = Sql::new(
            &conn,
            self.tables(),
            r#"UPDATE {subscribers} SET "updated_at" = "#,
        );
        sql.param(Value::Time(now));
        if let Some(name) = &update.name {
            sql.push(r#", "name" = "#).param(Value::Text(name));
        }
        if let Some(url) = &update.url {
            sql.push(r#", "url" = "#).param(Value::Text(url));
        }
        if let Some(content_type) = update.content_type {
            sql.push(r#", "content_type" = "#)
                .param(Value::Text(content_type.as_str()));
        }
        if let Some(tls) = &update.tls {
            sql.push(r#", "tls_ca_pem" = "#)
                .param(Value::OptText(tls.ca_pem()));
            sql.push(r#", "tls_verify" = "#)
                .param(Value::Bool(tls.verifies()));
        }
        if update.enabled == Some(true) {
            sql.push(
                r#", "enabled" = TRUE, "disabled_at" = NULL, "disabled_reason" = NULL, "failing_since" = NULL"#,
            );
        }
        sql.push(r#" WHERE "uuid" = "#).param(Value::Uuid(uuid));
        if sql.execute(&mut conn).await? == 0 {
            return Err(StoreError::NoSubscriber(uuid));
        }
        let recorded = match update.enabled {
            Some(false) => disable(self, &mut conn, uuid, "disabled by a user", now).await?,
            _ => false,
        };
        self.commit_waking(tx, recorded).await?;
        self.subscriber(uuid)
            .await?
            .ok_or(StoreError::NoSubscriber(uuid))
    }

    /// Replaces a webhook's secret with `secret` (generated when `None`), returned once.
    /// The previous secret still signs, beside the new one, for the configured time.
    pub async fn rotate_secret(
        &self,
        uuid: Uuid,
        secret: Option<Secret>,
    ) -> Result<Secret, StoreError> {
        let secret = secret.unwrap_or_else(Secret::generate);
        let stored = self.seal(uuid, &secret)?;
        let now = event_runtime::now();
        let expires = now
            .checked_add_signed(chrono_duration(self.config().previous_secret_ttl))
            .ok_or_else(|| {
                StoreError::invalid(
                    "store configuration",
                    "`previous_secret_ttl` is too long to add to the current time",
                )
            })?;
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let row = Sql::new(
            &conn,
            self.tables(),
            r#"UPDATE {subscribers} SET "previous_secret" = "secret", "secret" = $1,
               "previous_secret_expires_at" = $2, "updated_at" = $3
               WHERE "uuid" = $4 AND "kind" = 'webhook' RETURNING "uuid", "name", "kind""#,
        )
        .bind(Value::Text(&stored))
        .bind(Value::Time(expires))
        .bind(Value::Time(now))
        .bind(Value::Uuid(uuid))
        .fetch_optional(&mut conn)
        .await?
        .ok_or(StoreError::NoSubscriber(uuid))?;
        let subject = operational::Subject::read(&row, "")?;
        let recorded = operational::secret_rotated(self, &mut conn, &subject, expires, now).await?;
        self.commit_waking(tx, recorded).await?;
        Ok(secret)
    }

    /// Deletes a subscriber with its subscriptions, deliveries and attempt log; whether
    /// it existed.
    pub async fn delete_subscriber(&self, uuid: Uuid) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let deleted = Sql::new(
            &conn,
            self.tables(),
            r#"DELETE FROM {subscribers} WHERE "uuid" = $1"#,
        )
        .bind(Value::Uuid(uuid))
        .execute(&mut conn)
        .await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Subscribes a subscriber to an exact event type within `scope`. Subscribing twice
    /// to the same type and scope returns the existing subscription. With a catalog
    /// ([`StoreConfig::catalog`](super::StoreConfig::catalog)), the type and the scope's
    /// keys are checked against it ([`check_subscription`](super::check_subscription)).
    pub async fn subscribe(
        &self,
        subscriber: Uuid,
        event_type: &str,
        scope: Scope,
    ) -> Result<Subscription, StoreError> {
        if let Some(catalog) = self.catalog() {
            super::check_subscription(catalog, event_type, &scope)?;
        }
        let stored = scope.to_stored();
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        check_stored_type(&mut conn, self.tables(), event_type).await?;
        let exists = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT 1 AS "one" FROM {subscribers} WHERE "uuid" = $1"#,
        )
        .bind(Value::Uuid(subscriber))
        .fetch_optional(&mut conn)
        .await?;
        if exists.is_none() {
            return Err(StoreError::NoSubscriber(subscriber));
        }
        insert_subscription(&mut conn, self.tables(), subscriber, event_type, &stored).await?;
        let row = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT "uuid", "subscriber_uuid", "event_type", "scope", "created_at" FROM {subscriptions}
               WHERE "subscriber_uuid" = $1 AND "event_type" = $2 AND "scope" = $3"#,
        )
        .bind(Value::Uuid(subscriber))
        .bind(Value::Text(event_type))
        .bind(Value::Text(&stored))
        .fetch_optional(&mut conn)
        .await?
        .ok_or_else(|| StoreError::invalid("subscription", "not found after insert"))?;
        let subscription = subscription(&row)?;
        tx.commit().await?;
        Ok(subscription)
    }

    /// Deletes a subscription; whether it existed.
    pub async fn unsubscribe(&self, subscription: Uuid) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let deleted = Sql::new(
            &conn,
            self.tables(),
            r#"DELETE FROM {subscriptions} WHERE "uuid" = $1"#,
        )
        .bind(Value::Uuid(subscription))
        .execute(&mut conn)
        .await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// A subscriber's subscriptions, by event type.
    pub async fn subscriptions(&self, subscriber: Uuid) -> Result<Vec<Subscription>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let sql = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT "uuid", "subscriber_uuid", "event_type", "scope", "created_at" FROM {subscriptions}
               WHERE "subscriber_uuid" = $1 ORDER BY "event_type", "scope""#,
        )
        .bind(Value::Uuid(subscriber));
        sql.fetch_all(&mut conn)
            .await?
            .iter()
            .map(subscription)
            .collect()
    }
}

/// Refuses an event type that `event_types` does not hold.
async fn check_stored_type(
    conn: &mut Conn<'_>,
    tables: &Tables,
    event_type: &str,
) -> Result<(), StoreError> {
    let known = Sql::new(
        conn,
        tables,
        r#"SELECT 1 AS "one" FROM {event_types} WHERE "name" = $1"#,
    )
    .bind(Value::Text(event_type))
    .fetch_optional(conn)
    .await?;
    if known.is_none() {
        return Err(StoreError::invalid(
            "event type",
            format!("`{event_type}` is not a stored event type"),
        ));
    }
    Ok(())
}

/// Inserts a subscription unless the same one exists.
async fn insert_subscription(
    conn: &mut Conn<'_>,
    tables: &Tables,
    subscriber: Uuid,
    event_type: &str,
    stored_scope: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        conn,
        tables,
        r#"INSERT INTO {subscriptions} ("uuid", "subscriber_uuid", "event_type", "scope", "created_at") VALUES "#,
    );
    sql.list([
        Value::Uuid(Uuid::now_v7()),
        Value::Uuid(subscriber),
        Value::Text(event_type),
        Value::Text(stored_scope),
        Value::Time(event_runtime::now()),
    ]);
    sql.push(" ON CONFLICT DO NOTHING");
    sql.execute(conn).await?;
    Ok(())
}

fn subscription(row: &Row) -> Result<Subscription, StoreError> {
    Ok(Subscription {
        uuid: row.uuid("uuid")?,
        subscriber: row.uuid("subscriber_uuid")?,
        event_type: row.text("event_type")?,
        scope: Scope::parse_stored(&row.text("scope")?)?,
        created_at: row.time("created_at")?,
    })
}

/// Disables `subscriber` (when enabled), ends its pending deliveries dead (a lease holder
/// may still complete its own, fenced by its token), and records
/// `operational:subscriber:disabled` when it was enabled. Returns whether deliveries were
/// recorded: the caller wakes the workers after its commit.
pub(super) async fn disable(
    store: &Store,
    conn: &mut Conn<'_>,
    subscriber: Uuid,
    reason: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let tables = store.tables();
    let disabled = Sql::new(
        conn,
        tables,
        r#"UPDATE {subscribers} SET "enabled" = FALSE, "disabled_at" = $2, "disabled_reason" = $3, "updated_at" = $2
           WHERE "uuid" = $1 AND "enabled" RETURNING "uuid", "name", "kind""#,
    )
    .bind(Value::Uuid(subscriber))
    .bind(Value::Time(now))
    .bind(Value::Text(reason))
    .fetch_optional(conn)
    .await?;
    let error = format!("subscriber disabled: {reason}");
    let dead = Sql::new(
        conn,
        tables,
        r#"UPDATE {deliveries} SET "status" = 'dead', "last_error" = $2
           WHERE "subscriber_uuid" = $1 AND "status" = 'pending'"#,
    )
    .bind(Value::Uuid(subscriber))
    .bind(Value::Text(&error))
    .execute(conn)
    .await?;
    match disabled {
        Some(row) => {
            let subject = operational::Subject::read(&row, "")?;
            operational::disabled(store, conn, &subject, reason, dead, now).await
        }
        None => Ok(false),
    }
}

impl Store {
    /// The text to store for `secret` of `subscriber`: encrypted under the first
    /// configured secret key, or the secret's text when there is none.
    pub(super) fn seal(&self, subscriber: Uuid, secret: &Secret) -> Result<String, StoreError> {
        secret::seal(&self.config().secret_keys, subscriber, secret)
            .map_err(|message| StoreError::invalid("webhook secret", message))
    }

    /// Encrypts, under the first configured secret key, every stored subscriber secret
    /// (webhooks' and streams') that is stored as text or under another key; how many subscribers it changed. Without
    /// a key it changes nothing. `Store::migrate` runs it; run it yourself when you apply
    /// migrations another way. A secret that cannot be read (its key is not configured)
    /// is left as it is, and logged.
    pub async fn encrypt_stored_secrets(&self) -> Result<usize, StoreError> {
        if self.config().secret_keys.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let rows = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT "uuid", "secret", "previous_secret" FROM {subscribers} WHERE "kind" <> 'analytics'"#,
        )
        .fetch_all(&mut conn)
        .await?;
        let mut changed = 0;
        for row in rows {
            let uuid = row.uuid("uuid")?;
            let mut any = false;
            for column in ["secret", "previous_secret"] {
                let Some(stored) = row.opt_text(column)? else {
                    continue;
                };
                if let Some(sealed) = self.reseal(uuid, &stored)? {
                    replace_stored(&mut conn, self.tables(), uuid, column, &stored, &sealed)
                        .await?;
                    any = true;
                }
            }
            changed += usize::from(any);
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// `stored` encrypted under the current key, or `None` when it already is (or
    /// cannot be read: logged, and left for an operator).
    fn reseal(&self, subscriber: Uuid, stored: &str) -> Result<Option<String>, StoreError> {
        let keys = &self.config().secret_keys;
        if keys
            .first()
            .is_some_and(|key| secret::sealed_with(stored, key))
        {
            return Ok(None);
        }
        match secret::open(keys, subscriber, stored) {
            Ok(secret) => self.seal(subscriber, &secret).map(Some),
            Err(problem) => {
                tracing::warn!(%subscriber, %problem, "a stored webhook secret was left as it is");
                Ok(None)
            }
        }
    }
}

/// Replaces `column`'s value `old` with `new`, unless it changed meanwhile.
async fn replace_stored(
    conn: &mut Conn<'_>,
    tables: &Tables,
    subscriber: Uuid,
    column: &'static str,
    old: &str,
    new: &str,
) -> Result<(), StoreError> {
    let sql = format!(
        r#"UPDATE {{subscribers}} SET "{column}" = $1 WHERE "uuid" = $2 AND "{column}" = $3"#
    );
    Sql::new(conn, tables, &sql)
        .bind(Value::Text(new))
        .bind(Value::Uuid(subscriber))
        .bind(Value::Text(old))
        .execute(conn)
        .await?;
    Ok(())
}
