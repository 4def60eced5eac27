-- The event runtime's outbox (SQLite): who receives events (`subscribers`), which events
-- (`subscriptions`), what is still to deliver (`deliveries`, one row per event and
-- subscriber, deleted once delivered) and every attempt made (`delivery_attempts`, kept
-- until pruned). UUIDs are hyphenated text; times are RFC 3339 UTC text of fixed width
-- (`2024-05-01T12:00:00.000000Z`), so that they compare as text.

CREATE TABLE IF NOT EXISTS {subscribers} (
    "uuid" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('webhook', 'analytics', 'stream')),
    "name" TEXT NOT NULL,
    -- Where webhooks are sent, or the NATS server a stream publishes to; NULL for the
    -- analytics subscriber (its sender knows).
    "url" TEXT,
    "content_type" TEXT NOT NULL DEFAULT 'json' CHECK ("content_type" IN ('json', 'form', 'slack', 'discord', 'teams')),
    -- TLS towards this webhook: an extra trusted CA (PEM), or no verification at all.
    "tls_ca_pem" TEXT,
    "tls_verify" INTEGER NOT NULL DEFAULT 1 CHECK ("tls_verify" IN (0, 1)),
    -- Streams: the subject prefix (`events` when NULL) and which payload is published.
    "stream_subject_prefix" TEXT,
    "stream_payload" TEXT CHECK ("stream_payload" IN ('notification', 'telemetry')),
    -- `whsec_...`: the current signing secret, and the one before it while it is still
    -- accepted after a rotation.
    "secret" TEXT,
    "previous_secret" TEXT,
    "previous_secret_expires_at" TEXT,
    "enabled" INTEGER NOT NULL DEFAULT 1 CHECK ("enabled" IN (0, 1)),
    "disabled_at" TEXT,
    "disabled_reason" TEXT,
    -- The first failure since the last success: the subscriber is disabled when it is
    -- older than the disable window.
    "failing_since" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CHECK ("kind" = 'analytics' OR ("url" IS NOT NULL AND "secret" IS NOT NULL))
);

-- At most one analytics subscriber.
CREATE UNIQUE INDEX IF NOT EXISTS "{prefix}subscribers_analytics" ON {subscribers} ("kind")
    WHERE "kind" = 'analytics';

CREATE TABLE IF NOT EXISTS {subscriptions} (
    "uuid" TEXT NOT NULL PRIMARY KEY,
    "subscriber_uuid" TEXT NOT NULL REFERENCES {subscribers} ("uuid") ON DELETE CASCADE,
    "event_type" TEXT NOT NULL REFERENCES {event_types} ("name"),
    -- Scope values an event must carry, as a JSON object with sorted keys
    -- (`{"project_uuid":"..."}`); `{}` subscribes to every event of the type.
    "scope" TEXT NOT NULL DEFAULT '{}',
    "created_at" TEXT NOT NULL,
    UNIQUE ("subscriber_uuid", "event_type", "scope")
);

CREATE INDEX IF NOT EXISTS "{prefix}subscriptions_event_type" ON {subscriptions} ("event_type");

CREATE TABLE IF NOT EXISTS {deliveries} (
    -- Also the `webhook-id`: stable across retries.
    "uuid" TEXT NOT NULL PRIMARY KEY,
    "event_uuid" TEXT REFERENCES {events} ("uuid") ON DELETE SET NULL,
    "event_type" TEXT NOT NULL,
    "event_timestamp" TEXT NOT NULL,
    "subscriber_uuid" TEXT NOT NULL REFERENCES {subscribers} ("uuid") ON DELETE CASCADE,
    -- The payload computed when the event was recorded (JSON).
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'dead')),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    -- When it is due; while leased, the end of the lease (an expired lease is due again).
    "next_attempt_at" TEXT NOT NULL,
    "leased_by" TEXT,
    "lease_expires_at" TEXT,
    "last_error" TEXT,
    "created_at" TEXT NOT NULL
);

-- Claiming: due pending rows in order.
CREATE INDEX IF NOT EXISTS "{prefix}deliveries_due" ON {deliveries} ("next_attempt_at")
    WHERE "status" = 'pending';
CREATE INDEX IF NOT EXISTS "{prefix}deliveries_dead" ON {deliveries} ("subscriber_uuid", "created_at")
    WHERE "status" = 'dead';
-- Pruning dead deliveries by age.
CREATE INDEX IF NOT EXISTS "{prefix}deliveries_dead_created" ON {deliveries} ("created_at")
    WHERE "status" = 'dead';
CREATE INDEX IF NOT EXISTS "{prefix}deliveries_subscriber" ON {deliveries} ("subscriber_uuid");
CREATE INDEX IF NOT EXISTS "{prefix}deliveries_event" ON {deliveries} ("event_uuid");

CREATE TABLE IF NOT EXISTS {delivery_attempts} (
    "id" INTEGER NOT NULL PRIMARY KEY,
    -- Not a foreign key: the log outlives delivered (deleted) deliveries.
    "delivery_uuid" TEXT NOT NULL,
    "subscriber_uuid" TEXT NOT NULL REFERENCES {subscribers} ("uuid") ON DELETE CASCADE,
    "attempt" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL CHECK ("outcome" IN ('delivered', 'retry', 'gone', 'refused')),
    -- The HTTP status; 0 when no response arrived.
    "status_code" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    -- The start of the response body or the error, truncated.
    "detail" TEXT NOT NULL,
    "at" TEXT NOT NULL,
    "next_attempt_at" TEXT
);

CREATE INDEX IF NOT EXISTS "{prefix}delivery_attempts_delivery" ON {delivery_attempts} ("delivery_uuid");
CREATE INDEX IF NOT EXISTS "{prefix}delivery_attempts_subscriber" ON {delivery_attempts} ("subscriber_uuid");
CREATE INDEX IF NOT EXISTS "{prefix}delivery_attempts_at" ON {delivery_attempts} ("at");
