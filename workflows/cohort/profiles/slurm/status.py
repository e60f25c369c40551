#!/usr/bin/env python3
"""Snakemake --cluster-status for SLURM: prints running, success or failed for one job id.

sacct answers for finished jobs long after they left the controller, but only where the cluster runs an
accounting database (slurmdbd); scontrol answers everywhere, for jobs the controller still remembers
(MinJobAge, 300 s by default). Ask sacct first, then scontrol.
"""
import subprocess
import sys
import time

RUNNING = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD",
           "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD"}


def run(command):
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def state_from_sacct(job):
    out = run(["sacct", "--jobs", job, "--allocations", "--noheader", "--parsable2", "--format=State"])
    lines = [line.strip() for line in (out or "").splitlines() if line.strip()]
    # "CANCELLED by 0" -> CANCELLED
    return lines[0].split()[0] if lines else None


def state_from_scontrol(job):
    out = run(["scontrol", "--oneliner", "show", "job", job])
    for word in (out or "").split():
        if word.startswith("JobState="):
            return word[len("JobState="):]
    return None


def main():
    job = sys.argv[1]
    state = None
    # A job just submitted may not be visible yet to either tool: ask again for a little while.
    for delay in (0, 1, 2, 4):
        time.sleep(delay)
        state = state_from_sacct(job) or state_from_scontrol(job)
        if state:
            break
    if state is None:
        # Unknown to both: gone from the controller's memory and no accounting. Snakemake then checks the
        # job's outputs itself only on "success", so report a failure rather than guess.
        print("failed")
    elif state in RUNNING:
        print("running")
    elif state == "COMPLETED":
        print("success")
    else:
        # FAILED, OUT_OF_MEMORY, TIMEOUT, CANCELLED, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE
        print("failed")


if __name__ == "__main__":
    main()
