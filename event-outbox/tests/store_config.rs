//! Every way of making a store checks its configuration: an invalid one is refused, with
//! what is wrong, whichever backend and however the pool was made.

use std::time::Duration;

use event_outbox::store::{Store, StoreConfig, StoreError};
use test_support::{Backend, TestDatabase};

fn invalid() -> StoreConfig {
    StoreConfig::default().disable_after(Duration::ZERO)
}

fn assert_refused(result: Result<Store, StoreError>) {
    let Err(error) = result else {
        panic!("an invalid configuration is refused");
    };
    assert!(error.to_string().contains("disable_after"), "{error}");
}

#[tokio::test]
async fn sqlite_refuses_an_invalid_configuration() {
    let database = TestDatabase::create(Backend::Sqlite, "eventgen_config")
        .await
        .expect("SQLite always runs");
    let TestDatabase::Sqlite { dir } = &database else {
        unreachable!("a SQLite database")
    };
    let url = format!("sqlite:{}?mode=rwc", dir.join("events.db").display());
    assert_refused(Store::connect_with(&url, invalid()).await);
    let pool = sqlx::SqlitePool::connect(&url).await.expect("a pool");
    assert_refused(Store::from_sqlite_pool(pool.clone(), invalid()));
    assert!(Store::from_sqlite_pool(pool.clone(), StoreConfig::default()).is_ok());
    pool.close().await;
    database.drop().await;
}

#[tokio::test]
async fn postgres_refuses_an_invalid_configuration() {
    let Some(database) = TestDatabase::create(Backend::Postgres, "eventgen_config").await else {
        return;
    };
    let pool = database.postgres_pool(1).await.expect("a pool");
    assert_refused(Store::from_postgres_pool(pool.clone(), invalid()));
    assert!(Store::from_postgres_pool(pool.clone(), StoreConfig::default()).is_ok());
    pool.close().await;
    database.drop().await;
}
