/**
 * `trigger-compose-video`: compose through clipstitch and wait without holding a
 * slot. The run suspends on a waitpoint token whose URL clipstitch POSTs the final
 * job to; if the token times out, it polls every >= 60 s instead.
 */
import { schemaTask } from "@trigger.dev/sdk";

import { composeWithCallback } from "../compose.js";
import { composeVideoPayload } from "../spec.js";
import { composeDeps } from "./deps.js";

export const composeVideo = schemaTask({
  id: "trigger-compose-video",
  description: "Render a composition on a clipstitch server; wait for its callback",
  schema: composeVideoPayload,
  // The task only makes a few HTTP calls: the rendering runs in clipstitch.
  machine: "micro",
  // Compute time only: a suspended wait does not count.
  maxDuration: 300,
  retry: { maxAttempts: 5, factor: 2, minTimeoutInMs: 1_000, maxTimeoutInMs: 60_000 },
  run: async (payload, { ctx }) => composeWithCallback(payload, ctx.run.id, composeDeps()),
});
