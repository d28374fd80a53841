#!/usr/bin/env bash
# Debian's SLURM (slurm-wlm 22.05: slurmctld, slurmd, the client commands) and munge, for the
# SLURM tests (tests/slurm/): they start a one-node cluster on localhost by hand (there is no
# systemd) and stop it again. Nothing is started or enabled here.
# The SLURM job-step executor drops SLURM_CONF for its inner srun, so the test cluster puts
# its slurm.conf in /etc/slurm for the run (and puts back what was there): when not run as
# root, this makes /etc/slurm writable for the invoking user.
# Usage: tools/install-slurm.sh   (idempotent; uses sudo when not root)
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
have() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ]; }
if ! { have slurmctld && have slurmd && have sbatch && have munged; }; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >/dev/null
fi
$sudo install -d /etc/slurm
if [ -n "$sudo" ]; then $sudo chown "$(id -u)" /etc/slurm; fi
# Debian's packages may leave daemons of their own running where an init system exists
for daemon in slurmd slurmctld munged; do
  if pgrep -x "$daemon" >/dev/null; then
    echo "install-slurm: note: a $daemon is already running; the tests start their own" >&2
  fi
done
PATH="$PATH:/usr/sbin" slurmctld -V
