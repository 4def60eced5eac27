//! The SQL migrations and the lock file: snapshots of the generated SQL, the directory
//! applied to real SQLite and PostgreSQL databases, append-only evolution of the reference
//! catalog, the `append-only` errors, and the lock's round trip.
//!
//! PostgreSQL tests connect through `EVENTGEN_TEST_POSTGRES_URL`
//! (`postgres://postgres@127.0.0.1:5432/test`) and run in a database of their own, created
//! and dropped around each test by `test-support`. Without the variable they are skipped, except on CI
//! (`CI=true`), where they fail.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use event_codegen::diagnostic::{self, Diagnostic, Diagnostics, Rule, Style};
use event_codegen::generate::sql::{self, Migrations};
use event_codegen::generate::{GENERATED_NOTICE, GeneratedFile, Outputs};
use event_codegen::lock::{self, Lock, LockError};
use event_codegen::{Loaded, load_str};
use event_runtime::schema::Tables;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Row};

/// A small catalog: every field type, a keyword as a column (`update`), a layer and an
/// event that only analytics-only events use (no columns for them).
const FIXTURE: &str = r#"
[catalog]
name = "shop-demo"
description = "A small catalog for the SQL emitter's tests."

[enums.order-status]
description = "Status of an order."
variants = ["OPEN", "PAID", "SHIPPED"]

[types.line-item]
description = "One line of an order."
fields.sku = { type = "string", description = "Stock keeping unit." }
fields.quantity = { type = "int", description = "How many." }

[layers.shop]
description = "A shop."
fields.uuid = { type = "uuid", scope = true, description = "UUID of the shop." }
fields.name = { type = "string", sensitive = true, description = "Name of the shop." }

[layers.order]
description = "An order of a shop."
parent = "shop"
fields.uuid = { type = "uuid", scope = true, description = "UUID of the order." }
fields.status = { type = "order-status", description = "Its status." }
fields.total = { type = "float", description = "Total amount." }
fields.placed_at = { type = "timestamp", description = "When it was placed." }

[layers.report]
description = "A report about a shop, only ever sent to analytics."
parent = "shop"
fields.uuid = { type = "uuid", description = "UUID of the report." }

[events."shop:created"]
description = "A shop was created."

[events."shop:updated"]
description = "A shop was updated."
fields.update = { type = "json", description = "What changed." }

[events."shop:order:created"]
description = "An order was placed."
fields.items = { type = "list<line-item>", telemetry = "count", description = "The lines." }
fields.gift = { type = "bool", description = "Whether it is a gift." }
fields.attributes = { type = "map<string>", optional = true, telemetry = "count", description = "Free-form attributes." }
fields.quantity = { type = "int", description = "Number of items." }

[events."shop:order:cancelled"]
description = "An order was cancelled."

[events."shop:report:viewed"]
description = "A report was viewed."
stored = false
fields.seconds = { type = "int", description = "How long it was looked at." }

[events."heartbeat"]
description = "The shop is alive."
stored = false
"#;

fn reference_catalog() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Loads definitions from text; panics with the rendered diagnostics on errors.
fn load(text: &str) -> Loaded {
    let loaded = load_str("definitions/catalog.toml", text.to_owned());
    assert!(loaded.catalog.is_some(), "{}", loaded.render(Style::Plain));
    loaded
}

/// Generates against `lock`; panics with the rendered diagnostics on errors.
fn generate(loaded: &Loaded, lock: Option<&Lock>) -> Migrations {
    let catalog = loaded.catalog.as_ref().expect("a catalog");
    sql::migrations(catalog, lock, &Tables::DEFAULT)
        .unwrap_or_else(|errors| panic!("{}", render(loaded, errors)))
}

/// The `append-only` errors of generating against `lock`.
fn errors(loaded: &Loaded, lock: &Lock) -> Vec<Diagnostic> {
    let catalog = loaded.catalog.as_ref().expect("a catalog");
    match sql::migrations(catalog, Some(lock), &Tables::DEFAULT) {
        Ok(migrations) => panic!("expected errors, got {:#?}", migrations.files),
        Err(errors) => {
            assert!(
                errors.iter().all(|e| e.rule == Rule::AppendOnly),
                "{errors:#?}"
            );
            errors
        }
    }
}

fn render(loaded: &Loaded, errors: Vec<Diagnostic>) -> String {
    let mut diagnostics = Diagnostics::new();
    diagnostics.extend(errors);
    diagnostic::render(&diagnostics, &loaded.sources, Style::Plain)
}

fn paths(files: &[GeneratedFile]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.path.to_string_lossy().replace('\\', "/"))
        .collect()
}

/// A fresh directory under the target's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("migrations-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the temporary directory");
    dir
}

/// Writes files under `root` the way `eventgen generate` does.
fn write(root: &Path, files: &[GeneratedFile]) {
    Outputs {
        files: files.to_vec(),
        owned_dirs: Vec::new(),
        kept: Vec::new(),
    }
    .write(root)
    .expect("write the migrations");
}

/// Every file under `dir`, relative path → contents, sorted.
fn snapshot_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("read a directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                let relative = relative.to_string_lossy().replace('\\', "/");
                out.push((relative, std::fs::read(&path).expect("read a file")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

async fn migrator(root: &Path, backend: sql::Backend) -> Migrator {
    let dir = root.join(backend.dir());
    Migrator::new(dir.as_path())
        .await
        .unwrap_or_else(|e| panic!("sqlx reads {}: {e}", dir.display()))
}

async fn sqlite() -> SqliteConnection {
    SqliteConnection::connect("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database")
}

async fn applied_count(conn: &mut SqliteConnection) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(conn)
        .await
        .expect("count the applied migrations")
}

// ---- PostgreSQL -------------------------------------------------------------------------

/// Runs `body` against a fresh PostgreSQL database (through a pool of one connection),
/// dropped afterwards, also when `body` panics. Skips when PostgreSQL tests are skipped.
async fn with_postgres<F, Fut>(body: F)
where
    F: FnOnce(PgPool) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    test_support::with_postgres_pool("eventgen_codegen", body).await;
}

// ---- the fixture ------------------------------------------------------------------------

#[test]
fn the_first_generation_writes_the_runtime_then_the_catalog() {
    let loaded = load(FIXTURE);
    let migrations = generate(&loaded, None);
    assert_eq!(
        paths(&migrations.files),
        [
            "migrations/postgres/0001_eventgen_base.sql",
            "migrations/postgres/0002_eventgen_outbox.sql",
            "migrations/postgres/0003_shop_demo.sql",
            "migrations/sqlite/0001_eventgen_base.sql",
            "migrations/sqlite/0002_eventgen_outbox.sql",
            "migrations/sqlite/0003_shop_demo.sql",
        ]
    );
    for file in &migrations.files {
        assert!(
            file.contents
                .starts_with(&format!("-- {GENERATED_NOTICE}\n")),
            "{}",
            file.path.display()
        );
    }
    // The runtime's SQL, in order, its tables named with the default prefix.
    let runtime = event_runtime::schema::MIGRATIONS;
    assert_eq!(runtime.len(), 2);
    for (i, migration) in runtime.iter().enumerate() {
        let (postgres, sqlite) = (
            &migrations.files[i].contents,
            &migrations.files[3 + i].contents,
        );
        assert!(postgres.ends_with(&migration.postgres_sql(&Tables::DEFAULT)));
        assert!(sqlite.ends_with(&migration.sqlite_sql(&Tables::DEFAULT)));
        assert!(postgres.contains(r#"CREATE TABLE IF NOT EXISTS "eventgen_"#));
        assert!(!sqlite.contains(r#""events""#) && !sqlite.contains(r#""deliveries""#));
    }

    insta::with_settings!({ snapshot_path => "snapshots/migrations", prepend_module_to_snapshot => false }, {
        for file in &migrations.files {
            let name = paths(std::slice::from_ref(file))[0]
                .trim_start_matches("migrations/")
                .replace('/', "__");
            insta::assert_snapshot!(name, file.contents);
        }
        insta::assert_snapshot!("shop_demo.lock", migrations.lock.to_toml());
    });
}

#[test]
fn columns_are_those_of_stored_events() {
    let loaded = load(FIXTURE);
    let lock = generate(&loaded, None).lock;
    let columns: Vec<(&str, &str)> = lock
        .columns
        .iter()
        .map(|(name, c)| (name.as_str(), c.ty.as_str()))
        .filter(|(name, _)| !name.starts_with("operational_"))
        .collect();
    assert_eq!(
        columns,
        [
            ("attributes", "map<string>"),
            ("gift", "bool"),
            ("items", "list<line-item>"),
            ("order_placed_at", "timestamp"),
            ("order_status", "order-status"),
            ("order_total", "float"),
            ("order_uuid", "uuid"),
            ("quantity", "int"),
            ("shop_name", "string"),
            ("shop_uuid", "uuid"),
            ("update", "json"),
        ],
        "no `report_uuid` nor `seconds`: only analytics-only events use them"
    );
    let events: Vec<&str> = lock.events.keys().map(String::as_str).collect();
    assert_eq!(
        events,
        [
            "operational:subscriber:delivery:dead",
            "operational:subscriber:disabled",
            "operational:subscriber:secret-rotated",
            "shop:created",
            "shop:order:cancelled",
            "shop:order:created",
            "shop:updated"
        ]
    );
    assert!(lock.events.values().all(|e| e.migration == 3));
    assert_eq!(lock.runtime["base"].migration, 1);
    assert_eq!(lock.runtime["outbox"].migration, 2);
}

#[test]
fn nothing_new_writes_nothing() {
    let loaded = load(FIXTURE);
    let first = generate(&loaded, None);
    let again = generate(&loaded, Some(&first.lock));
    assert!(again.files.is_empty(), "{:?}", paths(&again.files));
    assert_eq!(again.lock, first.lock);
}

#[test]
fn event_types_follow_declaration_order() {
    let loaded = load(FIXTURE);
    let migrations = generate(&loaded, None);
    let sqlite = &migrations.files[5].contents;
    let inserts: Vec<&str> = sqlite.lines().filter(|l| l.starts_with("INSERT")).collect();
    assert_eq!(
        inserts,
        [
            r#"INSERT INTO "eventgen_event_types" ("name") VALUES ('shop:created') ON CONFLICT DO NOTHING;"#,
            r#"INSERT INTO "eventgen_event_types" ("name") VALUES ('shop:updated') ON CONFLICT DO NOTHING;"#,
            r#"INSERT INTO "eventgen_event_types" ("name") VALUES ('shop:order:created') ON CONFLICT DO NOTHING;"#,
            r#"INSERT INTO "eventgen_event_types" ("name") VALUES ('shop:order:cancelled') ON CONFLICT DO NOTHING;"#,
            r#"INSERT INTO "eventgen_event_types" ("name") VALUES ('operational:subscriber:disabled') ON CONFLICT DO NOTHING;"#,
            r#"INSERT INTO "eventgen_event_types" ("name") VALUES ('operational:subscriber:secret-rotated') ON CONFLICT DO NOTHING;"#,
            r#"INSERT INTO "eventgen_event_types" ("name") VALUES ('operational:subscriber:delivery:dead') ON CONFLICT DO NOTHING;"#,
        ],
        "the operational events after the catalog's own"
    );
}

const SQLITE_ROW: &str = r#"INSERT INTO "eventgen_events" ("uuid", "type", "timestamp", "shop_uuid", "shop_name",
    "order_uuid", "order_status", "order_total", "order_placed_at", "items", "gift", "attributes", "quantity")
    VALUES ('0190f6a4-0000-7000-8000-000000000001', 'shop:order:created', '2024-05-01T12:00:00Z',
    '0190f6a4-0000-7000-8000-0000000000aa', 'Corner shop', '0190f6a4-0000-7000-8000-0000000000bb',
    'PAID', 12.5, '2024-05-01T11:59:00Z', '[{"sku":"A-1","quantity":2}]', 1, NULL, 2)"#;

const POSTGRES_ROW: &str = r#"INSERT INTO "eventgen_events" ("uuid", "type", "timestamp", "shop_uuid", "shop_name",
    "order_uuid", "order_status", "order_total", "order_placed_at", "items", "gift", "attributes", "quantity")
    VALUES ('0190f6a4-0000-7000-8000-000000000001', 'shop:order:created', '2024-05-01T12:00:00Z',
    '0190f6a4-0000-7000-8000-0000000000aa', 'Corner shop', '0190f6a4-0000-7000-8000-0000000000bb',
    'PAID', 12.5, '2024-05-01T11:59:00Z', '[{"sku":"A-1","quantity":2}]', TRUE, NULL, 2)"#;

#[tokio::test]
async fn the_fixture_applies_to_sqlite() {
    let root = temp_dir("fixture-sqlite");
    write(&root, &generate(&load(FIXTURE), None).files);
    let mut conn = sqlite().await;
    let migrator = migrator(&root, sql::Backend::Sqlite).await;
    migrator.run(&mut conn).await.expect("the migrations apply");
    assert_eq!(applied_count(&mut conn).await, 3);
    // Applying again is a no-op.
    migrator
        .run(&mut conn)
        .await
        .expect("the migrations apply again");

    sqlx::query(SQLITE_ROW)
        .execute(&mut conn)
        .await
        .expect("insert an event with its columns");
    let row =
        sqlx::query(r#"SELECT "order_total", "gift", "items", "update" FROM "eventgen_events""#)
            .fetch_one(&mut conn)
            .await
            .expect("read it back");
    assert_eq!(row.get::<f64, _>(0), 12.5);
    assert!(row.get::<bool, _>(1));
    assert_eq!(row.get::<String, _>(2), r#"[{"sku":"A-1","quantity":2}]"#);
    assert_eq!(row.get::<Option<String>, _>(3), None);

    let unknown = sqlx::query(
        r#"INSERT INTO "eventgen_events" ("uuid", "type", "timestamp") VALUES ('x', 'shop:deleted', '2024-05-01T12:00:00Z')"#,
    )
    .execute(&mut conn)
    .await;
    assert!(unknown.is_err(), "`type` references `event_types`");
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn the_fixture_applies_to_postgres() {
    let root = temp_dir("fixture-postgres");
    write(&root, &generate(&load(FIXTURE), None).files);
    let migrator = migrator(&root, sql::Backend::Postgres).await;
    with_postgres(|pool| async move {
        migrator.run(&pool).await.expect("the migrations apply");
        migrator
            .run(&pool)
            .await
            .expect("the migrations apply again");
        sqlx::query(POSTGRES_ROW)
            .execute(&pool)
            .await
            .expect("insert an event with its columns");
        let row = sqlx::query(
            r#"SELECT "order_total", "gift", "items"::text, pg_typeof("order_placed_at")::text,
                      pg_typeof("shop_uuid")::text, pg_typeof("quantity")::text FROM "eventgen_events""#,
        )
        .fetch_one(&pool)
        .await
        .expect("read it back");
        assert_eq!(row.get::<f64, _>(0), 12.5);
        assert!(row.get::<bool, _>(1));
        assert_eq!(
            row.get::<String, _>(2),
            r#"[{"sku": "A-1", "quantity": 2}]"#
        );
        assert_eq!(row.get::<String, _>(3), "timestamp with time zone");
        assert_eq!(row.get::<String, _>(4), "uuid");
        assert_eq!(row.get::<String, _>(5), "bigint");
        let unknown = sqlx::query(
            r#"INSERT INTO "eventgen_events" ("uuid", "type", "timestamp")
               VALUES ('0190f6a4-0000-7000-8000-000000000002', 'shop:deleted', now())"#,
        )
        .execute(&pool)
        .await;
        assert!(unknown.is_err(), "`type` references `event_types`");
    })
    .await;
    let _ = std::fs::remove_dir_all(&root);
}

// ---- the reference catalog, edited ------------------------------------------------------

/// A new stored event with a field in a new column.
const NEW_EVENT: &str = r#"
[events."project:pipeline:renamed"]
description = "A pipeline was renamed."
fields.previous_name = { type = "string", sensitive = true, description = "The name it had before." }
"#;

/// Generates the reference catalog, then the catalog with one more event, then once more:
/// the root holds both generations' files, and the lock after each step.
struct Evolution {
    root: PathBuf,
    first: Vec<(String, Vec<u8>)>,
    second: Migrations,
}

fn evolve(name: &str) -> Evolution {
    let root = temp_dir(name);
    let lock_path = root.join("definitions").join(lock::FILE_NAME);
    let reference = load(&reference_catalog());

    assert_eq!(Lock::read(&lock_path).expect("no lock yet"), None);
    let first = generate(&reference, None);
    assert_eq!(first.files.len(), 6, "{:?}", paths(&first.files));
    write(&root, &first.files);
    write(
        &root,
        &[GeneratedFile::new(
            format!("definitions/{}", lock::FILE_NAME),
            first.lock.to_toml(),
        )],
    );
    let before = snapshot_dir(&root.join(sql::DIR));

    let edited = load(&format!("{}{NEW_EVENT}", reference_catalog()));
    let lock = Lock::read(&lock_path)
        .expect("a valid lock")
        .expect("a lock");
    assert_eq!(lock, first.lock);
    let second = generate(&edited, Some(&lock));
    assert_eq!(
        paths(&second.files),
        [
            "migrations/postgres/0004_orchest.sql",
            "migrations/sqlite/0004_orchest.sql",
        ]
    );
    for file in &second.files {
        assert!(
            file.contents.contains(r#""previous_name""#),
            "{}",
            file.contents
        );
        assert!(
            file.contents.contains("'project:pipeline:renamed'"),
            "{}",
            file.contents
        );
        assert_eq!(
            file.contents.matches("ALTER TABLE").count(),
            1,
            "only the new column: {}",
            file.contents
        );
        assert_eq!(file.contents.matches("INSERT INTO").count(), 1);
    }
    write(&root, &second.files);
    let after = snapshot_dir(&root.join(sql::DIR));
    let unchanged: Vec<_> = after
        .iter()
        .filter(|(path, _)| !path.contains("0004_"))
        .cloned()
        .collect();
    assert_eq!(
        unchanged, before,
        "every file that existed is byte-identical"
    );
    assert_eq!(after.len(), before.len() + 2);

    let third = generate(&edited, Some(&second.lock));
    assert!(third.files.is_empty(), "{:?}", paths(&third.files));
    assert_eq!(third.lock, second.lock);
    Evolution {
        root,
        first: before,
        second,
    }
}

/// Copies the first generation's files into a directory of their own.
fn first_generation(evolution: &Evolution) -> PathBuf {
    let root = evolution.root.join("first");
    let files: Vec<GeneratedFile> = evolution
        .first
        .iter()
        .map(|(path, contents)| {
            GeneratedFile::new(
                format!("{}/{path}", sql::DIR),
                String::from_utf8(contents.clone()).expect("UTF-8"),
            )
        })
        .collect();
    write(&root, &files);
    root
}

#[test]
fn editing_the_reference_catalog_adds_exactly_one_migration() {
    let evolution = evolve("reference");
    let lock = &evolution.second.lock;
    assert_eq!(
        lock.migrations
            .iter()
            .map(|m| (m.number, m.name.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "eventgen_base"),
            (2, "eventgen_outbox"),
            (3, "orchest"),
            (4, "orchest")
        ]
    );
    assert_eq!(lock.events["project:pipeline:renamed"].migration, 4);
    assert_eq!(lock.events["project:created"].migration, 3);
    assert_eq!(lock.columns["previous_name"].migration, 4);
    assert_eq!(lock.events.len(), 59 + 3, "with the 3 operational events");
    let _ = std::fs::remove_dir_all(&evolution.root);
}

#[tokio::test]
async fn the_evolving_reference_applies_to_sqlite() {
    let evolution = evolve("reference-sqlite");
    let first = first_generation(&evolution);
    let mut conn = sqlite().await;
    migrator(&first, sql::Backend::Sqlite)
        .await
        .run(&mut conn)
        .await
        .expect("the first generation applies");
    assert_eq!(applied_count(&mut conn).await, 3);
    let event_types: i64 = sqlx::query_scalar(r#"SELECT COUNT(*) FROM "eventgen_event_types""#)
        .fetch_one(&mut conn)
        .await
        .expect("count the event types");
    assert_eq!(event_types, 58 + 3, "with the 3 operational events");

    migrator(&evolution.root, sql::Backend::Sqlite)
        .await
        .run(&mut conn)
        .await
        .expect("the second generation applies on top");
    assert_eq!(
        applied_count(&mut conn).await,
        4,
        "only the new migration ran"
    );
    sqlx::query(
        r#"INSERT INTO "eventgen_events" ("uuid", "type", "timestamp", "project_uuid", "pipeline_uuid", "previous_name", "update")
           VALUES ('0190f6a4-0000-7000-8000-000000000001', 'project:pipeline:renamed', '2024-05-01T12:00:00Z',
                   '0190f6a4-0000-7000-8000-0000000000aa', '0190f6a4-0000-7000-8000-0000000000bb', 'old', NULL)"#,
    )
    .execute(&mut conn)
    .await
    .expect("insert the new event with its new column");

    // The whole directory applies to an empty database too.
    let mut fresh = sqlite().await;
    migrator(&evolution.root, sql::Backend::Sqlite)
        .await
        .run(&mut fresh)
        .await
        .expect("the whole directory applies");
    assert_eq!(applied_count(&mut fresh).await, 4);
    let _ = std::fs::remove_dir_all(&evolution.root);
}

#[tokio::test]
async fn the_evolving_reference_applies_to_postgres() {
    let evolution = evolve("reference-postgres");
    let first = migrator(&first_generation(&evolution), sql::Backend::Postgres).await;
    let whole = migrator(&evolution.root, sql::Backend::Postgres).await;
    with_postgres(|pool| async move {
        first.run(&pool).await.expect("the first generation applies");
        whole
            .run(&pool)
            .await
            .expect("the second generation applies on top");
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&pool)
                .await
                .expect("list the applied migrations");
        assert_eq!(applied, [1, 2, 3, 4]);
        let event_types: i64 = sqlx::query_scalar(r#"SELECT COUNT(*) FROM "eventgen_event_types""#)
            .fetch_one(&pool)
            .await
            .expect("count the event types");
        assert_eq!(event_types, 59 + 3, "with the 3 operational events");
        sqlx::query(
            r#"INSERT INTO "eventgen_events" ("uuid", "type", "timestamp", "project_uuid", "pipeline_uuid", "previous_name", "update")
               VALUES ('0190f6a4-0000-7000-8000-000000000001', 'project:pipeline:renamed', now(),
                       '0190f6a4-0000-7000-8000-0000000000aa', '0190f6a4-0000-7000-8000-0000000000bb', 'old',
                       '{"changes": []}')"#,
        )
        .execute(&pool)
        .await
        .expect("insert the new event with its new column");
    })
    .await;
    let _ = std::fs::remove_dir_all(&evolution.root);
}

// ---- append-only ------------------------------------------------------------------------

const CANCELLED: &str =
    "[events.\"shop:order:cancelled\"]\ndescription = \"An order was cancelled.\"\n";

fn fixture_lock() -> Lock {
    generate(&load(FIXTURE), None).lock
}

#[test]
fn removing_an_emitted_event_is_an_error() {
    let lock = fixture_lock();
    let loaded = load(&FIXTURE.replace(CANCELLED, ""));
    let errors = errors(&loaded, &lock);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = &errors[0];
    assert!(
        error.message.contains("`shop:order:cancelled`"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("`0003_shop_demo.sql`"),
        "{}",
        error.message
    );
    assert!(error.labels.is_empty(), "nothing to point at: it is gone");
    let help = error.help.as_deref().expect("a help");
    assert!(help.contains("deprecated = {"), "{help}");
}

#[test]
fn errors_name_a_timestamped_migration_by_its_file() {
    let mut lock = fixture_lock();
    for migration in &mut lock.migrations {
        migration.version = Some(20_240_101_000_000 + u64::from(migration.number));
    }
    let errors = errors(&load(&FIXTURE.replace(CANCELLED, "")), &lock);
    assert!(
        errors[0].message.contains("`20240101000003_shop_demo.sql`"),
        "{}",
        errors[0].message
    );
}

#[test]
fn the_tables_keep_the_names_their_migrations_gave_them() {
    let lock = fixture_lock();
    let loaded = load(FIXTURE);
    let catalog = loaded.catalog.as_ref().expect("a catalog");
    let renamed = Tables::DEFAULT.with_prefix("svc_").expect("a prefix");
    let errors = sql::migrations(catalog, Some(&lock), &renamed).expect_err("a rename");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = &errors[0];
    assert_eq!(error.rule, Rule::AppendOnly);
    assert!(
        error.message.contains("prefix `eventgen_`")
            && error.message.contains("`0001_eventgen_base.sql`")
            && error.message.contains("prefix `svc_`"),
        "{}",
        error.message
    );
    assert!(
        error
            .help
            .as_deref()
            .is_some_and(|h| h.contains("[tables]"))
    );
    // A lock from before prefixes: its tables have their bare names.
    let mut legacy = lock.clone();
    legacy.tables = None;
    let errors = sql::migrations(catalog, Some(&legacy), &Tables::DEFAULT).expect_err("bare names");
    assert!(
        errors[0].message.contains("prefix ``"),
        "{}",
        errors[0].message
    );
    let bare = Tables::DEFAULT.with_prefix("").expect("no prefix");
    assert!(sql::migrations(catalog, Some(&legacy), &bare).is_ok());
    // A schema is part of the names.
    let in_schema = Tables::DEFAULT.in_schema("events").expect("a schema");
    assert!(sql::migrations(catalog, Some(&lock), &in_schema).is_err());
}

#[test]
fn tables_in_a_schema_are_created_with_it() {
    let tables = Tables::DEFAULT.in_schema("outbox").expect("a schema");
    let migrations = sql::migrations(
        load(FIXTURE).catalog.as_ref().expect("a catalog"),
        None,
        &tables,
    )
    .expect("migrations");
    let base = &migrations.files[0];
    assert!(
        base.path.ends_with("postgres/0001_eventgen_base.sql"),
        "{}",
        base.path.display()
    );
    assert!(
        base.contents
            .contains(r#"CREATE SCHEMA IF NOT EXISTS "outbox";"#)
    );
    assert!(
        base.contents
            .contains(r#"CREATE TABLE IF NOT EXISTS "outbox"."eventgen_events""#)
    );
    let catalog = &migrations.files[2].contents;
    assert!(
        catalog.contains(r#"ALTER TABLE "outbox"."eventgen_events" ADD COLUMN"#),
        "{catalog}"
    );
    assert_eq!(
        migrations
            .lock
            .tables
            .as_ref()
            .and_then(|t| t.schema.as_deref()),
        Some("outbox")
    );
}

#[test]
fn deprecating_an_emitted_event_keeps_its_row() {
    let lock = fixture_lock();
    let deprecated = format!(
        "{CANCELLED}deprecated = {{ since = \"2.0\", note = \"orders can no longer be cancelled\" }}\n"
    );
    let loaded = load(&FIXTURE.replace(CANCELLED, &deprecated));
    let migrations = generate(&loaded, Some(&lock));
    assert!(
        migrations.files.is_empty(),
        "{:?}",
        paths(&migrations.files)
    );
    assert_eq!(migrations.lock, lock);
    assert!(migrations.lock.events.contains_key("shop:order:cancelled"));

    // Deprecated and no longer stored: fine too, and the row stays in the lock.
    let analytics_only = format!("{deprecated}stored = false\n");
    let loaded = load(&FIXTURE.replace(CANCELLED, &analytics_only));
    let migrations = generate(&loaded, Some(&lock));
    assert!(
        migrations.files.is_empty(),
        "{:?}",
        paths(&migrations.files)
    );
    assert!(migrations.lock.events.contains_key("shop:order:cancelled"));
}

#[test]
fn an_emitted_event_that_is_no_longer_stored_is_an_error() {
    let lock = fixture_lock();
    let loaded = load(&FIXTURE.replace(CANCELLED, &format!("{CANCELLED}stored = false\n")));
    let errors = errors(&loaded, &lock);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let origin = errors[0].primary().expect("points at the event");
    let (line, _) = loaded.sources.line_col(origin.file, origin.span.start);
    let text = loaded.sources.file(origin.file).text.clone();
    assert_eq!(
        text.lines().nth(line - 1),
        Some("[events.\"shop:order:cancelled\"]")
    );
}

#[test]
fn retyping_an_emitted_column_is_an_error() {
    let lock = fixture_lock();
    let loaded = load(&FIXTURE.replace(
        r#"fields.quantity = { type = "int", description = "Number of items." }"#,
        r#"fields.quantity = { type = "string", description = "Number of items." }"#,
    ));
    let errors = errors(&loaded, &lock);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = &errors[0];
    assert!(
        error.message.contains("`quantity`")
            && error.message.contains("`int`")
            && error.message.contains("`string`"),
        "{}",
        error.message
    );
    assert_eq!(error.labels.len(), 1);
}

#[test]
fn every_append_only_error_is_reported_at_once() {
    let lock = fixture_lock();
    let loaded = load(&FIXTURE.replace(CANCELLED, "").replace(
        r#"fields.total = { type = "float", description = "Total amount." }"#,
        r#"fields.total = { type = "int", description = "Total amount, in cents." }"#,
    ));
    let errors = errors(&loaded, &lock);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    insta::with_settings!({ snapshot_path => "snapshots/migrations", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("append_only_errors", render(&loaded, errors));
    });
}

#[test]
fn a_column_no_longer_used_stays_without_error() {
    let lock = fixture_lock();
    let loaded = load(&FIXTURE.replace(
        r#"fields.gift = { type = "bool", description = "Whether it is a gift." }"#,
        "",
    ));
    let migrations = generate(&loaded, Some(&lock));
    assert!(migrations.files.is_empty());
    assert_eq!(migrations.lock.columns["gift"].ty, "bool");
}

#[test]
fn a_runtime_migration_this_eventgen_does_not_know_is_an_error() {
    let mut lock = fixture_lock();
    lock.runtime.insert(
        "from_the_future".into(),
        lock::LockedRuntimeMigration { migration: 3 },
    );
    let errors = errors(&load(FIXTURE), &lock);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].message.contains("`from_the_future`"));
}

// ---- the lock file ----------------------------------------------------------------------

#[test]
fn the_lock_round_trips_through_its_file() {
    let root = temp_dir("lock");
    let path = root.join(lock::FILE_NAME);
    assert!(Lock::read(&path).expect("absent is fine").is_none());
    let lock = generate(&load(&reference_catalog()), None).lock;
    let text = lock.to_toml();
    assert!(text.starts_with(&format!("# {GENERATED_NOTICE}\n")));
    std::fs::write(&path, &text).expect("write the lock");
    assert_eq!(Lock::read(&path).expect("a valid lock"), Some(lock.clone()));
    assert_eq!(lock.to_toml(), text, "deterministic");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn an_old_lock_without_collections_still_reads() {
    let lock = Lock::parse("format = 1\n", Path::new("eventgen.lock")).expect("a valid lock");
    assert_eq!(
        lock,
        Lock {
            format: 1,
            ..Lock::new()
        }
    );
    assert!(!lock.records_payloads(), "format 1 recorded no payloads");
}

#[test]
fn a_malformed_lock_names_the_file_and_line() {
    let root = temp_dir("malformed-lock");
    let path = root.join(lock::FILE_NAME);
    std::fs::write(
        &path,
        "# a lock\nformat = 1\nmigrations = [\n    { number = \"two\", name = \"orchest\" },\n]\n",
    )
    .expect("write the lock");
    let error = Lock::read(&path).expect_err("a malformed lock");
    match &error {
        LockError::Parse {
            path: reported,
            line,
            ..
        } => {
            assert_eq!(reported, &path);
            assert_eq!(*line, 4, "{error}");
        }
        other => panic!("expected a parse error, got {other}"),
    }
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{}:4:", path.display())),
        "{message}"
    );

    std::fs::write(&path, "format = 1\n[events\n").expect("write the lock");
    let error = Lock::read(&path).expect_err("not TOML");
    assert!(matches!(error, LockError::Parse { line: 2, .. }), "{error}");

    std::fs::write(&path, "format = 1\nunknown = true\n").expect("write the lock");
    let error = Lock::read(&path).expect_err("an unknown key");
    assert!(matches!(error, LockError::Parse { line: 2, .. }), "{error}");

    std::fs::write(&path, "format = 99\n").expect("write the lock");
    let error = Lock::read(&path).expect_err("a newer format");
    assert!(
        matches!(error, LockError::Format { found: 99, .. }),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
