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

pub async fn agents(cwd: &Path, config_file: Option<&Path>, json: bool) -> Result<u8, Error> {
    // Outside a repository there is no `.bakeoff.toml`, but the other layers still count.
    let repo_top = Repo::discover(cwd).ok().map(|r| r.workdir().to_path_buf());
    let config = config::load(repo_top.as_deref(), config_file)?;
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
    if json {
        return print_json(&config).await;
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
    let width = crate::ui::stdout_width();
    let rows: Vec<Vec<String>> = doctor::adapter_rows()
        .iter()
        .flat_map(|row| {
            [
                vec![row.name.to_string(), row.command.to_string()],
                vec![String::new(), format!("cost: {}", row.cost)],
            ]
        })
        .collect();
    out.push_str(&crate::ui::indented_table(&rows, 2, width));

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
    out.push_str(&lab_table(&config.labs, width));
    print!("{out}");
    Ok(exit::OK)
}

/// `agents --json`: the adapters, the CLIs found (as `doctor --json` words them), the
/// configured agents and the model → lab names.
async fn print_json(config: &bakeoff_core::config::Config) -> Result<u8, Error> {
    let adapters: Vec<serde_json::Value> = doctor::adapter_rows()
        .iter()
        .map(|r| serde_json::json!({ "name": r.name, "command": r.command, "cost": r.cost }))
        .collect();
    let path_env = std::env::var("PATH").ok();
    let detected = Section {
        title: "detected CLIs",
        checks: doctor::agent_cli_checks(Some(config), path_env.as_deref()).await,
    };
    let configured: Vec<serde_json::Value> = config
        .agents
        .iter()
        .map(|(name, spec)| {
            serde_json::json!({ "name": name, "adapter": spec.adapter.as_str(), "model": spec.model, "base_url": spec.base_url })
        })
        .collect();
    let prefixes: Vec<serde_json::Value> = config
        .labs
        .iter()
        .map(|(p, l)| serde_json::json!({ "prefix": p, "lab": l, "from": "config" }))
        .chain(
            lab::name_prefixes()
                .iter()
                .map(|(p, l)| serde_json::json!({ "prefix": p, "lab": l, "from": "built-in" })),
        )
        .chain(
            lab::vendor_segments()
                .iter()
                .map(|(v, l)| serde_json::json!({ "vendor": v, "lab": l, "from": "built-in" })),
        )
        .collect();
    let out = serde_json::json!({
        "adapters": adapters,
        "detected": super::doctor::section_json(&detected)["checks"],
        "agents": configured,
        "labs": prefixes,
    });
    println!("{out:#}");
    Ok(exit::OK)
}

/// One line per lab: config overrides first, then the built-in model-name prefixes and
/// OpenRouter-style vendor segments that mean it; fitted to `width` on a terminal.
fn lab_table(overrides: &std::collections::BTreeMap<String, String>, width: Option<usize>) -> String {
    let (vendors, prefixes) = (lab::vendor_segments(), lab::name_prefixes());
    let mut labs: Vec<&str> = Vec::new();
    for (_, l) in prefixes.iter().chain(vendors) {
        if !labs.contains(l) {
            labs.push(l);
        }
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (prefix, l) in overrides {
        rows.push(vec![
            format!("{prefix}*"),
            format!("→ {}  (config [labs])", lab::Lab::new(l)),
        ]);
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
        let mut line = names.join(" ");
        if !vendor_names.is_empty() {
            line.push_str(&format!(
                "{}vendor {}",
                if names.is_empty() { "" } else { "  · " },
                vendor_names.join(" ")
            ));
        }
        rows.push(vec![l.to_string(), line]);
    }
    crate::ui::indented_table(&rows, 2, width)
}
