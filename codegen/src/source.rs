//! Source files and locations inside them.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub(crate) u32);

impl FileId {
    /// The definitions every catalog has (the operational events, [`BUILT_IN_TEXT`]): in
    /// every map, though [`SourceMap::files`] does not list it.
    pub const BUILT_IN: FileId = FileId(u32::MAX);
}

/// The text of the built-in definitions file ([`FileId::BUILT_IN`]).
pub(crate) const BUILT_IN_TEXT: &str = include_str!("operational.toml");

/// The path diagnostics show for the built-in definitions file.
pub(crate) const BUILT_IN_PATH: &str = "<built-in>/operational.toml";

/// Where a definition came from: a byte range in one source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file.
    pub file: FileId,
    /// Byte offsets into the file's text.
    pub span: Range<usize>,
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub origin: Origin,
}

impl<T> Loc<T> {
    /// Wraps `value` written at `origin`.
    pub fn new(value: T, origin: Origin) -> Self {
        Self { value, origin }
    }
}

impl<T> std::ops::Deref for Loc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// One source file: its path as the user named it, and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path, as given (kept relative so diagnostics and outputs do not depend on the machine).
    pub path: PathBuf,
    /// The text. Invalid UTF-8 was replaced (and reported) when the file was read.
    pub text: Arc<str>,
    /// Where its lines start, so a position is found without rescanning.
    lines: Lines,
}

impl SourceFile {
    fn new(path: PathBuf, text: Arc<str>) -> Self {
        let lines = Lines::new(&text);
        Self { path, text, lines }
    }
}

/// The byte offset of the start of every line of a text: positions from byte offsets to
/// 1-based lines and character columns, and back.
#[derive(Debug, Clone)]
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    /// The lines of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    /// 1-based line and column (in characters) of a byte offset into `text` (inside a
    /// character: its start; past the end: the end).
    pub(crate) fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        let col = text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// The byte offset of a 1-based line and column (in characters) of `text`: a column
    /// past the end of its line stops after the line break, a line past the end at the end.
    pub(crate) fn offset(&self, text: &str, line: usize, column: usize) -> usize {
        let Some(&start) = self.starts.get(line.max(1) - 1) else {
            return text.len();
        };
        let end = self.starts.get(line.max(1)).copied().unwrap_or(text.len());
        start
            + text[start..end]
                .chars()
                .take(column.max(1) - 1)
                .map(char::len_utf8)
                .sum::<usize>()
    }
}

/// All source files of one run. Diagnostics refer to files through [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 2^32 source files"));
        self.files.push(SourceFile::new(path.into(), text.into()));
        id
    }

    /// The file with this id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        if id == FileId::BUILT_IN {
            static BUILT_IN: std::sync::LazyLock<SourceFile> = std::sync::LazyLock::new(|| {
                SourceFile::new(BUILT_IN_PATH.into(), BUILT_IN_TEXT.into())
            });
            return &BUILT_IN;
        }
        &self.files[id.0 as usize]
    }

    /// The path of the file with this id.
    pub fn path(&self, id: FileId) -> &Path {
        &self.file(id).path
    }

    /// All files, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let file = self.file(id);
        file.lines.line_col(&file.text, offset)
    }

    /// `path:line:column` of an origin, as diagnostics print it.
    pub fn describe(&self, origin: &Origin) -> String {
        let (line, col) = self.line_col(origin.file, origin.span.start);
        format!("{}:{line}:{col}", self.path(origin.file).display())
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_1_based_lines_and_character_columns() {
        let mut sources = SourceMap::new();
        let file = sources.add("a.toml", "ab\né = 1\n\nx");
        assert_eq!(sources.line_col(file, 0), (1, 1));
        assert_eq!(sources.line_col(file, 2), (1, 3));
        assert_eq!(sources.line_col(file, 3), (2, 1));
        assert_eq!(
            sources.line_col(file, 6),
            (2, 3),
            "é is one character of two bytes"
        );
        assert_eq!(
            sources.line_col(file, 4),
            (2, 1),
            "inside a character: its start"
        );
        assert_eq!(sources.line_col(file, 10), (3, 1));
        assert_eq!(sources.line_col(file, 11), (4, 1));
        assert_eq!(sources.line_col(file, 99), (4, 2), "past the end: the end");
    }

    #[test]
    fn offsets_come_back_from_their_positions() {
        let text = "ab\né = 1\n\nx";
        let lines = Lines::new(text);
        for offset in [0, 2, 3, 5, 6, 10, 11, 12] {
            let (line, column) = lines.line_col(text, offset);
            assert_eq!(lines.offset(text, line, column), offset, "{line}:{column}");
        }
        assert_eq!(
            lines.offset(text, 1, 9),
            3,
            "past the line: after its break"
        );
        assert_eq!(
            lines.offset(text, 9, 1),
            text.len(),
            "past the text: its end"
        );
    }
}
