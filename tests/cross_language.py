"""An English code tree and Chinese questions about it, for the cross-language tests.

Each query names one English function; nothing in the code shares a character with the
query, so only a multilingual model puts the function first (an English-only one maps the
CJK to unknown tokens). Imports sit inside the functions: a module's import-only chunk is
near every short query for a small model, and how such chunks rank is the fusion's business
(issue 10 part 4), not this model test's. An English note is there so code is not all there is.
"""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "app/config.py": (
        "def parse_config_file(path):\n"
        '    """Read the settings file and return its values as a dict."""\n'
        "    import json\n\n"
        '    with open(path, encoding="utf-8") as handle:\n'
        "        return json.load(handle)\n\n\n"
        "def merge_dictionaries(base, override):\n"
        '    """Combine two mappings; keys of the second win."""\n'
        "    merged = dict(base)\n"
        "    merged.update(override)\n"
        "    return merged\n"
    ),
    "app/net.py": (
        "def upload_with_retries(session, url, payload, attempts=5):\n"
        '    """Send the payload, retrying failed uploads with exponential backoff."""\n'
        "    import time\n\n"
        "    for attempt in range(attempts):\n"
        "        if session.post(url, data=payload).ok:\n"
        "            return True\n"
        "        time.sleep(2 ** attempt)\n"
        "    return False\n\n\n"
        "def download_web_page(session, url):\n"
        '    """Fetch a web page over HTTP and return its HTML text."""\n'
        "    return session.get(url).text\n"
    ),
    "app/stats.py": (
        "def average(values):\n"
        '    """The arithmetic mean of a list of numbers."""\n'
        "    return sum(values) / len(values)\n\n\n"
        "def sort_by_date(records):\n"
        '    """Order records from oldest to newest by their date field."""\n'
        '    return sorted(records, key=lambda r: r["date"])\n'
    ),
    "app/auth.py": (
        "def verify_password(stored_hash, salt, password):\n"
        '    """Check a login password against the stored salted hash."""\n'
        "    import hashlib\n"
        "    import hmac\n\n"
        '    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000)\n'
        "    return hmac.compare_digest(digest, stored_hash)\n"
    ),
    "app/logs.py": (
        "def compress_log_file(path):\n"
        '    """Gzip an old log file next to the original and delete the original."""\n'
        "    import gzip\n"
        "    import shutil\n\n"
        '    with open(path, "rb") as src, gzip.open(f"{path}.gz", "wb") as dst:\n'
        "        shutil.copyfileobj(src, dst)\n"
    ),
    "docs/deploy.md": (
        "# Deploying\n\n"
        "Every Friday afternoon the new version goes to the staging server; tell the team "
        "and back up the database first.\n"
    ),
}

# (query, file, function) - the function the query describes.
QUERIES: tuple[tuple[str, str, str], ...] = (
    ("解析配置文件", "app/config.py", "parse_config_file"),
    ("重试失败的上传", "app/net.py", "upload_with_retries"),
    ("计算平均值", "app/stats.py", "average"),
    ("验证用户密码", "app/auth.py", "verify_password"),
    ("压缩日志文件", "app/logs.py", "compress_log_file"),
    ("下载网页", "app/net.py", "download_web_page"),
    ("合并两个字典", "app/config.py", "merge_dictionaries"),
)


def build_tree(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def rank_of(results: list, root: Path, rel: str, symbol: str) -> int | None:
    """1-based rank of ``symbol`` in ``rel`` among search results, or None."""
    for rank, result in enumerate(results, 1):
        if result.path == str(root / rel) and result.symbol == symbol:
            return rank
    return None
