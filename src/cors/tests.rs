use super::*;

fn hosts(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn loopback_and_named_hosts_only() {
    for ok in [
        "localhost",
        "localhost:5000",
        "LOCALHOST:1",
        "localhost.:5000",
        "127.0.0.1",
        "127.0.0.1:80",
        "[::1]",
        "[::1]:5000",
    ] {
        assert!(allowed_host(ok, &[]), "{ok}");
    }
    for refused in [
        "rebind.evil.example:5000",
        "localhost.evil.example",
        "127.0.0.2:5000",
        "[::2]:5000",
        "",
        "localhost:5000@evil.example",
        "localhost:abc",
        "[::1]:x",
    ] {
        assert!(!allowed_host(refused, &[]), "{refused}");
    }
    let named = hosts(&["sandbox.test", "proxy.test:8080"]);
    assert!(allowed_host("sandbox.test:5000", &named));
    assert!(allowed_host("Sandbox.Test", &named));
    assert!(allowed_host("proxy.test:8080", &named));
    assert!(!allowed_host("proxy.test:8081", &named));
    assert!(!allowed_host("proxy.test", &named));
    assert!(allowed_host("anything:1", &hosts(&["*"])));
}

#[test]
fn implied_hosts_come_from_the_public_url_and_a_specific_bind_address() {
    let bound: SocketAddr = "0.0.0.0:5000".parse().expect("addr");
    let config = with_implied_hosts(
        Config::default(),
        bound,
        "https://user@sandbox.test:8443/base",
    );
    assert_eq!(config.allowed_hosts, ["sandbox.test"]);
    let bound: SocketAddr = "[fd00::5]:5000".parse().expect("addr");
    let config = with_implied_hosts(Config::default(), bound, "http://[fd00::5]:5000");
    assert!(allowed_host("[fd00::5]:5000", &config.allowed_hosts));
    let bound: SocketAddr = "192.0.2.7:5000".parse().expect("addr");
    let config = with_implied_hosts(Config::default(), bound, "http://sandbox.test");
    assert!(allowed_host("192.0.2.7:5000", &config.allowed_hosts));
    assert!(allowed_host("sandbox.test", &config.allowed_hosts));
}

#[test]
fn loopback_origins_and_named_ones() {
    let config = Config::default();
    for ok in [
        "http://localhost:3000",
        "https://localhost",
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
    ] {
        assert!(allowed_origin(&config, ok), "{ok}");
    }
    for refused in [
        "http://evil.example",
        "http://localhost.evil.example",
        "http://localhost@evil.example",
        "http://localhost:3000/path",
        "http://localhost:",
        "file://localhost",
        "null",
    ] {
        assert!(!allowed_origin(&config, refused), "{refused}");
    }
    let config = Config {
        cors_origins: hosts(&["https://app.example.com/"]),
        ..Config::default()
    };
    assert!(allowed_origin(&config, "https://app.example.com"));
    assert!(!allowed_origin(&config, "https://app.example.com.evil.net"));
    assert!(!allowed_origin(&config, "http://app.example.com"));
    let any = Config {
        cors_origins: hosts(&["*"]),
        ..Config::default()
    };
    assert!(allowed_origin(&any, "https://anywhere.example"));
}

#[test]
fn own_origin_is_http_and_the_host_or_the_public_urls_origin() {
    let config = Config::default();
    let host = Some("127.0.0.1:5000");
    assert!(own_origin(&config, "http://127.0.0.1:5000", host));
    assert!(own_origin(&config, "HTTP://127.0.0.1:5000", host));
    assert!(own_origin(
        &config,
        "http://localhost",
        Some("localhost:80")
    ));
    for other in [
        "https://127.0.0.1:5000",
        "chrome-extension://127.0.0.1:5000",
        "127.0.0.1:5000",
        "http://127.0.0.1:5001",
        "null",
    ] {
        assert!(!own_origin(&config, other, host), "{other}");
    }
    assert!(!own_origin(&config, "http://127.0.0.1:5000", None));
    let proxied = Config {
        public_url: Some("https://user@Sandbox.Test/base".into()),
        ..Config::default()
    };
    assert!(own_origin(&proxied, "https://sandbox.test", host));
    assert!(own_origin(&proxied, "https://sandbox.test:443", host));
    assert!(!own_origin(&proxied, "http://sandbox.test", host));
    assert!(!own_origin(&proxied, "https://sandbox.test:8443", host));
}
