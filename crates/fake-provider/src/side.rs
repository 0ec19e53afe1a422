//! Answers that take no scripted turn: the side requests real CLIs make on their own,
//! and the stand-in reply once a queue is empty. Both must keep a run going — a side
//! request must not eat a turn meant for the agent, and a request that asks for JSON
//! of a schema must get JSON of that schema, not the plain `"Done."`.

use serde_json::{json, Map, Value};

use super::anthropic;
use super::route::WireFormat;
use super::script::{Reply, EXHAUSTED_TEXT};

/// A side request a real CLI sends by itself, with the reply that keeps it happy.
/// Gemini CLI without `-m` asks a flash-lite model to rate the prompt's complexity
/// (`responseJsonSchema` with `complexity_score`) before every turn.
pub(crate) fn side_reply(format: WireFormat, body: &Value) -> Option<Reply> {
    if format != WireFormat::Gemini {
        return None;
    }
    let schema = gemini_schema(body)?;
    if schema.pointer("/properties/complexity_score").is_some() {
        return Some(Reply::Json(json!({
            "complexity_reasoning": "A scripted run; the fake provider rates every prompt simple.",
            "complexity_score": 10,
        })));
    }
    None
}

/// The reply once no turn is left: `"Done."`, or, when the request asks for JSON of a
/// schema, the smallest JSON that fits it.
pub(crate) fn exhausted_reply(format: WireFormat, body: &Value) -> Reply {
    match requested_schema(format, body) {
        Some(schema) => Reply::Json(instance_of(schema, 0)),
        None => Reply::Text(EXHAUSTED_TEXT.to_string()),
    }
}

fn gemini_schema(body: &Value) -> Option<&Value> {
    let config = body.get("generationConfig")?;
    config
        .get("responseJsonSchema")
        .or_else(|| config.get("responseSchema"))
}

/// The schema a request asks its reply to follow, in each format's own place.
fn requested_schema(format: WireFormat, body: &Value) -> Option<&Value> {
    match format {
        WireFormat::Anthropic => {
            let tool = anthropic::forced_tool(body)?;
            body.get("tools")?
                .as_array()?
                .iter()
                .find(|t| t["name"] == tool)?
                .get("input_schema")
        }
        WireFormat::OpenAiChat => body.pointer("/response_format/json_schema/schema"),
        WireFormat::OpenAiResponses => {
            let format = body.pointer("/text/format")?;
            (format["type"] == "json_schema")
                .then(|| format.get("schema"))
                .flatten()
        }
        WireFormat::Gemini => gemini_schema(body),
    }
}

/// The smallest value of a JSON Schema (or Gemini's upper-case dialect): objects with
/// their required properties (all when none are listed), the first enum value, the
/// minimum of a number, empty strings and arrays. Depth-bounded.
fn instance_of(schema: &Value, depth: usize) -> Value {
    if depth > 16 {
        return Value::Null;
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(constant) = schema.get("const") {
        return constant.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema.get(key).and_then(Value::as_array).and_then(|e| e.first()) {
            return instance_of(first, depth + 1);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.to_ascii_lowercase(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_ascii_lowercase(),
        _ if schema.get("properties").is_some() => "object".to_string(),
        _ => "string".to_string(),
    };
    match kind.as_str() {
        "object" => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let required: Option<Vec<&str>> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect());
            let mut out = Map::new();
            for (name, sub) in properties.into_iter().flatten() {
                if required.as_ref().is_none_or(|r| r.contains(&name.as_str())) {
                    out.insert(name.clone(), instance_of(sub, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0).min(4);
            let item = schema
                .get("items")
                .map_or(Value::Null, |i| instance_of(i, depth + 1));
            Value::Array((0..min).map(|_| item.clone()).collect())
        }
        "integer" => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(0)),
        "number" => json!(schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0)),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => json!(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_fit_their_schemas() {
        let review = json!({
            "type": "object",
            "properties": {
                "verdict": {"type": "string", "enum": ["approve", "request_changes", "reject"]},
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "summary": {"type": "string"},
                "findings": {"type": "array", "items": {"type": "object"}},
                "optional": {"type": "boolean"},
            },
            "required": ["verdict", "score", "summary", "findings"],
        });
        assert_eq!(
            instance_of(&review, 0),
            json!({"verdict": "approve", "score": 0, "summary": "", "findings": []})
        );
        let gemini = json!({"type": "OBJECT", "properties": {"n": {"type": "INTEGER", "minimum": 1}}});
        assert_eq!(instance_of(&gemini, 0), json!({"n": 1}));
        assert_eq!(instance_of(&json!({"type": ["null", "number"]}), 0), json!(0.0));
    }

    #[test]
    fn schemas_are_found_where_each_format_puts_them() {
        let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}}});
        let anthropic = json!({
            "tool_choice": {"type": "tool", "name": "answer"},
            "tools": [{"name": "other", "input_schema": {}}, {"name": "answer", "input_schema": schema}],
        });
        let chat = json!({"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}});
        let responses = json!({"text": {"format": {"type": "json_schema", "name": "a", "schema": schema}}});
        let gemini = json!({"generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": schema}});
        for (format, body) in [
            (WireFormat::Anthropic, anthropic),
            (WireFormat::OpenAiChat, chat),
            (WireFormat::OpenAiResponses, responses),
            (WireFormat::Gemini, gemini),
        ] {
            assert_eq!(
                exhausted_reply(format, &body),
                Reply::Json(json!({"ok": false})),
                "{format:?}"
            );
        }
        assert_eq!(
            exhausted_reply(WireFormat::OpenAiChat, &json!({})),
            Reply::Text(EXHAUSTED_TEXT.to_string())
        );
    }

    #[test]
    fn gemini_router_is_a_side_request() {
        let router = json!({"generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": {
            "type": "object",
            "properties": {"complexity_reasoning": {"type": "string"}, "complexity_score": {"type": "integer"}},
        }}});
        assert!(matches!(
            side_reply(WireFormat::Gemini, &router),
            Some(Reply::Json(_))
        ));
        assert_eq!(side_reply(WireFormat::Gemini, &json!({"contents": []})), None);
        assert_eq!(side_reply(WireFormat::OpenAiChat, &router), None);
    }
}
