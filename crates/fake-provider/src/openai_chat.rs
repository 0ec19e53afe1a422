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

pub(crate) fn reply(ctx: &RenderCtx, content: &Content) -> Response {
    let id = ctx.ids.next("chatcmpl-", 29);
    let created = render::unix_now();
    let fingerprint = "fp_f3b1c0a7d2";
    let finish = if content.calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    let calls: Vec<(String, &String, String)> = content
        .calls
        .iter()
        .map(|(name, args)| (ctx.ids.next("call_", 24), name, args.to_string()))
        .collect();

    if !ctx.stream {
        let mut message = json!({
            "role": "assistant",
            "content": content.text,
            "refusal": null,
            "annotations": [],
        });
        if !calls.is_empty() {
            message["tool_calls"] = calls
                .iter()
                .map(|(id, name, args)| {
                    json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}})
                })
                .collect();
        }
        let body = json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": ctx.model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": usage_json(ctx),
            "service_tier": "default",
            "system_fingerprint": fingerprint,
        });
        return Response::new(
            200,
            headers(ctx.ids, render::json_headers("application/json")),
            render::json_body(&body),
        );
    }

    let include_usage = ctx
        .request
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let chunk = |choices: Value| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": ctx.model,
            "service_tier": "default",
            "system_fingerprint": fingerprint,
            "choices": choices,
        });
        if include_usage {
            c["usage"] = Value::Null;
        }
        render::data_event(&render::to_json(&c))
    };
    let delta = |delta: Value| json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": null}]);

    let first = if calls.is_empty() || content.text.is_some() {
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
    for (index, (call_id, name, args)) in calls.iter().enumerate() {
        events.push(chunk(delta(json!({"tool_calls": [{
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }]}))));
        for piece in render::json_pieces(args) {
            events.push(chunk(delta(
                json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
            )));
        }
    }
    events.push(chunk(
        json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": finish}]),
    ));
    if include_usage {
        let usage = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": ctx.model,
            "service_tier": "default",
            "system_fingerprint": fingerprint,
            "choices": [],
            "usage": usage_json(ctx),
        });
        events.push(render::data_event(&render::to_json(&usage)));
    }
    events.push(render::data_event("[DONE]"));
    Response::new(200, headers(ctx.ids, render::sse_headers()), Body::Chunks(events))
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
