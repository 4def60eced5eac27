-- The service's own audit log, older than the toolkit and nothing like its `events`.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
