//! Every payload tells its event's version beside its type (the notification at its top,
//! telemetry in `event_properties`), from the version `event_api!` is given, and reading a
//! payload back refuses one of another version, naming both.

use event_runtime::notification::{self, Fields, FromNotification, ReadError};
use event_runtime::payload::{self, Payloads};
use event_runtime::{TelemetryKey, Timestamp, Uuid};
use serde_json::{Value, json};

/// An event at version 2, with no fields of its own.
#[derive(Debug, Clone, PartialEq)]
struct Bumped {
    uuid: Uuid,
    timestamp: Timestamp,
}

event_runtime::event_api!(Bumped, "thing:bumped", 2);

impl Payloads for Bumped {
    fn levels(&self) -> impl payload::Levels<'_> {}
}

impl FromNotification for Bumped {
    fn from_fields(payload: &mut Fields) -> Result<Self, ReadError> {
        Ok(Self {
            uuid: payload.required("uuid")?,
            timestamp: payload.required("timestamp")?,
        })
    }
}

fn bumped() -> Bumped {
    Bumped {
        uuid: Uuid::from_u128(1),
        timestamp: "2026-01-01T12:00:00Z".parse().expect("a time"),
    }
}

#[test]
fn both_payloads_say_the_version_beside_the_type() {
    let event = bumped();
    assert_eq!(Bumped::VERSION, 2);
    let notification = serde_json::to_value(payload::notification(&event)).expect("JSON");
    assert_eq!(
        notification,
        json!({
            "uuid": "00000000-0000-0000-0000-000000000001",
            "type": "thing:bumped",
            "version": 2,
            "timestamp": "2026-01-01T12:00:00Z",
        })
    );
    let key = TelemetryKey::new(b"k".to_vec());
    let telemetry = serde_json::to_value(event.to_telemetry_payload(&key)).expect("JSON");
    assert_eq!(telemetry["event_properties"]["type"], "thing:bumped");
    assert_eq!(telemetry["event_properties"]["version"], 2);
    assert_eq!(telemetry["derived_properties"], json!({}));
}

fn read(payload: Value) -> Result<Bumped, ReadError> {
    let fields = Fields::from_deserializer(payload).expect("an object");
    notification::read(fields)
}

#[test]
fn reading_checks_the_version() {
    let payload = serde_json::to_value(payload::notification(&bumped())).expect("JSON");
    assert_eq!(read(payload.clone()), Ok(bumped()));

    let mut older = payload.clone();
    older["version"] = json!(1);
    assert_eq!(
        read(older).expect_err("another version").to_string(),
        "expected version 2 of `thing:bumped`, found `version` 1: the payload follows \
         another schema than this type"
    );

    let mut negative = payload.clone();
    negative["version"] = json!(-2);
    assert_eq!(
        read(negative).expect_err("not a version").to_string(),
        "field `version`: expected a non-negative integer, found a number"
    );

    // A payload written before payloads carried their version reads as this version's.
    let mut unversioned = payload;
    unversioned
        .as_object_mut()
        .expect("object")
        .remove("version");
    assert_eq!(read(unversioned), Ok(bumped()));
}
