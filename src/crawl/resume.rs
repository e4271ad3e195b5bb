//! Deciding where a stopped crawl continues: the persisted state says which URLs were taken, the
//! WARC files say which of them are archived. The WARC wins: a URL the state marks done whose
//! record is missing is fetched again; a URL whose final response is in the WARC never is.

use std::collections::HashMap;
use std::sync::Arc;

use super::archive::ResumeSeed;
use super::frontier::Task;
use super::recover::Recovered;
use super::robots::Robots;
use super::scheduler::ROBOTS_TOKEN;
use super::state::{StoredState, UrlState};
use super::traps::FamilyRecord;
use crate::report::Summary;
use crate::report::summary::Failure;

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
    pub soft_declined: Vec<(Task, String)>,
    /// Declined in-scope URLs whose outcome record was lost: written again.
    pub redeclare: Vec<(Task, String)>,
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
    pub url_traps: Vec<(Task, String)>,
    /// For the archive thread (revisits, summary so far, next file serial).
    pub seed: ResumeSeed,
}

/// Combines the persisted state with what the WARC files hold.
pub fn plan(recovered: &Recovered, stored: StoredState) -> Restored {
    let by_key = recovered.by_key();
    let mut restored = Restored::default();
    let mut summary = Summary::default();
    for response in &recovered.responses {
        summary.count_response(
            response.status.unwrap_or(0),
            &response.mime,
            response.block_len,
        );
        if response.revisit {
            summary.revisits += 1;
        }
    }
    for row in stored.urls {
        let key = row.task.key.clone();
        let responses = by_key.get(&key);
        // A transient answer (429/503, a cut-short body) was going to be retried: it only
        // settles the URL when the state says it was the last try.
        let settled_response = responses.and_then(|rs| {
            rs.iter().rev().find(|r| {
                row.state == UrlState::Done || !(r.truncated || matches!(r.status, Some(429 | 503)))
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
                let reason = row.reason.unwrap_or_else(|| "declined".to_string());
                if row.in_scope && !recovered.outcomes.contains(&key) {
                    restored.redeclare.push((row.task.clone(), reason.clone()));
                }
                if row.soft {
                    restored.soft_declined.push((row.task, reason));
                } else {
                    if super::traps::Trap::from_outcome(&reason).is_some() {
                        restored.url_traps.push((row.task, reason));
                    }
                    restored.declined.push(key);
                }
            }
            UrlState::Failed if recovered.outcomes.contains(&key) && settled_response.is_none() => {
                summary.urls_taken += 1;
                summary.count_outcome("failed");
                summary.failures.push(Failure {
                    url: row.task.url.to_string(),
                    reason: "no response before the crawl was resumed (see crawl.log)".to_string(),
                });
                restored.settled.push(key);
            }
            _ => match settled_response {
                Some(response) => {
                    summary.urls_taken += 1;
                    summary.count_outcome(if response.revisit {
                        "revisit"
                    } else if response.truncated {
                        "archived-truncated"
                    } else {
                        "archived"
                    });
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
        summary,
    };
    restored
}
