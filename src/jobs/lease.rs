//! The lease a running job keeps up: renewed every third of its length with the latest
//! progress, for any kind of job. Losing it (another worker took the job over) stops the
//! job's process and makes its result count for nothing. No decisions about the job here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::catalog::{Catalog, JobProgress};
use crate::ingest::transcode::Progress;

/// A lease being renewed in the background until this is dropped.
pub struct Lease {
    renewal: tokio::task::JoinHandle<()>,
    lost: Arc<AtomicBool>,
    progress: tokio::sync::watch::Sender<Option<Progress>>,
}

impl Lease {
    /// Starts renewing `owner`'s lease on `job_id`; losing it also sets `cancel`.
    pub fn keep(
        catalog: Catalog,
        job_id: i64,
        owner: String,
        lease_seconds: i64,
        cancel: Arc<AtomicBool>,
    ) -> Lease {
        let (progress, rx) = tokio::sync::watch::channel(None::<Progress>);
        let lost = Arc::new(AtomicBool::new(false));
        let renewal = tokio::spawn(heartbeat(
            catalog,
            job_id,
            owner,
            lease_seconds,
            rx,
            Arc::clone(&lost),
            cancel,
        ));
        Lease {
            renewal,
            lost,
            progress,
        }
    }

    /// Whether another worker holds the job now.
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// Where the job's progress goes to be recorded with the next renewal.
    pub fn progress(&self) -> tokio::sync::watch::Sender<Option<Progress>> {
        self.progress.clone()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

/// Renews the lease every third of its length and records the latest progress. Sets
/// `lost` and `cancel` if the catalog says this worker no longer holds the job.
async fn heartbeat(
    catalog: Catalog,
    job_id: i64,
    owner: String,
    lease_seconds: i64,
    rx: tokio::sync::watch::Receiver<Option<Progress>>,
    lost: Arc<AtomicBool>,
    cancel: Arc<AtomicBool>,
) {
    let every = Duration::from_millis((lease_seconds.max(1) as u64 * 1000 / 3).clamp(200, 10_000));
    let mut ticker = tokio::time::interval(every);
    loop {
        // Progress arrives many times a second; one write per tick is enough. The loop
        // runs until the job aborts it, after ffmpeg's last report too.
        ticker.tick().await;
        let latest = *rx.borrow();
        let report = latest.map(|p| JobProgress {
            percent: p.percent(),
            speed: p.speed,
            eta_seconds: p.eta_seconds(),
        });
        match catalog
            .job_progress(job_id, &owner, report.as_ref(), lease_seconds)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                lost.store(true, Ordering::Release);
                cancel.store(true, Ordering::Release);
                return;
            }
            // The catalog may be briefly unreachable; the lease covers a few misses.
            Err(e) => tracing::warn!("job {job_id}: cannot renew the lease: {e}"),
        }
    }
}
