"""User text (region names created by uploads, file names, uploader names, cells of a file) shown as
text, never as markup. One helper per renderer:

- md(): for everything Streamlit renders as Markdown: st.markdown/write/caption/title/subheader,
  st.info/success/warning/error/toast, st.table cells (text_cells), and the labels of buttons, metrics, tabs,
  popovers and toggles.
- plot_text(): for plotly texts (tick labels, titles, hover), which read a subset of HTML.
"""
from __future__ import annotations

import html
import re
import string

import numpy as np
import pandas as pd

WORD_JOINER = "\u2060"   # invisible, zero width
# Backslash before every ASCII punctuation character (CommonMark: it is then literal): links,
# images, HTML, emphasis, lists, headings, Streamlit's :color[…], :icon: and $math$.
_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})
# GFM turns http://…, www.… and a@b.c into links even when escaped: an invisible joiner breaks them.
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=/)|(?<=@)")


def md(text) -> str:
    """text as literal text inside Streamlit Markdown."""
    return _AUTOLINK.sub(WORD_JOINER, str(text)).translate(_ESCAPES)


def text_cells(frame: pd.DataFrame, fix) -> pd.DataFrame:
    """frame with fix applied to every text cell and header, numbers and blanks untouched: e.g.
    text_cells(frame, md) for st.table, which renders its cells as Markdown."""
    def cell(v):
        return fix(v) if isinstance(v, str) else v
    out = frame.rename(columns=cell)
    for col in out.columns[(out.dtypes == object) | (out.dtypes == "string")]:
        out[col] = out[col].map(cell, na_action="ignore")
    return out


def plot_text(text) -> str:
    """text as literal text in a plotly label, title or hover (its <, > and & as entities)."""
    return html.escape(str(text), quote=False)


def texts(values) -> pd.Series:
    """A column of texts kept as Python objects: pandas' own strings cost ~30 ms to build for
    38,723 units (报送情况's missing list) and 0.25 s for 38,723 × 11 rows (综合指数's breakdown)."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object)
