//! Generation speed: everything `eventgen generate` produces (migrations, JSON Schemas,
//! docs, the Rust module) from a checked catalog, for the reference catalog and a
//! synthetic catalog of 5,000 stored events.
//!
//! After the criterion groups it prints medians measured in the same run against the
//! targets: the reference catalog in under 50 ms, 5,000 events in under 1 s.
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

fn catalog(name: &str, text: &str) -> Catalog {
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

fn median(catalog: &Catalog, runs: usize) -> Duration {
    generate_all(catalog);
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(generate_all(black_box(catalog)));
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let reference = catalog(
        "orchest.toml",
        &std::fs::read_to_string(REFERENCE).expect("reference catalog"),
    );
    let synthetic = catalog("synthetic.toml", &synthetic::catalog(SYNTHETIC_EVENTS));

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
    let reference_time = median(&reference, 21);
    let synthetic_time = median(&synthetic, 5);
    println!();
    println!("summary (medians; everything generate writes, Rust module included):");
    println!(
        "  reference catalog ({} events, {} KiB out): {reference_time:.2?} (target < 50 ms) {}",
        reference.events.len(),
        bytes / 1024,
        verdict(reference_time < Duration::from_millis(50))
    );
    println!(
        "  synthetic catalog ({} events): {synthetic_time:.2?} (target < 1 s) {}",
        synthetic.events.len(),
        verdict(synthetic_time < Duration::from_secs(1))
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}
