//! Benchmarks: a suite's tasks × agents × repeats, and the files that fan one suite out
//! over a Kubernetes Indexed Job or a GitHub Actions matrix.

pub mod export;
