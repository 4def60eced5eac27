// Step titles are sensitive inside the named type too.
use workspace_tests::events::StepTelemetry;

fn main() {
    let _ = StepTelemetry {
        uuid: Default::default(),
        title: String::from("Load data"),
    };
}
