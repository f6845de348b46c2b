#!/usr/bin/env bash
# kops stand-in for xtask's integration tests. It sits first on PATH, records each call (argv,
# the names of KOPS_STATE_STORE/S3_*/AWS_* variables, what a file:// store holds at that
# moment, its pid, its caller's pid, KUBECONFIG when set, and start and end times) to
# $KOPS_STANDIN_DIR/calls.log, and replays REAL recorded kops output from
# $KOPS_STANDIN_SAMPLES (kopsflow/tests/kops-samples; line 1 of each sample is its origin).
# Concurrent calls (parallel clusters, concurrent runs) are numbered and logged atomically: each
# call's entry is one block, and its end is a line `end N: TIME` appended when it exits.
# Knobs: KOPS_STANDIN_FAIL_AT=N, KOPS_STANDIN_HANG_AT=N, KOPS_STANDIN_NEW_CLUSTER=1,
# KOPS_STANDIN_UPDATE=<sample>, KOPS_STANDIN_ROLLING=<sample>, KOPS_STANDIN_API_UNREACHABLE=1,
# KOPS_STANDIN_LEAK=1 (echo $AWS_SECRET_ACCESS_KEY on stderr, to prove kopsflow redacts it);
# KOPS_STANDIN_LEAK=value|unparsed|error put it where kops could print it: inside a field value
# of the dry-run report (user data exporting it), in a report line kopsflow cannot parse, or in
# kops's error message. These injections are marked as such; the rest is replayed verbatim.
# Timing knobs take "<argv prefix> <value>", the prefix being e.g. `update`, `get cluster` or
# `*` (every call): KOPS_STANDIN_SLEEP="update 2" sleeps 2 s in matching calls;
# KOPS_STANDIN_GATE="update /path" blocks matching calls until /path exists;
# KOPS_STANDIN_BARRIER="get cluster 2" blocks matching calls until 2 of them have started.
# KOPS_STANDIN_FAIL_CLUSTER=NAME fails every call naming cluster NAME (like FAIL_AT, the error
# naming NAME). Outputs of `kops get` name the cluster that was asked for (see `named`).
# KOPS_STANDIN_VERSION=1.36.2 replays the kops 1.36.2 recordings of `version` and `kops get`
# (default: 1.29.2).
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
if [ "${KOPS_STANDIN_HANG_AT:-0}" = "$n" ]; then
  sleep 600
fi

case "$1 ${2:-}" in
  "version "*) replay "version.REAL.kops-$version.txt" ;;
  "get cluster")
    if [ -n "${KOPS_STANDIN_NEW_CLUSTER:-}" ]; then
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
    else
      case "$leak" in
        # DERIVED from the real 1.36.2 report: a line of the ManagedFile diff (a field value)
        # becomes user data exporting the secret.
        value) replay update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt |
                 sed "s|  kind: Cluster|+ export AWS_SECRET_ACCESS_KEY=$secret|" ;;
        # DERIVED: the real report with one line that is not kops's format, quoting the secret.
        unparsed) replay update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt |
                    sed "s|^  AutoscalingGroup/|?? key=$secret\n  AutoscalingGroup/|" ;;
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
