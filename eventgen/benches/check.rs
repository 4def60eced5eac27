//! Parsing and checking speed: `load_sources` on the reference catalog and on synthetic
//! catalogs of 5,000 and 50,000 stored events.
//!
//! After the criterion groups it prints a summary measured in the same run (medians of
//! interleaved timed runs) against the targets: 5,000 events in under 200 ms, and ten
//! times the events in at most twelve times the time.
//!
//! Run with `cargo bench -p eventgen --bench check`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use synthetic_catalog as synthetic;

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");

/// Stored-event counts of the synthetic catalogs.
const SMALL: usize = 5_000;
const LARGE: usize = 50_000;

/// Targets: the small catalog within this time, the large one within this factor of it.
const SMALL_TARGET: Duration = Duration::from_millis(200);
const MAX_RATIO: f64 = 12.0;

/// Rounds of the summary: each times the large catalog once and the small one twice.
const ROUNDS: usize = 9;

/// Parses and checks one in-memory file, asserting that it is clean. The text is shared,
/// not copied, so that only parsing and checking are timed.
fn check(name: &str, text: &Arc<str>) -> usize {
    let loaded = event_codegen::load_str(name, Arc::clone(text));
    assert!(
        !loaded.diagnostics.has_errors(),
        "{name} does not check:\n{}",
        loaded.render(event_codegen::diagnostic::Style::Plain)
    );
    loaded.catalog.map_or(0, |c| c.events.len())
}

fn main() {
    let reference: Arc<str> = std::fs::read_to_string(REFERENCE)
        .expect("definitions/orchest.toml")
        .into();
    let small: Arc<str> = synthetic::catalog(SMALL).into();
    let large: Arc<str> = synthetic::catalog(LARGE).into();

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let mut group = criterion.benchmark_group("load_sources");
    group.throughput(Throughput::Bytes(reference.len() as u64));
    group.bench_function("orchest.toml", |b| {
        b.iter(|| check("orchest.toml", black_box(&reference)))
    });
    for (events, text) in [(SMALL, &small), (LARGE, &large)] {
        group.throughput(Throughput::Elements(events as u64));
        if events == LARGE {
            // A run takes long enough that ten samples in the measurement time are plenty.
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::new("synthetic", events), text, |b, text| {
            b.iter(|| check("synthetic.toml", black_box(text)))
        });
    }
    group.finish();
    criterion.final_summary();

    summary(&reference, &small, &large);
    process_summary(&small, &large);
}

/// Wall time of one check of `text`.
fn time(text: &Arc<str>) -> Duration {
    let start = Instant::now();
    black_box(check("timed.toml", black_box(text)));
    start.elapsed()
}

/// Median and fastest of some times.
fn median_min(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[0])
}

fn summary(reference: &Arc<str>, small: &Arc<str>, large: &Arc<str>) {
    let (t_reference, _) = median_min((0..21).map(|_| time(reference)).collect());
    // Interleaved, so that both sizes run with the same allocator and cache state (the
    // first runs in a fresh heap are slower, which would skew whichever size ran first).
    let (mut smalls, mut larges) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        larges.push(time(large));
        smalls.push(time(small));
        smalls.push(time(small));
    }
    let (t_small, min_small) = median_min(smalls);
    let (t_large, min_large) = median_min(larges);
    let ratio = t_large.as_secs_f64() / t_small.as_secs_f64();
    let min_ratio = min_large.as_secs_f64() / min_small.as_secs_f64();
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!();
    println!("summary ({ROUNDS} interleaved rounds of load_sources: median, fastest):");
    println!(
        "  orchest.toml          {:>9.3} ms              ({} bytes)",
        ms(t_reference),
        reference.len()
    );
    println!(
        "  synthetic {SMALL:>6} events {:>9.3} ms {:>9.3} ms ({} bytes)   target < {} ms: {}",
        ms(t_small),
        ms(min_small),
        small.len(),
        SMALL_TARGET.as_millis(),
        verdict(t_small < SMALL_TARGET)
    );
    println!(
        "  synthetic {LARGE:>6} events {:>9.3} ms {:>9.3} ms ({} bytes)",
        ms(t_large),
        ms(min_large),
        large.len()
    );
    println!(
        "  ratio t({LARGE})/t({SMALL}) = {ratio:.2} (fastest: {min_ratio:.2})   target <= {MAX_RATIO}: {}",
        verdict(ratio <= MAX_RATIO)
    );
}

/// The same comparison as users run it: `eventgen check FILE` in a fresh process each
/// time (in one long-lived process the larger catalog also pays for the heap the earlier
/// runs left fragmented, which is not the cost of checking).
fn process_summary(small: &str, large: &str) {
    let dir = std::env::temp_dir().join(format!("eventgen-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write catalog");
        path
    };
    let (small_path, large_path) = (write("small.toml", small), write("large.toml", large));
    let run = |path: &std::path::Path| {
        let start = Instant::now();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_eventgen"))
            .arg("check")
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("eventgen runs");
        assert!(status.success(), "the synthetic catalog checks");
        start.elapsed()
    };
    let (mut smalls, mut larges) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        larges.push(run(&large_path));
        smalls.push(run(&small_path));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (t_small, _) = median_min(smalls);
    let (t_large, _) = median_min(larges);
    let ratio = t_large.as_secs_f64() / t_small.as_secs_f64();
    println!("summary (`eventgen check FILE`, a fresh process per run, median of {ROUNDS}):");
    println!("  synthetic {SMALL:>6} events {:>9.3} ms", ms(t_small));
    println!("  synthetic {LARGE:>6} events {:>9.3} ms", ms(t_large));
    println!(
        "  ratio t({LARGE})/t({SMALL}) = {ratio:.2}   target <= {MAX_RATIO}: {}",
        if ratio <= MAX_RATIO { "ok" } else { "MISSED" }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
