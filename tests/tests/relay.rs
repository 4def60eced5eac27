//! The relay check over the reference catalog's generated client events: only client
//! events, with properties their generated schema accepts, become events, and their
//! telemetry drops what is sensitive.

use event_outbox::relay::{Relay, RelayError};
use event_runtime::{TelemetryKey, UnknownEventType};
use serde_json::{Value, json};
use workspace_tests::events::{AlertShown, AnalyticsEvent, CLIENT_EVENTS};

fn relay() -> Relay {
    Relay::new(CLIENT_EVENTS, AnalyticsEvent::TYPES).expect("the generated schemas compile")
}

fn accept(body: Value) -> Result<Value, RelayError> {
    let event = relay().accept(body.to_string().as_bytes())?;
    let key = TelemetryKey::new(b"relay test key".to_vec());
    Ok(serde_json::from_str(&event.telemetry_json(&key).expect("JSON")).expect("JSON"))
}

#[test]
fn every_client_event_of_the_catalog_is_relayed() {
    let client: Vec<&str> = AnalyticsEvent::ALL
        .iter()
        .filter(|e| e.is_client())
        .map(|e| e.as_str())
        .collect();
    let specs: Vec<&str> = CLIENT_EVENTS.iter().map(|s| s.event_type).collect();
    assert_eq!(specs, client);
    assert_eq!(specs, ["alert:shown", "confirm:shown", "view:loaded"]);
}

#[test]
fn a_client_event_reaches_telemetry_without_its_sensitive_fields() {
    let telemetry = accept(json!({
        "event": "alert:shown",
        "properties": { "title": "Saved", "content": "Project Secret-X was deleted" },
    }))
    .expect("accepted");
    let properties = &telemetry["event_properties"];
    assert_eq!(properties["type"], "alert:shown");
    // Front ends post no version: the relay's telemetry has the catalog's.
    assert_eq!(properties["version"], AlertShown::VERSION);
    assert_eq!(properties["title"], "Saved");
    assert!(
        !telemetry.to_string().contains("Secret-X"),
        "sensitive content reached telemetry: {telemetry}"
    );
}

#[test]
fn optional_properties_may_be_left_out() {
    accept(json!({ "event": "confirm:shown", "properties": { "title": "Delete?" } }))
        .expect("accepted");
}

#[test]
fn server_only_events_are_refused() {
    let error = accept(json!({ "event": "project:created", "properties": {} })).unwrap_err();
    assert!(
        matches!(&error, RelayError::NotAClientEvent(name) if name == "project:created"),
        "{error:?}"
    );
}

#[test]
fn unknown_events_are_refused_with_the_closest_name() {
    let error = accept(json!({ "event": "alert:shwn", "properties": {} })).unwrap_err();
    let RelayError::UnknownEvent(UnknownEventType { suggestion, .. }) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*suggestion, Some("alert:shown"));
}

#[test]
fn properties_that_break_the_schema_are_refused_precisely() {
    let missing = accept(json!({ "event": "alert:shown", "properties": {} })).unwrap_err();
    let RelayError::InvalidProperties { violations, .. } = &missing else {
        panic!("{missing:?}");
    };
    assert!(
        violations.iter().any(|v| v.message.contains("title")),
        "{violations:?}"
    );

    let wrong =
        accept(json!({ "event": "alert:shown", "properties": { "title": 3 } })).unwrap_err();
    let RelayError::InvalidProperties { violations, .. } = &wrong else {
        panic!("{wrong:?}");
    };
    assert_eq!(violations[0].pointer, "/properties/title", "{violations:?}");

    let extra = accept(json!({
        "event": "alert:shown",
        "properties": { "title": "Saved", "user_email": "someone@example.com" },
    }))
    .unwrap_err();
    assert!(
        matches!(extra, RelayError::InvalidProperties { .. }),
        "{extra:?}"
    );
}

#[test]
fn a_name_longer_than_any_event_type_is_refused_without_a_suggestion() {
    let hostile = "alert:shown".repeat(5_455);
    let error = accept(json!({ "event": hostile, "properties": {} })).unwrap_err();
    assert_eq!(error.code(), "event_too_long", "{error:?}");
    assert_eq!(error.to_json().get("suggestion"), None);

    // The generated enum's parse skips the suggestion too.
    let unknown = hostile.parse::<AnalyticsEvent>().unwrap_err();
    assert_eq!(unknown.suggestion, None);
    assert_eq!(
        "alert:shwn"
            .parse::<AnalyticsEvent>()
            .unwrap_err()
            .suggestion,
        Some("alert:shown"),
        "a short typo still gets one"
    );
}

/// The reference catalog, as the generator reads it.
fn reference() -> event_codegen::model::Catalog {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
    let text = std::fs::read_to_string(path).expect("the reference catalog");
    event_codegen::load_str(path, text.as_str())
        .catalog
        .expect("the reference catalog checks")
}

/// The published request schema of each client event of the reference catalog.
fn request_schemas() -> Vec<(&'static str, Value)> {
    let catalog = reference();
    CLIENT_EVENTS
        .iter()
        .map(|spec| {
            let event = catalog.event(spec.event_type).expect("in the catalog");
            let schema = event_codegen::generate::json_schema::request_schema(&catalog, event)
                .expect("a client event has a request schema");
            (spec.event_type, schema.to_value())
        })
        .collect()
}

#[test]
fn the_published_request_schemas_hold_what_the_relay_checks() {
    let schemas = request_schemas();
    assert_eq!(schemas.len(), 3);
    for ((event_type, request), spec) in schemas.iter().zip(CLIENT_EVENTS) {
        let mut relay: Value = serde_json::from_str(spec.properties_schema).expect("JSON");
        let defs = relay.as_object_mut().and_then(|o| o.remove("$defs"));
        assert_eq!(request.get("$defs"), defs.as_ref(), "{event_type}");
        for key in ["$schema", "title"] {
            relay.as_object_mut().and_then(|o| o.remove(key));
        }
        assert_eq!(request["properties"]["properties"], relay, "{event_type}");
        assert_eq!(request["properties"]["event"]["const"], *event_type);
        assert_eq!(request["required"], json!(["event", "properties"]));
        assert_eq!(request["additionalProperties"], false);
    }
    // What the telemetry schema of `alert:shown` lacks, the request schema has.
    let (_, alert) = &schemas[0];
    assert!(alert["properties"]["properties"]["properties"]["content"].is_object());
}

#[test]
fn bodies_the_published_schemas_accept_are_relayed_and_others_refused() {
    let relay = relay();
    for (event_type, schema) in request_schemas() {
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the request schema compiles");
        let example = schema["examples"][0].clone();
        assert!(validator.is_valid(&example), "{event_type}: {example}");
        relay
            .accept_value(example.clone())
            .unwrap_or_else(|e| panic!("{event_type}: the example is refused: {e}"));

        let properties = example["properties"].as_object().expect("properties");
        let required: Vec<&str> = schema["properties"]["properties"]["required"]
            .as_array()
            .expect("required properties")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut bad: Vec<(String, Value)> = Vec::new();
        let mut with = |what: String, change: &dyn Fn(&mut Value)| {
            let mut body = example.clone();
            change(&mut body);
            bad.push((what, body));
        };
        with("an unknown property".into(), &|b| {
            b["properties"]["unknown_property"] = json!("x");
        });
        with("an unknown member".into(), &|b| b["extra"] = json!(1));
        with("no properties".into(), &|b| {
            b.as_object_mut().map(|o| o.remove("properties"));
        });
        for name in properties.keys() {
            with(format!("`{name}` of the wrong type"), &|b| {
                b["properties"][name.as_str()] = json!([1, 2]);
            });
        }
        for name in &required {
            with(format!("`{name}` missing"), &|b| {
                b["properties"].as_object_mut().map(|o| o.remove(*name));
            });
        }
        for (what, body) in bad {
            assert!(!validator.is_valid(&body), "{event_type}: {what} is valid");
            assert!(
                relay.accept_value(body.clone()).is_err(),
                "{event_type}: {what} is relayed: {body}"
            );
        }
    }
}
