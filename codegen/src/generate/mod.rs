//! Emitters: the checked catalog in, files out. Each submodule owns one kind of output;
//! this module writes them (only when their content changed) or checks that the files on
//! disk are current.

mod client;
mod deprecation;
pub mod docs;
pub mod html;
pub mod json_schema;
mod layout;
mod older;
pub mod python;
pub mod rust;
pub mod sample;
pub mod sql;
pub mod typescript;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::check;
use crate::diagnostic::Diagnostic;
use crate::format_schema;
use crate::lock::{Lock, content_hash};
use crate::model::Catalog;
pub use layout::{Layout, MigrationNaming};

/// Where `eventgen generate` writes the catalog's Markdown docs, relative to the root.
pub(crate) const DOCS_PATH: &str = "docs/events.md";

/// What `eventgen generate` produces for a catalog, paths relative to the repository
/// root: the migrations (given what `lock` says was emitted before) and the updated lock
/// in `definitions_dir` (which also records every event's payloads, see
/// [`Lock::record`], and every schema file published), the JSON Schemas (and the older
/// versions published before, kept as they are), the docs, the TypeScript and Python types
/// for client teams, the definitions-format schema beside the definitions, and the Rust
/// module when `rust_out` is given. The client types of older versions are read from their
/// published schema files under `root`, where the outputs are written.
///
/// Errors (rule `append-only`) when the catalog takes back something emitted, or would
/// rewrite a published schema.
pub fn outputs(
    root: &Path,
    catalog: &Catalog,
    definitions_dir: &Path,
    lock: Option<&Lock>,
    rust_out: Option<&Path>,
) -> Result<Outputs, Vec<Diagnostic>> {
    outputs_in(
        root,
        &Layout::beside(definitions_dir),
        catalog,
        lock,
        rust_out,
    )
}

/// [`outputs`], each file where `layout` puts it (a project's configuration), new
/// migrations named as it says.
pub fn outputs_in(
    root: &Path,
    layout: &Layout,
    catalog: &Catalog,
    lock: Option<&Lock>,
    rust_out: Option<&Path>,
) -> Result<Outputs, Vec<Diagnostic>> {
    let previous = &lock.cloned().unwrap_or_default();
    // Every output is made on a thread of its own, side by side: the schemas and the Rust
    // module also split their work over every core, and the outputs that need the schemas
    // (the lock, the client types, the HTML page) start as soon as those are done. The
    // files are put in order below, so the result does not depend on which thread finishes
    // first.
    let (migrations_and_lock, schema_files, docs, html, clients, rust) =
        std::thread::scope(|scope| {
            let rust = rust_out.map(|_| {
                scope.spawn(|| {
                    let mut options = rust::Options::default();
                    options.set_tables(layout.tables.clone());
                    rust::module_with(catalog, &options)
                })
            });
            let docs = scope.spawn(|| docs::markdown(catalog));
            let migrations = scope.spawn(|| {
                sql::migrations(catalog, lock, &layout.tables).map(|mut migrations| {
                    migrations.lock.record(catalog);
                    migrations
                })
            });
            let schemas = json_schema::schemas(catalog, &previous.schemas);
            let older_versions = json_schema::Older::new(&previous.schemas, &schemas.published);
            let html = scope.spawn(move || html::page_with(catalog, &older_versions));
            let older = older::read(
                &root.join(&layout.schemas),
                &previous.schemas,
                &schemas.published,
            );
            // The lock records the schemas published: it is finished beside the client types.
            let published = schemas.published;
            let migrations_and_lock = scope.spawn(move || {
                let mut migrations = joined(migrations)?;
                layout.name_migrations(&mut migrations.files, previous, &mut migrations.lock);
                let errors = check::published_schemas(catalog, previous, &published);
                if !errors.is_empty() {
                    return Err(errors);
                }
                migrations.lock.record_schemas(&published);
                Ok((migrations.files, migrations.lock.to_toml()))
            });
            let clients = [
                GeneratedFile::new(typescript::PATH, typescript::module_with(catalog, &older)),
                GeneratedFile::new(python::PATH, python::module_with(catalog, &older)),
            ];
            (
                joined(migrations_and_lock),
                schemas.files,
                joined(docs),
                joined(html),
                clients,
                rust.map(joined),
            )
        });
    let (migrations, next_lock) = migrations_and_lock?;
    let mut outputs = Outputs::default();
    outputs.files.extend(migrations);
    outputs.push(GeneratedFile::new(&layout.lock, next_lock));
    outputs.push(GeneratedFile::new(
        &layout.definitions_schema,
        format_schema::definitions_schema(),
    ));
    outputs.add_schemas(schema_files, previous);
    outputs.push(GeneratedFile::new(DOCS_PATH, docs));
    outputs.push(GeneratedFile::new(html::PATH, html));
    outputs.files.extend(clients);
    layout.relocate(&mut outputs);
    // After the move: the Rust module is exactly where it is asked for.
    if let (Some(path), Some(module)) = (rust_out, rust) {
        outputs.push(GeneratedFile::new(path, module));
    }
    Ok(outputs)
}

/// The result of a scoped thread, its panic resumed on this one.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

pub use crate::generated::GENERATED_NOTICE;

/// One file to write, relative to an output root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the output root, `/`-separated.
    pub path: PathBuf,
    /// Full contents.
    pub contents: String,
}

impl GeneratedFile {
    /// A file at `path` with `contents`.
    pub fn new(path: impl Into<PathBuf>, contents: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            contents: contents.into(),
        }
    }
}

/// A set of files to write, the directories the generator owns entirely (a file there
/// that it no longer produces is stale and removed), and the files published before that
/// it keeps as they are.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// The files.
    pub files: Vec<GeneratedFile>,
    /// Directories, relative to the root, whose every file is generated.
    pub owned_dirs: Vec<PathBuf>,
    /// Files published by an earlier generation and no longer generated (the schemas of
    /// older versions): they must stay on disk exactly as published.
    pub kept: Vec<KeptFile>,
}

/// A file published by an earlier generation, which the generator cannot write again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFile {
    /// Path relative to the output root, `/`-separated.
    pub path: PathBuf,
    /// The SHA-256 of its contents as published, lowercase hex.
    pub sha256: String,
}

/// How a file on disk compares with what would be generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Staleness {
    /// Not on disk.
    Missing,
    /// On disk with other contents.
    Changed,
    /// On disk in an owned directory, but no longer generated.
    Obsolete,
    /// A file published before (a schema of an older version), edited on disk: generating
    /// cannot restore it.
    PublishedEdited,
    /// A file published before, removed from disk: generating cannot restore it.
    PublishedRemoved,
}

impl Staleness {
    /// How `--check` names it.
    pub fn describe(self) -> &'static str {
        match self {
            Staleness::Missing => "missing",
            Staleness::Changed => "stale",
            Staleness::Obsolete => "obsolete",
            Staleness::PublishedEdited => "edited published file",
            Staleness::PublishedRemoved => "removed published file",
        }
    }

    /// Whether it is a published file, which only version control can restore.
    pub fn is_published(self) -> bool {
        matches!(
            self,
            Staleness::PublishedEdited | Staleness::PublishedRemoved
        )
    }
}

impl Outputs {
    /// Adds a file.
    pub fn push(&mut self, file: GeneratedFile) {
        self.files.push(file);
    }

    /// The files on disk under `root` that differ from these outputs, sorted by path.
    pub fn stale(&self, root: &Path) -> io::Result<Vec<(PathBuf, Staleness)>> {
        // Read and compared over every core: a big catalog has thousands of files.
        let compared = in_parallel(&self.files, |files| {
            (files.iter())
                .map(|file| match std::fs::read(root.join(&file.path)) {
                    Ok(bytes) if bytes == file.contents.as_bytes() => Ok(None),
                    Ok(_) => Ok(Some(Staleness::Changed)),
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {
                        Ok(Some(Staleness::Missing))
                    }
                    Err(error) => Err(error),
                })
                .collect()
        });
        let mut stale = Vec::new();
        for (file, staleness) in self.files.iter().zip(compared) {
            if let Some(why) = staleness? {
                stale.push((file.path.clone(), why));
            }
        }
        for path in self.obsolete(root)? {
            stale.push((path, Staleness::Obsolete));
        }
        stale.extend(self.altered_kept(root)?);
        stale.sort();
        Ok(stale)
    }

    /// Adds the schema files of a generation: they own the schema folders, where the
    /// files `previous` published and this generation does not write are kept.
    fn add_schemas(&mut self, files: Vec<GeneratedFile>, previous: &Lock) {
        let root = Path::new(json_schema::SCHEMA_DIR);
        // A lock entry that is no schema path is an error (`check`); never own its folder.
        let published = previous
            .schemas
            .iter()
            .filter(|(path, _)| check::is_schema_path(path));
        // Looked up, not scanned: a scan per published file grows with the square of the
        // catalog.
        let written: HashSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
        for (path, schema) in published {
            let path = root.join(path);
            if !written.contains(path.as_path()) {
                self.kept.push(KeptFile {
                    path,
                    sha256: schema.sha256.clone(),
                });
            }
        }
        let mut dirs: Vec<PathBuf> = files
            .iter()
            .map(|f| &f.path)
            .chain(self.kept.iter().map(|k| &k.path))
            .filter_map(|path| path.parent().map(Path::to_path_buf))
            .chain(json_schema::PayloadKind::ALL.map(|kind| root.join(kind.as_str())))
            .collect();
        dirs.sort();
        dirs.dedup();
        self.owned_dirs.extend(dirs);
        self.files.extend(files);
    }

    /// The kept files that are no longer on disk as published.
    fn altered_kept(&self, root: &Path) -> io::Result<Vec<(PathBuf, Staleness)>> {
        let mut altered = Vec::new();
        for kept in &self.kept {
            match std::fs::read(root.join(&kept.path)) {
                Ok(bytes) if content_hash(&bytes) == kept.sha256 => {}
                Ok(_) => altered.push((kept.path.clone(), Staleness::PublishedEdited)),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    altered.push((kept.path.clone(), Staleness::PublishedRemoved));
                }
                Err(error) => return Err(error),
            }
        }
        Ok(altered)
    }

    /// Writes the files under `root` (creating directories), touching only those whose
    /// content changed, and removes obsolete files from owned directories. Returns the
    /// paths written or removed.
    ///
    /// Fails, writing nothing, when a kept file was edited or removed: only version control
    /// can restore it.
    pub fn write(&self, root: &Path) -> io::Result<Vec<PathBuf>> {
        if let Some((path, why)) = self.altered_kept(root)?.into_iter().next() {
            return Err(io::Error::other(format!(
                "{} `{}`: a published file never changes; restore it from version control \
                 (`git checkout -- {}`)",
                why.describe(),
                path.display(),
                path.display()
            )));
        }
        let mut touched = Vec::new();
        for file in &self.files {
            if write_if_changed(&root.join(&file.path), &file.contents)? {
                touched.push(file.path.clone());
            }
        }
        for path in self.obsolete(root)? {
            std::fs::remove_file(root.join(&path))?;
            touched.push(path);
        }
        Ok(touched)
    }

    fn obsolete(&self, root: &Path) -> io::Result<Vec<PathBuf>> {
        // Looked up, not scanned: a scan per file on disk grows with the square of the
        // catalog.
        let known: HashSet<&Path> = (self.files.iter().map(|f| f.path.as_path()))
            .chain(self.kept.iter().map(|k| k.path.as_path()))
            .collect();
        let mut obsolete = Vec::new();
        for dir in &self.owned_dirs {
            let entries = match std::fs::read_dir(root.join(dir)) {
                Ok(entries) => entries,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            for entry in entries {
                let entry = entry?;
                if !entry.file_type()?.is_file() {
                    continue;
                }
                let path = dir.join(entry.file_name());
                if !known.contains(path.as_path()) {
                    obsolete.push(path);
                }
            }
        }
        Ok(obsolete)
    }
}

/// A template environment as the generators use it: block tags on lines of their own, no
/// HTML escaping (the outputs are SQL and Markdown), and an error for any undefined value.
fn template_environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("a valid syntax"),
    );
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env
}

/// Writes `contents` to `path` unless it already holds exactly that (so build scripts do
/// not trigger rebuilds for nothing). Returns whether it wrote.
pub(crate) fn write_if_changed(path: &Path, contents: &str) -> io::Result<bool> {
    if std::fs::read(path).is_ok_and(|existing| existing == contents.as_bytes()) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents)?;
    Ok(true)
}

/// `f` over `items` in chunks, on one scoped thread per available core when there are
/// enough items to be worth it (32 a thread; an item is a whole event or more), the results
/// concatenated in order: the output does not depend on the number of threads.
///
/// The threads take small chunks in turn, from the last to the first, so that they finish
/// together however unevenly the work is spread: callers put their largest items (the
/// catalog-wide enums) last, and those start first.
pub(crate) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    const MIN_ITEMS_PER_THREAD: usize = 32;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / MIN_ITEMS_PER_THREAD)
        .max(1);
    if threads == 1 {
        return f(items);
    }
    // About eight chunks a thread, so that the last ones are small.
    let chunk = (items.len() / (threads * 8)).clamp(1, 64);
    let chunks: Vec<&[T]> = items.chunks(chunk).collect();
    let next = AtomicUsize::new(chunks.len());
    let work = || {
        let mut done = Vec::new();
        loop {
            let Ok(taken) =
                next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            else {
                return done;
            };
            let index = taken - 1;
            done.push((index, f(chunks[index])));
        }
    };
    let mut results: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_unstable_by_key(|(index, _)| *index);
    results.into_iter().flat_map(|(_, chunk)| chunk).collect()
}

#[cfg(test)]
mod tests {
    use super::in_parallel;

    #[test]
    fn in_parallel_keeps_the_order_of_the_items() {
        let items: Vec<usize> = (0..5_000).collect();
        let doubled = in_parallel(&items, |chunk| chunk.iter().map(|n| n * 2).collect());
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        let few = in_parallel(&items[..3], |chunk| chunk.to_vec());
        assert_eq!(few, [0, 1, 2]);
    }
}
