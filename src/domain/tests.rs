use super::*;

#[test]
fn a_slashed_name_that_is_no_group_names_the_input_and_both_forms() {
    let err = "../etc".parse::<OrgLogin>().unwrap_err();
    assert!(err.starts_with("\"../etc\": not a GitHub login (letters, digits and single inner hyphens, up to 39) nor a GitLab <host>/<group path>"), "{err}");
    assert!(err.contains("invalid GitLab host \"..\""), "{err}");
}

#[test]
fn the_kept_rule_is_public_and_not_a_fork() {
    let cases = [
        ((false, None, false), true),
        ((false, Some("public"), false), true),
        ((false, Some("public"), true), false),
        ((true, None, false), false),
        ((false, Some("internal"), false), false),
        ((false, Some("private"), false), false),
    ];
    for ((private, visibility, fork), kept) in cases {
        assert_eq!(
            is_kept_repo(private, visibility, fork),
            kept,
            "{private} {visibility:?} {fork}"
        );
    }
}

#[test]
fn snapshot_date_is_strict_yyyy_mm_dd() {
    assert_eq!(
        "2021-03-04".parse::<SnapshotDate>().unwrap().to_string(),
        "2021-03-04"
    );
    for bad in [
        "2021-3-4",
        "2021-02-30",
        "20210304",
        "2021-03-04T00:00:00Z",
        "",
    ] {
        assert!(
            bad.parse::<SnapshotDate>().is_err(),
            "{bad} should be rejected"
        );
    }
}

#[test]
fn org_login_rules_follow_github() {
    for ok in ["nhsx", "111Online", "the-strategy-unit", &"a".repeat(39)] {
        assert!(ok.parse::<OrgLogin>().is_ok(), "{ok} should be accepted");
    }
    for ok in [
        "gitlab.com/nhsbsa",
        "gitlab.com/Some_Trust/analytics.v2",
        "git.nhs.uk:8443/x",
    ] {
        assert!(ok.parse::<OrgLogin>().is_ok(), "{ok} should be accepted");
    }
    for bad in [
        "",
        "-nhs",
        "nhs-",
        "nhs--x",
        "nhs_x",
        "nhs x",
        "nhs/x",
        "gitlab.com/",
        "gitlab.com/-a",
        "gitlab.com/a//b",
        "gitlab.com/a.git",
        "gitlab..com/a",
        "gitlab.com:0/a",
        &"a".repeat(40),
    ] {
        assert!(bad.parse::<OrgLogin>().is_err(), "{bad} should be rejected");
    }
}

#[test]
fn org_login_compares_case_insensitively_and_keeps_spelling() {
    let a: OrgLogin = "NHSDigital".parse().unwrap();
    let b: OrgLogin = "nhsdigital".parse().unwrap();
    assert_eq!(a, b);
    assert_eq!(a.key(), "nhsdigital");
    assert_eq!(a.to_string(), "NHSDigital");
}

#[test]
fn gitlab_groups_are_host_and_path_and_key_to_one_segment() {
    let group: OrgLogin = "GitLab.com/NHSBSA/Data".parse().unwrap();
    assert_eq!(group.forge(), Forge::Gitlab);
    assert_eq!(group.key(), "gitlab.com+nhsbsa+data");
    assert_eq!(OrgLogin::from_key(&group.key()).unwrap(), group);
    let ported = OrgLogin::gitlab("git.nhs.uk:8443", "a/b").unwrap();
    assert_eq!(ported.key(), "git.nhs.uk_8443+a+b");
    assert_eq!(OrgLogin::from_key(&ported.key()).unwrap(), ported);
    let github: OrgLogin = "nhsbsa".parse().unwrap();
    assert_eq!(github.forge(), Forge::Github);
    assert_ne!(github, "gitlab.com/nhsbsa".parse().unwrap());
    assert_eq!(OrgLogin::from_key("nhsbsa").unwrap(), github);
    assert_eq!("gitlab".parse::<Forge>(), Ok(Forge::Gitlab));
    assert!("bitbucket".parse::<Forge>().is_err());
}
