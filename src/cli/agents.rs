//! `bakeoff agents`: the adapters bakeoff can race (their headless command and how their
//! cost is reported), which of their CLIs are on PATH and at what version, and the model
//! → lab table review uses to keep reviewers off their own lab's work.

use std::path::Path;

use super::doctor::{render_section, Marks};
use bakeoff_core::config;
use bakeoff_core::doctor::{self, Section};
use bakeoff_core::error::{exit, Error};
use bakeoff_core::git::Repo;
use bakeoff_core::lab;

pub async fn agents(cwd: &Path, config_file: Option<&Path>) -> Result<u8, Error> {
    // Outside a repository there is no `.bakeoff.toml`, but the other layers still count.
    let repo_top = Repo::discover(cwd).ok().map(|r| r.workdir().to_path_buf());
    let config = config::load(repo_top.as_deref(), config_file)?;
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
    let color = super::color_on_stdout();
    let bold = |t: &str| {
        if color {
            format!("\x1b[1m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    let mut out = String::new();

    out.push_str(&bold("adapters"));
    out.push('\n');
    let rows = doctor::adapter_rows();
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for row in &rows {
        out.push_str(&format!("  {:<width$}  {}\n", row.name, row.command));
        out.push_str(&format!("  {:<width$}  cost: {}\n", "", row.cost));
    }

    let path_env = std::env::var("PATH").ok();
    let detected = doctor::agent_cli_checks(Some(&config), path_env.as_deref()).await;
    render_section(
        &mut out,
        &Section {
            title: "detected CLIs",
            checks: detected,
        },
        Marks::new(color),
    );

    out.push('\n');
    out.push_str(&bold("labs"));
    out.push_str(" (model id → lab: config [labs] first, longest prefix wins; then the names below)\n");
    out.push_str(&lab_table(&config.labs));
    print!("{out}");
    Ok(exit::OK)
}

/// One line per lab: config overrides first, then the built-in model-name prefixes and
/// OpenRouter-style vendor segments that mean it.
fn lab_table(overrides: &std::collections::BTreeMap<String, String>) -> String {
    let (vendors, prefixes) = (lab::vendor_segments(), lab::name_prefixes());
    let mut labs: Vec<&str> = Vec::new();
    for (_, l) in prefixes.iter().chain(vendors) {
        if !labs.contains(l) {
            labs.push(l);
        }
    }
    let width = labs
        .iter()
        .map(|l| l.len())
        .chain(overrides.keys().map(|k| k.len() + 1))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (prefix, l) in overrides {
        out.push_str(&format!(
            "  {:<width$}  → {}  (config [labs])\n",
            format!("{prefix}*"),
            lab::Lab::new(l)
        ));
    }
    for l in labs {
        let names: Vec<String> = prefixes
            .iter()
            .filter(|(_, x)| x == &l)
            .map(|(p, _)| format!("{p}*"))
            .collect();
        let vendor_names: Vec<String> = vendors
            .iter()
            .filter(|(_, x)| x == &l)
            .map(|(v, _)| format!("{v}/"))
            .collect();
        let mut line = format!("  {l:<width$}  {}", names.join(" "));
        if !vendor_names.is_empty() {
            line.push_str(&format!(
                "{}vendor {}",
                if names.is_empty() { "" } else { "  · " },
                vendor_names.join(" ")
            ));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}
