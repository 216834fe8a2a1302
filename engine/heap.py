"""``settled_heap()``: keeps CPython's cyclic garbage collector off what a run has built.

Used around the pipeline (``engine.pipeline.check``) and by the callers that render its
report (the CLI, the analyser Lambda). A large run builds hundreds of thousands of findings
that live until the report is written. Left alone, the collector walks them again and again:
young collections walk each batch's new findings, and full collections, which come more
often as the heap grows, walk every finding made so far. At 100,000 resources (164,471
findings) that was a third of evaluation, history and ranking time.

``settle()``, called after each batch, moves everything alive into the collector's permanent
generation (``gc.freeze``); reference counting still frees it as usual, only cycles among
settled objects wait. Inside ``settled_heap(pause=True)`` (``check`` runs in one) the collector
does not run on its own either: young collections had walked each batch's findings several
times over (0.5 s of 3 at that size), and the pipeline makes next to no cyclic garbage (peak
memory unchanged, measured). The outermost block puts everything back (``gc.unfreeze``) when it
ends, so the next full collection walks the run's objects once, after the report rather than
during it.

Blocks nest: only the outermost one unfreezes, and each restores the automatic collection it
found. A process that froze objects for its own reasons (a forking server, say) keeps that
arrangement: ``settle`` then does nothing and nothing is paused.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_depth = 0  # open blocks in this process (the collector is process-wide too)


def _nothing() -> None:
    return None


@contextmanager
def settled_heap(*, pause: bool = False) -> Iterator[Callable[[], None]]:
    """Yield ``settle``: what is alive when it is called is left out of collections until
    the outermost block ends. ``pause``: no automatic collection inside the block."""
    global _depth  # noqa: PLW0603 - one collector per process, one count with it
    if _depth == 0 and gc.get_freeze_count():
        yield _nothing
        return
    was_enabled = gc.isenabled()
    if pause:
        gc.disable()
    _depth += 1
    try:
        yield gc.freeze
    finally:
        _depth -= 1
        if pause and was_enabled:
            gc.enable()
        if _depth == 0:
            gc.unfreeze()
