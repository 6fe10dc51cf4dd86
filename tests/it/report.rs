//! The report in a real browser: headless Chromium loads `site/index.html` from disk (no
//! network), runs its script, and the DOM it dumps has one chart line and one Table 1 row per
//! organisation, in order, and the data's date; a screenshot shows something drawn.

use std::path::Path;
use std::process::Command;

use crate::common::{run_sample, Workdir};

/// Headless Chromium with a fresh profile and no background networking.
fn chromium(profile: &Path) -> Command {
    let found = Command::new("chromium").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "Chromium is missing: run `make test`, which installs Debian's chromium, or `apt-get install chromium`"
    );
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1280,2400",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn chromium_runs_the_page_from_disk_with_a_line_and_a_row_per_organisation() {
    let work = Workdir::new();
    run_sample(&work);
    let page = work.lake().join("site/index.html");
    let url = format!("file://{}", page.display());

    let out = chromium(&work.path().join("profile-dom"))
        .args(["--virtual-time-budget=5000", "--dump-dom", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    // Lines exist only after the script ran: the page ships none.
    assert!(!std::fs::read_to_string(&page)
        .unwrap()
        .contains("class=\"series"));
    let lines: Vec<&str> = dom
        .match_indices("class=\"series")
        .map(|(i, _)| &dom[i..])
        .collect();
    assert_eq!(lines.len(), 7, "one line per organisation");
    for org in [
        "111Online",
        "nhsconnect",
        "NHSDigital",
        "nhsengland",
        "nhsuk",
        "nhsx",
        "gitlab.com/ohs-sample",
    ] {
        let line = lines.iter().any(|l| {
            l.split('>')
                .next()
                .unwrap()
                .contains(&format!("data-org=\"{org}\""))
        });
        assert!(line, "no line for {org}");
    }
    let rows: Vec<&str> = dom
        .split("<tr><th scope=\"row\" data-sort=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "NHS Connect",
            "NHS Digital",
            "NHSX",
            "NHS.UK",
            "NHS England",
            "NHS 111 Online - NHS Digital",
            "gitlab.com/ohs-sample"
        ],
        "Table 1 sorted by open repositories"
    );
    assert!(
        dom.contains("gitlab.com/ohs-sample (GitLab)</button>"),
        "the chart's legend names the forge"
    );
    assert!(
        dom.contains("<td data-sort=\"GitLab\">GitLab</td>"),
        "Table 1 names the forge"
    );
    assert!(
        dom.contains(">2021-03-04</time>"),
        "the data's date is shown"
    );
    assert!(dom.contains("349</strong> open repositories"));

    let shot = work.path().join("page.png");
    let out = chromium(&work.path().join("profile-shot"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_not_blank(&shot);
}

/// A blank (or single-colour) screenshot would mean nothing was drawn.
fn assert_not_blank(path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let pixels = &buffer[..info.buffer_size()];
    let step = info.color_type.samples();
    let mut colours: Vec<&[u8]> = pixels.chunks(step).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 50,
        "{} distinct colours: the screenshot looks blank",
        colours.len()
    );
}
