//! Progress and usage records in each agent CLI's own output format, so the fake agent
//! exercises the same parsers the real CLIs do (see DESIGN.md's adapter table).
//!
//! Numbers: a `progress` step gives one turn's tokens and cost; a `usage` step gives the
//! run's totals. Formats whose records are per step (aider, opencode) print in the final
//! record the totals minus what progress already printed, so a parser that sums them gets
//! the totals.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

mod flood;

pub use flood::FloodFormat;

use super::json::{obj, Json};

/// Model names for formats that print one; the script does not choose the model.
const CLAUDE_MODEL: &str = "claude-sonnet-4-5";
const GEMINI_MODEL: &str = "gemini-2.5-pro";
/// The final answer text the formats that carry one report.
const RESULT_TEXT: &str = "Done.";

/// An agent CLI's output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Claude,
    Codex,
    Gemini,
    Aider,
    Opencode,
    Qwen,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(word: &str) -> Result<Format, String> {
        Ok(match word {
            "claude" => Format::Claude,
            "codex" => Format::Codex,
            "gemini" => Format::Gemini,
            "aider" => Format::Aider,
            "opencode" => Format::Opencode,
            "qwen" => Format::Qwen,
            other => {
                return Err(format!(
                    "unknown format `{other}` (claude, codex, gemini, aider, opencode, qwen)"
                ))
            }
        })
    }
}

impl Format {
    fn default_session(self) -> &'static str {
        match self {
            Format::Opencode => "ses_scripted0000000000000001",
            _ => "00000000-0000-4000-8000-000000000001",
        }
    }
}

/// One mid-run progress record.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub format: Format,
    pub turn: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost: Option<f64>,
    /// A shell command the agent "ran" this turn.
    pub action: Option<String>,
}

/// The final usage/result record.
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub format: Format,
    pub turns: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost: Option<f64>,
    pub session_id: Option<String>,
}

/// Tokens and cost already printed by per-step records.
#[derive(Debug, Default)]
struct Printed {
    input: u64,
    output: u64,
    cost: f64,
}

/// Prints records, remembering what a stream has said so far (its session header, item
/// numbers, per-step totals).
#[derive(Debug)]
pub struct Emitter {
    /// From the script's first `usage` step with a session id, so every record agrees.
    session: Option<String>,
    cwd: String,
    started: Instant,
    claude_init: bool,
    codex_started: bool,
    next_id: u32,
    printed: Printed,
}

impl Emitter {
    /// `session` is the session id to use throughout, if the script names one.
    pub fn new(session: Option<String>, cwd: String) -> Emitter {
        Emitter {
            session,
            cwd,
            started: Instant::now(),
            claude_init: false,
            codex_started: false,
            next_id: 0,
            printed: Printed::default(),
        }
    }

    fn session(&self, format: Format) -> String {
        self.session
            .clone()
            .unwrap_or_else(|| format.default_session().to_owned())
    }

    /// Codex numbers its items from `item_0`.
    fn codex_item_id(&mut self) -> String {
        let id = format!("item_{}", self.next_id);
        self.next_id += 1;
        id
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// The stdout lines for a progress step (none for formats that print only at the end).
    pub fn progress(&mut self, p: &Progress) -> Vec<String> {
        let mut lines = Vec::new();
        match p.format {
            Format::Claude => {
                self.claude_header(&mut lines);
                self.claude_assistant(p, &mut lines);
            }
            Format::Codex => {
                self.codex_header(p.format, &mut lines);
                self.codex_item(p, &mut lines);
            }
            Format::Gemini | Format::Qwen => {}
            Format::Aider => {
                if let Some(action) = &p.action {
                    lines.push(action.clone());
                }
                self.printed.cost += p.cost.unwrap_or(0.0);
                let session_cost = p.cost.map(|_| self.printed.cost);
                lines.push(aider_tokens(
                    p.input_tokens,
                    p.output_tokens,
                    p.cost,
                    session_cost,
                ));
                self.printed.input += p.input_tokens;
                self.printed.output += p.output_tokens;
            }
            Format::Opencode => {
                let reason = if p.action.is_some() { "tool-calls" } else { "stop" };
                let cost = p.cost.unwrap_or(0.0);
                self.opencode_step(
                    p.action.as_deref(),
                    None,
                    reason,
                    (p.input_tokens, p.output_tokens, cost),
                    &mut lines,
                );
                self.printed.input += p.input_tokens;
                self.printed.output += p.output_tokens;
                self.printed.cost += cost;
            }
        }
        lines
    }

    /// The stdout lines for a usage step.
    pub fn usage(&mut self, u: &Usage) -> Vec<String> {
        let mut lines = Vec::new();
        let session = self.session(u.format);
        let elapsed_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match u.format {
            Format::Claude | Format::Qwen => {
                if u.format == Format::Claude {
                    self.claude_header(&mut lines);
                }
                let mut usage = obj([
                    ("input_tokens", u.input_tokens.into()),
                    ("cache_creation_input_tokens", 0u64.into()),
                    ("cache_read_input_tokens", 0u64.into()),
                    ("output_tokens", u.output_tokens.into()),
                ]);
                if u.format == Format::Claude {
                    usage = usage
                        .with("server_tool_use", obj([("web_search_requests", 0u64.into())]))
                        .with("service_tier", "standard".into());
                }
                let mut result = obj([
                    ("type", "result".into()),
                    ("subtype", "success".into()),
                    ("is_error", false.into()),
                    ("duration_ms", elapsed_ms.into()),
                    ("duration_api_ms", elapsed_ms.into()),
                    ("num_turns", u.turns.into()),
                    ("result", RESULT_TEXT.into()),
                    ("session_id", session.into()),
                ]);
                if let Some(cost) = u.cost {
                    result = result.with("total_cost_usd", cost.into());
                }
                result = result.with("usage", usage);
                if u.format == Format::Claude {
                    result = result.with("permission_denials", Json::Array(Vec::new()));
                }
                lines.push(result.line());
            }
            Format::Codex => {
                self.codex_header(u.format, &mut lines);
                let id = self.codex_item_id();
                lines.push(codex_message(id, RESULT_TEXT).line());
                lines.push(
                    obj([
                        ("type", "turn.completed".into()),
                        (
                            "usage",
                            obj([
                                ("input_tokens", u.input_tokens.into()),
                                ("cached_input_tokens", 0u64.into()),
                                ("output_tokens", u.output_tokens.into()),
                            ]),
                        ),
                    ])
                    .line(),
                );
            }
            Format::Gemini => lines.push(gemini_result(u, self.session.clone()).pretty()),
            Format::Aider => {
                let input = u.input_tokens.saturating_sub(self.printed.input);
                let output = u.output_tokens.saturating_sub(self.printed.output);
                let message_cost = u.cost.map(|total| remainder(total, self.printed.cost));
                lines.push(aider_tokens(input, output, message_cost, u.cost));
            }
            Format::Opencode => {
                let input = u.input_tokens.saturating_sub(self.printed.input);
                let output = u.output_tokens.saturating_sub(self.printed.output);
                let cost = u.cost.map_or(0.0, |total| remainder(total, self.printed.cost));
                self.opencode_step(None, Some(RESULT_TEXT), "stop", (input, output, cost), &mut lines);
            }
        }
        lines
    }

    fn claude_header(&mut self, lines: &mut Vec<String>) {
        if std::mem::replace(&mut self.claude_init, true) {
            return;
        }
        let tools: Vec<&str> = vec!["Task", "Bash", "Glob", "Grep", "Read", "Edit", "Write"];
        lines.push(
            obj([
                ("type", "system".into()),
                ("subtype", "init".into()),
                ("cwd", self.cwd.clone().into()),
                ("session_id", self.session(Format::Claude).into()),
                ("tools", tools.into()),
                ("mcp_servers", Json::Array(Vec::new())),
                ("model", CLAUDE_MODEL.into()),
                ("permissionMode", "bypassPermissions".into()),
                ("apiKeySource", "none".into()),
            ])
            .line(),
        );
    }

    fn claude_assistant(&mut self, p: &Progress, lines: &mut Vec<String>) {
        let session = self.session(Format::Claude);
        let id = self.id();
        let tool_id = format!("toolu_scripted_{id:04}");
        let (content, stop_reason) = match &p.action {
            Some(action) => (
                obj([
                    ("type", "tool_use".into()),
                    ("id", tool_id.clone().into()),
                    ("name", "Bash".into()),
                    ("input", obj([("command", action.clone().into())])),
                ]),
                Json::from("tool_use"),
            ),
            None => (
                obj([
                    ("type", "text".into()),
                    ("text", format!("Turn {}.", p.turn).into()),
                ]),
                Json::Null,
            ),
        };
        let message = obj([
            ("id", format!("msg_scripted_{id:04}").into()),
            ("type", "message".into()),
            ("role", "assistant".into()),
            ("model", CLAUDE_MODEL.into()),
            ("content", Json::Array(vec![content])),
            ("stop_reason", stop_reason),
            ("stop_sequence", Json::Null),
            (
                "usage",
                obj([
                    ("input_tokens", p.input_tokens.into()),
                    ("cache_creation_input_tokens", 0u64.into()),
                    ("cache_read_input_tokens", 0u64.into()),
                    ("output_tokens", p.output_tokens.into()),
                    ("service_tier", "standard".into()),
                ]),
            ),
        ]);
        lines.push(
            obj([
                ("type", "assistant".into()),
                ("message", message),
                ("parent_tool_use_id", Json::Null),
                ("session_id", session.clone().into()),
            ])
            .line(),
        );
        if p.action.is_some() {
            let result = obj([
                ("tool_use_id", tool_id.into()),
                ("type", "tool_result".into()),
                ("content", "".into()),
                ("is_error", false.into()),
            ]);
            lines.push(
                obj([
                    ("type", "user".into()),
                    (
                        "message",
                        obj([("role", "user".into()), ("content", Json::Array(vec![result]))]),
                    ),
                    ("parent_tool_use_id", Json::Null),
                    ("session_id", session.into()),
                ])
                .line(),
            );
        }
    }

    fn codex_header(&mut self, format: Format, lines: &mut Vec<String>) {
        if std::mem::replace(&mut self.codex_started, true) {
            return;
        }
        let thread = obj([
            ("type", "thread.started".into()),
            ("thread_id", self.session(format).into()),
        ]);
        lines.push(thread.line());
        lines.push(obj([("type", "turn.started".into())]).line());
    }

    fn codex_item(&mut self, p: &Progress, lines: &mut Vec<String>) {
        let id = self.codex_item_id();
        match &p.action {
            Some(action) => {
                let item = |exit: Json, status: &str| {
                    obj([
                        ("id", id.clone().into()),
                        ("type", "command_execution".into()),
                        ("command", action.clone().into()),
                        ("aggregated_output", "".into()),
                        ("exit_code", exit),
                        ("status", status.into()),
                    ])
                };
                lines.push(
                    obj([
                        ("type", "item.started".into()),
                        ("item", item(Json::Null, "in_progress")),
                    ])
                    .line(),
                );
                lines.push(
                    obj([
                        ("type", "item.completed".into()),
                        ("item", item(0u64.into(), "completed")),
                    ])
                    .line(),
                );
            }
            None => lines.push(codex_message(id, &format!("Turn {}.", p.turn)).line()),
        }
    }

    /// A step_start, the tool or text part, and a step_finish.
    fn opencode_step(
        &mut self,
        action: Option<&str>,
        text: Option<&str>,
        reason: &str,
        (input, output, cost): (u64, u64, f64),
        lines: &mut Vec<String>,
    ) {
        let session = self.session(Format::Opencode);
        let message = format!("msg_scripted{:04}", self.id());
        let now = epoch_ms();
        let event = |kind: &str, mut part: Json, this: &mut Emitter| {
            let id = format!("prt_scripted{:04}", this.id());
            if let Json::Object(pairs) = &mut part {
                pairs.splice(
                    0..0,
                    [
                        ("id".to_owned(), Json::from(id)),
                        ("sessionID".to_owned(), Json::from(session.clone())),
                        ("messageID".to_owned(), Json::from(message.clone())),
                    ],
                );
            }
            obj([
                ("type", kind.into()),
                ("timestamp", now.into()),
                ("sessionID", session.clone().into()),
                ("part", part),
            ])
            .line()
        };
        lines.push(event("step_start", obj([("type", "step-start".into())]), self));
        if let Some(action) = action {
            let state = obj([
                ("status", "completed".into()),
                ("input", obj([("command", action.into())])),
                ("output", "".into()),
                ("title", action.into()),
                ("metadata", obj([])),
                ("time", obj([("start", now.into()), ("end", now.into())])),
            ]);
            let part = obj([
                ("type", "tool".into()),
                ("callID", format!("call_scripted{:04}", self.next_id).into()),
                ("tool", "bash".into()),
                ("state", state),
            ]);
            lines.push(event("tool_use", part, self));
        }
        if let Some(text) = text {
            let part = obj([
                ("type", "text".into()),
                ("text", text.into()),
                ("time", obj([("start", now.into()), ("end", now.into())])),
            ]);
            lines.push(event("text", part, self));
        }
        let tokens = obj([
            ("input", input.into()),
            ("output", output.into()),
            ("reasoning", 0u64.into()),
            ("cache", obj([("read", 0u64.into()), ("write", 0u64.into())])),
        ]);
        let part = obj([
            ("type", "step-finish".into()),
            ("reason", reason.into()),
            ("cost", cost.into()),
            ("tokens", tokens),
        ]);
        lines.push(event("step_finish", part, self));
    }
}

fn codex_message(id: String, text: &str) -> Json {
    let item = obj([
        ("id", id.into()),
        ("type", "agent_message".into()),
        ("text", text.into()),
    ]);
    obj([("type", "item.completed".into()), ("item", item)])
}

fn gemini_result(u: &Usage, session: Option<String>) -> Json {
    let model = obj([
        (
            "api",
            obj([
                ("totalRequests", u.turns.into()),
                ("totalErrors", 0u64.into()),
                ("totalLatencyMs", 0u64.into()),
            ]),
        ),
        (
            "tokens",
            obj([
                ("prompt", u.input_tokens.into()),
                ("candidates", u.output_tokens.into()),
                ("total", u.input_tokens.saturating_add(u.output_tokens).into()),
                ("cached", 0u64.into()),
                ("thoughts", 0u64.into()),
                ("tool", 0u64.into()),
            ]),
        ),
    ]);
    let decisions = obj([
        ("accept", 0u64.into()),
        ("reject", 0u64.into()),
        ("modify", 0u64.into()),
        ("auto_accept", 0u64.into()),
    ]);
    let tools = obj([
        ("totalCalls", 0u64.into()),
        ("totalSuccess", 0u64.into()),
        ("totalFail", 0u64.into()),
        ("totalDurationMs", 0u64.into()),
        ("totalDecisions", decisions),
        ("byName", obj([])),
    ]);
    let stats = obj([
        ("models", obj([(GEMINI_MODEL, model)])),
        ("tools", tools),
        (
            "files",
            obj([
                ("totalLinesAdded", 0u64.into()),
                ("totalLinesRemoved", 0u64.into()),
            ]),
        ),
    ]);
    let mut result = obj([]);
    if let Some(session) = session.or_else(|| u.session_id.clone()) {
        result = result.with("session_id", session.into());
    }
    result.with("response", RESULT_TEXT.into()).with("stats", stats)
}

/// aider's `Tokens: N sent, M received. Cost: $X message, $Y session.` line.
fn aider_tokens(input: u64, output: u64, message: Option<f64>, session: Option<f64>) -> String {
    let tokens = format!(
        "Tokens: {} sent, {} received.",
        aider_count(input),
        aider_count(output)
    );
    match (message, session) {
        (Some(m), Some(s)) => format!(
            "{tokens} Cost: ${} message, ${} session.",
            aider_cost(m),
            aider_cost(s)
        ),
        _ => tokens,
    }
}

/// aider's token count: 999, 1.2k, 12k.
fn aider_count(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else if n < 10_000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        format!("{}k", (n as f64 / 1000.0).round_ties_even())
    }
}

/// aider's cost: two decimals, more for amounts under a cent so they do not read as 0.
fn aider_cost(cost: f64) -> String {
    if cost == 0.0 {
        return "0.00".to_owned();
    }
    if cost.abs() >= 0.01 {
        return format!("{cost:.2}");
    }
    // log10 is negative here; truncation toward zero matches Python's int().
    let digits = (2 - cost.abs().log10() as i64).max(2) as usize;
    format!("{cost:.digits$}")
}

/// What is left of a total cost after the per-step costs already printed, rounded to
/// 1e-10 so float noise (0.020000000000000004) does not reach the output.
fn remainder(total: f64, printed: f64) -> f64 {
    ((total - printed).max(0.0) * 1e10).round() / 1e10
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
