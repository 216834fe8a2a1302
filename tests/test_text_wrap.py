"""The text report's line wrapping: its one-line fast path and cache give textwrap's lines."""

from __future__ import annotations

import textwrap

from hypothesis import given
from hypothesis import strategies as st

from engine.reports.text import WIDTH, _wrap, clean
from tests.support.hypothesis_profiles import budget

TEXT = st.text(st.sampled_from(" ab-,.\u00a0\u2003\t\n\x7fé"), max_size=140) | st.text(max_size=140)


@budget(3000)
@given(text=TEXT, indent=st.sampled_from(["", "      ", "  - "]), follow=st.booleans())
def test_wrap_is_textwraps(text: str, indent: str, follow: bool) -> None:
    subsequent = "    " if follow else None
    expected = textwrap.wrap(
        clean(text),
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
    ) or [indent]
    assert _wrap(text, indent, subsequent) == expected
    assert _wrap(text, indent, subsequent) == expected  # the cached answer too
