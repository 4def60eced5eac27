// A project's name is sensitive: the telemetry object of the project has no slot for it.
use workspace_tests::events::project_created::EventPropertiesProject;

fn main() {
    let _ = EventPropertiesProject {
        uuid: Default::default(),
        name: String::from("Secret project"),
    };
}
