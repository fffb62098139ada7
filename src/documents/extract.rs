//! Text out of the files a council publishes with a session — agendas, minutes, resolutions —
//! whatever their format: PDF (typed, or scanned and read by OCR), DOCX, ODT, legacy Word
//! DOC, RTF, HTML or plain text. It knows bytes and text only: storing the documents is the
//! catalog's job and indexing them is search's.
//!
//! DOCX, ODT and HTML are parsed in process; PDF, DOC and RTF go to Debian's tools
//! (poppler-utils, tesseract-ocr with tesseract-ocr-ita, antiword, catdoc), always through
//! `crate::process::run`, with a time limit and errors that name the package to install.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use super::{decode_text, DocumentError};
use crate::process::{self, ProcessError};
use crate::text::collapse_xml_spaces;

/// What a document file is, told from its bytes first and its name second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Pdf,
    Docx,
    Odt,
    Doc,
    Rtf,
    Html,
    Text,
}

impl DocumentFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "application/pdf",
            DocumentFormat::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            DocumentFormat::Odt => "application/vnd.oasis.opendocument.text",
            DocumentFormat::Doc => "application/msword",
            DocumentFormat::Rtf => "application/rtf",
            DocumentFormat::Html => "text/html",
            DocumentFormat::Text => "text/plain",
        }
    }

    /// The name a clerk knows the format by, for messages.
    pub fn label(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "PDF",
            DocumentFormat::Docx => "Word (.docx)",
            DocumentFormat::Odt => "OpenDocument text (.odt)",
            DocumentFormat::Doc => "Word 97-2003 (.doc)",
            DocumentFormat::Rtf => "RTF",
            DocumentFormat::Html => "HTML",
            DocumentFormat::Text => "plain text",
        }
    }
}

/// A document's text, ready for agenda parsing and indexing: lines end in `\n`, trailing
/// spaces are gone, paragraphs (and PDF pages) are separated by one blank line.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub text: String,
    pub format: DocumentFormat,
    pub media_type: &'static str,
    /// Something the reader of the text should know, e.g. that it was recognised by OCR.
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("the document is empty")]
    Empty,
    #[error("no text in the document: {0}")]
    NoText(String),
    #[error("the document is protected by a password; upload a copy saved without one")]
    PasswordProtected,
    #[error("unsupported format: {0}")]
    Unsupported(String),
    #[error("the document is damaged or not what its name says: {0}")]
    Broken(String),
    #[error("{program} is needed to read {format} documents but could not be run ({detail}); install the Debian package `{package}` (scripts/install-deps.sh does)")]
    Tool {
        program: String,
        package: String,
        format: &'static str,
        detail: String,
    },
    #[error("{program} did not finish within {seconds} s; the document may be very large — try again, or split it")]
    TimedOut { program: String, seconds: u64 },
    #[error("cannot write the scratch files needed to read the document: {0}")]
    Scratch(#[source] std::io::Error),
}

impl From<DocumentError> for ExtractError {
    fn from(err: DocumentError) -> Self {
        match err {
            DocumentError::Empty => ExtractError::Empty,
            DocumentError::Unsupported(what) => ExtractError::Unsupported(what),
        }
    }
}

/// The outside programs extraction uses, and how far it lets them go. `Default` takes each
/// program from `$PATH`, reads scans as Italian and OCRs at most 50 pages per document.
#[derive(Debug, Clone)]
pub struct Tools {
    /// poppler-utils
    pub pdftotext: PathBuf,
    /// poppler-utils
    pub pdftoppm: PathBuf,
    /// tesseract-ocr, with the data of each language in `ocr_languages`
    pub tesseract: PathBuf,
    /// antiword: Word 97-2003 documents
    pub antiword: PathBuf,
    /// catdoc: RTF (it decodes `\'e0` and `\u8211?` escapes, which unrtf's text mode does not)
    pub catdoc: PathBuf,
    /// Tesseract's `-l`, e.g. "ita" or "ita+deu"; each needs its tesseract-ocr-LANG package.
    pub ocr_languages: String,
    /// Scanned pages beyond this many are left unread, and the note says so.
    pub max_ocr_pages: usize,
    /// The limit for each run of a program (one page, for OCR).
    pub timeout: Duration,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            pdftotext: PathBuf::from("pdftotext"),
            pdftoppm: PathBuf::from("pdftoppm"),
            tesseract: PathBuf::from("tesseract"),
            antiword: PathBuf::from("antiword"),
            catdoc: PathBuf::from("catdoc"),
            ocr_languages: "ita".into(),
            max_ocr_pages: 50,
            timeout: Duration::from_secs(120),
        }
    }
}

/// The text of a document, whatever its format (see [`detect`]).
pub async fn extract(
    bytes: &[u8],
    file_name: &str,
    tools: &Tools,
) -> Result<Extracted, ExtractError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ExtractError::Empty);
    }
    let format = detect(bytes, file_name)?;
    let (text, note) = match format {
        DocumentFormat::Pdf => pdf_text(bytes, tools).await?,
        DocumentFormat::Docx => (off_thread(bytes, docx_text).await?, None),
        DocumentFormat::Odt => (off_thread(bytes, odt_text).await?, None),
        DocumentFormat::Doc => (doc_text(bytes, tools).await?, None),
        DocumentFormat::Rtf => (rtf_text(bytes, tools).await?, None),
        DocumentFormat::Html => (off_thread(bytes, html_text).await?, None),
        DocumentFormat::Text => (decode_text(bytes)?, None),
    };
    let text = tidy(&text);
    if text.is_empty() {
        return Err(ExtractError::NoText(format!(
            "the {} document holds no words",
            format.label()
        )));
    }
    Ok(Extracted {
        text,
        format,
        media_type: format.media_type(),
        note,
    })
}

/// The format by magic bytes, then by the file name's extension, else plain text. A name
/// promising a binary format the bytes do not have is a broken (or misnamed) file.
pub fn detect(bytes: &[u8], file_name: &str) -> Result<DocumentFormat, ExtractError> {
    let head = &bytes[..bytes.len().min(1024)];
    // The PDF header may follow a little junk (some mailers and scanners add it).
    if find(head, b"%PDF-").is_some() {
        return Ok(DocumentFormat::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip_format(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(DocumentFormat::Doc);
    }
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = trim_ascii_start(start);
    if start.starts_with(b"{\\rtf") {
        return Ok(DocumentFormat::Rtf);
    }
    if start.starts_with(b"<") {
        let lower = start.to_ascii_lowercase();
        if find(&lower, b"<html").is_some() || find(&lower, b"<!doctype html").is_some() {
            return Ok(DocumentFormat::Html);
        }
    }
    let extension = Path::new(file_name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let promised = match extension.as_str() {
        "pdf" => DocumentFormat::Pdf,
        "docx" => DocumentFormat::Docx,
        "odt" => DocumentFormat::Odt,
        "doc" => DocumentFormat::Doc,
        "rtf" => DocumentFormat::Rtf,
        "htm" | "html" | "xhtml" => return Ok(DocumentFormat::Html),
        _ => return Ok(DocumentFormat::Text),
    };
    Err(ExtractError::Broken(format!(
        "{file_name} is named as a {} document but its content is not one (is the file complete?)",
        promised.label()
    )))
}

fn zip_format(bytes: &[u8]) -> Result<DocumentFormat, ExtractError> {
    let mut zip = open_zip(bytes)?;
    if zip.index_for_name("word/document.xml").is_some() {
        return Ok(DocumentFormat::Docx);
    }
    if zip.index_for_name("content.xml").is_some() {
        let mimetype = zip_entry(&mut zip, "mimetype", 200)?.unwrap_or_default();
        let mimetype = mimetype.trim();
        if mimetype.starts_with("application/vnd.oasis.opendocument.text") {
            return Ok(DocumentFormat::Odt);
        }
        let kind = mimetype
            .strip_prefix("application/vnd.oasis.opendocument.")
            .unwrap_or("unknown kind");
        return Err(ExtractError::Unsupported(format!(
            "an OpenDocument {kind} file; save it as an OpenDocument text (.odt) or PDF"
        )));
    }
    let office = if zip.index_for_name("xl/workbook.xml").is_some() {
        "an Excel workbook (.xlsx)"
    } else if zip.index_for_name("ppt/presentation.xml").is_some() {
        "a PowerPoint presentation (.pptx)"
    } else {
        "a ZIP archive"
    };
    Err(ExtractError::Unsupported(format!(
        "{office}, not a Word (.docx) or OpenDocument text (.odt) document"
    )))
}

// --- PDF --------------------------------------------------------------------------------

/// A page whose text layer has fewer letters and digits than this is treated as a scan.
const SCANNED_PAGE_CHARS: usize = 32;

async fn pdf_text(bytes: &[u8], tools: &Tools) -> Result<(String, Option<String>), ExtractError> {
    const FORMAT: &str = "PDF";
    // Page images go beside the copy, and all of it goes when `scratch` is dropped.
    let (scratch, input) = scratch_copy(bytes, "document.pdf").await?;

    let args: [&OsStr; 5] = [
        "-layout".as_ref(),
        "-enc".as_ref(),
        "UTF-8".as_ref(),
        input.as_os_str(),
        "-".as_ref(),
    ];
    let output = match process::run(&tools.pdftotext, args, tools.timeout).await {
        Ok(output) => output,
        Err(ProcessError::Failed { stderr, .. }) if stderr.contains("Incorrect password") => {
            return Err(ExtractError::PasswordProtected)
        }
        Err(ProcessError::Failed { status, stderr, .. }) => {
            return Err(ExtractError::Broken(format!(
                "not a readable PDF ({})",
                reason(&status, &stderr)
            )))
        }
        Err(err) => return Err(tool_error(err, "poppler-utils", FORMAT)),
    };
    let layer = String::from_utf8_lossy(&output.stdout);
    // pdftotext ends every page with a form feed.
    let mut pages: Vec<String> = layer.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    if pages.is_empty() {
        return Err(ExtractError::NoText("the PDF has no pages".into()));
    }

    let scanned: Vec<usize> = (0..pages.len())
        .filter(|&i| alphanumerics(&pages[i]) < SCANNED_PAGE_CHARS)
        .collect();
    let to_read = &scanned[..scanned.len().min(tools.max_ocr_pages)];
    let mut recognised = 0;
    for &index in to_read {
        let text = ocr_page(&input, index + 1, scratch.path(), tools).await?;
        // Keep whichever reading has more to it: a short typed page stays as typed.
        if alphanumerics(&text) > alphanumerics(&pages[index]) {
            pages[index] = text;
            recognised += 1;
        }
    }

    let text = pages
        .iter()
        .map(|page| page.trim_matches('\n'))
        .collect::<Vec<_>>()
        .join("\n\n");
    if alphanumerics(&text) == 0 {
        return Err(ExtractError::NoText("scanned, OCR found no text".into()));
    }
    let mut notes = Vec::new();
    if recognised > 0 {
        notes.push(if recognised == pages.len() {
            "text recognised by OCR".to_string()
        } else {
            format!(
                "text of {recognised} of {} pages recognised by OCR",
                pages.len()
            )
        });
    }
    if to_read.len() < scanned.len() {
        notes.push(format!(
            "only the first {} of {} scanned pages were read by OCR (the limit)",
            to_read.len(),
            scanned.len()
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    Ok((text, note))
}

/// Renders one page (1-based) to a grey PNG and reads it with tesseract.
async fn ocr_page(
    pdf: &Path,
    page: usize,
    scratch: &Path,
    tools: &Tools,
) -> Result<String, ExtractError> {
    let image = draw_page(pdf, page, scratch, tools).await?;
    let text = read_image(&image, page, tools).await;
    // Free the page's disk space before the next one is drawn.
    if text.is_ok() {
        let _ = tokio::fs::remove_file(&image).await;
    }
    text
}

/// Draws page `page` of `pdf` into `scratch`; returns the PNG's path.
async fn draw_page(
    pdf: &Path,
    page: usize,
    scratch: &Path,
    tools: &Tools,
) -> Result<PathBuf, ExtractError> {
    let page_arg = page.to_string();
    let prefix = scratch.join(format!("page-{page}"));
    let args: [&OsStr; 11] = [
        "-r".as_ref(),
        "200".as_ref(),
        "-gray".as_ref(),
        "-png".as_ref(),
        "-singlefile".as_ref(),
        "-f".as_ref(),
        page_arg.as_ref(),
        "-l".as_ref(),
        page_arg.as_ref(),
        pdf.as_os_str(),
        prefix.as_os_str(),
    ];
    match process::run(&tools.pdftoppm, args, tools.timeout).await {
        Ok(_) => Ok(prefix.with_extension("png")),
        Err(ProcessError::Failed { status, stderr, .. }) => Err(ExtractError::Broken(format!(
            "page {page} of the PDF cannot be drawn ({})",
            reason(&status, &stderr)
        ))),
        Err(err) => Err(tool_error(err, "poppler-utils", "scanned PDF")),
    }
}

/// The text tesseract reads in the picture of page `page`.
async fn read_image(image: &Path, page: usize, tools: &Tools) -> Result<String, ExtractError> {
    let args: [&OsStr; 4] = [
        image.as_os_str(),
        "stdout".as_ref(),
        "-l".as_ref(),
        tools.ocr_languages.as_ref(),
    ];
    let output = match process::run(&tools.tesseract, args, tools.timeout).await {
        Ok(output) => output,
        Err(ProcessError::Failed {
            program,
            status,
            stderr,
        }) => {
            return Err(match missing_language_packages(&stderr) {
                Some(package) => ExtractError::Tool {
                    program,
                    package,
                    format: "scanned PDF",
                    detail: reason(&status, &stderr),
                },
                None => ExtractError::Broken(format!(
                    "page {page} could not be read by OCR ({})",
                    reason(&status, &stderr)
                )),
            })
        }
        Err(err) => return Err(tool_error(err, "tesseract-ocr", "scanned PDF")),
    };
    if let Some(package) = missing_language_packages(&output.stderr) {
        return Err(ExtractError::Tool {
            program: process::program_name(&tools.tesseract),
            package,
            format: "scanned PDF",
            detail: reason("success", &output.stderr),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).replace('\u{c}', ""))
}

/// Tesseract goes on without a language whose data is missing, and fails only when none
/// is left: either way the packages to install are named.
fn missing_language_packages(stderr: &str) -> Option<String> {
    let packages: Vec<String> = stderr
        .lines()
        .filter_map(|line| line.split("Failed loading language '").nth(1))
        .filter_map(|rest| rest.split('\'').next())
        .map(|lang| format!("tesseract-ocr-{lang}"))
        .collect();
    (!packages.is_empty()).then(|| packages.join(" "))
}

// --- DOC and RTF: antiword and catdoc ----------------------------------------------------

async fn doc_text(bytes: &[u8], tools: &Tools) -> Result<String, ExtractError> {
    let (scratch, input) = scratch_copy(bytes, "document.doc").await?;
    // -w 0 keeps each paragraph on one line; the mapping file makes the output UTF-8
    // whatever the locale.
    let args: [&OsStr; 5] = [
        "-w".as_ref(),
        "0".as_ref(),
        "-m".as_ref(),
        "UTF-8.txt".as_ref(),
        input.as_os_str(),
    ];
    let result = process::run(&tools.antiword, args, tools.timeout).await;
    drop(scratch);
    match result {
        Ok(output) => Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            // antiword's stand-in for each picture
            .filter(|line| line.trim() != "[pic]")
            .collect::<Vec<_>>()
            .join("\n")),
        Err(ProcessError::Failed { stderr, .. }) if stderr.contains("Encrypted") => {
            Err(ExtractError::PasswordProtected)
        }
        Err(ProcessError::Failed { stderr, .. })
            if stderr.contains("Excel") || stderr.contains("does not contain a Word") =>
        {
            Err(ExtractError::Unsupported(
                "an Office 97-2003 file that is not a Word document (a spreadsheet or a presentation?)"
                    .into(),
            ))
        }
        Err(ProcessError::Failed { status, stderr, .. }) => Err(ExtractError::Broken(format!(
            "not a readable Word document ({})",
            reason(&status, &stderr)
        ))),
        Err(err) => Err(tool_error(err, "antiword", DocumentFormat::Doc.label())),
    }
}

async fn rtf_text(bytes: &[u8], tools: &Tools) -> Result<String, ExtractError> {
    let (scratch, input) = scratch_copy(bytes, "document.rtf").await?;
    // -w: no re-wrapping at 72 columns; -d utf-8: output charset.
    let args: [&OsStr; 4] = [
        "-w".as_ref(),
        "-d".as_ref(),
        "utf-8".as_ref(),
        input.as_os_str(),
    ];
    let result = process::run(&tools.catdoc, args, tools.timeout).await;
    drop(scratch);
    match result {
        Ok(output) => Ok(String::from_utf8_lossy(&output.stdout).into_owned()),
        Err(ProcessError::Failed { status, stderr, .. }) => Err(ExtractError::Broken(format!(
            "not a readable RTF document ({})",
            reason(&status, &stderr)
        ))),
        Err(err) => Err(tool_error(err, "catdoc", DocumentFormat::Rtf.label())),
    }
}

async fn scratch_copy(
    bytes: &[u8],
    name: &str,
) -> Result<(tempfile::TempDir, PathBuf), ExtractError> {
    let scratch = tempfile::TempDir::new().map_err(ExtractError::Scratch)?;
    let path = scratch.path().join(name);
    tokio::fs::write(&path, bytes)
        .await
        .map_err(ExtractError::Scratch)?;
    Ok((scratch, path))
}

fn tool_error(err: ProcessError, package: &str, format: &'static str) -> ExtractError {
    match err {
        ProcessError::Timeout { program, seconds } => ExtractError::TimedOut { program, seconds },
        ProcessError::Spawn { program, source } | ProcessError::Io { program, source } => {
            ExtractError::Tool {
                program,
                package: package.into(),
                format,
                detail: source.to_string(),
            }
        }
        ProcessError::Failed {
            program,
            status,
            stderr,
        }
        | ProcessError::Ended {
            program,
            status,
            stderr,
        } => ExtractError::Tool {
            program,
            package: package.into(),
            format,
            detail: reason(&status, &stderr),
        },
        ProcessError::Cancelled { program } => ExtractError::Tool {
            program,
            package: package.into(),
            format,
            detail: "cancelled".into(),
        },
    }
}

// --- HTML -------------------------------------------------------------------------------

fn html_text(bytes: &[u8]) -> Result<String, ExtractError> {
    // Old council sites serve Windows-1252 pages; decode_text takes either.
    let html = decode_text(bytes)?;
    // A width no line reaches: paragraphs stay whole for the agenda parser. The plain
    // decorator keeps list numbers ("1. ") and marks headings Markdown-style ("## "),
    // which a clerk reading the text does not want.
    let text = html2text::config::plain_no_decorate()
        .no_table_borders()
        .string_from_read(html.as_bytes(), 100_000)
        .map_err(|err| ExtractError::Broken(format!("HTML that cannot be read ({err})")))?;
    Ok(text
        .lines()
        .map(|line| {
            let hashes = line.len() - line.trim_start_matches('#').len();
            match line[hashes..].strip_prefix(' ') {
                Some(heading) if (1..=6).contains(&hashes) => heading,
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

// --- DOCX and ODT -----------------------------------------------------------------------

/// Decompressed XML beyond this is refused: a real agenda is far smaller, a ZIP bomb is not.
const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

fn open_zip(bytes: &[u8]) -> Result<Zip<'_>, ExtractError> {
    zip::ZipArchive::new(Cursor::new(bytes)).map_err(|err| {
        ExtractError::Broken(format!(
            "the ZIP container cannot be opened ({err}); is the file complete?"
        ))
    })
}

/// An entry of the archive as text, or `None` when there is no such entry.
fn zip_entry(zip: &mut Zip<'_>, name: &str, limit: u64) -> Result<Option<String>, ExtractError> {
    let entry = match zip.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(err) => {
            return Err(ExtractError::Broken(format!(
                "{name} in the ZIP container cannot be read ({err})"
            )))
        }
    };
    let mut data = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|err| {
            ExtractError::Broken(format!(
                "{name} in the ZIP container cannot be read ({err}); is the file complete?"
            ))
        })?;
    if data.len() as u64 > limit {
        return Err(ExtractError::Unsupported(format!(
            "{name} is larger than {} MB once unpacked",
            limit / 1024 / 1024
        )));
    }
    String::from_utf8(data)
        .map(Some)
        .map_err(|_| ExtractError::Broken(format!("{name} is not UTF-8 XML")))
}

/// Runs a CPU-bound parser on the blocking pool, so a large document does not stall the
/// server, and so a parser panic becomes an error instead of taking a worker down.
async fn off_thread(
    bytes: &[u8],
    parse: fn(&[u8]) -> Result<String, ExtractError>,
) -> Result<String, ExtractError> {
    let owned = bytes.to_vec();
    tokio::task::spawn_blocking(move || parse(&owned))
        .await
        .unwrap_or_else(|_| {
            Err(ExtractError::Broken(
                "the document could not be parsed".into(),
            ))
        })
}

fn xml_error(part: &str, err: impl std::fmt::Display) -> ExtractError {
    ExtractError::Broken(format!("{part} is not well-formed XML ({err})"))
}

fn attribute(element: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The text of `&amp;`, `&#233;` and friends.
fn reference(reference: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return c.to_string();
    }
    let name = reference.decode().unwrap_or_default();
    quick_xml::escape::resolve_predefined_entity(&name)
        .unwrap_or_default()
        .to_string()
}

/// Collects paragraphs, one per line with a blank line after each; the cells of a table row
/// share one line, separated by tabs, so a row reads like the typed line it replaces.
#[derive(Default)]
struct Paragraphs {
    out: String,
    open: Vec<String>,
    rows: Vec<String>,
}

impl Paragraphs {
    fn start(&mut self, label: Option<String>) {
        let mut text = String::new();
        if let Some(label) = label.filter(|l| !l.is_empty()) {
            text.push_str(&label);
            text.push(' ');
        }
        self.open.push(text);
    }

    fn push(&mut self, text: &str) {
        if let Some(paragraph) = self.open.last_mut() {
            paragraph.push_str(text);
        }
    }

    fn end(&mut self) {
        let Some(text) = self.open.pop() else { return };
        let text = text.trim_end();
        if let Some(row) = self.rows.last_mut() {
            if !row.is_empty() && !row.ends_with('\t') {
                row.push(' ');
            }
            row.push_str(text.trim_start());
        } else {
            self.out.push_str(text);
            self.out.push_str("\n\n");
        }
    }

    fn row_start(&mut self) {
        self.rows.push(String::new());
    }

    fn cell_end(&mut self) {
        if let Some(row) = self.rows.last_mut() {
            row.push('\t');
        }
    }

    fn row_end(&mut self) {
        if let Some(row) = self.rows.pop() {
            self.start(None);
            self.push(row.trim_end_matches('\t'));
            self.end();
        }
    }
}

/// Word's automatic list numbers, which are not in the text: without them an agenda typed
/// as a numbered list would lose its point numbers.
#[derive(Default)]
struct WordNumbering {
    /// numId → (abstractNumId, start overrides by level)
    instances: HashMap<String, (String, HashMap<usize, u32>)>,
    /// abstractNumId → levels
    definitions: HashMap<String, Vec<ListLevel>>,
    /// current numbers by list (see `label`)
    counters: HashMap<String, Vec<Option<u32>>>,
}

#[derive(Debug, Clone, Default)]
struct ListLevel {
    start: u32,
    /// Word's numFmt ("decimal", "lowerLetter", "bullet", …) or ODF's num-format ("1", "a", …)
    format: String,
    /// Word's lvlText, e.g. "%1." or "%1.%2)"
    pattern: String,
}

impl WordNumbering {
    fn parse(xml: &str) -> Result<Self, ExtractError> {
        let mut numbering = WordNumbering::default();
        let mut reader = Reader::from_str(xml);
        let mut abstract_id: Option<String> = None;
        let mut level: Option<usize> = None;
        let mut num: Option<String> = None;
        let mut override_level: Option<usize> = None;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| xml_error("word/numbering.xml", e))?;
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    let val = attribute(&e, b"val");
                    match e.local_name().as_ref() {
                        b"abstractNum" => abstract_id = attribute(&e, b"abstractNumId"),
                        b"lvl" => {
                            level = attribute(&e, b"ilvl").and_then(|l| l.parse().ok());
                            if let (Some(id), Some(l)) = (&abstract_id, level) {
                                let levels = numbering.definitions.entry(id.clone()).or_default();
                                if levels.len() <= l {
                                    levels.resize(l + 1, ListLevel::default());
                                }
                                levels[l].start = 1;
                            }
                        }
                        b"num" => num = attribute(&e, b"numId"),
                        b"abstractNumId" => {
                            if let (Some(num), Some(val)) = (&num, val) {
                                numbering
                                    .instances
                                    .insert(num.clone(), (val, HashMap::new()));
                            }
                        }
                        b"lvlOverride" => {
                            override_level = attribute(&e, b"ilvl").and_then(|l| l.parse().ok())
                        }
                        b"startOverride" => {
                            if let (Some(num), Some(l), Some(start)) =
                                (&num, override_level, val.and_then(|v| v.parse().ok()))
                            {
                                if let Some(instance) = numbering.instances.get_mut(num) {
                                    instance.1.insert(l, start);
                                }
                            }
                        }
                        name @ (b"start" | b"numFmt" | b"lvlText") => {
                            if let (Some(id), Some(l), Some(val)) = (&abstract_id, level, val) {
                                if let Some(lvl) = numbering
                                    .definitions
                                    .get_mut(id)
                                    .and_then(|levels| levels.get_mut(l))
                                {
                                    match name {
                                        b"start" => lvl.start = val.parse().unwrap_or(1),
                                        b"numFmt" => lvl.format = val,
                                        _ => lvl.pattern = val,
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Event::End(e) => match e.local_name().as_ref() {
                    b"abstractNum" => abstract_id = None,
                    b"lvl" => level = None,
                    b"num" => num = None,
                    b"lvlOverride" => override_level = None,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(numbering)
    }

    /// The label Word shows before the next paragraph of list `num_id` at level `level`.
    fn label(&mut self, num_id: &str, level: usize) -> Option<String> {
        let (abstract_id, overrides) = self.instances.get(num_id)?;
        let levels = self.definitions.get(abstract_id)?;
        levels.get(level)?;
        let start = |l: usize| overrides.get(&l).copied().unwrap_or(levels[l].start);
        // Lists sharing a definition count on together unless one restarts.
        let key = if overrides.is_empty() {
            format!("a{abstract_id}")
        } else {
            format!("n{num_id}")
        };
        let counters = self
            .counters
            .entry(key)
            .or_insert_with(|| vec![None; levels.len()]);
        counters[level] = Some(match counters[level] {
            Some(n) => n.saturating_add(1),
            None => start(level),
        });
        for deeper in counters.iter_mut().skip(level + 1) {
            *deeper = None;
        }
        match levels[level].format.as_str() {
            "bullet" => return Some("•".into()),
            "none" => return None,
            _ => {}
        }
        let mut label = String::new();
        let mut chars = levels[level].pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek().and_then(|d| d.to_digit(10))) {
                ('%', Some(d)) if (1..=levels.len() as u32).contains(&d) => {
                    chars.next();
                    let l = d as usize - 1;
                    let n = counters[l].unwrap_or_else(|| start(l));
                    label.push_str(&format_number(n, &levels[l].format));
                }
                _ => label.push(c),
            }
        }
        Some(label)
    }
}

/// A list number in Word's or ODF's format names.
fn format_number(n: u32, format: &str) -> String {
    // Past these, letters and numerals grow absurd; Word itself falls back to digits.
    let format = match format {
        "lowerLetter" | "a" | "upperLetter" | "A" if n > 26 * 10 => "decimal",
        "lowerRoman" | "i" | "upperRoman" | "I" if n >= 4000 => "decimal",
        other => other,
    };
    match format {
        "lowerLetter" | "a" => letters(n),
        "upperLetter" | "A" => letters(n).to_uppercase(),
        "lowerRoman" | "i" => roman(n).to_lowercase(),
        "upperRoman" | "I" => roman(n),
        "decimalZero" => format!("{n:02}"),
        _ => n.to_string(),
    }
}

/// a, b, …, z, aa, bb, … as Word and LibreOffice count.
fn letters(n: u32) -> String {
    if n == 0 {
        return "0".into();
    }
    let letter = (b'a' + ((n - 1) % 26) as u8) as char;
    letter.to_string().repeat(((n - 1) / 26 + 1) as usize)
}

fn roman(mut n: u32) -> String {
    const DIGITS: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, digits) in DIGITS {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

/// What a word-processor format does with the elements of its body, for `walk_body`.
trait BodyFormat {
    /// Elements whose whole content is not the document's text.
    fn skipped(name: &[u8]) -> bool;
    /// Whether character data here is text the document shows.
    fn in_text(&self) -> bool {
        true
    }
    /// A text node as the format shows it.
    fn text<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        text
    }
    fn start(&mut self, element: &BytesStart<'_>, empty: bool, paragraphs: &mut Paragraphs);
    fn end(&mut self, name: &[u8], paragraphs: &mut Paragraphs);
}

/// Reads the body `xml` (the zip entry `part`) into paragraphs: elements outside skipped
/// ones go to `format`, text where it says text is.
fn walk_body<F: BodyFormat>(xml: &str, part: &str, format: &mut F) -> Result<String, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut paragraphs = Paragraphs::default();
    // Depth inside skipped elements.
    let mut skipping = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        let text_here = skipping == 0 && format.in_text();
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                let name = e.local_name();
                if F::skipped(name.as_ref()) {
                    skipping = skipping.saturating_sub(1);
                } else if skipping == 0 {
                    format.end(name.as_ref(), &mut paragraphs);
                }
                continue;
            }
            Event::Text(t) if text_here => {
                let text = t.xml10_content().map_err(|e| xml_error(part, e))?;
                paragraphs.push(&format.text(text));
                continue;
            }
            Event::CData(t) if text_here => {
                paragraphs.push(&String::from_utf8_lossy(&t));
                continue;
            }
            Event::GeneralRef(r) if text_here => {
                paragraphs.push(&reference(&r));
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = e.local_name();
        if F::skipped(name.as_ref()) {
            skipping += usize::from(!empty);
        } else if skipping == 0 {
            format.start(&e, empty, &mut paragraphs);
        }
    }
    Ok(paragraphs.out)
}

fn docx_text(bytes: &[u8]) -> Result<String, ExtractError> {
    const PART: &str = "word/document.xml";
    let mut zip = open_zip(bytes)?;
    let numbering = match zip_entry(&mut zip, "word/numbering.xml", MAX_XML_BYTES)? {
        Some(xml) => WordNumbering::parse(&xml)?,
        None => WordNumbering::default(),
    };
    let xml = zip_entry(&mut zip, PART, MAX_XML_BYTES)?
        .ok_or_else(|| ExtractError::Broken(format!("the Word document has no {PART}")))?;
    let mut body = DocxBody {
        numbering,
        in_text: false,
        list: (None, 0),
    };
    walk_body(&xml, PART, &mut body)
}

/// WordprocessingML: text only inside `w:t`, list labels from numbering.xml.
struct DocxBody {
    numbering: WordNumbering,
    in_text: bool,
    /// The list of the open paragraph, (numId, ilvl), until its label is written.
    list: (Option<String>, usize),
}

impl DocxBody {
    fn take_label(&mut self) -> Option<String> {
        let num_id = self.list.0.take()?;
        self.numbering.label(&num_id, self.list.1)
    }
}

impl BodyFormat for DocxBody {
    // The VML copy of a text box (its text is read in mc:Choice), text moved away by
    // tracked changes, the old properties of a tracked change, tab stop definitions.
    fn skipped(name: &[u8]) -> bool {
        matches!(name, b"Fallback" | b"moveFrom" | b"pPrChange" | b"tabs")
    }

    fn in_text(&self) -> bool {
        self.in_text
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool, paragraphs: &mut Paragraphs) {
        match e.local_name().as_ref() {
            b"p" => {
                // Its label is known once its properties are read, at the first run.
                paragraphs.start(None);
                self.list = (None, 0);
                if empty {
                    paragraphs.end();
                }
            }
            b"numId" => self.list.0 = attribute(e, b"val").filter(|id| id != "0"),
            b"ilvl" => {
                self.list.1 = attribute(e, b"val")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0)
                    .min(8)
            }
            b"r" => {
                if let Some(label) = self.take_label() {
                    paragraphs.push(&format!("{label} "));
                }
            }
            b"t" => self.in_text = !empty,
            b"tab" => paragraphs.push("\t"),
            b"br" | b"cr" => paragraphs.push("\n"),
            b"noBreakHyphen" => paragraphs.push("-"),
            b"tr" if !empty => paragraphs.row_start(),
            _ => {}
        }
    }

    fn end(&mut self, name: &[u8], paragraphs: &mut Paragraphs) {
        match name {
            b"p" => {
                // A numbered paragraph with no runs still shows its number.
                if let Some(label) = self.take_label() {
                    paragraphs.push(&label);
                }
                paragraphs.end();
            }
            b"t" => self.in_text = false,
            b"tc" => paragraphs.cell_end(),
            b"tr" => paragraphs.row_end(),
            _ => {}
        }
    }
}

/// One level of an ODF list style: its number format and start, the text around the number,
/// how many parent levels the label shows — or its bullet.
#[derive(Debug, Clone, Default)]
struct OdfLevel {
    number: ListLevel,
    prefix: String,
    suffix: String,
    display_levels: usize,
    bullet: Option<String>,
}

/// Adds the list styles of one part (content.xml or styles.xml) to `styles`, by name.
fn odf_list_styles(
    xml: &str,
    part: &str,
    styles: &mut HashMap<String, Vec<OdfLevel>>,
) -> Result<(), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut current: Option<String> = None;
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"list-style" => current = attribute(&e, b"name"),
                name @ (b"list-level-style-number" | b"list-level-style-bullet") => {
                    let (Some(style), Some(level)) = (
                        &current,
                        attribute(&e, b"level").and_then(|l| l.parse::<usize>().ok()),
                    ) else {
                        continue;
                    };
                    if !(1..=10).contains(&level) {
                        continue;
                    }
                    let levels = styles.entry(style.clone()).or_default();
                    if levels.len() < level {
                        levels.resize(level, OdfLevel::default());
                    }
                    let bullet = (name == b"list-level-style-bullet")
                        .then(|| attribute(&e, b"bullet-char").unwrap_or_else(|| "•".into()));
                    levels[level - 1] = OdfLevel {
                        number: ListLevel {
                            start: attribute(&e, b"start-value")
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(1),
                            format: attribute(&e, b"num-format").unwrap_or_default(),
                            pattern: String::new(),
                        },
                        prefix: attribute(&e, b"num-prefix").unwrap_or_default(),
                        suffix: attribute(&e, b"num-suffix").unwrap_or_default(),
                        display_levels: attribute(&e, b"display-levels")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(1),
                        bullet,
                    };
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == b"list-style" => current = None,
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn odt_text(bytes: &[u8]) -> Result<String, ExtractError> {
    const PART: &str = "content.xml";
    let mut zip = open_zip(bytes)?;
    let xml = zip_entry(&mut zip, PART, MAX_XML_BYTES)?
        .ok_or_else(|| ExtractError::Broken(format!("the OpenDocument file has no {PART}")))?;
    let mut styles = HashMap::new();
    if let Some(shared) = zip_entry(&mut zip, "styles.xml", MAX_XML_BYTES)? {
        odf_list_styles(&shared, "styles.xml", &mut styles)?;
    }
    odf_list_styles(&xml, PART, &mut styles)?;
    let mut body = OdtBody {
        styles,
        lists: Vec::new(),
        counters: HashMap::new(),
        item_waiting: false,
        item_start: None,
    };
    walk_body(&xml, PART, &mut body)
}

/// OpenDocument text: list labels from the list styles, counted as lists open and close.
struct OdtBody {
    styles: HashMap<String, Vec<OdfLevel>>,
    /// Open lists: their style (inherited from the enclosing list when unnamed).
    lists: Vec<Option<String>>,
    /// Current numbers by list style, one per level.
    counters: HashMap<String, Vec<Option<u32>>>,
    /// The open list item has not shown its label yet; the number it asks for, if any.
    item_waiting: bool,
    item_start: Option<u32>,
}

impl OdtBody {
    fn open_list(&mut self, e: &BytesStart<'_>) {
        let style = attribute(e, b"style-name").or_else(|| self.lists.last().cloned().flatten());
        let continues = attribute(e, b"continue-numbering").as_deref() == Some("true")
            || attribute(e, b"continue-list").is_some();
        if self.lists.is_empty() && !continues {
            if let Some(style) = &style {
                self.counters.remove(style);
            }
        }
        self.lists.push(style);
        // An item holding only a sub-list shows no label of its own.
        self.item_waiting = false;
    }

    fn start_paragraph(&mut self, empty: bool, paragraphs: &mut Paragraphs) {
        let label = if self.item_waiting {
            self.item_waiting = false;
            let start = self.item_start.take();
            odf_label(&self.lists, &self.styles, &mut self.counters, start)
        } else {
            None
        };
        paragraphs.start(label);
        if empty {
            paragraphs.end();
        }
    }
}

impl BodyFormat for OdtBody {
    // Footnotes and comments (they sit inside the sentence they annotate) and tracked
    // changes (they keep deleted text).
    fn skipped(name: &[u8]) -> bool {
        matches!(name, b"note" | b"annotation" | b"tracked-changes")
    }

    // ODF collapses white space in text as HTML does; real tabs and line breaks are
    // elements.
    fn text<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        Cow::Owned(collapse_xml_spaces(&text))
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool, paragraphs: &mut Paragraphs) {
        match e.local_name().as_ref() {
            b"p" | b"h" => self.start_paragraph(empty, paragraphs),
            b"list" if !empty => self.open_list(e),
            b"list-item" if !empty => {
                self.item_waiting = true;
                self.item_start = attribute(e, b"start-value").and_then(|v| v.parse().ok());
            }
            b"list-header" => self.item_waiting = false,
            b"s" => {
                let count = attribute(e, b"c")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1usize)
                    .min(100);
                paragraphs.push(&" ".repeat(count));
            }
            b"tab" => paragraphs.push("\t"),
            b"line-break" => paragraphs.push("\n"),
            b"table-row" if !empty => paragraphs.row_start(),
            _ => {}
        }
    }

    fn end(&mut self, name: &[u8], paragraphs: &mut Paragraphs) {
        match name {
            b"p" | b"h" => paragraphs.end(),
            b"list" => {
                self.lists.pop();
            }
            b"list-item" => self.item_waiting = false,
            b"table-cell" => paragraphs.cell_end(),
            b"table-row" => paragraphs.row_end(),
            _ => {}
        }
    }
}

/// The label of the next item of the innermost open ODF list.
fn odf_label(
    lists: &[Option<String>],
    styles: &HashMap<String, Vec<OdfLevel>>,
    counters: &mut HashMap<String, Vec<Option<u32>>>,
    start: Option<u32>,
) -> Option<String> {
    let style_name = lists.last()?.as_ref()?;
    let levels = styles.get(style_name)?;
    let depth = lists.len().min(levels.len());
    let level = depth.checked_sub(1)?;
    let this = &levels[level];
    if let Some(bullet) = &this.bullet {
        return Some(bullet.clone());
    }
    if this.number.format.is_empty() {
        return None;
    }
    let numbers = counters
        .entry(style_name.clone())
        .or_insert_with(|| vec![None; levels.len()]);
    numbers[level] = Some(match (start, numbers[level]) {
        (Some(start), _) => start,
        (None, Some(n)) => n + 1,
        (None, None) => this.number.start,
    });
    for deeper in numbers.iter_mut().skip(level + 1) {
        *deeper = None;
    }
    let shown = this.display_levels.clamp(1, depth);
    let label = (depth - shown..depth)
        .map(|l| {
            let n = numbers[l].unwrap_or(levels[l].number.start);
            format_number(n, &levels[l].number.format)
        })
        .collect::<Vec<_>>()
        .join(".");
    Some(format!("{}{label}{}", this.prefix, this.suffix))
}

// --- Small helpers ----------------------------------------------------------------------

/// One clean text: `\n` line ends, no trailing spaces, no control characters, plain spaces
/// for no-break ones, at most one blank line in a row, none at either end.
fn tidy(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line: String = line
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .map(|c| if c == '\u{a0}' { ' ' } else { c })
            .collect();
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn alphanumerics(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphanumeric()).count()
}

/// Why a tool failed, in one line: the last thing it said, or how it ended.
fn reason(status: &str, stderr: &str) -> String {
    match stderr.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => process::tail(line, 200),
        None => format!("it ended with {status}"),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    //! Every document here is made by the test itself: PDFs written by hand (and their
    //! scans drawn by pdftoppm), DOCX and ODT zipped here, a Word 6 file in its OLE2
    //! container built byte by byte, RTF and HTML typed out.

    use std::io::Write;
    use std::time::Instant;

    use super::*;
    use crate::documents::agenda_items;

    const W_NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006""#;

    /// A PDF of the given objects (1 is the catalog), with a correct cross-reference table.
    fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, object) in objects.iter().enumerate() {
            offsets.push(out.len());
            writeln!(out, "{} 0 obj", i + 1).unwrap();
            out.extend_from_slice(object);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
        for offset in offsets {
            writeln!(out, "{offset:010} 00000 n ").unwrap();
        }
        write!(
            out,
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .unwrap();
        out
    }

    fn stream(dictionary: &str, data: &[u8]) -> Vec<u8> {
        let mut out = format!("<< {dictionary} /Length {} >>\nstream\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\nendstream");
        out
    }

    /// A page is either typed lines (Helvetica, Windows-1252) or a grey image filling it.
    enum Page {
        Typed(Vec<&'static str>),
        Scan(Gray),
    }

    struct Gray {
        width: usize,
        height: usize,
        pixels: Vec<u8>,
    }

    const PAGE_SIZE: (u32, u32) = (420, 200);

    fn pdf_of_pages(pages: &[Page]) -> Vec<u8> {
        // 1 catalog, 2 pages, 3 font, then per page: page, contents, (image).
        let mut objects = vec![Vec::new(), Vec::new()];
        objects.push(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .to_vec(),
        );
        let mut kids = Vec::new();
        for page in pages {
            let page_id = objects.len() + 1;
            kids.push(format!("{page_id} 0 R"));
            let (w, h) = PAGE_SIZE;
            let (resources, content, image) = match page {
                Page::Typed(lines) => {
                    let mut content = b"BT /F1 24 Tf 20 150 Td 30 TL".to_vec();
                    for line in lines {
                        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(line);
                        content.extend_from_slice(b" (");
                        content.extend_from_slice(&latin);
                        content.extend_from_slice(b") Tj T*");
                    }
                    content.extend_from_slice(b" ET");
                    ("/Font << /F1 3 0 R >>".to_string(), content, None)
                }
                Page::Scan(gray) => (
                    format!("/XObject << /Im1 {} 0 R >>", page_id + 2),
                    format!("q {w} 0 0 {h} 0 0 cm /Im1 Do Q").into_bytes(),
                    Some(stream(
                        &format!(
                            "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8",
                            gray.width, gray.height
                        ),
                        &gray.pixels,
                    )),
                ),
            };
            objects.push(format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Resources << {resources} >> /Contents {} 0 R >>",
                page_id + 1
            ).into_bytes());
            objects.push(stream("", &content));
            objects.extend(image);
        }
        objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>".to_vec();
        objects[1] = format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            kids.len()
        )
        .into_bytes();
        pdf(&objects)
    }

    /// What a scanner makes of typed lines: pdftoppm draws them at 150 dpi, grey, and the
    /// pixels go into an image-only page.
    async fn scanned(lines: Vec<&'static str>) -> Gray {
        let dir = tempfile::TempDir::new().unwrap();
        let typed = dir.path().join("typed.pdf");
        std::fs::write(&typed, pdf_of_pages(&[Page::Typed(lines)])).unwrap();
        let prefix = dir.path().join("scan");
        let args: [&OsStr; 6] = [
            "-r".as_ref(),
            "150".as_ref(),
            "-gray".as_ref(),
            "-singlefile".as_ref(),
            typed.as_os_str(),
            prefix.as_os_str(),
        ];
        process::run(Path::new("pdftoppm"), args, Duration::from_secs(30))
            .await
            .unwrap();
        // Binary PGM: "P5\n<width> <height>\n255\n" then one byte per pixel.
        let pgm = std::fs::read(prefix.with_extension("pgm")).unwrap();
        let mut fields = pgm.splitn(5, |b| b.is_ascii_whitespace());
        assert_eq!(fields.next(), Some(&b"P5"[..]));
        let mut number = || -> usize {
            std::str::from_utf8(fields.next().unwrap())
                .unwrap()
                .parse()
                .unwrap()
        };
        let (width, height, _max) = (number(), number(), number());
        let pixels = fields.next().unwrap().to_vec();
        assert_eq!(pixels.len(), width * height);
        Gray {
            width,
            height,
            pixels,
        }
    }

    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in entries {
            // ODF wants its mimetype first and stored; the rest deflated, as office
            // suites write them.
            let method = if *name == "mimetype" {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            };
            let options = zip::write::SimpleFileOptions::default().compression_method(method);
            zip.start_file(*name, options).unwrap();
            zip.write_all(content.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn docx_of(body: &str, numbering: Option<&str>) -> Vec<u8> {
        let document = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W_NS}><w:body>{body}</w:body></w:document>"#
        );
        let mut entries = vec![("word/document.xml", document.as_str())];
        let numbering = numbering.map(|n| format!(r#"<w:numbering {W_NS}>{n}</w:numbering>"#));
        if let Some(numbering) = &numbering {
            entries.push(("word/numbering.xml", numbering));
        }
        zip_of(&entries)
    }

    /// A Word 6 document as small as antiword accepts: OLE2 header, one FAT sector, one
    /// directory sector, and a WordDocument stream holding a FIB and the Windows-1252 text
    /// (paragraphs end in \r). No tool that Debian packages lightly can write .doc files.
    fn word6_doc(text: &str, encrypted: bool) -> Vec<u8> {
        ole2_file(word6_stream(text, encrypted))
    }

    fn put16(buf: &mut [u8], at: usize, value: u16) {
        buf[at..at + 2].copy_from_slice(&value.to_le_bytes());
    }

    fn put32(buf: &mut [u8], at: usize, value: u32) {
        buf[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    /// The WordDocument stream: a Word 6 FIB, an empty style sheet and the text.
    fn word6_stream(text: &str, encrypted: bool) -> Vec<u8> {
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        // Streams under 4096 bytes would live in the mini stream: stay above.
        let mut word = vec![0u8; 4096];
        let text_at = 0x300;
        put16(&mut word, 0x00, 0xA5DC); // wIdent: Word 6/7
        put16(&mut word, 0x02, 101); // nFib 101: Word 6
        put16(&mut word, 0x0A, if encrypted { 0x0100 } else { 0 }); // fEncrypted
        put32(&mut word, 0x18, text_at as u32); // fcMin
        put32(&mut word, 0x1C, (text_at + latin.len()) as u32); // fcMac
        put32(&mut word, 0x34, latin.len() as u32); // ccpText
        word[text_at..text_at + latin.len()].copy_from_slice(&latin);
        // An empty style sheet (cbStshi 14, cstd 0): antiword reads one whatever lcbStshf
        // says, past its buffer when there is none.
        let stylesheet_at = 0x200;
        put16(&mut word, stylesheet_at, 14);
        put16(&mut word, stylesheet_at + 4, 10); // cbSTDBaseInFile
        put32(&mut word, 0x60, stylesheet_at as u32); // fcStshf
        put32(&mut word, 0x64, 16); // lcbStshf
        word
    }

    /// An OLE2 compound file holding one stream, `WordDocument`.
    fn ole2_file(word: Vec<u8>) -> Vec<u8> {
        const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
        const FREE: u32 = 0xFFFF_FFFF;
        let sectors = word.len() / 512;
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        put16(&mut header, 0x18, 0x3E); // minor version
        put16(&mut header, 0x1A, 3); // major version: 512-byte sectors
        put16(&mut header, 0x1C, 0xFFFE); // little-endian
        put16(&mut header, 0x1E, 9); // sector size 2^9
        put16(&mut header, 0x20, 6); // mini sector size 2^6
        put32(&mut header, 0x2C, 1); // one FAT sector…
        put32(&mut header, 0x30, 1); // directory in sector 1
        put32(&mut header, 0x38, 4096); // mini stream cutoff
        put32(&mut header, 0x3C, END_OF_CHAIN); // no mini FAT
        put32(&mut header, 0x44, END_OF_CHAIN); // no DIFAT sectors
        put32(&mut header, 0x4C, 0); // …which is sector 0
        for i in 1..109 {
            put32(&mut header, 0x4C + 4 * i, FREE);
        }
        let mut fat = vec![0u8; 512];
        put32(&mut fat, 0, 0xFFFF_FFFD); // sector 0: the FAT itself
        put32(&mut fat, 4, END_OF_CHAIN); // sector 1: the directory
        for i in 0..sectors {
            let next = if i + 1 < sectors {
                (3 + i) as u32
            } else {
                END_OF_CHAIN
            };
            put32(&mut fat, 4 * (2 + i), next);
        }
        for i in 2 + sectors..128 {
            put32(&mut fat, 4 * i, FREE);
        }
        let entry = |name: &str, kind: u8, child: u32, start: u32, size: u32| {
            let mut e = vec![0u8; 128];
            let utf16: Vec<u8> = name
                .encode_utf16()
                .chain([0])
                .flat_map(u16::to_le_bytes)
                .collect();
            e[..utf16.len()].copy_from_slice(&utf16);
            put16(&mut e, 0x40, utf16.len() as u16);
            e[0x42] = kind;
            e[0x43] = 1; // black
            put32(&mut e, 0x44, FREE); // left sibling
            put32(&mut e, 0x48, FREE); // right sibling
            put32(&mut e, 0x4C, child);
            put32(&mut e, 0x74, start);
            put32(&mut e, 0x78, size);
            e
        };
        let mut file = header;
        file.extend(fat);
        file.extend(entry("Root Entry", 5, 1, END_OF_CHAIN, 0));
        file.extend(entry("WordDocument", 2, FREE, 2, word.len() as u32));
        file.extend(vec![0u8; 256]);
        file.extend(word);
        file
    }

    fn tools() -> Tools {
        Tools::default()
    }

    #[tokio::test]
    async fn typed_pdf_is_read_from_its_text_layer() {
        let bytes = pdf_of_pages(&[Page::Typed(vec![
            "ORDINE DEL GIORNO",
            "1. Approvazione del verbale",
            "2. Bilancio della città",
        ])]);
        let extracted = extract(&bytes, "odg.pdf", &tools()).await.unwrap();
        assert_eq!(extracted.format, DocumentFormat::Pdf);
        assert_eq!(extracted.media_type, "application/pdf");
        assert_eq!(extracted.note, None);
        assert_eq!(
            extracted.text,
            "ORDINE DEL GIORNO\n1. Approvazione del verbale\n2. Bilancio della città\n"
        );
        assert_eq!(agenda_items(&extracted.text).len(), 2);
    }

    #[tokio::test]
    async fn scanned_pdf_is_read_by_ocr() {
        let scan = scanned(vec!["Bilancio di previsione", "Approvazione del verbale"]).await;
        let bytes = pdf_of_pages(&[Page::Scan(scan)]);
        let started = Instant::now();
        let extracted = extract(&bytes, "scansione.pdf", &tools()).await.unwrap();
        eprintln!("OCR of one page took {:?}", started.elapsed());
        let text = extracted.text.to_lowercase();
        assert!(text.contains("bilancio di previsione"), "{text:?}");
        assert!(text.contains("approvazione del verbale"), "{text:?}");
        assert_eq!(extracted.note.as_deref(), Some("text recognised by OCR"));
    }

    #[tokio::test]
    async fn mixed_pdf_ocrs_only_its_scanned_pages_up_to_the_limit() {
        let bytes = pdf_of_pages(&[
            Page::Typed(vec!["Verbale della seduta consiliare", "del 12 marzo 2009"]),
            Page::Scan(scanned(vec!["Delibera sul bilancio"]).await),
            Page::Scan(scanned(vec!["Allegato non letto"]).await),
        ]);
        let limited = Tools {
            max_ocr_pages: 1,
            ..Tools::default()
        };
        let extracted = extract(&bytes, "verbale.pdf", &limited).await.unwrap();
        let text = extracted.text.to_lowercase();
        assert!(
            text.starts_with("verbale della seduta consiliare\n"),
            "{text:?}"
        );
        assert!(text.contains("delibera sul bilancio"), "{text:?}");
        assert!(!text.contains("allegato"), "{text:?}");
        assert_eq!(
            extracted.note.as_deref(),
            Some(
                "text of 1 of 3 pages recognised by OCR; \
                 only the first 1 of 2 scanned pages were read by OCR (the limit)"
            )
        );
    }

    #[tokio::test]
    async fn blank_scan_has_no_text() {
        let blank = Gray {
            width: 300,
            height: 150,
            pixels: vec![255; 300 * 150],
        };
        let err = extract(&pdf_of_pages(&[Page::Scan(blank)]), "vuoto.pdf", &tools())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ExtractError::NoText(why) if why == "scanned, OCR found no text"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn password_protected_pdf_is_refused() {
        let dir = tempfile::TempDir::new().unwrap();
        let (plain, locked) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
        std::fs::write(&plain, pdf_of_pages(&[Page::Typed(vec!["Riservato"])])).unwrap();
        let args: [&OsStr; 8] = [
            "--encrypt".as_ref(),
            "utente".as_ref(),
            "proprietario".as_ref(),
            "256".as_ref(),
            "--".as_ref(),
            plain.as_os_str(),
            locked.as_os_str(),
            // qpdf wants the output last; the list ends here.
            "--warning-exit-0".as_ref(),
        ];
        process::run(Path::new("qpdf"), args, Duration::from_secs(30))
            .await
            .unwrap();
        let bytes = std::fs::read(&locked).unwrap();
        let err = extract(&bytes, "riservato.pdf", &tools())
            .await
            .unwrap_err();
        assert!(matches!(err, ExtractError::PasswordProtected), "{err:?}");
        assert!(err.to_string().contains("password"));
    }

    #[tokio::test]
    async fn docx_paragraphs_lists_and_tables() {
        let numbering = r#"<w:abstractNum w:abstractNumId="0">
              <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
              <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl>
            </w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>"#;
        let item = |level: u8, text: &str| {
            format!(
                r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="1"/></w:numPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
            )
        };
        let body = [
            r#"<w:p><w:r><w:t>ORDINE DEL GIORNO</w:t></w:r></w:p><w:p/>"#.to_string(),
            item(0, "Approvazione del verbale"),
            item(0, "Bilancio della città &amp; frazioni"),
            item(1, "relazione dei revisori"),
            item(0, "Interrogazioni"),
            r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Presenti</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#.into(),
            r#"<w:p><w:r><w:t xml:space="preserve">Il </w:t></w:r><w:r><w:tab/><w:t>Sindaco</w:t><w:br/><w:t>Mario Rossi</w:t></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:del><w:r><w:delText>cancellato</w:delText></w:r></w:del></w:p>"#.into(),
            // A text box: Word writes it twice, the second time for old readers.
            r#"<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:txbxContent><w:p><w:r><w:t>Casella</w:t></w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r><w:t>Casella</w:t></w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:r></w:p>"#.into(),
        ]
        .concat();
        let bytes = docx_of(&body, Some(numbering));
        // The name says nothing: the bytes do.
        let extracted = extract(&bytes, "allegato", &tools()).await.unwrap();
        assert_eq!(extracted.format, DocumentFormat::Docx);
        assert_eq!(
            extracted.media_type,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(
            extracted.text,
            "ORDINE DEL GIORNO\n\n\
             1. Approvazione del verbale\n\n\
             2. Bilancio della città & frazioni\n\n\
             a) relazione dei revisori\n\n\
             3. Interrogazioni\n\n\
             Presenti\t12\n\n\
             Il \tSindaco\nMario Rossi\n\n\
             Casella\n"
        );
        let points: Vec<_> = agenda_items(&extracted.text)
            .into_iter()
            .map(|(n, _)| n.unwrap())
            .collect();
        assert_eq!(points, ["1", "2", "3"]);
    }

    #[tokio::test]
    async fn odt_paragraphs_lists_and_tables() {
        let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">
<office:automatic-styles>
 <text:list-style style:name="L1">
  <text:list-level-style-number text:level="1" style:num-suffix=")" style:num-format="1"/>
  <text:list-level-style-number text:level="2" style:num-suffix="." style:num-format="a"/>
 </text:list-style>
</office:automatic-styles>
<office:body><office:text>
 <text:h text:outline-level="1">Verbale della seduta</text:h>
 <text:p>Il Consiglio
    comunale<text:s text:c="2"/>si è riunito<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>Nota a piè di pagina</text:p></text:note-body></text:note>.</text:p>
 <text:list text:style-name="L1">
  <text:list-item><text:p>Approvazione del verbale</text:p></text:list-item>
  <text:list-item><text:p>Bilancio &amp; tributi</text:p>
   <text:list><text:list-item><text:p>relazione</text:p></text:list-item></text:list>
  </text:list-item>
 </text:list>
 <table:table><table:table-row><table:table-cell><text:p>Favorevoli</text:p></table:table-cell><table:table-cell><text:p>10</text:p></table:table-cell></table:table-row></table:table>
 <text:p>Il Sindaco<text:line-break/>Mario Rossi</text:p>
</office:text></office:body></office:document-content>"#;
        let bytes = zip_of(&[
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("content.xml", content),
        ]);
        let extracted = extract(&bytes, "verbale.odt", &tools()).await.unwrap();
        assert_eq!(extracted.format, DocumentFormat::Odt);
        assert_eq!(
            extracted.media_type,
            "application/vnd.oasis.opendocument.text"
        );
        assert_eq!(
            extracted.text,
            "Verbale della seduta\n\n\
             Il Consiglio comunale  si è riunito.\n\n\
             1) Approvazione del verbale\n\n\
             2) Bilancio & tributi\n\n\
             a. relazione\n\n\
             Favorevoli\t10\n\n\
             Il Sindaco\nMario Rossi\n"
        );
        assert_eq!(agenda_items(&extracted.text).len(), 2);
    }

    #[tokio::test]
    async fn word_97_2003_doc_is_read_by_antiword() {
        let bytes = word6_doc(
            "ORDINE DEL GIORNO\r\r1. Approvazione del bilancio della città\r2. Interrogazioni\r",
            false,
        );
        let extracted = extract(&bytes, "odg.doc", &tools()).await.unwrap();
        assert_eq!(extracted.format, DocumentFormat::Doc);
        assert_eq!(extracted.media_type, "application/msword");
        assert_eq!(
            extracted.text,
            "ORDINE DEL GIORNO\n\n1. Approvazione del bilancio della città\n2. Interrogazioni\n"
        );

        let locked = word6_doc("segreto\r", true);
        let err = extract(&locked, "segreto.doc", &tools()).await.unwrap_err();
        assert!(matches!(err, ExtractError::PasswordProtected), "{err:?}");
    }

    #[tokio::test]
    async fn rtf_is_read_with_its_accents_and_without_header_noise() {
        let rtf =
            br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}{\info{\title Verbale}}
\f0\fs24 ORDINE DEL GIORNO\par
\par
1. Approvazione del bilancio della citt\'e0\par
2. Interrogazioni \u8211? risposte\par
}";
        let extracted = extract(rtf, "odg.rtf", &tools()).await.unwrap();
        assert_eq!(extracted.format, DocumentFormat::Rtf);
        assert_eq!(
            extracted.text,
            "ORDINE DEL GIORNO\n\n1. Approvazione del bilancio della città\n2. Interrogazioni – risposte\n"
        );
    }

    #[tokio::test]
    async fn html_loses_scripts_styles_and_entities() {
        let html = b"<!DOCTYPE html><html><head><title>Albo pretorio</title>\
            <style>p { color: red }</style>\
            <script>var nascosto = '<p>non mostrare</p>';</script></head>\
            <body><h1>Ordine del giorno</h1>\
            <ol><li>Approvazione del verbale</li><li>Bilancio &egrave; approvato &amp; citt&agrave;</li></ol>\
            <p>Il&nbsp;Sindaco<br>Mario Rossi</p></body></html>";
        let extracted = extract(html, "odg.html", &tools()).await.unwrap();
        assert_eq!(extracted.format, DocumentFormat::Html);
        let text = &extracted.text;
        assert!(
            !text.contains("nascosto") && !text.contains("non mostrare"),
            "{text:?}"
        );
        assert!(!text.contains("color"), "{text:?}");
        assert!(text.contains("Bilancio è approvato & città"), "{text:?}");
        assert!(text.contains("Il Sindaco\nMario Rossi"), "{text:?}");
        assert!(text.starts_with("Ordine del giorno\n"), "{text:?}");
        assert_eq!(agenda_items(text).len(), 2, "{text:?}");
    }

    #[tokio::test]
    async fn windows_1252_text_is_decoded() {
        let extracted = extract(
            b"ORDINE DEL GIORNO\r\n1. Approvazione citt\xe0\r\n",
            "odg.txt",
            &tools(),
        )
        .await
        .unwrap();
        assert_eq!(extracted.format, DocumentFormat::Text);
        assert_eq!(extracted.media_type, "text/plain");
        assert_eq!(extracted.text, "ORDINE DEL GIORNO\n1. Approvazione città\n");
    }

    #[tokio::test]
    async fn broken_inputs_are_errors_not_panics() {
        let t = tools();
        let docx = docx_of("<w:p><w:r><w:t>Testo</w:t></w:r></w:p>", None);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("vuoto.txt", Vec::new(), "Empty"),
            ("spazi.txt", b" \n\t\n".to_vec(), "Empty"),
            ("finto.pdf", b"questo non e un pdf".to_vec(), "Broken"),
            ("rotto.pdf", b"%PDF-1.4\n1 0 obj\n<<".to_vec(), "Broken"),
            ("troncato.docx", docx[..docx.len() / 2].to_vec(), "Broken"),
            ("finto.docx", b"non un documento".to_vec(), "Broken"),
            (
                "malformato.docx",
                docx_of("<w:p><w:r><w:t>Testo</w:r></w:p>", None),
                "Broken",
            ),
            ("vuoto.docx", docx_of("<w:p/>", None), "NoText"),
            (
                "archivio.zip",
                zip_of(&[("leggimi.txt", "ciao")]),
                "Unsupported",
            ),
            (
                "foglio.ods",
                zip_of(&[
                    ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
                    ("content.xml", "<x/>"),
                ]),
                "Unsupported",
            ),
            (
                "rotto.doc",
                [
                    &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..],
                    &[0; 600],
                ]
                .concat(),
                "Broken",
            ),
            (
                "immagine.bin",
                vec![0x89, b'P', b'N', b'G', 0, 0, 0, 13],
                "Unsupported",
            ),
        ];
        for (name, bytes, expected) in cases {
            let err = extract(&bytes, name, &t)
                .await
                .expect_err(&format!("{name} was accepted"));
            let variant = format!("{err:?}");
            assert!(variant.starts_with(expected), "{name}: {err:?}");
            assert!(!err.to_string().is_empty());
        }
    }

    #[tokio::test]
    async fn a_missing_tool_names_its_debian_package() {
        let missing = Tools {
            pdftotext: PathBuf::from("/nonexistent/pdftotext"),
            catdoc: PathBuf::from("/nonexistent/catdoc"),
            ..Tools::default()
        };
        let pdf = pdf_of_pages(&[Page::Typed(vec!["Testo"])]);
        let err = extract(&pdf, "a.pdf", &missing).await.unwrap_err();
        assert!(
            matches!(&err, ExtractError::Tool { package, .. } if package == "poppler-utils"),
            "{err:?}"
        );
        assert!(err.to_string().contains("`poppler-utils`"), "{err}");
        let err = extract(br"{\rtf1 testo}", "a.rtf", &missing)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`catdoc`"), "{err}");

        let no_language = Tools {
            ocr_languages: "ita+zzz".into(),
            ..Tools::default()
        };
        let scan = pdf_of_pages(&[Page::Scan(scanned(vec!["Bilancio"]).await)]);
        let err = extract(&scan, "scansione.pdf", &no_language)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`tesseract-ocr-zzz`"), "{err}");
    }

    #[test]
    fn format_comes_from_magic_bytes_then_the_name() {
        let detect = |bytes: &[u8], name: &str| detect(bytes, name).unwrap();
        assert_eq!(detect(b"%PDF-1.7\n", "x.txt"), DocumentFormat::Pdf);
        assert_eq!(detect(b"\r\n%PDF-1.4\n", "x"), DocumentFormat::Pdf);
        assert_eq!(
            detect(
                &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0],
                "x.txt"
            ),
            DocumentFormat::Doc
        );
        assert_eq!(
            detect(b"\xEF\xBB\xBF {\\rtf1 x}", "x.doc"),
            DocumentFormat::Rtf
        );
        assert_eq!(
            detect(b"<!DOCTYPE HTML PUBLIC><p>x", "x.txt"),
            DocumentFormat::Html
        );
        assert_eq!(detect(b"<p>frammento</p>", "x.htm"), DocumentFormat::Html);
        assert_eq!(detect(b"<p>frammento</p>", "x.txt"), DocumentFormat::Text);
        assert_eq!(detect(b"1. Punto", "ODG.TXT"), DocumentFormat::Text);
        assert_eq!(
            detect(b"1. Punto", "senza-estensione"),
            DocumentFormat::Text
        );
        assert!(matches!(
            super::detect(b"1. Punto", "x.ODT"),
            Err(ExtractError::Broken(_))
        ));
    }

    #[test]
    fn list_numbers_in_word_and_odf_formats() {
        assert_eq!(format_number(4, "decimal"), "4");
        assert_eq!(format_number(4, "1"), "4");
        assert_eq!(format_number(3, "lowerLetter"), "c");
        assert_eq!(format_number(28, "A"), "BB");
        assert_eq!(format_number(14, "upperRoman"), "XIV");
        assert_eq!(format_number(1999, "i"), "mcmxcix");
        assert_eq!(format_number(7, "decimalZero"), "07");
        assert_eq!(format_number(5000, "I"), "5000");
        assert_eq!(format_number(u32::MAX, "a"), u32::MAX.to_string());
    }

    #[test]
    fn tidy_keeps_one_blank_line_and_no_trailing_space() {
        assert_eq!(
            tidy("\n\n  Titolo  \r\n\r\n\r\n\u{c}1. Punto\t\n   seguito\n\n"),
            "  Titolo\n\n1. Punto\n   seguito\n"
        );
        assert_eq!(tidy(" \n\u{c}\n"), "");
    }

    #[test]
    fn word_and_odf_bodies_skip_what_is_not_shown_and_keep_their_numbers() {
        let numbering = r#"<w:abstractNum w:abstractNumId="0">
              <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
            </w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>"#;
        let body = r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr></w:p>
            <w:p><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr><w:pPrChange><w:pPr><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr></w:pPrChange></w:pPr><w:r><w:t><![CDATA[a <b>]]></w:t><w:t>&#233;</w:t></w:r><w:moveFrom><w:r><w:t>spostato</w:t></w:r><w:moveFrom/></w:moveFrom><w:r><w:noBreakHyphen/><w:cr/><w:t/><w:t>fine</w:t></w:r></w:p>
            <w:p><w:pPr><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>senza numero</w:t></w:r></w:p>"#;
        let docx = docx_text(&docx_of(body, Some(numbering))).unwrap();
        assert_eq!(
            docx, "1.\n\n2. a <b>é-\nfine\n\nsenza numero\n\n",
            "{docx:?}"
        );

        let content = r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0">
<office:automatic-styles>
 <text:list-style style:name="N"><text:list-level-style-number text:level="1" style:num-prefix="(" style:num-suffix=")" style:num-format="i"/></text:list-style>
 <text:list-style style:name="B"><text:list-level-style-bullet text:level="1" text:bullet-char="-"/></text:list-style>
</office:automatic-styles>
<office:body><office:text>
 <text:tracked-changes><text:changed-region><text:deletion><text:p>tolto</text:p></text:deletion></text:changed-region></text:tracked-changes>
 <text:list text:style-name="N"><text:list-header><text:p>Intestazione</text:p></text:list-header><text:list-item><text:p>uno</text:p></text:list-item></text:list>
 <text:p>in mezzo<text:annotation><text:p>commento</text:p></text:annotation><text:tab/><![CDATA[x  y]]></text:p><text:p/>
 <text:list text:style-name="N" text:continue-numbering="true"><text:list-item><text:p>due</text:p></text:list-item><text:list-item text:start-value="7"><text:p>sette</text:p></text:list-item></text:list>
 <text:list text:style-name="N"><text:list-item><text:p>di nuovo uno</text:p></text:list-item></text:list>
 <text:list text:style-name="B"><text:list-item><text:p>punto</text:p></text:list-item></text:list>
</office:text></office:body></office:document-content>"#;
        let odt = odt_text(&zip_of(&[("content.xml", content)])).unwrap();
        assert_eq!(odt, "Intestazione\n\n(i) uno\n\nin mezzo\tx  y\n\n\n\n(ii) due\n\n(vii) sette\n\n(i) di nuovo uno\n\n- punto\n\n", "{odt:?}");
    }
}
