//! The Gemini `generateContent` format: `POST {base}/v1beta/models/{model}:generateContent`
//! (or `:streamGenerateContent?alt=sse`) with `x-goog-api-key`, `contents` of `user` and
//! `model` turns whose parts are `text`, `functionCall` and `functionResponse`, and
//! `responseSchema` structured output. Each streamed event is a whole partial response.
//!
//! Gemini calls have no ids of their own, so bakeoff makes them (`gemini-0`, …). Gemini 3
//! attaches a `thoughtSignature` to a call that must be sent back with it in the next
//! turn; it rides inside the call id after `#sig=` so the domain type needs no
//! Gemini-only field.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::key::ApiKey;
use super::sse::SseEvent;
use super::types::{ChatRequest, ChatResponse, Part, Role, StopReason, TokenUsage, ToolCall};
use super::wire::{from_data, from_json, Draft, StreamDecoder, WireError, WireRequest};

const SIGNATURE: &str = "#sig=";

/// Percent-encodes a model id for the URL path; `models/` prefixes are dropped.
fn model_path(model: &str) -> String {
    let model = model.strip_prefix("models/").unwrap_or(model);
    let mut out = String::with_capacity(model.len());
    for b in model.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Gemini's schema dialect (an OpenAPI subset) rejects some JSON Schema keywords; drop
/// them rather than have the request refused.
fn sanitize_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "$schema" | "$id" | "additionalProperties"))
                .map(|(k, v)| (k.clone(), sanitize_schema(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(sanitize_schema).collect()),
        other => other.clone(),
    }
}

fn call_part(call: &ToolCall) -> Value {
    let (_, signature) = split_id(&call.id);
    let mut part = json!({"functionCall": {"name": call.name, "args": call.arguments}});
    if let Some(signature) = signature {
        part["thoughtSignature"] = json!(signature);
    }
    part
}

fn split_id(id: &str) -> (&str, Option<&str>) {
    match id.split_once(SIGNATURE) {
        Some((id, sig)) => (id, Some(sig)),
        None => (id, None),
    }
}

pub(crate) fn build(req: &ChatRequest, key: Option<&ApiKey>) -> WireRequest {
    let contents: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let parts: Vec<Value> = m
                .parts
                .iter()
                .filter_map(|p| match p {
                    Part::Text { text } if text.is_empty() => None,
                    Part::Text { text } => Some(json!({"text": text})),
                    Part::ToolCall(call) => Some(call_part(call)),
                    Part::ToolResult {
                        name,
                        content,
                        is_error,
                        ..
                    } => {
                        let field = if *is_error { "error" } else { "content" };
                        Some(json!({"functionResponse": {"name": name, "response": {field: content}}}))
                    }
                })
                .collect();
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "model",
            };
            json!({"role": role, "parts": parts})
        })
        .collect();

    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents));
    if let Some(system) = &req.system {
        body.insert("systemInstruction".into(), json!({"parts": [{"text": system}]}));
    }
    if !req.tools.is_empty() {
        let declarations: Vec<Value> = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "parameters": sanitize_schema(&t.parameters)}))
            .collect();
        body.insert("tools".into(), json!([{"functionDeclarations": declarations}]));
    }
    let mut config = Map::new();
    config.insert("maxOutputTokens".into(), json!(req.max_tokens));
    if let Some(t) = req.temperature {
        config.insert("temperature".into(), json!(t));
    }
    if let Some(schema) = &req.response_schema {
        config.insert("responseMimeType".into(), json!("application/json"));
        config.insert("responseSchema".into(), sanitize_schema(&schema.schema));
    }
    body.insert("generationConfig".into(), Value::Object(config));

    let method = if req.stream {
        "streamGenerateContent?alt=sse"
    } else {
        "generateContent"
    };
    let mut headers = vec![("content-type", "application/json".to_string())];
    if let Some(key) = key {
        headers.insert(0, ("x-goog-api-key", key.expose().to_string()));
    }
    WireRequest {
        path: format!("/v1beta/models/{}:{method}", model_path(&req.model)),
        headers,
        body: Value::Object(body),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reply {
    #[serde(default)]
    candidates: Vec<Candidate>,
    usage_metadata: Option<Usage>,
    #[serde(default)]
    model_version: String,
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<ReplyPart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplyPart {
    text: Option<String>,
    #[serde(default)]
    thought: bool,
    function_call: Option<FunctionCall>,
    thought_signature: Option<String>,
}

#[derive(Deserialize)]
struct FunctionCall {
    id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    args: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    #[serde(default)]
    cached_content_token_count: u64,
    #[serde(default)]
    thoughts_token_count: u64,
}

impl Usage {
    /// Thinking is billed as output; cached prompt tokens are counted apart.
    fn tokens(&self) -> TokenUsage {
        let cached = self.cached_content_token_count.min(self.prompt_token_count);
        TokenUsage {
            input: self.prompt_token_count - cached,
            output: self.candidates_token_count + self.thoughts_token_count,
            cache_read: cached,
            cache_write: 0,
        }
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "STOP" => StopReason::EndTurn,
        "MAX_TOKENS" => StopReason::MaxTokens,
        other => StopReason::Other(other.to_ascii_lowercase()),
    }
}

/// Adds one response's parts to `draft`.
fn absorb(draft: &mut Draft, reply: Reply) -> Result<(), WireError> {
    if let Some(error) = reply.error {
        let status = error
            .get("code")
            .and_then(Value::as_u64)
            .filter(|c| (400..600).contains(c))
            .map_or(500, |c| c as u16);
        return Err(WireError::Remote {
            status,
            body: json!({"error": error}),
        });
    }
    if !reply.model_version.is_empty() {
        draft.model = reply.model_version;
    }
    if let Some(usage) = reply.usage_metadata {
        draft.usage = usage.tokens();
    }
    let Some(candidate) = reply.candidates.into_iter().next() else {
        return Ok(());
    };
    for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
        if let Some(call) = part.function_call {
            let n = draft.calls.len();
            let pending = draft.call(&format!("call-{n}"));
            let id = call
                .id
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| format!("gemini-{n}"));
            pending.id = match part.thought_signature {
                Some(sig) => format!("{id}{SIGNATURE}{sig}"),
                None => id,
            };
            pending.name = call.name;
            pending.arguments = call.args.to_string();
        } else if let Some(text) = part.text.filter(|_| !part.thought) {
            draft.text.push_str(&text);
        }
    }
    if let Some(reason) = candidate.finish_reason {
        let stop = stop_reason(&reason);
        draft.stop = Some(if stop == StopReason::EndTurn && !draft.calls.is_empty() {
            StopReason::ToolUse
        } else {
            stop
        });
    }
    Ok(())
}

pub(crate) fn parse(body: &[u8]) -> Result<ChatResponse, WireError> {
    let mut draft = Draft::default();
    absorb(&mut draft, from_json(body)?)?;
    Ok(draft.into_response())
}

#[derive(Default)]
pub(crate) struct Decoder {
    draft: Draft,
}

impl StreamDecoder for Decoder {
    fn event(&mut self, event: &SseEvent) -> Result<(), WireError> {
        absorb(&mut self.draft, from_data(event)?)
    }

    fn finish(self: Box<Self>) -> Result<ChatResponse, WireError> {
        if self.draft.stop.is_none() {
            return Err(WireError::Truncated("no chunk carried a finish reason".into()));
        }
        Ok(self.draft.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::testkit::{decode_all_splits, full_request};
    use super::*;

    #[test]
    fn request_has_path_headers_and_body() {
        let mut req = full_request();
        req.model = "models/gemini-3-pro-preview".into();
        if let Part::ToolCall(call) = &mut req.messages[1].parts[1] {
            call.id = "gemini-0#sig=c2ln".into();
        }
        if let Some(schema) = &mut req.response_schema {
            schema.schema["additionalProperties"] = json!(false);
            schema.schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        }
        let got = build(&req, Some(&ApiKey::new("AIza-test")));
        assert_eq!(got.path, "/v1beta/models/gemini-3-pro-preview:generateContent");
        assert_eq!(
            got.headers,
            vec![
                ("x-goog-api-key", "AIza-test".to_string()),
                ("content-type", "application/json".to_string()),
            ]
        );
        let want = json!({
            "contents": [
                {"role": "user", "parts": [{"text": "list files"}]},
                {"role": "model", "parts": [
                    {"text": "checking"},
                    {"functionCall": {"name": "ls", "args": {"dir": "."}}, "thoughtSignature": "c2ln"},
                ]},
                {"role": "user", "parts": [{"functionResponse": {"name": "ls", "response": {"content": "a.rs"}}}]},
            ],
            "systemInstruction": {"parts": [{"text": "be terse"}]},
            "tools": [{"functionDeclarations": [{"name": "ls", "description": "list a directory",
                "parameters": {"type": "object", "properties": {"dir": {"type": "string"}}}}]}],
            "generationConfig": {
                "maxOutputTokens": 100,
                "temperature": 0.5,
                "responseMimeType": "application/json",
                "responseSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
            },
        });
        assert_eq!(got.body, want);

        req.stream = true;
        req.model = "tuned/x y".into();
        assert_eq!(
            build(&req, None).path,
            "/v1beta/models/tuned%2Fx%20y:streamGenerateContent?alt=sse"
        );
    }

    #[test]
    fn parses_a_reply() {
        let body = br#"{"candidates":[{"content":{"role":"model","parts":[
              {"text":"thinking...","thought":true},
              {"text":"{\"ok\": "},{"text":"false}"}]},
            "finishReason":"STOP","index":0}],
          "usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":20,"cachedContentTokenCount":600,
            "thoughtsTokenCount":50,"totalTokenCount":1070},
          "modelVersion":"gemini-2.5-pro","responseId":"r1"}"#;
        let got = parse(body).unwrap();
        assert_eq!(got.text, "{\"ok\": false}");
        assert_eq!(got.model, "gemini-2.5-pro");
        assert_eq!(got.stop, StopReason::EndTurn);
        assert_eq!(
            got.usage,
            TokenUsage {
                input: 400,
                output: 70,
                cache_read: 600,
                cache_write: 0
            }
        );
    }

    const STREAM: &str = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Let me \"}]}}],\"modelVersion\":\"gemini-3-pro-preview\"}\r\n\r\n\
data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"list.\"}]}}],\"usageMetadata\":{\"promptTokenCount\":10}}\r\n\r\n\
data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"ls\",\"args\":{\"dir\":\"src\"}},\"thoughtSignature\":\"QUJD\"},{\"functionCall\":{\"name\":\"cat\",\"args\":{}}}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":10,\"candidatesTokenCount\":8,\"totalTokenCount\":18},\"modelVersion\":\"gemini-3-pro-preview\"}\r\n\r\n";

    #[test]
    fn stream_assembles_text_calls_and_usage() {
        let got = decode_all_splits(&|| Box::new(Decoder::default()), STREAM).unwrap();
        assert_eq!(got.text, "Let me list.");
        assert_eq!(
            got.tool_calls,
            vec![
                ToolCall {
                    id: "gemini-0#sig=QUJD".into(),
                    name: "ls".into(),
                    arguments: json!({"dir": "src"})
                },
                ToolCall {
                    id: "gemini-1".into(),
                    name: "cat".into(),
                    arguments: json!({})
                },
            ]
        );
        assert_eq!(got.stop, StopReason::ToolUse);
        assert_eq!(
            got.usage,
            TokenUsage {
                input: 10,
                output: 8,
                cache_read: 0,
                cache_write: 0
            }
        );
        // The signature goes back out with the call.
        assert_eq!(call_part(&got.tool_calls[0])["thoughtSignature"], json!("QUJD"));
    }

    #[test]
    fn truncated_and_error_streams() {
        let cut = &STREAM[..STREAM.rfind("data:").unwrap()];
        let got = decode_all_splits(&|| Box::new(Decoder::default()), cut);
        assert!(matches!(got, Err(WireError::Truncated(_))), "{got:?}");
        let err = "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\n\n";
        let got = decode_all_splits(&|| Box::new(Decoder::default()), err);
        assert!(
            matches!(got, Err(WireError::Remote { status: 503, .. })),
            "{got:?}"
        );
    }
}
