//! The operator's commands: `jobs`, `token`, `reindex`, `doctor`, `backup`, `restore` and
//! `fixity`. Each calls the library once and prints its answer; a non-zero exit says
//! something needs a person.

use std::path::Path;

use anyhow::{bail, Context};

use aula::maintenance::{self, Status};
use aula::{Archive, Config};

pub async fn jobs(
    config: Config,
    state: Option<aula::domain::JobState>,
    retry: Option<i64>,
) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    if let Some(id) = retry {
        if !archive.catalog.requeue_job(id).await? {
            bail!("job {id} is not a failed job");
        }
        eprintln!("job {id} queued again");
        return Ok(());
    }
    for count in archive.catalog.job_counts().await? {
        eprintln!("{}: {}", count.state, count.jobs);
    }
    for j in archive.catalog.jobs(state, 100).await? {
        println!(
            "{:>6}  {:<10} {:<8} session {:<6} attempt {}/{}  {:>5.1}%  {}",
            j.id,
            j.kind,
            j.state,
            j.session_id.map_or("-".into(), |s| s.to_string()),
            j.attempts,
            j.max_attempts,
            j.progress.unwrap_or(0.0),
            j.error.unwrap_or_default()
        );
    }
    Ok(())
}

pub async fn create_token(config: Config, name: &str) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    let token = aula::auth::new_token().context("reading the system's randomness")?;
    archive
        .catalog
        .add_token(name, &aula::auth::token_hash(&token))
        .await?;
    println!("{token}");
    eprintln!("token for {name:?} created; keep it safe, it is not shown again");
    Ok(())
}

pub async fn reindex(config: Config) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    archive.catalog.request_reindex().await?;
    match aula::search::SearchIndex::open(&archive.config.index_dir()) {
        Ok(index) => {
            let n = index.rebuild(&archive.catalog).await?;
            eprintln!("search index rebuilt: {n} sessions");
        }
        // A server holds this index: it sees the request and rebuilds it itself.
        Err(e) => eprintln!(
            "the index in {} is in use ({e}); the running server rebuilds it within seconds",
            archive.config.index_dir().display()
        ),
    }
    Ok(())
}

pub async fn doctor(config: &Config) -> anyhow::Result<()> {
    let checks = maintenance::doctor(config).await;
    let mut failed = 0;
    for c in &checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => {
                failed += 1;
                "FAIL"
            }
        };
        println!("{mark} {:<20} {}", c.what, c.detail);
        if !c.fix.is_empty() {
            println!("     {:<20} → {}", "", c.fix);
        }
    }
    if failed > 0 {
        bail!("{failed} check(s) failed: aula cannot work fully on this machine");
    }
    Ok(())
}

pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<()> {
    let report = maintenance::backup(config, dir).await?;
    println!(
        "{} ({} bytes, sha256 {})",
        report.catalog_file.display(),
        report.bytes,
        report.sha256
    );
    eprintln!(
        "catalog backed up; see {}/README.txt to restore",
        dir.display()
    );
    Ok(())
}

pub async fn restore(config: &Config, dir: &Path) -> anyhow::Result<()> {
    let from = maintenance::restore(config, dir).await?;
    eprintln!(
        "catalog restored from {}; search indexes rebuild from it when servers start",
        from.display()
    );
    Ok(())
}

pub async fn fixity(config: Config) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    let started = std::time::Instant::now();
    let report = maintenance::fixity(&archive.config, &archive.catalog).await?;
    for p in &report.problems {
        println!(
            "{}\t{} {} of session {}\t{}",
            p.problem, p.file.kind, p.file.id, p.file.session_id, p.file.stored_path
        );
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} files, {:.1} MB re-hashed in {secs:.1} s: {} problem(s)",
        report.checked,
        report.bytes as f64 / 1e6,
        report.problems.len()
    );
    if !report.problems.is_empty() {
        bail!("{} original(s) changed or vanished", report.problems.len());
    }
    Ok(())
}
