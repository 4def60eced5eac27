//! Support for generated analytics enums.

use std::collections::HashMap;

use crate::schema::MAX_EVENT_TYPE_LEN;

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
    ///
    /// A name longer than [`MAX_EVENT_TYPE_LEN`] characters gets no suggestion: no event
    /// type is that long, and comparing costs the product of the lengths (callers such
    /// as the relay pass names that clients chose).
    pub fn new(name: &str, known: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            name: name.to_owned(),
            suggestion: closest(name, known),
        }
    }
}

/// The least similarity of a suggestion.
const MIN_SIMILARITY: f64 = 0.6;

/// The most similar of `known` to `name`, when similar enough; nothing for a name longer
/// than any event type.
fn closest(name: &str, known: impl IntoIterator<Item = &'static str>) -> Option<&'static str> {
    if name.chars().nth(MAX_EVENT_TYPE_LEN).is_some() {
        return None;
    }
    let name: Vec<char> = name.chars().collect();
    known
        .into_iter()
        .filter_map(|candidate| Some((similarity_if_close(&name, candidate)?, candidate)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// The [`similarity`] of `name` and `candidate` when it reaches [`MIN_SIMILARITY`]. The
/// distance is at least the difference of the lengths, so a candidate whose length alone
/// rules it out is not compared.
fn similarity_if_close(name: &[char], candidate: &str) -> Option<f64> {
    let candidate: Vec<char> = candidate.chars().collect();
    let longer = name.len().max(candidate.len());
    let length_bound = 1.0 - name.len().abs_diff(candidate.len()) as f64 / longer.max(1) as f64;
    if length_bound < MIN_SIMILARITY {
        return None;
    }
    Some(similarity(name, &candidate)).filter(|s| *s >= MIN_SIMILARITY)
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
fn similarity(a: &[char], b: &[char]) -> f64 {
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 1.0;
    }
    1.0 - distance(a, b) as f64 / longer as f64
}

/// The Damerau–Levenshtein distance: the fewest insertions, deletions, substitutions and
/// transpositions of adjacent characters that turn `a` into `b`, where a substring may be
/// edited again after a transposition (Lowrance and Wagner's algorithm).
fn distance(a: &[char], b: &[char]) -> usize {
    #[cfg(test)]
    tests::CELLS.with(|cells| cells.set(cells.get() + a.len() * b.len()));
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
    use std::cell::Cell;

    use proptest::prelude::*;

    use super::*;

    thread_local! {
        /// The cells of distance tables computed on this thread: the suggestions' work.
        pub(super) static CELLS: Cell<usize> = const { Cell::new(0) };
    }

    /// The suggestion for `name` and the distance cells it took.
    fn suggest_counting(name: &str, known: &[&'static str]) -> (Option<&'static str>, usize) {
        CELLS.with(|cells| cells.set(0));
        let suggestion = UnknownEventType::new(name, known.iter().copied()).suggestion;
        (suggestion, CELLS.with(Cell::get))
    }

    #[test]
    fn names_longer_than_any_event_type_are_compared_with_nothing() {
        let longest: &'static str = "a".repeat(MAX_EVENT_TYPE_LEN).leak();
        let known = [longest, "project:created"];
        let one_edit_too_long = format!("{longest}b");
        assert_eq!(suggest_counting(&one_edit_too_long, &known), (None, 0));
        let hostile = "project:created".repeat(4_000);
        assert_eq!(suggest_counting(&hostile, &known), (None, 0));
        assert_eq!(
            suggest_counting(&longest[1..], &known).0,
            Some(longest),
            "a name of an event type's length is still compared"
        );
    }

    #[test]
    fn types_too_different_in_length_to_be_close_are_not_compared() {
        let long: &'static str = "b".repeat(MAX_EVENT_TYPE_LEN).leak();
        assert_eq!(suggest_counting("ab", &[long]), (None, 0));
        let (suggestion, cells) = suggest_counting("project:craeted", &[long, "project:created"]);
        assert_eq!(suggestion, Some("project:created"));
        assert_eq!(
            cells,
            15 * 15,
            "only the type of a close length is compared"
        );
    }

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
        assert_eq!(similarity(&[], &[]), 1.0);
    }

    proptest! {
        /// The same scores as `strsim`, which the suggestions used before.
        #[test]
        fn similarity_is_strsim_s(a in "[a-d:é]{0,8}", b in "[a-d:é]{0,8}") {
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            prop_assert_eq!(similarity(&chars(&a), &chars(&b)), strsim::normalized_damerau_levenshtein(&a, &b));
        }

        /// Skipping candidates by their length changes no suggestion.
        #[test]
        fn the_length_bound_changes_no_suggestion(name in "[a-c:]{0,12}", known in proptest::collection::vec("[a-c:]{0,12}", 0..6)) {
            let known: Vec<&'static str> = known.into_iter().map(|k| &*k.leak()).collect();
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            let unbounded = known
                .iter()
                .map(|k| (similarity(&chars(&name), &chars(k)), *k))
                .filter(|(score, _)| *score >= MIN_SIMILARITY)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| k);
            prop_assert_eq!(closest(&name, known.iter().copied()), unbounded);
        }
    }
}
