"""A real one-node SLURM cluster on localhost (Debian's slurm-wlm and munge), in a directory.

Everything lives in that directory (configuration, munge key and socket, state, spool, logs
and pid files; the daemons run as the current user), except one copy of slurm.conf and
gres.conf in ``/etc/slurm``: the SLURM job-step executor (snakemake-executor-plugin-slurm-jobstep
0.6) drops ``SLURM_CONF`` from the environment of its inner ``srun``, which then finds a
configuration only at the compiled-in path. A file already there is kept aside and put back.
There is no systemd on our machines, so the daemons are started by hand; no slurmdbd (no
database): status queries use ``squeue`` and
``MinJobAge`` keeps finished jobs visible to it. The node declares more CPUs, memory and a GPU
than the machine has (``SlurmdParameters=config_overrides``), so the workflow's SLURM profile is
submitted unchanged; jobs that ask for the GPU get one in name only and run on the CPU.

Used by the SLURM tests; by hand: ``python -m tests.slurm.cluster start DIR`` prints the
``SLURM_CONF`` to export, ``python -m tests.slurm.cluster stop DIR`` tears it down.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("slurmd", "slurmctld", "munged")
NODE_CPUS = 16
NODE_MEMORY_MB = 64000
SYSTEM_CONF_DIR = Path("/etc/slurm")


class SlurmUnavailable(RuntimeError):
    """Debian's slurm-wlm or munge is not installed."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sbin(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        raise SlurmUnavailable(
            f"{name} not found: install Debian's slurm-wlm and munge (tools/install-slurm.sh)"
        )
    return found


class LocalSlurm:
    """Start/stop munged, slurmctld and slurmd with everything under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.conf = self.root / "slurm.conf"
        self.socket = self.root / "munge" / "munge.sock"
        self.system_conf = SYSTEM_CONF_DIR / "slurm.conf"
        self.system_gres = SYSTEM_CONF_DIR / "gres.conf"

    @property
    def env(self) -> dict[str, str]:
        """The environment that points SLURM's commands (sbatch, squeue, scancel) at this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def write_config(self) -> None:
        """slurm.conf, gres.conf and the munge key."""
        for sub in ("munge", "state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        user = pwd.getpwuid(os.getuid()).pw_name
        host = socket.gethostname().split(".")[0]
        self.conf.write_text(
            "\n".join(
                [
                    "ClusterName=massmovetest",
                    f"SlurmctldHost={host}(127.0.0.1)",
                    f"SlurmctldPort={_free_port()}",
                    f"SlurmdPort={_free_port()}",
                    "AuthType=auth/munge",
                    "CredType=cred/munge",
                    f"AuthInfo=socket={self.socket}",
                    f"SlurmUser={user}",
                    f"SlurmdUser={user}",
                    f"StateSaveLocation={self.root / 'state'}",
                    f"SlurmdSpoolDir={self.root / 'spool'}",
                    f"SlurmctldPidFile={self.root / 'slurmctld.pid'}",
                    f"SlurmdPidFile={self.root / 'slurmd.pid'}",
                    f"SlurmctldLogFile={self.root / 'log' / 'slurmctld.log'}",
                    f"SlurmdLogFile={self.root / 'log' / 'slurmd.log'}",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "MpiDefault=none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core",
                    "SchedulerType=sched/backfill",
                    "ReturnToService=2",
                    # finished jobs stay visible to squeue (the status command) for 10 minutes
                    "MinJobAge=600",
                    "AccountingStorageType=accounting_storage/none",
                    "JobAcctGatherType=jobacct_gather/none",
                    "JobCompType=jobcomp/none",
                    "GresTypes=gpu",
                    "SlurmdParameters=config_overrides",
                    f"NodeName={host} NodeAddr=127.0.0.1 CPUs={NODE_CPUS} RealMemory={NODE_MEMORY_MB} "
                    "Gres=gpu:1 State=UNKNOWN",
                    "PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )
        (self.root / "gres.conf").write_text(f"NodeName={host} Name=gpu File=/dev/null\n")

    def install_system_copy(self) -> None:
        """Copy slurm.conf and gres.conf to /etc/slurm, keeping any existing files aside."""
        SYSTEM_CONF_DIR.mkdir(parents=True, exist_ok=True)
        for ours, system in ((self.conf, self.system_conf), (self.root / "gres.conf", self.system_gres)):
            kept = self.root / f"kept-{system.name}"
            if system.exists() and not kept.exists():
                shutil.copy2(system, kept)
            shutil.copy2(ours, system)

    def restore_system_copy(self) -> None:
        """Put back what /etc/slurm held before (or remove our copies)."""
        for system in (self.system_conf, self.system_gres):
            kept = self.root / f"kept-{system.name}"
            if kept.exists():
                shutil.move(kept, system)
            elif system.exists() and system.read_bytes() == (self.root / system.name).read_bytes():
                system.unlink()

    def start(self, timeout_s: float = 60.0) -> None:
        """Write the configuration, start the three daemons and wait until the node is idle."""
        self.write_config()
        self.install_system_copy()
        munged = [
            _sbin("munged"),
            f"--socket={self.socket}",
            f"--key-file={self.root / 'munge' / 'munge.key'}",
            f"--pid-file={self.root / 'munged.pid'}",
            f"--log-file={self.root / 'log' / 'munged.log'}",
            f"--seed-file={self.root / 'munge' / 'munge.seed'}",
        ]
        if os.getuid() == 0:
            munged.append("--force")  # munged refuses root without it
        subprocess.run(munged, check=True, timeout=30)
        subprocess.run([_sbin("slurmctld"), "-f", str(self.conf)], check=True, timeout=30, env=self.env)
        subprocess.run([_sbin("slurmd"), "-f", str(self.conf)], check=True, timeout=30, env=self.env)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = subprocess.run(
                ["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=self.env, timeout=30
            ).stdout.strip()
            if state == "idle":
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(
            f"the SLURM node did not become idle in {timeout_s} s (logs in {self.root / 'log'})"
        )

    def stop(self) -> None:
        """Cancel every job, stop the daemons and remove their pid files."""
        subprocess.run(
            ["scancel", "--full", "--user", str(os.getuid())], env=self.env, capture_output=True, timeout=30
        )
        for daemon in DAEMONS:
            pid_file = self.root / f"{daemon}.pid"
            if not pid_file.exists():
                continue
            try:
                pid = int(pid_file.read_text().strip())
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.1)
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
            pid_file.unlink(missing_ok=True)
        if self.conf.exists():
            self.restore_system_copy()

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller still knows (running, or finished within MinJobAge): id,
        state, comment (the executor writes the rule there), GPUs asked for, CPUs."""
        fields = ("id", "state", "comment", "tres_per_job", "cpus")
        out = subprocess.run(
            [
                "squeue",
                "-h",
                "--states=all",
                "-O",
                "JobID:20,State:20,Comment:300,tres-per-job:60,NumCPUs:10",
            ],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
            check=True,
        ).stdout
        return [dict(zip(fields, line.split(), strict=True)) for line in out.splitlines()]


if __name__ == "__main__":  # pragma: no cover - manual use
    action, directory = sys.argv[1], sys.argv[2]
    cluster = LocalSlurm(directory)
    if action == "start":
        cluster.start()
        print(f"export SLURM_CONF={cluster.conf}")
    else:
        cluster.stop()
