//! What can go wrong in the store.

use uuid::Uuid;

use crate::secret::InvalidSecret;

/// An error of the outbox store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names no database the store knows.
    #[error("unsupported database URL `{0}`: use sqlite:PATH or postgres://...")]
    UnsupportedUrl(String),
    /// The URL names a backend this build of the store leaves out.
    #[error("this build has no {backend} backend: enable event-outbox's {features} feature")]
    BackendNotEnabled {
        /// The backend the URL names.
        backend: &'static str,
        /// The features that add it.
        features: &'static str,
    },
    /// A subscriber that does not exist.
    #[error("no subscriber {0}")]
    NoSubscriber(Uuid),
    /// A request that cannot be honoured as made.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// What was invalid.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// A secret that is not a valid webhook secret.
    #[error(transparent)]
    Secret(#[from] InvalidSecret),
    /// The database's event types are not the catalog's.
    #[error(transparent)]
    Drift(#[from] DriftError),
    /// A column holds what the store never writes.
    #[error("column `{column}` holds an invalid value: {message}")]
    Corrupt {
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A recorded event could not be loaded as the type asked for.
    #[error("cannot load the event: {0}")]
    Load(#[from] event_runtime::LoadError),
    /// A part of a worker failed (its completion writer, its claimer), and the worker
    /// stopped.
    #[error("the worker's {part} failed: {message}")]
    WorkerFailed {
        /// The part.
        part: &'static str,
        /// What happened.
        message: String,
    },
    /// An event could not be recorded (its payload did not serialize).
    #[error(transparent)]
    Record(#[from] Box<event_runtime::Error>),
}

impl StoreError {
    pub(crate) fn corrupt(column: &str, message: impl std::fmt::Display) -> Self {
        StoreError::Corrupt {
            column: column.to_owned(),
            message: message.to_string(),
        }
    }

    pub(crate) fn worker_failed(part: &'static str, message: impl std::fmt::Display) -> Self {
        StoreError::WorkerFailed {
            part,
            message: message.to_string(),
        }
    }

    /// Whether the database refused a statement for what it holds (a constraint, a
    /// trigger, an encoding), as opposed to failing to run it at all (a lost connection,
    /// a busy lock, a serialization failure, an exhausted resource), which is worth
    /// trying again as is.
    pub fn refused_by_database(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                !db.code().is_some_and(|code| transient_code(&code))
            }
            StoreError::Database(sqlx::Error::Encode(_)) | StoreError::Corrupt { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn invalid(what: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            what,
            message: message.into(),
        }
    }
}

impl From<event_runtime::Error> for StoreError {
    fn from(error: event_runtime::Error) -> Self {
        StoreError::Record(Box::new(error))
    }
}

impl From<StoreError> for event_runtime::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Record(error) => *error,
            other => event_runtime::Error::Storage(Box::new(other)),
        }
    }
}

/// SQLite's busy, locked, I/O and full result codes (extended codes keep the primary one
/// in their low byte); PostgreSQL's connection (08), transaction rollback (40),
/// resource (53), operator (57), system (58) classes and lock-not-available. A
/// PostgreSQL SQLSTATE has five characters, digits or not; SQLite's codes, four digits
/// at most.
fn transient_code(code: &str) -> bool {
    if code.len() == 5 {
        return ["08", "40", "53", "57", "58", "55P03"]
            .iter()
            .any(|class| code.starts_with(class));
    }
    code.parse::<u32>()
        .is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6 | 10 | 13))
}

/// The `event_types` table and the catalog the code was generated from disagree: the
/// migrations were not applied, or come from another version of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the database's event types differ from the catalog's: missing from the database [{}], not in the catalog [{}] (apply the generated migrations, or regenerate)",
    .missing.join(", "),
    .extra.join(", ")
)]
pub struct DriftError {
    /// Stored event types of the catalog that `event_types` lacks, sorted.
    pub missing: Vec<String>,
    /// Rows of `event_types` the catalog does not declare as stored, sorted.
    pub extra: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_locks_and_lost_connections_are_not_refusals() {
        for code in [
            "5", "517", "6", "262", "10", "08006", "40001", "40P01", "53300", "57P01", "55P03",
        ] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["19", "2067", "1", "22021", "23505", "P0001", "42P01"] {
            assert!(!transient_code(code), "{code}");
        }
    }
}
