"""Pillow, run inside the benchmark's virtual environment, in two roles.

fit OUT FILE...      the Pillow peer: each file upright (EXIF orientation), fitted into 4096x2160
                     (2160x4096 for a portrait, as kimi-media's box turns) with
                     LANCZOS (never enlarged), saved as JPEG q90, or PNG where it has alpha (what
                     kimi-media writes by default); one worker process per core, as a user's script
                     with multiprocessing would.
tiles OUT FILE BOX... the Pillow peer of `--tiles auto`: FILE opened once, each box
                     (LEFT,TOP,WIDTH,HEIGHT: kimi-media's own tile boxes, from its manifest) cropped
                     and saved as OUT/tile-NNN.jpg at q90.
screenshot OUT.png   the tall screenshot the tiles workload reads: 1080x12000, a line of text
                     every 36 px (Pillow's default font at 24 px), as a chat or a long web page.
psnr SOURCE OUTPUT   the quality column: luma PSNR (dB) of OUTPUT against a float reference — SOURCE
                     decoded, upright, turned to luma (BT.601 weights) in float (premultiplied by
                     alpha where there is one), resized in float (LANCZOS, Pillow's "F" mode) to
                     OUTPUT's size. Prints the number.
"""
import math, os, sys
from multiprocessing import Pool

from PIL import Image, ImageOps

try:  # HEIC and AVIF sources for the quality column (the peer itself never gets them: Pillow alone cannot read them)
    import pillow_heif
    pillow_heif.register_heif_opener()
    pillow_heif.register_avif_opener()
except ImportError:
    pass

BOX = (4096, 2160)


def _has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _fit_one(job):
    path, out = job
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)
        alpha = _has_alpha(image)
        image = image.convert("RGBA" if alpha else "RGB")
        long, short = BOX
        box = (long, short) if image.width >= image.height else (short, long)  # a portrait's box turns too
        scale = min(1.0, box[0] / image.width, box[1] / image.height)
        if scale < 1:
            image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
        # folder-file: the same name in two folders must not overwrite (as the other tools' targets)
        stem = os.path.join(out, os.path.basename(os.path.dirname(path)) + "-" + os.path.splitext(os.path.basename(path))[0])
        if alpha:
            image.save(stem + ".png")
        else:
            image.save(stem + ".jpg", quality=90)


def fit(out, files):
    with Pool(os.cpu_count() or 1) as pool:
        pool.map(_fit_one, [(f, out) for f in files], chunksize=1)


def tiles(out, path, boxes):
    with Image.open(path) as image:
        image = image.convert("RGB")
        for index, box in enumerate(boxes, 1):
            left, top, width, height = (int(v) for v in box.split(","))
            image.crop((left, top, left + width, top + height)).save(os.path.join(out, f"tile-{index:03d}.jpg"), quality=90)


def screenshot(path):
    from PIL import ImageDraw, ImageFont
    image = Image.new("RGB", (1080, 12000), "white")
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.load_default(size=24)
    except TypeError:  # Pillow before 10.1: the bitmap font
        font = ImageFont.load_default()
    words = "the quick brown fox jumps over the lazy dog while the receipt lists every item bought".split()
    for row, y in enumerate(range(24, 12000 - 36, 36)):
        text = f"{row + 1:4d}  " + " ".join(words[(row + k) % len(words)] for k in range(9))
        draw.text((24, y), text, fill=(20, 20, 20) if row % 7 else (40, 80, 200), font=font)
    image.save(path)


def _luma(image):
    """Luma in float; where the image has alpha, premultiplied by it (what a viewer composites, and
    the quantity a correct resize filters), so colour under transparent pixels counts for nothing."""
    import numpy
    rgb = numpy.asarray(image.convert("RGB"), dtype=numpy.float32)
    luma = rgb @ numpy.array([0.299, 0.587, 0.114], dtype=numpy.float32)
    if _has_alpha(image):
        luma *= numpy.asarray(image.convert("RGBA").getchannel("A"), dtype=numpy.float32) / 255
    return luma


def psnr(source, output):
    import numpy
    with Image.open(source) as s, Image.open(output) as o:
        size = o.size
        reference = Image.fromarray(_luma(ImageOps.exif_transpose(s)), mode="F").resize(size, Image.LANCZOS)
        ours = _luma(o)
    difference = numpy.asarray(reference, dtype=numpy.float64) - ours
    mse = float(numpy.mean(difference * difference))
    return float("inf") if mse == 0 else 10 * math.log10(255 * 255 / mse)


if __name__ == "__main__":
    if sys.argv[1] == "fit":
        fit(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "tiles":
        tiles(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif sys.argv[1] == "screenshot":
        screenshot(sys.argv[2])
    elif sys.argv[1] == "psnr":
        print(f"{psnr(sys.argv[2], sys.argv[3]):.2f}")
    else:
        raise SystemExit(__doc__)
