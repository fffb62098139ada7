//! A speaker label ("CONS. ROSSI", "Il Presidente", "<v Ass. Bianchi>") or a name written in
//! the minutes ("Rossi Mario", "DE LUCA") resolved to one person of the roster valid on the
//! session's day, or to nobody. Case and accents do not matter (Italian capitals write an
//! accent as an apostrophe: NICCOLO' is Niccolò); titles are set aside but remembered, as
//! they tell apart two people sharing a surname; a bare role is whoever held it that day.
//! When more than one person still fits, the answer is `Ambiguous`: a name is never guessed.

use super::Member;
use crate::catalog::fold;
use crate::domain::RoleKind;

/// Who a label names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Person(i64),
    /// More than one person of the roster fits.
    Ambiguous(Vec<i64>),
    /// Nobody of the roster fits.
    Unknown,
}

/// Titles and honorifics, folded, with the role a title implies. Longest first, so "vice
/// presidente" is not read as "presidente".
const TITLES: &[(&str, Option<RoleKind>)] = &[
    ("vice presidente", Some(RoleKind::VicePresident)),
    ("vicepresidente", Some(RoleKind::VicePresident)),
    ("vice sindaco", Some(RoleKind::DeputyMayor)),
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
    ("pres", Some(RoleKind::President)),
    ("segretario", Some(RoleKind::Secretary)),
    ("segretaria", Some(RoleKind::Secretary)),
    ("segr", Some(RoleKind::Secretary)),
    ("generale", None),
    ("comunale", None),
    ("dott ssa", None),
    ("dottssa", None),
    ("dott", None),
    ("dr", None),
    ("avv", None),
    ("ing", None),
    ("arch", None),
    ("geom", None),
    ("prof ssa", None),
    ("prof", None),
    ("sig ra", None),
    ("sigra", None),
    ("sig", None),
    ("signor", None),
    ("signora", None),
    ("on", None),
];

/// Articles before a title ("il presidente", "la consigliera", "l'assessore"); only taken
/// as such before a title, since "La Rosa" and "Lo Russo" are surnames.
const ARTICLES: &[&str] = &["il", "la", "lo", "l"];

/// A name as written, folded for comparison: lower case, no accents, apostrophes and dots
/// as spaces, spaces collapsed. A vowel followed by an apostrophe at a word's end is the
/// capitals' way of writing an accented vowel, so the apostrophe goes.
pub fn fold_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let apostrophe = matches!(c, '\'' | '’' | '`' | '´');
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

/// The label's words once titles are set aside, and the roles its titles imply.
fn strip_titles(folded: &str) -> (Vec<String>, Vec<RoleKind>) {
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut roles = Vec::new();
    let title_at = |words: &[&str]| {
        TITLES.iter().find_map(|(title, role)| {
            let parts: Vec<&str> = title.split(' ').collect();
            let found = words.len() >= parts.len() && words[..parts.len()] == parts[..];
            found.then_some((parts.len(), *role))
        })
    };
    loop {
        if let Some((len, role)) = title_at(&words) {
            words.drain(..len);
            roles.extend(role);
        } else if words.len() > 1 && ARTICLES.contains(&words[0]) && title_at(&words[1..]).is_some()
        {
            words.remove(0);
        } else {
            break;
        }
    }
    (words.into_iter().map(String::from).collect(), roles)
}

/// How well `words` name `m`: None when they cannot be them. The family name (one or more
/// words) must be there whole; what is left may only be the given name or its initial.
fn name_fit(words: &[String], m: &Member) -> Option<u8> {
    let family: Vec<String> = fold_name(&m.family_name)
        .split(' ')
        .map(String::from)
        .collect();
    let given = fold_name(&m.given_name);
    let n = family.len();
    if words.len() < n {
        return None;
    }
    let at = (0..=words.len() - n).find(|&i| words[i..i + n] == family[..])?;
    let rest: Vec<&String> = words[..at].iter().chain(&words[at + n..]).collect();
    match rest.as_slice() {
        [] => Some(1),
        // Given names may be several words ("Maria Grazia"); an initial is one letter.
        rest if rest
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
            == given =>
        {
            Some(3)
        }
        [initial] if initial.chars().count() == 1 && given.starts_with(initial.as_str()) => Some(2),
        _ => None,
    }
}

/// Resolves a label to one person of `roster` (the people of the session's day).
pub fn resolve(label: &str, roster: &[Member]) -> Resolved {
    let folded = fold_name(label);
    let (words, roles) = strip_titles(&folded);
    if words.is_empty() {
        // A bare role: whoever held it that day, if one person did.
        let holders: Vec<i64> = roster
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
    if fits.len() <= 1 {
        return verdict(fits.iter().map(|(m, _)| m.id).collect());
    }
    // Several share the name: the one whose given name was written, else the one
    // holding the role the title names.
    let best = fits.iter().map(|(_, s)| *s).max().unwrap_or(0);
    let named: Vec<&Member> = fits
        .iter()
        .filter(|(_, s)| *s == best)
        .map(|(m, _)| *m)
        .collect();
    if named.len() == 1 || roles.is_empty() {
        return verdict(named.iter().map(|m| m.id).collect());
    }
    let by_role: Vec<i64> = named
        .iter()
        .filter(|m| roles.iter().any(|r| m.has(*r)))
        .map(|m| m.id)
        .collect();
    if by_role.is_empty() {
        verdict(named.iter().map(|m| m.id).collect())
    } else {
        verdict(by_role)
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
    fn labels_in_every_style_name_one_person() {
        let r = roster();
        let cases = [
            ("CONS. ROSSI", 1),
            ("Consigliere Mario Rossi", 1),
            ("Rossi Mario", 1),
            ("M. Rossi", 1),
            ("ASS. ROSSI", 2),
            ("L'ASSESSORE ROSSI", 2),
            ("Rossi Luca", 2),
            ("IL PRESIDENTE", 6),
            ("Presidente Verdi", 6),
            ("Il Sindaco", 7),
            ("Sindaca", 7),
            ("Il Segretario Generale", 8),
            ("Vicesindaco", 10),
            ("Il Vicepresidente", 12),
            ("Cons. De Luca", 3),
            ("DE LUCA ANNA", 3),
            ("D'AMICO", 4),
            ("Cons. D'Amico", 4),
            ("NICCOLO' FORTE'", 5),
            ("Forte", 5),
            ("Dott.ssa Dalla Chiesa", 9),
            ("Maria Grazia Dalla Chiesa", 9),
            ("Ass. Bianchi", 11),
            ("La consigliera De Luca", 3),
            ("La Rosa", 13),
            ("Cons. La Rosa Franco", 13),
        ];
        for (label, id) in cases {
            assert_eq!(resolve(label, &r), Resolved::Person(id), "{label}");
        }
    }

    #[test]
    fn what_fits_several_or_nobody_is_never_guessed() {
        let r = roster();
        assert_eq!(resolve("ROSSI", &r), Resolved::Ambiguous(vec![1, 2]));
        // A title held by neither Rossi leaves both.
        assert_eq!(
            resolve("Sindaco Rossi", &r),
            Resolved::Ambiguous(vec![1, 2])
        );
        assert_eq!(resolve("A. Rossi", &r), Resolved::Unknown);
        for label in [
            "Voce fuori campo",
            "Intervento",
            "Pubblico",
            "Omissis",
            "",
            "...",
        ] {
            assert_eq!(resolve(label, &r), Resolved::Unknown, "{label}");
        }
        // A role nobody (or several) held that day is nobody.
        let no_chair: Vec<Member> = r.iter().filter(|m| m.id != 6).cloned().collect();
        assert_eq!(resolve("Il Presidente", &no_chair), Resolved::Unknown);
        // A stale title on a unique surname still names its person.
        assert_eq!(resolve("Assessore Verdi", &r), Resolved::Person(6));
    }

    #[test]
    fn names_fold_as_capitals_write_them() {
        assert_eq!(fold_name("NICCOLO' FORTE'"), "niccolo forte");
        assert_eq!(fold_name("D'Amico"), "d amico");
        assert_eq!(fold_name("  Cons.  Rossi: "), "cons rossi");
        assert_eq!(fold_name("Città"), "citta");
    }
}
