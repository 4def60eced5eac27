//! `eventgen usage`: the stored events whose `register_*` function no source uses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use event_codegen::usage::{scan, usage};
use serde_json::json;

use super::{BLOCKING, OutputFormat, USAGE_OR_IO, exit_code, print_or_fail, report};

/// Runs `eventgen usage`.
pub(crate) fn run(
    definitions: &Path,
    sources: &[PathBuf],
    deny_unused: bool,
    format: OutputFormat,
) -> ExitCode {
    let loaded = report(event_codegen::load(&[definitions]));
    let Some(catalog) = &loaded.catalog else {
        return ExitCode::from(exit_code(&loaded));
    };
    let scanned = match scan(sources) {
        Ok(scanned) => scanned,
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            return ExitCode::from(USAGE_OR_IO);
        }
    };
    let usage = usage(catalog, &scanned);
    let text = match format {
        super::OutputFormat::Text => {
            let mut out = format!(
                "{} stored events: {} registered in {} scanned file(s), {} never registered\n",
                usage.registered.len() + usage.unused.len(),
                usage.registered.len(),
                scanned.files,
                usage.unused.len()
            );
            for event in &usage.unused {
                let deprecated = if event.deprecated.is_some() {
                    "  (deprecated)"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "  {}  {}{deprecated}\n",
                    event.event_type,
                    event.register_fn_name()
                ));
            }
            out
        }
        super::OutputFormat::Json => {
            let unused: Vec<_> = usage
                .unused
                .iter()
                .map(|e| {
                    json!({
                        "event": e.event_type,
                        "function": e.register_fn_name(),
                        "deprecated": e.deprecated.is_some(),
                    })
                })
                .collect();
            let registered: Vec<_> = usage
                .registered
                .iter()
                .map(|(e, files)| json!({ "event": e.event_type, "files": files }))
                .collect();
            let value = json!({
                "files": scanned.files,
                "registered": registered,
                "unused": unused,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).expect("JSON values serialize")
            )
        }
    };
    match print_or_fail(&text) {
        code if code != ExitCode::SUCCESS => code,
        _ if deny_unused && usage.unused_live().next().is_some() => ExitCode::from(BLOCKING),
        _ => ExitCode::SUCCESS,
    }
}
