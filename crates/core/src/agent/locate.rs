//! Finding an agent's executable before anything costs money: on PATH, or at the path
//! the config gives. Each adapter's tests check where its program is found.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::error::AgentError;
use super::spec::AgentSpec;

/// Where the agent's program is: the `program` override, else where its adapter says
/// (its CLI, the first word of a command agent's command, bakeoff's own executable for
/// the built-in agent). A name with a `/` is checked as a path; a bare name is searched
/// in `path_env` (the lane's `PATH`).
pub fn locate_program(spec: &AgentSpec, path_env: Option<&str>) -> Result<PathBuf, AgentError> {
    let adapter = spec.adapter.adapter();
    match &spec.program {
        Some(program) => find(program, adapter.install_hint(), path_env),
        None => adapter.locate_default(spec, path_env),
    }
}

/// Where `program` is: checked as a path when it has a `/`, else searched in
/// `path_env`. `install_hint` says how to get it when it is nowhere.
pub(super) fn find(
    program: &str,
    install_hint: Option<&str>,
    path_env: Option<&str>,
) -> Result<PathBuf, AgentError> {
    if program.contains('/') {
        let path = Path::new(program);
        return match executable(path) {
            Ok(()) => Ok(path.to_path_buf()),
            Err(reason) => Err(AgentError::ProgramNotExecutable {
                path: program.to_string(),
                reason,
            }),
        };
    }

    // An empty PATH entry means the current directory in POSIX shells; an agent should
    // never be picked up from wherever bakeoff happens to run, so those are skipped.
    let found = path_env
        .unwrap_or("")
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| executable(candidate).is_ok());
    found.ok_or_else(|| AgentError::ProgramNotFound {
        program: program.to_string(),
        hint: not_found_hint(install_hint, program, path_env.is_none()),
    })
}

/// bakeoff's own executable, which runs the built-in agent.
pub(super) fn current_exe() -> Result<PathBuf, AgentError> {
    let exe = std::env::current_exe().map_err(|e| AgentError::SelfNotFound {
        reason: e.to_string(),
    })?;
    executable(&exe).map_err(|reason| AgentError::SelfNotFound {
        reason: format!("{} {reason}", exe.display()),
    })?;
    Ok(exe)
}

fn not_found_hint(install_hint: Option<&str>, program: &str, path_unset: bool) -> String {
    let fix = match install_hint {
        Some(install) => {
            format!("install it: {install}, or set [agents.NAME] program = \"/path/to/{program}\"")
        }
        None => "check the first word of the agent's command, or give its full path".to_string(),
    };
    if path_unset {
        format!("PATH is not set; {fix}")
    } else {
        fix
    }
}

fn executable(path: &Path) -> Result<(), &'static str> {
    let meta = std::fs::metadata(path).map_err(|_| "does not exist")?;
    if meta.is_dir() {
        return Err("is a directory");
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err("is not executable");
    }
    Ok(())
}
