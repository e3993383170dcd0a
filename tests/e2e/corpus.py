"""A generated multi-language tree for end-to-end tests: code, Markdown, a PDF and a DOCX.

Every query in QUERIES describes behaviour in plain words (it does not repeat identifiers)
and names the file and symbol (or heading/page) that should answer it.
"""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "backend/uploads.py": '''\
import time


class UploadClient:
    def __init__(self, session, url):
        self.session = session
        self.url = url

    def send_with_retries(self, payload, attempts=5):
        """Try again when sending the file fails, waiting longer after each failure."""
        for attempt in range(attempts):
            response = self.session.post(self.url, data=payload)
            if response.status_code < 500:
                return response
            time.sleep(2 ** attempt)
        raise RuntimeError("upload failed after retries")
''',
    "backend/settings.py": '''\
import configparser


def read_settings(path):
    """Load options from an INI configuration file into a dictionary."""
    parser = configparser.ConfigParser()
    parser.read(path)
    return {section: dict(parser[section]) for section in parser.sections()}
''',
    "backend/throttle.py": '''\
import time


class TokenBucket:
    """Allows at most `rate` requests per second, with bursts up to `capacity`."""

    def __init__(self, rate, capacity):
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = time.monotonic()

    def allow(self):
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
''',
    "web/src/debounce.js": """\
// Delay calling fn until the user has stopped typing for `wait` milliseconds.
export function debounce(fn, wait) {
  let timer = null;
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), wait);
  };
}
""",
    "web/src/format.js": """\
// Turn a byte count into a human readable size such as "3.2 MB".
export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i += 1;
  }
  return `${bytes.toFixed(1)} ${units[i]}`;
}
""",
    "web/src/validate.ts": """\
const EMAIL = /^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$/;

// Check that an e-mail address looks well formed before we submit the sign-up form.
export function isValidEmail(address: string): boolean {
  return EMAIL.test(address.trim());
}
""",
    "server/shutdown.go": """\
package server

import (
\t"context"
\t"net/http"
)

type Server struct {
\thttp *http.Server
}

// Shutdown stops accepting new connections and waits for open requests to finish.
func (s *Server) Shutdown(ctx context.Context) error {
\treturn s.http.Shutdown(ctx)
}
""",
    "algo/src/distance.rs": """\
/// Number of single-character insertions, deletions or substitutions between two strings.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = if ca == *cb { 0 } else { 1 };
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
""",
    "auth/src/PasswordHasher.java": """\
package auth;

import java.security.MessageDigest;
import java.security.SecureRandom;

public class PasswordHasher {
    private final SecureRandom random = new SecureRandom();

    /** Hash a user's password together with a freshly generated random salt. */
    public byte[] hashPassword(String password) throws Exception {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        digest.update(salt);
        return digest.digest(password.getBytes("UTF-8"));
    }
}
""",
    "lib/list.c": """\
#include <stddef.h>

struct node { int value; struct node *next; };

/* Reverse the order of a singly linked list in place and return the new head. */
struct node *reverse_list(struct node *head) {
    struct node *prev = NULL;
    while (head) {
        struct node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}
""",
    "ops/backup.sh": """\
#!/usr/bin/env bash
# Archive the home directory into a compressed tarball and remove archives older than a week.
make_backup() {
  local target="/backups/home-$(date +%F).tar.gz"
  tar -czf "$target" "$HOME"
  find /backups -name 'home-*.tar.gz' -mtime +7 -delete
}
""",
    "README.md": """\
# Orbit

Orbit syncs your photo library between devices.

## Installation

Install with pip and run `orbit init` in your library folder.

## Troubleshooting

### Database is locked

Another Orbit process holds the catalogue. Quit the other window, or delete the stale
lock file in the library folder, then start Orbit again.
""",
}

# (query, file, symbol or heading/page the answer must carry)
QUERIES: list[tuple[str, str, str | None]] = [
    # A small class is one chunk, so a query about its method lands on the class.
    ("where do we try the upload again after it fails", "backend/uploads.py", "UploadClient"),
    ("load options from a config file", "backend/settings.py", "read_settings"),
    ("limit how many requests are allowed each second", "backend/throttle.py", "TokenBucket"),
    (
        "wait until the user stops typing before running the callback",
        "web/src/debounce.js",
        "debounce",
    ),
    ("show file sizes in megabytes for people", "web/src/format.js", "formatBytes"),
    ("check that an email address is well formed", "web/src/validate.ts", "isValidEmail"),
    ("stop the web server gracefully", "server/shutdown.go", "Server.Shutdown"),
    ("edit distance between two words", "algo/src/distance.rs", "levenshtein"),
    ("salt and hash user passwords", "auth/src/PasswordHasher.java", "PasswordHasher"),
    ("reverse a linked list", "lib/list.c", "reverse_list"),
    (
        "compress the home folder into an archive and delete old backups",
        "ops/backup.sh",
        "make_backup",
    ),
    ("what to do when the catalogue database is locked", "README.md", None),
    ("how much did sales grow in europe last quarter", "reports/q3.pdf", None),
    ("how many days of paid holiday do employees get", "handbook/policies.docx", None),
]


def build_corpus(root: Path) -> Path:
    from tests.indexer.docs_fixtures import make_docx, make_pdf

    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "reports").mkdir(parents=True, exist_ok=True)
    make_pdf(
        root / "reports" / "q3.pdf",
        [
            ["Quarterly report", "The team shipped the new onboarding flow in July."],
            [
                "Regional results",
                "Revenue in Europe increased by twelve percent compared with the previous "
                "quarter, driven by subscriptions in Germany and France.",
            ],
        ],
    )
    (root / "handbook").mkdir(parents=True, exist_ok=True)
    make_docx(
        root / "handbook" / "policies.docx",
        [
            ("Heading 1", "Employee handbook"),
            ("Heading 2", "Vacation"),
            ("Normal", "Every employee receives twenty-five days of paid leave per year."),
            ("Heading 2", "Equipment"),
            ("Normal", "Laptops are replaced every three years."),
        ],
    )
    return root
