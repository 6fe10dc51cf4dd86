//! Real object-store servers on 127.0.0.1 for the publish tests, installed by `make test`:
//! moto's S3 server and gcp-storage-emulator's GCS server (from the test venv) and Azurite's
//! blob server (from npm); and a proxy in front of them that records request heads and can
//! fail chosen requests.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Azurite's documented development account key (public, for the emulator only).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn env_path(var: &str, what: &str) -> PathBuf {
    let path = std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run `make test`, which installs {what}"));
    let path = PathBuf::from(path);
    assert!(
        path.exists(),
        "{}: missing: run `make test`, which installs {what}",
        path.display()
    );
    path
}

pub fn python() -> PathBuf {
    env_path("OHS_TEST_PYTHON", "the test venv (DuckDB, moto)")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls until something accepts connections on `port` (readiness, not a fixed sleep).
fn wait_for_tcp(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server on port {port} exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "server on port {port} never became ready"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server process, stopped when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    _data: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Credentials of the IAM user the S3 server checks signatures against.
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// moto's S3 server with bucket `bucket`; after its setup it checks every signature.
pub fn start_moto(bucket: &str) -> (Server, S3Credentials) {
    let python = python();
    let moto = python.with_file_name("moto_server");
    let port = free_port();
    let mut child = Command::new(&moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        // The setup script's five actions run unauthenticated; every later one is checked.
        .env("INITIAL_NO_AUTH_ACTION_COUNT", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", moto.display()));
    wait_for_tcp(port, &mut child);
    let server = Server {
        child,
        port,
        _data: None,
    };
    let setup = crate::common::repo_root().join("tests/servers/setup_s3.py");
    let out = Command::new(&python)
        .arg(setup)
        .arg(server.endpoint())
        .arg(bucket)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "S3 setup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys: Value = serde_json::from_slice(&out.stdout).unwrap();
    let credentials = S3Credentials {
        access_key_id: keys["access_key_id"].as_str().unwrap().to_string(),
        secret_access_key: keys["secret_access_key"].as_str().unwrap().to_string(),
    };
    (server, credentials)
}

/// Azurite's blob server with container `container`, in a temp dir, without telemetry.
pub fn start_azurite(container: &str) -> Server {
    let azurite = env_path("OHS_TEST_AZURITE", "Azurite (npm)");
    let port = free_port();
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(&azurite)
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .args(["--disableTelemetry", "--silent", "--skipApiVersionCheck"])
        .arg("--location")
        .arg(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", azurite.display()));
    wait_for_tcp(port, &mut child);
    let server = Server {
        child,
        port,
        _data: Some(data),
    };
    let setup = crate::common::repo_root().join("tests/servers/setup_azure.py");
    let out = Command::new(python())
        .arg(setup)
        .arg(format!("{}/devstoreaccount1", server.endpoint()))
        .arg(container)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Azure setup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    server
}

/// gcp-storage-emulator's GCS server, in memory, with bucket `bucket`. What it honours of
/// the API object_store speaks is written down at the top of `gcs.rs`.
pub fn start_gcs(bucket: &str) -> Server {
    let emulator = python().with_file_name("gcp-storage-emulator");
    let port = free_port();
    let mut child = Command::new(&emulator)
        .args(["start", "--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--in-memory", "--quiet", "--default-bucket", bucket])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", emulator.display()));
    // The bucket is created before the server listens: ready means the bucket exists.
    wait_for_tcp(port, &mut child);
    Server {
        child,
        port,
        _data: None,
    }
}

/// The `private_key` of [`gcs_emulator_key`]: never used (OAuth is off), so a marker that
/// must appear in no log.
pub const GCS_KEY_MARKER: &str = "ohs-gcs-emulator-private-key-0123456789";

/// A service-account key that points object_store's GCS client at `endpoint` and turns its
/// OAuth off (object_store's own emulator setup): the emulator checks no credentials.
pub fn gcs_emulator_key(endpoint: &str) -> String {
    serde_json::json!({
        "gcs_base_url": endpoint,
        "disable_oauth": true,
        "client_email": "ohs-test@example.invalid",
        "private_key_id": "emulator",
        "private_key": GCS_KEY_MARKER,
    })
    .to_string()
}

/// A TCP proxy that records each request's head and resets the connection of any request
/// whose request line contains the failure pattern. Clients must open one connection per
/// request (object_store's `pool_max_idle_per_host = 0`) for it to see every request line.
pub struct FaultProxy {
    pub port: u16,
    heads: Arc<Mutex<Vec<String>>>,
    fail: Arc<Mutex<Fault>>,
    task: tokio::task::JoinHandle<()>,
}

/// Which requests the proxy resets.
#[derive(Default)]
struct Fault {
    /// Those whose request line contains this.
    pattern: Option<String>,
    /// Every request from the first that matches `pattern` on: the store went down.
    down_from_match: bool,
    down: bool,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    pub async fn start(upstream_port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let fail: Arc<Mutex<Fault>> = Arc::new(Mutex::new(Fault::default()));
        let upstream: SocketAddr = ([127, 0, 0, 1], upstream_port).into();
        let (task_heads, task_fail) = (heads.clone(), fail.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (heads, fail) = (task_heads.clone(), task_fail.clone());
                tokio::spawn(async move { relay(client, upstream, heads, fail).await });
            }
        });
        Self {
            port,
            heads,
            fail,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// From now on, reset every request whose request line contains `pattern` (or none).
    pub fn fail_requests_containing(&self, pattern: Option<&str>) {
        *self.fail.lock().unwrap() = Fault {
            pattern: pattern.map(str::to_string),
            ..Fault::default()
        };
    }

    /// From the first request whose request line contains `pattern` on, reset every
    /// request, as a store that has gone down.
    pub fn go_down_at(&self, pattern: &str) {
        *self.fail.lock().unwrap() = Fault {
            pattern: Some(pattern.to_string()),
            down_from_match: true,
            down: false,
        };
    }

    pub fn request_heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

async fn relay(
    mut client: tokio::net::TcpStream,
    upstream: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    fail: Arc<Mutex<Fault>>,
) {
    let mut buffered = Vec::new();
    let mut chunk = [0u8; 8192];
    while !buffered.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffered.extend_from_slice(&chunk[..n]),
        }
    }
    let end = buffered
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(0);
    let head = String::from_utf8_lossy(&buffered[..end]).into_owned();
    let request_line = head.lines().next().unwrap_or_default().to_string();
    heads.lock().unwrap().push(head);
    let refused = {
        let mut fault = fail.lock().unwrap();
        let matches = fault
            .pattern
            .as_deref()
            .is_some_and(|p| request_line.contains(p));
        fault.down |= matches && fault.down_from_match;
        matches || fault.down
    };
    if refused {
        // A zero linger never blocks: closing sends a TCP reset at once.
        #[allow(deprecated)]
        let _ = client.set_linger(Some(Duration::ZERO));
        return;
    }
    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
        return;
    };
    if server.write_all(&buffered).await.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
