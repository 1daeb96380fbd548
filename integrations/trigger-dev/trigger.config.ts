/**
 * Example Trigger.dev config for the compose tasks: they only call clipstitch's
 * HTTP API, so the smallest machine is enough.
 */
import { defineConfig } from "@trigger.dev/sdk";

export default defineConfig({
  // Your project ref, from the Trigger.dev dashboard (Project settings).
  project: process.env.TRIGGER_PROJECT_REF ?? "proj_replace_with_your_ref",
  runtime: "node",
  dirs: ["./src/tasks"],
  machine: "micro",
  // Compute time, not wall time: runs suspended on a token or a wait do not count.
  maxDuration: 300,
  retries: {
    enabledInDev: false,
    default: { maxAttempts: 5, factor: 2, minTimeoutInMs: 1_000, maxTimeoutInMs: 60_000 },
  },
});
