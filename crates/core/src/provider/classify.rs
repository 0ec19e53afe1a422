//! Turning an HTTP error reply (status, headers, body) into a [`ProviderError`] that
//! knows whether to retry, fall back or stop for credentials. The error envelopes of
//! the four formats share a shape — `error.{message, type | status, code, details}` —
//! so one loose reading serves them all.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::error::{HttpFailure, ProviderError};
use super::key::ApiKey;
use super::registry::WireFormat;
use super::retry::{header_wait, parse_proto_duration};

/// Who was asked, for error messages.
pub(crate) struct Context<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    pub format: WireFormat,
    pub key_vars: &'a [String],
    pub key: Option<&'a ApiKey>,
}

/// What an error body said.
#[derive(Debug, Default, PartialEq)]
struct ErrorBody {
    message: String,
    /// `error.type` (Anthropic, OpenAI) or `error.status` (Gemini).
    kind: String,
    /// `error.code`, as text.
    code: String,
    /// Gemini `RetryInfo.retryDelay`.
    retry_delay: Option<Duration>,
    /// Gemini `ErrorInfo.reason`s.
    reasons: Vec<String>,
}

fn read_error_body(value: &Value) -> ErrorBody {
    let error = match value.get("error") {
        Some(e) if e.is_object() => e,
        // OpenAI-compatible servers sometimes send `{"error": "text"}`.
        Some(Value::String(s)) => {
            return ErrorBody {
                message: s.clone(),
                ..Default::default()
            }
        }
        _ => value,
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let details = error.get("details").and_then(Value::as_array);
    let retry_delay = details.into_iter().flatten().find_map(|d| {
        let is_retry = d.get("@type")?.as_str()?.ends_with("google.rpc.RetryInfo");
        is_retry.then(|| parse_proto_duration(d.get("retryDelay")?.as_str()?))?
    });
    let reasons = details
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("reason").and_then(Value::as_str).map(str::to_string))
        .collect();
    ErrorBody {
        message: text(error.get("message")),
        kind: text(error.get("type").or_else(|| error.get("status"))),
        code: text(error.get("code")),
        retry_delay,
        reasons,
    }
}

/// The first part of a body that is not the JSON it should be, on one line.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one_line.chars().take(160).collect();
    if cut.len() < one_line.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

fn should_retry(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

const BILLING_CODES: &[&str] = &[
    "insufficient_quota",
    "billing_hard_limit_reached",
    "billing_not_active",
];

/// The error for an HTTP reply with a non-success `status`.
pub(crate) fn classify(
    ctx: &Context<'_>,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> ProviderError {
    let parsed = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object);
    let blank = body.iter().all(u8::is_ascii_whitespace);
    let error = parsed.as_ref().map(read_error_body).unwrap_or_default();
    let message = match (&parsed, blank) {
        (_, true) => "(empty body)".to_string(),
        (Some(_), _) if !error.message.is_empty() => error.message.clone(),
        (Some(v), _) => snippet(v.to_string().as_bytes()),
        (None, _) => format!("not JSON: {}", snippet(body)),
    };
    let message = match ctx.key {
        Some(key) => key.scrub(&message),
        None => message,
    };
    let failure = HttpFailure {
        provider: ctx.provider.to_string(),
        model: ctx.model.to_string(),
        status,
        message,
        retry_after: header_wait(headers, now).or(error.retry_delay),
        should_retry: should_retry(headers),
    };
    let key_vars = || match ctx.key_vars {
        [] => format!("the key configured for {}", ctx.provider),
        vars => vars.join(" or "),
    };
    let lower = error.message.to_ascii_lowercase();
    let billing = BILLING_CODES.contains(&error.code.as_str())
        || BILLING_CODES.contains(&error.kind.as_str())
        || lower.contains("credit balance is too low");

    if status == 401 || status == 403 {
        return ProviderError::Auth {
            failure,
            key_vars: key_vars(),
        };
    }
    if parsed.is_none() && !blank {
        return ProviderError::Malformed { failure };
    }
    if status == 402 || billing {
        return ProviderError::Billing { failure };
    }
    if status == 400
        && (error.reasons.iter().any(|r| r == "API_KEY_INVALID") || lower.contains("api key not valid"))
    {
        return ProviderError::Auth {
            failure,
            key_vars: key_vars(),
        };
    }
    match status {
        // Anthropic rate limits always say when to come back; a 429 that does not is
        // the workspace spend cap, which waiting will not lift.
        429 if ctx.format == WireFormat::Anthropic
            && failure.retry_after.is_none()
            && failure.should_retry != Some(true) =>
        {
            ProviderError::Billing { failure }
        }
        429 => ProviderError::RateLimited { failure },
        503 | 529 => ProviderError::Overloaded { failure },
        500..=599 => ProviderError::Server { failure },
        404 => ProviderError::Rejected {
            failure,
            hint: "check the model id and the base URL",
        },
        413 => ProviderError::Rejected {
            failure,
            hint: "the request is too large for the model; review a smaller diff",
        },
        300..=399 => ProviderError::Rejected {
            failure,
            hint: "the base URL redirects; point it at the API itself",
        },
        _ => ProviderError::Rejected {
            failure,
            hint: "the model or provider refused this request; check the model id and options",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Kind {
        Auth,
        Billing,
        Rate,
        Overloaded,
        Server,
        Rejected,
        Malformed,
    }

    fn kind(e: &ProviderError) -> Kind {
        match e {
            ProviderError::Auth { .. } => Kind::Auth,
            ProviderError::Billing { .. } => Kind::Billing,
            ProviderError::RateLimited { .. } => Kind::Rate,
            ProviderError::Overloaded { .. } => Kind::Overloaded,
            ProviderError::Server { .. } => Kind::Server,
            ProviderError::Rejected { .. } => Kind::Rejected,
            ProviderError::Malformed { .. } => Kind::Malformed,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn classification_table() {
        use Kind::*;
        use WireFormat::*;
        let gemini_retry = r#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED",
            "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}"#;
        let gemini_key = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
            "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#;
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let rate =
            r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        // Leaked so the table can hold plain `&str`s; a test's few bytes.
        let ant = |t: &str| -> &'static str {
            Box::leak(
                format!(r#"{{"type":"error","error":{{"type":"{t}","message":"m"}}}}"#).into_boxed_str(),
            )
        };
        let (ant_auth, ant_perm, ant_bad) = (
            ant("authentication_error"),
            ant("permission_error"),
            ant("invalid_request_error"),
        );
        let (ant_rate, ant_over) = (ant("rate_limit_error"), ant("overloaded_error"));
        let credit = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#;
        let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";

        // (format, status, body, headers, kind, retryable, fallback, credentials, wait)
        type Row<'a> = (
            WireFormat,
            u16,
            &'a str,
            &'a [(&'a str, &'a str)],
            Kind,
            bool,
            bool,
            bool,
            Option<u64>,
        );
        let rows: Vec<Row> = vec![
            (Anthropic, 401, ant_auth, &[], Auth, false, false, true, None),
            (Anthropic, 403, ant_perm, &[], Auth, false, false, true, None),
            (OpenAiChat, 401, html, &[], Auth, false, false, true, None),
            (Gemini, 400, gemini_key, &[], Auth, false, false, true, None),
            (Anthropic, 400, ant_bad, &[], Rejected, false, false, false, None),
            (Anthropic, 400, credit, &[], Billing, false, false, true, None),
            (
                OpenAiChat,
                404,
                r#"{"error":{"message":"The model does not exist","code":"model_not_found"}}"#,
                &[],
                Rejected,
                false,
                false,
                false,
                None,
            ),
            (OpenAiChat, 402, "{}", &[], Billing, false, false, true, None),
            (OpenAiChat, 429, quota, &[], Billing, false, false, true, None),
            (
                OpenAiChat,
                429,
                rate,
                &[("retry-after-ms", "1500")],
                Rate,
                true,
                true,
                false,
                Some(1500),
            ),
            (OpenAiChat, 429, rate, &[], Rate, true, true, false, None),
            (
                Anthropic,
                429,
                ant_rate,
                &[("retry-after", "12")],
                Rate,
                true,
                true,
                false,
                Some(12_000),
            ),
            (Anthropic, 429, ant_rate, &[], Billing, false, false, true, None),
            (
                Anthropic,
                429,
                ant_rate,
                &[("x-should-retry", "true")],
                Rate,
                true,
                true,
                false,
                None,
            ),
            (
                Gemini,
                429,
                gemini_retry,
                &[],
                Rate,
                true,
                true,
                false,
                Some(7000),
            ),
            (
                Gemini,
                429,
                gemini_retry,
                &[("retry-after", "2")],
                Rate,
                true,
                true,
                false,
                Some(2000),
            ),
            (Anthropic, 529, ant_over, &[], Overloaded, true, true, false, None),
            (
                Gemini,
                503,
                r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#,
                &[],
                Overloaded,
                true,
                true,
                false,
                None,
            ),
            (
                OpenAiChat,
                500,
                r#"{"error":{"message":"boom","type":"server_error"}}"#,
                &[],
                Server,
                true,
                true,
                false,
                None,
            ),
            (OpenAiChat, 502, html, &[], Malformed, true, true, false, None),
            (OpenAiChat, 504, "", &[], Server, true, true, false, None),
            (OpenAiChat, 501, "{}", &[], Server, false, true, false, None),
            (
                OpenAiChat,
                400,
                "{not json",
                &[],
                Malformed,
                false,
                false,
                false,
                None,
            ),
            (
                OpenAiChat,
                500,
                "{}",
                &[("x-should-retry", "false")],
                Server,
                false,
                true,
                false,
                None,
            ),
            (
                OpenAiChat,
                400,
                "{}",
                &[("x-should-retry", "true")],
                Rejected,
                true,
                false,
                false,
                None,
            ),
            (
                OpenAiResponses,
                409,
                "{}",
                &[],
                Rejected,
                false,
                false,
                false,
                None,
            ),
        ];
        let vars = vec!["OPENAI_API_KEY".to_string()];
        for (i, (format, status, body, headers, want, retry, fallback, creds, wait)) in
            rows.into_iter().enumerate()
        {
            let ctx = Context {
                provider: "p",
                model: "m",
                format,
                key_vars: &vars,
                key: None,
            };
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                map.insert(*name, HeaderValue::from_str(value).unwrap());
            }
            let err = classify(&ctx, status, &map, body.as_bytes(), SystemTime::UNIX_EPOCH);
            let row = format!("row {i}: {status} {body} → {err}");
            assert_eq!(kind(&err), want, "{row}");
            assert_eq!(err.retryable(), retry, "retry {row}");
            assert_eq!(err.allows_fallback(), fallback, "fallback {row}");
            assert_eq!(err.is_credentials(), creds, "credentials {row}");
            assert_eq!(err.retry_after(), wait.map(Duration::from_millis), "wait {row}");
        }
    }

    #[test]
    fn messages_name_provider_model_status_and_fix_without_the_key() {
        let key = ApiKey::new("sk-ant-very-secret");
        let vars = vec!["ANTHROPIC_API_KEY".to_string()];
        let ctx = Context {
            provider: "anthropic",
            model: "claude-opus-4-6",
            format: WireFormat::Anthropic,
            key_vars: &vars,
            key: Some(&key),
        };
        let body = br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key sk-ant-very-secret"}}"#;
        let err = classify(&ctx, 401, &HeaderMap::new(), body, SystemTime::UNIX_EPOCH);
        assert_eq!(
            err.to_string(),
            "anthropic rejected the API key (HTTP 401) for claude-opus-4-6: invalid x-api-key <redacted> (check ANTHROPIC_API_KEY)"
        );
        let html = b"<!DOCTYPE html>\n<html>\n  <title>Bad   gateway</title></html>";
        let err = classify(&ctx, 502, &HeaderMap::new(), html, SystemTime::UNIX_EPOCH);
        assert!(
            err.to_string()
                .contains("HTTP 502): not JSON: <!DOCTYPE html> <html> <title>Bad gateway"),
            "{err}"
        );
    }
}
