//! The Anthropic Messages format: `POST {base}/v1/messages` with `x-api-key`, content
//! blocks (`text`, `tool_use`, `tool_result`), and an SSE stream of `message_start`,
//! `content_block_*`, `message_delta` and `message_stop` events. Structured output is a
//! forced tool whose input is the JSON.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::key::ApiKey;
use super::sse::SseEvent;
use super::types::{ChatRequest, ChatResponse, Part, Role, StopReason, TokenUsage, ToolCall};
use super::wire::{from_data, from_json, Draft, StreamDecoder, WireError, WireRequest};

const VERSION: &str = "2023-06-01";

pub(crate) fn build(req: &ChatRequest, key: Option<&ApiKey>) -> WireRequest {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let content: Vec<Value> = m
                .parts
                .iter()
                .filter_map(|part| match part {
                    // The API rejects empty text blocks.
                    Part::Text { text } if text.is_empty() => None,
                    Part::Text { text } => Some(json!({"type": "text", "text": text})),
                    Part::ToolCall(call) => Some(json!({
                        "type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments,
                    })),
                    Part::ToolResult {
                        call_id,
                        content,
                        is_error,
                        ..
                    } => Some(json!({
                        "type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": is_error,
                    })),
                })
                .collect();
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({"role": role, "content": content})
        })
        .collect();

    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("max_tokens".into(), json!(req.max_tokens));
    if let Some(system) = &req.system {
        body.insert("system".into(), json!(system));
    }
    body.insert("messages".into(), Value::Array(messages));
    let mut tools: Vec<Value> = req
        .tools
        .iter()
        .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
        .collect();
    if let Some(schema) = &req.response_schema {
        tools.push(json!({
            "name": schema.name,
            "description": "Give your answer by calling this tool; its input is your reply, as JSON matching the schema.",
            "input_schema": schema.schema,
        }));
        body.insert("tool_choice".into(), json!({"type": "tool", "name": schema.name}));
    }
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if req.stream {
        body.insert("stream".into(), json!(true));
    }

    let mut headers = vec![
        ("anthropic-version", VERSION.to_string()),
        ("content-type", "application/json".to_string()),
    ];
    if let Some(key) = key {
        headers.insert(0, ("x-api-key", key.expose().to_string()));
    }
    WireRequest {
        path: "/v1/messages".into(),
        headers,
        body: Value::Object(body),
    }
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    model: String,
    #[serde(default)]
    content: Vec<Block>,
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Usage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct Usage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
}

impl Usage {
    /// Later counts replace earlier ones; absent counts leave them.
    fn merge_into(&self, usage: &mut TokenUsage) {
        let set = |to: &mut u64, from: Option<u64>| {
            if let Some(v) = from {
                *to = v;
            }
        };
        set(&mut usage.input, self.input_tokens);
        set(&mut usage.output, self.output_tokens);
        set(&mut usage.cache_read, self.cache_read_input_tokens);
        set(&mut usage.cache_write, self.cache_creation_input_tokens);
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" | "stop_sequence" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        other => StopReason::Other(other.to_string()),
    }
}

/// Moves the forced schema tool's input out of the tool calls into `structured`.
fn take_structured(req: &ChatRequest, response: &mut ChatResponse) {
    let Some(schema) = &req.response_schema else {
        return;
    };
    if let Some(at) = response.tool_calls.iter().position(|c| c.name == schema.name) {
        let call = response.tool_calls.remove(at);
        response.structured = Some(call.arguments);
        if response.stop == StopReason::ToolUse && response.tool_calls.is_empty() {
            response.stop = StopReason::EndTurn;
        }
    }
}

pub(crate) fn parse(req: &ChatRequest, body: &[u8]) -> Result<ChatResponse, WireError> {
    let reply: Reply = from_json(body)?;
    let mut usage = TokenUsage::default();
    reply.usage.merge_into(&mut usage);
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    for block in reply.content {
        match block {
            Block::Text { text: t } => text.push_str(&t),
            Block::ToolUse { id, name, input } => tool_calls.push(ToolCall {
                id,
                name,
                arguments: input,
            }),
            Block::Other => {}
        }
    }
    let mut response = ChatResponse {
        model: reply.model,
        text,
        stop: match reply.stop_reason.as_deref() {
            Some(r) => stop_reason(r),
            None if !tool_calls.is_empty() => StopReason::ToolUse,
            None => StopReason::EndTurn,
        },
        tool_calls,
        usage,
        structured: None,
    };
    take_structured(req, &mut response);
    Ok(response)
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u64,
        content_block: Block,
    },
    ContentBlockDelta {
        index: u64,
        delta: BlockDelta,
    },
    MessageDelta {
        #[serde(default)]
        delta: MessageDelta,
        #[serde(default)]
        usage: Usage,
    },
    MessageStop,
    Error {
        error: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    model: String,
    #[serde(default)]
    usage: Usage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct MessageDelta {
    stop_reason: Option<String>,
}

/// The HTTP status an in-stream error type stands for.
fn status_of(error_type: &str) -> u16 {
    match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

pub(crate) struct Decoder {
    req: ChatRequest,
    draft: Draft,
    stopped: bool,
}

impl Decoder {
    pub fn new(req: &ChatRequest) -> Decoder {
        Decoder {
            req: req.clone(),
            draft: Draft::default(),
            stopped: false,
        }
    }
}

impl StreamDecoder for Decoder {
    fn event(&mut self, event: &SseEvent) -> Result<(), WireError> {
        let draft = &mut self.draft;
        match from_data::<Event>(event)? {
            Event::MessageStart { message } => {
                draft.model = message.model;
                message.usage.merge_into(&mut draft.usage);
            }
            Event::ContentBlockStart {
                index,
                content_block: Block::ToolUse { id, name, .. },
            } => {
                // The start carries `input: {}`; the real input arrives as JSON deltas.
                let call = draft.call(&index.to_string());
                call.id = id;
                call.name = name;
            }
            Event::ContentBlockStart {
                content_block: Block::Text { text },
                ..
            } => draft.text.push_str(&text),
            Event::ContentBlockStart { .. } => {}
            Event::ContentBlockDelta { index, delta } => match delta {
                BlockDelta::TextDelta { text } => draft.text.push_str(&text),
                BlockDelta::InputJsonDelta { partial_json } => {
                    draft.call(&index.to_string()).arguments.push_str(&partial_json)
                }
                BlockDelta::Other => {}
            },
            Event::MessageDelta { delta, usage } => {
                if let Some(reason) = delta.stop_reason {
                    draft.stop = Some(stop_reason(&reason));
                }
                usage.merge_into(&mut draft.usage);
            }
            Event::MessageStop => self.stopped = true,
            Event::Error { error } => {
                let kind = error.get("type").and_then(Value::as_str).unwrap_or_default();
                return Err(WireError::Remote {
                    status: status_of(kind),
                    body: json!({"type": "error", "error": error}),
                });
            }
            Event::Other => {}
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<ChatResponse, WireError> {
        if !self.stopped {
            return Err(WireError::Truncated("no `message_stop` event".into()));
        }
        let mut response = self.draft.into_response();
        take_structured(&self.req, &mut response);
        Ok(response)
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
        let got = build(&req, Some(&ApiKey::new("sk-ant-test")));
        assert_eq!(got.path, "/v1/messages");
        assert_eq!(
            got.headers,
            vec![
                ("x-api-key", "sk-ant-test".to_string()),
                ("anthropic-version", "2023-06-01".to_string()),
                ("content-type", "application/json".to_string()),
            ]
        );
        let want = json!({
            "model": "m-1",
            "max_tokens": 100,
            "system": "be terse",
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "list files"}]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "checking"},
                    {"type": "tool_use", "id": "call_1", "name": "ls", "input": {"dir": "."}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "a.rs", "is_error": false},
                ]},
            ],
            "tools": [
                {"name": "ls", "description": "list a directory",
                 "input_schema": {"type": "object", "properties": {"dir": {"type": "string"}}}},
                {"name": "verdict",
                 "description": "Give your answer by calling this tool; its input is your reply, as JSON matching the schema.",
                 "input_schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}},
            ],
            "tool_choice": {"type": "tool", "name": "verdict"},
            "temperature": 0.5,
            "stream": true,
        });
        assert_eq!(got.body, want);
    }

    #[test]
    fn parses_a_reply_with_the_forced_schema_tool() {
        let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-4-6",
            "content":[{"type":"thinking","thinking":"hm","signature":"s"},
                       {"type":"text","text":"Here."},
                       {"type":"tool_use","id":"toolu_1","name":"verdict","input":{"ok":true}}],
            "stop_reason":"tool_use","stop_sequence":null,
            "usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":7}}"#;
        let got = parse(&full_request(), body).unwrap();
        assert_eq!(got.model, "claude-opus-4-6");
        assert_eq!(got.text, "Here.");
        assert!(got.tool_calls.is_empty());
        assert_eq!(got.structured, Some(json!({"ok": true})));
        assert_eq!(got.stop, StopReason::EndTurn);
        assert_eq!(
            got.usage,
            TokenUsage {
                input: 10,
                output: 5,
                cache_read: 100,
                cache_write: 7
            }
        );
        assert!(matches!(
            parse(&full_request(), b"<html>"),
            Err(WireError::Bad(_))
        ));
    }

    const STREAM: &str = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1,\"cache_read_input_tokens\":3,\"cache_creation_input_tokens\":0}}}\r\n\r\n\
event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Let me \"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"look — ✓\"}}\n\n\
event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":\"ls\",\"input\":{}}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"dir\\\": \\\"sr\"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"c\\\"}\"}}\n\n\
event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    #[test]
    fn stream_assembles_text_tool_arguments_and_usage() {
        let mut req = full_request();
        req.response_schema = None;
        let got = decode_all_splits(&|| Box::new(Decoder::new(&req)), STREAM).unwrap();
        assert_eq!(got.model, "claude-sonnet-4-5");
        assert_eq!(got.text, "Let me look — ✓");
        assert_eq!(
            got.tool_calls,
            vec![ToolCall {
                id: "toolu_9".into(),
                name: "ls".into(),
                arguments: json!({"dir": "src"})
            }]
        );
        assert_eq!(got.stop, StopReason::ToolUse);
        assert_eq!(
            got.usage,
            TokenUsage {
                input: 25,
                output: 42,
                cache_read: 3,
                cache_write: 0
            }
        );
    }

    #[test]
    fn truncated_stream_and_error_event() {
        let cut = &STREAM[..STREAM.find("event: message_stop").unwrap()];
        let req = full_request();
        let got = decode_all_splits(&|| Box::new(Decoder::new(&req)), cut);
        assert!(matches!(got, Err(WireError::Truncated(_))), "{got:?}");
        let overloaded = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let got = decode_all_splits(&|| Box::new(Decoder::new(&req)), overloaded);
        assert!(
            matches!(got, Err(WireError::Remote { status: 529, .. })),
            "{got:?}"
        );
    }
}
