//! Jobs: the durable work queued in the catalog and run by workers. `queue` is the
//! library's side of the catalog's job table (claim, finish, retry, give back, follow),
//! `worker` the loop that claims jobs and hands each to its kind, `transcode` the one kind
//! there is so far (a recording made into a published media version), `lease` the renewal
//! that every running job keeps up. A new kind (speech-to-text is next) is a module beside
//! `transcode` and one arm in `worker::run_kind`.
//!
//! Jobs use `crate::ingest` (probe, plan, ffmpeg) and `crate::storage`; neither of those
//! knows about jobs. No HTTP here.

pub mod lease;
pub mod queue;
pub mod transcode;
pub mod worker;

pub use transcode::{plan_for, JobError, Published};
pub use worker::{run, run_or_follow, Outcome};
