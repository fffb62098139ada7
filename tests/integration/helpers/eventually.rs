//! Waiting for what the archive does in the background (the index catching up, a job
//! finishing, a process starting): one poll loop for the whole suite, so every wait has a
//! deadline and a timeout says what it waited for and what it saw last. Nothing here knows
//! about aula.

use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

/// How often a check runs: often enough to catch a state that lasts a fraction of a second,
/// rarely enough to leave the server under test the CPU.
const EVERY: Duration = Duration::from_millis(50);

/// Runs `check` until it gives `Ok`, and returns that; `Err` carries what was seen, to keep
/// waiting. Panics with `what` and the last value seen once `timeout` has passed.
pub async fn eventually<T, Seen: Debug, Fut>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Fut,
) -> T
where
    Fut: Future<Output = Result<T, Seen>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let seen = match check().await {
            Ok(done) => return done,
            Err(seen) => seen,
        };
        if Instant::now() >= deadline {
            panic!("{what}: still not so after {timeout:?}; last seen: {seen:?}");
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// `eventually` for a check that blocks (a file appearing, a child process), run from a
/// plain `#[test]`.
pub fn eventually_blocking<T, Seen: Debug>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, Seen>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = match check() {
            Ok(done) => return done,
            Err(seen) => seen,
        };
        if Instant::now() >= deadline {
            panic!("{what}: still not so after {timeout:?}; last seen: {seen:?}");
        }
        std::thread::sleep(EVERY);
    }
}
