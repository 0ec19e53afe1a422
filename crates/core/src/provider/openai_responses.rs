//! The OpenAI Responses format: `POST {base}/responses` with `instructions`, `input`
//! items (messages, `function_call`, `function_call_output`), `text.format` structured
//! output, and an SSE stream of typed `response.*` events ending in
//! `response.completed`. Requests go out with `store: false`: bakeoff sends code under
//! review and has no use for server-side conversation state.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::key::ApiKey;
use super::sse::SseEvent;
use super::types::{ChatRequest, ChatResponse, Part, Role, StopReason, TokenUsage, ToolCall};
use super::wire::{
    arguments_string, from_data, from_json, parse_arguments, Draft, StreamDecoder, WireError, WireRequest,
};

fn text_message(role: &str, texts: &[&str]) -> Option<Value> {
    let kind = if role == "assistant" {
        "output_text"
    } else {
        "input_text"
    };
    match texts {
        [] => None,
        [one] => Some(json!({"role": role, "content": one})),
        many => Some(json!({
            "role": role,
            "content": many.iter().map(|t| json!({"type": kind, "text": t})).collect::<Vec<_>>(),
        })),
    }
}

pub(crate) fn build(req: &ChatRequest, key: Option<&ApiKey>) -> WireRequest {
    let mut input = Vec::new();
    for m in &req.messages {
        let texts: Vec<&str> = m
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Text { text } if !text.is_empty() => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let role = match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        if m.role == Role::User {
            for p in &m.parts {
                if let Part::ToolResult { call_id, content, .. } = p {
                    input
                        .push(json!({"type": "function_call_output", "call_id": call_id, "output": content}));
                }
            }
        }
        input.extend(text_message(role, &texts));
        for p in &m.parts {
            if let Part::ToolCall(c) = p {
                input.push(json!({
                    "type": "function_call", "call_id": c.id, "name": c.name,
                    "arguments": arguments_string(&c.arguments),
                }));
            }
        }
    }

    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    if let Some(system) = &req.system {
        body.insert("instructions".into(), json!(system));
    }
    body.insert("input".into(), Value::Array(input));
    if !req.tools.is_empty() {
        let tools = req
            .tools
            .iter()
            .map(|t| json!({"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters}))
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("max_output_tokens".into(), json!(req.max_tokens));
    if let Some(schema) = &req.response_schema {
        body.insert(
            "text".into(),
            json!({"format": {"type": "json_schema", "name": schema.name, "schema": schema.schema, "strict": true}}),
        );
    }
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t));
    }
    body.insert("store".into(), json!(false));
    if req.stream {
        body.insert("stream".into(), json!(true));
    }

    let mut headers = vec![("content-type", "application/json".to_string())];
    if let Some(key) = key {
        headers.insert(0, ("authorization", format!("Bearer {}", key.expose())));
    }
    WireRequest {
        path: "/responses".into(),
        headers,
        body: Value::Object(body),
    }
}

#[derive(Deserialize, Default)]
struct Response {
    #[serde(default)]
    model: String,
    #[serde(default)]
    status: String,
    incomplete_details: Option<Incomplete>,
    #[serde(default)]
    output: Vec<Item>,
    usage: Option<Usage>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Incomplete {
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Item {
    Message {
        #[serde(default)]
        content: Vec<Content>,
    },
    FunctionCall {
        #[serde(default)]
        call_id: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        arguments: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Content {
    OutputText {
        #[serde(default)]
        text: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    input_tokens_details: Option<InputDetails>,
}

#[derive(Deserialize)]
struct InputDetails {
    cached_tokens: Option<u64>,
}

impl Usage {
    fn tokens(&self) -> TokenUsage {
        let cached = self
            .input_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
            .min(self.input_tokens);
        TokenUsage {
            input: self.input_tokens - cached,
            output: self.output_tokens,
            cache_read: cached,
            cache_write: 0,
        }
    }
}

fn stop_of(response: &Response, has_calls: bool) -> StopReason {
    match (response.status.as_str(), &response.incomplete_details) {
        ("incomplete", Some(d)) if d.reason == "max_output_tokens" => StopReason::MaxTokens,
        _ if has_calls => StopReason::ToolUse,
        ("completed", _) | ("", _) => StopReason::EndTurn,
        (other, _) => StopReason::Other(other.to_string()),
    }
}

/// Text and calls from a finished response's `output`.
fn outputs(items: Vec<Item>) -> (String, Vec<ToolCall>) {
    let mut text = String::new();
    let mut calls = Vec::new();
    for item in items {
        match item {
            Item::Message { content } => {
                for c in content {
                    if let Content::OutputText { text: t } = c {
                        text.push_str(&t);
                    }
                }
            }
            Item::FunctionCall {
                call_id,
                name,
                arguments,
            } => calls.push(ToolCall {
                id: call_id,
                name,
                arguments: parse_arguments(&arguments),
            }),
            Item::Other => {}
        }
    }
    (text, calls)
}

pub(crate) fn parse(body: &[u8]) -> Result<ChatResponse, WireError> {
    let mut response: Response = from_json(body)?;
    if let Some(error) = response.error.take().filter(|e| !e.is_null()) {
        return Err(failed(error));
    }
    let (text, tool_calls) = outputs(std::mem::take(&mut response.output));
    Ok(ChatResponse {
        stop: stop_of(&response, !tool_calls.is_empty()),
        model: response.model,
        text,
        tool_calls,
        usage: response.usage.map(|u| u.tokens()).unwrap_or_default(),
        structured: None,
    })
}

/// A `response.failed` or `error` payload as an in-stream error.
fn failed(error: Value) -> WireError {
    let code = error.get("code").and_then(Value::as_str).unwrap_or_default();
    let status = match code {
        "rate_limit_exceeded" => 429,
        "insufficient_quota" => 429,
        "invalid_prompt" | "invalid_request_error" => 400,
        _ => 500,
    };
    WireError::Remote {
        status,
        body: json!({"error": error}),
    }
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Event {
    #[serde(rename = "response.created", alias = "response.in_progress")]
    Created { response: Response },
    #[serde(rename = "response.output_item.added")]
    ItemAdded { output_index: u64, item: Item },
    #[serde(rename = "response.output_text.delta")]
    TextDelta { delta: String },
    #[serde(rename = "response.function_call_arguments.delta")]
    ArgumentsDelta { output_index: u64, delta: String },
    #[serde(rename = "response.output_item.done")]
    ItemDone { output_index: u64, item: Item },
    #[serde(rename = "response.completed", alias = "response.incomplete")]
    Completed { response: Response },
    #[serde(rename = "response.failed")]
    Failed { response: Response },
    #[serde(rename = "error")]
    Error(Value),
    #[serde(other)]
    Other,
}

#[derive(Default)]
pub(crate) struct Decoder {
    draft: Draft,
    completed: bool,
}

impl StreamDecoder for Decoder {
    fn event(&mut self, event: &SseEvent) -> Result<(), WireError> {
        let draft = &mut self.draft;
        match from_data::<Event>(event)? {
            Event::Created { response } => draft.model = response.model,
            Event::ItemAdded {
                output_index,
                item:
                    Item::FunctionCall {
                        call_id,
                        name,
                        arguments,
                    },
            } => {
                let call = draft.call(&output_index.to_string());
                call.id = call_id;
                call.name = name;
                call.arguments = arguments;
            }
            Event::ItemAdded { .. } => {}
            Event::TextDelta { delta } => draft.text.push_str(&delta),
            Event::ArgumentsDelta { output_index, delta } => {
                draft.call(&output_index.to_string()).arguments.push_str(&delta)
            }
            // The finished item is authoritative for the call's arguments.
            Event::ItemDone {
                output_index,
                item:
                    Item::FunctionCall {
                        call_id,
                        name,
                        arguments,
                    },
            } => {
                let call = draft.call(&output_index.to_string());
                call.id = call_id;
                call.name = name;
                call.arguments = arguments;
            }
            Event::ItemDone { .. } => {}
            Event::Completed { mut response } => {
                if !response.model.is_empty() {
                    draft.model = std::mem::take(&mut response.model);
                }
                draft.usage = response.usage.as_ref().map(|u| u.tokens()).unwrap_or_default();
                if draft.text.is_empty() && draft.calls.is_empty() {
                    let (text, calls) = outputs(std::mem::take(&mut response.output));
                    draft.text = text;
                    for (i, c) in calls.into_iter().enumerate() {
                        let call = draft.call(&format!("final-{i}"));
                        call.id = c.id;
                        call.name = c.name;
                        call.arguments = super::wire::arguments_string(&c.arguments);
                    }
                }
                draft.stop = Some(stop_of(&response, !draft.calls.is_empty()));
                self.completed = true;
            }
            Event::Failed { response } => {
                return Err(failed(response.error.unwrap_or(Value::Null)));
            }
            Event::Error(payload) => {
                let error = payload.get("error").cloned().unwrap_or(payload);
                return Err(failed(error));
            }
            Event::Other => {}
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<ChatResponse, WireError> {
        if !self.completed {
            return Err(WireError::Truncated("no `response.completed` event".into()));
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
        req.stream = true;
        let got = build(&req, Some(&ApiKey::new("sk-test")));
        assert_eq!(got.path, "/responses");
        assert_eq!(
            got.headers,
            vec![
                ("authorization", "Bearer sk-test".to_string()),
                ("content-type", "application/json".to_string()),
            ]
        );
        let want = json!({
            "model": "m-1",
            "instructions": "be terse",
            "input": [
                {"role": "user", "content": "list files"},
                {"role": "assistant", "content": "checking"},
                {"type": "function_call", "call_id": "call_1", "name": "ls", "arguments": "{\"dir\":\".\"}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "a.rs"},
            ],
            "tools": [{"type": "function", "name": "ls", "description": "list a directory",
                "parameters": {"type": "object", "properties": {"dir": {"type": "string"}}}}],
            "max_output_tokens": 100,
            "text": {"format": {"type": "json_schema", "name": "verdict",
                "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}, "strict": true}},
            "temperature": 0.5,
            "store": false,
            "stream": true,
        });
        assert_eq!(got.body, want);
    }

    #[test]
    fn parses_a_reply() {
        let body = br#"{"id":"resp_1","object":"response","status":"completed","model":"gpt-5.5",
            "output":[{"type":"reasoning","id":"rs_1","summary":[]},
              {"type":"message","id":"msg_1","role":"assistant","status":"completed",
               "content":[{"type":"output_text","text":"{\"ok\":true}","annotations":[]}]}],
            "usage":{"input_tokens":300,"input_tokens_details":{"cached_tokens":256},"output_tokens":12,
              "output_tokens_details":{"reasoning_tokens":4},"total_tokens":312},"error":null}"#;
        let got = parse(body).unwrap();
        assert_eq!(got.text, "{\"ok\":true}");
        assert_eq!(got.stop, StopReason::EndTurn);
        assert_eq!(
            got.usage,
            TokenUsage {
                input: 44,
                output: 12,
                cache_read: 256,
                cache_write: 0
            }
        );

        let cut =
            br#"{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}"#;
        assert_eq!(parse(cut).unwrap().stop, StopReason::MaxTokens);
    }

    const STREAM: &str = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-5.5\",\"status\":\"in_progress\",\"output\":[]}}\n\n\
event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":\"message\",\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[]}}\n\n\
event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Reading \"}\n\n\
event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"the tree…\"}\n\n\
event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":1,\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_7\",\"name\":\"ls\",\"arguments\":\"\"}}\n\n\
event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_1\",\"output_index\":1,\"delta\":\"{\\\"dir\\\":\"}\n\n\
event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_1\",\"output_index\":1,\"delta\":\"\\\"src\\\"}\"}\n\n\
event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-5.5-2026\",\"status\":\"completed\",\"output\":[],\"usage\":{\"input_tokens\":80,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":20}}}\n\n";

    #[test]
    fn stream_assembles_text_arguments_and_usage() {
        let got = decode_all_splits(&|| Box::new(Decoder::default()), STREAM).unwrap();
        assert_eq!(got.model, "gpt-5.5-2026");
        assert_eq!(got.text, "Reading the tree…");
        assert_eq!(
            got.tool_calls,
            vec![ToolCall {
                id: "call_7".into(),
                name: "ls".into(),
                arguments: json!({"dir": "src"})
            }]
        );
        assert_eq!(got.stop, StopReason::ToolUse);
        assert_eq!(
            got.usage,
            TokenUsage {
                input: 80,
                output: 20,
                cache_read: 0,
                cache_write: 0
            }
        );
    }

    #[test]
    fn failed_and_truncated_streams() {
        let cut = &STREAM[..STREAM.find("event: response.completed").unwrap()];
        let got = decode_all_splits(&|| Box::new(Decoder::default()), cut);
        assert!(matches!(got, Err(WireError::Truncated(_))), "{got:?}");
        let failed = "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}}\n\n";
        let got = decode_all_splits(&|| Box::new(Decoder::default()), failed);
        assert!(
            matches!(got, Err(WireError::Remote { status: 500, .. })),
            "{got:?}"
        );
        let limited = "event: error\ndata: {\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\"}\n\n";
        let got = decode_all_splits(&|| Box::new(Decoder::default()), limited);
        assert!(
            matches!(got, Err(WireError::Remote { status: 429, .. })),
            "{got:?}"
        );
    }
}
