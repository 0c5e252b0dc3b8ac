#!/usr/bin/env bash
# Proves the SLURM profile on a real one-node SLURM cluster on this machine:
# installs Debian's slurm-wlm + munge, writes a localhost slurm.conf, starts
# munged, slurmctld and slurmd, runs the workflow through
# snakemake-executor-plugin-slurm, checks the outputs and stops the daemons.
# Needs root (apt-get, daemons). Usage: native/workflow/slurm_test.sh [WORKDIR]
# Env: TAXDISTILL (binary; default: cargo build), SNAKEMAKE_VENV (default
#      <target>/venvs/snakemake, shared with ci_test.sh), SIMULATE_ARGS,
#      WORKFLOW_CONFIG, SLURM_EXTRA_ARGS (extra snakemake flags).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
VENV="${SNAKEMAKE_VENV:-$TARGET/venvs/snakemake}"
SNAKEMAKE_PIN="${SNAKEMAKE_PIN:-snakemake==9.27.1}"
PLUGIN_PIN="${PLUGIN_PIN:-snakemake-executor-plugin-slurm==2.8.0}"
SIMULATE_ARGS="${SIMULATE_ARGS:---genomes 8 --contigs 160 --samples 2 --mean-length 3000 --sd-length 1500}"
start=$SECONDS

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge
fi
if [ ! -x "$VENV/bin/snakemake" ] || ! "$VENV/bin/python" -c "import snakemake_executor_plugin_slurm" 2>/dev/null; then
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$SNAKEMAKE_PIN" "$PLUGIN_PIN"
fi
if [ -z "${TAXDISTILL:-}" ]; then
  (cd "$ROOT" && cargo build -q -p taxdistill)
  TAXDISTILL="$TARGET/debug/taxdistill"
fi

HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
STATE="$WORK/slurm-state"
mkdir -p "$STATE/ctld" "$STATE/d" /etc/slurm
CONF=/etc/slurm/slurm.conf
[ -f "$CONF" ] && cp "$CONF" "$WORK/slurm.conf.orig"
cat > "$CONF" <<CONF
ClusterName=taxdistill-test
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
# no slurmdbd (so no sacct): finished jobs stay visible to squeue long enough
# for the executor plugin's status checks (--slurm-status-command squeue)
MinJobAge=600
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

started=()
cleanup() {
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$STATE/slurmd.pid" ] && kill "$(cat "$STATE/slurmd.pid")" 2>/dev/null || true
  [ -f "$STATE/slurmctld.pid" ] && kill "$(cat "$STATE/slurmctld.pid")" 2>/dev/null || true
  [ -f "$WORK/munged.pid" ] && kill "$(cat "$WORK/munged.pid")" 2>/dev/null || true
  if [ -f "$WORK/slurm.conf.orig" ]; then cp "$WORK/slurm.conf.orig" "$CONF"; else rm -f "$CONF"; fi
}
trap cleanup EXIT

# munge: a key, then the daemon (as root it needs --force)
[ -s /etc/munge/munge.key ] || mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null || create-munge-key -f
chown -R root /etc/munge /var/lib/munge /var/log/munge 2>/dev/null || true
mkdir -p /run/munge
munged --force --pid-file "$WORK/munged.pid" --socket /run/munge/munge.socket.2
sleep 1
munge -n | unmunge > /dev/null

slurmctld -f "$CONF"
slurmd -f "$CONF"
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -q -E '^idle' && break
  sleep 1
done
sinfo
srun -N1 -n1 hostname

# shellcheck disable=SC2086  # a list of flags
"$TAXDISTILL" simulate --out "$WORK/community" $SIMULATE_ARGS
C="$WORK/community"
CONTIGS="$(ls "$C"/contigs.fna* | head -1)"
ABUND=""
[ -f "$C/abundance.tsv" ] && ABUND="$C/abundance.tsv"

cd "$WORK"
"$VENV/bin/snakemake" -s "$ROOT/native/workflow/Snakefile" \
  --profile "$ROOT/native/workflow/profiles/slurm" --jobs 4 \
  --slurm-status-command squeue --slurm-keep-successful-logs \
  --slurm-init-seconds-before-status-checks 2 ${SLURM_EXTRA_ARGS:-} \
  --config contigs="$CONTIGS" labels="$C/labels.tsv" abundance="$ABUND" \
           model="$ROOT/tests/data/tiny-genomeocean" n_shards=2 gpus_per_shard=0 \
           outdir="$WORK/results" taxdistill="$TAXDISTILL" distill_args="--epochs 20" \
           ${WORKFLOW_CONFIG:-}

R="$WORK/results"
for f in embed/shard1/embeddings.safetensors embed/shard2/embeddings.safetensors \
         embeddings/embeddings.safetensors soft_labels.safetensors predictions.tsv; do
  [ -s "$R/$f" ] || { echo "FAIL: $R/$f missing or empty" >&2; exit 1; }
done
# every rule ran as its own SLURM job: one job log per rule instance, and
# slurmctld saw that many jobs (plus the srun above) complete
n_logs=$(find "$WORK/.snakemake/slurm_logs" -name '*.log' 2>/dev/null | wc -l)
n_done=$(grep -c -E '_job_complete: JobId=[0-9]+ done' "$WORK/slurmctld.log" || true)
for rule in embed_shard merge_embeddings teach distill annotate; do
  [ -d "$WORK/.snakemake/slurm_logs/rule_$rule" ] || { echo "FAIL: no SLURM job log of rule $rule" >&2; exit 1; }
done
[ "$n_logs" -ge 6 ] && [ "$n_done" -ge 7 ] \
  || { echo "FAIL: $n_logs SLURM job logs, $n_done jobs completed in slurmctld.log; expected >= 6 and >= 7" >&2; exit 1; }
echo "OK: workflow ran through SLURM ($n_logs job logs, $n_done jobs completed by slurmctld) in $((SECONDS - start)) s; results in $R"
