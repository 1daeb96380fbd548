/**
 * `compose-video-in-task`: render with the clipstitch CLI in the task's own
 * machine. Simpler to run (no server), but the run holds a large machine and a
 * concurrency slot for the whole render.
 */
import { mkdtemp, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { AbortTaskRunError, schemaTask } from "@trigger.dev/sdk";
import { python } from "@trigger.dev/python";

import { composeVideoPayload } from "../../src/spec.js";

export const composeVideoInTask = schemaTask({
  id: "compose-video-in-task",
  schema: composeVideoPayload,
  machine: "large-1x",
  maxDuration: 3600,
  run: async (payload, { ctx }) => {
    const folder = await mkdtemp(join(tmpdir(), "clipstitch-"));
    const spec = join(folder, "spec.json");
    const output = join(folder, `${ctx.run.id}.mp4`);
    const { metadata: _metadata, deadline_seconds: _deadline, ...composition } = payload;
    await writeFile(spec, JSON.stringify(composition));

    // Leave headroom under the machine's memory for Node and the Python process.
    const budget = `${Math.floor(ctx.machine.memory * 1024 * 0.75)}M`;
    const result = await python.run(
      ["-m", "clipstitch.cli.main", "compose", spec, "-o", output, "--max-memory", budget, "--json"],
      { throwOnError: false },
    );
    if (result.exitCode !== 0) {
      throw new AbortTaskRunError(`clipstitch compose failed: ${result.stderr.trim().slice(-2000)}`);
    }
    // Upload `output` to your storage here; this example reports its size only.
    return { path: output, bytes: (await stat(output)).size, summary: JSON.parse(result.stdout) as unknown };
  },
});
