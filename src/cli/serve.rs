//! `aula serve`, `aula worker` and `aula demo`: the long-running commands, and how they
//! stop (Ctrl-C or SIGTERM, running jobs given back to the queue).

use std::io::Write;
use std::sync::Arc;

use aula::batch::Feedback;
use aula::http::Application;
use aula::{Archive, Config};

use super::ingest::Terminal;

pub async fn serve(mut config: Config, listen: Option<String>, worker: bool) -> anyhow::Result<()> {
    if let Some(listen) = listen {
        config.set_listen(&listen)?;
    }
    run_server(Archive::open(config).await?, worker).await
}

pub async fn worker(config: Config) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        wait_for_stop_signal().await;
        eprintln!("stopping: giving running jobs back to the queue");
        let _ = stop.send(true);
    });
    aula::jobs::run(archive, stopped).await;
    Ok(())
}

pub async fn demo(
    mut config: Config,
    listen: Option<String>,
    no_serve: bool,
) -> anyhow::Result<()> {
    if let Some(listen) = listen {
        config.set_listen(&listen)?;
    }
    let archive = Archive::open(config).await?;
    let feedback: Arc<dyn Feedback> = Arc::new(Terminal);
    aula::demo::ingest_all(&archive, &feedback).await?;
    if no_serve {
        return Ok(());
    }
    run_server(archive, true).await
}

async fn run_server(archive: Archive, with_worker: bool) -> anyhow::Result<()> {
    let app = Application::build(archive.clone()).await?;
    // Printed on stdout so scripts (and tests) can read the bound address.
    println!("aula is serving the archive at {}", app.address());
    let _ = std::io::stdout().flush();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = with_worker.then(|| tokio::spawn(aula::jobs::run(archive, stopped)));
    let served = app.run_until_stopped().await;
    // The server stops on Ctrl-C or SIGTERM; running jobs go back to the queue.
    let _ = stop.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    served?;
    Ok(())
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
