#!/usr/bin/env python3
"""Generates the Imaging parity fixtures in Tests/Fixtures/images/ (seeded, deterministic).

Reference: transformers' CLIPImageProcessor with the PIL backend. In transformers 5 the class named
`CLIPImageProcessor` is the torchvision backend; torchvision is not installed here, so this script uses
`CLIPImageProcessorPil` (what `AutoImageProcessor` returns without torchvision), which runs Pillow's resize
on uint8 images, the historical CLIP behaviour.

For every source image it writes:
  expected/<name>.decoded.png      Image.open(p).convert("RGB") (alpha dropped), 8-bit RGB
  expected/<name>.<config>.png     the uint8 image after resize + center crop, i.e. u such that
                                   CLIPImageProcessorPil's pixel_values == (float32(u * rescale) - mean) / std.
                                   The script recovers u from pixel_values and asserts that this
                                   reconstruction reproduces pixel_values to within 1e-6.
and manifest.json describing every case, the error cases, the resize cases and the versions used.

Usage: python3 Tests/Fixtures/gen_images.py     (numpy, Pillow, transformers; no network)
"""
import io
import json
import os
import struct
import zlib

import numpy as np
import PIL
import transformers
from PIL import Image, features
from transformers import CLIPImageProcessorPil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "images")
EXPECTED = os.path.join(OUT, "expected")
CONFIGS = os.path.join(OUT, "configs")

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

# Processor configs, written as preprocessor_config.json files in the forms found on the Hub.
CONFIG_JSON = {
    # openai/clip-vit-base-patch32 as published: int size and crop_size.
    "default": {"crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": MEAN, "image_std": STD,
                "resample": 3, "size": 224},
    # Dictionary forms, smaller crop so most fixtures stay small.
    "crop64": {"size": {"shortest_edge": 64}, "crop_size": {"height": 64, "width": 64},
               "do_resize": True, "do_center_crop": True, "do_rescale": True, "rescale_factor": 1 / 255,
               "do_normalize": True, "image_mean": MEAN, "image_std": STD, "do_convert_rgb": True,
               "resample": 3, "image_processor_type": "CLIPImageProcessor"},
    # Crop larger than the resized image: transformers pads with zeros.
    "pad": {"size": 40, "crop_size": {"height": 64, "width": 56}, "image_mean": MEAN, "image_std": STD,
            "image_processor_type": "CLIPImageProcessor"},
    # Exact resize, non-square crop, other mean/std, bilinear.
    "exact": {"size": {"height": 50, "width": 70}, "crop_size": {"height": 40, "width": 64},
              "image_mean": [0.5, 0.4, 0.3], "image_std": [0.25, 0.2, 0.3], "resample": 2,
              "image_processor_type": "CLIPImageProcessor"},
}


def content(h, w, seed, noise=10.0):
    """Smooth ramps and waves, hard-edged discs (saturated, so bicubic overshoot gets clipped), noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = x / max(w - 1, 1), y / max(h - 1, 1)
    img = np.stack([
        255 * u,
        255 * (0.5 + 0.5 * np.sin(2 * np.pi * (3 * v + u * 1.5))),
        255 * (1 - 0.7 * v) * (0.5 + 0.5 * np.cos(2 * np.pi * 5 * u * v)),
    ], axis=-1)
    for _ in range(4):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.08, 0.3) * min(h, w)
        disc = (y - cy) ** 2 + (x - cx) ** 2 < r * r
        img[disc] = rng.choice([0.0, 255.0], size=3)
    img += rng.normal(0, noise, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def alpha_channel(h, w, seed):
    """Alpha with fully transparent, fully opaque and partial regions."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    a = (255 * x / max(w - 1, 1)).astype(np.int64)
    a[: h // 4] = 0
    a[-(h // 4):] = 255
    a = a + rng.integers(-20, 21, size=a.shape) * ((a > 0) & (a < 255))
    return np.clip(a, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- a minimal PNG writer
# Pillow cannot write 16-bit RGB(A), 2/4-bit gray or interlaced PNGs; this writer covers those.

def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _pack_rows(samples, depth):
    """samples: (h, w*channels) unsigned ints → list of row bytes at `depth` bits per sample."""
    rows = []
    for row in samples:
        if depth == 16:
            rows.append(row.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(row.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            padded = np.zeros(-(-len(row) // per) * per, dtype=np.int64)
            padded[: len(row)] = row
            padded = padded.reshape(-1, per)
            shifts = depth * np.arange(per - 1, -1, -1)
            rows.append((padded << shifts).sum(axis=1).astype(np.uint8).tobytes())
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, samples, color_type, depth, interlace=False, plte=None, trns=None):
    """samples: (h, w, channels) array of unsigned sample values."""
    h, w = samples.shape[:2]
    channels = samples.shape[2]
    raw = b""
    images = [samples] if not interlace else [samples[y0::dy, x0::dx] for x0, y0, dx, dy in ADAM7]
    for sub in images:
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in _pack_rows(sub.reshape(sub.shape[0], -1), depth):
            raw += b"\x00" + row
    data = b"\x89PNG\r\n\x1a\n"
    data += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    if plte is not None:
        data += _chunk(b"PLTE", bytes(np.asarray(plte, dtype=np.uint8).ravel()))
    if trns is not None:
        data += _chunk(b"tRNS", trns)
    data += _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)
    del channels


# ---------------------------------------------------------------- sources

def make_sources():
    """Writes the source images; returns [(file, note)]."""
    s = []

    def save(im, name, **kw):
        im.save(os.path.join(OUT, name), **kw)
        s.append(name)

    # JPEG: several sizes and aspect ratios, subsamplings, progressive, gray, CMYK.
    save(Image.fromarray(content(480, 640, 1, noise=6)), "rgb_640x480.jpg", quality=90)
    save(Image.fromarray(content(200, 300, 2)), "rgb_300x200.jpg", quality=85)
    save(Image.fromarray(content(300, 200, 3)), "rgb_200x300_444.jpg", quality=92, subsampling=0)
    save(Image.fromarray(content(224, 224, 4)), "rgb_224x224.jpg", quality=80)
    save(Image.fromarray(content(53, 37, 5)), "rgb_37x53.jpg", quality=95)
    save(Image.fromarray(content(150, 200, 6)), "rgb_200x150_progressive.jpg", quality=85, progressive=True)
    save(Image.fromarray(content(90, 160, 7)).convert("L"), "gray_160x90.jpg", quality=90)
    save(Image.fromarray(content(64, 96, 8)).convert("CMYK"), "cmyk_96x64.jpg", quality=90)
    save(Image.fromarray(content(30, 400, 9)), "rgb_400x30.jpg", quality=90)

    # PNG written by Pillow: RGB, RGBA, L, LA, P, P with transparency, 16-bit gray (I;16), 1-bit.
    save(Image.fromarray(content(53, 37, 10)), "rgb_37x53.png")
    save(Image.fromarray(content(300, 200, 11, noise=4)), "rgb_200x300.png")
    save(Image.fromarray(content(9, 12, 12)), "rgb_12x9.png")
    # Tall (aspect > 2): Pillow runs the vertical pass first when shrinking it.
    save(Image.fromarray(content(300, 90, 34)), "rgb_90x300_tall.png")
    rgba = np.dstack([content(90, 120, 13), alpha_channel(90, 120, 14)])
    save(Image.fromarray(rgba, "RGBA"), "rgba_120x90.png")
    save(Image.fromarray(content(37, 53, 15)).convert("L"), "gray_53x37.png")
    la = np.dstack([np.array(Image.fromarray(content(48, 64, 16)).convert("L")), alpha_channel(48, 64, 17)])
    save(Image.fromarray(la, "LA"), "la_64x48.png")
    pal = Image.fromarray(content(75, 100, 18)).quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    save(pal, "p_100x75.png")
    pt = Image.fromarray(content(60, 80, 19)).quantize(colors=32, method=Image.Quantize.MEDIANCUT)
    trns = bytes([0, 128, 255, 64] * 8)  # per-entry palette alpha
    save(pt, "p_trns_80x60.png", transparency=trns)
    g16 = (content(70, 90, 20)[..., 0].astype(np.uint16) * 257 + np.random.default_rng(21).integers(0, 257, (70, 90))).astype(np.uint16)
    save(Image.fromarray(g16), "gray16_90x70.png")
    bits = Image.fromarray(content(17, 33, 22)).convert("1")
    save(bits, "gray1_33x17.png")

    # PNG written by hand: 16-bit RGB / RGBA / gray+alpha, 2- and 4-bit gray, interlaced, tRNS keys.
    rng = np.random.default_rng(23)
    c16 = content(70, 90, 24).astype(np.uint32) * 257 + rng.integers(0, 257, (70, 90, 3))
    write_png(os.path.join(OUT, "rgb16_90x70.png"), c16, 2, 16); s.append("rgb16_90x70.png")
    a16 = alpha_channel(50, 60, 25).astype(np.uint32) * 257
    write_png(os.path.join(OUT, "rgba16_60x50.png"),
              np.dstack([content(50, 60, 26).astype(np.uint32) * 257, a16]), 6, 16); s.append("rgba16_60x50.png")
    write_png(os.path.join(OUT, "la16_40x30.png"),
              np.dstack([content(30, 40, 27)[..., :1].astype(np.uint32) * 257, alpha_channel(30, 40, 28)[..., None].astype(np.uint32) * 257]),
              4, 16); s.append("la16_40x30.png")
    g = content(21, 45, 29)[..., 1:2]
    write_png(os.path.join(OUT, "gray4_45x21.png"), g >> 4, 0, 4); s.append("gray4_45x21.png")
    write_png(os.path.join(OUT, "gray2_31x19.png"), content(19, 31, 30)[..., :1] >> 6, 0, 2); s.append("gray2_31x19.png")
    write_png(os.path.join(OUT, "rgb_interlaced_77x61.png"), content(61, 77, 31), 2, 8, interlace=True)
    s.append("rgb_interlaced_77x61.png")
    gk = content(40, 50, 32)[..., :1] // 32 * 32  # few gray levels so the key matches often
    write_png(os.path.join(OUT, "gray_trns_50x40.png"), gk, 0, 8, trns=struct.pack(">H", 64)); s.append("gray_trns_50x40.png")
    rk = content(40, 50, 33) // 128 * 255  # saturated colours; key (255, 0, 255)
    write_png(os.path.join(OUT, "rgb_trns_50x40.png"), rk, 2, 8, trns=struct.pack(">HHH", 255, 0, 255)); s.append("rgb_trns_50x40.png")
    return s


def pil_rgb(path):
    """Image.open(p).convert("RGB"), except 16-bit gray: the high byte (see decoded_note)."""
    im = Image.open(path)
    if im.mode == "I;16":
        return Image.fromarray((np.array(im) >> 8).astype(np.uint8), "L").convert("RGB"), im.mode
    return im.convert("RGB"), im.mode


def processor_input(path):
    """What transformers receives: the opened PIL image (it converts, compositing alpha on white).
    16-bit gray is replaced by its high byte, the documented deviation from Pillow's clipping."""
    im = Image.open(path)
    if im.mode == "I;16":
        return Image.fromarray((np.array(im) >> 8).astype(np.uint8), "L")
    return im


def reference(processor, cfg, image):
    """uint8 HWC u with pixel_values == reconstruct(u); asserts the reconstruction."""
    pv = processor(images=image, return_tensors="np")["pixel_values"][0]  # (3, H, W) float32
    mean = np.array(cfg.get("image_mean", MEAN), dtype=np.float64)
    std = np.array(cfg.get("image_std", STD), dtype=np.float64)
    u = np.clip(np.round((pv.astype(np.float64) * std[:, None, None] + mean[:, None, None]) * 255), 0, 255).astype(np.uint8)
    x = (u.astype(np.float64) * processor.rescale_factor).astype(np.float32)
    recon = (x.T - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)
    recon = recon.T
    err = float(np.abs(recon - pv).max())
    assert err <= 1e-6, f"reconstruction differs by {err}"
    return np.ascontiguousarray(u.transpose(1, 2, 0)), err


def main():
    os.makedirs(EXPECTED, exist_ok=True)
    for name in os.listdir(EXPECTED):
        os.remove(os.path.join(EXPECTED, name))
    processors = {}
    for name, cfg in CONFIG_JSON.items():
        folder = os.path.join(CONFIGS, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
        processors[name] = (CLIPImageProcessorPil.from_pretrained(folder), cfg)
        assert type(transformers.AutoImageProcessor.from_pretrained(folder)).__name__ == "CLIPImageProcessorPil"

    sources = make_sources()
    big = {"rgb_640x480.jpg", "rgb_90x300_tall.png", "rgb_300x200.jpg", "rgb_200x300.png", "rgb_224x224.jpg", "rgba_120x90.png",
           "gray_160x90.jpg", "rgb_37x53.png"}
    cases = []
    for file in sources:
        path = os.path.join(OUT, file)
        rgb, mode = pil_rgb(path)
        decoded = f"{file}.decoded.png"
        rgb.save(os.path.join(EXPECTED, decoded))
        case = {"file": file, "format": Image.open(path).format, "pil_mode": mode,
                "width": rgb.size[0], "height": rgb.size[1], "decoded": decoded, "preprocessed": {}}
        if mode == "I;16":
            case["note"] = ("16-bit gray: expected values are the high byte; Pillow's convert('RGB') clips "
                            "the 16-bit value to 255 instead")
        names = ["crop64"] + (["default"] if file in big else []) + \
                (["pad", "exact"] if file in {"rgb_37x53.jpg", "rgba_120x90.png", "rgb_200x150_progressive.jpg", "gray_53x37.png"} else [])
        for cname in names:
            processor, cfg = processors[cname]
            u, err = reference(processor, cfg, processor_input(path))
            out = f"{file}.{cname}.png"
            Image.fromarray(u, "RGB").save(os.path.join(EXPECTED, out))
            case["preprocessed"][cname] = out
        cases.append(case)

    # Alpha compositing on white for every (colour, alpha) pair, against Pillow's alpha_composite.
    c, a = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    grid = np.stack([c, 255 - c, (c * 7) % 256, a], axis=-1).astype(np.uint8)
    Image.fromarray(grid, "RGBA").save(os.path.join(OUT, "alpha_grid_256x256.png"))
    white = Image.new("RGBA", (256, 256), (255, 255, 255, 255))
    Image.alpha_composite(white, Image.fromarray(grid, "RGBA")).convert("RGB").save(
        os.path.join(EXPECTED, "alpha_grid_256x256.png.composite.png"))

    # Pillow resize with each convolution filter, down and up.
    src = Image.open(os.path.join(OUT, "rgb_37x53.png")).convert("RGB")
    resizes = []
    filters = {"lanczos": Image.Resampling.LANCZOS, "bilinear": Image.Resampling.BILINEAR,
               "bicubic": Image.Resampling.BICUBIC, "box": Image.Resampling.BOX, "hamming": Image.Resampling.HAMMING}
    for fname, f in filters.items():
        for (w, h) in [(23, 17), (61, 90), (37, 20)]:
            out = f"rgb_37x53.png.resize_{fname}_{w}x{h}.png"
            src.resize((w, h), resample=f).save(os.path.join(EXPECTED, out))
            resizes.append({"source": "rgb_37x53.png", "filter": fname, "width": w, "height": h, "expected": out})

    # Sweeps stored as CRC-32s of Pillow's bytes (no pixels): resizes of two sources to many sizes, with
    # targets near the pass-order boundary (height shrinking by about twice the width's pixel count),
    # and CLIP preprocessing of top-left sub-images of many sizes.
    rng = np.random.default_rng(50)
    resize_sweep = []
    for source, count, limit in [("rgb_37x53.png", 120, 2.0), ("rgb_interlaced_77x61.png", 120, 2.0),
                                 ("rgb_200x300.png", 40, 0.3)]:
        im = Image.open(os.path.join(OUT, source)).convert("RGB")
        iw, ih = im.size
        for i in range(count):
            w = int(rng.integers(1, limit * iw + 8))
            h = int(rng.integers(1, limit * ih + 8))
            if i % 3 == 0:
                h = max(1, ih - 2 * (iw - w) + int(rng.integers(-2, 3)))
            fname = "bicubic" if i % 2 == 0 else list(filters)[int(rng.integers(0, len(filters)))]
            out = np.array(im.resize((w, h), resample=filters[fname]))
            resize_sweep.append({"source": source, "filter": fname, "width": w, "height": h,
                                 "crc32": zlib.crc32(out.tobytes())})
    clip_sweep = []
    base = Image.open(os.path.join(OUT, "rgb_200x300.png")).convert("RGB")
    for i in range(60):
        w, h = int(rng.integers(1, 201)), int(rng.integers(1, 301))
        cname = ["crop64", "default", "pad", "exact"][i % 4]
        processor, cfg = processors[cname]
        u, _ = reference(processor, cfg, base.crop((0, 0, w, h)))
        clip_sweep.append({"source": "rgb_200x300.png", "width": w, "height": h, "config": cname,
                           "out_width": u.shape[1], "out_height": u.shape[0], "crc32": zlib.crc32(u.tobytes())})

    # Bad inputs; each must make Pillow raise too.
    jpg = open(os.path.join(OUT, "rgb_300x200.jpg"), "rb").read()
    png = open(os.path.join(OUT, "rgb_37x53.png"), "rb").read()
    rng = np.random.default_rng(40)
    bad = {
        "truncated.jpg": (jpg[: len(jpg) * 6 // 10], "truncated"),
        "missing_eoi.jpg": (jpg[:-2], "truncated"),
        "truncated.png": (png[: len(png) * 6 // 10], "truncated"),
        "corrupt_header.jpg": (jpg[:2] + b"\xff" + rng.integers(0, 256, 300, dtype=np.uint8).tobytes(), "corrupt"),
        "corrupt_idat.png": (png[:200] + bytes([png[200] ^ 0xFF]) + png[201:], "corrupt"),  # CRC error
        "corrupt_ihdr.png": (png[:8] + rng.integers(0, 256, 200, dtype=np.uint8).tobytes(), "corrupt"),
        "not_an_image.txt": (b"This is a caption file, not an image.\n", "unrecognizedFormat"),
        "empty.png": (b"", "unrecognizedFormat"),
    }
    errors = []
    for name, (data, kind) in bad.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        try:
            Image.open(io.BytesIO(data)).load()
            raise AssertionError(f"Pillow accepted {name}")
        except AssertionError:
            raise
        except Exception as e:  # noqa: BLE001 - any Pillow failure
            errors.append({"file": name, "error": kind, "pillow": f"{type(e).__name__}: {e}"[:120]})
    # A PNG without IEND: Pillow decodes it, and so must we.
    with open(os.path.join(OUT, "missing_iend.png"), "wb") as f:
        f.write(png[:-12])
    assert np.array_equal(np.array(Image.open(os.path.join(OUT, "missing_iend.png")).convert("RGB")),
                          np.array(Image.open(os.path.join(OUT, "rgb_37x53.png")).convert("RGB")))
    # Raw bytes of one decode, to check the PNG decoder without going through a PNG.
    with open(os.path.join(EXPECTED, "rgb_37x53.png.decoded.rgb"), "wb") as f:
        f.write(np.array(Image.open(os.path.join(OUT, "rgb_37x53.png")).convert("RGB")).tobytes())

    manifest = {
        "generator": "Tests/Fixtures/gen_images.py",
        "reference": {"transformers": transformers.__version__, "class": "CLIPImageProcessorPil",
                      "pillow": PIL.__version__, "pillow_libjpeg_turbo": features.version("libjpeg_turbo"),
                      "numpy": np.__version__},
        "configs": sorted(CONFIG_JSON),
        "cases": cases,
        "resizes": resizes,
        "resize_sweep": resize_sweep,
        "clip_sweep": clip_sweep,
        "errors": errors,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"{len(cases)} cases, {len(resizes)} resizes, {len(errors)} error files, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
