"""Pick a CSV file's text encoding (UTF-8, UTF-8 with BOM, GBK/GB18030) and check every line decodes strictly."""
from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes

from ingestion.common.errors import InputFileError

SAMPLE_BYTES = 64 * 1024
_GB_FAMILY = {"gb18030", "gbk", "gb2312", "hz", "cp936"}
_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030"}


def _label(encoding: str) -> str:
    return _LABELS.get(encoding, encoding)


def detect_encoding(path: Path, input_name: str) -> str:
    """'utf-8-sig', 'utf-8' or 'gb18030' judged from the first 64 KB; InputFileError when it is none of them."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
        whole = not handle.read(1)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or sample.count(b"\x00") > len(sample) // 10:
        raise InputFileError(input_name, "file is UTF-16 or binary, not UTF-8 or GBK text; save it as CSV UTF-8")
    sample = sample.replace(b"\x00", b"")  # a few stray NUL bytes: removed while reading, and noted
    if not whole and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # never judge a character cut in half
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = {match.encoding for match in from_bytes(sample)}
    if candidates & _GB_FAMILY and _decodes(sample, "gb18030", whole):
        return "gb18030"
    raise InputFileError(input_name, "file is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8 or GBK")


def _decodes(sample: bytes, encoding: str, whole: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=whole)
    except UnicodeDecodeError:
        return False
    return True


def check_decodes(path: Path, input_name: str, encoding: str, detected: bool) -> None:
    """Decode the file line by line (streaming); InputFileError naming the first line that is not `encoding` text.

    Both UTF-8 and GB18030 never use the byte 0x0A inside a character, so splitting on newlines is safe."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                how = f"the file starts as {_label(encoding)} text" if detected else f"mapping says encoding: {encoding}"
                raise InputFileError(
                    input_name, f"line {number} is not valid {_label(encoding)} text ({how}); save the file as UTF-8"
                ) from None


def text_encoding(path: Path, input_name: str, configured: str) -> str:
    """The encoding to open the file with: detected when `configured` is 'auto'; the whole file is checked."""
    if configured == "auto":
        encoding = detect_encoding(path, input_name)
    else:
        with path.open("rb") as handle:
            has_bom = handle.read(3) == codecs.BOM_UTF8
        encoding = "utf-8-sig" if configured == "utf-8" and has_bom else configured
    check_decodes(path, input_name, encoding, detected=configured == "auto")
    return encoding
