//! The loop itself, in the spirit of mini-swe-agent: a linear history; each turn one
//! request to the model, then the commands it asked for, their results appended; until
//! the model submits or a limit stops it. Native tool calls where the model makes them,
//! else the first ```` ```bash ```` block of its text.

use std::io::Write;

use crate::price::Price;
use crate::process::{CancelLevel, CancelToken};
use crate::provider::{ChatRequest, ChatResponse, Client, Message, Part, Role, TokenUsage, ToolCall};

use super::error::BuiltinError;
use super::prompt::{self, Ending, BASH_TOOL, SUBMIT_TOOL};
use super::text;
use super::tools::{CommandResult, Shell};
use crate::agent::builtin_transcript::{BuiltinEvent, CallSummary, EventWriter, StopReason};

/// The limits of one run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Model turns at most.
    pub max_steps: u32,
    /// US dollars at most; only enforceable with a known price.
    pub max_cost_usd: Option<f64>,
    /// Offer the model the tools; without, it works through fenced blocks only.
    pub tools: bool,
    /// Reply tokens per request.
    pub max_tokens: u32,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub reason: StopReason,
    pub error: Option<String>,
    pub steps: u32,
    pub usage: TokenUsage,
    pub cost_usd: Option<f64>,
}

/// What a run talks to and within which limits.
pub struct Setup<'a> {
    pub client: &'a Client,
    /// The model id as the provider knows it.
    pub model: String,
    /// `None`: the cost is unknown, and so is every total.
    pub price: Option<Price>,
    pub limits: Limits,
    pub system: String,
    /// The first user message.
    pub task: String,
}

/// One run of the agent: its model, its shell, its history.
pub struct Session<'a, W: Write> {
    client: &'a Client,
    model: String,
    price: Option<Price>,
    limits: Limits,
    system: String,
    history: Vec<Message>,
    shell: Shell,
    events: EventWriter<W>,
    cancel: CancelToken,
    usage: TokenUsage,
    turns: u32,
}

/// What to do after a turn.
enum Flow {
    Continue,
    Stop(StopReason),
}

impl<'a, W: Write> Session<'a, W> {
    /// A run that starts with the task message.
    pub fn new(
        setup: Setup<'a>,
        shell: Shell,
        events: EventWriter<W>,
        cancel: CancelToken,
    ) -> Session<'a, W> {
        Session {
            client: setup.client,
            model: setup.model,
            price: setup.price,
            limits: setup.limits,
            system: setup.system,
            history: vec![Message::user(setup.task)],
            shell,
            events,
            cancel,
            usage: TokenUsage::default(),
            turns: 0,
        }
    }

    fn cost(&self) -> Option<f64> {
        self.price.map(|p| p.cost(&self.usage))
    }

    /// Runs to the end and writes the `result` event.
    pub async fn run(mut self) -> Outcome {
        let (reason, error) = match self.turns().await {
            Ok(reason) => (reason, self.limit_message(reason)),
            Err(e) => {
                let reason = match e {
                    BuiltinError::Provider(_) => StopReason::ModelError,
                    _ => StopReason::Error,
                };
                (reason, Some(e.to_string()))
            }
        };
        let outcome = Outcome {
            reason,
            error,
            steps: self.turns,
            usage: self.usage,
            cost_usd: self.cost(),
        };
        self.events.emit(BuiltinEvent::Result {
            reason,
            steps: outcome.steps,
            usage: outcome.usage,
            cost_usd: outcome.cost_usd,
            error: outcome.error.clone(),
        });
        outcome
    }

    fn limit_message(&self, reason: StopReason) -> Option<String> {
        match reason {
            StopReason::Submitted | StopReason::Answered => None,
            StopReason::StepLimit => Some(format!(
                "stopped after {} steps without submitting (raise --max-steps)",
                self.turns
            )),
            StopReason::CostLimit => Some(format!(
                "stopped at ${:.4}, over the ${} cost limit, without submitting (raise --max-cost)",
                self.cost().unwrap_or_default(),
                self.limits.max_cost_usd.unwrap_or_default()
            )),
            StopReason::Cancelled => Some("cancelled before submitting".to_string()),
            StopReason::ModelError | StopReason::Error => None,
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.level() != CancelLevel::None
    }

    async fn turns(&mut self) -> Result<StopReason, BuiltinError> {
        loop {
            if self.cancelled() {
                return Ok(StopReason::Cancelled);
            }
            if self.turns >= self.limits.max_steps {
                return Ok(StopReason::StepLimit);
            }
            if let (Some(max), Some(cost)) = (self.limits.max_cost_usd, self.cost()) {
                if cost >= max {
                    return Ok(StopReason::CostLimit);
                }
            }
            self.turns += 1;
            let Some(response) = self.ask().await? else {
                return Ok(StopReason::Cancelled);
            };
            if let Flow::Stop(reason) = self.act(response).await? {
                return Ok(reason);
            }
        }
    }

    /// One request; `None` when cancelled while waiting.
    async fn ask(&mut self) -> Result<Option<ChatResponse>, BuiltinError> {
        let turn = self.turns;
        self.events.emit(BuiltinEvent::Request {
            turn,
            messages: self.history.len(),
            tools: self.limits.tools,
        });
        let req = ChatRequest {
            model: self.model.clone(),
            system: Some(self.system.clone()),
            messages: self.history.clone(),
            tools: if self.limits.tools {
                prompt::tools()
            } else {
                Vec::new()
            },
            response_schema: None,
            max_tokens: self.limits.max_tokens,
            temperature: None,
            stream: true,
        };
        let mut heard = Vec::new();
        let mut cancel = self.cancel.clone();
        let mut observer = |e| heard.push(e);
        let reply = tokio::select! {
            reply = self.client.chat(&req, &mut observer) => Some(reply),
            _ = cancel.raised(CancelLevel::Graceful) => None,
        };
        for event in heard
            .into_iter()
            .filter(|e| !matches!(e, crate::provider::ProviderEvent::Attempt { .. }))
        {
            self.events.emit(BuiltinEvent::Provider { turn, event });
        }
        let Some(reply) = reply else {
            return Ok(None);
        };
        let response = reply?;
        add(&mut self.usage, &response.usage);
        self.events.emit(BuiltinEvent::Reply {
            turn,
            text: response.text.clone(),
            tool_calls: response
                .tool_calls
                .iter()
                .map(|c| CallSummary {
                    name: c.name.clone(),
                    arguments: c.arguments.clone(),
                })
                .collect(),
            usage: response.usage,
            cost_usd: self.price.map(|p| p.cost(&response.usage)),
        });
        Ok(Some(response))
    }

    /// Runs what the reply asks for and appends the results to the history.
    async fn act(&mut self, response: ChatResponse) -> Result<Flow, BuiltinError> {
        let mut parts = Vec::new();
        if !response.text.is_empty() {
            parts.push(Part::Text {
                text: response.text.clone(),
            });
        }
        parts.extend(response.tool_calls.iter().cloned().map(Part::ToolCall));
        if parts.is_empty() {
            // Providers reject an empty assistant message; the history stays linear.
            parts.push(Part::Text {
                text: "(empty reply)".to_string(),
            });
        }
        self.history.push(Message {
            role: Role::Assistant,
            parts,
        });
        if response.tool_calls.is_empty() {
            return self.act_on_text(&response.text, &response.stop).await;
        }
        let mut results = Vec::new();
        for call in &response.tool_calls {
            let (content, is_error) = match call.name.as_str() {
                SUBMIT_TOOL => return Ok(Flow::Stop(StopReason::Submitted)),
                BASH_TOOL => match command_of(call) {
                    Some(command) => {
                        let result = self.exec(&command).await?;
                        if result.cancelled {
                            return Ok(Flow::Stop(StopReason::Cancelled));
                        }
                        let failed = result.ending != Ending::Exit(0);
                        (prompt::observation(&result.ending, &result.output.text), failed)
                    }
                    None => (
                        format!("the `{BASH_TOOL}` tool needs {{\"command\": \"...\"}} with a non-empty command; nothing ran"),
                        true,
                    ),
                },
                other => (
                    format!("there is no tool `{other}`: the tools are `{BASH_TOOL}` and `{SUBMIT_TOOL}`; nothing ran"),
                    true,
                ),
            };
            results.push(Part::ToolResult {
                call_id: call.id.clone(),
                name: call.name.clone(),
                content,
                is_error,
            });
        }
        self.history.push(Message {
            role: Role::User,
            parts: results,
        });
        Ok(Flow::Continue)
    }

    /// A reply without tool calls: its first shell block runs (the fallback for models
    /// without tools); a reply with neither a call nor a command is the model's final
    /// answer and ends the run, as mini-swe-agent ends it. An empty reply, or one the
    /// token limit cut off, is not an answer: the model is told so and goes on.
    async fn act_on_text(
        &mut self,
        reply: &str,
        stop: &crate::provider::StopReason,
    ) -> Result<Flow, BuiltinError> {
        let action = text::parse_reply(reply);
        let Some(command) = action.command else {
            if action.submit {
                return Ok(Flow::Stop(StopReason::Submitted));
            }
            let cut_off = matches!(stop, crate::provider::StopReason::MaxTokens);
            if !reply.trim().is_empty() && !cut_off {
                return Ok(Flow::Stop(StopReason::Answered));
            }
            self.history.push(Message::user(prompt::no_action()));
            return Ok(Flow::Continue);
        };
        let result = self.exec(&command).await?;
        if result.cancelled {
            return Ok(Flow::Stop(StopReason::Cancelled));
        }
        if action.submit || text::output_submits(&result.output.text) {
            return Ok(Flow::Stop(StopReason::Submitted));
        }
        self.history.push(Message::user(prompt::observation(
            &result.ending,
            &result.output.text,
        )));
        Ok(Flow::Continue)
    }

    async fn exec(&mut self, command: &str) -> Result<CommandResult, BuiltinError> {
        let result = self.shell.run(command, self.cancel.clone()).await?;
        let (exit, signal) = match result.exit {
            crate::process::ExitKind::Code(c) => (Some(c), None),
            crate::process::ExitKind::Signal(s) => (None, Some(s)),
        };
        self.events.emit(BuiltinEvent::Step {
            n: self.turns,
            command: command.to_string(),
            exit,
            signal,
            timed_out: result.timed_out,
            output_bytes: result.output.total_bytes,
            cut_bytes: result.output.cut_bytes,
            output: result.output.text.clone(),
            usage: self.usage,
            cost_usd: self.cost(),
        });
        Ok(result)
    }
}

/// The command of a `bash` call, when it has a usable one.
fn command_of(call: &ToolCall) -> Option<String> {
    let command = call.arguments.get("command")?.as_str()?;
    (!command.trim().is_empty()).then(|| command.to_string())
}

fn add(total: &mut TokenUsage, more: &TokenUsage) {
    total.input = total.input.saturating_add(more.input);
    total.output = total.output.saturating_add(more.output);
    total.cache_read = total.cache_read.saturating_add(more.cache_read);
    total.cache_write = total.cache_write.saturating_add(more.cache_write);
}
