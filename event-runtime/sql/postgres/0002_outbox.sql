-- The event runtime's outbox (PostgreSQL): who receives events (`subscribers`), which events
-- (`subscriptions`), what is still to deliver (`deliveries`, one row per event and
-- subscriber, deleted once delivered) and every attempt made (`delivery_attempts`, kept
-- until pruned). Payloads are kept as the exact JSON text that was computed.

CREATE TABLE IF NOT EXISTS {subscribers} (
    "uuid" UUID NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('webhook', 'analytics', 'stream')),
    "name" TEXT NOT NULL,
    -- Where webhooks are sent, or the NATS server a stream publishes to; NULL for the
    -- analytics subscriber (its sender knows).
    "url" TEXT,
    "content_type" TEXT NOT NULL DEFAULT 'json' CHECK ("content_type" IN ('json', 'form', 'slack', 'discord', 'teams')),
    -- TLS towards this webhook: an extra trusted CA (PEM), or no verification at all.
    "tls_ca_pem" TEXT,
    "tls_verify" BOOLEAN NOT NULL DEFAULT TRUE,
    -- Streams: the subject prefix (`events` when NULL) and which payload is published.
    "stream_subject_prefix" TEXT,
    "stream_payload" TEXT CHECK ("stream_payload" IN ('notification', 'telemetry')),
    -- `whsec_...`: the current signing secret, and the one before it while it is still
    -- accepted after a rotation.
    "secret" TEXT,
    "previous_secret" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ,
    "enabled" BOOLEAN NOT NULL DEFAULT TRUE,
    "disabled_at" TIMESTAMPTZ,
    "disabled_reason" TEXT,
    -- The first failure since the last success: the subscriber is disabled when it is
    -- older than the disable window.
    "failing_since" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    CHECK ("kind" = 'analytics' OR ("url" IS NOT NULL AND "secret" IS NOT NULL))
);

-- At most one analytics subscriber.
CREATE UNIQUE INDEX IF NOT EXISTS "{prefix}subscribers_analytics" ON {subscribers} ("kind")
    WHERE "kind" = 'analytics';

CREATE TABLE IF NOT EXISTS {subscriptions} (
    "uuid" UUID NOT NULL PRIMARY KEY,
    "subscriber_uuid" UUID NOT NULL REFERENCES {subscribers} ("uuid") ON DELETE CASCADE,
    "event_type" VARCHAR(150) NOT NULL REFERENCES {event_types} ("name"),
    -- Scope values an event must carry, as a JSON object with sorted keys
    -- (`{"project_uuid":"..."}`); `{}` subscribes to every event of the type.
    "scope" TEXT NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ NOT NULL,
    UNIQUE ("subscriber_uuid", "event_type", "scope")
);

CREATE INDEX IF NOT EXISTS "{prefix}subscriptions_event_type" ON {subscriptions} ("event_type");

CREATE TABLE IF NOT EXISTS {deliveries} (
    -- Also the `webhook-id`: stable across retries.
    "uuid" UUID NOT NULL PRIMARY KEY,
    "event_uuid" UUID REFERENCES {events} ("uuid") ON DELETE SET NULL,
    "event_type" VARCHAR(150) NOT NULL,
    "event_timestamp" TIMESTAMPTZ NOT NULL,
    "subscriber_uuid" UUID NOT NULL REFERENCES {subscribers} ("uuid") ON DELETE CASCADE,
    -- The payload computed when the event was recorded (JSON).
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'dead')),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    -- When it is due; while leased, the end of the lease (an expired lease is due again).
    "next_attempt_at" TIMESTAMPTZ NOT NULL,
    "leased_by" TEXT,
    "lease_expires_at" TIMESTAMPTZ,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL
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
    "id" BIGSERIAL PRIMARY KEY,
    -- Not a foreign key: the log outlives delivered (deleted) deliveries.
    "delivery_uuid" UUID NOT NULL,
    "subscriber_uuid" UUID NOT NULL REFERENCES {subscribers} ("uuid") ON DELETE CASCADE,
    "attempt" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL CHECK ("outcome" IN ('delivered', 'retry', 'gone', 'refused')),
    -- The HTTP status; 0 when no response arrived.
    "status_code" INTEGER NOT NULL,
    "duration_ms" BIGINT NOT NULL,
    -- The start of the response body or the error, truncated.
    "detail" TEXT NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "next_attempt_at" TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS "{prefix}delivery_attempts_delivery" ON {delivery_attempts} ("delivery_uuid");
CREATE INDEX IF NOT EXISTS "{prefix}delivery_attempts_subscriber" ON {delivery_attempts} ("subscriber_uuid");
CREATE INDEX IF NOT EXISTS "{prefix}delivery_attempts_at" ON {delivery_attempts} ("at");
