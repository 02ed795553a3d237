"""`make bench`: ingestion, retrieval at 100,000 chunks, start-up and answer timings, ours vs LlamaIndex's stock
pipeline, measured side by side in one run. Prints a table of medians and ratios; writes bench/results.json.

Every step runs in its own process (bench/worker.py) so that imports, model loads and peak memory are its own.
Data lives under --work (default: $TMPDIR/assistant-bench), never in the repository; the 100,000-chunk
store is built once there (about 5 minutes on 2 cores) and reused by later runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
ASSISTANT = str(Path(PY).with_name("assistant"))
QUESTIONS = [
    "How many of the prime minister's guards were injured?",
    "What job did Al-Kadhimi hold before he became prime minister?",
    "How many Katyusha rockets landed near the U.S. embassy in Baghdad?",
    "What was Al-Kadhimi wearing when he appeared on Iraqi television?",
]


STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def run_json(args: list[str], env: dict[str, str], timeout: float = 3600, show_stderr: bool = False) -> dict[str, Any]:
    """Run a command; its last stdout line is JSON. `show_stderr` lets its stderr (progress bars) through."""
    done = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=None if show_stderr else subprocess.PIPE,
                          text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({done.returncode}):\n{(done.stderr or '')[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker(step: str, env: dict[str, str], *extra: str, timeout: float = 3600, show_stderr: bool = False
           ) -> dict[str, Any]:
    log(f"  {step} {' '.join(extra)}")
    return run_json([PY, str(ROOT / "bench" / "worker.py"), step, *extra], env, timeout, show_stderr)


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall-clock seconds of a command from process start to exit, and its stdout."""
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT, timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ASSISTANT_", "OPENAI_", "CHROMA_"))}
    env.update({"ASSISTANT_HOME": str(home), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    try:
        memory = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                          if line.startswith("MemTotal"))) // 1024 // 1024
    except (OSError, StopIteration):
        memory = 0
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory,
        "os": platform.platform(), "python": platform.python_version(),
        "versions": {p: version(p) for p in ("torch", "onnxruntime", "chromadb", "llama-index-core",
                                             "sentence-transformers", "llama_cpp_python")},
        "load_average_start": os.getloadavg()[0],
    }


def ensure_large_store(work: Path, chunks: int, onnx_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The home holding the `large` collection of `chunks` chunks, built on first use (v2: the store layout
    without Chroma documents)."""
    home = work / f"large-{chunks}-v2"
    marker = home / "build.json"
    if marker.is_file() and marker.read_text().strip():
        return home, {**json.loads(marker.read_text().strip().splitlines()[-1]), "reused": True}
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    log(f"building the {chunks:,}-chunk store once (random unit vectors + generated text, straight into Chroma)")
    built = worker("build-large", environment(home, ASSISTANT_COLLECTION="large"), "--chunks", str(chunks))
    marker.write_text(json.dumps(built))
    return home, {**built, "reused": False}


def link_onnx(home: Path, onnx_dir: Path) -> None:
    """Share one ONNX export between the bench's data folders."""
    target = home / "onnx"
    onnx_dir.mkdir(parents=True, exist_ok=True)  # on a first run: a link to nothing made the export fail
    if not target.exists():
        home.mkdir(parents=True, exist_ok=True)
        target.symlink_to(onnx_dir, target_is_directory=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=80,
                        help="synthetic articles for the ingestion comparison: ours (ONNX and torch) and stock (80)")
    parser.add_argument("--full", action="store_true",
                        help="also ingest 10,000 synthetic articles with ours (ONNX), raw embedding timed on the same "
                             "32,000 chunks before and after it, with a progress bar (about 40 minutes more)")
    parser.add_argument("--large-articles", type=int, default=10_000, help="articles of the --full ingest")
    parser.add_argument("--ingest-rounds", type=int, default=5,
                        help="ingests of the --articles corpus, raw embedding timed before, between and after (5)")
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks in the retrieval store")
    parser.add_argument("--queries", type=int, default=60, help="retrieval queries")
    parser.add_argument("--runs", type=int, default=5, help="process runs per start-up figure")
    parser.add_argument("--questions", type=int, default=2, help="questions for the in-process answer timings")
    parser.add_argument("--stock-runs", type=int, default=1, help="start-up runs of the (slow) stock pipeline")
    parser.add_argument("--no-stock", action="store_true", help="skip LlamaIndex's stock pipeline")
    parser.add_argument("--no-torch", action="store_true", help="skip the sentence-transformers (torch) figures")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "assistant-bench")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--only", default="",
                        help="run only these steps (comma-separated: startup, retrieval), print their figures as JSON "
                             "and write them to --work/partial.json (results.json and the table need every step)")
    args = parser.parse_args()
    only = {step.strip() for step in args.only.split(",") if step.strip()}
    if only - {"startup", "retrieval"}:
        parser.error(f"--only takes startup and retrieval, not {', '.join(sorted(only - {'startup', 'retrieval'}))}")
    if only:
        args.out = args.work / "partial.json"
        args.no_stock = args.no_torch = True
    articles = args.articles
    stock = not args.no_stock
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "settings": {
        "articles": articles, "large_articles": args.large_articles if args.full else None, "chunks": args.chunks,
        "queries": args.queries, "runs": args.runs}}
    started = time.perf_counter()

    # Data folder for this run; the ONNX export is kept between runs, the stores are not.
    home = work / "home"
    for name in ("chroma", "keyword"):
        shutil.rmtree(home / name, ignore_errors=True)
    onnx_dir = work / "onnx"
    link_onnx(home, onnx_dir)
    env = environment(home)

    if only:
        run_only(only, args, results, home, onnx_dir)
        return

    log("1/5 embedding model: ONNX export (once) and torch-free load")
    fresh_export = not any(onnx_dir.glob("*.onnx"))
    results["onnx"] = worker("onnx", env)
    results["onnx"]["exported_this_run"] = fresh_export

    log(f"2/5 ingestion: {articles:,} synthetic articles")
    from bench.corpus import write_corpus

    corpus = work / f"corpus-{articles}"
    write_corpus(corpus, articles)
    ingest: dict[str, Any] = {
        "ours_onnx": worker("ingest", environment(home, ASSISTANT_COLLECTION="ingest_onnx",
                                                  ASSISTANT_MINILM_BACKEND="onnx"), "--corpus", str(corpus),
                            "--rounds", str(args.ingest_rounds)),
    }
    if not args.no_torch:
        ingest["ours_torch"] = worker("ingest", environment(home, ASSISTANT_COLLECTION="ingest_torch",
                                                            ASSISTANT_MINILM_BACKEND="torch"), "--corpus", str(corpus),
                                      "--rounds", str(args.ingest_rounds))
    if stock:
        ingest["stock"] = worker("stock-ingest", env, "--corpus", str(corpus), "--collection", "stock_corpus")
    if args.full:
        large = work / f"corpus-{args.large_articles}"
        log(f"  writing {args.large_articles:,} synthetic articles under {large}")
        write_corpus(large, args.large_articles)
        ingest["large_onnx"] = worker("ingest", environment(home, ASSISTANT_COLLECTION="ingest_large",
                                                            ASSISTANT_MINILM_BACKEND="onnx"),
                                      "--corpus", str(large), timeout=6 * 3600, show_stderr=True)
    results["ingest"] = ingest
    args.out.write_text(json.dumps(results, indent=2) + "\n")  # partial results, completed at the end

    log("3/5 start-up: `assistant --help`, `assistant ask --json` on the seeds (process start to answer)")
    results["startup"] = startup(args, home, stock)
    args.out.write_text(json.dumps(results, indent=2) + "\n")

    log("4/5 answers: retrieve / generate / verify, ours and CitationQueryEngine, in one process")
    extra = [x for q in QUESTIONS[: max(1, args.questions)] for x in ("--question", q)] + (["--stock"] if stock else [])
    results["answers"] = worker("answers", env, *extra)

    log(f"5/5 retrieval at {args.chunks:,} chunks")
    results["retrieval"] = retrieval(args, work, onnx_dir, stock)
    results["machine"]["load_average_end"] = os.getloadavg()[0]
    results["bench_seconds"] = time.perf_counter() - started
    results["summary"] = summarize(results)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    log(f"wrote {args.out} ({results['bench_seconds']:.0f} s)")


def startup(args: argparse.Namespace, home: Path, stock: bool) -> dict[str, list[dict[str, Any]]]:
    """Process runs of `assistant --help` and `assistant ask --json` on the seeds: with the ONNX and torch
    embeddings, and with every compatibility patch off (`ASSISTANT_NO_COMPAT=1`: the plain path's cost)."""
    env = environment(home)
    run_json([ASSISTANT, "ingest", str(ROOT / "seeds"), "--json"], env)
    if stock:
        worker("stock-ingest", env, "--corpus", str(ROOT / "seeds"), "--collection", "stock_seeds")
    question = QUESTIONS[0]
    rows: dict[str, list[dict[str, Any]]] = {"help": [], "ask_onnx": [], "ask_no_compat": [], "ask_torch": [],
                                             "stock_ask": []}
    timed([ASSISTANT, "ask", "--json", question], env)  # warm the OS file cache and the model files
    variants = {"ask_onnx": {"ASSISTANT_MINILM_BACKEND": "onnx"},
                "ask_no_compat": {"ASSISTANT_MINILM_BACKEND": "onnx", "ASSISTANT_NO_COMPAT": "1"},
                "ask_torch": {"ASSISTANT_MINILM_BACKEND": "torch"}}
    if args.no_torch:
        del variants["ask_torch"]
    for run in range(args.runs):
        log(f"  run {run + 1}/{args.runs}")
        seconds, _ = timed([ASSISTANT, "--help"], env)
        rows["help"].append({"wall_s": seconds})
        for key, extra in variants.items():
            seconds, out = timed([ASSISTANT, "ask", "--json", question], environment(home, **extra))
            timings = json.loads(out)["timings_ms"]
            rows[key].append({"wall_s": seconds, **timings, "outside_generate_s": seconds - timings["generate"] / 1000})
        if stock and run < args.stock_runs:
            seconds, _ = timed([PY, str(ROOT / "bench" / "worker.py"), "stock-ask", "--question", question], env)
            rows["stock_ask"].append({"wall_s": seconds})
    return {k: v for k, v in rows.items() if v}


def retrieval(args: argparse.Namespace, work: Path, onnx_dir: Path, stock: bool) -> dict[str, Any]:
    """Query embedding + hybrid search at `--chunks` chunks (the store built once and reused)."""
    large, built = ensure_large_store(work, args.chunks, onnx_dir)
    link_onnx(large, onnx_dir)
    result: dict[str, Any] = {"store": built}
    # Our queries alternate with the stock retriever's in one process, and its torch embedding's OpenMP threads
    # spin after each query on the cores our next one needs: passive waiting made both faster (08:50, 2026-11-29:
    # ours p50 28.5 -> 23.6 ms, stock 44.4 -> 33.0 ms). Runs before that date measured with spinning threads.
    large_env = environment(large, ASSISTANT_COLLECTION="large", OMP_WAIT_POLICY="PASSIVE")
    result["ours_onnx"] = worker("retrieval", {**large_env, "ASSISTANT_MINILM_BACKEND": "onnx"},
                                 "--queries", str(args.queries), *(["--stock"] if stock else []))
    if not args.no_torch:
        result["ours_torch"] = worker("retrieval", {**large_env, "ASSISTANT_MINILM_BACKEND": "torch"},
                                      "--queries", str(max(10, args.queries // 3)))
    return result


def run_only(only: set[str], args: argparse.Namespace, results: dict[str, Any], home: Path, onnx_dir: Path) -> None:
    """`--only`: the chosen steps, their figures printed as JSON (medians of the start-up runs included)."""
    if "startup" in only:
        log("start-up: `assistant --help`, `assistant ask --json` on the seeds, with and without the patches")
        rows = startup(args, home, stock=False)
        results["startup"] = rows
        results["startup_medians_s"] = {k: _median(v, "wall_s") for k, v in rows.items()}
    if "retrieval" in only:
        log(f"retrieval at {args.chunks:,} chunks")
        results["retrieval"] = retrieval(args, args.work, onnx_dir, stock=False)
    results["machine"]["load_average_end"] = os.getloadavg()[0]
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: results[k] for k in ("startup_medians_s", "retrieval", "machine") if k in results}, indent=2))
    log(f"wrote {args.out}")


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows) if rows else float("nan")


def summarize(r: dict[str, Any]) -> dict[str, Any]:
    """The headline figures and ratios."""
    ing, start, ret, ans = r["ingest"], r["startup"], r["retrieval"], r["answers"]
    s: dict[str, Any] = {
        "ingest_chunks_per_s": ing["ours_onnx"]["chunks_per_s"],
        "raw_onnx_chunks_per_s": ing["ours_onnx"]["raw_chunks_per_s"],
        "ingest_vs_raw_same_backend": ing["ours_onnx"]["vs_raw"],
        "ingest_vs_raw_cpu": ing["ours_onnx"]["vs_raw_cpu"],
        "ingest_peak_rss_mb": ing["ours_onnx"]["ingest_peak_rss_mb"],
        "ingest_keyword_index_s": ing["ours_onnx"].get("keyword_index_seconds"),
        "retrieval_p50_ms": ret["ours_onnx"]["p50_ms"], "retrieval_p95_ms": ret["ours_onnx"]["p95_ms"],
        "help_s": _median(start["help"], "wall_s"),
        "ask_s": _median(start["ask_onnx"], "wall_s"),
        "ask_outside_generate_s": _median(start["ask_onnx"], "outside_generate_s"),
        "ask_no_compat_s": _median(start.get("ask_no_compat", []), "wall_s"),
        "keyword_p50_ms": ret["ours_onnx"]["parts_p50_ms"]["keyword"],
        "keyword_p95_ms": ret["ours_onnx"].get("keyword_p95_ms"),
        "verify_share": ans["verify_share"],
        "onnx_load_s": r["onnx"]["load_and_first_embedding_s"],
    }
    if "large_onnx" in ing:
        big = ing["large_onnx"]
        s.update({"large_ingest_chunks_per_s": big["chunks_per_s"], "large_ingest_vs_raw": big["vs_raw"],
                  "large_ingest_vs_raw_cpu": big["vs_raw_cpu"], "large_ingest_minutes": big["seconds"] / 60,
                  "large_ingest_peak_rss_mb": big["ingest_peak_rss_mb"],
                  "large_ingest_keyword_index_s": big.get("keyword_index_seconds")})
    if "ours_torch" in ing:
        s["raw_torch_chunks_per_s"] = ing["ours_torch"]["raw_chunks_per_s"]
        s["ingest_vs_raw_sentence_transformers"] = ing["ours_onnx"]["chunks_per_s"] / s["raw_torch_chunks_per_s"]
        s["ingest_torch_vs_raw_torch"] = ing["ours_torch"]["vs_raw"]
        s["ask_torch_s"] = _median(start["ask_torch"], "wall_s")
        s["retrieval_torch_p50_ms"] = ret["ours_torch"]["p50_ms"]
    if "stock" in ing:
        s["stock_ingest_articles_per_s"] = ing["stock"]["articles_per_s"]
        s["ingest_articles_vs_stock"] = ing["ours_onnx"]["articles_per_s"] / ing["stock"]["articles_per_s"]
        s["stock_retrieval_p50_ms"] = ret["ours_onnx"]["stock"]["p50_ms"]
        s["stock_ask_s"] = _median(start["stock_ask"], "wall_s")
    return s


def render(r: dict[str, Any]) -> str:
    """A Markdown table of the figures."""
    m, s, ing, ret, start, ans = r["machine"], r["summary"], r["ingest"], r["retrieval"], r["startup"], r["answers"]
    stock_ing, stock_ret = ing.get("stock"), ret["ours_onnx"].get("stock")

    def f(value: Any, unit: str = "", digits: int = 1) -> str:
        return "–" if value is None else f"{value:,.{digits}f}{unit}"

    lines = [
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['os']}, "
        f"Python {m['python']}; load average {m['load_average_start']:.1f} at start, "
        f"{m['load_average_end']:.1f} at end"
        f"{' (other work shared the machine)' if max(m['load_average_start'], m['load_average_end']) > 1.5 else ''}. "
        f"{r['settings']['articles']:,} synthetic articles; {ret['ours_onnx']['chunks']:,}-chunk store for retrieval "
        "(random unit vectors + generated Zipf-distributed text, written straight through Chroma, not embedded); "
        f"{len(start['help'])} process runs per start-up figure ({len(start.get('stock_ask', []))} for stock). "
        "Raw embedding is the bare model's own call on all of the corpus' chunks at once (ONNX: `OnnxMiniLM.encode`, "
        "sorted by word-pieces 4,096 at a time, batches of 32), timed in the ingesting process just before and "
        "after each ingest "
        f"({len(ing['ours_onnx'].get('rounds', [0]))} ingests of the "
        f"{r['settings']['articles']:,}-article corpus, medians; 1 of the large one); "
        "the CPU-time ratio uses process CPU seconds instead of wall time. "
        f"Bench took {r['bench_seconds'] / 60:.1f} min.",
        "",
        "| Figure | Ours | LlamaIndex stock | Ratio | Target |",
        "|---|---|---|---|---|",
        f"| Raw embedding, sentence-transformers (chunks/s, same chunks) | {f(s.get('raw_torch_chunks_per_s'))} "
        "| | | |",
        f"| Raw embedding, ONNX Runtime (chunks/s, same chunks) | {f(s['raw_onnx_chunks_per_s'])} | | | |",
        f"| Ingestion, {r['settings']['articles']:,} articles (chunks/s, {ing['ours_onnx']['chunks']:,} chunks, "
        f"{ing['ours_onnx']['wordpieces_per_chunk']:.0f} word-pieces each; keyword index included: "
        f"{f(s.get('ingest_keyword_index_s'), ' s', 2)}) | {f(s['ingest_chunks_per_s'])} | "
        f"{f(stock_ing and stock_ing['chunks_per_s'])} ({stock_ing and stock_ing['chunks']} chunks) | "
        f"{f(s['ingest_vs_raw_same_backend'], digits=2)} of raw ONNX (CPU time: "
        f"{f(s['ingest_vs_raw_cpu'], digits=2)}); "
        f"{f(s.get('ingest_vs_raw_sentence_transformers'), digits=2)} of raw sentence-transformers | ≥ 0.9 of raw |",
    ]
    if "large_onnx" in ing:
        big = ing["large_onnx"]
        lines.append(
            f"| Ingestion, {big['files']:,} articles (`--full`; chunks/s, {big['chunks']:,} chunks; "
            f"{s['large_ingest_minutes']:.1f} min; peak RSS {f(s['large_ingest_peak_rss_mb'], ' MB', 0)}; "
            f"keyword index included: {f(s.get('large_ingest_keyword_index_s'), ' s', 1)}) | "
            f"{f(s['large_ingest_chunks_per_s'])} | | {f(s['large_ingest_vs_raw'], digits=2)} of raw ONNX "
            f"({f(big['raw_chunks_per_s'])} chunks/s; CPU time: {f(s['large_ingest_vs_raw_cpu'], digits=2)}) "
            "| ≥ 0.9 of raw |")
    lines += [
        f"| Ingestion (articles/s) | {f(ing['ours_onnx']['articles_per_s'])} | "
        f"{f(stock_ing and stock_ing['articles_per_s'])} | {f(s.get('ingest_articles_vs_stock'), '×', 2)} | |",
        f"| Ingestion peak RSS (MB; ours: the process during the ingest, model loaded) | "
        f"{f(s['ingest_peak_rss_mb'], digits=0)} | {f(stock_ing and stock_ing['peak_rss_mb'], digits=0)} | "
        "| bounded |",
        f"| Retrieval p50 / p95 at {ret['ours_onnx']['chunks']:,} chunks (ms; query embedding + hybrid search; "
        f"stock: embedding + dense) | {f(s['retrieval_p50_ms'])} / {f(s['retrieval_p95_ms'])} | "
        f"{f(stock_ret and stock_ret['p50_ms'])} / {f(stock_ret and stock_ret['p95_ms'])} | "
        f"{f(stock_ret and stock_ret['p50_ms'] / s['retrieval_p50_ms'], '×', 2)} faster | < 30 / < 60 |",
        "| Retrieval parts p50 (ms) | " + ", ".join(
            f"{k} {v:.1f}" for k, v in ret["ours_onnx"]["parts_p50_ms"].items()) + " | | | |",
        f"| Keyword side p50 / p95 (ms, tantivy) | {f(s['keyword_p50_ms'], digits=2)} / "
        f"{f(s['keyword_p95_ms'], digits=2)} | | | ≤ 3 / ≤ 8 |",
        f"| `assistant --help` (s, process) | {f(s['help_s'], digits=2)} | | | < 0.5 |",
        f"| `assistant ask --json`, process start to answer (s, median) | {f(s['ask_s'], digits=2)} | "
        f"{f(s.get('stock_ask_s'), digits=2)} | {f(s.get('stock_ask_s') and s['stock_ask_s'] / s['ask_s'], '×', 2)} "
        "faster | < 3 |",
        f"| … of which outside LLM generation (s) | {f(s['ask_outside_generate_s'], digits=2)} | | | |",
        f"| … with every compatibility patch off (`ASSISTANT_NO_COMPAT=1`; s, median) | "
        f"{f(s['ask_no_compat_s'], digits=2)} | | | |",
        f"| Torch-free model load + first embedding (s) | {f(s['onnx_load_s'], digits=2)} | | | |",
        "| Answer: retrieve / generate / verify p50 (ms) | " + " / ".join(
            f"{ans['p50_ms'][k]:,.0f}" for k in ("retrieve", "generate", "verify")) + " | "
        + (f"retrieve {ans['stock']['retrieve_p50_ms']:,.0f}, total {ans['stock']['total_p50_ms']:,.0f}"
           if "stock" in ans else "") + " | | |",
        f"| Verification share of answer time | {f(100 * s['verify_share'], '%')} | | | < 10% |",
    ]
    if "ask_torch_s" in s:
        lines += [
            "",
            "Before (sentence-transformers/torch backend, same run): "
            f"`ask --json` {s['ask_torch_s']:.2f} s; retrieval p50 {s['retrieval_torch_p50_ms']:.1f} ms; "
            f"ingestion {ing['ours_torch']['chunks_per_s']:.1f} chunks/s = "
            f"{s['ingest_torch_vs_raw_torch']:.2f} of raw sentence-transformers.",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
