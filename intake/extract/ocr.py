"""Scans and photos to Layout: tesseract's word boxes placed like a PDF's glyphs.

A page image (an image-only PDF page rendered by pdftoppm at 200 dpi, or an attached JPEG,
PNG or TIFF) is turned upright by its EXIF tag, deskewed by a projection profile, searched for
the table's ruling lines, and read by `tesseract … tsv` (one thread, a timeout). Each word
becomes one glyph in PDF points, and the rules become the PDF reader's rules, so the same
code (pdf_reader.lines_of, layout_of) finds the cells and paragraphs and the same form reader
reads them. This runs inside the isolated worker: its memory limit holds for tesseract too
(a child inherits RLIMIT_AS), and every step shares the file's one parse-time deadline.

One algorithm, kept whole: its steps (upright, deskew, rules, tesseract, glyphs) are one
sequence under one deadline and one memory limit, and each feeds the next.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake.extract.handwriting import DEFAULT_LABELS, Labels, evidence, find_ink, fold
from intake.extract.layout import Layout
from intake.extract.model import ExtractionError, ExtractLimits
from intake.extract.ocr_repair import BUILTIN_VOCABULARY, repair_word, vocabulary

DPI = 200
PT = 72.0 / DPI  # PDF points per pixel at DPI
# A photo is scaled to about a page's width at DPI; a bigger image is refused undecoded.
PAGE_WIDTH_PX = 1700
# The pixel cap: a larger image, or a PDF page that would render larger at DPI, is refused
# from its header or MediaBox, before it is decoded or rendered (an A3 page at DPI is 15 M).
MAX_PIXELS = 40_000_000
# A ruling line: a run of dark pixels at least this long (px); text strokes are shorter.
RULE_MIN_PX = 180
DARK = 150  # grey level below which a pixel is ink
RULE_DARK = 200  # a thin rule, blurred, is light grey; the paper is white after flatten()
PACKAGE = "tesseract-ocr"


@dataclass
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float  # 0..100
    line_height: int


def preload() -> None:
    """Import what OCR needs before a memory limit is set (Pillow, no numpy: numpy maps
    over 100 MB of address space, most of a worker's allowance)."""
    from PIL import Image, ImageFilter, ImageMath, ImageOps, ImageSequence  # noqa: F401

    _cap_pillow()


def _cap_pillow() -> None:
    """Pillow's own bomb check at our cap (it raises above twice the cap, warns above it),
    a second guard for every image Pillow opens here (a TIFF's frames, pdftoppm's pages)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _too_many_pixels(filename: str, what: str) -> ExtractionError:
    return ExtractionError(
        "too_large",
        f"{filename} är för stor {what} för att läsas med OCR "
        f"(gränsen är {MAX_PIXELS // 1_000_000} miljoner bildpunkter).",
    )


def available() -> bool:
    return shutil.which("tesseract") is not None


# The shorter side of an image that can be a page (a scan at 100 dpi, a phone photo).
MIN_PAGE_SIDE_PX = 700


def is_page_image(data: bytes) -> bool:
    """Whether an image's size (read from its header, not decoded) can be a page."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return min(img.size) >= MIN_PAGE_SIDE_PX
    except (OSError, ValueError, Image.DecompressionBombError):
        return True  # a damaged image is tried, and quarantined with the reason


def _deadline_left(deadline: float, filename: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ExtractionError("timeout", f"{filename} tog för lång tid att läsa med OCR.")
    return left


def _missing(tool: str, package: str) -> ExtractionError:
    return ExtractionError(
        "unsupported",
        f"Inskannad bild: {tool} saknas, så den kan inte läsas med OCR "
        f"(installera paketet {package}).",
    )


def _run(cmd: list[str], deadline: float, filename: str) -> bytes:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            env=env,
            timeout=_deadline_left(deadline, filename),
            check=False,
        )
    except FileNotFoundError as exc:
        raise _missing(cmd[0], PACKAGE if cmd[0] == "tesseract" else "poppler-utils") from exc
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("timeout", f"{filename} tog för lång tid att läsa med OCR.") from exc
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise ExtractionError(
            "corrupt", f"{cmd[0]} kunde inte läsa {filename.lower()}: {why[0][:120]}"
        )
    return done.stdout


def check_page_sizes(data: bytes, pages: int, limits: ExtractLimits, filename: str) -> None:
    """Refuse a PDF whose first `pages` pages would render above the pixel cap at DPI, from
    each page's MediaBox (poppler clips the CropBox to it): pdftoppm, out of memory, writes
    an empty page and exits 0, so the page must never reach it."""
    from pdfminer.pdfpage import PDFPage

    from intake.extract.preflight import open_pdf

    doc = open_pdf(data, limits)
    try:
        for number, page in enumerate(itertools.islice(PDFPage.create_pages(doc), pages), 1):
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            w = math.ceil(abs(x1 - x0) / 72 * DPI)
            h = math.ceil(abs(y1 - y0) / 72 * DPI)
            if w * h > MAX_PIXELS:
                raise _too_many_pixels(filename, f"(sidan {number} blir {w} × {h} bildpunkter)")
    except ExtractionError:
        raise
    except (TypeError, ValueError) as exc:
        raise ExtractionError("corrupt", f"{filename} har en felaktig sidstorlek.") from exc


def render_pdf(data: bytes, folder: Path, pages: int, deadline: float, filename: str) -> list[Path]:
    """The first `pages` pages as 8-bit grey PGM files, in page order."""
    if shutil.which("pdftoppm") is None:
        raise _missing("pdftoppm", "poppler-utils")
    src = folder / "in.pdf"
    src.write_bytes(data)
    cmd = ["pdftoppm", "-r", str(DPI), "-gray", "-l", str(pages), str(src), str(folder / "p")]
    _run(cmd, deadline, filename)
    return sorted(folder.glob("p-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def _open(data: bytes, filename: str) -> Any:
    """The image upright (EXIF orientation), grey, at about a page's width at DPI."""
    from PIL import Image, ImageOps

    try:
        # Image.open reads the header only; our check below names the size, so Pillow's
        # own (which would warn or refuse without it) waits until that check is done.
        Image.MAX_IMAGE_PIXELS = None
        try:
            opened = Image.open(io.BytesIO(data))
        finally:
            _cap_pillow()
        w, h = opened.size
        if min(w, h) < MIN_PAGE_SIDE_PX:
            raise ExtractionError(
                "wrong_type",
                f"{filename} är för liten ({w} × {h} bildpunkter) för att vara en inskannad "
                "sida eller ett foto av en rapport.",
            )
        if w * h > MAX_PIXELS:
            raise _too_many_pixels(filename, f"({w} × {h} bildpunkter)")
        img: Image.Image = ImageOps.exif_transpose(opened).convert("L")
    except ExtractionError:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(filename, "(mer än dubbla gränsen)") from exc
    except (OSError, ValueError) as exc:
        raise ExtractionError(
            "corrupt", f"{filename} är skadad och kan inte läsas ({type(exc).__name__})."
        ) from exc
    # The shorter side is the page's width: a landscape image is most often a page on its side.
    short = min(img.size)
    if short > PAGE_WIDTH_PX * 1.15:
        scale = PAGE_WIDTH_PX / short
        size = (round(img.width * scale), round(img.height * scale))
        img = img.resize(size, Image.Resampling.LANCZOS)
    return img


def _ink_rows(img: Any, dark: int) -> list[float]:
    """The share of ink on each row (a box-filtered one-pixel-wide copy)."""
    from PIL import Image

    ink = img.point(lambda v: 255 if v < dark else 0)
    return [v / 255 for v in ink.resize((1, img.height), Image.Resampling.BOX).getdata()]


def deskew(img: Any) -> Any:
    """The page turned straight: the small angle (±3°) whose rows of ink are sharpest."""
    from PIL import Image

    small = img.reduce(4)
    best, best_score = 0.0, -1.0
    for tenth in range(-30, 31):
        angle = tenth / 10
        turned = small.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=255)
        rows = _ink_rows(turned, DARK)
        score = sum((b - a) ** 2 for a, b in itertools.pairwise(rows))
        if score > best_score:
            best, best_score = angle, score
    if best == 0.0:
        return img
    return img.rotate(best, resample=Image.Resampling.BICUBIC, fillcolor=255)


def flatten(img: Any) -> Any:
    """Uneven light (a lamp, a phone's shadow) divided away: each pixel against the paper's
    brightness around it (the brightest in its neighbourhood), so ink is dark everywhere."""
    from PIL import Image, ImageFilter, ImageMath

    small = img.reduce(16).filter(ImageFilter.MaxFilter(5))
    paper = small.resize(img.size, Image.Resampling.BILINEAR).point(lambda v: max(v, 1))
    out = ImageMath.lambda_eval(
        lambda e: e["min"](e["a"] * 255 / e["b"], 255), a=img.convert("F"), b=paper.convert("F")
    )
    return out.convert("L")


BLOCK = 15  # px: rules are found as runs of blocks of a row that are almost all ink


def _rule_runs(img: Any, min_len: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of the runs of ink along each row at least `min_len` long."""
    from PIL import Image

    ink = img.point(lambda v: 255 if v < RULE_DARK else 0)
    cols = max(1, img.width // BLOCK)
    blocks = ink.resize((cols, img.height), Image.Resampling.BOX)
    data = blocks.tobytes()
    need = max(1, min_len // BLOCK)
    out: list[tuple[int, int, int]] = []
    full = 240  # of 255: at least 94 % of the block's pixels are ink (bold text is less)
    for row in range(img.height):
        line = data[row * cols : (row + 1) * cols]
        start = -1
        for i in range(cols + 1):
            on = i < cols and line[i] >= full
            if on and start < 0:
                start = i
            elif not on and start >= 0:
                if i - start >= need:
                    out.append((row, start * BLOCK, i * BLOCK))
                start = -1
    return out


def _merge(runs: Iterable[tuple[int, int, int]]) -> list[tuple[float, float, float]]:
    """Runs on neighbouring rows that overlap make one rule: (centre, start, end) in px."""
    groups: list[list[int]] = []  # last row, start, end, first row
    for row, a, b in sorted(runs):
        for g in groups:
            if row - g[0] <= 3 and min(b, g[2]) - max(a, g[1]) > 0.5 * min(b - a, g[2] - g[1]):
                g[0], g[1], g[2] = row, min(a, g[1]), max(b, g[2])
                break
        else:
            groups.append([row, a, b, row])
    return [((g[3] + g[0]) / 2, float(g[1]), float(g[2])) for g in groups]


def rules(img: Any) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal (y, x0, x1) and vertical (x, top, bottom) ruling lines, in points."""
    from PIL import Image

    pad = float(BLOCK)  # a run is found to the block; a blurred line ends a little early
    found_h = _merge(_rule_runs(img, RULE_MIN_PX))
    turned = img.transpose(Image.Transpose.TRANSPOSE)
    found_v = _merge(_rule_runs(turned, RULE_MIN_PX // 3 + 8))
    hs = [(y * PT, (a - pad) * PT, (b + pad) * PT) for y, a, b in found_h]
    vs = [(x * PT, (a - pad) * PT, (b + pad) * PT) for x, a, b in found_v]
    return hs, vs


def parse_tsv(tsv: str) -> list[Word]:
    """Words (level 5) of tesseract's TSV, each with the height of its line (level 4)."""
    words: list[Word] = []
    line_h = 0
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        level, left, top, width, height = (int(c) for c in (cols[0], *cols[6:10]))
        if level == 4:
            line_h = height
        elif level == 5 and cols[11].strip():
            words.append(Word(cols[11].strip(), left, top, width, height, float(cols[10]), line_h))
    return words


def _glyphs(words: list[Word]) -> list[Any]:
    """Words as the PDF reader's glyphs, in points; one body size per page (word boxes vary
    with ascenders), a line clearly taller than it keeps its own (a heading)."""
    from intake.extract.pdf_reader import Glyph

    if not words:
        return []
    body = statistics.median(w.line_height for w in words)
    out = []
    for w in words:
        h = w.line_height if not 0.7 * body <= w.line_height <= 1.35 * body else body
        out.append(
            Glyph(
                w.text,
                w.left * PT,
                (w.left + w.width) * PT,
                w.top * PT,
                (w.top + w.height) * PT,
                round(h * PT * 0.8, 1),
            )
        )
    return out


# Words read at least this sure (tesseract's 0..100) lend their Swedish letters to the others.
VOCABULARY_CONF = 80.0


def _vocabulary(limits: ExtractLimits, words: Iterable[Word]) -> dict[str, str]:
    """The words a misread word may be repaired to: the form definitions' own words, the
    public bodies of BUILTIN_VOCABULARY, and the document's words read with their letters."""
    from intake.extract.forms import FormError, load_forms

    texts: list[str] = list(BUILTIN_VOCABULARY)
    try:
        forms = load_forms(limits.forms)
    except FormError:
        forms = ()
    for form in forms:
        texts.extend((form.description, *form.title_words))
        texts.extend(label for f in form.fields for label in f.labels)
        texts.extend(t for s in form.sections for t in (s.title, *s.synonyms, s.helper))
    texts.extend(w.text for w in words if w.conf >= VOCABULARY_CONF)
    return vocabulary(texts)


def _signature_labels(limits: ExtractLimits) -> Labels:
    """The signature section's heading words and name labels, from the form definitions (the
    section holding `submitter_name`), with the shipped form's as a floor."""
    from intake.extract.forms import FormError, load_forms

    heads, names = set(DEFAULT_LABELS.headings), set(DEFAULT_LABELS.names)
    try:
        forms = load_forms(limits.forms)
    except FormError:
        forms = ()
    for form in forms:
        for f in form.fields:
            if f.key != "submitter_name":
                continue
            names.update(fold(label) for label in f.labels if len(label.split()) == 1)
            section = form.section(f.section) if f.section else None
            if section is not None:
                heads.update(fold(t) for t in (section.title, *section.synonyms) if " " not in t)
    return Labels(frozenset(heads), frozenset(names))


def _read_page(
    img: Any, path: Path, limits: ExtractLimits, deadline: float, filename: str
) -> tuple[Any, list[Word]]:
    """One page straightened, cleaned and read: (the image read, its words). A page read
    poorly (sideways or upside down, and no EXIF tag said so) is turned as tesseract's
    orientation detection says and read again; the better reading is kept."""
    img = flatten(deskew(img))
    words = _tesseract(img, path, limits, deadline, filename)
    if _upright(words):
        return img, words
    turn = _orientation(path, deadline, filename)
    if not turn:
        return img, words
    from PIL import Image

    transpose = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    turned = deskew(img.transpose(transpose[turn]))
    again = _tesseract(turned, path, limits, deadline, filename)
    if _upright(again) or _mean_conf(again) > _mean_conf(words):
        return turned, again
    return img, words


# A page whose words tesseract is on average less sure of than this (0..100) may be turned:
# an upright page reads at 90 and more, a sideways one at about 50.
UPRIGHT_CONF = 70.0
# The orientation detection's confidence below which its answer is not acted on.
OSD_MIN_CONF = 2.0
_ROTATE_RE = re.compile(r"Rotate:\s*(\d+)")
_OSD_CONF_RE = re.compile(r"Orientation confidence:\s*([\d.]+)")


def _tesseract(
    img: Any, path: Path, limits: ExtractLimits, deadline: float, filename: str
) -> list[Word]:
    img.save(path)  # uncompressed PGM: PNG would cost 0.5 s a page
    cmd = ["tesseract", str(path), "-", "-l", limits.ocr_languages, "--dpi", str(DPI)]
    return parse_tsv(_run([*cmd, "tsv"], deadline, filename).decode("utf-8", "replace"))


def _upright(words: list[Word]) -> bool:
    """Read well, and in lines across the page: tesseract reads some sideways pages as
    vertical text, sure of the words but with boxes taller than wide."""
    long_words = [w for w in words if len(w.text) >= 4]
    tall = sum(1 for w in long_words if w.height > w.width)
    return _mean_conf(words) >= UPRIGHT_CONF and tall * 2 < len(long_words)


def _mean_conf(words: list[Word]) -> float:
    confs = [w.conf for w in words if w.conf >= 0]
    return sum(confs) / len(confs) if confs else 0.0


def _orientation(path: Path, deadline: float, filename: str) -> int:
    """Degrees (90, 180, 270) the page at `path` must be turned clockwise to be upright, by
    tesseract's orientation detection (`--psm 0`, the osd model); 0 when upright, unsure,
    or the osd model is not installed."""
    cmd = ["tesseract", str(path), "-", "--psm", "0", "-l", "osd", "--dpi", str(DPI)]
    try:
        out = _run(cmd, deadline, filename).decode("utf-8", "replace")
    except ExtractionError as exc:
        if exc.code == "timeout":
            raise
        return 0  # too little text to tell, or no osd.traineddata
    rotate, conf = _ROTATE_RE.search(out), _OSD_CONF_RE.search(out)
    if rotate is None or conf is None or float(conf.group(1)) < OSD_MIN_CONF:
        return 0
    degrees = int(rotate.group(1)) % 360
    return degrees if degrees in (90, 180, 270) else 0


def read_images(images: list[Any], limits: ExtractLimits, deadline: float, filename: str) -> Layout:
    """Layout of page images (PIL, grey), read in order."""
    from intake.extract.pdf_reader import PAGE_STRIDE, layout_of, lines_of

    if not available():
        raise _missing("tesseract", PACKAGE)
    pages = []
    heights: list[float] = []
    confs: dict[str, list[float]] = {}
    all_confs: list[float] = []
    read: list[tuple[list[Word], Any]] = []
    with tempfile.TemporaryDirectory(prefix="casefile-ocr-") as tmp:
        for i, img in enumerate(images):
            img, words = _read_page(img, Path(tmp) / f"page-{i}.pgm", limits, deadline, filename)
            read.append((words, img))
    vocab = _vocabulary(limits, (w for words, _ in read for w in words))
    labels = _signature_labels(limits)
    handwritten: list[dict[str, Any]] = []
    for i, (words, img) in enumerate(read):
        for w in words:
            w.text = repair_word(w.text, vocab)
            if w.conf >= 0:
                all_confs.append(w.conf)
                confs.setdefault(_key(w.text), []).append(w.conf)
        hs, vs = rules(img)
        pages.append(lines_of(i, _glyphs(words), hs, vs))
        heights.append(img.height * PT)
        ink = find_ink(img, words, labels)
        if ink is not None:
            handwritten.append(evidence(i + 1, ink))
    layout = layout_of(pages, heights)
    layout.page_stride = PAGE_STRIDE
    layout.pages = len(images)
    layout.source = "ocr"
    mean = sum(all_confs) / len(all_confs) / 100 if all_confs else 0.0
    layout.ocr = {"pages": len(images), "mean_confidence": round(mean, 2)}
    layout.word_confidence = {k: sum(v) / len(v) / 100 for k, v in confs.items()}
    layout.signatures = handwritten
    return layout


_KEY_STRIP = re.compile(r"^\W+|\W+$")


def _key(word: str) -> str:
    return _KEY_STRIP.sub("", word.casefold())


def field_confidence(fields: dict[str, Any], words: dict[str, float]) -> dict[str, float]:
    """Per field read, the mean confidence (0..1) of the OCR words its value is made of."""
    from intake.extract.normalize import format_amount

    out: dict[str, float] = {}
    for key, value in fields.items():
        if value in (None, "", []):
            continue
        text = format_amount(value) if isinstance(value, int) else str(value)
        found = [words[k] for k in map(_key, text.split()) if k in words]
        if found:
            out[key] = round(sum(found) / len(found), 2)
    return out


def read_scan_pdf(data: bytes, filename: str, limits: ExtractLimits) -> Layout:
    """An image-only PDF: its first `ocr_max_pages` pages rendered and read. `filename` is
    how messages name the file ("PDF-filen", "JPEG-bilden"), at the start of a sentence."""
    from PIL import Image

    deadline = time.monotonic() + limits.timeout_seconds
    if not limits.ocr:
        raise ExtractionError(
            "unsupported",
            f"{filename} är en inskannad bild (utan text); OCR är avstängt.",
        )
    check_page_sizes(data, limits.ocr_max_pages, limits, filename)
    with tempfile.TemporaryDirectory(prefix="casefile-ocr-") as tmp:
        paths = render_pdf(data, Path(tmp), limits.ocr_max_pages, deadline, filename)
        images = []
        for p in paths:
            with Image.open(p) as im:
                images.append(im.convert("L"))
    return read_images(images, limits, deadline, filename)


def read_image(data: bytes, filename: str, limits: ExtractLimits) -> Layout:
    """A photo or scanned image (JPEG, PNG, TIFF: every frame, up to `ocr_max_pages`)."""
    from PIL import ImageSequence

    deadline = time.monotonic() + limits.timeout_seconds
    if not limits.ocr:
        raise ExtractionError(
            "unsupported", f"{filename} är en inskannad bild eller ett foto; OCR är avstängt."
        )
    first = _open(data, filename)
    images = [first]
    from PIL import Image

    with Image.open(io.BytesIO(data)) as multi:
        frames = getattr(multi, "n_frames", 1)
        if frames > 1:
            images = []
            for n, frame in enumerate(ImageSequence.Iterator(multi)):
                if n >= limits.ocr_max_pages:
                    break
                fw, fh = frame.size  # a later frame has its own header: check before decoding
                if fw * fh > MAX_PIXELS:
                    raise _too_many_pixels(filename, f"({fw} × {fh} bildpunkter)")
                buf = io.BytesIO()
                frame.save(buf, format="PNG")
                images.append(_open(buf.getvalue(), filename))
    return read_images(images, limits, deadline, filename)


# Several photos or scans of one report's pages, sent as separate attachments, travel to the
# isolated worker as one bundle (the images in attachment order) and are read as one document.
PAGES_KIND = "image_pages"
_PAGES_MAGIC = b"CASEFILE-PAGES\n"


def pack_pages(images: list[bytes]) -> bytes:
    """The images as one bundle: a magic line, then each image's length (8 bytes) and bytes."""
    out = bytearray(_PAGES_MAGIC)
    for data in images:
        out += len(data).to_bytes(8, "big") + data
    return bytes(out)


def unpack_pages(bundle: bytes, max_pages: int) -> list[bytes]:
    """The images of a bundle (at most `max_pages`); a damaged bundle raises."""
    if not bundle.startswith(_PAGES_MAGIC):
        raise ExtractionError("corrupt", "Sidbunten är skadad.")
    pos, out = len(_PAGES_MAGIC), list[bytes]()
    while pos < len(bundle) and len(out) < max_pages:
        size = int.from_bytes(bundle[pos : pos + 8], "big")
        pos += 8
        if size <= 0 or pos + size > len(bundle):
            raise ExtractionError("corrupt", "Sidbunten är skadad.")
        out.append(bundle[pos : pos + size])
        pos += size
    return out


def read_image_pages(bundle: bytes, limits: ExtractLimits) -> Layout:
    """Photos or scans of one report's pages (a bundle of pack_pages), each turned upright by
    its own EXIF tag, read in order as one document of `ocr_max_pages` pages at most."""
    deadline = time.monotonic() + limits.timeout_seconds
    if not limits.ocr:
        raise ExtractionError(
            "unsupported", "Bilderna är inskannade sidor eller foton; OCR är avstängt."
        )
    pages = unpack_pages(bundle, limits.ocr_max_pages)
    images = [_open(data, f"Bild {n}") for n, data in enumerate(pages, 1)]
    return read_images(images, limits, deadline, "Bilderna")
