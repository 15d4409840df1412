from pypinyin import Style, lazy_pinyin


def pinyin_sort_key(text: str) -> str:
    """A key that sorts Chinese names by pinyin identically on every database."""
    return " ".join(lazy_pinyin(text, style=Style.TONE3, errors="default")).lower()[:400]
