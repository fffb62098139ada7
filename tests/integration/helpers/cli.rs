//! The real `aula` binary run as a clerk would: ingest, tokens, the shared FLV archive.
//! No server here; `app.rs` owns that.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use super::{database_url, make_flv, scratch, MANIFEST_DIR};

/// The `aula` binary with a data directory and the repository's profiles and speech
/// engine; sessions are transcribed only when a test asks (`AULA_TRANSCRIBE=manual`), so
/// the tests that are not about speech do not all run the engine.
pub fn aula(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aula"));
    let repo = Path::new(MANIFEST_DIR);
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env("AULA_PROFILES_DIR", repo.join("transcode-profiles"))
        .env("AULA_WEB_DIR", repo.join("web"))
        .env("AULA_ASR_PYTHON", repo.join(".venv-asr/bin/python"))
        .env("AULA_ASR_ENGINE", repo.join("asr/aula_asr.py"))
        .env("AULA_ASR_MODEL", repo.join(".venv-asr/models/whisper-base"))
        .env("AULA_TRANSCRIBE", "manual")
        .env("AULA_LOG", "warn");
    if let Some(url) = database_url(data_dir) {
        cmd.env("AULA_DATABASE_URL", url);
    }
    cmd
}

/// Runs `cmd` and fails the test, with its stderr, unless it succeeds.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert_success(&out);
    out
}

/// Runs `cmd` and fails the test unless it is refused; what it said on stderr.
pub fn run_refused(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        !out.status.success(),
        "{cmd:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fails the test, with what the command printed, unless it succeeded.
#[track_caller]
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `run_ok` on a blocking thread, so a server under test in this process keeps answering
/// meanwhile; returns what the command printed on stdout.
pub async fn stdout_of(mut cmd: Command) -> String {
    let out = tokio::task::spawn_blocking(move || run_ok(&mut cmd))
        .await
        .expect("the command's thread");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `aula ingest FILE --body … --date … --title … [--agenda …]`
pub fn ingest(data_dir: &Path, file: &Path, title: &str, agenda: Option<&Path>) -> Output {
    let mut ingest = Ingest::new(data_dir)
        .file(file)
        .body("Consiglio comunale")
        .date("2009-03-12")
        .title(title);
    if let Some(agenda) = agenda {
        ingest = ingest.agenda(agenda);
    }
    ingest.run()
}

/// `aula ingest` as a test spells it: the files, then only the options it sets, in the
/// order the CLI's help lists them.
pub struct Ingest {
    cmd: Command,
    options: Vec<std::ffi::OsString>,
}

impl Ingest {
    pub fn new(data_dir: &Path) -> Self {
        let mut cmd = aula(data_dir);
        cmd.arg("ingest");
        Ingest {
            cmd,
            options: Vec::new(),
        }
    }

    pub fn file(mut self, file: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(file);
        self
    }

    pub fn files<S: AsRef<std::ffi::OsStr>>(mut self, files: impl IntoIterator<Item = S>) -> Self {
        self.cmd.args(files);
        self
    }

    pub fn body(self, body: &str) -> Self {
        self.option("--body", body)
    }

    pub fn date(self, date: &str) -> Self {
        self.option("--date", date)
    }

    pub fn title(self, title: &str) -> Self {
        self.option("--title", title)
    }

    pub fn agenda(self, agenda: &Path) -> Self {
        self.option("--agenda", agenda)
    }

    /// Queue the job and return, as a clerk does with a long recording.
    pub fn no_wait(self) -> Self {
        self.flag("--no-wait")
    }

    /// Any other option with its value (`--transcript FILE`, `--minutes FILE`, …).
    pub fn option(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.options.push(name.into());
        self.options.push(value.as_ref().to_owned());
        self
    }

    pub fn flag(mut self, name: &str) -> Self {
        self.options.push(name.into());
        self
    }

    pub fn envs<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<std::ffi::OsStr>,
        V: AsRef<std::ffi::OsStr>,
    {
        self.cmd.envs(vars);
        self
    }

    pub fn run(mut self) -> Output {
        self.cmd.args(&self.options);
        self.cmd.output().expect("run aula ingest")
    }

    /// Runs it and fails the test, with the CLI's stderr, unless it succeeds.
    pub fn assert_success(self) -> Output {
        let out = self.run();
        assert_success(&out);
        out
    }
}

/// The archive shared by the read-only tests: one FLV session with an agenda, ingested
/// once through the real CLI.
pub struct FlvArchive {
    pub data_dir: PathBuf,
    pub source: PathBuf,
    pub title: &'static str,
}

pub const FLV_AGENDA: &str = "ORDINE DEL GIORNO\n\n\
    1. Approvazione del bilancio consuntivo\n\
    2. Riqualificazione della piazza della città\n\
    3. Interrogazioni\n";

pub fn flv_archive() -> &'static FlvArchive {
    static ARCHIVE: OnceLock<FlvArchive> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let root = scratch("flv-archive");
        let source = root.join("seduta consiglio 2009.flv");
        make_flv(&source);
        let agenda = root.join("odg.txt");
        std::fs::write(&agenda, FLV_AGENDA).unwrap();
        let data_dir = root.join("data");
        let title = "Seduta del consiglio comunale";
        let out = ingest(&data_dir, &source, title, Some(&agenda));
        assert!(
            out.status.success(),
            "ingest failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        FlvArchive {
            data_dir,
            source,
            title,
        }
    })
}

/// A new admin API token, made with `aula token create`.
pub fn admin_token(data_dir: &Path) -> String {
    let out = run_ok(aula(data_dir).args(["token", "create", "test"]));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
