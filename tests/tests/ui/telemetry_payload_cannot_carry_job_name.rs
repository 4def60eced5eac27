// Reading a job's name out of a telemetry payload: there is nothing to read.
use workspace_tests::events::ProjectOneOffJobCreated;

fn leak(event: &ProjectOneOffJobCreated, key: &event_runtime::TelemetryKey) -> String {
    event.to_telemetry_payload(key).event_properties.project.job.name
}

fn main() {}
