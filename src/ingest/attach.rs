//! Attaching documents to a session: each original is stored under its SHA-256, its text
//! extracted, agenda points, transcript cues and agenda times read out of it, and all of it
//! recorded in the catalog. A document that cannot be read is still kept, with the reason;
//! it never stops the rest of an ingest.

use std::path::{Path, PathBuf};

use crate::archive::Archive;
use crate::catalog::{CatalogError, NewCue, NewDocument};
use crate::documents::extract::{self, Tools};
use crate::documents::{self, timed_agenda, transcript};

use super::store;

pub use crate::domain::DocumentKind;

/// How attaching one document went, for the clerk's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub file: PathBuf,
    pub kind: DocumentKind,
    /// None when all went well; otherwise what was wrong (the original is kept anyway).
    pub problem: Option<String>,
    /// e.g. "5 agenda items", "312 cues", "text recognised by OCR"
    pub summary: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("{file}: cannot store the document: {source}")]
    Store {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Stores `file` as a document of `session_id` and reads what it can out of it.
pub async fn attach(
    archive: &Archive,
    session_id: i64,
    kind: DocumentKind,
    file: &Path,
) -> Result<Attached, AttachError> {
    let store_err = |source| AttachError::Store {
        file: file.to_owned(),
        source,
    };
    let bytes = tokio::fs::read(file).await.map_err(store_err)?;
    let stored = store::store_original_async(file, archive.data_dir())
        .await
        .map_err(store_err)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut agenda: Vec<(Option<String>, String)> = Vec::new();
    let mut cues: Vec<transcript::Cue> = Vec::new();
    let mut timed: Vec<timed_agenda::TimedItem> = Vec::new();
    let (text, media_type, state, note, summary) = match kind {
        DocumentKind::Transcript | DocumentKind::TimedAgenda => {
            let parsed = documents::decode_text(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    if kind == DocumentKind::Transcript {
                        cues = transcript::parse(&text).map_err(|e| e.to_string())?;
                    } else {
                        timed = timed_agenda::parse(&text).map_err(|e| e.to_string())?;
                    }
                    Ok(text)
                });
            match parsed {
                Ok(text) => {
                    let summary = if kind == DocumentKind::Transcript {
                        format!("{} cues", cues.len())
                    } else {
                        format!("{} timed agenda items", timed.len())
                    };
                    (Some(text), "text/plain; charset=utf-8", "ok", None, summary)
                }
                Err(reason) => (None, "text/plain", "failed", Some(reason), String::new()),
            }
        }
        _ => match extract::extract(&bytes, &name, &Tools::default()).await {
            Ok(found) => {
                let mut summary = format!("{} characters of text", found.text.chars().count());
                if kind == DocumentKind::Agenda {
                    agenda = documents::agenda_items(&found.text);
                    summary = format!("{} agenda items", agenda.len());
                }
                if let Some(note) = &found.note {
                    summary.push_str(&format!(" ({note})"));
                }
                (
                    Some(found.text),
                    found.media_type,
                    "ok",
                    found.note,
                    summary,
                )
            }
            Err(e) => {
                let state = if matches!(
                    e,
                    extract::ExtractError::NoText(_) | extract::ExtractError::Empty
                ) {
                    "empty"
                } else {
                    "failed"
                };
                let media_type = extract::detect(&bytes, &name)
                    .map(|f| f.media_type())
                    .unwrap_or("application/octet-stream");
                (None, media_type, state, Some(e.to_string()), String::new())
            }
        },
    };
    let document_id = archive
        .catalog
        .add_document(
            session_id,
            &NewDocument {
                kind,
                original_name: &name,
                sha256: &stored.sha256,
                size_bytes: bytes.len() as i64,
                stored_path: &stored.relative_path,
                media_type,
                text: text.as_deref(),
                extraction_state: state,
                extraction_note: note.as_deref(),
            },
            &agenda,
        )
        .await?;
    if !cues.is_empty() {
        let rows: Vec<NewCue> = cues
            .iter()
            .map(|c| NewCue {
                start_ms: c.start_ms as i64,
                end_ms: c.end_ms as i64,
                speaker: c.speaker.as_deref(),
                text: &c.text,
            })
            .collect();
        archive
            .catalog
            .add_cues(session_id, document_id, &rows)
            .await?;
    }
    if !timed.is_empty() {
        let items: Vec<(Option<String>, String, i64)> = timed
            .iter()
            .map(|t| (t.number.clone(), t.title.clone(), t.start_ms as i64))
            .collect();
        archive.catalog.set_timed_agenda(session_id, &items).await?;
    }
    let problem = if state == "ok" { None } else { note };
    Ok(Attached {
        file: file.to_owned(),
        kind,
        problem,
        summary,
    })
}
