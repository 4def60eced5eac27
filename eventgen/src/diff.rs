//! `eventgen diff`: what changed in the catalog since a lock, classified, and which
//! changes are blocking.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use event_codegen::Baseline;
use event_codegen::diagnostic::{Diagnostics, Style, render};
use event_codegen::evolution::Class;
use event_codegen::lock::{self, Lock};
use event_codegen::model::Catalog;
use event_codegen::{Gate, gate};
use serde_json::json;

use super::{BLOCKING, OutputFormat, USAGE_OR_IO, exit_code, print_or_fail, report};

/// Runs `eventgen diff`: `lock` is the project's lock file (by default beside the
/// definitions), which `--against` replaces.
pub(crate) fn run(
    definitions: &Path,
    lock: &Path,
    against: Option<&str>,
    format: OutputFormat,
) -> ExitCode {
    let loaded = report(Baseline::new().without_lock().load(&[definitions]));
    let Some(catalog) = &loaded.catalog else {
        return ExitCode::from(exit_code(&loaded));
    };
    let (lock, name) = match baseline(lock, against) {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(USAGE_OR_IO);
        }
    };
    if !lock.records_payloads() {
        eprintln!(
            "note: {name} has lock format {}, which records no payloads: nothing to compare. \
             `eventgen generate` records them.",
            lock.format
        );
    }
    let gate = gate(catalog, &lock);
    if gate.is_blocking() {
        let mut diagnostics = Diagnostics::new();
        diagnostics.extend(gate.diagnostics.iter().cloned());
        let style = Style::detect(std::io::stderr().is_terminal());
        eprint!("{}", render(&diagnostics, &loaded.sources, style));
    }
    let text = match format {
        OutputFormat::Text => text(&gate, &lock, catalog, &name),
        OutputFormat::Json => json(&gate, &name),
    };
    match print_or_fail(&text) {
        code if code != ExitCode::SUCCESS => code,
        _ if gate.is_blocking() => ExitCode::from(BLOCKING),
        _ => ExitCode::SUCCESS,
    }
}

/// The lock to compare with, and how to name it: a lock file, a git revision's lock, or
/// (by default) the project's lock. No lock file at all: nothing was generated yet, so
/// every event is new.
fn baseline(project_lock: &Path, against: Option<&str>) -> Result<(Lock, String), String> {
    let path = match against {
        None => project_lock.to_path_buf(),
        Some(file) if Path::new(file).is_file() => PathBuf::from(file),
        Some(rev) => return from_git(project_lock, rev),
    };
    let name = path.display().to_string();
    match Lock::read(&path) {
        Ok(Some(lock)) => Ok((lock, name)),
        Ok(None) => Ok((
            Lock::new(),
            format!("{name} (absent: nothing generated yet)"),
        )),
        Err(error) => Err(error.to_string()),
    }
}

/// The project's lock as of the git revision `rev`.
fn from_git(project_lock: &Path, rev: &str) -> Result<(Lock, String), String> {
    let file_name = project_lock.file_name().unwrap_or(lock::FILE_NAME.as_ref());
    let spec = format!("{rev}:./{}", file_name.to_string_lossy());
    let dir = match project_lock.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", &spec])
        .output()
        .map_err(|error| format!("cannot run git to read `{spec}`: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{rev}` is neither a lock file nor a git revision holding `{}`: {}",
            project_lock.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| format!("the lock at `{spec}` is not UTF-8"))?;
    let name = format!("{rev}:{}", project_lock.display());
    let lock = Lock::parse(&text, Path::new(&name)).map_err(|error| error.to_string())?;
    Ok((lock, name))
}

fn counts(gate: &Gate) -> Vec<(Class, usize)> {
    Class::ALL
        .iter()
        .map(|&class| {
            let n = gate
                .changes
                .iter()
                .filter(|g| g.change.class() == class)
                .count();
            (class, n)
        })
        .collect()
}

fn blocking(gate: &Gate) -> usize {
    gate.changes
        .iter()
        .filter(|g| g.blocked_by.is_some())
        .count()
}

fn text(gate: &Gate, lock: &Lock, catalog: &Catalog, name: &str) -> String {
    let summary: Vec<String> = counts(gate)
        .iter()
        .map(|(class, n)| format!("{n} {}", class.as_str()))
        .collect();
    let mut out = format!(
        "against {name}: {} change(s) ({}), {} blocking\n",
        gate.changes.len(),
        summary.join(", "),
        blocking(gate)
    );
    let mut current: Option<&str> = None;
    for gated in &gate.changes {
        let event = gated.change.event.as_str();
        if current != Some(event) {
            current = Some(event);
            let before = lock.payloads.get(event).map(|p| p.version);
            let after = catalog.event(event).map(|e| e.version);
            let version = match (before, after) {
                (Some(a), Some(b)) if a != b => format!("version {a} -> {b}"),
                (_, Some(v)) | (Some(v), None) => format!("version {v}"),
                (None, None) => String::new(),
            };
            out.push_str(&format!("\n{event}  ({version})\n"));
        }
        out.push_str(&format!(
            "  {:<17} {}\n",
            gated.change.class().as_str(),
            gated.change.describe()
        ));
        if let (Some(rule), Some(to_do)) = (gated.blocked_by, &gated.to_do) {
            out.push_str(&format!(
                "  {:<17} blocking [{}]: {to_do}\n",
                "",
                rule.code()
            ));
        }
    }
    out
}

fn json(gate: &Gate, name: &str) -> String {
    let changes: Vec<serde_json::Value> = gate
        .changes
        .iter()
        .map(|gated| {
            json!({
                "event": gated.change.event,
                "field": gated.change.field,
                "class": gated.change.class().as_str(),
                "kind": gated.change.code(),
                "description": gated.change.describe(),
                "blocking": gated.blocked_by.is_some(),
                "rule": gated.blocked_by.map(|r| r.code()),
                "to_do": gated.to_do,
            })
        })
        .collect();
    let counts: serde_json::Map<String, serde_json::Value> = counts(gate)
        .into_iter()
        .map(|(class, n)| (class.as_str().to_owned(), n.into()))
        .collect();
    let value = json!({
        "against": name,
        "blocking": blocking(gate),
        "counts": counts,
        "changes": changes,
    });
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialize");
    text.push('\n');
    text
}
