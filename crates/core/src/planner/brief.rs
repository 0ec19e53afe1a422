//! The delegation brief: read from the planner's JSON answer (every problem at once, for
//! one repair request), refused when it cannot prove anything, and rendered as Markdown
//! with its five sections always there.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A brief, as the planner wrote it and the base commit answered its checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Brief {
    pub goal: String,
    pub inputs: Vec<String>,
    pub output: String,
    pub constraints: Vec<String>,
    pub acceptance: Vec<Acceptance>,
}

/// One acceptance check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    pub text: String,
    /// The command that tells, when one can.
    pub command: Option<String>,
    /// How the command did on the base commit, once run there.
    #[serde(default)]
    pub on_base: Option<BaseResult>,
}

/// How a check command did on the base commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum BaseResult {
    /// It failed, as a check of work not done yet must: accepted.
    Fails { exit: String },
    /// It timed out: it did not pass, so it is accepted.
    TimedOut,
    /// It passed already: it proves nothing about the change.
    Passes,
    /// It could not be run at all.
    NotRun { reason: String },
}

impl BaseResult {
    /// What the result means for the check, in the words the output and the brief use.
    pub fn describe(&self) -> String {
        match self {
            BaseResult::Fails { exit } => format!("fails on base ({exit}): accepted"),
            BaseResult::TimedOut => "times out on base: accepted".to_string(),
            BaseResult::Passes => "passes on base already: proves nothing about the change".to_string(),
            BaseResult::NotRun { reason } => format!("not run on base: {reason}"),
        }
    }
}

impl Brief {
    /// The commands of the acceptance checks, in order.
    pub fn commands(&self) -> Vec<String> {
        self.acceptance.iter().filter_map(|a| a.command.clone()).collect()
    }

    /// Why the brief cannot be used, if it cannot.
    pub fn refusal(&self) -> Option<&'static str> {
        if self.goal.trim().is_empty() {
            return Some("its goal is empty");
        }
        if self.acceptance.is_empty() {
            return Some("it has no acceptance checks, so nothing could tell the work is done");
        }
        None
    }

    /// The brief as Markdown, the spec every lane receives. `accepted`: the user took
    /// the check commands as the race's checks (`--accept-checks`).
    pub fn markdown(&self, accepted: bool) -> String {
        let first = self.goal.trim().lines().next().unwrap_or("").trim();
        let mut title: String = first.chars().take(72).collect();
        if first.chars().count() > 72 {
            title.push('…');
        }
        let mut out = format!(
            "# Brief: {}\n\n## Goal\n\n{}\n\n## Inputs\n\n",
            title.trim(),
            self.goal.trim()
        );
        list(&mut out, &self.inputs);
        out.push_str(&format!(
            "\n## Output\n\n{}\n\n## Constraints\n\n",
            self.output.trim()
        ));
        list(&mut out, &self.constraints);
        out.push_str("\n## Acceptance checks\n\n");
        for a in &self.acceptance {
            out.push_str(&format!("- {}\n", one_line(&a.text)));
            if let Some(cmd) = &a.command {
                let status = a
                    .on_base
                    .as_ref()
                    .map_or("not run on base".to_string(), BaseResult::describe);
                let taken = match accepted {
                    true => "; a check of the race",
                    false => "",
                };
                out.push_str(&format!("  - command: {} — {status}{taken}\n", code(cmd)));
            }
        }
        out
    }
}

fn list(out: &mut String, items: &[String]) {
    if items.is_empty() {
        out.push_str("- (none)\n");
    }
    for item in items {
        out.push_str(&format!("- {}\n", one_line(item)));
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` as a Markdown code span, its fence longer than any run of backticks inside.
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", one_line(s))
}

/// Reads the planner's answer: the structured payload when the provider returned one,
/// else JSON in `text`. Returns every problem at once.
pub fn parse_brief(structured: Option<&Value>, text: &str) -> Result<Brief, Vec<String>> {
    let value = match structured
        .cloned()
        .or_else(|| crate::provider::extract_json(text))
    {
        Some(v) => v,
        None => return Err(vec!["the reply holds no JSON object".to_string()]),
    };
    let Some(obj) = value.as_object() else {
        return Err(vec!["the reply is not a JSON object".to_string()]);
    };
    let mut problems = Vec::new();
    let mut string = |key: &str| match obj.get(key) {
        Some(Value::String(s)) => s.clone(),
        _ => {
            problems.push(format!("`{key}` must be a string"));
            String::new()
        }
    };
    let goal = string("goal");
    let output = string("output");
    let strings = |key: &str, problems: &mut Vec<String>| match obj.get(key) {
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => {
            problems.push(format!("`{key}` must be an array of strings"));
            Vec::new()
        }
    };
    let inputs = strings("inputs", &mut problems);
    let constraints = strings("constraints", &mut problems);
    let mut acceptance = Vec::new();
    match obj.get("acceptance") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let text = item
                    .get("text")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .unwrap_or("");
                if text.is_empty() {
                    problems.push(format!("`acceptance[{i}].text` must be a non-empty string"));
                    continue;
                }
                let command = match item.get("command") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(c)) if c.trim().is_empty() => None,
                    Some(Value::String(c)) => Some(c.trim().to_string()),
                    Some(_) => {
                        problems.push(format!("`acceptance[{i}].command` must be a string or null"));
                        continue;
                    }
                };
                acceptance.push(Acceptance {
                    text: text.to_string(),
                    command,
                    on_base: None,
                });
            }
        }
        _ => problems.push("`acceptance` must be an array".to_string()),
    }
    match problems.is_empty() {
        true => Ok(Brief {
            goal,
            inputs,
            output,
            constraints,
            acceptance,
        }),
        false => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer() -> Value {
        json!({"goal": "Add a fourth line.", "inputs": ["src/lib.txt"], "output": "src/lib.txt",
               "constraints": [], "acceptance": [{"text": "four lines", "command": "test $(wc -l < src/lib.txt) = 4"},
                                                  {"text": "reads well", "command": null}]})
    }

    #[test]
    fn a_whole_answer_reads_and_renders_every_section() {
        let mut brief = parse_brief(Some(&answer()), "").unwrap();
        assert_eq!(brief.commands(), vec!["test $(wc -l < src/lib.txt) = 4"]);
        assert_eq!(brief.refusal(), None);
        brief.acceptance[0].on_base = Some(BaseResult::Fails {
            exit: "exit 1".into(),
        });
        let md = brief.markdown(false);
        for section in [
            "## Goal",
            "## Inputs",
            "## Output",
            "## Constraints",
            "## Acceptance checks",
        ] {
            assert!(md.contains(section), "{md}");
        }
        assert!(
            md.contains("- (none)") && md.contains("fails on base (exit 1): accepted"),
            "{md}"
        );
    }

    #[test]
    fn bad_answers_name_every_problem() {
        let cases: &[(Value, &[&str])] = &[
            (
                json!({"goal": 1}),
                &["`goal`", "`output`", "`inputs`", "`constraints`", "`acceptance`"],
            ),
            (
                json!({"goal": "g", "output": "o", "inputs": [], "constraints": [3], "acceptance": [{"command": "x"}]}),
                &["`constraints`", "`acceptance[0].text`"],
            ),
        ];
        for (value, want) in cases {
            let problems = parse_brief(Some(value), "").unwrap_err().join("; ");
            for w in *want {
                assert!(problems.contains(w), "{problems}");
            }
        }
        assert!(parse_brief(None, "no json").is_err());
    }

    #[test]
    fn empty_goals_and_missing_checks_are_refused() {
        let mut brief = parse_brief(Some(&answer()), "").unwrap();
        brief.acceptance.clear();
        assert!(brief.refusal().unwrap().contains("no acceptance checks"));
        brief.goal = "  ".into();
        assert_eq!(brief.refusal(), Some("its goal is empty"));
    }

    #[test]
    fn commands_with_backticks_stay_one_code_span() {
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x`"), "`` `x` ``");
    }
}
