//! The layers of every crate in the workspace, checked from the source: no top-level
//! module imports one that imports it back (directly or around a longer loop), and the
//! core's vocabulary (`vocab`) imports nothing else of bakeoff. A module's imports are the
//! `crate::NAME` paths in its files (`use crate::{a, b::c}` groups included).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which top-level modules each top-level module names, with one place it does so.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The crates whose modules are checked, by their `src/` folder.
const CRATES: &[&str] = &[
    "src",
    "crates/core/src",
    "crates/fake-provider/src",
    "crates/testkit/src",
];

/// Modules that must not import any other module of their crate.
const LEAVES: &[(&str, &str)] = &[("crates/core/src", "vocab"), ("crates/core/src", "secret")];

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for krate in CRATES {
        let graph = graph_of(&root.join(krate));
        assert!(
            !graph.is_empty() || *krate != "crates/core/src",
            "no modules found in {krate}"
        );
        for cycle in cycles(&graph) {
            let places: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("  {} -> {} ({})", w[0], w[1], graph[&w[0]][&w[1]]))
                .collect();
            problems.push(format!("{krate}: {}\n{}", cycle.join(" -> "), places.join("\n")));
        }
        for (leaf_crate, leaf) in LEAVES.iter().filter(|(c, _)| c == krate) {
            for (target, place) in graph.get(*leaf).into_iter().flatten() {
                problems.push(format!(
                    "{leaf_crate}: {leaf} must import nothing of bakeoff, but names {target} ({place})"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "module cycles:\n{}", problems.join("\n"));
}

#[test]
fn the_check_sees_a_cycle_and_a_nested_group() {
    let files = [
        ("a.rs", "use crate::b::Thing;\n"),
        ("b/mod.rs", "mod inner;\n"),
        (
            "b/inner.rs",
            "use crate::{c::{X, Y}, vocab};\nfn f() { crate::a::g(); }\n",
        ),
        (
            "c.rs",
            "// crate::a in a comment is not an import\nuse std::fmt;\n",
        ),
        ("vocab.rs", "pub struct V;\n"),
    ];
    let mut graph = Graph::new();
    for (path, text) in files {
        let module = top_module(Path::new(path));
        add_imports(&mut graph, &module, path, text, &known(&files.map(|(p, _)| p)));
    }
    let names = |m: &str| {
        graph
            .get(m)
            .map(|t| t.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(names("a"), vec!["b"]);
    assert_eq!(names("b"), vec!["a", "c", "vocab"]);
    assert!(names("c").is_empty(), "a comment is not an import");
    assert_eq!(
        cycles(&graph),
        vec![vec!["a".to_string(), "b".to_string(), "a".to_string()]]
    );
}

fn known(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| top_module(Path::new(p))).collect()
}

fn graph_of(src: &Path) -> Graph {
    let mut files = Vec::new();
    walk(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(f.strip_prefix(src).unwrap()))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph = Graph::new();
    for file in &files {
        let rel = file.strip_prefix(src).unwrap();
        let module = top_module(rel);
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        add_imports(&mut graph, &module, &rel.display().to_string(), &text, &modules);
    }
    graph
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `agent/parse/claude.rs` and `agent.rs` are both in `agent`.
fn top_module(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// Records every other top-level module that `text` (a file of `module`) names.
fn add_imports(graph: &mut Graph, module: &str, file: &str, text: &str, modules: &BTreeSet<String>) {
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let preceded = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let targets = if let Some(group) = rest.strip_prefix('{') {
                group_heads(group)
            } else {
                vec![ident(rest)]
            };
            for target in targets {
                if target != module && modules.contains(&target) {
                    graph
                        .entry(module.to_string())
                        .or_default()
                        .entry(target)
                        .or_insert_with(|| format!("{file}:{}", n + 1));
                }
            }
        }
    }
}

/// The first names of each path in a `{…}` group: `a::X, b::{Y, Z}, c}` → a, b, c.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_start = true,
            c if at_start && !c.is_whitespace() => {
                heads.push(ident(&group[i..]));
                at_start = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every elementary loop through the graph, each once, starting at its smallest module.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    fn search(graph: &Graph, start: &str, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        let here = path.last().unwrap().clone();
        for next in graph.get(&here).into_iter().flat_map(|t| t.keys()) {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_string());
                out.push(cycle);
            } else if next.as_str() > start && !path.contains(next) {
                path.push(next.clone());
                search(graph, start, path, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    for start in graph.keys() {
        search(graph, start, &mut vec![start.clone()], &mut out);
    }
    out
}
