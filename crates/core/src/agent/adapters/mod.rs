//! One module per agent CLI, each holding everything bakeoff knows about that CLI
//! behind the [`Adapter`](super::Adapter) trait: argv, secrets, endpoint wiring, fix
//! rounds, output parser and what `bakeoff agents` says of it.

mod aider;
mod builtin;
mod claude;
mod codex;
mod command;
mod gemini;
mod opencode;
mod qwen;
#[cfg(test)]
mod test_support;

pub use aider::{Aider, AiderParser};
pub use builtin::{transcript as builtin_transcript, Builtin, BuiltinParser};
pub use claude::{Claude, ClaudeParser};
pub use codex::{Codex, CodexParser};
pub use command::{Command, SilentParser};
pub use gemini::{Gemini, GeminiParser};
pub use opencode::{OpenCode, OpenCodeParser};
pub use qwen::Qwen;
