//! The OpenAI Chat Completions format, also spoken by OpenRouter, Ollama, DeepSeek,
//! Mistral, xAI, vLLM and most other compatible services: `POST {base}/chat/completions`
//! with a bearer key, `tool_calls` with string arguments, `json_schema` structured output,
//! and an SSE stream of `choices[0].delta` chunks ended by `[DONE]`.
//!
//! The token limit goes out as `max_completion_tokens` to OpenAI (its reasoning models
//! refuse `max_tokens`) and as `max_tokens` to compatible services, several of which do
//! not know the newer name; `ProviderSpec::legacy_max_tokens` chooses.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::key::ApiKey;
use super::sse::SseEvent;
use super::types::{ChatRequest, ChatResponse, Part, Role, StopReason, TokenUsage, ToolCall};
use super::wire::{
    arguments_string, from_data, from_json, parse_arguments, Draft, StreamDecoder, WireError, WireRequest,
};

pub(crate) fn build(req: &ChatRequest, key: Option<&ApiKey>, legacy_max_tokens: bool) -> WireRequest {
    let mut messages = Vec::new();
    if let Some(system) = &req.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &req.messages {
        let texts: Vec<&str> = m
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        match m.role {
            Role::Assistant => {
                let calls: Vec<Value> = m
                    .parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::ToolCall(c) => Some(json!({
                            "id": c.id, "type": "function",
                            "function": {"name": c.name, "arguments": arguments_string(&c.arguments)},
                        })),
                        _ => None,
                    })
                    .collect();
                let text = texts.concat();
                let mut msg = json!({
                    "role": "assistant",
                    "content": if text.is_empty() { Value::Null } else { json!(text) },
                });
                if !calls.is_empty() {
                    msg["tool_calls"] = Value::Array(calls);
                }
                messages.push(msg);
            }
            Role::User => {
                // Tool results must directly follow the assistant turn that called them.
                for p in &m.parts {
                    if let Part::ToolResult { call_id, content, .. } = p {
                        messages.push(json!({"role": "tool", "tool_call_id": call_id, "content": content}));
                    }
                }
                match texts.as_slice() {
                    [] => {}
                    [one] => messages.push(json!({"role": "user", "content": one})),
                    many => messages.push(json!({
                        "role": "user",
                        "content": many.iter().map(|t| json!({"type": "text", "text": t})).collect::<Vec<_>>(),
                    })),
                }
            }
        }
    }

    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("messages".into(), Value::Array(messages));
    let limit = if legacy_max_tokens {
        "max_tokens"
    } else {
        "max_completion_tokens"
    };
    body.insert(limit.into(), json!(req.max_tokens));
    if !req.tools.is_empty() {
        let tools = req
            .tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(schema) = &req.response_schema {
        body.insert(
            "response_format".into(),
            json!({"type": "json_schema", "json_schema": {"name": schema.name, "schema": schema.schema, "strict": true}}),
        );
    }
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if req.stream {
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }

    let mut headers = vec![("content-type", "application/json".to_string())];
    if let Some(key) = key {
        headers.insert(0, ("authorization", format!("Bearer {}", key.expose())));
    }
    WireRequest {
        path: "/chat/completions".into(),
        headers,
        body: Value::Object(body),
    }
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    model: String,
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ReplyMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ReplyMessage {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ReplyCall>,
}

#[derive(Deserialize)]
struct ReplyCall {
    #[serde(default)]
    id: String,
    function: ReplyFunction,
}

#[derive(Deserialize)]
struct ReplyFunction {
    #[serde(default)]
    name: String,
    #[serde(default)]
    arguments: String,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    prompt_tokens_details: Option<PromptDetails>,
    /// DeepSeek's name for cached prompt tokens.
    prompt_cache_hit_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct PromptDetails {
    cached_tokens: Option<u64>,
}

impl Usage {
    /// `input` counts only uncached prompt tokens, as the price table charges them.
    fn tokens(&self) -> TokenUsage {
        let cached = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .or(self.prompt_cache_hit_tokens)
            .unwrap_or(0)
            .min(self.prompt_tokens);
        TokenUsage {
            input: self.prompt_tokens - cached,
            output: self.completion_tokens,
            cache_read: cached,
            cache_write: 0,
        }
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "stop" => StopReason::EndTurn,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "length" => StopReason::MaxTokens,
        other => StopReason::Other(other.to_string()),
    }
}

pub(crate) fn parse(body: &[u8]) -> Result<ChatResponse, WireError> {
    let reply: Reply = from_json(body)?;
    let choice = reply
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| WireError::bad("the reply has no choices"))?;
    let tool_calls: Vec<ToolCall> = choice
        .message
        .tool_calls
        .into_iter()
        .map(|c| ToolCall {
            id: c.id,
            name: c.function.name,
            arguments: parse_arguments(&c.function.arguments),
        })
        .collect();
    Ok(ChatResponse {
        model: reply.model,
        text: choice.message.content.unwrap_or_default(),
        stop: match choice.finish_reason.as_deref() {
            Some(r) => stop_reason(r),
            None if !tool_calls.is_empty() => StopReason::ToolUse,
            None => StopReason::EndTurn,
        },
        tool_calls,
        usage: reply.usage.map(|u| u.tokens()).unwrap_or_default(),
        structured: None,
    })
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    model: String,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<Usage>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: ChunkDelta,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct ChunkDelta {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ChunkCall>,
}

#[derive(Deserialize)]
struct ChunkCall {
    #[serde(default)]
    index: u64,
    id: Option<String>,
    function: Option<ChunkFunction>,
}

#[derive(Deserialize)]
struct ChunkFunction {
    name: Option<String>,
    arguments: Option<String>,
}

#[derive(Default)]
pub(crate) struct Decoder {
    draft: Draft,
    done: bool,
}

impl StreamDecoder for Decoder {
    fn event(&mut self, event: &SseEvent) -> Result<(), WireError> {
        if event.data.trim() == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let chunk: Chunk = from_data(event)?;
        if let Some(error) = chunk.error {
            // Compatible services (OpenRouter) report mid-stream failures this way.
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
        let draft = &mut self.draft;
        if !chunk.model.is_empty() {
            draft.model = chunk.model;
        }
        if let Some(usage) = chunk.usage {
            draft.usage = usage.tokens();
        }
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(text) = choice.delta.content {
                draft.text.push_str(&text);
            }
            for piece in choice.delta.tool_calls {
                let call = draft.call(&piece.index.to_string());
                if let Some(id) = piece.id.filter(|id| !id.is_empty()) {
                    call.id = id;
                }
                if let Some(f) = piece.function {
                    if let Some(name) = f.name.filter(|n| !n.is_empty()) {
                        call.name = name;
                    }
                    if let Some(args) = f.arguments {
                        call.arguments.push_str(&args);
                    }
                }
            }
            if let Some(reason) = choice.finish_reason {
                draft.stop = Some(stop_reason(&reason));
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<ChatResponse, WireError> {
        // Some compatible servers omit `[DONE]`; a finish reason is as good.
        if !self.done && self.draft.stop.is_none() {
            return Err(WireError::Truncated("no `[DONE]` and no finish reason".into()));
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
        let got = build(&req, Some(&ApiKey::new("sk-test")), false);
        assert_eq!(got.path, "/chat/completions");
        assert_eq!(
            got.headers,
            vec![
                ("authorization", "Bearer sk-test".to_string()),
                ("content-type", "application/json".to_string()),
            ]
        );
        let want = json!({
            "model": "m-1",
            "messages": [
                {"role": "system", "content": "be terse"},
                {"role": "user", "content": "list files"},
                {"role": "assistant", "content": "checking", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "ls", "arguments": "{\"dir\":\".\"}"}},
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "a.rs"},
            ],
            "max_completion_tokens": 100,
            "tools": [{"type": "function", "function": {"name": "ls", "description": "list a directory",
                "parameters": {"type": "object", "properties": {"dir": {"type": "string"}}}}}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "verdict",
                "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}, "strict": true}},
            "temperature": 0.5,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        assert_eq!(got.body, want);

        let compat = build(&full_request(), None, true);
        assert_eq!(
            compat.headers,
            vec![("content-type", "application/json".to_string())]
        );
        assert_eq!(compat.body["max_tokens"], json!(100));
        assert!(compat.body.get("max_completion_tokens").is_none());
        assert!(compat.body.get("stream").is_none());
    }

    #[test]
    fn parses_a_reply() {
        let body = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-5.5-2026-01-01",
            "choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,
              "tool_calls":[{"id":"call_a","type":"function","function":{"name":"ls","arguments":"{\"dir\":\"src\"}"}}]},
              "finish_reason":"tool_calls"}],
            "usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,
              "prompt_tokens_details":{"cached_tokens":100},"completion_tokens_details":{"reasoning_tokens":10}}}"#;
        let got = parse(body).unwrap();
        assert_eq!(got.model, "gpt-5.5-2026-01-01");
        assert_eq!(got.text, "");
        assert_eq!(
            got.tool_calls,
            vec![ToolCall {
                id: "call_a".into(),
                name: "ls".into(),
                arguments: json!({"dir": "src"})
            }]
        );
        assert_eq!(got.stop, StopReason::ToolUse);
        assert_eq!(
            got.usage,
            TokenUsage {
                input: 20,
                output: 30,
                cache_read: 100,
                cache_write: 0
            }
        );
        assert!(matches!(parse(br#"{"choices":[]}"#), Err(WireError::Bad(_))));
    }

    const STREAM: &str = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-5.5\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n\
data: {\"id\":\"c1\",\"model\":\"gpt-5.5\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Héllo\"},\"finish_reason\":null}]}\n\n\
: openrouter processing\n\n\
data: {\"id\":\"c1\",\"model\":\"gpt-5.5\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_x\",\"type\":\"function\",\"function\":{\"name\":\"ls\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"model\":\"gpt-5.5\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"di\"}}]},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"model\":\"gpt-5.5\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_y\",\"function\":{\"name\":\"cat\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"model\":\"gpt-5.5\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"r\\\":\\\"x\\\"}\"}}]},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"model\":\"gpt-5.5\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n\
data: {\"id\":\"c1\",\"model\":\"gpt-5.5\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":9,\"prompt_tokens_details\":{\"cached_tokens\":0}}}\n\n\
data: [DONE]\n\n";

    #[test]
    fn stream_assembles_tool_call_deltas_and_usage() {
        let got = decode_all_splits(&|| Box::new(Decoder::default()), STREAM).unwrap();
        assert_eq!(got.text, "Héllo");
        assert_eq!(
            got.tool_calls,
            vec![
                ToolCall {
                    id: "call_x".into(),
                    name: "ls".into(),
                    arguments: json!({"dir": "x"})
                },
                ToolCall {
                    id: "call_y".into(),
                    name: "cat".into(),
                    arguments: json!({})
                },
            ]
        );
        assert_eq!(got.stop, StopReason::ToolUse);
        assert_eq!(
            got.usage,
            TokenUsage {
                input: 50,
                output: 9,
                cache_read: 0,
                cache_write: 0
            }
        );
    }

    #[test]
    fn truncated_and_error_chunks() {
        let cut = &STREAM[..STREAM
            .find("data: {\"id\":\"c1\",\"model\":\"gpt-5.5\",\"choices\":[{\"index\":0,\"delta\":{},")
            .unwrap()];
        let got = decode_all_splits(&|| Box::new(Decoder::default()), cut);
        assert!(matches!(got, Err(WireError::Truncated(_))), "{got:?}");
        let err = "data: {\"error\":{\"code\":502,\"message\":\"upstream down\"}}\n\n";
        let got = decode_all_splits(&|| Box::new(Decoder::default()), err);
        assert!(
            matches!(got, Err(WireError::Remote { status: 502, .. })),
            "{got:?}"
        );
    }
}
