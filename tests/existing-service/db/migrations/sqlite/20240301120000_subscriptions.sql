-- The service's paid subscriptions (plans), not webhook subscriptions.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    plan TEXT NOT NULL,
    renews_on TEXT
);
