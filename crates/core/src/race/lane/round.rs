//! Judging a round's work in a lane: capture it as a commit, run the checks (holdouts
//! laid in after the regression checks), judge tampering, and have the lane's reviewers
//! review it, each under an anonymous label.

use super::*;
use crate::vocab::ReviewRecord;

impl Worker {
    /// Capture, checks and reviews of the round's work.
    pub(super) async fn judge_round(&mut self) -> Result<(), Stop> {
        self.check_cancel()?;
        self.state(LaneState::Capturing);
        let (stats, patch) = self.capture().await?;
        self.check_cancel()?;
        self.state(LaneState::Checking);
        self.checks(&stats, &patch).await?;
        self.check_cancel()?;
        if let Some(review) = self.shared.plan.review.clone() {
            self.state(LaneState::Reviewing);
            let mut cancel = self.cancel.clone();
            tokio::select! {
                done = self.reviews(&review) => done?,
                _ = cancel.raised(CancelLevel::Graceful) => return Err(Stop::Cancelled),
            }
        }
        Ok(())
    }

    /// Every reviewer of this lane at once, each seeing the spec, the diff with context,
    /// the check results and an anonymous label — never the lane's agent, model or lab.
    async fn reviews(&mut self, plan: &ReviewPlan) -> Result<(), Stop> {
        let Some(diff) = self.review_diff(plan).await? else {
            return Ok(());
        };
        let lane = self.lane().clone();
        // No key reaches another lab's model: what the agent wrote into its diff is
        // redacted first, and reported.
        let known = self.shared.plan.known_secrets();
        let (diff, leaked) = review::secrets::redact(&diff, &known);
        let mut own = review::scan(&diff);
        own.extend(leaked);
        if !own.is_empty() {
            self.emit(RaceEvent::BakeoffFindings {
                lane: lane.name.clone(),
                findings: own,
            });
        }
        let checks: Vec<CheckSummary> = self
            .seen
            .checks
            .iter()
            .map(|c| CheckSummary {
                name: c.name.clone(),
                passed: c.passed,
                holdout: c.holdout,
            })
            .collect();
        let (label, spec) = (anonymous_label(self.index), self.shared.plan.record.spec.clone());
        let dir = self.round_path("reviews");
        let _ = std::fs::create_dir_all(&dir);
        let seal = &self.shared.seal;
        let jobs = lane
            .reviewers
            .iter()
            .filter_map(|name| plan.reviewers.get(name))
            .map(|reviewer| {
                let job = reviewer::Job {
                    spec: &spec,
                    label: &label,
                    diff: &diff,
                    checks: checks.clone(),
                    token_budget: plan.token_budget,
                    nonce_seed: plan.seed ^ (self.index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    prices: &plan.prices,
                    same_lab: lane.same_lab,
                    author_lab: lane.author_lab.as_deref(),
                    // `lane.same_lab` covers a record written before the race recorded it.
                    allow_same_lab: self.shared.plan.record.allow_same_lab || lane.same_lab,
                };
                review_one(
                    self.tx.clone(),
                    lane.name.clone(),
                    reviewer,
                    job,
                    dir.clone(),
                    seal,
                )
            })
            .collect::<Vec<_>>();
        // Each job sent its own events as it went; the worker folds what they reported.
        for review in futures_util::future::join_all(jobs).await {
            self.seen.apply(
                0,
                &RaceEvent::ReviewFinished {
                    lane: lane.name.clone(),
                    review,
                },
            );
        }
        Ok(())
    }

    /// The round's diff with the reviewers' context lines; `None` before any capture.
    async fn review_diff(&self, plan: &ReviewPlan) -> Result<Option<String>, Stop> {
        let Some(commit) = self.seen.capture.as_ref().map(|c| c.commit.clone()) else {
            return Ok(None);
        };
        let (repo_top, base, context) = (
            self.shared.plan.repo_top.clone(),
            self.shared.plan.record.base.clone(),
            plan.context_lines,
        );
        blocking(move || git::diff_patch_with_context(&repo_top, &base, &commit, context))
            .await?
            .map(Some)
            .map_err(|e| Stop::Failed(format!("review diff: {e}")))
    }

    /// Commits the worktree's work; returns its diff stats and the patch (also saved as
    /// the lane's `diff.patch`).
    async fn capture(&mut self) -> Result<(DiffStats, String), Stop> {
        let lane = self.lane().clone();
        let plan = &self.shared.plan;
        let base = plan.record.base.clone();
        let repo_top = plan.repo_top.clone();
        let message = format!(
            "bakeoff: lane {} of race {}\n\nAgent: {}\nBakeoff-Race: {}\nBakeoff-Lane: {}\nBakeoff-Agent: {}\nBakeoff-Lab: {}\n",
            lane.name,
            plan.record.id,
            lane.agent,
            plan.record.id,
            lane.name,
            lane.model_ref(),
            lane.author_lab.as_deref().unwrap_or("unknown")
        );
        let patch_file = self.lane_dir.join("diff.patch");
        let seal = self.shared.seal.clone();
        let (commit, stats, patch) = blocking(move || {
            let lane_git = git::LaneRef {
                name: &lane.worktree_name,
                worktree: &lane.worktree,
                branch: &lane.branch,
            };
            let commit = git::capture(&repo_top, &lane_git, &base, &message)?;
            let stats = git::diff_stats(&repo_top, &base, &commit)?;
            let patch = git::diff_patch(&repo_top, &base, &commit)?;
            Ok::<_, git::GitError>((commit, stats, patch))
        })
        .await?
        .map_err(|e| Stop::Failed(format!("capture: {e}")))
        .and_then(|(commit, stats, patch)| {
            seal.write(&patch_file, patch.as_bytes())
                .map_err(|e| Stop::Failed(format!("cannot write {}: {e}", patch_file.display())))?;
            Ok((commit, stats, patch))
        })?;
        self.emit(RaceEvent::Captured {
            lane: self.lane().name.clone(),
            capture: CaptureSummary {
                commit,
                files_changed: stats.files.len(),
                insertions: stats.insertions,
                deletions: stats.deletions,
                files: stats.files.clone(),
            },
        });
        Ok((stats, patch))
    }

    async fn checks(&mut self, stats: &DiffStats, patch: &str) -> Result<(), Stop> {
        // A fix round is judged afresh: only its own checks count (the fold starts them
        // over at each capture).
        let checks = self.shared.plan.record.checks.clone();
        for (i, check) in checks.iter().enumerate().filter(|(_, c)| !c.holdout) {
            self.check(i, check, None).await?;
        }
        let graded = self.graded_tree().await?;
        let mut holdout_paths = Vec::new();
        if let Some(dir) = self.shared.plan.record.holdout.clone() {
            let holder = graded_folder()?;
            let tree = holder.path().join(&self.lane().name);
            holdout_paths = self.lay_out_graded(&graded, &dir, &tree).await?;
            for (i, check) in checks.iter().enumerate().filter(|(_, c)| c.holdout) {
                self.check(i, check, Some(&tree)).await?;
            }
        }
        let deltas = delta::file_deltas(stats, patch);
        let mut found = rank::detect_tampering(&deltas, &holdout_paths);
        found.extend(graded.evidence);
        self.emit(RaceEvent::Tampering {
            lane: self.lane().name.clone(),
            found,
        });
        Ok(())
    }

    /// The tree the lane's holdouts are graded on (see `grade`): its commit over the
    /// base, without what it did to the tests and their runner.
    async fn graded_tree(&self) -> Result<grade::Graded, Stop> {
        let record = &self.shared.plan.record;
        let commit = self
            .seen
            .capture
            .as_ref()
            .map(|c| c.commit.clone())
            .ok_or_else(|| Stop::Failed("no captured work to grade".into()))?;
        let paths = grade::TestPaths::new(&record.test_paths).map_err(Stop::Failed)?;
        let (repo_top, base) = (self.shared.plan.repo_top.clone(), record.base.clone());
        blocking(move || grade::pristine(&repo_top, &base, &commit, &paths))
            .await?
            .map_err(|e| Stop::Failed(format!("cannot build the graded tree: {e}")))
    }

    /// Writes the graded tree to `tree` and lays the holdout files from `dir` into it;
    /// returns the holdout paths laid in.
    async fn lay_out_graded(
        &self,
        graded: &grade::Graded,
        dir: &Path,
        tree: &Path,
    ) -> Result<Vec<String>, Stop> {
        let (repo_top, graded, dir, tree) = (
            self.shared.plan.repo_top.clone(),
            graded.clone(),
            dir.to_path_buf(),
            tree.to_path_buf(),
        );
        blocking(move || {
            let _ = std::fs::remove_dir_all(&tree);
            grade::export(&repo_top, &graded, &tree)
                .map_err(|e| format!("cannot write the graded tree: {e}"))?;
            holdout::lay_in(&dir, &tree)
        })
        .await?
        .map_err(Stop::Failed)
    }

    /// Runs one check, in the lane's worktree or, for a holdout, in the graded `tree`;
    /// a JUnit report it writes holds it to what its tests did.
    async fn check(
        &mut self,
        index: usize,
        check: &CheckSpec,
        tree: Option<&Path>,
    ) -> Result<CheckOutcome, Stop> {
        let shared = self.shared.clone();
        // A light check takes no slot; one waiting for a slot goes when it is learned light.
        let _slot = loop {
            let learned = shared.light_checks.changed();
            if check.light || shared.light_checks.is_light(&check.name) {
                break None;
            }
            tokio::select! {
                slot = shared.check_slots.acquire() => break Some(slot.map_err(|_| Stop::Cancelled)?),
                _ = learned => {}
                _ = self.cancel.raised(CancelLevel::Graceful) => return Err(Stop::Cancelled),
            }
        };
        let lane = self.lane().name.clone();
        self.emit(RaceEvent::CheckStarted {
            lane: lane.clone(),
            name: check.name.clone(),
            holdout: check.holdout,
        });
        let log = self
            .round_path("checks")
            .join(format!("{:02}-{}.log", index + 1, file_slug(&check.name)));
        if let Some(parent) = log.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let given = log.with_extension("junit.xml");
        self.shared.seal.open_log(&given);
        // A sandboxed check cannot see the race's records: its runner writes the report
        // into a folder of its own, copied into the records after.
        let report_dir = match self.shared.plan.sandbox {
            Some(_) => Some(
                tempfile::Builder::new()
                    .prefix("bakeoff-report-")
                    .tempdir()
                    .map_err(|e| Stop::Failed(format!("cannot make a folder for a check's report: {e}")))?,
            ),
            None => None,
        };
        let written = report_dir
            .as_ref()
            .map_or(given.clone(), |d| d.path().join("junit.xml"));
        let mut cmd = self.shell_command(&grade::with_junit(&check.run), &log);
        cmd.env.push(("BAKEOFF_JUNIT".into(), written.clone().into()));
        if let Some(tree) = tree {
            cmd.cwd = tree.to_path_buf();
            // No byte code written through a link the lane left in its tree.
            cmd.env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
        }
        // A report already there (a lane can commit one) must not stand for this run's.
        let junit = check.junit.as_ref().map_or(written.clone(), |j| cmd.cwd.join(j));
        let _ = std::fs::remove_file(&junit);
        if let Some(t) = check.timeout {
            cmd.deadline = Some(t);
        }
        let child = match tree {
            Some(tree) => Child::Holdout { tree },
            None => Child::Check,
        };
        let extra: Vec<PathBuf> = report_dir.iter().map(|d| d.path().to_path_buf()).collect();
        let cmd = self.confine(cmd, child, &extra).await?;
        let finished = process::run(cmd, |_, _| {}, self.cancel.clone())
            .await
            .map_err(|e| Stop::Failed(format!("check '{}': {e}", check.name)))?;
        if let Some(cpu) = finished.cpu {
            shared.light_checks.learn(&check.name, cpu, finished.elapsed);
        }
        if written != given && written.is_file() {
            let _ = std::fs::copy(&written, &given);
        }
        if finished.cancelled {
            return Err(Stop::Cancelled);
        }
        let record = &self.shared.plan.record;
        let (must_pass, keep_passing) = match check.holdout {
            true => (record.must_pass.as_slice(), record.keep_passing.as_slice()),
            false => (&[][..], &[][..]),
        };
        let report = grade::read_report(&junit, must_pass, keep_passing);
        let ran_well = finished.exit.success() && !finished.timed_out;
        let outcome = CheckOutcome {
            name: check.name.clone(),
            command: check.run.clone(),
            holdout: check.holdout,
            passed: ran_well && report.as_ref().is_none_or(|r| r.shortfall.is_none()),
            exit: Some(finished.exit),
            timed_out: finished.timed_out,
            elapsed_ms: finished.elapsed.as_millis() as u64,
            log: log.display().to_string(),
            report,
        };
        self.emit(RaceEvent::CheckFinished {
            lane,
            check: outcome.clone(),
        });
        Ok(outcome)
    }
}

/// A fresh folder of bakeoff's own for one graded tree, removed when dropped: not
/// beside the worktrees, where a lane could have planted configuration a test runner
/// looks for above the tree. An empty `pytest.ini` at its top stops pytest's upward
/// search for configuration and `conftest.py` files there.
fn graded_folder() -> Result<tempfile::TempDir, Stop> {
    let holder = tempfile::Builder::new()
        .prefix("bakeoff-graded-")
        .tempdir()
        .map_err(|e| Stop::Failed(format!("cannot make a folder for the graded tree: {e}")))?;
    std::fs::write(
        holder.path().join("pytest.ini"),
        "# bakeoff: pytest's search for configuration above the graded tree stops here\n[pytest]\n",
    )
    .map_err(|e| Stop::Failed(format!("cannot write the graded tree's folder: {e}")))?;
    Ok(holder)
}

fn file_slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    slug.trim_matches('-').to_string()
}

/// "candidate A", "candidate B", … "candidate AA": a name that says nothing of the agent.
fn anonymous_label(index: usize) -> String {
    let mut n = index;
    let mut letters = Vec::new();
    loop {
        letters.push((b'A' + (n % 26) as u8) as char);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    format!("candidate {}", letters.iter().rev().collect::<String>())
}

/// One reviewer's review of the lane: its start, provider events and end are sent as they
/// happen, and the record is kept (and sealed) in the round's `reviews/` folder.
async fn review_one(
    tx: mpsc::UnboundedSender<LaneMsg>,
    lane: String,
    reviewer: &reviewer::Reviewer,
    job: reviewer::Job<'_>,
    dir: PathBuf,
    seal: &SharedSeal,
) -> ReviewRecord {
    let _ = tx.send(LaneMsg::Event(RaceEvent::ReviewStarted {
        lane: lane.clone(),
        reviewer: reviewer.name.clone(),
    }));
    let events = tx.clone();
    let (who, whose) = (reviewer.name.clone(), lane.clone());
    let mut observer = move |event| {
        let _ = events.send(LaneMsg::Event(RaceEvent::Provider {
            lane: Some(whose.clone()),
            reviewer: who.clone(),
            event,
        }));
    };
    let record = reviewer::review(reviewer, &job, &mut observer).await;
    let path = dir.join(format!("{}.json", file_slug(&reviewer.name)));
    if let Ok(text) = serde_json::to_vec_pretty(&record) {
        let _ = seal.write(&path, &text);
    }
    let _ = tx.send(LaneMsg::Event(RaceEvent::ReviewFinished {
        lane,
        review: record.clone(),
    }));
    record
}
