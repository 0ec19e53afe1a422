//! `scripted-agent --script FILE [SPEC_FILE]`: the scripted fake agent the tests race.

use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args_os().skip(1);
    let mut script: Option<PathBuf> = None;
    let mut spec_file: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        if arg == "--script" {
            script = args.next().map(PathBuf::from);
        } else if spec_file.is_none() {
            spec_file = Some(PathBuf::from(arg));
        } else {
            eprintln!("scripted-agent: unexpected argument {}", arg.to_string_lossy());
            return std::process::ExitCode::from(2);
        }
    }
    let Some(script) = script else {
        eprintln!("usage: scripted-agent --script FILE [SPEC_FILE]");
        return std::process::ExitCode::from(2);
    };
    match bakeoff_testkit::scripted_agent::run(&script, spec_file.as_deref()) {
        Ok(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
