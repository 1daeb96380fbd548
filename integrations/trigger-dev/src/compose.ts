/**
 * The bodies of the compose tasks, as plain functions of their dependencies.
 *
 * `composeWithCallback` submits with a waitpoint token's URL as callback_url and
 * suspends on the token; `composeWithPolling` checks the job every >= 60 s. Both
 * mirror the job into run metadata and end in `finish`, which turns a failed or
 * cancelled job into AbortTaskRunError (a retry would render the same failure).
 */
import { AbortTaskRunError } from "@trigger.dev/sdk";

import {
  ClipstitchClient,
  ClipstitchHttpError,
  type CompositionRequest,
  type Job,
  type JobStatus,
  isFinished,
} from "./client.js";
import type { ComposeVideoPayload } from "./spec.js";

/** Shorter waits do not suspend the run: it would hold a concurrency slot. */
export const MIN_POLL_SECONDS = 60;
/** clipstitch's default per-job deadline (CLIPSTITCH_JOB_DEADLINE_SECONDS). */
export const DEFAULT_DEADLINE_SECONDS = 3600;
/** Time after the deadline for the callback's retries to get through. */
export const CALLBACK_GRACE_SECONDS = 15 * 60;
export const METADATA_KEY = "clipstitch";

export type TokenResult<T> = { ok: true; output: T } | { ok: false; error: Error };

/** The parts of Trigger.dev's `wait` the bodies use. */
export interface WaitDriver {
  createToken(options: {
    timeout: string;
    idempotencyKey: string;
    tags?: string[];
  }): Promise<{ id: string; url: string }>;
  forToken(token: { id: string }): Promise<TokenResult<unknown>>;
  forSeconds(seconds: number): Promise<void>;
}

/** The part of Trigger.dev's `metadata` the bodies use. */
export interface MetadataSink {
  set(key: string, value: { [key: string]: string | number | null }): unknown;
}

export interface ComposeDeps {
  client: ClipstitchClient;
  wait: WaitDriver;
  metadata: MetadataSink;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  pollSeconds?: number;
}

/** What the tasks return. */
export interface ComposeVideoResult {
  jobId: string;
  status: "succeeded";
  outputUrl: string;
  bytes: number;
  duration: number | null;
  warnings: string[];
}

/** Submit with a waitpoint token as callback, suspend on it, poll if it times out. */
export async function composeWithCallback(
  payload: ComposeVideoPayload,
  runId: string,
  deps: ComposeDeps,
): Promise<ComposeVideoResult> {
  const key = idempotencyKeyFor(runId);
  const token = await deps.wait.createToken({
    timeout: tokenTimeout(payload.deadline_seconds),
    idempotencyKey: `${key}:callback`,
    tags: [`run:${runId}`],
  });
  const request = { ...toRequest(payload), callback_url: token.url };
  let job = await call(() => deps.client.submit(request, key));
  mirror(deps, job);

  if (!isFinished(job)) job = await waitForCallback(deps, token, job.id);
  return finish(deps, job);
}

/** Submit without a callback and check the job every >= 60 s until it ends. */
export async function composeWithPolling(
  payload: ComposeVideoPayload,
  runId: string,
  deps: ComposeDeps,
): Promise<ComposeVideoResult> {
  const key = idempotencyKeyFor(runId);
  const job = await call(() => deps.client.submit(toRequest(payload), key));
  mirror(deps, job);
  return finish(deps, await pollUntilDone(deps, job.id));
}

/** Stable across the attempts of one run, different for every run (and replay). */
export function idempotencyKeyFor(runId: string): string {
  return `trigger.dev:${runId}`;
}

/** The token outlives the job's deadline by the callback's grace period. */
export function tokenTimeout(deadlineSeconds: number | undefined): string {
  const seconds = (deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS) + CALLBACK_GRACE_SECONDS;
  return `${Math.ceil(seconds / 60)}m`;
}

export function toRequest(payload: ComposeVideoPayload): CompositionRequest {
  const request: CompositionRequest = { clips: payload.clips };
  if (payload.output) request.output = payload.output;
  if (payload.on_bad_clip) request.on_bad_clip = payload.on_bad_clip;
  if (payload.metadata) request.metadata = payload.metadata;
  if (payload.deadline_seconds) request.deadline_seconds = payload.deadline_seconds;
  return request;
}

async function waitForCallback(
  deps: ComposeDeps,
  token: { id: string },
  jobId: string,
): Promise<Job> {
  deps.log?.("waiting for the clipstitch callback", { jobId });
  const result = await deps.wait.forToken(token);
  if (result.ok) return fromCallback(deps, jobId, result.output);
  deps.log?.("callback token timed out; polling", { jobId, error: result.error.message });
  return pollUntilDone(deps, jobId);
}

async function pollUntilDone(deps: ComposeDeps, jobId: string): Promise<Job> {
  const seconds = Math.max(MIN_POLL_SECONDS, deps.pollSeconds ?? MIN_POLL_SECONDS);
  for (;;) {
    const job = await call(() => deps.client.get(jobId));
    mirror(deps, job);
    if (isFinished(job)) return job;
    await deps.wait.forSeconds(seconds);
  }
}

/** The callback body is the final job; read it again if it is not usable. */
async function fromCallback(deps: ComposeDeps, jobId: string, output: unknown): Promise<Job> {
  if (isJob(output) && output.id === jobId && isFinished(output)) return output;
  deps.log?.("callback body is not the finished job; reading it", { jobId });
  return call(() => deps.client.get(jobId));
}

function finish(deps: ComposeDeps, job: Job): ComposeVideoResult {
  mirror(deps, job);
  if (job.status === "succeeded" && job.output) {
    return {
      jobId: job.id,
      status: "succeeded",
      outputUrl: deps.client.outputUrl(job) ?? job.output.url,
      bytes: job.output.bytes,
      duration: job.output.duration ?? null,
      warnings: job.warnings,
    };
  }
  throw new AbortTaskRunError(describeEnd(job));
}

function describeEnd(job: Job): string {
  if (job.status === "cancelled") return `clipstitch job ${job.id} was cancelled`;
  const error = job.error;
  if (!error) return `clipstitch job ${job.id} ended ${job.status} without output`;
  const clip =
    error.clip_index !== undefined && error.clip_index !== null
      ? ` (clip ${error.clip_index}${error.source ? `: ${error.source}` : ""})`
      : "";
  return `clipstitch job ${job.id} failed${clip}: ${error.message}`;
}

/** Permanent HTTP errors abort the run; network errors and 5xx let it retry. */
async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof ClipstitchHttpError && error.permanent) {
      throw new AbortTaskRunError(error.message);
    }
    throw error;
  }
}

function mirror(deps: ComposeDeps, job: Job): void {
  deps.metadata.set(METADATA_KEY, {
    jobId: job.id,
    status: job.status satisfies JobStatus,
    outputUrl: deps.client.outputUrl(job) ?? null,
  });
}

function isJob(value: unknown): value is Job {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { id?: unknown }).id === "string" &&
    typeof (value as { status?: unknown }).status === "string"
  );
}
