"""Exercise prompts: Markdown to HTML with markdown-it-py (CommonMark plus
tables), code highlighted by Pygments. Raw HTML in the Markdown is not
rendered but shown as text (html=False), and markdown-it refuses
javascript:/vbscript:/data: link targets, so a prompt cannot inject script."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_formatter = HtmlFormatter(cssclass="highlight", nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    name = (lang or "").strip().split()[0] if lang and lang.strip() else ""
    if not name:
        return ""  # markdown-it escapes and wraps it itself
    try:
        lexer = get_lexer_by_name(name)
    except ClassNotFound:
        return ""
    body = str(highlight(code, lexer, _formatter))
    # Starting with <pre, markdown-it takes it as the whole block.
    return f'<pre class="highlight"><code class="language-{escape(name)}">{body}</code></pre>\n'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False,
                                     "highlight": _highlight}).enable("table")


def render_markdown(text: str) -> Markup:
    """Safe HTML for a template (Markup: Jinja does not escape it again)."""
    return Markup(_parser().render(text))


def pygments_css() -> str:
    return str(_formatter.get_style_defs(".highlight"))  # type: ignore[no-untyped-call]


__all__ = ["escape", "pygments_css", "render_markdown"]
