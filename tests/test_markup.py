"""The two escapes for user text: md() for Streamlit Markdown, plot_text() for plotly labels; and
the charts that carry region names use plot_text."""
from __future__ import annotations

import re
import string

import pandas as pd

import hostile
from tongzhan.completeness import heat_figure
from tongzhan.markup import WORD_JOINER, md, plot_text, text_cells
from tongzhan.overview import bar_figure

NAMES = list(hostile.VILLAGES.values()) + [hostile.UPLOADER, hostile.FILE_NAME]


def test_md_leaves_no_markdown_and_no_bare_link():
    for name in NAMES:
        out = md(name)
        unescaped = re.sub(r"\\.", "", out)      # drop every escaped character
        assert not set(unescaped) & set(string.punctuation), out
        plain = re.sub(r"\\(.)", r"\1", out)
        assert plain.replace(WORD_JOINER, "") == name   # nothing lost, nothing added but joiners
        assert not re.search(r"://|www\.|@\w", plain, re.I), out   # GFM would link these


def test_text_cells_escapes_text_only():
    frame = pd.DataFrame({"行号": pd.array([2, None], dtype="Int64"), "问题": ["[x](http://a.b)", None]})
    out = text_cells(frame, md)
    assert out["问题"][0] == md("[x](http://a.b)") and pd.isna(out["问题"][1])
    assert out["行号"].tolist() == frame["行号"].tolist()


def test_chart_labels_are_escaped_for_plotly():
    table = pd.DataFrame({"region_code": list(hostile.VILLAGES), "region_name": list(hostile.VILLAGES.values()),
                          "value": range(len(hostile.VILLAGES)), "text": "1人次"})
    fig = bar_figure(table, f"{hostile.VILLAGES[hostile.TOWNSHIP + '903']}各下级", "人次")
    assert list(fig.data[0].x) == [plot_text(n) for n in table["region_name"]]
    assert "<" not in fig.layout.title.text and "&lt;a href" in fig.layout.title.text

    heat = pd.DataFrame({"row_code": ["v"], "row_label": ["<a href='http://x'>村</a>"], "indicator_id": ["i"],
                         "indicator_name": ["募集资金"], "units": [1], "reported": [0], "share": [0.0]})
    assert list(heat_figure(heat).data[0].y) == ["&lt;a href='http://x'&gt;村&lt;/a&gt;"]
