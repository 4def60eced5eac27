//! The issue's acceptance test: `eventgen init` in an empty cargo project, then `eventgen
//! generate`, then `cargo build` of the setup `init` printed (its crates by path, since
//! they are not published from here), with the README's quickstart as `src/lib.rs`, so
//! that every name its snippets use is defined. Ignored by default: it compiles the workspace crates
//! and their dependencies in a target directory of its own (kept under cargo's
//! `CARGO_TARGET_TMPDIR`). Run it with
//! `cargo test -p eventgen --test init_build -- --ignored` (offline: the dependencies must
//! be in cargo's cache, as after a build of this workspace).

use std::path::Path;
use std::process::Command;

fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| panic!("{program} runs: {error}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{program} {args:?}:\n{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The indented lines of `printed` between `from` and `to`, unindented.
fn section(printed: &str, from: &str, to: &str) -> String {
    let start = printed.find(from).expect("section start") + from.len();
    let end = printed[start..]
        .find(to)
        .map_or(printed.len(), |i| start + i);
    let lines: Vec<&str> = printed[start..end]
        .lines()
        .skip(1)
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect();
    lines.join("\n").trim().to_owned() + "\n"
}

/// The `src/lib.rs` block of the README's "In your own service".
fn readme_lib_rs(workspace: &Path) -> String {
    let readme = std::fs::read_to_string(workspace.join("README.md")).expect("README");
    let quickstart = readme
        .split("## In your own service")
        .nth(1)
        .expect("the quickstart section");
    let block = quickstart
        .split("```rust\n// src/lib.rs\n")
        .nth(1)
        .expect("its src/lib.rs block");
    block
        .split("```")
        .next()
        .expect("the block's end")
        .to_owned()
}

#[test]
#[ignore = "slow: compiles the workspace crates in a project of its own"]
fn the_printed_setup_builds_after_init_and_generate() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = workspace.canonicalize().expect("workspace");
    let dir = std::env::temp_dir().join(format!("eventgen-init-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    run(
        &dir,
        "cargo",
        &["init", "--lib", "--name", "service", "--vcs", "none"],
    );
    let printed = run(&dir, env!("CARGO_BIN_EXE_eventgen"), &["init"]);
    run(&dir, env!("CARGO_BIN_EXE_eventgen"), &["generate"]);

    let version = env!("CARGO_PKG_VERSION");
    let by_path = |crate_dir: &str| format!("path = {:?}", workspace.join(crate_dir));
    let dependencies = section(&printed, "Add to Cargo.toml:", "Add build.rs")
        .replace(
            &format!("event-runtime = \"{version}\""),
            &format!("event-runtime = {{ {} }}", by_path("event-runtime")),
        )
        .replace(
            &format!("version = \"{version}\""),
            &by_path("event-outbox"),
        )
        .replace(
            &format!("event-codegen = \"{version}\""),
            &format!("event-codegen = {{ {} }}", by_path("codegen")),
        );
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
    let package = manifest.split("[dependencies]").next().expect("package");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("{package}{dependencies}\n[workspace]\n"),
    )
    .expect("manifest");
    std::fs::write(
        dir.join("build.rs"),
        section(&printed, "Add build.rs", "And in src/lib.rs:"),
    )
    .expect("build.rs");
    let module = section(&printed, "And in src/lib.rs:", "Then:");
    let quickstart = readme_lib_rs(&workspace);
    assert!(
        quickstart.starts_with(&module),
        "the README includes the module as init prints it"
    );
    std::fs::write(dir.join("src/lib.rs"), quickstart).expect("lib.rs");

    // A target directory that outlives the run, so that the next one compiles only the
    // workspace crates again.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("init-build-target");
    let target = target.to_str().expect("a UTF-8 path");
    run(
        &dir,
        "cargo",
        &["build", "--offline", "--quiet", "--target-dir", target],
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}
