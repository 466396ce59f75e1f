"""Find links in text that residents should not get: only https:// and /relative are allowed."""

from __future__ import annotations

import re

# Any "scheme:" that looks like a URL scheme, plus protocol-relative "//host".
_SCHEME_RE = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{1,20}):(?=\S)")
_PROTOCOL_RELATIVE_RE = re.compile(r"(?<![:/\w])//[^\s/]")
ALLOWED_SCHEMES = {"https"}
# Words followed by a colon in normal Dutch text are not schemes ("Let op: ...") unless
# followed by something URL-like; we therefore flag only schemes browsers act on.
DANGEROUS_OR_PLAIN = {
    "http",
    "javascript",
    "data",
    "vbscript",
    "file",
    "ftp",
    "blob",
    "ws",
    "wss",
    "about",
    "chrome",
    "intent",
    "sms",
    "mailto",
    "tel",
    "filesystem",
    "jar",
    "view-source",
}


def bad_links(text: str) -> list[str]:
    """Links in text that are not https:// (or a relative /path), in order of appearance."""
    found = []
    for match in _SCHEME_RE.finditer(text or ""):
        scheme = match.group(1).lower()
        if scheme in ALLOWED_SCHEMES:
            if not text[match.end() :].startswith("//"):
                found.append(_snippet(text, match.start()))
            continue
        rest = text[match.end() :]
        if scheme in DANGEROUS_OR_PLAIN or rest.startswith("//"):
            found.append(_snippet(text, match.start()))
    for match in _PROTOCOL_RELATIVE_RE.finditer(text or ""):
        found.append(_snippet(text, match.start()))
    return found


def _snippet(text: str, start: int) -> str:
    end = start
    while end < len(text) and not text[end].isspace() and end - start < 80:
        end += 1
    return text[start:end]
