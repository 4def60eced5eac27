//! Source files and locations inside them.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub(crate) u32);

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
    /// Byte offset of the start of every line, so a position is found without rescanning.
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(path: PathBuf, text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path,
            text,
            line_starts,
        }
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
        let text = &file.text;
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = file.line_starts.partition_point(|&start| start <= offset);
        let line_start = file.line_starts[line - 1];
        let col = text[line_start..offset].chars().count() + 1;
        (line, col)
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
}
