//! Naming rules and the mapping from definition names to Rust names. The checker and
//! every emitter call these, so a name is derived in exactly one place.

/// `[a-z][a-z0-9-]*`: layer, enum, type and segment names, and event type segments.
pub(crate) fn is_kebab(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `[a-z][a-z0-9_]*`: field names, payload keys and columns.
pub(crate) fn is_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Enum values: a letter, then letters, digits, `_` or `-`.
pub(crate) fn is_variant(value: &str) -> bool {
    let mut chars = value.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Words that cannot be Rust identifiers even as raw identifiers (`r#self` is invalid).
pub(crate) const NOT_RAW_IDENTIFIERS: &[&str] = &["self", "super", "crate", "extern"];

/// `one-off-job` and `pipeline_run` become `OneOffJob` and `PipelineRun`; `DRAFT` becomes `Draft`.
pub(crate) fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split(['-', '_', ':']).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

/// `OneOffJob` becomes `one-off-job`, `pipeline_run` becomes `pipeline-run`: the definition
/// name of a Rust item, which [`pascal_case`] turns back into the item's name (unless the
/// name has runs of capitals, like `HTTPCall`).
pub(crate) fn kebab_case(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 4);
    let mut previous: Option<char> = None;
    for c in ident.chars() {
        if c.is_ascii_uppercase()
            && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            out.push('-');
        }
        if c == '_' {
            out.push('-');
        } else {
            out.push(c.to_ascii_lowercase());
        }
        previous = Some(c);
    }
    out
}

/// `InProgress` becomes `IN_PROGRESS`: the value of an enum variant of a Rust item.
pub(crate) fn screaming_snake_case(ident: &str) -> String {
    kebab_case(ident).replace('-', "_").to_ascii_uppercase()
}

/// A kebab-case spelling of a name that is not kebab-case, suggested in diagnostics:
/// every capital starts a word, `_`, ` ` and `.` separate words (`My Layer` becomes
/// `my-layer`, `HTTP` becomes `h-t-t-p`).
pub(crate) fn suggest_kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('-') {
            out.push('-');
        }
        match c {
            '_' | ' ' | '.' => out.push('-'),
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out.trim_matches('-').to_owned()
}

/// A snake_case spelling of a name that is not snake_case, suggested in diagnostics (as
/// [`suggest_kebab`], with `_` between words).
pub(crate) fn suggest_snake(name: &str) -> String {
    suggest_kebab(name).replace('-', "_")
}

/// `one-off-job` becomes `one_off_job`; `project:pipeline:created` becomes `project_pipeline_created`.
pub(crate) fn snake_case(name: &str) -> String {
    name.split(['-', '_', ':'])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

/// The Rust type name of an event: `project:one-off-job:pipeline-run:failed` becomes
/// `ProjectOneOffJobPipelineRunFailed`.
pub(crate) fn event_rust_name(event_type: &str) -> String {
    pascal_case(event_type)
}

/// The generated register function of a stored event.
pub(crate) fn register_fn_name(event_type: &str) -> String {
    format!("register_{}_event", snake_case(event_type))
}

/// The candidate closest to `name`, if one is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(name, c), c))
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)` or nothing.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match closest(name, candidates) {
        Some(c) => format!("did you mean `{c}`?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(pascal_case("one-off-job"), "OneOffJob");
        assert_eq!(pascal_case("DRAFT"), "Draft");
        assert_eq!(pascal_case("service_restarted"), "ServiceRestarted");
        assert_eq!(
            event_rust_name("project:one-off-job:pipeline-run:failed"),
            "ProjectOneOffJobPipelineRunFailed"
        );
        assert_eq!(
            register_fn_name("project:one-off-job:pipeline-run:failed"),
            "register_project_one_off_job_pipeline_run_failed_event"
        );
    }

    #[test]
    fn rust_names_become_definition_names_and_back() {
        for (ident, name) in [
            ("Project", "project"),
            ("OneOffJob", "one-off-job"),
            ("PipelineRun", "pipeline-run"),
            ("Step2", "step2"),
        ] {
            assert_eq!(kebab_case(ident), name);
            assert_eq!(
                pascal_case(name),
                ident,
                "the generated code names `{ident}`"
            );
        }
        // Not every Rust name comes back: the derives report it on the name.
        assert_ne!(pascal_case(&kebab_case("HTTPCall")), "HTTPCall");
    }

    #[test]
    fn suggested_spellings() {
        assert_eq!(suggest_kebab("OneOffJob"), "one-off-job");
        assert_eq!(suggest_kebab("My Layer."), "my-layer");
        assert_eq!(suggest_snake("projectUuid"), "project_uuid");
    }

    #[test]
    fn rules() {
        assert!(is_kebab("one-off-job2"));
        assert!(!is_kebab("One"));
        assert!(!is_kebab("a_b"));
        assert!(!is_kebab(""));
        assert!(is_snake("pipeline_run"));
        assert!(!is_snake("pipeline-run"));
        assert!(is_variant("DRAFT"));
        assert!(!is_variant("1X"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("parnet", ["parent", "inline", "key"]),
            Some("parent")
        );
        assert_eq!(closest("zzzzzz", ["parent", "inline"]), None);
    }
}
