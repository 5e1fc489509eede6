//! The shape of the source, checked: the library's layers import only downwards (text/secret/clock ← urls
//! ← oauth ← store ← session), the binary's front ends only downwards (view/config/browser ← tui ← cli),
//! no file-level import circle anywhere, and no source file over 650 lines.
//!
//! The check reads `crate::…`, `super::…` and (in a parent module) `child::…` paths in the code of every
//! file under `src/`; a parent's `pub use` re-exports and `mod` lines are its public face, not a use, and
//! unit tests (`#[cfg(test)]` to the end of a file, `tests.rs`) may import anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's top-level modules and their layers: a module may import only from lower layers.
const LIB_LAYERS: &[(&str, u8)] = &[
    ("text", 0),
    ("secret", 0),
    ("clock", 0),
    ("urls", 1),
    ("oauth", 2),
    ("store", 3),
    ("session", 4),
];

/// The binary's top-level modules and their layers.
const BIN_LAYERS: &[(&str, u8)] = &[
    ("view", 0),
    ("config", 0),
    ("browser", 0),
    ("mcp", 0),
    ("clients", 0),
    ("proxy", 1),
    ("verify", 1),
    ("tui", 2),
    ("cli", 3),
];

const MAX_LINES: usize = 650;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Crate {
    Lib,
    Bin,
}

/// A module: which crate, and its path inside it (`["oauth", "token"]`).
type Module = (Crate, Vec<String>);

struct Source {
    module: Module,
    /// The module's code without comments, re-exports and unit tests.
    code: String,
    /// Child modules declared in this file.
    children: Vec<String>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    let top = parts[0].clone();
    let krate = if [
        "main", "cli", "tui", "view", "config", "browser", "mcp", "clients", "proxy", "verify",
    ]
    .contains(&top.as_str())
    {
        Crate::Bin
    } else {
        Crate::Lib
    };
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    (krate, parts)
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (a URL) is rare in code lines that matter here; cutting
            // there only loses text after it.
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Remove every `pub use …;` statement (re-exports).
fn strip_reexports(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(start) = rest.find("pub use ") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find(';').map_or(rest.len(), |e| start + e + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn read_sources() -> Vec<Source> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut sources = Vec::new();
    for path in files {
        let relative = path.strip_prefix(&root).unwrap();
        if relative.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let text = match text.find("#[cfg(test)]") {
            Some(i) => &text[..i],
            None => &text,
        };
        let code = strip_reexports(&strip_comments(text));
        let children = code
            .lines()
            .filter_map(|l| {
                l.trim()
                    .trim_start_matches("pub ")
                    .strip_prefix("mod ")
                    .map(|m| m.trim_end_matches(';').trim().to_owned())
            })
            .collect();
        sources.push(Source {
            module: module_of(relative),
            code,
            children,
        });
    }
    sources
}

/// The paths a file's code names: `crate::a::b`, `super::a`, `child::x`.
fn referenced(source: &Source, modules: &BTreeSet<Module>) -> BTreeSet<Module> {
    let (krate, path) = &source.module;
    let mut found = BTreeSet::new();
    let bytes = source.code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        // A path: identifiers joined by `::`.
        let start = i;
        let mut segments = Vec::new();
        loop {
            let s = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            segments.push(source.code[s..i].to_owned());
            if source.code[i..].starts_with("::") && i + 2 < bytes.len() && is_ident(bytes[i + 2]) {
                i += 2;
            } else {
                break;
            }
        }
        if segments.len() < 2 || i == start {
            continue;
        }
        let base: Vec<String> = match segments[0].as_str() {
            "crate" => Vec::new(),
            "super" => path[..path.len().saturating_sub(1)].to_vec(),
            "self" => path.clone(),
            first if source.children.iter().any(|c| c == first) => {
                let mut p = path.clone();
                p.push(first.to_owned());
                segments.remove(0);
                let mut full = p;
                full.extend(segments.iter().cloned());
                resolve(*krate, &full, modules, &mut found);
                continue;
            }
            _ => continue,
        };
        let mut full = base;
        full.extend(segments[1..].iter().cloned());
        resolve(*krate, &full, modules, &mut found);
    }
    found.remove(&source.module);
    found
}

/// The deepest module that `full` starts with.
fn resolve(krate: Crate, full: &[String], modules: &BTreeSet<Module>, found: &mut BTreeSet<Module>) {
    for len in (1..=full.len()).rev() {
        let candidate = (krate, full[..len].to_vec());
        if modules.contains(&candidate) {
            found.insert(candidate);
            return;
        }
    }
}

fn layer(module: &Module) -> Option<u8> {
    let table = match module.0 {
        Crate::Lib => LIB_LAYERS,
        Crate::Bin => BIN_LAYERS,
    };
    let top = module.1.first()?;
    table.iter().find(|(name, _)| name == top).map(|(_, l)| *l)
}

fn show(module: &Module) -> String {
    let krate = match module.0 {
        Crate::Lib => "lib",
        Crate::Bin => "bin",
    };
    format!("{krate}::{}", module.1.join("::"))
}

#[test]
fn layers_import_only_downwards_and_no_file_imports_in_a_circle() {
    let sources = read_sources();
    let modules: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for source in &sources {
        let targets = referenced(source, &modules);
        if let Some(from) = layer(&source.module) {
            for target in &targets {
                let same_top = target.1.first() == source.module.1.first();
                if let Some(to) = layer(target)
                    && !same_top
                    && to >= from
                {
                    wrong.push(format!("{} imports {}", show(&source.module), show(target)));
                }
            }
        }
        graph.insert(source.module.clone(), targets);
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
    assert!(
        modules.contains(&(Crate::Lib, vec!["session".to_owned()])) && graph.len() > 30,
        "the check found the modules ({} of them)",
        graph.len()
    );

    // Depth-first search for a circle.
    fn visit(
        node: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let at = stack.iter().position(|m| m == node).unwrap_or(0);
                let mut circle = stack[at..].to_vec();
                circle.push(node.clone());
                return Some(circle);
            }
            _ => {}
        }
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, state, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, &graph, &mut state, &mut Vec::new()) {
            let names: Vec<String> = circle.iter().map(show).collect();
            panic!("import circle: {}", names.join(" -> "));
        }
    }
}

#[test]
fn the_checker_sees_a_circle_and_an_upward_import() {
    let modules: BTreeSet<Module> = [
        (Crate::Lib, vec!["oauth".to_owned()]),
        (Crate::Lib, vec!["oauth".to_owned(), "http".to_owned()]),
        (Crate::Lib, vec!["store".to_owned()]),
    ]
    .into_iter()
    .collect();
    let source = Source {
        module: (Crate::Lib, vec!["oauth".to_owned(), "http".to_owned()]),
        code: "use crate::store::Store;\nfn f() { super::discovery::x(); }".to_owned(),
        children: vec![],
    };
    let found = referenced(&source, &modules);
    assert!(found.contains(&(Crate::Lib, vec!["store".to_owned()])), "{found:?}");
    assert!(found.contains(&(Crate::Lib, vec!["oauth".to_owned()])), "{found:?}");
    assert!(layer(&(Crate::Lib, vec!["store".to_owned()])) > layer(&source.module));
}

#[test]
fn no_source_file_is_over_650_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples"] {
        rust_files(&root.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "node_modules"))
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{}: {lines} lines", f.strip_prefix(root).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}

#[test]
fn the_library_uses_no_front_end_crate() {
    // These are optional dependencies behind the `cli` feature; the library must build without them.
    let sources = read_sources();
    let mut found = Vec::new();
    for source in sources.iter().filter(|s| s.module.0 == Crate::Lib) {
        for krate in ["clap", "ratatui", "crossterm", "open", "tracing_subscriber"] {
            if source.code.contains(&format!("{krate}::")) {
                found.push(format!("{} uses {krate}", show(&source.module)));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    for krate in ["clap", "ratatui", "crossterm", "open", "tracing-subscriber"] {
        let line = manifest
            .lines()
            .find(|l| l.starts_with(&format!("{krate} = ")))
            .unwrap_or_else(|| panic!("{krate} is not a dependency"));
        assert!(line.contains("optional = true"), "{krate} must be optional: {line}");
    }
}
