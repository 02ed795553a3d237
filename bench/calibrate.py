"""Fit the answer confidence (`assistant.answer.confidence`) on eval reports, and choose the threshold.

    ASSISTANT_MIN_CONFIDENCE=0 assistant eval --dataset realtimeqa --source CLONE --weeks ... --report DIR
    python bench/calibrate.py DIR/report.json [...] [--hold-out WEEK]

Every answer the engine gave (nothing withheld: threshold 0) is one example: right when it matches a gold
answer, wrong when it does not or when the question had no answer in the store. Prints the logistic
regression's weights (to copy into `assistant/answer/confidence.py`), the expected calibration error in
sample and leaving one week out, and precision / accuracy of the answers kept at each threshold. The
threshold is the one with the best F0.5 of precision and recall on the answerable questions (precision
weighs twice: a wrong answer with a citation is worse than none). `--hold-out WEEK` leaves that week out of
the fit and prints its figures under the fitted model and threshold. Prints only; writes nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.evals.scoring import expected_calibration_error

FEATURES = ("lexical", "cosine", "typed", "articles", "drafted", "conflict", "spans", "near", "support", "margin",
            "kind")


def examples(paths: list[Path], keep: Callable[[str], bool] = lambda week: True,
             ) -> tuple[np.ndarray, np.ndarray, list[str], int]:
    rows, labels, weeks = [], [], []
    answerable = 0
    for path in paths:
        for q in json.loads(path.read_text())["questions"]:
            if not keep(q.get("week") or path.parent.name):
                continue
            ours = q["results"]["ours"]
            answerable += q["kind"] != "unanswerable"
            if ours["abstained"] or not ours.get("features"):
                continue
            rows.append([ours["features"][f] for f in FEATURES])
            labels.append(bool(ours["correct"]) and q["kind"] != "unanswerable")
            weeks.append(q.get("week") or path.parent.name)
    return np.array(rows), np.array(labels), weeks, answerable


def ece(p: np.ndarray, y: np.ndarray) -> float:
    return expected_calibration_error([(float(c), bool(ok)) for c, ok in zip(p, y, strict=True)])


def main(paths: list[Path], hold_out: str = "") -> None:
    x, y, weeks, answerable = examples(paths, lambda week: week != hold_out)
    print(f"{len(y)} answers given ({int(y.sum())} right) of {answerable} answerable questions")
    model = LogisticRegression(C=1.0).fit(x, y)
    p = model.predict_proba(x)[:, 1]
    print(f"INTERCEPT = {model.intercept_[0]:.3f}")
    print("WEIGHTS = {" + ", ".join(f'"{f}": {w:.3f}' for f, w in zip(FEATURES, model.coef_[0], strict=True)) + "}")
    print(f"calibration error in sample: {ece(p, y):.3f}")
    held = np.zeros_like(p)
    for week in sorted(set(weeks)):
        out = np.array([w == week for w in weeks])
        if y[~out].all() or not y[~out].any():
            held[out] = y[~out].mean()
            continue
        held[out] = LogisticRegression(C=1.0).fit(x[~out], y[~out]).predict_proba(x[out])[:, 1]
    print(f"calibration error, each week predicted by a model fitted on the others: {ece(held, y):.3f}")
    print("threshold  kept  right  precision  accuracy(answerable)  F0.5   (leave-one-week-out confidences)")
    best = (0.0, 0.0)
    for t in np.arange(0.0, 0.96, 0.05):
        kept = held >= t
        right = int((y & kept).sum())
        precision = right / kept.sum() if kept.any() else 0.0
        recall = right / answerable
        f = 1.25 * precision * recall / (0.25 * precision + recall) if right else 0.0
        best = max(best, (f, t))
        print(f"{t:9.2f} {int(kept.sum()):5d} {right:6d} {precision:10.2f} {recall:21.2f} {f:6.3f}")
    print(f"best F0.5 at threshold {best[1]:.2f}")
    if hold_out:
        hx, hy, _, hanswerable = examples(paths, lambda week: week == hold_out)
        hp = model.predict_proba(hx)[:, 1]
        kept = hp >= best[1]
        right, given = int((hy & kept).sum()), int(kept.sum())
        print(f"held-out week {hold_out}: calibration error {ece(hp, hy):.3f}; at {best[1]:.2f}: {given} kept, "
              f"{right} right of {hanswerable} answerable (precision {right / max(1, given):.2f})")


if __name__ == "__main__":
    args = sys.argv[1:]
    week = ""
    if "--hold-out" in args:
        at = args.index("--hold-out")
        week = args[at + 1] if at + 1 < len(args) else ""
        args = args[:at] + args[at + 2 :]
    if not args or ("--hold-out" in sys.argv and not week):
        sys.exit("usage: python bench/calibrate.py REPORT.json [...] [--hold-out WEEK]")
    main([Path(a) for a in args], week)
