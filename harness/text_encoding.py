"""Which text encoding a user file is in. Real files are often not UTF-8: Financial PhraseBank is Latin-1,
Windows exports are UTF-16 with a byte-order mark or cp1252. A data spec's `encoding:` names it; `auto` (the
default) detects it and the data report says which encoding was used and how it was chosen.

Detection, in order: a byte-order mark (UTF-8/16/32); strict UTF-8 (which also covers ASCII); charset-normalizer's
guess when it is installed (it comes with `requests`) and names a multi-byte East Asian encoding; cp1252, then
Latin-1 (which decodes every byte). Single-byte code pages cannot be told apart on short files (charset-normalizer
called French cp1252 text cp775 and German Latin-1 text cp1250 in our tries), so Western cp1252/Latin-1 is the
fallback, and `encoding:` names any other. A file with NUL bytes and no UTF-16/32 mark is binary, not text:
that, or a file that the named encoding cannot decode, is the only one-line error."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

AUTO = "auto"
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CHUNK = 1 << 20
_GUESS_BYTES = 1 << 18  # charset-normalizer looks at the first 256 KiB
_FALLBACKS = ("cp1252", "latin-1")
_MULTIBYTE = {"shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "big5", "big5hkscs",
              "euc_kr", "cp949", "johab"}


@dataclass(frozen=True)
class Encoding:
    name: str  # a Python codec name, usable with open(..., encoding=name)
    how: str  # "declared" | "byte-order mark" | "valid UTF-8" | "detected (charset-normalizer)" | "fallback"

    def report(self) -> dict[str, str]:
        return {"encoding": self.name, "encoding_chosen_by": self.how}


def check_name(name: str, where: str) -> None:
    """Refuse an encoding name Python does not know, before any file is read."""
    if name == AUTO:
        return
    try:
        codecs.lookup(name)
    except LookupError:
        raise HarnessError(f"{where}: unknown text encoding '{name}'",
                           "use `auto` or a Python codec name such as utf-8, latin-1, cp1252, utf-16") from None


def _decodes(path: Path, name: str) -> str | None:
    """None if the whole file decodes as `name`, else where it fails (streamed: no whole-file copy in memory)."""
    decoder = codecs.getincrementaldecoder(name)(errors="strict")
    offset = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return f"byte 0x{exc.object[exc.start]:02x} at offset {offset + exc.start}" \
                    if exc.start < len(exc.object) else f"truncated sequence at offset {offset + exc.start}"
            if not chunk:
                return None
            offset += len(chunk)


def _guess(head: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    best = from_bytes(head).best()
    if best is None or best.encoding not in _MULTIBYTE or best.chaos > 0.2:
        return None
    return codecs.lookup(best.encoding).name


def detect(path: Path, declared: str = AUTO) -> Encoding:
    """The encoding to read `path` with; HarnessError only when the file cannot be decoded as text."""
    if declared != AUTO:
        check_name(declared, str(path))
        failure = _decodes(path, declared)
        if failure:
            raise HarnessError(f"{path} is not valid {declared} ({failure})",
                               "set `encoding:` in the data spec to the file's real encoding, or `auto` to detect it")
        return Encoding(declared, "declared")
    with open(path, "rb") as fh:
        head = fh.read(_GUESS_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            failure = _decodes(path, name)
            if failure:
                raise HarnessError(f"{path} starts with a {name} byte-order mark but is not valid {name} ({failure})",
                                   "re-save the file as UTF-8, or set `encoding:` to its real encoding")
            return Encoding(name, "byte-order mark")
    if b"\x00" in head:
        raise HarnessError(f"{path} holds NUL bytes and no byte-order mark: it looks binary, not text",
                           "point the data spec at a text file (JSONL, CSV, text), or set `encoding:` (utf-16-le "
                           "for UTF-16 without a byte-order mark)")
    if _decodes(path, "utf-8") is None:
        return Encoding("utf-8", "valid UTF-8")
    guess = _guess(head)
    if guess and _decodes(path, guess) is None:
        return Encoding(guess, "detected (charset-normalizer)")
    for name in _FALLBACKS:
        if _decodes(path, name) is None:
            return Encoding(name, "fallback (not UTF-8)")
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def read_text(path: Path, declared: str = AUTO) -> tuple[str, Encoding]:
    """The whole file as text (for small files: YAML configs, gate policies), with the encoding used."""
    enc = detect(path, declared)
    return path.read_text(encoding=enc.name), enc
