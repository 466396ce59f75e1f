"""Rules for a region's embed settings: colour contrast (WCAG 2.1), site addresses,
greeting and logo. Pure functions, used by the gateway (data/embed/regions.yml),
the Redactie's "Instellingen" page and the tests. Reasons are in Dutch (B1),
because the page shows them to the region's web team.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from py_svg_hush import filter_svg

COLOR_KEYS = ("primary", "on_primary", "surface", "on_surface", "bot_bubble", "link", "focus", "danger", "on_danger")
HEX_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

# (foreground, background, minimum ratio): every pair the widget shows together.
# Text needs 4.5:1 (WCAG 1.4.3); the focus ring needs 3:1 (WCAG 1.4.11).
CONTRAST_PAIRS: tuple[tuple[str, str, float], ...] = (
    ("on_primary", "primary", 4.5),  # header, launcher, the resident's messages
    ("primary", "surface", 4.5),  # quick-reply buttons
    ("on_surface", "surface", 4.5),  # body text
    ("on_surface", "bot_bubble", 4.5),  # the bot's messages
    ("link", "bot_bubble", 4.5),
    ("link", "surface", 4.5),
    ("on_danger", "danger", 4.5),  # the "Bel 112" message
    ("focus", "surface", 3.0),
    ("focus", "bot_bubble", 3.0),
)

# The Dutch names of the colours, as the settings page labels them.
COLOR_LABELS = {
    "primary": "Hoofdkleur",
    "on_primary": "Tekst op de hoofdkleur",
    "surface": "Achtergrond",
    "on_surface": "Tekst",
    "bot_bubble": "Achtergrond van de berichten van de chatbot",
    "link": "Links",
    "focus": "Focusrand",
    "danger": "Achtergrond van de 112-melding",
    "on_danger": "Tekst van de 112-melding",
}

HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
MAX_LOGO_BYTES = 40 * 1024  # the gateway takes requests up to 64 kB (client_max_size), the form included
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
DROPPED_ELEMENTS = {
    f"{{{SVG_NS}}}{name}"
    for name in ("script", "foreignObject", "set", "animate", "animateMotion", "animateTransform", "discard")
}
LANGUAGES = {"nl": "Nederlands", "en": "Engels"}


class SettingError(ValueError):
    """A setting that may not be saved; str() is the reason in Dutch."""


# --- colour contrast --------------------------------------------------------------


def relative_luminance(color: str) -> float:
    channels = []
    for i in (1, 3, 5):
        c = int(color[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def contrast_problems(colors: dict[str, str]) -> list[str]:
    """Every pair below its minimum, in the words of the code ("fg on bg: 2.1 < 4.5")."""
    problems = []
    for fg, bg, minimum in CONTRAST_PAIRS:
        ratio = contrast_ratio(colors[fg], colors[bg])
        if ratio < minimum:
            problems.append(f"{fg} on {bg}: {ratio:.2f} < {minimum}")
    return problems


def check_colors(colors: dict[str, str]) -> dict[str, str]:
    """Every colour is #rrggbb and every pair has enough contrast; else SettingError in Dutch."""
    checked = {}
    for key in COLOR_KEYS:
        value = (colors.get(key) or "").strip()
        if not HEX_COLOR_RE.match(value):
            raise SettingError(f"{COLOR_LABELS[key]}: schrijf de kleur als #rrggbb, bijvoorbeeld #00507d.")
        checked[key] = value.lower()
    reasons = []
    for fg, bg, minimum in CONTRAST_PAIRS:
        ratio = contrast_ratio(checked[fg], checked[bg])
        if ratio < minimum:
            kind = "tekst" if minimum >= 4.5 else "een rand"
            reasons.append(
                f"{COLOR_LABELS[fg]} op {COLOR_LABELS[bg].lower()} is niet goed te zien: "
                f"het contrast is {ratio:.1f} op 1. Voor {kind} is minstens {minimum:g} op 1 nodig."
            )
    if reasons:
        raise SettingError(" ".join(reasons))
    return checked


# --- site addresses ----------------------------------------------------------------


def check_site_origin(value: str, allow_loopback_http: bool = False) -> str:
    """One site address as a browser sends it: https://host[:port], no path, never '*'.

    allow_loopback_http is for tests only (a site on http://127.0.0.1:port).
    """
    text = (value or "").strip().rstrip("/")
    if not text:
        raise SettingError("Vul een adres in.")
    if "*" in text:
        raise SettingError(f"{text}: een sterretje (*) mag niet. Schrijf elk adres apart.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SettingError(f"{text}: dit is geen goed adres.") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise SettingError(
            f"{text}: schrijf alleen het begin van het adres, zonder pagina. Bijvoorbeeld https://www.gemeente.nl"
        )
    if not host or not HOST_RE.match(host):
        raise SettingError(f"{text}: dit is geen goed adres.")
    loopback_test = allow_loopback_http and scheme == "http" and host in LOOPBACK_HOSTS and port
    if scheme != "https" and not loopback_test:
        raise SettingError(f"{text}: het adres moet beginnen met https://")
    if scheme == "https" and "." not in host:
        raise SettingError(f"{text}: dit is geen adres op internet.")
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def check_origins(lines: list[str], allow_loopback_http: bool = False) -> list[str]:
    seen: list[str] = []
    for line in lines:
        if line.strip():
            origin = check_site_origin(line, allow_loopback_http)
            if origin not in seen:
                seen.append(origin)
    if len(seen) > 50:
        raise SettingError("Je kunt hoogstens 50 adressen opgeven.")
    return seen


# --- words --------------------------------------------------------------------------


def check_greeting(value: str) -> str:
    text = (value or "").strip().replace("\r\n", "\n")
    if not text:
        raise SettingError("Vul een welkomsttekst in.")
    if len(text) > 600:
        raise SettingError("De welkomsttekst is te lang. Gebruik hoogstens 600 tekens.")
    if "112" not in text:
        raise SettingError("Noem 112 in de welkomsttekst. Bijvoorbeeld: Is er nu gevaar? Bel dan meteen 112.")
    return text


def check_line(value: str, what: str, limit: int = 200, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise SettingError(f"Vul {what} in.")
    if len(text) > limit:
        raise SettingError(f"{what[0].upper()}{what[1:]} is te lang. Gebruik hoogstens {limit} tekens.")
    return text


def check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise SettingError("Kies Nederlands of Engels als taal.")
    return value


# --- logo ----------------------------------------------------------------------------


def _strip_references(svg: bytes) -> bytes:
    """svg-hush keeps relative links (it rewrites https://x/y to /y); a logo needs none,
    so every link that does not point inside the file goes, and so does any url()."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)  # svg-hush's own output: no DTD, no entities
    # A logo does not move: animation elements could still set attributes, so they go as well.
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in DROPPED_ELEMENTS:
                parent.remove(child)
    for element in root.iter():
        for name in list(element.attrib):
            value = element.attrib[name]
            outside_link = name in ("href", XLINK_HREF) and not value.startswith("#")
            outside_url = ("url(" in value.replace(" ", "") or "//" in value) and not re.fullmatch(
                r"\s*url\(\s*#[\w.-]+\s*\)\s*", value
            )
            if outside_link or outside_url:
                del element.attrib[name]
        if element.tag == f"{{{SVG_NS}}}style" and re.search(r"url|@|\\|image|//", element.text or "", re.I):
            element.text = ""  # a style sheet that could load something (or hide it with escapes) goes entirely
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def clean_logo(data: bytes) -> tuple[str, bytes]:
    """('png' | 'svg', safe bytes) or SettingError. An SVG keeps only a safe subset:
    no scripts, no event attributes, no foreignObject, no links to other files."""
    if not data:
        raise SettingError("Kies een bestand voor het logo.")
    if len(data) > MAX_LOGO_BYTES:
        raise SettingError(f"Het logo is te groot. Het mag hoogstens {MAX_LOGO_BYTES // 1024} kB zijn.")
    if data.startswith(PNG_MAGIC):
        return "png", data
    head = data[:1024].lstrip().lower()
    if not (head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--")) or b"<svg" not in data:
        raise SettingError("Het logo moet een PNG- of SVG-bestand zijn.")
    try:
        cleaned = filter_svg(data)
        cleaned = _strip_references(cleaned)
    except (ValueError, ET.ParseError):
        raise SettingError("Dit SVG-bestand kunnen we niet lezen. Sla het opnieuw op als SVG of PNG.") from None
    if ET.fromstring(cleaned).tag != f"{{{SVG_NS}}}svg":
        raise SettingError("Het logo moet een PNG- of SVG-bestand zijn.")
    return "svg", cleaned


def logo_data_url(kind: str, data: bytes) -> str:
    mime = "image/svg+xml" if kind == "svg" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


__all__ = [
    "COLOR_KEYS",
    "CONTRAST_PAIRS",
    "SettingError",
    "check_colors",
    "check_greeting",
    "check_origins",
    "check_site_origin",
    "clean_logo",
    "contrast_problems",
    "contrast_ratio",
    "relative_luminance",
]
