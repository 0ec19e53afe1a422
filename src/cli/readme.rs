//! The README's words against the command line: every `bakeoff …` it shows names a real
//! command, and every flag it shows with one is a flag of that command, so the README
//! cannot go on promising what was renamed or removed.

use clap::CommandFactory;

use super::Cli;

const README: &str = include_str!("../../README.md");

/// Every `bakeoff …` command line the README shows: inline code spans and lines of
/// code blocks, each cut at a shell comment.
fn commands() -> Vec<String> {
    let mut found = Vec::new();
    let mut in_block = false;
    for line in README.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            let line = line.trim();
            let line = line.strip_prefix("$ ").unwrap_or(line);
            if let Some(rest) = line.strip_prefix("bakeoff ") {
                found.push(rest.split(" #").next().unwrap().to_string());
            }
            continue;
        }
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 1 {
                if let Some(rest) = span.strip_prefix("bakeoff ") {
                    found.push(rest.to_string());
                }
            }
        }
    }
    found
}

/// The subcommand path the words name (`bench merge`), and the command it leads to.
fn resolve<'a>(root: &'a clap::Command, words: &[&str]) -> (Vec<String>, &'a clap::Command) {
    let mut cmd = root;
    let mut path = Vec::new();
    for word in words {
        match cmd.find_subcommand(word) {
            Some(sub) => {
                path.push(word.to_string());
                cmd = sub;
            }
            None => break,
        }
    }
    (path, cmd)
}

fn has_flag(cmd: &clap::Command, root: &clap::Command, flag: &str) -> bool {
    let known = |c: &clap::Command| {
        c.get_arguments().any(|a| match flag.strip_prefix("--") {
            Some(long) => {
                a.get_long() == Some(long) || a.get_all_aliases().is_some_and(|al| al.contains(&long))
            }
            None => flag.len() == 2 && a.get_short() == flag.chars().nth(1),
        })
    };
    flag == "--help" || flag == "-h" || known(cmd) || known(root)
}

#[test]
fn every_command_and_flag_the_readme_shows_exists() {
    let root = Cli::command();
    let commands = commands();
    assert!(commands.len() >= 20, "the README shows commands: {commands:?}");
    let mut wrong = Vec::new();
    for line in &commands {
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || "[]|…\\".contains(c))
            .filter(|w| !w.is_empty())
            .collect();
        let (path, cmd) = resolve(&root, &words);
        let first = words.first().copied().unwrap_or("");
        if path.is_empty() && !first.starts_with('-') {
            wrong.push(format!("`bakeoff {line}`: no command {first:?}"));
            continue;
        }
        for word in &words {
            let flag = word.split('=').next().unwrap().trim_end_matches([',', '.', ')']);
            let is_flag = flag.starts_with('-') && flag.len() > 1 && flag.chars().nth(1) != Some(' ');
            if is_flag && !flag.chars().all(|c| c == '-') && !has_flag(cmd, &root, flag) {
                wrong.push(format!("`bakeoff {line}`: {} has no {flag}", path.join(" ")));
            }
        }
    }
    assert!(wrong.is_empty(), "the README promises:\n{}", wrong.join("\n"));
}

#[test]
fn the_readme_opens_with_the_two_set_up_commands() {
    let head: String = README.lines().take(40).collect::<Vec<_>>().join("\n");
    assert!(head.contains("cargo run --release -- demo"), "{head}");
    assert!(head.contains("scripts/test.sh"), "{head}");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test.sh");
    assert!(std::path::Path::new(script).is_file());
}
