//! What the store does with the compiled catalog (`StoreConfig::catalog`, a generated
//! module's `STORED_EVENTS`): it checks subscriptions against it, keeps the analytics
//! subscriber subscribed to every stored type, and erases sensitive columns by scope.

use std::collections::BTreeSet;

use event_runtime::EventTypeSpec;

use super::sql::{Sql, Value, quote};
use super::subscription::{Scope, SubscriberKind};
use super::{Store, StoreError};

/// Checks a subscription to `event_type` within `scope` against `catalog`: the type is a
/// stored type of it, and every key of the scope is one that type's events carry. The
/// error (`StoreError::Invalid` of `what` `"event type"` or `"scope key"`) names the
/// closest valid type or key.
pub fn check_subscription(
    catalog: &'static [EventTypeSpec],
    event_type: &str,
    scope: &Scope,
) -> Result<&'static EventTypeSpec, StoreError> {
    let Some(spec) = EventTypeSpec::find(catalog, event_type) else {
        let types = catalog.iter().map(|spec| spec.event_type);
        return Err(StoreError::invalid(
            "event type",
            format!(
                "`{event_type}` is not a stored event type of the catalog{}",
                did_you_mean(event_type, types)
            ),
        ));
    };
    for key in scope.values().keys() {
        if spec.scope_keys.contains(&key.as_str()) {
            continue;
        }
        let valid = if spec.scope_keys.is_empty() {
            "it has none: subscribe to it globally".to_owned()
        } else {
            format!("its keys: {}", spec.scope_keys.join(", "))
        };
        return Err(StoreError::invalid(
            "scope key",
            format!(
                "`{key}` is not a scope key of `{event_type}`{} ({valid})",
                did_you_mean(key, spec.scope_keys.iter().copied())
            ),
        ));
    }
    Ok(spec)
}

/// `; did you mean `x`?` for the candidate closest to `given`, when one is close enough.
fn did_you_mean<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|candidate| (strsim::jaro_winkler(given, candidate), candidate))
        .filter(|(similarity, _)| *similarity > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, closest)| format!(": did you mean `{closest}`?"))
        .unwrap_or_default()
}

impl Store {
    /// The compiled catalog the store was configured with.
    pub fn catalog(&self) -> Option<&'static [EventTypeSpec]> {
        self.config().catalog
    }

    /// Subscribes the analytics subscriber, when there is one, to every stored type of the
    /// configured catalog it is not subscribed to yet, so that an event added to the
    /// catalog reaches analytics without a change of the application. [`Store::migrate`]
    /// calls it; without a catalog it does nothing. Returns how many subscriptions it
    /// added.
    pub async fn sync_analytics_subscriptions(&self) -> Result<usize, StoreError> {
        let Some(catalog) = self.catalog() else {
            return Ok(0);
        };
        let Some(analytics) = self
            .subscribers()
            .await?
            .into_iter()
            .find(|s| s.kind == SubscriberKind::Analytics)
        else {
            return Ok(0);
        };
        let subscribed: BTreeSet<String> = self
            .subscriptions(analytics.uuid)
            .await?
            .into_iter()
            .map(|s| s.event_type)
            .collect();
        let missing: Vec<&'static str> = catalog
            .iter()
            .map(|spec| spec.event_type)
            .filter(|t| !subscribed.contains(*t))
            .collect();
        let added = missing.len();
        if added > 0 {
            self.ensure_analytics_subscriber(&analytics.name, missing)
                .await?;
        }
        Ok(added)
    }

    /// Erases what is sensitive about a scope (a deleted project or user): every
    /// sensitive column of the events in `scope` (those carrying each of its values) is
    /// set to NULL, the rest of the events left as they are. Needs the catalog
    /// ([`StoreConfig::catalog`](super::StoreConfig::catalog)), which says which columns
    /// are sensitive and which types carry the scope's keys; a global scope is refused.
    /// Returns how many events were changed.
    ///
    /// Deliveries still pending or dead keep the payloads computed when the events were
    /// recorded; prune or redrive them as the erasure requires.
    pub async fn erase(&self, scope: &Scope) -> Result<u64, StoreError> {
        let Some(catalog) = self.catalog() else {
            return Err(StoreError::invalid(
                "erase",
                "the store has no catalog: configure `StoreConfig::catalog(STORED_EVENTS)`",
            ));
        };
        if scope.is_global() {
            return Err(StoreError::invalid(
                "erase",
                "the scope is global: name the values to erase, e.g. a project's uuid",
            ));
        }
        let keys: BTreeSet<&str> = catalog
            .iter()
            .flat_map(|spec| spec.scope_keys.iter().copied())
            .collect();
        for key in scope.values().keys() {
            if !keys.contains(key.as_str()) {
                return Err(StoreError::invalid(
                    "erase",
                    format!(
                        "`{key}` is not a scope key of the catalog{}",
                        did_you_mean(key, keys.iter().copied())
                    ),
                ));
            }
        }
        // One statement per set of sensitive columns, over the types that have them and
        // carry every key of the scope.
        let mut groups: Vec<(&'static [&'static str], Vec<&'static str>)> = Vec::new();
        for spec in catalog {
            let carries = scope
                .values()
                .keys()
                .all(|key| spec.scope_keys.contains(&key.as_str()));
            if !carries || spec.sensitive_columns.is_empty() {
                continue;
            }
            match groups
                .iter_mut()
                .find(|(c, _)| *c == spec.sensitive_columns)
            {
                Some((_, types)) => types.push(spec.event_type),
                None => groups.push((spec.sensitive_columns, vec![spec.event_type])),
            }
        }
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let mut erased = 0;
        for (columns, types) in groups {
            let mut sql = Sql::new(&conn, self.tables(), "UPDATE {events} SET ");
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push(&quote(column)).push(" = NULL");
            }
            sql.push(r#" WHERE "type" IN "#);
            sql.list(types.iter().map(|t| Value::Text(t)));
            for (key, value) in scope.values() {
                // Scope columns hold UUIDs or text; both compare as text.
                sql.push(" AND ");
                sql.push(&text_of(conn.is_postgres(), &quote(key)));
                sql.push(" = ").param(Value::Text(value));
            }
            // Only rows with something left to erase count.
            sql.push(" AND (");
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                sql.push(&quote(column)).push(" IS NOT NULL");
            }
            sql.push(")");
            erased += sql.execute(&mut conn).await?;
        }
        tx.commit().await?;
        Ok(erased)
    }
}

/// A column's value as text, for comparing with a bound text value.
fn text_of(postgres: bool, column: &str) -> String {
    if postgres {
        format!("{column}::text")
    } else {
        column.to_owned()
    }
}
