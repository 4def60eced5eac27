-- The service's own audit log, older than the toolkit and nothing like its `events`.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    at TEXT NOT NULL
);
