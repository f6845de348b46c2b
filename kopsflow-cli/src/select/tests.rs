//! Unit tests of the selection: where changes are counted from, spec files to clusters, the
//! decision, and what is shown.

use super::*;
use FileChange::{Added, Deleted, Modified, Renamed};

fn s(text: &str) -> String {
    text.to_owned()
}

fn mains() -> Vec<String> {
    vec![s("main"), s("master")]
}

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| s(v))
}

fn merge_base(base: &str) -> Since {
    Since::MergeBase { base: s(base) }
}

#[test]
fn since_base_flag_then_ci_target_then_main_branch_rules() -> anyhow::Result<()> {
    let ci = [
        ("GITHUB_BASE_REF", "release"),
        ("GITHUB_EVENT_BEFORE", "abc"),
    ];
    let (from, why) = since(Some("origin/dev"), "main", &mains(), env(&ci))?;
    assert_eq!(
        (from, why.as_str()),
        (merge_base("origin/dev"), "base from --base")
    );
    let (from, why) = since(None, "feature/x", &mains(), env(&ci))?;
    assert_eq!(
        (from, why.as_str()),
        (merge_base("release"), "base from $GITHUB_BASE_REF")
    );
    for var in ["CHANGE_TARGET", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"] {
        let vars = [("GITHUB_BASE_REF", " "), (var, "trunk")];
        let (from, why) = since(None, "feature/x", &mains(), env(&vars))?;
        assert_eq!(
            (from, why),
            (merge_base("trunk"), format!("base from ${var}"))
        );
    }
    let (from, why) = since(None, "feature/x", &mains(), env(&[]))?;
    assert_eq!(from, merge_base("main"));
    assert_eq!(why, "base 'main', the first main branch");
    assert!(super::since(Some(""), "x", &mains(), env(&[])).is_err());
    assert!(super::since(None, "x", &[], env(&[])).is_err());
    Ok(())
}

#[test]
fn since_on_a_main_branch_is_the_pushed_range() -> anyhow::Result<()> {
    let zero = "0000000000000000000000000000000000000000";
    let before = |sha: &str, var: &str| Since::Before {
        sha: s(sha),
        source: format!("${var}"),
    };
    let (from, why) = since(
        None,
        "master",
        &mains(),
        env(&[("GITHUB_EVENT_BEFORE", "abc")]),
    )?;
    assert_eq!(from, before("abc", "GITHUB_EVENT_BEFORE"));
    assert_eq!(why, "'master' is a main branch: the pushed range");
    // A new branch's all-zero `before` is no range; the next CI's variable is read.
    let vars = [
        ("CI_COMMIT_BEFORE_SHA", zero),
        ("GIT_PREVIOUS_SUCCESSFUL_COMMIT", "def"),
    ];
    let (from, _) = since(None, "main", &mains(), env(&vars))?;
    assert_eq!(from, before("def", "GIT_PREVIOUS_SUCCESSFUL_COMMIT"));
    let (from, why) = since(
        None,
        "main",
        &mains(),
        env(&[("GITHUB_EVENT_BEFORE", zero)]),
    )?;
    assert_eq!(from, Since::Parent);
    assert!(
        why.starts_with(
            "'main' is a main branch: its last commit (no pushed range in $GITHUB_EVENT_BEFORE"
        ),
        "{why}"
    );
    Ok(())
}

#[test]
fn spec_files_name_their_cluster() {
    assert_eq!(
        cluster_of("cluster-spec/a.example.com.yml"),
        Some("a.example.com")
    );
    assert_eq!(cluster_of("cluster-spec/b.yaml"), Some("b"));
    for other in [
        "cluster-spec/README.md",
        "cluster-spec/old/c.yml",
        "cluster-spec/.yml",
        "specs/d.yml",
        "cluster-spec.yml",
    ] {
        assert_eq!(cluster_of(other), None, "{other}");
    }
}

fn changed(files: Vec<FileChange>) -> Rule {
    Rule::Changed(Changes {
        range: s("main...HEAD (1111111..2222222)"),
        why: s("base from $GITHUB_BASE_REF"),
        files,
    })
}

const KNOWN: &[&str] = &["a", "c", "e", "g", "z"];

#[test]
fn changed_specs_select_their_clusters_and_removed_specs_are_reported() -> anyhow::Result<()> {
    let path = |p: &str| format!("cluster-spec/{p}");
    let files = vec![
        Added(path("e.yml")),
        Modified(path("a.yml")),
        Renamed {
            from: path("b.yml"),
            to: path("c.yml"),
        },
        Deleted(path("d.yml")),
        Renamed {
            from: path("f.yml"),
            to: path("archive/f.yml"),
        },
        Deleted(path("g.yaml")),
        Renamed {
            from: path("g.yaml"),
            to: path("g.yml"),
        },
        Modified(path("notes.md")),
        Modified(path("a.yml")),
    ];
    let decision = decide(changed(files), KNOWN)?;
    assert_eq!(
        decision.names(),
        ["a", "c", "e", "g"],
        "spec-file order, once each"
    );
    assert_eq!(
        decision.clusters[1].reason,
        Reason::Changed(Renamed {
            from: path("b.yml"),
            to: path("c.yml")
        })
    );
    let removed: Vec<&str> = decision
        .removed
        .iter()
        .map(|r| r.cluster.as_str())
        .collect();
    assert_eq!(removed, ["b", "d", "f"], "g keeps a spec");
    assert_eq!(decision.nothing("plan"), None);
    let shown = decision.render();
    assert_eq!(
        shown,
        "Selected 4 clusters: spec files changed in main...HEAD (1111111..2222222), base from $GITHUB_BASE_REF
  a: M cluster-spec/a.yml
  c: R cluster-spec/b.yml -> cluster-spec/c.yml
  e: A cluster-spec/e.yml
  g: R cluster-spec/g.yaml -> cluster-spec/g.yml
Ignored:
  R cluster-spec/b.yml -> cluster-spec/c.yml: spec removed; kopsflow never deletes clusters — run `kops delete cluster b` deliberately
  D cluster-spec/d.yml: spec removed; kopsflow never deletes clusters — run `kops delete cluster d` deliberately
  R cluster-spec/f.yml -> cluster-spec/archive/f.yml: spec removed; kopsflow never deletes clusters — run `kops delete cluster f` deliberately"
    );
    Ok(())
}

#[test]
fn nothing_changed_says_so() -> anyhow::Result<()> {
    let mut decision = decide(changed(vec![]), KNOWN)?;
    assert!(decision.clusters.is_empty());
    assert_eq!(decision.render(), "");
    assert_eq!(
        decision.nothing("plan").as_deref(),
        Some("No cluster spec changed in main...HEAD (1111111..2222222), base from $GITHUB_BASE_REF: nothing to plan. To plan anyway, pass --all or --cluster NAME.")
    );
    decision.uncommitted = true;
    assert!(decision
        .render()
        .starts_with("note: cluster-spec/ has uncommitted changes"));
    let only_removed = decide(changed(vec![Deleted(s("cluster-spec/d.yml"))]), KNOWN)?;
    assert!(only_removed
        .render()
        .starts_with("Ignored:\n  D cluster-spec/d.yml: spec removed"));
    let line = only_removed.nothing("deploy").unwrap_or_default();
    assert!(
        line.starts_with("No cluster spec was added, modified or renamed in main...HEAD"),
        "{line}"
    );
    assert!(line.contains("nothing to deploy"), "{line}");
    Ok(())
}

#[test]
fn a_changed_spec_missing_from_the_work_tree_is_an_error() {
    let err = decide(changed(vec![Modified(s("cluster-spec/x.yml"))]), KNOWN).unwrap_err();
    assert!(
        err.to_string()
            .contains("cluster-spec/x.yml changed in main...HEAD"),
        "{err}"
    );
}

#[test]
fn all_and_named() -> anyhow::Result<()> {
    let all = decide(Rule::All, KNOWN)?;
    assert_eq!(all.names(), KNOWN);
    assert_eq!(all.nothing("plan"), None);
    assert!(all
        .render()
        .starts_with("Selected 5 clusters: --all (every spec in cluster-spec/)\n  a\n"));
    assert!(decide(Rule::All, &[]).is_err(), "no specs at all");
    assert_eq!(all.note(), None);
    // No usable record of the last successful deploy: every cluster, and the summary says why.
    let why = format!("{} ($KOPSFLOW_LAST_DEPLOYED is empty)", record::NO_RECORD);
    let unrecorded = decide(Rule::Unrecorded(why.clone()), KNOWN)?;
    assert_eq!(unrecorded.names(), KNOWN);
    assert_eq!(unrecorded.note(), Some(why.clone()));
    assert!(unrecorded
        .render()
        .starts_with(&format!("Selected 5 clusters: {why}\n  a\n")));
    let named = decide(Rule::Named(vec![s("z"), s("a"), s("z")]), KNOWN)?;
    assert_eq!(named.names(), ["z", "a"], "as given, once each");
    assert_eq!(named.render(), "Selected 2 clusters: --cluster\n  z\n  a");
    let err = decide(Rule::Named(vec![s("nope")]), KNOWN).unwrap_err();
    assert!(
        err.to_string().contains("known clusters are a, c, e, g, z"),
        "{err}"
    );
    Ok(())
}
