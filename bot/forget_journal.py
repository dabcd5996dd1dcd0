"""Forgets that could not be done yet, written down so a restart cannot lose them.

When /forget cannot erase now (a locked database, a full disk), the conversation reference
(`c-…`, already a keyed hash: never a Telegram id, never message text) is written into
`<data folder>/forget.pending`. The store finishes those erases at its next chance, in this
process or at the next start, and only then clears the entry.

The file is made at full size when the store first opens (SLOTS fixed-width lines), so
writing a reference later overwrites space the file already owns: it works even when the
disk has since filled up. If every slot is in use, a line is appended instead.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("bot.store")

JOURNAL_NAME = "forget.pending"
SLOT = 32  # bytes per line: a reference (at most 31 characters) padded with spaces
SLOTS = 128
_BLANK = b" " * (SLOT - 1) + b"\n"


class ForgetJournal:
    """Fixed-width lines, one reference each; blank lines are free slots."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / JOURNAL_NAME

    def prepare(self) -> None:
        """Make the file at full size now, while the disk has room (idempotent)."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size >= SLOT * SLOTS:
            return
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            os.pwrite(fd, _BLANK * (SLOTS - size // SLOT), size - size % SLOT)
            os.fsync(fd)
        finally:
            os.close(fd)

    def pending(self) -> list[str]:
        """References waiting to be erased, in the order written."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        refs = (line.strip().decode("ascii", "replace") for line in data.split(b"\n"))
        return list(dict.fromkeys(r for r in refs if r))

    def add(self, ref: str) -> bool:
        """Write ref down durably; False (logged) if even that was impossible."""
        raw = ref.encode("ascii")
        if len(raw) >= SLOT or b"\n" in raw:
            raise ValueError("not a conversation reference")
        if ref in self.pending():
            return True
        line = raw.ljust(SLOT - 1) + b"\n"
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                data = os.pread(fd, SLOT * SLOTS * 4, 0)
                free = next((i for i in range(0, len(data) - SLOT + 1, SLOT)
                             if data[i:i + SLOT] == _BLANK), len(data))
                os.pwrite(fd, line, free)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            log.error("could not write down a delayed /forget for %s in %s (%s); it will "
                      "still be done if this process keeps running", ref, self.path,
                      exc.strerror or exc)
            return False
        return True

    def remove(self, ref: str) -> None:
        """Clear ref's line (the erase is done)."""
        raw = ref.encode("ascii", "replace").ljust(SLOT - 1) + b"\n"
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return
        try:
            data = os.pread(fd, SLOT * SLOTS * 4, 0)
            for i in range(0, len(data) - SLOT + 1, SLOT):
                if data[i:i + SLOT] == raw:
                    os.pwrite(fd, _BLANK, i)
            os.fsync(fd)
        except OSError as exc:
            log.warning("could not clear a finished /forget from %s (%s); it will be "
                        "repeated at the next start, which is harmless", self.path,
                        exc.strerror or exc)
        finally:
            os.close(fd)
