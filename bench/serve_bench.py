"""`assistant serve` under load, on loopback: warm answer latency with the embedded model, 4 clients against one
service, and the service's memory over 1,000 questions.

    .venv/bin/python bench/serve_bench.py                 # everything (about 10 minutes on 2 cores)
    .venv/bin/python bench/serve_bench.py --skip-embedded # only the scripted-model parts (load, memory)

1. Embedded model (SmolLM2), one client: every gold question on the seeds, asked once each after one warm-up
   question. Reports p50/p95 of the request's wall time, and of the time beyond the model's own draft (the wall
   time less the answer's `timings_ms.generate`): retrieval, verification, HTTP and JSON. Then a short run of 4
   clients with the embedded model (`--embedded-load` questions each).
2. Scripted model (a small OpenAI-compatible server on a thread here, streaming back each prompt's first source,
   as bench/load_test.py does): 4 clients x 100 questions against one service whose waiting room is smaller than
   the clients (ASSISTANT_SERVE_QUEUE=1), so that 429s happen: each is counted and retried after its Retry-After.
   Every answer is checked (each sentence cited, every quote equal to its file's text at the stored offsets, the
   same question answered the same way every time): lost = no answer after retries, corrupt = a check failed.
3. Memory: the service's resident set size after 10 questions and after 1,000 (the same service, scripted model).

Each service runs as its own `assistant serve` process with its data in a temporary folder (--home to reuse one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
ASSISTANT = str(Path(sys.executable).with_name("assistant"))
SEEDS = ROOT / "assistant" / "data" / "seeds"
GOLD = ROOT / "assistant" / "data" / "gold.jsonl"
TOKEN = "bench-token"


def gold_questions() -> list[str]:
    return [json.loads(line)["question"] for line in GOLD.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)] if ordered else float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def service(home: Path, env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """(URL, pid) of an `assistant serve` on a free port, once /health says ready; stopped at the end."""
    import httpx

    port = free_port()
    full_env = {**os.environ, "ASSISTANT_HOME": str(home), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                "ASSISTANT_API_TOKEN": TOKEN, "NO_PROXY": "127.0.0.1", **env}
    with log.open("ab") as out:
        process = subprocess.Popen([ASSISTANT, "serve", "--port", str(port)], env=full_env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the service stopped: see {log}")
            try:
                if httpx.get(f"{url}/health", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        print(f"  service ready in {time.perf_counter() - started:.1f} s (pid {process.pid})", flush=True)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


class Client:
    """One client's questions: 429s counted and retried after the Retry-After the service sends."""

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300,
                                 trust_env=False)
        self.busy = 0

    def ask(self, question: str, retries: int = 50) -> tuple[dict[str, Any] | None, float, str]:
        """(answer or None, seconds from the first attempt, error)."""
        started = time.perf_counter()
        for _ in range(retries):
            response = self.http.post("/v1/ask", json={"question": question})
            if response.status_code == 429:
                self.busy += 1
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code != 200:
                return None, time.perf_counter() - started, f"{response.status_code}: {response.text[:200]}"
            return response.json(), time.perf_counter() - started, ""
        return None, time.perf_counter() - started, "still 429 after every retry"


def run_clients(url: str, clients: int, per_client: int, questions: list[str]) -> dict[str, Any]:
    """`clients` threads asking `per_client` questions each (cycling through `questions`); every answer checked
    as the load test checks it."""
    from load_test import check_answer

    results: list[tuple[str, dict[str, Any] | None, float, str]] = []
    lock = threading.Lock()
    busy: list[int] = []

    def work(offset: int) -> None:
        client = Client(url)
        for i in range(per_client):
            question = questions[(offset + i * clients) % len(questions)]
            answer, seconds, error = client.ask(question)
            with lock:
                results.append((question, answer, seconds, error))
        busy.append(client.busy)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    texts: dict[str, str] = {}
    corrupt = [q for q, a, _, e in results if a is not None and check_answer(a, texts)]
    lost = [(q, e) for q, a, _, e in results if a is None]
    by_question: dict[str, set[str]] = {}
    for q, a, _, _ in results:
        if a is not None:
            by_question.setdefault(q, set()).add(a["answer"])
    latencies = [s for _, a, s, _ in results if a is not None]
    for q, e in lost[:3]:
        print(f"    lost {q!r}: {e}", file=sys.stderr)
    return {"asked": len(results), "answered": len(latencies), "lost": len(lost), "corrupt": len(corrupt),
            "inconsistent": sum(1 for a in by_question.values() if len(a) > 1), "429s_retried": sum(busy),
            "p50_s": statistics.median(latencies) if latencies else None, "p95_s": percentile(latencies, 0.95),
            "wall_s": wall, "per_s": len(latencies) / wall}


def embedded(home: Path, logs: Path, load_questions: int) -> dict[str, Any]:
    print("embedded model (SmolLM2), one client, every gold question:", flush=True)
    with service(home, {}, logs / "embedded.log") as (url, pid):
        client = Client(url)
        client.ask("How many guards were injured?")  # warm-up: the prompt cache, first allocations
        walls, beyond, generate = [], [], []
        for question in gold_questions():
            answer, seconds, error = client.ask(question)
            if answer is None:
                raise SystemExit(f"failed: {question}: {error}")
            walls.append(seconds)
            generate.append(answer["timings_ms"].get("generate", 0.0) / 1000)
            beyond.append(seconds - generate[-1])
        figures: dict[str, Any] = {
            "questions": len(walls), "p50_s": statistics.median(walls), "p95_s": percentile(walls, 0.95),
            "draft_p50_s": statistics.median(generate), "beyond_draft_p50_s": statistics.median(beyond),
            "beyond_draft_p95_s": percentile(beyond, 0.95), "rss_mb": rss_mb(pid)}
        print(f"  wall p50 {figures['p50_s']:.2f} s, p95 {figures['p95_s']:.2f} s; model draft p50 "
              f"{figures['draft_p50_s']:.2f} s; beyond the draft p50 {figures['beyond_draft_p50_s']:.3f} s, p95 "
              f"{figures['beyond_draft_p95_s']:.3f} s; RSS {figures['rss_mb']:.0f} MB", flush=True)
        if load_questions:
            print(f"embedded model, 4 clients x {load_questions} questions:", flush=True)
            figures["load"] = run_clients(url, 4, load_questions, gold_questions())
            print(f"  {summary(figures['load'])}", flush=True)
    return figures


def scripted(home: Path, logs: Path, per_client: int, memory_questions: int) -> dict[str, Any]:
    from load_test import start_scripted_server

    server, _thread, base_url = start_scripted_server()
    env = {"OPENAI_BASE_URL": base_url, "ASSISTANT_MODEL": "scripted", "OPENAI_API_KEY": "not-needed",
           "ASSISTANT_SERVE_QUEUE": "1"}
    figures: dict[str, Any] = {}
    try:
        with service(home, env, logs / "scripted.log") as (url, pid):
            questions = gold_questions()
            client = Client(url)
            for question in questions[:10]:
                client.ask(question)
            figures["rss_after_10_mb"] = rss_mb(pid)
            print(f"scripted model, 4 clients x {per_client} questions (waiting room 1: 429s expected):", flush=True)
            figures["load"] = run_clients(url, 4, per_client, questions)
            print(f"  {summary(figures['load'])}", flush=True)
            done = 10 + 4 * per_client
            for i in range(max(0, memory_questions - done)):
                client.ask(questions[i % len(questions)])
            figures["rss_after_mb"] = rss_mb(pid)
            figures["memory_questions"] = max(memory_questions, done)
            growth = figures["rss_after_mb"] / figures["rss_after_10_mb"] - 1
            figures["rss_growth"] = growth
            print(f"memory: RSS {figures['rss_after_10_mb']:.0f} MB after 10 questions, "
                  f"{figures['rss_after_mb']:.0f} MB after {figures['memory_questions']} ({growth:+.1%})", flush=True)
    finally:
        server.shutdown()
        server.server_close()
    return figures


def summary(load: dict[str, Any]) -> str:
    return (f"{load['answered']}/{load['asked']} answered, lost {load['lost']}, corrupt {load['corrupt']}, "
            f"inconsistent {load['inconsistent']}, 429s retried {load['429s_retried']}; p50 {load['p50_s']:.2f} s, "
            f"p95 {load['p95_s']:.2f} s; {load['per_s']:.1f} answers/s over {load['wall_s']:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="data folder (default: a temporary one)")
    parser.add_argument("--per-client", type=int, default=100, help="questions per client, scripted model")
    parser.add_argument("--memory-questions", type=int, default=1000)
    parser.add_argument("--embedded-load", type=int, default=5, help="questions per client, embedded model (0: none)")
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="assistant-serve-bench-"))
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ASSISTANT_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    subprocess.run([ASSISTANT, "ingest", str(SEEDS)], env=env, check=True)
    figures: dict[str, Any] = {}
    try:
        if not args.skip_embedded:
            figures["embedded"] = embedded(home, logs, args.embedded_load)
        figures["scripted"] = scripted(home, logs, args.per_client, args.memory_questions)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    load = figures["scripted"]["load"]
    ok = load["lost"] == 0 and load["corrupt"] == 0 and load["inconsistent"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
