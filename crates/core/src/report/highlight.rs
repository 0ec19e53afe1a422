//! A small syntax highlighter for the HTML report's diffs: keywords, strings, numbers
//! and comments of common languages, one line at a time, as escaped HTML with spans.
//!
//! Why not a real highlighter such as syntect: it would bring a regex engine and
//! megabytes of grammar dumps into the `bakeoff` binary for a page that only needs to be
//! easier to read than plain text, and a diff shows fragments of files anyway (a hunk
//! can start inside a block comment or a string that no line-level tool can know of).
//! So this one is per line, knows no nesting, and only ever colours: the text itself is
//! always the line, escaped.

use crate::markup;

/// What a language looks like to the highlighter.
struct Lang {
    keywords: &'static [&'static str],
    /// Line comments: `//`, `#`, `--`.
    line_comment: &'static [&'static str],
    /// Block comment delimiters, when the language has them (coloured within a line).
    block_comment: Option<(&'static str, &'static str)>,
    /// Quote characters that open strings.
    quotes: &'static [char],
}

const RUST: Lang = Lang {
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
        "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while",
    ],
    line_comment: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"'],
};

const PYTHON: Lang = Lang {
    keywords: &[
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
        "except", "False", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "None",
        "nonlocal", "not", "or", "pass", "raise", "return", "True", "try", "while", "with", "yield",
    ],
    line_comment: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
};

const C_LIKE: Lang = Lang {
    keywords: &[
        "abstract",
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "default",
        "defer",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "final",
        "finally",
        "for",
        "func",
        "function",
        "go",
        "if",
        "implements",
        "import",
        "in",
        "interface",
        "let",
        "new",
        "null",
        "nil",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "struct",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "type",
        "typeof",
        "var",
        "void",
        "while",
        "yield",
        "int",
        "char",
        "long",
        "unsigned",
        "double",
        "float",
        "bool",
        "boolean",
        "string",
        "include",
        "define",
        "namespace",
    ],
    line_comment: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\'', '`'],
};

const SHELL: Lang = Lang {
    keywords: &[
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in",
        "function", "return", "local", "export", "set", "exit",
    ],
    line_comment: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
};

const CONFIG: Lang = Lang {
    keywords: &["true", "false", "null", "yes", "no"],
    line_comment: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
};

const SQL: Lang = Lang {
    keywords: &[
        "select", "from", "where", "insert", "into", "update", "delete", "create", "table", "join", "on",
        "and", "or", "not", "null", "values", "set", "order", "by", "group", "SELECT", "FROM", "WHERE",
        "INSERT", "INTO", "UPDATE", "DELETE", "CREATE", "TABLE", "JOIN", "ON", "AND", "OR", "NOT", "NULL",
        "VALUES", "SET", "ORDER", "BY", "GROUP",
    ],
    line_comment: &["--"],
    block_comment: Some(("/*", "*/")),
    quotes: &['\''],
};

/// The language of `path` by its extension (or name), if it is one the highlighter knows.
fn lang_of(path: &str) -> Option<&'static Lang> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if matches!(name, "Makefile" | "Dockerfile" | ".gitignore") {
        return Some(&SHELL);
    }
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "rs" => &RUST,
        "py" | "pyi" => &PYTHON,
        "c" | "h" | "cc" | "cpp" | "hpp" | "cxx" | "java" | "kt" | "js" | "mjs" | "cjs" | "jsx" | "ts"
        | "tsx" | "go" | "cs" | "swift" | "scala" | "dart" => &C_LIKE,
        "sh" | "bash" | "zsh" => &SHELL,
        "toml" | "yaml" | "yml" | "ini" | "cfg" | "conf" => &CONFIG,
        "sql" => &SQL,
        _ => return None,
    })
}

/// Longer lines are not highlighted.
const MAX_LINE: usize = 2_000;

/// `line` of the file at `path` as escaped HTML, its tokens in `<span class="k|s|c|n">`
/// (keyword, string, comment, number). Unknown languages come back escaped and plain.
pub fn line(path: &str, line: &str) -> String {
    // A minified or generated line is shown plain: tokenizing it buys nothing.
    let Some(lang) = lang_of(path).filter(|_| line.len() <= MAX_LINE) else {
        return markup::html(line);
    };
    let mut out = String::with_capacity(line.len() + 32);
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut String| {
        out.push_str(&markup::html(plain));
        plain.clear();
    };
    let span = |out: &mut String, class: &str, text: &str| {
        out.push_str(&format!("<span class=\"{class}\">{}</span>", markup::html(text)));
    };
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    // `i` is a byte offset into `line`, always at a character boundary.
    let mut i = 0;
    while let Some(c) = line[i..].chars().next() {
        let tail = &line[i..];
        if lang.line_comment.iter().any(|m| tail.starts_with(m)) {
            flush(&mut plain, &mut out);
            span(&mut out, "c", tail);
            return out;
        }
        if let Some((open, close)) = lang.block_comment.filter(|(open, _)| tail.starts_with(open)) {
            flush(&mut plain, &mut out);
            let end = tail[open.len()..]
                .find(close)
                .map(|at| open.len() + at + close.len())
                .unwrap_or(tail.len());
            span(&mut out, "c", &tail[..end]);
            i += end;
            continue;
        }
        if lang.quotes.contains(&c) {
            flush(&mut plain, &mut out);
            let mut end = tail.len();
            let mut escaped = false;
            for (at, ch) in tail.char_indices().skip(1) {
                match (escaped, ch) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, ch) if ch == c => {
                        end = at + ch.len_utf8();
                        break;
                    }
                    _ => {}
                }
            }
            span(&mut out, "s", &tail[..end]);
            i += end;
            continue;
        }
        if is_word(c) {
            let len = tail.find(|ch: char| !is_word(ch)).unwrap_or(tail.len());
            let word = &tail[..len];
            let starts_word = !line[..i].chars().next_back().is_some_and(is_word);
            if starts_word && lang.keywords.contains(&word) {
                flush(&mut plain, &mut out);
                span(&mut out, "k", word);
            } else if starts_word && c.is_ascii_digit() {
                flush(&mut plain, &mut out);
                span(&mut out, "n", word);
            } else {
                plain.push_str(word);
            }
            i += len;
            continue;
        }
        plain.push(c);
        i += c.len_utf8();
    }
    flush(&mut plain, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_by_language() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "a.rs",
                "let x = \"<b>\"; // hi",
                "<span class=\"k\">let</span> x = <span class=\"s\">&quot;&lt;b&gt;&quot;</span>; <span class=\"c\">// hi</span>",
            ),
            (
                "a.py",
                "def f(): return 'x'  # c",
                "<span class=\"k\">def</span> f(): <span class=\"k\">return</span> <span class=\"s\">&#39;x&#39;</span>  <span class=\"c\"># c</span>",
            ),
            ("a.js", "x /* y */ 42", "x <span class=\"c\">/* y */</span> <span class=\"n\">42</span>"),
            ("notes.txt", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
            ("a.rs", "letter", "letter"),
            ("a.rs", "\"open \\\" string", "<span class=\"s\">&quot;open \\&quot; string</span>"),
            ("a.sh", "echo \"$HOME\"", "echo <span class=\"s\">&quot;$HOME&quot;</span>"),
            ("a.py", "x = 'é' # ü", "x = <span class=\"s\">&#39;é&#39;</span> <span class=\"c\"># ü</span>"),
        ];
        for (path, text, want) in cases {
            assert_eq!(&line(path, text), want, "{path}: {text}");
        }
    }

    #[test]
    fn markup_never_survives() {
        for path in ["a.rs", "a.py", "a.js", "a.toml", "a.sql", "x"] {
            for text in [
                "<script>alert(1)</script>",
                "'<img src=x onerror=alert(1)>'",
                "// <b>",
                "/* <i> */",
            ] {
                let out = line(path, text);
                let stripped = out
                    .replace("<span class=\"k\">", "")
                    .replace("<span class=\"s\">", "")
                    .replace("<span class=\"c\">", "")
                    .replace("<span class=\"n\">", "")
                    .replace("</span>", "");
                assert!(
                    !stripped.contains('<') && !stripped.contains('>'),
                    "{path}: {out}"
                );
            }
        }
    }
}
