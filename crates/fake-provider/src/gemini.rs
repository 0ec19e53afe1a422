//! Gemini (`POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent`):
//! `GenerateContentResponse` objects — whole, as SSE `data:` chunks (`?alt=sse`, events
//! separated by CRLF CRLF as Google's front end sends them), or as a streamed JSON array
//! without `alt=sse` — and Google's `{"error": {code, message, status, details}}` bodies.

use serde_json::{json, Value};

use super::http::{Body, Response};
use super::render::{self, Content, ErrorKind, Ids, RenderCtx};

fn headers(mut base: Vec<(String, String)>) -> Vec<(String, String)> {
    base.push(("vary".to_string(), "Origin, X-Origin, Referer".to_string()));
    base.push(("server".to_string(), "scaffolding on HTTPServer2".to_string()));
    base.push(("x-content-type-options".to_string(), "nosniff".to_string()));
    base
}

fn usage_json(ctx: &RenderCtx, output: u64) -> Value {
    let u = ctx.usage;
    let prompt = u.input + u.cache_read;
    let mut usage = json!({
        "promptTokenCount": prompt,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt + output,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    });
    if u.cache_read > 0 {
        usage["cachedContentTokenCount"] = json!(u.cache_read);
    }
    usage
}

fn chunk(ctx: &RenderCtx, response_id: &str, parts: Vec<Value>, finish: bool, output: u64) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    if finish {
        candidate["finishReason"] = json!("STOP");
    }
    json!({
        "candidates": [candidate],
        "usageMetadata": usage_json(ctx, output),
        "modelVersion": ctx.model,
        "responseId": response_id,
    })
}

/// `sse`: `?alt=sse` on the stream endpoint; without it the stream is a JSON array.
pub(crate) fn reply(ctx: &RenderCtx, content: &Content, sse: bool) -> Response {
    let response_id = ctx.ids.next("", 22);
    let call_parts: Vec<Value> = content
        .calls
        .iter()
        .map(|(name, args)| json!({"functionCall": {"name": name, "args": args}}))
        .collect();
    if !ctx.stream {
        let mut parts = Vec::new();
        if let Some(text) = &content.text {
            parts.push(json!({"text": text}));
        }
        parts.extend(call_parts);
        let body = chunk(ctx, &response_id, parts, true, ctx.usage.output);
        return Response::new(
            200,
            headers(render::json_headers("application/json; charset=UTF-8")),
            render::json_body(&body),
        );
    }

    // Text arrives in a few chunks; function calls arrive whole in the last one, which
    // also carries finishReason. usageMetadata is cumulative on every chunk.
    let mut chunks = Vec::new();
    let text_pieces = content
        .text
        .as_deref()
        .map(|t| render::pieces(t, 48))
        .unwrap_or_default();
    let total = ctx.usage.output.max(1);
    let steps = (text_pieces.len() + usize::from(!call_parts.is_empty())).max(1) as u64;
    let mut done = 0u64;
    for (i, piece) in text_pieces.iter().enumerate() {
        let last = i + 1 == text_pieces.len() && call_parts.is_empty();
        done += 1;
        let output = (total * done / steps).max(1);
        chunks.push(chunk(
            ctx,
            &response_id,
            vec![json!({"text": piece})],
            last,
            output,
        ));
    }
    if !call_parts.is_empty() || chunks.is_empty() {
        let parts = if call_parts.is_empty() {
            vec![json!({"text": ""})]
        } else {
            call_parts
        };
        chunks.push(chunk(ctx, &response_id, parts, true, total));
    }
    let events: Vec<Vec<u8>> = if sse {
        chunks
            .iter()
            .map(|c| format!("data: {}\r\n\r\n", render::to_json(c)).into_bytes())
            .collect()
    } else {
        let n = chunks.len();
        chunks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let open = if i == 0 { "[" } else { "" };
                let close = if i + 1 == n { "]" } else { ",\r\n" };
                format!("{open}{}{close}", render::to_json(c)).into_bytes()
            })
            .collect()
    };
    let content_type = if sse {
        "text/event-stream"
    } else {
        "application/json; charset=UTF-8"
    };
    Response::new(
        200,
        headers(render::json_headers(content_type)),
        Body::Chunks(events),
    )
}

fn duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{}.{:03}s", ms / 1000, ms % 1000)
    }
}

pub(crate) fn error(kind: &ErrorKind, _ids: &Ids) -> Response {
    // Gemini CLI tells a retryable rate limit from an exhausted quota by the quota id
    // (`PerMinute` vs `PerDay`), `RetryInfo` and "Please retry in …" in the message, as
    // the real service words them.
    let quota_failure = |quota_id: &str, limit: u32| {
        json!({
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": "gemini"},
                "quotaValue": limit.to_string(),
            }],
        })
    };
    const QUOTA_MESSAGE: &str =
        "You exceeded your current quota, please check your plan and billing details. \
        For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.";
    let (code, status, message, details) = match kind {
        ErrorKind::RateLimited { retry_after_ms } => {
            let mut details = vec![quota_failure(
                "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                10,
            )];
            let mut message = format!(
                "{QUOTA_MESSAGE}\n* Quota exceeded for metric: \
                 generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10"
            );
            if let Some(ms) = retry_after_ms {
                details.push(
                    json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": duration(*ms)}),
                );
                message.push_str(&format!("\nPlease retry in {}.", duration(*ms)));
            }
            (429, "RESOURCE_EXHAUSTED", message, details)
        }
        ErrorKind::Overloaded => (
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.".to_string(),
            vec![],
        ),
        ErrorKind::Status(code) => {
            let (status, message) = match code {
                400 => ("INVALID_ARGUMENT", "Request contains an invalid argument."),
                403 => ("PERMISSION_DENIED", "The caller does not have permission"),
                404 => ("NOT_FOUND", "Requested entity was not found."),
                502 | 503 => ("UNAVAILABLE", "The service is currently unavailable."),
                504 => ("DEADLINE_EXCEEDED", "The request timed out. Please try again."),
                _ => ("INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
            };
            (*code, status, message.to_string(), vec![])
        }
        ErrorKind::Unauthorized => (
            401,
            "UNAUTHENTICATED",
            "API key not valid. Please pass a valid API key.".to_string(),
            vec![json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            })],
        ),
        ErrorKind::InsufficientQuota | ErrorKind::SpendCap => (
            429,
            "RESOURCE_EXHAUSTED",
            QUOTA_MESSAGE.to_string(),
            vec![quota_failure(
                "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                250,
            )],
        ),
        ErrorKind::NotFound(what) => (404, "NOT_FOUND", format!("{what} is not found."), vec![]),
        ErrorKind::BadRequest(message) => (400, "INVALID_ARGUMENT", message.clone(), vec![]),
    };
    let mut error = json!({"code": code, "message": message, "status": status});
    if !details.is_empty() {
        error["details"] = Value::Array(details);
    }
    Response::new(
        code,
        headers(render::json_headers("application/json; charset=UTF-8")),
        render::json_body(&json!({ "error": error })),
    )
}

/// `POST /v1beta/models/{model}:countTokens`.
pub(crate) fn count_tokens(tokens: u64) -> Response {
    let body =
        json!({"totalTokens": tokens, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens}]});
    Response::new(
        200,
        headers(render::json_headers("application/json; charset=UTF-8")),
        render::json_body(&body),
    )
}

/// `GET /v1beta/models` and `GET /v1beta/models/{model}`.
pub(crate) fn models(models: &[String], one: Option<&str>) -> Response {
    let entry = |id: &str| {
        json!({
            "name": format!("models/{id}"),
            "version": "001",
            "displayName": id,
            "inputTokenLimit": 1_048_576,
            "outputTokenLimit": 65_536,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        })
    };
    let body = match one {
        Some(id) => entry(id),
        None => json!({"models": models.iter().map(|m| entry(m)).collect::<Vec<_>>()}),
    };
    Response::new(
        200,
        headers(render::json_headers("application/json; charset=UTF-8")),
        render::json_body(&body),
    )
}
