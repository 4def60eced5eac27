//! English text that diagnostics and outputs share, so it is worded one way everywhere.

/// `1 event`, `2 events`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Appends a sentence, ending the previous one first.
pub(crate) fn push_sentence(text: &mut String, sentence: &str) {
    if !text.is_empty() {
        if !text.ends_with(['.', '!', '?']) {
            text.push('.');
        }
        text.push(' ');
    }
    text.push_str(sentence);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(plural(0, "named type"), "0 named types");
        assert_eq!(plural(1, "event type"), "1 event type");
        assert_eq!(plural(2, "column"), "2 columns");
    }

    #[test]
    fn sentences() {
        let mut text = String::new();
        push_sentence(&mut text, "Deprecated: use x");
        push_sentence(&mut text, "Sunset: 2030-06-30.");
        push_sentence(&mut text, "Gone?");
        push_sentence(&mut text, "Yes.");
        assert_eq!(text, "Deprecated: use x. Sunset: 2030-06-30. Gone? Yes.");
    }
}
