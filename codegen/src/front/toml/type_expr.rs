//! Field type strings: `uuid`, `job-status`, `list<step>`, `map<list<json>>`.

use crate::diagnostic::{Diagnostic, Diagnostics, Rule};
use crate::ir::{MAX_DEPTH, TypeExpr};
use crate::source::{Loc, Origin};

/// Parses a type string written at `origin` (a TOML string, so its text starts one byte
/// after the opening quote). Reports and returns `None` when it does not parse.
pub(crate) fn parse(
    text: &str,
    origin: &Origin,
    diagnostics: &mut Diagnostics,
) -> Option<TypeExpr> {
    let mut parser = Parser {
        text,
        pos: 0,
        depth: 0,
        origin,
    };
    let result = parser.ty().and_then(|ty| {
        parser.skip_spaces();
        if parser.pos == text.len() {
            Ok(ty)
        } else {
            Err(parser.error(parser.pos, text.len(), "unexpected text after the type"))
        }
    });
    match result {
        Ok(ty) => Some(ty),
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    origin: &'a Origin,
}

impl Parser<'_> {
    fn ty(&mut self) -> Result<TypeExpr, Diagnostic> {
        self.skip_spaces();
        let start = self.pos;
        let name_len = self.text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(self.text.len() - start);
        if name_len == 0 {
            return Err(self.error(start, start + 1, "expected a type name"));
        }
        self.pos += name_len;
        let name = &self.text[start..self.pos];
        self.skip_spaces();
        if !self.text[self.pos..].starts_with('<') {
            return Ok(TypeExpr::Name(Loc::new(
                name.to_owned(),
                self.sub_origin(start, self.pos),
            )));
        }
        let wrap: fn(Box<TypeExpr>) -> TypeExpr = match name {
            "list" => TypeExpr::List,
            "map" => TypeExpr::Map,
            _ => {
                return Err(self.error(
                    start,
                    self.pos,
                    &format!(
                        "`{name}<...>` is not a type; only `list<T>` and `map<T>` take a type"
                    ),
                ));
            }
        };
        self.pos += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                start,
                self.pos,
                &format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        let inner = self.ty()?;
        self.skip_spaces();
        if !self.text[self.pos..].starts_with('>') {
            return Err(self.error(self.pos, self.pos + 1, "expected `>`"));
        }
        self.pos += 1;
        Ok(wrap(Box::new(inner)))
    }

    fn skip_spaces(&mut self) {
        while self.text[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    /// The origin of `text[start..end]`, past the string's opening quote.
    fn sub_origin(&self, start: usize, end: usize) -> Origin {
        let base = self.origin.span.start + 1;
        let limit = self.origin.span.end.max(base);
        Origin {
            file: self.origin.file,
            span: (base + start).min(limit)..(base + end).min(limit),
        }
    }

    fn error(&self, start: usize, end: usize, label: &str) -> Diagnostic {
        let end = end.min(self.text.len()).max(start);
        Diagnostic::error(
            Rule::InvalidType,
            format!("invalid field type `{}`", self.text),
        )
        .label(&self.sub_origin(start, end), label)
        .help(
            "a field type is `uuid`, `string`, `bool`, `int`, `float`, `timestamp`, `json`, \
                 the name of an enum or a type, `list<T>` or `map<T>`",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    fn parse_str(text: &str) -> (Option<TypeExpr>, Diagnostics) {
        let mut sources = SourceMap::new();
        let file = sources.add("t.toml", format!("\"{text}\""));
        let origin = Origin {
            file,
            span: 0..text.len() + 2,
        };
        let mut diagnostics = Diagnostics::new();
        (parse(text, &origin, &mut diagnostics), diagnostics)
    }

    #[test]
    fn nested_collections_parse_with_spans() {
        let (ty, diagnostics) = parse_str("map<list<step>>");
        assert!(diagnostics.is_empty());
        let Some(TypeExpr::Map(inner)) = ty else {
            panic!("not a map: {ty:?}")
        };
        let TypeExpr::List(inner) = *inner else {
            panic!("not a list")
        };
        let TypeExpr::Name(name) = *inner else {
            panic!("not a name")
        };
        assert_eq!(name.value, "step");
        assert_eq!(name.origin.span, 10..14);
    }

    #[test]
    fn malformed_types_are_reported() {
        let too_deep = format!(
            "{}int{}",
            "list<".repeat(MAX_DEPTH + 1),
            ">".repeat(MAX_DEPTH + 1)
        );
        let deep_enough = format!("{}int{}", "list<".repeat(MAX_DEPTH), ">".repeat(MAX_DEPTH));
        assert!(parse_str(&deep_enough).0.is_some());
        for bad in [
            "",
            "list<",
            "list<step",
            "set<int>",
            "int>",
            "list<>",
            &too_deep,
        ] {
            let (ty, diagnostics) = parse_str(bad);
            assert!(ty.is_none(), "{bad:?} parsed");
            assert_eq!(diagnostics.error_count(), 1, "{bad:?}");
        }
    }
}
