//! A fake model provider for offline tests and `bakeoff demo`: a loopback HTTP server
//! that speaks the four wire formats (Anthropic Messages, OpenAI Chat Completions,
//! OpenAI Responses, Gemini generateContent), streaming included, byte for byte like the
//! real services, from a [`Script`] of turns, and injects faults.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bakeoff_fake_provider::{FakeProvider, Script};
//! let script = Script::builder()
//!     .tool_call("Bash", serde_json::json!({"command": "cargo test"}))
//!     .expect("fix the parser")
//!     .text("All tests pass.")
//!     .build();
//! let server = FakeProvider::start(script).await?;
//! // point ANTHROPIC_BASE_URL / a Codex provider's base_url (…/v1) /
//! // GOOGLE_GEMINI_BASE_URL at server.base_url(), run the agent, then:
//! assert!(server.mismatches().is_empty());
//! # Ok(()) }
//! ```
//!
//! # Endpoints
//!
//! Matched by the end of the path, so base URLs with a prefix work:
//! `POST …/v1/messages` (also `?beta=true`), `…/v1/messages/count_tokens`
//! (`{"input_tokens":N}`), `…/chat/completions`, `…/responses`,
//! `…/responses/input_tokens`, `…/models/{model}:generateContent`,
//! `:streamGenerateContent[?alt=sse]`, `:countTokens` (`{"totalTokens":N}`);
//! `GET …/models[/{id}]` (a model list in the shape the headers suggest); `GET`/`HEAD /`
//! (`ok`). Anything else is a 404 with the error JSON of the format the path or headers
//! suggest. `HEAD /api/hello` (Claude Code's connectivity check) gets `ok` too.
//!
//! A request streams when its body says `"stream": true` (Anthropic, OpenAI) or it is
//! Gemini's stream endpoint. A request for model M takes the next turn of M's queue,
//! else of the default queue, else gets the text [`EXHAUSTED_TEXT`] (`"Done."`) — or,
//! when it asks for JSON of a schema (Anthropic forced tool, OpenAI `json_schema`,
//! Gemini `responseJsonSchema`), the smallest JSON that fits the schema. Only model
//! requests take turns: token counts, model lists and Gemini CLI's router request (a
//! `generateContent` asking for `complexity_score`, sent when no `-m` is given) never
//! do, unless the router's model has a queue of its own.
//!
//! Tool calls take the format's own shape; in Responses, a tool the request declares
//! `"type": "custom"` (Codex's freeform `apply_patch`) is answered with a
//! `custom_tool_call` whose `input` is the scripted argument string. Ids never repeat,
//! not even across servers (Claude Code drops a `tool_use` whose id it saw before).
//!
//! # Checked against the real CLIs
//!
//! Claude Code 2.1.330, Codex 0.169.0 and Gemini CLI 0.61.0 (the versions
//! `scripts/install-agent-clis.sh` pins; invocations in `docs/agent-clis.md`) ran against
//! this server: text, tool calls that edit files (`Write`; `exec_command` and
//! `apply_patch`; `write_file` and `run_shell_command`), and recovery from 429, 529/503,
//! reset, stream-error, truncated and malformed streams. How they react: Claude Code
//! retries every error status unless `x-should-retry: false` (sent here on 401 and
//! billing errors) and falls back to a non-streaming request after a broken stream;
//! Codex retries everything, 401 included, and skips a torn SSE event; Gemini CLI waits
//! at least 5 s per retry and treats a 429 as final when its quota id says `PerDay`
//! (`insufficient-quota`, `spend-cap`), as retryable when it says `PerMinute`
//! (`rate-limited`).
//!
//! # Script file (TOML; JSON with the same keys also works)
//!
//! ```toml
//! event-delay-ms = 0                 # pause between streamed events
//!
//! [[turns]]                          # the default queue
//! text = "Let me look."
//! tool-calls = [{ name = "Bash", args = { command = "ls" } }]
//! expect = ["fix the bug"]           # substrings the request must contain
//! when = ["src/parser.rs"]           # answer only requests that contain these
//! usage = { input = 1200, output = 40, cache-read = 0, cache-write = 0 }
//!
//! [[turns]]
//! fault = { kind = "rate-limited", retry-after = 1 }   # retry-after-ms = 1500
//!
//! [[turns]]
//! json = { verdict = "approve", score = 90 }
//!
//! [[models."gpt-5.5".turns]]         # a queue for one exact model id
//! text = "Done here."
//! ```
//!
//! Fault kinds: `rate-limited` (`retry-after`, `retry-after-ms`), `overloaded`,
//! `status` (`code`), `reset` (`after-bytes`), `stall` (`after-bytes`, `ms`, `resume`),
//! `truncated-stream`, `malformed-json`, `stream-error`, `html-error-page`, `unauthorized`,
//! `insufficient-quota`, `spend-cap`.
//!
//! # Streams
//!
//! - Anthropic: `message_start`, then per content block `content_block_start` (`ping`
//!   after the first), `content_block_delta` (`text_delta`, or `input_json_delta` with an
//!   empty first `partial_json` then a few pieces), `content_block_stop`; then
//!   `message_delta` (`stop_reason`, `usage`), `message_stop`. Lines `event: X` /
//!   `data: {…}`, events separated by a blank line.
//! - OpenAI Chat: `data: {chat.completion.chunk}` — a role chunk, content deltas,
//!   `tool_calls` deltas (id, name and empty arguments, then argument pieces), a chunk
//!   with `finish_reason`, a `choices: []` usage chunk when
//!   `stream_options.include_usage`, then `data: [DONE]`.
//! - OpenAI Responses: `response.created`, `response.in_progress`; per output item
//!   `response.output_item.added`, then for a message `response.content_part.added`,
//!   `response.output_text.delta`…, `response.output_text.done`,
//!   `response.content_part.done`, or for a call `response.function_call_arguments.delta`…,
//!   `response.function_call_arguments.done` (custom tools:
//!   `response.custom_tool_call_input.delta`…, `.done`); then `response.output_item.done`; finally
//!   `response.completed` with the whole response and `usage`. Every event has
//!   `type` and `sequence_number`.
//! - Gemini: `data: {GenerateContentResponse}` chunks separated by CRLF CRLF; text in a
//!   few chunks, function calls whole in the last chunk, which has `finishReason: STOP`;
//!   cumulative `usageMetadata` on every chunk; `modelVersion` is the model of the path.
//!   Without `alt=sse`, a streamed JSON array.
//!
//! Non-streaming replies are the whole objects: Anthropic `message`, `chat.completion`,
//! Responses `response`, `GenerateContentResponse`, with `content-length`.

mod anthropic;
#[cfg(feature = "faults")]
mod faults;
mod gemini;
mod http;
mod openai_chat;
mod openai_responses;
mod render;
mod route;
mod script;
mod server;
mod side;

#[cfg(all(test, feature = "faults"))]
mod tests;

pub use route::WireFormat;
#[cfg(feature = "faults")]
pub use script::Fault;
pub use script::{Action, Mismatch, Reply, Script, ScriptBuilder, ScriptError, Turn, Usage, EXHAUSTED_TEXT};
pub use server::{FakeProvider, RecordedRequest};
