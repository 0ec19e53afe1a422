//! What a reviewer must answer, and the strict reading of its answer: the JSON Schema
//! requested through structured output, the validator that turns a reply into a
//! [`ReviewOutput`] or the full list of what is wrong with it, and the prompt for the one
//! repair retry. Nothing is guessed: a missing or malformed field is a problem, never a
//! default.

use serde_json::{json, Map, Value};

pub use crate::vocab::{Finding, FindingSource, ReviewOutput, Severity, Verdict};

/// The JSON Schema requested through each format's structured-output mode.
///
/// It is written for the strictest consumer (OpenAI strict `json_schema`): every property
/// is listed in `required`, optional values are nullable instead of absent, and no extra
/// properties are allowed. [`parse_review`] is more forgiving only where no guess is
/// involved: an absent `line` or `suggestion` reads as null, unknown keys are ignored.
pub fn schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["verdict", "score", "summary", "findings"],
        "properties": {
            "verdict": {
                "type": "string",
                "enum": ["approve", "request_changes", "reject"],
                "description": "approve: merge as is; request_changes: fixable problems; reject: wrong approach or unsalvageable"
            },
            "score": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "description": "overall quality of the change for the task, 0 worst, 100 best"
            },
            "summary": {"type": "string", "description": "two or three sentences"},
            "findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["severity", "file", "line", "title", "body", "suggestion"],
                    "properties": {
                        "severity": {"type": "string", "enum": ["blocker", "major", "minor", "nit"]},
                        "file": {"type": "string", "description": "path as the diff names it"},
                        "line": {
                            "type": ["integer", "null"],
                            "minimum": 1,
                            "description": "line in the new file, or null for the whole file"
                        },
                        "title": {"type": "string", "description": "one line"},
                        "body": {"type": "string"},
                        "suggestion": {"type": ["string", "null"]}
                    }
                }
            }
        }
    })
}

/// Reads a reviewer's reply: the structured payload when the provider returned one,
/// else JSON in `text` (a fenced ```json block, or the outermost `{…}`). Returns every
/// validation problem at once, so that one repair retry can fix them all.
pub fn parse_review(structured: Option<&Value>, text: &str) -> Result<ReviewOutput, Vec<String>> {
    let value = payload(structured, text)?;
    let Some(obj) = value.as_object() else {
        return Err(vec![format!(
            "the reply must be a JSON object, got {}",
            kind(&value)
        )]);
    };
    let mut problems = Vec::new();
    let verdict = enum_field(obj, "verdict", "verdict", Verdict::parse, &mut problems);
    let score = score_field(obj, &mut problems);
    let summary = string_field(obj, "summary", "summary", &mut problems);
    let findings = match obj.get("findings") {
        None => {
            problems.push("`findings` is missing (use [] for none)".to_string());
            None
        }
        Some(Value::Array(items)) => {
            let parsed: Vec<Option<Finding>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| finding(item, &format!("findings[{i}]"), &mut problems))
                .collect();
            parsed.into_iter().collect::<Option<Vec<Finding>>>()
        }
        Some(other) => {
            problems.push(format!("`findings` must be an array, got {}", kind(other)));
            None
        }
    };
    match (verdict, score, summary, findings) {
        (Some(verdict), Some(score), Some(summary), Some(findings)) if problems.is_empty() => {
            Ok(ReviewOutput {
                verdict,
                score,
                summary,
                findings,
            })
        }
        _ => Err(problems),
    }
}

/// The follow-up message for the one repair retry: what was wrong, and the rules again.
pub fn repair_prompt(problems: &[String]) -> String {
    let mut out =
        String::from("Your previous reply could not be used as a review. These problems were found:\n");
    for p in problems {
        out.push_str(&format!("- {p}\n"));
    }
    out.push_str(
        "\nReply again with only one JSON object matching the schema: `verdict` \
         (\"approve\" | \"request_changes\" | \"reject\"), `score` (integer 0..100), `summary` \
         (string), `findings` (array of {severity: \"blocker\" | \"major\" | \"minor\" | \"nit\", \
         file: string, line: integer >= 1 or null, title: string, body: string, \
         suggestion: string or null}). No text outside the JSON object.\n",
    );
    out
}

/// The JSON value a reply carries, or why there is none.
pub(crate) fn payload(structured: Option<&Value>, text: &str) -> Result<Value, Vec<String>> {
    if let Some(value) = structured {
        return Ok(value.clone());
    }
    json_in_text(text).ok_or_else(|| {
        let text = text.trim();
        if text.is_empty() {
            vec!["the reply was empty; expected a JSON object".to_string()]
        } else {
            vec!["no JSON object found in the reply".to_string()]
        }
    })
}

/// A JSON object in free text: the first fenced block that parses (```json preferred),
/// else the span from the first `{` to the last `}`.
pub(crate) fn json_in_text(text: &str) -> Option<Value> {
    let blocks = fenced_blocks(text);
    let tagged = blocks.iter().filter(|(tag, _)| tag.eq_ignore_ascii_case("json"));
    let untagged = blocks.iter().filter(|(tag, _)| !tag.eq_ignore_ascii_case("json"));
    for (_, body) in tagged.chain(untagged) {
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(body) {
            return Some(v);
        }
    }
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    if end < start {
        return None;
    }
    serde_json::from_str::<Value>(&text[start..=end])
        .ok()
        .filter(Value::is_object)
}

/// Every ``` fenced block as (info string, body).
fn fenced_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        match open.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some((info.trim().to_string(), String::new()));
                }
            }
            Some((info, mut body)) => {
                if trimmed.starts_with("```") {
                    blocks.push((info, body));
                } else {
                    body.push_str(line);
                    body.push('\n');
                    open = Some((info, body));
                }
            }
        }
    }
    blocks
}

fn finding(item: &Value, at: &str, problems: &mut Vec<String>) -> Option<Finding> {
    let Some(obj) = item.as_object() else {
        problems.push(format!("`{at}` must be an object, got {}", kind(item)));
        return None;
    };
    let name = |field: &str| format!("{at}.{field}");
    let severity = enum_field(obj, "severity", &name("severity"), Severity::parse, problems);
    let file = string_field(obj, "file", &name("file"), problems);
    if file.as_deref().is_some_and(|f| f.trim().is_empty()) {
        problems.push(format!("`{}` must not be empty", name("file")));
    }
    let title = string_field(obj, "title", &name("title"), problems);
    let body = string_field(obj, "body", &name("body"), problems);
    let line = match obj.get("line") {
        None | Some(Value::Null) => Some(None),
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 && n <= u64::from(u32::MAX) => Some(Some(n as u32)),
            Some(n) if n >= 1 => {
                problems.push(format!("`{}`: {n} is too large", name("line")));
                None
            }
            _ if v.is_number() => {
                problems.push(format!(
                    "`{}`: {v} is not a line number (an integer >= 1, or null)",
                    name("line")
                ));
                None
            }
            _ => {
                problems.push(format!(
                    "`{}` must be an integer or null, got {}",
                    name("line"),
                    kind(v)
                ));
                None
            }
        },
    };
    let suggestion = match obj.get("suggestion") {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(v) => {
            problems.push(format!(
                "`{}` must be a string or null, got {}",
                name("suggestion"),
                kind(v)
            ));
            None
        }
    };
    Some(Finding {
        severity: severity?,
        file: file.filter(|f| !f.trim().is_empty())?,
        line: line?,
        title: title?,
        body: body?,
        suggestion: suggestion?,
        source: FindingSource::Reviewer,
    })
}

fn string_field(obj: &Map<String, Value>, key: &str, at: &str, problems: &mut Vec<String>) -> Option<String> {
    match obj.get(key) {
        None => {
            problems.push(format!("`{at}` is missing"));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            problems.push(format!("`{at}` must be a string, got {}", kind(v)));
            None
        }
    }
}

fn enum_field<T>(
    obj: &Map<String, Value>,
    key: &str,
    at: &str,
    parse: fn(&str) -> Option<T>,
    problems: &mut Vec<String>,
) -> Option<T> {
    let allowed = || match key {
        "verdict" => "approve, request_changes, reject",
        _ => "blocker, major, minor, nit",
    };
    let s = string_field(obj, key, at, problems)?;
    let parsed = parse(&s);
    if parsed.is_none() {
        problems.push(format!("`{at}`: {s:?} is not one of {}", allowed()));
    }
    parsed
}

fn score_field(obj: &Map<String, Value>, problems: &mut Vec<String>) -> Option<u8> {
    let v = match obj.get("score") {
        None => {
            problems.push("`score` is missing".to_string());
            return None;
        }
        Some(v) => v,
    };
    match (v.as_u64(), v.as_i64()) {
        (Some(n), _) if n <= 100 => Some(n as u8),
        (Some(_), _) | (None, Some(_)) => {
            problems.push(format!("`score`: {v} is outside 0..100"));
            None
        }
        _ if v.is_number() => {
            problems.push(format!("`score`: {v} is not an integer"));
            None
        }
        _ => {
            problems.push(format!("`score` must be an integer, got {}", kind(v)));
            None
        }
    }
}

/// A JSON value's kind, for messages: `a string`, `null`, `an array`.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Value {
        json!({
            "verdict": "request_changes",
            "score": 72,
            "summary": "Works, one bug.",
            "findings": [{
                "severity": "major",
                "file": "src/x.rs",
                "line": 12,
                "title": "Off by one",
                "body": "The loop skips the last item.",
                "suggestion": "Use ..= here."
            }, {
                "severity": "nit",
                "file": "README.md",
                "line": null,
                "title": "Typo",
                "body": "teh",
                "suggestion": null
            }]
        })
    }

    fn expected() -> ReviewOutput {
        ReviewOutput {
            verdict: Verdict::RequestChanges,
            score: 72,
            summary: "Works, one bug.".into(),
            findings: vec![
                Finding {
                    severity: Severity::Major,
                    file: "src/x.rs".into(),
                    line: Some(12),
                    title: "Off by one".into(),
                    body: "The loop skips the last item.".into(),
                    suggestion: Some("Use ..= here.".into()),
                    source: FindingSource::Reviewer,
                },
                Finding {
                    severity: Severity::Nit,
                    file: "README.md".into(),
                    line: None,
                    title: "Typo".into(),
                    body: "teh".into(),
                    suggestion: None,
                    source: FindingSource::Reviewer,
                },
            ],
        }
    }

    #[test]
    fn accepted_forms() {
        let text = good().to_string();
        let cases: Vec<(&str, Option<Value>, String)> = vec![
            ("structured", Some(good()), String::new()),
            ("structured wins over text", Some(good()), "garbage".into()),
            ("bare json", None, text.clone()),
            (
                "fenced json",
                None,
                format!("Here you go:\n```json\n{text}\n```\nThanks"),
            ),
            (
                "fenced json after another fence",
                None,
                format!("```rust\nfn x() {{}}\n```\n```json\n{text}\n```"),
            ),
            ("untagged fence", None, format!("```\n{text}\n```")),
            (
                "outermost object in prose",
                None,
                format!("My review: {text} -- end"),
            ),
        ];
        for (what, structured, text) in cases {
            assert_eq!(parse_review(structured.as_ref(), &text), Ok(expected()), "{what}");
        }
    }

    #[test]
    fn absent_optional_fields_read_as_null() {
        let mut v = good();
        let f = v["findings"][1].as_object_mut().unwrap();
        f.remove("line");
        f.remove("suggestion");
        assert_eq!(parse_review(Some(&v), ""), Ok(expected()));
    }

    #[test]
    fn problems_are_all_listed() {
        type Edit = fn(&mut Value);
        let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
            (
                "bad verdict",
                |v| v["verdict"] = json!("lgtm"),
                vec!["`verdict`: \"lgtm\" is not one of approve, request_changes, reject"],
            ),
            (
                "score too high",
                |v| v["score"] = json!(140),
                vec!["`score`: 140 is outside 0..100"],
            ),
            (
                "negative score",
                |v| v["score"] = json!(-1),
                vec!["`score`: -1 is outside 0..100"],
            ),
            (
                "fractional score",
                |v| v["score"] = json!(7.5),
                vec!["`score`: 7.5 is not an integer"],
            ),
            (
                "score as string",
                |v| v["score"] = json!("72"),
                vec!["`score` must be an integer, got a string"],
            ),
            (
                "missing summary",
                |v| {
                    v.as_object_mut().unwrap().remove("summary");
                },
                vec!["`summary` is missing"],
            ),
            (
                "missing findings",
                |v| {
                    v.as_object_mut().unwrap().remove("findings");
                },
                vec!["`findings` is missing (use [] for none)"],
            ),
            (
                "findings not array",
                |v| v["findings"] = json!({}),
                vec!["`findings` must be an array, got an object"],
            ),
            (
                "bad severity",
                |v| v["findings"][0]["severity"] = json!("critical"),
                vec!["`findings[0].severity`: \"critical\" is not one of blocker, major, minor, nit"],
            ),
            (
                "line zero",
                |v| v["findings"][0]["line"] = json!(0),
                vec!["`findings[0].line`: 0 is not a line number (an integer >= 1, or null)"],
            ),
            (
                "line as string",
                |v| v["findings"][1]["line"] = json!("12"),
                vec!["`findings[1].line` must be an integer or null, got a string"],
            ),
            (
                "empty file",
                |v| v["findings"][0]["file"] = json!(" "),
                vec!["`findings[0].file` must not be empty"],
            ),
            (
                "finding not object",
                |v| v["findings"][1] = json!("typo"),
                vec!["`findings[1]` must be an object, got a string"],
            ),
            (
                "several at once",
                |v| {
                    v["verdict"] = json!(null);
                    v["score"] = json!(101);
                    v["findings"][0].as_object_mut().unwrap().remove("title");
                    v["findings"][1]["suggestion"] = json!(3);
                },
                vec![
                    "`verdict` must be a string, got null",
                    "`score`: 101 is outside 0..100",
                    "`findings[0].title` is missing",
                    "`findings[1].suggestion` must be a string or null, got a number",
                ],
            ),
        ];
        for (what, edit, want) in cases {
            let mut v = good();
            edit(&mut v);
            assert_eq!(
                parse_review(Some(&v), ""),
                Err(want.iter().map(|s| s.to_string()).collect()),
                "{what}"
            );
        }
    }

    #[test]
    fn no_json_is_an_error() {
        let cases: &[(&str, &str)] = &[
            ("", "the reply was empty; expected a JSON object"),
            ("Looks good to me!", "no JSON object found in the reply"),
            ("{ not json }", "no JSON object found in the reply"),
            ("[1, 2]", "no JSON object found in the reply"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_review(None, text), Err(vec![want.to_string()]), "{text:?}");
        }
        assert_eq!(
            parse_review(Some(&json!([1])), ""),
            Err(vec!["the reply must be a JSON object, got an array".to_string()])
        );
    }

    #[test]
    fn schema_lists_every_field_as_required() {
        let s = schema();
        assert_eq!(s["required"], json!(["verdict", "score", "summary", "findings"]));
        let item = &s["properties"]["findings"]["items"];
        let props: Vec<&String> = item["properties"].as_object().unwrap().keys().collect();
        let required: Vec<&str> = item["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(props.len(), required.len());
        assert_eq!(
            s["properties"]["verdict"]["enum"],
            json!(["approve", "request_changes", "reject"])
        );
    }

    #[test]
    fn repair_prompt_lists_problems() {
        let p = repair_prompt(&[
            "`score` is missing".into(),
            "`verdict`: \"x\" is not one of a".into(),
        ]);
        assert!(p.starts_with("Your previous reply could not be used as a review."));
        assert!(p.contains("- `score` is missing\n- `verdict`: \"x\" is not one of a\n"));
        assert!(p.contains("No text outside the JSON object."));
    }

    #[test]
    fn severity_orders_worst_first() {
        assert!(Severity::Blocker < Severity::Major && Severity::Minor < Severity::Nit);
        assert_eq!(Severity::parse("minor"), Some(Severity::Minor));
        assert_eq!(Severity::parse("Minor"), None);
        let f: Finding = serde_json::from_value(json!({
            "severity": "blocker", "file": "a", "line": 1, "title": "t", "body": "b", "suggestion": null
        }))
        .unwrap();
        assert_eq!(f.source, FindingSource::Reviewer);
    }
}
