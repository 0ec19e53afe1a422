//! Escaping text for the pages and comments bakeoff writes: HTML (the bench's and the
//! race's reports) and GitHub-flavoured Markdown (review and race reports for a PR
//! comment). Text from a race — the spec, diffs, what models wrote — goes through these,
//! so a model's `<script>` or `<img onerror=…>` shows as text instead of running.

/// Text safe anywhere in an HTML page: element content and quoted attribute values.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `<`, `>` and `&` as entities: a model's `<img src=x onerror=…>` or `<details>` shows
/// as text in a PR comment instead of being rendered (GitHub renders raw HTML).
pub fn md_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Text for one line of Markdown: whitespace runs (newlines among them) made one space,
/// its HTML escaped.
pub fn md_inline(s: &str) -> String {
    md_text(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Text for a Markdown table cell: one line, pipes escaped.
pub fn md_cell(s: &str) -> String {
    md_inline(s).replace('|', "\\|")
}

/// A code fence for `text`: backticks, one more than the longest run of them in it (at
/// least three), so nothing in the text can close the fence early.
pub fn md_fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_make_markup_inert() {
        assert_eq!(
            html(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(md_text("<b>&</b>"), "&lt;b&gt;&amp;&lt;/b&gt;");
        assert_eq!(md_inline("a\n  <i>b</i>"), "a &lt;i&gt;b&lt;/i&gt;");
        assert_eq!(md_cell("a | b\nc"), "a \\| b c");
    }

    #[test]
    fn fences_outlast_the_text() {
        assert_eq!(md_fence("plain"), "```");
        assert_eq!(md_fence("a ``` b"), "````");
        assert_eq!(md_fence("`````"), "``````");
    }
}
