//! What the relay check costs for a body naming an unknown event, against the event types
//! of the repository's catalog: a typo, and the hostile 60,000-character name. Prints the
//! time per body (one thread, so CPU time).
//!
//! Run with `cargo run --release -p event-outbox --features relay --example relay_unknown_names`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use event_outbox::relay::{ClientEventSpec, Relay};
use event_runtime::TelemetryEvent;
use serde_json::Value;

/// The catalog whose types the relay compares names with.
const CATALOG: &str = include_str!("../../definitions/orchest.toml");

fn never(_: Value) -> Result<Box<dyn TelemetryEvent + Send>, serde_json::Error> {
    Err(serde::de::Error::custom("not loaded in this measure"))
}

static CLIENT_EVENTS: &[ClientEventSpec] = &[ClientEventSpec {
    event_type: "view:loaded",
    properties_schema: r#"{"type": "object"}"#,
    parse: never,
}];

fn main() {
    let types: Vec<&'static str> = CATALOG
        .lines()
        .filter_map(|line| line.strip_prefix("[events.\"")?.strip_suffix("\"]"))
        .collect();
    println!("{} event types in the catalog", types.len());
    let relay = Relay::new(CLIENT_EVENTS, types.leak()).expect("the schema compiles");
    for (label, name) in [
        (
            "a typo (23 characters)",
            "project:pipline:created".to_owned(),
        ),
        ("a hostile name (60,000 characters)", "x".repeat(60_000)),
    ] {
        let body = serde_json::json!({ "event": name, "properties": {} }).to_string();
        let (per_body, code) = measure(&relay, body.as_bytes());
        println!("{label}: {per_body:?} per body, {code}");
    }
}

/// The mean time of one check of `body`, over at least half a second.
fn measure(relay: &Relay, body: &[u8]) -> (Duration, &'static str) {
    let started = Instant::now();
    let mut calls = 0u32;
    let mut code = "";
    while calls < 3 || started.elapsed() < Duration::from_millis(500) {
        if let Err(error) = relay.accept(black_box(body)) {
            code = error.code();
        }
        calls += 1;
    }
    (started.elapsed() / calls, code)
}
