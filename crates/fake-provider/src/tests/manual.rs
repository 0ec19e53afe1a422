//! Not a test: `cargo test --lib fake_provider::tests::manual -- --ignored --nocapture`
//! serves a script file for a while so a real agent CLI can be pointed at it by hand.
//! `FAKE_PROVIDER_SCRIPT` (a script file; default: an empty script), `FAKE_PROVIDER_SECONDS`
//! (default 60, at most 600), `FAKE_PROVIDER_URL_FILE` (where to write the base URL) and
//! `FAKE_PROVIDER_RECORD` (where to write the requests as JSON lines at the end).

use std::time::Duration;

use serde_json::json;

use crate::{FakeProvider, Script};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "manual: serves a script for FAKE_PROVIDER_SECONDS"]
async fn serve_script_for_manual_runs() {
    let script = match std::env::var_os("FAKE_PROVIDER_SCRIPT") {
        Some(path) => Script::from_file(std::path::Path::new(&path)).expect("script"),
        None => Script::new(),
    };
    let seconds: u64 = std::env::var("FAKE_PROVIDER_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let server = FakeProvider::start(script).await.expect("start");
    println!("fake provider at {}", server.base_url());
    if let Some(file) = std::env::var_os("FAKE_PROVIDER_URL_FILE") {
        std::fs::write(file, server.base_url()).expect("url file");
    }
    let record = std::env::var_os("FAKE_PROVIDER_RECORD");
    for _ in 0..seconds.min(600) * 10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(path) = &record {
            let lines: Vec<String> = server
                .requests()
                .iter()
                .map(|r| {
                    json!({
                        "method": r.method, "path": r.path, "headers": r.headers,
                        "json": r.json, "body": if r.json.is_none() { Some(r.body_text()) } else { None },
                        "model": r.model, "streamed": r.streamed, "answer": r.answer,
                    })
                    .to_string()
                })
                .collect();
            let _ = std::fs::write(path, lines.join("\n") + "\n");
        }
    }
    for m in server.mismatches() {
        println!("mismatch: request {} lacks {:?}", m.request, m.missing);
    }
}
