/**
 * A single-node SLURM cluster for tests, from Debian's `slurm-wlm` and
 * `munge`: its own munge key and socket, its own `slurm.conf` (own ports,
 * state and spool folders, all in a temporary folder), `slurmctld` and
 * `slurmd` in the foreground as children of the test. Memory is enforced
 * without cgroups: `jobacct_gather/linux` samples each job's processes every
 * second and `OverMemoryKill` kills a job above its `--mem`. No accounting
 * database: `sacct` is unavailable, `scontrol` remembers finished jobs for
 * an hour (`MinJobAge`).
 *
 * Needs root (slurmd starts jobs as their user).
 *
 * @module
 */
import { join } from "node:path";

/** The programs a cluster needs, all from Debian's `slurm-wlm` and `munge`. */
export const SLURM_PROGRAMS: readonly string[] = ["munged", "slurmctld", "slurmd", "sbatch", "scontrol"];

/** A running cluster. */
export interface SlurmCluster {
  /** The folder holding its configuration, state and logs. */
  dir: string;
  /** Environment for client commands (`sbatch`, `scontrol`, Snakemake): `SLURM_CONF`. */
  env: Record<string, string>;
  /** The node's name (this host's short name). */
  node: string;
  /** `scontrol show job` of one job as key=value pairs, or `undefined` when the controller does not know it. */
  job(id: string): Promise<Record<string, string> | undefined>;
  /** Process ids of munged, slurmctld and slurmd. */
  pids(): number[];
  /** The daemons' logs, for a failure message. */
  logs(): Promise<string>;
  /** Cancels every job, stops the daemons and removes the folder (once; later calls do nothing). */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Whether every program is on the PATH, and the process may run daemons as root. */
export async function slurmAvailable(): Promise<string | undefined> {
  for (const program of SLURM_PROGRAMS) {
    try {
      const out = await new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
        .output();
      if (!out.success) return `${program} not installed (apt-get install slurm-wlm munge)`;
    } catch {
      return "no shell";
    }
  }
  if (Deno.uid() !== 0) return "slurmd must run as root";
  return undefined;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" }).output();
  const decoder = new TextDecoder();
  if (!out.success) {
    throw new Error(`${command} ${args.join(" ")} failed (${out.code}): ${decoder.decode(out.stderr)}`);
  }
  return decoder.decode(out.stdout);
}

/**
 * Starts munged, slurmctld and slurmd, and waits until the node is idle.
 *
 * @param options The node's memory as SLURM sees it (MiB) and CPUs.
 * @returns The running cluster; dispose of it to stop everything.
 */
export async function startSlurmCluster(
  options: { memoryMb?: number; cpus?: number } = {},
): Promise<SlurmCluster> {
  const dir = await Deno.makeTempDir({ prefix: "spimfetch-slurm-" });
  const node = (await run("hostname", ["-s"])).trim();
  const children: Deno.ChildProcess[] = [];
  let mungePid: string | undefined;
  const conf = join(dir, "slurm.conf");
  const env = { SLURM_CONF: conf };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Jobs first, so that no job process outlives the test.
    await run("scancel", ["--full", "--user=root"], env).catch(() => {});
    for (const child of children.reverse()) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const done = await Promise.race([
        child.status.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
      ]);
      if (!done) {
        try {
          child.kill("SIGKILL");
        } catch {
          // Gone meanwhile.
        }
        await child.status;
      }
    }
    if (mungePid) {
      try {
        Deno.kill(Number(mungePid), "SIGTERM");
        // munged writes its seed file as it exits: wait for that before removing the folder.
        for (let i = 0; i < 100; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          Deno.kill(Number(mungePid), "SIGCONT");
        }
      } catch {
        // Gone (signalling a process that has exited throws).
      }
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  try {
    for (const sub of ["state", "spool", "log"]) await Deno.mkdir(join(dir, sub));
    const key = crypto.getRandomValues(new Uint8Array(1024));
    await Deno.writeFile(join(dir, "munge.key"), key, { mode: 0o600 });
    const socket = join(dir, "munge.socket");
    await run("munged", [
      "--force",
      `--socket=${socket}`,
      `--key-file=${join(dir, "munge.key")}`,
      `--pid-file=${join(dir, "munged.pid")}`,
      `--log-file=${join(dir, "log/munged.log")}`,
      `--seed-file=${join(dir, "munged.seed")}`,
    ]);
    mungePid = (await Deno.readTextFile(join(dir, "munged.pid"))).trim();
    const [ctldPort, dPort] = [freePort(), freePort()];
    await Deno.writeTextFile(
      conf,
      [
        `ClusterName=spimfetch-test`,
        `SlurmctldHost=${node}`,
        `SlurmUser=root`,
        `SlurmdUser=root`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${dPort}`,
        `AuthType=auth/munge`,
        `AuthInfo=socket=${socket}`,
        `CredType=cred/munge`,
        `StateSaveLocation=${join(dir, "state")}`,
        `SlurmdSpoolDir=${join(dir, "spool")}`,
        `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
        `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
        `SlurmctldLogFile=${join(dir, "log/slurmctld.log")}`,
        `SlurmdLogFile=${join(dir, "log/slurmd.log")}`,
        // No cgroups in a container: track processes through /proc, bind no tasks.
        `ProctrackType=proctrack/linuxproc`,
        `TaskPlugin=task/none`,
        `SelectType=select/cons_tres`,
        `SelectTypeParameters=CR_CPU_Memory`,
        // Memory enforced by sampling every second and killing a job above its --mem.
        `JobAcctGatherType=jobacct_gather/linux`,
        `JobAcctGatherFrequency=task=1`,
        `JobAcctGatherParams=OverMemoryKill`,
        `AccountingStorageType=accounting_storage/none`,
        `MinJobAge=3600`,
        `ReturnToService=2`,
        `MpiDefault=none`,
        `SchedulerType=sched/backfill`,
        `NodeName=${node} CPUs=${options.cpus ?? 2} RealMemory=${options.memoryMb ?? 4000} State=UNKNOWN`,
        `PartitionName=test Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
        "",
      ].join("\n"),
    );
    for (const [daemon, args] of [["slurmctld", []], ["slurmd", ["-N", node]]] as const) {
      children.push(
        new Deno.Command(daemon, { args: ["-D", "-f", conf, ...args], env, stdout: "null", stderr: "null" })
          .spawn(),
      );
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const state = await run("sinfo", ["--noheader", "--format=%t"], env).catch(() => "");
      if (state.trim() === "idle") break;
      if (Date.now() > deadline) {
        throw new Error(`the SLURM node did not become idle (sinfo: "${state.trim()}")`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    env,
    node,
    async job(id: string): Promise<Record<string, string> | undefined> {
      const text = await run("scontrol", ["--oneliner", "show", "job", id], env).catch(() => undefined);
      if (text === undefined) return undefined;
      return Object.fromEntries(
        text.trim().split(/\s+/).map((word) => {
          const at = word.indexOf("=");
          return [word.slice(0, at), word.slice(at + 1)];
        }),
      );
    },
    pids: (): number[] => [...(mungePid ? [Number(mungePid)] : []), ...children.map((c) => c.pid)],
    async logs(): Promise<string> {
      const parts: string[] = [];
      for (const name of ["slurmctld.log", "slurmd.log"]) {
        parts.push(await Deno.readTextFile(join(dir, "log", name)).catch(() => `(no ${name})`));
      }
      return parts.join("\n");
    },
    [Symbol.asyncDispose]: stop,
  };
}
