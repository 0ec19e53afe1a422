//! Which wire format and endpoint a request is for, from its method, path and headers.
//! Paths are matched by their end, so a base URL with a prefix (`…/v1`, `…/openai/v1`,
//! `…/v1beta`) works as long as the endpoint's own tail is there.

/// The four wire formats the fake provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireFormat {
    /// Anthropic Messages.
    Anthropic,
    /// OpenAI Chat Completions (and OpenAI-compatible services).
    OpenAiChat,
    /// OpenAI Responses.
    OpenAiResponses,
    /// Gemini generateContent.
    Gemini,
}

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// A model turn. Gemini carries the model and streaming in the path.
    Generate {
        format: WireFormat,
        path_model: Option<String>,
        path_stream: bool,
        sse: bool,
    },
    CountTokens {
        format: WireFormat,
        path_model: Option<String>,
    },
    Models {
        format: WireFormat,
        one: Option<String>,
    },
    Root,
    NotFound {
        format: WireFormat,
    },
}

pub(crate) fn route(method: &str, target: &str, headers: &[(String, String)]) -> Route {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = path.trim_end_matches('/');
    let post = method.eq_ignore_ascii_case("POST");
    let read = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");

    // `HEAD /api/hello` is Claude Code's connectivity check (sent unless
    // CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1).
    if read && (path.is_empty() || path == "/api/hello") {
        return Route::Root;
    }
    if let Some((model, action)) = gemini_action(path) {
        if post {
            match action {
                "generateContent" | "streamGenerateContent" => {
                    return Route::Generate {
                        format: WireFormat::Gemini,
                        path_model: Some(model.to_string()),
                        path_stream: action == "streamGenerateContent",
                        sse: query.split('&').any(|kv| kv == "alt=sse"),
                    }
                }
                "countTokens" => {
                    return Route::CountTokens {
                        format: WireFormat::Gemini,
                        path_model: Some(model.to_string()),
                    }
                }
                _ => {}
            }
        }
        return Route::NotFound {
            format: WireFormat::Gemini,
        };
    }
    let generate = |format| Route::Generate {
        format,
        path_model: None,
        path_stream: false,
        sse: true,
    };
    if post {
        if path.ends_with("/messages/count_tokens") {
            return Route::CountTokens {
                format: WireFormat::Anthropic,
                path_model: None,
            };
        }
        if path.ends_with("/messages") {
            return generate(WireFormat::Anthropic);
        }
        if path.ends_with("/chat/completions") {
            return generate(WireFormat::OpenAiChat);
        }
        if path.ends_with("/responses/input_tokens") {
            return Route::CountTokens {
                format: WireFormat::OpenAiResponses,
                path_model: None,
            };
        }
        if path.ends_with("/responses") {
            return generate(WireFormat::OpenAiResponses);
        }
    }
    let format = guess_format(path, query, headers);
    if read {
        if path.ends_with("/models") {
            return Route::Models { format, one: None };
        }
        if let Some((_, id)) = path.rsplit_once("/models/") {
            if !id.is_empty() && !id.contains('/') {
                return Route::Models {
                    format,
                    one: Some(id.to_string()),
                };
            }
        }
    }
    Route::NotFound { format }
}

/// `…/models/{model}:{action}` → (model, action).
fn gemini_action(path: &str) -> Option<(&str, &str)> {
    let (_, tail) = path.rsplit_once("/models/")?;
    let (model, action) = tail.split_once(':')?;
    if model.is_empty() || model.contains('/') {
        return None;
    }
    Some((model, action))
}

/// The format of a request whose path says nothing, for the shape of a 404 or a model
/// list: Gemini by its path or key, Anthropic by its version header, else OpenAI.
fn guess_format(path: &str, query: &str, headers: &[(String, String)]) -> WireFormat {
    let has = |name: &str| headers.iter().any(|(n, _)| n == name);
    if path.starts_with("/v1beta")
        || has("x-goog-api-key")
        || query.split('&').any(|kv| kv.starts_with("key="))
    {
        WireFormat::Gemini
    } else if has("anthropic-version") || has("x-api-key") || path.contains("/messages") {
        WireFormat::Anthropic
    } else if path.contains("/responses") {
        WireFormat::OpenAiResponses
    } else {
        WireFormat::OpenAiChat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let none: &[(String, String)] = &[];
        let gen = |format, model: Option<&str>, stream, sse| Route::Generate {
            format,
            path_model: model.map(str::to_string),
            path_stream: stream,
            sse,
        };
        let cases = [
            (
                "POST",
                "/v1/messages?beta=true",
                gen(WireFormat::Anthropic, None, false, true),
            ),
            (
                "POST",
                "/v1/chat/completions",
                gen(WireFormat::OpenAiChat, None, false, true),
            ),
            (
                "POST",
                "/chat/completions",
                gen(WireFormat::OpenAiChat, None, false, true),
            ),
            (
                "POST",
                "/v1/responses",
                gen(WireFormat::OpenAiResponses, None, false, true),
            ),
            (
                "POST",
                "/responses",
                gen(WireFormat::OpenAiResponses, None, false, true),
            ),
            (
                "POST",
                "/v1beta/models/gemini-2.5-pro:generateContent",
                gen(WireFormat::Gemini, Some("gemini-2.5-pro"), false, false),
            ),
            (
                "POST",
                "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
                gen(WireFormat::Gemini, Some("gemini-2.5-pro"), true, true),
            ),
            (
                "POST",
                "/v1/messages/count_tokens?beta=true",
                Route::CountTokens {
                    format: WireFormat::Anthropic,
                    path_model: None,
                },
            ),
            (
                "POST",
                "/v1beta/models/g:countTokens",
                Route::CountTokens {
                    format: WireFormat::Gemini,
                    path_model: Some("g".into()),
                },
            ),
            (
                "GET",
                "/v1/models",
                Route::Models {
                    format: WireFormat::OpenAiChat,
                    one: None,
                },
            ),
            (
                "GET",
                "/v1beta/models/gemini-2.5-pro",
                Route::Models {
                    format: WireFormat::Gemini,
                    one: Some("gemini-2.5-pro".into()),
                },
            ),
            ("HEAD", "/", Route::Root),
            ("HEAD", "/api/hello", Route::Root),
            (
                "POST",
                "/v1/nope",
                Route::NotFound {
                    format: WireFormat::OpenAiChat,
                },
            ),
        ];
        for (method, target, want) in cases {
            assert_eq!(route(method, target, none), want, "{method} {target}");
        }
    }
}
