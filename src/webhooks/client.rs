//! The webhook HTTP client: one POST per attempt, plain http only.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// `url` as the client sends to it: an `http://` URL with a host (the sandbox has no TLS). What
/// sets a target checks it first, so a target is never one no delivery can reach.
pub fn deliverable(url: &str) -> Result<hyper::Uri, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "only http:// targets can be delivered to (no TLS in the sandbox): {url:?}"
        ));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("URL has no host: {url:?}"));
    }
    // A port given must be one: `:99999` is not read as none, which would be port 80.
    let authority = uri.authority().map_or("", |a| a.as_str());
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, rest)| rest);
    let after_host = host_port
        .rsplit_once(']')
        .map_or(host_port, |(_, rest)| rest);
    if let Some((_, port)) = after_host.rsplit_once(':')
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err(format!("URL has no valid port (1 to 65535): {url:?}"));
    }
    Ok(uri)
}

/// POSTs `body` to an `http://` URL and returns the response status.
pub async fn post(url: &str, headers: Vec<(String, String)>, body: Bytes) -> Result<u16, String> {
    let uri = deliverable(url)?;
    let host = uri
        .host()
        .ok_or_else(|| format!("URL has no host: {url}"))?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("connect to {host}:{port}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let authority = uri
        .authority()
        .map(|a| a.as_str())
        .unwrap_or(host)
        .to_string();
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, "vendor-sandbox-webhooks");
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(Full::new(body))
        .map_err(|e| format!("building request: {e}"))?;
    let send = async move {
        // Only the status matters. The response (and its body, however large) is dropped here,
        // and with it the sender, so the connection future finishes without reading the body.
        let status = sender
            .send_request(request)
            .await
            .map(|response| response.status().as_u16());
        drop(sender);
        status
    };
    let (status, _) = tokio::join!(send, connection);
    status.map_err(|e| format!("request failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::deliverable;

    #[test]
    fn deliverable_urls_are_http_with_a_host_and_a_real_port() {
        for ok in [
            "http://127.0.0.1:8000/hook",
            "http://localhost/hook",
            "http://[::1]:1/h",
            "http://user:secret@localhost/hook",
        ] {
            assert!(deliverable(ok).is_ok(), "{ok}");
        }
        for refused in [
            "https://127.0.0.1/hook",
            "http:///hook",
            "http://127.0.0.1:99999/hook",
            "http://127.0.0.1:0/hook",
            "not a url",
        ] {
            assert!(deliverable(refused).is_err(), "{refused}");
        }
    }
}
