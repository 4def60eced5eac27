//! The relay check over the reference catalog's generated client events: only client
//! events, with properties their generated schema accepts, become events, and their
//! telemetry drops what is sensitive.

use event_outbox::relay::{Relay, RelayError};
use event_runtime::{TelemetryKey, UnknownEventType};
use serde_json::{Value, json};
use workspace_tests::events::{AnalyticsEvent, CLIENT_EVENTS};

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
