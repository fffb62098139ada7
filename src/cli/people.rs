//! `aula people` and `aula votes`: the roster and the vote files are checked and stored by
//! the library (`aula::people`); here they are read from the file and what happened is
//! printed, every problem with the file's name.

use std::path::Path;

use anyhow::{bail, Context};

use aula::import::{read_rows, Problem};
use aula::people::{reading, roster, votes};
use aula::{Archive, Config};

use super::{PeopleAction, VotesAction};

fn read_file<T: serde::de::DeserializeOwned>(file: &Path) -> anyhow::Result<Vec<(usize, T)>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    read_rows::<T>(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

fn refuse(file: &Path, problems: &[Problem]) -> anyhow::Result<()> {
    for p in problems {
        eprintln!("{}: {p}", file.display());
    }
    bail!(
        "{}: {} problem(s); nothing imported",
        file.display(),
        problems.len()
    )
}

pub async fn people(config: Config, action: PeopleAction) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    let catalog = &archive.catalog;
    match action {
        PeopleAction::Import { file, dry_run } => {
            let rows = read_file::<roster::RawRole>(&file)?;
            let done = match roster::import(catalog, rows, dry_run).await? {
                Ok(done) => done,
                Err(problems) => return refuse(&file, &problems),
            };
            let verb = if dry_run { "would import" } else { "imported" };
            println!(
                "{}: {verb} {} people ({} new), {} roles",
                file.display(),
                done.people,
                done.new_people,
                done.roles
            );
            if !dry_run {
                print_readings(&reading::read_all(catalog).await?);
            }
        }
        PeopleAction::Read { sessions } => {
            let all = if sessions.is_empty() {
                reading::read_all(catalog).await?
            } else {
                let mut all = Vec::new();
                for id in sessions {
                    if catalog.session(id).await?.is_none() {
                        bail!("there is no session {id}");
                    }
                    all.push((id, reading::read_session(catalog, id).await?));
                }
                all
            };
            print_readings(&all);
        }
    }
    Ok(())
}

fn print_readings(all: &[(i64, reading::Reading)]) {
    for (id, r) in all {
        println!(
            "session {id}: {} speaker turns ({} named), {} present, {} absent, {} votes{}",
            r.turns,
            r.named_turns,
            r.present,
            r.absent,
            r.votes,
            if r.unresolved.is_empty() {
                String::new()
            } else {
                format!("; nobody or several fit: {}", r.unresolved.join(", "))
            }
        );
    }
}

pub async fn votes(config: Config, action: VotesAction) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    let VotesAction::Import { file, dry_run } = action;
    let rows = read_file::<votes::RawVoteRow>(&file)?;
    let done = match votes::import(&archive.catalog, rows, dry_run).await? {
        Ok(done) => done,
        Err(problems) => return refuse(&file, &problems),
    };
    let verb = if dry_run { "would import" } else { "imported" };
    println!(
        "{}: {verb} {} votes ({} personal votes) and {} roll-call entries in {} sessions",
        file.display(),
        done.votes,
        done.people_votes,
        done.attendance,
        done.sessions
    );
    for id in done.kept_editor {
        println!("session {id}: kept as an editor set it");
    }
    Ok(())
}
