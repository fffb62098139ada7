//! The node scripts under web/tests that drive Chromium against a running server.

use std::path::Path;
use std::process::Command;

use super::MANIFEST_DIR;

/// Runs `node web/tests/SCRIPT ARGS…` with `env` set, on a blocking thread so the server
/// under test keeps answering meanwhile; fails the test unless the script succeeds, and
/// returns what it printed.
pub async fn node_script(
    script: &str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> String {
    let mut node = Command::new("node");
    node.arg(Path::new(MANIFEST_DIR).join("web/tests").join(script))
        .args(args)
        // Screenshots, as test artifacts (git ignores the directory).
        .env(
            "AULA_ARTIFACTS",
            Path::new(MANIFEST_DIR).join("test-artifacts/browser"),
        )
        .envs(env);
    super::stdout_of(node).await
}
