//! Generation speed: everything `eventgen generate` produces (migrations, JSON Schemas,
//! docs, the Rust module) from a checked catalog, for the reference catalog and a
//! synthetic catalog of 5,000 stored events.
//!
//! After the criterion groups it prints medians measured in the same run against the
//! targets: the reference catalog in under 50 ms, 5,000 events in under 0.3 s; then the
//! median of each output of the 5,000 events made on its own (one at a time, so their sum
//! is more than the total, where they run side by side), and of loading and checking.
//!
//! It allocates as `eventgen` does, with mimalloc; `Builder` in a build script uses the
//! build script's allocator.
//!
//! Run with `cargo bench -p event-codegen --bench generate`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use event_codegen::generate;
use event_codegen::model::Catalog;
use synthetic_catalog as synthetic;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
const SYNTHETIC_EVENTS: usize = 5_000;

fn catalog_from(name: &str, text: &str) -> Catalog {
    event_codegen::load_str(name, text)
        .catalog
        .expect("the catalog checks")
}

/// Every output of `eventgen generate --rust-out`, from scratch (no lock yet).
fn generate_all(catalog: &Catalog) -> usize {
    let outputs = generate::outputs(
        Path::new("."),
        catalog,
        Path::new("definitions"),
        None,
        Some(Path::new("events.rs")),
    )
    .expect("generates");
    outputs.files.iter().map(|f| f.contents.len()).sum()
}

/// The median time of `runs` calls of `f`, after one to warm up.
fn median<R>(runs: usize, mut f: impl FnMut() -> R) -> Duration {
    black_box(f());
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// The median of each output made on its own, and of loading and checking `text`.
fn breakdown(text: &str, catalog: &Catalog, runs: usize) -> Vec<(&'static str, Duration)> {
    let tables = event_runtime::schema::Tables::DEFAULT;
    vec![
        (
            "load + check",
            median(runs, || catalog_from("synthetic.toml", text)),
        ),
        (
            "Rust module",
            median(runs, || {
                let mut options = generate::rust::Options::default();
                options.set_tables(tables.clone());
                generate::rust::module_with(catalog, &options)
            }),
        ),
        (
            "JSON Schemas",
            median(runs, || generate::json_schema::files(catalog)),
        ),
        ("HTML", median(runs, || generate::html::page(catalog))),
        ("docs", median(runs, || generate::docs::markdown(catalog))),
        (
            "TypeScript",
            median(runs, || generate::typescript::module(catalog)),
        ),
        ("Python", median(runs, || generate::python::module(catalog))),
        (
            "SQL + lock",
            median(runs, || {
                let mut migrations =
                    generate::sql::migrations(catalog, None, &tables).expect("migrations");
                migrations.lock.record(catalog);
                migrations.lock.to_toml()
            }),
        ),
    ]
}

fn main() {
    let reference = catalog_from(
        "orchest.toml",
        &std::fs::read_to_string(REFERENCE).expect("reference catalog"),
    );
    let synthetic_text = synthetic::catalog(SYNTHETIC_EVENTS);
    let synthetic = catalog_from("synthetic.toml", &synthetic_text);

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = criterion.benchmark_group("generate");
    group.bench_function("orchest", |b| {
        b.iter(|| generate_all(black_box(&reference)))
    });
    group.sample_size(10);
    group.bench_function("synthetic-5000", |b| {
        b.iter(|| generate_all(black_box(&synthetic)))
    });
    group.finish();
    criterion.final_summary();

    let bytes = generate_all(&reference);
    let reference_time = median(21, || generate_all(&reference));
    let synthetic_time = median(5, || generate_all(&synthetic));
    println!();
    println!("summary (medians; everything generate writes, Rust module included):");
    println!(
        "  reference catalog ({} events, {} KiB out): {reference_time:.2?} (target < 50 ms) {}",
        reference.events.len(),
        bytes / 1024,
        verdict(reference_time < Duration::from_millis(50))
    );
    println!(
        "  synthetic catalog ({} events): {synthetic_time:.2?} (target < 300 ms) {}",
        synthetic.events.len(),
        verdict(synthetic_time < Duration::from_millis(300))
    );
    println!("  each on its own, synthetic catalog:");
    for (what, time) in breakdown(&synthetic_text, &synthetic, 5) {
        println!("    {what:<14} {time:>10.2?}");
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}
