"""``settled_heap()``: keeps CPython's cyclic garbage collector off what a run has built.

Used around the pipeline (``engine.pipeline.check``) and by the callers that render its
report (the CLI, the analyser Lambda). A large run builds hundreds of thousands of findings
that live until the report is written. Each full collection walks every one of them, and
full collections come more often as the heap grows: at 100,000 resources (164,471 findings)
that was a third of evaluation, history and ranking time. ``settle()``, called after each
batch, moves everything alive into the collector's permanent generation (``gc.freeze``);
reference counting still frees it as usual, only cycles among settled objects wait. The
outermost block puts everything back (``gc.unfreeze``) when it ends, so the next full
collection walks the run's objects once, after the report rather than during it.

Blocks nest: only the outermost one unfreezes. A process that froze objects for its own
reasons (a forking server, say) keeps that arrangement: ``settle`` then does nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_depth = 0  # open blocks in this process (the collector is process-wide too)


def _nothing() -> None:
    return None


@contextmanager
def settled_heap() -> Iterator[Callable[[], None]]:
    """Yield ``settle``: what is alive when it is called is left out of full collections
    until the outermost block ends."""
    global _depth  # noqa: PLW0603 - one collector per process, one count with it
    if _depth == 0 and gc.get_freeze_count():
        yield _nothing
        return
    _depth += 1
    try:
        yield gc.freeze
    finally:
        _depth -= 1
        if _depth == 0:
            gc.unfreeze()
