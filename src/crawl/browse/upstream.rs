//! The recording proxy's upstream over the crawl: each request becomes a [`BrowserAsk`] for the
//! coordinator, and its [`Reply`] an answer for the browser.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use url::Url;

use super::readback::{Archived, read_archived};
use super::{BrowseEvent, BrowserAsk, FetchedResponse, Reply, StoredAt};
use crate::recording_proxy::{Answer, ProxyRequest, ProxyResponse, Upstream};

/// The crawl as the proxy's upstream (see the module documentation).
pub struct CrawlUpstream {
    events: mpsc::UnboundedSender<BrowseEvent>,
}

impl CrawlUpstream {
    pub fn new(events: mpsc::UnboundedSender<BrowseEvent>) -> CrawlUpstream {
        CrawlUpstream { events }
    }

    async fn ask(&self, url: Url, door: Option<Arc<str>>, lookup_only: bool) -> Reply {
        let (reply, answer) = oneshot::channel();
        let asked = self.events.send(BrowseEvent::Ask(BrowserAsk {
            url,
            door,
            lookup_only,
            reply,
        }));
        if asked.is_err() {
            return Reply::Failed("the crawl has ended".to_owned());
        }
        answer
            .await
            .unwrap_or_else(|_| Reply::Failed("the crawl has ended".to_owned()))
    }

    async fn answer_request(&self, request: ProxyRequest) -> Answer {
        // The crawl archives what a GET brings; a form post or a beacon would change the site
        // (or at least ask it something no archive can answer again).
        if request.method != "GET" {
            return Answer::Declined {
                reason: format!("{} requests are not made by the crawl", request.method),
            };
        }
        let door = request.door.clone();
        let at = match self.ask(request.url.clone(), door.clone(), false).await {
            Reply::Archived(at) => at,
            Reply::Fetched(fetched) => return Answer::Respond(respond(&fetched)),
            Reply::Declined(reason) => return Answer::Declined { reason },
            Reply::Failed(reason) => return Answer::Failed { reason },
        };
        match read(at).await {
            Ok(Archived::Response(response)) => Answer::Respond(response),
            Ok(Archived::Revisit { head, original }) => {
                let Ok(original) = Url::parse(&original) else {
                    return Answer::Failed {
                        reason: "a revisit record without its original".to_owned(),
                    };
                };
                match self.ask(original, door, true).await {
                    Reply::Archived(at) => match read(at).await {
                        Ok(Archived::Response(body)) => Answer::Respond(head.with_body(body.body)),
                        Ok(Archived::Revisit { .. }) => Answer::Failed {
                            reason: "a revisit refers to another revisit".to_owned(),
                        },
                        Err(err) => Answer::Failed {
                            reason: format!("reading the archive: {err}"),
                        },
                    },
                    Reply::Fetched(fetched) => {
                        Answer::Respond(head.with_body(fetched.body.clone().into()))
                    }
                    Reply::Declined(reason) | Reply::Failed(reason) => Answer::Failed { reason },
                }
            }
            Err(err) => Answer::Failed {
                reason: format!("reading the archive: {err}"),
            },
        }
    }
}

fn respond(fetched: &FetchedResponse) -> ProxyResponse {
    ProxyResponse {
        status: fetched.status,
        reason: fetched.reason.clone(),
        headers: fetched.headers.clone(),
        body: fetched.body.clone().into(),
    }
}

async fn read(at: StoredAt) -> Result<Archived, String> {
    tokio::task::spawn_blocking(move || read_archived(&at))
        .await
        .map_err(|e| e.to_string())?
}

impl Upstream for CrawlUpstream {
    fn answer(&self, request: ProxyRequest) -> BoxFuture<'_, Answer> {
        Box::pin(self.answer_request(request))
    }
}
