/**
 * `trigger-compose-video-polling`: for a clipstitch server that Trigger.dev's
 * callback URL cannot reach, or that cannot reach it (no egress). Checks the job
 * every CLIPSTITCH_POLL_SECONDS (at least 60, so each wait suspends the run).
 */
import { schemaTask } from "@trigger.dev/sdk";

import { composeWithPolling } from "../compose.js";
import { composeVideoPayload } from "../spec.js";
import { composeDeps } from "./deps.js";

export const composeVideoPolling = schemaTask({
  id: "trigger-compose-video-polling",
  description: "Render a composition on a clipstitch server; poll until it ends",
  schema: composeVideoPayload,
  machine: "micro",
  maxDuration: 300,
  retry: { maxAttempts: 5, factor: 2, minTimeoutInMs: 1_000, maxTimeoutInMs: 60_000 },
  run: async (payload, { ctx }) => composeWithPolling(payload, ctx.run.id, composeDeps()),
});
