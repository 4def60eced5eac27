//! The part of an event's generated code that is the same for every event.

/// Declares what every generated event has in common, given its struct, its type, its
/// version and, for a stored event, the name of its register function:
///
/// - `TYPE`, `VERSION`, `to_telemetry_payload` and (stored events) `to_notification_payload`, as
///   inherent items, so that callers need no trait in scope;
/// - [`payload::Base`](crate::payload::Base) from the struct's `uuid` and `timestamp`, the
///   type and the version;
/// - (stored events) `register_<type>_event`, with the attributes written before its
///   name (`#[deprecated]` for a deprecated event).
///
/// Its functions are `#[inline]`, like those written beside it, so that machine code is
/// generated only in a crate that calls them.
///
/// What differs per event (its levels, columns and loading) is written out beside it. The
/// event-specific parts of the generated module call this macro; it is not meant to be
/// called by hand.
///
/// ```ignore
/// ::event_runtime::event_api!(ProjectCreated, "project:created", 1, register_project_created_event);
/// ::event_runtime::event_api!(HeartbeatTrigger, "heartbeat-trigger", 1);
/// ```
#[macro_export]
macro_rules! event_api {
    ($event:ident, $type:literal, $version:literal $(,)?) => {
        impl $event {
            #[doc = ::core::concat!(" The event type: `", $type, "`.")]
            pub const TYPE: &'static str = $type;
            /// The version of its payloads' schemas, which every payload carries as `version`.
            pub const VERSION: u32 = $version;

            /// The anonymized telemetry payload (for analytics); hashed fields use `key`.
            #[inline]
            pub fn to_telemetry_payload(
                &self,
                key: &$crate::TelemetryKey,
            ) -> $crate::payload::Telemetry<impl $crate::payload::TelemetryFields + use<'_>> {
                $crate::payload::telemetry(self, key)
            }
        }

        impl $crate::payload::Base for $event {
            const TYPE: &'static str = $type;
            const VERSION: u32 = $version;

            #[inline]
            fn uuid(&self) -> $crate::Uuid {
                self.uuid
            }

            #[inline]
            fn timestamp(&self) -> $crate::Timestamp {
                self.timestamp
            }
        }
    };
    ($event:ident, $type:literal, $version:literal, $(#[$register_attr:meta])* $register:ident $(,)?) => {
        $crate::event_api!($event, $type, $version);

        impl $event {
            /// The notification payload (for users and webhooks), to serialize.
            #[inline]
            pub fn to_notification_payload(&self) -> impl $crate::reexport::serde::Serialize + '_ {
                $crate::payload::notification(self)
            }
        }

        #[doc = ::core::concat!(
            " Records a `", $type,
            "` event and its deliveries in the caller's transaction, without committing."
        )]
        $(#[$register_attr])*
        pub async fn $register<R: $crate::Recorder>(
            conn: &mut R,
            event: &$event,
        ) -> $crate::Result<$crate::EventId> {
            conn.record(event).await
        }
    };
}
