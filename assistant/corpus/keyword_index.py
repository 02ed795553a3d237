"""The keyword side of retrieval: a BM25 index of the store's chunks, with their records, in a SQLite file beside the
store, scored with numpy from posting lists made by SQLite's own FTS5 tokenizer."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable
from itertools import chain
from pathlib import Path

import numpy as np

from assistant.corpus.records import StoredChunk
from assistant.corpus.store import Store
from assistant.text import STOPWORDS, words

SCHEMA = "3"  # 3: BM25 computed here from posting lists (numpy) instead of by FTS5's bm25() (~2.5 us a matching row)

BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() constants: the scores are FTS5's for the same terms
CACHE_KIB = 65536  # SQLite's page cache for the index (with its default, 2 MB, a full build at 100,000 chunks: 1.4x)
MERGE_FANOUT = 8  # segments of one size class merged into one (see `KeywordIndex._merge_segments`)
# A posting: the chunk's row, the term's count in it, the chunk's length in terms (BM25's document length).
_POSTING = np.dtype([("row", "<i4"), ("count", "<u2"), ("length", "<u2")])
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_STEMS_KEPT = 200_000  # words whose stems are kept between calls
_Postings = dict[str, np.ndarray]  # term: its postings (`_POSTING` records)


class _Tokenizer:
    """SQLite's own FTS5 `porter unicode61` tokenizer: the terms FTS5 would index (stemmed, case and diacritics
    folded), so that the keyword search matches what FTS5's MATCH matched."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        for table in ("texts", "words"):
            self.db.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(text, content='', tokenize='porter unicode61')")
            self.db.execute(f"CREATE VIRTUAL TABLE {table}_terms USING fts5vocab({table}, 'instance')")
        self.lock = threading.Lock()
        self._stems: dict[str, str | None] = {}

    def postings(self, rows: list[int], texts: list[str]) -> tuple[_Postings, np.ndarray]:
        """Each term's postings in `texts` (numbered `rows`), and each text's length in terms."""
        term_of_token, text_of_token, names = self.tokens(texts)
        lengths = np.bincount(text_of_token, minlength=len(texts))
        if not len(term_of_token):
            return {}, lengths
        keys, counts = np.unique(term_of_token * len(texts) + text_of_token, return_counts=True)
        term_of, text_of = keys // len(texts), keys % len(texts)
        postings = np.empty(len(keys), dtype=_POSTING)
        postings["row"] = np.asarray(rows, dtype=np.int64)[text_of]
        postings["count"] = np.minimum(counts, 65535)
        postings["length"] = np.minimum(lengths, 65535)[text_of]
        starts = np.flatnonzero(np.concatenate(([True], term_of[1:] != term_of[:-1])))
        ends = np.append(starts[1:], len(keys))
        return ({names[term]: postings[start:end]
                 for term, start, end in zip(term_of[starts].tolist(), starts.tolist(), ends.tolist(), strict=True)},
                lengths)

    def tokens(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Every token of `texts` as its term's id and its text's index, and the terms by id.

        A text whose only characters beyond ASCII are punctuation, spaces or symbols (curly quotes, dashes) is split
        here as unicode61 splits it (runs of ASCII letters and digits, lower-cased) and each distinct word is stemmed
        by SQLite once (`stems`); any other text is tokenized by SQLite whole."""
        plain: list[int] = []
        words_of: list[list[str]] = []
        for i, text in enumerate(texts):
            if text.isascii() or all(unicodedata.category(c)[0] in "PZS" for c in set(_NON_ASCII.findall(text))):
                plain.append(i)
                words_of.append(_ASCII_WORD.findall(text.lower()))
        ids: dict[str, int] = {}
        term_parts, text_parts = [], []
        word_ids: dict[str, int] = {}
        token_words = np.fromiter((word_ids.setdefault(w, len(word_ids)) for w in chain.from_iterable(words_of)),
                                  dtype=np.int64)
        if len(token_words):
            stem = self.stems(list(word_ids))
            word_terms = np.array([-1 if (term := stem[w]) is None else ids.setdefault(term, len(ids))
                                   for w in word_ids], dtype=np.int64)
            token_ids = word_terms[token_words]
            token_texts = np.repeat(np.asarray(plain, dtype=np.int64), [len(w) for w in words_of])
            term_parts.append(token_ids[token_ids >= 0])
            text_parts.append(token_texts[token_ids >= 0])
        exotic = sorted(set(range(len(texts))) - set(plain))
        if exotic:
            with self.lock:
                found = self._tokenize("texts", [(i, texts[i]) for i in exotic])
            term_parts.append(np.array([ids.setdefault(term, len(ids)) for term, _ in found], dtype=np.int64))
            text_parts.append(np.array([doc for _, doc in found], dtype=np.int64))
        if not term_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []
        return np.concatenate(term_parts), np.concatenate(text_parts), list(ids)

    def stems(self, words: list[str]) -> dict[str, str | None]:
        """The term FTS5 makes of each of `words` (single words; None for a word it makes none of)."""
        with self.lock:
            if len(self._stems) > _STEMS_KEPT:
                self._stems.clear()
            unknown = [w for w in dict.fromkeys(words) if w not in self._stems]
            if unknown:
                found = {doc: term for term, doc in self._tokenize("words", list(enumerate(unknown)))}
                self._stems.update((w, found.get(i)) for i, w in enumerate(unknown))
            return {w: self._stems[w] for w in words}

    def _tokenize(self, table: str, numbered: list[tuple[int, str]]) -> list[tuple[str, int]]:
        """(term, number) of every token of the numbered texts, from SQLite's tokenizer (`table`, emptied again
        after); the caller holds `self.lock`."""
        self.db.execute("BEGIN")
        try:
            self.db.executemany(f"INSERT INTO {table}(rowid, text) VALUES (?, ?)", numbered)
            found = self.db.execute(f"SELECT term, doc FROM {table}_terms").fetchall()
            self.db.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
        finally:
            self.db.execute("COMMIT")
        return found


class KeywordIndex:
    """A BM25 keyword index of the store's chunks, with each chunk's record, in a SQLite file beside the store;
    brought up to the store's revision incrementally.

    The Chroma store stays the one source of truth; this file is a cache beside it, so it works the same for the
    embedded store and for a Chroma server shared by several machines. Texts are tokenized as FTS5's
    `porter unicode61` tokenizes them (`_Tokenizer`); each term's postings are kept as a blob per segment (the
    chunks of one sync batch; `MERGE_FANOUT` segments of a size are merged into one), so a search reads a few blobs
    per term and scores them with numpy, with FTS5's BM25 formula: the same scores as FTS5's `bm25()`, which spent
    ~2.5 us on each row a term matched. Retrieval also reads the chosen chunks' records here: ~0.7 ms against 3-6 ms
    from Chroma at 100,000 chunks.
    """

    LOCK_WAIT_SECONDS = 180.0  # for another process's sync to end (at 100,000 chunks a full build takes ~80 s)

    def __init__(self, folder: Path, store: Store) -> None:
        self.store = store
        folder.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(store.identity.encode()).hexdigest()[:16]
        self.path = folder / f"{key}.sqlite"
        self.db = sqlite3.connect(self.path, timeout=self.LOCK_WAIT_SECONDS, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._tokenizer = _Tokenizer()
        if self._schema() != SCHEMA:  # a new file, or one of an earlier version: made (again) under a write lock
            self._create()

    def _schema(self) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.OperationalError:  # no such table: a new file
            return None
        return row[0] if row else None

    def _create(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self._schema() != SCHEMA:  # another process may have made it meanwhile
                for table in ("chunks", "records", "articles", "postings", "segments", "meta"):  # earlier versions'
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")
                self.db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                self.db.execute("CREATE TABLE articles (article_id TEXT PRIMARY KEY, sha256 TEXT)")
                # `row`: the chunk's number in the postings; `length`: its count of terms; `segment`: holding it
                self.db.execute(
                    "CREATE TABLE records (chunk_id TEXT PRIMARY KEY, row INTEGER NOT NULL UNIQUE, "
                    "article_id TEXT NOT NULL, source TEXT, title TEXT, text TEXT NOT NULL, sentences TEXT, "
                    "length INTEGER NOT NULL, segment INTEGER NOT NULL)")
                self.db.execute("CREATE INDEX records_by_article ON records(article_id)")
                self.db.execute("CREATE INDEX records_by_segment ON records(segment)")
                self.db.execute("CREATE TABLE segments (segment INTEGER PRIMARY KEY, chunks INTEGER NOT NULL)")
                # A term's postings in a segment; rowid: segment << 24 | the term's place in it (a segment's rows
                # lie together, found and dropped by a rowid range without an index of their own).
                self.db.execute("CREATE TABLE postings (term TEXT NOT NULL, data BLOB NOT NULL)")
                self.db.execute("CREATE INDEX postings_by_term ON postings(term)")
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    def _revision(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key='revision'").fetchone()
        return row[0] if row else None

    def sync(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Bring the index up to the store's revision; returns the number of articles (re)indexed.

        `progress(done, total)` counts the articles indexed, before each batch of them and at the end; it is not
        called when there is nothing to index."""
        revision = self.store.revision()  # None while articles are being changed: synced each time, never kept
        if revision is not None and revision == self._revision():
            return 0
        remote = self.store.article_shas()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            local = dict(self.db.execute("SELECT article_id, sha256 FROM articles").fetchall())
            stale = [a for a, sha in local.items() if remote.get(a) != sha]
            fresh = [a for a, sha in remote.items() if local.get(a) != sha]
            self._remove_articles(stale)
            last = self.db.execute("SELECT max(row) FROM records").fetchone()[0]
            next_row = (last or 0) + 1
            for start in range(0, len(fresh), 200):
                if progress is not None:
                    progress(start, len(fresh))
                batch = fresh[start : start + 200]
                chunks = self.store.get_chunks(article_ids=batch)
                self._add_segment(chunks, next_row)
                next_row += len(chunks)
                self.db.executemany("INSERT OR REPLACE INTO articles VALUES (?,?)", [(a, remote[a]) for a in batch])
            self._merge_segments()
            rows, length = self.db.execute("SELECT count(*), coalesce(sum(length), 0) FROM records").fetchone()
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [("revision", revision or ""), ("rows", str(rows)), ("length", str(length))])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        if progress is not None and fresh:
            progress(len(fresh), len(fresh))
        return len(fresh)

    def _add_segment(self, chunks: list[StoredChunk], first_row: int) -> None:
        if not chunks:
            return
        rows = list(range(first_row, first_row + len(chunks)))
        postings, lengths = self._tokenizer.postings(rows, [c.text for c in chunks])
        segment = self._next_segment()
        self.db.executemany("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?,?,?,?)",
                            [(c.chunk_id, row, c.article_id, c.source, c.title, c.text, json.dumps(c.sentences),
                              length, segment) for row, c, length in zip(rows, chunks, lengths.tolist(), strict=True)])
        self._write_postings(segment, [(term, postings[term].tobytes()) for term in sorted(postings)])
        self.db.execute("INSERT INTO segments VALUES (?, ?)", (segment, len(chunks)))

    def _next_segment(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(segment), 0) + 1 FROM segments").fetchone()[0])

    @staticmethod
    def _rowids(segment: int) -> tuple[int, int]:
        """The first and last rowid of `segment`'s postings."""
        return segment << 24, ((segment + 1) << 24) - 1

    def _write_postings(self, segment: int, postings: list[tuple[str, bytes]]) -> None:
        first, _ = self._rowids(segment)
        self.db.executemany("INSERT INTO postings(rowid, term, data) VALUES (?,?,?)",
                            [(first + i, term, data) for i, (term, data) in enumerate(postings)])

    def _read_postings(self, segment: int) -> list[tuple[str, bytes]]:
        return self.db.execute("SELECT term, data FROM postings WHERE rowid BETWEEN ? AND ?",
                               self._rowids(segment)).fetchall()

    def _drop_postings(self, segment: int) -> None:
        self.db.execute("DELETE FROM postings WHERE rowid BETWEEN ? AND ?", self._rowids(segment))

    def _remove_articles(self, article_ids: list[str]) -> None:
        """Drop the articles' records, and their rows from the postings of the segments holding them."""
        dead: dict[int, list[int]] = {}
        for article_id in article_ids:
            for row, segment in self.db.execute("SELECT row, segment FROM records WHERE article_id=?", (article_id,)):
                dead.setdefault(segment, []).append(row)
            self.db.execute("DELETE FROM records WHERE article_id=?", (article_id,))
            self.db.execute("DELETE FROM articles WHERE article_id=?", (article_id,))
        for segment, rows in dead.items():
            gone = np.array(rows, dtype=np.int64)
            kept = []
            for term, data in self._read_postings(segment):
                postings = np.frombuffer(data, dtype=_POSTING)
                postings = postings[~np.isin(postings["row"], gone)]
                if len(postings):
                    kept.append((term, postings.tobytes()))
            self._drop_postings(segment)
            self._write_postings(segment, kept)
            self.db.execute("UPDATE segments SET chunks = chunks - ? WHERE segment=?", (len(rows), segment))
        self.db.execute("DELETE FROM segments WHERE chunks <= 0")

    def _merge_segments(self) -> None:
        """Merge segments of one size class (a power of `MERGE_FANOUT` chunks) once `MERGE_FANOUT` of them exist,
        so that a term's postings stay a few blobs (each chunk is merged about log(chunks) times in all)."""
        while True:
            classes: dict[int, list[int]] = {}
            for segment, chunks in self.db.execute("SELECT segment, chunks FROM segments ORDER BY segment"):
                classes.setdefault(int(math.log(max(chunks, 1), MERGE_FANOUT)), []).append(segment)
            full = [segments for segments in classes.values() if len(segments) >= MERGE_FANOUT]
            if not full:
                return
            merged = full[0][:MERGE_FANOUT]
            marks = ",".join("?" * len(merged))
            target = self._next_segment()
            parts: dict[str, list[bytes]] = {}
            for segment in merged:
                for term, data in self._read_postings(segment):
                    parts.setdefault(term, []).append(data)
            joined = [(term, b"".join(parts[term])) for term in sorted(parts)]
            del parts
            chunks = self.db.execute(f"SELECT sum(chunks) FROM segments WHERE segment IN ({marks})",
                                     merged).fetchone()[0]
            for segment in merged:
                self._drop_postings(segment)
            self.db.execute(f"DELETE FROM segments WHERE segment IN ({marks})", merged)
            self.db.execute(f"UPDATE records SET segment=? WHERE segment IN ({marks})", [target, *merged])
            self._write_postings(target, joined)
            self.db.execute("INSERT INTO segments VALUES (?, ?)", (target, chunks))

    def chunks(self, chunk_ids: list[str]) -> list[StoredChunk]:
        """The records of those of `chunk_ids` the index holds, in that order (as of the last `sync`)."""
        marks = ",".join("?" * len(chunk_ids))
        found = {
            row[0]: StoredChunk(chunk_id=row[0], article_id=row[1], source=row[2], title=row[3], text=row[4],
                                sentences=[(int(a), int(b)) for a, b in json.loads(row[5])])
            for row in self.db.execute(
                f"SELECT chunk_id, article_id, source, title, text, sentences FROM records WHERE chunk_id IN ({marks})",
                chunk_ids)
        }
        return [found[c] for c in chunk_ids if c in found]

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Chunk ids ranked by BM25 (FTS5's formula and constants) for the query's content words, best first."""
        query_words = [w for w in words(query) if w not in STOPWORDS and re.fullmatch(r"[a-z0-9]+", w)]
        stems = self._tokenizer.stems(list(dict.fromkeys(query_words)))
        # Two words of one stem count twice, as FTS5 counted each of a query's phrases.
        terms = [t for t in stems.values() if t is not None]
        if not terms:
            return []
        stats = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('rows', 'length')").fetchall())
        rows_total, length_total = int(stats.get("rows") or 0), int(stats.get("length") or 0)
        if not rows_total:
            return []
        average = length_total / rows_total
        distinct = sorted(set(terms))
        blobs: dict[str, list[bytes]] = {}
        for term, data in self.db.execute(
                f"SELECT term, data FROM postings WHERE term IN ({','.join('?' * len(distinct))})", distinct):
            blobs.setdefault(term, []).append(data)
        matched, scores = [], []
        for term in terms:
            if term not in blobs:
                continue
            postings = np.frombuffer(b"".join(blobs[term]), dtype=_POSTING)
            idf = math.log((rows_total - len(postings) + 0.5) / (len(postings) + 0.5))
            counts = postings["count"].astype(np.float64)
            norm = BM25_K1 * (1 - BM25_B + BM25_B * postings["length"].astype(np.float64) / average)
            matched.append(postings["row"])
            scores.append((idf if idf > 0 else 1e-6) * counts * (BM25_K1 + 1) / (counts + norm))
        if not matched or k <= 0:
            return []
        unique, where = np.unique(np.concatenate(matched), return_inverse=True)
        totals = np.bincount(where.reshape(-1), weights=np.concatenate(scores))
        best = np.lexsort((unique, -totals))[:k]  # ties: the earlier row first
        top = unique[best].tolist()
        ids = dict(self.db.execute(f"SELECT row, chunk_id FROM records WHERE row IN ({','.join('?' * len(top))})",
                                   top).fetchall())
        return [(ids[row], float(totals[i])) for row, i in zip(top, best.tolist(), strict=True) if row in ids]
