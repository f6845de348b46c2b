#!/usr/bin/env bash
# kops stand-in for xtask's integration tests. It sits first on PATH, records each call (argv,
# the names of KOPS_STATE_STORE/S3_*/AWS_* variables, what a file:// store holds at that
# moment, its pid, its caller's pid, KUBECONFIG and AWS_ROLE_ARN when set, and start and end
# times) to
# $KOPS_STANDIN_DIR/calls.log, and replays REAL recorded kops output from
# $KOPS_STANDIN_SAMPLES (kopsflow/tests/kops-samples; line 1 of each sample is its origin).
# Concurrent calls (parallel clusters, concurrent runs) are numbered and logged atomically: each
# call's entry is one block, and its end is a line `end N: TIME` appended when it exits.
# Knobs: KOPS_STANDIN_FAIL_AT=N, KOPS_STANDIN_HANG_AT=N, KOPS_STANDIN_NEW_CLUSTER=1,
# KOPS_STANDIN_UPDATE=<sample> (or creation-timestamp-only), KOPS_STANDIN_ROLLING=<sample>, KOPS_STANDIN_API_UNREACHABLE=1,
# KOPS_STANDIN_LEAK=1 (echo $AWS_SECRET_ACCESS_KEY on stderr, to prove kopsflow redacts it);
# KOPS_STANDIN_LEAK=value|unparsed|error put it where kops could print it: inside a field value
# of the dry-run report (user data exporting it), in a report line kopsflow cannot parse, or in
# kops's error message; KOPS_STANDIN_LEAK=markdown puts it in a banner (a notice), a task's name,
# a field value and, after 190 characters, a value the summaries clip; KOPS_STANDIN_LEAK=commands
# adds lines that would be CI workflow commands and terminal escapes. These injections are
# marked as such; the rest is replayed verbatim.
# Timing knobs take "<argv prefix> <value>", the prefix being e.g. `update`, `get cluster` or
# `*` (every call): KOPS_STANDIN_SLEEP="update 2" sleeps 2 s in matching calls;
# KOPS_STANDIN_GATE="update /path" blocks matching calls until /path exists;
# KOPS_STANDIN_BARRIER="get cluster 2" blocks matching calls until 2 of them have started.
# KOPS_STANDIN_FAIL_CLUSTER=NAME fails every call naming cluster NAME (like FAIL_AT, the error
# naming NAME). Outputs of `kops get` name the cluster that was asked for (see `named`).
# KOPS_STANDIN_VERSION=1.36.2 replays the kops 1.36.2 recordings of `version` and `kops get`
# (default: 1.29.2).
# KOPS_STANDIN_STATE=DIR keeps production's state between calls (see "Production state" below):
# `kops replace -f` into production writes DIR/<cluster>/, the next `kops get` serves it, a new
# cluster has no CA until its first `update --yes`, and a dry-run `update` says what is left.
# KOPS_STANDIN_NEW_CLUSTER=1 makes every cluster without state missing; a list of names, only those.
# KOPS_STANDIN_FAIL_ON="<argv prefix>" fails the matching calls with kops's error for that command.
set -u
dir="$KOPS_STANDIN_DIR"
samples="$KOPS_STANDIN_SAMPLES"
log="$dir/calls.log"
replay() { tail -n +2 "$samples/$1"; }
now() { if [ -n "${EPOCHREALTIME:-}" ]; then printf '%s' "$EPOCHREALTIME"; else date +%s; fi; }

# The log's critical section: mkdir is atomic. A holder killed inside it (it never waits there)
# would leave the directory behind: after ~10 s it is taken anyway.
mutex="$dir/.mutex"
enter() {
  local tries=0
  until mkdir "$mutex" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -gt 1000 ] && break
    sleep 0.01
  done
}
leave() { rmdir "$mutex" 2>/dev/null; }

state=""; file=""; prev=""; igs_of=""
for a in "$@"; do
  case "$prev" in --state) state="$a" ;; -f) file="$a" ;; --name) igs_of="$a" ;; esac
  prev="$a"
done
start=$(now)
entry=$(
  printf '  env:'; env | cut -d= -f1 | grep -E '^(KOPS_STATE_STORE|S3_|AWS_)' | sort | tr '\n' ' '; printf '\n'
  printf '  pid: %s\n  caller: %s\n  start: %s\n' "$$" "$PPID" "$start"
  [ -n "${KUBECONFIG:-}" ] && printf '  kubeconfig: %s\n' "$KUBECONFIG"
  # The IAM role the caller's credentials are for (not a secret; the generated CI jobs' identity).
  [ -n "${AWS_ROLE_ARN:-}" ] && printf '  aws-role-arn: %s\n' "$AWS_ROLE_ARN"
  if [[ "$state" == file://* ]]; then
    root="${state#file://}"
    if [ -d "$root" ]; then
      (cd "$root" && find . -type f | sort | sed 's/^/  store-file: /')
      for c in "$root"/*/config; do
        [ -f "$c" ] && grep -h '^  configBase:' "$c" | sed 's/^ */  store-configBase: /'
      done
    fi
  fi
  if [ -n "$file" ] && [ -f "$file" ]; then
    grep -h '^  configBase:' "$file" | sed 's/^ */  spec-configBase: /'
    printf '  spec-documents: %s\n' "$(grep -c '^kind:' "$file")"
    tail -n 1 "$file" | grep -q '^---$' && echo "  spec-trailing-separator"
  fi
)
enter
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/count"
{ printf 'call %s:' "$n"; printf ' %s' "$@"; printf '\n%s\n' "$entry"; } >> "$log"
leave
finish() { enter; printf 'end %s: %s\n' "$n" "$(now)" >> "$log"; leave; }
trap finish EXIT

# Whether this call's argv starts with the prefix of a timing knob's value ("<prefix> <value>").
matches() { local what="${1% *}"; shift; [ "$what" = "*" ] || [[ "$* " == "$what "* ]]; }
knob_value() { printf '%s' "${1##* }"; }
caller_alive() { kill -0 "$PPID" 2>/dev/null; }

if [ -n "${KOPS_STANDIN_BARRIER:-}" ] && matches "$KOPS_STANDIN_BARRIER" "$@"; then
  enter; arrived=$(( $(cat "$dir/barrier" 2>/dev/null || echo 0) + 1 )); echo "$arrived" > "$dir/barrier"; leave
  need=$(knob_value "$KOPS_STANDIN_BARRIER"); waited=0
  while [ "$(cat "$dir/barrier")" -lt "$need" ]; do
    waited=$((waited + 1))
    if [ "$waited" -gt 600 ] || ! caller_alive; then
      echo "kops stand-in: barrier of $need never filled" >&2; exit 98
    fi
    sleep 0.1
  done
fi
if [ -n "${KOPS_STANDIN_GATE:-}" ] && matches "$KOPS_STANDIN_GATE" "$@"; then
  gate=$(knob_value "$KOPS_STANDIN_GATE"); waited=0
  until [ -e "$gate" ]; do
    waited=$((waited + 1))
    if [ "$waited" -gt 1200 ] || ! caller_alive; then
      echo "kops stand-in: gate $gate never opened" >&2; exit 98
    fi
    sleep 0.1
  done
fi
if [ -n "${KOPS_STANDIN_SLEEP:-}" ] && matches "$KOPS_STANDIN_SLEEP" "$@"; then
  sleep "$(knob_value "$KOPS_STANDIN_SLEEP")"
fi

# Which kops version's recordings `version` and `kops get` replay, and the cluster they are of.
version="${KOPS_STANDIN_VERSION:-1.29.2}"
case "$version" in
  1.29.2) recorded=test.k8s.local ;;
  1.36.2) recorded=demo1.k8s.local ;;
  *) echo "kops stand-in: no recordings of kops $version" >&2; exit 97 ;;
esac
# Asked for another cluster than the recordings are of, `kops get` names that one (kopsflow
# checks the name): the same real output with the name substituted.
named() {
  local asked="$1"; shift
  if [ -n "$asked" ] && [ "$asked" != "$recorded" ]; then
    replay "$1" | sed "s/${recorded//./\\.}/$asked/g"
  else
    replay "$1"
  fi
}

leak="${KOPS_STANDIN_LEAK:-}"
secret="${AWS_SECRET_ACCESS_KEY:-}"
[ -n "$leak" ] && echo "debug: signing with $secret" >&2
if [ "$leak" = error ] && [ "$1 ${2:-}" = "update cluster" ]; then
  echo "Error: error reading s3://k8s-kops with key $secret: AccessDenied" >&2   # injected
  exit 1
fi
if [ "${KOPS_STANDIN_FAIL_AT:-0}" = "$n" ]; then
  replay replace.error.cluster-missing.REAL.kops-1.29.2.stderr.txt >&2
  exit 1
fi
fail_cluster="${KOPS_STANDIN_FAIL_CLUSTER:-}"
if [ -n "$fail_cluster" ] && [[ " $* " == *" $fail_cluster "* ]]; then
  named "$fail_cluster" replace.error.cluster-missing.REAL.kops-1.29.2.stderr.txt >&2
  exit 1
fi
# Production state (KOPS_STANDIN_STATE). What `kops get` serves from it is the spec kopsflow
# replaced, as kops stores it (the real outputs add only server-set fields kopsflow ignores);
# everything else printed is replayed from the recordings or, where none exists, labelled.
pstate="${KOPS_STANDIN_STATE:-}"
# The isolated dry-run store is a file:// store in kopsflow's per-run scratch directory.
production=1; [[ "$state" == file://*/kopsflow-* ]] && production=""
cluster_dir() { printf '%s/%s' "$pstate" "$1"; }
is_new() { # NAME: not in production (KOPS_STANDIN_NEW_CLUSTER=1 or a list naming it)
  local v="${KOPS_STANDIN_NEW_CLUSTER:-}"
  [ -n "$v" ] && { [ "$v" = 1 ] || [[ " $v " == *" $1 "* ]]; }
}
# The cluster a command names: `get cluster NAME`, `--name NAME`, `update cluster NAME`, ….
if [ -n "$file" ]; then subject="$(basename "$file" .yaml)"   # kopsflow writes NAME.yaml
elif [ -n "$igs_of" ]; then subject="$igs_of"
else subject="${3:-}"; fi
if [ -n "$pstate" ] && [ -n "$subject" ]; then
  mkdir -p "$pstate"
  if [ -f "$(cluster_dir "$subject")/cluster.yaml" ]; then exists=1
  elif is_new "$subject"; then exists=""
  else exists=1; fi
fi
# kops's own errors for KOPS_STANDIN_FAIL_ON, where no run was recorded: from kops source.
fail_on() {
  case "$1" in
    # pkg/kubeconfig/create_kubecfg.go BuildKubecfg: fmt.Errorf("cannot find CA certificate"),
    # printed by cobra as "Error: ...", exit 1 (docs/KOPS.md §4.2). From source, not recorded.
    "export kubecfg") echo "Error: cannot find CA certificate" >&2 ;;
    # upup/pkg/fi/executor.go: "deadline exceeded executing task %v. Example error: %v", wrapped
    # by fi/cloudup/apply_cluster.go as "error running tasks: %v"; cobra prints "Error: ...".
    # From source, not recorded; the example error is AWS's RequestLimitExceeded (code and
    # message as the EC2 API documents them).
    "update cluster") echo "Error: error running tasks: deadline exceeded executing task AutoscalingGroup/nodes-us-east-1a.$subject. Example error: RequestLimitExceeded: Request limit exceeded." >&2 ;;
    # The real kops 1.29.2 failure of a rolling-update preview that cannot reach the API.
    "rolling-update cluster") replay rolling-update.error.api-unreachable.REAL.kops-1.29.2.stderr.txt >&2 ;;
    *) replay replace.error.cluster-missing.REAL.kops-1.29.2.stderr.txt >&2 ;;
  esac
  exit 1
}
if [ -n "${KOPS_STANDIN_FAIL_ON:-}" ] && [[ "$* " == "$KOPS_STANDIN_FAIL_ON "* ]]; then
  fail_on "$KOPS_STANDIN_FAIL_ON"
fi
# Without `configBase`, blank lines and separators: the spec as two replaces can compare it.
spec_text() { grep -h -v -e '^  configBase:' -e '^---$' -e '^$' "$@" 2>/dev/null; }
if [ -n "$pstate" ] && [ -n "$subject" ]; then
  d="$(cluster_dir "$subject")"
  case "$1 ${2:-}" in
    "get cluster")
      if [ -n "$production" ] && [ -f "$d/cluster.yaml" ]; then cat "$d/cluster.yaml"; exit 0; fi ;;
    "get instancegroups")
      if [ -n "$production" ] && [ -f "$d/instancegroups.yaml" ]; then cat "$d/instancegroups.yaml"; exit 0; fi ;;
    "replace -f")
      mkdir -p "$d"
      if [ -n "$production" ]; then
        # The first document is the Cluster, the others its instance groups.
        awk -v c="$d/cluster.yaml" -v i="$d/instancegroups.yaml" \
          'BEGIN { n = 0 } /^---$/ { n++; if (n == 1) next } n == 0 { print > c; next } { print > i }' "$file"
        [ -z "$exists" ] && touch "$d/no-ca"   # replace makes no pki/ (docs/KOPS.md §4.2)
        touch "$d/cloud-behind"
      else
        cp "$file" "$d/dry-run.yaml"
      fi
      exit 0 ;;
    "export kubecfg")
      [ -f "$d/no-ca" ] && fail_on "export kubecfg" ;;
    "update cluster")
      if [[ " $* " == *" --yes "* ]]; then
        if [ -f "$d/no-ca" ]; then
          rm -f "$d/no-ca" "$d/cloud-behind"
          replay update-cluster-yes.first-run.REAL.kops-1.29.2.stdout.txt; exit 0
        fi
        rm -f "$d/cloud-behind"
      elif [ -z "${KOPS_STANDIN_UPDATE:-}" ] && [ -z "$leak" ] && { [ -f "$d/cluster.yaml" ] || [ -z "$exists" ]; }; then
        # The dry-run of what kopsflow replaced into its copy: what production still lacks.
        if [ -z "$exists" ] || [ -f "$d/no-ca" ]; then
          replay update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt
        elif [ -f "$d/cloud-behind" ] || [ "$(spec_text "$d/dry-run.yaml")" != "$(spec_text "$d/cluster.yaml" "$d/instancegroups.yaml")" ]; then
          replay update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt
        else
          replay update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stdout.txt
        fi
        exit 0
      fi ;;
  esac
fi
if [ "${KOPS_STANDIN_HANG_AT:-0}" = "$n" ]; then
  sleep 600
fi

case "$1 ${2:-}" in
  "version "*) replay "version.REAL.kops-$version.txt" ;;
  "get cluster")
    if is_new "$3"; then
      # Not a recording: kops >=1.22's message for a missing cluster, from kops source
      # (cmd/kops/get_cluster.go filterClustersByName: fmt.Errorf("cluster not found %q", name),
      # printed by cobra as "Error: ..."), exit 1.
      echo "Error: cluster not found \"$3\"" >&2
      exit 1
    fi
    named "$3" "get-cluster-o-yaml.REAL.kops-$version.yaml" ;;
  "get instancegroups") named "$igs_of" "get-instancegroups-o-yaml.REAL.kops-$version.yaml" ;;
  "replace -f") ;;   # success prints nothing on stdout (KOPS.md §3)
  "export kubecfg") ;;
  "update cluster")
    if [[ " $* " == *" --yes "* ]]; then
      replay update-cluster-yes.subsequent-run.REAL.kops-1.29.2.stdout.txt
    elif [ "${KOPS_STANDIN_UPDATE:-}" = creation-timestamp-only ]; then
      # DERIVED from the real 1.36.2 report: its AutoscalingGroup block cut, leaving the
      # ManagedFile/cluster-completed.spec diff of only creationTimestamp and the closing line.
      replay update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt | sed '/^  AutoscalingGroup\//,/^$/d'
    else
      case "$leak" in
        # DERIVED from the real 1.36.2 report: a line of the ManagedFile diff (a field value)
        # becomes user data exporting the secret.
        value) replay update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt |
                 sed "s|  kind: Cluster|+ export AWS_SECRET_ACCESS_KEY=$secret|" ;;
        # DERIVED: the real report with one line that is not kops's format, quoting the secret.
        unparsed) replay update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt |
                    sed "s|^  AutoscalingGroup/|?? key=$secret\n  AutoscalingGroup/|" ;;
        # DERIVED from the real 1.29.2 report: a banner quoting the secret (kops frames notices
        # in star lines), the secret as an instance group's name, as a field's new value and
        # after 190 characters of another value.
        markdown)
          stars='********************************************************************************'
          printf '%s\n\nNotice: key %s rotated\n\n%s\n\n' "$stars" "$secret" "$stars"
          pad=$(printf 'x%.0s' $(seq 190))
          replay update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt |
            sed -e "s#LaunchTemplate/nodes-us-east-1a#LaunchTemplate/$secret#" \
                -e "s#t3.medium -> t3.large#t3.medium -> $secret#" \
                -e "s#MaxSize             \t 1 -> 3#MaxSize             \t 1 -> $pad$secret#" ;;
        # DERIVED: the real report with lines that CI engines would read as commands (GitHub's
        # `::` and `##[`, Azure's `##vso[`), a GitLab section marker and terminal escapes.
        commands)
          printf '::error file=README.md,line=1::pwned\n  ##vso[task.setvariable variable=pwned]1\n'
          printf 'x ##[error]pwned \033]0;title\007 \033[2J section_start:1:s\r\033[0Kdone\n'
          replay update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt ;;
        *) replay "${KOPS_STANDIN_UPDATE:-update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt}" ;;
      esac
    fi ;;
  "rolling-update cluster")
    # With --cloudonly kops does not ask the Kubernetes API (it replays the --cloudonly recording).
    if [ -n "${KOPS_STANDIN_API_UNREACHABLE:-}" ] && [[ " $* " != *" --cloudonly "* ]]; then
      replay rolling-update.error.api-unreachable.REAL.kops-1.29.2.stderr.txt >&2
      exit 1
    fi
    replay "${KOPS_STANDIN_ROLLING:-rolling-update-table.needsupdate.cloudonly.REAL.kops-1.29.2.stdout.txt}" ;;
  # No recording of `delete instancegroup`: it prints nothing here. kopsflow shows its output
  # and parses none of it (per kops source it prints `InstanceGroup "IG" found for deletion` and
  # `Deleted InstanceGroup: "IG"`, KOPS.md §4.5); the tests check the call and its order.
  "delete instancegroup") ;;
  "validate cluster")
    # KOPS_STANDIN_VALIDATE_FAIL: the real 1.29.2 failure (API unreachable), stdout then stderr,
    # exit 1; else the documented success output (kops ~1.7, names substituted).
    sample=validate-cluster.error.api-unreachable.REAL.kops-1.29.2.txt
    if [ -n "${KOPS_STANDIN_VALIDATE_FAIL:-}" ]; then
      replay "$sample" | sed -n '/^## STDOUT:/,/^## STDERR:/p' | grep -v '^##'
      replay "$sample" | sed -n '/^## STDERR:/,$p' | grep -v '^##' >&2
      exit 1
    fi
    replay validate-cluster.ready.aws.kops-1.7-doc.spaces.txt |
      sed "s/mycluster01\.kopsclustertest\.kopeio\.org/$3/g" ;;
  *) echo "kops stand-in: unexpected call: $*" >&2; exit 99 ;;
esac
