//! Structured output, the fallback way: when a reply that should have been JSON came back
//! as prose, find the JSON in the text — a fenced ```json block, or else the outermost
//! `{…}` — and parse it.

use serde_json::Value;

use super::types::{ChatRequest, ChatResponse};

/// The JSON object in `text`, if there is one that parses.
pub(crate) fn extract_json(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        if value.is_object() || value.is_array() {
            return Some(value);
        }
    }
    fenced(text).or_else(|| outermost_object(text))
}

fn fenced(text: &str) -> Option<Value> {
    let mut rest = text;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n')? + 1;
        let info = after[..body_start].trim();
        let body = &after[body_start..];
        let end = body.find("```")?;
        if info.is_empty() || info.eq_ignore_ascii_case("json") {
            if let Ok(value) = serde_json::from_str::<Value>(body[..end].trim()) {
                return Some(value);
            }
        }
        rest = &body[end + 3..];
    }
    None
}

fn outermost_object(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    if end <= start {
        return None;
    }
    serde_json::from_str(&text[start..=end]).ok()
}

/// Fills `response.structured` from the text when a schema was asked for and the
/// format's own structured mode gave nothing.
pub(crate) fn fill_from_text(request: &ChatRequest, response: &mut ChatResponse) {
    if request.response_schema.is_some() && response.structured.is_none() {
        response.structured = extract_json(&response.text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_json_in_text() {
        let cases: &[(&str, Option<Value>)] = &[
            ("{\"a\":1}", Some(json!({"a": 1}))),
            ("  [1,2] ", Some(json!([1, 2]))),
            (
                "Here:\n```json\n{\"a\": {\"b\": 2}}\n```\nDone.",
                Some(json!({"a": {"b": 2}})),
            ),
            ("```\n{\"a\":3}\n```", Some(json!({"a": 3}))),
            (
                "```rust\nfn x() {}\n```\n```json\n{\"ok\":true}\n```",
                Some(json!({"ok": true})),
            ),
            (
                "The verdict is {\"verdict\": \"approve\", \"x\": {\"y\": 1}} as said.",
                Some(json!({"verdict": "approve", "x": {"y": 1}})),
            ),
            ("no json here", None),
            ("} backwards {", None),
            ("```json\n{broken\n```", None),
            ("\"just a string\"", None),
            ("```json", None),
        ];
        for (text, want) in cases {
            assert_eq!(extract_json(text), *want, "{text}");
        }
    }
}
