//! Parsing a script into steps. Words are split on whitespace, except the text argument
//! of `write`, `append`, `say`, `stderr` and `fail`, which is the rest of the line; text
//! arguments and the words of `replace` decode the escapes `\n`, `\t`, `\s` (space) and
//! `\\`.

use std::path::PathBuf;

use super::formats::{FloodFormat, Format, Progress, Usage};

/// One step of a script, with the line it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub number: usize,
    pub step: Step,
}

/// What one line of a script does.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Write {
        path: PathBuf,
        text: String,
    },
    Append {
        path: PathBuf,
        text: String,
    },
    Delete {
        path: PathBuf,
    },
    Rename {
        from: PathBuf,
        to: PathBuf,
    },
    Chmod {
        path: PathBuf,
        mode: u32,
    },
    Binary {
        path: PathBuf,
        len: u64,
    },
    Symlink {
        target: PathBuf,
        link: PathBuf,
    },
    Mkdir {
        path: PathBuf,
    },
    Replace {
        path: PathBuf,
        from: String,
        to: String,
    },
    Say {
        text: String,
    },
    Stderr {
        text: String,
    },
    Progress(Progress),
    Usage(Usage),
    Sleep {
        ms: u64,
    },
    Exit {
        code: i32,
    },
    Fail {
        text: String,
    },
    Flood {
        bytes: u64,
        lines: bool,
    },
    /// `flood-format FORMAT BYTES`: a busy run's output in one CLI's format.
    FloodFormat {
        format: FloodFormat,
        bytes: u64,
    },
    /// `linger [setsid] PIDFILE SECONDS`: with `setsid`, the child leaves our process
    /// group and session, like a daemonising server.
    Linger {
        pidfile: PathBuf,
        seconds: u64,
        setsid: bool,
    },
    IgnoreSigterm,
    Git {
        args: Vec<String>,
    },
    CopySpec {
        path: PathBuf,
    },
    /// `env-dump PATH`: appends the environment the agent was given to PATH, one
    /// `NAME=value` per line, so a test can see what reached it.
    EnvDump {
        path: PathBuf,
    },
}

impl Step {
    /// The step's keyword, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Write { .. } => "write",
            Step::Append { .. } => "append",
            Step::Delete { .. } => "delete",
            Step::Rename { .. } => "rename",
            Step::Chmod { .. } => "chmod",
            Step::Binary { .. } => "binary",
            Step::Symlink { .. } => "symlink",
            Step::Mkdir { .. } => "mkdir",
            Step::Replace { .. } => "replace",
            Step::Say { .. } => "say",
            Step::Stderr { .. } => "stderr",
            Step::Progress(_) => "progress",
            Step::Usage(_) => "usage",
            Step::Sleep { .. } => "sleep",
            Step::Exit { .. } => "exit",
            Step::Fail { .. } => "fail",
            Step::Flood { .. } => "flood",
            Step::FloodFormat { .. } => "flood-format",
            Step::Linger { .. } => "linger",
            Step::IgnoreSigterm => "ignore-sigterm",
            Step::Git { .. } => "git",
            Step::CopySpec { .. } => "copy-spec",
            Step::EnvDump { .. } => "env-dump",
        }
    }
}

/// A line that is not a valid step.
#[derive(Debug, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub problem: String,
}

/// Parses a whole script; the first bad line is the error.
pub fn parse(text: &str) -> Result<Vec<Line>, ParseError> {
    let mut steps = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let content = raw.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let step = parse_step(content).map_err(|problem| ParseError {
            line: index + 1,
            problem,
        })?;
        steps.push(Line {
            number: index + 1,
            step,
        });
    }
    Ok(steps)
}

fn parse_step(content: &str) -> Result<Step, String> {
    let mut words = Words { rest: content };
    let keyword = words.word("step")?;
    let step = match keyword {
        "write" => Step::Write {
            path: words.path()?,
            text: words.text()?,
        },
        "append" => Step::Append {
            path: words.path()?,
            text: words.text()?,
        },
        "delete" => Step::Delete { path: words.path()? },
        "rename" => Step::Rename {
            from: words.path()?,
            to: words.path()?,
        },
        "chmod" => {
            let path = words.path()?;
            let mode = words.word("OCTAL mode")?;
            let mode = u32::from_str_radix(mode, 8)
                .ok()
                .filter(|m| *m <= 0o7777)
                .ok_or_else(|| format!("bad mode `{mode}`: expected octal like 755"))?;
            Step::Chmod { path, mode }
        }
        "binary" => Step::Binary {
            path: words.path()?,
            len: words.number("N bytes")?,
        },
        "symlink" => Step::Symlink {
            target: words.path()?,
            link: words.path()?,
        },
        "mkdir" => Step::Mkdir { path: words.path()? },
        "replace" => {
            let path = words.path()?;
            let from = unescape(words.word("FROM")?)?;
            let to = unescape(words.word("TO")?)?;
            if from.is_empty() {
                return Err("replace needs a non-empty FROM".to_owned());
            }
            Step::Replace { path, from, to }
        }
        "say" => Step::Say { text: words.text()? },
        "stderr" => Step::Stderr { text: words.text()? },
        "fail" => Step::Fail { text: words.text()? },
        "progress" => Step::Progress(parse_progress(&mut words)?),
        "usage" => Step::Usage(parse_usage(&mut words)?),
        "sleep" => Step::Sleep {
            ms: words.number("MS")?,
        },
        "exit" => Step::Exit {
            code: words.number("CODE")?,
        },
        "flood" => {
            let bytes = words.number("BYTES")?;
            let lines = match words.optional() {
                None => true,
                Some("nolines") => false,
                Some(other) => return Err(format!("bad flood mode `{other}`: expected `nolines`")),
            };
            Step::Flood { bytes, lines }
        }
        "flood-format" => {
            let format = words.word("FORMAT")?.parse()?;
            Step::FloodFormat {
                format,
                bytes: words.number("BYTES")?,
            }
        }
        "linger" => {
            let setsid = words.peek() == Some("setsid");
            if setsid {
                words.optional();
            }
            Step::Linger {
                pidfile: words.path()?,
                seconds: words.number("SECONDS")?,
                setsid,
            }
        }
        "ignore-sigterm" => Step::IgnoreSigterm,
        "git" => {
            let args: Vec<String> = words.rest.split_whitespace().map(str::to_owned).collect();
            words.rest = "";
            if args.is_empty() {
                return Err("git needs arguments".to_owned());
            }
            Step::Git { args }
        }
        "copy-spec" => Step::CopySpec { path: words.path()? },
        "env-dump" => Step::EnvDump { path: words.path()? },
        other => return Err(format!("unknown step `{other}`")),
    };
    words.end()?;
    Ok(step)
}

/// `progress FORMAT TURN INPUT_TOKENS OUTPUT_TOKENS [COST_USD|-] [ACTION...]`
fn parse_progress(words: &mut Words<'_>) -> Result<Progress, String> {
    let format = words.format()?;
    let turn = words.number("TURN")?;
    let input_tokens = words.number("INPUT_TOKENS")?;
    let output_tokens = words.number("OUTPUT_TOKENS")?;
    // A word that reads as a number (or `-`) is the cost; anything else starts the action.
    let cost = match words.peek() {
        Some(word) if word == "-" || word.parse::<f64>().is_ok() => cost(words.word("COST")?)?,
        _ => None,
    };
    let action = words.text()?;
    Ok(Progress {
        format,
        turn,
        input_tokens,
        output_tokens,
        cost,
        action: Some(action).filter(|a| !a.is_empty()),
    })
}

/// `usage FORMAT TURNS INPUT_TOKENS OUTPUT_TOKENS [COST_USD|-] [SESSION_ID]`
fn parse_usage(words: &mut Words<'_>) -> Result<Usage, String> {
    let format = words.format()?;
    let turns = words.number("TURNS")?;
    let input_tokens = words.number("INPUT_TOKENS")?;
    let output_tokens = words.number("OUTPUT_TOKENS")?;
    let cost = match words.optional() {
        Some(word) => cost(word)?,
        None => None,
    };
    let session_id = words.optional().map(str::to_owned);
    Ok(Usage {
        format,
        turns,
        input_tokens,
        output_tokens,
        cost,
        session_id,
    })
}

fn cost(word: &str) -> Result<Option<f64>, String> {
    if word == "-" {
        return Ok(None);
    }
    match word.parse::<f64>() {
        Ok(c) if c.is_finite() && c >= 0.0 => Ok(Some(c)),
        _ => Err(format!("bad cost `{word}`: expected US dollars like 0.25, or -")),
    }
}

/// Decodes `\n`, `\t`, `\s` and `\\`; any other escape is an error.
pub fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('s') => out.push(' '),
            Some('\\') => out.push('\\'),
            Some(other) => return Err(format!("unknown escape `\\{other}` (use \\n \\t \\s \\\\)")),
            None => return Err("a lone `\\` ends the line (write \\\\ for a backslash)".to_owned()),
        }
    }
    Ok(out)
}

/// The unread part of a line.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    fn optional(&mut self) -> Option<&'a str> {
        let trimmed = self.rest.trim_start();
        if trimmed.is_empty() {
            self.rest = trimmed;
            return None;
        }
        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (word, rest) = trimmed.split_at(end);
        self.rest = rest;
        Some(word)
    }

    fn peek(&self) -> Option<&'a str> {
        let trimmed = self.rest.trim_start();
        trimmed.split_whitespace().next()
    }

    fn word(&mut self, what: &str) -> Result<&'a str, String> {
        self.optional().ok_or_else(|| format!("missing {what}"))
    }

    fn path(&mut self) -> Result<PathBuf, String> {
        self.word("PATH").map(PathBuf::from)
    }

    fn number<T: std::str::FromStr>(&mut self, what: &str) -> Result<T, String> {
        let word = self.word(what)?;
        word.parse()
            .map_err(|_| format!("bad {what} `{word}`: expected a whole number"))
    }

    fn format(&mut self) -> Result<Format, String> {
        let word = self.word("FORMAT")?;
        word.parse()
    }

    /// The rest of the line, escapes decoded (may be empty).
    fn text(&mut self) -> Result<String, String> {
        let text = self.rest.trim_start();
        self.rest = "";
        unescape(text)
    }

    fn end(&self) -> Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(extra) => Err(format!("unexpected extra argument `{extra}`")),
        }
    }
}
