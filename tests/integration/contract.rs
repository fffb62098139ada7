//! The API held to its own OpenAPI document by a client nobody here wrote: schemathesis
//! (PyPI, pinned in tests/schemathesis/requirements.txt, installed in .venv/ by the test
//! command) reads `/api/v1/openapi.json` from the running server, generates requests from
//! it (valid ones, and invalid ones the server must refuse) and checks every answer
//! against what the document declares: status codes, content types, headers, bodies, 405s
//! with `Allow`, and that no request is a server error. Seeded, so a failure reproduces.

use std::path::Path;
use std::process::Command;

use crate::helpers::{
    admin_token, flv_archive, scratch, spawn_app, spawn_app_with, stdout_of, test_config,
    MANIFEST_DIR,
};

/// Runs `st run` against the server at `base` with `args`; fails the test with
/// schemathesis's own report unless it found nothing.
async fn schemathesis(base: String, args: Vec<String>) -> String {
    let st = Path::new(MANIFEST_DIR).join(".venv/bin/st");
    assert!(
        st.exists(),
        "{} is missing: the README's test command installs schemathesis",
        st.display()
    );
    let mut run = Command::new(st);
    run.arg("--config-file")
        .arg(Path::new(MANIFEST_DIR).join("tests/schemathesis/schemathesis.toml"))
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--url", &base, "--checks", "all", "--seed", "16"])
        .args(["--workers", "1", "--no-color", "--request-timeout", "30"])
        .args(["--generation-database", "none"])
        .args(args);
    // A failure shows schemathesis's own report (its stdout).
    let stdout = stdout_of(run).await;
    // How much was tried, in the test's output (`--nocapture`).
    for line in stdout.lines().filter(|l| l.contains("generated")) {
        eprintln!("schemathesis: {}", line.trim());
    }
    stdout
}

#[tokio::test]
async fn the_public_api_keeps_its_openapi() {
    let data_dir = &flv_archive().data_dir;
    // Session 1 armed for a live stream, so its public live status answers (arming again
    // only changes the key).
    let archive = aula::Archive::open(test_config(data_dir)).await.unwrap();
    archive.catalog.arm_live(1, "contract", None).await.unwrap();
    let app = spawn_app(data_dir).await;
    let stdout = schemathesis(
        app.address.clone(),
        ["--exclude-path-regex", "/admin/", "--max-examples", "60"]
            .map(String::from)
            .to_vec(),
    )
    .await;
    // It ran every public operation (a filter that matched nothing would pass).
    assert!(stdout.contains("Tested: 22"), "{stdout}");
}

#[tokio::test]
async fn the_admin_api_keeps_its_openapi() {
    // An archive of its own: the generated requests create and change bodies and sessions.
    let root = scratch("contract-admin");
    let data_dir = root.join("data");
    let source = root.join("seduta.flv");
    crate::helpers::make_flv(&source);
    let agenda = root.join("odg.txt");
    std::fs::write(&agenda, "1. Apertura\n2. Bilancio\n").unwrap();
    crate::helpers::Ingest::new(&data_dir)
        .file(&source)
        .agenda(&agenda)
        .body("Consiglio comunale")
        .date("2011-02-03")
        .title("Seduta per il contratto")
        .assert_success();
    let token = admin_token(&data_dir);
    // Live sessions on, so arming one is an operation that succeeds.
    let live = format!("127.0.0.1:{}", crate::helpers::free_port());
    let app = spawn_app_with(&data_dir, |c| {
        c.live_rtmp = Some(live.parse().unwrap());
        c.live_captions = false;
    })
    .await;
    let stdout = schemathesis(
        app.address.clone(),
        [
            "--include-path-regex",
            "/admin/",
            // ignored_auth sends a wrong token to every operation, and ten wrong tokens
            // lock the address out for a minute, as they should (ops.rs tests the lock,
            // admin.rs the 401s): the rest of the run would only see 429s.
            "--exclude-checks",
            "ignored_auth",
            "--max-examples",
            "30",
            "--header",
            &format!("Authorization: Bearer {token}"),
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert!(stdout.contains("Tested: 26"), "{stdout}");
}
