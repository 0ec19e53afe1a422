//! `flood-format FORMAT BYTES`: a long run's worth of output in one CLI's own format,
//! for measuring what bakeoff spends on it. Each format repeats the records a busy run of
//! that CLI prints most of (docs/agent-clis.md):
//! - `claude`: per turn, an assistant text block, an assistant `tool_use` block (the same
//!   message id, as Claude Code prints one line per content block) and the `user` line
//!   with the tool's result, a couple of KB of file text;
//! - `codex`: per turn, a `reasoning` item, a `command_execution` item started and
//!   completed with its output, and an `agent_message`;
//! - `gemini`: one pretty-printed report (`--output-format json` prints nothing until the
//!   end), made huge by `stats.tools.byName`, one entry per tool call;
//! - `text`: compiler-like plain lines.
//!
//! Whole records are written until at least BYTES have gone out. Token counts are small
//! per turn; the script's `usage` step prints the authoritative totals after the flood.

use std::io::{self, Write};

use super::{obj, Emitter, Format, Json, CLAUDE_MODEL, GEMINI_MODEL};

/// Which format a flood is printed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodFormat {
    Claude,
    Codex,
    Gemini,
    Text,
}

impl std::str::FromStr for FloodFormat {
    type Err = String;

    fn from_str(word: &str) -> Result<FloodFormat, String> {
        Ok(match word {
            "claude" => FloodFormat::Claude,
            "codex" => FloodFormat::Codex,
            "gemini" => FloodFormat::Gemini,
            "text" => FloodFormat::Text,
            other => {
                return Err(format!(
                    "unknown flood format `{other}` (claude, codex, gemini, text)"
                ))
            }
        })
    }
}

/// A tool's output as the CLIs quote it back: a few dozen lines of source text.
fn tool_output(turn: u64) -> String {
    let mut text = String::with_capacity(2200);
    for i in 0..40 {
        text.push_str(&format!(
            "{:>5}\tpub fn handler_{turn}_{i}(req: &Request) -> Result<Response, Error> {{\n",
            i + 1
        ));
    }
    text
}

impl Emitter {
    /// Prints `bytes` (rounded up to a whole record) of `format` output to `out`.
    pub fn flood(&mut self, out: &mut dyn Write, format: FloodFormat, bytes: u64) -> io::Result<()> {
        let mut out = Counted { out, written: 0 };
        match format {
            FloodFormat::Claude => {
                let mut header = Vec::new();
                self.claude_header(&mut header);
                for line in header {
                    writeln!(out, "{line}")?;
                }
                let mut turn = 0;
                while out.written < bytes {
                    turn += 1;
                    self.claude_flood_turn(&mut out, turn)?;
                }
            }
            FloodFormat::Codex => {
                let mut header = Vec::new();
                self.codex_header(Format::Codex, &mut header);
                for line in header {
                    writeln!(out, "{line}")?;
                }
                let mut turn = 0;
                while out.written < bytes {
                    turn += 1;
                    self.codex_flood_turn(&mut out, turn)?;
                }
            }
            FloodFormat::Gemini => gemini_flood(&mut out, bytes, self.session(Format::Gemini))?,
            FloodFormat::Text => {
                let mut n = 0u64;
                while out.written < bytes {
                    n += 1;
                    writeln!(
                        out,
                        "   Compiling handler-{n} v0.1.0 (/work/crates/handler-{n}) [build script ran in {}ms]",
                        n % 997
                    )?;
                }
            }
        }
        out.flush()
    }

    fn claude_flood_turn(&mut self, out: &mut dyn Write, turn: u64) -> io::Result<()> {
        let session = self.session(Format::Claude);
        let id = format!("msg_flood_{turn:08}");
        let tool_id = format!("toolu_flood_{turn:08}");
        let assistant = |content: Json, output_tokens: u64| {
            let usage = obj([
                ("input_tokens", 3u64.into()),
                ("cache_creation_input_tokens", 120u64.into()),
                ("cache_read_input_tokens", 20_000u64.into()),
                ("output_tokens", output_tokens.into()),
                ("service_tier", "standard".into()),
            ]);
            let message = obj([
                ("id", id.clone().into()),
                ("type", "message".into()),
                ("role", "assistant".into()),
                ("model", CLAUDE_MODEL.into()),
                ("content", Json::Array(vec![content])),
                ("stop_reason", Json::Null),
                ("stop_sequence", Json::Null),
                ("usage", usage),
            ]);
            obj([
                ("type", "assistant".into()),
                ("message", message),
                ("parent_tool_use_id", Json::Null),
                ("session_id", session.clone().into()),
            ])
            .line()
        };
        let text = obj([
            ("type", "text".into()),
            (
                "text",
                format!("Next I'll read handler {turn} to see how it maps errors.").into(),
            ),
        ]);
        writeln!(out, "{}", assistant(text, 12))?;
        let tool = obj([
            ("type", "tool_use".into()),
            ("id", tool_id.clone().into()),
            ("name", "Read".into()),
            (
                "input",
                obj([("file_path", format!("{}/src/handler_{turn}.rs", self.cwd).into())]),
            ),
        ]);
        writeln!(out, "{}", assistant(tool, 64))?;
        let result = obj([
            ("tool_use_id", tool_id.into()),
            ("type", "tool_result".into()),
            ("content", tool_output(turn).into()),
        ]);
        let user = obj([
            ("type", "user".into()),
            (
                "message",
                obj([("role", "user".into()), ("content", Json::Array(vec![result]))]),
            ),
            ("parent_tool_use_id", Json::Null),
            ("session_id", session.into()),
        ]);
        writeln!(out, "{}", user.line())
    }

    fn codex_flood_turn(&mut self, out: &mut dyn Write, turn: u64) -> io::Result<()> {
        let reasoning = obj([
            ("id", self.codex_item_id().into()),
            ("type", "reasoning".into()),
            ("text", format!("**Checking handler {turn}**").into()),
        ]);
        writeln!(
            out,
            "{}",
            obj([("type", "item.completed".into()), ("item", reasoning)]).line()
        )?;
        let id = self.codex_item_id();
        let command = format!("bash -lc 'cat src/handler_{turn}.rs'");
        let item = |output: String, exit: Json, status: &str| {
            obj([
                ("id", id.clone().into()),
                ("type", "command_execution".into()),
                ("command", command.clone().into()),
                ("aggregated_output", output.into()),
                ("exit_code", exit),
                ("status", status.into()),
            ])
        };
        let started = obj([
            ("type", "item.started".into()),
            ("item", item(String::new(), Json::Null, "in_progress")),
        ]);
        writeln!(out, "{}", started.line())?;
        let completed = obj([
            ("type", "item.completed".into()),
            ("item", item(tool_output(turn), 0u64.into(), "completed")),
        ]);
        writeln!(out, "{}", completed.line())?;
        let message = super::codex_message(
            self.codex_item_id(),
            &format!("Handler {turn} maps its errors with `?`."),
        );
        writeln!(out, "{}", message.line())
    }
}

/// One `--output-format json` report of about `bytes`, written as it goes (it is never
/// held whole here either), indented as `JSON.stringify(v, null, 2)` does.
fn gemini_flood(out: &mut dyn Write, bytes: u64, session: String) -> io::Result<()> {
    let head = obj([
        ("session_id", session.into()),
        ("response", "Scanned every handler.".into()),
    ])
    .pretty();
    // The head without its closing brace, then `stats` by hand.
    let head = head.trim_end().trim_end_matches('}').trim_end();
    writeln!(out, "{head},")?;
    writeln!(out, "  \"stats\": {{")?;
    writeln!(out, "    \"models\": {{")?;
    writeln!(out, "      \"{GEMINI_MODEL}\": {{")?;
    writeln!(
        out,
        "        \"api\": {{ \"totalRequests\": 1, \"totalErrors\": 0, \"totalLatencyMs\": 900 }},"
    )?;
    writeln!(
        out,
        "        \"tokens\": {{ \"prompt\": 10, \"candidates\": 2, \"total\": 12, \"cached\": 0, \"thoughts\": 0, \"tool\": 0 }}"
    )?;
    writeln!(out, "      }}\n    }},")?;
    writeln!(out, "    \"tools\": {{")?;
    writeln!(out, "      \"totalCalls\": 0,")?;
    writeln!(out, "      \"byName\": {{")?;
    let mut n = 0u64;
    let mut out = Counted { out, written: 0 };
    loop {
        n += 1;
        write!(
            out,
            "        \"read_file_{n:08}\": {{\n          \"count\": 1,\n          \"success\": 1,\n          \"fail\": 0,\n          \"durationMs\": {},\n          \"decisions\": {{\n            \"accept\": 1,\n            \"reject\": 0,\n            \"modify\": 0,\n            \"auto_accept\": 0\n          }}\n        }}",
            n % 977
        )?;
        if out.written >= bytes {
            break;
        }
        writeln!(out, ",")?;
    }
    writeln!(out, "\n      }}\n    }},")?;
    writeln!(
        out,
        "    \"files\": {{ \"totalLinesAdded\": 0, \"totalLinesRemoved\": 0 }}\n  }}\n}}"
    )
}

/// A writer that counts what went through it.
struct Counted<'a> {
    out: &'a mut dyn Write,
    written: u64,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
