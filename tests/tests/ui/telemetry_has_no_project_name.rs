// A project's name is sensitive: the telemetry type of the project layer has no slot for it.
use workspace_tests::events::ProjectTelemetry;

fn main() {
    let _ = ProjectTelemetry {
        uuid: Default::default(),
        name: String::from("Secret project"),
    };
}
