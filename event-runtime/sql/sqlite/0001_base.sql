-- The event runtime's base tables (SQLite): the event types a catalog declares, and the
-- events recorded, one row each (single-table inheritance: catalog migrations add the
-- columns of event fields). Timestamps are RFC 3339 UTC text.

CREATE TABLE IF NOT EXISTS {event_types} (
    "name" TEXT NOT NULL PRIMARY KEY CHECK (length("name") <= 150)
);

CREATE TABLE IF NOT EXISTS {events} (
    "uuid" TEXT NOT NULL PRIMARY KEY,
    "type" TEXT NOT NULL REFERENCES {event_types} ("name"),
    "timestamp" TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS "{prefix}events_type_timestamp" ON {events} ("type", "timestamp");
-- Pruning by age.
CREATE INDEX IF NOT EXISTS "{prefix}events_timestamp" ON {events} ("timestamp");
