//! `bakeoff completions SHELL`: a completion script generated from the argument
//! definitions themselves, so it always matches; hidden subcommands are left out.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;
use bakeoff_core::error::{exit, Error};

pub fn completions(shell: Shell) -> Result<u8, Error> {
    let mut cmd = without_hidden(Cli::command());
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "bakeoff", &mut script);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&script).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(exit::OK),
        // `bakeoff completions bash | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(Error::io("cannot write", Path::new("stdout"), e)),
    }
}

/// `cmd` without its hidden subcommands, at every level. clap_complete lists hidden
/// subcommands like any other, and clap cannot remove a subcommand, so the command is
/// rebuilt from its visible parts.
fn without_hidden(cmd: clap::Command) -> clap::Command {
    let visible: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .cloned()
        .map(without_hidden)
        .collect();
    let mut rebuilt = clap::Command::new(cmd.get_name().to_string()).args(cmd.get_arguments().cloned());
    if let Some(about) = cmd.get_about() {
        rebuilt = rebuilt.about(about.clone());
    }
    rebuilt.subcommands(visible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_subcommands_are_left_out_and_the_rest_kept() {
        let cmd = without_hidden(Cli::command());
        let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
        assert!(
            names.contains(&"race") && names.contains(&"completions"),
            "{names:?}"
        );
        assert!(!names.contains(&"scripted-agent"), "{names:?}");
        let race = cmd.find_subcommand("race").unwrap();
        assert!(race.get_arguments().any(|a| a.get_long() == Some("reviewer")));
        assert!(cmd.get_arguments().any(|a| a.get_long() == Some("config")));
    }
}
