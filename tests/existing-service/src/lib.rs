//! A service that existed before the event toolkit, as a team would find it: its own
//! sqlx migrations (timestamp versions, in `db/migrations`), its own `users`, `events`
//! (an audit log) and `subscriptions` (paid plans) tables, and its own code below. It
//! adds the toolkit through `eventgen.toml`, with every output in its own folders
//! (`events/`, `db/eventgen/`), and records events in its own transactions.
//!
//! `tests/coexistence.rs` deploys it twice, both orders of migrations, on SQLite and
//! PostgreSQL, and checks that nothing of the service's is changed or shadowed.

use event_outbox::store::{Store, StoreError};
use event_runtime::{Timestamp, Uuid};
use sqlx::migrate::Migrator;

/// The generated module: the events of `events/definitions`.
pub mod events {
    include!(concat!(env!("OUT_DIR"), "/events.rs"));
}

use events::{AccountSignedUp, register_account_signed_up_event};

/// The service's own migrations, which record themselves in sqlx's `_sqlx_migrations`.
pub static SERVICE_SQLITE: Migrator = sqlx::migrate!("db/migrations/sqlite");
/// The same, for PostgreSQL.
pub static SERVICE_POSTGRES: Migrator = sqlx::migrate!("db/migrations/postgres");
/// The toolkit's generated migrations; `Store::migrate` records them in
/// `_eventgen_migrations`.
pub static EVENTGEN_SQLITE: Migrator = sqlx::migrate!("db/eventgen/sqlite");
/// The same, for PostgreSQL.
pub static EVENTGEN_POSTGRES: Migrator = sqlx::migrate!("db/eventgen/postgres");

/// Applies the service's own migrations, as it always has.
pub async fn migrate_service(store: &Store) -> Result<(), sqlx::migrate::MigrateError> {
    match (store.sqlite_pool(), store.postgres_pool()) {
        (Some(pool), _) => SERVICE_SQLITE.run(pool).await,
        (_, Some(pool)) => SERVICE_POSTGRES.run(pool).await,
        _ => unreachable!("a store has a pool"),
    }
}

/// Applies the toolkit's migrations.
pub async fn migrate_events(store: &Store) -> Result<(), StoreError> {
    match store.backend() {
        "sqlite" => store.migrate(&EVENTGEN_SQLITE).await,
        _ => store.migrate(&EVENTGEN_POSTGRES).await,
    }
}

/// A user of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The service's own id.
    pub id: i64,
    /// Its public id, also the account's in events.
    pub uuid: Uuid,
    /// Its e-mail address.
    pub email: String,
}

/// Signs a user up, in one transaction of the service's: its `users` row, a line of its
/// own audit log in its own `events`, its plan in its own `subscriptions`, and the
/// `account:signed-up` event with its deliveries. All of it commits, or none.
pub async fn sign_up(store: &Store, email: &str, plan: &str) -> Result<User, StoreError> {
    let uuid = Uuid::now_v7();
    let now = event_runtime::now();
    let event = AccountSignedUp {
        uuid: event_runtime::new_event_id(),
        timestamp: now,
        account: events::Account {
            uuid,
            email: email.to_owned(),
        },
        plan: plan.to_owned(),
    };
    let id = if let Some(pool) = store.sqlite_pool() {
        // A write transaction from the start: SQLite cannot upgrade a reading one safely.
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let id = insert_user_sqlite(&mut tx, uuid, email, plan, now).await?;
        register_account_signed_up_event(&mut store.recorder(&mut *tx), &event).await?;
        tx.commit().await?;
        id
    } else {
        let pool = store.postgres_pool().expect("a store has a pool");
        let mut tx = pool.begin().await?;
        let id = insert_user_postgres(&mut tx, uuid, email, plan, now).await?;
        register_account_signed_up_event(&mut store.recorder(&mut *tx), &event).await?;
        tx.commit().await?;
        id
    };
    // The transaction was the service's own: tell the workers of this process.
    store.wake();
    Ok(User {
        id,
        uuid,
        email: email.to_owned(),
    })
}

async fn insert_user_sqlite(
    tx: &mut sqlx::SqliteConnection,
    uuid: Uuid,
    email: &str,
    plan: &str,
    now: Timestamp,
) -> Result<i64, sqlx::Error> {
    let at = now.to_rfc3339();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (uuid, email, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(uuid.to_string())
    .bind(email)
    .bind(&at)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO events (user_id, action, at) VALUES ($1, 'signed up', $2)")
        .bind(id)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO subscriptions (user_id, plan) VALUES ($1, $2)")
        .bind(id)
        .bind(plan)
        .execute(&mut *tx)
        .await?;
    Ok(id)
}

async fn insert_user_postgres(
    tx: &mut sqlx::PgConnection,
    uuid: Uuid,
    email: &str,
    plan: &str,
    now: Timestamp,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (uuid, email, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(uuid)
    .bind(email)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO events (user_id, action, at) VALUES ($1, 'signed up', $2)")
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO subscriptions (user_id, plan) VALUES ($1, $2)")
        .bind(id)
        .bind(plan)
        .execute(&mut *tx)
        .await?;
    Ok(id)
}
