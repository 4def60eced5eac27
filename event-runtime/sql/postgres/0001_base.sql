-- The event runtime's base tables (PostgreSQL): the event types a catalog declares, and
-- the events recorded, one row each (single-table inheritance: catalog migrations add the
-- columns of event fields).

CREATE TABLE IF NOT EXISTS {event_types} (
    "name" VARCHAR(150) NOT NULL PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS {events} (
    "uuid" UUID NOT NULL PRIMARY KEY,
    "type" VARCHAR(150) NOT NULL REFERENCES {event_types} ("name"),
    "timestamp" TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS "{prefix}events_type_timestamp" ON {events} ("type", "timestamp");
-- Pruning by age.
CREATE INDEX IF NOT EXISTS "{prefix}events_timestamp" ON {events} ("timestamp");
