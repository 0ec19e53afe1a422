//! OpenAI Chat Completions (`POST /v1/chat/completions`): the `chat.completion` object,
//! its `chat.completion.chunk` stream ending in `data: [DONE]` (with a usage chunk when
//! `stream_options.include_usage`), and OpenAI's error bodies, which the Responses API
//! shares.

use serde_json::{json, Value};

use super::http::{Body, Response};
use super::render::{self, Content, ErrorKind, Ids, RenderCtx};

pub(crate) fn headers(ids: &Ids, mut base: Vec<(String, String)>) -> Vec<(String, String)> {
    base.push(("x-request-id".to_string(), ids.next("req_", 32)));
    base.push(("openai-version".to_string(), "2020-10-01".to_string()));
    base.push(("openai-processing-ms".to_string(), "42".to_string()));
    base
}

fn usage_json(ctx: &RenderCtx) -> Value {
    let u = ctx.usage;
    json!({
        "prompt_tokens": u.input + u.cache_read,
        "completion_tokens": u.output,
        "total_tokens": u.input + u.cache_read + u.output,
        "prompt_tokens_details": {"cached_tokens": u.cache_read, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    })
}

/// The system fingerprint every completion and chunk carries.
const FINGERPRINT: &str = "fp_f3b1c0a7d2";

/// A tool call as rendered: its call id, the tool's name and the compact JSON arguments.
type Call<'a> = (String, &'a String, String);

/// What the `chat.completion` object and each of its chunks share.
struct Completion<'a> {
    ctx: &'a RenderCtx<'a>,
    id: String,
    created: u64,
    finish: &'static str,
    calls: Vec<Call<'a>>,
}

/// `POST /v1/chat/completions`: the whole `chat.completion`, or its chunk stream.
pub(crate) fn reply(ctx: &RenderCtx, content: &Content) -> Response {
    let id = ctx.ids.next("chatcmpl-", 29);
    let created = render::unix_now();
    let finish = if content.calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    let calls: Vec<Call> = content
        .calls
        .iter()
        .map(|(name, args)| (ctx.ids.next("call_", 24), name, args.to_string()))
        .collect();
    let completion = Completion {
        ctx,
        id,
        created,
        finish,
        calls,
    };
    if ctx.stream {
        chunk_stream(&completion, content)
    } else {
        whole_completion(&completion, content)
    }
}

/// The `chat.completion` object with `content-length`.
fn whole_completion(c: &Completion, content: &Content) -> Response {
    let mut message = json!({
        "role": "assistant",
        "content": content.text,
        "refusal": null,
        "annotations": [],
    });
    if !c.calls.is_empty() {
        message["tool_calls"] = c
            .calls
            .iter()
            .map(|(id, name, args)| {
                json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}})
            })
            .collect();
    }
    let body = json!({
        "id": c.id,
        "object": "chat.completion",
        "created": c.created,
        "model": c.ctx.model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": c.finish}],
        "usage": usage_json(c.ctx),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    });
    Response::new(
        200,
        headers(c.ctx.ids, render::json_headers("application/json")),
        render::json_body(&body),
    )
}

/// The chunk stream: a role chunk, content deltas, tool call deltas, the chunk with
/// `finish_reason`, a usage chunk when asked for, then `data: [DONE]`.
fn chunk_stream(c: &Completion, content: &Content) -> Response {
    let include_usage = c
        .ctx
        .request
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let chunk = |choices: Value| {
        let mut chunk = c.chunk_object(choices);
        if include_usage {
            chunk["usage"] = Value::Null;
        }
        render::data_event(&render::to_json(&chunk))
    };

    let first = if c.calls.is_empty() || content.text.is_some() {
        json!({"role": "assistant", "content": "", "refusal": null})
    } else {
        json!({"role": "assistant", "content": null, "refusal": null})
    };
    let mut events = vec![chunk(delta(first))];
    if let Some(text) = &content.text {
        for piece in render::pieces(text, 24) {
            events.push(chunk(delta(json!({"content": piece}))));
        }
    }
    for choices in tool_call_deltas(&c.calls) {
        events.push(chunk(choices));
    }
    events.push(chunk(
        json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": c.finish}]),
    ));
    if include_usage {
        let mut usage = c.chunk_object(json!([]));
        usage["usage"] = usage_json(c.ctx);
        events.push(render::data_event(&render::to_json(&usage)));
    }
    events.push(render::data_event("[DONE]"));
    Response::new(
        200,
        headers(c.ctx.ids, render::sse_headers()),
        Body::Chunks(events),
    )
}

impl Completion<'_> {
    /// A `chat.completion.chunk` object carrying `choices`.
    fn chunk_object(&self, choices: Value) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.ctx.model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        })
    }
}

/// The `choices` of a chunk whose only choice carries `delta`.
fn delta(delta: Value) -> Value {
    json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": null}])
}

/// The `choices` of the tool call chunks: per call one with its id, name and empty
/// arguments, then the arguments in pieces.
fn tool_call_deltas(calls: &[Call]) -> Vec<Value> {
    let mut out = Vec::new();
    for (index, (call_id, name, args)) in calls.iter().enumerate() {
        out.push(delta(json!({"tool_calls": [{
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }]})));
        for piece in render::json_pieces(args) {
            out.push(delta(
                json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
            ));
        }
    }
    out
}

/// OpenAI's error shape, `{"error": {message, type, param, code}}`, for Chat and Responses.
pub(crate) fn error(kind: &ErrorKind, ids: &Ids) -> Response {
    let (status, message, error_type, code, should_retry) = match kind {
        ErrorKind::RateLimited { retry_after_ms } => {
            let wait = retry_after_ms.map_or("1s".to_string(), |ms| format!("{:.3}s", ms as f64 / 1000.0));
            (
                429,
                format!(
                    "Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1. \
                     Please try again in {wait}. Visit https://platform.openai.com/account/rate-limits to \
                     learn more."
                ),
                "requests",
                Some("rate_limit_exceeded"),
                true,
            )
        }
        ErrorKind::Overloaded => (
            503,
            "The engine is currently overloaded, please try again later".to_string(),
            "server_error",
            None,
            true,
        ),
        ErrorKind::Status(code) => {
            let message = match code {
                400 => "Invalid request",
                403 => "You are not allowed to sample from this model",
                404 => "The model does not exist or you do not have access to it.",
                _ => "The server had an error while processing your request. Sorry about that!",
            };
            let error_type = if *code >= 500 {
                "server_error"
            } else {
                "invalid_request_error"
            };
            (
                *code,
                message.to_string(),
                error_type,
                None,
                *code >= 500 || *code == 429,
            )
        }
        ErrorKind::Unauthorized => (
            401,
            "Incorrect API key provided: sk-fake***********abcd. You can find your API key at \
             https://platform.openai.com/account/api-keys."
                .to_string(),
            "invalid_request_error",
            Some("invalid_api_key"),
            false,
        ),
        ErrorKind::InsufficientQuota | ErrorKind::SpendCap => (
            429,
            "You exceeded your current quota, please check your plan and billing details. For more \
             information on this error, read the docs: \
             https://platform.openai.com/docs/guides/error-codes/api-errors."
                .to_string(),
            "insufficient_quota",
            Some("insufficient_quota"),
            false,
        ),
        ErrorKind::NotFound(what) => (
            404,
            format!("Invalid URL ({what})"),
            "invalid_request_error",
            None,
            false,
        ),
        ErrorKind::BadRequest(message) => (400, message.clone(), "invalid_request_error", None, false),
    };
    let body = json!({"error": {"message": message, "type": error_type, "param": null, "code": code}});
    let mut headers = headers(ids, render::json_headers("application/json; charset=utf-8"));
    headers.push(("x-should-retry".to_string(), should_retry.to_string()));
    Response::new(status, headers, render::json_body(&body))
}

/// `GET /v1/models` and `GET /v1/models/{id}`.
pub(crate) fn models(models: &[String], one: Option<&str>, ids: &Ids) -> Response {
    let entry =
        |id: &str| json!({"id": id, "object": "model", "created": 1_735_689_600, "owned_by": "system"});
    let body = match one {
        Some(id) => entry(id),
        None => json!({"object": "list", "data": models.iter().map(|m| entry(m)).collect::<Vec<_>>()}),
    };
    Response::new(
        200,
        headers(ids, render::json_headers("application/json")),
        render::json_body(&body),
    )
}
