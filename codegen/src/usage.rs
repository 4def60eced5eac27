//! Which stored events a code base records: `eventgen usage` parses Rust sources, finds
//! every use of a generated `register_<event>_event` function, and lists the stored
//! events whose function is never used.
//!
//! Each file is parsed whole (syn), and every path expression (a call's callee, a function
//! passed as a value), method call and macro argument that parses as expressions is
//! visited; comments, strings and `use` lines do not count as uses.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};

use crate::model::{Catalog, EventDef};
use crate::naming;

/// The `register_*_event` functions used in some sources, with the files using each.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Function name to the files that use it.
    pub registered: BTreeMap<String, BTreeSet<PathBuf>>,
    /// How many files were parsed.
    pub files: usize,
}

/// Why a source could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A file or directory cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file is not Rust syntax.
    #[error("cannot parse `{}` as Rust: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
}

/// Scans `.rs` files and directories (recursively, skipping `target` and hidden
/// directories). Every problem is returned, not only the first.
pub fn scan<P: AsRef<Path>>(paths: &[P]) -> Result<Scan, Vec<ScanError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        collect(path.as_ref(), &mut files, &mut errors);
    }
    let mut scan = Scan::default();
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                if let Err(error) = scan_source(&file, &text, &mut scan) {
                    errors.push(error);
                }
            }
            Err(source) => errors.push(ScanError::Io { path: file, source }),
        }
    }
    if errors.is_empty() {
        Ok(scan)
    } else {
        Err(errors)
    }
}

/// Scans the text of one file (`path` names it), adding what it uses to `scan`.
pub(crate) fn scan_source(path: &Path, text: &str, scan: &mut Scan) -> Result<(), ScanError> {
    let file = syn::parse_file(text).map_err(|error| ScanError::Parse {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    let mut visitor = Uses::default();
    visitor.visit_file(&file);
    for name in visitor.names {
        scan.registered
            .entry(name)
            .or_default()
            .insert(path.to_path_buf());
    }
    scan.files += 1;
    Ok(())
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<ScanError>) {
    if !path.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(source) => {
            let path = path.to_path_buf();
            errors.push(ScanError::Io { path, source });
            return;
        }
    };
    let mut found: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    found.sort();
    for entry in found {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if entry.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect(&entry, files, errors);
            }
        } else if entry.extension().is_some_and(|e| e == "rs") {
            files.push(entry);
        }
    }
}

/// Collects the names of `register_*_event` functions used.
#[derive(Default)]
struct Uses {
    names: BTreeSet<String>,
}

impl Uses {
    fn name(&mut self, ident: &syn::Ident) {
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name);
        if name.starts_with("register_") && name.ends_with("_event") {
            self.names.insert(name.to_owned());
        }
    }
}

impl<'ast> Visit<'ast> for Uses {
    fn visit_expr_path(&mut self, expr: &'ast syn::ExprPath) {
        if let Some(last) = expr.path.segments.last() {
            self.name(&last.ident);
        }
        visit::visit_expr_path(self, expr);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.name(&call.method);
        visit::visit_expr_method_call(self, call);
    }

    // Macro arguments are tokens to syn; most macros (`assert!`, `tokio::join!`, ...)
    // take expressions, so read them as such when they parse.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let parser = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(exprs) = mac.parse_body_with(parser) {
            for expr in &exprs {
                self.visit_expr(expr);
            }
        }
        visit::visit_macro(self, mac);
    }
}

/// The stored events of a catalog split by whether their register function is used.
#[derive(Debug, Clone)]
pub struct Usage<'c> {
    /// Used, with the files using them.
    pub registered: Vec<(&'c EventDef, Vec<PathBuf>)>,
    /// Never used.
    pub unused: Vec<&'c EventDef>,
}

impl Usage<'_> {
    /// Unused events that are not deprecated: deprecated ones are expected to go unused.
    pub fn unused_live(&self) -> impl Iterator<Item = &EventDef> {
        self.unused
            .iter()
            .copied()
            .filter(|e| e.deprecated.is_none())
    }
}

/// Which stored events of `catalog` the scanned sources register. The operational events
/// are left out: the outbox records them, not the service.
pub fn usage<'c>(catalog: &'c Catalog, scan: &Scan) -> Usage<'c> {
    let mut usage = Usage {
        registered: Vec::new(),
        unused: Vec::new(),
    };
    for event in catalog.stored_events().filter(|e| !e.is_operational()) {
        match scan
            .registered
            .get(&naming::register_fn_name(&event.event_type))
        {
            Some(files) => usage
                .registered
                .push((event, files.iter().cloned().collect())),
            None => usage.unused.push(event),
        }
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_calls_paths_method_calls_and_macro_arguments() {
        let text = r#"
            use events::register_project_deleted_event; // an import is not a use
            async fn a(c: &mut C) {
                events::register_project_created_event(c, &e).await.unwrap();
                let f = register_project_updated_event;
                c.register_project_renamed_event();
                assert!(register_project_archived_event(c, &e).await.is_ok());
                let s = "register_project_restored_event";
            }
        "#;
        let mut scan = Scan::default();
        scan_source(Path::new("a.rs"), text, &mut scan).unwrap();
        let names: Vec<&str> = scan.registered.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "register_project_archived_event",
                "register_project_created_event",
                "register_project_renamed_event",
                "register_project_updated_event",
            ]
        );
        assert!(scan_source(Path::new("b.rs"), "fn (", &mut scan).is_err());
    }
}
