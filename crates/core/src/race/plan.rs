//! Preflight: everything a race needs is checked before anything is created, then the
//! race's records are written. A failure here leaves the user's repository untouched.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::agent::{self, AdapterKind, AgentArg, AgentSpec, AgentTarget};
use crate::config::{self, CheckSpec, Config};
use crate::error::Error;
use crate::git::{Repo, UserState};
use crate::journal::{
    LaneRecord, RaceDir, RaceLock, RaceRecord, Seal, SharedSeal, Store, SynthesisRecord, RACE_FORMAT,
};
use crate::review::pool::{self as reviewers, LaneReviewers, ReviewPlan};
use crate::vocab::MergeMode;

use super::options::RaceOptions;

/// A lane as `-a` and the config name it: (name, agent, spec, tier).
pub(super) type Lane = (String, String, AgentSpec, usize);

/// Everything a race needs, checked: what the coordinator runs.
#[derive(Clone, Debug)]
pub struct RacePlan {
    pub record: RaceRecord,
    pub dir: RaceDir,
    pub repo_top: PathBuf,
    pub grace: Duration,
    /// The most each lane log keeps on disk (`[race] log-bytes`).
    pub log_bytes: u64,
    pub jobs: usize,
    pub check_jobs: usize,
    /// Lane worktrees checked out at once (`[worktree] setup-jobs`, else by the storage).
    pub setup_jobs: usize,
    /// Lanes that start from the base start on one shared checkout of it
    /// (`git::shared_base`; `[worktree] shared-base`, else where the machine can).
    pub shared_base: bool,
    pub copy: Vec<String>,
    pub setup: Option<String>,
    /// bakeoff's own environment; each lane gets a filtered copy.
    pub base_env: Vec<(String, String)>,
    pub is_root: bool,
    /// `--config FILE`, absolute, for built-in agents to load the same layers.
    pub config_file: Option<PathBuf>,
    /// Config warnings to show before the race starts.
    pub warnings: Vec<String>,
    /// `None` with `--no-review`.
    pub review: Option<std::sync::Arc<ReviewPlan>>,
    /// `bakeoff resume`: lanes (by index) whose agent had finished and whose work was
    /// captured before the crash; they start from that work at their checks.
    pub resume_from: std::collections::HashMap<usize, ResumeFrom>,
    /// The user's checkout when the race started (or was resumed): each lane's agent is
    /// checked against it when it stops.
    pub user_state: UserState,
    /// `bakeoff resume` finished a merge a crash had interrupted: its mode and commit,
    /// for the race's journal.
    pub finished_merge: Option<(MergeMode, String)>,
    /// The sandbox every lane's children run in; `None` when they run unconfined.
    pub sandbox: Option<std::sync::Arc<super::lane::Confinement>>,
    /// Check slots shared with other races (a bench's `--check-jobs` across its trials);
    /// `None`: the race has `check_jobs` of its own.
    pub check_slots: Option<std::sync::Arc<tokio::sync::Semaphore>>,
    /// Set in every lane's environment after bakeoff's own variables (a bench's
    /// `BAKEOFF_TRIAL`).
    pub lane_vars: Vec<(String, String)>,
}

/// Where a resumed lane starts again: the commit its work was captured in, and what its
/// agent did, as journaled.
#[derive(Clone, Debug)]
pub struct ResumeFrom {
    pub commit: String,
    pub agent: crate::vocab::AgentOutcome,
}

impl RacePlan {
    /// A plan from a checked record and the configuration it was checked against (a new
    /// race's preflight, or `bakeoff resume` rebuilding one from `race.json`).
    // The plan is the sum of what preflight (or resume) checked: one argument each.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        record: RaceRecord,
        dir: RaceDir,
        repo_top: PathBuf,
        config: &Config,
        config_file: Option<&Path>,
        (jobs, check_jobs): (usize, usize),
        review: Option<std::sync::Arc<ReviewPlan>>,
        user_state: UserState,
    ) -> RacePlan {
        let setup_jobs = config
            .setup_jobs
            .unwrap_or_else(|| super::resources::setup_jobs_for(&record.worktree_root));
        let (shared_base, shared_base_warning) =
            super::resources::shared_base_for(config.shared_base, &record.worktree_root);
        let mut warnings = config.warnings.clone();
        warnings.extend(shared_base_warning);
        let mut record = record;
        record.shared_base = shared_base;
        RacePlan {
            user_state,
            finished_merge: None,
            record,
            dir,
            repo_top,
            grace: config.grace,
            log_bytes: config.log_bytes,
            jobs: jobs.max(1),
            check_jobs: check_jobs.max(1),
            setup_jobs,
            shared_base,
            copy: config.copy.clone(),
            setup: config.setup.clone(),
            base_env: std::env::vars().collect(),
            // SAFETY: geteuid has no preconditions and cannot fail.
            is_root: unsafe { libc::geteuid() } == 0,
            config_file: config_file.map(|f| std::path::absolute(f).unwrap_or_else(|_| f.to_path_buf())),
            warnings,
            review,
            resume_from: Default::default(),
            sandbox: None,
            check_slots: None,
            lane_vars: Vec::new(),
        }
    }
}

impl RacePlan {
    /// The secrets in bakeoff's environment, by name and shape: what is redacted from
    /// anything sent to a model or written to a page.
    pub(super) fn known_secrets(&self) -> Vec<String> {
        crate::review::secrets::known_values(self.base_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// Where lanes' worktrees go unless configured: the user's data directory, one folder
/// per repository.
pub fn default_worktree_root(repo_top: &Path) -> Result<PathBuf, Error> {
    let data = dirs::data_dir().ok_or_else(|| {
        Error::input_with_hint(
            "cannot find a data directory for worktrees",
            "set [worktree] root = \"/some/dir\" in .bakeoff.toml",
        )
    })?;
    let name = repo_top
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into());
    Ok(data.join("bakeoff").join("worktrees").join(name))
}

/// Checks everything and returns the plan; creates nothing.
pub fn preflight(
    cwd: &Path,
    opts: &RaceOptions,
    config_file: Option<&Path>,
) -> Result<(RacePlan, Repo), Error> {
    let repo = Repo::discover(cwd)?;
    let repo_top = repo.workdir().to_path_buf();
    let config = config::load(Some(&repo_top), config_file)?;
    let spec = read_spec(opts)?;
    let base = repo.resolve_commit(&opts.base)?;
    refuse_submodules(&repo, &base)?;
    let target_branch = repo.head_branch()?;
    let limits = Limits::of(&config, opts)?;
    let checks = checks(&config, opts)?;
    let holdout = holdout_dir(opts, &checks)?;
    named_tests_need_holdouts(opts, &config, &checks)?;
    crate::grade::TestPaths::new(&config.test_paths).map_err(|e| {
        Error::input_with_hint(
            e,
            "write [tests] paths as globs of repository paths, like \"qa/**\"",
        )
    })?;
    if let Some(mode) = opts.merge {
        check_merge_target(&repo, mode, target_branch.as_deref())?;
    }
    let mut lanes = lanes(&config, &opts.agents)?;
    let synthesis = synthesis_lane(&config, opts, &mut lanes)?;
    super::resources::check_ports(lanes.len(), config.port_base, config.ports_per_lane)?;
    super::resources::ensure_open_files(lanes.len())?;
    locate_agents(&config, &mut lanes)?;
    let review = review_plan(&config, opts, &lanes)?;
    let worktree_root = worktree_root(&config, &repo_top)?;

    let sandbox = sandbox_for(&config, opts.sandbox, opts.network, &repo, &worktree_root)?;
    let store = Store::new(repo.common_dir());
    let id = store.new_id(chrono::Local::now(), &spec);
    let dir = store.dir(&id);
    let race_root = worktree_root.join(&id);
    let assigned = review.as_ref().map(|(_, a)| a.clone()).unwrap_or_default();
    let record = RaceRecord {
        format: RACE_FORMAT,
        created_at: chrono::Local::now().to_rfc3339(),
        spec,
        repo: repo_top.clone(),
        base,
        base_ref: opts.base.clone(),
        target_branch,
        lanes: lane_records(&config, opts, &id, &race_root, lanes, assigned, synthesis),
        id,
        worktree_root: race_root,
        // Decided with the rest of the plan (`RacePlan::new`).
        shared_base: false,
        checks,
        holdout,
        must_pass: named_tests(&opts.must_pass, &config.must_pass),
        keep_passing: named_tests(&opts.keep_passing, &config.keep_passing),
        test_paths: config.test_paths.clone(),
        merge: opts.merge,
        sandbox: sandbox.record.clone(),
        timeout_ms: limits.timeout.as_millis() as u64,
        stall_timeout_ms: limits.stall_timeout.map(|d| d.as_millis() as u64),
        tests_may_change: opts.allow_test_edits || config.tests_may_change,
        judge: opts
            .judge
            .clone()
            .or(config.review.judge.clone())
            .filter(|_| review.is_some()),
        max_cost_usd: opts.max_cost,
        race_max_cost_usd: opts.race_max_cost,
        until_first_approved: opts.until.as_deref() == Some("first-approved"),
        cascade: opts.cascade,
        fix_rounds: opts.fix_rounds.unwrap_or(config.review.fix_rounds),
        allow_same_lab: opts.allow_same_lab || config.review.allow_same_lab,
        allow_unreviewed: opts.allow_unreviewed,
        planned_by: None,
        plan_cost_usd: None,
    };
    let plan = RacePlan::new(
        record,
        dir,
        repo_top,
        &config,
        config_file,
        (limits.jobs, limits.check_jobs),
        review.map(|(plan, _)| std::sync::Arc::new(plan)),
        UserState::read(repo.workdir())?,
    );
    let mut plan = plan;
    plan.warnings.extend(sandbox.notice.clone());
    plan.sandbox = sandbox.confine(&config, &plan.record.lanes);
    Ok((plan, repo))
}

/// The race's sandbox, decided once from the flags over `[sandbox]` and the machine.
pub(super) struct SandboxPlan {
    pub record: crate::sandbox::SandboxRecord,
    pub confinement: Option<super::lane::Confinement>,
    pub notice: Option<String>,
}

/// What the race's lanes run in: `--sandbox on` on a machine that cannot is the error.
pub(super) fn sandbox_for(
    config: &Config,
    mode: Option<crate::sandbox::SandboxMode>,
    network: Option<crate::sandbox::Network>,
    repo: &Repo,
    worktree_root: &Path,
) -> Result<SandboxPlan, Error> {
    let mut settings = config.sandbox.clone();
    settings.mode = mode.unwrap_or(settings.mode);
    settings.network = network.or(settings.network);
    let path_var = std::env::var("PATH").ok();
    let decision = crate::sandbox::decide(&settings, path_var.as_deref()).map_err(|why| {
        Error::input_with_hint(
            format!("--sandbox on, but lanes cannot be sandboxed here: {}", why.reason),
            why.fix,
        )
    })?;
    let confinement = decision.bwrap.map(|bwrap| super::lane::Confinement {
        bwrap,
        network: decision.record.network,
        user_home: dirs::home_dir().and_then(|h| std::fs::canonicalize(h).ok()),
        common_dir: canonical(repo.common_dir()),
        // Every race's worktrees of this repository, not just this race's.
        worktrees: canonical(worktree_root),
        read: settings.read.clone(),
        write: settings.write.clone(),
        endpoints: Default::default(),
    });
    Ok(SandboxPlan {
        record: decision.record,
        confinement,
        notice: decision.notice,
    })
}

impl SandboxPlan {
    /// The lanes' confinement, with each lane's provider hosts.
    pub(super) fn confine(
        self,
        config: &Config,
        lanes: &[crate::journal::LaneRecord],
    ) -> Option<std::sync::Arc<super::lane::Confinement>> {
        let mut c = self.confinement?;
        c.endpoints = lanes
            .iter()
            .map(|l| (l.name.clone(), provider_hosts(config, &l.spec)))
            .collect();
        Some(std::sync::Arc::new(c))
    }
}

/// The `host:port`s a lane's agent may reach under `--network provider`: its
/// `base-url`'s, a built-in agent's provider's, or its CLI's own defaults.
fn provider_hosts(config: &Config, spec: &AgentSpec) -> Vec<String> {
    let builtin_url = || {
        let registry = reviewers::registry(config).ok()?;
        let model = registry.model_ref(&spec.model).ok()?;
        registry.get(&model.provider).map(|p| p.base_url.clone())
    };
    let url = match spec.adapter {
        AdapterKind::Builtin => builtin_url(),
        _ => spec.base_url.clone(),
    };
    match url.as_deref().and_then(|u| reqwest::Url::parse(u).ok()) {
        Some(u) => {
            let host = u.host_str().unwrap_or_default().trim_matches(['[', ']']);
            let host = if host == "localhost" { "127.0.0.1" } else { host };
            vec![format!("{host}:{}", u.port_or_known_default().unwrap_or(443))]
        }
        None => spec
            .adapter
            .adapter()
            .provider_hosts()
            .iter()
            .map(|h| h.to_string())
            .collect(),
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The race's deadlines and concurrency, from the flags over the config, and its
/// spending caps checked.
struct Limits {
    timeout: Duration,
    stall_timeout: Option<Duration>,
    jobs: usize,
    check_jobs: usize,
}

impl Limits {
    fn of(config: &Config, opts: &RaceOptions) -> Result<Limits, Error> {
        let timeout = match &opts.timeout {
            Some(t) => config::parse_duration(t).map_err(|m| Error::input(format!("--timeout: {m}")))?,
            None => config.timeout,
        };
        let stall_timeout = match &opts.stall_timeout {
            Some(t) => {
                config::parse_stall_timeout(t).map_err(|m| Error::input(format!("--stall-timeout: {m}")))?
            }
            None => config.stall_timeout,
        };
        let jobs = positive(opts.jobs.or(config.jobs), "--jobs")?;
        let check_jobs = positive(opts.check_jobs.or(config.check_jobs), "--check-jobs")?
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
        for (flag, value) in [
            ("--max-cost", opts.max_cost),
            ("--race-max-cost", opts.race_max_cost),
        ] {
            if let Some(v) = value {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::input(format!(
                        "{flag} must be a positive number of US dollars, not {v}"
                    )));
                }
            }
        }
        Ok(Limits {
            timeout,
            stall_timeout,
            jobs: jobs.unwrap_or(usize::MAX),
            check_jobs,
        })
    }
}

/// Every lane's program is on PATH at a usable version; a built-in agent's provider and
/// key are ready.
fn locate_agents(config: &Config, lanes: &mut [Lane]) -> Result<(), Error> {
    let path_env = std::env::var("PATH").ok();
    for (name, _, spec, _) in lanes {
        agent::locate_program(spec, path_env.as_deref())?;
        if spec.adapter == AdapterKind::Builtin {
            builtin_agent(config, name, spec)?;
        }
    }
    Ok(())
}

/// A base with submodules would give each lane empty submodule folders, and the agent's
/// edits there would be lost: refused until lanes initialise them.
fn refuse_submodules(repo: &Repo, base: &str) -> Result<(), Error> {
    let found = repo.submodules(base)?;
    if found.is_empty() {
        return Ok(());
    }
    Err(Error::input_with_hint(
        format!("the base commit has submodules: {}", list(&found)),
        "bakeoff does not race repositories with submodules yet (lanes would get empty submodule folders); race in a repository without them",
    ))
}

/// Where the race's worktrees go, absolute: never inside the user's work tree.
fn worktree_root(config: &Config, repo_top: &Path) -> Result<PathBuf, Error> {
    let root = match &config.worktree_root {
        Some(root) => root.clone(),
        None => default_worktree_root(repo_top)?,
    };
    let abs_root = std::path::absolute(&root).unwrap_or(root);
    if abs_root.starts_with(repo_top) {
        return Err(Error::input_with_hint(
            format!(
                "worktree root {} is inside the repository {}",
                abs_root.display(),
                repo_top.display()
            ),
            "set [worktree] root to a folder outside the work tree",
        ));
    }
    creatable(&abs_root)?;
    Ok(abs_root)
}

/// The worktree root exists as a writable folder, or its nearest existing ancestor is
/// one (so the lanes can create it): checked without creating anything, so a refused
/// race leaves nothing behind.
fn creatable(root: &Path) -> Result<(), Error> {
    let refuse = |why: String| {
        Error::input_with_hint(
            format!("worktree root {} cannot be created: {why}", root.display()),
            "set [worktree] root to a folder you can write, outside the work tree",
        )
    };
    let mut dir = root;
    loop {
        match std::fs::metadata(dir) {
            Ok(meta) if !meta.is_dir() => {
                return Err(refuse(format!("{} is not a folder", dir.display())));
            }
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match dir.parent() {
                Some(parent) => dir = parent,
                None => return Err(refuse("no ancestor exists".into())),
            },
            Err(e) => return Err(refuse(format!("{}: {e}", dir.display()))),
        }
    }
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
        .map_err(|_| refuse("the path contains a NUL byte".into()))?;
    // SAFETY: `c` is a valid NUL-terminated path; access(2) only reads it.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return Err(refuse(format!("{} is not writable", dir.display())));
    }
    Ok(())
}

/// The lanes as `race.json` records them: branch, worktree, port, tier and reviewers.
fn lane_records(
    config: &Config,
    opts: &RaceOptions,
    id: &str,
    race_root: &Path,
    lanes: Vec<Lane>,
    assigned: Vec<LaneReviewers>,
    synthesis: Option<SynthesisRecord>,
) -> Vec<LaneRecord> {
    let mut assigned = assigned.into_iter();
    let last_tier = lanes.len();
    let mut records: Vec<LaneRecord> = lanes
        .into_iter()
        .enumerate()
        .map(|(i, (name, agent, spec, tier))| {
            let a = assigned.next().unwrap_or_default();
            let (branch, worktree, worktree_name) = lane_names(id, race_root, &name);
            LaneRecord {
                tier: if opts.cascade { tier } else { 0 },
                author_lab: a.author_lab,
                reviewers: a.reviewers,
                same_lab: a.same_lab,
                branch,
                worktree,
                worktree_name,
                port: config
                    .port_base
                    .saturating_add((i as u16).saturating_mul(config.ports_per_lane)),
                name,
                agent,
                spec,
                synthesis: None,
            }
        })
        .collect();
    // The synthesis lane, added last, runs in a tier of its own after every other lane.
    if let (Some(synthesis), Some(lane)) = (synthesis, records.last_mut()) {
        lane.tier = last_tier;
        lane.synthesis = Some(synthesis);
    }
    records
}

/// The lab that trained a lane's model: a built-in agent names `provider/model`, and the
/// provider says nothing of the lab (an OpenRouter model keeps its `vendor/` part, which
/// does).
pub(super) fn author_lab(config: &Config, spec: &AgentSpec) -> Option<String> {
    let model = match spec.adapter {
        AdapterKind::Builtin => spec.model.split_once('/').map_or(spec.model.as_str(), |(_, m)| m),
        _ => spec.model.as_str(),
    };
    reviewers::lab_of(config, model)
}

/// `--synthesize MODEL`: the synthesis lane, a built-in agent on MODEL, added after the
/// race's lanes. Its lab must differ from every author whose lane it may combine (the
/// lanes named, else all), unless `--allow-same-lab`: it would otherwise grade its own
/// lab's work into the winner.
pub(super) fn synthesis_lane(
    config: &Config,
    opts: &RaceOptions,
    lanes: &mut Vec<Lane>,
) -> Result<Option<SynthesisRecord>, Error> {
    synthesis_lane_as(config, opts, lanes, ("--synthesize", "--synthesize-lanes"))
}

/// [`synthesis_lane`], its errors naming the flags as the command spells them: (the
/// synthesiser's, the lanes').
pub(super) fn synthesis_lane_as(
    config: &Config,
    opts: &RaceOptions,
    lanes: &mut Vec<Lane>,
    (model_flag, lanes_flag): (&str, &str),
) -> Result<Option<SynthesisRecord>, Error> {
    let Some(model) = opts.synthesize.clone() else {
        if !opts.synthesize_lanes.is_empty() {
            return Err(Error::input_with_hint(
                format!("{lanes_flag} names the lanes a synthesis combines, but no {model_flag} was given"),
                format!("add {model_flag} provider/model"),
            ));
        }
        return Ok(None);
    };
    let lane = super::synthesis::LANE;
    if lanes.iter().any(|(name, ..)| name == lane) {
        return Err(Error::input_with_hint(
            format!("a lane is named '{lane}', the name of the synthesis lane"),
            "name that lane otherwise: -a NAME=adapter:model",
        ));
    }
    for named in &opts.synthesize_lanes {
        if !lanes.iter().any(|(name, ..)| name == named) {
            let known: Vec<&str> = lanes.iter().map(|(n, ..)| n.as_str()).collect();
            return Err(Error::input_with_hint(
                format!("{lanes_flag} names '{named}', which is no lane of this race"),
                format!("the race's lanes: {}", known.join(", ")),
            ));
        }
    }
    if opts.synthesize_lanes.len() == 1 {
        return Err(Error::input_with_hint(
            format!("{lanes_flag} names one lane: a synthesis combines at least two"),
            format!("name two lanes or more, e.g. {lanes_flag} a,b"),
        ));
    }
    let spec = AgentSpec::new(AdapterKind::Builtin, model.clone());
    let Some(lab) = author_lab(config, &spec) else {
        return Err(Error::input_with_hint(
            format!("cannot tell which lab trained the synthesiser {model}"),
            "name a model bakeoff knows, or map it in [labs] (e.g. \"my-model\" = \"meta\")",
        ));
    };
    let allow_same_lab = opts.allow_same_lab || config.review.allow_same_lab;
    let combined = lanes
        .iter()
        .filter(|(name, ..)| opts.synthesize_lanes.is_empty() || opts.synthesize_lanes.contains(name));
    if let Some((name, ..)) = combined
        .clone()
        .find(|(_, _, spec, _)| author_lab(config, spec).as_deref() == Some(lab.as_str()))
        .filter(|_| !allow_same_lab)
    {
        return Err(Error::input_with_hint(
            format!(
                "the synthesiser {model} is of {lab}, the lab that wrote lane {name}: a synthesis is by a model of another lab than the finalists' authors"
            ),
            format!("pick a synthesiser of another lab, name other lanes with {lanes_flag}, or pass --allow-same-lab"),
        ));
    }
    let count = match opts.synthesize_lanes.len() {
        0 => super::synthesis::DEFAULT_FINALISTS,
        n => n,
    };
    if combined.count() < 2 {
        return Err(Error::input_with_hint(
            format!("{model_flag} combines the race's best lanes, and this race has one"),
            "race two lanes or more, e.g. -a AGENT*2",
        ));
    }
    let tier = lanes.len();
    lanes.push((lane.to_string(), format!("builtin:{model}"), spec, tier));
    Ok(Some(SynthesisRecord {
        model,
        lanes: opts.synthesize_lanes.clone(),
        finalists: count,
    }))
}

/// What a lane's branch, worktree folder and worktree are called in race `id`.
pub(super) fn lane_names(id: &str, race_root: &Path, lane: &str) -> (String, PathBuf, String) {
    (
        format!("bakeoff/{id}/{lane}"),
        race_root.join(lane),
        format!("bakeoff-{id}-{lane}"),
    )
}

/// Creates the race's records folder, takes its lock and writes `race.json` and the
/// spec: the first thing a race creates, after every check passed. The folder is
/// reserved with an exclusive create, so races started at once never share one; when
/// the id preflight chose was taken meanwhile, the plan takes the id it got (and the
/// branches and worktrees named after it). The lock is taken before `race.json` exists,
/// so no one ever sees the race recorded and not held (`clean`, `resume`). Returns the
/// lock and the race's seal, which holds what was written.
pub fn create_records(plan: &mut RacePlan) -> Result<(RaceLock, SharedSeal), Error> {
    let dir = plan.dir.store().reserve(&plan.record.id)?;
    if dir.id != plan.record.id {
        plan.rename(&dir.id);
    }
    plan.dir = dir;
    let written = write_records(plan);
    if written.is_err() {
        // A race that could not be recorded leaves no folder behind.
        let _ = std::fs::remove_dir_all(&plan.dir.path);
    }
    written
}

fn write_records(plan: &RacePlan) -> Result<(RaceLock, SharedSeal), Error> {
    let lock = plan.dir.lock()?;
    let lanes = plan.record.lanes.iter().map(|l| l.name.as_str());
    let seal = SharedSeal::new(Seal::new(&plan.dir, lanes));
    let mut record = plan.record.clone();
    for lane in &mut record.lanes {
        lane.spec = crate::journal::redact(&lane.spec);
    }
    seal.write_json(&plan.dir, &plan.dir.race_json(), &record)?;
    let spec_file = plan.dir.spec_file();
    seal.write(&spec_file, plan.record.spec.as_bytes())
        .map_err(|e| Error::io("cannot write", &spec_file, e))?;
    Ok((lock, seal))
}

impl RacePlan {
    /// Gives the race another id, and with it everything named after the id: its lanes'
    /// branches, worktree folders and worktree names.
    fn rename(&mut self, id: &str) {
        self.record.id = id.to_string();
        let root = self
            .record
            .worktree_root
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        self.record.worktree_root = root.join(id);
        for lane in &mut self.record.lanes {
            (lane.branch, lane.worktree, lane.worktree_name) =
                lane_names(id, &self.record.worktree_root, &lane.name);
        }
    }
}

fn read_spec(opts: &RaceOptions) -> Result<String, Error> {
    let spec = match (&opts.spec, &opts.spec_file) {
        (Some(s), _) => s.clone(),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| {
            Error::input_with_hint(
                format!("cannot read spec file {}: {e}", path.display()),
                "pass an existing Markdown file to --spec-file, or the task as text",
            )
        })?,
        (None, None) => {
            return Err(Error::input_with_hint(
                "no spec given",
                "pass the task as text (bakeoff race \"fix the flaky test\" -a …) or --spec-file FILE",
            ))
        }
    };
    if spec.contains('\0') {
        return Err(Error::input_with_hint(
            "the spec contains a NUL byte",
            "pass the task as text without NUL bytes (is --spec-file a binary file?)",
        ));
    }
    if spec.trim().is_empty() {
        return Err(Error::input_with_hint(
            "the spec is empty",
            "describe the task every lane should do, as text or in --spec-file",
        ));
    }
    Ok(spec)
}

fn checks(config: &Config, opts: &RaceOptions) -> Result<Vec<CheckSpec>, Error> {
    let mut checks = config.checks.clone();
    let from_cli = |cmds: &[String], holdout: bool| {
        cmds.iter()
            .map(|c| CheckSpec {
                name: c.trim().to_string(),
                run: c.clone(),
                timeout: None,
                holdout,
                junit: None,
                light: false,
            })
            .collect::<Vec<_>>()
    };
    checks.extend(from_cli(&opts.checks, false));
    checks.extend(from_cli(&opts.holdout_checks, true));
    let mut seen = BTreeSet::new();
    for check in &checks {
        if check.run.trim().is_empty() {
            return Err(Error::input(format!(
                "check '{}' has an empty command",
                check.name
            )));
        }
        if !seen.insert(check.name.clone()) {
            return Err(Error::input_with_hint(
                format!("check '{}' is given twice", check.name),
                "give each check once (config [checks] and --check add up)",
            ));
        }
    }
    Ok(checks)
}

/// The named tests of the command line, else of the config.
fn named_tests(cli: &[String], config: &[String]) -> Vec<String> {
    match cli.is_empty() {
        true => config.to_vec(),
        false => cli.to_vec(),
    }
}

/// `--must-pass` and `--keep-passing` are read from the holdout checks' reports: they
/// mean nothing without a holdout check.
fn named_tests_need_holdouts(opts: &RaceOptions, config: &Config, checks: &[CheckSpec]) -> Result<(), Error> {
    let named = !named_tests(&opts.must_pass, &config.must_pass).is_empty()
        || !named_tests(&opts.keep_passing, &config.keep_passing).is_empty();
    if named && !checks.iter().any(|c| c.holdout) {
        return Err(Error::input_with_hint(
            "--must-pass and --keep-passing name tests of the holdout checks, and there is none",
            "add --holdout DIR --holdout-check CMD (a runner that writes a JUnit report, such as pytest)",
        ));
    }
    Ok(())
}

fn holdout_dir(opts: &RaceOptions, checks: &[CheckSpec]) -> Result<Option<PathBuf>, Error> {
    let has_holdout_checks = checks.iter().any(|c| c.holdout);
    match &opts.holdout {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(Error::input_with_hint(
                    format!("holdout folder {} does not exist", dir.display()),
                    "pass --holdout a folder of files laid into each worktree after the agent stops",
                ));
            }
            if !has_holdout_checks {
                return Err(Error::input_with_hint(
                    "--holdout is given without a holdout check",
                    "add --holdout-check CMD (or a [checks] entry with holdout = true) that uses the holdout files",
                ));
            }
            Ok(Some(
                std::path::absolute(dir).map_err(|e| Error::io("cannot resolve", dir, e))?,
            ))
        }
        None if has_holdout_checks => Err(Error::input_with_hint(
            "holdout checks are configured but no holdout folder is given",
            "pass --holdout DIR with the files those checks need",
        )),
        None => Ok(None),
    }
}

pub(super) fn check_merge_target(repo: &Repo, mode: MergeMode, target: Option<&str>) -> Result<(), Error> {
    if mode == MergeMode::Branch {
        return Ok(());
    }
    if target.is_none() {
        return Err(Error::input_with_hint(
            "--merge needs a branch to merge into, but HEAD is detached",
            "check out a branch first, or use --merge branch",
        ));
    }
    let dirty = repo.tracked_changes()?;
    if !dirty.is_empty() {
        return Err(Error::input_with_hint(
            format!(
                "the merge target has uncommitted changes to tracked files: {}",
                list(&dirty)
            ),
            "commit or stash them first, or race without --merge and run `bakeoff merge` later",
        ));
    }
    Ok(())
}

fn positive(n: Option<usize>, flag: &str) -> Result<Option<usize>, Error> {
    match n {
        Some(0) => Err(Error::input(format!("{flag} must be at least 1"))),
        n => Ok(n),
    }
}

/// Expands `-a` arguments into named lanes: (lane name, agent label, spec, the index of
/// the `-a` it came from, which is its tier under `--cascade`).
fn lanes(config: &Config, args: &[String]) -> Result<Vec<Lane>, Error> {
    let mut lanes = Vec::new();
    for (tier, arg) in args.iter().enumerate() {
        let AgentArg {
            lane_name,
            target,
            count,
        } = agent::parse_agent_arg(arg)?;
        let (label, spec, default_name) = match target {
            AgentTarget::Inline { adapter, model } => {
                let spec = AgentSpec::new(adapter, model.clone());
                let name = agent::default_lane_name(adapter, &model);
                (format!("{}:{model}", adapter.as_str()), spec, name)
            }
            AgentTarget::Named(name) => {
                let spec = config.agents.get(&name).cloned().ok_or_else(|| {
                    let known: Vec<_> = config.agents.keys().cloned().collect();
                    Error::input_with_hint(
                        format!("unknown agent '{name}' (not adapter:model, and no [agents.{name}] table in config)"),
                        match known.is_empty() {
                            true => "write adapter:model, e.g. claude:claude-opus-4-6, or define [agents.NAME] in .bakeoff.toml".to_string(),
                            false => format!("configured agents: {}", known.join(", ")),
                        },
                    )
                })?;
                (name.clone(), spec, name)
            }
        };
        let mut spec = spec;
        if spec.base_url.is_none() {
            // The user's endpoint, from the variable their provider's tools read: the
            // sandbox lets the lane reach it, and a CLI that ignores the variable gets it
            // in its own config.
            spec.base_url = spec
                .adapter
                .adapter()
                .base_url_var()
                .and_then(|var| std::env::var(var).ok())
                .filter(|url| !url.trim().is_empty());
        }
        let base = lane_name.unwrap_or(default_name);
        for i in 1..=count {
            let name = match count {
                1 => base.clone(),
                _ => format!("{base}-{i}"),
            };
            lanes.push((name, label.clone(), spec.clone(), tier));
        }
    }
    let mut seen = BTreeSet::new();
    for (name, label, _, _) in &lanes {
        if !valid_lane_name(name) {
            return Err(Error::input_with_hint(
                format!("lane name '{name}' is not usable in a branch name"),
                "use letters, digits, '.', '-' and '_' (name a lane with NAME=adapter:model)",
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(Error::input_with_hint(
                format!("two lanes are both named '{name}' ({label})"),
                "use adapter:model*N for repeated lanes, or name them: -a a=adapter:model -a b=adapter:model",
            ));
        }
    }
    Ok(lanes)
}

/// A built-in agent calls its provider with bakeoff's own client, so its provider must
/// exist and its key be set now (exit 3 naming the variable), like a reviewer's. A key
/// variable config gave the provider (`key-env`) is kept in the lane's environment.
pub(super) fn builtin_agent(config: &Config, lane: &str, spec: &mut AgentSpec) -> Result<(), Error> {
    let registry = reviewers::registry(config)?;
    let model = registry.model_ref(&spec.model).map_err(|e| match e {
        crate::provider::ProviderError::BadModelRef { .. }
        | crate::provider::ProviderError::UnknownProvider { .. } => Error::input_with_hint(
            format!("lane {lane}: {e}"),
            "write builtin:provider/model, e.g. builtin:anthropic/claude-sonnet-4-6",
        ),
        other => Error::Provider(other),
    })?;
    let Some(provider) = registry.get(&model.provider) else {
        return Ok(());
    };
    crate::provider::resolve_key(provider, &reviewers::env_lookup).map_err(Error::Provider)?;
    for var in &provider.key_vars {
        if !spec.keep_env.contains(var) {
            spec.keep_env.push(var.clone());
        }
    }
    Ok(())
}

fn valid_lane_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '-'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// A short list of paths for a message.
pub fn list(paths: &[String]) -> String {
    let mut s = paths.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if paths.len() > 5 {
        s.push_str(&format!(" and {} more", paths.len() - 5));
    }
    s
}

/// The review stage's plan and each lane's reviewers; `None` with `--no-review`.
fn review_plan(
    config: &Config,
    opts: &RaceOptions,
    lanes: &[Lane],
) -> Result<Option<(ReviewPlan, Vec<LaneReviewers>)>, Error> {
    if opts.no_review {
        return Ok(None);
    }
    let mut names = config.review.reviewers.clone();
    for r in &opts.reviewers {
        if !names.contains(r) {
            names.push(r.clone());
        }
    }
    if names.is_empty() {
        return Err(Error::input_with_hint(
            "no reviewers: every lane is reviewed by a model of another lab",
            "pass --reviewer provider/model (e.g. --reviewer openai/gpt-5.5), set [review] reviewers in config, or race without reviews with --no-review",
        ));
    }
    let judge = opts.judge.clone().or(config.review.judge.clone());
    let plan = ReviewPlan::build(config, &names, judge.as_deref(), reviewers::clock_seed())?;
    if let Some(judge) = plan.judge.as_ref().filter(|j| j.lab == "unknown") {
        return Err(Error::input_with_hint(
            format!("cannot tell which lab trained the judge {}", judge.name),
            "name a model bakeoff knows, or map it in [labs] (e.g. \"my-model\" = \"meta\")",
        ));
    }
    let per_lane = reviewers::per_lane(
        opts.reviewers_per_lane.unwrap_or(config.review.per_lane),
        plan.reviewers.len(),
    )?;
    let allow_same_lab = opts.allow_same_lab || config.review.allow_same_lab;
    let mut assigned = Vec::new();
    for (name, _, spec, _) in lanes {
        let author_lab = author_lab(config, spec);
        let a = reviewers::assign(&plan.reviewers, author_lab.as_deref(), per_lane, allow_same_lab)
            .map_err(|e| e.context(&format!("lane {name}")))?;
        assigned.push(a);
    }
    Ok(Some((plan, assigned)))
}
