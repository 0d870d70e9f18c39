"""PNG of a view's chart at presentation resolution (1920×1080): the children comparison of 总览,
or the region's trend where it has no children, styled as in 汇报模式 (present.large), with the
view's title and footer. Rendered by kaleido with the system's Chromium, whose server is started
once per process (~2 s) and then takes ~0.2 s a picture (STACK_NOTES)."""
from __future__ import annotations

import shutil
import threading
import warnings

import kaleido

from .markup import plot_text
from .overview import bar_figure
from .present import large
from .snapshot import Snapshot
from .store import StoreError
from .trend import figure as trend_figure

WIDTH, HEIGHT = 1920, 1080
CHROMIUM_MISSING = ("PNG 导出需要服务器上安装 Chromium 浏览器和中文字体：请系统管理员运行 "
                    "apt-get install chromium fonts-noto-cjk，然后重启看板。PPT 和 Excel 导出不需要它。")
_started = threading.Lock(), []


def png(snap: Snapshot) -> bytes:
    """The picture of snap's chart; a StoreError in Chinese when Chromium is missing."""
    if len(snap.children) and snap.children["value"].notna().any():
        fig = bar_figure(snap.children, f"{snap.short_name}各下级 · {snap.indicator_name}（{snap.unit}）"
                                        f" · {snap.period.label}", snap.unit)
    else:
        fig = trend_figure(snap.trend, f"{snap.short_name} · {snap.indicator_name}（{snap.unit}）",
                           snap.unit)
    fig = large(fig, "light", height=HEIGHT).update_layout(margin_b=130)
    fig.add_annotation(text=plot_text(snap.footer), xref="paper", yref="paper", x=0, y=0,
                       yanchor="top", yshift=-80, showarrow=False, xanchor="left", font_size=16)
    _start()
    with warnings.catch_warnings():   # plotly passes kaleido options the running server ignores
        warnings.simplefilter("ignore", UserWarning)
        return fig.to_image(format="png", width=WIDTH, height=HEIGHT)


def available() -> bool:
    """Whether the server has a Chromium for kaleido."""
    return any(shutil.which(name) for name in ("chromium", "chromium-browser"))


def _start() -> None:
    """kaleido's server, once per process."""
    lock, done = _started
    with lock:
        if done:
            return
        if not available():
            raise StoreError(CHROMIUM_MISSING)
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        done.append(True)
