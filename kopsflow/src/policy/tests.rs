//! Unit tests of the policy engine: offline evaluation, allowed rules, levels, a team's own
//! rule, the refusal text, and which images count as pinned. The corpus of violating specs and
//! near misses is `kopsflow/tests/it/policy_corpus.rs`.

#![allow(clippy::unwrap_used)]

use super::rules::is_pinned_image;
use super::*;

/// The real `kops get` samples (kops 1.29.2) as a git spec: server-set lines dropped, marked
/// production, with a git-side edit.
fn git_spec(edit: impl Fn(String) -> String) -> ClusterSpec {
    let text = live_text()
        .lines()
        .filter(|l| !l.contains("creationTimestamp"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace(
            "  cloudProvider: aws\n",
            "  cloudLabels:\n    environment: production\n  cloudProvider: aws\n",
        );
    let file = Utf8PathBuf::from("cluster-spec/test.k8s.local.yml");
    ClusterSpec::parse(&file, &edit(text)).unwrap().spec
}

fn live_text() -> String {
    let strip = |t: &'static str| t.split_once('\n').unwrap().1;
    format!(
        "{}---\n{}",
        strip(include_str!(
            "../../tests/kops-samples/get-cluster-o-yaml.REAL.kops-1.29.2.yaml"
        )),
        strip(include_str!(
            "../../tests/kops-samples/get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml"
        ))
    )
}

fn live_spec() -> ClusterSpec {
    ClusterSpec::from_kops_output(&live_text(), "").unwrap()
}

fn rules_of(violations: &[Violation]) -> Vec<&str> {
    violations.iter().map(|v| v.rule.as_str()).collect()
}

fn jump(text: String) -> String {
    text.replace("kubernetesVersion: 1.28.6", "kubernetesVersion: 1.30.2")
}

#[test]
fn offline_only_spec_rules_run() {
    let policy = Policy::new(Settings::default());
    let git = git_spec(jump);
    // The sample opens the API and SSH to the world; marked production, both rules fire.
    let offline = policy.evaluate(&git, None, &[]);
    assert_eq!(
        rules_of(&offline),
        [
            "api-open-to-world",
            "api-open-to-world",
            "ssh-open-to-world",
            "ssh-open-to-world"
        ]
    );
    let live = live_spec();
    let online = policy.evaluate(&git, Some(&live), &[]);
    assert_eq!(rules_of(&online)[0], "kubernetes-minor-jump");
    assert_eq!(online.len(), offline.len() + 1);
}

#[test]
fn allowed_rules_are_reported_but_do_not_block() {
    let policy = Policy::new(Settings::default())
        .without("api-open-to-world")
        .without("ssh-open-to-world");
    let (git, live) = (git_spec(jump), live_spec());
    let violations = policy.evaluate(&git, Some(&live), &[]);
    assert!(violations.iter().all(Violation::blocks));
    let why = refusal(&violations).unwrap();
    assert!(why.contains("(kubernetes-minor-jump)"), "{why}");
    assert!(why.contains("--allow kubernetes-minor-jump"), "{why}");
    let allowed = policy.evaluate(&git, Some(&live), &["kubernetes-minor-jump".to_owned()]);
    assert_eq!(allowed.len(), 1);
    assert!(allowed[0].allowed && !allowed[0].blocks());
    assert_eq!(
        allowed[0].verdict(),
        "allowed by --allow kubernetes-minor-jump"
    );
    assert_eq!(refusal(&allowed), None);
    // A warning rule never blocks.
    let warned = policy
        .with(rules::builtin()[0].warn())
        .evaluate(&git, Some(&live), &[]);
    assert!(!warned[0].blocks() && warned[0].verdict() == "warning");
}

#[test]
fn unknown_allowed_rules_are_named_with_the_known_ones() {
    let policy = Policy::new(Settings::default());
    assert_eq!(
        policy.check_allowed(&["image-not-pinned".to_owned()]),
        Ok(())
    );
    let err = policy
        .check_allowed(&["kubernetes-skip".to_owned()])
        .unwrap_err();
    assert!(err.starts_with("--allow kubernetes-skip: no such policy rule; the rules are kubernetes-minor-jump, kubernetes-downgrade,"), "{err}");
}

/// A team's own rule: every production cluster names its owning team in its cloud labels.
fn team_label(input: &Input<'_>, out: &mut Findings<'_>) {
    let labels = input
        .git
        .cluster
        .document
        .get_path(&["spec", "cloudLabels"]);
    if input.is_production() && labels.and_then(|l| l.get("team")).is_none() {
        out.at_cluster("spec.cloudLabels", "no `team` cloud label");
    }
}

#[test]
fn a_team_adds_its_own_rule() {
    let policy = Policy::empty(Settings::default()).with(Rule::spec(
        "team-label",
        "nobody is paged",
        team_label,
    ));
    let violations = policy.evaluate(&git_spec(|t| t), None, &[]);
    assert_eq!(rules_of(&violations), ["team-label"]);
    assert_eq!(
        violations[0].to_string(),
        "policy team-label (blocks): cluster-spec/test.k8s.local.yml:4:9: spec.cloudLabels: no `team` cloud label\n  \
         why: nobody is paged\n  \
         override: --allow team-label (on deploy; recorded in the run's summary)"
    );
    let labelled = git_spec(|t| {
        t.replace(
            "environment: production\n",
            "environment: production\n    team: platform\n",
        )
    });
    assert!(policy.evaluate(&labelled, None, &[]).is_empty());
}

#[test]
fn production_is_marked_in_git_or_in_production() {
    let settings = Settings::default();
    let unmarked =
        git_spec(|t| t.replace("    environment: production\n", "    environment: dev\n"));
    let input = |live| Input {
        git: &unmarked,
        live,
        settings: &settings,
    };
    assert!(!input(None).is_production());
    let marked_live = git_spec(|t| t);
    assert!(input(Some(&marked_live)).is_production());
}

#[test]
fn pinned_images() {
    for pinned in [
        "099720109477/ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240126",
        "ami-0123456789abcdef0",
        "ubuntu-os-cloud/ubuntu-2204-jammy-v20240126",
        "136693071363/debian-12-amd64-20240211-1657",
        "075585003325/Flatcar-stable-3815.2.0-hvm",
    ] {
        assert!(is_pinned_image(pinned), "{pinned}");
    }
    for floating in [
        "099720109477/ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*",
        "ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
        "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server",
        "my-team/base-latest-20240126",
        "ami-xyz",
        "",
        "example/build-20241399",
    ] {
        assert!(!is_pinned_image(floating), "{floating}");
    }
}
