//! A race's report, read from its records: `bakeoff report` and the `report.html` every
//! race writes beside its records when it ends. One model ([`RaceReport`], loaded the
//! way `show` reads a race) and three pure renderers: a self-contained HTML page with
//! side-by-side diffs, Markdown sized for a PR comment, and versioned JSON.

mod highlight;
mod html;
mod json;
mod markdown;
mod model;
mod patch;

use std::path::PathBuf;

pub use html::html;
pub use json::{json, value, REPORT_JSON_VERSION};
pub use markdown::{markdown, markdown_within, BUDGET, GITHUB_COMMENT_LIMIT, MARKER};
pub use model::{LaneReport, RaceReport};
pub use patch::{LineKind, PatchFile, PatchLine};

use crate::journal::RaceDir;

/// The name of the page every race writes beside its records.
pub const REPORT_HTML: &str = "report.html";

/// Where a race's page is: `<race folder>/report.html`.
pub fn html_path(dir: &RaceDir) -> PathBuf {
    dir.path.join(REPORT_HTML)
}

/// Writes the race's page beside its records (to a temporary file, renamed over it, so
/// a reader never sees half a page); returns its path, or why it could not.
pub fn write_html(dir: &RaceDir, known_secrets: &[String]) -> Result<PathBuf, String> {
    let report = RaceReport::load(dir, known_secrets).map_err(|e| e.to_string())?;
    let path = html_path(dir);
    let tmp = dir.path.join(format!("{REPORT_HTML}.tmp"));
    std::fs::write(&tmp, html(&report))
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", path.display())
        })?;
    Ok(path)
}

#[cfg(test)]
mod tests;
