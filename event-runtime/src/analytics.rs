//! Support for generated analytics enums.

/// A name that is not an event type of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type `{name}`{}", .suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
pub struct UnknownEventType {
    /// The name given.
    pub name: String,
    /// The closest event type, when one is close.
    pub suggestion: Option<&'static str>,
}

impl UnknownEventType {
    /// The error for `name`, suggesting the closest of `known`.
    pub fn new(name: &str, known: impl IntoIterator<Item = &'static str>) -> Self {
        let suggestion = known
            .into_iter()
            .map(|candidate| {
                (
                    strsim::normalized_damerau_levenshtein(name, candidate),
                    candidate,
                )
            })
            .filter(|(score, _)| *score >= 0.6)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, candidate)| candidate);
        Self {
            name: name.to_owned(),
            suggestion,
        }
    }
}

/// A text that is not a value of a generated enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a value of `{enum_name}`")]
pub struct InvalidEnumValue {
    /// The enum.
    pub enum_name: &'static str,
    /// The text given.
    pub value: String,
}
