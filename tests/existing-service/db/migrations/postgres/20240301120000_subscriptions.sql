-- The service's paid subscriptions (plans), not webhook subscriptions.
CREATE TABLE subscriptions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    plan TEXT NOT NULL,
    renews_on DATE
);
