//! Tests of what no CI file may hold and how settings reach the files: hostile cluster and
//! branch names (read back from YAML and Groovy, or refused with a reason), the pinned kops
//! sha256, post-deploy validation, access keys instead of OIDC.

use std::time::Duration;

use kopsflow::pipeline::BranchCondition;

use super::tests::{at, file, on, repo_input, strings, text, yaml_doc, ENGINES};
use super::*;

// ---- hostile names ----

/// The Groovy single-quoted string literals of a text (outside `'''` scripts and comments),
/// unescaped.
fn groovy_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\'', '/']) {
        let after = &rest[i..];
        if after.starts_with("//") {
            rest = after.find('\n').map_or("", |n| &after[n..]);
        } else if let Some(body) = after.strip_prefix("'''") {
            rest = body.find("'''").map_or("", |n| &body[n + 3..]);
        } else if let Some(literal) = after.strip_prefix('\'') {
            let mut value = String::new();
            let mut chars = literal.char_indices();
            let mut end = after.len();
            while let Some((j, c)) = chars.next() {
                match c {
                    '\\' => match chars.next().map(|(_, e)| e) {
                        Some('n') => value.push('\n'),
                        Some(e) => value.push(e),
                        None => {}
                    },
                    '\'' => {
                        end = j + 2;
                        break;
                    }
                    c => value.push(c),
                }
            }
            out.push(value);
            rest = &after[end..];
        } else {
            rest = &after[1..];
        }
    }
    out
}

fn hostile_input(cluster: &str, branch: &str) -> CiInput {
    let mut input = repo_input();
    input.clusters.push(Cluster {
        name: cluster.to_owned(),
        spec_file: format!("cluster-spec/{cluster}.yml"),
    });
    input.environments[0].clusters.push(cluster.to_owned());
    input.deploy_when = BranchCondition::any_of_names(&["main", branch]);
    input.roll_when = input.deploy_when.clone();
    input
}

const HOSTILE: &str = r#"a'b"c\d $HOME `id` #x: - *y !z [w] {v}"#;

#[test]
fn hostile_names_round_trip_through_yaml_and_groovy() -> anyhow::Result<()> {
    let branch = r#"rel/'x"\ *?!+[1]"#;
    let input = hostile_input(HOSTILE, branch);

    let jenkins = generate(Engine::Jenkins, &input)?;
    let literals = groovy_literals(file(&jenkins, "Jenkinsfile.rolling-update"));
    assert!(literals.iter().any(|l| l == HOSTILE), "{literals:?}");
    assert!(literals.iter().any(|l| l == branch), "{literals:?}");
    let main = groovy_literals(file(&jenkins, "Jenkinsfile"));
    assert!(
        main.iter().any(|l| *l == format!("kops-{HOSTILE}")),
        "{main:?}"
    );

    let github = generate(Engine::Github, &input)?;
    let rolling = yaml_doc(file(
        &github,
        ".github/workflows/kopsflow-rolling-update.yml",
    ));
    let options = strings(at(
        on(&rolling),
        &["workflow_dispatch", "inputs", "cluster", "options"],
    ));
    assert_eq!(
        options,
        [
            "dev.k8s.example.com",
            "prod.k8s.example.com",
            "stg.k8s.example.com",
            "test.k8s.example.com",
            HOSTILE
        ]
    );
    let deploy = yaml_doc(file(&github, ".github/workflows/kopsflow-deploy.yml"));
    // Pattern characters escaped: the filter matches exactly that branch.
    assert_eq!(
        strings(at(on(&deploy), &["push", "branches"])),
        ["main", r#"rel/'x"\\ \*\?!\+\[1\]"#]
    );

    // The refusal of a roll outside the main branches names them, shell-quoted.
    let refused = at(&rolling, &["jobs", "refused"]);
    let run = text(at(
        &at(refused, &["steps"]).as_sequence().expect("steps")[0],
        &["run"],
    ));
    assert!(
        run.contains(&super::quote::shell(&format!(
            "::error title=kopsflow rolling update::dry_run=false rolls only from a main branch (main, {branch}); this run is on "
        ))),
        "{run}"
    );
    assert!(text(at(refused, &["if"])).contains(r#"'refs/heads/rel/''x"\ *?!+[1]'"#));

    // GitLab expands `$` in variable values: refused there, with the name.
    let err = generate(Engine::Gitlab, &input).expect_err("`$` is refused for GitLab");
    assert!(format!("{err:#}").contains("would expand"), "{err:#}");
    let gitlab_name = HOSTILE.replace('$', "");
    let input = hostile_input(&gitlab_name, branch);
    let gitlab = generate(Engine::Gitlab, &input)?;
    let root = yaml_doc(file(&gitlab, ".gitlab-ci.yml"));
    let options = strings(at(
        &root,
        &["variables", "KOPSFLOW_ROLL_CLUSTER", "options"],
    ));
    assert_eq!(options.last(), Some(&gitlab_name.as_str()));
    let refused = at(&root, &["rolling-update-refused", "script"]);
    assert!(
        text(&refused.as_sequence().expect("script")[0]).starts_with(&format!(
            "echo {}",
            super::quote::shell(&format!(
                "KOPSFLOW_DRY_RUN=false rolls only on a main branch (main, {branch}); this pipeline is on "
            ))
        )),
        "{refused:?}"
    );
    assert_eq!(
        text(at(&root, &["variables", "KOPSFLOW_MAIN_BRANCH_2", "value"])),
        branch
    );
    Ok(())
}

#[test]
fn names_no_file_can_hold_are_refused() {
    for engine in ENGINES {
        let err = generate(engine, &hostile_input("a\nb", "main")).expect_err("a newline");
        assert!(format!("{err:#}").contains("control character"), "{err:#}");
        let err = generate(engine, &hostile_input("ok", "x\ry")).expect_err("a CR");
        assert!(format!("{err:#}").contains("control character"), "{err:#}");
    }
    let err = generate(Engine::Github, &hostile_input("${{ secrets.X }}", "main"))
        .expect_err("an expression");
    assert!(
        format!("{err:#}").contains("evaluate as an expression"),
        "{err:#}"
    );
    let err = generate(Engine::Github, &hostile_input("ok", "${{ github.token }}"))
        .expect_err("an expression");
    assert!(format!("{err:#}").contains("main branch"), "{err:#}");
    let mut input = repo_input();
    input.deploy_when = BranchCondition::glob("release/*");
    let err = generate(Engine::Github, &input).expect_err("a glob is no branch list");
    assert!(
        format!("{err:#}").contains("cannot be written as a list of branches"),
        "{err:#}"
    );
    // Jenkins writes any condition.
    let jenkins = generate(Engine::Jenkins, &input).expect("a glob");
    assert!(
        file(&jenkins, "Jenkinsfile").contains("branch pattern: 'release/*', comparator: 'GLOB'")
    );
}

// ---- settings ----

#[test]
fn a_pinned_sha256_is_checked_and_used() -> anyhow::Result<()> {
    let mut input = repo_input();
    let sha = "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef";
    input.settings.kops.sha256 = Some(sha);
    for engine in ENGINES {
        for f in generate(engine, &input)? {
            if f.text.contains("kops-linux-amd64") {
                assert!(
                    f.text
                        .contains(&format!("expected={}", sha.to_ascii_lowercase())),
                    "{}",
                    f.path
                );
                assert!(!f.text.contains("$url.sha256"), "{}", f.path);
                assert!(
                    f.text.contains("pinned in ops/src/pipeline.rs"),
                    "{}",
                    f.path
                );
            }
        }
    }
    for bad in ["abc", &sha.replace('0', "g"), &format!("{sha}0")] {
        input.settings.kops.sha256 = Some(bad.to_owned().leak());
        let err = generate(Engine::Github, &input).expect_err("not 64 hex digits");
        assert!(
            format!("{err:#}").contains("is not 64 hex digits"),
            "{err:#}"
        );
    }
    // This repository pins none: the jobs check the published .sha256 of the same release.
    let repo = generate(Engine::Github, &repo_input())?;
    assert!(file(&repo, ".github/workflows/kopsflow-plan.yml").contains("\"$url.sha256\""));
    Ok(())
}

/// The CI jobs install the kops the pipeline is pinned to (`KOPS_PIN`): the settings agree with
/// the pin, every generated CI file that downloads kops downloads exactly the pinned release, and
/// a disagreeing pair is refused.
#[test]
fn ci_files_install_the_pinned_kops() -> anyhow::Result<()> {
    use kopsflow::kops::pin::{download_url, KopsPin};
    let repo = crate::testing::repo();
    let installed = &(repo.ci_settings.value)().kops.version;
    let pin = &repo.kops_pin.value;
    assert!(pin.allows(installed), "CI installs {installed}, pin {pin}");
    if let KopsPin::Exact(pinned) = pin {
        assert_eq!(installed, pinned);
    }
    let url = download_url(installed);
    let mut downloads = 0;
    for engine in ENGINES {
        for f in generate(engine, &repo_input())? {
            for line in f.text.lines().filter(|l| l.contains("kops-linux-amd64")) {
                if let Some(at) = line.find("https://") {
                    assert!(line[at..].starts_with(&url), "{}: {line}", f.path);
                    downloads += 1;
                }
            }
        }
    }
    assert!(downloads >= 3, "every engine downloads kops: {downloads}");

    let mut input = repo_input();
    input.kops_pin.value = KopsPin::exact(1, 36, 2);
    let err = generate(Engine::Gitlab, &input).expect_err("CI kops outside the pin");
    assert!(
        format!("{err:#}").contains(&format!(
            "the CI jobs would install kops {installed} (ci_settings in ops/src/pipeline.rs), which the kops pin 1.36.2 (KOPS_PIN in ops/src/pipeline.rs) refuses"
        )),
        "{err:#}"
    );
    input.kops_pin.value = KopsPin::range((installed.major, installed.minor), (2, 0));
    generate(Engine::Gitlab, &input)?;
    Ok(())
}

#[test]
fn post_deploy_validation_reaches_every_deploy_job() -> anyhow::Result<()> {
    let mut input = repo_input();
    assert!(
        input.settings.validate_after_deploy.is_none(),
        "off in this repository"
    );
    for engine in ENGINES {
        assert!(generate(engine, &input)?
            .iter()
            .all(|f| !f.text.contains("--validate")));
    }
    input.settings.validate_after_deploy = Some(Duration::from_secs(600));
    for engine in ENGINES {
        let files = generate(engine, &input)?;
        let all: String = files.iter().map(|f| f.text.as_str()).collect();
        for env in ["dev", "stg", "prod"] {
            assert!(
                all.contains(&format!("cargo xtask deploy --environment {env} --detailed-exitcode --validate 10m --format markdown")),
                "{}",
                engine.name()
            );
        }
    }
    let github = generate(Engine::Github, &input)?;
    let deploy = yaml_doc(file(&github, ".github/workflows/kopsflow-deploy.yml"));
    assert_eq!(
        at(&deploy, &["jobs", "deploy-stg", "timeout-minutes"]).as_i64(),
        Some(130)
    );
    Ok(())
}

#[test]
fn access_keys_instead_of_oidc() -> anyhow::Result<()> {
    let mut input = repo_input();
    input.settings.aws_auth = AwsAuth::AccessKeys;
    let github = generate(Engine::Github, &input)?;
    let plan = file(&github, ".github/workflows/kopsflow-plan.yml");
    assert!(plan.contains("aws-access-key-id: ${{ secrets.DEV_PLAN_ROLE_ARN_ACCESS_KEY_ID }}"));
    assert!(
        plan.contains("aws-secret-access-key: ${{ secrets.PROD_PLAN_ROLE_ARN_SECRET_ACCESS_KEY }}")
    );
    assert!(!plan.contains("id-token"));
    let gitlab = generate(Engine::Gitlab, &input)?;
    let root = yaml_doc(file(&gitlab, ".gitlab-ci.yml"));
    assert_eq!(
        text(at(
            &root,
            &[".kopsflow-prod-deploy", "variables", "AWS_ACCESS_KEY_ID"]
        )),
        "$PROD_DEPLOY_ROLE_ARN_ACCESS_KEY_ID"
    );
    assert!(root
        .get(".kopsflow-prod-deploy")
        .and_then(|t| t.get("id_tokens"))
        .is_none());
    // A reference that is no variable name is refused, with the environment.
    input.environments[0]
        .environment
        .identity
        .read_only
        .github_secret = Some("A B");
    let err = generate(Engine::Github, &input).expect_err("not a name");
    assert!(
        format!("{err:#}").contains("read-only identity of environment dev"),
        "{err:#}"
    );
    Ok(())
}
