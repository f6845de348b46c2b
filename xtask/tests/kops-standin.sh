#!/usr/bin/env bash
# kops stand-in for xtask's integration tests. It sits first on PATH, records each call (argv,
# the names of KOPS_STATE_STORE/S3_*/AWS_* variables, and what a file:// store holds at that
# moment) to $KOPS_STANDIN_DIR/calls.log, and replays REAL recorded kops output from
# $KOPS_STANDIN_SAMPLES (kopsflow/tests/kops-samples; line 1 of each sample is its origin).
# Knobs: KOPS_STANDIN_FAIL_AT=N, KOPS_STANDIN_HANG_AT=N, KOPS_STANDIN_NEW_CLUSTER=1,
# KOPS_STANDIN_UPDATE=<sample>, KOPS_STANDIN_ROLLING=<sample>, KOPS_STANDIN_API_UNREACHABLE=1,
# KOPS_STANDIN_LEAK=1 (echo $AWS_SECRET_ACCESS_KEY on stderr, to prove kopsflow redacts it);
# KOPS_STANDIN_LEAK=value|unparsed|error put it where kops could print it: inside a field value
# of the dry-run report (user data exporting it), in a report line kopsflow cannot parse, or in
# kops's error message. These injections are marked as such; the rest is replayed verbatim.
set -u
dir="$KOPS_STANDIN_DIR"
samples="$KOPS_STANDIN_SAMPLES"
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/count"
log="$dir/calls.log"
replay() { tail -n +2 "$samples/$1"; }

state=""; file=""; prev=""
for a in "$@"; do
  case "$prev" in --state) state="$a" ;; -f) file="$a" ;; esac
  prev="$a"
done
{
  printf 'call %s:' "$n"; printf ' %s' "$@"; printf '\n'
  printf '  env:'; env | cut -d= -f1 | grep -E '^(KOPS_STATE_STORE|S3_|AWS_)' | sort | tr '\n' ' '; printf '\n'
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
} >> "$log"

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
if [ "${KOPS_STANDIN_HANG_AT:-0}" = "$n" ]; then
  sleep 600
fi

case "$1 ${2:-}" in
  "version "*) replay version.REAL.kops-1.29.2.txt ;;
  "get cluster")
    if [ -n "${KOPS_STANDIN_NEW_CLUSTER:-}" ]; then
      # Not a recording: kops >=1.22's message for a missing cluster, from kops source
      # (cmd/kops/get_cluster.go filterClustersByName: fmt.Errorf("cluster not found %q", name),
      # printed by cobra as "Error: ..."), exit 1.
      echo "Error: cluster not found \"$3\"" >&2
      exit 1
    fi
    replay get-cluster-o-yaml.REAL.kops-1.29.2.yaml ;;
  "get instancegroups") replay get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml ;;
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
    if [ -n "${KOPS_STANDIN_API_UNREACHABLE:-}" ]; then
      replay rolling-update.error.api-unreachable.REAL.kops-1.29.2.stderr.txt >&2
      exit 1
    fi
    replay "${KOPS_STANDIN_ROLLING:-rolling-update-table.needsupdate.cloudonly.REAL.kops-1.29.2.stdout.txt}" ;;
  "delete instancegroup") ;;
  *) echo "kops stand-in: unexpected call: $*" >&2; exit 99 ;;
esac
