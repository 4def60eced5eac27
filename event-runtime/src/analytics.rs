//! Support for generated analytics enums.

use std::collections::HashMap;

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
            .map(|candidate| (similarity(name, candidate), candidate))
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

/// How alike two texts are: 1 for equal texts, 0 for nothing in common; one minus their
/// Damerau–Levenshtein distance over the length of the longer, in characters.
fn similarity(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 1.0;
    }
    1.0 - distance(&a, &b) as f64 / longer as f64
}

/// The Damerau–Levenshtein distance: the fewest insertions, deletions, substitutions and
/// transpositions of adjacent characters that turn `a` into `b`, where a substring may be
/// edited again after a transposition (Lowrance and Wagner's algorithm).
fn distance(a: &[char], b: &[char]) -> usize {
    // `d[at(i + 1, j + 1)]` is the distance between the first `i` characters of `a` and
    // the first `j` of `b`; the first row and column hold more than any distance.
    let width = b.len() + 2;
    let at = |i: usize, j: usize| i * width + j;
    let far = a.len() + b.len();
    let mut d = vec![far; (a.len() + 2) * width];
    for i in 0..=a.len() {
        d[at(i + 1, 1)] = i;
    }
    for j in 0..=b.len() {
        d[at(1, j + 1)] = j;
    }
    // The last row of `a` each character was seen in.
    let mut last_row: HashMap<char, usize> = HashMap::new();
    for i in 1..=a.len() {
        // The last column of this row where `b` matched `a`'s character.
        let mut last_column = 0;
        for j in 1..=b.len() {
            let k = last_row.get(&b[j - 1]).copied().unwrap_or(0);
            let l = last_column;
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            if substitution == 0 {
                last_column = j;
            }
            d[at(i + 1, j + 1)] = (d[at(i, j)] + substitution)
                .min(d[at(i + 1, j)] + 1)
                .min(d[at(i, j + 1)] + 1)
                .min(d[at(k, l)] + (i - k - 1) + 1 + (j - l - 1));
        }
        last_row.insert(a[i - 1], i);
    }
    d[at(a.len() + 1, b.len() + 1)]
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn suggests_the_closest_type_when_close() {
        let known = ["project:created", "project:deleted", "job:failed"];
        let error = UnknownEventType::new("project:craeted", known);
        assert_eq!(error.suggestion, Some("project:created"));
        assert_eq!(
            error.to_string(),
            "unknown event type `project:craeted` (did you mean `project:created`?)"
        );
        assert_eq!(UnknownEventType::new("billing", known).suggestion, None);
    }

    #[test]
    fn distances_of_known_pairs() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        for (a, b, expected) in [
            ("", "", 0),
            ("abc", "", 3),
            ("ab", "ba", 1),
            ("ab", "bca", 2),
            ("ca", "abc", 2),
            ("kitten", "sitting", 3),
            ("événement", "evenement", 2),
        ] {
            assert_eq!(distance(&chars(a), &chars(b)), expected, "{a} {b}");
        }
        assert_eq!(similarity("", ""), 1.0);
    }

    proptest! {
        /// The same scores as `strsim`, which the suggestions used before.
        #[test]
        fn similarity_is_strsim_s(a in "[a-d:é]{0,8}", b in "[a-d:é]{0,8}") {
            prop_assert_eq!(similarity(&a, &b), strsim::normalized_damerau_levenshtein(&a, &b));
        }
    }
}
