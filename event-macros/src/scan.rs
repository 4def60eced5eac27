//! The catalog a derive checks its item against: the derive items of the consuming
//! crate's sources (and of the files its catalog names), read the way `eventgen generate --rust-src` reads them, cached per
//! file for the compiler process.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::SystemTime;

use event_codegen::date::Date;
use event_codegen::diagnostic::Diagnostics;
use event_codegen::ir::{CatalogDecl, Definitions};
use event_codegen::macro_support::{self as support, Declared, Found};
use event_codegen::model::Catalog;
use event_codegen::source::{Loc, Origin, SourceMap};

/// The derive items of one file; `failed` when some item of it could not be read (its own
/// derive reports why).
#[derive(Debug, Clone)]
pub(crate) struct FileItems {
    /// The file, canonical.
    pub path: PathBuf,
    /// Its items, in order.
    pub items: Rc<Vec<Found>>,
    /// Whether some item could not be read.
    pub failed: bool,
}

/// A file as cached: its modification time and size when read, and what it declares.
type Cached = (Option<SystemTime>, u64, Rc<Vec<Found>>, bool);

/// The scanned files a catalog was checked from (each file's items, compared by address:
/// a file read again gets new ones; held, so the address is not reused), and the catalog
/// when it checked clean.
type Checked = (Vec<(PathBuf, Rc<Vec<Found>>)>, Option<Rc<Catalog>>);

thread_local! {
    static CACHE: RefCell<HashMap<PathBuf, Cached>> = RefCell::new(HashMap::new());
    static CHECKED: RefCell<Option<Checked>> = const { RefCell::new(None) };
}

/// The catalog of the scanned items alone, when they check without error (warnings
/// allowed) and every file could be read; checked once per set of scanned files for the
/// compiler process, so that a crate's derives share it instead of each checking the
/// whole catalog again. A crate that declares no catalog gets a placeholder one, as in
/// `expand`.
pub(crate) fn checked_catalog(files: &[FileItems]) -> Option<Rc<Catalog>> {
    if files.iter().any(|f| f.failed) {
        return None;
    }
    let same = |checked: &[(PathBuf, Rc<Vec<Found>>)]| {
        checked.len() == files.len()
            && checked
                .iter()
                .zip(files)
                .all(|((path, items), file)| *path == file.path && Rc::ptr_eq(items, &file.items))
    };
    let cached = CHECKED.with(|checked| {
        checked
            .borrow()
            .as_ref()
            .filter(|(checked, _)| same(checked))
            .map(|(_, catalog)| catalog.clone())
    });
    if let Some(catalog) = cached {
        return catalog;
    }
    let mut definitions = Definitions::default();
    for found in files.iter().flat_map(|f| f.items.iter()) {
        support::add(&mut definitions, found.declared.clone());
    }
    if definitions.catalogs.is_empty() {
        let mut sources = SourceMap::new();
        let origin = Origin {
            file: sources.add("scanned", ""),
            span: 0..0,
        };
        definitions.catalogs.push(CatalogDecl {
            origin: origin.clone(),
            name: Loc::new("catalog".to_owned(), origin),
            schema_base: None,
            description: None,
        });
    }
    let catalog =
        support::check_on(&definitions, &mut Diagnostics::new(), Date::today()).map(Rc::new);
    let key = files
        .iter()
        .map(|f| (f.path.clone(), f.items.clone()))
        .collect();
    CHECKED.with(|checked| *checked.borrow_mut() = Some((key, catalog.clone())));
    catalog
}

/// The derive items of the crate's sources: every `.rs` file under
/// `<CARGO_MANIFEST_DIR>/src`, `own` (the file of the item being derived, wherever it is),
/// and what the catalog's `#[catalog(src = "...")]` names.
pub(crate) fn crate_items(own: Option<&Path>) -> Vec<FileItems> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").map(PathBuf::from).ok();
    let mut paths = match &manifest_dir {
        Some(dir) => canonical_files(&[dir.join("src")]),
        None => Vec::new(),
    };
    paths.extend(own.map(Path::to_path_buf));
    let mut files: Vec<FileItems> = Vec::new();
    add_files(&mut files, paths);
    let extra: Vec<PathBuf> = files
        .iter()
        .flat_map(|f| f.items.iter())
        .filter_map(|found| match &found.declared {
            Declared::Catalog(_, Some(src)) => manifest_dir.as_ref().map(|d| d.join(src)),
            _ => None,
        })
        .collect();
    add_files(&mut files, canonical_files(&extra));
    files
}

fn canonical_files(roots: &[PathBuf]) -> Vec<PathBuf> {
    let roots: Vec<&PathBuf> = roots.iter().filter(|r| r.exists()).collect();
    support::source_files(&roots, &mut Diagnostics::new())
        .into_iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect()
}

fn add_files(files: &mut Vec<FileItems>, paths: Vec<PathBuf>) {
    for path in paths {
        if !files.iter().any(|f| f.path == path) {
            files.push(file_items(&path));
        }
    }
}

/// The derive items of `path` (canonical). Unreadable files declare nothing: the compiler
/// reports them.
fn file_items(path: &Path) -> FileItems {
    let metadata = std::fs::metadata(path).ok();
    let modified = metadata.as_ref().and_then(|m| m.modified().ok());
    let len = metadata.as_ref().map_or(0, |m| m.len());
    let cached = CACHE.with(|cache| {
        cache
            .borrow()
            .get(path)
            .filter(|(m, l, _, _)| *m == modified && *l == len)
            .map(|(_, _, items, failed)| (items.clone(), *failed))
    });
    let (items, failed) = cached.unwrap_or_else(|| {
        let (items, failed) = read(path);
        let items = Rc::new(items);
        CACHE.with(|cache| {
            cache
                .borrow_mut()
                .insert(path.to_path_buf(), (modified, len, items.clone(), failed));
        });
        (items, failed)
    });
    FileItems {
        path: path.to_path_buf(),
        items,
        failed,
    }
}

fn read(path: &Path) -> (Vec<Found>, bool) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (Vec::new(), false);
    };
    // Scanned files are one "file" of the catalog for the macro: their origins only need
    // to differ from the item's (see `expand`). Tokens parsed here outlive this macro call
    // in the cache, so they use proc-macro2's own spans, not the compiler's.
    let mut sources = SourceMap::new();
    let file = sources.add(path, "");
    let mut diagnostics = Diagnostics::new();
    proc_macro2::fallback::force();
    let mut found = support::scan(file, &text, &mut diagnostics);
    proc_macro2::fallback::unforce();
    for item in &mut found {
        // Members of other events are never looked at; drop their tokens.
        if let Declared::Event(_, members) = &mut item.declared {
            members.clear();
        }
    }
    (found, diagnostics.has_errors())
}
