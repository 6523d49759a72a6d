//! The outbox. Every change commits its audit event in the same write, and an audit
//! event may carry the domain event the change publishes
//! ([`crate::audit::AuditEvent::publishing`]). The audit table's stream delivers the
//! committed audit items here, in commit order per partition: their domain events go
//! to the events queue (webhook fan-out), and every audit event, as a security event,
//! to the SIEM destinations that want it (`siem::route`). Nothing is published for a
//! change that did not commit, and a committed change's events are sent until SQS
//! takes them.

use crate::App;
use crate::audit::AuditEvent;

/// A committed audit item, with its stream sequence number.
#[derive(Debug, Clone)]
pub struct Committed {
    pub sequence: String,
    pub audit: AuditEvent,
}

/// What one stream batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Published {
    /// Domain events sent to the events queue.
    pub events: usize,
    /// Messages queued for SIEM destinations.
    pub siem_queued: usize,
    /// The sequence number of the first item whose events were not all sent: the
    /// stream delivers it, and everything after it, again.
    pub retry_from: Option<String>,
}

pub async fn publish(app: &App, committed: &[Committed]) -> Published {
    let mut published = Published::default();
    // The first record to deliver again, by its index in `committed`.
    let mut first_failed: Option<usize> = None;
    let (owners, events): (Vec<usize>, Vec<_>) = committed
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.audit.published.clone().map(|event| (i, event)))
        .unzip();
    match app.events.send_all(&events).await {
        Ok(()) => published.events = events.len(),
        Err((index, error)) => {
            tracing::error!(error, event_id = %events[index].id, "events not sent; the stream delivers them again");
            published.events = index;
            first_failed = Some(owners[index]);
        }
    }
    let audits: Vec<&AuditEvent> = committed.iter().map(|c| &c.audit).collect();
    match crate::siem::route::route(app, &audits).await {
        Ok(routed) => published.siem_queued = routed.queued,
        Err(e) => {
            tracing::error!(
                error = e.detail,
                "security events not queued; the stream delivers them again"
            );
            first_failed = Some(first_failed.map_or(e.first_unrouted, |f| f.min(e.first_unrouted)));
        }
    }
    published.retry_from = first_failed.map(|i| committed[i].sequence.clone());
    published
}
