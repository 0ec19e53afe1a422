//! One live parser per agent output format, and the choice of parser for a lane.

mod aider;
mod builtin;
mod claude;
mod codex;
mod common;
mod gemini;
mod opencode;
mod select;
mod silent;

pub use aider::AiderParser;
pub use builtin::BuiltinParser;
pub use claude::ClaudeParser;
pub use codex::CodexParser;
pub use gemini::GeminiParser;
pub use opencode::OpenCodeParser;
pub use select::parser_for;
pub use silent::SilentParser;
