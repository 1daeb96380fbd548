/** The client against a real clipstitch server on 127.0.0.1, with real clips. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import {
  ClipstitchClient,
  ClipstitchHttpError,
  ClipstitchNetworkError,
  ClipstitchTimeoutError,
  type Job,
} from "../src/client.js";
import {
  API_KEY,
  CallbackReceiver,
  type Clips,
  ClipstitchServer,
  SLOW_OUTPUT,
  SMALL_OUTPUT,
  freePort,
  makeClips,
  probe,
} from "./support/server.js";

const FAST_POLL = { intervalMs: 100, timeoutMs: 120_000 };

describe("ClipstitchClient against clipstitch serve", () => {
  let clips: Clips;
  let server: ClipstitchServer;
  let client: ClipstitchClient;

  before(async () => {
    clips = makeClips();
    server = await ClipstitchServer.start(clips);
    client = new ClipstitchClient({ baseUrl: server.url, apiKey: API_KEY });
  });

  after(async () => {
    await server?.stop();
  });

  it("submits, resubmits idempotently and polls to success", async () => {
    const request = { clips: [clips.first, { source: clips.second }], output: SMALL_OUTPUT };
    const job = await client.submit(request, "client-test-success");
    assert.match(job.status, /^(queued|running)$/);

    const again = await client.submit(request, "client-test-success");
    assert.equal(again.id, job.id);

    const seen: string[] = [];
    const done = await client.waitUntilDone(job.id, { ...FAST_POLL, onPoll: (j) => seen.push(j.status) });
    assert.equal(done.status, "succeeded", JSON.stringify(done.error));
    assert.equal(seen.at(-1), "succeeded");
    assert.ok(done.output && done.output.bytes > 0);
    assert.equal(client.outputUrl(done), `${server.url}/v1/compositions/${job.id}/output`);

    const resubmitted = await client.submit(request, "client-test-success");
    assert.equal(resubmitted.id, job.id);
    assert.equal(resubmitted.status, "succeeded");

    const file = join(tmpdir(), `clipstitch-trigger-${job.id}.mp4`);
    const response = await fetch(client.outputUrl(done)!, {
      headers: { Authorization: `Bearer ${API_KEY}` },
    });
    assert.equal(response.status, 200);
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const media = probe(file);
    assert.equal(media.width, 320);
    assert.equal(media.height, 240);
    assert.ok(Math.abs(media.duration - 2) < 0.2, `duration ${media.duration}`);
  });

  it("reports a failing composition with the clip that caused it", async () => {
    const job = await client.submit({ clips: [clips.first, clips.audioOnly], output: SMALL_OUTPUT });
    const done = await client.waitUntilDone(job.id, FAST_POLL);
    assert.equal(done.status, "failed");
    assert.equal(done.error?.clip_index, 1);
    assert.ok(done.error?.message, "the error says why");
    assert.equal(done.output ?? null, null);
  });

  it("cancels a running job", async () => {
    const job = await client.submit({ clips: [clips.long, clips.long], output: SLOW_OUTPUT });
    const cancelled = await client.cancel(job.id);
    assert.equal(cancelled.id, job.id);
    const done = await client.waitUntilDone(job.id, FAST_POLL);
    assert.equal(done.status, "cancelled");
  });

  it("delivers the final job to a Trigger.dev-like callback receiver", async () => {
    const receiver = await CallbackReceiver.start();
    try {
      const tokenId = "waitpoint_client_test";
      const job = await client.submit({
        clips: [clips.first],
        output: SMALL_OUTPUT,
        callback_url: receiver.tokenUrl(tokenId),
        metadata: { order: "A-1" },
      });
      const body = (await withTimeout(receiver.completion(tokenId), 60_000)) as Job;
      assert.equal(body.id, job.id);
      assert.equal(body.status, "succeeded");
      assert.deepEqual(body.metadata, { order: "A-1" });
      assert.deepEqual(receiver.refusals, []);

      const delivery = receiver.deliveries[0]!;
      assert.ok(Number(delivery.headers["content-length"]) > 0, "sent with Content-Length");
      assert.equal(delivery.headers["transfer-encoding"], undefined);
      assert.equal(delivery.headers["idempotency-key"], job.id);

      // A repeat (clipstitch delivers at least once) is accepted and changes nothing.
      const repeat = await fetch(receiver.tokenUrl(tokenId), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...body, status: "failed" }),
      });
      assert.equal(repeat.status, 200);
      assert.equal(((await receiver.completion(tokenId)) as Job).status, "succeeded");

      const after = await client.waitUntilDone(job.id, FAST_POLL);
      assert.equal(after.callback?.status, "delivered");
    } finally {
      await receiver.close();
    }
  });

  it("the receiver refuses what Trigger.dev refuses", async () => {
    const receiver = await CallbackReceiver.start();
    try {
      const url = receiver.tokenUrl("waitpoint_refusals");
      const chunked = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("{}"));
          controller.close();
        },
      });
      const noLength = await fetch(url, { method: "POST", body: chunked, duplex: "half" } as RequestInit);
      assert.equal(noLength.status, 411);
      const large = await fetch(url, { method: "POST", body: "x".repeat(CallbackReceiver.MAX_BYTES + 1) });
      assert.equal(large.status, 413);
      assert.equal(receiver.isCompleted("waitpoint_refusals"), false);
    } finally {
      await receiver.close();
    }
  });

  it("turns error answers into errors that carry status and body", async () => {
    const missing = await client.get("no-such-job").catch((error: unknown) => error);
    assert.ok(missing instanceof ClipstitchHttpError);
    assert.equal(missing.status, 404);
    assert.equal(missing.permanent, true);
    assert.ok(typeof (missing.body as { detail?: unknown }).detail === "string");

    const wrongKey = new ClipstitchClient({ baseUrl: server.url, apiKey: "wrong" });
    const unauthorized = await wrongKey.get("x").catch((error: unknown) => error);
    assert.ok(unauthorized instanceof ClipstitchHttpError);
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.retryable, false);

    const refused = await client.submit({ clips: ["/etc/hostname"] }).catch((error: unknown) => error);
    assert.ok(refused instanceof ClipstitchHttpError);
    assert.equal(refused.status, 422);
    assert.equal(refused.permanent, true);

    const conflict = await client
      .submit({ clips: [clips.second], output: SMALL_OUTPUT }, "client-test-success")
      .catch((error: unknown) => error);
    assert.ok(conflict instanceof ClipstitchHttpError);
    assert.equal(conflict.status, 409);
  });

  it("reports a server that does not answer as a retryable network error", async () => {
    const closed = new ClipstitchClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const error = await closed.get("x").catch((caught: unknown) => caught);
    assert.ok(error instanceof ClipstitchNetworkError);
    assert.equal(error.retryable, true);
  });
});

describe("ClipstitchClient with an injected fetch and sleep", () => {
  const running = { id: "j1", status: "running" } as Job;
  const succeeded = { id: "j1", status: "succeeded" } as Job;

  function scripted(answers: Array<[number, unknown]>) {
    const calls: string[] = [];
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(`${init?.method} ${String(input)}`);
      const [status, body] = answers.shift() ?? [500, { detail: "script ran out" }];
      return new Response(JSON.stringify(body), { status });
    };
    const sleeps: number[] = [];
    const sleep = async (milliseconds: number) => {
      sleeps.push(milliseconds);
    };
    const client = new ClipstitchClient({ baseUrl: "http://clipstitch.test/", fetch, sleep });
    return { client, calls, sleeps };
  }

  it("classifies statuses: 5xx, 408 and 429 retryable, other 4xx permanent", async () => {
    for (const [status, retryable] of [[500, true], [503, true], [408, true], [429, true], [400, false], [409, false], [422, false]] as const) {
      const { client } = scripted([[status, { detail: `status ${status}` }]]);
      const error = await client.get("j1").catch((caught: unknown) => caught);
      assert.ok(error instanceof ClipstitchHttpError);
      assert.equal(error.retryable, retryable, `HTTP ${status}`);
      assert.deepEqual(error.body, { detail: `status ${status}` });
      assert.match(error.message, new RegExp(`HTTP ${status}: status ${status}`));
    }
  });

  it("keeps polling through retryable errors, sleeping between polls", async () => {
    const { client, calls, sleeps } = scripted([[200, running], [503, { detail: "busy" }], [429, {}], [200, succeeded]]);
    const job = await client.waitUntilDone("j1", { intervalMs: 5_000 });
    assert.equal(job.status, "succeeded");
    assert.equal(calls.length, 4);
    assert.equal(calls[0], "GET http://clipstitch.test/v1/compositions/j1");
    assert.deepEqual(sleeps, [5_000, 5_000, 5_000]);
  });

  it("stops polling on a permanent error or too many retryable ones", async () => {
    const permanent = scripted([[200, running], [404, { detail: "gone" }]]);
    await assert.rejects(permanent.client.waitUntilDone("j1"), (error: unknown) => error instanceof ClipstitchHttpError && error.status === 404);

    const flaky = scripted([[502, {}], [502, {}], [502, {}]]);
    await assert.rejects(flaky.client.waitUntilDone("j1", { maxConsecutiveErrors: 2 }), ClipstitchHttpError);
    assert.equal(flaky.calls.length, 3);
  });

  it("gives up after timeoutMs with the last job seen", async () => {
    const { client } = scripted([[200, running], [200, running], [200, running]]);
    const error = await client.waitUntilDone("j1", { intervalMs: 1, timeoutMs: 0 }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ClipstitchTimeoutError);
    assert.equal(error.job.status, "running");
  });

  it("sends the API key and the Idempotency-Key", async () => {
    const seen: Headers[] = [];
    const fetch = async (_input: string | URL | Request, init?: RequestInit) => {
      seen.push(new Headers(init?.headers));
      return new Response(JSON.stringify(running), { status: 202 });
    };
    const client = new ClipstitchClient({ baseUrl: "http://clipstitch.test", apiKey: "k", fetch });
    await client.submit({ clips: ["a.mp4"] }, "run_1");
    assert.equal(seen[0]?.get("authorization"), "Bearer k");
    assert.equal(seen[0]?.get("idempotency-key"), "run_1");
    assert.equal(seen[0]?.get("content-type"), "application/json");
  });
});

function withTimeout<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no callback in ${milliseconds} ms`)), milliseconds);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
