/**
 * A real `clipstitch serve` on 127.0.0.1 for the tests, with clips made by
 * ffmpeg's lavfi sources (320x240, 1 s) and a receiver that behaves like
 * Trigger.dev's waitpoint callback endpoint.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { type IncomingMessage, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const API_KEY = "test-key";
export const SMALL_OUTPUT = { width: 320, height: 240, fps: "30" };
/** The slower preset keeps ffmpeg busy for seconds, long enough to cancel. */
export const SLOW_OUTPUT = { ...SMALL_OUTPUT, video: { preset: "slower" as const } };

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const VENV = resolve(PACKAGE_ROOT, process.env.CLIPSTITCH_VENV ?? "../../.venv");

export interface Clips {
  folder: string;
  /** 1 s clips with video and audio. */
  first: string;
  second: string;
  /** 6 s, for a job that must still be running when cancelled. */
  long: string;
  /** Audio only: clipstitch cannot use it, so the composition fails. */
  audioOnly: string;
}

export function makeClips(): Clips {
  const folder = mkdtempSync(join(tmpdir(), "clipstitch-trigger-clips-"));
  const clips = {
    folder,
    first: join(folder, "first.mp4"),
    second: join(folder, "second.mp4"),
    long: join(folder, "long.mp4"),
    audioOnly: join(folder, "audio-only.m4a"),
  };
  ffmpeg(clips.first, 1, 440, true);
  ffmpeg(clips.second, 1, 550, true);
  ffmpeg(clips.long, 6, 330, true);
  ffmpeg(clips.audioOnly, 1, 660, false);
  return clips;
}

function ffmpeg(path: string, seconds: number, tone: number, video: boolean): void {
  const videoInput = video
    ? ["-f", "lavfi", "-i", `testsrc2=size=320x240:rate=30:duration=${seconds}`]
    : [];
  const videoCodec = video ? ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"] : [];
  const args = [
    "-v", "error", "-y",
    ...videoInput,
    "-f", "lavfi", "-i", `sine=frequency=${tone}:sample_rate=48000:duration=${seconds}`,
    ...videoCodec, "-c:a", "aac", "-shortest", path,
  ];
  const result = spawnSync("ffmpeg", args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`ffmpeg failed for ${path}: ${result.stderr}`);
}

/** Streams and duration of a media file, by ffprobe. */
export function probe(path: string): { duration: number; width?: number; height?: number } {
  const result = spawnSync(
    "ffprobe",
    ["-v", "error", "-show_entries", "format=duration:stream=codec_type,width,height", "-of", "json", path],
    { encoding: "utf8" },
  );
  const data = JSON.parse(result.stdout) as {
    format: { duration: string };
    streams: Array<{ codec_type: string; width?: number; height?: number }>;
  };
  const video = data.streams.find((stream) => stream.codec_type === "video");
  return { duration: Number(data.format.duration), width: video?.width, height: video?.height };
}

export class ClipstitchServer {
  private constructor(
    readonly url: string,
    private readonly process: ChildProcess,
    private readonly dataDir: string,
    private readonly logPath: string,
  ) {}

  /** Start `clipstitch serve` and wait until /healthz answers. */
  static async start(clips: Clips): Promise<ClipstitchServer> {
    const dataDir = mkdtempSync(join(tmpdir(), "clipstitch-trigger-data-"));
    const port = await freePort();
    const logPath = join(dataDir, "server.log");
    const log = openSync(logPath, "a");
    const child = spawn(join(VENV, "bin", "clipstitch"), ["serve", "--host", "127.0.0.1", "--port", String(port)], {
      env: {
        ...process.env,
        CLIPSTITCH_DATA_DIR: join(dataDir, "data"),
        CLIPSTITCH_API_KEYS: API_KEY,
        CLIPSTITCH_CALLBACK_SECRET: "test-callback-secret",
        CLIPSTITCH_POLL_SECONDS: "0.1",
        CLIPSTITCH_LOCAL_SOURCE_ROOTS: clips.folder,
        // The receivers of these tests listen on loopback, refused by default.
        CLIPSTITCH_OUTBOUND_ALLOW: "127.0.0.1",
        CLIPSTITCH_CALLBACK_BACKOFF_SECONDS: "0.2",
      },
      stdio: ["ignore", log, log],
    });
    const server = new ClipstitchServer(`http://127.0.0.1:${port}`, child, dataDir, logPath);
    await server.waitHealthy();
    return server;
  }

  log(): string {
    try {
      return readFileSync(this.logPath, "utf8").slice(-4000);
    } catch {
      return "";
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = once(this.process, "exit");
      this.process.kill("SIGTERM");
      const timer = setTimeout(() => this.process.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) throw new Error(`clipstitch exited:\n${this.log()}`);
      try {
        const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`clipstitch did not become healthy:\n${this.log()}`);
  }
}

export interface CallbackDelivery {
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

/**
 * Behaves like Trigger.dev's waitpoint callback endpoint: needs Content-Length
 * (411 without), refuses bodies over 3 MB (413), completes the token on the first
 * POST and answers a repeat with 200 without changing anything.
 */
export class CallbackReceiver {
  static readonly MAX_BYTES = 3 * 1024 * 1024;
  readonly deliveries: CallbackDelivery[] = [];
  readonly refusals: number[] = [];
  private readonly completed = new Map<string, unknown>();
  private readonly waiters = new Map<string, Array<(body: unknown) => void>>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<CallbackReceiver> {
    const server = createServer();
    const receiver = new CallbackReceiver(server);
    server.on("request", (request, response) => {
      void receiver.handle(request).then(([status, body]) => {
        response.writeHead(status, { "Content-Type": "application/json" });
        response.end(JSON.stringify(body));
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A URL shaped like a waitpoint token's: the path is the credential. */
  tokenUrl(tokenId: string): string {
    return `${this.url}/api/v1/waitpoints/tokens/${tokenId}/callback/0123456789abcdef`;
  }

  /** The body of the first POST for the token (what wait.forToken returns). */
  completion(tokenId: string): Promise<unknown> {
    if (this.completed.has(tokenId)) return Promise.resolve(this.completed.get(tokenId));
    return new Promise((resolve) => {
      this.waiters.set(tokenId, [...(this.waiters.get(tokenId) ?? []), resolve]);
    });
  }

  isCompleted(tokenId: string): boolean {
    return this.completed.has(tokenId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(request: IncomingMessage): Promise<[number, unknown]> {
    const match = /^\/api\/v1\/waitpoints\/tokens\/([^/]+)\/callback\/[^/]+$/.exec(request.url ?? "");
    if (request.method !== "POST" || !match?.[1]) return this.refuse(404, request);
    const length = request.headers["content-length"];
    if (length === undefined || request.headers["transfer-encoding"]) return this.refuse(411, request);
    if (Number(length) > CallbackReceiver.MAX_BYTES) return this.refuse(413, request);

    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body: unknown = text ? JSON.parse(text) : {};
    this.deliveries.push({ path: request.url ?? "", headers: request.headers, body });

    const tokenId = match[1];
    if (!this.completed.has(tokenId)) {
      this.completed.set(tokenId, body);
      for (const resolve of this.waiters.get(tokenId) ?? []) resolve(body);
      this.waiters.delete(tokenId);
    }
    return [200, { success: true }];
  }

  private async refuse(status: number, request: IncomingMessage): Promise<[number, unknown]> {
    request.resume();
    this.refusals.push(status);
    return [status, { error: `refused with ${status}` }];
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
