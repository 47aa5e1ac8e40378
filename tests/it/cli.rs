//! The binary itself: start-up lines, a port in use, signals, log format, accept errors.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::thread;

use crate::harness::WAIT;

const BIN: &str = env!("CARGO_BIN_EXE_vendor-sandbox");

/// A running binary; killed when dropped.
struct Running {
    child: Option<Child>,
    base_url: String,
    stdout_lines: Vec<String>,
    stderr: mpsc::Receiver<String>,
}

impl Running {
    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits (at most [`WAIT`]) for the process to exit on its own.
    fn exit_status(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("still running");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        rx.recv_timeout(WAIT)
            .expect("exits within the wait")
            .expect("wait")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(command: &mut Command) -> Running {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn the binary");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, lines) = mpsc::channel();
    thread::spawn(move || {
        // Keep reading to the end even when nobody listens any more, so the pipe stays open.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let stdout_lines: Vec<String> = (0..2)
        .map(|_| lines.recv_timeout(WAIT).expect("start-up line"))
        .collect();
    let base_url = stdout_lines[0]
        .strip_prefix("vendor-sandbox listening on ")
        .unwrap_or_else(|| panic!("first line: {:?}", stdout_lines[0]))
        .to_string();
    Running {
        child: Some(child),
        base_url,
        stdout_lines,
        stderr: forward_lines(stderr),
    }
}

fn forward_lines(stderr: ChildStderr) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

fn sandbox(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("VENDOR_SANDBOX_PORT");
    command
}

/// A blocking GET over a fresh connection; returns the status line.
fn get(base_url: &str, path: &str) -> String {
    use std::io::Write;
    let addr = base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer.lines().next().unwrap_or_default().to_string()
}

#[test]
fn prints_the_bound_address_first_then_the_admin_url() {
    let running = spawn(&mut sandbox(&["--port", "0", "--seed", "1"]));
    let port: u16 = running
        .base_url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{}", running.base_url));
    assert_ne!(port, 0, "the real port is printed");
    assert_eq!(
        running.stdout_lines[1],
        format!("admin: {}/__admin/", running.base_url)
    );
    assert_eq!(get(&running.base_url, "/__admin/health"), "HTTP/1.1 200 OK");
}

#[test]
fn options_come_from_the_environment_too() {
    let running = spawn(
        sandbox(&[])
            .env("VENDOR_SANDBOX_PORT", "0")
            .env("VENDOR_SANDBOX_SEED", "99"),
    );
    assert_eq!(get(&running.base_url, "/__admin/health"), "HTTP/1.1 200 OK");
    assert!(running.stdout_lines.len() == 2);
}

#[test]
fn a_port_in_use_is_one_clear_line_and_a_failure_exit() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let output = sandbox(&["--port", &port]).output().expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains(&port) && lines[0].contains("--port"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_shuts_down_cleanly_with_exit_0() {
    let mut running = spawn(&mut sandbox(&["--port", "0"]));
    assert_eq!(get(&running.base_url, "/__admin/health"), "HTTP/1.1 200 OK");
    let killed = Command::new("kill")
        .args(["-TERM", &running.pid().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = running.exit_status();
    assert!(status.success(), "{status:?}");
}

/// Request lines are written in batches per worker thread: every request still gets its line,
/// from clients on several connections at once, by the time the server has shut down.
#[cfg(unix)]
#[test]
fn every_request_is_logged_once_by_shutdown() {
    const CLIENTS: usize = 4;
    const EACH: usize = 150;
    let mut running = spawn(&mut sandbox(&["--port", "0"]));
    thread::scope(|clients| {
        for client in 0..CLIENTS {
            let base_url = &running.base_url;
            clients.spawn(move || {
                for n in 0..EACH {
                    let path = format!("/__admin/health?client={client}&n={n}");
                    assert_eq!(get(base_url, &path), "HTTP/1.1 200 OK");
                }
            });
        }
    });
    let killed = Command::new("kill")
        .args(["-TERM", &running.pid().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert!(running.exit_status().success());
    let mut logged = 0;
    // Read to the end of stderr: the forwarding thread closes the channel there.
    loop {
        match running.stderr.recv_timeout(WAIT) {
            Ok(line) => logged += usize::from(line.contains(" request method=GET path=/__admin/")),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("stderr still open after the exit"),
        }
    }
    assert_eq!(logged, CLIENTS * EACH);
}

#[test]
fn json_logs_are_one_object_per_line_with_the_request_fields() {
    let running = spawn(&mut sandbox(&["--port", "0", "--log-format", "json"]));
    assert_eq!(
        get(&running.base_url, "/nothing-here"),
        "HTTP/1.1 404 Not Found"
    );
    let line = loop {
        let line = running.stderr.recv_timeout(WAIT).expect("a log line");
        let event: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if event["path"] == "/nothing-here" {
            break event;
        }
    };
    assert_eq!(line["method"], "GET");
    assert_eq!(line["status"], 404);
    assert_eq!(line["namespace"], "default");
    assert!(line["duration_ms"].is_number());
}

/// With a tiny file-descriptor limit, connections beyond it make `accept` fail (EMFILE); the
/// server logs that and keeps serving once descriptors are free again.
#[cfg(unix)]
#[test]
fn accept_errors_are_logged_and_survived() {
    let running = spawn(
        Command::new("sh")
            .args(["-c", "ulimit -n 40 && exec \"$0\" --port 0", BIN])
            .env_remove("RUST_LOG"),
    );
    let addr = running.base_url.trim_start_matches("http://").to_string();
    let hogs: Vec<std::net::TcpStream> = (0..60)
        .filter_map(|_| std::net::TcpStream::connect(&addr).ok())
        .collect();
    let warned = loop {
        let line = running
            .stderr
            .recv_timeout(WAIT)
            .expect("an accept warning");
        if line.contains("accept failed") {
            break line;
        }
    };
    assert!(warned.contains("retrying"), "{warned}");
    drop(hogs);
    assert_eq!(get(&running.base_url, "/__admin/health"), "HTTP/1.1 200 OK");
}

/// Whoever started the sandbox may stop reading its stdout (a closed pipe): the start-up lines
/// then cannot be written, and the server goes on serving all the same.
#[test]
fn a_closed_stdout_does_not_stop_the_server() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = sandbox(&["--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let base_url = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(_) => break get(&base_url, "/__admin/health"),
            Err(_) if std::time::Instant::now() < deadline => thread::yield_now(),
            Err(e) => panic!("the server never listened: {e}"),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, "HTTP/1.1 200 OK");
}

#[test]
fn help_explains_every_option() {
    let output = sandbox(&["--help"]).output().expect("run --help");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--host",
        "--port",
        "--seed",
        "--log-format",
        "--max-body-bytes",
        "--body-timeout-secs",
        "--journal-size",
        "--max-namespaces",
        "--public-url",
        "--webhook",
        "--webhook-secret",
        "--webhook-pending-max",
        "--persona-api-key",
        "--scenarios",
        "--scenario",
        "--state-file",
        "--allowed-host",
        "--cors-origin",
        "--state-sync",
        "--state-log-max-mb",
        "--coinflow-ui-port",
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(option))
            .unwrap_or_else(|| panic!("{option} is in --help:\n{help}"));
        let described = line.len() > option.len() + 20
            || help
                .split(line)
                .nth(1)
                .and_then(|rest| rest.lines().nth(1))
                .is_some_and(|next| !next.trim().is_empty());
        assert!(described, "{option} is explained");
    }
    assert!(
        help.contains("VENDOR_SANDBOX_PORT"),
        "env variables are named"
    );
}

/// Runs the binary to its exit (killed after [`WAIT`] if it goes on serving): status and stderr.
fn run_to_exit(command: &mut Command) -> (Option<i32>, String) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn the binary");
    let mut stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let exited = rx.recv_timeout(WAIT);
    let _ = child.kill();
    let status = child.wait().expect("wait");
    match exited {
        Ok(text) => (status.code(), text),
        Err(_) => panic!("the binary did not exit within {WAIT:?}: it started serving"),
    }
}

/// A state file that could never be written is refused at start, not found out at shutdown
/// (when the whole session's state would be lost).
#[test]
fn an_unwritable_state_file_stops_the_start_with_one_line() {
    let dir =
        std::env::temp_dir().join(format!("vendor-sandbox-unwritable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The saver's temporary file cannot be created: that name is a folder (root ignores
    // permission bits, so a read-only folder would not do).
    let blocked = dir.join("state.json");
    std::fs::create_dir_all(dir.join("state.json.tmp").join("inside")).expect("folders");
    let mut paths = vec![blocked];
    // A folder that cannot hold files, where reading finds nothing (a fresh start).
    if std::path::Path::new("/proc/self").exists() {
        paths.push("/proc/vendor-sandbox-no-such/state.json".into());
    }
    for path in paths {
        let (code, stderr) = run_to_exit(sandbox(&["--port", "0", "--state-file"]).arg(&path));
        assert_eq!(code, Some(1), "{}: {stderr}", path.display());
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].starts_with("error: "), "{stderr}");
        assert!(lines[0].contains(&path.display().to_string()), "{stderr}");
        // The OS's reason is named.
        assert!(lines[0].contains("os error"), "{stderr}");
    }
    assert!(
        dir.join("state.json.tmp").join("inside").exists(),
        "nothing was removed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_coinflow_ui_listener_is_a_last_start_up_line_and_serves_the_pages() {
    let mut child = sandbox(&["--port", "0", "--coinflow-ui-port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let printed: Vec<String> = (0..5)
        .map(|_| lines.recv_timeout(WAIT).expect("start-up line"))
        .collect();
    let running = Running {
        child: Some(child),
        base_url: String::new(),
        stdout_lines: printed.clone(),
        stderr: mpsc::channel().1,
    };
    let ui = printed[4]
        .strip_prefix("coinflow ui: http://localhost:")
        .unwrap_or_else(|| panic!("{printed:?}"));
    let ui = format!("http://127.0.0.1:{ui}");
    assert_eq!(
        get(&ui, "/solana/withdraw/m"),
        "HTTP/1.1 401 Unauthorized",
        "the page asks for a session key"
    );
    assert_eq!(get(&ui, "/__admin/health"), "HTTP/1.1 404 Not Found");
    drop(running);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let output = sandbox(&["--port", "0", "--coinflow-ui-port", &port])
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.trim().lines().count() == 1 && stderr.contains("--coinflow-ui-port"),
        "{stderr}"
    );
}

/// The README's "Running it" table has a row for every option `--help` lists, naming its
/// `VENDOR_SANDBOX_…` variable, so neither can be added to the CLI and left out of the README.
#[test]
fn the_readme_table_names_every_option_and_its_variable() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    // Each row's first cell: the options it is about and their variables.
    let table: Vec<&str> = readme
        .split("## Running it")
        .nth(1)
        .and_then(|section| section.split("\nSubcommands:").next())
        .expect("the README has the options table")
        .lines()
        .filter_map(|line| line.strip_prefix("| `--"))
        .filter_map(|line| line.split(" | ").next())
        .collect();
    let command = vendor_sandbox::cli::Cli::command();
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "version") {
            continue;
        }
        let row = table
            .iter()
            .find(|row| {
                row.starts_with(&format!("{long}`"))
                    || row.starts_with(&format!("{long} "))
                    || row.contains(&format!("`--{long}`"))
            })
            .unwrap_or_else(|| panic!("README's Running it table has no row for --{long}"));
        if let Some(env) = arg.get_env() {
            let env = env.to_string_lossy();
            let short = env
                .strip_prefix("VENDOR_SANDBOX_")
                .expect("a VENDOR_SANDBOX_ variable");
            assert!(
                row.contains(&format!("(`{short}`)")),
                "README's row of --{long} does not name {env}: {row}"
            );
        }
    }
}
