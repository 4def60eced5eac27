//! Derive macros that declare events in Rust: the same definitions as the TOML files, with
//! exactly the code the generated module has for them.
//!
//! Each derive reads its item with the Rust front end of `event-codegen`, checks it with the rest of
//! the crate's derive items (every `.rs` file under `src/`, the item's own file and what
//! `#[catalog(src = "...")]` names, read as `eventgen generate --rust-src` reads them)
//! with the same checker as the TOML definitions, and emits the generated module's code
//! for that item, without the struct or enum the user wrote. Mistakes are compiler errors
//! on the offending token.
//!
//! ```ignore
//! use event_macros::{Event, Layer};
//! use event_runtime::{Timestamp, Uuid};
//!
//! /// A project (no `Debug` derive: `Layer` emits a redacted one, it has a sensitive field).
//! #[derive(Clone, Layer)]
//! pub struct Project {
//!     /// UUID of the project.
//!     #[field(scope)]
//!     pub uuid: Uuid,
//!     /// Name of the project.
//!     #[field(sensitive)]
//!     pub name: String,
//! }
//!
//! /// A project was created.
//! #[derive(Debug, Clone, Event)]
//! #[event(type = "project:created", version = 2)]
//! pub struct ProjectCreated {
//!     pub uuid: Uuid,
//!     pub timestamp: Timestamp,
//!     #[layer]
//!     pub project: Project,
//! }
//! ```
//!
//! | attribute | on | keys |
//! |---|---|---|
//! | `#[catalog(...)]` | a unit struct deriving `Catalog` | `name` (default: the struct's name in kebab-case), `schema_base`, `src = "..."` (a file or directory, relative to the package, that the derives read besides `src/`) |
//! | `#[layer(...)]` | a struct deriving `Layer` | `name`, `parent = "..."`, `abstract`, `inline`, `segment = "..."`, `key = "..."` |
//! | `#[event(...)]` | a struct deriving `Event` | `type = "..."` (required), `stored = false`, `client`, `version = N`, `message = "..."` (the chat message template), `deprecated(since, note, replaced_by, sunset)` |
//! | `#[named_type(...)]` | a struct deriving `NamedType` | `name` |
//! | `#[named_enum(...)]` | an enum deriving `NamedEnum` | `name` |
//! | `#[variant(...)]` | a unit variant | `value = "..."` (default: the variant in SCREAMING_SNAKE_CASE) |
//! | `#[field(...)]` | a field | `sensitive`, `telemetry = "keep" \| "drop" \| "count" \| "hash"`, `notification = false`, `scope`, `column = "..."`, `privacy_reviewed = "..."`, `example = ...` (a literal, a negative number or an array of those) |
//! | `#[layer]` | a member of an event | holds one of the event's layers (with fields): `#[layer] pub project: Project` |
//!
//! Flags may also be written `key = true` or `key = false`. Doc comments are the
//! descriptions, `#[deprecated]` on a field deprecates it, `Option<T>` makes it optional.
//! Field types: `Uuid`, `String`, `bool`, `i64`, `f64`, `Timestamp`, `serde_json::Value`,
//! `Vec<T>`, `BTreeMap<String, T>`, and enums and named types by their Rust name. An
//! event's struct has `uuid: Uuid` and `timestamp: Timestamp`, one `#[layer]` member per
//! layer of its chain that has fields, and its own fields. Names follow the generated
//! module's: `ProjectCreated` for `project:created`, `OneOffJob` for `one-off-job`.
//!
//! Like the generated module, `Event`, `Layer` and `NamedType` emit a `Debug` that prints
//! `<redacted>` for a sensitive field when the item has one; such an item must not derive
//! `Debug` (the compiler reports conflicting implementations). `Catalog` emits the
//! catalog-wide `AnalyticsEvent`, `Event`, `CLIENT_EVENTS` and `CHAT_MESSAGES`, which name
//! the crate's event structs: they must be in scope where the catalog struct is declared.
//!
//! A named type derives serde's `Serialize` and `Deserialize` itself (an optional field with
//! `#[serde(default, skip_serializing_if = "Option::is_none")]`); an enum gets serde's
//! impls from `NamedEnum`, serializing as its values. The lock (`eventgen.lock`) is not
//! read by the derives: run `eventgen generate --rust-src src` in CI for the evolution
//! gates.

mod expand;
mod scan;
mod stub;

use event_codegen::macro_support::ItemKind;
use proc_macro::TokenStream;

fn derive(kind: ItemKind, input: TokenStream) -> TokenStream {
    match syn::parse::<syn::DeriveInput>(input) {
        Ok(input) => expand::derive(kind, &input).into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// Declares the catalog (its name and schema base) on a unit struct: `#[catalog(...)]`;
/// emits `AnalyticsEvent`, `Event`, `CLIENT_EVENTS` and `CHAT_MESSAGES` for the crate's events.
#[proc_macro_derive(
    Catalog,
    attributes(catalog, event, layer, field, named_type, named_enum, variant)
)]
pub fn derive_catalog(input: TokenStream) -> TokenStream {
    derive(ItemKind::Catalog, input)
}

/// Declares a layer of the hierarchy: `#[layer(...)]`, `#[field(...)]`.
#[proc_macro_derive(
    Layer,
    attributes(catalog, event, layer, field, named_type, named_enum, variant)
)]
pub fn derive_layer(input: TokenStream) -> TokenStream {
    derive(ItemKind::Layer, input)
}

/// Declares an event: `#[event(...)]`, `#[layer]` members, `#[field(...)]`.
#[proc_macro_derive(
    Event,
    attributes(catalog, event, layer, field, named_type, named_enum, variant)
)]
pub fn derive_event(input: TokenStream) -> TokenStream {
    derive(ItemKind::Event, input)
}

/// Declares a named object type: `#[named_type(...)]`, `#[field(...)]`.
#[proc_macro_derive(
    NamedType,
    attributes(catalog, event, layer, field, named_type, named_enum, variant)
)]
pub fn derive_named_type(input: TokenStream) -> TokenStream {
    derive(ItemKind::NamedType, input)
}

/// Declares an enum: `#[named_enum(...)]`, `#[variant(...)]`.
#[proc_macro_derive(
    NamedEnum,
    attributes(catalog, event, layer, field, named_type, named_enum, variant)
)]
pub fn derive_named_enum(input: TokenStream) -> TokenStream {
    derive(ItemKind::NamedEnum, input)
}
