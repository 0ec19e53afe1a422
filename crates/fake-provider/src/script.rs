//! What the fake provider answers: queues of turns (replies or faults), one queue per
//! exact model id plus a default queue, built in code with [`Script::builder`] or read
//! from a TOML or JSON file (see the module docs of `fake_provider` for the file form).

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The text a model answers with once its queue (and the default queue) is empty, so
/// that side requests and extra turns never break a run.
pub const EXHAUSTED_TEXT: &str = "Done.";

/// One scripted answer to one model request.
#[derive(Clone, Debug, PartialEq)]
pub struct Turn {
    pub action: Action,
    /// Token counts to report; `None` derives plausible numbers from the request and reply.
    pub usage: Option<Usage>,
    /// Substrings the request body must contain; a miss is recorded as a [`Mismatch`],
    /// never a panic, and the turn is answered anyway.
    pub expect: Vec<String>,
    /// Substrings that select this turn: a request takes the first turn of its queue
    /// whose `when` it all contains (a turn without `when` fits any request). Lets one
    /// reviewer model answer concurrent requests about different diffs deterministically.
    pub when: Vec<String>,
}

/// A turn either replies or fails.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Reply(Reply),
    #[cfg(feature = "faults")]
    Fault(Fault),
}

/// A successful model reply, rendered in the request's own wire format.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A final text answer (`end_turn` / `stop` / `STOP`).
    Text(String),
    /// One or more tool calls, `(tool name, arguments)`.
    ToolCalls(Vec<(String, Value)>),
    /// Some text first, then tool calls, as agents usually answer.
    TextAndToolCalls(String, Vec<(String, Value)>),
    /// Structured output. Anthropic: a `tool_use` of the tool the request forces through
    /// `tool_choice`, else the JSON as text; OpenAI and Gemini: the JSON as text.
    Json(Value),
}

/// An injected failure. Each one works on all four formats, streaming or not.
#[cfg(feature = "faults")]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// 429 with `retry-after` (seconds) and/or `retry-after-ms`; Gemini also puts a
    /// `google.rpc.RetryInfo` detail in the body.
    #[serde(rename_all = "kebab-case")]
    RateLimited {
        #[serde(default)]
        retry_after: Option<u64>,
        #[serde(default)]
        retry_after_ms: Option<u64>,
    },
    /// Anthropic 529 `overloaded_error`; the other formats 503.
    Overloaded,
    /// That status (500, 502, 503, 504, 400, 403, …) with the format's error JSON.
    Status { code: u16 },
    /// Close the connection with a TCP reset (SO_LINGER 0): before anything is sent when
    /// `after_bytes` is absent, else after the head and that many body bytes.
    #[serde(rename_all = "kebab-case")]
    Reset {
        #[serde(default)]
        after_bytes: Option<usize>,
    },
    /// Send the head and `after_bytes` body bytes, go silent for `ms`, then either close
    /// the connection (the default) or, with `resume`, send the rest.
    #[serde(rename_all = "kebab-case")]
    Stall {
        after_bytes: usize,
        ms: u64,
        #[serde(default)]
        resume: bool,
    },
    /// Cut the body in the middle of an event (or of the JSON) and close the connection
    /// without the chunked terminator.
    TruncatedStream,
    /// 200 with a broken JSON body, or a stream with one event whose data is broken JSON.
    MalformedJson,
    /// A 200 stream that breaks off after a few events with the format's in-stream error
    /// (Anthropic `event: error` with `overloaded_error`, Chat `data: {"error":…}`,
    /// Responses `response.failed`, Gemini `data: {"error":…}`), then ends cleanly.
    /// Requests that do not stream get the format's overloaded error instead.
    StreamError,
    /// 502 `text/html` page as a reverse proxy sends it.
    HtmlErrorPage,
    /// 401 with the format's authentication error.
    Unauthorized,
    /// OpenAI 429 `insufficient_quota` without retry-after (Anthropic: 400 credit balance
    /// too low; Gemini: 429 `RESOURCE_EXHAUSTED` with a `QuotaFailure` and no `RetryInfo`).
    InsufficientQuota,
    /// Anthropic 429 for a reached spend limit, without retry-after (other formats: as
    /// [`Fault::InsufficientQuota`]).
    SpendCap,
}

#[cfg(feature = "faults")]
impl Fault {
    /// The fault's name as written in a script file, for records and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::RateLimited { .. } => "rate-limited",
            Fault::Overloaded => "overloaded",
            Fault::Status { .. } => "status",
            Fault::Reset { .. } => "reset",
            Fault::Stall { .. } => "stall",
            Fault::TruncatedStream => "truncated-stream",
            Fault::MalformedJson => "malformed-json",
            Fault::StreamError => "stream-error",
            Fault::HtmlErrorPage => "html-error-page",
            Fault::Unauthorized => "unauthorized",
            Fault::InsufficientQuota => "insufficient-quota",
            Fault::SpendCap => "spend-cap",
        }
    }
}

/// Token counts reported for one reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl Turn {
    pub fn reply(reply: Reply) -> Turn {
        Turn {
            action: Action::Reply(reply),
            usage: None,
            expect: Vec::new(),
            when: Vec::new(),
        }
    }

    #[cfg(feature = "faults")]
    pub fn fault(fault: Fault) -> Turn {
        Turn {
            action: Action::Fault(fault),
            usage: None,
            expect: Vec::new(),
            when: Vec::new(),
        }
    }

    pub fn text(text: impl Into<String>) -> Turn {
        Turn::reply(Reply::Text(text.into()))
    }

    pub fn tool_call(name: impl Into<String>, args: Value) -> Turn {
        Turn::reply(Reply::ToolCalls(vec![(name.into(), args)]))
    }

    pub fn json(value: Value) -> Turn {
        Turn::reply(Reply::Json(value))
    }

    pub fn with_usage(mut self, usage: Usage) -> Turn {
        self.usage = Some(usage);
        self
    }

    pub fn expecting(mut self, substring: impl Into<String>) -> Turn {
        self.expect.push(substring.into());
        self
    }

    /// A short description for request records: `text`, `tool-calls`, `fault:reset`, ….
    pub fn describe(&self) -> String {
        match &self.action {
            Action::Reply(Reply::Text(_)) => "text".to_string(),
            Action::Reply(Reply::ToolCalls(_)) => "tool-calls".to_string(),
            Action::Reply(Reply::TextAndToolCalls(..)) => "text-and-tool-calls".to_string(),
            Action::Reply(Reply::Json(_)) => "json".to_string(),
            #[cfg(feature = "faults")]
            Action::Fault(fault) => format!("fault:{}", fault.name()),
        }
    }
}

/// Queues of turns. A request for model M takes the next turn of M's queue, else of the
/// default queue, else is answered with [`EXHAUSTED_TEXT`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    pub default: VecDeque<Turn>,
    pub models: BTreeMap<String, VecDeque<Turn>>,
    /// Pause between streamed events, to make streams observable as streams.
    pub event_delay_ms: u64,
}

/// A request that did not contain what its turn expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Index into [`super::FakeProvider::requests`].
    pub request: usize,
    pub model: Option<String>,
    pub missing: String,
}

/// A script file that cannot be read or is not a valid script.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read fake provider script {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid fake provider script: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("invalid fake provider script: {0}")]
    Json(#[from] serde_json::Error),
    #[error("fake provider script, {queue} turn {index}: {problem}")]
    Turn {
        queue: String,
        index: usize,
        problem: String,
    },
}

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    pub fn builder() -> ScriptBuilder {
        ScriptBuilder {
            script: Script::new(),
            model: None,
        }
    }

    /// Take the turn that answers a request for `model` whose body is `body`.
    pub(crate) fn next_turn(&mut self, model: Option<&str>, body: &str) -> Option<Turn> {
        let fits = |turn: &Turn| turn.when.iter().all(|w| body.contains(w.as_str()));
        if let Some(queue) = model.and_then(|m| self.models.get_mut(m)) {
            if let Some(i) = queue.iter().position(fits) {
                return queue.remove(i);
            }
        }
        let i = self.default.iter().position(fits)?;
        self.default.remove(i)
    }

    /// Read a script file: `.json` as JSON, anything else as TOML.
    pub fn from_file(path: &Path) -> Result<Script, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if path.extension().is_some_and(|e| e == "json") {
            Script::from_json_str(&text)
        } else {
            Script::from_toml_str(&text)
        }
    }

    pub fn from_toml_str(text: &str) -> Result<Script, ScriptError> {
        let raw: RawScript = toml::from_str(text)?;
        raw.resolve()
    }

    pub fn from_json_str(text: &str) -> Result<Script, ScriptError> {
        let raw: RawScript = serde_json::from_str(text)?;
        raw.resolve()
    }
}

/// Builds a [`Script`] turn by turn. Turns go to the default queue until
/// [`ScriptBuilder::model`] picks a model's queue; `expect` and `usage` amend the turn
/// added last.
#[derive(Debug)]
pub struct ScriptBuilder {
    script: Script,
    model: Option<String>,
}

impl ScriptBuilder {
    /// Add the following turns to `model`'s own queue.
    pub fn model(mut self, model: impl Into<String>) -> ScriptBuilder {
        self.model = Some(model.into());
        self
    }

    /// Add the following turns to the default queue.
    pub fn default_queue(mut self) -> ScriptBuilder {
        self.model = None;
        self
    }

    pub fn turn(mut self, turn: Turn) -> ScriptBuilder {
        match &self.model {
            Some(model) => self
                .script
                .models
                .entry(model.clone())
                .or_default()
                .push_back(turn),
            None => self.script.default.push_back(turn),
        }
        self
    }

    pub fn text(self, text: impl Into<String>) -> ScriptBuilder {
        self.turn(Turn::text(text))
    }

    pub fn tool_call(self, name: impl Into<String>, args: Value) -> ScriptBuilder {
        self.turn(Turn::tool_call(name, args))
    }

    pub fn tool_calls(self, calls: Vec<(String, Value)>) -> ScriptBuilder {
        self.turn(Turn::reply(Reply::ToolCalls(calls)))
    }

    pub fn json(self, value: Value) -> ScriptBuilder {
        self.turn(Turn::json(value))
    }

    #[cfg(feature = "faults")]
    pub fn fault(self, fault: Fault) -> ScriptBuilder {
        self.turn(Turn::fault(fault))
    }

    pub fn expect(mut self, substring: impl Into<String>) -> ScriptBuilder {
        if let Some(turn) = self.last_turn() {
            turn.expect.push(substring.into());
        }
        self
    }

    /// The last turn answers only requests containing `substring` (see [`Turn::when`]).
    pub fn when(mut self, substring: impl Into<String>) -> ScriptBuilder {
        if let Some(turn) = self.last_turn() {
            turn.when.push(substring.into());
        }
        self
    }

    pub fn usage(mut self, usage: Usage) -> ScriptBuilder {
        if let Some(turn) = self.last_turn() {
            turn.usage = Some(usage);
        }
        self
    }

    pub fn event_delay_ms(mut self, ms: u64) -> ScriptBuilder {
        self.script.event_delay_ms = ms;
        self
    }

    pub fn build(self) -> Script {
        self.script
    }

    fn last_turn(&mut self) -> Option<&mut Turn> {
        match &self.model {
            Some(model) => self.script.models.get_mut(model).and_then(|q| q.back_mut()),
            None => self.script.default.back_mut(),
        }
    }
}

// The file form, parsed close to the input and then resolved into the types above.

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawScript {
    #[serde(default)]
    event_delay_ms: u64,
    #[serde(default)]
    turns: Vec<RawTurn>,
    #[serde(default)]
    models: BTreeMap<String, RawQueue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueue {
    #[serde(default)]
    turns: Vec<RawTurn>,
}

/// A scripted fault, as the script file gives it. Fault injection is compiled in only
/// with the `faults` feature (the tests'); elsewhere a script that asks for one is refused.
#[cfg(feature = "faults")]
type RawFault = Fault;
#[cfg(not(feature = "faults"))]
type RawFault = serde::de::IgnoredAny;

#[cfg(feature = "faults")]
fn fault_action(fault: RawFault) -> Result<Action, &'static str> {
    Ok(Action::Fault(fault))
}

#[cfg(not(feature = "faults"))]
fn fault_action(_: RawFault) -> Result<Action, &'static str> {
    Err("this build has no fault injection (`fault` needs bakeoff-fake-provider's `faults` feature)")
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawTurn {
    text: Option<String>,
    tool_calls: Option<Vec<RawCall>>,
    json: Option<Value>,
    fault: Option<RawFault>,
    usage: Option<Usage>,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    when: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    name: String,
    #[serde(default)]
    args: Option<Value>,
}

impl RawScript {
    fn resolve(self) -> Result<Script, ScriptError> {
        let mut script = Script {
            event_delay_ms: self.event_delay_ms,
            ..Script::default()
        };
        script.default = resolve_queue("the default queue", self.turns)?;
        for (model, queue) in self.models {
            let turns = resolve_queue(&format!("model {model:?}"), queue.turns)?;
            script.models.insert(model, turns);
        }
        Ok(script)
    }
}

fn resolve_queue(queue: &str, turns: Vec<RawTurn>) -> Result<VecDeque<Turn>, ScriptError> {
    let mut out = VecDeque::with_capacity(turns.len());
    for (i, raw) in turns.into_iter().enumerate() {
        let problem = |problem: &str| ScriptError::Turn {
            queue: queue.to_string(),
            index: i + 1,
            problem: problem.to_string(),
        };
        let calls = raw.tool_calls.map(|calls| {
            calls
                .into_iter()
                .map(|c| {
                    (
                        c.name,
                        c.args.unwrap_or_else(|| Value::Object(Default::default())),
                    )
                })
                .collect::<Vec<_>>()
        });
        let action = match (raw.text, calls, raw.json, raw.fault) {
            (Some(text), None, None, None) => Action::Reply(Reply::Text(text)),
            (None, Some(calls), None, None) if !calls.is_empty() => Action::Reply(Reply::ToolCalls(calls)),
            (Some(text), Some(calls), None, None) if !calls.is_empty() => {
                Action::Reply(Reply::TextAndToolCalls(text, calls))
            }
            (None, None, Some(json), None) => Action::Reply(Reply::Json(json)),
            (None, None, None, Some(fault)) => fault_action(fault).map_err(problem)?,
            (None, Some(_), None, None) | (Some(_), Some(_), None, None) => {
                return Err(problem("`tool-calls` is empty"))
            }
            (None, None, None, None) => {
                return Err(problem("a turn needs one of `text`, `tool-calls`, `json` or `fault`"))
            }
            _ => {
                return Err(problem(
                    "a turn has one of `text`, `tool-calls`, `json` or `fault` (only `text` goes with `tool-calls`)",
                ))
            }
        };
        out.push_back(Turn {
            action,
            usage: raw.usage,
            expect: raw.expect,
            when: raw.when,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod when_tests {
    use super::*;

    #[test]
    fn when_picks_the_turn_for_the_request_in_any_order() {
        let mut script = Script::builder()
            .model("m")
            .text("about a")
            .when("diff of a")
            .text("about b")
            .when("diff of b")
            .text("anything")
            .build();
        let text = |t: Option<Turn>| match t.map(|t| t.action) {
            Some(Action::Reply(Reply::Text(s))) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(text(script.next_turn(Some("m"), "the diff of b")), "about b");
        assert_eq!(text(script.next_turn(Some("m"), "the diff of c")), "anything");
        assert_eq!(text(script.next_turn(Some("m"), "the diff of a")), "about a");
        assert!(script.next_turn(Some("m"), "the diff of a").is_none());
    }
}
