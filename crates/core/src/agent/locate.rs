//! Finding an agent's executable before anything costs money: on PATH, or at the path
//! the config gives.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::error::AgentError;
use super::kind::AdapterKind;
use super::spec::AgentSpec;

/// Where the agent's program is: the `program` override, else the adapter's CLI, else
/// (command agents) the first word of the command, else (the built-in agent) bakeoff's
/// own executable. A name with a `/` is checked as a path; a bare name is searched in
/// `path_env` (the lane's `PATH`).
pub fn locate_program(spec: &AgentSpec, path_env: Option<&str>) -> Result<PathBuf, AgentError> {
    let program = match (&spec.program, spec.adapter.default_program()) {
        (Some(program), _) => program.as_str(),
        (None, None) if spec.adapter == AdapterKind::Builtin => return current_exe(),
        (None, Some(default)) => default,
        (None, None) => spec
            .command
            .first()
            .map(String::as_str)
            .filter(|p| !p.trim().is_empty())
            .ok_or(AgentError::EmptyCommand)?,
    };

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
        hint: not_found_hint(spec.adapter, program, path_env.is_none()),
    })
}

/// bakeoff's own executable, which runs the built-in agent.
pub(crate) fn current_exe() -> Result<PathBuf, AgentError> {
    let exe = std::env::current_exe().map_err(|e| AgentError::SelfNotFound {
        reason: e.to_string(),
    })?;
    executable(&exe).map_err(|reason| AgentError::SelfNotFound {
        reason: format!("{} {reason}", exe.display()),
    })?;
    Ok(exe)
}

fn not_found_hint(adapter: AdapterKind, program: &str, path_unset: bool) -> String {
    let fix = match adapter.install_hint() {
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

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn write(path: &Path, mode: u32) {
        fs::write(path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn locate_cases() {
        let tmp = tempfile::tempdir().unwrap();
        let bin1 = tmp.path().join("bin1");
        let bin2 = tmp.path().join("bin2");
        fs::create_dir_all(&bin1).unwrap();
        fs::create_dir_all(&bin2).unwrap();
        write(&bin1.join("codex"), 0o644); // not executable: skipped
        write(&bin2.join("codex"), 0o755);
        write(&bin2.join("my-agent"), 0o755);
        write(&bin1.join("plain"), 0o600);
        fs::create_dir_all(bin1.join("claude")).unwrap(); // a directory: skipped
        let path = format!("::{}:{}", bin1.display(), bin2.display());

        let codex = AgentSpec::new(AdapterKind::Codex, "gpt-5.5");
        assert_eq!(locate_program(&codex, Some(&path)), Ok(bin2.join("codex")));

        let mut cmd = AgentSpec::new(AdapterKind::Command, "m");
        cmd.command = vec!["my-agent".into(), "{spec_file}".into()];
        assert_eq!(locate_program(&cmd, Some(&path)), Ok(bin2.join("my-agent")));

        let mut by_path = AgentSpec::new(AdapterKind::Claude, "opus");
        let abs = bin2.join("my-agent");
        by_path.program = Some(abs.display().to_string());
        assert_eq!(locate_program(&by_path, None), Ok(abs));

        let claude = AgentSpec::new(AdapterKind::Claude, "opus");
        let err = locate_program(&claude, Some(&path)).unwrap_err().to_string();
        assert_eq!(err, "agent CLI 'claude' not found on PATH (install it: npm install -g @anthropic-ai/claude-code, or set [agents.NAME] program = \"/path/to/claude\")");

        let err = locate_program(&codex, None).unwrap_err().to_string();
        assert!(
            err.contains("(PATH is not set; install it: npm install -g @openai/codex"),
            "{err}"
        );

        let mut not_exec = claude.clone();
        not_exec.program = Some(bin1.join("plain").display().to_string());
        let err = locate_program(&not_exec, Some(&path)).unwrap_err().to_string();
        assert!(
            err.ends_with("plain' is not executable (fix the path, or chmod +x it)"),
            "{err}"
        );

        let mut missing = claude.clone();
        missing.program = Some("/nonexistent/claude".into());
        let err = locate_program(&missing, Some(&path)).unwrap_err().to_string();
        assert_eq!(
            err,
            "agent program '/nonexistent/claude' does not exist (fix the path, or chmod +x it)"
        );

        let mut dir = claude.clone();
        dir.program = Some(bin1.display().to_string());
        assert!(locate_program(&dir, Some(&path))
            .unwrap_err()
            .to_string()
            .contains("is a directory"));

        let mut unknown_cmd = cmd.clone();
        unknown_cmd.command = vec!["nope".into()];
        let err = locate_program(&unknown_cmd, Some(&path)).unwrap_err().to_string();
        assert_eq!(err, "agent CLI 'nope' not found on PATH (check the first word of the agent's command, or give its full path)");

        // The built-in agent is bakeoff itself: found without PATH.
        let builtin = AgentSpec::new(AdapterKind::Builtin, "anthropic/claude-sonnet-4-6");
        assert_eq!(
            locate_program(&builtin, None),
            Ok(std::env::current_exe().unwrap())
        );

        let mut empty = cmd.clone();
        empty.command = vec![];
        assert_eq!(locate_program(&empty, Some(&path)), Err(AgentError::EmptyCommand));
    }
}
