//! Where the outputs go. The emitters name their files at the default places
//! (`migrations/sqlite/0002_x.sql`, `schemas/...`, `docs/events.md`); a [`Layout`] moves
//! each one to where a project's configuration puts it, and names new migrations.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use event_runtime::schema::Tables;

use crate::date::Date;
use crate::generate::{GeneratedFile, Outputs, html, json_schema, python, sql, typescript};
use crate::lock::{self, Lock};

/// How new migration files are named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MigrationNaming {
    /// `0001_name.sql`: the next number after the lock's last migration.
    #[default]
    Sequential,
    /// `20240101000000_name.sql` (sqlx-cli's style): the UTC time of the generation that
    /// first wrote the migration, recorded in the lock so that it never changes.
    Timestamp,
}

/// Where every output goes, paths relative to the output root. [`Layout::beside`] gives
/// today's places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The lock file.
    pub lock: PathBuf,
    /// The definitions format's JSON Schema.
    pub definitions_schema: PathBuf,
    /// The SQLite migrations' directory.
    pub sqlite_migrations: PathBuf,
    /// The PostgreSQL migrations' directory.
    pub postgres_migrations: PathBuf,
    /// How new migrations are named.
    pub migration_naming: MigrationNaming,
    /// The JSON Schemas' directory.
    pub schemas: PathBuf,
    /// The Markdown catalog.
    pub docs_markdown: PathBuf,
    /// The HTML catalog.
    pub docs_html: PathBuf,
    /// The directory of the TypeScript types (`events.ts`).
    pub typescript: PathBuf,
    /// The directory of the Python types (`events.py`).
    pub python: PathBuf,
    /// The names the migrations give the runtime's tables.
    pub tables: Tables,
}

impl Layout {
    /// Today's places: the lock and the format schema in `definitions_dir`, the rest
    /// under the root (`migrations/sqlite`, `schemas`, `docs/events.md`, ...).
    pub fn beside(definitions_dir: &Path) -> Self {
        let parent = |path: &str| Path::new(path).parent().map(Path::to_path_buf);
        Self {
            lock: definitions_dir.join(lock::FILE_NAME),
            definitions_schema: definitions_dir.join("definitions.schema.json"),
            sqlite_migrations: sql::Backend::Sqlite.dir().into(),
            postgres_migrations: sql::Backend::Postgres.dir().into(),
            migration_naming: MigrationNaming::Sequential,
            schemas: json_schema::SCHEMA_DIR.into(),
            docs_markdown: super::DOCS_PATH.into(),
            docs_html: html::PATH.into(),
            typescript: parent(typescript::PATH).unwrap_or_default(),
            python: parent(python::PATH).unwrap_or_default(),
            tables: Tables::DEFAULT,
        }
    }

    /// Where the file the emitters name `path` goes.
    fn place(&self, path: &Path) -> PathBuf {
        let moves: [(&str, &Path); 3] = [
            (&sql::Backend::Sqlite.dir(), &self.sqlite_migrations),
            (&sql::Backend::Postgres.dir(), &self.postgres_migrations),
            (json_schema::SCHEMA_DIR, &self.schemas),
        ];
        if path == Path::new(super::DOCS_PATH) {
            return self.docs_markdown.clone();
        }
        if path == Path::new(html::PATH) {
            return self.docs_html.clone();
        }
        for (client, dir) in [
            (typescript::PATH, &self.typescript),
            (python::PATH, &self.python),
        ] {
            if path == Path::new(client) {
                return dir.join(path.file_name().unwrap_or_default());
            }
        }
        for (default, configured) in moves {
            if let Ok(rest) = path.strip_prefix(default) {
                return configured.join(rest);
            }
        }
        path.to_path_buf()
    }

    /// Moves every file, owned directory and kept file of `outputs` to its place.
    pub(crate) fn relocate(&self, outputs: &mut Outputs) {
        for file in &mut outputs.files {
            // The lock and the format schema are already where the layout says.
            if file.path != self.lock && file.path != self.definitions_schema {
                file.path = self.place(&file.path);
            }
        }
        for dir in &mut outputs.owned_dirs {
            *dir = self.place(dir);
        }
        for kept in &mut outputs.kept {
            kept.path = self.place(&kept.path);
        }
        self.link_html_to_schemas(outputs);
    }

    /// The HTML catalog links to the schemas relative to itself (`../schemas/...`, HTML
    /// escaped): points those links at where the layout puts both.
    fn link_html_to_schemas(&self, outputs: &mut Outputs) {
        let escaped = |path: &str| path.replace('/', "&#x2f;");
        let default = format!(
            "href=\"{}",
            escaped(&format!("../{}/", json_schema::SCHEMA_DIR))
        );
        let Some(target) = relative_path(self.docs_html.parent(), &self.schemas) else {
            return;
        };
        let moved = format!("href=\"{}", escaped(&format!("{target}/")));
        if moved == default {
            return;
        }
        for file in outputs
            .files
            .iter_mut()
            .filter(|f| f.path == self.docs_html)
        {
            file.contents = file.contents.replace(&default, &moved);
        }
    }

    /// Names the new migrations `files` (written after `previous`) as this layout says,
    /// recording a timestamp in `next` for each new migration when they are timestamped.
    pub(crate) fn name_migrations(
        &self,
        files: &mut [GeneratedFile],
        previous: &Lock,
        next: &mut Lock,
    ) {
        if self.migration_naming == MigrationNaming::Sequential {
            return;
        }
        // Strictly increasing, and after every earlier migration, even with a clock behind.
        let mut version = next
            .migrations
            .iter()
            .filter_map(|m| m.version)
            .max()
            .map_or(0, |last| last + 1)
            .max(utc_timestamp_now());
        for migration in &mut next.migrations {
            let is_new = previous.migration_name(migration.number).is_none();
            if !is_new || migration.version.is_some() {
                continue;
            }
            let sequential = migration.file_name();
            migration.version = Some(version);
            let timestamped = migration.file_name();
            for file in files.iter_mut() {
                if file
                    .path
                    .file_name()
                    .is_some_and(|n| n == sequential.as_str())
                {
                    file.path.set_file_name(&timestamped);
                }
            }
            version = next_second(version);
        }
    }
}

/// `to` relative to the directory `from` (`None`: the root), `/`-separated; `None` when
/// it cannot be said without knowing the directories above (a `..` left after the common
/// part).
fn relative_path(from: Option<&Path>, to: &Path) -> Option<String> {
    let from: Vec<_> = from.map(|f| f.components().collect()).unwrap_or_default();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let (up, down) = (&from[common..], &to[common..]);
    let plain = |c: &std::path::Component<'_>| matches!(c, std::path::Component::Normal(_));
    if !up.iter().chain(down).all(plain) {
        return None;
    }
    let mut parts: Vec<String> = up.iter().map(|_| "..".to_owned()).collect();
    parts.extend(
        down.iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// Now, UTC, as `YYYYMMDDHHMMSS` read as a number (sqlx-cli's migration versions).
fn utc_timestamp_now() -> u64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = Date::from_unix_days(i64::try_from(seconds / 86_400).unwrap_or(0));
    let time = seconds % 86_400;
    let (hours, minutes, secs) = (time / 3600, time / 60 % 60, time % 60);
    let digits = format!(
        "{}{hours:02}{minutes:02}{secs:02}",
        day.to_string().replace('-', "")
    );
    digits.parse().unwrap_or(0)
}

/// The timestamp one second later, carrying into minutes and hours (past 23:59:59 it
/// stays a valid increasing number, which is all sqlx asks of a version).
fn next_second(version: u64) -> u64 {
    let mut next = version + 1;
    if next % 100 >= 60 {
        next += 40;
    }
    if next / 100 % 100 >= 60 {
        next += 4_000;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_second_carries() {
        assert_eq!(next_second(20240101000000), 20240101000001);
        assert_eq!(next_second(20240101000059), 20240101000100);
        assert_eq!(next_second(20240101005959), 20240101010000);
    }

    #[test]
    fn relative_paths_between_outputs() {
        let docs = Path::new("docs");
        assert_eq!(
            relative_path(Some(docs), Path::new("schemas")).as_deref(),
            Some("../schemas")
        );
        assert_eq!(
            relative_path(Some(Path::new("out")), Path::new("out/schemas")).as_deref(),
            Some("schemas")
        );
        assert_eq!(relative_path(None, Path::new("s")).as_deref(), Some("s"));
        assert_eq!(relative_path(Some(docs), Path::new("../s")), None);
    }

    #[test]
    fn default_layout_keeps_every_path() {
        let layout = Layout::beside(Path::new("definitions"));
        for path in [
            "migrations/sqlite/0001_a.sql",
            "schemas/index.json",
            "docs/events.md",
        ] {
            assert_eq!(layout.place(Path::new(path)), Path::new(path));
        }
        assert_eq!(
            layout.place(Path::new(typescript::PATH)),
            Path::new(typescript::PATH)
        );
    }
}
