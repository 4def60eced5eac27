//! SQLite's durability setting reaches every connection of the store: `FULL` unless
//! configured, `NORMAL` when asked.

use event_outbox::store::{SqliteDurability, Store, StoreConfig};
use test_support::{Backend, TestDatabase};

/// `PRAGMA synchronous` on the writer and on a reader (1 = NORMAL, 2 = FULL).
async fn synchronous(store: &Store) -> Vec<i64> {
    let pool = store.sqlite_pool().expect("a SQLite store");
    let mut values = Vec::new();
    for _ in 0..2 {
        let value: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .expect("pragma");
        values.push(value);
    }
    let mut tx = store.begin().await.expect("the writer");
    let value: i64 = match tx.conn() {
        event_outbox::store::Conn::Sqlite(conn) => sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .expect("pragma"),
        _ => unreachable!("a SQLite store"),
    };
    values.push(value);
    values
}

#[tokio::test]
async fn full_by_default_and_normal_when_configured() {
    for (config, expected) in [
        (StoreConfig::default(), 2),
        (
            StoreConfig::default().sqlite_durability(SqliteDurability::Normal),
            1,
        ),
    ] {
        let database = TestDatabase::create(Backend::Sqlite, "durability")
            .await
            .expect("SQLite always runs");
        let store = database.store(config).await;
        assert_eq!(synchronous(&store).await, [expected; 3]);
        store.close().await;
        database.drop().await;
    }
}
