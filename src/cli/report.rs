//! `bakeoff report [RACE] --format md|html|json [-o FILE]`: a recorded race as a page.
//! The race is read as `show` reads it (`report::RaceReport::load` over the race's
//! folder); Markdown and JSON go to stdout, HTML to the race's `report.html` (its path
//! printed), and `-o FILE` writes any of them to FILE instead.

use std::path::{Path, PathBuf};

use bakeoff_core::error::{exit, Error};
use bakeoff_core::git::Repo;
use bakeoff_core::journal::{JournalError, Store};
use bakeoff_core::report::{self, RaceReport};

/// The report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// GitHub-flavoured Markdown for a PR comment, under 65,536 characters, starting
    /// with the marker line `<!-- bakeoff-report -->`.
    #[value(alias = "markdown")]
    Md,
    /// One self-contained page with side-by-side diffs.
    Html,
    /// One JSON object, `"version": 1`.
    Json,
}

/// Options of `bakeoff report`.
#[derive(Clone, Debug, clap::Args)]
pub struct ReportArgs {
    /// The race id, a prefix of it, or `last`.
    #[arg(default_value = "last", add = clap_complete::engine::ArgValueCandidates::new(super::candidates::races))]
    pub race: String,
    /// md, html or json.
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// Write the report to FILE (default: stdout for md and json, the race's
    /// `report.html` for html).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn report(cwd: &Path, args: &ReportArgs) -> Result<u8, Error> {
    let repo = Repo::discover(cwd)?;
    let dir = Store::new(repo.common_dir()).resolve(&args.race)?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let known =
        bakeoff_core::review::secrets::known_values(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let loaded = RaceReport::load(&dir, &known)?;
    let text = match args.format {
        ReportFormat::Md => report::markdown(&loaded),
        ReportFormat::Html => report::html(&loaded),
        ReportFormat::Json => report::json(&loaded),
    };
    let path = match (&args.output, args.format) {
        (Some(path), _) => path.clone(),
        (None, ReportFormat::Html) => {
            // The race's folder is sealed while its bakeoff runs: a page written into it
            // then would read as a planted file.
            let _lock = dir.lock().map_err(|e| match e {
                JournalError::Running { id, .. } => Error::input_with_hint(
                    format!("race {id} is still running, so its report.html is not written yet"),
                    format!("write the page elsewhere: `bakeoff report {id} --format html -o FILE`"),
                ),
                e => e.into(),
            })?;
            write(&report::html_path(&dir), &text)?;
            println!("{}", report::html_path(&dir).display());
            return Ok(exit::OK);
        }
        (None, _) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|e| Error::io("cannot write", Path::new("stdout"), e))?;
            return Ok(exit::OK);
        }
    };
    let path = if path.is_relative() { cwd.join(path) } else { path };
    write(&path, &text)?;
    println!("{}", path.display());
    Ok(exit::OK)
}

/// Writes `text` to `path` whole or not at all: to a temporary file beside it, renamed.
fn write(path: &Path, text: &str) -> Result<(), Error> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::input(format!("-o {} names no file", path.display())))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io("cannot write", path, e)
        })
}
