# shellcheck shell=bash
# A real single-node SLURM (slurmctld + slurmd + a private munged) for tests, all state in one
# directory. Source this file, then:
#
#   slurm_start DIR            start munged, slurmctld, slurmd with every file under DIR; exports
#                              SLURM_CONF; waits until the node is idle (SLURM_START_TIMEOUT, 60 s)
#   slurm_wait_job ID [SECS]   wait for a job to end; prints "STATE EXITCODE" (e.g. "COMPLETED 0:0")
#                              and returns 0 only for COMPLETED; prints the job's output otherwise
#   slurm_stop                 cancel this cluster's jobs, then stop exactly the daemons started
#                              (by PID, checked against the start time), and wait for them to exit
#   slurm_logs [N]             print the last N lines of every daemon log
#
# Needs root and the Debian 12 packages: slurm-wlm munge libpmix2 libpmix-dev (the last one ships
# pmix2/lib/libpmix.so, which Slurm's mpi/pmix plugin dlopens; without it `srun --mpi=list`
# has no pmix). Only loopback traffic; ports default to the first free pair from
# SLURM_TEST_PORT (default 16817) upwards. Every failure prints why (log tails) and returns
# non-zero. Nothing is killed except PIDs this library started.
#
# Jobs run as root: srun-launched Open MPI programs need no OMPI_ALLOW_RUN_AS_ROOT (only mpirun
# checks it), but we export both variables so mpirun inside a job also works.

_slurm_say() { echo "slurm-test: $*" >&2; }

# "PID STARTTIME" of a live process (starttime = field 22 of /proc/PID/stat), or nothing.
_slurm_proc_id() {
  local pid=$1 stat
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }                 # drop "pid (comm) "; the rest is space-separated from field 3
  # shellcheck disable=SC2086
  set -- $stat
  [[ "$1" != Z ]] || return 1       # a zombie counts as gone
  echo "$pid ${20}"
}

# True if the recorded "PID STARTTIME" still names the same live process.
_slurm_same_proc() {
  local rec=$1 now
  [[ -n "$rec" ]] || return 1
  now=$(_slurm_proc_id "${rec%% *}") || return 1
  [[ "$now" == "$rec" ]]
}

slurm_logs() {
  local n=${1:-40} f
  [[ -n "${SLURM_TEST_DIR:-}" ]] || return 0
  for f in "$SLURM_TEST_DIR"/munge/log/munged.log "$SLURM_TEST_DIR"/munge/munged.stderr \
           "$SLURM_TEST_DIR"/log/slurmctld.log "$SLURM_TEST_DIR"/log/slurmctld.stderr \
           "$SLURM_TEST_DIR"/log/slurmd.log "$SLURM_TEST_DIR"/log/slurmd.stderr; do
    [[ -s "$f" ]] || continue
    echo "----- last $n lines of $f -----" >&2
    tail -n "$n" "$f" >&2
  done
}

_slurm_fail() {
  _slurm_say "FAILED: $*"
  slurm_logs 40
  slurm_stop >/dev/null 2>&1 || true
  return 1
}

_slurm_port_busy() {   # true if something listens on TCP port $1 (IPv4 or IPv6)
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Wait for a daemon's pid file, record "PID STARTTIME" in $DIR/pids/NAME.
_slurm_record_pid() {
  local name=$1 pidfile=$2 secs=${3:-15} i pid rec
  for ((i = 0; i < secs * 10; i++)); do
    if [[ -s "$pidfile" ]]; then
      pid=$(tr -dc '0-9' <"$pidfile")
      if rec=$(_slurm_proc_id "$pid"); then
        echo "$rec" >"$SLURM_TEST_DIR/pids/$name"
        return 0
      fi
    fi
    sleep 0.1
  done
  _slurm_say "$name did not start (no live process in $pidfile after ${secs} s)"
  return 1
}

slurm_start() {
  local dir=${1:?usage: slurm_start DIR}
  local host cpus mem port cport dport i t0 state
  if [[ -n "${SLURM_TEST_DIR:-}" ]] && [[ -f "$SLURM_TEST_DIR/pids/munged" || \
        -f "$SLURM_TEST_DIR/pids/slurmctld" || -f "$SLURM_TEST_DIR/pids/slurmd" ]]; then
    _slurm_say "a test cluster is already running in $SLURM_TEST_DIR (call slurm_stop first)"
    return 1
  fi
  [[ $(id -u) -eq 0 ]] || { _slurm_say "slurm_start needs root"; return 1; }
  local b
  for b in munged slurmctld slurmd sinfo sbatch scontrol srun; do
    command -v "$b" >/dev/null || { _slurm_say "missing $b: apt-get install slurm-wlm munge libpmix2 libpmix-dev"; return 1; }
  done
  id munge >/dev/null 2>&1 || { _slurm_say "no user munge (install the munge package)"; return 1; }

  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd -P)
  export SLURM_TEST_DIR=$dir
  t0=$SECONDS
  # munged (user munge) must traverse DIR; munged also refuses group/world-writable paths.
  chmod 0755 "$dir"
  mkdir -p "$dir"/{pids,etc,log,state,spool,tmp,munge/{key,log,run,lib}}
  rm -f "$dir"/pids/*
  chown -R munge:munge "$dir/munge"
  chmod 0755 "$dir/munge" "$dir/munge/run"   # socket dir: o+x needed by clients
  chmod 0700 "$dir/munge/key" "$dir/munge/log" "$dir/munge/lib"
  if ! setpriv --reuid=munge --regid=munge --clear-groups test -x "$dir/munge/run"; then
    _slurm_say "user munge cannot reach $dir/munge/run (a parent directory of $dir is not o+x)"
    return 1
  fi

  # --- munge ---
  local key=$dir/munge/key/munge.key sock=$dir/munge/run/munge.socket
  if [[ ! -s "$key" ]]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$key" --force >/dev/null 2>&1 || \
        dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    else
      dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    fi
  fi
  chown munge:munge "$key" && chmod 0400 "$key"
  setpriv --reuid=munge --regid=munge --clear-groups \
    munged --socket="$sock" --key-file="$key" --pid-file="$dir/munge/run/munged.pid" \
           --log-file="$dir/munge/log/munged.log" --seed-file="$dir/munge/lib/munged.seed" \
           </dev/null >"$dir/munge/munged.stderr" 2>&1 \
    || { _slurm_fail "munged exited with an error"; return 1; }
  _slurm_record_pid munged "$dir/munge/run/munged.pid" 10 || { _slurm_fail "munged"; return 1; }
  if ! munge -n -S "$sock" 2>"$dir/log/munge-check.err" | unmunge -S "$sock" >/dev/null 2>>"$dir/log/munge-check.err"; then
    cat "$dir/log/munge-check.err" >&2
    _slurm_fail "munge/unmunge round trip through $sock"; return 1
  fi

  # --- slurm.conf ---
  host=$(hostname -s)
  cpus=$(nproc --all)
  mem=$(free -m | awk '/^Mem:/ { print int($2 * 0.9) }')
  port=${SLURM_TEST_PORT:-16817}
  for ((i = 0; i < 50; i++, port += 2)); do
    _slurm_port_busy "$port" || _slurm_port_busy $((port + 1)) || break
  done
  cport=$port dport=$((port + 1))
  : >"$dir/etc/plugstack.conf"
  cat >"$dir/etc/cgroup.conf" <<'EOF'
# Not used: proctrack/linuxproc, task/none and jobacct_gather/none load no cgroup plugin.
CgroupPlugin=autodetect
EOF
  cat >"$dir/etc/slurm.conf" <<EOF
# Generated by tests/slurm/cluster.sh for a single-node test cluster.
ClusterName=popsimtest
SlurmctldHost=$host
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock,cred_expire=${SLURM_TEST_CRED_EXPIRE:-20}
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
TmpFS=$dir/tmp
SlurmctldPidFile=$dir/pids/slurmctld.pidfile
SlurmdPidFile=$dir/pids/slurmd.pidfile
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$dir/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=5,bf_interval=5
MpiDefault=pmix
MailProg=/bin/true
EnforcePartLimits=ALL
ReturnToService=2
JobRequeue=1
MinJobAge=3600
KillWait=10
SlurmctldTimeout=30
SlurmdTimeout=60
MessageTimeout=10
InactiveLimit=0
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/etc/slurm.conf
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

  # --- daemons (they daemonize; PIDs come from their pid files) ---
  slurmctld -f "$SLURM_CONF" </dev/null >"$dir/log/slurmctld.stderr" 2>&1 \
    || { _slurm_fail "slurmctld exited with an error"; return 1; }
  _slurm_record_pid slurmctld "$dir/pids/slurmctld.pidfile" 20 || { _slurm_fail "slurmctld"; return 1; }
  slurmd -f "$SLURM_CONF" </dev/null >"$dir/log/slurmd.stderr" 2>&1 \
    || { _slurm_fail "slurmd exited with an error"; return 1; }
  _slurm_record_pid slurmd "$dir/pids/slurmd.pidfile" 20 || { _slurm_fail "slurmd"; return 1; }

  local timeout=${SLURM_START_TIMEOUT:-60}
  while ((SECONDS - t0 < timeout)); do
    state=$(sinfo -h -N -n "$host" -o '%T' 2>/dev/null | head -n 1)
    [[ "$state" == idle ]] && break
    _slurm_same_proc "$(cat "$dir/pids/slurmctld")" || { _slurm_fail "slurmctld died"; return 1; }
    _slurm_same_proc "$(cat "$dir/pids/slurmd")" || { _slurm_fail "slurmd died"; return 1; }
    sleep 0.5
  done
  if [[ "$state" != idle ]]; then
    sinfo -N -l >&2 2>&1 || true
    scontrol show node "$host" >&2 2>&1 || true
    _slurm_fail "node $host not idle after ${timeout} s (state: '${state:-none}')"; return 1
  fi
  _slurm_say "cluster up in $((SECONDS - t0)) s: SLURM_CONF=$SLURM_CONF, node $host ($cpus CPUs, ${mem} MB), ports $cport/$dport"
}

# slurm_wait_job JOBID [TIMEOUT]: prints "STATE EXITCODE"; returns 0 for COMPLETED, 1 for any
# other final state (after printing the job's output files), 2 on timeout or unknown job.
slurm_wait_job() {
  local id=${1:?usage: slurm_wait_job JOBID [TIMEOUT]} timeout=${2:-300} t0=$SECONDS info state ec out err
  while :; do
    info=$(scontrol show job -o "$id" 2>&1) || { _slurm_say "job $id: $info"; return 2; }
    state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$info")
    ec=$(sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p' <<<"$info")
    case $state in
      COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY) break ;;
    esac
    if ((SECONDS - t0 >= timeout)); then
      _slurm_say "job $id still $state after ${timeout} s"
      echo "$state $ec"
      return 2
    fi
    sleep 1
  done
  echo "$state $ec"
  [[ "$state" == COMPLETED ]] && return 0
  out=$(sed -n 's/.* StdOut=\([^ ]*\).*/\1/p' <<<"$info")
  err=$(sed -n 's/.* StdErr=\([^ ]*\).*/\1/p' <<<"$info")
  _slurm_say "job $id ended $state (exit $ec): $(sed -n 's/.* Reason=\([^ ]*\).*/\1/p' <<<"$info")"
  [[ -f "$out" ]] && { echo "----- $out -----" >&2; tail -n 100 "$out" >&2; }
  [[ -f "$err" && "$err" != "$out" ]] && { echo "----- $err -----" >&2; tail -n 100 "$err" >&2; }
  return 1
}

slurm_stop() {
  local dir=${SLURM_TEST_DIR:-} name rec pid i rc=0 ids
  [[ -n "$dir" && -d "$dir/pids" ]] || return 0
  # Cancel this cluster's jobs first so no slurmstepd or job process outlives the daemons.
  if [[ -f "$dir/pids/slurmctld" ]] && _slurm_same_proc "$(cat "$dir/pids/slurmctld")"; then
    ids=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    if [[ -n "${ids// /}" ]]; then
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null || true
      for ((i = 0; i < 60; i++)); do
        [[ -z "$(squeue -h -o %i 2>/dev/null)" ]] && break
        sleep 0.5
      done
    fi
  fi
  for name in slurmd slurmctld munged; do
    [[ -f "$dir/pids/$name" ]] || continue
    rec=$(cat "$dir/pids/$name")
    pid=${rec%% *}
    if _slurm_same_proc "$rec"; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 150; i++)); do _slurm_same_proc "$rec" || break; sleep 0.1; done
      if _slurm_same_proc "$rec"; then
        _slurm_say "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do _slurm_same_proc "$rec" || break; sleep 0.1; done
        _slurm_same_proc "$rec" && { _slurm_say "$name (pid $pid) is still alive"; rc=1; continue; }
      fi
    fi
    rm -f "$dir/pids/$name"
  done
  # slurmstepd's socket is SlurmdSpoolDir/NODENAME_JOBID.STEPID while it runs.
  if compgen -G "$dir/spool/$(hostname -s)_[0-9]*" >/dev/null 2>&1; then
    _slurm_say "warning: a slurmstepd may still run; step sockets left:" \
      "$(cd "$dir/spool" && echo "$(hostname -s)"_[0-9]*)"
  fi
  return $rc
}
