//! `eventgen usage` on a small source tree (`fixtures/usage`) recording events of the
//! feature fixture: calls, functions passed as values and macro arguments count; imports,
//! comments and strings do not; deprecated events may go unused.

use std::path::{Path, PathBuf};
use std::process::Output;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/fixtures")
}

fn usage(extra: &[&str]) -> Output {
    let fixtures = fixtures();
    let definitions = fixtures.join("features.toml");
    let sources = fixtures.join("usage");
    let mut args = vec![
        "usage".to_owned(),
        "--definitions".to_owned(),
        definitions.display().to_string(),
        "--src".to_owned(),
        sources.display().to_string(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    std::process::Command::new(env!("CARGO_BIN_EXE_eventgen"))
        .args(&args)
        .output()
        .expect("eventgen runs")
}

#[test]
fn lists_the_stored_events_never_registered() {
    let output = usage(&[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(
        text,
        "5 stored events: 3 registered in 2 scanned file(s), 2 never registered\n\
         \x20 project:renamed  register_project_renamed_event  (deprecated)\n\
         \x20 project:one-off-job:pipeline-run:failed  register_project_one_off_job_pipeline_run_failed_event\n"
    );
}

#[test]
fn deny_unused_fails_on_an_unused_live_event_only() {
    assert_eq!(usage(&["--deny-unused"]).status.code(), Some(1));
    let extra = fixtures().join("usage-extra");
    let output = usage(&[
        "--src",
        extra.to_str().expect("UTF-8"),
        "--deny-unused",
        "--format",
        "json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "only the deprecated event is unused: {output:?}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["files"], 3);
    assert_eq!(json["unused"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["unused"][0]["event"], "project:renamed");
    assert_eq!(json["unused"][0]["deprecated"], true);
    let registered: Vec<&str> = json["registered"]
        .as_array()
        .expect("registered")
        .iter()
        .filter_map(|r| r["event"].as_str())
        .collect();
    assert_eq!(
        registered,
        [
            "project:created",
            "project:updated",
            "project:one-off-job:started",
            "project:one-off-job:pipeline-run:failed"
        ]
    );
}

#[test]
fn unreadable_or_unparsable_sources_exit_2() {
    let output = usage(&["--src", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read `no/such/dir`"));
    let dir = std::env::temp_dir().join(format!("eventgen-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("broken.rs"), "fn (").expect("source");
    let output = usage(&["--src", dir.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot parse"));
    let _ = std::fs::remove_dir_all(dir);
}
