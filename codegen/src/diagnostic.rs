//! Problems found in definitions, collected rather than thrown, and rendered with the
//! source snippet they point at.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use crate::source::{FileId, Origin, SourceMap};
use crate::text::plural;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Reported; the definitions are still usable.
    Warning,
    /// The definitions cannot be used until it is fixed.
    Error,
}

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// The rule a diagnostic reports on. Its code is stable: tests and users may match on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in documentation order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable code, e.g. `unknown-key`.
            pub fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code,)* }
            }
        }
    };
}

rules! {
    /// A file could not be read.
    Io => "io",
    /// A file is not UTF-8.
    Encoding => "encoding",
    /// A file is not valid TOML.
    TomlSyntax => "toml-syntax",
    /// A Rust source (`--rust-src`) that does not parse.
    RustSyntax => "rust-syntax",
    /// A key that the format does not define.
    UnknownKey => "unknown-key",
    /// A value of the wrong kind (a string where a boolean belongs, ...).
    InvalidValue => "invalid-value",
    /// A field type that does not parse (`list<`).
    InvalidType => "invalid-type",
    /// No `[catalog]` table, or more than one.
    Catalog => "catalog",
    /// A name that breaks the naming rules.
    Naming => "naming",
    /// Two definitions of one name.
    Duplicate => "duplicate",
    /// Two definitions that would produce the same Rust name.
    RustNameClash => "rust-name-clash",
    /// A type, enum or parent name that is not defined.
    UnknownName => "unknown-name",
    /// A layer that is (indirectly) its own parent.
    ParentCycle => "parent-cycle",
    /// An inconsistent combination of layer settings.
    LayerShape => "layer-shape",
    /// An event type whose prefix matches no layer, several, or an abstract one.
    EventLayer => "event-layer",
    /// An event type longer than the `event_types` column allows.
    EventTypeLength => "event-type-length",
    /// A field declared twice in one payload object.
    FieldRedeclared => "field-redeclared",
    /// A name reserved for the event itself (`uuid`, `type`, `version`, `timestamp`).
    ReservedName => "reserved-name",
    /// Two fields stored in one column with different types.
    ColumnType => "column-type",
    /// Two fields of one event stored in one column.
    ColumnClash => "column-clash",
    /// A telemetry policy that cannot apply to its field.
    TelemetryPolicy => "telemetry-policy",
    /// A field's `example` that is not a value of its type.
    Example => "example",
    /// Enum variants missing or repeated.
    EnumVariants => "enum-variants",
    /// Inconsistent event settings (client on a stored event, version 0, ...).
    EventShape => "event-shape",
    /// A deprecation that names a missing event or a malformed date.
    Deprecation => "deprecation",
    /// Generating would take back something already emitted into the migrations (a
    /// stored event type removed without deprecation, a column retyped), or rewrite a
    /// published schema file (a change without a version bump).
    AppendOnly => "append-only",
    /// The lock file beside the definitions is not a lock this eventgen reads.
    Lock => "lock",
    /// A breaking change to an event's payloads (against the lock) without a version bump,
    /// or a version lower than the lock's.
    VersionBump => "version-bump",
    /// A privacy-relevant change to a field (against the lock) without a new
    /// `privacy_reviewed`.
    PrivacyReview => "privacy-review",
    /// An event the lock records was removed without being deprecated first.
    EventRemoved => "event-removed",
    /// A deprecated event past its sunset date.
    Sunset => "sunset",
    /// An event's chat `message` that does not parse, reads what its notification payload
    /// does not have, or belongs to an analytics-only event.
    Message => "message",
    /// A definition without a description.
    MissingDescription => "missing-description",
}

/// One labelled place in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub origin: Origin,
    /// What to say there.
    pub text: String,
}

/// One problem: what is wrong, where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The rule broken.
    pub rule: Rule,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The places involved; the first is the primary one.
    pub labels: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(rule: Rule, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, rule, message)
    }

    /// A new warning.
    pub fn warning(rule: Rule, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, rule, message)
    }

    fn new(severity: Severity, rule: Rule, message: impl Into<String>) -> Self {
        Self {
            severity,
            rule,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a labelled place.
    #[must_use]
    pub fn label(mut self, origin: &Origin, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            origin: origin.clone(),
            text: text.into(),
        });
        self
    }

    /// Says what to do.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The primary place, if any.
    pub fn primary(&self) -> Option<&Origin> {
        self.labels.first().map(|l| &l.origin)
    }
}

/// An accumulator of diagnostics: every phase adds to it, nothing stops at the first problem.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Whether any error (not warning) was reported.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    /// All of them, sorted by file and position (then errors first), for stable output.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by_key(|d| {
            let place = d.primary().map(|o| (o.file, o.span.start));
            (place, std::cmp::Reverse(d.severity))
        });
        items
    }

    /// Iterates in the order they were reported.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.items.extend(iter);
    }
}

/// How to draw diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Colours and Unicode box drawing, for terminals.
    Color,
    /// No escape codes, ASCII only: for logs, pipes and `NO_COLOR`.
    Plain,
}

impl Style {
    /// Colour on a terminal unless `NO_COLOR` is set; plain otherwise.
    pub fn detect(stream_is_terminal: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if stream_is_terminal && !no_color {
            Style::Color
        } else {
            Style::Plain
        }
    }
}

/// Renders diagnostics with their source snippets (file:line:column, labels, help).
pub fn render(diagnostics: &Diagnostics, sources: &SourceMap, style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::none(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics.sorted() {
        if has_far_label(diagnostic, sources) {
            out.push_str(&render_without_snippet(diagnostic, sources));
            continue;
        }
        let report = Report::new(diagnostic, sources);
        if handler.render_report(&mut out, &report).is_err() {
            // Rendering into a String cannot fail; keep the message if it somehow does.
            out.push_str(&diagnostic.message);
            out.push('\n');
        }
        out.push('\n');
    }
    let (errors, warnings) = (diagnostics.error_count(), diagnostics.warning_count());
    if errors + warnings > 0 {
        out.push_str(&format!(
            "{} and {}\n",
            plural(errors, "error"),
            plural(warnings, "warning")
        ));
    }
    out
}

/// Columns past which snippets are not drawn: miette cannot pad that far (it panics past
/// 65,535), and such a line is no use on a screen anyway.
const MAX_SNIPPET_COLUMN: usize = 10_000;

fn has_far_label(diagnostic: &Diagnostic, sources: &SourceMap) -> bool {
    diagnostic.labels.iter().any(|label| {
        let (_, start) = sources.line_col(label.origin.file, label.origin.span.start);
        let (_, end) = sources.line_col(label.origin.file, label.origin.span.end);
        start.max(end) > MAX_SNIPPET_COLUMN
    })
}

/// The same content as a report, with places as `file:line:column` instead of snippets.
fn render_without_snippet(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let marker = match diagnostic.severity {
        Severity::Error => "x",
        Severity::Warning => "!",
    };
    let mut out = format!(
        "  {marker} [{}] {}
",
        diagnostic.rule.code(),
        diagnostic.message
    );
    for label in &diagnostic.labels {
        out.push_str(&format!(
            "    at {}: {}
",
            sources.describe(&label.origin),
            label.text
        ));
    }
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!(
            "  help: {help}
"
        ));
    }
    out.push('\n');
    out
}

/// A diagnostic seen through miette: labels in the primary file are drawn on its snippet,
/// labels in other files become related reports with their own snippet.
struct Report {
    message: String,
    code: &'static str,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(diagnostic: &Diagnostic, sources: &SourceMap) -> Self {
        let severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut files: Vec<FileId> = Vec::new();
        for label in &diagnostic.labels {
            if !files.contains(&label.origin.file) {
                files.push(label.origin.file);
            }
        }
        let mut file_reports = files.iter().map(|&file| {
            let labels = diagnostic
                .labels
                .iter()
                .filter(|l| l.origin.file == file)
                .enumerate()
                .map(|(i, l)| {
                    let span = l.origin.span.start..l.origin.span.end.max(l.origin.span.start);
                    let text = (!l.text.is_empty()).then(|| l.text.clone());
                    if i == 0 {
                        LabeledSpan::new_primary_with_span(text, span)
                    } else {
                        LabeledSpan::new_with_span(text, span)
                    }
                })
                .collect();
            (named_source(sources, file), labels)
        });
        let (source, labels) = match file_reports.next() {
            Some((source, labels)) => (Some(source), labels),
            None => (None, Vec::new()),
        };
        let related = file_reports
            .map(|(source, labels)| Report {
                message: "also involved".to_owned(),
                code: diagnostic.rule.code(),
                severity: miette::Severity::Advice,
                help: None,
                source: Some(source),
                labels,
                related: Vec::new(),
            })
            .collect();
        Report {
            message: diagnostic.message.clone(),
            code: diagnostic.rule.code(),
            severity,
            help: diagnostic.help.clone(),
            source,
            labels,
            related,
        }
    }
}

fn named_source(sources: &SourceMap, file: FileId) -> NamedSource<Arc<str>> {
    let f = sources.file(file);
    NamedSource::new(f.path.display().to_string(), f.text.clone()).with_language("toml")
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    // The rule's code leads the message (miette would put it on a line of its own).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}
