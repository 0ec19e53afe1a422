//! The files `bakeoff bench export` writes to run one suite in shards elsewhere: a
//! Kubernetes Indexed Job (with the claim its shards write to), a GitHub Actions
//! workflow with one matrix job per shard and a merge job, and the Dockerfile of the
//! image both run.
//!
//! The YAML is written by hand, as there is no YAML library in the workspace and the
//! documents are small and fixed in shape. Every value that comes from the user is
//! written as a JSON string, which is a valid YAML double-quoted scalar, so a suite path
//! or an argument holding `:`, `#`, quotes or newlines stays one value.

use std::fmt::Write as _;

/// The Dockerfile of the image the exported files run: bakeoff and the pinned agent CLIs.
pub const DOCKERFILE: &str = include_str!("../../../../Dockerfile");

/// The uid and gid the image's user has; the Job runs as it and owns its results with it.
pub const IMAGE_UID: u32 = 10001;

/// The most jobs one GitHub Actions matrix may start.
pub const GITHUB_MAX_SHARDS: u32 = 256;

/// The most completions a Kubernetes Indexed Job may have.
pub const KUBERNETES_MAX_SHARDS: u32 = 100_000;

/// What the exported files run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSpec {
    /// The suite file's path as the container sees it, e.g. `bench/suite.toml`.
    pub suite: String,
    /// How many shards the suite is cut into (at least 1).
    pub shards: u32,
    /// The image with bakeoff and the agent CLIs, e.g. `ghcr.io/acme/bakeoff-bench:1`.
    pub image: String,
    /// Extra `bakeoff bench` arguments, e.g. `["--repeats", "3", "--jobs", "4"]`.
    pub args: Vec<String>,
    /// The environment variables that hold the agents' keys, e.g. `ANTHROPIC_API_KEY`.
    pub secrets: Vec<String>,
    /// A DNS-1123 label naming the Job, its claim and secret, and the workflow.
    pub name: String,
}

/// Why a spec cannot be exported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The name is not a DNS-1123 label.
    #[error(
        "name {name:?} is not a DNS-1123 label: {reason}; use 1 to 63 lowercase letters, \
         digits and '-', starting and ending with a letter or digit (e.g. \"bakeoff-bench\")"
    )]
    Name {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The shard count is 0 or more than the target allows.
    #[error("{target} cannot run {shards} shards: pass --shards between 1 and {max}")]
    Shards {
        /// The shard count given.
        shards: u32,
        /// The most the target allows.
        max: u32,
        /// Where the shards were to run.
        target: &'static str,
    },
    /// The image reference is empty or holds a character no image reference has.
    #[error("image {image:?} is not an image reference: pass one like \"ghcr.io/acme/bakeoff-bench:1\"")]
    Image {
        /// The image given.
        image: String,
    },
    /// A secret is not an environment variable name.
    #[error(
        "secret {secret:?} is not an environment variable name: use letters, digits and '_', \
         not starting with a digit (e.g. ANTHROPIC_API_KEY)"
    )]
    Secret {
        /// The secret given.
        secret: String,
    },
    /// A value holds `${{`, which GitHub Actions would evaluate as an expression.
    #[error(
        "{value:?} holds \"${{{{\", which GitHub Actions evaluates as an expression: \
         write the value without it"
    )]
    Expression {
        /// The value that holds it.
        value: String,
    },
}

/// The Kubernetes manifests: an Indexed Job with one completion per shard, then the
/// ReadWriteMany claim `<name>-results` its pods write their shards to.
pub fn kubernetes_job(spec: &ExportSpec) -> Result<String, ExportError> {
    check_common(spec, "a Kubernetes Indexed Job", KUBERNETES_MAX_SHARDS)?;
    let name = &spec.name;
    let n = spec.shards;
    let claim = format!("{name}-results");
    let keys = format!("{name}-keys");

    let mut args = vec![
        "bench".to_owned(),
        kubernetes_literal(&spec.suite),
        "--shards".to_owned(),
        n.to_string(),
        "--out".to_owned(),
        "/results/shard-$(JOB_COMPLETION_INDEX)".to_owned(),
    ];
    args.extend(spec.args.iter().map(|arg| kubernetes_literal(arg)));

    let mut y = comment(&job_header(spec));
    y.push_str("apiVersion: batch/v1\n");
    y.push_str("kind: Job\n");
    y.push_str("metadata:\n");
    let _ = writeln!(y, "  name: {}", quote(name));
    y.push_str("spec:\n");
    y.push_str("  completionMode: Indexed\n");
    let _ = writeln!(y, "  completions: {n}");
    let _ = writeln!(y, "  parallelism: {n}");
    // Counted over the whole Job, not per shard. A retried shard resumes from the
    // journal it left on the claim, so a retry costs only the trials it had not finished.
    let _ = writeln!(y, "  backoffLimit: {n}");
    y.push_str("  template:\n");
    y.push_str("    spec:\n");
    y.push_str("      restartPolicy: Never\n");
    y.push_str("      securityContext:\n");
    y.push_str("        runAsNonRoot: true\n");
    let _ = writeln!(y, "        runAsUser: {IMAGE_UID}");
    let _ = writeln!(y, "        runAsGroup: {IMAGE_UID}");
    let _ = writeln!(y, "        fsGroup: {IMAGE_UID}");
    y.push_str("      containers:\n");
    y.push_str("        - name: bench\n");
    let _ = writeln!(y, "          image: {}", quote(&spec.image));
    // "Variable references $(VAR_NAME) are expanded using the container's environment"
    // (the API reference on `args`), and an Indexed Job puts JOB_COMPLETION_INDEX in
    // that environment, so each pod writes its own shard's folder. The user's values
    // have every `$` doubled, which that expansion turns back into one.
    y.push_str("          args:\n");
    for arg in &args {
        let _ = writeln!(y, "            - {}", quote(arg));
    }
    if !spec.secrets.is_empty() {
        // No `optional: true`: a missing key should stop the pod, not start a shard
        // whose every trial fails.
        y.push_str("          env:\n");
        for secret in &spec.secrets {
            let _ = writeln!(y, "            - name: {}", quote(secret));
            y.push_str("              valueFrom:\n");
            y.push_str("                secretKeyRef:\n");
            let _ = writeln!(y, "                  name: {}", quote(&keys));
            let _ = writeln!(y, "                  key: {}", quote(secret));
        }
    }
    y.push_str("          volumeMounts:\n");
    y.push_str("            - name: results\n");
    y.push_str("              mountPath: /results\n");
    y.push_str("      volumes:\n");
    y.push_str("        - name: results\n");
    y.push_str("          persistentVolumeClaim:\n");
    let _ = writeln!(y, "            claimName: {}", quote(&claim));
    y.push_str("---\n");
    y.push_str("apiVersion: v1\n");
    y.push_str("kind: PersistentVolumeClaim\n");
    y.push_str("metadata:\n");
    let _ = writeln!(y, "  name: {}", quote(&claim));
    y.push_str("spec:\n");
    y.push_str("  accessModes:\n");
    y.push_str("    - ReadWriteMany\n");
    y.push_str("  resources:\n");
    y.push_str("    requests:\n");
    y.push_str("      storage: 10Gi\n");
    Ok(y)
}

/// The GitHub Actions workflow: a `bench` job per shard (a matrix), then a `merge` job
/// that combines their results into one report and the run's summary.
pub fn github_workflow(spec: &ExportSpec) -> Result<String, ExportError> {
    check_common(spec, "a GitHub Actions matrix", GITHUB_MAX_SHARDS)?;
    for value in std::iter::once(&spec.suite).chain(&spec.args) {
        if value.contains("${{") {
            return Err(ExportError::Expression { value: value.clone() });
        }
    }
    let n = spec.shards;
    let shard_list = (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let mut run = format!(
        "bakeoff bench {} --shard ${{{{ matrix.shard }}}}/{n} --out results/shard-${{{{ matrix.shard }}}}",
        shell_word(&spec.suite)
    );
    for arg in &spec.args {
        run.push(' ');
        run.push_str(&shell_word(arg));
    }

    let mut header = vec![
        format!("Written by `bakeoff bench export`: runs the suite in {n} shards, one job each,"),
        "then merges them into one report (the artifact bench-report, and the run's".to_owned(),
        "summary). Start it from the Actions tab or with `gh workflow run`.".to_owned(),
    ];
    if !spec.secrets.is_empty() {
        header.push(format!(
            "Needs the repository secrets {}.",
            spec.secrets.join(", ")
        ));
    }
    let mut y = comment(&header);
    let _ = writeln!(y, "name: {}", quote(&spec.name));
    y.push_str("on:\n");
    y.push_str("  workflow_dispatch:\n");
    y.push_str("jobs:\n");
    y.push_str("  bench:\n");
    y.push_str("    runs-on: ubuntu-latest\n");
    y.push_str("    strategy:\n");
    y.push_str("      fail-fast: false\n");
    y.push_str("      matrix:\n");
    let _ = writeln!(y, "        shard: [{shard_list}]");
    container(&mut y, &spec.image);
    y.push_str("    steps:\n");
    y.push_str("      - uses: actions/checkout@v4\n");
    y.push_str("      - name: Run the shard\n");
    if !spec.secrets.is_empty() {
        y.push_str("        env:\n");
        for secret in &spec.secrets {
            let _ = writeln!(y, "          {secret}: ${{{{ secrets.{secret} }}}}");
        }
    }
    let _ = writeln!(y, "        run: {}", quote(&run));
    y.push_str("      - uses: actions/upload-artifact@v4\n");
    y.push_str("        if: always()\n");
    y.push_str("        with:\n");
    y.push_str("          name: bench-shard-${{ matrix.shard }}\n");
    y.push_str("          path: results/shard-${{ matrix.shard }}\n");
    y.push_str("  merge:\n");
    y.push_str("    needs: bench\n");
    // Merge whatever shards finished: a report of most of the suite beats none.
    y.push_str("    if: always()\n");
    y.push_str("    runs-on: ubuntu-latest\n");
    container(&mut y, &spec.image);
    y.push_str("    steps:\n");
    // Each artifact lands in its own folder, results/bench-shard-I.
    y.push_str("      - uses: actions/download-artifact@v4\n");
    y.push_str("        with:\n");
    y.push_str("          pattern: bench-shard-*\n");
    y.push_str("          path: results\n");
    y.push_str("      - name: Merge the shards\n");
    y.push_str("        run: bakeoff bench merge results/* --out report\n");
    y.push_str("      - uses: actions/upload-artifact@v4\n");
    y.push_str("        with:\n");
    y.push_str("          name: bench-report\n");
    y.push_str("          path: report\n");
    y.push_str("      - name: Summary\n");
    y.push_str("        run: cat report/report.md >> \"$GITHUB_STEP_SUMMARY\"\n");
    Ok(y)
}

/// The Dockerfile of the image the exported files run (see [`DOCKERFILE`]).
pub fn dockerfile() -> &'static str {
    DOCKERFILE
}

/// What the Job's file tells its reader: how to start it, and how to merge its shards.
fn job_header(spec: &ExportSpec) -> Vec<String> {
    let ExportSpec {
        name, image, shards, ..
    } = spec;
    let mut lines = vec![
        format!("Written by `bakeoff bench export`: runs the suite in {shards} shards, one pod each."),
        String::new(),
    ];
    if !spec.secrets.is_empty() {
        let literals: Vec<String> = spec
            .secrets
            .iter()
            .map(|s| format!("--from-literal={s}=\"${s}\""))
            .collect();
        lines.push(format!(
            "The agents' keys come from the Secret {name}-keys; create it first:"
        ));
        lines.push(format!(
            "  kubectl create secret generic {name}-keys {}",
            literals.join(" ")
        ));
        lines.push(String::new());
    }
    lines.extend([
        "Then start the Job and wait for every shard:".to_owned(),
        "  kubectl apply -f THIS-FILE".to_owned(),
        format!("  kubectl wait --for=condition=complete job/{name} --timeout=24h"),
        String::new(),
        format!("Each shard writes /results/shard-INDEX on the claim {name}-results. Merge them into"),
        "one report, /results/report, with the same image in a pod that mounts the claim".to_owned(),
        "(a shell expands the glob; the image's entrypoint is bakeoff itself):".to_owned(),
        "  bakeoff bench merge /results/shard-* --out /results/report".to_owned(),
        "for instance:".to_owned(),
        format!(
            "  kubectl run {name}-merge --rm -i --restart=Never --image={image} --overrides='{}'",
            merge_pod_overrides(spec)
        ),
        String::new(),
        "The suite's path is read in the container's working folder (/work in bakeoff's".to_owned(),
        "image): build an image on top of it that holds the suite and its repositories.".to_owned(),
        "The claim needs a storage class that offers ReadWriteMany (NFS, CephFS, a cloud".to_owned(),
        "file store), as every shard's pod mounts it at once.".to_owned(),
    ]);
    lines
}

/// The `kubectl run --overrides` of a pod that merges the shards on the claim and
/// prints the report. Its container has the pod's name, so it replaces kubectl's own.
fn merge_pod_overrides(spec: &ExportSpec) -> String {
    let name = format!("{}-merge", spec.name);
    serde_json::json!({
        "apiVersion": "v1",
        "spec": {
            "securityContext": { "fsGroup": IMAGE_UID },
            "volumes": [{
                "name": "results",
                "persistentVolumeClaim": { "claimName": format!("{}-results", spec.name) },
            }],
            "containers": [{
                "name": name,
                "image": spec.image,
                "command": [
                    "sh",
                    "-c",
                    "bakeoff bench merge /results/shard-* --out /results/report && cat /results/report/report.md",
                ],
                "volumeMounts": [{ "name": "results", "mountPath": "/results" }],
            }],
        },
    })
    .to_string()
}

/// YAML comment lines, one per line given (a blank one as a bare `#`).
fn comment(lines: &[String]) -> String {
    let mut y = String::new();
    for line in lines {
        let _ = writeln!(y, "#{}{line}", if line.is_empty() { "" } else { " " });
    }
    y
}

/// A job's `container`. The image runs as a user of its own, but a job container must
/// run as root: the runner mounts the workspace owned by its own user, and checkout
/// and artifact steps write there.
fn container(y: &mut String, image: &str) {
    y.push_str("    container:\n");
    let _ = writeln!(y, "      image: {}", quote(image));
    y.push_str("      options: --user root\n");
}

fn check_common(spec: &ExportSpec, target: &'static str, max: u32) -> Result<(), ExportError> {
    check_name(&spec.name)?;
    if spec.shards == 0 || spec.shards > max {
        return Err(ExportError::Shards {
            shards: spec.shards,
            max,
            target,
        });
    }
    // The characters of an image reference (registry, path, tag, digest); with no
    // others, the image can stand unquoted in a comment and a shell line too.
    let reference = |c: char| c.is_ascii_alphanumeric() || "._-/:@".contains(c);
    if spec.image.is_empty() || !spec.image.chars().all(reference) {
        return Err(ExportError::Image {
            image: spec.image.clone(),
        });
    }
    for secret in &spec.secrets {
        let mut chars = secret.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ExportError::Secret {
                secret: secret.clone(),
            });
        }
    }
    Ok(())
}

/// A DNS-1123 label: what Kubernetes requires of a Job's name (it becomes a label
/// value on every pod, hence 63 characters at most).
fn check_name(name: &str) -> Result<(), ExportError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 63 {
        Some("it is longer than 63 characters")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Some("it holds a character other than a lowercase letter, a digit or '-'")
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("it starts or ends with '-'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ExportError::Name {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A YAML double-quoted scalar holding `value` exactly: its JSON string.
fn quote(value: &str) -> String {
    serde_json::to_string(value).expect("a string always serializes")
}

/// `value` with every `$` doubled, so Kubernetes' `$(VAR)` expansion in `args` gives
/// back `value` itself.
fn kubernetes_literal(value: &str) -> String {
    value.replace('$', "$$")
}

/// `value` as one POSIX shell word: bare when it holds only characters no shell treats
/// specially, single-quoted otherwise.
fn shell_word(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// Values that break hand-written YAML, a shell line or `$(VAR)` expansion if any
    /// of them is written unquoted.
    fn tricky(shards: u32) -> ExportSpec {
        ExportSpec {
            suite: "bench/my suite: \"v1\" #1.toml".to_owned(),
            shards,
            image: "ghcr.io/acme/bakeoff-bench:1".to_owned(),
            args: vec![
                "--repeats".to_owned(),
                "3".to_owned(),
                "--note".to_owned(),
                "it's: a #test\nline two, {x: [y]}".to_owned(),
                "$(HOME) costs $$5 and $x".to_owned(),
                "ünïcode - *star* & ~".to_owned(),
                String::new(),
            ],
            secrets: vec!["ANTHROPIC_API_KEY".to_owned(), "OPENAI_API_KEY".to_owned()],
            name: "bakeoff-bench".to_owned(),
        }
    }

    fn plain(shards: u32) -> ExportSpec {
        ExportSpec {
            args: vec![],
            secrets: vec![],
            suite: "suite.toml".to_owned(),
            ..tricky(shards)
        }
    }

    fn bench_tools() -> PathBuf {
        let dir = match std::env::var_os("BENCH_TOOLS_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.bench-tools"),
        };
        let bin = dir.join("venv/bin");
        assert!(
            bin.join("kubernetes-validate").is_file() && bin.join("check-jsonschema").is_file(),
            "the pinned validators are not in {}: run scripts/install-bench-tools.sh",
            bin.display()
        );
        bin
    }

    /// Runs a tool from the validators' venv; returns whether it passed and what it said.
    fn run_tool(tool: &str, args: &[&str], file: &Path) -> (bool, String) {
        let out = Command::new(bench_tools().join(tool))
            .args(args)
            .arg(file)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "{tool} {} {}: {}\n{said}",
            args.join(" "),
            file.display(),
            out.status
        );
        (out.status.success(), said)
    }

    fn validate_job(file: &Path) -> (bool, String) {
        run_tool(
            "kubernetes-validate",
            &["--kubernetes-version", "1.31.0", "--strict"],
            file,
        )
    }

    fn validate_workflow(file: &Path) -> (bool, String) {
        run_tool(
            "check-jsonschema",
            &["--builtin-schema", "vendor.github-workflows"],
            file,
        )
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Every document in a YAML file, as JSON, read by a real YAML parser (PyYAML, which
    /// the validators' venv has).
    fn parse_yaml(file: &Path) -> Vec<serde_json::Value> {
        let out = Command::new(bench_tools().join("python"))
            .args([
                "-c",
                "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
            ])
            .arg(file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    #[test]
    fn the_job_and_the_claim_pass_the_kubernetes_schema_in_strict_mode() {
        let dir = tempfile::tempdir().unwrap();
        let job = write(dir.path(), "job.yaml", &kubernetes_job(&tricky(3)).unwrap());
        let (ok, said) = validate_job(&job);
        assert!(ok, "{said}");
        assert!(said.contains("job/bakeoff-bench"), "{said}");
        assert!(
            said.contains("persistentvolumeclaim/bakeoff-bench-results"),
            "{said}"
        );
    }

    #[test]
    fn the_merge_pod_in_the_job_s_header_is_a_valid_pod() {
        let job = kubernetes_job(&tricky(3)).unwrap();
        let overrides = job
            .lines()
            .find_map(|line| line.split_once("--overrides='").map(|(_, rest)| rest))
            .and_then(|rest| rest.strip_suffix('\''))
            .expect("a kubectl run --overrides line");
        let mut pod: serde_json::Value = serde_json::from_str(overrides).unwrap();
        pod["kind"] = "Pod".into();
        pod["metadata"] = serde_json::json!({ "name": "bakeoff-bench-merge" });
        let dir = tempfile::tempdir().unwrap();
        let (ok, said) = validate_job(&write(dir.path(), "merge-pod.yaml", &pod.to_string()));
        assert!(ok, "{said}");
        assert!(said.contains("pod/bakeoff-bench-merge"), "{said}");
    }

    #[test]
    fn the_kubernetes_validator_rejects_a_broken_job() {
        let dir = tempfile::tempdir().unwrap();
        let good = kubernetes_job(&tricky(3)).unwrap();
        let wrong_type = good.replace("  completions: 3\n", "  completions: \"three\"\n");
        let unknown_field = good.replace(
            "  completionMode: Indexed\n",
            "  completionMode: Indexed\n  shardCount: 3\n",
        );
        for (file, text) in [
            ("wrong-type.yaml", wrong_type),
            ("unknown-field.yaml", unknown_field),
        ] {
            assert_ne!(text, good, "{file} did not change the Job");
            let (ok, said) = validate_job(&write(dir.path(), file, &text));
            assert!(!ok, "{file} passed: {said}");
        }
    }

    #[test]
    fn the_workflow_passes_github_s_workflow_schema() {
        let dir = tempfile::tempdir().unwrap();
        let workflow = write(dir.path(), "bench.yml", &github_workflow(&tricky(3)).unwrap());
        let (ok, said) = validate_workflow(&workflow);
        assert!(ok, "{said}");
    }

    #[test]
    fn the_workflow_validator_rejects_a_broken_workflow() {
        let dir = tempfile::tempdir().unwrap();
        let good = github_workflow(&tricky(3)).unwrap();
        let wrong_type = good.replace("      fail-fast: false\n", "      fail-fast: [no]\n");
        let unknown_field = good.replace("  merge:\n", "  merge:\n    after: bench\n");
        for (file, text) in [
            ("wrong-type.yml", wrong_type),
            ("unknown-field.yml", unknown_field),
        ] {
            assert_ne!(text, good, "{file} did not change the workflow");
            let (ok, said) = validate_workflow(&write(dir.path(), file, &text));
            assert!(!ok, "{file} passed: {said}");
        }
    }

    #[test]
    fn the_job_s_values_round_trip_through_a_yaml_parser() {
        let dir = tempfile::tempdir().unwrap();
        let spec = tricky(3);
        let docs = parse_yaml(&write(dir.path(), "job.yaml", &kubernetes_job(&spec).unwrap()));
        assert_eq!(docs.len(), 2);
        let container = &docs[0]["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["image"], spec.image.as_str());
        let args: Vec<String> = serde_json::from_value(container["args"].clone()).unwrap();
        // What the container gets once Kubernetes has expanded `$(VAR)` and `$$`.
        let expanded: Vec<String> = args
            .iter()
            .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", "2").replace("$$", "$"))
            .collect();
        let mut want = vec![
            "bench".to_owned(),
            spec.suite.clone(),
            "--shards".to_owned(),
            "3".to_owned(),
            "--out".to_owned(),
            "/results/shard-2".to_owned(),
        ];
        want.extend(spec.args.iter().cloned());
        assert_eq!(expanded, want);
        assert_eq!(docs[0]["spec"]["completions"], 3);
        assert_eq!(docs[0]["spec"]["completionMode"], "Indexed");
        let env = &container["env"];
        for (i, secret) in spec.secrets.iter().enumerate() {
            assert_eq!(env[i]["name"], secret.as_str());
            let key = &env[i]["valueFrom"]["secretKeyRef"];
            assert_eq!(key["name"], "bakeoff-bench-keys");
            assert_eq!(key["key"], secret.as_str());
            assert!(key.get("optional").is_none());
        }
        assert_eq!(docs[1]["kind"], "PersistentVolumeClaim");
        assert_eq!(docs[1]["metadata"]["name"], "bakeoff-bench-results");
        assert_eq!(docs[1]["spec"]["accessModes"][0], "ReadWriteMany");
    }

    #[test]
    fn the_workflow_s_run_line_gives_bakeoff_the_values_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let spec = tricky(3);
        let docs = parse_yaml(&write(dir.path(), "bench.yml", &github_workflow(&spec).unwrap()));
        let steps = docs[0]["jobs"]["bench"]["steps"].as_array().unwrap();
        let run = steps[1]["run"]
            .as_str()
            .unwrap()
            .replace("${{ matrix.shard }}", "1");
        let run = run.strip_prefix("bakeoff ").expect("the step runs bakeoff");
        // The shell splits the line into the words bakeoff would get.
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("printf '%s\\0' {run}"))
            .output()
            .unwrap();
        let words: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_owned)
            .collect();
        let mut want = vec![
            "bench".to_owned(),
            spec.suite.clone(),
            "--shard".to_owned(),
            "1/3".to_owned(),
            "--out".to_owned(),
            "results/shard-1".to_owned(),
        ];
        want.extend(spec.args.iter().cloned());
        assert_eq!(words, want);
        assert_eq!(
            steps[1]["env"]["ANTHROPIC_API_KEY"],
            "${{ secrets.ANTHROPIC_API_KEY }}"
        );
        assert_eq!(
            docs[0]["jobs"]["bench"]["container"]["image"],
            spec.image.as_str()
        );
    }

    #[test]
    fn the_matrix_has_one_entry_per_shard() {
        for n in [1, 3, 8] {
            let text = github_workflow(&plain(n)).unwrap();
            let want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            assert!(
                text.contains(&format!("        shard: [{}]\n", want.join(", "))),
                "{text}"
            );
            assert!(
                text.contains(&format!("--shard ${{{{ matrix.shard }}}}/{n} ")),
                "{text}"
            );
            let job = kubernetes_job(&plain(n)).unwrap();
            assert!(job.contains(&format!("  completions: {n}\n")), "{job}");
            assert!(
                job.contains(&format!("            - \"--shards\"\n            - \"{n}\"\n")),
                "{job}"
            );
        }
    }

    #[test]
    fn bad_specs_are_refused_with_what_to_fix() {
        let cases: Vec<(ExportSpec, &str)> = vec![
            (
                ExportSpec {
                    name: "Bakeoff".to_owned(),
                    ..plain(3)
                },
                "lowercase",
            ),
            (
                ExportSpec {
                    name: "bench_1".to_owned(),
                    ..plain(3)
                },
                "DNS-1123 label",
            ),
            (
                ExportSpec {
                    name: "-bench".to_owned(),
                    ..plain(3)
                },
                "starts or ends with '-'",
            ),
            (
                ExportSpec {
                    name: String::new(),
                    ..plain(3)
                },
                "it is empty",
            ),
            (
                ExportSpec {
                    name: "b".repeat(64),
                    ..plain(3)
                },
                "longer than 63",
            ),
            (plain(0), "pass --shards between 1 and"),
            (
                ExportSpec {
                    image: "acme bench".to_owned(),
                    ..plain(3)
                },
                "not an image reference",
            ),
            (
                ExportSpec {
                    image: "acme'bench".to_owned(),
                    ..plain(3)
                },
                "not an image reference",
            ),
            (
                ExportSpec {
                    secrets: vec!["1KEY".to_owned()],
                    ..plain(3)
                },
                "not an environment variable name",
            ),
            (
                ExportSpec {
                    secrets: vec!["MY-KEY".to_owned()],
                    ..plain(3)
                },
                "not an environment variable name",
            ),
        ];
        for (spec, want) in cases {
            for result in [kubernetes_job(&spec), github_workflow(&spec)] {
                let message = result.expect_err(want).to_string();
                assert!(message.contains(want), "{message:?} does not say {want:?}");
            }
        }
        let message = github_workflow(&plain(GITHUB_MAX_SHARDS + 1))
            .unwrap_err()
            .to_string();
        assert!(message.contains("between 1 and 256"), "{message}");
        assert!(kubernetes_job(&plain(GITHUB_MAX_SHARDS + 1)).is_ok());
    }

    #[test]
    fn a_github_expression_in_a_value_is_refused() {
        let spec = ExportSpec {
            args: vec!["${{ secrets.GITHUB_TOKEN }}".to_owned()],
            ..plain(2)
        };
        let message = github_workflow(&spec).unwrap_err().to_string();
        assert!(
            message.contains("holds \"${{\", which GitHub Actions evaluates as an expression"),
            "{message}"
        );
        assert!(kubernetes_job(&spec).is_ok());
    }

    #[test]
    fn the_dockerfile_installs_the_agent_clis_through_the_project_s_script() {
        let text = dockerfile();
        let run = text
            .lines()
            .find(|line| line.starts_with("RUN ") && line.contains("scripts/install-agent-clis.sh"))
            .expect("a RUN of scripts/install-agent-clis.sh");
        assert!(
            run.contains("/opt/bakeoff/scripts/install-agent-clis.sh"),
            "{run}"
        );
        assert!(
            text.contains("COPY scripts/install-agent-clis.sh /opt/bakeoff/scripts/install-agent-clis.sh")
        );
        assert!(text.contains("AGENT_CLIS_DIR=/opt/bakeoff/agent-clis"));
        assert!(text.contains("ENV PATH=/opt/bakeoff/agent-clis/node_modules/.bin:$PATH"));
        // The pins live in the script alone.
        for pin in [
            "@anthropic-ai/claude-code",
            "@openai/codex",
            "@google/gemini-cli",
            "npm install",
        ] {
            assert!(!text.contains(pin), "the Dockerfile names {pin} itself");
        }
        assert!(text.contains("cargo build --release --locked -p bakeoff"));
        assert!(text.contains(&format!("useradd --uid {IMAGE_UID}")));
        assert!(text.contains(&format!("USER {IMAGE_UID}:{IMAGE_UID}")));
        assert!(text.contains("ENTRYPOINT [\"bakeoff\"]"));
    }

    #[test]
    fn the_dockerfile_passes_hadolint() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Dockerfile");
        let (ok, said) = run_tool("hadolint", &[], &root);
        assert!(ok, "{said}");
        // And hadolint does find faults: an untagged base and unpinned, uncleaned apt.
        let dir = tempfile::tempdir().unwrap();
        let bad = write(dir.path(), "Dockerfile", "FROM debian\nRUN apt-get install git\n");
        let (ok, said) = run_tool("hadolint", &[], &bad);
        assert!(!ok, "{said}");
    }
}
