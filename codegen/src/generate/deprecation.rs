//! How the outputs word a deprecated event: the same facts (the version that deprecated
//! it, what to do instead, the event that replaces it, its sunset) in each output's form.

use crate::model::Deprecation;
use crate::text::push_sentence;

/// The output a deprecation is worded for.
pub(crate) enum Form<'a> {
    /// A JSON Schema description: "Deprecated since 2.3.0: use X. Replaced by `x`.
    /// Sunset: 2030-06-30."
    Schema,
    /// The docs: "**Deprecated** since 2.3.0: use X. Replaced by [`x`](#event-x). Sunset:
    /// 2030-06-30.", the replacement linked by `link`.
    Docs { link: &'a dyn Fn(&str) -> String },
    /// A Rust `#[deprecated]` note: "use X; replaced by `x`; deprecated since 2.3.0;
    /// removed after 2030-06-30".
    RustNote,
}

/// `deprecation`, worded for `form`.
pub(crate) fn text(deprecation: &Deprecation, form: Form<'_>) -> String {
    let Deprecation {
        since,
        note,
        replaced_by,
        sunset,
    } = deprecation;
    let since = since.as_ref();
    let (opening, replacement) = match form {
        Form::RustNote => return rust_note(deprecation),
        Form::Schema => {
            let since = since.map(|v| format!(" since {v}")).unwrap_or_default();
            let opening = match note {
                Some(note) => format!("Deprecated{since}: {note}"),
                None => format!("Deprecated{since}."),
            };
            (opening, replaced_by.as_ref().map(|r| format!("`{r}`")))
        }
        Form::Docs { link } => {
            return docs_pieces(deprecation)
                .into_iter()
                .map(|piece| match piece {
                    Piece::Text(text) => text,
                    Piece::Strong(text) => format!("**{text}**"),
                    Piece::Event(event_type) => link(&event_type),
                })
                .collect();
        }
    };
    let mut text = opening;
    if let Some(replacement) = replacement {
        push_sentence(&mut text, &format!("Replaced by {replacement}."));
    }
    if let Some(sunset) = sunset {
        push_sentence(&mut text, &format!("Sunset: {sunset}."));
    }
    text
}

/// A piece of the docs' wording of a deprecation, for outputs that mark it up themselves
/// (Markdown here, HTML in the catalog page), so both say the same words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Plain text.
    Text(String),
    /// Emphasised text ("Deprecated").
    Strong(String),
    /// The type of the replacing event, linked where the output can.
    Event(String),
}

/// The docs' wording: "**Deprecated** since 2.3.0: use X. Replaced by `x`. Sunset:
/// 2030-06-30.", in pieces. Every sentence ends with a period, so they join with a space.
pub(crate) fn docs_pieces(deprecation: &Deprecation) -> Vec<Piece> {
    let Deprecation {
        since,
        note,
        replaced_by,
        sunset,
    } = deprecation;
    let since = (since.as_ref())
        .map(|v| format!(" since {v}"))
        .unwrap_or_default();
    let note = (note.as_ref())
        .map(|n| format!(": {}", n.trim_end_matches('.')))
        .unwrap_or_default();
    let mut pieces = vec![
        Piece::Strong("Deprecated".to_owned()),
        Piece::Text(format!("{since}{note}.")),
    ];
    if let Some(replacement) = replaced_by {
        pieces.push(Piece::Text(" Replaced by ".to_owned()));
        pieces.push(Piece::Event(replacement.clone()));
        pieces.push(Piece::Text(".".to_owned()));
    }
    if let Some(sunset) = sunset {
        pieces.push(Piece::Text(format!(" Sunset: {sunset}.")));
    }
    pieces
}

/// The note, the replacement, the version and the sunset, as clauses.
fn rust_note(deprecation: &Deprecation) -> String {
    let clauses: Vec<String> = [
        deprecation.note.clone(),
        (deprecation.replaced_by.as_ref()).map(|r| format!("replaced by `{r}`")),
        (deprecation.since.as_ref()).map(|v| format!("deprecated since {v}")),
        deprecation.sunset.map(|day| format!("removed after {day}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if clauses.is_empty() {
        "deprecated".to_owned()
    } else {
        clauses.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Deprecation {
        Deprecation {
            since: Some("2.3.0".into()),
            note: Some("use X".into()),
            replaced_by: Some("project:renamed".into()),
            sunset: Some("2030-06-30".parse().unwrap()),
        }
    }

    #[test]
    fn every_output_words_the_same_facts() {
        let link = |event: &str| format!("[`{event}`](#event)");
        assert_eq!(
            text(&full(), Form::Schema),
            "Deprecated since 2.3.0: use X. Replaced by `project:renamed`. Sunset: 2030-06-30."
        );
        assert_eq!(
            text(&full(), Form::Docs { link: &link }),
            "**Deprecated** since 2.3.0: use X. Replaced by [`project:renamed`](#event). \
             Sunset: 2030-06-30."
        );
        assert_eq!(
            text(&full(), Form::RustNote),
            "use X; replaced by `project:renamed`; deprecated since 2.3.0; removed after 2030-06-30"
        );
    }

    #[test]
    fn a_bare_deprecation() {
        let bare = Deprecation {
            since: None,
            note: None,
            replaced_by: None,
            sunset: None,
        };
        let link = |event: &str| event.to_owned();
        assert_eq!(text(&bare, Form::Schema), "Deprecated.");
        assert_eq!(text(&bare, Form::Docs { link: &link }), "**Deprecated**.");
        assert_eq!(text(&bare, Form::RustNote), "deprecated");
    }

    #[test]
    fn a_note_alone_ends_as_written_in_schemas() {
        let note = Deprecation {
            note: Some("Gone.".into()),
            ..full()
        };
        let note = Deprecation {
            since: None,
            replaced_by: None,
            sunset: None,
            ..note
        };
        let link = |event: &str| event.to_owned();
        assert_eq!(text(&note, Form::Schema), "Deprecated: Gone.");
        assert_eq!(
            text(&note, Form::Docs { link: &link }),
            "**Deprecated**: Gone."
        );
    }
}
