//! Demo archive: short recordings in the legacy formats town halls actually hold, made
//! with ffmpeg's lavfi sources, each with a small Italian agenda and an Italian sentence
//! spoken by Festival (`text2wave`, Debian's `festival` with its Italian voices) so the
//! speech engine has something to caption and search; without Festival, a tone. Only for
//! `aula demo` and tests; nothing here is used when serving a real archive.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::archive::Archive;
use crate::batch::{self, Feedback, FileResult};
use crate::catalog::{BodyName, SessionDate, SessionTitle};
use crate::ingest::attach::DocumentKind;
use crate::ingest::Submission;
use crate::process::{self, ProcessError};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("generating the demo recording {file}: {source}")]
    Generate { file: String, source: ProcessError },
    #[error("demo recording {file}: {reason}")]
    Ingest { file: String, reason: String },
}

/// Makes every demo recording (in the data directory's `demo-sources/`) and ingests it
/// with its agenda, transcoding here; a second run finds them archived and does nothing.
pub async fn ingest_all(archive: &Archive, feedback: &Arc<dyn Feedback>) -> Result<(), DemoError> {
    let dir = archive.data_dir().join("demo-sources");
    for rec in RECORDINGS {
        let failed = |reason: String| DemoError::Ingest {
            file: rec.file_name.into(),
            reason,
        };
        let (file, agenda, minutes) =
            rec.generate(&archive.config.ffmpeg, &dir)
                .await
                .map_err(|source| DemoError::Generate {
                    file: rec.file_name.into(),
                    source,
                })?;
        let sub = Submission {
            parts: vec![file],
            body: BodyName::parse(rec.body).map_err(|e| failed(e.to_string()))?,
            date: SessionDate::parse(rec.date).map_err(|e| failed(e.to_string()))?,
            title: SessionTitle::parse(rec.title).map_err(|e| failed(e.to_string()))?,
            kind: "ordinary".into(),
            documents: std::iter::once((DocumentKind::Agenda, agenda))
                .chain(minutes.map(|m| (DocumentKind::Minutes, m)))
                .collect(),
        };
        if let FileResult::Failed { reason } =
            batch::ingest_one(archive, &sub, false, feedback, true).await
        {
            return Err(failed(reason));
        }
    }
    people(archive).await
}

/// The demo roster: the council of 2007 and its president, the mayor and an assessore.
const ROSTER: &str = "nome;cognome;ruolo;organo;gruppo;delega;dal;al\n\
    Laura;Bianchi;presidente;Consiglio comunale;;;2006-06-01;2011-05-31\n\
    Laura;Bianchi;consigliere;Consiglio comunale;Lista civica;;2006-06-01;2011-05-31\n\
    Marco;Colombo;consigliere;Consiglio comunale;Lista civica;;2006-06-01;2011-05-31\n\
    Giulia;Ferrari;consigliere;Consiglio comunale;Centro;;2006-06-01;2011-05-31\n\
    Andrea;Esposito;consigliere;Consiglio comunale;Insieme per la città;;2006-06-01;2011-05-31\n\
    Paolo;Ricci;consigliere;Consiglio comunale;Insieme per la città;;2006-06-01;2011-05-31\n\
    Sara;Romano;sindaco;;;;2006-06-01;2011-05-31\n\
    Luca;Greco;assessore;;;Urbanistica;2006-06-01;2011-05-31\n";

/// Imports the demo roster (the same rows again change nothing), which reads the
/// sessions' minutes for the roll call and the votes.
async fn people(archive: &Archive) -> Result<(), DemoError> {
    let failed = |reason: String| DemoError::Ingest {
        file: "demo roster".into(),
        reason,
    };
    let rows = crate::import::read_rows(ROSTER).map_err(failed)?;
    match crate::people::roster::import(&archive.catalog, rows, false).await {
        Ok(Ok(_)) => {}
        Ok(Err(problems)) => return Err(failed(format!("{problems:?}"))),
        Err(e) => return Err(failed(e.to_string())),
    }
    crate::people::reading::read_all(&archive.catalog)
        .await
        .map_err(|e| failed(e.to_string()))?;
    Ok(())
}

/// One demo recording: how to make it and what the clerk would say about it.
pub struct DemoRecording {
    pub file_name: &'static str,
    pub body: &'static str,
    pub date: &'static str,
    pub title: &'static str,
    pub agenda: &'static str,
    /// What is said in it.
    pub speech: &'static str,
    /// The minutes' text (roll call and votes), or empty.
    pub minutes: &'static str,
    /// ffmpeg arguments between the inputs and the output file; its sound input is a
    /// lavfi `sine`, replaced by the spoken words when Festival is there.
    ffmpeg_args: &'static [&'static str],
}

/// Seconds of each demo recording: long enough to seek in, short enough to transcode fast.
pub const DEMO_SECONDS: u32 = 12;

pub const RECORDINGS: &[DemoRecording] = &[
    DemoRecording {
        file_name: "consiglio_2007-04-16.flv",
        body: "Consiglio comunale",
        date: "2007-04-16",
        title: "Seduta ordinaria: bilancio di previsione 2007",
        agenda: "ORDINE DEL GIORNO\n\n\
            1. Comunicazioni del Presidente\n\
            2. Approvazione del verbale della seduta precedente\n\
            3. Bilancio di previsione 2007 e relazione previsionale e programmatica\n\
            4. Interrogazioni sulla viabilità del centro storico\n",
        speech: "Buongiorno, apriamo la seduta del consiglio comunale. Il primo punto \
            riguarda il bilancio di previsione.",
        minutes: "VERBALE DELLA SEDUTA DEL 16 APRILE 2007\n\n\
            Risultano presenti i consiglieri: Bianchi Laura, Colombo Marco, Ferrari Giulia, \
            Esposito Andrea.\n\
            Risultano assenti i consiglieri: Ricci Paolo.\n\n\
            Punto n. 2 all'ordine del giorno: Approvazione del verbale della seduta precedente\n\
            Il Consiglio approva con voti unanimi.\n\n\
            Punto n. 3 all'ordine del giorno: Bilancio di previsione 2007\n\
            Presenti n. 4, votanti n. 4, favorevoli n. 3, contrari n. 1, astenuti n. 0.\n\
            La proposta è approvata.\n",
        ffmpeg_args: &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-c:v",
            "flv",
            "-q:v",
            "6",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            "-ar",
            "44100",
        ],
    },
    DemoRecording {
        file_name: "commissione urbanistica 12-03-2009.wmv",
        body: "Commissione Urbanistica",
        date: "2009-03-12",
        title: "Variante al piano regolatore generale: area ex Fornace",
        agenda: "ORDINE DEL GIORNO\n\n\
            1) Variante al piano regolatore generale per l'area ex Fornace\n\
            2) Parere sul piano del traffico urbano\n\
            3) Varie ed eventuali\n",
        speech: "La commissione esamina la variante al piano regolatore per l'area ex Fornace.",
        minutes: "",
        ffmpeg_args: &[
            "-f",
            "lavfi",
            "-i",
            "smptebars=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:sample_rate=44100",
            "-c:v",
            "wmv2",
            "-b:v",
            "400k",
            "-c:a",
            "wmav2",
            "-b:a",
            "64k",
            "-f",
            "asf",
        ],
    },
    DemoRecording {
        file_name: "Commissione_Bilancio_29-11-2004.mpg",
        body: "Commissione Bilancio",
        date: "2004-11-29",
        title: "Assestamento generale di bilancio e tributi locali",
        agenda: "Punto 1 – Assestamento generale del bilancio 2004\n\
            Punto 2 – Tariffe dei tributi locali per l'anno 2005\n\
            Punto 3 – Contributi alle associazioni della città\n",
        speech: "Passiamo all'assestamento del bilancio e alle tariffe dei tributi locali.",
        minutes: "",
        ffmpeg_args: &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=720x576:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=220:sample_rate=48000",
            "-vf",
            "setsar=16/15",
            "-flags",
            "+ilme+ildct",
            "-top",
            "1",
            "-c:v",
            "mpeg2video",
            "-b:v",
            "2500k",
            "-aspect",
            "4:3",
            "-c:a",
            "mp2",
            "-b:a",
            "192k",
            "-ac",
            "2",
            "-f",
            "vob",
        ],
    },
    DemoRecording {
        file_name: "commissione_ambiente_07-06-2011.mp3",
        body: "Commissione Ambiente",
        date: "2011-06-07",
        title: "Qualità dell'aria e mobilità sostenibile",
        agenda: "1. Relazione sulla qualità dell'aria nel territorio comunale\n\
            2. Piano della mobilità sostenibile: piste ciclabili\n\
            3. Perché ridurre il traffico nelle zone scolastiche\n",
        speech: "La relazione sulla qualità dell'aria propone nuove piste ciclabili vicino \
            alle scuole.",
        minutes: "",
        ffmpeg_args: &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=180:sample_rate=44100",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
        ],
    },
];

impl DemoRecording {
    /// Writes the recording and its agenda into `dir` (unless already there, so a second
    /// demo run ingests the same bytes and creates nothing new). Returns both paths.
    pub async fn generate(
        &self,
        ffmpeg: &Path,
        dir: &Path,
    ) -> Result<(PathBuf, PathBuf, Option<PathBuf>), ProcessError> {
        let video = dir.join(self.file_name);
        let agenda = dir.join(format!("{}.odg.txt", self.file_name));
        let minutes = dir.join(format!("{}.verbale.txt", self.file_name));
        let io = |source| ProcessError::Io {
            program: "aula demo".into(),
            source,
        };
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        tokio::fs::write(&agenda, self.agenda).await.map_err(io)?;
        if !self.minutes.is_empty() {
            tokio::fs::write(&minutes, self.minutes).await.map_err(io)?;
        }
        if tokio::fs::metadata(&video).await.is_err() {
            // Keep the extension last: ffmpeg picks the container from it.
            let part = dir.join(format!(".part-{}", self.file_name));
            let mut args: Vec<String> = vec![
                "-hide_banner".into(),
                "-v".into(),
                "error".into(),
                "-y".into(),
            ];
            let voice = self.voice(dir).await;
            args.extend(with_voice(self.ffmpeg_args, voice.as_deref()));
            args.extend([
                "-t".into(),
                DEMO_SECONDS.to_string(),
                "-fflags".into(),
                "+bitexact".into(),
                "-flags:v".into(),
                "+bitexact".into(),
                "-flags:a".into(),
                "+bitexact".into(),
                part.display().to_string(),
            ]);
            process::run(ffmpeg, &args, Duration::from_secs(120)).await?;
            tokio::fs::rename(&part, &video).await.map_err(io)?;
            if let Some(voice) = voice {
                let _ = tokio::fs::remove_file(voice).await;
            }
        }
        Ok((video, agenda, (!self.minutes.is_empty()).then_some(minutes)))
    }

    /// The speech said by Festival into a WAV file in `dir`; None (with a warning) when
    /// Festival is not there, and the recording keeps its tone.
    async fn voice(&self, dir: &Path) -> Option<PathBuf> {
        let text = dir.join(format!(".speech-{}.txt", self.file_name));
        let wav = dir.join(format!(".speech-{}.wav", self.file_name));
        // Festival reads ISO 8859-1; every demo sentence is written in it.
        let latin1: Vec<u8> = self
            .speech
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b' '))
            .collect();
        tokio::fs::write(&text, latin1).await.ok()?;
        let args = [
            "-eval".as_ref(),
            "(voice_pc_diphone)".as_ref(),
            "-o".as_ref(),
            wav.as_os_str(),
            text.as_os_str(),
        ];
        let said = process::run(Path::new("text2wave"), args, Duration::from_secs(60)).await;
        let _ = tokio::fs::remove_file(&text).await;
        match said {
            Ok(_) => Some(wav),
            Err(e) => {
                tracing::warn!("demo recordings get a tone instead of speech: {e}");
                None
            }
        }
    }
}

/// `args` with the lavfi `sine` input replaced by `voice`, padded with silence to the
/// recording's length and at the sine's sample rate, when there is one.
fn with_voice(args: &[&str], voice: Option<&Path>) -> Vec<String> {
    let mut out: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let Some(voice) = voice else {
        return out;
    };
    let Some(at) = args.iter().position(|a| a.starts_with("sine=")) else {
        return out;
    };
    let rate = args[at]
        .split(':')
        .find_map(|p| p.strip_prefix("sample_rate="))
        .unwrap_or("44100")
        .to_string();
    // "-f lavfi -i sine=…" becomes "-i VOICE"; the filter and rate go with the output.
    out.splice(at - 3..=at, ["-i".to_string(), voice.display().to_string()]);
    out.extend(["-af".into(), "apad".into(), "-ar".into(), rate]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tone_gives_way_to_the_voice() {
        let args = [
            "-f",
            "lavfi",
            "-i",
            "testsrc2",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-c:a",
            "mp2",
        ];
        let voice = Path::new("/tmp/v.wav");
        assert_eq!(
            with_voice(&args, Some(voice)),
            [
                "-f",
                "lavfi",
                "-i",
                "testsrc2",
                "-i",
                "/tmp/v.wav",
                "-c:a",
                "mp2",
                "-af",
                "apad",
                "-ar",
                "48000"
            ]
        );
        assert_eq!(with_voice(&args, None), args);
        for rec in RECORDINGS {
            assert!(
                rec.ffmpeg_args.iter().any(|a| a.starts_with("sine=")),
                "{}",
                rec.file_name
            );
            assert!(
                rec.speech.chars().all(|c| u32::from(c) < 256),
                "Festival reads ISO 8859-1"
            );
        }
    }
}
