//! What the "did you mean" suggestion of an unknown event name costs, against the event
//! types of the repository's catalog: a typo, and the hostile 60,000-character name a
//! client can post to the relay. Prints the time per call (one thread, so CPU time).
//!
//! Run with `cargo run --release -p event-runtime --example suggestion_cost`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use event_runtime::UnknownEventType;

/// The catalog whose types the relay compares names with.
const CATALOG: &str = include_str!("../../definitions/orchest.toml");

fn main() {
    let types: Vec<&'static str> = CATALOG
        .lines()
        .filter_map(|line| line.strip_prefix("[events.\"")?.strip_suffix("\"]"))
        .collect();
    println!("{} event types in the catalog", types.len());
    let typo = "project:pipline:created".to_owned();
    let hostile = "x".repeat(60_000);
    let near_miss = format!("{}s", types.iter().max_by_key(|t| t.len()).unwrap_or(&""));
    for (label, name) in [
        ("a typo (23 characters)", &typo),
        ("a longest type plus one character", &near_miss),
        ("a hostile name (60,000 characters)", &hostile),
    ] {
        let (per_call, suggestion) = measure(name, &types);
        println!("{label}: {per_call:?} per call, suggestion {suggestion:?}");
    }
}

/// The mean time of one suggestion for `name`, over at least half a second.
fn measure(name: &str, types: &[&'static str]) -> (Duration, Option<&'static str>) {
    let started = Instant::now();
    let mut calls = 0u32;
    let mut suggestion = None;
    while calls < 3 || started.elapsed() < Duration::from_millis(500) {
        let error = UnknownEventType::new(black_box(name), types.iter().copied());
        suggestion = black_box(error).suggestion;
        calls += 1;
    }
    (started.elapsed() / calls, suggestion)
}
