//! Files that hold a test runner's settings beside everything else: `pyproject.toml`
//! (`[tool.pytest…]`, `[tool.tox]`), `setup.cfg` (`[tool:pytest]`, `[pytest]`) and
//! `package.json` (`jest`, `mocha`, `ava`, `vitest`, `scripts.test`). The graded tree
//! gets the lane's file with those sections as the base had them, so a lane keeps its
//! dependency bump but not its `addopts = --deselect …`.

use toml_edit::DocumentMut;

/// TOML tables of `pyproject.toml` that configure how tests run.
const PYPROJECT_TABLES: &[&[&str]] = &[&["tool", "pytest"], &["tool", "tox"], &["tool", "nox"]];

/// INI sections of `setup.cfg` that configure pytest.
const SETUP_CFG_SECTIONS: &[&str] = &["tool:pytest", "pytest"];

/// `package.json` keys that configure or start the tests.
const PACKAGE_JSON_KEYS: &[&[&str]] = &[&["jest"], &["mocha"], &["ava"], &["vitest"], &["scripts", "test"]];

/// What blending made of one file: its bytes for the graded tree and what the lane had
/// changed in the runner's sections (empty when nothing).
pub struct Blended {
    pub bytes: Vec<u8>,
    pub changed: Vec<String>,
}

/// `Some` for a file of mixed settings: the lane's content with the base's runner
/// sections. `None` for any other file. A side that cannot be read is taken as the base
/// whole, and said.
pub fn blend(path: &str, base: Option<&[u8]>, lane: Option<&[u8]>) -> Option<Blended> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let kind = match name {
        "pyproject.toml" => Kind::Pyproject,
        "setup.cfg" => Kind::SetupCfg,
        "package.json" => Kind::PackageJson,
        _ => return None,
    };
    // A file the lane deleted keeps the base's runner sections, and says so.
    let lane = lane.unwrap_or_default();
    let base = base.unwrap_or_default();
    let unreadable = || Blended {
        bytes: base.to_vec(),
        changed: vec![format!("{name} could not be read, so the base's was used whole")],
    };
    let (Ok(base_text), Ok(lane_text)) = (std::str::from_utf8(base), std::str::from_utf8(lane)) else {
        return Some(unreadable());
    };
    let blended = match kind {
        Kind::Pyproject => pyproject(base_text, lane_text),
        Kind::SetupCfg => Some(setup_cfg(base_text, lane_text)),
        Kind::PackageJson => package_json(base_text, lane_text),
    };
    Some(blended.unwrap_or_else(unreadable))
}

enum Kind {
    Pyproject,
    SetupCfg,
    PackageJson,
}

fn pyproject(base: &str, lane: &str) -> Option<Blended> {
    let base_doc: DocumentMut = base.parse().ok()?;
    let mut doc: DocumentMut = lane.parse().ok()?;
    // Compared as values: an edited document prints its tables apart from their parents.
    let base_value: toml::Table = base.parse().ok()?;
    let lane_value: toml::Table = lane.parse().ok()?;
    let mut changed = Vec::new();
    for table in PYPROJECT_TABLES {
        let (parent, key) = table.split_at(table.len() - 1);
        if value_at(&base_value, table) == value_at(&lane_value, table) {
            continue;
        }
        changed.push(format!("[{}]", table.join(".")));
        match item_at(base_doc.as_item(), table) {
            Some(item) => {
                // Parents the lane's file lacks are made, as headerless tables.
                // Every runner table sits under one parent (`tool`), which the lane's
                // file may lack: it is made as a headerless table.
                let parent_key = parent[0];
                if !doc.contains_key(parent_key) {
                    let mut made = toml_edit::Table::new();
                    made.set_implicit(true);
                    doc.insert(parent_key, toml_edit::Item::Table(made));
                }
                if let Some(t) = doc.get_mut(parent_key).and_then(|i| i.as_table_like_mut()) {
                    t.insert(key[0], item.clone());
                }
            }
            None => {
                if let Some(t) = item_at_mut(doc.as_item_mut(), parent).and_then(|p| p.as_table_like_mut()) {
                    t.remove(key[0]);
                }
            }
        }
    }
    Some(Blended {
        bytes: doc.to_string().into_bytes(),
        changed,
    })
}

fn value_at<'a>(table: &'a toml::Table, path: &[&str]) -> Option<&'a toml::Value> {
    let (first, rest) = path.split_first()?;
    let mut value = table.get(*first)?;
    for key in rest {
        value = value.as_table()?.get(*key)?;
    }
    Some(value)
}

fn item_at<'a>(mut item: &'a toml_edit::Item, path: &[&str]) -> Option<&'a toml_edit::Item> {
    for key in path {
        item = item.as_table_like()?.get(key)?;
    }
    Some(item)
}

fn item_at_mut<'a>(mut item: &'a mut toml_edit::Item, path: &[&str]) -> Option<&'a mut toml_edit::Item> {
    for key in path {
        item = item.as_table_like_mut()?.get_mut(key)?;
    }
    Some(item)
}

/// `setup.cfg` by hand: INI has no crate that keeps a file as written, and sections are
/// whole lines from one `[name]` header to the next.
fn setup_cfg(base: &str, lane: &str) -> Blended {
    let base_sections = ini_sections(base);
    let mut out = String::new();
    let mut changed = Vec::new();
    let mut kept = Vec::new();
    for (name, text) in ini_sections(lane) {
        let runner = name.as_deref().is_some_and(|n| SETUP_CFG_SECTIONS.contains(&n));
        if !runner {
            out.push_str(&text);
            continue;
        }
        let theirs = base_sections
            .iter()
            .find(|(n, _)| n == &name)
            .map(|(_, t)| t.as_str());
        if theirs != Some(text.as_str()) {
            changed.push(format!("[{}]", name.clone().unwrap_or_default()));
        }
        out.push_str(theirs.unwrap_or_default());
        kept.push(name);
    }
    // A runner section the lane removed comes back.
    for (name, text) in &base_sections {
        let runner = name.as_deref().is_some_and(|n| SETUP_CFG_SECTIONS.contains(&n));
        if runner && !kept.contains(name) {
            changed.push(format!("[{}]", name.clone().unwrap_or_default()));
            out.push_str(text);
        }
    }
    Blended {
        bytes: out.into_bytes(),
        changed,
    }
}

/// (section name, its text with the header) in order; `None` for lines before any.
fn ini_sections(text: &str) -> Vec<(Option<String>, String)> {
    let mut sections: Vec<(Option<String>, String)> = vec![(None, String::new())];
    for line in text.split_inclusive('\n') {
        if let Some(name) = ini_header(line) {
            sections.push((Some(name), String::new()));
        }
        if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
        }
    }
    sections
}

/// The section a line opens, read as pytest's INI parser (iniconfig) reads it: only an
/// unindented line opens one (an indented one continues the value above), and a comment
/// after the header does not hide it.
fn ini_header(line: &str) -> Option<String> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let code = line.split(['#', ';']).next().unwrap_or_default().trim();
    let name = code.strip_prefix('[')?.strip_suffix(']')?;
    Some(name.trim().to_string())
}

fn package_json(base: &str, lane: &str) -> Option<Blended> {
    let base_doc: serde_json::Value = if base.trim().is_empty() {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_str(base).ok()?
    };
    let mut doc: serde_json::Value = serde_json::from_str(lane).ok()?;
    let mut changed = Vec::new();
    for key in PACKAGE_JSON_KEYS {
        let pointer = format!("/{}", key.join("/"));
        let theirs = base_doc.pointer(&pointer).cloned();
        if doc.pointer(&pointer) == theirs.as_ref() {
            continue;
        }
        changed.push(format!("\"{}\"", key.join(".")));
        let (parent, last) = key.split_at(key.len() - 1);
        let parent_pointer = format!("/{}", parent.join("/"));
        let parent = match parent.is_empty() {
            true => Some(&mut doc),
            false => doc.pointer_mut(&parent_pointer),
        };
        if let Some(serde_json::Value::Object(map)) = parent {
            match theirs {
                Some(v) => map.insert(last[0].to_string(), v),
                None => map.remove(last[0]),
            };
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&doc).ok()?;
    bytes.push(b'\n');
    Some(Blended { bytes, changed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: &Blended) -> String {
        String::from_utf8(b.bytes.clone()).unwrap()
    }

    #[test]
    fn pyproject_keeps_the_lanes_project_and_the_bases_pytest_settings() {
        let base =
            "[project]\nname = \"p\"\nversion = \"1.0\"\n\n[tool.pytest.ini_options]\naddopts = \"-q\"\n";
        let lane = "[project]\nname = \"p\"\nversion = \"1.1\"\n\n[tool.pytest.ini_options]\naddopts = \"-q --deselect tests/test_a.py::test_x\"\n";
        let b = blend("pyproject.toml", Some(base.as_bytes()), Some(lane.as_bytes())).unwrap();
        assert!(text(&b).contains("version = \"1.1\""), "{}", text(&b));
        assert!(!text(&b).contains("deselect"), "{}", text(&b));
        assert_eq!(b.changed, ["[tool.pytest]"]);

        // A pytest table the lane added is dropped; an untouched one says nothing.
        let lane = "[project]\nname = \"p\"\n\n[tool.pytest.ini_options]\naddopts = \"-p no:x\"\n";
        let b = blend(
            "pyproject.toml",
            Some(b"[project]\nname = \"p\"\n"),
            Some(lane.as_bytes()),
        )
        .unwrap();
        assert!(!text(&b).contains("no:x"), "{}", text(&b));
        let b = blend("pyproject.toml", Some(base.as_bytes()), Some(base.as_bytes())).unwrap();
        assert!(b.changed.is_empty());
    }

    #[test]
    fn setup_cfg_sections_come_back_as_the_base_had_them() {
        let base = "[metadata]\nname = p\n\n[tool:pytest]\ntestpaths = tests\n";
        let lane = "[metadata]\nname = p2\n\n[tool:pytest]\ntestpaths = tests\naddopts = -k 'not slow'\n";
        let b = blend("setup.cfg", Some(base.as_bytes()), Some(lane.as_bytes())).unwrap();
        assert_eq!(
            text(&b),
            "[metadata]\nname = p2\n\n[tool:pytest]\ntestpaths = tests\n"
        );
        assert_eq!(b.changed, ["[tool:pytest]"]);
        let removed = blend(
            "setup.cfg",
            Some(base.as_bytes()),
            Some(b"[metadata]\nname = p\n\n"),
        )
        .unwrap();
        assert!(text(&removed).contains("[tool:pytest]"), "{}", text(&removed));
    }

    #[test]
    fn setup_cfg_headers_are_read_as_pytest_reads_them() {
        let base = "[metadata]\nname = p\n\n[tool:pytest]\ntestpaths = tests\n";
        // A comment after the header, and an indented pseudo-header that pytest reads as
        // the value above continuing.
        for lane in [
            "[metadata]\nname = p\n\n[tool:pytest] # lint\naddopts = -p pkg.helper\n",
            "[metadata]\nname = p\n\n[tool:pytest]\ntestpaths = tests\n  [options]\naddopts = -p pkg.helper\n",
        ] {
            let b = blend("setup.cfg", Some(base.as_bytes()), Some(lane.as_bytes())).unwrap();
            assert!(!text(&b).contains("pkg.helper"), "{}", text(&b));
            assert_eq!(b.changed, ["[tool:pytest]"], "{lane}");
        }
    }

    #[test]
    fn a_deleted_file_keeps_the_bases_runner_sections() {
        let base = "[project]\nname = \"p\"\n\n[tool.pytest.ini_options]\nfilterwarnings = [\"error\"]\n";
        let b = blend("pyproject.toml", Some(base.as_bytes()), None).unwrap();
        assert!(text(&b).contains("filterwarnings"), "{}", text(&b));
        assert!(!text(&b).contains("[project]"), "{}", text(&b));
        assert_eq!(b.changed, ["[tool.pytest]"]);
    }

    #[test]
    fn package_json_test_script_and_jest_settings_are_the_bases() {
        let base = r#"{"name":"p","version":"1.0.0","scripts":{"test":"jest","build":"tsc"}}"#;
        let lane = r#"{"name":"p","version":"1.0.1","scripts":{"test":"exit 0","build":"tsc -b"},"jest":{"testPathIgnorePatterns":["."]}}"#;
        let b = blend("web/package.json", Some(base.as_bytes()), Some(lane.as_bytes())).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&b.bytes).unwrap();
        assert_eq!(doc["version"], "1.0.1");
        assert_eq!(doc["scripts"]["build"], "tsc -b");
        assert_eq!(doc["scripts"]["test"], "jest");
        assert!(doc.get("jest").is_none());
        assert_eq!(b.changed, ["\"jest\"", "\"scripts.test\""]);
    }

    #[test]
    fn other_files_are_not_blended_and_unreadable_ones_are_the_bases() {
        assert!(blend("src/lib.py", Some(b"a"), Some(b"b")).is_none());
        let b = blend("pyproject.toml", Some(b"[project]\n"), Some(b"[project\n")).unwrap();
        assert_eq!(b.bytes, b"[project]\n");
        assert!(b.changed[0].contains("could not be read"), "{:?}", b.changed);
    }
}
