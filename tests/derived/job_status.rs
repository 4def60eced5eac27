//! An enum of the derived fixture declared outside `src/`.

use event_macros::NamedEnum;

/// Status of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, NamedEnum)]
pub enum JobStatus {
    /// Drafted.
    Draft,
    /// Started.
    Started,
    /// Succeeded.
    Success,
    /// Failed.
    #[variant(value = "FAILURE")]
    Failure,
}
