#!/usr/bin/env bash
# A real single-node Slurm on localhost, for testing the workflow's Slurm profile.
#
#   tools/slurm/local-slurm.sh install   # Debian packages: slurm-wlm, slurm-client, munge (root)
#   tools/slurm/local-slurm.sh start     # munged + slurmctld + slurmd, no systemd; waits for the node
#   tools/slurm/local-slurm.sh status    # sinfo / squeue
#   tools/slurm/local-slurm.sh stop      # stop the three daemons by PID
#
# No slurmdbd: accounting is off, so Snakemake's Slurm plugin must use
# `slurm-status-command: squeue` (profiles/slurm does). Finished jobs are recorded by the
# job-completion plugin in $LHCML_SLURM_DIR/log/jobcomp.txt (proof that jobs ran in Slurm).
#
# LHCML_SLURM_CPUS sets the node's CPU count (default: nproc). The test suite declares
# twice the cores: most of a short job's allocation is the two Snakemake start-ups of the
# executor plugin and the waits between them, which other jobs' work can fill.
# The process tracking is proctrack/linuxproc and task/none: no cgroups, no systemd.
set -euo pipefail

STATE=${LHCML_SLURM_DIR:-/tmp/lhcml-slurm}
CONF=/etc/slurm/slurm.conf
HOST=$(hostname -s)

die() { echo "local-slurm: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (it writes $CONF and starts daemons)"; }

install() {
    need_root
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
        && command -v sbatch >/dev/null; then
        echo "local-slurm: Slurm and munge already installed"; return
    fi
    command -v apt-get >/dev/null || die "apt-get not found: install slurm-wlm and munge by hand"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm slurm-client munge >/dev/null
}

write_conf() {
    local cpus mem_mb overrides=""
    cpus=${LHCML_SLURM_CPUS:-$(nproc)}
    [[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "LHCML_SLURM_CPUS must be a positive integer, not '$cpus'"
    # more CPUs than the machine has: slurmd must take the configured count, not drain the node
    [ "$cpus" -le "$(nproc)" ] || overrides="SlurmdParameters=config_overrides"
    # leave 1 GiB to the system; Slurm refuses a node whose RealMemory exceeds what it sees
    mem_mb=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) - 1024 ))
    mkdir -p /etc/slurm "$STATE"/{spool,state,log}
    cat > "$CONF" <<CONF
# Written by tools/slurm/local-slurm.sh: a single-node test cluster on $HOST.
ClusterName=lhcml-local
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/log/jobcomp.txt
MinJobAge=300
KillWait=5
$overrides
NodeName=$HOST CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
}

start_munge() {
    if [ -f "$STATE/munged.pid" ] && kill -0 "$(cat "$STATE/munged.pid")" 2>/dev/null; then return; fi
    mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
    [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
    chmod 0400 /etc/munge/munge.key
    chmod 0755 /run/munge
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
    for _ in $(seq 1 20); do [ -s /run/munge/munged.pid ] && break; sleep 0.25; done
    cp /run/munge/munged.pid "$STATE/munged.pid"
    munge -n | unmunge >/dev/null || die "munge does not work"
}

start() {
    need_root
    command -v slurmctld >/dev/null || die "Slurm is not installed: run '$0 install' first"
    write_conf
    start_munge
    if ! { [ -f "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; }; then
        /usr/sbin/slurmctld -f "$CONF"
    fi
    if ! { [ -f "$STATE/slurmd.pid" ] && kill -0 "$(cat "$STATE/slurmd.pid")" 2>/dev/null; }; then
        /usr/sbin/slurmd -f "$CONF"
    fi
    for _ in $(seq 1 60); do
        state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
        case "$state" in
            idle*|mix*|alloc*) echo "local-slurm: node $HOST is $state"; return ;;
            down*|drain*) scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
        esac
        sleep 1
    done
    die "node $HOST did not become idle (see $STATE/log/slurmctld.log and slurmd.log)"
}

stop() {
    for daemon in slurmd slurmctld munged; do
        pidfile="$STATE/$daemon.pid"
        if [ -f "$pidfile" ]; then
            pid=$(cat "$pidfile")
            if kill "$pid" 2>/dev/null; then
                for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
                kill -9 "$pid" 2>/dev/null || true
            fi
            rm -f "$pidfile"
        fi
    done
    # Remove the configuration `start` wrote (it writes it again): while a slurm.conf names a
    # controller that does not run, `scontrol show config` waits ~9 s before it fails, and
    # the Slurm executor plugin calls it whenever it is loaded, which is every Snakemake
    # start once the cluster extras are installed (`make setup-cluster`), local runs too.
    if head -n 1 "$CONF" 2>/dev/null | grep -q "Written by tools/slurm/local-slurm.sh"; then
        rm -f "$CONF"
    fi
    echo "local-slurm: stopped"
}

status() {
    sinfo
    squeue
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
