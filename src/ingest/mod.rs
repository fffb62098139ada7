//! Ingest: a recording (one file, or several parts of one session) becomes archived
//! originals, a session in the catalog and a durable transcode job. Bad input is refused
//! before anything is written. The media tools live here too (probe, plan, ffmpeg runs,
//! HLS playlists); running the job is `crate::jobs`, which depends on this module and
//! never the reverse.

pub mod analyse;
pub mod attach;
pub mod hls;
pub mod plan;
pub mod probe;
pub mod transcode;

/// Originals are kept by the storage room; the old path stays for its callers.
pub use crate::storage::originals as store;

use std::path::PathBuf;

use crate::archive::Archive;
use crate::catalog::{BodyName, CatalogError, NewRecording, NewSession, SessionDate, SessionTitle};
use probe::ProbeError;
pub use transcode::Progress;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{file}: no such file")]
    Missing { file: PathBuf },
    #[error("{file}: not a regular file")]
    NotAFile { file: PathBuf },
    #[error("{file}: {source}")]
    Probe { file: PathBuf, source: ProbeError },
    #[error("{file}: cannot read this document: {reason}")]
    Document { file: PathBuf, reason: String },
    #[error(transparent)]
    Attach(#[from] attach::AttachError),
    #[error("{file}: cannot store the original: {source}")]
    Store {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file} is already archived as part of session {session_id}")]
    PartOfAnother { file: PathBuf, session_id: i64 },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// A recording offered to the archive, with what the clerk says about it.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The recording: one file, or the parts of a session recorded in several, in order.
    pub parts: Vec<PathBuf>,
    pub body: BodyName,
    pub date: SessionDate,
    pub title: SessionTitle,
    pub kind: String,
    /// Agenda, minutes, transcript… each kept and read; one that cannot be read is kept
    /// with the reason and does not stop the ingest.
    pub documents: Vec<(attach::DocumentKind, PathBuf)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// A new session with a queued transcode job, and how its documents went.
    Queued {
        session_id: i64,
        job_id: i64,
        documents: Vec<attach::Attached>,
    },
    /// The same content is archived already; nothing was created.
    AlreadyArchived { session_id: i64 },
}

/// Checks and records a submission: probe every part, check the documents exist, store
/// the originals, create the session and its job. Nothing is written unless every check
/// passes; the same recording submitted again creates nothing.
pub async fn submit(archive: &Archive, sub: &Submission) -> Result<Submitted, IngestError> {
    let mut probed = Vec::with_capacity(sub.parts.len());
    for file in &sub.parts {
        probed.push(probe_part(archive, file).await?);
    }
    check_documents_exist(&sub.documents).await?;
    let stored = store_parts(archive, &sub.parts).await?;
    let forget = || discard_unreferenced(archive, &stored);
    let mut known = Vec::new();
    for (s, file) in stored.iter().zip(&sub.parts) {
        if let Some(session_id) = archive.catalog.session_with_recording(&s.sha256).await? {
            known.push((session_id, file));
        }
    }
    if let Some(outcome) = archived_before(&known, stored.len()) {
        forget().await;
        return outcome;
    }
    let names = part_names(&sub.parts);
    let recordings = recording_rows(&stored, &probed, &names);
    let created = archive
        .catalog
        .create_session(
            &NewSession {
                body: &sub.body,
                date: sub.date,
                title: &sub.title,
                kind: &sub.kind,
                number: None,
            },
            &recordings,
            "{}",
        )
        .await;
    let crate::catalog::CreatedSession { session_id, job_id } = match created {
        Ok(ids) => ids,
        Err(e) => {
            forget().await;
            return Err(e.into());
        }
    };
    let mut documents = Vec::with_capacity(sub.documents.len());
    for (kind, path) in &sub.documents {
        documents.push(attach::attach(archive, session_id, *kind, path).await?);
    }
    Ok(Submitted::Queued {
        session_id,
        job_id,
        documents,
    })
}

/// A mistyped document path stops the ingest before anything is written; a document
/// that exists but cannot be read is kept with the reason (see `attach`).
async fn check_documents_exist(
    documents: &[(attach::DocumentKind, PathBuf)],
) -> Result<(), IngestError> {
    for (_, path) in documents {
        let reason = match tokio::fs::metadata(path).await {
            Ok(m) if m.is_file() => continue,
            Ok(_) => "not a regular file".to_string(),
            Err(e) => e.to_string(),
        };
        return Err(IngestError::Document {
            file: path.clone(),
            reason,
        });
    }
    Ok(())
}

/// Stores every part's original; if one fails, the ones this call wrote are discarded.
async fn store_parts(
    archive: &Archive,
    parts: &[PathBuf],
) -> Result<Vec<store::Stored>, IngestError> {
    let mut stored = Vec::with_capacity(parts.len());
    for file in parts {
        match store::store_original_async(file, archive.data_dir()).await {
            Ok(s) => stored.push(s),
            Err(source) => {
                discard_unreferenced(archive, &stored).await;
                return Err(IngestError::Store {
                    file: file.clone(),
                    source,
                });
            }
        }
    }
    Ok(stored)
}

/// Given the parts some session already holds (`known`, as (session, part)) out of
/// `parts` in all: the same recording again is not an error, a part of another session is.
/// None when no part is archived yet.
fn archived_before(
    known: &[(i64, &PathBuf)],
    parts: usize,
) -> Option<Result<Submitted, IngestError>> {
    let (session_id, file) = known.first()?;
    if known.len() == parts && known.iter().all(|(id, _)| id == session_id) {
        return Some(Ok(Submitted::AlreadyArchived {
            session_id: *session_id,
        }));
    }
    Some(Err(IngestError::PartOfAnother {
        file: (*file).clone(),
        session_id: *session_id,
    }))
}

/// The catalog rows for the parts: where each is stored, what ffprobe said, how long it is.
fn recording_rows<'a>(
    stored: &'a [store::Stored],
    probed: &'a [(probe::Probe, String)],
    names: &'a [String],
) -> Vec<NewRecording<'a>> {
    stored
        .iter()
        .zip(probed)
        .zip(names)
        .map(|((s, (probe, json)), name)| NewRecording {
            sha256: &s.sha256,
            original_name: name,
            size_bytes: s.size as i64,
            stored_path: &s.relative_path,
            duration_ms: Some((probe.duration_s * 1000.0).round() as i64),
            probe_json: json,
        })
        .collect()
}

/// Each part's file name, as the clerk gave it.
fn part_names(parts: &[PathBuf]) -> Vec<String> {
    parts
        .iter()
        .map(|f| {
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// Adds `file` as the next part of an existing session's recording (an upload through the
/// admin API) and queues its transcode. Returns (part number, job id). Nothing is kept
/// unless ffprobe reads it and no session holds it already.
pub async fn add_recording(
    archive: &Archive,
    session_id: i64,
    file: &PathBuf,
    original_name: &str,
) -> Result<(i64, i64), IngestError> {
    let (probe, json) = probe_part(archive, file).await?;
    let stored = store::store_original_async(file, archive.data_dir())
        .await
        .map_err(|source| IngestError::Store {
            file: file.clone(),
            source,
        })?;
    let forget = || discard_unreferenced(archive, std::slice::from_ref(&stored));
    if let Some(holder) = archive
        .catalog
        .session_with_recording(&stored.sha256)
        .await?
    {
        forget().await;
        return Err(IngestError::PartOfAnother {
            file: PathBuf::from(original_name),
            session_id: holder,
        });
    }
    let added = archive
        .catalog
        .add_recording_part(
            session_id,
            &NewRecording {
                sha256: &stored.sha256,
                original_name,
                size_bytes: stored.size as i64,
                stored_path: &stored.relative_path,
                duration_ms: Some((probe.duration_s * 1000.0).round() as i64),
                probe_json: &json,
            },
        )
        .await;
    if added.is_err() {
        forget().await;
    }
    Ok(added?)
}

/// Removes originals this attempt wrote that no catalog row points at. Content-addressed
/// files are shared: a concurrent upload of the same file may have claimed one already,
/// and then it stays.
async fn discard_unreferenced(archive: &Archive, stored: &[store::Stored]) {
    for s in stored.iter().filter(|s| s.newly_written) {
        match archive.catalog.is_stored_path_used(&s.relative_path).await {
            Ok(false) => {
                let _ = tokio::fs::remove_file(archive.data_path(&s.relative_path)).await;
            }
            Ok(true) => {}
            Err(e) => tracing::warn!(
                "{}: kept, since the catalog could not say whether it is used: {e}",
                s.relative_path
            ),
        }
    }
}

/// Probes one part: it must be a regular, non-empty file ffprobe reads as a recording.
async fn probe_part(
    archive: &Archive,
    file: &PathBuf,
) -> Result<(probe::Probe, String), IngestError> {
    let meta = tokio::fs::metadata(file)
        .await
        .map_err(|_| IngestError::Missing { file: file.clone() })?;
    if !meta.is_file() {
        return Err(IngestError::NotAFile { file: file.clone() });
    }
    let (mut probe, json) = probe::probe_file(&archive.config.ffprobe, file)
        .await
        .map_err(|source| IngestError::Probe {
            file: file.clone(),
            source,
        })?;
    if !probe.duration_declared {
        // No length in the file (a header never completed): decode it to learn how much
        // there is; refuse it only if nothing decodes.
        let streams: Vec<u32> = probe
            .video
            .as_ref()
            .map(|v| v.index)
            .into_iter()
            .chain(probe.audio.as_ref().map(|a| a.index))
            .collect();
        let decoded = analyse::decode_check(
            &archive.config.ffmpeg,
            file,
            None,
            &streams,
            // Its length is what we are finding out: allow as much as for an hour's source.
            archive.config.transcode_timeout(3600.0),
        )
        .await
        .map_err(|e| IngestError::Probe {
            file: file.clone(),
            source: ProbeError::Process(e),
        })?;
        if decoded.duration_s < 1.0 {
            return Err(IngestError::Probe {
                file: file.clone(),
                source: ProbeError::NotMedia(format!(
                    "the file states no length and only {:.1} s of it can be decoded",
                    decoded.duration_s
                )),
            });
        }
        probe.duration_s = decoded.duration_s;
    }
    Ok((probe, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archived_before_tells_a_resubmission_from_a_part_of_another_session() {
        let (a, b) = (PathBuf::from("a.mp4"), PathBuf::from("b.mp4"));
        assert!(archived_before(&[], 2).is_none());
        assert!(matches!(
            archived_before(&[(7, &a), (7, &b)], 2),
            Some(Ok(Submitted::AlreadyArchived { session_id: 7 }))
        ));
        // Only some parts known: the first one found is named.
        match archived_before(&[(7, &b)], 2) {
            Some(Err(IngestError::PartOfAnother { file, session_id })) => {
                assert_eq!((file, session_id), (b.clone(), 7))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            archived_before(&[(7, &a), (8, &b)], 2),
            Some(Err(IngestError::PartOfAnother { session_id: 7, .. }))
        ));
    }

    #[test]
    fn recording_rows_pair_each_stored_part_with_its_probe_and_name() {
        let stored = [store::Stored {
            sha256: "ab12".into(),
            size: 2048,
            relative_path: "originals/ab/ab12.flv".into(),
            newly_written: true,
        }];
        let probed = [(
            probe::Probe {
                container: "flv".into(),
                duration_s: 61.2346,
                duration_declared: true,
                video: None,
                audio: None,
            },
            "{\"format\":{}}".to_string(),
        )];
        let names = ["seduta.flv".to_string()];
        let rows = recording_rows(&stored, &probed, &names);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r.sha256, r.original_name, r.size_bytes),
            ("ab12", "seduta.flv", 2048)
        );
        assert_eq!(r.stored_path, "originals/ab/ab12.flv");
        // Rounded to the millisecond, not truncated.
        assert_eq!(r.duration_ms, Some(61_235));
        assert_eq!(r.probe_json, "{\"format\":{}}");
    }

    #[test]
    fn part_names_are_the_file_names() {
        let parts = [PathBuf::from("/in/part 1.mp4"), PathBuf::from("/")];
        assert_eq!(
            part_names(&parts),
            vec!["part 1.mp4".to_string(), String::new()]
        );
    }
}
