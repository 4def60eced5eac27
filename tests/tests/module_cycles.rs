//! Fails when a module cycle appears in a library crate of the workspace.
//!
//! Within every module, the child modules (each standing for its whole subtree) must not
//! depend on each other in a cycle, a dependency being a `crate::`, `super::` or `self::`
//! path in the code. Test code (`#[cfg(test)]`) is left out: it may import anything.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::mem;
use std::path::{Path, PathBuf};

use syn::visit::{self, Visit};
use syn::{Attribute, Expr, ItemMod, ItemUse, Lit, Meta, UseTree};

/// The library crates checked, by folder. A missing one fails the test rather than being
/// skipped, so that a renamed crate does not silently leave the check.
const CRATES: [&str; 6] = [
    "codegen",
    "codegen/synthetic",
    "event-runtime",
    "event-outbox",
    "event-macros",
    "test-support",
];

/// A module's path from its crate root, like `["check", "fields"]`; the root is empty.
type ModPath = Vec<String>;

/// A path starting with `crate`, `super` or `self`, written in module `from`.
struct Reference {
    from: ModPath,
    path: Vec<String>,
    file: String,
}

/// A crate's modules and the paths they write: all the cycle check needs.
#[derive(Default)]
struct CrateGraph {
    modules: BTreeSet<ModPath>,
    references: Vec<Reference>,
}

/// The edges among the children of one module: from child, to child, evidence.
type Siblings = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn library_crates_have_no_module_cycles() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut failures = Vec::new();
    for name in CRATES {
        let found = if workspace.join(name).is_dir() {
            read_crate(&workspace, &workspace.join(name).join("src/lib.rs"))
        } else {
            Err("folder not found, yet listed in tests/tests/module_cycles.rs".into())
        };
        match found {
            Ok(graph) => failures.extend(cycles(&graph).iter().map(|c| format!("{name}: {c}"))),
            Err(error) => failures.push(format!("{name}: {error}")),
        }
    }
    let report = failures.join("\n");
    assert!(failures.is_empty(), "module cycles:\n{report}");
}

/// One entry per group of tangled siblings (a strongly connected component): its members,
/// then cycles that together take every edge among them, so that each edge to cut is shown.
fn cycles(graph: &CrateGraph) -> Vec<String> {
    let mut groups = Vec::new();
    for (parent, siblings) in sibling_graphs(graph) {
        for component in tangled_components(&siblings) {
            let names: Vec<_> = component.iter().map(|child| name(&parent, child)).collect();
            let mut lines = vec![format!("cycle among {}:", names.join(", "))];
            let mut shown = BTreeSet::new();
            for (from, to) in edges_within(&siblings, &component) {
                if !shown.contains(&(from, to)) {
                    let back = path_to(&search(&siblings, to), from);
                    let cycle = [vec![(from, to)], back].concat();
                    lines.push(describe(&parent, &siblings, &cycle));
                    shown.extend(cycle);
                }
            }
            groups.push(lines.join("\n    "));
        }
    }
    groups
}

/// The edges from members of `component` to members of it.
fn edges_within<'g>(siblings: &'g Siblings, component: &BTreeSet<&str>) -> Vec<(&'g str, &'g str)> {
    let members = siblings
        .iter()
        .filter(|(from, _)| component.contains(from.as_str()));
    let edges =
        members.flat_map(|(from, to)| to.keys().map(move |to| (from.as_str(), to.as_str())));
    edges.filter(|(_, to)| component.contains(to)).collect()
}

/// Lifts each reference to an edge between the two siblings whose subtrees hold its ends.
fn sibling_graphs(graph: &CrateGraph) -> BTreeMap<ModPath, Siblings> {
    let mut graphs: BTreeMap<ModPath, Siblings> = BTreeMap::new();
    for reference in &graph.references {
        let Some(path) = absolute_path(&reference.from, &reference.path) else {
            continue;
        };
        let to = deepest_module(&graph.modules, &path);
        // The paths part below their common module; if one has no step left, it contains
        // the other, which is no cycle.
        let pairs = reference.from.iter().zip(&to);
        let common = pairs.take_while(|(a, b)| a == b).count();
        let (Some(from_child), Some(to_child)) = (reference.from.get(common), to.get(common))
        else {
            continue;
        };
        let evidence = format!("{}: {}", reference.file, reference.path.join("::"));
        let siblings = graphs.entry(to[..common].to_vec()).or_default();
        let targets = siblings.entry(from_child.clone()).or_default();
        targets.entry(to_child.clone()).or_insert(evidence);
    }
    graphs
}

/// Resolves `crate::`, `super::` and `self::` against `from`; `None` above the root.
fn absolute_path(from: &ModPath, path: &[String]) -> Option<ModPath> {
    let (mut absolute, rest) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" | "super" => (from.clone(), path),
        _ => return None,
    };
    let mut rest = rest.iter().peekable();
    while let Some(keyword) = rest.next_if(|s| *s == "self" || *s == "super") {
        if keyword == "super" {
            absolute.pop()?;
        }
    }
    absolute.extend(rest.cloned());
    Some(absolute)
}

/// The longest prefix of `path` that is a module (at worst the crate root).
fn deepest_module(modules: &BTreeSet<ModPath>, path: &[String]) -> ModPath {
    let mut prefixes = (0..=path.len()).rev().map(|n| path[..n].to_vec());
    let module = prefixes.find(|prefix| modules.contains(prefix));
    module.unwrap_or_default()
}

/// A breadth-first search from `start`: each sibling reached, with the one it came from.
fn search<'g>(siblings: &'g Siblings, start: &'g str) -> BTreeMap<&'g str, &'g str> {
    let mut came_from = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in siblings.get(node).into_iter().flat_map(BTreeMap::keys) {
            if next != start && !came_from.contains_key(next.as_str()) {
                came_from.insert(next.as_str(), node);
                queue.push_back(next);
            }
        }
    }
    came_from
}

/// The shortest path, as edges, from a search's start to `goal` (empty if unreached).
fn path_to<'g>(came_from: &BTreeMap<&'g str, &'g str>, goal: &'g str) -> Vec<(&'g str, &'g str)> {
    let mut steps = Vec::new();
    let mut at = goal;
    while let Some(&previous) = came_from.get(at) {
        steps.push((previous, at));
        at = previous;
    }
    steps.reverse();
    steps
}

/// The strongly connected components of more than one sibling: those reaching each other.
fn tangled_components<'g>(siblings: &'g Siblings) -> Vec<BTreeSet<&'g str>> {
    let search_from = |node: &'g String| (node.as_str(), search(siblings, node));
    let searches: BTreeMap<&str, _> = siblings.keys().map(search_from).collect();
    let mut components: Vec<BTreeSet<&str>> = Vec::new();
    for (&node, reached) in &searches {
        let reaches_back = |other: &&str| searches.get(other).is_some_and(|s| s.contains_key(node));
        let mut component: BTreeSet<&str> = reached.keys().copied().filter(reaches_back).collect();
        component.insert(node);
        if component.len() > 1 && !components.contains(&component) {
            components.push(component);
        }
    }
    components
}

/// `a -> b (file: path), b -> a (file: path)`.
fn describe(parent: &ModPath, siblings: &Siblings, cycle: &[(&str, &str)]) -> String {
    let step = |(from, to): &(&str, &str)| {
        let evidence = siblings.get(*from).and_then(|edges| edges.get(*to));
        let evidence = evidence.map_or("?", String::as_str);
        let (from, to) = (name(parent, from), name(parent, to));
        format!("{from} -> {to} ({evidence})")
    };
    cycle.iter().map(step).collect::<Vec<_>>().join(", ")
}

/// A child module named from the crate root, like `check::fields`.
fn name(parent: &ModPath, child: &str) -> String {
    let path = [parent.as_slice(), &[child.to_string()]].concat();
    path.join("::")
}

/// Reads a crate's module tree from its root file, following `mod` declarations.
fn read_crate(workspace: &Path, root: &Path) -> Result<CrateGraph, String> {
    let mut reader = Reader::default();
    reader.pending.push((Vec::new(), root.to_path_buf(), None));
    reader.graph.modules.insert(Vec::new());
    while let Some((module, file, relative)) = reader.pending.pop() {
        let shown = file.strip_prefix(workspace).unwrap_or(&file);
        reader.file = shown.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", reader.file))?;
        let ast =
            syn::parse_file(&text).map_err(|e| format!("cannot parse {}: {e}", reader.file))?;
        (reader.module, reader.relative) = (module, relative);
        reader.dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        reader.visit_file(&ast);
    }
    reader.error.map_or(Ok(reader.graph), Err)
}

/// Walks a crate's files, recording references and queueing the files of `mod x;`.
/// As in rustc, `mod x;` in `a/foo.rs` is `a/foo/x.rs` (`relative` is `foo`), while a
/// `#[path]` there is relative to `a/` (`dir`).
#[derive(Default)]
struct Reader {
    graph: CrateGraph,
    pending: Vec<(ModPath, PathBuf, Option<String>)>,
    file: String,
    module: ModPath,
    dir: PathBuf,
    relative: Option<String>,
    error: Option<String>,
}

impl Reader {
    fn record(&mut self, path: Vec<String>) {
        let first = path.first().map(String::as_str);
        if matches!(first, Some("crate" | "self" | "super")) {
            let (from, file) = (self.module.clone(), self.file.clone());
            self.graph.references.push(Reference { from, path, file });
        }
    }

    /// The directory holding the files of this module's children.
    fn children_dir(&self) -> PathBuf {
        let relative = self.relative.as_deref().unwrap_or("");
        self.dir.join(relative)
    }

    fn queue_file(&mut self, module: ModPath, name: &str, path_attr: Option<String>) {
        let dir = self.children_dir();
        let candidates = match path_attr {
            Some(path) => vec![(self.dir.join(path), None)],
            None => vec![
                (dir.join(format!("{name}.rs")), Some(name.to_string())),
                (dir.join(name).join("mod.rs"), None),
            ],
        };
        match candidates.into_iter().find(|(file, _)| file.is_file()) {
            Some((file, relative)) => self.pending.push((module, file, relative)),
            None => {
                let error = format!("{}: no file found for `mod {name};`", self.file);
                self.error.get_or_insert(error);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Reader {
    fn visit_item_mod(&mut self, item: &'ast ItemMod) {
        if is_cfg_test(&item.attrs) {
            return;
        }
        let name = item.ident.to_string();
        let module = [self.module.clone(), vec![name.clone()]].concat();
        self.graph.modules.insert(module.clone());
        let path_attr = path_attribute(&item.attrs);
        let Some((_, items)) = &item.content else {
            return self.queue_file(module, &name, path_attr);
        };
        // An inline module is read in place, its children's files one directory deeper.
        let dir = path_attr.map_or(self.children_dir().join(&name), |path| self.dir.join(path));
        let outer_module = mem::replace(&mut self.module, module);
        let outer_dir = mem::replace(&mut self.dir, dir);
        let outer_relative = self.relative.take();
        items.iter().for_each(|item| self.visit_item(item));
        (self.module, self.dir, self.relative) = (outer_module, outer_dir, outer_relative);
    }

    fn visit_item_use(&mut self, item: &'ast ItemUse) {
        for path in flatten_use(&item.tree, &[]) {
            self.record(path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() {
            self.record(path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        visit::visit_path(self, path);
    }
}

/// One path per name a `use` brings in; `self` and `*` stand for the prefix before them.
fn flatten_use(tree: &UseTree, prefix: &[String]) -> Vec<Vec<String>> {
    let with = |ident: &syn::Ident| [prefix, &[ident.to_string()]].concat();
    let nested = |tree| flatten_use(tree, prefix);
    match tree {
        UseTree::Path(p) => flatten_use(&p.tree, &with(&p.ident)),
        UseTree::Name(n) if n.ident == "self" => vec![prefix.to_vec()],
        UseTree::Name(n) => vec![with(&n.ident)],
        UseTree::Rename(r) => vec![with(&r.ident)],
        UseTree::Glob(_) => vec![prefix.to_vec()],
        UseTree::Group(g) => g.items.iter().flat_map(nested).collect(),
    }
}

/// Whether the attributes hold `#[cfg(test)]`.
fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        Meta::List(list) => list.path.is_ident("cfg") && list.tokens.to_string() == "test",
        _ => false,
    })
}

/// The file named by `#[path = "..."]`, if any.
fn path_attribute(attrs: &[Attribute]) -> Option<String> {
    let attr = attrs.iter().find(|a| a.path().is_ident("path"))?;
    match &attr.meta.require_name_value().ok()?.value {
        Expr::Lit(expr) => match &expr.lit {
            Lit::Str(path) => Some(path.value()),
            _ => None,
        },
        _ => None,
    }
}

/// Builds a graph from module names and `(module, path)` references, written with `::`.
fn graph(modules: &[&str], references: &[(&str, &str)]) -> CrateGraph {
    let split = |path: &str| path.split("::").map(String::from).collect();
    let mut graph = CrateGraph::default();
    graph.modules.extend(modules.iter().map(|m| split(m)));
    graph.modules.insert(Vec::new());
    for &(from, path) in references {
        let (file, from, path) = (format!("{from}.rs"), split(from), split(path));
        graph.references.push(Reference { from, path, file });
    }
    graph
}

#[test]
fn sibling_cycle_is_found() {
    let modules = ["check", "check::fields", "check::layers"];
    let references = [
        ("check::fields", "super::layers::Layer"),
        ("check::layers", "crate::check::fields"),
    ];
    let expected = "cycle among check::fields, check::layers:\n    \
        check::fields -> check::layers (check::fields.rs: super::layers::Layer), \
        check::layers -> check::fields (check::layers.rs: crate::check::fields)";
    assert_eq!(cycles(&graph(&modules, &references)), [expected]);
}

#[test]
fn parent_and_child_using_each_other_is_no_cycle() {
    let references = [
        ("generate", "self::rust::emit"),
        ("generate::rust", "super::Options"),
    ];
    assert!(cycles(&graph(&["generate", "generate::rust"], &references)).is_empty());
}

#[test]
fn cousin_cycle_counts_between_the_subtrees() {
    let modules = ["a", "a::x", "b", "b::y", "c"];
    let references = [
        ("a::x", "crate::b::y::T"),
        ("b::y", "crate::c::f"),
        ("c", "crate::a::x::g"),
    ];
    let expected = "cycle among a, b, c:\n    a -> b (a::x.rs: crate::b::y::T), \
        b -> c (b::y.rs: crate::c::f), c -> a (c.rs: crate::a::x::g)";
    assert_eq!(cycles(&graph(&modules, &references)), [expected]);
}

#[test]
fn glob_import_of_the_parent_is_no_cycle() {
    let item = syn::parse_str::<ItemUse>("use super::{*, fields::check};");
    let paths = flatten_use(&item.expect("valid use item").tree, &[]);
    assert_eq!(paths, [vec!["super"], vec!["super", "fields", "check"]]);
    let references = [("check", "self::fields::check"), ("check::fields", "super")];
    assert!(cycles(&graph(&["check", "check::fields"], &references)).is_empty());
}
