// Reading a job's name out of the job layer's telemetry form: there is nothing to read.
use event_runtime::payload::Level;
use workspace_tests::events::Job;

fn leak(job: &Job, key: &event_runtime::TelemetryKey) -> String {
    job.telemetry(key).name
}

fn main() {}
