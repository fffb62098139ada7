//! Search benchmark (bench/search/run.sh): a synthetic twenty-year archive of one comune
//! (4,000 sessions over 12 bodies, 60,000 agenda items, 4,000 minutes of about 5,000 words,
//! 1,000 transcripts of about 20,000 words) written into a fresh catalog; then the index is
//! built from it, and 20 representative queries are timed through the HTTP API and through
//! the index directly, in the same run.
//! Usage: bench_search WORK_DIR [SCALE] [REPEATS]   (SCALE 1.0 = the full archive)

use std::time::{Duration, Instant};

use aula::catalog::{
    BodyName, NewCue, NewDocument, NewRecording, NewSession, SessionDate, SessionTitle,
};
use aula::http::Application;
use aula::search::{SearchIndex, SearchRequest, Sort};
use aula::{Archive, Config};

const BODIES: [&str; 12] = [
    "Consiglio comunale",
    "Giunta comunale",
    "Commissione Urbanistica",
    "Commissione Bilancio",
    "Commissione Ambiente",
    "Commissione Lavori pubblici",
    "Commissione Servizi sociali",
    "Commissione Cultura",
    "Commissione Istruzione",
    "Commissione Attività produttive",
    "Commissione Statuto e regolamenti",
    "Commissione Trasporti e mobilità",
];

/// Words of municipal Italian, most frequent first (picked with a Zipf-like skew).
const WORDS: &str = "il la di che e in per del della un una con al sono non è si delle dei nel \
    comune consiglio seduta punto ordine giorno proposta delibera approvazione votazione \
    consigliere consigliera presidente sindaco assessore assessora giunta commissione \
    bilancio previsione rendiconto variazione tributi imu tari tasse tariffe spesa entrate \
    variante piano regolatore urbanistico edilizio lottizzazione area zona comparto \
    strade manutenzione asfaltatura marciapiedi illuminazione pubblica parcheggi traffico \
    viabilità rotatoria ciclabile pista mobilità sostenibile trasporto scuolabus autobus \
    scuola asilo nido mensa istruzione biblioteca cultura teatro museo eventi estate \
    ambiente rifiuti raccolta differenziata discarica verde pubblico parco alberi acqua \
    fognature depuratore energia fotovoltaico efficienza sociale servizi anziani famiglie \
    disabili contributi associazioni volontariato sport palestra impianti campo calcio \
    sicurezza polizia locale videosorveglianza protezione civile emergenza alluvione \
    mozione interrogazione interpellanza emendamento ordine regolamento statuto nomina \
    revisori conti società partecipate appalto gara lavori progetto esecutivo definitivo \
    finanziamento regione provincia stato mutuo cassa depositi prestiti investimenti \
    città cittadini frazione quartiere centro storico piazza chiesa cimitero ospedale \
    perché più già così dell'ambiente dell'area all'unanimità favorevoli contrari astenuti";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Skewed towards the start of the list, like word frequencies.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) - 1.0) as usize % n
    }
}

fn sentence(rng: &mut Rng, words: &[&str], len: usize) -> String {
    let mut s = String::with_capacity(len * 8);
    for i in 0..len {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(words[rng.zipf(words.len())]);
    }
    s.push('.');
    s
}

fn text(rng: &mut Rng, words: &[&str], total: usize) -> String {
    let mut out = String::with_capacity(total * 8);
    let mut n = 0;
    while n < total {
        let len = 8 + rng.below(20);
        out.push_str(&sentence(rng, words, len));
        n += len;
        out.push(if rng.below(8) == 0 { '\n' } else { ' ' });
        if rng.below(40) == 0 {
            out.push('\n');
        }
    }
    out
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1000.0
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let work = std::path::PathBuf::from(
        args.get(1)
            .ok_or_else(|| anyhow::anyhow!("usage: bench_search WORK_DIR [SCALE] [REPEATS]"))?,
    );
    let scale: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let repeats: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(30);
    let sessions = (4000.0 * scale) as usize;
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let data_dir = work.join("data");
    // An archive and index left by an earlier run in the same WORK_DIR are reused (for
    // trying a change to the search path without waiting for the archive again); one that
    // an interrupted run left unfinished is refused rather than written twice.
    let index_dir = work.join("index");
    let built_marker = work.join("index-built");
    let reuse = built_marker.exists();
    if reuse {
        println!("reusing the archive and index in {}", work.display());
    } else if data_dir.exists() {
        anyhow::bail!(
            "{} holds an unfinished archive from an interrupted run; remove it first",
            data_dir.display()
        );
    }
    let archive = Archive::open(Config {
        data_dir: data_dir.clone(),
        ..Config::default()
    })
    .await?;

    // 1. The synthetic archive, written through the catalog.
    let started = Instant::now();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut total_words = 0usize;
    let to_write = if reuse { 0 } else { sessions };
    for i in 0..to_write {
        let body = BODIES[if i % 3 == 0 {
            0
        } else {
            rng.below(BODIES.len())
        }];
        let year = 2005 + (i * 20 / sessions.max(1)) as i32;
        let date = format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        let title = sentence(&mut rng, &words[20..], 5);
        let aula::catalog::CreatedSession { session_id: id, .. } = archive
            .catalog
            .create_session(
                &NewSession {
                    body: &BodyName::parse(body)?,
                    date: SessionDate::parse(&date)?,
                    title: &SessionTitle::parse(&title)?,
                    kind: "ordinary",
                    number: None,
                },
                &[NewRecording {
                    sha256: &format!("{i:064}"),
                    original_name: "x",
                    size_bytes: 1,
                    stored_path: "originals/x",
                    duration_ms: Some(7_200_000),
                    probe_json: "{}",
                }],
                "{}",
            )
            .await?;
        let items: Vec<(Option<String>, String)> = (0..15)
            .map(|n| {
                let len = 6 + rng.below(8);
                (
                    Some((n + 1).to_string()),
                    sentence(&mut rng, &words[20..], len),
                )
            })
            .collect();
        let minutes = text(&mut rng, &words, 5000);
        total_words += 5000 + 15 * 10;
        let doc = |kind: &str, sha: String, text| NewDocument {
            kind: kind.parse().unwrap(),
            original_name: "d",
            sha256: Box::leak(sha.into_boxed_str()),
            size_bytes: 1,
            stored_path: "originals/d",
            media_type: "text/plain",
            text: Some(text),
            extraction_state: aula::domain::ExtractionState::Ok,
            extraction_note: None,
        };
        archive
            .catalog
            .add_document(id, &doc("agenda", format!("a{i}"), ""), &items)
            .await?;
        archive
            .catalog
            .add_document(id, &doc("minutes", format!("m{i}"), &minutes), &[])
            .await?;
        if i % 4 == 0 {
            let t = archive
                .catalog
                .add_document(id, &doc("transcript", format!("t{i}"), ""), &[])
                .await?;
            let cue_texts: Vec<String> =
                (0..1333).map(|_| sentence(&mut rng, &words, 15)).collect();
            let speakers = [
                "Presidente",
                "Sindaco",
                "Cons. Rossi",
                "Cons. Bianchi",
                "Ass. Verdi",
            ];
            let cues: Vec<NewCue> = cue_texts
                .iter()
                .enumerate()
                .map(|(n, t)| NewCue {
                    start_ms: n as i64 * 5000,
                    end_ms: n as i64 * 5000 + 4800,
                    speaker: Some(speakers[(n / 7) % speakers.len()]),
                    text: t,
                })
                .collect();
            archive.catalog.add_cues(id, t, &cues).await?;
            total_words += 20_000;
        }
        if i % 500 == 499 {
            eprintln!(
                "  {} sessions written ({:.0} s)",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    if !reuse {
        println!("archive: {sessions} sessions, {} agenda items, about {:.1} million words, written in {:.0} s", sessions * 15, total_words as f64 / 1e6, started.elapsed().as_secs_f64());

        // 2. Index build from the catalog.
        let started = Instant::now();
        let index = SearchIndex::open(&index_dir)?;
        let n = index.catch_up(&archive.catalog).await?;
        let build = started.elapsed().as_secs_f64();
        println!(
            "index: {n} sessions in {build:.1} s, {:.0} MB on disk",
            dir_size(&index_dir) as f64 / 1e6
        );
        std::fs::write(&built_marker, b"")?;
    }

    // 3. The same 20 queries, directly and through HTTP.
    let bodies = archive.catalog.bodies().await?;
    let council = bodies
        .iter()
        .find(|b| b.name == "Consiglio comunale")
        .map(|b| b.id);
    let queries: Vec<(&str, &str, SearchRequest)> = {
        let q = |text: &str| SearchRequest {
            text: text.into(),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        vec![
            ("bilancio", "q=bilancio", q("bilancio")),
            ("variante", "q=variante", q("variante")),
            ("scuola", "q=scuola", q("scuola")),
            ("parcheggi", "q=parcheggi", q("parcheggi")),
            ("rifiuti", "q=rifiuti", q("rifiuti")),
            ("illuminazione", "q=illuminazione", q("illuminazione")),
            ("città (accent)", "q=citta", q("citta")),
            (
                "dell'ambiente (elision)",
                "q=dell%27ambiente",
                q("dell'ambiente"),
            ),
            (
                "variante piano regolatore",
                "q=variante+piano+regolatore",
                q("variante piano regolatore"),
            ),
            (
                "manutenzione strade (2 words)",
                "q=manutenzione+strade",
                q("manutenzione strade"),
            ),
            (
                "\"piano regolatore\"",
                "q=%22piano+regolatore%22",
                q("\"piano regolatore\""),
            ),
            (
                "\"bilancio di previsione\"",
                "q=%22bilancio+di+previsione%22",
                q("\"bilancio di previsione\""),
            ),
            (
                "\"raccolta differenziata\"",
                "q=%22raccolta+differenziata%22",
                q("\"raccolta differenziata\""),
            ),
            (
                "bilancio, council, 2010-2014",
                "q=bilancio&body=consiglio-comunale&from=2010&to=2014",
                SearchRequest {
                    body_id: council,
                    from: date("2010-01-01"),
                    to: date("2014-12-31"),
                    ..q("bilancio")
                },
            ),
            (
                "verde pubblico, from 2018",
                "q=verde+pubblico&from=2018",
                SearchRequest {
                    from: date("2018-01-01"),
                    ..q("verde pubblico")
                },
            ),
            (
                "mozione, transcripts",
                "q=mozione&kind=transcript",
                SearchRequest {
                    kind: Some("transcript".into()),
                    ..q("mozione")
                },
            ),
            (
                "interrogazione, newest",
                "q=interrogazione&sort=newest",
                SearchRequest {
                    sort: Sort::Newest,
                    ..q("interrogazione")
                },
            ),
            ("asilo OR scuola", "q=asilo+OR+scuola", q("asilo OR scuola")),
            ("tributi -imu", "q=tributi+-imu", q("tributi -imu")),
            (
                "alluvione emergenza page 3",
                "q=alluvione+emergenza&page=3",
                SearchRequest {
                    page: 3,
                    ..q("alluvione emergenza")
                },
            ),
        ]
    };
    let app = Application::build(
        Archive::open(Config {
            data_dir: data_dir.clone(),
            index_dir: Some(index_dir.clone()),
            workers: 1,
            listen: "127.0.0.1:0".parse()?,
            ..Config::default()
        })
        .await?,
    )
    .await?;
    let address = app.address().to_string();
    tokio::spawn(app.run_until_stopped());
    // The server holds the index now; the direct side opens a copy-free reader over it.
    let direct = SearchIndex::open_read_only(&index_dir)?;
    let client = reqwest::Client::new();
    println!("\n| query | sessions | tantivy top-10 p50 ms | p99 | tantivy top-10 + facets p50 ms | p99 | in-process p50 ms | p99 | API p50 ms | p99 |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (mut all_direct, mut all_api, mut all_raw) = (Vec::new(), Vec::new(), Vec::new());
    let mut all_faceted = Vec::new();
    for (label, http, req) in &queries {
        let mut d = Vec::new();
        let mut a = Vec::new();
        let mut raw = Vec::new();
        let mut faceted = Vec::new();
        let mut total = 0;
        for r in 0..repeats + 3 {
            let t = Instant::now();
            direct.tantivy_top_docs(&req.text, 10)?;
            let rt = t.elapsed();
            let t = Instant::now();
            direct.tantivy_top_docs_with_facets(&req.text, 10)?;
            let ft = t.elapsed();
            let t = Instant::now();
            let res = direct.search(req)?;
            let dt = t.elapsed();
            let t = Instant::now();
            let resp = client
                .get(format!("{address}/api/v1/search?{http}&per_page=10"))
                .send()
                .await?;
            assert!(resp.status().is_success(), "{label}: {}", resp.status());
            let _ = resp.bytes().await?;
            let at = t.elapsed();
            if r >= 3 {
                d.push(dt);
                a.push(at);
                raw.push(rt);
                faceted.push(ft);
            }
            total = res.total;
        }
        d.sort();
        a.sort();
        raw.sort();
        faceted.sort();
        println!(
            "| {label} | {total} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            pct(&raw, 0.5),
            pct(&raw, 0.99),
            pct(&faceted, 0.5),
            pct(&faceted, 0.99),
            pct(&d, 0.5),
            pct(&d, 0.99),
            pct(&a, 0.5),
            pct(&a, 0.99)
        );
        all_direct.extend(d);
        all_api.extend(a);
        all_raw.extend(raw);
        all_faceted.extend(faceted);
    }
    all_direct.sort();
    all_api.sort();
    all_raw.sort();
    all_faceted.sort();
    println!(
        "| **all {} queries** | | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        queries.len() * repeats,
        pct(&all_raw, 0.5),
        pct(&all_raw, 0.99),
        pct(&all_faceted, 0.5),
        pct(&all_faceted, 0.99),
        pct(&all_direct, 0.5),
        pct(&all_direct, 0.99),
        pct(&all_api, 0.5),
        pct(&all_api, 0.99)
    );
    println!(
        "\nAPI p99 / in-process p99 = {:.2}; API p99 / tantivy top-10 p99 = {:.2}; \
         API p99 / tantivy top-10 + facets p99 = {:.2}",
        pct(&all_api, 0.99) / pct(&all_direct, 0.99),
        pct(&all_api, 0.99) / pct(&all_raw, 0.99),
        pct(&all_api, 0.99) / pct(&all_faceted, 0.99)
    );
    Ok(())
}
