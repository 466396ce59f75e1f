"""Write the live edits as files (DIR/<name>.j2, DIR/regions/VRxx/<name>.j2) for review in git."""

from __future__ import annotations

from pathlib import Path

from bot.core.regions import is_region_code
from bot.redactie.store import SqliteTemplateStore
from bot.texts.render import NAME_RE


def export(store: SqliteTemplateStore, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    written = []
    for (name, region), version in sorted(store.live_versions().items(), key=lambda kv: (kv[0][1] or "", kv[0][0])):
        if version.source is None:
            continue  # back to the repository text: nothing to export
        # Names come from validated saves; check again so a bad row cannot write outside out_dir.
        if not NAME_RE.match(name) or "/" in name or (region is not None and not is_region_code(region)):
            continue
        path = out_dir / "regions" / region / f"{name}.j2" if region else out_dir / f"{name}.j2"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = version.source if version.source.endswith("\n") else version.source + "\n"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
