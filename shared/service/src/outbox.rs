//! The outbox. Every change commits its audit event in the same write, and an audit
//! event may carry the domain event the change publishes
//! ([`crate::audit::AuditEvent::publishing`]). The audit table's stream delivers the
//! committed audit items here, in commit order per partition; their domain events go
//! to the events queue (webhook fan-out). Nothing is published for a change that did
//! not commit, and a committed change's event is sent until SQS takes it.

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
    /// The sequence number of the first item whose event was not sent: the stream
    /// delivers it, and everything after it, again.
    pub retry_from: Option<String>,
}

pub async fn publish(app: &App, committed: &[Committed]) -> Published {
    let (owners, events): (Vec<&Committed>, Vec<_>) = committed
        .iter()
        .filter_map(|c| c.audit.published.clone().map(|event| (c, event)))
        .unzip();
    match app.events.send_all(&events).await {
        Ok(()) => Published {
            events: events.len(),
            retry_from: None,
        },
        Err((index, error)) => {
            let from = owners[index];
            tracing::error!(
                error,
                event_id = %events[index].id,
                sequence = %from.sequence,
                "events not sent; the stream delivers them again"
            );
            Published {
                events: index,
                retry_from: Some(from.sequence.clone()),
            }
        }
    }
}
