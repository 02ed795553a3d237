"""Bounded load test on loopback: N questions from P worker processes against one persistent store.

    .venv/bin/python bench/load_test.py                      # 200 questions, 4 processes, scripted LLM server
    .venv/bin/python bench/load_test.py --llm embedded       # the same with SmolLM2 in every worker (slow)
    .venv/bin/python bench/load_test.py --chroma-url http://127.0.0.1:8000

The store (under --home, a temporary folder by default) gets the seeds plus --articles synthetic articles
first. With `--llm scripted` (default) a small OpenAI-compatible server on 127.0.0.1, started here, streams back
the first numbered source of each prompt as the answer, so the run measures retrieval, verification and the
store under concurrency rather than generation. Every answer is checked: valid, each sentence cited, each quote
equal to its file's text at the stored offsets, and the same question answered the same way by every process.
Prints throughput and latency percentiles; exits non-zero if any question failed or any answer was corrupt.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT / "evals" / "gold.jsonl"
CITIES = ["Lima", "Oslo", "Quito", "Accra", "Riga", "Hanoi", "Perth", "Sofia", "Tunis", "Dhaka"]


# The scripted model server --------------------------------------------------------------------------

def _scripted_handler() -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            prompt = "\n".join(str(m.get("content") or "") for m in payload.get("messages", []))
            first = re.search(r"^\[1\] (.+)$", prompt, re.MULTILINE)
            text = f"{first.group(1).rstrip()} [1]" if first else "I cannot tell from the sources."
            chunks = [text[i : i + 24] for i in range(0, len(text), 24)]
            if payload.get("stream"):
                body = b"".join(
                    b"data: " + json.dumps({"id": "x", "object": "chat.completion.chunk", "created": 0,
                                            "model": "scripted", "choices": [{"index": 0, "delta": {"content": c},
                                                                              "finish_reason": None}]}).encode()
                    + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
                content_type = "text/event-stream"
            else:
                body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "scripted",
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                "finish_reason": "stop"}]}).encode()
                content_type = "application/json"
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def start_scripted_server() -> tuple[ThreadingHTTPServer, threading.Thread, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _scripted_handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_address[1]}/v1"


# Corpus and questions -------------------------------------------------------------------------------

def write_corpus(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        rng = random.Random(i)
        city = rng.choice(CITIES)
        (folder / f"storm-{i:04d}.txt").write_text(
            f"Storm report {i} from {city}\n\nA storm numbered {i} hit {city} on day {rng.randint(1, 28)}. "
            f"Officials said {rng.randint(2, 900)} homes lost power in district {i}. "
            f"Repairs in {city} will take {rng.randint(2, 30)} days, the utility said.\n")


def questions(count: int, articles: int) -> list[str]:
    """`count` questions: the gold set's, and ones about the synthetic articles, cycled in a fixed order."""
    pool = [json.loads(line)["question"] for line in GOLD.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")] if GOLD.exists() else []
    rng = random.Random(0)
    pool += [f"How many homes lost power in district {rng.randrange(max(articles, 1))}?" for _ in range(20)]
    pool.append("How many guards were injured?")
    return [pool[i % len(pool)] for i in range(count)]


# Workers --------------------------------------------------------------------------------------------

def check_answer(answer: dict[str, Any], texts: dict[str, str]) -> str:
    """'' when the answer is sound, else what is wrong with it."""
    numbers = {c["n"] for c in answer["citations"]}
    if not answer["abstained"] and not answer["sentences"]:
        return "an answer without sentences"
    for sentence in answer["sentences"]:
        if not sentence["citations"] or not set(sentence["citations"]) <= numbers:
            return f"sentence with bad citations: {sentence}"
    for c in answer["citations"]:
        if c["source"] not in texts:
            texts[c["source"]] = Path(c["source"]).read_bytes().decode("utf-8-sig")  # a BOM is not text
        if texts[c["source"]][c["start"] : c["end"]] != c["quote"]:
            return f"quote does not match {c['source']} at {c['start']}-{c['end']}"
    return ""


def worker(batch: list[tuple[int, str]], env: dict[str, str], deadline: float) -> list[dict[str, Any]]:
    """Open one session, answer each question until `deadline` (epoch seconds), and time it; errors are
    recorded, not raised."""
    os.environ.update(env)
    from assistant.answer import open_session
    from assistant.config import load_settings

    settings = load_settings()
    engine = open_session(settings).engine()
    texts: dict[str, str] = {}
    results = []
    for index, question in batch:
        if time.time() > deadline:
            results.append({"i": index, "q": question, "ms": 0.0, "late": True, "pid": os.getpid()})
            continue
        started = time.perf_counter()
        try:
            answer = engine.ask(question).to_json()
            problem = check_answer(answer, texts)
            results.append({"i": index, "q": question, "ms": (time.perf_counter() - started) * 1000,
                            "abstained": answer["abstained"], "answer": answer["answer"], "problem": problem,
                            "pid": os.getpid()})
        except Exception as exc:
            results.append({"i": index, "q": question, "ms": (time.perf_counter() - started) * 1000,
                            "error": f"{type(exc).__name__}: {exc}", "pid": os.getpid()})
    return results


# Main -----------------------------------------------------------------------------------------------

def prepare(env: dict[str, str], corpus: Path, articles: int) -> None:
    """Ingest the seeds and the synthetic corpus (unchanged files are skipped on later runs)."""
    os.environ.update(env)
    from assistant.answer import open_session
    from assistant.config import load_settings
    from assistant.corpus import ingest_paths

    write_corpus(corpus, articles)
    session = open_session(load_settings())
    started = time.perf_counter()
    report = ingest_paths([SEEDS, corpus], session.store, session.embed_model, session.settings.chunk_tokens)
    print(f"store: {report.summary()} in {time.perf_counter() - started:.1f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--articles", type=int, default=200, help="synthetic articles added to the seeds")
    parser.add_argument("--llm", choices=["scripted", "embedded"], default="scripted")
    parser.add_argument("--chroma-url", default=None)
    parser.add_argument("--home", type=Path, default=None, help="data folder (default: a temporary one)")
    parser.add_argument("--max-seconds", type=float, default=900, help="time budget: later questions are not asked")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="assistant-load-"))
    env = {"ASSISTANT_HOME": str(home), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    if args.chroma_url:
        env["CHROMA_URL"] = args.chroma_url
    server = None
    if args.llm == "scripted":
        server, _thread, base_url = start_scripted_server()
        env.update({"OPENAI_BASE_URL": base_url, "ASSISTANT_MODEL": "scripted", "OPENAI_API_KEY": "not-needed"})
    try:
        prepare(env, home / "corpus", args.articles)
        todo = list(enumerate(questions(args.questions, args.articles)))
        batches = [todo[p :: args.processes] for p in range(args.processes)]
        print(f"{len(todo)} questions, {args.processes} processes, llm={args.llm}, "
              f"store={args.chroma_url or home / 'chroma'}", flush=True)
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=args.processes, mp_context=get_context("spawn")) as pool:
            deadlines = [time.time() + args.max_seconds] * len(batches)
            results = [r for batch in pool.map(worker, batches, [env] * len(batches), deadlines) for r in batch]
        wall = time.perf_counter() - started
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    return report(results, wall, args.questions)


def report(results: list[dict[str, Any]], wall: float, expected: int) -> int:
    late = [r for r in results if r.get("late")]
    results = [r for r in results if not r.get("late")]
    errors = [r for r in results if "error" in r]
    corrupt = [r for r in results if r.get("problem")]
    by_question: dict[str, set[str]] = {}
    for r in results:
        if "answer" in r:
            by_question.setdefault(r["q"], set()).add(r["answer"])
    inconsistent = {q: a for q, a in by_question.items() if len(a) > 1}
    latencies = sorted(r["ms"] for r in results if "error" not in r)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)] if latencies else float("nan")
    answered = len(results) - len(errors)
    print(f"answered {answered}/{expected} ({sum(1 for r in results if r.get('abstained'))} abstentions), "
          f"errors {len(errors)}, corrupt {len(corrupt)}, questions answered differently by processes "
          f"{len(inconsistent)}" + (f", not asked within the time budget {len(late)}" if late else ""))
    print(f"wall {wall:.1f} s, throughput {answered / wall:.2f} questions/s")
    if latencies:
        print(f"latency ms: p50 {statistics.median(latencies):.0f}, p95 {p95:.0f}, max {latencies[-1]:.0f} "
              "(per answer, inside a warm worker; the first answer of each worker includes model loading)")
    for r in (errors + corrupt)[:5]:
        print(f"  problem with {r['q']!r}: {r.get('error') or r.get('problem')}", file=sys.stderr)
    for q, answers in list(inconsistent.items())[:3]:
        print(f"  {q!r} answered {len(answers)} ways", file=sys.stderr)
    return 0 if answered == expected and not corrupt and not inconsistent else 1


if __name__ == "__main__":
    sys.exit(main())
