/**
 * Dependencies of the compose tasks: the clipstitch client from environment
 * variables and Trigger.dev's `wait`, `metadata` and `logger`.
 *
 * Tests seed `composeDepsLocal` (Trigger.dev's locals, the SDK's way of injecting
 * dependencies into a run) to replace them; deployed runs never set it.
 */
import { locals, logger, metadata, wait } from "@trigger.dev/sdk";

import { ClipstitchClient } from "../client.js";
import type { ComposeDeps, WaitDriver } from "../compose.js";

export const composeDepsLocal = locals.create<ComposeDeps>("clipstitch.composeDeps");

/** The injected dependencies if a test set them, else the real ones. */
export function composeDeps(): ComposeDeps {
  return locals.get(composeDepsLocal) ?? sdkDeps();
}

export function sdkDeps(): ComposeDeps {
  return {
    client: clientFromEnv(),
    wait: sdkWait,
    metadata,
    log: (message, fields) => logger.info(message, fields),
    pollSeconds: numberFromEnv("CLIPSTITCH_POLL_SECONDS"),
  };
}

/** CLIPSTITCH_URL and CLIPSTITCH_API_KEY, set in the Trigger.dev environment. */
export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): ClipstitchClient {
  const baseUrl = env.CLIPSTITCH_URL;
  if (!baseUrl) throw new Error("CLIPSTITCH_URL is not set (the clipstitch server's base URL)");
  return new ClipstitchClient({ baseUrl, apiKey: env.CLIPSTITCH_API_KEY || undefined });
}

const sdkWait: WaitDriver = {
  createToken: (options) => wait.createToken(options),
  forToken: (token) => wait.forToken<unknown>(token),
  forSeconds: (seconds) => wait.for({ seconds }),
};

function numberFromEnv(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
