use event_runtime::{TelemetryKey, Timestamp};
use proptest::prelude::*;
use serde_json::json;

use super::*;

/// A client event as generated code would define it.
#[derive(Debug, serde::Deserialize)]
struct ViewLoaded {
    event_properties: ViewProperties,
}

#[derive(Debug, serde::Deserialize)]
struct ViewProperties {
    path: String,
    duration_ms: u64,
}

impl TelemetryEvent for ViewLoaded {
    fn event_type(&self) -> &'static str {
        "view:loaded"
    }
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::nil()
    }
    fn timestamp(&self) -> Timestamp {
        Timestamp::UNIX_EPOCH
    }
    fn telemetry_json(&self, _: &TelemetryKey) -> event_runtime::Result<String> {
        let properties = &self.event_properties;
        let value = json!({ "event_properties": { "path": properties.path, "duration_ms": properties.duration_ms } });
        Ok(value.to_string())
    }
}

fn parse_view(value: Value) -> Result<Box<dyn TelemetryEvent + Send>, serde_json::Error> {
    Ok(Box::new(serde_json::from_value::<ViewLoaded>(value)?))
}

/// Accepts any properties the schema allows, then fails: a schema/type mismatch.
fn parse_never(value: Value) -> Result<Box<dyn TelemetryEvent + Send>, serde_json::Error> {
    serde_json::from_value::<ViewLoaded>(value).map(|e| Box::new(e) as _)
}

const VIEW_SCHEMA: &str = r#"{
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "event_properties": {
            "type": "object",
            "properties": {
                "path": { "type": "string", "maxLength": 200 },
                "duration_ms": { "type": "integer", "minimum": 0 }
            },
            "required": ["path", "duration_ms"],
            "additionalProperties": false
        }
    },
    "required": ["event_properties"],
    "additionalProperties": false
}"#;

static CLIENT_EVENTS: &[ClientEventSpec] = &[
    ClientEventSpec {
        event_type: "view:loaded",
        properties_schema: VIEW_SCHEMA,
        parse: parse_view,
    },
    ClientEventSpec {
        event_type: "alert:shown",
        properties_schema: r#"{"type": "object"}"#,
        parse: parse_never,
    },
];

static ALL_EVENT_TYPES: &[&str] = &[
    "alert:shown",
    "confirm:shown",
    "view:loaded",
    "project:created",
    "heartbeat-trigger",
];

fn relay() -> Relay {
    Relay::new(CLIENT_EVENTS, ALL_EVENT_TYPES).unwrap()
}

#[test]
fn accepts_a_valid_client_event() {
    let body = br#"{"event": "view:loaded", "properties": {"event_properties": {"path": "/jobs", "duration_ms": 12}}}"#;
    let event = relay().accept(body).unwrap();
    assert_eq!(event.event_type(), "view:loaded");
    let key = TelemetryKey::new(b"k".to_vec());
    assert_eq!(
        event.telemetry_json(&key).unwrap(),
        r#"{"event_properties":{"duration_ms":12,"path":"/jobs"}}"#
    );
}

#[test]
fn every_malformed_body_gets_its_precise_error() {
    let relay = relay();
    let cases: &[(&str, &str)] = &[
        ("", "malformed_json"),
        ("{", "malformed_json"),
        ("nul", "malformed_json"),
        ("\u{FEFF}{}", "malformed_json"),
        ("[]", "not_an_object"),
        ("\"view:loaded\"", "not_an_object"),
        ("null", "not_an_object"),
        ("{}", "missing_event"),
        (r#"{"properties": {}}"#, "missing_event"),
        (r#"{"event": 1, "properties": {}}"#, "event_not_a_string"),
        (r#"{"event": null, "properties": {}}"#, "event_not_a_string"),
        (r#"{"event": "view:loaded"}"#, "missing_properties"),
        (
            r#"{"event": "view:loaded", "properties": {}, "user": "x"}"#,
            "unexpected_field",
        ),
        (
            r#"{"event": "view:laoded", "properties": {}}"#,
            "unknown_event",
        ),
        (r#"{"event": "", "properties": {}}"#, "unknown_event"),
        (
            r#"{"event": "project:created", "properties": {}}"#,
            "not_a_client_event",
        ),
        (
            r#"{"event": "heartbeat-trigger", "properties": {}}"#,
            "not_a_client_event",
        ),
        (
            r#"{"event": "view:loaded", "properties": null}"#,
            "invalid_properties",
        ),
        (
            r#"{"event": "view:loaded", "properties": {}}"#,
            "invalid_properties",
        ),
        (
            r#"{"event": "alert:shown", "properties": {}}"#,
            "unloadable",
        ),
    ];
    for (body, code) in cases {
        let error = relay
            .accept(body.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("{body}"));
        assert_eq!(error.code(), *code, "{body}: {error}");
        assert_eq!(error.to_json()["code"], *code);
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn unknown_events_get_a_suggestion() {
    let error = relay()
        .accept(br#"{"event": "view:laoded", "properties": {}}"#)
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "unknown event type `view:laoded` (did you mean `view:loaded`?)"
    );
    assert_eq!(error.to_json()["suggestion"], "view:loaded");
}

#[test]
fn every_schema_violation_is_reported_with_its_pointer() {
    let body = json!({
        "event": "view:loaded",
        "properties": {
            "event_properties": { "path": 5, "duration_ms": -1, "title": "secret" },
            "user": "x",
        }
    });
    let Err(RelayError::InvalidProperties {
        event_type,
        violations,
    }) = relay().accept_value(body)
    else {
        panic!("expected invalid properties");
    };
    assert_eq!(event_type, "view:loaded");
    let mut pointers: Vec<&str> = violations.iter().map(|v| v.pointer.as_str()).collect();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/properties",
            "/properties/event_properties",
            "/properties/event_properties/duration_ms",
            "/properties/event_properties/path",
        ]
    );
    let extra = violations
        .iter()
        .find(|v| v.pointer == "/properties")
        .unwrap();
    assert!(extra.message.contains("user"), "{}", extra.message);
}

#[test]
fn invalid_schemas_are_reported_at_construction() {
    static BAD_JSON: &[ClientEventSpec] = &[ClientEventSpec {
        event_type: "x:y",
        properties_schema: "{",
        parse: parse_view,
    }];
    static BAD_SCHEMA: &[ClientEventSpec] = &[ClientEventSpec {
        event_type: "x:y",
        properties_schema: r#"{"type": 12}"#,
        parse: parse_view,
    }];
    for specs in [BAD_JSON, BAD_SCHEMA] {
        let error = Relay::new(specs, &["x:y"]).unwrap_err();
        assert_eq!(error.event_type, "x:y");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = relay().accept(&body);
    }

    #[test]
    fn arbitrary_json_shapes_never_panic(
        event in prop_oneof![
            Just(json!("view:loaded")), Just(json!("alert:shown")), Just(json!("project:created")),
            any::<String>().prop_map(Value::from), any::<i64>().prop_map(Value::from), Just(Value::Null),
        ],
        path in prop_oneof![any::<String>().prop_map(Value::from), any::<f64>().prop_map(Value::from)],
        duration in any::<i64>(),
        nested in "[\\[\\]{}\",:0-9a-z ]{0,64}",
    ) {
        let relay = relay();
        let body = json!({
            "event": event,
            "properties": { "event_properties": { "path": path, "duration_ms": duration } },
        });
        let _ = relay.accept_value(body);
        let _ = relay.accept(format!(r#"{{"event": "view:loaded", "properties": {nested}}}"#).as_bytes());
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!(
        r#"{{"event": "alert:shown", "properties": {}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(
        relay().accept(deep.as_bytes()).err().unwrap().code(),
        "malformed_json"
    );
}

#[test]
fn names_longer_than_any_event_type_are_refused_without_a_suggestion() {
    let relay = relay();
    let just_too_long = format!(
        "view:loaded{}",
        "d".repeat(event_runtime::schema::MAX_EVENT_TYPE_LEN)
    );
    let hostile = "view:loaded".repeat(6_000);
    for name in [just_too_long, hostile] {
        let body = json!({ "event": name, "properties": {} });
        let error = relay.accept_value(body).err().unwrap();
        assert_eq!(error.code(), "event_too_long", "{error:?}");
        let answer = error.to_json();
        assert_eq!(answer.get("suggestion"), None);
        assert!(
            answer.to_string().len() < 200,
            "the name is not echoed: {answer}"
        );
    }
}

#[cfg(feature = "relay-http")]
#[test]
fn the_token_bucket_allows_the_burst_then_the_rate() {
    use std::time::{Duration, Instant};

    use super::limits::{TokenBucket, retry_after_seconds};

    let start = Instant::now();
    let bucket = TokenBucket::new(2, 3, start);
    for _ in 0..3 {
        assert_eq!(bucket.take(start), Ok(()));
    }
    let wait = bucket.take(start).unwrap_err();
    assert_eq!(wait, Duration::from_millis(500));
    assert_eq!(retry_after_seconds(wait), 1);
    let later = start + Duration::from_millis(500);
    assert_eq!(bucket.take(later), Ok(()), "refilled at the rate");
    assert!(bucket.take(later).is_err());
    let much_later = start + Duration::from_secs(3600);
    for _ in 0..3 {
        assert_eq!(bucket.take(much_later), Ok(()));
    }
    assert!(
        bucket.take(much_later).is_err(),
        "never more than the burst"
    );
    assert!(
        bucket.take(start).is_err(),
        "a clock going back refills nothing"
    );
}
