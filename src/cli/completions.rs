//! `bakeoff completions SHELL`: the shell's registration of bakeoff's completer. The
//! shell calls back into bakeoff (with `BAKEOFF_COMPLETE` set) on every Tab, so
//! subcommands and flags come from the argument definitions themselves and values from
//! the repository at hand: race ids, the last race's lanes, agent names
//! (`candidates.rs`). Hidden subcommands are left out.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::env::{CompleteEnv, Shells};
use clap_complete::Shell;

use super::Cli;
use bakeoff_core::error::{exit, Error};

/// The variable the registered script sets when it asks bakeoff for completions. Not
/// clap's default `COMPLETE`, which is too common a name to claim in a user's
/// environment.
const VAR: &str = "BAKEOFF_COMPLETE";

fn command() -> clap::Command {
    without_hidden(Cli::command())
}

/// The completer the registered script calls.
pub fn complete_env() -> CompleteEnv<'static, fn() -> clap::Command> {
    CompleteEnv::with_factory(command as fn() -> clap::Command)
        .var(VAR)
        .bin("bakeoff")
}

pub fn completions(shell: Shell) -> Result<u8, Error> {
    let mut script = Vec::new();
    let name = shell.to_string();
    let shells = Shells::builtins();
    let Some(completer) = shells.completer(&name) else {
        return Err(Error::input(format!(
            "no completion for {name}; bash, zsh, fish, elvish and powershell have one"
        )));
    };
    completer
        .write_registration(VAR, "bakeoff", "bakeoff", "bakeoff", &mut script)
        .map_err(|e| Error::io("cannot write", Path::new("stdout"), e))?;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&script).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(exit::OK),
        // `bakeoff completions bash | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(Error::io("cannot write", Path::new("stdout"), e)),
    }
}

/// `cmd` without its hidden subcommands, at every level. The completer lists hidden
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
