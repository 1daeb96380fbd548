/**
 * The compose tasks run as registered with Trigger.dev, inside the SDK's mock task
 * context (real `metadata` and `locals`), with `wait.*` injected and a real
 * clipstitch server doing the work.
 */
import "./support/catalog.js";

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { resourceCatalog } from "@trigger.dev/core/v3";
import { runInMockTaskContext } from "@trigger.dev/core/v3/test";
import { AbortTaskRunError, metadata } from "@trigger.dev/sdk";

import { ClipstitchClient, ClipstitchNetworkError } from "../src/client.js";
import { type ComposeDeps, MIN_POLL_SECONDS, type TokenResult, type WaitDriver } from "../src/compose.js";
import { composeVideo } from "../src/tasks/composeVideo.js";
import { composeVideoPolling } from "../src/tasks/composeVideoPolling.js";
import { composeDepsLocal } from "../src/tasks/deps.js";
import {
  API_KEY,
  CallbackReceiver,
  type Clips,
  ClipstitchServer,
  SLOW_OUTPUT,
  SMALL_OUTPUT,
  freePort,
  makeClips,
} from "./support/server.js";

/** Stands in for Trigger.dev's waitpoints: the token URL points at the receiver. */
class FakeWait implements WaitDriver {
  readonly tokens: Array<{ timeout: string; idempotencyKey: string }> = [];
  readonly waits: number[] = [];

  constructor(
    private readonly receiver: CallbackReceiver,
    private readonly tokenTimesOut = false,
  ) {}

  async createToken(options: { timeout: string; idempotencyKey: string }) {
    this.tokens.push(options);
    const id = `waitpoint_${options.idempotencyKey.replace(/[^a-zA-Z0-9]/g, "_")}`;
    return { id, url: this.receiver.tokenUrl(id) };
  }

  async forToken(token: { id: string }): Promise<TokenResult<unknown>> {
    if (this.tokenTimesOut) return { ok: false, error: new Error("Wait for token timed out") };
    return { ok: true, output: await this.receiver.completion(token.id) };
  }

  async forSeconds(seconds: number): Promise<void> {
    this.waits.push(seconds);
    // The real wait suspends the run for `seconds`; a short pause stands in for it.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type TaskId = typeof composeVideo.id | typeof composeVideoPolling.id;

/** Run a registered task's run function in the mock context with `deps` injected. */
async function runTask(taskId: TaskId, payload: unknown, runId: string, deps: ComposeDeps) {
  const task = resourceCatalog.getTask(taskId);
  assert.ok(task, `${taskId} is registered`);
  return runInMockTaskContext(
    async ({ ctx, locals }) => {
      locals.set(composeDepsLocal, deps);
      const parsed = await task.fns.parsePayload!(payload);
      try {
        const output = await task.fns.run(parsed, { ctx, signal: new AbortController().signal });
        return { output, error: undefined, metadata: metadata.current() };
      } catch (error) {
        return { output: undefined, error, metadata: metadata.current() };
      }
    },
    { ctx: { run: { id: runId }, task: { id: taskId } } },
  );
}

describe("compose tasks in the mock task context", () => {
  let clips: Clips;
  let server: ClipstitchServer;
  let receiver: CallbackReceiver;
  let client: ClipstitchClient;

  before(async () => {
    clips = makeClips();
    server = await ClipstitchServer.start(clips);
    receiver = await CallbackReceiver.start();
    client = new ClipstitchClient({ baseUrl: server.url, apiKey: API_KEY });
  });

  after(async () => {
    await receiver?.close();
    await server?.stop();
  });

  function deps(wait: WaitDriver, overrides: Partial<ComposeDeps> = {}): ComposeDeps {
    return { client, wait, metadata, ...overrides };
  }

  it("is a micro machine task with the payload schema", () => {
    const task = resourceCatalog.getTask(composeVideo.id);
    assert.equal(task?.machine?.preset, "micro");
    assert.equal(resourceCatalog.getTask(composeVideoPolling.id)?.machine?.preset, "micro");
  });

  it("waits on the token, which clipstitch's callback completes", async () => {
    const wait = new FakeWait(receiver);
    const payload = { clips: [clips.first, clips.second], output: SMALL_OUTPUT, deadline_seconds: 600 };
    const run = await runTask(composeVideo.id, payload, "run_callback", deps(wait));

    assert.equal(run.error, undefined, String(run.error));
    const output = run.output as { jobId: string; status: string; outputUrl: string; bytes: number };
    assert.equal(output.status, "succeeded");
    assert.ok(output.bytes > 0);
    assert.equal(output.outputUrl, `${server.url}/v1/compositions/${output.jobId}/output`);
    assert.deepEqual(run.metadata?.clipstitch, { jobId: output.jobId, status: "succeeded", outputUrl: output.outputUrl });
    // Token timeout: the job's deadline (10 min) plus 15 min for the callback.
    assert.deepEqual(wait.tokens, [{ timeout: "25m", idempotencyKey: "trigger.dev:run_callback:callback", tags: ["run:run_callback"] }]);
    assert.deepEqual(wait.waits, [], "no polling while the callback works");

    // A retry of the same run submits with the same key: the same job, no new render.
    const retry = await runTask(composeVideo.id, payload, "run_callback", deps(wait));
    assert.equal((retry.output as { jobId: string }).jobId, output.jobId);
    const job = await client.get(output.jobId);
    assert.equal(job.callback?.status, "delivered");
  });

  it("falls back to polling every >= 60 s when the token times out", async () => {
    const wait = new FakeWait(receiver, true);
    const payload = { clips: [clips.first], output: SMALL_OUTPUT };
    const run = await runTask(composeVideo.id, payload, "run_token_timeout", deps(wait, { pollSeconds: 5 }));

    assert.equal(run.error, undefined, String(run.error));
    assert.equal((run.output as { status: string }).status, "succeeded");
    assert.equal(wait.tokens[0]?.timeout, "75m", "default deadline (1 h) plus 15 min");
    assert.ok(wait.waits.every((seconds) => seconds >= MIN_POLL_SECONDS), `waits ${wait.waits}`);
  });

  it("aborts, without retrying, when the composition fails", async () => {
    const wait = new FakeWait(receiver);
    const payload = { clips: [clips.first, clips.audioOnly], output: SMALL_OUTPUT };
    const run = await runTask(composeVideo.id, payload, "run_failing", deps(wait));

    assert.ok(run.error instanceof AbortTaskRunError, String(run.error));
    assert.match(run.error.message, /failed \(clip 1: .*audio-only\.m4a\)/);
    assert.equal((run.metadata?.clipstitch as { status: string }).status, "failed");
  });

  it("aborts when the job is cancelled through clipstitch's API", async () => {
    const wait = new FakeWait(receiver);
    const payload = { clips: [clips.long, clips.long], output: SLOW_OUTPUT };
    const running = runTask(composeVideo.id, payload, "run_cancelled", deps(wait));
    const jobId = await waitForJobId();
    await client.cancel(jobId);
    const run = await running;

    assert.ok(run.error instanceof AbortTaskRunError, String(run.error));
    assert.match(run.error.message, /was cancelled/);
    assert.equal((run.metadata?.clipstitch as { status: string }).status, "cancelled");
  });

  it("aborts on a permanent 4xx: the server refuses the source", async () => {
    const run = await runTask(composeVideo.id, { clips: ["/etc/hostname"] }, "run_refused", deps(new FakeWait(receiver)));
    assert.ok(run.error instanceof AbortTaskRunError, String(run.error));
    assert.match(run.error.message, /HTTP 422/);
  });

  it("lets a network error through so Trigger.dev retries the run", async () => {
    const unreachable = new ClipstitchClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const run = await runTask(composeVideo.id, { clips: [clips.first] }, "run_unreachable", deps(new FakeWait(receiver), { client: unreachable }));
    assert.ok(run.error instanceof ClipstitchNetworkError, String(run.error));
    assert.ok(!(run.error instanceof AbortTaskRunError));
  });

  it("the polling variant waits >= 60 s between checks and never makes a token", async () => {
    const wait = new FakeWait(receiver);
    const payload = { clips: [clips.second], output: SMALL_OUTPUT };
    const run = await runTask(composeVideoPolling.id, payload, "run_polling", deps(wait, { pollSeconds: 1 }));

    assert.equal(run.error, undefined, String(run.error));
    assert.equal((run.output as { status: string }).status, "succeeded");
    assert.deepEqual(wait.tokens, []);
    assert.ok(wait.waits.length >= 1 && wait.waits.every((seconds) => seconds === MIN_POLL_SECONDS), `waits ${wait.waits}`);
    const job = await client.get((run.output as { jobId: string }).jobId);
    assert.equal(job.callback ?? null, null, "no callback_url was sent");
  });

  it("rejects a malformed payload before anything is submitted", async () => {
    const parse = resourceCatalog.getTask(composeVideo.id)!.fns.parsePayload!;
    await assert.rejects(Promise.resolve(parse({ clips: [] })));
    await assert.rejects(Promise.resolve(parse({ clips: ["a.mp4"], output: { width: 321 } })));
    await assert.rejects(Promise.resolve(parse({ clips: ["a.mp4"], output: { fps: "0" } })));
    await assert.rejects(Promise.resolve(parse({ clips: [{ source: "a.mp4", start: 3, end: 2 }] })));
    await assert.rejects(Promise.resolve(parse({ clips: ["a.mp4"], extra: true })));
    const parsed = await parse({ clips: ["a.mp4", { source: "b.mov", start: 1 }], output: { fps: 25, fit: "cover" } });
    assert.deepEqual(parsed, { clips: ["a.mp4", { source: "b.mov", start: 1 }], output: { fps: "25", fit: "cover" } });
  });

  /** The job id the running task mirrored into run metadata while it waits. */
  async function waitForJobId(): Promise<string> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const mirrored = metadata.current()?.clipstitch as { jobId?: string; status?: string } | undefined;
      if (mirrored?.jobId) {
        assert.match(mirrored.status ?? "", /^(queued|running)$/);
        return mirrored.jobId;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error("the task mirrored no job id into metadata");
  }
});
