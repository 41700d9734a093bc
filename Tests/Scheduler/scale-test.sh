#!/bin/bash
# make scale-test: the scale-out recipes of docs/scale-out.md run as written, on a real single-node Slurm and on
# a simulated Kubernetes Indexed Job, each checked against one unsharded run (manifest line for
# line, every output byte for byte).
#
#   Tests/Scheduler/scale-test.sh KIMI_MEDIA_BINARY
#
# Needs root (Slurm and munge daemons run as root here, no systemd), slurm-wlm, munge, ffmpeg and
# python3-yaml (the Makefile target installs them). Leaves nothing running: every daemon it starts
# is stopped by PID on exit, whatever happens.
set -euo pipefail

binary=$(readlink -f "${1:?usage: scale-test.sh KIMI_MEDIA_BINARY}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${SCALE_TEST_DIR:-/tmp/kimi-media-scale-test}
rm -rf "$work"
mkdir -p "$work"/{bin,slurm/state,slurm/spool,slurm/log,munge/run,munge/lib,munge/log}
ln -s "$binary" "$work/bin/kimi-media"
export PATH="$work/bin:$PATH"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
fail() { echo "scale-test: FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

# ---------------------------------------------------------------- the corpus
# The fixtures (images, videos, files to convert, quirks and invalid files: some inputs fail, as in
# real folders) and twelve clips that need an encode, so that a shard runs long enough to cancel.
media="$work/media"
mkdir -p "$media/clips"
cp -r "$repo/Fixtures/images" "$repo/Fixtures/video" "$repo/Fixtures/convert" "$repo/Fixtures/quirks" \
      "$repo/Fixtures/invalid" "$media/"
# Folders whose names order differently as strings ("a-b/…" < "a/…") and as paths ("a/" first):
# the merge must list them as the single run does.
mkdir -p "$media/a" "$media/a-b"
cp "$repo/Fixtures/images/jpeg-cmyk.jpg" "$media/a/"
cp "$repo/Fixtures/images/png-gray.png" "$media/a-b/"
for i in $(seq -w 1 12); do
    ffmpeg -v error -nostdin -y -f lavfi -i "testsrc2=size=1280x720:rate=30,hue=H=$i" -t 10 \
           -c:v mpeg4 -q:v 6 "$media/clips/clip-$i.avi"
done
inputs=$(find "$media" -type f | wc -l)
step "corpus: $inputs files in $media"

step "reference: one unsharded run"
kimi-media prepare "$media" --out "$work/single" --quiet || [ $? -eq 1 ]   # 1: some inputs failed (expected)

# Same sources, same lines, same output bytes: the merged manifest against the single run's.
compare() {
    python3 - "$work/single" "$1" <<'PY'
import hashlib, json, os, sys
single, merged = sys.argv[1], sys.argv[2]
def lines(folder):
    with open(os.path.join(folder, "manifest.jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]
def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
a = {e["source"]: e for e in lines(single)}
b = {e["source"]: e for e in lines(merged)}
problems = []
if len(b) != len(lines(merged)): problems.append("a source appears twice in the merged manifest")
order_a, order_b = [e["source"] for e in lines(single)], [e["source"] for e in lines(merged)]
if order_a != order_b and set(order_a) == set(order_b):
    first = next(i for i, (x, y) in enumerate(zip(order_a, order_b)) if x != y)
    problems.append(f"the merged manifest lists the sources in another order: line {first + 1} is {order_b[first]}, "
                    f"the single run's {order_a[first]}")
for source in sorted(set(a) | set(b)):
    if source not in b: problems.append(f"missing from the merge: {source}"); continue
    if source not in a: problems.append(f"not in the single run: {source}"); continue
    if a[source] != b[source]:
        fields = sorted(k for k in set(a[source]) | set(b[source]) if a[source].get(k) != b[source].get(k))
        detail = "; ".join(f"{k}: {json.dumps(a[source].get(k))[:400]} vs {json.dumps(b[source].get(k))[:400]}" for k in fields)
        problems.append(f"lines differ: {source}: {detail}"); continue
    for output in a[source]["outputs"]:
        if digest(os.path.join(single, output["path"])) != digest(os.path.join(merged, output["path"])):
            problems.append(f"output bytes differ: {output['path']}")
outputs = sum(len(e["outputs"]) for e in a.values())
failed = sum(1 for e in a.values() if e["status"] == "error")
if problems:
    print("\n".join(problems[:20]), file=sys.stderr); sys.exit(1)
print(f"   equal to the single run, line for line in the same order: {len(a)} sources ({failed} failed, as in the single run), "
      f"{outputs} outputs byte-identical")
PY
}

# The fenced blocks of docs/scale-out.md, in order: the page from its title to its first "## "
# section (it has none today; anything added under one is not read as a recipe).
doc_block() {
    python3 - "$repo/docs/scale-out.md" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("# Scale-out: shards on Kubernetes and Slurm\n", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
kind, wanted = sys.argv[2].split(":")
chosen = [body for lang, body in blocks if lang == kind]
print(chosen[int(wanted)], end="")
PY
}

# ---------------------------------------------------------------- Slurm
step "Slurm: starting munged, slurmctld and slurmd (single node)"
chown -R munge:munge "$work/munge"
runuser -u munge -- munged --socket="$work/munge/run/munge.socket" --pid-file="$work/munge/run/munged.pid" \
    --log-file="$work/munge/log/munged.log" --seed-file="$work/munge/lib/munged.seed"
pids+=("$(cat "$work/munge/run/munged.pid")")
node=$(hostname -s)
export SLURM_CONF="$work/slurm/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=kimimedia
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/run/munge.socket
CredType=cred/munge
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/log/slurmctld.log
SlurmdLogFile=$work/slurm/log/slurmd.log
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName=$node CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -i
for _ in $(seq 100); do [ -s "$work/slurm/slurmctld.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/slurm/slurmctld.pid")")
slurmd
for _ in $(seq 100); do [ -s "$work/slurm/slurmd.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/slurm/slurmd.pid")")
for _ in $(seq 100); do sinfo -h -o %T 2>/dev/null | grep -qx idle && break; sleep 0.2; done
sinfo -h -o %T | grep -qx idle || fail "the Slurm node did not come up: $(tail -5 "$work/slurm/log/"*.log)"
sinfo

# The page's blocks, with only the paths, the shard count and the CPUs per task replaced. The
# media folder is the reference run's, so that both manifests name the same sources.
shared="$work/shared"
mkdir -p "$shared/submit"
adapt() { sed -e "s#/shared/media#$media#g; s#/shared/prepared#$shared/prepared#g" \
              -e 's#--array=0-7#--array=0-2#; s#--shards 8#--shards 3#; s#--cpus-per-task=8#--cpus-per-task=1#; s#--array=3 #--array=1 #'; }
doc_block bash:0 | adapt > "$shared/submit/prepare.sbatch"
doc_block bash:1 | adapt > "$shared/submit/submit.sh"
doc_block bash:2 | adapt > "$shared/submit/resubmit.sh"
grep -q -- '--array=0-2' "$shared/submit/prepare.sbatch" && grep -q -- '--shards 3' "$shared/submit/prepare.sbatch" \
    || fail "docs/scale-out.md's sbatch block changed shape: $(cat "$shared/submit/prepare.sbatch")"
grep -q -- '--array=1 ' "$shared/submit/resubmit.sh" || fail "docs/scale-out.md's resubmit block changed shape"
cd "$shared/submit"

wait_idle() {   # until no job is pending or running
    for _ in $(seq 1200); do [ -z "$(squeue -h -o %i)" ] && return 0; sleep 0.25; done
    fail "jobs still queued after 5 minutes: $(squeue)"
}
job_field() { scontrol show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

step "Slurm: docs/scale-out.md's submit block (3-task array, merge after it with afterany)"
cat submit.sh
# shellcheck disable=SC1091
source ./submit.sh > submit.out
cat submit.out
merge1=$(sed -n 's/^Submitted batch job //p' submit.out)
[ -n "$merge1" ] || fail "no merge job submitted"
[ -n "$job" ] || fail "sbatch --parsable gave no job id"
echo "   array job $job"

# Task 1 cancelled halfway: once it runs and has written at least one manifest line.
shard1="$shared/prepared/manifest.shard-1-of-3.jsonl"
for _ in $(seq 600); do
    state=$(squeue -h -j "${job}_1" -o %T 2>/dev/null || true)
    [ "$state" = RUNNING ] && [ -s "$shard1" ] && break
    [ -z "$state" ] && [ -s "$shard1" ] && fail "task 1 finished before it could be cancelled (corpus too small for this machine)"
    sleep 0.1
done
before=$(wc -l < "$shard1")
scancel "${job}_1"
echo "   cancelled task ${job}_1 after $before manifest line(s)"
wait_idle
[ "$(job_field "${job}_1" JobState)" = CANCELLED ] || fail "task 1 is $(job_field "${job}_1" JobState), not CANCELLED"
grep -q "error: incomplete: shard 1 of 3 did not finish" "slurm-$merge1.out" \
    || fail "the first merge did not report the cancelled shard: $(cat "slurm-$merge1.out")"
[ "$(job_field "$merge1" ExitCode)" = "1:0" ] || fail "the first merge did not exit 1"
[ -e "$shared/prepared/manifest.shard-1-of-3.done" ] && fail "the cancelled shard is marked finished"
echo "   the dependent merge ran after the cancel (afterany) and exited 1: $(grep 'error:' "slurm-$merge1.out")"

step "Slurm: docs/scale-out.md's resubmit block (task 1 again, then merge again)"
cat resubmit.sh
# shellcheck disable=SC1091
source ./resubmit.sh > resubmit.out
cat resubmit.out
merge2=$(sed -n 's/^Submitted batch job //p' resubmit.out)
[ -n "$merge2" ] && [ -n "$task" ] || fail "the resubmit block submitted no task or no merge"
wait_idle
[ -e "$shared/prepared/manifest.shard-1-of-3.done" ] || fail "the resubmitted shard did not finish: $(cat "slurm-${task}_1.out")"
[ "$(job_field "$merge2" ExitCode)" = "0:0" ] || fail "the second merge failed: $(cat "slurm-$merge2.out")"
sed 's/^/   /' "slurm-$merge2.out"
compare "$shared/prepared"

# ---------------------------------------------------------------- Kubernetes (no cluster: see docs/scale-out.md)
step "Kubernetes: docs/scale-out.md's Indexed Job, its schema and its container command per JOB_COMPLETION_INDEX"
doc_block yaml:0 > "$work/job.yaml"
k8s="$work/k8s"
mkdir -p "$k8s"
python3 - "$work/job.yaml" "$k8s" "$media" > "$work/pods.sh" <<'PY'
import shlex, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
root, media = sys.argv[2], sys.argv[3]
errors = []
def need(ok, what):
    if not ok: errors.append(what)
need(job.get("apiVersion") == "batch/v1" and job.get("kind") == "Job", "apiVersion batch/v1, kind Job")
spec = job["spec"]
need(spec.get("completionMode") == "Indexed", "completionMode: Indexed (sets JOB_COMPLETION_INDEX)")
n = spec.get("completions")
need(isinstance(n, int) and n > 0, "completions: a positive count")
need(spec.get("parallelism", n) <= n, "parallelism no larger than completions")
need(isinstance(spec.get("backoffLimit"), int) and spec["backoffLimit"] >= n, "a backoffLimit that lets every pod retry")
pod = spec["template"]["spec"]
need(pod.get("restartPolicy") in ("OnFailure", "Never"), "restartPolicy OnFailure or Never (a Job's pods)")
containers = pod["containers"]
need(len(containers) == 1, "one container")
command = containers[0]["command"]
need(command[:2] == ["kimi-media", "prepare"], "the container runs kimi-media prepare")
need("--shards" in command and int(command[command.index("--shards") + 1]) == n, "--shards equals completions")
need("--shard" not in command, "no fixed --shard (the index comes from JOB_COMPLETION_INDEX)")
mounts = {m["mountPath"] for m in containers[0].get("volumeMounts", [])}
need(any(a.startswith(m) for a in command if a.startswith("/") for m in mounts), "the paths are on a mounted volume")
if errors:
    print("docs/scale-out.md's Job manifest is wrong: " + "; ".join(errors), file=sys.stderr); sys.exit(1)
# Paths on the volume map to the test's folder; the shard count stays the page's.
args = [a.replace("/data/media", media).replace("/data/", root + "/") for a in command]
print(f"count={n}")
print("pod=(" + " ".join(shlex.quote(a) for a in args) + ")")
PY
# shellcheck disable=SC1091
source "$work/pods.sh"
echo "   schema ok: $count completions; container command: ${pod[*]}"
# Each pod's output goes to its log, as a pod's would.
runpod() { JOB_COMPLETION_INDEX=$1 "${pod[@]}" 2>> "$k8s/pod-$1.log" || [ $? -eq 1 ]; }   # 1: some inputs of that shard failed
# Every index but one runs to the end; the chosen pod is killed with SIGKILL after its first line (a
# lost node), then restarted as restartPolicy: OnFailure would.
victim=$((count / 2))
for i in $(seq 0 $((count - 1))); do
    [ "$i" = "$victim" ] && continue
    runpod "$i" &
done
JOB_COMPLETION_INDEX=$victim "${pod[@]}" 2>> "$k8s/pod-$victim.log" & killed=$!
manifest="$k8s/prepared/manifest.shard-$victim-of-$count.jsonl"
for _ in $(seq 600); do [ -s "$manifest" ] && break; kill -0 $killed 2>/dev/null || break; sleep 0.05; done
kill -9 $killed 2>/dev/null && echo "   pod $victim killed (SIGKILL) after $(wc -l < "$manifest") line(s)" \
    || fail "pod $victim finished before it could be killed"
wait $killed 2>/dev/null || true
wait
merged_early=0; kimi-media merge "$k8s/prepared" 2> "$work/merge-early.txt" || merged_early=$?
[ "$merged_early" = 1 ] && grep -q "shard $victim of $count did not finish" "$work/merge-early.txt" \
    || fail "the merge did not report the killed pod's shard: $(cat "$work/merge-early.txt")"
echo "   merge before the restart: exit 1, $(grep 'error:' "$work/merge-early.txt")"
runpod "$victim"
kimi-media merge "$k8s/prepared" 2>&1 | sed 's/^/   /'
compare "$k8s/prepared"

step "scale-test passed"
