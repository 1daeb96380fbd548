/**
 * A plain HTTP client for clipstitch's composition API (/v1/compositions).
 *
 * No Trigger.dev imports: `fetch` and `sleep` are injected, so the client runs and
 * is tested anywhere. Errors form one tree:
 *
 *   ClipstitchError
 *   ├── ClipstitchHttpError     the server answered with a non-2xx status
 *   ├── ClipstitchNetworkError  no answer: refused, reset, timed out
 *   └── ClipstitchTimeoutError  waitUntilDone gave up before the job finished
 *
 * `retryable` says whether trying again later can help: network errors, 5xx, 408
 * and 429 can; any other 4xx cannot (the request itself is wrong).
 */

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export const FINISHED_STATUSES: ReadonlySet<JobStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
]);

/** Why a job failed; names the clip when one clip was the cause. */
export interface JobError {
  message: string;
  reason?: string | null;
  clip_index?: number | null;
  source?: string | null;
  type?: string | null;
}

/** The published video of a succeeded job. */
export interface JobOutput {
  /** API path that streams the file or redirects to a presigned URL. */
  url: string;
  key: string;
  bytes: number;
  duration?: number | null;
}

/** How far one clip has come. */
export interface ClipState {
  index: number;
  source: string;
  status: string;
  stage?: string | null;
  progress: number;
  warnings: string[];
  error?: JobError | null;
}

/** A composition job as the API shows it (GET, submit, cancel and callbacks). */
export interface Job {
  id: string;
  status: JobStatus;
  stage?: string | null;
  progress: number;
  eta_seconds?: number | null;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  deadline_at: string;
  clips: ClipState[];
  warnings: string[];
  peak_memory_bytes: number;
  output?: JobOutput | null;
  error?: JobError | null;
  metadata: Record<string, unknown>;
  callback?: { status: string; attempts: number; error?: string | null } | null;
}

/** The body of POST /v1/compositions: the spec plus the job's settings. */
export interface CompositionRequest {
  clips: Array<string | { source: string; start?: number; end?: number }>;
  output?: Record<string, unknown>;
  on_bad_clip?: "fail" | "skip";
  callback_url?: string;
  metadata?: Record<string, unknown>;
  deadline_seconds?: number;
}

export type Fetch = typeof fetch;
export type Sleep = (milliseconds: number) => Promise<void>;

export interface ClientOptions {
  /** Base URL of the server, e.g. https://clipstitch.example.com */
  baseUrl: string;
  /** Bearer API key; omit for a server without keys. */
  apiKey?: string;
  fetch?: Fetch;
  sleep?: Sleep;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface WaitOptions {
  /** Time between polls. */
  intervalMs?: number;
  /** Give up (ClipstitchTimeoutError) after this long; default: never. */
  timeoutMs?: number;
  /** Retryable errors in a row tolerated while polling. */
  maxConsecutiveErrors?: number;
  onPoll?: (job: Job) => void;
}

export class ClipstitchError extends Error {
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.retryable = retryable;
  }
}

/** The server answered with a non-2xx status; carries the status and body. */
export class ClipstitchHttpError extends ClipstitchError {
  readonly status: number;
  readonly body: unknown;
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, status: number, body: unknown) {
    super(
      `${method} ${path}: HTTP ${status}: ${describeBody(body)}`,
      isRetryableStatus(status),
    );
    this.status = status;
    this.body = body;
    this.method = method;
    this.path = path;
  }

  /** A 4xx other than 408/429: repeating the request cannot succeed. */
  get permanent(): boolean {
    return !this.retryable;
  }
}

/** The request got no answer (connection refused or reset, timeout). */
export class ClipstitchNetworkError extends ClipstitchError {
  constructor(method: string, path: string, cause: unknown) {
    super(`${method} ${path}: ${describeCause(cause)}`, true, { cause });
  }
}

/** waitUntilDone ran out of time; the job goes on. */
export class ClipstitchTimeoutError extends ClipstitchError {
  readonly job: Job;

  constructor(job: Job, timeoutMs: number) {
    super(`job ${job.id} still ${job.status} after ${timeoutMs} ms`, true);
    this.job = job;
  }
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export function isFinished(job: Job): boolean {
  return FINISHED_STATUSES.has(job.status);
}

const defaultSleep: Sleep = (milliseconds) =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

export class ClipstitchClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetch: Fetch;
  private readonly sleep: Sleep;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? defaultSleep;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Queue a composition; the same idempotencyKey returns the same job. */
  submit(request: CompositionRequest, idempotencyKey?: string): Promise<Job> {
    const headers: Record<string, string> = {};
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    return this.request("POST", "/v1/compositions", request, headers);
  }

  get(jobId: string): Promise<Job> {
    return this.request("GET", `/v1/compositions/${encodeURIComponent(jobId)}`);
  }

  cancel(jobId: string): Promise<Job> {
    const path = `/v1/compositions/${encodeURIComponent(jobId)}/cancel`;
    return this.request("POST", path);
  }

  /** Absolute URL of a finished job's output (needs the API key to fetch). */
  outputUrl(job: Job): string | undefined {
    return job.output ? new URL(job.output.url, this.baseUrl).toString() : undefined;
  }

  /** Poll until the job finishes; tolerates a few retryable errors in a row. */
  async waitUntilDone(jobId: string, options: WaitOptions = {}): Promise<Job> {
    const interval = options.intervalMs ?? 2_000;
    const maxErrors = options.maxConsecutiveErrors ?? 5;
    const started = Date.now();
    let errors = 0;
    for (;;) {
      let job: Job | undefined;
      try {
        job = await this.get(jobId);
        errors = 0;
      } catch (error) {
        errors += 1;
        if (!(error instanceof ClipstitchError && error.retryable)) throw error;
        if (errors > maxErrors) throw error;
      }
      if (job) {
        options.onPoll?.(job);
        if (isFinished(job)) return job;
        if (options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs) {
          throw new ClipstitchTimeoutError(job, options.timeoutMs);
        }
      }
      await this.sleep(interval);
    }
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json", ...extraHeaders };
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";

    let response: Response;
    try {
      response = await this.fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ClipstitchNetworkError(method, path, error);
    }

    const parsed = await readBody(response);
    if (!response.ok) throw new ClipstitchHttpError(method, path, response.status, parsed);
    return parsed as T;
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => "");
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeBody(body: unknown): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    return typeof detail === "string" ? detail : JSON.stringify(detail);
  }
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : "";
    return `${cause.name}: ${cause.message}${inner}`;
  }
  return String(cause);
}
