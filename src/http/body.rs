//! A request's body: what [`super::read_head`] leaves of it, and [`read_body`], which collects
//! it within the size limit and the body timeout.

use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};

use super::{ApiRequest, BodyError};

/// How much beyond the limit a body is read (and dropped) before the 413 goes out. Most
/// clients send the whole body before they read an answer; closing the connection under their
/// writes resets it, and they see a broken pipe instead of the 413. Past this the connection is
/// closed all the same.
pub const MAX_DRAINED: usize = 16 * 1024 * 1024;

/// A request's body as [`super::read_head`] leaves it, for [`read_body`].
pub enum UnreadBody {
    /// None was sent (a GET, `Content-Length: 0`): nothing to collect and no timer to arm.
    Empty,
    /// Its declared length is over the limit: refused. With the body when it is to be read and
    /// dropped first; without it when refused unread (the client waits for `100 Continue`, or
    /// the body is more than `MAX_DRAINED` over the limit).
    TooLarge(Option<Incoming>),
    Stream(Incoming),
}

/// Reads `body` into `request.body` within `limit` bytes and `timeout`.
pub async fn read_body(
    request: &mut ApiRequest,
    body: UnreadBody,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<(), BodyError> {
    let (body, declared_over) = match body {
        UnreadBody::Empty => return Ok(()),
        UnreadBody::TooLarge(None) => {
            return Err(BodyError::TooLarge {
                limit,
                unread: true,
            });
        }
        UnreadBody::TooLarge(Some(body)) => (body, true),
        UnreadBody::Stream(body) => (body, false),
    };
    // Counted outside the timed read, so a body that stalls after passing the limit is still
    // answered 413, not 408.
    let mut seen = 0;
    // hyper's header timeout ends at the head; a body trickled or stalled after it would hold
    // the connection and a request in flight forever.
    let read = tokio::time::timeout(timeout, collect_within(body, limit, &mut seen)).await;
    let over = declared_over || seen > limit;
    match read {
        Ok(Ok(_)) if over => Err(BodyError::TooLarge {
            limit,
            unread: false,
        }),
        Ok(Ok(bytes)) => {
            request.body = bytes;
            Ok(())
        }
        // Stopped before its end (timeout, cap): the connection cannot be reused.
        _ if over => Err(BodyError::TooLarge {
            limit,
            unread: true,
        }),
        Err(_) => Err(BodyError::TimedOut { after: timeout }),
        Ok(Err(e)) => Err(e),
    }
}

/// The body's bytes, counting them in `seen`; once past `limit` it reads on, dropping what it
/// reads, up to [`MAX_DRAINED`] bytes more (see there), and answers nothing of it. One data
/// frame (most bodies) is kept as it came, without a copy.
async fn collect_within(
    mut body: Incoming,
    limit: usize,
    seen: &mut usize,
) -> Result<Bytes, BodyError> {
    let (mut first, mut rest) = (None::<Bytes>, Vec::<Bytes>::new());
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| BodyError::Interrupted)?.into_data() else {
            continue; // trailers
        };
        *seen = seen.saturating_add(data.len());
        if *seen > limit.saturating_add(MAX_DRAINED) {
            return Err(BodyError::Interrupted); // not read to its end: the caller says 413
        }
        if *seen > limit {
            (first, rest) = (None, Vec::new());
        } else if first.is_none() {
            first = Some(data);
        } else {
            rest.push(data);
        }
    }
    let first = first.unwrap_or_default();
    if rest.is_empty() {
        return Ok(first);
    }
    let mut joined = Vec::with_capacity(*seen);
    for part in std::iter::once(&first).chain(&rest) {
        joined.extend_from_slice(part);
    }
    Ok(joined.into())
}
