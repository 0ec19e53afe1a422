//! Turning a scripted [`Fault`] into the response that carries it: an error in the
//! request's own format, or the normal reply delivered broken (reset, stalled,
//! truncated, malformed).

use super::http::{Body, Delivery, Response};
use serde_json::json;

use super::render::format_error;
use super::render::{self, ErrorKind, Ids};
use super::route::WireFormat;
use super::script::Fault;

/// The response for `fault`; `normal` is the reply the turn would otherwise give.
pub(crate) fn apply(fault: &Fault, format: WireFormat, normal: Response, ids: &Ids) -> Response {
    match fault {
        Fault::RateLimited {
            retry_after,
            retry_after_ms,
        } => {
            let delay_ms = retry_after_ms.or(retry_after.map(|s| s * 1000));
            let mut response = format_error(
                format,
                &ErrorKind::RateLimited {
                    retry_after_ms: delay_ms,
                },
                ids,
            );
            if let Some(secs) = retry_after {
                response
                    .headers
                    .push(("retry-after".to_string(), secs.to_string()));
            }
            if let Some(ms) = retry_after_ms {
                response
                    .headers
                    .push(("retry-after-ms".to_string(), ms.to_string()));
            }
            response
        }
        Fault::Overloaded => format_error(format, &ErrorKind::Overloaded, ids),
        Fault::Status { code } => format_error(format, &ErrorKind::Status(*code), ids),
        Fault::Unauthorized => format_error(format, &ErrorKind::Unauthorized, ids),
        Fault::InsufficientQuota => format_error(format, &ErrorKind::InsufficientQuota, ids),
        Fault::SpendCap => format_error(format, &ErrorKind::SpendCap, ids),
        Fault::HtmlErrorPage => html_error_page(),
        Fault::Reset { after_bytes } => Response {
            delivery: match after_bytes {
                None => Delivery::ResetBefore,
                Some(n) => Delivery::ResetAfter(*n),
            },
            ..normal
        },
        Fault::Stall {
            after_bytes,
            ms,
            resume,
        } => Response {
            delivery: Delivery::Stall {
                after: *after_bytes,
                ms: *ms,
                resume: *resume,
            },
            ..normal
        },
        Fault::TruncatedStream => {
            let at = truncation_point(&normal.body);
            Response {
                delivery: Delivery::Truncate(at),
                ..normal
            }
        }
        Fault::MalformedJson => malformed(normal),
        Fault::StreamError => match normal.body {
            Body::Chunks(mut events) => {
                let keep = (events.len() / 3).max(2).min(events.len());
                events.truncate(keep);
                events.push(stream_error_event(format, ids, keep));
                Response {
                    body: Body::Chunks(events),
                    ..normal
                }
            }
            Body::Fixed(_) => format_error(format, &ErrorKind::Overloaded, ids),
        },
    }
}

/// The event a format sends when it fails in the middle of a stream.
fn stream_error_event(format: WireFormat, ids: &Ids, sequence_number: usize) -> Vec<u8> {
    match format {
        WireFormat::Anthropic => render::named_event(
            "error",
            &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ),
        WireFormat::OpenAiChat => render::data_event(&render::to_json(&json!({"error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error", "param": null, "code": null,
        }}))),
        WireFormat::OpenAiResponses => render::named_event(
            "response.failed",
            &json!({"type": "response.failed", "sequence_number": sequence_number, "response": {
                "id": ids.next("resp_", 48), "object": "response", "created_at": render::unix_now(),
                "status": "failed", "output": [], "usage": null,
                "error": {"code": "server_error", "message": "An error occurred while processing your request."},
            }}),
        ),
        WireFormat::Gemini => format!(
            "data: {}\r\n\r\n",
            render::to_json(&json!({"error": {
                "code": 500, "status": "INTERNAL",
                "message": "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
            }}))
        )
        .into_bytes(),
    }
}

/// Half-way through the middle event of a stream (or through a whole body), so the
/// client has seen some complete events and then a torn one.
fn truncation_point(body: &Body) -> usize {
    match body {
        Body::Fixed(bytes) => bytes.len() / 2,
        Body::Chunks(chunks) => {
            let middle = chunks.len() / 2;
            let before: usize = chunks[..middle].iter().map(Vec::len).sum();
            before + chunks.get(middle).map_or(0, |c| (c.len() / 2).max(1))
        }
    }
}

/// A 200 whose JSON does not parse: a whole body cut in half, or a stream whose middle
/// event carries torn JSON (framed correctly, so only the parser notices).
fn malformed(normal: Response) -> Response {
    let body = match normal.body {
        Body::Fixed(bytes) => {
            let mut cut = bytes[..bytes.len() / 2].to_vec();
            cut.extend_from_slice(b"\xe2\x80\x9c<truncated");
            Body::Fixed(cut)
        }
        Body::Chunks(mut chunks) => {
            let middle = chunks.len() / 2;
            if let Some(chunk) = chunks.get_mut(middle) {
                *chunk = tear_event(chunk);
            }
            Body::Chunks(chunks)
        }
    };
    Response { body, ..normal }
}

/// Cut the JSON after `data: ` in half, keeping the event's framing.
fn tear_event(event: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(event);
    let Some(start) = text.find("data: ") else {
        return b"data: {\"broken\": \n\n".to_vec();
    };
    let data_start = start + "data: ".len();
    let data_end = text[data_start..]
        .find(['\r', '\n'])
        .map_or(text.len(), |i| data_start + i);
    let mut cut = data_start + (data_end - data_start) / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let terminator = if text.ends_with("\r\n\r\n") {
        "\r\n\r\n"
    } else {
        "\n\n"
    };
    format!("{}{}", &text[..cut], terminator).into_bytes()
}

fn html_error_page() -> Response {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
                </body>\r\n</html>\r\n";
    Response::new(
        502,
        vec![
            ("content-type".to_string(), "text/html".to_string()),
            ("server".to_string(), "nginx".to_string()),
        ],
        Body::Fixed(page.as_bytes().to_vec()),
    )
}
