//! Events as generated code declares them, and what follows from that declaration: the
//! two payloads and the subscription scopes.
//!
//! A payload is `{ uuid, type, version, timestamp, ... }` with one object per layer of the event's
//! hierarchy nested under the layer's key, the innermost holding the event's own fields.
//! Generated code describes what differs per event: each level's fields (a layer's, or
//! the event's own) through [`Level`], and how an event's levels nest, through
//! [`Payloads::levels`] built from [`Object`]s. The rest is written once, here: the
//! nesting, serialization straight from the event's fields (no intermediate maps), and the
//! [`TelemetryEvent`] and [`StoredEvent`] implementations.
//!
//! The telemetry payload, `{ event_properties, derived_properties }`, is made of each
//! level's [`Level::Telemetry`] type, which generated code declares without a member for
//! a dropped value: what a [`Telemetry`] holds is all that can reach analytics.

pub use serde::ser::SerializeMap;
use serde::ser::{Serialize, SerializeStruct, Serializer};
use uuid::Uuid;

use crate::{ColumnValue, Error, Result, StoredEvent, TelemetryEvent, TelemetryKey, Timestamp};

/// The `events` columns of an event, as `(column, value)`.
pub type Columns<'a> = Vec<(&'static str, ColumnValue<'a>)>;

/// The values subscriptions may be scoped by, as `(column, value)`.
pub type Scopes = Vec<(&'static str, String)>;

/// What every payload starts with: the event's type, version, id and time. The same for
/// every event, so [`event_api!`](crate::event_api) implements it.
pub trait Base {
    /// The exact event type, e.g. `project:created`.
    const TYPE: &'static str;
    /// The version of its payloads' schemas: with the type, it names one published schema.
    const VERSION: u32;
    /// The event's id.
    fn uuid(&self) -> Uuid;
    /// When it happened.
    fn timestamp(&self) -> Timestamp;
}

/// An event as generated code declares it: its [`Base`], and how its levels nest. Its
/// payloads, columns and scopes follow; [`TelemetryEvent`] comes with it, and
/// [`StoredEvent`] with [`Stored`].
pub trait Payloads: Base + Sync {
    /// The event's levels, nested as in its payloads: its own fields at the top for an
    /// event outside the hierarchy, otherwise [`Object`]s built from the innermost out.
    fn levels(&self) -> impl Levels<'_>;
}

/// A stored event (a row of `events`), which gets [`StoredEvent`]. Generated code
/// declares it; its columns are its levels'.
pub trait Stored: Payloads {
    /// Its columns in `events`, besides `uuid`, `type` and `timestamp`.
    fn columns(&self) -> Result<Columns<'_>> {
        let mut columns = Vec::new();
        for step in steps(self) {
            if let Step::Level(level) = step {
                level.dyn_push_columns(Self::TYPE, &mut columns)?;
            }
        }
        Ok(columns)
    }
}

/// The fields one level of an event contributes: a layer's, or the event's own (those
/// beside its layers'). Generated for every layer with fields and every event.
pub trait Level {
    /// Its telemetry form: only what the fields' privacy policies let through.
    type Telemetry: TelemetryFields + 'static;
    /// Writes its notification fields as entries of the payload object being serialized.
    fn write_notification<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
    /// Its telemetry form; hashed fields use `key`.
    fn telemetry(&self, key: &TelemetryKey) -> Self::Telemetry;
    /// Appends the values subscriptions may be scoped by (most levels have none).
    fn push_scopes(&self, scopes: &mut Scopes) {
        let _ = scopes;
    }
    /// Appends the level's own columns of `events` (a layer's, or a stored event's own
    /// fields); `event_type` names the event in serialization errors. [`Levels`] walks an
    /// event's levels and calls this on each.
    fn push_columns<'a>(
        &'a self,
        event_type: &'static str,
        columns: &mut Columns<'a>,
    ) -> Result<()> {
        let _ = (event_type, columns);
        Ok(())
    }
}

/// An event's levels as [`Payloads::levels`] builds them: references to the event's
/// members (and to the event, for its own fields) in [`Object`]s and pairs. Walking them
/// by value gives columns that borrow from the event, not from the levels.
pub trait Levels<'a>: Level {
    /// Appends the columns of every level, outermost first.
    fn push_all_columns(self, event_type: &'static str, columns: &mut Columns<'a>) -> Result<()>;
    /// Appends the levels as [`Step`]s, outermost first: what the JSON payloads, the
    /// columns and the scopes of [`StoredEvent`] and [`TelemetryEvent`] are written from,
    /// by code shared by every event.
    fn push_steps(self, steps: &mut Vec<Step<'a>>);
}

impl<'a, L: Level> Levels<'a> for &'a L {
    fn push_all_columns(self, event_type: &'static str, columns: &mut Columns<'a>) -> Result<()> {
        self.push_columns(event_type, columns)
    }

    fn push_steps(self, steps: &mut Vec<Step<'a>>) {
        steps.push(Step::Level(self));
    }
}

impl<'a, F: Levels<'a>, I: Levels<'a>> Levels<'a> for Object<F, I> {
    fn push_all_columns(self, event_type: &'static str, columns: &mut Columns<'a>) -> Result<()> {
        self.fields.push_all_columns(event_type, columns)?;
        self.inner.push_all_columns(event_type, columns)
    }

    fn push_steps(self, steps: &mut Vec<Step<'a>>) {
        steps.push(Step::Open(self.key));
        self.fields.push_steps(steps);
        self.inner.push_steps(steps);
        steps.push(Step::Close);
    }
}

impl<'a, A: Levels<'a>, B: Levels<'a>> Levels<'a> for (A, B) {
    fn push_all_columns(self, event_type: &'static str, columns: &mut Columns<'a>) -> Result<()> {
        self.0.push_all_columns(event_type, columns)?;
        self.1.push_all_columns(event_type, columns)
    }

    fn push_steps(self, steps: &mut Vec<Step<'a>>) {
        self.0.push_steps(steps);
        self.1.push_steps(steps);
    }
}

impl Levels<'_> for () {
    fn push_all_columns(self, _: &'static str, _: &mut Columns<'_>) -> Result<()> {
        Ok(())
    }

    fn push_steps(self, _: &mut Vec<Step<'_>>) {}
}

/// One step of the walk over an event's levels ([`Levels::push_steps`]): an object opens
/// under its key, holds levels (and objects), and closes.
///
/// The payloads of [`StoredEvent`] and [`TelemetryEvent`] are written from an event's
/// steps by functions that are the same for every event, each level through
/// [`DynLevel`]: what is compiled per event is its own level, not the nesting nor the
/// JSON writer, so that a catalog of thousands of events compiles in little time.
pub enum Step<'a> {
    /// An object opens under this key.
    Open(&'static str),
    /// A level's fields, in the innermost open object.
    Level(&'a dyn DynLevel),
    /// The innermost open object closes.
    Close,
}

/// A [`Level`] as the shared payload writers use it, without generic methods (so it can
/// be a trait object): implemented for every level.
pub trait DynLevel {
    /// [`Level::write_notification`] into a JSON object.
    fn write_notification_json(&self, map: &mut JsonMap<'_>) -> serde_json::Result<()>;
    /// [`Level::telemetry`], boxed.
    fn dyn_telemetry(&self, key: &TelemetryKey) -> Box<dyn DynTelemetry>;
    /// [`Level::push_scopes`].
    fn dyn_push_scopes(&self, scopes: &mut Scopes);
    /// [`Level::push_columns`].
    fn dyn_push_columns<'a>(
        &'a self,
        event_type: &'static str,
        columns: &mut Columns<'a>,
    ) -> Result<()>;
}

impl<L: Level> DynLevel for L {
    fn write_notification_json(&self, map: &mut JsonMap<'_>) -> serde_json::Result<()> {
        self.write_notification(map)
    }

    fn dyn_telemetry(&self, key: &TelemetryKey) -> Box<dyn DynTelemetry> {
        Box::new(self.telemetry(key))
    }

    fn dyn_push_scopes(&self, scopes: &mut Scopes) {
        self.push_scopes(scopes);
    }

    fn dyn_push_columns<'a>(
        &'a self,
        event_type: &'static str,
        columns: &mut Columns<'a>,
    ) -> Result<()> {
        self.push_columns(event_type, columns)
    }
}

/// A level's telemetry form as the shared telemetry writer uses it (a trait object).
pub trait DynTelemetry {
    /// [`TelemetryFields::write_properties`] into a JSON object.
    fn write_properties_json(&self, map: &mut JsonMap<'_>) -> serde_json::Result<()>;
    /// [`TelemetryFields::write_derived`] into a JSON object.
    fn write_derived_json(&self, map: &mut JsonMap<'_>) -> serde_json::Result<()>;
}

impl<T: TelemetryFields> DynTelemetry for T {
    fn write_properties_json(&self, map: &mut JsonMap<'_>) -> serde_json::Result<()> {
        self.write_properties(map)
    }

    fn write_derived_json(&self, map: &mut JsonMap<'_>) -> serde_json::Result<()> {
        self.write_derived(map)
    }
}

/// A JSON object being written as compact text, as serde_json writes a map: the one
/// serializer every level writes its JSON entries with, and nested objects opened and
/// closed in place.
pub struct JsonMap<'a> {
    out: &'a mut Vec<u8>,
    /// Whether the innermost open object has no entry yet.
    empty: bool,
    /// The same for the objects around it.
    outer: Vec<bool>,
}

impl<'a> JsonMap<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self {
            out,
            empty: true,
            outer: Vec::new(),
        }
    }

    /// Opens an object under `key`.
    fn open(&mut self, key: &str) -> serde_json::Result<()> {
        self.serialize_key(key)?;
        self.out.push(b'{');
        self.outer.push(false);
        self.empty = true;
        Ok(())
    }

    /// Closes the innermost object.
    fn close(&mut self) {
        self.out.push(b'}');
        self.empty = self.outer.pop().unwrap_or(false);
    }

    /// The steps' levels, written with `write`, in their objects.
    fn write_steps<'s>(
        &mut self,
        steps: impl IntoIterator<Item = (&'s Step<'s>, usize)>,
        mut write: impl FnMut(&mut Self, usize) -> serde_json::Result<()>,
    ) -> serde_json::Result<()> {
        for (step, index) in steps {
            match step {
                Step::Open(key) => self.open(key)?,
                Step::Level(_) => write(self, index)?,
                Step::Close => self.close(),
            }
        }
        Ok(())
    }
}

impl SerializeMap for JsonMap<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> serde_json::Result<()> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        serde_json::to_writer(&mut *self.out, key)?;
        self.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> serde_json::Result<()> {
        serde_json::to_writer(&mut *self.out, value)
    }

    fn end(self) -> serde_json::Result<()> {
        self.out.push(b'}');
        Ok(())
    }
}

/// The steps of `event`'s levels.
fn steps<E: Payloads + ?Sized>(event: &E) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    event.levels().push_steps(&mut steps);
    steps
}

fn json_text(out: Vec<u8>) -> String {
    // serde_json writes UTF-8 only.
    String::from_utf8(out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// The notification payload as JSON, from the event's base fields and steps.
fn notification_json(base: &BaseFields, steps: &[Step<'_>]) -> Result<String> {
    let write = || -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(512);
        let mut map = JsonMap::new(&mut out);
        base.write(&mut map)?;
        map.write_steps(steps.iter().zip(0..), |map, index| match &steps[index] {
            Step::Level(level) => level.write_notification_json(map),
            _ => Ok(()),
        })?;
        map.end()?;
        Ok(out)
    };
    write()
        .map(json_text)
        .map_err(Error::serialize(base.event_type))
}

/// The telemetry payload as JSON, from the event's base fields and steps.
fn telemetry_json(base: &BaseFields, steps: &[Step<'_>], key: &TelemetryKey) -> Result<String> {
    let forms: Vec<Option<Box<dyn DynTelemetry>>> = steps
        .iter()
        .map(|step| match step {
            Step::Level(level) => Some(level.dyn_telemetry(key)),
            _ => None,
        })
        .collect();
    let write = || -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(256);
        let mut payload = JsonMap::new(&mut out);
        payload.serialize_key("event_properties")?;
        {
            let mut map = JsonMap::new(payload.out);
            base.write(&mut map)?;
            map.write_steps(steps.iter().zip(0..), |map, index| match &forms[index] {
                Some(form) => form.write_properties_json(map),
                None => Ok(()),
            })?;
            map.end()?;
        }
        payload.serialize_key("derived_properties")?;
        {
            let mut map = JsonMap::new(payload.out);
            map.write_steps(steps.iter().zip(0..), |map, index| match &forms[index] {
                Some(form) => form.write_derived_json(map),
                None => Ok(()),
            })?;
            map.end()?;
        }
        payload.end()?;
        Ok(out)
    };
    write()
        .map(json_text)
        .map_err(Error::serialize(base.event_type))
}

/// The telemetry form of one level: the values that reach analytics (kept or hashed) and
/// the values derived from the level (counts of lists and maps).
/// Either is left out of generated code when the level has nothing to write there.
pub trait TelemetryFields {
    /// Writes the kept and hashed values, as entries of `event_properties`' object.
    fn write_properties<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let _ = map;
        Ok(())
    }
    /// Writes the counts, as entries of `derived_properties`' object.
    fn write_derived<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let _ = map;
        Ok(())
    }
}

/// A payload object nested under `key`: the fields of its level (a layer with the inline
/// layers merged into it), then what is inside it (the next object, or nothing).
///
/// Generated code builds an event's objects from the innermost out:
/// `Object::new("run", (&self.run, self)).within("job", &self.job)` nests `run` (the run
/// layer's fields and the event's own) inside `job`.
#[derive(Debug, Clone, PartialEq)]
pub struct Object<F, I = ()> {
    key: &'static str,
    fields: F,
    inner: I,
}

impl<F> Object<F> {
    /// The innermost object: `fields` under `key`.
    pub const fn new(key: &'static str, fields: F) -> Self {
        Self {
            key,
            fields,
            inner: (),
        }
    }
}

impl<F, I> Object<F, I> {
    /// This object nested in a new one holding `fields` under `key`.
    pub const fn within<G>(self, key: &'static str, fields: G) -> Object<G, Self> {
        Object {
            key,
            fields,
            inner: self,
        }
    }
}

/// The notification payload of `event` (for users and webhooks).
pub fn notification<E: Payloads + ?Sized>(event: &E) -> Notification<impl Level + '_> {
    Notification {
        base: BaseFields::of(event),
        levels: event.levels(),
    }
}

/// The telemetry payload of `event` (for analytics); hashed fields use `key`.
pub fn telemetry<'e, E: Payloads + ?Sized>(
    event: &'e E,
    key: &TelemetryKey,
) -> Telemetry<impl TelemetryFields + use<'e, E>> {
    Telemetry {
        uuid: event.uuid(),
        event_type: E::TYPE,
        version: E::VERSION,
        timestamp: event.timestamp(),
        body: event.levels().telemetry(key),
    }
}

/// A payload of an event of `event_type` as JSON text.
pub fn to_json(event_type: &'static str, payload: &impl Serialize) -> Result<String> {
    serde_json::to_string(payload).map_err(Error::serialize(event_type))
}

impl<T: Payloads> TelemetryEvent for T {
    fn event_type(&self) -> &'static str {
        T::TYPE
    }

    fn uuid(&self) -> Uuid {
        Base::uuid(self)
    }

    fn timestamp(&self) -> Timestamp {
        Base::timestamp(self)
    }

    fn telemetry_json(&self, key: &TelemetryKey) -> Result<String> {
        telemetry_json(&BaseFields::of(self), &steps(self), key)
    }
}

impl<T: Stored> StoredEvent for T {
    fn columns(&self) -> Result<Columns<'_>> {
        Stored::columns(self)
    }

    fn scopes(&self) -> Scopes {
        let mut scopes = Vec::new();
        for step in steps(self) {
            if let Step::Level(level) = step {
                level.dyn_push_scopes(&mut scopes);
            }
        }
        scopes
    }

    fn notification_json(&self) -> Result<String> {
        notification_json(&BaseFields::of(self), &steps(self))
    }
}

/// The members every payload starts with (the notification's top, telemetry's
/// `event_properties`), written here only. `version` sits beside `type` inside the payload,
/// so it is signed with the body and survives forwarding, and `(type, version)` names the
/// one published schema the payload follows.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BaseFields {
    uuid: Uuid,
    event_type: &'static str,
    version: u32,
    timestamp: Timestamp,
}

impl BaseFields {
    fn of<E: Base + ?Sized>(event: &E) -> Self {
        Self {
            uuid: event.uuid(),
            event_type: E::TYPE,
            version: E::VERSION,
            timestamp: event.timestamp(),
        }
    }

    fn write<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("uuid", &self.uuid)?;
        map.serialize_entry("type", self.event_type)?;
        map.serialize_entry("version", &self.version)?;
        map.serialize_entry("timestamp", &self.timestamp)
    }
}

/// The notification payload of an event: `uuid`, `type`, `version`, `timestamp`, then its
/// levels.
#[derive(Debug, Clone)]
pub struct Notification<L> {
    base: BaseFields,
    levels: L,
}

impl<L: Level> Serialize for Notification<L> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.base.write(&mut map)?;
        self.levels.write_notification(&mut map)?;
        map.end()
    }
}

/// The telemetry payload of an event: what reaches analytics, `{ event_properties,
/// derived_properties }`, made of the telemetry types of the event's levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Telemetry<B> {
    /// The event's id.
    pub uuid: Uuid,
    /// The event type.
    pub event_type: &'static str,
    /// The version of the event's payload schemas.
    pub version: u32,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The levels' telemetry forms, nested like the notification.
    pub body: B,
}

impl<B: TelemetryFields> Serialize for Telemetry<B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut payload = serializer.serialize_struct("Telemetry", 2)?;
        payload.serialize_field("event_properties", &EventProperties(self))?;
        payload.serialize_field("derived_properties", &Derived(&self.body))?;
        payload.end()
    }
}

/// `event_properties`: the base fields, then the levels' values.
struct EventProperties<'a, B>(&'a Telemetry<B>);

impl<B: TelemetryFields> Serialize for EventProperties<'_, B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let telemetry = self.0;
        let mut map = serializer.serialize_map(None)?;
        let base = BaseFields {
            uuid: telemetry.uuid,
            event_type: telemetry.event_type,
            version: telemetry.version,
            timestamp: telemetry.timestamp,
        };
        base.write(&mut map)?;
        telemetry.body.write_properties(&mut map)?;
        map.end()
    }
}

/// One object of the notification tree: the fields of its level, then its inner object.
struct NotificationObject<'a, F, I>(&'a Object<F, I>);

impl<F: Level, I: Level> Serialize for NotificationObject<'_, F, I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.0.fields.write_notification(&mut map)?;
        self.0.inner.write_notification(&mut map)?;
        map.end()
    }
}

/// One object of the `event_properties` tree.
struct Properties<'a, F, I>(&'a Object<F, I>);

impl<F: TelemetryFields, I: TelemetryFields> Serialize for Properties<'_, F, I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.0.fields.write_properties(&mut map)?;
        self.0.inner.write_properties(&mut map)?;
        map.end()
    }
}

/// `derived_properties`: the levels' derived values.
struct Derived<'a, T>(&'a T);

impl<T: TelemetryFields> Serialize for Derived<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.0.write_derived(&mut map)?;
        map.end()
    }
}

/// One object of the `derived_properties` tree.
struct DerivedObject<'a, F, I>(&'a Object<F, I>);

impl<F: TelemetryFields, I: TelemetryFields> Serialize for DerivedObject<'_, F, I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.0.fields.write_derived(&mut map)?;
        self.0.inner.write_derived(&mut map)?;
        map.end()
    }
}

impl<F: Level, I: Level> Level for Object<F, I> {
    type Telemetry = Object<F::Telemetry, I::Telemetry>;

    fn write_notification<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(self.key, &NotificationObject(self))
    }

    fn telemetry(&self, key: &TelemetryKey) -> Self::Telemetry {
        Object {
            key: self.key,
            fields: self.fields.telemetry(key),
            inner: self.inner.telemetry(key),
        }
    }

    fn push_scopes(&self, scopes: &mut Scopes) {
        self.fields.push_scopes(scopes);
        self.inner.push_scopes(scopes);
    }
}

impl<F: TelemetryFields, I: TelemetryFields> TelemetryFields for Object<F, I> {
    fn write_properties<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(self.key, &Properties(self))
    }

    fn write_derived<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(self.key, &DerivedObject(self))
    }
}

/// Two levels merged into one object (a layer and an inline layer under it, or the
/// innermost layer and the event's own fields), in order.
impl<A: Level, B: Level> Level for (A, B) {
    type Telemetry = (A::Telemetry, B::Telemetry);

    fn write_notification<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        self.0.write_notification(map)?;
        self.1.write_notification(map)
    }

    fn telemetry(&self, key: &TelemetryKey) -> Self::Telemetry {
        (self.0.telemetry(key), self.1.telemetry(key))
    }

    fn push_scopes(&self, scopes: &mut Scopes) {
        self.0.push_scopes(scopes);
        self.1.push_scopes(scopes);
    }
}

impl<A: TelemetryFields, B: TelemetryFields> TelemetryFields for (A, B) {
    fn write_properties<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        self.0.write_properties(map)?;
        self.1.write_properties(map)
    }

    fn write_derived<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        self.0.write_derived(map)?;
        self.1.write_derived(map)
    }
}

/// A level that contributes nothing (an object whose layers have no fields).
impl Level for () {
    type Telemetry = ();

    fn write_notification<M: SerializeMap>(&self, _: &mut M) -> Result<(), M::Error> {
        Ok(())
    }

    fn telemetry(&self, _: &TelemetryKey) {}

    fn push_scopes(&self, _: &mut Scopes) {}
}

impl TelemetryFields for () {
    fn write_properties<M: SerializeMap>(&self, _: &mut M) -> Result<(), M::Error> {
        Ok(())
    }

    fn write_derived<M: SerializeMap>(&self, _: &mut M) -> Result<(), M::Error> {
        Ok(())
    }
}

impl<L: Level + ?Sized> Level for &L {
    type Telemetry = L::Telemetry;

    fn write_notification<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        (**self).write_notification(map)
    }

    fn telemetry(&self, key: &TelemetryKey) -> Self::Telemetry {
        (**self).telemetry(key)
    }

    fn push_scopes(&self, scopes: &mut Scopes) {
        (**self).push_scopes(scopes);
    }

    fn push_columns<'a>(
        &'a self,
        event_type: &'static str,
        columns: &mut Columns<'a>,
    ) -> Result<()> {
        (**self).push_columns(event_type, columns)
    }
}
