//! `aula import` and `aula legacy`: the old portal's catalog and its addresses. The rows
//! are checked and imported by the library (`aula::import`, `aula::legacy`); here they
//! are read from the file, and every problem is printed with the file's name.

use std::path::Path;

use anyhow::{bail, Context};

use aula::import::{self, ImportRow, Problem, Report, RowOutcome};
use aula::{Archive, Config};

use super::LegacyAction;

pub async fn import(
    config: Config,
    file: &Path,
    dry_run: bool,
    skip_bad: bool,
) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let rows = import::read_rows::<import::RawRow>(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let total = rows.len();
    let (good, problems) = import::check_rows(&archive, rows, base).await;
    for p in &problems {
        eprintln!("{}: {p}", file.display());
    }
    // What the admin pages show as the last import, whatever its outcome.
    let last = LastImport {
        archive: &archive,
        file,
        dry_run,
        rows: total,
        problems: &problems,
    };
    if !problems.is_empty() && !skip_bad {
        last.record(0, 0, "refused: nothing imported").await;
        bail!(
            "{}: {} problem(s) in {total} rows; nothing imported (fix them, or --skip-bad to import the good rows)",
            file.display(),
            problems.len()
        );
    }
    if dry_run {
        print_dry_run(&good, total);
        last.record(0, 0, "dry run: nothing changed").await;
        return Ok(());
    }
    let done = match import::import_rows(&archive, &good).await {
        Ok(done) => done,
        Err(e) => {
            last.record(0, 0, &format!("failed: {e}")).await;
            bail!("{}: {e}", file.display());
        }
    };
    let created = done
        .iter()
        .filter(|(_, o)| matches!(o, RowOutcome::Created { .. }))
        .count();
    println!(
        "{created} sessions created (transcodes queued for `aula serve` or `aula worker`), {} already in the archive, {} rows skipped",
        done.len() - created,
        total - good.len()
    );
    last.record(created, done.len() - created, "imported").await;
    Ok(())
}

/// One run of `aula import`, to be stored as the last import once its outcome is known.
struct LastImport<'a> {
    archive: &'a Archive,
    file: &'a Path,
    dry_run: bool,
    rows: usize,
    problems: &'a [Problem],
}

impl LastImport<'_> {
    async fn record(&self, imported: usize, unchanged: usize, outcome: &str) {
        let report = Report {
            rows: self.rows,
            imported,
            unchanged,
            skipped: self.problems.len(),
            outcome: outcome.to_string(),
            problems: self.problems.to_vec(),
        };
        let file = self.file.display().to_string();
        if let Err(e) = import::store_report(self.archive, &file, self.dry_run, &report).await {
            eprintln!("the import report could not be stored: {e}");
        }
    }
}

fn print_dry_run(good: &[ImportRow], total: usize) {
    for row in good {
        println!(
            "line {}: {} {} {:?}, {} part(s), {} document(s), {} old URL(s)",
            row.line,
            row.submission.date.iso(),
            row.submission.body.as_str(),
            row.submission.title.as_str(),
            row.submission.parts.len(),
            row.submission.documents.len(),
            row.old_urls.len()
        );
    }
    println!(
        "{} of {total} rows would be imported (dry run: nothing changed)",
        good.len()
    );
}

pub async fn legacy(config: Config, action: LegacyAction) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    match action {
        LegacyAction::Import { file, dry_run } => legacy_import(&archive, &file, dry_run).await,
        LegacyAction::Report { limit } => legacy_report(&archive, limit).await,
    }
}

async fn legacy_import(archive: &Archive, file: &Path, dry_run: bool) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mappings = match aula::legacy::parse_list(&text) {
        Ok(m) => m,
        Err(errors) => {
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            bail!(
                "{}: {} bad line(s); nothing imported",
                file.display(),
                errors.len()
            );
        }
    };
    let links = aula::legacy::links(&mappings);
    if dry_run {
        let new = aula::legacy::count_new(&archive.catalog, &links).await?;
        println!(
            "{} mappings read; {new} would be added (dry run: nothing changed)",
            links.len()
        );
        return Ok(());
    }
    match archive.catalog.add_legacy_links(&links).await? {
        aula::catalog::LegacyImport::Added { added, unchanged } => {
            println!("{added} mappings added, {unchanged} already there");
            Ok(())
        }
        aula::catalog::LegacyImport::Conflicts(conflicts) => {
            for c in &conflicts {
                eprintln!("{}: {c}", file.display());
            }
            bail!(
                "{} address(es) already lead elsewhere; nothing imported",
                conflicts.len()
            )
        }
    }
}

async fn legacy_report(archive: &Archive, limit: i64) -> anyhow::Result<()> {
    let rows = archive.catalog.unmapped_report(limit).await?;
    if rows.is_empty() {
        eprintln!("no unknown address has been requested");
    }
    for r in rows {
        let last = chrono::DateTime::from_timestamp(r.last_seen, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        println!("{:>7}  {last}  {}", r.hits, r.path);
    }
    Ok(())
}
