//! What the four wire-format modules share and how the client reaches them: the HTTP
//! request a format builds, the reply it parses, the decoder a stream feeds, and the
//! draft a streamed reply is assembled in. Nothing here is visible outside `provider`.

use serde_json::Value;

use super::key::ApiKey;
use super::registry::{ProviderSpec, WireFormat};
use super::sse::SseEvent;
use super::types::{ChatRequest, ChatResponse, StopReason, TokenUsage, ToolCall};
use super::{anthropic, gemini, openai_chat, openai_responses, structured};

/// An HTTP request, before it is sent: always a `POST` of a JSON body.
#[derive(Debug, PartialEq)]
pub(crate) struct WireRequest {
    /// Appended to the provider's base URL (`/v1/messages`, `/chat/completions`, …).
    pub path: String,
    /// Header names are lowercase. The key header is among them.
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

/// Header names that carry a key, marked sensitive so they never show in debug output.
pub(crate) const SECRET_HEADERS: &[&str] = &["authorization", "x-api-key", "x-goog-api-key"];

/// A reply that could not be used as it was.
#[derive(Debug, PartialEq)]
pub(crate) enum WireError {
    /// Not the shape the format promises.
    Bad(String),
    /// The stream ended before the format's closing event.
    Truncated(String),
    /// The provider reported an error inside a `200` stream; `status` is the HTTP status
    /// the error type corresponds to.
    Remote { status: u16, body: Value },
}

impl WireError {
    pub fn bad(what: impl std::fmt::Display) -> WireError {
        WireError::Bad(what.to_string())
    }
}

/// Consumes one streamed reply's events.
pub(crate) trait StreamDecoder: Send {
    fn event(&mut self, event: &SseEvent) -> Result<(), WireError>;
    fn finish(self: Box<Self>) -> Result<ChatResponse, WireError>;
}

/// The request `spec`'s format makes of `req`.
pub(crate) fn build(spec: &ProviderSpec, req: &ChatRequest, key: Option<&ApiKey>) -> WireRequest {
    match spec.format {
        WireFormat::Anthropic => anthropic::build(req, key),
        WireFormat::OpenAiChat => openai_chat::build(req, key, spec.legacy_max_tokens),
        WireFormat::OpenAiResponses => openai_responses::build(req, key),
        WireFormat::Gemini => gemini::build(req, key),
    }
}

/// A whole (non-streamed) reply body.
pub(crate) fn parse_body(
    format: WireFormat,
    req: &ChatRequest,
    body: &[u8],
) -> Result<ChatResponse, WireError> {
    let mut response = match format {
        WireFormat::Anthropic => anthropic::parse(req, body),
        WireFormat::OpenAiChat => openai_chat::parse(body),
        WireFormat::OpenAiResponses => openai_responses::parse(body),
        WireFormat::Gemini => gemini::parse(body),
    }?;
    structured::fill_from_text(req, &mut response);
    Ok(response)
}

/// A decoder for a streamed reply to `req`.
pub(crate) fn decoder(format: WireFormat, req: &ChatRequest) -> Box<dyn StreamDecoder> {
    let inner: Box<dyn StreamDecoder> = match format {
        WireFormat::Anthropic => Box::new(anthropic::Decoder::new(req)),
        WireFormat::OpenAiChat => Box::new(openai_chat::Decoder::default()),
        WireFormat::OpenAiResponses => Box::new(openai_responses::Decoder::default()),
        WireFormat::Gemini => Box::new(gemini::Decoder::default()),
    };
    Box::new(WithStructured {
        inner,
        req: req.clone(),
    })
}

struct WithStructured {
    inner: Box<dyn StreamDecoder>,
    req: ChatRequest,
}

impl StreamDecoder for WithStructured {
    fn event(&mut self, event: &SseEvent) -> Result<(), WireError> {
        self.inner.event(event)
    }

    fn finish(self: Box<Self>) -> Result<ChatResponse, WireError> {
        let mut response = self.inner.finish()?;
        structured::fill_from_text(&self.req, &mut response);
        Ok(response)
    }
}

/// Tool-call arguments as sent (a JSON string). Empty means no arguments; text that is
/// not JSON is kept as a string so the caller sees what the model wrote.
pub(crate) fn parse_arguments(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return Value::Object(Default::default());
    }
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
}

/// Tool-call arguments to send: formats that want a string get the JSON text.
pub(crate) fn arguments_string(arguments: &Value) -> String {
    match arguments {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A tool call being streamed in pieces.
#[derive(Debug, Default)]
pub(crate) struct PendingCall {
    /// How the format identifies the call across events (an index or an item id).
    pub key: String,
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A streamed reply, assembled as its events arrive.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub model: String,
    pub text: String,
    pub calls: Vec<PendingCall>,
    pub usage: TokenUsage,
    pub stop: Option<StopReason>,
    pub structured: Option<Value>,
}

impl Draft {
    /// The call known by `key`, created on first sight.
    pub fn call(&mut self, key: &str) -> &mut PendingCall {
        let at = match self.calls.iter().position(|c| c.key == key) {
            Some(at) => at,
            None => {
                self.calls.push(PendingCall {
                    key: key.to_string(),
                    ..Default::default()
                });
                self.calls.len() - 1
            }
        };
        &mut self.calls[at]
    }

    pub fn into_response(self) -> ChatResponse {
        let tool_calls: Vec<ToolCall> = self
            .calls
            .into_iter()
            .map(|c| ToolCall {
                id: c.id,
                name: c.name,
                arguments: parse_arguments(&c.arguments),
            })
            .collect();
        let stop = match self.stop {
            Some(stop) => stop,
            None if !tool_calls.is_empty() => StopReason::ToolUse,
            None => StopReason::EndTurn,
        };
        ChatResponse {
            model: self.model,
            text: self.text,
            tool_calls,
            stop,
            usage: self.usage,
            structured: self.structured,
        }
    }
}

/// Parses a JSON body into a format's private reply type.
pub(crate) fn from_json<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Result<T, WireError> {
    serde_json::from_slice(body).map_err(|e| WireError::bad(format!("invalid JSON: {e}")))
}

/// Parses an SSE `data` payload.
pub(crate) fn from_data<'a, T: serde::Deserialize<'a>>(event: &'a SseEvent) -> Result<T, WireError> {
    serde_json::from_str(&event.data).map_err(|e| {
        let name = if event.event.is_empty() {
            "message"
        } else {
            &event.event
        };
        WireError::bad(format!("invalid JSON in `{name}` event: {e}"))
    })
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Shared fixtures for the format tests.
    use super::super::types::*;
    use super::*;
    use serde_json::json;

    /// A request with a system prompt, a tool, a tool-call turn, its result and a schema.
    pub fn full_request() -> ChatRequest {
        ChatRequest {
            model: "m-1".into(),
            system: Some("be terse".into()),
            messages: vec![
                Message::user("list files"),
                Message {
                    role: Role::Assistant,
                    parts: vec![
                        Part::Text {
                            text: "checking".into(),
                        },
                        Part::ToolCall(ToolCall {
                            id: "call_1".into(),
                            name: "ls".into(),
                            arguments: json!({"dir": "."}),
                        }),
                    ],
                },
                Message {
                    role: Role::User,
                    parts: vec![Part::ToolResult {
                        call_id: "call_1".into(),
                        name: "ls".into(),
                        content: "a.rs".into(),
                        is_error: false,
                    }],
                },
            ],
            tools: vec![ToolSpec {
                name: "ls".into(),
                description: "list a directory".into(),
                parameters: json!({"type": "object", "properties": {"dir": {"type": "string"}}}),
            }],
            response_schema: Some(ResponseSchema {
                name: "verdict".into(),
                schema: json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}),
            }),
            max_tokens: 100,
            temperature: Some(0.5),
            stream: false,
        }
    }

    /// Feeds an SSE byte stream to a decoder in chunks of every size from 1 to 64 and
    /// checks all agree; returns the reply.
    pub fn decode_all_splits(
        make: &dyn Fn() -> Box<dyn StreamDecoder>,
        stream: &str,
    ) -> Result<ChatResponse, WireError> {
        let mut first: Option<Result<ChatResponse, WireError>> = None;
        for size in 1..=64 {
            let mut decoder = make();
            let mut result = Ok(());
            for event in super::super::sse::tests::parse_chunked(stream.as_bytes(), size) {
                result = result.and_then(|_| decoder.event(&event));
            }
            let got = result.and_then(|_| decoder.finish());
            match &first {
                None => first = Some(got),
                Some(want) => assert_eq!(&got, want, "chunk size {size}"),
            }
        }
        first.unwrap_or(Err(WireError::bad("no run")))
    }
}
