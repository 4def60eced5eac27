//! Serializing a generated notification payload against a hand-written serde struct of
//! the same shape, in the same run. Target: the generated payload at least 0.9 times as
//! fast as the hand-written one.
//!
//! Run with `cargo bench -p workspace-tests --bench notification`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use event_runtime::Timestamp;
use event_runtime::reexport::serde::Serialize;
use event_runtime::reexport::uuid::Uuid;
use serde_json::Value;
use workspace_tests::events::*;
use workspace_tests::samples::one_off_run_failed;

// The same payload, written by hand as a service would without the generator.
#[derive(Serialize)]
#[serde(crate = "event_runtime::reexport::serde")]
struct HandPayload {
    uuid: Uuid,
    #[serde(rename = "type")]
    event_type: &'static str,
    version: u32,
    timestamp: Timestamp,
    project: HandProject,
}

#[derive(Serialize)]
#[serde(crate = "event_runtime::reexport::serde")]
struct HandProject {
    uuid: Uuid,
    name: String,
    job: HandJob,
}

#[derive(Serialize)]
#[serde(crate = "event_runtime::reexport::serde")]
struct HandJob {
    uuid: Uuid,
    name: String,
    status: JobStatus,
    pipeline_name: String,
    url_path: String,
    total_runs: i64,
    pipeline_run: HandPipelineRun,
}

#[derive(Serialize)]
#[serde(crate = "event_runtime::reexport::serde")]
struct HandPipelineRun {
    uuid: Uuid,
    status: PipelineRunStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<i64>,
    url_path: String,
    parameters: BTreeMap<String, Value>,
    failed_steps: Vec<Step>,
}

fn hand_written() -> HandPayload {
    let event = one_off_run_failed();
    HandPayload {
        uuid: event.uuid,
        event_type: ProjectOneOffJobPipelineRunFailed::TYPE,
        version: 1,
        timestamp: event.timestamp,
        project: HandProject {
            uuid: event.project.uuid,
            name: event.project.name,
            job: HandJob {
                uuid: event.job.uuid,
                name: event.job.name,
                status: event.job.status,
                pipeline_name: event.job.pipeline_name,
                url_path: event.job.url_path,
                total_runs: event.one_off_job.total_runs,
                pipeline_run: HandPipelineRun {
                    uuid: event.one_off_job_pipeline_run.uuid,
                    status: event.one_off_job_pipeline_run.status,
                    number: event.one_off_job_pipeline_run.number,
                    url_path: event.one_off_job_pipeline_run.url_path,
                    parameters: event.one_off_job_pipeline_run.parameters,
                    failed_steps: event.failed_steps,
                },
            },
        },
    }
}

fn serialize_generated(event: &ProjectOneOffJobPipelineRunFailed, out: &mut Vec<u8>) {
    out.clear();
    serde_json::to_writer(&mut *out, &event.to_notification_payload()).expect("serializes");
}

fn serialize_hand_written(payload: &HandPayload, out: &mut Vec<u8>) {
    out.clear();
    serde_json::to_writer(&mut *out, payload).expect("serializes");
}

/// Nanoseconds per serialization, median of several timed batches.
fn nanos_per_op(mut op: impl FnMut()) -> f64 {
    const BATCH: u32 = 20_000;
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..BATCH {
                op();
            }
            start.elapsed().as_nanos() as f64 / f64::from(BATCH)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let event = one_off_run_failed();
    let hand = hand_written();
    let mut out = Vec::with_capacity(4096);
    let mut expected = Vec::new();
    serialize_hand_written(&hand, &mut expected);
    serialize_generated(&event, &mut out);
    assert_eq!(out, expected, "both serialize to the same bytes");
    // `cargo test` runs this bench (`test = true`) for the check above; `cargo bench`
    // passes `--bench` and times.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = criterion.benchmark_group("notification-payload");
    group.bench_function("generated", |b| {
        b.iter(|| serialize_generated(black_box(&event), &mut out))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| serialize_hand_written(black_box(&hand), &mut out))
    });
    group.finish();
    criterion.final_summary();

    let generated = nanos_per_op(|| serialize_generated(black_box(&event), &mut out));
    let hand = nanos_per_op(|| serialize_hand_written(black_box(&hand), &mut out));
    let speed = hand / generated;
    println!();
    println!("summary: generated {generated:.0} ns, hand-written {hand:.0} ns per payload");
    println!(
        "  generated speed = {speed:.2} x hand-written (target >= 0.9) {}",
        if speed >= 0.9 { "ok" } else { "MISSED" }
    );
}
