//! What the built-in agent tells the model: the system prompt (the task's setting, the
//! one `bash` tool, how to finish), the task message, the tool definitions, and how a
//! command's result is reported back. Pure.

use std::time::Duration;

use serde_json::json;

use crate::provider::ToolSpec;

use super::text::SUBMIT_MARKER;

/// The tool that runs a command.
pub const BASH_TOOL: &str = "bash";
/// The tool that ends the run.
pub const SUBMIT_TOOL: &str = "submit";

/// The limits the prompt states.
#[derive(Clone, Copy, Debug)]
pub struct PromptLimits {
    pub max_steps: u32,
    pub command_timeout: Duration,
    pub output_limit: usize,
}

/// The system prompt.
pub fn system_prompt(limits: &PromptLimits) -> String {
    let timeout = humantime::format_duration(limits.command_timeout);
    format!(
        "You are a software engineer working alone and non-interactively on a task in a \
git repository. Nobody will answer questions; make reasonable decisions yourself.

## How you work

You have one tool, `{BASH_TOOL}`, which takes {{\"command\": \"...\"}}. Each call runs \
`bash -c COMMAND` in a fresh shell whose working directory is the top of the repository. \
Nothing carries over between calls: not `cd`, not variables, not `export`. Chain what \
belongs together with `&&`, e.g. `cd src && ls`.

- Commands have no terminal and no input. Do not start editors, pagers or interactive \
programs; anything that reads input gets end of file.
- A command that runs longer than {timeout} is stopped. You are told so, with the output \
it printed until then; run long jobs with narrower scope.
- Output longer than {limit} bytes is cut in the middle. Look at large files in parts \
(`head`, `tail`, `grep -n`, `sed -n '10,60p'`).
- Edit files with shell tools: `cat <<'EOF' > path`, `sed -i`, `python3`, `patch`.
- Do not commit, push or switch branches: your changes are collected from the working \
tree when you finish.
- Make the change the task asks for, keep it focused, and check it (build, run the \
tests) where you can.

You have at most {steps} replies. Run one command per reply and read its result before \
the next.

## How you finish

When the task is done, call the `{SUBMIT_TOOL}` tool. If you cannot call tools, write \
each command in a fenced block, one per reply:

```bash
ls -la
```

and when you are done, reply with a line containing only {SUBMIT_MARKER}.",
        limit = limits.output_limit,
        steps = limits.max_steps,
    )
}

/// The first user message: the task, unchanged.
pub fn task_message(spec: &str) -> String {
    format!("Your task:\n\n<task>\n{}\n</task>", spec.trim_end())
}

/// The tool definitions: `bash` and `submit`.
pub fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: BASH_TOOL.to_string(),
            description: "Run a command with `bash -c` in a fresh shell at the top of the \
                          repository, and get its exit code and output."
                .to_string(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "The command to run."}
                },
                "required": ["command"],
            }),
        },
        ToolSpec {
            name: SUBMIT_TOOL.to_string(),
            description: "Finish: the task is done and the changes in the working tree are \
                          your answer."
                .to_string(),
            parameters: json!({"type": "object", "properties": {}}),
        },
    ]
}

/// How one command ended, as the model is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Exit(i32),
    Signal(i32),
    TimedOut(Duration),
}

/// The result of a command as the model reads it.
pub fn observation(ending: &Ending, output: &str) -> String {
    let status = match ending {
        Ending::Exit(code) => format!("exit code: {code}"),
        Ending::Signal(sig) => format!("killed by signal {sig}"),
        Ending::TimedOut(after) => format!(
            "timed out: the command ran longer than {} and was stopped; what it printed until then is below",
            humantime::format_duration(*after)
        ),
    };
    if output.is_empty() {
        format!("{status}\n(no output)")
    } else {
        format!("{status}\n<output>\n{output}\n</output>")
    }
}

/// What a model is told when its reply neither called a tool nor held a command.
pub fn no_action() -> String {
    format!(
        "Your reply had no tool call and no ```bash block, so nothing ran. Call the \
         `{BASH_TOOL}` tool with a command (or write one ```bash block), or call `{SUBMIT_TOOL}` \
         (or write a line {SUBMIT_MARKER}) if the task is done."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_states_the_tool_limits_and_finish() {
        let p = system_prompt(&PromptLimits {
            max_steps: 7,
            command_timeout: Duration::from_secs(90),
            output_limit: 1234,
        });
        for want in [
            "`bash`",
            "fresh shell",
            "1m 30s",
            "1234 bytes",
            "7 replies",
            "`submit`",
            "BAKEOFF_SUBMIT",
            "```bash",
        ] {
            assert!(p.contains(want), "missing {want:?}");
        }
        let names: Vec<_> = tools().into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["bash", "submit"]);
    }

    #[test]
    fn observations() {
        assert_eq!(
            observation(&Ending::Exit(0), "hi"),
            "exit code: 0\n<output>\nhi\n</output>"
        );
        assert_eq!(observation(&Ending::Exit(2), ""), "exit code: 2\n(no output)");
        let t = observation(&Ending::TimedOut(Duration::from_secs(1)), "");
        assert!(t.starts_with("timed out: the command ran longer than 1s"), "{t}");
        assert!(observation(&Ending::Signal(9), "").contains("signal 9"));
    }
}
