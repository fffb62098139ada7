//! Word error rate of a transcript against what was said, with the same normalisation the
//! tests use (`aula::speech::score`), for the speech-to-text benchmark (bench/asr/run.sh).
//! Usage: cargo run --release --example asr_wer -- SAID.txt HEARD.txt

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [said, heard] = args.as_slice() else {
        eprintln!("usage: asr_wer SAID.txt HEARD.txt");
        std::process::exit(2);
    };
    let read = |path: &str| {
        std::fs::read_to_string(path).unwrap_or_else(|e| {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2)
        })
    };
    let wer = aula::speech::score::word_error_rate(&read(said), &read(heard));
    println!("{wer:.4}");
}
