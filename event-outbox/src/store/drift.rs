//! The startup check that the database holds the catalog's event types.

use std::collections::BTreeSet;

use super::sql::Sql;
use super::{DriftError, Store, StoreError};

impl Store {
    /// Compares the rows of `event_types` with the catalog's stored event types (for a
    /// generated module: `AnalyticsEvent::ALL` filtered by `is_stored()`), and errors with
    /// [`StoreError::Drift`] listing those missing from the database and those it has in
    /// addition.
    pub async fn check_event_types<'t>(
        &self,
        stored: impl IntoIterator<Item = &'t str>,
    ) -> Result<(), StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let rows = Sql::new(&conn, self.tables(), r#"SELECT "name" FROM {event_types}"#)
            .fetch_all(&mut conn)
            .await?;
        let in_database: BTreeSet<String> = rows
            .iter()
            .map(|row| row.text("name"))
            .collect::<Result<_, _>>()?;
        let in_catalog: BTreeSet<String> = stored.into_iter().map(str::to_owned).collect();
        let missing: Vec<String> = in_catalog.difference(&in_database).cloned().collect();
        let extra: Vec<String> = in_database.difference(&in_catalog).cloned().collect();
        if missing.is_empty() && extra.is_empty() {
            Ok(())
        } else {
            Err(DriftError { missing, extra }.into())
        }
    }
}
