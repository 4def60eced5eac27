//! Webhook secrets at rest: encrypted with the configured keys (XChaCha20-Poly1305, a key
//! id beside each ciphertext), readable across key rotations, plaintext rows encrypted on
//! start, and still verifying with the published Standard Webhooks verifier. Also the
//! store configuration's validation.

mod common;
#[allow(dead_code)]
#[path = "delivery/receiver.rs"]
mod receiver;

use std::time::Duration;

use event_outbox::Outcome;
use event_outbox::delivery::{ContentType, WebhookRequest};
use event_outbox::secret::{Secret, SecretKey};
use event_outbox::store::{ClaimedDelivery, NewWebhook, Store, StoreConfig, StoreError};
use event_outbox::webhook::{AddressPolicy, HEADER_SIGNATURE, WebhookConfig, WebhookSender};
use receiver::Receiver;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

fn key(id: &str, byte: u8) -> SecretKey {
    SecretKey::new(id, [byte; 32]).expect("a key")
}

fn keyed(keys: &[SecretKey]) -> StoreConfig {
    keys.iter()
        .cloned()
        .fold(common::config(), |config, key| config.secret_key(key))
}

/// The raw `secret` and `previous_secret` columns of a subscriber.
async fn raw_secrets(store: &Store, hook: Uuid) -> (String, Option<String>) {
    let sql = format!(
        r#"SELECT "secret", "previous_secret" FROM "eventgen_subscribers" WHERE "uuid" = '{hook}'"#
    );
    let sql = AssertSqlSafe(sql);
    match (store.sqlite_pool(), store.postgres_pool()) {
        (Some(pool), _) => sqlx::query_as(sql).fetch_one(pool).await,
        (_, Some(pool)) => sqlx::query_as(sql).fetch_one(pool).await,
        _ => unreachable!("a store has a pool"),
    }
    .expect("the subscriber's row")
}

/// Another store over the same database, configured by `config`.
fn same_database(store: &Store, config: StoreConfig) -> Store {
    try_same_database(store, config).expect("a valid configuration")
}

/// [`same_database`], or the error of an invalid configuration.
fn try_same_database(store: &Store, config: StoreConfig) -> Result<Store, StoreError> {
    match (store.sqlite_pool(), store.postgres_pool()) {
        (Some(pool), _) => Store::from_sqlite_pool(pool.clone(), config),
        (_, Some(pool)) => Store::from_postgres_pool(pool.clone(), config),
        _ => unreachable!("a store has a pool"),
    }
}

/// A webhook subscribed to `project:created`, with one event recorded for it.
async fn hook_with_event(store: &Store, url: &str, secret: &Secret) -> Uuid {
    let mut new = NewWebhook::new("hook", url);
    new.secret = Some(secret.clone());
    let hook = store
        .create_webhook(new)
        .await
        .expect("create")
        .subscriber
        .uuid;
    store
        .subscribe(
            hook,
            "project:created",
            event_outbox::store::Scope::global(),
        )
        .await
        .expect("subscribe");
    common::record_created(store, 1).await;
    hook
}

async fn claim_one(store: &Store) -> ClaimedDelivery {
    let mut claim = store
        .claim("secrets-test", 10, Duration::from_secs(30))
        .await
        .expect("claim");
    assert_eq!(claim.deliveries.len(), 1);
    claim.deliveries.remove(0)
}

fn assert_encrypted(column: &str, secret: &Secret) {
    assert!(column.starts_with("enc1:"), "{column}");
    assert!(!column.contains(&secret.as_str()[6..]), "{column}");
}

const FIRST: u8 = 1;
const SECOND: u8 = 2;

both!(
    secrets_are_encrypted_at_rest_and_still_verify,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        let secret = Secret::generate();
        let hook = hook_with_event(&store, &receiver.url("/in"), &secret).await;
        let (column, _) = raw_secrets(&store, hook).await;
        assert_encrypted(&column, &secret);
        assert!(column.starts_with("enc1:first:"), "{column}");
        let delivery = claim_one(&store).await;
        assert_eq!(delivery.target.secret_error, None);
        assert_eq!(delivery.target.secrets, std::slice::from_ref(&secret));
        let sender = WebhookSender::new(WebhookConfig {
            addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse().unwrap()),
            ..WebhookConfig::default()
        })
        .expect("a sender");
        let message_id = delivery.uuid.to_string();
        let attempt = sender
            .send(&WebhookRequest {
                url: delivery.target.url.as_deref().expect("a URL"),
                message_id: &message_id,
                timestamp: chrono::Utc::now().timestamp(),
                payload: &delivery.payload,
                content_type: ContentType::Json,
                secrets: &delivery.target.secrets,
                tls: Some(&delivery.target.tls),
            })
            .await;
        assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
        let received = receiver.received().remove(0);
        assert!(received.headers.contains_key(HEADER_SIGNATURE));
        standardwebhooks::Webhook::new(secret.as_str())
            .expect("a verifier")
            .verify(&received.body, &received.headers)
            .expect("the published verifier accepts it");
    },
    keyed(&[key("first", FIRST)])
);

both!(
    rotated_secrets_are_encrypted_too,
    |store: Store| async move {
        let old = Secret::generate();
        let hook = hook_with_event(&store, "https://hook.example/", &old).await;
        let new = store.rotate_secret(hook, None).await.expect("rotate");
        let (current, previous) = raw_secrets(&store, hook).await;
        assert_encrypted(&current, &new);
        assert_encrypted(&previous.expect("the previous secret"), &old);
        let delivery = claim_one(&store).await;
        assert_eq!(delivery.target.secrets, [new, old]);
    },
    keyed(&[key("first", FIRST)])
);

both!(
    encryption_keys_rotate,
    |store: Store| async move {
        let secret = Secret::generate();
        let hook = hook_with_event(&store, "https://hook.example/", &secret).await;
        // The second key encrypts from now on; the first still decrypts.
        let rotated = same_database(&store, keyed(&[key("second", SECOND), key("first", FIRST)]));
        let delivery = claim_one(&rotated).await;
        assert_eq!(delivery.target.secrets, std::slice::from_ref(&secret));
        // Re-encrypting moves every row to the second key: the first can go.
        assert_eq!(
            rotated.encrypt_stored_secrets().await.expect("re-encrypt"),
            1
        );
        let (column, _) = raw_secrets(&store, hook).await;
        assert!(column.starts_with("enc1:second:"), "{column}");
        assert_eq!(rotated.encrypt_stored_secrets().await.expect("again"), 0);
        let only_second = same_database(&store, keyed(&[key("second", SECOND)]));
        common::record_created(&store, 1).await;
        let delivery = claim_one(&only_second).await;
        assert_eq!(delivery.target.secrets, [secret]);
    },
    keyed(&[key("first", FIRST)])
);

both!(
    plaintext_rows_are_encrypted_on_start,
    |store: Store| async move {
        // No key: stored as today, in plaintext.
        let secret = Secret::generate();
        let hook = hook_with_event(&store, "https://hook.example/", &secret).await;
        store
            .rotate_secret(hook, Some(secret.clone()))
            .await
            .expect("rotate");
        let (column, previous) = raw_secrets(&store, hook).await;
        assert_eq!(column, secret.as_str());
        assert_eq!(previous.as_deref(), Some(secret.as_str()));
        let keyed_store = same_database(&store, keyed(&[key("first", FIRST)]));
        assert_eq!(
            keyed_store.encrypt_stored_secrets().await.expect("encrypt"),
            1
        );
        let (column, previous) = raw_secrets(&store, hook).await;
        assert_encrypted(&column, &secret);
        assert_encrypted(&previous.expect("the previous secret"), &secret);
        let delivery = claim_one(&keyed_store).await;
        assert_eq!(delivery.target.secrets, [secret.clone(), secret]);
        // Without the key, an encrypted secret is refused, not sent unsigned.
        common::record_created(&store, 1).await;
        let mut claim = store
            .claim("secrets-test", 10, Duration::from_secs(30))
            .await
            .expect("claim");
        let error = claim.deliveries.remove(0).target.secret_error.clone();
        let error = error.expect("an error");
        assert!(error.contains("`first`"), "{error}");
        assert!(!error.contains("enc1:"), "{error}");
    },
    common::config()
);

both!(
    a_huge_secret_ttl_is_refused_over_a_pool_too,
    |store: Store| async move {
        let hook = hook_with_event(&store, "https://hook.example/", &Secret::generate()).await;
        // A store over a pool is checked as one that connects: the TTL never reaches a
        // rotation (whose sum with the current time would overflow).
        let mut config = common::config();
        config.previous_secret_ttl = Duration::MAX;
        let Err(error) = try_same_database(&store, config) else {
            panic!("a store with a secret TTL past the limit was made");
        };
        assert!(error.to_string().contains("previous_secret_ttl"), "{error}");
        store
            .rotate_secret(hook, None)
            .await
            .expect("the valid store rotates");
    }
);

#[test]
fn hostile_store_configurations_are_refused_when_built() {
    type Change = fn(StoreConfig) -> StoreConfig;
    let cases: [(&str, Change); 6] = [
        ("previous_secret_ttl", |c| {
            c.previous_secret_ttl(Duration::MAX)
        }),
        ("disable_after", |c| c.disable_after(Duration::ZERO)),
        ("disable_after", |c| c.disable_after(Duration::MAX)),
        ("busy_timeout", |c| c.busy_timeout(Duration::MAX)),
        ("max_connections", |mut c| {
            c.max_connections = 0;
            c
        }),
        ("secret key", |c| {
            c.secret_key(key("same", 1)).secret_key(key("same", 2))
        }),
    ];
    for (field, change) in cases {
        let error = change(StoreConfig::default()).validate().expect_err(field);
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    StoreConfig::default()
        .validate()
        .expect("the defaults are valid");
}

#[tokio::test]
async fn connecting_with_a_hostile_configuration_fails() {
    let dir = std::env::temp_dir().join(format!("eventgen_secrets_{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let sqlite = format!("sqlite:{}", dir.join("events.db").display());
    // PostgreSQL too, when it runs: the configuration is refused before connecting.
    let urls = [Some(sqlite), test_support::postgres_url()];
    for url in urls.into_iter().flatten() {
        let config = StoreConfig::default().previous_secret_ttl(Duration::MAX);
        let error = Store::connect_with(&url, config)
            .await
            .expect_err("refused");
        assert!(error.to_string().contains("previous_secret_ttl"), "{error}");
        let keys = StoreConfig::default()
            .secret_key(key("same", 1))
            .secret_key(key("same", 2));
        let error = Store::connect_with(&url, keys).await.expect_err("refused");
        assert!(error.to_string().contains("`same` twice"), "{error}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn secret_keys_are_checked_and_never_shown() {
    // Base64 of 32 bytes needs its padding.
    assert!(SecretKey::from_base64("k1", &"A".repeat(43)).is_err());
    let good = SecretKey::from_base64("k1", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")
        .expect("32 bytes");
    let shown = format!("{good:?}");
    assert!(shown.contains("k1") && !shown.contains("AQEB"), "{shown}");
    for id in ["", "has:colon", "has space", &"x".repeat(65)] {
        assert!(SecretKey::new(id, [0; 32]).is_err(), "`{id}`");
    }
    assert!(SecretKey::from_base64("k1", "AQID").is_err(), "3 bytes");
}

#[test]
fn secrets_compare_by_key() {
    let a = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("a secret");
    let same = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("a secret");
    // The same key but the last byte.
    let last = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oE").expect("a secret");
    let longer = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oDAAAA").expect("a secret");
    assert_eq!(a, same);
    assert_ne!(a, last);
    assert_ne!(a, longer);
    assert_ne!(longer, a);
}

/// The first start with a key: `migrate` applies the generated migrations, then encrypts
/// the secrets stored before the key was configured.
async fn migrate_encrypts_plaintext_rows(backend: common::Backend) {
    let Some(database) = test_support::TestDatabase::create(backend, "eventgen_keys").await else {
        return;
    };
    let name = if backend == common::Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(name);
    let migrator = sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .expect("the migrations");
    let before = database.store(StoreConfig::default()).await;
    before.migrate(&migrator).await.expect("migrate");
    let secret = Secret::generate();
    let mut new = NewWebhook::new("hook", "https://hook.example/");
    new.secret = Some(secret.clone());
    let hook = before
        .create_webhook(new)
        .await
        .expect("create")
        .subscriber
        .uuid;
    assert_eq!(raw_secrets(&before, hook).await.0, secret.as_str());
    before.close().await;
    let after = database.store(keyed(&[key("first", FIRST)])).await;
    after.migrate(&migrator).await.expect("migrate again");
    let (column, _) = raw_secrets(&after, hook).await;
    after.close().await;
    database.drop().await;
    assert_encrypted(&column, &secret);
}

#[tokio::test]
async fn migrate_encrypts_plaintext_rows_sqlite() {
    migrate_encrypts_plaintext_rows(common::Backend::Sqlite).await;
}

#[tokio::test]
async fn migrate_encrypts_plaintext_rows_postgres() {
    migrate_encrypts_plaintext_rows(common::Backend::Postgres).await;
}
