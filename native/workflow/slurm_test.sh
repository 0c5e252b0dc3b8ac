#!/usr/bin/env bash
# Proves the SLURM profile on a real one-node SLURM cluster on this machine:
# installs Debian's slurm-wlm + munge, writes a localhost slurm.conf, starts
# munged, slurmctld and slurmd, runs the workflow through
# snakemake-executor-plugin-slurm, checks the outputs and stops the daemons.
# Needs root (apt-get, daemons). Usage: native/workflow/slurm_test.sh [WORKDIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
VENV="${SNAKEMAKE_VENV:-$WORK/venv}"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge
fi
if [ ! -x "$VENV/bin/snakemake" ] || ! "$VENV/bin/python" -c "import snakemake_executor_plugin_slurm" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q snakemake snakemake-executor-plugin-slurm
fi
if [ -z "${TAXDISTILL:-}" ]; then
  (cd "$ROOT" && cargo build -q -p taxdistill)
  TAXDISTILL="${CARGO_TARGET_DIR:-$ROOT/target}/debug/taxdistill"
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

"$TAXDISTILL" simulate --out "$WORK/community" ${SIMULATE_ARGS:-}
C="$WORK/community"
CONTIGS="$(ls "$C"/contigs.fna* | head -1)"
ABUND=""
[ -f "$C/abundance.tsv" ] && ABUND="$C/abundance.tsv"

cd "$WORK"
"$VENV/bin/snakemake" -s "$ROOT/native/workflow/Snakefile" \
  --profile "$ROOT/native/workflow/profiles/slurm" --jobs 4 \
  ${SLURM_EXTRA_ARGS:-} \
  --config contigs="$CONTIGS" labels="$C/labels.tsv" abundance="$ABUND" \
           model="$ROOT/tests/data/tiny-genomeocean" n_shards=2 gpus_per_shard=0 \
           outdir="$WORK/results" taxdistill="$TAXDISTILL" ${WORKFLOW_CONFIG:-}

R="$WORK/results"
for f in embed/shard1/embeddings.safetensors embed/shard2/embeddings.safetensors \
         embeddings/embeddings.safetensors soft_labels.safetensors predictions.tsv; do
  [ -s "$R/$f" ] || { echo "FAIL: $R/$f missing or empty" >&2; exit 1; }
done
ls "$WORK"/.snakemake/slurm_logs >/dev/null 2>&1 || { echo "FAIL: no SLURM job logs: jobs did not go through SLURM" >&2; exit 1; }
echo "OK: workflow ran through SLURM ($(ls -R "$WORK"/.snakemake/slurm_logs | grep -c '\.log$') job logs); results in $R"
