//! The words of alert messages, in the subscriber's language (Italian, or English): the
//! confirmation that asks for the address to be confirmed, and the digest of new matches.
//! Plain text, lines under 78 characters where the words allow, every link whole on its
//! own line. Every message ends with how to leave. Pure.

use crate::domain::Frequency;

/// One session in a digest.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestItem {
    pub title: String,
    pub body: String,
    /// `2012-03-14`
    pub date: String,
    /// Its page, absolute, at the second of the passage when there is one.
    pub url: String,
    /// The passage that matched, as plain text (empty for a body's new session).
    pub passage: String,
}

/// The links every message carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Links {
    pub confirm: String,
    pub leave: String,
    pub privacy: String,
}

impl Links {
    pub fn new(origin: &str, token: &str) -> Links {
        Links {
            confirm: format!("{origin}/avvisi/conferma/{token}"),
            leave: format!("{origin}/avvisi/annulla/{token}"),
            privacy: format!("{origin}/privacy"),
        }
    }
}

fn english(lang: &str) -> bool {
    lang == "en"
}

fn how_often(lang: &str, frequency: Frequency) -> &'static str {
    match (english(lang), frequency) {
        (false, Frequency::Daily) => "una volta al giorno",
        (false, Frequency::Weekly) => "una volta alla settimana",
        (true, Frequency::Daily) => "once a day",
        (true, Frequency::Weekly) => "once a week",
    }
}

fn footer(lang: &str, links: &Links) -> String {
    if english(lang) {
        format!(
            "\n-- \nTo stop these alerts (nothing else is needed):\n{}\n\
             What is kept about you, and why: {}\n",
            links.leave, links.privacy
        )
    } else {
        format!(
            "\n-- \nPer non ricevere più questi avvisi (basta un clic):\n{}\n\
             Quali dati conserviamo e perché: {}\n",
            links.leave, links.privacy
        )
    }
}

/// The message asking to confirm a subscription to `label`.
pub fn confirmation(
    lang: &str,
    links: &Links,
    label: &str,
    frequency: Frequency,
) -> (String, String) {
    let often = how_often(lang, frequency);
    if english(lang) {
        (
            format!("Confirm your alert: {label}"),
            format!(
                "Someone (you, we hope) asked to be told by e-mail, {often}, about new council \
                 sessions for:\n\n    {label}\n\nTo confirm, open this link:\n{}\n\n\
                 If it was not you, do nothing: without confirmation nothing else is sent and \
                 the address is deleted within a week.\n{}",
                links.confirm,
                footer(lang, links)
            ),
        )
    } else {
        (
            format!("Conferma il tuo avviso: {label}"),
            format!(
                "Qualcuno (speriamo tu) ha chiesto di ricevere per e-mail, {often}, le nuove \
                 sedute su:\n\n    {label}\n\nPer confermare apri questo collegamento:\n{}\n\n\
                 Se non sei stato tu, non fare nulla: senza conferma non ti scriveremo più e \
                 l'indirizzo sarà cancellato entro una settimana.\n{}",
                links.confirm,
                footer(lang, links)
            ),
        )
    }
}

/// The digest telling `items` (at least one) to the follower of `label`.
pub fn digest(lang: &str, links: &Links, label: &str, items: &[DigestItem]) -> (String, String) {
    let mut text = String::new();
    let subject = if english(lang) {
        text.push_str(&format!("New council sessions for «{label}»:\n"));
        format!("{}: {} new session(s)", label, items.len())
    } else {
        text.push_str(&format!("Nuove sedute per «{label}»:\n"));
        let n = items.len();
        format!(
            "{label}: {n} {}",
            if n == 1 {
                "nuova seduta"
            } else {
                "nuove sedute"
            }
        )
    };
    for item in items {
        text.push_str(&format!(
            "\n* {} ({}, {})\n",
            item.title, item.body, item.date
        ));
        if !item.passage.is_empty() {
            text.push_str(&format!("  «{}»\n", item.passage));
        }
        text.push_str(&format!("  {}\n", item.url));
    }
    text.push_str(&footer(lang, links));
    (subject, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links::new("https://video.comune.example.it", "tok")
    }

    #[test]
    fn a_confirmation_names_what_is_followed_and_how_to_confirm_or_leave() {
        let (subject, body) = confirmation("it", &links(), "«fornace»", Frequency::Weekly);
        assert_eq!(subject, "Conferma il tuo avviso: «fornace»");
        assert!(body.contains("una volta alla settimana"));
        assert!(body.contains("\nhttps://video.comune.example.it/avvisi/conferma/tok\n"));
        assert!(body.contains("\nhttps://video.comune.example.it/avvisi/annulla/tok\n"));
        assert!(body.contains("https://video.comune.example.it/privacy"));
        let (subject, body) = confirmation("en", &links(), "Giunta", Frequency::Daily);
        assert_eq!(subject, "Confirm your alert: Giunta");
        assert!(body.contains("once a day"));
    }

    #[test]
    fn a_digest_lists_each_session_with_its_passage_and_link() {
        let item = DigestItem {
            title: "Seduta del 14 marzo".into(),
            body: "Consiglio comunale".into(),
            date: "2013-03-14".into(),
            url: "https://x.it/sedute/4?t=75".into(),
            passage: "la variante della Fornace".into(),
        };
        let (subject, body) = digest("it", &links(), "fornace", std::slice::from_ref(&item));
        assert_eq!(subject, "fornace: 1 nuova seduta");
        assert!(body.contains("* Seduta del 14 marzo (Consiglio comunale, 2013-03-14)\n"));
        assert!(body.contains("  «la variante della Fornace»\n  https://x.it/sedute/4?t=75\n"));
        assert!(body.contains("/avvisi/annulla/tok"));
        let (subject, _) = digest("it", &links(), "fornace", &[item.clone(), item]);
        assert_eq!(subject, "fornace: 2 nuove sedute");
    }
}
