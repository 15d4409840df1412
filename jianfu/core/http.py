"""HTTP details every download shares."""

from __future__ import annotations

from urllib.parse import quote


def content_disposition(filename: str, *, inline: bool = False, fallback: str = "") -> str:
    """Content-Disposition that keeps a Chinese file name (RFC 6266 / RFC 5987).

    Old clients read the plain `filename`, an ASCII stand-in (`fallback`, or the name's ASCII
    characters); everyone else reads `filename*`, the real name.
    """
    extension = filename.rsplit(".", 1)[-1] if "." in filename else ""
    ascii_name = fallback or filename.encode("ascii", "ignore").decode()
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    if not ascii_name.strip(". ") or ascii_name == f".{extension}":
        ascii_name = f"document.{extension}" if extension else "document"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
