//! What the four wire renderers share: the reply reduced to text and tool calls, the
//! request facts they need, id generation, and the helpers that cut text into deltas
//! and frame SSE events.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use super::http::Response;
use super::route::WireFormat;
use super::script::{Reply, Usage};
use super::{anthropic, gemini, openai_chat};

/// The reply as the renderers see it: optional text, then tool calls in order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Content {
    pub text: Option<String>,
    pub calls: Vec<(String, Value)>,
}

impl Content {
    /// Reduce a scripted reply. `forced_tool` is the tool the request forces (Anthropic
    /// `tool_choice: {type: "tool"}`), which carries structured output.
    pub fn from_reply(reply: &Reply, forced_tool: Option<&str>) -> Content {
        match reply {
            Reply::Text(text) => Content {
                text: Some(text.clone()),
                calls: Vec::new(),
            },
            Reply::ToolCalls(calls) => Content {
                text: None,
                calls: calls.clone(),
            },
            Reply::TextAndToolCalls(text, calls) => Content {
                text: Some(text.clone()),
                calls: calls.clone(),
            },
            Reply::Json(value) => match forced_tool {
                Some(tool) => Content {
                    text: None,
                    calls: vec![(tool.to_string(), value.clone())],
                },
                None => Content {
                    text: Some(value.to_string()),
                    calls: Vec::new(),
                },
            },
        }
    }

    pub fn text_len(&self) -> usize {
        self.text.as_ref().map_or(0, String::len)
            + self
                .calls
                .iter()
                .map(|(n, a)| n.len() + a.to_string().len())
                .sum::<usize>()
    }
}

/// What a renderer needs to know about the request and the turn.
#[derive(Debug)]
pub(crate) struct RenderCtx<'a> {
    pub model: &'a str,
    pub request: &'a Value,
    pub stream: bool,
    pub usage: Usage,
    pub ids: &'a Ids,
}

/// Plausible usage when the script gives none: about four bytes a token.
pub(crate) fn default_usage(request_body_len: usize, content: &Content) -> Usage {
    Usage {
        input: (request_body_len as u64 / 4).max(1),
        output: (content.text_len() as u64 / 4).max(1),
        cache_read: 0,
        cache_write: 0,
    }
}

/// Ids that look like the real ones (`msg_01…`, `toolu_01…`, `chatcmpl-…`, `resp_…`,
/// `call_…`): a counter from a seed, mixed by splitmix64, in base 62. Never repeated
/// within a server; the seed keeps servers apart.
#[derive(Debug)]
pub(crate) struct Ids {
    counter: AtomicU64,
}

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids {
            counter: AtomicU64::new(seed),
        }
    }

    pub fn next(&self, prefix: &str, len: usize) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut state = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut out = String::with_capacity(prefix.len() + len);
        out.push_str(prefix);
        let mut word = 0u64;
        for i in 0..len {
            if i % 8 == 0 {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                word = z ^ (z >> 31);
            }
            out.push(ALPHABET[(word % 62) as usize] as char);
            word /= 62;
        }
        out
    }
}

/// Cut `text` into pieces of at most `max` bytes on char boundaries, preferring to cut
/// after a space, so deltas look like a model's.
pub(crate) fn pieces(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.len() <= max {
            out.push(rest);
            break;
        }
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(space) = rest[..cut].rfind(' ') {
            if space > 0 {
                cut = space + 1;
            }
        }
        if cut == 0 {
            // A single char longer than `max` bytes.
            cut = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

/// Tool-call arguments as streamed: the compact JSON cut into a few deltas.
pub(crate) fn json_pieces(json: &str) -> Vec<&str> {
    let max = (json.len() / 3).clamp(8, 64);
    pieces(json, max)
}

/// An SSE event with a name (`event: NAME` then `data: JSON`).
pub(crate) fn named_event(name: &str, data: &Value) -> Vec<u8> {
    format!("event: {name}\ndata: {}\n\n", to_json(data)).into_bytes()
}

/// An SSE event with data only.
pub(crate) fn data_event(data: &str) -> Vec<u8> {
    format!("data: {data}\n\n").into_bytes()
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The kinds of error the formats know, each rendered in the format's own shape.
#[derive(Clone, Debug, PartialEq, Eq)]
// Each format's error shapes are kept in every build (they are how the real services
// answer); only scripted faults (the `faults` feature) pick most of them.
#[cfg_attr(not(feature = "faults"), allow(dead_code))]
pub(crate) enum ErrorKind {
    RateLimited { retry_after_ms: Option<u64> },
    Overloaded,
    Status(u16),
    Unauthorized,
    InsufficientQuota,
    SpendCap,
    NotFound(String),
    BadRequest(String),
}

pub(crate) fn json_headers(content_type: &str) -> Vec<(String, String)> {
    vec![("content-type".to_string(), content_type.to_string())]
}

pub(crate) fn sse_headers() -> Vec<(String, String)> {
    vec![
        (
            "content-type".to_string(),
            "text/event-stream; charset=utf-8".to_string(),
        ),
        ("cache-control".to_string(), "no-cache".to_string()),
    ]
}

/// Keys the real services put first, in their order; the rest follow alphabetically.
/// `serde_json` sorts object keys (the crate does not enable `preserve_order`), which
/// would print `{"message":…,"type":"message_start"}` where the services print `type`
/// first; clients parse either, but byte-level fixtures and eyes expect the real order.
const LEADING_KEYS: &[&str] = &[
    "type",
    "id",
    "object",
    "created",
    "created_at",
    "status",
    "model",
    "role",
    "index",
    "item_id",
    "output_index",
    "content_index",
    "sequence_number",
    "name",
    "code",
    "message",
];

/// Serialise `value` compactly with [`LEADING_KEYS`] first in every object.
pub(crate) fn to_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out, 0);
    out
}

fn write_json(value: &Value, out: &mut String, depth: usize) {
    match value {
        Value::Object(map) if depth < 128 => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| (LEADING_KEYS.iter().position(|l| l == k).unwrap_or(usize::MAX), *k));
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                write_json(&map[*key], out, depth + 1);
            }
            out.push('}');
        }
        Value::Array(items) if depth < 128 => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out, depth + 1);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A whole JSON body.
pub(crate) fn json_body(value: &Value) -> super::http::Body {
    super::http::Body::Fixed(to_json(value).into_bytes())
}

/// An error response in `format`'s own shape.
pub(crate) fn format_error(format: WireFormat, kind: &ErrorKind, ids: &Ids) -> Response {
    match format {
        WireFormat::Anthropic => anthropic::error(kind, ids),
        WireFormat::OpenAiChat | WireFormat::OpenAiResponses => openai_chat::error(kind, ids),
        WireFormat::Gemini => gemini::error(kind, ids),
    }
}
