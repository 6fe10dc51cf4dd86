//! A mock GitHub REST API on 127.0.0.1 (wiremock), serving organisations the way GitHub does:
//! the first page at `/orgs/{login}/repos`, the next ones on `/organizations/{id}/repos`,
//! `Link` headers, ETags and 304s. Unmatched requests answer 404, so a missing mock shows.

use std::process::Output;
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{ohs_command, RepoJson, Workdir};

pub const PER_PAGE: usize = 100;

pub struct MockGithub {
    pub server: MockServer,
}

/// One organisation's listing as the mock serves it.
pub struct OrgListing {
    pub login: &'static str,
    pub id: u64,
    pub pages: Vec<Vec<Value>>,
    /// ETags are `"<tag>-<page>"`; a 304 answers a matching If-None-Match.
    pub etag_tag: &'static str,
}

impl OrgListing {
    /// `count` repositories of `login`, created one day apart from 2015-01-01.
    pub fn with_repos(login: &'static str, id: u64, count: usize) -> Self {
        let repos: Vec<Value> = (0..count)
            .map(|i| {
                let created = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap()
                    + chrono::Duration::days(i as i64);
                let created: &'static str =
                    Box::leak(format!("{created}T12:00:00Z").into_boxed_str());
                RepoJson::new(id * 100_000 + i as u64, login, created)
                    .language("Python")
                    .to_json()
            })
            .collect();
        Self::from_repos(login, id, repos)
    }

    pub fn from_repos(login: &'static str, id: u64, repos: Vec<Value>) -> Self {
        let mut pages: Vec<Vec<Value>> = repos.chunks(PER_PAGE).map(<[Value]>::to_vec).collect();
        if pages.is_empty() {
            pages.push(Vec::new());
        }
        Self {
            login,
            id,
            pages,
            etag_tag: "v1",
        }
    }

    pub fn repo_count(&self) -> usize {
        self.pages.iter().map(Vec::len).sum()
    }

    pub fn page_body(&self, index: usize) -> Vec<u8> {
        serde_json::to_vec(&self.pages[index]).unwrap()
    }

    pub fn etag(&self, index: usize) -> String {
        format!("\"{}-{}\"", self.etag_tag, index + 1)
    }
}

impl MockGithub {
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The path and query of page `index` (0-based) of `org`.
    pub fn page_path(org: &OrgListing, index: usize) -> (String, Option<String>) {
        if index == 0 {
            (format!("/orgs/{}/repos", org.login), None)
        } else {
            (
                format!("/organizations/{}/repos", org.id),
                Some((index + 1).to_string()),
            )
        }
    }

    fn page_url(&self, org: &OrgListing, index: usize) -> String {
        format!(
            "{}/organizations/{}/repos?type=public&per_page=100&page={}",
            self.uri(),
            org.id,
            index + 1
        )
    }

    /// Mounts `GET /orgs/{login}`, the listing with its Link headers, ETags and 304s.
    pub async fn mount(&self, org: &OrgListing) {
        let meta = json!({"login": org.login, "id": org.id, "public_repos": org.repo_count()});
        let meta_etag = format!("\"meta-{}\"", org.etag_tag);
        let meta_path = format!("/orgs/{}", org.login);
        Mock::given(method("GET"))
            .and(path(meta_path.as_str()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(meta)
                    .insert_header("etag", meta_etag.as_str()),
            )
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path(meta_path.as_str()))
            .and(header("if-none-match", meta_etag.as_str()))
            .respond_with(ResponseTemplate::new(304).insert_header("etag", meta_etag.as_str()))
            .with_priority(2)
            .mount(&self.server)
            .await;
        let last = org.pages.len() - 1;
        for index in 0..=last {
            let mut ok = ResponseTemplate::new(200)
                .set_body_raw(org.page_body(index), "application/json")
                .insert_header("etag", org.etag(index).as_str());
            if index < last {
                let link = format!(
                    "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                    self.page_url(org, index + 1),
                    self.page_url(org, last)
                );
                ok = ok.insert_header("link", link.as_str());
            }
            self.page_mock(org, index, ok, 5).await;
            let not_modified =
                ResponseTemplate::new(304).insert_header("etag", org.etag(index).as_str());
            let (p, page) = Self::page_path(org, index);
            let conditional = Mock::given(method("GET"))
                .and(path(p))
                .and(header("if-none-match", org.etag(index).as_str()));
            let conditional = match page {
                None => conditional.and(query_param_is_missing("page")),
                Some(n) => conditional.and(query_param("page", n.as_str())),
            };
            conditional
                .respond_with(not_modified)
                .with_priority(2)
                .mount(&self.server)
                .await;
        }
    }

    /// Mounts `response` for page `index` of `org` with `priority` (1 wins over 5).
    pub async fn page_mock(
        &self,
        org: &OrgListing,
        index: usize,
        response: ResponseTemplate,
        priority: u8,
    ) {
        self.fault(org, index, response, priority, None).await;
    }

    /// Mounts a fault for page `index`, answered `times` times (or always).
    pub async fn fault(
        &self,
        org: &OrgListing,
        index: usize,
        response: ResponseTemplate,
        priority: u8,
        times: Option<u64>,
    ) {
        let (p, page) = Self::page_path(org, index);
        let mock = Mock::given(method("GET")).and(path(p));
        let mock = match page {
            None => mock.and(query_param_is_missing("page")),
            Some(n) => mock.and(query_param("page", n.as_str())),
        };
        let mut mock = mock.respond_with(response).with_priority(priority);
        if let Some(times) = times {
            mock = mock.up_to_n_times(times);
        }
        mock.mount(&self.server).await;
    }

    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}

/// Writes a pipeline.toml for `logins` against `api`, with fast retries for tests.
/// A config for the mock: listings only (the per-repository endpoints are off; the tests of
/// those turn them on with [`mock_config_with_details`]).
pub fn mock_config(work: &Workdir, api: &str, logins: &[&str], max_retries: u32) {
    let listings_only = "[extract]\nlicence_texts = false\nlanguages_by_bytes = false\n";
    write_mock_config(work, api, logins, max_retries, listings_only);
}

/// A config for the mock with every per-repository endpoint on (the default).
pub fn mock_config_with_details(work: &Workdir, api: &str, logins: &[&str]) {
    write_mock_config(work, api, logins, 1, "");
}

fn write_mock_config(work: &Workdir, api: &str, logins: &[&str], max_retries: u32, extra: &str) {
    let orgs: String = logins
        .iter()
        .map(|l| format!("[[orgs]]\nlogin = \"{l}\"\nname = \"Display {l}\"\n"))
        .collect();
    let text = format!(
        "{extra}[github]\napi = \"{api}\"\nrequests_per_second = 1000\nmax_retries = {max_retries}\n\
         graphql = false\n\
         retry_initial_delay_ms = 0\nsecondary_limit_wait_secs = 1\nmax_wait_secs = 30\n\
         timeout_secs = 2\n\n{orgs}"
    );
    work.write("pipeline.toml", &text);
}

/// Runs `ohs run -v` for `date` into the work dir's lake, off the async runtime.
pub async fn run_online(work: &Workdir, date: &str, env: &[(&str, &str)]) -> Output {
    let lake = work.lake().to_str().unwrap().to_string();
    let mut cmd = ohs_command(work.path());
    cmd.args(["run", "-v", "--lake", &lake, "--snapshot-date", date]);
    cmd.envs(env.iter().copied());
    tokio::task::spawn_blocking(move || cmd.output().expect("run ohs"))
        .await
        .unwrap()
}

/// Faults below HTTP that wiremock cannot make.
#[derive(Clone, Copy, Debug)]
pub enum WireFault {
    /// A 200 whose body stops short of its Content-Length.
    TruncatedBody,
    /// The connection closed with a reset before any response.
    ConnectionReset,
}

/// A hand-rolled HTTP/1.1 server on 127.0.0.1 for one single-page org: the first `times`
/// listing requests get `fault`, every other request a proper answer. Stops when dropped.
pub struct WireFaultServer {
    pub uri: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WireFaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WireFaultServer {
    pub async fn start(org: &OrgListing, fault: WireFault, times: usize) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let page = org.page_body(0);
        let meta =
            serde_json::to_vec(&json!({"login": org.login, "public_repos": org.repo_count()}))
                .unwrap();
        let listing = format!("/orgs/{}/repos", org.login);
        let task = tokio::spawn(async move {
            let mut faults_left = times;
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let target = text.split_whitespace().nth(1).unwrap_or("").to_string();
                let is_listing = target.starts_with(&listing);
                let body = if is_listing { &page } else { &meta };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                if is_listing && faults_left > 0 {
                    faults_left -= 1;
                    match fault {
                        WireFault::TruncatedBody => {
                            let _ = stream.write_all(head.as_bytes()).await;
                            let _ = stream.write_all(&body[..body.len() / 2]).await;
                        }
                        WireFault::ConnectionReset => {
                            // A zero linger never blocks: closing sends a TCP reset at once.
                            #[allow(deprecated)]
                            let _ = stream.set_linger(Some(Duration::ZERO));
                        }
                    }
                    drop(stream);
                    continue;
                }
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body).await;
                let _ = stream.shutdown().await;
            }
        });
        Self { uri, task }
    }
}
