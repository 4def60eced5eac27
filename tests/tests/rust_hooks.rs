//! The Builder's `type_attribute` and `field_attribute` (see `build.rs`): the attributes
//! reach the generated types and fields they name, and no others.

use event_runtime::reexport::uuid::Uuid;
use serde_json::json;
use workspace_tests::{features, hooked};

#[test]
fn type_attributes_reach_the_types_they_name() {
    let created = hooked::ProjectCreated::default();
    assert_eq!(created.project, hooked::Project::default());
    assert_eq!(created.projects_count, 0);
    let step = hooked::Step::default();
    assert_eq!(step.uuid, Uuid::nil());
}

#[test]
fn field_attributes_reach_the_fields_they_name() {
    let step = hooked::Step {
        uuid: Uuid::from_u128(1),
        title: "Build".into(),
        tags: vec![],
        owner: None,
    };
    let value = serde_json::to_value(&step).expect("JSON");
    assert_eq!(
        value,
        json!({ "uuid": Uuid::from_u128(1), "name": "Build", "tags": [] })
    );
    let plain = features::Step {
        uuid: Uuid::from_u128(1),
        title: "Build".into(),
        tags: vec![],
        owner: None,
    };
    assert_eq!(
        serde_json::to_value(&plain).expect("JSON")["title"],
        "Build"
    );
    // The redacted `Debug` is unaffected by the added attributes.
    assert!(format!("{step:?}").contains("title: <redacted>"));
}
