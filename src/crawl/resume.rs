//! Deciding where a stopped crawl continues: the persisted state says which URLs were taken, the
//! WARC files say which of them are archived. The WARC wins: a URL the state marks done whose
//! record is missing is fetched again; a URL whose final response is in the WARC never is.

use std::collections::HashMap;
use std::sync::Arc;

use super::archive::{Relog, ResumeSeed};
use super::recover::{ArchivedResponse, Recovered};
use super::robots::Robots;
use super::scheduler::ROBOTS_TOKEN;
use super::state::{StateOp, StoredState, UrlState};
use super::task::Task;
use super::traps::{FamilyRecord, Trap};
use crate::outcome::{Decline, Outcome};
use crate::report::summary::RecordCounts;

/// What the coordinator starts from when it resumes.
#[derive(Debug, Default)]
pub struct Restored {
    /// Tasks to fetch (again), in the order they were first taken.
    pub queue: Vec<Task>,
    /// Keys already settled (archived, or failed with their outcome recorded).
    pub settled: Vec<String>,
    /// Keys declined before for what they are; they stay declined.
    pub declined: Vec<String>,
    /// URLs declined before for how they were found, with the reason: taken when found
    /// another way, or when their trap family is released.
    pub soft_declined: Vec<(Task, Decline)>,
    /// Declined in-scope URLs whose outcome record was lost: written again.
    pub redeclare: Vec<(Task, Decline)>,
    /// Redirect targets of seeds that joined the scope before.
    pub scope_seeds: Vec<url::Url>,
    /// robots.txt rules per origin, as learned before.
    pub robots: Vec<(String, Arc<Robots>)>,
    pub pages_taken: u64,
    pub pages_per_origin: HashMap<String, u64>,
    /// The trap guard's evidence, and the family of every URL taken.
    pub families: Vec<FamilyRecord>,
    pub members: Vec<String>,
    /// URLs declined by a URL limit (`trap-url-too-long`, …), with the outcome, for the trap
    /// report.
    pub url_traps: Vec<(Task, Decline)>,
    /// State changes the WARC calls for (URLs whose final record the state never heard of).
    pub fixes: Vec<StateOp>,
    /// For the archive thread (revisits, record counts so far, next file serial).
    pub seed: ResumeSeed,
    /// With `--browser`: where each settled URL's response is (key, WARC file name, offset), so
    /// that the browser is answered from it.
    pub archived: Vec<(String, String, u64)>,
    /// With `--browser`: pages archived whose rendering never reached the WARC (killed in
    /// between), with their response record's ID: rendered now.
    pub unrendered: Vec<(Task, String)>,
}

/// Combines the persisted state with what the WARC files hold.
///
/// `browser`: the crawl renders pages (`--browser`): also list where each archived response is
/// and which archived pages were never rendered.
pub fn plan(recovered: &Recovered, stored: StoredState, browser: bool) -> Restored {
    let by_key = recovered.by_key();
    let mut restored = Restored::default();
    let mut records = RecordCounts::default();
    let mut relog = Vec::new();
    for response in &recovered.responses {
        records.count_response(
            response.status.unwrap_or(0),
            &response.mime,
            response.block_len,
        );
        if response.revisit {
            records.revisits += 1;
        }
    }
    for row in stored.urls {
        let key = row.task.key.clone();
        let responses = by_key.get(&key);
        // A transient answer (429/503, a cut-short body) was going to be retried, and a 401 or
        // 407 may be a challenge the credentials answered next: it only settles the URL when the
        // state says it was the last try.
        let settled_response = responses.and_then(|rs| {
            rs.iter().rev().find(|r| {
                row.state == UrlState::Done
                    || !(r.truncated.is_some() || matches!(r.status, Some(401 | 407 | 429 | 503)))
            })
        });
        if row.state != UrlState::Declined {
            let origin = row.task.origin();
            if !row.task.requisite {
                restored.pages_taken += 1;
                *restored.pages_per_origin.entry(origin).or_default() += 1;
            }
            restored.members.push(row.task.family.clone());
        }
        match row.state {
            UrlState::Declined => {
                if let Some(decline) = row.decline {
                    if row.in_scope && !recovered.outcomes.contains(&key) {
                        restored.redeclare.push((row.task.clone(), decline));
                    }
                    if row.soft {
                        restored.soft_declined.push((row.task, decline));
                        continue;
                    }
                    if Trap::of(decline).is_some() {
                        restored.url_traps.push((row.task, decline));
                    }
                }
                restored.declined.push(key);
            }
            UrlState::Failed if recovered.outcomes.contains(&key) && settled_response.is_none() => {
                restored.settled.push(key);
            }
            _ => match settled_response {
                Some(response) => {
                    // The WARC holds the URL's final response although the state did not learn
                    // it (killed between the two): the state is told now.
                    if row.state != UrlState::Done || row.outcome.is_none() {
                        let fix = done_from_warc(&key, response);
                        if let StateOp::Done { outcome, .. } = &fix {
                            relog.push(Relog {
                                task: row.task.clone(),
                                time: response.date,
                                status: response.status,
                                bytes: response.payload_len,
                                mime: response.mime.clone(),
                                outcome: *outcome,
                            });
                        }
                        restored.fixes.push(fix);
                    }
                    if browser {
                        restored.archived.push((
                            key.clone(),
                            response.file.clone(),
                            response.offset,
                        ));
                        let page = response.status.is_some_and(|s| (200..300).contains(&s))
                            && response.mime == "text/html"
                            && response.truncated.is_none();
                        if page && !recovered.rendered.contains(&response.record_id) {
                            restored
                                .unrendered
                                .push((row.task.clone(), response.record_id.clone()));
                        }
                    }
                    restored.settled.push(key);
                }
                None => restored.queue.push(row.task),
            },
        }
    }
    restored.scope_seeds = stored.scope_seeds;
    restored.families = stored.families;
    for robots in stored.robots {
        let rules = match (robots.status, url::Url::parse(&robots.url)) {
            (0, _) => Robots::disallow_all(),
            (300..=399, _) => Robots::allow_all(),
            (status, Ok(url)) => Robots::from_status(status, &robots.body, ROBOTS_TOKEN, &url),
            (_, Err(_)) => Robots::allow_all(),
        };
        restored.robots.push((robots.origin, Arc::new(rules)));
    }
    restored.seed = ResumeSeed {
        first_serial: recovered.next_serial,
        first_captures: recovered
            .first_captures()
            .into_iter()
            .filter_map(|r| {
                Some((
                    r.payload_digest.clone()?,
                    r.record_id.clone(),
                    r.uri.clone(),
                    r.date,
                ))
            })
            .collect(),
        records,
        relog,
    };
    restored
}

/// The state change that says a URL ended as the WARC shows.
fn done_from_warc(key: &str, response: &ArchivedResponse) -> StateOp {
    let outcome = if response.revisit {
        Outcome::Revisit
    } else {
        response
            .truncated
            .map_or(Outcome::Archived, Outcome::Truncated)
    };
    StateOp::Done {
        key: key.to_string(),
        outcome,
        detail: response
            .truncated
            .filter(|t| t.is_failure())
            .map(|t| format!("body cut short ({}) after all retries", t.warc_reason())),
        warc_file: response.file.clone(),
        warc_offset: response.offset,
    }
}
