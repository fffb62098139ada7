//! A speaker label ("CONS. ROSSI", "Il Presidente", "L'ASSESSORE BIANCHI") or a name written
//! in the minutes ("Rossi Mario", "DE LUCA ANNA") resolved to one person of the roster valid
//! on the session's day, or to nobody. Case and accents do not matter (Italian capitals
//! write an accent as an apostrophe: NICCOLO' is Niccolò); titles are set aside but
//! remembered, as they tell apart two people sharing a surname; a bare role is whoever held
//! it that day. When more than one person still fits, the answer is `Ambiguous`: a name is
//! never guessed.
//!
//! A title that contradicts the only person with that surname ("Sindaco Rossi" when the one
//! Rossi is a councillor) does not stop the match: titles in transcripts and minutes are
//! often stale or misheard, while a surname is what a label is really about. A title only
//! chooses between people who fit the name equally well.

use super::Member;
use crate::catalog::fold;
use crate::domain::RoleKind;

/// Who a label names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Exactly one person of the roster fits.
    Person(i64),
    /// More than one person fits (their ids, in roster order).
    Ambiguous(Vec<i64>),
    /// Nobody of the roster fits.
    Unknown,
}

/// Titles and honorifics, folded, with the role a title implies. Longest first, so "vice
/// presidente" is not read as a stray "vice" before "presidente". The spoken forms
/// ("dottoressa", "avvocato") are here too, as automatic transcripts write them out.
const TITLES: &[(&str, Option<RoleKind>)] = &[
    ("vice presidente", Some(RoleKind::VicePresident)),
    ("vicepresidente", Some(RoleKind::VicePresident)),
    ("vicepresidentessa", Some(RoleKind::VicePresident)),
    ("vice sindaco", Some(RoleKind::DeputyMayor)),
    ("vice sindaca", Some(RoleKind::DeputyMayor)),
    ("vicesindaco", Some(RoleKind::DeputyMayor)),
    ("vicesindaca", Some(RoleKind::DeputyMayor)),
    ("consigliere", Some(RoleKind::Councillor)),
    ("consigliera", Some(RoleKind::Councillor)),
    ("consigl", Some(RoleKind::Councillor)),
    ("cons", Some(RoleKind::Councillor)),
    ("assessore", Some(RoleKind::Assessore)),
    ("assessora", Some(RoleKind::Assessore)),
    ("ass", Some(RoleKind::Assessore)),
    ("sindaco", Some(RoleKind::Mayor)),
    ("sindaca", Some(RoleKind::Mayor)),
    ("presidente", Some(RoleKind::President)),
    ("presidentessa", Some(RoleKind::President)),
    ("pres", Some(RoleKind::President)),
    ("segretario", Some(RoleKind::Secretary)),
    ("segretaria", Some(RoleKind::Secretary)),
    ("segr", Some(RoleKind::Secretary)),
    ("dott ssa", None),
    ("dottssa", None),
    ("dottoressa", None),
    ("dottore", None),
    ("dottor", None),
    ("dott", None),
    ("dr", None),
    ("avvocato", None),
    ("avvocata", None),
    ("avv", None),
    ("ingegnere", None),
    ("ingegner", None),
    ("ing", None),
    ("architetto", None),
    ("arch", None),
    ("geometra", None),
    ("geom", None),
    ("prof ssa", None),
    ("professoressa", None),
    ("professore", None),
    ("professor", None),
    ("prof", None),
    ("sig ra", None),
    ("sigra", None),
    ("sig", None),
    ("signore", None),
    ("signor", None),
    ("signora", None),
    ("onorevole", None),
    ("on", None),
];

/// Words that belong to the title before them ("Segretario Generale", "Presidente del
/// Consiglio"): taken only after a title of that role, since "Generale" alone could be a
/// surname.
const TITLE_TAILS: &[(RoleKind, &str)] = &[
    (RoleKind::Secretary, "generale"),
    (RoleKind::Secretary, "comunale"),
    (RoleKind::President, "del consiglio comunale"),
    (RoleKind::President, "del consiglio"),
    (RoleKind::VicePresident, "del consiglio comunale"),
    (RoleKind::VicePresident, "del consiglio"),
];

/// Articles before a title ("il presidente", "la consigliera", "l'assessore"); only taken
/// as such before a title, since "La Rosa" and "Lo Russo" are surnames.
const ARTICLES: &[&str] = &["il", "la", "lo", "l", "the"];

/// A name as written, folded for comparison: lower case, no accents, apostrophes and dots
/// as spaces, spaces collapsed. A vowel followed by an apostrophe at a word's end is the
/// capitals' way of writing an accented vowel, so that apostrophe just goes.
pub fn fold_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let apostrophe = matches!(c, '\'' | '’' | '‘' | '`' | '´');
        let after_vowel = i > 0 && "aeiouAEIOUàèéìòùÀÈÉÌÒÙ".contains(chars[i - 1]);
        let word_ends = chars.get(i + 1).is_none_or(|n| !n.is_alphabetic());
        if apostrophe && after_vowel && word_ends {
            continue;
        }
        if c.is_alphanumeric() {
            out.push(c);
        } else {
            out.push(' ');
        }
    }
    fold(&out).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A label's name words once its titles are set aside, and the roles those titles imply:
/// "L'Assessore Dott. Bianchi" gives (["bianchi"], [Assessore]). The turn reader uses it to
/// tell a title from a name in what the chair said.
pub(crate) fn split_title(label: &str) -> (Vec<String>, Vec<RoleKind>) {
    let folded = fold_name(label);
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut roles = Vec::new();
    loop {
        if let Some((len, role)) = title_at(&words) {
            words.drain(..len);
            if let Some(role) = role {
                roles.push(role);
                words.drain(..tail_at(&words, role));
            }
        } else if words.len() > 1 && ARTICLES.contains(&words[0]) && title_at(&words[1..]).is_some()
        {
            words.remove(0);
        } else {
            break;
        }
    }
    // A title after the name ("Verdi Presidente"), when a name is left before it.
    if let Some((len, role)) = title_ending(&words) {
        words.truncate(words.len() - len);
        roles.extend(role);
    }
    (words.into_iter().map(String::from).collect(), roles)
}

/// The title `words` start with: (how many words, the role it implies).
fn title_at(words: &[&str]) -> Option<(usize, Option<RoleKind>)> {
    TITLES.iter().find_map(|(title, role)| {
        let parts: Vec<&str> = title.split(' ').collect();
        words.starts_with(&parts).then_some((parts.len(), *role))
    })
}

/// How many of `words` (after a title of `role`) still belong to the title.
fn tail_at(words: &[&str], role: RoleKind) -> usize {
    TITLE_TAILS
        .iter()
        .filter(|(r, _)| *r == role)
        .map(|(_, tail)| tail.split(' ').collect::<Vec<_>>())
        .find(|parts| words.starts_with(parts))
        .map_or(0, |parts| parts.len())
}

/// A title `words` end with, leaving at least one word before it.
fn title_ending(words: &[&str]) -> Option<(usize, Option<RoleKind>)> {
    TITLES.iter().find_map(|(title, role)| {
        let parts: Vec<&str> = title.split(' ').collect();
        (words.len() > parts.len() && words.ends_with(&parts)).then_some((parts.len(), *role))
    })
}

/// How well `words` name `m`, None when they cannot be them: 1 for the family name alone,
/// 2 with an initial or part of the given name, 3 with the whole given name. The family
/// name must be there whole, written with or without its spaces ("De Luca", "DELUCA"); the
/// given name may stand before or after it, never on both sides.
fn name_fit(words: &[String], m: &Member) -> Option<u8> {
    let family = fold_name(&m.family_name).replace(' ', "");
    let given: Vec<String> = fold_name(&m.given_name)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    if family.is_empty() {
        return None;
    }
    let mut best = None;
    for from in 0..words.len() {
        for to in from + 1..=words.len() {
            if words[from..to].concat() != family {
                continue;
            }
            let rest = match (from, to) {
                (0, _) => &words[to..],
                (_, to) if to == words.len() => &words[..from],
                _ => continue,
            };
            best = best.max(given_fit(rest, &given));
        }
    }
    best
}

/// How the words left beside the family name fit the given name: each must be one of the
/// given names, in order, or its initial ("M. Rossi", "Maria Dalla Chiesa").
fn given_fit(rest: &[String], given: &[String]) -> Option<u8> {
    if rest.is_empty() {
        return Some(1);
    }
    if rest == given || rest.concat() == given.concat() {
        return Some(3);
    }
    let mut names = given.iter();
    let all_fit = rest.iter().all(|word| {
        names.any(|name| {
            name == word || (word.chars().count() == 1 && name.starts_with(word.as_str()))
        })
    });
    all_fit.then_some(2)
}

/// Resolves a label to one person of `roster` (the people of the session's day, with the
/// roles they held that day).
pub fn resolve(label: &str, roster: &[Member]) -> Resolved {
    // A WebVTT voice tag left around the name ("<v Ass. Bianchi>").
    let label = label.trim();
    let label = label
        .strip_prefix("<v")
        .map_or(label, |rest| rest.trim_end_matches('>'));
    let (words, roles) = split_title(label);
    if words.is_empty() {
        // A bare role: whoever held it that day, if one person did.
        let holders = roster
            .iter()
            .filter(|m| !roles.is_empty() && roles.iter().all(|r| m.has(*r)))
            .map(|m| m.id)
            .collect();
        return verdict(holders);
    }
    let fits: Vec<(&Member, u8)> = roster
        .iter()
        .filter_map(|m| name_fit(&words, m).map(|score| (m, score)))
        .collect();
    // Those the words name best (a whole given name beats an initial beats none)...
    let best = fits.iter().map(|(_, s)| *s).max().unwrap_or(0);
    let named: Vec<&Member> = fits
        .iter()
        .filter(|(_, s)| *s == best)
        .map(|(m, _)| *m)
        .collect();
    // ...and among several, those holding the role the title names; a title nobody of
    // them holds leaves them all.
    let by_role: Vec<i64> = named
        .iter()
        .filter(|m| roles.iter().any(|r| m.has(*r)))
        .map(|m| m.id)
        .collect();
    if named.len() > 1 && !by_role.is_empty() {
        verdict(by_role)
    } else {
        verdict(named.iter().map(|m| m.id).collect())
    }
}

fn verdict(ids: Vec<i64>) -> Resolved {
    match ids.as_slice() {
        [] => Resolved::Unknown,
        [one] => Resolved::Person(*one),
        _ => Resolved::Ambiguous(ids),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::member;

    fn roster() -> Vec<Member> {
        use RoleKind::*;
        vec![
            member(1, "Mario", "Rossi", &[Councillor]),
            member(2, "Luca", "Rossi", &[Assessore]),
            member(3, "Anna", "De Luca", &[Councillor]),
            member(4, "Pietro", "D'Amico", &[Councillor]),
            member(5, "Niccolò", "Forté", &[Councillor]),
            member(6, "Anna", "Verdi", &[Councillor, President]),
            member(7, "Carla", "Bruni", &[Mayor]),
            member(8, "Giorgio", "Neri", &[Secretary]),
            member(9, "Maria Grazia", "Dalla Chiesa", &[Councillor]),
            member(10, "Paolo", "Gallo", &[DeputyMayor]),
            member(11, "Elena", "Bianchi", &[Assessore]),
            member(12, "Marco", "Colombo", &[Councillor, VicePresident]),
            member(13, "Franco", "La Rosa", &[Councillor]),
        ]
    }

    #[test]
    fn transcript_labels_name_one_person() {
        let r = roster();
        let cases = [
            ("Cons. Rossi", 1),
            ("CONS. ROSSI", 1),
            ("Consigliere Mario Rossi", 1),
            ("M. Rossi", 1),
            ("ASS. ROSSI", 2),
            ("L'ASSESSORE ROSSI", 2),
            ("IL PRESIDENTE", 6),
            ("Presidente Verdi", 6),
            ("Il Presidente del Consiglio", 6),
            ("Verdi Presidente", 6),
            ("Il Sindaco", 7),
            ("Sindaca", 7),
            ("SINDACO", 7),
            ("Il Segretario Generale", 8),
            ("Dottor Neri", 8),
            ("Vicesindaco", 10),
            ("Vice Sindaco Gallo", 10),
            ("Il Vicepresidente", 12),
            ("Vice Presidente Colombo", 12),
            ("L'ASSESSORE BIANCHI", 11),
            ("Ass. Bianchi", 11),
            ("Cons. De Luca", 3),
            ("La consigliera De Luca", 3),
            ("D'Amico", 4),
            ("Cons. D'Amico", 4),
            ("DAMICO", 4),
            ("<v Ass. Bianchi>", 11),
        ];
        for (label, id) in cases {
            assert_eq!(resolve(label, &r), Resolved::Person(id), "{label}");
        }
    }

    #[test]
    fn minutes_names_and_accents_name_one_person() {
        let r = roster();
        let cases = [
            ("Rossi Mario", 1),
            ("ROSSI MARIO", 1),
            ("Rossi Luca", 2),
            ("Rossi L.", 2),
            ("De Luca Anna", 3),
            ("DE LUCA", 3),
            ("NICCOLO' FORTE'", 5),
            ("Niccolò Forté", 5),
            ("FORTE' NICCOLO'", 5),
            ("Forte", 5),
            ("Dott.ssa Dalla Chiesa", 9),
            ("Maria Grazia Dalla Chiesa", 9),
            ("Dalla Chiesa Maria", 9),
            ("M. G. Dalla Chiesa", 9),
            ("La Rosa", 13),
            ("Cons. La Rosa Franco", 13),
            ("Sig.ra Bruni", 7),
        ];
        for (label, id) in cases {
            assert_eq!(resolve(label, &r), Resolved::Person(id), "{label}");
        }
    }

    #[test]
    fn what_fits_several_is_ambiguous() {
        let r = roster();
        assert_eq!(resolve("ROSSI", &r), Resolved::Ambiguous(vec![1, 2]));
        assert_eq!(resolve("Dott. Rossi", &r), Resolved::Ambiguous(vec![1, 2]));
        // A title held by neither Rossi chooses neither.
        assert_eq!(
            resolve("Sindaco Rossi", &r),
            Resolved::Ambiguous(vec![1, 2])
        );
        // A bare role several held that day is nobody in particular.
        assert_eq!(
            resolve("Consigliere", &r),
            Resolved::Ambiguous(vec![1, 3, 4, 5, 6, 9, 12, 13])
        );
    }

    #[test]
    fn what_fits_nobody_is_unknown() {
        let r = roster();
        for label in [
            "Voce fuori campo",
            "Intervento",
            "Pubblico",
            "Omissis",
            "A. Rossi",
            "Rossi Giovanni",
            "Mario Rossi Luca",
            "Dott.",
            "Esposito",
            "",
            "...",
        ] {
            assert_eq!(resolve(label, &r), Resolved::Unknown, "{label}");
        }
        // A role nobody held that day is nobody.
        let no_chair: Vec<Member> = r.iter().filter(|m| m.id != 6).cloned().collect();
        assert_eq!(resolve("Il Presidente", &no_chair), Resolved::Unknown);
    }

    #[test]
    fn a_stale_title_on_a_unique_surname_still_names_its_person() {
        let r = roster();
        assert_eq!(resolve("Assessore Verdi", &r), Resolved::Person(6));
        assert_eq!(resolve("Sindaco De Luca", &r), Resolved::Person(3));
        // The given name outweighs the title: Mario is the councillor Rossi.
        assert_eq!(resolve("Ass. Mario Rossi", &r), Resolved::Person(1));
    }

    #[test]
    fn titles_come_apart_from_names() {
        assert_eq!(
            split_title("L'Assessore Dott. Bianchi"),
            (vec!["bianchi".to_string()], vec![RoleKind::Assessore])
        );
        assert_eq!(
            split_title("Il Segretario Generale"),
            (vec![], vec![RoleKind::Secretary])
        );
        // An article is only an article before a title.
        assert_eq!(
            split_title("La Rosa").0,
            vec!["la".to_string(), "rosa".to_string()]
        );
    }

    #[test]
    fn names_fold_as_capitals_write_them() {
        assert_eq!(fold_name("NICCOLO' FORTE'"), "niccolo forte");
        assert_eq!(fold_name("D'Amico"), "d amico");
        assert_eq!(fold_name("L’ASSESSORE"), "l assessore");
        assert_eq!(fold_name("  Cons.  Rossi: "), "cons rossi");
        assert_eq!(fold_name("Città"), "citta");
    }
}
