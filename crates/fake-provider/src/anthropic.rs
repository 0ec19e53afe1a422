//! Anthropic Messages (`POST /v1/messages`): the message object, its SSE stream
//! (`message_start`, `content_block_start`, `ping`, `content_block_delta`,
//! `content_block_stop`, `message_delta`, `message_stop`) and the error bodies.

use serde_json::{json, Value};

use super::http::{Body, Response};
use super::render::{self, Content, ErrorKind, Ids, RenderCtx};

/// The tool a request forces through `tool_choice: {"type": "tool", "name": …}`.
pub(crate) fn forced_tool(request: &Value) -> Option<&str> {
    let choice = request.get("tool_choice")?;
    if choice.get("type")?.as_str()? == "tool" {
        choice.get("name")?.as_str()
    } else {
        None
    }
}

fn headers(ids: &Ids, mut base: Vec<(String, String)>) -> Vec<(String, String)> {
    base.push(("request-id".to_string(), ids.next("req_011C", 20)));
    base.push((
        "anthropic-organization-id".to_string(),
        "00000000-0000-4000-8000-000000000000".to_string(),
    ));
    base
}

fn usage_json(ctx: &RenderCtx, output: u64) -> Value {
    json!({
        "input_tokens": ctx.usage.input,
        "cache_creation_input_tokens": ctx.usage.cache_write,
        "cache_read_input_tokens": ctx.usage.cache_read,
        "output_tokens": output,
        "service_tier": "standard",
    })
}

/// `POST /v1/messages`: the whole message object, or its SSE stream.
pub(crate) fn reply(ctx: &RenderCtx, content: &Content) -> Response {
    let id = ctx.ids.next("msg_01", 22);
    let stop_reason = if content.calls.is_empty() {
        "end_turn"
    } else {
        "tool_use"
    };
    let blocks = content_blocks(ctx.ids, content);
    if ctx.stream {
        message_stream(ctx, &id, &blocks, stop_reason)
    } else {
        whole_message(ctx, &id, &blocks, stop_reason)
    }
}

/// The message's content blocks: the text (when there is any), then one `tool_use` per
/// tool call, each with a fresh id.
fn content_blocks(ids: &Ids, content: &Content) -> Vec<Value> {
    let mut blocks = Vec::new();
    if let Some(text) = &content.text {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for (name, args) in &content.calls {
        blocks.push(json!({"type": "tool_use", "id": ids.next("toolu_01", 22), "name": name, "input": args}));
    }
    blocks
}

/// The `message` object with `content-length`.
fn whole_message(ctx: &RenderCtx, id: &str, blocks: &[Value], stop_reason: &str) -> Response {
    let message = json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": ctx.model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage_json(ctx, ctx.usage.output),
    });
    Response::new(
        200,
        headers(ctx.ids, render::json_headers("application/json")),
        render::json_body(&message),
    )
}

/// The SSE stream: `message_start`, each block's events, `message_delta`, `message_stop`.
fn message_stream(ctx: &RenderCtx, id: &str, blocks: &[Value], stop_reason: &str) -> Response {
    let mut events = vec![render::named_event(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": ctx.model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": usage_json(ctx, 1),
        }}),
    )];
    for (index, block) in blocks.iter().enumerate() {
        stream_block(&mut events, index, block);
    }
    events.push(render::named_event(
        "message_delta",
        &json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {
            "input_tokens": ctx.usage.input,
            "cache_creation_input_tokens": ctx.usage.cache_write,
            "cache_read_input_tokens": ctx.usage.cache_read,
            "output_tokens": ctx.usage.output,
        }}),
    ));
    events.push(render::named_event(
        "message_stop",
        &json!({"type": "message_stop"}),
    ));
    Response::new(200, headers(ctx.ids, render::sse_headers()), Body::Chunks(events))
}

/// One content block's events: `content_block_start` with the block emptied (and a
/// `ping` after the first block's start), its deltas, then `content_block_stop`.
fn stream_block(events: &mut Vec<Vec<u8>>, index: usize, block: &Value) {
    let start_block = match block["type"].as_str() {
        Some("text") => json!({"type": "text", "text": ""}),
        _ => json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
    };
    events.push(render::named_event(
        "content_block_start",
        &json!({"type": "content_block_start", "index": index, "content_block": start_block}),
    ));
    if index == 0 {
        events.push(render::named_event("ping", &json!({"type": "ping"})));
    }
    for delta in block_deltas(block) {
        events.push(render::named_event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": index, "delta": delta}),
        ));
    }
    events.push(render::named_event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": index}),
    ));
}

/// A block's deltas: `text_delta` pieces of the text, or for a tool use an empty
/// `input_json_delta` followed by the input's compact JSON in pieces.
fn block_deltas(block: &Value) -> Vec<Value> {
    match block["type"].as_str() {
        Some("text") => render::pieces(block["text"].as_str().unwrap_or(""), 24)
            .into_iter()
            .map(|p| json!({"type": "text_delta", "text": p}))
            .collect(),
        _ => {
            let input = block["input"].to_string();
            let mut deltas = vec![json!({"type": "input_json_delta", "partial_json": ""})];
            deltas.extend(
                render::json_pieces(&input)
                    .into_iter()
                    .map(|p| json!({"type": "input_json_delta", "partial_json": p})),
            );
            deltas
        }
    }
}

pub(crate) fn error(kind: &ErrorKind, ids: &Ids) -> Response {
    let (status, error_type, message, should_retry) = match kind {
        ErrorKind::RateLimited { .. } => (
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests per minute. \
             For details, refer to: https://docs.claude.com/en/api/rate-limits."
                .to_string(),
            true,
        ),
        ErrorKind::Overloaded => (529, "overloaded_error", "Overloaded".to_string(), true),
        ErrorKind::Status(code) => {
            let (t, m) = match code {
                400 => ("invalid_request_error", "Invalid request"),
                403 => (
                    "permission_error",
                    "Your API key does not have permission to use the specified resource.",
                ),
                404 => ("not_found_error", "Not found"),
                413 => (
                    "request_too_large",
                    "Request exceeds the maximum allowed number of bytes.",
                ),
                529 => ("overloaded_error", "Overloaded"),
                _ => ("api_error", "Internal server error"),
            };
            (*code, t, m.to_string(), *code >= 500 || *code == 429)
        }
        ErrorKind::Unauthorized => (
            401,
            "authentication_error",
            "invalid x-api-key".to_string(),
            false,
        ),
        ErrorKind::InsufficientQuota => (
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to \
             upgrade or purchase credits."
                .to_string(),
            false,
        ),
        ErrorKind::SpendCap => (
            429,
            "rate_limit_error",
            "You have reached your specified API usage limits. You will regain access on 2027-01-01 at \
             00:00 UTC."
                .to_string(),
            false,
        ),
        ErrorKind::NotFound(what) => (404, "not_found_error", format!("Not found: {what}"), false),
        ErrorKind::BadRequest(message) => (400, "invalid_request_error", message.clone(), false),
    };
    let request_id = ids.next("req_011C", 20);
    let body = json!({
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": request_id,
    });
    let mut headers = render::json_headers("application/json");
    headers.push(("request-id".to_string(), request_id));
    headers.push(("x-should-retry".to_string(), should_retry.to_string()));
    Response::new(status, headers, render::json_body(&body))
}

/// `POST /v1/messages/count_tokens`.
pub(crate) fn count_tokens(tokens: u64, ids: &Ids) -> Response {
    Response::new(
        200,
        headers(ids, render::json_headers("application/json")),
        render::json_body(&json!({"input_tokens": tokens})),
    )
}

/// `GET /v1/models` and `GET /v1/models/{id}`.
pub(crate) fn models(models: &[String], one: Option<&str>, ids: &Ids) -> Response {
    let entry = |id: &str| json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"});
    let body = match one {
        Some(id) => entry(id),
        None => json!({
            "data": models.iter().map(|m| entry(m)).collect::<Vec<_>>(),
            "has_more": false,
            "first_id": models.first(),
            "last_id": models.last(),
        }),
    };
    Response::new(
        200,
        headers(ids, render::json_headers("application/json")),
        render::json_body(&body),
    )
}
