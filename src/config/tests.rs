//! Unit tests of the configuration: parsing, defaults, the environment's overrides, validation
//! messages, the run's overrides, shards and redaction.

use super::*;

const MINIMAL: &str = "[[orgs]]\nlogin = \"nhsx\"\nname = \"NHSX\"\n";

fn with_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, String> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::parse_with_env(Path::new("p.toml"), text, vars).map_err(|e| e.to_string())
}

#[test]
fn every_key_can_come_from_the_environment_by_one_rule() {
    let text = format!("[github]\nmax_retries = 5\n{MINIMAL}");
    let config = with_env(
        &text,
        &[
            ("OHS_GITHUB_MAX_RETRIES", "0"),
            ("OHS_EXTRACT_LANGUAGES_BY_BYTES", "false"),
            ("OHS_LAKE_ROOT", "s3://bucket/ohs"),
            ("OHS_LAKE_OPTIONS_AWS_REGION", "eu-west-2"),
            ("OHS_LAKE_OPTIONS_AWS_PORT", "9000"),
            ("OHS_GITHUB_USER_AGENT", "nhs-stats"),
            // The flags' own variables and other programs' are not keys.
            ("OHS_LOG_FORMAT", "json"),
            ("OHS_TEST_PYTHON", "/usr/bin/python3"),
            ("GITHUB_MAX_RETRIES", "9"),
        ],
    )
    .unwrap();
    assert_eq!(
        config.github.max_retries, 0,
        "the environment beats the file"
    );
    assert!(!config.extract.languages_by_bytes);
    assert_eq!(config.lake_root, "s3://bucket/ohs");
    assert_eq!(config.github.user_agent, "nhs-stats");
    let options = format!("{:?}", config.lake_options);
    assert!(
        options.contains("aws_region") && options.contains("aws_port"),
        "{options}"
    );
    assert_ne!(
        config.sha256,
        parse(&text).unwrap().sha256,
        "the hash covers the overrides"
    );
    let err = with_env(MINIMAL, &[("OHS_GITHUB_MAX_RETRYS", "3")]).unwrap_err();
    assert!(
        err.contains("max_retrys") && err.contains("OHS_GITHUB_MAX_RETRYS"),
        "{err}"
    );
    let err = with_env(MINIMAL, &[("OHS_GITHUB_MAX_RETRIES", "many")]).unwrap_err();
    assert!(err.contains("OHS_GITHUB_MAX_RETRIES"), "{err}");
}

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(Path::new("p.toml"), text).map_err(|e| e.to_string())
}

#[test]
fn minimal_config_gets_defaults() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.github.per_page, 100);
    assert_eq!(c.github.api.as_str(), "https://api.github.com/");
    assert_eq!(c.lake_root, "lake");
    assert_eq!(c.languages["Jupyter Notebook"], "Python");
    assert_eq!(c.languages["SCSS"], "HTML");
}

#[test]
fn bad_configs_name_file_and_key() {
    let cases = [
        ("", "config p.toml: orgs: no organisations configured"),
        (
            "[[orgs]]\nlogin = \"a\"\n[[orgs]]\nlogin = \"A\"\n",
            "config p.toml: orgs: duplicate login \"A\"",
        ),
        (
            "[[orgs]]\nlogin = \"nhs_x\"\n",
            "config p.toml: orgs[0].login: invalid login \"nhs_x\"",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[github]\napi = \"ftp://x\"\n",
            "config p.toml: github.api: invalid URL \"ftp://x\"",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[github]\nper_page = 101\n",
            "config p.toml: github.per_page: 101 is out of range",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\ncolour = 1\n",
            "config p.toml: line 3, column 1: unknown field `colour`",
        ),
        ("[[orgs]\n", "config p.toml: line 1, column"),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[github]\nsecondary_limit_wait_secs = 0\n",
            "config p.toml: github.secondary_limit_wait_secs: 0 is out of range: 1 to 3600",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[github]\nmax_wait_secs = 100000\n",
            "config p.toml: github.max_wait_secs: 100000 is out of range: 0 to 86400",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[lake]\nlease_ttl_secs = 1\n",
            "config p.toml: lake.lease_ttl_secs: 1 is out of range: 3 to 86400",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[lake]\nretry_timeout_secs = 0\n",
            "config p.toml: lake.retry_timeout_secs: 0 is out of range: 1 to 86400",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[lake]\nmax_retries = 101\n",
            "config p.toml: lake.max_retries: 101 is out of range: 0 to 100",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[extract]\ndetails_max_age_days = 4000\n",
            "config p.toml: extract.details_max_age_days: 4000 is out of range: 0 to 3650",
        ),
        (
            "[[orgs]]\nlogin = \"nhsx\"\n[github]\napi = \"https://u:p@ghe.example/api\"\n",
            "config p.toml: github.api: invalid URL \"https://***:***@ghe.example/api\": no credentials",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(text).unwrap_err();
        assert!(
            err.starts_with(expected),
            "{err:?} should start with {expected:?}"
        );
        assert!(!err.contains('\n'), "{err:?} should be one line");
    }
}

#[test]
fn overrides_replace_orgs_and_keep_display_names() {
    let c = parse(MINIMAL).unwrap();
    let o = Overrides {
        orgs: Some("NHSX, nhsuk".into()),
        snapshot_date: Some("2021-03-04".into()),
        ..Overrides::default()
    };
    let s = c.resolve(o).unwrap();
    let names: Vec<_> = s.orgs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["NHSX", "nhsuk"]);
    assert_eq!(
        s.config.orgs.len(),
        1,
        "the configuration itself is unchanged"
    );
    let nhsx: OrgLogin = "nhsX".parse().unwrap();
    assert_eq!(s.configured(&nhsx).unwrap().login.as_str(), "nhsx");
    assert!(s.configured(&"nhsuk".parse().unwrap()).is_none());
    assert_eq!(s.snapshot_date.to_string(), "2021-03-04");
}

const GITLAB: &str = r#"
[[orgs]]
login = "NHSDigital"

[[orgs]]
login = "nhsbsa"
forge = "gitlab"
name = "NHS Business Services Authority"

[[orgs]]
login = "nhsbsa"

[[orgs]]
login = "some-trust/analytics"
forge = "gitlab"
api = "https://git.example.nhs.uk/api/v4"
"#;

#[test]
fn gitlab_groups_are_logged_in_as_host_and_path() {
    let c = parse(GITLAB).unwrap();
    let logins: Vec<&str> = c.orgs.iter().map(|o| o.login.as_str()).collect();
    assert_eq!(
        logins,
        [
            "NHSDigital",
            "gitlab.com/nhsbsa",
            "nhsbsa",
            "git.example.nhs.uk/some-trust/analytics"
        ]
    );
    assert_eq!(c.orgs[1].name, "NHS Business Services Authority");
    assert_eq!(c.orgs[3].name, "git.example.nhs.uk/some-trust/analytics");
    let group = c.orgs[3].gitlab.as_ref().unwrap();
    assert_eq!(group.path, "some-trust/analytics");
    assert_eq!(c.gitlab.api.as_str(), "https://gitlab.com/api/v4");

    // --gitlab-api moves the groups of the default instance, not a self-managed one's.
    let o = Overrides {
        gitlab_api: Some("http://127.0.0.1:8080/api/v4".into()),
        ..Overrides::default()
    };
    let s = c.resolve(o).unwrap();
    assert_eq!(s.orgs[1].login.as_str(), "127.0.0.1:8080/nhsbsa");
    assert_eq!(
        s.orgs[3].login.as_str(),
        "git.example.nhs.uk/some-trust/analytics"
    );
}

#[test]
fn bad_gitlab_entries_name_their_key() {
    let entry = |fields: &str| parse(&format!("[[orgs]]\n{fields}\n")).unwrap_err();
    let err = entry("login = \"nhsbsa\"\nforge = \"bitbucket\"");
    assert!(
        err.contains("orgs[0].forge: unknown forge \"bitbucket\""),
        "{err}"
    );
    let err = entry("login = \"a//b\"\nforge = \"gitlab\"");
    assert!(
        err.contains("orgs[0].login: invalid GitLab group path"),
        "{err}"
    );
    let err = entry("login = \"nhsx\"\napi = \"https://git.example.nhs.uk/api/v4\"");
    assert!(err.contains("orgs[0].api: only a GitLab group"), "{err}");
    let err = entry("login = \"a\"\nforge = \"gitlab\"\napi = \"not a url\"");
    assert!(err.contains("orgs[0].api: "), "{err}");
    let twice = "[[orgs]]\nlogin = \"NHSBSA\"\nforge = \"gitlab\"\n[[orgs]]\nlogin = \"nhsbsa\"\nforge = \"gitlab\"\n";
    let err = parse(twice).unwrap_err();
    assert!(err.contains("orgs: duplicate login"), "{err}");
}

#[test]
fn bad_flags_are_named() {
    let cases = [
        (
            Overrides {
                snapshot_date: Some("2021-13-01".into()),
                ..Overrides::default()
            },
            "--snapshot-date: invalid date",
        ),
        (
            Overrides {
                snapshot_date: Some("2999-01-01".into()),
                ..Overrides::default()
            },
            "--snapshot-date: 2999-01-01 is in the future",
        ),
        (
            Overrides {
                orgs: Some("a,A".into()),
                ..Overrides::default()
            },
            "--orgs: duplicate login",
        ),
        (
            Overrides {
                github_api: Some("not a url".into()),
                ..Overrides::default()
            },
            "--github-api: invalid URL",
        ),
    ];
    for (o, expected) in cases {
        let err = parse(MINIMAL).unwrap().resolve(o).unwrap_err().to_string();
        assert!(
            err.starts_with(expected),
            "{err:?} should start with {expected:?}"
        );
    }
}

#[test]
fn shards_split_orgs_by_login_alone() {
    let logins: Vec<OrgLogin> = (0..200)
        .map(|i| format!("org-{i}").parse().unwrap())
        .collect();
    let shards: Vec<Shard> = (1..=3).map(|i| format!("{i}/3").parse().unwrap()).collect();
    for login in &logins {
        let owners = shards.iter().filter(|s| s.selects(login)).count();
        assert_eq!(owners, 1, "{login:?} belongs to exactly one shard");
        let upper: OrgLogin = login.as_str().to_uppercase().parse().unwrap();
        assert_eq!(
            shards.iter().position(|s| s.selects(login)),
            shards.iter().position(|s| s.selects(&upper)),
            "the shard ignores case"
        );
    }
    let sizes: Vec<usize> = shards
        .iter()
        .map(|s| logins.iter().filter(|l| s.selects(l)).count())
        .collect();
    assert!(sizes.iter().all(|&n| n > 40), "roughly even: {sizes:?}");
    for bad in ["0/3", "4/3", "1/0", "3", "a/b", ""] {
        assert!(bad.parse::<Shard>().is_err(), "{bad:?}");
    }
}

#[test]
fn token_never_shows_in_debug() {
    let t = ApiToken {
        secret: "ghp_secret".into(),
        env_var: "GITHUB_TOKEN",
    };
    assert!(!format!("{t:?}").contains("secret"));
}

#[test]
fn secrets_never_show_in_the_configs_debug() {
    let text = "[lake]\nroot = \"az://c/p?sv=1&sig=SASSIGNATURE\"\n[lake.options]\n\
                aws_secret_access_key = \"KEYKEYKEYKEY\"\n[[orgs]]\nlogin = \"nhsx\"\n";
    let shown = format!("{:?}", parse(text).unwrap());
    assert!(
        !shown.contains("SASSIGNATURE") && !shown.contains("KEYKEYKEYKEY"),
        "{shown}"
    );
    assert!(shown.contains("aws_secret_access_key"), "{shown}");
}
