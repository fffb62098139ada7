//! People of the comune and what the archive knows about them in its sessions: the roster
//! (who held which role in which body, when), the speaker of each stretch of a transcript,
//! who was present and how each vote went.
//!
//! The pure readers live here and take text in and give verdicts out: `names` resolves a
//! speaker label or a name in the minutes to one person of the roster valid on the
//! session's date (or to nobody, never a guess); `turns` infers speaker turns from what an
//! automatic transcript heard the chair say; `minutes` reads the roll call and the votes
//! from the minutes' text. Storing what they find is the catalog's job.

pub mod minutes;
pub mod names;
pub mod profile;
pub mod reading;
pub mod roster;
pub mod turns;
pub mod votes;

use crate::domain::RoleKind;

/// A person as the readers see them: someone of the roster valid on one session's date,
/// with the roles they held that day.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub given_name: String,
    pub family_name: String,
    /// The roles held on the session's date: in the session's body, and the comune-wide
    /// ones (mayor, deputy mayor, assessore, secretary).
    pub roles: Vec<RoleKind>,
}

impl Member {
    pub fn has(&self, role: RoleKind) -> bool {
        self.roles.contains(&role)
    }
}

/// The turn in force at `ms` (original timeline): an editor's turn that covers it, else
/// the last reading that started at or before it. `turns` are sorted by start.
pub fn speaker_at(turns: &[crate::catalog::TurnRow], ms: i64) -> Option<&crate::catalog::TurnRow> {
    use crate::domain::Provenance;
    let covering = turns.iter().rfind(|t| {
        t.source == Provenance::Editor && t.start_ms <= ms && t.end_ms.is_some_and(|end| ms < end)
    });
    covering.or_else(|| {
        turns
            .iter()
            .rfind(|t| t.source != Provenance::Editor && t.start_ms <= ms)
    })
}

/// Which vote each agenda item (given by its number) had, and the votes that are on no
/// item: a vote goes to the first item with its number, and an item has one vote at most.
/// The session page and the session resource both place votes by this.
pub fn votes_by_item<'a>(
    numbers: &[Option<String>],
    votes: &'a [crate::catalog::VoteRow],
) -> (
    Vec<Option<&'a crate::catalog::VoteRow>>,
    Vec<&'a crate::catalog::VoteRow>,
) {
    let mut by_item: Vec<Option<&crate::catalog::VoteRow>> = vec![None; numbers.len()];
    let mut elsewhere = Vec::new();
    for v in votes {
        let at = v.item_number.as_ref().and_then(|n| {
            numbers
                .iter()
                .position(|a| a.as_ref() == Some(n))
                .filter(|&i| by_item[i].is_none())
        });
        match at {
            Some(i) => by_item[i] = Some(v),
            None => elsewhere.push(v),
        }
    }
    (by_item, elsewhere)
}

/// A member of a test roster.
#[cfg(test)]
pub(crate) fn member(id: i64, given: &str, family: &str, roles: &[RoleKind]) -> Member {
    Member {
        id,
        given_name: given.into(),
        family_name: family.into(),
        roles: roles.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::{Counts, VoteRow};
    use crate::domain::Provenance;

    fn vote(id: i64, number: Option<&str>) -> VoteRow {
        VoteRow {
            id,
            session_id: 1,
            position: id,
            item_number: number.map(String::from),
            item_title: String::new(),
            outcome: None,
            counts: Counts::default(),
            unanimous: false,
            problem: None,
            excerpt: None,
            source: Provenance::Minutes,
            people: Vec::new(),
        }
    }

    #[test]
    fn each_item_takes_the_first_vote_with_its_number() {
        let numbers = [Some("1".to_string()), None, Some("3".to_string())];
        let votes = [
            vote(1, Some("3")),
            vote(2, Some("3")),
            vote(3, None),
            vote(4, Some("9")),
        ];
        let (placed, elsewhere) = super::votes_by_item(&numbers, &votes);
        let placed: Vec<Option<i64>> = placed.iter().map(|v| v.map(|v| v.id)).collect();
        assert_eq!(placed, [None, None, Some(1)]);
        let elsewhere: Vec<i64> = elsewhere.iter().map(|v| v.id).collect();
        assert_eq!(elsewhere, [2, 3, 4]);
    }
}
