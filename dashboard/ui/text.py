"""User and imported text in Markdown-rendering elements, shown literally (no HTML, no Markdown, no LaTeX)."""

from __future__ import annotations

import re

# Everything Streamlit's Markdown (CommonMark + GFM + KaTeX + its own :colour[...] and :material/...: syntax)
# could read as markup.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^])")


def plain(text: str | None) -> str:
    """Text for st.title, st.caption, st.markdown and labels: every markup character backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", text or "")
